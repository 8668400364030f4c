/* ehr node: what the node says about itself and the registry, in one
 * batch request: chain id, head block, client, fees, registry code. */
#include "commands/commands.h"
#include "cli/context.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/chain/rpc.h"

static const struct opt node_opts[] = {
	{ 0 }
};

const struct command_args cmd_node_args = { .opts = node_opts };

enum { R_CHAIN, R_HEAD, R_BLOCK, R_CLIENT, R_GASPRICE, R_CODE, R_N };

/* What the node says, as printed. */
struct facts {
	uint64_t chain_id, head;
	bool eip1559;
	char reg[43], client[128], gwei[64], basegwei[64];
	size_t code_len;
};

/* The batch: chain id, head, latest block, client, gas price and, with a
 * registry, its code (n: how many of them). */
static void requests(rpc_request r[R_N], const struct facts *f, size_t *n)
{
	memset(r, 0, R_N * sizeof(*r));
	r[R_CHAIN].method = "eth_chainId";
	r[R_HEAD].method = "eth_blockNumber";
	r[R_BLOCK].method = "eth_getBlockByNumber";
	r[R_BLOCK].params = cJSON_CreateArray();
	cJSON_AddItemToArray(r[R_BLOCK].params, cJSON_CreateString("latest"));
	cJSON_AddItemToArray(r[R_BLOCK].params, cJSON_CreateFalse());
	r[R_CLIENT].method = "web3_clientVersion";
	r[R_GASPRICE].method = "eth_gasPrice";
	*n = R_CODE;
	if (f->reg[0]) {
		r[R_CODE].method = "eth_getCode";
		r[R_CODE].params = cJSON_CreateArray();
		cJSON_AddItemToArray(r[R_CODE].params, cJSON_CreateString(f->reg));
		cJSON_AddItemToArray(r[R_CODE].params, cJSON_CreateString("latest"));
		*n = R_N;
	}
}

/* The answers that may be missing (a node without EIP-1559, a client that
 * does not say its name): f keeps "?" or "-" for them. */
static void optional_facts(const rpc_request r[R_N], size_t n, struct facts *f)
{
	const cJSON *basefee = NULL;
	uint8_t gas_price[32] = { 0 };
	uint64_t bf;
	ehr_err e;

	if (!r[R_BLOCK].status && cJSON_IsObject(r[R_BLOCK].result))
		basefee = cJSON_GetObjectItemCaseSensitive(r[R_BLOCK].result, "baseFeePerGas");
	f->eip1559 = basefee != NULL;
	if (!r[R_CLIENT].status && cJSON_IsString(r[R_CLIENT].result))
		snprintf(f->client, sizeof(f->client), "%s", r[R_CLIENT].result->valuestring);
	if (!r[R_GASPRICE].status && !rpc_parse_quantity(r[R_GASPRICE].result, gas_price, &e)) {
		uint64_t wei = 0;
		int i;

		for (i = 24; i < 32; i++)
			wei = wei << 8 | gas_price[i];
		snprintf(f->gwei, sizeof(f->gwei), "%.3f gwei", (double)wei / 1e9);
	}
	if (cJSON_IsString(basefee) && !rpc_parse_u64(basefee, &bf, &e))
		snprintf(f->basegwei, sizeof(f->basegwei), "%.3f gwei", (double)bf / 1e9);
	if (n == R_N && !r[R_CODE].status && cJSON_IsString(r[R_CODE].result))
		f->code_len = (strlen(r[R_CODE].result->valuestring) - 2) / 2;
}

/* Asks the node everything in one batch through c's client (the chain id
 * among it, checked here against t's network with this command's own
 * words). */
static int ask(rpc_client *c, const struct target *t, struct facts *f, ehr_err *e)
{
	rpc_request r[R_N];
	size_t n, i;
	int rc;

	requests(r, f, &n);
	if ((rc = rpc_batch(c, r, n, e)))
		goto out;
	if ((rc = r[R_CHAIN].status) || (rc = r[R_HEAD].status)) {
		*e = r[R_CHAIN].status ? r[R_CHAIN].err : r[R_HEAD].err;
		goto out;
	}
	if ((rc = rpc_parse_u64(r[R_CHAIN].result, &f->chain_id, e)) ||
	    (rc = rpc_parse_u64(r[R_HEAD].result, &f->head, e))) {
		ehr_wrap(e, "%s", rpc_display_url(c));
		goto out;
	}
	optional_facts(r, n, f);
	if (t->chain_id && t->chain_id != f->chain_id)
		rc = ehr_fail(e, EHR_ECHAIN, "node at %s reports chain id %llu, but network '%s' is "
			      "configured for %llu: ehr will not sign for it", rpc_display_url(c),
			      (unsigned long long)f->chain_id, t->network, (unsigned long long)t->chain_id);
out:
	for (i = 0; i < n; i++)
		rpc_request_free(&r[i]);
	return rc;
}

static void print(const char *url, const struct target *t, const struct facts *f)
{
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "rpc", url);
		cJSON_AddItemToObject(o, "network", t->network[0] ? cJSON_CreateString(t->network) : cJSON_CreateNull());
		cJSON_AddNumberToObject(o, "chain_id", (double)f->chain_id);
		cJSON_AddNumberToObject(o, "block", (double)f->head);
		cJSON_AddStringToObject(o, "client", f->client);
		cJSON_AddBoolToObject(o, "eip1559", f->eip1559);
		cJSON_AddItemToObject(o, "registry", f->reg[0] ? cJSON_CreateString(f->reg) : cJSON_CreateNull());
		cJSON_AddBoolToObject(o, "registry_deployed", f->code_len > 0);
		output_json(o);
		return;
	}
	printf("rpc           %s\nnetwork       %s\nchain id      %llu\nblock         %llu\n"
	       "client        %s\ngas price     %s\nbase fee      %s\n",
	       url, t->network[0] ? t->network : "(none)", (unsigned long long)f->chain_id,
	       (unsigned long long)f->head, f->client, f->gwei, f->basegwei);
	if (f->reg[0])
		printf("registry      %s (%s)\n", f->reg,
		       f->code_len ? "deployed" : "no code at this address on this chain");
	else
		printf("registry      (none: 'ehr deploy' deploys one)\n");
}

/* The node of the context main set up: its client asks, before any check
 * of the chain id, because telling which chain the node is on is what
 * this command is for. */
int cmd_node(const struct command_call *call)
{
	const struct target *t = &call->x->t;
	rpc_client *c = chain_rpc(call->x->c);
	struct facts f = { .client = "?", .gwei = "?", .basegwei = "-" };
	ehr_err e = { 0 };

	if (t->has_registry)
		eip55_format(t->registry, f.reg);
	if (ask(c, t, &f, &e))
		return report(&e);
	print(rpc_display_url(c), t, &f);
	return 0;
}
