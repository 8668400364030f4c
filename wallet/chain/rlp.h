/* RLP, Ethereum's Recursive Length Prefix serialization (Yellow Paper,
 * appendix B): byte strings and lists of items.
 *
 * The encoder appends to a growable buffer; lists are opened and closed
 * around their items and get their length header when closed. Errors
 * (out of memory, unbalanced lists) are sticky and reported once, by
 * rlp_finish, so building code needs no checks between calls.
 *
 * The decoder reads untrusted bytes (raw transactions from a user or a node,
 * journals from disk): it never reads outside the input, accepts only the
 * canonical encoding (so every value has exactly one encoding and a decoded
 * transaction hashes as it was signed), never allocates and never recurses. */
#ifndef EHR_RLP_H
#define EHR_RLP_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"

#define RLP_MAX_DEPTH 32	/* lists open at once in the encoder */

typedef struct {
	uint8_t *buf;
	size_t len, cap;
	size_t open[RLP_MAX_DEPTH];	/* payload start of each open list */
	unsigned depth;
	int failed;			/* sticky: 1 out of memory, 2 unbalanced */
} rlp_buf;

/* Starts an empty encoding. No allocation happens until the first item. */
void rlp_init(rlp_buf *b);

/* Frees the buffer (when rlp_finish did not take it). Safe to call twice. */
void rlp_free(rlp_buf *b);

/* Appends a byte string (p may be NULL when n is 0). */
void rlp_put_bytes(rlp_buf *b, const void *p, size_t n);

/* Appends an unsigned integer as a byte string in minimal big-endian form:
 * 0 is the empty string 0x80, 15 is 0x0f, 1024 is 0x820400. */
void rlp_put_u64(rlp_buf *b, uint64_t v);
void rlp_put_u256(rlp_buf *b, const u256 *v);

/* Appends bytes that already are one or more complete RLP items (e.g. an
 * access list taken from a decoded transaction). Not checked. */
void rlp_put_raw(rlp_buf *b, const void *p, size_t n);

/* Opens a list; the items appended until the matching rlp_list_end are its
 * payload. More than RLP_MAX_DEPTH open lists is an error. */
void rlp_list_begin(rlp_buf *b);
void rlp_list_end(rlp_buf *b);

/* Hands over the encoding: *out (malloc'd, caller frees; never NULL on
 * success, even for an empty encoding) and *len. Fails with EHR_EFAIL when
 * memory ran out or a list is still open or was closed twice. Either way b
 * is reset to empty and may be reused or freed. */
int rlp_finish(rlp_buf *b, uint8_t **out, size_t *len, ehr_err *e);

/* One decoded item. Pointers point into the decoder's input. */
typedef struct {
	int is_list;
	const uint8_t *payload;	/* the string's bytes, or the list's encoded items */
	size_t len;		/* payload length */
	const uint8_t *raw;	/* the whole item, header included */
	size_t raw_len;
} rlp_item;

/* Decodes the item at the start of in[0..len): header and payload must lie
 * inside the input; the header must be canonical (a single byte below 0x80
 * encoded as itself, the short form for payloads under 56 bytes, no leading
 * zero in a long length). *consumed (may be NULL) is the item's size; bytes
 * after it are left alone. A list's payload is not examined here: iterate it.
 * Malformed input: EHR_EINTEGRITY with a message saying what and where. */
int rlp_decode_item(const uint8_t *in, size_t len, rlp_item *item, size_t *consumed, ehr_err *e);

/* Decodes in[0..len) as exactly one item: trailing bytes are refused. */
int rlp_decode(const uint8_t *in, size_t len, rlp_item *item, ehr_err *e);

/* Walks the items of a list, one level deep. */
typedef struct {
	const uint8_t *p;
	size_t left;
} rlp_iter;

/* Starts at the first item of list (which must be a list item). */
void rlp_iter_init(rlp_iter *it, const rlp_item *list);

/* Returns 1 and fills *child with the next item, 0 after the last one, or
 * -1 (with e filled, EHR_EINTEGRITY) when the next item is malformed or
 * overruns the list's payload. */
int rlp_next(rlp_iter *it, rlp_item *child, ehr_err *e);

/* Decodes the items of list into items[0..max) and sets *n. Refuses (with
 * EHR_EINTEGRITY) a non-list, malformed items and more than max items. */
int rlp_list_items(const rlp_item *list, rlp_item *items, size_t max, size_t *n, ehr_err *e);

/* Reads a string item as an unsigned integer in canonical form: no leading
 * zero byte (0 is the empty string), at most 8 or 32 bytes. A list, a
 * leading zero or a too-long value: EHR_EINTEGRITY. */
int rlp_item_u64(const rlp_item *item, uint64_t *v, ehr_err *e);
int rlp_item_u256(const rlp_item *item, u256 *v, ehr_err *e);

#endif
