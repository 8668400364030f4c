/* ehr config: where ehr keeps things and what this invocation would use
 * (wallet, network, node, registry), with where each setting came from. */
#include "commands/commands.h"
#include "cli/target.h"

#include <stdio.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/paths.h"
#include "wallet/chain/rpc.h"

static const struct opt config_opts[] = {
	{ 0 }
};

const struct command_args cmd_config_args = {
	.opts = config_opts, .extra_hint = "networks are set with 'ehr network'",
};

int cmd_config(const struct command_call *call)
{
	struct target t;
	char wallets[4096], cfgfile[4096], state[4096], reg[43] = "", chain[24] = "";
	ehr_err e = { 0 };

	(void)call;
	if (paths_get(PLACE_WALLETS, wallets, sizeof(wallets), &e) ||
	    paths_get(PLACE_CONFIG, cfgfile, sizeof(cfgfile), &e) ||
	    paths_get(PLACE_STATE, state, sizeof(state), &e) || target_resolve(&t, &e))
		return report(&e);
	{
		/* the URL may carry an API key: show it as the rpc client would */
		rpc_client *c;

		if (!rpc_open(t.rpc, NULL, &c, &e)) {
			snprintf(t.rpc, sizeof(t.rpc), "%s", rpc_display_url(c));
			rpc_close(c);
		}
	}
	if (t.has_registry)
		eip55_format(t.registry, reg);
	if (t.chain_id)
		snprintf(chain, sizeof(chain), "%llu", (unsigned long long)t.chain_id);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "config_file", cfgfile);
		cJSON_AddStringToObject(o, "wallets_dir", wallets);
		cJSON_AddStringToObject(o, "state_dir", state);
		cJSON_AddStringToObject(o, "wallet", g.wallet);
		cJSON_AddItemToObject(o, "network", t.network[0] ? cJSON_CreateString(t.network) : cJSON_CreateNull());
		cJSON_AddStringToObject(o, "rpc", t.rpc);
		cJSON_AddStringToObject(o, "rpc_source", t.rpc_source);
		cJSON_AddItemToObject(o, "chain_id", t.chain_id ? cJSON_CreateNumber((double)t.chain_id) : cJSON_CreateNull());
		cJSON_AddItemToObject(o, "registry", t.has_registry ? cJSON_CreateString(reg) : cJSON_CreateNull());
		output_json(o);
		return 0;
	}
	printf("config file   %s\nwallets       %s\nstate         %s\nwallet        %s\n"
	       "network       %s\nrpc           %s (from %s)\nchain id      %s\nregistry      %s\n",
	       cfgfile, wallets, state, g.wallet, t.network[0] ? t.network : "(none)", t.rpc,
	       t.rpc_source, chain[0] ? chain : "(not pinned)", reg[0] ? reg : "(none)");
	return 0;
}
