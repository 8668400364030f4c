/* ehr passwd: re-seal the wallet under a new passphrase (and, with --kdf,
 * a new Argon2id cost). The file is replaced atomically. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"

#include <stdio.h>

#include <sodium.h>

#include "keystore/strength.h"

struct passwd_options {
	const char *newfile, *kdf;
	int level;               /* --kdf parsed: an enum keystore_kdf_level, -1: the same */
};

static const struct opt passwd_opts[] = {
	{ "new-passphrase-file", 0, "FILE", OV_FILE, "read the new passphrase from FILE (else the terminal asks twice)",
	  OPT_STR(struct passwd_options, newfile) },
	{ "kdf", 0, "LEVEL", OV_LEVEL, "new argon2id cost: interactive, moderate or sensitive",
	  OPT_STR(struct passwd_options, kdf) },
	{ 0 }
};

/* The new cost (into level) and where the new passphrase comes from. */
static int passwd_check(const struct command_call *call)
{
	struct passwd_options *o = call->opts;
	enum keystore_kdf_level level;
	ehr_err e = { 0 };

	if (o->kdf) {
		if (keystore_kdf_parse(o->kdf, &level, &e))
			return report(&e);
		o->level = (int)level;
	}
	if (!o->newfile && (g.passphrase_file || g.passphrase_fd >= 0))
		return usage_error("passwd", "with the old passphrase from a file or fd, give the new one "
				   "with --new-passphrase-file FILE");
	return 0;
}

static const struct passwd_options passwd_defaults = { .level = -1 };

const struct command_args cmd_passwd_args = {
	.opts = passwd_opts, .size = sizeof(passwd_defaults), .defaults = &passwd_defaults,
	.check = passwd_check,
};

/* The wallet main read, unlocked and sealed again under the new
 * passphrase. */
int cmd_passwd(const struct command_call *call)
{
	const struct passwd_options *o = call->opts;
	keystore *ks = call->x->s.ks;
	char *pass = NULL;
	size_t len;
	ehr_err e = { 0 };
	int rc;

	if ((rc = session_unlock_open(ks, &e)))
		return report(&e);
	if (o->newfile)
		rc = passphrase_from_file(o->newfile, &pass, &len, &e);
	else
		rc = session_passphrase("new passphrase", true, &pass, &len, &e);
	if (!rc && (rc = strength_check(pass, len, &e)))
		sodium_free(pass);
	if (!rc) {
		rc = keystore_rewrite(ks, pass, len, o->level, &e);
		sodium_free(pass);
	}
	if (rc)
		return report(&e);
	note("passphrase of wallet '%s' changed", g.wallet);
	return 0;
}
