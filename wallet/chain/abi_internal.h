/* What the parts of the ABI codec share (abi_type.c, abi_encode.c,
 * abi_decode.c, abi.c): the parsed type tree, the value node, a bounded
 * text sink, and the helpers each part offers the others. Not for use
 * outside wallet/chain/abi*.c. */
#ifndef EHR_ABI_INTERNAL_H
#define EHR_ABI_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/abi.h"

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

/* Text written into a fixed buffer: always NUL-terminated; what does not
 * fit is cut at a UTF-8 boundary and ended with "...", and full is set. */
struct abi_sink {
	char *out;
	size_t cap, len;
	int full;
};

void abi_sink_put(struct abi_sink *s, const char *str, size_t n);
void abi_sink_puts(struct abi_sink *s, const char *str);

/* abi_type.c */
void abi_type_free(abi_type *t);
/* Parses a whole tuple type string such as "(address,uint256)". */
int abi_parse_types(const char *types, abi_type **out, ehr_err *e);
/* Splits "name(types)" into the canonical signature (in canon, cap bytes)
 * and the parsed types. */
int abi_parse_signature(const char *sig, char *canon, size_t cap, abi_type **types, ehr_err *e);
/* A function signature parsed for a call: its canonical text, its
 * argument types (free with abi_type_free) and its 4-byte selector (the
 * first bytes of the Keccak-256 of the canonical text). */
struct abi_call {
	char canon[ABI_SIG_MAX];
	abi_type *types;
	uint8_t selector[4];
};
int abi_parse_call(const char *signature, struct abi_call *call, ehr_err *e);
/* The type's canonical name for messages, in buf (truncated when long). */
const char *abi_type_name(const abi_type *t, char *buf, size_t cap);
/* 1 when the two's complement x is sign-extended from `bits` bits. */
int abi_fits_int(const u256 *x, unsigned bits);
/* The type of item i of an array or tuple type. */
const abi_type *abi_item_type(const abi_type *t, size_t i);

/* abi.c */
/* A zeroed node of that kind whose bytes point at its small buffer; NULL
 * when out of memory. */
abi_value *abi_node(abi_kind kind);
/* An ABI_BYTES or ABI_STRING node holding a heap copy of p[0..n) with a NUL
 * after it; NULL when out of memory. */
abi_value *abi_heap_bytes(abi_kind kind, const void *p, size_t n);

#endif
