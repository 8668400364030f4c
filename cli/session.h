/* What commands share to reach a wallet: its path from --wallet, the
 * passphrase from fd, file or terminal, unlocking, confirmations. */
#ifndef EHR_SESSION_H
#define EHR_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keystore/keystore.h"

/* The path of the selected wallet (--wallet, $EHR_WALLET, "default"). */
int session_wallet_path(char *out, size_t cap, ehr_err *e);

/* Opens the selected wallet without unlocking it. */
int session_open(keystore **ks, ehr_err *e);

/* Gets a passphrase: --passphrase-fd, then --passphrase-file /
 * $EHR_PASSPHRASE_FILE, then the terminal (asked twice when confirm).
 * *pass is sodium_malloc memory: free with sodium_free. */
int session_passphrase(const char *prompt, bool confirm, char **pass, size_t *len, ehr_err *e);

/* Reads a secret line from the terminal with echo off into sodium_malloc
 * memory; EHR_EAUTH when there is no terminal. */
int prompt_secret(const char *prompt, char **out, size_t *len, ehr_err *e);

/* prompt_secret twice; the two entries must match. */
int prompt_secret_twice(const char *prompt, char **out, size_t *len, ehr_err *e);

/* Unlocks ks, the selected wallet opened by session_open (not read again),
 * with the passphrase from the usual sources. */
int session_unlock_open(keystore *ks, ehr_err *e);

/* Opens and unlocks the selected wallet. */
int session_unlock(keystore **ks, ehr_err *e);

/* The keys of account index (or, path not NULL, of that BIP32 path) of the
 * opened wallet ks, into *keys (keystore_keys_new memory): the one place
 * commands obtain keys. From the unlock agent when one holds this wallet
 * and $EHR_AGENT is not 0: its secrets stay there (cli/agent_keys.h) and
 * no passphrase is asked; else ks is unlocked with the passphrase from the
 * usual sources (unless it is already) and the keys derived here. */
int session_keys(keystore *ks, const char *path, uint32_t index, keystore_keys **keys, ehr_err *e);

/* The account index to act as: --account, else 0. */
uint32_t session_account(void);

/* Asks "question [y/N]" on the terminal. --yes answers yes. Without a
 * terminal and without --yes it refuses (EHR_EUSAGE). A "no" is EHR_EFAIL. */
int confirm(const char *question, ehr_err *e);

/* Asks question on the terminal and reads the answer (echoed) into out,
 * without its newline and trailing white space; "" when none was typed.
 * EHR_EUSAGE without a terminal. */
int prompt_line(const char *question, char *out, size_t cap, ehr_err *e);

/* A secret read from a file (a mnemonic, a key), first line trimmed of
 * surrounding white space; sodium_malloc memory. */
int secret_line_from_file(const char *path, char **out, size_t *len, ehr_err *e);



/* The options of a command that makes a wallet with create_wallet, bound
 * to the fields kdf, naccounts and force of its options struct S. */
#define WALLET_KDF_OPT(S) \
	{ "kdf", 0, "LEVEL", OV_LEVEL, "argon2id cost: interactive, moderate (default) or sensitive", \
	  OPT_STR(S, kdf) }
#define WALLET_ACCOUNTS_OPT(S) \
	{ "accounts", 0, "N", OV_NONE, "accounts to derive and list (default 5)", \
	  OPT_ULONG(S, naccounts, KEYSTORE_MAX_ACCOUNTS) }
#define WALLET_FORCE_OPT(S) \
	{ "force", 'f', NULL, OV_NONE, "replace an existing wallet of that name", OPT_FLAG(S, force) }

/* Seals secret into a new wallet file for the selected wallet name, with a
 * new passphrase from the usual sources (asked twice on a terminal), and
 * prints what was created (table or --json). */
int create_wallet(const keystore_secret *secret, const char *kdf, unsigned long naccounts,
		  bool force);

/* create_wallet, with before_write(arg) called once the passphrase is
 * accepted and before anything is written: a non-zero return (it has
 * reported its error) stops there, nothing written, and is returned. */
int create_wallet_confirmed(const keystore_secret *secret, const char *kdf, unsigned long naccounts,
			    bool force, int (*before_write)(void *arg), void *arg);

/* Prints the accounts of ks: a table, or with --json an array. */
void print_accounts(const keystore *ks);
/* Reads the optional BIP39 passphrase ('25th word') from file, if given,
 * into s. */
int load_bip39_passphrase(const char *file, keystore_secret *s, ehr_err *e);

#endif
