/* Durations and times for grants (wallet/base/amount.h duration_parse,
 * wallet/registry/grants.h time_parse), as a user types them after --for and
 * --until. A duration that parses is positive and fits in int64 seconds;
 * time_format of a parsed time is a sentence that fits its buffer. */
#include "fuzz.h"

#include "wallet/base/amount.h"
#include "wallet/registry/grants.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), shown[64];
	uint64_t secs, t;
	ehr_err e;
	int st;

	st = duration_parse(s, &secs, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
	} else {
		FUZZ_ASSERT(secs > 0 && secs <= (uint64_t)INT64_MAX);
	}
	st = time_parse(s, &t, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
	} else {
		time_format(t, shown, sizeof(shown));
		FUZZ_ASSERT(memchr(shown, '\0', sizeof(shown)));
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
