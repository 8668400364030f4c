/* ehr wallets: the named wallets in the wallet directory; remove one. */
#include "commands/commands.h"
#include "cli/session.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/base/paths.h"

static const struct opt wallets_opts[] = {
	{ 0 }
};

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(void)
{
	char dir[4096], path[4096 + 300];
	char **names = NULL;
	size_t n = 0, i;
	cJSON *arr = g.json ? cJSON_CreateArray() : NULL;
	struct dirent *d;
	ehr_err e = { 0 };
	DIR *dh;

	if (paths_get(PLACE_WALLETS, dir, sizeof(dir), &e))
		return report(&e);
	if ((dh = opendir(dir))) {
		while ((d = readdir(dh))) {
			size_t len = strlen(d->d_name);
			char **grown;

			if (d->d_name[0] == '.' || len < 6 || strcmp(d->d_name + len - 5, ".json"))
				continue;
			if (!(grown = realloc(names, (n + 1) * sizeof(*names))))
				break;
			names = grown;
			names[n++] = strndup(d->d_name, len - 5);
		}
		closedir(dh);
	} else if (errno != ENOENT) {
		return fail(EHR_EFAIL, "cannot read %s: %s", dir, strerror(errno));
	}
	qsort(names, n, sizeof(*names), by_name);
	if (!g.json && n)
		printf("%-20s %-12s %-42s %s\n", "NAME", "KIND", "ACCOUNT 0", "CREATED");
	for (i = 0; i < n; i++) {
		keystore *ks = NULL;
		char addr[43] = "-";
		const char *kind = "damaged", *created = "-";

		snprintf(path, sizeof(path), "%s/%s.json", dir, names[i]);
		if (!keystore_open(path, &ks, &e)) {
			eip55_format(ks->accounts[0].address, addr);
			kind = ks->kind == KEYSTORE_MNEMONIC ? "mnemonic" : "private-key";
			created = ks->created;
		}
		if (arr) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "name", names[i]);
			cJSON_AddStringToObject(o, "kind", kind);
			cJSON_AddStringToObject(o, "address", addr);
			cJSON_AddStringToObject(o, "created", created);
			cJSON_AddStringToObject(o, "file", path);
			cJSON_AddItemToArray(arr, o);
		} else {
			printf("%-20s %-12s %-42s %s\n", names[i], kind, addr, created);
		}
		keystore_free(ks);
		free(names[i]);
	}
	free(names);
	if (arr)
		output_json(arr);
	else if (!n)
		note("no wallets in %s (create one with 'ehr init')", dir);
	return 0;
}

static int remove_wallet(const char *name)
{
	char path[4096], question[256];
	keystore *ks = NULL;
	ehr_err e = { 0 };
	int rc;

	if ((rc = paths_wallet_file(name, path, sizeof(path), &e)))
		return report(&e);
	if (access(path, F_OK))
		return fail(EHR_EFAIL, "no wallet named '%s'", name);
	if (!keystore_open(path, &ks, &e)) {
		char addr[43];

		eip55_format(ks->accounts[0].address, addr);
		snprintf(question, sizeof(question),
			 "Remove wallet '%s' (%s)? Without its mnemonic or a backup its keys are gone", name, addr);
		keystore_free(ks);
	} else {
		snprintf(question, sizeof(question), "Remove the damaged wallet file '%s'?", name);
	}
	if ((rc = confirm(question, &e)))
		return report(&e);
	if (unlink(path))
		return fail(EHR_EFAIL, "cannot remove %s: %s", path, strerror(errno));
	note("removed wallet '%s'", name);
	return 0;
}

const struct command_args cmd_wallets_args = { .opts = wallets_opts, .max_pos = -1 };

int cmd_wallets(const struct command_call *call)
{
	int npos = call->npos;
	char **pos = call->pos;

	if (npos == 0 || (npos == 1 && !strcmp(pos[0], "list")))
		return list();
	if (!strcmp(pos[0], "remove") || !strcmp(pos[0], "rm")) {  /* rm: as in a shell */
		if (npos != 2)
			return usage_error("wallets", "'wallets %s' takes one wallet name", pos[0]);
		return remove_wallet(pos[1]);
	}
	if (npos == 1 && strcmp(pos[0], "list"))
		return usage_error("wallets", "unknown subcommand '%s' (use list or remove)", pos[0]);
	return usage_error("wallets", "unexpected argument '%s'", pos[npos - 1]);
}
