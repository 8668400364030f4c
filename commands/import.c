/* ehr import: a wallet holding one existing key, from a raw private key
 * file or a Web3 Secret Storage v3 keystore (geth, cast, MetaMask). */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>

#include <sodium.h>

#include "keystore/v3.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/keys/secp.h"

struct import_options {
	const char *keyfile, *v3file, *kspass, *kdf;
	bool force;
};

static const struct opt import_opts[] = {
	{ "private-key-file", 0, "FILE", OV_FILE, "a file holding the private key as 64 hex digits",
	  OPT_STR(struct import_options, keyfile), .alt = 1, .required = true },
	{ "keystore", 0, "FILE", OV_FILE, "a Web3 Secret Storage v3 file",
	  OPT_STR(struct import_options, v3file), .alt = 1, .required = true },
	{ "keystore-passphrase-file", 0, "FILE", OV_FILE, "the v3 file's password (else the terminal asks)",
	  OPT_STR(struct import_options, kspass) },
	WALLET_KDF_OPT(struct import_options),
	WALLET_FORCE_OPT(struct import_options),
	{ 0 }
};

static int key_from_file(const char *file, uint8_t priv[32], ehr_err *e)
{
	char *line;
	size_t len;
	int rc;

	if ((rc = secret_line_from_file(file, &line, &len, e)))
		return rc;
	rc = hex_decode_exact(line, priv, 32);
	sodium_free(line);
	if (rc)
		return ehr_fail(e, EHR_EUSAGE, "%s does not hold a private key (64 hex digits)", file);
	if (!secp256k1_ec_seckey_verify(secp_ctx(), priv))
		return ehr_fail(e, EHR_EUSAGE, "%s holds no valid secp256k1 private key", file);
	return 0;
}

static int key_from_v3(const char *file, const char *passfile, uint8_t priv[32], ehr_err *e)
{
	char *json = NULL, *pass = NULL;
	uint8_t addr[20];
	size_t len, passlen;
	int rc;

	if ((rc = file_read_all(file, V3_JSON_MAX, &json, &len, e)))
		return rc;
	rc = passfile ? passphrase_from_file(passfile, &pass, &passlen, e)
		      : prompt_secret("password of the keystore file", &pass, &passlen, e);
	if (!rc) {
		rc = v3_decrypt(json, len, pass, passlen, priv, addr, e);
		if (rc)
			ehr_wrap(e, "%s", file);
		sodium_free(pass);
	}
	free(json);
	return rc;
}

static int import_check(const struct command_call *call)
{
	const struct import_options *o = call->opts;

	if (!o->keyfile == !o->v3file)
		return usage_error("import", "give one of --private-key-file FILE or --keystore FILE");
	return 0;
}

const struct command_args cmd_import_args = {
	.opts = import_opts, .size = sizeof(struct import_options),
	.extra_hint = "a key is never an argument: use --private-key-file", .check = import_check,
};

int cmd_import(const struct command_call *call)
{
	const struct import_options *o = call->opts;
	keystore_secret *s;
	ehr_err e = { 0 };
	int rc;

	if (!(s = keystore_secret_new()))
		return fail(EHR_EFAIL, "out of secure memory");
	s->kind = KEYSTORE_PRIVATE_KEY;
	rc = o->keyfile ? key_from_file(o->keyfile, s->private_key, &e)
			: key_from_v3(o->v3file, o->kspass, s->private_key, &e);
	rc = rc ? report(&e) : create_wallet(s, o->kdf, 1, o->force);
	keystore_secret_free(s);
	return rc;
}
