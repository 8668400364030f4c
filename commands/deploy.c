/* ehr deploy: the registry (and, for local chains, a test ERC-20 with an
 * open faucet) from the bytecode built into ehr, and the addresses saved
 * to the network in config.json. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "contracts/contracts.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"

struct deploy_options {
	bool test_token;
	const char *save_as;
	struct tx_opts tx;
};

static const struct opt deploy_opts[] = {
	{ "test-token", 0, NULL, OV_NONE, "also deploy the test token (anyone can mint: local chains only)",
	  OPT_FLAG(struct deploy_options, test_token) },
	{ "save-as", 0, "NAME", OV_NETWORK, "save the addresses to network NAME (created if new)",
	  OPT_STR(struct deploy_options, save_as) },
	TX_WAIT_OPTS(struct deploy_options, tx),
	{ 0 }
};

static int deploy_one(chain *c, struct signer *s, const char *hex, const char *what,
		      const struct tx_opts *o, uint8_t addr[20], uint8_t hash[32], ehr_err *e)
{
	size_t len = strlen(hex) / 2;
	uint8_t *code = malloc(len);
	chain_receipt r;
	eth_tx tx;
	int rc;

	if (!code || hex_decode_exact(hex, code, len)) {
		free(code);
		return ehr_fail(e, EHR_EFAIL, "the built-in bytecode of the %s is damaged", what);
	}
	memset(&tx, 0, sizeof(tx));
	tx.data = code;
	tx.data_len = len;
	rc = tx_submit(c, s, &tx, what, o, hash, &r, e);
	if (!rc && !r.has_contract_address)
		rc = ehr_fail(e, EHR_ECHAIN, "the node's receipt names no contract address");
	if (!rc)
		memcpy(addr, r.contract_address, 20);
	chain_receipt_free(&r);
	free(code);
	return rc;
}

/* Refuses, before anything is deployed, a network of another chain. */
static int save_check(const char *name, uint64_t chain_id, ehr_err *e)
{
	config *cfg;
	const network *n;
	int rc;

	if ((rc = config_load(&cfg, e)))
		return rc;
	if ((n = config_network(cfg, name)) && n->chain_id && n->chain_id != chain_id)
		rc = ehr_fail(e, EHR_EUSAGE, "network '%s' is chain %llu, this node is chain %llu: "
			      "not saving there (use another --save-as NAME)", name,
			      (unsigned long long)n->chain_id, (unsigned long long)chain_id);
	config_free(cfg);
	return rc;
}

static int save(const struct target *t, const char *name, uint64_t chain_id,
		const uint8_t reg[20], const uint8_t *token, ehr_err *e)
{
	config *cfg;
	network net, *n;
	int rc;

	if ((rc = config_load(&cfg, e)))
		return rc;
	if (!(n = config_network(cfg, name))) {
		memset(&net, 0, sizeof(net));
		snprintf(net.name, sizeof(net.name), "%s", name);
		snprintf(net.rpc, sizeof(net.rpc), "%s", t->rpc);
		snprintf(net.symbol, sizeof(net.symbol), "%s", t->symbol);
		net.chain_id = chain_id;
		n = &net;
	}
	n->has_registry = true;
	memcpy(n->registry, reg, 20);
	if (token) {
		n->has_token = true;
		memcpy(n->token, token, 20);
	}
	if (!(rc = config_network_put(cfg, n, e))) {
		if (!cfg->default_network[0])
			snprintf(cfg->default_network, sizeof(cfg->default_network), "%s", name);
		rc = config_save(cfg, e);
	}
	config_free(cfg);
	return rc;
}

/* --save-as names a network, if given: its name is checked first. */
static int deploy_check(const struct command_call *call)
{
	const char *save_as = ((const struct deploy_options *)call->opts)->save_as;
	ehr_err e = { 0 };

	return save_as && network_name_check(save_as, &e) ? report(&e) : 0;
}

static const struct deploy_options deploy_defaults = { .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_deploy_args = {
	.opts = deploy_opts, .size = sizeof(deploy_defaults), .defaults = &deploy_defaults,
	.check = deploy_check,
};

int cmd_deploy(const struct command_call *call)
{
	const struct deploy_options *o = call->opts;
	struct ctx *x = call->x;
	const char *save_as = o->save_as;
	bool test_token = o->test_token;
	uint8_t reg[20], tok[20], hash[32], tok_hash[32];
	char reg_text[43], tok_text[43], h[67];
	ehr_err e = { 0 };

	if (!save_as && x->t.network[0])
		save_as = x->t.network;
	if (save_as && (chain_check_id(x->c, &e) || save_check(save_as, chain_chain_id(x->c), &e)))
		return report(&e);
	/* each address is saved as soon as it exists, so a failure later
	 * never loses a contract already deployed */
	if (deploy_one(x->c, &x->s, registry_bytecode_hex, "Deploy the ehr registry", &o->tx, reg, hash, &e))
		return report(&e);
	eip55_format(reg, reg_text);
	if (save_as && save(&x->t, save_as, chain_chain_id(x->c), reg, NULL, &e)) {
		ehr_wrap(&e, "the registry is at %s, but", reg_text);
		return report(&e);
	}
	if (test_token && deploy_one(x->c, &x->s, test_token_bytecode_hex, "Deploy the test token",
				     &o->tx, tok, tok_hash, &e)) {
		ehr_wrap(&e, "the registry is at %s%s; the test token", reg_text,
			 save_as ? " (saved)" : "");
		return report(&e);
	}
	if (test_token && save_as && save(&x->t, save_as, chain_chain_id(x->c), reg, tok, &e))
		return report(&e);
	eip55_format(tok, tok_text);
	hex_encode0x(hash, 32, h);
	if (g.json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "registry", reg_text);
		cJSON_AddStringToObject(j, "tx", h);
		cJSON_AddItemToObject(j, "token", test_token ? cJSON_CreateString(tok_text) : cJSON_CreateNull());
		cJSON_AddItemToObject(j, "network", save_as ? cJSON_CreateString(save_as) : cJSON_CreateNull());
		output_json(j);
	} else {
		printf("registry    %s\n", reg_text);
		if (test_token)
			printf("test token  %s\n", tok_text);
		if (save_as)
			note("saved to network '%s'", save_as);
		else
			note("not saved: no network for %s (use --save-as NAME, or --registry %s)", x->t.rpc, reg_text);
	}
	return 0;
}
