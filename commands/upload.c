/* ehr upload: a provider puts many records into patients' charts, from a
 * script: files for one patient, or a manifest of JSON lines for many.
 * Each patient must have given this account an active write grant; the
 * files of a patient without one are reported and skipped. Sealing,
 * batching many records per transaction, local nonces and batched sends
 * make it fast; a journal written before anything is sent makes a re-run
 * after a crash, a kill or a node outage finish the rest exactly once. */
#include "commands/commands.h"
#include "cli/context.h"
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

#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/vault/journal.h"
#include "wallet/base/paths.h"
#include "wallet/registry/records.h"
#include "wallet/chain/rpc.h"
#include "wallet/registry/ingest.h"
#include "wallet/registry/sender.h"
#include "wallet/registry/upload_list.h"

struct upload_options {
	const char *patient, *manifest, *title, *type, *store, *jpath;
	unsigned long window;
	bool keep_going, dry_run;
	struct tx_opts tx;
	struct job *j;               /* the items, read and checked (the check) */
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

static const struct opt upload_opts[] = {
	{ "patient", 0, "ADDR", OV_NONE, "the patient whose chart the FILEs go into",
	  OPT_STR(struct upload_options, patient), .forms = OPT_IN(0), .alt = 1, .required = true },
	{ "manifest", 0, "FILE", OV_FILE, "JSON lines: {\"patient\": ADDR, \"file\": PATH, \"title\": ..., \"type\": ...}",
	  OPT_STR(struct upload_options, manifest), .forms = OPT_IN(1), .required = true },
	{ "title", 0, "TITLE", OV_NONE, "title of each record (default: the file name)",
	  OPT_STR(struct upload_options, title), .forms = OPT_IN(0) },
	{ "type", 0, "TYPE", OV_NONE, "type of each record (default: the FHIR resourceType, else document)",
	  OPT_STR(struct upload_options, type), .forms = OPT_IN(0) },
	{ "store", 0, "STORE", OV_STORE, "chain (default) or dir:PATH",
	  OPT_STR(struct upload_options, store) },
	{ "journal", 0, "FILE", OV_FILE, "the journal (default: under the state directory, named by the job)",
	  OPT_STR(struct upload_options, jpath) },
	{ "window", 0, "N", OV_NONE, "records sealed and sent together (default 250)",
	  OPT_CALL(struct upload_options, window, unsigned long, take_window) },
	{ "keep-going", 0, NULL, OV_NONE, "upload the good files, report each bad one as failed (exit 1)",
	  OPT_FLAG(struct upload_options, keep_going) },
	{ "dry-run", 0, NULL, OV_NONE, "check and count the files, estimate the fees; send and journal nothing",
	  OPT_FLAG(struct upload_options, dry_run) },
	/* no --sign-only: an upload sends through its journal, not tx_submit */
	TX_WAIT_ONLY_OPTS_IN(struct upload_options, tx, 0),
	{ 0 }
};

struct job {
	struct upload_list l;       /* the items and their patients */
	const char *title, *type, *store;
	bool on_chain, dry_run;
	size_t window;
	struct tx_opts tx;
	struct ingest_pool pool;    /* seals the windows ahead */
	bool pool_started;
	/* progress; done counts already too */
	size_t done, already, skipped, failed;
	u256 fee;                   /* dry run: the fees of what would be sent */
	uint64_t bytes_done;
	struct timespec start;
	bool progress;
};

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
	fill = j->l.n ? finished * width / j->l.n : width;
	memset(bar, '=', fill);
	memset(bar + fill, ' ', width - fill);
	bar[width] = '\0';
	fprintf(stderr, "\r[%s] %zu/%zu records  %.1f MiB  %.0f/s  ETA %.0fs ", bar, finished, j->l.n,
		(double)j->bytes_done / (1 << 20), rate,
		rate > 0 ? (double)(j->l.n - finished) / rate : 0.0);
	if (last)
		fputc('\n', stderr);
	fflush(stderr);
}

static void report_item(struct job *j, struct upload_item *it)
{
	static const char *const names[] = { "pending", "uploaded", "skipped", "failed" };
	const char *status = it->already ? "already uploaded" : names[it->state];

	if (it->state == UPLOAD_PENDING && j->dry_run)
		status = "would upload";
	if (it->state == UPLOAD_DONE) {
		j->done++;
		j->already += it->already;
		j->bytes_done += it->size;
	} else if (it->state == UPLOAD_SKIPPED) {
		j->skipped++;
	} else if (it->state == UPLOAD_FAILED) {
		j->failed++;
	}
	if (g.json) {
		cJSON *o = cJSON_CreateObject();
		char addr[43], h[67];
		char *s;

		cJSON_AddStringToObject(o, "file", it->file);
		if (it->patient != UPLOAD_NO_PATIENT) {
			eip55_format(j->l.patients[it->patient].addr, addr);
			cJSON_AddStringToObject(o, "patient", addr);
		}
		cJSON_AddStringToObject(o, "status", status);
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
	} else if (it->state != UPLOAD_DONE && it->state != UPLOAD_PENDING && !j->progress) {
		fprintf(stderr, "%s: %s: %s\n", it->file, names[it->state], it->why);
	}
}

static void settle(struct job *j, struct upload_item *it, enum upload_state st, const char *why)
{
	it->state = st;
	snprintf(it->why, sizeof(it->why), "%s", why ? why : "");
	report_item(j, it);
}

/* ---- what earlier runs did ------------------------------------------------ */

/* The item of a journal key (the journal may name items of other jobs
 * that shared its file: those are not ours to settle). */
static struct upload_item *find_item(struct job *j, const char *key)
{
	size_t i;

	for (i = 0; i < j->l.n; i++)
		if (!strcmp(j->l.items[i].key, key))
			return &j->l.items[i];
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
	records_anchored a = { 0 };
	journal_item *done = NULL;
	size_t ndone = 0, i, k, p;
	int rc;

	if (!jr->ntxs)
		return 0;
	if (!j->dry_run &&
	    (rc = journal_resend(c, jr, (unsigned)j->tx.confirmations, (long)j->tx.timeout_s * 1000, e)))
		return rc;
	if (!(done = calloc(j->l.n + 1, sizeof(*done))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (p = 0; p < j->l.np && !rc; p++)
		rc = records_anchored_by(c, registry, j->l.patients[p].addr, me, &a, e);
	for (i = 0; !rc && i < jr->ntxs; i++) {
		const journal_tx *t = &jr->txs[i];

		for (k = 0; k < t->n; k++) {
			struct upload_item *it = find_item(j, t->items[k]);
			uint64_t id;

			if (!it || it->state != UPLOAD_PENDING || !(id = records_anchored_id(&a, t->envelopes[k])))
				continue;
			it->record = id;
			it->already = true;
			memcpy(it->tx, t->hash, 32);
			it->has_tx = true;
			memcpy(done[ndone].key, it->key, JOURNAL_KEY_HEX);
			done[ndone].record = id;
			memcpy(done[ndone++].envelope, t->envelopes[k], 32);
			settle(j, it, UPLOAD_DONE, NULL);
		}
	}
	if (!rc && ndone && !j->dry_run)
		rc = journal_add_items(jr, done, ndone, e);
	free(done);
	records_anchored_free(&a);
	return rc;
}

/* ---- new uploads -------------------------------------------------------------- */

/* One window of items of one patient on its way: sealed, stored, signed,
 * journaled and sent; settled once its receipts are in. The next windows
 * are sealed (on helper threads) while this one is mined: sealing runs
 * ahead of the node. Its helpers hold its address: it never moves. */
struct flight {
	struct upload_item **win;
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
	chain_receipt *receipts;
	u256 fee;                   /* of the prepared transactions, at most */
	struct send_batch send;     /* the above, for the sender */
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
	for (; cursor[0] < j->l.np; cursor[0]++, cursor[1] = 0) {
		for (; cursor[1] < j->l.n && (!f || f->n < j->window); cursor[1]++) {
			struct upload_item *it = &j->l.items[cursor[1]];

			if (it->patient != cursor[0] || it->state != UPLOAD_PENDING)
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
	struct upload_patient *pt = &j->l.patients[f->win[0]->patient];
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
				    j->on_chain || j->dry_run ? NULL : j->store, e)))
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
	struct upload_patient *pt = &j->l.patients[f->win[0]->patient];
	uint8_t (*shapes)[16];
	size_t t;
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
	rc = txs_prepare(c, from, f->txs, f->plan.ntxs, (const uint8_t (*)[16])shapes, &f->fee, e);
	free(shapes);
	f->send.block_gas = chain_block_gas_limit(c);
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
	f->send.raw = f->raw;
	f->send.hashes = (const uint8_t (*)[32])f->hashes;
	f->send.txs = f->txs;
	f->send.n = f->plan.ntxs;
	f->send.receipts = f->receipts;
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

/* Once the sender is done with the window: record ids from its receipts
 * into the journal, and each item reported. */
static int window_settle(struct job *j, struct tx_sender *sd, const uint8_t registry[20],
			 journal *jr, struct flight *f, ehr_err *e)
{
	journal_item *done;
	size_t i, t, k;
	int rc;

	tx_sender_wait(sd, &f->send);
	if (f->send.rc) {
		*e = f->send.err;
		return f->send.rc;
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
		settle(j, f->win[i], UPLOAD_DONE, NULL);
	free(done);
	return rc;
}

/* A window that failed: its items are reported (a re-run finishes them). */
static void window_fail(struct job *j, struct flight *f, const ehr_err *e)
{
	size_t k;

	for (k = 0; k < f->n; k++)
		if (f->win[k]->state == UPLOAD_PENDING)
			settle(j, f->win[k], UPLOAD_FAILED, e->msg);
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
	for (i = 0; i < j->l.n; i++)
		if (j->l.items[i].key[0])  /* not one that could not be read */
			crypto_generichash_update(&st, (const uint8_t *)j->l.items[i].key, JOURNAL_KEY_HEX - 1);
	crypto_generichash_final(&st, h, sizeof(h));
	hex_encode(h, sizeof(h), hex);
	if ((size_t)snprintf(out, cap, "%s/upload-%s.journal", dir, hex) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "state path too long");
	return 0;
}

/* One run of a job: the chain, the signer, the journal, and the windows
 * being sealed (ahead), and sent and not yet settled (flying). */
struct run {
	struct job *j;
	struct ctx *x;              /* the node, the registry, this account (main set it up) */
	chain *c2;                  /* the sender's connection */
	journal *jr;
	const char *jpath;
	char path[4300];
	uint8_t author_pk[32];
	struct flight *ahead[WINDOWS_AHEAD], *flying[TX_SENDER_QUEUE];
	size_t nflying, cursor[2];
	struct tx_sender sd;
};

/* Reads and checks every item: everything before anything is sent. */
static int job_collect(struct job *j, const char *manifest, const char *patient, char **files,
		       int nfiles, ehr_err *e)
{
	uint8_t addr[20];
	int k, rc;

	if (manifest) {
		rc = upload_read_manifest(&j->l, manifest, j->title, j->type, e);
	} else if (!(rc = eip55_parse(patient, addr, e))) {
		for (k = 0; k < nfiles && !rc; k++)
			rc = upload_add_path(&j->l, addr, files[k], j->title, j->type, e);
	}
	if (!rc && !j->on_chain)
		rc = records_store_check(j->store, e);
	return rc;
}

/* Checks every file the way sealing will, before anything is sent: the
 * first bad one stops the job, or with keep_going each is reported
 * failed (as is each that could not be read). */
static int job_check(struct job *j, ehr_err *e)
{
	size_t i;
	int rc;

	for (i = 0; i < j->l.n; i++) {
		struct upload_item *it = &j->l.items[i];

		if (it->state == UPLOAD_FAILED) {
			report_item(j, it);
		} else if ((rc = upload_check_item(it, j->on_chain, e))) {
			if (rc != EHR_EUSAGE || !j->l.keep_going)
				return rc;
			settle(j, it, UPLOAD_FAILED, e->msg);
		}
	}
	return 0;
}

/* The node, the signer's address and the journal (by default named by
 * the job). */
static int run_open(struct run *r, const char *jpath, ehr_err *e)
{
	int rc;

	if (!jpath) {
		if ((rc = chain_check_id(r->x->c, e)) ||
		    (rc = journal_path(r->j, chain_chain_id(r->x->c), r->x->registry, r->x->s.address, r->path,
				       sizeof(r->path), e)))
			return rc;
		jpath = r->path;
	}
	r->jpath = jpath;
	return r->j->dry_run ? journal_read(jpath, &r->jr, e) : journal_open(jpath, &r->jr, e);
}

/* Who may be written to: a registered key and an active write grant (else
 * the patient's why says what is missing). */
static int patients_check(struct run *r, ehr_err *e)
{
	size_t pi;
	int rc = 0;

	for (pi = 0; pi < r->j->l.np && !rc; pi++) {
		struct upload_patient *pt = &r->j->l.patients[pi];
		sealing_key k;
		char who[43];

		eip55_format(pt->addr, who);
		if ((rc = contacts_sealing_key(r->x->c, r->x->registry, pt->addr, &k, e)))
			break;
		if (!k.acct.registered) {
			snprintf(pt->why, sizeof(pt->why), "%s has not registered an encryption key", who);
			continue;
		}
		memcpy(pt->enc_pk, k.acct.enc_key, 32);
		if (memcmp(pt->addr, r->x->s.address, 20) &&
		    !(rc = grants_write_grant(r->x->c, r->x->registry, pt->addr, r->x->s.address, &pt->grant, e)) &&
		    !pt->grant)
			snprintf(pt->why, sizeof(pt->why), "no active write grant from %s", who);
	}
	return rc;
}

/* Asks once for the whole job, then settles what earlier runs left (that
 * needs no key: their transactions are signed) and skips the items of
 * patients that cannot be written to. */
static int run_resume(struct run *r, ehr_err *e)
{
	struct job *j = r->j;
	char question[1600], chain_text[1200];
	size_t i;
	int rc;

	chain_words(r->x->c, chain_text, sizeof(chain_text));
	snprintf(question, sizeof(question), "Upload %zu record%s into %zu patient%s' charts (%s)", j->l.n,
		 j->l.n == 1 ? "" : "s", j->l.np, j->l.np == 1 ? "" : "s", chain_text);
	if (!j->dry_run && (rc = confirm(question, e)))
		return rc;
	g.yes = true;  /* asked once for the whole job */
	clock_gettime(CLOCK_MONOTONIC, &j->start);
	if ((rc = recover(j, r->x->c, r->x->registry, r->x->s.address, r->jr, e)))
		return rc;
	for (i = 0; i < j->l.n; i++)
		if (j->l.items[i].state == UPLOAD_PENDING && j->l.patients[j->l.items[i].patient].why[0])
			settle(j, &j->l.items[i], UPLOAD_SKIPPED, j->l.patients[j->l.items[i].patient].why);
	return 0;
}

/* This account's encryption key (from the wallet's header while it is
 * locked) and the pool that seals for it. */
static int run_pool_start(struct run *r, ehr_err *e)
{
	int rc;

	if (r->x->s.keys)
		memcpy(r->author_pk, r->x->s.keys->enc_public, 32);
	else
		memcpy(r->author_pk, keystore_account_by_index(r->x->s.ks, r->x->s.index)->encryption_key, 32);
	if ((rc = ingest_pool_start(&r->j->pool, e)))
		return rc;
	r->j->pool_started = true;
	return 0;
}

/* A dry run: each window that would be sent is sealed (in memory) and its
 * transactions prepared, not signed; their fees add up in j->fee and its
 * items are reported as they would be. A window that cannot be prepared
 * (no funds, a grant revoked) is reported failed and stops the run. */
static int run_estimate(struct run *r, ehr_err *e)
{
	struct job *j = r->j;
	struct flight *f;
	size_t k;
	int rc;

	if ((rc = run_pool_start(r, e)))
		return rc;
	for (;;) {
		if ((rc = window_next(j, r->cursor, &f, e)) || !f)
			return rc;
		if ((rc = window_seal(j, f, r->author_pk, e)) ||
		    (rc = window_prepare(j, r->x->c, r->x->registry, r->x->s.address, f, true, e))) {
			window_fail(j, f, e);
			return rc;
		}
		u256_add(&j->fee, &j->fee, &f->fee);
		for (k = 0; k < f->n; k++)
			report_item(j, f->win[k]);
		flight_free(f);
	}
}

/* The counts of the run, on stderr (a dry run's on stdout: its result),
 * or as one JSON line with stable keys. */
static void run_summary(const struct run *r)
{
	const struct job *j = r->j;
	size_t sent = j->done - j->already, would = j->l.n - j->done - j->skipped - j->failed;
	char fee[AMOUNT_FMT_MAX];
	cJSON *o;
	char *s;

	amount_format(&j->fee, 18, fee, sizeof(fee));
	if (!g.json) {
		if (j->dry_run)
			printf("dry run: %zu to upload, %zu already there, %zu skipped, %zu failed, of %zu; "
			       "fees at most %s %s; nothing sent\n", would, j->already, j->skipped, j->failed,
			       j->l.n, fee, chain_symbol(r->x->c));
		else if (!g.quiet)
			fprintf(stderr, "%zu uploaded, %zu already there, %zu skipped, %zu failed, of %zu "
				"(%.1fs; journal %s)\n", sent, j->already, j->skipped, j->failed, j->l.n,
				elapsed(j), r->jpath);
		return;
	}
	if (!(o = cJSON_CreateObject()))
		return;
	cJSON_AddStringToObject(o, "summary", j->dry_run ? "dry run" : "upload");
	cJSON_AddNumberToObject(o, "uploaded", (double)sent);
	cJSON_AddNumberToObject(o, "already_there", (double)j->already);
	cJSON_AddNumberToObject(o, "skipped", (double)j->skipped);
	cJSON_AddNumberToObject(o, "failed", (double)j->failed);
	cJSON_AddNumberToObject(o, "total", (double)j->l.n);
	if (j->dry_run) {
		cJSON_AddNumberToObject(o, "to_upload", (double)would);
		cJSON_AddStringToObject(o, "fee_max", fee);
		cJSON_AddStringToObject(o, "coin", chain_symbol(r->x->c));
	} else {
		cJSON_AddStringToObject(o, "journal", r->jpath);
	}
	if ((s = cJSON_PrintUnformatted(o)))
		puts(s);
	cJSON_free(s);
	cJSON_Delete(o);
}

/* Unlocks the signer while the first windows are sealed and the first is
 * prepared: sealing needs only public keys (this account's from the
 * wallet's header, which the unlock then authenticates). A first window
 * that failed is reported, its failure in *window_rc and e (the job then
 * stops short, with its summary). */
static int run_unlock(struct run *r, int *window_rc, ehr_err *e)
{
	struct early x = { r->j, r->x->c, r->x->registry, { 0 }, NULL, { 0 }, 0 };
	pthread_t th;
	bool early;
	int rc;

	if ((rc = run_pool_start(r, e)) || (rc = windows_ahead(r->j, r->cursor, r->ahead, r->author_pk, e)))
		return rc;
	x.f = r->ahead[0];
	memcpy(x.from, r->x->s.address, 20);
	early = r->ahead[0] && !pthread_create(&th, NULL, early_prepare, &x);
	rc = signer_unlock(&r->x->s, e);
	if (early)
		pthread_join(th, NULL);
	if (rc)
		return rc;
	if (early && x.rc) {
		window_fail(r->j, r->ahead[0], &x.e);
		r->ahead[0] = NULL;
		*window_rc = x.rc;
		*e = x.e;
	}
	if (sodium_memcmp(r->author_pk, r->x->s.keys->enc_public, 32))
		return ehr_fail(e, EHR_EINTEGRITY, "wallet '%s': the encryption key in its header is not "
				"the one its keys derive", g.wallet);
	return 0;
}

/* Prepares (unless done ahead), signs and journals the next window and
 * hands it to the sender; then seals the windows after it and prepares
 * the first of them. A window that fails is reported. */
static int window_launch(struct run *r, ehr_err *e)
{
	struct job *j = r->j;
	struct flight *f = r->ahead[0];
	int rc;

	memmove(r->ahead, r->ahead + 1, (WINDOWS_AHEAD - 1) * sizeof(*r->ahead));
	r->ahead[WINDOWS_AHEAD - 1] = NULL;
	if ((!f->prepared && (rc = window_prepare(j, r->x->c, r->x->registry, r->x->s.address, f, true, e))) ||
	    (rc = window_sign(&r->x->s, r->jr, f, e))) {
		window_fail(j, f, e);
		return rc;
	}
	tx_sender_push(&r->sd, &f->send);
	r->flying[r->nflying++] = f;
	if (!(rc = windows_ahead(j, r->cursor, r->ahead, r->author_pk, e)) && r->ahead[0] &&
	    (rc = window_prepare(j, r->x->c, r->x->registry, r->x->s.address, r->ahead[0], true, e))) {
		window_fail(j, r->ahead[0], e);
		r->ahead[0] = NULL;
	}
	return rc;
}

/* Each window is signed, journaled and handed to the sender; while the
 * node mines it, the next one is prepared and the one before it settled.
 * rc: the failure so far (then nothing more is launched, what flies is
 * settled). */
static int run_windows(struct run *r, int rc, ehr_err *e)
{
	for (;;) {
		struct flight *f;
		ehr_err se;
		int src;

		if (!rc && r->ahead[0])
			rc = window_launch(r, e);
		if (!r->nflying)
			break;
		if (r->nflying < 2 && !rc && r->ahead[0])
			continue;
		f = r->flying[0];
		memmove(r->flying, r->flying + 1, --r->nflying * sizeof(*r->flying));
		if ((src = window_settle(r->j, &r->sd, r->x->registry, r->jr, f, &se))) {
			window_fail(r->j, f, &se);
			if (!rc) {
				rc = src;
				*e = se;
			}
		} else {
			flight_free(f);
		}
		progress(r->j, false);
	}
	return rc;
}

/* The job from its collected items to its summary. */
static int upload_run(struct ctx *x, struct job *j, const char *jpath, ehr_err *e)
{
	struct run r;
	size_t i;
	int rc, window_rc = 0;

	memset(&r, 0, sizeof(r));
	r.x = x;
	r.j = j;
	if ((rc = run_open(&r, jpath, e)) || (rc = patients_check(&r, e)) || (rc = run_resume(&r, e)))
		goto out;
	if (j->dry_run) {
		rc = run_estimate(&r, e);
	} else {
		if ((rc = run_unlock(&r, &window_rc, e)))
			goto out;
		j->progress = isatty(STDERR_FILENO) && !g.quiet;
		progress(j, false);
		if (!(rc = window_rc) && ((rc = target_connect(&r.x->t, &r.c2, e)) ||
					  (rc = tx_sender_start(&r.sd, r.c2, (unsigned)j->tx.confirmations,
								(long)j->tx.timeout_s * 1000, e))))
			goto out;
		rc = run_windows(&r, rc, e);
		progress(j, true);
	}
	run_summary(&r);
	if (!rc && (j->skipped || j->failed))
		rc = ehr_fail(e, EHR_EFAIL, "%zu of %zu records were not uploaded", j->skipped + j->failed, j->l.n);
	else if (rc && !j->dry_run)
		ehr_wrap(e, "stopped (run the same command again to finish)");
out:
	tx_sender_stop(&r.sd);
	for (i = 0; i < WINDOWS_AHEAD; i++)
		flight_free(r.ahead[i]);
	if (j->pool_started)
		ingest_pool_stop(&j->pool);
	chain_close(r.c2);
	journal_close(r.jr);
	return rc;
}

/* The options, then every item read and checked: all before the wallet
 * is read and anything is sent. */
static int upload_check(const struct command_call *call)
{
	struct upload_options *o = call->opts;
	struct job *j;
	ehr_err e = { 0 };

	if (!o->manifest == !o->patient)
		return usage_error("upload", "give --patient ADDR with FILEs, or --manifest FILE");
	if (o->manifest && call->npos)
		return usage_error("upload", "a manifest names its files: no FILE arguments with --manifest");
	if (o->patient && !call->npos)
		return usage_error("upload", "give the FILEs or DIRs to upload");
	if (strcmp(o->store, "chain") && strncmp(o->store, "dir:", 4))
		return usage_error("upload", "--store is chain or dir:PATH, not '%s'", o->store);
	if (!(j = o->j = calloc(1, sizeof(*j))))
		return fail(EHR_EFAIL, "out of memory");
	j->title = o->title;
	j->type = o->type;
	j->store = o->store;
	j->tx = o->tx;
	j->l.keep_going = o->keep_going;
	j->dry_run = o->dry_run;
	j->on_chain = !strcmp(j->store, "chain");
	j->window = o->window;
	if (job_collect(j, o->manifest, o->patient, call->pos, call->npos, &e) || job_check(j, &e))
		return report(&e);
	return 0;
}

static void upload_done(void *opts)
{
	struct upload_options *o = opts;

	if (o->j)
		upload_list_free(&o->j->l);
	free(o->j);
}

static const struct upload_options upload_defaults = {
	.store = "chain", .window = 250, .tx = TX_OPTS_DEFAULTS
};

const struct command_args cmd_upload_args = {
	.opts = upload_opts, .size = sizeof(upload_defaults), .defaults = &upload_defaults,
	.max_pos = -1, .check = upload_check, .done = upload_done,
};

int cmd_upload(const struct command_call *call)
{
	const struct upload_options *o = call->opts;
	ehr_err e = { 0 };

	return upload_run(call->x, o->j, o->jpath, &e) ? report(&e) : 0;
}
