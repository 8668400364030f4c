/* The grant URI: round trips, the scanner allowances, every refusal (with
 * the key wiped and never quoted), the passcode construction recomputed from
 * its description, and the bearer keys: deterministic, valid, and agreeing
 * with wallet/keys/eth.h and crypto_box_seal. */
#include "tap.h"

#include <inttypes.h>
#include <stdarg.h>

#include <secp256k1.h>
#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/keys/secp.h"

static uint8_t registry[20];
static char reg_text[43];	/* EIP-55 */
static char reg_lower[43];
static char reg_badsum[43];	/* one letter's case flipped */
static uint8_t *key;		/* sodium_malloc: a random bearer key */
static char key_b64[44];

static void setup(void)
{
	static const char hex[] = "5aaeb6053f3e94c9b9a09f33669435e7ef1beaed";
	size_t i;

	for (i = 0; i < 20; i++)
		registry[i] = (uint8_t)(hex_nibble(hex[2 * i]) << 4 | hex_nibble(hex[2 * i + 1]));
	eip55_format(registry, reg_text);
	strcpy(reg_lower, "0x");
	strcat(reg_lower, hex);
	strcpy(reg_badsum, reg_text);
	for (i = 2; i < 42; i++) {
		if (reg_badsum[i] >= 'a' && reg_badsum[i] <= 'f') {
			reg_badsum[i] = (char)(reg_badsum[i] - 'a' + 'A');
			break;
		}
	}
	key = sodium_malloc(32);
	randombytes_buf(key, 32);
	sodium_bin2base64(key_b64, sizeof(key_b64), key, 32, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

static void test_format_plain(void)
{
	grant_uri u = { .chain_id = 31337, .grant_id = 7 }, v;
	char out[GRANT_URI_MAX], want[128];
	ehr_err e;

	memcpy(u.registry, registry, 20);
	CHECK(grant_uri_format(&u, NULL, out, sizeof(out), &e) == 0, "%s", e.msg);
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7", reg_text);
	CHECK_STR(out, want);
	CHECK(strcmp(reg_text, reg_lower) != 0, "the test address has mixed case");
	CHECK(grant_uri_parse(out, &v, NULL, &e) == 0, "%s", e.msg);
	CHECK(v.chain_id == 31337 && v.grant_id == 7 && !v.has_key && !v.needs_passcode,
	      "fields of %s", out);
	CHECK_MEM(v.registry, registry, 20);
}

static void test_format_bearer(void)
{
	grant_uri u = { .chain_id = 31337, .grant_id = 7, .has_key = 1 }, v;
	uint8_t *back = sodium_malloc(32);
	char out[GRANT_URI_MAX], want[160];
	ehr_err e;

	memcpy(u.registry, registry, 20);
	CHECK(grant_uri_format(&u, key, out, sizeof(out), &e) == 0, "%s", e.msg);
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7#k=%s", reg_text, key_b64);
	CHECK_STR(out, want);
	CHECK(strlen(out) == 108, "a realistic bearer URI is 108 characters, got %zu", strlen(out));
	memset(back, 0, 32);
	CHECK(grant_uri_parse(out, &v, back, &e) == 0, "%s", e.msg);
	CHECK(v.has_key && !v.needs_passcode && v.chain_id == 31337 && v.grant_id == 7, "fields");
	CHECK_MEM(back, key, 32);
	CHECK(grant_uri_parse(out, &v, NULL, &e) == 0 && v.has_key, "without a key buffer: %s", e.msg);

	u.needs_passcode = 1;
	CHECK(grant_uri_format(&u, key, out, sizeof(out), &e) == 0, "%s", e.msg);
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7#k=%s&p=1", reg_text, key_b64);
	CHECK_STR(out, want);
	memset(back, 0, 32);
	CHECK(grant_uri_parse(out, &v, back, &e) == 0, "%s", e.msg);
	CHECK(v.has_key && v.needs_passcode, "passcode flag read back");
	CHECK_MEM(back, key, 32);
	/* the items in the other order */
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7#p=1&k=%s", reg_text, key_b64);
	CHECK(grant_uri_parse(want, &v, back, &e) == 0 && v.needs_passcode, "p=1 first: %s", e.msg);
	CHECK_MEM(back, key, 32);
	sodium_free(back);
}

/* base64url as RFC 4648 section 5 spells it, without padding. */
/* "?patient=": written before the fragment, read back, and optional (a URI
 * written before it existed is read); anything else after '?' refused. */
static void test_patient(void)
{
	grant_uri u = { .chain_id = 31337, .grant_id = 7, .has_key = 1, .has_patient = 1 }, v;
	char out[GRANT_URI_MAX], want[GRANT_URI_MAX + 64], s[GRANT_URI_MAX + 64];
	uint8_t patient[20];
	char pat_text[43];
	ehr_err e;

	memset(patient, 0xab, 20);
	patient[0] = 0x5c;
	memcpy(u.registry, registry, 20);
	memcpy(u.patient, patient, 20);
	eip55_format(patient, pat_text);
	CHECK(grant_uri_format(&u, key, out, sizeof(out), &e) == 0, "%s", e.msg);
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7?patient=%s#k=%s", reg_text, pat_text, key_b64);
	CHECK_STR(out, want);
	CHECK(grant_uri_parse(out, &v, NULL, &e) == 0, "%s", e.msg);
	CHECK(v.has_patient && v.has_key && v.grant_id == 7, "fields of %s", out);
	CHECK_MEM(v.patient, patient, 20);

	u.has_key = 0;
	CHECK(grant_uri_format(&u, NULL, out, sizeof(out), &e) == 0, "%s", e.msg);
	snprintf(want, sizeof(want), "ehr://grant/31337/%s/7?patient=%s", reg_text, pat_text);
	CHECK_STR(out, want);
	CHECK(grant_uri_parse(out, &v, NULL, &e) == 0 && v.has_patient && !v.has_key, "%s", e.msg);

	snprintf(s, sizeof(s), "ehr://grant/31337/%s/7", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == 0 && !v.has_patient, "a URI without the patient: %s", e.msg);
	snprintf(s, sizeof(s), "ehr://grant/31337/%s/7?who=%s", reg_text, pat_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "an unknown query item is refused");
	snprintf(s, sizeof(s), "ehr://grant/31337/%s/7?patient=0x12", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "a short patient address is refused");
	snprintf(s, sizeof(s), "ehr://grant/31337/%s/7?", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "an empty query is refused");
	snprintf(s, sizeof(s), "ehr://grant/31337/%s/7?patient=%s&x=1", reg_text, pat_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "a second query item is refused");
}

/* Generated passcodes: 8 of 32 symbols (40 bits), every symbol used. */
static void test_passcode_new(void)
{
	char pc[GRANT_PASSCODE_LEN + 1], seen[256] = { 0 };
	size_t i, k, distinct = 0;

	CHECK(strlen(GRANT_PASSCODE_ALPHABET) == 32, "32 symbols: 5 bits each");
	CHECK(GRANT_PASSCODE_LEN * 5 >= 40, "at least 40 bits");
	for (k = 0; k < 400; k++) {
		grant_passcode_new(pc);
		CHECK(strlen(pc) == GRANT_PASSCODE_LEN, "length %zu", strlen(pc));
		for (i = 0; i < GRANT_PASSCODE_LEN; i++) {
			CHECK(strchr(GRANT_PASSCODE_ALPHABET, pc[i]) != NULL, "symbol %c", pc[i]);
			distinct += !seen[(unsigned char)pc[i]]++;
		}
	}
	CHECK(distinct == 32, "every symbol drawn: %zu", distinct);
}

static void test_key_alphabet(void)
{
	grant_uri u = { .chain_id = 1, .grant_id = 1, .has_key = 1 };
	uint8_t *k = sodium_malloc(32);
	char out[GRANT_URI_MAX], want[64];
	const char *frag;
	ehr_err e;

	memset(k, 0xff, 32);
	CHECK(grant_uri_format(&u, k, out, sizeof(out), &e) == 0, "%s", e.msg);
	frag = strchr(out, '#');
	snprintf(want, sizeof(want), "#k=%s8", "__________________________________________");
	CHECK_STR(frag, want);
	memset(k, 0, 32);
	CHECK(grant_uri_format(&u, k, out, sizeof(out), &e) == 0, "%s", e.msg);
	frag = strchr(out, '#');
	CHECK_STR(frag, "#k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
	memset(k, 0xfb, 32);	/* 111110 -> '-' */
	CHECK(grant_uri_format(&u, k, out, sizeof(out), &e) == 0, "%s", e.msg);
	frag = strchr(out, '#');
	CHECK(frag && strchr(frag + 3, '-') && !strchr(frag + 3, '+') && !strchr(frag + 3, '/') &&
	      !strchr(frag + 3, '='), "url-safe alphabet, no padding: %s", frag ? frag : "");
	sodium_free(k);
}

static void test_limits(void)
{
	grant_uri u = { .chain_id = UINT64_MAX, .grant_id = UINT64_MAX, .has_key = 1,
			.needs_passcode = 1, .has_patient = 1 }, v;
	char out[GRANT_URI_MAX], small[GRANT_URI_MAX], s[256];
	ehr_err e;

	memcpy(u.registry, registry, 20);
	CHECK(grant_uri_format(&u, key, out, sizeof(out), &e) == 0, "%s", e.msg);
	CHECK(strlen(out) == GRANT_URI_MAX - 1, "the longest URI fills GRANT_URI_MAX: %zu",
	      strlen(out));
	CHECK(grant_uri_parse(out, &v, NULL, &e) == 0 && v.chain_id == UINT64_MAX &&
	      v.grant_id == UINT64_MAX, "2^64-1 reads back: %s", e.msg);
	CHECK(grant_uri_format(&u, key, small, GRANT_URI_MAX - 1, &e) == EHR_EFAIL,
	      "a buffer one byte short is refused");
	CHECK(small[0] == '\0' && !strstr(e.msg, key_b64), "and left empty");

	u.has_key = u.needs_passcode = u.has_patient = 0;
	u.chain_id = 1;
	u.grant_id = 1;
	CHECK(grant_uri_format(&u, NULL, small, 12 + 1 + 1 + 42 + 1 + 1 + 1, &e) == 0,
	      "an exact buffer is enough: %s", e.msg);
	CHECK(grant_uri_format(&u, NULL, small, 12 + 1 + 1 + 42 + 1 + 1, &e) == EHR_EFAIL,
	      "one short is not");

	u.chain_id = 0;
	CHECK(grant_uri_format(&u, NULL, out, sizeof(out), &e) == EHR_EUSAGE, "chain id 0");
	u.chain_id = 1;
	u.grant_id = 0;
	CHECK(grant_uri_format(&u, NULL, out, sizeof(out), &e) == EHR_EUSAGE, "grant id 0");
	u.grant_id = 1;
	u.has_key = 1;
	CHECK(grant_uri_format(&u, NULL, out, sizeof(out), &e) == EHR_EUSAGE, "bearer without key");
	u.has_key = 0;
	u.needs_passcode = 1;
	CHECK(grant_uri_format(&u, key, out, sizeof(out), &e) == EHR_EUSAGE, "passcode without key");

	snprintf(s, sizeof(s), "ehr://grant/18446744073709551616/%s/7", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "chain id 2^64 refused");
	snprintf(s, sizeof(s), "ehr://grant/1/%s/18446744073709551616", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "grant id 2^64 refused");
	snprintf(s, sizeof(s), "ehr://grant/1/%s/99999999999999999999", reg_text);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == EHR_EUSAGE, "grant id 10^20-1 refused");
}

/* What a QR scanner or a hurried hand may add, and is still read. */
static void test_allowances(void)
{
	static const char *forms[][2] = {	/* before, after "//grant/5/REG/9#k=KEY" */
		{ "  ehr:", "\n" },
		{ "\r\n\tehr:", "\r\n" },
		{ "QR-Code:ehr:", "\n" },
		{ "EHR:", "" },
		{ "Ehr:", "" },
	};
	uint8_t *back = sodium_malloc(32);
	char s[256];
	grant_uri v;
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		snprintf(s, sizeof(s), "%s//%s/5/%s/9#k=%s%s", forms[i][0], i == 3 ? "GRANT" : "grant",
			 reg_text, key_b64, forms[i][1]);
		memset(back, 0, 32);
		CHECK(grant_uri_parse(s, &v, back, &e) == 0, "form %zu: %s", i, e.msg);
		CHECK(v.chain_id == 5 && v.grant_id == 9 && v.has_key, "form %zu fields", i);
		CHECK_MEM(back, key, 32);
	}
	snprintf(s, sizeof(s), "ehr://grant/5/%s/9", reg_lower);
	CHECK(grant_uri_parse(s, &v, NULL, &e) == 0, "all-lowercase address: %s", e.msg);
	CHECK_MEM(v.registry, registry, 20);
	sodium_free(back);
}

/* Each refused with EHR_EUSAGE and "not an ehr grant URI: ", the key
 * buffer wiped, the fields zeroed and the key never quoted. */
static void refused(const char *s, const char *what)
{
	uint8_t *back = sodium_malloc(32);
	grant_uri v;
	ehr_err e;
	int rc, zero;
	size_t i;

	memset(back, 0xaa, 32);
	memset(&v, 0x55, sizeof(v));
	ehr_err_clear(&e);
	rc = grant_uri_parse(s, &v, back, &e);
	CHECK(rc == EHR_EUSAGE, "%s: want a refusal, got %d (%s)", what, rc, e.msg);
	CHECK(strncmp(e.msg, "not an ehr grant URI: ", 22) == 0, "%s: message '%s'", what, e.msg);
	CHECK(!strstr(e.msg, key_b64) && !strstr(e.msg, "#k="), "%s: the key is quoted", what);
	for (zero = 1, i = 0; i < 32; i++)
		zero &= back[i] == 0;
	CHECK(zero, "%s: key buffer wiped", what);
	CHECK(v.chain_id == 0 && v.grant_id == 0 && !v.has_key && !v.needs_passcode,
	      "%s: fields zeroed", what);
	sodium_free(back);
}

static void refusedf(const char *what, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refusedf(const char *what, const char *fmt, ...)
{
	char s[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	refused(s, what);
}

static void test_refusals(void)
{
	const char *r = reg_text, *k = key_b64;
	char k31[64], k33[64], kstd[64], kpad[64], knoncanon[64];
	uint8_t raw[33];
	grant_uri v;
	ehr_err e;

	refused(NULL, "null");
	refused("", "empty");
	refused(" \n\t ", "white space only");
	refused("QR-Code:", "zbar label alone");
	refusedf("http scheme", "http://grant/1/%s/7%s", r, "");
	refusedf("https viewer prefix", "https://viewer.example/#ehr://grant/1/%s/7%s", r, "");
	refusedf("one slash", "ehr:/grant/1/%s/7%s", r, "");
	refusedf("no slashes", "ehr:grant/1/%s/7%s", r, "");
	refusedf("grants", "ehr://grants/1/%s/7%s", r, "");
	refusedf("other host", "ehr://record/1/%s/7%s", r, "");
	refusedf("zbar label after space", "QR-Code: ehr://grant/1/%s/7%s", r, "");
	refused("ehr://grant", "prefix without slash");
	refused("ehr://grant/", "prefix alone");
	refused("ehr://grant/1", "chain id alone");
	refused("ehr://grant/1/", "no address");
	refusedf("no grant id", "ehr://grant/1/%s%s", r, "");
	refusedf("empty grant id", "ehr://grant/1/%s/%s", r, "");

	refusedf("empty chain id", "ehr://grant//%s/7%s", r, "");
	refusedf("chain id 0", "ehr://grant/0/%s/7%s", r, "");
	refusedf("leading zero chain id", "ehr://grant/031337/%s/7%s", r, "");
	refusedf("negative chain id", "ehr://grant/-1/%s/7%s", r, "");
	refusedf("plus chain id", "ehr://grant/+1/%s/7%s", r, "");
	refusedf("hex chain id", "ehr://grant/0x7a69/%s/7%s", r, "");
	refusedf("chain id with letters", "ehr://grant/1a/%s/7%s", r, "");
	refusedf("chain id with space", "ehr://grant/1 2/%s/7%s", r, "");

	refusedf("wrong EIP-55 checksum", "ehr://grant/1/%s/7%s", reg_badsum, "");
	refused("ehr://grant/1/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAe/7", "41 hex digits");
	refused("ehr://grant/1/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAedd/7", "41 bytes");
	refused("ehr://grant/1/005aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed/7", "no 0x");
	refused("ehr://grant/1/0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeg/7", "non-hex");
	refused("ehr://grant/1/7", "address missing");

	refusedf("grant id 0", "ehr://grant/1/%s/0%s", r, "");
	refusedf("leading zero grant id", "ehr://grant/1/%s/07%s", r, "");
	refusedf("trailing slash", "ehr://grant/1/%s/7/%s", r, "");
	refusedf("extra path", "ehr://grant/1/%s/7/8%s", r, "");
	refusedf("query", "ehr://grant/1/%s/7?k=1%s", r, "");
	refusedf("trailing junk", "ehr://grant/1/%s/7x%s", r, "");
	refusedf("inner space", "ehr://grant/1/%s/7 8%s", r, "");
	refusedf("two lines", "ehr://grant/1/%s/7\nehr://grant/1/0x0/8%s", r, "");

	refusedf("empty fragment", "ehr://grant/1/%s/7#%s", r, "");
	refusedf("k without =", "ehr://grant/1/%s/7#k%s", r, "");
	refusedf("empty key", "ehr://grant/1/%s/7#k=%s", r, "");
	refusedf("unknown item", "ehr://grant/1/%s/7#k=%s&x=1", r, k);
	refusedf("unknown item first", "ehr://grant/1/%s/7#x=1&k=%s", r, k);
	refusedf("upper-case K", "ehr://grant/1/%s/7#K=%s", r, k);
	refusedf("two keys", "ehr://grant/1/%s/7#k=%s&k=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", r, k);
	refusedf("p=2", "ehr://grant/1/%s/7#k=%s&p=2", r, k);
	refusedf("p=", "ehr://grant/1/%s/7#k=%s&p=", r, k);
	refusedf("p=11", "ehr://grant/1/%s/7#k=%s&p=11", r, k);
	refusedf("p twice", "ehr://grant/1/%s/7#k=%s&p=1&p=1", r, k);
	refusedf("p without key", "ehr://grant/1/%s/7#p=1%s", r, "");
	refusedf("trailing &", "ehr://grant/1/%s/7#k=%s&", r, k);
	refusedf("double &", "ehr://grant/1/%s/7#k=%s&&p=1", r, k);
	refusedf("key with trailing junk", "ehr://grant/1/%s/7#k=%sx", r, k);
	refusedf("second fragment", "ehr://grant/1/%s/7#k=%s#k=1", r, k);

	memset(raw, 0x42, sizeof(raw));
	sodium_bin2base64(k31, sizeof(k31), raw, 31, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(k33, sizeof(k33), raw, 33, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_bin2base64(kpad, sizeof(kpad), raw, 32, sodium_base64_VARIANT_URLSAFE);
	CHECK(strlen(k31) == 42 && strlen(k33) == 44 && strlen(kpad) == 44, "lengths");
	refusedf("31-byte key", "ehr://grant/1/%s/7#k=%s", r, k31);
	refusedf("33-byte key", "ehr://grant/1/%s/7#k=%s", r, k33);
	refusedf("padded key", "ehr://grant/1/%s/7#k=%s", r, kpad);
	/* standard base64's '+' and '/' in place of '-' and '_' */
	memset(raw, 0xfb, 32);
	sodium_bin2base64(kstd, sizeof(kstd), raw, 32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	CHECK(strchr(kstd, '+') || strchr(kstd, '/'), "the standard form differs: %s", kstd);
	refusedf("standard base64", "ehr://grant/1/%s/7#k=%s", r, kstd);
	refusedf("key with '.'", "ehr://grant/1/%s/7#k=%s", r,
		 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA.");
	/* the last character's two unused bits set: another spelling of the
	 * zero key, which would make the URI of a key ambiguous */
	strcpy(knoncanon, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB");
	refusedf("non-canonical key", "ehr://grant/1/%s/7#k=%s", r, knoncanon);
	knoncanon[42] = 'D';	/* 000011 */
	refusedf("non-canonical key", "ehr://grant/1/%s/7#k=%s", r, knoncanon);
	knoncanon[42] = 'A';
	{
		char s[256];

		snprintf(s, sizeof(s), "ehr://grant/1/%s/7#k=%s", r, knoncanon);
		CHECK(grant_uri_parse(s, &v, NULL, &e) == 0, "the canonical zero key: %s", e.msg);
	}
}

/* The construction of grant_uri.h, spelled out again with libsodium. */
static void passcode_by_hand(const uint8_t k[32], const char *normalised, uint8_t out[32])
{
	uint8_t salt[16], stretch[32];
	crypto_generichash_state st;

	crypto_generichash(salt, 16, (const uint8_t *)"ehr/v1/grant-passcode-salt", 26, k, 32);
	CHECK(crypto_pwhash(stretch, 32, normalised, strlen(normalised), salt, 3, 256u << 20,
			    crypto_pwhash_ALG_ARGON2ID13) == 0, "argon2id");
	crypto_generichash_init(&st, stretch, 32, 32);
	crypto_generichash_update(&st, (const uint8_t *)"ehr/v1/grant-passcode", 21);
	crypto_generichash_update(&st, k, 32);
	crypto_generichash_final(&st, out, 32);
}

static void test_passcode(void)
{
	uint8_t *a = sodium_malloc(32), *b = sodium_malloc(32), *c = sodium_malloc(32);
	uint8_t *k2 = sodium_malloc(32), want[32];
	uint8_t addr_a[20], addr_c[20];
	ehr_err e;

	CHECK(grant_secret_derive(key, "tulip seven harbour", a, &e) == 0, "%s", e.msg);
	passcode_by_hand(key, "tulip seven harbour", want);
	CHECK_MEM(a, want, 32);
	CHECK(memcmp(a, key, 32) != 0, "the secret is not the key");

	CHECK(grant_secret_derive(key, "  Tulip\tSEVEN   harbour\n", b, &e) == 0, "%s", e.msg);
	CHECK_MEM(b, a, 32);

	CHECK(grant_secret_derive(key, "tulip seven harbor", c, &e) == 0, "%s", e.msg);
	CHECK(memcmp(c, a, 32) != 0, "a wrong passcode gives another secret");
	CHECK(grant_bearer_address(a, addr_a, &e) == 0 && grant_bearer_address(c, addr_c, &e) == 0,
	      "%s", e.msg);
	CHECK(memcmp(addr_a, addr_c, 20) != 0, "and another bearer address");

	memcpy(k2, key, 32);
	k2[31] ^= 1;
	CHECK(grant_secret_derive(k2, "tulip seven harbour", c, &e) == 0, "%s", e.msg);
	CHECK(memcmp(c, a, 32) != 0, "another key, the same passcode: another secret");

	/* non-ASCII bytes are kept as they are */
	CHECK(grant_secret_derive(key, "ÉTÉ", c, &e) == 0, "%s", e.msg);
	passcode_by_hand(key, "\xc3\x89t\xc3\x89", want);
	CHECK_MEM(c, want, 32);

	memset(c, 0x11, 32);
	CHECK(grant_secret_derive(key, " \t\n ", c, &e) == EHR_EUSAGE, "white space only");
	CHECK(strstr(e.msg, "passcode") != NULL, "message: %s", e.msg);
	CHECK(grant_secret_derive(key, "", c, &e) == EHR_EUSAGE, "empty passcode");
	CHECK(grant_secret_derive(key, NULL, c, &e) == EHR_EUSAGE, "no passcode");
	sodium_free(a);
	sodium_free(b);
	sodium_free(c);
	sodium_free(k2);
}

static void test_bearer_keys(void)
{
	uint8_t *secp = sodium_malloc(32), *xsk = sodium_malloc(32), *secp2 = sodium_malloc(32);
	uint8_t *xsk2 = sodium_malloc(32), *secret = sodium_malloc(32), *want = sodium_malloc(32);
	uint8_t xpk[32], xpk2[32], pk[32], addr[20], addr2[20], hash[32], sig[65];
	uint8_t box[crypto_box_SEALBYTES + 5], opened[5];
	ehr_err e;
	int i, valid;

	CHECK(grant_bearer_keys(key, secp, xsk, xpk, &e) == 0, "%s", e.msg);
	CHECK(grant_bearer_keys(key, secp2, xsk2, xpk2, &e) == 0, "%s", e.msg);
	CHECK_MEM(secp, secp2, 32);
	CHECK_MEM(xsk, xsk2, 32);
	CHECK_MEM(xpk, xpk2, 32);
	CHECK(secp256k1_ec_seckey_verify(secp_ctx(), secp) == 1, "a valid secp256k1 key");
	CHECK(memcmp(secp, xsk, 32) != 0 && memcmp(secp, key, 32) != 0 && memcmp(xsk, key, 32) != 0,
	      "three different values");
	crypto_scalarmult_base(pk, xsk);
	CHECK_MEM(pk, xpk, 32);

	/* the construction, by hand */
	crypto_kdf_derive_from_key(want, 32, 1, "ehrgrant", key);
	CHECK_MEM(xsk, want, 32);
	crypto_kdf_derive_from_key(want, 32, 256, "ehrgrant", key);
	CHECK_MEM(secp, want, 32);

	/* the address agrees with wallet/keys/eth.h, and signatures recover to it */
	CHECK(eth_address_from_priv(secp, addr, &e) == 0, "%s", e.msg);
	CHECK(grant_bearer_address(key, addr2, &e) == 0, "%s", e.msg);
	CHECK_MEM(addr, addr2, 20);
	randombytes_buf(hash, 32);
	CHECK(eth_sign_hash(secp, hash, sig, &e) == 0, "%s", e.msg);
	CHECK(eth_recover(hash, sig, addr2, &e) == 0, "%s", e.msg);
	CHECK_MEM(addr, addr2, 20);

	/* a data key sealed to the bearer opens with its secret key */
	CHECK(crypto_box_seal(box, (const uint8_t *)"hello", 5, xpk) == 0, "seal");
	CHECK(crypto_box_seal_open(opened, box, sizeof(box), xpk, xsk) == 0, "open");
	CHECK(memcmp(opened, "hello", 5) == 0, "opened");

	/* outputs may be left out */
	memset(secp2, 0, 32);
	CHECK(grant_bearer_keys(key, secp2, NULL, NULL, &e) == 0, "%s", e.msg);
	CHECK_MEM(secp2, secp, 32);
	memset(xpk2, 0, 32);
	CHECK(grant_bearer_keys(key, NULL, NULL, xpk2, &e) == 0, "%s", e.msg);
	CHECK_MEM(xpk2, xpk, 32);

	/* other secrets: other keys, always valid */
	for (valid = 1, i = 0; i < 200; i++) {
		randombytes_buf(secret, 32);
		if (grant_bearer_keys(secret, secp2, xsk2, xpk2, &e) ||
		    secp256k1_ec_seckey_verify(secp_ctx(), secp2) != 1 ||
		    !memcmp(secp2, secp, 32) || !memcmp(xpk2, xpk, 32))
			valid = 0;
	}
	CHECK(valid, "200 random secrets give valid, distinct keys");
	sodium_free(secp);
	sodium_free(xsk);
	sodium_free(secp2);
	sodium_free(xsk2);
	sodium_free(secret);
	sodium_free(want);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	setup();
	test_format_plain();
	test_format_bearer();
	test_key_alphabet();
	test_patient();
	test_passcode_new();
	test_limits();
	test_allowances();
	test_refusals();
	test_passcode();
	test_bearer_keys();
	sodium_free(key);
	return tap_done();
}
