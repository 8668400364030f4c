/* The passphrase estimate of strength.h. */
#include "keystore/strength.h"

#include <ctype.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

/* Words and rows a guesser tries first; matched case-insensitively. Each
 * costs WEAK_WORD_BITS wherever it stands, whatever its length. */
static const char *const weak_words[] = {
	"password", "passwort", "passphrase", "qwertyuiop", "asdfghjkl", "zxcvbnm", "azerty",
	"letmein", "welcome", "iloveyou", "admin", "monkey", "dragon", "secret", "master",
	"login", "abc123", "123456", "654321", "111111", "000000", "trustno1", "football",
	"baseball", "sunshine", "princess", "shadow", "superman", "changeme", "default",
};
#define WEAK_WORD_BITS 4.0

static size_t pool_size(const unsigned char *p, size_t len)
{
	bool lower = false, upper = false, digit = false, other = false, high = false;
	size_t i, n = 0;

	for (i = 0; i < len; i++) {
		if (p[i] >= 0x80) high = true;
		else if (islower(p[i])) lower = true;
		else if (isupper(p[i])) upper = true;
		else if (isdigit(p[i])) digit = true;
		else other = true;
	}
	n += lower ? 26 : 0;
	n += upper ? 26 : 0;
	n += digit ? 10 : 0;
	n += other ? 33 : 0;
	n += high ? 100 : 0;
	return n ? n : 1;
}

/* Marks in covered[] the bytes that belong to a weak word; returns how many
 * weak words were found. */
static size_t mark_weak_words(const char *pass, size_t len, bool *covered)
{
	size_t w, i, k, found = 0;

	for (w = 0; w < sizeof(weak_words) / sizeof(weak_words[0]); w++) {
		size_t wl = strlen(weak_words[w]);

		for (i = 0; i + wl <= len; i++) {
			for (k = 0; k < wl && tolower((unsigned char)pass[i + k]) == weak_words[w][k]; k++)
				;
			if (k < wl)
				continue;
			for (k = 0; k < wl; k++)
				covered[i + k] = true;
			found++;
			i += wl - 1;
		}
	}
	return found;
}

double strength_bits(const char *pass, size_t len)
{
	const unsigned char *p = (const unsigned char *)pass;
	bool covered[1024] = { false }, seen[256] = { false };
	double full, bits = 0;
	size_t i;

	if (len > sizeof(covered))
		len = sizeof(covered); /* 1,024 bytes are plenty to judge */
	full = log2((double)pool_size(p, len));
	bits += WEAK_WORD_BITS * (double)mark_weak_words(pass, len, covered);
	for (i = 0; i < len; i++) {
		int step = i ? (int)p[i] - (int)p[i - 1] : 100;

		if (!covered[i]) {
			if (step == 0 || step == 1 || step == -1)
				bits += 1;          /* aaaa, abcd, 4321 */
			else if (seen[p[i]])
				bits += full / 2;   /* a character used before */
			else
				bits += full;
		}
		seen[p[i]] = true;
	}
	return bits;
}

int strength_check(const char *pass, size_t len, ehr_err *e)
{
	static const char what_would_do[] =
		"; four or five random words (not those of your mnemonic), or 12 or more "
		"random letters, digits and signs, would do";
	double bits;

	if (len < STRENGTH_MIN_CHARS)
		return ehr_fail(e, EHR_EUSAGE, "passphrase too short: %zu characters, at least %d are "
				"needed%s", len, STRENGTH_MIN_CHARS, what_would_do);
	bits = strength_bits(pass, len);
	if (bits < STRENGTH_MIN_BITS)
		return ehr_fail(e, EHR_EUSAGE, "passphrase too easy to guess: about %.0f bits by ehr's "
				"estimate (repeats, runs like abcd or 1234, common words like "
				"'password'), at least %d are needed%s", bits, STRENGTH_MIN_BITS,
				what_would_do);
	return 0;
}
