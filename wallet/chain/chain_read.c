/* Calls, code, block heads and times, and logs in adaptive block ranges (chain.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "wallet/base/hex.h"
#include "wallet/chain/chain_internal.h"

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
	if (!rpc_valid_block_tag(block_tag, 0))
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
		if ((calls[i].from && chain_json_add(o, "from", chain_json_hex(calls[i].from, 20))) ||
		    chain_json_add(o, "to", chain_json_hex(calls[i].to, 20)) ||
		    (calls[i].len && chain_json_add(o, "data", chain_json_hex(calls[i].data, calls[i].len)))) {
			cJSON_Delete(o);
			st = out_of_memory(e);
			goto out;
		}
		if (chain_json_add(q[i].params, NULL, o) ||
		    chain_json_add(q[i].params, NULL, cJSON_CreateString(block_tag))) {
			st = out_of_memory(e);
			goto out;
		}
	}
	if ((st = chain_batch(c, q, n, e)))
		goto out;
	for (i = 0; i < n; i++) {
		chain_call_req *k = &calls[i];
		char reason[512];

		if (q[i].status == EHR_ECHAIN && is_revert(q[i].err.msg, q[i].error_data)) {
			chain_revert_reason(c, q[i].error_data, q[i].err.msg, reason, sizeof(reason));
			k->status = ehr_fail(&k->err, EHR_ECHAIN, "call failed: %s", reason);
		} else if (q[i].status) {
			k->status = q[i].status;
			k->err = q[i].err;
		} else {
			k->status = chain_parse_bytes(q[i].result, "call result", &k->ret, &k->ret_len, &k->err);
			if (!k->status)
				ehr_err_clear(&k->err);
		}
	}
out:
	chain_free_requests(q, n);
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
	if (!rpc_valid_block_tag(block_tag, 0)) {
		cJSON_Delete(params);
		return ehr_fail(e, EHR_EUSAGE, "invalid block tag '%.40s'", block_tag);
	}
	if (chain_json_add(params, NULL, chain_json_hex(addr, 20)) ||
	    chain_json_add(params, NULL, cJSON_CreateString(block_tag))) {
		cJSON_Delete(params);
		return out_of_memory(e);
	}
	if ((st = chain_check_id(c, e))) {
		cJSON_Delete(params);
		return st;
	}
	if ((st = rpc_call(c->rpc, "eth_getCode", params, &res, e)))
		return ehr_wrap(e, "eth_getCode");
	st = chain_parse_bytes(res, "code", code, len, e);
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
		if (chain_json_add(q[i].params, NULL, blocks[i] == CHAIN_LATEST ? cJSON_CreateString("latest")
								     : json_u64(blocks[i])) ||
		    chain_json_add(q[i].params, NULL, cJSON_CreateFalse())) {
			st = out_of_memory(e);
			goto out;
		}
	}
	if ((st = chain_batch(c, q, n, e)))
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
	chain_free_requests(q, n);
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
 * exceeded"), quicknode, erigon ("block range too large"), besu,
 * nethermind and cosmos evm ("query block range... max is N", "maximum
 * [from, to] blocks distance"), and code -32005 (limit exceeded). */
static int is_limit_error(const char *msg, long code)
{
	static const char *const hints[] = {
		"too many", "more than", "limit", "exceed", "range", "too large",
		"response size", "max results", "timeout", "timed out", "distance",
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

	if (chain_json_add(f, "fromBlock", json_u64(from)) || chain_json_add(f, "toBlock", json_u64(to)) ||
	    (address && chain_json_add(f, "address", chain_json_hex(address, 20))))
		goto fail;
	for (i = 0; topics && i < 4; i++)
		if (topics[i].n)
			last = i;
	if (last < 0)
		return f;
	list = cJSON_CreateArray();
	if (chain_json_add(f, "topics", list))
		goto fail;
	for (i = 0; i <= last; i++) {
		if (!topics[i].n) {
			if (chain_json_add(list, NULL, cJSON_CreateNull()))
				goto fail;
		} else if (topics[i].n == 1) {
			if (chain_json_add(list, NULL, chain_json_hex(topics[i].any_of[0], 32)))
				goto fail;
		} else {
			alts = cJSON_CreateArray();
			if (chain_json_add(list, NULL, alts))
				goto fail;
			for (k = 0; k < topics[i].n; k++)
				if (chain_json_add(alts, NULL, chain_json_hex(topics[i].any_of[k], 32)))
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
		if (chain_json_add(params, NULL, log_filter(address, topics, cur, end))) {
			cJSON_Delete(params);
			return out_of_memory(e);
		}
		st = rpc_call(c->rpc, "eth_getLogs", params, &res, e);
		/* a refusal, or a reply too large to read (anyone can make a
		 * patient's logs large: invoices with long memos) */
		too_much = (st == EHR_ECHAIN && is_limit_error(e->msg, rpc_last_error_code(c->rpc))) ||
			   (st == EHR_ENODE && rpc_last_reply_too_large(c->rpc));
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
			uint64_t asked = end - cur + 1;	/* below span at the head */

			cJSON_Delete(res);
			memcpy(why, e->msg, sizeof(why));
			if (asked == 1)
				return ehr_fail(e, EHR_ECHAIN, "block %" PRIu64 " alone holds more logs "
						"than the node will return: %s", cur, why);
			/* halve what was asked, not the span: a span wider than
			 * the blocks left would ask the same range again */
			hint = st == EHR_ECHAIN ? suggested_span(e->msg, cur) : 0;
			span = hint && hint < asked ? hint : asked / 2;
			c->log_span = span;
			continue;
		}
		if (st)
			return ehr_wrap(e, "eth_getLogs %" PRIu64 "-%" PRIu64, cur, end);
		cJSON_ArrayForEach(j, res) {
			chain_log l;

			if ((st = chain_parse_log(j, &l, e))) {
				chain_log_free(&l);
				break;
			}
			st = cb(ctx, &l);
			chain_log_free(&l);
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
