/* Creating a wallet file and showing accounts: shared by init, restore,
 * import and accounts. */
#include "cli/ehr.h"
#include "cli/session.h"

#include <stdio.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/keys/enckey.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "keystore/strength.h"

static cJSON *accounts_json(const keystore *ks)
{
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < ks->naccounts; i++) {
		const keystore_account *a = &ks->accounts[i];
		cJSON *o = cJSON_CreateObject();
		char addr[43], key[65], fp_text[ENCKEY_FP_TEXT];
		uint8_t fp[ENCKEY_FP_BYTES];

		eip55_format(a->address, addr);
		hex_encode(a->encryption_key, 32, key);
		enckey_fingerprint(a->encryption_key, fp);
		enckey_fingerprint_format(fp, fp_text);
		cJSON_AddNumberToObject(o, "index", a->index);
		cJSON_AddStringToObject(o, "address", addr);
		cJSON_AddStringToObject(o, "path", a->path);
		cJSON_AddStringToObject(o, "encryption_key", key);
		cJSON_AddStringToObject(o, "fingerprint", fp_text);
		cJSON_AddItemToArray(arr, o);
	}
	return arr;
}

void print_accounts(const keystore *ks)
{
	size_t i;

	if (g.json) {
		output_json(accounts_json(ks));
		return;
	}
	printf("%-6s %-42s  %s\n", "INDEX", "ADDRESS", "PATH");
	for (i = 0; i < ks->naccounts; i++) {
		char addr[43];

		eip55_format(ks->accounts[i].address, addr);
		printf("%-6u %-42s  %s\n", ks->accounts[i].index, addr,
		       ks->accounts[i].path[0] ? ks->accounts[i].path : "(imported key)");
	}
}

int create_wallet(const keystore_secret *secret, const char *kdf, unsigned long naccounts,
		  bool force)
{
	return create_wallet_confirmed(secret, kdf, naccounts, force, NULL, NULL);
}

int create_wallet_confirmed(const keystore_secret *secret, const char *kdf, unsigned long naccounts,
			    bool force, int (*before_write)(void *arg), void *arg)
{
	enum keystore_kdf_level level = KDF_MODERATE;
	char path[4096], *pass = NULL;
	size_t len;
	keystore *ks = NULL;
	ehr_err e = { 0 };
	int rc;

	if ((kdf && (rc = keystore_kdf_parse(kdf, &level, &e))) ||
	    (rc = session_wallet_path(path, sizeof(path), &e)))
		return report(&e);
	if (!force && file_exists(path))
		return fail(EHR_EUSAGE, "wallet '%s' exists at %s (use --force to replace it)",
			    g.wallet, path);
	if ((rc = session_passphrase("new passphrase", true, &pass, &len, &e)))
		return report(&e);
	if ((rc = strength_check(pass, len, &e))) {
		sodium_free(pass);
		return report(&e);
	}
	if (before_write && (rc = before_write(arg))) {
		sodium_free(pass);
		return rc;
	}
	rc = keystore_create(path, secret, pass, len, level, naccounts, force, &e);
	sodium_free(pass);
	if (rc || (rc = keystore_open(path, &ks, &e)))
		return report(&e);
	if (g.json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "wallet", g.wallet);
		cJSON_AddStringToObject(o, "file", path);
		cJSON_AddItemToObject(o, "accounts", accounts_json(ks));
		output_json(o);
	} else if (!g.quiet) {
		char addr[43];

		eip55_format(ks->accounts[0].address, addr);
		printf("wallet '%s' written to %s\naccount 0: %s\n", g.wallet, path, addr);
	}
	keystore_free(ks);
	return 0;
}
