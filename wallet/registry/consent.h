/* Consent from C (contracts/README.md, "Consent"): grants that authorise
 * without keys, a grantee's access request (the access log entry), the
 * patient's release of data keys sealed to the requester (or deny), and
 * provider-first grant requests. Call data for each function, the views,
 * and the decoding of the events. Nothing prints; only the views talk to
 * the node. */
#ifndef EHR_CONSENT_H
#define EHR_CONSENT_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/registry/registry.h"

#define CONSENT_NOTE_MAX 1024                       /* a grant request's sealed purpose */
#define CONSENT_MAX_DURATION (36525ull * 86400)     /* 100 years, in seconds */
#define CONSENT_REQUEST_FLAGS (REG_GRANT_WRITE | REG_GRANT_ALL)

#define CONSENT_REQUEST_OPEN 1
#define CONSENT_REQUEST_APPROVED 2                  /* grant requests only */
#define CONSENT_REQUEST_DENIED 3

/* "treatment", "emergency", "research", "payment" for REG_PURPOSE_*, NULL
 * for anything else; and back (0 when the word is none of them). */
const char *consent_purpose_name(uint8_t purpose);
uint8_t consent_purpose_parse(const char *word);

/* ---- call data (malloc'd into *data, the caller frees it) ---------------- */

/* Each refuses locally (EHR_EUSAGE, nothing encoded) what the contract
 * would refuse for its inputs alone: a purpose other than REG_PURPOSE_*,
 * flags a provider may not ask for, a duration of 0 or over 100 years, a
 * sealed purpose over CONSENT_NOTE_MAX bytes. */

/* grantAccess(grantee, expiry, flags, purpose, recordIds): no keys. */
int consent_call_grant_access(const uint8_t grantee[20], uint64_t expiry, uint8_t flags,
			      uint8_t purpose, const uint64_t *record_ids, size_t n,
			      uint8_t **data, size_t *len, ehr_err *e);

/* addGrantKeys(grantId, recordIds, []): records added to a grant, no key. */
int consent_call_add_records(uint64_t grant_id, const uint64_t *record_ids, size_t n,
			     uint8_t **data, size_t *len, ehr_err *e);

/* requestAccess(patient, grantId, recordIds). */
int consent_call_request_access(const uint8_t patient[20], uint64_t grant_id,
				const uint64_t *record_ids, size_t n,
				uint8_t **data, size_t *len, ehr_err *e);

/* release(requestId, recordIds, sealedKeys): sealed[i] (sealed_len bytes)
 * is the data key of record_ids[i] sealed to the requester. */
int consent_call_release(uint64_t request_id, const uint64_t *record_ids,
			 const uint8_t *const *sealed, size_t sealed_len, size_t n,
			 uint8_t **data, size_t *len, ehr_err *e);

/* releaseDerived(requestId, originalIds, derivedIds, sealedKeys): a research
 * grant's answer. derived_ids[i] is the de-identified copy of
 * original_ids[i] and sealed[i] (ENVELOPE_SEALED_KEY_BYTES) its data key
 * sealed to the requester; derived_ids[i] 0 withholds original_ids[i]
 * (its sealed[i] is not read, an empty key is sent). */
int consent_call_release_derived(uint64_t request_id, const uint64_t *original_ids,
				 const uint64_t *derived_ids, const uint8_t *const *sealed, size_t n,
				 uint8_t **data, size_t *len, ehr_err *e);

/* denyAccess(requestId), denyGrant(grantRequestId). */
int consent_call_deny_access(uint64_t request_id, uint8_t **data, size_t *len, ehr_err *e);
int consent_call_deny_grant(uint64_t grant_request_id, uint8_t **data, size_t *len, ehr_err *e);

/* requestGrant(patient, recordIds, flags, duration, purpose, sealedPurpose). */
int consent_call_request_grant(const uint8_t patient[20], const uint64_t *record_ids, size_t n,
			       uint8_t flags, uint64_t duration, uint8_t purpose,
			       const uint8_t *sealed_purpose, size_t sealed_purpose_len,
			       uint8_t **data, size_t *len, ehr_err *e);

/* approveGrant(grantRequestId, recordIds, sealedKeys): sealed NULL releases
 * nothing (sealedKeys empty), else one key per record. */
int consent_call_approve_grant(uint64_t grant_request_id, const uint64_t *record_ids,
			       const uint8_t *const *sealed, size_t sealed_len, size_t n,
			       uint8_t **data, size_t *len, ehr_err *e);

/* keccak256(abi.encode(recordIds)): what a grant request stores, so the
 * patient's side can check its list before approving. */
int consent_records_hash(const uint64_t *record_ids, size_t n, uint8_t out[32], ehr_err *e);

/* ---- views ---------------------------------------------------------------- */

/* consentOf(grantId); exists is 0 for an id never issued. */
typedef struct consent_grant {
	int exists;
	uint8_t patient[20];
	uint8_t grantee[20];
	uint64_t expiry;
	uint8_t flags;               /* REG_GRANT_*, REG_GRANT_REVOKED once revoked */
	uint8_t purpose;             /* REG_PURPOSE_*, 0 for grants made with grant() */
	uint64_t issued_block;
	uint8_t redeemer[20];
	int active;
} consent_grant;

int consent_grant_of(chain *c, const uint8_t registry[20], uint64_t grant_id,
		     consent_grant *out, ehr_err *e);

/* requestOf(requestId). */
typedef struct consent_request {
	int exists;
	uint8_t patient[20];
	uint64_t grant_id;
	uint8_t requester[20];
	uint64_t requested_block;
	uint8_t status;              /* CONSENT_REQUEST_OPEN or _DENIED */
	int grant_active;
} consent_request;

int consent_request_of(chain *c, const uint8_t registry[20], uint64_t request_id,
		       consent_request *out, ehr_err *e);

/* isRequested(requestId, recordId): requested and not released yet. */
int consent_is_requested(chain *c, const uint8_t registry[20], uint64_t request_id,
			 uint64_t record_id, int *yes, ehr_err *e);

/* grantRequestOf(grantRequestId). */
typedef struct consent_grant_request {
	int exists;
	uint8_t patient[20];
	uint8_t requester[20];
	uint8_t flags;
	uint8_t purpose;
	uint64_t duration;
	uint8_t status;              /* CONSENT_REQUEST_* */
	uint64_t requested_block;
	uint64_t grant_id;           /* 0 until approved */
	uint8_t records_hash[32];
} consent_grant_request;

int consent_grant_request_of(chain *c, const uint8_t registry[20], uint64_t grant_request_id,
			     consent_grant_request *out, ehr_err *e);

/* ---- events --------------------------------------------------------------- */

enum consent_event {
	CONSENT_EV_ACCESS_REQUESTED, CONSENT_EV_KEYS_RELEASED, CONSENT_EV_ACCESS_DENIED,
	CONSENT_EV_GRANT_REQUESTED, CONSENT_EV_GRANT_REQUEST_APPROVED, CONSENT_EV_GRANT_REQUEST_DENIED,
	CONSENT_EV_DERIVED_RELEASED,  /* a research grant's de-identified copies */
	CONSENT_EV_COUNT
};

/* The consent events' signatures and topics 0, indexed by enum
 * consent_event: registry_events_signature, registry_events_topic and
 * registry_events_match (registry.h) read them. */
extern registry_events consent_events;

/* A consent event, decoded (a log that does not parse: EHR_EINTEGRITY).
 * Fields a kind does not have stay zero. Free with consent_event_free. */
typedef struct consent_event_data {
	enum consent_event kind;
	uint8_t patient[20];          /* topic 1 */
	uint8_t requester[20];        /* topic 3: the grantee or the provider asking */
	uint64_t grant_id;            /* topic 2 of the access events; GrantRequestApproved's grant */
	uint64_t grant_request_id;    /* topic 2 of the grant request events */
	uint64_t request_id;          /* AccessRequested, KeysReleased, AccessDenied, DerivedReleased */
	uint64_t *record_ids;         /* AccessRequested, KeysReleased, GrantRequested; DerivedReleased's originals */
	size_t n_ids;
	uint64_t *derived_ids;        /* DerivedReleased: the copy of record_ids[i], 0 when withheld */
	uint8_t flags;                /* GrantRequested */
	uint64_t duration;
	uint8_t purpose;
	const uint8_t *sealed_purpose; /* GrantRequested: sealed to the patient */
	size_t sealed_purpose_len;
	uint64_t block;
	uint64_t log_index;
	uint8_t tx_hash[32];
	struct abi_value *owner;      /* holds what the pointers point into */
} consent_event_data;

int consent_decode_event(const chain_log *log, const uint8_t registry[20],
			 consent_event_data *out, ehr_err *e);
void consent_event_free(consent_event_data *ev);

/* The i-th sealed key of a KeysReleased event (goes with record_ids[i]),
 * or of a DerivedReleased event (goes with derived_ids[i], empty when withheld);
 * NULL for other kinds or past the end. */
const uint8_t *consent_event_sealed_key(const consent_event_data *ev, size_t i, size_t *len);

#endif
