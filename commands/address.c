/* ehr address: one account's address; from the header when the account is
 * listed there, else derived (which needs the passphrase). */
#include "commands/commands.h"
#include "cli/context.h"
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

static const struct opt address_opts[] = {
	{ "index", 0, "N", OV_NONE, "account index at m/44'/60'/0'/0/N (default: --account, else 0)",
	  OPT_ULONG(struct address_options, index, 0x7fffffff), .alt = 1 },
	{ "path", 0, "PATH", OV_NONE, "any BIP32 path, e.g. \"m/44'/60'/1'/0/0\" (asks for the passphrase)",
	  OPT_STR(struct address_options, path), .alt = 1 },
	{ "bech32", 0, "PREFIX", OV_NONE, "also show the bech32 form for a Cosmos EVM chain (evmos, crc, kava...)",
	  OPT_STR(struct address_options, hrp) },
	{ 0 }
};

static void address_init(void *opts)
{
	((struct address_options *)opts)->index = session_account();
}

const struct command_args cmd_address_args = {
	.opts = address_opts, .size = sizeof(struct address_options), .init = address_init,
};

/* The address and encryption key of the account: from the header of the
 * wallet main read when it lists the account, else derived. */
static int address_of(keystore *ks, const struct address_options *o, uint8_t addr[20],
		      uint8_t enc[32], ehr_err *e)
{
	const keystore_account *a;
	keystore_keys *keys;
	int rc;

	if (!o->path && (a = keystore_account_by_index(ks, (uint32_t)o->index))) {
		memcpy(addr, a->address, 20);
		memcpy(enc, a->encryption_key, 32);
		return 0;
	}
	if ((rc = session_keys(ks, o->path, (uint32_t)o->index, &keys, e)))
		return rc;
	memcpy(addr, keys->address, 20);
	memcpy(enc, keys->enc_public, 32);
	keystore_keys_free(keys);
	return rc;
}

int cmd_address(const struct command_call *call)
{
	const struct address_options *opts = call->opts;
	const char *path = opts->path, *hrp = opts->hrp;
	unsigned long index = opts->index;
	uint8_t addr[20], enc[32];
	char text[43], b32[BECH32_MAX + 1], enchex[65];
	ehr_err e = { 0 };
	int rc;

	rc = address_of(call->x->s.ks, opts, addr, enc, &e);
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
