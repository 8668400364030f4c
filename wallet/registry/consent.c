#include "wallet/registry/consent.h"

#include <stdlib.h>
#include <string.h>

#include "wallet/chain/abi.h"
#include "wallet/keys/keccak.h"
#include "wallet/vault/envelope.h"

static const char *const purpose_names[] = { NULL, "treatment", "emergency", "research", "payment" };
#define N_PURPOSES (sizeof(purpose_names) / sizeof(purpose_names[0]))

const char *consent_purpose_name(uint8_t purpose)
{
	return purpose < N_PURPOSES ? purpose_names[purpose] : NULL;
}

uint8_t consent_purpose_parse(const char *word)
{
	size_t i;

	for (i = 1; word && i < N_PURPOSES; i++)
		if (!strcmp(word, purpose_names[i]))
			return (uint8_t)i;
	return 0;
}

static int check_purpose(uint8_t purpose, ehr_err *e)
{
	if (!consent_purpose_name(purpose))
		return ehr_fail(e, EHR_EUSAGE, "the purpose of use must be treatment, emergency, research or payment");
	return 0;
}

/* ---- call data ------------------------------------------------------------- */

int consent_call_grant_access(const uint8_t grantee[20], uint64_t expiry, uint8_t flags,
			      uint8_t purpose, const uint64_t *record_ids, size_t n,
			      uint8_t **data, size_t *len, ehr_err *e)
{
	int rc;

	if ((rc = check_purpose(purpose, e)))
		return rc;
	return registry_encode("grantAccess(address,uint64,uint8,uint8,uint256[])",
			       abi_tuple(5, abi_address(grantee), abi_uint64(expiry), abi_uint64(flags),
					 abi_uint64(purpose), registry_id_array(record_ids, n)),
			       data, len, e);
}

int consent_call_add_records(uint64_t grant_id, const uint64_t *record_ids, size_t n,
			     uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode_keyed("addGrantKeys(uint256,uint256[],bytes[])", grant_id, record_ids,
				     NULL, 0, n, data, len, e);
}

int consent_call_request_access(const uint8_t patient[20], uint64_t grant_id,
				const uint64_t *record_ids, size_t n,
				uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("requestAccess(address,uint256,uint256[])",
			       abi_tuple(3, abi_address(patient), abi_uint64(grant_id),
					 registry_id_array(record_ids, n)),
			       data, len, e);
}

int consent_call_release(uint64_t request_id, const uint64_t *record_ids,
			 const uint8_t *const *sealed, size_t sealed_len, size_t n,
			 uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode_keyed("release(uint256,uint256[],bytes[])", request_id, record_ids,
				     sealed, sealed_len, n, data, len, e);
}

int consent_call_release_derived(uint64_t request_id, const uint64_t *original_ids,
				 const uint64_t *derived_ids, const uint8_t *const *sealed, size_t n,
				 uint8_t **data, size_t *len, ehr_err *e)
{
	abi_value *keys = abi_array_new();
	size_t i;

	for (i = 0; keys && i < n; i++)
		abi_push(keys, derived_ids[i] ? abi_bytes(sealed[i], ENVELOPE_SEALED_KEY_BYTES) : abi_bytes(NULL, 0));
	return registry_encode("releaseDerived(uint256,uint256[],uint256[],bytes[])",
			       abi_tuple(4, abi_uint64(request_id), registry_id_array(original_ids, n),
					 registry_id_array(derived_ids, n), keys),
			       data, len, e);
}

int consent_call_deny_access(uint64_t request_id, uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("denyAccess(uint256)", abi_tuple(1, abi_uint64(request_id)), data, len, e);
}

int consent_call_deny_grant(uint64_t grant_request_id, uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode("denyGrant(uint256)", abi_tuple(1, abi_uint64(grant_request_id)), data, len, e);
}

int consent_call_request_grant(const uint8_t patient[20], const uint64_t *record_ids, size_t n,
			       uint8_t flags, uint64_t duration, uint8_t purpose,
			       const uint8_t *sealed_purpose, size_t sealed_purpose_len,
			       uint8_t **data, size_t *len, ehr_err *e)
{
	int rc;

	if ((rc = check_purpose(purpose, e)))
		return rc;
	if (flags & ~CONSENT_REQUEST_FLAGS)
		return ehr_fail(e, EHR_EUSAGE, "a provider may ask for read or read+write access, over records or all");
	if (duration == 0 || duration > CONSENT_MAX_DURATION)
		return ehr_fail(e, EHR_EUSAGE, "the duration must be more than 0 and at most 100 years");
	if (sealed_purpose_len > CONSENT_NOTE_MAX)
		return ehr_fail(e, EHR_EUSAGE, "the sealed purpose is longer than %d bytes", CONSENT_NOTE_MAX);
	return registry_encode("requestGrant(address,uint256[],uint8,uint64,uint8,bytes)",
			       abi_tuple(6, abi_address(patient), registry_id_array(record_ids, n),
					 abi_uint64(flags), abi_uint64(duration), abi_uint64(purpose),
					 abi_bytes(sealed_purpose, sealed_purpose ? sealed_purpose_len : 0)),
			       data, len, e);
}

int consent_call_approve_grant(uint64_t grant_request_id, const uint64_t *record_ids,
			       const uint8_t *const *sealed, size_t sealed_len, size_t n,
			       uint8_t **data, size_t *len, ehr_err *e)
{
	return registry_encode_keyed("approveGrant(uint256,uint256[],bytes[])", grant_request_id,
				     record_ids, sealed, sealed_len, n, data, len, e);
}

int consent_records_hash(const uint64_t *record_ids, size_t n, uint8_t out[32], ehr_err *e)
{
	abi_value *args = abi_tuple(1, registry_id_array(record_ids, n));
	uint8_t *enc = NULL;
	size_t len;
	int rc;

	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode("(uint256[])", args, &enc, &len, e);
	abi_free(args);
	if (!rc)
		keccak256(enc, len, out);
	free(enc);
	return rc;
}

/* ---- views ----------------------------------------------------------------- */

static int is_zero20(const uint8_t a[20])
{
	return !memcmp(a, (const uint8_t[20]){ 0 }, 20);
}

int consent_grant_of(chain *c, const uint8_t registry[20], uint64_t grant_id,
		     consent_grant *out, ehr_err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_view_read(c, registry, "consentOf(uint256)", abi_tuple(1, abi_uint64(grant_id)),
				     "(address,address,uint64,uint8,uint8,uint64,address,bool)", e,
				     out->patient, out->grantee, &out->expiry, &out->flags, &out->purpose,
				     &out->issued_block, out->redeemer, &out->active)))
		return rc;
	out->exists = !is_zero20(out->patient);
	return 0;
}

int consent_request_of(chain *c, const uint8_t registry[20], uint64_t request_id,
		       consent_request *out, ehr_err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_view_read(c, registry, "requestOf(uint256)", abi_tuple(1, abi_uint64(request_id)),
				     "(address,uint256,address,uint64,uint8,bool)", e, out->patient,
				     &out->grant_id, out->requester, &out->requested_block, &out->status,
				     &out->grant_active)))
		return rc;
	out->exists = !is_zero20(out->requester);
	return 0;
}

int consent_is_requested(chain *c, const uint8_t registry[20], uint64_t request_id,
			 uint64_t record_id, int *yes, ehr_err *e)
{
	return registry_view_read(c, registry, "isRequested(uint256,uint256)",
				  abi_tuple(2, abi_uint64(request_id), abi_uint64(record_id)), "(bool)", e, yes);
}

int consent_grant_request_of(chain *c, const uint8_t registry[20], uint64_t grant_request_id,
			     consent_grant_request *out, ehr_err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_view_read(c, registry, "grantRequestOf(uint256)",
				     abi_tuple(1, abi_uint64(grant_request_id)),
				     "(address,address,uint8,uint8,uint64,uint8,uint64,uint256,bytes32)", e,
				     out->patient, out->requester, &out->flags, &out->purpose, &out->duration,
				     &out->status, &out->requested_block, &out->grant_id, out->records_hash)))
		return rc;
	out->exists = !is_zero20(out->requester);
	return 0;
}

/* ---- events ---------------------------------------------------------------- */

static const char *const event_sigs[CONSENT_EV_COUNT] = {
	"AccessRequested(address,uint256,address,uint256,uint256[])",
	"KeysReleased(address,uint256,address,uint256,uint256[],bytes[])",
	"AccessDenied(address,uint256,address,uint256)",
	"GrantRequested(address,uint256,address,uint8,uint64,uint8,uint256[],bytes)",
	"GrantRequestApproved(address,uint256,address,uint256)",
	"GrantRequestDenied(address,uint256,address)",
	"DerivedReleased(address,uint256,address,uint256,uint256[],uint256[],bytes[])",
};

/* The non-indexed parameters of each, as abi_decode reads the data. */
static const char *const event_data[CONSENT_EV_COUNT] = {
	"(uint256,uint256[])",
	"(uint256,uint256[],bytes[])",
	"(uint256)",
	"(uint8,uint64,uint8,uint256[],bytes)",
	"(uint256)",
	"()",
	"(uint256,uint256[],uint256[],bytes[])",
};

static uint8_t event_topics[CONSENT_EV_COUNT][32];
registry_events consent_events = { event_sigs, CONSENT_EV_COUNT, event_topics, 0 };

/* Topics 1..3 are (address patient, uint256 id, address requester) in
 * every consent event; the id is a grant's or a grant request's. */
static int decode_topics(const chain_log *log, consent_event_data *out, uint64_t *id)
{
	if (log->n_topics != 4 || registry_topic_address(log->topics[1], out->patient) ||
	    registry_topic_u64(log->topics[2], id) || registry_topic_address(log->topics[3], out->requester))
		return -1;
	return 0;
}

static int ids_of(const abi_value *arr, consent_event_data *out)
{
	return registry_ids_of(arr, &out->record_ids, &out->n_ids);
}

/* A uint8 item; -1 when it is not one. */
static int get_u8(const abi_value *v, uint8_t *out)
{
	uint64_t x;

	if (abi_get_u64(v, &x) || x > 255)
		return -1;
	*out = (uint8_t)x;
	return 0;
}

/* The data fields of each kind from the decoded tuple v. */
static int decode_fields(const abi_value *v, consent_event_data *out)
{
	size_t n;

	switch (out->kind) {
	case CONSENT_EV_ACCESS_REQUESTED:
		return abi_get_u64(abi_item(v, 0), &out->request_id) || ids_of(abi_item(v, 1), out) ? -1 : 0;
	case CONSENT_EV_KEYS_RELEASED:
		return abi_get_u64(abi_item(v, 0), &out->request_id) || ids_of(abi_item(v, 1), out) ||
		       abi_count(abi_item(v, 2)) != out->n_ids ? -1 : 0;
	case CONSENT_EV_ACCESS_DENIED:
		return abi_get_u64(abi_item(v, 0), &out->request_id) ? -1 : 0;
	case CONSENT_EV_GRANT_REQUESTED:
		if (get_u8(abi_item(v, 0), &out->flags) || abi_get_u64(abi_item(v, 1), &out->duration) ||
		    get_u8(abi_item(v, 2), &out->purpose) || ids_of(abi_item(v, 3), out))
			return -1;
		out->sealed_purpose = abi_get_bytes(abi_item(v, 4), &out->sealed_purpose_len);
		return out->sealed_purpose ? 0 : -1;
	case CONSENT_EV_DERIVED_RELEASED:
		if (abi_get_u64(abi_item(v, 0), &out->request_id) || ids_of(abi_item(v, 1), out) ||
		    registry_ids_of(abi_item(v, 2), &out->derived_ids, &n) || n != out->n_ids ||
		    abi_count(abi_item(v, 3)) != out->n_ids)
			return -1;
		return 0;
	case CONSENT_EV_GRANT_REQUEST_APPROVED:
		return abi_get_u64(abi_item(v, 0), &out->grant_id) ? -1 : 0;
	default:  /* GrantRequestDenied: no data */
		return 0;
	}
}

void consent_event_free(consent_event_data *ev)
{
	free(ev->record_ids);
	ev->record_ids = NULL;
	free(ev->derived_ids);
	ev->derived_ids = NULL;
	ev->n_ids = 0;
	abi_free(ev->owner);
	ev->owner = NULL;
	ev->sealed_purpose = NULL;
}

int consent_decode_event(const chain_log *log, const uint8_t registry[20],
			 consent_event_data *out, ehr_err *e)
{
	abi_value *v = NULL;
	uint64_t id = 0;
	int kind = registry_events_match(&consent_events, log, registry);

	memset(out, 0, sizeof(*out));
	if (kind < 0)
		return ehr_fail(e, EHR_EINTEGRITY, "not a consent event");
	out->kind = (enum consent_event)kind;
	out->block = log->block_number;
	out->log_index = log->log_index;
	memcpy(out->tx_hash, log->tx_hash, 32);
	if (decode_topics(log, out, &id))
		goto bad;
	if (kind <= CONSENT_EV_ACCESS_DENIED || kind == CONSENT_EV_DERIVED_RELEASED)
		out->grant_id = id;
	else
		out->grant_request_id = id;
	if (kind != CONSENT_EV_GRANT_REQUEST_DENIED &&
	    abi_decode(event_data[kind], log->data, log->data_len, &v, NULL))
		goto bad;
	if (decode_fields(v, out))
		goto bad;
	out->owner = v;
	return 0;
bad:
	abi_free(v);
	consent_event_free(out);
	return registry_events_malformed(&consent_events, kind, log, e);
}

const uint8_t *consent_event_sealed_key(const consent_event_data *ev, size_t i, size_t *len)
{
	if (ev->kind != CONSENT_EV_KEYS_RELEASED && ev->kind != CONSENT_EV_DERIVED_RELEASED)
		return NULL;
	return abi_get_bytes(abi_item(abi_item(ev->owner, ev->kind == CONSENT_EV_KEYS_RELEASED ? 2 : 3), i), len);
}
