#include "wallet/registry/records.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/chain/abi.h"
#include "wallet/registry/chainstore.h"
#include "wallet/registry/event_scan.h"
#include "wallet/vault/envelope.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/base/paths.h"
#include "wallet/base/sha256.h"
#include "wallet/base/text.h"
#include "wallet/vault/store.h"

void records_free(registry_record *r)
{
	abi_free(r->owner);
	r->owner = NULL;
}

struct find_ctx {
	const uint8_t *registry;
	registry_record *out;
	int found;
	ehr_err *e;
};

static int find_cb(void *ctx, const chain_log *log)
{
	struct find_ctx *f = ctx;

	if (f->found || registry_event_of(log, f->registry) != REG_EV_RECORD_ANCHORED)
		return 0;
	if (registry_decode_record(log, f->out, f->e))
		return f->e->status;
	f->found = 1;
	return 0;
}

static void topic_u64(uint64_t v, uint8_t out[32])
{
	int i;

	memset(out, 0, 32);
	for (i = 31; i >= 24; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static void topic_address(const uint8_t addr[20], uint8_t out[32])
{
	memset(out, 0, 12);
	memcpy(out + 12, addr, 20);
}

int records_get(chain *c, const uint8_t registry[20], uint64_t id, registry_record *out,
		int *erased, ehr_err *e)
{
	registry_record_state st;
	uint8_t t0[1][32], t2[1][32];
	chain_topic topics[4] = { { t0, 1 }, { NULL, 0 }, { t2, 1 }, { NULL, 0 } };
	struct find_ctx f = { registry, out, 0, e };
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = registry_record_of(c, registry, id, &st, e)))
		return rc;
	if (!st.exists)
		return ehr_fail(e, EHR_EFAIL, "there is no record %llu", (unsigned long long)id);
	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	topic_u64(id, t2[0]);
	if ((rc = chain_get_logs(c, registry, topics, st.anchored_block, st.anchored_block,
				 find_cb, &f, e)))
		return rc;
	if (!f.found)
		return ehr_fail(e, EHR_EINTEGRITY, "record %llu: the node has no RecordAnchored event "
				"in block %llu (a pruned node?)", (unsigned long long)id,
				(unsigned long long)st.anchored_block);
	if (memcmp(out->patient, st.patient, 20)) {
		records_free(out);
		return ehr_fail(e, EHR_EINTEGRITY, "record %llu: its event and the registry disagree "
				"on the patient", (unsigned long long)id);
	}
	*erased = st.erased;
	return 0;
}

struct list_ctx {
	const uint8_t *registry;
	registry_record *recs;
	int *erased;
	size_t n, cap;
	ehr_err *e;
};

static int list_cb(void *ctx, const chain_log *log)
{
	struct list_ctx *l = ctx;
	int ev = registry_event_of(log, l->registry);
	uint64_t id = 0;
	size_t i;
	int j;

	if (ev == REG_EV_RECORD_ERASED && log->n_topics == 3) {
		for (j = 24; j < 32; j++)
			id = id << 8 | log->topics[2][j];
		for (i = 0; i < l->n; i++)
			if (l->recs[i].id == id)
				l->erased[i] = 1;
		return 0;
	}
	if (ev != REG_EV_RECORD_ANCHORED)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		registry_record *r = realloc(l->recs, cap * sizeof(*r));
		int *er;

		if (!r)
			return ehr_fail(l->e, EHR_EFAIL, "out of memory");
		l->recs = r;
		if (!(er = realloc(l->erased, cap * sizeof(*er))))
			return ehr_fail(l->e, EHR_EFAIL, "out of memory");
		l->erased = er;
		l->cap = cap;
	}
	/* a record that does not parse was written by someone else's client
	 * (anyone may call the registry): skip it rather than fail the list */
	if (registry_decode_record(log, &l->recs[l->n], NULL))
		return 0;
	l->erased[l->n++] = 0;
	return 0;
}

int records_of_patient(chain *c, const uint8_t registry[20], const uint8_t patient[20],
		       records_cb cb, void *ctx, ehr_err *e)
{
	uint8_t t0[2][32], t1[1][32];
	chain_topic topics[4] = { { t0, 2 }, { t1, 1 }, { NULL, 0 }, { NULL, 0 } };
	struct list_ctx l = { registry, NULL, NULL, 0, 0, e };
	size_t i;
	int rc;

	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	memcpy(t0[1], registry_event_topic(REG_EV_RECORD_ERASED), 32);
	topic_address(patient, t1[0]);
	rc = chain_get_logs(c, registry, topics, 0, CHAIN_LATEST, list_cb, &l, e);
	for (i = 0; i < l.n; i++) {
		if (!rc)
			rc = cb(ctx, &l.recs[i], l.erased[i]);
		records_free(&l.recs[i]);
	}
	free(l.recs);
	free(l.erased);
	return rc;
}

int records_locator_names_content(const registry_record *r)
{
	uint8_t named[32];

	return !strncmp(r->locator, "dir:", 4) && !store_dir_locator_hash(r->locator, named, NULL) &&
	       !memcmp(named, r->content_hash, 32);
}

struct sharer_ctx {
	const registry_record *r;
	uint64_t found;
};

static int sharer_cb(void *ctx, const registry_record *other, int erased)
{
	struct sharer_ctx *s = ctx;

	if (erased || other->id == s->r->id || memcmp(other->content_hash, s->r->content_hash, 32))
		return 0;
	s->found = other->id;
	return 1;	/* found: stop */
}

int records_erasable_file(chain *c, const uint8_t registry[20], const registry_record *r,
			  enum records_file_verdict *verdict, uint64_t *other, ehr_err *e)
{
	struct sharer_ctx s = { r, 0 };
	int rc;

	*other = 0;
	if (!records_locator_names_content(r)) {
		*verdict = RECORDS_FILE_NOT_ITS;
		return 0;
	}
	rc = records_of_patient(c, registry, r->patient, sharer_cb, &s, e);
	if (rc && !s.found)
		return rc;
	*verdict = s.found ? RECORDS_FILE_SHARED : RECORDS_FILE_DELETE;
	*other = s.found;
	return 0;
}

int records_data_key(const registry_record *r, const uint8_t me[20], const uint8_t enc_public[32],
		     const uint8_t enc_secret[32],
		     uint8_t key[32], ehr_err *e)
{
	const uint8_t *sealed = NULL;
	size_t len = 0;
	char owner[43];

	if (!memcmp(me, r->patient, 20)) {
		sealed = r->patient_key;
		len = r->patient_key_len;
	} else if (!memcmp(me, r->author, 20) && r->author_key_len) {
		sealed = r->author_key;
		len = r->author_key_len;
	}
	eip55_format(r->patient, owner);
	if (!sealed)
		return ehr_fail(e, EHR_ECHAIN, "record %llu is %s's: this account holds no key for it "
				"(the patient can grant access with 'ehr grant')",
				(unsigned long long)r->id, owner);
	if (len != ENVELOPE_SEALED_KEY_BYTES)
		return ehr_fail(e, EHR_EINTEGRITY, "record %llu: its sealed data key is %zu bytes, not %d",
				(unsigned long long)r->id, len, ENVELOPE_SEALED_KEY_BYTES);
	if (envelope_key_open(sealed, enc_public, enc_secret, key, e))
		return ehr_fail(e, EHR_EINTEGRITY, "record %llu: its data key does not open with this "
				"account's key (sealed to another key?)", (unsigned long long)r->id);
	return 0;
}

int records_tmpfile(int *fd, ehr_err *e)
{
	char dir[4096];
	const char *tmp = getenv("TMPDIR");
	ehr_err ignored;

	if (!paths_get(PLACE_STATE, dir, sizeof(dir), &ignored) && !dir_ensure(dir, 0700, &ignored) &&
	    (*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return 0;
	if ((*fd = open(tmp && *tmp ? tmp : "/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600)) >= 0)
		return 0;
	return ehr_fail(e, EHR_EFAIL, "cannot create a temporary file: %s", strerror(errno));
}

int records_tmpfile_small(int *fd, ehr_err *e)
{
	if ((*fd = memfd_create("ehr-record", MFD_CLOEXEC)) >= 0)
		return 0;
	return records_tmpfile(fd, e);
}

int records_sha256_fd(int fd, uint8_t out[32], uint64_t *size, ehr_err *e)
{
	sha256_ctx *md = sha256_new();
	static uint8_t buf[1 << 16];
	uint64_t total = 0;
	ssize_t n;
	int rc = 0;

	if (!md)
		return ehr_fail(e, EHR_EFAIL, "sha-256 is not available");
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot read the record: %s", strerror(errno));
			break;
		}
		sha256_update(md, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (!rc)
		sha256_final(md, out);
	sha256_free(md);
	if (size)
		*size = total;
	return rc;
}

int records_store_check(const char *spec, ehr_err *e)
{
	store *st;
	int rc;

	if ((rc = store_open(spec, &st, e)))
		return rc;
	store_close(st);
	return 0;
}

int records_store_put(const char *spec, int fd, const uint8_t hash[32], uint64_t size,
		      char *locator, size_t cap, ehr_err *e)
{
	store *st;
	int rc;

	if ((rc = store_open(spec, &st, e)))
		return rc;
	/* remembered before the file is there, so a path-less locator on chain
	 * is always found again here */
	if ((rc = store_dir_remember(st, e))) {
		store_close(st);
		return rc;
	}
	if (lseek(fd, 0, SEEK_SET))
		rc = ehr_fail(e, EHR_EFAIL, "cannot rewind the envelope: %s", strerror(errno));
	if (!rc)
		rc = store_put(st, fd, hash, size, locator, cap, e);
	store_close(st);
	return rc;
}

int records_store_delete(const char *locator, ehr_err *e)
{
	store *st;
	int rc;

	if ((rc = store_open_for_locator(locator, NULL, &st, e)))
		return rc;
	rc = store_del(st, locator, e);
	store_close(st);
	return rc;
}

int records_store_file(const char *locator, char *path, size_t cap, ehr_err *e)
{
	return store_dir_file_of(locator, path, cap, e);
}

int records_fetch_verified(chain *c, const uint8_t registry[20], const registry_record *r,
			   int *fd, ehr_err *e)
{
	uint8_t got[32];
	uint64_t size;
	char want_hex[65], got_hex[65];
	int tmp = -1, rc;

	*fd = -1;
	if ((rc = records_tmpfile(&tmp, e)))
		return rc;
	if (!strcmp(r->locator, "chain")) {
		rc = chainstore_fetch(c, registry, r->content_hash, r->author, r->block, tmp, r->size, e);
	} else if (store_find(r->locator)) {
		store *st;

		if (!(rc = store_open_for_locator(r->locator, NULL, &st, e))) {
			rc = store_get(st, r->locator, tmp, e);
			store_close(st);
		}
		if (rc)
			ehr_wrap(e, "record %llu", (unsigned long long)r->id);
	} else {
		rc = ehr_fail(e, EHR_EUSAGE, "record %llu is in a store this ehr does not know: '%.60s'",
			      (unsigned long long)r->id, r->locator);
	}
	if (!rc && lseek(tmp, 0, SEEK_SET))
		rc = ehr_fail(e, EHR_EFAIL, "cannot rewind a temporary file: %s", strerror(errno));
	if (!rc && !(rc = records_sha256_fd(tmp, got, &size, e))) {
		hex_encode(r->content_hash, 32, want_hex);
		hex_encode(got, 32, got_hex);
		if (size != r->size || memcmp(got, r->content_hash, 32))
			rc = ehr_fail(e, EHR_EINTEGRITY, "record %llu does not match its anchor: the store "
				      "holds %llu bytes with sha256 %.16s..., the chain anchored %llu bytes "
				      "with sha256 %.16s...", (unsigned long long)r->id,
				      (unsigned long long)size, got_hex, (unsigned long long)r->size, want_hex);
	}
	if (!rc && lseek(tmp, 0, SEEK_SET))
		rc = ehr_fail(e, EHR_EFAIL, "cannot rewind a temporary file: %s", strerror(errno));
	if (rc) {
		close(tmp);
		return rc;
	}
	*fd = tmp;
	return 0;
}

void records_file_name(const envelope_meta *meta, uint64_t id, char *out, size_t cap)
{
	const char *slash = strrchr(meta->file_name, '/');
	const char *b = slash ? slash + 1 : meta->file_name;
	size_t i;

	/* a Bundle entry is named "bundle.json#3": its own record, JSON */
	if (strchr(b, '#')) {
		snprintf(out, cap, "record-%llu.json", (unsigned long long)id);
		return;
	}
	/* what text_clean refuses has no place in a file name either */
	text_clean(out, cap, b, strlen(b), 0);
	for (i = 0; out[i]; i++)
		if (out[i] == '?')
			out[i] = '_';
	if (!out[0] || out[0] == '.')
		snprintf(out, cap, "record-%llu", (unsigned long long)id);
}

struct anchored_scan {
	const uint8_t *registry;
	records_anchored *a;
	int failed;
};

static int anchored_cb(void *ctx, const chain_log *log)
{
	struct anchored_scan *sc = ctx;
	records_anchored *a = sc->a;
	registry_record r;
	uint8_t (*h)[32];
	uint64_t *ids;

	if (registry_event_of(log, sc->registry) != REG_EV_RECORD_ANCHORED ||
	    registry_decode_record(log, &r, NULL))
		return 0;
	h = realloc(a->hashes, (a->n + 1) * sizeof(*h));
	if (h)
		a->hashes = h;
	ids = realloc(a->ids, (a->n + 1) * sizeof(*ids));
	if (ids)
		a->ids = ids;
	if (h && ids) {
		memcpy(a->hashes[a->n], r.content_hash, 32);
		a->ids[a->n++] = r.id;
	}
	sc->failed |= !h || !ids;
	records_free(&r);
	return 0;
}

int records_anchored_by(chain *c, const uint8_t registry[20], const uint8_t patient[20],
			const uint8_t author[20], records_anchored *a, ehr_err *e)
{
	uint8_t t0[1][32], t1[1][32], t3[1][32];
	chain_topic topics[4] = { { t0, 1 }, { t1, 1 }, { NULL, 0 }, { t3, 1 } };
	struct anchored_scan sc = { registry, a, 0 };
	int rc;

	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	event_topic_address(patient, t1[0]);
	event_topic_address(author, t3[0]);
	if ((rc = chain_get_logs(c, registry, topics, 0, CHAIN_LATEST, anchored_cb, &sc, e)))
		return rc;
	return sc.failed ? ehr_fail(e, EHR_EFAIL, "out of memory") : 0;
}

uint64_t records_anchored_id(const records_anchored *a, const uint8_t hash[32])
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!memcmp(a->hashes[i], hash, 32))
			return a->ids[i];
	return 0;
}

void records_anchored_free(records_anchored *a)
{
	free(a->hashes);
	free(a->ids);
	memset(a, 0, sizeof(*a));
}
