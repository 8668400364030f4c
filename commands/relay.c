/* ehr relay: submit intents others signed with --sign-only, paying their
 * gas. Every intent of every file is checked before anything is sent: its
 * chain and registry are this network's, its signature is its signer's,
 * its deadline has not passed and its nonce has not landed. Then each is
 * shown (what its call does, decoded from the call itself, and who signed
 * it), confirmed with its fee, and sent. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/parties.h"
#include "cli/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/amount.h"
#include "wallet/base/fileio.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/intent.h"
#include "wallet/registry/invoices.h"
#include "wallet/registry/token.h"

/* A file of intents is JSON text; a record's chunks make it large. */
#define INTENTS_FILE_MAX (64u << 20)

struct relay_options {
	struct tx_opts tx;
};

static const struct opt relay_opts[] = {
	TX_WAIT_ONLY_OPTS_IN(struct relay_options, tx, 0),
	{ 0 }
};

#define GIVE_FILES "give one or more intent files ('-' for standard input)"

/* '-' at most once: standard input can be read only once. */
static int relay_check(const struct command_call *call)
{
	int i, stdin_seen = 0;

	for (i = 0; i < call->npos; i++)
		if (!strcmp(call->pos[i], "-") && stdin_seen++)
			return usage_error("relay", "'-' (standard input) may be given once");
	return 0;
}

static const struct relay_options relay_defaults = { .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_relay_args = {
	.opts = relay_opts, .size = sizeof(relay_defaults), .defaults = &relay_defaults,
	.min_pos = 1, .max_pos = -1, .wrong_count = GIVE_FILES, .check = relay_check,
};

struct intents {
	reg_intent *v;
	size_t n;
};

static void intents_free(struct intents *all)
{
	size_t i;

	for (i = 0; i < all->n; i++)
		reg_intent_free(&all->v[i]);
	free(all->v);
}

/* Appends the intents of one parsed file ({"format": "ehr-intents/1",
 * "intents": [...]}) to all. */
static int take_intents(const cJSON *doc, const char *path, struct intents *all, ehr_err *e)
{
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(doc, "format");
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "intents"), *item;
	reg_intent *grown;
	int rc;

	if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "ehr-intents/1") || !cJSON_IsArray(list) ||
	    !cJSON_GetArraySize(list))
		return ehr_fail(e, EHR_EUSAGE, "%s is not a file of intents (from --sign-only)", path);
	cJSON_ArrayForEach(item, list) {
		if (!(grown = realloc(all->v, (all->n + 1) * sizeof(*grown))))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		all->v = grown;
		if ((rc = reg_intent_from_json(item, &all->v[all->n], e)))
			return ehr_wrap(e, "%s: intent %zu", path, all->n + 1);
		all->n++;
	}
	return 0;
}

static int load_file(const char *path, struct intents *all, ehr_err *e)
{
	char *buf = NULL;
	size_t len;
	cJSON *doc;
	int rc;

	if (!strcmp(path, "-") ? fd_read_all(0, INTENTS_FILE_MAX, &buf, &len, e)
			       : file_read_all(path, INTENTS_FILE_MAX, &buf, &len, e))
		return e->status;
	doc = cJSON_ParseWithLength(buf, len);
	free(buf);
	if (!doc)
		return ehr_fail(e, EHR_EUSAGE, "%s is not JSON (a file of intents from --sign-only)",
				!strcmp(path, "-") ? "standard input" : path);
	rc = take_intents(doc, !strcmp(path, "-") ? "standard input" : path, all, e);
	cJSON_Delete(doc);
	return rc;
}

/* Why the chain would refuse the intent, before anything is sent: another
 * chain or registry, a changed field, a passed deadline (now: the head
 * block's time), a nonce that landed. */
static int check_intent(struct ctx *x, const reg_intent *it, uint64_t now, ehr_err *e)
{
	char want[43], got[43];
	int used, rc;

	if (it->chain_id != chain_chain_id(x->c))
		return ehr_fail(e, EHR_ECHAIN, "it is signed for chain %llu, and this node is chain %llu",
				(unsigned long long)it->chain_id, (unsigned long long)chain_chain_id(x->c));
	if (memcmp(it->registry, x->registry, 20)) {
		eip55_format(it->registry, got);
		eip55_format(x->registry, want);
		return ehr_fail(e, EHR_ECHAIN, "it is signed for registry %s, and this network's is %s", got, want);
	}
	if ((rc = reg_intent_check(it, e)))
		return rc;
	if (now > it->deadline)
		return ehr_fail(e, EHR_ECHAIN, "its deadline has passed (the chain refuses it)");
	if ((rc = reg_intent_used(x->c, x->registry, it, &used, e)))
		return rc;
	if (used)
		return ehr_fail(e, EHR_ECHAIN, "it was relayed already (its nonce has landed); it lands once");
	return 0;
}

/* For a payment: what it moves, of whose, to whom ("  moves 4 TUSD of
 * the signer's to City Clinic (...)"), on stderr; nothing for other
 * calls or an invoice that cannot be read (the chain will say). */
static void show_payment(struct ctx *x, struct parties *ps, const reg_intent *it)
{
	char amount[AMOUNT_FMT_MAX], issuer[256];
	struct token_info ti = { .decimals = 18 };
	invoice_state st;
	uint64_t id;
	ehr_err ignored;

	if (g.quiet || reg_intent_invoice_id(it, &id) || invoice_of(x->c, x->registry, id, &st, &ignored) ||
	    !st.exists)
		return;
	if (invoice_is_native(&st))
		snprintf(ti.symbol, sizeof(ti.symbol), "%s", x->t.symbol);
	else if (token_info_get(x->c, st.token, it->signer, &ti, &ignored))
		return;
	amount_format(&st.amount, ti.decimals, amount, sizeof(amount));
	parties_label(ps, st.issuer, issuer, sizeof(issuer));
	fprintf(stderr, "  moves %s %s of the signer's to %s\n", amount, ti.symbol, issuer);
}

/* Shows, confirms with the fee, sends one intent and prints the result. */
static int relay_one(struct ctx *x, struct parties *ps, const reg_intent *it, size_t i, size_t n,
		     const struct tx_opts *o, ehr_err *e)
{
	char words[1024], who[256], what[1600], until[40];
	chain_receipt r = { 0 };
	eth_tx tx = { 0 };
	uint8_t *data = NULL, hash[32];
	int rc;

	reg_intent_describe(it, words, sizeof(words));
	parties_label(ps, it->signer, who, sizeof(who));
	time_format(it->deadline, until, sizeof(until));
	if (!g.quiet)
		fprintf(stderr, "intent %zu of %zu: %s\n  signed by %s, valid until %s\n", i + 1, n, words, who,
			until);
	show_payment(x, ps, it);
	if ((rc = reg_intent_execute_call(it, &data, &tx.data_len, e)))
		return rc;
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	tx.data = data;
	snprintf(what, sizeof(what), "Relay intent %zu of %zu (%s, signed by %s), paying its gas,", i + 1, n,
		 words, who);
	if (!(rc = tx_submit(x->c, &x->s, &tx, what, o, hash, &r, e))) {
		cJSON *j = cJSON_CreateObject();
		char addr[43];

		eip55_format(it->signer, addr);
		cJSON_AddStringToObject(j, "what", words);
		cJSON_AddStringToObject(j, "signer", addr);
		print_tx_result(hash, &r, j);
		if (r.found && !r.status)
			rc = ehr_fail(e, EHR_ECHAIN, "intent %zu reverted", i + 1);
	}
	chain_receipt_free(&r);
	free(data);
	return rc;
}

int cmd_relay(const struct command_call *call)
{
	const struct relay_options *o = call->opts;
	struct ctx *x = call->x;
	struct intents all = { 0 };
	struct parties *ps = NULL;
	uint64_t now;
	ehr_err e = { 0 };
	size_t i;
	int rc = 0, f;

	for (f = 0; f < call->npos && !rc; f++)
		rc = load_file(call->pos[f], &all, &e);
	if (!rc)
		rc = chain_check_id(x->c, &e);
	if (!rc)
		rc = chain_block_time(x->c, CHAIN_LATEST, &now, &e);
	for (i = 0; i < all.n && !rc; i++)
		if ((rc = check_intent(x, &all.v[i], now, &e)))
			ehr_wrap(&e, "intent %zu of %zu refused, nothing was sent", i + 1, all.n);
	if (!rc)
		rc = parties_open(&ps, x->c, x->registry, &e);
	for (i = 0; i < all.n && !rc; i++)
		rc = relay_one(x, ps, &all.v[i], i, all.n, &o->tx, &e);
	parties_close(ps);
	intents_free(&all);
	return rc ? report(&e) : 0;
}
