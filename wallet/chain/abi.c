#include "wallet/chain/abi.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"

/* Types nest at most this deep; a fixed array has at most ABI_MAX_FIXED
 * elements and a static type's head at most ABI_MAX_HEAD bytes, which keeps
 * every size computation far from overflow. */
#define ABI_MAX_DEPTH 32
#define ABI_MAX_FIXED 65536
#define ABI_MAX_HEAD (1u << 24)
#define ABI_SIG_MAX 1024

typedef struct abi_type abi_type;
struct abi_type {
	abi_kind kind;
	unsigned size;		/* bits of uint/int, bytes of bytes<N> */
	size_t fixed;		/* arrays: the k of T[k], 0 for T[] */
	abi_type *elem;		/* arrays */
	abi_type **items;	/* tuples */
	size_t n;
	int dynamic;
	size_t head;		/* bytes this type takes in its enclosing head */
	size_t body;		/* arrays and tuples: bytes of their own head part */
	unsigned depth;		/* nesting below this type */
};

struct abi_value {
	abi_kind kind;
	int broken;
	u256 num;
	uint8_t *bytes;		/* ABI_BYTES/ABI_STRING (heap, NUL after len), else small */
	size_t len;
	abi_value **items;
	size_t n, cap;
	uint8_t small[32];	/* address, bytes<N> */
};

/* ---- types ---- */

static void type_free(abi_type *t)
{
	size_t i;

	if (!t)
		return;
	type_free(t->elem);
	for (i = 0; i < t->n; i++)
		type_free(t->items[i]);
	free(t->items);
	free(t);
}

static int is_ident(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$';
}

/* The decimal in [d, end) (nonempty); -1 with a leading zero or above max. */
static long digits_value(const char *d, const char *end, long max)
{
	long v = 0;

	if (*d == '0' && end - d > 1)
		return -1;
	for (; d < end; d++) {
		v = v * 10 + (*d - '0');
		if (v > max)
			return -1;
	}
	return v;
}

/* Reads a decimal without sign or leading zero; -1 if absent or above max. */
static long read_decimal(const char **p, long max)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > max)
			return -1;
		s++;
	}
	*p = s;
	return v;
}

static int parse_type(const char **p, int depth, abi_type **out, ehr_err *e);

static int bad_type(const char *start, const char *at, ehr_err *e)
{
	return ehr_fail(e, EHR_EUSAGE, "abi: malformed type '%.80s' at offset %ld", start, (long)(at - start));
}

static int parse_tuple(const char *start, const char **p, int depth, abi_type *t, ehr_err *e)
{
	const char *s = *p + 1;	/* past '(' */
	abi_type **items;
	int rc;

	t->kind = ABI_TUPLE;
	if (*s == ')') {
		if (depth)
			return ehr_fail(e, EHR_EUSAGE, "abi: empty tuple inside '%.80s'", start);
		*p = s + 1;
		return EHR_OK;
	}
	for (;;) {
		abi_type *item;

		if ((rc = parse_type(&s, depth + 1, &item, e)))
			return rc;
		if (!(items = realloc(t->items, (t->n + 1) * sizeof(*items)))) {
			type_free(item);
			return ehr_fail(e, EHR_EFAIL, "abi: out of memory");
		}
		t->items = items;
		t->items[t->n++] = item;
		if (*s == ',') {
			s++;
			continue;
		}
		if (*s == ')')
			break;
		return bad_type(start, s, e);
	}
	*p = s + 1;
	return EHR_OK;
}

static int parse_base(const char *start, const char **p, int depth, abi_type *t, ehr_err *e)
{
	const char *s = *p, *w = s, *digits;
	size_t wl;
	long n = -1;

	if (*s == '(')
		return parse_tuple(start, p, depth, t, e);
	while (*s >= 'a' && *s <= 'z')
		s++;
	wl = (size_t)(s - w);
#define WORD(lit) (wl == sizeof(lit) - 1 && !memcmp(w, lit, wl))
	if (WORD("tuple") && *s == '(') {
		*p = s;
		return parse_tuple(start, p, depth, t, e);
	}
	digits = s;
	while (*s >= '0' && *s <= '9')
		s++;
	if (s > digits)
		n = digits_value(digits, s, 256);
	if (WORD("uint") || WORD("int")) {
		t->kind = *w == 'u' ? ABI_UINT : ABI_INT;
		t->size = 256;
		if (s > digits) {
			if (n <= 0 || n % 8)
				return ehr_fail(e, EHR_EUSAGE, "abi: no type %.*s (integer widths are 8 to 256 in steps of 8)",
						(int)(s - w > 24 ? 24 : s - w), w);
			t->size = (unsigned)n;
		}
	} else if (WORD("bytes")) {
		t->kind = ABI_BYTES;
		if (s > digits) {
			if (n <= 0 || n > 32)
				return ehr_fail(e, EHR_EUSAGE, "abi: no type %.*s (bytes1 to bytes32)",
						(int)(s - w > 24 ? 24 : s - w), w);
			t->kind = ABI_FIXED_BYTES;
			t->size = (unsigned)n;
		}
	} else if (s > digits) {
		return ehr_fail(e, EHR_EUSAGE, "abi: unsupported type '%.*s'", (int)(s - w > 40 ? 40 : s - w), w);
	} else if (WORD("address")) {
		t->kind = ABI_ADDRESS;
	} else if (WORD("bool")) {
		t->kind = ABI_BOOL;
	} else if (WORD("string")) {
		t->kind = ABI_STRING;
	} else {
		while (is_ident(*s))
			s++;
		if (s == w)
			return bad_type(start, w, e);
		return ehr_fail(e, EHR_EUSAGE, "abi: unsupported type '%.*s'", (int)(s - w > 40 ? 40 : s - w), w);
	}
#undef WORD
	if (is_ident(*s))
		return bad_type(start, s, e);
	*p = s;
	return EHR_OK;
}

/* Fills dynamic, head, body and depth from the children. */
static int measure(abi_type *t, ehr_err *e)
{
	size_t i;

	t->depth = 0;
	switch (t->kind) {
	case ABI_BYTES:
	case ABI_STRING:
		t->dynamic = 1;
		break;
	case ABI_ARRAY:
		t->depth = t->elem->depth + 1;
		if (!t->fixed) {
			t->dynamic = 1;
			break;
		}
		t->dynamic = t->elem->dynamic;
		if (t->elem->head > ABI_MAX_HEAD / t->fixed)
			return ehr_fail(e, EHR_EUSAGE, "abi: fixed array type too large");
		t->body = t->fixed * t->elem->head;
		break;
	case ABI_TUPLE:
		t->dynamic = 0;
		t->body = 0;
		for (i = 0; i < t->n; i++) {
			t->dynamic |= t->items[i]->dynamic;
			t->body += t->items[i]->head;
			if (t->body > ABI_MAX_HEAD)
				return ehr_fail(e, EHR_EUSAGE, "abi: tuple type too large");
			if (t->items[i]->depth + 1 > t->depth)
				t->depth = t->items[i]->depth + 1;
		}
		break;
	default:
		t->dynamic = 0;
		break;
	}
	if (t->dynamic)
		t->head = 32;
	else if (t->kind == ABI_ARRAY || t->kind == ABI_TUPLE)
		t->head = t->body;
	else
		t->head = 32;
	return EHR_OK;
}

static int parse_type(const char **p, int depth, abi_type **out, ehr_err *e)
{
	const char *start = *p;
	abi_type *t;
	int rc;

	if (depth > ABI_MAX_DEPTH)
		return ehr_fail(e, EHR_EUSAGE, "abi: type nested too deeply");
	if (!(t = calloc(1, sizeof(*t))))
		return ehr_fail(e, EHR_EFAIL, "abi: out of memory");
	if ((rc = parse_base(start, p, depth, t, e)) || (rc = measure(t, e))) {
		type_free(t);
		return rc;
	}
	while (**p == '[') {
		const char *s = *p + 1;
		long k = 0;
		abi_type *arr;

		if (*s != ']' && (k = read_decimal(&s, ABI_MAX_FIXED)) <= 0) {
			type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: bad array length in '%.80s' (1 to %d, or none)", start, ABI_MAX_FIXED);
		}
		if (*s != ']') {
			type_free(t);
			return bad_type(start, s, e);
		}
		if (!t->head) {
			type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: array of empty tuples in '%.80s'", start);
		}
		if (++depth > ABI_MAX_DEPTH) {
			type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: type nested too deeply");
		}
		if (!(arr = calloc(1, sizeof(*arr)))) {
			type_free(t);
			return ehr_fail(e, EHR_EFAIL, "abi: out of memory");
		}
		arr->kind = ABI_ARRAY;
		arr->fixed = (size_t)k;
		arr->elem = t;
		t = arr;
		if ((rc = measure(t, e))) {
			type_free(t);
			return rc;
		}
		*p = s + 1;
	}
	*out = t;
	return EHR_OK;
}

/* Parses a whole tuple type string. */
static int parse_tuple_type(const char *types, abi_type **out, ehr_err *e)
{
	const char *p = types;
	int rc;

	if (!types || *types != '(')
		return ehr_fail(e, EHR_EUSAGE, "abi: types must be a tuple like \"(address,uint256)\", not '%.80s'",
				types ? types : "");
	if ((rc = parse_type(&p, 0, out, e)))
		return rc;
	if (*p || (*out)->kind != ABI_TUPLE) {
		type_free(*out);
		return bad_type(types, p, e);
	}
	return EHR_OK;
}

struct sink {
	char *out;
	size_t cap, len;
	int full;
};

static void put(struct sink *s, const char *str, size_t n)
{
	size_t take, cut;

	if (s->full || !s->cap) {
		s->full = 1;
		return;
	}
	take = n < s->cap - 1 - s->len ? n : s->cap - 1 - s->len;
	memcpy(s->out + s->len, str, take);
	s->len += take;
	s->out[s->len] = '\0';
	if (take == n)
		return;
	/* Does not fit: end with "..." instead, without splitting a UTF-8
	 * sequence (out[cut] is the first byte dropped). */
	s->full = 1;
	if (s->cap <= 4) {
		s->len = 0;
		s->out[0] = '\0';
		return;
	}
	cut = s->cap - 4;
	while (cut > 0 && ((uint8_t)s->out[cut] & 0xc0) == 0x80)
		cut--;
	memcpy(s->out + cut, "...", 4);
	s->len = cut + 3;
}

static void puts_(struct sink *s, const char *str)
{
	put(s, str, strlen(str));
}

static void fmt_type(struct sink *s, const abi_type *t)
{
	char num[24];
	size_t i;

	switch (t->kind) {
	case ABI_UINT:
	case ABI_INT:
		snprintf(num, sizeof(num), "%s%u", t->kind == ABI_UINT ? "uint" : "int", t->size);
		puts_(s, num);
		break;
	case ABI_FIXED_BYTES:
		snprintf(num, sizeof(num), "bytes%u", t->size);
		puts_(s, num);
		break;
	case ABI_ADDRESS: puts_(s, "address"); break;
	case ABI_BOOL: puts_(s, "bool"); break;
	case ABI_BYTES: puts_(s, "bytes"); break;
	case ABI_STRING: puts_(s, "string"); break;
	case ABI_ARRAY:
		fmt_type(s, t->elem);
		if (t->fixed) {
			snprintf(num, sizeof(num), "[%zu]", t->fixed);
			puts_(s, num);
		} else {
			puts_(s, "[]");
		}
		break;
	case ABI_TUPLE:
		puts_(s, "(");
		for (i = 0; i < t->n; i++) {
			if (i)
				puts_(s, ",");
			fmt_type(s, t->items[i]);
		}
		puts_(s, ")");
		break;
	}
}

/* The type's canonical name for messages (truncated when long). */
static const char *type_name(const abi_type *t, char *buf, size_t cap)
{
	struct sink s = { buf, cap, 0, 0 };

	buf[0] = '\0';
	fmt_type(&s, t);
	return buf;
}

/* Splits "name(types)" into the canonical signature and the parsed types. */
static int parse_signature(const char *sig, char *canon, size_t cap, abi_type **types, ehr_err *e)
{
	const char *paren = sig ? strchr(sig, '(') : NULL;
	struct sink s = { canon, cap, 0, 0 };
	const char *p;
	int rc;

	if (!paren || paren == sig)
		return ehr_fail(e, EHR_EUSAGE, "abi: malformed signature '%.80s' (expected name(types))", sig ? sig : "");
	for (p = sig; p < paren; p++) {
		if (!is_ident(*p) || (p == sig && *p >= '0' && *p <= '9'))
			return ehr_fail(e, EHR_EUSAGE, "abi: malformed signature '%.80s'", sig);
	}
	if ((rc = parse_tuple_type(paren, types, e)))
		return rc;
	canon[0] = '\0';
	put(&s, sig, (size_t)(paren - sig));
	fmt_type(&s, *types);
	if (s.full) {
		type_free(*types);
		return ehr_fail(e, EHR_EUSAGE, "abi: signature too long");
	}
	return EHR_OK;
}

int abi_canonical(const char *signature, char *out, size_t cap, ehr_err *e)
{
	abi_type *t;
	int rc;

	if ((rc = parse_signature(signature, out, cap, &t, e)))
		return rc;
	type_free(t);
	return EHR_OK;
}

int abi_event_topic(const char *signature, uint8_t out[32], ehr_err *e)
{
	char canon[ABI_SIG_MAX];
	int rc;

	if ((rc = abi_canonical(signature, canon, sizeof(canon), e)))
		return rc;
	keccak256(canon, strlen(canon), out);
	return EHR_OK;
}

int abi_selector(const char *signature, uint8_t out[4], ehr_err *e)
{
	uint8_t h[32];
	int rc;

	if ((rc = abi_event_topic(signature, h, e)))
		return rc;
	memcpy(out, h, 4);
	return EHR_OK;
}

/* ---- values ---- */

static abi_value *node(abi_kind kind)
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
	abi_value *v = node(ABI_UINT);

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
	abi_value *v = node(ABI_INT);

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
	abi_value *v = node(ABI_BOOL);

	if (v)
		v->num = u256_from_u64(b ? 1 : 0);
	return v;
}

abi_value *abi_address(const uint8_t addr[20])
{
	abi_value *v = node(ABI_ADDRESS);

	if (v) {
		memcpy(v->small, addr, 20);
		v->len = 20;
	}
	return v;
}

abi_value *abi_fixed_bytes(const void *p, size_t n)
{
	abi_value *v;

	if (n < 1 || n > 32 || !(v = node(ABI_FIXED_BYTES)))
		return NULL;
	memcpy(v->small, p, n);
	v->len = n;
	return v;
}

static abi_value *heap_bytes(abi_kind kind, const void *p, size_t n)
{
	abi_value *v = node(kind);

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
	return heap_bytes(ABI_BYTES, p, n);
}

abi_value *abi_string(const char *s)
{
	return heap_bytes(ABI_STRING, s, strlen(s));
}

abi_value *abi_array_new(void)
{
	return node(ABI_ARRAY);
}

abi_value *abi_tuple_new(void)
{
	return node(ABI_TUPLE);
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

abi_value *abi_tuple(size_t n, ...)
{
	abi_value *v;
	va_list ap;

	va_start(ap, n);
	v = collect(abi_tuple_new(), n, ap);
	va_end(ap);
	return v;
}

abi_value *abi_array(size_t n, ...)
{
	abi_value *v;
	va_list ap;

	va_start(ap, n);
	v = collect(abi_array_new(), n, ap);
	va_end(ap);
	return v;
}

/* ---- encoding ---- */

static const char *kind_name(abi_kind k)
{
	static const char *const names[] = {
		"uint", "int", "address", "bool", "fixed bytes", "bytes", "string", "array", "tuple"
	};

	return names[k];
}

/* 1 when the two's complement x is sign-extended from `bits` bits. */
static int fits_int(const u256 *x, unsigned bits)
{
	u256 t = *x;
	int i;

	if (x->w[3] >> 63) {
		for (i = 0; i < 4; i++)
			t.w[i] = ~t.w[i];
	}
	return u256_bits(&t) <= bits - 1;
}

static size_t pad32(size_t n)
{
	return (n + 31) / 32 * 32;
}

static const abi_type *item_type(const abi_type *t, size_t i)
{
	return t->kind == ABI_ARRAY ? t->elem : t->items[i];
}

/* Checks v against t and sets *size to its encoded size. */
static int enc_size(const abi_type *t, const abi_value *v, size_t *size, ehr_err *e)
{
	char tn[128];
	size_t i, total, sz;
	int rc;

	if (!v)
		return ehr_fail(e, EHR_EFAIL, "abi: missing value (out of memory while building it?)");
	if (v->broken)
		return ehr_fail(e, EHR_EFAIL, "abi: value incomplete (out of memory while building it)");
	switch (t->kind) {
	case ABI_UINT:
		if (v->kind != ABI_UINT)
			break;
		if (u256_bits(&v->num) > t->size)
			return ehr_fail(e, EHR_EUSAGE, "abi: value too large for %s", type_name(t, tn, sizeof(tn)));
		*size = 32;
		return EHR_OK;
	case ABI_INT:
		/* A uint value is accepted for an int type when it fits. */
		if (v->kind != ABI_INT && v->kind != ABI_UINT)
			break;
		if (v->kind == ABI_UINT ? u256_bits(&v->num) > t->size - 1 : !fits_int(&v->num, t->size))
			return ehr_fail(e, EHR_EUSAGE, "abi: value out of range for %s", type_name(t, tn, sizeof(tn)));
		*size = 32;
		return EHR_OK;
	case ABI_ADDRESS:
	case ABI_BOOL:
		if (v->kind != t->kind)
			break;
		*size = 32;
		return EHR_OK;
	case ABI_FIXED_BYTES:
		if (v->kind != ABI_FIXED_BYTES && v->kind != ABI_BYTES)
			break;
		if (v->len != t->size)
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu bytes given for %s", v->len, type_name(t, tn, sizeof(tn)));
		*size = 32;
		return EHR_OK;
	case ABI_BYTES:
	case ABI_STRING:
		if (v->kind != t->kind)
			break;
		*size = 32 + pad32(v->len);
		return EHR_OK;
	case ABI_ARRAY:
	case ABI_TUPLE:
		if (v->kind != t->kind)
			break;
		if (t->kind == ABI_TUPLE && v->n != t->n)
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu values given for %s", v->n, type_name(t, tn, sizeof(tn)));
		if (t->kind == ABI_ARRAY && t->fixed && v->n != t->fixed)
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu elements given for %s", v->n, type_name(t, tn, sizeof(tn)));
		total = t->kind == ABI_ARRAY && !t->fixed ? 32 : 0;
		for (i = 0; i < v->n; i++) {
			const abi_type *it = item_type(t, i);

			if ((rc = enc_size(it, v->items[i], &sz, e)))
				return rc;
			if (it->dynamic)
				sz += 32;
			if (sz > SIZE_MAX - total)
				return ehr_fail(e, EHR_EFAIL, "abi: encoding too large");
			total += sz;
		}
		*size = total;
		return EHR_OK;
	}
	return ehr_fail(e, EHR_EUSAGE, "abi: %s given for %s", kind_name(v->kind), type_name(t, tn, sizeof(tn)));
}

static void put_size_word(uint8_t *dst, size_t n)
{
	u256 w = u256_from_u64((uint64_t)n);

	u256_to_be(&w, dst);
}

static size_t enc_write(const abi_type *t, const abi_value *v, uint8_t *dst);

/* The items of an array or tuple: heads, then the tails of dynamic items. */
static size_t write_seq(const abi_type *t, const abi_value *v, uint8_t *dst)
{
	size_t i, hp = 0, tail = 0;

	for (i = 0; i < v->n; i++)
		tail += item_type(t, i)->head;
	for (i = 0; i < v->n; i++) {
		const abi_type *it = item_type(t, i);

		if (it->dynamic) {
			put_size_word(dst + hp, tail);
			tail += enc_write(it, v->items[i], dst + tail);
		} else {
			enc_write(it, v->items[i], dst + hp);
		}
		hp += it->head;
	}
	return tail;
}

/* Writes a checked value into zeroed memory; returns the bytes written. */
static size_t enc_write(const abi_type *t, const abi_value *v, uint8_t *dst)
{
	switch (t->kind) {
	case ABI_UINT:
	case ABI_INT:
	case ABI_BOOL:
		u256_to_be(&v->num, dst);
		return 32;
	case ABI_ADDRESS:
		memcpy(dst + 12, v->bytes, 20);
		return 32;
	case ABI_FIXED_BYTES:
		memcpy(dst, v->bytes, v->len);
		return 32;
	case ABI_BYTES:
	case ABI_STRING:
		put_size_word(dst, v->len);
		if (v->len)
			memcpy(dst + 32, v->bytes, v->len);
		return 32 + pad32(v->len);
	case ABI_ARRAY:
		if (!t->fixed) {
			put_size_word(dst, v->n);
			return 32 + write_seq(t, v, dst + 32);
		}
		return write_seq(t, v, dst);
	case ABI_TUPLE:
		return write_seq(t, v, dst);
	}
	return 0;
}

static int encode_with(const abi_type *t, const abi_value *args, size_t prefix, uint8_t **out, size_t *len,
		       ehr_err *e)
{
	size_t size;
	uint8_t *buf;
	int rc;

	if ((rc = enc_size(t, args, &size, e)))
		return rc;
	if (size > SIZE_MAX - prefix || !(buf = calloc(1, (size + prefix) ? size + prefix : 1)))
		return ehr_fail(e, EHR_EFAIL, "abi: out of memory");
	enc_write(t, args, buf + prefix);
	*out = buf;
	*len = size + prefix;
	return EHR_OK;
}

int abi_encode(const char *types, const abi_value *args, uint8_t **out, size_t *len, ehr_err *e)
{
	abi_type *t;
	int rc;

	if ((rc = parse_tuple_type(types, &t, e)))
		return rc;
	rc = encode_with(t, args, 0, out, len, e);
	type_free(t);
	return rc;
}

int abi_encode_call(const char *signature, const abi_value *args, uint8_t **out, size_t *len, ehr_err *e)
{
	char canon[ABI_SIG_MAX];
	uint8_t h[32];
	abi_type *t;
	int rc;

	if ((rc = parse_signature(signature, canon, sizeof(canon), &t, e)))
		return rc;
	rc = encode_with(t, args, 4, out, len, e);
	type_free(t);
	if (rc)
		return rc;
	keccak256(canon, strlen(canon), h);
	memcpy(*out, h, 4);
	return EHR_OK;
}

/* ---- decoding ---- */

struct dec {
	const uint8_t *data;
	size_t len;
	size_t nodes_left;	/* values still allowed to be created */
	size_t bytes_left;	/* bytes still allowed to be copied */
	ehr_err *e;
};

static int dec_fail(struct dec *d, const abi_type *t, const char *what)
{
	char tn[128];

	return ehr_fail(d->e, EHR_EINTEGRITY, "abi: malformed %s: %s", type_name(t, tn, sizeof(tn)), what);
}

/* The 32-byte word at `at`, or NULL past the end. */
static const uint8_t *word_at(struct dec *d, size_t at)
{
	if (at > d->len || d->len - at < 32)
		return NULL;
	return d->data + at;
}

/* A word holding a length or offset; -1 when it does not fit a size_t. */
static int word_size(const uint8_t *w, size_t *out)
{
	u256 v;

	u256_from_be(&v, w, 32);
	if (!u256_fits_u64(&v) || v.w[0] > SIZE_MAX)
		return -1;
	*out = (size_t)v.w[0];
	return 0;
}

static int dec_value(struct dec *d, const abi_type *t, size_t at, abi_value **out);

/* Decodes count items laid out as a sequence starting at base into v. */
static int dec_seq(struct dec *d, const abi_type *t, size_t count, size_t base, abi_value *v)
{
	size_t i, hp = base;
	int rc;

	if (count > d->nodes_left)
		return dec_fail(d, t, "more values than the data can hold");
	if (count && !(v->items = calloc(count, sizeof(*v->items))))
		return ehr_fail(d->e, EHR_EFAIL, "abi: out of memory");
	v->cap = count;
	for (i = 0; i < count; i++) {
		const abi_type *it = item_type(t, i);
		size_t at = hp, off;

		if (it->dynamic) {
			const uint8_t *w = word_at(d, hp);

			if (!w)
				return dec_fail(d, t, "offset runs past the end of the data");
			if (word_size(w, &off) || off > d->len - base)
				return dec_fail(d, t, "offset points past the end of the data");
			at = base + off;
		}
		rc = dec_value(d, it, at, &v->items[i]);
		v->n++;		/* so abi_free takes a half-built item too */
		if (rc)
			return rc;
		hp += it->head;
	}
	return EHR_OK;
}

static int dec_value(struct dec *d, const abi_type *t, size_t at, abi_value **out)
{
	const uint8_t *w;
	abi_value *v;
	size_t n, i;
	int rc;

	*out = NULL;
	if (!d->nodes_left)
		return dec_fail(d, t, "more values than the data can hold (overlapping offsets?)");
	d->nodes_left--;
	if (t->kind == ABI_TUPLE || (t->kind == ABI_ARRAY && t->fixed)) {
		if (at > d->len || d->len - at < t->body)
			return dec_fail(d, t, "runs past the end of the data");
		if (!(v = node(t->kind)))
			return ehr_fail(d->e, EHR_EFAIL, "abi: out of memory");
		*out = v;
		return dec_seq(d, t, t->kind == ABI_TUPLE ? t->n : t->fixed, at, v);
	}
	if (!(w = word_at(d, at)))
		return dec_fail(d, t, "runs past the end of the data");
	switch (t->kind) {
	case ABI_UINT:
	case ABI_INT:
	case ABI_BOOL:
		if (!(v = node(t->kind)))
			break;
		u256_from_be(&v->num, w, 32);
		*out = v;
		if (t->kind == ABI_UINT && u256_bits(&v->num) > t->size)
			return dec_fail(d, t, "value has bits beyond its width");
		if (t->kind == ABI_INT && !fits_int(&v->num, t->size))
			return dec_fail(d, t, "value is not sign-extended");
		if (t->kind == ABI_BOOL && u256_bits(&v->num) > 1)
			return dec_fail(d, t, "value is neither 0 nor 1");
		return EHR_OK;
	case ABI_ADDRESS:
		if (!(v = node(ABI_ADDRESS)))
			break;
		*out = v;
		for (i = 0; i < 12; i++) {
			if (w[i])
				return dec_fail(d, t, "nonzero bytes before the address");
		}
		memcpy(v->small, w + 12, 20);
		v->len = 20;
		return EHR_OK;
	case ABI_FIXED_BYTES:
		if (!(v = node(ABI_FIXED_BYTES)))
			break;
		*out = v;
		for (i = t->size; i < 32; i++) {
			if (w[i])
				return dec_fail(d, t, "nonzero padding");
		}
		memcpy(v->small, w, t->size);
		v->len = t->size;
		return EHR_OK;
	case ABI_BYTES:
	case ABI_STRING:
		if (word_size(w, &n) || n > d->len - at - 32)
			return dec_fail(d, t, "length runs past the end of the data");
		if (n > d->bytes_left)
			return dec_fail(d, t, "more bytes than the data holds (overlapping offsets?)");
		d->bytes_left -= n;
		if (!(v = heap_bytes(t->kind, w + 32, n)))
			break;
		*out = v;
		return EHR_OK;
	case ABI_ARRAY:
		/* T[]: a count, then the items as a sequence. Each item takes at
		 * least its head in the data, which bounds the count. */
		if (word_size(w, &n) || n > (d->len - at - 32) / t->elem->head)
			return dec_fail(d, t, "element count exceeds the data");
		if (!(v = node(ABI_ARRAY)))
			break;
		*out = v;
		rc = dec_seq(d, t, n, at + 32, v);
		return rc;
	case ABI_TUPLE:
		break;
	}
	return ehr_fail(d->e, EHR_EFAIL, "abi: out of memory");
}

static int decode_with(const abi_type *t, const uint8_t *data, size_t len, abi_value **out, ehr_err *e)
{
	struct dec d;
	int rc;

	d.data = data;
	d.len = len;
	/* A canonical encoding makes at most one value per 32-byte word at
	 * each nesting level and copies each byte once; overlapping offsets
	 * could make far more, so the work is capped there. */
	d.nodes_left = (len / 32 + 1) * (t->depth + 2);
	d.bytes_left = len;
	d.e = e;
	rc = dec_value(&d, t, 0, out);
	if (rc) {
		abi_free(*out);
		*out = NULL;
	}
	return rc;
}

int abi_decode(const char *types, const uint8_t *data, size_t len, abi_value **out, ehr_err *e)
{
	abi_type *t;
	int rc;

	*out = NULL;
	if ((rc = parse_tuple_type(types, &t, e)))
		return rc;
	rc = decode_with(t, data, len, out, e);
	type_free(t);
	return rc;
}

int abi_decode_call(const char *signature, const uint8_t *data, size_t len, abi_value **out, ehr_err *e)
{
	char canon[ABI_SIG_MAX];
	uint8_t h[32];
	abi_type *t;
	int rc;

	*out = NULL;
	if ((rc = parse_signature(signature, canon, sizeof(canon), &t, e)))
		return rc;
	keccak256(canon, strlen(canon), h);
	if (len < 4 || memcmp(data, h, 4)) {
		type_free(t);
		return ehr_fail(e, EHR_EFAIL, "abi: data is not a call of %.200s", canon);
	}
	rc = decode_with(t, data + 4, len - 4, out, e);
	type_free(t);
	return rc;
}

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
	if (!v || v->kind != ABI_INT || !fits_int(&v->num, 64))
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

/* Length of the valid, printable UTF-8 sequence at p (n bytes left), or 0. */
static size_t utf8_printable(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len, i;

	if (p[0] < 0x80)
		return p[0] >= 0x20 && p[0] != 0x7f ? 1 : 0;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp < 0xa0) ||
	    cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return 0;	/* overlong, surrogate, C1 control, line breaks, bidi overrides */
	return len;
}

static void fmt_value(struct sink *s, const abi_value *v, int depth)
{
	char buf[U256_DEC_MAX + 1], hex[3];
	size_t i;

	if (s->full)
		return;
	if (!v || depth > ABI_MAX_DEPTH + 2) {
		puts_(s, "?");
		return;
	}
	switch (v->kind) {
	case ABI_UINT:
		u256_format_dec(&v->num, buf);
		puts_(s, buf);
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
		puts_(s, buf);
		break;
	case ABI_ADDRESS: {
		char a[43];

		eip55_format(v->small, a);
		puts_(s, a);
		break;
	}
	case ABI_BOOL:
		puts_(s, u256_is_zero(&v->num) ? "false" : "true");
		break;
	case ABI_FIXED_BYTES:
	case ABI_BYTES:
		puts_(s, "0x");
		for (i = 0; i < v->len && !s->full; i++) {
			snprintf(hex, sizeof(hex), "%02x", v->bytes[i]);
			put(s, hex, 2);
		}
		break;
	case ABI_STRING:
		for (i = 0; i < v->len && !s->full;) {
			size_t n = utf8_printable(v->bytes + i, v->len - i);

			if (n) {
				put(s, (const char *)v->bytes + i, n);
				i += n;
			} else {
				put(s, "?", 1);
				i++;
			}
		}
		break;
	case ABI_ARRAY:
	case ABI_TUPLE:
		puts_(s, v->kind == ABI_ARRAY ? "[" : "(");
		for (i = 0; i < v->n && !s->full; i++) {
			if (i)
				puts_(s, ",");
			fmt_value(s, v->items[i], depth + 1);
		}
		puts_(s, v->kind == ABI_ARRAY ? "]" : ")");
		break;
	}
}

size_t abi_format(const abi_value *v, char *out, size_t cap)
{
	struct sink s = { out, cap, 0, 0 };

	if (cap)
		out[0] = '\0';
	fmt_value(&s, v, 0);
	return s.len;
}
