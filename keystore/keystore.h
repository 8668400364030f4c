/* The wallet file (DESIGN.md section 5): one JSON file per named wallet.
 *
 *   { "ehr_wallet": 1,
 *     "header": { "version": 1, "kind": "mnemonic" | "private-key",
 *                 "created": "2026-11-22T01:02:03Z",
 *                 "kdf": { "name": "argon2id13", "opslimit": N, "memlimit": N,
 *                          "salt": hex16, "check": hex16 },
 *                 "cipher": { "name": "xchacha20poly1305-ietf", "nonce": hex24 },
 *                 "accounts": [ { "index": 0, "path": "m/44'/60'/0'/0/0",
 *                                 "address": "0x…", "encryption_key": hex32 } ] },
 *     "ciphertext": hex,
 *     "checksum": hex32 }
 *
 * The secret (mnemonic entropy and BIP39 passphrase, or a private key) is
 * sealed with XChaCha20-Poly1305 under an Argon2id key; the header, printed
 * compactly by cJSON, is the associated data, so nothing in it can change
 * unnoticed, yet it is readable without the passphrase. "checksum" is an
 * unkeyed BLAKE2b-256 over the associated data and the ciphertext: it tells
 * a damaged file (EHR_EINTEGRITY) from a wrong passphrase (EHR_EAUTH), which
 * the AEAD alone cannot. It is no protection against an attacker; the AEAD
 * is. "check", the key check, is a BLAKE2b-128 keyed with the Argon2id key:
 * it tells a wrong passphrase (EHR_EAUTH) from a file altered by someone
 * who recomputed the checksum (EHR_EINTEGRITY: the key is right, the AEAD
 * fails). Files written before it have no "check": they are read as before
 * (a failed AEAD is then a wrong passphrase) and gain one at their next
 * write (keystore_rewrite).
 *
 * Nothing here prints, prompts or exits. Secrets live in sodium_malloc
 * memory only. */
#ifndef EHR_KEYSTORE_H
#define EHR_KEYSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define KEYSTORE_VERSION 1
#define KEYSTORE_MAX_FILE (1u << 20)
#define KEYSTORE_MAX_ACCOUNTS 1000
#define KEYSTORE_DEFAULT_ACCOUNTS 5
#define KEYSTORE_BIP39_PASS_MAX 256

enum keystore_kind { KEYSTORE_MNEMONIC = 1, KEYSTORE_PRIVATE_KEY = 2 };

enum keystore_kdf_level { KDF_INTERACTIVE, KDF_MODERATE, KDF_SENSITIVE };

/* The sealed part. Always in sodium_malloc memory (keystore_secret_new). */
typedef struct keystore_secret {
	uint8_t kind;
	uint8_t entropy_len;                   /* 16..32, for a mnemonic */
	uint8_t entropy[32];
	uint16_t bip39_pass_len;
	char bip39_pass[KEYSTORE_BIP39_PASS_MAX + 1];
	uint8_t private_key[32];               /* for KEYSTORE_PRIVATE_KEY */
} keystore_secret;

typedef struct keystore_account {
	uint32_t index;
	char path[64];                         /* "" for an imported key */
	uint8_t address[20];
	uint8_t encryption_key[32];            /* X25519 public key */
} keystore_account;

typedef struct keystore {
	char *path;
	int kind;
	char created[32];
	unsigned long long opslimit;
	size_t memlimit;
	uint8_t salt[16];
	bool has_check;                        /* files written before it have none */
	uint8_t check[16];                     /* the key check */
	uint8_t nonce[24];
	uint8_t *ciphertext;
	size_t ciphertext_len;
	keystore_account *accounts;
	size_t naccounts;
	keystore_secret *secret;               /* set by keystore_unlock */
} keystore;

/* An account's keys, derived after unlocking. sodium_malloc memory. */
typedef struct keystore_keys {
	uint8_t private_key[32];
	uint8_t enc_secret[32];                /* X25519 */
	uint8_t enc_public[32];
	uint8_t address[20];
} keystore_keys;

keystore_secret *keystore_secret_new(void);
void keystore_secret_free(keystore_secret *s);
keystore_keys *keystore_keys_new(void);
void keystore_keys_free(keystore_keys *k);

/* Maps "interactive" | "moderate" | "sensitive" to a level; EHR_EUSAGE else. */
int keystore_kdf_parse(const char *name, enum keystore_kdf_level *level, ehr_err *e);

/* Derives the keys at a BIP32 path (mnemonic wallets) or returns the
 * imported key (path must then be NULL). */
int keystore_derive(const keystore_secret *s, const char *path, keystore_keys *out, ehr_err *e);

/* Derives the keys of account index (m/44'/60'/0'/0/index). */
int keystore_derive_index(const keystore_secret *s, uint32_t index, keystore_keys *out, ehr_err *e);

/* Builds a new wallet from secret with naccounts derived accounts, sealed
 * under passphrase, and writes it atomically (0600; the directory 0700).
 * Refuses an existing file unless replace. */
int keystore_create(const char *path, const keystore_secret *secret,
		    const char *passphrase, size_t passphrase_len,
		    enum keystore_kdf_level level, size_t naccounts, bool replace, ehr_err *e);

/* Reads and checks a wallet file without unlocking it. A missing file is
 * EHR_EAUTH ("no wallet at ..."), a damaged one EHR_EINTEGRITY. */
int keystore_open(const char *path, keystore **out, ehr_err *e);

/* Opens the sealed part into ks->secret. Wrong passphrase: EHR_EAUTH
 * (with a key check: the key does not match it). EHR_EINTEGRITY "the
 * wallet file ... was altered": the key check matches but the header or
 * the sealed part does not open under the key. */
int keystore_unlock(keystore *ks, const char *passphrase, size_t passphrase_len, ehr_err *e);

/* Re-seals the unlocked ks under passphrase (a new salt and nonce), with
 * the KDF level given (or, when level < 0, the file's own cost), and
 * replaces the file atomically. Used by passwd and by adding accounts. */
int keystore_rewrite(keystore *ks, const char *passphrase, size_t passphrase_len,
		     int level, ehr_err *e);

/* Adds n derived accounts after the last one (unlocked ks; in memory only
 * until keystore_rewrite). */
int keystore_add_accounts(keystore *ks, size_t n, ehr_err *e);

/* Finds the account with the given index, or NULL. */
const keystore_account *keystore_account_by_index(const keystore *ks, uint32_t index);

/* Writes the mnemonic of an unlocked mnemonic wallet into out
 * (sodium_malloc memory of at least BIP39_MNEMONIC_MAX bytes). */
int keystore_mnemonic(const keystore *ks, char *out, size_t cap, ehr_err *e);

void keystore_free(keystore *ks);

/* Passphrase sources other than the terminal: the first line of a file or
 * of a file descriptor, without its line ending, into sodium_malloc memory
 * (freed with sodium_free). An empty passphrase is refused (EHR_EUSAGE). */
int passphrase_from_file(const char *path, char **pass, size_t *len, ehr_err *e);
int passphrase_from_fd(int fd, char **pass, size_t *len, ehr_err *e);

#endif
