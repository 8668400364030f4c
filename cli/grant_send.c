#include "cli/grant_send.h"
#include "cli/ehr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grants.h"

int grant_issue(chain *c, const uint8_t registry[20], struct signer *s, const uint8_t grantee[20],
		const uint8_t grantee_pk[32], const char *grantee_name, const uint64_t *ids, size_t n,
		uint64_t expiry, uint8_t flags, uint8_t purpose, const struct tx_opts *to,
		uint64_t *grant_id, ehr_err *e)
{
	struct grant_patient p;
	uint8_t hash[32], *data = NULL;
	chain_receipt r = { 0 };
	char what[768], until[40];
	eth_tx tx;
	int rc;

	*grant_id = 0;
	if ((rc = signer_unlock(s, e)))
		return rc;
	p.address = s->address;
	p.enc_public = s->keys->enc_public;
	p.enc_secret = s->keys->enc_secret;
	if ((rc = grant_tx_issue(c, registry, &p, grantee, grantee_pk, ids, n, expiry, flags, purpose,
				  &tx, &data, e)))
		goto out;
	time_format(expiry, until, sizeof(until));
	snprintf(what, sizeof(what), "Grant %s %s access to %s%zu record%s until %s", grantee_name,
		 flags & REG_GRANT_WRITE ? "read and write" : "read",
		 flags & REG_GRANT_ALL ? "all records (now " : "", n, n == 1 ? "" : "s", until);
	if (flags & REG_GRANT_ALL)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), ")");
	if (purpose == REG_PURPOSE_RESEARCH)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " for research. An authorisation only: "
			 "no record's own key is ever released for it; each logged request is answered with "
			 "de-identified copies of the FHIR records (other files are withheld)");
	else if (purpose)
		snprintf(what + strlen(what), sizeof(what) - strlen(what), " for %s. An authorisation only: "
			 "no key goes with it; each record's key is released only in answer to a logged request",
			 consent_purpose_name(purpose));
	else
		snprintf(what + strlen(what), sizeof(what) - strlen(what), ". The keys are released now, with "
			 "the grant (nobody may be there to answer a request): whoever holds it can read these "
			 "records without asking, and revoke cannot take back what was read");
	if (!(rc = tx_submit(c, s, &tx, what, to, hash, &r, e)))
		rc = grant_tx_issued_id(registry, &r, grant_id, e);
out:
	chain_receipt_free(&r);
	free(data);
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

	if ((rc = grant_tx_revoke(c, registry, s->address, id, &st, &tx, &data, e)))
		goto out;
	eip55_format(st.grantee, who);
	snprintf(what, sizeof(what), "Revoke grant %llu (to %s%s)", (unsigned long long)id,
		 st.flags & REG_GRANT_BEARER ? "a bearer QR " : "", who);
	rc = tx_submit(c, s, &tx, what, to, hash, r, e);
out:
	free(data);
	return rc;
}

/* An active grant over all records gets the new records too: their data
 * keys sealed to the grantee, in one addGrantKeys per grant. (A bearer
 * grant's key is only in its QR code: it keeps the records it was made
 * with.) */
struct all_grants {
	const struct ctx *x;
	struct incoming *ins;
	size_t n;
	eth_tx *txs;
	uint8_t **datas;
	size_t ntx;
	ehr_err *e;
};

static int all_grant_cb(void *ctx, const grant_view *gv)
{
	struct all_grants *ag = ctx;
	sealing_key k;
	const registry_account *acct = &k.acct;
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = NULL;
	const uint8_t **keys = NULL;
	uint64_t *ids = NULL;
	eth_tx *txs;
	uint8_t **datas;
	size_t i;
	int rc;

	/* a grant that authorises only (a purpose of use) covers new records
	 * by itself; keys go only in answer to a request */
	if (!gv->st.active || !(gv->st.flags & REG_GRANT_ALL) || (gv->st.flags & REG_GRANT_BEARER) ||
	    gv->purpose)
		return 0;
	if ((rc = contacts_sealing_key(ag->x->c, ag->x->registry, gv->st.grantee, &k, ag->e)))
		return rc;
	if (!acct->registered)
		return 0;
	sealed = calloc(ag->n, sizeof(*sealed));
	keys = calloc(ag->n, sizeof(*keys));
	ids = calloc(ag->n, sizeof(*ids));
	txs = realloc(ag->txs, (ag->ntx + 1) * sizeof(*txs));
	if (txs)
		ag->txs = txs;
	datas = realloc(ag->datas, (ag->ntx + 1) * sizeof(*datas));
	if (datas)
		ag->datas = datas;
	if (!sealed || !keys || !ids || !txs || !datas) {
		rc = ehr_fail(ag->e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < ag->n && !rc; i++) {
		rc = envelope_key_seal(ag->ins[i].key, acct->enc_key, sealed[i], ag->e);
		keys[i] = sealed[i];
		ids[i] = ag->ins[i].id;
	}
	memset(&ag->txs[ag->ntx], 0, sizeof(eth_tx));
	ag->datas[ag->ntx] = NULL;
	if (!rc)
		rc = registry_call_add_grant_keys(gv->id, ids, keys, ENVELOPE_SEALED_KEY_BYTES, ag->n,
						  &ag->datas[ag->ntx], &ag->txs[ag->ntx].data_len, ag->e);
	if (!rc) {
		ag->txs[ag->ntx].has_to = 1;
		memcpy(ag->txs[ag->ntx].to, ag->x->registry, 20);
		ag->txs[ag->ntx].data = ag->datas[ag->ntx];
		ag->ntx++;
	}
out:
	free(sealed);
	free(keys);
	free(ids);
	return rc;
}

int grant_send_new_records(struct ctx *x, struct incoming *ins, size_t n, const struct tx_opts *to,
			   size_t *ngrants, ehr_err *e)
{
	struct all_grants ag = { x, ins, n, NULL, NULL, 0, e };
	uint8_t (*hashes)[32] = NULL;
	chain_receipt *r = NULL;
	size_t i;
	int rc;

	*ngrants = 0;
	if ((rc = grants_of_patient(x->c, x->registry, x->s.address, all_grant_cb, &ag, e)) || !ag.ntx)
		goto out;
	hashes = calloc(ag.ntx, sizeof(*hashes));
	r = calloc(ag.ntx, sizeof(*r));
	if (!hashes || !r) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	g.yes = true;  /* the user agreed to add the records; this completes it */
	rc = tx_submit_many(x->c, &x->s, ag.txs, ag.ntx, "Share the new records with every --all grantee",
			    to, hashes, r, e);
	for (i = 0; i < ag.ntx; i++)
		chain_receipt_free(&r[i]);
	if (!rc)
		*ngrants = ag.ntx;
out:
	for (i = 0; i < ag.ntx; i++)
		free(ag.datas[i]);
	free(ag.datas);
	free(ag.txs);
	free(hashes);
	free(r);
	return rc;
}
