/* Encoding a value tree against a parsed type: sizing, then writing. */
#include "wallet/chain/abi.h"

#include <stdlib.h>
#include <string.h>

#include "wallet/chain/abi_internal.h"

static const char *kind_name(abi_kind k)
{
	static const char *const names[] = {
		"uint", "int", "address", "bool", "fixed bytes", "bytes", "string", "array", "tuple"
	};

	return names[k];
}

static size_t pad32(size_t n)
{
	return (n + 31) / 32 * 32;
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
			return ehr_fail(e, EHR_EUSAGE, "abi: value too large for %s", abi_type_name(t, tn, sizeof(tn)));
		*size = 32;
		return EHR_OK;
	case ABI_INT:
		/* A uint value is accepted for an int type when it fits. */
		if (v->kind != ABI_INT && v->kind != ABI_UINT)
			break;
		if (v->kind == ABI_UINT ? u256_bits(&v->num) > t->size - 1 : !abi_fits_int(&v->num, t->size))
			return ehr_fail(e, EHR_EUSAGE, "abi: value out of range for %s", abi_type_name(t, tn, sizeof(tn)));
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
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu bytes given for %s", v->len, abi_type_name(t, tn, sizeof(tn)));
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
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu values given for %s", v->n, abi_type_name(t, tn, sizeof(tn)));
		if (t->kind == ABI_ARRAY && t->fixed && v->n != t->fixed)
			return ehr_fail(e, EHR_EUSAGE, "abi: %zu elements given for %s", v->n, abi_type_name(t, tn, sizeof(tn)));
		total = t->kind == ABI_ARRAY && !t->fixed ? 32 : 0;
		for (i = 0; i < v->n; i++) {
			const abi_type *it = abi_item_type(t, i);

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
	return ehr_fail(e, EHR_EUSAGE, "abi: %s given for %s", kind_name(v->kind), abi_type_name(t, tn, sizeof(tn)));
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
		tail += abi_item_type(t, i)->head;
	for (i = 0; i < v->n; i++) {
		const abi_type *it = abi_item_type(t, i);

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

	if ((rc = abi_parse_types(types, &t, e)))
		return rc;
	rc = encode_with(t, args, 0, out, len, e);
	abi_type_free(t);
	return rc;
}

int abi_encode_call(const char *signature, const abi_value *args, uint8_t **out, size_t *len, ehr_err *e)
{
	struct abi_call call;
	int rc;

	if ((rc = abi_parse_call(signature, &call, e)))
		return rc;
	rc = encode_with(call.types, args, 4, out, len, e);
	abi_type_free(call.types);
	if (rc)
		return rc;
	memcpy(*out, call.selector, 4);
	return EHR_OK;
}
