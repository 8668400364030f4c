/* RLP decoding (wallet/chain/rlp.h): rlp_decode of the whole input, then every
 * list walked with rlp_next and rlp_list_items, every string read as an
 * integer. The decoder accepts only canonical encodings, so whatever it
 * accepts must re-encode to exactly the input bytes. */
#include "fuzz.h"

#include "wallet/chain/rlp.h"

#define WALK_DEPTH 64	/* deeper inputs are walked this far */

/* Walks item, re-encoding it into b (when b is not NULL), and checks what
 * the readers promise. */
static void walk(const rlp_item *item, rlp_buf *b, unsigned depth)
{
	rlp_iter it;
	rlp_item child, items[8];
	ehr_err e;
	uint64_t v64;
	u256 v256;
	size_t n, count = 0;
	int r;

	if (!item->is_list) {
		int st64 = rlp_item_u64(item, &v64, &e);
		int st256 = rlp_item_u256(item, &v256, &e);

		/* A canonical uint64 is a canonical uint256 too. */
		if (!st64)
			FUZZ_ASSERT(!st256);
		if (b)
			rlp_put_bytes(b, item->payload, item->len);
		return;
	}
	FUZZ_ASSERT(rlp_item_u64(item, &v64, &e) == EHR_EINTEGRITY);
	if (depth >= WALK_DEPTH)
		return;
	if (b)
		rlp_list_begin(b);
	rlp_iter_init(&it, item);
	while ((r = rlp_next(&it, &child, &e)) == 1) {
		FUZZ_ASSERT(child.raw >= item->payload &&
			    child.raw + child.raw_len <= item->payload + item->len);
		walk(&child, b, depth + 1);
		count++;
	}
	if (r < 0)
		fuzz_check_err(EHR_EINTEGRITY, &e);
	r = rlp_list_items(item, items, 8, &n, &e);
	if (r)
		fuzz_check_err(r, &e);
	else
		FUZZ_ASSERT(n <= 8 && n == count);
	if (b)
		rlp_list_end(b);
}

/* The depth of the deepest item (up to WALK_DEPTH + 1), or -1 when a list
 * holds a malformed item somewhere (rlp_decode checks only the outer
 * item: the items of a list are checked as they are walked). */
static int depth_of(const rlp_item *item, int depth)
{
	rlp_iter it;
	rlp_item child;
	ehr_err e;
	int d, r, max = depth;

	if (!item->is_list || depth > WALK_DEPTH)
		return depth;
	rlp_iter_init(&it, item);
	while ((r = rlp_next(&it, &child, &e)) == 1) {
		if ((d = depth_of(&child, depth + 1)) < 0)
			return -1;
		if (d > max)
			max = d;
	}
	return r < 0 ? -1 : max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *in = fuzz_copy(data, size), *out = NULL;
	rlp_item item;
	rlp_buf b;
	ehr_err e;
	size_t consumed, out_len = 0;
	int st, depth;

	/* The item at the start, with whatever follows it. */
	st = rlp_decode_item(in, size, &item, &consumed, &e);
	if (st)
		fuzz_check_err(st, &e);
	else
		FUZZ_ASSERT(consumed <= size && item.raw == in && item.raw_len == consumed);

	st = rlp_decode(in, size, &item, &e);
	if (st) {
		fuzz_check_err(st, &e);
		free(in);
		return 0;
	}
	FUZZ_ASSERT(item.raw == in && item.raw_len == size);
	FUZZ_ASSERT(item.payload >= in && item.payload + item.len <= in + size);
	/* A well-formed tree with room in the encoder: re-encode it. */
	depth = depth_of(&item, 0);
	if (depth >= 0 && depth < RLP_MAX_DEPTH) {
		rlp_init(&b);
		walk(&item, &b, 0);
		st = rlp_finish(&b, &out, &out_len, &e);
		FUZZ_ASSERT(st == 0);
		FUZZ_ASSERT(out_len == size && memcmp(out, in, size) == 0);
		free(out);
	} else {
		walk(&item, NULL, 0);
	}
	free(in);
	return 0;
}

FUZZ_INIT_SODIUM()
