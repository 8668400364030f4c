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

/* One file on its way into a patient's chart. */
struct upload_item {
	char key[JOURNAL_KEY_HEX];
	size_t patient;             /* index into patients */
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
};

/* Adds a FILE for patient, or every regular file of a DIR in name order
 * (none is EHR_EUSAGE); each item with title and type (NULL: the
 * defaults). A file that cannot be read is EHR_EUSAGE. */
int upload_add_path(struct upload_list *l, const uint8_t patient[20], const char *path,
		    const char *title, const char *type, ehr_err *e);

/* Adds the items of a manifest: one JSON object a line, {"patient": ADDR,
 * "file": PATH, "title": TEXT, "type": TEXT}, files relative to the
 * manifest; title and type: for lines without their own. A bad line is
 * EHR_EUSAGE naming it. */
int upload_read_manifest(struct upload_list *l, const char *path, const char *title,
			 const char *type, ehr_err *e);

void upload_list_free(struct upload_list *l);

#endif
