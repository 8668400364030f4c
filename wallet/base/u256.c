#include "wallet/base/u256.h"

#include <string.h>

#include "wallet/base/hex.h"

typedef unsigned __int128 u128;

u256 u256_max(void)
{
	u256 r = { { UINT64_MAX, UINT64_MAX, UINT64_MAX, UINT64_MAX } };

	return r;
}

int u256_is_zero(const u256 *a)
{
	return (a->w[0] | a->w[1] | a->w[2] | a->w[3]) == 0;
}

int u256_cmp(const u256 *a, const u256 *b)
{
	int i;

	for (i = 3; i >= 0; i--) {
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	}
	return 0;
}

int u256_fits_u64(const u256 *a)
{
	return (a->w[1] | a->w[2] | a->w[3]) == 0;
}

unsigned u256_bits(const u256 *a)
{
	int i;

	for (i = 3; i >= 0; i--) {
		if (a->w[i])
			return (unsigned)(64 * i + 64 - __builtin_clzll(a->w[i]));
	}
	return 0;
}

size_t u256_byte_len(const u256 *a)
{
	return (u256_bits(a) + 7) / 8;
}

int u256_add(u256 *r, const u256 *a, const u256 *b)
{
	u256 t;
	u128 carry = 0;
	int i;

	for (i = 0; i < 4; i++) {
		carry += (u128)a->w[i] + b->w[i];
		t.w[i] = (uint64_t)carry;
		carry >>= 64;
	}
	if (carry)
		return -1;
	*r = t;
	return 0;
}

int u256_sub(u256 *r, const u256 *a, const u256 *b)
{
	u256 t;
	uint64_t borrow = 0;
	int i;

	if (u256_cmp(a, b) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		uint64_t d = a->w[i] - b->w[i];
		uint64_t nb = (a->w[i] < b->w[i]) | (d < borrow);

		t.w[i] = d - borrow;
		borrow = nb;
	}
	*r = t;
	return 0;
}

int u256_mul(u256 *r, const u256 *a, const u256 *b)
{
	uint64_t t[8] = { 0 };
	int i, j;

	for (i = 0; i < 4; i++) {
		u128 carry = 0;

		if (!a->w[i])
			continue;
		for (j = 0; j < 4; j++) {
			carry += (u128)a->w[i] * b->w[j] + t[i + j];
			t[i + j] = (uint64_t)carry;
			carry >>= 64;
		}
		t[i + 4] = (uint64_t)carry;
	}
	if (t[4] | t[5] | t[6] | t[7])
		return -1;
	memcpy(r->w, t, sizeof(r->w));
	return 0;
}

int u256_add_u64(u256 *r, const u256 *a, uint64_t b)
{
	u256 bb = u256_from_u64(b);

	return u256_add(r, a, &bb);
}

int u256_mul_u64(u256 *r, const u256 *a, uint64_t b)
{
	u256 bb = u256_from_u64(b);

	return u256_mul(r, a, &bb);
}

uint64_t u256_divmod_u64(u256 *q, const u256 *a, uint64_t d)
{
	u256 t;
	u128 rem = 0;
	int i;

	for (i = 3; i >= 0; i--) {
		rem = rem << 64 | a->w[i];
		t.w[i] = (uint64_t)(rem / d);
		rem %= d;
	}
	if (q)
		*q = t;
	return (uint64_t)rem;
}

int u256_pow10(u256 *r, unsigned n)
{
	u256 t = u256_from_u64(1);

	if (n > 77)
		return -1;
	while (n--)
		u256_mul_u64(&t, &t, 10);	/* cannot overflow below 10^78 */
	*r = t;
	return 0;
}

void u256_neg(u256 *r, const u256 *a)
{
	u256 t;
	int i;

	for (i = 0; i < 4; i++)
		t.w[i] = ~a->w[i];
	/* ~a + 1 wraps only for a == 0, whose negation is 0 anyway. */
	if (u256_add_u64(r, &t, 1))
		memset(r, 0, sizeof(*r));
}

void u256_to_be(const u256 *a, uint8_t out[32])
{
	int i, j;

	for (i = 0; i < 4; i++) {
		for (j = 0; j < 8; j++)
			out[31 - 8 * i - j] = (uint8_t)(a->w[i] >> (8 * j));
	}
}

int u256_from_be(u256 *r, const uint8_t *in, size_t len)
{
	u256 t = { { 0, 0, 0, 0 } };
	size_t i;

	while (len > 32) {
		if (*in)
			return -1;
		in++;
		len--;
	}
	for (i = 0; i < len; i++) {
		size_t bit = 8 * (len - 1 - i);

		t.w[bit / 64] |= (uint64_t)in[i] << (bit % 64);
	}
	*r = t;
	return 0;
}

size_t u256_to_be_min(const u256 *a, uint8_t out[32])
{
	uint8_t full[32];
	size_t n = u256_byte_len(a);

	u256_to_be(a, full);
	memcpy(out, full + 32 - n, n);
	return n;
}

int u256_parse(const char *s, u256 *r)
{
	u256 t = { { 0, 0, 0, 0 } };
	const char *p;

	if (!s || !*s)
		return -1;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		unsigned sig = 0;

		p = s + 2;
		if (!*p)
			return -1;
		for (; *p; p++) {
			int d = hex_digit_value((unsigned char)*p);

			if (d < 0)
				return -1;
			if (sig || d) {
				if (++sig > 64)
					return -1;
			}
			t.w[3] = t.w[3] << 4 | t.w[2] >> 60;
			t.w[2] = t.w[2] << 4 | t.w[1] >> 60;
			t.w[1] = t.w[1] << 4 | t.w[0] >> 60;
			t.w[0] = t.w[0] << 4 | (uint64_t)d;
		}
	} else {
		for (p = s; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			if (u256_mul_u64(&t, &t, 10) || u256_add_u64(&t, &t, (uint64_t)(*p - '0')))
				return -1;
		}
	}
	*r = t;
	return 0;
}

void u256_format_dec(const u256 *a, char out[U256_DEC_MAX])
{
	/* Peel off 19 digits at a time (10^19 < 2^64), least significant first. */
	static const uint64_t ten19 = 10000000000000000000ULL;
	char tmp[U256_DEC_MAX];
	size_t n = 0;
	u256 q = *a;

	do {
		uint64_t chunk = u256_divmod_u64(&q, &q, ten19);
		int k;

		for (k = 0; k < 19 && (chunk || !u256_is_zero(&q) || k == 0); k++) {
			tmp[n++] = (char)('0' + chunk % 10);
			chunk /= 10;
		}
	} while (!u256_is_zero(&q));
	while (n > 1 && tmp[n - 1] == '0')
		n--;
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

void u256_format_hex(const u256 *a, char out[U256_HEX_MAX])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t be[32];
	size_t i, n = 0;
	int started = 0;

	u256_to_be(a, be);
	out[n++] = '0';
	out[n++] = 'x';
	for (i = 0; i < 64; i++) {
		int d = (be[i / 2] >> (i % 2 ? 0 : 4)) & 15;

		if (!started && !d && i != 63)
			continue;
		started = 1;
		out[n++] = digits[d];
	}
	out[n] = '\0';
}
