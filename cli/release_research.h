/* The patient's answer to a research grant's access request (DESIGN.md
 * section 8; ehr-grant(1), "Research"): de-identified copies of the FHIR
 * records it names are added to the patient's chart and only their keys
 * are released (wallet/registry/derive.h); records that are not FHIR are
 * withheld. `ehr request approve`, `ehr watch --release` and the
 * consultation of `ehr grant --qr` answer research requests here. */
#ifndef EHR_RELEASE_RESEARCH_H
#define EHR_RELEASE_RESEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "cli/submit.h"
#include "wallet/registry/derive.h"

/* What one research release did. */
struct research_outcome {
	uint64_t grant_id;
	uint8_t requester[20];
	size_t copies;                /* de-identified copies anchored and released */
	size_t withheld;              /* records not released: not FHIR */
};

/* Answers research access request request_id of the signer's (unlocked):
 * builds the copies, then two transactions: the copies anchored (and, on
 * chain, stored), then releaseDerived. One confirmation names both
 * (who_words: how the requester is shown, with the key's fingerprint),
 * with --yes none. Waits for the first transaction's receipt even with
 * --async (the second needs the copies' ids). When the first lands and the
 * second fails, the copies stay in the patient's chart, unreleased; the
 * error says so. */
int research_release(chain *c, const uint8_t registry[20], struct signer *s, uint64_t request_id,
		     const char *who_words, const struct tx_opts *to, struct research_outcome *out,
		     ehr_err *e);

#endif
