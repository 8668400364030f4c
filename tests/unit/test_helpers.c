/* The small shared helpers of wallet/base: hex digits, the edit distance
 * of "did you mean" hints, and the SHA-256 wrapper (checked against the
 * FIPS 180-2 examples, one shot and piece by piece). */
#include "tap.h"

#include "wallet/base/hex.h"
#include "wallet/base/sha256.h"
#include "wallet/base/text.h"

static void test_hex_digit(void)
{
	const char *digits = "0123456789abcdef", *upper = "ABCDEF";
	int c, bad = 0;

	for (c = 0; c < 16; c++)
		CHECK(hex_digit_value(digits[c]) == c, "digit %c", digits[c]);
	for (c = 0; c < 6; c++)
		CHECK(hex_digit_value(upper[c]) == 10 + c, "digit %c", upper[c]);
	for (c = 0; c < 256; c++)
		if (!strchr("0123456789abcdefABCDEF", c) && hex_digit_value(c) != -1)
			bad++;
	CHECK(bad == 0 && hex_digit_value(0) == -1, "every other byte is -1 (%d)", bad);
	CHECK(hex_digit_value('g') == -1 && hex_digit_value('x') == -1, "g and x");
}

static void test_edit_distance(void)
{
	char longer[80];

	CHECK(edit_distance("", "") == 0, "empty");
	CHECK(edit_distance("abc", "") == 3 && edit_distance("", "abc") == 3, "to and from empty");
	CHECK(edit_distance("init", "init") == 0, "same");
	CHECK(edit_distance("int", "init") == 1, "one inserted");
	CHECK(edit_distance("kitten", "sitting") == 3, "kitten");
	CHECK(edit_distance("recrods", "records") == 1, "an adjacent swap is one edit");
	CHECK(edit_distance("ca", "abc") == 3, "optimal string alignment, not full Damerau");
	memset(longer, 'a', 64);
	longer[64] = '\0';
	CHECK(edit_distance(longer, "a") == 64, "64 bytes or more: far");
	longer[63] = '\0';
	CHECK(edit_distance(longer, longer) == 0, "63 bytes are compared");
}

static void test_sha256(void)
{
	static const uint8_t abc[32] = {
		0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40, 0xde, 0x5d, 0xae,
		0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61,
		0xf2, 0x00, 0x15, 0xad };
	static const uint8_t empty[32] = {
		0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14, 0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f,
		0xb9, 0x24, 0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c, 0xa4, 0x95, 0x99, 0x1b,
		0x78, 0x52, 0xb8, 0x55 };
	uint8_t out[32];
	sha256_ctx *c;

	sha256("abc", 3, out);
	CHECK_MEM(out, abc, 32);
	sha256(NULL, 0, out);
	CHECK_MEM(out, empty, 32);
	CHECK((c = sha256_new()) != NULL, "a context");
	if (c) {
		sha256_update(c, "a", 1);
		sha256_update(c, "", 0);
		sha256_update(c, "bc", 2);
		sha256_final(c, out);
		CHECK_MEM(out, abc, 32);
	}
	sha256_free(c);
	sha256_free(NULL);
}

int main(void)
{
	test_hex_digit();
	test_edit_distance();
	test_sha256();
	return tap_done();
}
