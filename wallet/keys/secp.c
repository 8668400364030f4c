#include "wallet/keys/secp.h"

#include <stdlib.h>

#include <sodium.h>

const secp256k1_context *secp_ctx(void)
{
	static secp256k1_context *ctx;
	unsigned char seed[32];

	if (ctx)
		return ctx;
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	randombytes_buf(seed, sizeof(seed));
	if (!secp256k1_context_randomize(ctx, seed))
		abort();
	sodium_memzero(seed, sizeof(seed));
	return ctx;
}
