/* Revert data (wallet/chain/revert.h revert_describe, revert_match) with the
 * registry's custom errors, as a contract or a node hands it back: never
 * fails, always a NUL-terminated sentence within its buffer. */
#include "fuzz.h"

#include "wallet/registry/registry.h"
#include "wallet/chain/revert.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_copy(data, size);
	char big[1024], tiny[12];
	int kind, kind2, m;

	kind = revert_describe(in, size, registry_errors, registry_n_errors, big, sizeof(big));
	FUZZ_ASSERT(kind >= REVERT_EMPTY && kind <= REVERT_MALFORMED);
	FUZZ_ASSERT(memchr(big, '\0', sizeof(big)) && big[0]);
	kind2 = revert_describe(in, size, registry_errors, registry_n_errors, tiny, sizeof(tiny));
	FUZZ_ASSERT(kind2 == kind && memchr(tiny, '\0', sizeof(tiny)));
	/* Without the custom table a custom error is unknown. */
	kind2 = revert_describe(in, size, NULL, 0, big, sizeof(big));
	FUZZ_ASSERT(kind2 != REVERT_CUSTOM);
	m = revert_match(in, size, registry_errors, registry_n_errors);
	FUZZ_ASSERT(m >= -1 && m < (int)registry_n_errors);
	if (kind == REVERT_CUSTOM)
		FUZZ_ASSERT(m >= 0);
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
