/* The JOSE compact forms SMART Health Cards and Links use, and nothing
 * more: base64url (RFC 4648 section 5, no padding), a signed JWS checked
 * with ES256 (ECDSA over P-256 with SHA-256, the signature as raw r || s,
 * RFC 7515 and 7518), a P-256 public key as a JWK with its RFC 7638
 * thumbprint, and a JWE with "alg":"dir" and "enc":"A256GCM" (the 32-byte
 * key used as it is, AES-256-GCM with a 96-bit IV, a 128-bit tag and the
 * protected header's base64url text as additional data; RFC 7516), its
 * plaintext optionally raw DEFLATE ("zip":"DEF"). OpenSSL's libcrypto does
 * the cryptography.
 *
 * Everything here reads untrusted text: what does not parse, verify or
 * decrypt is EHR_EINTEGRITY (a card or a link's file that is damaged or
 * tampered with) unless a function says otherwise; EHR_EFAIL is only
 * running out of memory. Nothing here prints, prompts or exits. */
#ifndef EHR_JOSE_H
#define EHR_JOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "wallet/base/err.h"

#define JOSE_KID_MAX 128          /* a key id and its NUL */
#define JOSE_CTY_MAX 128          /* a content type and its NUL */
#define JOSE_THUMBPRINT_LEN 43    /* a SHA-256 in base64url */
#define JWE_MAX (96u << 20)       /* the longest JWE text decrypted */

/* Decodes len characters of base64url without padding into *out
 * (malloc'd, with a NUL after the *out_len bytes; the caller frees it).
 * Padding, white space, other characters and non-zero trailing bits are
 * refused (EHR_EINTEGRITY "... is not base64url", what naming the part). */
int b64url_decode(const char *s, size_t len, const char *what, uint8_t **out, size_t *out_len,
		  ehr_err *e);

/* The base64url of len bytes (no padding), malloc'd and NUL-terminated;
 * NULL when out of memory. */
char *b64url_encode(const uint8_t *in, size_t len);

/* A P-256 public key from a JWK. */
typedef struct jwk_ec {
	char kid[JOSE_KID_MAX];   /* "kid" as written; "" when it has none */
	uint8_t x[32], y[32];
} jwk_ec;

/* Reads a JWK object: "kty" "EC", "crv" "P-256", "x" and "y" 32 bytes
 * each in base64url, a point on the curve; "kid" when present a string;
 * "alg", when present, "ES256"; "d" (a private key) refused. Other members
 * (use, x5c, crlVersion...) are ignored. EHR_EUSAGE otherwise: keys come
 * from the user's files. */
int jwk_ec_parse(const cJSON *jwk, jwk_ec *out, ehr_err *e);

/* The RFC 7638 thumbprint of key: base64url(SHA-256 of
 * {"crv":"P-256","kty":"EC","x":"...","y":"..."}), what SMART Health Cards
 * use as the key's kid. out holds JOSE_THUMBPRINT_LEN + 1 bytes. */
void jwk_ec_thumbprint(const jwk_ec *key, char out[JOSE_THUMBPRINT_LEN + 1]);

/* A compact JWS taken apart (jws_parse); payload is the decoded payload as
 * signed (still compressed when zip_def). */
typedef struct jws_parsed {
	char alg[16];
	char kid[JOSE_KID_MAX];   /* "" when the header has none */
	bool zip_def;             /* "zip":"DEF": the payload is raw DEFLATE */
	uint8_t *payload;         /* malloc'd, NUL after payload_len bytes */
	size_t payload_len;
	uint8_t sig[64];          /* ES256: r || s */
	size_t sig_len;
	const char *signing_input;/* the header and payload text with the dot between */
	size_t signing_input_len;
} jws_parsed;

/* Parses a compact JWS (three base64url parts separated by dots; white
 * space around it is ignored) without checking its signature. The header
 * must be a JSON object with a string "alg", a string "kid" if any, "zip"
 * only "DEF", and no "crit" (nothing here understands extensions). j's
 * signing_input points into compact, which must outlive j. */
int jws_parse(const char *compact, size_t len, jws_parsed *j, ehr_err *e);

/* Checks j's ES256 signature with key: 0 when it verifies, EHR_EINTEGRITY
 * "the signature does not verify" otherwise (another alg, a signature that
 * is not 64 bytes, any change to the header or payload). */
int jws_verify_es256(const jws_parsed *j, const jwk_ec *key, ehr_err *e);

void jws_free(jws_parsed *j);

/* Decrypts a compact JWE ("alg":"dir", "enc":"A256GCM", an empty
 * encrypted key, a 12-byte IV, a 16-byte tag; "zip":"DEF" inflated; no
 * "crit") of up to JWE_MAX characters with key (32 bytes) into *plain
 * (malloc'd, a NUL after *plain_len bytes; at most max bytes once
 * inflated; the caller frees it). cty receives the header's "cty" ("" when
 * none; cap JOSE_CTY_MAX is enough). A tag that does not match (a changed
 * byte anywhere, or another key) is EHR_EINTEGRITY, and nothing of the
 * plaintext is kept. */
int jwe_decrypt(const char *compact, size_t len, const uint8_t key[32], size_t max,
		uint8_t **plain, size_t *plain_len, char *cty, size_t cap, ehr_err *e);

/* The other way, for tests and fuzzing (ehr reads links; it does not make
 * them): plain encrypted under key with a fresh random IV, with "cty" when
 * cty is not NULL and compressed first with zip, as a compact JWE
 * (malloc'd, NUL-terminated) in *out. EHR_EFAIL when out of memory. */
int jwe_encrypt(const uint8_t key[32], const char *cty, bool zip, const uint8_t *plain,
		size_t len, char **out, ehr_err *e);

#endif
