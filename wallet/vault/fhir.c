#include "wallet/vault/fhir.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

/* White space as cJSON skips it: every byte up to ' ', control characters
 * and NUL included. The entry scanner below must skip exactly what the
 * parser that accepted the document skipped, or its spans go astray. */
static bool is_space(char c)
{
	return (unsigned char)c <= ' ';
}

static size_t skip_bom(const char *json, size_t len)
{
	return len >= 3 && !memcmp(json, "\xef\xbb\xbf", 3) ? 3 : 0;
}

/* 1-based line and column (in characters) of byte offset pos. */
static void position(const char *json, size_t pos, unsigned long *line, unsigned long *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < pos; i++) {
		if (json[i] == '\n') {
			++*line;
			*col = 1;
		} else if (((unsigned char)json[i] & 0xc0) != 0x80) {
			++*col;
		}
	}
}

/* Parses the whole of json (nothing but whitespace may follow the value);
 * EHR_EUSAGE with the position of the first error. */
static int parse(const char *json, size_t len, cJSON **out, ehr_err *e)
{
	const char *end = NULL;
	unsigned long line, col;
	size_t at;
	cJSON *j;

	*out = NULL;
	j = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (j) {
		while (end < json + len && is_space(*end))
			end++;
		if (end == json + len) {
			*out = j;
			return 0;
		}
		cJSON_Delete(j);
	}
	at = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
	position(json, at, &line, &col);
	return ehr_fail(e, EHR_EUSAGE, "invalid JSON at line %lu, column %lu", line, col);
}

bool fhir_is_type_name(const char *s)
{
	size_t i;

	if (!(s[0] >= 'A' && s[0] <= 'Z'))
		return false;
	for (i = 1; s[i]; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
			return false;
	return i < FHIR_TYPE_MAX;
}

/* The resourceType of a parsed document: "" when it is not FHIR. */
static int type_of(const cJSON *j, char *out, size_t cap, ehr_err *e)
{
	const cJSON *t;

	if (cap)
		out[0] = '\0';
	if (!cJSON_IsObject(j) || !(t = cJSON_GetObjectItemCaseSensitive(j, "resourceType")))
		return 0;
	if (!cJSON_IsString(t) || !t->valuestring || !fhir_is_type_name(t->valuestring))
		return ehr_fail(e, EHR_EUSAGE, "\"resourceType\" is not a FHIR resource type name");
	if (strlen(t->valuestring) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "resource type %s is too long", t->valuestring);
	memcpy(out, t->valuestring, strlen(t->valuestring) + 1);
	return 0;
}

int fhir_detect(const char *json, size_t len, char *resource_type, size_t cap, ehr_err *e)
{
	cJSON *j;
	int rc;

	if (cap)
		resource_type[0] = '\0';
	if ((rc = parse(json, len, &j, e)))
		return rc;
	rc = type_of(j, resource_type, cap, e);
	cJSON_Delete(j);
	return rc;
}

/* ---- Bundle entries, as the bytes they are written with ----
 *
 * cJSON gives values, not where they were in the text, and printing a
 * resource again would change it (number formats, key order of
 * duplicates, whitespace). So once cJSON has accepted the document, this
 * small scanner finds the spans: on valid JSON it only has to get strings
 * and nesting right. Like cJSON, it takes the first of duplicate keys. */

struct span {
	const char *p, *end;
};

static void sp_ws(struct span *s)
{
	while (s->p < s->end && is_space(*s->p))
		s->p++;
}

static void sp_string(struct span *s)
{
	for (s->p++; s->p < s->end && *s->p != '"'; s->p++)
		if (*s->p == '\\' && s->p + 1 < s->end)
			s->p++;
	if (s->p < s->end)
		s->p++;
}

/* Moves past one value starting at s->p. */
static void sp_value(struct span *s)
{
	int depth = 0;

	do {
		if (s->p >= s->end)
			return;
		switch (*s->p) {
		case '"':
			sp_string(s);
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			depth--;
			break;
		default:
			if (depth == 0) {
				while (s->p < s->end && !is_space(*s->p) && *s->p != ',' &&
				       *s->p != '}' && *s->p != ']')
					s->p++;
				return;
			}
		}
		s->p++;
	} while (depth > 0);
}

/* Does the key string at [k, k_end) (quotes included) equal name? */
static bool key_is(const char *k, const char *k_end, const char *name)
{
	size_t n = (size_t)(k_end - k);
	cJSON *j;
	bool same;

	if (!memchr(k, '\\', n))
		return n == strlen(name) + 2 && !memcmp(k + 1, name, n - 2);
	j = cJSON_ParseWithLength(k, n);
	same = cJSON_IsString(j) && !strcmp(j->valuestring, name);
	cJSON_Delete(j);
	return same;
}

/* In the object starting at s->p, the span of the first member named name;
 * false when there is none. */
static bool sp_member(struct span obj, const char *name, struct span *val)
{
	struct span s = obj;

	sp_ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return false;
	s.p++;
	for (;;) {
		const char *k;
		bool match;

		sp_ws(&s);
		if (s.p >= s.end || *s.p != '"')
			return false;
		k = s.p;
		sp_string(&s);
		match = key_is(k, s.p, name);
		sp_ws(&s);
		if (s.p >= s.end || *s.p != ':')
			return false;
		s.p++;
		sp_ws(&s);
		val->p = s.p;
		sp_value(&s);
		val->end = s.p;
		if (match)
			return true;
		sp_ws(&s);
		if (s.p >= s.end || *s.p != ',')
			return false;
		s.p++;
	}
}

int fhir_bundle_entries(const char *json, size_t len, fhir_entry_fn fn, void *arg,
			size_t *count, ehr_err *e)
{
	char type[FHIR_TYPE_MAX];
	const cJSON *entries, *entry;
	struct span doc = { json, json + len }, arr, el, res;
	size_t index = 0, n = 0;
	cJSON *j;
	int rc;

	if (count)
		*count = 0;
	if ((rc = parse(json, len, &j, e)))
		return rc;
	if ((rc = type_of(j, type, sizeof(type), e)))
		goto out;
	if (strcmp(type, "Bundle")) {
		rc = ehr_fail(e, EHR_EUSAGE, "not a FHIR Bundle (%s)", type[0] ? type : "no resourceType");
		goto out;
	}
	entries = cJSON_GetObjectItemCaseSensitive(j, "entry");
	if (!entries) {
		rc = 0;
		goto out;
	}
	if (!cJSON_IsArray(entries)) {
		rc = ehr_fail(e, EHR_EUSAGE, "the Bundle's \"entry\" is not an array");
		goto out;
	}
	doc.p += skip_bom(json, len);
	if (!sp_member(doc, "entry", &arr) || *arr.p != '[') {
		rc = ehr_fail(e, EHR_EFAIL, "cannot find the Bundle's entries");
		goto out;
	}
	arr.p++;
	cJSON_ArrayForEach(entry, entries) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(entry, "resource");

		sp_ws(&arr);
		el.p = arr.p;
		sp_value(&arr);
		el.end = arr.p;
		sp_ws(&arr);
		if (arr.p < arr.end && *arr.p == ',')
			arr.p++;
		if (r) {
			char rtype[FHIR_TYPE_MAX];

			if (!sp_member(el, "resource", &res)) {
				rc = ehr_fail(e, EHR_EFAIL, "cannot find the resource of entry %zu", index);
				goto out;
			}
			if ((rc = type_of(r, rtype, sizeof(rtype), e)))
				goto out;
			if (!rtype[0]) {
				rc = ehr_fail(e, EHR_EUSAGE, "entry %zu of the Bundle holds no FHIR "
					      "resource", index);
				goto out;
			}
			if ((rc = fn(arg, index, rtype, res.p, (size_t)(res.end - res.p), e)))
				goto out;
			n++;
		}
		index++;
	}
	rc = 0;
out:
	if (count)
		*count = n;
	cJSON_Delete(j);
	return rc;
}

/* ---- the export Bundle ---- */

struct fhir_export {
	int fd;
	int err;                 /* errno of the first failed write */
	size_t entries;
	size_t used;
	char buf[1 << 16];
};

static void put(fhir_export *x, const char *s, size_t n)
{
	while (n && !x->err) {
		size_t room = sizeof(x->buf) - x->used, k = n < room ? n : room;

		memcpy(x->buf + x->used, s, k);
		x->used += k;
		s += k;
		n -= k;
		if (x->used == sizeof(x->buf)) {
			size_t done = 0;

			while (done < x->used) {
				ssize_t w = write(x->fd, x->buf + done, x->used - done);

				if (w < 0 && errno == EINTR)
					continue;
				if (w < 0) {
					x->err = errno ? errno : EIO;
					return;
				}
				done += (size_t)w;
			}
			x->used = 0;
		}
	}
}

static void puts_(fhir_export *x, const char *s)
{
	put(x, s, strlen(s));
}

static void flush(fhir_export *x)
{
	size_t done = 0;

	while (done < x->used && !x->err) {
		ssize_t w = write(x->fd, x->buf + done, x->used - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			x->err = errno ? errno : EIO;
		else
			done += (size_t)w;
	}
	x->used = 0;
}

/* A random (version 4) UUID, lowercase. */
static void uuid4(char out[37])
{
	uint8_t b[16];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}

static void entry_open(fhir_export *x, const char *uuid)
{
	if (x->entries++)
		puts_(x, ",\n");
	puts_(x, "{\"fullUrl\":\"urn:uuid:");
	puts_(x, uuid);
	puts_(x, "\",\"resource\":");
}

static int write_status(fhir_export *x, ehr_err *e)
{
	if (x->err)
		return ehr_fail(e, EHR_EFAIL, "cannot write the FHIR Bundle: %s", strerror(x->err));
	return 0;
}

int fhir_export_begin(int out_fd, fhir_export **out, ehr_err *e)
{
	fhir_export *x = calloc(1, sizeof(*x));
	char id[37], now[32];
	time_t t = time(NULL);
	struct tm tm;

	*out = NULL;
	if (!x)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	x->fd = out_fd;
	uuid4(id);
	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	puts_(x, "{\"resourceType\":\"Bundle\",\"id\":\"");
	puts_(x, id);
	puts_(x, "\",\"type\":\"collection\",\"timestamp\":\"");
	puts_(x, now);
	puts_(x, "\",\"entry\":[\n");
	*out = x;
	return write_status(x, e);
}

void fhir_record_system(uint64_t chain_id, const uint8_t registry[20],
			char out[FHIR_RECORD_SYSTEM_MAX])
{
	char reg[43];

	eip55_format(registry, reg);
	snprintf(out, FHIR_RECORD_SYSTEM_MAX, "urn:ehr:record:eip155:%llu:%s",
		 (unsigned long long)chain_id, reg);
}

/* fhir_export_add_resource, its entry's uuid in uuid. */
static int add_resource(fhir_export *x, const char *json, size_t len, char uuid[37], ehr_err *e)
{
	char type[FHIR_TYPE_MAX];
	size_t bom;
	int rc;

	if ((rc = fhir_detect(json, len, type, sizeof(type), e)))
		return rc;
	if (!type[0])
		return ehr_fail(e, EHR_EUSAGE, "not a FHIR resource (no resourceType)");
	/* copied as written, without what would break the enclosing JSON */
	bom = skip_bom(json, len);
	json += bom;
	len -= bom;
	while (len && is_space(*json))
		json++, len--;
	while (len && is_space(json[len - 1]))
		len--;
	uuid4(uuid);
	entry_open(x, uuid);
	put(x, json, len);
	puts_(x, "}");
	return write_status(x, e);
}

int fhir_export_add_resource(fhir_export *x, const char *json, size_t len, ehr_err *e)
{
	char uuid[37];

	return add_resource(x, json, len, uuid, e);
}

/* Adds a string member to o unless s is NULL or empty; false when out of
 * memory. */
static bool add_text(cJSON *o, const char *key, const char *s)
{
	return !s || !*s || cJSON_AddStringToObject(o, key, s);
}

/* The DocumentReference of a record whose data is the entry at url (a
 * Binary's or a resource's fullUrl); size and hash64 (base64 SHA-1) when
 * known. */
static int add_doc_ref(fhir_export *x, const fhir_attachment *att, const char *ctype,
		       const char *url, const uint64_t *size, const char *hash64, ehr_err *e)
{
	cJSON *doc, *content, *attachment, *a;
	char doc_id[37], *s = NULL;
	int rc;

	uuid4(doc_id);
	if (!(doc = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(doc, "resourceType", "DocumentReference") ||
	    !cJSON_AddStringToObject(doc, "id", doc_id))
		goto oom;
	if (att->record_id && *att->record_id) {
		cJSON *ids = cJSON_AddArrayToObject(doc, "identifier"), *id = cJSON_CreateObject();

		if (!ids || !id || !cJSON_AddItemToArray(ids, id)) {
			cJSON_Delete(id);
			goto oom;
		}
		if (!add_text(id, "system", att->record_system) ||
		    !cJSON_AddStringToObject(id, "value", att->record_id))
			goto oom;
	}
	if (!cJSON_AddStringToObject(doc, "status", "current"))
		goto oom;
	if (att->type && *att->type) {
		cJSON *type = cJSON_AddObjectToObject(doc, "type");

		if (!type || !cJSON_AddStringToObject(type, "text", att->type))
			goto oom;
	}
	if (!add_text(doc, "date", att->created) || !add_text(doc, "description", att->title) ||
	    !(content = cJSON_AddArrayToObject(doc, "content")) || !(a = cJSON_CreateObject()) ||
	    !cJSON_AddItemToArray(content, a) || !(attachment = cJSON_AddObjectToObject(a, "attachment")) ||
	    !cJSON_AddStringToObject(attachment, "contentType", ctype) ||
	    !cJSON_AddStringToObject(attachment, "url", url))
		goto oom;
	if ((size && *size <= UINT32_MAX && !cJSON_AddNumberToObject(attachment, "size", (double)*size)) ||
	    !add_text(attachment, "hash", hash64) ||
	    !add_text(attachment, "title", att->file_name && *att->file_name ? att->file_name
										: att->title) ||
	    !add_text(attachment, "creation", att->created))
		goto oom;
	if (!(s = cJSON_PrintUnformatted(doc)))
		goto oom;
	entry_open(x, doc_id);
	puts_(x, s);
	puts_(x, "}");
	rc = write_status(x, e);
	goto out;
oom:
	rc = ehr_fail(e, EHR_EFAIL, "out of memory");
out:
	cJSON_Delete(doc);
	cJSON_free(s);
	return rc;
}

int fhir_export_add_record(fhir_export *x, const char *json, size_t len,
			   const fhir_attachment *att, ehr_err *e)
{
	char uuid[37], url[64];
	int rc;

	if ((rc = add_resource(x, json, len, uuid, e)))
		return rc;
	snprintf(url, sizeof(url), "urn:uuid:%s", uuid);
	return add_doc_ref(x, att, att->content_type && *att->content_type ? att->content_type
									 : "application/fhir+json",
			   url, NULL, NULL, e);
}

int fhir_export_add_file(fhir_export *x, int fd, const fhir_attachment *att, ehr_err *e)
{
	enum { BLOCK = 3 * 16384 };
	const size_t b64_cap = sodium_base64_ENCODED_LEN(BLOCK, sodium_base64_VARIANT_ORIGINAL);
	const char *ctype = att->content_type && *att->content_type ? att->content_type
								      : "application/octet-stream";
	char bin_id[37], url[64], *b64 = NULL, *s = NULL, hash64[32];
	uint8_t *block = NULL, sha1[20];
	cJSON *ct = NULL;
	EVP_MD_CTX *md = NULL;
	uint64_t size = 0;
	ssize_t n;
	int rc;

	/* the content type goes through cJSON for escaping */
	if (!(ct = cJSON_CreateString(ctype)) || !(s = cJSON_PrintUnformatted(ct)) ||
	    !(block = malloc(BLOCK)) || !(b64 = malloc(b64_cap)) || !(md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	uuid4(bin_id);
	snprintf(url, sizeof(url), "urn:uuid:%s", bin_id);
	entry_open(x, bin_id);
	puts_(x, "{\"resourceType\":\"Binary\",\"id\":\"");
	puts_(x, bin_id);
	puts_(x, "\",\"contentType\":");
	puts_(x, s);
	puts_(x, ",\"data\":\"");
	/* whole multiples of 3 bytes, so the pieces of base64 join up */
	while ((n = read_full(fd, block, BLOCK)) > 0) {
		sodium_bin2base64(b64, b64_cap, block, (size_t)n, sodium_base64_VARIANT_ORIGINAL);
		puts_(x, b64);
		EVP_DigestUpdate(md, block, (size_t)n);
		size += (uint64_t)n;
		if (n < BLOCK)
			break;
	}
	if (n < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot read the file to export: %s", strerror(errno));
		goto out;
	}
	puts_(x, "\"}}");
	EVP_DigestFinal_ex(md, sha1, NULL);
	sodium_bin2base64(hash64, sizeof(hash64), sha1, sizeof(sha1), sodium_base64_VARIANT_ORIGINAL);
	rc = add_doc_ref(x, att, ctype, url, &size, hash64, e);
out:
	EVP_MD_CTX_free(md);
	cJSON_Delete(ct);
	cJSON_free(s);
	free(b64);
	if (block) {
		sodium_memzero(block, BLOCK);
		free(block);
	}
	return rc;
}

int fhir_export_end(fhir_export *x, size_t *entries, ehr_err *e)
{
	int rc;

	puts_(x, "\n]}\n");
	flush(x);
	if (entries)
		*entries = x->entries;
	rc = write_status(x, e);
	free(x);
	return rc;
}

void fhir_export_free(fhir_export *x)
{
	free(x);
}
