/* SMART Health Links (wallet/vault/shl.h): shl_parse and the manifest
 * reader. The first byte picks what the rest is:
 *   0: link text (bare or after a viewer's address): what parses names a
 *      url, a label of printable characters, never flags P and U
 *      together, and written back as a payload parses to the same link
 *      and key; a refusal wipes the key;
 *   1: a manifest's JSON, walked; a refusal is EHR_ENODE. */
#include "fuzz.h"

#include <cJSON.h>

#include "wallet/vault/jose.h"
#include "wallet/vault/shl.h"

/* l and key as a link again (malloc'd). */
static char *relink(const shl_link *l, const uint8_t *key)
{
	cJSON *o = cJSON_CreateObject();
	char flags[4] = "", *k = b64url_encode(key, SHL_KEY_BYTES), *json, *b64, *s;
	size_t n = 0;

	if (l->long_term)
		flags[n++] = 'L';
	if (l->passcode)
		flags[n++] = 'P';
	if (l->direct)
		flags[n++] = 'U';
	cJSON_AddStringToObject(o, "url", l->url);
	cJSON_AddStringToObject(o, "key", k);
	if (n)
		cJSON_AddStringToObject(o, "flag", flags);
	if (l->label[0])
		cJSON_AddStringToObject(o, "label", l->label);
	if (l->has_exp)
		cJSON_AddNumberToObject(o, "exp", (double)l->exp);
	json = cJSON_PrintUnformatted(o);
	b64 = b64url_encode((const uint8_t *)json, strlen(json));
	if (!o || !k || !json || !b64 || !(s = malloc(strlen(b64) + 16)))
		abort();
	sprintf(s, "shlink:/%s", b64);
	cJSON_Delete(o);
	free(k);
	cJSON_free(json);
	free(b64);
	return s;
}

static void parse(const char *s)
{
	uint8_t key[SHL_KEY_BYTES], key2[SHL_KEY_BYTES];
	shl_link l, l2;
	ehr_err e;
	size_t i;
	char *again;
	int st;

	memset(key, 0xa5, sizeof(key));
	st = shl_parse(s, &l, key, &e);

	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE || st == EHR_EFAIL);
		for (i = 0; i < sizeof(key); i++)
			FUZZ_ASSERT(key[i] == 0);
		return;
	}
	FUZZ_ASSERT(shl_is_link(s) && l.url[0] && !(l.passcode && l.direct));
	for (i = 0; l.label[i]; i++)
		FUZZ_ASSERT((unsigned char)l.label[i] >= ' ' && l.label[i] != 0x7f);
	again = relink(&l, key);
	FUZZ_ASSERT(shl_parse(again, &l2, key2, &e) == 0);
	FUZZ_ASSERT(!memcmp(&l, &l2, sizeof(l)) && !memcmp(key, key2, sizeof(key)));
	free(again);
}

static int file_seen(void *arg, const char *type, const char *embedded, size_t len,
		     const char *location, ehr_err *e)
{
	(void)arg;
	(void)e;
	FUZZ_ASSERT(type && (!embedded != !location));
	FUZZ_ASSERT(!embedded || strlen(embedded) == len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	ehr_err e;
	int st;

	if (!size)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	if (data[0] % 2 == 0) {
		parse(s);
	} else if ((st = shl_manifest_files(s, strlen(s), file_seen, NULL, &e))) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_ENODE || st == EHR_EFAIL);
	}
	free(s);
	return 0;
}

FUZZ_INIT_SODIUM()
