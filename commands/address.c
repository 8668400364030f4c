/* ehr address: one account's address; from the header when the account is
 * listed there, else derived (which needs the passphrase). */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/bech32.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"

struct address_options {
	unsigned long index;
	const char *path, *hrp;
};

const struct opt cmd_address_opts[] = {
	{ "index", 0, "N", OV_NONE, "account index at m/44'/60'/0'/0/N (default: --account, else 0)",
	  OPT_ULONG(struct address_options, index, 0x7fffffff), .alt = 1 },
	{ "path", 0, "PATH", OV_NONE, "any BIP32 path, e.g. \"m/44'/60'/1'/0/0\" (asks for the passphrase)",
	  OPT_STR(struct address_options, path), .alt = 1 },
	{ "bech32", 0, "PREFIX", OV_NONE, "also show the bech32 form for a Cosmos EVM chain (evmos, crc, kava...)",
	  OPT_STR(struct address_options, hrp) },
	{ 0 }
};

int cmd_address(int argc, char **argv)
{
	struct opt_parser p;
	struct address_options opts = { .index = session_account() };
	const char *path, *hrp;
	unsigned long index;
	const keystore_account *a;
	keystore *ks = NULL;
	keystore_keys *keys = NULL;
	uint8_t addr[20], enc[32];
	char text[43], b32[BECH32_MAX + 1], enchex[65];
	ehr_err e = { 0 };
	int rc = 0;

	opt_init(&p, "address", argc, argv, cmd_address_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	index = opts.index;
	path = opts.path;
	hrp = opts.hrp;
	if (p.npos)
		return usage_error("address", "unexpected argument '%s'", p.pos[0]);
	if ((rc = session_open(&ks, &e)))
		return report(&e);
	if (!path && (a = keystore_account_by_index(ks, (uint32_t)index))) {
		memcpy(addr, a->address, 20);
		memcpy(enc, a->encryption_key, 32);
	} else {
		if ((rc = session_unlock_open(ks, &e))) {
			keystore_free(ks);
			return report(&e);
		}
		if (!(keys = keystore_keys_new())) {
			keystore_free(ks);
			return fail(EHR_EFAIL, "out of secure memory");
		}
		rc = path ? keystore_derive(ks->secret, path, keys, &e)
			  : keystore_derive_index(ks->secret, (uint32_t)index, keys, &e);
		memcpy(addr, keys->address, 20);
		memcpy(enc, keys->enc_public, 32);
		keystore_keys_free(keys);
	}
	keystore_free(ks);
	if (!rc && hrp)
		rc = bech32_encode(hrp, addr, 20, b32, sizeof(b32), &e);
	if (rc)
		return report(&e);
	eip55_format(addr, text);
	hex_encode(enc, 32, enchex);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", text);
		if (path)
			cJSON_AddStringToObject(o, "path", path);
		else
			cJSON_AddNumberToObject(o, "index", (double)index);
		cJSON_AddStringToObject(o, "encryption_key", enchex);
		if (hrp)
			cJSON_AddStringToObject(o, "bech32", b32);
		output_json(o);
	} else {
		puts(text);
		if (hrp)
			puts(b32);
	}
	return 0;
}
