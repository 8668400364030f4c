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

/* The EIP-2612 digest owner signs to let spender take value of token
 * until deadline: the token's own DOMAIN_SEPARATOR() and nonces(owner)
 * read in one batch, then keccak256(0x1901 || domain || hashStruct(Permit)).
 * A token without them: EHR_EUSAGE "... has no EIP-2612 permit". */
int erc20_permit_digest(chain *c, const uint8_t token[20], const uint8_t owner[20],
			const uint8_t spender[20], const u256 *value, uint64_t deadline,
			uint8_t digest[32], ehr_err *e);

#endif
