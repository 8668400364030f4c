/* ehr register: publish this account's encryption key, display name and
 * role in the registry's key directory, so patients can seal data keys to
 * it and see who they grant to; --show reads an entry back. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/enckey.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/registry/registry.h"

struct register_options {
	const char *name, *role_text;
	bool showing;
	struct tx_opts tx;
	uint8_t role;            /* --role parsed (the check) */
};

static const struct opt register_opts[] = {
	{ "name", 0, "NAME", OV_NONE, "display name shown to patients (up to 64 bytes)",
	  OPT_STR(struct register_options, name), .forms = OPT_IN(0) },
	{ "role", 0, "ROLE", OV_ROLE, "patient (default) or provider",
	  OPT_STR(struct register_options, role_text), .forms = OPT_IN(0) },
	{ "show", 0, NULL, OV_NONE, "show the directory entry of ADDR (default: this account)",
	  OPT_FLAG(struct register_options, showing), .forms = OPT_IN(1), .required = true },
	TX_OPTS_IN(struct register_options, tx, OPT_IN(0)),
	{ 0 }
};

static const char *role_name(uint8_t role)
{
	return role == REG_ROLE_PATIENT ? "patient" : role == REG_ROLE_PROVIDER ? "provider" : "other";
}

/* The directory entry of who, with its key's fingerprint (what a patient
 * pins, `ehr contacts`); own_key: this wallet's key for who, when it is
 * this wallet's account, to say when the registry holds another. */
static int show(chain *c, const uint8_t reg[20], const uint8_t who[20], const uint8_t *own_key, ehr_err *e)
{
	registry_account a;
	char addr[43], key[65], fp_text[ENCKEY_FP_TEXT];
	uint8_t fp[ENCKEY_FP_BYTES];
	int rc;

	if ((rc = registry_account_of(c, reg, who, &a, e)))
		return rc;
	eip55_format(who, addr);
	if (!a.registered)
		return ehr_fail(e, EHR_EFAIL, "%s is not registered", addr);
	hex_encode(a.enc_key, 32, key);
	enckey_fingerprint(a.enc_key, fp);
	enckey_fingerprint_format(fp, fp_text);
	if (own_key && memcmp(own_key, a.enc_key, 32))
		warn("the registry (or the node) gives %s another encryption key than this wallet's: "
		     "register again, and do not read this fingerprint out", addr);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddStringToObject(o, "name", a.name);
		cJSON_AddStringToObject(o, "role", role_name(a.role));
		cJSON_AddStringToObject(o, "encryption_key", key);
		cJSON_AddStringToObject(o, "fingerprint", fp_text);
		output_json(o);
	} else {
		printf("address         %s\nname            %s\nrole            %s\nencryption key  %s\n"
		       "fingerprint     %s\n", addr, a.name[0] ? a.name : "(none)", role_name(a.role), key, fp_text);
	}
	return 0;
}

/* --role into o->role; --name's length. */
static int register_check(const struct command_call *call)
{
	struct register_options *o = call->opts;

	if (call->npos > (o->showing ? 1 : 0))
		return usage_error("register", "unexpected argument '%s'", call->pos[o->showing]);
	if (!strcmp(o->role_text, "patient"))
		o->role = REG_ROLE_PATIENT;
	else if (!strcmp(o->role_text, "provider"))
		o->role = REG_ROLE_PROVIDER;
	else
		return usage_error("register", "--role is patient or provider, not '%s'", o->role_text);
	if (strlen(o->name) > REG_NAME_MAX)
		return usage_error("register", "--name is longer than %d bytes", REG_NAME_MAX);
	return 0;
}

static const struct register_options register_defaults = {
	.name = "", .role_text = "patient", .tx = TX_OPTS_DEFAULTS
};

const struct command_args cmd_register_args = {
	.opts = register_opts, .size = sizeof(register_defaults), .defaults = &register_defaults,
	.max_pos = -1, .check = register_check,
};

/* This account's key, name and role into the directory. */
static int publish(struct ctx *x, const struct register_options *o, ehr_err *e)
{
	const keystore_account *acct;
	uint8_t hash[32], *data = NULL;
	chain_receipt r = { 0 };
	eth_tx tx;
	char what[256];
	int rc;

	if (!(acct = keystore_account_by_index(x->s.ks, x->s.index)) && (rc = signer_unlock(&x->s, e)))
		return rc;
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x->registry, 20);
	rc = registry_call_register(acct ? acct->encryption_key : x->s.keys->enc_public, o->name, o->role,
				    &data, &tx.data_len, e);
	tx.data = data;
	/* a name a patient gives here outlives any wish to take it back */
	if (*o->name)
		note("the name '%s' is public and permanent: anyone can read it on chain, and the chain keeps "
		     "it after a later register replaces it", o->name);
	snprintf(what, sizeof(what), "Publish this account's encryption key as %s '%s'", o->role_text, o->name);
	if (!rc && !(rc = tx_submit(x->c, &x->s, &tx, what, &o->tx, hash, &r, e))) {
		cJSON *j = cJSON_CreateObject();
		char addr[43];

		eip55_format(x->s.address, addr);
		cJSON_AddStringToObject(j, "address", addr);
		cJSON_AddStringToObject(j, "name", o->name);
		cJSON_AddStringToObject(j, "role", o->role_text);
		print_tx_result(hash, &r, j);
	}
	free(data);
	chain_receipt_free(&r);
	return rc;
}

/* Staged (CMD_STAGED): --show ADDR reads another account's entry without
 * reading the wallet. */
int cmd_register(const struct command_call *call)
{
	const struct register_options *o = call->opts;
	struct ctx *x = call->x;
	const keystore_account *own;
	uint8_t who[20];
	ehr_err e = { 0 };

	if (ctx_open_parts(x, CTX_REGISTRY, &e) ||
	    ctx_subject(x, o->showing && call->npos ? call->pos[0] : NULL, who, &e) ||
	    ctx_open_parts(x, CTX_CHAIN, &e))
		return report(&e);
	if (!o->showing)
		return publish(x, o, &e) ? report(&e) : 0;
	/* this wallet's own entry: its key, to say when the registry holds another */
	own = call->npos ? NULL : keystore_account_by_index(x->s.ks, x->s.index);
	return show(x->c, x->registry, who, own ? own->encryption_key : NULL, &e) ? report(&e) : 0;
}
