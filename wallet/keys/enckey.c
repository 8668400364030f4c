#include "wallet/keys/enckey.h"

#include <string.h>

#include <sodium.h>

int enckey_derive(const uint8_t priv[32], uint8_t x25519_sk[32], uint8_t x25519_pk[32])
{
	static const uint8_t salt[crypto_generichash_blake2b_SALTBYTES];
	uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = { 0 };

	memcpy(personal, ENCKEY_PERSONAL, sizeof(ENCKEY_PERSONAL) - 1);
	if (crypto_generichash_blake2b_salt_personal(x25519_sk, 32,
						      (const unsigned char *)ENCKEY_CONTEXT, sizeof(ENCKEY_CONTEXT) - 1,
						      priv, 32, salt, personal) != 0)
		return -1;
	if (crypto_scalarmult_base(x25519_pk, x25519_sk) != 0) {
		sodium_memzero(x25519_sk, 32);
		return -1;
	}
	return 0;
}
