/* ehr init: a new wallet from fresh entropy. The mnemonic is the only
 * backup: it goes to the terminal once, or to a 0600 file for scripts. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/keys/bip39.h"
#include "wallet/base/fileio.h"

struct init_options {
	unsigned long words, naccounts;
	const char *out, *kdf, *bip39pass;
	bool force;
};

const struct opt cmd_init_opts[] = {
	{ "words", 0, "N", OV_WORDS, "mnemonic length: 12, 15, 18, 21 or 24 (default 24)",
	  OPT_ULONG(struct init_options, words, 24) },
	{ "mnemonic-out", 0, "FILE", OV_FILE, "write the mnemonic to FILE (0600) instead of the terminal",
	  OPT_STR(struct init_options, out) },
	{ "bip39-passphrase-file", 0, "FILE", OV_FILE, "an optional BIP39 passphrase (the '25th word')",
	  OPT_STR(struct init_options, bip39pass) },
	{ "kdf", 0, "LEVEL", OV_LEVEL, "argon2id cost: interactive, moderate (default) or sensitive",
	  OPT_STR(struct init_options, kdf) },
	{ "accounts", 0, "N", OV_NONE, "accounts to derive and list (default 5)",
	  OPT_ULONG(struct init_options, naccounts, KEYSTORE_MAX_ACCOUNTS) },
	{ "force", 'f', NULL, OV_NONE, "replace an existing wallet of that name",
	  OPT_FLAG(struct init_options, force) },
	{ 0 }
};

static void show_mnemonic(const char *m)
{
	char word[16];
	int i = 0, n;

	puts("Write these words down, in order, and keep them offline. They are the only");
	puts("backup of this wallet and are shown this once:\n");
	while (sscanf(m, "%15s%n", word, &n) == 1) {
		i++;
		printf("%3d. %-10s%s", i, word, i % 4 ? "" : "\n");
		m += n;
	}
	sodium_memzero(word, sizeof(word));
	puts(i % 4 ? "\n" : "");
}

/* Whether another file than the one before (none: had is false) is now at
 * path: the new wallet went into place. */
static bool wallet_replaced(const char *path, bool had, const struct stat *before)
{
	struct stat now;

	if (stat(path, &now) < 0)
		return false;
	return !had || now.st_dev != before->st_dev || now.st_ino != before->st_ino;
}

int cmd_init(int argc, char **argv)
{
	struct opt_parser p;
	struct init_options opts = { .words = 24, .naccounts = KEYSTORE_DEFAULT_ACCOUNTS };
	const char *out, *kdf, *bip39pass;
	unsigned long words, naccounts;
	bool force;
	keystore_secret *s = NULL;
	char *mnemonic = NULL, path[4096];
	struct stat before;
	bool had;
	size_t len;
	ehr_err e = { 0 };
	int rc;

	opt_init(&p, "init", argc, argv, cmd_init_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	words = opts.words;
	naccounts = opts.naccounts;
	out = opts.out;
	kdf = opts.kdf;
	bip39pass = opts.bip39pass;
	force = opts.force;
	if (p.npos)
		return usage_error("init", "unexpected argument '%s'", p.pos[0]);
	if (words < 12 || words % 3)
		return usage_error("init", "--words must be 12, 15, 18, 21 or 24");
	if (naccounts == 0)
		return usage_error("init", "--accounts must be at least 1");
	if (!out && !isatty(STDOUT_FILENO))
		return fail(EHR_EUSAGE, "standard output is not a terminal: refusing to print the mnemonic "
			    "there (use --mnemonic-out FILE)");
	if (out && file_exists(out))
		return fail(EHR_EUSAGE, "%s exists: refusing to overwrite a mnemonic file", out);
	if ((rc = session_wallet_path(path, sizeof(path), &e)))
		return report(&e);
	if (!force && file_exists(path))
		return fail(EHR_EUSAGE, "wallet '%s' exists at %s (use --force to replace it)", g.wallet, path);
	had = stat(path, &before) == 0;

	if (!(s = keystore_secret_new()) || !(mnemonic = sodium_malloc(BIP39_MNEMONIC_MAX))) {
		rc = fail(EHR_EFAIL, "out of secure memory");
		goto out;
	}
	s->kind = KEYSTORE_MNEMONIC;
	if ((rc = bip39_generate(words, mnemonic, BIP39_MNEMONIC_MAX, &e)) ||
	    (rc = bip39_to_entropy(mnemonic, s->entropy, &len, &e)) ||
	    (rc = load_bip39_passphrase(bip39pass, s, &e))) {
		rc = report(&e);
		goto out;
	}
	s->entropy_len = (uint8_t)len;
	if (out) {
		char *line = sodium_malloc(BIP39_MNEMONIC_MAX + 1);
		size_t n = strlen(mnemonic);

		if (!line) {
			rc = fail(EHR_EFAIL, "out of secure memory");
			goto out;
		}
		memcpy(line, mnemonic, n);
		line[n] = '\n';
		rc = file_write_atomic(out, line, n + 1, 0600, false, &e);
		sodium_free(line);
		if (rc) {
			rc = report(&e);
			goto out;
		}
	}
	if ((rc = create_wallet(s, kdf, naccounts, force))) {
		/* A mnemonic for a wallet that does not exist helps no one; but a
		 * failure after the new wallet went into place (syncing its
		 * directory, reading it back) leaves a wallet whose only backup is
		 * that file. */
		if (out && !wallet_replaced(path, had, &before))
			unlink(out);
		else if (out)
			warn("the wallet was written all the same; its mnemonic is in %s", out);
		goto out;
	}
	if (!out)
		show_mnemonic(mnemonic);
out:
	keystore_secret_free(s);
	sodium_free(mnemonic);
	return rc;
}
