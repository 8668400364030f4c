#include "wallet/vault/shc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/base/deflate.h"
#include "wallet/base/fileio.h"
#include "wallet/vault/fhir.h"

#define QR_PREFIX "shc:/"
#define QR_OFFSET 45              /* a pair of digits is a character's code minus 45 */
#define QR_PAIR_MAX 77            /* 'z' */
#define QR_CHUNKS_MAX 64
#define KEYS_FILE_MAX (4u << 20)

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* ---- QR text ---------------------------------------------------------- */

bool shc_is_qr_text(const char *text)
{
	while (is_space(*text))
		text++;
	return !strncasecmp(text, QR_PREFIX, strlen(QR_PREFIX));
}

static int not_qr(ehr_err *e, const char *why)
{
	return ehr_fail(e, EHR_EUSAGE, "not SMART Health Card QR text: %s", why);
}

/* A decimal from 1 to QR_CHUNKS_MAX ending at a '/': the number, the
 * slash skipped; 0 when there is none. */
static size_t chunk_number(const char **p)
{
	size_t v = 0;
	const char *s = *p;

	while (*s >= '0' && *s <= '9' && v <= QR_CHUNKS_MAX)
		v = v * 10 + (size_t)(*s++ - '0');
	if (s == *p || *s != '/' || **p == '0' || v > QR_CHUNKS_MAX)
		return 0;
	*p = s + 1;
	return v;
}

/* The characters the digits [p, end) stand for (malloc'd). */
static int qr_digits(const char *p, const char *end, char **out, ehr_err *e)
{
	size_t n = (size_t)(end - p), i;
	char *s;

	*out = NULL;
	if (!n || n % 2)
		return not_qr(e, n ? "an odd number of digits" : "no digits");
	for (i = 0; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return not_qr(e, "a character other than a digit");
	if (!(s = malloc(n / 2 + 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < n; i += 2) {
		int v = (p[i] - '0') * 10 + (p[i + 1] - '0');

		if (v > QR_PAIR_MAX) {
			free(s);
			return not_qr(e, "a pair of digits above 77");
		}
		s[i / 2] = (char)(v + QR_OFFSET);
	}
	s[n / 2] = 0;
	*out = s;
	return 0;
}

int shc_qr_add(shc_qr_set *set, const char *text, bool *complete, ehr_err *e)
{
	const char *p = text, *end;
	size_t index = 1, total = 1;
	int rc;

	*complete = false;
	while (is_space(*p))
		p++;
	if (strncasecmp(p, QR_PREFIX, strlen(QR_PREFIX)))
		return not_qr(e, "it does not start with shc:/");
	p += strlen(QR_PREFIX);
	end = p + strlen(p);
	while (end > p && is_space(end[-1]))
		end--;
	if (memchr(p, '/', (size_t)(end - p))) {
		if (!(index = chunk_number(&p)) || !(total = chunk_number(&p)) || index > total)
			return not_qr(e, "a chunk is shc:/C/N/DIGITS, C from 1 to N, N at most 64");
	}
	if (set->total && set->total != total)
		return not_qr(e, "a chunk of another card (another count of chunks) before this "
			      "card is whole");
	if (!set->total) {
		if (!(set->parts = calloc(total, sizeof(*set->parts))))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		set->total = total;
	}
	if (set->parts[index - 1])
		return not_qr(e, "the same chunk twice");
	if ((rc = qr_digits(p, end, &set->parts[index - 1], e)))
		return rc;
	set->have++;
	*complete = set->have == set->total;
	return 0;
}

int shc_qr_join(shc_qr_set *set, char **out, ehr_err *e)
{
	size_t i, n = 0;
	char *s;

	*out = NULL;
	if (!set->total || set->have != set->total)
		return not_qr(e, "some chunks of the card are missing");
	for (i = 0; i < set->total; i++)
		n += strlen(set->parts[i]);
	if (!(s = malloc(n + 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0, n = 0; i < set->total; i++) {
		size_t k = strlen(set->parts[i]);

		memcpy(s + n, set->parts[i], k);
		n += k;
	}
	s[n] = 0;
	shc_qr_set_free(set);
	*out = s;
	return 0;
}

void shc_qr_set_free(shc_qr_set *set)
{
	size_t i;

	for (i = 0; i < set->total; i++)
		free(set->parts[i]);
	free(set->parts);
	memset(set, 0, sizeof(*set));
}

/* ---- files ------------------------------------------------------------- */

int shc_file_cards(const char *json, size_t len, shc_jws_fn fn, void *arg, ehr_err *e)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *vcs = cJSON_GetObjectItemCaseSensitive(o, "verifiableCredential"), *v;
	int rc = 0;

	if (!cJSON_IsArray(vcs) || !cJSON_GetArraySize(vcs)) {
		cJSON_Delete(o);
		return ehr_fail(e, EHR_EUSAGE, "not a SMART Health Card file: no \"verifiableCredential\" "
				"array of cards");
	}
	cJSON_ArrayForEach(v, vcs)
		if (!cJSON_IsString(v))
			rc = ehr_fail(e, EHR_EUSAGE, "not a SMART Health Card file: a "
				      "\"verifiableCredential\" that is not a JWS string");
	cJSON_ArrayForEach(v, vcs)
		if (!rc)
			rc = fn(arg, v->valuestring, strlen(v->valuestring), e);
	cJSON_Delete(o);
	return rc;
}

/* ---- keys -------------------------------------------------------------- */

/* o's string member name, or "" when it has none. */
static const char *text_member(const cJSON *o, const char *name)
{
	const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, name));

	return s ? s : "";
}

struct shc_key {
	char iss[SHC_ISS_MAX];    /* "" : bound to no issuer (--issuer-keys) */
	jwk_ec key;
};

struct shc_keyring {
	struct shc_key *keys;
	size_t n, cap;
};

shc_keyring *shc_keyring_new(void)
{
	return calloc(1, sizeof(shc_keyring));
}

size_t shc_keyring_count(const shc_keyring *kr)
{
	return kr->n;
}

void shc_keyring_free(shc_keyring *kr)
{
	if (!kr)
		return;
	free(kr->keys);
	free(kr);
}

/* An issuer as cards name it: an https URL of printable characters. */
static bool is_issuer_url(const char *s)
{
	size_t i, n = strlen(s);

	if (n >= SHC_ISS_MAX || strncmp(s, "https://", 8) || n == 8 || s[8] == '/')
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f)
			return false;
	return true;
}

/* Adds the P-256 keys of a JWKS "keys" array, bound to iss (""); skips
 * keys of other kinds. *added counts those taken. */
static int add_keys(shc_keyring *kr, const char *iss, const cJSON *keys, size_t *added, ehr_err *e)
{
	const cJSON *k;

	*added = 0;
	if (!cJSON_IsArray(keys))
		return ehr_fail(e, EHR_EUSAGE, "\"keys\" is not an array of keys");
	cJSON_ArrayForEach(k, keys) {
		struct shc_key *sk;
		int rc;

		if (!cJSON_IsObject(k) || strcmp(text_member(k, "kty"), "EC"))
			continue;  /* an RSA key, say: not one a card is signed with */
		if (array_grow((void **)&kr->keys, &kr->cap, kr->n + 1, sizeof(*kr->keys)))
			return ehr_fail(e, EHR_EFAIL, "out of memory");
		sk = &kr->keys[kr->n];
		if ((rc = jwk_ec_parse(k, &sk->key, e)))
			return rc;
		/* cards name their key by its thumbprint; a JWK without a kid has that one */
		if (!sk->key.kid[0])
			jwk_ec_thumbprint(&sk->key, sk->key.kid);
		snprintf(sk->iss, sizeof(sk->iss), "%s", iss);
		kr->n++;
		(*added)++;
	}
	return 0;
}

/* A keys file the user names: one that cannot be read is theirs to fix
 * (EHR_EUSAGE, with file_read_all's words). */
static int read_user_file(const char *path, char **text, size_t *len, ehr_err *e)
{
	ehr_err why = { 0 };

	if (!file_read_all(path, KEYS_FILE_MAX, text, len, &why))
		return 0;
	return ehr_fail(e, EHR_EUSAGE, "%s", why.msg);
}

int shc_keyring_add_jwks(shc_keyring *kr, const char *json, size_t len, ehr_err *e)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	size_t added = 0;
	int rc;

	if (!cJSON_IsObject(o))
		rc = ehr_fail(e, EHR_EUSAGE, "not JSON");
	else if (!(rc = add_keys(kr, "", cJSON_GetObjectItemCaseSensitive(o, "keys"), &added, e)) &&
		 !added)
		rc = ehr_fail(e, EHR_EUSAGE, "no P-256 key in it (SMART Health Cards are signed "
			      "with ES256)");
	cJSON_Delete(o);
	return rc;
}

int shc_keyring_load_jwks(shc_keyring *kr, const char *path, ehr_err *e)
{
	char *text = NULL;
	size_t len;
	int rc;

	if (read_user_file(path, &text, &len, e))
		return ehr_wrap(e, "issuer keys");
	rc = shc_keyring_add_jwks(kr, text, len, e);
	free(text);
	return rc ? ehr_wrap(e, "issuer keys %s", path) : 0;
}

/* One entry of the trusted-issuers file. */
static int add_issuer(shc_keyring *kr, const cJSON *entry, size_t index, ehr_err *e)
{
	const char *iss = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(entry, "iss"));
	size_t added;
	int rc;

	if (!cJSON_IsObject(entry) || !iss)
		return ehr_fail(e, EHR_EUSAGE, "issuers[%zu] is not an object with an \"iss\"", index);
	if (!is_issuer_url(iss))
		return ehr_fail(e, EHR_EUSAGE, "issuers[%zu]: \"iss\" is not an https URL", index);
	if ((rc = add_keys(kr, iss, cJSON_GetObjectItemCaseSensitive(entry, "keys"), &added, e)))
		return ehr_wrap(e, "issuers[%zu]", index);
	return 0;
}

int shc_keyring_load_trusted(shc_keyring *kr, const char *path, ehr_err *e)
{
	const cJSON *list, *entry;
	char *text = NULL;
	size_t len, i = 0;
	cJSON *o;
	int rc = 0;

	if (!file_exists(path))
		return 0;
	if (read_user_file(path, &text, &len, e))
		return ehr_wrap(e, "trusted issuers");
	o = cJSON_ParseWithLength(text, len);
	free(text);
	list = cJSON_GetObjectItemCaseSensitive(o, "issuers");
	if (!cJSON_IsArray(list))
		rc = ehr_fail(e, EHR_EUSAGE, "not JSON with an \"issuers\" array");
	cJSON_ArrayForEach(entry, list)
		if (!rc)
			rc = add_issuer(kr, entry, i++, e);
	cJSON_Delete(o);
	return rc ? ehr_wrap(e, "trusted issuers %s", path) : 0;
}

/* ---- cards ------------------------------------------------------------- */

/* Checks j's signature with the keys whose kid is j's: the key that
 * verifies it in *signer, or NULL when kr holds no key of that kid. */
static int check_signature(const jws_parsed *j, const shc_keyring *kr, const struct shc_key **signer,
			   ehr_err *e)
{
	bool known = false;
	size_t i;

	*signer = NULL;
	for (i = 0; j->kid[0] && i < kr->n; i++) {
		if (strcmp(kr->keys[i].key.kid, j->kid))
			continue;
		known = true;
		if (!jws_verify_es256(j, &kr->keys[i].key, NULL)) {
			*signer = &kr->keys[i];
			return 0;
		}
	}
	if (known)
		return ehr_fail(e, EHR_EINTEGRITY, "the card's signature does not verify with its "
				"issuer's key %.60s: it was changed after it was signed", j->kid);
	return 0;
}

/* The card's claims: the issuer and the Bundle. */
static int card_claims(const char *payload, size_t len, shc_card *card, ehr_err *e)
{
	cJSON *o = cJSON_ParseWithLength(payload, len);
	const cJSON *vc = cJSON_GetObjectItemCaseSensitive(o, "vc"), *t;
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(vc, "credentialSubject");
	const cJSON *bundle = cJSON_GetObjectItemCaseSensitive(subject, "fhirBundle");
	const char *iss = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(o, "iss"));
	bool typed = false;
	int rc = 0;

	cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(vc, "type"))
		typed |= cJSON_IsString(t) && !strcmp(t->valuestring, SHC_CARD_TYPE);
	if (!cJSON_IsObject(o))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card's payload is not a JSON object");
	else if (!iss || !is_issuer_url(iss))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card names no issuer (\"iss\", an https URL)");
	else if (!typed)
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card is not of type %s", SHC_CARD_TYPE);
	else if (!cJSON_IsObject(bundle) ||
		 strcmp(text_member(bundle, "resourceType"), "Bundle"))
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card holds no FHIR Bundle "
			      "(vc.credentialSubject.fhirBundle)");
	else if (!(card->bundle = cJSON_PrintUnformatted(bundle)))
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
	if (!rc) {
		snprintf(card->iss, sizeof(card->iss), "%s", iss);
		card->bundle_len = strlen(card->bundle);
	}
	cJSON_Delete(o);
	return rc;
}

int shc_card_read(const char *text, size_t len, const shc_keyring *kr, bool allow_unverified,
		  shc_card *card, ehr_err *e)
{
	const struct shc_key *signer = NULL;
	uint8_t *payload = NULL;
	size_t plen;
	jws_parsed j;
	int rc;

	memset(card, 0, sizeof(*card));
	if (len > SHC_TEXT_MAX)
		return ehr_fail(e, EHR_EINTEGRITY, "the card is longer than %u bytes", SHC_TEXT_MAX);
	if ((rc = jws_parse(text, len, &j, e)))
		return rc;
	if ((rc = check_signature(&j, kr, &signer, e)))
		goto out;
	if (j.zip_def)
		rc = inflate_raw(j.payload, j.payload_len, FHIR_JSON_MAX, &payload, &plen, e);
	if (rc || (rc = card_claims(j.zip_def ? (const char *)payload : (const char *)j.payload,
				    j.zip_def ? plen : j.payload_len, card, e)))
		goto out;
	if (!signer && !allow_unverified) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card names issuer %s, whose key %.60s is not one "
			      "you trust: give the issuer's keys (--issuer-keys JWKS, or the trusted "
			      "issuers file), or take it as unverified (--unverified)", card->iss,
			      j.kid[0] ? j.kid : "(none)");
		goto out;
	}
	if (signer && signer->iss[0] && strcmp(signer->iss, card->iss)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "the card names issuer %s but is signed with a "
			      "key of %s", card->iss, signer->iss);
		goto out;
	}
	card->verified = signer != NULL;
out:
	free(payload);
	jws_free(&j);
	if (rc)
		shc_card_free(card);
	return rc;
}

void shc_card_free(shc_card *card)
{
	cJSON_free(card->bundle);
	card->bundle = NULL;
	card->bundle_len = 0;
}
