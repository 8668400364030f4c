/* De-identification (wallet/vault/fhir_deid.h): fhir_deidentify on any
 * document. What it accepts comes back as a FHIR resource of the same
 * type, with no date finer than a year and no "identifier" or "telecom"
 * member anywhere, the same under the same key every time. */
#include "fuzz.h"

#include <cJSON.h>

#include "wallet/vault/fhir_deid.h"

static int digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* YYYY-MM, YYYY-MM-DD or YYYY-MM-DDT...: finer than a year */
static int fine_date(const char *s)
{
	size_t n = strlen(s);

	if (n < 7 || n > 40 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2))
		return 0;
	return n == 7 || (s[7] == '-' && n >= 10 && digits(s + 8, 2) && (n == 10 || s[10] == 'T'));
}

/* no member named identifier or telecom; no date finer than a year but
 * the instants kept as instants, January 1st at midnight */
static void check_clean(const cJSON *v, int depth)
{
	const cJSON *c;

	if (depth > 80)
		return;
	if (v->string)
		FUZZ_ASSERT(strcmp(v->string, "identifier") && strcmp(v->string, "telecom"));
	if (cJSON_IsString(v) && fine_date(v->valuestring))
		FUZZ_ASSERT(!strcmp(v->valuestring + 4, "-01-01T00:00:00Z"));
	for (c = v->child; c; c = c->next)
		check_clean(c, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[FHIR_DEID_KEY_BYTES] = { 1, 2, 3 };
	uint8_t *in = fuzz_copy(data, size);
	char *out = NULL, *again = NULL;
	size_t n = 0, n2 = 0;
	ehr_err e;
	cJSON *j;
	int st;

	st = fhir_deidentify((const char *)in, size, key, 2026, &out, &n, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(!out);
		free(in);
		return 0;
	}
	FUZZ_ASSERT(out && strlen(out) == n);
	FUZZ_ASSERT(fhir_deidentify((const char *)in, size, key, 2026, &again, &n2, &e) == 0);
	FUZZ_ASSERT(n2 == n && !memcmp(out, again, n));
	FUZZ_ASSERT((j = cJSON_Parse(out)) != NULL);
	FUZZ_ASSERT(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "resourceType")));
	check_clean(j, 0);
	cJSON_Delete(j);
	free(again);
	free(out);
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
