/* Which node, chain and registry a command talks to (DESIGN.md section 6):
 * --rpc URL, then --network NAME, then $EHR_RPC_URL, $ETH_RPC_URL, then
 * the configured default network, then http://127.0.0.1:8545. A URL that
 * is a configured network's takes that network's chain id and registry.
 * The registry: --registry / $EHR_REGISTRY, else the network's. The native
 * coin's symbol: the network's, else "ETH". */
#ifndef EHR_TARGET_H
#define EHR_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include "wallet/chain/config.h"
#include "wallet/base/err.h"
#include "wallet/chain/rpc.h"

#define DEFAULT_RPC_URL "http://127.0.0.1:8545"

struct target {
	char network[NETWORK_NAME_MAX + 1];  /* "" when no configured network applies */
	char rpc[NETWORK_URL_MAX + 1];
	const char *rpc_source;              /* where the URL came from, for messages */
	uint64_t chain_id;                   /* the network's pinned id, 0: none */
	bool has_registry;
	uint8_t registry[20];
	bool has_token;
	uint8_t token[20];
	char symbol[NETWORK_SYMBOL_MAX + 1]; /* the native coin's: the network's, else "ETH" */
};

int target_resolve(struct target *t, ehr_err *e);

/* The rpc options for this run: defaults, then $EHR_RPC_TIMEOUT. */
int target_rpc_options(rpc_options *o, ehr_err *e);

/* The registry address, or EHR_EUSAGE saying how to get one. */
int target_registry(const struct target *t, uint8_t out[20], ehr_err *e);

/* The ERC-20 token arg names: "default" the network's, else an address.
 * A network without a default token is EHR_EUSAGE, "network N has no
 * default token" followed by hint. */
int target_token(const struct target *t, const char *arg, const char *hint, uint8_t out[20],
		 ehr_err *e);

#endif
