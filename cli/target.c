#include "cli/target.h"
#include "cli/ehr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/keys/eth.h"

static void adopt(struct target *t, const network *n)
{
	snprintf(t->network, sizeof(t->network), "%s", n->name);
	t->chain_id = n->chain_id;
	t->has_registry = n->has_registry;
	memcpy(t->registry, n->registry, 20);
	t->has_token = n->has_token;
	memcpy(t->token, n->token, 20);
	snprintf(t->symbol, sizeof(t->symbol), "%s", n->symbol[0] ? n->symbol : NETWORK_DEFAULT_SYMBOL);
}

int target_resolve(struct target *t, ehr_err *e)
{
	config *cfg = NULL;
	const network *net = NULL;
	const char *url = NULL, *env;
	size_t i;
	int rc;

	memset(t, 0, sizeof(*t));
	strcpy(t->symbol, NETWORK_DEFAULT_SYMBOL);
	if ((rc = config_load(&cfg, e)))
		return rc;
	if (g.network && !(net = config_network(cfg, g.network))) {
		rc = ehr_fail(e, EHR_EUSAGE, "no network named '%s' (see 'ehr network list')", g.network);
		goto out;
	}
	if (g.rpc) {
		url = g.rpc;
		t->rpc_source = "--rpc";
	} else if (net) {
		url = net->rpc;
		t->rpc_source = "--network";
	} else if ((env = getenv("EHR_RPC_URL")) && *env) {
		url = env;
		t->rpc_source = "EHR_RPC_URL";
	} else if ((env = getenv("ETH_RPC_URL")) && *env) {
		url = env;
		t->rpc_source = "ETH_RPC_URL";
	} else if (cfg->default_network[0] && (net = config_network(cfg, cfg->default_network))) {
		url = net->rpc;
		t->rpc_source = "the default network";
	} else {
		url = DEFAULT_RPC_URL;
		t->rpc_source = "the built-in default";
	}
	if (strlen(url) > NETWORK_URL_MAX) {
		rc = ehr_fail(e, EHR_EUSAGE, "the rpc URL is longer than %d bytes", NETWORK_URL_MAX);
		goto out;
	}
	strcpy(t->rpc, url);
	if (!net)
		for (i = 0; i < cfg->nnetworks; i++)
			if (!strcmp(cfg->networks[i].rpc, url)) {
				net = &cfg->networks[i];
				break;
			}
	if (net)
		adopt(t, net);
	if (g.registry) {
		if ((rc = eip55_parse(g.registry, t->registry, e))) {
			ehr_wrap(e, "--registry");
			goto out;
		}
		t->has_registry = true;
	}
out:
	config_free(cfg);
	return rc;
}

int target_registry(const struct target *t, uint8_t out[20], ehr_err *e)
{
	if (!t->has_registry)
		return ehr_fail(e, EHR_EUSAGE,
				"no registry for %s. The registry comes with the network's configuration: "
				"the clinic or network operator gives its address ('ehr network add NAME "
				"--rpc URL --registry ADDR', or --registry ADDR). Only to run a chain of your "
				"own, 'ehr deploy' deploys one", t->network[0] ? t->network : t->rpc);
	memcpy(out, t->registry, 20);
	return 0;
}

int target_token(const struct target *t, const char *arg, const char *hint, uint8_t out[20],
		 ehr_err *e)
{
	if (strcmp(arg, "default"))
		return eip55_parse(arg, out, e);
	if (!t->has_token)
		return ehr_fail(e, EHR_EUSAGE, "network %s has no default token%s",
				t->network[0] ? t->network : "(none)", hint);
	memcpy(out, t->token, 20);
	return 0;
}

int target_rpc_options(rpc_options *o, ehr_err *e)
{
	rpc_options_default(o);
	return rpc_options_env(o, e);
}
