/* Grants and revocations sent the way every command sends: the
 * transaction built by wallet/registry/grant_tx.h, described, confirmed
 * and submitted (cli/submit.h). */
#ifndef EHR_GRANT_SEND_H
#define EHR_GRANT_SEND_H

#include <stdint.h>

#include "cli/context.h"
#include "cli/submit.h"
#include "wallet/registry/ingest.h"
#include "wallet/registry/grant_tx.h"

/* Issues a grant over records ids (each this signer's, not erased) to
 * grantee, whose X25519 key is grantee_pk, until expiry; asks first,
 * naming grantee_name. With a purpose (REG_PURPOSE_*) an authorisation
 * only, no key in it; with purpose 0 the keys are released up front
 * (bearer grants, the emergency card), and the confirmation says so. */
int grant_issue(chain *c, const uint8_t registry[20], struct signer *s, const uint8_t grantee[20],
		const uint8_t grantee_pk[32], const char *grantee_name, const uint64_t *ids, size_t n,
		uint64_t expiry, uint8_t flags, uint8_t purpose, const struct tx_opts *to,
		uint64_t *grant_id, ehr_err *e);

/* Revokes grant id, which must be this signer's and not yet revoked. */
int grant_revoke(chain *c, const uint8_t registry[20], struct signer *s, uint64_t id,
		 const struct tx_opts *to, uint8_t hash[32], chain_receipt *r, ehr_err *e);

/* The records of ins (n of them, just anchored) shared with each active
 * grant over all records that predates consent (no purpose of use): their
 * data keys sealed to the grantee's key (contacts_sealing_key: a pinned key
 * that changed is refused), one addGrantKeys per grant, sent without
 * asking again (the user agreed to add the records). Grants that
 * authorise only and bearer grants get nothing. *ngrants: how many. */
int grant_send_new_records(struct ctx *x, struct incoming *ins, size_t n, const struct tx_opts *to,
			   size_t *ngrants, ehr_err *e);

#endif
