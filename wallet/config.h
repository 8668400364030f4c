/* config.json (DESIGN.md section 6): the named networks and which one is
 * the default.
 *
 *   { "default_network": "local",
 *     "networks": { "local": { "rpc": "http://127.0.0.1:8545", "chain_id": 31337,
 *                              "registry": "0x…", "token": "0x…" } } }
 *
 * Written atomically, 0600, in a 0700 directory. Nothing here prints. */
#ifndef EHR_CONFIG_H
#define EHR_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/err.h"

#define NETWORK_NAME_MAX 64
#define NETWORK_URL_MAX 1024

typedef struct network {
	char name[NETWORK_NAME_MAX + 1];
	char rpc[NETWORK_URL_MAX + 1];
	uint64_t chain_id;        /* 0: not pinned */
	bool has_registry;
	uint8_t registry[20];
	bool has_token;           /* the default token for payments */
	uint8_t token[20];
} network;

typedef struct config {
	char *path;
	char default_network[NETWORK_NAME_MAX + 1];
	network *networks;
	size_t nnetworks;
} config;

/* Loads the configuration; a missing file is an empty configuration. A
 * damaged one is EHR_EINTEGRITY naming the file. */
int config_load(config **out, ehr_err *e);

/* Writes cfg back to its file atomically. */
int config_save(const config *cfg, ehr_err *e);

/* The network of that name, or NULL. */
network *config_network(config *cfg, const char *name);

/* Checks a network name: letters, digits, '.', '_', '-', 1 to 64. */
int network_name_check(const char *name, ehr_err *e);

/* Adds net, or replaces the network of the same name. */
int config_network_put(config *cfg, const network *net, ehr_err *e);

/* Removes a network (and the default, if it was that one). EHR_EFAIL if
 * there is no such network. */
int config_network_remove(config *cfg, const char *name, ehr_err *e);

void config_free(config *cfg);

#endif
