/* wallet/registry/invoices.c without a node: the call data (decoded back, amount
 * bounds of the registry's uint96), the memo sealed to one key only, and
 * what an opened memo may put on a terminal. */
#include "tap.h"

#include <sodium.h>

#include "wallet/chain/abi.h"
#include "wallet/chain/revert.h"
#include "wallet/registry/invoices.h"
#include "wallet/registry/registry.h"

static void test_issue_call(void)
{
	uint8_t patient[20], token[20], zero[20] = { 0 }, memo[5] = { 1, 2, 3, 4, 5 }, *data = NULL;
	size_t len = 0, mlen = 0;
	abi_value *v = NULL;
	const uint8_t *m;
	u256 amount, got, max96;
	uint64_t due;
	ehr_err e = { 0 };

	memset(patient, 0x11, 20);
	memset(token, 0x22, 20);
	amount = u256_from_u64(25500000);
	CHECK(!invoice_call_issue(patient, token, &amount, 1900000000, memo, 5, &data, &len, &e), "%s", e.msg);
	CHECK(!abi_decode_call("issueInvoice(address,address,uint256,uint64,bytes)", data, len, &v, &e),
	      "%s", e.msg);
	CHECK(v && !memcmp(abi_get_address(abi_item(v, 0)), patient, 20), "patient");
	CHECK(v && !memcmp(abi_get_address(abi_item(v, 1)), token, 20), "token");
	CHECK(v && !abi_get_uint(abi_item(v, 2), &got) && !u256_cmp(&got, &amount), "amount");
	CHECK(v && !abi_get_u64(abi_item(v, 3), &due) && due == 1900000000, "due");
	m = v ? abi_get_bytes(abi_item(v, 4), &mlen) : NULL;
	CHECK(m && mlen == 5 && !memcmp(m, memo, 5), "memo");
	abi_free(v);
	free(data);
	v = NULL;
	data = NULL;

	/* native: the zero token; no memo: empty bytes */
	CHECK(!invoice_call_issue(patient, NULL, &amount, 0, NULL, 0, &data, &len, &e), "%s", e.msg);
	CHECK(!abi_decode_call("issueInvoice(address,address,uint256,uint64,bytes)", data, len, &v, &e),
	      "%s", e.msg);
	CHECK(v && !memcmp(abi_get_address(abi_item(v, 1)), zero, 20), "native is token 0");
	CHECK(v && abi_get_bytes(abi_item(v, 4), &mlen) && mlen == 0, "no memo");
	abi_free(v);
	free(data);
	data = NULL;

	/* the registry's bounds: 1 .. 2^96 - 1 */
	CHECK(u256_parse("0xffffffffffffffffffffffff", &max96) == 0, "parse");
	CHECK(!invoice_call_issue(patient, token, &max96, 0, NULL, 0, &data, &len, &e), "2^96 - 1: %s", e.msg);
	free(data);
	data = NULL;
	u256_add_u64(&amount, &max96, 1);
	CHECK(invoice_call_issue(patient, token, &amount, 0, NULL, 0, &data, &len, &e) == EHR_EUSAGE, "2^96");
	CHECK(strstr(e.msg, "2^96") != NULL, "%s", e.msg);
	CHECK(!data, "no data on refusal");
	amount = u256_from_u64(0);
	CHECK(invoice_call_issue(patient, token, &amount, 0, NULL, 0, &data, &len, &e) == EHR_EUSAGE, "zero");
	amount = u256_from_u64(1);
	CHECK(invoice_call_issue(zero, token, &amount, 0, NULL, 0, &data, &len, &e) == EHR_EUSAGE, "zero patient");
}

static void test_small_calls(void)
{
	uint8_t *data = NULL, spender[20], sel[4];
	size_t len = 0;
	abi_value *v = NULL;
	u256 amount = u256_from_u64(7), got;
	uint64_t id;
	ehr_err e = { 0 };

	CHECK(!invoice_call_pay(42, &data, &len, &e) && len == 36, "pay");
	CHECK(!abi_selector("pay(uint256)", sel, NULL) && !memcmp(data, sel, 4), "pay selector");
	CHECK(!abi_decode_call("pay(uint256)", data, len, &v, NULL) && !abi_get_u64(abi_item(v, 0), &id) && id == 42,
	      "pay id");
	abi_free(v);
	free(data);
	CHECK(!invoice_call_cancel(43, &data, &len, &e), "cancel");
	CHECK(!abi_selector("cancelInvoice(uint256)", sel, NULL) && !memcmp(data, sel, 4), "cancel selector");
	free(data);
	memset(spender, 0x33, 20);
	CHECK(!erc20_call_approve(spender, &amount, &data, &len, &e), "approve");
	CHECK(len == 68 && data[0] == 0x09 && data[1] == 0x5e && data[2] == 0xa7 && data[3] == 0xb3,
	      "approve is 0x095ea7b3");
	v = NULL;
	CHECK(!abi_decode_call("approve(address,uint256)", data, len, &v, NULL) &&
	      !memcmp(abi_get_address(abi_item(v, 0)), spender, 20) && !abi_get_uint(abi_item(v, 1), &got) &&
	      !u256_cmp(&got, &amount), "approve args");
	abi_free(v);
	free(data);
	CHECK(!erc20_call_transfer(spender, &amount, &data, &len, &e), "transfer");
	CHECK(len == 68 && data[0] == 0xa9 && data[1] == 0x05 && data[2] == 0x9c && data[3] == 0xbb,
	      "transfer is 0xa9059cbb");
	free(data);
}

/* Seals raw bytes as a memo would be (crypto_box_seal), for the
 * sanitising tests: invoice_memo_seal takes text. */
static uint8_t *seal_raw(const void *p, size_t n, const uint8_t pk[32], size_t *len)
{
	uint8_t *out = malloc(n + crypto_box_SEALBYTES);

	crypto_box_seal(out, p, n, pk);
	*len = n + crypto_box_SEALBYTES;
	return out;
}

static void test_memo(void)
{
	uint8_t pk[32], pk2[32], *sk = sodium_malloc(32), *sk2 = sodium_malloc(32), *sealed = NULL, *raw;
	char *text = NULL, big[INVOICE_MEMO_MAX + 2];
	const char *memo = "follow-up: HbA1c 6.1% (Müller lab, 東京)";
	size_t len = 0, i;
	ehr_err e = { 0 };

	crypto_box_keypair(pk, sk);
	crypto_box_keypair(pk2, sk2);
	CHECK(!invoice_memo_seal(memo, pk, &sealed, &len, &e), "%s", e.msg);
	CHECK(len == strlen(memo) + INVOICE_MEMO_SEAL_BYTES, "%zu", len);
	CHECK(sealed && !memmem(sealed, len, "HbA1c", 5), "not in clear");
	CHECK(!invoice_memo_open(sealed, len, pk, sk, &text, &e), "%s", e.msg);
	CHECK_STR(text, memo);
	free(text);
	text = NULL;
	CHECK(invoice_memo_open(sealed, len, pk2, sk2, &text, &e) == EHR_EAUTH && !text, "another key");
	sealed[len - 1] ^= 1;
	CHECK(invoice_memo_open(sealed, len, pk, sk, &text, &e) == EHR_EAUTH && !text, "altered");
	CHECK(invoice_memo_open(sealed, 10, pk, sk, &text, &e) == EHR_EAUTH && !text, "too short");
	free(sealed);
	sealed = NULL;

	CHECK(invoice_memo_seal("", pk, &sealed, &len, &e) == EHR_EUSAGE && !sealed, "empty");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(invoice_memo_seal(big, pk, &sealed, &len, &e) == EHR_EUSAGE && !sealed, "too long");
	big[INVOICE_MEMO_MAX] = '\0';
	CHECK(!invoice_memo_seal(big, pk, &sealed, &len, &e) && len == INVOICE_MEMO_SEALED_MAX &&
	      len == 1072, "the longest, sealed: what the registry takes at most (%zu)", len);
	free(sealed);
	sealed = NULL;
	memset(pk2, 0, 32);
	CHECK(invoice_memo_seal("x", pk2, &sealed, &len, &e) == EHR_EUSAGE && !sealed, "a zero key");

	/* what the issuer could try on a terminal */
	{
		static const struct { const char *in; size_t n; const char *want; } cases[] = {
			{ "a\033[2Jb", 6, "a?[2Jb" },                 /* ESC */
			{ "a\nb\tc\rd", 7, "a?b?c?d" },               /* controls */
			{ "a\x7f" "b", 3, "a?b" },                    /* DEL */
			{ "a\xc2\x9b" "1m", 5, "a??1m" },             /* C1 CSI as UTF-8 */
			{ "a\x9b" "1m", 4, "a?1m" },                  /* bare C1 byte */
			{ "\xc3\xbc\xe6\x9d\xb1", 5, "\xc3\xbc\xe6\x9d\xb1" }, /* ü 東 kept */
			{ "\xc0\xaf", 2, "??" },                      /* overlong */
			{ "\xed\xa0\x80", 3, "???" },                 /* surrogate */
			{ "\xe6\x9d", 2, "??" },                      /* cut short */
			{ "a\0b", 3, "a?b" },                         /* NUL */
		};

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			raw = seal_raw(cases[i].in, cases[i].n, pk, &len);
			text = NULL;
			CHECK(!invoice_memo_open(raw, len, pk, sk, &text, &e), "case %zu: %s", i, e.msg);
			CHECK(text && strlen(text) == cases[i].n && !strcmp(text, cases[i].want),
			      "case %zu: got '%s'", i, text ? text : "(null)");
			free(text);
			free(raw);
		}
	}
	sodium_free(sk);
	sodium_free(sk2);
}

/* The registry's refusal of a long memo reads as a sentence. */
static void test_memo_refusal(void)
{
	uint8_t data[4];
	char out[256];

	abi_selector("MemoTooLong()", data, NULL);
	revert_describe(data, 4, registry_errors, registry_n_errors, out, sizeof(out));
	CHECK(revert_match(data, 4, registry_errors, registry_n_errors) >= 0 &&
	      strstr(out, "memo is longer than 1072 bytes"), "%s", out);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_issue_call();
	test_small_calls();
	test_memo();
	test_memo_refusal();
	return tap_done();
}
