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

int cmd_access(int argc, char **argv)
{
	struct opt_parser p;
	struct target t;
	struct signer s;
	struct tx_opts to;
	grant_uri u;
	grant_view gv = { 0 };
	chain *c = NULL;
	chain_receipt r = { 0 };
	struct access_options opts = { .dir = "." };
	const char *dir, *passfile;
	uint8_t registry[20], hash[32], *key32 = NULL, *secret = NULL, *bpriv = NULL, *xsk = NULL;
	uint8_t xpk[32], bearer[20], *dkey = NULL, *data = NULL, digest[32], sig[65];
	uint64_t *ids = NULL;
	struct opened *done = NULL;
	size_t n = 0, i;
	bool is_uri, force;
	char *passcode = NULL;
	size_t passlen;
	eth_tx tx;
	ehr_err e = { 0 };
	int rc, yes;

	tx_opts_init(&opts.tx);
	memset(&s, 0, sizeof(s));
	opt_init(&p, "access", argc, argv, cmd_access_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	dir = opts.dir;
	passfile = opts.passfile;
	force = opts.force;
	to = opts.tx;
	if (p.npos != 1)
		return usage_error("access", "give the grant: a URI from its QR code, '-' to read one, or an id");
	key32 = sodium_malloc(32);
	secret = sodium_malloc(32);
	bpriv = sodium_malloc(32);
	xsk = sodium_malloc(32);
	dkey = sodium_malloc(32);
	if (!key32 || !secret || !bpriv || !xsk || !dkey) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if ((rc = read_grant(p.pos[0], &u, key32, &is_uri, &e)))
		goto out;
	if ((rc = target_resolve(&t, &e)))
		goto out;
	if (is_uri)
		memcpy(registry, u.registry, 20);
	else if ((rc = target_registry(&t, registry, &e)))
		goto out;
	if ((rc = signer_open(&s, &e)) || (rc = target_connect(&t, &c, &e)))
		goto out;
	if (is_uri && u.chain_id != chain_chain_id(c)) {
		rc = ehr_fail(&e, EHR_ECHAIN, "the grant is on chain %llu, the node is chain %llu (use --network)",
			      (unsigned long long)u.chain_id, (unsigned long long)chain_chain_id(c));
		goto out;
	}
	if ((rc = grants_get(c, registry, u.grant_id, &gv, &e)))
		goto out;
	if (gv.st.flags & REG_GRANT_REVOKED) {
		rc = ehr_fail(&e, EHR_ECHAIN, "grant %llu was revoked", (unsigned long long)u.grant_id);
		goto out;
	}
	if (!gv.st.active) {
		char when[40];

		time_format(gv.st.expiry, when, sizeof(when));
		rc = ehr_fail(&e, EHR_ECHAIN, "grant %llu expired at %s", (unsigned long long)u.grant_id, when);
		goto out;
	}
	if (gv.st.flags & REG_GRANT_BEARER) {
		if (!u.has_key) {
			rc = ehr_fail(&e, EHR_EAUTH, "grant %llu is a bearer grant: open it with the URI of its QR code",
				      (unsigned long long)u.grant_id);
			goto out;
		}
		if (u.needs_passcode) {
			rc = passfile ? passphrase_from_file(passfile, &passcode, &passlen, &e)
				      : prompt_secret("passcode", &passcode, &passlen, &e);
			if (rc || (rc = grant_secret_derive(key32, passcode, secret, &e)))
				goto out;
		} else {
			memcpy(secret, key32, 32);
		}
		if ((rc = grant_bearer_keys(secret, bpriv, xsk, xpk, &e)) ||
		    (rc = eth_address_from_priv(bpriv, bearer, &e)))
			goto out;
		if (memcmp(bearer, gv.st.grantee, 20)) {
			rc = ehr_fail(&e, EHR_EAUTH, u.needs_passcode ? "wrong passcode for grant %llu"
				      : "the key in the URI does not belong to grant %llu",
				      (unsigned long long)u.grant_id);
			goto out;
		}
	} else if (memcmp(gv.st.grantee, s.address, 20)) {
		char who[43];

		eip55_format(gv.st.grantee, who);
		rc = ehr_fail(&e, EHR_ECHAIN, "grant %llu is for %s, not for this account",
			      (unsigned long long)u.grant_id, who);
		goto out;
	} else {
		if ((rc = signer_unlock(&s, &e)))
			goto out;
		memcpy(xsk, s.keys->enc_secret, 32);
		memcpy(xpk, s.keys->enc_public, 32);
	}

	/* the records still readable: erased ones are refused by the registry */
	if (!(ids = calloc(gv.n ? gv.n : 1, sizeof(*ids))) || !(done = calloc(gv.n ? gv.n : 1, sizeof(*done)))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < gv.n; i++) {
		registry_record_state st;

		if ((rc = registry_record_of(c, registry, gv.record_ids[i], &st, &e)))
			goto out;
		if (!st.exists || st.erased)
			continue;
		/* anyone can issue a grant, with any bytes for keys: one whose
		 * keys do not open is refused before the access is logged */
		if (envelope_key_open(gv.sealed[i], xpk, xsk, dkey, &e)) {
			rc = ehr_fail(&e, EHR_EINTEGRITY, "record %llu: the key in the grant does not open",
				      (unsigned long long)gv.record_ids[i]);
			goto out;
		}
		ids[n++] = gv.record_ids[i];
	}
	if (!n) {
		rc = ehr_fail(&e, EHR_EFAIL, "grant %llu names no readable records", (unsigned long long)u.grant_id);
		goto out;
	}

	/* redeem a bearer grant under this account, then log the access */
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, registry, 20);
	if ((gv.st.flags & REG_GRANT_BEARER) &&
	    ((rc = registry_can_access(c, registry, u.grant_id, s.address, &yes, &e)) || !yes)) {
		if (rc || (rc = registry_redeem_digest(c, registry, u.grant_id, s.address, digest, &e)) ||
		    (rc = eth_sign_hash(bpriv, digest, sig, &e)) ||
		    (rc = registry_call_redeem(u.grant_id, sig, &data, &tx.data_len, &e)))
			goto out;
		tx.data = data;
		if ((rc = tx_submit(c, &s, &tx, "Redeem the bearer grant and open its records", &to, hash, &r, &e)))
			goto out;
		chain_receipt_free(&r);
		free(data);
		data = NULL;
		g.yes = true;  /* one question for the redeem and the access */
		memset(&tx, 0, sizeof(tx));
		tx.has_to = 1;
		memcpy(tx.to, registry, 20);
	}
	if ((rc = registry_call_log_access(u.grant_id, ids, n, &data, &tx.data_len, &e)))
		goto out;
	tx.data = data;
	{
		char what[120];

		snprintf(what, sizeof(what), "Open %zu record%s of grant %llu (the access is logged on chain)",
			 n, n == 1 ? "" : "s", (unsigned long long)u.grant_id);
		if ((rc = tx_submit(c, &s, &tx, what, &to, hash, &r, &e)))
			goto out;
	}

	/* the grant is logged: fetch, check, decrypt */
	if ((rc = dir_ensure(dir, 0700, &e)))
		goto out;
	for (i = 0; i < n && !rc; i++) {
		registry_record rec;
		size_t k;
		int erased, fd = -1;
		char name[300];

		if ((rc = records_get(c, registry, ids[i], &rec, &erased, &e)))
			break;
		for (k = 0; k < gv.n && gv.record_ids[k] != ids[i]; k++)
			;
		if (envelope_key_open(gv.sealed[k], xpk, xsk, dkey, &e)) {
			rc = ehr_fail(&e, EHR_EINTEGRITY, "record %llu: the key in the grant does not open",
				      (unsigned long long)ids[i]);
		} else if (!(rc = envelope_read_meta_mem(rec.meta, rec.meta_len, dkey, &done[i].meta, &e)) &&
			   !(rc = records_fetch_verified(c, registry, &rec, &fd, &e))) {
			records_file_name(&done[i].meta, ids[i], name, sizeof(name));
			snprintf(done[i].file, sizeof(done[i].file), "%s/%s", dir, name);
			rc = envelope_open_to_path(fd, done[i].file, force, dkey, rec.content_hash,
						   &done[i].meta, &e);
			done[i].id = ids[i];
		}
		if (fd >= 0)
			close(fd);
		records_free(&rec);
	}
	if (!rc) {
		if (g.json) {
			cJSON *arr = cJSON_CreateArray();

			for (i = 0; i < n; i++) {
				cJSON *o = cJSON_CreateObject();

				cJSON_AddNumberToObject(o, "id", (double)done[i].id);
				cJSON_AddStringToObject(o, "file", done[i].file);
				cJSON_AddStringToObject(o, "title", done[i].meta.title);
				cJSON_AddStringToObject(o, "type", done[i].meta.type);
				cJSON_AddNumberToObject(o, "size", (double)done[i].meta.size);
				cJSON_AddItemToArray(arr, o);
			}
			output_json(arr);
		} else {
			for (i = 0; i < n; i++)
				printf("record %llu  %-14s %s -> %s\n", (unsigned long long)done[i].id,
				       done[i].meta.type, done[i].meta.title, done[i].file);
		}
	}
out:
	if (passcode)
		sodium_free(passcode);
	sodium_free(key32);
	sodium_free(secret);
	sodium_free(bpriv);
	sodium_free(xsk);
	sodium_free(dkey);
	free(data);
	free(ids);
	free(done);
	grants_free(&gv);
	chain_receipt_free(&r);
	signer_close(&s);
	chain_close(c);
	return rc ? report(&e) : 0;
}
