/* ehr passwd: re-seal the wallet under a new passphrase (and, with --kdf,
 * a new Argon2id cost). The file is replaced atomically. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>

#include <sodium.h>

enum { O_NEWFILE = 1, O_KDF };

const struct opt cmd_passwd_opts[] = {
	{ "new-passphrase-file", 0, O_NEWFILE, "FILE", OV_FILE, "read the new passphrase from FILE (else the terminal asks twice)" },
	{ "kdf", 0, O_KDF, "LEVEL", OV_LEVEL, "new argon2id cost: interactive, moderate or sensitive" },
	{ 0 }
};

int cmd_passwd(int argc, char **argv)
{
	struct opt_parser p;
	const char *val, *newfile = NULL, *kdf = NULL;
	enum keystore_kdf_level level;
	int lvl = -1;
	keystore *ks = NULL;
	char *pass = NULL;
	size_t len;
	ehr_err e = { 0 };
	int key, rc;

	opt_init(&p, "passwd", argc, argv, cmd_passwd_opts);
	while ((key = opt_next(&p, &val)) > 0) {
		switch (key) {
		case O_NEWFILE: newfile = val; break;
		case O_KDF: kdf = val; break;
		}
	}
	if (key < 0)
		return EHR_EUSAGE;
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
