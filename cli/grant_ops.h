/* What grant, revoke and emergency share: issuing a grant (data keys
 * sealed to the grantee, one transaction, its id from the receipt),
 * revoking one, and making a bearer key. */
#ifndef EHR_GRANT_OPS_H
#define EHR_GRANT_OPS_H

#include <stdint.h>

#include "cli/submit.h"

/* Issues a grant over records ids (each this signer's, not erased) to
 * grantee, whose X25519 key is grantee_pk, until expiry; asks first,
 * naming grantee_name. */
int grant_issue(chain *c, const uint8_t registry[20], struct signer *s, const uint8_t grantee[20],
		const uint8_t grantee_pk[32], const char *grantee_name, const uint64_t *ids, size_t n,
		uint64_t expiry, uint8_t flags, const struct tx_opts *to, uint64_t *grant_id, ehr_err *e);

/* Revokes grant id, which must be this signer's and not yet revoked. */
int grant_revoke(chain *c, const uint8_t registry[20], struct signer *s, uint64_t id,
		 const struct tx_opts *to, uint8_t hash[32], chain_receipt *r, ehr_err *e);

/* A new bearer key (32 random bytes into key32, the caller's sodium
 * memory), stretched with passcode when not NULL; gives the grant's
 * grantee address and X25519 public key. */
int bearer_new(uint8_t key32[32], const char *passcode, uint8_t address[20], uint8_t x25519_pk[32],
	       ehr_err *e);

#endif
