/* Base58 (Bitcoin alphabet) and Base58Check: payload || first 4 bytes of
 * SHA-256(SHA-256(payload)). */
#ifndef EHR_BASE58_H
#define EHR_BASE58_H

#include <stddef.h>
#include <stdint.h>

/* Encodes len bytes into out (cap bytes incl. NUL). Leading zero bytes
 * become leading '1's. Returns the string length, or -1 if cap is too small
 * (len * 138 / 100 + 2 always suffices). */
long base58_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/* Decodes a Base58 string into out (cap bytes). Returns the byte count, or
 * -1 on a character outside the alphabet (whitespace included), an empty
 * string or overflow of cap. */
long base58_decode(const char *in, uint8_t *out, size_t cap);

/* Base58Check: appends / verifies the 4-byte double SHA-256 checksum.
 * encode: as base58_encode (len + 4 bytes encoded; len <= 128).
 * decode: the payload length, or -1 as base58_decode, or -2 on a checksum
 * mismatch. */
long base58check_encode(const uint8_t *in, size_t len, char *out, size_t cap);
long base58check_decode(const char *in, uint8_t *out, size_t cap);

#endif
