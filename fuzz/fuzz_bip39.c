/* Mnemonic input (wallet/keys/bip39.h bip39_to_entropy, bip39_check), as a user
 * types it. What decodes must encode back to a mnemonic that decodes to
 * the same entropy. Secrets here are fuzz data: plain memory is fine. */
#include "fuzz.h"

#include "wallet/keys/bip39.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, words[BIP39_MNEMONIC_MAX];
	uint8_t ent[32], ent2[32];
	size_t len, len2;
	ehr_err e;
	int st, st2;

	/* A mnemonic is under 256 bytes. Every word costs a constant-time
	 * pass over the 2048 list words, so long inputs only slow the fuzzer. */
	if (size > 1024)
		return 0;
	s = fuzz_cstr(data, size);
	st = bip39_to_entropy(s, ent, &len, &e);
	st2 = bip39_check(s, &e);
	FUZZ_ASSERT(st == st2);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
	} else {
		FUZZ_ASSERT(len >= 16 && len <= 32 && len % 4 == 0);
		FUZZ_ASSERT(bip39_from_entropy(ent, len, words, sizeof(words), &e) == 0);
		FUZZ_ASSERT(bip39_to_entropy(words, ent2, &len2, &e) == 0);
		FUZZ_ASSERT(len2 == len && !memcmp(ent, ent2, len));
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
