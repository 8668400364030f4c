/* Raw signed transactions (wallet/chain/tx.h tx_decode): legacy and type 2, with
 * sender recovery, as a journal or a user hands them in. Whatever decodes
 * must give signing data, and decode the same without recovery. */
#include "fuzz.h"

#include "wallet/chain/tx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *raw = fuzz_copy(data, size), r[32], s[32], from[20], *sd = NULL;
	eth_tx tx, tx2;
	u256 v;
	ehr_err e;
	size_t sd_len;
	int st;

	st = tx_decode(raw, size, &tx, r, s, &v, from, &e);
	if (st) {
		fuzz_check_err(st, &e);
	} else {
		FUZZ_ASSERT(tx.type == TX_LEGACY || tx.type == TX_EIP1559 ||
			    tx.type == TX_LEGACY_UNPROTECTED);
		FUZZ_ASSERT(!tx.data_len || (tx.data >= raw && tx.data + tx.data_len <= raw + size));
		FUZZ_ASSERT(!tx.access_list_len || (tx.access_list >= raw &&
			    tx.access_list + tx.access_list_len <= raw + size));
		/* Without recovery it decodes to the same transaction. */
		FUZZ_ASSERT(tx_decode(raw, size, &tx2, NULL, NULL, NULL, NULL, &e) == 0);
		FUZZ_ASSERT(tx2.type == tx.type && tx2.nonce == tx.nonce && tx2.gas == tx.gas &&
			    tx2.data_len == tx.data_len);
		st = tx_signing_data(&tx, &sd, &sd_len, &e);
		if (st)
			fuzz_check_err(st, &e);	/* chain id 0 (v = 35, 36) is refused */
		free(sd);
	}
	free(raw);
	return 0;
}

FUZZ_INIT_SODIUM()
