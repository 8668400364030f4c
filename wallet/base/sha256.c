#include "wallet/base/sha256.h"

#include <openssl/evp.h>

/* The EVP context itself: sha256_ctx only names it for callers. */
#define MD(c) ((EVP_MD_CTX *)(void *)(c))

void sha256(const void *data, size_t len, uint8_t out[32])
{
	static const uint8_t nothing;

	EVP_Digest(data ? data : &nothing, len, out, NULL, EVP_sha256(), NULL);
}

sha256_ctx *sha256_new(void)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(md);
		md = NULL;
	}
	return (sha256_ctx *)(void *)md;
}

void sha256_update(sha256_ctx *c, const void *data, size_t len)
{
	EVP_DigestUpdate(MD(c), data, len);
}

void sha256_final(sha256_ctx *c, uint8_t out[32])
{
	EVP_DigestFinal_ex(MD(c), out, NULL);
}

void sha256_free(sha256_ctx *c)
{
	EVP_MD_CTX_free(MD(c));
}
