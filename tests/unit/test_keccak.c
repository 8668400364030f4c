/* Keccak-256 against eth/keccak256.json, fed in one call and in uneven pieces. */
#include "tap.h"

#include <time.h>

#include "wallet/keys/keccak.h"

/* Builds a vector's input: input_hex, input_repeat (byte or pattern) or the
 * alphabet generator. Returns NULL when the vector is the 1 GiB one, which
 * is streamed instead; *len is set in every case. */
static uint8_t *vector_input(const cJSON *v, size_t *len, int *streamed)
{
	const cJSON *hex = cJSON_GetObjectItem(v, "input_hex");
	const cJSON *rep = cJSON_GetObjectItem(v, "input_repeat");
	const cJSON *gen = cJSON_GetObjectItem(v, "input_generator");
	size_t n = (size_t)cJSON_GetObjectItem(v, "input_length")->valuedouble, i;
	uint8_t *buf;

	*len = n;
	*streamed = 0;
	if (rep && cJSON_GetObjectItem(rep, "pattern_ascii")) {
		*streamed = 1;
		return NULL;
	}
	buf = malloc(n ? n : 1);
	if (cJSON_IsString(hex)) {
		CHECK(test_unhex(hex->valuestring, buf, n) == (long)n, "input_hex length");
	} else if (rep) {
		uint8_t b = 0;
		CHECK(test_unhex(cJSON_GetObjectItem(rep, "byte_hex")->valuestring, &b, 1) == 1, "byte_hex");
		memset(buf, b, n);
	} else if (gen) {
		for (i = 0; i < n; i++)
			buf[i] = (uint8_t)('a' + i % 26);
	}
	return buf;
}

static void hash_in_pieces(const uint8_t *in, size_t len, size_t piece, uint8_t out[32])
{
	keccak256_ctx c;
	size_t off = 0, step = piece;

	keccak256_init(&c);
	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		keccak256_update(&c, in + off, n);
		off += n;
		step = step % 200 + piece;	/* vary sizes across block edges */
	}
	keccak256_final(&c, out);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The 1 GiB ExtremelyLongMsgKAT, streamed 4 KiB at a time. It takes about
 * 3 s in an optimised build; a slow build (sanitizers) would take far longer,
 * so the first 1/32 is timed and the rest abandoned when the projection
 * exceeds 5 s (EHR_SLOW=1 runs it regardless). */
static void test_extremely_long(const cJSON *v, const uint8_t want[32])
{
	const cJSON *rep = cJSON_GetObjectItem(v, "input_repeat");
	const char *pat = cJSON_GetObjectItem(rep, "pattern_ascii")->valuestring;
	size_t count = (size_t)cJSON_GetObjectItem(rep, "count")->valuedouble;
	size_t plen = strlen(pat), i, reps = 4096 / plen, blocks;
	uint8_t block[4096], out[32];
	keccak256_ctx c;
	struct timespec t0;
	double projected;

	CHECK(plen == 64 && count % reps == 0, "pattern of 64 bytes, whole 4 KiB blocks");
	if (plen != 64 || count % reps)
		return;
	for (i = 0; i < reps; i++)
		memcpy(block + i * plen, pat, plen);
	blocks = count / reps;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	keccak256_init(&c);
	for (i = 0; i < blocks; i++) {
		keccak256_update(&c, block, sizeof(block));
		if (i + 1 == blocks / 32 && !getenv("EHR_SLOW")) {
			projected = seconds_since(&t0) * 32;
			if (projected > 5) {
				printf("skip: 1 GiB ExtremelyLongMsgKAT: would take about %.0f s in this build (EHR_SLOW=1 runs it)\n", projected);
				return;
			}
		}
	}
	keccak256_final(&c, out);
	CHECK_MEM(out, want, 32);
	printf("# 1 GiB ExtremelyLongMsgKAT in %.2f s\n", seconds_since(&t0));
}

static void test_vectors(void)
{
	cJSON *j, *v;
	int count = 0;

	SKIP_WITHOUT_VECTORS("keccak256.json");
	j = vectors_json("eth/keccak256.json");
	CHECK(j != NULL, "keccak256.json parses");
	if (!j)
		return;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "vectors")) {
		const char *name = cJSON_GetObjectItem(v, "name")->valuestring;
		uint8_t want[32], got[32], *in;
		size_t len, pieces[] = { 1, 7, 64, 135, 136, 137 }, i;
		int streamed;

		CHECK(test_unhex(cJSON_GetObjectItem(v, "keccak256")->valuestring, want, 32) == 32, "%s", name);
		in = vector_input(v, &len, &streamed);
		count++;
		if (streamed) {
			test_extremely_long(v, want);
			continue;
		}
		keccak256(in, len, got);
		CHECK(memcmp(got, want, 32) == 0, "one call: %s", name);
		for (i = 0; i < sizeof(pieces) / sizeof(pieces[0]); i++) {
			hash_in_pieces(in, len, pieces[i], got);
			CHECK(memcmp(got, want, 32) == 0, "pieces of %zu: %s", pieces[i], name);
		}
		free(in);
	}
	CHECK(count == 17, "17 vectors, saw %d", count);
	cJSON_Delete(j);
}

/* Properties that hold without the vector files. */
static void test_properties(void)
{
	static const uint8_t sha3_empty[32] = {
		0xa7, 0xff, 0xc6, 0xf8, 0xbf, 0x1e, 0xd7, 0x66, 0x51, 0xc1, 0x47, 0x56,
		0xa0, 0x61, 0xd6, 0x62, 0xf5, 0x80, 0xff, 0x4d, 0xe4, 0x3b, 0x49, 0xfa,
		0x82, 0xd8, 0x0a, 0x4b, 0x80, 0xf8, 0x43, 0x4a,
	};
	uint8_t a[32], b[32], buf[300];
	keccak256_ctx c, fork;
	size_t i;

	keccak256(NULL, 0, a);
	CHECK(memcmp(a, sha3_empty, 32) != 0, "keccak('') must differ from SHA3-256('')");

	/* Hashing in place. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)i;
	keccak256(buf, 32, a);
	keccak256(buf, 32, buf);
	CHECK_MEM(buf, a, 32);

	/* A copied context continues independently. */
	keccak256_init(&c);
	keccak256_update(&c, "prefix-", 7);
	fork = c;
	keccak256_update(&c, "one", 3);
	keccak256_update(&fork, "two", 3);
	keccak256_final(&c, a);
	keccak256_final(&fork, b);
	CHECK(memcmp(a, b, 32) != 0, "forked contexts differ");
	keccak256("prefix-two", 10, a);
	CHECK_MEM(a, b, 32);

	/* Every length across two block edges: one call equals byte-by-byte. */
	for (i = 0; i < sizeof(buf); i++) {
		hash_in_pieces(buf, i, 1, a);
		keccak256(buf, i, b);
		CHECK(memcmp(a, b, 32) == 0, "length %zu", i);
	}
}

int main(void)
{
	test_properties();
	test_vectors();
	return tap_done();
}
