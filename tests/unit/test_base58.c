/* Base58 and Base58Check: Bitcoin Core's base58_encode_decode.json cases
 * (src/test/data/), a few Base58Check strings, refusals, round trips. */
#include "tap.h"

#include <sodium.h>

#include "wallet/base/base58.h"

static const struct { const char *hex, *b58; } cases[] = {
	{ "", "" },
	{ "61", "2g" },
	{ "626262", "a3gV" },
	{ "636363", "aPEr" },
	{ "73696d706c792061206c6f6e6720737472696e67", "2cFupjhnEsSn59qHXstmK2ffpLv2" },
	{ "00eb15231dfceb60925886b67d065299925915aeb172c06647", "1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L" },
	{ "516b6fcd0f", "ABnLTmg" },
	{ "bf4f89001e670274dd", "3SEo3LWLoPntC" },
	{ "572e4794", "3EFU7m" },
	{ "ecac89cad93923c02321", "EJDM8drfXA6uyA" },
	{ "10c8511e", "Rt5zm" },
	{ "00000000000000000000", "1111111111" },
	{ "000111d38e5fc9071ffcd20b4a763cc9ae4f252bb4e48fd66a835e252ada93ff480d6dd43dc62a641155a5",
	  "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz" },
};

/* Base58Check of the same payloads (as in several wallets' tests). */
static const struct { const char *hex, *b58check; } check_cases[] = {
	{ "", "3QJmnh" },
	{ "61", "C2dGTwc" },
	{ "626262", "4jF5uERJAK" },
	{ "00000000000000000000", "111111111146Momb" },
};

static void test_vectors(void)
{
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t raw[64], back[64];
		char out[128];
		long n = test_unhex(cases[i].hex, raw, sizeof(raw));

		CHECK(base58_encode(raw, (size_t)n, out, sizeof(out)) == (long)strlen(cases[i].b58), "%s", cases[i].hex);
		CHECK_STR(out, cases[i].b58);
		if (n == 0)
			continue;	/* decoding "" is refused: nothing here needs it */
		CHECK(base58_decode(cases[i].b58, back, sizeof(back)) == n, "decode %s", cases[i].b58);
		CHECK_MEM(back, raw, (size_t)n);
	}
	for (i = 0; i < sizeof(check_cases) / sizeof(check_cases[0]); i++) {
		uint8_t raw[32], back[32];
		char out[64];
		long n = test_unhex(check_cases[i].hex, raw, sizeof(raw));

		CHECK(base58check_encode(raw, (size_t)n, out, sizeof(out)) > 0, "%s", check_cases[i].hex);
		CHECK_STR(out, check_cases[i].b58check);
		CHECK(base58check_decode(check_cases[i].b58check, back, sizeof(back)) == n, "decode %s", check_cases[i].b58check);
		CHECK_MEM(back, raw, (size_t)n);
	}
}

static void test_refusals(void)
{
	static const char *const bad[] = { "", "0", "O", "I", "l", "2g ", " 2g", "2g\n", "a3g+", "\xc3\xa9" };
	uint8_t out[64];
	char text[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(base58_decode(bad[i], out, sizeof(out)) == -1, "'%s' accepted", bad[i]);
	CHECK(base58_decode("2cFupjhnEsSn59qHXstmK2ffpLv2", out, 19) == -1, "cap honoured");
	CHECK(base58_encode((const uint8_t *)"simply", 6, text, 5) == -1, "encode cap honoured");
	/* A changed character fails the checksum (-2), not the alphabet. */
	CHECK(base58check_decode("C2dGTwd", out, sizeof(out)) == -2, "bad checksum");
	CHECK(base58check_decode("2g", out, sizeof(out)) == -1, "shorter than a checksum");
}

static void test_round_trip(void)
{
	uint8_t raw[100], back[100];
	char text[200];
	int k;

	for (k = 0; k < 300; k++) {
		size_t len = (size_t)k % 100;
		long n;

		randombytes_buf(raw, len);
		if (k % 3 == 0 && len > 2)
			raw[0] = raw[1] = 0;	/* leading zero bytes */
		CHECK(base58check_encode(raw, len, text, sizeof(text)) > 0, "encode %zu", len);
		n = base58check_decode(text, back, sizeof(back));
		CHECK(n == (long)len && memcmp(raw, back, len) == 0, "round trip of %zu bytes", len);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_vectors();
	test_refusals();
	test_round_trip();
	return tap_done();
}
