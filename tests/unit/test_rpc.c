/* The JSON-RPC client against badnode (a loopback server that answers well
 * or badly on purpose) and against a real anvil. */
#include "tap.h"

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/chain.h"
#include "wallet/chain/rpc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* "Gives up" rather than hangs, not "is fast": generous enough for
 * valgrind and a busy machine. */
#define GIVES_UP_MS 60000

#define CHECK_HAS(msg, needle) \
	CHECK(strstr((msg), (needle)) != NULL, "'%s' lacks '%s'", (msg), (needle))

static char badnode_path[4096];

struct counts {
	int requests, replies, retries;
};

static void count_trace(void *ctx, enum rpc_trace_event ev, const char *text, size_t len)
{
	struct counts *n = ctx;

	(void)text;
	(void)len;
	if (ev == RPC_TRACE_REQUEST)
		n->requests++;
	else if (ev == RPC_TRACE_REPLY)
		n->replies++;
	else
		n->retries++;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- child processes -------------------------------------------------- */

struct proc {
	pid_t pid;
	int stdin_fd;		/* closing it tells badnode to go */
	unsigned port;
	char url[64];
};

/* Starts badnode in mode (with arg, or NULL) and reads its port. */
static int start_badnode(struct proc *p, const char *mode, const char *arg)
{
	int out[2], in[2];
	char line[32];
	struct pollfd pfd;
	ssize_t n = 0, r;

	memset(p, 0, sizeof(*p));
	if (pipe2(out, O_CLOEXEC) || pipe2(in, O_CLOEXEC))
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(badnode_path, "badnode", "-t", "30", mode, arg, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	close(in[0]);
	p->stdin_fd = in[1];
	pfd.fd = out[0];
	pfd.events = POLLIN;
	while (n < (ssize_t)sizeof(line) - 1 && !memchr(line, '\n', (size_t)n)) {
		if (poll(&pfd, 1, 5000) <= 0)
			break;
		if ((r = read(out[0], line + n, sizeof(line) - 1 - (size_t)n)) <= 0)
			break;
		n += r;
	}
	close(out[0]);
	line[n] = '\0';
	p->port = (unsigned)strtoul(line, NULL, 10);
	if (!p->port) {
		fprintf(stderr, "cannot start %s %s\n", badnode_path, mode);
		return -1;
	}
	snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%u", p->port);
	return 0;
}

static void stop(struct proc *p)
{
	if (p->pid > 0) {
		kill(p->pid, SIGTERM);
		waitpid(p->pid, NULL, 0);
	}
	if (p->stdin_fd > 0)
		close(p->stdin_fd);
	p->pid = 0;
	p->stdin_fd = 0;
}

/* A port nobody listens on: bound, read back, released. */
static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	unsigned port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* Small timeouts so every failure mode ends quickly. */
static rpc_client *open_fast(const char *url, int retries, long timeout_ms, struct counts *n)
{
	rpc_options o;
	rpc_client *c = NULL;
	ehr_err e;

	rpc_options_default(&o);
	o.connect_timeout_ms = 500;
	o.timeout_ms = timeout_ms;
	o.read_retries = retries;
	o.retry_base_ms = 10;
	o.max_reply_bytes = 1 << 20;
	o.batch_max = 100;
	o.trace = count_trace;
	o.trace_ctx = n;
	memset(n, 0, sizeof(*n));
	if (rpc_open(url, &o, &c, &e))
		fprintf(stderr, "rpc_open %s: %s\n", url, e.msg);
	return c;
}

/* ---- pure functions --------------------------------------------------- */

static void test_urls(void)
{
	static const char *const bad[] = {
		"ftp://127.0.0.1:8545", "127.0.0.1:8545", "http://", "ws://127.0.0.1:8546",
		"", "http://exa mple.com/",
	};
	rpc_client *c;
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(rpc_open(bad[i], NULL, &c, &e) == EHR_EUSAGE, "url '%s' accepted", bad[i]);
		CHECK(c == NULL, "client left for '%s'", bad[i]);
	}
	CHECK(rpc_open("HTTPS://node.example:8545", NULL, &c, &e) == 0, "%s", e.msg);
	rpc_close(c);

	CHECK(rpc_open("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef", NULL, &c, &e) == 0, "%s", e.msg);
	CHECK_STR(rpc_display_url(c), "https://mainnet.infura.io/v3/***");
	CHECK_STR(rpc_url(c), "https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef");
	rpc_close(c);

	CHECK(rpc_open("http://alice:s3cret@10.0.0.1:8545/rpc?apikey=xyz", NULL, &c, &e) == 0, "%s", e.msg);
	CHECK_STR(rpc_display_url(c), "http://***@10.0.0.1:8545/rpc?***");
	rpc_close(c);
}

static void test_options_env(void)
{
	rpc_options o;
	ehr_err e;
	rpc_client *c;

	rpc_options_default(&o);
	CHECK(o.timeout_ms > 0 && o.read_retries >= 0 && o.max_reply_bytes >= (1u << 20),
	      "defaults %ld %d %zu", o.timeout_ms, o.read_retries, o.max_reply_bytes);
	setenv("EHR_RPC_TIMEOUT", "2.5", 1);
	CHECK(rpc_options_env(&o, &e) == 0 && o.timeout_ms == 2500, "timeout %ld", o.timeout_ms);
	setenv("EHR_RPC_TIMEOUT", "soon", 1);
	CHECK(rpc_options_env(&o, &e) == EHR_EUSAGE && o.timeout_ms == 2500, "bad value taken");
	CHECK_HAS(e.msg, "EHR_RPC_TIMEOUT");
	CHECK(rpc_open("http://127.0.0.1:1", NULL, &c, &e) == EHR_EUSAGE, "open took a bad env");
	setenv("EHR_RPC_TIMEOUT", "0", 1);
	CHECK(rpc_options_env(&o, &e) == EHR_EUSAGE, "zero timeout taken");
	unsetenv("EHR_RPC_TIMEOUT");
	CHECK(rpc_options_env(&o, &e) == 0 && o.timeout_ms == 2500, "unset changed it");
}

static int parse_q(const char *s, uint8_t be[32], ehr_err *e)
{
	cJSON *j = cJSON_CreateString(s);
	int st = rpc_parse_quantity(j, be, e);

	cJSON_Delete(j);
	return st;
}

static int parse_u(const char *s, uint64_t *v, ehr_err *e)
{
	cJSON *j = cJSON_CreateString(s);
	int st = rpc_parse_u64(j, v, e);

	cJSON_Delete(j);
	return st;
}

static void test_quantities(void)
{
	static const char *const bad[] = {
		"", "0x", "ff", "0X1", "x1", "0xg", "0x1 ", " 0x1", "0x-1", "-0x1", "0x1.0",
	};
	uint8_t be[32], want[32];
	char text[200], q[19];
	uint64_t v, x = 0x9e3779b97f4a7c15ULL;
	ehr_err e;
	cJSON *j;
	size_t i;
	int k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse_q(bad[i], be, &e) == EHR_ENODE, "quantity '%s' accepted", bad[i]);
		CHECK(parse_u(bad[i], &v, &e) == EHR_ENODE, "u64 '%s' accepted", bad[i]);
	}
	CHECK_HAS(e.msg, "malformed quantity");
	j = cJSON_CreateNumber(5);
	CHECK(rpc_parse_u64(j, &v, &e) == EHR_ENODE, "a JSON number accepted");
	cJSON_Delete(j);
	j = cJSON_CreateNull();
	CHECK(rpc_parse_quantity(j, be, &e) == EHR_ENODE, "null accepted");
	cJSON_Delete(j);

	/* Random values against strtoull and hex_decode. */
	for (k = 0; k < 200; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v = 0;
		snprintf(text, sizeof(text), "0x%llx", (unsigned long long)(x >> (k % 64)));
		CHECK(parse_u(text, &v, &e) == 0 && v == strtoull(text, NULL, 16), "%s", text);
		rpc_u64_quantity(x >> (k % 64), q);
		CHECK_STR(q, text);
	}
	for (k = 0; k < 50; k++) {
		for (i = 0; i < 32; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			want[i] = (uint8_t)x;
		}
		hex_encode0x(want, 32, text);
		CHECK(parse_q(text, be, &e) == 0, "%s", e.msg);
		CHECK_MEM(be, want, 32);
	}
	CHECK(parse_q("0x0", be, &e) == 0, "0x0");
	memset(want, 0, 32);
	CHECK_MEM(be, want, 32);
	CHECK(parse_q("0x00000000000000000000000000000000000000000000000000000000000000000000000000abc", be, &e) == 0,
	      "leading zeros refused: %s", e.msg);
	want[30] = 0x0a;
	want[31] = 0xbc;
	CHECK_MEM(be, want, 32);
	CHECK(parse_q("0xFfFf", be, &e) == 0 && be[30] == 0xff && be[31] == 0xff, "mixed case");
	CHECK(parse_q("0x1ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", be, &e) == EHR_ENODE,
	      "257 bits accepted");
	CHECK_HAS(e.msg, "256 bits");
	CHECK(parse_u("0xffffffffffffffff", &v, &e) == 0 && v == UINT64_MAX, "u64 max");
	CHECK(parse_u("0x10000000000000000", &v, &e) == EHR_ENODE, "65 bits accepted");
	CHECK(parse_u("0x0000000000000000001", &v, &e) == 0 && v == 1, "u64 leading zeros");
	rpc_u64_quantity(0, q);
	CHECK_STR(q, "0x0");
}

/* ---- badnode ---------------------------------------------------------- */

/* Calls method with no params against a fresh badnode in mode. */
static int call_mode(const char *mode, const char *arg, int retries, long timeout_ms,
		     const char *method, struct counts *n, ehr_err *e, char *url, long *elapsed)
{
	struct proc p;
	rpc_client *c;
	cJSON *res = NULL;
	long t0;
	int st;

	if (start_badnode(&p, mode, arg))
		return -1;
	snprintf(url, 64, "%s", p.url);
	if (!(c = open_fast(p.url, retries, timeout_ms, n))) {
		stop(&p);
		return -1;
	}
	t0 = now_ms();
	st = rpc_call(c, method, NULL, &res, e);
	if (elapsed)
		*elapsed = now_ms() - t0;
	if (st)
		CHECK(res == NULL, "result left after failure in mode %s", mode);
	cJSON_Delete(res);
	rpc_close(c);
	stop(&p);
	return st;
}

static void test_unreachable(void)
{
	char url[64];
	rpc_client *c;
	struct counts n;
	ehr_err e;
	uint64_t v;
	long t0;

	snprintf(url, sizeof(url), "http://127.0.0.1:%u", free_port());
	c = open_fast(url, 2, 500, &n);
	t0 = now_ms();
	CHECK(rpc_chain_id(c, &v, &e) == EHR_ENODE, "chain id from nowhere");
	CHECK(now_ms() - t0 < GIVES_UP_MS, "took %ld ms", now_ms() - t0);
	CHECK_HAS(e.msg, "cannot reach node at ");
	CHECK_HAS(e.msg, url);
	CHECK_HAS(e.msg, "connection refused");
	CHECK_HAS(e.msg, "3 attempts");
	CHECK(n.requests == 3 && n.retries == 2, "%d requests, %d retries", n.requests, n.retries);
	rpc_close(c);
}

static void test_good(void)
{
	static const uint8_t one_ether[8] = { 0x0d, 0xe0, 0xb6, 0xb3, 0xa7, 0x64, 0x00, 0x00 };
	struct proc p;
	rpc_client *c;
	struct counts n;
	uint8_t addr[20] = { 0xf3, 0x9f }, be[32];
	uint64_t v = 0;
	cJSON *res, *params;
	ehr_err e;
	int i;

	if (start_badnode(&p, "good", NULL)) {
		CHECK(0, "badnode did not start");
		return;
	}
	c = open_fast(p.url, 0, 2000, &n);
	CHECK(rpc_chain_id(c, &v, &e) == 0 && v == 31337, "chain id %llu: %s", (unsigned long long)v, e.msg);
	CHECK(rpc_block_number(c, &v, &e) == 0 && v == 16, "block %llu", (unsigned long long)v);
	CHECK(rpc_get_balance(c, addr, NULL, be, &e) == 0, "%s", e.msg);
	CHECK(be[0] == 0 && !memcmp(be + 24, one_ether, 8), "balance");
	CHECK(rpc_get_balance(c, addr, "pending", be, &e) == 0, "%s", e.msg);
	CHECK(rpc_get_balance(c, addr, "0x1f", be, &e) == 0, "%s", e.msg);
	CHECK(rpc_get_balance(c, addr, "newest", be, &e) == EHR_EUSAGE, "bad tag accepted");
	CHECK(rpc_get_balance(c, addr, "0x01", be, &e) == EHR_EUSAGE, "padded tag accepted");

	CHECK(rpc_call(c, "web3_clientVersion", NULL, &res, &e) == 0 && cJSON_IsString(res),
	      "client version: %s", e.msg);
	CHECK_STR(cJSON_GetStringValue(res), "badnode/1.0");
	cJSON_Delete(res);

	params = cJSON_Parse("{\"a\":[1,2,{\"b\":\"c\"}],\"d\":null}");
	{
		cJSON *copy = cJSON_Duplicate(params, 1);

		CHECK(rpc_call(c, "echo", params, &res, &e) == 0, "%s", e.msg);
		CHECK(cJSON_Compare(res, copy, 1), "echo differs");
		cJSON_Delete(copy);
		cJSON_Delete(res);
	}
	CHECK(rpc_call(c, "eth_getTransactionByHash", cJSON_Parse("[\"0x00\"]"), &res, &e) == 0 &&
	      cJSON_IsNull(res), "a null result must be a JSON null item");
	cJSON_Delete(res);
	CHECK(rpc_call(c, "echo", cJSON_CreateString("x"), &res, &e) == EHR_EFAIL && !res,
	      "string params accepted");
	CHECK(rpc_call(c, "no_such_method", NULL, NULL, &e) == EHR_ECHAIN, "unknown method");
	CHECK(rpc_last_error_code(c) == -32601, "code %ld", rpc_last_error_code(c));
	CHECK(rpc_last_error_data(c) == NULL, "data without data");

	/* All of the above went over one kept-alive connection: many requests,
	 * and the good node's replies all arrived. */
	CHECK(n.requests == n.replies && n.requests >= 9, "%d requests, %d replies", n.requests, n.replies);

	/* A batch of 250 answered in reverse order, 100 per HTTP request. */
	{
		rpc_request r[250];
		char want[32];

		memset(&n, 0, sizeof(n));
		memset(r, 0, sizeof(r));
		for (i = 0; i < 250; i++) {
			r[i].method = "echo";
			r[i].params = cJSON_CreateArray();
			cJSON_AddItemToArray(r[i].params, cJSON_CreateNumber(i));
		}
		r[17].method = "revert";
		r[18].method = "eth_noSuchThing";
		CHECK(rpc_batch(c, r, 250, &e) == 0, "%s", e.msg);
		CHECK(n.requests == 3, "%d http requests for 250 calls", n.requests);
		for (i = 0; i < 250; i++) {
			CHECK(r[i].params == NULL, "params %d not taken", i);
			if (i == 17 || i == 18)
				continue;
			snprintf(want, sizeof(want), "[%d]", i);
			{
				char *got = cJSON_PrintUnformatted(r[i].result);

				CHECK(r[i].status == 0 && got && !strcmp(got, want), "request %d: %s", i,
				      got ? got : r[i].err.msg);
				free(got);
			}
		}
		CHECK(r[17].status == EHR_ECHAIN && !r[17].result, "revert in batch: %d", r[17].status);
		CHECK_STR(r[17].err.msg, "execution reverted: not owner");
		CHECK(r[17].error_code == 3, "code %ld", r[17].error_code);
		CHECK(r[17].error_data && !strncmp(r[17].error_data, "0x08c379a0", 10), "data %s",
		      r[17].error_data ? r[17].error_data : "(null)");
		CHECK(r[18].status == EHR_ECHAIN && r[18].error_code == -32601, "unknown in batch");
		for (i = 0; i < 250; i++)
			rpc_request_free(&r[i]);
		CHECK(rpc_batch(c, r, 0, &e) == 0, "empty batch");
	}
	rpc_close(c);
	stop(&p);
}

static void test_broken_replies(void)
{
	struct {
		const char *mode, *method, *needle;
		int retried;
	} cases[] = {
		{ "garbage", "eth_chainId", "not json: '<html><body>?[31m502", 0 },
		{ "truncated", "eth_chainId", "reply cut short", 1 },
		{ "cut", "eth_chainId", "not json", 0 },
		{ "wrong-id", "eth_chainId", "does not match request id", 0 },
		{ "bad-version", "eth_chainId", "\"jsonrpc\" is not \"2.0\"", 0 },
		{ "not-object", "eth_chainId", "not a json object", 0 },
		{ "huge", "eth_chainId", "reply larger than 1048576 bytes", 0 },
		{ "huge-length", "eth_chainId", "reply larger than 1048576 bytes", 0 },
	};
	struct counts n;
	char url[64], prefix[128];
	ehr_err e;
	long ms;
	size_t i;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		st = call_mode(cases[i].mode, NULL, 2, 2000, cases[i].method, &n, &e, url, &ms);
		CHECK(st == EHR_ENODE, "mode %s: status %d: %s", cases[i].mode, st, e.msg);
		if (st != EHR_ENODE)
			continue;
		snprintf(prefix, sizeof(prefix), "node at %s sent a malformed reply: ", url);
		CHECK(!strncmp(e.msg, prefix, strlen(prefix)), "mode %s: '%s'", cases[i].mode, e.msg);
		CHECK_HAS(e.msg, cases[i].needle);
		CHECK(!strchr(e.msg, '\x1b'), "escape character in '%s'", e.msg);
		CHECK(n.requests == (cases[i].retried ? 3 : 1), "mode %s: %d requests",
		      cases[i].mode, n.requests);
		CHECK(ms < 10000, "mode %s took %ld ms", cases[i].mode, ms);
	}
}

/* ---- log ranges ------------------------------------------------------- */

/* What a log scan saw: the blocks of its logs (badnode gives one per block,
 * its data the block number) and the spans of its eth_getLogs requests. */
struct log_scan {
	uint64_t blocks[64], spans[64];
	size_t n, n_spans;
	int in_order, widest_refused;
};

static void log_trace(void *ctx, enum rpc_trace_event ev, const char *text, size_t len)
{
	struct log_scan *s = ctx;
	const char *f, *t;

	(void)len;
	if (ev != RPC_TRACE_REQUEST || !strstr(text, "eth_getLogs") || s->n_spans == 64 ||
	    !(f = strstr(text, "\"fromBlock\":\"0x")) || !(t = strstr(text, "\"toBlock\":\"0x")))
		return;
	s->spans[s->n_spans++] = strtoull(t + 13, NULL, 16) - strtoull(f + 15, NULL, 16) + 1;
}

static int on_badnode_log(void *ctx, const chain_log *l)
{
	struct log_scan *s = ctx;

	if (s->n == 64 || l->data_len < 32 || l->block_number != l->data[31])
		return EHR_EFAIL;
	s->in_order &= !s->n || l->block_number == s->blocks[s->n - 1] + 1;
	s->blocks[s->n++] = l->block_number;
	return 0;
}

/* Blocks 0 to 16 of a badnode in mode (arg), read with replies capped at
 * 1 MiB; *st is chain_get_logs' status. */
static void scan_badnode(const char *mode, const char *arg, struct log_scan *s, int *st, ehr_err *e)
{
	struct proc p;
	rpc_options o;
	chain *c = NULL;

	memset(s, 0, sizeof(*s));
	s->in_order = 1;
	*st = -1;
	if (start_badnode(&p, mode, arg)) {
		CHECK(0, "badnode %s did not start", mode);
		stop(&p);
		return;
	}
	rpc_options_default(&o);
	o.max_reply_bytes = 1 << 20;
	o.retry_base_ms = 10;
	o.trace = log_trace;
	o.trace_ctx = s;
	if (chain_open(p.url, NULL, 31337, &o, &c, e) == 0) {
		chain_set_log_limits(c, 2000, 100000, 0);
		*st = chain_get_logs(c, NULL, NULL, 0, CHAIN_LATEST, on_badnode_log, s, e);
	} else {
		CHECK(0, "chain_open %s: %s", mode, e->msg);
	}
	chain_close(c);
	stop(&p);
}

/* A node that refuses wide ranges in the words of geth and erigon, or whose
 * reply for one is larger than ehr reads (36 invoices with 1 MB memos did
 * that to a patient's history): the range is split until it fits, and
 * every log comes once, in order. */
static void test_log_ranges(void)
{
	static const struct { const char *mode, *arg, *what; } cases[] = {
		{ "logs-results", "3", "'query returned more than 10000 results'" },
		{ "logs-range", "5", "'block range too large'" },
		{ "logs-big", "100000", "replies over 1 MiB (100 KB of data a log)" },
		{ "good", NULL, "no limit" },
	};
	struct log_scan s;
	ehr_err e = { 0 };
	size_t i, k;
	int st;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		scan_badnode(cases[i].mode, cases[i].arg, &s, &st, &e);
		CHECK(st == 0, "%s: %d %s", cases[i].what, st, e.msg);
		CHECK(s.n == 17 && s.in_order && s.blocks[0] == 0, "%s: blocks 0-16 once each, in order (%zu)",
		      cases[i].what, s.n);
		for (k = 1; k < s.n_spans && s.spans[k] < s.spans[k - 1]; k++)
			;
		if (strcmp(cases[i].mode, "good"))
			CHECK(s.n_spans > 2 && k > 1, "%s: the range was split (%zu requests, %llu blocks, then %llu)",
			      cases[i].what, s.n_spans, (unsigned long long)s.spans[0],
			      (unsigned long long)(s.n_spans > 1 ? s.spans[1] : 0));
		else
			CHECK(s.n_spans == 1, "%s: one request (%zu)", cases[i].what, s.n_spans);
	}
	/* one block whose reply alone is too large: a clear failure */
	scan_badnode("logs-big", "600000", &s, &st, &e);
	CHECK(st == EHR_ECHAIN && strstr(e.msg, "block 0 alone holds more logs than the node will return") &&
	      strstr(e.msg, "reply larger than 1048576 bytes"), "a block over the reply cap: %d %s", st, e.msg);
	CHECK(s.n == 0, "and no log was handed on (%zu)", s.n);
}

static void test_transport_failures(void)
{
	struct counts n;
	char url[64], want[128];
	ehr_err e;
	long ms;
	int st;

	st = call_mode("silent", NULL, 1, 300, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE, "silent: %d", st);
	snprintf(want, sizeof(want), "cannot reach node at %s: no reply within 300 ms", url);
	CHECK_HAS(e.msg, want);
	CHECK(n.requests == 2, "silent: %d requests", n.requests);
	CHECK(ms >= 600 && ms < 5000, "silent took %ld ms", ms);

	st = call_mode("close", NULL, 1, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE, "close: %d", st);
	snprintf(want, sizeof(want), "cannot reach node at %s: ", url);
	CHECK_HAS(e.msg, want);
	CHECK(n.requests == 2, "close: %d requests", n.requests);

	st = call_mode("http500", NULL, 2, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE, "http500: %d", st);
	snprintf(want, sizeof(want), "node at %s answered http 500: upstream exploded", url);
	CHECK_HAS(e.msg, want);
	CHECK(n.requests == 3, "http500: %d requests", n.requests);

	/* A send is not retried by rpc_call. */
	st = call_mode("http500", NULL, 2, 1000, "eth_sendTransaction", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE && n.requests == 1, "send retried: %d requests", n.requests);

	st = call_mode("http429", NULL, 1, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE && n.requests == 2, "http429: %d, %d requests", st, n.requests);
	CHECK_HAS(e.msg, "http 429: rate limit exceeded");

	st = call_mode("slow", "200", 0, 2000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == 0 && ms >= 200, "slow 200: %d after %ld ms: %s", st, ms, e.msg);
	st = call_mode("slow", "1500", 0, 300, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE && ms < 1400, "slow 1500 against 300 ms: %d after %ld ms", st, ms);
	CHECK_HAS(e.msg, "no reply within 300 ms");

	st = call_mode("flaky", "2", 3, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == 0, "flaky 2 with 3 retries: %s", e.msg);
	CHECK(n.requests == 3 && n.retries == 2, "flaky: %d requests", n.requests);
	st = call_mode("flaky", "5", 1, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ENODE && n.requests == 2, "flaky 5 with 1 retry: %d", st);
	CHECK_HAS(e.msg, "(2 attempts)");

	/* A JSON-RPC error is an answer: never retried. */
	st = call_mode("error", NULL, 3, 1000, "eth_call", &n, &e, url, &ms);
	CHECK(st == EHR_ECHAIN && n.requests == 1, "error: %d, %d requests", st, n.requests);
	CHECK_STR(e.msg, "execution reverted: not owner");
}

static void test_error_data(void)
{
	struct proc p;
	struct counts n;
	rpc_client *c;
	ehr_err e;
	uint8_t data[200];
	long len;

	if (start_badnode(&p, "error", NULL)) {
		CHECK(0, "badnode did not start");
		return;
	}
	c = open_fast(p.url, 0, 1000, &n);
	CHECK(rpc_call(c, "eth_call", NULL, NULL, &e) == EHR_ECHAIN, "%s", e.msg);
	CHECK(rpc_last_error_code(c) == 3, "code %ld", rpc_last_error_code(c));
	len = rpc_last_error_data(c) ? hex_decode(rpc_last_error_data(c), data, sizeof(data)) : -1;
	/* Error(string): selector, offset 32, length 9, "not owner". */
	CHECK(len == 4 + 32 * 3, "data length %ld", len);
	if (len == 100) {
		CHECK(!memcmp(data, "\x08\xc3\x79\xa0", 4), "selector");
		CHECK(data[4 + 31] == 32 && data[4 + 63] == 9, "offset and length");
		CHECK(!memcmp(data + 68, "not owner", 9), "reason");
	}
	/* The next successful call forgets it. */
	rpc_close(c);
	stop(&p);
}

static void test_batches(void)
{
	struct proc p;
	struct counts n;
	rpc_client *c;
	rpc_request r[20];
	ehr_err e;
	char want[128];
	int i, st;
	const char *modes[] = { "batch-dup", "batch-missing", "wrong-id", "garbage" };
	const char *needles[] = { "two replies with id", "no reply to request id",
				  "matches no request", "not json" };
	size_t m;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		if (start_badnode(&p, modes[m], NULL)) {
			CHECK(0, "badnode did not start");
			return;
		}
		c = open_fast(p.url, 0, 1000, &n);
		memset(r, 0, sizeof(r));
		for (i = 0; i < 5; i++)
			r[i].method = "eth_chainId";
		st = rpc_batch(c, r, 5, &e);
		CHECK(st == EHR_ENODE, "%s: %d", modes[m], st);
		snprintf(want, sizeof(want), "node at %s sent a malformed reply: ", p.url);
		CHECK_HAS(e.msg, want);
		CHECK_HAS(e.msg, needles[m]);
		for (i = 0; i < 5; i++) {
			CHECK(r[i].status == EHR_ENODE && !r[i].result, "%s: request %d: %d", modes[m], i,
			      r[i].status);
			rpc_request_free(&r[i]);
		}
		rpc_close(c);
		stop(&p);
	}

	/* A node with a batch limit of 7: 20 reads go through in halves. */
	if (start_badnode(&p, "batch-limit", "7") == 0) {
		c = open_fast(p.url, 0, 1000, &n);
		memset(r, 0, sizeof(r));
		for (i = 0; i < 20; i++) {
			r[i].method = "eth_getBalance";
			r[i].params = cJSON_Parse("[\"0x0000000000000000000000000000000000000001\",\"latest\"]");
		}
		CHECK(rpc_batch(c, r, 20, &e) == 0, "%s", e.msg);
		for (i = 0; i < 20; i++) {
			CHECK_STR(cJSON_GetStringValue(r[i].result), "0xde0b6b3a7640000");
			rpc_request_free(&r[i]);
		}
		CHECK(n.retries >= 1, "no halving seen");

		/* A send batch is not resent. */
		memset(r, 0, sizeof(r));
		for (i = 0; i < 9; i++) {
			r[i].method = "eth_sendRawTransaction";
			r[i].params = cJSON_Parse("[\"0x01\"]");
		}
		memset(&n, 0, sizeof(n));
		CHECK(rpc_batch(c, r, 9, &e) == EHR_ENODE && n.requests == 1, "send batch resent");
		CHECK_HAS(e.msg, "refused a batch of 9 requests: batch too large");
		for (i = 0; i < 9; i++) {
			CHECK(r[i].params == NULL, "params kept");
			rpc_request_free(&r[i]);
		}
		rpc_close(c);
		stop(&p);
	}

	/* A node without batches at all: single calls. */
	if (start_badnode(&p, "batch-limit", "0") == 0) {
		c = open_fast(p.url, 0, 1000, &n);
		memset(r, 0, sizeof(r));
		for (i = 0; i < 6; i++)
			r[i].method = i == 3 ? "eth_noSuchThing" : "eth_chainId";
		CHECK(rpc_batch(c, r, 6, &e) == 0, "%s", e.msg);
		for (i = 0; i < 6; i++) {
			if (i == 3) {
				CHECK(r[i].status == EHR_ECHAIN && r[i].error_code == -32601, "error alone");
			} else {
				CHECK_STR(cJSON_GetStringValue(r[i].result), "0x7a69");
			}
			rpc_request_free(&r[i]);
		}
		rpc_close(c);
		stop(&p);
	}
}

static void test_send_raw(void)
{
	static const uint8_t raw[] = { 0x02, 0xf8, 0x6c, 0x82, 0x7a, 0x69, 0x80, 0x01, 0x02, 0x03 };
	struct {
		const char *mode, *arg;
		int status, requests;
		const char *needle;
	} cases[] = {
		{ "good", NULL, 0, 1, NULL },
		{ "known", NULL, 0, 2, NULL },		/* send, then look the hash up */
		{ "nonce-low", NULL, EHR_ECHAIN, 2, "nonce too low: next nonce 5" },
		{ "other-hash", NULL, EHR_ENODE, 1, "gave another hash" },
		{ "flaky", "2", 0, 3, NULL },		/* re-sent twice, same bytes */
		{ "silent", NULL, EHR_ENODE, 3, "may have reached the node" },
		{ "error", NULL, EHR_ECHAIN, 1, "execution reverted" },
	};
	uint8_t hash[32], want[32];
	struct counts n;
	struct proc p;
	rpc_client *c;
	char url[64];
	ehr_err e;
	size_t i;
	int st;

	keccak256(raw, sizeof(raw), want);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (start_badnode(&p, cases[i].mode, cases[i].arg)) {
			CHECK(0, "badnode did not start");
			continue;
		}
		c = open_fast(p.url, 2, 300, &n);
		memset(hash, 0, sizeof(hash));
		st = rpc_send_raw(c, raw, sizeof(raw), hash, &e);
		CHECK(st == cases[i].status, "send in mode %s: %d: %s", cases[i].mode, st, e.msg);
		CHECK_MEM(hash, want, 32);
		CHECK(n.requests == cases[i].requests, "mode %s: %d requests", cases[i].mode, n.requests);
		if (cases[i].needle)
			CHECK_HAS(e.msg, cases[i].needle);
		rpc_close(c);
		stop(&p);
	}

	snprintf(url, sizeof(url), "http://127.0.0.1:%u", free_port());
	c = open_fast(url, 1, 300, &n);
	CHECK(rpc_send_raw(c, raw, sizeof(raw), hash, &e) == EHR_ENODE, "sent to nowhere");
	CHECK_HAS(e.msg, "connection refused");
	CHECK_HAS(e.msg, "was not sent");
	CHECK(rpc_send_raw(c, raw, 0, hash, &e) == EHR_EUSAGE, "empty transaction");
	rpc_close(c);
}

static void test_bad_quantities(void)
{
	struct proc p;
	struct counts n;
	rpc_client *c;
	ehr_err e;
	uint64_t v;
	uint8_t be[32], addr[20] = { 1 };
	char want[200];

	if (start_badnode(&p, "bad-quantity", NULL)) {
		CHECK(0, "badnode did not start");
		return;
	}
	c = open_fast(p.url, 0, 1000, &n);
	CHECK(rpc_chain_id(c, &v, &e) == EHR_ENODE, "0xzz accepted");
	snprintf(want, sizeof(want), "node at %s sent a malformed reply: eth_chainId: malformed quantity '0xzz': not hex", p.url);
	CHECK_STR(e.msg, want);
	CHECK(rpc_block_number(c, &v, &e) == EHR_ENODE, "12 accepted");
	CHECK_HAS(e.msg, "no 0x prefix");
	CHECK(rpc_get_balance(c, addr, NULL, be, &e) == EHR_ENODE, "65 digits accepted");
	CHECK_HAS(e.msg, "more than 256 bits");
	rpc_close(c);
	stop(&p);
}

/* Replies meant to hurt: terminal escapes, a swarm of values, and places
 * that are not nodes at all. */
static void test_hostile(void)
{
	struct proc p;
	struct counts n;
	rpc_client *c;
	rpc_options o;
	char url[64], want[128];
	ehr_err e;
	long ms, t0;
	size_t i, len;
	int st;

	st = call_mode("escape", NULL, 0, 1000, "eth_chainId", &n, &e, url, &ms);
	CHECK(st == EHR_ECHAIN, "escape: %d", st);
	len = strlen(e.msg);
	for (i = 0; i < len; i++)
		if ((unsigned char)e.msg[i] < 0x20 || (unsigned char)e.msg[i] >= 0x7f)
			break;
	CHECK(i == len, "byte 0x%02x at %zu of '%s'", (unsigned char)e.msg[i], i, e.msg);
	CHECK(!strncmp(e.msg, "bad?[2Jthing", 12), "'%s'", e.msg);
	CHECK(len <= 303 && len >= 3 && !strcmp(e.msg + len - 3, "..."), "length %zu", len);

	if (start_badnode(&p, "many-values", NULL) == 0) {
		rpc_options_default(&o);
		o.read_retries = 0;
		CHECK(rpc_open(p.url, &o, &c, &e) == 0, "%s", e.msg);
		CHECK(rpc_call(c, "eth_chainId", NULL, NULL, &e) == EHR_ENODE, "swarm accepted");
		CHECK_HAS(e.msg, "more than 2000000 json values");
		rpc_close(c);
		stop(&p);
	}

	c = open_fast("http://no-such-host.invalid:8545", 0, 500, &n);
	t0 = now_ms();
	CHECK(rpc_call(c, "eth_chainId", NULL, NULL, &e) == EHR_ENODE, "dns: %s", e.msg);
	CHECK_HAS(e.msg, "cannot reach node at http://no-such-host.invalid:8545: ");
	CHECK(now_ms() - t0 < GIVES_UP_MS, "dns took %ld ms", now_ms() - t0);
	rpc_close(c);

	/* TLS to a server that speaks plain HTTP. */
	if (start_badnode(&p, "good", NULL) == 0) {
		snprintf(url, sizeof(url), "https://127.0.0.1:%u", p.port);
		c = open_fast(url, 0, 500, &n);
		t0 = now_ms();
		CHECK(rpc_call(c, "eth_chainId", NULL, NULL, &e) == EHR_ENODE, "tls: %s", e.msg);
		snprintf(want, sizeof(want), "cannot reach node at %s: ", url);
		CHECK_HAS(e.msg, want);
		CHECK(now_ms() - t0 < GIVES_UP_MS, "tls took %ld ms", now_ms() - t0);
		rpc_close(c);

		/* A proxy in the environment is not used for loopback. */
		setenv("http_proxy", "http://127.0.0.1:1", 1);
		setenv("HTTP_PROXY", "http://127.0.0.1:1", 1);
		c = open_fast(p.url, 0, 1000, &n);
		CHECK(rpc_call(c, "eth_chainId", NULL, NULL, &e) == 0, "through a proxy: %s", e.msg);
		rpc_close(c);
		unsetenv("http_proxy");
		unsetenv("HTTP_PROXY");
		stop(&p);
	}
}

/* ---- a real node ------------------------------------------------------ */

static char *run(const char *cmd)
{
	FILE *f = popen(cmd, "r");
	char buf[8192];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	if (pclose(f) != 0)
		return NULL;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return strdup(buf);
}

static void be32_decimal(const uint8_t be[32], char out[80])
{
	uint8_t n[32];
	char tmp[80];
	size_t len = 0, i;
	int nonzero = 1;

	memcpy(n, be, 32);
	while (nonzero) {
		unsigned rem = 0;

		nonzero = 0;
		for (i = 0; i < 32; i++) {
			unsigned cur = rem << 8 | n[i];

			n[i] = (uint8_t)(cur / 10);
			rem = cur % 10;
			nonzero |= n[i];
		}
		tmp[len++] = (char)('0' + rem);
	}
	for (i = 0; i < len; i++)
		out[i] = tmp[len - 1 - i];
	out[len] = '\0';
}

static int start_anvil(const char *anvil, struct proc *p, char *log_path)
{
	int fd, waited;
	char buf[8192], *at;

	memset(p, 0, sizeof(*p));
	strcpy(log_path, "/tmp/ehr-test-anvil-XXXXXX");
	if ((fd = mkstemp(log_path)) < 0)
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execl(anvil, "anvil", "--host", "127.0.0.1", "--port", "0", (char *)NULL);
		_exit(127);
	}
	for (waited = 0; waited < 300; waited++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

		buf[n > 0 ? n : 0] = '\0';
		if ((at = strstr(buf, "Listening on 127.0.0.1:"))) {
			p->port = (unsigned)strtoul(at + 23, NULL, 10);
			break;
		}
		if (waitpid(p->pid, NULL, WNOHANG) == p->pid) {
			p->pid = 0;
			break;
		}
		usleep(100000);
	}
	close(fd);
	if (!p->port)
		return -1;
	snprintf(p->url, sizeof(p->url), "http://127.0.0.1:%u", p->port);
	return 0;
}

static void test_anvil(void)
{
	static const char *const dev[] = {
		"f39fd6e51aad88f6f4ce6ab8827279cfffb92266", "70997970c51812dc3a010c7d01b50e0d17dc79c8",
		"3c44cdddb6a900fa2b585dd299e03d12fa4293bc",
	};
	const char *tools = getenv("EHR_TOOLS");
	char anvil[4096], cast[4096], cmd[8192], log_path[64], dec[80], *out, *raw_hex;
	struct proc p;
	struct counts n;
	rpc_client *c;
	rpc_request r[300];
	uint8_t addr[20], be[32], hash[32], hash2[32], raw[1024];
	uint64_t v;
	ehr_err e;
	long len;
	int i, ok;

	snprintf(anvil, sizeof(anvil), "%s/anvil", tools && *tools ? tools : "tests/node_modules/.bin");
	snprintf(cast, sizeof(cast), "%s/cast", tools && *tools ? tools : "tests/node_modules/.bin");
	if (access(anvil, X_OK) || access(cast, X_OK)) {
		printf("skip: anvil tests: %s or %s not found (make deps)\n", anvil, cast);
		return;
	}
	if (start_anvil(anvil, &p, log_path)) {
		CHECK(0, "anvil did not start (log %s)", log_path);
		stop(&p);
		return;
	}
	c = open_fast(p.url, 2, 10000, &n);

	CHECK(rpc_chain_id(c, &v, &e) == 0 && v == 31337, "anvil chain id %llu: %s",
	      (unsigned long long)v, e.msg);
	CHECK(rpc_block_number(c, &v, &e) == 0, "%s", e.msg);
	snprintf(cmd, sizeof(cmd), "%s block-number --rpc-url %s", cast, p.url);
	out = run(cmd);
	CHECK(out && strtoull(out, NULL, 10) == v, "block %llu, cast says %s", (unsigned long long)v,
	      out ? out : "nothing");
	free(out);

	for (i = 0; i < 3; i++) {
		hex_decode(dev[i], addr, 20);
		CHECK(rpc_get_balance(c, addr, "latest", be, &e) == 0, "%s", e.msg);
		be32_decimal(be, dec);
		snprintf(cmd, sizeof(cmd), "%s balance 0x%s --rpc-url %s", cast, dev[i], p.url);
		out = run(cmd);
		CHECK(out && !strcmp(out, dec), "balance %s, cast says %s", dec, out ? out : "nothing");
		free(out);
	}

	/* 300 calls in batches of 100. */
	memset(r, 0, sizeof(r));
	for (i = 0; i < 300; i++) {
		char a[64];

		if (i % 3 == 0) {
			r[i].method = "eth_chainId";
			continue;
		}
		r[i].method = "eth_getBalance";
		snprintf(a, sizeof(a), "0x%s", dev[i % 3]);
		r[i].params = cJSON_CreateArray();
		cJSON_AddItemToArray(r[i].params, cJSON_CreateString(a));
		cJSON_AddItemToArray(r[i].params, cJSON_CreateString("latest"));
	}
	memset(&n, 0, sizeof(n));
	CHECK(rpc_batch(c, r, 300, &e) == 0, "anvil batch: %s", e.msg);
	CHECK(n.requests == 3, "%d http requests", n.requests);
	for (ok = 0, i = 0; i < 300; i++) {
		if (i % 3 == 0) {
			ok += r[i].status == 0 && cJSON_IsString(r[i].result) &&
			      !strcmp(r[i].result->valuestring, "0x7a69");
		} else {
			uint8_t single[32];

			hex_decode(dev[i % 3], addr, 20);
			ok += r[i].status == 0 && rpc_parse_quantity(r[i].result, be, &e) == 0 &&
			      rpc_get_balance(c, addr, NULL, single, &e) == 0 && !memcmp(be, single, 32);
		}
		rpc_request_free(&r[i]);
	}
	CHECK(ok == 300, "%d of 300 batch answers right", ok);

	/* A revert with data: creation code that reverts with 0xdeadbeef. */
	CHECK(rpc_call(c, "eth_call", cJSON_Parse("[{\"data\":\"0x63deadbeef60e01b60005260046000fd\"},\"latest\"]"),
		       NULL, &e) == EHR_ECHAIN, "revert: %s", e.msg);
	CHECK(rpc_last_error_data(c) && !strcmp(rpc_last_error_data(c), "0xdeadbeef"), "revert data %s",
	      rpc_last_error_data(c) ? rpc_last_error_data(c) : "(null)");

	/* A transaction signed by cast: the hash matches cast's keccak; the same
	 * bytes again are "already known"/"nonce too low" and still succeed; a
	 * different transaction with the same nonce is refused. */
	snprintf(cmd, sizeof(cmd),
		 "%s mktx --rpc-url %s --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
		 " --nonce 0 0x%s --value 12345", cast, p.url, dev[1]);
	raw_hex = run(cmd);
	len = raw_hex ? hex_decode(raw_hex, raw, sizeof(raw)) : -1;
	CHECK(len > 0, "cast mktx gave %s", raw_hex ? raw_hex : "nothing");
	if (len > 0) {
		char hex[67];

		CHECK(rpc_send_raw(c, raw, (size_t)len, hash, &e) == 0, "send: %s", e.msg);
		hex_encode0x(hash, 32, hex);
		snprintf(cmd, sizeof(cmd), "%s keccak %s", cast, raw_hex);
		out = run(cmd);
		CHECK(out && !strcasecmp(out, hex), "hash %s, cast keccak %s", hex, out ? out : "nothing");
		free(out);
		CHECK(rpc_send_raw(c, raw, (size_t)len, hash2, &e) == 0, "resend: %s", e.msg);
		CHECK_MEM(hash, hash2, 32);

		snprintf(cmd, sizeof(cmd),
			 "%s mktx --rpc-url %s --private-key 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
			 " --nonce 0 0x%s --value 54321", cast, p.url, dev[1]);
		free(raw_hex);
		raw_hex = run(cmd);
		len = raw_hex ? hex_decode(raw_hex, raw, sizeof(raw)) : -1;
		CHECK(len > 0 && rpc_send_raw(c, raw, (size_t)len, hash2, &e) == EHR_ECHAIN,
		      "same nonce, other transaction: %s", e.msg);
		CHECK(memcmp(hash, hash2, 32) != 0, "two transactions, one hash");
	}
	free(raw_hex);

	rpc_close(c);
	stop(&p);
	CHECK(waitpid(-1, NULL, WNOHANG) <= 0, "a child left behind");
	unlink(log_path);
}

int main(int argc, char **argv)
{
	const char *dir = getenv("EHR_TOOLS_DIR");
	char *slash;

	signal(SIGPIPE, SIG_IGN);
	if (dir && *dir) {
		snprintf(badnode_path, sizeof(badnode_path), "%s/badnode", dir);
	} else {
		snprintf(badnode_path, sizeof(badnode_path), "%s", argv[0]);
		slash = strrchr(badnode_path, '/');
		snprintf(slash ? slash + 1 : badnode_path,
			 sizeof(badnode_path) - (size_t)(slash ? slash + 1 - badnode_path : 0),
			 "tools/badnode");
	}
	(void)argc;

	test_urls();
	test_options_env();
	test_quantities();
	test_unreachable();
	if (access(badnode_path, X_OK)) {
		CHECK(0, "%s not found: build it with make %s", badnode_path, badnode_path);
	} else {
		test_good();
		test_broken_replies();
		test_transport_failures();
		test_error_data();
		test_batches();
		test_send_raw();
		test_hostile();
		test_bad_quantities();
		test_log_ranges();
	}
	test_anvil();
	return tap_done();
}
