#include "wallet/registry/grant_uri.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/keys/secp.h"

#define URI_PREFIX "ehr://grant/"
#define PATIENT_QUERY "?patient="
#define ZBAR_LABEL "QR-Code:"
#define KEY_B64_LEN 43	/* 32 bytes in base64url without padding */
#define SALT_CONTEXT "ehr/v1/grant-passcode-salt"
#define SECRET_CONTEXT "ehr/v1/grant-passcode"
#define KDF_ID_X25519 1
#define KDF_ID_SECP 256
#define SECP_TRIES 256

static int refuse(ehr_err *e, const char *why)
{
	return ehr_fail(e, EHR_EUSAGE, "not an ehr grant URI: %s", why);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* A decimal from 1 to 2^64-1 without leading zeros, filling [p, end). */
static int parse_id(const char *p, const char *end, uint64_t *v)
{
	uint64_t x = 0;

	if (p == end || *p == '0')
		return -1;
	for (; p < end; p++) {
		unsigned d;

		if (*p < '0' || *p > '9')
			return -1;
		d = (unsigned)(*p - '0');
		if (x > (UINT64_MAX - d) / 10)
			return -1;
		x = x * 10 + d;
	}
	*v = x;
	return 0;
}

static const char *find(const char *p, const char *end, char c)
{
	const char *q = memchr(p, c, (size_t)(end - p));

	return q ? q : end;
}

/* Decodes the 43 base64url characters of the key into key32. */
static int parse_key(const char *p, const char *end, uint8_t key32[32], ehr_err *e)
{
	size_t len = 0;

	if (end - p != KEY_B64_LEN)
		return refuse(e, "the key must be 32 bytes (43 base64url characters)");
	if (sodium_base642bin(key32, GRANT_KEY_BYTES, p, KEY_B64_LEN, NULL, &len, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != GRANT_KEY_BYTES)
		return refuse(e, "the key is not base64url without padding");
	return 0;
}

/* The fragment after '#': "&"-separated items, k= required, p=1 optional. */
static int parse_fragment(const char *p, const char *end, grant_uri *u, uint8_t key32[32],
			  ehr_err *e)
{
	int rc;

	if (p == end)
		return refuse(e, "an empty fragment after '#'");
	while (p <= end) {
		const char *item_end = find(p, end, '&');
		const char *eq = find(p, item_end, '=');

		if (eq == item_end)
			return refuse(e, "a fragment item without '='");
		if (eq - p == 1 && *p == 'k') {
			if (u->has_key)
				return refuse(e, "the key is given twice");
			if ((rc = parse_key(eq + 1, item_end, key32, e)))
				return rc;
			u->has_key = 1;
		} else if (eq - p == 1 && *p == 'p') {
			if (u->needs_passcode)
				return refuse(e, "p= is given twice");
			if (item_end - eq != 2 || eq[1] != '1')
				return refuse(e, "p= must be 1");
			u->needs_passcode = 1;
		} else {
			return refuse(e, "an unknown item in the fragment (only k= and p= are known)");
		}
		p = item_end + 1;
	}
	if (!u->has_key)
		return refuse(e, "the fragment has no key (k=)");
	return 0;
}

/* The query from its '?' to end: "?patient=" and the patient's address. */
static int parse_patient(const char *p, const char *end, grant_uri *u, ehr_err *e)
{
	char addr[43];
	size_t n = strlen(PATIENT_QUERY);

	if ((size_t)(end - p) < n || memcmp(p, PATIENT_QUERY, n))
		return refuse(e, "the query after '?' is not patient= (the only one known)");
	if (end - p - (ptrdiff_t)n != 42)
		return refuse(e, "the patient address must be 0x and 40 hex digits");
	memcpy(addr, p + n, 42);
	addr[42] = '\0';
	if (eip55_parse(addr, u->patient, e))
		return ehr_wrap(e, "not an ehr grant URI: the patient address");
	u->has_patient = 1;
	return 0;
}

static int parse(const char *s, grant_uri *u, uint8_t key32[32], ehr_err *e)
{
	const char *end, *slash, *hash, *query;
	char addr[43];
	int rc;

	if (!s)
		return refuse(e, "nothing given");
	while (is_space(*s))
		s++;
	end = s + strlen(s);
	while (end > s && is_space(end[-1]))
		end--;
	if ((size_t)(end - s) >= strlen(ZBAR_LABEL) && !memcmp(s, ZBAR_LABEL, strlen(ZBAR_LABEL)))
		s += strlen(ZBAR_LABEL);
	if (s == end)
		return refuse(e, "nothing given");
	if ((size_t)(end - s) < strlen(URI_PREFIX) ||
	    strncasecmp(s, URI_PREFIX, strlen(URI_PREFIX)) != 0)
		return refuse(e, "it does not begin with " URI_PREFIX);
	s += strlen(URI_PREFIX);

	slash = find(s, end, '/');
	if (slash == end)
		return refuse(e, "it has no registry address and grant id after the chain id");
	if (parse_id(s, slash, &u->chain_id))
		return refuse(e, "the chain id must be a decimal from 1 to 2^64-1 without leading zeros");
	s = slash + 1;

	slash = find(s, end, '/');
	if (slash == end)
		return refuse(e, "it has no grant id after the registry address");
	if (slash - s != 42)
		return refuse(e, "the registry address must be 0x and 40 hex digits");
	memcpy(addr, s, 42);
	addr[42] = '\0';
	if (eip55_parse(addr, u->registry, e))
		return ehr_wrap(e, "not an ehr grant URI");
	s = slash + 1;

	hash = find(s, end, '#');
	query = find(s, hash, '?');
	if (parse_id(s, query, &u->grant_id))
		return refuse(e, "the grant id must be a decimal from 1 to 2^64-1 without leading zeros");
	if (query != hash && (rc = parse_patient(query, hash, u, e)))
		return rc;
	if (hash == end)
		return 0;
	return parse_fragment(hash + 1, end, u, key32, e);
}

int grant_uri_parse(const char *s, grant_uri *out, uint8_t *key32, ehr_err *e)
{
	uint8_t *scratch = NULL;
	uint8_t *key = key32;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!key) {
		if (!(scratch = sodium_malloc(GRANT_KEY_BYTES)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		key = scratch;
	}
	rc = parse(s, out, key, e);
	if (rc || !out->has_key)
		sodium_memzero(key, GRANT_KEY_BYTES);
	if (rc)
		memset(out, 0, sizeof(*out));
	sodium_free(scratch);
	return rc;
}

int grant_uri_format(const grant_uri *u, const uint8_t *key32, char *out, size_t cap,
		     ehr_err *e)
{
	char addr[43];
	size_t need;
	int n;

	if (cap)
		out[0] = '\0';
	if (!u->chain_id || !u->grant_id)
		return ehr_fail(e, EHR_EUSAGE, "a grant URI needs a chain id and a grant id above 0");
	if (u->has_key && !key32)
		return ehr_fail(e, EHR_EUSAGE, "a bearer grant URI needs its key");
	if (u->needs_passcode && !u->has_key)
		return ehr_fail(e, EHR_EUSAGE, "a passcode without a bearer key");
	eip55_format(u->registry, addr);
	n = snprintf(out, cap, URI_PREFIX "%" PRIu64 "/%s/%" PRIu64, u->chain_id, addr, u->grant_id);
	if (n >= 0 && u->has_patient && (size_t)n < cap) {
		int m;

		eip55_format(u->patient, addr);
		m = snprintf(out + n, cap - (size_t)n, PATIENT_QUERY "%s", addr);
		n = m < 0 ? m : n + m;
	}
	need = (size_t)n + 1;
	if (u->has_key)
		need += 3 + KEY_B64_LEN + (u->needs_passcode ? 4 : 0);
	if (n < 0 || need > cap) {
		if (cap)
			out[0] = '\0';
		return ehr_fail(e, EHR_EFAIL, "a grant URI needs %zu bytes, the buffer has %zu", need, cap);
	}
	if (!u->has_key)
		return 0;
	memcpy(out + n, "#k=", 3);
	sodium_bin2base64(out + n + 3, cap - (size_t)n - 3, key32, GRANT_KEY_BYTES,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (u->needs_passcode)
		memcpy(out + n + 3 + KEY_B64_LEN, "&p=1", 5);
	return 0;
}

void grant_passcode_new(char *out)
{
	size_t i;

	for (i = 0; i < GRANT_PASSCODE_LEN; i++)
		out[i] = GRANT_PASSCODE_ALPHABET[randombytes_uniform(sizeof(GRANT_PASSCODE_ALPHABET) - 1)];
	out[GRANT_PASSCODE_LEN] = '\0';
}

/* Trims, makes inner white space one space and ASCII letters lower case. */
static size_t normalise_passcode(const char *in, char *out)
{
	size_t n = 0;
	int gap = 0;

	for (; *in; in++) {
		char c = *in;

		if (is_space(c)) {
			gap = n > 0;
			continue;
		}
		if (gap)
			out[n++] = ' ';
		gap = 0;
		out[n++] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
	return n;
}

int grant_secret_derive(const uint8_t key32[32], const char *passcode, uint8_t secret32[32],
			ehr_err *e)
{
	crypto_generichash_state *st = NULL;
	uint8_t salt[crypto_pwhash_SALTBYTES];
	uint8_t *stretch = NULL;
	char *pass = NULL;
	size_t len;
	int rc = EHR_EFAIL;

	if (!passcode)
		return ehr_fail(e, EHR_EUSAGE, "the passcode is empty");
	if (!(pass = sodium_malloc(strlen(passcode) + 1)) || !(stretch = sodium_malloc(32)) ||
	    !(st = sodium_malloc(sizeof(*st)))) {
		ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if (!(len = normalise_passcode(passcode, pass))) {
		rc = ehr_fail(e, EHR_EUSAGE, "the passcode is empty");
		goto out;
	}
	crypto_generichash(salt, sizeof(salt), (const uint8_t *)SALT_CONTEXT,
			   strlen(SALT_CONTEXT), key32, GRANT_KEY_BYTES);
	if (crypto_pwhash(stretch, 32, pass, len, salt, GRANT_PASSCODE_OPSLIMIT,
			  GRANT_PASSCODE_MEMLIMIT, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		ehr_fail(e, EHR_EFAIL, "argon2id could not get its %zu MiB of memory",
			 GRANT_PASSCODE_MEMLIMIT >> 20);
		goto out;
	}
	crypto_generichash_init(st, stretch, 32, 32);
	crypto_generichash_update(st, (const uint8_t *)SECRET_CONTEXT, strlen(SECRET_CONTEXT));
	crypto_generichash_update(st, key32, GRANT_KEY_BYTES);
	crypto_generichash_final(st, secret32, 32);
	rc = 0;
out:
	sodium_free(st);
	sodium_free(stretch);
	sodium_free(pass);
	return rc;
}

int grant_bearer_keys(const uint8_t secret32[32], uint8_t secp_priv[32], uint8_t x25519_sk[32],
		      uint8_t x25519_pk[32], ehr_err *e)
{
	uint8_t *k = sodium_malloc(64);	/* x25519 secret, secp256k1 candidate */
	int i, rc = EHR_EFAIL;

	if (!k)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (x25519_sk || x25519_pk) {
		uint8_t pk[32];

		crypto_kdf_derive_from_key(k, 32, KDF_ID_X25519, GRANT_KDF_CONTEXT, secret32);
		if (crypto_scalarmult_base(pk, k) != 0) {
			ehr_fail(e, EHR_EFAIL, "the bearer secret gives no x25519 key");
			goto out;
		}
		if (x25519_sk)
			memcpy(x25519_sk, k, 32);
		if (x25519_pk)
			memcpy(x25519_pk, pk, 32);
	}
	if (secp_priv) {
		for (i = 0; i < SECP_TRIES; i++) {
			crypto_kdf_derive_from_key(k + 32, 32, KDF_ID_SECP + (uint64_t)i,
						   GRANT_KDF_CONTEXT, secret32);
			if (secp256k1_ec_seckey_verify(secp_ctx(), k + 32))
				break;
		}
		if (i == SECP_TRIES) {
			ehr_fail(e, EHR_EFAIL, "the bearer secret gives no secp256k1 key");
			goto out;
		}
		memcpy(secp_priv, k + 32, 32);
	}
	rc = 0;
out:
	if (rc) {
		if (x25519_sk)
			sodium_memzero(x25519_sk, 32);
		if (secp_priv)
			sodium_memzero(secp_priv, 32);
	}
	sodium_free(k);
	return rc;
}

int grant_bearer_address(const uint8_t secret32[32], uint8_t addr[20], ehr_err *e)
{
	uint8_t *priv = sodium_malloc(32);
	int rc;

	if (!priv)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = grant_bearer_keys(secret32, priv, NULL, NULL, e);
	if (!rc)
		rc = eth_address_from_priv(priv, addr, e);
	sodium_free(priv);
	return rc;
}
