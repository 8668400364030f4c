/* A small test harness for the unit tests: every CHECK counts as one
 * assertion; tap_done() prints "N passed, N failed" (the line tests/run
 * adds up) and returns the exit status for main(). */
#ifndef EHR_TAP_H
#define EHR_TAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include <cJSON.h>

static int tap_pass, tap_fail;

#define CHECK(cond, ...) do { \
	if (cond) { tap_pass++; } else { tap_fail++; \
		fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
		fprintf(stderr, __VA_ARGS__); fputc('\n', stderr); } \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	CHECK(g_ && w_ && strcmp(g_, w_) == 0, "got '%s', want '%s'", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

#define CHECK_MEM(got, want, n) do { \
	CHECK(memcmp((got), (want), (n)) == 0, "%zu bytes differ", (size_t)(n)); \
} while (0)

static inline int tap_done(void)
{
	printf("%d passed, %d failed\n", tap_pass, tap_fail);
	return tap_fail ? 1 : 0;
}

/* The shared test vectors: $EHR_VECTORS, else ../shared/vectors next to the
 * repository (the Makefile exports EHR_VECTORS). NULL when absent: vector
 * tests then say so and the rest runs. */
static inline const char *vectors_dir(void)
{
	const char *d = getenv("EHR_VECTORS");
	static char buf[4096];
	FILE *f;

	if (!d || !*d)
		return NULL;
	snprintf(buf, sizeof(buf), "%s/eth/README.md", d);
	if (!(f = fopen(buf, "r")))
		return NULL;
	fclose(f);
	return d;
}

/* Reads vectors_dir()/rel whole; NULL if absent. Caller frees. */
static inline char *vectors_read(const char *rel, size_t *len)
{
	const char *d = vectors_dir();
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	if (!d)
		return NULL;
	snprintf(path, sizeof(path), "%s/%s", d, rel);
	if (!(f = fopen(path, "rb")))
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf) {
		buf[n] = '\0';
		if (len)
			*len = (size_t)n;
	}
	return buf;
}

static inline cJSON *vectors_json(const char *rel)
{
	char *s = vectors_read(rel, NULL);
	cJSON *j = s ? cJSON_Parse(s) : NULL;

	free(s);
	if (!j && vectors_dir())
		fprintf(stderr, "vectors: cannot read %s\n", rel);
	return j;
}

#define SKIP_WITHOUT_VECTORS(what) do { if (!vectors_dir()) { \
	printf("skip: %s: test vectors not found (set EHR_VECTORS)\n", what); return; } } while (0)

static inline int hex_nibble(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* Decodes hex (optional 0x) into out; returns the byte count or -1. */
static inline long test_unhex(const char *hex, uint8_t *out, size_t cap)
{
	size_t n, i;

	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		hex += 2;
	n = strlen(hex);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (i = 0; i < n / 2; i++) {
		int hi = hex_nibble(hex[2 * i]), lo = hex_nibble(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (long)(n / 2);
}

#endif
