/* The chain layer: see chain.h. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "wallet/base/amount.h"
#include "wallet/chain/chain.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/revert.h"

#define SEND_ATTEMPTS	4	/* sends of the same bytes when their fate is unknown */
/* Receipts are polled after a quarter of the time waited so far (at least
 * POLL_FIRST_MS, at most POLL_MAX_MS): a local node's few milliseconds are
 * not overshot by doubling delays, a public chain's seconds cost a few
 * dozen polls. */
#define POLL_FIRST_MS	2
#define POLL_MAX_MS	1000

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

static int out_of_memory(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

/* ---- small JSON helpers ------------------------------------------------- */

static cJSON *json_hex(const uint8_t *p, size_t len)
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

static cJSON *json_u64(uint64_t v)
{
	char q[19];

	rpc_u64_quantity(v, q);
	return cJSON_CreateString(q);
}

static cJSON *json_u256(const u256 *v)
{
	char q[U256_HEX_MAX];

	u256_format_hex(v, q);
	return cJSON_CreateString(q);
}

/* Adds item to array or object (key not NULL); 0 or -1, item freed on failure. */
static int add(cJSON *to, const char *key, cJSON *item)
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

static int valid_tag(const char *tag)
{
	static const char *const named[] = { "latest", "pending", "earliest", "safe", "finalized" };
	size_t i;

	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
		if (!strcmp(tag, named[i]))
			return 1;
	if (strncmp(tag, "0x", 2) || !tag[2] || strlen(tag) > 18)
		return 0;
	for (tag += 2; *tag; tag++)
		if (!strchr("0123456789abcdefABCDEF", *tag))
			return 0;
	return 1;
}

static int malformed(ehr_err *e, const char *what)
{
	return ehr_fail(e, EHR_ENODE, "node sent a malformed %s", what);
}

/* "0x..." bytes of a reply: *out malloc'd (NULL when empty). */
static int parse_bytes(const cJSON *j, const char *what, uint8_t **out, size_t *len, ehr_err *e)
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

static int parse_fixed(const cJSON *j, uint8_t *out, size_t n)
{
	const char *s = cJSON_GetStringValue(j);

	return s && !strncmp(s, "0x", 2) && strlen(s) == 2 + 2 * n && !hex_decode_exact(s, out, n) ? 0 : -1;
}

static int parse_u64(const cJSON *j, uint64_t *v)
{
	ehr_err scratch;

	return rpc_parse_u64(j, v, &scratch);
}

static int parse_u256(const cJSON *j, u256 *v)
{
	uint8_t be[32];
	ehr_err scratch;

	if (rpc_parse_quantity(j, be, &scratch))
		return -1;
	u256_from_be(v, be, 32);
	return 0;
}

static const cJSON *field(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void free_requests(rpc_request *r, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		cJSON_Delete(r[i].params);
		r[i].params = NULL;
		rpc_request_free(&r[i]);
	}
}

/* Ether (or the chain's coin) for people: "1.000042 ETH". */
static void format_coin(const chain *c, const u256 *wei, char *out, size_t cap)
{
	char num[AMOUNT_FMT_MAX];

	amount_format(wei, 18, num, sizeof(num));
	snprintf(out, cap, "%s %s", num, c->symbol);
}

static void format_gwei(const u256 *wei, char *out, size_t cap)
{
	char num[AMOUNT_FMT_MAX];

	amount_format(wei, 9, num, sizeof(num));
	snprintf(out, cap, "%s gwei", num);
}

/* ---- reverts -------------------------------------------------------------- */

/* A node error that stands for a revert: revert bytes in its data, or the
 * words geth, anvil, erigon, nethermind and besu use. */
static int is_revert(const char *msg, const char *data)
{
	return data || strcasestr(msg, "revert");
}

/* Writes the reason of a revert: the decoded data when there is some, else
 * the node's words (which some nodes make the reason: "execution reverted:
 * not allowed"). */
static void revert_reason(const chain *c, const char *data_hex, const char *node_msg,
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
static int batch(chain *c, rpc_request *q, size_t n, ehr_err *e)
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

static struct nonce_slot *nonce_find(chain *c, const uint8_t addr[20])
{
	size_t i;

	for (i = 0; i < c->n_nonces; i++)
		if (!memcmp(c->nonces[i].addr, addr, 20))
			return &c->nonces[i];
	return NULL;
}

int chain_nonce_set(chain *c, const uint8_t from[20], uint64_t next, ehr_err *e)
{
	struct nonce_slot *s = nonce_find(c, from), *grown;

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
	struct nonce_slot *s = nonce_find(c, from);
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
	struct nonce_slot *s = nonce_find(c, from);

	if (s && nonce != UINT64_MAX && s->next == nonce + 1)
		s->next = nonce;
}

void chain_nonce_reset(chain *c, const uint8_t from[20])
{
	struct nonce_slot *s = nonce_find(c, from);

	if (s) {
		*s = c->nonces[c->n_nonces - 1];
		c->n_nonces--;
	}
}

/* ---- preparing -------------------------------------------------------------- */

void chain_fee_opts_default(chain_fee_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->gas_margin_pct = 20;
	o->tip_percentile = 50;
	o->fee_blocks = 10;
}

static cJSON *call_object(const uint8_t *from, const eth_tx *tx)
{
	cJSON *o = cJSON_CreateObject();

	if (from && add(o, "from", json_hex(from, 20)))
		goto fail;
	if (tx->has_to && add(o, "to", json_hex(tx->to, 20)))
		goto fail;
	if (!u256_is_zero(&tx->value) && add(o, "value", json_u256(&tx->value)))
		goto fail;
	if (tx->data_len && add(o, "data", json_hex(tx->data, tx->data_len)))
		goto fail;
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

static int cmp_u256(const void *a, const void *b)
{
	return u256_cmp(a, b);
}

/* The median of the nonzero first-percentile rewards of a fee history, or
 * -1 when there is none (empty blocks, or no "reward"). */
static int history_tip(const cJSON *hist, u256 *tip)
{
	const cJSON *rewards = field(hist, "reward"), *row;
	u256 v[1024];
	size_t n = 0;

	cJSON_ArrayForEach(row, rewards) {
		if (n == sizeof(v) / sizeof(v[0]))
			break;
		if (!parse_u256(cJSON_GetArrayItem(row, 0), &v[n]) && !u256_is_zero(&v[n]))
			n++;
	}
	if (!n)
		return -1;
	qsort(v, n, sizeof(v[0]), cmp_u256);
	*tip = v[n / 2];
	return 0;
}

/* The base fee of the next block: the last of a fee history's base fees. */
static int history_base_fee(const cJSON *hist, u256 *fee)
{
	const cJSON *fees = field(hist, "baseFeePerGas");
	int n = cJSON_GetArraySize(fees);

	return n > 0 ? parse_u256(cJSON_GetArrayItem(fees, n - 1), fee) : -1;
}

enum { Q_NONCE, Q_BLOCK, Q_HISTORY, Q_TIP, Q_PRICE, Q_BALANCE, Q_FIXED };

struct fees {
	int legacy;
	u256 base_fee;		/* next block's estimate; zero when legacy */
	u256 tip, max_fee, gas_price;
};

static int compute_fees(chain *c, const chain_fee_opts *o, rpc_request *q, const int *at,
			struct fees *f, ehr_err *e)
{
	u256 block_base, price, two_base;
	const cJSON *blk = at[Q_BLOCK] >= 0 ? q[at[Q_BLOCK]].result : NULL;
	const cJSON *hist = at[Q_HISTORY] >= 0 && !q[at[Q_HISTORY]].status ?
		q[at[Q_HISTORY]].result : NULL;
	int have_price = at[Q_PRICE] >= 0 && !q[at[Q_PRICE]].status &&
		!parse_u256(q[at[Q_PRICE]].result, &price);

	memset(f, 0, sizeof(*f));
	if (field(blk, "baseFeePerGas") && !cJSON_IsNull(field(blk, "baseFeePerGas"))) {
		if (parse_u256(field(blk, "baseFeePerGas"), &block_base))
			return malformed(e, "block (base fee)");
		c->has_base_fee = 1;
	} else {
		c->has_base_fee = 0;
	}
	f->legacy = !c->has_base_fee || (o->flags & CHAIN_LEGACY);
	if (f->legacy) {
		if (!have_price) {
			if (at[Q_PRICE] >= 0 && q[at[Q_PRICE]].status) {
				*e = q[at[Q_PRICE]].err;
				return ehr_wrap(e, "eth_gasPrice");
			}
			return malformed(e, "gas price");
		}
		f->gas_price = price;
		if (u256_cmp(&f->gas_price, &o->min_tip) < 0)
			f->gas_price = o->min_tip;
		return 0;
	}
	if (!hist || history_base_fee(hist, &f->base_fee))
		f->base_fee = block_base;
	if (hist && !history_tip(hist, &f->tip)) {
		/* the market's tip */
	} else if (at[Q_TIP] >= 0 && !q[at[Q_TIP]].status &&
		   !parse_u256(q[at[Q_TIP]].result, &f->tip)) {
		/* the node's suggestion */
	} else if (!hist && have_price) {
		if (u256_sub(&f->tip, &price, &f->base_fee))
			f->tip = u256_from_u64(0);
	}
	if (u256_cmp(&f->tip, &o->min_tip) < 0)
		f->tip = o->min_tip;
	if (u256_add(&two_base, &f->base_fee, &f->base_fee) ||
	    u256_add(&f->max_fee, &two_base, &f->tip))
		return malformed(e, "base fee (too large)");
	return 0;
}

static int funds_message(chain *c, const uint8_t from[20], const u256 *balance,
			 const u256 *value, const u256 *fee, int fee_known, size_t n,
			 ehr_err *e)
{
	char addr[43], has[AMOUNT_FMT_MAX + 16], need[AMOUNT_FMT_MAX + 16];
	char v[AMOUNT_FMT_MAX], f[AMOUNT_FMT_MAX];
	const char *what = n > 1 ? "the transactions need" : "the transaction needs";
	u256 total;

	eip55_format(from, addr);
	format_coin(c, balance, has, sizeof(has));
	amount_format(value, 18, v, sizeof(v));
	if (!fee_known) {
		format_coin(c, value, need, sizeof(need));
		return ehr_fail(e, EHR_ECHAIN, "insufficient funds: %s has %s, %s %s plus fees",
				addr, has, n > 1 ? "the transactions send" : "the transaction sends",
				need);
	}
	if (u256_add(&total, value, fee))
		total = u256_max();
	format_coin(c, &total, need, sizeof(need));
	amount_format(fee, 18, f, sizeof(f));
	return ehr_fail(e, EHR_ECHAIN, "insufficient funds: %s has %s, %s %s (%s value + %s max fee)",
			addr, has, what, need, v, f);
}

/* An estimate remembered for a shape: the gas before the margin, and the
 * call data tokens of the transaction it was made for. */
struct gas_shape {
	uint8_t shape[16];
	uint64_t est, tokens;
};

static const struct gas_shape *gas_shape_find(const chain *c, const uint8_t shape[16])
{
	size_t i;

	for (i = 0; i < c->n_gas_shapes; i++)
		if (!memcmp(c->gas_shapes[i].shape, shape, 16))
			return &c->gas_shapes[i];
	return NULL;
}

/* Returns -1 when out of memory. */
static int gas_shape_keep(chain *c, const uint8_t shape[16], uint64_t est, uint64_t tokens)
{
	struct gas_shape *grown;

	if (!(grown = realloc(c->gas_shapes, (c->n_gas_shapes + 1) * sizeof(*grown))))
		return -1;
	c->gas_shapes = grown;
	memcpy(grown[c->n_gas_shapes].shape, shape, 16);
	grown[c->n_gas_shapes].est = est;
	grown[c->n_gas_shapes++].tokens = tokens;
	return 0;
}

/* The first transaction before i of i's shape, or i (shapes NULL, an
 * all-zero shape, or the first of its shape). Quadratic, but a call
 * prepares at most a few dozen transactions. */
static size_t same_shape(const uint8_t (*shapes)[16], size_t i)
{
	static const uint8_t none[16];
	size_t k;

	if (!shapes || !memcmp(shapes[i], none, 16))
		return i;
	for (k = 0; k < i; k++)
		if (!memcmp(shapes[k], shapes[i], 16))
			return k;
	return i;
}

/* EIP-7623's tokens of a transaction's call data: 1 a zero byte, 4 any other. */
static uint64_t calldata_tokens(const eth_tx *t)
{
	uint64_t tokens = 0;
	size_t i;

	for (i = 0; i < t->data_len; i++)
		tokens += t->data[i] ? 4 : 1;
	return tokens;
}

int chain_prepare_many(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
		       const chain_fee_opts *opts, chain_quote *quote, ehr_err *e)
{
	chain_fee_opts def;
	const chain_fee_opts *o = opts;
	rpc_request *q = NULL;
	int at[Q_FIXED];
	size_t nq = 0, cap, est0 = 0, i, *est_of = NULL;
	int need_nonce, need_fees, need_gas, need_balance, asked_id, st = 0;
	uint64_t nonce = 0, block_gas_limit = 0, total_est = 0;
	struct nonce_slot *slot;
	struct fees f;
	u256 balance = u256_from_u64(0), value_sum = u256_from_u64(0), fee_sum = u256_from_u64(0);
	ehr_err scratch;
	char hist_n[19];

	if (!e)
		e = &scratch;
	if (!o) {
		chain_fee_opts_default(&def);
		o = &def;
	}
	if (!n || !txs)
		return ehr_fail(e, EHR_EUSAGE, "no transaction to prepare");
	need_nonce = !(o->flags & CHAIN_KEEP_NONCE);
	need_fees = !(o->flags & CHAIN_KEEP_FEES);
	need_gas = !(o->flags & CHAIN_KEEP_GAS);
	need_balance = !(o->flags & CHAIN_NO_FUNDS_CHECK);
	if (n > 100000)
		return ehr_fail(e, EHR_EUSAGE, "too many transactions to prepare at once (%zu)", n);
	cap = Q_FIXED + (need_gas ? n : 0);
	if (!(q = calloc(cap, sizeof(*q))))
		return out_of_memory(e);
	for (i = 0; i < Q_FIXED; i++)
		at[i] = -1;

#define ASK(slot_, method_, params_) do { \
		at[slot_] = (int)nq; q[nq].method = (method_); q[nq++].params = (params_); \
	} while (0)
	if (need_nonce)
		ASK(Q_NONCE, "eth_getTransactionCount",
		    cJSON_CreateArray());
	if (need_fees || need_gas)
		ASK(Q_BLOCK, "eth_getBlockByNumber", cJSON_CreateArray());
	if (need_fees && c->has_base_fee != 0 && !(o->flags & CHAIN_LEGACY)) {
		ASK(Q_HISTORY, "eth_feeHistory", cJSON_CreateArray());
		ASK(Q_TIP, "eth_maxPriorityFeePerGas", cJSON_CreateArray());
	}
	if (need_fees)
		ASK(Q_PRICE, "eth_gasPrice", cJSON_CreateArray());
	if (need_balance)
		ASK(Q_BALANCE, "eth_getBalance", cJSON_CreateArray());
#undef ASK
	if ((at[Q_NONCE] >= 0 && (add(q[at[Q_NONCE]].params, NULL, json_hex(from, 20)) ||
				  add(q[at[Q_NONCE]].params, NULL, cJSON_CreateString("pending")))) ||
	    (at[Q_BLOCK] >= 0 && (add(q[at[Q_BLOCK]].params, NULL, cJSON_CreateString("latest")) ||
				  add(q[at[Q_BLOCK]].params, NULL, cJSON_CreateFalse()))) ||
	    (at[Q_BALANCE] >= 0 && (add(q[at[Q_BALANCE]].params, NULL, json_hex(from, 20)) ||
				    add(q[at[Q_BALANCE]].params, NULL, cJSON_CreateString("pending")))))
		goto oom;
	if (at[Q_HISTORY] >= 0) {
		cJSON *pct = cJSON_CreateArray();

		rpc_u64_quantity(o->fee_blocks ? o->fee_blocks : 1, hist_n);
		if (add(q[at[Q_HISTORY]].params, NULL, cJSON_CreateString(hist_n)) ||
		    add(q[at[Q_HISTORY]].params, NULL, cJSON_CreateString("latest")) ||
		    add(pct, NULL, cJSON_CreateNumber(o->tip_percentile <= 100 ? o->tip_percentile : 50)) ||
		    add(q[at[Q_HISTORY]].params, NULL, pct))
			goto oom;
	}
	est0 = nq;
	if (need_gas) {
		if (!(est_of = calloc(n, sizeof(*est_of))))
			goto oom;
		for (i = 0; i < n; i++) {
			/* a shape estimated before, or earlier in this call, is
			 * not asked: its estimate is remembered by then */
			if (same_shape(o->shapes, i) < i ||
			    (o->shapes && gas_shape_find(c, o->shapes[i]))) {
				est_of[i] = SIZE_MAX;
				continue;
			}
			est_of[i] = nq - est0;
			q[nq].method = "eth_estimateGas";
			q[nq].params = cJSON_CreateArray();
			if (add(q[nq++].params, NULL, call_object(from, &txs[i])))
				goto oom;
		}
	}
	for (i = 0; i < nq; i++)
		if (!q[i].params)
			goto oom;

	/* While the chain id is not checked, it is asked at the head of this
	 * batch; a node that cannot be reached at all is then said so as
	 * chain_open says it. */
	asked_id = !c->id_checked;
	if ((st = batch(c, q, nq, e))) {
		if (!asked_id)
			ehr_wrap(e, "preparing the transaction");
		goto out;
	}

	if (at[Q_NONCE] >= 0) {
		if (q[at[Q_NONCE]].status) {
			*e = q[at[Q_NONCE]].err;
			st = ehr_wrap(e, "eth_getTransactionCount");
			goto out;
		}
		if (parse_u64(q[at[Q_NONCE]].result, &nonce)) {
			st = malformed(e, "transaction count");
			goto out;
		}
		if ((slot = nonce_find(c, from)) && slot->next > nonce)
			nonce = slot->next;
		if (nonce > UINT64_MAX - n) {
			st = ehr_fail(e, EHR_ECHAIN, "the nonce of this account is exhausted");
			goto out;
		}
	}
	if (at[Q_BLOCK] >= 0) {
		const cJSON *blk = q[at[Q_BLOCK]].result;

		if (q[at[Q_BLOCK]].status) {
			*e = q[at[Q_BLOCK]].err;
			st = ehr_wrap(e, "eth_getBlockByNumber");
			goto out;
		}
		if (!cJSON_IsObject(blk) || parse_u64(field(blk, "gasLimit"), &block_gas_limit)) {
			st = malformed(e, "latest block");
			goto out;
		}
		c->block_gas_limit = block_gas_limit;
	}
	if (need_fees && (st = compute_fees(c, o, q, at, &f, e)))
		goto out;
	if (at[Q_BALANCE] >= 0) {
		if (q[at[Q_BALANCE]].status) {
			*e = q[at[Q_BALANCE]].err;
			st = ehr_wrap(e, "eth_getBalance");
			goto out;
		}
		if (parse_u256(q[at[Q_BALANCE]].result, &balance)) {
			st = malformed(e, "balance");
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (u256_add(&value_sum, &value_sum, &txs[i].value)) {
			st = ehr_fail(e, EHR_EUSAGE, "the values add up to more than 2^256 wei");
			goto out;
		}
	}

	/* Gas. Funds are checked first: a node's estimate often fails for want
	 * of funds, and then the amounts say more than its words. */
	for (i = 0; need_gas && i < n; i++) {
		const struct gas_shape *known = NULL;
		rpc_request *r;
		uint64_t est, gas, margin, tokens;
		char reason[512], which[32] = "";

		if (est_of[i] == SIZE_MAX) {
			known = gas_shape_find(c, o->shapes[i]);
			est = known->est;
			if ((tokens = calldata_tokens(&txs[i])) > known->tokens)
				est += 10 * (tokens - known->tokens);
			goto margin;
		}
		r = &q[est0 + est_of[i]];
		if (r->status) {
			if (need_balance && u256_cmp(&balance, &value_sum) < 0) {
				st = funds_message(c, from, &balance, &value_sum, NULL, 0, n, e);
				goto out;
			}
			if (r->status != EHR_ECHAIN) {
				*e = r->err;
				st = ehr_wrap(e, "eth_estimateGas");
				goto out;
			}
			if (n > 1)
				snprintf(which, sizeof(which), " %zu", i + 1);
			if (is_revert(r->err.msg, r->error_data)) {
				revert_reason(c, r->error_data, r->err.msg, reason, sizeof(reason));
				st = ehr_fail(e, EHR_ECHAIN, "transaction%s would fail: %s", which, reason);
			} else {
				st = ehr_fail(e, EHR_ECHAIN, "the node cannot estimate the gas of transaction%s: %s",
					      which, r->err.msg);
			}
			goto out;
		}
		if (parse_u64(r->result, &est) || !est) {
			st = malformed(e, "gas estimate");
			goto out;
		}
		if (o->shapes && memcmp(o->shapes[i], (const uint8_t[16]){ 0 }, 16) &&
		    gas_shape_keep(c, o->shapes[i], est, calldata_tokens(&txs[i])))
			goto oom;
margin:
		margin = o->gas_margin_pct < 1000 ? o->gas_margin_pct : 1000;
		gas = est + est / 100 * margin + est % 100 * margin / 100;
		if (gas < est)
			gas = UINT64_MAX;
		if (block_gas_limit && gas > block_gas_limit)
			gas = est > block_gas_limit ? est : block_gas_limit;
		txs[i].gas = gas;
		total_est += est;
	}

	/* Fees and funds. */
	for (i = 0; i < n; i++) {
		eth_tx *t = &txs[i];
		u256 per_gas, cost;

		if (need_fees) {
			t->type = f.legacy ? TX_LEGACY : TX_EIP1559;
			t->gas_price = f.legacy ? f.gas_price : u256_from_u64(0);
			t->max_fee = f.legacy ? u256_from_u64(0) : f.max_fee;
			t->max_priority_fee = f.legacy ? u256_from_u64(0) : f.tip;
		}
		per_gas = t->type == TX_EIP1559 ? t->max_fee : t->gas_price;
		if (!u256_is_zero(&o->max_fee_cap) && u256_cmp(&per_gas, &o->max_fee_cap) > 0) {
			char want[AMOUNT_FMT_MAX + 8], limit[AMOUNT_FMT_MAX + 8];

			format_gwei(&per_gas, want, sizeof(want));
			format_gwei(&o->max_fee_cap, limit, sizeof(limit));
			st = ehr_fail(e, EHR_ECHAIN, "the fee would be up to %s per gas, above the limit of %s",
				      want, limit);
			goto out;
		}
		if (u256_mul_u64(&cost, &per_gas, t->gas) || u256_add(&fee_sum, &fee_sum, &cost)) {
			st = ehr_fail(e, EHR_EUSAGE, "the fees add up to more than 2^256 wei");
			goto out;
		}
		t->chain_id = u256_from_u64(c->chain_id);
	}
	if (need_balance) {
		u256 total;

		if (u256_add(&total, &value_sum, &fee_sum) || u256_cmp(&balance, &total) < 0) {
			st = funds_message(c, from, &balance, &value_sum, &fee_sum, 1, n, e);
			goto out;
		}
	}

	/* Only now, when nothing can fail any more, are the nonces handed out. */
	if (need_nonce) {
		if ((st = chain_nonce_set(c, from, nonce + n, e)))
			goto out;
		for (i = 0; i < n; i++)
			txs[i].nonce = nonce + i;
	}
	if (quote) {
		memset(quote, 0, sizeof(*quote));
		quote->balance = balance;
		quote->base_fee = need_fees ? f.base_fee : u256_from_u64(0);
		if (u256_add(&quote->max_cost, &value_sum, &fee_sum))
			quote->max_cost = u256_max();
		quote->gas_estimate = total_est;
	}
	goto out;
oom:
	st = out_of_memory(e);
out:
	free_requests(q, cap);
	free(q);
	free(est_of);
	return st;
}

int chain_prepare(chain *c, const uint8_t from[20], eth_tx *tx,
		  const chain_fee_opts *opts, chain_quote *quote, ehr_err *e)
{
	return chain_prepare_many(c, from, tx, 1, opts, quote, e);
}

/* ---- sending ---------------------------------------------------------------- */

int chain_send(chain *c, const eth_tx *tx, const uint8_t priv[32], uint8_t hash[32], ehr_err *e)
{
	uint8_t *raw = NULL, from[20];
	size_t len = 0;
	ehr_err scratch;
	int st;

	if (!e)
		e = &scratch;
	if ((st = chain_check_id(c, e)) || (st = tx_sign(tx, priv, &raw, &len, hash, e)))
		return st;
	st = rpc_send_raw(c->rpc, raw, len, hash, e);
	free(raw);
	if (st == EHR_ECHAIN && !eth_address_from_priv(priv, from, NULL))
		chain_nonce_release(c, from, tx->nonce);
	return st;
}

/* Sends the transactions in idx[0..m) once, as batches. Each gets status
 * OK, ECHAIN (refused; *known set when the refusal may be our own echo) or
 * ENODE (fate unknown). Returns nonzero only when out of memory. */
static int send_round(chain *c, chain_raw_tx *txs, const size_t *idx, size_t m, int *known,
		      ehr_err *e)
{
	rpc_request *q = calloc(m ? m : 1, sizeof(*q));
	ehr_err batch_err;
	size_t i;

	if (!q)
		return out_of_memory(e);
	for (i = 0; i < m; i++) {
		q[i].method = "eth_sendRawTransaction";
		q[i].params = cJSON_CreateArray();
		if (add(q[i].params, NULL, json_hex(txs[idx[i]].raw, txs[idx[i]].raw_len))) {
			free_requests(q, m);
			free(q);
			return out_of_memory(e);
		}
	}
	rpc_batch(c->rpc, q, m, &batch_err);
	for (i = 0; i < m; i++) {
		chain_raw_tx *t = &txs[idx[i]];
		uint8_t got[32];

		known[idx[i]] = 0;
		t->status = q[i].status;
		t->err = q[i].err;
		if (!q[i].status) {
			if (parse_fixed(q[i].result, got, 32) || memcmp(got, t->hash, 32))
				ehr_fail(&t->err, EHR_ENODE, "node answered a send with another hash");
			t->status = t->err.status == EHR_ENODE ? EHR_ENODE : EHR_OK;
			if (t->status == EHR_OK)
				ehr_err_clear(&t->err);
		} else if (q[i].status == EHR_ECHAIN && rpc_maybe_known(q[i].err.msg)) {
			known[idx[i]] = 1;
		} else if (q[i].status != EHR_ECHAIN) {
			t->status = EHR_ENODE;
		}
	}
	free_requests(q, m);
	free(q);
	return 0;
}

/* Settles "already known"-like refusals: a node that has a transaction with
 * our hash took ours. */
static int settle_known(chain *c, chain_raw_tx *txs, const size_t *idx, size_t m, ehr_err *e)
{
	rpc_request *q = calloc(m ? m : 1, sizeof(*q));
	ehr_err batch_err;
	size_t i;

	if (!q)
		return out_of_memory(e);
	for (i = 0; i < m; i++) {
		q[i].method = "eth_getTransactionByHash";
		q[i].params = cJSON_CreateArray();
		if (add(q[i].params, NULL, json_hex(txs[idx[i]].hash, 32))) {
			free_requests(q, m);
			free(q);
			return out_of_memory(e);
		}
	}
	rpc_batch(c->rpc, q, m, &batch_err);
	for (i = 0; i < m; i++) {
		chain_raw_tx *t = &txs[idx[i]];

		if (!q[i].status && cJSON_IsObject(q[i].result)) {
			t->status = EHR_OK;
			ehr_err_clear(&t->err);
		}
		/* else the refusal stands, or a failed lookup leaves it unknown */
	}
	free_requests(q, m);
	free(q);
	return 0;
}

int chain_send_batch(chain *c, chain_raw_tx *txs, size_t n, ehr_err *e)
{
	size_t *idx = NULL, m, i, bad = 0, first = 0;
	int *known = NULL, attempt, st = 0;
	long pause = c->send_retry_ms;
	ehr_err scratch;
	char hash[67];

	if (!e)
		e = &scratch;
	if (!n)
		return 0;
	if ((st = chain_check_id(c, e)))
		return st;
	if (!(idx = malloc(n * sizeof(*idx))) || !(known = calloc(n, sizeof(*known)))) {
		st = out_of_memory(e);
		goto out;
	}
	for (i = 0; i < n; i++) {
		keccak256(txs[i].raw, txs[i].raw_len, txs[i].hash);
		txs[i].status = EHR_ENODE;
		ehr_fail(&txs[i].err, EHR_ENODE, "not sent");
		if (!txs[i].raw_len) {
			txs[i].status = EHR_EUSAGE;
			ehr_fail(&txs[i].err, EHR_EUSAGE, "empty raw transaction");
		}
	}
	for (attempt = 0; attempt < SEND_ATTEMPTS; attempt++) {
		for (m = 0, i = 0; i < n; i++)
			if (txs[i].status == EHR_ENODE)
				idx[m++] = i;
		if (!m)
			break;
		if (attempt) {
			sleep_ms(pause);
			pause *= 2;
		}
		if ((st = send_round(c, txs, idx, m, known, e)))
			goto out;
		for (m = 0, i = 0; i < n; i++)
			if (known[i] && txs[i].status == EHR_ECHAIN)
				idx[m++] = i;
		if (m && (st = settle_known(c, txs, idx, m, e)))
			goto out;
	}
	for (i = 0; i < n; i++)
		if (txs[i].status && !bad++)
			first = i;
	if (bad) {
		hex_encode0x(txs[first].hash, 32, hash);
		st = ehr_fail(e, txs[first].status,
			      "%zu of %zu transactions were not accepted; the first, number %zu (%s): %s%s",
			      bad, n, first + 1, hash, txs[first].err.msg,
			      txs[first].status == EHR_ENODE ?
			      " (it may or may not have reached the node; sending the same bytes again is safe)" : "");
	}
out:
	free(idx);
	free(known);
	return st;
}

/* ---- receipts ----------------------------------------------------------------- */

static void log_free(chain_log *l)
{
	free((void *)l->data);
	l->data = NULL;
}

/* Parses a log object of a receipt or of eth_getLogs; l->data is malloc'd. */
static int parse_log(const cJSON *j, chain_log *l, ehr_err *e)
{
	const cJSON *topics = field(j, "topics"), *t;
	uint8_t *data;

	memset(l, 0, sizeof(*l));
	if (!cJSON_IsObject(j) || parse_fixed(field(j, "address"), l->address, 20) ||
	    !cJSON_IsArray(topics) || cJSON_GetArraySize(topics) > 4)
		return malformed(e, "log");
	cJSON_ArrayForEach(t, topics)
		if (parse_fixed(t, l->topics[l->n_topics++], 32))
			return malformed(e, "log topic");
	/* Pending logs carry nulls; mined ones must carry their place. */
	if (parse_u64(field(j, "blockNumber"), &l->block_number) ||
	    parse_fixed(field(j, "blockHash"), l->block_hash, 32) ||
	    parse_fixed(field(j, "transactionHash"), l->tx_hash, 32) ||
	    parse_u64(field(j, "transactionIndex"), &l->tx_index) ||
	    parse_u64(field(j, "logIndex"), &l->log_index))
		return malformed(e, "log (position)");
	l->removed = cJSON_IsTrue(field(j, "removed"));
	if (parse_bytes(field(j, "data"), "log data", &data, &l->data_len, e))
		return e->status;
	l->data = data;
	return 0;
}

void chain_receipt_free(chain_receipt *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n_logs; i++)
		log_free(&r->logs[i]);
	free(r->logs);
	cJSON_Delete(r->json);
	memset(r, 0, sizeof(*r));
}

/* Fills r from a receipt object, taking ownership of j. */
static int parse_receipt(cJSON *j, chain_receipt *r, ehr_err *e)
{
	const cJSON *logs, *l, *to, *created, *status, *price;
	size_t n;

	chain_receipt_free(r);
	r->json = j;
	if (!cJSON_IsObject(j) || parse_fixed(field(j, "transactionHash"), r->tx_hash, 32) ||
	    parse_fixed(field(j, "blockHash"), r->block_hash, 32) ||
	    parse_u64(field(j, "blockNumber"), &r->block_number) ||
	    parse_u64(field(j, "transactionIndex"), &r->tx_index) ||
	    parse_u64(field(j, "gasUsed"), &r->gas_used) ||
	    parse_fixed(field(j, "from"), r->from, 20))
		goto bad;
	to = field(j, "to");
	if (to && !cJSON_IsNull(to)) {
		if (parse_fixed(to, r->to, 20))
			goto bad;
		r->has_to = 1;
	}
	created = field(j, "contractAddress");
	if (created && !cJSON_IsNull(created)) {
		if (parse_fixed(created, r->contract_address, 20))
			goto bad;
		r->has_contract_address = 1;
	}
	/* Receipts before Byzantium have a state root and no status. */
	status = field(j, "status");
	if (status) {
		uint64_t s;

		if (parse_u64(status, &s) || s > 1)
			goto bad;
		r->status = (int)s;
	} else {
		r->status = 1;
	}
	price = field(j, "effectiveGasPrice");
	if (price && parse_u256(price, &r->effective_gas_price))
		goto bad;
	logs = field(j, "logs");
	if (!cJSON_IsArray(logs))
		goto bad;
	n = (size_t)cJSON_GetArraySize(logs);
	if (n && !(r->logs = calloc(n, sizeof(*r->logs)))) {
		chain_receipt_free(r);
		return out_of_memory(e);
	}
	cJSON_ArrayForEach(l, logs) {
		if (parse_log(l, &r->logs[r->n_logs], e)) {
			log_free(&r->logs[r->n_logs]);
			chain_receipt_free(r);
			return e->status;
		}
		r->n_logs++;
	}
	r->found = 1;
	return 0;
bad:
	chain_receipt_free(r);
	return malformed(e, "receipt");
}

/* Why a mined transaction reverted: replay it as a call at its block (where
 * the state it failed against is, less its own effects, which a revert
 * undoes). Two requests, only on this path. */
static void receipt_reason(chain *c, const chain_receipt *r, char *out, size_t cap)
{
	rpc_request q = { 0 };
	cJSON *tx = NULL, *call = NULL;
	const cJSON *k;
	ehr_err err;
	uint64_t gas = 0;
	char block[19];

	snprintf(out, cap, "no reason given");
	q.method = "eth_getTransactionByHash";
	q.params = cJSON_CreateArray();
	if (add(q.params, NULL, json_hex(r->tx_hash, 32)) || rpc_batch(c->rpc, &q, 1, &err) ||
	    q.status || !cJSON_IsObject(q.result))
		goto out;
	tx = q.result;
	q.result = NULL;
	rpc_request_free(&q);
	parse_u64(field(tx, "gas"), &gas);
	if (!(call = cJSON_CreateObject()))
		goto out;
	if ((k = field(tx, "from")) && add(call, "from", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "to")) && !cJSON_IsNull(k) && add(call, "to", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "value")) && add(call, "value", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "gas")) && add(call, "gas", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "input") ? field(tx, "input") : field(tx, "data")) &&
	    add(call, "data", cJSON_Duplicate(k, 1)))
		goto out;
	rpc_u64_quantity(r->block_number, block);
	q.method = "eth_call";
	q.params = cJSON_CreateArray();
	if (add(q.params, NULL, call)) {
		call = NULL;
		goto out;
	}
	call = NULL;
	if (add(q.params, NULL, cJSON_CreateString(block)) || rpc_batch(c->rpc, &q, 1, &err))
		goto out;
	if (q.status == EHR_ECHAIN && is_revert(q.err.msg, q.error_data))
		revert_reason(c, q.error_data, q.err.msg, out, cap);
	else if (gas && r->gas_used >= gas)
		snprintf(out, cap, "it ran out of gas (used all %" PRIu64 ")", gas);
	else if (q.status == EHR_ECHAIN)
		snprintf(out, cap, "%s", q.err.msg);
out:
	cJSON_Delete(call);
	cJSON_Delete(q.params);
	rpc_request_free(&q);
	cJSON_Delete(tx);
}

int chain_wait_many(chain *c, const uint8_t (*hashes)[32], size_t n, unsigned confirmations,
		    long timeout_ms, chain_receipt *r, ehr_err *e)
{
	rpc_request *q = NULL;
	size_t *idx = NULL, m, i, pending = n, reverted = 0, first = 0;
	long long start = now_ms(), deadline = timeout_ms >= 0 ? start + timeout_ms : 0;
	long delay;
	int *done = NULL, st = 0, head_q;
	uint64_t head = 0;
	ehr_err scratch;
	char hash[67], reason[512];

	if (!e)
		e = &scratch;
	for (i = 0; i < n; i++)
		memset(&r[i], 0, sizeof(r[i]));
	if (!n)
		return 0;
	if ((st = chain_check_id(c, e)))
		return st;
	if (!(q = calloc(n + 1, sizeof(*q))) || !(idx = calloc(n, sizeof(*idx))) ||
	    !(done = calloc(n, sizeof(*done)))) {
		st = out_of_memory(e);
		goto out;
	}
	for (;;) {
		for (m = 0, i = 0; i < n; i++) {
			if (done[i])
				continue;
			idx[m] = i;
			q[m].method = "eth_getTransactionReceipt";
			q[m].params = cJSON_CreateArray();
			if (add(q[m++].params, NULL, json_hex(hashes[i], 32))) {
				free_requests(q, m);
				st = out_of_memory(e);
				goto out;
			}
		}
		head_q = -1;
		if (confirmations > 1) {
			head_q = (int)m;
			q[m++].method = "eth_blockNumber";
		}
		st = rpc_batch(c->rpc, q, m, e);
		if (!st && head_q >= 0) {
			if (q[head_q].status) {
				*e = q[head_q].err;
				st = e->status;
			} else if (parse_u64(q[head_q].result, &head)) {
				st = malformed(e, "block number");
			}
		}
		for (i = 0; !st && i < m; i++) {
			chain_receipt *ri;

			if ((int)i == head_q)
				continue;
			ri = &r[idx[i]];
			if (q[i].status) {
				*e = q[i].err;
				st = ehr_wrap(e, "eth_getTransactionReceipt");
				break;
			}
			if (cJSON_IsNull(q[i].result)) {
				chain_receipt_free(ri);	/* gone in a reorg, if it was there */
				continue;
			}
			st = parse_receipt(q[i].result, ri, e);
			q[i].result = NULL;
			if (st)
				break;
			if (memcmp(ri->tx_hash, hashes[idx[i]], 32)) {
				st = malformed(e, "receipt (another transaction's)");
				break;
			}
			ri->confirmations = head >= ri->block_number ? head - ri->block_number + 1 : 1;
			if (confirmations <= 1 || ri->confirmations >= confirmations) {
				done[idx[i]] = 1;
				pending--;
			}
		}
		free_requests(q, m);
		if (st || !pending)
			break;
		if (timeout_ms >= 0 && now_ms() >= deadline) {
			if (n == 1) {
				hex_encode0x(hashes[0], 32, hash);
				st = ehr_fail(e, EHR_ENODE, "transaction %s %s after %.1f s (it may still be)",
					      hash, r[0].found ? "not confirmed" : "not mined",
					      timeout_ms / 1000.0);
			} else {
				st = ehr_fail(e, EHR_ENODE, "%zu of %zu transactions not %s after %.1f s "
					      "(they may still be)", pending, n,
					      confirmations > 1 ? "confirmed" : "mined", timeout_ms / 1000.0);
			}
			break;
		}
		delay = (long)((now_ms() - start) / 4);
		delay = delay < POLL_FIRST_MS ? POLL_FIRST_MS : delay > POLL_MAX_MS ? POLL_MAX_MS : delay;
		if (timeout_ms >= 0 && now_ms() + delay > deadline)
			sleep_ms((long)(deadline - now_ms()));
		else
			sleep_ms(delay);
	}
	if (st)
		goto out;
	for (i = 0; i < n; i++)
		if (r[i].found && !r[i].status && !reverted++)
			first = i;
	if (reverted) {
		receipt_reason(c, &r[first], reason, sizeof(reason));
		hex_encode0x(r[first].tx_hash, 32, hash);
		if (n == 1)
			st = ehr_fail(e, EHR_ECHAIN, "transaction %s failed in block %" PRIu64 ": %s",
				      hash, r[first].block_number, reason);
		else
			st = ehr_fail(e, EHR_ECHAIN, "%zu of %zu transactions failed; the first, %s in "
				      "block %" PRIu64 ": %s", reverted, n, hash,
				      r[first].block_number, reason);
	}
out:
	free(q);
	free(idx);
	free(done);
	return st;
}

int chain_wait(chain *c, const uint8_t hash[32], unsigned confirmations, long timeout_ms,
	       chain_receipt *r, ehr_err *e)
{
	return chain_wait_many(c, (const uint8_t (*)[32])hash, 1, confirmations, timeout_ms, r, e);
}

/* ---- calls ---------------------------------------------------------------------- */

int chain_call_many(chain *c, chain_call_req *calls, size_t n, const char *block_tag,
		    ehr_err *e)
{
	rpc_request *q;
	ehr_err scratch;
	size_t i;
	int st;

	if (!e)
		e = &scratch;
	if (!block_tag)
		block_tag = "latest";
	if (!valid_tag(block_tag))
		return ehr_fail(e, EHR_EUSAGE, "invalid block tag '%.40s'", block_tag);
	for (i = 0; i < n; i++) {
		calls[i].ret = NULL;
		calls[i].ret_len = 0;
		calls[i].status = EHR_EFAIL;
		ehr_fail(&calls[i].err, EHR_EFAIL, "not called");
	}
	if (!n)
		return 0;
	if (!(q = calloc(n, sizeof(*q))))
		return out_of_memory(e);
	for (i = 0; i < n; i++) {
		cJSON *o = cJSON_CreateObject();

		q[i].method = "eth_call";
		q[i].params = cJSON_CreateArray();
		if ((calls[i].from && add(o, "from", json_hex(calls[i].from, 20))) ||
		    add(o, "to", json_hex(calls[i].to, 20)) ||
		    (calls[i].len && add(o, "data", json_hex(calls[i].data, calls[i].len)))) {
			cJSON_Delete(o);
			st = out_of_memory(e);
			goto out;
		}
		if (add(q[i].params, NULL, o) ||
		    add(q[i].params, NULL, cJSON_CreateString(block_tag))) {
			st = out_of_memory(e);
			goto out;
		}
	}
	if ((st = batch(c, q, n, e)))
		goto out;
	for (i = 0; i < n; i++) {
		chain_call_req *k = &calls[i];
		char reason[512];

		if (q[i].status == EHR_ECHAIN && is_revert(q[i].err.msg, q[i].error_data)) {
			revert_reason(c, q[i].error_data, q[i].err.msg, reason, sizeof(reason));
			k->status = ehr_fail(&k->err, EHR_ECHAIN, "call failed: %s", reason);
		} else if (q[i].status) {
			k->status = q[i].status;
			k->err = q[i].err;
		} else {
			k->status = parse_bytes(q[i].result, "call result", &k->ret, &k->ret_len, &k->err);
			if (!k->status)
				ehr_err_clear(&k->err);
		}
	}
out:
	free_requests(q, n);
	free(q);
	return st;
}

int chain_call(chain *c, const uint8_t to[20], const uint8_t *data, size_t len,
	       const char *block_tag, uint8_t **ret, size_t *ret_len, ehr_err *e)
{
	chain_call_req k = { 0 };
	int st;

	k.to = to;
	k.data = data;
	k.len = len;
	*ret = NULL;
	*ret_len = 0;
	if ((st = chain_call_many(c, &k, 1, block_tag, e)))
		return st;
	if (k.status) {
		if (e)
			*e = k.err;
		return k.status;
	}
	*ret = k.ret;
	*ret_len = k.ret_len;
	return 0;
}

int chain_get_code(chain *c, const uint8_t addr[20], const char *block_tag,
		   uint8_t **code, size_t *len, ehr_err *e)
{
	cJSON *params = cJSON_CreateArray(), *res;
	ehr_err scratch;
	int st;

	if (!e)
		e = &scratch;
	*code = NULL;
	*len = 0;
	if (!block_tag)
		block_tag = "latest";
	if (!valid_tag(block_tag)) {
		cJSON_Delete(params);
		return ehr_fail(e, EHR_EUSAGE, "invalid block tag '%.40s'", block_tag);
	}
	if (add(params, NULL, json_hex(addr, 20)) ||
	    add(params, NULL, cJSON_CreateString(block_tag))) {
		cJSON_Delete(params);
		return out_of_memory(e);
	}
	if ((st = chain_check_id(c, e))) {
		cJSON_Delete(params);
		return st;
	}
	if ((st = rpc_call(c->rpc, "eth_getCode", params, &res, e)))
		return ehr_wrap(e, "eth_getCode");
	st = parse_bytes(res, "code", code, len, e);
	cJSON_Delete(res);
	return st;
}

/* ---- blocks and logs -------------------------------------------------------------- */

int chain_head(chain *c, uint64_t *block, ehr_err *e)
{
	int st;

	if ((st = chain_check_id(c, e)))
		return st;
	return rpc_block_number(c->rpc, block, e);
}

int chain_block_times(chain *c, const uint64_t *blocks, size_t n, uint64_t *times, ehr_err *e)
{
	rpc_request *q;
	ehr_err scratch;
	size_t i;
	int st = 0;

	if (!e)
		e = &scratch;
	if (!n)
		return 0;
	if (!(q = calloc(n, sizeof(*q))))
		return out_of_memory(e);
	for (i = 0; i < n; i++) {
		q[i].method = "eth_getBlockByNumber";
		q[i].params = cJSON_CreateArray();
		if (add(q[i].params, NULL, blocks[i] == CHAIN_LATEST ? cJSON_CreateString("latest")
								     : json_u64(blocks[i])) ||
		    add(q[i].params, NULL, cJSON_CreateFalse())) {
			st = out_of_memory(e);
			goto out;
		}
	}
	if ((st = batch(c, q, n, e)))
		goto out;
	for (i = 0; i < n; i++) {
		if (q[i].status) {
			*e = q[i].err;
			st = ehr_wrap(e, "eth_getBlockByNumber");
			break;
		}
		if (cJSON_IsNull(q[i].result)) {
			st = ehr_fail(e, EHR_EFAIL, "block %" PRIu64 " not found", blocks[i]);
			break;
		}
		if (parse_u64(field(q[i].result, "timestamp"), &times[i])) {
			st = malformed(e, "block (timestamp)");
			break;
		}
	}
out:
	free_requests(q, n);
	free(q);
	return st;
}

int chain_block_time(chain *c, uint64_t block, uint64_t *time, ehr_err *e)
{
	return chain_block_times(c, &block, 1, time, e);
}

void chain_set_log_limits(chain *c, uint64_t first_span, uint64_t max_span, size_t max_logs)
{
	c->log_span_max = max_span ? max_span : 1;
	c->log_span = first_span ? first_span : 1;
	if (c->log_span > c->log_span_max)
		c->log_span = c->log_span_max;
	c->log_max = max_logs;
}

/* A node saying the range holds too much: the words of geth ("query
 * returned more than 10000 results"), infura, alchemy ("log response size
 * exceeded"), quicknode, erigon, besu, nethermind and cosmos evm ("query
 * block range... max is N"), and code -32005 (limit exceeded). */
static int is_limit_error(const char *msg, long code)
{
	static const char *const hints[] = {
		"too many", "more than", "limit", "exceed", "range", "too large",
		"response size", "max results", "timeout", "timed out",
	};
	size_t i;

	if (code == -32005)
		return 1;
	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcasestr(msg, hints[i]))
			return 1;
	return 0;
}

/* A range some providers suggest: "... this block range should work:
 * [0x3e8, 0x7cf]". Returns its length when it starts at from, else 0. */
static uint64_t suggested_span(const char *msg, uint64_t from)
{
	const char *p = NULL, *s;
	unsigned long long a, b;
	char *end;

	for (s = msg; (s = strstr(s, "[0x")); s++)
		p = s;
	if (!p)
		return 0;
	errno = 0;
	a = strtoull(p + 1, &end, 16);
	while (*end == ',' || *end == ' ')
		end++;
	if (errno || strncmp(end, "0x", 2))
		return 0;
	b = strtoull(end, &end, 16);
	if (errno || *end != ']' || a != from || b < a)
		return 0;
	return b - a + 1;
}

static cJSON *log_filter(const uint8_t *address, const chain_topic *topics, uint64_t from,
			 uint64_t to)
{
	cJSON *f = cJSON_CreateObject(), *list, *alts;
	int i, last = -1;
	size_t k;

	if (add(f, "fromBlock", json_u64(from)) || add(f, "toBlock", json_u64(to)) ||
	    (address && add(f, "address", json_hex(address, 20))))
		goto fail;
	for (i = 0; topics && i < 4; i++)
		if (topics[i].n)
			last = i;
	if (last < 0)
		return f;
	list = cJSON_CreateArray();
	if (add(f, "topics", list))
		goto fail;
	for (i = 0; i <= last; i++) {
		if (!topics[i].n) {
			if (add(list, NULL, cJSON_CreateNull()))
				goto fail;
		} else if (topics[i].n == 1) {
			if (add(list, NULL, json_hex(topics[i].any_of[0], 32)))
				goto fail;
		} else {
			alts = cJSON_CreateArray();
			if (add(list, NULL, alts))
				goto fail;
			for (k = 0; k < topics[i].n; k++)
				if (add(alts, NULL, json_hex(topics[i].any_of[k], 32)))
					goto fail;
		}
	}
	return f;
fail:
	cJSON_Delete(f);
	return NULL;
}

int chain_get_logs(chain *c, const uint8_t address[20], const chain_topic topics[4],
		   uint64_t from_block, uint64_t to_block, chain_log_cb cb, void *ctx,
		   ehr_err *e)
{
	uint64_t cur = from_block, span, end;
	ehr_err scratch;
	int st = 0;

	if (!e)
		e = &scratch;
	if ((st = chain_check_id(c, e)) || (to_block == CHAIN_LATEST && (st = chain_head(c, &to_block, e))))
		return st;
	if (from_block > to_block)
		return 0;
	span = c->log_span ? c->log_span : 1;
	for (;;) {
		cJSON *params = cJSON_CreateArray(), *res = NULL, *j;
		uint64_t hint;
		int too_much;

		end = to_block - cur < span - 1 ? to_block : cur + span - 1;
		if (add(params, NULL, log_filter(address, topics, cur, end))) {
			cJSON_Delete(params);
			return out_of_memory(e);
		}
		st = rpc_call(c->rpc, "eth_getLogs", params, &res, e);
		too_much = st == EHR_ECHAIN && is_limit_error(e->msg, rpc_last_error_code(c->rpc));
		if (!st && !cJSON_IsArray(res)) {
			cJSON_Delete(res);
			return malformed(e, "log list");
		}
		if (!st && c->log_max && (size_t)cJSON_GetArraySize(res) > c->log_max) {
			too_much = 1;
			ehr_fail(e, EHR_ECHAIN, "query returned more than %zu results", c->log_max);
		}
		if (too_much) {
			char why[sizeof(e->msg)];

			cJSON_Delete(res);
			memcpy(why, e->msg, sizeof(why));
			if (span == 1)
				return ehr_fail(e, EHR_ECHAIN, "block %" PRIu64 " alone holds more logs "
						"than the node will return: %s", cur, why);
			hint = st == EHR_ECHAIN ? suggested_span(e->msg, cur) : 0;
			span = hint && hint < span ? hint : span / 2;
			c->log_span = span;
			continue;
		}
		if (st)
			return ehr_wrap(e, "eth_getLogs %" PRIu64 "-%" PRIu64, cur, end);
		cJSON_ArrayForEach(j, res) {
			chain_log l;

			if ((st = parse_log(j, &l, e))) {
				log_free(&l);
				break;
			}
			st = cb(ctx, &l);
			log_free(&l);
			if (st)
				break;
		}
		cJSON_Delete(res);
		if (st || end == to_block)
			return st;
		cur = end + 1;
		span = span > c->log_span_max / 2 ? c->log_span_max : span * 2;
		c->log_span = span;
	}
}
