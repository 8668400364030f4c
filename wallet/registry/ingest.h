/* Records on their way in, shared by `record add` (the patient) and
 * `upload` (a provider with a write grant): reading and recognising files
 * (FHIR JSON, Bundles split into entries), sealing each into an envelope
 * with its data key sealed to the patient (and to the author), putting the
 * ciphertext in its store, and the transactions that anchor them. */
#ifndef EHR_INGEST_H
#define EHR_INGEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "wallet/registry/chainstore.h"
#include "wallet/vault/envelope.h"
#include "wallet/base/err.h"

/* One file (or one entry of a split Bundle) on its way in. */
struct incoming {
	const char *path;           /* the file, or NULL for an entry in buf */
	char *buf;                  /* a Bundle entry's JSON, malloc'd */
	size_t buf_len;
	envelope_meta meta;
	int env_fd;                 /* a big envelope (unnamed temp file), or -1 */
	uint64_t env_size;
	uint8_t hash[32];
	uint8_t patient_key[ENVELOPE_SEALED_KEY_BYTES];
	uint8_t author_key[ENVELOPE_SEALED_KEY_BYTES];
	bool has_author_key;        /* a provider writes: the key sealed to it too */
	uint8_t *key;               /* the data key, in the batch's memory (--all grantees) */
	uint8_t *env;               /* chain store: the envelope in memory */
	uint8_t content_sha[32];    /* with check_content: the plaintext's SHA-256 */
	bool check_content;
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

/* Appends to *list (n items, room for *cap) one incoming record holding a
 * copy of the len bytes of json, its metadata initialised; *out points at
 * it. On failure nothing is appended. */
int ingest_append_json(struct incoming **list, size_t *n, size_t *cap, const char *json, size_t len,
		       struct incoming **out, ehr_err *e);

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

/* Sealing a batch of records on every core. Each record gets a fresh data
 * key (in->key, kept in the batch's secure memory until ingest_batch_free),
 * sealed to the patient and, when given, to the author; its envelope goes
 * to its store: with the chain store (store NULL) into memory and cut into
 * chunks (small files are read once into secure memory and sealed there,
 * bigger ones stream through a temporary file), with a dir: store into the
 * directory, its locator in in->locator. A record whose check_content is
 * set must still hold the contents whose SHA-256 is content_sha.
 *
 * A pool's helper threads (one fewer than the cores, at most 7) seal the
 * batches started on it in the order they were started, so batches queued
 * ahead never take more cores than there are; the thread that finishes a
 * batch joins in. */
struct ingest_batch;

struct ingest_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;        /* a batch was queued, or the pool closes */
	pthread_cond_t idle;        /* a helper left a batch */
	struct ingest_batch *queue; /* started batches with records left to take */
	bool closing;
	pthread_t helpers[7];
	size_t nhelpers;
};

struct ingest_batch {
	struct ingest_pool *pool;
	struct ingest_batch *next_queued;
	struct incoming *ins;
	size_t n;
	const char *store;
	uint8_t patient_pk[32], author_pk[32];
	bool has_author;
	uint8_t *keys;              /* n data keys, one sodium_malloc block */
	_Atomic size_t next;        /* the next record to take */
	_Atomic bool stop;          /* a record failed: take no more */
	size_t helping;             /* helpers at work on it (pool lock) */
	size_t failed_at;           /* the first record that failed (pool lock) */
	ehr_err err;
};

/* Starts the helpers (none on one core: then the finishing thread seals
 * alone). Returns 0, or EHR_EFAIL when the pool's locks cannot be made. */
int ingest_pool_start(struct ingest_pool *p, ehr_err *e);

/* Waits for the helpers to finish what they took and stops them. */
void ingest_pool_stop(struct ingest_pool *p);

/* Queues ins[0..n) on the pool's helpers; the caller may do something
 * else meanwhile. Returns 0, or EHR_EFAIL when out of memory (nothing
 * queued). */
int ingest_seal_start(struct ingest_pool *p, struct ingest_batch *b, struct incoming *ins,
		      size_t n, const uint8_t patient_pk[32], const uint8_t *author_pk,
		      const char *store, ehr_err *e);

/* Returns once every record of b is sealed and no helper works on it;
 * with help the calling thread joins in, without it the thread only waits
 * for the helpers (leaving its core to other work) and seals only what
 * they cannot. Returns 0, or the failure of the first record (in order)
 * that failed; records after it may be left unsealed. */
int ingest_seal_finish(struct ingest_batch *b, bool help, ehr_err *e);

/* Stops sealing b (a window that will not be sent): no record is taken any
 * more; returns once no helper works on it. */
void ingest_seal_cancel(struct ingest_batch *b);

/* All of the above for one batch: seals ins[0..n) on every core. */
int ingest_seal_all(struct ingest_batch *b, struct incoming *ins, size_t n,
		    const uint8_t patient_pk[32], const uint8_t *author_pk, const char *store,
		    ehr_err *e);

/* Wipes and frees the data keys (after ingest_seal_finish). */
void ingest_batch_free(struct ingest_batch *b);

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
