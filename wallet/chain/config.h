/* config.json (DESIGN.md section 6): the named networks and which one is
 * the default.
 *
 *   { "default_network": "local",
 *     "networks": { "local": { "rpc": "http://127.0.0.1:8545", "chain_id": 31337,
 *                              "registry": "0x…", "token": "0x…",
 *                              "symbol": "POL",
 *                              "explorer": "https://polygonscan.com" } } }
 *
 * A network without "symbol" (every file written before there was one) has
 * ETH for its native coin; "explorer" (a block explorer's base URL, filled
 * from a preset, wallet/chain/presets.h) is optional; "allow_http": true
 * lets the network's plain http:// URL name another host than loopback.
 *
 * Written atomically, 0600, in a 0700 directory. Nothing here prints. */
#ifndef EHR_CONFIG_H
#define EHR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define NETWORK_NAME_MAX 64
#define NETWORK_URL_MAX 1024
#define NETWORK_SYMBOL_MAX 11
#define NETWORK_DEFAULT_SYMBOL "ETH"

typedef struct network {
	char name[NETWORK_NAME_MAX + 1];
	char rpc[NETWORK_URL_MAX + 1];
	uint64_t chain_id;        /* 0: not pinned */
	bool has_registry;
	uint8_t registry[20];
	bool has_token;           /* the default token for payments */
	uint8_t token[20];
	char symbol[NETWORK_SYMBOL_MAX + 1];  /* the native coin's; "" only before config_network_put */
	char explorer[NETWORK_URL_MAX + 1];   /* "": none known */
	bool allow_http;          /* plain http:// to a host that is not loopback (a trusted LAN) */
} network;

typedef struct config {
	char *path;
	char default_network[NETWORK_NAME_MAX + 1];
	network *networks;
	size_t nnetworks;
} config;

/* Loads the configuration; a missing file is an empty configuration. A
 * damaged one is EHR_EINTEGRITY naming the file. Every network loaded has
 * a symbol (NETWORK_DEFAULT_SYMBOL when the file gives none). */
int config_load(config **out, ehr_err *e);

/* Writes cfg back to its file atomically. */
int config_save(const config *cfg, ehr_err *e);

/* The network of that name, or NULL. */
network *config_network(config *cfg, const char *name);

/* Checks a network name: letters, digits, '.', '_', '-', 1 to 64. */
int network_name_check(const char *name, ehr_err *e);

/* Checks a native coin's symbol: 1 to 11 letters or digits ("POL",
 * "xDAI", "SepoliaETH"); EHR_EUSAGE naming it otherwise. */
int network_symbol_check(const char *symbol, ehr_err *e);

/* Adds net, or replaces the network of the same name: EHR_EUSAGE for a bad
 * name or symbol; an empty symbol is stored as NETWORK_DEFAULT_SYMBOL. */
int config_network_put(config *cfg, const network *net, ehr_err *e);

/* Removes a network (and the default, if it was that one). EHR_EFAIL if
 * there is no such network. */
int config_network_remove(config *cfg, const char *name, ehr_err *e);

void config_free(config *cfg);

#endif
