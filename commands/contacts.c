/* ehr contacts: the address book (wallet/registry/contacts.h). Names the
 * user gives to addresses, and the fingerprints of the encryption keys the
 * user checked with their owners (pinned): keys are sealed to a contact's
 * registered key only while it is the pinned one, and a contact's name is
 * shown instead of the name the account gave itself. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"

#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/enckey.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/contacts.h"

struct contacts_args {
	bool pin;
	const char *fingerprint;
};

const struct opt cmd_contacts_opts[] = {
	{ "pin", 0, NULL, OV_NONE, "add: pin the key the registry shows now, after showing it",
	  OPT_FLAG(struct contacts_args, pin), .forms = OPT_IN(0), .alt = 1 },
	{ "fingerprint", 0, "FP", OV_NONE, "pin this fingerprint (read out by its owner) if the registry "
	  "shows the same", OPT_STR(struct contacts_args, fingerprint), .forms = OPT_IN(0) | OPT_IN(3), .alt = 1 },
	{ 0 }
};

/* The contact as a JSON object, or a line of the list. */
static cJSON *contact_json(const contact *c)
{
	cJSON *o = cJSON_CreateObject();
	char addr[43], fp[ENCKEY_FP_TEXT];

	eip55_format(c->address, addr);
	cJSON_AddStringToObject(o, "name", c->name);
	cJSON_AddStringToObject(o, "address", addr);
	if (c->pinned) {
		enckey_fingerprint_format(c->fp, fp);
		cJSON_AddStringToObject(o, "fingerprint", fp);
	} else {
		cJSON_AddNullToObject(o, "fingerprint");
	}
	return o;
}

static void contact_line(const contact *c)
{
	char addr[43], fp[ENCKEY_FP_TEXT] = "(not pinned)";

	eip55_format(c->address, addr);
	if (c->pinned)
		enckey_fingerprint_format(c->fp, fp);
	printf("%-24s %-42s  %s\n", c->name, addr, fp);
}

static int list(void)
{
	contacts *book;
	cJSON *arr;
	ehr_err e = { 0 };
	size_t i;

	if (contacts_load(&book, &e))
		return report(&e);
	if (g.json) {
		arr = cJSON_CreateArray();
		for (i = 0; i < book->n; i++)
			cJSON_AddItemToArray(arr, contact_json(&book->v[i]));
		output_json(arr);
	} else if (book->n) {
		printf("%-24s %-42s  %s\n", "NAME", "ADDRESS", "KEY FINGERPRINT");
		for (i = 0; i < book->n; i++)
			contact_line(&book->v[i]);
	} else {
		note("no contacts yet (add one with 'ehr contacts add NAME ADDR --pin')");
	}
	contacts_free(book);
	return 0;
}

/* The fingerprint the registry shows now for c's address, shown; checked
 * against `given` (what its owner read out) when there is one, else
 * confirmed. Then c is pinned to it (in memory: the caller saves). */
static int pin_now(contact *c, const char *given, ehr_err *e)
{
	uint8_t want[ENCKEY_FP_BYTES], fp[ENCKEY_FP_BYTES];
	char addr[43], text[ENCKEY_FP_TEXT], want_text[ENCKEY_FP_TEXT], question[300];
	registry_account a;
	struct ctx x;
	int rc;

	if (given && enckey_fingerprint_parse(given, want))
		return ehr_fail(e, EHR_EUSAGE, "--fingerprint wants 32 hex digits (spaces, '-' and ':' "
				"between them are fine)");
	eip55_format(c->address, addr);
	ctx_start(&x);
	if ((rc = ctx_open(&x, e)) || (rc = registry_account_of(x.c, x.registry, c->address, &a, e)))
		goto out;
	if (!a.registered) {
		rc = ehr_fail(e, EHR_EFAIL, "%s has not registered an encryption key: nothing to pin yet", addr);
		goto out;
	}
	enckey_fingerprint(a.enc_key, fp);
	enckey_fingerprint_format(fp, text);
	if (!g.quiet && !g.json)
		fprintf(stderr, "%s (%s): registered as '%s' (its own words), key fingerprint\n    %s\n", c->name,
			addr, a.name, text);
	if (given && memcmp(want, fp, ENCKEY_FP_BYTES)) {
		enckey_fingerprint_format(want, want_text);
		rc = ehr_fail(e, EHR_EINTEGRITY, "the registry shows the key %s for %s, not %s as given: nothing "
			      "pinned (they may have read out another account's key, or a node or proxy is "
			      "rewriting answers)", text, addr, want_text);
		goto out;
	}
	snprintf(question, sizeof(question), "Pin this key for '%s'? Compare the fingerprint with the one "
		 "they read from 'ehr register --show' first", c->name);
	if (!given && (rc = confirm(question, e)))
		goto out;
	c->pinned = true;
	memcpy(c->fp, fp, ENCKEY_FP_BYTES);
out:
	ctx_close(&x);
	return rc;
}

/* Writes the book and shows the contact. */
static int save_and_show(contacts *book, const contact *c, const char *did, ehr_err *e)
{
	char addr[43], fp[ENCKEY_FP_TEXT];
	int rc;

	if ((rc = contacts_save(book, e)))
		return rc;
	if (g.json) {
		output_json(contact_json(c));
		return 0;
	}
	eip55_format(c->address, addr);
	if (c->pinned)
		enckey_fingerprint_format(c->fp, fp);
	note("%s '%s' (%s)%s%s", did, c->name, addr, c->pinned ? ", key pinned: " : ", key not pinned",
	     c->pinned ? fp : "");
	return 0;
}

static int add(const struct contacts_args *a, int npos, char **pos)
{
	contacts *book = NULL;
	contact c;
	ehr_err e = { 0 };
	int rc;

	if (npos != 2)
		return usage_error("contacts", "give a name and an address: ehr contacts add NAME ADDR");
	memset(&c, 0, sizeof(c));
	if (contact_name_check(pos[0], &e))
		return usage_error("contacts", "%s", e.msg);
	snprintf(c.name, sizeof(c.name), "%s", pos[0]);
	if ((rc = eip55_parse(pos[1], c.address, &e)))
		return report(&e);
	if ((rc = contacts_load(&book, &e)) || (rc = contacts_add(book, &c, &e)))
		goto out;
	if ((a->pin || a->fingerprint) && (rc = pin_now(contacts_by_name(book, c.name), a->fingerprint, &e)))
		goto out;
	rc = save_and_show(book, contacts_by_name(book, c.name), "added", &e);
out:
	contacts_free(book);
	return rc ? report(&e) : 0;
}

static int pin(const struct contacts_args *a, int npos, char **pos)
{
	contacts *book = NULL;
	contact *c;
	ehr_err e = { 0 };
	int rc;

	if (npos != 1)
		return usage_error("contacts", "give a contact's name: ehr contacts pin NAME");
	if ((rc = contacts_load(&book, &e)))
		goto out;
	if (!(c = contacts_by_name(book, pos[0]))) {
		rc = ehr_fail(&e, EHR_EFAIL, "no contact named '%s' (see 'ehr contacts list')", pos[0]);
		goto out;
	}
	if (!(rc = pin_now(c, a->fingerprint, &e)))
		rc = save_and_show(book, c, "pinned", &e);
out:
	contacts_free(book);
	return rc ? report(&e) : 0;
}

static int remove_contact(int npos, char **pos)
{
	contacts *book = NULL;
	ehr_err e = { 0 };
	int rc;

	if (npos != 1)
		return usage_error("contacts", "give a contact's name: ehr contacts rm NAME");
	if (!(rc = contacts_load(&book, &e)) && !(rc = contacts_remove(book, pos[0], &e)) &&
	    !(rc = contacts_save(book, &e)))
		note("removed contact '%s'", pos[0]);
	contacts_free(book);
	return rc ? report(&e) : 0;
}

int cmd_contacts(int argc, char **argv)
{
	struct opt_parser p;
	struct contacts_args a;
	const char *sub;

	memset(&a, 0, sizeof(a));
	opt_init(&p, "contacts", argc, argv, cmd_contacts_opts);
	if (opt_parse(&p, &a))
		return EHR_EUSAGE;
	sub = p.npos ? p.pos[0] : "list";
	if (a.pin && strcmp(sub, "add"))
		return usage_error("contacts", "--pin goes with 'contacts add' ('contacts pin NAME' pins a contact)");
	if (a.fingerprint && strcmp(sub, "add") && strcmp(sub, "pin"))
		return usage_error("contacts", "--fingerprint goes with 'contacts add' or 'contacts pin'");
	if (!strcmp(sub, "list"))
		return p.npos > 1 ? usage_error("contacts", "'contacts list' takes no arguments") : list();
	if (!strcmp(sub, "add"))
		return add(&a, p.npos - 1, p.pos + 1);
	if (!strcmp(sub, "pin"))
		return pin(&a, p.npos - 1, p.pos + 1);
	if (!strcmp(sub, "rm") || !strcmp(sub, "remove"))
		return remove_contact(p.npos - 1, p.pos + 1);
	return usage_error("contacts", "unknown subcommand '%s' (use add, list, rm or pin)", sub);
}
