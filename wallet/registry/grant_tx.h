/* The transactions of grant, revoke and emergency, built but not sent:
 * issuing a grant (data keys sealed to the grantee, its id from the
 * receipt), revoking one, and making a bearer key. Nothing here asks,
 * signs or prints: cli/grant_send.h does that. */
#ifndef EHR_GRANT_TX_H
#define EHR_GRANT_TX_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/registry/registry.h"
#include "wallet/vault/envelope.h"

/* The patient's side of a grant: the address the records belong to and
 * the X25519 pair their data keys are sealed to. */
struct grant_patient {
	const uint8_t *address;     /* 20 bytes */
	const uint8_t *enc_public;  /* 32 bytes */
	const uint8_t *enc_secret;  /* 32 bytes, the caller's secure memory */
};

/* The data key of each record ids[i] (each p's, not erased: else
 * EHR_ECHAIN), opened with p's X25519 secret and sealed to grantee_pk
 * into sealed[i]. Keys live in sodium memory only, wiped after. */
int grant_seal_keys(chain *c, const uint8_t registry[20], const struct grant_patient *p,
		    const uint64_t *ids, size_t n, const uint8_t grantee_pk[32],
		    uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES], ehr_err *e);

/* The transaction (to registry) that grants grantee, whose X25519 key is
 * grantee_pk, access to records ids until expiry. Each record must be the
 * patient's and not erased. With a purpose (REG_PURPOSE_*) the grant
 * authorises only (grantAccess): no key travels, the grantee asks with
 * requestAccess and the patient releases (wallet/registry/release.h).
 * With purpose 0 the data keys are released up front, sealed to the
 * grantee in the transaction (grant(): bearer grants and the emergency
 * card, where nobody may be there to answer). The call data goes to
 * *data (malloc'd, the caller frees it; tx->data points into it). */
int grant_tx_issue(chain *c, const uint8_t registry[20], const struct grant_patient *p,
		   const uint8_t grantee[20], const uint8_t grantee_pk[32], const uint64_t *ids,
		   size_t n, uint64_t expiry, uint8_t flags, uint8_t purpose, eth_tx *tx,
		   uint8_t **data, ehr_err *e);

/* The id the GrantIssued event of registry in r gives; EHR_ECHAIN when r
 * has none. */
int grant_tx_issued_id(const uint8_t registry[20], const chain_receipt *r, uint64_t *grant_id,
		       ehr_err *e);

/* The transaction (to registry) that revokes grant id, which must be
 * patient's and not yet revoked; the grant as it stands into *st. The
 * call data as with grant_tx_issue. */
int grant_tx_revoke(chain *c, const uint8_t registry[20], const uint8_t patient[20], uint64_t id,
		    registry_grant *st, eth_tx *tx, uint8_t **data, ehr_err *e);

/* A new bearer key (32 random bytes into key32, the caller's sodium
 * memory), stretched with passcode when not NULL; gives the grant's
 * grantee address and X25519 public key. */
int bearer_new(uint8_t key32[32], const char *passcode, uint8_t address[20], uint8_t x25519_pk[32],
	       ehr_err *e);

#endif
