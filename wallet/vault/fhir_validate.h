/* Checking FHIR R4 JSON before it is sealed, so that a typo a provider's
 * system made ("Patinet") or a broken Bundle is refused at the door rather
 * than found by whoever opens the record years later.
 *
 * This is not a schema validator. It checks:
 *   - every resource's "resourceType" is one of the 146 R4 resource types
 *     (a near miss gets a "did you mean");
 *   - "id", where present, is a FHIR id ([A-Za-z0-9.-], 1 to 64) and
 *     "meta" an object;
 *   - a Bundle has a known "type"; its "entry", where present, is an array
 *     of objects; an entry's "resource" is an object that passes these
 *     checks (nested Bundles too, to FHIR_VALIDATE_DEPTH); entries of a
 *     document, message, collection or searchset must have one;
 *   - a Patient's "name" is an array of objects, its "gender" one of male,
 *     female, other, unknown, its "birthDate" a FHIR date, "active" a
 *     boolean;
 *   - an Observation has a "status" from R4's list and a "code" object,
 *     and its "subject", where present, is an object.
 * Nothing here prints, prompts or exits. */
#ifndef EHR_FHIR_VALIDATE_H
#define EHR_FHIR_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "wallet/base/err.h"

#define FHIR_VALIDATE_DEPTH 8

/* Whether name is an R4 resource type (exact, case matters). */
bool fhir_is_resource_type(const char *name);

/* Checks the FHIR resource in json (len bytes; a UTF-8 BOM is skipped) as
 * above: 0, or EHR_EUSAGE with e naming where (e.g. "entry[2].resource")
 * and the problem. JSON that is not an object with a "resourceType" is
 * not FHIR and passes (0); invalid JSON is EHR_EUSAGE. */
int fhir_validate(const char *json, size_t len, ehr_err *e);

#endif
