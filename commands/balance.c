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

const struct opt cmd_balance_opts[] = {
	{ "token", 0, "ADDR", OV_TOKEN, "an ERC-20 token instead of the native coin ('default': the network's)",
	  OPT_STR(struct balance_options, token) },
	{ 0 }
};

int cmd_balance(int argc, char **argv)
{
	struct opt_parser p;
	struct ctx x;
	struct token_info ti;
	struct balance_options opts = { 0 };
	const char *token;
	uint8_t who[20], be[32], tok[20];
	char who_text[43], amount[AMOUNT_FMT_MAX], raw[U256_DEC_MAX], tok_text[43];
	u256 bal;
	unsigned decimals = 18;
	const char *symbol;
	ehr_err e = { 0 };
	int rc;

	opt_init(&p, "balance", argc, argv, cmd_balance_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	token = opts.token;
	if (p.npos > 1)
		return usage_error("balance", "unexpected argument '%s'", p.pos[1]);
	ctx_start(&x);
	if ((rc = ctx_open_parts(&x, CTX_TARGET, &e)))
		return report(&e);
	if (token && !strcmp(token, "default")) {
		if (!x.t.has_token)
			return fail(EHR_EUSAGE, "network %s has no default token (ehr network add ... --token ADDR)",
				    x.t.network[0] ? x.t.network : "(none)");
		memcpy(tok, x.t.token, 20);
	} else if (token && (rc = eip55_parse(token, tok, &e))) {
		return report(&e);
	}
	if ((rc = ctx_subject(&x, p.npos ? p.pos[0] : NULL, who, &e)) ||
	    (rc = ctx_open_parts(&x, CTX_CHAIN, &e)))
		goto out;
	if (token) {
		if ((rc = token_info_get(x.c, tok, who, &ti, &e)))
			goto out;
		bal = ti.balance;
		decimals = ti.decimals;
		symbol = ti.symbol;
	} else {
		if ((rc = chain_check_id(x.c, &e)) || (rc = rpc_get_balance(chain_rpc(x.c), who, "latest", be, &e)))
			goto out;
		u256_from_be(&bal, be, 32);
		symbol = x.t.symbol;
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
out:
	ctx_close(&x);
	return rc ? report(&e) : 0;
}
