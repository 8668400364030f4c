/* libsodium's secretstream on libcrypto's ChaCha20 and Poly1305; the
 * construction is spelled out in sstream.h. */
#include "wallet/vault/sstream.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

typedef crypto_secretstream_xchacha20poly1305_state sodium_state;

/* The secrets, in sodium_malloc memory. */
struct secret {
	sodium_state st;          /* k, nonce (counter || inonce): libsodium's own layout */
	uint8_t scratch[64];      /* keystream blocks, the Poly1305 key, the rekeyed key */
};

/* Plain heap memory, so that leak checkers (which do not scan
 * sodium_malloc's pages) see the libcrypto contexts it points to. */
struct sstream {
	struct secret *sec;
	EVP_CIPHER_CTX *cipher;   /* ChaCha20; NULL: the libsodium fallback */
	EVP_MAC_CTX *mac;         /* Poly1305 */
};

#define COUNTER(s) ((s)->sec->st.nonce)
#define INONCE(s) ((s)->sec->st.nonce + 4)
#define COUNTER_BYTES 4
#define INONCE_BYTES 8
/* EVP_EncryptUpdate takes an int length: longer inputs go in pieces. */
#define PIECE (1U << 30)

static const uint8_t pad0[16];

static sstream *alloc_stream(void)
{
	sstream *s = calloc(1, sizeof(*s));

	if (s && !(s->sec = sodium_malloc(sizeof(*s->sec)))) {
		free(s);
		return NULL;
	}
	if (s)
		memset(s->sec, 0, sizeof(*s->sec));
	return s;
}

/* libcrypto's ChaCha20 and Poly1305 for s; false when libcrypto has none. */
static bool attach_libcrypto(sstream *s)
{
	EVP_CIPHER *chacha = EVP_CIPHER_fetch(NULL, "ChaCha20", NULL);
	EVP_MAC *poly = EVP_MAC_fetch(NULL, "POLY1305", NULL);
	bool ok = false;

	if (chacha && poly && (s->cipher = EVP_CIPHER_CTX_new()) &&
	    EVP_EncryptInit_ex2(s->cipher, chacha, NULL, NULL, NULL) == 1 &&
	    (s->mac = EVP_MAC_CTX_new(poly)))
		ok = true;
	if (!ok) {
		EVP_CIPHER_CTX_free(s->cipher);
		s->cipher = NULL;
	}
	EVP_CIPHER_free(chacha);
	EVP_MAC_free(poly);
	return ok;
}

sstream *sstream_new(void)
{
	sstream *s = alloc_stream();

	if (s)
		attach_libcrypto(s);
	return s;
}

sstream *sstream_new_portable(void)
{
	return alloc_stream();
}

bool sstream_uses_libcrypto(const sstream *s)
{
	return s->cipher != NULL;
}

struct crypto_secretstream_xchacha20poly1305_state *sstream_state(sstream *s)
{
	return &s->sec->st;
}

void sstream_free(sstream *s)
{
	if (!s)
		return;
	/* both free functions cleanse the key material they hold */
	EVP_CIPHER_CTX_free(s->cipher);
	EVP_MAC_CTX_free(s->mac);
	sodium_free(s->sec);
	free(s);
}

void sstream_init_push(sstream *s, uint8_t header[SSTREAM_HEADERBYTES],
		       const uint8_t key[SSTREAM_KEYBYTES])
{
	crypto_secretstream_xchacha20poly1305_init_push(&s->sec->st, header, key);
}

int sstream_init_pull(sstream *s, const uint8_t header[SSTREAM_HEADERBYTES],
		      const uint8_t key[SSTREAM_KEYBYTES])
{
	return crypto_secretstream_xchacha20poly1305_init_pull(&s->sec->st, header, key) == 0
		? 0 : SSTREAM_ELIB;
}

/* ---- the primitives, on libcrypto ---- */

/* Positions the cipher at keystream block `block` of (s->sec->st.k, s->sec->st.nonce). */
static int chacha_at(sstream *s, uint32_t block)
{
	uint8_t iv[16];

	/* libcrypto's ChaCha20 IV: the 32-bit block counter (little-endian),
	 * then the 96-bit nonce */
	iv[0] = (uint8_t)block, iv[1] = (uint8_t)(block >> 8);
	iv[2] = (uint8_t)(block >> 16), iv[3] = (uint8_t)(block >> 24);
	memcpy(iv + 4, s->sec->st.nonce, sizeof(s->sec->st.nonce));
	return EVP_EncryptInit_ex2(s->cipher, NULL, s->sec->st.k, iv, NULL) == 1 ? 0 : SSTREAM_ELIB;
}

/* out = in XOR the next len bytes of keystream. */
static int chacha_xor(sstream *s, uint8_t *out, const uint8_t *in, size_t len)
{
	while (len > 0) {
		size_t n = len < PIECE ? len : PIECE;
		int done = 0;

		if (EVP_EncryptUpdate(s->cipher, out, &done, in, (int)n) != 1 || (size_t)done != n)
			return SSTREAM_ELIB;
		out += n, in += n, len -= n;
	}
	return 0;
}

static int mac_update(sstream *s, const uint8_t *p, size_t len)
{
	if (len == 0)
		return 0;
	return EVP_MAC_update(s->mac, p, len) == 1 ? 0 : SSTREAM_ELIB;
}

/* Starts a message: the Poly1305 key from keystream block 0, the additional
 * data and its padding MACed, and the tag block (tag_byte: the plain tag
 * when pushing, the received byte when pulling) through keystream block 1
 * into s->sec->scratch and the MAC. The cipher is left at block 2. */
static int message_begin(sstream *s, const uint8_t *ad, size_t adlen, uint8_t tag_byte,
			 bool pushing)
{
	uint8_t *block = s->sec->scratch;
	int rc;

	memset(block, 0, 64);
	if ((rc = chacha_at(s, 0)) || (rc = chacha_xor(s, block, block, 64)))
		return rc;
	rc = EVP_MAC_init(s->mac, block, 32, NULL) == 1 ? 0 : SSTREAM_ELIB;
	sodium_memzero(block, 64);
	if (rc || (rc = mac_update(s, ad, adlen)) ||
	    (rc = mac_update(s, pad0, (0x10 - adlen) & 0xf)))
		return rc;
	block[0] = tag_byte;
	if ((rc = chacha_xor(s, block, block, 64)))
		return rc;
	if (!pushing) {
		/* block[0] is now the plain tag; the MAC covers the received byte */
		uint8_t plain_tag = block[0];

		block[0] = tag_byte;
		rc = mac_update(s, block, 64);
		block[0] = plain_tag;
		return rc;
	}
	return mac_update(s, block, 64);
}

/* Ends a message's MAC: libsodium's padding of the ciphertext (mlen & 15
 * zero bytes, as its formula (0x10 - 64 + mlen) & 0xf gives) and the two
 * lengths. */
static int message_mac(sstream *s, size_t adlen, size_t mlen, uint8_t mac[16])
{
	uint8_t len_le[16];
	uint64_t a = adlen, m = (uint64_t)mlen + 64;
	size_t got = 0;
	int i, rc;

	for (i = 0; i < 8; i++) {
		len_le[i] = (uint8_t)(a >> (8 * i));
		len_le[8 + i] = (uint8_t)(m >> (8 * i));
	}
	if ((rc = mac_update(s, pad0, (0x10 - 64 + mlen) & 0xf)) ||
	    (rc = mac_update(s, len_le, sizeof(len_le))))
		return rc;
	if (EVP_MAC_final(s->mac, mac, &got, 16) != 1 || got != 16)
		return SSTREAM_ELIB;
	return 0;
}

static int rekey_libcrypto(sstream *s)
{
	uint8_t *next = s->sec->scratch;   /* k || inonce, 40 bytes */
	int rc;

	memcpy(next, s->sec->st.k, 32);
	memcpy(next + 32, INONCE(s), INONCE_BYTES);
	if (!(rc = chacha_at(s, 0)) && !(rc = chacha_xor(s, next, next, 40))) {
		memcpy(s->sec->st.k, next, 32);
		memcpy(INONCE(s), next + 32, INONCE_BYTES);
		memset(COUNTER(s), 0, COUNTER_BYTES);
		COUNTER(s)[0] = 1;
	}
	sodium_memzero(next, 40);
	return rc;
}

/* After a message: the MAC chained into the nonce, the counter advanced,
 * and a rekey when the tag asks for it or the counter wrapped. */
static int message_end(sstream *s, const uint8_t mac[16], uint8_t tag)
{
	int i;

	for (i = 0; i < INONCE_BYTES; i++)
		INONCE(s)[i] ^= mac[i];
	sodium_increment(COUNTER(s), COUNTER_BYTES);
	if ((tag & SSTREAM_TAG_REKEY) || sodium_is_zero(COUNTER(s), COUNTER_BYTES))
		return rekey_libcrypto(s);
	return 0;
}

/* ---- the stream ---- */

int sstream_push(sstream *s, uint8_t *c, const uint8_t *m, size_t mlen, const uint8_t *ad,
		 size_t adlen, uint8_t tag)
{
	uint8_t mac[16];
	int rc;

	if ((uint64_t)mlen > SSTREAM_MESSAGEBYTES_MAX)
		return SSTREAM_ELIB;
	if (!s->cipher)
		return crypto_secretstream_xchacha20poly1305_push(&s->sec->st, c, NULL, m, mlen, ad,
								  adlen, tag) == 0 ? 0 : SSTREAM_ELIB;
	if ((rc = message_begin(s, ad, adlen, tag, true)))
		return rc;
	c[0] = s->sec->scratch[0];
	sodium_memzero(s->sec->scratch, 64);
	if ((rc = chacha_xor(s, c + 1, m, mlen)) || (rc = mac_update(s, c + 1, mlen)) ||
	    (rc = message_mac(s, adlen, mlen, mac)))
		return rc;
	memcpy(c + 1 + mlen, mac, 16);
	return message_end(s, mac, tag);
}

int sstream_pull(sstream *s, uint8_t *m, size_t *mlen, uint8_t *tag, const uint8_t *c,
		 size_t clen, const uint8_t *ad, size_t adlen)
{
	uint8_t mac[16], plain_tag;
	size_t n;
	int rc;

	*mlen = 0;
	*tag = 0xff;
	if (clen < SSTREAM_ABYTES)
		return SSTREAM_EFORGED;
	n = clen - SSTREAM_ABYTES;
	if ((uint64_t)n > SSTREAM_MESSAGEBYTES_MAX)
		return SSTREAM_ELIB;
	if (!s->cipher) {
		unsigned long long got = 0;

		if (crypto_secretstream_xchacha20poly1305_pull(&s->sec->st, m, &got, tag, c, clen, ad,
							       adlen) != 0)
			return SSTREAM_EFORGED;
		*mlen = (size_t)got;
		return 0;
	}
	if ((rc = message_begin(s, ad, adlen, c[0], false)))
		return rc;
	plain_tag = s->sec->scratch[0];
	sodium_memzero(s->sec->scratch, 64);
	if ((rc = mac_update(s, c + 1, n)) || (rc = message_mac(s, adlen, n, mac)))
		return rc;
	if (sodium_memcmp(mac, c + 1 + n, 16) != 0) {
		sodium_memzero(mac, sizeof(mac));
		return SSTREAM_EFORGED;
	}
	if ((rc = chacha_xor(s, m, c + 1, n)))
		return rc;
	*mlen = n;
	*tag = plain_tag;
	return message_end(s, mac, plain_tag);
}

int sstream_rekey(sstream *s)
{
	if (!s->cipher) {
		crypto_secretstream_xchacha20poly1305_rekey(&s->sec->st);
		return 0;
	}
	return rekey_libcrypto(s);
}
