/* HIPAA Safe Harbor de-identification of FHIR R4 JSON: fhir_deid.h. */
#include "wallet/vault/fhir_deid.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <sodium.h>

struct deid {
	const uint8_t *key;
	int this_year;
};

/* the 3-digit ZIP areas of 20,000 people or fewer (2000 census), which
 * Safe Harbor publishes as those to be written "000" */
static const char *const restricted_zip3[] = {
	"036", "059", "063", "102", "203", "556", "692", "790", "821",
	"823", "830", "831", "878", "879", "884", "890", "893",
};

int fhir_deid_zip3_restricted(const char zip3[3])
{
	size_t i;

	for (i = 0; i < sizeof(restricted_zip3) / sizeof(restricted_zip3[0]); i++)
		if (!memcmp(zip3, restricted_zip3[i], 3))
			return 1;
	return 0;
}

/* The pseudonym of what (a "Type/id" or a urn) under the key: the first
 * 16 bytes of HMAC-SHA-256 written as a UUID (a valid id and urn:uuid). */
static void pseudonym(const struct deid *d, const char *what, char out[37])
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0;

	crypto_auth_hmacsha256(mac, (const unsigned char *)what, strlen(what), d->key);
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[mac[i] >> 4];
		out[o++] = hex[mac[i] & 15];
	}
	out[o] = 0;
	sodium_memzero(mac, sizeof(mac));
}

/* "Type/id" at the end of ref ("[base/]Type/id[/_history/v]") into out */
static bool type_and_id(const char *ref, char *out, size_t cap)
{
	char buf[512], *h, *slash, *type;

	if (strlen(ref) >= sizeof(buf))
		return false;
	strcpy(buf, ref);
	if ((h = strstr(buf, "/_history/")))
		*h = 0;
	if (!(slash = strrchr(buf, '/')) || !slash[1] || slash == buf)
		return false;
	*slash = 0;
	type = strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
	if (!isupper((unsigned char)type[0]))
		return false;
	return snprintf(out, cap, "%s/%s", type, slash + 1) < (int)cap;
}

/* A reference's or fullUrl's pseudonymous form ("urn:uuid:..."), a
 * contained reference ("#x") as it is; false when it names nothing */
static bool map_reference(const struct deid *d, const char *ref, char out[48])
{
	char what[512], p[37];

	if (ref[0] == '#') {
		snprintf(out, 48, "%.47s", ref);
		return strlen(ref) < 48;
	}
	if (!strncmp(ref, "urn:", 4))
		snprintf(what, sizeof(what), "%.500s", ref);
	else if (!type_and_id(ref, what, sizeof(what)))
		return false;
	pseudonym(d, what, p);
	snprintf(out, 48, "urn:uuid:%s", p);
	return true;
}

/* Whether s is a FHIR date, dateTime or instant more precise than a year */
static bool is_fine_date(const char *s)
{
	size_t n = strlen(s);

	if (n < 7 || n > 40)
		return false;
	for (int i = 0; i < 4; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	if (s[4] != '-' || !isdigit((unsigned char)s[5]) || !isdigit((unsigned char)s[6]))
		return false;
	if (n == 7)
		return true;
	return s[7] == '-' && n >= 10 && isdigit((unsigned char)s[8]) && isdigit((unsigned char)s[9]) &&
	       (n == 10 || s[10] == 'T');
}

static bool is_instant_key(const char *k)
{
	return k && (!strcmp(k, "issued") || !strcmp(k, "lastUpdated") || !strcmp(k, "timestamp") ||
		     !strcmp(k, "recorded"));
}

static void generalise_date(cJSON *v, const char *key)
{
	char year[32];

	snprintf(year, sizeof(year), "%.4s%s", v->valuestring,
		 is_instant_key(key) ? "-01-01T00:00:00Z" : "");
	cJSON_SetValuestring(v, year);
}

static void generalise_address(cJSON *a)
{
	static const char *const drop[] = { "line", "text", "city", "district", "period" };
	cJSON *zip;
	size_t i;

	if (!cJSON_IsObject(a))
		return;
	for (i = 0; i < sizeof(drop) / sizeof(drop[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(a, drop[i]);
	if (!(zip = cJSON_GetObjectItemCaseSensitive(a, "postalCode")))
		return;
	if (!cJSON_IsString(zip) || strlen(zip->valuestring) < 3 ||
	    !isdigit((unsigned char)zip->valuestring[0]) || !isdigit((unsigned char)zip->valuestring[1]) ||
	    !isdigit((unsigned char)zip->valuestring[2])) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, "postalCode");
		return;
	}
	char z3[4];
	memcpy(z3, fhir_deid_zip3_restricted(zip->valuestring) ? "000" : zip->valuestring, 3);
	z3[3] = 0;
	cJSON_SetValuestring(zip, z3);
}

/* A Patient born FHIR_DEID_AGE_CAP or more years ago: no birth date, the
 * extension that says "90 or older" instead */
static void cap_age(const struct deid *d, cJSON *patient)
{
	cJSON *bd = cJSON_GetObjectItemCaseSensitive(patient, "birthDate"), *ext, *x;

	if (!cJSON_IsString(bd) || strlen(bd->valuestring) < 4 ||
	    atoi(bd->valuestring) > d->this_year - FHIR_DEID_AGE_CAP)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(patient, "birthDate");
	if (!cJSON_IsArray(ext = cJSON_GetObjectItemCaseSensitive(patient, "extension"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(patient, "extension");
		ext = cJSON_AddArrayToObject(patient, "extension");
	}
	if (ext && (x = cJSON_CreateObject())) {
		cJSON_AddStringToObject(x, "url", FHIR_DEID_AGE_URL);
		cJSON_AddBoolToObject(x, "valueBoolean", 1);
		cJSON_AddItemToArray(ext, x);
	}
}

/* An Age (a Quantity under a key ending in "Age") over 89 years: ">= 90" */
static void cap_age_quantity(cJSON *q)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(q, "value");
	cJSON *code = cJSON_GetObjectItemCaseSensitive(q, "code");

	if (!cJSON_IsNumber(v) || v->valuedouble <= 89)
		return;
	if (cJSON_IsString(code) && strcmp(code->valuestring, "a"))
		return;
	cJSON_SetNumberValue(v, 90);
	cJSON_DeleteItemFromObjectCaseSensitive(q, "comparator");
	cJSON_AddStringToObject(q, "comparator", ">=");
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

/* Whether the member k (value v) of object o goes whole */
static bool removed_member(const cJSON *o, const char *k, const cJSON *v)
{
	/* identifiers, contact points and free text; a device's serial number
	 * and UDI, an audit agent's network address (Safe Harbor's device
	 * identifiers and IP addresses) */
	static const char *const free_text[] = { "identifier", "telecom", "photo", "note",
						 "comment", "description", "serialNumber",
						 "udiCarrier", "network" };
	size_t i;

	for (i = 0; i < sizeof(free_text) / sizeof(free_text[0]); i++)
		if (!strcmp(k, free_text[i]))
			return true;
	if (!strcmp(k, "name"))
		return cJSON_IsArray(v) || cJSON_IsObject(v);
	if (!strcmp(k, "text"))
		return cJSON_IsObject(v);              /* a narrative, not a CodeableConcept.text */
	if (!strcmp(k, "display"))
		return !cJSON_GetObjectItemCaseSensitive(o, "code") &&
		       !cJSON_GetObjectItemCaseSensitive(o, "system");
	if (cJSON_GetObjectItemCaseSensitive(o, "contentType") || cJSON_GetObjectItemCaseSensitive(o, "data"))
		return !strcmp(k, "data") || !strcmp(k, "url") || !strcmp(k, "title") || !strcmp(k, "hash");
	return false;
}

static void deid_value(const struct deid *d, cJSON *o, const char *key, int depth);

/* A resource's own id becomes the pseudonym of "Type/id" */
static void map_resource_id(const struct deid *d, cJSON *o)
{
	cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "resourceType");
	cJSON *id = cJSON_GetObjectItemCaseSensitive(o, "id");
	char what[512], p[37];

	if (!cJSON_IsString(type) || !cJSON_IsString(id))
		return;
	snprintf(what, sizeof(what), "%.200s/%.200s", type->valuestring, id->valuestring);
	pseudonym(d, what, p);
	cJSON_SetValuestring(id, p);
}

/* A reference or fullUrl member: mapped, or removed when it names nothing */
static void map_member(const struct deid *d, cJSON *o, cJSON *v)
{
	char mapped[48];

	if (cJSON_IsString(v) && map_reference(d, v->valuestring, mapped))
		cJSON_SetValuestring(v, mapped);
	else
		cJSON_Delete(cJSON_DetachItemViaPointer(o, v));
}

static void deid_object(const struct deid *d, cJSON *o, int depth)
{
	cJSON *v, *next;
	cJSON *type = cJSON_GetObjectItemCaseSensitive(o, "resourceType");

	if (type) {
		map_resource_id(d, o);
		if (cJSON_IsString(type) && !strcmp(type->valuestring, "Patient"))
			cap_age(d, o);
	}
	for (v = o->child; v; v = next) {
		next = v->next;
		if (removed_member(o, v->string, v)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(o, v));
			continue;
		}
		if (!strcmp(v->string, "reference") || !strcmp(v->string, "fullUrl")) {
			map_member(d, o, v);
			continue;
		}
		if (!strcmp(v->string, "address")) {
			cJSON *a;
			if (cJSON_IsArray(v))
				cJSON_ArrayForEach(a, v)
					generalise_address(a);
			else
				generalise_address(v);
		}
		if (cJSON_IsObject(v) && ends_with(v->string, "Age"))
			cap_age_quantity(v);
		deid_value(d, v, v->string, depth + 1);
	}
}

static void deid_value(const struct deid *d, cJSON *v, const char *key, int depth)
{
	cJSON *c;

	if (depth > 64)
		return;
	if (cJSON_IsString(v) && is_fine_date(v->valuestring))
		generalise_date(v, key);
	else if (cJSON_IsObject(v))
		deid_object(d, v, depth);
	else if (cJSON_IsArray(v))
		cJSON_ArrayForEach(c, v)
			deid_value(d, c, key, depth + 1);
}

int fhir_deidentify(const char *json, size_t len, const uint8_t key[FHIR_DEID_KEY_BYTES],
		    int this_year, char **out, size_t *out_len, ehr_err *e)
{
	struct deid d = { key, this_year };
	cJSON *doc, *type;

	*out = NULL;
	if (len >= 3 && !memcmp(json, "\xEF\xBB\xBF", 3)) {
		json += 3;
		len -= 3;
	}
	if (!(doc = cJSON_ParseWithLength(json, len)))
		return ehr_fail(e, EHR_EUSAGE, "cannot de-identify: invalid JSON");
	type = cJSON_GetObjectItemCaseSensitive(doc, "resourceType");
	if (!cJSON_IsObject(doc) || !cJSON_IsString(type)) {
		cJSON_Delete(doc);
		return ehr_fail(e, EHR_EUSAGE, "cannot de-identify: not a FHIR resource");
	}
	deid_value(&d, doc, NULL, 0);
	*out = cJSON_PrintUnformatted(doc);
	cJSON_Delete(doc);
	if (!*out)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	*out_len = strlen(*out);
	return 0;
}

int fhir_deid_current_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 1970;
}
