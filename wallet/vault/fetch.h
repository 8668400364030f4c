/* A small HTTPS client for what a SMART Health Link points at: one GET or
 * one POST of JSON, the reply read whole into memory. libcurl underneath,
 * with the rules of the node client (wallet/chain/rpc.h): loopback never
 * goes through a proxy, nothing but http and https.
 *
 * Rules of its own: a URL must be https, except plain http to a loopback
 * host (127.0.0.0/8, ::1, localhost), which is what tests use; a redirect
 * is followed (at most 5) only to https; a reply over max bytes is refused
 * unread; connecting may take 10 s and the whole exchange 60 s. Messages
 * name the host only: a link's path is its unguessable part.
 *
 * Errors: EHR_EUSAGE a URL that is not of that form; EHR_ENODE the server
 * cannot be reached (refused, DNS, TLS, timeout, a reply cut short or too
 * large); EHR_EFAIL out of memory. An HTTP status, any status, is a reply:
 * the caller reads *status. Nothing here prints. */
#ifndef EHR_FETCH_H
#define EHR_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "wallet/base/err.h"

#define FETCH_URL_MAX 2048

/* Whether url is one fetch accepts (as above); the host part of it, for
 * messages, in host (cap bytes; "" when it is not a URL). */
bool fetch_url_ok(const char *url, char *host, size_t cap);

/* GETs url. On 0: *status the HTTP status, *body the reply (malloc'd,
 * NUL-terminated, *len bytes before the NUL; the caller frees it). */
int fetch_get(const char *url, size_t max, long *status, char **body, size_t *len, ehr_err *e);

/* POSTs json (json_len bytes, Content-Type: application/json) to url;
 * otherwise as fetch_get. json may be secure memory: it is sent from
 * where it is, not copied. */
int fetch_post_json(const char *url, const char *json, size_t json_len, size_t max, long *status,
		    char **body, size_t *len, ehr_err *e);

#endif
