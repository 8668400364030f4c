/* Where ehr keeps things (DESIGN.md section 6): everything under $EHR_HOME
 * when it is set, else the XDG base directories. */
#ifndef EHR_PATHS_H
#define EHR_PATHS_H

#include <stddef.h>

#include "wallet/base/err.h"

enum ehr_place {
	PLACE_WALLETS,  /* $EHR_HOME/wallets or $XDG_DATA_HOME/ehr/wallets */
	PLACE_CONFIG,   /* $EHR_HOME/config.json or $XDG_CONFIG_HOME/ehr/config.json */
	PLACE_STATE,    /* $EHR_HOME/state or $XDG_STATE_HOME/ehr */
	PLACE_ISSUERS   /* $EHR_HOME/trusted-issuers.json or $XDG_CONFIG_HOME/ehr/trusted-issuers.json */
};

/* Writes the path of place into out; EHR_EUSAGE if neither $EHR_HOME nor
 * $HOME is set or the path does not fit. Creates nothing. */
int paths_get(enum ehr_place place, char *out, size_t cap, ehr_err *e);

/* Checks a wallet name (letters, digits, '.', '_', '-', up to 64, not
 * starting with '.') and writes the wallet file's path into out. */
int paths_wallet_file(const char *name, char *out, size_t cap, ehr_err *e);

#endif
