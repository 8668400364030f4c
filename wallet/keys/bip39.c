#include "wallet/keys/bip39.h"

#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/base/secmem.h"
#include "wallet/base/sha256.h"
#include "wallet/base/text.h"

#define MAX_WORDS 24
#define LIST_WORD_MAX 8		/* the longest English word has 8 letters */

/* Scratch for one call, in sodium_malloc memory: everything in it is derived
 * from the mnemonic or the entropy. */
struct scratch {
	uint8_t bits[36];	/* entropy || checksum, big-endian bit string */
	uint8_t hash[32];
	uint16_t index[MAX_WORDS];
	char word[LIST_WORD_MAX + 1];	/* one lowercased word, NUL padded */
};

static struct scratch *scratch_new(ehr_err *e)
{
	return secmem_new(sizeof(struct scratch), e);
}

static void scratch_free(struct scratch *s)
{
	secmem_free(s, sizeof(*s));
}

static int is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int to_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* The 11-bit group number i of a big-endian bit string. */
static unsigned get11(const uint8_t *bits, size_t i)
{
	size_t off = 11 * i, byte = off / 8;
	uint32_t v = (uint32_t)bits[byte] << 16 | (uint32_t)bits[byte + 1] << 8 | bits[byte + 2];

	return (v >> (24 - 11 - off % 8)) & 0x7ff;
}

static void put11(uint8_t *bits, size_t i, unsigned val)
{
	size_t off = 11 * i, byte = off / 8;
	uint32_t v = (uint32_t)(val & 0x7ff) << (24 - 11 - off % 8);

	bits[byte] |= (uint8_t)(v >> 16);
	bits[byte + 1] |= (uint8_t)(v >> 8);
	bits[byte + 2] |= (uint8_t)v;
}

int bip39_from_entropy(const uint8_t *entropy, size_t len, char *out, size_t cap, ehr_err *e)
{
	struct scratch *s;
	size_t words, i, n = 0;
	int ret = EHR_OK;

	if (len < 16 || len > 32 || len % 4)
		return ehr_fail(e, EHR_EUSAGE, "mnemonic entropy must be 16, 20, 24, 28 or 32 bytes, not %zu", len);
	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	words = len * 3 / 4;
	memcpy(s->bits, entropy, len);
	sha256(entropy, len, s->hash);
	s->bits[len] = s->hash[0];	/* the first len/4 bits of it are used */
	for (i = 0; i < words; i++) {
		const char *w = bip39_english[get11(s->bits, i)];
		size_t wl = strlen(w);

		if (n + wl + (i ? 1 : 0) + 1 > cap) {
			ret = ehr_fail(e, EHR_EUSAGE, "mnemonic buffer too small");
			break;
		}
		if (i)
			out[n++] = ' ';
		memcpy(out + n, w, wl);
		n += wl;
	}
	if (ret == EHR_OK)
		out[n] = '\0';
	else
		sodium_memzero(out, cap);
	scratch_free(s);
	return ret;
}

/*
 * The index of the word in s->word, looked up without branching on the
 * word's content or position: every list word is compared in full, so the
 * time and memory access pattern do not depend on which word it is.
 * Returns 1 and sets *index if found.
 */
static int lookup_word(const struct scratch *s, unsigned *index)
{
	unsigned found = 0, at = 0, i;

	for (i = 0; i < 2048; i++) {
		const char *w = bip39_english[i];
		unsigned diff = 0, eq, k;
		int ended = 0;

		for (k = 0; k <= LIST_WORD_MAX; k++) {
			unsigned char c = ended ? 0 : (unsigned char)w[k];

			ended |= c == 0;
			diff |= c ^ (unsigned char)s->word[k];
		}
		eq = ((diff - 1) >> 8) & 1;	/* 1 iff diff == 0 */
		found |= eq;
		at |= i & (0u - eq);
	}
	*index = at;
	return (int)found;
}

/*
 * Writes " (did you mean 'x'?)" or "... 'x', 'y' or 'z'?" to hint: the list
 * words closest to word within two edits, when there are at most three of
 * them; failing that the one word sharing its first four letters (BIP39
 * words are unique in their first four). Empty when nothing fits.
 */
static void suggest(const char *word, char *hint, size_t cap)
{
	unsigned best = 3, n = 0, i, dist;
	const char *cand[3] = { NULL, NULL, NULL };
	size_t wl = strlen(word);

	hint[0] = '\0';
	for (i = 0; i < 2048; i++) {
		dist = edit_distance(word, bip39_english[i]);
		if (dist > 2 || dist > best)
			continue;
		if (dist < best) {
			best = dist;
			n = 0;
		}
		if (n < 3)
			cand[n] = bip39_english[i];
		n++;
	}
	if (n == 0 && wl >= 4) {
		for (i = 0; i < 2048; i++)
			if (strncmp(word, bip39_english[i], 4) == 0)
				cand[n++] = bip39_english[i];
	}
	if (n == 1)
		snprintf(hint, cap, "; did you mean '%s'?", cand[0]);
	else if (n == 2)
		snprintf(hint, cap, "; did you mean '%s' or '%s'?", cand[0], cand[1]);
	else if (n == 3)
		snprintf(hint, cap, "; did you mean '%s', '%s' or '%s'?", cand[0], cand[1], cand[2]);
}

/* Reports an unknown word: the mistyped word itself is shown (cut to 24
 * characters, non-printing bytes as '?') so the user can find it; it is
 * one mistyped word, not a list word. */
static int unknown_word(ehr_err *e, const char *tok, size_t toklen, size_t pos)
{
	char shown[25], lower[25], hint[64];
	size_t i, n = toklen < 24 ? toklen : 24;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)tok[i];

		shown[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		lower[i] = (char)to_lower(shown[i]);
	}
	shown[n] = lower[n] = '\0';
	suggest(lower, hint, sizeof(hint));
	ehr_fail(e, EHR_EUSAGE, "unknown word '%s%s' (word %zu)%s", shown, toklen > n ? "..." : "", pos, hint);
	sodium_memzero(shown, sizeof(shown));
	sodium_memzero(lower, sizeof(lower));
	return EHR_EUSAGE;
}

/* Splits, looks up and checks a mnemonic into s (indices, then bits with
 * entropy and checksum); *words gets the word count. */
static int decode(const char *m, struct scratch *s, size_t *words, ehr_err *e)
{
	size_t count = 0, i, len, cs_bits;
	const char *p = m;

	for (;;) {
		const char *tok;
		size_t toklen, k;
		unsigned idx;

		while (is_space((unsigned char)*p))
			p++;
		if (!*p)
			break;
		tok = p;
		while (*p && !is_space((unsigned char)*p))
			p++;
		toklen = (size_t)(p - tok);
		count++;
		memset(s->word, 0, sizeof(s->word));
		if (toklen > LIST_WORD_MAX)
			return unknown_word(e, tok, toklen, count);
		for (k = 0; k < toklen; k++)
			s->word[k] = (char)to_lower((unsigned char)tok[k]);
		if (!lookup_word(s, &idx))
			return unknown_word(e, tok, toklen, count);
		if (count <= MAX_WORDS)
			s->index[count - 1] = (uint16_t)idx;
	}
	if (count == 0)
		return ehr_fail(e, EHR_EUSAGE, "the mnemonic is empty");
	if (count < 12 || count > 24 || count % 3)
		return ehr_fail(e, EHR_EUSAGE, "a mnemonic has 12, 15, 18, 21 or 24 words, not %zu", count);

	memset(s->bits, 0, sizeof(s->bits));
	for (i = 0; i < count; i++)
		put11(s->bits, i, s->index[i]);
	len = count * 4 / 3;
	cs_bits = count / 3;
	sha256(s->bits, len, s->hash);
	/* Compare only the checksum bits, without an early exit. */
	if ((((s->hash[0] ^ s->bits[len]) & (0xff00u >> cs_bits)) & 0xff) != 0)
		return ehr_fail(e, EHR_EUSAGE, "checksum does not match: a word is wrong or the order is");
	*words = count;
	return EHR_OK;
}

int bip39_to_entropy(const char *mnemonic, uint8_t out[32], size_t *len, ehr_err *e)
{
	struct scratch *s;
	size_t words = 0;
	int ret;

	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	ret = decode(mnemonic, s, &words, e);
	if (ret == EHR_OK) {
		*len = words * 4 / 3;
		memcpy(out, s->bits, *len);
	}
	scratch_free(s);
	return ret;
}

int bip39_check(const char *mnemonic, ehr_err *e)
{
	struct scratch *s;
	size_t words;
	int ret;

	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	ret = decode(mnemonic, s, &words, e);
	scratch_free(s);
	return ret;
}

int bip39_seed(const char *mnemonic, const char *passphrase, uint8_t seed[64], ehr_err *e)
{
	size_t mlen = strlen(mnemonic), plen, i, n = 0;
	char *norm = NULL, *salt = NULL;
	const char *p;
	int ret = EHR_OK;

	if (!passphrase)
		passphrase = "";
	plen = strlen(passphrase);
	for (p = passphrase; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return ehr_fail(e, EHR_EUSAGE, "the BIP39 passphrase has non-ASCII characters, "
					"which would need Unicode NFKD normalisation (not supported)");
	for (p = mnemonic; *p; p++)
		if ((unsigned char)*p >= 0x80)
			return ehr_fail(e, EHR_EUSAGE, "the mnemonic has non-ASCII characters (only the English wordlist is supported)");

	norm = sodium_malloc(mlen + 1);
	salt = sodium_malloc(8 + plen + 1);
	if (!norm || !salt) {
		ret = ehr_fail(e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	/* Lowercase words joined by single spaces, as they would be printed. */
	for (i = 0; i < mlen; i++) {
		if (is_space((unsigned char)mnemonic[i])) {
			if (n && norm[n - 1] != ' ')
				norm[n++] = ' ';
		} else {
			norm[n++] = (char)to_lower((unsigned char)mnemonic[i]);
		}
	}
	if (n && norm[n - 1] == ' ')
		n--;
	norm[n] = '\0';
	if (n == 0) {
		ret = ehr_fail(e, EHR_EUSAGE, "the mnemonic is empty");
		goto out;
	}
	memcpy(salt, "mnemonic", 8);
	memcpy(salt + 8, passphrase, plen);
	if (PKCS5_PBKDF2_HMAC(norm, (int)n, (const unsigned char *)salt, (int)(8 + plen), 2048,
			      EVP_sha512(), 64, seed) != 1)
		ret = ehr_fail(e, EHR_EFAIL, "PBKDF2-HMAC-SHA512 failed");
out:
	if (norm) {
		sodium_memzero(norm, mlen + 1);
		sodium_free(norm);
	}
	if (salt) {
		sodium_memzero(salt, 8 + plen + 1);
		sodium_free(salt);
	}
	return ret;
}

int bip39_generate(size_t words, char *out, size_t cap, ehr_err *e)
{
	uint8_t *entropy;
	int ret;

	if (words < 12 || words > 24 || words % 3)
		return ehr_fail(e, EHR_EUSAGE, "a mnemonic has 12, 15, 18, 21 or 24 words, not %zu", words);
	if (!(entropy = sodium_malloc(32)))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	randombytes_buf(entropy, words * 4 / 3);
	ret = bip39_from_entropy(entropy, words * 4 / 3, out, cap, e);
	sodium_memzero(entropy, 32);
	sodium_free(entropy);
	return ret;
}
