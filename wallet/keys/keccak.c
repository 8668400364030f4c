#include "wallet/keys/keccak.h"

#include <string.h>

#include <sodium.h>

static const uint64_t round_constants[24] = {
	0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL,
	0x8000000080008000ULL, 0x000000000000808bULL, 0x0000000080000001ULL,
	0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008aULL,
	0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
	0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL,
	0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
	0x000000000000800aULL, 0x800000008000000aULL, 0x8000000080008081ULL,
	0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL,
};

static inline uint64_t rol64(uint64_t v, unsigned n)
{
	return n ? (v << n) | (v >> (64 - n)) : v;
}

/*
 * Keccak-f[1600]. The rho offsets and the pi lane moves are written out as
 * constants so the compiler sees straight-line code: one round is theta on
 * every lane, then rho+pi into b[], then chi back into s[], then iota.
 * b[y + 5*((2x + 3y) mod 5)] = rol(s[x + 5y], rho(x, y)).
 */
#define THETA_LANE(i) (s[i] ^= d[(i) % 5])
#define RHO_PI(x, y, r) (b[(y) + 5 * ((2 * (x) + 3 * (y)) % 5)] = rol64(s[(x) + 5 * (y)], (r)))
#define CHI_ROW(y) do { \
	s[5 * (y) + 0] = b[5 * (y) + 0] ^ (~b[5 * (y) + 1] & b[5 * (y) + 2]); \
	s[5 * (y) + 1] = b[5 * (y) + 1] ^ (~b[5 * (y) + 2] & b[5 * (y) + 3]); \
	s[5 * (y) + 2] = b[5 * (y) + 2] ^ (~b[5 * (y) + 3] & b[5 * (y) + 4]); \
	s[5 * (y) + 3] = b[5 * (y) + 3] ^ (~b[5 * (y) + 4] & b[5 * (y) + 0]); \
	s[5 * (y) + 4] = b[5 * (y) + 4] ^ (~b[5 * (y) + 0] & b[5 * (y) + 1]); \
} while (0)

static void keccak_f1600(uint64_t s[25])
{
	uint64_t b[25], c[5], d[5];
	int round;

	for (round = 0; round < 24; round++) {
		c[0] = s[0] ^ s[5] ^ s[10] ^ s[15] ^ s[20];
		c[1] = s[1] ^ s[6] ^ s[11] ^ s[16] ^ s[21];
		c[2] = s[2] ^ s[7] ^ s[12] ^ s[17] ^ s[22];
		c[3] = s[3] ^ s[8] ^ s[13] ^ s[18] ^ s[23];
		c[4] = s[4] ^ s[9] ^ s[14] ^ s[19] ^ s[24];
		d[0] = c[4] ^ rol64(c[1], 1);
		d[1] = c[0] ^ rol64(c[2], 1);
		d[2] = c[1] ^ rol64(c[3], 1);
		d[3] = c[2] ^ rol64(c[4], 1);
		d[4] = c[3] ^ rol64(c[0], 1);
		THETA_LANE(0); THETA_LANE(1); THETA_LANE(2); THETA_LANE(3); THETA_LANE(4);
		THETA_LANE(5); THETA_LANE(6); THETA_LANE(7); THETA_LANE(8); THETA_LANE(9);
		THETA_LANE(10); THETA_LANE(11); THETA_LANE(12); THETA_LANE(13); THETA_LANE(14);
		THETA_LANE(15); THETA_LANE(16); THETA_LANE(17); THETA_LANE(18); THETA_LANE(19);
		THETA_LANE(20); THETA_LANE(21); THETA_LANE(22); THETA_LANE(23); THETA_LANE(24);

		RHO_PI(0, 0, 0);  RHO_PI(1, 0, 1);  RHO_PI(2, 0, 62); RHO_PI(3, 0, 28); RHO_PI(4, 0, 27);
		RHO_PI(0, 1, 36); RHO_PI(1, 1, 44); RHO_PI(2, 1, 6);  RHO_PI(3, 1, 55); RHO_PI(4, 1, 20);
		RHO_PI(0, 2, 3);  RHO_PI(1, 2, 10); RHO_PI(2, 2, 43); RHO_PI(3, 2, 25); RHO_PI(4, 2, 39);
		RHO_PI(0, 3, 41); RHO_PI(1, 3, 45); RHO_PI(2, 3, 15); RHO_PI(3, 3, 21); RHO_PI(4, 3, 8);
		RHO_PI(0, 4, 18); RHO_PI(1, 4, 2);  RHO_PI(2, 4, 61); RHO_PI(3, 4, 56); RHO_PI(4, 4, 14);

		CHI_ROW(0); CHI_ROW(1); CHI_ROW(2); CHI_ROW(3); CHI_ROW(4);

		s[0] ^= round_constants[round];
	}
}

static inline uint64_t load64_le(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 |
	       (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

/* XORs byte i of the rate into the state (lanes are little-endian). */
static inline void xor_byte(uint64_t *st, size_t i, uint8_t v)
{
	st[i / 8] ^= (uint64_t)v << (8 * (i % 8));
}

void keccak256_init(keccak256_ctx *c)
{
	memset(c, 0, sizeof(*c));
}

void keccak256_update(keccak256_ctx *c, const void *in, size_t len)
{
	const uint8_t *p = in;
	size_t i;

	/* Finish a partly filled block byte by byte. */
	while (len && c->pos) {
		xor_byte(c->st, c->pos++, *p++);
		len--;
		if (c->pos == KECCAK256_RATE) {
			keccak_f1600(c->st);
			c->pos = 0;
		}
	}
	/* Whole blocks a lane at a time: this is where long inputs spend their time. */
	while (len >= KECCAK256_RATE) {
		for (i = 0; i < KECCAK256_RATE / 8; i++)
			c->st[i] ^= load64_le(p + 8 * i);
		keccak_f1600(c->st);
		p += KECCAK256_RATE;
		len -= KECCAK256_RATE;
	}
	while (len--)
		xor_byte(c->st, c->pos++, *p++);
}

void keccak256_final(keccak256_ctx *c, uint8_t out[32])
{
	size_t i;

	/* pad10*1 with the Keccak domain bit: 0x01 after the message, 0x80 in
	 * the last byte of the block (both in one byte when pos == rate - 1). */
	xor_byte(c->st, c->pos, 0x01);
	xor_byte(c->st, KECCAK256_RATE - 1, 0x80);
	keccak_f1600(c->st);
	for (i = 0; i < 32; i++)
		out[i] = (uint8_t)(c->st[i / 8] >> (8 * (i % 8)));
	sodium_memzero(c, sizeof(*c));
}

void keccak256(const void *in, size_t len, uint8_t out[32])
{
	keccak256_ctx c;

	keccak256_init(&c);
	keccak256_update(&c, in, len);
	keccak256_final(&c, out);
}
