#include "cli/release_policy.h"
#include "cli/ehr.h"
#include "cli/follow.h"
#include "cli/release_research.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/registry/consent.h"
#include "wallet/registry/grant_tx.h"
#include "wallet/registry/release.h"

/* Why a request gets nothing, or NULL when the policy releases. */
static int refusal(chain *c, const uint8_t registry[20], const consent_request *q,
		   const char **why, ehr_err *e)
{
	consent_grant gr;
	int rc;

	*why = NULL;
	if (q->status == CONSENT_REQUEST_DENIED) {
		*why = "the request was denied";
		return 0;
	}
	if (q->grant_active)
		return 0;
	if ((rc = consent_grant_of(c, registry, q->grant_id, &gr, e)))
		return rc;
	*why = (gr.flags & REG_GRANT_REVOKED) ? "its grant is revoked" : "its grant has expired";
	return 0;
}

/* The release: built by consent_release_build (the keys opened and
 * sealed to the requester), then submitted without asking (the caller set
 * --yes: the policy is the consent). */
static int send_release(chain *c, const uint8_t registry[20], struct signer *s, uint64_t request_id,
			const struct tx_opts *to, size_t *n, ehr_err *e)
{
	struct grant_patient p = { s->address, s->keys->enc_public, s->keys->enc_secret };
	consent_release rel;
	chain_receipt r = { 0 };
	uint8_t hash[32], *data = NULL;
	char what[160];
	eth_tx tx;
	int rc;

	*n = 0;
	if ((rc = consent_release_build(c, registry, &p, request_id, &rel, &tx, &data, e)))
		return rc;
	snprintf(what, sizeof(what), "Release %zu key%s in answer to access request %llu", rel.n,
		 rel.n == 1 ? "" : "s", (unsigned long long)request_id);
	if (!(rc = tx_submit(c, s, &tx, what, to, hash, &r, e)))
		*n = rel.n;
	chain_receipt_free(&r);
	consent_release_free(&rel);
	free(data);
	return rc;
}

/* A research grant's request: de-identified copies of its FHIR records
 * (cli/release_research.h); the patient is told what was withheld. */
static int send_research(chain *c, const uint8_t registry[20], struct signer *s, const watch_event *ev,
			 const char *requester_name, const struct tx_opts *to, size_t *n, ehr_err *e)
{
	struct research_outcome out;
	int rc;

	*n = 0;
	if ((rc = research_release(c, registry, s, ev->request, requester_name, to, &out, e)))
		return rc;
	*n = out.copies;
	follow_say("request %llu of %s: research grant %llu: %zu de-identified cop%s released (never a "
		   "record's own key)", (unsigned long long)ev->request, requester_name,
		   (unsigned long long)out.grant_id, out.copies, out.copies == 1 ? "y" : "ies");
	if (out.withheld)
		follow_say("request %llu: %zu record%s not FHIR (or a de-identified copy already): not released "
			   "(a research grant gets de-identified FHIR only)", (unsigned long long)ev->request,
			   out.withheld, out.withheld == 1 ? " is" : "s are");
	return 0;
}

int release_by_policy(chain *c, const uint8_t registry[20], struct signer *s,
		      const watch_event *ev, const char *requester_name, const struct tx_opts *to,
		      enum release_outcome *out, size_t *n, ehr_err *e)
{
	consent_request q;
	const char *why;
	uint8_t purpose = 0;
	int rc;

	*out = RELEASE_REFUSED;
	*n = 0;
	if ((rc = consent_request_of(c, registry, ev->request, &q, e)) ||
	    (rc = refusal(c, registry, &q, &why, e)))
		return rc;
	if (why) {
		follow_say("request %llu of %s (grant %llu): nothing released: %s", (unsigned long long)ev->request,
		    requester_name, (unsigned long long)ev->grant, why);
		return 0;
	}
	if (q.status == CONSENT_REQUEST_OPEN && (rc = consent_request_purpose(c, registry, ev->request, &purpose, e)))
		return rc;
	rc = purpose == REG_PURPOSE_RESEARCH
		? send_research(c, registry, s, ev, requester_name, to, n, e)
		: send_release(c, registry, s, ev->request, to, n, e);
	if (rc == EHR_EFAIL && !*n && strstr(e->msg, "nothing left to release")) {
		*out = RELEASE_ANSWERED;
		follow_say("request %llu of %s: answered before", (unsigned long long)ev->request, requester_name);
		return 0;
	}
	if (rc)
		return rc;
	*out = RELEASE_SENT;  /* the caller reports it, each in its own way */
	return 0;
}
