/* ehr access: a clinician opens what a patient shared. The grant is
 * checked on chain; then, for a grant that authorises only, an access
 * request is sent (the log entry: the registry refuses it for an expired
 * or revoked grant, so nothing is asked or fetched then) and ehr waits for
 * the patient's release of the keys, sealed to this account; a bearer
 * grant or emergency card carries its keys, and its access is logged
 * (logAccess). Then every record is fetched, checked against its anchor,
 * decrypted and written 0600. */
#include "commands/commands.h"
#include "cli/access_out.h"
#include "cli/context.h"
#include "cli/session.h"
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
#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/base/amount.h"
#include "wallet/base/array.h"
#include "wallet/base/fileio.h"
#include "wallet/base/qr_image.h"
#include "wallet/chain/rpc.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/release.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

struct access_options {
	const char *dir, *passfile, *wait, *qr_image;
	bool force, new_only;
	struct tx_opts tx;
	uint64_t wait_s;             /* --wait (the check) */
};

static const struct opt access_opts[] = {
	{ "qr-image", 0, "FILE", OV_FILE, "read the grant from the QR code in a PNG image (a photo, a screenshot)",
	  OPT_STR(struct access_options, qr_image), .alt = 1 },
	{ "output", 'o', "DIR", OV_DIR, "write the records into DIR (default: the current directory)",
	  OPT_STR(struct access_options, dir) },
	{ "passcode-file", 0, "FILE", OV_FILE, "the passcode of a passcode grant, from FILE",
	  OPT_STR(struct access_options, passfile) },
	{ "force", 'f', NULL, OV_NONE, "replace existing files",
	  OPT_FLAG(struct access_options, force) },
	{ "new", 0, NULL, OV_NONE, "only the records not fetched into the folder before",
	  OPT_FLAG(struct access_options, new_only) },
	{ "wait", 0, "DURATION", OV_DURATION, "how long to wait for the patient's release (default 5m)",
	  OPT_STR(struct access_options, wait) },
	TX_WAIT_OPTS(struct access_options, tx),
	{ 0 }
};

#define URI_LINE_MAX 1024
#define ACCESS_POLL_MS 250 /* a new block is looked for this often while waiting */

/* The grant to open: the QR code in the PNG image qr_image (when not
 * NULL), "-" for a URI on standard input (a QR scanner piping in), an id
 * or a URI. The first two keep a bearer key off the command line, where
 * /proc/PID/cmdline and shell history show it. key32 receives a bearer
 * key. */
static int read_grant(const char *arg, const char *qr_image, grant_uri *u, uint8_t *key32, bool *is_uri,
		      ehr_err *e)
{
	char *line = NULL;
	size_t len;
	int rc;

	memset(u, 0, sizeof(*u));
	*is_uri = true;
	if (qr_image || !strcmp(arg, "-")) {
		if ((rc = qr_image ? qr_image_read(qr_image, URI_LINE_MAX, &line, &len, e)
				   : fd_read_secret(STDIN_FILENO, URI_LINE_MAX, &line, &len, e)))
			return rc;
		rc = grant_uri_parse(line, u, key32, e);
		sodium_free(line);
		if (rc && qr_image) {
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			ehr_fail(e, rc, "the QR code in %s is no grant: %s", qr_image, why);
		}
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
	struct ctx *cx;             /* the node, this account (main resolved the target) */
	uint8_t registry[20];       /* the grant's: its URI's, else the network's */
	grant_uri u;
	bool is_uri;
	grant_view gv;
	/* secure memory: the URI's key, the bearer's secret, secp256k1 and
	 * X25519 keys, a record's data key */
	uint8_t *key32, *secret, *bpriv, *xsk, *dkey;
	uint8_t xpk[32];
	uint64_t *ids;              /* the readable records */
	uint8_t (*keys)[ENVELOPE_SEALED_KEY_BYTES]; /* their data keys, sealed to xpk */
	uint64_t *copy;             /* research: the de-identified copy fetched for ids[i] (0: ids[i]) */
	bool *withheld;             /* research: ids[i] not released (not FHIR) */
	size_t n;
	bool ask;                   /* no key in the grant: request, then release */
	bool released;              /* the keys are here (an approval released them) */
	uint64_t request_id;
	struct opened *done;        /* what was written, one per id */
};

/* The grant named by arg, on the node of its chain: refused when it is
 * revoked or expired. */
static int access_find(struct opening *x, const char *arg, const char *qr_image, ehr_err *e)
{
	uint64_t chain_id;
	int rc;

	if ((rc = read_grant(arg, qr_image, &x->u, x->key32, &x->is_uri, e)))
		return rc;
	if (x->is_uri)
		memcpy(x->registry, x->u.registry, 20);
	else if (!(rc = ctx_open_parts(x->cx, CTX_REGISTRY, e)))
		memcpy(x->registry, x->cx->registry, 20);
	if (rc || (rc = ctx_open_parts(x->cx, CTX_WALLET | CTX_SIGNER | CTX_CHAIN, e)))
		return rc;
	if (x->is_uri && (rc = chain_check_id(x->cx->c, e)))
		return rc;
	if (x->is_uri && x->u.chain_id != (chain_id = chain_chain_id(x->cx->c)))
		return ehr_fail(e, EHR_ECHAIN, "the grant is on chain %llu, the node is chain %llu (use --network)",
				(unsigned long long)x->u.chain_id, (unsigned long long)chain_id);
	if ((rc = grants_get(x->cx->c, x->registry, x->u.grant_id, &x->gv, e)))
		return rc;
	if (x->u.has_patient && memcmp(x->u.patient, x->gv.st.patient, 20))
		return ehr_fail(e, EHR_EINTEGRITY, "the URI names another patient than grant %llu's: it was "
				"altered or is not this registry's grant", (unsigned long long)x->u.grant_id);
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
	if (memcmp(x->gv.st.grantee, x->cx->s.address, 20)) {
		char who[43];

		eip55_format(x->gv.st.grantee, who);
		return ehr_fail(e, EHR_ECHAIN, "grant %llu is for %s, not for this account",
				(unsigned long long)x->u.grant_id, who);
	}
	if ((rc = signer_unlock(&x->cx->s, e)))
		return rc;
	memcpy(x->xsk, x->cx->s.keys->enc_secret, 32);
	memcpy(x->xpk, x->cx->s.keys->enc_public, 32);
	return 0;
}

/* A grant that authorises only: the records it names, each once (for
 * GRANT_ALL every record of the patient's), erased ones left out; keys
 * come later. */
static int access_to_request(struct opening *x, ehr_err *e)
{
	const grant_view *gv = &x->gv;
	uint64_t *all;
	size_t nall;
	size_t i;
	int rc;

	x->ask = true;
	if (gv->st.flags & REG_GRANT_ALL) {
		if ((rc = consent_patient_records(x->cx->c, x->registry, gv->st.patient, &all, &nall, e)))
			return rc;
		free(x->ids);
		free(x->keys);
		free(x->done);
		free(x->copy);
		free(x->withheld);
		x->ids = all;
		x->n = nall;
		x->keys = calloc(nall ? nall : 1, sizeof(*x->keys));
		x->done = calloc(nall ? nall : 1, sizeof(*x->done));
		x->copy = calloc(nall ? nall : 1, sizeof(*x->copy));
		x->withheld = calloc(nall ? nall : 1, sizeof(*x->withheld));
		if (!x->keys || !x->done || !x->copy || !x->withheld)
			return ehr_fail(e, EHR_EFAIL, "out of memory");
	} else {
		for (i = 0; i < gv->n; i++) {
			registry_record_state st;

			if (array_has_u64(x->ids, x->n, gv->record_ids[i]))
				continue;
			if ((rc = registry_record_of(x->cx->c, x->registry, gv->record_ids[i], &st, e)))
				return rc;
			if (st.exists && !st.erased)
				x->ids[x->n++] = gv->record_ids[i];
		}
	}
	if (!x->n)
		return ehr_fail(e, EHR_EFAIL, "grant %llu names no readable records",
				(unsigned long long)x->u.grant_id);
	return 0;
}

/* The records still readable: erased ones are refused by the registry.
 * A grant whose keys were released up front (a bearer grant, the
 * emergency card) gives them here; one that authorises only is asked. */
static int access_readable(struct opening *x, ehr_err *e)
{
	const grant_view *gv = &x->gv;
	size_t i, nkeyed = 0;
	int rc;

	if (!(x->ids = calloc(gv->n ? gv->n : 1, sizeof(*x->ids))) ||
	    !(x->keys = calloc(gv->n ? gv->n : 1, sizeof(*x->keys))) ||
	    !(x->done = calloc(gv->n ? gv->n : 1, sizeof(*x->done))) ||
	    !(x->copy = calloc(gv->n ? gv->n : 1, sizeof(*x->copy))) ||
	    !(x->withheld = calloc(gv->n ? gv->n : 1, sizeof(*x->withheld))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < gv->n; i++)
		nkeyed += gv->keyed[i];
	if (gv->purpose || !gv->n || nkeyed < gv->n)
		return access_to_request(x, e);
	for (i = 0; i < gv->n; i++) {
		registry_record_state st;

		if ((rc = registry_record_of(x->cx->c, x->registry, gv->record_ids[i], &st, e)))
			return rc;
		if (!st.exists || st.erased)
			continue;
		/* anyone can issue a grant, with any bytes for keys: one whose
		 * keys do not open is refused before the access is logged */
		if (envelope_key_open(gv->sealed[i], x->xpk, x->xsk, x->dkey, e))
			return ehr_fail(e, EHR_EINTEGRITY, "record %llu: the key in the grant does not open",
					(unsigned long long)gv->record_ids[i]);
		memcpy(x->keys[x->n], gv->sealed[i], ENVELOPE_SEALED_KEY_BYTES);
		x->ids[x->n++] = gv->record_ids[i];
	}
	if (!x->n)
		return ehr_fail(e, EHR_EFAIL, "grant %llu names no readable records",
				(unsigned long long)x->u.grant_id);
	return 0;
}

/* Keys released in answer to a request are sealed to this account's
 * registered key, also when the grant is a bearer grant redeemed by it. */
static int access_own_keys(struct opening *x, ehr_err *e)
{
	int rc;

	if (!x->ask || !(x->gv.st.flags & REG_GRANT_BEARER))
		return 0;
	if ((rc = signer_unlock(&x->cx->s, e)))
		return rc;
	memcpy(x->xsk, x->cx->s.keys->enc_secret, 32);
	memcpy(x->xpk, x->cx->s.keys->enc_public, 32);
	return 0;
}

/* Sends one transaction of call data to the registry; the confirmation
 * names the registry (the chain and network follow, tx_submit). */
static int registry_submit(struct opening *x, uint8_t *data, size_t len, const char *what,
			   const struct tx_opts *to, chain_receipt *keep, ehr_err *e)
{
	uint8_t hash[32];
	chain_receipt r = { 0 };
	char reg[43], question[600];
	eth_tx tx;
	int rc;

	eip55_format(x->registry, reg);
	snprintf(question, sizeof(question), "%s, at registry %s", what, reg);

	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	tx.data = data;
	tx.data_len = len;
	rc = tx_submit(x->cx->c, &x->cx->s, &tx, question, to, hash, keep ? keep : &r, e);
	chain_receipt_free(&r);
	return rc;
}

/* Redeems a bearer grant under this account, unless it already was. */
static int access_redeem(struct opening *x, const struct tx_opts *to, ehr_err *e)
{
	uint8_t digest[32], sig[65], *data = NULL;
	size_t len;
	int rc, yes;

	if (!(x->gv.st.flags & REG_GRANT_BEARER))
		return 0;
	if ((rc = registry_can_access(x->cx->c, x->registry, x->u.grant_id, x->cx->s.address, &yes, e)) || yes)
		return rc;
	if (!(rc = registry_redeem_digest(x->cx->c, x->registry, x->u.grant_id, x->cx->s.address, digest, e)) &&
	    !(rc = eth_sign_hash(x->bpriv, digest, sig, e)) &&
	    !(rc = registry_call_redeem(x->u.grant_id, sig, &data, &len, e)) &&
	    !(rc = registry_submit(x, data, len, "Redeem the bearer grant and open its records", to, NULL, e)))
		g.yes = true;  /* one question for the redeem and the access */
	free(data);
	return rc;
}

/* Keys released up front: logs the access (logAccess). */
static int access_log(struct opening *x, const struct tx_opts *to, ehr_err *e)
{
	uint8_t *data = NULL;
	char what[120];
	size_t len;
	int rc;

	if ((rc = registry_call_log_access(x->u.grant_id, x->ids, x->n, &data, &len, e)))
		return rc;
	snprintf(what, sizeof(what), "Open %zu record%s of grant %llu (the access is logged on chain)",
		 x->n, x->n == 1 ? "" : "s", (unsigned long long)x->u.grant_id);
	rc = registry_submit(x, data, len, what, to, NULL, e);
	free(data);
	return rc;
}

/* The request id of the AccessRequested event in r. */
static int request_id_of(const struct opening *x, const chain_receipt *r, uint64_t *id, ehr_err *e)
{
	size_t i;

	for (i = 0, *id = 0; i < r->n_logs && !*id; i++) {
		consent_event_data ev;

		if (!consent_decode_event(&r->logs[i], x->registry, &ev, NULL)) {
			if (ev.kind == CONSENT_EV_ACCESS_REQUESTED)
				*id = ev.request_id;
			consent_event_free(&ev);
		}
	}
	return *id ? 0 : ehr_fail(e, EHR_ECHAIN, "the receipt has no AccessRequested event");
}

static int take_released(struct opening *x, const consent_answer *a);

/* A grant made by approving this account's grant request released its
 * keys with it, under a request the approval logged in the grant's own
 * block: an access uses those keys and is logged with logAccess (refused,
 * like a request, once the grant is revoked or expired), asking nothing
 * the patient would have to answer again. */
static int approval_keys(struct opening *x, ehr_err *e)
{
	consent_request q;
	consent_answer a;
	uint64_t *reqs;
	size_t nreqs;
	int rc;

	if ((rc = consent_requests_by(x->cx->c, x->registry, x->gv.st.patient, x->u.grant_id, x->cx->s.address,
				      x->gv.st.issued_block, &reqs, &nreqs, e)))
		return rc;
	if (nreqs == 1 && !(rc = consent_request_of(x->cx->c, x->registry, reqs[0], &q, e)) &&
	    q.requested_block == x->gv.st.issued_block &&
	    !(rc = consent_answer_of(x->cx->c, x->registry, &q, reqs[0], &a, e))) {
		if ((x->released = take_released(x, &a)))
			note("the keys came with the approval of your grant request (request %llu); this "
			     "access is logged on chain", (unsigned long long)reqs[0]);
		consent_answer_free(&a);
	}
	free(reqs);
	return rc;
}

/* Sends the access request (the log entry), unless one of this account's
 * for the same records is still open: then that one is answered. */
static int access_request(struct opening *x, const struct tx_opts *to, ehr_err *e)
{
	chain_receipt r = { 0 };
	uint8_t *data = NULL;
	char what[200];
	size_t len;
	int rc;

	if ((rc = consent_pending_request(x->cx->c, x->registry, x->gv.st.patient, x->u.grant_id, x->cx->s.address,
					  x->ids, x->n, x->gv.st.issued_block, &x->request_id, e)))
		return rc;
	if (x->request_id) {
		note("access request %llu is still open: waiting for its answer (no second request logged)",
		     (unsigned long long)x->request_id);
		return 0;
	}
	if ((rc = consent_call_request_access(x->gv.st.patient, x->u.grant_id, x->ids, x->n, &data, &len, e)))
		return rc;
	if (x->gv.purpose == REG_PURPOSE_RESEARCH)
		note("grant %llu is for research: the patient's ehr answers with de-identified copies of the FHIR "
		     "records only, and withholds the others", (unsigned long long)x->u.grant_id);
	snprintf(what, sizeof(what), "Ask for %zu record%s of grant %llu (the request is logged on chain; "
		 "the patient releases the keys)", x->n, x->n == 1 ? "" : "s", (unsigned long long)x->u.grant_id);
	if (!(rc = registry_submit(x, data, len, what, to, &r, e)))
		rc = request_id_of(x, &r, &x->request_id, e);
	chain_receipt_free(&r);
	free(data);
	return rc;
}

/* Takes the keys the patient released into x->keys; 1 when every record
 * has its key. */
static int take_released(struct opening *x, const consent_answer *a)
{
	size_t i, k, have = 0;

	for (i = 0; i < x->n; i++) {
		for (k = 0; k < a->n && a->record_ids[k] != x->ids[i]; k++)
			;
		if (k < a->n) {
			memcpy(x->keys[i], a->sealed[k], ENVELOPE_SEALED_KEY_BYTES);
			x->copy[i] = a->copy[k] == x->ids[i] ? 0 : a->copy[k];
			x->withheld[i] = !a->copy[k];
			have++;
		}
	}
	return have == x->n;
}

/* Looks for a new block every ACCESS_POLL_MS and, in each new block, for
 * the patient's answer: until every key of the request is released, it is
 * denied, the grant ended, or wait_s passed. */
static int access_wait(struct opening *x, uint64_t wait_s, ehr_err *e)
{
	time_t deadline = time(NULL) + (time_t)wait_s;
	consent_request q;
	consent_answer a;
	uint64_t head, seen = 0;
	int rc, done, denied;

	note("access request %llu is logged; waiting for the patient to release the keys",
	     (unsigned long long)x->request_id);
	for (;; rpc_sleep_ms(ACCESS_POLL_MS)) {
		if ((rc = chain_head(x->cx->c, &head, e)))
			return rc;
		if (head == seen && time(NULL) < deadline)
			continue;
		seen = head;
		if ((rc = consent_request_of(x->cx->c, x->registry, x->request_id, &q, e)) ||
		    (rc = consent_answer_of(x->cx->c, x->registry, &q, x->request_id, &a, e)))
			return rc;
		done = take_released(x, &a);
		denied = a.denied || q.status == CONSENT_REQUEST_DENIED;
		consent_answer_free(&a);
		if (done)
			return 0;
		if (denied)
			return ehr_fail(e, EHR_ECHAIN, "the patient denied the request (access request %llu, logged)",
					(unsigned long long)x->request_id);
		if (!q.grant_active)
			return ehr_fail(e, EHR_ECHAIN, "grant %llu ended (revoked or expired) before the patient "
					"released the keys", (unsigned long long)x->u.grant_id);
		if (time(NULL) >= deadline)
			return ehr_fail(e, EHR_EFAIL, "the patient has not released the keys yet (access request "
					"%llu); run 'ehr access' again to wait on: it logs no second request while "
					"this one is open", (unsigned long long)x->request_id);
	}
}

/* --sign-only where the keys were released up front (the emergency card,
 * bearer grants): the redeem and the access log are signed as intents
 * into the one file, for anyone to relay later, and the records are read
 * now, as the keys need nothing from the chain. The access is on chain
 * only once the file is relayed: the note says so. */
static int access_sign_only(struct opening *x, const struct tx_opts *to, ehr_err *e)
{
	int rc = access_redeem(x, to, e);

	if (rc && rc != TX_SIGNED_ONLY)
		return rc;
	if (rc)
		g.yes = true;  /* one question for the redeem and the access */
	if ((rc = access_log(x, to, e)) != TX_SIGNED_ONLY)
		return rc ? rc : ehr_fail(e, EHR_EFAIL, "the access log was sent, not signed only");
	ehr_err_clear(e);
	note("the access is logged on chain once '%s' is relayed (ehr relay): until then nobody sees it",
	     to->sign_only);
	return 0;
}

/* Logs the access and gets the keys: a request answered by the patient's
 * release, or (keys released up front) logAccess. */
static int access_open(struct opening *x, const struct tx_opts *to, uint64_t wait_s, ehr_err *e)
{
	int rc;

	if (to->sign_only && !x->ask)
		return access_sign_only(x, to, e);
	if ((rc = access_redeem(x, to, e)))
		return rc;
	if (!x->ask)
		return access_log(x, to, e);
	if ((rc = approval_keys(x, e)))
		return rc;
	if (x->released)
		return access_log(x, to, e);
	if ((rc = access_request(x, to, e)))
		return rc;
	return access_wait(x, wait_s, e);
}

/* Records fetched into dir before (its ACCESS_OUT_LIST): left out with
 * --new, so neither asked for nor logged again; otherwise, while their
 * files are there, refused before anything is sent unless --force. */
static int access_skip_fetched(struct opening *x, const char *dir, bool new_only, bool force, ehr_err *e)
{
	char name[300], path[4400];
	size_t i, k = 0;

	for (i = 0; i < x->n; i++) {
		if (access_out_fetched(dir, x->ids[i], name, sizeof(name))) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			if (new_only)
				continue;
			if (!force && file_exists(path))
				return ehr_fail(e, EHR_EUSAGE, "record %llu was fetched into %s before: --new "
						"fetches only the others, --force replaces it",
						(unsigned long long)x->ids[i], path);
		}
		x->ids[k] = x->ids[i];
		x->copy[k] = x->copy[i];
		x->withheld[k] = x->withheld[i];
		memcpy(x->keys[k++], x->keys[i], ENVELOPE_SEALED_KEY_BYTES);
	}
	if (!(x->n = k))
		note("nothing new in grant %llu: every record was fetched into %s before",
		     (unsigned long long)x->u.grant_id, dir);
	return 0;
}

/* Fetches record i (for a research grant its de-identified copy), checks
 * it against its anchor, decrypts it into dir; the folder's list notes the
 * record asked for, so --new leaves it out next time. */
static int access_fetch(struct opening *x, size_t i, const char *dir, bool force, ehr_err *e)
{
	struct opened *o = &x->done[i];
	uint64_t id = x->copy[i] ? x->copy[i] : x->ids[i];
	registry_record rec;
	int erased, fd = -1, rc;
	char name[300];

	if (x->withheld[i])
		return 0;
	if ((rc = records_get(x->cx->c, x->registry, id, &rec, &erased, e)))
		return rc;
	if (memcmp(rec.patient, x->gv.st.patient, 20)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record %llu is not the patient's", (unsigned long long)id);
	} else if (envelope_key_open(x->keys[i], x->xpk, x->xsk, x->dkey, e)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record %llu: the released key does not open",
			      (unsigned long long)id);
	} else if (!(rc = envelope_read_meta_mem(rec.meta, rec.meta_len, x->dkey, &o->meta, e)) &&
		   !(rc = records_fetch_verified(x->cx->c, x->registry, &rec, &fd, e))) {
		records_file_name(&o->meta, id, name, sizeof(name));
		snprintf(o->file, sizeof(o->file), "%s/%s", dir, name);
		rc = envelope_open_to_path(fd, o->file, force, x->dkey, rec.content_hash, &o->meta, e);
		o->id = id;
		if (!rc)
			rc = access_out_note(dir, x->ids[i], o->file, e);
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

			if (x->withheld[i]) {
				cJSON_AddNumberToObject(o, "id", (double)x->ids[i]);
				cJSON_AddBoolToObject(o, "withheld", 1);
				cJSON_AddItemToArray(arr, o);
				continue;
			}
			cJSON_AddNumberToObject(o, "id", (double)x->done[i].id);
			if (x->copy[i])
				cJSON_AddNumberToObject(o, "deidentified_copy_of", (double)x->ids[i]);
			cJSON_AddStringToObject(o, "file", x->done[i].file);
			cJSON_AddStringToObject(o, "title", x->done[i].meta.title);
			cJSON_AddStringToObject(o, "type", x->done[i].meta.type);
			cJSON_AddNumberToObject(o, "size", (double)x->done[i].meta.size);
			cJSON_AddItemToArray(arr, o);
		}
		output_json(arr);
		return;
	}
	for (i = 0; i < x->n; i++) {
		if (x->withheld[i])
			continue;
		printf("record %llu  %-14s %s -> %s", (unsigned long long)x->done[i].id,
		       x->done[i].meta.type, x->done[i].meta.title, x->done[i].file);
		if (x->copy[i])
			printf("  (de-identified copy of record %llu)", (unsigned long long)x->ids[i]);
		putchar('\n');
	}
}

/* Says which records a research grant's patient withheld (not FHIR). */
static void access_withheld(const struct opening *x)
{
	size_t i, n = 0;

	for (i = 0; i < x->n; i++)
		n += x->withheld[i];
	if (!n)
		return;
	for (i = 0; i < x->n; i++)
		if (x->withheld[i])
			warn("record %llu was not released: a research grant receives de-identified FHIR only "
			     "(it is not FHIR, or is such a copy itself)", (unsigned long long)x->ids[i]);
}

static void opening_free(struct opening *x)
{
	sodium_free(x->key32);
	sodium_free(x->secret);
	sodium_free(x->bpriv);
	sodium_free(x->xsk);
	sodium_free(x->dkey);
	free(x->ids);
	free(x->keys);
	free(x->done);
	free(x->copy);
	free(x->withheld);
	grants_free(&x->gv);
}

static int access_check(const struct command_call *call)
{
	struct access_options *o = call->opts;
	ehr_err e = { 0 };

	if (o->qr_image && call->npos)
		return usage_error("access", "--qr-image gives the grant: no URI, '-' or id with it");
	if (!o->qr_image && call->npos != 1)
		return usage_error("access", "give the grant: '-' to read its URI from standard input, "
				   "--qr-image FILE to read its QR code, or its URI or id");
	return o->wait && duration_parse(o->wait, &o->wait_s, &e) ? report(&e) : 0;
}

static const struct access_options access_defaults = { .dir = ".", .tx = TX_OPTS_DEFAULTS, .wait_s = 300 };

const struct command_args cmd_access_args = {
	.opts = access_opts, .size = sizeof(access_defaults), .defaults = &access_defaults,
	.min_pos = 0, .max_pos = 1,
	.wrong_count = "give the grant once: its URI, '-' to read one, --qr-image FILE, or an id",
	.check = access_check,
};

/* Staged (CMD_STAGED): the grant is read first, and a URI names its own
 * registry and chain, checked before anything else is asked. */
int cmd_access(const struct command_call *call)
{
	const struct access_options *o = call->opts;
	const char *dir = o->dir;
	struct opening x;
	size_t i;
	ehr_err e = { 0 };
	int rc;

	memset(&x, 0, sizeof(x));
	x.cx = call->x;
	x.key32 = sodium_malloc(32);
	x.secret = sodium_malloc(32);
	x.bpriv = sodium_malloc(32);
	x.xsk = sodium_malloc(32);
	x.dkey = sodium_malloc(32);
	if (!x.key32 || !x.secret || !x.bpriv || !x.xsk || !x.dkey)
		rc = ehr_fail(&e, EHR_EFAIL, "out of secure memory");
	else if (!(rc = access_find(&x, call->npos ? call->pos[0] : NULL, o->qr_image, &e)) && !(rc = access_keys(&x, o->passfile, &e)) &&
		 !(rc = access_readable(&x, &e)) && !(rc = access_out_check(dir, o->force, &e)) &&
		 !(rc = access_skip_fetched(&x, dir, o->new_only, o->force, &e)) && !(rc = access_own_keys(&x, &e)) &&
		 (!x.n || (!(rc = access_open(&x, &o->tx, o->wait_s, &e)) && !(rc = dir_ensure(dir, 0700, &e))))) {
		/* the access is logged and the keys are here: fetch, check, decrypt */
		for (i = 0; i < x.n && !rc; i++)
			rc = access_fetch(&x, i, dir, o->force, &e);
		if (!rc) {
			access_print(&x);
			access_withheld(&x);
		}
	}
	opening_free(&x);
	return rc ? report(&e) : 0;
}
