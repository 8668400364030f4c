/* The secretstream on libcrypto (wallet/vault/sstream.h) against libsodium's
 * crypto_secretstream_xchacha20poly1305, on messages the input describes.
 *
 * Bytes 0-31 are the key, 32-55 the header (shorter inputs: zeros). The
 * rest is a list of messages, each:
 *   byte    low 2 bits: the tag (MESSAGE, PUSH, REKEY, FINAL); bit 2: an
 *           explicit rekey first; bit 3: the header's 24 bytes as additional
 *           data; bit 4: the message is 65536 + (length % 64) bytes long
 *   u16 BE  length; the message's bytes are the input's remaining bytes,
 *           repeated (zeros when none are left)
 *   byte    which ciphertext byte to change for the forgery
 * For each: libsodium's push and ours give the same bytes and the same
 * state; our pull and libsodium's open it to the message and tag; the
 * ciphertext with one byte changed is refused by both, leaving both states
 * as they were. */
#include "fuzz.h"

#include "wallet/vault/sstream.h"

typedef crypto_secretstream_xchacha20poly1305_state sodium_state;

#define MSG_MAX (65536 + 63)
static uint8_t msg[MSG_MAX], ct[MSG_MAX + SSTREAM_ABYTES], ref_ct[MSG_MAX + SSTREAM_ABYTES];
static uint8_t back[MSG_MAX], ref_back[MSG_MAX];
static sstream *push, *pull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0 || !(push = sstream_new()) || !(pull = sstream_new()) ||
	    !sstream_uses_libcrypto(push))
		abort();
	return 0;
}

static void fill(uint8_t *out, size_t n, const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < n; i++)
		out[i] = size ? data[i % size] : 0;
}

static bool same_state(sstream *s, const sodium_state *ref)
{
	return memcmp(sstream_state(s), ref, sizeof(*ref)) == 0;
}

/* Our pull and libsodium's of the clen bytes at c agree: both refuse, or
 * both give the same message and tag; the states agree after. */
static int pull_both(sodium_state *ref_pull, const uint8_t *c, size_t clen, const uint8_t *ad,
		     size_t adlen)
{
	unsigned long long ref_len = 0;
	size_t got = 0;
	uint8_t tag = 0, ref_tag = 0;
	int ours = sstream_pull(pull, back, &got, &tag, c, clen, ad, adlen);
	int theirs = crypto_secretstream_xchacha20poly1305_pull(ref_pull, ref_back, &ref_len, &ref_tag,
								 c, clen, ad, adlen);

	FUZZ_ASSERT(ours == 0 || ours == SSTREAM_EFORGED);
	FUZZ_ASSERT((ours == 0) == (theirs == 0));
	if (ours == 0)
		FUZZ_ASSERT(got == ref_len && tag == ref_tag && memcmp(back, ref_back, got) == 0);
	FUZZ_ASSERT(same_state(pull, ref_pull));
	return ours;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[32], header[24];
	sodium_state ref, ref_pull;
	size_t at = 56 < size ? 56 : size;

	fill(key, 32, data, size < 32 ? size : 32);
	memset(header, 0, sizeof(header));
	if (size > 32)
		memcpy(header, data + 32, size - 32 < 24 ? size - 32 : 24);
	FUZZ_ASSERT(sstream_init_pull(push, header, key) == 0);
	FUZZ_ASSERT(sstream_init_pull(pull, header, key) == 0);
	crypto_secretstream_xchacha20poly1305_init_pull(&ref, header, key);
	crypto_secretstream_xchacha20poly1305_init_pull(&ref_pull, header, key);
	FUZZ_ASSERT(same_state(push, &ref));

	while (size - at >= 4) {
		uint8_t op = data[at], tag = op & 3, flip = data[at + 3];
		size_t n = (size_t)data[at + 1] << 8 | data[at + 2], clen, spot;
		const uint8_t *ad = op & 8 ? header : NULL;
		size_t adlen = op & 8 ? sizeof(header) : 0;
		unsigned long long ref_len = 0;
		sodium_state before;

		at += 4;
		if (op & 16)
			n = 65536 + n % 64;
		fill(msg, n, data + at, size - at);
		if (op & 4) {
			FUZZ_ASSERT(sstream_rekey(push) == 0 && sstream_rekey(pull) == 0);
			crypto_secretstream_xchacha20poly1305_rekey(&ref);
			crypto_secretstream_xchacha20poly1305_rekey(&ref_pull);
		}
		FUZZ_ASSERT(sstream_push(push, ct, msg, n, ad, adlen, tag) == 0);
		crypto_secretstream_xchacha20poly1305_push(&ref, ref_ct, &ref_len, msg, n, ad, adlen, tag);
		clen = n + SSTREAM_ABYTES;
		FUZZ_ASSERT(ref_len == clen && memcmp(ct, ref_ct, clen) == 0);
		FUZZ_ASSERT(same_state(push, &ref));

		/* a forgery first: refused, nothing changed */
		spot = (size_t)flip * 7919 % clen;
		before = ref_pull;
		ct[spot] ^= (uint8_t)(flip | 1);
		FUZZ_ASSERT(pull_both(&ref_pull, ct, clen, ad, adlen) == SSTREAM_EFORGED);
		FUZZ_ASSERT(memcmp(&before, &ref_pull, sizeof(before)) == 0);
		ct[spot] ^= (uint8_t)(flip | 1);
		FUZZ_ASSERT(pull_both(&ref_pull, ct, clen, ad, adlen) == 0);
		FUZZ_ASSERT(memcmp(back, msg, n) == 0);
		at += n < size - at ? n : size - at;
	}
	return 0;
}
