/* ABI: the encodings worked through in the Solidity ABI specification
 * (baz, bar, sam, f, g), selectors and event topics, refusals when encoding
 * and decoding, hostile data (huge counts, offsets out of range, overlapping
 * offsets, mutations), and random types and values cross-checked with
 * cast abi-encode / cast calldata in both directions. */
#include "tap.h"

#include <stdarg.h>
#include <unistd.h>

#include "wallet/chain/abi.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/chain/revert.h"

static uint64_t rng_state = 777;

static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static char *hexdup(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 3);

	hex_encode0x(p, n, s);
	return s;
}

/* A 32-byte word holding a small number, as hex. */
static const char *w(unsigned long v)
{
	static char buf[32][65];
	static int k;
	char *b = buf[k++ % 32];

	snprintf(b, 65, "%064lx", v);
	return b;
}

/* A word of left-aligned text, as hex. */
static const char *wtext(const char *t)
{
	static const char hx[] = "0123456789abcdef";
	static char buf[8][65];
	static int k;
	char *b = buf[k++ % 8];
	size_t i;

	memset(b, '0', 64);
	b[64] = '\0';
	for (i = 0; t[i] && i < 32; i++) {
		b[2 * i] = hx[(unsigned char)t[i] >> 4];
		b[2 * i + 1] = hx[(unsigned char)t[i] & 15];
	}
	return b;
}

/* Joins hex fragments into one 0x string (static buffer). */
static const char *cat(const char *first, ...)
{
	static char buf[8192];
	va_list ap;
	const char *s;

	strcpy(buf, "0x");
	va_start(ap, first);
	for (s = first; s; s = va_arg(ap, const char *))
		strcat(buf, s);
	va_end(ap);
	return buf;
}

static void expect_call(const char *sig, abi_value *args, const char *want, const char *what)
{
	uint8_t *out = NULL;
	size_t len = 0;
	ehr_err e = { 0, "" };
	char *got;

	CHECK(abi_encode_call(sig, args, &out, &len, &e) == 0, "%s: encodes: %s", what, e.msg);
	got = out ? hexdup(out, len) : NULL;
	CHECK(got && !strcmp(got, want), "%s:\n got  %s\n want %s", what, got ? got : "(null)", want);
	free(got);
	free(out);
}

static int u64_at(const abi_value *v, uint64_t want)
{
	uint64_t x;

	return abi_get_u64(v, &x) == 0 && x == want;
}

static uint8_t *unhex_dup(const char *h, size_t *len)
{
	size_t n = strlen(h);
	uint8_t *p = malloc(n / 2 + 1);
	long got = test_unhex(h, p, n / 2 + 1);

	*len = got > 0 ? (size_t)got : 0;
	return p;
}

static void test_spec_examples(void)
{
	const char *want;
	abi_value *args, *out = NULL;
	uint8_t *data;
	size_t len, n;
	const uint8_t *b;
	ehr_err e = { 0, "" };
	int flag;

	/* baz(69, true) */
	want = cat("cdcd77c0", w(69), w(1), NULL);
	args = abi_tuple(2, abi_uint64(69), abi_bool(1));
	expect_call("baz(uint32,bool)", args, want, "baz");
	abi_free(args);
	data = unhex_dup(want, &len);
	CHECK(abi_decode_call("baz(uint32,bool)", data, len, &out, &e) == 0 && abi_count(out) == 2 &&
	      u64_at(abi_item(out, 0), 69) && abi_get_bool(abi_item(out, 1), &flag) == 0 && flag, "baz decodes: %s", e.msg);
	abi_free(out);
	free(data);

	/* bar(["abc", "def"]) */
	want = cat("fce353f6", wtext("abc"), wtext("def"), NULL);
	args = abi_tuple(1, abi_array(2, abi_fixed_bytes("abc", 3), abi_fixed_bytes("def", 3)));
	expect_call("bar(bytes3[2])", args, want, "bar");
	abi_free(args);
	data = unhex_dup(want, &len);
	CHECK(abi_decode_call("bar(bytes3[2])", data, len, &out, &e) == 0 && abi_count(abi_item(out, 0)) == 2 &&
	      (b = abi_get_bytes(abi_item(abi_item(out, 0), 1), &n)) && n == 3 && !memcmp(b, "def", 3), "bar decodes");
	abi_free(out);
	free(data);

	/* sam("dave", true, [1,2,3]), with "uint[]" canonicalized */
	want = cat("a5643bf2", w(0x60), w(1), w(0xa0), w(4), wtext("dave"), w(3), w(1), w(2), w(3), NULL);
	args = abi_tuple(3, abi_bytes("dave", 4), abi_bool(1), abi_array(3, abi_uint64(1), abi_uint64(2), abi_uint64(3)));
	expect_call("sam(bytes,bool,uint[])", args, want, "sam");
	abi_free(args);
	data = unhex_dup(want, &len);
	CHECK(abi_decode_call("sam(bytes,bool,uint256[])", data, len, &out, &e) == 0 &&
	      (b = abi_get_bytes(abi_item(out, 0), &n)) && n == 4 && !memcmp(b, "dave", 4) &&
	      abi_count(abi_item(out, 2)) == 3 && u64_at(abi_item(abi_item(out, 2), 2), 3), "sam decodes: %s", e.msg);
	abi_free(out);
	free(data);

	/* f(0x123, [0x456, 0x789], "1234567890", "Hello, world!") */
	want = cat("8be65246", w(0x123), w(0x80), wtext("1234567890"), w(0xe0), w(2), w(0x456), w(0x789), w(13),
		   wtext("Hello, world!"), NULL);
	args = abi_tuple(4, abi_uint64(0x123), abi_array(2, abi_uint64(0x456), abi_uint64(0x789)),
			 abi_fixed_bytes("1234567890", 10), abi_bytes("Hello, world!", 13));
	expect_call("f(uint,uint32[],bytes10,bytes)", args, want, "f");
	abi_free(args);
	data = unhex_dup(want, &len);
	CHECK(abi_decode_call("f(uint256,uint32[],bytes10,bytes)", data, len, &out, &e) == 0 &&
	      u64_at(abi_item(out, 0), 0x123) && u64_at(abi_item(abi_item(out, 1), 1), 0x789) &&
	      (b = abi_get_bytes(abi_item(out, 3), &n)) && n == 13 && !memcmp(b, "Hello, world!", 13), "f decodes");
	abi_free(out);
	free(data);

	/* g([[1, 2], [3]], ["one", "two", "three"]) */
	want = cat("2289b18c", w(0x40), w(0x140), w(2), w(0x40), w(0xa0), w(2), w(1), w(2), w(1), w(3),
		   w(3), w(0x60), w(0xa0), w(0xe0), w(3), wtext("one"), w(3), wtext("two"), w(5), wtext("three"), NULL);
	args = abi_tuple(2, abi_array(2, abi_array(2, abi_uint64(1), abi_uint64(2)), abi_array(1, abi_uint64(3))),
			 abi_array(3, abi_string("one"), abi_string("two"), abi_string("three")));
	expect_call("g(uint[][],string[])", args, want, "g");
	abi_free(args);
	data = unhex_dup(want, &len);
	CHECK(abi_decode_call("g(uint256[][],string[])", data, len, &out, &e) == 0 &&
	      abi_count(abi_item(out, 0)) == 2 && abi_count(abi_item(abi_item(out, 0), 0)) == 2 &&
	      u64_at(abi_item(abi_item(abi_item(out, 0), 1), 0), 3) &&
	      abi_get_string(abi_item(abi_item(out, 1), 2)) && !strcmp(abi_get_string(abi_item(abi_item(out, 1), 2)), "three"),
	      "g decodes: %s", e.msg);
	abi_free(out);
	free(data);
}

static void test_selectors(void)
{
	uint8_t sel[4], topic[32], want[32];
	char canon[128];
	ehr_err e = { 0, "" };

	CHECK(abi_selector("transfer(address,uint256)", sel, &e) == 0 && !memcmp(sel, "\xa9\x05\x9c\xbb", 4), "transfer selector");
	CHECK(abi_selector("transfer(address,uint)", sel, &e) == 0 && !memcmp(sel, "\xa9\x05\x9c\xbb", 4), "uint canonicalized");
	CHECK(abi_selector("Error(string)", sel, &e) == 0 && !memcmp(sel, "\x08\xc3\x79\xa0", 4), "Error(string) selector");
	CHECK(abi_selector("Panic(uint256)", sel, &e) == 0 && !memcmp(sel, "\x4e\x48\x7b\x71", 4), "Panic(uint256) selector");
	test_unhex("ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef", want, 32);
	CHECK(abi_event_topic("Transfer(address,address,uint256)", topic, &e) == 0 && !memcmp(topic, want, 32), "Transfer topic");
	CHECK(abi_canonical("f(uint,int,(uint,bytes)[2],tuple(bool)[])", canon, sizeof(canon), &e) == 0, "canonical: %s", e.msg);
	CHECK_STR(canon, "f(uint256,int256,(uint256,bytes)[2],(bool)[])");
	CHECK(abi_canonical("totalSupply()", canon, sizeof(canon), &e) == 0, "no arguments");
	CHECK_STR(canon, "totalSupply()");
	CHECK(abi_canonical("f(uint256)", canon, 5, &e) == EHR_EUSAGE, "too long for the buffer");

	const char *bad[] = { "", "f", "(uint256)", "f(uint256", "f(uint256))", "f(uint7)", "f(uint264)", "f(uint08)",
		"f(bytes0)", "f(bytes33)", "f(foo)", "f(uint256,)", "f(,uint256)", "f(uint256[0])", "f(uint256[01])",
		"f(uint256[65537])", "f(uint256[)", "f(())", "f(()[])", "f(uint256 x)", "f (uint256)", "1f(uint256)",
		"f(address payable)", "f(fixed128x18)", "f(int-8)", "f(uint256[2][70000])" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e.status = 0;
		CHECK(abi_selector(bad[i], sel, &e) == EHR_EUSAGE && e.status == EHR_EUSAGE, "'%s' refused (%s)", bad[i], e.msg);
	}
	/* Deep nesting is refused, not a stack overflow. */
	{
		char deep[300] = "f(";
		int i;

		for (i = 0; i < 100; i++)
			strcat(deep, "(");
		strcat(deep, "uint256");
		for (i = 0; i < 100; i++)
			strcat(deep, ")");
		strcat(deep, ")");
		CHECK(abi_selector(deep, sel, &e) == EHR_EUSAGE && strstr(e.msg, "deeply"), "100 nested tuples refused: %s", e.msg);
		strcpy(deep, "f(uint256");
		for (i = 0; i < 40; i++)
			strcat(deep, "[]");
		strcat(deep, ")");
		CHECK(abi_selector(deep, sel, &e) == EHR_EUSAGE, "40 array levels refused");
	}
}

static void enc_refused(const char *types, abi_value *args, int status, const char *msg_part)
{
	uint8_t *out = NULL;
	size_t len;
	ehr_err e = { 0, "" };
	int rc = abi_encode(types, args, &out, &len, &e);

	CHECK(rc == status && strstr(e.msg, msg_part) && !out, "encode %s refused with %d mentioning '%s' (rc %d: %s)",
	      types, status, msg_part, rc, e.msg);
	free(out);
	abi_free(args);
}

static void test_encode_refusals(void)
{
	uint8_t addr[20] = { 1 }, *out;
	size_t len;
	u256 big;
	abi_value *t;
	ehr_err e = { 0, "" };

	enc_refused("(uint8)", abi_tuple(1, abi_uint64(256)), EHR_EUSAGE, "too large for uint8");
	enc_refused("(int8)", abi_tuple(1, abi_int64(-129)), EHR_EUSAGE, "out of range for int8");
	enc_refused("(int8)", abi_tuple(1, abi_int64(128)), EHR_EUSAGE, "out of range for int8");
	enc_refused("(int8)", abi_tuple(1, abi_uint64(128)), EHR_EUSAGE, "out of range for int8");
	enc_refused("(bytes32)", abi_tuple(1, abi_fixed_bytes("abc", 3)), EHR_EUSAGE, "3 bytes given for bytes32");
	enc_refused("(address)", abi_tuple(1, abi_uint64(1)), EHR_EUSAGE, "uint given for address");
	enc_refused("(string)", abi_tuple(1, abi_bytes("x", 1)), EHR_EUSAGE, "bytes given for string");
	enc_refused("(bool)", abi_tuple(1, abi_uint64(1)), EHR_EUSAGE, "uint given for bool");
	enc_refused("(address,uint256)", abi_tuple(1, abi_address(addr)), EHR_EUSAGE, "1 values given for (address,uint256)");
	enc_refused("(uint256[2])", abi_tuple(1, abi_array(3, abi_uint64(1), abi_uint64(2), abi_uint64(3))), EHR_EUSAGE,
		    "3 elements given for uint256[2]");
	enc_refused("((uint256,bool)[])", abi_tuple(1, abi_array(1, abi_tuple(2, abi_uint64(1), abi_uint64(1)))),
		    EHR_EUSAGE, "uint given for bool");
	enc_refused("(uint256)", abi_tuple(1, abi_tuple(0)), EHR_EUSAGE, "tuple given for uint256");
	enc_refused("uint256", abi_tuple(1, abi_uint64(1)), EHR_EUSAGE, "must be a tuple");
	enc_refused("(uint256", abi_tuple(1, abi_uint64(1)), EHR_EUSAGE, "malformed");

	/* A tree built with a failed constructor: the container is broken. */
	t = abi_tuple_new();
	CHECK(abi_push(t, NULL) == -1, "pushing NULL fails");
	enc_refused("()", t, EHR_EFAIL, "incomplete");
	CHECK(abi_tuple(2, abi_uint64(1), NULL) == NULL, "abi_tuple with a NULL item gives NULL");
	CHECK(abi_fixed_bytes("x", 0) == NULL && abi_fixed_bytes("x", 33) == NULL, "bytes0 and bytes33 values refused");
	t = abi_uint64(5);
	CHECK(abi_push(t, abi_uint64(1)) == -1, "push into a scalar fails");
	abi_free(t);

	/* Edges that are fine: uint256 max, int256 min, int types from uints, empty calls. */
	big = u256_max();
	t = abi_tuple(3, abi_uint(&big), abi_int64(INT64_MIN), abi_uint64(127));
	CHECK(abi_encode("(uint256,int64,int8)", t, &out, &len, &e) == 0 && len == 96 && out[0] == 0xff && out[32] == 0xff &&
	      out[32 + 24] == 0x80 && out[32 + 31] == 0 && out[95] == 127, "edges encode: %s", e.msg);
	free(out);
	abi_free(t);
	t = abi_tuple_new();
	CHECK(abi_encode_call("totalSupply()", t, &out, &len, &e) == 0 && len == 4 && !memcmp(out, "\x18\x16\x0d\xdd", 4),
	      "totalSupply() is just the selector");
	free(out);
	abi_free(t);
}

/* Structural equality of two values. */
static int same(const abi_value *a, const abi_value *b)
{
	size_t la, lb, i;
	const uint8_t *pa, *pb;
	u256 x, y;

	if (!a || !b)
		return a == b;
	if (abi_kind_of(a) != abi_kind_of(b))
		return 0;
	switch (abi_kind_of(a)) {
	case ABI_UINT:
		return abi_get_uint(a, &x) == 0 && abi_get_uint(b, &y) == 0 && !u256_cmp(&x, &y);
	case ABI_INT:
		return abi_get_int(a, &x) == 0 && abi_get_int(b, &y) == 0 && !u256_cmp(&x, &y);
	case ABI_BOOL: {
		int p, q;

		return abi_get_bool(a, &p) == 0 && abi_get_bool(b, &q) == 0 && p == q;
	}
	case ABI_ADDRESS:
		return !memcmp(abi_get_address(a), abi_get_address(b), 20);
	case ABI_FIXED_BYTES:
	case ABI_BYTES:
	case ABI_STRING:
		pa = abi_get_bytes(a, &la);
		pb = abi_get_bytes(b, &lb);
		return la == lb && (!la || !memcmp(pa, pb, la));
	case ABI_ARRAY:
	case ABI_TUPLE:
		if (abi_count(a) != abi_count(b))
			return 0;
		for (i = 0; i < abi_count(a); i++) {
			if (!same(abi_item(a, i), abi_item(b, i)))
				return 0;
		}
		return 1;
	}
	return 0;
}

static void dec_refused(const char *types, const char *hex, const char *msg_part)
{
	size_t len;
	uint8_t *data = unhex_dup(hex, &len);
	abi_value *out = (abi_value *)1;
	ehr_err e = { 0, "" };
	int rc = abi_decode(types, data, len, &out, &e);

	CHECK(rc == EHR_EINTEGRITY && !out && strstr(e.msg, msg_part), "decode %s refused mentioning '%s' (rc %d: %s)",
	      types, msg_part, rc, e.msg);
	free(data);
}

static void test_decode_refusals(void)
{
	abi_value *out;
	ehr_err e = { 0, "" };
	uint8_t *data;
	size_t len, i;

	dec_refused("(uint8)", cat(w(0x100), NULL), "bits beyond");
	dec_refused("(uint8)", cat(w(0xff), NULL) + 60, "past the end");	/* 3 bytes */
	dec_refused("(int8)", cat(w(0x80), NULL), "sign-extended");
	dec_refused("(int8)", cat("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", NULL), "sign-extended");
	dec_refused("(address)", cat("0100000000000000000000000000000000000000000000000000000000000000", NULL), "before the address");
	dec_refused("(bool)", cat(w(2), NULL), "neither 0 nor 1");
	dec_refused("(bytes3)", cat("6162636400000000000000000000000000000000000000000000000000000000", NULL), "padding");
	dec_refused("(uint256,uint256)", cat(w(1), NULL), "past the end");
	dec_refused("(bytes)", cat(w(0x20), w(33), wtext("x"), NULL), "length runs past");
	dec_refused("(bytes)", cat(w(0x40), NULL), "offset points past");
	dec_refused("(bytes)", cat("ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", NULL), "offset points past");
	dec_refused("(string)", cat(w(0x20), "8000000000000000000000000000000000000000000000000000000000000000", NULL), "length runs past");
	dec_refused("(uint256[])", cat(w(0x20), "8000000000000000000000000000000000000000000000000000000000000000", NULL),
		    "count exceeds");
	dec_refused("(uint256[])", cat(w(0x20), w(3), w(1), w(2), NULL), "count exceeds");
	dec_refused("(uint256[][])", cat(w(0x20), w(1), w(0x20), w(5), NULL), "count exceeds");
	dec_refused("((uint256,bytes))", cat(w(0x20), w(1), NULL), "past the end");
	dec_refused("(string[2])", cat(w(0x20), w(0x40), w(0x1000), NULL), "past the end");

	/* Bytes after the values are ignored, as the EVM does. */
	data = unhex_dup(cat(w(7), w(8), NULL), &len);
	CHECK(abi_decode("(uint64)", data, len, &out, &e) == 0 && u64_at(abi_item(out, 0), 7), "trailing word ignored");
	abi_free(out);
	free(data);

	/* Overlapping offsets: 3000 strings all pointing at one 60 KB string
	 * would copy 180 MB from 160 KB of data. Refused. */
	{
		size_t nstr = 3000, slen = 60000, off = 0;

		len = 64 + 32 * nstr + 32 + slen;
		data = calloc(1, len);
		u256_to_be(&(u256){ { 0x20, 0, 0, 0 } }, data);
		u256_to_be(&(u256){ { nstr, 0, 0, 0 } }, data + 32);
		off = 32 * nstr;
		for (i = 0; i < nstr; i++)
			u256_to_be(&(u256){ { off, 0, 0, 0 } }, data + 64 + 32 * i);
		u256_to_be(&(u256){ { slen, 0, 0, 0 } }, data + 64 + off);
		memset(data + 96 + off, 'a', slen);
		CHECK(abi_decode("(string[])", data, len, &out, &e) == EHR_EINTEGRITY && strstr(e.msg, "overlapping"),
		      "shared string offsets refused: %s", e.msg);
		free(data);
	}
	/* And nested arrays whose elements all share one inner array: 200 x
	 * 200 x 200 = 8M values from 13 KB. Refused by the work bound. */
	{
		size_t n = 200;

		len = 32 + (32 + 32 * n) * 3;
		data = calloc(1, len);
		/* level 0: offset 0x20 to the outer array */
		u256_to_be(&(u256){ { 0x20, 0, 0, 0 } }, data);
		for (int lvl = 0; lvl < 3; lvl++) {
			uint8_t *a = data + 32 + (32 + 32 * n) * (size_t)lvl;

			u256_to_be(&(u256){ { n, 0, 0, 0 } }, a);
			for (i = 0; i < n; i++)
				/* every element points to the next level's array, right after this one */
				u256_to_be(&(u256){ { lvl < 2 ? 32 * n : 0, 0, 0, 0 } }, a + 32 + 32 * i);
		}
		CHECK(abi_decode("(uint256[][][])", data, len, &out, &e) == EHR_EINTEGRITY, "shared nested arrays refused: %s", e.msg);
		free(data);
	}
	/* A valid large input still decodes: 5000 addresses. */
	{
		size_t n = 5000;
		abi_value *arr = abi_array_new(), *args;
		uint8_t addr[20];

		for (i = 0; i < n; i++) {
			memset(addr, (int)(i & 0xff), 20);
			abi_push(arr, abi_address(addr));
		}
		args = abi_tuple(1, arr);
		CHECK(abi_encode("(address[])", args, &data, &len, &e) == 0 && len == 64 + 32 * n, "5000 addresses encode");
		CHECK(abi_decode("(address[])", data, len, &out, &e) == 0 && same(out, args), "and decode back: %s", e.msg);
		abi_free(out);
		abi_free(args);
		free(data);
	}
}

/* ---- random types and values ---- */

/* Generates a random type at *tp into out (canonical), at most depth deep. */
static void gen_type(char *out, size_t cap, int depth)
{
	size_t l = strlen(out);
	int r = (int)(rnd() % (depth < 3 ? 11 : 7));

	switch (r) {
	case 0: snprintf(out + l, cap - l, "uint%u", 8 * (unsigned)(1 + rnd() % 32)); break;
	case 1: snprintf(out + l, cap - l, "int%u", 8 * (unsigned)(1 + rnd() % 32)); break;
	case 2: snprintf(out + l, cap - l, "address"); break;
	case 3: snprintf(out + l, cap - l, "bool"); break;
	case 4: snprintf(out + l, cap - l, "bytes%u", (unsigned)(1 + rnd() % 32)); break;
	case 5: snprintf(out + l, cap - l, "bytes"); break;
	case 6: snprintf(out + l, cap - l, "string"); break;
	case 7: case 8:
		gen_type(out, cap, depth + 1);
		l = strlen(out);
		if (r == 7)
			snprintf(out + l, cap - l, "[]");
		else
			snprintf(out + l, cap - l, "[%u]", (unsigned)(1 + rnd() % 3));
		break;
	default: {
		int n = 1 + (int)(rnd() % 3);

		snprintf(out + l, cap - l, "(");
		for (int i = 0; i < n; i++) {
			if (i)
				strcat(out, ",");
			gen_type(out, cap, depth + 1);
		}
		strcat(out, ")");
	}
	}
}

/* Length of the next item of a comma-separated list of types or of cast
 * values, up to a top-level ',' or the closing bracket. */
static size_t type_len(const char *t)
{
	int depth = 0;
	size_t i;

	for (i = 0; t[i]; i++) {
		if (t[i] == '(' || t[i] == '[')
			depth++;
		else if (t[i] == ')' || t[i] == ']') {
			if (!depth)
				return i;
			depth--;
		} else if (t[i] == ',' && !depth)
			return i;
	}
	return i;
}

static void appendf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void appendf(char *buf, size_t cap, const char *fmt, ...)
{
	size_t l = strlen(buf);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf + l, cap - l, fmt, ap);
	va_end(ap);
}

/* A random value of the type string t (len tl) into *v, cast's notation appended to castv. */
static void value_for(const char *t, size_t tl, abi_value **v, char *castv, size_t cap)
{
	char type[1024];
	size_t i;

	snprintf(type, sizeof(type), "%.*s", (int)tl, t);
	/* Arrays: the suffix of the whole type. */
	if (type[tl - 1] == ']') {
		size_t open = tl - 1;
		unsigned k;

		while (type[open] != '[')
			open--;
		k = type[open + 1] == ']' ? (unsigned)(rnd() % 4) : (unsigned)atoi(type + open + 1);
		*v = abi_array_new();
		appendf(castv, cap, "[");
		for (i = 0; i < k; i++) {
			abi_value *item;

			if (i)
				appendf(castv, cap, ",");
			value_for(type, open, &item, castv, cap);
			abi_push(*v, item);
		}
		appendf(castv, cap, "]");
		return;
	}
	if (type[0] == '(') {
		const char *p = type + 1;

		*v = abi_tuple_new();
		appendf(castv, cap, "(");
		while (*p && *p != ')') {
			size_t n = type_len(p);
			abi_value *item;

			if (p != type + 1)
				appendf(castv, cap, ",");
			value_for(p, n, &item, castv, cap);
			abi_push(*v, item);
			p += n;
			if (*p == ',')
				p++;
		}
		appendf(castv, cap, ")");
		return;
	}
	if (!strncmp(type, "uint", 4) || !strncmp(type, "int", 3)) {
		int is_int = type[0] == 'i';
		unsigned bits = (unsigned)atoi(type + (is_int ? 3 : 4));
		unsigned use = (unsigned)(rnd() % (bits + 1));
		u256 x = { { rnd(), rnd(), rnd(), rnd() } };
		char dec[U256_DEC_MAX + 1];

		/* keep `use` low bits (one less for ints, which get a sign) */
		if (is_int && use == bits)
			use--;
		for (i = 0; i < 4; i++) {
			if (use <= 64 * i)
				x.w[i] = 0;
			else if (use < 64 * (i + 1))
				x.w[i] &= (1ULL << (use - 64 * i)) - 1;
		}
		u256_format_dec(&x, dec);
		if (is_int && rnd() % 2 && !u256_is_zero(&x)) {
			u256 neg;

			u256_neg(&neg, &x);
			*v = abi_int(&neg);
			appendf(castv, cap, "-%s", dec);
		} else {
			*v = is_int ? abi_int(&x) : abi_uint(&x);
			appendf(castv, cap, "%s", dec);
		}
		return;
	}
	if (!strcmp(type, "address")) {
		uint8_t a[20];
		char h[43];

		for (i = 0; i < 20; i++)
			a[i] = (uint8_t)rnd();
		*v = abi_address(a);
		hex_encode0x(a, 20, h);
		appendf(castv, cap, "%s", h);
		return;
	}
	if (!strcmp(type, "bool")) {
		int b = (int)(rnd() % 2);

		*v = abi_bool(b);
		appendf(castv, cap, "%s", b ? "true" : "false");
		return;
	}
	if (!strcmp(type, "string")) {
		static const char alnum[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
		char s[80];
		size_t n = 1 + rnd() % 69;	/* cast has no notation for "" inside a tuple */

		for (i = 0; i < n; i++)
			s[i] = alnum[rnd() % (sizeof(alnum) - 1)];
		s[n] = '\0';
		*v = abi_string(s);
		appendf(castv, cap, "%s", s);
		return;
	}
	/* bytes and bytesN */
	{
		uint8_t b[80];
		char h[200];
		size_t n = !strcmp(type, "bytes") ? rnd() % 70 : (size_t)atoi(type + 5);

		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rnd();
		*v = strcmp(type, "bytes") ? abi_fixed_bytes(b, n) : abi_bytes(b, n);
		hex_encode0x(b, n, h);
		appendf(castv, cap, "%s", h);
	}
}

static int have_cast(void)
{
	const char *tools = getenv("EHR_TOOLS");
	char path[4096];

	snprintf(path, sizeof(path), "%s/cast", tools ? tools : "");
	return tools && access(path, X_OK) == 0;
}

/* Runs cast with args (already shell-quoted); first line of stdout into out. */
static int run_cast(const char *args, char *out, size_t cap)
{
	size_t n = strlen(args) + 4096;
	char *cmd = malloc(n);
	FILE *f;
	size_t got;
	int rc;

	snprintf(cmd, n, "'%s/cast' %s 2>&1", getenv("EHR_TOOLS"), args);
	f = popen(cmd, "r");
	free(cmd);
	if (!f)
		return -1;
	got = fread(out, 1, cap - 1, f);
	out[got] = '\0';
	rc = pclose(f);
	out[strcspn(out, "\n")] = '\0';
	return rc == 0 ? 0 : -1;
}

/* Random types and values: ours against cast abi-encode, and our decoder
 * on cast's bytes. Also the same property without cast: decode(encode(v)) == v,
 * and every truncation either fails or decodes the same (only padding cut). */
static void test_random(void)
{
	int with_cast = have_cast(), cast_agree = 0, cast_total = 0, rt_ok = 1, trunc_ok = 1, i;
	static char castv[16384], args[20000], got[40000];

	if (!with_cast)
		printf("skip: cast abi-encode cross-check: cast not found (EHR_TOOLS)\n");
	for (i = 0; i < 300; i++) {
		char type[600] = "(";
		abi_value *v, *back = NULL;
		uint8_t *enc = NULL;
		size_t len = 0, cut;
		ehr_err e = { 0, "" };
		int nargs = 1 + (int)(rnd() % 3);

		for (int k = 0; k < nargs; k++) {
			if (k)
				strcat(type, ",");
			gen_type(type, sizeof(type) - 2, 0);
		}
		strcat(type, ")");
		castv[0] = '\0';
		value_for(type, strlen(type), &v, castv, sizeof(castv));
		if (abi_encode(type, v, &enc, &len, &e)) {
			CHECK(0, "random %s encodes: %s", type, e.msg);
			abi_free(v);
			continue;
		}
		rt_ok &= abi_decode(type, enc, len, &back, &e) == 0 && same(v, back);
		if (!rt_ok && back == NULL)
			fprintf(stderr, "round trip %s: %s\n", type, e.msg);
		abi_free(back);
		for (cut = 0; cut < len; cut += 1 + rnd() % 40) {
			uint8_t *p = malloc(cut ? cut : 1);

			memcpy(p, enc, cut);
			if (abi_decode(type, p, cut, &back, NULL) == 0) {
				trunc_ok &= same(v, back);
				abi_free(back);
			}
			free(p);
		}

		/* cast: "sig" then each top-level value quoted; values come as a tuple in castv */
		if (with_cast && i < 60 && strlen(castv) < sizeof(castv) - 10) {
			char *p = castv + 1, *hex;
			size_t al;

			snprintf(args, sizeof(args), "abi-encode 'f%s' --", type);
			/* split the top-level tuple of values */
			for (int k = 0; k < nargs; k++) {
				size_t n = type_len(p);

				al = strlen(args);
				snprintf(args + al, sizeof(args) - al, " '%.*s'", (int)n, p);
				p += n + 1;
			}
			hex = hexdup(enc, len);
			cast_total++;
			if (run_cast(args, got, sizeof(got)) == 0 && !strcmp(got, hex)) {
				cast_agree++;
			} else {
				fprintf(stderr, "cast %s\n  cast: %.300s\n  ours: %.300s\n", args, got, hex);
			}
			/* and our decoder on what cast made */
			if (got[0] == '0' && got[1] == 'x') {
				size_t cl;
				uint8_t *cb = unhex_dup(got, &cl);

				CHECK(abi_decode(type, cb, cl, &back, &e) == 0 && same(v, back), "decode cast's %s: %s", type, e.msg);
				abi_free(back);
				free(cb);
			}
			free(hex);
		}
		abi_free(v);
		free(enc);
	}
	CHECK(rt_ok, "300 random types round trip");
	CHECK(trunc_ok, "truncations fail or lose only padding");
	if (with_cast)
		CHECK(cast_agree == cast_total && cast_total > 0, "cast abi-encode agrees on %d of %d", cast_agree, cast_total);
}

/* cast calldata for a registry-like call, and cast abi-decode of ours. */
static void test_cast_calldata(void)
{
	static const char sig[] = "grant(address,uint64,bool,uint256[],bytes[],(bytes32,string))";
	uint8_t addr[20], h[32], *out;
	size_t len;
	ehr_err e = { 0, "" };
	char got[8192], *hex, *addrhex, *hhex;
	abi_value *args;

	if (!have_cast()) {
		printf("skip: cast calldata cross-check: cast not found (EHR_TOOLS)\n");
		return;
	}
	memset(addr, 0xab, 20);
	memset(h, 0x11, 32);
	args = abi_tuple(6, abi_address(addr), abi_uint64(1800), abi_bool(1),
			 abi_array(3, abi_uint64(1), abi_uint64(22), abi_uint64(333)),
			 abi_array(2, abi_bytes("\x01\x02", 2), abi_bytes("", 0)),
			 abi_tuple(2, abi_fixed_bytes(h, 32), abi_string("read only")));
	CHECK(abi_encode_call(sig, args, &out, &len, &e) == 0, "grant encodes: %s", e.msg);
	hex = hexdup(out, len);
	addrhex = hexdup(addr, 20);
	hhex = hexdup(h, 32);
	{
		char cmd[2048];

		snprintf(cmd, sizeof(cmd), "calldata '%s' %s 1800 true '[1,22,333]' '[0x0102,0x]' '(%s,read only)'",
			 sig, addrhex, hhex);
		CHECK(run_cast(cmd, got, sizeof(got)) == 0 && !strcmp(got, hex), "cast calldata agrees:\n cast %s\n ours %s", got, hex);
		/* cast reads our bytes back: the string and the last number come out. */
		snprintf(cmd, sizeof(cmd), "decode-calldata '%s' %s", sig, hex);
		{
			FILE *f;
			char full[8192], c2[8300];
			size_t n;

			snprintf(c2, sizeof(c2), "'%s/cast' %s 2>&1", getenv("EHR_TOOLS"), cmd);
			f = popen(c2, "r");
			n = f ? fread(full, 1, sizeof(full) - 1, f) : 0;
			full[n] = '\0';
			if (f)
				pclose(f);
			CHECK(strstr(full, "1800") && strstr(full, "[1, 22, 333]") && strstr(full, "read only") &&
			      strstr(full, "true"), "cast decode-calldata shows our values:\n%s", full);
		}
	}
	free(hex);
	free(addrhex);
	free(hhex);
	free(out);
	abi_free(args);

	/* cast abi-decode reads our return-data encoding. */
	{
		char cmd[4096], full[4096], want[512], a55[43];
		FILE *f;
		size_t n;

		memset(addr, 0x5c, 20);
		args = abi_tuple(4, abi_uint64(42), abi_string("hi there"), abi_array(1, abi_address(addr)), abi_int64(-7));
		CHECK(abi_encode("(uint256,string,address[],int8)", args, &out, &len, &e) == 0, "return data encodes");
		hex = hexdup(out, len);
		snprintf(cmd, sizeof(cmd), "'%s/cast' abi-decode 'f()(uint256,string,address[],int8)' %s 2>&1",
			 getenv("EHR_TOOLS"), hex);
		f = popen(cmd, "r");
		n = f ? fread(full, 1, sizeof(full) - 1, f) : 0;
		full[n] = '\0';
		if (f)
			pclose(f);
		eip55_format(addr, a55);
		snprintf(want, sizeof(want), "42\n\"hi there\"\n[%s]\n-7\n", a55);
		CHECK(!strcmp(full, want), "cast abi-decode shows our values:\n%s", full);
		free(hex);
		free(out);
		abi_free(args);
	}
	/* cast sig agrees with our selectors, custom errors included. */
	{
		static const char *sigs[] = { "GrantExpired(uint256,uint64)", "anchor(bytes32,uint64,string,bytes)",
			"grantMany((address,uint64,bytes32[])[])" };
		uint8_t sel[4];
		char cmd[256], mine[16];

		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
			snprintf(cmd, sizeof(cmd), "sig '%s'", sigs[i]);
			abi_selector(sigs[i], sel, NULL);
			hex_encode0x(sel, 4, mine);
			CHECK(run_cast(cmd, got, sizeof(got)) == 0 && !strcmp(got, mine), "cast sig %s: %s, ours %s", sigs[i], got, mine);
		}
	}
}

static void test_accessors_and_format(void)
{
	uint8_t addr[20];
	char buf[256], small[12];
	abi_value *v;
	uint64_t u;
	int64_t i;
	int b;
	u256 x;

	test_unhex("5aaeb6053f3e94c9b9a09f33669435e7ef1beaed", addr, 20);
	v = abi_tuple(7, abi_uint64(69), abi_int64(-5), abi_bool(1), abi_address(addr), abi_bytes("\x01\xff", 2),
		      abi_string("ok \x1b[31mred\x1b[0m \xc3\xa9\xff"), abi_array(2, abi_uint64(1), abi_tuple(0)));
	CHECK(v && abi_count(v) == 7, "tuple of 7");
	abi_format(v, buf, sizeof(buf));
	CHECK_STR(buf, "(69,-5,true,0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed,0x01ff,ok ?[31mred?[0m \xc3\xa9?,[1,()])");
	CHECK(abi_format(v, small, sizeof(small)) == 11 && !strcmp(small, "(69,-5,t..."), "truncated format: '%s'", small);
	CHECK(abi_format(abi_item(v, 5), small, 8) <= 7 && !strcmp(small, "ok ?..."), "string truncated: '%s'", small);

	CHECK(abi_get_u64(abi_item(v, 0), &u) == 0 && u == 69, "u64");
	CHECK(abi_get_u64(abi_item(v, 1), &u) == -1, "int is not a u64");
	CHECK(abi_get_i64(abi_item(v, 1), &i) == 0 && i == -5, "i64");
	CHECK(abi_get_int(abi_item(v, 1), &x) == 0 && x.w[3] == UINT64_MAX, "int as two's complement");
	CHECK(abi_get_bool(abi_item(v, 2), &b) == 0 && b == 1, "bool");
	CHECK(abi_get_bool(abi_item(v, 0), &b) == -1, "uint is not a bool");
	CHECK(abi_get_address(abi_item(v, 3)) && !memcmp(abi_get_address(abi_item(v, 3)), addr, 20), "address");
	CHECK(abi_get_address(abi_item(v, 4)) == NULL, "bytes are not an address");
	CHECK(abi_get_string(abi_item(v, 4)) == NULL && abi_get_string(abi_item(v, 5)) != NULL, "string accessor");
	CHECK(abi_item(v, 7) == NULL && abi_item(abi_item(v, 0), 0) == NULL && abi_item(NULL, 0) == NULL, "out of range items");
	CHECK(abi_get_u64(abi_item(v, 99), &u) == -1 && abi_count(NULL) == 0, "NULL-safe accessors");
	abi_free(v);

	/* int64 limits and wider ints */
	v = abi_int64(INT64_MIN);
	CHECK(abi_get_i64(v, &i) == 0 && i == INT64_MIN, "INT64_MIN");
	abi_free(v);
	u256_parse("0x8000000000000000", &x);	/* 2^63: not an int64 */
	v = abi_int(&x);
	CHECK(abi_get_i64(v, &i) == -1, "2^63 does not fit int64");
	abi_format(v, buf, sizeof(buf));
	CHECK_STR(buf, "9223372036854775808");
	abi_free(v);
}

/* An ERC-20 Transfer log: topics carry the indexed addresses, data the amount. */
static void test_event_log(void)
{
	uint8_t topic0[32], t1[32] = { 0 }, t2[32] = { 0 }, *data;
	size_t len;
	abi_value *from = NULL, *to = NULL, *amount = NULL, *args;
	ehr_err e = { 0, "" };
	uint64_t v;

	CHECK(abi_event_topic("Transfer(address,address,uint256)", topic0, &e) == 0, "topic");
	memset(t1 + 12, 0x11, 20);
	memset(t2 + 12, 0x22, 20);
	args = abi_tuple(1, abi_uint64(123456789));
	CHECK(abi_encode("(uint256)", args, &data, &len, &e) == 0 && len == 32, "data");
	CHECK(abi_decode("(address)", t1, 32, &from, &e) == 0 && abi_decode("(address)", t2, 32, &to, &e) == 0 &&
	      abi_decode("(uint256)", data, len, &amount, &e) == 0, "log decodes");
	CHECK(abi_get_address(abi_item(from, 0))[0] == 0x11 && abi_get_address(abi_item(to, 0))[19] == 0x22 &&
	      abi_get_u64(abi_item(amount, 0), &v) == 0 && v == 123456789, "log values");
	abi_free(amount);
	CHECK(abi_decode_call("Transfer(address,address,uint256)", data, len, &amount, &e) == EHR_EFAIL && !amount,
	      "selector mismatch");
	abi_free(from);
	abi_free(to);
	abi_free(args);
	free(data);
}

/* Random bytes and mutated encodings through the decoder: no crash, no
 * leak (ASan), and only EHR_EINTEGRITY as a failure. */
static void test_mutations(void)
{
	static const char *types[] = { "(uint256[],string,bytes32)", "((uint64,bytes)[],address[2][])",
		"(string[],uint8,(bool,bytes[])[3])", "(bytes,bytes,bytes)" };
	int bad_status = 0, decoded = 0, i;

	for (i = 0; i < 4000; i++) {
		const char *type = types[i % 4];
		abi_value *v, *out = NULL;
		char castv[8192] = "";
		uint8_t *enc, *m;
		size_t len, k, mlen;
		int rc;

		value_for(type, strlen(type), &v, castv, sizeof(castv));
		if (abi_encode(type, v, &enc, &len, NULL)) {
			abi_free(v);
			continue;
		}
		mlen = len;
		m = malloc(mlen ? mlen : 1);
		memcpy(m, enc, mlen);
		for (k = 0; mlen && k < 1 + rnd() % 4; k++) {
			size_t pos = rnd() % mlen;

			/* offsets and lengths live in the last bytes of words */
			if (rnd() % 2)
				pos = pos / 32 * 32 + 31 - rnd() % 3;
			if (pos < mlen)
				m[pos] = (uint8_t)rnd();
		}
		rc = abi_decode(type, m, mlen, &out, NULL);
		if (rc == 0)
			decoded++;
		else if (rc != EHR_EINTEGRITY)
			bad_status++;
		abi_free(out);
		abi_free(v);
		free(m);
		free(enc);
	}
	CHECK(bad_status == 0, "%d mutations failed with a status other than integrity", bad_status);
	CHECK(decoded > 100, "some mutations still decode (%d)", decoded);
}

static const revert_error registry_errors[] = {
	{ "GrantExpired(uint256,uint64)", "grant %1 expired at %2" },
	{ "NotOwner(address)", NULL },
	{ "Percent(uint8)", "%1%% of the quota used; %3 is not there" },
	{ "not a signature", "never matches" },
	{ "Paused()", "the registry is paused" },
};
#define N_ERRORS (sizeof(registry_errors) / sizeof(registry_errors[0]))

/* Encodes a call of sig with args (freed) and describes it as revert data. */
static int describe(const char *sig, abi_value *args, char *out, size_t cap)
{
	uint8_t *data = NULL;
	size_t len = 0;
	int kind;

	CHECK(abi_encode_call(sig, args, &data, &len, NULL) == 0, "%s encodes", sig);
	kind = revert_describe(data, len, registry_errors, N_ERRORS, out, cap);
	free(data);
	abi_free(args);
	return kind;
}

static void test_revert(void)
{
	char out[256], tiny[16];
	uint8_t addr[20], raw[64];
	u256 big;
	int kind;

	CHECK(revert_describe(NULL, 0, NULL, 0, out, sizeof(out)) == REVERT_EMPTY, "empty");
	CHECK_STR(out, "reverted without a reason");
	kind = describe("Error(string)", abi_tuple(1, abi_string("grant is revoked")), out, sizeof(out));
	CHECK(kind == REVERT_REASON, "Error(string) kind");
	CHECK_STR(out, "grant is revoked");
	describe("Error(string)", abi_tuple(1, abi_string("\x1b]0;pwned\x07 ok\n")), out, sizeof(out));
	CHECK_STR(out, "?]0;pwned? ok?");
	describe("Error(string)", abi_tuple(1, abi_string("")), out, sizeof(out));
	CHECK_STR(out, "reverted with an empty reason");

	describe("Panic(uint256)", abi_tuple(1, abi_uint64(0x11)), out, sizeof(out));
	CHECK_STR(out, "arithmetic overflow or underflow");
	describe("Panic(uint256)", abi_tuple(1, abi_uint64(0x12)), out, sizeof(out));
	CHECK_STR(out, "division or modulo by zero");
	kind = describe("Panic(uint256)", abi_tuple(1, abi_uint64(0x32)), out, sizeof(out));
	CHECK(kind == REVERT_PANIC, "panic kind");
	CHECK_STR(out, "array index out of bounds");
	describe("Panic(uint256)", abi_tuple(1, abi_uint64(0x01)), out, sizeof(out));
	CHECK_STR(out, "assertion failed");
	describe("Panic(uint256)", abi_tuple(1, abi_uint64(0x99)), out, sizeof(out));
	CHECK_STR(out, "panic with unknown code 0x99");
	big = u256_max();
	describe("Panic(uint256)", abi_tuple(1, abi_uint(&big)), out, sizeof(out));
	CHECK_STR(out, "panic with an unknown code");

	kind = describe("GrantExpired(uint256,uint64)", abi_tuple(2, abi_uint64(7), abi_uint64(1700000000)), out, sizeof(out));
	CHECK(kind == REVERT_CUSTOM, "custom kind");
	CHECK_STR(out, "grant 7 expired at 1700000000");
	test_unhex("fb6916714e8648a9a1fdc83f3d87bc6fb0e3ce2a", addr, 20);
	describe("NotOwner(address)", abi_tuple(1, abi_address(addr)), out, sizeof(out));
	{
		char want[64] = "NotOwner(";

		eip55_format(addr, want + 9);
		strcat(want, ")");
		CHECK_STR(out, want);
	}
	describe("Percent(uint8)", abi_tuple(1, abi_uint64(80)), out, sizeof(out));
	CHECK_STR(out, "80% of the quota used; ? is not there");
	describe("Paused()", abi_tuple(0), out, sizeof(out));
	CHECK_STR(out, "the registry is paused");
	/* Right selector, unreadable arguments. */
	{
		uint8_t sel[4];

		abi_selector("GrantExpired(uint256,uint64)", sel, NULL);
		memcpy(raw, sel, 4);
		memset(raw + 4, 0xff, 40);
		CHECK(revert_describe(raw, 44, registry_errors, N_ERRORS, out, sizeof(out)) == REVERT_CUSTOM, "custom, bad args");
		CHECK_STR(out, "reverted with GrantExpired(uint256,uint64) (arguments unreadable)");
		CHECK(revert_match(raw, 44, registry_errors, N_ERRORS) == 0, "match index 0");
		abi_selector("Paused()", sel, NULL);
		CHECK(revert_match(sel, 4, registry_errors, N_ERRORS) == 4, "match index 4");
		CHECK(revert_match(sel, 4, NULL, 0) == -1 && revert_match(sel, 3, registry_errors, N_ERRORS) == -1, "no match");
	}
	/* Unknown and malformed. */
	memcpy(raw, "\x12\x34\x56\x78\x00", 5);
	CHECK(revert_describe(raw, 5, registry_errors, N_ERRORS, out, sizeof(out)) == REVERT_UNKNOWN, "unknown");
	CHECK_STR(out, "reverted with unknown error 0x12345678");
	CHECK(revert_describe(raw, 4, NULL, 0, out, sizeof(out)) == REVERT_UNKNOWN, "unknown without a table");
	CHECK(revert_describe(raw, 3, NULL, 0, out, sizeof(out)) == REVERT_MALFORMED, "3 bytes");
	CHECK_STR(out, "reverted with malformed error data");
	memcpy(raw, "\x08\xc3\x79\xa0", 4);
	memset(raw + 4, 0, 32);
	raw[35] = 0x20;
	CHECK(revert_describe(raw, 36, NULL, 0, out, sizeof(out)) == REVERT_MALFORMED, "Error(string) with a dangling offset");
	CHECK_STR(out, "reverted with malformed Error(string) data");

	/* Small buffers: cut with "...", always terminated; none at all is fine. */
	kind = describe("Error(string)", abi_tuple(1, abi_string("a rather long reason that does not fit")), tiny, sizeof(tiny));
	CHECK(kind == REVERT_REASON && strlen(tiny) == 15 && !strcmp(tiny + 12, "..."), "cut reason: '%s'", tiny);
	describe("GrantExpired(uint256,uint64)", abi_tuple(2, abi_uint64(123456789), abi_uint64(1700000000)), tiny, sizeof(tiny));
	CHECK(strlen(tiny) == 15 && !strcmp(tiny + 12, "..."), "cut sentence: '%s'", tiny);
	CHECK(revert_describe(raw, 3, NULL, 0, tiny, 0) == REVERT_MALFORMED, "cap 0");
	CHECK(revert_describe(NULL, 0, NULL, 0, tiny, 1) == REVERT_EMPTY && tiny[0] == '\0', "cap 1");
}

int main(void)
{
	test_spec_examples();
	test_selectors();
	test_encode_refusals();
	test_decode_refusals();
	test_accessors_and_format();
	test_event_log();
	test_random();
	test_mutations();
	test_cast_calldata();
	test_revert();
	return tap_done();
}
