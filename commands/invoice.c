/* ehr invoice: a provider bills a patient in a token or the native coin,
 * with a memo only the patient can read; the patient lists and pays, and
 * ehr sets the token allowance the payment needs. Everything that would
 * make the registry refuse a payment (another payer, paid, cancelled,
 * short funds) is refused here first, before anything is signed. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/parties.h"
#include "cli/session.h"
#include "cli/submit.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/chain/abi.h"
#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/registry/invoices.h"
#include "wallet/registry/registry.h"
#include "wallet/registry/token.h"

struct invoice_args {
	const char *patient, *amount, *token, *due, *memo, *memo_file;
	bool native, open;
	struct tx_opts tx;
	/* what the checks found */
	const struct subcommand *sub;
	uint64_t id;                 /* pay, cancel */
	uint8_t patient_addr[20];    /* issue */
	char *memo_buf;              /* issue: --memo-file's text (wiped and freed by done) */
};

static const struct opt invoice_opts[] = {
	{ "patient", 0, "ADDR", OV_NONE, "issue: the patient to bill",
	  OPT_STR(struct invoice_args, patient), .forms = OPT_IN(0), .required = true },
	{ "amount", 0, "AMOUNT", OV_NONE, "issue: how much, in the token's units (25.50)",
	  OPT_STR(struct invoice_args, amount), .forms = OPT_IN(0), .required = true },
	{ "token", 0, "ADDR", OV_TOKEN, "issue: in this ERC-20 ('default': the network's token, the default)",
	  OPT_STR(struct invoice_args, token), .forms = OPT_IN(0), .alt = 1 },
	{ "native", 0, NULL, OV_NONE, "issue: in the native coin",
	  OPT_FLAG(struct invoice_args, native), .forms = OPT_IN(0), .alt = 1 },
	{ "due", 0, "TIME", OV_NONE, "issue: due by a date (2026-12-31) or after a while (30d); informative",
	  OPT_STR(struct invoice_args, due), .forms = OPT_IN(0) },
	{ "memo-file", 0, "FILE", OV_FILE, "issue: a note sealed to the patient (only they can read it), from FILE",
	  OPT_STR(struct invoice_args, memo_file), .forms = OPT_IN(0), .alt = 2 },
	{ "memo", 0, "TEXT", OV_NONE, "issue: the note as an argument (other users see it: prefer --memo-file)",
	  OPT_STR(struct invoice_args, memo), .forms = OPT_IN(0), .alt = 2 },
	{ "open", 0, NULL, OV_NONE, "list: only invoices still open",
	  OPT_FLAG(struct invoice_args, open), .forms = OPT_IN(1) },
	TX_OPTS_IN(struct invoice_args, tx, OPT_IN(0) | OPT_IN(2) | OPT_IN(3)),
	{ 0 }
};

/* An invoice id: a positive decimal. */
/* Tokens' decimals and symbols, asked once per token. A contract that
 * does not answer like an ERC-20 shows base units and "?". */
struct tokens {
	struct token_info *ti;
	size_t n;
};

static int token_lookup(chain *c, struct tokens *tk, const uint8_t token[20], const uint8_t me[20],
			const struct token_info **out, ehr_err *e)
{
	static const uint8_t zero[20];
	struct token_info info, *grown;
	size_t i;
	int rc;

	for (i = 0; i < tk->n; i++)
		if (!memcmp(tk->ti[i].address, token, 20)) {
			*out = &tk->ti[i];
			return 0;
		}
	memset(&info, 0, sizeof(info));
	memcpy(info.address, token, 20);
	if (!memcmp(token, zero, 20)) {
		info.decimals = 18;
		snprintf(info.symbol, sizeof(info.symbol), "%s", chain_symbol(c));
	} else if ((rc = token_info_get(c, token, me, &info, e))) {
		if (rc != EHR_EUSAGE)
			return rc;
		memset(&info, 0, sizeof(info));
		memcpy(info.address, token, 20);
		strcpy(info.symbol, "?");
	}
	if (!(grown = realloc(tk->ti, (tk->n + 1) * sizeof(*grown))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	tk->ti = grown;
	tk->ti[tk->n] = info;
	*out = &tk->ti[tk->n++];
	return 0;
}

static const char *status_text(uint8_t status)
{
	switch (status) {
	case REG_INVOICE_OPEN: return "open";
	case REG_INVOICE_PAID: return "paid";
	case REG_INVOICE_CANCELLED: return "cancelled";
	default: return "unknown";
	}
}

/* ---- invoice issue ----------------------------------------------------------- */

/* --due: a duration from the chain's now ("30d"), else a time. */
static int due_parse(const char *s, uint64_t now, uint64_t *due, ehr_err *e)
{
	uint64_t d;
	int rc;

	if (!duration_parse(s, &d, NULL)) {
		*due = now + d;
		return 0;
	}
	if ((rc = time_parse(s, due, e)))
		return ehr_fail(e, EHR_EUSAGE, "--due '%s' is neither a time (2026-12-31, "
				"\"2026-12-31 17:00\" UTC) nor a duration (30d)", s);
	if (*due <= now)
		return ehr_fail(e, EHR_EUSAGE, "--due %s is not in the future (the chain's time is %llu)", s,
				(unsigned long long)now);
	return 0;
}

/* An invoice on its way to being issued. */
struct bill {
	uint8_t patient[20], token[20];   /* token: all zero for the native coin */
	uint8_t enc_key[32];              /* the patient's: the memo is sealed to it */
	char patient_text[43], who[PARTY_LABEL_MAX], amount_text[AMOUNT_FMT_MAX];
	struct token_info ti;
	u256 amount;
	uint64_t due, id;
	const char *memo;
};

/* The token: --token, the network's default, or none with --native. */
static int bill_token(const struct ctx *x, const struct invoice_args *a, struct bill *b, ehr_err *e)
{
	memset(b->token, 0, 20);
	if (a->native)
		return 0;
	if (a->token && strcmp(a->token, "default"))
		return eip55_parse(a->token, b->token, e);
	if (!x->t.has_token)
		return ehr_fail(e, EHR_EUSAGE, "network %s has no default token: say what the invoice "
				"is in with --token ADDR or --native", x->t.network[0] ? x->t.network : "(none)");
	memcpy(b->token, x->t.token, 20);
	return 0;
}

/* The patient, who must have registered a key; the amount, in the token's
 * units and more than 0; the due time. */
static int bill_check(const struct ctx *x, const struct invoice_args *a, struct bill *b, ehr_err *e)
{
	sealing_key k;
	const registry_account *acct = &k.acct;
	uint64_t now;
	int rc;

	if ((rc = contacts_sealing_key(x->c, x->registry, b->patient, &k, e)))
		return rc;
	eip55_format(b->patient, b->patient_text);
	if (!acct->registered)
		return ehr_fail(e, EHR_EUSAGE, "%s has not registered an encryption key: ask them to run "
				"'ehr register' first (an invoice's memo is sealed to that key)", b->patient_text);
	memcpy(b->enc_key, acct->enc_key, 32);
	party_label(x->c, x->registry, b->patient, b->who, sizeof(b->who));
	memset(&b->ti, 0, sizeof(b->ti));
	if (a->native) {
		b->ti.decimals = 18;
		snprintf(b->ti.symbol, sizeof(b->ti.symbol), "%s", x->t.symbol);
		if ((rc = amount_parse(a->amount, 18, AMOUNT_UNITS, &b->amount, e)))
			return rc;
	} else if ((rc = token_info_get(x->c, b->token, x->s.address, &b->ti, e)) ||
		   (rc = amount_parse(a->amount, b->ti.decimals, 0, &b->amount, e))) {
		return rc;
	}
	if (u256_is_zero(&b->amount))
		return ehr_fail(e, EHR_EUSAGE, "the amount must be more than 0");
	amount_format(&b->amount, b->ti.decimals, b->amount_text, sizeof(b->amount_text));
	if ((rc = chain_block_time(x->c, CHAIN_LATEST, &now, e)) ||
	    (a->due && (rc = due_parse(a->due, now, &b->due, e))))
		return rc;
	return 0;
}

/* Asks, signs and sends the invoice; its id from the receipt (0 with
 * --async). */
static int bill_send(struct ctx *x, const struct invoice_args *a, struct bill *b, uint8_t hash[32],
		     chain_receipt *r, ehr_err *e)
{
	uint8_t *data = NULL, *sealed = NULL;
	size_t sealed_len = 0, i;
	char what[512], due_text[40];
	eth_tx tx;
	int rc;

	memset(&tx, 0, sizeof(tx));
	if ((b->memo && (rc = invoice_memo_seal(b->memo, b->enc_key, &sealed, &sealed_len, e))) ||
	    (rc = invoice_call_issue(b->patient, a->native ? NULL : b->token, &b->amount, b->due, sealed,
				     sealed_len, &data, &tx.data_len, e)))
		goto out;
	if (b->due)
		time_format(b->due, due_text, sizeof(due_text));
	snprintf(what, sizeof(what), "Bill %s %s %s%s%s%s", b->who, b->amount_text, b->ti.symbol,
		 b->due ? ", due " : "", b->due ? due_text : "", b->memo ? ", with a memo sealed to them" : "");
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	tx.data = data;
	if ((rc = tx_submit(x->c, &x->s, &tx, what, &a->tx, hash, r, e)))
		goto out;
	for (i = 0; i < r->n_logs && !b->id; i++) {
		registry_event_data ev;

		if (registry_event_of(&r->logs[i], x->registry) != REG_EV_INVOICE_ISSUED)
			continue;
		if ((rc = registry_decode_event(&r->logs[i], x->registry, &ev, e)))
			goto out;
		b->id = ev.id;
		registry_event_free(&ev);
	}
	if (r->found && !b->id)
		rc = ehr_fail(e, EHR_EINTEGRITY, "the transaction has no InvoiceIssued event");
out:
	free(sealed);
	free(data);
	return rc;
}

static void bill_print(const struct invoice_args *a, const struct bill *b, const uint8_t hash[32],
		       const chain_receipt *r)
{
	cJSON *o = cJSON_CreateObject();
	char tok_text[43];

	if (b->id)
		cJSON_AddNumberToObject(o, "invoice", (double)b->id);
	else
		cJSON_AddNullToObject(o, "invoice");
	cJSON_AddStringToObject(o, "patient", b->patient_text);
	cJSON_AddStringToObject(o, "amount", b->amount_text);
	cJSON_AddStringToObject(o, "symbol", b->ti.symbol);
	if (a->native) {
		cJSON_AddNullToObject(o, "token");
	} else {
		eip55_format(b->token, tok_text);
		cJSON_AddStringToObject(o, "token", tok_text);
	}
	if (b->due)
		cJSON_AddNumberToObject(o, "due", (double)b->due);
	else
		cJSON_AddNullToObject(o, "due");
	cJSON_AddBoolToObject(o, "memo", b->memo != NULL);
	print_tx_result(hash, r, o);
	if (!g.json && b->id)
		printf("invoice %llu: %s %s to %s\n", (unsigned long long)b->id, b->amount_text, b->ti.symbol,
		       b->who);
}

/* The patient and the memo, before the wallet is read. */
static int issue_check(const struct command_call *call)
{
	struct invoice_args *a = call->opts;
	const char *memo;
	size_t len;
	ehr_err e = { 0 };

	if (call->npos)
		return usage_error("invoice", "'invoice issue' takes options only: --patient ADDR --amount AMOUNT");
	if (!a->patient || !a->amount)
		return usage_error("invoice", "say whom to bill and how much: --patient ADDR --amount AMOUNT");
	if (a->token && a->native)
		return usage_error("invoice", "give --token or --native, not both");
	if (a->memo && a->memo_file)
		return usage_error("invoice", "give --memo or --memo-file, not both");
	if (a->memo_file && file_read_text(a->memo_file, INVOICE_MEMO_MAX + 2, "memo", &a->memo_buf, &len, &e))
		return report(&e);
	memo = a->memo_buf ? a->memo_buf : a->memo;
	if (memo && !*memo)
		return fail(EHR_EUSAGE, "the memo is empty");
	return eip55_parse(a->patient, a->patient_addr, &e) ? report(&e) : 0;
}

static int invoice_issue(const struct command_call *call)
{
	const struct invoice_args *a = call->opts;
	struct ctx *x = call->x;
	struct bill b;
	uint8_t hash[32];
	chain_receipt r = { 0 };
	ehr_err e = { 0 };
	int rc;

	memset(&b, 0, sizeof(b));
	memcpy(b.patient, a->patient_addr, 20);
	b.memo = a->memo_buf ? a->memo_buf : a->memo;
	if (!(rc = bill_token(x, a, &b, &e)) && !(rc = bill_check(x, a, &b, &e)) &&
	    !(rc = bill_send(x, a, &b, hash, &r, &e)))
		bill_print(a, &b, hash, &r);
	chain_receipt_free(&r);
	return rc ? report(&e) : 0;
}

/* ---- invoice cancel ---------------------------------------------------------- */

static int invoice_cancel(const struct command_call *call)
{
	const struct invoice_args *a = call->opts;
	struct ctx *x = call->x;
	struct tokens tk = { NULL, 0 };
	const struct token_info *ti;
	invoice_state st;
	uint8_t hash[32], *data = NULL;
	size_t data_len;
	char issuer[43], me[43], who[PARTY_LABEL_MAX], amount_text[AMOUNT_FMT_MAX], what[512];
	chain_receipt r = { 0 };
	uint64_t id = a->id;
	eth_tx tx;
	ehr_err e = { 0 };
	int rc;

	if ((rc = invoice_of(x->c, x->registry, id, &st, &e)))
		goto out;
	if (!st.exists) {
		rc = ehr_fail(&e, EHR_EFAIL, "there is no invoice %llu", (unsigned long long)id);
		goto out;
	}
	eip55_format(st.issuer, issuer);
	eip55_format(x->s.address, me);
	if (memcmp(st.issuer, x->s.address, 20)) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu was issued by %s, not by this account (%s): "
			      "only its issuer can cancel it", (unsigned long long)id, issuer, me);
		goto out;
	}
	if (st.status == REG_INVOICE_PAID) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu is already paid: it can no longer be cancelled",
			      (unsigned long long)id);
		goto out;
	}
	if (st.status == REG_INVOICE_CANCELLED) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu is already cancelled", (unsigned long long)id);
		goto out;
	}
	if ((rc = token_lookup(x->c, &tk, st.token, x->s.address, &ti, &e)) ||
	    (rc = invoice_call_cancel(id, &data, &data_len, &e)))
		goto out;
	amount_format(&st.amount, ti->decimals, amount_text, sizeof(amount_text));
	party_label(x->c, x->registry, st.patient, who, sizeof(who));
	snprintf(what, sizeof(what), "Cancel invoice %llu (%s %s to %s)", (unsigned long long)id, amount_text,
		 ti->symbol, who);
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	tx.data = data;
	tx.data_len = data_len;
	if ((rc = tx_submit(x->c, &x->s, &tx, what, &a->tx, hash, &r, &e)))
		goto out;
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "invoice", (double)id);
		print_tx_result(hash, &r, o);
	}
	note("invoice %llu cancelled: it can no longer be paid", (unsigned long long)id);
out:
	free(data);
	free(tk.ti);
	chain_receipt_free(&r);
	return rc ? report(&e) : 0;
}

/* ---- invoice list ------------------------------------------------------------ */

/* Opens v's memo for the patient; NULL when there is none or it is not
 * for this account (*sealed then says whether there was one). */
static char *memo_text(const invoice_view *v, const struct signer *s, bool *sealed)
{
	char *text = NULL;

	*sealed = v->memo_len > 0;
	if (!v->memo_len || !s->keys || memcmp(v->st.patient, s->address, 20))
		return NULL;
	if (invoice_memo_open(v->memo, v->memo_len, s->keys->enc_public, s->keys->enc_secret, &text, NULL))
		return NULL;
	*sealed = false;
	return text;
}

/* For each of the n invoices, whether it is addressed to this account by
 * an address it never dealt with (invoice_issuers_known): anyone may bill
 * anyone, so such an invoice is listed apart. */
static int mark_strangers(const struct ctx *x, const invoice_view *v, size_t n, bool *stranger,
			  ehr_err *e)
{
	uint8_t (*issuers)[20] = calloc(n ? n : 1, 20);
	int *known = calloc(n ? n : 1, sizeof(*known));
	size_t i, j, m = 0;
	int rc = 0;

	if (!issuers || !known) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (memcmp(v[i].st.patient, x->s.address, 20) || !memcmp(v[i].st.issuer, x->s.address, 20))
			continue;
		for (j = 0; j < m && memcmp(issuers[j], v[i].st.issuer, 20); j++)
			;
		if (j == m)
			memcpy(issuers[m++], v[i].st.issuer, 20);
	}
	if ((rc = invoice_issuers_known(x->c, x->registry, x->s.address, (const uint8_t (*)[20])issuers, m,
					known, e)))
		goto out;
	for (i = 0; i < n; i++) {
		stranger[i] = false;
		for (j = 0; j < m; j++)
			if (!memcmp(issuers[j], v[i].st.issuer, 20) && !memcmp(v[i].st.patient, x->s.address, 20))
				stranger[i] = !known[j];
	}
out:
	free(issuers);
	free(known);
	return rc;
}

/* What invoice list shows, as it goes. */
struct listing {
	struct ctx *x;
	struct tokens tk;
	struct parties *ps;     /* names (cli/parties.h) */
	cJSON *arr;             /* --json: the document */
	size_t shown;           /* rows in the current section */
};

static cJSON *invoice_json(const invoice_view *iv, const struct token_info *ti, struct parties *ps,
			   const char *amount_text, const char *memo, bool sealed, bool to_me, bool stranger)
{
	cJSON *o = cJSON_CreateObject();
	char buf[67], base[U256_DEC_MAX];

	cJSON_AddNumberToObject(o, "invoice", (double)iv->id);
	cJSON_AddStringToObject(o, "status", status_text(iv->st.status));
	cJSON_AddStringToObject(o, "role", to_me ? "patient" : "issuer");
	eip55_format(iv->st.issuer, buf);
	cJSON_AddStringToObject(o, "issuer", buf);
	if (to_me)
		cJSON_AddBoolToObject(o, "issuer_known", !stranger);
	else
		cJSON_AddNullToObject(o, "issuer_known");
	eip55_format(iv->st.patient, buf);
	cJSON_AddStringToObject(o, "patient", buf);
	parties_json(ps, to_me ? iv->st.issuer : iv->st.patient, o, to_me ? "issuer_name" : "patient_name");
	cJSON_AddStringToObject(o, "amount", amount_text);
	u256_format_dec(&iv->st.amount, base);
	cJSON_AddStringToObject(o, "amount_base_units", base);
	cJSON_AddStringToObject(o, "symbol", ti->symbol);
	cJSON_AddNumberToObject(o, "decimals", ti->decimals);
	eip55_format(iv->st.token, buf);
	if (invoice_is_native(&iv->st))
		cJSON_AddNullToObject(o, "token");
	else
		cJSON_AddStringToObject(o, "token", buf);
	if (iv->st.due)
		cJSON_AddNumberToObject(o, "due", (double)iv->st.due);
	else
		cJSON_AddNullToObject(o, "due");
	if (memo)
		cJSON_AddStringToObject(o, "memo", memo);
	else
		cJSON_AddNullToObject(o, "memo");
	cJSON_AddBoolToObject(o, "memo_sealed", sealed);
	cJSON_AddNumberToObject(o, "issued", (double)iv->issued_time);
	cJSON_AddNumberToObject(o, "issued_block", (double)iv->st.issued_block);
	hex_encode0x(iv->issued_tx, 32, buf);
	cJSON_AddStringToObject(o, "issued_tx", buf);
	hex_encode0x(iv->settled_tx, 32, buf);
	if (iv->settled_block)
		cJSON_AddStringToObject(o, "settled_tx", buf);
	else
		cJSON_AddNullToObject(o, "settled_tx");
	return o;
}

/* One invoice: a row of the table (its header first in a section), or an
 * element of the JSON document. */
static int list_one(struct listing *ls, const invoice_view *iv, bool stranger, ehr_err *e)
{
	const struct token_info *ti;
	bool to_me = !memcmp(iv->st.patient, ls->x->s.address, 20), sealed;
	char amount_text[AMOUNT_FMT_MAX], due_text[40], amt[AMOUNT_FMT_MAX + 40], who[PARTY_LABEL_MAX], *memo;
	int rc;

	if ((rc = token_lookup(ls->x->c, &ls->tk, iv->st.token, ls->x->s.address, &ti, e)))
		return rc;
	amount_format(&iv->st.amount, ti->decimals, amount_text, sizeof(amount_text));
	parties_label(ls->ps, to_me ? iv->st.issuer : iv->st.patient, who, sizeof(who));
	memo = memo_text(iv, &ls->x->s, &sealed);
	if (ls->arr) {
		cJSON_AddItemToArray(ls->arr, invoice_json(iv, ti, ls->ps, amount_text, memo, sealed, to_me, stranger));
	} else {
		if (!ls->shown)
			printf("%-7s %-9s %22s  %-20s  %s\n", "INVOICE", "STATUS", "AMOUNT", "DUE", "FROM / TO");
		strcpy(due_text, "-");
		if (iv->st.due)
			time_format(iv->st.due, due_text, sizeof(due_text));
		snprintf(amt, sizeof(amt), "%s %s", amount_text, ti->symbol);
		printf("%-7llu %-9s %22s  %-20s  %s %s\n", (unsigned long long)iv->id,
		       status_text(iv->st.status), amt, due_text, to_me ? "from" : "to", who);
		if (memo)
			printf("        memo: %s\n", memo);
		else if (sealed)
			printf("        memo: (sealed to the patient)\n");
	}
	ls->shown++;
	if (memo) {
		sodium_memzero(memo, strlen(memo));
		free(memo);
	}
	return 0;
}

/* The invoices to and from this account; those from addresses it never
 * dealt with in a section of their own (a JSON field: issuer_known). */
static int invoice_list(const struct command_call *call)
{
	const struct invoice_args *a = call->opts;
	struct ctx *x = call->x;
	struct listing ls;
	invoice_view *v = NULL;
	bool unlock = false, *stranger = NULL;
	size_t n = 0, i, total = 0;
	ehr_err e = { 0 };
	int rc, pass;

	memset(&ls, 0, sizeof(ls));
	ls.x = x;
	if ((rc = parties_open(&ls.ps, x->c, x->registry, &e)) ||
	    (rc = invoices_of(x->c, x->registry, x->s.address, INVOICES_TO | INVOICES_BY, &v, &n, &e)))
		goto out;
	if (!(stranger = calloc(n ? n : 1, sizeof(*stranger)))) {
		rc = ehr_fail(&e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = mark_strangers(x, v, n, stranger, &e)))
		goto out;
	/* the passphrase only when there is a memo this account can open */
	for (i = 0; i < n && !unlock; i++)
		unlock = v[i].memo_len && !memcmp(v[i].st.patient, x->s.address, 20) &&
			 (!a->open || v[i].st.status == REG_INVOICE_OPEN);
	if (unlock && (rc = signer_unlock(&x->s, &e)))
		goto out;
	if (g.json)
		ls.arr = cJSON_CreateArray();
	for (pass = 0; pass < (g.json ? 1 : 2); pass++) {
		ls.shown = 0;
		for (i = 0; i < n && !rc; i++) {
			if ((a->open && v[i].st.status != REG_INVOICE_OPEN) || (!g.json && stranger[i] != pass))
				continue;
			if (pass && !ls.shown)
				printf("%sFrom addresses this account never dealt with (no grant to them, no record "
				       "from them, no invoice of theirs paid):\nanyone can send an invoice; pay only "
				       "what you expect.\n", total ? "\n" : "");
			rc = list_one(&ls, &v[i], stranger[i], &e);
		}
		total += ls.shown;
	}
	if (!rc && ls.arr) {
		output_json(ls.arr);
		ls.arr = NULL;
	}
	if (!rc && !total && !g.json)
		note("no invoices%s", a->open ? " open" : "");
out:
	cJSON_Delete(ls.arr);
	invoices_free(v, n);
	free(stranger);
	free(ls.tk.ti);
	parties_close(ls.ps);
	return rc ? report(&e) : 0;
}

/* ---- invoice pay ------------------------------------------------------------- */

/* What is about to be paid, on stderr: also with --json (stdout stays the
 * document), not with -q. */
static void show(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void show(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* What is said of an invoice from an address this account never dealt
 * with, before paying it. */
#define STRANGER_NOTE "this account never dealt with the issuer (no grant to it, no record from it, " \
	"no invoice of its paid): anyone can send an invoice; pay only what you expect"

/* An invoice on its way to being paid. */
struct payment {
	uint64_t id;
	invoice_view v;
	struct token_info ti;       /* the token's, or the native coin's */
	bool native, approve;       /* approve: the allowance must be raised first */
	bool stranger;              /* from an address this account never dealt with */
	char amount[AMOUNT_FMT_MAX], issuer[43], who[PARTY_LABEL_MAX], name[REG_NAME_MAX + 1];
	eth_tx txs[2];              /* [0] the approve, [1] the payment */
	uint8_t *data[2];
	uint8_t hashes[2][32];
	chain_receipt r[2];
};

/* Refuses what the registry would: an invoice for another account, or one
 * paid or cancelled. */
static int pay_check_state(const struct ctx *x, const struct payment *pm, ehr_err *e)
{
	char me[43], patient[43];

	eip55_format(x->s.address, me);
	eip55_format(pm->v.st.patient, patient);
	if (memcmp(pm->v.st.patient, x->s.address, 20))
		return ehr_fail(e, EHR_ECHAIN, "invoice %llu is addressed to %s, not to this account (%s): "
				"nothing was paid", (unsigned long long)pm->id, patient, me);
	if (pm->v.st.status == REG_INVOICE_PAID)
		return ehr_fail(e, EHR_ECHAIN, "invoice %llu is already paid: nothing was paid again",
				(unsigned long long)pm->id);
	if (pm->v.st.status == REG_INVOICE_CANCELLED)
		return ehr_fail(e, EHR_ECHAIN, "invoice %llu was cancelled by its issuer: it cannot be paid",
				(unsigned long long)pm->id);
	return 0;
}

/* Whether the issuer is someone this account dealt with before
 * (invoice_issuers_known): anyone may bill anyone. */
static int pay_check_issuer(const struct ctx *x, struct payment *pm, ehr_err *e)
{
	int known = 1, rc;

	if (memcmp(pm->v.st.issuer, x->s.address, 20) &&
	    (rc = invoice_issuers_known(x->c, x->registry, x->s.address,
					(const uint8_t (*)[20])pm->v.st.issuer, 1, &known, e)))
		return rc;
	pm->stranger = !known;
	return 0;
}

/* The token (or coin) and this account's funds in it, which must cover
 * the amount; names the issuer. */
static int pay_check_funds(const struct ctx *x, struct payment *pm, ehr_err *e)
{
	char have_text[AMOUNT_FMT_MAX];
	struct parties *ps;
	bool is_contact;
	u256 have;
	int rc;

	pm->native = invoice_is_native(&pm->v.st);
	memset(&pm->ti, 0, sizeof(pm->ti));
	if (pm->native) {
		uint8_t be[32];

		pm->ti.decimals = 18;
		snprintf(pm->ti.symbol, sizeof(pm->ti.symbol), "%s", x->t.symbol);
		if ((rc = rpc_get_balance(chain_rpc(x->c), x->s.address, "pending", be, e)))
			return rc;
		u256_from_be(&have, be, 32);
	} else {
		if ((rc = token_info_get(x->c, pm->v.st.token, x->s.address, &pm->ti, e)))
			return rc;
		have = pm->ti.balance;
	}
	amount_format(&pm->v.st.amount, pm->ti.decimals, pm->amount, sizeof(pm->amount));
	if (u256_cmp(&have, &pm->v.st.amount) < 0) {
		amount_format(&have, pm->ti.decimals, have_text, sizeof(have_text));
		return ehr_fail(e, EHR_ECHAIN, "insufficient funds: this account has %s %s, invoice %llu is for "
				"%s %s%s: nothing was paid", have_text, pm->ti.symbol, (unsigned long long)pm->id,
				pm->amount, pm->ti.symbol, pm->native ? " and the fee" : "");
	}
	eip55_format(pm->v.st.issuer, pm->issuer);
	if ((rc = parties_open(&ps, x->c, x->registry, e)))
		return rc;
	parties_label(ps, pm->v.st.issuer, pm->who, sizeof(pm->who));
	snprintf(pm->name, sizeof(pm->name), "%s", parties_name(ps, pm->v.st.issuer, &is_contact));
	parties_close(ps);
	return 0;
}

/* What is paid to whom, the memo included: the patient's to read. */
static int pay_show(struct ctx *x, const struct payment *pm, ehr_err *e)
{
	char due_text[40], *memo;
	bool sealed;
	int rc;

	if (pm->v.memo_len && (rc = signer_unlock(&x->s, e)))
		return rc;
	memo = memo_text(&pm->v, &x->s, &sealed);
	show("invoice %llu from %s", (unsigned long long)pm->id, pm->who);
	if (pm->stranger)
		show("note    %s", STRANGER_NOTE);
	show("amount  %s %s%s", pm->amount, pm->ti.symbol, pm->native ? " (native coin)" : "");
	if (pm->v.st.due) {
		time_format(pm->v.st.due, due_text, sizeof(due_text));
		show("due     %s", due_text);
	}
	if (memo)
		show("memo    %s", memo);
	else if (sealed)
		show("memo    (cannot be opened with this account's key)");
	if (memo) {
		sodium_memzero(memo, strlen(memo));
		free(memo);
	}
	return 0;
}

/* The payment, and before it the approve when the registry may not yet
 * take enough of the token (both gases given then: pay's cannot be
 * estimated before the approve is mined). */
static int pay_build(const struct ctx *x, struct payment *pm, ehr_err *e)
{
	eth_tx *pay = &pm->txs[1], *approve = &pm->txs[0];
	u256 allowance;
	int rc;

	if ((rc = invoice_call_pay(pm->id, &pm->data[1], &pay->data_len, e)))
		return rc;
	pay->has_to = 1;
	memcpy(pay->to, x->registry, 20);
	pay->data = pm->data[1];
	if (pm->native) {
		pay->value = pm->v.st.amount;
		return 0;
	}
	if ((rc = erc20_allowance(x->c, pm->v.st.token, x->s.address, x->registry, &allowance, e)))
		return rc;
	if (!(pm->approve = u256_cmp(&allowance, &pm->v.st.amount) < 0))
		return 0;
	if ((rc = invoice_token_pay_gas(x->c, x->registry, &pm->v.st, x->s.address, &approve->gas, &pay->gas, e)) ||
	    (rc = erc20_call_approve(x->registry, &pm->v.st.amount, &pm->data[0], &approve->data_len, e)))
		return rc;
	approve->has_to = 1;
	memcpy(approve->to, pm->v.st.token, 20);
	approve->data = pm->data[0];
	return 0;
}

/* --sign-only of a token invoice: payWithPermit with the patient's
 * EIP-2612 permit for exactly the amount, valid as long as the intent, so
 * the relayed call moves the tokens in its one transaction (no approve,
 * which the patient would have to send and pay for). */
static int pay_build_permit(struct ctx *x, struct payment *pm, ehr_err *e)
{
	eth_tx *pay = &pm->txs[1];
	uint64_t deadline = tx_sign_only_deadline();
	uint8_t digest[32], sig[65];
	int rc;

	if ((rc = erc20_permit_digest(x->c, pm->v.st.token, x->s.address, x->registry, &pm->v.st.amount,
				      deadline, digest, e)) ||
	    (rc = signer_sign_digest(&x->s, digest, sig, e)) ||
	    (rc = invoice_call_pay_with_permit(pm->id, deadline, sig, &pm->data[1], &pay->data_len, e)))
		return rc;
	pay->has_to = 1;
	memcpy(pay->to, x->registry, 20);
	pay->data = pm->data[1];
	pm->approve = false;
	return 0;
}

/* Asks, signs and sends the payment (with its approve, in one batch with
 * one confirmation and the fee of both). */
static int pay_send(struct ctx *x, struct payment *pm, const struct tx_opts *o, ehr_err *e)
{
	char what[640];
	const char *whom = pm->stranger ? " (an address this account never dealt with)" : "";

	if (pm->approve) {
		snprintf(what, sizeof(what), "Allow the registry to take %s %s, and pay invoice %llu: %s %s to %s%s",
			 pm->amount, pm->ti.symbol, (unsigned long long)pm->id, pm->amount, pm->ti.symbol, pm->who,
			 whom);
		return tx_submit_many_with(x->c, &x->s, pm->txs, 2, CHAIN_KEEP_GAS, what, o, pm->hashes,
					   pm->r, e);
	}
	snprintf(what, sizeof(what), "Pay invoice %llu: %s %s to %s%s", (unsigned long long)pm->id, pm->amount,
		 pm->ti.symbol, pm->who, whom);
	return tx_submit(x->c, &x->s, &pm->txs[1], what, o, pm->hashes[1], &pm->r[1], e);
}

static void pay_print(const struct payment *pm)
{
	cJSON *o = cJSON_CreateObject();
	char h[67], tok[43];

	cJSON_AddNumberToObject(o, "invoice", (double)pm->id);
	cJSON_AddStringToObject(o, "to", pm->issuer);
	cJSON_AddStringToObject(o, "name", pm->name);
	cJSON_AddBoolToObject(o, "issuer_known", !pm->stranger);
	cJSON_AddStringToObject(o, "amount", pm->amount);
	cJSON_AddStringToObject(o, "symbol", pm->ti.symbol);
	if (pm->native) {
		cJSON_AddNullToObject(o, "token");
	} else {
		eip55_format(pm->v.st.token, tok);
		cJSON_AddStringToObject(o, "token", tok);
	}
	if (pm->approve) {
		hex_encode0x(pm->hashes[0], 32, h);
		cJSON_AddStringToObject(o, "approve_tx", h);
	} else {
		cJSON_AddNullToObject(o, "approve_tx");
	}
	print_tx_result(pm->hashes[1], &pm->r[1], o);
	if (pm->r[1].found)
		note("invoice %llu paid: %s %s to %s", (unsigned long long)pm->id, pm->amount, pm->ti.symbol,
		     pm->who);
}

static int invoice_pay(const struct command_call *call)
{
	const struct invoice_args *a = call->opts;
	struct ctx *x = call->x;
	struct payment pm = { .id = a->id };
	ehr_err e = { 0 };
	int rc;

	if (!(rc = invoice_get(x->c, x->registry, pm.id, &pm.v, &e)) &&
	    !(rc = pay_check_state(x, &pm, &e)) && !(rc = pay_check_funds(x, &pm, &e)) &&
	    !(rc = pay_check_issuer(x, &pm, &e)) &&
	    !(rc = pay_show(x, &pm, &e)) &&
	    !(rc = a->tx.sign_only && !pm.native ? pay_build_permit(x, &pm, &e) : pay_build(x, &pm, &e)) &&
	    !(rc = pay_send(x, &pm, &a->tx, &e)))
		pay_print(&pm);
	free(pm.data[0]);
	free(pm.data[1]);
	chain_receipt_free(&pm.r[0]);
	chain_receipt_free(&pm.r[1]);
	free(pm.v.memo);
	return rc ? report(&e) : 0;
}

/* One invoice id into a->id. */
static int one_id(const struct command_call *call)
{
	struct invoice_args *a = call->opts;

	if (call->npos != 1 || opt_id(call->pos[0], &a->id))
		return usage_error("invoice", "give one invoice id: ehr invoice %s ID", call->pos[-1]);
	return 0;
}

static int no_operands(const struct command_call *call)
{
	return call->npos ? usage_error("invoice", "'invoice list' takes no arguments") : 0;
}

static const struct subcommand invoice_subs[] = {
	{ "issue", issue_check, invoice_issue },
	{ "list", no_operands, invoice_list },
	{ "pay", one_id, invoice_pay },
	{ "cancel", one_id, invoice_cancel },
	{ NULL, NULL, NULL }
};

/* The options that go with one subcommand only, then the subcommand. */
static int invoice_check(const struct command_call *call)
{
	struct invoice_args *a = call->opts;
	const char *sub = call->pos[0];

	if (strcmp(sub, "issue") && (a->patient || a->amount || a->token || a->native || a->due || a->memo ||
				     a->memo_file))
		return usage_error("invoice", "--patient, --amount, --token, --native, --due and --memo "
				   "go with 'invoice issue'");
	if (strcmp(sub, "list") && a->open)
		return usage_error("invoice", "--open goes with 'invoice list'");
	if (!(a->sub = subcommand_find(invoice_subs, sub)))
		return usage_error("invoice", "unknown subcommand '%s': issue, list, pay or cancel", sub);
	return subcommand_check(a->sub, call);
}

static void invoice_done(void *opts)
{
	struct invoice_args *a = opts;

	if (a->memo_buf) {
		sodium_memzero(a->memo_buf, strlen(a->memo_buf));
		free(a->memo_buf);
	}
}

static const struct invoice_args invoice_defaults = { .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_invoice_args = {
	.opts = invoice_opts, .size = sizeof(invoice_defaults), .defaults = &invoice_defaults,
	.min_pos = 1, .max_pos = -1, .wrong_count = "say what to do: issue, list, pay or cancel",
	.check = invoice_check, .done = invoice_done,
};

int cmd_invoice(const struct command_call *call)
{
	return subcommand_run(((const struct invoice_args *)call->opts)->sub, call);
}
