/* JSON-RPC over the client's HTTP exchange (rpc.h): framing and checking
 * replies, calls, batches, and sending raw transactions. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/rpc_internal.h"

#define ID_MAX 9007199254740991.0	/* 2^53 - 1: ids must survive a double */
/* cJSON spends about 64 bytes per value, so "[0,0,0,...]" would cost 32
 * times its size; far more values than any real reply holds are refused. */
#define MAX_JSON_VALUES 2000000

/* ---- JSON-RPC framing ------------------------------------------------- */

static int read_only(const char *m)
{
	if (!strncmp(m, "eth_send", 8) || !strncmp(m, "eth_submit", 10) ||
	    !strncmp(m, "eth_sign", 8))
		return 0;
	return !strncmp(m, "eth_", 4) || !strncmp(m, "net_", 4) ||
	       !strncmp(m, "web3_", 5) || !strncmp(m, "txpool_", 7);
}

/* The request object for one call. params is added as a reference, so
 * deleting the envelope leaves it to its owner. */
static cJSON *envelope(uint64_t id, const char *method, cJSON *params)
{
	cJSON *o = cJSON_CreateObject();

	if (!o || !cJSON_AddStringToObject(o, "jsonrpc", "2.0") ||
	    !cJSON_AddNumberToObject(o, "id", (double)id) ||
	    !cJSON_AddStringToObject(o, "method", method) ||
	    !(params ? cJSON_AddItemReferenceToObject(o, "params", params)
		     : cJSON_AddArrayToObject(o, "params") != NULL)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static int bad_params(const cJSON *params, const char *method, ehr_err *e)
{
	if (params && !cJSON_IsArray(params) && !cJSON_IsObject(params))
		return ehr_fail(e, EHR_EFAIL, "rpc: params of %s must be an array or an object",
				method);
	return 0;
}

/* An upper bound on the values (and keys) of a JSON text: every one after
 * the first follows a '[', '{', ',' or ':' outside strings. */
static size_t count_values(const char *s, size_t len)
{
	size_t i, n = 1;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		char ch = s[i];

		if (in_string) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_string = 0;
		} else if (ch == '"') {
			in_string = 1;
		} else if (ch == '[' || ch == '{' || ch == ',' || ch == ':') {
			n++;
		}
	}
	return n;
}

/* Parses c->body as one JSON document, nothing after it. */
static int parse_body(rpc_client *c, cJSON **out, ehr_err *e)
{
	const char *end = NULL;
	char snip[64];

	*out = NULL;
	if (count_values(c->body, c->len) > MAX_JSON_VALUES) {
		c->too_large = 1;
		return rpc_malformed(c, e, "more than %d json values", MAX_JSON_VALUES);
	}
	*out = cJSON_ParseWithLengthOpts(c->body, c->len, &end, 0);
	if (!*out) {
		rpc_clean_text(snip, sizeof(snip), c->body, c->len, 40);
		return rpc_malformed(c, e, "not json: '%s'", snip);
	}
	while (end && end < c->body + c->len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end && end < c->body + c->len) {
		cJSON_Delete(*out);
		*out = NULL;
		return rpc_malformed(c, e, "data after the json reply");
	}
	return 0;
}

/* Finds revert bytes in an error's data: a 0x hex string, the same nested in
 * an object's "data", or a "0x..." token in a sentence ("Reverted 0x..."). */
static char *error_data(const cJSON *data, int depth)
{
	const char *s, *p;
	size_t n;

	if (cJSON_IsObject(data) && depth < 3)
		return error_data(cJSON_GetObjectItemCaseSensitive(data, "data"), depth + 1);
	if (!cJSON_IsString(data))
		return NULL;
	s = data->valuestring;
	for (p = s; (p = strstr(p, "0x")); p += 2) {
		if (p > s && (p[-1] == '_' || (p[-1] >= '0' && p[-1] <= '9') ||
			      ((p[-1] | 0x20) >= 'a' && (p[-1] | 0x20) <= 'z')))
			continue;
		n = strspn(p + 2, "0123456789abcdefABCDEF");
		if (n % 2 == 0 && !((p[2 + n] | 0x20) >= 'g' && (p[2 + n] | 0x20) <= 'z'))
			return strndup(p, n + 2);
	}
	return NULL;
}

/* Checks one reply object; sets *id and, for an error reply, *err. */
static int check_reply(rpc_client *c, const cJSON *r, uint64_t *id, const cJSON **err,
		       ehr_err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(r, "jsonrpc");
	const cJSON *idj = cJSON_GetObjectItemCaseSensitive(r, "id");
	const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
	const cJSON *code, *msg;
	char snip[NODE_MSG_MAX + 4];

	*err = cJSON_GetObjectItemCaseSensitive(r, "error");
	if (!cJSON_IsObject(r))
		return rpc_malformed(c, e, "a reply is not a json object");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0"))
		return rpc_malformed(c, e, "\"jsonrpc\" is not \"2.0\"");
	if (*err && res)
		return rpc_malformed(c, e, "a reply has both a result and an error");
	if (!*err && !res)
		return rpc_malformed(c, e, "a reply has neither a result nor an error");
	if (*err) {
		code = cJSON_GetObjectItemCaseSensitive(*err, "code");
		msg = cJSON_GetObjectItemCaseSensitive(*err, "message");
		if (!cJSON_IsNumber(code) || !cJSON_IsString(msg))
			return rpc_malformed(c, e, "an error object without a code or a message");
		if (cJSON_IsNull(idj)) {
			/* The node could not tell which request it answers. */
			rpc_clean_text(snip, sizeof(snip), msg->valuestring,
				   strlen(msg->valuestring), NODE_MSG_MAX);
			return rpc_malformed(c, e, "an error without an id: %s", snip);
		}
	}
	if (!cJSON_IsNumber(idj) || idj->valuedouble < 0 || idj->valuedouble > ID_MAX ||
	    idj->valuedouble != floor(idj->valuedouble))
		return rpc_malformed(c, e, "a reply without a numeric id");
	*id = (uint64_t)idj->valuedouble;
	return 0;
}

/* Turns a (checked) error object into EHR_ECHAIN with the node's words. */
static int take_error(const cJSON *err, long *code, char **data, ehr_err *e)
{
	const cJSON *cj = cJSON_GetObjectItemCaseSensitive(err, "code");
	const cJSON *mj = cJSON_GetObjectItemCaseSensitive(err, "message");
	char msg[NODE_MSG_MAX + 4];
	double d = cj->valuedouble;

	*code = d > 2147483647.0 ? 2147483647L : d < -2147483648.0 ? -2147483647L - 1 : (long)d;
	*data = error_data(cJSON_GetObjectItemCaseSensitive(err, "data"), 0);
	rpc_clean_text(msg, sizeof(msg), mj->valuestring, strlen(mj->valuestring), NODE_MSG_MAX);
	if (!msg[0])
		return ehr_fail(e, EHR_ECHAIN, "the node refused the call (error %ld)", *code);
	return ehr_fail(e, EHR_ECHAIN, "%s", msg);
}

/* One call: frame, exchange, check. params stays the caller's. */
static int do_call(rpc_client *c, const char *method, cJSON *params, int retry,
		   cJSON **result, ehr_err *e)
{
	uint64_t id = c->next_id++, got;
	cJSON *env = envelope(id, method, params), *root = NULL;
	const cJSON *err;
	char *text;
	int st;

	*result = NULL;
	rpc_clear_last_error(c);
	text = env ? cJSON_PrintUnformatted(env) : NULL;
	cJSON_Delete(env);
	if (!text)
		return out_of_memory(e);
	st = rpc_exchange(c, text, strlen(text), retry, e);
	free(text);
	if (st)
		return st;
	if ((st = parse_body(c, &root, e)))
		goto out;
	if (cJSON_IsArray(root)) {
		st = rpc_malformed(c, e, "an array answering a single call");
		goto out;
	}
	if ((st = check_reply(c, root, &got, &err, e)))
		goto out;
	if (got != id) {
		st = rpc_malformed(c, e, "reply id %" PRIu64 " does not match request id %" PRIu64,
			       got, id);
		goto out;
	}
	if (err) {
		st = take_error(err, &c->err_code, &c->err_data, e);
		goto out;
	}
	*result = cJSON_DetachItemViaPointer(root, cJSON_GetObjectItemCaseSensitive(root, "result"));
	if (!*result)
		st = out_of_memory(e);
out:
	cJSON_Delete(root);
	rpc_release_body(c);
	return st;
}

int rpc_call(rpc_client *c, const char *method, cJSON *params, cJSON **result, ehr_err *e)
{
	ehr_err scratch;
	cJSON *res = NULL;
	int st;

	if (!e)
		e = &scratch;
	if (result)
		*result = NULL;
	rpc_clear_last_error(c);
	if (!(st = bad_params(params, method, e)))
		st = do_call(c, method, params, read_only(method), &res, e);
	cJSON_Delete(params);
	if (result)
		*result = res;
	else
		cJSON_Delete(res);
	return st;
}

/* ---- batches ---------------------------------------------------------- */

void rpc_request_free(rpc_request *r)
{
	cJSON_Delete(r->result);
	r->result = NULL;
	free(r->error_data);
	r->error_data = NULL;
}

/* Is this reply the node refusing a batch as a whole? One error object, or
 * fewer replies than requests and all of them errors. */
static int batch_refused(const cJSON *root, size_t m, char *why, size_t cap)
{
	const cJSON *r, *err = NULL, *msg;
	int count = 0;

	if (cJSON_IsObject(root)) {
		err = cJSON_GetObjectItemCaseSensitive(root, "error");
		if (!err)
			return 0;
	} else {
		cJSON_ArrayForEach(r, root) {
			if (!(err = cJSON_GetObjectItemCaseSensitive(r, "error")))
				return 0;
			count++;
		}
		if (count == 0 || (size_t)count >= m)
			return 0;
	}
	msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	if (cJSON_IsString(msg))
		rpc_clean_text(why, cap, msg->valuestring, strlen(msg->valuestring), NODE_MSG_MAX);
	else
		snprintf(why, cap, "no reason given");
	return 1;
}

static int batch_chunk(rpc_client *c, rpc_request *r, size_t m, int retry, int *refused,
		       ehr_err *e)
{
	uint64_t base = c->next_id, id;
	cJSON *arr = cJSON_CreateArray(), *root = NULL, *el;
	const cJSON **replies = NULL, *err;
	char *text = NULL, why[NODE_MSG_MAX + 4];
	size_t k;
	int st = 0;

	*refused = 0;
	c->next_id += m;
	for (k = 0; arr && k < m; k++) {
		cJSON *env = envelope(base + k, r[k].method, r[k].params);

		if (!env || !cJSON_AddItemToArray(arr, env)) {
			cJSON_Delete(env);
			cJSON_Delete(arr);
			arr = NULL;
		}
	}
	text = arr ? cJSON_PrintUnformatted(arr) : NULL;
	cJSON_Delete(arr);
	if (!text || !(replies = calloc(m, sizeof(*replies)))) {
		free(text);
		return out_of_memory(e);
	}
	if ((st = rpc_exchange(c, text, strlen(text), retry, e)) || (st = parse_body(c, &root, e)))
		goto out;
	if (batch_refused(root, m, why, sizeof(why))) {
		*refused = 1;
		st = ehr_fail(e, EHR_ENODE, "node at %s refused a batch of %zu requests: %s",
			      c->shown, m, why);
		goto out;
	}
	if (!cJSON_IsArray(root)) {
		st = rpc_malformed(c, e, "not an array answering a batch");
		goto out;
	}
	cJSON_ArrayForEach(el, root) {
		if ((st = check_reply(c, el, &id, &err, e)))
			goto out;
		if (id < base || id - base >= m) {
			st = rpc_malformed(c, e, "reply id %" PRIu64 " matches no request", id);
			goto out;
		}
		if (replies[id - base]) {
			st = rpc_malformed(c, e, "two replies with id %" PRIu64, id);
			goto out;
		}
		replies[id - base] = el;
	}
	for (k = 0; k < m; k++) {
		if (!replies[k]) {
			st = rpc_malformed(c, e, "no reply to request id %" PRIu64 " (%s)",
				       base + k, r[k].method);
			goto out;
		}
	}
	/* All well-formed: only now hand out results, so a bad chunk leaves no
	 * half-filled requests behind. */
	for (k = 0; k < m; k++) {
		err = cJSON_GetObjectItemCaseSensitive(replies[k], "error");
		if (err) {
			r[k].status = take_error(err, &r[k].error_code, &r[k].error_data, &r[k].err);
			continue;
		}
		r[k].result = cJSON_DetachItemViaPointer((cJSON *)replies[k],
				cJSON_GetObjectItemCaseSensitive(replies[k], "result"));
		r[k].status = EHR_OK;
		ehr_err_clear(&r[k].err);
	}
out:
	free(text);
	free(replies);
	cJSON_Delete(root);
	rpc_release_body(c);
	return st;
}

/* A request sent alone, for nodes that refuse even small batches. */
static int batch_single(rpc_client *c, rpc_request *r, int retry, ehr_err *e)
{
	int st = do_call(c, r->method, r->params, retry, &r->result, &r->err);

	if (st == EHR_ECHAIN) {
		r->status = EHR_ECHAIN;
		r->error_code = c->err_code;
		r->error_data = c->err_data;
		c->err_data = NULL;
		c->err_code = 0;
		return 0;
	}
	if (st) {
		*e = r->err;
		return st;
	}
	r->status = EHR_OK;
	return 0;
}

/* About how many bytes a request's params print to: enough to keep a
 * batch's body under what nodes accept (anvil refuses ~2 MB bodies, geth
 * 5 MiB) without printing it twice. */
static size_t json_size(const cJSON *j)
{
	size_t n = 16;

	for (; j; j = j->next) {
		if (j->valuestring)
			n += strlen(j->valuestring) + 4;
		if (j->string)
			n += strlen(j->string) + 4;
		n += 8 + json_size(j->child);
	}
	return n;
}

#define BATCH_MAX_BYTES (1u << 20)

/* How many requests from r on fit one HTTP body: at most max, at least 1. */
static size_t fit_bytes(const rpc_request *r, size_t n, size_t max)
{
	size_t m, bytes = 0;

	for (m = 0; m < n && m < max; m++) {
		bytes += json_size(r[m].params) + strlen(r[m].method) + 48;
		if (m > 0 && bytes > BATCH_MAX_BYTES)
			break;
	}
	return m ? m : 1;
}

int rpc_batch(rpc_client *c, rpc_request *reqs, size_t n, ehr_err *e)
{
	ehr_err scratch;
	size_t i, chunk, m;
	int st = 0, retry = 1, refused, single = 0;

	if (!e)
		e = &scratch;
	rpc_clear_last_error(c);
	for (i = 0; i < n; i++) {
		reqs[i].result = NULL;
		reqs[i].error_data = NULL;
		reqs[i].error_code = 0;
		reqs[i].status = EHR_ENODE;
		ehr_fail(&reqs[i].err, EHR_ENODE, "not sent");
		if (!st)
			st = bad_params(reqs[i].params, reqs[i].method, e);
		retry &= read_only(reqs[i].method);
	}
	chunk = c->opt.batch_max;
	for (i = 0; !st && i < n; ) {
		m = fit_bytes(&reqs[i], n - i, chunk);
		if (single) {
			st = batch_single(c, &reqs[i], retry, e);
			i += !st;
			continue;
		}
		st = batch_chunk(c, &reqs[i], m, retry, &refused, e);
		if (st && refused && retry) {
			rpc_trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
			chunk = m / 2 ? m / 2 : 1;
			single = m == 1 || chunk == 1;
			st = 0;
			continue;
		}
		if (!st)
			i += m;
	}
	for (; st && i < n; i++) {
		if (reqs[i].status == EHR_OK || reqs[i].status == EHR_ECHAIN)
			continue;
		reqs[i].status = st;
		reqs[i].err = *e;
	}
	for (i = 0; i < n; i++) {
		cJSON_Delete(reqs[i].params);
		reqs[i].params = NULL;
	}
	return st;
}

/* ---- sending transactions --------------------------------------------- */

/* Node answers that may mean "you sent this before", in the spellings of
 * geth, erigon, reth, anvil, nethermind, besu and cosmos evm. Only a lookup
 * by hash decides, so a broad match costs one read at most. */
int rpc_maybe_known(const char *msg)
{
	static const char *const hints[] = {
		"already known", "known transaction", "already imported", "alreadyknown",
		"already exists", "already in mempool", "already in the mempool",
		"nonce too low", "oldnonce", "nonce_too_low", "invalid nonce",
		"invalid sequence",
	};
	size_t i;

	for (i = 0; i < sizeof(hints) / sizeof(hints[0]); i++)
		if (strcasestr(msg, hints[i]))
			return 1;
	return 0;
}

/* After a "known"-like refusal: does the node have our transaction? Returns
 * 0 if so; else EHR_ECHAIN with the refusal restored, or the lookup's own
 * failure. */
static int confirm_known(rpc_client *c, const char *hash_hex, ehr_err *e)
{
	ehr_err refusal = *e, lookup;
	long code = c->err_code;
	char *data = c->err_data;
	cJSON *params = cJSON_CreateArray(), *tx = NULL;
	const cJSON *h;
	int st;

	c->err_data = NULL;
	if (!params || !cJSON_AddItemToArray(params, cJSON_CreateString(hash_hex))) {
		cJSON_Delete(params);
		free(data);
		return out_of_memory(e);
	}
	st = do_call(c, "eth_getTransactionByHash", params, 1, &tx, &lookup);
	cJSON_Delete(params);
	rpc_clear_last_error(c);
	if (st) {
		free(data);
		*e = lookup;
		return st;
	}
	h = cJSON_GetObjectItemCaseSensitive(tx, "hash");
	if (cJSON_IsString(h) && !strcasecmp(h->valuestring, hash_hex)) {
		cJSON_Delete(tx);
		free(data);
		return 0;
	}
	cJSON_Delete(tx);
	c->err_code = code;
	c->err_data = data;
	*e = refusal;
	return EHR_ECHAIN;
}

int rpc_send_raw(rpc_client *c, const uint8_t *raw, size_t len, uint8_t tx_hash[32],
		 ehr_err *e)
{
	ehr_err scratch;
	char hash_hex[67], *raw_hex;
	cJSON *params, *res = NULL;
	int attempt, st, delivered = 0;
	size_t n;

	if (!e)
		e = &scratch;
	keccak256(raw, len, tx_hash);
	hex_encode0x(tx_hash, 32, hash_hex);
	rpc_clear_last_error(c);
	if (!len)
		return ehr_fail(e, EHR_EUSAGE, "empty raw transaction");
	if (!(raw_hex = malloc(2 * len + 3)))
		return out_of_memory(e);
	hex_encode0x(raw, len, raw_hex);

	for (attempt = 0;; attempt++) {
		params = cJSON_CreateArray();
		if (!params || !cJSON_AddItemToArray(params, cJSON_CreateString(raw_hex))) {
			cJSON_Delete(params);
			st = out_of_memory(e);
			break;
		}
		st = do_call(c, "eth_sendRawTransaction", params, 0, &res, e);
		cJSON_Delete(params);
		delivered |= st == EHR_ENODE ? c->delivered : 1;
		if (!st) {
			if (!cJSON_IsString(res) || strcasecmp(res->valuestring, hash_hex)) {
				st = rpc_malformed(c, e, "the node gave another hash for transaction %s",
					       hash_hex);
			}
			break;
		}
		if (st == EHR_ECHAIN) {
			if (rpc_maybe_known(e->msg))
				st = confirm_known(c, hash_hex, e);
			break;
		}
		if (st != EHR_ENODE || !c->transient || attempt >= c->opt.read_retries)
			break;
		rpc_trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
		rpc_back_off(c, attempt);
	}
	cJSON_Delete(res);
	free(raw_hex);
	if (st == EHR_ENODE) {
		rpc_note_attempts(e, attempt + 1);
		n = strlen(e->msg);
		if (delivered)
			snprintf(e->msg + n, sizeof(e->msg) - n,
				 "; transaction %s may have reached the node (sending the same"
				 " signed transaction again is safe)", hash_hex);
		else
			snprintf(e->msg + n, sizeof(e->msg) - n,
				 "; transaction %s was not sent", hash_hex);
	}
	return st;
}
