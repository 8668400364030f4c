/* A JSON-RPC 2.0 client for Ethereum nodes, over HTTP(S) with libcurl.
 *
 * One rpc_client holds one curl handle, so a run keeps one connection alive
 * to the node. A client is not thread-safe; use one per thread.
 *
 * Errors (DESIGN.md section 10):
 *   EHR_ENODE   the node is unreachable (refused, DNS, TLS, timeout), answered
 *               with an HTTP error, or sent a reply that is not a well-formed
 *               JSON-RPC 2.0 reply (not JSON, truncated, wrong "jsonrpc" or
 *               "id", larger than max_reply_bytes or holding more than two
 *               million JSON values). The message names the node:
 *               "cannot reach node at URL: connection refused",
 *               "node at URL sent a malformed reply: ...".
 *   EHR_ECHAIN  the node answered with a JSON-RPC error object; the message is
 *               the node's own (control characters and non-ASCII replaced by
 *               '?', cut at 300 bytes). The code and the error's data (revert
 *               bytes) stay available: rpc_last_error_code/_data, or the
 *               error_code/error_data fields of an rpc_request.
 *   EHR_EUSAGE  a bad URL or a bad EHR_RPC_TIMEOUT.
 *   EHR_EFAIL   out of memory or a programming error (params not array/object).
 *
 * URLs in messages are shown redacted, since provider URLs carry API keys:
 * user:password@ becomes "***@", a query string "?***", and a path segment
 * of 20 or more letters, digits, '-' or '_' becomes "***"
 * (https://mainnet.infura.io/v3/KEY is shown with "***" in place of KEY).
 *
 * Retries. A call is "read-only" when its method is in the eth_, net_, web3_
 * or txpool_ namespace and is not eth_send*, eth_submit* or eth_sign*.
 * Read-only calls and batches made only of them are retried (read_retries
 * more attempts, waiting retry_base_ms * 2^attempt, half of it random, at
 * most 8 s; an HTTP 429's Retry-After is honoured up to 10 s) when the
 * connection fails or resets, the node closes without a reply, the reply is
 * cut short, a timeout expires, or the node answers HTTP 429 or 5xx. Nothing
 * is retried after a JSON-RPC error object or a malformed complete reply.
 * Other methods are sent once. rpc_send_raw has its own policy (below).
 *
 * Nothing here prints. The trace callback in rpc_options sees every request
 * and reply body; they hold no secrets (a raw transaction is public once
 * sent), but the URL (which may hold an API key) is never passed to it. */
#ifndef EHR_RPC_H
#define EHR_RPC_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "wallet/base/err.h"

typedef struct rpc_client rpc_client;

enum rpc_trace_event {
	RPC_TRACE_REQUEST,	/* text: the HTTP request body about to be posted */
	RPC_TRACE_REPLY,	/* text: the HTTP reply body (as much as was read) */
	RPC_TRACE_RETRY		/* text: why the attempt failed and a retry follows */
};

/* text is not NUL-terminated when the event is RPC_TRACE_REPLY; use len. */
typedef void (*rpc_trace_fn)(void *ctx, enum rpc_trace_event ev,
			     const char *text, size_t len);

typedef struct {
	long connect_timeout_ms;	/* TCP + TLS set-up, per attempt */
	long timeout_ms;		/* whole HTTP exchange, per attempt */
	int read_retries;		/* extra attempts for read-only calls */
	long retry_base_ms;		/* first back-off delay */
	size_t max_reply_bytes;		/* larger replies are refused, unread */
	size_t batch_max;		/* requests per HTTP request in rpc_batch */
	rpc_trace_fn trace;		/* NULL: no tracing */
	void *trace_ctx;
} rpc_options;

/* Built-in defaults: connect 10 s, total 30 s, 3 read retries from 250 ms,
 * replies up to 64 MiB, 200 requests per batch, no trace. Reads no
 * environment. */
void rpc_options_default(rpc_options *opt);

/* Applies EHR_RPC_TIMEOUT (seconds, decimals allowed, > 0 and <= 86400) to
 * opt->timeout_ms when set and non-empty. Returns 0, or EHR_EUSAGE on a
 * malformed value (opt unchanged). A caller with a --timeout option calls
 * this first and its option after, so the option wins. */
int rpc_options_env(rpc_options *opt, ehr_err *e);

/* Opens a client for url (http:// or https://, with a host). opt NULL means
 * rpc_options_default() then rpc_options_env(). Does not connect yet: the
 * first call does. On success *out is set and must be closed with rpc_close.
 * Returns EHR_EUSAGE on a bad URL, EHR_EFAIL when curl cannot start. */
int rpc_open(const char *url, const rpc_options *opt, rpc_client **out,
	     ehr_err *e);

/* The hosts libcurl is told to reach without a proxy (CURLOPT_NOPROXY):
 * NO_PROXY's (or no_proxy's) and loopback, which never goes through a
 * proxy (tests and local nodes), whatever http_proxy says. malloc'd; NULL
 * when out of memory. */
char *rpc_noproxy_list(void);

/* Closes the connection and frees c (NULL is fine). */
void rpc_close(rpc_client *c);

/* The URL as given to rpc_open, and its redacted form used in messages.
 * Both live as long as c. */
const char *rpc_url(const rpc_client *c);
const char *rpc_display_url(const rpc_client *c);

/* Calls method with params (a JSON array or object; NULL means []). params
 * is owned by the call and always freed. On success *result is the reply's
 * "result" (a JSON null item when the node answered null, never a NULL
 * pointer), which the caller frees with cJSON_Delete; result may be NULL to
 * drop it. On failure *result is NULL. Read-only methods are retried as
 * described above. */
int rpc_call(rpc_client *c, const char *method, cJSON *params,
	     cJSON **result, ehr_err *e);

/* After an rpc_call or rpc_send_raw that returned EHR_ECHAIN: the JSON-RPC
 * error code (0 otherwise), and the error's data as 0x-prefixed hex when the
 * node sent revert bytes (a hex string, a hex string nested in an object's
 * "data", or a "0x..." token inside a string), else NULL. The string lives
 * until the next call on c. */
long rpc_last_error_code(const rpc_client *c);
const char *rpc_last_error_data(const rpc_client *c);

/* After an rpc_call that returned EHR_ENODE: 1 when the node's reply was
 * refused for its size (larger than max_reply_bytes, or more than two
 * million JSON values), which asking for less may cure; else 0. */
int rpc_last_reply_too_large(const rpc_client *c);

/* One request of a batch. The caller fills method and params; rpc_batch
 * fills the rest. */
typedef struct {
	const char *method;	/* in */
	cJSON *params;		/* in, owned: freed by rpc_batch and set to NULL */
	cJSON *result;		/* out: as rpc_call's *result; see rpc_request_free */
	int status;		/* out: EHR_OK, EHR_ECHAIN, or the batch's failure */
	ehr_err err;		/* out: why, when status is not EHR_OK */
	long error_code;	/* out: the JSON-RPC error code on EHR_ECHAIN */
	char *error_data;	/* out: as rpc_last_error_data, or NULL */
} rpc_request;

/* Sends n requests as JSON-RPC batches (at most opt.batch_max per HTTP
 * request) and matches the replies to the requests by id, in any order.
 * Each request gets its own result or error. A batch reply that is not an
 * array, or misses, repeats or invents an id, is malformed: EHR_ENODE.
 *
 * When a node refuses a batch as a whole (one error object, or fewer error
 * replies than requests, as geth does past its batch limit), a read-only
 * batch is resent in halves, down to plain single calls, so nodes with small
 * limits or no batch support still work.
 *
 * Returns 0 when every request got an answer (reqs[i].status then says
 * whether it was a result or a JSON-RPC error), else the failure (EHR_ENODE
 * mostly): requests answered before it keep their results, the others get
 * that status and error. Every params is freed in all cases. Free the
 * outputs with rpc_request_free on each request. */
int rpc_batch(rpc_client *c, rpc_request *reqs, size_t n, ehr_err *e);

/* Frees a request's result and error_data and sets them to NULL. */
void rpc_request_free(rpc_request *r);

/* Sends a signed raw transaction with eth_sendRawTransaction.
 *
 * tx_hash is always written first (keccak256 of raw, computed here), so the
 * caller can record it whatever happens.
 *
 * Policy: re-sending the same bytes cannot make a second transaction (it has
 * the same hash and nonce), so after a transient failure (the conditions of
 * a read retry, including a timeout after the request may have reached the
 * node) the same bytes are sent again, up to read_retries times. A node that
 * answers "already known", "known transaction", "already imported" or
 * "nonce too low" (and the Nethermind/Besu spellings) may be telling us our
 * own earlier attempt landed; eth_getTransactionByHash(hash) decides: if the
 * node knows a transaction with our hash, the send succeeded; otherwise
 * (another transaction used the nonce) the node's error stands, EHR_ECHAIN.
 * A node returning a hash other than ours is a malformed reply. A new
 * transaction is never built here.
 *
 * Returns 0, EHR_ECHAIN (refused: funds, fee, nonce; rpc_last_error_* hold
 * the details), or EHR_ENODE; then the message says the transaction may or
 * may not have reached the node, and re-sending the same bytes is safe. */
int rpc_send_raw(rpc_client *c, const uint8_t *raw, size_t len,
		 uint8_t tx_hash[32], ehr_err *e);

/* eth_chainId and eth_blockNumber as integers. These and rpc_get_balance
 * report a bad quantity as "node at URL sent a malformed reply: METHOD:
 * malformed quantity '...': why" (EHR_ENODE). */
/* Whether a node's refusal of a raw transaction may mean it has it
 * already ("already known", "nonce too low", in the spellings of geth,
 * erigon, reth, anvil, nethermind, besu and cosmos evm): only a lookup by
 * hash can decide. */
int rpc_maybe_known(const char *msg);

int rpc_chain_id(rpc_client *c, uint64_t *out, ehr_err *e);
int rpc_block_number(rpc_client *c, uint64_t *out, ehr_err *e);

/* eth_getBalance of addr at tag (NULL means "latest"; else "latest",
 * "pending", "earliest", "safe", "finalized" or a 0x block number) as a
 * 32-byte big-endian number of wei. A bad tag is EHR_EUSAGE. */
int rpc_get_balance(rpc_client *c, const uint8_t addr[20], const char *tag,
		    uint8_t be32[32], ehr_err *e);

/* Parse a JSON-RPC quantity: a JSON string "0x" followed by 1 or more hex
 * digits (either case; leading zeros tolerated) into 32 big-endian bytes, or
 * into a uint64. Anything else, or a value too large for the output, is
 * EHR_ENODE ("node sent a malformed quantity ..."), since quantities come
 * from the node. */
int rpc_parse_quantity(const cJSON *j, uint8_t be32[32], ehr_err *e);
int rpc_parse_u64(const cJSON *j, uint64_t *out, ehr_err *e);

/* Formats v as a quantity ("0x0", "0x1a"): out holds at least 19 bytes. */
void rpc_u64_quantity(uint64_t v, char out[19]);

/* Whether tag names a block: "latest", "pending", "earliest", "safe",
 * "finalized", or "0x" and 1 to 16 hex digits. canonical: the number only
 * as JSON-RPC writes quantities (lowercase, no leading zero); otherwise any
 * case and leading zeros pass. */
int rpc_valid_block_tag(const char *tag, int canonical);

/* Pauses ms milliseconds, resuming after signals; nothing when ms <= 0. */
void rpc_sleep_ms(long ms);

#endif
