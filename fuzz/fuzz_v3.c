/* Web3 Secret Storage v3 files (keystore/v3.h v3_decrypt) with the password
 * "fuzz". v3.c bounds the KDF work (n*r*p up to 2^24, c up to 10^7) so a
 * hostile file cannot ask for hours; that is still up to a second an input,
 * so this harness skips files asking for more than a cheap KDF (any "n",
 * "r", "p" or "c" with n*r*p above 2^12 or c above 2^12). The limits
 * themselves are tested in tests/unit/test_v3.c. */
#include "fuzz.h"

#include <cJSON.h>

#include "keystore/v3.h"

#define CHEAP 4096.0

struct kdf_max {
	double n, r, p, c;
};

/* The largest value of each KDF parameter anywhere in the tree (v3.c reads
 * them with case-sensitive lookups, where duplicate keys give the first). */
static void scan(const cJSON *j, struct kdf_max *m, int depth)
{
	const cJSON *k;

	if (depth > 32)
		return;
	cJSON_ArrayForEach(k, j) {
		if (k->string && cJSON_IsNumber(k)) {
			double v = k->valuedouble;

			if (!strcmp(k->string, "n") && v > m->n)
				m->n = v;
			else if (!strcmp(k->string, "r") && v > m->r)
				m->r = v;
			else if (!strcmp(k->string, "p") && v > m->p)
				m->p = v;
			else if (!strcmp(k->string, "c") && v > m->c)
				m->c = v;
		}
		scan(k, m, depth + 1);
	}
}

static int cheap(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	struct kdf_max m = { 1, 1, 1, 1 };
	int ok;

	if (!root)
		return 1;	/* v3_decrypt refuses it before any KDF */
	scan(root, &m, 0);
	cJSON_Delete(root);
	ok = m.n * m.r * m.p <= CHEAP && m.c <= CHEAP;
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t priv[32], addr[20];
	uint8_t *json;
	ehr_err e;
	int st;
	size_t i;

	if (!cheap(data, size))
		return 0;
	/* exactly size bytes, no NUL: v3_decrypt takes a length */
	json = fuzz_copy(data, size);
	st = v3_decrypt((const char *)json, size, "fuzz", 4, priv, addr, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EAUTH || st == EHR_EINTEGRITY || st == EHR_EUSAGE);
		for (i = 0; i < 32; i++)
			FUZZ_ASSERT(priv[i] == 0);
	}
	free(json);
	return 0;
}

FUZZ_INIT_SODIUM()
