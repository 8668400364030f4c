/* Records from SMART Health Cards and Links (wallet/vault/shc.h, shl.h) on
 * their way in: each card verified and its FHIR Bundle taken like any
 * Bundle (one record, or one per entry with split), every record of a card
 * carrying its issuer and whether it was verified (envelope_meta's issuer
 * and issuer_verified); a link followed and each of its files taken: a
 * card as a card, FHIR JSON as FHIR. Everything is read, checked and held
 * in memory before anything is sealed, so a refusal adds nothing. */
#ifndef EHR_INGEST_CARDS_H
#define EHR_INGEST_CARDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/registry/ingest.h"
#include "wallet/vault/shc.h"
#include "wallet/vault/shl.h"

struct ingest_cards {
	const shc_keyring *keys;    /* the keys cards are verified with */
	bool allow_unverified;      /* take cards whose key is not in keys */
	bool split;                 /* a Bundle becomes one record per entry */
	const char *title;          /* the record's title, or NULL */
	const char *recipient;      /* who asks, for a link's server */
	struct incoming **list;     /* where the records go */
	size_t *n, *cap;
	size_t unverified;          /* cards taken without a trusted key */
	size_t skipped;             /* files of links neither cards nor FHIR */
	const char *label;          /* the link being followed: its label ("" none) */
};

/* One FHIR resource (a Bundle split with c->split) named name (as a file
 * would be, for the records' file names), from issuer (NULL: none):
 * checked as any FHIR file is (fhir_validate.h; EHR_EUSAGE). */
int ingest_fhir_json(struct ingest_cards *c, const char *name, const char *json, size_t len,
		     const char *issuer, bool verified, ehr_err *e);

/* One card, a compact JWS (shc_card_read: EHR_EINTEGRITY when it does not
 * verify, or its issuer is not trusted and c->allow_unverified is not set). */
int ingest_card(struct ingest_cards *c, const char *name, const char *jws, size_t len, ehr_err *e);

/* Every card of a .smart-health-card file's JSON. */
int ingest_card_file(struct ingest_cards *c, const char *name, const char *json, size_t len,
		     ehr_err *e);

/* Every file of a link (shl_open: its refusals), decrypted with key. */
int ingest_link(struct ingest_cards *c, const shl_link *link, const uint8_t *key,
		const char *passcode, ehr_err *e);

#endif
