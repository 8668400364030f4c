/* ABI decoding (wallet/chain/abi.h abi_decode) of return and event data against
 * fixed type strings, from flat ones to nested dynamic ones as the registry
 * uses them. The first input byte picks the type string; the rest is the
 * data. Whatever decodes must re-encode, decode again and re-encode to the
 * same bytes, and format for people within its buffer. */
#include "fuzz.h"

#include "wallet/chain/abi.h"

void fuzz_abi_roundtrip(const char *type, const uint8_t *data, size_t len);

/* Also used by fuzz_abi_types.c, with type strings from the input. */
void fuzz_abi_roundtrip(const char *type, const uint8_t *data, size_t len)
{
	abi_value *v = NULL, *v2 = NULL;
	uint8_t *enc = NULL, *enc2 = NULL;
	size_t enc_len = 0, enc2_len = 0, n;
	char small[24], big[4096];
	ehr_err e;
	int st;

	st = abi_decode(type, data, len, &v, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY || st == EHR_EUSAGE || st == EHR_EFAIL);
		FUZZ_ASSERT(v == NULL);
		return;
	}
	FUZZ_ASSERT(v && abi_kind_of(v) == ABI_TUPLE);
	n = abi_format(v, small, sizeof(small));
	FUZZ_ASSERT(n < sizeof(small) && strlen(small) == n);
	n = abi_format(v, big, sizeof(big));
	FUZZ_ASSERT(n < sizeof(big) && strlen(big) == n);

	st = abi_encode(type, v, &enc, &enc_len, &e);
	FUZZ_ASSERT(st == 0);
	st = abi_decode(type, enc, enc_len, &v2, &e);
	FUZZ_ASSERT(st == 0);
	st = abi_encode(type, v2, &enc2, &enc2_len, &e);
	FUZZ_ASSERT(st == 0);
	FUZZ_ASSERT(enc_len == enc2_len && memcmp(enc, enc2, enc_len) == 0);
	free(enc);
	free(enc2);
	abi_free(v);
	abi_free(v2);
}

#ifndef FUZZ_ABI_NO_MAIN
static const char *const types[] = {
	"(uint256)",
	"(bool,address,bytes32,int64)",
	"(bytes)",
	"(string)",
	"(uint256[])",
	"(bytes[])",
	"(string[2])",
	"((uint64,bytes)[])",
	"(uint256[][])",
	"((string,bytes)[2][])",
	"(int8,int256,uint8,bytes1,uint64)",
	"(string,uint256[3],(bool,string))",
	"(bytes32,uint32,uint32,bytes)",
	"((bytes32,uint32,uint32,bytes)[])",
	"(address,uint256,(bytes32,uint32,uint32,bytes)[],(bytes32,uint64,string,bytes,bytes,bytes)[])",
	"(address,uint64,uint8,uint64[],bytes[])",
	"(bytes32,uint64,string,bytes,bytes,bytes,bytes)",
	"(bytes32[],(address,bytes)[][2])",
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in;

	if (size < 1)
		return 0;
	in = fuzz_copy(data + 1, size - 1);
	fuzz_abi_roundtrip(types[data[0] % NTYPES], in, size - 1);
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
#endif
