#include "wallet/chain/rpc.h"
#include "wallet/chain/rpc_internal.h"

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"

#include <arpa/inet.h>
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

#include "wallet/base/curl_lazy.h"

#ifndef EHR_VERSION
#define EHR_VERSION "0"
#endif

#define BACKOFF_CAP_MS 8000
#define RETRY_AFTER_CAP_MS 10000
#define BODY_KEEP_MAX (1u << 20)	/* larger reply buffers are freed after use */

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
void rpc_clean_text(char *out, size_t cap, const char *in, size_t len, size_t max)
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

int rpc_malformed(rpc_client *c, ehr_err *e, const char *fmt, ...)
{
	char why[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return ehr_fail(e, EHR_ENODE, "node at %s sent a malformed reply: %s", c->shown, why);
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
	CURLU *u;
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL;
	char *path = NULL, *query = NULL;
	char shown[1024];
	int st;

	if ((st = lazylib_curl(e)))
		return st;
	if (!(u = curl_url()))
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

/* 127.0.0.0/8 in dotted quad, [::1], localhost. */
static int loopback_host(const char *host)
{
	struct in_addr a4;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return 1;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

int rpc_url_remote_http(const char *url, char *host_out, size_t cap)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	int r = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && *host) {
		r = !strcasecmp(scheme, "http") && !loopback_host(host);
		snprintf(host_out, cap, "%s", host);
	}
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return r;
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

char *rpc_noproxy_list(void)
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
	c->noproxy = rpc_noproxy_list();
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

int rpc_last_reply_too_large(const rpc_client *c)
{
	return c->too_large;
}

void rpc_clear_last_error(rpc_client *c)
{
	c->too_large = 0;
	c->err_code = 0;
	free(c->err_data);
	c->err_data = NULL;
}

/* ---- one HTTP exchange ------------------------------------------------ */

void rpc_trace(rpc_client *c, enum rpc_trace_event ev, const char *text, size_t len)
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
		rpc_clean_text(detail + 2, sizeof(detail) - 2, c->errbuf, n, 200);
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
		return rpc_malformed(c, e, "reply cut short after %zu bytes", c->len);
	default:
		break;
	}

	c->transient = 0;
	switch (rc) {
	case CURLE_WRITE_ERROR:
	case CURLE_FILESIZE_EXCEEDED:
		if (c->overflow || rc == CURLE_FILESIZE_EXCEEDED) {
			c->too_large = 1;
			return rpc_malformed(c, e, "reply larger than %zu bytes", c->opt.max_reply_bytes);
		}
		break;
	case CURLE_BAD_CONTENT_ENCODING:
		return rpc_malformed(c, e, "bad content encoding%s", detail);
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return rpc_malformed(c, e, "not an http reply%s", detail);
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
		rpc_clean_text(detail + 2, sizeof(detail) - 2, msg->valuestring,
			   strlen(msg->valuestring), NODE_MSG_MAX);
	else if (cJSON_IsString(err))
		rpc_clean_text(detail + 2, sizeof(detail) - 2, err->valuestring,
			   strlen(err->valuestring), NODE_MSG_MAX);
	else
		rpc_clean_text(detail + 2, sizeof(detail) - 2, c->body, c->len, 80);
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

	rpc_trace(c, RPC_TRACE_REQUEST, req, len);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req);
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(c->curl);
	if (c->len)
		rpc_trace(c, RPC_TRACE_REPLY, c->body, c->len);
	if (rc != CURLE_OK)
		return transport_error(c, rc, e);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &code);
	if (code < 200 || code > 299)
		return http_error(c, code, e);
	c->delivered = 1;
	if (!c->len)
		return rpc_malformed(c, e, "empty reply (http %ld)", code);
	return 0;
}

static uint64_t next_random(rpc_client *c)
{
	c->rng ^= c->rng >> 12;
	c->rng ^= c->rng << 25;
	c->rng ^= c->rng >> 27;
	return c->rng * 0x2545f4914f6cdd1dULL;
}

void rpc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (ms > 0 && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Waits before attempt number attempt + 1: exponential, half of it random
 * so that many clients do not come back in step. */
void rpc_back_off(rpc_client *c, int attempt)
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
		rpc_sleep_ms(wait);
}

void rpc_note_attempts(ehr_err *e, int attempts)
{
	size_t n = strlen(e->msg);

	if (attempts > 1)
		snprintf(e->msg + n, sizeof(e->msg) - n, " (%d attempts)", attempts);
}

/* post(), retried on transient failures when retry is set. */
int rpc_exchange(rpc_client *c, const char *req, size_t len, int retry, ehr_err *e)
{
	int attempt, st;

	for (attempt = 0;; attempt++) {
		st = post(c, req, len, e);
		if (!st || !retry || !c->transient || attempt >= c->opt.read_retries)
			break;
		rpc_trace(c, RPC_TRACE_RETRY, e->msg, strlen(e->msg));
		rpc_back_off(c, attempt);
	}
	if (st)
		rpc_note_attempts(e, attempt + 1);
	if (c->cap > BODY_KEEP_MAX && st) {
		free(c->body);
		c->body = NULL;
		c->cap = c->len = 0;
	}
	return st;
}

void rpc_release_body(rpc_client *c)
{
	if (c->cap > BODY_KEEP_MAX) {
		free(c->body);
		c->body = NULL;
		c->cap = 0;
	}
	c->len = 0;
}
