/* What the files of the chain client share (chain.c: opening, the chain
 * id and the nonces; chain_prepare.c; chain_send.c: sending and receipts;
 * chain_read.c: calls, blocks and logs): the chain itself, and the small
 * helpers that turn JSON-RPC answers into values. Not for use outside
 * wallet/chain/chain*.c: the rest of the code sees chain.h only. */
#ifndef EHR_CHAIN_INTERNAL_H
#define EHR_CHAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/err.h"
#include "wallet/base/hex.h"
#include "wallet/base/u256.h"
#include "wallet/chain/chain.h"
#include "wallet/chain/rpc.h"

struct nonce_slot {
	uint8_t addr[20];
	uint64_t next;
};

struct chain {
	rpc_client *rpc;
	uint64_t chain_id;		/* the node's, once id_checked */
	uint64_t expected_id;		/* 0: any */
	char network[65];		/* "" when none was named */
	int id_checked;
	ehr_err id_refused;		/* a mismatch, kept; status 0 when none */
	int has_base_fee;		/* -1 unknown, 0, 1 */
	uint64_t block_gas_limit;	/* of the latest block chain_prepare saw */
	char symbol[16];
	const revert_error *errors;
	size_t n_errors;
	struct nonce_slot *nonces;
	size_t n_nonces;
	struct gas_shape *gas_shapes;	/* estimates by shape (chain_fee_opts.shapes) */
	size_t n_gas_shapes;
	long send_retry_ms;		/* first pause before a batch re-send */
	uint64_t log_span;		/* the span chain_get_logs uses next */
	uint64_t log_span_max;
	size_t log_max;
};


/* ---- opening and the chain id (chain.c) ---------------------------------- */

/* rpc_batch on c, with the chain id asked at its head while it is not
 * checked: the other answers count only once it is (else they are freed
 * and the check's failure returned). */
int chain_batch(chain *c, rpc_request *q, size_t n, ehr_err *e);

/* The nonce slot of addr, or NULL when the manager does not track it. */
struct nonce_slot *chain_nonce_find(chain *c, const uint8_t addr[20]);

/* ---- logs (chain_send.c) ---------------------------------------------------- */

/* Parses a log object of a receipt or of eth_getLogs; l->data is malloc'd
 * and freed, with l's other parts, by chain_log_free. */
int chain_parse_log(const cJSON *j, chain_log *l, ehr_err *e);
void chain_log_free(chain_log *l);

/* ---- answers to values (chain.c) ------------------------------------------ */

/* A "0x..." JSON string of len bytes, or NULL when out of memory. */
cJSON *chain_json_hex(const uint8_t *p, size_t len);

/* Adds item to array or object (key not NULL); 0 or -1, item freed on failure. */
int chain_json_add(cJSON *to, const char *key, cJSON *item);


/* "0x..." bytes of a reply: *out malloc'd (NULL when empty); EHR_ENODE
 * "node sent a malformed WHAT" when they are not bytes. */
int chain_parse_bytes(const cJSON *j, const char *what, uint8_t **out, size_t *len, ehr_err *e);

/* Frees the params and answers of n requests (the array itself stays). */
void chain_free_requests(rpc_request *r, size_t n);

/* A monotonic clock in milliseconds (rpc_sleep_ms pauses). */
long long chain_now_ms(void);

/* Amounts for people: "1.000042 ETH" (c's coin), "1.5 gwei". */
void chain_format_coin(const chain *c, const u256 *wei, char *out, size_t cap);
void chain_format_gwei(const u256 *wei, char *out, size_t cap);

/* Writes the reason of a revert: the decoded data when there is some (with
 * c's custom errors), else the node's words, else "no reason given". */
void chain_revert_reason(const chain *c, const char *data_hex, const char *node_msg,
			 char *out, size_t cap);

/* ---- one-liners ---------------------------------------------------------------- */

static inline int out_of_memory(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

static inline cJSON *json_u64(uint64_t v)
{
	char q[19];

	rpc_u64_quantity(v, q);
	return cJSON_CreateString(q);
}

static inline cJSON *json_u256(const u256 *v)
{
	char q[U256_HEX_MAX];

	u256_format_hex(v, q);
	return cJSON_CreateString(q);
}

static inline int malformed(ehr_err *e, const char *what)
{
	return ehr_fail(e, EHR_ENODE, "node sent a malformed %s", what);
}

static inline int parse_fixed(const cJSON *j, uint8_t *out, size_t n)
{
	const char *s = cJSON_GetStringValue(j);

	return s && !strncmp(s, "0x", 2) && strlen(s) == 2 + 2 * n && !hex_decode_exact(s, out, n) ? 0 : -1;
}

static inline int parse_u64(const cJSON *j, uint64_t *v)
{
	ehr_err scratch;

	return rpc_parse_u64(j, v, &scratch);
}

static inline int parse_u256(const cJSON *j, u256 *v)
{
	uint8_t be[32];
	ehr_err scratch;

	if (rpc_parse_quantity(j, be, &scratch))
		return -1;
	u256_from_be(v, be, 32);
	return 0;
}

static inline const cJSON *field(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

/* A node error that stands for a revert: revert bytes in its data, or the
 * words geth, anvil, erigon, nethermind and besu use. */
static inline int is_revert(const char *msg, const char *data)
{
	return data || strcasestr(msg, "revert");
}

#endif
