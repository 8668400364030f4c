/* The consent flow's two sides that need more than call data (DESIGN.md
 * section 8, "Consent that holds"): finding consent events on chain, and
 * the patient's answers that carry keys. Only in answer to a logged access
 * request, and only while its grant is active, does the patient's side
 * open each record's data key and seal it (crypto_box_seal) to the
 * requester's registered X25519 key. Nothing here asks, signs, sends or
 * prints: the caller submits the transaction built here (cli/submit.h).
 *
 * Callers: `ehr request approve` (commands/request.c), and `ehr watch
 * --release` / `ehr grant --qr`, which answer requests unattended by
 * calling consent_release_build for each AccessRequested event of theirs. */
#ifndef EHR_RELEASE_H
#define EHR_RELEASE_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/grant_tx.h"

/* ---- finding consent events ------------------------------------------------ */

/* A consent event filter: the kinds wanted (n_kinds of them) and, when
 * not NULL, topic 1 (the patient), topic 2 (the grant id of the access
 * events, the grant request id of the others) and topic 3 (the requester). */
struct consent_filter {
	const enum consent_event *kinds;
	size_t n_kinds;
	const uint8_t *patient;
	const uint64_t *id;
	const uint8_t *requester;
};

/* Called once per decoded event, in chain order; ev is freed after it
 * returns. A nonzero return ends the scan and becomes its result. */
typedef int (*consent_scan_cb)(void *ctx, const consent_event_data *ev);

/* The registry's consent events matching f from block `from` to `to`
 * (CHAIN_LATEST: the head). Logs a reorg removed and logs that do not
 * decode are passed over (anyone may call the registry; only it writes
 * its events). */
int consent_scan(chain *c, const uint8_t registry[20], const struct consent_filter *f,
		 uint64_t from, uint64_t to, consent_scan_cb cb, void *ctx, ehr_err *e);

/* The AccessRequested event of request_id (its records), into *out (free
 * with consent_event_free); the request as requestOf tells it in *q.
 * No such request: EHR_EFAIL "there is no access request N". */
int consent_find_request(chain *c, const uint8_t registry[20], uint64_t request_id,
			 consent_request *q, consent_event_data *out, ehr_err *e);

/* The ids of every record of patient's that is not erased, in id order;
 * *ids malloc'd (free it). What a grant over all records covers now. */
int consent_patient_records(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			    uint64_t **ids, size_t *n, ehr_err *e);

/* ---- the grantee's side: a pending request, and its answer ------------------- */

/* The ids of every access request of requester under grant_id (of
 * patient), oldest first, from block `from` on; *ids malloc'd (free it). */
int consent_requests_by(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			uint64_t grant_id, const uint8_t requester[20], uint64_t from,
			uint64_t **ids, size_t *n, ehr_err *e);

/* The newest access request of requester under grant_id (of patient) that
 * is open and still asks for every record of ids (none released yet), in
 * *request_id; 0 when there is none. Looks from block `from` on. So a
 * grantee that gave up waiting asks again without logging a second
 * request. */
int consent_pending_request(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			    uint64_t grant_id, const uint8_t requester[20], const uint64_t *ids,
			    size_t n, uint64_t from, uint64_t *request_id, ehr_err *e);

/* What the patient has answered to request q (id request_id) so far:
 * denied (AccessDenied), and the sealed keys its KeysReleased and
 * DerivedReleased events carry (a key of the wrong size is passed over).
 * record_ids[k] is the record requested; copy[k] the record whose key
 * sealed[k] is: record_ids[k] itself (KeysReleased), its de-identified
 * copy (DerivedReleased), or 0 when it was withheld (a research grant's
 * record that is not FHIR; sealed[k] zeros). Free with consent_answer_free. */
typedef struct consent_answer {
	int denied;
	uint64_t *record_ids;
	uint64_t *copy;
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES];
	size_t n;
} consent_answer;

int consent_answer_of(chain *c, const uint8_t registry[20], const consent_request *q,
		      uint64_t request_id, consent_answer *out, ehr_err *e);
void consent_answer_free(consent_answer *a);

/* ---- the patient's release --------------------------------------------------- */

/* What a release answers and carries. */
typedef struct consent_release {
	uint64_t request_id;
	uint64_t grant_id;
	uint8_t requester[20];
	uint8_t purpose;              /* the grant's REG_PURPOSE_* (0: a grant() grant) */
	uint64_t requested_block;
	uint64_t *record_ids;         /* the records this release opens */
	size_t n;
	sealing_key to;               /* the key the keys are sealed to, and whether it is pinned */
} consent_release;

/* consent_release_build: the patient's release for logged access request
 * request_id. Promises, before anything is built:
 *  - the request exists (else EHR_EFAIL), is to patient p (its grant is
 *    p's; else EHR_ECHAIN), and was not denied (EHR_ECHAIN);
 *  - its grant is active now: not revoked, not expired (EHR_ECHAIN,
 *    saying which); the contract checks this again when the release is
 *    mined, so a revoke that lands first still stops it;
 *  - each record the request names that is still requested (not released
 *    before: isRequested), covered by the grant (covers) and not erased is
 *    released; records already released are left out. None left:
 *    EHR_EFAIL "nothing left to release" (the request was answered);
 *  - each record's data key is opened with p's X25519 secret and sealed
 *    with crypto_box_seal to the requester's X25519 key as registered now
 *    (none registered: EHR_ECHAIN), which must be the key pinned for the
 *    requester when the patient's contacts pin one (contacts_sealing_key:
 *    else EHR_EINTEGRITY, nothing built).
 * Then *tx (to registry) and *data (its call data, malloc'd: the caller
 * frees it; tx->data points into it) hold release(requestId, recordIds,
 * sealedKeys), and *out what it releases (free with consent_release_free).
 * Data keys exist only in sodium memory and are wiped. */
int consent_release_build(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			  uint64_t request_id, consent_release *out, eth_tx *tx, uint8_t **data,
			  ehr_err *e);

/* The checks and choices of consent_release_build without the sealing:
 * *out says what a release of request_id would answer and to whom (for a
 * research grant, whose answer is de-identified copies: derive.h). Unlike
 * consent_release_build it does not refuse a research grant; that one does
 * (EHR_ECHAIN: a research grant never gets the records' own keys, and the
 * registry refuses such a release too). */
int consent_release_prepare(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			    uint64_t request_id, consent_release *out, ehr_err *e);

/* The purpose of use (REG_PURPOSE_*) of the grant request_id asks under;
 * no such request: EHR_EFAIL. */
int consent_request_purpose(chain *c, const uint8_t registry[20], uint64_t request_id, uint8_t *purpose,
			    ehr_err *e);

void consent_release_free(consent_release *r);

/* ---- the patient's approval of a grant request ------------------------------- */

typedef struct consent_approval {
	uint64_t grant_request_id;
	uint8_t requester[20];
	uint8_t flags;                /* REG_GRANT_WRITE, REG_GRANT_ALL */
	uint8_t purpose;
	uint64_t duration;            /* seconds from approval */
	uint64_t *record_ids;         /* the records granted */
	size_t n;
	size_t n_released;            /* of them, released now: n, or 0 for research */
	sealing_key to;               /* the key the keys are sealed to, and whether it is pinned */
} consent_approval;

/* consent_approval_build: approveGrant for open grant request
 * grant_request_id of patient p, with the keys of the requested records
 * (for GRANT_ALL: every record of p's not erased) sealed to the
 * requester's registered X25519 key, so the grant is made and the keys
 * released in one transaction in answer to the provider's request.
 * Refused: no such request (EHR_EFAIL), not p's (EHR_ECHAIN), not open
 * (EHR_ECHAIN), a listed record that is not p's, is erased or whose list
 * does not match the request's hash (EHR_ECHAIN), requester without key
 * (EHR_ECHAIN), a key that is not the one the patient's contacts pin for
 * the requester (EHR_EINTEGRITY). tx, data and out as with consent_release_build. */
int consent_approval_build(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			   uint64_t grant_request_id, consent_approval *out, eth_tx *tx,
			   uint8_t **data, ehr_err *e);

void consent_approval_free(consent_approval *a);

#endif
