/* ehr upload: a provider puts many records into patients' charts, from a
 * script: files for one patient, or a manifest of JSON lines for many.
 * Each patient must have given this account an active write grant; the
 * files of a patient without one are reported and skipped. Sealing,
 * batching many records per transaction, local nonces and batched sends
 * make it fast; a journal written before anything is sent makes a re-run
 * after a crash, a kill or a node outage finish the rest exactly once. */
#include "commands/commands.h"
#include "cli/ingest.h"
#include "cli/session.h"
#include "cli/submit.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/vault/journal.h"
#include "wallet/base/paths.h"
#include "wallet/registry/records.h"
#include "wallet/chain/rpc.h"

struct upload_options {
	const char *patient, *manifest, *title, *type, *store, *jpath;
	unsigned long window;
	struct tx_opts tx;
};

static int take_window(const struct opt_parser *p, const struct opt *o, void *field,
		       const char *val)
{
	unsigned long *window = field;

	(void)o;
	if (!opt_ulong(p, "--window", val, 10000, window) && *window)
		return 0;
	usage_error("upload", "--window is 1 to 10000");
	return -1;
}

const struct opt cmd_upload_opts[] = {
	{ "patient", 0, "ADDR", OV_NONE, "the patient whose chart the FILEs go into",
	  OPT_STR(struct upload_options, patient) },
	{ "manifest", 0, "FILE", OV_FILE, "JSON lines: {\"patient\": ADDR, \"file\": PATH, \"title\": ..., \"type\": ...}",
	  OPT_STR(struct upload_options, manifest) },
	{ "title", 0, "TITLE", OV_NONE, "title of each record (default: the file name)",
	  OPT_STR(struct upload_options, title) },
	{ "type", 0, "TYPE", OV_NONE, "type of each record (default: the FHIR resourceType, else document)",
	  OPT_STR(struct upload_options, type) },
	{ "store", 0, "STORE", OV_STORE, "chain (default) or dir:PATH",
	  OPT_STR(struct upload_options, store) },
	{ "journal", 0, "FILE", OV_FILE, "the journal (default: under the state directory, named by the job)",
	  OPT_STR(struct upload_options, jpath) },
	{ "window", 0, "N", OV_NONE, "records sealed and sent together (default 250)",
	  OPT_CALL(struct upload_options, window, unsigned long, take_window) },
	TX_WAIT_OPTS(struct upload_options, tx),
	{ 0 }
};

enum item_state { ITEM_PENDING, ITEM_DONE, ITEM_SKIPPED, ITEM_FAILED };

struct item {
	char key[JOURNAL_KEY_HEX];
	size_t patient;             /* index into patients */
	char *file;
	char *title, *type;
	uint64_t size;
	enum item_state state;
	bool already;               /* done by an earlier run */
	uint64_t record;
	uint8_t tx[32];
	bool has_tx;
	uint8_t content[32];        /* the file's SHA-256 when it was read */
	char why[sizeof(((ehr_err *)0)->msg)];
};

struct patient {
	uint8_t addr[20];
	uint8_t enc_pk[32];
	uint64_t grant;
	char why[sizeof(((ehr_err *)0)->msg)];  /* "" when uploads may go ahead */
};

struct job {
	struct item *items;
	size_t n, cap;
	struct patient *patients;
	size_t np;
	const char *title, *type, *store;
	bool on_chain;
	size_t window;
	struct tx_opts tx;
	struct ingest_pool pool;    /* seals the windows ahead */
	bool pool_started;
	/* progress */
	size_t done, skipped, failed;
	uint64_t bytes_done, bytes_total;
	struct timespec start;
	bool progress;
};

/* ---- collecting the items ------------------------------------------------- */

static int add_patient(struct job *j, const uint8_t addr[20], size_t *idx, ehr_err *e)
{
	struct patient *grown;
	size_t i;

	for (i = 0; i < j->np; i++)
		if (!memcmp(j->patients[i].addr, addr, 20)) {
			*idx = i;
			return 0;
		}
	if (!(grown = realloc(j->patients, (j->np + 1) * sizeof(*grown))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	j->patients = grown;
	memset(&j->patients[j->np], 0, sizeof(*grown));
	memcpy(j->patients[j->np].addr, addr, 20);
	*idx = j->np++;
	return 0;
}

/* The item's key: a hash of the patient, the file's absolute name and
 * contents, the title and the type, so a re-run knows it again. */
static int item_key(struct item *it, const uint8_t patient[20], ehr_err *e)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t key[32];
	char real[PATH_MAX];
	int fd, rc;

	if ((fd = open(it->file, O_RDONLY | O_CLOEXEC)) < 0 || !realpath(it->file, real)) {
		if (fd >= 0)
			close(fd);
		EVP_MD_CTX_free(md);
		return ehr_fail(e, EHR_EUSAGE, "cannot read %s: %s", it->file, strerror(errno));
	}
	rc = records_sha256_fd(fd, it->content, &it->size, e);
	close(fd);
	if (!rc && md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_DigestUpdate(md, patient, 20);
		EVP_DigestUpdate(md, real, strlen(real) + 1);
		EVP_DigestUpdate(md, it->content, 32);
		EVP_DigestUpdate(md, it->title ? it->title : "", strlen(it->title ? it->title : "") + 1);
		EVP_DigestUpdate(md, it->type ? it->type : "", strlen(it->type ? it->type : "") + 1);
		EVP_DigestFinal_ex(md, key, NULL);
		hex_encode(key, 32, it->key);
	} else if (!rc) {
		rc = ehr_fail(e, EHR_EFAIL, "sha-256 is not available");
	}
	EVP_MD_CTX_free(md);
	return rc;
}

static int add_item(struct job *j, const uint8_t patient[20], const char *file, const char *title,
		    const char *type, ehr_err *e)
{
	struct item *it, *grown;
	struct stat st;
	int rc;

	if (stat(file, &st) || !S_ISREG(st.st_mode))
		return ehr_fail(e, EHR_EUSAGE, "%s is not a readable file", file);
	if (j->n == j->cap) {
		if (!(grown = realloc(j->items, (j->cap * 2 + 64) * sizeof(*grown))))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		j->items = grown;
		j->cap = j->cap * 2 + 64;
	}
	it = &j->items[j->n];
	memset(it, 0, sizeof(*it));
	if (!(it->file = strdup(file)) || (title && !(it->title = strdup(title))) ||
	    (type && !(it->type = strdup(type))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	j->n++;
	if ((rc = add_patient(j, patient, &it->patient, e)) || (rc = item_key(it, patient, e)))
		return rc;
	j->bytes_total += it->size;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A FILE argument, or every regular file of a DIR argument in name order. */
static int add_path(struct job *j, const uint8_t patient[20], const char *path, ehr_err *e)
{
	struct stat st;
	struct dirent *d;
	char **names = NULL, full[PATH_MAX];
	size_t n = 0, i;
	DIR *dh;
	int rc = 0;

	if (stat(path, &st) || !S_ISDIR(st.st_mode))
		return add_item(j, patient, path, j->title, j->type, e);
	if (!(dh = opendir(path)))
		return ehr_fail(e, EHR_EUSAGE, "cannot read the directory %s: %s", path, strerror(errno));
	while ((d = readdir(dh))) {
		char **grown;

		if (d->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, d->d_name);
		if (stat(full, &st) || !S_ISREG(st.st_mode))
			continue;
		if (!(grown = realloc(names, (n + 1) * sizeof(*names))) || !(grown[n] = strdup(full))) {
			names = grown ? grown : names;
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			break;
		}
		names = grown;
		n++;
	}
	closedir(dh);
	qsort(names, n, sizeof(*names), by_name);
	for (i = 0; i < n; i++) {
		if (!rc)
			rc = add_item(j, patient, names[i], j->title, j->type, e);
		free(names[i]);
	}
	free(names);
	if (!rc && !n)
		rc = ehr_fail(e, EHR_EUSAGE, "%s holds no files", path);
	return rc;
}

/* The manifest: one JSON object a line; files relative to the manifest. */
static int read_manifest(struct job *j, const char *path, ehr_err *e)
{
	char *text = NULL, *line, *nl, dir[PATH_MAX], full[PATH_MAX * 2];
	const char *slash = strrchr(path, '/');
	size_t len, lineno = 0;
	int rc;

	if ((rc = file_read_all(path, 256u << 20, &text, &len, e)))
		return rc;
	snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path) : 1, slash ? path : ".");
	for (line = text; line && *line && !rc; line = nl ? nl + 1 : NULL) {
		cJSON *o;
		const cJSON *p, *f, *t, *ty;
		uint8_t addr[20];

		lineno++;
		if ((nl = strchr(line, '\n')))
			*nl = '\0';
		if (!line[strspn(line, " \t\r")])
			continue;
		o = cJSON_Parse(line);
		p = cJSON_GetObjectItemCaseSensitive(o, "patient");
		f = cJSON_GetObjectItemCaseSensitive(o, "file");
		t = cJSON_GetObjectItemCaseSensitive(o, "title");
		ty = cJSON_GetObjectItemCaseSensitive(o, "type");
		if (!cJSON_IsObject(o) || !cJSON_IsString(p) || !cJSON_IsString(f) ||
		    (t && !cJSON_IsString(t)) || (ty && !cJSON_IsString(ty))) {
			rc = ehr_fail(e, EHR_EUSAGE, "%s line %zu: want {\"patient\": ADDR, \"file\": PATH, "
				      "\"title\": TEXT, \"type\": TEXT}", path, lineno);
		} else if ((rc = eip55_parse(p->valuestring, addr, e))) {
			ehr_wrap(e, "%s line %zu", path, lineno);
		} else {
			if (f->valuestring[0] == '/')
				snprintf(full, sizeof(full), "%s", f->valuestring);
			else
				snprintf(full, sizeof(full), "%s/%s", dir, f->valuestring);
			if ((rc = add_item(j, addr, full, t ? t->valuestring : j->title,
					   ty ? ty->valuestring : j->type, e)))
				ehr_wrap(e, "%s line %zu", path, lineno);
		}
		cJSON_Delete(o);
	}
	free(text);
	if (!rc && !j->n)
		rc = ehr_fail(e, EHR_EUSAGE, "%s lists no files", path);
	return rc;
}

/* ---- output ----------------------------------------------------------------- */

static double elapsed(const struct job *j)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - j->start.tv_sec) + (double)(now.tv_nsec - j->start.tv_nsec) / 1e9;
}

static void progress(const struct job *j, bool last)
{
	size_t finished = j->done + j->skipped + j->failed, width = 30, fill;
	double t = elapsed(j), rate = t > 0 ? (double)finished / t : 0;
	char bar[64];

	if (!j->progress)
		return;
	fill = j->n ? finished * width / j->n : width;
	memset(bar, '=', fill);
	memset(bar + fill, ' ', width - fill);
	bar[width] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu records  %.1f MiB  %.0f/s  ETA %.0fs ", bar, finished, j->n,
		(double)j->bytes_done / (1 << 20), rate,
		rate > 0 ? (double)(j->n - finished) / rate : 0.0);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

static void report_item(struct job *j, struct item *it)
{
	static const char *const names[] = { "pending", "uploaded", "skipped", "failed" };

	if (it->state == ITEM_DONE) {
		j->done++;
		j->bytes_done += it->size;
	} else if (it->state == ITEM_SKIPPED) {
		j->skipped++;
	} else if (it->state == ITEM_FAILED) {
		j->failed++;
	}
	if (g.json) {
		cJSON *o = cJSON_CreateObject();
		char addr[43], h[67];
		char *s;

		eip55_format(j->patients[it->patient].addr, addr);
		cJSON_AddStringToObject(o, "file", it->file);
		cJSON_AddStringToObject(o, "patient", addr);
		cJSON_AddStringToObject(o, "status", it->already ? "already uploaded" : names[it->state]);
		if (it->record)
			cJSON_AddNumberToObject(o, "record", (double)it->record);
		if (it->has_tx) {
			hex_encode0x(it->tx, 32, h);
			cJSON_AddStringToObject(o, "tx", h);
		}
		if (it->why[0])
			cJSON_AddStringToObject(o, "error", it->why);
		if ((s = cJSON_PrintUnformatted(o)))
			puts(s);
		cJSON_free(s);
		cJSON_Delete(o);
		fflush(stdout);
	} else if (it->state != ITEM_DONE && !j->progress) {
		fprintf(stderr, "%s: %s: %s\n", it->file, names[it->state], it->why);
	}
}

static void settle(struct job *j, struct item *it, enum item_state st, const char *why)
{
	it->state = st;
	snprintf(it->why, sizeof(it->why), "%s", why ? why : "");
	report_item(j, it);
}

/* ---- what earlier runs did ------------------------------------------------ */

struct anchored_scan {
	const uint8_t *registry;
	uint8_t (*hashes)[32];
	uint64_t *ids;
	size_t n;
};

static int anchored_cb(void *ctx, const chain_log *log)
{
	struct anchored_scan *a = ctx;
	registry_record r;
	uint8_t (*h)[32];
	uint64_t *ids;

	if (registry_event_of(log, a->registry) != REG_EV_RECORD_ANCHORED ||
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
	records_free(&r);
	return 0;
}

static uint64_t anchored_id(const struct anchored_scan *a, const uint8_t hash[32])
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (!memcmp(a->hashes[i], hash, 32))
			return a->ids[i];
	return 0;
}

/* The item of a journal key (the journal may name items of other jobs
 * that shared its file: those are not ours to settle). */
static struct item *find_item(struct job *j, const char *key)
{
	size_t i;

	for (i = 0; i < j->n; i++)
		if (!strcmp(j->items[i].key, key))
			return &j->items[i];
	return NULL;
}

/* Settles what the journal knows. Every journaled transaction the node
 * has no receipt for is sent again, the same bytes (one the node already
 * has is not sent twice; one whose nonce went to another transaction can
 * never be mined, and its items start over). Then an item whose envelope
 * the chain has anchored, by this account for its patient, is done. */
static int recover(struct job *j, chain *c, const uint8_t registry[20], const uint8_t me[20],
		   journal *jr, ehr_err *e)
{
	struct anchored_scan a = { registry, NULL, NULL, 0 };
	uint8_t t0[1][32], t1[1][32], t3[1][32];
	chain_topic topics[4] = { { t0, 1 }, { t1, 1 }, { NULL, 0 }, { t3, 1 } };
	rpc_request *q = NULL;
	chain_raw_tx *raw = NULL;
	uint8_t (*hashes)[32] = NULL;
	chain_receipt *r = NULL;
	journal_item *done = NULL;
	size_t nre = 0, nok = 0, ndone = 0, i, k, p;
	int rc = 0;

	if (!jr->ntxs)
		return 0;
	q = calloc(jr->ntxs, sizeof(*q));
	raw = calloc(jr->ntxs, sizeof(*raw));
	hashes = calloc(jr->ntxs, sizeof(*hashes));
	r = calloc(jr->ntxs, sizeof(*r));
	done = calloc(j->n + 1, sizeof(*done));
	if (!q || !raw || !hashes || !r || !done) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < jr->ntxs; i++) {
		char h[67];

		hex_encode0x(jr->txs[i].hash, 32, h);
		q[i].method = "eth_getTransactionReceipt";
		q[i].params = cJSON_CreateArray();
		cJSON_AddItemToArray(q[i].params, cJSON_CreateString(h));
	}
	if ((rc = rpc_batch(chain_rpc(c), q, jr->ntxs, e)))
		goto out;
	for (i = 0; i < jr->ntxs; i++)
		if (q[i].status == EHR_OK && cJSON_IsNull(q[i].result)) {
			raw[nre].raw = jr->txs[i].raw;
			raw[nre++].raw_len = jr->txs[i].raw_len;
		}
	if (nre) {
		chain_send_batch(c, raw, nre, NULL);
		for (i = 0; i < nre; i++) {
			if (raw[i].status == EHR_ENODE) {
				rc = ehr_fail(e, EHR_ENODE, "%s", raw[i].err.msg);
				goto out;
			}
			if (raw[i].status == EHR_OK)
				memcpy(hashes[nok++], raw[i].hash, 32);
		}
		/* a revert leaves its items to start over, like a dead nonce */
		if (nok && (rc = chain_wait_many(c, (const uint8_t (*)[32])hashes, nok,
						 (unsigned)j->tx.confirmations,
						 (long)j->tx.timeout_s * 1000, r, e)) && rc != EHR_ECHAIN)
			goto out;
		rc = 0;
	}
	memcpy(t0[0], registry_event_topic(REG_EV_RECORD_ANCHORED), 32);
	memset(t3[0], 0, 12);
	memcpy(t3[0] + 12, me, 20);
	for (p = 0; p < j->np && !rc; p++) {
		memset(t1[0], 0, 12);
		memcpy(t1[0] + 12, j->patients[p].addr, 20);
		rc = chain_get_logs(c, registry, topics, 0, CHAIN_LATEST, anchored_cb, &a, e);
	}
	for (i = 0; !rc && i < jr->ntxs; i++) {
		const journal_tx *t = &jr->txs[i];

		for (k = 0; k < t->n; k++) {
			struct item *it = find_item(j, t->items[k]);
			uint64_t id;

			if (!it || it->state != ITEM_PENDING || !(id = anchored_id(&a, t->envelopes[k])))
				continue;
			it->record = id;
			it->already = true;
			memcpy(it->tx, t->hash, 32);
			it->has_tx = true;
			memcpy(done[ndone].key, it->key, JOURNAL_KEY_HEX);
			done[ndone].record = id;
			memcpy(done[ndone++].envelope, t->envelopes[k], 32);
			settle(j, it, ITEM_DONE, NULL);
		}
	}
	if (!rc && ndone)
		rc = journal_add_items(jr, done, ndone, e);
out:
	for (i = 0; q && i < jr->ntxs; i++)
		rpc_request_free(&q[i]);
	for (i = 0; r && i < nok; i++)
		chain_receipt_free(&r[i]);
	free(q);
	free(r);
	free(hashes);
	free(raw);
	free(done);
	free(a.hashes);
	free(a.ids);
	return rc;
}

/* ---- new uploads -------------------------------------------------------------- */

/* One window of items of one patient on its way: sealed, stored, signed,
 * journaled and sent; settled once its receipts are in. The next windows
 * are sealed (on helper threads) while this one is mined: sealing runs
 * ahead of the node. Its helpers hold its address: it never moves. */
struct flight {
	struct item **win;
	size_t n;
	struct incoming *ins;
	size_t nin;
	struct ingest_batch batch;
	bool sealing;               /* batch started, not finished */
	chainstore_plan plan;
	eth_tx *txs;                /* the plan's, prepared */
	bool prepared;
	chain_raw_tx *raw;
	uint8_t (*hashes)[32];
	uint64_t block_gas;          /* what a block holds, when prepared */
	/* the sender's: receipts, or why there are none */
	chain_receipt *receipts;
	bool sent;
	int send_rc;
	ehr_err send_err;
};

static void flight_free(struct flight *f)
{
	size_t i;

	if (!f)
		return;
	if (f->sealing)
		ingest_seal_cancel(&f->batch);
	ingest_batch_free(&f->batch);
	for (i = 0; f->receipts && i < f->plan.ntxs; i++)
		chain_receipt_free(&f->receipts[i]);
	free(f->receipts);
	txs_free_raw(f->raw, f->plan.ntxs);
	free(f->txs);
	free(f->hashes);
	chainstore_plan_free(&f->plan);
	for (i = 0; i < f->nin; i++)
		ingest_free(&f->ins[i]);
	free(f->ins);
	free(f->win);
	free(f);
}

/* The next window in *out: up to j->window pending items of one patient,
 * from cursor on (patient, then item); NULL when none is left. */
static int window_next(struct job *j, size_t cursor[2], struct flight **out, ehr_err *e)
{
	struct flight *f = NULL;

	*out = NULL;
	for (; cursor[0] < j->np; cursor[0]++, cursor[1] = 0) {
		for (; cursor[1] < j->n && (!f || f->n < j->window); cursor[1]++) {
			struct item *it = &j->items[cursor[1]];

			if (it->patient != cursor[0] || it->state != ITEM_PENDING)
				continue;
			if (!f && (!(f = calloc(1, sizeof(*f))) ||
				   !(f->win = calloc(j->window, sizeof(*f->win))))) {
				free(f);
				return ehr_fail(e, EHR_EFAIL, "out of memory");
			}
			f->win[f->n++] = it;
		}
		if (f)
			break;
	}
	*out = f;
	return 0;
}

/* Reads the window's files and starts sealing them on helper threads. */
static int window_seal(struct job *j, struct flight *f, const uint8_t author_pk[32], ehr_err *e)
{
	struct patient *pt = &j->patients[f->win[0]->patient];
	size_t cap = 0, i;
	int rc;

	for (i = 0; i < f->n; i++) {
		struct incoming *in;

		if ((rc = ingest_collect(f->win[i]->file, f->win[i]->title, false, &f->ins, &f->nin, &cap, e)))
			return rc;
		in = &f->ins[f->nin - 1];
		ingest_describe(in, f->win[i]->type, NULL);
		memcpy(in->content_sha, f->win[i]->content, 32);
		in->check_content = true;
	}
	if ((rc = ingest_seal_start(&j->pool, &f->batch, f->ins, f->nin, pt->enc_pk, author_pk,
				    j->on_chain ? NULL : j->store, e)))
		return rc;
	f->sealing = true;
	return 0;
}

/* Windows sealed ahead of the one being sent: enough to keep the next one
 * ready while the one before is settled. */
#define WINDOWS_AHEAD 2

/* Fills the empty places of ahead[] with windows being sealed, in order. */
static int windows_ahead(struct job *j, size_t cursor[2], struct flight **ahead,
			 const uint8_t author_pk[32], ehr_err *e)
{
	size_t k;
	int rc;

	for (k = 0; k < WINDOWS_AHEAD; k++) {
		if (ahead[k])
			continue;
		if ((rc = window_next(j, cursor, &ahead[k], e)))
			return rc;
		if (!ahead[k])
			break;
		if ((rc = window_seal(j, ahead[k], author_pk, e)))
			return rc;
	}
	return 0;
}

/* Finishes sealing the window and prepares its transactions (nonces,
 * fees, gas): everything but the signatures, which need the key. help:
 * this thread seals too. */
static int window_prepare(struct job *j, chain *c, const uint8_t registry[20],
			  const uint8_t from[20], struct flight *f, bool help, ehr_err *e)
{
	struct patient *pt = &j->patients[f->win[0]->patient];
	uint8_t (*shapes)[16];
	size_t t;
	u256 fee;
	int rc;

	f->sealing = false;
	if ((rc = ingest_seal_finish(&f->batch, help, e)) ||
	    (rc = ingest_plan(pt->addr, pt->grant, f->ins, f->nin, j->on_chain, &f->plan, e)))
		return rc;
	/* gas is estimated once per shape of transaction for the whole job
	 * (chain_fee_opts.shapes): what an estimate would have caught, a write
	 * grant revoked or expired since, is checked for each window */
	if (pt->grant) {
		registry_grant wg;
		char who[43];

		if ((rc = registry_grant_of(c, registry, pt->grant, &wg, e)))
			return rc;
		eip55_format(pt->addr, who);
		if (!wg.active || !(wg.flags & REG_GRANT_WRITE))
			return ehr_fail(e, EHR_ECHAIN, "the write grant %llu from %s is no longer active "
					"(revoked or expired)", (unsigned long long)pt->grant, who);
	}
	f->txs = calloc(f->plan.ntxs, sizeof(*f->txs));
	shapes = calloc(f->plan.ntxs, sizeof(*shapes));
	if (!f->txs || !shapes) {
		free(shapes);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	for (t = 0; t < f->plan.ntxs; t++) {
		f->txs[t].has_to = 1;
		memcpy(f->txs[t].to, registry, 20);
		f->txs[t].data = f->plan.txs[t].data;
		f->txs[t].data_len = f->plan.txs[t].len;
		memcpy(shapes[t], f->plan.txs[t].shape, 16);
	}
	rc = txs_prepare(c, from, f->txs, f->plan.ntxs, (const uint8_t (*)[16])shapes, &fee, e);
	free(shapes);
	f->block_gas = chain_block_gas_limit(c);
	f->prepared = !rc;
	return rc;
}

/* The first window is prepared on a thread while the main one unlocks. */
struct early {
	struct job *j;
	chain *c;
	const uint8_t *registry;
	uint8_t from[20];
	struct flight *f;
	ehr_err e;
	int rc;
};

static void *early_prepare(void *arg)
{
	struct early *x = arg;

	/* the unlock has one core, the pool's helpers the others */
	x->rc = window_prepare(x->j, x->c, x->registry, x->from, x->f, false, &x->e);
	return NULL;
}

/* Signs the prepared window's transactions and journals them: the journal
 * learns every signed transaction before the node does. */
static int window_sign(struct signer *s, journal *jr, struct flight *f, ehr_err *e)
{
	size_t t, k;
	int rc;

	f->raw = calloc(f->plan.ntxs, sizeof(*f->raw));
	f->hashes = calloc(f->plan.ntxs, sizeof(*f->hashes));
	f->receipts = calloc(f->plan.ntxs, sizeof(*f->receipts));
	if (!f->raw || !f->hashes || !f->receipts)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = txs_sign(s, f->txs, f->plan.ntxs, f->raw, f->hashes, e);
	for (t = 0; t < f->plan.ntxs && !rc; t++) {
		const chainstore_tx *ptx = &f->plan.txs[t];
		journal_tx jt;

		memset(&jt, 0, sizeof(jt));
		memcpy(jt.hash, f->hashes[t], 32);
		jt.raw = (uint8_t *)f->raw[t].raw;
		jt.raw_len = f->raw[t].raw_len;
		jt.items = calloc(ptx->nrecords + 1, sizeof(*jt.items));
		jt.envelopes = calloc(ptx->nrecords + 1, sizeof(*jt.envelopes));
		if (!jt.items || !jt.envelopes) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		} else {
			for (k = 0; k < ptx->nrecords; k++) {
				memcpy(jt.items[k], f->win[ptx->records[k]]->key, JOURNAL_KEY_HEX);
				memcpy(jt.envelopes[k], f->ins[ptx->records[k]].hash, 32);
			}
			jt.n = ptx->nrecords;
			rc = journal_add_tx(jr, &jt, e);
		}
		free(jt.items);
		free(jt.envelopes);
	}
	return rc;
}

/* The sender: a thread with its own connection to the node that sends the
 * signed windows in order and waits for their receipts, so that the node
 * mines one window while the main thread prepares and signs the next. It
 * never has more gas in flight than a block holds: a node that mines
 * whatever is pending when a transaction arrives (anvil) leaves what did
 * not fit in the block pending until the next transaction comes, and at
 * the end of a job none comes. Once a window fails, the ones queued after
 * it are not sent (their nonces would follow a gap). */
#define SENDER_QUEUE 4

struct sender {
	chain *c;
	const struct tx_opts *tx;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct flight *queue[SENDER_QUEUE];
	size_t head, tail;          /* the next to send; the next free place */
	bool closing, failed, running;
};

/* Sends the window's transactions in groups that fit in a block (the limit
 * chain_prepare saw), each group mined before the next is sent. */
static int send_in_blocks(struct sender *sd, struct flight *f, ehr_err *e)
{
	size_t first, end;
	uint64_t gas;
	int rc = 0;

	for (first = 0; first < f->plan.ntxs && !rc; first = end) {
		for (end = first, gas = 0; end < f->plan.ntxs &&
		     (end == first || !f->block_gas || gas + f->txs[end].gas <= f->block_gas); end++)
			gas += f->txs[end].gas;
		if (!(rc = chain_send_batch(sd->c, f->raw + first, end - first, e)))
			rc = chain_wait_many(sd->c, (const uint8_t (*)[32])f->hashes + first, end - first,
					     (unsigned)sd->tx->confirmations,
					     (long)sd->tx->timeout_s * 1000, f->receipts + first, e);
	}
	return rc;
}

static void *sender_run(void *arg)
{
	struct sender *sd = arg;

	pthread_mutex_lock(&sd->lock);
	for (;;) {
		struct flight *f;
		ehr_err e = { 0 };
		int rc;

		while (sd->head == sd->tail && !sd->closing)
			pthread_cond_wait(&sd->cond, &sd->lock);
		if (sd->head == sd->tail)
			break;
		f = sd->queue[sd->head % SENDER_QUEUE];
		pthread_mutex_unlock(&sd->lock);
		if (sd->failed)
			rc = ehr_fail(&e, EHR_EFAIL, "not sent: a window before it failed");
		else
			rc = send_in_blocks(sd, f, &e);
		pthread_mutex_lock(&sd->lock);
		f->send_rc = rc;
		f->send_err = e;
		f->sent = true;
		sd->failed |= rc != 0;
		sd->head++;
		pthread_cond_broadcast(&sd->cond);
	}
	pthread_mutex_unlock(&sd->lock);
	return NULL;
}

static int sender_start(struct sender *sd, chain *c, const struct tx_opts *tx, ehr_err *e)
{
	memset(sd, 0, sizeof(*sd));
	sd->c = c;
	sd->tx = tx;
	pthread_mutex_init(&sd->lock, NULL);
	pthread_cond_init(&sd->cond, NULL);
	if (pthread_create(&sd->thread, NULL, sender_run, sd))
		return ehr_fail(e, EHR_EFAIL, "cannot start a thread: %s", strerror(errno));
	sd->running = true;
	return 0;
}

/* Queues a signed window (at most SENDER_QUEUE are unsettled at once). */
static void sender_push(struct sender *sd, struct flight *f)
{
	pthread_mutex_lock(&sd->lock);
	sd->queue[sd->tail++ % SENDER_QUEUE] = f;
	pthread_cond_broadcast(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
}

static void sender_wait(struct sender *sd, struct flight *f)
{
	pthread_mutex_lock(&sd->lock);
	while (!f->sent)
		pthread_cond_wait(&sd->cond, &sd->lock);
	pthread_mutex_unlock(&sd->lock);
}

/* Sends what is queued, then stops the thread. */
static void sender_stop(struct sender *sd)
{
	if (!sd->running)
		return;
	pthread_mutex_lock(&sd->lock);
	sd->closing = true;
	pthread_cond_broadcast(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
	pthread_join(sd->thread, NULL);
	pthread_cond_destroy(&sd->cond);
	pthread_mutex_destroy(&sd->lock);
	sd->running = false;
}

/* Once the sender is done with the window: record ids from its receipts
 * into the journal, and each item reported. */
static int window_settle(struct job *j, struct sender *sd, const uint8_t registry[20],
			 journal *jr, struct flight *f, ehr_err *e)
{
	journal_item *done;
	size_t i, t, k;
	int rc;

	sender_wait(sd, f);
	if (f->send_rc) {
		*e = f->send_err;
		return f->send_rc;
	}
	if ((rc = ingest_ids(registry, f->receipts, f->plan.ntxs, f->ins, f->nin, e)))
		return rc;
	if (!(done = calloc(f->n, sizeof(*done))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < f->n; i++) {
		f->win[i]->record = f->ins[i].id;
		memcpy(done[i].key, f->win[i]->key, JOURNAL_KEY_HEX);
		done[i].record = f->ins[i].id;
		memcpy(done[i].envelope, f->ins[i].hash, 32);
	}
	for (t = 0; t < f->plan.ntxs; t++)
		for (k = 0; k < f->plan.txs[t].nrecords; k++) {
			memcpy(f->win[f->plan.txs[t].records[k]]->tx, f->hashes[t], 32);
			f->win[f->plan.txs[t].records[k]]->has_tx = true;
		}
	rc = journal_add_items(jr, done, f->n, e);
	for (i = 0; !rc && i < f->n; i++)
		settle(j, f->win[i], ITEM_DONE, NULL);
	free(done);
	return rc;
}

/* A window that failed: its items are reported (a re-run finishes them). */
static void window_fail(struct job *j, struct flight *f, const ehr_err *e)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		if (f->win[k]->state == ITEM_PENDING)
			settle(j, f->win[k], ITEM_FAILED, e->msg);
	flight_free(f);
}

/* ---- the command ------------------------------------------------------------- */

/* The journal's default name: the job's hash, so the same command finds
 * the same journal again. */
static int journal_path(const struct job *j, uint64_t chain_id, const uint8_t registry[20],
			const uint8_t me[20], char *out, size_t cap, ehr_err *e)
{
	crypto_generichash_state st;
	uint8_t h[16];
	char dir[4096], hex[33];
	size_t i;
	int rc;

	if ((rc = paths_get(PLACE_STATE, dir, sizeof(dir), e)) || (rc = dir_ensure(dir, 0700, e)))
		return rc;
	crypto_generichash_init(&st, NULL, 0, sizeof(h));
	crypto_generichash_update(&st, (const uint8_t *)&chain_id, sizeof(chain_id));
	crypto_generichash_update(&st, registry, 20);
	crypto_generichash_update(&st, me, 20);
	for (i = 0; i < j->n; i++)
		crypto_generichash_update(&st, (const uint8_t *)j->items[i].key, JOURNAL_KEY_HEX - 1);
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), hex);
	if ((size_t)snprintf(out, cap, "%s/upload-%s.journal", dir, hex) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "state path too long");
	return 0;
}

static void job_free(struct job *j)
{
	size_t i;

	for (i = 0; i < j->n; i++) {
		free(j->items[i].file);
		free(j->items[i].title);
		free(j->items[i].type);
	}
	free(j->items);
	free(j->patients);
}

int cmd_upload(int argc, char **argv)
{
	struct opt_parser p;
	struct target t;
	struct signer s;
	struct job j;
	struct upload_options opts = { .store = "chain", .window = 250 };
	const char *patient, *manifest, *jpath;
	char path[4300], question[300];
	uint8_t registry[20], addr[20];
	unsigned long window;
	chain *c = NULL, *c2 = NULL;
	journal *jr = NULL;
	struct flight *ahead[WINDOWS_AHEAD] = { NULL }, *flying[SENDER_QUEUE] = { NULL };
	struct sender sd = { 0 };
	size_t nflying = 0;
	size_t i, pi, cursor[2] = { 0, 0 };
	uint8_t author_pk[32];
	ehr_err e = { 0 };
	int rc, k2;

	memset(&j, 0, sizeof(j));
	memset(&s, 0, sizeof(s));
	tx_opts_init(&opts.tx);
	opt_init(&p, "upload", argc, argv, cmd_upload_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	patient = opts.patient;
	manifest = opts.manifest;
	j.title = opts.title;
	j.type = opts.type;
	j.store = opts.store;
	jpath = opts.jpath;
	window = opts.window;
	j.tx = opts.tx;
	if (!manifest == !patient)
		return usage_error("upload", "give --patient ADDR with FILEs, or --manifest FILE");
	if (manifest && p.npos)
		return usage_error("upload", "a manifest names its files: no FILE arguments with --manifest");
	if (patient && !p.npos)
		return usage_error("upload", "give the FILEs or DIRs to upload");
	j.on_chain = !strcmp(j.store, "chain");
	if (!j.on_chain && strncmp(j.store, "dir:", 4))
		return usage_error("upload", "--store is chain or dir:PATH, not '%s'", j.store);
	j.window = window;

	/* everything is read and checked before anything is sent */
	if (manifest) {
		rc = read_manifest(&j, manifest, &e);
	} else if (!(rc = eip55_parse(patient, addr, &e))) {
		for (k2 = 0; k2 < p.npos && !rc; k2++)
			rc = add_path(&j, addr, p.pos[k2], &e);
	}
	if (rc || (!j.on_chain && (rc = records_store_check(j.store, &e))))
		goto out;
	if ((rc = target_resolve(&t, &e)) || (rc = target_registry(&t, registry, &e)) ||
	    (rc = signer_open(&s, &e)) || (rc = target_connect(&t, &c, &e)))
		goto out;
	if (!jpath) {
		if ((rc = journal_path(&j, chain_chain_id(c), registry, s.address, path, sizeof(path), &e)))
			goto out;
		jpath = path;
	}
	if ((rc = journal_open(jpath, &jr, &e)))
		goto out;

	/* who may be written to: a registered key and an active write grant */
	for (pi = 0; pi < j.np && !rc; pi++) {
		struct patient *pt = &j.patients[pi];
		registry_account acct;
		char who[43];

		eip55_format(pt->addr, who);
		if ((rc = registry_account_of(c, registry, pt->addr, &acct, &e)))
			break;
		if (!acct.registered) {
			snprintf(pt->why, sizeof(pt->why), "%s has not registered an encryption key", who);
			continue;
		}
		memcpy(pt->enc_pk, acct.enc_key, 32);
		if (memcmp(pt->addr, s.address, 20) &&
		    !(rc = grants_write_grant(c, registry, pt->addr, s.address, &pt->grant, &e)) && !pt->grant)
			snprintf(pt->why, sizeof(pt->why), "no active write grant from %s", who);
	}
	if (rc)
		goto out;
	snprintf(question, sizeof(question), "Upload %zu record%s into %zu patient%s' charts", j.n,
		 j.n == 1 ? "" : "s", j.np, j.np == 1 ? "" : "s");
	if ((rc = confirm(question, &e)))
		goto out;
	g.yes = true;  /* asked once for the whole job */
	clock_gettime(CLOCK_MONOTONIC, &j.start);

	/* what earlier runs left needs no key: their transactions are signed */
	if ((rc = recover(&j, c, registry, s.address, jr, &e)))
		goto out;
	for (i = 0; i < j.n; i++)
		if (j.items[i].state == ITEM_PENDING && j.patients[j.items[i].patient].why[0])
			settle(&j, &j.items[i], ITEM_SKIPPED, j.patients[j.items[i].patient].why);

	/* the first windows are sealed while the passphrase is stretched:
	 * sealing needs only public keys (this account's from the wallet's
	 * header, which the unlock then authenticates) */
	if (s.keys) {
		memcpy(author_pk, s.keys->enc_public, 32);
	} else {
		const keystore_account *acct = keystore_account_by_index(s.ks, s.index);

		memcpy(author_pk, acct->encryption_key, 32);
	}
	if ((rc = ingest_pool_start(&j.pool, &e)))
		goto out;
	j.pool_started = true;
	if ((rc = windows_ahead(&j, cursor, ahead, author_pk, &e)))
		goto out;
	{
		struct early x = { &j, c, registry, { 0 }, ahead[0], { 0 }, 0 };
		pthread_t th;
		bool early = false;

		memcpy(x.from, s.address, 20);
		early = ahead[0] && !pthread_create(&th, NULL, early_prepare, &x);
		rc = signer_unlock(&s, &e);
		if (early)
			pthread_join(th, NULL);
		if (rc)
			goto out;
		if (early && x.rc) {
			window_fail(&j, ahead[0], &x.e);
			ahead[0] = NULL;
			rc = x.rc;
			e = x.e;
		}
	}
	if (sodium_memcmp(author_pk, s.keys->enc_public, 32)) {
		rc = ehr_fail(&e, EHR_EINTEGRITY, "wallet '%s': the encryption key in its header is not "
			      "the one its keys derive", g.wallet);
		goto out;
	}
	j.progress = isatty(STDERR_FILENO) && !g.quiet;
	progress(&j, false);

	/* each window is signed, journaled and handed to the sender; while the
	 * node mines it, the next one is prepared and the one before it settled */
	if (!rc && ((rc = target_connect(&t, &c2, &e)) || (rc = sender_start(&sd, c2, &j.tx, &e))))
		goto out;
	for (;;) {
		struct flight *f = ahead[0];
		ehr_err se;
		int src;

		if (!rc && f) {
			memmove(ahead, ahead + 1, (WINDOWS_AHEAD - 1) * sizeof(*ahead));
			ahead[WINDOWS_AHEAD - 1] = NULL;
			if ((!f->prepared && (rc = window_prepare(&j, c, registry, s.address, f, true, &e))) ||
			    (rc = window_sign(&s, jr, f, &e))) {
				window_fail(&j, f, &e);
			} else {
				sender_push(&sd, f);
				flying[nflying++] = f;
				if (!(rc = windows_ahead(&j, cursor, ahead, author_pk, &e)) && ahead[0] &&
				    (rc = window_prepare(&j, c, registry, s.address, ahead[0], true, &e))) {
					window_fail(&j, ahead[0], &e);
					ahead[0] = NULL;
				}
			}
		}
		if (!nflying)
			break;
		if (nflying < 2 && !rc && ahead[0])
			continue;
		f = flying[0];
		memmove(flying, flying + 1, --nflying * sizeof(*flying));
		if ((src = window_settle(&j, &sd, registry, jr, f, &se))) {
			window_fail(&j, f, &se);
			if (!rc) {
				rc = src;
				e = se;
			}
		} else {
			flight_free(f);
		}
		progress(&j, false);
	}
	progress(&j, true);
	if (!g.json && !g.quiet)
		fprintf(stderr, "%zu uploaded, %zu skipped, %zu failed, of %zu (%.1fs; journal %s)\n",
			j.done, j.skipped, j.failed, j.n, elapsed(&j), jpath);
	if (!rc && (j.skipped || j.failed))
		rc = ehr_fail(&e, EHR_EFAIL, "%zu of %zu records were not uploaded", j.skipped + j.failed, j.n);
	else if (rc)
		ehr_wrap(&e, "stopped (run the same command again to finish)");
out:
	sender_stop(&sd);
	for (i = 0; i < WINDOWS_AHEAD; i++)
		flight_free(ahead[i]);
	if (j.pool_started)
		ingest_pool_stop(&j.pool);
	chain_close(c2);
	journal_close(jr);
	signer_close(&s);
	chain_close(c);
	job_free(&j);
	return rc ? report(&e) : 0;
}
