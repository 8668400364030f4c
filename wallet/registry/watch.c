#include "wallet/registry/watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/base/paths.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/event_scan.h"
#include "wallet/registry/registry.h"

static const char *const kind_names[WATCH_KIND_COUNT] = {
	"record_added", "grant_issued", "grant_revoked", "bearer_redeemed",
	"access_logged", "invoice_issued", "invoice_paid", "invoice_cancelled",
	"access_requested", "keys_released", "access_denied",
	"grant_requested", "grant_request_approved", "grant_request_denied", "derived_released",
	"grant_expiring",
};

/* The registry events watched, in the order of enum watch_kind. */
static const enum registry_event registry_kinds[] = {
	REG_EV_RECORD_ANCHORED, REG_EV_GRANT_ISSUED, REG_EV_GRANT_REVOKED, REG_EV_BEARER_REDEEMED,
	REG_EV_ACCESS_LOGGED, REG_EV_INVOICE_ISSUED, REG_EV_INVOICE_PAID, REG_EV_INVOICE_CANCELLED,
};
#define N_REGISTRY_KINDS (sizeof(registry_kinds) / sizeof(registry_kinds[0]))
#define N_TOPICS (N_REGISTRY_KINDS + CONSENT_EV_COUNT)

const char *watch_kind_name(enum watch_kind kind)
{
	return kind < WATCH_KIND_COUNT ? kind_names[kind] : "?";
}

void watch_events_free(watch_event *evs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(evs[i].records);
	free(evs);
}

struct collect {
	const uint8_t *registry;
	watch_event *evs;
	size_t n, cap;
	size_t *skipped;
	ehr_err *e;
};

static int copy_ids(watch_event *w, const uint64_t *ids, size_t n)
{
	if (!n)
		return 0;
	if (!(w->records = malloc(n * sizeof(*ids))))
		return -1;
	memcpy(w->records, ids, n * sizeof(*ids));
	w->n_records = n;
	return 0;
}

static int from_registry(const registry_event_data *ev, watch_event *w)
{
	size_t k;

	for (k = 0; k < N_REGISTRY_KINDS && registry_kinds[k] != ev->kind; k++)
		;
	if (k == N_REGISTRY_KINDS)
		return 1;
	w->kind = (enum watch_kind)k;
	memcpy(w->patient, ev->patient, 20);
	memcpy(w->party, ev->party, 20);
	if (ev->kind == REG_EV_RECORD_ANCHORED) {
		w->record = ev->id;
		w->grant = ev->record.grant_id;
	} else if (ev->kind >= REG_EV_INVOICE_ISSUED) {
		w->invoice = ev->id;
		memcpy(w->token, ev->token, 20);
		w->amount = ev->amount;
		w->due = ev->due;
	} else {
		w->grant = ev->id;
		w->expiry = ev->expiry;
		w->flags = ev->flags;
		w->purpose = ev->purpose;
	}
	return copy_ids(w, ev->record_ids, ev->n_ids);
}

static int from_consent(const consent_event_data *ev, watch_event *w)
{
	w->kind = (enum watch_kind)(WATCH_ACCESS_REQUESTED + ev->kind);
	memcpy(w->patient, ev->patient, 20);
	memcpy(w->party, ev->requester, 20);
	w->grant = ev->grant_id;
	w->request = ev->request_id;
	w->grant_request = ev->grant_request_id;
	w->flags = ev->flags;
	w->purpose = ev->purpose;
	w->duration = ev->duration;
	return copy_ids(w, ev->record_ids, ev->n_ids);
}

/* Decodes log into a new entry of s->evs (a log of neither family, or one
 * that does not decode, is counted as skipped). */
static int on_log(void *ctx, const chain_log *log)
{
	struct collect *s = ctx;
	registry_event_data rev;
	consent_event_data cev;
	watch_event *w;
	int rc;

	if (log->removed)
		return 0;
	if (array_grow((void **)&s->evs, &s->cap, s->n + 1, sizeof(*s->evs)))
		return ehr_fail(s->e, EHR_EFAIL, "out of memory");
	w = &s->evs[s->n];
	memset(w, 0, sizeof(*w));
	if (registry_events_match(&consent_events, log, s->registry) >= 0) {
		if (consent_decode_event(log, s->registry, &cev, NULL))
			goto skip;
		rc = from_consent(&cev, w);
		consent_event_free(&cev);
	} else {
		if (registry_decode_event(log, s->registry, &rev, NULL))
			goto skip;
		rc = from_registry(&rev, w);
		registry_event_free(&rev);
	}
	if (rc < 0)
		return ehr_fail(s->e, EHR_EFAIL, "out of memory");
	if (rc)
		goto skip;
	w->block = log->block_number;
	w->log_index = log->log_index;
	memcpy(w->tx, log->tx_hash, 32);
	s->n++;
	return 0;
skip:
	(*s->skipped)++;
	return 0;
}

static int by_position(const void *a, const void *b)
{
	const watch_event *x = a, *y = b;

	if (x->block != y->block)
		return x->block < y->block ? -1 : 1;
	return x->log_index < y->log_index ? -1 : x->log_index > y->log_index;
}

/* Sorts and drops the second copy of events found by both scans (a grant
 * to oneself names the account twice). */
static void sort_unique(struct collect *s)
{
	size_t i, kept = 0;

	array_sort(s->evs, s->n, sizeof(*s->evs), by_position);
	for (i = 0; i < s->n; i++) {
		if (kept && !by_position(&s->evs[kept - 1], &s->evs[i])) {
			free(s->evs[i].records);
			continue;
		}
		s->evs[kept++] = s->evs[i];
	}
	s->n = kept;
}

static size_t watched_topics(uint8_t (*t0)[32], bool as_party)
{
	size_t i, n = 0;

	for (i = 0; i < N_REGISTRY_KINDS; i++)
		if (!as_party || registry_kinds[i] != REG_EV_RECORD_ANCHORED)
			memcpy(t0[n++], registry_event_topic(registry_kinds[i]), 32);
	for (i = 0; i < CONSENT_EV_COUNT; i++)
		memcpy(t0[n++], registry_events_topic(&consent_events, i), 32);
	return n;
}

int watch_scan(chain *c, const uint8_t registry[20], const uint8_t me[20], uint64_t from,
	       uint64_t to, watch_event **evs, size_t *n, size_t *skipped, ehr_err *e)
{
	uint8_t t0[N_TOPICS][32], who[1][32];
	chain_topic topics[4] = { { t0, 0 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct collect s = { registry, NULL, 0, 0, skipped, e };
	int rc, pass;

	*evs = NULL;
	*n = 0;
	event_topic_address(me, who[0]);
	/* As the patient (topic 1), then as the other party (topic 3), where
	 * RecordAnchored is left out: its topic 3 is the author, and records
	 * this account writes are its own doing. */
	for (pass = 0, rc = 0; pass < 2 && !rc; pass++) {
		topics[0].n = watched_topics(t0, pass == 1);
		topics[1] = (chain_topic){ pass == 0 ? who : NULL, pass == 0 };
		topics[3] = (chain_topic){ pass == 1 ? who : NULL, pass == 1 };
		rc = event_scan_logs(c, registry, topics, from, to, on_log, &s, e);
	}
	if (rc) {
		watch_events_free(s.evs, s.n);
		return rc;
	}
	sort_unique(&s);
	*evs = s.evs;
	*n = s.n;
	return 0;
}

/* ---- grants about to expire -------------------------------------------------- */

static watch_grant *grant_find(const watch_grants *g, uint64_t id)
{
	return array_find(&id, g->v, g->n, sizeof(*g->v), array_cmp_u64);
}

int watch_grants_note(watch_grants *g, const watch_event *ev, ehr_err *e)
{
	watch_grant *w;

	if (ev->kind != WATCH_GRANT_ISSUED && ev->kind != WATCH_GRANT_REVOKED)
		return 0;
	if (!(w = grant_find(g, ev->grant))) {
		if (array_grow((void **)&g->v, &g->cap, g->n + 1, sizeof(*g->v)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		w = &g->v[g->n++];
		memset(w, 0, sizeof(*w));
		w->id = ev->grant;
		memcpy(w->patient, ev->patient, 20);
		memcpy(w->grantee, ev->party, 20);
		array_sort(g->v, g->n, sizeof(*g->v), array_cmp_u64);
		w = grant_find(g, ev->grant);
	}
	if (ev->kind == WATCH_GRANT_ISSUED)
		w->expiry = ev->expiry;
	else
		w->revoked = true;
	return 0;
}

struct grant_scan {
	watch_grants *g;
	ehr_err *e;
};

static int on_grant_event(void *ctx, const registry_event_data *ev)
{
	struct grant_scan *s = ctx;
	watch_event w;

	memset(&w, 0, sizeof(w));
	w.kind = ev->kind == REG_EV_GRANT_ISSUED ? WATCH_GRANT_ISSUED : WATCH_GRANT_REVOKED;
	w.grant = ev->id;
	w.expiry = ev->expiry;
	memcpy(w.patient, ev->patient, 20);
	memcpy(w.party, ev->party, 20);
	return watch_grants_note(s->g, &w, s->e);
}

int watch_grants_load(chain *c, const uint8_t registry[20], const uint8_t me[20], uint64_t to,
		      watch_grants *g, ehr_err *e)
{
	uint8_t t0[2][32], who[1][32];
	chain_topic topics[4] = { { t0, 2 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct grant_scan s = { g, e };
	size_t skipped = 0;
	int rc, pass;

	memset(g, 0, sizeof(*g));
	memcpy(t0[0], registry_event_topic(REG_EV_GRANT_ISSUED), 32);
	memcpy(t0[1], registry_event_topic(REG_EV_GRANT_REVOKED), 32);
	event_topic_address(me, who[0]);
	for (pass = 0, rc = 0; pass < 2 && !rc; pass++) {
		topics[1] = (chain_topic){ pass == 0 ? who : NULL, pass == 0 };
		topics[3] = (chain_topic){ pass == 1 ? who : NULL, pass == 1 };
		rc = event_scan(c, registry, topics, 0, to, on_grant_event, &s, &skipped, e);
	}
	return rc;
}

void watch_grants_free(watch_grants *g)
{
	free(g->v);
	memset(g, 0, sizeof(*g));
}

static bool warned(const watch_state *st, uint64_t id)
{
	size_t i;

	for (i = 0; i < st->n_warned; i++)
		if (st->warned[i] == id)
			return true;
	return false;
}

/* Drops the announced grants that have run out: they cannot expire twice. */
static void forget_expired(const watch_grants *g, watch_state *st, uint64_t now)
{
	size_t i, kept = 0;

	for (i = 0; i < st->n_warned; i++) {
		const watch_grant *w = grant_find(g, st->warned[i]);

		if (!w || w->expiry > now)
			st->warned[kept++] = st->warned[i];
	}
	st->n_warned = kept;
}

int watch_expiring(const watch_grants *g, watch_state *st, uint64_t now, uint64_t head,
		   watch_event **evs, size_t *n, ehr_err *e)
{
	size_t i, cap = 0, wcap = st->n_warned;
	watch_event *w;

	*evs = NULL;
	*n = 0;
	forget_expired(g, st, now);
	for (i = 0; i < g->n; i++) {
		const watch_grant *gr = &g->v[i];

		if (gr->revoked || gr->expiry <= now || gr->expiry - now > WATCH_EXPIRY_NOTICE_S ||
		    warned(st, gr->id))
			continue;
		if (array_grow((void **)evs, &cap, *n + 1, sizeof(**evs)) ||
		    array_grow((void **)&st->warned, &wcap, st->n_warned + 1, sizeof(*st->warned))) {
			watch_events_free(*evs, *n);
			*evs = NULL;
			*n = 0;
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		}
		w = &(*evs)[(*n)++];
		memset(w, 0, sizeof(*w));
		w->kind = WATCH_GRANT_EXPIRING;
		w->block = head;
		w->log_index = WATCH_NO_LOG;
		w->grant = gr->id;
		w->expiry = gr->expiry;
		memcpy(w->patient, gr->patient, 20);
		memcpy(w->party, gr->grantee, 20);
		st->warned[st->n_warned++] = gr->id;
	}
	return 0;
}

/* ---- the state file ---------------------------------------------------------- */

int watch_state_path(uint64_t chain_id, const uint8_t registry[20], const uint8_t me[20],
		     char *out, size_t cap, ehr_err *e)
{
	char dir[4096], addr[41], reg[41];
	int rc;

	if ((rc = paths_get(PLACE_STATE, dir, sizeof(dir), e)) || (rc = dir_ensure(dir, 0700, e)))
		return rc;
	hex_encode(me, 20, addr);
	hex_encode(registry, 20, reg);
	if ((size_t)snprintf(out, cap, "%s/watch-%llu-%s-%s.json", dir, (unsigned long long)chain_id,
			     reg, addr) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "state path too long");
	return 0;
}

/* A whole number of a JSON object, as the state file writes it. */
static int get_u64(const cJSON *o, const char *name, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > 9007199254740992.0)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

static int same_string(const cJSON *o, const char *name, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && !strcmp(v->valuestring, want);
}

static int parse_state(const cJSON *root, uint64_t chain_id, const char *reg, const char *addr,
		       watch_state *st)
{
	const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "warned"), *it;
	uint64_t id = 0;
	size_t i = 0;

	if (get_u64(root, "chain", &id) || id != chain_id || !same_string(root, "registry", reg) ||
	    !same_string(root, "account", addr) || get_u64(root, "block", &st->block) ||
	    get_u64(root, "log", &st->log_index) || !cJSON_IsArray(arr))
		return -1;
	if (cJSON_GetArraySize(arr) &&
	    !(st->warned = calloc((size_t)cJSON_GetArraySize(arr), sizeof(*st->warned))))
		return -1;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsNumber(it) || it->valuedouble < 1)
			return -1;
		st->warned[i++] = (uint64_t)it->valuedouble;
	}
	st->n_warned = i;
	return 0;
}

int watch_state_load(const char *path, uint64_t chain_id, const uint8_t registry[20],
		     const uint8_t me[20], watch_state *st, bool *found, ehr_err *e)
{
	char *text = NULL, reg[43], addr[43];
	size_t len;
	cJSON *root;
	int rc;

	memset(st, 0, sizeof(*st));
	*found = false;
	if (!file_exists(path))
		return 0;
	if ((rc = file_read_all(path, 1 << 20, &text, &len, e)))
		return rc;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	hex_encode0x(registry, 20, reg);
	hex_encode0x(me, 20, addr);
	rc = !root || parse_state(root, chain_id, reg, addr, st);
	cJSON_Delete(root);
	if (rc) {
		watch_state_free(st);
		return ehr_fail(e, EHR_EINTEGRITY, "%s is not this account's watch state: remove it, "
				"or start over with --from BLOCK", path);
	}
	*found = true;
	return 0;
}

int watch_state_save(const char *path, uint64_t chain_id, const uint8_t registry[20],
		     const uint8_t me[20], const watch_state *st, void (*shown)(void *), void *ctx,
		     ehr_err *e)
{
	char reg[43], addr[43], *text;
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	size_t i;
	int rc;

	hex_encode0x(registry, 20, reg);
	hex_encode0x(me, 20, addr);
	cJSON_AddNumberToObject(root, "chain", (double)chain_id);
	cJSON_AddStringToObject(root, "registry", reg);
	cJSON_AddStringToObject(root, "account", addr);
	cJSON_AddNumberToObject(root, "block", (double)st->block);
	cJSON_AddNumberToObject(root, "log", (double)st->log_index);
	for (i = 0; i < st->n_warned; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)st->warned[i]));
	cJSON_AddItemToObject(root, "warned", arr);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = file_replace_atomic_hook(path, text, strlen(text), 0600, shown, ctx, e);
	free(text);
	return rc;
}

void watch_state_free(watch_state *st)
{
	free(st->warned);
	memset(st, 0, sizeof(*st));
}
