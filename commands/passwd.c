/* ehr passwd: re-seal the wallet under a new passphrase (and, with --kdf,
 * a new Argon2id cost). The file is replaced atomically. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>

#include <sodium.h>

#include "keystore/strength.h"

struct passwd_options {
	const char *newfile, *kdf;
};

const struct opt cmd_passwd_opts[] = {
	{ "new-passphrase-file", 0, "FILE", OV_FILE, "read the new passphrase from FILE (else the terminal asks twice)",
	  OPT_STR(struct passwd_options, newfile) },
	{ "kdf", 0, "LEVEL", OV_LEVEL, "new argon2id cost: interactive, moderate or sensitive",
	  OPT_STR(struct passwd_options, kdf) },
	{ 0 }
};

int cmd_passwd(int argc, char **argv)
{
	struct opt_parser p;
	struct passwd_options opts = { 0 };
	const char *newfile, *kdf;
	enum keystore_kdf_level level;
	int lvl = -1;
	keystore *ks = NULL;
	char *pass = NULL;
	size_t len;
	ehr_err e = { 0 };
	int rc;

	opt_init(&p, "passwd", argc, argv, cmd_passwd_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	newfile = opts.newfile;
	kdf = opts.kdf;
	if (p.npos)
		return usage_error("passwd", "unexpected argument '%s'", p.pos[0]);
	if (kdf) {
		if ((rc = keystore_kdf_parse(kdf, &level, &e)))
			return report(&e);
		lvl = (int)level;
	}
	if (!newfile && (g.passphrase_file || g.passphrase_fd >= 0))
		return usage_error("passwd", "with the old passphrase from a file or fd, give the new one "
				   "with --new-passphrase-file FILE");
	if ((rc = session_unlock(&ks, &e)))
		return report(&e);
	if (newfile)
		rc = passphrase_from_file(newfile, &pass, &len, &e);
	else
		rc = session_passphrase("new passphrase", true, &pass, &len, &e);
	if (!rc && (rc = strength_check(pass, len, &e)))
		sodium_free(pass);
	if (!rc) {
		rc = keystore_rewrite(ks, pass, len, lvl, &e);
		sodium_free(pass);
	}
	keystore_free(ks);
	if (rc)
		return report(&e);
	note("passphrase of wallet '%s' changed", g.wallet);
	return 0;
}
