#include "wallet/registry/grant_tx.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

int grant_seal_keys(chain *c, const uint8_t registry[20], const struct grant_patient *p,
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
		if (memcmp(r.patient, p->address, 20))
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is not this patient's",
				      (unsigned long long)ids[i]);
		else if (erased)
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is erased", (unsigned long long)ids[i]);
		else if (!(rc = records_data_key(&r, p->address, p->enc_public, p->enc_secret, key, e)))
			rc = envelope_key_seal(key, grantee_pk, sealed[i], e);
		records_free(&r);
	}
	sodium_free(key);
	return rc;
}

/* Each record is the patient's and not erased (what the contract would
 * refuse, said before anything is sent). */
static int grant_check_records(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			       const uint64_t *ids, size_t n, ehr_err *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		registry_record_state st;

		if ((rc = registry_record_of(c, registry, ids[i], &st, e)))
			break;
		if (!st.exists)
			rc = ehr_fail(e, EHR_EFAIL, "there is no record %llu", (unsigned long long)ids[i]);
		else if (memcmp(st.patient, patient, 20))
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is not this patient's", (unsigned long long)ids[i]);
		else if (st.erased)
			rc = ehr_fail(e, EHR_ECHAIN, "record %llu is erased", (unsigned long long)ids[i]);
	}
	return rc;
}

/* A transaction to registry, its call data not yet set. */
static void registry_tx(eth_tx *tx, const uint8_t registry[20])
{
	memset(tx, 0, sizeof(*tx));
	tx->has_to = 1;
	memcpy(tx->to, registry, 20);
}

int grant_tx_issue(chain *c, const uint8_t registry[20], const struct grant_patient *p,
		   const uint8_t grantee[20], const uint8_t grantee_pk[32], const uint64_t *ids,
		   size_t n, uint64_t expiry, uint8_t flags, uint8_t purpose, eth_tx *tx,
		   uint8_t **data, ehr_err *e)
{
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = calloc(n ? n : 1, sizeof(*sealed));
	const uint8_t **keys = calloc(n ? n : 1, sizeof(*keys));
	size_t i;
	int rc;

	*data = NULL;
	registry_tx(tx, registry);
	if (purpose) {
		uint8_t probe[ENVELOPE_KEY_BYTES] = { 0 }, probe_sealed[ENVELOPE_SEALED_KEY_BYTES];

		/* a key nothing can be sealed to (a low-order point) would make a
		 * grant that no release can ever answer: refused now */
		if (!(rc = envelope_key_seal(probe, grantee_pk, probe_sealed, e)) &&
		    !(rc = grant_check_records(c, registry, p->address, ids, n, e)) &&
		    !(rc = consent_call_grant_access(grantee, expiry, flags, purpose, ids, n, data,
						     &tx->data_len, e)))
			tx->data = *data;
		goto out;
	}
	if (!sealed || !keys) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = grant_seal_keys(c, registry, p, ids, n, grantee_pk, sealed, e)))
		goto out;
	for (i = 0; i < n; i++)
		keys[i] = sealed[i];
	if (!(rc = registry_call_grant(grantee, expiry, flags, ids, keys, ENVELOPE_SEALED_KEY_BYTES, n,
				       data, &tx->data_len, e)))
		tx->data = *data;
out:
	free(keys);
	free(sealed);
	return rc;
}

int grant_tx_issued_id(const uint8_t registry[20], const chain_receipt *r, uint64_t *grant_id,
		       ehr_err *e)
{
	size_t i;

	*grant_id = 0;
	for (i = 0; i < r->n_logs && !*grant_id; i++) {
		registry_event_data ev;

		if (!registry_decode_event(&r->logs[i], registry, &ev, NULL)) {
			if (ev.kind == REG_EV_GRANT_ISSUED)
				*grant_id = ev.id;
			registry_event_free(&ev);
		}
	}
	if (!*grant_id)
		return ehr_fail(e, EHR_ECHAIN, "the receipt has no GrantIssued event");
	return 0;
}

int grant_tx_revoke(chain *c, const uint8_t registry[20], const uint8_t patient[20], uint64_t id,
		    registry_grant *st, eth_tx *tx, uint8_t **data, ehr_err *e)
{
	char who[43];
	int rc;

	*data = NULL;
	registry_tx(tx, registry);
	if ((rc = registry_grant_of(c, registry, id, st, e)))
		return rc;
	if (!st->exists)
		return ehr_fail(e, EHR_EFAIL, "there is no grant %llu", (unsigned long long)id);
	eip55_format(st->patient, who);
	if (memcmp(st->patient, patient, 20))
		return ehr_fail(e, EHR_ECHAIN, "grant %llu was issued by %s: only that patient can revoke it",
				(unsigned long long)id, who);
	if (st->flags & REG_GRANT_REVOKED)
		return ehr_fail(e, EHR_ECHAIN, "grant %llu is already revoked", (unsigned long long)id);
	if ((rc = registry_call_revoke(id, data, &tx->data_len, e)))
		return rc;
	tx->data = *data;
	return 0;
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
