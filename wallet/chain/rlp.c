#include "wallet/chain/rlp.h"

#include <stdlib.h>
#include <string.h>

enum { RLP_OOM = 1, RLP_UNBALANCED = 2 };

void rlp_init(rlp_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void rlp_free(rlp_buf *b)
{
	free(b->buf);
	rlp_init(b);
}

static int reserve(rlp_buf *b, size_t more)
{
	size_t want, cap;
	uint8_t *p;

	if (b->failed)
		return -1;
	if (more > SIZE_MAX - b->len) {
		b->failed = RLP_OOM;
		return -1;
	}
	want = b->len + more;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < want)
		cap = cap > SIZE_MAX / 2 ? want : cap * 2;
	if (!(p = realloc(b->buf, cap))) {
		b->failed = RLP_OOM;
		return -1;
	}
	b->buf = p;
	b->cap = cap;
	return 0;
}

/* Big-endian bytes of n without leading zeros; returns how many (1..8). */
static size_t be_len(size_t n, uint8_t out[8])
{
	size_t k = 0, i;
	uint8_t tmp[8];

	do {
		tmp[k++] = (uint8_t)n;
		n >>= 8;
	} while (n);
	for (i = 0; i < k; i++)
		out[i] = tmp[k - 1 - i];
	return k;
}

/* The header of a payload of n bytes with base 0x80 (string) or 0xc0 (list). */
static size_t header(uint8_t base, size_t n, uint8_t out[9])
{
	size_t k;

	if (n < 56) {
		out[0] = (uint8_t)(base + n);
		return 1;
	}
	k = be_len(n, out + 1);
	out[0] = (uint8_t)(base + 55 + k);
	return 1 + k;
}

void rlp_put_raw(rlp_buf *b, const void *p, size_t n)
{
	if (!n || reserve(b, n))
		return;
	memcpy(b->buf + b->len, p, n);
	b->len += n;
}

void rlp_put_bytes(rlp_buf *b, const void *p, size_t n)
{
	uint8_t h[9];
	size_t hl;

	if (n == 1 && *(const uint8_t *)p < 0x80) {
		rlp_put_raw(b, p, 1);
		return;
	}
	hl = header(0x80, n, h);
	if (reserve(b, hl + n))
		return;
	rlp_put_raw(b, h, hl);
	rlp_put_raw(b, p, n);
}

void rlp_put_u64(rlp_buf *b, uint64_t v)
{
	u256 w = u256_from_u64(v);

	rlp_put_u256(b, &w);
}

void rlp_put_u256(rlp_buf *b, const u256 *v)
{
	uint8_t be[32];
	size_t n = u256_to_be_min(v, be);

	rlp_put_bytes(b, be, n);
}

void rlp_list_begin(rlp_buf *b)
{
	if (b->failed)
		return;
	if (b->depth == RLP_MAX_DEPTH) {
		b->failed = RLP_UNBALANCED;
		return;
	}
	b->open[b->depth++] = b->len;
}

void rlp_list_end(rlp_buf *b)
{
	uint8_t h[9];
	size_t start, n, hl;

	if (b->failed)
		return;
	if (!b->depth) {
		b->failed = RLP_UNBALANCED;
		return;
	}
	start = b->open[--b->depth];
	n = b->len - start;
	hl = header(0xc0, n, h);
	if (reserve(b, hl))
		return;
	memmove(b->buf + start + hl, b->buf + start, n);
	memcpy(b->buf + start, h, hl);
	b->len += hl;
}

int rlp_finish(rlp_buf *b, uint8_t **out, size_t *len, ehr_err *e)
{
	int failed = b->failed;

	if (!failed && b->depth)
		failed = RLP_UNBALANCED;
	if (!failed && !b->buf && reserve(b, 1))
		failed = RLP_OOM;
	if (failed) {
		rlp_free(b);
		return ehr_fail(e, EHR_EFAIL, failed == RLP_OOM ? "rlp encoding: out of memory"
				: "rlp encoding: unbalanced lists (internal error)");
	}
	*out = b->buf;
	*len = b->len;
	rlp_init(b);
	return EHR_OK;
}

int rlp_decode_item(const uint8_t *in, size_t len, rlp_item *item, size_t *consumed, ehr_err *e)
{
	size_t hl, n, i;
	uint8_t first;

	if (!len)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: input ends where an item should start");
	first = in[0];
	item->raw = in;
	item->is_list = first >= 0xc0;
	if (first < 0x80) {
		hl = 0;
		n = 1;
	} else if (first < 0xb8 || (first >= 0xc0 && first < 0xf8)) {
		hl = 1;
		n = (size_t)(first - (first < 0xc0 ? 0x80 : 0xc0));
	} else {
		size_t k = (size_t)(first - (first < 0xc0 ? 0xb7 : 0xf7));

		if (len - 1 < k)
			return ehr_fail(e, EHR_EINTEGRITY, "rlp: length of length runs past the end of the input");
		if (in[1] == 0)
			return ehr_fail(e, EHR_EINTEGRITY, "rlp: non-canonical length with a leading zero byte");
		if (k > sizeof(size_t))
			return ehr_fail(e, EHR_EINTEGRITY, "rlp: length of %zu bytes is too large", k);
		for (n = 0, i = 0; i < k; i++)
			n = n << 8 | in[1 + i];
		if (n < 56)
			return ehr_fail(e, EHR_EINTEGRITY, "rlp: non-canonical long form for a length of %zu", n);
		hl = 1 + k;
	}
	if (n > len - hl)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: %s of %zu bytes runs past the end of the input (%zu left)",
				item->is_list ? "list" : "string", n, len - hl);
	if (!item->is_list && hl == 1 && n == 1 && in[1] < 0x80)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: non-canonical single byte 0x%02x in a string header", in[1]);
	item->payload = in + hl;
	item->len = n;
	item->raw_len = hl + n;
	if (consumed)
		*consumed = hl + n;
	return EHR_OK;
}

int rlp_decode(const uint8_t *in, size_t len, rlp_item *item, ehr_err *e)
{
	size_t used;
	int rc = rlp_decode_item(in, len, item, &used, e);

	if (rc)
		return rc;
	if (used != len)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: %zu trailing bytes after the item", len - used);
	return EHR_OK;
}

void rlp_iter_init(rlp_iter *it, const rlp_item *list)
{
	it->p = list->payload;
	it->left = list->is_list ? list->len : 0;
}

int rlp_next(rlp_iter *it, rlp_item *child, ehr_err *e)
{
	size_t used;

	if (!it->left)
		return 0;
	if (rlp_decode_item(it->p, it->left, child, &used, e))
		return -1;
	it->p += used;
	it->left -= used;
	return 1;
}

int rlp_list_items(const rlp_item *list, rlp_item *items, size_t max, size_t *n, ehr_err *e)
{
	rlp_iter it;
	rlp_item child;
	size_t count = 0;
	int rc;

	if (!list->is_list)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: expected a list, found a string");
	rlp_iter_init(&it, list);
	while ((rc = rlp_next(&it, &child, e)) == 1) {
		if (count == max)
			return ehr_fail(e, EHR_EINTEGRITY, "rlp: list has more than %zu items", max);
		items[count++] = child;
	}
	if (rc < 0)
		return e ? e->status : EHR_EINTEGRITY;
	*n = count;
	return EHR_OK;
}

static int int_bytes(const rlp_item *item, size_t max, ehr_err *e)
{
	if (item->is_list)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: expected an integer, found a list");
	if (item->len > max)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: integer of %zu bytes is too large (at most %zu)", item->len, max);
	if (item->len && item->payload[0] == 0)
		return ehr_fail(e, EHR_EINTEGRITY, "rlp: non-canonical integer with a leading zero byte");
	return EHR_OK;
}

int rlp_item_u64(const rlp_item *item, uint64_t *v, ehr_err *e)
{
	uint64_t r = 0;
	size_t i;
	int rc;

	if ((rc = int_bytes(item, 8, e)))
		return rc;
	for (i = 0; i < item->len; i++)
		r = r << 8 | item->payload[i];
	*v = r;
	return EHR_OK;
}

int rlp_item_u256(const rlp_item *item, u256 *v, ehr_err *e)
{
	int rc;

	if ((rc = int_bytes(item, 32, e)))
		return rc;
	u256_from_be(v, item->payload, item->len);
	return EHR_OK;
}
