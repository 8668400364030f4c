/* ABI type strings (wallet/chain/abi.h): the signature parser behind
 * abi_canonical, abi_selector and abi_decode. The input is a type string
 * or signature, then optionally a newline and data to decode with it.
 * A canonical form is its own canonical form. */
#include "fuzz.h"

#include "wallet/chain/abi.h"

#define FUZZ_ABI_NO_MAIN
#include "fuzz_abi.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t tlen = nl ? (size_t)(nl - data) : size;
	char *type = fuzz_cstr(data, tlen), canon[512], again[512];
	uint8_t sel[4], topic[32], *rest;
	ehr_err e;
	int st;

	st = abi_canonical(type, canon, sizeof(canon), &e);
	if (st) {
		fuzz_check_err(st, &e);
	} else {
		FUZZ_ASSERT(strlen(canon) < sizeof(canon));
		FUZZ_ASSERT(abi_canonical(canon, again, sizeof(again), &e) == 0);
		FUZZ_ASSERT(strcmp(canon, again) == 0);
		FUZZ_ASSERT(abi_selector(type, sel, &e) == 0);
		FUZZ_ASSERT(abi_event_topic(type, topic, &e) == 0);
		FUZZ_ASSERT(memcmp(sel, topic, 4) == 0);
	}
	if (nl) {
		rest = fuzz_copy(nl + 1, size - tlen - 1);
		fuzz_abi_roundtrip(type, rest, size - tlen - 1);
		free(rest);
	}
	free(type);
	return 0;
}

FUZZ_INIT_SODIUM()
