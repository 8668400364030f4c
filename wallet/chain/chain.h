/* The chain layer: what a wallet asks of an Ethereum node, on top of the
 * JSON-RPC client (rpc.h). It checks the node's chain id, prepares
 * transactions (nonce, fees, gas, funds) in one batch request, signs and
 * sends them, waits for receipts, makes calls, reads logs in adaptive block
 * ranges and reads block times. Reverts are turned into sentences with
 * revert.h, using the custom errors the caller registered.
 *
 * Errors follow rpc.h: EHR_ENODE when the node cannot be reached or answers
 * nonsense (also a wait that timed out), EHR_ECHAIN when the chain refuses
 * (revert, insufficient funds, chain id mismatch, a node error object),
 * EHR_EUSAGE for bad arguments, EHR_EFAIL for out of memory and "not found".
 *
 * A chain is not thread-safe. Nothing here prints. */
#ifndef EHR_CHAIN_H
#define EHR_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "wallet/base/err.h"
#include "wallet/chain/revert.h"
#include "wallet/chain/rpc.h"
#include "wallet/chain/tx.h"
#include "wallet/base/u256.h"

typedef struct chain chain;

/* Opens an rpc client for url (opt as rpc_open: NULL means the defaults
 * and EHR_RPC_TIMEOUT), asks eth_chainId once and keeps the answer. When
 * expected_chain_id is not 0 and the node reports another id, nothing is
 * kept and the result is EHR_ECHAIN: "node at URL reports chain id X, but
 * network 'NAME' is configured for Y: refusing to sign" (network NULL:
 * "..., but chain id Y was expected: refusing to sign"). Whether the chain
 * has a base fee (EIP-1559) is learnt later, in the first chain_prepare.
 * On success *out must be freed with chain_close. */
int chain_open(const char *url, const char *network, uint64_t expected_chain_id,
	       const rpc_options *opt, chain **out, ehr_err *e);

/* chain_open without its round trip: nothing is asked here (errors are
 * rpc_open's). The chain id is asked with the first request made on c,
 * and checked as chain_open checks it before any other answer is used:
 * chain_prepare_many, chain_call_many and chain_block_times put
 * eth_chainId at the head of their batch, the other calls ask it alone
 * first. A failed check fails that call, nothing of its batch is used,
 * and the nonce manager is left alone; a mismatch is kept, and every
 * later call returns it without asking again. The transport failure of a
 * batch that carried the question is not wrapped ("cannot reach node at
 * URL: ...", as chain_open says it). chain_chain_id and chain_rpc ask
 * nothing: call chain_check_id before them. */
int chain_open_deferred(const char *url, const char *network, uint64_t expected_chain_id,
			const rpc_options *opt, chain **out, ehr_err *e);

/* Asks and checks the chain id now, if that is not done yet (a chain from
 * chain_open always is; so is one that answered any call). 0, or the
 * failure, as chain_open's; a kept mismatch is returned again. */
int chain_check_id(chain *c, ehr_err *e);

/* Closes the client and frees c (NULL is fine). */
void chain_close(chain *c);

/* The node's chain id, and its rpc client (owned by c) for calls this
 * layer does not wrap. Neither asks anything: on a chain_open_deferred
 * chain, call chain_check_id first (until then the id is 0), so nothing is
 * asked through the client of a node that may be on another chain. */
uint64_t chain_chain_id(const chain *c);
rpc_client *chain_rpc(const chain *c);

/* 1 when the latest block seen by chain_prepare had a base fee, 0 when it
 * had none, -1 before any chain_prepare asked. */
int chain_has_base_fee(const chain *c);

/* The gas limit of the latest block seen by chain_prepare, 0 before. */
uint64_t chain_block_gas_limit(const chain *c);

/* The native coin's symbol in messages about amounts ("ETH" by default).
 * The string is copied (at most 15 bytes are kept). */
void chain_set_symbol(chain *c, const char *symbol);

/* That symbol, for callers writing amounts of c's coin; owned by c. */
const char *chain_symbol(const chain *c);

/* Custom errors for every later revert decoding on c (estimateGas, calls,
 * reverted receipts), e.g. the registry's. The table is not copied: it
 * must outlive c or be replaced. NULL: only Error(string) and Panic. */
void chain_set_errors(chain *c, const revert_error *errors, size_t n);

/* ---- preparing and sending --------------------------------------------- */

/* Flags of chain_fee_opts. */
#define CHAIN_KEEP_NONCE	0x01	/* tx->nonce is set: do not ask, do not track */
#define CHAIN_KEEP_GAS		0x02	/* tx->gas is set: no eth_estimateGas */
#define CHAIN_KEEP_FEES		0x04	/* tx->type and its fee fields are set */
#define CHAIN_LEGACY		0x08	/* a type 0 (EIP-155) tx even on a base-fee chain */
#define CHAIN_NO_FUNDS_CHECK	0x10	/* let the node judge the balance */

typedef struct {
	unsigned flags;			/* CHAIN_ flags above */
	unsigned gas_margin_pct;	/* added to the estimate (20) */
	unsigned tip_percentile;	/* eth_feeHistory reward percentile (50) */
	unsigned fee_blocks;		/* blocks of fee history (10) */
	u256 min_tip;			/* tip floor in wei per gas (0); legacy: gas price floor */
	u256 max_fee_cap;		/* refuse when the fee per gas would exceed it; 0: no cap */
	/* NULL, or one per transaction: transactions of one nonzero shape run
	 * the same code over call data of the same lengths (the caller vouches
	 * for it: chainstore_tx.shape), so their execution costs the same and
	 * only the first of each shape is estimated; each other one gets that
	 * estimate plus 10 gas for every call data token it has more (a token
	 * is a zero byte, four for any other; 10 a token is the most one costs,
	 * EIP-7623's floor). The estimate of a shape is remembered for the life
	 * of the chain, and not asked again: the caller also vouches that the
	 * gas of its shapes does not grow as the chain's state changes (as for
	 * the registry's anchoring, where a storage slot costs most when it is
	 * first written), and checks before each call whatever could make its
	 * transactions revert, as an estimate would have. An all-zero shape is
	 * always estimated. */
	const uint8_t (*shapes)[16];
} chain_fee_opts;

void chain_fee_opts_default(chain_fee_opts *o);

/* What chain_prepare learnt, for a confirmation prompt. */
typedef struct {
	u256 balance;		/* of the sender, at "pending" */
	u256 base_fee;		/* of the next block; 0 on a legacy chain */
	u256 max_cost;		/* sum of value + gas * (max_fee or gas_price) */
	uint64_t gas_estimate;	/* total of the estimates before the margin (0 when kept) */
} chain_quote;

/* Prepares n transactions from `from` to be signed: chain id, nonces
 * (consecutive, from eth_getTransactionCount at "pending" or the local
 * nonce manager, whichever is higher), fees and gas, in ONE batch request:
 * eth_getTransactionCount, eth_getBlockByNumber("latest"), eth_feeHistory,
 * eth_maxPriorityFeePerGas, eth_gasPrice, eth_getBalance and one
 * eth_estimateGas per transaction (each left out when its answer is not
 * needed).
 *
 * The caller fills to/has_to, value and data; opts NULL means the
 * defaults. Fees: when the latest block has a base fee, type 2 with
 * max_priority_fee = the median over fee_blocks blocks of the
 * tip_percentile rewards (eth_maxPriorityFeePerGas when they are all zero,
 * as blocks are empty; at least min_tip) and max_fee = 2 * base fee + tip;
 * without eth_feeHistory, the tip is eth_maxPriorityFeePerGas or
 * eth_gasPrice - base fee. Without a base fee (or with CHAIN_LEGACY),
 * type 0 with gas_price = eth_gasPrice. Gas: the estimate plus
 * gas_margin_pct, at most the block gas limit.
 *
 * Refusals, with nothing changed in the local nonce manager:
 *   EHR_ECHAIN  an estimate reverted: "transaction N would fail: REASON"
 *               (N only when n > 1), REASON decoded with revert.h (or the
 *               node's words when it sent no revert data);
 *               insufficient funds: "insufficient funds: 0xADDR has 0.5 ETH,
 *               the transaction needs 1.000042 ETH (1 value + 0.000042 max
 *               fee)"; a fee above max_fee_cap.
 *   EHR_ENODE   the node could not be asked, or answered nonsense.
 * On success the nonces are handed out: the manager will not give them
 * again until chain_nonce_release or chain_nonce_reset. quote may be NULL. */
int chain_prepare_many(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
		       const chain_fee_opts *opts, chain_quote *quote, ehr_err *e);

/* chain_prepare_many for one transaction. */
int chain_prepare(chain *c, const uint8_t from[20], eth_tx *tx,
		  const chain_fee_opts *opts, chain_quote *quote, ehr_err *e);

/* The local nonce manager. chain_next_nonce hands out the next nonce of
 * from without asking the node: it needs an earlier chain_prepare (or
 * chain_nonce_set) for that sender, else it returns EHR_EUSAGE. A batch
 * prepares its first transaction, copies the fees and gas to the others
 * and takes their nonces here. chain_nonce_release gives back `nonce`
 * when it was the last one handed out (a transaction that was never
 * sent); chain_nonce_reset forgets the sender (the next chain_prepare asks
 * the node only); chain_nonce_set sets the next nonce to hand out. */
int chain_next_nonce(chain *c, const uint8_t from[20], uint64_t *nonce, ehr_err *e);
void chain_nonce_release(chain *c, const uint8_t from[20], uint64_t nonce);
void chain_nonce_reset(chain *c, const uint8_t from[20]);
int chain_nonce_set(chain *c, const uint8_t from[20], uint64_t next, ehr_err *e);

/* Signs tx with priv and sends it with rpc_send_raw (whose retry policy
 * only ever re-sends the same bytes; a new transaction is never built
 * here). hash is written whenever signing succeeded, even when sending
 * failed, so the caller can look for it. When the node refuses the
 * transaction (EHR_ECHAIN), its nonce is released (chain_nonce_release).
 * EHR_EUSAGE when tx_sign refuses; else as rpc_send_raw. priv is only read. */
int chain_send(chain *c, const eth_tx *tx, const uint8_t priv[32], uint8_t hash[32], ehr_err *e);

/* One pre-signed transaction of chain_send_batch. */
typedef struct {
	const uint8_t *raw;	/* in: as tx_sign made it, not owned */
	size_t raw_len;		/* in */
	uint8_t hash[32];	/* out: keccak256(raw), always */
	int status;		/* out: EHR_OK, EHR_ECHAIN (refused) or EHR_ENODE (unknown) */
	ehr_err err;		/* out: why, when status is not EHR_OK */
} chain_raw_tx;

/* Sends n raw transactions with eth_sendRawTransaction in batch requests.
 * Transactions whose fate is unknown after a transport failure are sent
 * again, the same bytes, a few times; "already known" and "nonce too low"
 * answers are settled by asking for the hash (as rpc_send_raw does).
 * Returns 0 when every transaction was accepted; otherwise the status of
 * the first one that was not, with "K of N transactions were not accepted;
 * the first (nonce order of the input) ...: WHY". Every txs[i] says its
 * own fate. */
int chain_send_batch(chain *c, chain_raw_tx *txs, size_t n, ehr_err *e);

/* ---- receipts ----------------------------------------------------------- */

/* One log entry, of a receipt or of chain_get_logs. Pointers live as long
 * as what holds the log (the receipt, or the callback's duration). */
typedef struct {
	uint8_t address[20];
	uint8_t topics[4][32];
	unsigned n_topics;
	const uint8_t *data;	/* NULL when data_len is 0 */
	size_t data_len;
	uint64_t block_number;
	uint8_t block_hash[32];
	uint8_t tx_hash[32];
	uint64_t tx_index;
	uint64_t log_index;
	int removed;		/* dropped by a reorg (seen in fresh logs only) */
} chain_log;

typedef struct {
	int found;			/* 0: not mined (yet); the rest is zero */
	int status;			/* 1 success, 0 reverted */
	uint8_t tx_hash[32];
	uint8_t block_hash[32];
	uint64_t block_number;
	uint64_t tx_index;
	uint64_t confirmations;		/* head - block_number + 1 when last seen */
	uint64_t gas_used;
	u256 effective_gas_price;	/* paid per gas; 0 when the node does not say */
	uint8_t from[20];
	int has_to;
	uint8_t to[20];
	int has_contract_address;	/* a creation: the new contract */
	uint8_t contract_address[20];
	chain_log *logs;		/* n_logs entries, owned by the receipt */
	size_t n_logs;
	cJSON *json;			/* the receipt as the node sent it, owned */
} chain_receipt;

/* Frees what a receipt owns and zeroes it (a zeroed receipt is fine). */
void chain_receipt_free(chain_receipt *r);

/* Waits until the transaction is in a block with `confirmations` blocks
 * on top counted from 1 (0 and 1 both mean "mined"), polling
 * eth_getTransactionReceipt (and eth_blockNumber in the same batch when
 * confirmations > 1) at once, then after 2 ms, doubling to at most 1 s
 * (a local node mines within a millisecond or two of the send; a public
 * chain costs about ten extra polls in the first second).
 * timeout_ms < 0 waits for ever; 0 looks once.
 * Returns 0 with *r filled; EHR_ECHAIN when the transaction reverted (*r
 * is filled; "transaction 0xHASH failed in block N: REASON", the reason
 * found by replaying the call at its block, two more requests, or "it ran
 * out of gas"); EHR_ENODE on timeout: "transaction 0xHASH not mined after
 * N s (it may still be)" ("not confirmed" when it is mined: *r then holds
 * its receipt); or the node's failure. Free *r with chain_receipt_free in
 * every case. */
int chain_wait(chain *c, const uint8_t hash[32], unsigned confirmations, long timeout_ms,
	       chain_receipt *r, ehr_err *e);

/* chain_wait for n transactions at once: each poll is one batch request
 * with a receipt query for every transaction still pending. r has n
 * entries, filled as the receipts come in (found says which did). Returns
 * 0 when all are mined and succeeded; EHR_ECHAIN (after all are mined)
 * when some reverted, naming the first reverted one and how many; EHR_ENODE
 * on timeout, saying how many are still pending. Free each r[i]. */
int chain_wait_many(chain *c, const uint8_t (*hashes)[32], size_t n, unsigned confirmations,
		    long timeout_ms, chain_receipt *r, ehr_err *e);

/* ---- calls -------------------------------------------------------------- */

/* eth_call of data on `to` at block_tag (NULL means "latest"; else a tag
 * or a 0x block number). On success *ret (malloc'd, the caller frees it;
 * NULL when *ret_len is 0) holds the return data. A revert is EHR_ECHAIN
 * with the decoded reason: "call failed: REASON". */
int chain_call(chain *c, const uint8_t to[20], const uint8_t *data, size_t len,
	       const char *block_tag, uint8_t **ret, size_t *ret_len, ehr_err *e);

/* One call of chain_call_many. */
typedef struct {
	const uint8_t *from;	/* in: 20 bytes, or NULL */
	const uint8_t *to;	/* in: 20 bytes */
	const uint8_t *data;	/* in */
	size_t len;		/* in */
	uint8_t *ret;		/* out: malloc'd, the caller frees it */
	size_t ret_len;		/* out */
	int status;		/* out: EHR_OK, EHR_ECHAIN (reverted), ... */
	ehr_err err;		/* out */
} chain_call_req;

/* n calls in one batch request (balanceOf + decimals + symbol, say).
 * Returns 0 when the node answered them all (each status then says how
 * its call went), else the transport failure (or a failed chain id check:
 * then no call was made, as far as the caller can tell). */
int chain_call_many(chain *c, chain_call_req *calls, size_t n, const char *block_tag,
		    ehr_err *e);

/* eth_getCode at block_tag (NULL: "latest"): *code malloc'd (NULL when
 * *len is 0, i.e. no contract there); the caller frees it. */
int chain_get_code(chain *c, const uint8_t addr[20], const char *block_tag,
		   uint8_t **code, size_t *len, ehr_err *e);

/* ---- logs and blocks ---------------------------------------------------- */

/* One topic position of a log filter: a log matches when its topic equals
 * any of the n values; n == 0 matches anything. */
typedef struct {
	const uint8_t (*any_of)[32];
	size_t n;
} chain_topic;

/* Called for each log in block order; a nonzero return stops the scan and
 * becomes chain_get_logs' result (so return an ehr status). */
typedef int (*chain_log_cb)(void *ctx, const chain_log *log);

/* eth_getLogs from from_block to to_block inclusive (CHAIN_LATEST: the head
 * at the start), for address (NULL: any) and topics (NULL: any; else 4
 * positions). Asks in block ranges: after a node answers "too many
 * results", "query returned more than N results", "block range too large",
 * a range or size limit (or suggests a range), or sends a reply larger
 * than the client reads (rpc_last_reply_too_large), the range is halved
 * (or set to the suggestion) and asked again; after each success it
 * doubles, up to the maximum. This is the one place logs are fetched, so
 * every scanner (history, invoices, watch, consent, records) splits alike.
 * A single block that is still too much is EHR_ECHAIN.
 * Returns 0, the callback's nonzero return, or the failure. */
#define CHAIN_LATEST UINT64_MAX
int chain_get_logs(chain *c, const uint8_t address[20], const chain_topic topics[4],
		   uint64_t from_block, uint64_t to_block, chain_log_cb cb, void *ctx,
		   ehr_err *e);

/* Block ranges of chain_get_logs: the first span (2000 blocks) and the
 * largest (100000), both at least 1; and a cap on the logs accepted in one
 * reply (0: none): a reply with more is treated as the node's "too many
 * results". The cap bounds memory, and lets tests shrink ranges on a node
 * without limits. */
void chain_set_log_limits(chain *c, uint64_t first_span, uint64_t max_span, size_t max_logs);

/* Timestamps (seconds) of n blocks, one batch request. EHR_EFAIL when a
 * block does not exist (yet). */
/* (CHAIN_LATEST asks for the head block's time.) */
int chain_block_times(chain *c, const uint64_t *blocks, size_t n, uint64_t *times, ehr_err *e);
int chain_block_time(chain *c, uint64_t block, uint64_t *time, ehr_err *e);

/* The head block number. */
int chain_head(chain *c, uint64_t *block, ehr_err *e);

#endif
