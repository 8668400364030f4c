/* The silent reader: what a grantee could read from public chain data
 * alone, sending nothing. Collects every transaction input to the registry
 * and every log the registry emitted (JSON-RPC: eth_getBlockByNumber with
 * transactions, eth_getLogs), and tries every 80-byte window (a 32-byte key
 * sealed with crypto_box_seal) against the grantee's X25519 secret, derived
 * from its mnemonic as ehr derives it (account 0, or --index N). Prints the
 * number of distinct 32-byte keys that open, and exits 0.
 *
 *   silent_reader --rpc URL --registry ADDR --mnemonic-file FILE [--index N]
 *
 * consent.sh runs it after a grant (nothing may open), after a logged
 * request and its release (the released keys open), and after revoke
 * (nothing more). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/hex.h"
#include "wallet/chain/rpc.h"
#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/enckey.h"

#define KEY_MAX 4096

struct found {
	uint8_t keys[KEY_MAX][32];
	size_t n;
};

static void die(const char *what, const ehr_err *e)
{
	fprintf(stderr, "silent_reader: %s%s%s\n", what, e ? ": " : "", e ? e->msg : "");
	exit(2);
}

/* The account's X25519 pair from the mnemonic in path. */
static void grantee_keys(const char *path, unsigned index, uint8_t sk[32], uint8_t pk[32])
{
	char words[1024], bip[64];
	uint8_t seed[64];
	bip32_key master, child;
	ehr_err e = { 0 };
	FILE *f = fopen(path, "r");

	if (!f || !fgets(words, sizeof(words), f))
		die("cannot read the mnemonic file", NULL);
	fclose(f);
	words[strcspn(words, "\r\n")] = '\0';
	snprintf(bip, sizeof(bip), BIP44_ETH_PATH_FMT, index);
	if (bip39_seed(words, "", seed, &e) || bip32_from_seed(seed, 64, &master, &e) ||
	    bip32_derive_path(&master, bip, &child, &e))
		die("cannot derive the account", &e);
	if (enckey_derive(child.priv, sk, pk))
		die("cannot derive the X25519 key", NULL);
	sodium_memzero(&master, sizeof(master));
	sodium_memzero(&child, sizeof(child));
}

/* Every 80-byte window of the hex string h. */
static void try_hex(const char *h, const uint8_t sk[32], const uint8_t pk[32], struct found *fd)
{
	size_t len = strlen(h), i, k;
	uint8_t *buf, key[32];
	long n;

	if (len >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2, len -= 2;
	if (!(buf = malloc(len / 2 + 1)))
		die("out of memory", NULL);
	if ((n = hex_decode(h, buf, len / 2 + 1)) < 0)
		die("a node answer is not hex", NULL);
	for (i = 0; i + crypto_box_SEALBYTES + 32 <= (size_t)n; i++) {
		if (crypto_box_seal_open(key, buf + i, crypto_box_SEALBYTES + 32, pk, sk))
			continue;
		for (k = 0; k < fd->n && memcmp(fd->keys[k], key, 32); k++)
			;
		if (k == fd->n && fd->n < KEY_MAX)
			memcpy(fd->keys[fd->n++], key, 32);
	}
	free(buf);
}

static cJSON *call(rpc_client *c, const char *method, cJSON *params)
{
	cJSON *res = NULL;
	ehr_err e = { 0 };

	if (rpc_call(c, method, params, &res, &e))
		die(method, &e);
	return res;
}

/* Inputs of every transaction to the registry, block by block. */
static void scan_inputs(rpc_client *c, const char *registry, const uint8_t sk[32], const uint8_t pk[32],
			struct found *fd)
{
	cJSON *head = call(c, "eth_blockNumber", NULL), *b, *tx;
	unsigned long long n, last = strtoull(cJSON_GetStringValue(head), NULL, 16);
	char num[32];

	cJSON_Delete(head);
	for (n = 0; n <= last; n++) {
		cJSON *params = cJSON_CreateArray();

		snprintf(num, sizeof(num), "0x%llx", n);
		cJSON_AddItemToArray(params, cJSON_CreateString(num));
		cJSON_AddItemToArray(params, cJSON_CreateTrue());
		b = call(c, "eth_getBlockByNumber", params);
		cJSON_ArrayForEach(tx, cJSON_GetObjectItem(b, "transactions")) {
			const char *to = cJSON_GetStringValue(cJSON_GetObjectItem(tx, "to"));
			const char *input = cJSON_GetStringValue(cJSON_GetObjectItem(tx, "input"));

			if (to && input && !strcasecmp(to, registry))
				try_hex(input, sk, pk, fd);
		}
		cJSON_Delete(b);
	}
}

/* Data of every log of the registry. */
static void scan_logs(rpc_client *c, const char *registry, const uint8_t sk[32], const uint8_t pk[32],
		      struct found *fd)
{
	cJSON *params = cJSON_CreateArray(), *filter = cJSON_CreateObject(), *logs, *log;

	cJSON_AddStringToObject(filter, "address", registry);
	cJSON_AddStringToObject(filter, "fromBlock", "0x0");
	cJSON_AddStringToObject(filter, "toBlock", "latest");
	cJSON_AddItemToArray(params, filter);
	logs = call(c, "eth_getLogs", params);
	cJSON_ArrayForEach(log, logs) {
		const char *data = cJSON_GetStringValue(cJSON_GetObjectItem(log, "data"));

		if (data)
			try_hex(data, sk, pk, fd);
	}
	cJSON_Delete(logs);
}

int main(int argc, char **argv)
{
	const char *url = NULL, *registry = NULL, *mfile = NULL;
	unsigned index = 0;
	uint8_t *sk, pk[32];
	rpc_client *c = NULL;
	struct found *fd;
	ehr_err e = { 0 };
	int i;

	for (i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--rpc"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--registry"))
			registry = argv[i + 1];
		else if (!strcmp(argv[i], "--mnemonic-file"))
			mfile = argv[i + 1];
		else if (!strcmp(argv[i], "--index"))
			index = (unsigned)strtoul(argv[i + 1], NULL, 10);
	}
	if (!url || !registry || !mfile || i != argc) {
		fprintf(stderr, "usage: silent_reader --rpc URL --registry ADDR --mnemonic-file FILE [--index N]\n");
		return 2;
	}
	if (sodium_init() < 0 || !(sk = sodium_malloc(32)) || !(fd = calloc(1, sizeof(*fd))))
		die("cannot start", NULL);
	grantee_keys(mfile, index, sk, pk);
	if (rpc_open(url, NULL, &c, &e))
		die("cannot open the node", &e);
	scan_inputs(c, registry, sk, pk, fd);
	scan_logs(c, registry, sk, pk, fd);
	printf("%zu\n", fd->n);
	rpc_close(c);
	sodium_free(sk);
	free(fd);
	return 0;
}
