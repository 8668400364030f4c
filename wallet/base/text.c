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
