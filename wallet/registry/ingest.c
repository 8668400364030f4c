#include "wallet/registry/ingest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/array.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/fhir_validate.h"
#include "wallet/base/fileio.h"
#include "wallet/base/sha256.h"
#include "wallet/registry/records.h"
#include "wallet/registry/registry.h"

static int grow(struct incoming **list, size_t n, size_t *cap, ehr_err *e)
{
	if (array_grow((void **)list, cap, n + 1, sizeof(**list)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	return 0;
}

const char *ingest_media_type(const char *name, const char *resource_type)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".pdf", "application/pdf" }, { ".png", "image/png" }, { ".jpg", "image/jpeg" },
		{ ".jpeg", "image/jpeg" }, { ".txt", "text/plain" }, { ".xml", "application/xml" },
		{ ".dcm", "application/dicom" }, { ".csv", "text/csv" }, { ".json", "application/json" },
		{ ".html", "text/html" }, { ".tif", "image/tiff" }, { ".tiff", "image/tiff" },
	};
	const char *dot = name ? strrchr(name, '.') : NULL;
	size_t i;

	if (resource_type && *resource_type)
		return "application/fhir+json";
	for (i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcasecmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* Reads a file that claims or looks like JSON and tells its FHIR
 * resourceType; refuses invalid JSON in a .json file with where it broke. */
int ingest_inspect(struct incoming *in, char **json, size_t *json_len, ehr_err *e)
{
	char head[1];
	int fd;
	ssize_t n;

	*json = NULL;
	if ((fd = open(in->path, O_RDONLY | O_CLOEXEC)) < 0)
		return ehr_fail(e, EHR_EUSAGE, "cannot open %s: %s", in->path, strerror(errno));
	do
		n = read(fd, head, 1);
	while (n == 1 && (head[0] == ' ' || head[0] == '\n' || head[0] == '\r' || head[0] == '\t'));
	close(fd);
	if (!ends_with(in->path, ".json") && !(n == 1 && head[0] == '{'))
		return 0;
	{
		int rc = file_read_all(in->path, FHIR_JSON_MAX, json, json_len, e);

		if (rc)
			return rc;
	}
	if (fhir_detect(*json, *json_len, in->meta.resource_type, sizeof(in->meta.resource_type), e)) {
		free(*json);
		*json = NULL;
		if (!ends_with(in->path, ".json"))
			return 0;  /* it only looked like JSON: an opaque file */
		return ehr_wrap(e, "%s", in->path);
	}
	if (in->meta.resource_type[0] && fhir_validate(*json, *json_len, e)) {
		free(*json);
		*json = NULL;
		return ehr_wrap(e, "%s", in->path);
	}
	return 0;
}

struct split {
	const char *path;
	struct incoming **list;
	size_t *n, *cap;
};

int ingest_append_json(struct incoming **list, size_t *n, size_t *cap, const char *json, size_t len,
		       struct incoming **out, ehr_err *e)
{
	struct incoming *in;
	int rc;

	if ((rc = grow(list, *n, cap, e)))
		return rc;
	in = &(*list)[*n];
	memset(in, 0, sizeof(*in));
	in->env_fd = -1;
	envelope_meta_init(&in->meta);
	if (!(in->buf = malloc(len ? len : 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	memcpy(in->buf, json, len);
	in->buf_len = len;
	(*n)++;
	*out = in;
	return 0;
}

static int split_entry(void *arg, size_t index, const char *resource_type, const char *json,
		       size_t len, ehr_err *e)
{
	struct split *sp = arg;
	struct incoming *in;
	int rc;

	if ((rc = ingest_append_json(sp->list, sp->n, sp->cap, json, len, &in, e)))
		return rc;
	snprintf(in->meta.resource_type, sizeof(in->meta.resource_type), "%s", resource_type);
	snprintf(in->meta.file_name, sizeof(in->meta.file_name), "%.200s#%zu", base_name(sp->path), index + 1);
	/* a title that names the content ("Hemoglobin A1c"), else where it came from */
	fhir_label(json, len, in->meta.title, sizeof(in->meta.title));
	if (!in->meta.title[0])
		snprintf(in->meta.title, sizeof(in->meta.title), "%s (%s, entry %zu)", resource_type,
			 base_name(sp->path), index + 1);
	return 0;
}

int ingest_split_bundle(const char *path, const char *json, size_t len,
			struct incoming **list, size_t *n, size_t *cap, ehr_err *e)
{
	struct split sp = { path, list, n, cap };
	size_t count = 0;
	int rc;

	if ((rc = fhir_bundle_entries(json, len, split_entry, &sp, &count, e)))
		return ehr_wrap(e, "%s", path);
	if (!count)
		return ehr_fail(e, EHR_EUSAGE, "%s: the Bundle has no entries to split", path);
	return 0;
}

int ingest_collect(const char *path, const char *title, bool split,
		   struct incoming **list, size_t *n, size_t *cap, ehr_err *e)
{
	struct incoming *in;
	struct stat st;
	char *json = NULL;
	size_t json_len = 0;
	int rc;

	if (stat(path, &st) || !S_ISREG(st.st_mode))
		return ehr_fail(e, EHR_EUSAGE, "%s is not a readable file", path);
	if ((rc = grow(list, *n, cap, e)))
		return rc;
	in = &(*list)[*n];
	memset(in, 0, sizeof(*in));
	in->env_fd = -1;
	in->path = path;
	envelope_meta_init(&in->meta);
	if ((rc = ingest_inspect(in, &json, &json_len, e)))
		return rc;
	if (split && json && !strcmp(in->meta.resource_type, "Bundle")) {
		rc = ingest_split_bundle(path, json, json_len, list, n, cap, e);
		free(json);
		return rc;
	}
	free(json);
	snprintf(in->meta.file_name, sizeof(in->meta.file_name), "%s", base_name(path));
	snprintf(in->meta.title, sizeof(in->meta.title), "%s", title ? title : base_name(path));
	(*n)++;
	return 0;
}

void ingest_describe(struct incoming *in, const char *type, const char *media)
{
	if (type)
		snprintf(in->meta.type, sizeof(in->meta.type), "%s", type);
	else
		snprintf(in->meta.type, sizeof(in->meta.type), "%s",
			 in->meta.resource_type[0] ? in->meta.resource_type : "document");
	snprintf(in->meta.media_type, sizeof(in->meta.media_type), "%s",
		 media ? media : ingest_media_type(in->meta.file_name, in->meta.resource_type));
}

/* Envelopes of files up to this size are sealed in memory, from one read;
 * bigger ones stream (constant memory, a second thread). */
#define INLINE_RECORD (1u << 20)
/* Envelopes below this size stream into memory files, bigger ones to disk. */
#define SMALL_RECORD (16 << 20)

/* What a sealing thread keeps from one record to the next. */
struct scratch {
	envelope_sealer *sealer;
	uint8_t *plain;             /* sodium_malloc: a small file's plaintext */
	size_t cap;
};

static void scratch_free(struct scratch *sc)
{
	envelope_sealer_free(sc->sealer);
	sodium_free(sc->plain);
}

/* The record must hold what it held when it was collected (h: its
 * SHA-256 now). */
static int same_content(const struct incoming *in, const uint8_t h[32], ehr_err *e)
{
	if (!in->check_content || !memcmp(h, in->content_sha, 32))
		return 0;
	return ehr_fail(e, EHR_EFAIL, "%s changed after it was read: nothing of it was sent "
			"(run again to upload what it holds now)", in->path);
}

static int changed(const struct incoming *in, const uint8_t *data, size_t len, ehr_err *e)
{
	uint8_t h[32];

	if (!in->check_content)
		return 0;
	sha256(data, len, h);
	return same_content(in, h, e);
}

/* A small file (or a Bundle entry) sealed in memory: the chain store. */
static int seal_inline(struct scratch *sc, struct incoming *in, const uint8_t *key, ehr_err *e)
{
	const uint8_t *data = (const uint8_t *)in->buf;
	size_t len = in->buf_len, env_len = 0;
	int rc;

	if (in->path) {
		struct stat st;
		int fd = open(in->path, O_RDONLY | O_CLOEXEC);
		ssize_t got;

		if (fd < 0 || fstat(fd, &st)) {
			rc = ehr_fail(e, EHR_EUSAGE, "cannot open %s: %s", in->path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return rc;
		}
		len = (size_t)st.st_size;
		if (len > INLINE_RECORD) {
			close(fd);
			return ehr_fail(e, EHR_EFAIL, "%s changed while it was read", in->path);
		}
		if (len >= sc->cap) {
			sodium_free(sc->plain);
			sc->cap = len < 65536 ? 65536 : INLINE_RECORD + 1;
			if (!(sc->plain = sodium_malloc(sc->cap))) {
				sc->cap = 0;
				close(fd);
				return ehr_fail(e, EHR_EFAIL, "out of secure memory");
			}
		}
		/* one byte more than the size, to see the file grow */
		got = read_full(fd, sc->plain, len + 1);
		close(fd);
		if (got != (ssize_t)len) {
			sodium_memzero(sc->plain, sc->cap);
			return ehr_fail(e, EHR_EFAIL, "%s changed while it was read (%zd bytes, %zu "
					"expected)", in->path, got, len);
		}
		data = sc->plain;
	}
	in->meta.size = len;
	rc = changed(in, data, len, e);
	if (!rc)
		rc = envelope_seal_mem(sc->sealer, data, len, &in->meta, key, &in->env, &env_len,
				       in->hash, e);
	if (in->path)
		sodium_memzero(sc->plain, len);
	if (rc)
		return rc;
	in->env_size = env_len;
	if ((rc = envelope_prefix_len(in->env, env_len, &in->prefix_len, e)))
		return rc;
	if (!(in->prefix = malloc(in->prefix_len)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	memcpy(in->prefix, in->env, in->prefix_len);
	return 0;
}

/* A big file (or any record for a dir: store) sealed into an unnamed
 * temporary file. */
static int seal_stream(struct incoming *in, const uint8_t *key, ehr_err *e)
{
	int src = -1, rc;

	if (in->path) {
		struct stat st;

		if ((src = open(in->path, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = ehr_fail(e, EHR_EUSAGE, "cannot open %s: %s", in->path, strerror(errno));
			goto out;
		}
		/* small envelopes stay in memory; big ones go to the disk */
		rc = fstat(src, &st) == 0 && st.st_size < SMALL_RECORD
			? records_tmpfile_small(&in->env_fd, e) : records_tmpfile(&in->env_fd, e);
		if (rc)
			goto out;
		if (in->check_content) {
			uint8_t h[32];

			if ((rc = records_sha256_fd(src, h, NULL, e)) || (rc = same_content(in, h, e)))
				goto out;
			if (lseek(src, 0, SEEK_SET)) {
				rc = ehr_fail(e, EHR_EFAIL, "cannot rewind %s: %s", in->path, strerror(errno));
				goto out;
			}
		}
	} else {
		/* a Bundle entry: through a memory file so the seal streams as usual */
		if ((rc = records_tmpfile_small(&src, e)) || (rc = records_tmpfile_small(&in->env_fd, e)))
			goto out;
		if (write_full(src, in->buf, in->buf_len) || lseek(src, 0, SEEK_SET)) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot write a temporary file: %s", strerror(errno));
			goto out;
		}
		in->meta.size = in->buf_len;
	}
	if ((rc = envelope_seal(src, in->env_fd, &in->meta, key, in->hash, &in->env_size, e)))
		goto out;
	/* the anchor carries the header and metadata message, for listing */
	{
		uint8_t head[ENVELOPE_HEADER_BYTES];

		if (pread(in->env_fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
		    envelope_prefix_len(head, sizeof(head), &in->prefix_len, e) ||
		    !(in->prefix = malloc(in->prefix_len)) ||
		    pread(in->env_fd, in->prefix, in->prefix_len, 0) != (ssize_t)in->prefix_len) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot read back the envelope's header");
			goto out;
		}
	}
out:
	if (src >= 0)
		close(src);
	return rc;
}

/* The chain store: the envelope into memory (when it is not there yet),
 * cut into chunks. */
static int chunk(struct incoming *in, ehr_err *e)
{
	if (in->env_size > CHAINSTORE_MAX_RECORD)
		return ehr_fail(e, EHR_EUSAGE, "%s is %llu bytes sealed: the chain store takes up to "
				"%llu MiB (use --store dir:PATH)", in->path ? in->path : in->meta.file_name,
				(unsigned long long)in->env_size, CHAINSTORE_MAX_RECORD >> 20);
	if (!in->env) {
		if (!(in->env = malloc(in->env_size ? in->env_size : 1)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		if (pread(in->env_fd, in->env, in->env_size, 0) != (ssize_t)in->env_size)
			return ehr_fail(e, EHR_EFAIL, "cannot read back the envelope: %s", strerror(errno));
	}
	snprintf(in->locator, sizeof(in->locator), "chain");
	return chainstore_split(in->env, in->env_size, in->hash, 0, &in->chunks, &in->nchunks, e);
}

static int seal_one(struct ingest_batch *b, struct scratch *sc, size_t i, ehr_err *e)
{
	struct incoming *in = &b->ins[i];
	uint8_t *key = in->key = b->keys + i * ENVELOPE_KEY_BYTES;
	struct stat st;
	bool small = in->path ? !stat(in->path, &st) && st.st_size <= INLINE_RECORD
			      : in->buf_len <= INLINE_RECORD;
	int rc;

	randombytes_buf(key, ENVELOPE_KEY_BYTES);
	rc = !b->store && small ? seal_inline(sc, in, key, e) : seal_stream(in, key, e);
	if (rc || (rc = envelope_key_seal(key, b->patient_pk, in->patient_key, e)) ||
	    (b->has_author && (rc = envelope_key_seal(key, b->author_pk, in->author_key, e))))
		return rc;
	in->has_author_key = b->has_author;
	if (!b->store)
		return chunk(in, e);
	if (lseek(in->env_fd, 0, SEEK_SET))
		return ehr_fail(e, EHR_EFAIL, "cannot rewind the envelope: %s", strerror(errno));
	return records_store_put(b->store, in->env_fd, in->hash, in->env_size, in->locator,
				 sizeof(in->locator), e);
}

/* Takes records of b until none is left or one failed; keeps the first
 * failure. */
static void seal_some(struct ingest_batch *b, struct scratch *sc)
{
	ehr_err e = { 0 };
	size_t i;

	while (!atomic_load(&b->stop) && (i = atomic_fetch_add(&b->next, 1)) < b->n) {
		if (!seal_one(b, sc, i, &e))
			continue;
		pthread_mutex_lock(&b->pool->lock);
		if (i < b->failed_at) {
			b->failed_at = i;
			b->err = e;
		}
		pthread_mutex_unlock(&b->pool->lock);
		atomic_store(&b->stop, true);
	}
}

static bool has_work(const struct ingest_batch *b)
{
	return !atomic_load(&b->stop) && atomic_load(&b->next) < b->n;
}

/* Leaves the queue once nothing is left to take; pool lock held. */
static void unqueue(struct ingest_pool *p, struct ingest_batch *b)
{
	struct ingest_batch **q;

	for (q = &p->queue; *q; q = &(*q)->next_queued)
		if (*q == b) {
			*q = b->next_queued;
			b->next_queued = NULL;
			break;
		}
}

static void *seal_helper(void *arg)
{
	struct ingest_pool *p = arg;
	struct scratch sc = { envelope_sealer_new(), NULL, 0 };
	struct ingest_batch *b;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while ((b = p->queue) && !has_work(b))
			unqueue(p, b);
		if (!b) {
			if (p->closing)
				break;
			pthread_cond_wait(&p->work, &p->lock);
			continue;
		}
		if (!sc.sealer) {       /* out of memory: leave the work to the finisher */
			unqueue(p, b);
			pthread_cond_broadcast(&p->idle);
			continue;
		}
		b->helping++;
		pthread_mutex_unlock(&p->lock);
		seal_some(b, &sc);
		pthread_mutex_lock(&p->lock);
		if (!--b->helping)
			pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	scratch_free(&sc);
	return NULL;
}

int ingest_pool_start(struct ingest_pool *p, ehr_err *e)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	size_t want = cores > 1 ? (size_t)cores - 1 : 0;

	memset(p, 0, sizeof(*p));
	if (pthread_mutex_init(&p->lock, NULL))
		return ehr_fail(e, EHR_EFAIL, "cannot make a lock");
	if (pthread_cond_init(&p->work, NULL) || pthread_cond_init(&p->idle, NULL)) {
		pthread_mutex_destroy(&p->lock);
		return ehr_fail(e, EHR_EFAIL, "cannot make a lock");
	}
	if (want > sizeof(p->helpers) / sizeof(p->helpers[0]))
		want = sizeof(p->helpers) / sizeof(p->helpers[0]);
	/* a helper that cannot start leaves its share to the finishing thread */
	while (p->nhelpers < want && !pthread_create(&p->helpers[p->nhelpers], NULL, seal_helper, p))
		p->nhelpers++;
	return 0;
}

void ingest_pool_stop(struct ingest_pool *p)
{
	size_t i;

	pthread_mutex_lock(&p->lock);
	p->closing = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nhelpers; i++)
		pthread_join(p->helpers[i], NULL);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->idle);
	pthread_mutex_destroy(&p->lock);
	p->nhelpers = 0;
}

int ingest_seal_start(struct ingest_pool *p, struct ingest_batch *b, struct incoming *ins,
		      size_t n, const uint8_t patient_pk[32], const uint8_t *author_pk,
		      const char *store, ehr_err *e)
{
	struct ingest_batch **q;

	memset(b, 0, sizeof(*b));
	b->pool = p;
	b->ins = ins;
	b->n = n;
	b->store = store;
	memcpy(b->patient_pk, patient_pk, 32);
	if ((b->has_author = author_pk != NULL))
		memcpy(b->author_pk, author_pk, 32);
	b->failed_at = SIZE_MAX;
	if (!(b->keys = sodium_malloc(n ? n * ENVELOPE_KEY_BYTES : 1)))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	pthread_mutex_lock(&p->lock);
	for (q = &p->queue; *q; q = &(*q)->next_queued)
		;
	*q = b;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static bool queued(const struct ingest_pool *p, const struct ingest_batch *b)
{
	const struct ingest_batch *q;

	for (q = p->queue; q; q = q->next_queued)
		if (q == b)
			return true;
	return false;
}

int ingest_seal_finish(struct ingest_batch *b, bool help, ehr_err *e)
{
	struct scratch sc = { NULL, NULL, 0 };
	struct ingest_pool *p = b->pool;
	bool out_of_memory;

	if (!help && p->nhelpers) {
		pthread_mutex_lock(&p->lock);
		while (b->helping || (has_work(b) && queued(p, b)))
			pthread_cond_wait(&p->idle, &p->lock);
		pthread_mutex_unlock(&p->lock);
	}
	sc.sealer = envelope_sealer_new();
	out_of_memory = !sc.sealer;

	if (!out_of_memory)
		seal_some(b, &sc);
	scratch_free(&sc);
	ingest_seal_cancel(b);
	if (out_of_memory && b->failed_at == SIZE_MAX) {
		b->failed_at = 0;
		ehr_fail(&b->err, EHR_EFAIL, "out of memory sealing the records");
	}
	if (b->failed_at == SIZE_MAX)
		return 0;
	*e = b->err;
	return e->status;
}

void ingest_seal_cancel(struct ingest_batch *b)
{
	struct ingest_pool *p = b->pool;

	atomic_store(&b->stop, true);
	pthread_mutex_lock(&p->lock);
	while (b->helping)
		pthread_cond_wait(&p->idle, &p->lock);
	unqueue(p, b);
	pthread_mutex_unlock(&p->lock);
}

int ingest_seal_all(struct ingest_batch *b, struct incoming *ins, size_t n,
		    const uint8_t patient_pk[32], const uint8_t *author_pk, const char *store,
		    ehr_err *e)
{
	struct ingest_pool p;
	int rc;

	if ((rc = ingest_pool_start(&p, e)))
		return rc;
	if (!(rc = ingest_seal_start(&p, b, ins, n, patient_pk, author_pk, store, e)))
		rc = ingest_seal_finish(b, true, e);
	ingest_pool_stop(&p);
	return rc;
}

void ingest_batch_free(struct ingest_batch *b)
{
	size_t i;

	if (!b->keys)
		return;
	for (i = 0; i < b->n; i++)
		b->ins[i].key = NULL;
	sodium_free(b->keys);
	b->keys = NULL;
}

static void anchor_of(const struct incoming *in, registry_record_in *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->content_hash, in->hash, 32);
	a->size = in->env_size;
	a->locator = in->locator;
	a->patient_key = in->patient_key;
	a->patient_key_len = ENVELOPE_SEALED_KEY_BYTES;
	if (in->has_author_key) {
		a->author_key = in->author_key;
		a->author_key_len = ENVELOPE_SEALED_KEY_BYTES;
	}
	a->meta = in->prefix;
	a->meta_len = in->prefix_len;
}

/* Anchors in dir: stores: anchorRecords calls of at most this many. */
#define ANCHORS_PER_TX 100

/* The transactions that store (chain) and anchor every incoming record. */
int ingest_plan(const uint8_t patient[20], uint64_t grant_id, struct incoming *ins, size_t n,
		bool on_chain, chainstore_plan *plan, ehr_err *e)
{
	chainstore_record *recs = calloc(n, sizeof(*recs));
	size_t i;
	int rc = 0;

	if (!recs)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < n; i++) {
		anchor_of(&ins[i], &recs[i].anchor);
		recs[i].chunks = ins[i].chunks;
		recs[i].nchunks = ins[i].nchunks;
	}
	if (on_chain) {
		rc = chainstore_plan_batch(patient, grant_id, recs, n, NULL, plan, e);
	} else {
		size_t ntx = (n + ANCHORS_PER_TX - 1) / ANCHORS_PER_TX, t;

		memset(plan, 0, sizeof(*plan));
		if (!(plan->txs = calloc(ntx, sizeof(*plan->txs))))
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		for (t = 0; !rc && t < ntx; t++) {
			size_t first = t * ANCHORS_PER_TX, m = n - first < ANCHORS_PER_TX ? n - first : ANCHORS_PER_TX;
			registry_record_in *as = calloc(m, sizeof(*as));

			if (!as) {
				rc = ehr_fail(e, EHR_EFAIL, "out of memory");
				break;
			}
			plan->ntxs++;
			if (!(plan->txs[t].records = calloc(m, sizeof(*plan->txs[t].records)))) {
				free(as);
				rc = ehr_fail(e, EHR_EFAIL, "out of memory");
				break;
			}
			for (i = 0; i < m; i++) {
				as[i] = recs[first + i].anchor;
				plan->txs[t].records[i] = first + i;
			}
			plan->txs[t].nrecords = m;
			rc = registry_call_anchor(patient, grant_id, NULL, 0, as, m, &plan->txs[t].data,
						  &plan->txs[t].len, e);
			free(as);
		}
	}
	free(recs);
	return rc;
}

/* Record ids from the receipts: each RecordAnchored log names its content
 * hash; equal files get their ids in order. */
int ingest_ids(const uint8_t registry[20], const chain_receipt *r, size_t ntx,
	       struct incoming *ins, size_t n, ehr_err *e)
{
	size_t t, l, i;

	for (t = 0; t < ntx; t++)
		for (l = 0; l < r[t].n_logs; l++) {
			registry_record rec;

			if (registry_event_of(&r[t].logs[l], registry) != REG_EV_RECORD_ANCHORED ||
			    registry_decode_record(&r[t].logs[l], &rec, e))
				continue;
			for (i = 0; i < n; i++)
				if (!ins[i].id && !memcmp(ins[i].hash, rec.content_hash, 32)) {
					ins[i].id = rec.id;
					break;
				}
			records_free(&rec);
		}
	for (i = 0; i < n; i++)
		if (!ins[i].id)
			return ehr_fail(e, EHR_ECHAIN, "no RecordAnchored event for %s in the receipts",
					ins[i].path ? ins[i].path : ins[i].meta.file_name);
	return 0;
}

void ingest_free(struct incoming *in)
{
	if (in->env_fd >= 0)
		close(in->env_fd);
	free(in->buf);
	free(in->env);
	free(in->prefix);
	free(in->chunks);
}

