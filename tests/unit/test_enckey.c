/* The account encryption key: a known answer, the construction documented in
 * wallet/keys/enckey.h re-done with OpenSSL (BLAKE2BMAC with key, salt and
 * personalisation, then X25519) for random keys, and that the key pair works
 * with libsodium's sealed boxes. */
#include "tap.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "wallet/keys/enckey.h"

/* The header's construction, independently: OpenSSL's BLAKE2b MAC and X25519. */
static int openssl_enckey(const uint8_t priv[32], uint8_t sk[32], uint8_t pk[32])
{
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "BLAKE2BMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	unsigned char salt[16] = { 0 }, personal[16] = { 0 };
	size_t size = 32, outl = 0, pkl = 32;
	OSSL_PARAM params[4];
	EVP_PKEY *key = NULL;
	int ok = 0;

	memcpy(personal, ENCKEY_PERSONAL, strlen(ENCKEY_PERSONAL));
	params[0] = OSSL_PARAM_construct_size_t(OSSL_MAC_PARAM_SIZE, &size);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_SALT, salt, sizeof(salt));
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_CUSTOM, personal, sizeof(personal));
	params[3] = OSSL_PARAM_construct_end();
	if (ctx && EVP_MAC_init(ctx, priv, 32, params) == 1 &&
	    EVP_MAC_update(ctx, (const unsigned char *)ENCKEY_CONTEXT, strlen(ENCKEY_CONTEXT)) == 1 &&
	    EVP_MAC_final(ctx, sk, &outl, 32) == 1 && outl == 32 &&
	    (key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, sk, 32)) &&
	    EVP_PKEY_get_raw_public_key(key, pk, &pkl) == 1 && pkl == 32)
		ok = 1;
	EVP_PKEY_free(key);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ok;
}

static void test_known_answer(void)
{
	/* priv = 01 02 .. 20; computed with Python's hashlib.blake2b(msg,
	 * digest_size=32, key=priv, salt=bytes(16), person=b"ehr-enckey-v1")
	 * and the cryptography package's X25519 (a third implementation). */
	uint8_t priv[32], sk[32], pk[32], want_sk[32], want_pk[32];
	int i;

	for (i = 0; i < 32; i++)
		priv[i] = (uint8_t)(i + 1);
	test_unhex("69228f43852766fd98733fcc0d0063d69b6bc87b863a323ae218b4efdbad9ace", want_sk, 32);
	test_unhex("1326da5efdc1fa9b3030119ab14bd62d42b9aadd251763b37581477c8f1e8f48", want_pk, 32);
	CHECK(enckey_derive(priv, sk, pk) == 0, "derive");
	CHECK_MEM(sk, want_sk, 32);
	CHECK_MEM(pk, want_pk, 32);
	CHECK(strlen(ENCKEY_CONTEXT) == 28, "the context string is 28 bytes as documented");
}

static void test_against_openssl(void)
{
	uint8_t *priv = sodium_malloc(32), *sk = sodium_malloc(32), *sk2 = sodium_malloc(32);
	uint8_t pk[32], pk2[32], other_pk[32];
	int i, have = 1;

	for (i = 0; i < 64 && have; i++) {
		randombytes_buf(priv, 32);
		CHECK(enckey_derive(priv, sk, pk) == 0, "derive");
		have = openssl_enckey(priv, sk2, pk2);
		if (!have) {
			printf("skip: OpenSSL has no BLAKE2BMAC or X25519 here\n");
			break;
		}
		CHECK_MEM(sk, sk2, 32);
		CHECK_MEM(pk, pk2, 32);
		/* Deterministic, and a function of the key. */
		CHECK(enckey_derive(priv, sk2, pk2) == 0 && memcmp(pk, pk2, 32) == 0, "deterministic");
		priv[31] ^= 1;
		CHECK(enckey_derive(priv, sk2, other_pk) == 0 && memcmp(pk, other_pk, 32) != 0, "other key, other pk");
	}
	sodium_free(priv);
	sodium_free(sk);
	sodium_free(sk2);
}

/* The pair is a working crypto_box key pair. */
static void test_sealed_box(void)
{
	uint8_t *priv = sodium_malloc(32), *sk = sodium_malloc(32);
	uint8_t pk[32], sealed[crypto_box_SEALBYTES + 5], opened[5];

	randombytes_buf(priv, 32);
	CHECK(enckey_derive(priv, sk, pk) == 0, "derive");
	CHECK(crypto_box_seal(sealed, (const uint8_t *)"hello", 5, pk) == 0, "seal");
	CHECK(crypto_box_seal_open(opened, sealed, sizeof(sealed), pk, sk) == 0, "open");
	CHECK_MEM(opened, "hello", 5);
	sodium_free(priv);
	sodium_free(sk);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_known_answer();
	test_against_openssl();
	test_sealed_box();
	return tap_done();
}
