/* ehr grant: authorise one clinician (their registered key) to read
 * records until a time, for a purpose of use: no data key goes with the
 * grant; the clinician's `ehr access` logs a request and the patient's
 * side releases the keys in answer (wallet/registry/release.h). A bearer
 * grant (whoever scans the QR code) keeps its keys in the transaction:
 * nobody may be there to answer. ehr grant list shows the patient's
 * grants, --received the grants to this account. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/follow.h"
#include "cli/qr.h"
#include "cli/grant_send.h"
#include "cli/parties.h"
#include "cli/session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/amount.h"
#include "wallet/base/fileio.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/records.h"

struct grant_args {
	const char *records, *type, *dur, *until, *png, *svg, *wait, *purpose;
	bool all, write, bearer, passcode, qr, active, received;
	struct tx_opts tx;
	/* what the checks found */
	bool list;                   /* grant list */
	uint8_t grantee[20];         /* not with --bearer */
	uint8_t purpose_code;        /* --purpose, 0 for a bearer grant */
	uint64_t wait_s, dur_s, until_time;
	uint64_t *ids;               /* --records */
	size_t nids;
};

static const struct opt grant_opts[] = {
	{ "records", 0, "IDS", OV_NONE, "the records to share, e.g. 3,7,12",
	  OPT_STR(struct grant_args, records), .forms = OPT_IN(0) | OPT_IN(1), .alt = 1, .required = true },
	{ "all", 0, NULL, OV_NONE, "every record, also those added while the grant is active",
	  OPT_FLAG(struct grant_args, all), .forms = OPT_IN(0) | OPT_IN(1), .alt = 1, .required = true },
	{ "type", 0, "TYPE", OV_NONE, "every record of this type",
	  OPT_STR(struct grant_args, type), .forms = OPT_IN(0) | OPT_IN(1), .alt = 1, .required = true },
	{ "for", 0, "DURATION", OV_DURATION, "how long: 30m, 2h, 7d",
	  OPT_STR(struct grant_args, dur), .forms = OPT_IN(0) | OPT_IN(1), .alt = 2, .required = true },
	{ "until", 0, "TIME", OV_NONE, "until when: 2026-11-22T14:30:00Z or \"2026-11-22 14:30\" (UTC)",
	  OPT_STR(struct grant_args, until), .forms = OPT_IN(0) | OPT_IN(1), .alt = 2, .required = true },
	{ "write", 0, NULL, OV_NONE, "the grantee may also add records to this patient's chart",
	  OPT_FLAG(struct grant_args, write), .forms = OPT_IN(0) },
	{ "bearer", 0, NULL, OV_NONE, "a grant for whoever holds the QR code (no GRANTEE)",
	  OPT_FLAG(struct grant_args, bearer), .forms = OPT_IN(1), .alt = 4, .required = true },
	{ "passcode", 0, NULL, OV_NONE, "bearer: also require a passcode ehr generates, to say aloud",
	  OPT_FLAG(struct grant_args, passcode), .forms = OPT_IN(1) },
	{ "qr", 0, NULL, OV_NONE, "show the grant as a QR code, then wait for the clinician's request and release",
	  OPT_FLAG(struct grant_args, qr), .forms = OPT_IN(0) | OPT_IN(1) },
	{ "wait", 0, "DURATION", OV_DURATION, "--qr: wait at most DURATION (default: until the grant ends)",
	  OPT_STR(struct grant_args, wait), .forms = OPT_IN(0) },
	{ "qr-png", 0, "FILE", OV_FILE, "write the QR code as a PNG image (0600)",
	  OPT_STR(struct grant_args, png), .forms = OPT_IN(0) | OPT_IN(1) },
	{ "qr-svg", 0, "FILE", OV_FILE, "write the QR code as an SVG image (0600)",
	  OPT_STR(struct grant_args, svg), .forms = OPT_IN(0) | OPT_IN(1) },
	{ "purpose", 0, "PURPOSE", OV_NONE, "treatment (default), emergency, research or payment",
	  OPT_STR(struct grant_args, purpose), .forms = OPT_IN(0) },
	{ "active", 0, NULL, OV_NONE, "list: only grants that are active now",
	  OPT_FLAG(struct grant_args, active), .forms = OPT_IN(2) },
	{ "received", 0, NULL, OV_NONE, "list: the grants to this account, not from it",
	  OPT_FLAG(struct grant_args, received), .forms = OPT_IN(2) },
	TX_WAIT_OPTS_IN(struct grant_args, tx, OPT_IN(0) | OPT_IN(1)),
	{ 0 }
};

/* The records a grant names: the listed ones (each this patient's, not
 * erased), or every one (--all), or every one of a type. */
struct pick {
	const struct grant_args *a;
	uint8_t *key;
	const struct signer *s;
	uint64_t *ids;
	size_t n;
	int rc;
	ehr_err *e;
};

static int pick_cb(void *ctx, const registry_record *r, int erased)
{
	struct pick *p = ctx;
	envelope_meta meta;
	uint64_t *grown;

	if (erased)
		return 0;
	if (p->a->type) {
		envelope_meta_init(&meta);
		if (records_data_key(r, p->s->address, p->s->keys->enc_public, p->s->keys->enc_secret, p->key, NULL) ||
		    envelope_read_meta_mem(r->meta, r->meta_len, p->key, &meta, NULL) ||
		    strcmp(meta.type, p->a->type))
			return 0;
	}
	if (!(grown = realloc(p->ids, (p->n + 1) * sizeof(*grown))))
		return ehr_fail(p->e, EHR_EFAIL, "out of memory");
	p->ids = grown;
	p->ids[p->n++] = r->id;
	return 0;
}

/* Shows or writes the grant's URI as QR codes, as asked. */
static int show_qr(const struct grant_args *a, const char *uri, const char *caption, ehr_err *e)
{
	int rc = 0;

	if (a->qr && (rc = qr_print_terminal(stdout, 1, uri, qr_term_style_for(g.color), e)))
		return rc;
	if (a->png && (rc = qr_write_png(a->png, uri, e)))
		return rc;
	if (a->svg)
		rc = qr_write_svg(a->svg, uri, caption, e);
	return rc;
}

/* --sign-only with --qr, --qr-png or --qr-svg: the QR code holds the
 * signed intents (the file's JSON, compact) for the clinic to scan and
 * relay (zbarimg --raw | ehr relay -), when they fit one; no request is
 * waited for (the grant is not on chain yet). Nonzero (e filled) when
 * they do not fit, or went to standard output. */
static int show_signed_qr(const struct grant_args *a, ehr_err *e)
{
	char *buf = NULL, *text;
	size_t len;
	cJSON *doc;
	int rc;

	if (!strcmp(a->tx.sign_only, "-"))
		return ehr_fail(e, EHR_EUSAGE, "--qr with --sign-only -: the intents went to standard output, "
				"not into a QR code");
	if (file_read_all(a->tx.sign_only, 1u << 20, &buf, &len, e))
		return e->status;
	doc = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!doc || !(text = cJSON_PrintUnformatted(doc))) {
		cJSON_Delete(doc);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	cJSON_Delete(doc);
	if ((rc = show_qr(a, text, "signed grant: scan, then ehr relay -", e)))
		ehr_wrap(e, "the signed grant (%zu bytes) is in %s but does not fit a QR code: hand over the file",
			 strlen(text), a->tx.sign_only);
	else
		note("the QR code holds the signed grant: the clinic scans it into 'ehr relay -' (zbarimg --raw "
		     "IMAGE | ehr relay -) and pays the gas");
	free(text);
	return rc;
}

/* The grantee's X25519 key and a name for the question (its first
 * *label_len bytes name the grantee, the rest is about the key): a new
 * bearer key (*key32, with *passcode when asked for), or grantee's
 * registered key:
 * refused when it is not the key pinned for them, shown (and offered for
 * pinning) as unverified when none is. */
static int grantee_keys(chain *c, const uint8_t registry[20], const struct grant_args *a,
			uint8_t grantee[20], uint8_t grantee_pk[32], uint8_t **key32, char **passcode,
			char *name, size_t name_cap, size_t *label_len, ehr_err *e)
{
	char addr[43], words[ENCKEY_FP_TEXT + 32];
	sealing_key k;
	int rc;

	if (a->bearer) {
		if (!(*key32 = sodium_malloc(32)))
			return ehr_fail(e, EHR_EFAIL, "out of secure memory");
		if (a->passcode) {
			if (!(*passcode = sodium_malloc(GRANT_PASSCODE_LEN + 1)))
				return ehr_fail(e, EHR_EFAIL, "out of secure memory");
			grant_passcode_new(*passcode);
		}
		if ((rc = bearer_new(*key32, *passcode, grantee, grantee_pk, e)))
			return rc;
		snprintf(name, name_cap, "whoever holds the QR code%s", *passcode ? " and the passcode" : "");
		*label_len = strlen(name);
		return 0;
	}
	if ((rc = contacts_sealing_key(c, registry, grantee, &k, e)))
		return rc;
	eip55_format(grantee, addr);
	if (!k.acct.registered)
		return ehr_fail(e, EHR_EUSAGE, "%s has not registered an encryption key: ask them to run "
				"'ehr register' first", addr);
	if ((rc = party_offer_pin(grantee, &k, e)))
		return rc;
	memcpy(grantee_pk, k.acct.enc_key, 32);
	party_label(c, registry, grantee, name, name_cap);
	*label_len = strlen(name);
	party_key_words(&k, words, sizeof(words));
	snprintf(name + strlen(name), name_cap - strlen(name), " [%s]", words);
	return 0;
}

/* Shows the new grant: its id, expiry and URI (and its QR code), and the
 * generated passcode, this once. */
static int grant_print(const struct grant_args *a, uint64_t grant_id, uint64_t expiry, size_t nrecords,
		       uint8_t purpose, const char *uri, const char *passcode, ehr_err *e)
{
	char until[40], caption[200];

	time_format(expiry, until, sizeof(until));
	snprintf(caption, sizeof(caption), "ehr grant %llu - until %s", (unsigned long long)grant_id, until);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "grant", (double)grant_id);
		cJSON_AddStringToObject(o, "uri", uri);
		cJSON_AddNumberToObject(o, "expiry", (double)expiry);
		cJSON_AddNumberToObject(o, "records", (double)nrecords);
		cJSON_AddBoolToObject(o, "bearer", a->bearer);
		if (purpose)
			cJSON_AddStringToObject(o, "purpose", consent_purpose_name(purpose));
		if (passcode)
			cJSON_AddStringToObject(o, "passcode", passcode);
		output_json(o);
	} else {
		printf("grant %llu until %s\n%s\n", (unsigned long long)grant_id, until, uri);
		if (passcode)
			printf("passcode %s (say it to the clinician; it is shown only this once)\n", passcode);
	}
	fflush(stdout);
	return show_qr(a, uri, caption, e);
}

/* The consultation: the QR is shown, the clinician's request is waited
 * for (until the grant ends, or --wait) and answered with the release. */
static int consult(struct signer *s, chain *c, const uint8_t registry[20], uint64_t grant_id,
		   const char *name, uint64_t expiry, uint64_t wait_s, ehr_err *e)
{
	uint64_t until = expiry, now = (uint64_t)time(NULL);

	if (wait_s && now + wait_s < until)
		until = now + wait_s;
	return follow_consultation(c, registry, s, grant_id, name, until, e);
}

/* A new grant's options, parsed into a (ids malloc'd), before the
 * wallet is read. */
static int new_check(const struct command_call *call)
{
	struct grant_args *a = call->opts;
	int sel = !!a->records + a->all + !!a->type;
	ehr_err e = { 0 };

	if (a->bearer ? call->npos != 0 : call->npos != 1)
		return usage_error("grant", a->bearer ? "a --bearer grant names no GRANTEE"
				   : "give the grantee's address: ehr grant ADDR ...");
	if (sel > 1)
		return usage_error("grant", "give one of --records, --all or --type");
	if (!sel && !a->write)
		return usage_error("grant", "say what to share: --records IDS, --all or --type TYPE");
	if (!a->dur == !a->until)
		return usage_error("grant", "say for how long: --for 30m|2h|7d or --until TIME");
	if (a->bearer && a->write)
		return usage_error("grant", "a --bearer grant cannot write: whoever holds its QR code could "
				   "add records to this chart; give --write to a named grantee");
	/* the QR of a bearer grant holds its id and a secret made now: an
	 * intent relayed later would leave a grant nobody can open */
	if (a->bearer && a->tx.sign_only)
		return usage_error("grant", "a --bearer grant cannot be signed only: its QR code needs the "
				   "grant on chain; sign a grant to a named grantee");
	if (a->passcode && !a->bearer)
		return usage_error("grant", "a passcode goes with --bearer");
	if (a->wait && (!a->qr || a->bearer))
		return usage_error("grant", "--wait goes with --qr, for a grant to a clinician");
	if (a->wait && duration_parse(a->wait, &a->wait_s, &e))
		return report(&e);
	if (a->purpose && a->bearer)
		return usage_error("grant", "a --bearer grant carries its keys and no purpose of use");
	if (a->purpose && !(a->purpose_code = consent_purpose_parse(a->purpose)))
		return usage_error("grant", "--purpose is treatment, emergency, research or payment");
	if (a->bearer)
		a->purpose_code = 0;
	if ((a->dur && duration_parse(a->dur, &a->dur_s, &e)) ||
	    (a->until && time_parse(a->until, &a->until_time, &e)))
		return report(&e);
	if (a->records && opt_id_list(a->records, &a->ids, &a->nids))
		return usage_error("grant", "--records wants record ids separated by commas, like 3,7,12");
	return !a->bearer && eip55_parse(call->pos[0], a->grantee, &e) ? report(&e) : 0;
}

/* --all or --type: this patient's records of the grant, into pk. */
static int pick_records(struct ctx *x, const struct grant_args *a, struct pick *pk, ehr_err *e)
{
	int rc;

	if ((rc = signer_unlock(&x->s, e)) || !(pk->key = sodium_malloc(32)))
		return rc ? rc : ehr_fail(e, EHR_EFAIL, "out of secure memory");
	pk->a = a;
	pk->s = &x->s;
	pk->e = e;
	if ((rc = records_of_patient(x->c, x->registry, x->s.address, pick_cb, pk, e)))
		return rc;
	if (a->type && !pk->n)
		return ehr_fail(e, EHR_EFAIL, "no records of type '%s'", a->type);
	return 0;
}

static int grant_new(const struct command_call *call)
{
	const struct grant_args *a = call->opts;
	struct ctx *x = call->x;
	struct pick pk;
	uint8_t grantee_pk[32], *key32 = NULL, flags = 0;
	char name[PARTY_LABEL_MAX + ENCKEY_FP_TEXT + 32], uri[GRANT_URI_MAX + 1], *passcode = NULL;
	uint64_t now, expiry = a->until_time, grant_id;
	size_t label_len = 0;
	const uint64_t *ids = a->ids;
	size_t nids = a->nids;
	uint8_t grantee[20];
	ehr_err e = { 0 };
	int rc;

	memset(&pk, 0, sizeof(pk));
	memcpy(grantee, a->grantee, 20);
	if ((rc = chain_block_time(x->c, CHAIN_LATEST, &now, &e)))
		goto out;
	if (a->dur)
		expiry = now + a->dur_s;
	else if (expiry <= now) {
		rc = ehr_fail(&e, EHR_EUSAGE, "--until %s is not in the future (the chain's time is %llu)",
			      a->until, (unsigned long long)now);
		goto out;
	}
	if ((rc = grantee_keys(x->c, x->registry, a, grantee, grantee_pk, &key32, &passcode, name, sizeof(name),
			       &label_len, &e)))
		goto out;
	if (a->bearer)
		flags |= REG_GRANT_BEARER;
	if (a->all)
		flags |= REG_GRANT_ALL;
	if (a->write)
		flags |= REG_GRANT_WRITE;
	if (a->all || a->type) {
		if ((rc = pick_records(x, a, &pk, &e)))
			goto out;
		ids = pk.ids;
		nids = pk.n;
	}
	if ((rc = grant_issue(x->c, x->registry, &x->s, grantee, grantee_pk, name, ids, nids, expiry, flags,
			      a->purpose_code, &a->tx, &grant_id, &e))) {
		if (rc == TX_SIGNED_ONLY && (a->qr || a->png || a->svg))
			rc = show_signed_qr(a, &e) ? e.status : TX_SIGNED_ONLY;
		goto out;
	}
	{
		grant_uri u = { chain_chain_id(x->c), { 0 }, grant_id, a->bearer, passcode != NULL, 1, { 0 } };

		memcpy(u.registry, x->registry, 20);
		memcpy(u.patient, x->s.address, 20);
		if ((rc = grant_uri_format(&u, key32, uri, sizeof(uri), &e)))
			goto out;
	}
	rc = grant_print(a, grant_id, expiry, nids, a->purpose_code, uri, passcode, &e);
	sodium_memzero(uri, sizeof(uri));
	name[label_len] = '\0';  /* the grantee, without the words on the key */
	if (!rc && a->qr && !a->bearer)
		rc = consult(&x->s, x->c, x->registry, grant_id, name, expiry, a->wait_s, &e);
out:
	free(pk.ids);
	sodium_free(pk.key);
	sodium_free(key32);
	if (passcode)
		sodium_free(passcode);
	return rc && rc != 130 ? report(&e) : rc;
}

/* ---- grant list ------------------------------------------------------------ */

struct list_state {
	struct parties *parties;
	bool active_only, received;
	cJSON *arr;
	uint64_t now;
	size_t shown;
};

static const char *state_of(const grant_view *gv, uint64_t now)
{
	if (gv->st.flags & REG_GRANT_REVOKED)
		return "revoked";
	if (now >= gv->st.expiry)
		return "expired";
	return "active";
}

static int list_cb(void *ctx, const grant_view *gv)
{
	struct list_state *ls = ctx;
	char who[PARTY_LABEL_MAX] = "", addr[43], until[40], recs[64];
	bool bearer_qr;
	const char *state = state_of(gv, ls->now);

	const uint8_t *party = ls->received ? gv->st.patient : gv->st.grantee;

	if (ls->active_only && strcmp(state, "active"))
		return 0;
	ls->shown++;
	eip55_format(party, addr);
	if ((bearer_qr = (gv->st.flags & REG_GRANT_BEARER) && !ls->received))
		snprintf(who, sizeof(who), "(bearer QR)");
	else
		parties_name_text(ls->parties, party, who, sizeof(who));
	time_format(gv->st.expiry, until, sizeof(until));
	if (gv->st.flags & REG_GRANT_ALL)
		snprintf(recs, sizeof(recs), "all");
	else
		snprintf(recs, sizeof(recs), "%zu", gv->n);
	if (ls->arr) {
		cJSON *o = cJSON_CreateObject(), *ids = cJSON_CreateArray();
		size_t i;

		cJSON_AddNumberToObject(o, "grant", (double)gv->id);
		cJSON_AddStringToObject(o, ls->received ? "patient" : "grantee", addr);
		if (consent_purpose_name(gv->purpose))
			cJSON_AddStringToObject(o, "purpose", consent_purpose_name(gv->purpose));
		if (bearer_qr) {
			cJSON_AddStringToObject(o, "name", who);
			cJSON_AddBoolToObject(o, "name_verified", false);
		} else {
			parties_json(ls->parties, party, o, "name");
		}
		cJSON_AddNumberToObject(o, "expiry", (double)gv->st.expiry);
		cJSON_AddStringToObject(o, "state", state);
		cJSON_AddBoolToObject(o, "write", gv->st.flags & REG_GRANT_WRITE);
		cJSON_AddBoolToObject(o, "all", gv->st.flags & REG_GRANT_ALL);
		cJSON_AddBoolToObject(o, "bearer", gv->st.flags & REG_GRANT_BEARER);
		for (i = 0; i < gv->n; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)gv->record_ids[i]));
		cJSON_AddItemToObject(o, "records", ids);
		cJSON_AddItemToArray(ls->arr, o);
	} else {
		printf("%-6llu %-8s %-20s %-5s %-8s %-42s %s\n", (unsigned long long)gv->id, state, until,
		       gv->st.flags & REG_GRANT_WRITE ? "rw" : "r", recs, addr, who);
	}
	return 0;
}

static int grant_list(const struct command_call *call)
{
	const struct grant_args *a = call->opts;
	struct ctx *x = call->x;
	struct list_state ls = { NULL, a->active, a->received, NULL, 0, 0 };
	ehr_err e = { 0 };
	int rc;

	if ((rc = chain_block_time(x->c, CHAIN_LATEST, &ls.now, &e)) ||
	    (rc = parties_open(&ls.parties, x->c, x->registry, &e)))
		goto out;
	if (g.json)
		ls.arr = cJSON_CreateArray();
	else
		printf("%-6s %-8s %-20s %-5s %-8s %-42s %s\n", "GRANT", "STATE", "UNTIL", "MODE", "RECORDS",
		       a->received ? "PATIENT" : "GRANTEE", "NAME");
	rc = a->received ? grants_of_grantee(x->c, x->registry, x->s.address, list_cb, &ls, &e)
			 : grants_of_patient(x->c, x->registry, x->s.address, list_cb, &ls, &e);
	if (!rc && ls.arr)
		output_json(ls.arr);
	else
		cJSON_Delete(ls.arr);
	if (!rc && !ls.shown && !g.json)
		note("no grants%s%s", a->active ? " active" : "", a->received ? " to this account" : "");
out:
	parties_close(ls.parties);
	return rc ? report(&e) : 0;
}

/* grant list, or a new grant: its options checked and parsed. */
static int grant_check(const struct command_call *call)
{
	struct grant_args *a = call->opts;

	if ((a->list = call->npos && !strcmp(call->pos[0], "list")))
		return call->npos > 1 ? usage_error("grant", "'grant list' takes no arguments") : 0;
	if (a->active || a->received)
		return usage_error("grant", a->active ? "--active goes with 'grant list'"
				   : "--received goes with 'grant list'");
	return new_check(call);
}

static void grant_done(void *opts)
{
	free(((struct grant_args *)opts)->ids);
}

static const struct grant_args grant_defaults = {
	.purpose_code = REG_PURPOSE_TREATMENT, .tx = TX_OPTS_DEFAULTS
};

const struct command_args cmd_grant_args = {
	.opts = grant_opts, .size = sizeof(grant_defaults), .defaults = &grant_defaults,
	.max_pos = -1, .check = grant_check, .done = grant_done,
};

int cmd_grant(const struct command_call *call)
{
	return ((const struct grant_args *)call->opts)->list ? grant_list(call) : grant_new(call);
}
