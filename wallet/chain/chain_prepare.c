/* Preparing transactions (chain.h): nonce, fees, gas and funds in one
 * batch request, estimates shared between transactions of one shape. */
#include <stdio.h>
#include <stdlib.h>

#include "wallet/base/amount.h"
#include "wallet/keys/eth.h"
#include "wallet/chain/chain_internal.h"

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

	if (from && chain_json_add(o, "from", chain_json_hex(from, 20)))
		goto fail;
	if (tx->has_to && chain_json_add(o, "to", chain_json_hex(tx->to, 20)))
		goto fail;
	if (!u256_is_zero(&tx->value) && chain_json_add(o, "value", json_u256(&tx->value)))
		goto fail;
	if (tx->data_len && chain_json_add(o, "data", chain_json_hex(tx->data, tx->data_len)))
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
	chain_format_coin(c, balance, has, sizeof(has));
	amount_format(value, 18, v, sizeof(v));
	if (!fee_known) {
		chain_format_coin(c, value, need, sizeof(need));
		return ehr_fail(e, EHR_ECHAIN, "insufficient funds: %s has %s, %s %s plus fees",
				addr, has, n > 1 ? "the transactions send" : "the transaction sends",
				need);
	}
	if (u256_add(&total, value, fee))
		total = u256_max();
	chain_format_coin(c, &total, need, sizeof(need));
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

/* One chain_prepare_many call: what it asks, where each answer is, and
 * what it learns, stage by stage. */
struct prep {
	chain *c;
	const uint8_t *from;
	eth_tx *txs;
	size_t n;
	const chain_fee_opts *o;
	int need_nonce, need_fees, need_gas, need_balance;
	rpc_request *q;
	size_t nq, cap;
	int at[Q_FIXED];		/* where each Q_ answer is in q, or -1 */
	size_t est0;			/* where the estimates start in q */
	size_t *est_of;			/* a transaction's estimate, or SIZE_MAX: its shape's */
	uint64_t nonce, block_gas_limit, total_est;
	struct fees f;
	u256 balance, value_sum, fee_sum;
};

static void prep_ask(struct prep *p, int slot, const char *method)
{
	p->at[slot] = (int)p->nq;
	p->q[p->nq].method = method;
	p->q[p->nq++].params = cJSON_CreateArray();
}

/* The batch's fixed questions: nonce, latest block, fee market, balance. */
static int prep_ask_state(struct prep *p)
{
	const chain_fee_opts *o = p->o;
	rpc_request *q = p->q;
	const int *at = p->at;
	char hist_n[19];

	if (p->need_nonce)
		prep_ask(p, Q_NONCE, "eth_getTransactionCount");
	if (p->need_fees || p->need_gas)
		prep_ask(p, Q_BLOCK, "eth_getBlockByNumber");
	if (p->need_fees && p->c->has_base_fee != 0 && !(o->flags & CHAIN_LEGACY)) {
		prep_ask(p, Q_HISTORY, "eth_feeHistory");
		prep_ask(p, Q_TIP, "eth_maxPriorityFeePerGas");
	}
	if (p->need_fees)
		prep_ask(p, Q_PRICE, "eth_gasPrice");
	if (p->need_balance)
		prep_ask(p, Q_BALANCE, "eth_getBalance");
	if ((at[Q_NONCE] >= 0 && (chain_json_add(q[at[Q_NONCE]].params, NULL, chain_json_hex(p->from, 20)) ||
				  chain_json_add(q[at[Q_NONCE]].params, NULL, cJSON_CreateString("pending")))) ||
	    (at[Q_BLOCK] >= 0 && (chain_json_add(q[at[Q_BLOCK]].params, NULL, cJSON_CreateString("latest")) ||
				  chain_json_add(q[at[Q_BLOCK]].params, NULL, cJSON_CreateFalse()))) ||
	    (at[Q_BALANCE] >= 0 && (chain_json_add(q[at[Q_BALANCE]].params, NULL, chain_json_hex(p->from, 20)) ||
				    chain_json_add(q[at[Q_BALANCE]].params, NULL, cJSON_CreateString("pending")))))
		return -1;
	if (at[Q_HISTORY] >= 0) {
		cJSON *pct = cJSON_CreateArray();

		rpc_u64_quantity(o->fee_blocks ? o->fee_blocks : 1, hist_n);
		if (chain_json_add(q[at[Q_HISTORY]].params, NULL, cJSON_CreateString(hist_n)) ||
		    chain_json_add(q[at[Q_HISTORY]].params, NULL, cJSON_CreateString("latest")) ||
		    chain_json_add(pct, NULL, cJSON_CreateNumber(o->tip_percentile <= 100 ? o->tip_percentile : 50)) ||
		    chain_json_add(q[at[Q_HISTORY]].params, NULL, pct))
			return -1;
	}
	return 0;
}

/* One eth_estimateGas a transaction, but for a shape estimated before, or
 * earlier in this call: its estimate is remembered by then. */
static int prep_ask_gas(struct prep *p)
{
	size_t i;

	p->est0 = p->nq;
	if (!p->need_gas)
		return 0;
	if (!(p->est_of = calloc(p->n, sizeof(*p->est_of))))
		return -1;
	for (i = 0; i < p->n; i++) {
		if (same_shape(p->o->shapes, i) < i ||
		    (p->o->shapes && gas_shape_find(p->c, p->o->shapes[i]))) {
			p->est_of[i] = SIZE_MAX;
			continue;
		}
		p->est_of[i] = p->nq - p->est0;
		p->q[p->nq].method = "eth_estimateGas";
		p->q[p->nq].params = cJSON_CreateArray();
		if (chain_json_add(p->q[p->nq++].params, NULL, call_object(p->from, &p->txs[i])))
			return -1;
	}
	return 0;
}

/* The answer at q[at[slot]] as *e (wrapped with its method) when it is an
 * error; 0 when it is not there or not an error. */
static int prep_answer_failed(const struct prep *p, int slot, ehr_err *e)
{
	const rpc_request *r = p->at[slot] >= 0 ? &p->q[p->at[slot]] : NULL;

	if (!r || !r->status)
		return 0;
	*e = r->err;
	return ehr_wrap(e, "%s", r->method);
}

/* The nonce, the block's gas limit, the fees, the balance and the sum of
 * the values, from the batch's answers. */
static int prep_take_state(struct prep *p, ehr_err *e)
{
	const rpc_request *q = p->q;
	const int *at = p->at;
	struct nonce_slot *slot;
	size_t i;
	int st;

	if (at[Q_NONCE] >= 0) {
		if ((st = prep_answer_failed(p, Q_NONCE, e)))
			return st;
		if (parse_u64(q[at[Q_NONCE]].result, &p->nonce))
			return malformed(e, "transaction count");
		if ((slot = chain_nonce_find(p->c, p->from)) && slot->next > p->nonce)
			p->nonce = slot->next;
		if (p->nonce > UINT64_MAX - p->n)
			return ehr_fail(e, EHR_ECHAIN, "the nonce of this account is exhausted");
	}
	if (at[Q_BLOCK] >= 0) {
		const cJSON *blk = q[at[Q_BLOCK]].result;

		if ((st = prep_answer_failed(p, Q_BLOCK, e)))
			return st;
		if (!cJSON_IsObject(blk) || parse_u64(field(blk, "gasLimit"), &p->block_gas_limit))
			return malformed(e, "latest block");
		p->c->block_gas_limit = p->block_gas_limit;
	}
	if (p->need_fees && (st = compute_fees(p->c, p->o, p->q, p->at, &p->f, e)))
		return st;
	if (at[Q_BALANCE] >= 0) {
		if ((st = prep_answer_failed(p, Q_BALANCE, e)))
			return st;
		if (parse_u256(q[at[Q_BALANCE]].result, &p->balance))
			return malformed(e, "balance");
	}
	for (i = 0; i < p->n; i++)
		if (u256_add(&p->value_sum, &p->value_sum, &p->txs[i].value))
			return ehr_fail(e, EHR_EUSAGE, "the values add up to more than 2^256 wei");
	return 0;
}

/* Transaction i's failed estimate as a sentence. Funds are checked first:
 * a node's estimate often fails for want of funds, and then the amounts
 * say more than its words. */
static int prep_gas_refused(struct prep *p, size_t i, const rpc_request *r, ehr_err *e)
{
	char reason[512], which[32] = "";

	if (p->need_balance && u256_cmp(&p->balance, &p->value_sum) < 0)
		return funds_message(p->c, p->from, &p->balance, &p->value_sum, NULL, 0, p->n, e);
	if (r->status != EHR_ECHAIN) {
		*e = r->err;
		return ehr_wrap(e, "eth_estimateGas");
	}
	if (p->n > 1)
		snprintf(which, sizeof(which), " %zu", i + 1);
	if (is_revert(r->err.msg, r->error_data)) {
		chain_revert_reason(p->c, r->error_data, r->err.msg, reason, sizeof(reason));
		return ehr_fail(e, EHR_ECHAIN, "transaction%s would fail: %s", which, reason);
	}
	return ehr_fail(e, EHR_ECHAIN, "the node cannot estimate the gas of transaction%s: %s",
			which, r->err.msg);
}

/* Transaction i's estimate before the margin: its own answer, or its
 * shape's estimate plus its extra call data tokens. */
static int prep_estimate(struct prep *p, size_t i, uint64_t *est, ehr_err *e)
{
	const struct gas_shape *known;
	const rpc_request *r;
	uint64_t tokens;

	if (p->est_of[i] == SIZE_MAX) {
		known = gas_shape_find(p->c, p->o->shapes[i]);
		*est = known->est;
		if ((tokens = calldata_tokens(&p->txs[i])) > known->tokens)
			*est += 10 * (tokens - known->tokens);
		return 0;
	}
	r = &p->q[p->est0 + p->est_of[i]];
	if (r->status)
		return prep_gas_refused(p, i, r, e);
	if (parse_u64(r->result, est) || !*est)
		return malformed(e, "gas estimate");
	if (p->o->shapes && memcmp(p->o->shapes[i], (const uint8_t[16]){ 0 }, 16) &&
	    gas_shape_keep(p->c, p->o->shapes[i], *est, calldata_tokens(&p->txs[i])))
		return out_of_memory(e);
	return 0;
}

/* Each transaction's gas: its estimate plus the margin, within the block. */
static int prep_gas(struct prep *p, ehr_err *e)
{
	unsigned margin = p->o->gas_margin_pct < 1000 ? p->o->gas_margin_pct : 1000;
	uint64_t est, gas;
	size_t i;
	int st;

	for (i = 0; p->need_gas && i < p->n; i++) {
		if ((st = prep_estimate(p, i, &est, e)))
			return st;
		gas = est + est / 100 * margin + est % 100 * margin / 100;
		if (gas < est)
			gas = UINT64_MAX;
		if (p->block_gas_limit && gas > p->block_gas_limit)
			gas = est > p->block_gas_limit ? est : p->block_gas_limit;
		p->txs[i].gas = gas;
		p->total_est += est;
	}
	return 0;
}

/* Each transaction's fee fields and chain id, the fee cap, and the funds. */
static int prep_fees(struct prep *p, ehr_err *e)
{
	const chain_fee_opts *o = p->o;
	const struct fees *f = &p->f;
	u256 total;
	size_t i;

	for (i = 0; i < p->n; i++) {
		eth_tx *t = &p->txs[i];
		u256 per_gas, cost;

		if (p->need_fees) {
			t->type = f->legacy ? TX_LEGACY : TX_EIP1559;
			t->gas_price = f->legacy ? f->gas_price : u256_from_u64(0);
			t->max_fee = f->legacy ? u256_from_u64(0) : f->max_fee;
			t->max_priority_fee = f->legacy ? u256_from_u64(0) : f->tip;
		}
		per_gas = t->type == TX_EIP1559 ? t->max_fee : t->gas_price;
		if (!u256_is_zero(&o->max_fee_cap) && u256_cmp(&per_gas, &o->max_fee_cap) > 0) {
			char want[AMOUNT_FMT_MAX + 8], limit[AMOUNT_FMT_MAX + 8];

			chain_format_gwei(&per_gas, want, sizeof(want));
			chain_format_gwei(&o->max_fee_cap, limit, sizeof(limit));
			return ehr_fail(e, EHR_ECHAIN, "the fee would be up to %s per gas, above the "
					"limit of %s", want, limit);
		}
		if (u256_mul_u64(&cost, &per_gas, t->gas) || u256_add(&p->fee_sum, &p->fee_sum, &cost))
			return ehr_fail(e, EHR_EUSAGE, "the fees add up to more than 2^256 wei");
		t->chain_id = u256_from_u64(p->c->chain_id);
	}
	if (p->need_balance && (u256_add(&total, &p->value_sum, &p->fee_sum) ||
				u256_cmp(&p->balance, &total) < 0))
		return funds_message(p->c, p->from, &p->balance, &p->value_sum, &p->fee_sum, 1, p->n, e);
	return 0;
}

/* Only when nothing can fail any more are the nonces handed out. */
static int prep_finish(struct prep *p, chain_quote *quote, ehr_err *e)
{
	size_t i;
	int st;

	if (p->need_nonce) {
		if ((st = chain_nonce_set(p->c, p->from, p->nonce + p->n, e)))
			return st;
		for (i = 0; i < p->n; i++)
			p->txs[i].nonce = p->nonce + i;
	}
	if (quote) {
		memset(quote, 0, sizeof(*quote));
		quote->balance = p->balance;
		quote->base_fee = p->need_fees ? p->f.base_fee : u256_from_u64(0);
		if (u256_add(&quote->max_cost, &p->value_sum, &p->fee_sum))
			quote->max_cost = u256_max();
		quote->gas_estimate = p->total_est;
	}
	return 0;
}

/* The request, its answers taken stage by stage. While the chain id is not
 * checked, it is asked at the head of the batch; a node that cannot be
 * reached at all is then said so as chain_open says it. */
static int prep_run(struct prep *p, chain_quote *quote, ehr_err *e)
{
	int asked_id = !p->c->id_checked, st;
	size_t i;

	if (prep_ask_state(p) || prep_ask_gas(p))
		return out_of_memory(e);
	for (i = 0; i < p->nq; i++)
		if (!p->q[i].params)
			return out_of_memory(e);
	if ((st = chain_batch(p->c, p->q, p->nq, e))) {
		if (!asked_id)
			ehr_wrap(e, "preparing the transaction");
		return st;
	}
	if ((st = prep_take_state(p, e)) || (st = prep_gas(p, e)) || (st = prep_fees(p, e)))
		return st;
	return prep_finish(p, quote, e);
}

int chain_prepare_many(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
		       const chain_fee_opts *opts, chain_quote *quote, ehr_err *e)
{
	chain_fee_opts def;
	struct prep p;
	ehr_err scratch;
	size_t i;
	int st;

	if (!e)
		e = &scratch;
	if (!opts) {
		chain_fee_opts_default(&def);
		opts = &def;
	}
	if (!n || !txs)
		return ehr_fail(e, EHR_EUSAGE, "no transaction to prepare");
	if (n > 100000)
		return ehr_fail(e, EHR_EUSAGE, "too many transactions to prepare at once (%zu)", n);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.from = from;
	p.txs = txs;
	p.n = n;
	p.o = opts;
	p.need_nonce = !(opts->flags & CHAIN_KEEP_NONCE);
	p.need_fees = !(opts->flags & CHAIN_KEEP_FEES);
	p.need_gas = !(opts->flags & CHAIN_KEEP_GAS);
	p.need_balance = !(opts->flags & CHAIN_NO_FUNDS_CHECK);
	p.balance = p.value_sum = p.fee_sum = u256_from_u64(0);
	for (i = 0; i < Q_FIXED; i++)
		p.at[i] = -1;
	p.cap = Q_FIXED + (p.need_gas ? n : 0);
	if (!(p.q = calloc(p.cap, sizeof(*p.q))))
		return out_of_memory(e);
	st = prep_run(&p, quote, e);
	chain_free_requests(p.q, p.cap);
	free(p.q);
	free(p.est_of);
	return st;
}

int chain_prepare(chain *c, const uint8_t from[20], eth_tx *tx,
		  const chain_fee_opts *opts, chain_quote *quote, ehr_err *e)
{
	return chain_prepare_many(c, from, tx, 1, opts, quote, e);
}
