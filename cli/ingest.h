/* Records on their way in, shared by `record add` (the patient) and
 * `upload` (a provider with a write grant): reading and recognising files
 * (FHIR JSON, Bundles split into entries), sealing each into an envelope
 * with its data key sealed to the patient (and to the author), putting the
 * ciphertext in its store, and the transactions that anchor them. */
#ifndef EHR_INGEST_H
#define EHR_INGEST_H

#include <stdbool.h>
#include <stdint.h>

#include "wallet/chainstore.h"
#include "wallet/envelope.h"
#include "wallet/err.h"

/* One file (or one entry of a split Bundle) on its way in. */
struct incoming {
	const char *path;           /* the file, or NULL for an entry in buf */
	char *buf;                  /* a Bundle entry's JSON, malloc'd */
	size_t buf_len;
	envelope_meta meta;
	int env_fd;                 /* the sealed envelope (unnamed temp file) */
	uint64_t env_size;
	uint8_t hash[32];
	uint8_t patient_key[ENVELOPE_SEALED_KEY_BYTES];
	uint8_t author_key[ENVELOPE_SEALED_KEY_BYTES];
	bool has_author_key;        /* a provider writes: the key sealed to it too */
	uint8_t *key;               /* the data key (sodium memory), for --all grantees */
	uint8_t *env;               /* chain store: the envelope in memory */
	uint8_t *prefix;            /* the header and metadata message: the anchor's meta */
	size_t prefix_len;
	char locator[600];
	registry_chunk *chunks;
	size_t nchunks;
	uint64_t id;
};


/* The media type of a file name (or FHIR JSON). */
const char *ingest_media_type(const char *name, const char *resource_type);

/* Reads in->path when it claims or looks like JSON: its FHIR resourceType
 * into in->meta, the text into *json (malloc'd, NULL for other files).
 * Invalid JSON in a .json file is EHR_EUSAGE with the line and column. */
int ingest_inspect(struct incoming *in, char **json, size_t *json_len, ehr_err *e);

/* Appends one incoming record per entry of the Bundle in json to *list. */
int ingest_split_bundle(const char *path, const char *json, size_t len,
			struct incoming **list, size_t *n, size_t *cap, ehr_err *e);

/* Reads and checks one file (which must be a regular file) and appends
 * it to *list as one incoming record, or, with split, one per entry when
 * it is a FHIR Bundle. title: the record's title (default: the file name). */
int ingest_collect(const char *path, const char *title, bool split,
		   struct incoming **list, size_t *n, size_t *cap, ehr_err *e);

/* Fills the type (given, else the FHIR resourceType, else "document")
 * and the media type (given, else from the name). */
void ingest_describe(struct incoming *in, const char *type, const char *media);

/* Seals in into an unnamed temporary file under a fresh data key (kept in
 * in->key), the key sealed to patient_pk and, when not NULL, author_pk. */
int ingest_seal(struct incoming *in, const uint8_t patient_pk[32], const uint8_t *author_pk,
		ehr_err *e);

/* The chain store: the envelope into memory, cut into chunks. */
int ingest_chunk(struct incoming *in, ehr_err *e);

/* The transactions that store (on_chain) and anchor ins for patient,
 * under grant_id (0 when the patient writes). */
int ingest_plan(const uint8_t patient[20], uint64_t grant_id, struct incoming *ins, size_t n,
		bool on_chain, chainstore_plan *plan, ehr_err *e);

/* Record ids from the receipts' RecordAnchored logs, matched by content
 * hash. */
int ingest_ids(const uint8_t registry[20], const chain_receipt *r, size_t ntx,
	       struct incoming *ins, size_t n, ehr_err *e);

void ingest_free(struct incoming *in);

#endif
