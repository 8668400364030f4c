/* The chain layer against a real anvil (two: the default hardfork, and
 * berlin for legacy transactions): chain id check, at connection or
 * deferred to the first request (a send in three round trips), prepare/send/wait with
 * balances compared, one HTTP request per preparation, funds refused before
 * sending, a registry deployment, reverts decoded, 50 transactions with
 * local nonces in one batch, logs in shrinking and growing ranges. Skips
 * with a reason when anvil is absent. The key is anvil's public dev key 0,
 * used only here. */
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <sodium.h>

#include "tap.h"
#include "anvil.h"
#include "contracts/contracts.h"
#include "wallet/chain/abi.h"
#include "wallet/base/amount.h"
#include "wallet/chain/chain.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/tx.h"

#define DEV0_KEY "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define DEV0_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
#define N_BATCH 50

/* What the rpc trace saw: HTTP requests, those asking eth_chainId (and
 * whether the last one was a batch), and the spans of eth_getLogs. */
static struct trace {
	unsigned requests;
	unsigned id_asks;
	int last_batch;
	uint64_t spans[256];
	size_t n_spans;
} tr;

static void trace_fn(void *ctx, enum rpc_trace_event ev, const char *text, size_t len)
{
	struct trace *t = ctx;
	cJSON *body, *f;
	uint64_t a, b;

	(void)len;
	if (ev != RPC_TRACE_REQUEST)
		return;
	t->requests++;
	if (strstr(text, "\"eth_chainId\""))
		t->id_asks++;
	t->last_batch = text[0] == '[';
	if (!strstr(text, "eth_getLogs") || !(body = cJSON_Parse(text)))
		return;
	f = cJSON_GetArrayItem(cJSON_GetObjectItem(body, "params"), 0);
	if (!f)	/* a batch */
		f = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(body, 0), "params"), 0);
	if (f && !rpc_parse_u64(cJSON_GetObjectItem(f, "fromBlock"), &a, NULL) &&
	    !rpc_parse_u64(cJSON_GetObjectItem(f, "toBlock"), &b, NULL) &&
	    t->n_spans < sizeof(t->spans) / sizeof(t->spans[0]))
		t->spans[t->n_spans++] = b - a + 1;
	cJSON_Delete(body);
}

static int open_chain(const char *url, chain **c)
{
	rpc_options opt;
	ehr_err e;
	int st;

	rpc_options_default(&opt);
	opt.trace = trace_fn;
	opt.trace_ctx = &tr;
	st = chain_open(url, "local", 31337, &opt, c, &e);
	CHECK(st == 0, "chain_open: %s", e.msg);
	return st;
}

static u256 balance_of(chain *c, const uint8_t addr[20])
{
	uint8_t be[32] = { 0 };
	u256 v;
	ehr_err e;

	CHECK(rpc_get_balance(chain_rpc(c), addr, "latest", be, &e) == 0, "balance: %s", e.msg);
	u256_from_be(&v, be, 32);
	return v;
}

static uint64_t tx_count(chain *c, const uint8_t addr[20])
{
	cJSON *params = cJSON_CreateArray(), *res = NULL;
	char hexaddr[43];
	uint64_t n = UINT64_MAX;
	ehr_err e;

	hex_encode0x(addr, 20, hexaddr);
	cJSON_AddItemToArray(params, cJSON_CreateString(hexaddr));
	cJSON_AddItemToArray(params, cJSON_CreateString("pending"));
	if (rpc_call(chain_rpc(c), "eth_getTransactionCount", params, &res, &e) == 0)
		rpc_parse_u64(res, &n, &e);
	cJSON_Delete(res);
	return n;
}

static int u256_eq(const u256 *a, const u256 *b)
{
	return u256_cmp(a, b) == 0;
}

static void random_address(uint8_t a[20])
{
	randombytes_buf(a, 20);
}

/* Deploys creation code given as hex; the new address in addr. */
static int deploy(chain *c, const uint8_t from[20], const uint8_t *priv, const char *hex,
		  uint8_t addr[20])
{
	size_t len = strlen(hex) / 2;
	uint8_t *code = malloc(len), hash[32];
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	ehr_err e;
	int st;

	if (!code || hex_decode(hex, code, len) != (long)len) {
		free(code);
		return -1;
	}
	tx.has_to = 0;
	tx.data = code;
	tx.data_len = len;
	st = chain_prepare(c, from, &tx, NULL, NULL, &e);
	CHECK(st == 0, "prepare deploy: %s", e.msg);
	if (!st) {
		st = chain_send(c, &tx, priv, hash, &e);
		CHECK(st == 0, "send deploy: %s", e.msg);
	}
	if (!st) {
		st = chain_wait(c, hash, 1, 30000, &r, &e);
		CHECK(st == 0, "wait deploy: %s", e.msg);
		CHECK(r.has_contract_address, "no contract address in the receipt");
		CHECK(!r.has_to, "a creation has no to");
		memcpy(addr, r.contract_address, 20);
		if (!r.has_contract_address)
			st = -1;
	}
	chain_receipt_free(&r);
	free(code);
	return st;
}

static void test_chain_id(const char *url)
{
	rpc_options opt;
	chain *c = NULL;
	ehr_err e;
	char want[256];

	rpc_options_default(&opt);
	CHECK(chain_open(url, NULL, 0, &opt, &c, &e) == 0, "open, any id: %s", e.msg);
	CHECK(c && chain_chain_id(c) == 31337, "chain id");
	CHECK(c && chain_has_base_fee(c) == -1, "base fee unknown before a prepare");
	chain_close(c);
	c = NULL;
	CHECK(chain_open(url, "local", 31337, &opt, &c, &e) == 0, "open, matching id: %s", e.msg);
	chain_close(c);
	c = (chain *)1;
	CHECK(chain_open(url, "mainnet", 1, &opt, &c, &e) == EHR_ECHAIN, "mismatch refused");
	CHECK(c == NULL, "no chain on refusal");
	snprintf(want, sizeof(want), "node at %s reports chain id 31337, but network 'mainnet' "
		 "is configured for 1: refusing to sign", url);
	CHECK_STR(e.msg, want);
	CHECK(chain_open(url, NULL, 5, &opt, &c, &e) == EHR_ECHAIN, "mismatch refused");
	CHECK(strstr(e.msg, "but chain id 5 was expected: refusing to sign") != NULL, "%s", e.msg);
	CHECK(chain_open("http://127.0.0.1:1", NULL, 0, &opt, &c, &e) == EHR_ENODE,
	      "closed port: %s", e.msg);
}

/* A chain opened deferred asks nothing until its first request; a send
 * then takes three round trips: the prepare batch with eth_chainId at its
 * head, the send, the receipt. A mismatch is refused by that batch, before
 * anything is signed, with chain_open's words, and kept; every other first
 * call checks too. */
static void test_deferred(const char *url, const uint8_t dev0[20], const uint8_t *priv)
{
	rpc_options opt;
	chain *c = NULL;
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	chain_call_req call = { 0 };
	uint8_t hash[32] = { 0 }, zero[32] = { 0 };
	uint64_t n, head, t;
	unsigned reqs, asks;
	char want[256];
	ehr_err e;
	int st;

	rpc_options_default(&opt);
	opt.trace = trace_fn;
	opt.trace_ctx = &tr;

	/* matching: the whole send in three requests */
	reqs = tr.requests;
	asks = tr.id_asks;
	st = chain_open_deferred(url, "local", 31337, &opt, &c, &e);
	CHECK(st == 0, "open deferred: %s", e.msg);
	if (st)
		return;
	CHECK(tr.requests == reqs, "opening asked nothing (%u requests)", tr.requests - reqs);
	tx.has_to = 1;
	random_address(tx.to);
	tx.value = u256_from_u64(1000);
	st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
	CHECK(st == 0, "deferred prepare: %s", e.msg);
	CHECK(tr.requests - reqs == 1 && tr.last_batch && tr.id_asks - asks == 1,
	      "the chain id asked in the prepare batch: %u requests, %u asks", tr.requests - reqs,
	      tr.id_asks - asks);
	CHECK(u256_fits_u64(&tx.chain_id) && tx.chain_id.w[0] == 31337, "chain id in the tx");
	st = chain_send(c, &tx, priv, hash, &e);
	CHECK(st == 0, "deferred send: %s", e.msg);
	CHECK(tr.requests - reqs == 2, "open + prepare + send: %u HTTP requests, want 2",
	      tr.requests - reqs);
	st = chain_wait(c, hash, 1, 30000, &r, &e);
	CHECK(st == 0 && r.status == 1, "deferred send mined: %s", e.msg);
	printf("# a send on a deferred chain: prepare (with the chain id) + send + %u receipt poll(s)\n",
	       tr.requests - reqs - 2);
	CHECK(tr.id_asks - asks == 1, "the chain id asked once (%u)", tr.id_asks - asks);
	CHECK(chain_chain_id(c) == 31337 && tr.requests - reqs >= 3, "chain id kept");
	chain_receipt_free(&r);
	chain_close(c);
	c = NULL;

	/* no id configured: the node's is taken from the batch */
	asks = tr.id_asks;
	CHECK(chain_open_deferred(url, NULL, 0, &opt, &c, &e) == 0, "open: %s", e.msg);
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	random_address(tx.to);
	CHECK(c && chain_prepare(c, dev0, &tx, NULL, NULL, &e) == 0, "prepare, any id: %s", e.msg);
	CHECK(tx.chain_id.w[0] == 31337 && tr.id_asks - asks == 1, "the node's id signed for");
	if (c)
		chain_nonce_reset(c, dev0);
	chain_close(c);
	c = NULL;

	/* mismatch: refused by the prepare batch, nothing handed out, kept */
	CHECK(chain_open_deferred(url, "mainnet", 1, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	if (!c)
		return;
	memset(&tx, 0, sizeof(tx));
	tx.has_to = 1;
	random_address(tx.to);
	reqs = tr.requests;
	st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
	snprintf(want, sizeof(want), "node at %s reports chain id 31337, but network 'mainnet' "
		 "is configured for 1: refusing to sign", url);
	CHECK(st == EHR_ECHAIN, "mismatch refused by the prepare batch: %d", st);
	CHECK_STR(e.msg, want);
	CHECK(tr.requests - reqs == 1, "one request for the refusal");
	CHECK(u256_is_zero(&tx.chain_id) && !tx.gas && !tx.nonce && u256_is_zero(&tx.max_fee),
	      "nothing prepared");
	CHECK(chain_next_nonce(c, dev0, &n, &e) == EHR_EUSAGE, "no nonce handed out");
	reqs = tr.requests;
	CHECK(chain_prepare(c, dev0, &tx, NULL, NULL, &e) == EHR_ECHAIN && !strcmp(e.msg, want),
	      "refused again: %s", e.msg);
	call.to = tx.to;
	CHECK(chain_call_many(c, &call, 1, NULL, &e) == EHR_ECHAIN && !strcmp(e.msg, want),
	      "a call is refused too: %s", e.msg);
	CHECK(chain_head(c, &head, &e) == EHR_ECHAIN, "and the head");
	CHECK(chain_check_id(c, &e) == EHR_ECHAIN && !strcmp(e.msg, want), "chain_check_id: %s", e.msg);
	tx.nonce = 0;
	tx.gas = 21000;
	tx.type = TX_EIP1559;
	tx.max_fee = u256_from_u64(1000000000000u);
	tx.chain_id = u256_from_u64(1);
	memset(hash, 0, sizeof(hash));
	CHECK(chain_send(c, &tx, priv, hash, &e) == EHR_ECHAIN && !memcmp(hash, zero, 32),
	      "chain_send refuses before signing");
	CHECK(tr.requests == reqs, "the kept refusal asks nothing (%u requests)", tr.requests - reqs);
	chain_close(c);
	c = NULL;

	/* an unreachable node: said as chain_open says it, not "preparing..." */
	opt.read_retries = 0;
	CHECK(chain_open_deferred("http://127.0.0.1:1", NULL, 0, &opt, &c, &e) == 0,
	      "open deferred, nothing there: %s", e.msg);
	if (c) {
		st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
		CHECK(st == EHR_ENODE && !strncmp(e.msg, "cannot reach node at http://127.0.0.1:1", 39),
		      "unreachable: %d %s", st, e.msg);
	}
	chain_close(c);
	c = NULL;
	opt.read_retries = 3;

	/* other first calls: folded into a call or block batch, else asked alone */
	CHECK(chain_open_deferred(url, "local", 31337, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	reqs = tr.requests;
	asks = tr.id_asks;
	call.to = tx.to;
	CHECK(c && chain_call_many(c, &call, 1, NULL, &e) == 0 && call.status == 0 && !call.ret_len,
	      "a call first: %s", e.msg);
	free(call.ret);
	CHECK(tr.requests - reqs == 1 && tr.id_asks - asks == 1, "the call batch asked the id");
	chain_close(c);
	CHECK(chain_open_deferred(url, "local", 31337, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	reqs = tr.requests;
	CHECK(c && chain_block_time(c, CHAIN_LATEST, &t, &e) == 0 && t > 0, "block time first: %s", e.msg);
	CHECK(tr.requests - reqs == 1, "the block batch asked the id (%u requests)", tr.requests - reqs);
	chain_close(c);
	CHECK(chain_open_deferred(url, "local", 31337, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	reqs = tr.requests;
	asks = tr.id_asks;
	CHECK(c && chain_head(c, &head, &e) == 0 && head > 0, "head first: %s", e.msg);
	CHECK(tr.requests - reqs == 2 && tr.id_asks - asks == 1, "the head: the id asked alone first");
	CHECK(chain_head(c, &head, &e) == 0 && tr.requests - reqs == 3, "then not again");
	chain_close(c);
	CHECK(chain_open_deferred(url, "local", 31337, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	reqs = tr.requests;
	CHECK(c && chain_chain_id(c) == 0 && chain_rpc(c) && tr.requests == reqs,
	      "the accessors ask nothing: the id is 0 before the check");
	CHECK(c && chain_check_id(c, &e) == 0 && tr.requests - reqs == 1, "chain_check_id asks: %s",
	      e.msg);
	CHECK(c && chain_chain_id(c) == 31337 && chain_check_id(c, &e) == 0 && tr.requests - reqs == 1,
	      "then the id, and the check does not ask again");
	chain_close(c);
	c = NULL;

	/* the check returns its failure: a mismatch naming both ids, an unreachable node */
	CHECK(chain_open_deferred(url, "mainnet", 1, &opt, &c, &e) == 0, "open: %s", e.msg);
	snprintf(want, sizeof(want), "node at %s reports chain id 31337, but network 'mainnet' "
		 "is configured for 1: refusing to sign", url);
	CHECK(c && chain_check_id(c, &e) == EHR_ECHAIN && !strcmp(e.msg, want), "mismatch: %s", e.msg);
	CHECK(c && chain_chain_id(c) == 0, "no id after a mismatch");
	chain_close(c);
	c = NULL;
	opt.read_retries = 0;
	CHECK(chain_open_deferred("http://127.0.0.1:1", "mainnet", 1, &opt, &c, &e) == 0, "open: %s",
	      e.msg);
	CHECK(c && chain_check_id(c, &e) == EHR_ENODE && strstr(e.msg, "127.0.0.1:1"),
	      "unreachable: %s", e.msg);
	chain_close(c);
}

/* A native transfer, prepared in one request, with the balance changes
 * checked against the receipt. */
static void test_transfer(chain *c, const uint8_t dev0[20], const uint8_t *priv)
{
	uint8_t to[20], hash[32];
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	chain_quote q;
	u256 value, from_before, to_before, from_after, to_after, fee, spent;
	uint64_t nonce_before = tx_count(c, dev0), n;
	unsigned reqs;
	ehr_err e;
	int st;

	random_address(to);
	u256_parse("1230000000000000000", &value);	/* 1.23 ETH */
	from_before = balance_of(c, dev0);
	to_before = balance_of(c, to);
	CHECK(u256_is_zero(&to_before), "a fresh address is empty");
	tx.has_to = 1;
	memcpy(tx.to, to, 20);
	tx.value = value;
	reqs = tr.requests;
	st = chain_prepare(c, dev0, &tx, NULL, &q, &e);
	CHECK(st == 0, "prepare: %s", e.msg);
	CHECK(tr.requests - reqs == 1, "prepare took %u HTTP requests", tr.requests - reqs);
	CHECK(tx.type == TX_EIP1559, "type %d", tx.type);
	CHECK(chain_has_base_fee(c) == 1, "anvil has a base fee");
	CHECK(tx.nonce == nonce_before, "nonce %" PRIu64 " want %" PRIu64, tx.nonce, nonce_before);
	CHECK(tx.gas == 25200, "gas %" PRIu64 " (21000 + 20%%)", tx.gas);
	CHECK(q.gas_estimate == 21000, "estimate %" PRIu64, q.gas_estimate);
	CHECK(u256_fits_u64(&tx.chain_id) && tx.chain_id.w[0] == 31337, "chain id in tx");
	CHECK(!u256_is_zero(&q.base_fee), "base fee known");
	{
		u256 two, want;

		u256_add(&two, &q.base_fee, &q.base_fee);
		u256_add(&want, &two, &tx.max_priority_fee);
		CHECK(u256_eq(&tx.max_fee, &want), "max fee = 2 * base fee + tip");
	}
	CHECK(u256_eq(&q.balance, &from_before), "quote balance");

	reqs = tr.requests;
	st = chain_send(c, &tx, priv, hash, &e);
	CHECK(st == 0, "send: %s", e.msg);
	CHECK(tr.requests - reqs == 1, "send took %u HTTP requests", tr.requests - reqs);
	reqs = tr.requests;
	st = chain_wait(c, hash, 1, 30000, &r, &e);
	CHECK(st == 0, "wait: %s", e.msg);
	printf("# one prepared send: 1 prepare + %s + %u receipt poll(s)\n", "1 send",
	       tr.requests - reqs);
	CHECK(tr.requests - reqs >= 1, "wait polled");
	CHECK(r.found && r.status == 1, "receipt status %d", r.status);
	CHECK(r.gas_used == 21000, "gas used %" PRIu64, r.gas_used);
	CHECK(!memcmp(r.tx_hash, hash, 32), "receipt hash");
	CHECK(!memcmp(r.from, dev0, 20) && r.has_to && !memcmp(r.to, to, 20), "receipt from/to");
	CHECK(r.n_logs == 0 && r.json, "no logs, json kept");
	CHECK(r.block_number >= 1, "block %" PRIu64, r.block_number);

	from_after = balance_of(c, dev0);
	to_after = balance_of(c, to);
	CHECK(u256_eq(&to_after, &value), "recipient got the value");
	u256_mul_u64(&fee, &r.effective_gas_price, r.gas_used);
	u256_add(&spent, &value, &fee);
	{
		u256 diff;

		u256_sub(&diff, &from_before, &from_after);
		CHECK(u256_eq(&diff, &spent), "sender paid value + gas used * effective price");
	}
	CHECK(u256_cmp(&r.effective_gas_price, &tx.max_fee) <= 0, "price within max fee");

	/* The manager hands out the next nonce without asking. */
	reqs = tr.requests;
	CHECK(chain_next_nonce(c, dev0, &n, &e) == 0 && n == nonce_before + 1, "next nonce");
	CHECK(tr.requests == reqs, "no request for a local nonce");
	chain_nonce_release(c, dev0, n);
	CHECK(chain_next_nonce(c, dev0, &n, &e) == 0 && n == nonce_before + 1, "released nonce again");
	chain_nonce_release(c, dev0, n);
	{
		uint8_t other[20];

		random_address(other);
		CHECK(chain_next_nonce(c, other, &n, &e) == EHR_EUSAGE, "unknown sender");
	}

	/* Confirmations: two more blocks make three. */
	CHECK(rpc_call(chain_rpc(c), "evm_mine", NULL, NULL, &e) == 0, "evm_mine: %s", e.msg);
	CHECK(rpc_call(chain_rpc(c), "evm_mine", NULL, NULL, &e) == 0, "evm_mine: %s", e.msg);
	chain_receipt_free(&r);
	st = chain_wait(c, hash, 3, 0, &r, &e);
	CHECK(st == 0 && r.confirmations >= 3, "3 confirmations: %d %s", st, e.msg);
	chain_receipt_free(&r);
	st = chain_wait(c, hash, 50, 200, &r, &e);
	CHECK(st == EHR_ENODE && strstr(e.msg, "not confirmed after"), "50 confirmations time out: %s",
	      e.msg);
	CHECK(r.found, "receipt kept on a confirmation timeout");
	chain_receipt_free(&r);

	/* A hash nobody sent. */
	randombytes_buf(hash, 32);
	st = chain_wait(c, hash, 1, 150, &r, &e);
	CHECK(st == EHR_ENODE && strstr(e.msg, "not mined after"), "unknown hash: %s", e.msg);
	CHECK(!r.found, "no receipt");
	chain_receipt_free(&r);
}

static void test_funds(chain *c, const uint8_t dev0[20], const uint8_t *priv)
{
	uint8_t to[20];
	eth_tx tx = { 0 };
	u256 bal = balance_of(c, dev0), value, thousand = u256_from_u64(1000);
	uint64_t nonce_before = tx_count(c, dev0), n;
	char want[512], has[AMOUNT_FMT_MAX], val[AMOUNT_FMT_MAX];
	unsigned reqs = tr.requests;
	ehr_err e;
	int st;

	(void)priv;
	random_address(to);
	u256_sub(&value, &bal, &thousand);	/* the value fits, the fee does not */
	tx.has_to = 1;
	memcpy(tx.to, to, 20);
	tx.value = value;
	st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
	CHECK(st == EHR_ECHAIN, "insufficient funds refused: %d %s", st, e.msg);
	CHECK(tr.requests - reqs == 1, "refused after one request (%u)", tr.requests - reqs);
	amount_format(&bal, 18, has, sizeof(has));
	amount_format(&value, 18, val, sizeof(val));
	snprintf(want, sizeof(want), "insufficient funds: %s has %s ETH, the transaction needs ",
		 DEV0_ADDR, has);
	CHECK(!strncmp(e.msg, want, strlen(want)), "message: %s", e.msg);
	snprintf(want, sizeof(want), " ETH (%s value + ", val);
	CHECK(strstr(e.msg, want) && strstr(e.msg, " max fee)"), "message: %s", e.msg);
	CHECK(tx_count(c, dev0) == nonce_before, "nothing sent");
	CHECK(chain_next_nonce(c, dev0, &n, &e) == 0 && n == nonce_before, "local nonce unchanged");
	chain_nonce_release(c, dev0, n);

	/* More than the balance in value alone. */
	u256_add(&tx.value, &bal, &thousand);
	st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
	CHECK(st == EHR_ECHAIN && strstr(e.msg, "insufficient funds: "), "value above balance: %s",
	      e.msg);
	CHECK(tx_count(c, dev0) == nonce_before, "nothing sent");

	/* A fee cap. */
	{
		chain_fee_opts o;

		chain_fee_opts_default(&o);
		o.max_fee_cap = u256_from_u64(1);
		tx.value = u256_from_u64(1);
		st = chain_prepare(c, dev0, &tx, &o, NULL, &e);
		CHECK(st == EHR_ECHAIN && strstr(e.msg, "above the limit of 0.000000001 gwei"),
		      "fee cap: %s", e.msg);
	}
}

static void test_legacy(const char *anvil, const uint8_t dev0[20], const uint8_t *priv)
{
	struct anvil a;
	chain *c = NULL;
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	uint8_t to[20], hash[32], got_from[20], *raw = NULL, h2[32];
	size_t raw_len;
	u256 price, before, after, fee, diff;
	cJSON *res = NULL;
	unsigned reqs;
	ehr_err e;

	if (start_anvil(anvil, &a, "berlin")) {
		CHECK(0, "anvil --hardfork berlin did not start");
		return;
	}
	if (open_chain(a.url, &c))
		goto out;
	/* anvil on berlin reports blocks without baseFeePerGas. */
	{
		cJSON *params = cJSON_CreateArray();

		cJSON_AddItemToArray(params, cJSON_CreateString("latest"));
		cJSON_AddItemToArray(params, cJSON_CreateFalse());
		CHECK(rpc_call(chain_rpc(c), "eth_getBlockByNumber", params, &res, &e) == 0, "%s", e.msg);
		CHECK(res && !cJSON_GetObjectItem(res, "baseFeePerGas"), "berlin: no base fee");
		cJSON_Delete(res);
		res = NULL;
	}
	CHECK(rpc_call(chain_rpc(c), "eth_gasPrice", NULL, &res, &e) == 0, "%s", e.msg);
	{
		uint8_t be[32];

		CHECK(rpc_parse_quantity(res, be, &e) == 0, "%s", e.msg);
		u256_from_be(&price, be, 32);
	}
	cJSON_Delete(res);
	random_address(to);
	tx.has_to = 1;
	memcpy(tx.to, to, 20);
	tx.value = u256_from_u64(777);
	before = balance_of(c, dev0);
	reqs = tr.requests;
	CHECK(chain_prepare(c, dev0, &tx, NULL, NULL, &e) == 0, "prepare legacy: %s", e.msg);
	CHECK(tr.requests - reqs == 1, "one request");
	CHECK(chain_has_base_fee(c) == 0, "no base fee learnt");
	CHECK(tx.type == TX_LEGACY, "legacy type %d", tx.type);
	CHECK(u256_eq(&tx.gas_price, &price), "gas price from eth_gasPrice");
	CHECK(u256_is_zero(&tx.max_fee), "no max fee on legacy");
	CHECK(tx_sign(&tx, priv, &raw, &raw_len, h2, &e) == 0, "sign");
	CHECK(raw && raw[0] >= 0xc0, "legacy raw is an RLP list");
	if (raw) {
		eth_tx back;

		CHECK(tx_decode(raw, raw_len, &back, NULL, NULL, NULL, got_from, &e) == 0 &&
		      !memcmp(got_from, dev0, 20) && back.type == TX_LEGACY, "decodes as EIP-155");
	}
	free(raw);
	CHECK(chain_send(c, &tx, priv, hash, &e) == 0, "send legacy: %s", e.msg);
	CHECK(!memcmp(hash, h2, 32), "same hash as tx_sign");
	CHECK(chain_wait(c, hash, 1, 30000, &r, &e) == 0, "wait legacy: %s", e.msg);
	CHECK(r.status == 1 && u256_eq(&r.effective_gas_price, &price), "paid the gas price");
	after = balance_of(c, dev0);
	u256_mul_u64(&fee, &price, r.gas_used);
	u256_add(&fee, &fee, &tx.value);
	u256_sub(&diff, &before, &after);
	CHECK(u256_eq(&diff, &fee), "legacy balance change");
	{
		u256 got = balance_of(c, to);

		CHECK(u256_eq(&got, &tx.value), "legacy recipient");
	}
	chain_receipt_free(&r);
	/* CHAIN_LEGACY forces type 0 where there is a base fee too: see main. */
out:
	chain_close(c);
	stop_anvil(&a);
}

static const revert_error registry_errors[] = {
	{ "NoSuchRecord(uint256)", "record %1 does not exist" },
	{ "NotPatient()", "only the patient may do this" },
};

static void test_registry(chain *c, const uint8_t dev0[20], const uint8_t *priv)
{
	uint8_t reg[20], nowhere[20], *code = NULL, *ret = NULL, *data = NULL, hash[32];
	size_t code_len = 0, ret_len = 0, data_len = 0;
	abi_value *args;
	eth_tx tx = { 0 };
	chain_receipt r = { 0 };
	chain_fee_opts o;
	uint64_t nonce_before, n;
	ehr_err e;
	int st;

	if (deploy(c, dev0, priv, registry_bytecode_hex, reg))
		return;
	CHECK(chain_get_code(c, reg, NULL, &code, &code_len, &e) == 0, "code: %s", e.msg);
	CHECK(code_len > 1000 && code, "registry code is there (%zu bytes)", code_len);
	free(code);
	CHECK(chain_get_code(c, reg, "earliest", &code, &code_len, &e) == 0 && code_len == 0 && !code,
	      "no code at genesis");
	random_address(nowhere);
	CHECK(chain_get_code(c, nowhere, "latest", &code, &code_len, &e) == 0 && code_len == 0,
	      "no code at a random address");
	CHECK(chain_get_code(c, nowhere, "tomorrow", &code, &code_len, &e) == EHR_EUSAGE, "bad tag");

	/* eraseRecord(999) reverts with NoSuchRecord(999). */
	args = abi_tuple(1, abi_uint64(999));
	CHECK(abi_encode_call("eraseRecord(uint256)", args, &data, &data_len, &e) == 0, "%s", e.msg);
	abi_free(args);
	chain_set_errors(c, NULL, 0);
	st = chain_call(c, reg, data, data_len, NULL, &ret, &ret_len, &e);
	CHECK(st == EHR_ECHAIN && strstr(e.msg, "call failed: ") && strstr(e.msg, "unknown error 0x"),
	      "unknown custom error: %s", e.msg);
	chain_set_errors(c, registry_errors, 2);
	st = chain_call(c, reg, data, data_len, NULL, &ret, &ret_len, &e);
	CHECK(st == EHR_ECHAIN, "call reverts");
	CHECK_STR(e.msg, "call failed: record 999 does not exist");
	CHECK(!ret && !ret_len, "no return data");

	/* The same as a transaction: the estimate says why, nothing is sent. */
	nonce_before = tx_count(c, dev0);
	tx.has_to = 1;
	memcpy(tx.to, reg, 20);
	tx.data = data;
	tx.data_len = data_len;
	st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
	CHECK(st == EHR_ECHAIN, "prepare of a reverting tx refused");
	CHECK_STR(e.msg, "transaction would fail: record 999 does not exist");
	CHECK(chain_next_nonce(c, dev0, &n, &e) == 0 && n == nonce_before, "nonce unchanged");
	chain_nonce_release(c, dev0, n);

	/* Mined anyway (gas fixed, no estimate): the receipt fails, and the
	 * replay at its block gives the reason. */
	chain_fee_opts_default(&o);
	o.flags = CHAIN_KEEP_GAS;
	tx.gas = 100000;
	CHECK(chain_prepare(c, dev0, &tx, &o, NULL, &e) == 0, "prepare with fixed gas: %s", e.msg);
	CHECK(tx.gas == 100000, "gas kept");
	CHECK(chain_send(c, &tx, priv, hash, &e) == 0, "send: %s", e.msg);
	st = chain_wait(c, hash, 1, 30000, &r, &e);
	CHECK(st == EHR_ECHAIN, "reverted receipt is a refusal");
	CHECK(r.found && r.status == 0, "status 0");
	CHECK(strstr(e.msg, "failed in block ") && strstr(e.msg, ": record 999 does not exist"),
	      "reason: %s", e.msg);
	CHECK(tx_count(c, dev0) == nonce_before + 1, "the reverted tx used its nonce");
	chain_receipt_free(&r);

	/* A view: recordCount() is 0. */
	free(data);
	data = NULL;
	data = malloc(4);
	data_len = 4;
	CHECK(data && abi_selector("recordCount()", data, &e) == 0, "%s", e.msg);
	st = chain_call(c, reg, data, data_len, "latest", &ret, &ret_len, &e);
	CHECK(st == 0 && ret_len == 32, "recordCount: %d %s", st, e.msg);
	if (ret_len == 32) {
		static const uint8_t zero[32];

		CHECK(!memcmp(ret, zero, 32), "no records");
	}
	free(ret);
	free(data);
}

/* 50 mints with local nonces, sent in one batch request, receipts polled
 * in batches; block times; three calls in one request; prepare_many. */
struct seen {
	uint64_t amounts[N_BATCH + 8];
	size_t n;
	uint64_t last_block, last_index;
	int order_ok;
	uint8_t token[20];
};

static int on_log(void *ctx, const chain_log *l)
{
	struct seen *s = ctx;
	abi_value *v = NULL;
	uint64_t amount = 0;
	ehr_err e;

	if (s->n && (l->block_number < s->last_block ||
		     (l->block_number == s->last_block && l->log_index <= s->last_index)))
		s->order_ok = 0;
	s->last_block = l->block_number;
	s->last_index = l->log_index;
	if (memcmp(l->address, s->token, 20) || l->n_topics != 3)
		s->order_ok = 0;
	if (abi_decode("(uint256)", l->data, l->data_len, &v, &e) == 0)
		abi_get_u64(abi_item(v, 0), &amount);
	abi_free(v);
	if (s->n < sizeof(s->amounts) / sizeof(s->amounts[0]))
		s->amounts[s->n] = amount;
	s->n++;
	return 0;
}

static int stop_at_3(void *ctx, const chain_log *l)
{
	(void)l;
	return ++*(int *)ctx == 3 ? 42 : 0;
}

/* The same mints read by a client that takes replies of 3,000 bytes at
 * most (a few Transfer logs; ehr's is 64 MiB, which 36 invoices with 1 MB
 * memos once exceeded): too large a reply splits the range, no log lost. */
#define N_SPREAD 24
static void test_logs_reply_cap(chain *c, const uint8_t token[20], uint64_t first, uint64_t last)
{
	rpc_options o;
	chain *small = NULL;
	struct seen s;
	ehr_err e;
	int st;

	rpc_options_default(&o);
	o.max_reply_bytes = 3000;
	o.trace = trace_fn;
	o.trace_ctx = &tr;
	if (chain_open(rpc_url(chain_rpc(c)), "local", 31337, &o, &small, &e)) {
		CHECK(0, "chain_open: %s", e.msg);
		return;
	}
	chain_set_log_limits(small, 100000, 100000, 0);
	memset(&s, 0, sizeof(s));
	s.order_ok = 1;
	memcpy(s.token, token, 20);
	tr.n_spans = 0;
	st = chain_get_logs(small, token, NULL, first, last, on_log, &s, &e);
	CHECK(st == 0 && s.n == N_SPREAD && s.order_ok, "replies over 3,000 bytes split: %d %zu %s", st, s.n, e.msg);
	CHECK(tr.n_spans > 2 && tr.spans[1] < tr.spans[0] && tr.spans[0] == last - first + 1,
	      "the range shrank from %" PRIu64 " blocks (%zu requests)", tr.spans[0], tr.n_spans);
	printf("# logs: %zu eth_getLogs requests for %d logs, replies of 3,000 bytes at most\n", tr.n_spans,
	       N_SPREAD);
	chain_close(small);
}

/* Logs of N_SPREAD mints, each in its own block with empty blocks between,
 * read with at most 4 logs per reply from a first span of 1000 blocks, so
 * ranges must shrink, and grow again. crowded: a block holding several logs
 * (0: none known). */
static void test_logs(chain *c, const uint8_t dev0[20], const uint8_t *priv, const uint8_t token[20],
		      uint64_t crowded)
{
	uint8_t rcpt[20], rcpt_topic[32] = { 0 }, transfer[32], approval[32], alts[2][32], hash[32];
	uint64_t first = 0, last = 0;
	size_t i, shrinks = 0, grows = 0;
	chain_topic topics[4];
	struct seen s;
	ehr_err e;
	int st, ok, stopped = 0;

	random_address(rcpt);
	memcpy(rcpt_topic + 12, rcpt, 20);
	for (i = 0; i < N_SPREAD; i++) {
		abi_value *args = abi_tuple(2, abi_address(rcpt), abi_uint64(i + 1));
		uint8_t *data = NULL;
		size_t len = 0;
		eth_tx tx = { 0 };
		chain_receipt r = { 0 };
		char gap[19];
		cJSON *params = cJSON_CreateArray();

		abi_encode_call("mint(address,uint256)", args, &data, &len, &e);
		abi_free(args);
		tx.has_to = 1;
		memcpy(tx.to, token, 20);
		tx.data = data;
		tx.data_len = len;
		st = chain_prepare(c, dev0, &tx, NULL, NULL, &e);
		if (!st)
			st = chain_send(c, &tx, priv, hash, &e);
		if (!st)
			st = chain_wait(c, hash, 1, 30000, &r, &e);
		CHECK(st == 0 && r.n_logs == 1, "mint %zu: %s", i, e.msg);
		if (!i)
			first = r.block_number;
		last = r.block_number;
		chain_receipt_free(&r);
		free(data);
		rpc_u64_quantity(i % 4 * 3, gap);	/* 0 to 9 empty blocks */
		cJSON_AddItemToArray(params, cJSON_CreateString(gap));
		CHECK(rpc_call(chain_rpc(c), "anvil_mine", params, NULL, &e) == 0, "anvil_mine: %s", e.msg);
		if (st)
			return;
	}

	keccak256("Transfer(address,address,uint256)", 33, transfer);
	keccak256("Approval(address,address,uint256)", 33, approval);
	memcpy(alts[0], approval, 32);
	memcpy(alts[1], transfer, 32);
	memset(topics, 0, sizeof(topics));
	topics[0].any_of = (const uint8_t (*)[32])alts;
	topics[0].n = 2;
	topics[2].any_of = (const uint8_t (*)[32])&rcpt_topic;
	topics[2].n = 1;

	memset(&s, 0, sizeof(s));
	s.order_ok = 1;
	memcpy(s.token, token, 20);
	chain_set_log_limits(c, 1000, 100000, 4);
	tr.n_spans = 0;
	st = chain_get_logs(c, token, topics, 0, CHAIN_LATEST, on_log, &s, &e);
	CHECK(st == 0, "logs: %s", e.msg);
	CHECK(s.n == N_SPREAD, "%zu logs", s.n);
	CHECK(s.order_ok, "in block order, from the token, 3 topics");
	for (i = 0, ok = 1; i < N_SPREAD && i < s.n; i++)
		ok &= s.amounts[i] == i + 1;
	CHECK(ok, "amounts 1..%d in order", N_SPREAD);
	for (i = 1; i < tr.n_spans; i++) {
		shrinks += tr.spans[i] < tr.spans[i - 1];
		grows += tr.spans[i] > tr.spans[i - 1];
	}
	CHECK(shrinks > 0 && grows > 0, "ranges shrank (%zu) and grew (%zu) over %zu requests",
	      shrinks, grows, tr.n_spans);
	printf("# logs: %zu eth_getLogs requests over %" PRIu64 " blocks, 4 logs per reply at most\n",
	       tr.n_spans, last + 10);

	/* Without the cap, over exactly the mints' blocks: one request. */
	chain_set_log_limits(c, 100000, 100000, 0);
	memset(&s, 0, sizeof(s));
	s.order_ok = 1;
	memcpy(s.token, token, 20);
	tr.n_spans = 0;
	st = chain_get_logs(c, NULL, topics, first, last, on_log, &s, &e);
	CHECK(st == 0 && s.n == N_SPREAD && tr.n_spans == 1 && tr.spans[0] == last - first + 1,
	      "one range: %d %zu %zu", st, s.n, tr.n_spans);
	CHECK(s.order_ok, "in order");
	memset(&s, 0, sizeof(s));
	CHECK(chain_get_logs(c, NULL, topics, last + 1, CHAIN_LATEST, on_log, &s, &e) == 0 && s.n == 0,
	      "none after the last mint");
	CHECK(chain_get_logs(c, NULL, topics, last, first, on_log, &s, &e) == 0 && s.n == 0,
	      "an empty range");

	/* Only Approval: none. */
	topics[0].any_of = (const uint8_t (*)[32])&approval;
	topics[0].n = 1;
	CHECK(chain_get_logs(c, token, topics, 0, CHAIN_LATEST, on_log, &s, &e) == 0 && s.n == 0,
	      "no approvals");

	/* A callback that stops. */
	CHECK(chain_get_logs(c, token, NULL, 0, CHAIN_LATEST, stop_at_3, &stopped, &e) == 42 &&
	      stopped == 3, "callback stops the scan");

	/* One log in a block fits a cap of one; a block with more cannot be
	 * split. */
	chain_set_log_limits(c, 10, 100, 1);
	memset(&s, 0, sizeof(s));
	CHECK(chain_get_logs(c, token, NULL, first, last, on_log, &s, &e) == 0 && s.n == N_SPREAD,
	      "cap of one: %s", e.msg);
	if (crowded) {
		st = chain_get_logs(c, token, NULL, crowded, crowded, on_log, &s, &e);
		CHECK(st == EHR_ECHAIN && strstr(e.msg, "alone holds more logs than the node"),
		      "a block over the cap: %d %s", st, e.msg);
	}
	chain_set_log_limits(c, 2000, 100000, 0);
	test_logs_reply_cap(c, token, first, last);
}

static void test_batch(chain *c, const uint8_t dev0[20], const uint8_t *priv)
{
	uint8_t token[20], rcpt[20], rcpt_topic[32] = { 0 };
	uint8_t *data[N_BATCH] = { 0 }, (*hashes)[32] = calloc(N_BATCH, 32);
	size_t data_len[N_BATCH], i;
	eth_tx txs[N_BATCH];
	chain_raw_tx raws[N_BATCH];
	chain_receipt *rs = calloc(N_BATCH, sizeof(*rs));
	uint64_t first_nonce;
	unsigned reqs;
	ehr_err e;
	uint64_t crowded = 0;
	int st, ok;

	memset(raws, 0, sizeof(raws));
	if (!hashes || !rs || deploy(c, dev0, priv, test_token_bytecode_hex, token))
		goto out;
	random_address(rcpt);
	memcpy(rcpt_topic + 12, rcpt, 20);
	for (i = 0; i < N_BATCH; i++) {
		abi_value *args = abi_tuple(2, abi_address(rcpt), abi_uint64(i + 1));

		CHECK(abi_encode_call("mint(address,uint256)", args, &data[i], &data_len[i], &e) == 0,
		      "%s", e.msg);
		abi_free(args);
		memset(&txs[i], 0, sizeof(txs[i]));
		txs[i].has_to = 1;
		memcpy(txs[i].to, token, 20);
		txs[i].data = data[i];
		txs[i].data_len = data_len[i];
	}
	/* The first is prepared; the others copy its fees and gas and take
	 * local nonces. */
	reqs = tr.requests;
	if (chain_prepare(c, dev0, &txs[0], NULL, NULL, &e)) {
		CHECK(0, "prepare first: %s", e.msg);
		goto out;
	}
	first_nonce = txs[0].nonce;
	for (i = 1, ok = 1; i < N_BATCH; i++) {
		uint64_t nonce;

		ok &= chain_next_nonce(c, dev0, &nonce, &e) == 0 && nonce == first_nonce + i;
		txs[i].type = txs[0].type;
		txs[i].chain_id = txs[0].chain_id;
		txs[i].max_fee = txs[0].max_fee;
		txs[i].max_priority_fee = txs[0].max_priority_fee;
		txs[i].gas = txs[0].gas;
		txs[i].nonce = nonce;
	}
	CHECK(ok, "consecutive local nonces");
	CHECK(tr.requests - reqs == 1, "50 transactions prepared with %u request(s)", tr.requests - reqs);
	for (i = 0; i < N_BATCH; i++) {
		uint8_t *raw = NULL;
		size_t raw_len = 0;

		CHECK(tx_sign(&txs[i], priv, &raw, &raw_len, hashes[i], &e) == 0, "sign %zu", i);
		raws[i].raw = raw;
		raws[i].raw_len = raw_len;
	}
	reqs = tr.requests;
	st = chain_send_batch(c, raws, N_BATCH, &e);
	CHECK(st == 0, "send batch: %s", e.msg);
	CHECK(tr.requests - reqs == 1, "50 sends in %u request(s)", tr.requests - reqs);
	for (i = 0, ok = 1; i < N_BATCH; i++)
		ok &= raws[i].status == 0 && !memcmp(raws[i].hash, hashes[i], 32);
	CHECK(ok, "each accepted with its hash");

	reqs = tr.requests;
	st = chain_wait_many(c, (const uint8_t (*)[32])hashes, N_BATCH, 1, 60000, rs, &e);
	CHECK(st == 0, "wait many: %s", e.msg);
	printf("# 50 receipts in %u poll request(s)\n", tr.requests - reqs);
	for (i = 0, ok = 1; i < N_BATCH; i++) {
		ok &= rs[i].found && rs[i].status == 1 && rs[i].n_logs == 1 &&
		      !memcmp(rs[i].tx_hash, hashes[i], 32) &&
		      !memcmp(rs[i].logs[0].address, token, 20) &&
		      !memcmp(rs[i].logs[0].topics[2], rcpt_topic, 32);
	}
	CHECK(ok, "50 receipts, each with its Transfer log");
	CHECK(tx_count(c, dev0) == first_nonce + N_BATCH, "all nonces used");

	/* The same bytes again: the node knows them, so they count as sent. */
	reqs = tr.requests;
	st = chain_send_batch(c, raws, N_BATCH, &e);
	CHECK(st == 0, "re-send is idempotent: %s", e.msg);
	CHECK(tr.requests - reqs == 2, "re-send: one send batch and one lookup batch (%u)",
	      tr.requests - reqs);

	for (i = 1; i < N_BATCH; i++)
		if (rs[i].block_number == rs[i - 1].block_number)
			crowded = rs[i].block_number;
	printf("# 50 transactions mined in %" PRIu64 " block(s)\n",
	       rs[N_BATCH - 1].block_number - rs[0].block_number + 1);
	test_logs(c, dev0, priv, token, crowded);

	/* Block times, in one request. */
	{
		uint64_t blocks[3] = { 0, rs[0].block_number, rs[N_BATCH - 1].block_number }, times[3], t,
			 head;

		reqs = tr.requests;
		CHECK(chain_block_times(c, blocks, 3, times, &e) == 0, "block times: %s", e.msg);
		CHECK(tr.requests - reqs == 1, "one request");
		CHECK(times[0] > 1600000000 && times[0] <= times[1] && times[1] <= times[2],
		      "times in order");
		CHECK(chain_block_time(c, blocks[1], &t, &e) == 0 && t == times[1], "one block time");
		CHECK(chain_head(c, &head, &e) == 0 && head >= blocks[2], "head");
		CHECK(chain_block_time(c, head + 1000, &t, &e) == EHR_EFAIL &&
		      strstr(e.msg, "not found"), "future block: %s", e.msg);
	}

	/* balanceOf + decimals + symbol in one request. */
	{
		chain_call_req k[3];
		uint8_t *cd[3] = { 0 };
		size_t cl[3];
		abi_value *v = NULL;
		uint64_t bal = 0, dec = 0;

		abi_value *args = abi_tuple(1, abi_address(rcpt));

		memset(k, 0, sizeof(k));
		abi_encode_call("balanceOf(address)", args, &cd[0], &cl[0], &e);
		abi_free(args);
		cd[1] = malloc(4);
		cd[2] = malloc(4);
		cl[1] = cl[2] = 4;
		if (!cd[1] || !cd[2] || abi_selector("decimals()", cd[1], &e) ||
		    abi_selector("symbol()", cd[2], &e))
			CHECK(0, "selectors");
		for (i = 0; i < 3; i++) {
			k[i].to = token;
			k[i].data = cd[i];
			k[i].len = cl[i];
		}
		k[0].from = dev0;
		reqs = tr.requests;
		CHECK(chain_call_many(c, k, 3, NULL, &e) == 0, "call many: %s", e.msg);
		CHECK(tr.requests - reqs == 1, "three calls, one request");
		CHECK(k[0].status == 0 && abi_decode("(uint256)", k[0].ret, k[0].ret_len, &v, &e) == 0 &&
		      abi_get_u64(abi_item(v, 0), &bal) == 0 && bal == N_BATCH * (N_BATCH + 1) / 2,
		      "balance %" PRIu64, bal);
		abi_free(v);
		v = NULL;
		CHECK(k[1].status == 0 && abi_decode("(uint8)", k[1].ret, k[1].ret_len, &v, &e) == 0 &&
		      abi_get_u64(abi_item(v, 0), &dec) == 0 && dec == 6, "decimals %" PRIu64, dec);
		abi_free(v);
		v = NULL;
		CHECK(k[2].status == 0 && abi_decode("(string)", k[2].ret, k[2].ret_len, &v, &e) == 0,
		      "symbol");
		CHECK_STR(abi_get_string(abi_item(v, 0)), "TUSD");
		abi_free(v);
		for (i = 0; i < 3; i++) {
			free(cd[i]);
			free(k[i].ret);
		}
	}

	/* chain_prepare_many: three estimates and the rest in one request. */
	{
		eth_tx three[3];
		chain_quote q;
		uint64_t before = tx_count(c, dev0);

		for (i = 0; i < 3; i++)
			three[i] = txs[i];
		reqs = tr.requests;
		CHECK(chain_prepare_many(c, dev0, three, 3, NULL, &q, &e) == 0, "prepare many: %s", e.msg);
		CHECK(tr.requests - reqs == 1, "one request for three");
		CHECK(three[0].nonce == before && three[1].nonce == before + 1 &&
		      three[2].nonce == before + 2, "consecutive nonces");
		CHECK(q.gas_estimate > 3 * 21000, "three estimates added up");
		for (i = 0; i < 3; i++)
			chain_nonce_release(c, dev0, three[2 - i].nonce);
		CHECK(chain_next_nonce(c, dev0, &first_nonce, &e) == 0 && first_nonce == before,
		      "released in reverse order");
		chain_nonce_reset(c, dev0);
		CHECK(chain_next_nonce(c, dev0, &first_nonce, &e) == EHR_EUSAGE, "reset forgets");
	}
out:
	for (i = 0; i < N_BATCH; i++) {
		free(data[i]);
		free((void *)raws[i].raw);
		if (rs)
			chain_receipt_free(&rs[i]);
	}
	free(rs);
	free(hashes);
}

/* CHAIN_LEGACY on a base-fee chain, and CHAIN_KEEP_FEES. */
static void test_fee_flags(chain *c, const uint8_t dev0[20], const uint8_t *priv)
{
	eth_tx tx = { 0 };
	chain_fee_opts o;
	chain_receipt r = { 0 };
	uint8_t hash[32];
	ehr_err e;

	tx.has_to = 1;
	random_address(tx.to);
	tx.value = u256_from_u64(5);
	chain_fee_opts_default(&o);
	o.flags = CHAIN_LEGACY;
	CHECK(chain_prepare(c, dev0, &tx, &o, NULL, &e) == 0, "legacy on 1559: %s", e.msg);
	CHECK(tx.type == TX_LEGACY && !u256_is_zero(&tx.gas_price), "forced legacy");
	CHECK(chain_send(c, &tx, priv, hash, &e) == 0 && chain_wait(c, hash, 1, 30000, &r, &e) == 0 &&
	      r.status == 1, "legacy tx mined on a base-fee chain: %s", e.msg);
	chain_receipt_free(&r);

	o.flags = CHAIN_KEEP_FEES | CHAIN_KEEP_GAS;
	tx.type = TX_EIP1559;
	tx.max_fee = u256_from_u64(7000000000u);
	tx.max_priority_fee = u256_from_u64(3);
	tx.gas = 30000;
	CHECK(chain_prepare(c, dev0, &tx, &o, NULL, &e) == 0, "kept fees: %s", e.msg);
	CHECK(tx.type == TX_EIP1559 && tx.max_fee.w[0] == 7000000000u && tx.max_priority_fee.w[0] == 3 &&
	      tx.gas == 30000, "fees and gas kept");
	CHECK(chain_send(c, &tx, priv, hash, &e) == 0 && chain_wait(c, hash, 1, 30000, &r, &e) == 0 &&
	      r.status == 1, "kept-fee tx mined: %s", e.msg);
	chain_receipt_free(&r);

	/* A refused send gives its nonce back: a tip above the max fee is
	 * refused by tx_sign, a too-low fee by the node. */
	o.flags = CHAIN_KEEP_FEES;
	tx.max_fee = u256_from_u64(1);
	tx.max_priority_fee = u256_from_u64(1);
	CHECK(chain_prepare(c, dev0, &tx, &o, NULL, &e) == 0, "prepare: %s", e.msg);
	{
		uint64_t n, before = tx.nonce;

		CHECK(chain_send(c, &tx, priv, hash, &e) == EHR_ECHAIN, "fee below base fee refused: %s",
		      e.msg);
		CHECK(chain_next_nonce(c, dev0, &n, &e) == 0 && n == before, "nonce given back");
		chain_nonce_release(c, dev0, n);
	}
}

int main(void)
{
	const char *tools = getenv("EHR_TOOLS");
	char anvil_path[4096];
	struct anvil a;
	uint8_t *priv, dev0[20];
	chain *c = NULL;
	ehr_err e;

	setvbuf(stdout, NULL, _IONBF, 0);
	if (sodium_init() < 0)
		return 1;
	snprintf(anvil_path, sizeof(anvil_path), "%s/anvil",
		 tools && *tools ? tools : "tests/node_modules/.bin");
	if (access(anvil_path, X_OK)) {
		printf("skip: chain tests: %s not found (make deps)\n", anvil_path);
		return tap_done();
	}
	if (!(priv = sodium_malloc(32)) || hex_decode_exact(DEV0_KEY, priv, 32) ||
	    eth_address_from_priv(priv, dev0, &e)) {
		CHECK(0, "dev key");
		return tap_done();
	}
	{
		char shown[43];

		eip55_format(dev0, shown);
		CHECK_STR(shown, DEV0_ADDR);
	}
	if (start_anvil(anvil_path, &a, NULL)) {
		CHECK(0, "anvil did not start");
		sodium_free(priv);
		return tap_done();
	}
	test_chain_id(a.url);
	test_deferred(a.url, dev0, priv);
	if (open_chain(a.url, &c) == 0) {
		test_transfer(c, dev0, priv);
		test_funds(c, dev0, priv);
		test_registry(c, dev0, priv);
		test_batch(c, dev0, priv);
		test_fee_flags(c, dev0, priv);
	}
	chain_close(c);
	stop_anvil(&a);
	test_legacy(anvil_path, dev0, priv);
	sodium_free(priv);
	return tap_done();
}
