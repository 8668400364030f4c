/* Grants as the commands see them: what a grant covers and the data keys
 * it carries (its GrantIssued event and any GrantKeysAdded after it), a
 * patient's grants with their state, and expiry times. Nothing prints. */
#ifndef EHR_GRANTS_H
#define EHR_GRANTS_H

#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/vault/envelope.h"
#include "wallet/registry/registry.h"

/* One grant: grantOf's answer and, from its events, the records it names
 * (for GRANT_ALL grants, the records the patient has added so far) and,
 * for grants with keys released up front (grant(): bearer grants, the
 * emergency card), their data keys sealed to the grantee. A grant that
 * authorises only (grantAccess, purpose non-zero) carries no key: keyed[i]
 * is 0 and the grantee asks with requestAccess (wallet/registry/release.h). */
typedef struct grant_view {
	uint64_t id;
	registry_grant st;
	uint8_t purpose;              /* REG_PURPOSE_*; 0 for grant() */
	uint64_t *record_ids;
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES];
	uint8_t *keyed;               /* keyed[i]: sealed[i] is a key */
	size_t n;
	uint64_t issued_time;         /* block time of GrantIssued (0: unknown) */
} grant_view;

/* Reads grant id: grantOf, isActive, and its key events. No such grant:
 * EHR_EFAIL "there is no grant N". */
int grants_get(chain *c, const uint8_t registry[20], uint64_t id, grant_view *out, ehr_err *e);

/* Every grant patient issued, oldest first, with state (one log scan for
 * GrantIssued, GrantKeysAdded and GrantRevoked of the patient, then
 * grantOf/isActive for each in a batch). cb's nonzero return stops. */
typedef int (*grants_cb)(void *ctx, const grant_view *g);
int grants_of_patient(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		      grants_cb cb, void *ctx, ehr_err *e);

/* Every grant to grantee (topic 3 of GrantIssued), from any patient, as
 * grants_of_patient gives them. Bearer grants name an ephemeral key, so
 * they are not among them. */
int grants_of_grantee(chain *c, const uint8_t registry[20], const uint8_t grantee[20],
		      grants_cb cb, void *ctx, ehr_err *e);

void grants_free(grant_view *g);

/* The newest active write grant patient gave grantee, in *id (0: none). */
int grants_write_grant(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		       const uint8_t grantee[20], uint64_t *id, ehr_err *e);

/* Seconds since 1970 from "2026-11-22T14:30:00Z", "2026-11-22 14:30",
 * "2026-11-22" (UTC) or a plain number of seconds. EHR_EUSAGE otherwise. */
int time_parse(const char *s, uint64_t *out, ehr_err *e);

/* "2026-11-22 14:30 UTC" */
void time_format(uint64_t t, char *out, size_t cap);

#endif
