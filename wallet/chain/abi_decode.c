/* Decoding untrusted bytes against a parsed type, within fixed work bounds. */
#include "wallet/chain/abi.h"

#include <stdlib.h>
#include <string.h>

#include "wallet/chain/abi_internal.h"

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

	return ehr_fail(d->e, EHR_EINTEGRITY, "abi: malformed %s: %s", abi_type_name(t, tn, sizeof(tn)), what);
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
		const abi_type *it = abi_item_type(t, i);
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
		if (!(v = abi_node(t->kind)))
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
		if (!(v = abi_node(t->kind)))
			break;
		u256_from_be(&v->num, w, 32);
		*out = v;
		if (t->kind == ABI_UINT && u256_bits(&v->num) > t->size)
			return dec_fail(d, t, "value has bits beyond its width");
		if (t->kind == ABI_INT && !abi_fits_int(&v->num, t->size))
			return dec_fail(d, t, "value is not sign-extended");
		if (t->kind == ABI_BOOL && u256_bits(&v->num) > 1)
			return dec_fail(d, t, "value is neither 0 nor 1");
		return EHR_OK;
	case ABI_ADDRESS:
		if (!(v = abi_node(ABI_ADDRESS)))
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
		if (!(v = abi_node(ABI_FIXED_BYTES)))
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
		if (!(v = abi_heap_bytes(t->kind, w + 32, n)))
			break;
		*out = v;
		return EHR_OK;
	case ABI_ARRAY:
		/* T[]: a count, then the items as a sequence. Each item takes at
		 * least its head in the data, which bounds the count. */
		if (word_size(w, &n) || n > (d->len - at - 32) / t->elem->head)
			return dec_fail(d, t, "element count exceeds the data");
		if (!(v = abi_node(ABI_ARRAY)))
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
	if ((rc = abi_parse_types(types, &t, e)))
		return rc;
	rc = decode_with(t, data, len, out, e);
	abi_type_free(t);
	return rc;
}

int abi_decode_call(const char *signature, const uint8_t *data, size_t len, abi_value **out, ehr_err *e)
{
	struct abi_call call;
	int rc;

	*out = NULL;
	if ((rc = abi_parse_call(signature, &call, e)))
		return rc;
	if (len < 4 || memcmp(data, call.selector, 4)) {
		abi_type_free(call.types);
		return ehr_fail(e, EHR_EFAIL, "abi: data is not a call of %.200s", call.canon);
	}
	rc = decode_with(call.types, data + 4, len - 4, out, e);
	abi_type_free(call.types);
	return rc;
}
