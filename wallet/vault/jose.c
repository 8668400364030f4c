#include "wallet/vault/jose.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <sodium.h>

#include "wallet/base/deflate.h"
#include "wallet/base/sha256.h"

#define GCM_IV_BYTES 12
#define GCM_TAG_BYTES 16
#define JOSE_HEADER_MAX 4096      /* decoded protected header bytes */

/* ---- base64url -------------------------------------------------------- */

int b64url_decode(const char *s, size_t len, const char *what, uint8_t **out, size_t *out_len,
		  ehr_err *e)
{
	size_t cap = len / 4 * 3 + 3, n = 0;
	const char *end = NULL;
	uint8_t *buf;

	*out = NULL;
	*out_len = 0;
	if (!(buf = malloc(cap + 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (len && (sodium_base642bin(buf, cap, s, len, NULL, &n, &end,
				      sodium_base64_VARIANT_URLSAFE_NO_PADDING) ||
		    end != s + len)) {
		free(buf);
		return ehr_fail(e, EHR_EINTEGRITY, "%s is not base64url", what);
	}
	buf[n] = 0;
	*out = buf;
	*out_len = n;
	return 0;
}

char *b64url_encode(const uint8_t *in, size_t len)
{
	size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char *s = malloc(cap);

	if (s)
		sodium_bin2base64(s, cap, in, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return s;
}

/* ---- keys ------------------------------------------------------------- */

/* The public key (x, y) as an OpenSSL key; NULL when it is not a point of
 * P-256 (or out of memory). */
static EVP_PKEY *p256_public(const uint8_t x[32], const uint8_t y[32])
{
	uint8_t point[65];
	char group[] = "P-256";
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;

	point[0] = 0x04;  /* uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point));
	params[2] = OSSL_PARAM_construct_end();
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	return key;
}

/* A coordinate: 32 bytes of base64url. */
static int coordinate(const cJSON *jwk, const char *name, uint8_t out[32], ehr_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(jwk, name);
	uint8_t *bin = NULL;
	size_t n = 0;

	if (!cJSON_IsString(v) || b64url_decode(v->valuestring, strlen(v->valuestring), name, &bin,
						&n, NULL) || n != 32) {
		free(bin);
		return ehr_fail(e, EHR_EUSAGE, "the key's \"%s\" is not 32 bytes of base64url", name);
	}
	memcpy(out, bin, 32);
	free(bin);
	return 0;
}

static bool member_is(const cJSON *o, const char *name, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) && !strcmp(v->valuestring, want);
}

int jwk_ec_parse(const cJSON *jwk, jwk_ec *out, ehr_err *e)
{
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwk, "kid");
	EVP_PKEY *k;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!cJSON_IsObject(jwk))
		return ehr_fail(e, EHR_EUSAGE, "a key is not a JSON object");
	if (!member_is(jwk, "kty", "EC") || !member_is(jwk, "crv", "P-256"))
		return ehr_fail(e, EHR_EUSAGE, "a key is not an EC key on P-256 (\"kty\":\"EC\", "
				"\"crv\":\"P-256\")");
	if (cJSON_GetObjectItemCaseSensitive(jwk, "alg") && !member_is(jwk, "alg", "ES256"))
		return ehr_fail(e, EHR_EUSAGE, "a key is for another algorithm than ES256");
	if (cJSON_GetObjectItemCaseSensitive(jwk, "d"))
		return ehr_fail(e, EHR_EUSAGE, "a key holds a private part (\"d\"): give public keys only");
	if (kid && (!cJSON_IsString(kid) || strlen(kid->valuestring) >= sizeof(out->kid)))
		return ehr_fail(e, EHR_EUSAGE, "a key's \"kid\" is not a string of up to %d bytes",
				JOSE_KID_MAX - 1);
	if ((rc = coordinate(jwk, "x", out->x, e)) || (rc = coordinate(jwk, "y", out->y, e)))
		return rc;
	if (!(k = p256_public(out->x, out->y)))
		return ehr_fail(e, EHR_EUSAGE, "a key is not a point on P-256");
	EVP_PKEY_free(k);
	if (kid)
		snprintf(out->kid, sizeof(out->kid), "%s", kid->valuestring);
	return 0;
}

void jwk_ec_thumbprint(const jwk_ec *key, char out[JOSE_THUMBPRINT_LEN + 1])
{
	char x[64], y[64], json[200];
	uint8_t h[32];
	int n;

	sodium_bin2base64(x, sizeof(x), key->x, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(y, sizeof(y), key->y, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	/* the required members only, in lexical order, no white space */
	n = snprintf(json, sizeof(json), "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		     x, y);
	sha256(json, (size_t)n, h);
	sodium_bin2base64(out, JOSE_THUMBPRINT_LEN + 1, h, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* ---- the protected header ---------------------------------------------- */

/* Decodes and parses a protected header (a JSON object without "crit",
 * "zip" only "DEF"); what names the object for messages. */
static int header_parse(const char *b64, size_t len, const char *what, cJSON **out, bool *zip,
			ehr_err *e)
{
	uint8_t *raw;
	size_t n;
	cJSON *h;
	const cJSON *z;
	int rc;

	*out = NULL;
	if (len > JOSE_HEADER_MAX * 4 / 3 + 4)
		return ehr_fail(e, EHR_EINTEGRITY, "the %s header is too long", what);
	if ((rc = b64url_decode(b64, len, "the header", &raw, &n, e)))
		return ehr_wrap(e, "not a %s", what);
	h = cJSON_ParseWithLength((const char *)raw, n);
	free(raw);
	if (!cJSON_IsObject(h)) {
		cJSON_Delete(h);
		return ehr_fail(e, EHR_EINTEGRITY, "not a %s: its header is not a JSON object", what);
	}
	z = cJSON_GetObjectItemCaseSensitive(h, "zip");
	if (cJSON_GetObjectItemCaseSensitive(h, "crit") || (z && !member_is(h, "zip", "DEF"))) {
		cJSON_Delete(h);
		return ehr_fail(e, EHR_EINTEGRITY, "the %s asks for an extension or compression "
				"this version does not know (\"crit\", or \"zip\" other than DEF)", what);
	}
	*zip = z != NULL;
	*out = h;
	return 0;
}

/* Copies a string member of the header (absent: ""); one that is not a
 * string or does not fit is refused. */
static int header_text(const cJSON *h, const char *name, const char *what, char *out, size_t cap,
		       ehr_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(h, name);

	out[0] = 0;
	if (!v)
		return 0;
	if (!cJSON_IsString(v) || strlen(v->valuestring) >= cap)
		return ehr_fail(e, EHR_EINTEGRITY, "the %s header's \"%s\" is not a string of up to "
				"%zu bytes", what, name, cap - 1);
	memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
	return 0;
}

/* Splits compact text at its dots into n parts (white space around it
 * dropped); EHR_EINTEGRITY when there are not exactly n. */
static int split_parts(const char *s, size_t len, const char **part, size_t *plen, int n,
		       const char *what, ehr_err *e)
{
	const char *end = s + len, *p;
	int i;

	while (s < end && (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n'))
		s++;
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r' || end[-1] == '\n'))
		end--;
	for (i = 0, p = s; i < n; i++) {
		const char *dot = i < n - 1 ? memchr(p, '.', (size_t)(end - p)) : end;

		if (!dot)
			break;
		part[i] = p;
		plen[i] = (size_t)(dot - p);
		p = dot + 1;
	}
	if (i < n || memchr(part[n - 1], '.', plen[n - 1]))
		return ehr_fail(e, EHR_EINTEGRITY, "not a %s: it needs %d parts separated by dots",
				what, n);
	return 0;
}

/* ---- JWS --------------------------------------------------------------- */

int jws_parse(const char *compact, size_t len, jws_parsed *j, ehr_err *e)
{
	const char *part[3];
	size_t plen[3];
	uint8_t *sig = NULL;
	cJSON *h = NULL;
	int rc;

	memset(j, 0, sizeof(*j));
	if ((rc = split_parts(compact, len, part, plen, 3, "JWS", e)) ||
	    (rc = header_parse(part[0], plen[0], "JWS", &h, &j->zip_def, e)))
		return rc;
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(h, "alg"))) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "not a JWS: its header names no \"alg\"");
		goto out;
	}
	if ((rc = header_text(h, "alg", "JWS", j->alg, sizeof(j->alg), e)) ||
	    (rc = header_text(h, "kid", "JWS", j->kid, sizeof(j->kid), e)))
		goto out;
	if ((rc = b64url_decode(part[1], plen[1], "the payload", &j->payload, &j->payload_len, e)) ||
	    (rc = b64url_decode(part[2], plen[2], "the signature", &sig, &j->sig_len, e))) {
		ehr_wrap(e, "not a JWS");
		goto out;
	}
	if (j->sig_len > sizeof(j->sig)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "not a JWS this version reads: a %zu-byte signature",
			      j->sig_len);
		goto out;
	}
	memcpy(j->sig, sig, j->sig_len);
	j->signing_input = part[0];
	j->signing_input_len = plen[0] + 1 + plen[1];
out:
	free(sig);
	cJSON_Delete(h);
	if (rc)
		jws_free(j);
	return rc;
}

/* r || s as the DER ECDSA-Sig-Value OpenSSL verifies; 0 on failure. */
static size_t der_signature(const uint8_t sig[64], uint8_t **der)
{
	ECDSA_SIG *s = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, 32, NULL), *ss = BN_bin2bn(sig + 32, 32, NULL);
	int n = 0;

	*der = NULL;
	if (s && r && ss && ECDSA_SIG_set0(s, r, ss) == 1) {
		r = ss = NULL;  /* s owns them now */
		n = i2d_ECDSA_SIG(s, der);
	}
	BN_free(r);
	BN_free(ss);
	ECDSA_SIG_free(s);
	return n > 0 ? (size_t)n : 0;
}

int jws_verify_es256(const jws_parsed *j, const jwk_ec *key, ehr_err *e)
{
	EVP_PKEY *pk = NULL;
	EVP_MD_CTX *md = NULL;
	uint8_t *der = NULL;
	size_t der_len;
	int ok = 0;

	if (strcmp(j->alg, "ES256") || j->sig_len != 64)
		return ehr_fail(e, EHR_EINTEGRITY, "the signature does not verify (not ES256: alg "
				"\"%.15s\", %zu bytes)", j->alg, j->sig_len);
	if (!(der_len = der_signature(j->sig, &der)) || !(pk = p256_public(key->x, key->y)) ||
	    !(md = EVP_MD_CTX_new())) {
		OPENSSL_free(der);
		EVP_PKEY_free(pk);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pk) == 1)
		ok = EVP_DigestVerify(md, der, der_len, (const unsigned char *)j->signing_input,
				      j->signing_input_len) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(pk);
	OPENSSL_free(der);
	return ok ? 0 : ehr_fail(e, EHR_EINTEGRITY, "the signature does not verify");
}

void jws_free(jws_parsed *j)
{
	free(j->payload);
	j->payload = NULL;
	j->payload_len = 0;
}

/* ---- JWE --------------------------------------------------------------- */

/* AES-256-GCM in one pass (in and out may be the same buffer): 0 when the
 * tag matched (decrypt) or was written (encrypt), -1 otherwise. */
static int gcm(bool enc, const uint8_t key[32], const uint8_t iv[GCM_IV_BYTES], const char *aad,
	       size_t aad_len, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[GCM_TAG_BYTES])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	size_t done = 0;
	int n, ok;

	ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_IV_BYTES, NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, iv, enc) == 1 && aad_len <= INT_MAX &&
	     EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)aad, (int)aad_len) == 1;
	while (ok && done < len) {
		int step = len - done > (1u << 30) ? 1 << 30 : (int)(len - done);

		ok = EVP_CipherUpdate(c, out + done, &n, in + done, step) == 1 && n == step;
		done += (size_t)step;
	}
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG_BYTES, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + done, &n) == 1 && n == 0;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, GCM_TAG_BYTES, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* Checks a JWE header for what this version decrypts. */
static int jwe_header(const char *b64, size_t len, bool *zip, char *cty, size_t cap, ehr_err *e)
{
	cJSON *h;
	int rc;

	if ((rc = header_parse(b64, len, "JWE", &h, zip, e)))
		return rc;
	if (!member_is(h, "alg", "dir") || !member_is(h, "enc", "A256GCM"))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the JWE is not \"alg\":\"dir\" with \"enc\":\"A256GCM\", "
			      "the only kind SMART Health Links use");
	else
		rc = header_text(h, "cty", "JWE", cty, cap, e);
	cJSON_Delete(h);
	return rc;
}

/* Decodes a part that must be exactly n bytes into out. */
static int fixed_part(const char *s, size_t len, const char *what, uint8_t *out, size_t n,
		      ehr_err *e)
{
	uint8_t *bin;
	size_t got;
	int rc;

	if ((rc = b64url_decode(s, len, what, &bin, &got, e)))
		return ehr_wrap(e, "not a JWE");
	if (got == n)
		memcpy(out, bin, n);
	free(bin);
	return got == n ? 0 : ehr_fail(e, EHR_EINTEGRITY, "not a JWE: %s is %zu bytes, not %zu",
				       what, got, n);
}

int jwe_decrypt(const char *compact, size_t len, const uint8_t key[32], size_t max,
		uint8_t **plain, size_t *plain_len, char *cty, size_t cap, ehr_err *e)
{
	const char *part[5];
	size_t plen[5], n;
	uint8_t iv[GCM_IV_BYTES], tag[GCM_TAG_BYTES], *buf = NULL;
	bool zip = false;
	int rc;

	*plain = NULL;
	*plain_len = 0;
	if (cap)
		cty[0] = 0;
	if (len > JWE_MAX)
		return ehr_fail(e, EHR_EINTEGRITY, "the JWE is longer than %u bytes", JWE_MAX);
	if ((rc = split_parts(compact, len, part, plen, 5, "JWE", e)) ||
	    (rc = jwe_header(part[0], plen[0], &zip, cty, cap, e)))
		return rc;
	if (plen[1])
		return ehr_fail(e, EHR_EINTEGRITY, "not a JWE of \"alg\":\"dir\": it carries an "
				"encrypted key");
	if ((rc = fixed_part(part[2], plen[2], "the IV", iv, sizeof(iv), e)) ||
	    (rc = fixed_part(part[4], plen[4], "the tag", tag, sizeof(tag), e)))
		return rc;
	if ((rc = b64url_decode(part[3], plen[3], "the ciphertext", &buf, &n, e)))
		return ehr_wrap(e, "not a JWE");
	if (gcm(false, key, iv, part[0], plen[0], buf, n, buf, tag)) {
		sodium_memzero(buf, n);
		free(buf);
		return ehr_fail(e, EHR_EINTEGRITY, "the JWE does not decrypt: it was changed, or it is "
				"not for this key");
	}
	if (zip) {
		rc = inflate_raw(buf, n, max, plain, plain_len, e);
		sodium_memzero(buf, n);
		free(buf);
		return rc ? ehr_wrap(e, "the JWE's plaintext") : 0;
	}
	if (n > max) {
		sodium_memzero(buf, n);
		free(buf);
		return ehr_fail(e, EHR_EINTEGRITY, "the JWE's plaintext is longer than %zu bytes", max);
	}
	*plain = buf;
	*plain_len = n;
	return 0;
}

/* The protected header of jwe_encrypt, in base64url (malloc'd). */
static char *jwe_header_b64(const char *cty, bool zip)
{
	cJSON *h = cJSON_CreateObject();
	char *json = NULL, *b64 = NULL;

	if (h && cJSON_AddStringToObject(h, "alg", "dir") && cJSON_AddStringToObject(h, "enc", "A256GCM") &&
	    (!cty || cJSON_AddStringToObject(h, "cty", cty)) &&
	    (!zip || cJSON_AddStringToObject(h, "zip", "DEF")) && (json = cJSON_PrintUnformatted(h)))
		b64 = b64url_encode((const uint8_t *)json, strlen(json));
	cJSON_free(json);
	cJSON_Delete(h);
	return b64;
}

int jwe_encrypt(const uint8_t key[32], const char *cty, bool zip, const uint8_t *plain,
		size_t len, char **out, ehr_err *e)
{
	uint8_t iv[GCM_IV_BYTES], tag[GCM_TAG_BYTES], *packed = NULL, *ct = NULL;
	char *head = jwe_header_b64(cty, zip), *b_iv = NULL, *b_ct = NULL, *b_tag = NULL;
	int rc = EHR_EFAIL;

	*out = NULL;
	if (!head)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (zip) {
		if ((rc = deflate_raw(plain, len, &packed, &len, e)))
			goto out;
		plain = packed;
		rc = EHR_EFAIL;
	}
	randombytes_buf(iv, sizeof(iv));
	if (!(ct = malloc(len ? len : 1)) ||
	    gcm(true, key, iv, head, strlen(head), plain, len, ct, tag) ||
	    !(b_iv = b64url_encode(iv, sizeof(iv))) || !(b_ct = b64url_encode(ct, len)) ||
	    !(b_tag = b64url_encode(tag, sizeof(tag))) ||
	    asprintf(out, "%s..%s.%s.%s", head, b_iv, b_ct, b_tag) < 0) {
		*out = NULL;
		ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	rc = 0;
out:
	free(packed);
	free(ct);
	free(head);
	free(b_iv);
	free(b_ct);
	free(b_tag);
	return rc;
}
