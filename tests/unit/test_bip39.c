/* BIP39: the English vectors of trezor/python-mnemonic (entropy <-> mnemonic,
 * seed with passphrase "TREZOR", seed -> BIP32 master xprv), input leniency
 * (case, whitespace) and every refusal. */
#include "tap.h"

#include <sodium.h>

#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"

static void test_vectors(void)
{
	cJSON *j, *v;
	int n = 0;

	SKIP_WITHOUT_VECTORS("bip39-vectors.json");
	j = vectors_json("eth/bip39-vectors.json");
	CHECK(j != NULL, "bip39-vectors.json parses");
	if (!j)
		return;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "english")) {
		const char *ent_hex = cJSON_GetArrayItem(v, 0)->valuestring;
		const char *mnemonic = cJSON_GetArrayItem(v, 1)->valuestring;
		const char *seed_hex = cJSON_GetArrayItem(v, 2)->valuestring;
		const char *xprv = cJSON_GetArrayItem(v, 3)->valuestring;
		uint8_t ent[32], got_ent[32], want_seed[64], seed[64];
		char words[BIP39_MNEMONIC_MAX], ext[112];
		size_t got_len = 0;
		long len = test_unhex(ent_hex, ent, sizeof(ent));
		bip32_key master;
		ehr_err e;

		n++;
		CHECK(len > 0, "entropy hex");
		CHECK(bip39_from_entropy(ent, (size_t)len, words, sizeof(words), &e) == 0, "%s", e.msg);
		CHECK_STR(words, mnemonic);

		memset(got_ent, 0, sizeof(got_ent));
		CHECK(bip39_to_entropy(mnemonic, got_ent, &got_len, &e) == 0, "%s", e.msg);
		CHECK(got_len == (size_t)len, "entropy length %zu, want %ld", got_len, len);
		CHECK_MEM(got_ent, ent, (size_t)len);

		CHECK(test_unhex(seed_hex, want_seed, 64) == 64, "seed hex");
		CHECK(bip39_seed(mnemonic, "TREZOR", seed, &e) == 0, "%s", e.msg);
		CHECK_MEM(seed, want_seed, 64);

		CHECK(bip32_from_seed(seed, 64, &master, &e) == 0, "%s", e.msg);
		bip32_xprv(&master, ext);
		CHECK_STR(ext, xprv);
	}
	CHECK(n == 24, "24 English vectors, saw %d", n);
	cJSON_Delete(j);
}

/* Any whitespace and any case decode and hash as the canonical form. */
static void test_leniency(void)
{
	const char *canon = "legal winner thank year wave sausage worth useful legal winner thank yellow";
	const char *messy = "  LEGAL\twinner\n\nThank year wave sausage worth useful legal winner\r\n thank YELLOW \n";
	uint8_t a[32], b[32], sa[64], sb[64];
	size_t la, lb;
	ehr_err e;

	CHECK(bip39_to_entropy(canon, a, &la, &e) == 0, "%s", e.msg);
	CHECK(bip39_to_entropy(messy, b, &lb, &e) == 0, "%s", e.msg);
	CHECK(la == 16 && lb == 16, "16 bytes");
	CHECK_MEM(a, b, 16);
	CHECK(bip39_seed(canon, "", sa, &e) == 0, "%s", e.msg);
	CHECK(bip39_seed(messy, NULL, sb, &e) == 0, "%s", e.msg);
	CHECK_MEM(sa, sb, 64);
	/* The passphrase is not normalised: case matters there. */
	CHECK(bip39_seed(canon, "TREZOR", sa, &e) == 0, "%s", e.msg);
	CHECK(bip39_seed(canon, "trezor", sb, &e) == 0, "%s", e.msg);
	CHECK(memcmp(sa, sb, 64) != 0, "passphrase case matters");
}

static void expect_refusal(const char *mnemonic, const char *want_substr)
{
	uint8_t ent[32];
	size_t len;
	ehr_err e;
	int rc;

	ehr_err_clear(&e);
	rc = bip39_to_entropy(mnemonic, ent, &len, &e);
	CHECK(rc == EHR_EUSAGE, "'%s': status %d", mnemonic, rc);
	CHECK(strstr(e.msg, want_substr) != NULL, "'%s': message '%s' lacks '%s'", mnemonic, e.msg, want_substr);
	CHECK(bip39_check(mnemonic, &e) == EHR_EUSAGE, "bip39_check agrees on '%s'", mnemonic);
}

static void test_refusals(void)
{
	char twelve_plus[BIP39_MNEMONIC_MAX];
	uint8_t seed[64];
	ehr_err e;

	expect_refusal("abandon abandon abandn abandon abandon abandon abandon abandon abandon abandon abandon about",
		       "unknown word 'abandn' (word 3); did you mean 'abandon'?");
	/* A swap of two letters is one edit. */
	expect_refusal("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abuot",
		       "unknown word 'abuot' (word 12); did you mean 'about'?");
	/* Case is kept in the message, ignored in the suggestion. */
	expect_refusal("ABANDON ABANDN abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		       "unknown word 'ABANDN' (word 2); did you mean 'abandon'?");
	/* Nothing close: no suggestion. */
	expect_refusal("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon qqqqqqq",
		       "unknown word 'qqqqqqq' (word 12)");
	/* Longer than any list word, but its first four letters name one. */
	expect_refusal("abandonment abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		       "unknown word 'abandonment' (word 1); did you mean 'abandon'?");
	expect_refusal("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
		       "checksum does not match: a word is wrong or the order is");
	/* The right words in the wrong order. */
	expect_refusal("about abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon",
		       "checksum does not match");
	expect_refusal("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about abandon",
		       "12, 15, 18, 21 or 24 words, not 13");
	expect_refusal("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		       "not 11");
	expect_refusal("", "empty");
	expect_refusal(" \t\n", "empty");

	/* 27 words: counted past the 24 the decoder keeps. */
	snprintf(twelve_plus, sizeof(twelve_plus), "%s",
		 "zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo zoo");
	expect_refusal(twelve_plus, "not 27");

	/* A word with a control byte is shown safely. */
	expect_refusal("aban\x01" "don abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about",
		       "unknown word 'aban?don' (word 1)");

	CHECK(bip39_seed("abandon about", "caf\xc3\xa9", seed, &e) == EHR_EUSAGE, "non-ASCII passphrase refused");
	CHECK(strstr(e.msg, "NFKD") != NULL, "%s", e.msg);
	CHECK(bip39_seed("abandon \xc3\xa9", "", seed, &e) == EHR_EUSAGE, "non-ASCII mnemonic refused");
	CHECK(bip39_seed("   ", "", seed, &e) == EHR_EUSAGE, "empty mnemonic refused");
}

static void test_entropy_lengths(void)
{
	uint8_t ent[33] = { 0 };
	char out[BIP39_MNEMONIC_MAX];
	size_t bad[] = { 0, 12, 15, 17, 33, 36 }, i;
	ehr_err e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(bip39_from_entropy(ent, bad[i], out, sizeof(out), &e) == EHR_EUSAGE, "length %zu refused", bad[i]);
	/* "abandon" x 23 + "art" is 7*23 + 23 spaces + 3 = 187 characters and a NUL. */
	CHECK(bip39_from_entropy(ent, 32, out, 188, &e) == 0, "exact fit: %s", e.msg);
	CHECK(strlen(out) == 187, "length %zu", strlen(out));
	CHECK(strncmp(out + 184, "art", 3) == 0, "ends with 'art': %s", out);
	CHECK(bip39_from_entropy(ent, 32, out, 187, &e) == EHR_EUSAGE, "one byte short refused");
}

/* Random entropy of every length round-trips; generated mnemonics are valid
 * and differ. */
static void test_round_trip_and_generate(void)
{
	char *m = sodium_malloc(BIP39_MNEMONIC_MAX), *m2 = sodium_malloc(BIP39_MNEMONIC_MAX);
	uint8_t ent[32], back[32];
	size_t len, back_len, words, i, spaces;
	ehr_err e;
	int k;

	for (k = 0; k < 500; k++) {
		len = 16 + 4 * (size_t)(k % 5);
		randombytes_buf(ent, len);
		CHECK(bip39_from_entropy(ent, len, m, BIP39_MNEMONIC_MAX, &e) == 0, "%s", e.msg);
		CHECK(bip39_to_entropy(m, back, &back_len, &e) == 0, "%s", e.msg);
		CHECK(back_len == len && memcmp(back, ent, len) == 0, "round trip of %zu bytes", len);
	}
	for (words = 12; words <= 24; words += 3) {
		CHECK(bip39_generate(words, m, BIP39_MNEMONIC_MAX, &e) == 0, "%s", e.msg);
		CHECK(bip39_generate(words, m2, BIP39_MNEMONIC_MAX, &e) == 0, "%s", e.msg);
		for (i = 0, spaces = 0; m[i]; i++)
			spaces += m[i] == ' ';
		CHECK(spaces + 1 == words, "%zu words, saw %zu", words, spaces + 1);
		CHECK(bip39_check(m, &e) == 0, "%s", e.msg);
		CHECK(strcmp(m, m2) != 0, "two generated mnemonics differ");
	}
	CHECK(bip39_generate(13, m, BIP39_MNEMONIC_MAX, &e) == EHR_EUSAGE, "13 words refused");
	CHECK(bip39_generate(27, m, BIP39_MNEMONIC_MAX, &e) == EHR_EUSAGE, "27 words refused");
	sodium_free(m);
	sodium_free(m2);
}

static void test_wordlist(void)
{
	int i, sorted = 1;

	for (i = 1; i < 2048; i++)
		sorted &= strcmp(bip39_english[i - 1], bip39_english[i]) < 0;
	CHECK(sorted, "wordlist sorted");
	CHECK_STR(bip39_english[0], "abandon");
	CHECK_STR(bip39_english[2047], "zoo");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_wordlist();
	test_leniency();
	test_refusals();
	test_entropy_lengths();
	test_round_trip_and_generate();
	test_vectors();
	return tap_done();
}
