/* Amounts as people type them (wallet/base/amount.h amount_parse). Byte 0 picks
 * the decimals (mod 80, so a few are out of range) and, in bit 7 of byte 1,
 * whether units are accepted; the rest is the text. A parsed amount
 * formats back to text that parses to the same value. */
#include "fuzz.h"

#include "wallet/base/amount.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, text[AMOUNT_FMT_MAX];
	unsigned decimals, flags;
	u256 v, v2;
	ehr_err e;
	int st, n;

	if (size < 2)
		return 0;
	decimals = data[0] % 80;
	flags = data[1] & 0x80 ? AMOUNT_UNITS : 0;
	s = fuzz_cstr(data + 2, size - 2);
	st = amount_parse(s, decimals, flags, &v, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
	} else {
		/* a unit replaces the decimals: read the value in base units */
		n = amount_format(&v, 0, text, sizeof(text));
		FUZZ_ASSERT(n > 0 && (size_t)n == strlen(text));
		FUZZ_ASSERT(amount_parse(text, 0, 0, &v2, &e) == 0);
		FUZZ_ASSERT(u256_cmp(&v, &v2) == 0);
		if (decimals <= AMOUNT_DECIMALS_MAX) {
			n = amount_format(&v, decimals, text, sizeof(text));
			FUZZ_ASSERT(n > 0 && (size_t)n == strlen(text));
			FUZZ_ASSERT(amount_parse(text, decimals, 0, &v2, &e) == 0);
			FUZZ_ASSERT(u256_cmp(&v, &v2) == 0);
		}
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
