/* A history (history.h) as FHIR R4: each shown row an AuditEvent, each
 * shown grant a Consent, in one collection Bundle whose fullUrls are
 * stable urn:uuids (the same history exports the same ids). Accounts are
 * CAIP-10 identifiers, records the identifiers their DocumentReferences
 * have in `ehr record export --fhir` (fhir_record_system). */
#ifndef EHR_FHIR_AUDIT_H
#define EHR_FHIR_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/registry/history.h"

/* An account's display name, "" when it has none; never NULL. */
typedef const char *(*fhir_audit_name_fn)(void *ctx, const uint8_t addr[20]);

typedef struct fhir_audit_source {
	uint64_t chain_id;            /* the chain the history's registry is on */
	uint64_t timestamp;           /* the Bundle's timestamp (unix seconds) */
	fhir_audit_name_fn name_of;
	void *name_ctx;
} fhir_audit_source;

/* The Bundle as JSON text (*text: free with cJSON_free), and how many
 * AuditEvents and Consents it holds. Fails only when memory runs out. */
int fhir_audit_bundle(const history *h, const fhir_audit_source *src, char **text, size_t *nevents,
		      size_t *nconsents, ehr_err *e);

#endif
