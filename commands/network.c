/* ehr network: the named networks in config.json (rpc URL, chain id,
 * registry, payment token, native coin's symbol) and the default one. */
#include "commands/commands.h"
#include "cli/target.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/lazylib.h"
#include "wallet/keys/eth.h"
#include "wallet/chain/rpc.h"
#include "wallet/chain/presets.h"

struct network_options {
	unsigned long id;
	const char *token, *symbol;
	bool make_default, force, allow_http;
};

/* --chain-id N: 1 to 2^53 - 1 (a JSON number stays exact) */
static int take_chain_id(const struct opt_parser *p, const struct opt *o, void *field,
			 const char *val)
{
	unsigned long *id = field;

	(void)o;
	if (opt_ulong(p, "--chain-id", val, 9007199254740991UL, id))
		return -1;
	if (*id)
		return 0;
	usage_error("network", "--chain-id must not be 0");
	return -1;
}

static const struct opt network_opts[] = {
	{ "chain-id", 0, "N", OV_NONE, "add: pin the chain id (else the node is asked)",
	  OPT_CALL(struct network_options, id, unsigned long, take_chain_id), .forms = OPT_IN(1) },
	{ "token", 0, "ADDR", OV_NONE, "add: the ERC-20 token used for payments on this network",
	  OPT_STR(struct network_options, token), .forms = OPT_IN(1) },
	{ "symbol", 0, "SYM", OV_NONE, "add: the native coin's symbol (default ETH), e.g. POL or xDAI",
	  OPT_STR(struct network_options, symbol), .forms = OPT_IN(1) },
	{ "default", 0, NULL, OV_NONE, "add: make it the default network",
	  OPT_FLAG(struct network_options, make_default), .forms = OPT_IN(1) },
	{ "force", 'f', NULL, OV_NONE, "add: replace a network of the same name",
	  OPT_FLAG(struct network_options, force), .forms = OPT_IN(1) },
	{ "allow-http", 0, NULL, OV_NONE, "add: a plain http:// URL to another host than this one (a trusted LAN)",
	  OPT_FLAG(struct network_options, allow_http), .forms = OPT_IN(1) },
	{ 0 }
};

static void print_networks(const config *cfg)
{
	size_t i;

	if (g.json) {
		cJSON *arr = cJSON_CreateArray();

		for (i = 0; i < cfg->nnetworks; i++) {
			const network *n = &cfg->networks[i];
			cJSON *o = cJSON_CreateObject();
			char addr[43];

			cJSON_AddStringToObject(o, "name", n->name);
			cJSON_AddStringToObject(o, "rpc", n->rpc);
			cJSON_AddNumberToObject(o, "chain_id", (double)n->chain_id);
			if (n->has_registry)
				eip55_format(n->registry, addr);
			cJSON_AddItemToObject(o, "registry", n->has_registry ? cJSON_CreateString(addr) : cJSON_CreateNull());
			if (n->has_token)
				eip55_format(n->token, addr);
			cJSON_AddItemToObject(o, "token", n->has_token ? cJSON_CreateString(addr) : cJSON_CreateNull());
			cJSON_AddStringToObject(o, "symbol", n->symbol);
			cJSON_AddItemToObject(o, "explorer", n->explorer[0] ? cJSON_CreateString(n->explorer)
					      : cJSON_CreateNull());
			cJSON_AddBoolToObject(o, "allow_http", n->allow_http);
			cJSON_AddBoolToObject(o, "default", !strcmp(cfg->default_network, n->name));
			cJSON_AddItemToArray(arr, o);
		}
		output_json(arr);
		return;
	}
	if (!cfg->nnetworks) {
		note("no networks configured (add one with 'ehr network add NAME --rpc URL')");
		return;
	}
	printf("  %-16s %-10s %-11s %-42s %s\n", "NAME", "CHAIN ID", "SYMBOL", "REGISTRY", "RPC");
	for (i = 0; i < cfg->nnetworks; i++) {
		const network *n = &cfg->networks[i];
		char addr[43] = "-";

		if (n->has_registry)
			eip55_format(n->registry, addr);
		printf("%c %-16s %-10llu %-11s %-42s %s\n", strcmp(cfg->default_network, n->name) ? ' ' : '*',
		       n->name, (unsigned long long)n->chain_id, n->symbol, addr, n->rpc);
	}
}

/* A preset network (sepolia, polygon...): its explorer, its symbol unless
 * --symbol gave one, and its chain id, which --chain-id may only repeat. */
static int apply_preset(network *net, const network_preset *ps, bool has_id, unsigned long id,
			const char *symbol)
{
	if (has_id && id != ps->chain_id)
		return usage_error("network", "'%s' is %s, chain id %llu, not %lu (give the network "
				   "another name to add chain %lu)", net->name, ps->title,
				   (unsigned long long)ps->chain_id, id, id);
	if (!symbol)
		snprintf(net->symbol, sizeof(net->symbol), "%s", ps->symbol);
	snprintf(net->explorer, sizeof(net->explorer), "%s", ps->explorer);
	return 0;
}

/* The chain id the node at net->rpc reports; for a preset it must be the
 * preset's (EHR_ECHAIN naming both otherwise). */
static int ask_chain_id(network *net, const network_preset *ps)
{
	rpc_client *c;
	rpc_options ro;
	ehr_err e = { 0 };
	int rc;

	if ((rc = target_rpc_options(&ro, &e)) || (rc = rpc_open(net->rpc, &ro, &c, &e)))
		return report(&e);
	rc = rpc_chain_id(c, &net->chain_id, &e);
	rpc_close(c);
	if (rc)
		return fail(rc, "%s (give --chain-id N to add the network without asking the node)", e.msg);
	if (ps && net->chain_id != ps->chain_id)
		return fail(EHR_ECHAIN, "the node at %s reports chain id %llu, but %s is chain id %llu: "
			    "not saved (is the URL for %s?)", net->rpc, (unsigned long long)net->chain_id,
			    ps->title, (unsigned long long)ps->chain_id, net->name);
	return 0;
}

static int add(config *cfg, const char *name, const struct network_options *o)
{
	const network_preset *ps;
	const char *token = o->token, *symbol = o->symbol;
	bool has_id = o->id != 0;
	unsigned long id = o->id;
	char host[256];
	network net;
	ehr_err e = { 0 };
	int rc;

	memset(&net, 0, sizeof(net));
	if ((rc = network_name_check(name, &e)))
		return report(&e);
	if (config_network(cfg, name) && !o->force)
		return fail(EHR_EUSAGE, "network '%s' exists (use --force to replace it)", name);
	if (!g.rpc)
		return usage_error("network", "'network add' needs --rpc URL");
	if (symbol && network_symbol_check(symbol, &e))
		return usage_error("network", "--symbol: %s", e.msg);
	if (strlen(g.rpc) > NETWORK_URL_MAX)
		return fail(EHR_EUSAGE, "the rpc URL is longer than %d bytes", NETWORK_URL_MAX);
	/* libcurl's parser reads the URL: without libcurl it could not be checked */
	if (lazylib_curl(&e))
		return report(&e);
	if (!o->allow_http && rpc_url_remote_http(g.rpc, host, sizeof(host)) == 1)
		return fail(EHR_EUSAGE, "plain http:// to %s, which is not this machine: anyone on the way "
			    "can read and rewrite the node's answers. Use https://, or add --allow-http "
			    "for a node on a network you trust (a clinic's LAN)", host);
	net.allow_http = o->allow_http;
	snprintf(net.name, sizeof(net.name), "%s", name);
	strcpy(net.rpc, g.rpc);
	strcpy(net.symbol, symbol ? symbol : NETWORK_DEFAULT_SYMBOL);
	if (g.registry) {
		if ((rc = eip55_parse(g.registry, net.registry, &e)))
			return report(&e);
		net.has_registry = true;
	}
	if (token) {
		if ((rc = eip55_parse(token, net.token, &e)))
			return report(&e);
		net.has_token = true;
	}
	if ((ps = network_preset_find(name)) && (rc = apply_preset(&net, ps, has_id, id, symbol)))
		return rc;
	if (has_id)
		net.chain_id = id;
	else if ((rc = ask_chain_id(&net, ps)))
		return rc;
	if ((rc = config_network_put(cfg, &net, &e)))
		return report(&e);
	if (o->make_default || cfg->nnetworks == 1)
		strcpy(cfg->default_network, name);
	if ((rc = config_save(cfg, &e)))
		return report(&e);
	note("network '%s' (%s%schain id %llu, native coin %s%s%s) saved%s", name,
	     ps ? ps->title : "", ps ? ", " : "", (unsigned long long)net.chain_id, net.symbol,
	     net.explorer[0] ? ", explorer " : "", net.explorer,
	     strcmp(cfg->default_network, name) ? "" : "; it is the default");
	return 0;
}

const struct command_args cmd_network_args = {
	.opts = network_opts, .size = sizeof(struct network_options), .max_pos = -1,
};

int cmd_network(const struct command_call *call)
{
	const struct network_options *o = call->opts;
	const char *sub = call->npos ? call->pos[0] : "list", *name = call->npos > 1 ? call->pos[1] : NULL;
	config *cfg = NULL;
	ehr_err e = { 0 };
	int rc;

	if (strcmp(sub, "list") && strcmp(sub, "add") && strcmp(sub, "use") && strcmp(sub, "remove"))
		return usage_error("network", "unknown subcommand '%s' (use list, add, use or remove)", sub);
	if (!strcmp(sub, "list") ? call->npos > 1 : call->npos != 2)
		return usage_error("network", strcmp(sub, "list") ? "'network %s' takes one network name"
				   : "'network %s' takes no arguments", sub);
	if ((rc = config_load(&cfg, &e)))
		return report(&e);
	if (!strcmp(sub, "list")) {
		print_networks(cfg);
	} else if (!strcmp(sub, "add")) {
		rc = add(cfg, name, o);
	} else if (!config_network(cfg, name)) {
		rc = fail(EHR_EFAIL, "no network named '%s' (see 'ehr network list')", name);
	} else {
		if (!strcmp(sub, "use"))
			snprintf(cfg->default_network, sizeof(cfg->default_network), "%s", name);
		else
			config_network_remove(cfg, name, &e);
		if ((rc = config_save(cfg, &e)))
			rc = report(&e);
		else
			note("%s network '%s'", !strcmp(sub, "use") ? "now using" : "removed", name);
	}
	config_free(cfg);
	return rc;
}
