/* Unsigned 256-bit integers: the EVM word. Amounts, fees, chain ids and ABI
 * uint values all live here. Arithmetic never wraps silently: every
 * operation that can overflow says so and then leaves its result untouched.
 * The struct holds no pointers; copy it freely. */
#ifndef EHR_U256_H
#define EHR_U256_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
	uint64_t w[4];		/* little-endian limbs: w[0] is the lowest */
} u256;

#define U256_DEC_MAX 79		/* 78 digits and a NUL */
#define U256_HEX_MAX 67		/* "0x", 64 digits and a NUL */

static inline u256 u256_from_u64(uint64_t v)
{
	u256 r = { { v, 0, 0, 0 } };

	return r;
}

/* The largest value, 2^256 - 1. */
u256 u256_max(void);

int u256_is_zero(const u256 *a);

/* -1, 0 or 1 as a is less than, equal to or greater than b. */
int u256_cmp(const u256 *a, const u256 *b);

/* 1 when a fits in 64 bits (and then a->w[0] is its value). */
int u256_fits_u64(const u256 *a);

/* Number of significant bits (0 for zero) and of significant bytes, i.e. the
 * length of the minimal big-endian form RLP and JSON quantities use. */
unsigned u256_bits(const u256 *a);
size_t u256_byte_len(const u256 *a);

/* r = a + b, a - b, a * b. Return 0, or -1 when the true result does not
 * fit in 256 bits (for sub: when b > a); r is then left unchanged. r may
 * alias a or b. */
int u256_add(u256 *r, const u256 *a, const u256 *b);
int u256_sub(u256 *r, const u256 *a, const u256 *b);
int u256_mul(u256 *r, const u256 *a, const u256 *b);
int u256_add_u64(u256 *r, const u256 *a, uint64_t b);
int u256_mul_u64(u256 *r, const u256 *a, uint64_t b);

/* q = a / d and returns a % d; d must not be 0. q may alias a or be NULL. */
uint64_t u256_divmod_u64(u256 *q, const u256 *a, uint64_t d);

/* r = 10^n; returns -1 for n > 77 (10^78 exceeds 2^256). */
int u256_pow10(u256 *r, unsigned n);

/* Two's complement negation modulo 2^256 (for int<N> ABI values). */
void u256_neg(u256 *r, const u256 *a);

/* 32-byte big-endian form (the ABI word). */
void u256_to_be(const u256 *a, uint8_t out[32]);

/* Reads a big-endian integer of len bytes (any length, leading zeros
 * allowed). Returns 0, or -1 when the value needs more than 256 bits. */
int u256_from_be(u256 *r, const uint8_t *in, size_t len);

/* Writes the minimal big-endian form (u256_byte_len(a) bytes, none for
 * zero) to out, which has room for 32; returns the length. */
size_t u256_to_be_min(const u256 *a, uint8_t out[32]);

/* Parses a whole NUL-terminated string: decimal digits ("1000"), or "0x"/"0X"
 * and hex digits ("0x3e8"). No sign, spaces, separators or empty digit runs.
 * Leading zeros are allowed. Returns 0, or -1 on junk or a value above
 * 2^256 - 1; r is then unchanged. */
int u256_parse(const char *s, u256 *r);

/* Decimal digits, at most U256_DEC_MAX bytes with the NUL. */
void u256_format_dec(const u256 *a, char out[U256_DEC_MAX]);

/* "0x" and minimal lowercase hex ("0x0" for zero): a JSON-RPC quantity. */
void u256_format_hex(const u256 *a, char out[U256_HEX_MAX]);

#endif
