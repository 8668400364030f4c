/* wallet/vault/fhir_deid: a rich Patient + Observation + Encounter Bundle
 * loses every identifier of the patient, stays valid FHIR, and keeps its
 * references consistent under one key (and unlinkable under another). */
#include "tests/unit/tap.h"

#include "wallet/vault/fhir_deid.h"
#include "wallet/vault/fhir_validate.h"

static const char bundle[] =
"{\"resourceType\":\"Bundle\",\"id\":\"b-77\",\"type\":\"collection\","
" \"timestamp\":\"2024-03-15T10:11:12Z\",\"entry\":["
"{\"fullUrl\":\"urn:uuid:6f1c7a10-1111-4222-8333-944455556666\",\"resource\":"
" {\"resourceType\":\"Patient\",\"id\":\"pat-8812\","
"  \"meta\":{\"lastUpdated\":\"2024-03-14T09:08:07Z\"},"
"  \"text\":{\"status\":\"generated\",\"div\":\"<div xmlns=\\\"http://www.w3.org/1999/xhtml\\\">Wilhelmina Quackenbush MRN 4471-992</div>\"},"
"  \"identifier\":[{\"system\":\"urn:oid:1.2.36.146.595.217.0.1\",\"value\":\"MRN4471992\"},"
"                 {\"system\":\"http://hl7.org/fhir/sid/us-ssn\",\"value\":\"078-05-1120\"}],"
"  \"name\":[{\"family\":\"Quackenbush\",\"given\":[\"Wilhelmina\",\"Josephine\"]}],"
"  \"telecom\":[{\"system\":\"phone\",\"value\":\"(617) 555-0199\"},{\"system\":\"email\",\"value\":\"wq@example.org\"}],"
"  \"gender\":\"female\",\"birthDate\":\"1961-07-23\","
"  \"address\":[{\"line\":[\"4 Blackberry Lane\"],\"city\":\"Brookline\",\"district\":\"Norfolk\","
"    \"state\":\"MA\",\"postalCode\":\"02446-1234\",\"country\":\"US\"},"
"    {\"line\":[\"7 Quarry Rd\"],\"city\":\"Tiny\",\"state\":\"VT\",\"postalCode\":\"05901\"}],"
"  \"photo\":[{\"contentType\":\"image/jpeg\",\"data\":\"UEhPVE9EQVRB\"}],"
"  \"contact\":[{\"name\":{\"family\":\"Quackenbush\",\"given\":[\"Ebenezer\"]},"
"    \"telecom\":[{\"system\":\"phone\",\"value\":\"617-555-0142\"}]}],"
"  \"generalPractitioner\":[{\"reference\":\"Practitioner/dr-901\",\"display\":\"Dr. Adelaide Fenwick\"}]}},"
"{\"fullUrl\":\"http://example.org/fhir/Encounter/enc-3301\",\"resource\":"
" {\"resourceType\":\"Encounter\",\"id\":\"enc-3301\",\"status\":\"finished\","
"  \"class\":{\"system\":\"http://terminology.hl7.org/CodeSystem/v3-ActCode\",\"code\":\"AMB\",\"display\":\"ambulatory\"},"
"  \"subject\":{\"reference\":\"urn:uuid:6f1c7a10-1111-4222-8333-944455556666\",\"display\":\"Wilhelmina Quackenbush\"},"
"  \"period\":{\"start\":\"2024-03-12T08:30:00-05:00\",\"end\":\"2024-03-12T09:15:00-05:00\"}}},"
"{\"fullUrl\":\"urn:uuid:0b0e0c0d-aaaa-4bbb-8ccc-dddd0000eeee\",\"resource\":"
" {\"resourceType\":\"Observation\",\"id\":\"obs-5\",\"status\":\"final\","
"  \"code\":{\"coding\":[{\"system\":\"http://loinc.org\",\"code\":\"8480-6\",\"display\":\"Systolic blood pressure\"}]},"
"  \"subject\":{\"reference\":\"urn:uuid:6f1c7a10-1111-4222-8333-944455556666\"},"
"  \"encounter\":{\"reference\":\"Encounter/enc-3301\"},"
"  \"performer\":[{\"reference\":\"Practitioner/dr-901\",\"display\":\"Dr. Adelaide Fenwick\"}],"
"  \"effectiveDateTime\":\"2024-03-12T08:45:00-05:00\",\"issued\":\"2024-03-13T10:00:00Z\","
"  \"valueQuantity\":{\"value\":142,\"unit\":\"mmHg\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"mm[Hg]\"},"
"  \"note\":[{\"text\":\"Wilhelmina called from 617-555-0199\"}],"
"  \"extension\":[{\"url\":\"http://example.org/onset\",\"valueAge\":{\"value\":93,\"unit\":\"years\",\"system\":\"http://unitsofmeasure.org\",\"code\":\"a\"}}]}}"
"]}";

/* every identifier of the input, none of which may survive */
static const char *const identifiers[] = {
	"Quackenbush", "Wilhelmina", "Josephine", "Ebenezer", "Fenwick", "MRN4471992", "4471-992",
	"078-05-1120", "555-0199", "555-0142", "wq@example.org", "Blackberry", "Quarry", "Brookline",
	"Norfolk", "Tiny", "02446", "05901", "1961-07", "2024-03", "pat-8812", "enc-3301", "obs-5",
	"dr-901", "b-77", "6f1c7a10", "0b0e0c0d", "PHOTODATA", "UEhPVE9EQVRB", "example.org/fhir",
};

static char *deid(const char *json, uint8_t fill, int year)
{
	uint8_t key[FHIR_DEID_KEY_BYTES];
	char *out = NULL;
	size_t n = 0;
	ehr_err e = { 0 };

	memset(key, fill, sizeof(key));
	CHECK(fhir_deidentify(json, strlen(json), key, year, &out, &n, &e) == 0, "%s", e.msg);
	CHECK(out && strlen(out) == n, "length");
	return out;
}

static void test_bundle(void)
{
	char *out = deid(bundle, 1, 2026), *again = deid(bundle, 1, 2026), *other = deid(bundle, 2, 2026);
	ehr_err e = { 0 };
	cJSON *j, *ent, *pat, *obs, *enc;
	size_t i;

	for (i = 0; i < sizeof(identifiers) / sizeof(identifiers[0]); i++)
		CHECK(!strstr(out, identifiers[i]), "'%s' survived: %s", identifiers[i], out);
	CHECK(fhir_validate(out, strlen(out), &e) == 0, "not valid FHIR: %s", e.msg);
	CHECK_STR(out, again);
	CHECK(strcmp(out, other) != 0, "another key, other pseudonyms");
	j = cJSON_Parse(out);
	ent = cJSON_GetObjectItem(j, "entry");
	pat = cJSON_GetObjectItem(cJSON_GetArrayItem(ent, 0), "resource");
	enc = cJSON_GetObjectItem(cJSON_GetArrayItem(ent, 1), "resource");
	obs = cJSON_GetObjectItem(cJSON_GetArrayItem(ent, 2), "resource");
	CHECK_STR(cJSON_GetObjectItem(pat, "birthDate")->valuestring, "1961");
	CHECK_STR(cJSON_GetObjectItem(pat, "gender")->valuestring, "female");
	CHECK(!cJSON_GetObjectItem(pat, "name") && !cJSON_GetObjectItem(pat, "telecom") &&
	      !cJSON_GetObjectItem(pat, "identifier") && !cJSON_GetObjectItem(pat, "photo") &&
	      !cJSON_GetObjectItem(pat, "text"), "person identifiers gone");
	cJSON *addr = cJSON_GetObjectItem(pat, "address");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(addr, 0), "postalCode")->valuestring, "024");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(addr, 0), "state")->valuestring, "MA");
	CHECK(!cJSON_GetObjectItem(cJSON_GetArrayItem(addr, 0), "line") &&
	      !cJSON_GetObjectItem(cJSON_GetArrayItem(addr, 0), "city"), "street and city gone");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(addr, 1), "postalCode")->valuestring, "000");
	/* references resolve to the pseudonymous fullUrls */
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(obs, "subject"), "reference")->valuestring,
		  cJSON_GetObjectItem(cJSON_GetArrayItem(ent, 0), "fullUrl")->valuestring);
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(obs, "encounter"), "reference")->valuestring,
		  cJSON_GetObjectItem(cJSON_GetArrayItem(ent, 1), "fullUrl")->valuestring);
	CHECK_STR(cJSON_GetObjectItem(obs, "effectiveDateTime")->valuestring, "2024");
	CHECK_STR(cJSON_GetObjectItem(obs, "issued")->valuestring, "2024-01-01T00:00:00Z");
	CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(enc, "period"), "start")->valuestring, "2024");
	CHECK(strstr(out, "\"Systolic blood pressure\"") && strstr(out, "\"display\":\"ambulatory\""),
	      "codings keep their display");
	CHECK(strstr(out, "\"value\":142") && strstr(out, "\"code\":\"8480-6\""), "clinical facts stay");
	CHECK(strstr(out, "\"value\":90") && strstr(out, "\"comparator\":\">=\""), "an age over 89: >= 90");
	cJSON_Delete(j);
	free(out);
	free(again);
	free(other);
}

static void test_age_and_zip(void)
{
	char *out = deid("{\"resourceType\":\"Patient\",\"birthDate\":\"1930-02-01\"}", 1, 2026);

	CHECK(!strstr(out, "birthDate") && strstr(out, FHIR_DEID_AGE_URL) && strstr(out, "\"valueBoolean\":true"),
	      "born 96 years ago: %s", out);
	free(out);
	out = deid("{\"resourceType\":\"Patient\",\"birthDate\":\"1937\"}", 1, 2026);
	CHECK(strstr(out, "\"birthDate\":\"1937\"") && !strstr(out, FHIR_DEID_AGE_URL), "89: %s", out);
	free(out);
	CHECK(fhir_deid_zip3_restricted("036") && fhir_deid_zip3_restricted("893") &&
	      !fhir_deid_zip3_restricted("024"), "restricted 3-digit areas");
}

/* Safe Harbor's device identifiers and IP addresses */
static void test_devices(void)
{
	char *out = deid("{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":["
			 "{\"resource\":{\"resourceType\":\"Device\",\"serialNumber\":\"SN-7730091\","
			 "\"udiCarrier\":[{\"deviceIdentifier\":\"09504000059118\"}],\"status\":\"active\"}},"
			 "{\"resource\":{\"resourceType\":\"AuditEvent\",\"agent\":[{\"requestor\":true,"
			 "\"network\":{\"address\":\"203.0.113.77\",\"type\":\"2\"}}]}}]}", 1, 2026);

	CHECK(!strstr(out, "SN-7730091") && !strstr(out, "09504000059118") && !strstr(out, "203.0.113.77") &&
	      strstr(out, "\"status\":\"active\"") && strstr(out, "\"requestor\":true"), "%s", out);
	free(out);
}

static void test_refusals(void)
{
	uint8_t key[FHIR_DEID_KEY_BYTES] = { 0 };
	char *out = (char *)1;
	size_t n;
	ehr_err e = { 0 };

	CHECK(fhir_deidentify("{\"a\":1}", 7, key, 2026, &out, &n, &e) == EHR_EUSAGE && !out,
	      "not FHIR refused");
	CHECK(strstr(e.msg, "not a FHIR resource") != NULL, "%s", e.msg);
	CHECK(fhir_deidentify("{nope", 5, key, 2026, &out, &n, &e) == EHR_EUSAGE, "invalid JSON refused");
}

/* every shared FHIR example de-identifies to valid FHIR */
static void test_vectors(void)
{
	static const char *const names[] = { "Patient-example.json", "Bundle-bundle-example.json",
					     "Bundle-bundle-transaction.json", "Bundle-f001.json" };
	uint8_t key[FHIR_DEID_KEY_BYTES] = { 7 };
	char path[256], *buf, *out;
	size_t i, n, on;
	ehr_err e;
	FILE *f;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(path, sizeof(path), "/work/shared/vectors/fhir-r4/%s", names[i]);
		if (!(f = fopen(path, "rb")))
			continue;
		buf = malloc(1 << 20);
		n = fread(buf, 1, (1 << 20) - 1, f);
		fclose(f);
		buf[n] = 0;
		ehr_err_clear(&e);
		CHECK(fhir_deidentify(buf, n, key, 2026, &out, &on, &e) == 0, "%s: %s", names[i], e.msg);
		CHECK(out && fhir_validate(out, on, &e) == 0, "%s: %s", names[i], e.msg);
		if (!strcmp(names[i], "Patient-example.json"))
			CHECK(!strstr(out, "Chalmers") && !strstr(out, "534 Erewhon") && !strstr(out, "1974-12"),
			      "Patient-example identifiers: %s", out);
		free(out);
		free(buf);
	}
}

int main(void)
{
	test_bundle();
	test_age_and_zip();
	test_devices();
	test_refusals();
	test_vectors();
	return tap_done();
}
