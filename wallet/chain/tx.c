#include "wallet/chain/tx.h"

#include <stdlib.h>
#include <string.h>

#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/rlp.h"

/* An access list is [[address (20 bytes), [storage key (32 bytes), ...]], ...]. */
static int check_access_list(const rlp_item *list, ehr_err *e)
{
	rlp_iter it, keys;
	rlp_item entry, parts[2], key;
	size_t n;
	int rc;

	if (!list->is_list)
		return ehr_fail(e, EHR_EINTEGRITY, "access list is not a list");
	rlp_iter_init(&it, list);
	while ((rc = rlp_next(&it, &entry, e)) == 1) {
		if (rlp_list_items(&entry, parts, 2, &n, e) || n != 2)
			return ehr_fail(e, EHR_EINTEGRITY, "access list entry is not [address, [keys]]");
		if (parts[0].is_list || parts[0].len != 20)
			return ehr_fail(e, EHR_EINTEGRITY, "access list address is not 20 bytes");
		if (!parts[1].is_list)
			return ehr_fail(e, EHR_EINTEGRITY, "access list storage keys are not a list");
		rlp_iter_init(&keys, &parts[1]);
		while ((rc = rlp_next(&keys, &key, e)) == 1) {
			if (key.is_list || key.len != 32)
				return ehr_fail(e, EHR_EINTEGRITY, "access list storage key is not 32 bytes");
		}
		if (rc < 0)
			return EHR_EINTEGRITY;
	}
	return rc < 0 ? EHR_EINTEGRITY : EHR_OK;
}

static int valid_for_encoding(const eth_tx *tx, ehr_err *e)
{
	rlp_item al;

	if (tx->type != TX_LEGACY && tx->type != TX_EIP1559 && tx->type != TX_LEGACY_UNPROTECTED)
		return ehr_fail(e, EHR_EUSAGE, "transaction type %d is not supported", tx->type);
	if (tx->type != TX_LEGACY_UNPROTECTED && u256_is_zero(&tx->chain_id))
		return ehr_fail(e, EHR_EUSAGE, "chain id 0 gives no replay protection");
	if (tx->data_len && !tx->data)
		return ehr_fail(e, EHR_EUSAGE, "transaction data missing");
	if (tx->type == TX_EIP1559 && tx->access_list_len) {
		if (!tx->access_list || rlp_decode(tx->access_list, tx->access_list_len, &al, e) ||
		    check_access_list(&al, e))
			return ehr_fail(e, EHR_EUSAGE, "malformed access list");
	} else if (tx->type != TX_EIP1559 && tx->access_list_len) {
		return ehr_fail(e, EHR_EUSAGE, "only type 2 transactions carry an access list here");
	}
	return EHR_OK;
}

/* The fields every form shares, from the nonce to the data (legacy) or to
 * the access list (type 2). */
static void put_body(rlp_buf *b, const eth_tx *tx)
{
	if (tx->type == TX_EIP1559) {
		rlp_put_u256(b, &tx->chain_id);
		rlp_put_u64(b, tx->nonce);
		rlp_put_u256(b, &tx->max_priority_fee);
		rlp_put_u256(b, &tx->max_fee);
	} else {
		rlp_put_u64(b, tx->nonce);
		rlp_put_u256(b, &tx->gas_price);
	}
	rlp_put_u64(b, tx->gas);
	rlp_put_bytes(b, tx->to, tx->has_to ? 20 : 0);
	rlp_put_u256(b, &tx->value);
	rlp_put_bytes(b, tx->data, tx->data_len);
	if (tx->type == TX_EIP1559) {
		if (tx->access_list_len) {
			rlp_put_raw(b, tx->access_list, tx->access_list_len);
		} else {
			rlp_list_begin(b);
			rlp_list_end(b);
		}
	}
}

/* Serializes tx with, when sig is not NULL, its signature (r || s || recid). */
static int encode(const eth_tx *tx, const uint8_t *sig, uint8_t **out, size_t *len, ehr_err *e)
{
	rlp_buf b;
	u256 r, s;
	int rc;

	if ((rc = valid_for_encoding(tx, e)))
		return rc;
	rlp_init(&b);
	if (tx->type == TX_EIP1559)
		rlp_put_raw(&b, "\x02", 1);
	rlp_list_begin(&b);
	put_body(&b, tx);
	if (sig) {
		u256_from_be(&r, sig, 32);
		u256_from_be(&s, sig + 32, 32);
		if (tx->type == TX_EIP1559) {
			rlp_put_u64(&b, sig[64]);
		} else {
			u256 v;

			/* v = chain_id * 2 + 35 + parity; chain ids near 2^255 overflow */
			if (u256_add(&v, &tx->chain_id, &tx->chain_id) ||
			    u256_add_u64(&v, &v, 35u + sig[64])) {
				rlp_free(&b);
				return ehr_fail(e, EHR_EUSAGE, "chain id too large for an EIP-155 signature");
			}
			rlp_put_u256(&b, &v);
		}
		rlp_put_u256(&b, &r);
		rlp_put_u256(&b, &s);
	} else if (tx->type == TX_LEGACY) {
		rlp_put_u256(&b, &tx->chain_id);
		rlp_put_u64(&b, 0);
		rlp_put_u64(&b, 0);
	}
	rlp_list_end(&b);
	return rlp_finish(&b, out, len, e);
}

int tx_signing_data(const eth_tx *tx, uint8_t **out, size_t *len, ehr_err *e)
{
	return encode(tx, NULL, out, len, e);
}

int tx_signing_hash(const eth_tx *tx, uint8_t hash[32], ehr_err *e)
{
	uint8_t *data;
	size_t len;
	int rc;

	if ((rc = tx_signing_data(tx, &data, &len, e)))
		return rc;
	keccak256(data, len, hash);
	free(data);
	return EHR_OK;
}

int tx_sign(const eth_tx *tx, const uint8_t priv[32], uint8_t **raw, size_t *raw_len,
	    uint8_t tx_hash[32], ehr_err *e)
{
	uint8_t hash[32], sig[65];
	int rc;

	if (tx->type == TX_LEGACY_UNPROTECTED)
		return ehr_fail(e, EHR_EUSAGE, "refusing to sign a transaction without a chain id (replayable on every chain)");
	if (tx->type == TX_EIP1559 && u256_cmp(&tx->max_priority_fee, &tx->max_fee) > 0)
		return ehr_fail(e, EHR_EUSAGE, "max priority fee exceeds max fee");
	if ((rc = tx_signing_hash(tx, hash, e)))
		return rc;
	if ((rc = eth_sign_hash(priv, hash, sig, e)))
		return rc;
	if ((rc = encode(tx, sig, raw, raw_len, e)))
		return rc;
	keccak256(*raw, *raw_len, tx_hash);
	return EHR_OK;
}

static int field_u64(const rlp_item *it, uint64_t *v, const char *name, ehr_err *e)
{
	if (rlp_item_u64(it, v, e))
		return ehr_wrap(e, "transaction %s", name);
	return EHR_OK;
}

static int field_u256(const rlp_item *it, u256 *v, const char *name, ehr_err *e)
{
	if (rlp_item_u256(it, v, e))
		return ehr_wrap(e, "transaction %s", name);
	return EHR_OK;
}

static int field_to(const rlp_item *it, eth_tx *tx, ehr_err *e)
{
	if (it->is_list || (it->len != 0 && it->len != 20))
		return ehr_fail(e, EHR_EINTEGRITY, "transaction recipient is not an address");
	tx->has_to = it->len == 20;
	if (tx->has_to)
		memcpy(tx->to, it->payload, 20);
	return EHR_OK;
}

static int field_data(const rlp_item *it, eth_tx *tx, ehr_err *e)
{
	if (it->is_list)
		return ehr_fail(e, EHR_EINTEGRITY, "transaction data is a list");
	tx->data = it->len ? it->payload : NULL;
	tx->data_len = it->len;
	return EHR_OK;
}

int tx_decode(const uint8_t *raw, size_t len, eth_tx *tx, uint8_t sig_r[32], uint8_t sig_s[32],
	      u256 *v_or_parity, uint8_t from[20], ehr_err *e)
{
	rlp_item top, f[12];
	size_t n, want;
	u256 v, r, s;
	uint8_t sig[65], hash[32];
	int typed, rc;
	const rlp_item *sigf;

	memset(tx, 0, sizeof(*tx));
	if (!len)
		return ehr_fail(e, EHR_EINTEGRITY, "empty transaction");
	typed = raw[0] < 0x80;
	if (typed && raw[0] != TX_EIP1559)
		return ehr_fail(e, EHR_EINTEGRITY, "transaction type %u is not supported", raw[0]);
	if (!typed && raw[0] < 0xc0)
		return ehr_fail(e, EHR_EINTEGRITY, "not a transaction: an RLP string, not a list or a typed envelope");
	if (rlp_decode(raw + typed, len - (size_t)typed, &top, e) ||
	    rlp_list_items(&top, f, 12, &n, e))
		return ehr_wrap(e, "malformed transaction");
	if (!top.is_list)
		return ehr_fail(e, EHR_EINTEGRITY, "malformed transaction: not a list");
	want = typed ? 12 : 9;
	if (n != want)
		return ehr_fail(e, EHR_EINTEGRITY, "malformed transaction: %zu fields, expected %zu", n, want);

	if (typed) {
		tx->type = TX_EIP1559;
		if ((rc = field_u256(&f[0], &tx->chain_id, "chain id", e)) ||
		    (rc = field_u64(&f[1], &tx->nonce, "nonce", e)) ||
		    (rc = field_u256(&f[2], &tx->max_priority_fee, "max priority fee", e)) ||
		    (rc = field_u256(&f[3], &tx->max_fee, "max fee", e)) ||
		    (rc = field_u64(&f[4], &tx->gas, "gas", e)) ||
		    (rc = field_to(&f[5], tx, e)) ||
		    (rc = field_u256(&f[6], &tx->value, "value", e)) ||
		    (rc = field_data(&f[7], tx, e)))
			return rc;
		if (check_access_list(&f[8], e))
			return ehr_wrap(e, "malformed transaction");
		tx->access_list = f[8].raw;
		tx->access_list_len = f[8].raw_len;
		sigf = &f[9];
	} else {
		tx->type = TX_LEGACY;
		if ((rc = field_u64(&f[0], &tx->nonce, "nonce", e)) ||
		    (rc = field_u256(&f[1], &tx->gas_price, "gas price", e)) ||
		    (rc = field_u64(&f[2], &tx->gas, "gas", e)) ||
		    (rc = field_to(&f[3], tx, e)) ||
		    (rc = field_u256(&f[4], &tx->value, "value", e)) ||
		    (rc = field_data(&f[5], tx, e)))
			return rc;
		sigf = &f[6];
	}
	if ((rc = field_u256(&sigf[0], &v, "v", e)) ||
	    (rc = field_u256(&sigf[1], &r, "signature r", e)) ||
	    (rc = field_u256(&sigf[2], &s, "signature s", e)))
		return rc;

	if (typed) {
		if (!u256_fits_u64(&v) || v.w[0] > 1)
			return ehr_fail(e, EHR_EINTEGRITY, "malformed transaction: y parity is not 0 or 1");
		sig[64] = (uint8_t)v.w[0];
	} else if (u256_fits_u64(&v) && (v.w[0] == 27 || v.w[0] == 28)) {
		tx->type = TX_LEGACY_UNPROTECTED;
		sig[64] = (uint8_t)(v.w[0] - 27);
	} else {
		u256 t;

		if (u256_sub(&t, &v, &(u256){ { 35, 0, 0, 0 } }))
			return ehr_fail(e, EHR_EINTEGRITY, "malformed transaction: v is neither 27/28 nor EIP-155");
		sig[64] = (uint8_t)u256_divmod_u64(&tx->chain_id, &t, 2);
		if (u256_is_zero(&tx->chain_id))
			return ehr_fail(e, EHR_EINTEGRITY, "malformed transaction: EIP-155 v with chain id 0");
	}
	u256_to_be(&r, sig);
	u256_to_be(&s, sig + 32);
	if (sig_r)
		memcpy(sig_r, sig, 32);
	if (sig_s)
		memcpy(sig_s, sig + 32, 32);
	if (v_or_parity)
		*v_or_parity = v;
	if (!from)
		return EHR_OK;
	if ((rc = tx_signing_hash(tx, hash, e)))
		return rc;
	if ((rc = eth_recover(hash, sig, from, e)))
		return ehr_wrap(e, "transaction signature");
	return EHR_OK;
}
