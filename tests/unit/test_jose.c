/* base64url, raw DEFLATE, ES256 JWS and dir/A256GCM JWE (wallet/vault/jose.h,
 * wallet/base/deflate.h) against the SMART Health Cards and Links vectors in
 * ../shared/vectors/shc and shl, and against themselves where no vector
 * says more. */
#include "tap.h"

#include <sodium.h>

#include "wallet/base/deflate.h"
#include "wallet/vault/jose.h"

#define VECTOR_KEY "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q"  /* spec-example-jwe.details.json */

static void test_b64url(void)
{
	const uint8_t raw[] = { 0xfb, 0xff, 0x00, 0x10, 0x7e };
	uint8_t *out = NULL;
	size_t n = 0;
	char *s = b64url_encode(raw, sizeof(raw));
	ehr_err e;

	CHECK_STR(s, "-_8AEH4");
	CHECK(b64url_decode(s, strlen(s), "x", &out, &n, &e) == 0 && n == sizeof(raw) &&
	      !memcmp(out, raw, n) && out[n] == 0, "round trip");
	free(out);
	free(s);
	CHECK(b64url_decode("", 0, "x", &out, &n, &e) == 0 && n == 0, "empty is empty");
	free(out);
	CHECK(b64url_decode("-_8AEH4=", 8, "the part", &out, &n, &e) == EHR_EINTEGRITY && !out,
	      "padding refused");
	CHECK_STR(e.msg, "the part is not base64url");
	CHECK(b64url_decode("+/8AEH4", 7, "x", &out, &n, &e) == EHR_EINTEGRITY, "base64 alphabet refused");
	CHECK(b64url_decode("-_8AEH5", 7, "x", &out, &n, &e) == EHR_EINTEGRITY,
	      "non-zero trailing bits refused (one text, one value)");
	CHECK(b64url_decode("-_8 AEH4", 8, "x", &out, &n, &e) == EHR_EINTEGRITY, "space refused");
}

static void test_deflate(void)
{
	static char text[100000];
	uint8_t *packed, *back;
	size_t plen, blen, i;
	ehr_err e;

	for (i = 0; i < sizeof(text); i++)
		text[i] = "health records "[i % 15];
	CHECK(deflate_raw((const uint8_t *)text, sizeof(text), &packed, &plen, &e) == 0 &&
	      plen < 1000, "compresses (%zu bytes)", plen);
	CHECK(inflate_raw(packed, plen, sizeof(text), &back, &blen, &e) == 0 && blen == sizeof(text) &&
	      !memcmp(back, text, blen) && back[blen] == 0, "inflates back");
	free(back);
	CHECK(inflate_raw(packed, plen, sizeof(text) - 1, &back, &blen, &e) == EHR_EINTEGRITY && !back,
	      "one byte over the bound is refused");
	CHECK(strstr(e.msg, "more than 99999 bytes") != NULL, "%s", e.msg);
	CHECK(inflate_raw(packed, plen - 1, sizeof(text), &back, &blen, &e) == EHR_EINTEGRITY,
	      "a cut stream is refused");
	CHECK_STR(e.msg, "compressed data ends early");
	{
		uint8_t *more = malloc(plen + 1);

		memcpy(more, packed, plen);
		more[plen] = 0;
		CHECK(inflate_raw(more, plen + 1, sizeof(text), &back, &blen, &e) == EHR_EINTEGRITY,
		      "a byte after the final block is refused");
		free(more);
	}
	CHECK(inflate_raw((const uint8_t *)"\xff\xff\xff", 3, 100, &back, &blen, &e) == EHR_EINTEGRITY,
	      "garbage is refused");
	free(packed);
	CHECK(deflate_raw(NULL, 0, &packed, &plen, &e) == 0, "empty compresses");
	CHECK(inflate_raw(packed, plen, 10, &back, &blen, &e) == 0 && blen == 0, "and inflates to nothing");
	free(packed);
	free(back);
}

/* Key n of the vectors' issuer JWKS. */
static int vector_key(int n, jwk_ec *key)
{
	cJSON *jwks = vectors_json("shc/issuer-jwks.json");
	ehr_err e;
	int rc = jwk_ec_parse(cJSON_GetArrayItem(cJSON_GetObjectItem(jwks, "keys"), n), key, &e);

	cJSON_Delete(jwks);
	return rc;
}

static void test_jwk(void)
{
	jwk_ec key;
	char tp[JOSE_THUMBPRINT_LEN + 1];
	cJSON *k;
	ehr_err e;

	SKIP_WITHOUT_VECTORS("jwk");
	CHECK(vector_key(0, &key) == 0, "the issuer's key parses");
	jwk_ec_thumbprint(&key, tp);
	CHECK_STR(tp, key.kid);
	CHECK(vector_key(1, &key) == 0, "the second key (with x5c) parses");
	jwk_ec_thumbprint(&key, tp);
	CHECK_STR(tp, key.kid);

	k = cJSON_Parse("{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"11XvRWy1I2S0EyJlyf_bWfw_TQ5CJJNLw78bHXNxcgw\","
			"\"y\":\"eZXwxvO1hvCY0KucrPfKo7yAyMT6Ajc3N7OkAB6VYy8\",\"d\":\"AAAA\"}");
	CHECK(jwk_ec_parse(k, &key, &e) == EHR_EUSAGE && strstr(e.msg, "private"), "a private key is refused");
	cJSON_DeleteItemFromObject(k, "d");
	CHECK(jwk_ec_parse(k, &key, &e) == 0 && !key.kid[0], "without d it is taken");
	cJSON_ReplaceItemInObject(k, "y", cJSON_CreateString("eZXwxvO1hvCY0KucrPfKo7yAyMT6Ajc3N7OkAB6VYy9"));
	CHECK(jwk_ec_parse(k, &key, &e) == EHR_EUSAGE, "a point off the curve is refused: %s", e.msg);
	cJSON_ReplaceItemInObject(k, "crv", cJSON_CreateString("P-384"));
	CHECK(jwk_ec_parse(k, &key, &e) == EHR_EUSAGE, "another curve is refused");
	cJSON_Delete(k);
}

static void test_jws_vector(const char *jws_file, const char *payload_file)
{
	char *text = vectors_read(jws_file, NULL), *want = vectors_read(payload_file, NULL);
	uint8_t *payload = NULL;
	size_t n;
	jwk_ec key, other;
	ehr_err e;
	jws_parsed j;

	if (!text || !want) {
		CHECK(0, "cannot read %s", jws_file);
		goto out;
	}
	CHECK(vector_key(0, &key) == 0 && vector_key(1, &other) == 0, "keys");
	CHECK(jws_parse(text, strlen(text), &j, &e) == 0, "%s parses: %s", jws_file, e.msg);
	CHECK_STR(j.alg, "ES256");
	CHECK_STR(j.kid, key.kid);
	CHECK(j.zip_def && j.sig_len == 64, "zip DEF, a 64-byte signature");
	CHECK(jws_verify_es256(&j, &key, &e) == 0, "%s verifies", jws_file);
	CHECK(jws_verify_es256(&j, &other, &e) == EHR_EINTEGRITY, "not with the other key");
	CHECK(inflate_raw(j.payload, j.payload_len, 1 << 20, &payload, &n, &e) == 0 &&
	      n == strlen(want) && !memcmp(payload, want, n), "the payload inflates to %s", payload_file);
	free(payload);
	jws_free(&j);

	/* one character of the payload changed: the signature no longer verifies */
	{
		char *dot = strchr(text, '.') + 10;

		*dot = *dot == 'A' ? 'B' : 'A';
		CHECK(jws_parse(text, strlen(text), &j, &e) == 0, "a changed payload still parses");
		CHECK(jws_verify_es256(&j, &key, &e) == EHR_EINTEGRITY, "but does not verify");
		CHECK_STR(e.msg, "the signature does not verify");
		jws_free(&j);
	}
out:
	free(text);
	free(want);
}

static void test_jws(void)
{
	jws_parsed j;
	ehr_err e;
	static const char *bad[] = {
		"", "abc", "a.b", "a.b.c.d",
		"eyJhbGciOiJFUzI1NiJ9..!!",                        /* signature not base64url */
		"bm90IGpzb24.e30.AAAA",                            /* header not JSON */
		"eyJhbGciOiJFUzI1NiIsImNyaXQiOlsiYiJdfQ.e30.AAAA",  /* crit */
		"eyJhbGciOiJFUzI1NiIsInppcCI6IkdaIn0.e30.AAAA",     /* zip GZ */
		"eyJraWQiOiJ4In0.e30.AAAA",                        /* no alg */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = jws_parse(bad[i], strlen(bad[i]), &j, &e);

		CHECK(rc == EHR_EINTEGRITY && !j.payload, "'%s' refused (%d: %s)", bad[i], rc, e.msg);
	}
	/* alg none parses, but is never verified */
	CHECK(jws_parse("eyJhbGciOiJub25lIn0.e30.", 24, &j, &e) == 0, "alg none parses");
	{
		jwk_ec key;

		memset(&key, 0, sizeof(key));
		CHECK(jws_verify_es256(&j, &key, &e) == EHR_EINTEGRITY, "alg none never verifies");
	}
	jws_free(&j);
	SKIP_WITHOUT_VECTORS("jws");
	test_jws_vector("shc/example-00-d-jws.txt", "shc/example-00-c-jws-payload-minified.json");
	test_jws_vector("shc/example-02-d-jws.txt", "shc/example-02-c-jws-payload-minified.json");
}

static void vector_link_key(uint8_t key[32])
{
	size_t n;

	sodium_base642bin(key, 32, VECTOR_KEY, strlen(VECTOR_KEY), NULL, &n, NULL,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_jwe_vector(const char *jwe_file, const char *plain_file, const char *want_cty)
{
	size_t len, want_len, n;
	char *text = vectors_read(jwe_file, &len), *want = vectors_read(plain_file, &want_len);
	char cty[JOSE_CTY_MAX];
	uint8_t key[32], *plain = NULL;
	ehr_err e;

	if (!text || !want) {
		CHECK(0, "cannot read %s", jwe_file);
		goto out;
	}
	vector_link_key(key);
	CHECK(jwe_decrypt(text, len, key, 1 << 20, &plain, &n, cty, sizeof(cty), &e) == 0,
	      "%s decrypts: %s", jwe_file, e.msg);
	CHECK(plain && n == want_len && !memcmp(plain, want, n) && plain[n] == 0, "to %s", plain_file);
	CHECK_STR(cty, want_cty);
	free(plain);
	CHECK(jwe_decrypt(text, len, key, want_len - 1, &plain, &n, cty, sizeof(cty), &e) == EHR_EINTEGRITY,
	      "a plaintext over the bound is refused");
	/* a changed byte in each part: the header (additional data), IV, ciphertext, tag */
	{
		char *dots[4], *p = text;
		int i;

		for (i = 0; i < 4; i++)
			p = dots[i] = strchr(p, '.') + 1;
		char *where[4] = { text + 5, dots[1] + 3, dots[2] + 40, dots[3] + 5 };
		for (i = 0; i < 4; i++) {
			char was = *where[i];

			*where[i] = was == 'A' ? 'Q' : 'A';
			CHECK(jwe_decrypt(text, len, key, 1 << 20, &plain, &n, cty, sizeof(cty), &e) ==
			      EHR_EINTEGRITY && !plain, "part %d changed: refused (%s)", i, e.msg);
			*where[i] = was;
		}
	}
	key[0] ^= 1;
	CHECK(jwe_decrypt(text, len, key, 1 << 20, &plain, &n, cty, sizeof(cty), &e) == EHR_EINTEGRITY &&
	      !plain, "another key: refused");
	CHECK(strstr(e.msg, "does not decrypt") != NULL, "%s", e.msg);
out:
	free(text);
	free(want);
}

static void test_jwe(void)
{
	uint8_t key[32], *plain;
	const char *msg = "{\"resourceType\":\"Bundle\",\"type\":\"collection\"}";
	char *jwe, cty[JOSE_CTY_MAX];
	size_t n;
	ehr_err e;
	int zip;

	randombytes_buf(key, sizeof(key));
	for (zip = 0; zip < 2; zip++) {
		CHECK(jwe_encrypt(key, zip ? "application/fhir+json" : NULL, zip, (const uint8_t *)msg,
				  strlen(msg), &jwe, &e) == 0, "encrypts");
		CHECK(jwe_decrypt(jwe, strlen(jwe), key, 1000, &plain, &n, cty, sizeof(cty), &e) == 0 &&
		      n == strlen(msg) && !memcmp(plain, msg, n), "zip %d: decrypts back", zip);
		CHECK_STR(cty, zip ? "application/fhir+json" : "");
		free(plain);
		free(jwe);
	}
	{
		static const char *bad[] = {
			"a.b.c.d", "a.b.c.d.e.f",
			"eyJhbGciOiJBMjU2S1ciLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA", /* A256KW */
			"eyJhbGciOiJkaXIiLCJlbmMiOiJBMTI4R0NNIn0..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",  /* A128GCM */
			"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0.AAAA.AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA", /* a key */
			"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA",        /* short IV */
			"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AA.AAAAAAAA",              /* short tag */
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			CHECK(jwe_decrypt(bad[i], strlen(bad[i]), key, 100, &plain, &n, cty, sizeof(cty), &e) ==
			      EHR_EINTEGRITY && !plain, "'%s' refused: %s", bad[i], e.msg);
	}
	SKIP_WITHOUT_VECTORS("jwe");
	test_jwe_vector("shl/spec-example-jwe.txt", "shl/spec-example-jwe.plaintext.smart-health-card",
			"application/smart-health-card");
	test_jwe_vector("shl/IPS_IG-bundle-01-enc.txt", "shl/IPS_IG-bundle-01.json", "");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_b64url();
	test_deflate();
	test_jwk();
	test_jws();
	test_jwe();
	return tap_done();
}
