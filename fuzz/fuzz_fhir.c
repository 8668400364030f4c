/* FHIR detection (wallet/vault/fhir.h): fhir_detect on any document, and
 * fhir_bundle_entries; each entry it hands out must be a slice of the
 * input that fhir_detect reads as the same resource type. */
#include "fuzz.h"

#include "wallet/vault/fhir.h"

struct walk {
	const char *in;
	size_t len, calls;
};

static int on_entry(void *arg, size_t index, const char *type, const char *json, size_t len,
		    ehr_err *e)
{
	struct walk *w = arg;
	char again[FHIR_TYPE_MAX];
	ehr_err e2;

	(void)index;
	(void)e;
	w->calls++;
	FUZZ_ASSERT(json >= w->in && len <= w->len && json + len <= w->in + w->len);
	FUZZ_ASSERT(type && strlen(type) < FHIR_TYPE_MAX && type[0]);
	FUZZ_ASSERT(fhir_detect(json, len, again, sizeof(again), &e2) == 0);
	FUZZ_ASSERT(!strcmp(again, type));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_copy(data, size);
	char type[FHIR_TYPE_MAX], tiny[4];
	struct walk w = { (const char *)in, size, 0 };
	size_t count = 0, i;
	ehr_err e;
	int st;

	st = fhir_detect((const char *)in, size, type, sizeof(type), &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE && type[0] == '\0');
	} else {
		FUZZ_ASSERT(strlen(type) < sizeof(type));
		for (i = 0; type[i]; i++)
			FUZZ_ASSERT((type[i] >= 'A' && type[i] <= 'Z') ||
				    (type[i] >= 'a' && type[i] <= 'z'));
	}
	st = fhir_detect((const char *)in, size, tiny, sizeof(tiny), &e);
	if (st)
		fuzz_check_err(st, &e);
	FUZZ_ASSERT(memchr(tiny, '\0', sizeof(tiny)));

	st = fhir_bundle_entries((const char *)in, size, on_entry, &w, &count, &e);
	if (st)
		fuzz_check_err(st, &e);
	else
		FUZZ_ASSERT(count == w.calls);
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
