/* A research grant's answer (DESIGN.md section 8; ehr-grant(1)): the
 * grantee never gets a record's own key. For each record its access
 * request names, the patient's side opens the record here, de-identifies
 * it (wallet/vault/fhir_deid.h) with a pseudonym key of the grant's, and
 * makes the result a new record of the patient's (sealed under a fresh
 * data key, put in the original's store, anchored); the registry's
 * releaseDerived then releases the copies' keys, sealed to the requester,
 * and logs which copy answers which original. A record that is not FHIR
 * (or is itself such a copy, or does not parse) is withheld: answered,
 * with no key.
 *
 * The steps, each a call here or the caller's (which signs and sends):
 *   consent_derive_prepare   checks and de-identifies: out->ins to seal;
 *   (caller)                 ingest_seal_all(out->ins, out->n_copies,
 *                            patient key, out->on_chain ? NULL : out->store),
 *                            ingest_plan, send, ingest_ids (ins[k].id);
 *   consent_derive_finish    releaseDerived with the copies' keys.
 * Nothing here prints, asks or sends. */
#ifndef EHR_DERIVE_H
#define EHR_DERIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/registry/ingest.h"
#include "wallet/registry/release.h"

/* The title prefix and file name of a copy: "De-identified Observation",
 * "deidentified-record-ID.json" (ID the original's). */
#define DERIVE_TITLE_PREFIX "De-identified "
#define DERIVE_FILE_PREFIX "deidentified-record-"

typedef struct consent_derived {
	consent_release rel;          /* the request, its grant, the requester's key, the originals */
	uint64_t *derived_ids;        /* per original: its copy's record id once anchored; 0: withheld */
	size_t *copy_index;           /* per original: its copy in ins, or SIZE_MAX when withheld */
	struct incoming *ins;         /* the copies, to seal and anchor */
	size_t n_copies, cap;
	size_t n_withheld;
	bool on_chain;                /* the copies' store: the chain, or store */
	char store[4200];
} consent_derived;

/* consent_derive_prepare: everything consent_release_prepare promises for
 * request_id, and the grant's purpose is research (else EHR_EUSAGE). Then
 * each original is opened with p's key, checked against its anchor
 * (EHR_EINTEGRITY when it does not match) and, when FHIR, de-identified
 * under a key that is a function of p's X25519 secret, the registry and
 * the grant only (so every answer to one grant uses the same pseudonyms,
 * and no two grants share them), for the year this_year. The copies go to
 * the store of the first original kept in a dir: store, else the chain.
 * Plaintext lives in memory only and is wiped. Free with
 * consent_derived_free. */
int consent_derive_prepare(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			   uint64_t request_id, int this_year, consent_derived *out, ehr_err *e);

/* After the copies were sealed (their data keys in ins[k].key) and
 * anchored (ins[k].id): releaseDerived(requestId, originals, copies,
 * keys sealed to the requester's key) as *tx to registry, its call data in
 * *data (malloc'd; the caller frees it). A copy without an id: EHR_EFAIL. */
int consent_derive_finish(const uint8_t registry[20], consent_derived *d, eth_tx *tx, uint8_t **data,
			  ehr_err *e);

void consent_derived_free(consent_derived *d);

#endif
