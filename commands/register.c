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
};

const struct opt cmd_register_opts[] = {
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

int cmd_register(int argc, char **argv)
{
	struct opt_parser p;
	struct ctx x;
	struct tx_opts to;
	struct register_options opts = { .name = "", .role_text = "patient" };
	const char *name, *role_text;
	const keystore_account *acct;
	bool showing;
	uint8_t who[20], hash[32], *data = NULL, role;
	chain_receipt r;
	eth_tx tx;
	char what[256];
	ehr_err e = { 0 };
	int rc;

	tx_opts_init(&opts.tx);
	ctx_start(&x);
	memset(&r, 0, sizeof(r));
	opt_init(&p, "register", argc, argv, cmd_register_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	name = opts.name;
	role_text = opts.role_text;
	showing = opts.showing;
	to = opts.tx;
	if (p.npos > (showing ? 1 : 0))
		return usage_error("register", "unexpected argument '%s'", p.pos[showing]);
	if (!strcmp(role_text, "patient"))
		role = REG_ROLE_PATIENT;
	else if (!strcmp(role_text, "provider"))
		role = REG_ROLE_PROVIDER;
	else
		return usage_error("register", "--role is patient or provider, not '%s'", role_text);
	if (strlen(name) > REG_NAME_MAX)
		return usage_error("register", "--name is longer than %d bytes", REG_NAME_MAX);
	if ((rc = ctx_open_parts(&x, CTX_TARGET | CTX_REGISTRY, &e)))
		return report(&e);
	if ((rc = ctx_subject(&x, showing && p.npos ? p.pos[0] : NULL, who, &e)) ||
	    (rc = ctx_open_parts(&x, CTX_CHAIN, &e)))
		goto out;
	if (showing) {
		acct = p.npos ? NULL : keystore_account_by_index(x.s.ks, x.s.index);
		rc = show(x.c, x.registry, who, acct ? acct->encryption_key : NULL, &e);
		goto out;
	}
	if (!(acct = keystore_account_by_index(x.s.ks, x.s.index)) && (rc = signer_unlock(&x.s, &e)))
		goto out;
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	memcpy(tx.to, x.registry, 20);
	rc = registry_call_register(acct ? acct->encryption_key : x.s.keys->enc_public, name, role,
				    &data, &tx.data_len, &e);
	tx.data = data;
	snprintf(what, sizeof(what), "Publish this account's encryption key as %s '%s'", role_text, name);
	if (!rc && !(rc = tx_submit(x.c, &x.s, &tx, what, &to, hash, &r, &e))) {
		cJSON *o = cJSON_CreateObject();
		char addr[43];

		eip55_format(who, addr);
		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddStringToObject(o, "name", name);
		cJSON_AddStringToObject(o, "role", role_text);
		print_tx_result(hash, &r, o);
	}
out:
	free(data);
	chain_receipt_free(&r);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}
