/* The upload journal: what a batch upload did, so that running the same
 * command again after a crash, a kill -9, a node outage or Ctrl-C
 * finishes the rest without uploading anything twice.
 *
 * A file of JSON lines, appended and fsync'd before anything it records
 * is sent; a torn last line (a kill while writing) is ignored. Lines:
 *   {"tx": HASH, "raw": HEX, "items": [KEY...], "envelopes": [HASH...]}
 *       a signed transaction about to be sent, and the items it anchors
 *       with their envelopes' content hashes;
 *   {"item": KEY, "record": ID, "envelope": HASH}
 *       an item anchored as record ID.
 * An item's KEY names it independently of the run: a hash of the patient,
 * the file and its contents, the title and the type. */
#ifndef EHR_JOURNAL_H
#define EHR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define JOURNAL_KEY_HEX 65

typedef struct journal_tx {
	uint8_t hash[32];
	uint8_t *raw;
	size_t raw_len;
	char (*items)[JOURNAL_KEY_HEX];
	uint8_t (*envelopes)[32];
	size_t n;
} journal_tx;

typedef struct journal_item {
	char key[JOURNAL_KEY_HEX];
	uint64_t record;
	uint8_t envelope[32];
} journal_item;

typedef struct journal {
	char *path;
	int fd;
	journal_tx *txs;
	size_t ntxs;
	journal_item *items;
	size_t nitems;
} journal;

/* Opens (creating, 0600) and reads the journal at path. */
int journal_open(const char *path, journal **out, ehr_err *e);
/* Reads the journal at path without creating or writing anything (no
 * file: an empty journal); journal_add_tx and journal_add_items refuse
 * to write to it. */
int journal_read(const char *path, journal **out, ehr_err *e);

void journal_close(journal *j);

/* The anchored entry of an item, or NULL. */
const journal_item *journal_anchored(const journal *j, const char *key);

/* Appends and syncs: a transaction before it is sent; items once anchored. */
int journal_add_tx(journal *j, const journal_tx *tx, ehr_err *e);
int journal_add_items(journal *j, const journal_item *items, size_t n, ehr_err *e);

#endif
