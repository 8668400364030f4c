/* The checks of fhir_validate.h. */
#include "wallet/vault/fhir_validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/text.h"

/* FHIR R4 (4.0.1): every resource type, sorted (bsearch). */
static const char *const r4_types[] = {
	"Account", "ActivityDefinition", "AdverseEvent", "AllergyIntolerance", "Appointment",
	"AppointmentResponse", "AuditEvent", "Basic", "Binary", "BiologicallyDerivedProduct",
	"BodyStructure", "Bundle", "CapabilityStatement", "CarePlan", "CareTeam", "CatalogEntry",
	"ChargeItem", "ChargeItemDefinition", "Claim", "ClaimResponse", "ClinicalImpression",
	"CodeSystem", "Communication", "CommunicationRequest", "CompartmentDefinition",
	"Composition", "ConceptMap", "Condition", "Consent", "Contract", "Coverage",
	"CoverageEligibilityRequest", "CoverageEligibilityResponse", "DetectedIssue", "Device",
	"DeviceDefinition", "DeviceMetric", "DeviceRequest", "DeviceUseStatement",
	"DiagnosticReport", "DocumentManifest", "DocumentReference", "EffectEvidenceSynthesis",
	"Encounter", "Endpoint", "EnrollmentRequest", "EnrollmentResponse", "EpisodeOfCare",
	"EventDefinition", "Evidence", "EvidenceVariable", "ExampleScenario",
	"ExplanationOfBenefit", "FamilyMemberHistory", "Flag", "Goal", "GraphDefinition", "Group",
	"GuidanceResponse", "HealthcareService", "ImagingStudy", "Immunization",
	"ImmunizationEvaluation", "ImmunizationRecommendation", "ImplementationGuide",
	"InsurancePlan", "Invoice", "Library", "Linkage", "List", "Location", "Measure",
	"MeasureReport", "Media", "Medication", "MedicationAdministration", "MedicationDispense",
	"MedicationKnowledge", "MedicationRequest", "MedicationStatement", "MedicinalProduct",
	"MedicinalProductAuthorization", "MedicinalProductContraindication",
	"MedicinalProductIndication", "MedicinalProductIngredient", "MedicinalProductInteraction",
	"MedicinalProductManufactured", "MedicinalProductPackaged",
	"MedicinalProductPharmaceutical", "MedicinalProductUndesirableEffect",
	"MessageDefinition", "MessageHeader", "MolecularSequence", "NamingSystem",
	"NutritionOrder", "Observation", "ObservationDefinition", "OperationDefinition",
	"OperationOutcome", "Organization", "OrganizationAffiliation", "Parameters", "Patient",
	"PaymentNotice", "PaymentReconciliation", "Person", "PlanDefinition", "Practitioner",
	"PractitionerRole", "Procedure", "Provenance", "Questionnaire", "QuestionnaireResponse",
	"RelatedPerson", "RequestGroup", "ResearchDefinition", "ResearchElementDefinition",
	"ResearchStudy", "ResearchSubject", "RiskAssessment", "RiskEvidenceSynthesis", "Schedule",
	"SearchParameter", "ServiceRequest", "Slot", "Specimen", "SpecimenDefinition",
	"StructureDefinition", "StructureMap", "Subscription", "Substance",
	"SubstanceNucleicAcid", "SubstancePolymer", "SubstanceProtein",
	"SubstanceReferenceInformation", "SubstanceSourceMaterial", "SubstanceSpecification",
	"SupplyDelivery", "SupplyRequest", "Task", "TerminologyCapabilities", "TestReport",
	"TestScript", "ValueSet", "VerificationResult", "VisionPrescription",
};
#define NTYPES (sizeof(r4_types) / sizeof(r4_types[0]))

static const char *const bundle_types[] = {
	"document", "message", "transaction", "transaction-response", "batch", "batch-response",
	"history", "searchset", "collection", NULL
};
/* Bundle types whose every entry carries a resource (R4 invariants). */
static const char *const bundle_types_with_resources[] = {
	"document", "message", "collection", "searchset", NULL
};
static const char *const observation_status[] = {
	"registered", "preliminary", "final", "amended", "corrected", "cancelled",
	"entered-in-error", "unknown", NULL
};
static const char *const genders[] = { "male", "female", "other", "unknown", NULL };

static int compare_type(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

bool fhir_is_resource_type(const char *name)
{
	return name && bsearch(name, r4_types, NTYPES, sizeof(r4_types[0]), compare_type);
}

static bool in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return true;
	return false;
}

/* A near miss of a type name for "did you mean": the same but for case,
 * else the closest type at most two edits away ("Patinet", "Observaton"). */
static const char *near_type(const char *s)
{
	const char *best = NULL;
	unsigned d, bestd = 3;
	size_t i;

	for (i = 0; i < NTYPES; i++) {
		if (!strcasecmp(s, r4_types[i]))
			return r4_types[i];
		if ((d = edit_distance(s, r4_types[i])) < bestd) {
			bestd = d;
			best = r4_types[i];
		}
	}
	return best;
}

/* A FHIR date: YYYY, YYYY-MM or YYYY-MM-DD. */
static bool is_date(const char *s)
{
	static const char shape[] = "dddd-dd-dd";
	size_t i, n = strlen(s);

	if (n != 4 && n != 7 && n != 10)
		return false;
	for (i = 0; i < n; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != '-')
			return false;
	return true;
}

static bool is_fhir_id(const char *s)
{
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-.");

	return n >= 1 && n <= 64 && !s[n];
}

/* "at: " before a message, or nothing at the top. */
#define WHERE(at) (at)[0] ? (at) : "", (at)[0] ? ": " : ""

static int check_field(const char *at, const char *type, const cJSON *v, const char *field,
		       const char *const *allowed, bool required, ehr_err *e)
{
	if (!v)
		return required ? ehr_fail(e, EHR_EUSAGE, "%s%s%s has no \"%s\"", WHERE(at), type, field) : 0;
	if (!cJSON_IsString(v) || !in_list(v->valuestring, allowed)) {
		char list[256] = "";

		for (; *allowed; allowed++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
				 list[0] ? ", " : "", *allowed);
		return ehr_fail(e, EHR_EUSAGE, "%s%s%s.%s must be one of %s", WHERE(at), type, field, list);
	}
	return 0;
}

static int check_patient(const char *at, const cJSON *r, ehr_err *e)
{
	const cJSON *name = cJSON_GetObjectItemCaseSensitive(r, "name"), *n;
	const cJSON *birth = cJSON_GetObjectItemCaseSensitive(r, "birthDate");
	const cJSON *active = cJSON_GetObjectItemCaseSensitive(r, "active");
	int rc;

	if (name) {
		if (!cJSON_IsArray(name))
			return ehr_fail(e, EHR_EUSAGE, "%s%sPatient.name must be an array of names", WHERE(at));
		cJSON_ArrayForEach(n, name)
			if (!cJSON_IsObject(n))
				return ehr_fail(e, EHR_EUSAGE, "%s%sPatient.name holds something that is not a "
						"name object", WHERE(at));
	}
	if ((rc = check_field(at, "Patient", cJSON_GetObjectItemCaseSensitive(r, "gender"), "gender",
			      genders, false, e)))
		return rc;
	if (birth && (!cJSON_IsString(birth) || !is_date(birth->valuestring)))
		return ehr_fail(e, EHR_EUSAGE, "%s%sPatient.birthDate must be a date (YYYY, YYYY-MM or "
				"YYYY-MM-DD)", WHERE(at));
	if (active && !cJSON_IsBool(active))
		return ehr_fail(e, EHR_EUSAGE, "%s%sPatient.active must be true or false", WHERE(at));
	return 0;
}

static int check_observation(const char *at, const cJSON *r, ehr_err *e)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(r, "code");
	const cJSON *subject = cJSON_GetObjectItemCaseSensitive(r, "subject");
	int rc;

	if ((rc = check_field(at, "Observation", cJSON_GetObjectItemCaseSensitive(r, "status"),
			      "status", observation_status, true, e)))
		return rc;
	if (!code)
		return ehr_fail(e, EHR_EUSAGE, "%s%sObservation has no \"code\" (what was observed)", WHERE(at));
	if (!cJSON_IsObject(code))
		return ehr_fail(e, EHR_EUSAGE, "%s%sObservation.code must be an object (a CodeableConcept)",
				WHERE(at));
	if (subject && !cJSON_IsObject(subject))
		return ehr_fail(e, EHR_EUSAGE, "%s%sObservation.subject must be an object (a Reference)",
				WHERE(at));
	return 0;
}

static int check_resource(const char *at, const cJSON *r, int depth, ehr_err *e);

static int check_bundle(const char *at, const cJSON *r, int depth, ehr_err *e)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(r, "type");
	const cJSON *entries = cJSON_GetObjectItemCaseSensitive(r, "entry"), *entry;
	char where[128];
	size_t i = 0;
	int rc;

	if ((rc = check_field(at, "Bundle", type, "type", bundle_types, true, e)))
		return rc;
	if (!entries)
		return 0;
	if (!cJSON_IsArray(entries))
		return ehr_fail(e, EHR_EUSAGE, "%s%sBundle.entry must be an array", WHERE(at));
	cJSON_ArrayForEach(entry, entries) {
		const cJSON *res = cJSON_GetObjectItemCaseSensitive(entry, "resource");

		snprintf(where, sizeof(where), "%.80s%sentry[%zu]", at, at[0] ? "." : "", i++);
		if (!cJSON_IsObject(entry))
			return ehr_fail(e, EHR_EUSAGE, "%s: a Bundle entry must be an object", where);
		if (!res && in_list(type->valuestring, bundle_types_with_resources))
			return ehr_fail(e, EHR_EUSAGE, "%s: an entry of a %s Bundle needs a \"resource\"",
					where, type->valuestring);
		if (!res)
			continue;
		strncat(where, ".resource", sizeof(where) - strlen(where) - 1);
		if (!cJSON_IsObject(res) || !cJSON_GetObjectItemCaseSensitive(res, "resourceType"))
			return ehr_fail(e, EHR_EUSAGE, "%s: not a FHIR resource (an object with a "
					"\"resourceType\")", where);
		if ((rc = check_resource(where, res, depth + 1, e)))
			return rc;
	}
	return 0;
}

/* r is an object with a "resourceType". */
static int check_resource(const char *at, const cJSON *r, int depth, ehr_err *e)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(r, "resourceType");
	const cJSON *id = cJSON_GetObjectItemCaseSensitive(r, "id");
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(r, "meta");
	const char *near;

	if (depth > FHIR_VALIDATE_DEPTH)
		return ehr_fail(e, EHR_EUSAGE, "%s%sBundles nested deeper than %d", WHERE(at), FHIR_VALIDATE_DEPTH);
	if (!cJSON_IsString(t))
		return ehr_fail(e, EHR_EUSAGE, "%s%s\"resourceType\" is not a string", WHERE(at));
	if (!fhir_is_resource_type(t->valuestring)) {
		near = near_type(t->valuestring);
		return ehr_fail(e, EHR_EUSAGE, "%s%s\"%.64s\" is not a FHIR R4 resource type%s%s%s", WHERE(at),
				t->valuestring, near ? " (did you mean \"" : "", near ? near : "", near ? "\"?)" : "");
	}
	if (id && (!cJSON_IsString(id) || !is_fhir_id(id->valuestring)))
		return ehr_fail(e, EHR_EUSAGE, "%s%s%s.id must be 1 to 64 letters, digits, '-' or '.'",
				WHERE(at), t->valuestring);
	if (meta && !cJSON_IsObject(meta))
		return ehr_fail(e, EHR_EUSAGE, "%s%s%s.meta must be an object", WHERE(at), t->valuestring);
	if (!strcmp(t->valuestring, "Bundle"))
		return check_bundle(at, r, depth, e);
	if (!strcmp(t->valuestring, "Patient"))
		return check_patient(at, r, e);
	if (!strcmp(t->valuestring, "Observation"))
		return check_observation(at, r, e);
	return 0;
}

int fhir_validate(const char *json, size_t len, ehr_err *e)
{
	size_t bom = len >= 3 && !memcmp(json, "\xef\xbb\xbf", 3) ? 3 : 0;
	cJSON *j = cJSON_ParseWithLength(json + bom, len - bom);
	int rc = 0;

	if (!j)
		return ehr_fail(e, EHR_EUSAGE, "invalid JSON");
	if (cJSON_IsObject(j) && cJSON_GetObjectItemCaseSensitive(j, "resourceType"))
		rc = check_resource("", j, 0, e);
	cJSON_Delete(j);
	return rc;
}
