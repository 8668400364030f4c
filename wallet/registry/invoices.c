#include "wallet/registry/invoices.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wallet/base/array.h"
#include "wallet/base/text.h"
#include "wallet/chain/abi.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keyholder.h"
#include "wallet/registry/event_scan.h"
#include "wallet/registry/registry.h"

#define INVOICE_OF_TYPES "(address,address,address,uint256,uint64,uint8,uint64)"

/* What the registry does in pay() around the token's transferFrom, beyond
 * what a plain transfer costs the token: reading the invoice (three cold
 * slots), marking it paid, the event, the cold call into the token, and
 * the token's allowance update. Measured at about 35,000 on anvil; the
 * rest is headroom, as unused gas is not charged. */
#define PAY_OVERHEAD_GAS 60000

static const uint8_t zero20[20];

static int oom(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

static int encode(const char *sig, abi_value *args, uint8_t **data, size_t *len, ehr_err *e)
{
	int rc;

	if (!args)
		return oom(e);
	rc = abi_encode_call(sig, args, data, len, e);
	abi_free(args);
	return rc;
}

int invoice_call_issue(const uint8_t patient[20], const uint8_t *token, const u256 *amount,
		       uint64_t due, const uint8_t *memo, size_t memo_len,
		       uint8_t **data, size_t *len, ehr_err *e)
{
	if (!memcmp(patient, zero20, 20))
		return ehr_fail(e, EHR_EUSAGE, "the patient's address is zero");
	if (u256_is_zero(amount))
		return ehr_fail(e, EHR_EUSAGE, "the amount is zero");
	if (u256_bits(amount) > 96)
		return ehr_fail(e, EHR_EUSAGE, "the amount is above what the registry can hold "
				"(2^96 - 1 base units of the token)");
	return encode("issueInvoice(address,address,uint256,uint64,bytes)",
		      abi_tuple(5, abi_address(patient), abi_address(token ? token : zero20),
				abi_uint(amount), abi_uint64(due), abi_bytes(memo, memo ? memo_len : 0)),
		      data, len, e);
}

int invoice_call_pay(uint64_t id, uint8_t **data, size_t *len, ehr_err *e)
{
	return encode("pay(uint256)", abi_tuple(1, abi_uint64(id)), data, len, e);
}

int invoice_call_pay_with_permit(uint64_t id, uint64_t deadline, const uint8_t sig[65],
				 uint8_t **data, size_t *len, ehr_err *e)
{
	return encode("payWithPermit(uint256,uint256,uint8,bytes32,bytes32)",
		      abi_tuple(5, abi_uint64(id), abi_uint64(deadline), abi_uint64(sig[64]),
				abi_fixed_bytes(sig, 32), abi_fixed_bytes(sig + 32, 32)), data, len, e);
}

int invoice_call_cancel(uint64_t id, uint8_t **data, size_t *len, ehr_err *e)
{
	return encode("cancelInvoice(uint256)", abi_tuple(1, abi_uint64(id)), data, len, e);
}

int erc20_call_approve(const uint8_t spender[20], const u256 *amount,
		       uint8_t **data, size_t *len, ehr_err *e)
{
	return encode("approve(address,uint256)", abi_tuple(2, abi_address(spender), abi_uint(amount)),
		      data, len, e);
}

int erc20_call_transfer(const uint8_t to[20], const u256 *amount,
			uint8_t **data, size_t *len, ehr_err *e)
{
	return encode("transfer(address,uint256)", abi_tuple(2, abi_address(to), abi_uint(amount)),
		      data, len, e);
}

/* ---- views ----------------------------------------------------------------- */

/* The registry answered an invoiceOf call with ret: fills out. */
static int parse_state(const uint8_t *ret, size_t len, uint64_t id, invoice_state *out, ehr_err *e)
{
	abi_value *v = NULL;
	const uint8_t *issuer, *patient, *token;
	uint64_t status;

	memset(out, 0, sizeof(*out));
	if (abi_decode(INVOICE_OF_TYPES, ret, len, &v, NULL) ||
	    !(issuer = abi_get_address(abi_item(v, 0))) || !(patient = abi_get_address(abi_item(v, 1))) ||
	    !(token = abi_get_address(abi_item(v, 2))) || abi_get_uint(abi_item(v, 3), &out->amount) ||
	    abi_get_u64(abi_item(v, 4), &out->due) || abi_get_u64(abi_item(v, 5), &status) ||
	    status > REG_INVOICE_CANCELLED || abi_get_u64(abi_item(v, 6), &out->issued_block)) {
		abi_free(v);
		memset(out, 0, sizeof(*out));
		return ehr_fail(e, EHR_EINTEGRITY, "the registry's answer to invoiceOf(%llu) does not parse",
				(unsigned long long)id);
	}
	memcpy(out->issuer, issuer, 20);
	memcpy(out->patient, patient, 20);
	memcpy(out->token, token, 20);
	out->status = (uint8_t)status;
	out->exists = status != 0;
	abi_free(v);
	return 0;
}

static int no_registry(const uint8_t registry[20], ehr_err *e)
{
	char addr[43];

	eip55_format(registry, addr);
	return ehr_fail(e, EHR_EUSAGE, "there is no registry at %s on this chain "
			"(deploy one with 'ehr deploy', or check --network and --registry)", addr);
}

int invoice_states(chain *c, const uint8_t registry[20], const uint64_t *ids, size_t n,
		   invoice_state *out, ehr_err *e)
{
	chain_call_req *calls;
	uint8_t **data;
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	calls = calloc(n, sizeof(*calls));
	data = calloc(n, sizeof(*data));
	if (!calls || !data) {
		rc = oom(e);
		goto out;
	}
	for (i = 0; i < n && !rc; i++) {
		rc = encode("invoiceOf(uint256)", abi_tuple(1, abi_uint64(ids[i])), &data[i], &calls[i].len, e);
		calls[i].to = registry;
		calls[i].data = data[i];
	}
	if (rc || (rc = chain_call_many(c, calls, n, "latest", e)))
		goto out;
	for (i = 0; i < n && !rc; i++) {
		if (calls[i].status) {
			*e = calls[i].err;
			rc = ehr_wrap(e, "invoiceOf(%llu)", (unsigned long long)ids[i]);
		} else if (!calls[i].ret_len) {
			rc = no_registry(registry, e);
		} else {
			rc = parse_state(calls[i].ret, calls[i].ret_len, ids[i], &out[i], e);
		}
	}
out:
	for (i = 0; calls && data && i < n; i++) {
		free(data[i]);
		free(calls[i].ret);
	}
	free(calls);
	free(data);
	return rc;
}

int invoice_of(chain *c, const uint8_t registry[20], uint64_t id, invoice_state *out, ehr_err *e)
{
	memset(out, 0, sizeof(*out));
	return invoice_states(c, registry, &id, 1, out, e);
}

int invoice_is_native(const invoice_state *st)
{
	return !memcmp(st->token, zero20, 20);
}

int erc20_allowance(chain *c, const uint8_t token[20], const uint8_t owner[20],
		    const uint8_t spender[20], u256 *out, ehr_err *e)
{
	uint8_t *data = NULL, *ret = NULL;
	size_t len, ret_len = 0;
	char addr[43];
	int rc;

	if ((rc = encode("allowance(address,address)", abi_tuple(2, abi_address(owner), abi_address(spender)),
			 &data, &len, e)))
		return rc;
	rc = chain_call(c, token, data, len, "latest", &ret, &ret_len, e);
	if (!rc && (ret_len < 32 || u256_from_be(out, ret, 32))) {
		eip55_format(token, addr);
		rc = ehr_fail(e, EHR_EUSAGE, "%s is not an ERC-20 token on this chain (no allowance())", addr);
	}
	free(data);
	free(ret);
	return rc;
}

/* ---- the memo ------------------------------------------------------------------ */

int invoice_memo_seal(const char *text, const uint8_t patient_pk[32], uint8_t **sealed,
		      size_t *len, ehr_err *e)
{
	size_t n = strlen(text);

	*sealed = NULL;
	if (!n)
		return ehr_fail(e, EHR_EUSAGE, "the memo is empty");
	if (n > INVOICE_MEMO_MAX)
		return ehr_fail(e, EHR_EUSAGE, "the memo is longer than %d bytes", INVOICE_MEMO_MAX);
	if (!(*sealed = malloc(n + crypto_box_SEALBYTES)))
		return oom(e);
	if (crypto_box_seal(*sealed, (const unsigned char *)text, n, patient_pk)) {
		free(*sealed);
		*sealed = NULL;
		return ehr_fail(e, EHR_EUSAGE, "the patient's encryption key is not usable");
	}
	*len = n + crypto_box_SEALBYTES;
	return 0;
}

int invoice_memo_open(const uint8_t *sealed, size_t len, const uint8_t pk[32], const uint8_t sk[32],
		      char **text, ehr_err *e)
{
	unsigned char *plain;
	size_t n;

	*text = NULL;
	if (len < crypto_box_SEALBYTES)
		return ehr_fail(e, EHR_EAUTH, "the memo is not sealed to this account's encryption key");
	n = len - crypto_box_SEALBYTES;
	if (!(plain = malloc(n + 1)))
		return oom(e);
	if (sealed_box_open(plain, sealed, len, pk, sk, NULL)) {
		free(plain);
		return ehr_fail(e, EHR_EAUTH, "the memo is not sealed to this account's encryption key");
	}
	text_clean((char *)plain, n + 1, plain, n, 0);
	*text = (char *)plain;
	return 0;
}

/* ---- invoices from the events ---------------------------------------------- */

struct settled {
	uint64_t id, block;
	uint8_t tx[32];
};

struct scan {
	invoice_view *v;
	size_t n, cap;
	struct settled *s;
	size_t ns, scap;
	ehr_err *e;
};

/* A log that does not decode fails the scan (no skipped count given). */
static int scan_cb(void *ctx, const registry_event_data *ev)
{
	struct scan *s = ctx;

	if (ev->kind == REG_EV_INVOICE_ISSUED) {
		invoice_view *v;

		if (array_grow((void **)&s->v, &s->cap, s->n + 1, sizeof(*s->v)))
			return oom(s->e);
		v = &s->v[s->n];
		memset(v, 0, sizeof(*v));
		v->id = ev->id;
		v->st.issued_block = ev->block;
		memcpy(v->issued_tx, ev->tx_hash, 32);
		if (ev->memo_len) {
			if (!(v->memo = malloc(ev->memo_len)))
				return oom(s->e);
			memcpy(v->memo, ev->memo, ev->memo_len);
			v->memo_len = ev->memo_len;
		}
		s->n++;
	} else if (ev->kind == REG_EV_INVOICE_PAID || ev->kind == REG_EV_INVOICE_CANCELLED) {
		if (array_grow((void **)&s->s, &s->scap, s->ns + 1, sizeof(*s->s)))
			return oom(s->e);
		s->s[s->ns].id = ev->id;
		s->s[s->ns].block = ev->block;
		memcpy(s->s[s->ns].tx, ev->tx_hash, 32);
		s->ns++;
	}
	return 0;
}

static int by_id(const void *a, const void *b)
{
	uint64_t x = ((const invoice_view *)a)->id, y = ((const invoice_view *)b)->id;

	return x < y ? -1 : x > y;
}

/* One side's scan: the account in topic position `pos` (1 or 3). The
 * views come out sorted by id, their settlements applied. */
static int scan_side(chain *c, const uint8_t registry[20], const uint8_t account[20], int pos,
		     struct scan *s)
{
	uint8_t t0[3][32], ta[1][32];
	chain_topic topics[4] = { { t0, 3 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	size_t i;
	int rc;

	memcpy(t0[0], registry_event_topic(REG_EV_INVOICE_ISSUED), 32);
	memcpy(t0[1], registry_event_topic(REG_EV_INVOICE_PAID), 32);
	memcpy(t0[2], registry_event_topic(REG_EV_INVOICE_CANCELLED), 32);
	event_topic_address(account, ta[0]);
	topics[pos].any_of = (const uint8_t (*)[32])ta;
	topics[pos].n = 1;
	if ((rc = event_scan(c, registry, topics, 0, CHAIN_LATEST, scan_cb, s, NULL, s->e)))
		return rc;
	if (s->n)
		qsort(s->v, s->n, sizeof(*s->v), by_id);
	for (i = 0; i < s->ns; i++) {
		invoice_view key, *v;

		key.id = s->s[i].id;
		if ((v = bsearch(&key, s->v, s->n, sizeof(*s->v), by_id))) {
			v->settled_block = s->s[i].block;
			memcpy(v->settled_tx, s->s[i].tx, 32);
		}
	}
	return 0;
}

/* Merges b into a (both sorted by id), dropping b's duplicates; b's
 * array is consumed. */
static int merge(struct scan *a, struct scan *b, ehr_err *e)
{
	invoice_view *m;
	size_t i = 0, j = 0, k = 0;

	if (!b->n)
		return 0;
	if (!(m = calloc(a->n + b->n, sizeof(*m))))
		return oom(e);
	while (i < a->n || j < b->n) {
		if (j == b->n || (i < a->n && a->v[i].id < b->v[j].id)) {
			m[k++] = a->v[i++];
		} else if (i == a->n || b->v[j].id < a->v[i].id) {
			m[k++] = b->v[j++];
		} else {
			m[k++] = a->v[i++];
			free(b->v[j++].memo);
		}
	}
	free(a->v);
	free(b->v);
	a->v = m;
	a->n = a->cap = k;
	b->v = NULL;
	b->n = b->cap = 0;
	return 0;
}

/* invoiceOf for each view, and the issue times. */
static int fill(chain *c, const uint8_t registry[20], invoice_view *v, size_t n, ehr_err *e)
{
	uint64_t *ids, *blocks, *times;
	invoice_state *st;
	size_t i;
	int rc = 0;

	if (!n)
		return 0;
	ids = calloc(n, sizeof(*ids));
	blocks = calloc(n, sizeof(*blocks));
	times = calloc(n, sizeof(*times));
	st = calloc(n, sizeof(*st));
	if (!ids || !blocks || !times || !st) {
		rc = oom(e);
		goto out;
	}
	for (i = 0; i < n; i++)
		ids[i] = v[i].id;
	if ((rc = invoice_states(c, registry, ids, n, st, e)))
		goto out;
	for (i = 0; i < n; i++) {
		if (!st[i].exists || st[i].issued_block != v[i].st.issued_block) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "invoice %llu: the registry's state does not match "
				      "its InvoiceIssued event", (unsigned long long)v[i].id);
			goto out;
		}
		v[i].st = st[i];
		blocks[i] = st[i].issued_block;
	}
	if ((rc = chain_block_times(c, blocks, n, times, e)))
		goto out;
	for (i = 0; i < n; i++)
		v[i].issued_time = times[i];
out:
	free(ids);
	free(blocks);
	free(times);
	free(st);
	return rc;
}

static void scan_free(struct scan *s)
{
	invoices_free(s->v, s->n);
	free(s->s);
	s->v = NULL;
	s->s = NULL;
	s->n = s->ns = 0;
}

int invoices_of(chain *c, const uint8_t registry[20], const uint8_t account[20], unsigned which,
		invoice_view **out, size_t *n, ehr_err *e)
{
	struct scan to = { NULL, 0, 0, NULL, 0, 0, e };
	struct scan by = { NULL, 0, 0, NULL, 0, 0, e };
	int rc = 0;

	*out = NULL;
	*n = 0;
	if ((which & INVOICES_TO) && (rc = scan_side(c, registry, account, 1, &to)))
		goto out;
	if ((which & INVOICES_BY) && (rc = scan_side(c, registry, account, 3, &by)))
		goto out;
	if ((rc = merge(&to, &by, e)) || (rc = fill(c, registry, to.v, to.n, e)))
		goto out;
	*out = to.v;
	*n = to.n;
	to.v = NULL;
	to.n = 0;
out:
	scan_free(&to);
	scan_free(&by);
	return rc;
}

int invoice_get(chain *c, const uint8_t registry[20], uint64_t id, invoice_view *out, ehr_err *e)
{
	static const enum registry_event kinds[] = { REG_EV_INVOICE_ISSUED };
	struct scan s = { NULL, 0, 0, NULL, 0, 0, e };
	invoice_state st;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = invoice_of(c, registry, id, &st, e)))
		return rc;
	if (!st.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no invoice %llu", (unsigned long long)id);
	if ((rc = event_scan_issue(c, registry, "invoice", id, kinds, 1, st.issued_block, st.issued_block,
				   scan_cb, &s, &s.n, NULL, e)))
		goto out;
	*out = s.v[0];
	out->st = st;
	s.n = 0;
	chain_block_time(c, st.issued_block, &out->issued_time, NULL);
out:
	scan_free(&s);
	return rc;
}

struct known_ctx {
	const uint8_t (*addrs)[20];
	size_t n;
	int *known;
};

static int known_cb(void *ctx, const chain_log *log)
{
	struct known_ctx *k = ctx;
	size_t i;

	if (log->removed || log->n_topics != 4)
		return 0;
	for (i = 0; i < k->n; i++)
		if (!memcmp(log->topics[3] + 12, k->addrs[i], 20))
			k->known[i] = 1;
	return 0;
}

int invoice_issuers_known(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			  const uint8_t (*addrs)[20], size_t n, int *known, ehr_err *e)
{
	static const enum registry_event kinds[] = {
		REG_EV_GRANT_ISSUED, REG_EV_RECORD_ANCHORED, REG_EV_INVOICE_PAID,
	};
	uint8_t t0[3][32], t1[1][32], (*t3)[32];
	chain_topic topics[4] = { { t0, 3 }, { t1, 1 }, { NULL, 0 }, { NULL, n } };
	struct known_ctx k = { addrs, n, known };
	size_t i;
	int rc;

	memset(known, 0, n * sizeof(*known));
	if (!n)
		return 0;
	if (!(t3 = calloc(n, 32)))
		return oom(e);
	for (i = 0; i < 3; i++)
		memcpy(t0[i], registry_event_topic(kinds[i]), 32);
	event_topic_address(patient, t1[0]);
	for (i = 0; i < n; i++)
		event_topic_address(addrs[i], t3[i]);
	topics[3].any_of = (const uint8_t (*)[32])t3;
	rc = event_scan_logs(c, registry, topics, 0, CHAIN_LATEST, known_cb, &k, e);
	free(t3);
	return rc;
}

void invoices_free(invoice_view *v, size_t n)
{
	size_t i;

	for (i = 0; v && i < n; i++)
		free(v[i].memo);
	free(v);
}

/* ---- paying in a token ------------------------------------------------------ */

int invoice_token_pay_gas(chain *c, const uint8_t registry[20], const invoice_state *st,
			  const uint8_t payer[20], uint64_t *approve_gas, uint64_t *pay_gas,
			  ehr_err *e)
{
	eth_tx txs[2];
	uint8_t *data[2] = { NULL, NULL };
	chain_fee_opts fo;
	int rc, i;

	memset(txs, 0, sizeof(txs));
	if ((rc = erc20_call_approve(registry, &st->amount, &data[0], &txs[0].data_len, e)) ||
	    (rc = erc20_call_transfer(st->issuer, &st->amount, &data[1], &txs[1].data_len, e)))
		goto out;
	for (i = 0; i < 2; i++) {
		txs[i].has_to = 1;
		memcpy(txs[i].to, st->token, 20);
		txs[i].data = data[i];
		txs[i].type = TX_EIP1559;
	}
	/* Only the estimates: no nonce handed out, no fees, no funds check. */
	chain_fee_opts_default(&fo);
	fo.flags = CHAIN_KEEP_NONCE | CHAIN_KEEP_FEES | CHAIN_NO_FUNDS_CHECK;
	if ((rc = chain_prepare_many(c, payer, txs, 2, &fo, NULL, e))) {
		ehr_wrap(e, "estimating the approve and the token transfer (1 approve, 2 transfer)");
		goto out;
	}
	*approve_gas = txs[0].gas;
	*pay_gas = txs[1].gas + PAY_OVERHEAD_GAS;
	if (*pay_gas < INVOICE_PAY_GAS_MIN)
		*pay_gas = INVOICE_PAY_GAS_MIN;
out:
	free(data[0]);
	free(data[1]);
	return rc;
}
