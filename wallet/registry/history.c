#include "wallet/registry/history.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/array.h"
#include "wallet/keys/keyholder.h"
#include "wallet/registry/event_scan.h"
#include "wallet/registry/release.h"

static const char *const event_words[] = {
	[REG_EV_KEY_REGISTERED] = "key registered",
	[REG_EV_RECORD_ANCHORED] = "record added",
	[REG_EV_RECORD_ERASED] = "record erased",
	[REG_EV_CHUNK_STORED] = "chunk stored",
	[REG_EV_GRANT_ISSUED] = "grant issued",
	[REG_EV_GRANT_KEYS_ADDED] = "grant keys added",
	[REG_EV_GRANT_REVOKED] = "grant revoked",
	[REG_EV_BEARER_REDEEMED] = "bearer redeemed",
	[REG_EV_ACCESS_LOGGED] = "access",
	[REG_EV_INVOICE_ISSUED] = "invoice issued",
	[REG_EV_INVOICE_PAID] = "invoice paid",
	[REG_EV_INVOICE_CANCELLED] = "invoice cancelled",
	[HISTORY_EXPIRED] = "grant expired",
	[HISTORY_CONSENT + CONSENT_EV_ACCESS_REQUESTED] = "access requested",
	[HISTORY_CONSENT + CONSENT_EV_KEYS_RELEASED] = "keys released",
	[HISTORY_CONSENT + CONSENT_EV_ACCESS_DENIED] = "access denied",
	[HISTORY_CONSENT + CONSENT_EV_GRANT_REQUESTED] = "grant requested",
	[HISTORY_CONSENT + CONSENT_EV_GRANT_REQUEST_APPROVED] = "grant request approved",
	[HISTORY_CONSENT + CONSENT_EV_GRANT_REQUEST_DENIED] = "grant request denied",
	[HISTORY_CONSENT + CONSENT_EV_DERIVED_RELEASED] = "de-identified released",
};

const char *history_event_words(int kind)
{
	return kind >= 0 && kind < HISTORY_KINDS ? event_words[kind] : "?";
}

void history_iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%llu", (unsigned long long)t);
}

static int oom(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

/* ---- reading the events ---------------------------------------------------- */

enum scan_kind { SCAN_PATIENT, SCAN_PARTY, SCAN_TITLES };

struct scan {
	history *h;
	enum scan_kind kind;
	ehr_err *e;
};

static history_rec *rec_add(history *h, uint64_t id, const uint8_t *meta, size_t meta_len,
			    const uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES])
{
	history_rec *r;

	if (array_grow((void **)&h->recs, &h->caprecs, h->nrecs + 1, sizeof(*h->recs)))
		return NULL;
	r = &h->recs[h->nrecs];
	memset(r, 0, sizeof(*r));
	r->id = id;
	if (!(r->meta = malloc(meta_len ? meta_len : 1)))
		return NULL;
	memcpy(r->meta, meta, meta_len);
	r->meta_len = meta_len;
	memcpy(r->sealed, sealed, sizeof(r->sealed));
	r->has_key = true;
	h->nrecs++;
	return r;
}

static history_rec *rec_find(const history *h, uint64_t id)
{
	return array_find(&id, h->recs, h->nrecs, sizeof(*h->recs), array_cmp_u64);
}

static const history_key *gkey_find(const history *h, uint64_t id)
{
	return array_find(&id, h->gkeys, h->ngkeys, sizeof(*h->gkeys), array_cmp_u64);
}

/* A record granted to this account, in another patient's chart. */
static int take_granted_meta(history *h, const registry_event_data *ev, ehr_err *e)
{
	const registry_record *r = &ev->record;
	const history_key *k;

	if (ev->kind != REG_EV_RECORD_ANCHORED || !(k = gkey_find(h, r->id)) ||
	    memcmp(k->patient, r->patient, 20))
		return 0;
	return rec_add(h, r->id, r->meta, r->meta_len, k->sealed) ? 0 : oom(e);
}

/* The row's share of ev: what the printers and the FHIR export need. */
static int take_row(history *h, const registry_event_data *ev, ehr_err *e)
{
	history_row *w;

	if (array_grow((void **)&h->rows, &h->caprows, h->nrows + 1, sizeof(*h->rows)))
		return oom(e);
	w = &h->rows[h->nrows];
	memset(w, 0, sizeof(*w));
	w->kind = (int)ev->kind;
	w->block = ev->block;
	w->log_index = ev->log_index;
	w->gi = -1;
	memcpy(w->tx, ev->tx_hash, 32);
	memcpy(w->patient, ev->patient, 20);
	memcpy(w->party, ev->party, 20);
	w->has_party = ev->kind != REG_EV_KEY_REGISTERED && ev->kind != REG_EV_RECORD_ERASED;
	switch (ev->kind) {
	case REG_EV_RECORD_ANCHORED:
		w->grant = ev->record.grant_id;
		/* fall through */
	case REG_EV_RECORD_ERASED:
		if (!(w->records = malloc(sizeof(*w->records))))
			return oom(e);
		w->records[0] = ev->id;
		w->n_records = 1;
		break;
	case REG_EV_GRANT_ISSUED:
	case REG_EV_GRANT_KEYS_ADDED:
	case REG_EV_ACCESS_LOGGED:
		if (ev->n_ids) {
			if (!(w->records = malloc(ev->n_ids * sizeof(*w->records))))
				return oom(e);
			memcpy(w->records, ev->record_ids, ev->n_ids * sizeof(*w->records));
		}
		w->n_records = ev->n_ids;
		w->grant = ev->id;
		w->expiry = ev->expiry;
		w->flags = ev->flags;
		break;
	case REG_EV_GRANT_REVOKED:
	case REG_EV_BEARER_REDEEMED:
		w->grant = ev->id;
		break;
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_INVOICE_PAID:
	case REG_EV_INVOICE_CANCELLED:
		w->invoice = ev->id;
		memcpy(w->token, ev->token, 20);
		w->amount = ev->amount;
		w->due = ev->due;
		break;
	default:
		break;
	}
	h->nrows++;
	return 0;
}

/* Keeps a data key sealed to this account (of a grant or a release);
 * one of the wrong size is passed over. -1 when memory runs out. */
static int add_gkey(history *h, uint64_t id, const uint8_t patient[20], const uint8_t *k, size_t len)
{
	if (!k || len != ENVELOPE_SEALED_KEY_BYTES)
		return 0;
	if (array_grow((void **)&h->gkeys, &h->capgkeys, h->ngkeys + 1, sizeof(*h->gkeys)))
		return -1;
	h->gkeys[h->ngkeys].id = id;
	memcpy(h->gkeys[h->ngkeys].patient, patient, 20);
	memcpy(h->gkeys[h->ngkeys].sealed, k, len);
	h->ngkeys++;
	return 0;
}

/* The data keys ev holds for this account. The same log can come from
 * both scans (a patient's own record names the patient twice): take keys
 * from one scan only. */
static int take_keys(history *h, enum scan_kind kind, const registry_event_data *ev, ehr_err *e)
{
	const registry_record *r = &ev->record;
	size_t i, len;

	if (ev->kind == REG_EV_RECORD_ANCHORED) {
		const uint8_t *sealed = NULL;

		len = 0;
		if (kind == SCAN_PATIENT && !memcmp(r->patient, h->me, 20)) {
			sealed = r->patient_key;
			len = r->patient_key_len;
		} else if (kind == SCAN_PARTY && memcmp(r->patient, h->me, 20) && !memcmp(r->author, h->me, 20)) {
			sealed = r->author_key;
			len = r->author_key_len;
		}
		if (sealed && len == ENVELOPE_SEALED_KEY_BYTES && !rec_add(h, r->id, r->meta, r->meta_len, sealed))
			return oom(e);
	}
	if ((ev->kind != REG_EV_GRANT_ISSUED && ev->kind != REG_EV_GRANT_KEYS_ADDED) ||
	    kind != SCAN_PARTY || memcmp(ev->party, h->me, 20))
		return 0;
	for (i = 0; i < ev->n_ids; i++) {
		const uint8_t *k = registry_event_sealed_key(ev, i, &len);

		if (add_gkey(h, ev->record_ids[i], ev->patient, k, len))
			return oom(e);
	}
	return 0;
}

static int on_event(void *ctx, const registry_event_data *ev)
{
	struct scan *s = ctx;
	int rc;

	if (s->kind == SCAN_TITLES)
		return take_granted_meta(s->h, ev, s->e);
	if (ev->kind == REG_EV_CHUNK_STORED)
		return 0;
	if ((rc = take_row(s->h, ev, s->e)))
		return rc;
	return take_keys(s->h, s->kind, ev, s->e);
}

/* Patients whose charts this account may have written to: a record of
 * another patient names its author only under a write grant the author
 * holds (as grantee, or as the redeemer of a bearer grant). From the rows
 * of the party scan; topics in *out (malloc'd), their count returned. */
static size_t write_patients(const history *h, size_t first_row, uint8_t (**out)[32])
{
	size_t i, j, n = 0;

	*out = NULL;
	for (i = first_row; i < h->nrows; i++) {
		const history_row *w = &h->rows[i];

		if (!((w->kind == REG_EV_GRANT_ISSUED && (w->flags & REG_GRANT_WRITE)) ||
		      w->kind == REG_EV_BEARER_REDEEMED) || !memcmp(w->patient, h->me, 20))
			continue;
		if (!*out && !(*out = calloc(h->nrows - first_row, 32)))
			return 0;
		for (j = 0; j < n && memcmp((*out)[j] + 12, w->patient, 20); j++)
			;
		if (j == n)
			event_topic_address(w->patient, (*out)[n++]);
	}
	return n;
}

static int scan(history *h, const chain_topic topics[4], enum scan_kind kind, ehr_err *e)
{
	struct scan s = { h, kind, e };

	return event_scan(h->c, h->registry, topics, 0, h->head, on_event, &s, &h->skipped, e);
}

/* The history: every event but ChunkStored with this account as topic 1
 * (the patient); then as topic 3 (the other party), all but RecordAnchored,
 * whose topic 3 is the author, so a patient's own records would come twice;
 * then the records this account wrote into other patients' charts, which
 * only write grants allow: RecordAnchored with topic 3 = this account and
 * topic 1 = a patient who gave it one. All end at the same head. */
static int scan_history(history *h, ehr_err *e)
{
	uint8_t t0[REG_EV_COUNT][32], me[1][32], (*patients)[32] = NULL;
	chain_topic topics[4];
	size_t n = 0, np, party_rows;
	int k, rc;

	for (k = 0; k < REG_EV_COUNT; k++)
		if (k != REG_EV_CHUNK_STORED && k != REG_EV_RECORD_ANCHORED)
			memcpy(t0[n++], registry_event_topic((enum registry_event)k), 32);
	memcpy(t0[n++], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	event_topic_address(h->me, me[0]);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = (const uint8_t (*)[32])t0;
	topics[0].n = n;
	topics[1].any_of = (const uint8_t (*)[32])me;
	topics[1].n = 1;
	if ((rc = scan(h, topics, SCAN_PATIENT, e)))
		return rc;
	party_rows = h->nrows;
	topics[0].n = n - 1;  /* RecordAnchored is last */
	topics[1].n = 0;
	topics[1].any_of = NULL;
	topics[3].any_of = (const uint8_t (*)[32])me;
	topics[3].n = 1;
	if ((rc = scan(h, topics, SCAN_PARTY, e)))
		return rc;
	if (!(np = write_patients(h, party_rows, &patients)))
		return 0;
	topics[0].any_of = (const uint8_t (*)[32])t0 + (n - 1);
	topics[0].n = 1;
	topics[1].any_of = (const uint8_t (*)[32])patients;
	topics[1].n = np;
	rc = scan(h, topics, SCAN_PARTY, e);
	free(patients);
	return rc;
}

/* The data keys a release to this account carries, for the titles. */
static int take_released_keys(history *h, const consent_event_data *ev, ehr_err *e)
{
	size_t i, len;

	for (i = 0; i < ev->n_ids; i++) {
		const uint8_t *k = consent_event_sealed_key(ev, i, &len);

		if (add_gkey(h, ev->record_ids[i], ev->patient, k, len))
			return oom(e);
	}
	return 0;
}

/* A consent event as a row: the requester is the other party; the grant
 * (access events, an approval's grant) links it to its grant. */
static int take_consent_row(void *ctx, const consent_event_data *ev)
{
	struct scan *sc = ctx;
	history *h = sc->h;
	history_row *w;

	if (array_grow((void **)&h->rows, &h->caprows, h->nrows + 1, sizeof(*h->rows)))
		return oom(sc->e);
	w = &h->rows[h->nrows];
	memset(w, 0, sizeof(*w));
	w->kind = HISTORY_CONSENT + (int)ev->kind;
	w->block = ev->block;
	w->log_index = ev->log_index;
	w->gi = -1;
	memcpy(w->tx, ev->tx_hash, 32);
	memcpy(w->patient, ev->patient, 20);
	memcpy(w->party, ev->requester, 20);
	w->has_party = true;
	w->grant = ev->grant_id;
	if (ev->n_ids) {
		if (!(w->records = malloc(ev->n_ids * sizeof(*w->records))))
			return oom(sc->e);
		memcpy(w->records, ev->record_ids, ev->n_ids * sizeof(*w->records));
		w->n_records = ev->n_ids;
	}
	h->nrows++;
	if (ev->derived_ids && ev->n_ids) {
		if (!(w->derived = malloc(ev->n_ids * sizeof(*w->derived))))
			return oom(sc->e);
		memcpy(w->derived, ev->derived_ids, ev->n_ids * sizeof(*w->derived));
	}
	return ev->kind == CONSENT_EV_KEYS_RELEASED && !memcmp(ev->requester, h->me, 20)
		? take_released_keys(h, ev, sc->e) : 0;
}

/* The consent events with this account as the patient, then as the
 * requester (merge_rows drops a log both scans bring). */
static int scan_consent(history *h, ehr_err *e)
{
	static const enum consent_event kinds[] = {
		CONSENT_EV_ACCESS_REQUESTED, CONSENT_EV_KEYS_RELEASED, CONSENT_EV_ACCESS_DENIED,
		CONSENT_EV_GRANT_REQUESTED, CONSENT_EV_GRANT_REQUEST_APPROVED, CONSENT_EV_GRANT_REQUEST_DENIED,
		CONSENT_EV_DERIVED_RELEASED };
	struct consent_filter f = { kinds, sizeof(kinds) / sizeof(kinds[0]), NULL, NULL, NULL };
	struct scan s = { h, SCAN_PATIENT, e };
	int rc;

	f.patient = h->me;
	if ((rc = consent_scan(h->c, h->registry, &f, 0, h->head, take_consent_row, &s, e)))
		return rc;
	f.patient = NULL;
	f.requester = h->me;
	return consent_scan(h->c, h->registry, &f, 0, h->head, take_consent_row, &s, e);
}

/* ---- putting the history in order ------------------------------------------ */

static int row_cmp(const void *pa, const void *pb)
{
	const history_row *x = pa, *y = pb;

	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	if (x->log_index != y->log_index)
		return x->log_index < y->log_index ? -1 : 1;
	return 0;
}

/* By time; at the same second a synthesised expiry comes first (a grant is
 * over in a block whose timestamp equals its expiry), then chain order. */
static int row_time_cmp(const void *pa, const void *pb)
{
	const history_row *x = pa, *y = pb;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((x->kind == HISTORY_EXPIRED) != (y->kind == HISTORY_EXPIRED))
		return x->kind == HISTORY_EXPIRED ? -1 : 1;
	if (x->kind == HISTORY_EXPIRED)
		return x->grant < y->grant ? -1 : x->grant > y->grant;
	return row_cmp(pa, pb);
}

static void row_free(history_row *w)
{
	free(w->records);
	w->records = NULL;
	free(w->derived);
	w->derived = NULL;
}

/* Sorts the rows in chain order and drops the copies the second scan
 * brought. */
static void merge_rows(history *h)
{
	size_t i, k = 0;

	array_sort(h->rows, h->nrows, sizeof(*h->rows), row_cmp);
	for (i = 0; i < h->nrows; i++) {
		if (k && !row_cmp(&h->rows[k - 1], &h->rows[i])) {
			row_free(&h->rows[i]);
			continue;
		}
		h->rows[k++] = h->rows[i];
	}
	h->nrows = k;
	array_sort(h->recs, h->nrecs, sizeof(*h->recs), array_cmp_u64);
	array_sort(h->gkeys, h->ngkeys, sizeof(*h->gkeys), array_cmp_u64);
}

/* Every distinct block's time, and the head's, in one batch. */
static int stamp_rows(history *h, ehr_err *e)
{
	uint64_t *blocks = malloc((h->nrows + 1) * sizeof(*blocks)), *times;
	size_t n = 0, i, j;
	int rc;

	if (!blocks)
		return oom(e);
	for (i = 0; i < h->nrows; i++)
		if (!n || blocks[n - 1] != h->rows[i].block)
			blocks[n++] = h->rows[i].block;
	if (!n || blocks[n - 1] != h->head)
		blocks[n++] = h->head;
	if (!(times = malloc(n * sizeof(*times)))) {
		free(blocks);
		return oom(e);
	}
	if (!(rc = chain_block_times(h->c, blocks, n, times, e))) {
		for (i = 0, j = 0; i < h->nrows; i++) {
			while (blocks[j] != h->rows[i].block)
				j++;
			h->rows[i].time = times[j];
		}
		h->head_time = times[n - 1];
	}
	free(blocks);
	free(times);
	return rc;
}

static long grant_find(const history *h, uint64_t id)
{
	const history_grant *g = array_find(&id, h->grants, h->ngrants, sizeof(*h->grants), array_cmp_u64);

	return g ? (long)(g - h->grants) : -1;
}

/* A new grant from its GrantIssued row, kept in id order (grant ids are
 * given in chain order, so it is nearly always the last); its index. */
static long grant_new(history *h, const history_row *w)
{
	history_grant *gr;
	size_t at = h->ngrants;

	if (array_grow((void **)&h->grants, &h->capgrants, h->ngrants + 1, sizeof(*h->grants)))
		return -1;
	while (at && h->grants[at - 1].id > w->grant)
		at--;
	memmove(&h->grants[at + 1], &h->grants[at], (h->ngrants - at) * sizeof(*h->grants));
	gr = &h->grants[at];
	memset(gr, 0, sizeof(*gr));
	gr->id = w->grant;
	memcpy(gr->patient, w->patient, 20);
	memcpy(gr->grantee, w->party, 20);
	gr->expiry = w->expiry;
	gr->flags = w->flags;
	gr->issued_time = w->time;
	h->ngrants++;
	return (long)at;
}

static int grant_add_ids(history_grant *gr, const uint64_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (array_grow((void **)&gr->ids, &gr->cap, gr->n + 1, sizeof(*gr->ids)))
			return -1;
		gr->ids[gr->n++] = ids[i];
	}
	return 0;
}

/* Grants from their events, then each row linked to its grant. */
static int follow_grants(history *h, ehr_err *e)
{
	size_t i;

	for (i = 0; i < h->nrows; i++) {
		history_row *w = &h->rows[i];
		history_grant *gr;
		long gi;

		if (!w->grant || w->kind == REG_EV_RECORD_ANCHORED)
			continue;
		gi = grant_find(h, w->grant);
		if (gi < 0 && w->kind == REG_EV_GRANT_ISSUED && (gi = grant_new(h, w)) < 0)
			return oom(e);
		if (gi < 0)
			continue;  /* a grant issued to a bearer key this account redeemed */
		gr = &h->grants[gi];
		if ((w->kind == REG_EV_GRANT_ISSUED || w->kind == REG_EV_GRANT_KEYS_ADDED) &&
		    grant_add_ids(gr, w->records, w->n_records))
			return oom(e);
		if (w->kind == REG_EV_GRANT_REVOKED) {
			gr->revoked = true;
			gr->revoked_time = w->time;
		}
	}
	/* row -> grant links, once the table no longer moves */
	for (i = 0; i < h->nrows; i++)
		if (h->rows[i].grant)
			h->rows[i].gi = grant_find(h, h->rows[i].grant);
	return 0;
}

/* An expiry row for each grant that ran out unrevoked before the head,
 * then every row in time order. */
static int add_expiries(history *h, ehr_err *e)
{
	size_t i;

	for (i = 0; i < h->ngrants; i++) {
		history_grant *gr = &h->grants[i];
		history_row *w;

		if (gr->revoked || gr->expiry > h->head_time)
			continue;
		if (array_grow((void **)&h->rows, &h->caprows, h->nrows + 1, sizeof(*h->rows)))
			return oom(e);
		w = &h->rows[h->nrows++];
		memset(w, 0, sizeof(*w));
		w->kind = HISTORY_EXPIRED;
		w->time = gr->expiry;
		memcpy(w->patient, gr->patient, 20);
		memcpy(w->party, gr->grantee, 20);
		w->has_party = true;
		w->grant = gr->id;
		w->gi = (long)i;
		w->expiry = gr->expiry;
		w->flags = gr->flags;
	}
	array_sort(h->rows, h->nrows, sizeof(*h->rows), row_time_cmp);
	return 0;
}

int history_load(history *h, chain *c, const uint8_t registry[20], const uint8_t me[20],
		 uint64_t head, ehr_err *e)
{
	int rc;

	memset(h, 0, sizeof(*h));
	h->c = c;
	memcpy(h->registry, registry, 20);
	memcpy(h->me, me, 20);
	h->head = head;
	if ((rc = scan_history(h, e)) || (rc = scan_consent(h, e)))
		return rc;
	merge_rows(h);
	if ((rc = stamp_rows(h, e)) || (rc = follow_grants(h, e)))
		return rc;
	return add_expiries(h, e);
}

void history_free(history *h)
{
	size_t i;

	for (i = 0; i < h->nrows; i++)
		row_free(&h->rows[i]);
	free(h->rows);
	for (i = 0; i < h->ngrants; i++)
		free(h->grants[i].ids);
	free(h->grants);
	for (i = 0; i < h->nrecs; i++) {
		free(h->recs[i].meta);
		free(h->recs[i].title);
	}
	free(h->recs);
	sodium_memzero(h->gkeys, h->ngkeys * sizeof(*h->gkeys));
	free(h->gkeys);
	memset(h, 0, sizeof(*h));
}

/* ---- what to show -------------------------------------------------------------- */

const uint64_t *history_row_records(const history *h, const history_row *w, size_t *n)
{
	if (w->records || w->kind == REG_EV_GRANT_KEYS_ADDED || w->kind == REG_EV_ACCESS_LOGGED ||
	    w->kind == REG_EV_GRANT_ISSUED) {
		*n = w->n_records;
		return w->records;
	}
	if (w->gi >= 0) {
		*n = h->grants[w->gi].n;
		return h->grants[w->gi].ids;
	}
	*n = 0;
	return NULL;
}

void history_select(history *h, const history_filter *f)
{
	size_t i, j, n;

	for (i = 0; i < h->nrows; i++) {
		history_row *w = &h->rows[i];
		const uint64_t *ids = history_row_records(h, w, &n);

		w->shown = true;
		if (f->has_since && w->time < f->since)
			w->shown = false;
		if (f->only_grant && w->grant != f->only_grant)
			w->shown = false;
		if (f->only_record) {
			for (j = 0; j < n && ids[j] != f->only_record; j++)
				;
			if (j == n)
				w->shown = false;
		}
		if (w->shown && w->gi >= 0)
			h->grants[w->gi].shown = true;
	}
}

/* ---- titles ------------------------------------------------------------------- */

/* Records granted to this account whose metadata is in another patient's
 * RecordAnchored events: one more scan, over those patients; a record
 * granted twice appears once. */
static int fetch_granted_meta(history *h, ehr_err *e)
{
	uint8_t t0[1][32], (*patients)[32] = NULL;
	chain_topic topics[4];
	size_t n = 0, i, j, k = 0;
	int rc = 0;

	for (i = 0; i < h->ngkeys; i++) {
		history_rec *r = rec_find(h, h->gkeys[i].id);

		if (r && r->has_key)
			continue;
		if (!patients && !(patients = calloc(h->ngkeys, 32)))
			return oom(e);
		for (j = 0; j < n && memcmp(patients[j] + 12, h->gkeys[i].patient, 20); j++)
			;
		if (j == n)
			event_topic_address(h->gkeys[i].patient, patients[n++]);
	}
	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = (const uint8_t (*)[32])t0;
	topics[0].n = 1;
	topics[1].any_of = (const uint8_t (*)[32])patients;
	topics[1].n = n;
	if (n)
		rc = scan(h, topics, SCAN_TITLES, e);
	free(patients);
	if (rc)
		return rc;
	array_sort(h->recs, h->nrecs, sizeof(*h->recs), array_cmp_u64);
	for (i = 0; i < h->nrecs; i++) {
		if (k && h->recs[k - 1].id == h->recs[i].id) {
			free(h->recs[i].meta);
			continue;
		}
		h->recs[k++] = h->recs[i];
	}
	h->nrecs = k;
	return 0;
}

/* Whether a shown row names a record granted to this account whose
 * metadata is not here yet. */
static bool wants_granted_meta(const history *h)
{
	size_t i, j, n;

	for (i = 0; i < h->nrows; i++) {
		const uint64_t *ids = history_row_records(h, &h->rows[i], &n);

		for (j = 0; h->rows[i].shown && j < n; j++)
			if (!rec_find(h, ids[j]) && gkey_find(h, ids[j]))
				return true;
	}
	return false;
}

int history_titles_wanted(history *h, history_rec ***list, size_t *n, ehr_err *e)
{
	size_t i, j, m, k = 0;
	int rc;

	*list = NULL;
	*n = 0;
	if (wants_granted_meta(h) && (rc = fetch_granted_meta(h, e)))
		return rc;
	for (i = 0; i < h->nrows; i++) {
		const uint64_t *ids = history_row_records(h, &h->rows[i], &m);

		for (j = 0; h->rows[i].shown && j < m; j++) {
			history_rec *r = rec_find(h, ids[j]);

			if (!r || !r->has_key || r->tried)
				continue;
			if (!*list && !(*list = malloc(h->nrecs * sizeof(**list))))
				return oom(e);
			r->tried = true;
			(*list)[k++] = r;
		}
	}
	*n = k;
	return 0;
}

/* Opening a data key is an X25519 (about 33 us each, most of the cost of
 * 10,000 titles), independent of the others; reading the metadata after it
 * is a short decryption and a JSON parse. Each worker takes every
 * stride-th record, from key to title, with its own key buffer in secure
 * memory and its own metadata reader (made once: a secure allocation per
 * record cost as much as its decryption). The calling thread is worker 0. */
#define TITLE_THREADS_MAX 8

struct title_work {
	history_rec **list;
	size_t n, first, stride;
	const uint8_t *pk, *sk;
	bool failed;               /* out of memory: nothing done */
};

static void *open_titles(void *arg)
{
	struct title_work *w = arg;
	envelope_reader *reader = envelope_reader_new();
	uint8_t *key = sodium_malloc(ENVELOPE_KEY_BYTES);
	size_t i;

	w->failed = !reader || !key;
	for (i = w->first; !w->failed && i < w->n; i += w->stride) {
		history_rec *r = w->list[i];
		envelope_meta meta;

		/* a key that does not open, or metadata that does not decrypt:
		 * not readable here, the id alone */
		if (!envelope_key_open(r->sealed, w->pk, w->sk, key, NULL) &&
		    !envelope_reader_meta(reader, r->meta, r->meta_len, key, &meta, NULL))
			r->title = strdup(meta.title[0] ? meta.title : meta.file_name);
	}
	sodium_free(key);
	envelope_reader_free(reader);
	return NULL;
}

/* Titles whose key the unlock agent holds (wallet/keys/keyholder.h): the
 * keys opened a batch at a time, one request each (the agent's threads
 * open them), the metadata read here. A batch the agent does not answer
 * stays unreadable. */
#define HELD_BATCH 1024

static int open_titles_held(history_rec **list, size_t n, const uint8_t pk[32], const uint8_t sk[32],
			    ehr_err *e)
{
	uint8_t *boxes = malloc(HELD_BATCH * ENVELOPE_SEALED_KEY_BYTES);
	uint8_t *keys = sodium_malloc(HELD_BATCH * ENVELOPE_KEY_BYTES);
	bool *ok = calloc(HELD_BATCH, sizeof(*ok));
	envelope_reader *reader = envelope_reader_new();
	size_t first, i, m;
	int rc = boxes && keys && ok && reader ? 0 : ehr_fail(e, EHR_EFAIL, "out of memory");

	for (first = 0; !rc && first < n; first += m) {
		m = n - first < HELD_BATCH ? n - first : HELD_BATCH;
		for (i = 0; i < m; i++)
			memcpy(boxes + i * ENVELOPE_SEALED_KEY_BYTES, list[first + i]->sealed, ENVELOPE_SEALED_KEY_BYTES);
		if (sealed_boxes_open(boxes, ENVELOPE_SEALED_KEY_BYTES, m, pk, sk, keys, ok, NULL))
			continue;
		for (i = 0; i < m; i++) {
			history_rec *r = list[first + i];
			envelope_meta meta;

			if (ok[i] && !envelope_reader_meta(reader, r->meta, r->meta_len, keys + ENVELOPE_KEY_BYTES * i,
							   &meta, NULL))
				r->title = strdup(meta.title[0] ? meta.title : meta.file_name);
		}
	}
	free(boxes);
	sodium_free(keys);
	free(ok);
	envelope_reader_free(reader);
	return rc;
}

int history_open_titles(history_rec **list, size_t n, const uint8_t enc_public[32],
			const uint8_t enc_secret[32], ehr_err *e)
{
	struct title_work w[TITLE_THREADS_MAX];
	pthread_t th[TITLE_THREADS_MAX];
	bool started[TITLE_THREADS_MAX];
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t use = cpus < 1 ? 1 : cpus > TITLE_THREADS_MAX ? TITLE_THREADS_MAX : (size_t)cpus;
	size_t t;
	bool failed = false;

	if (key_is_held(enc_secret))
		return open_titles_held(list, n, enc_public, enc_secret, e);
	if (n < 64)
		use = 1;
	for (t = 0; t < use; t++)
		w[t] = (struct title_work){ list, n, t, use, enc_public, enc_secret, false };
	for (t = 0; t < use; t++)
		started[t] = t && pthread_create(&th[t], NULL, open_titles, &w[t]) == 0;
	for (t = 0; t < use; t++)
		if (!started[t])
			open_titles(&w[t]);
	for (t = 0; t < use; t++) {
		if (started[t])
			pthread_join(th[t], NULL);
		failed |= w[t].failed;
	}
	return failed ? ehr_fail(e, EHR_EFAIL, "out of secure memory") : 0;
}

const char *history_title(const history *h, uint64_t id)
{
	const history_rec *r = rec_find(h, id);

	return r ? r->title : NULL;
}
