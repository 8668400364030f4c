/* What `ehr watch` follows for one account (DESIGN.md sections 8 and 10):
 * the registry's and the consent flow's events that name it as the patient
 * (topic 1) or as the other party (topic 3), flattened into one event type
 * in chain order; grants about to expire, which the chain never announces;
 * and the state file that lets a watcher resume where it stopped. Nothing
 * prints; only the scans talk to the node. */
#ifndef EHR_WATCH_H
#define EHR_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"
#include "wallet/chain/chain.h"

enum watch_kind {
	WATCH_RECORD_ADDED, WATCH_GRANT_ISSUED, WATCH_GRANT_REVOKED, WATCH_BEARER_REDEEMED,
	WATCH_ACCESS_LOGGED, WATCH_INVOICE_ISSUED, WATCH_INVOICE_PAID, WATCH_INVOICE_CANCELLED,
	WATCH_ACCESS_REQUESTED, WATCH_KEYS_RELEASED, WATCH_ACCESS_DENIED,
	WATCH_GRANT_REQUESTED, WATCH_GRANT_REQUEST_APPROVED, WATCH_GRANT_REQUEST_DENIED,
	WATCH_DERIVED_RELEASED,       /* a research grant's de-identified copies released */
	WATCH_GRANT_EXPIRING,         /* synthesised: not an event of the chain */
	WATCH_KIND_COUNT
};

/* Grants are announced this long before their expiry. */
#define WATCH_EXPIRY_NOTICE_S 86400

/* The log index of a synthesised event (after every real one of its block). */
#define WATCH_NO_LOG UINT64_MAX

/* One event, flattened; fields a kind does not have stay zero. */
typedef struct watch_event {
	enum watch_kind kind;
	uint64_t block, log_index;    /* WATCH_GRANT_EXPIRING: the head it was seen at, WATCH_NO_LOG */
	uint8_t tx[32];               /* zero when synthesised */
	uint8_t patient[20];
	uint8_t party[20];            /* author, grantee, redeemer, accessor, requester or issuer */
	uint64_t record;              /* WATCH_RECORD_ADDED */
	uint64_t grant;               /* grant events, access events, approved grant requests */
	uint64_t request;             /* access request id */
	uint64_t grant_request;       /* provider-first grant request id */
	uint64_t invoice;
	uint64_t *records;            /* owned: the records named, n_records of them */
	size_t n_records;
	uint64_t expiry;              /* grant issued, grant expiring */
	uint8_t flags, purpose;       /* grant issued, grant requested */
	uint64_t duration;            /* grant requested */
	uint8_t token[20];            /* invoices: zero for the native coin */
	u256 amount;
	uint64_t due;
} watch_event;

/* "record_added", "access_requested", ..., "grant_expiring". */
const char *watch_kind_name(enum watch_kind kind);

void watch_events_free(watch_event *evs, size_t n);

/* The events naming `me` in blocks from..to (inclusive; to may not be
 * CHAIN_LATEST), sorted by block and log index, each once. *evs is
 * malloc'd (NULL when *n is 0): free with watch_events_free. Logs that do
 * not decode are passed over and counted in *skipped. */
int watch_scan(chain *c, const uint8_t registry[20], const uint8_t me[20], uint64_t from,
	       uint64_t to, watch_event **evs, size_t *n, size_t *skipped, ehr_err *e);

/* ---- grants about to expire ------------------------------------------------ */

typedef struct watch_grant {
	uint64_t id, expiry;
	uint8_t patient[20], grantee[20];
	bool revoked;
} watch_grant;

typedef struct watch_grants {
	watch_grant *v;               /* sorted by id */
	size_t n, cap;
} watch_grants;

/* The grants naming `me` (as patient or grantee) issued up to block `to`,
 * with their revocations. g is zeroed first; free with watch_grants_free. */
int watch_grants_load(chain *c, const uint8_t registry[20], const uint8_t me[20], uint64_t to,
		      watch_grants *g, ehr_err *e);

/* Keeps g up to date with ev (a grant issued or revoked). */
int watch_grants_note(watch_grants *g, const watch_event *ev, ehr_err *e);

void watch_grants_free(watch_grants *g);

/* ---- where a watcher stopped ----------------------------------------------- */

/* Everything before (block, log_index) was handled; warned lists the grants
 * whose expiry was announced. */
typedef struct watch_state {
	uint64_t block, log_index;
	uint64_t *warned;             /* malloc'd, n_warned of them */
	size_t n_warned;
} watch_state;

/* The grants of g expiring within WATCH_EXPIRY_NOTICE_S of now (not yet
 * expired, not revoked, not in st->warned): one WATCH_GRANT_EXPIRING event
 * each at block `head`, added to st->warned. Grants already expired leave
 * st->warned. *evs as watch_scan's. */
int watch_expiring(const watch_grants *g, watch_state *st, uint64_t now, uint64_t head,
		   watch_event **evs, size_t *n, ehr_err *e);

/* The state file of this account on this chain and registry, in the state
 * directory (created 0700). */
int watch_state_path(uint64_t chain_id, const uint8_t registry[20], const uint8_t me[20],
		     char *out, size_t cap, ehr_err *e);

/* Reads the state file; *found is false (and st zeroed) when there is none.
 * A file for another chain, registry or account, or one that does not
 * parse: EHR_EINTEGRITY. Free with watch_state_free. */
int watch_state_load(const char *path, uint64_t chain_id, const uint8_t registry[20],
		     const uint8_t me[20], watch_state *st, bool *found, ehr_err *e);

/* Writes the state file atomically (0600): a crash leaves the old state
 * or the new one. shown(ctx), when given, is called once the new state is
 * on disk and just before it replaces the old one (file_replace_atomic_hook):
 * an event shown there and the state that says it was handled appear
 * together, so a watcher killed at any point shows each event once (but
 * for a kill within the microseconds between the two). */
int watch_state_save(const char *path, uint64_t chain_id, const uint8_t registry[20],
		     const uint8_t me[20], const watch_state *st, void (*shown)(void *), void *ctx,
		     ehr_err *e);

void watch_state_free(watch_state *st);

#endif
