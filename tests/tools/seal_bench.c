/* Measures envelope sealing against a bare secretstream loop (the floor: the
 * same cipher without the hash and the look-ahead) and prints MiB/s and
 * peak RSS. Input is a file (read from the page cache once warm), output
 * /dev/null unless named.
 *
 *   seal_bench seal|bare|open IN [OUT]
 *
 * "open" reads an envelope sealed by "seal IN OUT" with the key it printed,
 * passed in EHR_BENCH_KEY (hex). Timings are printed, never asserted. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/vault/envelope.h"
#include "wallet/base/hex.h"

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;

	while (got < n) {
		ssize_t r = read(fd, buf + got, n - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -1 : (ssize_t)got;
		got += (size_t)r;
	}
	return (ssize_t)got;
}

/* The plain libsodium loop: read a chunk, push it, write it. */
static int bare(int in, int out, uint64_t *bytes)
{
	crypto_secretstream_xchacha20poly1305_state st;
	static uint8_t pt[ENVELOPE_CHUNK], ct[ENVELOPE_CHUNK + ENVELOPE_ABYTES];
	uint8_t key[32], hdr[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
	ssize_t n;

	randombytes_buf(key, sizeof(key));
	crypto_secretstream_xchacha20poly1305_init_push(&st, hdr, key);
	if (write(out, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		return -1;
	*bytes = 0;
	do {
		if ((n = read_full(in, pt, sizeof(pt))) < 0)
			return -1;
		crypto_secretstream_xchacha20poly1305_push(&st, ct, NULL, pt, (size_t)n, NULL, 0,
			n < (ssize_t)sizeof(pt) ? crypto_secretstream_xchacha20poly1305_TAG_FINAL : 0);
		if (write(out, ct, (size_t)n + ENVELOPE_ABYTES) != n + ENVELOPE_ABYTES)
			return -1;
		*bytes += (uint64_t)n;
	} while (n == (ssize_t)sizeof(pt));
	return 0;
}

int main(int argc, char **argv)
{
	uint8_t *key, hash[32];
	char hex[65];
	envelope_meta meta;
	ehr_err e = { 0 };
	uint64_t bytes = 0;
	struct rusage ru;
	double t;
	int in, out, rc;

	if (argc < 3 || (strcmp(argv[1], "seal") && strcmp(argv[1], "bare") && strcmp(argv[1], "open"))) {
		fprintf(stderr, "usage: seal_bench seal|bare|open IN [OUT]\n");
		return 2;
	}
	if (sodium_init() < 0 || !(key = envelope_key_new()))
		return 1;
	if ((in = open(argv[2], O_RDONLY)) < 0 ||
	    (out = open(argc > 3 ? argv[3] : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		perror("open");
		return 1;
	}
	envelope_meta_init(&meta);
	snprintf(meta.title, sizeof(meta.title), "benchmark");
	t = now();
	if (!strcmp(argv[1], "bare")) {
		rc = bare(in, out, &bytes);
	} else if (!strcmp(argv[1], "seal")) {
		rc = envelope_seal(in, out, &meta, key, hash, &bytes, &e);
	} else {
		const char *k = getenv("EHR_BENCH_KEY");

		if (!k || hex_decode_exact(k, key, 32) < 0) {
			fprintf(stderr, "seal_bench: set EHR_BENCH_KEY to the key printed by seal\n");
			return 2;
		}
		rc = envelope_open(in, out, key, NULL, hash, &meta, &e);
		bytes = meta.size;
	}
	t = now() - t;
	if (rc) {
		fprintf(stderr, "seal_bench: %s\n", rc > 0 ? e.msg : strerror(errno));
		return 1;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("%s: %llu bytes in %.3f s: %.0f MiB/s, peak RSS %ld KiB\n", argv[1],
	       (unsigned long long)bytes, t, (double)bytes / t / 1048576.0, ru.ru_maxrss);
	if (!strcmp(argv[1], "seal")) {
		hex_encode(hash, 32, hex);
		printf("content hash %s\n", hex);
		hex_encode(key, 32, hex);
		printf("key %s\n", hex);
	}
	envelope_key_free(key);
	return 0;
}
