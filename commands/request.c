/* ehr request: consent asked and answered (DESIGN.md section 8).
 * A provider asks a patient for a grant (requestGrant; its words sealed to
 * the patient). The patient lists what is asked of it (grantees' access
 * requests and providers' grant requests), approves (an access request:
 * the keys released, sealed to the requester; a grant request: the grant
 * made and its keys released in one transaction) or denies (logged).
 * Ids on the patient's side say which kind: a12 is access request 12, g3
 * grant request 3. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/parties.h"
#include "cli/release_research.h"
#include "cli/session.h"
#include "cli/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/contacts.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/invoices.h"
#include "wallet/registry/release.h"

struct request_args {
	const char *patient, *records, *dur, *purpose, *note;
	bool all, write;
	struct tx_opts tx;
	/* what the checks found */
	const struct subcommand *sub;  /* list, approve, deny; NULL: the provider's request */
	uint8_t patient_addr[20], purpose_code;
	uint64_t dur_s, *ids;        /* ids: --records (malloc'd) */
	size_t nids;
	char kind;                   /* approve, deny: 'a' or 'g' */
	uint64_t id;
};

static const struct opt request_opts[] = {
	{ "patient", 0, "ADDR", OV_NONE, "ask this patient (a provider's request)",
	  OPT_STR(struct request_args, patient), .forms = OPT_IN(0), .required = true },
	{ "records", 0, "IDS", OV_NONE, "the records to ask for, e.g. 3,7,12",
	  OPT_STR(struct request_args, records), .forms = OPT_IN(0), .alt = 1, .required = true },
	{ "all", 0, NULL, OV_NONE, "ask for every record of the patient's",
	  OPT_FLAG(struct request_args, all), .forms = OPT_IN(0), .alt = 1, .required = true },
	{ "for", 0, "DURATION", OV_DURATION, "for how long from approval: 30m, 2h, 7d",
	  OPT_STR(struct request_args, dur), .forms = OPT_IN(0), .required = true },
	{ "purpose", 0, "PURPOSE", OV_NONE, "treatment (default), emergency, research or payment",
	  OPT_STR(struct request_args, purpose), .forms = OPT_IN(0) },
	{ "write", 0, NULL, OV_NONE, "ask to add records to the patient's chart too",
	  OPT_FLAG(struct request_args, write), .forms = OPT_IN(0) },
	{ "note", 0, "TEXT", OV_NONE, "a few words for the patient, sealed to the patient's key",
	  OPT_STR(struct request_args, note), .forms = OPT_IN(0) },
	TX_WAIT_OPTS_IN(struct request_args, tx, OPT_IN(0) | OPT_IN(2) | OPT_IN(3)),
	{ 0 }
};

/* "a12" (access request) or "g3" (grant request). */
static int parse_request_id(const char *s, char *kind, uint64_t *id)
{
	if ((s[0] != 'a' && s[0] != 'g') || opt_id(s + 1, id))
		return -1;
	*kind = s[0];
	return 0;
}

/* addr as people should read it (cli/parties.h). */
static void who_is(struct ctx *x, const uint8_t addr[20], char *out, size_t cap)
{
	party_label(x->c, x->registry, addr, out, cap);
}

/* "3,7,12" (at most cap bytes, cut with "..."). */
static void ids_text(const uint64_t *ids, size_t n, char *out, size_t cap)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < n && len + 24 < cap; i++)
		len += (size_t)snprintf(out + len, cap - len, "%s%llu", i ? "," : "", (unsigned long long)ids[i]);
	if (i < n)
		snprintf(out + len, cap - len, ",...");
}

/* The id the event of kind in r gives (request or grant request id). */
static uint64_t receipt_id(const struct ctx *x, const chain_receipt *r, enum consent_event kind)
{
	uint64_t id = 0;
	size_t i;

	for (i = 0; i < r->n_logs && !id; i++) {
		consent_event_data ev;

		if (consent_decode_event(&r->logs[i], x->registry, &ev, NULL))
			continue;
		if (ev.kind == kind)
			id = kind == CONSENT_EV_GRANT_REQUESTED ? ev.grant_request_id : ev.request_id;
		consent_event_free(&ev);
	}
	return id;
}

/* "30 minutes", "2 hours", "7 days" (the largest whole unit). */
static void duration_text(uint64_t s, char *out, size_t cap)
{
	static const struct { uint64_t secs; const char *unit; } units[] = {
		{ 86400, "day" }, { 3600, "hour" }, { 60, "minute" }, { 1, "second" } };
	size_t i;

	for (i = 0; i < 3 && s % units[i].secs; i++)
		;
	snprintf(out, cap, "%llu %s%s", (unsigned long long)(s / units[i].secs), units[i].unit,
		 s / units[i].secs == 1 ? "" : "s");
}

/* ---- a provider asks ---------------------------------------------------------- */

/* The provider's words sealed to the patient's registered key. */
static int seal_note(struct ctx *x, const uint8_t patient[20], const char *note_text,
		     uint8_t **sealed, size_t *len, ehr_err *e)
{
	sealing_key k;
	char who[43];
	int rc;

	*sealed = NULL;
	*len = 0;
	if (!note_text)
		return 0;
	if (strlen(note_text) > CONSENT_NOTE_MAX - 48)
		return ehr_fail(e, EHR_EUSAGE, "--note is longer than %d bytes", CONSENT_NOTE_MAX - 48);
	if ((rc = contacts_sealing_key(x->c, x->registry, patient, &k, e)))
		return rc;
	if (!k.acct.registered) {
		eip55_format(patient, who);
		return ehr_fail(e, EHR_EUSAGE, "%s has not registered an encryption key: a note cannot be "
				"sealed to them (ask without --note)", who);
	}
	return invoice_memo_seal(note_text, k.acct.enc_key, sealed, len, e);
}

/* A provider's request: what it asks for, parsed into a. */
static int send_check(const struct command_call *call)
{
	struct request_args *a = call->opts;
	ehr_err e = { 0 };

	if (call->npos)
		return usage_error("request", "a provider's request takes no arguments: ehr request --patient ADDR ...");
	if (!a->records == !a->all)
		return usage_error("request", "say what to ask for: --records IDS or --all");
	if (!a->dur)
		return usage_error("request", "say for how long: --for 30m|2h|7d");
	if (a->purpose && !(a->purpose_code = consent_purpose_parse(a->purpose)))
		return usage_error("request", "--purpose is treatment, emergency, research or payment");
	if (a->records && opt_id_list(a->records, &a->ids, &a->nids))
		return usage_error("request", "--records wants record ids separated by commas, like 3,7,12");
	if (duration_parse(a->dur, &a->dur_s, &e) || eip55_parse(a->patient, a->patient_addr, &e))
		return report(&e);
	return 0;
}

static int request_send(const struct command_call *call)
{
	const struct request_args *a = call->opts;
	struct ctx *x = call->x;
	registry_account me;
	chain_receipt r = { 0 };
	eth_tx tx;
	uint64_t id, dur = a->dur_s;
	const uint8_t *patient = a->patient_addr;
	uint8_t hash[32], purpose = a->purpose_code, *sealed = NULL, *data = NULL;
	uint8_t flags = (uint8_t)((a->all ? REG_GRANT_ALL : 0) | (a->write ? REG_GRANT_WRITE : 0));
	size_t n = a->nids, sealed_len = 0;
	char what[400], who[PARTY_LABEL_MAX], d[32], recs[40];
	ehr_err e = { 0 };
	int rc;

	if ((rc = registry_account_of(x->c, x->registry, x->s.address, &me, &e)))
		goto out;
	if (!me.registered) {
		rc = ehr_fail(&e, EHR_EUSAGE, "this account has not registered an encryption key: run 'ehr "
			      "register' first (released keys are sealed to it)");
		goto out;
	}
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	if ((rc = seal_note(x, patient, a->note, &sealed, &sealed_len, &e)) ||
	    (rc = consent_call_request_grant(patient, a->ids, n, flags, dur, purpose, sealed, sealed_len, &data,
					     &tx.data_len, &e)))
		goto out;
	tx.data = data;
	who_is(x, patient, who, sizeof(who));
	duration_text(dur, d, sizeof(d));
	if (a->all)
		snprintf(recs, sizeof(recs), "all records");
	else
		snprintf(recs, sizeof(recs), "%zu record%s", n, n == 1 ? "" : "s");
	snprintf(what, sizeof(what), "Ask %s for %s access to %s for %s, for %s%s", who,
		 a->write ? "read and write" : "read", recs, d, consent_purpose_name(purpose),
		 a->note ? " (the note is sealed to the patient)" : "");
	if ((rc = tx_submit(x->c, &x->s, &tx, what, &a->tx, hash, &r, &e)))
		goto out;
	id = receipt_id(x, &r, CONSENT_EV_GRANT_REQUESTED);
	{
		cJSON *o = cJSON_CreateObject();
		char sid[24];

		snprintf(sid, sizeof(sid), "g%llu", (unsigned long long)id);
		cJSON_AddStringToObject(o, "request", sid);
		print_tx_result(hash, &r, o);
	}
	if (r.found)
		note("grant request g%llu sent: the patient answers with 'ehr request approve g%llu' or denies it",
		     (unsigned long long)id, (unsigned long long)id);
out:
	chain_receipt_free(&r);
	free(data);
	free(sealed);
	return rc ? report(&e) : 0;
}

/* ---- the patient's list ---------------------------------------------------------- */

struct list_state {
	struct ctx *x;
	cJSON *arr;
	size_t shown;
	uint8_t *sk;                /* X25519 secret, for the notes; NULL: locked */
	ehr_err *e;
};

/* An access request still waiting: open, its grant active, records left. */
static int list_access_cb(void *ctx, const consent_event_data *ev)
{
	struct list_state *ls = ctx;
	consent_request q;
	consent_grant gr;
	uint64_t *left;
	size_t i, n = 0;
	char who[PARTY_LABEL_MAX], recs[200];
	int rc, yes;

	if ((rc = consent_request_of(ls->x->c, ls->x->registry, ev->request_id, &q, ls->e)))
		return rc;
	if (!q.exists || q.status != CONSENT_REQUEST_OPEN || !q.grant_active)
		return 0;
	if (!(left = calloc(ev->n_ids ? ev->n_ids : 1, sizeof(*left))))
		return ehr_fail(ls->e, EHR_EFAIL, "out of memory");
	for (i = 0; i < ev->n_ids && !rc; i++)
		if (!(rc = consent_is_requested(ls->x->c, ls->x->registry, ev->request_id, ev->record_ids[i],
						&yes, ls->e)) && yes)
			left[n++] = ev->record_ids[i];
	if (!rc && n && !(rc = consent_grant_of(ls->x->c, ls->x->registry, ev->grant_id, &gr, ls->e))) {
		ls->shown++;
		who_is(ls->x, ev->requester, who, sizeof(who));
		ids_text(left, n, recs, sizeof(recs));
		if (ls->arr) {
			cJSON *o = cJSON_CreateObject(), *ids = cJSON_AddArrayToObject(o, "records");
			char sid[24], a[43];

			snprintf(sid, sizeof(sid), "a%llu", (unsigned long long)ev->request_id);
			eip55_format(ev->requester, a);
			cJSON_AddStringToObject(o, "id", sid);
			cJSON_AddStringToObject(o, "kind", "access");
			cJSON_AddNumberToObject(o, "grant", (double)ev->grant_id);
			cJSON_AddStringToObject(o, "requester", a);
			cJSON_AddStringToObject(o, "who", who);
			cJSON_AddStringToObject(o, "purpose", consent_purpose_name(gr.purpose) ? consent_purpose_name(gr.purpose) : "");
			for (i = 0; i < n; i++)
				cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)left[i]));
			cJSON_AddItemToArray(ls->arr, o);
		} else {
			printf("a%-6llu access  %-40s grant %llu, record%s %s%s%s\n",
			       (unsigned long long)ev->request_id, who, (unsigned long long)ev->grant_id,
			       n == 1 ? "" : "s", recs, gr.purpose ? ", for " : "",
			       gr.purpose ? consent_purpose_name(gr.purpose) : "");
		}
	}
	free(left);
	return rc;
}

/* A grant request still open, with the provider's note opened. */
static int list_grant_cb(void *ctx, const consent_event_data *ev)
{
	struct list_state *ls = ctx;
	consent_grant_request q;
	char who[PARTY_LABEL_MAX], recs[200], d[32], *text = NULL;
	int rc;

	if ((rc = consent_grant_request_of(ls->x->c, ls->x->registry, ev->grant_request_id, &q, ls->e)))
		return rc;
	if (!q.exists || q.status != CONSENT_REQUEST_OPEN)
		return 0;
	ls->shown++;
	who_is(ls->x, ev->requester, who, sizeof(who));
	if (q.flags & REG_GRANT_ALL)
		snprintf(recs, sizeof(recs), "all records");
	else
		ids_text(ev->record_ids, ev->n_ids, recs, sizeof(recs));
	duration_text(q.duration, d, sizeof(d));
	if (ev->sealed_purpose_len && ls->sk &&
	    invoice_memo_open(ev->sealed_purpose, ev->sealed_purpose_len, ls->x->s.keys->enc_public, ls->sk,
			      &text, NULL))
		text = NULL;
	if (ls->arr) {
		cJSON *o = cJSON_CreateObject();
		char sid[24], a[43];

		snprintf(sid, sizeof(sid), "g%llu", (unsigned long long)ev->grant_request_id);
		eip55_format(ev->requester, a);
		cJSON_AddStringToObject(o, "id", sid);
		cJSON_AddStringToObject(o, "kind", "grant");
		cJSON_AddStringToObject(o, "requester", a);
		cJSON_AddStringToObject(o, "who", who);
		cJSON_AddStringToObject(o, "purpose", consent_purpose_name(q.purpose) ? consent_purpose_name(q.purpose) : "");
		cJSON_AddStringToObject(o, "records", recs);
		cJSON_AddNumberToObject(o, "duration", (double)q.duration);
		cJSON_AddBoolToObject(o, "write", q.flags & REG_GRANT_WRITE);
		cJSON_AddStringToObject(o, "note", text ? text : "");
		cJSON_AddItemToArray(ls->arr, o);
	} else {
		printf("g%-6llu grant   %-40s %s %s for %s, for %s%s%s%s\n",
		       (unsigned long long)ev->grant_request_id, who, q.flags & REG_GRANT_WRITE ? "read+write" : "read",
		       recs, d, consent_purpose_name(q.purpose) ? consent_purpose_name(q.purpose) : "?",
		       text ? ": \"" : "", text ? text : "", text ? "\"" : "");
	}
	free(text);
	return 0;
}

static int request_list(const struct command_call *call)
{
	static const enum consent_event access_kind = CONSENT_EV_ACCESS_REQUESTED;
	static const enum consent_event grant_kind = CONSENT_EV_GRANT_REQUESTED;
	struct ctx *x = call->x;
	struct list_state ls;
	struct consent_filter f = { &access_kind, 1, NULL, NULL, NULL };
	ehr_err e = { 0 };
	int rc;

	memset(&ls, 0, sizeof(ls));
	if ((rc = signer_unlock(&x->s, &e)))
		goto out;
	ls.x = x;
	ls.e = &e;
	ls.sk = x->s.keys->enc_secret;
	f.patient = x->s.address;
	if (g.json)
		ls.arr = cJSON_CreateArray();
	if (!(rc = consent_scan(x->c, x->registry, &f, 0, CHAIN_LATEST, list_access_cb, &ls, &e))) {
		f.kinds = &grant_kind;
		rc = consent_scan(x->c, x->registry, &f, 0, CHAIN_LATEST, list_grant_cb, &ls, &e);
	}
	if (!rc && ls.arr)
		output_json(ls.arr);
	else
		cJSON_Delete(ls.arr);
	if (!rc && !ls.shown && !g.json)
		note("nothing is waiting for an answer");
out:
	return rc ? report(&e) : 0;
}

/* ---- approve and deny --------------------------------------------------------------- */

/* Sends tx as described, prints its result with the request's id, and
 * returns the receipt in r. */
static int answer_submit(struct ctx *x, eth_tx *tx, const char *what, const char *sid,
			 const struct tx_opts *to, chain_receipt *r, cJSON *extra, ehr_err *e)
{
	uint8_t hash[32];
	int rc;

	if ((rc = tx_submit(x->c, &x->s, tx, what, to, hash, r, e))) {
		cJSON_Delete(extra);
		return rc;
	}
	if (!extra)
		extra = cJSON_CreateObject();
	cJSON_AddStringToObject(extra, "request", sid);
	print_tx_result(hash, r, extra);
	return 0;
}

/* A research grant's request: de-identified copies (cli/release_research.h). */
static int approve_research(struct ctx *x, uint64_t id, const char *sid, const struct tx_opts *to,
			    ehr_err *e)
{
	struct grant_patient p = { x->s.address, x->s.keys->enc_public, x->s.keys->enc_secret };
	struct research_outcome out;
	consent_release rel;
	char who[PARTY_LABEL_MAX], words[ENCKEY_FP_TEXT + 32], label[PARTY_LABEL_MAX + ENCKEY_FP_TEXT + 40];
	int rc;

	if ((rc = consent_release_prepare(x->c, x->registry, &p, id, &rel, e)))
		return rc;
	who_is(x, rel.requester, who, sizeof(who));
	if (!(rc = party_offer_pin(rel.requester, &rel.to, e))) {
		party_key_words(&rel.to, words, sizeof(words));
		snprintf(label, sizeof(label), "%s [%s]", who, words);
		rc = research_release(x->c, x->registry, &x->s, id, label, to, &out, e);
	}
	consent_release_free(&rel);
	if (rc)
		return rc;
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "request", sid);
		cJSON_AddNumberToObject(o, "copies", (double)out.copies);
		cJSON_AddNumberToObject(o, "withheld", (double)out.withheld);
		output_json(o);
	}
	note("released %zu de-identified cop%s to %s (research grant %llu): they keep what they read",
	     out.copies, out.copies == 1 ? "y" : "ies", who, (unsigned long long)out.grant_id);
	if (out.withheld)
		warn("%zu record%s not FHIR (or a de-identified copy already): not released (a research "
		     "grant gets de-identified FHIR only)", out.withheld, out.withheld == 1 ? " is" : "s are");
	return 0;
}

static int approve_access(struct ctx *x, uint64_t id, const char *sid, const struct tx_opts *to,
			  chain_receipt *r, ehr_err *e)
{
	struct grant_patient p = { x->s.address, x->s.keys->enc_public, x->s.keys->enc_secret };
	consent_release rel;
	uint8_t *data = NULL;
	char what[500], who[PARTY_LABEL_MAX], recs[200], words[ENCKEY_FP_TEXT + 32];
	uint8_t purpose;
	eth_tx tx;
	int rc;

	if ((rc = consent_request_purpose(x->c, x->registry, id, &purpose, e)))
		return rc;
	if (purpose == REG_PURPOSE_RESEARCH)
		return approve_research(x, id, sid, to, e);
	if ((rc = consent_release_build(x->c, x->registry, &p, id, &rel, &tx, &data, e)))
		return rc;
	who_is(x, rel.requester, who, sizeof(who));
	ids_text(rel.record_ids, rel.n, recs, sizeof(recs));
	if (!(rc = party_offer_pin(rel.requester, &rel.to, e))) {
		party_key_words(&rel.to, words, sizeof(words));
		snprintf(what, sizeof(what), "Release the key%s of record%s %s to %s [%s], in answer to access "
			 "request %llu under grant %llu", rel.n == 1 ? "" : "s", rel.n == 1 ? "" : "s", recs, who,
			 words, (unsigned long long)id, (unsigned long long)rel.grant_id);
		rc = answer_submit(x, &tx, what, sid, to, r, NULL, e);
	}
	if (!rc && r->found)
		note("released %zu key%s to %s: they can read %s now, and keep what they read",
		     rel.n, rel.n == 1 ? "" : "s", who, rel.n == 1 ? "it" : "them");
	consent_release_free(&rel);
	free(data);
	return rc;
}

static int approve_grant(struct ctx *x, uint64_t id, const char *sid, const struct tx_opts *to,
			 chain_receipt *r, ehr_err *e)
{
	struct grant_patient p = { x->s.address, x->s.keys->enc_public, x->s.keys->enc_secret };
	consent_approval ap;
	uint8_t *data = NULL;
	uint64_t grant_id = 0;
	char what[1000], who[PARTY_LABEL_MAX], recs[200], d[32], words[ENCKEY_FP_TEXT + 32];
	eth_tx tx;
	int rc;

	if ((rc = consent_approval_build(x->c, x->registry, &p, id, &ap, &tx, &data, e)))
		return rc;
	who_is(x, ap.requester, who, sizeof(who));
	ids_text(ap.record_ids, ap.n, recs, sizeof(recs));
	duration_text(ap.duration, d, sizeof(d));
	if ((rc = party_offer_pin(ap.requester, &ap.to, e))) {
		consent_approval_free(&ap);
		free(data);
		return rc;
	}
	party_key_words(&ap.to, words, sizeof(words));
	snprintf(what, sizeof(what), "Approve grant request %llu: grant %s [%s] %s access to %s%s for %s, for %s, "
		 "and release %s to them now%s", (unsigned long long)id, who, words,
		 ap.flags & REG_GRANT_WRITE ? "read and write" : "read",
		 ap.flags & REG_GRANT_ALL ? "all records, now " : "records ", ap.n ? recs : "(none)", d,
		 consent_purpose_name(ap.purpose) ? consent_purpose_name(ap.purpose) : "?",
		 ap.n_released == 1 ? "its key" : ap.n_released ? "their keys" : "no key",
		 ap.purpose == REG_PURPOSE_RESEARCH ? " (research: each request of theirs gets de-identified "
		 "copies of the FHIR records only)" : "");
	if (!(rc = answer_submit(x, &tx, what, sid, to, r, NULL, e)) && r->found &&
	    !grant_tx_issued_id(x->registry, r, &grant_id, NULL)) {
		if (ap.purpose == REG_PURPOSE_RESEARCH)
			note("research grant %llu made for %s, no key released: each request of theirs gets "
			     "de-identified copies of the FHIR records only", (unsigned long long)grant_id, who);
		else
			note("grant %llu made for %s, %zu key%s released", (unsigned long long)grant_id, who,
			     ap.n_released, ap.n_released == 1 ? "" : "s");
	}
	consent_approval_free(&ap);
	free(data);
	return rc;
}

/* The denial of an open request of this patient's, checked first. */
static int deny(struct ctx *x, char kind, uint64_t id, const char *sid, const struct tx_opts *to,
		chain_receipt *r, ehr_err *e)
{
	consent_request q = { 0 };
	consent_grant_request gq = { 0 };
	const uint8_t *patient, *requester;
	uint8_t *data = NULL;
	char what[300], who[PARTY_LABEL_MAX];
	eth_tx tx;
	int rc, open;

	/* the two kinds of request, as far as a denial needs them */
	if ((rc = kind == 'a' ? consent_request_of(x->c, x->registry, id, &q, e)
			      : consent_grant_request_of(x->c, x->registry, id, &gq, e)))
		return rc;
	if (!(kind == 'a' ? q.exists : gq.exists))
		return ehr_fail(e, EHR_EFAIL, "there is no %s request %llu", kind == 'a' ? "access" : "grant",
				(unsigned long long)id);
	patient = kind == 'a' ? q.patient : gq.patient;
	requester = kind == 'a' ? q.requester : gq.requester;
	open = (kind == 'a' ? q.status : gq.status) == CONSENT_REQUEST_OPEN;
	if (memcmp(patient, x->s.address, 20))
		return ehr_fail(e, EHR_ECHAIN, "request %s is not to this account: only the patient it names can "
				"answer it", sid);
	if (!open)
		return ehr_fail(e, EHR_ECHAIN, "request %s was answered already", sid);
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	rc = kind == 'a' ? consent_call_deny_access(id, &data, &tx.data_len, e)
			 : consent_call_deny_grant(id, &data, &tx.data_len, e);
	tx.data = data;
	if (!rc) {
		who_is(x, requester, who, sizeof(who));
		snprintf(what, sizeof(what), "Deny %s request %llu from %s (the denial is logged on chain)",
			 kind == 'a' ? "access" : "grant", (unsigned long long)id, who);
		if (!(rc = answer_submit(x, &tx, what, sid, to, r, NULL, e)) && r->found)
			note("request %s denied; nothing is released for it", sid);
	}
	free(data);
	return rc;
}

/* approve or deny: one request id, a12 or g3, into a. */
static int answer_check(const struct command_call *call)
{
	struct request_args *a = call->opts;

	if (call->npos != 1 || parse_request_id(call->pos[0], &a->kind, &a->id))
		return usage_error("request", "give one request id as 'request list' shows it: a12 (an access "
				   "request) or g3 (a grant request)");
	return 0;
}

/* request approve ID, request deny ID */
static int request_answer(const struct command_call *call, bool approve)
{
	const struct request_args *a = call->opts;
	struct ctx *x = call->x;
	const char *sid = call->pos[0];
	chain_receipt r = { 0 };
	ehr_err e = { 0 };
	int rc;

	if ((rc = signer_unlock(&x->s, &e)))
		goto out;
	if (!approve)
		rc = deny(x, a->kind, a->id, sid, &a->tx, &r, &e);
	else if (a->kind == 'a')
		rc = approve_access(x, a->id, sid, &a->tx, &r, &e);
	else
		rc = approve_grant(x, a->id, sid, &a->tx, &r, &e);
out:
	chain_receipt_free(&r);
	return rc ? report(&e) : 0;
}

static int request_approve(const struct command_call *call)
{
	return request_answer(call, true);
}

static int request_deny(const struct command_call *call)
{
	return request_answer(call, false);
}

static int no_operands(const struct command_call *call)
{
	return call->npos ? usage_error("request", "'request list' takes no arguments") : 0;
}

static const struct subcommand request_subs[] = {
	{ "list", no_operands, request_list },
	{ "approve", answer_check, request_approve },
	{ "deny", answer_check, request_deny },
	{ NULL, NULL, NULL }
};

/* A provider's request (--patient), or the patient's list, approve, deny. */
static int request_check(const struct command_call *call)
{
	struct request_args *a = call->opts;
	const struct subcommand *sub;

	if (a->patient)
		return send_check(call);
	if (a->records || a->all || a->dur || a->purpose || a->write || a->note)
		return usage_error("request", "--records, --all, --for, --purpose, --write and --note go with "
				   "--patient ADDR");
	if (!call->npos || !(sub = subcommand_find(request_subs, call->pos[0])))
		return usage_error("request", "ask with --patient ADDR, or answer: request list | approve ID | deny ID");
	a->sub = sub;
	return subcommand_check(sub, call);
}

static void request_done(void *opts)
{
	free(((struct request_args *)opts)->ids);
}

static const struct request_args request_defaults = {
	.purpose_code = REG_PURPOSE_TREATMENT, .tx = TX_OPTS_DEFAULTS
};

const struct command_args cmd_request_args = {
	.opts = request_opts, .size = sizeof(request_defaults), .defaults = &request_defaults,
	.max_pos = -1, .check = request_check, .done = request_done,
};

int cmd_request(const struct command_call *call)
{
	const struct request_args *a = call->opts;

	return a->sub ? subcommand_run(a->sub, call) : request_send(call);
}
