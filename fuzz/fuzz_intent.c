/* A relayed intent (wallet/registry/intent.h) as `ehr relay` reads it from a
 * file someone else wrote: reg_intent_from_json of the input as JSON, then
 * the words of its call (decoded from hostile call data), its JSON form and
 * its signature check. What parses writes back to JSON that parses to the
 * same intent; the words always fit their buffer. */
#include "fuzz.h"

#include <cJSON.h>

#include "wallet/registry/intent.h"

static void same_intent(const reg_intent *a, const reg_intent *b)
{
	FUZZ_ASSERT(a->chain_id == b->chain_id && a->deadline == b->deadline);
	FUZZ_ASSERT(!memcmp(a->registry, b->registry, 20) && !memcmp(a->signer, b->signer, 20));
	FUZZ_ASSERT(!memcmp(&a->nonce, &b->nonce, sizeof(a->nonce)) && !memcmp(a->sig, b->sig, 65));
	FUZZ_ASSERT(a->data_len == b->data_len && !memcmp(a->data, b->data, a->data_len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *j = cJSON_ParseWithLength((const char *)data, size), *back;
	reg_intent it, it2;
	char words[300];
	ehr_err e;
	int st;

	/* the words of raw call data, as the probe of --sign-only sees it */
	it.data = (uint8_t *)data;
	it.data_len = size;
	reg_intent_describe(&it, words, sizeof(words));
	FUZZ_ASSERT(strlen(words) < sizeof(words));
	if (!j)
		return 0;
	st = reg_intent_from_json(j, &it, &e);
	cJSON_Delete(j);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE || st == EHR_EFAIL);
		return 0;
	}
	st = reg_intent_check(&it, &e);
	FUZZ_ASSERT(st == 0 || st == EHR_EINTEGRITY);
	back = reg_intent_to_json(&it);
	FUZZ_ASSERT(back != NULL);
	FUZZ_ASSERT(reg_intent_from_json(back, &it2, &e) == 0);
	same_intent(&it, &it2);
	cJSON_Delete(back);
	reg_intent_free(&it2);
	reg_intent_free(&it);
	return 0;
}
