/* One account's history, read from the registry's events (the contract
 * emits one for every change; DESIGN.md section 8). Two log scans, one
 * with the account as the patient (topic 1) and one with it as the other
 * party (topic 3), merged in chain order; grants that ran out get a
 * "grant expired" row at their expiry. Titles are decrypted locally where
 * the account holds a data key. Nothing here prints: `ehr audit` prints
 * and fhir_audit.h exports what this holds. */
#ifndef EHR_HISTORY_H
#define EHR_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"
#include "wallet/chain/chain.h"
#include "wallet/vault/envelope.h"
#include "wallet/registry/registry.h"

/* The registry's events, and one the chain never emits. */
#define HISTORY_EXPIRED REG_EV_COUNT
/* The consent events (access requests, releases, denials, grant requests
 * and their answers): HISTORY_CONSENT + enum consent_event. */
#define HISTORY_CONSENT (REG_EV_COUNT + 1)
#define HISTORY_KINDS (HISTORY_CONSENT + 7)   /* CONSENT_EV_COUNT */

/* One line of the history. */
typedef struct history_row {
	int kind;                         /* enum registry_event, HISTORY_EXPIRED or
	                                     HISTORY_CONSENT + enum consent_event */
	uint64_t block, log_index, time;  /* block 0: a synthesised row */
	uint8_t tx[32];
	uint8_t patient[20], party[20];
	bool has_party;
	uint64_t grant, invoice;          /* 0: none */
	uint64_t *records;                /* owned; NULL when the grant's records apply */
	size_t n_records;
	uint64_t *derived;                /* owned, n_records of them: a research release's copy of
	                                     records[i] (0: withheld); NULL for other rows */
	long gi;                          /* index in grants[] of the row's grant, or -1 */
	uint64_t expiry;                  /* grant issued and expired rows */
	uint8_t flags;
	uint8_t token[20];                /* invoices */
	u256 amount;
	uint64_t due;
	bool shown;                       /* set by history_select */
} history_row;

/* A grant as its events tell it. */
typedef struct history_grant {
	uint64_t id;
	uint8_t patient[20], grantee[20];
	uint64_t expiry, issued_time, revoked_time;
	uint8_t flags;
	bool revoked, shown;
	uint64_t *ids;
	size_t n, cap;
} history_grant;

/* A record this account may read: its anchor's metadata and the data key
 * sealed to this account (as patient, author, or grantee). id first:
 * sorted and found with array_cmp_u64. */
typedef struct history_rec {
	uint64_t id;
	uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES];
	bool has_key;
	uint8_t *meta;
	size_t meta_len;
	char *title;                      /* NULL until opened, or when it does not open */
	bool tried;
} history_rec;

/* A data key that a grant to this account carries. */
typedef struct history_key {
	uint64_t id;
	uint8_t patient[20];
	uint8_t sealed[ENVELOPE_SEALED_KEY_BYTES];
} history_key;

typedef struct history {
	chain *c;                         /* borrowed */
	uint8_t registry[20], me[20];
	uint64_t head, head_time;
	history_row *rows;                /* in time order after history_load */
	size_t nrows, caprows;
	history_grant *grants;            /* sorted by id */
	size_t ngrants, capgrants;
	history_rec *recs;                /* sorted by id */
	size_t nrecs, caprecs;
	history_key *gkeys;               /* sorted by id */
	size_t ngkeys, capgkeys;
	size_t skipped;                   /* logs that did not decode, left out */
} history;

/* The history of `me` up to block `head`: every event that names it, the
 * grants they tell of, expiry rows for the grants that ran out before the
 * head, and every row's block time (head_time: the head's). h is zeroed
 * first; free it with history_free whatever this returns. */
int history_load(history *h, chain *c, const uint8_t registry[20], const uint8_t me[20],
		 uint64_t head, ehr_err *e);
void history_free(history *h);

/* What to show: rows from `since` on (when has_since), about one grant, or
 * naming one record (0: any). */
typedef struct history_filter {
	uint64_t only_record, only_grant, since;
	bool has_since;
} history_filter;

/* Sets every row's and grant's `shown`: a grant is shown when one of its
 * shown rows names it. */
void history_select(history *h, const history_filter *f);

/* The records a row is about: its own, or its grant's. */
const uint64_t *history_row_records(const history *h, const history_row *w, size_t *n);

/* The plain words of a row's kind: "record added", "grant expired"... */
const char *history_event_words(int kind);

/* The records of the shown rows whose titles this account holds a key
 * for and that were not tried yet (fetching, in one more scan, the
 * metadata of records granted to it), marked tried: *list (malloc'd,
 * NULL when *n is 0) points into h->recs. */
int history_titles_wanted(history *h, history_rec ***list, size_t *n, ehr_err *e);

/* Opens the data keys of list with this X25519 pair (in worker threads,
 * the keys in secure memory) and decrypts each record's title; a key or
 * metadata that does not open leaves the title NULL. Fails only when
 * secure memory runs out. */
int history_open_titles(history_rec **list, size_t n, const uint8_t enc_public[32],
			const uint8_t enc_secret[32], ehr_err *e);

/* A record's decrypted title, or NULL. */
const char *history_title(const history *h, uint64_t id);

/* t as 2026-11-22T10:00:00Z (UTC), or "@t" when it cannot be. */
void history_iso_time(uint64_t t, char out[32]);

#endif
