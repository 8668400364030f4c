/* SMART Health Links (wallet/vault/shl.h, fetch.h): parsing links and
 * manifests against ../shared/vectors/shl, expiry, and the URL rule. The
 * fetching itself runs in tests/e2e/health-cards.sh against a loopback
 * server. */
#include "tap.h"

#include <sodium.h>

#include "wallet/vault/jose.h"
#include "wallet/vault/shl.h"

#define VECTOR_KEY "rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7Q"

/* "shlink:/" and the base64url of json (malloc'd). */
static char *link_of(const char *json)
{
	char *b64 = b64url_encode((const uint8_t *)json, strlen(json)), *s = malloc(strlen(b64) + 9);

	sprintf(s, "shlink:/%s", b64);
	free(b64);
	return s;
}

static void key_bytes(const char *b64, uint8_t out[32])
{
	size_t n;

	sodium_base642bin(out, 32, b64, strlen(b64), NULL, &n, NULL,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* The link text of a vector file, trimmed. */
static char *link_text(const char *rel)
{
	char *s = vectors_read(rel, NULL);
	size_t n = s ? strlen(s) : 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Parses text and checks it against the payload JSON object want. */
static void check_link(const char *what, const char *text, const cJSON *want)
{
	uint8_t *key = sodium_malloc(32), wkey[32];
	const char *flag = cJSON_GetStringValue(cJSON_GetObjectItem(want, "flag"));
	const char *label = cJSON_GetStringValue(cJSON_GetObjectItem(want, "label"));
	shl_link l;
	ehr_err e;

	CHECK(text && shl_is_link(text), "%s is a link", what);
	CHECK(shl_parse(text, &l, key, &e) == 0, "%s parses: %s", what, e.msg);
	CHECK_STR(l.url, cJSON_GetStringValue(cJSON_GetObjectItem(want, "url")));
	key_bytes(cJSON_GetStringValue(cJSON_GetObjectItem(want, "key")), wkey);
	CHECK(!memcmp(key, wkey, 32), "%s: the key", what);
	CHECK_STR(l.label, label ? label : "");
	CHECK(l.long_term == (flag && strchr(flag, 'L')) && l.passcode == (flag && strchr(flag, 'P')) &&
	      l.direct == (flag && strchr(flag, 'U')), "%s: flags %s", what, flag ? flag : "");
	CHECK(!l.has_exp, "%s: no exp", what);
	sodium_free(key);
}

static void test_vectors(void)
{
	cJSON *spec = vectors_json("shl/spec-example-shlink.payload.json");
	cJSON *ips = vectors_json("shl/IPS_IG-bundle-01-shl-details.json");
	cJSON *carin = vectors_json("shl/CARIN_INS_CD-bundle-01-shl-details.json");
	cJSON *p1 = vectors_json("shl/shl-payload-1.json"), *p2 = vectors_json("shl/shl-payload-2.json");
	cJSON *raw = vectors_json("shl/120day_raw_obs_unguessable_shl_id0000000000.details.json");
	char *t, *json;
	uint8_t key[32];
	shl_link l;
	ehr_err e;

	check_link("spec-example-shlink", t = link_text("shl/spec-example-shlink.txt"), spec);
	free(t);
	check_link("spec-example-shlink-viewer", t = link_text("shl/spec-example-shlink-viewer.txt"), spec);
	free(t);
	check_link("IPS (viewer-prefixed)", t = link_text("shl/IPS_IG-bundle-01-shl.txt"),
		   cJSON_GetObjectItem(ips, "shlinkJsonPayload"));
	free(t);
	check_link("IPS (bare)", cJSON_GetStringValue(cJSON_GetObjectItem(ips, "shlink")),
		   cJSON_GetObjectItem(ips, "shlinkJsonPayload"));
	check_link("CARIN", t = link_text("shl/CARIN_INS_CD-bundle-01-shl.txt"), carin);
	free(t);
	check_link("120day", cJSON_GetStringValue(cJSON_GetObjectItem(raw, "shlinkBare")),
		   cJSON_GetObjectItem(raw, "shlinkJsonPayload"));
	check_link("120day (viewer)", cJSON_GetStringValue(cJSON_GetObjectItem(raw, "shlink")),
		   cJSON_GetObjectItem(raw, "shlinkJsonPayload"));
	t = link_of(json = cJSON_PrintUnformatted(p2));
	check_link("shl-payload-2", t, p2);
	free(t);
	free(json);
	/* shl-payload-1: "exp" a string of milliseconds, against the spec */
	t = link_of(json = cJSON_PrintUnformatted(p1));
	CHECK(shl_parse(t, &l, key, &e) == EHR_EUSAGE, "shl-payload-1's string exp is refused");
	CHECK_STR(e.msg, "not a SMART Health Link: its \"exp\" is not a whole number of seconds");
	CHECK(sodium_is_zero(key, 32), "the key is wiped on a refusal");
	free(t);
	free(json);
	cJSON_Delete(spec);
	cJSON_Delete(ips);
	cJSON_Delete(carin);
	cJSON_Delete(p1);
	cJSON_Delete(p2);
	cJSON_Delete(raw);
}

static void test_refusals(void)
{
	static const struct { const char *json, *why; } bad[] = {
		{ "[1]", "its payload is not a JSON object" },
		{ "{\"url\":\"https://x\"}", "it has no \"key\"" },
		{ "{\"url\":\"https://x\",\"key\":\"rxTgYlOaKJPFtcEd0qcceN8wEU4p94SqAwIWQe6uX7\"}",
		  "its \"key\" is not 32 bytes in base64url (43 characters)" },
		{ "{\"key\":\"" VECTOR_KEY "\"}", "its \"url\" is not a string of up to 2047 bytes" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"flag\":\"LL\"}",
		  "its \"flag\" holds letters other than L, P and U, once each" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"flag\":\"X\"}",
		  "its \"flag\" holds letters other than L, P and U, once each" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"flag\":\"PU\"}",
		  "its flags P and U cannot go together" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"v\":2}",
		  "it is of a version other than 1 (\"v\")" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"exp\":1.5}",
		  "its \"exp\" is not a whole number of seconds" },
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"label\":\""
		  "123456789012345678901234567890123456789012345678901234567890123456789012345678901\"}",
		  "its \"label\" is longer than 80 characters" },
		/* a stray byte is shown as a '?' of its own: 81 characters (found by fuzz_shlink) */
		{ "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"label\":\""
		  "12345678901234567890123456789012345678901234567890123456789012345678901234567890\x80\"}",
		  "its \"label\" is longer than 80 characters" },
	};
	uint8_t *key = sodium_malloc(32);
	shl_link l;
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char *t = link_of(bad[i].json), want[300];

		snprintf(want, sizeof(want), "not a SMART Health Link: %s", bad[i].why);
		CHECK(shl_parse(t, &l, key, &e) == EHR_EUSAGE, "%s refused", bad[i].json);
		CHECK_STR(e.msg, want);
		free(t);
	}
	memset(key, 0xaa, 32);
	CHECK(shl_parse("https://viewer.example/#shc:/56", &l, key, &e) == EHR_EUSAGE &&
	      !shl_is_link("https://viewer.example/#shc:/56"), "not a link at all");
	CHECK(sodium_is_zero(key, 32), "the key is wiped even then (found by fuzz_shlink)");
	CHECK(shl_parse("shlink:/e30=", &l, key, &e) == EHR_EUSAGE, "padding refused");
	CHECK_STR(e.msg, "not a SMART Health Link: its payload is not base64url");
	{
		/* 80 characters of two bytes each: a label at the limit, control characters made '?' */
		char json[600], *t;
		int k, n = sprintf(json, "{\"url\":\"https://x\",\"key\":\"" VECTOR_KEY "\",\"label\":\"\\t");

		for (k = 1; k < 80; k++)
			n += sprintf(json + n, "\xc3\xa9");
		sprintf(json + n, "\",\"exp\":1700000000,\"v\":1}");
		t = link_of(json);
		CHECK(shl_parse(t, &l, key, &e) == 0, "80 characters of label: %s", e.msg);
		CHECK(l.label[0] == '?' && strlen(l.label) == 1 + 79 * 2, "the tab made '?'");
		CHECK(l.has_exp && l.exp == 1700000000, "exp");
		CHECK(shl_check_expiry(&l, 1700000000, &e) == EHR_ECHAIN, "expired at exp itself");
		CHECK_STR(e.msg, "the link expired at 2023-11-14T22:13:20Z: its server would refuse it");
		CHECK(shl_check_expiry(&l, 1699999999, &e) == 0, "not a second before");
		free(t);
	}
	sodium_free(key);
}

static int count_file(void *arg, const char *type, const char *embedded, size_t len,
		      const char *location, ehr_err *e)
{
	char *seen = arg;
	size_t n = strlen(seen);

	(void)e;
	(void)embedded;
	snprintf(seen + n, 500 - n, "%s %s %zu;", type, location ? location : "embedded", len);
	return 0;
}

static void test_manifest(void)
{
	size_t len;
	char *m = vectors_read("shl/shl-manifest-1.json", &len), seen[500] = "";
	ehr_err e;

	CHECK(shl_manifest_files(m, len, count_file, seen, &e) == 0, "the manifest reads: %s", e.msg);
	CHECK_STR(seen, "application/smart-health-card https://bucket.cloud.example.org/file1?sas="
		  "MFXK6jL3oL3SI_lRfi_-cEfzIs5oHs6rRWmrsCAFzvk 0;application/smart-health-card embedded 94;"
		  "application/fhir+json https://bucket.cloud.example.org/file2?sas="
		  "T34xzj1XtqTYb2lzcgj59XCY4I6vLN3AwrTUIT9GuSc 0;");
	free(m);
	CHECK(shl_manifest_files("{\"files\":{}}", 12, count_file, seen, &e) == EHR_ENODE, "files not an array");
	CHECK(shl_manifest_files("{\"files\":[{\"contentType\":\"x\",\"embedded\":\"a\",\"location\":\"b\"}]}",
				 61, count_file, seen, &e) == EHR_ENODE, "both embedded and location");
	CHECK(shl_manifest_files("{\"files\":[{\"embedded\":\"a\"}]}", 27, count_file, seen, &e) == EHR_ENODE,
	      "no contentType");
}

static void test_urls(void)
{
	static const struct { const char *url; bool ok; const char *host; } urls[] = {
		{ "https://shl.example.org/m/abc", true, "shl.example.org" },
		{ "http://127.0.0.1:8080/x", true, "127.0.0.1" },
		{ "http://127.9.9.9/x", true, "127.9.9.9" },
		{ "http://localhost/x", true, "localhost" },
		{ "http://[::1]:80/x", true, "[::1]" },
		{ "http://example.org/x", false, "example.org" },
		{ "http://128.0.0.1/x", false, "128.0.0.1" },
		{ "ftp://example.org/x", false, "example.org" },
		{ "not a url", false, "" },
	};
	char host[256];
	uint8_t *key = sodium_malloc(32);
	shl_link l;
	ehr_err e;
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		CHECK(fetch_url_ok(urls[i].url, host, sizeof(host)) == urls[i].ok, "%s", urls[i].url);
		CHECK_STR(host, urls[i].host);
	}
	memset(&l, 0, sizeof(l));
	snprintf(l.url, sizeof(l.url), "http://example.org/m");
	CHECK(shl_open(&l, key, NULL, "ehr", NULL, NULL, &e) == EHR_EUSAGE, "plain http elsewhere: refused");
	CHECK_STR(e.msg, "the link's address at example.org is not https (plain http is only for this machine)");
	snprintf(l.url, sizeof(l.url), "https://example.org/m");
	l.passcode = true;
	CHECK(shl_open(&l, key, NULL, "ehr", NULL, NULL, &e) == EHR_EAUTH, "P without a passcode");
	sodium_free(key);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_refusals();
	test_urls();
	if (vectors_dir()) {
		test_vectors();
		test_manifest();
	} else {
		printf("skip: shl vectors: test vectors not found (set EHR_VECTORS)\n");
	}
	return tap_done();
}
