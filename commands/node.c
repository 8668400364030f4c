/* ehr node: what the node says about itself and the registry, in one
 * batch request: chain id, head block, client, fees, registry code. */
#include "commands/commands.h"
#include "cli/target.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/chain/rpc.h"

const struct opt cmd_node_opts[] = {
	{ 0 }
};

enum { R_CHAIN, R_HEAD, R_BLOCK, R_CLIENT, R_GASPRICE, R_CODE, R_N };

int cmd_node(int argc, char **argv)
{
	struct opt_parser p;
	struct target t;
	rpc_request r[R_N];
	rpc_options ro;
	rpc_client *c = NULL;
	const cJSON *basefee = NULL;
	uint64_t chain_id = 0, head = 0;
	uint8_t gas_price[32] = { 0 };
	char reg[43] = "", client[128] = "?", gwei[64] = "?", basegwei[64] = "-";
	size_t n = R_CODE, code_len = 0;
	ehr_err e = { 0 };
	int rc;

	opt_init(&p, "node", argc, argv, cmd_node_opts);
	if (opt_parse(&p, NULL))
		return EHR_EUSAGE;
	if (p.npos)
		return usage_error("node", "unexpected argument '%s'", p.pos[0]);
	if ((rc = target_resolve(&t, &e)) || (rc = target_check_transport(&t, &e)) ||
	    (rc = target_rpc_options(&ro, &e)) ||
	    (rc = rpc_open(t.rpc, &ro, &c, &e)))
		return report(&e);
	memset(r, 0, sizeof(r));
	r[R_CHAIN].method = "eth_chainId";
	r[R_HEAD].method = "eth_blockNumber";
	r[R_BLOCK].method = "eth_getBlockByNumber";
	r[R_BLOCK].params = cJSON_CreateArray();
	cJSON_AddItemToArray(r[R_BLOCK].params, cJSON_CreateString("latest"));
	cJSON_AddItemToArray(r[R_BLOCK].params, cJSON_CreateFalse());
	r[R_CLIENT].method = "web3_clientVersion";
	r[R_GASPRICE].method = "eth_gasPrice";
	if (t.has_registry) {
		eip55_format(t.registry, reg);
		r[R_CODE].method = "eth_getCode";
		r[R_CODE].params = cJSON_CreateArray();
		cJSON_AddItemToArray(r[R_CODE].params, cJSON_CreateString(reg));
		cJSON_AddItemToArray(r[R_CODE].params, cJSON_CreateString("latest"));
		n = R_N;
	}
	if ((rc = rpc_batch(c, r, n, &e)))
		goto out;
	if ((rc = r[R_CHAIN].status)) {
		e = r[R_CHAIN].err;
		goto out;
	}
	if ((rc = r[R_HEAD].status)) {
		e = r[R_HEAD].err;
		goto out;
	}
	if ((rc = rpc_parse_u64(r[R_CHAIN].result, &chain_id, &e)) ||
	    (rc = rpc_parse_u64(r[R_HEAD].result, &head, &e))) {
		ehr_wrap(&e, "%s", rpc_display_url(c));
		goto out;
	}
	if (!r[R_BLOCK].status && cJSON_IsObject(r[R_BLOCK].result))
		basefee = cJSON_GetObjectItemCaseSensitive(r[R_BLOCK].result, "baseFeePerGas");
	if (!r[R_CLIENT].status && cJSON_IsString(r[R_CLIENT].result))
		snprintf(client, sizeof(client), "%s", r[R_CLIENT].result->valuestring);
	if (!r[R_GASPRICE].status && !rpc_parse_quantity(r[R_GASPRICE].result, gas_price, &e)) {
		uint64_t wei = 0;
		int i;

		for (i = 24; i < 32; i++)
			wei = wei << 8 | gas_price[i];
		snprintf(gwei, sizeof(gwei), "%.3f gwei", (double)wei / 1e9);
	}
	if (cJSON_IsString(basefee)) {
		uint64_t bf;

		if (!rpc_parse_u64(basefee, &bf, &e))
			snprintf(basegwei, sizeof(basegwei), "%.3f gwei", (double)bf / 1e9);
	}
	if (n == R_N && !r[R_CODE].status && cJSON_IsString(r[R_CODE].result))
		code_len = (strlen(r[R_CODE].result->valuestring) - 2) / 2;
	if (t.chain_id && t.chain_id != chain_id) {
		rc = ehr_fail(&e, EHR_ECHAIN, "node at %s reports chain id %llu, but network '%s' is "
			      "configured for %llu: ehr will not sign for it", rpc_display_url(c),
			      (unsigned long long)chain_id, t.network, (unsigned long long)t.chain_id);
		goto out;
	}
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "rpc", rpc_display_url(c));
		cJSON_AddItemToObject(o, "network", t.network[0] ? cJSON_CreateString(t.network) : cJSON_CreateNull());
		cJSON_AddNumberToObject(o, "chain_id", (double)chain_id);
		cJSON_AddNumberToObject(o, "block", (double)head);
		cJSON_AddStringToObject(o, "client", client);
		cJSON_AddBoolToObject(o, "eip1559", basefee != NULL);
		cJSON_AddItemToObject(o, "registry", reg[0] ? cJSON_CreateString(reg) : cJSON_CreateNull());
		cJSON_AddBoolToObject(o, "registry_deployed", code_len > 0);
		output_json(o);
	} else {
		printf("rpc           %s\nnetwork       %s\nchain id      %llu\nblock         %llu\n"
		       "client        %s\ngas price     %s\nbase fee      %s\n",
		       rpc_display_url(c), t.network[0] ? t.network : "(none)",
		       (unsigned long long)chain_id, (unsigned long long)head, client, gwei, basegwei);
		if (reg[0])
			printf("registry      %s (%s)\n", reg,
			       code_len ? "deployed" : "no code at this address on this chain");
		else
			printf("registry      (none: 'ehr deploy' deploys one)\n");
	}
out:
	for (size_t i = 0; i < n; i++)
		rpc_request_free(&r[i]);
	rpc_close(c);
	return rc ? report(&e) : 0;
}
