#include "wallet/registry/fhir_audit.h"

#include "wallet/registry/consent.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"
#include "wallet/vault/fhir.h"

static const char DCM[] = "http://dicom.nema.org/resources/ontology/DCM";
static const char PARTICIPATION[] = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
static const char ENTITY_TYPE[] = "http://terminology.hl7.org/CodeSystem/audit-entity-type";
static const char CONSENT_ACTION[] = "http://terminology.hl7.org/CodeSystem/consentaction";

/* What every resource needs: the history, and where it comes from. */
struct out {
	const history *h;
	const fhir_audit_source *src;
};

static const char *name_of(const struct out *o, const uint8_t addr[20])
{
	return o->src->name_of(o->src->name_ctx, addr);
}

/* A stable urn:uuid for a resource (the same history exports the same
 * fullUrls): from keccak256 of the chain, registry and resource id. */
static void stable_urn(const struct out *o, const char *id, char out[46])
{
	uint8_t h[32];
	char seed[160], reg[43];

	eip55_format(o->h->registry, reg);
	snprintf(seed, sizeof(seed), "ehr:%llu:%s:%s", (unsigned long long)o->src->chain_id, reg, id);
	keccak256(seed, strlen(seed), h);
	h[6] = (uint8_t)((h[6] & 0x0f) | 0x50);
	h[8] = (uint8_t)((h[8] & 0x3f) | 0x80);
	snprintf(out, 46, "urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13],
		 h[14], h[15]);
}

static cJSON *coding(const char *system, const char *code, const char *display)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "system", system);
	cJSON_AddStringToObject(c, "code", code);
	if (display)
		cJSON_AddStringToObject(c, "display", display);
	return c;
}

static cJSON *concept(const char *system, const char *code, const char *display)
{
	cJSON *c = cJSON_CreateObject(), *arr = cJSON_AddArrayToObject(c, "coding");

	cJSON_AddItemToArray(arr, coding(system, code, display));
	return c;
}

/* A Reference to an account: CAIP-10 identifier, name as display. */
static cJSON *account_ref(const struct out *o, const uint8_t addr[20])
{
	cJSON *r = cJSON_CreateObject(), *id = cJSON_AddObjectToObject(r, "identifier");
	char hex[43], value[80];
	const char *n = name_of(o, addr);

	eip55_format(addr, hex);
	snprintf(value, sizeof(value), "eip155:%llu:%s", (unsigned long long)o->src->chain_id, hex);
	cJSON_AddStringToObject(id, "system", "https://chainagnostic.org/CAIPs/caip-10");
	cJSON_AddStringToObject(id, "value", value);
	cJSON_AddStringToObject(r, "display", *n ? n : hex);
	return r;
}

/* A Reference to a record: by the identifier its DocumentReference has in
 * `ehr record export --fhir` (fhir_record_system), title as display. */
static cJSON *record_ref(const struct out *o, uint64_t id)
{
	cJSON *r = cJSON_CreateObject(), *ident;
	char system[FHIR_RECORD_SYSTEM_MAX], value[24];
	const char *t = history_title(o->h, id);

	fhir_record_system(o->src->chain_id, o->h->registry, system);
	snprintf(value, sizeof(value), "%llu", (unsigned long long)id);
	cJSON_AddStringToObject(r, "type", "DocumentReference");
	ident = cJSON_AddObjectToObject(r, "identifier");
	cJSON_AddStringToObject(ident, "system", system);
	cJSON_AddStringToObject(ident, "value", value);
	if (t)
		cJSON_AddStringToObject(r, "display", t);
	return r;
}

static void add_agent(const struct out *o, cJSON *agents, const uint8_t addr[20], const char *role,
		      const char *role_display, bool requestor)
{
	cJSON *ag = cJSON_CreateObject();
	const char *n = name_of(o, addr);

	cJSON_AddItemToObject(ag, "type", concept(PARTICIPATION, role, role_display));
	cJSON_AddItemToObject(ag, "who", account_ref(o, addr));
	if (*n)
		cJSON_AddStringToObject(ag, "name", n);
	cJSON_AddBoolToObject(ag, "requestor", requestor);
	cJSON_AddItemToArray(agents, ag);
}

static void add_bundle_entry(const struct out *o, cJSON *entries, const char *id, cJSON *res)
{
	cJSON *en = cJSON_CreateObject();
	char urn[46];

	stable_urn(o, id, urn);
	cJSON_AddStringToObject(en, "fullUrl", urn);
	cJSON_AddItemToObject(en, "resource", res);
	cJSON_AddItemToArray(entries, en);
}

/* Who did it: the account that sent the transaction the event came from. */
static const uint8_t *actor_of(const history_row *w)
{
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_BEARER_REDEEMED:
	case REG_EV_ACCESS_LOGGED:
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_INVOICE_CANCELLED:
	case HISTORY_CONSENT + CONSENT_EV_ACCESS_REQUESTED:
	case HISTORY_CONSENT + CONSENT_EV_GRANT_REQUESTED:
		return w->party;
	case HISTORY_EXPIRED:
		return NULL;
	default:
		return w->patient;
	}
}

static cJSON *event_type(const history_row *w)
{
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_RECORD_ERASED:
	case REG_EV_ACCESS_LOGGED:
	case HISTORY_CONSENT + CONSENT_EV_ACCESS_REQUESTED:
	case HISTORY_CONSENT + CONSENT_EV_KEYS_RELEASED:
	case HISTORY_CONSENT + CONSENT_EV_DERIVED_RELEASED:
		return coding(DCM, "110110", "Patient Record");
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_INVOICE_PAID:
	case REG_EV_INVOICE_CANCELLED:
		return coding("urn:ehr:audit-event-type", "invoice", "Invoice");
	case REG_EV_KEY_REGISTERED:
		return coding(DCM, "110137", "User Security Attributes Changed");
	default:
		return coding(DCM, "110136", "Security Roles Changed");
	}
}

static const char *event_action(const history_row *w)
{
	switch (w->kind) {
	case REG_EV_RECORD_ANCHORED:
	case REG_EV_GRANT_ISSUED:
	case REG_EV_INVOICE_ISSUED:
	case REG_EV_KEY_REGISTERED:
		return "C";
	case REG_EV_ACCESS_LOGGED:
	case HISTORY_CONSENT + CONSENT_EV_ACCESS_REQUESTED:
		return "R";
	case REG_EV_RECORD_ERASED:
	case REG_EV_GRANT_REVOKED:
	case REG_EV_INVOICE_CANCELLED:
		return "D";
	case REG_EV_INVOICE_PAID:
	case REG_EV_BEARER_REDEEMED:
		return "E";
	default:
		return "U";  /* keys added; expired */
	}
}

/* The participants: the actor (requestor), the patient, the other party. */
static void add_agents(const struct out *o, cJSON *ev, const history_row *w)
{
	cJSON *agents = cJSON_AddArrayToObject(ev, "agent");
	const uint8_t *actor = actor_of(w);

	if (actor)
		add_agent(o, agents, actor, "AUT", "author (originator)", true);
	if (!actor || memcmp(actor, w->patient, 20))
		add_agent(o, agents, w->patient, "RCT", "record target", false);
	if (w->has_party && (!actor || memcmp(actor, w->party, 20)) && memcmp(w->patient, w->party, 20))
		add_agent(o, agents, w->party, "IRCP", "information recipient", false);
}

/* What the event is about: its records, its grant, its transaction. */
static void add_entities(const struct out *o, cJSON *ev, const history_row *w)
{
	cJSON *entities = cJSON_AddArrayToObject(ev, "entity");
	const uint64_t *recs;
	size_t n, i;

	recs = history_row_records(o->h, w, &n);
	for (i = 0; i < n; i++) {
		cJSON *en = cJSON_CreateObject();

		cJSON_AddItemToObject(en, "what", record_ref(o, recs[i]));
		cJSON_AddItemToObject(en, "type", coding(ENTITY_TYPE, "2", "System Object"));
		cJSON_AddItemToArray(entities, en);
	}
	if (w->grant && w->kind != REG_EV_RECORD_ANCHORED) {
		cJSON *en = cJSON_CreateObject(), *what = cJSON_AddObjectToObject(en, "what");
		char ref[64];

		snprintf(ref, sizeof(ref), "Consent/ehr-grant-%llu", (unsigned long long)w->grant);
		cJSON_AddStringToObject(what, "reference", ref);
		cJSON_AddItemToObject(en, "type", coding(ENTITY_TYPE, "2", "System Object"));
		cJSON_AddItemToArray(entities, en);
	}
	if (w->block) {
		cJSON *en = cJSON_CreateObject(), *what = cJSON_AddObjectToObject(en, "what");
		cJSON *ident = cJSON_AddObjectToObject(what, "identifier");
		char hash[67], desc[120];

		hex_encode0x(w->tx, 32, hash);
		cJSON_AddStringToObject(ident, "system", "urn:ehr:transaction");
		cJSON_AddStringToObject(ident, "value", hash);
		cJSON_AddStringToObject(en, "name", "transaction");
		snprintf(desc, sizeof(desc), "block %llu, log %llu", (unsigned long long)w->block,
			 (unsigned long long)w->log_index);
		cJSON_AddStringToObject(en, "description", desc);
		cJSON_AddItemToArray(entities, en);
	}
}

static cJSON *audit_event(const struct out *o, const history_row *w)
{
	cJSON *ev = cJSON_CreateObject(), *src, *sub;
	const char *words = history_event_words(w->kind);
	char id[64], when[32], reg[43], obs[120], code[32];
	size_t k;

	if (w->block)
		snprintf(id, sizeof(id), "ehr-event-%llu-%llu", (unsigned long long)w->block,
			 (unsigned long long)w->log_index);
	else
		snprintf(id, sizeof(id), "ehr-grant-%llu-expired", (unsigned long long)w->grant);
	cJSON_AddStringToObject(ev, "resourceType", "AuditEvent");
	cJSON_AddStringToObject(ev, "id", id);
	cJSON_AddItemToObject(ev, "type", event_type(w));
	/* the plain-words kind, as a code of our own */
	snprintf(code, sizeof(code), "%s", words);
	for (k = 0; code[k]; k++)
		if (code[k] == ' ')
			code[k] = '-';
	sub = cJSON_AddArrayToObject(ev, "subtype");
	cJSON_AddItemToArray(sub, coding("urn:ehr:audit-event", code, words));
	cJSON_AddStringToObject(ev, "action", event_action(w));
	history_iso_time(w->time, when);
	cJSON_AddStringToObject(ev, "recorded", when);
	cJSON_AddStringToObject(ev, "outcome", "0");
	add_agents(o, ev, w);
	src = cJSON_AddObjectToObject(ev, "source");
	eip55_format(o->h->registry, reg);
	snprintf(obs, sizeof(obs), "ehr registry %s on chain %llu", reg, (unsigned long long)o->src->chain_id);
	cJSON_AddStringToObject(src, "site", reg);
	cJSON_AddStringToObject(cJSON_AddObjectToObject(src, "observer"), "display", obs);
	add_entities(o, ev, w);
	return ev;
}

/* What the grantee may do, over which records. */
static void add_provision(const struct out *o, cJSON *c, const history_grant *gr, const char *start)
{
	cJSON *prov = cJSON_AddObjectToObject(c, "provision"), *period, *actors, *actor, *actions;
	char when[32];
	size_t i;

	cJSON_AddStringToObject(prov, "type", "permit");
	period = cJSON_AddObjectToObject(prov, "period");
	cJSON_AddStringToObject(period, "start", start);
	history_iso_time(gr->revoked && gr->revoked_time < gr->expiry ? gr->revoked_time : gr->expiry, when);
	cJSON_AddStringToObject(period, "end", when);
	actors = cJSON_AddArrayToObject(prov, "actor");
	actor = cJSON_CreateObject();
	cJSON_AddItemToObject(actor, "role", concept(PARTICIPATION, "IRCP", "information recipient"));
	cJSON_AddItemToObject(actor, "reference", account_ref(o, gr->grantee));
	cJSON_AddItemToArray(actors, actor);
	actions = cJSON_AddArrayToObject(prov, "action");
	cJSON_AddItemToArray(actions, concept(CONSENT_ACTION, "access", "Access"));
	if (gr->flags & REG_GRANT_WRITE)
		cJSON_AddItemToArray(actions, concept(CONSENT_ACTION, "correct", "Access and Correct"));
	/* a grant over all records has no data list: it covers everything */
	if (!(gr->flags & REG_GRANT_ALL) && gr->n) {
		cJSON *data = cJSON_AddArrayToObject(prov, "data");

		for (i = 0; i < gr->n; i++) {
			cJSON *d = cJSON_CreateObject();

			cJSON_AddStringToObject(d, "meaning", "instance");
			cJSON_AddItemToObject(d, "reference", record_ref(o, gr->ids[i]));
			cJSON_AddItemToArray(data, d);
		}
	}
}

static cJSON *consent(const struct out *o, const history_grant *gr)
{
	cJSON *c = cJSON_CreateObject(), *cat;
	bool active = !gr->revoked && gr->expiry > o->h->head_time;
	char id[48], when[32];

	snprintf(id, sizeof(id), "ehr-grant-%llu", (unsigned long long)gr->id);
	cJSON_AddStringToObject(c, "resourceType", "Consent");
	cJSON_AddStringToObject(c, "id", id);
	cJSON_AddStringToObject(c, "status", active ? "active" : "inactive");
	cJSON_AddItemToObject(c, "scope", concept("http://terminology.hl7.org/CodeSystem/consentscope",
						  "patient-privacy", "Privacy Consent"));
	cat = cJSON_AddArrayToObject(c, "category");
	cJSON_AddItemToArray(cat, concept("http://loinc.org", "59284-0", "Patient Consent"));
	cJSON_AddItemToObject(c, "patient", account_ref(o, gr->patient));
	history_iso_time(gr->issued_time, when);
	cJSON_AddStringToObject(c, "dateTime", when);
	add_provision(o, c, gr, when);
	return c;
}

int fhir_audit_bundle(const history *h, const fhir_audit_source *src, char **text, size_t *nevents,
		      size_t *nconsents, ehr_err *e)
{
	struct out o = { h, src };
	cJSON *bundle = cJSON_CreateObject(), *entries;
	char when[32];
	size_t i;

	*nevents = *nconsents = 0;
	history_iso_time(src->timestamp, when);
	cJSON_AddStringToObject(bundle, "resourceType", "Bundle");
	cJSON_AddStringToObject(bundle, "type", "collection");
	cJSON_AddStringToObject(bundle, "timestamp", when);
	entries = cJSON_AddArrayToObject(bundle, "entry");
	for (i = 0; i < h->nrows; i++) {
		cJSON *ev;

		if (!h->rows[i].shown)
			continue;
		ev = audit_event(&o, &h->rows[i]);
		add_bundle_entry(&o, entries, cJSON_GetObjectItemCaseSensitive(ev, "id")->valuestring, ev);
		(*nevents)++;
	}
	for (i = 0; i < h->ngrants; i++) {
		char id[48];

		if (!h->grants[i].shown)
			continue;
		snprintf(id, sizeof(id), "ehr-grant-%llu", (unsigned long long)h->grants[i].id);
		add_bundle_entry(&o, entries, id, consent(&o, &h->grants[i]));
		(*nconsents)++;
	}
	*text = cJSON_Print(bundle);
	cJSON_Delete(bundle);
	return *text ? 0 : ehr_fail(e, EHR_EFAIL, "out of memory");
}
