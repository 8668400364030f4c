/* ehr invoice: a provider bills a patient in a token or the native coin,
 * with a memo only the patient can read; the patient lists and pays, and
 * ehr sets the token allowance the payment needs. Everything that would
 * make the registry refuse a payment (another payer, paid, cancelled,
 * short funds) is refused here first, before anything is signed. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"
#include "cli/submit.h"
#include "cli/token.h"

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
#include "wallet/registry/grants.h"
#include "wallet/base/hex.h"
#include "wallet/registry/invoices.h"
#include "wallet/registry/registry.h"

struct invoice_args {
	const char *patient, *amount, *token, *due, *memo, *memo_file;
	bool native, open;
	struct tx_opts tx;
};

const struct opt cmd_invoice_opts[] = {
	{ "patient", 0, "ADDR", OV_NONE, "issue: the patient to bill",
	  OPT_STR(struct invoice_args, patient) },
	{ "amount", 0, "AMOUNT", OV_NONE, "issue: how much, in the token's units (25.50)",
	  OPT_STR(struct invoice_args, amount) },
	{ "token", 0, "ADDR", OV_TOKEN, "issue: in this ERC-20 ('default': the network's token, the default)",
	  OPT_STR(struct invoice_args, token) },
	{ "native", 0, NULL, OV_NONE, "issue: in the native coin",
	  OPT_FLAG(struct invoice_args, native) },
	{ "due", 0, "TIME", OV_NONE, "issue: due by a date (2026-12-31) or after a while (30d); informative",
	  OPT_STR(struct invoice_args, due) },
	{ "memo", 0, "TEXT", OV_NONE, "issue: a note sealed to the patient (only they can read it)",
	  OPT_STR(struct invoice_args, memo) },
	{ "memo-file", 0, "FILE", OV_FILE, "issue: the memo from a file (kept out of the process list)",
	  OPT_STR(struct invoice_args, memo_file) },
	{ "open", 0, NULL, OV_NONE, "list: only invoices still open",
	  OPT_FLAG(struct invoice_args, open) },
	TX_OPTS(struct invoice_args, tx),
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

/* "Dr. Doc (0xABC...)": a name is the account's own claim, so the address
 * always goes with it. */
static void party_text(chain *c, const uint8_t registry[20], const uint8_t addr[20], char *out,
		       size_t cap, char *name_out, size_t name_cap)
{
	registry_account acct;
	char a[43];
	const char *name = "unregistered";

	eip55_format(addr, a);
	if (!registry_account_of(c, registry, addr, &acct, NULL) && acct.registered)
		name = acct.name[0] ? acct.name : "unnamed";
	snprintf(out, cap, "%s (%s)", name, a);
	if (name_out)
		snprintf(name_out, name_cap, "%s", name);
}

/* party_text, asked once per account (a provider's list names the same
 * patients again and again). */
struct party {
	uint8_t addr[20];
	char text[REG_NAME_MAX + 64];
	char name[REG_NAME_MAX + 1];
};

struct parties {
	struct party *p;
	size_t n;
};

static const struct party *party_lookup(chain *c, const uint8_t registry[20], struct parties *ps,
					const uint8_t addr[20])
{
	static struct party fallback;
	struct party *grown;
	size_t i;

	for (i = 0; i < ps->n; i++)
		if (!memcmp(ps->p[i].addr, addr, 20))
			return &ps->p[i];
	if (!(grown = realloc(ps->p, (ps->n + 1) * sizeof(*grown)))) {
		memcpy(fallback.addr, addr, 20);
		party_text(c, registry, addr, fallback.text, sizeof(fallback.text), fallback.name,
			   sizeof(fallback.name));
		return &fallback;
	}
	ps->p = grown;
	memcpy(ps->p[ps->n].addr, addr, 20);
	party_text(c, registry, addr, ps->p[ps->n].text, sizeof(ps->p[ps->n].text), ps->p[ps->n].name,
		   sizeof(ps->p[ps->n].name));
	return &ps->p[ps->n++];
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

static int read_memo_file(const char *path, char **memo, ehr_err *e)
{
	size_t len;
	int rc;

	if ((rc = file_read_all(path, INVOICE_MEMO_MAX + 2, memo, &len, e)))
		return rc;
	while (len && ((*memo)[len - 1] == '\n' || (*memo)[len - 1] == '\r'))
		(*memo)[--len] = '\0';
	if (strlen(*memo) != len)
		return ehr_fail(e, EHR_EUSAGE, "%s holds a NUL byte: the memo is text", path);
	return 0;
}

static int invoice_issue(struct invoice_args *a, int npos)
{
	struct ctx x;
	struct token_info info, *ti = &info;
	registry_account acct;
	uint8_t patient[20], token[20], hash[32], *data = NULL, *sealed = NULL;
	size_t data_len, sealed_len = 0;
	char who[REG_NAME_MAX + 64], patient_text[43], amount_text[AMOUNT_FMT_MAX], what[512], due_text[40];
	char *memo_buf = NULL;
	const char *memo = a->memo;
	uint64_t now, due = 0, id = 0;
	chain_receipt r = { 0 };
	eth_tx tx;
	u256 amount;
	ehr_err e = { 0 };
	size_t i;
	int rc;

	memset(&x, 0, sizeof(x));
	if (npos)
		return usage_error("invoice", "'invoice issue' takes options only: --patient ADDR --amount AMOUNT");
	if (!a->patient || !a->amount)
		return usage_error("invoice", "say whom to bill and how much: --patient ADDR --amount AMOUNT");
	if (a->token && a->native)
		return usage_error("invoice", "give --token or --native, not both");
	if (a->memo && a->memo_file)
		return usage_error("invoice", "give --memo or --memo-file, not both");
	if (a->memo_file && (rc = read_memo_file(a->memo_file, &memo_buf, &e)))
		goto out;
	if (memo_buf)
		memo = memo_buf;
	if (memo && !*memo) {
		rc = ehr_fail(&e, EHR_EUSAGE, "the memo is empty");
		goto out;
	}
	if ((rc = eip55_parse(a->patient, patient, &e)) || (rc = ctx_open(&x, &e)))
		goto out;
	if (!a->native) {
		if (!a->token || !strcmp(a->token, "default")) {
			if (!x.t.has_token) {
				rc = ehr_fail(&e, EHR_EUSAGE, "network %s has no default token: say what the invoice "
					      "is in with --token ADDR or --native",
					      x.t.network[0] ? x.t.network : "(none)");
				goto out;
			}
			memcpy(token, x.t.token, 20);
		} else if ((rc = eip55_parse(a->token, token, &e))) {
			goto out;
		}
	} else {
		memset(token, 0, 20);
	}
	if ((rc = registry_account_of(x.c, x.registry, patient, &acct, &e)))
		goto out;
	eip55_format(patient, patient_text);
	if (!acct.registered) {
		rc = ehr_fail(&e, EHR_EUSAGE, "%s has not registered an encryption key: ask them to run "
			      "'ehr register' first (an invoice's memo is sealed to that key)", patient_text);
		goto out;
	}
	snprintf(who, sizeof(who), "%s (%s)", acct.name[0] ? acct.name : "unnamed", patient_text);
	memset(&info, 0, sizeof(info));
	if (a->native) {
		info.decimals = 18;
		snprintf(info.symbol, sizeof(info.symbol), "%s", x.t.symbol);
		if ((rc = amount_parse(a->amount, 18, AMOUNT_UNITS, &amount, &e)))
			goto out;
	} else if ((rc = token_info_get(x.c, token, x.s.address, &info, &e)) ||
		   (rc = amount_parse(a->amount, info.decimals, 0, &amount, &e))) {
		goto out;
	}
	if (u256_is_zero(&amount)) {
		rc = ehr_fail(&e, EHR_EUSAGE, "the amount must be more than 0");
		goto out;
	}
	if ((rc = chain_block_time(x.c, CHAIN_LATEST, &now, &e)) ||
	    (a->due && (rc = due_parse(a->due, now, &due, &e))))
		goto out;
	if (memo && (rc = invoice_memo_seal(memo, acct.enc_key, &sealed, &sealed_len, &e)))
		goto out;
	if ((rc = invoice_call_issue(patient, a->native ? NULL : token, &amount, due, sealed, sealed_len,
				     &data, &data_len, &e)))
		goto out;
	amount_format(&amount, ti->decimals, amount_text, sizeof(amount_text));
	if (due)
		time_format(due, due_text, sizeof(due_text));
	snprintf(what, sizeof(what), "Bill %s %s %s%s%s%s", who, amount_text, ti->symbol,
		 due ? ", due " : "", due ? due_text : "", memo ? ", with a memo sealed to them" : "");
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x.registry, 20);
	tx.data = data;
	tx.data_len = data_len;
	if ((rc = tx_submit(x.c, &x.s, &tx, what, &a->tx, hash, &r, &e)))
		goto out;
	for (i = 0; i < r.n_logs && !id; i++) {
		registry_event_data ev;

		if (registry_event_of(&r.logs[i], x.registry) != REG_EV_INVOICE_ISSUED)
			continue;
		if ((rc = registry_decode_event(&r.logs[i], x.registry, &ev, &e)))
			goto out;
		id = ev.id;
		registry_event_free(&ev);
	}
	if (r.found && !id) {
		rc = ehr_fail(&e, EHR_EINTEGRITY, "the transaction has no InvoiceIssued event");
		goto out;
	}
	{
		cJSON *o = cJSON_CreateObject();
		char tok_text[43];

		if (id)
			cJSON_AddNumberToObject(o, "invoice", (double)id);
		else
			cJSON_AddNullToObject(o, "invoice");
		cJSON_AddStringToObject(o, "patient", patient_text);
		cJSON_AddStringToObject(o, "amount", amount_text);
		cJSON_AddStringToObject(o, "symbol", ti->symbol);
		if (a->native) {
			cJSON_AddNullToObject(o, "token");
		} else {
			eip55_format(token, tok_text);
			cJSON_AddStringToObject(o, "token", tok_text);
		}
		if (due)
			cJSON_AddNumberToObject(o, "due", (double)due);
		else
			cJSON_AddNullToObject(o, "due");
		cJSON_AddBoolToObject(o, "memo", memo != NULL);
		print_tx_result(hash, &r, o);
	}
	if (!g.json && id)
		printf("invoice %llu: %s %s to %s\n", (unsigned long long)id, amount_text, ti->symbol, who);
out:
	if (memo_buf) {
		sodium_memzero(memo_buf, strlen(memo_buf));
		free(memo_buf);
	}
	free(sealed);
	free(data);
	chain_receipt_free(&r);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

/* ---- invoice cancel ---------------------------------------------------------- */

static int invoice_cancel(struct invoice_args *a, int npos, char **pos)
{
	struct ctx x;
	struct tokens tk = { NULL, 0 };
	const struct token_info *ti;
	invoice_state st;
	uint8_t hash[32], *data = NULL;
	size_t data_len;
	char issuer[43], me[43], who[REG_NAME_MAX + 64], amount_text[AMOUNT_FMT_MAX], what[512];
	chain_receipt r = { 0 };
	uint64_t id;
	eth_tx tx;
	ehr_err e = { 0 };
	int rc;

	memset(&x, 0, sizeof(x));
	if (npos != 1 || opt_id(pos[0], &id))
		return usage_error("invoice", "give one invoice id: ehr invoice cancel ID");
	if ((rc = ctx_open(&x, &e)) || (rc = invoice_of(x.c, x.registry, id, &st, &e)))
		goto out;
	if (!st.exists) {
		rc = ehr_fail(&e, EHR_EFAIL, "there is no invoice %llu", (unsigned long long)id);
		goto out;
	}
	eip55_format(st.issuer, issuer);
	eip55_format(x.s.address, me);
	if (memcmp(st.issuer, x.s.address, 20)) {
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
	if ((rc = token_lookup(x.c, &tk, st.token, x.s.address, &ti, &e)) ||
	    (rc = invoice_call_cancel(id, &data, &data_len, &e)))
		goto out;
	amount_format(&st.amount, ti->decimals, amount_text, sizeof(amount_text));
	party_text(x.c, x.registry, st.patient, who, sizeof(who), NULL, 0);
	snprintf(what, sizeof(what), "Cancel invoice %llu (%s %s to %s)", (unsigned long long)id, amount_text,
		 ti->symbol, who);
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x.registry, 20);
	tx.data = data;
	tx.data_len = data_len;
	if ((rc = tx_submit(x.c, &x.s, &tx, what, &a->tx, hash, &r, &e)))
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
	ctx_close(&x);
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

static int invoice_list(struct invoice_args *a, int npos)
{
	struct ctx x;
	struct tokens tk = { NULL, 0 };
	struct parties ps = { NULL, 0 };
	invoice_view *v = NULL;
	cJSON *arr = NULL;
	size_t n = 0, i, shown = 0;
	bool unlock = false;
	ehr_err e = { 0 };
	int rc;

	memset(&x, 0, sizeof(x));
	if (npos)
		return usage_error("invoice", "'invoice list' takes no arguments");
	if ((rc = ctx_open(&x, &e)) ||
	    (rc = invoices_of(x.c, x.registry, x.s.address, INVOICES_TO | INVOICES_BY, &v, &n, &e)))
		goto out;
	/* the passphrase only when there is a memo this account can open */
	for (i = 0; i < n && !unlock; i++)
		unlock = v[i].memo_len && !memcmp(v[i].st.patient, x.s.address, 20) &&
			 (!a->open || v[i].st.status == REG_INVOICE_OPEN);
	if (unlock && (rc = signer_unlock(&x.s, &e)))
		goto out;
	if (g.json)
		arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		const invoice_view *iv = &v[i];
		const struct token_info *ti;
		bool to_me = !memcmp(iv->st.patient, x.s.address, 20), sealed;
		const uint8_t *other = to_me ? iv->st.issuer : iv->st.patient;
		const struct party *pt;
		char amount_text[AMOUNT_FMT_MAX], due_text[40], *memo;

		if (a->open && iv->st.status != REG_INVOICE_OPEN)
			continue;
		if ((rc = token_lookup(x.c, &tk, iv->st.token, x.s.address, &ti, &e)))
			goto out;
		shown++;
		amount_format(&iv->st.amount, ti->decimals, amount_text, sizeof(amount_text));
		pt = party_lookup(x.c, x.registry, &ps, other);
		strcpy(due_text, "-");
		if (iv->st.due)
			time_format(iv->st.due, due_text, sizeof(due_text));
		memo = memo_text(iv, &x.s, &sealed);
		if (arr) {
			cJSON *o = cJSON_CreateObject();
			char buf[67], base[U256_DEC_MAX];

			cJSON_AddNumberToObject(o, "invoice", (double)iv->id);
			cJSON_AddStringToObject(o, "status", status_text(iv->st.status));
			cJSON_AddStringToObject(o, "role", to_me ? "patient" : "issuer");
			eip55_format(iv->st.issuer, buf);
			cJSON_AddStringToObject(o, "issuer", buf);
			eip55_format(iv->st.patient, buf);
			cJSON_AddStringToObject(o, "patient", buf);
			cJSON_AddStringToObject(o, to_me ? "issuer_name" : "patient_name", pt->name);
			cJSON_AddStringToObject(o, "amount", amount_text);
			u256_format_dec(&iv->st.amount, base);
			cJSON_AddStringToObject(o, "amount_base_units", base);
			cJSON_AddStringToObject(o, "symbol", ti->symbol);
			cJSON_AddNumberToObject(o, "decimals", ti->decimals);
			if (invoice_is_native(&iv->st)) {
				cJSON_AddNullToObject(o, "token");
			} else {
				eip55_format(iv->st.token, buf);
				cJSON_AddStringToObject(o, "token", buf);
			}
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
			if (iv->settled_block) {
				hex_encode0x(iv->settled_tx, 32, buf);
				cJSON_AddStringToObject(o, "settled_tx", buf);
			} else {
				cJSON_AddNullToObject(o, "settled_tx");
			}
			cJSON_AddItemToArray(arr, o);
		} else {
			char amt[AMOUNT_FMT_MAX + 40];

			if (shown == 1)
				printf("%-7s %-9s %22s  %-20s  %s\n", "INVOICE", "STATUS", "AMOUNT", "DUE", "FROM / TO");
			snprintf(amt, sizeof(amt), "%s %s", amount_text, ti->symbol);
			printf("%-7llu %-9s %22s  %-20s  %s %s\n", (unsigned long long)iv->id,
			       status_text(iv->st.status), amt, due_text, to_me ? "from" : "to", pt->text);
			if (memo)
				printf("        memo: %s\n", memo);
			else if (sealed)
				printf("        memo: (sealed to the patient)\n");
		}
		if (memo) {
			sodium_memzero(memo, strlen(memo));
			free(memo);
		}
	}
	if (arr) {
		output_json(arr);
		arr = NULL;
	}
	if (!shown && !g.json)
		note("no invoices%s", a->open ? " open" : "");
out:
	cJSON_Delete(arr);
	invoices_free(v, n);
	free(tk.ti);
	free(ps.p);
	ctx_close(&x);
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

/* approve then pay, prepared together (pay's gas given: it cannot be
 * estimated before the approve is mined), one confirmation with the fee
 * of both, sent in one batch, receipts waited for together. */
static int submit_approve_and_pay(chain *c, struct signer *s, eth_tx txs[2], const char *what,
				  const struct tx_opts *o, uint8_t hashes[2][32], chain_receipt r[2],
				  ehr_err *e)
{
	chain_raw_tx raw[2];
	chain_fee_opts fo;
	chain_quote q;
	u256 fee;
	char fee_text[AMOUNT_FMT_MAX], question[1024], from[43];
	size_t i;
	int rc;

	memset(raw, 0, sizeof(raw));
	memset(r, 0, 2 * sizeof(*r));
	chain_fee_opts_default(&fo);
	fo.flags = CHAIN_KEEP_GAS;
	if ((rc = chain_prepare_many(c, s->address, txs, 2, &fo, &q, e)))
		return rc;
	u256_sub(&fee, &q.max_cost, &txs[1].value);
	amount_format(&fee, 18, fee_text, sizeof(fee_text));
	eip55_format(s->address, from);
	snprintf(question, sizeof(question), "%s from %s in 2 transactions (chain %llu; fee at most %s %s)?",
		 what, from, (unsigned long long)chain_chain_id(c), fee_text, chain_symbol(c));
	if ((rc = confirm(question, e)) || (rc = signer_unlock(s, e)))
		return rc;
	for (i = 0; i < 2 && !rc; i++)
		rc = tx_sign(&txs[i], s->keys->private_key, (uint8_t **)&raw[i].raw, &raw[i].raw_len,
			     hashes[i], e);
	if (!rc)
		rc = chain_send_batch(c, raw, 2, e);
	if (!rc && !o->async)
		rc = chain_wait_many(c, (const uint8_t (*)[32])hashes, 2, (unsigned)o->confirmations,
				     (long)o->timeout_s * 1000, r, e);
	for (i = 0; i < 2; i++)
		free((void *)raw[i].raw);
	return rc;
}

static int invoice_pay(struct invoice_args *a, int npos, char **pos)
{
	struct ctx x;
	struct token_info info, *ti = &info;
	invoice_view v;
	uint8_t hashes[2][32], *data[2] = { NULL, NULL };
	char me[43], patient[43], issuer_text[43], who[REG_NAME_MAX + 64], amount_text[AMOUNT_FMT_MAX];
	char have_text[AMOUNT_FMT_MAX], what[640], due_text[40], name[REG_NAME_MAX + 1], *memo = NULL;
	chain_receipt r[2];
	eth_tx txs[2];
	bool native, approve = false, sealed;
	uint64_t id;
	u256 have;
	ehr_err e = { 0 };
	int rc;

	memset(&x, 0, sizeof(x));
	memset(&v, 0, sizeof(v));
	memset(r, 0, sizeof(r));
	memset(txs, 0, sizeof(txs));
	if (npos != 1 || opt_id(pos[0], &id))
		return usage_error("invoice", "give one invoice id: ehr invoice pay ID");
	if ((rc = ctx_open(&x, &e)) || (rc = invoice_get(x.c, x.registry, id, &v, &e)))
		goto out;
	eip55_format(x.s.address, me);
	eip55_format(v.st.patient, patient);
	if (memcmp(v.st.patient, x.s.address, 20)) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu is addressed to %s, not to this account (%s): "
			      "nothing was paid", (unsigned long long)id, patient, me);
		goto out;
	}
	if (v.st.status == REG_INVOICE_PAID) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu is already paid: nothing was paid again",
			      (unsigned long long)id);
		goto out;
	}
	if (v.st.status == REG_INVOICE_CANCELLED) {
		rc = ehr_fail(&e, EHR_ECHAIN, "invoice %llu was cancelled by its issuer: it cannot be paid",
			      (unsigned long long)id);
		goto out;
	}
	native = invoice_is_native(&v.st);
	memset(&info, 0, sizeof(info));
	if (native) {
		uint8_t be[32];

		info.decimals = 18;
		snprintf(info.symbol, sizeof(info.symbol), "%s", x.t.symbol);
		if ((rc = rpc_get_balance(chain_rpc(x.c), x.s.address, "pending", be, &e)))
			goto out;
		u256_from_be(&have, be, 32);
	} else {
		if ((rc = token_info_get(x.c, v.st.token, x.s.address, &info, &e)))
			goto out;
		have = info.balance;
	}
	amount_format(&v.st.amount, ti->decimals, amount_text, sizeof(amount_text));
	if (u256_cmp(&have, &v.st.amount) < 0) {
		amount_format(&have, ti->decimals, have_text, sizeof(have_text));
		rc = ehr_fail(&e, EHR_ECHAIN, "insufficient funds: this account has %s %s, invoice %llu is for "
			      "%s %s%s: nothing was paid", have_text, ti->symbol, (unsigned long long)id,
			      amount_text, ti->symbol, native ? " and the fee" : "");
		goto out;
	}
	eip55_format(v.st.issuer, issuer_text);
	party_text(x.c, x.registry, v.st.issuer, who, sizeof(who), name, sizeof(name));

	/* what is paid to whom, the memo included: the patient's to read */
	if (v.memo_len && (rc = signer_unlock(&x.s, &e)))
		goto out;
	memo = memo_text(&v, &x.s, &sealed);
	show("invoice %llu from %s", (unsigned long long)id, who);
	show("amount  %s %s%s", amount_text, ti->symbol, native ? " (native coin)" : "");
	if (v.st.due) {
		time_format(v.st.due, due_text, sizeof(due_text));
		show("due     %s", due_text);
	}
	if (memo)
		show("memo    %s", memo);
	else if (sealed)
		show("memo    (cannot be opened with this account's key)");

	if ((rc = invoice_call_pay(id, &data[1], &txs[1].data_len, &e)))
		goto out;
	txs[1].has_to = 1;
	memcpy(txs[1].to, x.registry, 20);
	txs[1].data = data[1];
	if (native) {
		txs[1].value = v.st.amount;
	} else {
		u256 allowance;

		if ((rc = erc20_allowance(x.c, v.st.token, x.s.address, x.registry, &allowance, &e)))
			goto out;
		approve = u256_cmp(&allowance, &v.st.amount) < 0;
	}
	if (approve) {
		if ((rc = invoice_token_pay_gas(x.c, x.registry, &v.st, x.s.address, &txs[0].gas, &txs[1].gas, &e)) ||
		    (rc = erc20_call_approve(x.registry, &v.st.amount, &data[0], &txs[0].data_len, &e)))
			goto out;
		txs[0].has_to = 1;
		memcpy(txs[0].to, v.st.token, 20);
		txs[0].data = data[0];
		snprintf(what, sizeof(what), "Allow the registry to take %s %s, and pay invoice %llu: %s %s to %s",
			 amount_text, ti->symbol, (unsigned long long)id, amount_text, ti->symbol, who);
		rc = submit_approve_and_pay(x.c, &x.s, txs, what, &a->tx, hashes, r, &e);
	} else {
		snprintf(what, sizeof(what), "Pay invoice %llu: %s %s to %s", (unsigned long long)id, amount_text,
			 ti->symbol, who);
		rc = tx_submit(x.c, &x.s, &txs[1], what, &a->tx, hashes[1], &r[1], &e);
	}
	if (rc)
		goto out;
	{
		cJSON *o = cJSON_CreateObject();
		char h[67], tok[43];

		cJSON_AddNumberToObject(o, "invoice", (double)id);
		cJSON_AddStringToObject(o, "to", issuer_text);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "amount", amount_text);
		cJSON_AddStringToObject(o, "symbol", ti->symbol);
		if (native) {
			cJSON_AddNullToObject(o, "token");
		} else {
			eip55_format(v.st.token, tok);
			cJSON_AddStringToObject(o, "token", tok);
		}
		if (approve) {
			hex_encode0x(hashes[0], 32, h);
			cJSON_AddStringToObject(o, "approve_tx", h);
		} else {
			cJSON_AddNullToObject(o, "approve_tx");
		}
		print_tx_result(hashes[1], &r[1], o);
	}
	if (r[1].found)
		note("invoice %llu paid: %s %s to %s", (unsigned long long)id, amount_text, ti->symbol, who);
out:
	if (memo) {
		sodium_memzero(memo, strlen(memo));
		free(memo);
	}
	free(data[0]);
	free(data[1]);
	chain_receipt_free(&r[0]);
	chain_receipt_free(&r[1]);
	free(v.memo);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}

int cmd_invoice(int argc, char **argv)
{
	struct opt_parser p;
	struct invoice_args a;
	const char *sub;

	memset(&a, 0, sizeof(a));
	tx_opts_init(&a.tx);
	opt_init(&p, "invoice", argc, argv, cmd_invoice_opts);
	if (opt_parse(&p, &a))
		return EHR_EUSAGE;
	if (!p.npos)
		return usage_error("invoice", "say what to do: issue, list, pay or cancel");
	sub = p.pos[0];
	if (strcmp(sub, "issue") && (a.patient || a.amount || a.token || a.native || a.due || a.memo ||
				     a.memo_file))
		return usage_error("invoice", "--patient, --amount, --token, --native, --due and --memo "
				   "go with 'invoice issue'");
	if (strcmp(sub, "list") && a.open)
		return usage_error("invoice", "--open goes with 'invoice list'");
	if (!strcmp(sub, "issue"))
		return invoice_issue(&a, p.npos - 1);
	if (!strcmp(sub, "list"))
		return invoice_list(&a, p.npos - 1);
	if (!strcmp(sub, "pay"))
		return invoice_pay(&a, p.npos - 1, p.pos + 1);
	if (!strcmp(sub, "cancel"))
		return invoice_cancel(&a, p.npos - 1, p.pos + 1);
	return usage_error("invoice", "unknown subcommand '%s': issue, list, pay or cancel", sub);
}
