/* ehr restore: the same wallet again from its words. */
#include "commands/commands.h"
#include "cli/session.h"

#include <string.h>

#include <sodium.h>

#include "wallet/keys/bip39.h"

enum { O_FILE = 1, O_KDF, O_FORCE, O_ACCOUNTS, O_BIP39PASS };

const struct opt cmd_restore_opts[] = {
	{ "mnemonic-file", 0, O_FILE, "FILE", OV_FILE, "read the mnemonic from FILE (else the terminal asks)" },
	{ "bip39-passphrase-file", 0, O_BIP39PASS, "FILE", OV_FILE, "the BIP39 passphrase, if the wallet had one" },
	{ "kdf", 0, O_KDF, "LEVEL", OV_LEVEL, "argon2id cost: interactive, moderate (default) or sensitive" },
	{ "accounts", 0, O_ACCOUNTS, "N", OV_NONE, "accounts to derive and list (default 5)" },
	{ "force", 'f', O_FORCE, NULL, OV_NONE, "replace an existing wallet of that name" },
	{ 0 }
};

int cmd_restore(int argc, char **argv)
{
	struct opt_parser p;
	const char *val, *file = NULL, *kdf = NULL, *bip39pass = NULL;
	unsigned long naccounts = KEYSTORE_DEFAULT_ACCOUNTS;
	bool force = false;
	keystore_secret *s = NULL;
	char *mnemonic = NULL;
	size_t len;
	ehr_err e = { 0 };
	int key, rc;

	opt_init(&p, "restore", argc, argv, cmd_restore_opts);
	while ((key = opt_next(&p, &val)) > 0) {
		switch (key) {
		case O_FILE: file = val; break;
		case O_KDF: kdf = val; break;
		case O_FORCE: force = true; break;
		case O_BIP39PASS: bip39pass = val; break;
		case O_ACCOUNTS:
			if (opt_ulong(&p, "--accounts", val, KEYSTORE_MAX_ACCOUNTS, &naccounts))
				return EHR_EUSAGE;
			break;
		}
	}
	if (key < 0)
		return EHR_EUSAGE;
	if (p.npos)
		return usage_error("restore", "unexpected argument '%s' (the mnemonic is never an argument: "
				   "use --mnemonic-file or the prompt)", p.pos[0]);
	if (naccounts == 0)
		return usage_error("restore", "--accounts must be at least 1");
	rc = file ? secret_line_from_file(file, &mnemonic, &len, &e)
		  : prompt_secret("mnemonic (words separated by spaces)", &mnemonic, &len, &e);
	if (rc)
		return report(&e);
	if (!(s = keystore_secret_new())) {
		rc = fail(EHR_EFAIL, "out of secure memory");
		goto out;
	}
	s->kind = KEYSTORE_MNEMONIC;
	if ((rc = bip39_to_entropy(mnemonic, s->entropy, &len, &e)) ||
	    (rc = load_bip39_passphrase(bip39pass, s, &e))) {
		if (rc == EHR_EUSAGE && !strstr(e.msg, "passphrase"))
			ehr_wrap(&e, "mnemonic");
		rc = report(&e);
		goto out;
	}
	s->entropy_len = (uint8_t)len;
	rc = create_wallet(s, kdf, naccounts, force);
out:
	keystore_secret_free(s);
	sodium_free(mnemonic);
	return rc;
}
