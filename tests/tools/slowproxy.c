/* slowproxy: a loopback HTTP proxy in front of a real node (anvil) that
 * delays, drops, loses or fails chosen JSON-RPC requests, for the fault
 * tests of ehr against a node that misbehaves in the middle of a command.
 *
 *   slowproxy [-t SECONDS] [-d MS] [-x LIST] [-l LIST] [-e LIST] [-s LIST]
 *             [-k ADDR=KEY] PORT
 *
 * Binds 127.0.0.1 (a free port), prints that port and a newline on stdout,
 * and forwards every HTTP request to 127.0.0.1:PORT, one child process per
 * client connection (keep-alive on both sides). Requests are numbered from 1
 * across all connections, in the order they arrive; what happens to one is
 * chosen by its number:
 *   -d MS     every reply is held MS milliseconds before it is passed on
 *   -x LIST   dropped reply: the request reaches the node, its answer does not
 *             come back (the connection is closed instead)
 *   -l LIST   lost request: the connection is closed before it is forwarded
 *   -e LIST   error: a JSON-RPC error (-32603 "proxy: internal error") for each
 *             request object, batches included; the node never sees it
 *   -s LIST   stall: the connection is held open without an answer
 * LIST is numbers and ranges: "3", "1,4", "2-5", "7-" (7 and every later one).
 * And whatever the number:
 *   -k ADDR=KEY  a hostile node: every answer to the registry's
 *             accountOf(ADDR) (eth_call, batches included) says the
 *             account's encryption key is KEY (64 hex digits), the rest of
 *             the answer as the node gave it; logged as "rewrote"
 *
 * Each request is logged on stderr as one line, "N ACTION method...". The
 * proxy exits after SECONDS (default 60) or when its parent dies; its
 * children die with it. Nothing but 127.0.0.1 is ever bound or dialled. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/chain/abi.h"

#define MAX_MESSAGE (64u << 20)

struct list {
	long lo[16], hi[16];	/* hi -1: no upper end */
	int n;
};

static struct list drop, lose, fail, stall;
static long delay_ms;
static unsigned lifetime = 60;
static unsigned short upstream_port;
static long *counter;		/* shared by every child */
static char rewrite_call[2 + 8 + 64 + 1];  /* "0x" selector, ADDR's word; "" when off */
static char rewrite_key[65];

static int parse_list(const char *s, struct list *l)
{
	char *end;

	while (*s) {
		if (l->n == 16)
			return -1;
		l->lo[l->n] = strtol(s, &end, 10);
		if (end == s || l->lo[l->n] < 1)
			return -1;
		l->hi[l->n] = l->lo[l->n];
		s = end;
		if (*s == '-') {
			s++;
			if (isdigit((unsigned char)*s)) {
				l->hi[l->n] = strtol(s, &end, 10);
				s = end;
			} else {
				l->hi[l->n] = -1;
			}
		}
		l->n++;
		if (*s == ',')
			s++;
		else if (*s)
			return -1;
	}
	return 0;
}

static int in_list(const struct list *l, long k)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (k >= l->lo[i] && (l->hi[i] < 0 || k <= l->hi[i]))
			return 1;
	return 0;
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

/* A growing buffer of what one side sent. */
struct buf {
	char *p;
	size_t len, cap;
};

static int fill(int fd, struct buf *b)
{
	ssize_t n;

	if (b->len + 65536 + 1 > b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 131072;
		char *p;

		if (cap > MAX_MESSAGE || !(p = realloc(b->p, cap)))
			return -1;
		b->p = p;
		b->cap = cap;
	}
	do
		n = recv(fd, b->p + b->len, b->cap - b->len - 1, 0);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return -1;
	b->len += (size_t)n;
	b->p[b->len] = '\0';
	return 0;
}

static void consume(struct buf *b, size_t n)
{
	memmove(b->p, b->p + n, b->len - n);
	b->len -= n;
	if (b->p)
		b->p[b->len] = '\0';
}

static const char *header(const char *head, size_t head_len, const char *name)
{
	size_t n = strlen(name);
	const char *p = head, *end = head + head_len;

	while ((p = strstr(p, "\r\n")) && p + 2 < end) {
		p += 2;
		if (!strncasecmp(p, name, n) && p[n] == ':')
			return p + n + 1;
	}
	return NULL;
}

/* Reads one whole HTTP message (headers and a Content-Length or chunked
 * body) from fd into b; returns its length in b, or -1 at end or error.
 * A reply without either is read to the end of the connection. */
static long read_message(int fd, struct buf *b, int is_reply)
{
	char *end;
	size_t head_len, total;
	const char *v;

	while (!(end = b->len ? strstr(b->p, "\r\n\r\n") : NULL))
		if (fill(fd, b))
			return -1;
	head_len = (size_t)(end - b->p) + 4;
	if ((v = header(b->p, head_len, "Content-Length"))) {
		total = head_len + strtoul(v, NULL, 10);
		if (total > MAX_MESSAGE)
			return -1;
		while (b->len < total)
			if (fill(fd, b))
				return -1;
		return (long)total;
	}
	if ((v = header(b->p, head_len, "Transfer-Encoding")) && strstr(v, "chunked")) {
		size_t at = head_len;

		for (;;) {
			char *nl;
			unsigned long size;

			while (!(nl = strstr(b->p + at, "\r\n")))
				if (fill(fd, b))
					return -1;
			size = strtoul(b->p + at, NULL, 16);
			at = (size_t)(nl - b->p) + 2 + size + 2;
			if (at > MAX_MESSAGE)
				return -1;
			while (b->len < at)
				if (fill(fd, b))
					return -1;
			if (!size)
				return (long)at;
		}
	}
	if (!is_reply)
		return (long)head_len;
	while (!fill(fd, b))
		;
	return (long)b->len;
}

/* The methods a request body names, for the log. */
static void methods_of(const char *body, char *out, size_t cap)
{
	cJSON *j = cJSON_Parse(body), *it;
	size_t len = 0;

	out[0] = '\0';
	if (!j)
		return;
	if (cJSON_IsObject(j)) {
		it = cJSON_GetObjectItem(j, "method");
		snprintf(out, cap, "%s", cJSON_IsString(it) ? it->valuestring : "?");
	} else {
		cJSON_ArrayForEach(it, j) {
			const cJSON *m = cJSON_GetObjectItem(it, "method");
			int n = snprintf(out + len, cap - len, "%s%s", len ? "," : "[",
					 cJSON_IsString(m) ? m->valuestring : "?");

			if (n < 0 || (size_t)n >= cap - len)
				break;
			len += (size_t)n;
		}
		if (len + 2 < cap)
			strcat(out, "]");
	}
	cJSON_Delete(j);
}

static cJSON *error_reply(const cJSON *req)
{
	cJSON *r = cJSON_CreateObject(), *err = cJSON_CreateObject();
	const cJSON *id = cJSON_GetObjectItem(req, "id");

	cJSON_AddStringToObject(r, "jsonrpc", "2.0");
	cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
	cJSON_AddNumberToObject(err, "code", -32603);
	cJSON_AddStringToObject(err, "message", "proxy: internal error");
	cJSON_AddItemToObject(r, "error", err);
	return r;
}

static int send_error(int fd, const char *body)
{
	cJSON *j = cJSON_Parse(body), *out, *it;
	char head[200], *text;
	int rc;

	if (j && cJSON_IsArray(j)) {
		out = cJSON_CreateArray();
		cJSON_ArrayForEach(it, j)
			cJSON_AddItemToArray(out, error_reply(it));
	} else {
		out = error_reply(j);
	}
	cJSON_Delete(j);
	text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	if (!text)
		return -1;
	snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\n\r\n", strlen(text));
	rc = send_all(fd, head, strlen(head)) || send_all(fd, text, strlen(text)) ? -1 : 0;
	free(text);
	return rc;
}

static int dial_upstream(void)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(upstream_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* -k ADDR=KEY: the accountOf(ADDR) call data to look for, and KEY. */
static int parse_rewrite(const char *arg)
{
	const char *eq = strchr(arg, '=');
	uint8_t sel[4], addr[20], key[32];
	char word[65], hex[43];

	if (!eq || eq - arg != 42)
		return -1;
	memcpy(hex, arg, 42);
	hex[42] = '\0';
	if (strncmp(hex, "0x", 2) || hex_decode_exact(hex, addr, 20) ||
	    strlen(eq + 1) != 64 || hex_decode_exact(eq + 1, key, 32) ||
	    abi_selector("accountOf(address)", sel, NULL))
		return -1;
	memset(word, '0', 24);
	hex_encode(addr, 20, word + 24);
	strcpy(rewrite_call, "0x");
	hex_encode(sel, 4, rewrite_call + 2);
	strcat(rewrite_call, word);
	hex_encode(key, 32, rewrite_key);
	return 0;
}

/* Whether the request object asks accountOf(ADDR) of -k. */
static int asks_account(const cJSON *req)
{
	const cJSON *m = cJSON_GetObjectItem(req, "method"), *params = cJSON_GetObjectItem(req, "params");
	const cJSON *call = cJSON_GetArrayItem(params, 0), *data;

	if (!cJSON_IsString(m) || strcmp(m->valuestring, "eth_call") || !cJSON_IsObject(call))
		return 0;
	data = cJSON_GetObjectItem(call, "input");
	if (!cJSON_IsString(data))
		data = cJSON_GetObjectItem(call, "data");
	return cJSON_IsString(data) && !strcasecmp(data->valuestring, rewrite_call);
}

/* The answer of id among replies (an object or a batch). */
static cJSON *answer_of(cJSON *replies, const cJSON *id)
{
	cJSON *r;

	if (cJSON_IsObject(replies))
		return replies;
	cJSON_ArrayForEach(r, replies) {
		cJSON *rid = cJSON_GetObjectItem(r, "id");

		if (rid && id && cJSON_Compare(rid, id, 1))
			return r;
	}
	return NULL;
}

/* The reply (len bytes in b, with a Content-Length) with each answer to
 * accountOf(ADDR) in body's requests given KEY; 1 when one was, with the
 * new reply in *out (malloc'd) and *out_len. */
static int rewrite_reply(const char *body, const char *reply, size_t len, char **out, size_t *out_len)
{
	cJSON *reqs = cJSON_Parse(body), *replies = NULL, *it;
	const char *rbody = strstr(reply, "\r\n\r\n");
	char head[200], *text;
	int n = 0;

	*out = NULL;
	if (!reqs || !rbody || !(replies = cJSON_ParseWithLength(rbody + 4, len - (size_t)(rbody + 4 - reply))))
		goto out;
	if (cJSON_IsObject(reqs)) {
		cJSON *wrap = cJSON_CreateArray();

		cJSON_AddItemToArray(wrap, reqs);
		reqs = wrap;
	}
	cJSON_ArrayForEach(it, reqs) {
		cJSON *a = asks_account(it) ? answer_of(replies, cJSON_GetObjectItem(it, "id")) : NULL;
		cJSON *res = a ? cJSON_GetObjectItem(a, "result") : NULL;

		if (cJSON_IsString(res) && strlen(res->valuestring) >= 66) {
			memcpy(res->valuestring + 2, rewrite_key, 64);
			n++;
		}
	}
	if (n && (text = cJSON_PrintUnformatted(replies))) {
		snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", strlen(text));
		*out_len = strlen(head) + strlen(text);
		if ((*out = malloc(*out_len + 1)))
			sprintf(*out, "%s%s", head, text);
		free(text);
	}
out:
	cJSON_Delete(reqs);
	cJSON_Delete(replies);
	return *out != NULL;
}

/* Hides the request's Accept-Encoding (same length, so nothing moves): a
 * reply to rewrite must come as plain JSON. */
static void no_encoding(char *msg, size_t head_len)
{
	char *p = msg;

	while ((p = strcasestr(p, "\r\nAccept-Encoding:")) && (size_t)(p - msg) < head_len)
		memcpy(p + 2, "X-Not-Encoding:", 15);
}

/* With -k: the node's reply (r bytes in up) to the request (n bytes in
 * in, its body at body) goes to cfd with its accountOf answers rewritten,
 * when it has any: 1 when sent so, 0 when there were none (the caller
 * passes the reply on as it is), -1 when sending failed. */
static int send_rewritten(int cfd, long k, struct buf *in, long n, const char *body, struct buf *up, long r)
{
	char *fake, keep_in = in->p[n], keep_up = up->p[r], line[64];
	size_t fake_len;
	int rewrote, bad;

	in->p[n] = '\0';
	up->p[r] = '\0';
	rewrote = rewrite_reply(body, up->p, (size_t)r, &fake, &fake_len);
	in->p[n] = keep_in;
	up->p[r] = keep_up;
	if (!rewrote)
		return 0;
	snprintf(line, sizeof(line), "%ld rewrote accountOf\n", k);
	bad = write(2, line, strlen(line)) < 0 || send_all(cfd, fake, fake_len);
	free(fake);
	return bad ? -1 : 1;
}

static void serve(int cfd)
{
	struct buf in = { 0 }, up = { 0 };
	int ufd = -1;

	for (;;) {
		long n = read_message(cfd, &in, 0), r, k;
		int sent = 0;
		char methods[512], line[700];
		const char *body, *action;
		char saved;

		if (n < 0)
			break;
		k = __atomic_add_fetch(counter, 1, __ATOMIC_SEQ_CST);
		body = strstr(in.p, "\r\n\r\n") + 4;
		saved = in.p[n];
		in.p[n] = '\0';
		methods_of(body, methods, sizeof(methods));
		in.p[n] = saved;
		action = in_list(&lose, k) ? "lost" : in_list(&fail, k) ? "error" :
			 in_list(&stall, k) ? "stalled" : in_list(&drop, k) ? "dropped" : "passed";
		snprintf(line, sizeof(line), "%ld %s %s\n", k, action, methods);
		if (write(2, line, strlen(line)) < 0)
			break;
		if (!strcmp(action, "lost"))
			break;
		if (!strcmp(action, "stalled")) {
			for (;;)
				pause();
		}
		if (!strcmp(action, "error")) {
			saved = in.p[n];
			in.p[n] = '\0';
			r = send_error(cfd, body);
			in.p[n] = saved;
			consume(&in, (size_t)n);
			if (r)
				break;
			continue;
		}
		if (ufd < 0 && (ufd = dial_upstream()) < 0)
			break;
		if (rewrite_call[0])
			no_encoding(in.p, (size_t)(body - in.p));
		if (send_all(ufd, in.p, (size_t)n))
			break;
		if ((r = read_message(ufd, &up, 1)) < 0)
			break;
		if (!strcmp(action, "dropped"))
			break;
		if (delay_ms)
			sleep_ms(delay_ms);
		if (rewrite_call[0] && (sent = send_rewritten(cfd, k, &in, n, body, &up, r)) < 0)
			break;
		consume(&in, (size_t)n);
		if (!sent && send_all(cfd, up.p, (size_t)r))
			break;
		consume(&up, (size_t)r);
	}
	free(in.p);
	free(up.p);
	if (ufd >= 0)
		close(ufd);
	close(cfd);
}

static void usage(void)
{
	fprintf(stderr, "usage: slowproxy [-t SECONDS] [-d MS] [-x LIST] [-l LIST] [-e LIST] "
		"[-s LIST] [-k ADDR=KEY] PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int lfd, opt, one = 1;

	while ((opt = getopt(argc, argv, "t:d:x:l:e:s:k:")) != -1) {
		switch (opt) {
		case 't': lifetime = (unsigned)strtoul(optarg, NULL, 10); break;
		case 'd': delay_ms = strtol(optarg, NULL, 10); break;
		case 'x': if (parse_list(optarg, &drop)) usage(); break;
		case 'l': if (parse_list(optarg, &lose)) usage(); break;
		case 'e': if (parse_list(optarg, &fail)) usage(); break;
		case 's': if (parse_list(optarg, &stall)) usage(); break;
		case 'k': if (parse_rewrite(optarg)) usage(); break;
		default: usage();
		}
	}
	if (optind != argc - 1 || !lifetime || delay_ms < 0)
		usage();
	upstream_port = (unsigned short)strtoul(argv[optind], NULL, 10);
	if (!upstream_port)
		usage();
	counter = mmap(NULL, sizeof(*counter), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counter == MAP_FAILED)
		return 1;
	*counter = 0;
	signal(SIGCHLD, SIG_IGN);	/* children are reaped by the kernel */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	alarm(lifetime);
	if ((lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(lfd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(lfd, 64) < 0 ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen) < 0)
		return 1;
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	for (;;) {
		int cfd = accept(lfd, NULL, NULL);

		if (cfd < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		switch (fork()) {
		case 0:
			close(lfd);
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			alarm(lifetime);
			setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			serve(cfd);
			_exit(0);
		case -1:
			close(cfd);
			break;
		default:
			close(cfd);
		}
	}
}
