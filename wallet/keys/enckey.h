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

#include <stddef.h>
#include <stdint.h>

#define ENCKEY_CONTEXT "ehr/v1/x25519-encryption-key"
#define ENCKEY_PERSONAL "ehr-enckey-v1"

/* Writes the account's X25519 secret key (secret: caller's sodium_malloc
 * memory) and public key. Returns 0, or -1 if X25519 yields the all-zero
 * point (it cannot for a clamped scalar; checked anyway). */
int enckey_derive(const uint8_t priv[32], uint8_t x25519_sk[32], uint8_t x25519_pk[32]);

/* The fingerprint of an encryption key, what a patient compares with the
 * one a clinician reads out and pins in `ehr contacts` (ehr-formats(5)):
 *
 *   fingerprint = BLAKE2b-128(message = x25519_pk, no key, salt = 16 zero
 *                             bytes, personal = "ehr-keyfp-v1" padded with
 *                             zero bytes to 16)
 *
 * 128 bits: finding another key with a given fingerprint costs about 2^128
 * hashes. Shown as 32 lower-case hex digits in 8 groups of 4 separated by
 * spaces ("3f2a 9c01 ..."), ENCKEY_FP_TEXT bytes with the NUL. */
#define ENCKEY_FP_BYTES 16
#define ENCKEY_FP_TEXT 40
#define ENCKEY_FP_PERSONAL "ehr-keyfp-v1"

void enckey_fingerprint(const uint8_t x25519_pk[32], uint8_t fp[ENCKEY_FP_BYTES]);

/* fp as shown: "3f2a 9c01 7b44 e210 5d6f 0a1b 2c3d 4e5f". */
void enckey_fingerprint_format(const uint8_t fp[ENCKEY_FP_BYTES], char out[ENCKEY_FP_TEXT]);

/* A fingerprint as a person types it: 32 hex digits in any case, with any
 * spaces, '-' or ':' between them (none before the first or after the
 * last needed). -1 for anything else. */
int enckey_fingerprint_parse(const char *text, uint8_t fp[ENCKEY_FP_BYTES]);

#endif
