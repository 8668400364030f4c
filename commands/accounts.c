/* ehr accounts: the derived accounts, read from the file's plain header,
 * so no passphrase is needed; --add derives more (and does need it). */
#include "commands/commands.h"
#include "cli/session.h"

#include <sodium.h>

struct accounts_options {
	unsigned long add;
};

const struct opt cmd_accounts_opts[] = {
	{ "add", 0, "N", OV_NONE, "derive N more accounts and keep them in the wallet (asks for the passphrase)",
	  OPT_ULONG(struct accounts_options, add, KEYSTORE_MAX_ACCOUNTS) },
	{ 0 }
};

int cmd_accounts(int argc, char **argv)
{
	struct opt_parser p;
	struct accounts_options opts = { 0 };
	unsigned long add;
	keystore *ks = NULL;
	ehr_err e = { 0 };
	char *pass;
	size_t len;
	int rc;

	opt_init(&p, "accounts", argc, argv, cmd_accounts_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	add = opts.add;
	if (p.npos)
		return usage_error("accounts", "unexpected argument '%s'", p.pos[0]);
	if (!add) {
		if ((rc = session_open(&ks, &e)))
			return report(&e);
		print_accounts(ks);
		keystore_free(ks);
		return 0;
	}
	if ((rc = session_open(&ks, &e)))
		return report(&e);
	if ((rc = session_passphrase("passphrase", false, &pass, &len, &e))) {
		keystore_free(ks);
		return report(&e);
	}
	if (!(rc = keystore_unlock(ks, pass, len, &e)) &&
	    !(rc = keystore_add_accounts(ks, add, &e)))
		rc = keystore_rewrite(ks, pass, len, -1, &e);
	sodium_free(pass);
	if (!rc)
		print_accounts(ks);
	keystore_free(ks);
	return rc ? report(&e) : 0;
}
