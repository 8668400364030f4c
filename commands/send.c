/* ehr send: native coin or an ERC-20 to an address, after showing what it
 * costs and asking. Amounts are decimals ("0.25") or, for the native coin,
 * carry a unit ("100 gwei", "2 wei", "1.5 ether"). */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/chain/abi.h"
#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/registry/token.h"

struct send_options {
	const char *token;
	struct tx_opts tx;
	uint8_t dest[20];        /* the recipient (the check parses it) */
};

static const struct opt send_opts[] = {
	{ "token", 0, "ADDR", OV_TOKEN, "send an ERC-20 token ('default': the network's) instead of the native coin",
	  OPT_STR(struct send_options, token) },
	TX_OPTS(struct send_options, tx),
	{ 0 }
};

/* The recipient, first of all. */
static int send_check(const struct command_call *call)
{
	struct send_options *o = call->opts;
	ehr_err e = { 0 };

	return eip55_parse(call->pos[0], o->dest, &e) ? report(&e) : 0;
}

static const struct send_options send_defaults = { .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_send_args = {
	.opts = send_opts, .size = sizeof(send_defaults), .defaults = &send_defaults,
	.min_pos = 2, .max_pos = 2, .wrong_count = "give the recipient and the amount: ehr send ADDR AMOUNT",
	.check = send_check,
};

/* A transfer as it is sent and printed. */
struct transfer {
	eth_tx tx;
	uint8_t *data;               /* the token's call (malloc'd) */
	struct token_info ti;        /* the token's, with --token */
	char what[512], dest_text[43], amount_text[AMOUNT_FMT_MAX];
};

/* The transfer of amount (text) of the token tok to o->dest, checked
 * against the account's balance of it. */
static int token_transfer(struct ctx *x, const struct send_options *o, const uint8_t tok[20],
			  const char *amount, struct transfer *t, ehr_err *e)
{
	abi_value *args;
	u256 value;
	int rc;

	if ((rc = token_info_get(x->c, tok, x->s.address, &t->ti, e)) ||
	    (rc = amount_parse(amount, t->ti.decimals, 0, &value, e)))
		return rc;
	amount_format(&value, t->ti.decimals, t->amount_text, sizeof(t->amount_text));
	if (u256_cmp(&t->ti.balance, &value) < 0) {
		char have[AMOUNT_FMT_MAX];

		amount_format(&t->ti.balance, t->ti.decimals, have, sizeof(have));
		return ehr_fail(e, EHR_ECHAIN, "insufficient funds: the account has %s %s, the transfer needs %s %s",
				have, t->ti.symbol, t->amount_text, t->ti.symbol);
	}
	if (!(args = abi_tuple(2, abi_address(o->dest), abi_uint(&value))) ||
	    (rc = abi_encode_call("transfer(address,uint256)", args, &t->data, &t->tx.data_len, e)))
		rc = rc ? rc : ehr_fail(e, EHR_EFAIL, "out of memory");
	abi_free(args);
	if (rc)
		return rc;
	memcpy(t->tx.to, tok, 20);
	t->tx.data = t->data;
	snprintf(t->what, sizeof(t->what), "Send %s %s to %s", t->amount_text, t->ti.symbol, t->dest_text);
	return 0;
}

/* Staged (CMD_STAGED): the token is checked against the target's network
 * and the native amount parsed before the wallet is read. */
int cmd_send(const struct command_call *call)
{
	const struct send_options *o = call->opts;
	struct ctx *x = call->x;
	struct transfer t;
	chain_receipt r = { 0 };
	uint8_t tok[20], hash[32];
	u256 amount;
	ehr_err e = { 0 };
	int rc;

	memset(&t, 0, sizeof(t));
	if ((o->token && target_token(&x->t, o->token, "", tok, &e)) ||
	    (!o->token && amount_parse(call->pos[1], 18, AMOUNT_UNITS, &amount, &e)))
		return report(&e);
	if ((rc = ctx_open_parts(x, CTX_ALL, &e)))
		goto out;
	t.tx.has_to = 1;
	eip55_format(o->dest, t.dest_text);
	if (o->token) {
		if ((rc = token_transfer(x, o, tok, call->pos[1], &t, &e)))
			goto out;
	} else {
		memcpy(t.tx.to, o->dest, 20);
		t.tx.value = amount;
		amount_format(&amount, 18, t.amount_text, sizeof(t.amount_text));
		snprintf(t.what, sizeof(t.what), "Send %s %s to %s", t.amount_text, x->t.symbol, t.dest_text);
	}
	if ((rc = tx_submit(x->c, &x->s, &t.tx, t.what, &o->tx, hash, &r, &e)))
		goto out;
	{
		cJSON *j = cJSON_CreateObject();
		char from[43];

		eip55_format(x->s.address, from);
		cJSON_AddStringToObject(j, "from", from);
		cJSON_AddStringToObject(j, "to", t.dest_text);
		cJSON_AddStringToObject(j, "amount", t.amount_text);
		cJSON_AddStringToObject(j, "symbol", o->token ? t.ti.symbol : x->t.symbol);
		print_tx_result(hash, &r, j);
	}
out:
	free(t.data);
	chain_receipt_free(&r);
	return rc ? report(&e) : 0;
}
