/* ehr init: a new wallet from fresh entropy. The mnemonic is the only
 * backup: it goes to the terminal once, or to a 0600 file for scripts. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
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

static const struct opt init_opts[] = {
	{ "words", 0, "N", OV_WORDS, "mnemonic length: 12, 15, 18, 21 or 24 (default 24)",
	  OPT_ULONG(struct init_options, words, 24) },
	{ "mnemonic-out", 0, "FILE", OV_FILE, "write the mnemonic to FILE (0600) instead of the terminal",
	  OPT_STR(struct init_options, out) },
	{ "bip39-passphrase-file", 0, "FILE", OV_FILE, "an optional BIP39 passphrase (the '25th word')",
	  OPT_STR(struct init_options, bip39pass) },
	WALLET_KDF_OPT(struct init_options),
	WALLET_ACCOUNTS_OPT(struct init_options),
	WALLET_FORCE_OPT(struct init_options),
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

/* How many words the check after showing them asks for, and how many
 * tries each gets. */
#define QUIZ_WORDS 3
#define QUIZ_TRIES 3

/* Word number pos (1-based) of m into word (wiped by the caller); false if
 * there is no such word. */
static bool nth_word(const char *m, unsigned pos, char word[16])
{
	unsigned i;
	int n;

	for (i = 1; sscanf(m, "%15s%n", word, &n) == 1; i++, m += n)
		if (i == pos)
			return true;
	return false;
}

/* QUIZ_WORDS distinct positions of the nwords words, in increasing order. */
static void quiz_positions(unsigned nwords, unsigned pos[QUIZ_WORDS])
{
	unsigned k = 0, i, p;

	while (k < QUIZ_WORDS) {
		p = 1 + randombytes_uniform(nwords);
		for (i = 0; i < k && pos[i] != p; i++)
			;
		if (i == k)
			pos[k++] = p;
	}
	for (i = 1; i < QUIZ_WORDS; i++)
		for (k = i; k > 0 && pos[k - 1] > pos[k]; k--) {
			p = pos[k];
			pos[k] = pos[k - 1];
			pos[k - 1] = p;
		}
}

/* Asks for one word on the terminal (echo off), QUIZ_TRIES tries: 0 when
 * it was given, else a reported failure. */
static int ask_word(const char *want, unsigned pos)
{
	char prompt[32], *got = NULL;
	size_t len = 0;
	ehr_err e = { 0 };
	unsigned t;
	bool right;
	int rc;

	snprintf(prompt, sizeof(prompt), "word #%u", pos);
	for (t = 1; t <= QUIZ_TRIES; t++) {
		/* an empty or overlong answer (EHR_EUSAGE) is a wrong one */
		if ((rc = prompt_secret(prompt, &got, &len, &e)) && rc != EHR_EUSAGE)
			return report(&e);
		right = !rc && len == strlen(want) && !strncasecmp(got, want, len);
		if (!rc)
			sodium_free(got);
		if (right)
			return 0;
		if (t < QUIZ_TRIES)
			fprintf(stderr, "That is not word #%u; try again (%u more %s).\n", pos,
				QUIZ_TRIES - t, QUIZ_TRIES - t == 1 ? "try" : "tries");
	}
	return fail(EHR_EFAIL, "word #%u was not confirmed: no wallet written. Run 'ehr init' again "
		    "(new words), and write them down in order", pos);
}

/* Before the wallet is written, on a terminal: the words, then a check
 * that they were written down (ehr-init(1), CHECKING THE WORDS). */
static int show_and_check(void *arg)
{
	const char *m = arg;
	unsigned pos[QUIZ_WORDS], nwords = 0, i;
	char word[16], line[8];
	FILE *tty;
	int rc = 0;

	show_mnemonic(m);
	while (nth_word(m, nwords + 1, word))
		nwords++;
	if (!(tty = fopen("/dev/tty", "r+")))
		return fail(EHR_EUSAGE, "no terminal to check the words on (use --mnemonic-out FILE or --yes)");
	fputs("Press Enter once they are written down; the screen is then cleared and three of them\n"
	      "are asked for.", tty);
	fflush(tty);
	if (!fgets(line, sizeof(line), tty))
		line[0] = '\0';
	fclose(tty);
	if (isatty(STDOUT_FILENO))
		fputs("\033[H\033[2J\033[3J", stdout);   /* the words off the screen and its scrollback */
	fflush(stdout);
	quiz_positions(nwords, pos);
	fputs("To check the written copy, type these words (they are not shown):\n", stderr);
	for (i = 0; i < QUIZ_WORDS && !rc; i++) {
		nth_word(m, pos[i], word);
		rc = ask_word(word, pos[i]);
	}
	sodium_memzero(word, sizeof(word));
	return rc;
}

static void next_steps(void)
{
	note("\nNext steps:\n"
	     "  ehr network add NAME --rpc URL   the network that keeps the records (the clinic or\n"
	     "                                   network operator gives it; 'man ehr-network' lists\n"
	     "                                   public chains such as sepolia)\n"
	     "  ehr register --name \"NAME\"       publish this account's encryption key\n"
	     "  ehr record add FILE              encrypt a record and store it");
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

/* What is wrong with the options, found before anything is asked. */
static int init_check(const struct command_call *call)
{
	const struct init_options *o = call->opts;

	if (o->words < 12 || o->words % 3)
		return usage_error("init", "--words must be 12, 15, 18, 21 or 24");
	if (o->naccounts == 0)
		return usage_error("init", "--accounts must be at least 1");
	if (!o->out && !isatty(STDOUT_FILENO))
		return fail(EHR_EUSAGE, "standard output is not a terminal: refusing to print the mnemonic "
			    "there (use --mnemonic-out FILE)");
	if (o->out && file_exists(o->out))
		return fail(EHR_EUSAGE, "%s exists: refusing to overwrite a mnemonic file", o->out);
	return 0;
}

static const struct init_options init_defaults = { .words = 24, .naccounts = KEYSTORE_DEFAULT_ACCOUNTS };

const struct command_args cmd_init_args = {
	.opts = init_opts, .size = sizeof(init_defaults), .defaults = &init_defaults, .check = init_check,
};

int cmd_init(const struct command_call *call)
{
	const struct init_options *o = call->opts;
	const char *out = o->out;
	keystore_secret *s = NULL;
	char *mnemonic = NULL, path[4096];
	struct stat before;
	bool had, check;
	size_t len;
	ehr_err e = { 0 };
	int rc;

	if ((rc = session_wallet_path(path, sizeof(path), &e)))
		return report(&e);
	if (!o->force && file_exists(path))
		return fail(EHR_EUSAGE, "wallet '%s' exists at %s (use --force to replace it)", g.wallet, path);
	had = stat(path, &before) == 0;

	if (!(s = keystore_secret_new()) || !(mnemonic = sodium_malloc(BIP39_MNEMONIC_MAX))) {
		rc = fail(EHR_EFAIL, "out of secure memory");
		goto out;
	}
	s->kind = KEYSTORE_MNEMONIC;
	if ((rc = bip39_generate(o->words, mnemonic, BIP39_MNEMONIC_MAX, &e)) ||
	    (rc = bip39_to_entropy(mnemonic, s->entropy, &len, &e)) ||
	    (rc = load_bip39_passphrase(o->bip39pass, s, &e))) {
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
	check = !out && !g.yes && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if ((rc = create_wallet_confirmed(s, o->kdf, o->naccounts, o->force, check ? show_and_check : NULL,
					  mnemonic))) {
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
	if (!out && !check)
		show_mnemonic(mnemonic);
	next_steps();
out:
	keystore_secret_free(s);
	sodium_free(mnemonic);
	return rc;
}
