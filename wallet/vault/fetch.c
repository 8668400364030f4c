#include "wallet/vault/fetch.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wallet/base/curl_lazy.h"

#include "wallet/chain/rpc.h"

#ifndef EHR_VERSION
#define EHR_VERSION "0"
#endif

#define CONNECT_TIMEOUT_MS 10000L
#define TOTAL_TIMEOUT_MS 60000L
#define REDIRECTS_MAX 5L

static bool is_loopback(const char *host)
{
	struct in_addr a4;

	if (!strcasecmp(host, "localhost") || !strcmp(host, "[::1]"))
		return true;
	return inet_pton(AF_INET, host, &a4) == 1 && (ntohl(a4.s_addr) >> 24) == 127;
}

bool fetch_url_ok(const char *url, char *host, size_t cap)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL;
	bool ok = false;

	if (cap)
		host[0] = 0;
	if (u && strlen(url) < FETCH_URL_MAX &&
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && *h) {
		snprintf(host, cap, "%s", h);
		ok = !strcasecmp(scheme, "https") || (!strcasecmp(scheme, "http") && is_loopback(h));
	}
	curl_free(scheme);
	curl_free(h);
	curl_url_cleanup(u);
	return ok;
}

struct reply {
	char *body;
	size_t len, cap, max;
	bool overflow, oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *ud)
{
	struct reply *r = ud;
	size_t n = size * nmemb;

	if (n > r->max - r->len) {
		r->overflow = true;
		return 0;
	}
	if (r->len + n + 1 > r->cap) {
		size_t cap = r->cap ? r->cap : 16384;
		char *p;

		while (cap < r->len + n + 1)
			cap *= 2;
		if (!(p = realloc(r->body, cap))) {
			r->oom = true;
			return 0;
		}
		r->body = p;
		r->cap = cap;
	}
	memcpy(r->body + r->len, data, n);
	r->len += n;
	r->body[r->len] = 0;
	return n;
}

/* curl's options for one exchange; false when curl refuses one. */
static bool set_up(CURL *c, const char *url, const char *noproxy, struct reply *r, char *errbuf)
{
	bool bad = false;

	bad |= curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_MAXREDIRS, REDIRECTS_MAX) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_USERAGENT, "ehr/" EHR_VERSION) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_WRITEDATA, r) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, TOTAL_TIMEOUT_MS) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)r->max) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "") != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_NOPROXY, noproxy) != CURLE_OK;
	bad |= curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf) != CURLE_OK;
	return !bad;
}

/* What went wrong in curl's words, cleaned for a terminal. */
static int transport_error(CURLcode rc, const struct reply *r, const char *host,
			   const char *errbuf, ehr_err *e)
{
	char why[CURL_ERROR_SIZE];
	size_t i;

	if (r->oom || rc == CURLE_OUT_OF_MEMORY)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (r->overflow || rc == CURLE_FILESIZE_EXCEEDED)
		return ehr_fail(e, EHR_ENODE, "%s sent more than %zu bytes", host, r->max);
	snprintf(why, sizeof(why), "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
	for (i = 0; why[i]; i++)
		if ((unsigned char)why[i] < ' ' || (unsigned char)why[i] >= 0x7f)
			why[i] = ' ';
	if (why[0] >= 'A' && why[0] <= 'Z' && !(why[1] >= 'A' && why[1] <= 'Z'))
		why[0] = (char)(why[0] - 'A' + 'a');
	return ehr_fail(e, EHR_ENODE, "cannot reach %s: %s", host, why);
}

/* One exchange: GET, or POST of json when it is not NULL. */
static int exchange(const char *url, const char *json, size_t json_len, size_t max, long *status,
		    char **body, size_t *len, ehr_err *e)
{
	char host[256], errbuf[CURL_ERROR_SIZE] = "", *noproxy = NULL;
	struct curl_slist *headers = NULL;
	struct reply r = { NULL, 0, 0, max, false, false };
	CURL *c = NULL;
	CURLcode rc;
	int st;

	*body = NULL;
	*len = 0;
	*status = 0;
	if ((st = lazylib_curl(e)))
		return st;
	if (!fetch_url_ok(url, host, sizeof(host)))
		return ehr_fail(e, EHR_EUSAGE, "%s%s is not an https URL (plain http only to this "
				"machine)", host[0] ? "the address at " : "a link's address",
				host[0] ? host : "");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return ehr_fail(e, EHR_EFAIL, "cannot start libcurl");
	if (!(c = curl_easy_init()) || !(noproxy = rpc_noproxy_list()) ||
	    (json && !(headers = curl_slist_append(NULL, "Content-Type: application/json")))) {
		st = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if (!set_up(c, url, noproxy, &r, errbuf) ||
	    (json && (curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers) != CURLE_OK ||
		      curl_easy_setopt(c, CURLOPT_POSTFIELDS, json) != CURLE_OK ||
		      curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)json_len) != CURLE_OK))) {
		st = ehr_fail(e, EHR_EFAIL, "libcurl refused an option (it is older than 7.85?)");
		goto out;
	}
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		st = transport_error(rc, &r, host, errbuf, e);
		goto out;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	if (!r.body && !(r.body = calloc(1, 1))) {
		st = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	*body = r.body;
	*len = r.len;
	r.body = NULL;
	st = 0;
out:
	free(r.body);
	free(noproxy);
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	curl_global_cleanup();
	return st;
}

int fetch_get(const char *url, size_t max, long *status, char **body, size_t *len, ehr_err *e)
{
	return exchange(url, NULL, 0, max, status, body, len, e);
}

int fetch_post_json(const char *url, const char *json, size_t json_len, size_t max, long *status,
		    char **body, size_t *len, ehr_err *e)
{
	return exchange(url, json, json_len, max, status, body, len, e);
}
