/* ehr emergency: the emergency card. The patient chooses the records an
 * emergency team needs (allergies, medication, conditions); the card is a
 * long-lived bearer grant over them that any number of clinicians can
 * redeem, each access logged under their own account, printed as a QR
 * code with a line of text. A new card revokes the old one. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/grant_send.h"
#include "cli/qr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/base/paths.h"
#include "wallet/registry/records.h"

#define MAX_EMERGENCY_RECORDS 64

/* The emergency state of this wallet and registry, in the state
 * directory: { "records": [ids], "card": grant id or 0 }. */
struct emergency {
	uint64_t records[MAX_EMERGENCY_RECORDS];
	size_t n;
	uint64_t card;
};

struct emergency_options {
	const char *ids, *dur, *png, *svg;
	bool qr;
	struct tx_opts tx;
	/* what the check found */
	const char *sub;
	struct emergency want;       /* set: --records */
	uint64_t seconds;            /* --for */
};

static const struct opt emergency_opts[] = {
	{ "records", 0, "IDS", OV_NONE, "set: the emergency records, e.g. 3,7",
	  OPT_STR(struct emergency_options, ids), .forms = OPT_IN(0), .required = true },
	{ "for", 0, "DURATION", OV_DURATION, "card: how long the card is valid (default 365d)",
	  OPT_STR(struct emergency_options, dur), .forms = OPT_IN(1) },
	{ "qr", 0, NULL, OV_NONE, "card: show the QR code in the terminal",
	  OPT_FLAG(struct emergency_options, qr), .forms = OPT_IN(1) },
	{ "qr-png", 0, "FILE", OV_FILE, "card: write the card's QR code as a PNG (0600)",
	  OPT_STR(struct emergency_options, png), .forms = OPT_IN(1) },
	{ "qr-svg", 0, "FILE", OV_FILE, "card: write a printable card as SVG (0600)",
	  OPT_STR(struct emergency_options, svg), .forms = OPT_IN(1) },
	TX_WAIT_OPTS_IN(struct emergency_options, tx, OPT_IN(0) | OPT_IN(1) | OPT_IN(3)),
	{ 0 }
};

static int state_path(const struct signer *s, const uint8_t registry[20], uint64_t chain_id,
		      char *out, size_t cap, ehr_err *e)
{
	char dir[4096], addr[41], reg[41];
	int rc;

	if ((rc = paths_get(PLACE_STATE, dir, sizeof(dir), e)) || (rc = dir_ensure(dir, 0700, e)))
		return rc;
	hex_encode(s->address, 20, addr);
	hex_encode(registry, 20, reg);
	if ((size_t)snprintf(out, cap, "%s/emergency-%llu-%.8s-%s.json", dir, (unsigned long long)chain_id,
			     reg, addr) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "state path too long");
	return 0;
}

static int state_load(const char *path, struct emergency *em, ehr_err *e)
{
	char *text = NULL;
	size_t len;
	cJSON *root, *ids, *it;
	int rc;

	memset(em, 0, sizeof(*em));
	if (!file_exists(path))
		return 0;
	if ((rc = file_read_all(path, 1 << 16, &text, &len, e)))
		return rc;
	root = cJSON_ParseWithLength(text, len);
	free(text);
	ids = cJSON_GetObjectItemCaseSensitive(root, "records");
	it = cJSON_GetObjectItemCaseSensitive(root, "card");
	if (!cJSON_IsArray(ids) || !cJSON_IsNumber(it) || cJSON_GetArraySize(ids) > MAX_EMERGENCY_RECORDS) {
		cJSON_Delete(root);
		return ehr_fail(e, EHR_EINTEGRITY, "%s is damaged", path);
	}
	em->card = (uint64_t)it->valuedouble;
	cJSON_ArrayForEach(it, ids)
		if (cJSON_IsNumber(it) && it->valuedouble >= 1)
			em->records[em->n++] = (uint64_t)it->valuedouble;
	cJSON_Delete(root);
	return 0;
}

static int state_save(const char *path, const struct emergency *em, ehr_err *e)
{
	cJSON *root = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(root, "records");
	char *text;
	size_t i;
	int rc;

	for (i = 0; i < em->n; i++)
		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)em->records[i]));
	cJSON_AddNumberToObject(root, "card", (double)em->card);
	text = cJSON_Print(root);
	cJSON_Delete(root);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = file_write_atomic(path, text, strlen(text), 0600, true, e);
	cJSON_free(text);
	return rc;
}

static int parse_ids(const char *s, struct emergency *em)
{
	uint64_t *ids;
	size_t n;

	if (opt_id_list(s, &ids, &n))
		return -1;
	if (n > MAX_EMERGENCY_RECORDS) {
		free(ids);
		return -1;
	}
	memcpy(em->records, ids, n * sizeof(*ids));
	em->n = n;
	free(ids);
	return 0;
}

/* What every subcommand works on: the chain, the signer, and the state
 * file with this patient's emergency records and card. */
struct em_ctx {
	struct ctx *cx;
	char path[4300];
	struct emergency em;
	const struct tx_opts *to;
};

static int em_open(struct em_ctx *x, ehr_err *e)
{
	int rc;

	if ((rc = chain_check_id(x->cx->c, e)) ||
	    (rc = state_path(&x->cx->s, x->cx->registry, chain_chain_id(x->cx->c), x->path, sizeof(x->path), e)))
		return rc;
	return state_load(x->path, &x->em, e);
}

/* emergency set: the records, each this patient's, replace the old ones
 * (the card stays as it is). */
static int em_set(struct em_ctx *x, struct emergency *want, ehr_err *e)
{
	size_t i;
	int rc;

	for (i = 0; i < want->n; i++) {
		registry_record_state st;

		if ((rc = registry_record_of(x->cx->c, x->cx->registry, want->records[i], &st, e)))
			return rc;
		if (!st.exists || st.erased || memcmp(st.patient, x->cx->s.address, 20))
			return ehr_fail(e, EHR_EUSAGE, "record %llu is not one of this patient's records",
					(unsigned long long)want->records[i]);
	}
	want->card = x->em.card;
	if ((rc = state_save(x->path, want, e)))
		return rc;
	note("%zu emergency record%s set; 'ehr emergency card' makes the card", want->n,
	     want->n == 1 ? "" : "s");
	return 0;
}

static void em_show(struct em_ctx *x, ehr_err *e)
{
	const struct emergency *em = &x->em;
	grant_view gv = { 0 };
	const char *state = "none";
	char until[40];
	size_t i;

	if (em->card && !grants_get(x->cx->c, x->cx->registry, em->card, &gv, e)) {
		state = gv.st.flags & REG_GRANT_REVOKED ? "revoked" : gv.st.active ? "active" : "expired";
		time_format(gv.st.expiry, until, sizeof(until));
		grants_free(&gv);
	}
	if (g.json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(o, "records");

		for (i = 0; i < em->n; i++)
			cJSON_AddItemToArray(arr, cJSON_CreateNumber((double)em->records[i]));
		cJSON_AddNumberToObject(o, "card", (double)em->card);
		cJSON_AddStringToObject(o, "state", state);
		output_json(o);
		return;
	}
	printf("records   ");
	for (i = 0; i < em->n; i++)
		printf("%s%llu", i ? "," : "", (unsigned long long)em->records[i]);
	printf("%s\ncard      %s", em->n ? "" : "(none: ehr emergency set --records IDS)", state);
	if (em->card)
		printf(" (grant %llu%s%s)", (unsigned long long)em->card,
		       strcmp(state, "none") ? ", until " : "", strcmp(state, "none") ? until : "");
	putchar('\n');
}

/* card and revoke: the old card goes first (*revoked: it was active). */
static int em_revoke_old(struct em_ctx *x, const char *sub, bool *revoked, ehr_err *e)
{
	registry_grant st;
	chain_receipt r = { 0 };
	uint8_t hash[32];
	int rc;

	*revoked = false;
	if (!x->em.card)
		return 0;
	if ((rc = registry_grant_of(x->cx->c, x->cx->registry, x->em.card, &st, e)))
		return rc;
	if (st.active && !(st.flags & REG_GRANT_REVOKED)) {
		rc = grant_revoke(x->cx->c, x->cx->registry, &x->cx->s, x->em.card, x->to, hash, &r, e);
		chain_receipt_free(&r);
		if (rc)
			return rc;
		note("the %s card (grant %llu) is revoked", strcmp(sub, "card") ? "emergency" : "previous",
		     (unsigned long long)x->em.card);
		*revoked = true;
		g.yes = true;  /* asked once for the revoke and the new card */
	}
	x->em.card = 0;
	return state_save(x->path, &x->em, e);
}

/* Where the card goes besides standard output. */
struct em_qr {
	bool terminal;
	const char *png, *svg;
};

/* Shows the card (grant id, until expiry) whose URI is uri, with its QR
 * code where q says. */
static int em_card_print(uint64_t id, uint64_t expiry, const char *uri, const struct em_qr *q,
			 ehr_err *e)
{
	char caption[256], until[40];
	int rc = 0;

	time_format(expiry, until, sizeof(until));
	snprintf(caption, sizeof(caption), "EMERGENCY - scan with: ehr access - - valid until %s", until);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "grant", (double)id);
		cJSON_AddStringToObject(o, "uri", uri);
		cJSON_AddNumberToObject(o, "expiry", (double)expiry);
		output_json(o);
	} else {
		printf("emergency card: grant %llu, until %s\n%s\n", (unsigned long long)id, until, uri);
	}
	fflush(stdout);
	if ((q->terminal && (rc = qr_print_terminal(stdout, 1, uri, qr_term_style_for(g.color), e))) ||
	    (q->png && (rc = qr_write_png(q->png, uri, e))) ||
	    (q->svg && (rc = qr_write_svg(q->svg, uri, caption, e))))
		return rc;
	return 0;
}

/* emergency card: a new bearer grant over the emergency records for
 * seconds, its URI shown (and its QR code where q says). */
static int em_card(struct em_ctx *x, uint64_t seconds, const struct em_qr *q, ehr_err *e)
{
	uint8_t grantee[20], xpk[32], *key32 = sodium_malloc(32);
	char uri[GRANT_URI_MAX + 1];
	uint64_t now, id;
	int rc;

	if (!key32)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if ((rc = chain_block_time(x->cx->c, CHAIN_LATEST, &now, e)) ||
	    (rc = bearer_new(key32, NULL, grantee, xpk, e)) ||
	    (rc = grant_issue(x->cx->c, x->cx->registry, &x->cx->s, grantee, xpk, "any clinician who scans the emergency card",
			      x->em.records, x->em.n, now + seconds, REG_GRANT_BEARER | REG_GRANT_MULTI, 0, x->to,
			      &id, e)))
		goto out;
	x->em.card = id;
	if ((rc = state_save(x->path, &x->em, e)))
		goto out;
	{
		grant_uri u = { chain_chain_id(x->cx->c), { 0 }, id, 1, 0, 1, { 0 } };

		memcpy(u.registry, x->cx->registry, 20);
		memcpy(u.patient, x->cx->s.address, 20);
		if ((rc = grant_uri_format(&u, key32, uri, sizeof(uri), e)))
			goto out;
	}
	rc = em_card_print(id, now + seconds, uri, q, e);
	sodium_memzero(uri, sizeof(uri));
out:
	sodium_free(key32);
	return rc;
}

/* The subcommand sub, after its arguments were checked. */
static int em_run(struct em_ctx *x, const char *sub, struct emergency *want, uint64_t seconds,
		  const struct em_qr *q, ehr_err *e)
{
	bool revoked;
	int rc;

	if (!strcmp(sub, "set"))
		return em_set(x, want, e);
	if (!strcmp(sub, "show")) {
		em_show(x, e);
		return 0;
	}
	if ((rc = em_revoke_old(x, sub, &revoked, e)))
		return rc;
	if (!strcmp(sub, "revoke"))
		return revoked ? 0 : ehr_fail(e, EHR_EFAIL, "there is no active emergency card");
	if (!x->em.n)
		return ehr_fail(e, EHR_EUSAGE, "no emergency records: choose them with 'ehr emergency set --records IDS'");
	return em_card(x, seconds, q, e);
}

/* The subcommand (show by default), --records for set, --for. */
static int emergency_check(const struct command_call *call)
{
	struct emergency_options *o = call->opts;
	const char *sub = o->sub = call->npos ? call->pos[0] : "show";
	ehr_err e = { 0 };

	if (strcmp(sub, "set") && strcmp(sub, "card") && strcmp(sub, "show") && strcmp(sub, "revoke"))
		return usage_error("emergency", "unknown subcommand '%s' (set, card, show or revoke)", sub);
	if (!strcmp(sub, "set") && (!o->ids || parse_ids(o->ids, &o->want)))
		return usage_error("emergency", "'emergency set' wants --records IDS, like 3,7 (up to %d)",
				   MAX_EMERGENCY_RECORDS);
	if (strcmp(sub, "set") && o->ids)
		return usage_error("emergency", "--records goes with 'emergency set'");
	/* the card's QR holds the grant's id and a secret made now: an
	 * intent relayed later would leave a card nobody can print */
	if (!strcmp(sub, "card") && o->tx.sign_only)
		return usage_error("emergency", "'emergency card' cannot be signed only: the card needs the "
				   "grant on chain (revoke can)");
	return duration_parse(o->dur, &o->seconds, &e) ? report(&e) : 0;
}

static const struct emergency_options emergency_defaults = { .dur = "365d", .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_emergency_args = {
	.opts = emergency_opts, .size = sizeof(emergency_defaults), .defaults = &emergency_defaults,
	.max_pos = 1, .check = emergency_check,
};

int cmd_emergency(const struct command_call *call)
{
	struct emergency_options *o = call->opts;
	struct em_ctx x = { .cx = call->x, .to = &o->tx };
	ehr_err e = { 0 };
	int rc;

	if (!(rc = em_open(&x, &e))) {
		struct em_qr q = { o->qr, o->png, o->svg };

		rc = em_run(&x, o->sub, &o->want, o->seconds, &q, &e);
	}
	return rc ? report(&e) : 0;
}
