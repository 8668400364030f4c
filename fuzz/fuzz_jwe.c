/* The JWE of SMART Health Links (wallet/vault/jose.h jwe_decrypt) and raw
 * DEFLATE (wallet/base/deflate.h). The first byte picks what the rest is:
 *   0: a compact JWE, decrypted with a fixed key;
 *   1: a plaintext, encrypted with the fixed key (compressed when bit 1 of
 *      the first byte is set), which must decrypt back; then one character
 *      of the JWE changed (where the plaintext's first byte says), which
 *      must not decrypt;
 *   2: a raw DEFLATE stream, inflated (at most 1 MiB); what inflates
 *      compresses and inflates back to itself. */
#include "fuzz.h"

#include "wallet/base/deflate.h"
#include "wallet/vault/jose.h"

static const uint8_t key[32] = "ehr fuzz key: 32 bytes, no more";

static void decrypt(const char *s, size_t n)
{
	char cty[JOSE_CTY_MAX];
	uint8_t *plain;
	size_t len;
	ehr_err e;
	int st = jwe_decrypt(s, n, key, 1 << 20, &plain, &len, cty, sizeof(cty), &e);

	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY || st == EHR_EFAIL);
		FUZZ_ASSERT(!plain);
		return;
	}
	FUZZ_ASSERT(len <= 1 << 20 && plain[len] == 0 && memchr(cty, 0, sizeof(cty)));
	free(plain);
}

static void round_trip(const uint8_t *p, size_t n, bool zip)
{
	char *jwe, cty[JOSE_CTY_MAX];
	uint8_t *back;
	size_t len, at;
	ehr_err e;

	FUZZ_ASSERT(jwe_encrypt(key, "application/fhir+json", zip, p, n, &jwe, &e) == 0);
	FUZZ_ASSERT(jwe_decrypt(jwe, strlen(jwe), key, n, &back, &len, cty, sizeof(cty), &e) == 0);
	FUZZ_ASSERT(len == n && (!n || !memcmp(back, p, n)) && !strcmp(cty, "application/fhir+json"));
	free(back);
	at = (n ? p[0] * 7919u : 0) % strlen(jwe);
	jwe[at] = jwe[at] == 'A' ? 'B' : 'A';
	FUZZ_ASSERT(jwe_decrypt(jwe, strlen(jwe), key, n, &back, &len, cty, sizeof(cty), &e) ==
		    EHR_EINTEGRITY && !back);
	free(jwe);
}

static void inflate_back(const uint8_t *p, size_t n)
{
	uint8_t *out, *packed, *again;
	size_t len, plen, alen;
	ehr_err e;
	int st = inflate_raw(p, n, 1 << 20, &out, &len, &e);

	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY || st == EHR_EFAIL);
		return;
	}
	FUZZ_ASSERT(len <= 1 << 20 && out[len] == 0);
	FUZZ_ASSERT(deflate_raw(out, len, &packed, &plen, &e) == 0);
	FUZZ_ASSERT(inflate_raw(packed, plen, len, &again, &alen, &e) == 0);
	FUZZ_ASSERT(alen == len && (!len || !memcmp(again, out, len)));
	free(out);
	free(packed);
	free(again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *p;

	if (!size)
		return 0;
	p = fuzz_copy(data + 1, size - 1);
	switch (data[0] % 3) {
	case 0:
		decrypt((const char *)p, size - 1);
		break;
	case 1:
		round_trip(p, size - 1, data[0] & 2);
		break;
	default:
		inflate_back(p, size - 1);
	}
	free(p);
	return 0;
}

FUZZ_INIT_SODIUM()
