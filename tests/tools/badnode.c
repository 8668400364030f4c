/* badnode: a loopback HTTP server that plays a JSON-RPC node, well or badly,
 * for the tests of the RPC client.
 *
 *   badnode [-p PORT] [-t SECONDS] MODE [N]
 *
 * Binds 127.0.0.1 (port 0: any free one), prints the port and a newline on
 * stdout, then serves, one child process per connection, with HTTP/1.1
 * keep-alive. It exits after SECONDS (default 60), when its parent dies, or
 * when stdin is a pipe and the other end closes; its children die with it.
 *
 * A good node answers eth_chainId (0x7a69), net_version, eth_blockNumber
 * (0x10), web3_clientVersion, eth_gasPrice, eth_getBalance (1 ether),
 * eth_getTransactionByHash (null), eth_sendRawTransaction (the keccak of the
 * raw bytes), echo (its params), revert (an Error(string) revert); anything
 * else is "method not found". Batches are answered in reverse order.
 *
 * MODE:
 *   good           as above
 *   garbage        200 with an HTML page (and an escape character) for a body
 *   truncated      half of a good reply, Content-Length of all of it, close
 *   cut            half of a good reply, no Content-Length, close
 *   wrong-id       a good reply with another id
 *   bad-version    "jsonrpc": "1.0"
 *   not-object     the body 42
 *   silent         reads the request, never answers
 *   close          closes each connection at once
 *   huge           a body that never ends
 *   huge-length    announces a terabyte
 *   error          every call fails with an Error(string) revert
 *   http500        HTTP 500
 *   http429        HTTP 429 with a JSON-RPC error body
 *   slow N         good answers after N ms
 *   flaky N        closes the first N connections, then good
 *   batch-dup      a batch reply with an id twice
 *   batch-missing  a batch reply without its last element
 *   batch-limit N  refuses batches of more than N (geth's way), else good
 *   known          sends answer "already known"; the node has the tx
 *   nonce-low      sends answer "nonce too low"; the node lacks the tx
 *   other-hash     sends return a hash that is not the transaction's
 *   bad-quantity   chainId "0xzz", blockNumber "12", balance of 65 digits
 *   escape         an error message with terminal escapes, non-ASCII, 1000 bytes
 *   many-values    a result of three million zeros (6 MB)
 *
 * eth_getLogs answers one log per block of the range asked (blocks up to the
 * head, 0x10), its data the block number in one word; and in these modes:
 *   logs-results N a range of more than N blocks: "query returned more than
 *                  10000 results" (geth's, infura's words; code -32000)
 *   logs-range N   a range of more than N blocks: "block range too large"
 *   logs-big N     each log carries N bytes of data after its first word, so
 *                  a wide range makes a large reply
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"

#define MAX_REQUEST (64u << 20)

static const char *mode = "good";
static long mode_n;
static unsigned lifetime = 60;

static int is(const char *m)
{
	return !strcmp(mode, m);
}

static int send_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_reply(int fd, int code, const char *reason, const char *extra,
		      const char *body, size_t len)
{
	char head[512];

	snprintf(head, sizeof(head),
		 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n%sContent-Length: %zu\r\n\r\n",
		 code, reason, extra ? extra : "", len);
	if (send_all(fd, head, strlen(head)))
		return -1;
	return send_all(fd, body, len);
}

/* The ABI encoding of Error(string) for msg, as 0x hex. */
static char *revert_data(const char *msg)
{
	size_t n = strlen(msg), words = (n + 31) / 32, len = 4 + 64 + 32 * words, i;
	unsigned char *b = calloc(1, len);
	char *hex = malloc(2 * len + 3);
	static const unsigned char selector[4] = { 0x08, 0xc3, 0x79, 0xa0 };

	memcpy(b, selector, 4);
	b[4 + 31] = 0x20;
	for (i = 0; i < 8; i++)
		b[4 + 63 - i] = (unsigned char)((unsigned long long)n >> (8 * i));
	memcpy(b + 68, msg, n);
	hex_encode0x(b, len, hex);
	free(b);
	return hex;
}

static cJSON *error_object(int code, const char *msg, const char *data)
{
	cJSON *err = cJSON_CreateObject();

	cJSON_AddNumberToObject(err, "code", code);
	cJSON_AddStringToObject(err, "message", msg);
	if (data)
		cJSON_AddStringToObject(err, "data", data);
	return err;
}

static cJSON *first_param(const cJSON *req)
{
	return cJSON_GetArrayItem(cJSON_GetObjectItem(req, "params"), 0);
}

static uint64_t block_param(const cJSON *filter, const char *name, uint64_t dflt)
{
	const cJSON *v = cJSON_GetObjectItem(filter, name);

	if (!cJSON_IsString(v) || strncmp(v->valuestring, "0x", 2))
		return dflt;
	return strtoull(v->valuestring + 2, NULL, 16);
}

/* eth_getLogs: a log per block from fromBlock to toBlock (at most the head,
 * 16), or the refusal of a logs-* mode. */
static cJSON *logs_answer(const cJSON *filter, cJSON **err)
{
	uint64_t from = block_param(filter, "fromBlock", 0), to = block_param(filter, "toBlock", 16), b;
	size_t extra = is("logs-big") ? (size_t)mode_n : 0;
	unsigned char word[32] = { 0 }, hash[32];
	char *data, hex[67];
	cJSON *logs, *l, *topics;

	if (to > 16)
		to = 16;
	if (from <= to && to - from + 1 > (uint64_t)mode_n && (is("logs-results") || is("logs-range"))) {
		*err = error_object(-32000, is("logs-results") ? "query returned more than 10000 results"
				    : "block range too large", NULL);
		return NULL;
	}
	if (!(data = malloc(2 * (32 + extra) + 3)))
		return NULL;
	logs = cJSON_CreateArray();
	for (b = from; b <= to; b++) {
		l = cJSON_CreateObject();
		cJSON_AddStringToObject(l, "address", "0x1111111111111111111111111111111111111111");
		topics = cJSON_AddArrayToObject(l, "topics");
		memset(hash, 0x22, 32);
		hex_encode0x(hash, 32, hex);
		cJSON_AddItemToArray(topics, cJSON_CreateString(hex));
		word[31] = (unsigned char)b;
		hex_encode0x(word, 32, data);
		memset(data + 66, 'a', 2 * extra);
		data[66 + 2 * extra] = '\0';
		cJSON_AddStringToObject(l, "data", data);
		snprintf(hex, sizeof(hex), "0x%llx", (unsigned long long)b);
		cJSON_AddStringToObject(l, "blockNumber", hex);
		cJSON_AddStringToObject(l, "transactionIndex", "0x0");
		cJSON_AddStringToObject(l, "logIndex", "0x0");
		memset(hash, (int)b + 1, 32);
		hex_encode0x(hash, 32, hex);
		cJSON_AddStringToObject(l, "blockHash", hex);
		cJSON_AddStringToObject(l, "transactionHash", hex);
		cJSON_AddFalseToObject(l, "removed");
		cJSON_AddItemToArray(logs, l);
	}
	free(data);
	return logs;
}

/* The answer of this node to one request object. */
static cJSON *answer(const cJSON *req)
{
	const cJSON *m = cJSON_GetObjectItem(req, "method");
	const char *method = cJSON_IsString(m) ? m->valuestring : "";
	cJSON *r = cJSON_CreateObject(), *result = NULL, *err = NULL, *p;
	char buf[200];

	cJSON_AddStringToObject(r, "jsonrpc", is("bad-version") ? "1.0" : "2.0");
	cJSON_AddItemToObject(r, "id", cJSON_Duplicate(cJSON_GetObjectItem(req, "id"), 1));

	if (is("escape")) {
		char msg[1100];

		snprintf(msg, sizeof(msg), "bad\x1b[2Jthing\xc2\x9b" "31m\x07 %0990d", 7);
		err = error_object(-32000, msg, NULL);
	} else if (is("error") || !strcmp(method, "revert")) {
		char *data = revert_data("not owner");

		err = error_object(3, "execution reverted: not owner", data);
		free(data);
	} else if (is("bad-quantity") && !strcmp(method, "eth_chainId")) {
		result = cJSON_CreateString("0xzz");
	} else if (is("bad-quantity") && !strcmp(method, "eth_blockNumber")) {
		result = cJSON_CreateString("12");
	} else if (is("bad-quantity") && !strcmp(method, "eth_getBalance")) {
		result = cJSON_CreateString("0x10000000000000000000000000000000000000000000000000000000000000000");
	} else if (!strcmp(method, "eth_chainId")) {
		result = cJSON_CreateString("0x7a69");
	} else if (!strcmp(method, "net_version")) {
		result = cJSON_CreateString("31337");
	} else if (!strcmp(method, "eth_blockNumber")) {
		result = cJSON_CreateString("0x10");
	} else if (!strcmp(method, "web3_clientVersion")) {
		result = cJSON_CreateString("badnode/1.0");
	} else if (!strcmp(method, "eth_gasPrice")) {
		result = cJSON_CreateString("0x3b9aca00");
	} else if (!strcmp(method, "eth_getBalance")) {
		result = cJSON_CreateString("0xde0b6b3a7640000");
	} else if (!strcmp(method, "eth_getLogs")) {
		result = logs_answer(first_param(req), &err);
		if (!result && !err)
			err = error_object(-32603, "out of memory", NULL);
	} else if (!strcmp(method, "echo")) {
		p = cJSON_GetObjectItem(req, "params");
		result = p ? cJSON_Duplicate(p, 1) : cJSON_CreateNull();
	} else if (!strcmp(method, "eth_getTransactionByHash")) {
		p = first_param(req);
		if (is("known") && cJSON_IsString(p)) {
			result = cJSON_CreateObject();
			cJSON_AddStringToObject(result, "hash", p->valuestring);
			cJSON_AddNullToObject(result, "blockNumber");
		} else {
			result = cJSON_CreateNull();
		}
	} else if (!strcmp(method, "eth_sendRawTransaction")) {
		unsigned char *raw, hash[32];
		char hex[67];
		long n;

		p = first_param(req);
		if (is("known")) {
			err = error_object(-32000, "already known", NULL);
		} else if (is("nonce-low")) {
			err = error_object(-32000, "nonce too low: next nonce 5, tx nonce 4", NULL);
		} else if (!cJSON_IsString(p)) {
			err = error_object(-32602, "invalid params", NULL);
		} else {
			raw = malloc(strlen(p->valuestring) / 2 + 1);
			n = raw ? hex_decode(p->valuestring, raw, strlen(p->valuestring) / 2 + 1) : -1;
			if (n < 0) {
				err = error_object(-32602, "invalid raw transaction", NULL);
			} else {
				keccak256(raw, (size_t)n, hash);
				if (is("other-hash"))
					hash[0] ^= 1;
				hex_encode0x(hash, 32, hex);
				result = cJSON_CreateString(hex);
			}
			free(raw);
		}
	} else {
		snprintf(buf, sizeof(buf), "the method %.100s does not exist/is not available", method);
		err = error_object(-32601, buf, NULL);
	}
	if (err)
		cJSON_AddItemToObject(r, "error", err);
	else
		cJSON_AddItemToObject(r, "result", result);
	if (is("wrong-id")) {
		double id = cJSON_GetNumberValue(cJSON_GetObjectItem(r, "id"));

		cJSON_ReplaceItemInObject(r, "id", cJSON_CreateNumber(id + 1000));
	}
	return r;
}

/* The JSON text answering a request body; caller frees. */
static char *respond(const char *body, size_t len)
{
	cJSON *req = cJSON_ParseWithLength(body, len), *out, *el;
	char *text;
	int n, i;

	if (is("not-object")) {
		cJSON_Delete(req);
		return strdup("42");
	}
	if (is("many-values")) {
		const cJSON *id = cJSON_GetObjectItem(req, "id");
		size_t zeros = 3000000, k;
		char *big = malloc(2 * zeros + 100);
		int n0;

		if (big) {
			n0 = sprintf(big, "{\"jsonrpc\":\"2.0\",\"id\":%.0f,\"result\":[",
				     cJSON_GetNumberValue(id));
			for (k = 0; k < zeros; k++)
				memcpy(big + n0 + 2 * k, "0,", 2);
			strcpy(big + n0 + 2 * zeros - 1, "]}");
		}
		cJSON_Delete(req);
		return big;
	}
	if (!req) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "jsonrpc", "2.0");
		cJSON_AddNullToObject(out, "id");
		cJSON_AddItemToObject(out, "error", error_object(-32700, "parse error", NULL));
	} else if (cJSON_IsArray(req)) {
		n = cJSON_GetArraySize(req);
		out = cJSON_CreateArray();
		if (is("batch-limit") && n > mode_n) {
			el = cJSON_CreateObject();
			cJSON_AddStringToObject(el, "jsonrpc", "2.0");
			cJSON_AddItemToObject(el, "id", cJSON_Duplicate(
				cJSON_GetObjectItem(cJSON_GetArrayItem(req, 0), "id"), 1));
			cJSON_AddItemToObject(el, "error", error_object(-32600, "batch too large", NULL));
			cJSON_AddItemToArray(out, el);
		} else {
			for (i = n - 1; i >= 0; i--) {
				if (is("batch-missing") && i == n - 1)
					continue;
				cJSON_AddItemToArray(out, answer(cJSON_GetArrayItem(req, i)));
			}
			if (is("batch-dup") && n >= 2)
				cJSON_ReplaceItemInObject(cJSON_GetArrayItem(out, 1), "id",
					cJSON_Duplicate(cJSON_GetObjectItem(cJSON_GetArrayItem(out, 0), "id"), 1));
		}
	} else {
		out = answer(req);
	}
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	cJSON_Delete(req);
	return text;
}

/* Reads one HTTP request; returns its body length (body at *body within
 * *buf), or -1 at EOF or on error. *used is how much of buf it took. */
static long read_request(int fd, char **buf, size_t *have, size_t *cap, size_t *used,
			 const char **body)
{
	char *end;
	size_t head, clen = 0;
	int continued = 0;

	for (;;) {
		*buf = *buf ? *buf : malloc(*cap = 65536);
		if (!*buf)
			return -1;
		(*buf)[*have] = '\0';
		end = strstr(*buf, "\r\n\r\n");
		if (end) {
			const char *cl = strcasestr(*buf, "\r\ncontent-length:");

			head = (size_t)(end - *buf) + 4;
			if (cl && cl < end)
				clen = strtoul(cl + 17, NULL, 10);
			if (clen > MAX_REQUEST)
				return -1;
			if (!continued && strcasestr(*buf, "\r\nexpect: 100-continue") &&
			    *have < head + clen) {
				continued = 1;
				if (send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
					return -1;
			}
			if (*have >= head + clen) {
				*body = *buf + head;
				*used = head + clen;
				return (long)clen;
			}
		}
		if (*have + 1 >= *cap) {
			char *p;

			if (*cap >= MAX_REQUEST + 65536 || !(p = realloc(*buf, *cap * 2)))
				return -1;
			*buf = p;
			*cap *= 2;
		}
		ssize_t n = recv(fd, *buf + *have, *cap - 1 - *have, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		*have += (size_t)n;
	}
}

static void serve(int fd, long conn_no)
{
	char *buf = NULL, *text;
	const char *body;
	size_t have = 0, cap = 0, used;
	long len;

	if (is("close") || (is("flaky") && conn_no <= mode_n))
		return;
	while ((len = read_request(fd, &buf, &have, &cap, &used, &body)) >= 0) {
		if (is("silent")) {
			for (;;)
				pause();
		}
		if (is("slow")) {
			struct timespec ts = { mode_n / 1000, (mode_n % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
		if (is("garbage")) {
			static const char page[] = "<html><body>\x1b[31m502 bad gateway</body></html>\n";

			send_reply(fd, 200, "OK", NULL, page, sizeof(page) - 1);
		} else if (is("http500")) {
			send_reply(fd, 500, "Internal Server Error", NULL, "upstream exploded", 17);
		} else if (is("http429")) {
			static const char rl[] =
				"{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":429,\"message\":\"rate limit exceeded\"}}";

			send_reply(fd, 429, "Too Many Requests", NULL, rl, sizeof(rl) - 1);
		} else if (is("huge") || is("huge-length")) {
			static char chunk[65536];
			const char *head = is("huge")
				? "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n["
				: "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000000\r\n\r\n[";
			size_t i;

			for (i = 0; i + 2 <= sizeof(chunk); i += 2)
				memcpy(chunk + i, "1,", 2);
			if (send_all(fd, head, strlen(head)) == 0)
				while (send_all(fd, chunk, sizeof(chunk)) == 0)
					;
			break;
		} else {
			if (!(text = respond(body, (size_t)len)))
				break;
			if (is("truncated")) {
				char head[200];
				size_t n = strlen(text);

				snprintf(head, sizeof(head),
					 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n", n);
				send_all(fd, head, strlen(head));
				send_all(fd, text, n / 2);
				free(text);
				break;
			}
			if (is("cut")) {
				static const char head[] =
					"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n";

				send_all(fd, head, sizeof(head) - 1);
				send_all(fd, text, strlen(text) / 2);
				free(text);
				break;
			}
			send_reply(fd, 200, "OK", NULL, text, strlen(text));
			free(text);
		}
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	free(buf);
}

static int usage(void)
{
	fprintf(stderr, "usage: badnode [-p PORT] [-t SECONDS] MODE [N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = {
		"good", "garbage", "truncated", "cut", "wrong-id", "bad-version", "not-object",
		"silent", "close", "huge", "huge-length", "error", "http500", "http429", "slow",
		"flaky", "batch-dup", "batch-missing", "batch-limit", "known", "nonce-low",
		"other-hash", "bad-quantity", "escape", "many-values", "logs-results", "logs-range",
		"logs-big",
	};
	struct sockaddr_in sa;
	socklen_t salen = sizeof(sa);
	struct pollfd pfd[2];
	struct stat st;
	pid_t parent = getppid();
	long port = 0, conn_no = 0;
	int opt, lfd, one = 1, watch_stdin, nfds;
	size_t i;

	while ((opt = getopt(argc, argv, "p:t:")) != -1) {
		if (opt == 'p')
			port = strtol(optarg, NULL, 10);
		else if (opt == 't')
			lifetime = (unsigned)strtoul(optarg, NULL, 10);
		else
			return usage();
	}
	if (optind < argc)
		mode = argv[optind++];
	if (optind < argc)
		mode_n = strtol(argv[optind++], NULL, 10);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (is(modes[i]))
			break;
	if (i == sizeof(modes) / sizeof(modes[0]) || optind < argc || port < 0 || port > 65535 ||
	    !lifetime)
		return usage();

	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN);	/* children are reaped by the kernel */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		return 1;
	alarm(lifetime);

	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		perror("badnode: socket");
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 64) ||
	    getsockname(lfd, (struct sockaddr *)&sa, &salen)) {
		perror("badnode: bind");
		return 1;
	}
	printf("%u\n", ntohs(sa.sin_port));
	fflush(stdout);

	watch_stdin = fstat(0, &st) == 0 && S_ISFIFO(st.st_mode);
	pfd[0].fd = lfd;
	pfd[0].events = POLLIN;
	pfd[1].fd = 0;
	pfd[1].events = POLLIN;
	nfds = watch_stdin ? 2 : 1;
	for (;;) {
		int fd;
		pid_t pid;

		if (poll(pfd, (nfds_t)nfds, -1) < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		if (nfds == 2 && pfd[1].revents) {
			char c;

			if (read(0, &c, 1) <= 0)
				return 0;
		}
		if (!(pfd[0].revents & POLLIN))
			continue;
		if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
			continue;
		conn_no++;
		pid = fork();
		if (pid == 0) {
			close(lfd);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(lifetime);
			serve(fd, conn_no);
			close(fd);
			_exit(0);
		}
		close(fd);
	}
}
