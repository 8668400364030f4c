/* The grant URI (wallet/registry/grant_uri.h grant_uri_parse), as a QR scanner or a
 * user hands it in. What parses must format back and parse again to the
 * same grant and key. */
#include "fuzz.h"

#include "wallet/registry/grant_uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), out[GRANT_URI_MAX];
	uint8_t key[GRANT_KEY_BYTES], key2[GRANT_KEY_BYTES];
	grant_uri u, u2;
	ehr_err e;
	size_t i;
	int st;

	st = grant_uri_parse(s, &u, key, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
		for (i = 0; i < sizeof(key); i++)
			FUZZ_ASSERT(key[i] == 0);
		goto out;
	}
	FUZZ_ASSERT(u.chain_id && u.grant_id);
	FUZZ_ASSERT(u.has_key || !u.needs_passcode);
	/* the same without a key buffer */
	FUZZ_ASSERT(grant_uri_parse(s, &u2, NULL, &e) == 0);
	FUZZ_ASSERT(grant_uri_format(&u, u.has_key ? key : NULL, out, sizeof(out), &e) == 0);
	FUZZ_ASSERT(grant_uri_parse(out, &u2, key2, &e) == 0);
	FUZZ_ASSERT(u2.chain_id == u.chain_id && u2.grant_id == u.grant_id &&
		    !memcmp(u2.registry, u.registry, 20) && u2.has_key == u.has_key &&
		    u2.needs_passcode == u.needs_passcode);
	FUZZ_ASSERT(!u.has_key || !memcmp(key, key2, sizeof(key)));
out:
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
