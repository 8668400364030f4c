/* ehr audit: this account's history (wallet/registry/history.h: the
 * registry's events, merged in chain order, with "grant expired" rows),
 * the names of the people involved looked up in one batch, token symbols,
 * and titles decrypted locally where this account holds a data key;
 * printed as a table, JSON or CSV, or written as FHIR AuditEvent and
 * Consent resources (wallet/registry/fhir_audit.h). `ehr audit verify`
 * checks every record's stored ciphertext against its anchor. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/parties.h"
#include "cli/submit.h"
#include "cli/table.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/amount.h"
#include "wallet/base/array.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/base/text.h"
#include "wallet/chain/abi.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/fhir_audit.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/history.h"
#include "wallet/registry/registry.h"
#include "wallet/registry/token.h"

/* --since: the time, or how long ago (7d), as parse_since reads it */
struct audit_since {
	uint64_t at, ago;
	bool relative, given;
};

struct audit_options {
	uint64_t record, grant;
	struct audit_since since;
	const char *fhir;
	bool csv, force, no_titles, wide;
};

static opt_take_fn take_id, take_since;

static const struct opt audit_opts[] = {
	{ "record", 0, "ID", OV_NONE, "only what concerns record ID",
	  OPT_CALL(struct audit_options, record, uint64_t, take_id), .forms = OPT_IN(0) },
	{ "grant", 0, "ID", OV_NONE, "only what concerns grant ID",
	  OPT_CALL(struct audit_options, grant, uint64_t, take_id), .forms = OPT_IN(0) },
	{ "since", 0, "TIME", OV_NONE, "from TIME on: 2026-11-22T10:00:00Z, 2026-11-22, or 7d (the last 7 days)",
	  OPT_CALL(struct audit_options, since, struct audit_since, take_since), .forms = OPT_IN(0) },
	{ "csv", 0, NULL, OV_NONE, "RFC 4180 CSV with a header row",
	  OPT_FLAG(struct audit_options, csv), .forms = OPT_IN(0) },
	{ "fhir", 0, "FILE", OV_FILE, "write the history as FHIR R4 AuditEvent and Consent resources to FILE",
	  OPT_STR(struct audit_options, fhir), .forms = OPT_IN(0) },
	{ "force", 'f', NULL, OV_NONE, "--fhir: replace an existing FILE",
	  OPT_FLAG(struct audit_options, force), .forms = OPT_IN(0) },
	{ "no-titles", 0, NULL, OV_NONE, "do not unlock the wallet for record titles",
	  OPT_FLAG(struct audit_options, no_titles), .forms = OPT_IN(0) },
	{ "wide", 0, NULL, OV_NONE, "on a terminal too, print every column whole (lines as long as they need)",
	  OPT_FLAG(struct audit_options, wide), .forms = OPT_IN(0) },
	{ 0 }
};

struct token {
	uint8_t addr[20];
	bool known;
	unsigned decimals;
	char symbol[32];
};

struct audit {
	struct ctx *x;               /* node, registry, this account (set up by main) */
	uint8_t me[20];
	history h;
	struct parties *parties;
	struct token *tokens;
	size_t ntokens;

	/* options */
	history_filter only;
	bool csv, titles;
	const char *fhir;
	bool force;
	bool wide;
};

/* --since: a duration back from the chain's head ("7d": the last seven
 * days), resolved once the head's time is known; else a time as `ehr grant
 * --until` takes it (2026-11-22T10:00:00Z, a date, ...). */
static int parse_since(const char *s, uint64_t *at, uint64_t *ago, bool *relative, ehr_err *e)
{
	ehr_err ignored;

	*relative = !duration_parse(s, ago, &ignored);
	return *relative ? 0 : time_parse(s, at, e);
}

/* --record ID, --grant ID */
static int take_id(const struct opt_parser *p, const struct opt *o, void *field, const char *val)
{
	(void)p;
	if (!opt_id(val, field))
		return 0;
	usage_error("audit", "--%s takes a %s id (a number from 1), not '%s'", o->name, o->name, val);
	return -1;
}

static int take_since(const struct opt_parser *p, const struct opt *o, void *field,
		      const char *val)
{
	struct audit_since *since = field;
	ehr_err e = { 0 };

	(void)p;
	(void)o;
	if (parse_since(val, &since->at, &since->ago, &since->relative, &e)) {
		usage_error("audit", "--since: %s, or a duration like 7d", e.msg);
		return -1;
	}
	since->given = true;
	return 0;
}

/* ---- names and tokens ------------------------------------------------------ */

/* The names of every address of the shown rows, asked in one batch. */
static int look_up_names(struct audit *a, ehr_err *e)
{
	uint8_t (*addrs)[20] = malloc((2 * a->h.nrows + 1) * sizeof(*addrs));
	size_t n = 0, i;
	int rc;

	if (!addrs)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < a->h.nrows; i++) {
		if (!a->h.rows[i].shown)
			continue;
		memcpy(addrs[n++], a->h.rows[i].patient, 20);
		if (a->h.rows[i].has_party)
			memcpy(addrs[n++], a->h.rows[i].party, 20);
	}
	if (!(rc = parties_open(&a->parties, a->x->c, a->x->registry, e)))
		parties_prefetch(a->parties, (const uint8_t (*)[20])addrs, n);
	free(addrs);
	return rc;
}

/* addr's name for a column beside its address (cli/parties.h). */
static void name_of(const struct audit *a, const uint8_t addr[20], char *out, size_t cap)
{
	parties_name_text(a->parties, addr, out, cap);
}

/* Symbol and decimals of each token the shown invoices are in. */
static void look_up_tokens(struct audit *a)
{
	static const uint8_t native[20];
	size_t i, j;

	for (i = 0; i < a->h.nrows; i++) {
		const history_row *w = &a->h.rows[i];
		struct token_info ti;
		struct token *t;
		ehr_err ignored;

		if (!w->shown || !w->invoice || !memcmp(w->token, native, 20))
			continue;
		for (j = 0; j < a->ntokens && memcmp(a->tokens[j].addr, w->token, 20); j++)
			;
		if (j < a->ntokens)
			continue;
		if (!(t = realloc(a->tokens, (a->ntokens + 1) * sizeof(*t))))
			return;
		a->tokens = t;
		t = &a->tokens[a->ntokens++];
		memset(t, 0, sizeof(*t));
		memcpy(t->addr, w->token, 20);
		if (!token_info_get(a->x->c, w->token, a->me, &ti, &ignored)) {
			t->known = true;
			t->decimals = ti.decimals;
			snprintf(t->symbol, sizeof(t->symbol), "%s", ti.symbol);
		}
	}
}

/* "1.5 TUSD", "0.01 ETH" (the network's native coin), or base units when
 * the token does not say. */
static void amount_text(const struct audit *a, const history_row *w, char *out, size_t cap)
{
	static const uint8_t native[20];
	char num[AMOUNT_FMT_MAX];
	size_t j;

	if (!memcmp(w->token, native, 20)) {
		amount_format(&w->amount, 18, num, sizeof(num));
		snprintf(out, cap, "%s %s", num, a->x->t.symbol);
		return;
	}
	for (j = 0; j < a->ntokens; j++)
		if (!memcmp(a->tokens[j].addr, w->token, 20) && a->tokens[j].known &&
		    amount_format(&w->amount, a->tokens[j].decimals, num, sizeof(num)) >= 0) {
			snprintf(out, cap, "%s %s", num, a->tokens[j].symbol);
			return;
		}
	u256_format_dec(&w->amount, num);
	{
		char addr[43];

		eip55_format(w->token, addr);
		snprintf(out, cap, "%s base units of %s", num, addr);
	}
}


/* ---- output ------------------------------------------------------------------ */

static bool is_native(const uint8_t token[20])
{
	static const uint8_t zero[20];

	return !memcmp(token, zero, 20);
}

static cJSON *json_row(const struct audit *a, const history_row *w)
{
	cJSON *o = cJSON_CreateObject(), *ids, *titles;
	char addr[43], when[32], hash[67];
	const uint64_t *recs;
	size_t n, i;

	history_iso_time(w->time, when);
	cJSON_AddStringToObject(o, "time", when);
	if (w->block)
		cJSON_AddNumberToObject(o, "block", (double)w->block);
	else
		cJSON_AddNullToObject(o, "block");
	cJSON_AddStringToObject(o, "event", history_event_words(w->kind));
	eip55_format(w->patient, addr);
	cJSON_AddStringToObject(o, "patient", addr);
	parties_json(a->parties, w->patient, o, "patient_name");
	if (w->has_party) {
		eip55_format(w->party, addr);
		cJSON_AddStringToObject(o, "party", addr);
		parties_json(a->parties, w->party, o, "party_name");
	} else {
		cJSON_AddNullToObject(o, "party");
		cJSON_AddNullToObject(o, "party_name");
		cJSON_AddNullToObject(o, "party_name_verified");
	}
	if (w->grant)
		cJSON_AddNumberToObject(o, "grant", (double)w->grant);
	else
		cJSON_AddNullToObject(o, "grant");
	if (w->invoice)
		cJSON_AddNumberToObject(o, "invoice", (double)w->invoice);
	else
		cJSON_AddNullToObject(o, "invoice");
	recs = history_row_records(&a->h, w, &n);
	ids = cJSON_AddArrayToObject(o, "records");
	titles = cJSON_AddArrayToObject(o, "titles");
	for (i = 0; i < n; i++) {
		const char *t = history_title(&a->h, recs[i]);

		cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)recs[i]));
		cJSON_AddItemToArray(titles, t ? cJSON_CreateString(t) : cJSON_CreateNull());
	}
	if (w->derived) {  /* research: the copy released for each record, 0 withheld */
		cJSON *d = cJSON_AddArrayToObject(o, "deidentified_copies");

		for (i = 0; i < w->n_records; i++)
			cJSON_AddItemToArray(d, cJSON_CreateNumber((double)w->derived[i]));
	}
	if (w->kind == REG_EV_GRANT_ISSUED || w->kind == HISTORY_EXPIRED) {
		history_iso_time(w->expiry, when);
		cJSON_AddStringToObject(o, "expiry", when);
		cJSON_AddBoolToObject(o, "all_records", (w->flags & REG_GRANT_ALL) != 0);
		cJSON_AddBoolToObject(o, "write", (w->flags & REG_GRANT_WRITE) != 0);
		cJSON_AddBoolToObject(o, "bearer", (w->flags & REG_GRANT_BEARER) != 0);
	}
	if (w->kind == REG_EV_INVOICE_ISSUED || w->kind == REG_EV_INVOICE_PAID) {
		char dec[U256_DEC_MAX], text[160];

		u256_format_dec(&w->amount, dec);
		cJSON_AddStringToObject(o, "amount", dec);
		amount_text(a, w, text, sizeof(text));
		cJSON_AddStringToObject(o, "amount_text", text);
		if (is_native(w->token)) {
			cJSON_AddNullToObject(o, "token");
		} else {
			eip55_format(w->token, addr);
			cJSON_AddStringToObject(o, "token", addr);
		}
	}
	if (w->block) {
		hex_encode0x(w->tx, 32, hash);
		cJSON_AddStringToObject(o, "tx", hash);
	} else {
		cJSON_AddNullToObject(o, "tx");
	}
	return o;
}

static int print_json(const struct audit *a, ehr_err *e)
{
	cJSON *arr = cJSON_CreateArray();
	char *text;
	size_t i;

	for (i = 0; i < a->h.nrows; i++)
		if (a->h.rows[i].shown)
			cJSON_AddItemToArray(arr, json_row(a, &a->h.rows[i]));
	text = cJSON_Print(arr);
	cJSON_Delete(arr);
	if (!text)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	puts(text);
	cJSON_free(text);
	return 0;
}

/* One CSV field (RFC 4180): quoted when it holds a comma, a quote or a
 * line break, quotes doubled. */
static void csv_field(const char *s, bool last)
{
	if (strpbrk(s, ",\"\r\n")) {
		putchar('"');
		for (; *s; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static void print_csv(const struct audit *a)
{
	static const char *const head[] = {
		"time", "block", "event", "patient", "patient_name", "party", "party_name", "grant",
		"invoice", "records", "titles", "amount", "token", "tx", "patient_name_verified",
		"party_name_verified"
	};
	size_t i, j, n, h;

	for (h = 0; h < sizeof(head) / sizeof(head[0]); h++)
		csv_field(head[h], h + 1 == sizeof(head) / sizeof(head[0]));
	for (i = 0; i < a->h.nrows; i++) {
		const history_row *w = &a->h.rows[i];
		const uint64_t *recs;
		char buf[80], addr[43], *ids = NULL, *titles = NULL;
		size_t ids_len = 0, titles_len = 0;
		bool patient_verified, party_verified = false;
		FILE *fi, *ft;

		if (!w->shown)
			continue;
		history_iso_time(w->time, buf);
		csv_field(buf, false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->block);
		csv_field(w->block ? buf : "", false);
		csv_field(history_event_words(w->kind), false);
		eip55_format(w->patient, addr);
		csv_field(addr, false);
		/* the names as --json has them; whether a contact's: the last columns */
		csv_field(parties_name(a->parties, w->patient, &patient_verified), false);
		eip55_format(w->party, addr);
		csv_field(w->has_party ? addr : "", false);
		csv_field(w->has_party ? parties_name(a->parties, w->party, &party_verified) : "", false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->grant);
		csv_field(w->grant ? buf : "", false);
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)w->invoice);
		csv_field(w->invoice ? buf : "", false);
		/* ids separated by spaces, titles by "; " in the same order */
		recs = history_row_records(&a->h, w, &n);
		fi = open_memstream(&ids, &ids_len);
		ft = open_memstream(&titles, &titles_len);
		for (j = 0; fi && ft && j < n; j++) {
			const char *t = history_title(&a->h, recs[j]);

			fprintf(fi, "%s%llu", j ? " " : "", (unsigned long long)recs[j]);
			fprintf(ft, "%s%s", j ? "; " : "", t ? t : "");
		}
		if (fi)
			fclose(fi);
		if (ft)
			fclose(ft);
		csv_field(ids ? ids : "", false);
		csv_field(titles ? titles : "", false);
		free(ids);
		free(titles);
		if (w->kind == REG_EV_INVOICE_ISSUED || w->kind == REG_EV_INVOICE_PAID) {
			char dec[U256_DEC_MAX];

			u256_format_dec(&w->amount, dec);
			csv_field(dec, false);
			eip55_format(w->token, addr);
			csv_field(is_native(w->token) ? "" : addr, false);
		} else {
			csv_field("", false);
			csv_field("", false);
		}
		hex_encode0x(w->tx, 32, buf);
		csv_field(w->block ? buf : "", false);
		csv_field(patient_verified ? "true" : "false", false);
		csv_field(w->has_party ? party_verified ? "true" : "false" : "", true);
	}
}

/* "Dr. Bob (0x...)", "a bearer code (0x...)" for the ephemeral key of a
 * bearer grant, or the address alone. */
static void who_text(const struct audit *a, const history_row *w, const uint8_t addr[20], char *out,
		     size_t cap)
{
	char hex[43];
	bool is_contact;
	const char *n = parties_name(a->parties, addr, &is_contact);
	const history_grant *gr = w->gi >= 0 ? &a->h.grants[w->gi] : NULL;

	eip55_format(addr, hex);
	if (!memcmp(addr, a->me, 20))
		snprintf(out, cap, "you");
	else if (*n)
		parties_label(a->parties, addr, out, cap);
	else if (gr && (gr->flags & REG_GRANT_BEARER) && !memcmp(addr, gr->grantee, 20))
		snprintf(out, cap, "a bearer code (%s)", hex);
	else
		snprintf(out, cap, "%s", hex);
}

/* What a row is about, for the table. */
static char *what_text(const struct audit *a, const history_row *w)
{
	char *s = NULL, when[32], amount[200];
	size_t len = 0, i, n;
	const uint64_t *recs = history_row_records(&a->h, w, &n);
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	if (w->grant && w->kind != REG_EV_RECORD_ANCHORED)
		fprintf(f, "grant %llu", (unsigned long long)w->grant);
	if (w->invoice) {
		amount_text(a, w, amount, sizeof(amount));
		fprintf(f, "invoice %llu", (unsigned long long)w->invoice);
		if (w->kind != REG_EV_INVOICE_CANCELLED)
			fprintf(f, ": %s", amount);
	}
	if (w->kind == REG_EV_GRANT_ISSUED) {
		history_iso_time(w->expiry, when);
		fprintf(f, "%s%s until %s", w->flags & REG_GRANT_WRITE ? " (read and write)" : "",
			w->flags & REG_GRANT_BEARER ? " (bearer)" : "", when);
		if (w->flags & REG_GRANT_ALL)
			fputs(", all records", f);
	}
	for (i = 0; i < n; i++) {
		const char *t = history_title(&a->h, recs[i]);

		if (!i)
			fputs(ftell(f) ? ": " : "", f);
		fprintf(f, "%srecord %llu", i ? ", " : "", (unsigned long long)recs[i]);
		if (t)
			fprintf(f, " \"%s\"", t);
		if (w->derived && w->records == recs && w->derived[i])
			fprintf(f, " as de-identified record %llu", (unsigned long long)w->derived[i]);
		else if (w->derived && w->records == recs)
			fputs(" withheld (not FHIR)", f);
	}
	if (w->kind == REG_EV_RECORD_ANCHORED && w->grant)
		fprintf(f, " (under write grant %llu)", (unsigned long long)w->grant);
	fclose(f);
	return s;
}

/* The table's columns: piped, the layout it always had (TIME and EVENT
 * fixed, WHAT padded to at most 72); on a terminal the names and what
 * happened wrap and the transaction hash is shortened to fit. */
static const struct table_col audit_cols[] = {
	{ "TIME", 20, 20, TABLE_KEEP, 0, NULL },
	{ "EVENT", 17, 17, TABLE_KEEP, 0, NULL },
	{ "WHO", 3, 0, TABLE_WRAP, 0, NULL },
	{ "WHAT", 4, 72, TABLE_WRAP, 0, NULL },
	{ "TX", 0, 0, TABLE_SHORTEN, 0, NULL },
};

/* One shown row into t: 0, or -1 when out of memory. */
static int add_row(const struct audit *a, const history_row *w, struct table *t)
{
	char who[200], when[32], hash[67], *what;
	const char *cells[5];
	int rc;

	/* who: the other party; for the patient's own acts, the patient */
	if (w->has_party && memcmp(w->party, a->me, 20))
		who_text(a, w, w->party, who, sizeof(who));
	else
		who_text(a, w, w->patient, who, sizeof(who));
	if (!(what = what_text(a, w)))
		return -1;
	history_iso_time(w->time, when);
	hex_encode0x(w->tx, 32, hash);
	cells[0] = when;
	cells[1] = history_event_words(w->kind);
	cells[2] = who;
	cells[3] = what;
	cells[4] = w->block ? hash : "-";
	rc = table_add(t, cells);
	free(what);
	return rc;
}

static int print_table(const struct audit *a, ehr_err *e)
{
	struct table *t = table_new(audit_cols, sizeof(audit_cols) / sizeof(audit_cols[0]));
	size_t i;

	if (!t)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < a->h.nrows; i++)
		if (a->h.rows[i].shown && add_row(a, &a->h.rows[i], t)) {
			table_free(t);
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		}
	if (table_rows(t))
		table_print(t, stdout, table_width_for(stdout, a->wide));
	else
		note("no events%s", a->only.has_since || a->only.only_grant || a->only.only_record ? " match" : " yet");
	table_free(t);
	return 0;
}

/* ---- titles and FHIR ------------------------------------------------------ */

/* Decrypts the titles the shown rows name, unlocking the wallet once (and
 * not at all when there is none to open). */
static int decrypt_titles(struct audit *a, ehr_err *e)
{
	history_rec **list;
	size_t n;
	int rc;

	if ((rc = history_titles_wanted(&a->h, &list, &n, e)) || !n)
		return rc;
	if (!(rc = signer_unlock(&a->x->s, e)))
		rc = history_open_titles(list, n, a->x->s.keys->enc_public, a->x->s.keys->enc_secret, e);
	free(list);
	return rc;
}

/* For the Bundle, which copies each name before asking the next. */
static const char *name_cb(void *ctx, const uint8_t addr[20])
{
	static char name[PARTY_LABEL_MAX];

	name_of(ctx, addr, name, sizeof(name));
	return name;
}

static int write_fhir(const struct audit *a, ehr_err *e)
{
	fhir_audit_source src = { chain_chain_id(a->x->c), (uint64_t)time(NULL), name_cb, (void *)a };
	size_t nevents, nconsents;
	char *text;
	int rc;

	if ((rc = fhir_audit_bundle(&a->h, &src, &text, &nevents, &nconsents, e)))
		return rc;
	rc = file_write_atomic(a->fhir, text, strlen(text), 0600, a->force, e);
	cJSON_free(text);
	if (rc)
		return rc;
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "file", a->fhir);
		cJSON_AddNumberToObject(o, "audit_events", (double)nevents);
		cJSON_AddNumberToObject(o, "consents", (double)nconsents);
		text = cJSON_Print(o);
		cJSON_Delete(o);
		if (text)
			puts(text);
		cJSON_free(text);
	} else {
		note("%zu audit event%s and %zu consent%s written to %s as a FHIR R4 collection Bundle",
		     nevents, nevents == 1 ? "" : "s", nconsents, nconsents == 1 ? "" : "s", a->fhir);
	}
	return 0;
}

/* ---- the command ---------------------------------------------------------- */

static void audit_free(struct audit *a)
{
	history_free(&a->h);
	parties_close(a->parties);
	free(a->tokens);
}

/* 'audit verify', with no options of its own, or no operand at all; the
 * options that do not go together. */
static int audit_check(const struct command_call *call)
{
	const struct audit_options *o = call->opts;

	if (call->npos > 1 || (call->npos && strcmp(call->pos[0], "verify")))
		return usage_error("audit", "unexpected argument '%s' (the only subcommand is verify)",
				   call->pos[0]);
	if (call->npos)
		return o->record || o->grant || o->since.given || o->fhir || o->csv || o->force ||
		       o->no_titles || o->wide
		       ? usage_error("audit", "'audit verify' takes no options of its own") : 0;
	if (o->csv && g.json)
		return usage_error("audit", "--csv and --json are two ways to print: choose one");
	if (o->fhir && o->csv)
		return usage_error("audit", "--fhir writes a file: --csv does not go with it");
	if (o->force && !o->fhir)
		return usage_error("audit", "--force replaces the --fhir FILE: give --fhir FILE");
	if (o->fhir && !o->force && access(o->fhir, F_OK) == 0)
		return fail(EHR_EUSAGE, "%s exists (use --force to replace it)", o->fhir);
	return 0;
}

/* The history up to the head, selected, named, titled; then printed or
 * written. */
static int run(struct audit *a, const struct audit_since *since, ehr_err *e)
{
	uint64_t head;
	int rc;

	memcpy(a->me, a->x->s.address, 20);
	if ((rc = chain_head(a->x->c, &head, e)) ||
	    (rc = history_load(&a->h, a->x->c, a->x->registry, a->me, head, e)))
		return rc;
	if (since->relative)
		a->only.since = since->ago < a->h.head_time ? a->h.head_time - since->ago : 0;
	history_select(&a->h, &a->only);
	if ((rc = look_up_names(a, e)))
		return rc;
	look_up_tokens(a);
	if (a->titles && (rc = decrypt_titles(a, e)))
		return rc;
	if (a->h.skipped)
		warn("%zu event%s of the registry did not parse and %s left out", a->h.skipped,
		     a->h.skipped == 1 ? "" : "s", a->h.skipped == 1 ? "is" : "are");
	if (a->fhir)
		rc = write_fhir(a, e);
	else if (g.json)
		rc = print_json(a, e);
	else if (a->csv)
		print_csv(a);
	else
		rc = print_table(a, e);
	if (!rc && fflush(stdout))
		rc = ehr_fail(e, EHR_EFAIL, "cannot write the output: %s", strerror(errno));
	return rc;
}

const struct command_args cmd_audit_args = {
	.opts = audit_opts, .size = sizeof(struct audit_options), .max_pos = -1, .check = audit_check,
};

int cmd_audit(const struct command_call *call)
{
	const struct audit_options *o = call->opts;
	struct audit a;
	ehr_err e = { 0 };
	int rc;

	/* ehr audit verify: what `ehr record verify --all` does, the same code */
	if (call->npos)
		return record_verify(call->x, NULL, 0, true);
	memset(&a, 0, sizeof(a));
	a.x = call->x;
	a.only.only_record = o->record;
	a.only.only_grant = o->grant;
	a.only.since = o->since.at;
	a.only.has_since = o->since.given;
	a.csv = o->csv;
	a.fhir = o->fhir;
	a.force = o->force;
	a.wide = o->wide;
	a.titles = !o->no_titles;
	rc = run(&a, &o->since, &e);
	audit_free(&a);
	return rc ? report(&e) : 0;
}
