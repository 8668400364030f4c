/* ehr access: a clinician opens what a patient shared. The grant is
 * checked on chain, the access is logged (the registry refuses an expired
 * or revoked grant, so nothing is written then), and every record is
 * fetched, checked against its anchor, decrypted and written 0600. */
#include "commands/commands.h"
#include "cli/session.h"
#include "cli/submit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

struct access_options {
	const char *dir, *passfile;
	bool force;
	struct tx_opts tx;
};

const struct opt cmd_access_opts[] = {
	{ "output", 'o', "DIR", OV_DIR, "write the records into DIR (default: the current directory)",
	  OPT_STR(struct access_options, dir) },
	{ "passcode-file", 0, "FILE", OV_FILE, "the passcode of a passcode grant, from FILE",
	  OPT_STR(struct access_options, passfile) },
	{ "force", 'f', NULL, OV_NONE, "replace existing files",
	  OPT_FLAG(struct access_options, force) },
	TX_WAIT_OPTS(struct access_options, tx),
	{ 0 }
};

#define URI_LINE_MAX 1024

/* The grant to open: an id, a URI, or "-" for a URI on standard input (a
 * QR scanner piping in). key32 receives a bearer key. */
static int read_grant(const char *arg, grant_uri *u, uint8_t *key32, bool *is_uri, ehr_err *e)
{
	char *line = NULL;
	size_t len;
	int rc;

	memset(u, 0, sizeof(*u));
	*is_uri = true;
	if (!strcmp(arg, "-")) {
		if ((rc = fd_read_secret(STDIN_FILENO, URI_LINE_MAX, &line, &len, e)))
			return rc;
		rc = grant_uri_parse(line, u, key32, e);
		sodium_free(line);
		return rc;
	}
	if (!opt_id(arg, &u->grant_id)) {
		*is_uri = false;
		return 0;
	}
	return grant_uri_parse(arg, u, key32, e);
}

struct opened {
	uint64_t id;
	char file[4200];
	envelope_meta meta;
};

/* One opening of a grant: where it is, the keys that open it, and the
 * records it names that are still readable. */
struct opening {
	struct target t;
	struct signer s;
	chain *c;
	uint8_t registry[20];
	grant_uri u;
	bool is_uri;
	grant_view gv;
	/* secure memory: the URI's key, the bearer's secret, secp256k1 and
	 * X25519 keys, a record's data key */
	uint8_t *key32, *secret, *bpriv, *xsk, *dkey;
	uint8_t xpk[32];
	uint64_t *ids;              /* the readable records */
	size_t n;
	struct opened *done;        /* what was written, one per id */
};

/* The grant named by arg, on the node of its chain: refused when it is
 * revoked or expired. */
static int access_find(struct opening *x, const char *arg, ehr_err *e)
{
	uint64_t chain_id;
	int rc;

	if ((rc = read_grant(arg, &x->u, x->key32, &x->is_uri, e)) || (rc = target_resolve(&x->t, e)))
		return rc;
	if (x->is_uri)
		memcpy(x->registry, x->u.registry, 20);
	else if ((rc = target_registry(&x->t, x->registry, e)))
		return rc;
	if ((rc = signer_open(&x->s, e)) || (rc = target_connect(&x->t, &x->c, e)))
		return rc;
	if (x->is_uri && (rc = chain_check_id(x->c, e)))
		return rc;
	if (x->is_uri && x->u.chain_id != (chain_id = chain_chain_id(x->c)))
		return ehr_fail(e, EHR_ECHAIN, "the grant is on chain %llu, the node is chain %llu (use --network)",
				(unsigned long long)x->u.chain_id, (unsigned long long)chain_id);
	if ((rc = grants_get(x->c, x->registry, x->u.grant_id, &x->gv, e)))
		return rc;
	if (x->gv.st.flags & REG_GRANT_REVOKED)
		return ehr_fail(e, EHR_ECHAIN, "grant %llu was revoked", (unsigned long long)x->u.grant_id);
	if (!x->gv.st.active) {
		char when[40];

		time_format(x->gv.st.expiry, when, sizeof(when));
		return ehr_fail(e, EHR_ECHAIN, "grant %llu expired at %s", (unsigned long long)x->u.grant_id,
				when);
	}
	return 0;
}

/* The bearer's keys from the URI's key (stretched with the passcode when
 * the grant has one), which must be the grant's grantee. */
static int bearer_keys(struct opening *x, const char *passfile, ehr_err *e)
{
	uint8_t bearer[20];
	char *passcode = NULL;
	size_t passlen;
	int rc;

	if (!x->u.has_key)
		return ehr_fail(e, EHR_EAUTH, "grant %llu is a bearer grant: open it with the URI of its QR code",
				(unsigned long long)x->u.grant_id);
	if (x->u.needs_passcode) {
		rc = passfile ? passphrase_from_file(passfile, &passcode, &passlen, e)
			      : prompt_secret("passcode", &passcode, &passlen, e);
		if (!rc)
			rc = grant_secret_derive(x->key32, passcode, x->secret, e);
		if (passcode)
			sodium_free(passcode);
		if (rc)
			return rc;
	} else {
		memcpy(x->secret, x->key32, 32);
	}
	if ((rc = grant_bearer_keys(x->secret, x->bpriv, x->xsk, x->xpk, e)) ||
	    (rc = eth_address_from_priv(x->bpriv, bearer, e)))
		return rc;
	if (memcmp(bearer, x->gv.st.grantee, 20))
		return ehr_fail(e, EHR_EAUTH, x->u.needs_passcode ? "wrong passcode for grant %llu"
				: "the key in the URI does not belong to grant %llu",
				(unsigned long long)x->u.grant_id);
	return 0;
}

/* The X25519 pair that opens the grant's keys: the bearer's, or this
 * account's when the grant is to it. */
static int access_keys(struct opening *x, const char *passfile, ehr_err *e)
{
	int rc;

	if (x->gv.st.flags & REG_GRANT_BEARER)
		return bearer_keys(x, passfile, e);
	if (memcmp(x->gv.st.grantee, x->s.address, 20)) {
		char who[43];

		eip55_format(x->gv.st.grantee, who);
		return ehr_fail(e, EHR_ECHAIN, "grant %llu is for %s, not for this account",
				(unsigned long long)x->u.grant_id, who);
	}
	if ((rc = signer_unlock(&x->s, e)))
		return rc;
	memcpy(x->xsk, x->s.keys->enc_secret, 32);
	memcpy(x->xpk, x->s.keys->enc_public, 32);
	return 0;
}

/* The records still readable: erased ones are refused by the registry. */
static int access_readable(struct opening *x, ehr_err *e)
{
	const grant_view *gv = &x->gv;
	size_t i;
	int rc;

	if (!(x->ids = calloc(gv->n ? gv->n : 1, sizeof(*x->ids))) ||
	    !(x->done = calloc(gv->n ? gv->n : 1, sizeof(*x->done))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < gv->n; i++) {
		registry_record_state st;

		if ((rc = registry_record_of(x->c, x->registry, gv->record_ids[i], &st, e)))
			return rc;
		if (!st.exists || st.erased)
			continue;
		/* anyone can issue a grant, with any bytes for keys: one whose
		 * keys do not open is refused before the access is logged */
		if (envelope_key_open(gv->sealed[i], x->xpk, x->xsk, x->dkey, e))
			return ehr_fail(e, EHR_EINTEGRITY, "record %llu: the key in the grant does not open",
					(unsigned long long)gv->record_ids[i]);
		x->ids[x->n++] = gv->record_ids[i];
	}
	if (!x->n)
		return ehr_fail(e, EHR_EFAIL, "grant %llu names no readable records",
				(unsigned long long)x->u.grant_id);
	return 0;
}

/* Sends one transaction of call data to the registry. */
static int registry_submit(struct opening *x, uint8_t *data, size_t len, const char *what,
			   const struct tx_opts *to, ehr_err *e)
{
	uint8_t hash[32];
	chain_receipt r = { 0 };
	eth_tx tx;
	int rc;

	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	tx.data = data;
	tx.data_len = len;
	rc = tx_submit(x->c, &x->s, &tx, what, to, hash, &r, e);
	chain_receipt_free(&r);
	return rc;
}

/* Redeems a bearer grant under this account (unless it already was), then
 * logs the access. */
static int access_log(struct opening *x, const struct tx_opts *to, ehr_err *e)
{
	uint8_t digest[32], sig[65], *data = NULL;
	char what[120];
	size_t len;
	int rc, yes;

	if ((x->gv.st.flags & REG_GRANT_BEARER) &&
	    ((rc = registry_can_access(x->c, x->registry, x->u.grant_id, x->s.address, &yes, e)) || !yes)) {
		if (rc || (rc = registry_redeem_digest(x->c, x->registry, x->u.grant_id, x->s.address, digest, e)) ||
		    (rc = eth_sign_hash(x->bpriv, digest, sig, e)) ||
		    (rc = registry_call_redeem(x->u.grant_id, sig, &data, &len, e)))
			goto out;
		if ((rc = registry_submit(x, data, len, "Redeem the bearer grant and open its records", to, e)))
			goto out;
		free(data);
		data = NULL;
		g.yes = true;  /* one question for the redeem and the access */
	}
	if ((rc = registry_call_log_access(x->u.grant_id, x->ids, x->n, &data, &len, e)))
		goto out;
	snprintf(what, sizeof(what), "Open %zu record%s of grant %llu (the access is logged on chain)",
		 x->n, x->n == 1 ? "" : "s", (unsigned long long)x->u.grant_id);
	rc = registry_submit(x, data, len, what, to, e);
out:
	free(data);
	return rc;
}

/* Fetches record i, checks it against its anchor, decrypts it into dir. */
static int access_fetch(struct opening *x, size_t i, const char *dir, bool force, ehr_err *e)
{
	struct opened *o = &x->done[i];
	registry_record rec;
	size_t k;
	int erased, fd = -1, rc;
	char name[300];

	if ((rc = records_get(x->c, x->registry, x->ids[i], &rec, &erased, e)))
		return rc;
	for (k = 0; k < x->gv.n && x->gv.record_ids[k] != x->ids[i]; k++)
		;
	if (envelope_key_open(x->gv.sealed[k], x->xpk, x->xsk, x->dkey, e)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record %llu: the key in the grant does not open",
			      (unsigned long long)x->ids[i]);
	} else if (!(rc = envelope_read_meta_mem(rec.meta, rec.meta_len, x->dkey, &o->meta, e)) &&
		   !(rc = records_fetch_verified(x->c, x->registry, &rec, &fd, e))) {
		records_file_name(&o->meta, x->ids[i], name, sizeof(name));
		snprintf(o->file, sizeof(o->file), "%s/%s", dir, name);
		rc = envelope_open_to_path(fd, o->file, force, x->dkey, rec.content_hash, &o->meta, e);
		o->id = x->ids[i];
	}
	if (fd >= 0)
		close(fd);
	records_free(&rec);
	return rc;
}

static void access_print(const struct opening *x)
{
	size_t i;

	if (g.json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < x->n; i++) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddNumberToObject(o, "id", (double)x->done[i].id);
			cJSON_AddStringToObject(o, "file", x->done[i].file);
			cJSON_AddStringToObject(o, "title", x->done[i].meta.title);
			cJSON_AddStringToObject(o, "type", x->done[i].meta.type);
			cJSON_AddNumberToObject(o, "size", (double)x->done[i].meta.size);
			cJSON_AddItemToArray(arr, o);
		}
		output_json(arr);
		return;
	}
	for (i = 0; i < x->n; i++)
		printf("record %llu  %-14s %s -> %s\n", (unsigned long long)x->done[i].id,
		       x->done[i].meta.type, x->done[i].meta.title, x->done[i].file);
}

static void opening_free(struct opening *x)
{
	sodium_free(x->key32);
	sodium_free(x->secret);
	sodium_free(x->bpriv);
	sodium_free(x->xsk);
	sodium_free(x->dkey);
	free(x->ids);
	free(x->done);
	grants_free(&x->gv);
	signer_close(&x->s);
	chain_close(x->c);
}

int cmd_access(int argc, char **argv)
{
	struct opt_parser p;
	struct opening x;
	struct tx_opts to;
	struct access_options opts = { .dir = "." };
	const char *dir, *passfile;
	size_t i;
	bool force;
	ehr_err e = { 0 };
	int rc;

	tx_opts_init(&opts.tx);
	memset(&x, 0, sizeof(x));
	opt_init(&p, "access", argc, argv, cmd_access_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	dir = opts.dir;
	passfile = opts.passfile;
	force = opts.force;
	to = opts.tx;
	if (p.npos != 1)
		return usage_error("access", "give the grant: a URI from its QR code, '-' to read one, or an id");
	x.key32 = sodium_malloc(32);
	x.secret = sodium_malloc(32);
	x.bpriv = sodium_malloc(32);
	x.xsk = sodium_malloc(32);
	x.dkey = sodium_malloc(32);
	if (!x.key32 || !x.secret || !x.bpriv || !x.xsk || !x.dkey)
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
	else if (!(rc = access_find(&x, p.pos[0], &e)) && !(rc = access_keys(&x, passfile, &e)) &&
		 !(rc = access_readable(&x, &e)) && !(rc = access_log(&x, &to, &e)) &&
		 !(rc = dir_ensure(dir, 0700, &e))) {
		/* the grant is logged: fetch, check, decrypt */
		for (i = 0; i < x.n && !rc; i++)
			rc = access_fetch(&x, i, dir, force, &e);
		if (!rc)
			access_print(&x);
	}
	opening_free(&x);
	return rc ? report(&e) : 0;
}
