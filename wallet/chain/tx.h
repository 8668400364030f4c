/* Ethereum transactions: legacy with EIP-155 replay protection and EIP-1559
 * (type 2). Signing hashes, signing, serialization, and decoding of raw
 * transactions with sender recovery (to re-check what was sent, e.g. from a
 * batch journal). No network here. */
#ifndef EHR_TX_H
#define EHR_TX_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"

enum {
	TX_LEGACY_UNPROTECTED = -1,	/* pre-EIP-155, v = 27/28: decoded, never signed */
	TX_LEGACY = 0,			/* EIP-155: v = chain_id * 2 + 35 + parity */
	TX_EIP1559 = 2			/* 0x02 || rlp([...]), y parity 0/1 */
};

typedef struct {
	int type;			/* one of the TX_ values */
	u256 chain_id;			/* any width: some chains exceed 2^32, v may exceed 2^64 */
	uint64_t nonce;
	u256 gas_price;			/* legacy only */
	u256 max_priority_fee;		/* type 2 only, per gas */
	u256 max_fee;			/* type 2 only, per gas */
	uint64_t gas;
	int has_to;			/* 0: contract creation */
	uint8_t to[20];
	u256 value;
	const uint8_t *data;		/* calldata, not owned; NULL when data_len is 0 */
	size_t data_len;
	/* Type 2 only: the complete RLP encoding of the access list
	 * ([[address, [storage key, ...]], ...]), not owned. NULL/0 means the
	 * empty list. tx_decode points it into the raw input. */
	const uint8_t *access_list;
	size_t access_list_len;
} eth_tx;

/* The bytes whose keccak is signed: rlp([nonce, gas_price, gas, to, value,
 * data, chain_id, 0, 0]) for TX_LEGACY, rlp of the first six for
 * TX_LEGACY_UNPROTECTED, 0x02 || rlp([chain_id, nonce, max_priority_fee,
 * max_fee, gas, to, value, data, access_list]) for TX_EIP1559. *out is
 * malloc'd, the caller frees it. EHR_EUSAGE for an unknown type, a zero
 * chain id (TX_LEGACY, TX_EIP1559) or a malformed access list; EHR_EFAIL
 * when memory runs out. */
int tx_signing_data(const eth_tx *tx, uint8_t **out, size_t *len, ehr_err *e);

/* keccak256 of tx_signing_data. */
int tx_signing_hash(const eth_tx *tx, uint8_t hash[32], ehr_err *e);

/* Signs tx (TX_LEGACY or TX_EIP1559) with priv and serializes it: *raw is
 * what eth_sendRawTransaction takes (malloc'd, caller frees), tx_hash is
 * keccak256(raw), the hash the node will report. Deterministic: the same
 * inputs always give the same bytes, so a re-send is the same transaction.
 * Refuses with EHR_EUSAGE what tx_signing_data refuses, TX_LEGACY_UNPROTECTED
 * (replayable on every chain), a max priority fee above the max fee, and an
 * invalid private key. priv is only read. */
int tx_sign(const eth_tx *tx, const uint8_t priv[32], uint8_t **raw, size_t *raw_len,
	    uint8_t tx_hash[32], ehr_err *e);

/* Decodes a raw signed transaction: legacy (EIP-155 or unprotected) or
 * type 2 with any access list. Fills tx (whose data and access_list then
 * point into raw: keep raw alive while using them), the signature r and s
 * (32 bytes big-endian each), v_or_parity (legacy: v as serialized; type 2:
 * the y parity) and from, the recovered sender. Each of sig_r, sig_s,
 * v_or_parity and from may be NULL; with from NULL no recovery is done.
 * Refuses, with EHR_EINTEGRITY: malformed or non-canonical RLP, trailing
 * bytes, wrong field counts or sizes, a v that is neither 27/28 nor
 * >= 35, a parity other than 0/1, other transaction types; and with
 * eth_recover's status a signature that recovers no key or has a high s. */
int tx_decode(const uint8_t *raw, size_t len, eth_tx *tx, uint8_t sig_r[32], uint8_t sig_s[32],
	      u256 *v_or_parity, uint8_t from[20], ehr_err *e);

#endif
