/* ehr sign: an EIP-191 personal_sign signature (what MetaMask and cast
 * make), as 65 bytes r || s || v with v = 27 or 28. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"

#define MESSAGE_MAX (16u << 20)

#define MESSAGE_ONCE "give the message once: as an argument, --file FILE or --hex HEX"

struct sign_options {
	const char *file, *hex, *address, *sigtext;
	unsigned long index;
	uint8_t hash[32];        /* the message's EIP-191 hash (the check makes it) */
	uint8_t want[20], sig[65];  /* verify: --address and --signature */
};

static const struct opt sign_opts[] = {
	{ "file", 0, "FILE", OV_FILE, "sign the bytes of FILE ('-' for standard input)",
	  OPT_STR(struct sign_options, file), .alt = 1 },
	{ "hex", 0, "HEX", OV_NONE, "sign the bytes given in hex (0x...)",
	  OPT_STR(struct sign_options, hex), .alt = 1 },
	{ "index", 0, "N", OV_NONE, "the account to sign with (default: --account, else 0)",
	  OPT_ULONG(struct sign_options, index, 0x7fffffff) },
	{ 0 }
};

static const struct opt verify_opts[] = {
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

/* The message, from exactly one of an operand, --file and --hex, into its
 * EIP-191 hash o->hash. 0, or the exit status of what was wrong. */
static int message_hash(const char *cmd, struct sign_options *o, int npos, char **pos)
{
	ehr_err e = { 0 };
	char *buf;
	size_t len;
	long n;

	if ((npos > 0) + !!o->file + !!o->hex != 1)
		return usage_error(cmd, "%s", MESSAGE_ONCE);
	if (npos) {
		eip191_hash((const uint8_t *)pos[0], strlen(pos[0]), o->hash);
		return 0;
	}
	if (o->hex) {
		size_t cap = strlen(o->hex) / 2 + 1;

		if (!(buf = malloc(cap)))
			return fail(EHR_EFAIL, "out of memory");
		if ((n = hex_decode(o->hex, (uint8_t *)buf, cap)) < 0) {
			free(buf);
			return usage_error(cmd, "--hex wants hex digits, optionally after 0x");
		}
		len = (size_t)n;
	} else if (!strcmp(o->file, "-") ? fd_read_all(0, MESSAGE_MAX, &buf, &len, &e)
					 : file_read_all(o->file, MESSAGE_MAX, &buf, &len, &e)) {
		return report(&e);
	}
	eip191_hash((const uint8_t *)buf, len, o->hash);
	free(buf);
	return 0;
}

static int sign_check(const struct command_call *call)
{
	return message_hash("sign", call->opts, call->npos, call->pos);
}

static void sign_init(void *opts)
{
	((struct sign_options *)opts)->index = session_account();
}

const struct command_args cmd_sign_args = {
	.opts = sign_opts, .size = sizeof(struct sign_options), .init = sign_init,
	.max_pos = 1, .wrong_count = MESSAGE_ONCE, .check = sign_check,
};

/* The hash signed with the account's key, from the wallet main read. */
int cmd_sign(const struct command_call *call)
{
	const struct sign_options *o = call->opts;
	keystore *ks = call->x->s.ks;
	keystore_keys *keys = NULL;
	uint8_t sig[65];
	char sighex[133], addr[43];
	ehr_err e = { 0 };
	int rc;

	if ((rc = session_keys(ks, NULL, (uint32_t)o->index, &keys, &e)))
		return report(&e);
	rc = eth_sign_hash(keys->private_key, o->hash, sig, &e);
	eip55_format(keys->address, addr);
	keystore_keys_free(keys);
	if (rc)
		return report(&e);
	sig[64] += 27;
	hex_encode0x(sig, 65, sighex);
	if (g.json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "address", addr);
		cJSON_AddStringToObject(j, "signature", sighex);
		output_json(j);
	} else {
		puts(sighex);
	}
	return 0;
}

/* The address and the signature, then the message. */
static int verify_check(const struct command_call *call)
{
	struct sign_options *o = call->opts;
	ehr_err e = { 0 };

	if (!o->address || !o->sigtext)
		return usage_error("verify", "give --address ADDR and --signature SIG");
	if (eip55_parse(o->address, o->want, &e))
		return report(&e);
	if (hex_decode_exact(o->sigtext, o->sig, 65))
		return usage_error("verify", "--signature wants 65 bytes in hex (130 digits after 0x)");
	return message_hash("verify", o, call->npos, call->pos);
}

const struct command_args cmd_verify_args = {
	.opts = verify_opts, .size = sizeof(struct sign_options),
	.max_pos = 1, .wrong_count = MESSAGE_ONCE, .check = verify_check,
};

int cmd_verify(const struct command_call *call)
{
	const struct sign_options *o = call->opts;
	uint8_t got[20];
	char gotaddr[43];
	ehr_err e = { 0 };
	int match;

	if (eth_recover(o->hash, o->sig, got, &e))
		return report(&e);
	match = !memcmp(o->want, got, 20);
	eip55_format(got, gotaddr);
	if (g.json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "valid", match);
		cJSON_AddStringToObject(j, "signer", gotaddr);
		output_json(j);
	} else if (match) {
		if (!g.quiet)
			puts("valid");
	}
	if (!match)
		return fail(EHR_EFAIL, "signature does not match %s (it was made by %s)", o->address, gotaddr);
	return 0;
}
