#include "wallet/base/paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

int paths_get(enum ehr_place place, char *out, size_t cap, ehr_err *e)
{
	static const char *const home_sub[] = { "wallets", "config.json", "state",
						 "trusted-issuers.json" };
	static const char *const xdg_var[] = { "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME",
					       "XDG_CONFIG_HOME" };
	static const char *const xdg_default[] = { ".local/share", ".config", ".local/state", ".config" };
	static const char *const xdg_sub[] = { "ehr/wallets", "ehr/config.json", "ehr",
					       "ehr/trusted-issuers.json" };
	const char *base;
	int n;

	if ((base = env("EHR_HOME")))
		n = snprintf(out, cap, "%s/%s", base, home_sub[place]);
	else if ((base = env(xdg_var[place])))
		n = snprintf(out, cap, "%s/%s", base, xdg_sub[place]);
	else if ((base = env("HOME")))
		n = snprintf(out, cap, "%s/%s/%s", base, xdg_default[place], xdg_sub[place]);
	else
		return ehr_fail(e, EHR_EUSAGE, "neither EHR_HOME nor HOME is set");
	if (n < 0 || (size_t)n >= cap)
		return ehr_fail(e, EHR_EUSAGE, "path under %s is too long", base);
	return 0;
}

int paths_wallet_file(const char *name, char *out, size_t cap, ehr_err *e)
{
	char dir[4096];
	size_t i, len = strlen(name);
	int rc;

	if (len == 0 || len > 64 || name[0] == '.')
		goto bad;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			goto bad;
	}
	if ((rc = paths_get(PLACE_WALLETS, dir, sizeof(dir), e)))
		return rc;
	if ((size_t)snprintf(out, cap, "%s/%s.json", dir, name) >= cap)
		return ehr_fail(e, EHR_EUSAGE, "wallet path too long");
	return 0;
bad:
	return ehr_fail(e, EHR_EUSAGE,
			"bad wallet name '%s': use up to 64 letters, digits, '.', '_' or '-', not starting with '.'",
			name);
}
