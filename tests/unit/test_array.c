/* wallet/base/array: growth keeps what is there and fails cleanly on a
 * size that cannot be had; sort and find accept an empty NULL array. */
#include "tap.h"

#include "wallet/base/array.h"

struct item {
	uint64_t id;
	int payload;
};

static void test_grow(void)
{
	int *v = NULL;
	size_t cap = 0, i;
	int ok = 1;

	for (i = 0; i < 1000; i++) {
		if (array_grow((void **)&v, &cap, i + 1, sizeof(*v))) {
			ok = 0;
			break;
		}
		v[i] = (int)i;
	}
	CHECK(ok, "grew to 1000");
	CHECK(cap >= 1000, "capacity %zu", cap);
	for (i = 0; i < 1000 && v[i] == (int)i; i++)
		;
	CHECK(i == 1000, "kept the elements (first wrong at %zu)", i);
	CHECK(array_grow((void **)&v, &cap, 10, sizeof(*v)) == 0, "no growth needed");
	CHECK(array_grow((void **)&v, &cap, SIZE_MAX / 2, 16) == -1, "an impossible size fails");
	CHECK(v && cap >= 1000 && v[999] == 999, "and leaves the array as it was");
	free(v);
}

static void test_sort_find(void)
{
	struct item items[] = { { 30, 3 }, { 10, 1 }, { 20, 2 } }, key = { 20, 0 }, *hit;

	array_sort(NULL, 0, sizeof(struct item), array_cmp_u64);
	CHECK(array_find(&key, NULL, 0, sizeof(struct item), array_cmp_u64) == NULL, "empty: not found");
	array_sort(items, 3, sizeof(items[0]), array_cmp_u64);
	CHECK(items[0].id == 10 && items[1].id == 20 && items[2].id == 30, "sorted by id");
	hit = array_find(&key, items, 3, sizeof(items[0]), array_cmp_u64);
	CHECK(hit && hit->payload == 2, "found 20");
	key.id = 25;
	CHECK(array_find(&key, items, 3, sizeof(items[0]), array_cmp_u64) == NULL, "25 not there");
}

int main(void)
{
	test_grow();
	test_sort_find();
	return tap_done();
}
