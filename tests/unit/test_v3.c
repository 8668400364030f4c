/* Web3 Secret Storage v3: the go-ethereum and ethereum/tests vectors, the
 * refusals (wrong password, tampering, malformed and hostile files), round
 * trips, and cross-checks with cast in both directions. */
#include "tap.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>

#include "keystore/v3.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"

static uint8_t *priv;		/* sodium_malloc'd, as callers must */

static char *json_text(const cJSON *j)
{
	return cJSON_PrintUnformatted(j);
}

/* Decrypts text with password; returns the status and leaves e filled. */
static int decrypt(const char *text, const char *password, uint8_t addr[20], ehr_err *e)
{
	ehr_err_clear(e);
	return v3_decrypt(text, strlen(text), password, strlen(password), priv, addr, e);
}

static int is_zero(const uint8_t *p, size_t n)
{
	return sodium_is_zero(p, n);
}

/* A vector's expected key: hex of up to 32 bytes, left-padded with zeros. */
static void expected_priv(const char *hex, uint8_t out[32])
{
	uint8_t raw[32];
	long n = test_unhex(hex, raw, sizeof(raw));

	memset(out, 0, 32);
	CHECK(n > 0, "priv hex %s", hex);
	if (n > 0)
		memcpy(out + 32 - n, raw, (size_t)n);
}

/* Cases shaped { name: { json, password, priv } }. */
static void run_cases(const char *rel)
{
	cJSON *all = vectors_json(rel), *c;
	int count = 0;

	if (!all) {
		printf("skip: %s: test vectors not found\n", rel);
		return;
	}
	cJSON_ArrayForEach(c, all) {
		const char *pw = cJSON_GetObjectItem(c, "password")->valuestring;
		char *text = json_text(cJSON_GetObjectItem(c, "json"));
		uint8_t want[32], addr[20], want_addr[20];
		ehr_err e;
		int rc = decrypt(text, pw, addr, &e);

		CHECK(rc == 0, "%s %s: %s", rel, c->string, e.msg);
		expected_priv(cJSON_GetObjectItem(c, "priv")->valuestring, want);
		CHECK(memcmp(priv, want, 32) == 0, "%s %s: wrong key", rel, c->string);
		if (rc == 0 && eth_address_from_priv(want, want_addr, &e) == 0)
			CHECK_MEM(addr, want_addr, 20);
		cJSON_free(text);
		count++;
	}
	printf("# %s: %d cases\n", rel, count);
	cJSON_Delete(all);
}

static void test_vector_files(void)
{
	SKIP_WITHOUT_VECTORS("v3 vectors");
	/* wiki scrypt (n=2^18 r=1 p=8, past RFC 7914's bound), wiki pbkdf2,
	 * and the 31- and 30-byte keys */
	run_cases("eth/go-ethereum/v3_test_vector.json");
	/* pbkdf2, scrypt, a 16-byte salt, the ff..ff IV, MyCrypto's file */
	run_cases("eth/ethereum-tests/basic_tests.json");
}

/* A file whose "address" must come out of the decryption. */
static void check_file(const char *rel, const char *password, const char *name_addr)
{
	size_t len;
	char *text = vectors_read(rel, &len);
	cJSON *j;
	uint8_t addr[20], want[20];
	ehr_err e;
	int rc;

	CHECK(text != NULL, "cannot read %s", rel);
	if (!text)
		return;
	rc = v3_decrypt(text, len, password, strlen(password), priv, addr, &e);
	CHECK(rc == 0, "%s: %s", rel, rc ? e.msg : "");
	j = cJSON_Parse(text);
	CHECK(j && hex_decode_exact(cJSON_GetObjectItem(j, "address")->valuestring, want, 20) == 0,
	      "%s: address field", rel);
	CHECK(memcmp(addr, want, 20) == 0, "%s: address differs from the file's", rel);
	if (name_addr) {
		CHECK(hex_decode_exact(name_addr, want, 20) == 0, "name");
		CHECK(memcmp(addr, want, 20) == 0, "%s: address differs from the file name", rel);
	}
	CHECK(!is_zero(priv, 32), "%s: key", rel);
	cJSON_Delete(j);
	free(text);
}

static void test_geth_keystore(void)
{
	static const char dir[] = "eth/go-ethereum/keystore/";
	char rel[256], *text, *aaa;
	uint8_t addr[20], aaa_addr[20], aaa_priv[32];
	ehr_err e;
	int rc;

	SKIP_WITHOUT_VECTORS("geth keystore files");
	check_file("eth/go-ethereum/very-light-scrypt.json", "", NULL);
	check_file("eth/go-ethereum/keystore/aaa", "foobar", NULL);
	memcpy(aaa_priv, priv, 32);
	check_file("eth/go-ethereum/keystore/zzz", "foobar", NULL);
	check_file("eth/go-ethereum/keystore/UTC--2016-03-22T12-57-55.920751759Z--7ef5a6135f1fd6a02593eedc869c6d41d934aef8",
		   "foobar", "7ef5a6135f1fd6a02593eedc869c6d41d934aef8");
	check_file("eth/go-ethereum/keystore/foo/fd9bd350f08ee3c0c19b85a8e16114a11a60aa4e",
		   "foobar", "fd9bd350f08ee3c0c19b85a8e16114a11a60aa4e");

	aaa = vectors_read("eth/go-ethereum/keystore/aaa", NULL);
	CHECK(aaa && decrypt(aaa, "foobar", aaa_addr, &e) == 0, "aaa");

	/* zero: aaa's ciphertext under an address of 0: the key decrypts but
	 * is not that address's */
	snprintf(rel, sizeof(rel), "%szero", dir);
	text = vectors_read(rel, NULL);
	CHECK(text != NULL, "zero");
	rc = text ? decrypt(text, "foobar", addr, &e) : -1;
	CHECK(rc == EHR_EINTEGRITY, "zero: rc %d %s", rc, e.msg);
	CHECK(strstr(e.msg, "does not match") != NULL, "zero: %s", e.msg);
	CHECK(is_zero(priv, 32), "zero: key left behind on failure");
	free(text);

	/* no-address: the same without the field: accepted */
	snprintf(rel, sizeof(rel), "%sno-address", dir);
	text = vectors_read(rel, NULL);
	rc = text ? decrypt(text, "foobar", addr, &e) : -1;
	CHECK(rc == 0, "no-address: %s", e.msg);
	CHECK(memcmp(priv, aaa_priv, 32) == 0, "no-address: key differs from aaa");
	CHECK(memcmp(addr, aaa_addr, 20) == 0, "no-address: address differs from aaa");
	free(text);
	free(aaa);
	sodium_memzero(aaa_priv, sizeof(aaa_priv));
}

/* ---- refusals, on files made from a template ---- */

/* A valid light file: aaa from the vectors, else one written here. */
static cJSON *template_file(void)
{
	v3_params light = { .kdf = V3_KDF_SCRYPT, .n = 8, .r = 8, .p = 16 };
	char *text = vectors_read("eth/go-ethereum/keystore/aaa", NULL);
	cJSON *j;
	ehr_err e;

	if (!text) {
		uint8_t key[32];

		memset(key, 0x42, sizeof(key));
		CHECK(v3_encrypt(key, "foobar", 6, &light, &text, &e) == 0, "template: %s", e.msg);
	}
	j = cJSON_Parse(text);
	free(text);
	return j;
}

static cJSON *crypto_of(cJSON *j)
{
	return cJSON_GetObjectItem(j, "crypto");
}

static cJSON *kdfparams_of(cJSON *j)
{
	return cJSON_GetObjectItem(crypto_of(j), "kdfparams");
}

static void set_string(cJSON *obj, const char *name, const char *value)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, name))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateString(value));
	else
		cJSON_AddStringToObject(obj, name, value);
}

static void set_number(cJSON *obj, const char *name, double value)
{
	if (cJSON_GetObjectItemCaseSensitive(obj, name))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, name, cJSON_CreateNumber(value));
	else
		cJSON_AddNumberToObject(obj, name, value);
}

/* Expects status want and a message containing needle; the key stays zero. */
static void expect_refusal(cJSON *j, int want, const char *needle, const char *what)
{
	char *text = json_text(j);
	uint8_t addr[20];
	ehr_err e;
	int rc;

	memset(priv, 0xaa, 32);
	rc = decrypt(text, "foobar", addr, &e);
	CHECK(rc == want, "%s: rc %d (want %d): %s", what, rc, want, e.msg);
	CHECK(strstr(e.msg, needle) != NULL, "%s: message '%s' lacks '%s'", what, e.msg, needle);
	CHECK(is_zero(priv, 32), "%s: key not cleared", what);
	cJSON_free(text);
	cJSON_Delete(j);
}

/* Flips one bit of a hex field's first byte. */
static void flip_hex(cJSON *obj, const char *name)
{
	char *s = strdup(cJSON_GetObjectItem(obj, name)->valuestring);

	s[1] = s[1] == '0' ? '1' : '0';
	set_string(obj, name, s);
	free(s);
}

static void test_wrong_password_and_tampering(void)
{
	cJSON *j = template_file();
	char *text = json_text(j);
	uint8_t addr[20];
	ehr_err e;
	int rc;

	CHECK(decrypt(text, "foobar", addr, &e) == 0, "template: %s", e.msg);
	memset(priv, 0xaa, 32);
	rc = decrypt(text, "foobaz", addr, &e);
	CHECK(rc == EHR_EAUTH, "wrong password: rc %d %s", rc, e.msg);
	CHECK_STR(e.msg, "wrong password (MAC mismatch)");
	CHECK(is_zero(priv, 32), "wrong password: key not cleared");
	rc = decrypt(text, "", addr, &e);
	CHECK(rc == EHR_EAUTH, "empty password: rc %d", rc);
	/* the password is bytes with a length: a prefix is a different password */
	rc = v3_decrypt(text, strlen(text), "foobarx", 6, priv, addr, &e);
	CHECK(rc == 0, "password by length: %s", e.msg);
	rc = v3_decrypt(text, strlen(text), "foobar", 5, priv, addr, &e);
	CHECK(rc == EHR_EAUTH, "password prefix: rc %d", rc);
	cJSON_free(text);
	cJSON_Delete(j);

	j = template_file();
	flip_hex(crypto_of(j), "ciphertext");
	expect_refusal(j, EHR_EAUTH, "MAC mismatch", "flipped ciphertext byte");
	j = template_file();
	flip_hex(crypto_of(j), "mac");
	expect_refusal(j, EHR_EAUTH, "MAC mismatch", "flipped mac byte");
	j = template_file();
	/* The IV is outside the MAC: another IV passes it and decrypts to
	 * another key, which the "address" field then catches. */
	flip_hex(cJSON_GetObjectItem(crypto_of(j), "cipherparams"), "iv");
	expect_refusal(j, EHR_EINTEGRITY, "does not match", "flipped iv byte");
	j = template_file();
	flip_hex(kdfparams_of(j), "salt");
	expect_refusal(j, EHR_EAUTH, "MAC mismatch", "flipped salt byte");
}

static void expect_text_refused(const char *text, size_t len, int want, const char *needle)
{
	uint8_t addr[20];
	ehr_err e;
	int rc;

	ehr_err_clear(&e);
	rc = v3_decrypt(text, len, "foobar", 6, priv, addr, &e);
	CHECK(rc == want, "'%.40s': rc %d (want %d): %s", text, rc, want, e.msg);
	CHECK(strstr(e.msg, needle) != NULL, "'%.40s': message '%s' lacks '%s'", text, e.msg, needle);
}

static void refuse_str(const char *text, int want, const char *needle)
{
	expect_text_refused(text, strlen(text), want, needle);
}

static void test_malformed(void)
{
	cJSON *j, *c;
	char *text, *big;
	size_t n;

	refuse_str("", EHR_EINTEGRITY, "not valid JSON");
	refuse_str("{", EHR_EINTEGRITY, "not valid JSON");
	refuse_str("garbage", EHR_EINTEGRITY, "not valid JSON");
	refuse_str("[3]", EHR_EINTEGRITY, "not a JSON object");
	refuse_str("{}", EHR_EINTEGRITY, "missing \"version\"");
	refuse_str("{\"version\":3}", EHR_EINTEGRITY, "missing \"crypto\"");
	refuse_str("{\"version\":\"3\"}", EHR_EINTEGRITY, "\"version\" is not a number");
	refuse_str("{\"version\":1,\"Crypto\":{}}", EHR_EUSAGE, "version 1");
	refuse_str("{\"version\":3,\"crypto\":[]}", EHR_EINTEGRITY, "\"crypto\" is not an object");

	/* the length is honoured: a valid file cut short is not JSON */
	j = template_file();
	text = json_text(j);
	expect_text_refused(text, strlen(text) - 1, EHR_EINTEGRITY, "not valid JSON");
	n = strlen(text);
	big = malloc(n + 8);
	memcpy(big, text, n);
	memcpy(big + n, " \n\t{}", 6);
	expect_text_refused(big, n + 5, EHR_EINTEGRITY, "text after the JSON");
	expect_text_refused(big, n + 3, 0, "");	/* trailing white space is fine */
	free(big);
	cJSON_free(text);
	cJSON_Delete(j);

	big = malloc(V3_JSON_MAX + 2);
	memset(big, ' ', V3_JSON_MAX + 1);
	big[V3_JSON_MAX + 1] = '\0';
	expect_text_refused(big, V3_JSON_MAX + 1, EHR_EUSAGE, "too large");
	free(big);

	/* "Crypto" (MyEtherWallet) is accepted; both spellings are not */
	j = template_file();
	c = cJSON_DetachItemFromObjectCaseSensitive(j, "crypto");
	cJSON_AddItemToObject(j, "Crypto", c);
	text = json_text(j);
	{
		uint8_t a[20];
		ehr_err e;
		CHECK(decrypt(text, "foobar", a, &e) == 0, "Crypto: %s", e.msg);
	}
	cJSON_AddItemToObject(j, "crypto", cJSON_Duplicate(c, 1));
	expect_refusal(j, EHR_EINTEGRITY, "both", "crypto and Crypto");
	cJSON_free(text);

#define EDIT(stmt, want, needle) do { j = template_file(); stmt; \
	expect_refusal(j, want, needle, #stmt); } while (0)
	EDIT(set_number(j, "version", 4), EHR_EUSAGE, "unsupported keystore version 4");
	EDIT(cJSON_DeleteItemFromObject(j, "version"), EHR_EINTEGRITY, "missing \"version\"");
	EDIT(set_string(crypto_of(j), "cipher", "aes-128-cbc"), EHR_EUSAGE, "unsupported cipher \"aes-128-cbc\"");
	EDIT(set_string(crypto_of(j), "cipher", "\x1b[2J"), EHR_EUSAGE, "\"?[2J\"");
	EDIT(cJSON_DeleteItemFromObject(crypto_of(j), "cipher"), EHR_EINTEGRITY, "missing \"cipher\"");
	EDIT(cJSON_DeleteItemFromObject(crypto_of(j), "cipherparams"), EHR_EINTEGRITY, "missing \"cipherparams\"");
	EDIT(set_string(cJSON_GetObjectItem(crypto_of(j), "cipherparams"), "iv", "00112233"),
	     EHR_EINTEGRITY, "\"iv\" is 4 bytes, want 16");
	EDIT(set_string(cJSON_GetObjectItem(crypto_of(j), "cipherparams"), "iv", "zz"),
	     EHR_EINTEGRITY, "\"iv\" is not hex");
	EDIT(set_string(crypto_of(j), "ciphertext", ""), EHR_EINTEGRITY, "\"ciphertext\" is 0 bytes");
	EDIT(set_string(crypto_of(j), "ciphertext",
			"000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f00"),
	     EHR_EINTEGRITY, "\"ciphertext\" is not hex of at most 32 bytes");
	EDIT(set_string(crypto_of(j), "ciphertext", "abc"), EHR_EINTEGRITY, "\"ciphertext\" is not hex");
	EDIT(cJSON_DeleteItemFromObject(crypto_of(j), "mac"), EHR_EINTEGRITY, "missing \"mac\"");
	EDIT(set_string(crypto_of(j), "mac", "00"), EHR_EINTEGRITY, "\"mac\" is 1 bytes, want 32");
	EDIT(set_number(crypto_of(j), "mac", 1), EHR_EINTEGRITY, "\"mac\" is not a string");
	EDIT(set_string(crypto_of(j), "kdf", "argon2id"), EHR_EUSAGE, "unsupported kdf \"argon2id\"");
	EDIT(cJSON_DeleteItemFromObject(crypto_of(j), "kdfparams"), EHR_EINTEGRITY, "missing \"kdfparams\"");
	EDIT(cJSON_DeleteItemFromObject(kdfparams_of(j), "salt"), EHR_EINTEGRITY, "missing \"salt\"");
	EDIT(set_string(kdfparams_of(j), "salt", ""), EHR_EINTEGRITY, "\"salt\" is 0 bytes");
	EDIT(cJSON_DeleteItemFromObject(kdfparams_of(j), "n"), EHR_EINTEGRITY, "missing \"n\"");
	EDIT(set_string(kdfparams_of(j), "n", "8"), EHR_EINTEGRITY, "\"n\" is not a non-negative integer");
	EDIT(set_number(kdfparams_of(j), "n", 8.5), EHR_EINTEGRITY, "\"n\" is not a non-negative integer");
	EDIT(set_number(kdfparams_of(j), "r", -1), EHR_EINTEGRITY, "\"r\" is not a non-negative integer");
	EDIT(set_number(kdfparams_of(j), "dklen", 64), EHR_EUSAGE, "unsupported dklen 64");
	EDIT(set_number(kdfparams_of(j), "dklen", 16), EHR_EUSAGE, "unsupported dklen 16");
	EDIT(set_string(j, "address", "f466859ead1932d743d622cb74fc058882e864"),
	     EHR_EINTEGRITY, "\"address\" is 19 bytes, want 20");
	EDIT(set_number(j, "address", 0), EHR_EINTEGRITY, "\"address\" is not a string");
	EDIT(set_string(kdfparams_of(j), "prf", "x"); set_string(crypto_of(j), "kdf", "pbkdf2"),
	     EHR_EUSAGE, "unsupported pbkdf2 prf \"x\"");
	EDIT(set_string(crypto_of(j), "kdf", "pbkdf2"), EHR_EINTEGRITY, "missing \"prf\"");
#undef EDIT
}

/* Hostile parameters are refused before any work; were they not, these
 * would take gigabytes or hours, which the test run would show. */
static void test_hostile_params(void)
{
	static const struct {
		double n, r, p;
		const char *needle;
	} scrypt[] = {
		{ 1073741824.0, 8, 1, "memory" },		/* 1 TiB */
		{ 2097152.0, 8, 1, "memory" },			/* 2 GiB: past the 1 GiB cap */
		{ 8388608.0, 1, 3, "too costly" },		/* 1 GiB table, 3 * 2^23 work */
		{ 1048576.0, 8, 1000, "too costly" },
		{ 2.0, 1, 1000000000.0, "too costly" },		/* tiny table, huge blocks */
		{ 2.0, 4294967295.0, 1, "memory" },
		{ 2.0, 1, 4294967296.0, "too large" },
		{ 3.0, 8, 1, "not a power of two" },
		{ 0.0, 8, 1, "not a power of two" },
		{ 1.0, 8, 1, "not a power of two" },
		{ 8.0, 0, 1, "at least 1" },
		{ 8.0, 8, 0, "at least 1" },
	};
	static const double pbkdf2[] = { 0.0, 10000001.0, 2147483648.0, 1e15 };
	size_t i;
	cJSON *j;

	for (i = 0; i < sizeof(scrypt) / sizeof(scrypt[0]); i++) {
		char what[96];

		j = template_file();
		set_number(kdfparams_of(j), "n", scrypt[i].n);
		set_number(kdfparams_of(j), "r", scrypt[i].r);
		set_number(kdfparams_of(j), "p", scrypt[i].p);
		snprintf(what, sizeof(what), "scrypt n=%.0f r=%.0f p=%.0f", scrypt[i].n, scrypt[i].r, scrypt[i].p);
		expect_refusal(j, EHR_EUSAGE, scrypt[i].needle, what);
	}
	j = template_file();
	set_number(kdfparams_of(j), "n", 1e300);
	expect_refusal(j, EHR_EINTEGRITY, "\"n\" is not a non-negative integer", "n=1e300");

	for (i = 0; i < sizeof(pbkdf2) / sizeof(pbkdf2[0]); i++) {
		char what[64];

		j = template_file();
		set_string(crypto_of(j), "kdf", "pbkdf2");
		cJSON_AddStringToObject(kdfparams_of(j), "prf", "hmac-sha256");
		set_number(kdfparams_of(j), "c", pbkdf2[i]);
		snprintf(what, sizeof(what), "pbkdf2 c=%.0f", pbkdf2[i]);
		expect_refusal(j, EHR_EUSAGE, "refusing", what);
	}
}

/* ---- writing ---- */

static int is_uuid_v4(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return 0;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!strchr("0123456789abcdef", s[i])) {
			return 0;
		}
	}
	return s[14] == '4' && strchr("89ab", s[19]) != NULL;
}

/* Encrypts key under p, checks the layout, decrypts it back. Returns the
 * file (caller frees) or NULL. */
static char *round_trip(const uint8_t key[32], const char *pw, size_t pw_len, const v3_params *p,
			const char *what)
{
	char *text = NULL, addr_hex[41];
	uint8_t addr[20], want_addr[20];
	cJSON *j, *kp;
	ehr_err e;
	int rc;

	rc = v3_encrypt(key, pw, pw_len, p, &text, &e);
	CHECK(rc == 0 && text, "%s: encrypt: %s", what, e.msg);
	if (rc)
		return NULL;
	CHECK(eth_address_from_priv(key, want_addr, &e) == 0, "%s: address", what);

	j = cJSON_Parse(text);
	CHECK(j != NULL, "%s: output is not JSON", what);
	CHECK(cJSON_GetObjectItem(j, "version")->valuedouble == 3, "%s: version", what);
	hex_encode(want_addr, 20, addr_hex);
	CHECK_STR(cJSON_GetObjectItem(j, "address")->valuestring, addr_hex);
	CHECK(is_uuid_v4(cJSON_GetObjectItem(j, "id")->valuestring), "%s: id %s", what,
	      cJSON_GetObjectItem(j, "id")->valuestring);
	CHECK_STR(cJSON_GetObjectItem(crypto_of(j), "cipher")->valuestring, "aes-128-ctr");
	CHECK(strlen(cJSON_GetObjectItem(crypto_of(j), "ciphertext")->valuestring) == 64, "%s: ct", what);
	kp = kdfparams_of(j);
	CHECK(strlen(cJSON_GetObjectItem(kp, "salt")->valuestring) == 64, "%s: salt", what);
	CHECK(cJSON_GetObjectItem(kp, "dklen")->valuedouble == 32, "%s: dklen", what);
	if (!p || p->kdf == V3_KDF_SCRYPT) {
		CHECK_STR(cJSON_GetObjectItem(crypto_of(j), "kdf")->valuestring, "scrypt");
		CHECK(cJSON_GetObjectItem(kp, "n")->valuedouble == (p ? (double)p->n : 262144), "%s: n", what);
		CHECK(cJSON_GetObjectItem(kp, "r")->valuedouble == (p ? p->r : 8), "%s: r", what);
		CHECK(cJSON_GetObjectItem(kp, "p")->valuedouble == (p ? p->p : 1), "%s: p", what);
	} else {
		CHECK_STR(cJSON_GetObjectItem(crypto_of(j), "kdf")->valuestring, "pbkdf2");
		CHECK_STR(cJSON_GetObjectItem(kp, "prf")->valuestring, "hmac-sha256");
		CHECK(cJSON_GetObjectItem(kp, "c")->valuedouble == p->c, "%s: c", what);
	}
	cJSON_Delete(j);

	memset(priv, 0, 32);
	rc = v3_decrypt(text, strlen(text), pw, pw_len, priv, addr, &e);
	CHECK(rc == 0, "%s: decrypt: %s", what, e.msg);
	CHECK(memcmp(priv, key, 32) == 0, "%s: key differs after the round trip", what);
	CHECK(memcmp(addr, want_addr, 20) == 0, "%s: address differs", what);
	return text;
}

static void random_key(uint8_t key[32])
{
	ehr_err e;
	uint8_t addr[20];

	do
		randombytes_buf(key, 32);
	while (eth_address_from_priv(key, addr, &e) != 0);
}

static void test_round_trip(void)
{
	v3_params scrypt = { .kdf = V3_KDF_SCRYPT, .n = 1024, .r = 8, .p = 1 };
	v3_params odd = { .kdf = V3_KDF_SCRYPT, .n = 16, .r = 1, .p = 8 };
	v3_params pbkdf2 = { .kdf = V3_KDF_PBKDF2, .c = 1000 };
	uint8_t *key = sodium_malloc(32), addr[20];
	char *a, *b, *text;
	cJSON *ja, *jb;
	ehr_err e;
	int rc;

	random_key(key);
	a = round_trip(key, "correct horse", 13, &scrypt, "scrypt");
	b = round_trip(key, "correct horse", 13, &scrypt, "scrypt again");
	ja = a ? cJSON_Parse(a) : NULL;
	jb = b ? cJSON_Parse(b) : NULL;
	CHECK(ja && jb, "round trips");
	if (ja && jb) {
		CHECK(strcmp(cJSON_GetObjectItem(kdfparams_of(ja), "salt")->valuestring,
			     cJSON_GetObjectItem(kdfparams_of(jb), "salt")->valuestring) != 0, "salt reused");
		CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(crypto_of(ja), "cipherparams"), "iv")->valuestring,
			     cJSON_GetObjectItem(cJSON_GetObjectItem(crypto_of(jb), "cipherparams"), "iv")->valuestring) != 0,
		      "iv reused");
		CHECK(strcmp(cJSON_GetObjectItem(ja, "id")->valuestring,
			     cJSON_GetObjectItem(jb, "id")->valuestring) != 0, "id reused");
		CHECK(strcmp(cJSON_GetObjectItem(crypto_of(ja), "ciphertext")->valuestring,
			     cJSON_GetObjectItem(crypto_of(jb), "ciphertext")->valuestring) != 0, "ciphertext repeated");
	}
	if (a) {
		rc = v3_decrypt(a, strlen(a), "correct horsf", 13, priv, addr, &e);
		CHECK(rc == EHR_EAUTH, "round trip, wrong password: rc %d", rc);
	}
	cJSON_Delete(ja);
	cJSON_Delete(jb);
	free(a);
	free(b);

	free(round_trip(key, "pw", 2, &pbkdf2, "pbkdf2"));
	free(round_trip(key, "pw", 2, &odd, "scrypt r=1 p=8"));
	free(round_trip(key, NULL, 0, &scrypt, "empty password"));
	/* a password is bytes: NULs and non-ASCII included */
	text = round_trip(key, "a\0b\xc3\xa9", 5, &scrypt, "binary password");
	if (text) {
		rc = v3_decrypt(text, strlen(text), "a", 1, priv, addr, &e);
		CHECK(rc == EHR_EAUTH, "password cut at its NUL: rc %d", rc);
	}
	free(text);

	/* keys with leading zero bytes keep all 32 bytes */
	memset(key, 0, 32);
	key[31] = 1;
	free(round_trip(key, "pw", 2, &scrypt, "key 1"));

	/* geth's standard parameters (256 MiB) */
	random_key(key);
	free(round_trip(key, "test", 4, NULL, "standard scrypt"));

	/* refusals */
	memset(key, 0, 32);
	text = (char *)1;
	rc = v3_encrypt(key, "pw", 2, &scrypt, &text, &e);
	CHECK(rc == EHR_EUSAGE && text == NULL, "zero key: rc %d", rc);
	memset(key, 0xff, 32);
	rc = v3_encrypt(key, "pw", 2, &scrypt, &text, &e);
	CHECK(rc == EHR_EUSAGE && text == NULL, "key above the order: rc %d", rc);
	random_key(key);
	{
		v3_params bad[] = {
			{ .kdf = V3_KDF_SCRYPT, .n = 1000, .r = 8, .p = 1 },
			{ .kdf = V3_KDF_SCRYPT, .n = 1ULL << 21, .r = 8, .p = 1 },
			{ .kdf = V3_KDF_SCRYPT, .n = 1ULL << 20, .r = 8, .p = 4 },
			{ .kdf = V3_KDF_PBKDF2, .c = 0 },
			{ .kdf = V3_KDF_PBKDF2, .c = V3_PBKDF2_MAX_C + 1 },
			{ .kdf = (enum v3_kdf)7 },
		};
		size_t i;

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			rc = v3_encrypt(key, "pw", 2, &bad[i], &text, &e);
			CHECK(rc == EHR_EUSAGE && text == NULL, "bad params %zu: rc %d", i, rc);
		}
		/* the smallest cost is allowed */
		rc = v3_encrypt(key, "pw", 2,
				&(v3_params){ .kdf = V3_KDF_PBKDF2, .c = 1 }, &text, &e);
		CHECK(rc == 0, "pbkdf2 c=1: %s", e.msg);
		free(text);
	}
	sodium_free(key);
}

/* ---- cast, an independent implementation ---- */

static const char *cast_path(void)
{
	static char path[4096];
	const char *tools = getenv("EHR_TOOLS");

	if (tools && *tools) {
		snprintf(path, sizeof(path), "%s/cast", tools);
		if (access(path, X_OK) == 0)
			return path;
	}
	snprintf(path, sizeof(path), "tests/node_modules/.bin/cast");
	return access(path, X_OK) == 0 ? path : NULL;
}

/* Runs cmd through the shell and captures its output; returns the exit status. */
static int run(const char *cmd, char *out, size_t cap)
{
	FILE *f = popen(cmd, "r");
	size_t n = 0, got;
	int st;

	out[0] = '\0';
	if (!f)
		return -1;
	while (n + 1 < cap && (got = fread(out + n, 1, cap - 1 - n, f)) > 0)
		n += got;
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(text, f) >= 0;
	return (fclose(f) == 0 && ok) ? 0 : -1;
}

/* The key `cast wallet decrypt-keystore` finds in dir/name (test password). */
static int cast_decrypt(const char *cast, const char *dir, const char *name, uint8_t key[32])
{
	char cmd[8192], out[4096], *hex;
	int rc;

	snprintf(cmd, sizeof(cmd), "'%s' wallet decrypt-keystore '%s' -k '%s' --unsafe-password test 2>&1",
		 cast, name, dir);
	rc = run(cmd, out, sizeof(out));
	hex = strstr(out, "private key is: 0x");
	if (rc != 0 || !hex || strlen(hex) < strlen("private key is: ") + 66) {
		fprintf(stderr, "cast decrypt-keystore %s: exit %d: %s\n", name, rc, out);
		return -1;
	}
	hex += strlen("private key is: ");
	hex[66] = '\0';
	rc = test_unhex(hex, key, 32) == 32 ? 0 : -1;
	sodium_memzero(out, sizeof(out));
	return rc;
}

static void test_cast(void)
{
	const char *cast = cast_path();
	v3_params scrypt = { .kdf = V3_KDF_SCRYPT, .n = 4096, .r = 8, .p = 1 };
	v3_params pbkdf2 = { .kdf = V3_KDF_PBKDF2, .c = 4096 };
	static const char *const names[] = { "ehr-scrypt", "ehr-pbkdf2", "ehr-standard",
					     "cast-new", "cast-import" };
	char dir[] = "/tmp/ehr-test-v3-XXXXXX";
	char path[256], cmd[8192], out[4096], *text, *line;
	uint8_t *key = sodium_malloc(32), *back = sodium_malloc(32), addr[20];
	char want[43], keyhex[67];
	ehr_err e;
	size_t i;
	int rc;

	if (!cast) {
		printf("skip: cast cross-checks: cast not found (run make deps)\n");
		goto done;
	}
	if (!mkdtemp(dir)) {
		CHECK(0, "mkdtemp: %s", strerror(errno));
		goto done;
	}

	/* files written here, read by cast */
	for (i = 0; i < 3; i++) {
		const v3_params *p = i == 0 ? &scrypt : i == 1 ? &pbkdf2 : NULL;

		random_key(key);
		rc = v3_encrypt(key, "test", 4, p, &text, &e);
		CHECK(rc == 0, "%s: %s", names[i], e.msg);
		if (rc)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		CHECK(write_file(path, text) == 0, "write %s", path);
		memset(back, 0, 32);
		CHECK(cast_decrypt(cast, dir, names[i], back) == 0, "cast reads %s", names[i]);
		CHECK(memcmp(back, key, 32) == 0, "cast finds another key in %s", names[i]);
		free(text);
	}

	/* a file cast wrote, read here: key and address agree with cast's */
	snprintf(cmd, sizeof(cmd), "'%s' wallet new '%s' cast-new --unsafe-password test 2>&1", cast, dir);
	rc = run(cmd, out, sizeof(out));
	line = strstr(out, "Address:");
	CHECK(rc == 0 && line, "cast wallet new: exit %d: %s", rc, out);
	snprintf(path, sizeof(path), "%s/cast-new", dir);
	{
		FILE *f = fopen(path, "r");
		char buf[4096];
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		rc = v3_decrypt(buf, n, "test", 4, priv, addr, &e);
		CHECK(rc == 0, "cast-new: %s", e.msg);
		eip55_format(addr, want);
		CHECK(line && strstr(line, want) != NULL, "cast says %s, we derive %s", line ? line : "", want);
		CHECK(cast_decrypt(cast, dir, "cast-new", back) == 0, "cast reads cast-new");
		CHECK(memcmp(back, priv, 32) == 0, "cast-new: cast and ehr decrypt different keys");
	}

	/* a key imported by cast */
	random_key(key);
	hex_encode0x(key, 32, keyhex);
	snprintf(cmd, sizeof(cmd),
		 "'%s' wallet import cast-import --private-key %s -k '%s' --unsafe-password test 2>&1",
		 cast, keyhex, dir);
	rc = run(cmd, out, sizeof(out));
	CHECK(rc == 0, "cast wallet import: exit %d: %s", rc, out);
	sodium_memzero(keyhex, sizeof(keyhex));
	snprintf(path, sizeof(path), "%s/cast-import", dir);
	{
		FILE *f = fopen(path, "r");
		char buf[4096];
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = '\0';
		rc = v3_decrypt(buf, n, "test", 4, priv, addr, &e);
		CHECK(rc == 0, "cast-import: %s", e.msg);
		CHECK(memcmp(priv, key, 32) == 0, "cast-import: another key");
		rc = v3_decrypt(buf, n, "tesT", 4, priv, addr, &e);
		CHECK(rc == EHR_EAUTH, "cast-import, wrong password: rc %d", rc);
	}

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
	}
	CHECK(rmdir(dir) == 0, "rmdir %s: %s (stray files?)", dir, strerror(errno));
done:
	sodium_free(key);
	sodium_free(back);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	priv = sodium_malloc(32);
	test_vector_files();
	test_geth_keystore();
	test_wrong_password_and_tampering();
	test_malformed();
	test_hostile_params();
	test_round_trip();
	test_cast();
	sodium_free(priv);
	return tap_done();
}
