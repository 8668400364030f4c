/* wallet/vault/fhir_validate: the R4 resource types and the basic shape of
 * Bundle, Patient and Observation; every shared FHIR example passes. */
#include "tests/unit/tap.h"

#include <dirent.h>

#include "wallet/vault/fhir_validate.h"

static int validate(const char *json, ehr_err *e)
{
	ehr_err_clear(e);
	return fhir_validate(json, strlen(json), e);
}

/* refused JSON, and a piece of the message it must give */
#define REFUSED(json, says) do { \
	ehr_err e_; \
	CHECK(validate((json), &e_) == EHR_EUSAGE, "accepted: %s", (json)); \
	CHECK(strstr(e_.msg, (says)) != NULL, "message '%s' lacks '%s'", e_.msg, (says)); \
} while (0)

static void test_types(void)
{
	ehr_err e;

	CHECK(fhir_is_resource_type("Patient") && fhir_is_resource_type("Account") &&
	      fhir_is_resource_type("VisionPrescription") && fhir_is_resource_type("MedicinalProductUndesirableEffect"),
	      "known types (first, last, longest)");
	CHECK(!fhir_is_resource_type("Patinet") && !fhir_is_resource_type("patient") &&
	      !fhir_is_resource_type("Resource") && !fhir_is_resource_type("DomainResource") &&
	      !fhir_is_resource_type(""), "unknown types");
	REFUSED("{\"resourceType\": \"Patinet\"}", "\"Patinet\" is not a FHIR R4 resource type (did you mean \"Patient\"?)");
	REFUSED("{\"resourceType\": \"observation\"}", "did you mean \"Observation\"");
	REFUSED("{\"resourceType\": \"Observaton\", \"status\": \"final\"}", "did you mean \"Observation\"");
	REFUSED("{\"resourceType\": \"Zebra\"}", "\"Zebra\" is not a FHIR R4 resource type");
	CHECK(validate("{\"resourceType\": \"Zebra\"}", &e) && !strstr(e.msg, "did you mean"), "%s", e.msg);
	REFUSED("{\"resourceType\": 7}", "\"resourceType\" is not a string");
	REFUSED("{\"resourceType\": \"Patient\", \"id\": \"a b\"}", "Patient.id must be 1 to 64");
	REFUSED("{\"resourceType\": \"Patient\", \"meta\": []}", "Patient.meta must be an object");
	CHECK(validate("{\"resourceType\": \"Condition\", \"id\": \"c-1.2\"}", &e) == 0, "%s", e.msg);
}

static void test_not_fhir(void)
{
	ehr_err e;

	CHECK(validate("{\"a\": 1}", &e) == 0, "JSON without resourceType");
	CHECK(validate("[1, 2]", &e) == 0, "an array");
	CHECK(validate("\xef\xbb\xbf{\"resourceType\": \"Basic\"}", &e) == 0, "a BOM: %s", e.msg);
	CHECK(validate("{\"resourceType\": ", &e) == EHR_EUSAGE, "invalid JSON");
}

static void test_bundle(void)
{
	ehr_err e;

	REFUSED("{\"resourceType\": \"Bundle\"}", "Bundle has no \"type\"");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"pile\"}", "Bundle.type must be one of document, message");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": {}}", "Bundle.entry must be an array");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [3]}",
		"entry[0]: a Bundle entry must be an object");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"fullUrl\": \"x\"}]}",
		"entry[0]: an entry of a collection Bundle needs a \"resource\"");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"resource\": {\"a\": 1}}]}",
		"entry[0].resource: not a FHIR resource");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": ["
		"{\"resource\": {\"resourceType\": \"Basic\"}}, {\"resource\": {\"resourceType\": \"Patinet\"}}]}",
		"entry[1].resource: \"Patinet\" is not");
	REFUSED("{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"resource\": "
		"{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"resource\": "
		"{\"resourceType\": \"Observation\", \"code\": {}}}]}}]}",
		"entry[0].resource.entry[0].resource: Observation has no \"status\"");
	CHECK(validate("{\"resourceType\": \"Bundle\", \"type\": \"transaction-response\", \"entry\": "
		       "[{\"response\": {\"status\": \"200\"}}]}", &e) == 0, "a response without resources: %s", e.msg);
	CHECK(validate("{\"resourceType\": \"Bundle\", \"type\": \"collection\"}", &e) == 0, "no entries: %s", e.msg);
	{
		char deep[2048] = "", tail[512] = "";
		int i;

		for (i = 0; i < FHIR_VALIDATE_DEPTH + 2; i++) {
			strcat(deep, "{\"resourceType\": \"Bundle\", \"type\": \"collection\", \"entry\": [{\"resource\": ");
			strcat(tail, "}]}");
		}
		strcat(deep, "{\"resourceType\": \"Basic\"}");
		strcat(deep, tail);
		REFUSED(deep, "nested deeper than");
	}
}

static void test_patient_observation(void)
{
	ehr_err e;

	REFUSED("{\"resourceType\": \"Patient\", \"name\": {\"family\": \"X\"}}", "Patient.name must be an array");
	REFUSED("{\"resourceType\": \"Patient\", \"name\": [\"X\"]}", "Patient.name holds something");
	REFUSED("{\"resourceType\": \"Patient\", \"gender\": \"f\"}", "Patient.gender must be one of male, female, other, unknown");
	REFUSED("{\"resourceType\": \"Patient\", \"birthDate\": \"12/03/1970\"}", "Patient.birthDate must be a date");
	REFUSED("{\"resourceType\": \"Patient\", \"active\": \"yes\"}", "Patient.active must be true or false");
	CHECK(validate("{\"resourceType\": \"Patient\", \"name\": [{\"family\": \"X\"}], \"gender\": \"other\", "
		       "\"birthDate\": \"1970-03\", \"active\": true}", &e) == 0, "%s", e.msg);
	REFUSED("{\"resourceType\": \"Observation\", \"code\": {}}", "Observation has no \"status\"");
	REFUSED("{\"resourceType\": \"Observation\", \"status\": \"done\", \"code\": {}}",
		"Observation.status must be one of registered, preliminary, final");
	REFUSED("{\"resourceType\": \"Observation\", \"status\": \"final\"}", "Observation has no \"code\"");
	REFUSED("{\"resourceType\": \"Observation\", \"status\": \"final\", \"code\": \"glucose\"}",
		"Observation.code must be an object");
	REFUSED("{\"resourceType\": \"Observation\", \"status\": \"final\", \"code\": {}, \"subject\": \"me\"}",
		"Observation.subject must be an object");
	CHECK(validate("{\"resourceType\": \"Observation\", \"status\": \"final\", \"code\": {\"text\": \"HbA1c\"}, "
		       "\"subject\": {\"reference\": \"Patient/1\"}}", &e) == 0, "%s", e.msg);
}

/* Every example the project reads passes: the R4 examples, the IPS
 * document Bundle, the SMART Health Card Bundles. */
static void test_vectors(void)
{
	static const char *const dirs[] = { "fhir-r4", "shl", "shc" };
	char rel[512];
	size_t k, n = 0;

	SKIP_WITHOUT_VECTORS("fhir_validate");
	for (k = 0; k < 3; k++) {
		DIR *d;
		struct dirent *de;

		snprintf(rel, sizeof(rel), "%s/%s", vectors_dir(), dirs[k]);
		if (!(d = opendir(rel)))
			continue;
		while ((de = readdir(d))) {
			char *json;
			size_t len;
			ehr_err e;

			if (!strstr(de->d_name, ".json") || !strcmp(de->d_name, "hl7.fhir.r4.examples-package.json"))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", dirs[k], de->d_name);
			if (!(json = vectors_read(rel, &len)))
				continue;
			ehr_err_clear(&e);
			CHECK(fhir_validate(json, len, &e) == 0, "%s: %s", rel, e.msg);
			free(json);
			n++;
		}
		closedir(d);
	}
	CHECK(n >= 30, "%zu example files read", n);
}

int main(void)
{
	test_types();
	test_not_fhir();
	test_bundle();
	test_patient_observation();
	test_vectors();
	return tap_done();
}
