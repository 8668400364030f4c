#include "wallet/registry/event_scan.h"

#include <string.h>

struct scan {
	const uint8_t *registry;
	event_scan_cb cb;
	void *ctx;
	size_t *skipped;
	ehr_err *e;
};

static int on_log(void *ctx, const chain_log *log)
{
	struct scan *s = ctx;
	registry_event_data ev;
	int rc;

	if (log->removed)
		return 0;
	if ((rc = registry_decode_event(log, s->registry, &ev, s->skipped ? NULL : s->e))) {
		if (!s->skipped)
			return rc;
		(*s->skipped)++;
		return 0;
	}
	rc = s->cb(s->ctx, &ev);
	registry_event_free(&ev);
	return rc;
}

int event_scan_logs(chain *c, const uint8_t registry[20], const chain_topic topics[4], uint64_t from,
		    uint64_t to, chain_log_cb cb, void *ctx, ehr_err *e)
{
	chain_topic sliced[4];
	size_t first, n;
	int pos, rc = 0;

	for (pos = 0; pos < 4 && topics[pos].n <= EVENT_SCAN_ALTERNATIVES; pos++)
		;
	if (pos == 4)
		return chain_get_logs(c, registry, topics, from, to, cb, ctx, e);
	memcpy(sliced, topics, sizeof(sliced));
	n = topics[pos].n;
	for (first = 0; first < n && !rc; first += EVENT_SCAN_ALTERNATIVES) {
		sliced[pos].any_of = topics[pos].any_of + first;
		sliced[pos].n = n - first < EVENT_SCAN_ALTERNATIVES ? n - first : EVENT_SCAN_ALTERNATIVES;
		rc = chain_get_logs(c, registry, sliced, from, to, cb, ctx, e);
	}
	return rc;
}

int event_scan(chain *c, const uint8_t registry[20], const chain_topic topics[4], uint64_t from,
	       uint64_t to, event_scan_cb cb, void *ctx, size_t *skipped, ehr_err *e)
{
	struct scan s = { registry, cb, ctx, skipped, e };

	return event_scan_logs(c, registry, topics, from, to, on_log, &s, e);
}

int event_scan_issue(chain *c, const uint8_t registry[20], const char *what, uint64_t id,
		     const enum registry_event *kinds, size_t n_kinds, uint64_t from, uint64_t to,
		     event_scan_cb cb, void *ctx, const size_t *found, size_t *skipped, ehr_err *e)
{
	uint8_t t0[4][32], t2[1][32];
	chain_topic topics[4] = { { t0, 0 }, { NULL, 0 }, { t2, 1 }, { NULL, 0 } };
	const char *issued = registry_event_signature(kinds[0]);
	int rc;

	for (topics[0].n = 0; topics[0].n < n_kinds && topics[0].n < 4; topics[0].n++)
		memcpy(t0[topics[0].n], registry_event_topic(kinds[topics[0].n]), 32);
	event_topic_u64(id, t2[0]);
	if ((rc = event_scan(c, registry, topics, from, to, cb, ctx, skipped, e)))
		return rc;
	if (*found != 1)
		return ehr_fail(e, EHR_EINTEGRITY, "%s %llu: the node has no %.*s event in block %llu", what,
				(unsigned long long)id, (int)strcspn(issued, "("), issued,
				(unsigned long long)from);
	return 0;
}

void event_topic_address(const uint8_t addr[20], uint8_t out[32])
{
	memset(out, 0, 12);
	memcpy(out + 12, addr, 20);
}

void event_topic_u64(uint64_t v, uint8_t out[32])
{
	int i;

	memset(out, 0, 32);
	for (i = 31; i >= 24; i--, v >>= 8)
		out[i] = (uint8_t)v;
}
