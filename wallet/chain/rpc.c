#include "wallet/chain/rpc.h"

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#ifndef EHR_VERSION
#define EHR_VERSION "0"
#endif

#define NODE_MSG_MAX 300		/* bytes of a node's message we repeat */
#define BACKOFF_CAP_MS 8000
#define RETRY_AFTER_CAP_MS 10000
#define BODY_KEEP_MAX (1u << 20)	/* larger reply buffers are freed after use */
#define ID_MAX 9007199254740991.0	/* 2^53 - 1: ids must survive a double */
/* cJSON spends about 64 bytes per value, so "[0,0,0,...]" would cost 32
 * times its size; far more values than any real reply holds are refused. */
#define MAX_JSON_VALUES 2000000

struct rpc_client {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char *shown;		/* redacted url for messages */
	char *noproxy;
	rpc_options opt;
	uint64_t next_id;
	uint64_t rng;

	char *body;		/* the reply being read, NUL-terminated */
	size_t len, cap;
	int overflow, oom;

	/* how the last HTTP exchange failed */
	int transient;		/* a retry may help */
	int delivered;		/* the request may have reached the node */
	long retry_after_ms;

	long err_code;
	char *err_data;
	char errbuf[CURL_ERROR_SIZE];
};

void rpc_options_default(rpc_options *opt)
{
	memset(opt, 0, sizeof(*opt));
	opt->connect_timeout_ms = 10000;
	opt->timeout_ms = 30000;
	opt->read_retries = 3;
	opt->retry_base_ms = 250;
	opt->max_reply_bytes = (size_t)64 << 20;
	opt->batch_max = 200;
}

int rpc_options_env(rpc_options *opt, ehr_err *e)
{
	const char *s = getenv("EHR_RPC_TIMEOUT");
	char *end;
	double v;

	if (!s || !*s)
		return 0;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !isfinite(v) || v <= 0 || v > 86400)
		return ehr_fail(e, EHR_EUSAGE,
				"EHR_RPC_TIMEOUT: expected a number of seconds, got '%.40s'", s);
	opt->timeout_ms = (long)(v * 1000 + 0.5);
	if (opt->timeout_ms < 1)
		opt->timeout_ms = 1;
	return 0;
}

/* Copies node-supplied text for an error message: control characters and
 * non-ASCII bytes (which a terminal could take for escape sequences) become
 * '?', runs of white space one space, and long text is cut with "...". */
static void clean_text(char *out, size_t cap, const char *in, size_t len, size_t max)
{
	size_t i, o = 0;
	int space = 0;

	if (max > cap - 4)
		max = cap - 4;
	for (i = 0; i < len && o < max; i++) {
		unsigned char ch = (unsigned char)in[i];

		if (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r') {
			if (!space && o > 0)
				out[o++] = ' ';
			space = 1;
			continue;
		}
		space = 0;
		out[o++] = (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	while (o > 0 && out[o - 1] == ' ')
		o--;
	if (i < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

static int malformed(rpc_client *c, ehr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int malformed(rpc_client *c, ehr_err *e, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ehr_fail(e, EHR_ENODE, "node at %s sent a malformed reply: %s", c->shown, why);
}

static int out_of_memory(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

/* ---- opening ---------------------------------------------------------- */

static int secretish_segment(const char *s, size_t n)
{
	size_t i;

	if (n < 20)
		return 0;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
			return 0;
	}
	return 1;
}

/* Appends path to out, each API-key-like segment replaced by "***". */
static void redact_path(char *out, size_t cap, const char *path)
{
	const char *p = path;

	while (*p) {
		const char *slash = strchr(p + 1, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		size_t have = strlen(out);

		if (*p == '/' && secretish_segment(p + 1, n - 1))
			snprintf(out + have, cap - have, "/***");
		else
			snprintf(out + have, cap - have, "%.*s", (int)n, p);
		p += n;
	}
}

static int parse_url(rpc_client *c, const char *url, ehr_err *e)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *path = NULL, *query = NULL;
	char shown[1024];
	int st = 0;

	if (!u)
		return out_of_memory(e);
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
		st = ehr_fail(e, EHR_EUSAGE,
			      "invalid rpc url: expected http://HOST[:PORT][/PATH] or https://...");
		goto out;
	}
	if (strcasecmp(scheme, "http") && strcasecmp(scheme, "https")) {
		st = ehr_fail(e, EHR_EUSAGE,
			      "invalid rpc url: scheme '%.20s' is not http or https", scheme);
		goto out;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);

	snprintf(shown, sizeof(shown), "%s://%s%s%s%s", scheme, user ? "***@" : "",
		 host, port ? ":" : "", port ? port : "");
	if (path && strcmp(path, "/"))
		redact_path(shown, sizeof(shown), path);
	if (query) {
		size_t have = strlen(shown);

		snprintf(shown + have, sizeof(shown) - have, "?***");
	}
	if (!(c->shown = strdup(shown)) || !(c->url = strdup(url)))
		st = out_of_memory(e);
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return st;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	rpc_client *c = ud;
	size_t n = size * nmemb;

	if (n > c->opt.max_reply_bytes - c->len) {
		c->overflow = 1;
		return 0;	/* curl stops reading at once */
	}
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 16384;
		char *p;

		while (cap < c->len + n + 1)
			cap *= 2;
		if (cap > c->opt.max_reply_bytes + 1)
			cap = c->opt.max_reply_bytes + 1;
		if (!(p = realloc(c->body, cap))) {
			c->oom = 1;
			return 0;
		}
		c->body = p;
		c->cap = cap;
	}
	memcpy(c->body + c->len, data, n);
	c->len += n;
	c->body[c->len] = '\0';
	return n;
}

/* Loopback never goes through a proxy (tests and local nodes), whatever
 * http_proxy says; other hosts follow the usual environment. */
static char *noproxy_list(void)
{
	const char *env = getenv("NO_PROXY");
	char *s;

	if (!env || !*env)
		env = getenv("no_proxy");
	if (env && !strcmp(env, "*"))
		return strdup("*");
	if (asprintf(&s, "%s%slocalhost,127.0.0.1,::1", env && *env ? env : "",
		     env && *env ? "," : "") < 0)
		return NULL;
	return s;
}

static int valid_options(const rpc_options *o)
{
	return o->connect_timeout_ms > 0 && o->timeout_ms > 0 && o->read_retries >= 0 &&
	       o->read_retries <= 20 && o->retry_base_ms >= 0 && o->max_reply_bytes >= 16 &&
	       o->max_reply_bytes < SIZE_MAX / 4 && o->batch_max >= 1;
}

int rpc_open(const char *url, const rpc_options *opt, rpc_client **out, ehr_err *e)
{
	rpc_client *c;
	struct timespec ts;
	int st, bad = 0;

	*out = NULL;
	if (!url)
		return ehr_fail(e, EHR_EUSAGE, "invalid rpc url: none given");
	if (!(c = calloc(1, sizeof(*c))))
		return out_of_memory(e);
	if (opt) {
		c->opt = *opt;
	} else {
		rpc_options_default(&c->opt);
		if ((st = rpc_options_env(&c->opt, e)))
			goto fail;
	}
	if (!valid_options(&c->opt)) {
		st = ehr_fail(e, EHR_EFAIL, "rpc: invalid client options");
		goto fail;
	}
	if ((st = parse_url(c, url, e)))
		goto fail;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		st = ehr_fail(e, EHR_EFAIL, "cannot start libcurl");
		goto fail;
	}
	c->next_id = 1;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = ((uint64_t)ts.tv_sec * 1000000007u) ^ (uint64_t)ts.tv_nsec ^
		 ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 1;

	if (!(c->curl = curl_easy_init())) {
		curl_global_cleanup();
		st = ehr_fail(e, EHR_EFAIL, "cannot start libcurl");
		goto fail;
	}
	c->headers = curl_slist_append(NULL, "Content-Type: application/json");
	c->headers = c->headers ? curl_slist_append(c->headers, "Accept: application/json") : NULL;
	/* Without this, curl waits up to a second for "100 Continue" before
	 * posting a large batch to a server that never sends it. */
	c->headers = c->headers ? curl_slist_append(c->headers, "Expect:") : NULL;
	c->noproxy = noproxy_list();
	if (!c->headers || !c->noproxy) {
		st = out_of_memory(e);
		goto fail;
	}
	bad |= curl_easy_setopt(c->curl, CURLOPT_URL, c->url) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_USERAGENT, "ehr/" EHR_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_POST, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, c) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_CONNECTTIMEOUT_MS, c->opt.connect_timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_TIMEOUT_MS, c->opt.timeout_ms) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_MAXFILESIZE_LARGE,
				(curl_off_t)c->opt.max_reply_bytes) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_NOPROXY, c->noproxy) != CURLE_OK;
	bad |= curl_easy_setopt(c->curl, CURLOPT_ERRORBUFFER, c->errbuf) != CURLE_OK;
	if (bad) {
		st = ehr_fail(e, EHR_EFAIL, "libcurl refused an option (it is older than 7.85?)");
		goto fail;
	}
	*out = c;
	return 0;
fail:
	rpc_close(c);
	return st;
}

void rpc_close(rpc_client *c)
{
	if (!c)
		return;
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		curl_global_cleanup();
	}
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->shown);
	free(c->noproxy);
	free(c->body);
	free(c->err_data);
	free(c);
}

const char *rpc_url(const rpc_client *c)
{
	return c->url;
}

const char *rpc_display_url(const rpc_client *c)
{
	return c->shown;
}

long rpc_last_error_code(const rpc_client *c)
{
	return c->err_code;
}

const char *rpc_last_error_data(const rpc_client *c)
{
	return c->err_data;
}

static void clear_last_error(rpc_client *c)
{
	c->err_code = 0;
	free(c->err_data);
	c->err_data = NULL;
}

/* ---- one HTTP exchange ------------------------------------------------ */

static void trace(rpc_client *c, enum rpc_trace_event ev, const char *text, size_t len)
{
	if (c->opt.trace)
		c->opt.trace(c->opt.trace_ctx, ev, text, len);
}

/* curl's messages start with a capital; ours do not, unless it is an
 * acronym ("SSL certificate problem" stays). */
static void lower_first(char *s)
{
	if (s[0] >= 'A' && s[0] <= 'Z' && !(s[1] >= 'A' && s[1] <= 'Z'))
		s[0] = (char)(s[0] - 'A' + 'a');
}

static const char *connect_failure(long os_errno)
{
	switch (os_errno) {
	case ECONNREFUSED:
		return "connection refused";
	case ENETUNREACH:
		return "network unreachable";
	case EHOSTUNREACH:
		return "host unreachable";
	case ETIMEDOUT:
		return "connection timed out";
	default:
		return "cannot connect";
	}
}

static int transport_error(rpc_client *c, CURLcode rc, ehr_err *e)
{
	char detail[CURL_ERROR_SIZE + 8] = "";
	long os_errno = 0;
	curl_off_t connect_us = 0;

	if (c->oom)
		return out_of_memory(e);
	if (c->errbuf[0]) {
		size_t n = strlen(c->errbuf);

		while (n > 0 && (c->errbuf[n - 1] == '\n' || c->errbuf[n - 1] == '.'))
			c->errbuf[--n] = '\0';
		lower_first(c->errbuf);
		clean_text(detail + 2, sizeof(detail) - 2, c->errbuf, n, 200);
		detail[0] = ':';
		detail[1] = ' ';
	}
	curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c->curl, CURLINFO_CONNECT_TIME_T, &connect_us);
	c->delivered = connect_us > 0;
	c->transient = 1;

	switch (rc) {
	case CURLE_COULDNT_CONNECT:
		c->delivered = 0;
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: %s", c->shown,
				connect_failure(os_errno));
	case CURLE_COULDNT_RESOLVE_HOST:
		c->delivered = 0;
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: host name not found",
				c->shown);
	case CURLE_COULDNT_RESOLVE_PROXY:
		c->delivered = 0;
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: proxy host name not found",
				c->shown);
	case CURLE_OPERATION_TIMEDOUT:
		if (!c->delivered)
			return ehr_fail(e, EHR_ENODE,
					"cannot reach node at %s: no connection within %ld ms",
					c->shown, c->opt.connect_timeout_ms);
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: no reply within %ld ms",
				c->shown, c->opt.timeout_ms);
	case CURLE_GOT_NOTHING:
		return ehr_fail(e, EHR_ENODE,
				"cannot reach node at %s: connection closed without a reply", c->shown);
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: %s", c->shown,
				os_errno == ECONNRESET ? "connection reset" : "connection lost");
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: http/2 error%s",
				c->shown, detail);
	case CURLE_PARTIAL_FILE:
		return malformed(c, e, "reply cut short after %zu bytes", c->len);
	default:
		break;
	}

	c->transient = 0;
	switch (rc) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (c->overflow || rc == CURLE_FILESIZE_EXCEEDED)
			return malformed(c, e, "reply larger than %zu bytes", c->opt.max_reply_bytes);
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		return malformed(c, e, "bad content encoding%s", detail);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return malformed(c, e, "not an http reply%s", detail);
	case CURLE_OUT_OF_MEMORY:
		return out_of_memory(e);
	case CURLE_PEER_FAILED_VERIFICATION:
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: tls certificate not trusted%s",
				c->shown, detail);
	case CURLE_SSL_CONNECT_ERROR:
		c->delivered = 0;
		return ehr_fail(e, EHR_ENODE, "cannot reach node at %s: tls handshake failed%s",
				c->shown, detail);
	default:
		break;
	}
	if (!detail[0]) {
		snprintf(c->errbuf, sizeof(c->errbuf), "%s", curl_easy_strerror(rc));
		lower_first(c->errbuf);
		snprintf(detail, sizeof(detail), ": %s", c->errbuf);
	}
	return ehr_fail(e, EHR_ENODE, "cannot reach node at %s%s", c->shown, detail);
}

static int http_error(rpc_client *c, long code, ehr_err *e)
{
	char detail[NODE_MSG_MAX + 8] = "";
	/* Error pages are small; a big one is not worth parsing for a reason. */
	cJSON *root = c->len <= 65536 ? cJSON_ParseWithLength(c->body, c->len) : NULL;
	const cJSON *err = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(err, "message");
	curl_off_t retry_after = -1;

	if (cJSON_IsString(msg))
		clean_text(detail + 2, sizeof(detail) - 2, msg->valuestring,
			   strlen(msg->valuestring), NODE_MSG_MAX);
	else if (cJSON_IsString(err))
		clean_text(detail + 2, sizeof(detail) - 2, err->valuestring,
			   strlen(err->valuestring), NODE_MSG_MAX);
	else
		clean_text(detail + 2, sizeof(detail) - 2, c->body, c->len, 80);
	if (detail[2]) {
		detail[0] = ':';
		detail[1] = ' ';
	}
	cJSON_Delete(root);

	c->delivered = 1;
	c->transient = code == 429 || (code >= 500 && code != 501 && code != 505);
	if (code == 429 && curl_easy_getinfo(c->curl, CURLINFO_RETRY_AFTER, &retry_after) ==
	    CURLE_OK && retry_after > 0)
		c->retry_after_ms = retry_after > RETRY_AFTER_CAP_MS / 1000 ?
				    RETRY_AFTER_CAP_MS : (long)retry_after * 1000;
	if (code == 401 || code == 403)
		return ehr_fail(e, EHR_ENODE,
				"node at %s refused access (http %ld; check the url's api key)%s",
				c->shown, code, detail);
	return ehr_fail(e, EHR_ENODE, "node at %s answered http %ld%s", c->shown, code, detail);
}

/* Posts one request body; on success c->body holds the reply. */
static int post(rpc_client *c, const char *req, size_t len, ehr_err *e)
{
	CURLcode rc;
	long code = 0;

	c->len = 0;
	c->overflow = c->oom = 0;
	c->transient = c->delivered = 0;
	c->retry_after_ms = 0;
	c->errbuf[0] = '\0';
	if (!c->body) {
		if (!(c->body = malloc(16384)))
			return out_of_memory(e);
		c->cap = 16384;
	}
	c->body[0] = '\0';

	trace(c, RPC_TRACE_REQUEST, req, len);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c->curl);
	if (c->len)
		trace(c, RPC_TRACE_REPLY, c->body, c->len);
	if (rc != CURLE_OK)
		return transport_error(c, rc, e);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299)
		return http_error(c, code, e);
	c->delivered = 1;
	if (!c->len)
		return malformed(c, e, "empty reply (http %ld)", code);
	return 0;
}

static uint64_t next_random(rpc_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dULL;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Waits before attempt number attempt + 1: exponential, half of it random
 * so that many clients do not come back in step. */
static void back_off(rpc_client *c, int attempt)
{
	long delay = c->opt.retry_base_ms, wait;
	int i;

	for (i = 0; i < attempt && delay < BACKOFF_CAP_MS; i++)
		delay *= 2;
	if (delay > BACKOFF_CAP_MS)
		delay = BACKOFF_CAP_MS;
	wait = delay / 2 + (long)(next_random(c) % (uint64_t)(delay / 2 + 1));
	if (c->retry_after_ms > wait)
		wait = c->retry_after_ms;
	if (wait > 0)
		sleep_ms(wait);
}

static void note_attempts(ehr_err *e, int attempts)
{
	size_t n = strlen(e->msg);

	if (attempts > 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%d attempts)", attempts);
}

/* post(), retried on transient failures when retry is set. */
static int exchange(rpc_client *c, const char *req, size_t len, int retry, ehr_err *e)
{
	int attempt, st;

	for (attempt = 0;; attempt++) {
		st = post(c, req, len, e);
		if (!st || !retry || !c->transient || attempt >= c->opt.read_retries)
			break;
		trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
		back_off(c, attempt);
	}
	if (st)
		note_attempts(e, attempt + 1);
	if (c->cap > BODY_KEEP_MAX && st) {
		free(c->body);
		c->body = NULL;
		c->cap = c->len = 0;
	}
	return st;
}

static void release_body(rpc_client *c)
{
	if (c->cap > BODY_KEEP_MAX) {
		free(c->body);
		c->body = NULL;
		c->cap = 0;
	}
	c->len = 0;
}

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
	if (count_values(c->body, c->len) > MAX_JSON_VALUES)
		return malformed(c, e, "more than %d json values", MAX_JSON_VALUES);
	*out = cJSON_ParseWithLengthOpts(c->body, c->len, &end, 0);
	if (!*out) {
		clean_text(snip, sizeof(snip), c->body, c->len, 40);
		return malformed(c, e, "not json: '%s'", snip);
	}
	while (end && end < c->body + c->len && strchr(" \t\r\n", *end) && *end)
		end++;
	if (end && end < c->body + c->len) {
		cJSON_Delete(*out);
		*out = NULL;
		return malformed(c, e, "data after the json reply");
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
		return malformed(c, e, "a reply is not a json object");
	if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0"))
		return malformed(c, e, "\"jsonrpc\" is not \"2.0\"");
	if (*err && res)
		return malformed(c, e, "a reply has both a result and an error");
	if (!*err && !res)
		return malformed(c, e, "a reply has neither a result nor an error");
	if (*err) {
		code = cJSON_GetObjectItemCaseSensitive(*err, "code");
		msg = cJSON_GetObjectItemCaseSensitive(*err, "message");
		if (!cJSON_IsNumber(code) || !cJSON_IsString(msg))
			return malformed(c, e, "an error object without a code or a message");
		if (cJSON_IsNull(idj)) {
			/* The node could not tell which request it answers. */
			clean_text(snip, sizeof(snip), msg->valuestring,
				   strlen(msg->valuestring), NODE_MSG_MAX);
			return malformed(c, e, "an error without an id: %s", snip);
		}
	}
	if (!cJSON_IsNumber(idj) || idj->valuedouble < 0 || idj->valuedouble > ID_MAX ||
	    idj->valuedouble != floor(idj->valuedouble))
		return malformed(c, e, "a reply without a numeric id");
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
	clean_text(msg, sizeof(msg), mj->valuestring, strlen(mj->valuestring), NODE_MSG_MAX);
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
	clear_last_error(c);
	text = env ? cJSON_PrintUnformatted(env) : NULL;
	cJSON_Delete(env);
	if (!text)
		return out_of_memory(e);
	st = exchange(c, text, strlen(text), retry, e);
	free(text);
	if (st)
		return st;
	if ((st = parse_body(c, &root, e)))
		goto out;
	if (cJSON_IsArray(root)) {
		st = malformed(c, e, "an array answering a single call");
		goto out;
	}
	if ((st = check_reply(c, root, &got, &err, e)))
		goto out;
	if (got != id) {
		st = malformed(c, e, "reply id %" PRIu64 " does not match request id %" PRIu64,
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
	release_body(c);
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
	clear_last_error(c);
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
		clean_text(why, cap, msg->valuestring, strlen(msg->valuestring), NODE_MSG_MAX);
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
	if ((st = exchange(c, text, strlen(text), retry, e)) || (st = parse_body(c, &root, e)))
		goto out;
	if (batch_refused(root, m, why, sizeof(why))) {
		*refused = 1;
		st = ehr_fail(e, EHR_ENODE, "node at %s refused a batch of %zu requests: %s",
			      c->shown, m, why);
		goto out;
	}
	if (!cJSON_IsArray(root)) {
		st = malformed(c, e, "not an array answering a batch");
		goto out;
	}
	cJSON_ArrayForEach(el, root) {
		if ((st = check_reply(c, el, &id, &err, e)))
			goto out;
		if (id < base || id - base >= m) {
			st = malformed(c, e, "reply id %" PRIu64 " matches no request", id);
			goto out;
		}
		if (replies[id - base]) {
			st = malformed(c, e, "two replies with id %" PRIu64, id);
			goto out;
		}
		replies[id - base] = el;
	}
	for (k = 0; k < m; k++) {
		if (!replies[k]) {
			st = malformed(c, e, "no reply to request id %" PRIu64 " (%s)",
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
	release_body(c);
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
	clear_last_error(c);
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
			trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
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
	clear_last_error(c);
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
	clear_last_error(c);
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
				st = malformed(c, e, "the node gave another hash for transaction %s",
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
		trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
		back_off(c, attempt);
	}
	cJSON_Delete(res);
	free(raw_hex);
	if (st == EHR_ENODE) {
		note_attempts(e, attempt + 1);
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

/* ---- typed helpers ---------------------------------------------------- */

static int bad_quantity(const cJSON *j, const char *why, ehr_err *e)
{
	char snip[80];

	if (!cJSON_IsString(j))
		return ehr_fail(e, EHR_ENODE, "node sent a malformed quantity: %s", why);
	clean_text(snip, sizeof(snip), j->valuestring, strlen(j->valuestring), 70);
	return ehr_fail(e, EHR_ENODE, "node sent a malformed quantity '%s': %s", snip, why);
}

/* The significant hex digits of a quantity (at least one). */
static int quantity_digits(const cJSON *j, const char **digits, size_t *n, ehr_err *e)
{
	const char *s, *p;

	if (!cJSON_IsString(j))
		return bad_quantity(j, "not a string", e);
	s = j->valuestring;
	if (s[0] != '0' || s[1] != 'x')
		return bad_quantity(j, "no 0x prefix", e);
	p = s + 2;
	*n = strlen(p);
	if (!*n)
		return bad_quantity(j, "no digits", e);
	if (strspn(p, "0123456789abcdefABCDEF") != *n)
		return bad_quantity(j, "not hex", e);
	while (*n > 1 && *p == '0') {
		p++;
		(*n)--;
	}
	*digits = p;
	return 0;
}

int rpc_parse_quantity(const cJSON *j, uint8_t be32[32], ehr_err *e)
{
	const char *d;
	size_t n, i;
	int st;

	if ((st = quantity_digits(j, &d, &n, e)))
		return st;
	if (n > 64)
		return bad_quantity(j, "more than 256 bits", e);
	memset(be32, 0, 32);
	for (i = 0; i < n; i++) {
		size_t nib = n - 1 - i;	/* nibble index from the right */

		be32[31 - nib / 2] |= (uint8_t)(hex_digit_value((unsigned char)d[i]) << (nib % 2 ? 4 : 0));
	}
	return 0;
}

int rpc_parse_u64(const cJSON *j, uint64_t *out, ehr_err *e)
{
	const char *d;
	size_t n, i;
	uint64_t v = 0;
	int st;

	if ((st = quantity_digits(j, &d, &n, e)))
		return st;
	if (n > 16)
		return bad_quantity(j, "more than 64 bits", e);
	for (i = 0; i < n; i++)
		v = v << 4 | (uint64_t)hex_digit_value((unsigned char)d[i]);
	*out = v;
	return 0;
}

void rpc_u64_quantity(uint64_t v, char out[19])
{
	snprintf(out, 19, "0x%" PRIx64, v);
}

/* "node sent a malformed quantity ..." from a parser that knows no URL
 * becomes "node at URL sent a malformed reply: METHOD: malformed quantity". */
static int name_node(rpc_client *c, const char *method, ehr_err *e)
{
	static const char lead[] = "node sent a ";
	char why[sizeof(e->msg)];

	snprintf(why, sizeof(why), "%s", strncmp(e->msg, lead, sizeof(lead) - 1) ? e->msg
		 : e->msg + sizeof(lead) - 1);
	return malformed(c, e, "%s: %s", method, why);
}

static int call_u64(rpc_client *c, const char *method, uint64_t *out, ehr_err *e)
{
	ehr_err scratch;
	cJSON *res;
	int st;

	if (!e)
		e = &scratch;
	if ((st = rpc_call(c, method, NULL, &res, e)))
		return st;
	st = rpc_parse_u64(res, out, e);
	cJSON_Delete(res);
	return st ? name_node(c, method, e) : 0;
}

int rpc_chain_id(rpc_client *c, uint64_t *out, ehr_err *e)
{
	return call_u64(c, "eth_chainId", out, e);
}

int rpc_block_number(rpc_client *c, uint64_t *out, ehr_err *e)
{
	return call_u64(c, "eth_blockNumber", out, e);
}

static int valid_tag(const char *tag)
{
	static const char *const names[] = { "latest", "pending", "earliest", "safe", "finalized" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(tag, names[i]))
			return 1;
	if (tag[0] != '0' || tag[1] != 'x')
		return 0;
	n = strlen(tag + 2);
	return n >= 1 && n <= 16 && strspn(tag + 2, "0123456789abcdef") == n &&
	       (n == 1 || tag[2] != '0');
}

int rpc_get_balance(rpc_client *c, const uint8_t addr[20], const char *tag,
		    uint8_t be32[32], ehr_err *e)
{
	ehr_err scratch;
	char addr_hex[43];
	cJSON *params, *res;
	int st;

	if (!e)
		e = &scratch;
	if (!tag)
		tag = "latest";
	if (!valid_tag(tag))
		return ehr_fail(e, EHR_EUSAGE, "invalid block tag '%.40s'", tag);
	hex_encode0x(addr, 20, addr_hex);
	params = cJSON_CreateArray();
	if (!params || !cJSON_AddItemToArray(params, cJSON_CreateString(addr_hex)) ||
	    !cJSON_AddItemToArray(params, cJSON_CreateString(tag))) {
		cJSON_Delete(params);
		return out_of_memory(e);
	}
	if ((st = rpc_call(c, "eth_getBalance", params, &res, e)))
		return st;
	st = rpc_parse_quantity(res, be32, e);
	cJSON_Delete(res);
	return st ? name_node(c, "eth_getBalance", e) : 0;
}
