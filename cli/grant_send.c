#include "cli/grant_send.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/keys/eth.h"
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
	if (purpose)
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
