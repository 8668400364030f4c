/* u256 arithmetic and text forms, amounts with decimals and units, grant
 * durations. Properties are checked on pseudo-random values, fixed points
 * on values whose decimal form is well known (2^256-1, 10^18), and the
 * text forms against cast where it is installed. */
#include "tap.h"

#include <unistd.h>

#include "wallet/base/amount.h"
#include "wallet/base/u256.h"

static const char max_dec[] =
	"115792089237316195423570985008687907853269984665640564039457584007913129639935";
static const char max_hex[] =
	"0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff";

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
	/* splitmix64: reproducible across runs and machines. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A random value of a random bit length, so small and large both occur. */
static u256 rnd_u256(void)
{
	u256 v;
	unsigned bits = (unsigned)(rnd() % 257), i;

	for (i = 0; i < 4; i++)
		v.w[i] = rnd();
	for (i = 0; i < 4; i++) {
		if (bits >= 64 * (i + 1))
			continue;
		if (bits <= 64 * i)
			v.w[i] = 0;
		else
			v.w[i] &= (1ULL << (bits - 64 * i)) - 1;
	}
	return v;
}

static void test_parse_format(void)
{
	u256 a, b;
	char dec[U256_DEC_MAX], hex[U256_HEX_MAX];

	CHECK(u256_parse(max_dec, &a) == 0, "max decimal parses");
	CHECK(u256_parse(max_hex, &b) == 0, "max hex parses");
	CHECK(u256_cmp(&a, &b) == 0, "decimal and hex agree");
	b = u256_max();
	CHECK(u256_cmp(&a, &b) == 0, "equals u256_max");
	u256_format_dec(&a, dec);
	CHECK_STR(dec, max_dec);
	u256_format_hex(&a, hex);
	CHECK_STR(hex, max_hex);

	/* One past the top, in both bases, and long inputs. */
	CHECK(u256_parse("115792089237316195423570985008687907853269984665640564039457584007913129639936", &a) == -1, "2^256 refused");
	CHECK(u256_parse("0x10000000000000000000000000000000000000000000000000000000000000000", &a) == -1, "2^256 hex refused");
	CHECK(u256_parse("0x0000000000000000000000000000000000000000000000000000000000000000001", &a) == 0 &&
	      a.w[0] == 1 && u256_fits_u64(&a), "leading zeros beyond 64 digits are fine");
	CHECK(u256_parse("1000000000000000000000000000000000000000000000000000000000000000000000000000000", &a) == -1, "10^78 refused");

	const char *junk[] = { "", "0x", "-1", "+1", " 1", "1 ", "1.0", "1e3", "0xg", "0x-1", "12a", "0b101", "１" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		a = u256_from_u64(77);
		CHECK(u256_parse(junk[i], &a) == -1 && a.w[0] == 77, "'%s' refused, output untouched", junk[i]);
	}

	CHECK(u256_parse("0", &a) == 0 && u256_is_zero(&a), "zero");
	u256_format_dec(&a, dec);
	CHECK_STR(dec, "0");
	u256_format_hex(&a, hex);
	CHECK_STR(hex, "0x0");
	CHECK(u256_parse("0X3E8", &a) == 0 && a.w[0] == 1000, "upper-case hex");
	u256_format_hex(&a, hex);
	CHECK_STR(hex, "0x3e8");

	/* Values around the 10^19 chunk edges of the decimal formatter. */
	const char *edges[] = { "9999999999999999999", "10000000000000000000", "10000000000000000001",
		"18446744073709551615", "18446744073709551616", "100000000000000000000000000000000000000",
		"340282366920938463463374607431768211456", "1000000000000000000000000000000000000000000000000000000000" };
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
		CHECK(u256_parse(edges[i], &a) == 0, "%s parses", edges[i]);
		u256_format_dec(&a, dec);
		CHECK_STR(dec, edges[i]);
	}
	u256_parse("18446744073709551616", &a);
	CHECK(!u256_fits_u64(&a) && a.w[1] == 1 && a.w[0] == 0, "2^64 is limb 1");
	u256_format_hex(&a, hex);
	CHECK_STR(hex, "0x10000000000000000");
}

static void test_bytes(void)
{
	uint8_t be[32], min[32], back[40];
	u256 a, b;
	size_t n;

	u256_parse("0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", &a);
	u256_to_be(&a, be);
	for (int i = 0; i < 32; i++)
		CHECK(be[i] == i + 1, "byte %d", i);
	CHECK(u256_from_be(&b, be, 32) == 0 && u256_cmp(&a, &b) == 0, "from_be round trip");

	a = u256_from_u64(0x0400);
	n = u256_to_be_min(&a, min);
	CHECK(n == 2 && min[0] == 4 && min[1] == 0, "minimal form of 1024");
	CHECK(u256_byte_len(&a) == 2 && u256_bits(&a) == 11, "1024 has 11 bits in 2 bytes");
	a = u256_from_u64(0);
	CHECK(u256_to_be_min(&a, min) == 0 && u256_bits(&a) == 0, "zero has no bytes");

	/* Long big-endian input: leading zeros are fine, a 257th bit is not. */
	memset(back, 0, sizeof(back));
	back[39] = 5;
	CHECK(u256_from_be(&b, back, sizeof(back)) == 0 && b.w[0] == 5, "40 bytes with leading zeros");
	back[7] = 1;
	CHECK(u256_from_be(&b, back, sizeof(back)) == -1, "40 bytes with a high bit refused");
	CHECK(u256_from_be(&b, back, 0) == 0 && u256_is_zero(&b), "empty is zero");
}

static void test_arith(void)
{
	u256 max = u256_max(), one = u256_from_u64(1), r, q, t;
	int i;

	r = u256_from_u64(5);
	CHECK(u256_add(&r, &max, &one) == -1 && r.w[0] == 5, "max + 1 overflows, r untouched");
	CHECK(u256_sub(&r, &one, &max) == -1 && r.w[0] == 5, "1 - max underflows");
	CHECK(u256_mul(&r, &max, &max) == -1 && r.w[0] == 5, "max * max overflows");
	u256_parse("0x100000000000000000000000000000000", &t);	/* 2^128 */
	CHECK(u256_mul(&r, &t, &t) == -1, "2^128 * 2^128 overflows");
	u256_parse("0x80000000000000000000000000000000", &q);	/* 2^127 */
	CHECK(u256_mul(&r, &t, &q) == 0 && u256_bits(&r) == 256, "2^128 * 2^127 = 2^255 fits");
	CHECK(u256_sub(&r, &max, &max) == 0 && u256_is_zero(&r), "max - max");
	CHECK(u256_cmp(&one, &max) < 0 && u256_cmp(&max, &one) > 0 && u256_cmp(&one, &one) == 0, "cmp");

	CHECK(u256_pow10(&r, 18) == 0 && r.w[0] == 1000000000000000000ULL, "10^18");
	CHECK(u256_pow10(&r, 77) == 0 && u256_pow10(&r, 78) == -1, "10^77 fits, 10^78 does not");

	u256_neg(&r, &one);
	CHECK(u256_cmp(&r, &max) == 0, "-1 is all ones");
	u256_neg(&r, &r);
	CHECK(u256_cmp(&r, &one) == 0, "--1 is 1");

	/* Carries across every limb. */
	u256_parse("0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", &t);
	t.w[3] = 0;
	CHECK(u256_add(&r, &t, &one) == 0 && r.w[3] == 1 && !r.w[0] && !r.w[1] && !r.w[2], "carry chain");
	CHECK(u256_sub(&q, &r, &one) == 0 && u256_cmp(&q, &t) == 0, "borrow chain");

	/* Properties on random values. */
	int add_ok = 1, mul_ok = 1, div_ok = 1, fmt_ok = 1;
	for (i = 0; i < 2000; i++) {
		u256 a = rnd_u256(), b = rnd_u256(), s, d, p, back;
		uint64_t m = rnd() | 1, rem;
		char dec[U256_DEC_MAX], hex[U256_HEX_MAX];

		if (u256_add(&s, &a, &b) == 0) {
			add_ok &= u256_sub(&d, &s, &b) == 0 && u256_cmp(&d, &a) == 0;
			add_ok &= u256_cmp(&s, &a) >= 0;
		} else {
			/* overflow exactly when b > max - a */
			add_ok &= u256_sub(&d, &max, &a) == 0 && u256_cmp(&b, &d) > 0;
		}
		if (u256_mul_u64(&p, &a, m) == 0) {
			rem = u256_divmod_u64(&back, &p, m);
			mul_ok &= rem == 0 && u256_cmp(&back, &a) == 0;
		} else {
			mul_ok &= u256_bits(&a) + 64 > 256;
		}
		/* a = q*m + r with r < m */
		rem = u256_divmod_u64(&q, &a, m);
		div_ok &= rem < m;
		div_ok &= u256_mul_u64(&t, &q, m) == 0 && u256_add_u64(&t, &t, rem) == 0 && u256_cmp(&t, &a) == 0;
		/* bits bound the product */
		if (u256_mul(&p, &a, &b) == 0)
			mul_ok &= u256_is_zero(&a) || u256_is_zero(&b) || u256_bits(&p) >= u256_bits(&a) + u256_bits(&b) - 1;
		else
			mul_ok &= u256_bits(&a) + u256_bits(&b) > 256;
		u256_format_dec(&a, dec);
		u256_format_hex(&a, hex);
		fmt_ok &= u256_parse(dec, &back) == 0 && u256_cmp(&back, &a) == 0;
		fmt_ok &= u256_parse(hex, &back) == 0 && u256_cmp(&back, &a) == 0;
		fmt_ok &= (dec[0] != '0' || dec[1] == '\0') && (hex[2] != '0' || hex[3] == '\0');
	}
	CHECK(add_ok, "add/sub inverse on 2000 random pairs");
	CHECK(mul_ok, "mul/div inverse and overflow bounds");
	CHECK(div_ok, "divmod identity");
	CHECK(fmt_ok, "decimal and hex round trips, no leading zeros");
}

/* cast to-dec of random hex values agrees with u256_format_dec. */
static void test_cast(void)
{
	const char *tools = getenv("EHR_TOOLS");
	char cmd[512], line[128], dec[U256_DEC_MAX], hex[U256_HEX_MAX];
	int i, agree = 0;

	snprintf(cmd, sizeof(cmd), "%s/cast", tools ? tools : "");
	if (!tools || access(cmd, X_OK) != 0) {
		printf("skip: cast cross-check: cast not found (EHR_TOOLS)\n");
		return;
	}
	for (i = 0; i < 8; i++) {
		u256 a = rnd_u256();
		FILE *f;

		u256_format_hex(&a, hex);
		u256_format_dec(&a, dec);
		snprintf(cmd, sizeof(cmd), "'%s/cast' to-dec %s 2>/dev/null", tools, hex);
		if (!(f = popen(cmd, "r")))
			break;
		if (fgets(line, sizeof(line), f)) {
			line[strcspn(line, "\n")] = '\0';
			agree += strcmp(line, dec) == 0;
			if (strcmp(line, dec))
				fprintf(stderr, "cast to-dec %s: %s, we say %s\n", hex, line, dec);
		}
		pclose(f);
	}
	CHECK(agree == 8, "cast to-dec agrees on %d of 8", agree);
}

static void amount_ok(const char *in, unsigned decimals, unsigned flags, const char *want_dec)
{
	ehr_err e = { 0, "" };
	u256 v;
	char dec[U256_DEC_MAX];
	int rc = amount_parse(in, decimals, flags, &v, &e);

	CHECK(rc == 0, "amount '%s' at %u: %s", in, decimals, e.msg);
	if (rc)
		return;
	u256_format_dec(&v, dec);
	CHECK(strcmp(dec, want_dec) == 0, "amount '%s' at %u: got %s, want %s", in, decimals, dec, want_dec);
}

static void amount_bad(const char *in, unsigned decimals, unsigned flags, const char *msg_part)
{
	ehr_err e = { 0, "" };
	u256 v = u256_from_u64(99);
	int rc = amount_parse(in, decimals, flags, &v, &e);

	CHECK(rc == EHR_EUSAGE && e.status == EHR_EUSAGE && v.w[0] == 99,
	      "amount '%s' refused with usage status, output untouched (rc %d)", in, rc);
	CHECK(strstr(e.msg, msg_part) != NULL, "amount '%s': message '%s' should mention '%s'", in, e.msg, msg_part);
}

static void test_amount(void)
{
	amount_ok("0.25", 18, AMOUNT_UNITS, "250000000000000000");
	amount_ok("25.50", 6, 0, "25500000");
	amount_ok("25.5", 6, 0, "25500000");
	amount_ok("1", 18, 0, "1000000000000000000");
	amount_ok("100wei", 18, AMOUNT_UNITS, "100");
	amount_ok("100 WEI", 18, AMOUNT_UNITS, "100");
	amount_ok("2 gwei", 18, AMOUNT_UNITS, "2000000000");
	amount_ok("1.5gwei", 18, AMOUNT_UNITS, "1500000000");
	amount_ok("1.5ether", 18, AMOUNT_UNITS, "1500000000000000000");
	amount_ok("1.5 eth", 18, AMOUNT_UNITS, "1500000000000000000");
	amount_ok("  3 Ether ", 18, AMOUNT_UNITS, "3000000000000000000");
	amount_ok(".5", 2, 0, "50");
	amount_ok("3.", 2, 0, "300");
	amount_ok("0", 18, 0, "0");
	amount_ok("0.000000000000000001", 18, 0, "1");
	amount_ok("1.000000000000000000000", 18, 0, "1000000000000000000");	/* zeros past 18 carry nothing */
	amount_ok("7", 0, 0, "7");
	amount_ok("007.10", 1, 0, "71");
	amount_ok(max_dec, 0, 0, max_dec);
	amount_ok("1", 77, 0, "100000000000000000000000000000000000000000000000000000000000000000000000000000");

	amount_bad("", 18, 0, "empty");
	amount_bad("   ", 18, 0, "empty");
	amount_bad("-1", 18, 0, "negative");
	amount_bad("+1", 18, 0, "sign");
	amount_bad("1e18", 18, AMOUNT_UNITS, "exponent");
	amount_bad("1E-3", 18, 0, "exponent");
	amount_bad("1,000", 18, 0, "separator");
	amount_bad("1_000", 18, 0, "separator");
	amount_bad("1.2.3", 18, 0, "decimal point");
	amount_bad("0.1234567", 6, 0, "at most 6 decimal places");
	amount_bad("0.15", 1, 0, "at most 1 decimal place");
	amount_bad("1.5", 0, 0, "whole number");
	amount_bad("1.5 wei", 18, AMOUNT_UNITS, "whole number");
	amount_bad("0.0000000001 gwei", 18, AMOUNT_UNITS, "at most 9");
	amount_bad("5 gwei", 6, 0, "native coin");
	amount_bad("5 foo", 18, AMOUNT_UNITS, "unknown unit 'foo'");
	amount_bad("5  gwei", 18, AMOUNT_UNITS, "not a number");
	amount_bad("abc", 18, 0, "not a number");
	amount_bad(".", 18, 0, "not a number");
	amount_bad("0x10", 18, 0, "not a number");
	amount_bad("12 3", 18, 0, "not a number");
	amount_bad("1\n", 18, 0, "not a number");
	amount_bad("115792089237316195423570985008687907853269984665640564039457584007913129639936", 0, 0, "too large");
	amount_bad("1", 78, 0, "78 decimals");
	amount_bad("1157920892373161954235709850086879078532699846656405640394575840079131296399.36", 2, 0, "too large");
	{
		ehr_err e = { 0, "" };
		u256 v;
		char longin[200];

		memset(longin, '9', sizeof(longin) - 1);
		longin[sizeof(longin) - 1] = '\0';
		amount_parse(longin, 0, 0, &v, &e);
		CHECK(strlen(e.msg) < 120 && strstr(e.msg, "...'"), "long input shortened in the message: %s", e.msg);
	}
}

static void fmt_is(const char *val, unsigned decimals, const char *want)
{
	u256 v;
	char out[AMOUNT_FMT_MAX];

	u256_parse(val, &v);
	CHECK(amount_format(&v, decimals, out, sizeof(out)) == (int)strlen(want) && strcmp(out, want) == 0,
	      "format %s at %u: got '%s', want '%s'", val, decimals, out, want);
}

static void test_amount_format(void)
{
	char small[4];
	u256 v;

	fmt_is("25500000", 6, "25.5");
	fmt_is("1000000000000000000", 18, "1");
	fmt_is("1", 18, "0.000000000000000001");
	fmt_is("0", 18, "0");
	fmt_is("0", 0, "0");
	fmt_is("1200", 0, "1200");
	fmt_is("1200", 2, "12");
	fmt_is("1201", 2, "12.01");
	fmt_is("10", 1, "1");
	fmt_is(max_dec, 18, "115792089237316195423570985008687907853269984665640564039457.584007913129639935");
	fmt_is(max_dec, 77, "1.15792089237316195423570985008687907853269984665640564039457584007913129639935");
	fmt_is("5", 77, "0.00000000000000000000000000000000000000000000000000000000000000000000000000005");

	v = u256_from_u64(12345);
	CHECK(amount_format(&v, 2, small, sizeof(small)) == -1 && small[0] == '\0', "small buffer refused");
	CHECK(amount_format(&v, 78, small, sizeof(small)) == -1, "78 decimals refused");

	/* parse(format(x)) == x at assorted decimals */
	int ok = 1;
	for (int i = 0; i < 500; i++) {
		u256 a = rnd_u256(), b;
		unsigned d = (unsigned)(rnd() % 40);
		char out[AMOUNT_FMT_MAX];

		ok &= amount_format(&a, d, out, sizeof(out)) > 0;
		ok &= amount_parse(out, d, 0, &b, NULL) == 0 && u256_cmp(&a, &b) == 0;
	}
	CHECK(ok, "format then parse round trips");
}

static void dur_ok(const char *in, uint64_t want)
{
	ehr_err e = { 0, "" };
	uint64_t s = 0;
	int rc = duration_parse(in, &s, &e);

	CHECK(rc == 0 && s == want, "duration '%s': rc %d, %llu, want %llu (%s)", in, rc,
	      (unsigned long long)s, (unsigned long long)want, e.msg);
}

static void dur_bad(const char *in, const char *msg_part)
{
	ehr_err e = { 0, "" };
	uint64_t s = 42;
	int rc = duration_parse(in, &s, &e);

	CHECK(rc == EHR_EUSAGE && s == 42, "duration '%s' refused (rc %d)", in, rc);
	CHECK(strstr(e.msg, msg_part) != NULL, "duration '%s': message '%s' should mention '%s'", in, e.msg, msg_part);
}

static void test_duration(void)
{
	dur_ok("30m", 1800);
	dur_ok("2h", 7200);
	dur_ok("7d", 604800);
	dur_ok("90s", 90);
	dur_ok("1w", 604800);
	dur_ok("1h30m", 5400);
	dur_ok("1h 30m", 5400);
	dur_ok("2 hours", 7200);
	dur_ok("1 Day", 86400);
	dur_ok("45MIN", 2700);
	dur_ok("0h1s", 1);
	dur_ok("15250284452471w", 15250284452471ULL * 604800);

	dur_bad("", "empty");
	dur_bad("0m", "longer than zero");
	dur_bad("0s0m", "longer than zero");
	dur_bad("30", "give a unit");
	dur_bad("1h30", "give a unit");
	dur_bad("-5m", "positive");
	dur_bad("1.5h", "whole numbers");
	dur_bad("5y", "unknown unit 'y'");
	dur_bad("5 fortnights", "unknown unit");
	dur_bad("m", "expected a number");
	dur_bad("5m!", "expected a number");
	dur_bad("15250284452472w", "too long");
	dur_bad("99999999999999999999s", "too long");
	dur_bad("9223372036854775807s1s", "too long");
}

int main(void)
{
	test_parse_format();
	test_bytes();
	test_arith();
	test_cast();
	test_amount();
	test_amount_format();
	test_duration();
	return tap_done();
}
