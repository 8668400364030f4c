/* FHIR R4 JSON (DESIGN.md section 9): recognising a resource by its
 * "resourceType", splitting a Bundle into its entries' resources, and
 * writing a `collection` Bundle of records for `ehr record export --fhir`.
 *
 * Parsing is cJSON's; nothing here validates resources against the FHIR
 * schema, it only looks at what it needs. Inputs are whole documents in
 * memory: callers bound their size (FHIR_JSON_MAX is a sensible bound).
 * Nothing here prints, prompts or exits. */
#ifndef EHR_FHIR_H
#define EHR_FHIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define FHIR_TYPE_MAX 64                  /* a resourceType and its NUL fit */
#define FHIR_JSON_MAX (64u << 20)

/* Whether s is shaped like a resourceType: [A-Z][A-Za-z]*, under
 * FHIR_TYPE_MAX bytes (whether FHIR defines it: fhir_validate.h). */
bool fhir_is_type_name(const char *s);

/* Parses len bytes of JSON (a UTF-8 byte order mark is skipped).
 *   - a JSON object whose "resourceType" is a string naming a type
 *     ([A-Z][A-Za-z]*, under FHIR_TYPE_MAX bytes): writes it to
 *     resource_type and returns 0;
 *   - any other valid JSON (no "resourceType", or not an object): writes ""
 *     and returns 0: it is JSON, not FHIR;
 *   - invalid JSON: EHR_EUSAGE "invalid JSON at line L, column C" (1-based;
 *     the column counts characters), and resource_type is "";
 *   - a "resourceType" that is not such a string: EHR_EUSAGE.
 * cap is resource_type's size (FHIR_TYPE_MAX is always enough). */
int fhir_detect(const char *json, size_t len, char *resource_type, size_t cap, ehr_err *e);

/* Called for each entry of a Bundle that has a "resource": index is the
 * entry's position in "entry" (0-based; entries without a resource, as in
 * a transaction-response, are skipped, so indexes may jump), json/len the
 * resource exactly as it is written in the Bundle (the same bytes, so
 * nothing about it changes, numbers included; not NUL-terminated). A
 * non-zero return stops the walk and is returned. */
typedef int (*fhir_entry_fn)(void *arg, size_t index, const char *resource_type,
			     const char *json, size_t len, ehr_err *e);

/* Walks the entries of the Bundle in json. Refuses (EHR_EUSAGE) invalid
 * JSON (as fhir_detect), a resource other than a Bundle, an "entry" that is
 * not an array, and an entry resource that is not a FHIR resource. *count
 * (may be NULL) receives the number of resources passed to fn. */
int fhir_bundle_entries(const char *json, size_t len, fhir_entry_fn fn, void *arg,
			size_t *count, ehr_err *e);

/* What the resource in json names, in a few words, for a record's title:
 * an Observation's, Condition's or AllergyIntolerance's code (its text,
 * else its first coding's display; an allergy's reaction substance), a
 * medication statement's or request's medication, an Immunization's
 * vaccine, a Patient's or Practitioner's name, a Composition's title; any
 * other type its title, name, code or type. One line of printable text
 * (control characters and runs of space made one space), cut at a
 * character boundary to fit cap. "" when json names nothing (or does not
 * parse). */
void fhir_label(const char *json, size_t len, char *out, size_t cap);

/* How FHIR output names an ehr record: an Identifier whose system is
 * "urn:ehr:record:eip155:<chain id>:<registry address, EIP-55>" and whose
 * value is the record id in decimal. Record ids count from 1 in each
 * registry, so the registry (and the chain it is on, as CAIP-10 writes an
 * account) is the namespace. `ehr record export --fhir` puts it on each
 * record's DocumentReference and `ehr audit --fhir` names records by it
 * (AuditEvent.entity.what, Consent.provision.data.reference), so a FHIR
 * consumer joins the two on identifier system and value. */
#define FHIR_RECORD_SYSTEM_MAX 96          /* the longest system and its NUL */

void fhir_record_system(uint64_t chain_id, const uint8_t registry[20],
			char out[FHIR_RECORD_SYSTEM_MAX]);

/* Writing a FHIR R4 Bundle of type "collection", streamed to a file
 * descriptor in constant memory (apart from the resources handed in):
 *
 *   { "resourceType": "Bundle", "id": <uuid>, "type": "collection",
 *     "timestamp": <now>, "entry": [ { "fullUrl": "urn:uuid:<uuid>",
 *     "resource": ... }, ... ] }
 *
 * A file becomes two entries: a Binary (contentType, data in base64) and a
 * DocumentReference that describes it. A FHIR record goes in as it is,
 * followed by a DocumentReference that describes it (fhir_export_add_record).
 * The DocumentReference has status "current"; the record's id an
 * identifier (system record_system, value record_id), its type type.text,
 * its creation time date, its title description; content[0].attachment
 * points at the Binary or the resource (url "urn:uuid:<its entry's uuid>")
 * and gives contentType, title (the file name) and creation, and for a
 * file also size (FHIR's unsignedInt: left out above 4 GiB - 1) and hash
 * (base64 SHA-1 of the data, as R4 defines Attachment.hash). */
typedef struct fhir_export fhir_export;

typedef struct fhir_attachment {
	const char *content_type;    /* NULL or "": application/octet-stream */
	const char *title;           /* NULL or "": left out */
	const char *type;            /* NULL or "": left out */
	const char *file_name;       /* NULL or "": the title is used */
	const char *created;         /* RFC 3339; NULL or "": left out */
	const char *record_id;       /* NULL or "": no identifier */
	const char *record_system;   /* fhir_record_system; NULL or "": none */
} fhir_attachment;

/* Starts a Bundle on out_fd. *out is freed by fhir_export_end or
 * fhir_export_free. */
int fhir_export_begin(int out_fd, fhir_export **out, ehr_err *e);

/* Adds a FHIR resource (a JSON object with a resourceType; EHR_EUSAGE
 * otherwise), copied as it is. */
int fhir_export_add_resource(fhir_export *x, const char *json, size_t len, ehr_err *e);

/* Adds a FHIR record: its resource as fhir_export_add_resource does, then
 * a DocumentReference that describes it (att as for a file; content_type
 * NULL or "": application/fhir+json). */
int fhir_export_add_record(fhir_export *x, const char *json, size_t len,
			   const fhir_attachment *att, ehr_err *e);

/* Adds the file read from fd (to EOF) as a Binary and a DocumentReference.
 * After a failure of any add the Bundle is unusable: free it. */
int fhir_export_add_file(fhir_export *x, int fd, const fhir_attachment *att, ehr_err *e);

/* Closes the Bundle, flushes it and frees x (also on failure). Returns 0,
 * or EHR_EFAIL when a write failed at any point. *entries (may be NULL)
 * receives the number of entries written. */
int fhir_export_end(fhir_export *x, size_t *entries, ehr_err *e);

/* Frees x without closing the Bundle (the output is then unusable). */
void fhir_export_free(fhir_export *x);

#endif
