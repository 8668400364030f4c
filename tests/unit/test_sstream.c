/* wallet/vault/sstream.c against libsodium's crypto_secretstream_xchacha20poly1305:
 * the same bytes for every message size from 0 to several MiB (around every
 * 16- and 64-byte boundary and the envelope's 64 KiB chunk), every tag,
 * additional data of many lengths, explicit rekeys and the counter's wrap;
 * each side opens the other's messages; a changed byte, a cut message and a
 * wrong key are refused and leave the state as it was. Both paths run: the
 * libcrypto one (which this machine must offer) and the libsodium fallback. */
#include "tap.h"

#include <sodium.h>

#include "wallet/vault/sstream.h"

typedef crypto_secretstream_xchacha20poly1305_state sodium_state;

static const uint8_t tags[4] = {
	crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
	crypto_secretstream_xchacha20poly1305_TAG_PUSH,
	crypto_secretstream_xchacha20poly1305_TAG_REKEY,
	crypto_secretstream_xchacha20poly1305_TAG_FINAL,
};
static const size_t ad_lens[] = { 0, 1, 15, 16, 17, 44, 100 };

#define MAX_MSG ((5U << 20) + 3)
static uint8_t *plain, *ours, *theirs, *back;

static sstream *new_stream(bool libcrypto)
{
	return libcrypto ? sstream_new() : sstream_new_portable();
}

/* Pushes a message of n bytes with both, compares, and has each side pull
 * the other's. Returns false at the first difference (after reporting it). */
static bool one_message(sstream *push, sodium_state *ref, sstream *pull, sodium_state *ref_pull,
			size_t n, const uint8_t *ad, size_t adlen, uint8_t tag)
{
	unsigned long long ref_len = 0;
	size_t got = 0;
	uint8_t got_tag = 0, ref_tag = 0;
	bool same;

	CHECK(sstream_push(push, ours, plain, n, ad, adlen, tag) == 0, "push of %zu bytes", n);
	crypto_secretstream_xchacha20poly1305_push(ref, theirs, &ref_len, plain, n, ad, adlen, tag);
	same = ref_len == n + SSTREAM_ABYTES && memcmp(ours, theirs, n + SSTREAM_ABYTES) == 0 &&
	       memcmp(sstream_state(push), ref, sizeof(*ref)) == 0;
	CHECK(same, "push of %zu bytes (ad %zu, tag %u): ciphertext or state differs", n, adlen,
	      tag);
	CHECK(sstream_pull(pull, back, &got, &got_tag, theirs, n + SSTREAM_ABYTES, ad, adlen) == 0 &&
	      got == n && got_tag == tag && memcmp(back, plain, n) == 0,
	      "our pull of libsodium's %zu bytes", n);
	CHECK(crypto_secretstream_xchacha20poly1305_pull(ref_pull, back, &ref_len, &ref_tag, ours,
							 n + SSTREAM_ABYTES, ad, adlen) == 0 &&
	      ref_len == n && ref_tag == tag && memcmp(back, plain, n) == 0,
	      "libsodium's pull of our %zu bytes", n);
	return same;
}

/* Four streams on one key and header: ours and libsodium's, each pushing
 * and pulling. */
struct quad {
	sstream *push, *pull;
	sodium_state ref, ref_pull;
	uint8_t key[SSTREAM_KEYBYTES], header[SSTREAM_HEADERBYTES];
};

static void quad_open(struct quad *q, bool libcrypto)
{
	q->push = new_stream(libcrypto);
	q->pull = new_stream(libcrypto);
	if (!q->push || !q->pull)
		abort();
	crypto_secretstream_xchacha20poly1305_keygen(q->key);
	sstream_init_push(q->push, q->header, q->key);
	CHECK(sstream_init_pull(q->pull, q->header, q->key) == 0, "init_pull");
	crypto_secretstream_xchacha20poly1305_init_pull(&q->ref, q->header, q->key);
	crypto_secretstream_xchacha20poly1305_init_pull(&q->ref_pull, q->header, q->key);
	CHECK(memcmp(sstream_state(q->push), &q->ref, sizeof(q->ref)) == 0,
	      "init_push gives libsodium's state for its header");
}

static void quad_close(struct quad *q)
{
	sstream_free(q->push);
	sstream_free(q->pull);
}

static bool quad_message(struct quad *q, size_t n, size_t adlen, uint8_t tag)
{
	static uint8_t ad[128];

	return one_message(q->push, &q->ref, q->pull, &q->ref_pull, n, adlen ? ad : NULL, adlen,
			   tag);
}

/* Sizes around every boundary that matters, every tag, several ad lengths. */
static void test_sizes(bool libcrypto)
{
	static const size_t bases[] = { 0, 16, 32, 48, 64, 128, 192, 256, 1024, 4096, 65536,
					131072, 1U << 20, 3U << 20, 5U << 20 };
	struct quad q;
	size_t i, k = 0, fails = 0;
	int d;

	quad_open(&q, libcrypto);
	for (i = 0; i < sizeof(bases) / sizeof(bases[0]); i++)
		for (d = -2; d <= 3; d++) {
			size_t n;

			if ((d < 0 && bases[i] < (size_t)-d) || bases[i] + 3 > MAX_MSG)
				continue;
			n = bases[i] + (size_t)(ptrdiff_t)d;
			fails += !quad_message(&q, n, ad_lens[k % 7], tags[k % 4]);
			k++;
		}
	CHECK(fails == 0, "%zu of %zu messages differ (%s)", fails, k,
	      libcrypto ? "libcrypto" : "fallback");
	quad_close(&q);
}

/* Every length from 0 to 300, each with every tag (a rekey every fourth). */
static void test_every_small_size(bool libcrypto)
{
	struct quad q;
	size_t n, fails = 0;

	quad_open(&q, libcrypto);
	for (n = 0; n <= 300; n++)
		fails += !quad_message(&q, n, ad_lens[n % 7], tags[n % 4]);
	CHECK(fails == 0, "%zu of 301 small messages differ", fails);
	quad_close(&q);
}

/* An explicit rekey, and the counter wrapping to 0 (which rekeys too). */
static void test_rekey_and_wrap(bool libcrypto)
{
	struct quad q;

	quad_open(&q, libcrypto);
	quad_message(&q, 100, 0, 0);
	CHECK(sstream_rekey(q.push) == 0 && sstream_rekey(q.pull) == 0, "rekey");
	crypto_secretstream_xchacha20poly1305_rekey(&q.ref);
	crypto_secretstream_xchacha20poly1305_rekey(&q.ref_pull);
	CHECK(memcmp(sstream_state(q.push), &q.ref, sizeof(q.ref)) == 0, "rekey: same state");
	CHECK(quad_message(&q, 1000, 16, 0), "a message after a rekey");

	/* the 4-byte counter one message from wrapping, in all four */
	memset(sstream_state(q.push)->nonce, 0xff, 4);
	memset(sstream_state(q.pull)->nonce, 0xff, 4);
	memset(q.ref.nonce, 0xff, 4);
	memset(q.ref_pull.nonce, 0xff, 4);
	CHECK(quad_message(&q, 70, 0, 0), "the message that wraps the counter");
	CHECK(sstream_state(q.push)->nonce[0] == 1, "the wrap rekeyed (counter reset to 1)");
	CHECK(quad_message(&q, 65536, 0, crypto_secretstream_xchacha20poly1305_TAG_FINAL),
	      "a message after the wrap");
	quad_close(&q);
}

/* A changed byte anywhere, a cut message, other ad and a wrong key: refused,
 * the output untouched and the state unchanged (the right message opens
 * after). */
static void test_refusals(bool libcrypto)
{
	static const size_t spots[] = { 0, 1, 500, 1000, 1000 + 16 };
	uint8_t key[32], header[24], ad[4] = "abc", tag;
	sstream *push = new_stream(libcrypto), *pull = new_stream(libcrypto);
	size_t i, got, clen = 1000 + SSTREAM_ABYTES;

	if (!push || !pull)
		abort();
	crypto_secretstream_xchacha20poly1305_keygen(key);
	sstream_init_push(push, header, key);
	sstream_init_pull(pull, header, key);
	CHECK(sstream_push(push, ours, plain, 1000, ad, 3, 0) == 0, "push");
	for (i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
		memset(back, 0xaa, 1000);
		ours[spots[i]] ^= 0x01;
		CHECK(sstream_pull(pull, back, &got, &tag, ours, clen, ad, 3) == SSTREAM_EFORGED &&
		      got == 0 && tag == 0xff, "byte %zu changed: refused", spots[i]);
		CHECK(back[0] == 0xaa && back[999] == 0xaa, "byte %zu changed: output untouched",
		      spots[i]);
		ours[spots[i]] ^= 0x01;
	}
	CHECK(sstream_pull(pull, back, &got, &tag, ours, clen - 1, ad, 3) == SSTREAM_EFORGED,
	      "a cut message is refused");
	CHECK(sstream_pull(pull, back, &got, &tag, ours, SSTREAM_ABYTES - 1, ad, 3) ==
	      SSTREAM_EFORGED, "fewer bytes than a tag and a MAC are refused");
	CHECK(sstream_pull(pull, back, &got, &tag, ours, clen, ad, 2) == SSTREAM_EFORGED,
	      "other additional data is refused");
	CHECK(sstream_pull(pull, back, &got, &tag, ours, clen, ad, 3) == 0 && got == 1000 &&
	      memcmp(back, plain, 1000) == 0, "after the refusals the message opens");
	key[0] ^= 1;
	sstream_init_pull(pull, header, key);
	CHECK(sstream_pull(pull, back, &got, &tag, ours, clen, ad, 3) == SSTREAM_EFORGED,
	      "a wrong key is refused");
	sstream_free(push);
	sstream_free(pull);
}

int main(void)
{
	sstream *probe;
	int path;

	if (sodium_init() < 0 || !(plain = malloc(MAX_MSG)) ||
	    !(ours = malloc(MAX_MSG + SSTREAM_ABYTES)) ||
	    !(theirs = malloc(MAX_MSG + SSTREAM_ABYTES)) || !(back = malloc(MAX_MSG)))
		return 1;
	randombytes_buf(plain, MAX_MSG);
	probe = sstream_new();
	CHECK(probe && sstream_uses_libcrypto(probe), "libcrypto offers ChaCha20 and Poly1305");
	sstream_free(probe);
	probe = sstream_new_portable();
	CHECK(probe && !sstream_uses_libcrypto(probe), "the portable stream is libsodium's");
	sstream_free(probe);
	for (path = 1; path >= 0; path--) {
		test_sizes(path);
		test_every_small_size(path);
		test_rekey_and_wrap(path);
		test_refusals(path);
	}
	free(plain);
	free(ours);
	free(theirs);
	free(back);
	return tap_done();
}
