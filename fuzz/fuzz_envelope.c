/* The record envelope (wallet/vault/envelope.h): envelope_open_mem,
 * envelope_read_meta_mem and envelope_prefix_len under a fixed data key.
 *
 * Byte 0 picks the mode; the rest describes the envelope:
 *   even  the envelope is the input as it is (header checks, truncation,
 *         authentication failures);
 *   odd   the input describes messages that this harness seals under the
 *         key with libsodium itself, so the opener's checks behind
 *         authentication (tags, chunk sizes, metadata JSON and length,
 *         size, trailing bytes) see well-authenticated hostile content:
 *           byte     metadata tag (low 2 bits: MESSAGE, PUSH, REKEY, FINAL);
 *                    bit 7: the header claims one byte more metadata;
 *                    bit 6: the header says version 2 (padded), else 1
 *           u16 BE   metadata length L, then L bytes of metadata
 *           then chunks, each: tag byte (low 2 bits as above; bit 7: the
 *                    chunk is a full 65536 bytes, its given bytes repeated),
 *                    u16 BE length, that many bytes
 *         An open that succeeds must give back exactly the chunks' bytes
 *         (version 2: those before the 0x80 mark that ends them, zeros
 *         after it) and the SHA-256 of the envelope as its content hash.
 * Then, whatever the mode, the input itself is sealed from memory
 * (envelope_seal_mem, titled with its first bytes) and must open to itself,
 * with its size in the metadata and the envelope's SHA-256 as its hash. */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include "wallet/vault/envelope.h"

static uint8_t *key;
static int out_fd = -1;
static envelope_sealer *sealer;

static const uint8_t tags[4] = {
	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
	crypto_secretstream_xchacha20poly1305_TAG_PUSH,
	crypto_secretstream_xchacha20poly1305_TAG_REKEY,
	crypto_secretstream_xchacha20poly1305_TAG_FINAL,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t i;

	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || !(key = sodium_malloc(ENVELOPE_KEY_BYTES)))
		abort();
	for (i = 0; i < ENVELOPE_KEY_BYTES; i++)
		key[i] = (uint8_t)(0xe0 + i);	/* fuzz/make-seeds.sh seals under it */
	if ((out_fd = memfd_create("ehr-fuzz-plain", MFD_CLOEXEC)) < 0 ||
	    !(sealer = envelope_sealer_new()))
		abort();
	return 0;
}

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *p, size_t n)
{
	if (b->len + n > b->cap) {
		b->cap = (b->len + n) * 2;
		if (!(b->p = realloc(b->p, b->cap)))
			abort();
	}
	if (n)
		memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void push(struct buf *out, crypto_secretstream_xchacha20poly1305_state *st,
		 const uint8_t *m, size_t n, const uint8_t *ad, size_t ad_len, uint8_t tag)
{
	uint8_t *c = malloc(n + ENVELOPE_ABYTES);

	if (!c)
		abort();
	crypto_secretstream_xchacha20poly1305_push(st, c, NULL, m, n, ad, ad_len, tag);
	put(out, c, n + ENVELOPE_ABYTES);
	free(c);
}

/* Seals the description in data into *env; the plaintext goes to *plain. */
static int build(const uint8_t *data, size_t size, struct buf *env, struct buf *plain)
{
	crypto_secretstream_xchacha20poly1305_state st;
	uint8_t head[ENVELOPE_HEADER_BYTES], *full;
	size_t meta_len, len, i, claimed;
	uint8_t flags;

	if (size < 3)
		return -1;
	flags = data[0];
	meta_len = (size_t)data[1] << 8 | data[2];
	data += 3;
	size -= 3;
	if (meta_len > size)
		meta_len = size;
	claimed = meta_len + (flags & 0x80 ? 1 : 0);
	memcpy(head, ENVELOPE_MAGIC, 8);
	head[8] = flags & 0x40 ? ENVELOPE_VERSION : ENVELOPE_VERSION_UNPADDED;
	head[9] = head[10] = head[11] = 0;
	head[12] = 0, head[13] = 1, head[14] = 0, head[15] = 0;	/* 65536 */
	head[16] = (uint8_t)(claimed >> 24);
	head[17] = (uint8_t)(claimed >> 16);
	head[18] = (uint8_t)(claimed >> 8);
	head[19] = (uint8_t)claimed;
	crypto_secretstream_xchacha20poly1305_init_push(&st, head + 20, key);
	put(env, head, sizeof(head));
	push(env, &st, data, meta_len, head, sizeof(head), tags[flags & 3]);
	data += meta_len;
	size -= meta_len;

	while (size >= 3) {
		flags = data[0];
		len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		if (flags & 0x80) {
			if (!(full = malloc(ENVELOPE_CHUNK)))
				abort();
			for (i = 0; i < ENVELOPE_CHUNK; i++)
				full[i] = len ? data[i % len] : 0;
			push(env, &st, full, ENVELOPE_CHUNK, NULL, 0, tags[flags & 3]);
			put(plain, full, ENVELOPE_CHUNK);
			free(full);
		} else {
			push(env, &st, data, len, NULL, 0, tags[flags & 3]);
			put(plain, data, len);
		}
		data += len;
		size -= len;
	}
	return 0;
}

/* Sealing from memory and opening give the input back. */
static void seal_round_trip(const uint8_t *data, size_t size)
{
	envelope_meta meta, back;
	uint8_t *env = NULL, hash[32], want[32], *got;
	size_t env_len = 0, i;
	off_t n;
	ehr_err e;
	int st;

	envelope_meta_init(&meta);
	for (i = 0; i < size && i < 40; i++)   /* a title of printable bytes */
		meta.title[i] = (char)(' ' + data[i] % 95);
	st = envelope_seal_mem(sealer, data, size, &meta, key, &env, &env_len, hash, &e);
	FUZZ_ASSERT(st == 0 && env);
	/* the padded metadata length is its own bucket: one byte less of JSON
	 * gives it */
	FUZZ_ASSERT(env_len > ENVELOPE_HEADER_BYTES &&
		    env_len == envelope_sealed_size(((size_t)env[16] << 24 | (size_t)env[17] << 16 |
						     (size_t)env[18] << 8 | env[19]) - 1, size));
	crypto_hash_sha256(want, env, env_len);
	FUZZ_ASSERT(!memcmp(hash, want, 32));
	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		abort();
	st = envelope_open_mem(env, env_len, out_fd, key, hash, NULL, &back, &e);
	FUZZ_ASSERT(st == 0 && back.size == size && !strcmp(back.title, meta.title));
	n = lseek(out_fd, 0, SEEK_END);
	FUZZ_ASSERT(n >= 0 && (size_t)n == size);
	got = malloc(size + 1);
	FUZZ_ASSERT(got && pread(out_fd, got, size, 0) == (ssize_t)size);
	FUZZ_ASSERT(!size || !memcmp(got, data, size));
	free(got);
	free(env);
}

static void check_meta(const envelope_meta *m)
{
	FUZZ_ASSERT(memchr(m->title, '\0', sizeof(m->title)));
	FUZZ_ASSERT(memchr(m->type, '\0', sizeof(m->type)));
	FUZZ_ASSERT(memchr(m->media_type, '\0', sizeof(m->media_type)));
	FUZZ_ASSERT(memchr(m->file_name, '\0', sizeof(m->file_name)));
	FUZZ_ASSERT(memchr(m->created, '\0', sizeof(m->created)));
	FUZZ_ASSERT(memchr(m->resource_type, '\0', sizeof(m->resource_type)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf env = { 0 }, plain = { 0 };
	envelope_meta meta;
	uint8_t hash[32], want[32], wrong[32], *got = NULL, *in;
	size_t span;
	off_t n;
	ehr_err e;
	int st;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (build(data + 1, size - 1, &env, &plain))
			return 0;
	} else {
		put(&env, data + 1, size - 1);
	}
	/* an exact-size copy, so ASan sees reads past the end */
	in = fuzz_copy(env.p, env.len);

	st = envelope_prefix_len(in, env.len, &span, &e);
	if (st)
		fuzz_check_err(st, &e);
	else
		FUZZ_ASSERT(span >= ENVELOPE_HEADER_BYTES + ENVELOPE_ABYTES);

	st = envelope_read_meta_mem(in, env.len, key, &meta, &e);
	if (st)
		fuzz_check_err(st, &e);
	else
		check_meta(&meta);

	if (ftruncate(out_fd, 0) < 0 || lseek(out_fd, 0, SEEK_SET) < 0)
		abort();
	st = envelope_open_mem(in, env.len, out_fd, key, NULL, hash, &meta, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY);
	} else {
		check_meta(&meta);
		crypto_hash_sha256(want, in, env.len);
		FUZZ_ASSERT(!memcmp(hash, want, 32));
		if ((data[0] & 1) && in[8] == ENVELOPE_VERSION) {
			/* the file is what comes before the mark */
			while (plain.len > 0 && plain.p[plain.len - 1] == 0)
				plain.len--;
			FUZZ_ASSERT(plain.len > 0 && plain.p[plain.len - 1] == ENVELOPE_PAD_MARK);
			plain.len--;
		}
		FUZZ_ASSERT(meta.size == ENVELOPE_SIZE_UNKNOWN ||
			    (meta.size == plain.len || !(data[0] & 1)));
		if (data[0] & 1) {
			n = lseek(out_fd, 0, SEEK_END);
			FUZZ_ASSERT(n >= 0 && (size_t)n == plain.len);
			got = malloc(plain.len + 1);
			FUZZ_ASSERT(got && pread(out_fd, got, plain.len, 0) == (ssize_t)plain.len);
			FUZZ_ASSERT(!plain.len || !memcmp(got, plain.p, plain.len));
			free(got);
		}
		/* the content hash is checked when asked for */
		FUZZ_ASSERT(envelope_open_mem(in, env.len, -1, key, want, NULL, NULL, &e) == 0);
		memcpy(wrong, want, 32);
		wrong[31] ^= 1;
		FUZZ_ASSERT(envelope_open_mem(in, env.len, -1, key, wrong, NULL, NULL, &e) ==
			    EHR_EINTEGRITY);
	}
	free(in);
	free(env.p);
	free(plain.p);
	seal_round_trip(data, size);
	return 0;
}
