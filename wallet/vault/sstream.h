/* libsodium's crypto_secretstream_xchacha20poly1305, byte for byte, with its
 * bulk work (ChaCha20 and Poly1305) done by OpenSSL's libcrypto.
 *
 * Why: libsodium 1.0.18 runs ChaCha20 at about 1.3 GB/s and Poly1305 at
 * about 2.6 GB/s on this kind of machine; libcrypto's vectorised versions
 * (AVX2/AVX-512) run at about 4 and 8 GB/s, so a 64 KiB chunk is sealed
 * about three times as fast. The construction is libsodium's own (its
 * secretstream.c, version 1.0.18), restated here on other primitives:
 *
 *   state     k (32 bytes), nonce (12) = counter (4, little-endian) || inonce (8)
 *   init      k = HChaCha20(key, header[0..16]) (libsodium's), counter = 1,
 *             inonce = header[16..24]
 *   message   with ChaCha20-IETF under k and nonce:
 *               poly key   = keystream block 0, first 32 bytes
 *               tag block  = 64 bytes (tag, then 63 zeros) XOR block 1;
 *                            its first byte is the message's first byte
 *               ciphertext = m XOR keystream from block 2
 *               mac        = Poly1305(ad, pad16(ad), tag block, ciphertext,
 *                            (mlen & 15) zeros (libsodium's padding, not
 *                            RFC 8439's), le64(adlen), le64(64 + mlen))
 *             output: tag byte || ciphertext || mac (17 bytes more than m)
 *   after     inonce ^= mac[0..8]; counter += 1; a REKEY tag or a counter
 *             wrapped to 0 rekeys: (k || inonce) ^= keystream block 0, counter = 1
 *
 * tests/unit/test_sstream.c compares every function with libsodium's over
 * sizes from 0 to several MiB, every tag, additional data and rekeying;
 * fuzz/fuzz_sstream.c does the same on inputs a fuzzer chooses.
 *
 * When libcrypto offers no ChaCha20 or Poly1305 (a FIPS-only
 * configuration), a stream falls back to libsodium's functions on the same
 * state: same bytes, slower. */
#ifndef EHR_SSTREAM_H
#define EHR_SSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SSTREAM_KEYBYTES 32
#define SSTREAM_HEADERBYTES 24
#define SSTREAM_ABYTES 17
#define SSTREAM_TAG_MESSAGE 0x00
#define SSTREAM_TAG_PUSH 0x01
#define SSTREAM_TAG_REKEY 0x02
#define SSTREAM_TAG_FINAL (SSTREAM_TAG_PUSH | SSTREAM_TAG_REKEY)
/* The longest message: libsodium's limit (a 32-bit block counter). */
#define SSTREAM_MESSAGEBYTES_MAX (UINT64_C(64) * ((UINT64_C(1) << 32) - 2))

/* What sstream_push and sstream_pull return besides 0. */
#define SSTREAM_EFORGED (-1)   /* pull: the message fails authentication */
#define SSTREAM_ELIB (-2)      /* libcrypto failed (out of memory), or mlen too long */

/* One stream's state. The state (subkey and nonce) lives in sodium_malloc
 * memory; libcrypto's contexts, which hold copies of the subkey, are
 * wiped by libcrypto when freed. One thread at a time. */
typedef struct sstream sstream;

/* A new stream, not yet initialised; NULL when out of memory. Uses
 * libcrypto when it offers ChaCha20 and Poly1305, libsodium otherwise. */
sstream *sstream_new(void);

/* The same, always on libsodium's functions (for the tests' comparison of
 * the two paths). */
sstream *sstream_new_portable(void);

/* Whether s runs on libcrypto (false: the libsodium fallback). */
bool sstream_uses_libcrypto(const sstream *s);

/* Wipes and frees s (NULL is fine). */
void sstream_free(sstream *s);

/* As crypto_secretstream_xchacha20poly1305_init_push: a fresh random
 * header into header, and s keyed for pushing under key. */
void sstream_init_push(sstream *s, uint8_t header[SSTREAM_HEADERBYTES],
		       const uint8_t key[SSTREAM_KEYBYTES]);

/* As crypto_secretstream_xchacha20poly1305_init_pull: s keyed for pulling
 * the stream that begins with header. Returns 0. */
int sstream_init_pull(sstream *s, const uint8_t header[SSTREAM_HEADERBYTES],
		      const uint8_t key[SSTREAM_KEYBYTES]);

/* As crypto_secretstream_xchacha20poly1305_push: encrypts the mlen bytes
 * at m with additional data ad (adlen bytes; ad may be NULL when adlen is
 * 0) and tag into c, mlen + SSTREAM_ABYTES bytes. c and m must not
 * overlap. Returns 0, or SSTREAM_ELIB (s is then unusable: start again). */
int sstream_push(sstream *s, uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad,
		 size_t adlen, uint8_t tag);

/* As crypto_secretstream_xchacha20poly1305_pull: authenticates the clen
 * bytes at c with ad, then decrypts them into m (clen - SSTREAM_ABYTES
 * bytes, stored in *mlen) and stores the tag in *tag. c and m must not
 * overlap. Returns 0; SSTREAM_EFORGED when c is shorter than
 * SSTREAM_ABYTES or fails authentication (s and m are then untouched, so
 * the caller may try another length); SSTREAM_ELIB as for push. */
int sstream_pull(sstream *s, uint8_t *m, size_t *mlen, uint8_t *tag, const uint8_t *c,
		 size_t clen, const uint8_t *ad, size_t adlen);

/* As crypto_secretstream_xchacha20poly1305_rekey. Returns 0 or SSTREAM_ELIB. */
int sstream_rekey(sstream *s);

/* s's state, in libsodium's own layout: for the tests, which compare it
 * with libsodium's and set its counter to where it wraps. */
struct crypto_secretstream_xchacha20poly1305_state *sstream_state(sstream *s);

#endif
