/* ehr export: the mnemonic (after a confirmation), or one account's key as
 * a Web3 Secret Storage v3 file for geth, cast or MetaMask. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "keystore/v3.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"

struct export_options {
	bool mnemonic, force;
	const char *mout, *v3file, *kspass;
	unsigned long index;
};

static const struct opt export_opts[] = {
	{ "mnemonic", 0, NULL, OV_NONE, "show the mnemonic (asks first)",
	  OPT_FLAG(struct export_options, mnemonic), .forms = OPT_IN(0), .required = true },
	{ "mnemonic-out", 0, "FILE", OV_FILE, "with --mnemonic: write it to FILE (0600) instead",
	  OPT_STR(struct export_options, mout), .forms = OPT_IN(0) },
	{ "keystore", 0, "FILE", OV_FILE, "write the account's key as a v3 keystore file (0600)",
	  OPT_STR(struct export_options, v3file), .forms = OPT_IN(1), .required = true },
	{ "keystore-passphrase-file", 0, "FILE", OV_FILE, "password for the v3 file (else the terminal asks twice)",
	  OPT_STR(struct export_options, kspass), .forms = OPT_IN(1) },
	{ "index", 0, "N", OV_NONE, "the account to export (default: --account, else 0)",
	  OPT_ULONG(struct export_options, index, 0x7fffffff), .forms = OPT_IN(1) },
	{ "force", 'f', NULL, OV_NONE, "replace an existing output file",
	  OPT_FLAG(struct export_options, force), .forms = OPT_IN(1) },
	{ 0 }
};

static int export_mnemonic(keystore *ks, const char *out, ehr_err *e)
{
	char *m = sodium_malloc(BIP39_MNEMONIC_MAX + 1);
	int rc;

	if (!m)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if ((rc = keystore_mnemonic(ks, m, BIP39_MNEMONIC_MAX, e)))
		goto out;
	if (out) {
		size_t n = strlen(m);

		m[n] = '\n';
		rc = file_write_atomic(out, m, n + 1, 0600, false, e);
	} else {
		puts(m);
	}
out:
	sodium_free(m);
	return rc;
}

static int export_v3(keystore *ks, uint32_t index, const char *file, const char *passfile,
		     bool force, ehr_err *e)
{
	keystore_keys *keys = keystore_keys_new();
	char *pass = NULL, *json = NULL;
	size_t passlen;
	int rc;

	if (!keys)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if ((rc = keystore_derive_index(ks->secret, index, keys, e)))
		goto out;
	rc = passfile ? passphrase_from_file(passfile, &pass, &passlen, e)
		      : (g.passphrase_fd >= 0 || g.passphrase_file)
			? ehr_fail(e, EHR_EUSAGE, "give the keystore's password with --keystore-passphrase-file")
			: session_passphrase("password for the keystore file", true, &pass, &passlen, e);
	if (rc)
		goto out;
	if ((rc = v3_encrypt(keys->private_key, pass, passlen, NULL, &json, e)))
		goto out;
	rc = file_write_atomic(file, json, strlen(json), 0600, force, e);
	if (!rc && !g.quiet && !g.json) {
		char addr[43];

		eip55_format(keys->address, addr);
		fprintf(stderr, "wrote the key of account %u (%s) to %s\n", index, addr, file);
	}
out:
	if (pass)
		sodium_free(pass);
	free(json);
	keystore_keys_free(keys);
	return rc;
}

/* What is wrong with the options, found before the wallet is read. */
static int export_check(const struct command_call *call)
{
	const struct export_options *o = call->opts;

	if (o->mnemonic == !!o->v3file)
		return usage_error("export", "give one of --mnemonic or --keystore FILE");
	if (o->mout && !o->mnemonic)
		return usage_error("export", "--mnemonic-out goes with --mnemonic");
	if (o->mnemonic && !o->mout && !isatty(STDOUT_FILENO) && !g.yes)
		return fail(EHR_EUSAGE, "standard output is not a terminal: refusing to print the mnemonic "
			    "(use --mnemonic-out FILE, or --yes to print it anyway)");
	if ((o->mout && file_exists(o->mout)) || (o->v3file && !o->force && file_exists(o->v3file)))
		return fail(EHR_EUSAGE, "%s exists (use another name%s)", o->mout ? o->mout : o->v3file,
			    o->mout ? "" : " or --force");
	return 0;
}

static void export_init(void *opts)
{
	((struct export_options *)opts)->index = session_account();
}

const struct command_args cmd_export_args = {
	.opts = export_opts, .size = sizeof(struct export_options), .init = export_init,
	.check = export_check,
};

/* The wallet (read by main) unlocked, after a confirmation for the
 * mnemonic. */
int cmd_export(const struct command_call *call)
{
	const struct export_options *o = call->opts;
	keystore *ks = call->x->s.ks;
	ehr_err e = { 0 };
	int rc;

	if (o->mnemonic && (rc = confirm("Show the wallet's mnemonic? Anyone who sees it owns the wallet", &e)))
		return report(&e);
	if ((rc = session_unlock_open(ks, &e)))
		return report(&e);
	rc = o->mnemonic ? export_mnemonic(ks, o->mout, &e)
			 : export_v3(ks, (uint32_t)o->index, o->v3file, o->kspass, o->force, &e);
	return rc ? report(&e) : 0;
}
