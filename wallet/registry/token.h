/* What an ERC-20 says about itself, read in one batch of calls. */
#ifndef EHR_TOKEN_H
#define EHR_TOKEN_H

#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/base/u256.h"

struct token_info {
	uint8_t address[20];
	unsigned decimals;
	char symbol[32];           /* printable ASCII (text_clean); "?" when the token has none */
	u256 balance;              /* of the account asked about */
};

/* Reads decimals(), symbol() and balanceOf(owner). A contract without
 * decimals() (or no contract at all) is EHR_EUSAGE "... is not an ERC-20". */
int token_info_get(chain *c, const uint8_t token[20], const uint8_t owner[20],
		   struct token_info *out, ehr_err *e);

#endif
