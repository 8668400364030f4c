/* The items of an upload job: the files given (FILEs, DIRs, or a manifest
 * of JSON lines), each read and hashed before anything is sent, with a key
 * that names it again in a re-run's journal, and the patients they go to.
 * Nothing here prints: ehr upload reports. */
#ifndef EHR_UPLOAD_LIST_H
#define EHR_UPLOAD_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/vault/journal.h"

/* What became of an item in this run. */
enum upload_state { UPLOAD_PENDING, UPLOAD_DONE, UPLOAD_SKIPPED, UPLOAD_FAILED };

/* An item's patient when it has none (a manifest line that names none
 * that is valid). */
#define UPLOAD_NO_PATIENT ((size_t)-1)

/* One file on its way into a patient's chart. */
struct upload_item {
	char key[JOURNAL_KEY_HEX];  /* "" for an item that failed as it was read */
	size_t patient;             /* index into patients, or UPLOAD_NO_PATIENT */
	char *file;
	char *title, *type;
	uint64_t size;
	enum upload_state state;
	bool already;               /* done by an earlier run */
	uint64_t record;
	uint8_t tx[32];
	bool has_tx;
	uint8_t content[32];        /* the file's SHA-256 when it was read */
	char why[sizeof(((ehr_err *)0)->msg)];
};

/* A patient of the job, and whether they can be written to. */
struct upload_patient {
	uint8_t addr[20];
	uint8_t enc_pk[32];
	uint64_t grant;
	char why[sizeof(((ehr_err *)0)->msg)];  /* "" when uploads may go ahead */
};

struct upload_list {
	struct upload_item *items;
	size_t n, cap;
	struct upload_patient *patients;
	size_t np;
	uint64_t bytes_total;       /* of every item's file */
	bool keep_going;            /* a file or line that cannot be read: a failed item */
};

/* Adds a FILE for patient, or every regular file of a DIR in name order
 * (none is EHR_EUSAGE); each item with title and type (NULL: the
 * defaults). A file that cannot be read is EHR_EUSAGE; with keep_going
 * it is an item in state UPLOAD_FAILED, its why saying so (returns 0). */
int upload_add_path(struct upload_list *l, const uint8_t patient[20], const char *path,
		    const char *title, const char *type, ehr_err *e);

/* Adds the items of a manifest: one JSON object a line, {"patient": ADDR,
 * "file": PATH, "title": TEXT, "type": TEXT}, files relative to the
 * manifest; title and type: for lines without their own. A bad line is
 * EHR_EUSAGE naming it; with keep_going a failed item (its file, else
 * the manifest's line, and why). */
int upload_read_manifest(struct upload_list *l, const char *path, const char *title,
			 const char *type, ehr_err *e);

/* Checks an item the way sealing it will (the file readable, FHIR JSON
 * valid R4, with on_chain its envelope not too big for the chain store),
 * so that a bad file is found before anything is sent. Returns 0, or
 * EHR_EUSAGE naming the file and the problem. */
int upload_check_item(const struct upload_item *it, bool on_chain, ehr_err *e);

void upload_list_free(struct upload_list *l);

#endif
