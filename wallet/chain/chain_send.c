/* Sending signed transactions and waiting for their receipts (chain.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "wallet/base/hex.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/chain_internal.h"

#define SEND_ATTEMPTS	4	/* sends of the same bytes when their fate is unknown */
/* Receipts are polled after a quarter of the time waited so far (at least
 * POLL_FIRST_MS, at most POLL_MAX_MS): a local node's few milliseconds are
 * not overshot by doubling delays, a public chain's seconds cost a few
 * dozen polls. */
#define POLL_FIRST_MS	2
#define POLL_MAX_MS	1000

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

/* Sends a batch of m calls of method, the i-th with one parameter: the hex
 * of txs[idx[i]]'s raw bytes (raw) or of its hash; returns the answered
 * requests (chain_free_requests and free them), NULL when out of memory. */
static rpc_request *tx_batch(chain *c, const char *method, const chain_raw_tx *txs, const size_t *idx,
			     size_t m, int raw)
{
	rpc_request *q = calloc(m ? m : 1, sizeof(*q));
	ehr_err batch_err;
	size_t i;

	for (i = 0; q && i < m; i++) {
		const chain_raw_tx *t = &txs[idx[i]];

		q[i].method = method;
		q[i].params = cJSON_CreateArray();
		if (chain_json_add(q[i].params, NULL, raw ? chain_json_hex(t->raw, t->raw_len)
							  : chain_json_hex(t->hash, 32))) {
			chain_free_requests(q, m);
			free(q);
			return NULL;
		}
	}
	if (q)
		rpc_batch(c->rpc, q, m, &batch_err);
	return q;
}

/* Sends the transactions in idx[0..m) once, as batches. Each gets status
 * OK, ECHAIN (refused; *known set when the refusal may be our own echo) or
 * ENODE (fate unknown). Returns nonzero only when out of memory. */
static int send_round(chain *c, chain_raw_tx *txs, const size_t *idx, size_t m, int *known,
		      ehr_err *e)
{
	rpc_request *q = tx_batch(c, "eth_sendRawTransaction", txs, idx, m, 1);
	size_t i;

	if (!q)
		return out_of_memory(e);
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
	chain_free_requests(q, m);
	free(q);
	return 0;
}

/* Settles "already known"-like refusals: a node that has a transaction with
 * our hash took ours. */
static int settle_known(chain *c, chain_raw_tx *txs, const size_t *idx, size_t m, ehr_err *e)
{
	rpc_request *q = tx_batch(c, "eth_getTransactionByHash", txs, idx, m, 0);
	size_t i;

	if (!q)
		return out_of_memory(e);
	for (i = 0; i < m; i++) {
		chain_raw_tx *t = &txs[idx[i]];

		if (!q[i].status && cJSON_IsObject(q[i].result)) {
			t->status = EHR_OK;
			ehr_err_clear(&t->err);
		}
		/* else the refusal stands, or a failed lookup leaves it unknown */
	}
	chain_free_requests(q, m);
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
			rpc_sleep_ms(pause);
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

void chain_log_free(chain_log *l)
{
	free((void *)l->data);
	l->data = NULL;
}

/* Parses a log object of a receipt or of eth_getLogs; l->data is malloc'd. */
int chain_parse_log(const cJSON *j, chain_log *l, ehr_err *e)
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
	if (chain_parse_bytes(field(j, "data"), "log data", &data, &l->data_len, e))
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
		chain_log_free(&r->logs[i]);
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
		if (chain_parse_log(l, &r->logs[r->n_logs], e)) {
			chain_log_free(&r->logs[r->n_logs]);
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
	if (chain_json_add(q.params, NULL, chain_json_hex(r->tx_hash, 32)) || rpc_batch(c->rpc, &q, 1, &err) ||
	    q.status || !cJSON_IsObject(q.result))
		goto out;
	tx = q.result;
	q.result = NULL;
	rpc_request_free(&q);
	parse_u64(field(tx, "gas"), &gas);
	if (!(call = cJSON_CreateObject()))
		goto out;
	if ((k = field(tx, "from")) && chain_json_add(call, "from", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "to")) && !cJSON_IsNull(k) && chain_json_add(call, "to", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "value")) && chain_json_add(call, "value", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "gas")) && chain_json_add(call, "gas", cJSON_Duplicate(k, 1)))
		goto out;
	if ((k = field(tx, "input") ? field(tx, "input") : field(tx, "data")) &&
	    chain_json_add(call, "data", cJSON_Duplicate(k, 1)))
		goto out;
	rpc_u64_quantity(r->block_number, block);
	q.method = "eth_call";
	q.params = cJSON_CreateArray();
	if (chain_json_add(q.params, NULL, call)) {
		call = NULL;
		goto out;
	}
	call = NULL;
	if (chain_json_add(q.params, NULL, cJSON_CreateString(block)) || rpc_batch(c->rpc, &q, 1, &err))
		goto out;
	if (q.status == EHR_ECHAIN && is_revert(q.err.msg, q.error_data))
		chain_revert_reason(c, q.error_data, q.err.msg, out, cap);
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

/* A chain_wait_many in progress: its requests and which are done. */
struct wait {
	const uint8_t (*hashes)[32];
	size_t n;
	unsigned confirmations;
	chain_receipt *r;
	rpc_request *q;
	size_t *idx;			/* q[i] asks for hashes[idx[i]] */
	int *done;
	size_t pending;
};

/* Takes the answer q[i] to a receipt poll; done when confirmed enough. */
static int wait_take(struct wait *w, size_t i, uint64_t head, ehr_err *e)
{
	chain_receipt *ri = &w->r[w->idx[i]];
	rpc_request *q = &w->q[i];
	int st;

	if (q->status) {
		*e = q->err;
		return ehr_wrap(e, "eth_getTransactionReceipt");
	}
	if (cJSON_IsNull(q->result)) {
		chain_receipt_free(ri);	/* gone in a reorg, if it was there */
		return 0;
	}
	st = parse_receipt(q->result, ri, e);
	q->result = NULL;
	if (st)
		return st;
	if (memcmp(ri->tx_hash, w->hashes[w->idx[i]], 32))
		return malformed(e, "receipt (another transaction's)");
	ri->confirmations = head >= ri->block_number ? head - ri->block_number + 1 : 1;
	if (w->confirmations <= 1 || ri->confirmations >= w->confirmations) {
		w->done[w->idx[i]] = 1;
		w->pending--;
	}
	return 0;
}

/* One poll: the receipts not done yet, and the head when more than one
 * confirmation is wanted, in one batch. */
static int wait_poll(chain *c, struct wait *w, ehr_err *e)
{
	size_t m, i;
	int st, head_q = -1;
	uint64_t head = 0;

	for (m = 0, i = 0; i < w->n; i++) {
		if (w->done[i])
			continue;
		w->idx[m] = i;
		w->q[m].method = "eth_getTransactionReceipt";
		w->q[m].params = cJSON_CreateArray();
		if (chain_json_add(w->q[m++].params, NULL, chain_json_hex(w->hashes[i], 32))) {
			chain_free_requests(w->q, m);
			return out_of_memory(e);
		}
	}
	if (w->confirmations > 1) {
		head_q = (int)m;
		w->q[m++].method = "eth_blockNumber";
	}
	st = rpc_batch(c->rpc, w->q, m, e);
	if (!st && head_q >= 0) {
		if (w->q[head_q].status) {
			*e = w->q[head_q].err;
			st = e->status;
		} else if (parse_u64(w->q[head_q].result, &head)) {
			st = malformed(e, "block number");
		}
	}
	for (i = 0; !st && i < m; i++)
		if ((int)i != head_q)
			st = wait_take(w, i, head, e);
	chain_free_requests(w->q, m);
	return st;
}

static int wait_timed_out(const struct wait *w, long timeout_ms, ehr_err *e)
{
	char hash[67];

	if (w->n == 1) {
		hex_encode0x(w->hashes[0], 32, hash);
		return ehr_fail(e, EHR_ENODE, "transaction %s %s after %.1f s (it may still be)",
				hash, w->r[0].found ? "not confirmed" : "not mined", timeout_ms / 1000.0);
	}
	return ehr_fail(e, EHR_ENODE, "%zu of %zu transactions not %s after %.1f s "
			"(they may still be)", w->pending, w->n,
			w->confirmations > 1 ? "confirmed" : "mined", timeout_ms / 1000.0);
}

/* Polls until every receipt is in (and confirmed enough) or the time is
 * up, in pauses that grow with the time waited. */
static int wait_all(chain *c, struct wait *w, long timeout_ms, ehr_err *e)
{
	long long start = chain_now_ms(), deadline = timeout_ms >= 0 ? start + timeout_ms : 0;
	long delay;
	int st;

	for (;;) {
		if ((st = wait_poll(c, w, e)) || !w->pending)
			return st;
		if (timeout_ms >= 0 && chain_now_ms() >= deadline)
			return wait_timed_out(w, timeout_ms, e);
		delay = (long)((chain_now_ms() - start) / 4);
		delay = delay < POLL_FIRST_MS ? POLL_FIRST_MS : delay > POLL_MAX_MS ? POLL_MAX_MS : delay;
		if (timeout_ms >= 0 && chain_now_ms() + delay > deadline)
			rpc_sleep_ms((long)(deadline - chain_now_ms()));
		else
			rpc_sleep_ms(delay);
	}
}

/* The first reverted transaction of all the receipts, said with its reason. */
static int wait_reverted(chain *c, const struct wait *w, ehr_err *e)
{
	size_t i, reverted = 0, first = 0, n = w->n;
	const chain_receipt *r = w->r;
	char hash[67], reason[512];

	for (i = 0; i < n; i++)
		if (r[i].found && !r[i].status && !reverted++)
			first = i;
	if (!reverted)
		return 0;
	receipt_reason(c, &r[first], reason, sizeof(reason));
	hex_encode0x(r[first].tx_hash, 32, hash);
	if (n == 1)
		return ehr_fail(e, EHR_ECHAIN, "transaction %s failed in block %" PRIu64 ": %s",
				hash, r[first].block_number, reason);
	return ehr_fail(e, EHR_ECHAIN, "%zu of %zu transactions failed; the first, %s in "
			"block %" PRIu64 ": %s", reverted, n, hash, r[first].block_number, reason);
}

int chain_wait_many(chain *c, const uint8_t (*hashes)[32], size_t n, unsigned confirmations,
		    long timeout_ms, chain_receipt *r, ehr_err *e)
{
	struct wait w = { hashes, n, confirmations, r, NULL, NULL, NULL, n };
	ehr_err scratch;
	size_t i;
	int st;

	if (!e)
		e = &scratch;
	for (i = 0; i < n; i++)
		memset(&r[i], 0, sizeof(r[i]));
	if (!n)
		return 0;
	if ((st = chain_check_id(c, e)))
		return st;
	if (!(w.q = calloc(n + 1, sizeof(*w.q))) || !(w.idx = calloc(n, sizeof(*w.idx))) ||
	    !(w.done = calloc(n, sizeof(*w.done))))
		st = out_of_memory(e);
	else if (!(st = wait_all(c, &w, timeout_ms, e)))
		st = wait_reverted(c, &w, e);
	free(w.q);
	free(w.idx);
	free(w.done);
	return st;
}

int chain_wait(chain *c, const uint8_t hash[32], unsigned confirmations, long timeout_ms,
	       chain_receipt *r, ehr_err *e)
{
	return chain_wait_many(c, (const uint8_t (*)[32])hash, 1, confirmations, timeout_ms, r, e);
}
