/* ehr record: the patient's records. add seals files into envelopes, puts
 * the ciphertext in a store (the chain's calldata, or a directory) and
 * anchors them in the registry; list, get, verify, erase and export read
 * them back. Every fetch is checked against its anchor before anything is
 * decrypted, and plaintext reaches its name only whole. */
#include "commands/commands.h"
#include "cli/submit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/sha.h>
#include <sodium.h>

#include "wallet/chainstore.h"
#include "wallet/envelope.h"
#include "wallet/eth.h"
#include "wallet/fileio.h"
#include "wallet/grants.h"
#include "wallet/hex.h"
#include "wallet/records.h"

enum { O_TITLE = 1, O_TYPE, O_STORE, O_SPLIT, O_OUT, O_FORCE, O_ALL, O_FHIR, O_MEDIA };

const struct opt cmd_record_opts[] = {
	{ "title", 0, O_TITLE, "TITLE", "add: the record's title (default: the file name)" },
	{ "type", 0, O_TYPE, "TYPE", "add: the record's type (default: the FHIR resourceType); list: only this type" },
	{ "media-type", 0, O_MEDIA, "TYPE", "add: the media type (default: from the file name)" },
	{ "store", 0, O_STORE, "STORE", "add: chain (default: ciphertext in calldata) or dir:PATH" },
	{ "split-bundle", 0, O_SPLIT, NULL, "add: a FHIR Bundle becomes one record per entry" },
	{ "output", 'o', O_OUT, "FILE", "get: write to FILE ('-': standard output)" },
	{ "force", 'f', O_FORCE, NULL, "get: replace an existing file" },
	{ "all", 0, O_ALL, NULL, "list: erased records too; verify: every record" },
	{ "fhir", 0, O_FHIR, "FILE", "export: write a FHIR R4 collection Bundle to FILE" },
	TX_WAIT_OPTS,
	{ NULL, 0, 0, NULL, NULL }
};

struct args {
	const char *title, *type, *media, *store, *out, *fhir;
	bool split, force, all;
	struct tx_opts tx;
	int npos;
	char **pos;
};

/* What every subcommand needs: the registry, the node and this account. */
struct ctx {
	struct target t;
	uint8_t registry[20];
	chain *c;
	struct signer s;
};

static int ctx_open(struct ctx *x, ehr_err *e)
{
	int rc;

	memset(x, 0, sizeof(*x));
	if ((rc = target_resolve(&x->t, e)) || (rc = target_registry(&x->t, x->registry, e)) ||
	    (rc = signer_open(&x->s, e)))
		return rc;
	return target_connect(&x->t, &x->c, e);
}

static void ctx_close(struct ctx *x)
{
	signer_close(&x->s);
	chain_close(x->c);
}

static int parse_id(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*id = v;
	return 0;
}

static void print_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	puts(s);
	cJSON_free(s);
	cJSON_Delete(j);
}

/* ---- add ---------------------------------------------------------------- */

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
	uint8_t *key;               /* the data key (sodium memory), for --all grantees */
	uint8_t *env;               /* chain store: the envelope in memory */
	uint8_t *prefix;            /* the header and metadata message: the anchor's meta */
	size_t prefix_len;
	char locator[600];
	registry_chunk *chunks;
	size_t nchunks;
	uint64_t id;
};

static const char *media_type_of(const char *name, const char *resource_type)
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

#define JSON_MAX (64u << 20)

/* JSON text's FHIR resourceType ("" for other JSON); invalid JSON is
 * EHR_EUSAGE with the line and column where it broke. */
static int json_resource_type(const char *json, size_t len, char *rt, size_t cap, ehr_err *e)
{
	const char *end = NULL, *p;
	cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	const cJSON *t;
	unsigned line = 1, col = 1;

	rt[0] = '\0';
	if (!root) {
		const char *at = cJSON_GetErrorPtr();

		if (!at || at < json || at > json + len)
			at = json + len;
		for (p = json; p < at; p++, col++)
			if (*p == '\n') {
				line++;
				col = 0;
			}
		return ehr_fail(e, EHR_EUSAGE, "not valid JSON: it breaks at line %u, column %u", line, col);
	}
	t = cJSON_GetObjectItemCaseSensitive(root, "resourceType");
	if (cJSON_IsObject(root) && cJSON_IsString(t) && strlen(t->valuestring) < cap)
		snprintf(rt, cap, "%s", t->valuestring);
	cJSON_Delete(root);
	return 0;
}

/* Reads a file that claims or looks like JSON and tells its FHIR
 * resourceType; refuses invalid JSON in a .json file with where it broke. */
static int inspect(struct incoming *in, char **json, size_t *json_len, ehr_err *e)
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
		int rc = file_read_all(in->path, JSON_MAX, json, json_len, e);

		if (rc)
			return rc;
	}
	if (json_resource_type(*json, *json_len, in->meta.resource_type, sizeof(in->meta.resource_type), e)) {
		free(*json);
		*json = NULL;
		if (!ends_with(in->path, ".json"))
			return 0;  /* it only looked like JSON: an opaque file */
		return ehr_wrap(e, "%s", in->path);
	}
	return 0;
}

/* Splits a FHIR Bundle into one incoming record per entry's resource. */
static int split_bundle(const char *path, const char *json, size_t len,
			struct incoming **list, size_t *n, size_t *cap, ehr_err *e)
{
	cJSON *root = cJSON_ParseWithLength(json, len), *entry;
	const cJSON *entries;
	size_t k = 0;
	int rc = 0;

	entries = cJSON_GetObjectItemCaseSensitive(root, "entry");
	if (!cJSON_IsArray(entries) || !cJSON_GetArraySize(entries)) {
		cJSON_Delete(root);
		return ehr_fail(e, EHR_EUSAGE, "%s: the Bundle has no entries to split", path);
	}
	cJSON_ArrayForEach(entry, entries) {
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(entry, "resource");
		const cJSON *rt = cJSON_GetObjectItemCaseSensitive(res, "resourceType");
		struct incoming *in;

		k++;
		if (!cJSON_IsObject(res) || !cJSON_IsString(rt) || strlen(rt->valuestring) >= 64) {
			rc = ehr_fail(e, EHR_EUSAGE, "%s: entry %zu has no resource with a resourceType",
				      path, k);
			break;
		}
		if (*n == *cap) {
			struct incoming *grown = realloc(*list, (*cap * 2 + 8) * sizeof(**list));

			if (!grown) {
				rc = ehr_fail(e, EHR_EFAIL, "out of memory");
				break;
			}
			*list = grown;
			*cap = *cap * 2 + 8;
		}
		in = &(*list)[(*n)++];
		memset(in, 0, sizeof(*in));
		in->env_fd = -1;
		envelope_meta_init(&in->meta);
		in->buf = cJSON_PrintUnformatted(res);
		in->buf_len = in->buf ? strlen(in->buf) : 0;
		snprintf(in->meta.resource_type, sizeof(in->meta.resource_type), "%s", rt->valuestring);
		snprintf(in->meta.file_name, sizeof(in->meta.file_name), "%.200s#%zu", base_name(path), k);
		snprintf(in->meta.title, sizeof(in->meta.title), "%s (%s, entry %zu)",
			 rt->valuestring, base_name(path), k);
		if (!in->buf) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			break;
		}
	}
	cJSON_Delete(root);
	return rc;
}

/* Seals in into an unnamed temporary file, with its data key sealed to the
 * patient's encryption key. */
static int seal_one(struct incoming *in, const uint8_t patient_pk[32], ehr_err *e)
{
	uint8_t *key = in->key = envelope_key_new();
	int src = -1, rc;

	if (!key)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if ((rc = records_tmpfile(&in->env_fd, e)))
		goto out;
	if (in->path) {
		if ((src = open(in->path, O_RDONLY | O_CLOEXEC)) < 0) {
			rc = ehr_fail(e, EHR_EUSAGE, "cannot open %s: %s", in->path, strerror(errno));
			goto out;
		}
	} else {
		/* a Bundle entry: through a temp file so the seal streams as usual */
		if ((rc = records_tmpfile(&src, e)))
			goto out;
		if (write(src, in->buf, in->buf_len) != (ssize_t)in->buf_len || lseek(src, 0, SEEK_SET)) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot write a temporary file: %s", strerror(errno));
			goto out;
		}
		in->meta.size = in->buf_len;
	}
	if ((rc = envelope_seal(src, in->env_fd, &in->meta, key, in->hash, &in->env_size, e)) ||
	    (rc = envelope_key_seal(key, patient_pk, in->patient_key, e)))
		goto out;
	if (lseek(in->env_fd, 0, SEEK_SET)) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot rewind the envelope: %s", strerror(errno));
		goto out;
	}
	/* the anchor carries the header and metadata message, for listing */
	{
		uint8_t head[ENVELOPE_HEADER_BYTES];
		size_t span;

		if (pread(in->env_fd, head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
		    envelope_prefix_len(head, sizeof(head), &span, e) ||
		    !(in->prefix = malloc(span)) ||
		    pread(in->env_fd, in->prefix, span, 0) != (ssize_t)span) {
			rc = ehr_fail(e, EHR_EFAIL, "cannot read back the envelope's header");
			goto out;
		}
		in->prefix_len = span;
	}
out:
	if (src >= 0)
		close(src);
	return rc;
}

static void anchor_of(const struct incoming *in, registry_record_in *a)
{
	memset(a, 0, sizeof(*a));
	memcpy(a->content_hash, in->hash, 32);
	a->size = in->env_size;
	a->locator = in->locator;
	a->patient_key = in->patient_key;
	a->patient_key_len = ENVELOPE_SEALED_KEY_BYTES;
	a->meta = in->prefix;
	a->meta_len = in->prefix_len;
}

/* Reads the sealed envelope into memory and cuts it into chain chunks. */
static int chunk_one(struct incoming *in, ehr_err *e)
{
	if (in->env_size > CHAINSTORE_MAX_RECORD)
		return ehr_fail(e, EHR_EUSAGE, "%s is %llu bytes sealed: the chain store takes up to "
				"%llu MiB (use --store dir:PATH)", in->path ? in->path : in->meta.file_name,
				(unsigned long long)in->env_size, CHAINSTORE_MAX_RECORD >> 20);
	if (!(in->env = malloc(in->env_size ? in->env_size : 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (pread(in->env_fd, in->env, in->env_size, 0) != (ssize_t)in->env_size)
		return ehr_fail(e, EHR_EFAIL, "cannot read back the envelope: %s", strerror(errno));
	snprintf(in->locator, sizeof(in->locator), "chain");
	return chainstore_split(in->env, in->env_size, in->hash, 0, &in->chunks, &in->nchunks, e);
}

/* Anchors in dir: stores: anchorRecords calls of at most this many. */
#define ANCHORS_PER_TX 100

/* The transactions that store (chain) and anchor every incoming record. */
static int plan_txs(const struct ctx *x, struct incoming *ins, size_t n, bool on_chain,
		    chainstore_plan *plan, ehr_err *e)
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
		rc = chainstore_plan_batch(x->s.address, 0, recs, n, NULL, plan, e);
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
			for (i = 0; i < m; i++)
				as[i] = recs[first + i].anchor;
			rc = registry_call_anchor(x->s.address, 0, NULL, 0, as, m, &plan->txs[t].data,
						  &plan->txs[t].len, e);
			plan->ntxs++;
			free(as);
		}
	}
	free(recs);
	return rc;
}

/* Record ids from the receipts: each RecordAnchored log names its content
 * hash; equal files get their ids in order. */
static int ids_from_receipts(const struct ctx *x, const chain_receipt *r, size_t ntx,
			     struct incoming *ins, size_t n, ehr_err *e)
{
	size_t t, l, i;

	for (t = 0; t < ntx; t++)
		for (l = 0; l < r[t].n_logs; l++) {
			registry_record rec;

			if (registry_event_of(&r[t].logs[l], x->registry) != REG_EV_RECORD_ANCHORED ||
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

/* An active grant over all records gets the new records too: their data
 * keys sealed to the grantee, in one addGrantKeys per grant. (A bearer
 * grant's key is only in its QR code: it keeps the records it was made
 * with.) */
struct all_grants {
	const struct ctx *x;
	struct incoming *ins;
	size_t n;
	eth_tx *txs;
	uint8_t **datas;
	size_t ntx;
	ehr_err *e;
};

static int all_grant_cb(void *ctx, const grant_view *gv)
{
	struct all_grants *ag = ctx;
	registry_account acct;
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = NULL;
	const uint8_t **keys = NULL;
	uint64_t *ids = NULL;
	eth_tx *txs;
	uint8_t **datas;
	size_t i;
	int rc;

	if (!gv->st.active || !(gv->st.flags & REG_GRANT_ALL) || (gv->st.flags & REG_GRANT_BEARER))
		return 0;
	if ((rc = registry_account_of(ag->x->c, ag->x->registry, gv->st.grantee, &acct, ag->e)))
		return rc;
	if (!acct.registered)
		return 0;
	sealed = calloc(ag->n, sizeof(*sealed));
	keys = calloc(ag->n, sizeof(*keys));
	ids = calloc(ag->n, sizeof(*ids));
	txs = realloc(ag->txs, (ag->ntx + 1) * sizeof(*txs));
	if (txs)
		ag->txs = txs;
	datas = realloc(ag->datas, (ag->ntx + 1) * sizeof(*datas));
	if (datas)
		ag->datas = datas;
	if (!sealed || !keys || !ids || !txs || !datas) {
		rc = ehr_fail(ag->e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < ag->n && !rc; i++) {
		rc = envelope_key_seal(ag->ins[i].key, acct.enc_key, sealed[i], ag->e);
		keys[i] = sealed[i];
		ids[i] = ag->ins[i].id;
	}
	memset(&ag->txs[ag->ntx], 0, sizeof(eth_tx));
	ag->datas[ag->ntx] = NULL;
	if (!rc)
		rc = registry_call_add_grant_keys(gv->id, ids, keys, ENVELOPE_SEALED_KEY_BYTES, ag->n,
						  &ag->datas[ag->ntx], &ag->txs[ag->ntx].data_len, ag->e);
	if (!rc) {
		ag->txs[ag->ntx].has_to = 1;
		memcpy(ag->txs[ag->ntx].to, ag->x->registry, 20);
		ag->txs[ag->ntx].data = ag->datas[ag->ntx];
		ag->ntx++;
	}
out:
	free(sealed);
	free(keys);
	free(ids);
	return rc;
}

static int seal_to_all_grantees(struct ctx *x, struct incoming *ins, size_t n,
				const struct tx_opts *to, size_t *ngrants, ehr_err *e)
{
	struct all_grants ag = { x, ins, n, NULL, NULL, 0, e };
	uint8_t (*hashes)[32] = NULL;
	chain_receipt *r = NULL;
	size_t i;
	int rc;

	*ngrants = 0;
	if ((rc = grants_of_patient(x->c, x->registry, x->s.address, all_grant_cb, &ag, e)) || !ag.ntx)
		goto out;
	hashes = calloc(ag.ntx, sizeof(*hashes));
	r = calloc(ag.ntx, sizeof(*r));
	if (!hashes || !r) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	g.yes = true;  /* the user agreed to add the records; this completes it */
	rc = tx_submit_many(x->c, &x->s, ag.txs, ag.ntx, "Share the new records with every --all grantee",
			    to, hashes, r, e);
	for (i = 0; i < ag.ntx; i++)
		chain_receipt_free(&r[i]);
	if (!rc)
		*ngrants = ag.ntx;
out:
	for (i = 0; i < ag.ntx; i++)
		free(ag.datas[i]);
	free(ag.datas);
	free(ag.txs);
	free(hashes);
	free(r);
	return rc;
}

static void incoming_free(struct incoming *in)
{
	envelope_key_free(in->key);
	if (in->env_fd >= 0)
		close(in->env_fd);
	free(in->buf);
	free(in->env);
	free(in->prefix);
	free(in->chunks);
}

static int record_add(struct args *a)
{
	struct ctx x;
	struct incoming *ins = NULL;
	const keystore_account *acct;
	chainstore_plan plan = { 0 };
	chain_receipt *r = NULL;
	uint8_t (*hashes)[32] = NULL;
	eth_tx *txs = NULL;
	size_t n = 0, cap = 0, i;
	bool on_chain;
	char what[256];
	ehr_err e = { 0 };
	int rc, k;

	if (!a->npos)
		return usage_error("record", "'record add' needs at least one FILE");
	if (a->title && a->npos > 1)
		return usage_error("record", "--title names one record: give one FILE with it");
	on_chain = !strcmp(a->store, "chain");
	if (!on_chain && strncmp(a->store, "dir:", 4))
		return usage_error("record", "--store is chain or dir:PATH, not '%s'", a->store);
	if (!on_chain && (rc = records_store_check(a->store, &e)))
		return report(&e);

	/* read and check every file before anything is sealed or sent */
	for (k = 0; k < a->npos; k++) {
		char *json = NULL;
		size_t json_len = 0;
		struct stat st;

		if (stat(a->pos[k], &st) || !S_ISREG(st.st_mode)) {
			rc = fail(EHR_EUSAGE, "%s is not a readable file", a->pos[k]);
			goto out;
		}
		if (n == cap) {
			struct incoming *grown = realloc(ins, (cap * 2 + 8) * sizeof(*ins));

			if (!grown) {
				rc = fail(EHR_EFAIL, "out of memory");
				goto out;
			}
			ins = grown;
			cap = cap * 2 + 8;
		}
		memset(&ins[n], 0, sizeof(ins[n]));
		ins[n].env_fd = -1;
		ins[n].path = a->pos[k];
		envelope_meta_init(&ins[n].meta);
		if ((rc = inspect(&ins[n], &json, &json_len, &e))) {
			rc = report(&e);
			goto out;
		}
		if (a->split && json && !strcmp(ins[n].meta.resource_type, "Bundle")) {
			rc = split_bundle(a->pos[k], json, json_len, &ins, &n, &cap, &e);
			free(json);
			if (rc) {
				rc = report(&e);
				goto out;
			}
			continue;
		}
		free(json);
		snprintf(ins[n].meta.file_name, sizeof(ins[n].meta.file_name), "%s", base_name(a->pos[k]));
		snprintf(ins[n].meta.title, sizeof(ins[n].meta.title), "%s", a->title ? a->title : base_name(a->pos[k]));
		n++;
	}
	for (i = 0; i < n; i++) {
		struct incoming *in = &ins[i];

		if (a->type)
			snprintf(in->meta.type, sizeof(in->meta.type), "%s", a->type);
		else
			snprintf(in->meta.type, sizeof(in->meta.type), "%s",
				 in->meta.resource_type[0] ? in->meta.resource_type : "document");
		snprintf(in->meta.media_type, sizeof(in->meta.media_type), "%s",
			 a->media ? a->media : media_type_of(in->meta.file_name, in->meta.resource_type));
	}

	if ((rc = ctx_open(&x, &e)))
		goto fail;
	if (!(acct = keystore_account_by_index(x.s.ks, x.s.index))) {
		rc = ehr_fail(&e, EHR_EUSAGE, "account %u is not in the wallet's list (ehr accounts --add)",
			      x.s.index);
		goto fail;
	}
	for (i = 0; i < n && !rc; i++) {
		if ((rc = seal_one(&ins[i], acct->encryption_key, &e)))
			break;
		if (on_chain)
			rc = chunk_one(&ins[i], &e);
		else
			rc = records_store_put(a->store, ins[i].env_fd, ins[i].hash, ins[i].env_size,
					       ins[i].locator, sizeof(ins[i].locator), &e);
	}
	if (rc || (rc = plan_txs(&x, ins, n, on_chain, &plan, &e)))
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
		memcpy(txs[i].to, x.registry, 20);
		txs[i].data = plan.txs[i].data;
		txs[i].data_len = plan.txs[i].len;
	}
	snprintf(what, sizeof(what), "Add %zu record%s (%s)", n, n == 1 ? "" : "s",
		 on_chain ? "ciphertext on chain" : a->store);
	if ((rc = tx_submit_many(x.c, &x.s, txs, plan.ntxs, what, &a->tx, hashes, r, &e)) ||
	    (rc = ids_from_receipts(&x, r, plan.ntxs, ins, n, &e)))
		goto fail;
	{
		size_t ngrants;

		if ((rc = seal_to_all_grantees(&x, ins, n, &a->tx, &ngrants, &e))) {
			ehr_wrap(&e, "the records are added, but sharing them with the --all grantees failed");
			goto fail;
		}
		if (ngrants)
			note("shared with %zu active --all grant%s", ngrants, ngrants == 1 ? "" : "s");
	}

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
		print_json(arr);
	} else if (!g.quiet) {
		for (i = 0; i < n; i++)
			printf("record %llu  %-14s %s\n", (unsigned long long)ins[i].id, ins[i].meta.type,
			       ins[i].meta.title);
	}
fail:
	if (rc)
		rc = report(&e);
	ctx_close(&x);
out:
	for (i = 0; r && i < plan.ntxs; i++)
		chain_receipt_free(&r[i]);
	free(r);
	free(hashes);
	free(txs);
	chainstore_plan_free(&plan);
	for (i = 0; i < n; i++)
		incoming_free(&ins[i]);
	free(ins);
	return rc;
}

/* ---- list ---------------------------------------------------------------- */

struct list_state {
	struct ctx *x;
	const struct args *a;
	uint8_t *key;
	cJSON *arr;
	size_t shown;
};

static int list_one(void *ctx, const registry_record *r, int erased)
{
	struct list_state *ls = ctx;
	envelope_meta meta;
	ehr_err e = { 0 };
	bool readable;

	if (erased && !ls->a->all)
		return 0;
	envelope_meta_init(&meta);
	readable = !records_data_key(r, ls->x->s.address, ls->x->s.keys, ls->key, &e) &&
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
		cJSON_AddNumberToObject(o, "size", (double)r->size);
		cJSON_AddStringToObject(o, "locator", r->locator);
		cJSON_AddStringToObject(o, "author", author);
		cJSON_AddStringToObject(o, "content_hash", h);
		cJSON_AddNumberToObject(o, "block", (double)r->block);
		cJSON_AddBoolToObject(o, "erased", erased);
		cJSON_AddBoolToObject(o, "readable", readable);
		cJSON_AddItemToArray(ls->arr, o);
	} else {
		printf("%-6llu %-20.20s %-14.14s %10llu  %-8.8s %s%s\n", (unsigned long long)r->id,
		       meta.created[0] ? meta.created : "-", readable ? meta.type : "?",
		       (unsigned long long)r->size, r->locator,
		       readable ? meta.title : "(not readable)", erased ? " (erased)" : "");
	}
	return 0;
}

static int record_list(struct args *a)
{
	struct ctx x;
	struct list_state ls = { &x, a, NULL, NULL, 0 };
	ehr_err e = { 0 };
	int rc;

	if (a->npos)
		return usage_error("record", "'record list' takes no arguments");
	if ((rc = ctx_open(&x, &e)) || (rc = signer_unlock(&x.s, &e)))
		goto out;
	if (!(ls.key = sodium_malloc(32))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if (g.json)
		ls.arr = cJSON_CreateArray();
	else
		printf("%-6s %-20s %-14s %10s  %-8s %s\n", "ID", "CREATED", "TYPE", "BYTES", "STORE", "TITLE");
	rc = records_of_patient(x.c, x.registry, x.s.address, list_one, &ls, &e);
	if (!rc && ls.arr)
		print_json(ls.arr);
	else
		cJSON_Delete(ls.arr);
	if (!rc && !ls.shown && !g.json)
		note("no records (add one with 'ehr record add FILE')");
out:
	sodium_free(ls.key);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

/* ---- get, verify, erase --------------------------------------------------- */

static int record_get(struct args *a)
{
	struct ctx x;
	registry_record r = { 0 };
	envelope_meta meta;
	uint8_t *key = NULL;
	uint64_t id;
	int erased, fd = -1, rc;
	char name[300];
	const char *out = a->out;
	ehr_err e = { 0 };

	if (a->npos != 1 || parse_id(a->pos[0], &id))
		return usage_error("record", "'record get' takes one record id (a number from 1)");
	if (out && strcmp(out, "-") && !a->force && access(out, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", out);
	if ((rc = ctx_open(&x, &e)) || (rc = records_get(x.c, x.registry, id, &r, &erased, &e)))
		goto out;
	if (erased) {
		rc = ehr_fail(&e, EHR_EFAIL, "record %llu is erased", (unsigned long long)id);
		goto out;
	}
	if ((rc = signer_unlock(&x.s, &e)))
		goto out;
	if (!(key = sodium_malloc(32))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if ((rc = records_data_key(&r, x.s.address, x.s.keys, key, &e)) ||
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
	if ((rc = records_fetch_verified(x.c, x.registry, &r, &fd, &e)))
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
			print_json(o);
		} else {
			note("record %llu (%s) written to %s", (unsigned long long)id, meta.title, out);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	sodium_free(key);
	records_free(&r);
	ctx_close(&x);
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

static int record_verify(struct args *a)
{
	struct ctx x;
	struct verify_state vs = { &x, 0, 0, 0, NULL };
	ehr_err e = { 0 };
	int k, rc = 0;
	uint64_t id;

	if (a->all == (a->npos > 0))
		return usage_error("record", "'record verify' takes record ids or --all");
	for (k = 0; k < a->npos; k++)
		if (parse_id(a->pos[k], &id))
			return usage_error("record", "'%s' is not a record id", a->pos[k]);
	if ((rc = ctx_open(&x, &e)))
		goto out;
	if (g.json)
		vs.arr = cJSON_CreateArray();
	if (a->all) {
		rc = records_of_patient(x.c, x.registry, x.s.address, verify_cb, &vs, &e);
	} else {
		for (k = 0; k < a->npos && !rc; k++) {
			registry_record r;
			int erased;

			parse_id(a->pos[k], &id);
			if ((rc = records_get(x.c, x.registry, id, &r, &erased, &e)))
				break;
			rc = verify_one(&vs, &r, erased);
			records_free(&r);
		}
	}
	if (vs.arr) {
		if (!rc)
			print_json(vs.arr);
		else
			cJSON_Delete(vs.arr);
	}
	if (!rc && vs.bad)
		rc = ehr_fail(&e, EHR_EINTEGRITY, "%zu of %zu records failed verification", vs.bad,
			      vs.good + vs.bad);
out:
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

static int record_erase(struct args *a)
{
	struct ctx x;
	registry_record r = { 0 };
	chain_receipt rcpt = { 0 };
	eth_tx tx;
	uint8_t hash[32], *data = NULL;
	uint64_t id;
	int erased, rc;
	char what[700];
	ehr_err e = { 0 };

	if (a->npos != 1 || parse_id(a->pos[0], &id))
		return usage_error("record", "'record erase' takes one record id");
	if ((rc = ctx_open(&x, &e)) || (rc = records_get(x.c, x.registry, id, &r, &erased, &e)))
		goto out;
	if (memcmp(r.patient, x.s.address, 20)) {
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
	memcpy(tx.to, x.registry, 20);
	if ((rc = registry_call_erase(id, &data, &tx.data_len, &e)))
		goto out;
	tx.data = data;
	snprintf(what, sizeof(what), "Erase record %llu for good (%s)", (unsigned long long)id,
		 strncmp(r.locator, "dir:", 4) ? "its ciphertext stays in the chain's calldata"
					       : "its ciphertext is deleted from the directory");
	if ((rc = tx_submit(x.c, &x.s, &tx, what, &a->tx, hash, &rcpt, &e)))
		goto out;
	if (!strncmp(r.locator, "dir:", 4)) {
		if ((rc = records_store_delete(r.locator, &e)))
			ehr_wrap(&e, "record %llu is erased on chain, but", (unsigned long long)id);
	} else {
		warn("%s", chainstore_describe());
	}
	if (!rc) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "id", (double)id);
		cJSON_AddBoolToObject(o, "ciphertext_deleted", !strncmp(r.locator, "dir:", 4));
		print_tx_result(hash, &rcpt, o);
	}
out:
	free(data);
	chain_receipt_free(&rcpt);
	records_free(&r);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

/* ---- export --fhir -------------------------------------------------------- */

#define EXPORT_MAX (64u << 20)

struct export_state {
	struct ctx *x;
	uint8_t *key;
	cJSON *entries;
	size_t count, skipped;
	int rc;
	ehr_err *e;
};

static void uuid_urn(char out[46])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

static void add_entry(cJSON *entries, const char *url, cJSON *resource)
{
	cJSON *en = cJSON_CreateObject();

	cJSON_AddStringToObject(en, "fullUrl", url);
	cJSON_AddItemToObject(en, "resource", resource);
	cJSON_AddItemToArray(entries, en);
}

/* A non-FHIR file: a Binary with the bytes and a DocumentReference that
 * describes it (FHIR R4 wants the attachment's hash as base64 SHA-1). */
static void add_document(cJSON *entries, const registry_record *r, const envelope_meta *m,
			 const uint8_t *data, size_t len)
{
	cJSON *bin = cJSON_CreateObject(), *doc = cJSON_CreateObject(), *content, *att, *type;
	char burl[46], durl[46], *b64;
	uint8_t sha1[20];
	char sha1b64[32], id[32];
	size_t b64len = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);

	uuid_urn(burl);
	uuid_urn(durl);
	snprintf(id, sizeof(id), "ehr-record-%llu", (unsigned long long)r->id);
	cJSON_AddStringToObject(bin, "resourceType", "Binary");
	cJSON_AddStringToObject(bin, "contentType", m->media_type[0] ? m->media_type : "application/octet-stream");
	if ((b64 = malloc(b64len))) {
		sodium_bin2base64(b64, b64len, data, len, sodium_base64_VARIANT_ORIGINAL);
		cJSON_AddStringToObject(bin, "data", b64);
		free(b64);
	}
	SHA1(data, len, sha1);
	sodium_bin2base64(sha1b64, sizeof(sha1b64), sha1, sizeof(sha1), sodium_base64_VARIANT_ORIGINAL);
	cJSON_AddStringToObject(doc, "resourceType", "DocumentReference");
	cJSON_AddStringToObject(doc, "id", id);
	cJSON_AddStringToObject(doc, "status", "current");
	type = cJSON_AddObjectToObject(doc, "type");
	cJSON_AddStringToObject(type, "text", m->type[0] ? m->type : "document");
	if (m->created[0])
		cJSON_AddStringToObject(doc, "date", m->created);
	cJSON_AddStringToObject(doc, "description", m->title);
	content = cJSON_AddArrayToObject(doc, "content");
	att = cJSON_CreateObject();
	cJSON_AddStringToObject(att, "contentType", m->media_type[0] ? m->media_type : "application/octet-stream");
	cJSON_AddStringToObject(att, "url", burl);
	cJSON_AddNumberToObject(att, "size", (double)len);
	cJSON_AddStringToObject(att, "hash", sha1b64);
	cJSON_AddStringToObject(att, "title", m->file_name[0] ? m->file_name : m->title);
	{
		cJSON *c1 = cJSON_CreateObject();

		cJSON_AddItemToObject(c1, "attachment", att);
		cJSON_AddItemToArray(content, c1);
	}
	add_entry(entries, durl, doc);
	add_entry(entries, burl, bin);
}

static int export_one(void *ctx, const registry_record *r, int erased)
{
	struct export_state *xs = ctx;
	envelope_meta meta;
	ehr_err e = { 0 };
	int ct = -1, pt = -1, rc;
	uint8_t *data = NULL;
	char url[46];
	struct stat st;

	if (erased)
		return 0;
	envelope_meta_init(&meta);
	if (records_data_key(r, xs->x->s.address, xs->x->s.keys, xs->key, &e)) {
		xs->skipped++;
		return 0;
	}
	if ((rc = records_fetch_verified(xs->x->c, xs->x->registry, r, &ct, &e)) ||
	    (rc = records_tmpfile(&pt, &e)) ||
	    (rc = envelope_open(ct, pt, xs->key, r->content_hash, NULL, &meta, &e)))
		goto out;
	if (fstat(pt, &st) || (uint64_t)st.st_size > EXPORT_MAX) {
		rc = ehr_fail(&e, EHR_EUSAGE, "record %llu is larger than %u MiB: export it with 'ehr record get'",
			      (unsigned long long)r->id, EXPORT_MAX >> 20);
		goto out;
	}
	if (!(data = malloc((size_t)st.st_size + 1)) ||
	    pread(pt, data, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
		rc = ehr_fail(&e, EHR_EFAIL, "cannot read record %llu back", (unsigned long long)r->id);
		goto out;
	}
	data[st.st_size] = 0;
	uuid_urn(url);
	if (meta.resource_type[0]) {
		cJSON *res = cJSON_ParseWithLength((const char *)data, (size_t)st.st_size);

		if (!cJSON_IsObject(res)) {
			cJSON_Delete(res);
			add_document(xs->entries, r, &meta, data, (size_t)st.st_size);
		} else {
			add_entry(xs->entries, url, res);
		}
	} else {
		add_document(xs->entries, r, &meta, data, (size_t)st.st_size);
	}
	xs->count++;
out:
	free(data);
	if (ct >= 0)
		close(ct);
	if (pt >= 0)
		close(pt);
	if (rc) {
		*xs->e = e;
		return rc;
	}
	return 0;
}

static int record_export(struct args *a)
{
	struct ctx x;
	struct export_state xs;
	cJSON *bundle = NULL;
	char *text = NULL, stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	ehr_err e = { 0 };
	int rc;

	if (!a->fhir)
		return usage_error("record", "'record export' needs --fhir FILE");
	if (a->npos)
		return usage_error("record", "'record export' takes no arguments");
	if (!a->force && access(a->fhir, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", a->fhir);
	memset(&xs, 0, sizeof(xs));
	if ((rc = ctx_open(&x, &e)) || (rc = signer_unlock(&x.s, &e)))
		goto out;
	xs.x = &x;
	xs.e = &e;
	if (!(xs.key = sodium_malloc(32))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	bundle = cJSON_CreateObject();
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(bundle, "resourceType", "Bundle");
	cJSON_AddStringToObject(bundle, "type", "collection");
	cJSON_AddStringToObject(bundle, "timestamp", stamp);
	xs.entries = cJSON_AddArrayToObject(bundle, "entry");
	if ((rc = records_of_patient(x.c, x.registry, x.s.address, export_one, &xs, &e)))
		goto out;
	if (!(text = cJSON_Print(bundle))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = file_write_atomic(a->fhir, text, strlen(text), 0600, a->force, &e)))
		goto out;
	note("%zu record%s written to %s as a FHIR R4 collection Bundle%s", xs.count,
	     xs.count == 1 ? "" : "s", a->fhir, xs.skipped ? " (some were not readable)" : "");
out:
	cJSON_free(text);
	cJSON_Delete(bundle);
	sodium_free(xs.key);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

/* ---- the command ---------------------------------------------------------- */

int cmd_record(int argc, char **argv)
{
	struct opt_parser p;
	struct args a;
	const char *val, *sub;
	int key, r;

	memset(&a, 0, sizeof(a));
	a.store = "chain";
	tx_opts_init(&a.tx);
	opt_init(&p, "record", argc, argv, cmd_record_opts);
	while ((key = opt_next(&p, &val)) > 0) {
		switch (key) {
		case O_TITLE: a.title = val; break;
		case O_TYPE: a.type = val; break;
		case O_MEDIA: a.media = val; break;
		case O_STORE: a.store = val; break;
		case O_SPLIT: a.split = true; break;
		case O_OUT: a.out = val; break;
		case O_FORCE: a.force = true; break;
		case O_ALL: a.all = true; break;
		case O_FHIR: a.fhir = val; break;
		default:
			if ((r = tx_opts_take(&a.tx, &p, key, val)) < 0)
				return EHR_EUSAGE;
		}
	}
	if (key < 0)
		return EHR_EUSAGE;
	if (!p.npos)
		return usage_error("record", "give a subcommand: add, list, get, verify, erase or export");
	sub = p.pos[0];
	a.npos = p.npos - 1;
	a.pos = p.pos + 1;
	if (!strcmp(sub, "add"))
		return record_add(&a);
	if (!strcmp(sub, "list"))
		return record_list(&a);
	if (!strcmp(sub, "get"))
		return record_get(&a);
	if (!strcmp(sub, "verify"))
		return record_verify(&a);
	if (!strcmp(sub, "erase"))
		return record_erase(&a);
	if (!strcmp(sub, "export"))
		return record_export(&a);
	return usage_error("record", "unknown subcommand '%s' (add, list, get, verify, erase, export)", sub);
}
