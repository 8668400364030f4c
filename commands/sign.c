/* ehr sign: an EIP-191 personal_sign signature (what MetaMask and cast
 * make), as 65 bytes r || s || v with v = 27 or 28. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"

#define MESSAGE_MAX (16u << 20)

struct sign_options {
	const char *file, *hex, *address, *sigtext;
	unsigned long index;
};

const struct opt cmd_sign_opts[] = {
	{ "file", 0, "FILE", OV_FILE, "sign the bytes of FILE ('-' for standard input)",
	  OPT_STR(struct sign_options, file), .alt = 1 },
	{ "hex", 0, "HEX", OV_NONE, "sign the bytes given in hex (0x...)",
	  OPT_STR(struct sign_options, hex), .alt = 1 },
	{ "index", 0, "N", OV_NONE, "the account to sign with (default: --account, else 0)",
	  OPT_ULONG(struct sign_options, index, 0x7fffffff) },
	{ 0 }
};

const struct opt cmd_verify_opts[] = {
	{ "address", 'a', "ADDR", OV_NONE, "the address that should have signed",
	  OPT_STR(struct sign_options, address), .required = true },
	{ "signature", 's', "SIG", OV_NONE, "the 65-byte signature in hex",
	  OPT_STR(struct sign_options, sigtext), .required = true },
	{ "file", 0, "FILE", OV_FILE, "the message is the bytes of FILE ('-' for standard input)",
	  OPT_STR(struct sign_options, file), .alt = 1 },
	{ "hex", 0, "HEX", OV_NONE, "the message is the bytes given in hex (0x...)",
	  OPT_STR(struct sign_options, hex), .alt = 1 },
	{ 0 }
};

/* The message from exactly one of: a positional argument, --file, --hex. */
static int message_bytes(const char *cmd, int npos, char **pos, const char *file,
			 const char *hex, uint8_t **msg, size_t *len)
{
	ehr_err e = { 0 };
	char *buf;
	int rc;

	if ((npos > 0) + !!file + !!hex != 1 || npos > 1)
		return usage_error(cmd, "give the message once: as an argument, --file FILE or --hex HEX");
	if (npos) {
		*len = strlen(pos[0]);
		*msg = (uint8_t *)strdup(pos[0]);
		return 0;
	}
	if (hex) {
		size_t cap = strlen(hex) / 2 + 1;
		long n;

		*msg = malloc(cap);
		if ((n = hex_decode(hex, *msg, cap)) < 0) {
			free(*msg);
			return usage_error(cmd, "--hex wants hex digits, optionally after 0x");
		}
		*len = (size_t)n;
		return 0;
	}
	rc = !strcmp(file, "-") ? fd_read_all(0, MESSAGE_MAX, &buf, len, &e)
				: file_read_all(file, MESSAGE_MAX, &buf, len, &e);
	if (rc)
		return report(&e);
	*msg = (uint8_t *)buf;
	return 0;
}

int cmd_sign(int argc, char **argv)
{
	struct opt_parser p;
	struct sign_options opts = { .index = session_account() };
	const char *file, *hex;
	unsigned long index;
	keystore *ks = NULL;
	keystore_keys *keys = NULL;
	uint8_t *msg = NULL, hash[32], sig[65];
	char sighex[133], addr[43];
	size_t len;
	ehr_err e = { 0 };
	int rc;

	opt_init(&p, "sign", argc, argv, cmd_sign_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	file = opts.file;
	hex = opts.hex;
	index = opts.index;
	if ((rc = message_bytes("sign", p.npos, p.pos, file, hex, &msg, &len)))
		return rc;
	eip191_hash(msg, len, hash);
	free(msg);
	if ((rc = session_unlock(&ks, &e)))
		return report(&e);
	if (!(keys = keystore_keys_new())) {
		keystore_free(ks);
		return fail(EHR_EFAIL, "out of secure memory");
	}
	if (!(rc = keystore_derive_index(ks->secret, (uint32_t)index, keys, &e)))
		rc = eth_sign_hash(keys->private_key, hash, sig, &e);
	eip55_format(keys->address, addr);
	keystore_keys_free(keys);
	keystore_free(ks);
	if (rc)
		return report(&e);
	sig[64] += 27;
	hex_encode0x(sig, 65, sighex);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddStringToObject(o, "signature", sighex);
		output_json(o);
	} else {
		puts(sighex);
	}
	return 0;
}

int cmd_verify(int argc, char **argv)
{
	struct opt_parser p;
	struct sign_options opts = { 0 };
	const char *file, *hex, *address, *sigtext;
	uint8_t *msg = NULL, hash[32], sig[65], want[20], got[20];
	char gotaddr[43];
	size_t len;
	ehr_err e = { 0 };
	int rc, match;

	opt_init(&p, "verify", argc, argv, cmd_verify_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	file = opts.file;
	hex = opts.hex;
	address = opts.address;
	sigtext = opts.sigtext;
	if (!address || !sigtext)
		return usage_error("verify", "give --address ADDR and --signature SIG");
	if (eip55_parse(address, want, &e))
		return report(&e);
	if (hex_decode_exact(sigtext, sig, 65))
		return usage_error("verify", "--signature wants 65 bytes in hex (130 digits after 0x)");
	if ((rc = message_bytes("verify", p.npos, p.pos, file, hex, &msg, &len)))
		return rc;
	eip191_hash(msg, len, hash);
	free(msg);
	if ((rc = eth_recover(hash, sig, got, &e)))
		return report(&e);
	match = !memcmp(want, got, 20);
	eip55_format(got, gotaddr);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "valid", match);
		cJSON_AddStringToObject(o, "signer", gotaddr);
		output_json(o);
	} else if (match) {
		if (!g.quiet)
			puts("valid");
	}
	if (!match)
		return fail(EHR_EFAIL, "signature does not match %s (it was made by %s)", address, gotaddr);
	return 0;
}
