#include "wallet/registry/ingest_cards.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/fhir_validate.h"

/* The title of an unsplit record: --title, the link's label, what the
 * resource names, else what it is. */
static void record_title(const struct ingest_cards *c, const char *json, size_t len,
			 const char *issuer, char *out, size_t cap)
{
	out[0] = 0;
	if (c->title)
		snprintf(out, cap, "%s", c->title);
	else if (c->label && c->label[0])
		snprintf(out, cap, "%s", c->label);
	else
		fhir_label(json, len, out, cap);
	if (!out[0])
		snprintf(out, cap, "%s", issuer ? "SMART Health Card" : "SMART Health Link file");
}

/* One record of the whole resource. */
static int add_whole(struct ingest_cards *c, const char *name, const char *json, size_t len,
		     const char *type, const char *issuer, ehr_err *e)
{
	struct incoming *in;
	int rc;

	if ((rc = ingest_append_json(c->list, c->n, c->cap, json, len, &in, e)))
		return rc;
	snprintf(in->meta.resource_type, sizeof(in->meta.resource_type), "%s", type);
	snprintf(in->meta.file_name, sizeof(in->meta.file_name), "%s", name);
	record_title(c, json, len, issuer, in->meta.title, sizeof(in->meta.title));
	return 0;
}

int ingest_fhir_json(struct ingest_cards *c, const char *name, const char *json, size_t len,
		     const char *issuer, bool verified, ehr_err *e)
{
	char type[FHIR_TYPE_MAX];
	size_t first = *c->n, i;
	int rc;

	if ((rc = fhir_detect(json, len, type, sizeof(type), e)) || (rc = fhir_validate(json, len, e)))
		return ehr_wrap(e, "%s", name);
	if (!type[0])
		return ehr_fail(e, EHR_EUSAGE, "%s is JSON but not a FHIR resource", name);
	if (c->split && !strcmp(type, "Bundle"))
		rc = ingest_split_bundle(name, json, len, c->list, c->n, c->cap, e);
	else
		rc = add_whole(c, name, json, len, type, issuer, e);
	for (i = first; !rc && issuer && i < *c->n; i++) {
		snprintf((*c->list)[i].meta.issuer, sizeof((*c->list)[i].meta.issuer), "%s", issuer);
		(*c->list)[i].meta.issuer_verified = verified;
	}
	return rc;
}

int ingest_card(struct ingest_cards *c, const char *name, const char *jws, size_t len, ehr_err *e)
{
	shc_card card;
	int rc;

	if ((rc = shc_card_read(jws, len, c->keys, c->allow_unverified, &card, e)))
		return ehr_wrap(e, "%s", name);
	if (!card.verified)
		c->unverified++;
	rc = ingest_fhir_json(c, name, card.bundle, card.bundle_len, card.iss, card.verified, e);
	shc_card_free(&card);
	return rc;
}

struct card_file {
	struct ingest_cards *c;
	const char *name;
};

static int file_card(void *arg, const char *jws, size_t len, ehr_err *e)
{
	struct card_file *cf = arg;

	return ingest_card(cf->c, cf->name, jws, len, e);
}

int ingest_card_file(struct ingest_cards *c, const char *name, const char *json, size_t len,
		     ehr_err *e)
{
	struct card_file cf = { c, name };
	int rc;

	if ((rc = shc_file_cards(json, len, file_card, &cf, e)) && rc == EHR_EUSAGE)
		return ehr_wrap(e, "%s", name);
	return rc;
}

/* What a file of a link is, when its server does not say: a card file
 * holds "verifiableCredential", FHIR a "resourceType". */
static const char *sniff(const uint8_t *plain, size_t len)
{
	cJSON *o = cJSON_ParseWithLength((const char *)plain, len);
	const char *type = cJSON_GetObjectItemCaseSensitive(o, "verifiableCredential") ? SHL_TYPE_CARD
			 : cJSON_GetObjectItemCaseSensitive(o, "resourceType") ? SHL_TYPE_FHIR : "";

	cJSON_Delete(o);
	return type;
}

struct link_walk {
	struct ingest_cards *c;
	size_t files;
};

static int link_file(void *arg, const char *type, const uint8_t *plain, size_t len, ehr_err *e)
{
	struct link_walk *lw = arg;
	char name[64];

	snprintf(name, sizeof(name), "shlink-file-%zu.json", ++lw->files);
	if (!type[0])
		type = sniff(plain, len);
	if (!strcmp(type, SHL_TYPE_CARD))
		return ingest_card_file(lw->c, name, (const char *)plain, len, e);
	if (!strcmp(type, SHL_TYPE_FHIR))
		return ingest_fhir_json(lw->c, name, (const char *)plain, len, NULL, false, e);
	lw->c->skipped++;  /* application/smart-api-access, say: nothing to keep */
	return 0;
}

int ingest_link(struct ingest_cards *c, const shl_link *link, const uint8_t *key,
		const char *passcode, ehr_err *e)
{
	struct link_walk lw = { c, 0 };
	int rc;

	c->label = link->label;
	rc = shl_open(link, key, passcode, c->recipient, link_file, &lw, e);
	c->label = NULL;
	return rc;
}
