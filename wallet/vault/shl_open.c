/* Following a SMART Health Link (shl.h: shl_open): the manifest request,
 * the files, and what the server's statuses mean. */
#include "wallet/vault/shl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/secmem.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/jose.h"

/* The largest reply read: a JWE of the largest file, and a manifest of a
 * few embedded ones. */
#define REPLY_MAX (JWE_MAX + 65536u)

struct walk {
	const shl_link *link;
	const uint8_t *key;
	char host[256];
	shl_content_fn fn;
	void *arg;
};

/* What a status other than 200 means, as an error. */
static int refusal(const struct walk *w, long status, const char *body, size_t len, ehr_err *e)
{
	cJSON *o = NULL;
	const cJSON *left;
	int rc;

	if (status == 401 || status == 403) {
		o = cJSON_ParseWithLength(body, len);
		left = cJSON_GetObjectItemCaseSensitive(o, "remainingAttempts");
		if (cJSON_IsNumber(left) && left->valuedouble >= 0 && left->valuedouble < 1e9)
			rc = ehr_fail(e, EHR_EAUTH, "%s refused the passcode (%.0f attempt%s left)",
				      w->host, left->valuedouble, left->valuedouble == 1 ? "" : "s");
		else
			rc = ehr_fail(e, EHR_EAUTH, "%s refused the link (http %ld%s)", w->host, status,
				      w->link->passcode ? ": a wrong passcode?" : "");
	} else if (status == 404 || status == 410) {
		rc = ehr_fail(e, EHR_ECHAIN, "%s no longer serves the link (http %ld): it expired or "
			      "was revoked", w->host, status);
	} else {
		rc = ehr_fail(e, EHR_ENODE, "%s answered http %ld", w->host, status);
	}
	cJSON_Delete(o);
	return rc;
}

/* Decrypts one file's JWE and hands it on. */
static int open_file(struct walk *w, const char *type, const char *jwe, size_t len, ehr_err *e)
{
	char cty[JOSE_CTY_MAX];
	uint8_t *plain = NULL;
	size_t n = 0;
	int rc;

	if ((rc = jwe_decrypt(jwe, len, w->key, FHIR_JSON_MAX, &plain, &n, cty, sizeof(cty), e)))
		return ehr_wrap(e, "a file of the link from %s", w->host);
	rc = w->fn(w->arg, type ? type : cty, plain, n, e);
	sodium_memzero(plain, n);
	free(plain);
	return rc;
}

/* GETs url (a file: a JWE) into *body. */
static int get_file(struct walk *w, const char *url, char **body, size_t *len, ehr_err *e)
{
	long status;
	int rc;

	if ((rc = fetch_get(url, REPLY_MAX, &status, body, len, e)))
		return rc;
	if (status == 200)
		return 0;
	rc = refusal(w, status, *body, *len, e);
	free(*body);
	*body = NULL;
	return rc;
}

static int manifest_file(void *arg, const char *type, const char *embedded, size_t len,
			 const char *location, ehr_err *e)
{
	struct walk *w = arg;
	char *body = NULL;
	size_t n;
	int rc;

	if (embedded)
		return open_file(w, type, embedded, len, e);
	if ((rc = get_file(w, location, &body, &n, e)))
		return rc;
	rc = open_file(w, type, body, n, e);
	free(body);
	return rc;
}

/* s percent-encoded for a query (unreserved characters kept), appended. */
static void query_escape(char *out, size_t cap, const char *s)
{
	size_t o = strlen(out);

	for (; *s && o + 4 < cap; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, cap - o, "%%%02X", c);
	}
	out[o] = 0;
}

/* U: the one file, by GET. */
static int open_direct(struct walk *w, const char *recipient, ehr_err *e)
{
	char url[FETCH_URL_MAX + 512], *body = NULL;
	size_t n;
	int rc;

	snprintf(url, sizeof(url), "%s%crecipient=", w->link->url, strchr(w->link->url, '?') ? '&' : '?');
	query_escape(url, sizeof(url), recipient);
	if ((rc = get_file(w, url, &body, &n, e)))
		return rc;
	rc = open_file(w, NULL, body, n, e);
	free(body);
	return rc;
}

/* s as a JSON string (quotes included) appended at out + *o: at most
 * 6 * strlen(s) + 2 bytes. */
static void json_string(char *out, size_t *o, const char *s)
{
	out[(*o)++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			out[(*o)++] = '\\';
			out[(*o)++] = (char)c;
		} else if (c < ' ') {
			*o += (size_t)sprintf(out + *o, "\\u%04x", c);
		} else {
			out[(*o)++] = (char)c;
		}
	}
	out[(*o)++] = '"';
}

/* The manifest request: POSTed from secure memory (it holds the passcode),
 * the manifest's files followed. */
static int open_manifest(struct walk *w, const char *passcode, const char *recipient, ehr_err *e)
{
	size_t cap = 64 + 6 * strlen(recipient) + (passcode ? 6 * strlen(passcode) : 0), o = 0, n = 0;
	char *req = secmem_new(cap, e), *body = NULL;
	long status = 0;
	int rc;

	if (!req)
		return EHR_EFAIL;
	o += (size_t)sprintf(req, "{\"recipient\":");
	json_string(req, &o, recipient);
	if (passcode) {
		o += (size_t)sprintf(req + o, ",\"passcode\":");
		json_string(req, &o, passcode);
	}
	req[o++] = '}';
	rc = fetch_post_json(w->link->url, req, o, REPLY_MAX, &status, &body, &n, e);
	secmem_free(req, cap);
	if (!rc && status != 200)
		rc = refusal(w, status, body, n, e);
	if (!rc)
		rc = shl_manifest_files(body, n, manifest_file, w, e);
	free(body);
	return rc;
}

int shl_open(const shl_link *link, const uint8_t *key, const char *passcode,
	     const char *recipient, shl_content_fn fn, void *arg, ehr_err *e)
{
	struct walk w = { link, key, "", fn, arg };

	if (!fetch_url_ok(link->url, w.host, sizeof(w.host)))
		return ehr_fail(e, EHR_EUSAGE, "the link's address%s%s is not https (plain http is "
				"only for this machine)", w.host[0] ? " at " : "", w.host);
	if (link->passcode && !passcode)
		return ehr_fail(e, EHR_EAUTH, "the link needs a passcode");
	if (link->direct)
		return open_direct(&w, recipient, e);
	return open_manifest(&w, link->passcode ? passcode : NULL, recipient, e);
}
