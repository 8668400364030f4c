/* The X25519 encryption key of an account, derived from its secp256k1
 * private key so that the mnemonic alone restores it.
 *
 * Construction (ehr-formats(5) documents the same):
 *
 *   x25519_sk = BLAKE2b-256(key  = priv (the 32-byte big-endian secp256k1 scalar),
 *                           msg  = "ehr/v1/x25519-encryption-key" (28 ASCII bytes, no NUL),
 *                           salt = 16 zero bytes,
 *                           personal = "ehr-enckey-v1" padded with zero bytes to 16)
 *   x25519_pk = X25519(x25519_sk, 9)   (crypto_scalarmult_base; clamping as
 *                                       RFC 7748 does it inside X25519)
 *
 * that is libsodium's crypto_generichash_blake2b_salt_personal(sk, 32, msg,
 * 28, priv, 32, salt, personal). A keyed hash of a fixed context string, under
 * a personalisation no other use in ehr shares, makes the encryption key
 * independent of every other key derived from the same private key, and
 * learning it reveals nothing about the signing key. */
#ifndef EHR_ENCKEY_H
#define EHR_ENCKEY_H

#include <stdint.h>

#define ENCKEY_CONTEXT "ehr/v1/x25519-encryption-key"
#define ENCKEY_PERSONAL "ehr-enckey-v1"

/* Writes the account's X25519 secret key (secret: caller's sodium_malloc
 * memory) and public key. Returns 0, or -1 if X25519 yields the all-zero
 * point (it cannot for a clamped scalar; checked anyway). */
int enckey_derive(const uint8_t priv[32], uint8_t x25519_sk[32], uint8_t x25519_pk[32]);

#endif
