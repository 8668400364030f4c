/* SMART Health Cards (HL7 "SMART Health Cards and Links" 1.0): a FHIR
 * Bundle an issuer (a lab, a clinic, a state registry) signed as a compact
 * JWS, "alg":"ES256", its payload raw DEFLATE ("zip":"DEF") of
 *   { "iss": "https://issuer.example", "nbf": 1715107763,
 *     "vc": { "type": ["https://smarthealth.cards#health-card", ...],
 *             "credentialSubject": { "fhirVersion": "4.0.1",
 *                                    "fhirBundle": { "resourceType": "Bundle", ... } } } }
 * carried in a file (*.smart-health-card: {"verifiableCredential":
 * ["JWS", ...]}) or in QR codes as "shc:/" and digits, each pair of digits
 * one character of the JWS (its value + 45), or in the older chunked form
 * "shc:/C/N/digits" (chunk C of N; the chunks' characters joined in order).
 *
 * A card is verified against keys the user trusts (shc_keyring): the
 * trusted-issuers file (shc_keyring_load_trusted; ehr-formats(5)) and JWKS
 * files given for one import. Nothing is fetched: whether a key is an
 * issuer's is the user's call, never a server's. Nothing here prints,
 * prompts or exits. */
#ifndef EHR_SHC_H
#define EHR_SHC_H

#include <stdbool.h>
#include <stddef.h>

#include "wallet/base/err.h"
#include "wallet/vault/jose.h"

#define SHC_ISS_MAX 256           /* an issuer URL and its NUL */
#define SHC_TEXT_MAX (1u << 20)   /* the longest card text read (a file, a JWS, QR text) */
#define SHC_CARD_TYPE "https://smarthealth.cards#health-card"

/* ---- QR text --------------------------------------------------------- */

/* Whether text (white space around it aside) starts like QR text of a card
 * ("shc:/", any case: QR readers may give it in capitals). */
bool shc_is_qr_text(const char *text);

/* The chunks of one card as they are given; a card in one QR code is one
 * chunk of one. */
typedef struct shc_qr_set {
	size_t total;             /* chunks the card has (0: none given yet) */
	char **parts;             /* total slots: each chunk's JWS characters, or NULL */
	size_t have;
} shc_qr_set;

/* Adds one QR text ("shc:/DIGITS" or "shc:/C/N/DIGITS") to set, decoding
 * its digits. *complete tells whether every chunk of the card is there
 * (then shc_qr_join). EHR_EUSAGE "not SMART Health Card QR text: ..." for
 * an odd number of digits, a pair above 77, a chunk number out of range,
 * a chunk given twice, or a chunk of another count than those before. */
int shc_qr_add(shc_qr_set *set, const char *text, bool *complete, ehr_err *e);

/* The JWS of a complete set (malloc'd, NUL-terminated), which is emptied
 * for the next card. */
int shc_qr_join(shc_qr_set *set, char **out, ehr_err *e);

void shc_qr_set_free(shc_qr_set *set);

/* ---- files ------------------------------------------------------------- */

/* Called with each JWS of a .smart-health-card file, in order. */
typedef int (*shc_jws_fn)(void *arg, const char *jws, size_t len, ehr_err *e);

/* Walks the "verifiableCredential" array of a .smart-health-card file's
 * JSON: EHR_EUSAGE when it is not such a file (not JSON, no array of
 * strings, an empty array). */
int shc_file_cards(const char *json, size_t len, shc_jws_fn fn, void *arg, ehr_err *e);

/* ---- keys -------------------------------------------------------------- */

typedef struct shc_keyring shc_keyring;

/* An empty keyring (NULL when out of memory). */
shc_keyring *shc_keyring_new(void);

/* Adds the keys of a JWKS file ({"keys": [JWK, ...]}, as an issuer
 * publishes it at ISS/.well-known/jwks.json), bound to no issuer: any card
 * signed by one of them is verified, whatever issuer it names. Keys that
 * are not ES256 P-256 signing keys are skipped; EHR_EUSAGE naming the file
 * when it cannot be read, is not a JWKS or holds no P-256 key. */
int shc_keyring_load_jwks(shc_keyring *kr, const char *path, ehr_err *e);

/* The same for a JWKS's JSON in memory (len bytes); EHR_EUSAGE without
 * the file's name. */
int shc_keyring_add_jwks(shc_keyring *kr, const char *json, size_t len, ehr_err *e);

/* Adds the trusted-issuers file at path (ehr-formats(5)):
 *   { "issuers": [ { "iss": "https://issuer.example",
 *                    "keys": [ JWK, ... ] }, ... ] }
 * each key bound to its issuer. A missing file adds nothing; one that is
 * not of that form is EHR_EUSAGE naming the file and what is wrong. */
int shc_keyring_load_trusted(shc_keyring *kr, const char *path, ehr_err *e);

/* The number of keys held. */
size_t shc_keyring_count(const shc_keyring *kr);

void shc_keyring_free(shc_keyring *kr);

/* ---- cards ------------------------------------------------------------- */

typedef struct shc_card {
	char iss[SHC_ISS_MAX];    /* the issuer the card names */
	bool verified;            /* signed by a key kr holds for that issuer */
	char *bundle;             /* the FHIR Bundle, JSON (malloc'd, NUL-terminated) */
	size_t bundle_len;
} shc_card;

/* Reads the card in the compact JWS jws: its signature checked with the
 * key of kr whose kid is the JWS's (before the payload is inflated: a
 * changed card is refused without reading it), then the payload (inflated,
 * at most FHIR_JSON_MAX bytes) checked for an
 * "iss" that is an https URL, a "vc" of type SHC_CARD_TYPE and a FHIR
 * Bundle in vc.credentialSubject.fhirBundle; a key bound to an issuer must
 * be that issuer's. A card none of whose keys kr holds is refused unless
 * allow_unverified (then card->verified is false). Refusals are
 * EHR_EINTEGRITY: a signature that does not verify, a payload that does
 * not inflate or is not a card, an issuer kr does not know. */
int shc_card_read(const char *jws, size_t len, const shc_keyring *kr, bool allow_unverified,
		  shc_card *card, ehr_err *e);

void shc_card_free(shc_card *card);

#endif
