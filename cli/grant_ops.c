#include "cli/grant_ops.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

/* Seals the data key of each record to the grantee's X25519 key. */
static int seal_keys(chain *c, const uint8_t registry[20], const struct signer *s,
		     const uint64_t *ids, size_t n, const uint8_t grantee_pk[32],
		     uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES], ehr_err *e)
{
	uint8_t *key = sodium_malloc(32);
	size_t i;
	int rc = 0;

	if (!key)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	for (i = 0; i < n && !rc; i++) {
		registry_record r;
		int erased;

		if ((rc = records_get(c, registry, ids[i], &r, &erased, e)))
			break;
		if (memcmp(r.patient, s->address, 20))
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is not this patient's",
				      (unsigned long long)ids[i]);
		else if (erased)
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is erased", (unsigned long long)ids[i]);
		else if (!(rc = records_data_key(&r, s->address, s->keys->enc_public, s->keys->enc_secret, key, e)))
			rc = envelope_key_seal(key, grantee_pk, sealed[i], e);
		records_free(&r);
	}
	sodium_free(key);
	return rc;
}

int grant_issue(chain *c, const uint8_t registry[20], struct signer *s, const uint8_t grantee[20],
		const uint8_t grantee_pk[32], const char *grantee_name, const uint64_t *ids, size_t n,
		uint64_t expiry, uint8_t flags, const struct tx_opts *to, uint64_t *grant_id, ehr_err *e)
{
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = calloc(n ? n : 1, sizeof(*sealed));
	const uint8_t **keys = calloc(n ? n : 1, sizeof(*keys));
	uint8_t hash[32], *data = NULL;
	chain_receipt r = { 0 };
	char what[512], until[40];
	eth_tx tx;
	size_t i;
	int rc;

	*grant_id = 0;
	if (!sealed || !keys) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = signer_unlock(s, e)) ||
	    (rc = seal_keys(c, registry, s, ids, n, grantee_pk, sealed, e)))
		goto out;
	for (i = 0; i < n; i++)
		keys[i] = sealed[i];
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, registry, 20);
	if ((rc = registry_call_grant(grantee, expiry, flags, ids, keys, ENVELOPE_SEALED_KEY_BYTES, n,
				      &data, &tx.data_len, e)))
		goto out;
	tx.data = data;
	time_format(expiry, until, sizeof(until));
	snprintf(what, sizeof(what), "Grant %s %s access to %s%zu record%s until %s", grantee_name,
		 flags & REG_GRANT_WRITE ? "read and write" : "read",
		 flags & REG_GRANT_ALL ? "all records (now " : "", n, n == 1 ? "" : "s", until);
	if (flags & REG_GRANT_ALL)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), ")");
	if ((rc = tx_submit(c, s, &tx, what, to, hash, &r, e)))
		goto out;
	for (i = 0; i < r.n_logs && !*grant_id; i++) {
		registry_event_data ev;

		if (!registry_decode_event(&r.logs[i], registry, &ev, NULL)) {
			if (ev.kind == REG_EV_GRANT_ISSUED)
				*grant_id = ev.id;
			registry_event_free(&ev);
		}
	}
	if (!*grant_id)
		rc = ehr_fail(e, EHR_ECHAIN, "the receipt has no GrantIssued event");
out:
	chain_receipt_free(&r);
	free(data);
	free(keys);
	free(sealed);
	return rc;
}

int grant_revoke(chain *c, const uint8_t registry[20], struct signer *s, uint64_t id,
		 const struct tx_opts *to, uint8_t hash[32], chain_receipt *r, ehr_err *e)
{
	registry_grant st;
	uint8_t *data = NULL;
	char what[200], who[43];
	eth_tx tx;
	int rc;

	if ((rc = registry_grant_of(c, registry, id, &st, e)))
		return rc;
	if (!st.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no grant %llu", (unsigned long long)id);
	eip55_format(st.patient, who);
	if (memcmp(st.patient, s->address, 20))
		return ehr_fail(e, EHR_ECHAIN, "grant %llu was issued by %s: only that patient can revoke it",
				(unsigned long long)id, who);
	if (st.flags & REG_GRANT_REVOKED)
		return ehr_fail(e, EHR_ECHAIN, "grant %llu is already revoked", (unsigned long long)id);
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, registry, 20);
	if ((rc = registry_call_revoke(id, &data, &tx.data_len, e)))
		return rc;
	tx.data = data;
	eip55_format(st.grantee, who);
	snprintf(what, sizeof(what), "Revoke grant %llu (to %s%s)", (unsigned long long)id,
		 st.flags & REG_GRANT_BEARER ? "a bearer QR " : "", who);
	rc = tx_submit(c, s, &tx, what, to, hash, r, e);
	free(data);
	return rc;
}

int bearer_new(uint8_t key32[32], const char *passcode, uint8_t address[20], uint8_t x25519_pk[32],
	       ehr_err *e)
{
	uint8_t *secret = sodium_malloc(32), *priv = sodium_malloc(32), *xsk = sodium_malloc(32);
	int rc;

	if (!secret || !priv || !xsk) {
		rc = ehr_fail(e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	randombytes_buf(key32, 32);
	if (passcode)
		rc = grant_secret_derive(key32, passcode, secret, e);
	else
		memcpy(secret, key32, 32), rc = 0;
	if (!rc && !(rc = grant_bearer_keys(secret, priv, xsk, x25519_pk, e)))
		rc = eth_address_from_priv(priv, address, e);
out:
	sodium_free(secret);
	sodium_free(priv);
	sodium_free(xsk);
	return rc;
}
