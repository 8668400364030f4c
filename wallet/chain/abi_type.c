/* Type strings: parsing "(address,uint256[])" into a tree of abi_type,
 * sizing it, and writing it back in canonical form (signatures, selectors,
 * event topics). */
#include "wallet/chain/abi.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/chain/abi_internal.h"
#include "wallet/keys/keccak.h"

void abi_type_free(abi_type *t)
{
	size_t i;

	if (!t)
		return;
	abi_type_free(t->elem);
	for (i = 0; i < t->n; i++)
		abi_type_free(t->items[i]);
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
			abi_type_free(item);
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
		abi_type_free(t);
		return rc;
	}
	while (**p == '[') {
		const char *s = *p + 1;
		long k = 0;
		abi_type *arr;

		if (*s != ']' && (k = read_decimal(&s, ABI_MAX_FIXED)) <= 0) {
			abi_type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: bad array length in '%.80s' (1 to %d, or none)", start, ABI_MAX_FIXED);
		}
		if (*s != ']') {
			abi_type_free(t);
			return bad_type(start, s, e);
		}
		if (!t->head) {
			abi_type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: array of empty tuples in '%.80s'", start);
		}
		if (++depth > ABI_MAX_DEPTH) {
			abi_type_free(t);
			return ehr_fail(e, EHR_EUSAGE, "abi: type nested too deeply");
		}
		if (!(arr = calloc(1, sizeof(*arr)))) {
			abi_type_free(t);
			return ehr_fail(e, EHR_EFAIL, "abi: out of memory");
		}
		arr->kind = ABI_ARRAY;
		arr->fixed = (size_t)k;
		arr->elem = t;
		t = arr;
		if ((rc = measure(t, e))) {
			abi_type_free(t);
			return rc;
		}
		*p = s + 1;
	}
	*out = t;
	return EHR_OK;
}

/* Parses a whole tuple type string. */
int abi_parse_types(const char *types, abi_type **out, ehr_err *e)
{
	const char *p = types;
	int rc;

	if (!types || *types != '(')
		return ehr_fail(e, EHR_EUSAGE, "abi: types must be a tuple like \"(address,uint256)\", not '%.80s'",
				types ? types : "");
	if ((rc = parse_type(&p, 0, out, e)))
		return rc;
	if (*p || (*out)->kind != ABI_TUPLE) {
		abi_type_free(*out);
		return bad_type(types, p, e);
	}
	return EHR_OK;
}

void abi_sink_put(struct abi_sink *s, const char *str, size_t n)
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

void abi_sink_puts(struct abi_sink *s, const char *str)
{
	abi_sink_put(s, str, strlen(str));
}

static void fmt_type(struct abi_sink *s, const abi_type *t)
{
	char num[24];
	size_t i;

	switch (t->kind) {
	case ABI_UINT:
	case ABI_INT:
		snprintf(num, sizeof(num), "%s%u", t->kind == ABI_UINT ? "uint" : "int", t->size);
		abi_sink_puts(s, num);
		break;
	case ABI_FIXED_BYTES:
		snprintf(num, sizeof(num), "bytes%u", t->size);
		abi_sink_puts(s, num);
		break;
	case ABI_ADDRESS: abi_sink_puts(s, "address"); break;
	case ABI_BOOL: abi_sink_puts(s, "bool"); break;
	case ABI_BYTES: abi_sink_puts(s, "bytes"); break;
	case ABI_STRING: abi_sink_puts(s, "string"); break;
	case ABI_ARRAY:
		fmt_type(s, t->elem);
		if (t->fixed) {
			snprintf(num, sizeof(num), "[%zu]", t->fixed);
			abi_sink_puts(s, num);
		} else {
			abi_sink_puts(s, "[]");
		}
		break;
	case ABI_TUPLE:
		abi_sink_puts(s, "(");
		for (i = 0; i < t->n; i++) {
			if (i)
				abi_sink_puts(s, ",");
			fmt_type(s, t->items[i]);
		}
		abi_sink_puts(s, ")");
		break;
	}
}

/* The type's canonical name for messages (truncated when long). */
const char *abi_type_name(const abi_type *t, char *buf, size_t cap)
{
	struct abi_sink s = { buf, cap, 0, 0 };

	buf[0] = '\0';
	fmt_type(&s, t);
	return buf;
}

/* Splits "name(types)" into the canonical signature and the parsed types. */
int abi_parse_signature(const char *sig, char *canon, size_t cap, abi_type **types, ehr_err *e)
{
	const char *paren = sig ? strchr(sig, '(') : NULL;
	struct abi_sink s = { canon, cap, 0, 0 };
	const char *p;
	int rc;

	if (!paren || paren == sig)
		return ehr_fail(e, EHR_EUSAGE, "abi: malformed signature '%.80s' (expected name(types))", sig ? sig : "");
	for (p = sig; p < paren; p++) {
		if (!is_ident(*p) || (p == sig && *p >= '0' && *p <= '9'))
			return ehr_fail(e, EHR_EUSAGE, "abi: malformed signature '%.80s'", sig);
	}
	if ((rc = abi_parse_types(paren, types, e)))
		return rc;
	canon[0] = '\0';
	abi_sink_put(&s, sig, (size_t)(paren - sig));
	fmt_type(&s, *types);
	if (s.full) {
		abi_type_free(*types);
		return ehr_fail(e, EHR_EUSAGE, "abi: signature too long");
	}
	return EHR_OK;
}

int abi_parse_call(const char *signature, struct abi_call *call, ehr_err *e)
{
	uint8_t h[32];
	int rc;

	if ((rc = abi_parse_signature(signature, call->canon, sizeof(call->canon), &call->types, e)))
		return rc;
	keccak256(call->canon, strlen(call->canon), h);
	memcpy(call->selector, h, 4);
	return EHR_OK;
}

int abi_canonical(const char *signature, char *out, size_t cap, ehr_err *e)
{
	abi_type *t;
	int rc;

	if ((rc = abi_parse_signature(signature, out, cap, &t, e)))
		return rc;
	abi_type_free(t);
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

/* ---- type rules shared by encoding and decoding ---- */

/* 1 when the two's complement x is sign-extended from `bits` bits. */
int abi_fits_int(const u256 *x, unsigned bits)
{
	u256 t = *x;
	int i;

	if (x->w[3] >> 63) {
		for (i = 0; i < 4; i++)
			t.w[i] = ~t.w[i];
	}
	return u256_bits(&t) <= bits - 1;
}

const abi_type *abi_item_type(const abi_type *t, size_t i)
{
	return t->kind == ABI_ARRAY ? t->elem : t->items[i];
}
