/* Bech32 (BIP173, not bech32m) for Cosmos account addresses: the 20
 * address bytes, regrouped into 5-bit groups, under a human-readable prefix
 * such as "evmos" or "cosmos". */
#ifndef EHR_BECH32_H
#define EHR_BECH32_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define BECH32_MAX 90	/* the BIP173 length limit, excluding the NUL */

/* Encodes len bytes of data (converted from 8-bit to 5-bit groups, padded)
 * under hrp (1..83 printable ASCII characters 33..126, lowercase written;
 * uppercase letters refused) as a lowercase string in out (cap bytes, NUL
 * included). EHR_EUSAGE for a bad prefix, a result longer than 90 characters
 * or a cap too small. */
int bech32_encode(const char *hrp, const uint8_t *data, size_t len, char *out, size_t cap, ehr_err *e);

/* Decodes a bech32 string of at most 90 characters (all lower or all upper
 * case) into its prefix (hrp, lowercase, hrp_cap bytes with NUL) and data
 * bytes (out, cap bytes; *len set), checking the checksum and that the
 * padding is zero bits of less than one byte. EHR_EUSAGE for anything
 * malformed. */
int bech32_decode(const char *s, char *hrp, size_t hrp_cap, uint8_t *out, size_t cap, size_t *len, ehr_err *e);

/* The same on raw 5-bit groups (values 0..31), as in BIP173's examples. */
int bech32_encode5(const char *hrp, const uint8_t *data5, size_t len, char *out, size_t cap, ehr_err *e);
int bech32_decode5(const char *s, char *hrp, size_t hrp_cap, uint8_t *data5, size_t cap, size_t *len, ehr_err *e);

/* Regroups a big-endian bit string of inlen groups of frombits bits into
 * groups of tobits bits (each 1..8). With pad, a last partial group is
 * padded with zero bits; without, leftover bits must be fewer than frombits
 * and zero (BIP173's rule for decoding). Returns 0, or -1 on a value wider
 * than frombits, bad leftover bits or more than cap output groups. */
int bech32_convert_bits(const uint8_t *in, size_t inlen, unsigned frombits, unsigned tobits, int pad,
			uint8_t *out, size_t cap, size_t *outlen);

#endif
