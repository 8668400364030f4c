/* Growable arrays and the sorted-array helpers the library and the
 * commands share: one growth rule, and qsort/bsearch that accept an empty
 * (NULL) array. */
#ifndef EHR_ARRAY_H
#define EHR_ARRAY_H

#include <stddef.h>
#include <stdint.h>

/* Makes room for at least `need` elements of `size` bytes in *arr, whose
 * capacity is *cap: doubles (from 16) until it fits. 0, or -1 when memory
 * runs out (then *arr and *cap are as they were). */
int array_grow(void **arr, size_t *cap, size_t need, size_t size);

/* qsort, for arrays that may be empty and NULL. */
void array_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));

/* bsearch, for arrays that may be empty and NULL: the element equal to
 * key, or NULL. */
void *array_find(const void *key, const void *base, size_t n, size_t size,
		 int (*cmp)(const void *, const void *));

/* Orders elements by a uint64_t stored at their start (an id field placed
 * first), for array_sort and array_find. */
int array_cmp_u64(const void *a, const void *b);

/* Whether v is among the n values of a (unsorted; a linear search, for
 * the short id lists of a grant or a request). */
int array_has_u64(const uint64_t *a, size_t n, uint64_t v);

#endif
