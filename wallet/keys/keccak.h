/* Keccak-256 as Ethereum uses it: the Keccak submission's padding (domain
 * byte 0x01, pad10*1), rate 1088 bits, capacity 512, 32-byte output. This is
 * NOT FIPS-202 SHA3-256, which pads with 0x06 and gives other digests. */
#ifndef EHR_KECCAK_H
#define EHR_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define KECCAK256_RATE 136	/* bytes absorbed per permutation */

typedef struct {
	uint64_t st[25];	/* the 5x5 lane state, lane (x,y) at st[x + 5y] */
	size_t pos;		/* bytes of the current block already absorbed */
} keccak256_ctx;

/* Starts a new hash. A context holds no pointers: it may be copied to fork
 * a hash of a common prefix. */
void keccak256_init(keccak256_ctx *c);

/* Absorbs len bytes (in may be NULL when len is 0). Any number of calls of
 * any sizes give the same digest as one call over the concatenation. */
void keccak256_update(keccak256_ctx *c, const void *in, size_t len);

/* Writes the digest and wipes the context; init it again to reuse it. */
void keccak256_final(keccak256_ctx *c, uint8_t out[32]);

/* One-shot: out = Keccak-256(in[0..len)). out may alias in. */
void keccak256(const void *in, size_t len, uint8_t out[32]);

#endif
