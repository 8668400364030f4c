#include "wallet/base/text.h"

#include <string.h>

#define TEXT_MAX 64

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;

	return m < c ? m : c;
}

unsigned edit_distance(const char *a, const char *b)
{
	/* three rows: the one being filled, and the two a swap looks back to */
	unsigned rows[3][TEXT_MAX], *two = rows[0], *prev = rows[1], *cur = rows[2], *t;
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la >= TEXT_MAX || lb >= TEXT_MAX)
		return TEXT_MAX;
	for (j = 0; j <= lb; j++)
		prev[j] = (unsigned)j;
	for (i = 1; i <= la; i++) {
		cur[0] = (unsigned)i;
		for (j = 1; j <= lb; j++) {
			unsigned v = min3(prev[j - 1] + (a[i - 1] != b[j - 1]), prev[j] + 1,
					  cur[j - 1] + 1);

			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    two[j - 2] + 1 < v)
				v = two[j - 2] + 1;
			cur[j] = v;
		}
		t = two;
		two = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, c = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, c = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, c = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

size_t text_safe_char(const uint8_t *p, size_t n, unsigned flags)
{
	uint32_t c;
	size_t len = utf8_decode(p, n, &c);

	if (!len || c < 0x20 || c == 0x7f)
		return 0;
	if (flags & TEXT_ASCII)
		return c < 0x7f ? 1 : 0;
	if ((c >= 0x80 && c < 0xa0) || c == 0x200e || c == 0x200f || c == 0x2028 || c == 0x2029 ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069))
		return 0;
	return len;
}

size_t text_clean(char *out, size_t cap, const void *src, size_t n, unsigned flags)
{
	const uint8_t *s = src;
	size_t i = 0, k;

	while (i < n) {
		if ((k = text_safe_char(s + i, n - i, flags))) {
			if (i + k >= cap)
				break;
			memmove(out + i, s + i, k);
			i += k;
		} else {
			if (i + 1 >= cap)
				break;
			out[i++] = '?';
		}
	}
	out[i] = '\0';
	return i;
}

void text_clean_inplace(char *s, unsigned flags)
{
	size_t n = strlen(s);

	text_clean(s, n + 1, s, n, flags);
}
