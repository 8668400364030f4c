/* ehr record: the patient's records. add seals files into envelopes, puts
 * the ciphertext in a store (the chain's calldata, or a directory) and
 * anchors them in the registry; list, get, verify, erase and export read
 * them back. Every fetch is checked against its anchor before anything is
 * decrypted, and plaintext reaches its name only whole. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/grant_send.h"
#include "cli/parties.h"
#include "cli/record_in.h"
#include "cli/submit.h"
#include "cli/table.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/registry/contacts.h"
#include "wallet/registry/chainstore.h"
#include "wallet/vault/envelope.h"
#include "wallet/keys/eth.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/fhir_deid.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/registry/records.h"
#include "wallet/registry/ingest.h"

#define RECORD_TITLE_FILE_MAX 4096 /* a title file's bytes; the title keeps 511 */

struct args {
	const char *title, *title_file, *type, *media, *store, *out, *fhir, *issuer_keys, *passcode_file, *qr_image;
	bool split, force, all, wide, unverified, deidentify;
	struct tx_opts tx;
	/* what the checks found */
	const struct subcommand *sub;
	uint64_t id;                 /* get, erase */
	bool on_chain;               /* add: --store chain */
	struct incoming *ins;        /* add: the files, read and checked */
	char *title_buf;             /* add: --title-file's text */
	size_t n, cap;
};

static const struct opt record_opts[] = {
	{ "qr-image", 0, "FILE", OV_FILE, "add: a SMART Health Card (or Link) from the QR code in a PNG image",
	  OPT_STR(struct args, qr_image), .forms = OPT_IN(0), .alt = 3 },
	{ "title-file", 0, "FILE", OV_FILE, "add: the record's title, from FILE (default: the file name)",
	  OPT_STR(struct args, title_file), .forms = OPT_IN(0), .alt = 2 },
	{ "title", 0, "TITLE", OV_NONE, "add: the title as an argument (other users see it: prefer --title-file)",
	  OPT_STR(struct args, title), .forms = OPT_IN(0), .alt = 2 },
	{ "type", 0, "TYPE", OV_NONE, "add: the record's type (default: the FHIR resourceType); list: only this type",
	  OPT_STR(struct args, type), .forms = OPT_IN(0) | OPT_IN(1) },
	{ "media-type", 0, "TYPE", OV_NONE, "add: the media type (default: from the file name)",
	  OPT_STR(struct args, media), .forms = OPT_IN(0) },
	{ "store", 0, "STORE", OV_STORE, "add: chain (default: ciphertext in calldata) or dir:PATH",
	  OPT_STR(struct args, store), .forms = OPT_IN(0) },
	{ "split-bundle", 0, NULL, OV_NONE, "add: a FHIR Bundle becomes one record per entry",
	  OPT_FLAG(struct args, split), .forms = OPT_IN(0) },
	{ "issuer-keys", 0, "JWKS", OV_FILE, "add: trust these keys (an issuer's jwks.json) for cards",
	  OPT_STR(struct args, issuer_keys), .forms = OPT_IN(0) },
	{ "unverified", 0, NULL, OV_NONE, "add: take cards whose issuer's key is not trusted, marked so",
	  OPT_FLAG(struct args, unverified), .forms = OPT_IN(0) },
	{ "passcode-file", 0, "FILE", OV_FILE, "add: the passcode of a SMART Health Link, from FILE",
	  OPT_STR(struct args, passcode_file), .forms = OPT_IN(0) },
	{ "output", 'o', "FILE", OV_FILE, "get: write to FILE ('-': standard output)",
	  OPT_STR(struct args, out), .forms = OPT_IN(2) },
	{ "force", 'f', NULL, OV_NONE, "get: replace an existing file",
	  OPT_FLAG(struct args, force), .forms = OPT_IN(2) | OPT_IN(5) },
	{ "all", 0, NULL, OV_NONE, "list: erased records too; verify: every record",
	  OPT_FLAG(struct args, all), .forms = OPT_IN(1) | OPT_IN(3), .alt = 1 },
	{ "wide", 0, NULL, OV_NONE, "list: on a terminal too, print every column whole",
	  OPT_FLAG(struct args, wide), .forms = OPT_IN(1) },
	{ "fhir", 0, "FILE", OV_FILE, "export: write a FHIR R4 collection Bundle to FILE",
	  OPT_STR(struct args, fhir), .forms = OPT_IN(5), .required = true },
	{ "deidentify", 0, NULL, OV_NONE, "export: FHIR records only, HIPAA Safe Harbor identifiers removed",
	  OPT_FLAG(struct args, deidentify), .forms = OPT_IN(5) },
	TX_WAIT_OPTS_IN(struct args, tx, OPT_IN(0) | OPT_IN(4)),
	{ 0 }
};

/* ---- add ---------------------------------------------------------------- */

/* A dir: store holds envelopes only for records that are anchored: when
 * nothing was sent (the user said no, the node refused, the estimate
 * reverted), the envelopes this run put there are taken out again. Each is
 * named by the hash of an envelope sealed just now under a fresh data key,
 * so no file of that name was there before this run; one whose put did not
 * finish is not there (or not whole), and is left alone. */
static void unstore_envelopes(const struct incoming *ins, size_t n)
{
	struct stat st;
	ehr_err e = { 0 };
	char path[4200];
	size_t i;

	for (i = 0; i < n; i++) {
		if (strncmp(ins[i].locator, "dir:", 4) ||
		    records_store_file(ins[i].locator, path, sizeof(path), &e) || lstat(path, &st) ||
		    !S_ISREG(st.st_mode) || (uint64_t)st.st_size != ins[i].env_size)
			continue;
		if (records_store_delete(ins[i].locator, &e))
			warn("%s (its record was not added: delete it by hand)", e.msg);
	}
}

/* Whether any of the transactions may have gone out: tx_submit_many fills
 * a transaction's hash when it signs it, and sends only what it signed. */
static bool any_signed(const uint8_t (*hashes)[32], size_t n)
{
	return hashes && n && !sodium_is_zero(&hashes[0][0], n * 32);
}

/* The store, then every file read and checked before the wallet is read
 * and before anything is sealed or sent. */
static int add_check(const struct command_call *call)
{
	struct args *a = call->opts;
	size_t len;
	ehr_err e = { 0 };
	size_t i;

	if (!call->npos && !a->qr_image)
		return usage_error("record", "'record add' needs at least one FILE (or --qr-image FILE)");
	if (a->title && a->title_file)
		return usage_error("record", "give --title-file or --title, not both");
	if ((a->title || a->title_file) && call->npos > 1)
		return usage_error("record", "--title%s names one record: give one FILE with it",
				   a->title_file ? "-file" : "");
	a->on_chain = !strcmp(a->store, "chain");
	if (!a->on_chain && strncmp(a->store, "dir:", 4))
		return usage_error("record", "--store is chain or dir:PATH, not '%s'", a->store);
	if (!a->on_chain && records_store_check(a->store, &e))
		return report(&e);
	if (a->title_file && file_read_text(a->title_file, RECORD_TITLE_FILE_MAX, "title", &a->title_buf, &len, &e))
		return report(&e);
	if (a->title_buf && !len)
		return fail(EHR_EUSAGE, "%s holds no title", a->title_file);
	/* every file, card and link */
	{
		struct record_in in = { a->title_buf ? a->title_buf : a->title, a->split, a->issuer_keys,
					 a->unverified, a->passcode_file, a->qr_image };

		if (record_in_collect(&in, call->pos, call->npos, &a->ins, &a->n, &a->cap, &e))
			return report(&e);
	}
	for (i = 0; i < a->n; i++)
		ingest_describe(&a->ins[i], a->type, a->media);
	return 0;
}

static void print_added(const struct incoming *ins, size_t n)
{
	size_t i;

	if (g.json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < n; i++) {
			cJSON *o = cJSON_CreateObject();
			char h[67];

			hex_encode0x(ins[i].hash, 32, h);
			cJSON_AddNumberToObject(o, "id", (double)ins[i].id);
			cJSON_AddStringToObject(o, "title", ins[i].meta.title);
			cJSON_AddStringToObject(o, "type", ins[i].meta.type);
			cJSON_AddStringToObject(o, "file", ins[i].meta.file_name);
			cJSON_AddStringToObject(o, "content_hash", h);
			cJSON_AddNumberToObject(o, "size", (double)ins[i].env_size);
			cJSON_AddStringToObject(o, "locator", ins[i].locator);
			cJSON_AddItemToArray(arr, o);
		}
		output_json(arr);
	} else if (!g.quiet) {
		for (i = 0; i < n; i++)
			printf("record %llu  %-14s %s\n", (unsigned long long)ins[i].id, ins[i].meta.type,
			       ins[i].meta.title);
	}
}

static int record_add(const struct command_call *call)
{
	const struct args *a = call->opts;
	struct ctx *x = call->x;
	struct incoming *ins = a->ins;
	struct ingest_batch batch = { 0 };
	const keystore_account *acct;
	chainstore_plan plan = { 0 };
	chain_receipt *r = NULL;
	uint8_t (*hashes)[32] = NULL;
	eth_tx *txs = NULL;
	size_t n = a->n, i;
	bool on_chain = a->on_chain, sent = false;
	char what[256];
	ehr_err e = { 0 };
	int rc;

	if (!(acct = keystore_account_by_index(x->s.ks, x->s.index))) {
		rc = ehr_fail(&e, EHR_EUSAGE, "account %u is not in the wallet's list (ehr accounts --add)",
			      x->s.index);
		goto fail;
	}
	if ((rc = ingest_seal_all(&batch, ins, n, acct->encryption_key, NULL,
				  on_chain ? NULL : a->store, &e)) ||
	    (rc = ingest_plan(x->s.address, 0, ins, n, on_chain, &plan, &e)))
		goto fail;
	txs = calloc(plan.ntxs, sizeof(*txs));
	hashes = calloc(plan.ntxs, sizeof(*hashes));
	r = calloc(plan.ntxs, sizeof(*r));
	if (!txs || !hashes || !r) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of memory");
		goto fail;
	}
	for (i = 0; i < plan.ntxs; i++) {
		txs[i].has_to = 1;
		memcpy(txs[i].to, x->registry, 20);
		txs[i].data = plan.txs[i].data;
		txs[i].data_len = plan.txs[i].len;
	}
	snprintf(what, sizeof(what), "Add %zu record%s (%s)", n, n == 1 ? "" : "s",
		 on_chain ? "ciphertext on chain" : a->store);
	rc = tx_submit_many(x->c, &x->s, txs, plan.ntxs, what, &a->tx, hashes, r, &e);
	/* --sign-only: the stored envelopes stay for the relayed anchor */
	sent = !rc || rc == TX_SIGNED_ONLY || any_signed((const uint8_t (*)[32])hashes, plan.ntxs);
	if (rc || (rc = ingest_ids(x->registry, r, plan.ntxs, ins, n, &e)))
		goto fail;
	{
		size_t ngrants;

		if ((rc = grant_send_new_records(x, ins, n, &a->tx, &ngrants, &e))) {
			ehr_wrap(&e, "the records are added, but sharing them with the --all grantees failed");
			goto fail;
		}
		if (ngrants)
			note("shared with %zu active --all grant%s", ngrants, ngrants == 1 ? "" : "s");
	}
	print_added(ins, n);
fail:
	if (rc) {
		rc = report(&e);
		if (!on_chain && !sent)
			unstore_envelopes(ins, n);
	}
	for (i = 0; r && i < plan.ntxs; i++)
		chain_receipt_free(&r[i]);
	free(r);
	free(hashes);
	free(txs);
	chainstore_plan_free(&plan);
	ingest_batch_free(&batch);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

/* The table: piped, whole values; on a terminal the author and title wrap
 * at spaces (the type is kept whole, never cut mid-word). */
static const struct table_col list_cols[] = {
	{ "ID", 6, 0, TABLE_KEEP, 0, NULL },
	{ "CREATED", 20, 0, TABLE_KEEP, 0, " " },
	{ "TYPE", 14, 0, TABLE_KEEP, 0, " " },
	{ "BYTES", 10, 0, TABLE_KEEP, 1, " " },
	{ "STORE", 8, 8, TABLE_KEEP, 0, "  " },
	{ "AUTHOR", 6, 0, TABLE_WRAP, 0, " " },
	{ "TITLE", 0, 0, TABLE_WRAP, 0, " " },
};

struct list_state {
	const struct ctx *x;
	const struct args *a;
	uint8_t *key;
	cJSON *arr;
	struct table *t;
	struct parties *parties;      /* authors' names */
	size_t shown;
};

/* "you", or the author as people should read it (cli/parties.h). */
static void author_text(struct list_state *ls, const uint8_t addr[20], char *out, size_t cap)
{
	if (!memcmp(addr, ls->x->s.address, 20))
		snprintf(out, cap, "you");
	else
		parties_label(ls->parties, addr, out, cap);
}

/* What the listing says of a card's issuer. */
static const char *issuer_status(const envelope_meta *meta)
{
	return meta->issuer_verified ? "verified" : "unverified issuer";
}

static int list_row(struct list_state *ls, const registry_record *r, const envelope_meta *meta,
		    bool readable, int erased)
{
	char id[24], size[24], store[9], author[PARTY_LABEL_MAX];
	char title[sizeof(meta->title) + sizeof(meta->issuer) + 48], type[sizeof(meta->type)];
	const char *cells[7] = { id, meta->created[0] ? meta->created : "-", type, size, store, author, title };

	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->id);
	snprintf(size, sizeof(size), "%llu", (unsigned long long)r->size);
	snprintf(store, sizeof(store), "%.8s", r->locator);
	snprintf(type, sizeof(type), "%s", readable ? meta->type : "?");
	author_text(ls, r->author, author, sizeof(author));
	snprintf(title, sizeof(title), "%s%s", readable ? meta->title : "(not readable)", erased ? " (erased)" : "");
	if (meta->issuer[0])
		snprintf(title + strlen(title), sizeof(title) - strlen(title), " (issuer %s: %s)", meta->issuer,
			 issuer_status(meta));
	return table_add(ls->t, cells);
}

static int list_one(void *ctx, const registry_record *r, int erased)
{
	struct list_state *ls = ctx;
	envelope_meta meta;
	ehr_err e = { 0 };
	bool readable;

	if (erased && !ls->a->all)
		return 0;
	envelope_meta_init(&meta);
	readable = !records_data_key(r, ls->x->s.address, ls->x->s.keys->enc_public, ls->x->s.keys->enc_secret, ls->key, &e) &&
		   !envelope_read_meta_mem(r->meta, r->meta_len, ls->key, &meta, &e);
	if (ls->a->type && strcmp(meta.type, ls->a->type))
		return 0;
	ls->shown++;
	if (ls->arr) {
		cJSON *o = cJSON_CreateObject();
		char author[43], h[67];

		eip55_format(r->author, author);
		hex_encode0x(r->content_hash, 32, h);
		cJSON_AddNumberToObject(o, "id", (double)r->id);
		cJSON_AddStringToObject(o, "title", meta.title);
		cJSON_AddStringToObject(o, "type", meta.type);
		cJSON_AddStringToObject(o, "media_type", meta.media_type);
		cJSON_AddStringToObject(o, "file", meta.file_name);
		cJSON_AddStringToObject(o, "created", meta.created);
		if (meta.resource_type[0])
			cJSON_AddStringToObject(o, "resource_type", meta.resource_type);
		cJSON_AddItemToObject(o, "issuer", meta.issuer[0] ? cJSON_CreateString(meta.issuer)
								 : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "issuer_status", meta.issuer[0] ? cJSON_CreateString(issuer_status(&meta))
									: cJSON_CreateNull());
		cJSON_AddNumberToObject(o, "size", (double)r->size);
		cJSON_AddStringToObject(o, "locator", r->locator);
		cJSON_AddStringToObject(o, "author", author);
		if (memcmp(r->author, ls->x->s.address, 20)) {
			parties_json(ls->parties, r->author, o, "author_name");
		} else {
			cJSON_AddStringToObject(o, "author_name", "you");
			cJSON_AddBoolToObject(o, "author_name_verified", true);
		}
		cJSON_AddStringToObject(o, "content_hash", h);
		cJSON_AddNumberToObject(o, "block", (double)r->block);
		cJSON_AddBoolToObject(o, "erased", erased);
		cJSON_AddBoolToObject(o, "readable", readable);
		cJSON_AddItemToArray(ls->arr, o);
	} else if (list_row(ls, r, &meta, readable, erased)) {
		return EHR_EFAIL;
	}
	return 0;
}

static int no_operands(const struct command_call *call)
{
	return call->npos ? usage_error("record", "'record %s' takes no arguments", call->pos[-1]) : 0;
}

static int record_list(const struct command_call *call)
{
	const struct args *a = call->opts;
	struct ctx *x = call->x;
	struct list_state ls = { x, a, NULL, NULL, NULL, NULL, 0 };
	ehr_err e = { 0 };
	int rc;

	if ((rc = parties_open(&ls.parties, x->c, x->registry, &e)) || (rc = signer_unlock(&x->s, &e)))
		goto out;
	if (!(ls.key = sodium_malloc(32))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if (g.json)
		ls.arr = cJSON_CreateArray();
	else if (!(ls.t = table_new(list_cols, sizeof(list_cols) / sizeof(list_cols[0])))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of memory");
		goto out;
	}
	rc = records_of_patient(x->c, x->registry, x->s.address, list_one, &ls, &e);
	if (rc == EHR_EFAIL && !e.msg[0])
		ehr_fail(&e, EHR_EFAIL, "out of memory");
	if (!rc && ls.arr)
		output_json(ls.arr);
	else
		cJSON_Delete(ls.arr);
	if (!rc && ls.t)
		table_print(ls.t, stdout, table_width_for(stdout, a->wide));
	if (!rc && !ls.shown && !g.json)
		note("no records (add one with 'ehr record add FILE')");
out:
	table_free(ls.t);
	parties_close(ls.parties);
	sodium_free(ls.key);
	return rc ? report(&e) : 0;
}

/* ---- get, verify, erase --------------------------------------------------- */

/* One record id into a->id. */
static int one_id(const struct command_call *call, const char *what)
{
	struct args *a = call->opts;

	if (call->npos != 1 || opt_id(call->pos[0], &a->id))
		return usage_error("record", "'record %s' takes one record id%s", call->pos[-1], what);
	return 0;
}

static int get_check(const struct command_call *call)
{
	const struct args *a = call->opts;
	int rc;

	if ((rc = one_id(call, " (a number from 1)")))
		return rc;
	if (a->out && strcmp(a->out, "-") && !a->force && access(a->out, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", a->out);
	return 0;
}

static int record_get(const struct command_call *call)
{
	const struct args *a = call->opts;
	struct ctx *x = call->x;
	registry_record r = { 0 };
	envelope_meta meta;
	uint8_t *key = NULL;
	uint64_t id = a->id;
	int erased, fd = -1, rc;
	char name[300];
	const char *out = a->out;
	ehr_err e = { 0 };

	if ((rc = records_get(x->c, x->registry, id, &r, &erased, &e)))
		goto out;
	if (erased) {
		rc = ehr_fail(&e, EHR_EFAIL, "record %llu is erased", (unsigned long long)id);
		goto out;
	}
	if ((rc = signer_unlock(&x->s, &e)))
		goto out;
	if (!(key = sodium_malloc(32))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if ((rc = records_data_key(&r, x->s.address, x->s.keys->enc_public, x->s.keys->enc_secret, key, &e)) ||
	    (rc = envelope_read_meta_mem(r.meta, r.meta_len, key, &meta, &e)))
		goto out;
	if (!out) {
		records_file_name(&meta, id, name, sizeof(name));
		out = name;
		if (!a->force && access(out, F_OK) == 0) {
			rc = ehr_fail(&e, EHR_EUSAGE, "%s exists (use -o FILE, or --force to replace it)", out);
			goto out;
		}
	}
	/* the ciphertext is checked against the anchor before decrypting */
	if ((rc = records_fetch_verified(x->c, x->registry, &r, &fd, &e)))
		goto out;
	if (!strcmp(out, "-"))
		rc = envelope_open(fd, STDOUT_FILENO, key, r.content_hash, NULL, &meta, &e);
	else
		rc = envelope_open_to_path(fd, out, a->force, key, r.content_hash, &meta, &e);
	if (!rc && strcmp(out, "-")) {
		if (g.json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", (double)id);
			cJSON_AddStringToObject(o, "file", out);
			cJSON_AddStringToObject(o, "title", meta.title);
			cJSON_AddStringToObject(o, "type", meta.type);
			cJSON_AddNumberToObject(o, "size", (double)meta.size);
			output_json(o);
		} else {
			note("record %llu (%s) written to %s", (unsigned long long)id, meta.title, out);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	sodium_free(key);
	records_free(&r);
	return rc ? report(&e) : 0;
}

struct verify_state {
	struct ctx *x;
	size_t good, bad, skipped;
	cJSON *arr;
};

static int verify_one(struct verify_state *vs, const registry_record *r, int erased)
{
	ehr_err e = { 0 };
	int fd = -1, rc;
	const char *status;

	if (erased) {
		vs->skipped++;
		status = "erased";
		rc = 0;
	} else {
		rc = records_fetch_verified(vs->x->c, vs->x->registry, r, &fd, &e);
		if (fd >= 0)
			close(fd);
		status = rc ? (rc == EHR_EINTEGRITY ? "damaged" : "unavailable") : "ok";
		if (rc)
			vs->bad++;
		else
			vs->good++;
	}
	if (vs->arr) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)r->id);
		cJSON_AddStringToObject(o, "status", status);
		cJSON_AddStringToObject(o, "locator", r->locator);
		if (rc)
			cJSON_AddStringToObject(o, "error", e.msg);
		cJSON_AddItemToArray(vs->arr, o);
	} else if (rc) {
		printf("record %llu: %s: %s\n", (unsigned long long)r->id, status, e.msg);
	} else if (!g.quiet) {
		printf("record %llu: %s\n", (unsigned long long)r->id, status);
	}
	return rc == EHR_ENODE ? rc : 0;
}

static int verify_cb(void *ctx, const registry_record *r, int erased)
{
	return verify_one(ctx, r, erased);
}

static int verify_check(const struct command_call *call)
{
	const struct args *a = call->opts;
	uint64_t id;
	int k;

	if (a->all == (call->npos > 0))
		return usage_error("record", "'record verify' takes record ids or --all");
	for (k = 0; k < call->npos; k++)
		if (opt_id(call->pos[k], &id))
			return usage_error("record", "'%s' is not a record id", call->pos[k]);
	return 0;
}

static int record_verify_ids(const struct command_call *call)
{
	return record_verify(call->x, call->pos, call->npos, ((const struct args *)call->opts)->all);
}

int record_verify(struct ctx *x, char **ids, int nids, bool all)
{
	struct verify_state vs = { x, 0, 0, 0, NULL };
	ehr_err e = { 0 };
	int k, rc = 0;
	uint64_t id;

	if (g.json)
		vs.arr = cJSON_CreateArray();
	if (all) {
		rc = records_of_patient(x->c, x->registry, x->s.address, verify_cb, &vs, &e);
	} else {
		for (k = 0; k < nids && !rc; k++) {
			registry_record r;
			int erased;

			opt_id(ids[k], &id);
			if ((rc = records_get(x->c, x->registry, id, &r, &erased, &e)))
				break;
			rc = verify_one(&vs, &r, erased);
			records_free(&r);
		}
	}
	if (vs.arr) {
		if (!rc)
			output_json(vs.arr);
		else
			cJSON_Delete(vs.arr);
	}
	if (!rc && vs.bad)
		rc = ehr_fail(&e, EHR_EINTEGRITY, "%zu of %zu records failed verification", vs.bad,
			      vs.good + vs.bad);
	return rc ? report(&e) : 0;
}

/* After r is erased on chain: deletes the file its dir: locator names when
 * that file is r's own and no other live record of the chart uses it
 * (records_erasable_file), else says why it stays. *deleted tells. */
static int erase_file(struct ctx *x, const registry_record *r, bool *deleted, ehr_err *e)
{
	enum records_file_verdict v;
	uint64_t other;
	int rc;

	*deleted = false;
	if ((rc = records_erasable_file(x->c, x->registry, r, &v, &other, e)))
		return ehr_wrap(e, "record %llu is erased on chain, but its file was not deleted: "
				"checking which records use it failed", (unsigned long long)r->id);
	if (v == RECORDS_FILE_NOT_ITS) {
		warn("record %llu is erased on chain; no file was deleted: its locator names a file not "
		     "named by its content hash (someone else's record, or none)", (unsigned long long)r->id);
		return 0;
	}
	if (v == RECORDS_FILE_SHARED) {
		warn("record %llu is erased on chain; its file was kept: record %llu (not erased) has the "
		     "same content hash and still uses it", (unsigned long long)r->id, (unsigned long long)other);
		return 0;
	}
	if ((rc = records_store_delete(r->locator, e)))
		return ehr_wrap(e, "record %llu is erased on chain, but", (unsigned long long)r->id);
	*deleted = true;
	return 0;
}

static int erase_check(const struct command_call *call)
{
	return one_id(call, "");
}

static int record_erase(const struct command_call *call)
{
	const struct args *a = call->opts;
	struct ctx *x = call->x;
	registry_record r = { 0 };
	chain_receipt rcpt = { 0 };
	eth_tx tx;
	uint8_t hash[32], *data = NULL;
	uint64_t id = a->id;
	int erased, rc;
	bool dir, deleted = false;
	char what[700];
	ehr_err e = { 0 };

	if ((rc = records_get(x->c, x->registry, id, &r, &erased, &e)))
		goto out;
	if (memcmp(r.patient, x->s.address, 20)) {
		rc = ehr_fail(&e, EHR_ECHAIN, "record %llu is not this account's: only its patient may erase it",
			      (unsigned long long)id);
		goto out;
	}
	if (erased) {
		rc = ehr_fail(&e, EHR_EFAIL, "record %llu is already erased", (unsigned long long)id);
		goto out;
	}
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	if ((rc = registry_call_erase(id, &data, &tx.data_len, &e)))
		goto out;
	tx.data = data;
	dir = !strncmp(r.locator, "dir:", 4);
	snprintf(what, sizeof(what), "Erase record %llu for good (%s)", (unsigned long long)id,
		 !dir ? "its ciphertext stays in the chain's calldata" :
		 records_locator_names_content(&r) ? "its ciphertext is deleted from the directory, "
						     "unless another of your records uses it" :
		 "its locator names a file that is not its own: no file is deleted");
	if ((rc = tx_submit(x->c, &x->s, &tx, what, &a->tx, hash, &rcpt, &e)))
		goto out;
	if (dir)
		rc = erase_file(x, &r, &deleted, &e);
	else
		warn("%s", chainstore_describe());
	if (!rc) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddBoolToObject(o, "ciphertext_deleted", deleted);
		print_tx_result(hash, &rcpt, o);
	}
out:
	free(data);
	chain_receipt_free(&rcpt);
	records_free(&r);
	return rc ? report(&e) : 0;
}

/* ---- export --fhir -------------------------------------------------------- */

struct export_state {
	const struct ctx *x;
	uint8_t *key;
	fhir_export *fx;
	char system[FHIR_RECORD_SYSTEM_MAX];  /* of the records' identifiers */
	uint8_t *deid_key;                    /* --deidentify: this export's pseudonym key */
	int this_year;
	size_t count, skipped, not_fhir;
	ehr_err *e;
};

/* A FHIR record de-identified (wallet/vault/fhir_deid.h) and added bare:
 * no DocumentReference, whose title, file name, date and record id would
 * identify it */
static int export_deidentified(struct export_state *xs, const char *json, size_t len, uint64_t id)
{
	char *clean = NULL;
	size_t n = 0;
	int rc;

	if ((rc = fhir_deidentify(json, len, xs->deid_key, xs->this_year, &clean, &n, xs->e)))
		return ehr_wrap(xs->e, "record %llu", (unsigned long long)id);
	rc = fhir_export_add_resource(xs->fx, clean, n, xs->e);
	sodium_memzero(clean, n);
	free(clean);
	return rc;
}

static int export_one(void *ctx, const registry_record *r, int erased)
{
	struct export_state *xs = ctx;
	envelope_meta meta;
	ehr_err *e = xs->e;
	int ct = -1, pt = -1, rc;
	char *json = NULL, id[24];
	fhir_attachment att;
	struct stat st;

	if (erased)
		return 0;
	envelope_meta_init(&meta);
	if (records_data_key(r, xs->x->s.address, xs->x->s.keys->enc_public,
			     xs->x->s.keys->enc_secret, xs->key, NULL)) {
		xs->skipped++;
		return 0;
	}
	if ((rc = records_fetch_verified(xs->x->c, xs->x->registry, r, &ct, e)) ||
	    (rc = records_tmpfile(&pt, e)) ||
	    (rc = envelope_open(ct, pt, xs->key, r->content_hash, NULL, &meta, e)) ||
	    (rc = fstat(pt, &st) ? ehr_fail(e, EHR_EFAIL, "cannot read record %llu back",
					    (unsigned long long)r->id) : 0))
		goto out;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)r->id);
	att = (fhir_attachment){ meta.media_type, meta.title, meta.type, meta.file_name,
				 meta.created, id, xs->system };
	if (xs->deid_key && !(meta.resource_type[0] && (uint64_t)st.st_size <= FHIR_JSON_MAX)) {
		xs->not_fhir++;           /* a file cannot be de-identified: left out */
		goto out;
	}
	if (meta.resource_type[0] && (uint64_t)st.st_size <= FHIR_JSON_MAX) {
		if (!(json = malloc((size_t)st.st_size + 1)) ||
		    pread(pt, json, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot read record %llu back", (unsigned long long)r->id);
			goto out;
		}
		rc = xs->deid_key ? export_deidentified(xs, json, (size_t)st.st_size, r->id)
				  : fhir_export_add_record(xs->fx, json, (size_t)st.st_size, &att, e);
	} else {
		rc = lseek(pt, 0, SEEK_SET) ? ehr_fail(e, EHR_EFAIL, "cannot rewind a temporary file")
					    : fhir_export_add_file(xs->fx, pt, &att, e);
	}
	if (!rc)
		xs->count++;
out:
	free(json);
	if (ct >= 0)
		close(ct);
	if (pt >= 0)
		close(pt);
	return rc;
}

static int export_check(const struct command_call *call)
{
	const struct args *a = call->opts;

	if (!a->fhir)
		return usage_error("record", "'record export' needs --fhir FILE");
	if (call->npos)
		return usage_error("record", "'record export' takes no arguments");
	if (!a->force && access(a->fhir, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", a->fhir);
	return 0;
}

static int record_export(const struct command_call *call)
{
	const struct args *a = call->opts;
	struct ctx *x = call->x;
	struct export_state xs;
	char tmp[4200];
	ehr_err e = { 0 };
	int rc, fd = -1;

	memset(&xs, 0, sizeof(xs));
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld", a->fhir, (long)getpid());
	if ((rc = signer_unlock(&x->s, &e)) || (rc = chain_check_id(x->c, &e)))
		goto out;
	xs.x = x;
	xs.e = &e;
	fhir_record_system(chain_chain_id(x->c), x->registry, xs.system);
	if (!(xs.key = sodium_malloc(32)) ||
	    (a->deidentify && !(xs.deid_key = sodium_malloc(FHIR_DEID_KEY_BYTES)))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if (a->deidentify) {
		/* a fresh key per export: pseudonyms agree within this file only */
		randombytes_buf(xs.deid_key, FHIR_DEID_KEY_BYTES);
		xs.this_year = fhir_deid_current_year();
	}
	/* written beside its name and renamed into place only whole */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
		rc = ehr_fail(&e, EHR_EFAIL, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((rc = fhir_export_begin(fd, &xs.fx, &e)))
		goto out;
	if ((rc = records_of_patient(x->c, x->registry, x->s.address, export_one, &xs, &e))) {
		fhir_export_free(xs.fx);
		goto out;
	}
	if ((rc = fhir_export_end(xs.fx, NULL, &e)))
		goto out;
	if (fsync(fd) || (a->force ? rename(tmp, a->fhir) : link(tmp, a->fhir))) {
		rc = ehr_fail(&e, EHR_EFAIL, "cannot write %s: %s", a->fhir, strerror(errno));
		goto out;
	}
	if (xs.not_fhir)
		warn("%zu record%s not FHIR, left out: only FHIR can be de-identified", xs.not_fhir,
		     xs.not_fhir == 1 ? " is" : "s are");
	note("%zu record%s written to %s as a %sFHIR R4 collection Bundle%s", xs.count,
	     xs.count == 1 ? "" : "s", a->fhir, a->deidentify ? "de-identified " : "",
	     xs.skipped ? " (some were not readable)" : "");
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	sodium_free(xs.key);
	sodium_free(xs.deid_key);
	return rc ? report(&e) : 0;
}

/* ---- the command ---------------------------------------------------------- */

static const struct subcommand record_subs[] = {
	{ "add", add_check, record_add },
	{ "list", no_operands, record_list },
	{ "get", get_check, record_get },
	{ "verify", verify_check, record_verify_ids },
	{ "erase", erase_check, record_erase },
	{ "export", export_check, record_export },
	{ NULL, NULL, NULL }
};

static int record_check(const struct command_call *call)
{
	struct args *a = call->opts;

	if (!(a->sub = subcommand_find(record_subs, call->pos[0])))
		return usage_error("record", "unknown subcommand '%s' (add, list, get, verify, erase, export)",
				   call->pos[0]);
	return subcommand_check(a->sub, call);
}

static void record_done(void *opts)
{
	struct args *a = opts;
	size_t i;

	for (i = 0; i < a->n; i++)
		ingest_free(&a->ins[i]);
	free(a->ins);
	free(a->title_buf);
}

static const struct args record_defaults = { .store = "chain", .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_record_args = {
	.opts = record_opts, .size = sizeof(record_defaults), .defaults = &record_defaults,
	.min_pos = 1, .max_pos = -1,
	.wrong_count = "give a subcommand: add, list, get, verify, erase or export",
	.check = record_check, .done = record_done,
};

int cmd_record(const struct command_call *call)
{
	return subcommand_run(((const struct args *)call->opts)->sub, call);
}
