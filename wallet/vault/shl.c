#include "wallet/vault/shl.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/base/secmem.h"
#include "wallet/base/text.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/jose.h"

#define KEY_B64_LEN 43            /* 32 bytes in base64url without padding */
#define VIEWER_MARK "#" SHL_PREFIX

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Where the payload of the link in text starts, and its length; NULL
 * when text is not a link. */
static const char *payload_of(const char *text, size_t *len)
{
	const char *end, *p;

	while (is_space(*text))
		text++;
	end = text + strlen(text);
	while (end > text && is_space(end[-1]))
		end--;
	if (!strncmp(text, SHL_PREFIX, strlen(SHL_PREFIX)))
		p = text + strlen(SHL_PREFIX);
	else if ((p = strstr(text, VIEWER_MARK)) && p < end)
		p += strlen(VIEWER_MARK);
	else
		return NULL;
	*len = (size_t)(end - p);
	return p;
}

bool shl_is_link(const char *text)
{
	size_t len;

	return payload_of(text, &len) != NULL;
}

static int not_link(ehr_err *e, const char *why)
{
	return ehr_fail(e, EHR_EUSAGE, "not a SMART Health Link: %s", why);
}

/* The flags: letters L, P and U, each once, not P with U. */
static int take_flags(const cJSON *flag, shl_link *link, ehr_err *e)
{
	const char *s;

	if (!flag)
		return 0;
	if (!cJSON_IsString(flag))
		return not_link(e, "its \"flag\" is not a string");
	for (s = flag->valuestring; *s; s++) {
		bool *bit = *s == 'L' ? &link->long_term : *s == 'P' ? &link->passcode
			  : *s == 'U' ? &link->direct : NULL;

		if (!bit || *bit)
			return not_link(e, "its \"flag\" holds letters other than L, P and U, once each");
		*bit = true;
	}
	if (link->passcode && link->direct)
		return not_link(e, "its flags P and U cannot go together");
	return 0;
}

/* The label, control characters made '?'; at most SHL_LABEL_MAX characters. */
static int take_label(const cJSON *label, shl_link *link, ehr_err *e)
{
	size_t i, chars = 0, n;

	if (!label)
		return 0;
	if (!cJSON_IsString(label) || (n = strlen(label->valuestring)) >= sizeof(link->label))
		return not_link(e, "its \"label\" is not a string of up to 80 characters");
	/* the sharer's words, shown on a terminal; counted as shown, where a
	 * stray byte became a '?' of its own */
	text_clean(link->label, sizeof(link->label), label->valuestring, n, 0);
	for (i = 0; link->label[i]; i++)
		chars += ((unsigned char)link->label[i] & 0xc0) != 0x80;
	return chars > SHL_LABEL_MAX ? not_link(e, "its \"label\" is longer than 80 characters") : 0;
}

/* url, exp, flag, label and v of the payload (the key is taken apart). */
static int take_fields(const cJSON *o, shl_link *link, ehr_err *e)
{
	const cJSON *url = cJSON_GetObjectItemCaseSensitive(o, "url");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(o, "exp");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, "v");
	int rc;

	if (!cJSON_IsString(url) || !url->valuestring[0] || strlen(url->valuestring) >= sizeof(link->url))
		return not_link(e, "its \"url\" is not a string of up to 2047 bytes");
	snprintf(link->url, sizeof(link->url), "%s", url->valuestring);
	if (exp) {
		double d = exp->valuedouble;

		if (!cJSON_IsNumber(exp) || !(d >= 0 && d < 9007199254740992.0) || d != floor(d))
			return not_link(e, "its \"exp\" is not a whole number of seconds");
		link->has_exp = true;
		link->exp = (int64_t)d;
	}
	if (v && (!cJSON_IsNumber(v) || v->valuedouble != 1))
		return not_link(e, "it is of a version other than 1 (\"v\")");
	if ((rc = take_flags(cJSON_GetObjectItemCaseSensitive(o, "flag"), link, e)) ||
	    (rc = take_label(cJSON_GetObjectItemCaseSensitive(o, "label"), link, e)))
		return rc;
	return 0;
}

/* The key into key (secure memory); its text in the parsed JSON wiped. */
static int take_key(cJSON *o, uint8_t *key, ehr_err *e)
{
	cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "key");
	size_t n = 0;
	int bad;

	if (!cJSON_IsString(k))
		return not_link(e, "it has no \"key\"");
	bad = strlen(k->valuestring) != KEY_B64_LEN ||
	      sodium_base642bin(key, SHL_KEY_BYTES, k->valuestring, KEY_B64_LEN, NULL, &n, NULL,
				sodium_base64_VARIANT_URLSAFE_NO_PADDING) || n != SHL_KEY_BYTES;
	sodium_memzero(k->valuestring, strlen(k->valuestring));
	return bad ? not_link(e, "its \"key\" is not 32 bytes in base64url (43 characters)") : 0;
}

int shl_parse(const char *text, shl_link *link, uint8_t *key, ehr_err *e)
{
	size_t len, n = 0;
	const char *p = payload_of(text, &len);
	char *json = NULL;
	cJSON *o = NULL;
	int rc;

	memset(link, 0, sizeof(*link));
	sodium_memzero(key, SHL_KEY_BYTES);
	if (!p)
		return not_link(e, "it does not start with shlink:/ (or a viewer's address and #shlink:/)");
	if (len > SHL_TEXT_MAX)
		return not_link(e, "it is too long");
	/* the payload holds the key: decoded into secure memory, wiped after */
	if (!(json = secmem_new(len + 1, e)))
		return EHR_EFAIL;
	if (sodium_base642bin((uint8_t *)json, len, p, len, NULL, &n, NULL,
			      sodium_base64_VARIANT_URLSAFE_NO_PADDING)) {
		rc = not_link(e, "its payload is not base64url");
		goto out;
	}
	if (!cJSON_IsObject(o = cJSON_ParseWithLength(json, n))) {
		rc = not_link(e, "its payload is not a JSON object");
		goto out;
	}
	if (!(rc = take_key(o, key, e)))
		rc = take_fields(o, link, e);
out:
	cJSON_Delete(o);
	secmem_free(json, len + 1);
	if (rc)
		sodium_memzero(key, SHL_KEY_BYTES);
	return rc;
}

int shl_check_expiry(const shl_link *link, time_t now, ehr_err *e)
{
	char when[40];
	struct tm tm;
	time_t t;

	if (!link->has_exp || link->exp > (int64_t)now)
		return 0;
	t = (time_t)link->exp;
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	else
		snprintf(when, sizeof(when), "%lld", (long long)link->exp);
	return ehr_fail(e, EHR_ECHAIN, "the link expired at %s: its server would refuse it", when);
}

int shl_manifest_files(const char *json, size_t len, shl_file_fn fn, void *arg, ehr_err *e)
{
	cJSON *o = cJSON_ParseWithLength(json, len);
	const cJSON *files = cJSON_GetObjectItemCaseSensitive(o, "files"), *f;
	int rc = 0;

	if (!cJSON_IsArray(files))
		rc = ehr_fail(e, EHR_ENODE, "the link's server sent a manifest that is not "
			      "{\"files\": [...]}");
	cJSON_ArrayForEach(f, files) {
		const cJSON *type = cJSON_GetObjectItemCaseSensitive(f, "contentType");
		const cJSON *emb = cJSON_GetObjectItemCaseSensitive(f, "embedded");
		const cJSON *loc = cJSON_GetObjectItemCaseSensitive(f, "location");

		if (rc)
			break;
		if (!cJSON_IsString(type) || (cJSON_IsString(emb) == cJSON_IsString(loc)))
			rc = ehr_fail(e, EHR_ENODE, "the link's server sent a manifest file without a "
				      "\"contentType\" and one \"embedded\" or \"location\"");
		else if (cJSON_IsString(emb))
			rc = fn(arg, type->valuestring, emb->valuestring, strlen(emb->valuestring), NULL, e);
		else
			rc = fn(arg, type->valuestring, NULL, 0, loc->valuestring, e);
	}
	cJSON_Delete(o);
	return rc;
}
