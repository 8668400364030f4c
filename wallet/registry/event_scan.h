/* The one reader of the registry's event logs: fetch the logs of the
 * registry for given topics over a block range, decode each, and hand the
 * decoded event to a callback. grants, invoices and the history use it. */
#ifndef EHR_EVENT_SCAN_H
#define EHR_EVENT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/chain/chain.h"
#include "wallet/registry/registry.h"

/* Called once per decoded event, in chain order; ev is freed after it
 * returns. A nonzero return ends the scan and becomes its result (so
 * return an ehr status). */
typedef int (*event_scan_cb)(void *ctx, const registry_event_data *ev);

/* Nodes cap the alternatives of one topic position in one filter. */
#define EVENT_SCAN_ALTERNATIVES 32

/* The registry's logs matching topics (as chain_get_logs takes them) from
 * block `from` to `to` inclusive (CHAIN_LATEST: the head), each decoded and
 * given to cb. Logs a reorg removed are passed over. A log that does not
 * decode (anyone may call the registry, but only it writes its events) is
 * passed over and counted in *skipped when skipped is given; without it
 * the scan fails with the decoder's error. A topic position holding more
 * than EVENT_SCAN_ALTERNATIVES alternatives (at most one such position) is
 * asked for in slices, one scan after another. Returns 0, cb's nonzero
 * return, or the failure in e. */
int event_scan(chain *c, const uint8_t registry[20], const chain_topic topics[4], uint64_t from,
	       uint64_t to, event_scan_cb cb, void *ctx, size_t *skipped, ehr_err *e);

/* event_scan without the decoding, for callers that read events of more
 * than one family (the registry's and the consent flow's): every log the
 * filter matches, removed ones included (check log->removed), sliced as
 * event_scan slices. Returns 0, cb's nonzero return, or the failure. */
int event_scan_logs(chain *c, const uint8_t registry[20], const chain_topic topics[4], uint64_t from,
		    uint64_t to, chain_log_cb cb, void *ctx, ehr_err *e);

/* The events of one grant or invoice, as event_scan gives them: logs
 * whose topic 0 is one of kinds[0..n_kinds) (at most 4) and whose topic 2
 * is id, from block `from` to `to`. cb counts in *found the issuing events
 * (kinds[0]) it took; when that is not exactly 1 afterwards the scan fails
 * with EHR_EINTEGRITY "WHAT ID: the node has no EVENT event in block
 * FROM" (what: "grant", "invoice"). */
int event_scan_issue(chain *c, const uint8_t registry[20], const char *what, uint64_t id,
		     const enum registry_event *kinds, size_t n_kinds, uint64_t from, uint64_t to,
		     event_scan_cb cb, void *ctx, const size_t *found, size_t *skipped, ehr_err *e);

/* A topic word: an address (right-aligned), or a number (big-endian). */
void event_topic_address(const uint8_t addr[20], uint8_t out[32]);
void event_topic_u64(uint64_t v, uint8_t out[32]);

#endif
