/* ehr balance: the native coin or an ERC-20 (--token), of this account or
 * any address, in the token's own decimals. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/submit.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/chain/rpc.h"
#include "wallet/registry/token.h"

struct balance_options {
	const char *token;
};

static const struct opt balance_opts[] = {
	{ "token", 0, "ADDR", OV_TOKEN, "an ERC-20 token instead of the native coin ('default': the network's)",
	  OPT_STR(struct balance_options, token) },
	{ 0 }
};

const struct command_args cmd_balance_args = {
	.opts = balance_opts, .size = sizeof(struct balance_options), .max_pos = 1,
};

/* Staged (CMD_STAGED): the token is checked against the target's network,
 * and the wallet is read only for this account's own balance. */
int cmd_balance(const struct command_call *call)
{
	const char *token = ((const struct balance_options *)call->opts)->token;
	struct ctx *x = call->x;
	struct token_info ti;
	uint8_t who[20], be[32], tok[20];
	char who_text[43], amount[AMOUNT_FMT_MAX], raw[U256_DEC_MAX], tok_text[43];
	u256 bal;
	unsigned decimals = 18;
	const char *symbol;
	ehr_err e = { 0 };

	if ((token && target_token(&x->t, token, " (ehr network add ... --token ADDR)", tok, &e)) ||
	    ctx_subject(x, call->npos ? call->pos[0] : NULL, who, &e) || ctx_open_parts(x, CTX_CHAIN, &e))
		return report(&e);
	if (token) {
		if (token_info_get(x->c, tok, who, &ti, &e))
			return report(&e);
		bal = ti.balance;
		decimals = ti.decimals;
		symbol = ti.symbol;
	} else {
		if (chain_check_id(x->c, &e) || rpc_get_balance(chain_rpc(x->c), who, "latest", be, &e))
			return report(&e);
		u256_from_be(&bal, be, 32);
		symbol = x->t.symbol;
	}
	amount_format(&bal, decimals, amount, sizeof(amount));
	u256_format_dec(&bal, raw);
	eip55_format(who, who_text);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", who_text);
		if (token) {
			eip55_format(tok, tok_text);
			cJSON_AddStringToObject(o, "token", tok_text);
		} else {
			cJSON_AddNullToObject(o, "token");
		}
		cJSON_AddStringToObject(o, "symbol", symbol);
		cJSON_AddNumberToObject(o, "decimals", decimals);
		cJSON_AddStringToObject(o, "balance", amount);
		cJSON_AddStringToObject(o, "raw", raw);
		output_json(o);
	} else {
		printf("%s %s\n", amount, symbol);
	}
	return 0;
}
