/* The small shared helpers of wallet/base: hex digits, the edit distance
 * of "did you mean" hints, the one sanitiser of outside text (text_clean),
 * and the SHA-256 wrapper (checked against the
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

/* What a title, memo or name from the chain could try on a terminal. */
static void test_text_clean(void)
{
	static const struct { const char *in; size_t n; unsigned flags; const char *want; } cases[] = {
		{ "scan\xe2\x80\xae" "fdp.exe", 14, 0, "scan???fdp.exe" },  /* U+202E RLO */
		{ "a\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad" "b", 14, 0,
		  "a????????????b" },                                       /* U+202A-202D */
		{ "\xe2\x81\xa6x\xe2\x81\xa9", 7, 0, "???x???" },          /* U+2066, U+2069 isolates */
		{ "\xe2\x81\xa7\xe2\x81\xa8", 6, 0, "??????" },            /* U+2067, U+2068 */
		{ "l\xe2\x80\x8er\xe2\x80\x8f", 8, 0, "l???r???" },        /* LRM, RLM */
		{ "\xe2\x80\xa8\xe2\x80\xa9", 6, 0, "??????" },            /* line/paragraph separators */
		{ "a\xc2\x9b" "1m", 5, 0, "a??1m" },                       /* C1 CSI as UTF-8 */
		{ "\xc2\x80\xc2\x9f\xc2\xa0", 6, 0, "????\xc2\xa0" },      /* C1 ends at U+009F */
		{ "a\x9b" "1m", 4, 0, "a?1m" },                             /* a bare C1 byte */
		{ "a\033[2Jb\n\t\x7f", 9, 0, "a?[2Jb???" },                /* C0 and DEL */
		{ "a\0b", 3, 0, "a?b" },                                    /* NUL */
		{ "\xc0\xaf\xed\xa0\x80\xe6\x9d", 7, 0, "???????" },        /* overlong, surrogate, cut */
		{ "\xf4\x90\x80\x80", 4, 0, "????" },                        /* past U+10FFFF */
		{ "Z\xc3\xab \xe6\x9d\xb1 \xf0\x9f\x98\x80 \xe2\x80\x8d", 16, 0,
		  "Z\xc3\xab \xe6\x9d\xb1 \xf0\x9f\x98\x80 \xe2\x80\x8d" },         /* text, emoji, ZWJ kept */
		{ "Zo\xc3\xab <x>", 8, TEXT_ASCII, "Zo?? <x>" },            /* names: ASCII only */
	};
	char out[64], small[6];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n = text_clean(out, sizeof(out), cases[i].in, cases[i].n, cases[i].flags);

		CHECK(n == strlen(cases[i].want) && !strcmp(out, cases[i].want), "case %zu: got '%s'", i, out);
	}
	/* in place, and cut at a character boundary */
	snprintf(out, sizeof(out), "x\xe2\x80\xaey");
	text_clean_inplace(out, 0);
	CHECK_STR(out, "x???y");
	CHECK(text_clean(small, sizeof(small), "abcd\xc3\xab", 6, 0) == 4 && !strcmp(small, "abcd"),
	      "a two-byte letter that does not fit is left out whole");
	CHECK(text_clean(small, sizeof(small), "abcdefg", 7, 0) == 5 && !strcmp(small, "abcde"), "cut");
	CHECK(text_clean(small, 1, "abc", 3, 0) == 0 && !small[0], "room for the NUL only");
	CHECK(text_safe_char((const uint8_t *)"\xe2\x80\xae", 3, 0) == 0 &&
	      text_safe_char((const uint8_t *)"\xe2\x80\x94", 3, 0) == 3, "U+202E refused, U+2014 kept");
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
	test_text_clean();
	test_sha256();
	return tap_done();
}
