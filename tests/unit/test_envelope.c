/* The record envelope: round trips at chunk-boundary sizes, the byte layout
 * of envelope.h, every tamper case refused with nothing left behind, the
 * content hash against sha256sum, opening into a file, data keys sealed to
 * account keys, hostile metadata, and the memory bound; the padding of
 * version 2 (its buckets, its overhead, hostile padding sealed under the
 * right key) and an envelope of version 1 made by the ehr before it. */
#include "tap.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/keys/enckey.h"
#include "wallet/vault/envelope.h"
#include "wallet/base/hex.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static char tmpdir[] = "/tmp/ehr-test-envelope-XXXXXX";

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f || (len && fwrite(data, 1, len, f) != len) || fclose(f) != 0) {
		fprintf(stderr, "cannot write %s\n", path);
		exit(1);
	}
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	if (!d)
		return (size_t)-1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static void sha256(const uint8_t *data, size_t len, uint8_t out[32])
{
	EVP_Digest(data, len, out, NULL, EVP_sha256(), NULL);
}

/* Seals data (from a regular file) into path; returns 0 or the status. */
static int seal_to(const uint8_t *data, size_t len, const envelope_meta *meta, const uint8_t *key,
		   const char *path, uint8_t hash[32], uint64_t *env_size, ehr_err *e)
{
	char in_path[256];
	int in, out, rc;

	path_in(in_path, sizeof(in_path), "plain.in");
	write_file(in_path, data, len);
	in = open(in_path, O_RDONLY);
	out = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = envelope_seal(in, out, meta, key, hash, env_size, e);
	close(in);
	close(out);
	unlink(in_path);
	return rc;
}

static uint8_t *random_bytes(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	randombytes_buf(p, len);
	return p;
}

/* The padding rule of envelope.h, written out again from its text
 * (Padme above a floor) rather than taken from the code under test. */
static uint64_t padme(uint64_t n, uint64_t floor)
{
	uint64_t e = 0, b = 0, step;

	if (n <= floor)
		return floor;
	while (n >> (e + 1))
		e++;                    /* floor(log2 n) */
	while (e >> b)
		b++;                    /* bits of e */
	step = (uint64_t)1 << (e - b);
	return (n + step - 1) / step * step;
}

static size_t be32_at(const uint8_t *p)
{
	return (size_t)p[0] << 24 | (size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3];
}

static void test_round_trips(void)
{
	static const size_t sizes[] = { 0, 1, 65535, 65536, 65537, 3 * 65536, 5u << 20 };
	uint8_t *key = envelope_key_new();
	size_t i;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], env_len = 0, got_len = 0, chunks, stream;
		uint8_t *data = random_bytes(len), *env, *got, hash[32], want[32];
		char env_path[256], out_path[256];
		envelope_meta meta, back;
		uint64_t env_size = 0;
		uint32_t meta_len;
		ehr_err e = { 0 };
		int fd, rc;

		envelope_meta_init(&meta);
		snprintf(meta.title, sizeof(meta.title), "record of %zu bytes", len);
		snprintf(meta.media_type, sizeof(meta.media_type), "application/octet-stream");
		path_in(env_path, sizeof(env_path), "rt.env");
		path_in(out_path, sizeof(out_path), "rt.out");
		rc = seal_to(data, len, &meta, key, env_path, hash, &env_size, &e);
		CHECK(rc == 0, "seal %zu: %s", len, e.msg);
		env = read_file(env_path, &env_len);
		CHECK(env && env_len == env_size, "%zu: envelope size %zu, reported %llu", len,
		      env_len, (unsigned long long)env_size);
		if (!env)
			continue;
		sha256(env, env_len, want);
		CHECK_MEM(hash, want, 32);
		/* The layout envelope.h documents. */
		CHECK(!memcmp(env, "EHR-ENV\0\x02\0\0\0\0\x01\0\0", 16), "%zu: fixed header", len);
		meta_len = (uint32_t)be32_at(env + 16);
		CHECK(meta_len == 512, "%zu: padded metadata %u bytes, not 512", len, meta_len);
		stream = (size_t)padme(len + 1, 1024);
		chunks = (stream + 65535) / 65536;
		CHECK(env_len == 44 + meta_len + 17 + stream + 17 * chunks,
		      "%zu: envelope is %zu bytes, formula says %zu", len, env_len,
		      (size_t)(44 + meta_len + 17 + stream + 17 * chunks));

		fd = open(env_path, O_RDONLY);
		rc = envelope_open_to_path(fd, out_path, false, key, hash, &back, &e);
		close(fd);
		CHECK(rc == 0, "open %zu: %s", len, e.msg);
		got = read_file(out_path, &got_len);
		CHECK(got && got_len == len && (len == 0 || !memcmp(got, data, len)),
		      "%zu: plaintext differs", len);
		CHECK(back.size == len, "%zu: meta size %llu", len, (unsigned long long)back.size);
		CHECK_STR(back.title, meta.title);
		/* From memory, the same. */
		rc = envelope_open_mem(env, env_len, -1, key, hash, NULL, &back, &e);
		CHECK(rc == 0, "open_mem %zu: %s", len, e.msg);
		unlink(out_path);
		unlink(env_path);
		free(got);
		free(env);
		free(data);
	}
	envelope_key_free(key);
}

/* Sealing from memory: envelopes a reader cannot tell from streamed ones
 * (the same layout and length, opening to the same plaintext and
 * metadata), one sealer reused across records, bad metadata refused. */
static void test_seal_mem(void)
{
	static const size_t sizes[] = { 0, 1, 2048, 65535, 65536, 65537, 3 * 65536, 200000 };
	envelope_sealer *s = envelope_sealer_new();
	uint8_t *key = envelope_key_new();
	envelope_meta meta, back, bad;
	ehr_err e = { 0 };
	size_t i;

	CHECK(s && key, "sealer and key");
	envelope_meta_init(&meta);
	snprintf(meta.title, sizeof(meta.title), "lab results");
	snprintf(meta.created, sizeof(meta.created), "2026-01-02T03:04:05Z");
	meta.size = 12345;  /* replaced by the length sealed */
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i], env_len = 0, file_len = 0;
		uint8_t *data = random_bytes(len), *env = NULL, *file_env, hash[32], file_hash[32], want[32];
		char env_path[256];
		uint64_t file_size = 0;
		int rc, fd;

		rc = envelope_seal_mem(s, data, len, &meta, key, &env, &env_len, hash, &e);
		CHECK(rc == 0 && env, "seal_mem %zu: %s", len, e.msg);
		if (!env) {
			free(data);
			continue;
		}
		sha256(env, env_len, want);
		CHECK_MEM(hash, want, 32);
		path_in(env_path, sizeof(env_path), "mem.env");
		CHECK(seal_to(data, len, &meta, key, env_path, file_hash, &file_size, &e) == 0,
		      "seal %zu: %s", len, e.msg);
		file_env = read_file(env_path, &file_len);
		CHECK(file_env && env_len == file_len, "%zu: %zu bytes from memory, %zu streamed", len,
		      env_len, file_len);
		/* the padded metadata length P is its own bucket, so P - 1 bytes of
		 * JSON give it */
		CHECK(env_len == envelope_sealed_size(be32_at(env + 16) - 1, len),
		      "%zu: envelope_sealed_size disagrees", len);
		/* the same header but for the secretstream nonce */
		CHECK(file_env && !memcmp(env, file_env, 20), "%zu: fixed header", len);
		CHECK(memcmp(hash, file_hash, 32) != 0, "%zu: two seals, two nonces", len);
		rc = envelope_open_mem(env, env_len, -1, key, hash, NULL, &back, &e);
		CHECK(rc == 0, "open %zu: %s", len, e.msg);
		CHECK(back.size == len, "%zu: meta size %llu", len, (unsigned long long)back.size);
		CHECK_STR(back.title, "lab results");
		CHECK_STR(back.created, "2026-01-02T03:04:05Z");
		fd = open(env_path, O_WRONLY | O_TRUNC);
		CHECK(fd >= 0 && write(fd, env, env_len) == (ssize_t)env_len, "write");
		close(fd);
		{
			char out_path[256];
			uint8_t *got;
			size_t got_len = 0;

			path_in(out_path, sizeof(out_path), "mem.out");
			fd = open(env_path, O_RDONLY);
			rc = envelope_open_to_path(fd, out_path, false, key, hash, NULL, &e);
			close(fd);
			got = read_file(out_path, &got_len);
			CHECK(rc == 0 && got && got_len == len && (!len || !memcmp(got, data, len)),
			      "%zu: plaintext differs: %s", len, e.msg);
			free(got);
			unlink(out_path);
		}
		/* a flipped bit anywhere is caught */
		env[env_len / 2] ^= 1;
		CHECK(envelope_open_mem(env, env_len, -1, key, hash, NULL, NULL, &e) == EHR_EINTEGRITY,
		      "%zu: tampered envelope opened", len);
		unlink(env_path);
		free(file_env);
		free(env);
		free(data);
	}
	bad = meta;
	bad.title[0] = '\x01';
	{
		uint8_t *env = (uint8_t *)"untouched", hash[32];
		size_t env_len = 7;

		CHECK(envelope_seal_mem(s, (const uint8_t *)"x", 1, &bad, key, &env, &env_len, hash, &e) ==
		      EHR_EUSAGE && !env && !env_len, "a control character in the title: %s", e.msg);
	}
	envelope_sealer_free(s);
	envelope_key_free(key);
}

/* A pipe: the size is unknown unless claimed, and a wrong claim is caught. */
static void test_pipe_input(void)
{
	uint8_t *key = envelope_key_new(), *data = random_bytes(200000), hash[32], got_hash[32];
	char env_path[256];
	envelope_meta meta, back;
	ehr_err e = { 0 };
	int p[2], out, rc;
	pid_t pid;

	envelope_meta_init(&meta);
	path_in(env_path, sizeof(env_path), "pipe.env");
	for (int claim = 0; claim < 3; claim++) {
		if (pipe(p) < 0)
			exit(1);
		if ((pid = fork()) == 0) {
			close(p[0]);
			if (write(p[1], data, 200000) != 200000)
				_exit(1);
			_exit(0);
		}
		close(p[1]);
		meta.size = claim == 0 ? ENVELOPE_SIZE_UNKNOWN : claim == 1 ? 200000 : 199999;
		out = open(env_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		rc = envelope_seal(p[0], out, &meta, key, hash, NULL, &e);
		close(p[0]);
		waitpid(pid, NULL, 0);
		if (claim == 2) {
			CHECK(rc == EHR_EFAIL && strstr(e.msg, "changed"), "wrong size claim: %d %s", rc, e.msg);
			close(out);
			continue;
		}
		CHECK(rc == 0, "seal from a pipe: %s", e.msg);
		lseek(out, 0, SEEK_SET);
		rc = envelope_open(out, -1, key, hash, got_hash, &back, &e);
		close(out);
		CHECK(rc == 0, "open: %s", e.msg);
		CHECK_MEM(got_hash, hash, 32);
		CHECK(back.size == (claim == 0 ? ENVELOPE_SIZE_UNKNOWN : 200000), "size %llu",
		      (unsigned long long)back.size);
	}
	/* A regular file read from an offset: the size is what remains. */
	{
		char in_path[256];
		int in;

		path_in(in_path, sizeof(in_path), "offset.in");
		write_file(in_path, data, 200000);
		in = open(in_path, O_RDONLY);
		lseek(in, 1000, SEEK_SET);
		out = open(env_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		envelope_meta_init(&meta);
		rc = envelope_seal(in, out, &meta, key, hash, NULL, &e);
		CHECK(rc == 0, "seal from offset: %s", e.msg);
		lseek(out, 0, SEEK_SET);
		rc = envelope_open(out, -1, key, hash, NULL, &back, &e);
		CHECK(rc == 0 && back.size == 199000, "from offset: %d size %llu", rc,
		      (unsigned long long)back.size);
		close(in);
		close(out);
		unlink(in_path);
	}
	/* Write failures are reported. */
	{
		int in = open("/dev/zero", O_RDONLY), full = open("/dev/full", O_WRONLY);

		envelope_meta_init(&meta);
		meta.size = 300000;
		if (full >= 0) {
			rc = envelope_seal(in, full, &meta, key, NULL, NULL, &e);
			CHECK(rc == EHR_EFAIL && strstr(e.msg, "cannot write"), "/dev/full: %d %s", rc, e.msg);
			close(full);
		}
		close(in);
	}
	unlink(env_path);
	free(data);
	envelope_key_free(key);
}

static void test_metadata(void)
{
	envelope_meta m, back;
	char *json;
	size_t len;
	ehr_err e = { 0 };
	uint8_t *key = envelope_key_new(), *env, hash[32];
	char env_path[256];
	size_t env_len = 0, span = 0;
	int rc, fd;

	envelope_meta_init(&m);
	snprintf(m.title, sizeof(m.title), "Blood panel — März 2025 \"fasting\"");
	snprintf(m.type, sizeof(m.type), "Observation");
	snprintf(m.media_type, sizeof(m.media_type), "application/fhir+json");
	snprintf(m.file_name, sizeof(m.file_name), "labs 2025-03.json");
	snprintf(m.created, sizeof(m.created), "2025-03-01T08:15:00Z");
	snprintf(m.resource_type, sizeof(m.resource_type), "Observation");
	m.size = 12345;
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == 0, "encode: %s", e.msg);
	CHECK(envelope_meta_parse(json, len, &back, &e) == 0, "parse: %s", e.msg);
	CHECK(!memcmp(&m, &back, sizeof(m)), "metadata round trip");
	cJSON_free(json);
	/* a SMART Health Card's issuer, verified or not */
	snprintf(m.issuer, sizeof(m.issuer), "https://spec.smarthealth.cards/examples/issuer");
	m.issuer_verified = true;
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == 0 && strstr(json, "\"issuerVerified\":true"),
	      "encode with an issuer: %s", e.msg);
	CHECK(envelope_meta_parse(json, len, &back, &e) == 0 && !memcmp(&m, &back, sizeof(m)),
	      "issuer round trip");
	cJSON_free(json);
	m.issuer_verified = false;
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == 0 && strstr(json, "\"issuerVerified\":false") &&
	      envelope_meta_parse(json, len, &back, &e) == 0 && !back.issuer_verified &&
	      !strcmp(back.issuer, m.issuer), "unverified issuer round trip");
	cJSON_free(json);
	m.issuer[0] = 0;

	/* Through an envelope, and through its self-contained prefix. */
	path_in(env_path, sizeof(env_path), "meta.env");
	m.size = ENVELOPE_SIZE_UNKNOWN;
	m.created[0] = '\0';
	rc = seal_to((const uint8_t *)"x", 1, &m, key, env_path, hash, NULL, &e);
	CHECK(rc == 0, "seal: %s", e.msg);
	fd = open(env_path, O_RDONLY);
	CHECK(envelope_read_meta(fd, key, &back, &e) == 0, "read_meta: %s", e.msg);
	close(fd);
	CHECK_STR(back.title, m.title);
	CHECK_STR(back.resource_type, "Observation");
	CHECK(back.size == 1, "size from the file: %llu", (unsigned long long)back.size);
	CHECK(strlen(back.created) == 20 && back.created[10] == 'T' && back.created[19] == 'Z',
	      "created filled in: '%s'", back.created);
	env = read_file(env_path, &env_len);
	CHECK(env && envelope_prefix_len(env, env_len, &span, &e) == 0 && span < env_len,
	      "prefix: %s", e.msg);
	CHECK(env && envelope_read_meta_mem(env, span, key, &back, &e) == 0, "meta from prefix: %s", e.msg);
	CHECK_STR(back.file_name, m.file_name);
	CHECK(env && envelope_read_meta_mem(env, span - 1, key, &back, &e) == EHR_EINTEGRITY,
	      "short prefix refused");
	free(env);
	unlink(env_path);
	envelope_key_free(key);

	/* What sealing refuses. */
	envelope_meta_init(&m);
	snprintf(m.title, sizeof(m.title), "bad\x1b[31mtitle");
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE && strstr(e.msg, "control"),
	      "control character: %s", e.msg);
	envelope_meta_init(&m);
	memset(m.title, 'a', sizeof(m.title));
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE, "unterminated title");
	envelope_meta_init(&m);
	snprintf(m.title, sizeof(m.title), "\xff\xfe");
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE, "invalid UTF-8");
	envelope_meta_init(&m);
	snprintf(m.created, sizeof(m.created), "2025-13-01T00:00:00Z");
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE, "bad month");
	envelope_meta_init(&m);
	snprintf(m.created, sizeof(m.created), "yesterday");
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE, "not a time");
	envelope_meta_init(&m);
	snprintf(m.resource_type, sizeof(m.resource_type), "patient");
	CHECK(envelope_meta_encode(&m, &json, &len, &e) == EHR_EUSAGE, "lowercase resource type");
}

static void test_hostile_metadata(void)
{
	static const char *bad[] = {
		"", "not json", "[]", "\"title\"", "null", "{\"title\":1}", "{\"size\":-1}",
		"{\"size\":1.5}", "{\"size\":1e300}", "{\"size\":\"12\"}", "{\"title\":\"x\"} {}",
		"{\"resourceType\":\"<script>\"}", "{\"fileName\":[\"a\"]}", "{\"title\":\"x\"",
		"{\"issuer\":1}", "{\"issuerVerified\":\"true\"}", "{\"issuerVerified\":1}",
	};
	envelope_meta m;
	ehr_err e = { 0 };
	char *deep, *long_title;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(envelope_meta_parse(bad[i], strlen(bad[i]), &m, &e) == EHR_EINTEGRITY,
		      "accepted hostile metadata '%s'", bad[i]);
	{
		static const char ok[] = "{\"title\":\"a\\u001b[2Jb\\u0000c\",\"x\":{\"y\":[1,2]},"
					 "\"size\":0}";

		CHECK(envelope_meta_parse(ok, strlen(ok), &m, &e) == 0, "unknown keys ignored: %s", e.msg);
	}
	CHECK_STR(m.title, "a?[2Jb");
	CHECK(m.size == 0, "size 0");
	/* deep nesting and oversize input: refused, not crashed */
	deep = malloc(60001);
	memset(deep, '[', 60000);
	deep[60000] = '\0';
	CHECK(envelope_meta_parse(deep, 60000, &m, &e) == EHR_EINTEGRITY, "deep nesting");
	CHECK(envelope_meta_parse(deep, ENVELOPE_META_MAX + 1, &m, &e) == EHR_EINTEGRITY, "oversize");
	free(deep);
	long_title = malloc(700);
	memcpy(long_title, "{\"title\":\"", 10);
	memset(long_title + 10, 'a', 600);
	memcpy(long_title + 610, "\"}", 3);
	CHECK(envelope_meta_parse(long_title, 612, &m, &e) == EHR_EINTEGRITY &&
	      strstr(e.msg, "longer"), "long title: %s", e.msg);
	free(long_title);
}

/* One tamper case: the envelope bytes given must be refused with
 * EHR_EINTEGRITY by every way of opening, leaving no file. */
static void refuse(const char *what, const uint8_t *env, size_t len, const uint8_t *key,
		   const uint8_t *hash, const char *want_msg)
{
	char env_path[256], out_path[256];
	ehr_err e = { 0 };
	envelope_meta m;
	size_t before;
	int fd, rc, pass;

	path_in(env_path, sizeof(env_path), "tampered.env");
	path_in(out_path, sizeof(out_path), "tampered.out");
	write_file(env_path, env, len);
	before = count_entries(tmpdir);
	for (pass = 0; pass < 2; pass++) {
		const uint8_t *expect = pass ? hash : NULL;

		fd = open(env_path, O_RDONLY);
		rc = envelope_open_to_path(fd, out_path, false, key, expect, &m, &e);
		close(fd);
		CHECK(rc == EHR_EINTEGRITY, "%s (hash %s): status %d: %s", what, pass ? "given" : "none",
		      rc, e.msg);
		CHECK(access(out_path, F_OK) != 0, "%s: output left behind", what);
		CHECK(count_entries(tmpdir) == before, "%s: temporary file left behind", what);
		if (want_msg)
			CHECK(strstr(e.msg, want_msg) != NULL, "%s: message '%s' lacks '%s'", what,
			      e.msg, want_msg);
		rc = envelope_open_mem(env, len, -1, key, expect, NULL, NULL, &e);
		CHECK(rc == EHR_EINTEGRITY, "%s (memory): status %d: %s", what, rc, e.msg);
	}
	unlink(env_path);
}

static void test_tampering(void)
{
	uint8_t *key = envelope_key_new(), *other = envelope_key_new(), hash[32];
	size_t len = 3 * 65536 + 100, env_len = 0, c1, cs = 65536 + 17;
	uint8_t *data = random_bytes(len), *env, *t;
	char env_path[256];
	envelope_meta m;
	ehr_err e = { 0 };
	uint32_t meta_len;
	size_t cuts[8], i;

	envelope_meta_init(&m);
	snprintf(m.title, sizeof(m.title), "tamper me");
	path_in(env_path, sizeof(env_path), "good.env");
	CHECK(seal_to(data, len, &m, key, env_path, hash, NULL, &e) == 0, "seal: %s", e.msg);
	env = read_file(env_path, &env_len);
	unlink(env_path);
	if (!env)
		return;
	meta_len = (uint32_t)env[16] << 24 | (uint32_t)env[17] << 16 | (uint32_t)env[18] << 8 | env[19];
	/* chunk 1 starts at c1; the stream is padded to 200,704 bytes (Padme:
	 * 196,709 rounded up to 4 KiB), so 4 chunks, the last of 4,096 + 17
	 * bytes holding the file's last 100 bytes, the mark and zeros */
	c1 = 44 + meta_len + 17;
	CHECK(env_len == c1 + 3 * cs + 4113, "layout: %zu", env_len);
	t = malloc(env_len + cs);

	/* The untouched envelope opens; with a wrong hash or key it does not. */
	CHECK(envelope_open_mem(env, env_len, -1, key, hash, NULL, NULL, &e) == 0, "good: %s", e.msg);
	{
		uint8_t wrong[32];

		memcpy(wrong, hash, 32);
		wrong[0] ^= 1;
		CHECK(envelope_open_mem(env, env_len, -1, key, wrong, NULL, NULL, &e) == EHR_EINTEGRITY &&
		      strstr(e.msg, "content hash"), "hash mismatch: %s", e.msg);
	}
	refuse("wrong key", env, env_len, other, hash, "metadata fails authentication");

	/* One flipped byte, anywhere. */
	{
		static const struct { size_t off; const char *msg; } flips[] = {
			{ 0, "magic" }, { 8, "version" }, { 10, "reserved" }, { 14, "chunk size" },
			{ 19, NULL }, { 20, "metadata fails" }, { 43, "metadata fails" },
			{ 44, "metadata fails" }, { 50, "metadata fails" },
		};

		for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
			char what[64];

			memcpy(t, env, env_len);
			t[flips[i].off] ^= 0x01;
			snprintf(what, sizeof(what), "flip header/metadata byte %zu", flips[i].off);
			refuse(what, t, env_len, key, hash, flips[i].msg);
		}
	}
	memcpy(t, env, env_len);
	t[c1 + cs + 1000] ^= 0x80;
	refuse("flip in chunk 2", t, env_len, key, hash, "chunk 2 fails authentication");
	memcpy(t, env, env_len);
	t[c1] ^= 0x01;
	refuse("flip chunk 1 tag byte", t, env_len, key, hash, "chunk 1 fails");
	memcpy(t, env, env_len);
	t[env_len - 1] ^= 0x01;
	refuse("flip the last byte", t, env_len, key, hash, "chunk 4");

	/* Truncations, at boundaries and inside. */
	cuts[0] = 0, cuts[1] = 10, cuts[2] = 44, cuts[3] = c1 - 1, cuts[4] = c1;
	cuts[5] = c1 + cs, cuts[6] = c1 + cs + 500, cuts[7] = env_len - 1;
	for (i = 0; i < 8; i++) {
		char what[64];

		snprintf(what, sizeof(what), "truncated to %zu bytes", cuts[i]);
		refuse(what, env, cuts[i], key, hash,
		       i == 4 || i == 5 ? "no final chunk" : i == 0 ? "empty" : "truncated");
	}
	{
		/* Cut right after a full chunk whose successor was the last: a
		 * stream that stops at a MESSAGE boundary. */
		refuse("truncated after chunk 3", env, c1 + 3 * cs, key, hash, "no final chunk");
	}

	/* One byte too many, and a whole extra chunk. */
	memcpy(t, env, env_len);
	t[env_len] = 0;
	refuse("one byte appended", t, env_len + 1, key, hash, "trailing bytes after the final chunk");
	memcpy(t + env_len, env + c1, cs);
	refuse("a chunk appended", t, env_len + cs, key, hash, "trailing bytes");

	/* Reordered, duplicated, dropped chunks. */
	memcpy(t, env, env_len);
	memcpy(t + c1, env + c1 + cs, cs);
	memcpy(t + c1 + cs, env + c1, cs);
	refuse("chunks 1 and 2 swapped", t, env_len, key, hash, "chunk 1 fails");
	memcpy(t, env, c1 + cs);
	memcpy(t + c1 + cs, env + c1, env_len - c1);
	refuse("chunk 1 duplicated", t, env_len + cs, key, hash, "chunk 2 fails");
	memcpy(t, env, c1 + cs);
	memcpy(t + c1 + cs, env + c1 + 2 * cs, env_len - c1 - 2 * cs);
	refuse("chunk 2 dropped", t, env_len - cs, key, hash, "chunk 2 fails");
	/* The metadata message replayed from another envelope under the same
	 * key (a stream header is fresh per envelope, so it fails). */
	{
		uint8_t h2[32], *env2;
		size_t env2_len = 0;

		CHECK(seal_to(data, len, &m, key, env_path, h2, NULL, &e) == 0, "seal again");
		env2 = read_file(env_path, &env2_len);
		unlink(env_path);
		if (env2 && env2_len == env_len) {
			memcpy(t, env, env_len);
			memcpy(t + c1, env2 + c1, cs);
			refuse("chunk 1 from another envelope", t, env_len, key, hash, "chunk 1 fails");
		}
		free(env2);
	}
	free(t);
	free(env);
	free(data);
	envelope_key_free(key);
	envelope_key_free(other);
}

/* The buckets: the values envelope.h names, envelope_bucket against the
 * rule written out again, the overhead it costs, and notes of 20, 29 and
 * 33 bytes sealing to one size. */
static void test_padding(void)
{
	static const uint64_t known[][3] = {
		{ 0, 1024, 1024 }, { 1, 1024, 1024 }, { 1024, 1024, 1024 }, { 1025, 1024, 1088 },
		{ 2047, 1024, 2048 }, { 65537, 1024, 67584 }, { 196709, 1024, 200704 },
		{ (1u << 30) + 1, 1024, (1u << 30) + (32u << 20) }, { 138, 512, 512 },
		{ 65537, 512, 67584 },
	};
	static const size_t notes[] = { 20, 29, 33 };
	uint8_t *key = envelope_key_new();
	envelope_sealer *sl = envelope_sealer_new();
	double worst = 0, worst64k = 0;
	uint64_t n, b, worst_at = 0;
	size_t i, first = 0;

	for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		CHECK(envelope_bucket(known[i][0], known[i][1]) == known[i][2],
		      "bucket(%llu, %llu) is %llu, not %llu", (unsigned long long)known[i][0],
		      (unsigned long long)known[i][1],
		      (unsigned long long)envelope_bucket(known[i][0], known[i][1]),
		      (unsigned long long)known[i][2]);
	/* every size to 1 MiB, then a sparse walk to 2^40 */
	for (n = 0; n < ((uint64_t)1 << 40); n += n < (1u << 20) ? 1 : n / 997 + 1) {
		b = envelope_bucket(n, 1024);
		if (b != padme(n, 1024) || b < n || envelope_bucket(b, 1024) != b) {
			CHECK(0, "bucket(%llu) is %llu", (unsigned long long)n, (unsigned long long)b);
			break;
		}
		if (n > 1024 && (double)(b - n) / (double)n > worst)
			worst = (double)(b - n) / (double)n, worst_at = n;
		if (n >= 65536 && (double)(b - n) / (double)n > worst64k)
			worst64k = (double)(b - n) / (double)n;
	}
	CHECK(worst < 0.0625 && worst64k < 0.03125, "overhead %.4f above 1 KiB, %.4f above 64 KiB",
	      worst, worst64k);
	printf("# padding overhead: at most %.3f%% above 1 KiB (at %llu bytes), %.3f%% above 64 KiB\n",
	       worst * 100, (unsigned long long)worst_at, worst64k * 100);

	for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
		envelope_meta m;
		uint8_t *data = random_bytes(notes[i]), *env = NULL, hash[32];
		size_t env_len = 0;
		ehr_err e = { 0 };

		envelope_meta_init(&m);
		snprintf(m.title, sizeof(m.title), "note-%zu.txt", notes[i]);
		snprintf(m.file_name, sizeof(m.file_name), "note-%zu.txt", notes[i]);
		snprintf(m.media_type, sizeof(m.media_type), "text/plain");
		CHECK(envelope_seal_mem(sl, data, notes[i], &m, key, &env, &env_len, hash, &e) == 0,
		      "seal %zu: %s", notes[i], e.msg);
		CHECK(env_len == 1614, "a %zu-byte note seals to %zu bytes, not 1614", notes[i], env_len);
		if (!i)
			first = env_len;
		CHECK(env_len == first, "%zu-byte note: %zu bytes, the 20-byte one %zu", notes[i],
		      env_len, first);
		free(env);
		free(data);
	}
	envelope_sealer_free(sl);
	envelope_key_free(key);
}

/* An envelope of version 2 sealed here with libsodium itself: metadata
 * plaintext ml bytes at mp (the header claims claim bytes), then n chunks
 * (plaintext, length, tag). Well authenticated, so what it tests is the
 * opener's checks of the padding behind the authentication. */
struct hand_chunk {
	const uint8_t *p;
	size_t len;
	uint8_t tag;
};

static uint8_t *hand_seal(unsigned version, const uint8_t *mp, size_t ml, size_t claim,
			  const struct hand_chunk *c, size_t n, const uint8_t *key, size_t *out_len)
{
	crypto_secretstream_xchacha20poly1305_state st;
	size_t total = 44 + ml + 17, i, at;
	uint8_t *env;

	for (i = 0; i < n; i++)
		total += c[i].len + 17;
	env = malloc(total);
	memcpy(env, "EHR-ENV\0\0\0\0\0\0\x01\0\0", 16);
	env[8] = (uint8_t)version;
	env[16] = (uint8_t)(claim >> 24), env[17] = (uint8_t)(claim >> 16);
	env[18] = (uint8_t)(claim >> 8), env[19] = (uint8_t)claim;
	crypto_secretstream_xchacha20poly1305_init_push(&st, env + 20, key);
	crypto_secretstream_xchacha20poly1305_push(&st, env + 44, NULL, mp, ml, env, 44,
						   crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
	at = 44 + ml + 17;
	for (i = 0; i < n; i++) {
		crypto_secretstream_xchacha20poly1305_push(&st, env + at, NULL, c[i].p, c[i].len,
							   NULL, 0, c[i].tag);
		at += c[i].len + 17;
	}
	*out_len = total;
	return env;
}

/* Metadata JSON, the mark and zeros to len bytes. */
static uint8_t *padded_meta(const char *json, size_t len)
{
	uint8_t *p = calloc(1, len);

	memcpy(p, json, strlen(json));
	p[strlen(json)] = 0x80;
	return p;
}

static void test_hostile_padding(void)
{
	enum { M = 0, P = 1, F = 3 };
	static const char json[] = "{\"title\":\"padded\",\"size\":5}";
	uint8_t *key = envelope_key_new(), *meta = padded_meta(json, 512), *full, *env;
	uint8_t small[1024] = "hello\x80", bad[1024], *got;
	char env_path[256], out_path[256];
	envelope_meta back;
	size_t len, got_len = 0;
	ehr_err e = { 0 };
	int fd;

	full = calloc(1, 65536);
	/* the shape a sealer writes opens */
	env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { small, 1024, F } }, 1, key, &len);
	path_in(env_path, sizeof(env_path), "hand.env");
	path_in(out_path, sizeof(out_path), "hand.out");
	write_file(env_path, env, len);
	fd = open(env_path, O_RDONLY);
	CHECK(envelope_open_to_path(fd, out_path, false, key, NULL, &back, &e) == 0, "hand-made: %s",
	      e.msg);
	close(fd);
	got = read_file(out_path, &got_len);
	CHECK(got && got_len == 5 && !memcmp(got, "hello", 5) && !strcmp(back.title, "padded"),
	      "hand-made opens to its 5 bytes");
	free(got);
	unlink(out_path);
	unlink(env_path);
	/* a byte of the padding's ciphertext flipped: authentication fails */
	env[len - 17 - 500] ^= 0x01;
	refuse("padding ciphertext flipped", env, len, key, NULL, "chunk 1 fails authentication");
	free(env);

	/* behind the authentication: a non-zero byte after the mark */
	memcpy(bad, small, sizeof(bad));
	bad[700] = 1;
	env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { bad, 1024, F } }, 1, key, &len);
	refuse("a non-zero byte after the mark", env, len, key, NULL, "mark");
	free(env);
	/* no mark */
	memset(bad, 0, sizeof(bad));
	memcpy(bad, "hello", 5);
	env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { bad, 1024, F } }, 1, key, &len);
	refuse("no mark", env, len, key, NULL, "mark");
	free(env);
	/* padded past its bucket */
	{
		uint8_t *big = calloc(1, 65536), *pad2 = calloc(1, 65536);

		memcpy(big, "hello\x80", 6);
		env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { big, 65536, P },
			{ pad2, 1024, F } }, 2, key, &len);
		refuse("66,560 bytes of stream for 5 of file", env, len, key, NULL, "holds more than");
		free(env);
		/* the same with the size unknown to the metadata: the end check */
		free(meta);
		meta = padded_meta("{\"title\":\"padded\"}", 512);
		env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { big, 65536, P },
			{ pad2, 1024, F } }, 2, key, &len);
		refuse("66,560 bytes of stream, size unknown", env, len, key, NULL, "padded data");
		free(env);
		/* a PUSH after the mark */
		env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { big, 65536, P },
			{ pad2, 65536, P }, { pad2, 1024, F } }, 3, key, &len);
		refuse("PUSH after the mark", env, len, key, NULL, "chunk 2 has tag 1");
		free(env);
		free(big);
		free(pad2);
	}
	/* the metadata: no mark, padded past its bucket, a length not a bucket */
	free(meta);
	meta = calloc(1, 1024);
	memcpy(meta, json, strlen(json));
	env = hand_seal(2, meta, 512, 512, (struct hand_chunk[]){ { small, 1024, F } }, 1, key, &len);
	refuse("metadata without its mark", env, len, key, NULL, "metadata padding");
	free(env);
	meta[strlen(json)] = 0x80;
	env = hand_seal(2, meta, 1024, 1024, (struct hand_chunk[]){ { small, 1024, F } }, 1, key, &len);
	refuse("metadata padded to 1024", env, len, key, NULL, "metadata padding");
	free(env);
	env = hand_seal(2, meta, 600, 600, (struct hand_chunk[]){ { small, 1024, F } }, 1, key, &len);
	refuse("metadata length 600", env, len, key, NULL, "metadata length 600");
	free(env);
	/* version 1 takes no PUSH */
	env = hand_seal(1, (const uint8_t *)json, strlen(json), strlen(json),
			(struct hand_chunk[]){ { full, 65536, P }, { full, 5, F } }, 2, key, &len);
	refuse("version 1 with a PUSH chunk", env, len, key, NULL, "chunk 1 has tag 1");
	free(env);
	free(meta);
	free(full);
	envelope_key_free(key);
}

/* An envelope of version 1 written by ehr before the padding (commit
 * 9172a3b, envelope_seal of a 33-byte note under the data key e0 e1 ...
 * ff, the key fuzz/make-seeds.sh uses): it still opens, to its bytes, with
 * its title and its hash. */
static void test_version1(void)
{
	static const char env_hex[] =
		"4548522d454e5600010000000001000000000089c4c6e28be795e7490fa11d48324e8818f6ff0bcb3f79"
		"bd510cb2f46751557a21f67e9419b590462a2f66a3ca128084eea15444cc74809869162b8d56d6d990a4"
		"16873c7ff7338045691fdf13d40edabfe7b4e868e312870418dc6579574e3391f7daf8c6e5d30ef0de1c"
		"60cbf5e4c9eef51bb17be662274eb371448b9b8673cdcfd6bf133c7fe22a59b268fd36edceb89fcce9e1"
		"8d448d6a1b3aef40fbbce0e16978bd8f3337413f7f0cb83443fc6e15e490262beaa9cd0b884ab15a8fd9"
		"be5941315fc43f85076608f4846447b5732c7bdfdbfeaa4ad98b7efcfa5c350da86b50dc6471";
	static const char hash_hex[] =
		"3b2847b02646c4e9a4617aed92a7dc7a802ea0e7280b086dc55c3fe150862041";
	uint8_t env[248], hash[32], *key = sodium_malloc(32), *got;
	char env_path[256], out_path[256];
	envelope_meta back;
	size_t i, got_len = 0;
	ehr_err e = { 0 };
	int fd;

	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xe0 + i);
	CHECK(!hex_decode_exact(env_hex, env, sizeof(env)) && !hex_decode_exact(hash_hex, hash, 32),
	      "fixture decodes");
	CHECK(env[8] == 1, "the fixture is version 1");
	path_in(env_path, sizeof(env_path), "v1.env");
	path_in(out_path, sizeof(out_path), "v1.out");
	write_file(env_path, env, sizeof(env));
	fd = open(env_path, O_RDONLY);
	CHECK(envelope_open_to_path(fd, out_path, false, key, hash, &back, &e) == 0, "version 1: %s",
	      e.msg);
	close(fd);
	got = read_file(out_path, &got_len);
	CHECK(got && got_len == 33 && !memcmp(got, "Blood pressure 120/80, pulse 64.\n", 33),
	      "version 1 opens to its note");
	CHECK_STR(back.title, "a note sealed by ehr before padding");
	CHECK_STR(back.file_name, "note.txt");
	CHECK(back.size == 33, "version 1 size %llu", (unsigned long long)back.size);
	CHECK(envelope_read_meta_mem(env, sizeof(env), key, &back, &e) == 0, "meta: %s", e.msg);
	free(got);
	unlink(out_path);
	unlink(env_path);
	/* and a flipped byte in it is refused as before */
	env[200] ^= 1;
	refuse("version 1 flipped", env, sizeof(env), key, hash, "fails authentication");
	sodium_free(key);
}

static void test_open_to_path(void)
{
	uint8_t *key = envelope_key_new(), hash[32], *got;
	char env_path[256], out_path[256], sub[256];
	envelope_meta m;
	ehr_err e = { 0 };
	size_t before, got_len = 0;
	struct stat sb;
	int fd, rc;

	envelope_meta_init(&m);
	path_in(env_path, sizeof(env_path), "otp.env");
	path_in(out_path, sizeof(out_path), "otp.out");
	CHECK(seal_to((const uint8_t *)"new contents", 12, &m, key, env_path, hash, NULL, &e) == 0,
	      "seal: %s", e.msg);
	write_file(out_path, (const uint8_t *)"old", 3);
	before = count_entries(tmpdir);

	fd = open(env_path, O_RDONLY);
	rc = envelope_open_to_path(fd, out_path, false, key, hash, NULL, &e);
	close(fd);
	CHECK(rc == EHR_EUSAGE && strstr(e.msg, "exists"), "existing output refused: %d %s", rc, e.msg);
	got = read_file(out_path, &got_len);
	CHECK(got && got_len == 3 && !memcmp(got, "old", 3), "existing output untouched");
	free(got);
	CHECK(count_entries(tmpdir) == before, "nothing left by the refusal");

	fd = open(env_path, O_RDONLY);
	rc = envelope_open_to_path(fd, out_path, true, key, hash, NULL, &e);
	close(fd);
	CHECK(rc == 0, "replace: %s", e.msg);
	got = read_file(out_path, &got_len);
	CHECK(got && got_len == 12 && !memcmp(got, "new contents", 12), "replaced");
	free(got);
	CHECK(stat(out_path, &sb) == 0 && (sb.st_mode & 0777) == 0600, "mode %o", sb.st_mode & 0777);
	CHECK(count_entries(tmpdir) == before, "no temporary file after replace");
	unlink(out_path);

	/* A fresh name, with the umask at its most permissive: still 0600. */
	{
		mode_t old = umask(0);

		fd = open(env_path, O_RDONLY);
		rc = envelope_open_to_path(fd, out_path, false, key, hash, NULL, &e);
		close(fd);
		umask(old);
		CHECK(rc == 0 && stat(out_path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
		      "fresh file 0600: %s", e.msg);
		unlink(out_path);
	}
	/* A missing directory and a name that is no file. */
	path_in(sub, sizeof(sub), "missing/dir/out");
	fd = open(env_path, O_RDONLY);
	CHECK(envelope_open_to_path(fd, sub, false, key, hash, NULL, &e) == EHR_EFAIL,
	      "missing directory: %s", e.msg);
	close(fd);
	path_in(sub, sizeof(sub), "");
	fd = open(env_path, O_RDONLY);
	CHECK(envelope_open_to_path(fd, sub, false, key, hash, NULL, &e) == EHR_EUSAGE,
	      "directory as output: %s", e.msg);
	close(fd);
	unlink(env_path);
	CHECK(count_entries(tmpdir) == 0, "clean at the end");
	envelope_key_free(key);
}

static void test_sha256sum(void)
{
	uint8_t *key = envelope_key_new(), *data = random_bytes(300000), hash[32];
	char env_path[256], cmd[512], line[256], hex[65];
	envelope_meta m;
	ehr_err e = { 0 };
	FILE *p;

	envelope_meta_init(&m);
	path_in(env_path, sizeof(env_path), "sum.env");
	CHECK(seal_to(data, 300000, &m, key, env_path, hash, NULL, &e) == 0, "seal: %s", e.msg);
	hex_encode(hash, 32, hex);
	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", env_path);
	if (!(p = popen(cmd, "r")) || !fgets(line, sizeof(line), p)) {
		printf("skip: sha256sum not available\n");
	} else {
		CHECK(strncmp(line, hex, 64) == 0, "sha256sum says %.64s, we say %s", line, hex);
	}
	if (p)
		pclose(p);
	unlink(env_path);
	free(data);
	envelope_key_free(key);
}

static void test_key_sealing(void)
{
	uint8_t *priv = sodium_malloc(32), *sk = sodium_malloc(32), *sk2 = sodium_malloc(32);
	uint8_t *key = envelope_key_new(), *opened = sodium_malloc(32);
	uint8_t pk[32], pk2[32], sealed[ENVELOPE_SEALED_KEY_BYTES], zero[32] = { 0 };
	ehr_err e = { 0 };

	CHECK(ENVELOPE_SEALED_KEY_BYTES == crypto_box_SEALBYTES + 32, "sealed key size");
	randombytes_buf(priv, 32);
	CHECK(enckey_derive(priv, sk, pk) == 0, "derive");
	randombytes_buf(priv, 32);
	CHECK(enckey_derive(priv, sk2, pk2) == 0, "derive other");
	CHECK(envelope_key_seal(key, pk, sealed, &e) == 0, "seal: %s", e.msg);
	CHECK(envelope_key_open(sealed, pk, sk, opened, &e) == 0, "open: %s", e.msg);
	CHECK(sodium_memcmp(opened, key, 32) == 0, "same key back");
	CHECK(envelope_key_open(sealed, pk2, sk2, opened, &e) == EHR_EAUTH &&
	      strstr(e.msg, "not sealed to this account"), "another account's key: %s", e.msg);
	sealed[40] ^= 1;
	CHECK(envelope_key_open(sealed, pk, sk, opened, &e) == EHR_EAUTH, "altered sealed key");
	CHECK(envelope_key_seal(key, zero, sealed, &e) == EHR_EUSAGE, "low-order public key refused");
	sodium_free(priv);
	sodium_free(sk);
	sodium_free(sk2);
	sodium_free(opened);
	envelope_key_free(key);
}

/* Feeds n pseudo-random bytes into fd (a child process). */
static void generate(int fd, size_t n)
{
	static uint8_t buf[1 << 16];
	uint64_t x = 0x9e3779b97f4a7c15u;
	size_t i;

	while (n) {
		size_t k = n < sizeof(buf) ? n : sizeof(buf);

		for (i = 0; i < k; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		if (write(fd, buf, k) != (ssize_t)k)
			_exit(1);
		n -= k;
	}
}

/* Peak RSS of a child doing one thing, in KiB; -1 when it failed. */
static long child_rss(int (*job)(void *), void *arg)
{
	struct rusage ru;
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(job(arg) ? 1 : 0);
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return ru.ru_maxrss;
}

#define BIG (256u << 20)

struct big {
	char env_path[256];
	uint8_t key[32], hash[32];
};

static int big_seal(void *arg)
{
	struct big *b = arg;
	envelope_meta m;
	int p[2], out, rc;
	pid_t gen;

	if (pipe(p) < 0)
		return 1;
	if ((gen = fork()) == 0) {
		close(p[0]);
		generate(p[1], BIG);
		_exit(0);
	}
	close(p[1]);
	envelope_meta_init(&m);
	m.size = BIG;
	out = open(b->env_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	rc = envelope_seal(p[0], out, &m, b->key, b->hash, NULL, NULL);
	close(out);
	waitpid(gen, NULL, 0);
	return rc;
}

static int big_open(void *arg)
{
	struct big *b = arg;
	envelope_meta m;
	int in = open(b->env_path, O_RDONLY), rc;

	rc = envelope_open(in, -1, b->key, b->hash, NULL, &m, NULL);
	close(in);
	return rc || m.size != BIG;
}

static void test_memory_bound(void)
{
	struct big *b = mmap(NULL, sizeof(*b), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long seal_kib, open_kib;

	if (UNDER_ASAN) {
		printf("skip: 256 MiB memory bound: AddressSanitizer inflates RSS\n");
		return;
	}
	/* shared memory, so the sealing child hands the hash back */
	path_in(b->env_path, sizeof(b->env_path), "big.env");
	randombytes_buf(b->key, 32);
	seal_kib = child_rss(big_seal, b);
	open_kib = child_rss(big_open, b);
	CHECK(seal_kib > 0 && seal_kib < 32 * 1024, "sealing 256 MiB: peak RSS %ld KiB", seal_kib);
	CHECK(open_kib > 0 && open_kib < 32 * 1024, "opening 256 MiB: peak RSS %ld KiB", open_kib);
	printf("256 MiB: peak RSS %ld KiB sealing, %ld KiB opening\n", seal_kib, open_kib);
	unlink(b->env_path);
	munmap(b, sizeof(*b));
}

/* Without a second thread, sealing and opening run the same steps inline.
 * This runs in a freshly executed copy of the test (glibc keeps the stacks
 * of finished threads, which a forked child would reuse), with too little
 * address space for a thread stack. */
static void *nothing(void *arg)
{
	return arg;
}

static int inline_round_trip(const char *path)
{
	uint8_t *key, *data, hash[32], hash2[32];
	char env_path[300];
	struct rlimit rl;
	unsigned long pages = 0;
	envelope_meta m;
	FILE *f = fopen("/proc/self/statm", "r");
	pthread_t t;
	int in, out, env, rc;

	if (sodium_init() < 0 || !f || fscanf(f, "%lu", &pages) != 1)
		return 2;
	fclose(f);
	key = envelope_key_new();
	data = random_bytes(300000);
	write_file(path, data, 300000);
	/* room for the rings, not for an 8 MiB thread stack */
	rl.rlim_cur = rl.rlim_max = pages * (unsigned long)sysconf(_SC_PAGESIZE) + (4u << 20);
	if (setrlimit(RLIMIT_AS, &rl) < 0)
		return 2;
	if (pthread_create(&t, NULL, nothing, NULL) == 0)
		return 3;
	envelope_meta_init(&m);
	in = open(path, O_RDONLY);
	out = open("/dev/null", O_WRONLY);
	snprintf(env_path, sizeof(env_path), "%s.env", path);
	env = open(env_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	rc = envelope_seal(in, env, &m, key, hash, NULL, NULL);
	lseek(env, 0, SEEK_SET);
	if (!rc)
		rc = envelope_open(env, out, key, hash, hash2, &m, NULL);
	close(env);
	close(in);
	close(out);
	unlink(env_path);
	unlink(path);
	return rc || m.size != 300000 || memcmp(hash, hash2, 32);
}

static void test_without_thread(void)
{
	char path[256];
	int status = -1;
	pid_t pid;

	if (UNDER_ASAN) {
		printf("skip: inline fallback: AddressSanitizer needs the address space\n");
		return;
	}
	path_in(path, sizeof(path), "inline.in");
	if ((pid = fork()) == 0) {
		execl("/proc/self/exe", "test_envelope", "--inline", path, (char *)NULL);
		_exit(4);
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 3)
		printf("skip: inline fallback: a thread could still be started\n");
	else
		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "round trip without a thread: status %d", status);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--inline"))
		return inline_round_trip(argv[2]);
	if (sodium_init() < 0 || !mkdtemp(tmpdir))
		return 1;
	test_round_trips();
	test_seal_mem();
	test_pipe_input();
	test_metadata();
	test_hostile_metadata();
	test_tampering();
	test_padding();
	test_hostile_padding();
	test_version1();
	test_open_to_path();
	test_sha256sum();
	test_key_sealing();
	test_memory_bound();
	test_without_thread();
	CHECK(count_entries(tmpdir) == 0, "test directory left clean (%zu entries)", count_entries(tmpdir));
	rmdir(tmpdir);
	return tap_done();
}
