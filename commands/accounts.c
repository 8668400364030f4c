/* ehr accounts: the derived accounts, read from the file's plain header,
 * so no passphrase is needed; --add derives more (and does need it). */
#include "commands/commands.h"
#include "cli/session.h"

#include <sodium.h>

enum { O_ADD = 1 };

const struct opt cmd_accounts_opts[] = {
	{ "add", 0, O_ADD, "N", OV_NONE, "derive N more accounts and keep them in the wallet (asks for the passphrase)" },
	{ 0 }
};

int cmd_accounts(int argc, char **argv)
{
	struct opt_parser p;
	const char *val;
	unsigned long add = 0;
	keystore *ks = NULL;
	ehr_err e = { 0 };
	char *pass;
	size_t len;
	int key, rc;

	opt_init(&p, "accounts", argc, argv, cmd_accounts_opts);
	while ((key = opt_next(&p, &val)) > 0)
		if (key == O_ADD && opt_ulong(&p, "--add", val, KEYSTORE_MAX_ACCOUNTS, &add))
			return EHR_EUSAGE;
	if (key < 0)
		return EHR_EUSAGE;
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
