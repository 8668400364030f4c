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
	const struct subcommand *sub;  /* the checked subcommand */
};

static const struct opt contacts_opts[] = {
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

static int list(const struct command_call *call)
{
	contacts *book;
	cJSON *arr;
	ehr_err e = { 0 };
	size_t i;

	(void)call;
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
static int pin_now(struct ctx *x, contact *c, const char *given, ehr_err *e)
{
	uint8_t want[ENCKEY_FP_BYTES], fp[ENCKEY_FP_BYTES];
	char addr[43], text[ENCKEY_FP_TEXT], want_text[ENCKEY_FP_TEXT], question[300];
	registry_account a;
	int rc;

	if (given && enckey_fingerprint_parse(given, want))
		return ehr_fail(e, EHR_EUSAGE, "--fingerprint wants 32 hex digits (spaces, '-' and ':' "
				"between them are fine)");
	eip55_format(c->address, addr);
	if ((rc = ctx_open_parts(x, CTX_REGISTRY | CTX_CHAIN, e)) ||
	    (rc = registry_account_of(x->c, x->registry, c->address, &a, e)))
		return rc;
	if (!a.registered)
		return ehr_fail(e, EHR_EFAIL, "%s has not registered an encryption key: nothing to pin yet", addr);
	enckey_fingerprint(a.enc_key, fp);
	enckey_fingerprint_format(fp, text);
	if (!g.quiet && !g.json)
		fprintf(stderr, "%s (%s): registered as '%s' (its own words), key fingerprint\n    %s\n", c->name,
			addr, a.name, text);
	if (given && memcmp(want, fp, ENCKEY_FP_BYTES)) {
		enckey_fingerprint_format(want, want_text);
		return ehr_fail(e, EHR_EINTEGRITY, "the registry shows the key %s for %s, not %s as given: nothing "
			      "pinned (they may have read out another account's key, or a node or proxy is "
			      "rewriting answers)", text, addr, want_text);
	}
	snprintf(question, sizeof(question), "Pin this key for '%s'? Compare the fingerprint with the one "
		 "they read from 'ehr register --show' first", c->name);
	if (!given && (rc = confirm(question, e)))
		return rc;
	c->pinned = true;
	memcpy(c->fp, fp, ENCKEY_FP_BYTES);
	return 0;
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

/* NAME ADDR: a name a contact may have, an address. */
static int add_check(const struct command_call *call)
{
	uint8_t addr[20];
	ehr_err e = { 0 };

	if (call->npos != 2)
		return usage_error("contacts", "give a name and an address: ehr contacts add NAME ADDR");
	if (contact_name_check(call->pos[0], &e))
		return usage_error("contacts", "%s", e.msg);
	return eip55_parse(call->pos[1], addr, &e) ? report(&e) : 0;
}

static int add(const struct command_call *call)
{
	const struct contacts_args *a = call->opts;
	contacts *book = NULL;
	contact c;
	ehr_err e = { 0 };
	int rc;

	memset(&c, 0, sizeof(c));
	snprintf(c.name, sizeof(c.name), "%s", call->pos[0]);
	if ((rc = eip55_parse(call->pos[1], c.address, &e)))
		return report(&e);
	if ((rc = contacts_load(&book, &e)) || (rc = contacts_add(book, &c, &e)))
		goto out;
	if ((a->pin || a->fingerprint) &&
	    (rc = pin_now(call->x, contacts_by_name(book, c.name), a->fingerprint, &e)))
		goto out;
	rc = save_and_show(book, contacts_by_name(book, c.name), "added", &e);
out:
	contacts_free(book);
	return rc ? report(&e) : 0;
}

/* One NAME, for pin and rm. */
static int name_check(const struct command_call *call)
{
	if (call->npos != 1)
		return usage_error("contacts", "give a contact's name: ehr contacts %s NAME", call->pos[-1]);
	return 0;
}

static int list_check(const struct command_call *call)
{
	return call->npos ? usage_error("contacts", "'contacts list' takes no arguments") : 0;
}

static int pin(const struct command_call *call)
{
	const struct contacts_args *a = call->opts;
	contacts *book = NULL;
	contact *c;
	ehr_err e = { 0 };
	int rc;

	if ((rc = contacts_load(&book, &e)))
		goto out;
	if (!(c = contacts_by_name(book, call->pos[0]))) {
		rc = ehr_fail(&e, EHR_EFAIL, "no contact named '%s' (see 'ehr contacts list')", call->pos[0]);
		goto out;
	}
	if (!(rc = pin_now(call->x, c, a->fingerprint, &e)))
		rc = save_and_show(book, c, "pinned", &e);
out:
	contacts_free(book);
	return rc ? report(&e) : 0;
}

static int remove_contact(const struct command_call *call)
{
	const char *name = call->pos[0];
	contacts *book = NULL;
	ehr_err e = { 0 };
	int rc;

	if (!(rc = contacts_load(&book, &e)) && !(rc = contacts_remove(book, name, &e)) &&
	    !(rc = contacts_save(book, &e)))
		note("removed contact '%s'", name);
	contacts_free(book);
	return rc ? report(&e) : 0;
}

static const struct subcommand contacts_subs[] = {
	{ "list", list_check, list },
	{ "add", add_check, add },
	{ "pin", name_check, pin },
	{ "rm", name_check, remove_contact },
	{ "remove", name_check, remove_contact },
	{ NULL, NULL, NULL }
};

/* The subcommand (list by default), and which of them the options go with. */
static int contacts_check(const struct command_call *call)
{
	struct contacts_args *a = call->opts;
	const char *sub = call->npos ? call->pos[0] : "list";

	if (a->pin && strcmp(sub, "add"))
		return usage_error("contacts", "--pin goes with 'contacts add' ('contacts pin NAME' pins a contact)");
	if (a->fingerprint && strcmp(sub, "add") && strcmp(sub, "pin"))
		return usage_error("contacts", "--fingerprint goes with 'contacts add' or 'contacts pin'");
	if (!(a->sub = subcommand_find(contacts_subs, sub)))
		return usage_error("contacts", "unknown subcommand '%s' (use add, list, rm or pin)", sub);
	return call->npos ? subcommand_check(a->sub, call) : 0;
}

const struct command_args cmd_contacts_args = {
	.opts = contacts_opts, .size = sizeof(struct contacts_args), .max_pos = -1,
	.check = contacts_check,
};

/* Staged (CMD_STAGED): only pin asks the node and the registry, the book
 * itself is on this machine. */
int cmd_contacts(const struct command_call *call)
{
	const struct contacts_args *a = call->opts;

	return call->npos ? subcommand_run(a->sub, call) : list(call);
}
