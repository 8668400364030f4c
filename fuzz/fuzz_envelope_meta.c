/* Record metadata JSON (wallet/vault/envelope.h envelope_meta_parse), the first
 * message of every envelope, written by whoever sealed the record. What
 * parses and encodes again must parse back to the same metadata. */
#include "fuzz.h"

#include "wallet/vault/envelope.h"

static int same(const envelope_meta *a, const envelope_meta *b)
{
	return !strcmp(a->title, b->title) && !strcmp(a->type, b->type) &&
	       !strcmp(a->media_type, b->media_type) && !strcmp(a->file_name, b->file_name) &&
	       !strcmp(a->created, b->created) && a->size == b->size &&
	       !strcmp(a->resource_type, b->resource_type) && !strcmp(a->issuer, b->issuer) &&
	       a->issuer_verified == b->issuer_verified;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_copy(data, size);
	envelope_meta m, m2;
	char *json = NULL;
	size_t len;
	ehr_err e;
	int st;

	st = envelope_meta_parse((const char *)in, size, &m, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY);
		goto out;
	}
	FUZZ_ASSERT(memchr(m.title, '\0', sizeof(m.title)));
	FUZZ_ASSERT(memchr(m.type, '\0', sizeof(m.type)));
	FUZZ_ASSERT(memchr(m.media_type, '\0', sizeof(m.media_type)));
	FUZZ_ASSERT(memchr(m.file_name, '\0', sizeof(m.file_name)));
	FUZZ_ASSERT(memchr(m.created, '\0', sizeof(m.created)));
	FUZZ_ASSERT(memchr(m.resource_type, '\0', sizeof(m.resource_type)));
	FUZZ_ASSERT(memchr(m.issuer, '\0', sizeof(m.issuer)));
	/* Encoding may refuse what a reader tolerates (a malformed "created",
	 * say); what it writes must read back the same. */
	st = envelope_meta_encode(&m, &json, &len, &e);
	if (st) {
		fuzz_check_err(st, &e);
		goto out;
	}
	FUZZ_ASSERT(json && strlen(json) == len && len <= ENVELOPE_META_MAX);
	FUZZ_ASSERT(envelope_meta_parse(json, len, &m2, &e) == 0);
	FUZZ_ASSERT(same(&m, &m2));
out:
	free(json);
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
