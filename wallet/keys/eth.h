/* Ethereum accounts: address derivation, EIP-55 checksums, recoverable
 * ECDSA signatures over 32-byte hashes, EIP-191 personal messages. Private
 * keys are secret: callers keep them in sodium_malloc memory. */
#ifndef EHR_ETH_H
#define EHR_ETH_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

/* The uncompressed public key (0x04 || X || Y) of a private key. EHR_EUSAGE
 * when priv is 0 or >= the curve order. */
int eth_pubkey_from_priv(const uint8_t priv[32], uint8_t pub65[65], ehr_err *e);

/* The address: the last 20 bytes of keccak256(X || Y). */
void eth_address_from_pub(const uint8_t pub65[65], uint8_t addr[20]);

int eth_address_from_priv(const uint8_t priv[32], uint8_t addr[20], ehr_err *e);

/* "0x" + 40 hex digits in EIP-55 mixed case, NUL terminated. */
void eip55_format(const uint8_t addr[20], char out[43]);

/* Parses "0x" + 40 hex digits (a leading "0X" is accepted too). All-lower
 * and all-upper digits are accepted unchecked; mixed case must be the EIP-55
 * checksum, else EHR_EUSAGE "address 0x... has a wrong EIP-55 checksum (did
 * you mean 0x...?)". Wrong length or non-hex: EHR_EUSAGE. */
int eip55_parse(const char *s, uint8_t addr[20], ehr_err *e);

/* Signs a 32-byte hash: sig = r || s || v with v the recovery id 0 or 1,
 * s in the lower half of the order, nonce per RFC 6979 (deterministic: the
 * same key and hash always give the same signature). EHR_EUSAGE for an
 * invalid private key. */
int eth_sign_hash(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig[65], ehr_err *e);

/* The address that signed hash. v (sig[64]) may be 0/1 or 27/28. Refuses
 * with EHR_EUSAGE another v, r or s of 0 or >= n, and s in the upper half
 * (malleable signatures); EHR_EFAIL when no key recovers. */
int eth_recover(const uint8_t hash[32], const uint8_t sig[65], uint8_t addr[20], ehr_err *e);

/* keccak256("\x19Ethereum Signed Message:\n" + decimal(len) + msg). */
void eip191_hash(const uint8_t *msg, size_t len, uint8_t out[32]);

#endif
