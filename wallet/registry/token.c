#include "wallet/registry/token.h"

#include <stdlib.h>
#include <string.h>

#include "wallet/base/text.h"
#include "wallet/chain/abi.h"
#include "wallet/chain/eip712.h"
#include "wallet/keys/eth.h"

int token_info_get(chain *c, const uint8_t token[20], const uint8_t owner[20],
		   struct token_info *out, ehr_err *e)
{
	static const char *const sigs[3] = { "decimals()", "symbol()", "balanceOf(address)" };
	chain_call_req calls[3];
	abi_value *args = NULL, *res = NULL;
	uint8_t *data[3] = { NULL, NULL, NULL };
	char addr[43];
	uint64_t dec;
	size_t i;
	int rc = 0;

	memset(calls, 0, sizeof(calls));
	memset(out, 0, sizeof(*out));
	memcpy(out->address, token, 20);
	eip55_format(token, addr);
	for (i = 0; i < 3 && !rc; i++) {
		args = i == 2 ? abi_tuple(1, abi_address(owner)) : abi_tuple_new();
		rc = abi_encode_call(sigs[i], args, &data[i], &calls[i].len, e);
		abi_free(args);
		calls[i].to = token;
		calls[i].data = data[i];
	}
	if (rc || (rc = chain_call_many(c, calls, 3, "latest", e)))
		goto out;
	if (calls[0].status || calls[0].ret_len != 32 ||
	    abi_decode("(uint8)", calls[0].ret, calls[0].ret_len, &res, e) ||
	    abi_get_u64(abi_item(res, 0), &dec) || dec > 77) {
		rc = ehr_fail(e, EHR_EUSAGE, "%s is not an ERC-20 token on this chain (no decimals())", addr);
		goto out;
	}
	abi_free(res);
	res = NULL;
	out->decimals = (unsigned)dec;
	strcpy(out->symbol, "?");
	if (!calls[1].status && !abi_decode("(string)", calls[1].ret, calls[1].ret_len, &res, e)) {
		size_t n = 0;
		const uint8_t *s = abi_get_bytes(abi_item(res, 0), &n);

		if (s && n && !text_clean(out->symbol, sizeof(out->symbol), s, n, TEXT_ASCII))
			strcpy(out->symbol, "?");
		abi_free(res);
		res = NULL;
	}
	if (calls[2].status || calls[2].ret_len != 32 ||
	    u256_from_be(&out->balance, calls[2].ret, 32)) {
		rc = ehr_fail(e, EHR_EUSAGE, "%s is not an ERC-20 token on this chain (no balanceOf())", addr);
		goto out;
	}
out:
	abi_free(res);
	for (i = 0; i < 3; i++) {
		free(data[i]);
		free(calls[i].ret);
	}
	return rc;
}

int erc20_permit_digest(chain *c, const uint8_t token[20], const uint8_t owner[20],
			const uint8_t spender[20], const u256 *value, uint64_t deadline,
			uint8_t digest[32], ehr_err *e)
{
	chain_call_req calls[2];
	abi_value *args = abi_tuple(1, abi_address(owner)), *none = abi_tuple_new();
	uint8_t *data[2] = { NULL, NULL }, type[32], w[5][32], hs[32];
	char addr[43];
	int rc;

	memset(calls, 0, sizeof(calls));
	rc = abi_encode_call("DOMAIN_SEPARATOR()", none, &data[0], &calls[0].len, e);
	if (!rc)
		rc = abi_encode_call("nonces(address)", args, &data[1], &calls[1].len, e);
	abi_free(args);
	abi_free(none);
	calls[0].to = calls[1].to = token;
	calls[0].data = data[0];
	calls[1].data = data[1];
	if (!rc && !(rc = chain_call_many(c, calls, 2, "latest", e))) {
		if (calls[0].status || calls[0].ret_len != 32 || calls[1].status || calls[1].ret_len != 32) {
			eip55_format(token, addr);
			rc = ehr_fail(e, EHR_EUSAGE, "token %s has no EIP-2612 permit (DOMAIN_SEPARATOR, nonces): "
				      "a relayed payment cannot move it", addr);
		} else {
			eip712_type_hash("Permit(address owner,address spender,uint256 value,uint256 nonce,"
					 "uint256 deadline)", type);
			eip712_word_address(owner, w[0]);
			eip712_word_address(spender, w[1]);
			eip712_word_u256(value, w[2]);
			memcpy(w[3], calls[1].ret, 32);
			eip712_word_u64(deadline, w[4]);
			eip712_hash_struct(type, (const uint8_t (*)[32])w, 5, hs);
			eip712_digest(calls[0].ret, hs, digest);
		}
	}
	free(data[0]);
	free(data[1]);
	free(calls[0].ret);
	free(calls[1].ret);
	return rc;
}
