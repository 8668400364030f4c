/* De-identifying FHIR R4 JSON along HIPAA Safe Harbor (45 CFR 164.514(b)(2))
 * before it leaves the wallet for research (`ehr record export --deidentify`;
 * ehr-formats(5), "De-identification", lists every rule).
 *
 * The walk goes through every object of the resource (a Bundle's entries
 * and contained resources too) and:
 *   - removes "identifier", "telecom", "photo", "serialNumber",
 *     "udiCarrier", "network" (an audit agent's IP), and "name" where it is a
 *     HumanName (an object or an array; a string name, as an
 *     Organization's, stays);
 *   - generalises every Address ("address" object or array): line, text,
 *     city, district and period go, state and country stay, postalCode
 *     keeps its first three digits unless they are a restricted 3-digit
 *     area (then "000"; no three leading digits: removed);
 *   - cuts every date, dateTime and instant string to its year ("1974");
 *     instants (issued, lastUpdated, timestamp, recorded) become
 *     "YYYY-01-01T00:00:00Z" so they remain instants;
 *   - a Patient born FHIR_DEID_AGE_CAP or more years before this_year
 *     loses birthDate and gets the extension FHIR_DEID_AGE_URL
 *     (valueBoolean true); an Age over 89 years becomes ">= 90";
 *   - removes narrative and free text: a resource's "text" (the XHTML
 *     div), "note", "comment", "description", and "display" everywhere
 *     but in a Coding (an object with a "code" or "system");
 *   - removes an Attachment's (an object with "contentType" or "data")
 *     data, url, title and hash;
 *   - replaces resource ids, references and fullUrls by pseudonyms: the
 *     HMAC-SHA-256 under key of the original ("Type/id", or the urn), as a
 *     UUID. The same key gives the same pseudonym (references stay
 *     consistent within one export or grant); another key, another one.
 *     A reference that names no Type/id or urn is removed.
 * Nothing here prints, prompts or exits. */
#ifndef EHR_FHIR_DEID_H
#define EHR_FHIR_DEID_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define FHIR_DEID_KEY_BYTES 32
#define FHIR_DEID_AGE_CAP 90
#define FHIR_DEID_AGE_URL "urn:ehr:deidentified:age-90-or-older"

/* Whether the first three digits of a US ZIP code are one of the census
 * areas of 20,000 people or fewer that Safe Harbor makes "000". */
int fhir_deid_zip3_restricted(const char zip3[3]);

/* The current year (UTC), what this_year below is for a de-identification
 * made now. */
int fhir_deid_current_year(void);

/* De-identifies the FHIR resource in json (len bytes) as above, writing a
 * malloc'd NUL-terminated JSON document to *out (*out_len its length).
 * this_year is the current year (for the age rule). EHR_EUSAGE for
 * invalid JSON or JSON that is not a FHIR resource. */
int fhir_deidentify(const char *json, size_t len, const uint8_t key[FHIR_DEID_KEY_BYTES],
		    int this_year, char **out, size_t *out_len, ehr_err *e);

#endif
