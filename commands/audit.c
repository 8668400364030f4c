/* ehr audit: this account's history, read from the registry's events (the
 * contract emits one for every change; DESIGN.md section 8). Two log scans,
 * one with the account as the patient (topic 1) and one with it as the
 * other party (topic 3), merged in chain order; grants that ran out get a
 * "grant expired" row at their expiry. Block times come in one batch, the
 * names of the people involved in another, and titles are decrypted
 * locally where this account holds a data key. `ehr audit verify` checks
 * every record's stored ciphertext against its anchor. */
#include "commands/commands.h"
#include "cli/submit.h"
#include "cli/token.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/chain/abi.h"
#include "wallet/base/amount.h"
#include "wallet/vault/envelope.h"
#include "wallet/keys/eth.h"
#include "wallet/vault/fhir.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/registry/registry.h"

/* --since: the time, or how long ago (7d), as parse_since reads it */
struct audit_since {
	uint64_t at, ago;
	bool relative, given;
};

struct audit_options {
	uint64_t record, grant;
	struct audit_since since;
	const char *fhir;
	bool csv, force, no_titles;
};

static opt_take_fn take_id, take_since;

const struct opt cmd_audit_opts[] = {
	{ "record", 0, "ID", OV_NONE, "only what concerns record ID",
	  OPT_CALL(struct audit_options, record, uint64_t, take_id) },
	{ "grant", 0, "ID", OV_NONE, "only what concerns grant ID",
	  OPT_CALL(struct audit_options, grant, uint64_t, take_id) },
	{ "since", 0, "TIME", OV_NONE, "from TIME on: 2026-11-22T10:00:00Z, 2026-11-22, or 7d (the last 7 days)",
	  OPT_CALL(struct audit_options, since, struct audit_since, take_since) },
	{ "csv", 0, NULL, OV_NONE, "RFC 4180 CSV with a header row",
	  OPT_FLAG(struct audit_options, csv) },
	{ "fhir", 0, "FILE", OV_FILE, "write the history as FHIR R4 AuditEvent and Consent resources to FILE",
	  OPT_STR(struct audit_options, fhir) },
	{ "force", 'f', NULL, OV_NONE, "--fhir: replace an existing FILE",
	  OPT_FLAG(struct audit_options, force) },
	{ "no-titles", 0, NULL, OV_NONE, "do not unlock the wallet for record titles",
	  OPT_FLAG(struct audit_options, no_titles) },
	{ 0 }
};

/* The registry's events, and one the chain never emits. */
#define EV_EXPIRED REG_EV_COUNT

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
	[EV_EXPIRED] = "grant expired",
};

/* One line of the history. */
struct row {
	int kind;
	uint64_t block, log_index, time;  /* block 0: a synthesised row */
	uint8_t tx[32];
	uint8_t patient[20], party[20];
	bool has_party;
	uint64_t grant, invoice;          /* 0: none */
	uint64_t *records;                /* owned; NULL when the grant's records apply */
	size_t n_records;
	long gi;                          /* index in grants[] of the row's grant, or -1 */
	uint64_t expiry;                  /* grant issued and expired rows */
	uint8_t flags;
	uint8_t token[20];                /* invoices */
	u256 amount;
	uint64_t due;
	bool shown;
};

/* A grant as its events tell it. */
struct grant {
	uint64_t id;
	uint8_t patient[20], grantee[20];
	uint64_t expiry, issued_time, revoked_time;
	uint8_t flags;
	bool revoked, shown;
	uint64_t *ids;
	size_t n, cap;
};

/* A record this account may read: its anchor's metadata and the data key
 * sealed to this account (as patient, author, or grantee). */
struct rec {
	uint64_t id;
	uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES];
	bool has_key;
	uint8_t *meta;
	size_t meta_len;
	char *title;
	bool tried;
};

/* A data key that a grant to this account carries. */
struct granted_key {
	uint64_t id;
	uint8_t patient[20];
	uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES];
};

struct name {
	uint8_t addr[20];
	char name[REG_NAME_MAX + 1];
};

struct token {
	uint8_t addr[20];
	bool known;
	unsigned decimals;
	char symbol[32];
};

struct audit {
	struct target t;
	uint8_t registry[20];
	chain *c;
	struct signer s;
	uint8_t me[20];
	uint64_t head, head_time;

	struct row *rows;
	size_t nrows, caprows;
	struct grant *grants;
	size_t ngrants, capgrants;
	struct rec *recs;
	size_t nrecs, caprecs;
	struct granted_key *gkeys;
	size_t ngkeys, capgkeys;
	struct name *names;
	size_t nnames;
	struct token *tokens;
	size_t ntokens;
	size_t skipped;       /* logs that did not parse */

	/* options */
	uint64_t only_record, only_grant, since;
	bool has_since, csv, titles;
	const char *fhir;
	bool force;
};

static bool grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t want;
	void *p;

	if (n < *cap)
		return true;
	want = *cap ? *cap * 2 : 64;
	if (!(p = realloc(*arr, want * size)))
		return false;
	*arr = p;
	*cap = want;
	return true;
}

/* qsort and bsearch, for arrays that may be empty (and NULL). */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void *find(const void *key, const void *base, size_t n, size_t size,
		  int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

static int parse_id(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*id = v;
	return 0;
}

static void iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, 32, "@%llu", (unsigned long long)t);
}

/* --since: a duration back from the chain's head ("7d": the last seven
 * days), resolved once the head's time is known; else a time as `ehr grant
 * --until` takes it (2026-11-22T10:00:00Z, a date, ...). */
static int parse_since(const char *s, uint64_t *at, uint64_t *ago, bool *relative, ehr_err *e)
{
	ehr_err ignored;

	*relative = !duration_parse(s, ago, &ignored);
	return *relative ? 0 : time_parse(s, at, e);
}

/* --record ID, --grant ID */
static int take_id(const struct opt_parser *p, const struct opt *o, void *field, const char *val)
{
	(void)p;
	if (!parse_id(val, field))
		return 0;
	usage_error("audit", "--%s takes a %s id (a number from 1), not '%s'", o->name, o->name, val);
	return -1;
}

static int take_since(const struct opt_parser *p, const struct opt *o, void *field,
		      const char *val)
{
	struct audit_since *since = field;
	ehr_err e = { 0 };

	(void)p;
	(void)o;
	if (parse_since(val, &since->at, &since->ago, &since->relative, &e)) {
		usage_error("audit", "--since: %s, or a duration like 7d", e.msg);
		return -1;
	}
	since->given = true;
	return 0;
}

/* ---- reading the events ---------------------------------------------------- */

enum scan_kind { SCAN_PATIENT, SCAN_PARTY, SCAN_TITLES };

struct scan {
	struct audit *a;
	enum scan_kind kind;
	ehr_err *e;
};

static struct rec *rec_add(struct audit *a, uint64_t id, const uint8_t *meta, size_t meta_len)
{
	struct rec *r;

	if (!grow((void **)&a->recs, &a->caprecs, a->nrecs, sizeof(*a->recs)))
		return NULL;
	r = &a->recs[a->nrecs];
	memset(r, 0, sizeof(*r));
	r->id = id;
	if (!(r->meta = malloc(meta_len ? meta_len : 1)))
		return NULL;
	memcpy(r->meta, meta, meta_len);
	r->meta_len = meta_len;
	a->nrecs++;
	return r;
}

static int rec_cmp(const void *pa, const void *pb)
{
	const struct rec *x = pa, *y = pb;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct rec *rec_find(const struct audit *a, uint64_t id)
{
	struct rec key = { .id = id };

	return find(&key, a->recs, a->nrecs, sizeof(*a->recs), rec_cmp);
}

static int gkey_cmp(const void *pa, const void *pb)
{
	const struct granted_key *x = pa, *y = pb;

	return x->id < y->id ? -1 : x->id > y->id;
}

static const struct granted_key *gkey_find(const struct audit *a, uint64_t id)
{
	struct granted_key key = { .id = id };

	return find(&key, a->gkeys, a->ngkeys, sizeof(*a->gkeys), gkey_cmp);
}

static int titles_cb(struct audit *a, const registry_event_data *ev, ehr_err *e)
{
	const registry_record *r = &ev->record;
	const struct granted_key *k;
	struct rec *rec;

	if (ev->kind != REG_EV_RECORD_ANCHORED || !(k = gkey_find(a, r->id)) ||
	    memcmp(k->patient, r->patient, 20))
		return 0;
	if (!(rec = rec_add(a, r->id, r->meta, r->meta_len)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	memcpy(rec->sealed, k->sealed, sizeof(rec->sealed));
	rec->has_key = true;
	return 0;
}

/* Keeps what a row needs of ev, and the keys and metadata for titles. */
static int take_event(struct audit *a, enum scan_kind kind, const registry_event_data *ev, ehr_err *e)
{
	struct row *w;
	size_t i;

	if (ev->kind == REG_EV_CHUNK_STORED)
		return 0;
	if (!grow((void **)&a->rows, &a->caprows, a->nrows, sizeof(*a->rows)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	w = &a->rows[a->nrows];
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
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		w->records[0] = ev->id;
		w->n_records = 1;
		break;
	case REG_EV_GRANT_ISSUED:
	case REG_EV_GRANT_KEYS_ADDED:
	case REG_EV_ACCESS_LOGGED:
		if (ev->n_ids) {
			if (!(w->records = malloc(ev->n_ids * sizeof(*w->records))))
				return ehr_fail(e, EHR_EFAIL, "out of memory");
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
	a->nrows++;

	/* The same log can come from both scans (a patient's own record names
	 * the patient twice): take keys from one scan only. */
	if (ev->kind == REG_EV_RECORD_ANCHORED) {
		const registry_record *r = &ev->record;
		const uint8_t *sealed = NULL;
		size_t len = 0;

		if (kind == SCAN_PATIENT && !memcmp(r->patient, a->me, 20)) {
			sealed = r->patient_key;
			len = r->patient_key_len;
		} else if (kind == SCAN_PARTY && memcmp(r->patient, a->me, 20) &&
			   !memcmp(r->author, a->me, 20)) {
			sealed = r->author_key;
			len = r->author_key_len;
		}
		if (sealed && len == ENVELOPE_SEALED_KEY_BYTES) {
			struct rec *rec = rec_add(a, r->id, r->meta, r->meta_len);

			if (!rec)
				return ehr_fail(e, EHR_EFAIL, "out of memory");
			memcpy(rec->sealed, sealed, len);
			rec->has_key = true;
		}
	}
	if ((ev->kind == REG_EV_GRANT_ISSUED || ev->kind == REG_EV_GRANT_KEYS_ADDED) &&
	    kind == SCAN_PARTY && !memcmp(ev->party, a->me, 20)) {
		for (i = 0; i < ev->n_ids; i++) {
			size_t len = 0;
			const uint8_t *k = registry_event_sealed_key(ev, i, &len);

			if (!k || len != ENVELOPE_SEALED_KEY_BYTES)
				continue;
			if (!grow((void **)&a->gkeys, &a->capgkeys, a->ngkeys, sizeof(*a->gkeys)))
				return ehr_fail(e, EHR_EFAIL, "out of memory");
			a->gkeys[a->ngkeys].id = ev->record_ids[i];
			memcpy(a->gkeys[a->ngkeys].patient, ev->patient, 20);
			memcpy(a->gkeys[a->ngkeys].sealed, k, len);
			a->ngkeys++;
		}
	}
	return 0;
}

static int scan_cb(void *ctx, const chain_log *log)
{
	struct scan *s = ctx;
	registry_event_data ev;
	int rc;

	if (log->removed)
		return 0;
	/* anyone may call the registry, but only the registry writes its
	 * events: one that does not parse is skipped and counted, not fatal */
	if (registry_decode_event(log, s->a->registry, &ev, NULL)) {
		s->a->skipped++;
		return 0;
	}
	rc = s->kind == SCAN_TITLES ? titles_cb(s->a, &ev, s->e) : take_event(s->a, s->kind, &ev, s->e);
	registry_event_free(&ev);
	return rc;
}

static void topic_of_address(const uint8_t addr[20], uint8_t out[32])
{
	memset(out, 0, 12);
	memcpy(out + 12, addr, 20);
}

/* Patients whose charts this account may have written to: a record of
 * another patient names its author only under a write grant the author
 * holds (as grantee, or as the redeemer of a bearer grant). From the rows
 * of the party scan; topics in *out (malloc'd), their count returned. */
static size_t write_patients(const struct audit *a, size_t first_row, uint8_t (**out)[32])
{
	size_t i, j, n = 0;

	*out = NULL;
	for (i = first_row; i < a->nrows; i++) {
		const struct row *w = &a->rows[i];

		if (!((w->kind == REG_EV_GRANT_ISSUED && (w->flags & REG_GRANT_WRITE)) ||
		      w->kind == REG_EV_BEARER_REDEEMED) || !memcmp(w->patient, a->me, 20))
			continue;
		if (!*out && !(*out = calloc(a->nrows - first_row, 32)))
			return 0;
		for (j = 0; j < n && memcmp((*out)[j] + 12, w->patient, 20); j++)
			;
		if (j == n)
			topic_of_address(w->patient, (*out)[n++]);
	}
	return n;
}

/* Nodes cap the alternatives of one topic position. */
#define TOPIC_ALTERNATIVES 32

/* The history: every event but ChunkStored with this account as topic 1
 * (the patient); then as topic 3 (the other party), all but RecordAnchored,
 * whose topic 3 is the author, so a patient's own records would come twice;
 * then the records this account wrote into other patients' charts, which
 * only write grants allow: RecordAnchored with topic 3 = this account and
 * topic 1 = a patient who gave it one. All end at the same head. */
static int scan_history(struct audit *a, ehr_err *e)
{
	uint8_t t0[REG_EV_COUNT][32], me[1][32], (*patients)[32] = NULL;
	chain_topic topics[4];
	struct scan s = { a, SCAN_PATIENT, e };
	size_t n = 0, np, first, party_rows;
	int k, rc;

	for (k = 0; k < REG_EV_COUNT; k++)
		if (k != REG_EV_CHUNK_STORED && k != REG_EV_RECORD_ANCHORED)
			memcpy(t0[n++], registry_event_topic((enum registry_event)k), 32);
	memcpy(t0[n++], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	topic_of_address(a->me, me[0]);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = (const uint8_t (*)[32])t0;
	topics[0].n = n;
	topics[1].any_of = (const uint8_t (*)[32])me;
	topics[1].n = 1;
	if ((rc = chain_get_logs(a->c, a->registry, topics, 0, a->head, scan_cb, &s, e)))
		return rc;
	party_rows = a->nrows;
	topics[0].n = n - 1;  /* RecordAnchored is last */
	topics[1].n = 0;
	topics[1].any_of = NULL;
	topics[3].any_of = (const uint8_t (*)[32])me;
	topics[3].n = 1;
	s.kind = SCAN_PARTY;
	if ((rc = chain_get_logs(a->c, a->registry, topics, 0, a->head, scan_cb, &s, e)))
		return rc;
	np = write_patients(a, party_rows, &patients);
	topics[0].any_of = (const uint8_t (*)[32])t0 + (n - 1);
	topics[0].n = 1;
	for (first = 0; first < np && !rc; first += TOPIC_ALTERNATIVES) {
		topics[1].any_of = (const uint8_t (*)[32])patients + first;
		topics[1].n = np - first < TOPIC_ALTERNATIVES ? np - first : TOPIC_ALTERNATIVES;
		rc = chain_get_logs(a->c, a->registry, topics, 0, a->head, scan_cb, &s, e);
	}
	free(patients);
	return rc;
}

/* ---- putting the history in order ------------------------------------------ */

static int row_cmp(const void *pa, const void *pb)
{
	const struct row *x = pa, *y = pb;

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
	const struct row *x = pa, *y = pb;

	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if ((x->kind == EV_EXPIRED) != (y->kind == EV_EXPIRED))
		return x->kind == EV_EXPIRED ? -1 : 1;
	if (x->kind == EV_EXPIRED)
		return x->grant < y->grant ? -1 : x->grant > y->grant;
	return row_cmp(pa, pb);
}


static void row_free(struct row *w)
{
	free(w->records);
	w->records = NULL;
}

/* Sorts the rows in chain order and drops the copies the second scan
 * brought. */
static void merge_rows(struct audit *a)
{
	size_t i, k = 0;

	sort(a->rows, a->nrows, sizeof(*a->rows), row_cmp);
	for (i = 0; i < a->nrows; i++) {
		if (k && !row_cmp(&a->rows[k - 1], &a->rows[i])) {
			row_free(&a->rows[i]);
			continue;
		}
		a->rows[k++] = a->rows[i];
	}
	a->nrows = k;
	sort(a->recs, a->nrecs, sizeof(*a->recs), rec_cmp);
	sort(a->gkeys, a->ngkeys, sizeof(*a->gkeys), gkey_cmp);
}

/* Every distinct block's time, and the head's, in one batch. */
static int stamp_rows(struct audit *a, ehr_err *e)
{
	uint64_t *blocks = malloc((a->nrows + 1) * sizeof(*blocks)), *times;
	size_t n = 0, i, j;
	int rc;

	if (!blocks)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < a->nrows; i++)
		if (!n || blocks[n - 1] != a->rows[i].block)
			blocks[n++] = a->rows[i].block;
	if (!n || blocks[n - 1] != a->head)
		blocks[n++] = a->head;
	if (!(times = malloc(n * sizeof(*times)))) {
		free(blocks);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	if (!(rc = chain_block_times(a->c, blocks, n, times, e))) {
		for (i = 0, j = 0; i < a->nrows; i++) {
			while (blocks[j] != a->rows[i].block)
				j++;
			a->rows[i].time = times[j];
		}
		a->head_time = times[n - 1];
	}
	free(blocks);
	free(times);
	return rc;
}

static long grant_find(const struct audit *a, uint64_t id)
{
	size_t lo = 0, hi = a->ngrants;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (a->grants[mid].id == id)
			return (long)mid;
		if (a->grants[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static int grant_add_ids(struct grant *gr, const uint64_t *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (!grow((void **)&gr->ids, &gr->cap, gr->n, sizeof(*gr->ids)))
			return -1;
		gr->ids[gr->n++] = ids[i];
	}
	return 0;
}

/* Grants from their events (grant ids are given in chain order, so the
 * table stays sorted), then an expiry row for each grant that ran out
 * unrevoked before the head. */
static int follow_grants(struct audit *a, ehr_err *e)
{
	size_t i, nevents = a->nrows;

	for (i = 0; i < nevents; i++) {
		struct row *w = &a->rows[i];
		struct grant *gr;
		long gi;

		if (!w->grant || w->kind == REG_EV_RECORD_ANCHORED)
			continue;
		gi = grant_find(a, w->grant);
		if (gi < 0 && w->kind == REG_EV_GRANT_ISSUED) {
			if (!grow((void **)&a->grants, &a->capgrants, a->ngrants, sizeof(*a->grants)))
				return ehr_fail(e, EHR_EFAIL, "out of memory");
			gi = (long)a->ngrants;
			if (a->ngrants && a->grants[a->ngrants - 1].id > w->grant) {
				/* not in order after all: insert in place */
				size_t at = a->ngrants;

				while (at && a->grants[at - 1].id > w->grant)
					at--;
				memmove(&a->grants[at + 1], &a->grants[at], (a->ngrants - at) * sizeof(*a->grants));
				gi = (long)at;
			}
			gr = &a->grants[gi];
			memset(gr, 0, sizeof(*gr));
			gr->id = w->grant;
			memcpy(gr->patient, w->patient, 20);
			memcpy(gr->grantee, w->party, 20);
			gr->expiry = w->expiry;
			gr->flags = w->flags;
			gr->issued_time = w->time;
			a->ngrants++;
		}
		if (gi < 0)
			continue;  /* a grant issued to a bearer key this account redeemed */
		gr = &a->grants[gi];
		if ((w->kind == REG_EV_GRANT_ISSUED || w->kind == REG_EV_GRANT_KEYS_ADDED) &&
		    grant_add_ids(gr, w->records, w->n_records))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		if (w->kind == REG_EV_GRANT_REVOKED) {
			gr->revoked = true;
			gr->revoked_time = w->time;
		}
	}
	/* row -> grant links, once the table no longer moves */
	for (i = 0; i < nevents; i++)
		if (a->rows[i].grant)
			a->rows[i].gi = grant_find(a, a->rows[i].grant);
	for (i = 0; i < a->ngrants; i++) {
		struct grant *gr = &a->grants[i];
		struct row *w;

		if (gr->revoked || gr->expiry > a->head_time)
			continue;
		if (!grow((void **)&a->rows, &a->caprows, a->nrows, sizeof(*a->rows)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		w = &a->rows[a->nrows++];
		memset(w, 0, sizeof(*w));
		w->kind = EV_EXPIRED;
		w->time = gr->expiry;
		memcpy(w->patient, gr->patient, 20);
		memcpy(w->party, gr->grantee, 20);
		w->has_party = true;
		w->grant = gr->id;
		w->gi = (long)i;
		w->expiry = gr->expiry;
		w->flags = gr->flags;
	}
	sort(a->rows, a->nrows, sizeof(*a->rows), row_time_cmp);
	return 0;
}

/* The records a row is about: its own, or its grant's. */
static const uint64_t *row_records(const struct audit *a, const struct row *w, size_t *n)
{
	if (w->records || w->kind == REG_EV_GRANT_KEYS_ADDED || w->kind == REG_EV_ACCESS_LOGGED ||
	    w->kind == REG_EV_GRANT_ISSUED) {
		*n = w->n_records;
		return w->records;
	}
	if (w->gi >= 0) {
		*n = a->grants[w->gi].n;
		return a->grants[w->gi].ids;
	}
	*n = 0;
	return NULL;
}

static void apply_filters(struct audit *a)
{
	size_t i, j, n;

	for (i = 0; i < a->nrows; i++) {
		struct row *w = &a->rows[i];
		const uint64_t *ids = row_records(a, w, &n);

		w->shown = true;
		if (a->has_since && w->time < a->since)
			w->shown = false;
		if (a->only_grant && w->grant != a->only_grant)
			w->shown = false;
		if (a->only_record) {
			for (j = 0; j < n && ids[j] != a->only_record; j++)
				;
			if (j == n)
				w->shown = false;
		}
		if (w->shown && w->gi >= 0)
			a->grants[w->gi].shown = true;
	}
}

/* ---- names, tokens and titles ---------------------------------------------- */

static int addr_cmp(const void *pa, const void *pb)
{
	return memcmp(pa, pb, 20);
}

/* accountOf for every distinct address of the shown rows, one batch. */
static int look_up_names(struct audit *a, ehr_err *e)
{
	uint8_t (*addrs)[20] = malloc((2 * a->nrows + 1) * sizeof(*addrs));
	chain_call_req *calls = NULL;
	uint8_t **data = NULL;
	size_t n = 0, k = 0, i;
	int rc = 0;

	if (!addrs)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < a->nrows; i++) {
		if (!a->rows[i].shown)
			continue;
		memcpy(addrs[n++], a->rows[i].patient, 20);
		if (a->rows[i].has_party)
			memcpy(addrs[n++], a->rows[i].party, 20);
	}
	sort(addrs, n, sizeof(*addrs), addr_cmp);
	for (i = 0; i < n; i++)
		if (!k || memcmp(addrs[k - 1], addrs[i], 20))
			memcpy(addrs[k++], addrs[i], 20);
	n = k;
	if (!n)
		goto out;
	if (!(a->names = calloc(n, sizeof(*a->names))) || !(calls = calloc(n, sizeof(*calls))) ||
	    !(data = calloc(n, sizeof(*data)))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		abi_value *args = abi_tuple(1, abi_address(addrs[i]));
		size_t len = 0;

		memcpy(a->names[i].addr, addrs[i], 20);
		rc = args ? abi_encode_call("accountOf(address)", args, &data[i], &len, e)
			  : ehr_fail(e, EHR_EFAIL, "out of memory");
		abi_free(args);
		if (rc)
			goto out;
		calls[i].to = a->registry;
		calls[i].data = data[i];
		calls[i].len = len;
	}
	a->nnames = n;
	if ((rc = chain_call_many(a->c, calls, n, "latest", e)))
		goto out;
	for (i = 0; i < n; i++) {
		abi_value *res = NULL;
		const uint8_t *name;
		size_t len = 0, j, m = 0;

		if (calls[i].status || abi_decode("(bytes32,string,uint8)", calls[i].ret, calls[i].ret_len,
						  &res, NULL))
			continue;  /* no name: the address stands alone */
		if ((name = abi_get_bytes(abi_item(res, 1), &len)))
			for (j = 0; j < len && m < REG_NAME_MAX; j++)
				a->names[i].name[m++] = name[j] >= 32 && name[j] < 127 ? (char)name[j] : '?';
		abi_free(res);
	}
out:
	for (i = 0; calls && i < n; i++)
		free(calls[i].ret);
	for (i = 0; data && i < n; i++)
		free(data[i]);
	free(data);
	free(calls);
	free(addrs);
	return rc;
}

static const char *name_of(const struct audit *a, const uint8_t addr[20])
{
	const struct name *n = find(addr, a->names, a->nnames, sizeof(*a->names), addr_cmp);

	return n ? n->name : "";
}

/* Symbol and decimals of each token the shown invoices are in. */
static void look_up_tokens(struct audit *a)
{
	static const uint8_t native[20];
	size_t i, j;

	for (i = 0; i < a->nrows; i++) {
		const struct row *w = &a->rows[i];
		struct token_info ti;
		struct token *t;
		ehr_err ignored;

		if (!w->shown || !w->invoice || !memcmp(w->token, native, 20))
			continue;
		for (j = 0; j < a->ntokens && memcmp(a->tokens[j].addr, w->token, 20); j++)
			;
		if (j < a->ntokens)
			continue;
		if (!(t = realloc(a->tokens, (a->ntokens + 1) * sizeof(*t))))
			return;
		a->tokens = t;
		t = &a->tokens[a->ntokens++];
		memset(t, 0, sizeof(*t));
		memcpy(t->addr, w->token, 20);
		if (!token_info_get(a->c, w->token, a->me, &ti, &ignored)) {
			t->known = true;
			t->decimals = ti.decimals;
			snprintf(t->symbol, sizeof(t->symbol), "%s", ti.symbol);
		}
	}
}

/* "1.5 TUSD", "0.01 ETH" (the network's native coin), or base units when
 * the token does not say. */
static void amount_text(const struct audit *a, const struct row *w, char *out, size_t cap)
{
	static const uint8_t native[20];
	char num[AMOUNT_FMT_MAX];
	size_t j;

	if (!memcmp(w->token, native, 20)) {
		amount_format(&w->amount, 18, num, sizeof(num));
		snprintf(out, cap, "%s %s", num, a->t.symbol);
		return;
	}
	for (j = 0; j < a->ntokens; j++)
		if (!memcmp(a->tokens[j].addr, w->token, 20) && a->tokens[j].known &&
		    amount_format(&w->amount, a->tokens[j].decimals, num, sizeof(num)) >= 0) {
			snprintf(out, cap, "%s %s", num, a->tokens[j].symbol);
			return;
		}
	u256_format_dec(&w->amount, num);
	{
		char addr[43];

		eip55_format(w->token, addr);
		snprintf(out, cap, "%s base units of %s", num, addr);
	}
}


/* Records granted to this account whose metadata is in another patient's
 * RecordAnchored events: one more scan, over those patients. */
static int fetch_granted_meta(struct audit *a, ehr_err *e)
{
	uint8_t t0[1][32], (*patients)[32] = NULL;
	chain_topic topics[4];
	struct scan s = { a, SCAN_TITLES, e };
	size_t n = 0, i, j, first;
	int rc = 0;

	for (i = 0; i < a->ngkeys; i++) {
		struct rec *r = rec_find(a, a->gkeys[i].id);

		if (r && r->has_key)
			continue;
		if (!patients && !(patients = calloc(a->ngkeys, 32)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		for (j = 0; j < n && memcmp(patients[j] + 12, a->gkeys[i].patient, 20); j++)
			;
		if (j == n)
			topic_of_address(a->gkeys[i].patient, patients[n++]);
	}
	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = (const uint8_t (*)[32])t0;
	topics[0].n = 1;
	for (first = 0; first < n && !rc; first += TOPIC_ALTERNATIVES) {
		topics[1].any_of = (const uint8_t (*)[32])patients + first;
		topics[1].n = n - first < TOPIC_ALTERNATIVES ? n - first : TOPIC_ALTERNATIVES;
		rc = chain_get_logs(a->c, a->registry, topics, 0, a->head, scan_cb, &s, e);
	}
	free(patients);
	if (!rc) {
		/* a record granted twice appears once */
		size_t k = 0;

		sort(a->recs, a->nrecs, sizeof(*a->recs), rec_cmp);
		for (i = 0; i < a->nrecs; i++) {
			if (k && a->recs[k - 1].id == a->recs[i].id) {
				free(a->recs[i].meta);
				continue;
			}
			a->recs[k++] = a->recs[i];
		}
		a->nrecs = k;
	}
	return rc;
}

/* Opening a data key is an X25519 (about 33 us each, most of the cost of
 * 10,000 titles), independent of the others: workers open a batch of keys
 * into one secure buffer, then this thread reads the metadata in order. */
#define TITLE_BATCH 1024
#define TITLE_THREADS_MAX 8

struct key_work {
	struct rec **list;
	uint8_t *keys;             /* 32 bytes per record of the batch */
	bool *ok;
	size_t n, first, stride;
	const keystore_keys *k;
};

static void *open_keys(void *arg)
{
	struct key_work *w = arg;
	size_t i;

	for (i = w->first; i < w->n; i += w->stride)
		w->ok[i] = !envelope_key_open(w->list[i]->sealed, w->k->enc_public, w->k->enc_secret,
					      w->keys + 32 * i, NULL);
	return NULL;
}

static int open_titles(struct rec **list, size_t n, const keystore_keys *k, ehr_err *e)
{
	struct key_work w[TITLE_THREADS_MAX];
	pthread_t th[TITLE_THREADS_MAX];
	bool started[TITLE_THREADS_MAX], ok[TITLE_BATCH];
	uint8_t *keys = sodium_malloc(32 * TITLE_BATCH);
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t nt = cpus < 1 ? 1 : cpus > TITLE_THREADS_MAX ? TITLE_THREADS_MAX : (size_t)cpus;
	size_t first, i, t;

	if (!keys)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	for (first = 0; first < n; first += TITLE_BATCH) {
		size_t m = n - first < TITLE_BATCH ? n - first : TITLE_BATCH;
		size_t use = m < 64 ? 1 : nt;

		for (t = 0; t < use; t++) {
			w[t] = (struct key_work){ list + first, keys, ok, m, t, use, k };
			started[t] = t && pthread_create(&th[t], NULL, open_keys, &w[t]) == 0;
		}
		/* share 0 here, and any share whose thread did not start */
		for (t = 0; t < use; t++)
			if (!started[t])
				open_keys(&w[t]);
		for (t = 1; t < use; t++)
			if (started[t])
				pthread_join(th[t], NULL);
		for (i = 0; i < m; i++) {
			struct rec *r = list[first + i];
			envelope_meta meta;

			/* a key that does not open, or metadata that does not
			 * decrypt: not readable here, the id alone */
			if (ok[i] && !envelope_read_meta_mem(r->meta, r->meta_len, keys + 32 * i, &meta, NULL))
				r->title = strdup(meta.title[0] ? meta.title : meta.file_name);
		}
		sodium_memzero(keys, 32 * TITLE_BATCH);
	}
	sodium_free(keys);
	return 0;
}

/* Decrypts the titles the shown rows name, unlocking the wallet once. */
static int decrypt_titles(struct audit *a, ehr_err *e)
{
	struct rec **list = NULL;
	size_t i, j, n, k = 0;
	bool granted = false;
	int rc;

	for (i = 0; i < a->nrows && !granted; i++) {
		const uint64_t *ids = row_records(a, &a->rows[i], &n);

		for (j = 0; a->rows[i].shown && j < n; j++)
			if (!rec_find(a, ids[j]) && gkey_find(a, ids[j]))
				granted = true;
	}
	if (granted && (rc = fetch_granted_meta(a, e)))
		return rc;
	for (i = 0; i < a->nrows; i++) {
		const uint64_t *ids = row_records(a, &a->rows[i], &n);

		for (j = 0; a->rows[i].shown && j < n; j++) {
			struct rec *r = rec_find(a, ids[j]);

			if (!r || !r->has_key || r->tried)
				continue;
			if (!list && !(list = malloc(a->nrecs * sizeof(*list))))
				return ehr_fail(e, EHR_EFAIL, "out of memory");
			r->tried = true;
			list[k++] = r;
		}
	}
	if (!k)
		return 0;
	if (!(rc = signer_unlock(&a->s, e)))
		rc = open_titles(list, k, a->s.keys, e);
	free(list);
	return rc;
}

static const char *title_of(const struct audit *a, uint64_t id)
{
	const struct rec *r = rec_find(a, id);

	return r ? r->title : NULL;
}

/* ---- output ------------------------------------------------------------------ */

static bool is_native(const uint8_t token[20])
{
	static const uint8_t zero[20];

	return !memcmp(token, zero, 20);
}

static cJSON *json_row(const struct audit *a, const struct row *w)
{
	cJSON *o = cJSON_CreateObject(), *ids, *titles;
	char addr[43], when[32], hash[67];
	const uint64_t *recs;
	size_t n, i;

	iso_time(w->time, when);
	cJSON_AddStringToObject(o, "time", when);
	if (w->block)
		cJSON_AddNumberToObject(o, "block", (double)w->block);
	else
		cJSON_AddNullToObject(o, "block");
	cJSON_AddStringToObject(o, "event", event_words[w->kind]);
	eip55_format(w->patient, addr);
	cJSON_AddStringToObject(o, "patient", addr);
	cJSON_AddStringToObject(o, "patient_name", name_of(a, w->patient));
	if (w->has_party) {
		eip55_format(w->party, addr);
		cJSON_AddStringToObject(o, "party", addr);
		cJSON_AddStringToObject(o, "party_name", name_of(a, w->party));
	} else {
		cJSON_AddNullToObject(o, "party");
		cJSON_AddNullToObject(o, "party_name");
	}
	if (w->grant)
		cJSON_AddNumberToObject(o, "grant", (double)w->grant);
	else
		cJSON_AddNullToObject(o, "grant");
	if (w->invoice)
		cJSON_AddNumberToObject(o, "invoice", (double)w->invoice);
	else
		cJSON_AddNullToObject(o, "invoice");
	recs = row_records(a, w, &n);
	ids = cJSON_AddArrayToObject(o, "records");
	titles = cJSON_AddArrayToObject(o, "titles");
	for (i = 0; i < n; i++) {
		const char *t = title_of(a, recs[i]);

		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)recs[i]));
		cJSON_AddItemToArray(titles, t ? cJSON_CreateString(t) : cJSON_CreateNull());
	}
	if (w->kind == REG_EV_GRANT_ISSUED || w->kind == EV_EXPIRED) {
		iso_time(w->expiry, when);
		cJSON_AddStringToObject(o, "expiry", when);
		cJSON_AddBoolToObject(o, "all_records", (w->flags & REG_GRANT_ALL) != 0);
		cJSON_AddBoolToObject(o, "write", (w->flags & REG_GRANT_WRITE) != 0);
		cJSON_AddBoolToObject(o, "bearer", (w->flags & REG_GRANT_BEARER) != 0);
	}
	if (w->kind == REG_EV_INVOICE_ISSUED || w->kind == REG_EV_INVOICE_PAID) {
		char dec[U256_DEC_MAX], text[160];

		u256_format_dec(&w->amount, dec);
		cJSON_AddStringToObject(o, "amount", dec);
		amount_text(a, w, text, sizeof(text));
		cJSON_AddStringToObject(o, "amount_text", text);
		if (is_native(w->token)) {
			cJSON_AddNullToObject(o, "token");
		} else {
			eip55_format(w->token, addr);
			cJSON_AddStringToObject(o, "token", addr);
		}
	}
	if (w->block) {
		hex_encode0x(w->tx, 32, hash);
		cJSON_AddStringToObject(o, "tx", hash);
	} else {
		cJSON_AddNullToObject(o, "tx");
	}
	return o;
}

static int print_json(const struct audit *a, ehr_err *e)
{
	cJSON *arr = cJSON_CreateArray();
	char *text;
	size_t i;

	for (i = 0; i < a->nrows; i++)
		if (a->rows[i].shown)
			cJSON_AddItemToArray(arr, json_row(a, &a->rows[i]));
	text = cJSON_Print(arr);
	cJSON_Delete(arr);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	puts(text);
	cJSON_free(text);
	return 0;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, quotes doubled. */
static void csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void print_csv(const struct audit *a)
{
	static const char *const head[] = {
		"time", "block", "event", "patient", "patient_name", "party", "party_name", "grant",
		"invoice", "records", "titles", "amount", "token", "tx"
	};
	size_t i, j, n, h;

	for (h = 0; h < sizeof(head) / sizeof(head[0]); h++)
		csv_field(head[h], h + 1 == sizeof(head) / sizeof(head[0]));
	for (i = 0; i < a->nrows; i++) {
		const struct row *w = &a->rows[i];
		const uint64_t *recs;
		char buf[80], addr[43], *ids = NULL, *titles = NULL;
		size_t ids_len = 0, titles_len = 0;
		FILE *fi, *ft;

		if (!w->shown)
			continue;
		iso_time(w->time, buf);
		csv_field(buf, false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->block);
		csv_field(w->block ? buf : "", false);
		csv_field(event_words[w->kind], false);
		eip55_format(w->patient, addr);
		csv_field(addr, false);
		csv_field(name_of(a, w->patient), false);
		eip55_format(w->party, addr);
		csv_field(w->has_party ? addr : "", false);
		csv_field(w->has_party ? name_of(a, w->party) : "", false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->grant);
		csv_field(w->grant ? buf : "", false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->invoice);
		csv_field(w->invoice ? buf : "", false);
		/* ids separated by spaces, titles by "; " in the same order */
		recs = row_records(a, w, &n);
		fi = open_memstream(&ids, &ids_len);
		ft = open_memstream(&titles, &titles_len);
		for (j = 0; fi && ft && j < n; j++) {
			const char *t = title_of(a, recs[j]);

			fprintf(fi, "%s%llu", j ? " " : "", (unsigned long long)recs[j]);
			fprintf(ft, "%s%s", j ? "; " : "", t ? t : "");
		}
		if (fi)
			fclose(fi);
		if (ft)
			fclose(ft);
		csv_field(ids ? ids : "", false);
		csv_field(titles ? titles : "", false);
		free(ids);
		free(titles);
		if (w->kind == REG_EV_INVOICE_ISSUED || w->kind == REG_EV_INVOICE_PAID) {
			char dec[U256_DEC_MAX];

			u256_format_dec(&w->amount, dec);
			csv_field(dec, false);
			eip55_format(w->token, addr);
			csv_field(is_native(w->token) ? "" : addr, false);
		} else {
			csv_field("", false);
			csv_field("", false);
		}
		hex_encode0x(w->tx, 32, buf);
		csv_field(w->block ? buf : "", true);
	}
}

/* "Dr. Bob (0x...)", "a bearer code (0x...)" for the ephemeral key of a
 * bearer grant, or the address alone. */
static void who_text(const struct audit *a, const struct row *w, const uint8_t addr[20], char *out,
		     size_t cap)
{
	char hex[43];
	const char *n = name_of(a, addr);
	const struct grant *gr = w->gi >= 0 ? &a->grants[w->gi] : NULL;

	eip55_format(addr, hex);
	if (!memcmp(addr, a->me, 20))
		snprintf(out, cap, "you");
	else if (*n)
		snprintf(out, cap, "%s (%s)", n, hex);
	else if (gr && (gr->flags & REG_GRANT_BEARER) && !memcmp(addr, gr->grantee, 20))
		snprintf(out, cap, "a bearer code (%s)", hex);
	else
		snprintf(out, cap, "%s", hex);
}

/* What a row is about, for the table. */
static char *what_text(const struct audit *a, const struct row *w)
{
	char *s = NULL, when[32], amount[200];
	size_t len = 0, i, n;
	const uint64_t *recs = row_records(a, w, &n);
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	if (w->grant && w->kind != REG_EV_RECORD_ANCHORED)
		fprintf(f, "grant %llu", (unsigned long long)w->grant);
	if (w->invoice) {
		amount_text(a, w, amount, sizeof(amount));
		fprintf(f, "invoice %llu", (unsigned long long)w->invoice);
		if (w->kind != REG_EV_INVOICE_CANCELLED)
			fprintf(f, ": %s", amount);
	}
	if (w->kind == REG_EV_GRANT_ISSUED) {
		iso_time(w->expiry, when);
		fprintf(f, "%s%s until %s", w->flags & REG_GRANT_WRITE ? " (read and write)" : "",
			w->flags & REG_GRANT_BEARER ? " (bearer)" : "", when);
		if (w->flags & REG_GRANT_ALL)
			fputs(", all records", f);
	}
	for (i = 0; i < n; i++) {
		const char *t = title_of(a, recs[i]);

		if (!i)
			fputs(ftell(f) ? ": " : "", f);
		fprintf(f, "%srecord %llu", i ? ", " : "", (unsigned long long)recs[i]);
		if (t)
			fprintf(f, " \"%s\"", t);
	}
	if (w->kind == REG_EV_RECORD_ANCHORED && w->grant)
		fprintf(f, " (under write grant %llu)", (unsigned long long)w->grant);
	fclose(f);
	return s;
}

static int print_table(const struct audit *a, ehr_err *e)
{
	char **who = calloc(a->nrows ? a->nrows : 1, sizeof(*who));
	char **what = calloc(a->nrows ? a->nrows : 1, sizeof(*what));
	size_t i, wwho = 3, wwhat = 4, shown = 0;
	int rc = 0;

	if (!who || !what) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < a->nrows; i++) {
		const struct row *w = &a->rows[i];
		char buf[200];

		if (!w->shown)
			continue;
		/* who: the other party; for the patient's own acts, the patient */
		if (w->has_party && memcmp(w->party, a->me, 20))
			who_text(a, w, w->party, buf, sizeof(buf));
		else
			who_text(a, w, w->patient, buf, sizeof(buf));
		if (!(who[i] = strdup(buf)) || !(what[i] = what_text(a, w))) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			goto out;
		}
		if (strlen(who[i]) > wwho)
			wwho = strlen(who[i]);
		if (strlen(what[i]) > wwhat)
			wwhat = strlen(what[i]);
		shown++;
	}
	if (!shown) {
		note("no events%s", a->has_since || a->only_grant || a->only_record ? " match" : " yet");
		goto out;
	}
	if (wwhat > 72)
		wwhat = 72;
	printf("%-20s  %-17s  %-*s  %-*s  %s\n", "TIME", "EVENT", (int)wwho, "WHO", (int)wwhat, "WHAT", "TX");
	for (i = 0; i < a->nrows; i++) {
		const struct row *w = &a->rows[i];
		char when[32], hash[67];

		if (!w->shown)
			continue;
		iso_time(w->time, when);
		hex_encode0x(w->tx, 32, hash);
		printf("%-20s  %-17s  %-*s  %-*s  %s\n", when, event_words[w->kind], (int)wwho, who[i],
		       (int)wwhat, what[i], w->block ? hash : "-");
	}
out:
	for (i = 0; who && what && i < a->nrows; i++) {
		free(who[i]);
		free(what[i]);
	}
	free(who);
	free(what);
	return rc;
}

/* ---- FHIR ------------------------------------------------------------------- */

/* A stable urn:uuid for a resource (the same history exports the same
 * fullUrls): from keccak256 of the chain, registry and resource id. */
static void stable_urn(const struct audit *a, const char *id, char out[46])
{
	uint8_t h[32];
	char seed[160], reg[43];

	eip55_format(a->registry, reg);
	snprintf(seed, sizeof(seed), "ehr:%llu:%s:%s", (unsigned long long)chain_chain_id(a->c), reg, id);
	keccak256(seed, strlen(seed), h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
		 h[14], h[15]);
}

static cJSON *coding(const char *system, const char *code, const char *display)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "system", system);
	cJSON_AddStringToObject(c, "code", code);
	if (display)
		cJSON_AddStringToObject(c, "display", display);
	return c;
}

static cJSON *concept(const char *system, const char *code, const char *display)
{
	cJSON *c = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(c, "coding");

	cJSON_AddItemToArray(arr, coding(system, code, display));
	return c;
}

/* A Reference to an account: CAIP-10 identifier, name as display. */
static cJSON *account_ref(const struct audit *a, const uint8_t addr[20])
{
	cJSON *r = cJSON_CreateObject(), *id = cJSON_AddObjectToObject(r, "identifier");
	char hex[43], value[80];
	const char *n = name_of(a, addr);

	eip55_format(addr, hex);
	snprintf(value, sizeof(value), "eip155:%llu:%s", (unsigned long long)chain_chain_id(a->c), hex);
	cJSON_AddStringToObject(id, "system", "https://chainagnostic.org/CAIPs/caip-10");
	cJSON_AddStringToObject(id, "value", value);
	cJSON_AddStringToObject(r, "display", *n ? n : hex);
	return r;
}

/* A Reference to a record: by the identifier its DocumentReference has in
 * `ehr record export --fhir` (fhir_record_system), title as display. */
static cJSON *record_ref(const struct audit *a, uint64_t id)
{
	cJSON *r = cJSON_CreateObject(), *ident;
	char system[FHIR_RECORD_SYSTEM_MAX], value[24];
	const char *t = title_of(a, id);

	fhir_record_system(chain_chain_id(a->c), a->registry, system);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)id);
	cJSON_AddStringToObject(r, "type", "DocumentReference");
	ident = cJSON_AddObjectToObject(r, "identifier");
	cJSON_AddStringToObject(ident, "system", system);
	cJSON_AddStringToObject(ident, "value", value);
	if (t)
		cJSON_AddStringToObject(r, "display", t);
	return r;
}

static void add_agent(const struct audit *a, cJSON *agents, const uint8_t addr[20], const char *role,
		      const char *role_display, bool requestor)
{
	cJSON *ag = cJSON_CreateObject();
	const char *n = name_of(a, addr);

	cJSON_AddItemToObject(ag, "type", concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
						  role, role_display));
	cJSON_AddItemToObject(ag, "who", account_ref(a, addr));
	if (*n)
		cJSON_AddStringToObject(ag, "name", n);
	cJSON_AddBoolToObject(ag, "requestor", requestor);
	cJSON_AddItemToArray(agents, ag);
}

static void add_bundle_entry(const struct audit *a, cJSON *entries, const char *id, cJSON *res)
{
	cJSON *en = cJSON_CreateObject();
	char urn[46];

	stable_urn(a, id, urn);
	cJSON_AddStringToObject(en, "fullUrl", urn);
	cJSON_AddItemToObject(en, "resource", res);
	cJSON_AddItemToArray(entries, en);
}

/* Who did it: the account that sent the transaction the event came from. */
static const uint8_t *actor_of(const struct row *w)
{
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_BEARER_REDEEMED:
	case REG_EV_ACCESS_LOGGED:
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_INVOICE_CANCELLED:
		return w->party;
	case EV_EXPIRED:
		return NULL;
	default:
		return w->patient;
	}
}

static cJSON *audit_event(const struct audit *a, const struct row *w)
{
	static const char dcm[] = "http://dicom.nema.org/resources/ontology/DCM";
	cJSON *ev = cJSON_CreateObject(), *agents, *entities, *src, *sub;
	const uint8_t *actor = actor_of(w);
	const uint64_t *recs;
	char id[64], when[32], reg[43], obs[120], code[32];
	const char *action;
	size_t n, i, k;

	if (w->block)
		snprintf(id, sizeof(id), "ehr-event-%llu-%llu", (unsigned long long)w->block,
			 (unsigned long long)w->log_index);
	else
		snprintf(id, sizeof(id), "ehr-grant-%llu-expired", (unsigned long long)w->grant);
	cJSON_AddStringToObject(ev, "resourceType", "AuditEvent");
	cJSON_AddStringToObject(ev, "id", id);
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_RECORD_ERASED:
	case REG_EV_ACCESS_LOGGED:
		cJSON_AddItemToObject(ev, "type", coding(dcm, "110110", "Patient Record"));
		break;
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_INVOICE_PAID:
	case REG_EV_INVOICE_CANCELLED:
		cJSON_AddItemToObject(ev, "type", coding("urn:ehr:audit-event-type", "invoice", "Invoice"));
		break;
	case REG_EV_KEY_REGISTERED:
		cJSON_AddItemToObject(ev, "type", coding(dcm, "110137", "User Security Attributes Changed"));
		break;
	default:
		cJSON_AddItemToObject(ev, "type", coding(dcm, "110136", "Security Roles Changed"));
	}
	/* the plain-words kind, as a code of our own */
	snprintf(code, sizeof(code), "%s", event_words[w->kind]);
	for (k = 0; code[k]; k++)
		if (code[k] == ' ')
			code[k] = '-';
	sub = cJSON_AddArrayToObject(ev, "subtype");
	cJSON_AddItemToArray(sub, coding("urn:ehr:audit-event", code, event_words[w->kind]));
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_GRANT_ISSUED:
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_KEY_REGISTERED:
		action = "C";
		break;
	case REG_EV_ACCESS_LOGGED:
		action = "R";
		break;
	case REG_EV_RECORD_ERASED:
	case REG_EV_GRANT_REVOKED:
	case REG_EV_INVOICE_CANCELLED:
		action = "D";
		break;
	case REG_EV_INVOICE_PAID:
	case REG_EV_BEARER_REDEEMED:
		action = "E";
		break;
	default:
		action = "U";  /* keys added; expired */
	}
	cJSON_AddStringToObject(ev, "action", action);
	iso_time(w->time, when);
	cJSON_AddStringToObject(ev, "recorded", when);
	cJSON_AddStringToObject(ev, "outcome", "0");
	agents = cJSON_AddArrayToObject(ev, "agent");
	if (actor)
		add_agent(a, agents, actor, "AUT", "author (originator)", true);
	if (!actor || memcmp(actor, w->patient, 20))
		add_agent(a, agents, w->patient, "RCT", "record target", false);
	if (w->has_party && (!actor || memcmp(actor, w->party, 20)) && memcmp(w->patient, w->party, 20))
		add_agent(a, agents, w->party, "IRCP", "information recipient", false);
	src = cJSON_AddObjectToObject(ev, "source");
	eip55_format(a->registry, reg);
	snprintf(obs, sizeof(obs), "ehr registry %s on chain %llu", reg, (unsigned long long)chain_chain_id(a->c));
	cJSON_AddStringToObject(src, "site", reg);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(src, "observer"), "display", obs);
	entities = cJSON_AddArrayToObject(ev, "entity");
	recs = row_records(a, w, &n);
	for (i = 0; i < n; i++) {
		cJSON *en = cJSON_CreateObject();

		cJSON_AddItemToObject(en, "what", record_ref(a, recs[i]));
		cJSON_AddItemToObject(en, "type", coding("http://terminology.hl7.org/CodeSystem/audit-entity-type",
							  "2", "System Object"));
		cJSON_AddItemToArray(entities, en);
	}
	if (w->grant && w->kind != REG_EV_RECORD_ANCHORED) {
		cJSON *en = cJSON_CreateObject(), *what = cJSON_AddObjectToObject(en, "what");
		char ref[64];

		snprintf(ref, sizeof(ref), "Consent/ehr-grant-%llu", (unsigned long long)w->grant);
		cJSON_AddStringToObject(what, "reference", ref);
		cJSON_AddItemToObject(en, "type", coding("http://terminology.hl7.org/CodeSystem/audit-entity-type",
							  "2", "System Object"));
		cJSON_AddItemToArray(entities, en);
	}
	if (w->block) {
		cJSON *en = cJSON_CreateObject(), *what = cJSON_AddObjectToObject(en, "what");
		cJSON *ident = cJSON_AddObjectToObject(what, "identifier");
		char hash[67];

		hex_encode0x(w->tx, 32, hash);
		cJSON_AddStringToObject(ident, "system", "urn:ehr:transaction");
		cJSON_AddStringToObject(ident, "value", hash);
		cJSON_AddStringToObject(en, "name", "transaction");
		snprintf(obs, sizeof(obs), "block %llu, log %llu", (unsigned long long)w->block,
			 (unsigned long long)w->log_index);
		cJSON_AddStringToObject(en, "description", obs);
		cJSON_AddItemToArray(entities, en);
	}
	return ev;
}

static cJSON *consent(const struct audit *a, const struct grant *gr)
{
	cJSON *c = cJSON_CreateObject(), *prov, *period, *actors, *actor, *actions, *cat;
	bool active = !gr->revoked && gr->expiry > a->head_time;
	char id[48], when[32];
	size_t i;

	snprintf(id, sizeof(id), "ehr-grant-%llu", (unsigned long long)gr->id);
	cJSON_AddStringToObject(c, "resourceType", "Consent");
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "status", active ? "active" : "inactive");
	cJSON_AddItemToObject(c, "scope", concept("http://terminology.hl7.org/CodeSystem/consentscope",
						  "patient-privacy", "Privacy Consent"));
	cat = cJSON_AddArrayToObject(c, "category");
	cJSON_AddItemToArray(cat, concept("http://loinc.org", "59284-0", "Patient Consent"));
	cJSON_AddItemToObject(c, "patient", account_ref(a, gr->patient));
	iso_time(gr->issued_time, when);
	cJSON_AddStringToObject(c, "dateTime", when);
	prov = cJSON_AddObjectToObject(c, "provision");
	cJSON_AddStringToObject(prov, "type", "permit");
	period = cJSON_AddObjectToObject(prov, "period");
	cJSON_AddStringToObject(period, "start", when);
	iso_time(gr->revoked && gr->revoked_time < gr->expiry ? gr->revoked_time : gr->expiry, when);
	cJSON_AddStringToObject(period, "end", when);
	actors = cJSON_AddArrayToObject(prov, "actor");
	actor = cJSON_CreateObject();
	cJSON_AddItemToObject(actor, "role", concept("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
						     "IRCP", "information recipient"));
	cJSON_AddItemToObject(actor, "reference", account_ref(a, gr->grantee));
	cJSON_AddItemToArray(actors, actor);
	actions = cJSON_AddArrayToObject(prov, "action");
	cJSON_AddItemToArray(actions, concept("http://terminology.hl7.org/CodeSystem/consentaction", "access", "Access"));
	if (gr->flags & REG_GRANT_WRITE)
		cJSON_AddItemToArray(actions, concept("http://terminology.hl7.org/CodeSystem/consentaction",
						      "correct", "Access and Correct"));
	/* a grant over all records has no data list: it covers everything */
	if (!(gr->flags & REG_GRANT_ALL) && gr->n) {
		cJSON *data = cJSON_AddArrayToObject(prov, "data");

		for (i = 0; i < gr->n; i++) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "meaning", "instance");
			cJSON_AddItemToObject(d, "reference", record_ref(a, gr->ids[i]));
			cJSON_AddItemToArray(data, d);
		}
	}
	return c;
}

static int write_fhir(const struct audit *a, ehr_err *e)
{
	cJSON *bundle = cJSON_CreateObject(), *entries;
	char when[32], *text;
	size_t i, nevents = 0, nconsents = 0;
	int rc;

	iso_time((uint64_t)time(NULL), when);
	cJSON_AddStringToObject(bundle, "resourceType", "Bundle");
	cJSON_AddStringToObject(bundle, "type", "collection");
	cJSON_AddStringToObject(bundle, "timestamp", when);
	entries = cJSON_AddArrayToObject(bundle, "entry");
	for (i = 0; i < a->nrows; i++) {
		cJSON *ev;

		if (!a->rows[i].shown)
			continue;
		ev = audit_event(a, &a->rows[i]);
		add_bundle_entry(a, entries, cJSON_GetObjectItemCaseSensitive(ev, "id")->valuestring, ev);
		nevents++;
	}
	for (i = 0; i < a->ngrants; i++) {
		char id[48];

		if (!a->grants[i].shown)
			continue;
		snprintf(id, sizeof(id), "ehr-grant-%llu", (unsigned long long)a->grants[i].id);
		add_bundle_entry(a, entries, id, consent(a, &a->grants[i]));
		nconsents++;
	}
	text = cJSON_Print(bundle);
	cJSON_Delete(bundle);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = file_write_atomic(a->fhir, text, strlen(text), 0600, a->force, e);
	cJSON_free(text);
	if (rc)
		return rc;
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "file", a->fhir);
		cJSON_AddNumberToObject(o, "audit_events", (double)nevents);
		cJSON_AddNumberToObject(o, "consents", (double)nconsents);
		text = cJSON_Print(o);
		cJSON_Delete(o);
		if (text)
			puts(text);
		cJSON_free(text);
	} else {
		note("%zu audit event%s and %zu consent%s written to %s as a FHIR R4 collection Bundle",
		     nevents, nevents == 1 ? "" : "s", nconsents, nconsents == 1 ? "" : "s", a->fhir);
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------- */

static void audit_free(struct audit *a)
{
	size_t i;

	for (i = 0; i < a->nrows; i++)
		row_free(&a->rows[i]);
	free(a->rows);
	for (i = 0; i < a->ngrants; i++)
		free(a->grants[i].ids);
	free(a->grants);
	for (i = 0; i < a->nrecs; i++) {
		free(a->recs[i].meta);
		free(a->recs[i].title);
	}
	free(a->recs);
	sodium_memzero(a->gkeys, a->ngkeys * sizeof(*a->gkeys));
	free(a->gkeys);
	free(a->names);
	free(a->tokens);
	signer_close(&a->s);
	chain_close(a->c);
}

/* ehr audit verify: what `ehr record verify --all` does, the same code. */
static int audit_verify(void)
{
	char *argv[] = { (char *)"record", (char *)"verify", (char *)"--all", NULL };

	return cmd_record(3, argv);
}

int cmd_audit(int argc, char **argv)
{
	struct opt_parser p;
	struct audit a;
	struct audit_options opts = { 0 };
	uint64_t since_ago;
	bool since_relative, any_option;
	ehr_err e = { 0 };
	int rc;

	memset(&a, 0, sizeof(a));
	opt_init(&p, "audit", argc, argv, cmd_audit_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	any_option = opts.record || opts.grant || opts.since.given || opts.fhir || opts.csv ||
		     opts.force || opts.no_titles;
	a.only_record = opts.record;
	a.only_grant = opts.grant;
	a.since = opts.since.at;
	since_ago = opts.since.ago;
	since_relative = opts.since.relative;
	a.has_since = opts.since.given;
	a.csv = opts.csv;
	a.fhir = opts.fhir;
	a.force = opts.force;
	a.titles = !opts.no_titles;
	if (p.npos == 1 && !strcmp(p.pos[0], "verify")) {
		if (any_option)
			return usage_error("audit", "'audit verify' takes no options of its own");
		return audit_verify();
	}
	if (p.npos)
		return usage_error("audit", "unexpected argument '%s' (the only subcommand is verify)", p.pos[0]);
	if (a.csv && g.json)
		return usage_error("audit", "--csv and --json are two ways to print: choose one");
	if (a.fhir && a.csv)
		return usage_error("audit", "--fhir writes a file: --csv does not go with it");
	if (a.force && !a.fhir)
		return usage_error("audit", "--force replaces the --fhir FILE: give --fhir FILE");
	if (a.fhir && !a.force && access(a.fhir, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", a.fhir);

	if ((rc = target_resolve(&a.t, &e)) || (rc = target_registry(&a.t, a.registry, &e)) ||
	    (rc = signer_open(&a.s, &e)))
		goto out;
	memcpy(a.me, a.s.address, 20);
	if ((rc = target_connect(&a.t, &a.c, &e)) || (rc = chain_head(a.c, &a.head, &e)))
		goto out;
	if ((rc = scan_history(&a, &e)))
		goto out;
	merge_rows(&a);
	if ((rc = stamp_rows(&a, &e)) || (rc = follow_grants(&a, &e)))
		goto out;
	if (since_relative)
		a.since = since_ago < a.head_time ? a.head_time - since_ago : 0;
	apply_filters(&a);
	if ((rc = look_up_names(&a, &e)))
		goto out;
	look_up_tokens(&a);
	if (a.titles && (rc = decrypt_titles(&a, &e)))
		goto out;
	if (a.skipped)
		warn("%zu event%s of the registry did not parse and %s left out", a.skipped,
		     a.skipped == 1 ? "" : "s", a.skipped == 1 ? "is" : "are");
	if (a.fhir)
		rc = write_fhir(&a, &e);
	else if (g.json)
		rc = print_json(&a, &e);
	else if (a.csv)
		print_csv(&a);
	else
		rc = print_table(&a, &e);
	if (!rc && fflush(stdout))
		rc = ehr_fail(&e, EHR_EFAIL, "cannot write the output: %s", strerror(errno));
out:
	audit_free(&a);
	return rc ? report(&e) : 0;
}
