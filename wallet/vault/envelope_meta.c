/* The record envelope's metadata: encoded as JSON, checked when parsed (envelope.h). */
#include "wallet/vault/envelope.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/text.h"
#include "wallet/vault/fhir.h"

void envelope_meta_init(envelope_meta *meta)
{
	memset(meta, 0, sizeof(*meta));
	meta->size = ENVELOPE_SIZE_UNKNOWN;
}

/* Checks a metadata string for envelope_meta_encode. */
static int check_text(const char *name, const char *s, size_t cap, ehr_err *e)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strnlen(s, cap), i, k;
	uint32_t cp;

	if (n == cap)
		return ehr_fail(e, EHR_EUSAGE, "record %s is longer than %zu bytes", name, cap - 1);
	for (i = 0; i < n; i += k) {
		if (p[i] < 0x20 || p[i] == 0x7f)
			return ehr_fail(e, EHR_EUSAGE, "record %s contains a control character", name);
		if (!(k = utf8_decode(p + i, n - i, &cp)))
			return ehr_fail(e, EHR_EUSAGE, "record %s is not valid UTF-8", name);
	}
	return 0;
}

/* "YYYY-MM-DDTHH:MM:SSZ" with plausible fields. */
static bool is_rfc3339_utc(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
	size_t i;
	int mon, day, h, m, sec;

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	mon = atoi(s + 5), day = atoi(s + 8), h = atoi(s + 11), m = atoi(s + 14), sec = atoi(s + 17);
	return mon >= 1 && mon <= 12 && day >= 1 && day <= 31 && h <= 23 && m <= 59 && sec <= 60;
}

int envelope_meta_encode(const envelope_meta *meta, char **json, size_t *len, ehr_err *e)
{
	static const struct { const char *key; size_t off, cap; } texts[] = {
		{ "title", offsetof(envelope_meta, title), sizeof(((envelope_meta *)0)->title) },
		{ "type", offsetof(envelope_meta, type), sizeof(((envelope_meta *)0)->type) },
		{ "mediaType", offsetof(envelope_meta, media_type), sizeof(((envelope_meta *)0)->media_type) },
		{ "fileName", offsetof(envelope_meta, file_name), sizeof(((envelope_meta *)0)->file_name) },
		{ "created", offsetof(envelope_meta, created), sizeof(((envelope_meta *)0)->created) },
		{ "resourceType", offsetof(envelope_meta, resource_type), sizeof(((envelope_meta *)0)->resource_type) },
		{ "issuer", offsetof(envelope_meta, issuer), sizeof(((envelope_meta *)0)->issuer) },
	};
	cJSON *o;
	char *s;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		if ((rc = check_text(texts[i].key, (const char *)meta + texts[i].off, texts[i].cap, e)))
			return rc;
	if (meta->created[0] && !is_rfc3339_utc(meta->created))
		return ehr_fail(e, EHR_EUSAGE, "record creation time '%s' is not of the form "
				"YYYY-MM-DDTHH:MM:SSZ", meta->created);
	if (meta->resource_type[0] && !fhir_is_type_name(meta->resource_type))
		return ehr_fail(e, EHR_EUSAGE, "'%s' is not a FHIR resource type", meta->resource_type);
	if (meta->size != ENVELOPE_SIZE_UNKNOWN && meta->size > ENVELOPE_SIZE_LIMIT)
		return ehr_fail(e, EHR_EUSAGE, "record is too large (%llu bytes)",
				(unsigned long long)meta->size);
	if (!(o = cJSON_CreateObject()))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		const char *v = (const char *)meta + texts[i].off;

		if (*v && !cJSON_AddStringToObject(o, texts[i].key, v))
			goto oom;
	}
	if ((meta->issuer[0] || meta->issuer_verified) &&
	    !cJSON_AddBoolToObject(o, "issuerVerified", meta->issuer_verified))
		goto oom;
	/* Written as digits: cJSON prints a double with 15 significant digits
	 * when that reads back within a relative 2^-52, which is not exact
	 * for integers near 2^53. */
	if (meta->size != ENVELOPE_SIZE_UNKNOWN) {
		char digits[24];

		snprintf(digits, sizeof(digits), "%llu", (unsigned long long)meta->size);
		if (!cJSON_AddRawToObject(o, "size", digits))
			goto oom;
	}
	if (!(s = cJSON_PrintUnformatted(o)))
		goto oom;
	cJSON_Delete(o);
	*len = strlen(s);
	if (*len > ENVELOPE_META_MAX) {
		cJSON_free(s);
		return ehr_fail(e, EHR_EUSAGE, "record metadata is longer than %d bytes",
				ENVELOPE_META_MAX);
	}
	*json = s;
	return 0;
oom:
	cJSON_Delete(o);
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

/* Copies a metadata string through text_clean: a title is whatever its
 * author wrote, and it is shown on terminals and names files. */
static int take_text(const cJSON *item, const char *key, char *out, size_t cap, ehr_err *e)
{
	size_t n;

	if (!item)
		return 0;
	if (!cJSON_IsString(item) || !item->valuestring)
		return ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: %s is not a string", key);
	if ((n = strlen(item->valuestring)) >= cap)
		return ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: %s is longer "
				"than %zu bytes", key, cap - 1);
	text_clean(out, cap, item->valuestring, n, 0);
	return 0;
}

int envelope_meta_parse(const char *json, size_t len, envelope_meta *meta, ehr_err *e)
{
	const char *end = NULL;
	const cJSON *size, *verified;
	cJSON *o;
	int rc;

	envelope_meta_init(meta);
	if (len > ENVELOPE_META_MAX)
		return ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: longer than %d bytes",
				ENVELOPE_META_MAX);
	o = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!o)
		return ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: not JSON");
	while (end && end < json + len && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r'))
		end++;
	if (!cJSON_IsObject(o) || !end || end != json + len) {
		cJSON_Delete(o);
		return ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: not one JSON object");
	}
	if ((rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "title"), "title",
			    meta->title, sizeof(meta->title), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "type"), "type",
			    meta->type, sizeof(meta->type), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "mediaType"), "mediaType",
			    meta->media_type, sizeof(meta->media_type), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "fileName"), "fileName",
			    meta->file_name, sizeof(meta->file_name), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "created"), "created",
			    meta->created, sizeof(meta->created), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "resourceType"), "resourceType",
			    meta->resource_type, sizeof(meta->resource_type), e)) ||
	    (rc = take_text(cJSON_GetObjectItemCaseSensitive(o, "issuer"), "issuer",
			    meta->issuer, sizeof(meta->issuer), e)))
		goto out;
	if ((verified = cJSON_GetObjectItemCaseSensitive(o, "issuerVerified"))) {
		if (!cJSON_IsBool(verified)) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: issuerVerified "
				      "is not true or false");
			goto out;
		}
		meta->issuer_verified = cJSON_IsTrue(verified);
	}
	if (meta->resource_type[0] && !fhir_is_type_name(meta->resource_type)) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: resourceType "
			      "is not a FHIR type name");
		goto out;
	}
	if ((size = cJSON_GetObjectItemCaseSensitive(o, "size"))) {
		double d = size->valuedouble;

		if (!cJSON_IsNumber(size) || !(d >= 0 && d <= (double)ENVELOPE_SIZE_LIMIT) ||
		    d != (double)(uint64_t)d) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "record metadata is malformed: size is "
				      "not a byte count");
			goto out;
		}
		meta->size = (uint64_t)d;
	}
	rc = 0;
out:
	cJSON_Delete(o);
	if (rc)
		envelope_meta_init(meta);
	return rc;
}
