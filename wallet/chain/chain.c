/* The chain layer (see chain.h): opening, the chain id, the accessors and
 * the local nonce manager, and the helpers chain_internal.h shares with
 * chain_prepare.c, chain_send.c and chain_read.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "wallet/base/amount.h"
#include "wallet/base/hex.h"
#include "wallet/keys/eth.h"
#include "wallet/chain/revert.h"
#include "wallet/chain/chain_internal.h"

/* ---- answers to values ----------------------------------------------------- */

cJSON *chain_json_hex(const uint8_t *p, size_t len)
{
	char *s = malloc(2 * len + 3);
	cJSON *j;

	if (!s)
		return NULL;
	hex_encode0x(p, len, s);
	j = cJSON_CreateString(s);
	free(s);
	return j;
}

/* Adds item to array or object (key not NULL); 0 or -1, item freed on failure. */
int chain_json_add(cJSON *to, const char *key, cJSON *item)
{
	if (!to || !item) {
		cJSON_Delete(item);
		return -1;
	}
	if (key ? !cJSON_AddItemToObject(to, key, item) : !cJSON_AddItemToArray(to, item)) {
		cJSON_Delete(item);
		return -1;
	}
	return 0;
}

/* "0x..." bytes of a reply: *out malloc'd (NULL when empty). */
int chain_parse_bytes(const cJSON *j, const char *what, uint8_t **out, size_t *len, ehr_err *e)
{
	const char *s = cJSON_GetStringValue(j);
	size_t n;
	long got;

	*out = NULL;
	*len = 0;
	if (!s || strncmp(s, "0x", 2) || strlen(s) % 2)
		return malformed(e, what);
	n = (strlen(s) - 2) / 2;
	if (!n)
		return 0;
	if (!(*out = malloc(n)))
		return out_of_memory(e);
	got = hex_decode(s, *out, n);
	if (got < 0 || (size_t)got != n) {
		free(*out);
		*out = NULL;
		return malformed(e, what);
	}
	*len = n;
	return 0;
}

long long chain_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void chain_free_requests(rpc_request *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON_Delete(r[i].params);
		r[i].params = NULL;
		rpc_request_free(&r[i]);
	}
}

/* Ether (or the chain's coin) for people: "1.000042 ETH". */
void chain_format_coin(const chain *c, const u256 *wei, char *out, size_t cap)
{
	char num[AMOUNT_FMT_MAX];

	amount_format(wei, 18, num, sizeof(num));
	snprintf(out, cap, "%s %s", num, c->symbol);
}

void chain_format_gwei(const u256 *wei, char *out, size_t cap)
{
	char num[AMOUNT_FMT_MAX];

	amount_format(wei, 9, num, sizeof(num));
	snprintf(out, cap, "%s gwei", num);
}

/* Writes the reason of a revert: the decoded data when there is some, else
 * the node's words (which some nodes make the reason: "execution reverted:
 * not allowed"). */
void chain_revert_reason(const chain *c, const char *data_hex, const char *node_msg,
			  char *out, size_t cap)
{
	uint8_t *data = NULL;
	long len = 0;

	if (data_hex && strlen(data_hex) >= 2) {
		size_t n = (strlen(data_hex) - 2) / 2;

		if ((data = malloc(n ? n : 1)))
			len = hex_decode(data_hex, data, n);
	}
	if (data && len >= 0)
		revert_describe(data, (size_t)len, c->errors, c->n_errors, out, cap);
	else if (node_msg && *node_msg)
		snprintf(out, cap, "%s", node_msg);
	else
		snprintf(out, cap, "no reason given");
	free(data);
}

/* ---- opening and the chain id ------------------------------------------- */

/* Takes the node's chain id: kept when it is the one expected, else the
 * refusal is (and returned, now and by every later call). */
static int settle_chain_id(chain *c, uint64_t id, ehr_err *e)
{
	if (c->expected_id && id != c->expected_id) {
		if (c->network[0])
			ehr_fail(&c->id_refused, EHR_ECHAIN, "node at %s reports chain id %" PRIu64
				 ", but network '%s' is configured for %" PRIu64 ": refusing to sign",
				 rpc_display_url(c->rpc), id, c->network, c->expected_id);
		else
			ehr_fail(&c->id_refused, EHR_ECHAIN, "node at %s reports chain id %" PRIu64
				 ", but chain id %" PRIu64 " was expected: refusing to sign",
				 rpc_display_url(c->rpc), id, c->expected_id);
		*e = c->id_refused;
		return e->status;
	}
	c->chain_id = id;
	c->id_checked = 1;
	return 0;
}

/* The answer to an eth_chainId of a batch. */
static int take_chain_id(chain *c, const rpc_request *r, ehr_err *e)
{
	static const char lead[] = "node sent a ";
	uint64_t id;
	ehr_err why;

	if (r->status) {
		*e = r->err;
		return ehr_wrap(e, "eth_chainId");
	}
	if (rpc_parse_u64(r->result, &id, &why))
		return ehr_fail(e, EHR_ENODE, "node at %s sent a malformed reply: eth_chainId: %s",
				rpc_display_url(c->rpc), strncmp(why.msg, lead, sizeof(lead) - 1) ?
				why.msg : why.msg + sizeof(lead) - 1);
	return settle_chain_id(c, id, e);
}

int chain_check_id(chain *c, ehr_err *e)
{
	ehr_err scratch;
	uint64_t id;
	int st;

	if (!e)
		e = &scratch;
	if (c->id_checked)
		return 0;
	if (c->id_refused.status) {
		*e = c->id_refused;
		return e->status;
	}
	if ((st = rpc_chain_id(c->rpc, &id, e)))
		return st;
	return settle_chain_id(c, id, e);
}

/* rpc_batch with, while the chain id is not checked, an eth_chainId in
 * front: the other answers count only once it is (else they are freed and
 * the check's failure returned, or the batch's when the question went
 * unanswered). A batch of n is a batch of n + 1 only on a chain's first
 * request, so the copies cost nothing that matters. */
int chain_batch(chain *c, rpc_request *q, size_t n, ehr_err *e)
{
	rpc_request *all;
	size_t i;
	int st;

	if (c->id_checked)
		return rpc_batch(c->rpc, q, n, e);
	if (c->id_refused.status) {
		*e = c->id_refused;
		return e->status;
	}
	if (!(all = calloc(n + 1, sizeof(*all))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	all[0].method = "eth_chainId";
	if (n)
		memcpy(all + 1, q, n * sizeof(*q));
	st = rpc_batch(c->rpc, all, n + 1, e);
	if (n)
		memcpy(q, all + 1, n * sizeof(*q));
	if (!st || !all[0].status) {
		int id_st = take_chain_id(c, &all[0], e);

		if (id_st) {
			for (i = 0; i < n; i++)
				rpc_request_free(&q[i]);
			st = id_st;
		}
	}
	rpc_request_free(&all[0]);
	free(all);
	return st;
}

static int open_client(const char *url, const char *network, uint64_t expected_chain_id,
		       const rpc_options *opt, chain **out, ehr_err *e)
{
	chain *c;
	int st;

	*out = NULL;
	if (!(c = calloc(1, sizeof(*c))))
		return out_of_memory(e);
	if ((st = rpc_open(url, opt, &c->rpc, e))) {
		free(c);
		return st;
	}
	c->expected_id = expected_chain_id;
	snprintf(c->network, sizeof(c->network), "%.64s", network ? network : "");
	c->has_base_fee = -1;
	strcpy(c->symbol, "ETH");
	c->send_retry_ms = 250;
	c->log_span = 2000;
	c->log_span_max = 100000;
	*out = c;
	return 0;
}

int chain_open(const char *url, const char *network, uint64_t expected_chain_id,
	       const rpc_options *opt, chain **out, ehr_err *e)
{
	ehr_err scratch;
	int st;

	if (!e)
		e = &scratch;
	if ((st = open_client(url, network, expected_chain_id, opt, out, e)))
		return st;
	if ((st = chain_check_id(*out, e))) {
		chain_close(*out);
		*out = NULL;
	}
	return st;
}

int chain_open_deferred(const char *url, const char *network, uint64_t expected_chain_id,
			const rpc_options *opt, chain **out, ehr_err *e)
{
	ehr_err scratch;

	return open_client(url, network, expected_chain_id, opt, out, e ? e : &scratch);
}

void chain_close(chain *c)
{
	if (!c)
		return;
	rpc_close(c->rpc);
	free(c->nonces);
	free(c->gas_shapes);
	free(c);
}

uint64_t chain_chain_id(const chain *c)
{
	return c->chain_id;	/* 0 until id_checked */
}

rpc_client *chain_rpc(const chain *c)
{
	return c->rpc;
}

const char *chain_network(const chain *c)
{
	return c->network;
}

int chain_id_pinned(const chain *c)
{
	return c->expected_id != 0;
}

int chain_has_base_fee(const chain *c)
{
	return c->has_base_fee;
}

uint64_t chain_block_gas_limit(const chain *c)
{
	return c->block_gas_limit;
}

void chain_set_symbol(chain *c, const char *symbol)
{
	snprintf(c->symbol, sizeof(c->symbol), "%s", symbol && *symbol ? symbol : "ETH");
}

const char *chain_symbol(const chain *c)
{
	return c->symbol;
}

void chain_set_errors(chain *c, const revert_error *errors, size_t n)
{
	c->errors = errors;
	c->n_errors = errors ? n : 0;
}

/* ---- the local nonce manager ---------------------------------------------- */

struct nonce_slot *chain_nonce_find(chain *c, const uint8_t addr[20])
{
	size_t i;

	for (i = 0; i < c->n_nonces; i++)
		if (!memcmp(c->nonces[i].addr, addr, 20))
			return &c->nonces[i];
	return NULL;
}

int chain_nonce_set(chain *c, const uint8_t from[20], uint64_t next, ehr_err *e)
{
	struct nonce_slot *s = chain_nonce_find(c, from), *grown;

	if (!s) {
		if (!(grown = realloc(c->nonces, (c->n_nonces + 1) * sizeof(*grown))))
			return out_of_memory(e);
		c->nonces = grown;
		s = &c->nonces[c->n_nonces++];
		memcpy(s->addr, from, 20);
	}
	s->next = next;
	return 0;
}

int chain_next_nonce(chain *c, const uint8_t from[20], uint64_t *nonce, ehr_err *e)
{
	struct nonce_slot *s = chain_nonce_find(c, from);
	char addr[43];

	if (!s) {
		eip55_format(from, addr);
		return ehr_fail(e, EHR_EUSAGE, "no nonce known for %s: prepare a transaction first",
				addr);
	}
	if (s->next == UINT64_MAX)
		return ehr_fail(e, EHR_ECHAIN, "the nonce of this account is exhausted");
	*nonce = s->next++;
	return 0;
}

void chain_nonce_release(chain *c, const uint8_t from[20], uint64_t nonce)
{
	struct nonce_slot *s = chain_nonce_find(c, from);

	if (s && nonce != UINT64_MAX && s->next == nonce + 1)
		s->next = nonce;
}

void chain_nonce_reset(chain *c, const uint8_t from[20])
{
	struct nonce_slot *s = chain_nonce_find(c, from);

	if (s) {
		*s = c->nonces[c->n_nonces - 1];
		c->n_nonces--;
	}
}
