/* The patient's unattended answer to access requests (DESIGN.md section
 * 8): release for a grant that is active, nothing for one revoked or
 * expired, nor for a denied request. `ehr watch --release` and the
 * consultation of `ehr grant --qr` answer this way; what they did is said
 * on stderr. */
#ifndef EHR_RELEASE_POLICY_H
#define EHR_RELEASE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "cli/submit.h"
#include "wallet/registry/watch.h"

/* What the policy did with one request. */
enum release_outcome {
	RELEASE_SENT,                 /* keys released: *n records */
	RELEASE_ANSWERED,             /* nothing left: released before (a resumed watch) */
	RELEASE_REFUSED               /* grant revoked or expired, or the request denied */
};

/* Answers ev, an access request to the signer (the patient), by the
 * policy: the request's grant must be active now and the request open;
 * then the keys of the records still requested are released (sealed to
 * the requester, sent without asking: the policy is the consent). Says on
 * stderr what it did, naming requester_name. Fails only when sending
 * failed (then nothing is known to be released; EHR_ENODE when the node
 * went away). */
int release_by_policy(chain *c, const uint8_t registry[20], struct signer *s,
		      const watch_event *ev, const char *requester_name, const struct tx_opts *to,
		      enum release_outcome *out, size_t *n, ehr_err *e);

#endif
