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
};

const struct opt cmd_send_opts[] = {
	{ "token", 0, "ADDR", OV_TOKEN, "send an ERC-20 token ('default': the network's) instead of the native coin",
	  OPT_STR(struct send_options, token) },
	TX_OPTS(struct send_options, tx),
	{ 0 }
};

int cmd_send(int argc, char **argv)
{
	struct opt_parser p;
	struct ctx x;
	struct tx_opts to;
	struct token_info ti;
	struct send_options opts = { 0 };
	const char *token;
	eth_tx tx;
	chain_receipt r;
	abi_value *args = NULL;
	uint8_t dest[20], tok[20], hash[32], *data = NULL;
	char what[512], dest_text[43], amount_text[AMOUNT_FMT_MAX];
	u256 amount;
	ehr_err e = { 0 };
	int rc;

	tx_opts_init(&opts.tx);
	ctx_start(&x);
	memset(&r, 0, sizeof(r));
	opt_init(&p, "send", argc, argv, cmd_send_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	token = opts.token;
	to = opts.tx;
	if (p.npos != 2)
		return usage_error("send", "give the recipient and the amount: ehr send ADDR AMOUNT");
	if ((rc = eip55_parse(p.pos[0], dest, &e)) || (rc = ctx_open_parts(&x, CTX_TARGET, &e)))
		return report(&e);
	if (token && !strcmp(token, "default")) {
		if (!x.t.has_token)
			return fail(EHR_EUSAGE, "network %s has no default token", x.t.network[0] ? x.t.network : "(none)");
		memcpy(tok, x.t.token, 20);
	} else if (token && (rc = eip55_parse(token, tok, &e))) {
		return report(&e);
	}
	if (!token && (rc = amount_parse(p.pos[1], 18, AMOUNT_UNITS, &amount, &e)))
		return report(&e);
	if ((rc = ctx_open_parts(&x, CTX_ALL, &e)))
		goto out;
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	eip55_format(dest, dest_text);
	if (token) {
		if ((rc = token_info_get(x.c, tok, x.s.address, &ti, &e)) ||
		    (rc = amount_parse(p.pos[1], ti.decimals, 0, &amount, &e)))
			goto out;
		if (u256_cmp(&ti.balance, &amount) < 0) {
			char have[AMOUNT_FMT_MAX];

			amount_format(&ti.balance, ti.decimals, have, sizeof(have));
			amount_format(&amount, ti.decimals, amount_text, sizeof(amount_text));
			rc = ehr_fail(&e, EHR_ECHAIN, "insufficient funds: the account has %s %s, the transfer needs %s %s",
				      have, ti.symbol, amount_text, ti.symbol);
			goto out;
		}
		if (!(args = abi_tuple(2, abi_address(dest), abi_uint(&amount))) ||
		    (rc = abi_encode_call("transfer(address,uint256)", args, &data, &tx.data_len, &e))) {
			rc = rc ? rc : ehr_fail(&e, EHR_EFAIL, "out of memory");
			goto out;
		}
		memcpy(tx.to, tok, 20);
		tx.data = data;
		amount_format(&amount, ti.decimals, amount_text, sizeof(amount_text));
		snprintf(what, sizeof(what), "Send %s %s to %s", amount_text, ti.symbol, dest_text);
	} else {
		memcpy(tx.to, dest, 20);
		tx.value = amount;
		amount_format(&amount, 18, amount_text, sizeof(amount_text));
		snprintf(what, sizeof(what), "Send %s %s to %s", amount_text, x.t.symbol, dest_text);
	}
	if ((rc = tx_submit(x.c, &x.s, &tx, what, &to, hash, &r, &e)))
		goto out;
	{
		cJSON *o = cJSON_CreateObject();
		char from[43];

		eip55_format(x.s.address, from);
		cJSON_AddStringToObject(o, "from", from);
		cJSON_AddStringToObject(o, "to", dest_text);
		cJSON_AddStringToObject(o, "amount", amount_text);
		cJSON_AddStringToObject(o, "symbol", token ? ti.symbol : x.t.symbol);
		print_tx_result(hash, &r, o);
	}
out:
	abi_free(args);
	free(data);
	chain_receipt_free(&r);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}
