#include "wallet/base/array.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int array_grow(void **arr, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 16;
	void *p;

	if (need <= *cap)
		return 0;
	while (c < need) {
		if (c > SIZE_MAX / 2)
			return -1;
		c *= 2;
	}
	/* checked here too: a sanitizer's reallocarray aborts instead of failing */
	if (size && c > SIZE_MAX / size)
		return -1;
	if (!(p = reallocarray(*arr, c, size)))
		return -1;
	*arr = p;
	*cap = c;
	return 0;
}

void array_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

void *array_find(const void *key, const void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

int array_cmp_u64(const void *a, const void *b)
{
	uint64_t x, y;

	memcpy(&x, a, sizeof(x));
	memcpy(&y, b, sizeof(y));
	return x < y ? -1 : x > y;
}

int array_has_u64(const uint64_t *a, size_t n, uint64_t v)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] == v)
			return 1;
	return 0;
}
