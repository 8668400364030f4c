/* Inputs the fuzz targets (fuzz/) found mishandled, each fed to the same
 * function again: it must refuse them with an error or answer correctly,
 * and never crash (run under ASan too: make check-asan). One test per
 * finding, named after its target. */
#include "tap.h"

#include <sodium.h>

#include "wallet/vault/envelope.h"
#include "wallet/vault/fhir.h"

struct entries {
	size_t n;
	char type[FHIR_TYPE_MAX];
	char json[256];
};

static int on_entry(void *arg, size_t index, const char *type, const char *json, size_t len,
		    ehr_err *e)
{
	struct entries *w = arg;

	(void)index;
	(void)e;
	w->n++;
	snprintf(w->type, sizeof(w->type), "%s", type);
	snprintf(w->json, sizeof(w->json), "%.*s", (int)len, json);
	return 0;
}

/* fuzz_fhir: cJSON skips every byte up to 0x20 between tokens (control
 * characters and NUL too), the entry scanner skipped only JSON's four
 * white space characters, so a control character before an entry's
 * resource made fhir_bundle_entries hand out bytes that are not the
 * resource ("\x01{\"resourceType\":\"Patient\"" without its brace). */
static void test_fhir_control_whitespace(void)
{
	static const char *const docs[] = {
		"{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":\x01{\"resourceType\":\"Patient\"}}]}",
		"{\"resourceType\":\"Bundle\",\"entry\":[\x1f{\"resource\":{\"resourceType\":\"Patient\"}\x0b}]}",
		"{\"resourceType\":\"Bundle\",\"entry\":\x7f[{\"resource\":{\"resourceType\":\"Patient\"}}]}",
	};
	size_t i;

	for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct entries w = { 0, "", "" };
		ehr_err e = { 0, "" };
		size_t count = 0;
		int rc = fhir_bundle_entries(docs[i], strlen(docs[i]), on_entry, &w, &count, &e);

		if (rc) {
			CHECK(rc == EHR_EUSAGE && count == 0, "doc %zu: rc %d (%s)", i, rc, e.msg);
			continue;
		}
		CHECK(count == 1 && w.n == 1, "doc %zu: %zu entries", i, count);
		CHECK_STR(w.type, "Patient");
		CHECK_STR(w.json, "{\"resourceType\":\"Patient\"}");
	}
}

/* fuzz_envelope_meta: cJSON prints a number with 15 significant digits
 * when that reads back within a relative 2^-52 of it, so sizes from about
 * 2^52 up to the format's 2^53 came back from envelope_meta_encode off by
 * one or two ({"size":9000000860079581} became 9.00000086007958e+15). */
static void test_envelope_meta_big_size(void)
{
	static const uint64_t sizes[] = {
		9000000860079581ULL, 9007199254740991ULL, 9007199254740992ULL, 4503599627370497ULL,
	};
	envelope_meta m, back;
	char *json = NULL;
	size_t i, len = 0;
	ehr_err e = { 0, "" };

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		envelope_meta_init(&m);
		m.size = sizes[i];
		CHECK(envelope_meta_encode(&m, &json, &len, &e) == 0, "%s", e.msg);
		if (!json)
			continue;
		CHECK(envelope_meta_parse(json, len, &back, &e) == 0, "%s", e.msg);
		CHECK(back.size == sizes[i], "size %llu came back as %llu (%s)",
		      (unsigned long long)sizes[i], (unsigned long long)back.size, json);
		free(json);
		json = NULL;
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_fhir_control_whitespace();
	test_envelope_meta_big_size();
	return tap_done();
}
