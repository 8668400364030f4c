#include "wallet/registry/release.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wallet/base/array.h"
#include "wallet/chain/abi.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/event_scan.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

/* ---- finding consent events ------------------------------------------------ */

struct scan_ctx {
	const uint8_t *registry;
	consent_scan_cb cb;
	void *ctx;
};

static int scan_log(void *ctx, const chain_log *log)
{
	struct scan_ctx *s = ctx;
	consent_event_data ev;
	int rc;

	if (log->removed || consent_decode_event(log, s->registry, &ev, NULL))
		return 0;
	rc = s->cb(s->ctx, &ev);
	consent_event_free(&ev);
	return rc;
}

int consent_scan(chain *c, const uint8_t registry[20], const struct consent_filter *f,
		 uint64_t from, uint64_t to, consent_scan_cb cb, void *ctx, ehr_err *e)
{
	uint8_t t0[CONSENT_EV_COUNT][32], t1[1][32], t2[1][32], t3[1][32];
	chain_topic topics[4] = { { t0, 0 }, { t1, 0 }, { t2, 0 }, { t3, 0 } };
	struct scan_ctx s = { registry, cb, ctx };
	size_t i;

	for (i = 0; i < f->n_kinds && i < CONSENT_EV_COUNT; i++)
		memcpy(t0[i], registry_events_topic(&consent_events, f->kinds[i]), 32);
	topics[0].n = i;
	if (f->patient)
		event_topic_address(f->patient, t1[0]), topics[1].n = 1;
	if (f->id)
		event_topic_u64(*f->id, t2[0]), topics[2].n = 1;
	if (f->requester)
		event_topic_address(f->requester, t3[0]), topics[3].n = 1;
	return chain_get_logs(c, registry, topics, from, to, scan_log, &s, e);
}

struct find_request {
	uint64_t request_id;
	consent_event_data *out;
	int found;
	ehr_err *e;
};

/* Keeps the AccessRequested event of the request (its own copy of the ids). */
static int find_request_cb(void *ctx, const consent_event_data *ev)
{
	struct find_request *f = ctx;

	if (f->found || ev->kind != CONSENT_EV_ACCESS_REQUESTED || ev->request_id != f->request_id)
		return 0;
	*f->out = *ev;
	f->out->owner = NULL;
	f->out->record_ids = NULL;
	if (ev->n_ids && !(f->out->record_ids = malloc(ev->n_ids * sizeof(uint64_t))))
		return ehr_fail(f->e, EHR_EFAIL, "out of memory");
	if (ev->n_ids)
		memcpy(f->out->record_ids, ev->record_ids, ev->n_ids * sizeof(uint64_t));
	f->found = 1;
	return 0;
}

int consent_find_request(chain *c, const uint8_t registry[20], uint64_t request_id,
			 consent_request *q, consent_event_data *out, ehr_err *e)
{
	static const enum consent_event kind = CONSENT_EV_ACCESS_REQUESTED;
	struct consent_filter f = { &kind, 1, NULL, NULL, NULL };
	struct find_request fr = { request_id, out, 0, e };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = consent_request_of(c, registry, request_id, q, e)))
		return rc;
	if (!q->exists)
		return ehr_fail(e, EHR_EFAIL, "there is no access request %llu", (unsigned long long)request_id);
	f.patient = q->patient;
	f.id = &q->grant_id;
	f.requester = q->requester;
	if ((rc = consent_scan(c, registry, &f, q->requested_block, q->requested_block, find_request_cb, &fr, e)))
		return rc;
	if (!fr.found)
		return ehr_fail(e, EHR_EINTEGRITY, "access request %llu: the node has no AccessRequested event "
				"in block %llu", (unsigned long long)request_id,
				(unsigned long long)q->requested_block);
	return 0;
}

/* ---- the grantee's side ------------------------------------------------------------ */

struct pending {
	uint64_t *req_ids;
	size_t n, cap;
	ehr_err *e;
};

static int pending_cb(void *ctx, const consent_event_data *ev)
{
	struct pending *p = ctx;

	if (ev->kind != CONSENT_EV_ACCESS_REQUESTED)
		return 0;
	if (array_grow((void **)&p->req_ids, &p->cap, p->n + 1, sizeof(*p->req_ids)))
		return ehr_fail(p->e, EHR_EFAIL, "out of memory");
	p->req_ids[p->n++] = ev->request_id;
	return 0;
}

/* Request id is open and asks for every record of ids still. */
static int still_asks(chain *c, const uint8_t registry[20], uint64_t id, const uint64_t *ids, size_t n,
		      int *yes, ehr_err *e)
{
	consent_request q;
	size_t i;
	int rc;

	*yes = 0;
	if ((rc = consent_request_of(c, registry, id, &q, e)) || !q.exists || q.status != CONSENT_REQUEST_OPEN)
		return rc;
	for (i = 0; i < n; i++)
		if ((rc = consent_is_requested(c, registry, id, ids[i], yes, e)) || !*yes)
			return rc;
	return 0;
}

int consent_requests_by(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			uint64_t grant_id, const uint8_t requester[20], uint64_t from,
			uint64_t **ids, size_t *n, ehr_err *e)
{
	static const enum consent_event kind = CONSENT_EV_ACCESS_REQUESTED;
	struct consent_filter f = { &kind, 1, patient, &grant_id, requester };
	struct pending p = { NULL, 0, 0, e };
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = consent_scan(c, registry, &f, from, CHAIN_LATEST, pending_cb, &p, e))) {
		free(p.req_ids);
		return rc;
	}
	*ids = p.req_ids;
	*n = p.n;
	return 0;
}

int consent_pending_request(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			    uint64_t grant_id, const uint8_t requester[20], const uint64_t *ids,
			    size_t n, uint64_t from, uint64_t *request_id, ehr_err *e)
{
	uint64_t *reqs;
	size_t i, nreqs;
	int rc, yes = 0;

	*request_id = 0;
	rc = consent_requests_by(c, registry, patient, grant_id, requester, from, &reqs, &nreqs, e);
	for (i = nreqs; !rc && i-- > 0 && !*request_id;)
		if (!(rc = still_asks(c, registry, reqs[i], ids, n, &yes, e)) && yes)
			*request_id = reqs[i];
	free(reqs);
	return rc;
}

struct answer_scan {
	uint64_t request_id;
	consent_answer *a;
	size_t cap;
	ehr_err *e;
};

static int answer_cb(void *ctx, const consent_event_data *ev)
{
	struct answer_scan *s = ctx;
	consent_answer *a = s->a;
	size_t i, len;

	if (ev->request_id != s->request_id)
		return 0;
	if (ev->kind == CONSENT_EV_ACCESS_DENIED) {
		a->denied = 1;
		return 0;
	}
	if (ev->kind != CONSENT_EV_KEYS_RELEASED && ev->kind != CONSENT_EV_DERIVED_RELEASED)
		return 0;
	for (i = 0; i < ev->n_ids; i++) {
		const uint8_t *k = consent_event_sealed_key(ev, i, &len);
		uint64_t copy = ev->derived_ids ? ev->derived_ids[i] : ev->record_ids[i];
		size_t cap = s->cap, cap2 = s->cap;

		if (copy && (!k || len != ENVELOPE_SEALED_KEY_BYTES))
			continue;
		if (array_grow((void **)&a->record_ids, &s->cap, a->n + 1, sizeof(*a->record_ids)) ||
		    array_grow((void **)&a->sealed, &cap, a->n + 1, sizeof(*a->sealed)) ||
		    array_grow((void **)&a->copy, &cap2, a->n + 1, sizeof(*a->copy)))
			return ehr_fail(s->e, EHR_EFAIL, "out of memory");
		a->record_ids[a->n] = ev->record_ids[i];
		a->copy[a->n] = copy;
		if (copy)
			memcpy(a->sealed[a->n], k, len);
		else
			memset(a->sealed[a->n], 0, sizeof(a->sealed[a->n]));
		a->n++;
	}
	return 0;
}

int consent_answer_of(chain *c, const uint8_t registry[20], const consent_request *q,
		      uint64_t request_id, consent_answer *out, ehr_err *e)
{
	static const enum consent_event kinds[3] = { CONSENT_EV_KEYS_RELEASED, CONSENT_EV_ACCESS_DENIED,
						     CONSENT_EV_DERIVED_RELEASED };
	struct consent_filter f = { kinds, 3, q->patient, &q->grant_id, q->requester };
	struct answer_scan s = { request_id, out, 0, e };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = consent_scan(c, registry, &f, q->requested_block, CHAIN_LATEST, answer_cb, &s, e)))
		consent_answer_free(out);
	return rc;
}

void consent_answer_free(consent_answer *a)
{
	free(a->record_ids);
	free(a->sealed);
	free(a->copy);
	memset(a, 0, sizeof(*a));
}

/* ---- sealing -------------------------------------------------------------------- */

/* covers(grantId, recordId). */
static int grant_covers(chain *c, const uint8_t registry[20], uint64_t grant_id, uint64_t record_id,
			int *yes, ehr_err *e)
{
	abi_value *r = NULL;
	int rc;

	if ((rc = registry_view(c, registry, "covers(uint256,uint256)",
				abi_tuple(2, abi_uint64(grant_id), abi_uint64(record_id)), "(bool)", &r, e)))
		return rc;
	if (abi_get_bool(abi_item(r, 0), yes))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the registry answered covers with nonsense");
	abi_free(r);
	return rc;
}

/* The X25519 key account registered now, checked against the patient's
 * address book (a key that differs from the one pinned is refused). */
static int registered_key(chain *c, const uint8_t registry[20], const uint8_t account[20],
			  sealing_key *k, ehr_err *e)
{
	char who[43];
	int rc;

	if ((rc = contacts_sealing_key(c, registry, account, k, e)))
		return rc;
	if (!k->acct.registered) {
		eip55_format(account, who);
		return ehr_fail(e, EHR_ECHAIN, "%s has no registered encryption key: nothing can be sealed to it",
				who);
	}
	return 0;
}

/* Seals the keys of ids to pk and encodes the call: release (grant request
 * 0) or approveGrant. */
static int seal_and_encode(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			   uint64_t request_id, uint64_t grant_request_id, const uint64_t *ids, size_t n,
			   const uint8_t pk[32], eth_tx *tx, uint8_t **data, ehr_err *e)
{
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = calloc(n ? n : 1, sizeof(*sealed));
	const uint8_t **keys = calloc(n ? n : 1, sizeof(*keys));
	size_t i;
	int rc;

	memset(tx, 0, sizeof(*tx));
	tx->has_to = 1;
	memcpy(tx->to, registry, 20);
	if (!sealed || !keys) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = grant_seal_keys(c, registry, p, ids, n, pk, sealed, e)))
		goto out;
	for (i = 0; i < n; i++)
		keys[i] = sealed[i];
	rc = grant_request_id
		? consent_call_approve_grant(grant_request_id, ids, keys, ENVELOPE_SEALED_KEY_BYTES, n,
					     data, &tx->data_len, e)
		: consent_call_release(request_id, ids, keys, ENVELOPE_SEALED_KEY_BYTES, n, data,
				       &tx->data_len, e);
	if (!rc)
		tx->data = *data;
out:
	free(keys);
	free(sealed);
	return rc;
}

/* ---- the release -------------------------------------------------------------- */

/* The request may be answered by p now: p's, open, its grant active. */
static int release_check(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			 uint64_t request_id, const consent_request *q, consent_grant *gr, ehr_err *e)
{
	char when[40];
	int rc;

	if (memcmp(q->patient, p->address, 20))
		return ehr_fail(e, EHR_ECHAIN, "access request %llu is not to this account: only the patient "
				"whose grant it names can answer it", (unsigned long long)request_id);
	if (q->status == CONSENT_REQUEST_DENIED)
		return ehr_fail(e, EHR_ECHAIN, "access request %llu was denied", (unsigned long long)request_id);
	if ((rc = consent_grant_of(c, registry, q->grant_id, gr, e)))
		return rc;
	if (gr->flags & REG_GRANT_REVOKED)
		return ehr_fail(e, EHR_ECHAIN, "grant %llu was revoked: nothing is released for it",
				(unsigned long long)q->grant_id);
	if (!gr->active) {
		time_format(gr->expiry, when, sizeof(when));
		return ehr_fail(e, EHR_ECHAIN, "grant %llu expired at %s: nothing is released for it",
				(unsigned long long)q->grant_id, when);
	}
	return 0;
}

/* Of the records the request names, those still requested, covered and
 * not erased, into out, each once (a request may name one twice). */
static int release_pick(chain *c, const uint8_t registry[20], const consent_event_data *ev,
			consent_release *out, ehr_err *e)
{
	size_t i;
	int rc, yes;

	if (!(out->record_ids = calloc(ev->n_ids ? ev->n_ids : 1, sizeof(uint64_t))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < ev->n_ids; i++) {
		registry_record_state st;
		uint64_t id = ev->record_ids[i];

		if (array_has_u64(out->record_ids, out->n, id))
			continue;
		if ((rc = consent_is_requested(c, registry, out->request_id, id, &yes, e)))
			return rc;
		if (!yes)
			continue;
		if ((rc = grant_covers(c, registry, out->grant_id, id, &yes, e)) ||
		    (rc = registry_record_of(c, registry, id, &st, e)))
			return rc;
		if (yes && st.exists && !st.erased)
			out->record_ids[out->n++] = id;
	}
	if (!out->n)
		return ehr_fail(e, EHR_EFAIL, "access request %llu: nothing left to release (answered already)",
				(unsigned long long)out->request_id);
	return 0;
}

int consent_release_prepare(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			    uint64_t request_id, consent_release *out, ehr_err *e)
{
	consent_request q;
	consent_grant gr;
	consent_event_data ev;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = consent_find_request(c, registry, request_id, &q, &ev, e)))
		goto out;
	out->request_id = request_id;
	out->grant_id = q.grant_id;
	out->requested_block = q.requested_block;
	memcpy(out->requester, q.requester, 20);
	if ((rc = release_check(c, registry, p, request_id, &q, &gr, e)))
		goto out;
	out->purpose = gr.purpose;
	if (!(rc = release_pick(c, registry, &ev, out, e)))
		rc = registered_key(c, registry, q.requester, &out->to, e);
out:
	consent_event_free(&ev);
	if (rc)
		consent_release_free(out);
	return rc;
}

int consent_release_build(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			  uint64_t request_id, consent_release *out, eth_tx *tx, uint8_t **data,
			  ehr_err *e)
{
	int rc;

	*data = NULL;
	if ((rc = consent_release_prepare(c, registry, p, request_id, out, e)))
		return rc;
	if (out->purpose == REG_PURPOSE_RESEARCH)
		rc = ehr_fail(e, EHR_ECHAIN, "grant %llu is a research grant: it gets de-identified copies, "
			      "never the records' own keys", (unsigned long long)out->grant_id);
	else
		rc = seal_and_encode(c, registry, p, request_id, 0, out->record_ids, out->n,
				     out->to.acct.enc_key, tx, data, e);
	if (rc)
		consent_release_free(out);
	return rc;
}

int consent_request_purpose(chain *c, const uint8_t registry[20], uint64_t request_id, uint8_t *purpose,
			    ehr_err *e)
{
	consent_request q;
	consent_grant gr;
	int rc;

	*purpose = 0;
	if ((rc = consent_request_of(c, registry, request_id, &q, e)))
		return rc;
	if (!q.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no access request %llu", (unsigned long long)request_id);
	if (!(rc = consent_grant_of(c, registry, q.grant_id, &gr, e)))
		*purpose = gr.purpose;
	return rc;
}

void consent_release_free(consent_release *r)
{
	free(r->record_ids);
	r->record_ids = NULL;
	r->n = 0;
}

/* ---- approving a grant request -------------------------------------------------- */

struct find_grant_request {
	uint64_t id;
	uint64_t *ids;
	size_t n;
	int found;
	ehr_err *e;
};

static int find_grant_request_cb(void *ctx, const consent_event_data *ev)
{
	struct find_grant_request *f = ctx;

	if (f->found || ev->kind != CONSENT_EV_GRANT_REQUESTED || ev->grant_request_id != f->id)
		return 0;
	if (ev->n_ids && !(f->ids = malloc(ev->n_ids * sizeof(uint64_t))))
		return ehr_fail(f->e, EHR_EFAIL, "out of memory");
	if (ev->n_ids)
		memcpy(f->ids, ev->record_ids, ev->n_ids * sizeof(uint64_t));
	f->n = ev->n_ids;
	f->found = 1;
	return 0;
}

struct all_records {
	uint64_t *ids;
	size_t n, cap;
	ehr_err *e;
};

static int all_records_cb(void *ctx, const registry_record *r, int erased)
{
	struct all_records *a = ctx;

	if (erased)
		return 0;
	if (array_grow((void **)&a->ids, &a->cap, a->n + 1, sizeof(*a->ids)))
		return ehr_fail(a->e, EHR_EFAIL, "out of memory");
	a->ids[a->n++] = r->id;
	return 0;
}

int consent_patient_records(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			    uint64_t **ids, size_t *n, ehr_err *e)
{
	struct all_records all = { NULL, 0, 0, e };
	int rc;

	*ids = NULL;
	*n = 0;
	if ((rc = records_of_patient(c, registry, patient, all_records_cb, &all, e))) {
		free(all.ids);
		return rc;
	}
	*ids = all.ids;
	*n = all.n;
	return 0;
}

/* The records an approval names: the request's list, checked against the
 * hash the contract keeps; for GRANT_ALL every record of p's not erased. */
static int approval_records(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			    const consent_grant_request *q, consent_approval *out, ehr_err *e)
{
	static const enum consent_event kind = CONSENT_EV_GRANT_REQUESTED;
	struct consent_filter f = { &kind, 1, q->patient, &out->grant_request_id, q->requester };
	struct find_grant_request fr = { out->grant_request_id, NULL, 0, 0, e };
	uint8_t hash[32];
	int rc;

	if (q->flags & REG_GRANT_ALL)
		return consent_patient_records(c, registry, p->address, &out->record_ids, &out->n, e);
	if ((rc = consent_scan(c, registry, &f, q->requested_block, q->requested_block,
			       find_grant_request_cb, &fr, e)))
		return free(fr.ids), rc;
	if (!fr.found)
		return ehr_fail(e, EHR_EINTEGRITY, "grant request %llu: the node has no GrantRequested event "
				"in block %llu", (unsigned long long)out->grant_request_id,
				(unsigned long long)q->requested_block);
	out->record_ids = fr.ids;
	out->n = fr.n;
	if ((rc = consent_records_hash(fr.ids, fr.n, hash, e)))
		return rc;
	if (memcmp(hash, q->records_hash, 32))
		return ehr_fail(e, EHR_EINTEGRITY, "grant request %llu: its records do not match what the "
				"registry keeps", (unsigned long long)out->grant_request_id);
	return 0;
}

/* A research grant request is approved without keys (the registry refuses
 * them): its grantee's requests are answered with de-identified copies. */
static int approve_without_keys(const uint8_t registry[20], consent_approval *out, eth_tx *tx,
				uint8_t **data, ehr_err *e)
{
	int rc;

	memset(tx, 0, sizeof(*tx));
	tx->has_to = 1;
	memcpy(tx->to, registry, 20);
	out->n_released = 0;
	if (!(rc = consent_call_approve_grant(out->grant_request_id, out->record_ids, NULL, 0, out->n, data,
					      &tx->data_len, e)))
		tx->data = *data;
	return rc;
}

int consent_approval_build(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			   uint64_t grant_request_id, consent_approval *out, eth_tx *tx,
			   uint8_t **data, ehr_err *e)
{
	consent_grant_request q;
	int rc;

	memset(out, 0, sizeof(*out));
	*data = NULL;
	out->grant_request_id = grant_request_id;
	if ((rc = consent_grant_request_of(c, registry, grant_request_id, &q, e)))
		return rc;
	if (!q.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no grant request %llu", (unsigned long long)grant_request_id);
	if (memcmp(q.patient, p->address, 20))
		return ehr_fail(e, EHR_ECHAIN, "grant request %llu is not to this account: only the patient it "
				"names can answer it", (unsigned long long)grant_request_id);
	if (q.status != CONSENT_REQUEST_OPEN)
		return ehr_fail(e, EHR_ECHAIN, "grant request %llu was %s already", (unsigned long long)grant_request_id,
				q.status == CONSENT_REQUEST_APPROVED ? "approved" : "denied");
	memcpy(out->requester, q.requester, 20);
	out->flags = q.flags;
	out->purpose = q.purpose;
	out->duration = q.duration;
	if (!(rc = approval_records(c, registry, p, &q, out, e)) &&
	    !(rc = registered_key(c, registry, q.requester, &out->to, e))) {
		out->n_released = out->n;
		if (q.purpose == REG_PURPOSE_RESEARCH)
			rc = approve_without_keys(registry, out, tx, data, e);
		else
			rc = seal_and_encode(c, registry, p, 0, grant_request_id, out->record_ids, out->n,
					     out->to.acct.enc_key, tx, data, e);
	}
	if (rc)
		consent_approval_free(out);
	return rc;
}

void consent_approval_free(consent_approval *a)
{
	free(a->record_ids);
	a->record_ids = NULL;
	a->n = 0;
}
