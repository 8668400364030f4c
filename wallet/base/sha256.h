/* SHA-256, the one way the code computes it (OpenSSL's EVP underneath). */
#ifndef EHR_SHA256_H
#define EHR_SHA256_H

#include <stddef.h>
#include <stdint.h>

/* The digest of len bytes at data (data may be NULL when len is 0). */
void sha256(const void *data, size_t len, uint8_t out[32]);

/* A digest computed piece by piece: sha256_new (NULL when out of memory),
 * any number of sha256_update, then sha256_final for the digest; the
 * context is freed with sha256_free (NULL is fine), finished or not. */
typedef struct sha256_ctx sha256_ctx;

sha256_ctx *sha256_new(void);
void sha256_update(sha256_ctx *c, const void *data, size_t len);
void sha256_final(sha256_ctx *c, uint8_t out[32]);
void sha256_free(sha256_ctx *c);

#endif
