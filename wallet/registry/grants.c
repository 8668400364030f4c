#include "wallet/registry/grants.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wallet/base/array.h"
#include "wallet/chain/abi.h"
#include "wallet/registry/event_scan.h"

void grants_free(grant_view *g)
{
	free(g->record_ids);
	free(g->sealed);
	free(g->keyed);
	g->record_ids = NULL;
	g->sealed = NULL;
	g->keyed = NULL;
	g->n = 0;
}

/* Adds the records of a GrantIssued or GrantKeysAdded event with their
 * sealed keys when it carries keys; a key of the wrong size is dropped
 * with its record (anyone can write events, but only the patient can
 * write these: still, never trust a length). */
static int take_keys(grant_view *g, const registry_event_data *ev, ehr_err *e)
{
	uint64_t *ids;
	uint8_t (*keys)[ENVELOPE_SEALED_KEY_BYTES], *keyed;
	size_t i, len, nkeys = registry_event_sealed_key(ev, 0, &len) ? ev->n_ids : 0;

	if (!ev->n_ids)
		return 0;
	ids = realloc(g->record_ids, (g->n + ev->n_ids) * sizeof(*ids));
	if (ids)
		g->record_ids = ids;
	keys = realloc(g->sealed, (g->n + ev->n_ids) * sizeof(*keys));
	if (keys)
		g->sealed = keys;
	keyed = realloc(g->keyed, g->n + ev->n_ids);
	if (keyed)
		g->keyed = keyed;
	if (!ids || !keys || !keyed)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < ev->n_ids; i++) {
		const uint8_t *k = nkeys ? registry_event_sealed_key(ev, i, &len) : NULL;

		if (nkeys && (!k || len != ENVELOPE_SEALED_KEY_BYTES))
			continue;
		g->record_ids[g->n] = ev->record_ids[i];
		memset(g->sealed[g->n], 0, ENVELOPE_SEALED_KEY_BYTES);
		if (k)
			memcpy(g->sealed[g->n], k, len);
		g->keyed[g->n] = k != NULL;
		g->n++;
	}
	return 0;
}

struct scan {
	grant_view *grants;
	size_t n, cap;
	uint64_t only;                /* 0: every grant */
	ehr_err *e;
};

static grant_view *find(struct scan *s, uint64_t id)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->grants[i].id == id)
			return &s->grants[i];
	return NULL;
}

static int scan_cb(void *ctx, const registry_event_data *ev)
{
	struct scan *s = ctx;
	grant_view *g;

	if (s->only && ev->id != s->only)
		return 0;
	if (ev->kind == REG_EV_GRANT_ISSUED && !find(s, ev->id)) {
		if (array_grow((void **)&s->grants, &s->cap, s->n + 1, sizeof(*s->grants)))
			return ehr_fail(s->e, EHR_EFAIL, "out of memory");
		g = &s->grants[s->n++];
		memset(g, 0, sizeof(*g));
		g->id = ev->id;
		memcpy(g->st.patient, ev->patient, 20);
		memcpy(g->st.grantee, ev->party, 20);
		g->st.expiry = ev->expiry;
		g->st.flags = ev->flags;
		g->st.issued_block = ev->block;
		g->purpose = ev->purpose;
		return take_keys(g, ev, s->e);
	}
	if (ev->kind == REG_EV_GRANT_KEYS_ADDED && (g = find(s, ev->id)) &&
	    !memcmp(g->st.patient, ev->patient, 20))
		return take_keys(g, ev, s->e);
	return 0;
}

/* Fills the state of each grant (grantOf, isActive) and the issue times. */
static int fill_state(chain *c, const uint8_t registry[20], grant_view *gs, size_t n, ehr_err *e)
{
	uint64_t *blocks = NULL, *times = NULL;
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		registry_grant st;

		if (!(rc = registry_grant_of(c, registry, gs[i].id, &st, e)))
			gs[i].st = st;
	}
	if (rc || !n)
		return rc;
	blocks = calloc(n, sizeof(*blocks));
	times = calloc(n, sizeof(*times));
	if (!blocks || !times)
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; !rc && i < n; i++)
		blocks[i] = gs[i].st.issued_block;
	if (!rc && !(rc = chain_block_times(c, blocks, n, times, e)))
		for (i = 0; i < n; i++)
			gs[i].issued_time = times[i];
	free(blocks);
	free(times);
	return rc;
}

int grants_get(chain *c, const uint8_t registry[20], uint64_t id, grant_view *out, ehr_err *e)
{
	static const enum registry_event kinds[] = { REG_EV_GRANT_ISSUED, REG_EV_GRANT_KEYS_ADDED };
	registry_grant st;
	struct scan s = { NULL, 0, 0, id, e };
	size_t skipped = 0;  /* logs that did not decode: passed over */
	uint64_t t;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_grant_of(c, registry, id, &st, e)))
		return rc;
	if (!st.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no grant %llu", (unsigned long long)id);
	if ((rc = event_scan_issue(c, registry, "grant", id, kinds, 2, st.issued_block, CHAIN_LATEST, scan_cb,
				   &s, &s.n, &skipped, e)))
		goto out;
	*out = s.grants[0];
	out->st = st;
	s.n = 0;
	if (!chain_block_time(c, st.issued_block, &t, NULL))
		out->issued_time = t;
out:
	while (s.n)
		grants_free(&s.grants[--s.n]);
	free(s.grants);
	return rc;
}

/* Every grant whose topic `pos` (1: patient, 3: grantee) is account. */
static int grants_where(chain *c, const uint8_t registry[20], int pos, const uint8_t account[20],
			grants_cb cb, void *ctx, ehr_err *e)
{
	uint8_t t0[2][32], ta[1][32];
	chain_topic topics[4] = { { t0, 2 }, { NULL, 0 }, { NULL, 0 }, { NULL, 0 } };
	struct scan s = { NULL, 0, 0, 0, e };
	size_t skipped = 0;
	size_t i;
	int rc;

	memcpy(t0[0], registry_event_topic(REG_EV_GRANT_ISSUED), 32);
	memcpy(t0[1], registry_event_topic(REG_EV_GRANT_KEYS_ADDED), 32);
	event_topic_address(account, ta[0]);
	topics[pos].any_of = ta;
	topics[pos].n = 1;
	rc = event_scan(c, registry, topics, 0, CHAIN_LATEST, scan_cb, &s, &skipped, e);
	if (!rc)
		rc = fill_state(c, registry, s.grants, s.n, e);
	for (i = 0; i < s.n; i++) {
		if (!rc)
			rc = cb(ctx, &s.grants[i]);
		grants_free(&s.grants[i]);
	}
	free(s.grants);
	return rc;
}

int grants_of_patient(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		      grants_cb cb, void *ctx, ehr_err *e)
{
	return grants_where(c, registry, 1, patient, cb, ctx, e);
}

int grants_of_grantee(chain *c, const uint8_t registry[20], const uint8_t grantee[20],
		      grants_cb cb, void *ctx, ehr_err *e)
{
	return grants_where(c, registry, 3, grantee, cb, ctx, e);
}

struct write_scan {
	uint64_t *ids;
	size_t n;
};

static int write_cb(void *ctx, const registry_event_data *ev)
{
	struct write_scan *w = ctx;
	uint64_t *grown;

	if (ev->kind == REG_EV_GRANT_ISSUED && (ev->flags & REG_GRANT_WRITE) && !(ev->flags & REG_GRANT_BEARER) &&
	    (grown = realloc(w->ids, (w->n + 1) * sizeof(*grown)))) {
		w->ids = grown;
		w->ids[w->n++] = ev->id;
	}
	return 0;
}

int grants_write_grant(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		       const uint8_t grantee[20], uint64_t *id, ehr_err *e)
{
	uint8_t t0[1][32], t1[1][32], t3[1][32];
	chain_topic topics[4] = { { t0, 1 }, { t1, 1 }, { NULL, 0 }, { t3, 1 } };
	struct write_scan w = { NULL, 0 };
	size_t skipped = 0;
	size_t i;
	int rc;

	*id = 0;
	memcpy(t0[0], registry_event_topic(REG_EV_GRANT_ISSUED), 32);
	event_topic_address(patient, t1[0]);
	event_topic_address(grantee, t3[0]);
	rc = event_scan(c, registry, topics, 0, CHAIN_LATEST, write_cb, &w, &skipped, e);
	for (i = w.n; !rc && i-- > 0;) {
		registry_grant st;

		if ((rc = registry_grant_of(c, registry, w.ids[i], &st, e)))
			break;
		if (st.active && (st.flags & REG_GRANT_WRITE) && !memcmp(st.grantee, grantee, 20)) {
			*id = w.ids[i];
			break;
		}
	}
	free(w.ids);
	return rc;
}

int time_parse(const char *s, uint64_t *out, ehr_err *e)
{
	struct tm tm;
	const char *end;
	char *num_end;
	unsigned long long v;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) && !*end)
		goto ok;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d %H:%M", &tm)) && !*end)
		goto ok;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%MZ", &tm)) && !*end)
		goto ok;
	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%d", &tm)) && !*end)
		goto ok;
	errno = 0;
	v = strtoull(s, &num_end, 10);
	if (s[0] >= '0' && s[0] <= '9' && !*num_end && !errno && v < (1ULL << 40)) {
		*out = v;
		return 0;
	}
	return ehr_fail(e, EHR_EUSAGE, "'%s' is not a time (use 2026-11-22T14:30:00Z, "
			"\"2026-11-22 14:30\" (UTC), 2026-11-22 or seconds since 1970)", s);
ok:
	*out = (uint64_t)timegm(&tm);
	return 0;
}

void time_format(uint64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, cap, "%Y-%m-%d %H:%M UTC", &tm);
}
