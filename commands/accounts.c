/* ehr accounts: the derived accounts, read from the file's plain header,
 * so no passphrase is needed; --add derives more (and does need it). */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"

#include <sodium.h>

struct accounts_options {
	unsigned long add;
};

static const struct opt accounts_opts[] = {
	{ "add", 0, "N", OV_NONE, "derive N more accounts and keep them in the wallet (asks for the passphrase)",
	  OPT_ULONG(struct accounts_options, add, KEYSTORE_MAX_ACCOUNTS) },
	{ 0 }
};

const struct command_args cmd_accounts_args = {
	.opts = accounts_opts, .size = sizeof(struct accounts_options),
};

/* The accounts of the wallet main read; with --add, more of them, the
 * wallet unlocked and written again with the same passphrase. */
int cmd_accounts(const struct command_call *call)
{
	const struct accounts_options *o = call->opts;
	keystore *ks = call->x->s.ks;
	ehr_err e = { 0 };
	char *pass;
	size_t len;
	int rc;

	if (o->add) {
		if ((rc = session_passphrase("passphrase", false, &pass, &len, &e)))
			return report(&e);
		if (!(rc = keystore_unlock(ks, pass, len, &e)) &&
		    !(rc = keystore_add_accounts(ks, o->add, &e)))
			rc = keystore_rewrite(ks, pass, len, -1, &e);
		sodium_free(pass);
		if (rc)
			return report(&e);
	}
	print_accounts(ks);
	return 0;
}
