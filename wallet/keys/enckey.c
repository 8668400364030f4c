#include "wallet/keys/enckey.h"

#include <string.h>

#include <sodium.h>

#include "wallet/base/hex.h"

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

void enckey_fingerprint(const uint8_t x25519_pk[32], uint8_t fp[ENCKEY_FP_BYTES])
{
	static const uint8_t salt[crypto_generichash_blake2b_SALTBYTES];
	uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = { 0 };

	memcpy(personal, ENCKEY_FP_PERSONAL, sizeof(ENCKEY_FP_PERSONAL) - 1);
	/* cannot fail: the sizes are within BLAKE2b's bounds */
	(void)crypto_generichash_blake2b_salt_personal(fp, ENCKEY_FP_BYTES, x25519_pk, 32, NULL, 0,
							salt, personal);
}

void enckey_fingerprint_format(const uint8_t fp[ENCKEY_FP_BYTES], char out[ENCKEY_FP_TEXT])
{
	static const char digits[] = "0123456789abcdef";
	size_t i, k = 0;

	for (i = 0; i < ENCKEY_FP_BYTES; i++) {
		if (i && !(i % 2))
			out[k++] = ' ';
		out[k++] = digits[fp[i] >> 4];
		out[k++] = digits[fp[i] & 15];
	}
	out[k] = '\0';
}

int enckey_fingerprint_parse(const char *text, uint8_t fp[ENCKEY_FP_BYTES])
{
	size_t n = 0;
	int d;

	memset(fp, 0, ENCKEY_FP_BYTES);
	for (; *text; text++) {
		if (*text == ' ' || *text == '-' || *text == ':')
			continue;
		if ((d = hex_digit_value((unsigned char)*text)) < 0 || n == 2 * ENCKEY_FP_BYTES)
			return -1;
		fp[n / 2] |= (uint8_t)(n % 2 ? d : d << 4);
		n++;
	}
	return n == 2 * ENCKEY_FP_BYTES ? 0 : -1;
}
