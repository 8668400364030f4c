/* What a FHIR resource is about, in a few words, for a record's title
 * (fhir.h: fhir_label). Only the fields that name the content are read:
 * a coded concept's text or first display, a name, a title. */
#include "wallet/vault/fhir.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

/* A string member of o, NULL when absent, empty or not a string. */
static const char *text_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

/* A CodeableConcept's text, else the display of its first coding that has
 * one. */
static const char *concept_text(const cJSON *cc)
{
	const cJSON *coding;
	const char *s;

	if (!cJSON_IsObject(cc))
		return NULL;
	if ((s = text_of(cc, "text")))
		return s;
	cJSON_ArrayForEach(coding, cJSON_GetObjectItemCaseSensitive(cc, "coding"))
		if ((s = text_of(coding, "display")))
			return s;
	return NULL;
}

/* The first element of an array member (or the member itself when it is
 * not an array: some fields are lists in one resource, single in another). */
static const cJSON *first_of(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsArray(v) ? cJSON_GetArrayItem(v, 0) : v;
}

/* A HumanName as "Given Family": its text, else given names and family. */
static void human_name(const cJSON *name, char *out, size_t cap)
{
	const cJSON *given;
	const char *family, *s;
	size_t n = 0;

	*out = 0;
	if (!cJSON_IsObject(name))
		return;
	if ((s = text_of(name, "text"))) {
		snprintf(out, cap, "%s", s);
		return;
	}
	cJSON_ArrayForEach(given, cJSON_GetObjectItemCaseSensitive(name, "given"))
		if (cJSON_IsString(given) && n < cap)
			n += (size_t)snprintf(out + n, cap - n, "%s%s", n ? " " : "", given->valuestring);
	if ((family = text_of(name, "family")) && n < cap)
		snprintf(out + n, cap - n, "%s%s", n ? " " : "", family);
}

/* The words of one field, by kind: c a CodeableConcept, C the first of a
 * list of them, s a string, n the first HumanName, r a Reference's display,
 * d the first element's "name" string (Device.deviceName), S the first
 * element's "substance" concept (AllergyIntolerance.reaction). */
static void field_text(const cJSON *r, char kind, const char *key, char *out, size_t cap)
{
	const char *s = NULL;

	switch (kind) {
	case 'c': s = concept_text(cJSON_GetObjectItemCaseSensitive(r, key)); break;
	case 'C': s = concept_text(first_of(r, key)); break;
	case 's': s = text_of(r, key); break;
	case 'r': s = text_of(cJSON_GetObjectItemCaseSensitive(r, key), "display"); break;
	case 'd': s = text_of(first_of(r, key), "name"); break;
	case 'S': s = concept_text(cJSON_GetObjectItemCaseSensitive(first_of(r, key), "substance")); break;
	case 'n': human_name(first_of(r, key), out, cap); return;
	}
	snprintf(out, cap, "%s", s ? s : "");
}

/* Where each resource type names its content, tried in order ("kind key"
 * pairs, kinds as field_text). Any other type: title, name, code, type. */
static const struct {
	const char *type;
	const char *fields;
} where[] = {
	{ "AllergyIntolerance", "c code,S reaction" },
	{ "Composition", "s title,c type" },
	{ "Condition", "c code" },
	{ "Device", "d deviceName,c type" },
	{ "DiagnosticReport", "c code" },
	{ "DocumentReference", "s description,c type" },
	{ "Encounter", "C type,C reasonCode" },
	{ "Immunization", "c vaccineCode" },
	{ "Medication", "c code" },
	{ "MedicationAdministration", "c medicationCodeableConcept,r medicationReference" },
	{ "MedicationDispense", "c medicationCodeableConcept,r medicationReference" },
	{ "MedicationRequest", "c medicationCodeableConcept,r medicationReference" },
	{ "MedicationStatement", "c medicationCodeableConcept,r medicationReference" },
	{ "Observation", "c code" },
	{ "Patient", "n name" },
	{ "Practitioner", "n name" },
	{ "Procedure", "c code" },
	{ "RelatedPerson", "n name" },
};

static const char *fields_of(const char *type)
{
	size_t i;

	for (i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (!strcmp(where[i].type, type))
			return where[i].fields;
	return "s title,s name,c code,C type";
}

/* out as one line: control characters and runs of white space become one
 * space, none at either end, cut at a character boundary to fit. */
static void one_line(char *out)
{
	char *r = out, *w = out;
	bool space = false;

	for (; *r; r++) {
		if ((unsigned char)*r <= ' ' || *r == 0x7f) {
			space = w != out;
			continue;
		}
		if (space)
			*w++ = ' ';
		space = false;
		*w++ = *r;
	}
	*w = 0;
}

static void cut_utf8(char *s, size_t cap)
{
	size_t n = strlen(s);

	if (n < cap)
		return;
	n = cap - 1;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	s[n] = 0;
}

void fhir_label(const char *json, size_t len, char *out, size_t cap)
{
	cJSON *r;
	const char *f, *type;
	char buf[512];

	*out = 0;
	if (!cap || !(r = cJSON_ParseWithLength(json, len)))
		return;
	type = text_of(r, "resourceType");
	for (f = fields_of(type ? type : ""); *f && !*out;) {
		char key[40];
		size_t n = strcspn(f + 2, ",");

		snprintf(key, sizeof(key), "%.*s", (int)n, f + 2);
		field_text(r, f[0], key, buf, sizeof(buf));
		one_line(buf);
		cut_utf8(buf, cap);
		snprintf(out, cap, "%s", buf);
		f += 2 + n + (f[2 + n] == ',');
	}
	cJSON_Delete(r);
}
