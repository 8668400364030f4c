/* BIP39 mnemonics, English wordlist only.
 *
 * Every buffer that holds a mnemonic, entropy, passphrase or seed is secret:
 * callers pass memory from sodium_malloc and wipe it after use. These
 * functions keep their own scratch in sodium_malloc memory and wipe it. */
#ifndef EHR_BIP39_H
#define EHR_BIP39_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

/* The 2048 words, sorted (generated at build time by wallet/gen-wordlist.sh). */
extern const char *const bip39_english[2048];

#define BIP39_MNEMONIC_MAX 256	/* bytes incl. NUL for 24 words */

/* Writes the mnemonic of len bytes of entropy (16, 20, 24, 28 or 32: 12 to
 * 24 words) to out as lowercase words separated by single spaces, NUL
 * terminated. Returns 0, or EHR_EUSAGE for another length or when cap is too
 * small (BIP39_MNEMONIC_MAX always suffices). */
int bip39_from_entropy(const uint8_t *entropy, size_t len, char *out, size_t cap, ehr_err *e);

/* Decodes a mnemonic into its entropy (out, *len = 16..32 bytes). Words may
 * be separated by any ASCII whitespace and written in any case. Each word is
 * looked up by comparing it with all 2048 list words, so the timing does not
 * depend on which words they are. Refuses with EHR_EUSAGE, in this order:
 *   a word not in the list, named with its position and, when the list has
 *   at most three words closest to it within two edits (insert, delete,
 *   replace, swap of neighbours), or else one word with its first four
 *   letters, those: "unknown word 'abandn' (word 3); did you mean 'abandon'?"
 *   (the mistyped word is the only part of the input a message shows);
 *   no words, or a count other than 12, 15, 18, 21, 24 ("... not 13");
 *   a bad checksum: "checksum does not match: a word is wrong or the order is".
 * Returns EHR_EFAIL if secure memory runs out. */
int bip39_to_entropy(const char *mnemonic, uint8_t out[32], size_t *len, ehr_err *e);

/* Checks a mnemonic as bip39_to_entropy does, without returning entropy. */
int bip39_check(const char *mnemonic, ehr_err *e);

/* The 64-byte BIP39 seed: PBKDF2-HMAC-SHA512, 2048 iterations, password =
 * the mnemonic normalised to lowercase words joined by single spaces, salt =
 * "mnemonic" + passphrase (passphrase NULL means ""). The mnemonic is not
 * validated here (BIP39 allows any); call bip39_check first if it must be.
 * Refuses with EHR_EUSAGE a passphrase with bytes >= 0x80, since BIP39 asks
 * for NFKD normalisation, which is not implemented, and a mnemonic with such
 * bytes. Returns EHR_EFAIL if OpenSSL or memory allocation fails. */
int bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64], ehr_err *e);

/* A fresh mnemonic of words (12, 15, 18, 21 or 24) words from libsodium's
 * randombytes, written to out as bip39_from_entropy does. */
int bip39_generate(size_t words, char *out, size_t cap, ehr_err *e);

#endif
