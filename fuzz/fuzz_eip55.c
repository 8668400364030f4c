/* Addresses as people paste them (wallet/keys/eth.h eip55_parse): what parses
 * formats in EIP-55 case and parses back to the same 20 bytes. */
#include "fuzz.h"

#include "wallet/keys/eth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[43];
	uint8_t addr[20], addr2[20];
	ehr_err e;
	int st;

	st = eip55_parse(s, addr, &e);
	if (st) {
		fuzz_check_err(st, &e);
	} else {
		eip55_format(addr, out);
		FUZZ_ASSERT(strlen(out) == 42);
		FUZZ_ASSERT(eip55_parse(out, addr2, &e) == 0 && !memcmp(addr, addr2, 20));
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
