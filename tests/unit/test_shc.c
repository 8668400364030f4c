/* SMART Health Cards (wallet/vault/shc.h): QR text, chunks, files, keyrings
 * and card verification against ../shared/vectors/shc. */
#include "tap.h"

#include <sodium.h>
#include <unistd.h>

#include "wallet/vault/shc.h"

#define EXAMPLE_ISS "https://spec.smarthealth.cards/examples/issuer"

static char tmpdir[] = "/tmp/test_shc.XXXXXX";

/* Writes text to a file in tmpdir; its path in a static buffer. */
static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
	return path;
}

/* The QR text of a vector file, trimmed. */
static char *qr_text(const char *rel)
{
	char *s = vectors_read(rel, NULL);
	size_t n = s ? strlen(s) : 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

static void test_qr_errors(void)
{
	static const struct { const char *text, *why; } bad[] = {
		{ "shc:/123", "an odd number of digits" },
		{ "shc:/", "no digits" },
		{ "shc:/7800", "a pair of digits above 77" },
		{ "shc:/12ab", "a character other than a digit" },
		{ "http://x", "it does not start with shc:/" },
		{ "shc:/0/2/1234", "a chunk is shc:/C/N/DIGITS, C from 1 to N, N at most 64" },
		{ "shc:/3/2/1234", "a chunk is shc:/C/N/DIGITS, C from 1 to N, N at most 64" },
		{ "shc:/1/65/1234", "a chunk is shc:/C/N/DIGITS, C from 1 to N, N at most 64" },
		{ "shc:/1//1234", "a chunk is shc:/C/N/DIGITS, C from 1 to N, N at most 64" },
	};
	shc_qr_set set;
	bool done;
	char *jws;
	size_t i;
	ehr_err e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char want[200];

		memset(&set, 0, sizeof(set));
		snprintf(want, sizeof(want), "not SMART Health Card QR text: %s", bad[i].why);
		CHECK(shc_qr_add(&set, bad[i].text, &done, &e) == EHR_EUSAGE && !done, "%s refused", bad[i].text);
		CHECK_STR(e.msg, want);
		shc_qr_set_free(&set);
	}
	memset(&set, 0, sizeof(set));
	CHECK(shc_qr_add(&set, "shc:/1/3/0001", &done, &e) == 0 && !done, "chunk 1 of 3");
	CHECK(shc_qr_add(&set, "shc:/1/3/0001", &done, &e) == EHR_EUSAGE, "the same chunk twice");
	CHECK(shc_qr_add(&set, "shc:/2/2/0001", &done, &e) == EHR_EUSAGE, "a chunk of another count");
	CHECK(shc_qr_join(&set, &jws, &e) == EHR_EUSAGE && !jws, "missing chunks");
	CHECK(shc_qr_add(&set, " SHC:/2/3/5051\n", &done, &e) == 0 && !done, "capitals and space around");
	CHECK(shc_qr_add(&set, "shc:/3/3/7677", &done, &e) == 0 && done, "complete");
	CHECK(shc_qr_join(&set, &jws, &e) == 0, "joins");
	CHECK_STR(jws, "-._`yz");
	CHECK(set.total == 0, "the set is empty again");
	free(jws);
	CHECK(shc_is_qr_text("  shc:/56") && shc_is_qr_text("SHC:/1/2/56") && !shc_is_qr_text("shlink:/x"),
	      "shc_is_qr_text");
}

static void test_qr_vectors(void)
{
	char *one = qr_text("shc/example-00-f-qr-code-numeric-value-0.txt");
	char *want0 = vectors_read("shc/example-00-d-jws.txt", NULL);
	char *want2 = vectors_read("shc/example-02-d-jws.txt", NULL);
	char *chunk[3];
	static const int orders[3][3] = { { 0, 1, 2 }, { 2, 0, 1 }, { 1, 2, 0 } };
	shc_qr_set set;
	bool done;
	char *jws = NULL;
	int i, k;
	ehr_err e;

	for (i = 0; i < 3; i++) {
		char rel[100];

		snprintf(rel, sizeof(rel), "shc/example-02-f-qr-code-numeric-value-%d.txt", i);
		chunk[i] = qr_text(rel);
	}
	memset(&set, 0, sizeof(set));
	CHECK(shc_qr_add(&set, one, &done, &e) == 0 && done, "one QR code is a whole card");
	CHECK(shc_qr_join(&set, &jws, &e) == 0 && jws && !strcmp(jws, want0),
	      "example-00's QR digits decode to its JWS");
	free(jws);
	for (k = 0; k < 3; k++) {
		memset(&set, 0, sizeof(set));
		for (i = 0; i < 3; i++)
			CHECK(shc_qr_add(&set, chunk[orders[k][i]], &done, &e) == 0 && done == (i == 2),
			      "chunk %d: %s", orders[k][i], e.msg);
		CHECK(shc_qr_join(&set, &jws, &e) == 0 && jws && !strcmp(jws, want2),
		      "example-02's three chunks (order %d) join to its JWS", k);
		free(jws);
	}
	for (i = 0; i < 3; i++)
		free(chunk[i]);
	free(one);
	free(want0);
	free(want2);
}

struct collected {
	char *jws[4];
	int n;
};

static int collect(void *arg, const char *jws, size_t len, ehr_err *e)
{
	struct collected *c = arg;

	(void)e;
	if (c->n < 4)
		c->jws[c->n++] = strndup(jws, len);
	return 0;
}

static void test_files(void)
{
	size_t len;
	char *file = vectors_read("shc/example-00-e-file.smart-health-card", &len);
	char *want = vectors_read("shc/example-00-d-jws.txt", NULL);
	struct collected c = { { 0 }, 0 };
	ehr_err e;
	int i;

	CHECK(shc_file_cards(file, len, collect, &c, &e) == 0 && c.n == 1, "the file holds one card");
	CHECK(c.n == 1 && !strcmp(c.jws[0], want), "the card is example-00's JWS");
	for (i = 0; i < c.n; i++)
		free(c.jws[i]);
	CHECK(shc_file_cards("{\"verifiableCredential\":[]}", 27, collect, &c, &e) == EHR_EUSAGE,
	      "no card: refused");
	CHECK(shc_file_cards("{\"verifiableCredential\":[3]}", 28, collect, &c, &e) == EHR_EUSAGE,
	      "not a string: refused");
	CHECK(shc_file_cards("[]", 2, collect, &c, &e) == EHR_EUSAGE, "not an object: refused");
	free(file);
	free(want);
}

/* The keyring of the vectors' JWKS file (bound to no issuer). */
static shc_keyring *jwks_ring(void)
{
	char path[4096];
	shc_keyring *kr = shc_keyring_new();
	ehr_err e;

	snprintf(path, sizeof(path), "%s/shc/issuer-jwks.json", vectors_dir());
	CHECK(shc_keyring_load_jwks(kr, path, &e) == 0 && shc_keyring_count(kr) == 2,
	      "the JWKS loads two keys: %s", e.msg);
	return kr;
}

/* The trusted-issuers file naming iss with the vectors' keys. */
static shc_keyring *trusted_ring(const char *iss)
{
	char *jwks = vectors_read("shc/issuer-jwks.json", NULL), *text;
	shc_keyring *kr = shc_keyring_new();
	cJSON *parsed = cJSON_Parse(jwks), *keys = cJSON_GetObjectItem(parsed, "keys");
	cJSON *root = cJSON_CreateObject(), *list = cJSON_AddArrayToObject(root, "issuers");
	cJSON *entry = cJSON_CreateObject();
	ehr_err e;

	cJSON_AddStringToObject(entry, "iss", iss);
	cJSON_AddItemToObject(entry, "keys", cJSON_Duplicate(keys, 1));
	cJSON_AddItemToArray(list, entry);
	text = cJSON_Print(root);
	CHECK(shc_keyring_load_trusted(kr, write_tmp("trusted.json", text), &e) == 0 &&
	      shc_keyring_count(kr) == 2, "the trusted issuers file loads: %s", e.msg);
	cJSON_Delete(root);
	cJSON_Delete(parsed);
	free(text);
	free(jwks);
	return kr;
}

static void check_card(const char *jws_rel, const char *bundle_rel, shc_keyring *kr)
{
	char *jws = vectors_read(jws_rel, NULL), *want = vectors_read(bundle_rel, NULL);
	cJSON *got_j, *want_j = cJSON_Parse(want);
	shc_card card;
	ehr_err e;

	CHECK(shc_card_read(jws, strlen(jws), kr, false, &card, &e) == 0, "%s verifies: %s", jws_rel, e.msg);
	CHECK(card.verified, "verified");
	CHECK_STR(card.iss, EXAMPLE_ISS);
	got_j = cJSON_Parse(card.bundle);
	CHECK(card.bundle && strlen(card.bundle) == card.bundle_len && cJSON_Compare(got_j, want_j, 1),
	      "the Bundle is %s", bundle_rel);
	cJSON_Delete(got_j);
	cJSON_Delete(want_j);
	shc_card_free(&card);
	free(jws);
	free(want);
}

static void test_cards(void)
{
	shc_keyring *kr = jwks_ring(), *empty = shc_keyring_new(), *other;
	char *jws = vectors_read("shc/example-00-d-jws.txt", NULL);
	shc_card card;
	ehr_err e;

	check_card("shc/example-00-d-jws.txt", "shc/example-00-a-fhirBundle.json", kr);
	check_card("shc/example-02-d-jws.txt", "shc/example-02-a-fhirBundle.json", kr);
	shc_keyring_free(kr);
	kr = trusted_ring(EXAMPLE_ISS);
	check_card("shc/example-00-d-jws.txt", "shc/example-00-a-fhirBundle.json", kr);

	/* no key for it: refused, or taken as unverified when asked */
	CHECK(shc_card_read(jws, strlen(jws), empty, false, &card, &e) == EHR_EINTEGRITY && !card.bundle,
	      "an unknown issuer is refused");
	CHECK(strstr(e.msg, "names issuer " EXAMPLE_ISS ", whose key") && strstr(e.msg, "--unverified"), "%s", e.msg);
	CHECK(shc_card_read(jws, strlen(jws), empty, true, &card, &e) == 0 && !card.verified &&
	      !strcmp(card.iss, EXAMPLE_ISS) && card.bundle, "unverified, when allowed");
	shc_card_free(&card);

	/* the key bound to another issuer */
	other = trusted_ring("https://other.example");
	CHECK(shc_card_read(jws, strlen(jws), other, true, &card, &e) == EHR_EINTEGRITY,
	      "a key of another issuer: refused");
	CHECK_STR(e.msg, "the card names issuer " EXAMPLE_ISS " but is signed with a key of "
		  "https://other.example");
	shc_keyring_free(other);

	/* one character of the payload changed: refused, even with --unverified */
	{
		char *p = strchr(jws, '.') + 20;

		*p = *p == 'A' ? 'B' : 'A';
		CHECK(shc_card_read(jws, strlen(jws), kr, true, &card, &e) == EHR_EINTEGRITY && !card.bundle,
		      "a changed card is refused");
		CHECK(strstr(e.msg, "changed after it was signed") != NULL, "%s", e.msg);
	}
	shc_keyring_free(kr);
	shc_keyring_free(empty);
	free(jws);
}

static void test_keyring_files(void)
{
	shc_keyring *kr = shc_keyring_new();
	ehr_err e;
	static const struct { const char *text, *msg; } bad[] = {
		{ "[]", "not JSON with an \"issuers\" array" },
		{ "{\"issuers\":[{\"keys\":[]}]}", "issuers[0] is not an object with an \"iss\"" },
		{ "{\"issuers\":[{\"iss\":\"http://x.example\",\"keys\":[]}]}", "issuers[0]: \"iss\" is not an https URL" },
		{ "{\"issuers\":[{\"iss\":\"https://x.example\",\"keys\":{}}]}", "issuers[0]: \"keys\" is not an array of keys" },
	};
	size_t i;

	CHECK(shc_keyring_load_trusted(kr, "/nonexistent/trusted-issuers.json", &e) == 0 &&
	      shc_keyring_count(kr) == 0, "a missing trusted issuers file is empty");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *path = write_tmp("t.json", bad[i].text);
		char want[600];

		snprintf(want, sizeof(want), "trusted issuers %s: %s", path, bad[i].msg);
		CHECK(shc_keyring_load_trusted(kr, path, &e) == EHR_EUSAGE, "%s refused", bad[i].text);
		CHECK_STR(e.msg, want);
	}
	CHECK(shc_keyring_load_jwks(kr, write_tmp("j.json", "{\"keys\":[{\"kty\":\"RSA\"}]}"), &e) ==
	      EHR_EUSAGE && strstr(e.msg, "no P-256 key"), "a JWKS without P-256 keys: %s", e.msg);
	CHECK(shc_keyring_load_jwks(kr, "/nonexistent/jwks.json", &e) == EHR_EUSAGE, "a missing JWKS file");
	CHECK(!strncmp(e.msg, "issuer keys: cannot open /nonexistent/jwks.json", 47), "%s", e.msg);
	shc_keyring_free(kr);
}

int main(void)
{
	if (sodium_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	test_qr_errors();
	test_keyring_files();
	if (vectors_dir()) {
		test_qr_vectors();
		test_files();
		test_cards();
	} else {
		printf("skip: shc vectors: test vectors not found (set EHR_VECTORS)\n");
	}
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
		if (system(cmd))
			return 1;
	}
	return tap_done();
}
