/* Bech32: the test vectors of BIP173 (bitcoin/bips bip-0173.mediawiki,
 * "Test vectors"), Cosmos/Evmos account addresses, and round trips.
 * These strings are from the BIP's text; they are not in ../shared/vectors. */
#include "tap.h"

#include <sodium.h>

#include "wallet/base/bech32.h"
#include "wallet/keys/eth.h"

static void test_bip173_valid(void)
{
	static const char *const valid[] = {
		"A12UEL5L",
		"a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w",
		"?1ezyfcl",
	};
	size_t i, j;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char hrp[BECH32_MAX + 1], again[BECH32_MAX + 1], lower[BECH32_MAX + 1];
		uint8_t data5[BECH32_MAX];
		size_t n = 0;
		ehr_err e;

		CHECK(bech32_decode5(valid[i], hrp, sizeof(hrp), data5, sizeof(data5), &n, &e) == 0,
		      "%s: %s", valid[i], e.msg);
		/* Re-encoding gives the lowercase form back. */
		CHECK(bech32_encode5(hrp, data5, n, again, sizeof(again), &e) == 0, "%s: %s", valid[i], e.msg);
		for (j = 0; valid[i][j]; j++)
			lower[j] = (char)(valid[i][j] >= 'A' && valid[i][j] <= 'Z' ? valid[i][j] - 'A' + 'a' : valid[i][j]);
		lower[j] = '\0';
		CHECK_STR(again, lower);
	}
	/* The one with all 32 characters decodes to 0..31 in order. */
	{
		char hrp[8];
		uint8_t d[40];
		size_t n = 0;
		int ordered = 1;
		ehr_err e;

		CHECK(bech32_decode5("abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", hrp, sizeof(hrp), d, sizeof(d), &n, &e) == 0, "%s", e.msg);
		for (i = 0; i < n; i++)
			ordered &= d[i] == i;
		CHECK(n == 32 && ordered && strcmp(hrp, "abcdef") == 0, "abcdef: 0..31");
	}
}

static void test_bip173_invalid(void)
{
	static const char *const invalid[] = {
		"\x20" "1nwldj5",	/* HRP character out of range */
		"\x7f" "1axkwrx",
		"\x80" "1eym55h",
		"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
		"pzry9x0s0muk",		/* no separator */
		"1pzry9x0s0muk",	/* empty HRP */
		"x1b4n0q5v",		/* invalid data character */
		"li1dgmt3",		/* too short checksum */
		"de1lg7wt\xff",		/* invalid character in checksum */
		"A1G7SGD8",		/* checksum computed with the uppercase HRP */
		"10a06t8",		/* empty HRP */
		"1qzzfhee",		/* empty HRP */
		/* from the invalid segwit addresses, those that are invalid bech32: */
		"bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",	/* checksum */
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sL5k7",	/* mixed case */
		"",
	};
	size_t i;

	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		char hrp[BECH32_MAX + 1];
		uint8_t data5[BECH32_MAX];
		size_t n;
		ehr_err e;

		ehr_err_clear(&e);
		CHECK(bech32_decode5(invalid[i], hrp, sizeof(hrp), data5, sizeof(data5), &n, &e) == EHR_EUSAGE,
		      "invalid string %zu accepted", i);
		CHECK(e.msg[0] != '\0', "message for %zu", i);
	}
}

/* The BIP's segwit addresses: the 5-bit groups after the witness version
 * convert to the witness program of the given scriptPubKey. */
static void test_bip173_segwit(void)
{
	static const struct { const char *addr, *script; } valid[] = {
		{ "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4", "0014751e76e8199196d454941c45d1b3a323f1433bd6" },
		{ "tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3q0sl5k7",
		  "00201863143c14c5166804bd19203356da136c985678cd4d27a1b8c6329604903262" },
		{ "bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx",
		  "5128751e76e8199196d454941c45d1b3a323f1433bd6751e76e8199196d454941c45d1b3a323f1433bd6" },
		{ "BC1SW50QA3JX3S", "6002751e" },
		{ "bc1zw508d6qejxtdg4y5r3zarvaryvg6kdaj", "5210751e76e8199196d454941c45d1b3a323" },
		{ "tb1qqqqqp399et2xygdj5xreqhjjvcmzhxw4aywxecjdzew6hylgvsesrxh6hy",
		  "0020000000c4a5cad46221b2a187905e5266362b99d5e91c6ce24d165dab93e86433" },
	};
	/* Valid bech32 whose program does not convert back to bytes. */
	static const char *const bad_padding[] = {
		"bc1zw508d6qejxtdg4y5r3zarvaryvqyzf3du",	/* zero padding of more than 4 bits */
		"tb1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3pjxtptv",	/* non-zero padding */
	};
	size_t i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		char hrp[8];
		uint8_t d5[BECH32_MAX], prog[64], script[64];
		size_t n5 = 0, n = 0;
		long slen = test_unhex(valid[i].script, script, sizeof(script));
		unsigned version;
		ehr_err e;

		CHECK(bech32_decode5(valid[i].addr, hrp, sizeof(hrp), d5, sizeof(d5), &n5, &e) == 0, "%s: %s", valid[i].addr, e.msg);
		version = script[0] ? script[0] - 0x50u : 0;
		CHECK(n5 > 0 && d5[0] == version, "%s: witness version %u", valid[i].addr, version);
		CHECK(bech32_convert_bits(d5 + 1, n5 - 1, 5, 8, 0, prog, sizeof(prog), &n) == 0, "%s: converts", valid[i].addr);
		CHECK(slen > 2 && n == (size_t)(slen - 2) && memcmp(prog, script + 2, n) == 0, "%s: program", valid[i].addr);
	}
	for (i = 0; i < sizeof(bad_padding) / sizeof(bad_padding[0]); i++) {
		char hrp[8];
		uint8_t d5[BECH32_MAX], prog[64];
		size_t n5 = 0, n;
		ehr_err e;

		CHECK(bech32_decode5(bad_padding[i], hrp, sizeof(hrp), d5, sizeof(d5), &n5, &e) == 0, "%s: %s", bad_padding[i], e.msg);
		CHECK(bech32_convert_bits(d5 + 1, n5 - 1, 5, 8, 0, prog, sizeof(prog), &n) == -1, "%s: padding refused", bad_padding[i]);
	}
}

/* Ethereum address <-> Evmos/Ethermint bech32, from the tests of the
 * Evmos team's address converter (hanchon-live/ethermint-address-converter,
 * tests/converter.spec.ts). */
static void test_cosmos_addresses(void)
{
	static const struct { const char *hrp, *bech, *hex; } pairs[] = {
		{ "evmos", "evmos1z3t55m0l9h0eupuz3dp5t5cypyv674jj7mz2jw", "0x14574a6DFF2Ddf9e07828b4345d3040919AF5652" },
		{ "ethm", "ethm1uttpuj0l32whynx9f5ecmqrklpu2c6m3973048", "0xe2D61e49ff8a9d724CC54d338D8076F878aC6b71" },
		{ "plq", "plq1j3nnnlvlut6rkyu4vdkjs8pesxnr28u5ht6jek", "0x946739fD9FE2f43B1395636d281C3981A6351F94" },
	};
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		uint8_t addr[20], back[32];
		char out[BECH32_MAX + 1], hrp[16], text[43];
		size_t n = 0;
		ehr_err e;

		CHECK(eip55_parse(pairs[i].hex, addr, &e) == 0, "%s", e.msg);
		CHECK(bech32_encode(pairs[i].hrp, addr, 20, out, sizeof(out), &e) == 0, "%s", e.msg);
		CHECK_STR(out, pairs[i].bech);
		CHECK(bech32_decode(pairs[i].bech, hrp, sizeof(hrp), back, sizeof(back), &n, &e) == 0, "%s", e.msg);
		CHECK(n == 20, "20 bytes, got %zu", n);
		eip55_format(back, text);
		CHECK_STR(text, pairs[i].hex);
		CHECK_STR(hrp, pairs[i].hrp);
	}
}

static void test_round_trip_and_limits(void)
{
	uint8_t data[64], back[64];
	char out[BECH32_MAX + 1], hrp[BECH32_MAX + 1];
	size_t len, n;
	ehr_err e;
	int k;

	for (k = 0; k < 200; k++) {
		len = (size_t)k % 41;
		randombytes_buf(data, len);
		CHECK(bech32_encode("cosmos", data, len, out, sizeof(out), &e) == 0, "%s", e.msg);
		CHECK(bech32_decode(out, hrp, sizeof(hrp), back, sizeof(back), &n, &e) == 0, "%s", e.msg);
		CHECK(n == len && memcmp(back, data, len) == 0 && strcmp(hrp, "cosmos") == 0, "round trip of %zu bytes", len);
	}
	/* A changed character is caught. */
	memset(data, 0xab, 20);
	CHECK(bech32_encode("evmos", data, 20, out, sizeof(out), &e) == 0, "%s", e.msg);
	out[10] = out[10] == 'q' ? 'p' : 'q';
	CHECK(bech32_decode(out, hrp, sizeof(hrp), back, sizeof(back), &n, &e) == EHR_EUSAGE, "one changed character refused");
	CHECK(strstr(e.msg, "checksum") != NULL, "%s", e.msg);

	CHECK(bech32_encode("", data, 20, out, sizeof(out), &e) == EHR_EUSAGE, "empty prefix refused");
	CHECK(bech32_encode("Evmos", data, 20, out, sizeof(out), &e) == EHR_EUSAGE, "uppercase prefix refused");
	CHECK(bech32_encode("ev mos", data, 20, out, sizeof(out), &e) == EHR_EUSAGE, "space in prefix refused");
	CHECK(bech32_encode("evmos", data, 20, out, 20, &e) == EHR_EUSAGE, "small buffer refused");
	CHECK(bech32_encode("evmos", data, 60, out, sizeof(out), &e) == EHR_EUSAGE, "over 90 characters refused");
	/* 20 bytes under "evmos": 5 + 1 + 32 + 6 = 44 characters. */
	CHECK(bech32_encode("evmos", data, 20, out, sizeof(out), &e) == 0 && strlen(out) == 44, "length 44");
	CHECK(bech32_decode(out, hrp, sizeof(hrp), back, 19, &n, &e) == EHR_EUSAGE, "output cap honoured");
	CHECK(bech32_decode(out, hrp, 5, back, sizeof(back), &n, &e) == EHR_EUSAGE, "prefix cap honoured");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_bip173_valid();
	test_bip173_invalid();
	test_bip173_segwit();
	test_cosmos_addresses();
	test_round_trip_and_limits();
	return tap_done();
}
