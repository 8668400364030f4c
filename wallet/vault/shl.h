/* SMART Health Links (HL7 "SMART Health Cards and Links" 1.0): a link a
 * portal hands out, "shlink:/" and the base64url of a JSON payload
 *   { "url": "https://...", "key": "<32 bytes, base64url>", "exp": 1767225600,
 *     "flag": "LP", "label": "Back-to-school immunizations", "v": 1 }
 * possibly after a viewer's address and a '#' ("https://viewer.example/#shlink:/...").
 * Without the U flag the url is a manifest: POSTed {"recipient": ...,
 * "passcode": ...} (P: the link needs a passcode) it lists files, each
 * "embedded" (a JWE) or at a "location" to GET; with U the url is the one
 * file, fetched by GET with ?recipient=. Every file is a compact JWE under
 * the link's key (wallet/vault/jose.h), of "contentType"
 * application/smart-health-card (a .smart-health-card file's JSON),
 * application/fhir+json or application/smart-api-access.
 *
 * The key is a secret: it lives in the caller's secure memory. Nothing
 * here prints, prompts or exits. */
#ifndef EHR_SHL_H
#define EHR_SHL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "wallet/base/err.h"
#include "wallet/vault/fetch.h"

#define SHL_PREFIX "shlink:/"
#define SHL_KEY_BYTES 32
#define SHL_LABEL_MAX 80          /* characters */
#define SHL_TEXT_MAX 8192         /* the longest link text read */

#define SHL_TYPE_CARD "application/smart-health-card"
#define SHL_TYPE_FHIR "application/fhir+json"

typedef struct shl_link {
	char url[FETCH_URL_MAX];
	bool has_exp;
	int64_t exp;              /* seconds since 1970, when has_exp */
	bool long_term, passcode, direct;  /* flags L, P and U */
	char label[SHL_LABEL_MAX * 4 + 1];  /* UTF-8 through text_clean, "" when none */
} shl_link;

/* Whether text (white space around it aside) is a link: it starts with
 * "shlink:/", or holds "#shlink:/" after a viewer's address. */
bool shl_is_link(const char *text);

/* Parses a link (either form; white space around it ignored) into link and
 * its key into key (SHL_KEY_BYTES of the caller's secure memory; wiped on
 * failure). EHR_EUSAGE "not a SMART Health Link: ..." for a payload that is
 * not base64url of a JSON object; a "url" that is not a string; a "key"
 * that is not 43 base64url characters; an "exp" that is not a whole number
 * of seconds; a "flag" of other letters than L, P and U, a letter twice, or
 * P with U (the spec forbids it); a "label" over 80 characters; a "v" other
 * than 1. The url's form is checked when it is fetched. */
int shl_parse(const char *text, shl_link *link, uint8_t *key, ehr_err *e);

/* EHR_ECHAIN "the link expired at TIME" when link has an exp not after now:
 * its server would refuse it too. */
int shl_check_expiry(const shl_link *link, time_t now, ehr_err *e);

/* Called for each file of a manifest, in order: its contentType and the
 * JWE text when embedded (location NULL), or the location to fetch
 * (embedded NULL). */
typedef int (*shl_file_fn)(void *arg, const char *content_type, const char *embedded,
			   size_t embedded_len, const char *location, ehr_err *e);

/* Walks the "files" of a manifest's JSON. EHR_ENODE "the link's server
 * sent ..." when it is not {"files": [{"contentType": STRING,
 * "embedded"|"location": STRING}, ...]}. */
int shl_manifest_files(const char *json, size_t len, shl_file_fn fn, void *arg, ehr_err *e);

/* Called for each file of the link as it is decrypted: its content type
 * (the manifest's; with U the JWE's "cty", else "") and plaintext. */
typedef int (*shl_content_fn)(void *arg, const char *content_type, const uint8_t *plain,
			      size_t len, ehr_err *e);

/* Fetches and decrypts every file of link (fetch.h's rules), calling fn
 * for each: with U by GET url?recipient=RECIPIENT, else by POSTing the
 * manifest request (passcode: with P, the user's; NULL otherwise) and then
 * each file. Refusals: EHR_EAUTH a passcode the server does not take (the
 * attempts it has left in the message) or none for a P link; EHR_ECHAIN
 * the server no longer knows the link (404, 410); EHR_ENODE the server
 * cannot be reached or answers anything else; EHR_EINTEGRITY a file that
 * does not decrypt under the key (tampered, or for another key). The
 * first failure, of a file or of fn, ends the walk. */
int shl_open(const shl_link *link, const uint8_t *key, const char *passcode,
	     const char *recipient, shl_content_fn fn, void *arg, ehr_err *e);

#endif
