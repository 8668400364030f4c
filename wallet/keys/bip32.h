/* BIP32 hierarchical deterministic keys on secp256k1.
 *
 * A bip32_key holds a private key: callers keep it in sodium_malloc memory
 * and sodium_memzero it after use. A key parsed from an xpub has priv all
 * zero and is public-only (bip32_derive refuses hardened children of it). */
#ifndef EHR_BIP32_H
#define EHR_BIP32_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

typedef struct {
	uint8_t priv[32];	/* big-endian scalar; all zero for a public-only key */
	uint8_t chain[32];	/* chain code */
	uint8_t pub[33];	/* compressed public key */
	uint8_t depth;
	uint8_t parent_fp[4];	/* first 4 bytes of HASH160(parent pub); 0 for master */
	uint32_t child;		/* child number, BIP32_HARDENED set for hardened */
} bip32_key;

#define BIP32_HARDENED 0x80000000u
#define BIP44_ETH_PATH_FMT "m/44'/60'/0'/0/%u"
#define BIP32_PATH_MAX 255	/* components; depth is one byte */
#define BIP32_EXTENDED_MAX 112	/* xprv/xpub text incl. NUL (111 chars + NUL) */

/* The master key of a seed of 16..64 bytes (HMAC-SHA512 keyed "Bitcoin
 * seed"). EHR_EUSAGE for another length; EHR_EFAIL in the (2^-127) case of
 * an invalid master key. */
int bip32_from_seed(const uint8_t *seed, size_t len, bip32_key *out, ehr_err *e);

/* Parses "m/44'/60'/0'/0/0" into child numbers (hardened marked by ', h or
 * H, which sets BIP32_HARDENED). "m" alone gives *n = 0. Each index is
 * decimal without sign or leading zeros and below 2^31. Refuses with
 * EHR_EUSAGE a missing "m", empty components, junk, an index >= 2^31, and
 * more than cap components. */
int bip32_parse_path(const char *path, uint32_t *out, size_t cap, size_t *n, ehr_err *e);

/* The child at index (BIP32_HARDENED set: hardened). child may alias parent.
 * A public-only parent derives public-only children (not hardened ones:
 * EHR_EUSAGE). EHR_EFAIL in the (2^-127) case of an invalid child, which
 * BIP32 says to skip. */
int bip32_derive(const bip32_key *parent, uint32_t index, bip32_key *child, ehr_err *e);

/* Parses path and derives master along it. out may alias master. */
int bip32_derive_path(const bip32_key *master, const char *path, bip32_key *out, ehr_err *e);

/* Serialises as base58check "xprv..." / "xpub..." (mainnet versions),
 * NUL terminated (at most 111 characters). bip32_xprv writes "" for a
 * public-only key. */
void bip32_xprv(const bip32_key *k, char out[112]);
void bip32_xpub(const bip32_key *k, char out[112]);

/* Parses an xprv or xpub (mainnet or testnet versions). Refuses with
 * EHR_EUSAGE everything BIP32 test vector 5 lists: bad checksum, bad length,
 * unknown version, a private key of 0 or >= n, a bad key prefix byte, a
 * public key not on the curve, depth 0 with a parent fingerprint or child
 * number, a public version with a private key or the reverse. */
int bip32_parse_extended(const char *b58, bip32_key *out, int *is_private, ehr_err *e);

/* The key identifier's first 4 bytes, HASH160(pub)[0..4). */
void bip32_fingerprint(const bip32_key *k, uint8_t fp[4]);

#endif
