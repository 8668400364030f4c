/* ehr restore: the same wallet again from its words. */
#include "commands/commands.h"
#include "cli/session.h"

#include <string.h>

#include <sodium.h>

#include "wallet/keys/bip39.h"

struct restore_options {
	const char *file, *kdf, *bip39pass;
	unsigned long naccounts;
	bool force;
};

static const struct opt restore_opts[] = {
	{ "mnemonic-file", 0, "FILE", OV_FILE, "read the mnemonic from FILE (else the terminal asks)",
	  OPT_STR(struct restore_options, file) },
	{ "bip39-passphrase-file", 0, "FILE", OV_FILE, "the BIP39 passphrase, if the wallet had one",
	  OPT_STR(struct restore_options, bip39pass) },
	WALLET_KDF_OPT(struct restore_options),
	WALLET_ACCOUNTS_OPT(struct restore_options),
	WALLET_FORCE_OPT(struct restore_options),
	{ 0 }
};

static int restore_check(const struct command_call *call)
{
	if (((const struct restore_options *)call->opts)->naccounts == 0)
		return usage_error("restore", "--accounts must be at least 1");
	return 0;
}

static const struct restore_options restore_defaults = { .naccounts = KEYSTORE_DEFAULT_ACCOUNTS };

const struct command_args cmd_restore_args = {
	.opts = restore_opts, .size = sizeof(restore_defaults), .defaults = &restore_defaults,
	.extra_hint = "the mnemonic is never an argument: use --mnemonic-file or the prompt",
	.check = restore_check,
};

int cmd_restore(const struct command_call *call)
{
	const struct restore_options *o = call->opts;
	keystore_secret *s = NULL;
	char *mnemonic = NULL;
	size_t len;
	ehr_err e = { 0 };
	int rc;

	rc = o->file ? secret_line_from_file(o->file, &mnemonic, &len, &e)
		  : prompt_secret("mnemonic (words separated by spaces)", &mnemonic, &len, &e);
	if (rc)
		return report(&e);
	if (!(s = keystore_secret_new())) {
		rc = fail(EHR_EFAIL, "out of secure memory");
		goto out;
	}
	s->kind = KEYSTORE_MNEMONIC;
	if ((rc = bip39_to_entropy(mnemonic, s->entropy, &len, &e)) ||
	    (rc = load_bip39_passphrase(o->bip39pass, s, &e))) {
		if (rc == EHR_EUSAGE && !strstr(e.msg, "passphrase"))
			ehr_wrap(&e, "mnemonic");
		rc = report(&e);
		goto out;
	}
	s->entropy_len = (uint8_t)len;
	rc = create_wallet(s, o->kdf, o->naccounts, o->force);
out:
	keystore_secret_free(s);
	sodium_free(mnemonic);
	return rc;
}
