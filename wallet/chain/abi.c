/* Values: building, reading and formatting abi_value trees. Types live in
 * abi_type.c, encoding in abi_encode.c, decoding in abi_decode.c. */
#include "wallet/chain/abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/base/text.h"
#include "wallet/chain/abi_internal.h"
#include "wallet/keys/eth.h"

/* ---- values ---- */

abi_value *abi_node(abi_kind kind)
{
	abi_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->kind = kind;
		v->bytes = v->small;
	}
	return v;
}

abi_value *abi_uint(const u256 *x)
{
	abi_value *v = abi_node(ABI_UINT);

	if (v)
		v->num = *x;
	return v;
}

abi_value *abi_uint64(uint64_t x)
{
	u256 w = u256_from_u64(x);

	return abi_uint(&w);
}

abi_value *abi_int(const u256 *twos)
{
	abi_value *v = abi_node(ABI_INT);

	if (v)
		v->num = *twos;
	return v;
}

abi_value *abi_int64(int64_t x)
{
	u256 w = u256_from_u64((uint64_t)x);

	if (x < 0)
		w.w[1] = w.w[2] = w.w[3] = UINT64_MAX;
	return abi_int(&w);
}

abi_value *abi_bool(int b)
{
	abi_value *v = abi_node(ABI_BOOL);

	if (v)
		v->num = u256_from_u64(b ? 1 : 0);
	return v;
}

abi_value *abi_address(const uint8_t addr[20])
{
	abi_value *v = abi_node(ABI_ADDRESS);

	if (v) {
		memcpy(v->small, addr, 20);
		v->len = 20;
	}
	return v;
}

abi_value *abi_fixed_bytes(const void *p, size_t n)
{
	abi_value *v;

	if (n < 1 || n > 32 || !(v = abi_node(ABI_FIXED_BYTES)))
		return NULL;
	memcpy(v->small, p, n);
	v->len = n;
	return v;
}

abi_value *abi_heap_bytes(abi_kind kind, const void *p, size_t n)
{
	abi_value *v = abi_node(kind);

	if (!v)
		return NULL;
	if (!(v->bytes = malloc(n + 1))) {
		free(v);
		return NULL;
	}
	if (n)
		memcpy(v->bytes, p, n);
	v->bytes[n] = '\0';
	v->len = n;
	return v;
}

abi_value *abi_bytes(const void *p, size_t n)
{
	return abi_heap_bytes(ABI_BYTES, p, n);
}

abi_value *abi_string(const char *s)
{
	return abi_heap_bytes(ABI_STRING, s, strlen(s));
}

abi_value *abi_array_new(void)
{
	return abi_node(ABI_ARRAY);
}

abi_value *abi_tuple_new(void)
{
	return abi_node(ABI_TUPLE);
}

void abi_free(abi_value *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++)
		abi_free(v->items[i]);
	free(v->items);
	if (v->bytes != v->small)
		free(v->bytes);
	free(v);
}

int abi_push(abi_value *list, abi_value *item)
{
	if (!list) {
		abi_free(item);
		return -1;
	}
	if (!item || (list->kind != ABI_ARRAY && list->kind != ABI_TUPLE)) {
		abi_free(item);
		list->broken = 1;
		return -1;
	}
	if (list->n == list->cap) {
		size_t cap = list->cap ? 2 * list->cap : 4;
		abi_value **items = realloc(list->items, cap * sizeof(*items));

		if (!items) {
			abi_free(item);
			list->broken = 1;
			return -1;
		}
		list->items = items;
		list->cap = cap;
	}
	list->items[list->n++] = item;
	return 0;
}

static abi_value *collect(abi_value *list, size_t n, va_list ap)
{
	size_t i;
	int failed = !list;

	for (i = 0; i < n; i++) {
		abi_value *item = va_arg(ap, abi_value *);

		if (failed || !item) {
			abi_free(item);
			failed = 1;
			continue;
		}
		if (abi_push(list, item))
			failed = 1;
	}
	if (failed) {
		abi_free(list);
		return NULL;
	}
	return list;
}

/* va_list cannot be handed on from one variadic function to another, so the
 * two variadic list constructors are stamped from this one definition. */
#define LIST_CONSTRUCTOR(name, make_list)				\
	abi_value *name(size_t n, ...)					\
	{								\
		abi_value *v;						\
		va_list ap;						\
									\
		va_start(ap, n);					\
		v = collect(make_list(), n, ap);			\
		va_end(ap);						\
		return v;						\
	}

LIST_CONSTRUCTOR(abi_tuple, abi_tuple_new)
LIST_CONSTRUCTOR(abi_array, abi_array_new)

#undef LIST_CONSTRUCTOR

/* ---- reading ---- */

abi_kind abi_kind_of(const abi_value *v)
{
	return v->kind;
}

size_t abi_count(const abi_value *v)
{
	return v && (v->kind == ABI_ARRAY || v->kind == ABI_TUPLE) ? v->n : 0;
}

const abi_value *abi_item(const abi_value *v, size_t i)
{
	return i < abi_count(v) ? v->items[i] : NULL;
}

int abi_get_uint(const abi_value *v, u256 *out)
{
	if (!v || v->kind != ABI_UINT)
		return -1;
	*out = v->num;
	return 0;
}

int abi_get_u64(const abi_value *v, uint64_t *out)
{
	if (!v || v->kind != ABI_UINT || !u256_fits_u64(&v->num))
		return -1;
	*out = v->num.w[0];
	return 0;
}

int abi_get_int(const abi_value *v, u256 *out)
{
	if (!v || v->kind != ABI_INT)
		return -1;
	*out = v->num;
	return 0;
}

int abi_get_i64(const abi_value *v, int64_t *out)
{
	if (!v || v->kind != ABI_INT || !abi_fits_int(&v->num, 64))
		return -1;
	*out = (int64_t)v->num.w[0];
	return 0;
}

int abi_get_bool(const abi_value *v, int *out)
{
	if (!v || v->kind != ABI_BOOL)
		return -1;
	*out = !u256_is_zero(&v->num);
	return 0;
}

const uint8_t *abi_get_address(const abi_value *v)
{
	return v && v->kind == ABI_ADDRESS ? v->small : NULL;
}

const uint8_t *abi_get_bytes(const abi_value *v, size_t *len)
{
	if (!v || (v->kind != ABI_BYTES && v->kind != ABI_STRING && v->kind != ABI_FIXED_BYTES))
		return NULL;
	if (len)
		*len = v->len;
	return v->bytes;
}

const char *abi_get_string(const abi_value *v)
{
	return v && v->kind == ABI_STRING ? (const char *)v->bytes : NULL;
}

/* ---- formatting ---- */

static void fmt_value(struct abi_sink *s, const abi_value *v, int depth)
{
	char buf[U256_DEC_MAX + 1], hex[3];
	size_t i;

	if (s->full)
		return;
	if (!v || depth > ABI_MAX_DEPTH + 2) {
		abi_sink_puts(s, "?");
		return;
	}
	switch (v->kind) {
	case ABI_UINT:
		u256_format_dec(&v->num, buf);
		abi_sink_puts(s, buf);
		break;
	case ABI_INT:
		if (v->num.w[3] >> 63) {
			u256 m;

			u256_neg(&m, &v->num);
			buf[0] = '-';
			u256_format_dec(&m, buf + 1);
		} else {
			u256_format_dec(&v->num, buf);
		}
		abi_sink_puts(s, buf);
		break;
	case ABI_ADDRESS: {
		char a[43];

		eip55_format(v->small, a);
		abi_sink_puts(s, a);
		break;
	}
	case ABI_BOOL:
		abi_sink_puts(s, u256_is_zero(&v->num) ? "false" : "true");
		break;
	case ABI_FIXED_BYTES:
	case ABI_BYTES:
		abi_sink_puts(s, "0x");
		for (i = 0; i < v->len && !s->full; i++) {
			snprintf(hex, sizeof(hex), "%02x", v->bytes[i]);
			abi_sink_put(s, hex, 2);
		}
		break;
	case ABI_STRING:
		for (i = 0; i < v->len && !s->full;) {
			size_t n = text_safe_char(v->bytes + i, v->len - i, 0);

			if (n) {
				abi_sink_put(s, (const char *)v->bytes + i, n);
				i += n;
			} else {
				abi_sink_put(s, "?", 1);
				i++;
			}
		}
		break;
	case ABI_ARRAY:
	case ABI_TUPLE:
		abi_sink_puts(s, v->kind == ABI_ARRAY ? "[" : "(");
		for (i = 0; i < v->n && !s->full; i++) {
			if (i)
				abi_sink_puts(s, ",");
			fmt_value(s, v->items[i], depth + 1);
		}
		abi_sink_puts(s, v->kind == ABI_ARRAY ? "]" : ")");
		break;
	}
}

size_t abi_format(const abi_value *v, char *out, size_t cap)
{
	struct abi_sink s = { out, cap, 0, 0 };

	if (cap)
		out[0] = '\0';
	fmt_value(&s, v, 0);
	return s.len;
}
