/* FHIR: every R4 example recognised by its resourceType, Bundles split into
 * their entries' resources byte for byte (the SHL IPS bundle: 20), invalid
 * JSON refused with its line and column, and an export Bundle that parses
 * and holds every resource and file. */
#include "tap.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/vault/fhir.h"

static char tmpdir[] = "/tmp/ehr-test-fhir-XXXXXX";

/* The fhir-r4 vector files, sorted; NULL-terminated, caller frees. */
static char **vector_files(size_t *n)
{
	char path[4096], **names = NULL;
	struct dirent **list;
	int i, k;

	*n = 0;
	if (!vectors_dir())
		return NULL;
	snprintf(path, sizeof(path), "%s/fhir-r4", vectors_dir());
	if ((k = scandir(path, &list, NULL, alphasort)) < 0)
		return NULL;
	names = calloc((size_t)k + 1, sizeof(*names));
	for (i = 0; i < k; i++) {
		size_t len = strlen(list[i]->d_name);

		if (len > 5 && !strcmp(list[i]->d_name + len - 5, ".json"))
			names[(*n)++] = strdup(list[i]->d_name);
		free(list[i]);
	}
	free(list);
	return names;
}

static void free_names(char **names)
{
	for (size_t i = 0; names && names[i]; i++)
		free(names[i]);
	free(names);
}

static void test_detect_vectors(void)
{
	size_t n = 0, i, len;
	char **names, rel[300], type[FHIR_TYPE_MAX], want[FHIR_TYPE_MAX];
	ehr_err e = { 0 };

	SKIP_WITHOUT_VECTORS("fhir-r4 detection");
	names = vector_files(&n);
	CHECK(n >= 27, "found %zu fhir-r4 files", n);
	for (i = 0; i < n; i++) {
		char *json;
		int rc;

		snprintf(rel, sizeof(rel), "fhir-r4/%s", names[i]);
		json = vectors_read(rel, &len);
		/* The files are named <resourceType>-<id>.json; the package
		 * manifest is JSON but no resource. */
		if (!strncmp(names[i], "hl7.fhir.", 9))
			want[0] = '\0';
		else
			snprintf(want, sizeof(want), "%.*s", (int)strcspn(names[i], "-"), names[i]);
		rc = json ? fhir_detect(json, len, type, sizeof(type), &e) : -1;
		CHECK(rc == 0, "%s: %s", names[i], e.msg);
		CHECK(rc == 0 && !strcmp(type, want), "%s: detected '%s', want '%s'", names[i], type, want);
		free(json);
	}
	free_names(names);
}

struct collected {
	size_t n;
	size_t index[64];
	char type[64][FHIR_TYPE_MAX];
	char *json[64];
	size_t len[64];
	int stop_at;
};

static int collect(void *arg, size_t index, const char *type, const char *json, size_t len,
		   ehr_err *e)
{
	struct collected *c = arg;

	if (c->stop_at >= 0 && (int)c->n == c->stop_at)
		return ehr_fail(e, EHR_EFAIL, "stopped at %zu", index);
	if (c->n == 64)
		return ehr_fail(e, EHR_EFAIL, "too many");
	c->index[c->n] = index;
	snprintf(c->type[c->n], FHIR_TYPE_MAX, "%s", type);
	c->json[c->n] = malloc(len + 1);
	memcpy(c->json[c->n], json, len);
	c->json[c->n][len] = '\0';
	c->len[c->n] = len;
	c->n++;
	return 0;
}

static void collected_free(struct collected *c)
{
	for (size_t i = 0; i < c->n; i++)
		free(c->json[i]);
	memset(c, 0, sizeof(*c));
}

/* Splits the Bundle in json and checks each piece against cJSON's view of
 * entry[i].resource; returns the number of resources. */
static size_t check_split(const char *what, const char *json, size_t len)
{
	struct collected c = { .stop_at = -1 };
	cJSON *doc = cJSON_ParseWithLength(json, len), *entry;
	size_t count = 0, i = 0, k = 0;
	ehr_err e = { 0 };
	int rc;

	rc = fhir_bundle_entries(json, len, collect, &c, &count, &e);
	CHECK(rc == 0, "%s: %s", what, e.msg);
	CHECK(count == c.n, "%s: count %zu, calls %zu", what, count, c.n);
	cJSON_ArrayForEach(entry, cJSON_GetObjectItem(doc, "entry")) {
		cJSON *r = cJSON_GetObjectItem(entry, "resource"), *piece;

		if (r) {
			CHECK(k < c.n && c.index[k] == i, "%s: entry %zu is resource %zu", what, i, k);
			if (k < c.n) {
				piece = cJSON_Parse(c.json[k]);
				CHECK(piece && cJSON_Compare(piece, r, 1), "%s: entry %zu differs", what, i);
				CHECK_STR(c.type[k], cJSON_GetObjectItem(r, "resourceType")->valuestring);
				/* the exact bytes: a span of the input */
				CHECK(c.json[k][0] == '{' && c.json[k][c.len[k] - 1] == '}' &&
				      memmem(json, len, c.json[k], c.len[k]), "%s: entry %zu is no span", what, i);
				cJSON_Delete(piece);
			}
			k++;
		}
		i++;
	}
	CHECK(k == c.n, "%s: %zu resources, cJSON sees %zu", what, c.n, k);
	cJSON_Delete(doc);
	collected_free(&c);
	return count;
}

static void test_split_vectors(void)
{
	size_t n = 0, i, len;
	char **names, rel[300];
	char *ips;

	SKIP_WITHOUT_VECTORS("Bundle splitting");
	ips = vectors_read("shl/IPS_IG-bundle-01.json", &len);
	CHECK(ips && check_split("IPS bundle", ips, len) == 20, "IPS bundle: 20 resources");
	{
		struct collected c = { .stop_at = -1 };
		ehr_err e = { 0 };

		CHECK(ips && fhir_bundle_entries(ips, len, collect, &c, NULL, &e) == 0, "split");
		CHECK(c.n == 20 && !strcmp(c.type[0], "Composition") && !strcmp(c.type[1], "Patient"),
		      "a document Bundle starts with its Composition");
		collected_free(&c);
		c.stop_at = 5;
		CHECK(ips && fhir_bundle_entries(ips, len, collect, &c, &i, &e) == EHR_EFAIL &&
		      strstr(e.msg, "stopped at 5") && i == 5, "the callback stops the walk");
		collected_free(&c);
	}
	free(ips);
	names = vector_files(&n);
	for (i = 0; i < n; i++) {
		char *json;

		if (strncmp(names[i], "Bundle-", 7))
			continue;
		snprintf(rel, sizeof(rel), "fhir-r4/%s", names[i]);
		if ((json = vectors_read(rel, &len)))
			check_split(names[i], json, len);
		free(json);
	}
	free_names(names);
}

static void test_split_exact(void)
{
	/* Escaped key names, strings full of brackets and quotes, numbers
	 * cJSON would print differently, a duplicate "entry" (the first one
	 * counts, as for cJSON), an entry without a resource. */
	static const char bundle[] =
		"\xef\xbb\xbf{ \"resourceType\" : \"Bundle\", \"type\":\"collection\",\n"
		"  \"\\u0065ntry\" : [\n"
		"    { \"fullUrl\": \"x\\\"}]{\", \"res\\u006furce\" :{\"resourceType\":\"Observation\","
		"\"valueQuantity\":{\"value\":1.50},\"note\":[{\"text\":\"}]\\\\\"}]}}\n"
		"    , {\"request\": {\"method\": \"DELETE\"}},\n"
		"    {\"resource\": {\"resourceType\": \"Patient\", \"n\": 1e2}, \"resource\": 5}\n"
		"  ],\n"
		"  \"entry\": [ {\"resource\": {\"resourceType\": \"Device\"}} ]\n"
		"}\n";
	static const char want0[] = "{\"resourceType\":\"Observation\",\"valueQuantity\":{\"value\":1.50},"
				    "\"note\":[{\"text\":\"}]\\\\\"}]}";
	static const char want1[] = "{\"resourceType\": \"Patient\", \"n\": 1e2}";
	struct collected c = { .stop_at = -1 };
	size_t count = 0;
	ehr_err e = { 0 };
	int rc;

	rc = fhir_bundle_entries(bundle, sizeof(bundle) - 1, collect, &c, &count, &e);
	CHECK(rc == 0 && count == 2, "tricky bundle: %d %zu %s", rc, count, e.msg);
	CHECK(c.n == 2 && c.len[0] == strlen(want0) && !memcmp(c.json[0], want0, c.len[0]),
	      "first resource, byte for byte: '%s'", c.n ? c.json[0] : "");
	CHECK(c.n == 2 && !strcmp(c.json[1], want1), "second: '%s'", c.n > 1 ? c.json[1] : "");
	CHECK(c.n == 2 && c.index[0] == 0 && c.index[1] == 2, "indexes skip the entry without resource");
	collected_free(&c);

	{
		static const char *refused[] = {
			"{\"resourceType\":\"Patient\"}",
			"{\"resourceType\":\"Bundle\",\"entry\":{}}",
			"{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":{\"id\":\"x\"}}]}",
			"{\"resourceType\":\"Bundle\",\"entry\":[{\"resource\":[1]}]}",
			"[1,2]",
			"{\"resourceType\":\"Bundle\",\"entry\":[",
		};

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			rc = fhir_bundle_entries(refused[i], strlen(refused[i]), collect, &c, &count, &e);
			CHECK(rc == EHR_EUSAGE && count == 0, "'%s' refused: %d %s", refused[i], rc, e.msg);
			collected_free(&c);
		}
	}
	rc = fhir_bundle_entries("{\"resourceType\":\"Bundle\",\"type\":\"collection\"}", 45,
				 collect, &c, &count, &e);
	CHECK(rc == 0 && count == 0, "a Bundle without entries: %d %s", rc, e.msg);
}

static void expect_error(const char *json, unsigned long line, unsigned long col)
{
	char type[FHIR_TYPE_MAX] = "x", want[64];
	ehr_err e = { 0 };
	int rc = fhir_detect(json, strlen(json), type, sizeof(type), &e);

	snprintf(want, sizeof(want), "invalid JSON at line %lu, column %lu", line, col);
	CHECK(rc == EHR_EUSAGE && !strcmp(e.msg, want) && type[0] == '\0',
	      "'%s': got %d '%s', want '%s'", json, rc, e.msg, want);
}

static void test_detect_edges(void)
{
	char type[FHIR_TYPE_MAX];
	ehr_err e = { 0 };

	expect_error("{\n  \"a\": 1,\n  \"b\": tru\n}", 3, 8);
	expect_error("{} x", 1, 4);
	expect_error("", 1, 1);
	expect_error("{\"\xc3\xa9\": ,}", 1, 7);        /* é is one character */
	expect_error("{\"resourceType\":\"Patient\",}", 1, 27);
	expect_error("\n\n[1, 2\n", 3, 6);        /* the end of the input */

	CHECK(fhir_detect("[1,2]", 5, type, sizeof(type), &e) == 0 && !type[0], "array: JSON, not FHIR");
	CHECK(fhir_detect("\"Patient\"", 9, type, sizeof(type), &e) == 0 && !type[0], "string");
	CHECK(fhir_detect("{\"id\":1}", 8, type, sizeof(type), &e) == 0 && !type[0], "no resourceType");
	CHECK(fhir_detect("\xef\xbb\xbf {\"resourceType\":\"Patient\"} \n", 32, type, sizeof(type), &e) == 0 &&
	      !strcmp(type, "Patient"), "byte order mark: %s", e.msg);
	CHECK(fhir_detect("{\"resourceType\":5}", 18, type, sizeof(type), &e) == EHR_EUSAGE, "number");
	CHECK(fhir_detect("{\"resourceType\":\"patient\"}", 26, type, sizeof(type), &e) == EHR_EUSAGE,
	      "lowercase");
	CHECK(fhir_detect("{\"resourceType\":\"Pat ient\"}", 27, type, sizeof(type), &e) == EHR_EUSAGE,
	      "space");
	CHECK(fhir_detect("{\"resourceType\":\"Patient\"}", 26, type, 5, &e) == EHR_EUSAGE, "cap");
	/* Not NUL-terminated: only len bytes count. */
	CHECK(fhir_detect("{\"resourceType\":\"Patient\"}garbage", 26, type, sizeof(type), &e) == 0 &&
	      !strcmp(type, "Patient"), "length bounds the input");

	/* A vector with a byte knocked out. */
	if (vectors_dir()) {
		size_t len;
		char *json = vectors_read("fhir-r4/Patient-example.json", &len), *colon;

		if (json && (colon = strchr(strstr(json, "\"active\""), ':'))) {
			*colon = ' ';
			CHECK(fhir_detect(json, len, type, sizeof(type), &e) == EHR_EUSAGE &&
			      strstr(e.msg, "line "), "broken Patient: %s", e.msg);
		}
		free(json);
	}
}

static char *slurp_fd(int fd, size_t *len)
{
	struct stat sb;
	char *buf;

	if (fstat(fd, &sb) < 0)
		return NULL;
	buf = malloc((size_t)sb.st_size + 1);
	if (pread(fd, buf, (size_t)sb.st_size, 0) != sb.st_size) {
		free(buf);
		return NULL;
	}
	buf[sb.st_size] = '\0';
	*len = (size_t)sb.st_size;
	return buf;
}

static int file_with(const char *name, const uint8_t *data, size_t len)
{
	char path[300];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || (len && write(fd, data, len) != (ssize_t)len))
		exit(1);
	lseek(fd, 0, SEEK_SET);
	unlink(path);
	return fd;
}

static const cJSON *find_by_fullurl(const cJSON *entries, const char *url)
{
	const cJSON *en;

	cJSON_ArrayForEach(en, entries)
		if (!strcmp(cJSON_GetObjectItem(en, "fullUrl")->valuestring, url))
			return cJSON_GetObjectItem(en, "resource");
	return NULL;
}

static void test_export(void)
{
	static const size_t file_sizes[] = { 100000, 0, 3, 49153 };
	size_t n_names = 0, n_res = 0, i, len, entries = 0;
	char **names = vector_files(&n_names), rel[300], *out_text;
	cJSON *originals[64] = { 0 }, *bundle, *en;
	uint8_t *files[4];
	fhir_export *x = NULL;
	ehr_err e = { 0 };
	int out = file_with("export.json", NULL, 0), rc, fd;
	size_t seen_res = 0, seen_bin = 0, seen_doc = 0;

	CHECK(fhir_export_begin(out, &x, &e) == 0, "begin: %s", e.msg);
	for (i = 0; i < n_names && n_res < 64; i++) {
		char *json;

		if (!strncmp(names[i], "hl7.fhir.", 9))
			continue;
		snprintf(rel, sizeof(rel), "fhir-r4/%s", names[i]);
		if (!(json = vectors_read(rel, &len)))
			continue;
		rc = fhir_export_add_resource(x, json, len, &e);
		CHECK(rc == 0, "add %s: %s", names[i], e.msg);
		originals[n_res++] = cJSON_Parse(json);
		free(json);
	}
	CHECK(fhir_export_add_resource(x, "{\"id\":1}", 8, &e) == EHR_EUSAGE, "not FHIR refused");
	CHECK(fhir_export_add_resource(x, "{\"resourceType\":", 16, &e) == EHR_EUSAGE, "bad JSON refused");
	for (i = 0; i < 4; i++) {
		fhir_attachment att = { .content_type = i == 0 ? "application/pdf" : NULL,
					.title = i == 1 ? "an \"empty\" scan" : "scan", .type = "imaging",
					.file_name = i == 2 ? "x.bin" : NULL,
					.created = "2025-03-01T08:15:00Z", .record_id = "abc123" };

		files[i] = malloc(file_sizes[i] + 1);
		randombytes_buf(files[i], file_sizes[i]);
		fd = file_with("attach", files[i], file_sizes[i]);
		CHECK(fhir_export_add_file(x, fd, &att, &e) == 0, "add file %zu: %s", i, e.msg);
		close(fd);
	}
	CHECK(fhir_export_end(x, &entries, &e) == 0, "end: %s", e.msg);
	CHECK(entries == n_res + 2 * 4, "%zu entries", entries);
	out_text = slurp_fd(out, &len);
	close(out);
	bundle = out_text ? cJSON_Parse(out_text) : NULL;
	CHECK(bundle != NULL, "the export Bundle parses");
	if (!bundle)
		goto done;
	CHECK_STR(cJSON_GetObjectItem(bundle, "resourceType")->valuestring, "Bundle");
	CHECK_STR(cJSON_GetObjectItem(bundle, "type")->valuestring, "collection");
	CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(bundle, "entry")) == (int)entries, "entry count");
	{
		/* It is itself a Bundle this module can split. */
		struct collected c = { .stop_at = -1 };
		size_t count = 0;

		CHECK(fhir_bundle_entries(out_text, len, collect, &c, &count, &e) == 0 &&
		      count == entries, "splits again: %s", e.msg);
		collected_free(&c);
	}
	cJSON_ArrayForEach(en, cJSON_GetObjectItem(bundle, "entry")) {
		const cJSON *r = cJSON_GetObjectItem(en, "resource");
		const char *type = cJSON_GetObjectItem(r, "resourceType")->valuestring;
		const char *url = cJSON_GetObjectItem(en, "fullUrl")->valuestring;

		CHECK(!strncmp(url, "urn:uuid:", 9) && strlen(url) == 45, "fullUrl %s", url);
		if (seen_res < n_res) {
			CHECK(originals[seen_res] && cJSON_Compare(r, originals[seen_res], 1),
			      "resource %zu kept as it was", seen_res);
			seen_res++;
		} else if (!strcmp(type, "Binary")) {
			uint8_t *bin = malloc(file_sizes[seen_bin] + 1);
			const char *data = cJSON_GetObjectItem(r, "data")->valuestring;
			size_t bin_len = 0;

			CHECK(sodium_base642bin(bin, file_sizes[seen_bin] + 1, data, strlen(data), NULL,
						&bin_len, NULL, sodium_base64_VARIANT_ORIGINAL) == 0 &&
			      bin_len == file_sizes[seen_bin] &&
			      !memcmp(bin, files[seen_bin], bin_len), "Binary %zu holds the file", seen_bin);
			CHECK_STR(cJSON_GetObjectItem(r, "contentType")->valuestring,
				  seen_bin == 0 ? "application/pdf" : "application/octet-stream");
			free(bin);
			seen_bin++;
		} else {
			const cJSON *a = cJSON_GetObjectItem(cJSON_GetArrayItem(
						cJSON_GetObjectItem(r, "content"), 0), "attachment");
			const cJSON *bin = find_by_fullurl(cJSON_GetObjectItem(bundle, "entry"),
							   cJSON_GetObjectItem(a, "url")->valuestring);
			uint8_t sha1[20];
			char sha1_64[32];

			CHECK_STR(type, "DocumentReference");
			CHECK(bin && !strcmp(cJSON_GetObjectItem(bin, "resourceType")->valuestring, "Binary"),
			      "attachment url points at a Binary");
			EVP_Digest(files[seen_doc], file_sizes[seen_doc], sha1, NULL, EVP_sha1(), NULL);
			sodium_bin2base64(sha1_64, sizeof(sha1_64), sha1, 20, sodium_base64_VARIANT_ORIGINAL);
			CHECK_STR(cJSON_GetObjectItem(a, "hash")->valuestring, sha1_64);
			CHECK(cJSON_GetObjectItem(a, "size")->valuedouble == (double)file_sizes[seen_doc],
			      "size");
			CHECK_STR(cJSON_GetObjectItem(a, "title")->valuestring,
				  seen_doc == 2 ? "x.bin" : seen_doc == 1 ? "an \"empty\" scan" : "scan");
			CHECK_STR(cJSON_GetObjectItem(r, "status")->valuestring, "current");
			CHECK_STR(cJSON_GetObjectItem(r, "date")->valuestring, "2025-03-01T08:15:00Z");
			CHECK_STR(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "type"), "text")->valuestring,
				  "imaging");
			CHECK_STR(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(r, "identifier"), 0),
						      "value")->valuestring, "abc123");
			seen_doc++;
		}
	}
	CHECK(seen_res == n_res && seen_bin == 4 && seen_doc == 4, "%zu resources, %zu Binary, "
	      "%zu DocumentReference", seen_res, seen_bin, seen_doc);
	cJSON_Delete(bundle);
done:
	free(out_text);
	for (i = 0; i < n_res; i++)
		cJSON_Delete(originals[i]);
	for (i = 0; i < 4; i++)
		free(files[i]);
	free_names(names);

	/* A failed write is reported at the end. */
	if ((out = open("/dev/full", O_WRONLY)) >= 0) {
		CHECK(fhir_export_begin(out, &x, &e) == 0, "begin");
		fd = file_with("attach", (const uint8_t *)"abc", 3);
		for (i = 0; i < 3; i++)
			fhir_export_add_file(x, fd, &(fhir_attachment){ 0 }, &e);
		close(fd);
		CHECK(fhir_export_end(x, NULL, &e) == EHR_EFAIL && strstr(e.msg, "cannot write"),
		      "/dev/full: %s", e.msg);
		close(out);
	}
}

static void check_label(const char *json, const char *want)
{
	char out[64];

	fhir_label(json, strlen(json), out, sizeof(out));
	CHECK(!strcmp(out, want), "label of %s: got '%s', want '%s'", json, out, want);
}

static void test_label(void)
{
	char small[8];

	check_label("{\"resourceType\":\"Observation\",\"code\":{\"text\":\"HbA1c\",\"coding\":[{\"display\":\"x\"}]}}", "HbA1c");
	check_label("{\"resourceType\":\"Observation\",\"code\":{\"coding\":[{\"code\":\"1\"},{\"display\":\"Hemoglobin A1c\"}]}}",
		    "Hemoglobin A1c");
	check_label("{\"resourceType\":\"AllergyIntolerance\",\"reaction\":[{\"substance\":{\"text\":\"Penicillin\"}}]}",
		    "Penicillin");
	check_label("{\"resourceType\":\"MedicationStatement\",\"medicationCodeableConcept\":{\"text\":\"Metformin 500 mg\"}}",
		    "Metformin 500 mg");
	check_label("{\"resourceType\":\"MedicationRequest\",\"medicationReference\":{\"display\":\"Aspirin\"}}", "Aspirin");
	check_label("{\"resourceType\":\"Immunization\",\"vaccineCode\":{\"text\":\"MMR\"}}", "MMR");
	check_label("{\"resourceType\":\"Patient\",\"name\":[{\"family\":\"DeLarosa\",\"given\":[\"Martha\",\"J\"]}]}",
		    "Martha J DeLarosa");
	check_label("{\"resourceType\":\"Organization\",\"name\":\"  The\\nclinic\\u001b[31m \"}", "The clinic [31m");
	check_label("{\"resourceType\":\"Observation\",\"status\":\"final\"}", "");
	check_label("{\"resourceType\":\"Observation\",\"code\":{\"text\":3}}", "");
	check_label("not json", "");
	{
		const char *j = "{\"resourceType\":\"Condition\",\"code\":{\"text\":\"Zo Zooë\"}}";

		fhir_label(j, strlen(j), small, sizeof(small));
	}
	CHECK(!strcmp(small, "Zo Zoo"), "cut at a character boundary, not inside the ë: '%s'", small);
}

int main(void)
{
	if (sodium_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	test_detect_vectors();
	test_split_vectors();
	test_split_exact();
	test_detect_edges();
	test_export();
	test_label();
	rmdir(tmpdir);
	return tap_done();
}
