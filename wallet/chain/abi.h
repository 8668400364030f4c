/* The Solidity contract ABI: encoding call data and decoding return data,
 * event data and revert data, for the types a registry contract uses:
 * uint<N>, int<N>, address, bool, bytes<N>, bytes, string, T[], T[k] and
 * tuples (T1,...,Tn), nested freely.
 *
 * Values are trees of abi_value nodes. Build them with the constructors
 * below; a container takes ownership of what is pushed into it, and
 * abi_free frees a whole tree. A constructor that runs out of memory
 * returns NULL, and pushing NULL marks the container as broken, so a tree
 * can be built without checking each step: abi_encode then reports it.
 *
 * Types are written as in function signatures, without spaces: "uint256",
 * "bytes32[]", "(address,uint64,bool)[]". "uint" and "int" mean uint256 and
 * int256. Zero-length fixed arrays and empty tuples are refused, as Solidity
 * has neither.
 *
 * The decoder takes untrusted bytes (node replies, logs, revert data): every
 * offset and length is checked against the input, array counts are bounded
 * by the bytes present before anything is allocated, and the total work is
 * bounded by a multiple of the input size even when offsets overlap. */
#ifndef EHR_ABI_H
#define EHR_ABI_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"
#include "wallet/base/u256.h"

typedef enum {
	ABI_UINT,
	ABI_INT,		/* stored as 256-bit two's complement */
	ABI_ADDRESS,
	ABI_BOOL,
	ABI_FIXED_BYTES,	/* bytes1..bytes32 */
	ABI_BYTES,
	ABI_STRING,
	ABI_ARRAY,		/* T[] and T[k] alike */
	ABI_TUPLE
} abi_kind;

typedef struct abi_value abi_value;

/* Constructors. Each returns a new node (free with abi_free, or hand it to
 * a container), or NULL when memory runs out. Byte arguments are copied. */
abi_value *abi_uint(const u256 *v);
abi_value *abi_uint64(uint64_t v);
abi_value *abi_int(const u256 *twos_complement);
abi_value *abi_int64(int64_t v);
abi_value *abi_bool(int v);
abi_value *abi_address(const uint8_t addr[20]);
abi_value *abi_fixed_bytes(const void *p, size_t n);	/* n in 1..32, else NULL */
abi_value *abi_bytes(const void *p, size_t n);
abi_value *abi_string(const char *s);
abi_value *abi_array_new(void);
abi_value *abi_tuple_new(void);

/* Appends item to an array or tuple and takes ownership of it in every
 * case (it is freed when it cannot be added). Returns 0, or -1 when item is
 * NULL, list is not a container or memory runs out; list is then marked
 * broken and encoding it fails. */
int abi_push(abi_value *list, abi_value *item);

/* A tuple or array of n items given as arguments, e.g.
 * abi_tuple(3, abi_address(a), abi_uint64(7), abi_bool(1)). Takes
 * ownership of the items; NULL (with all items freed) if any is NULL. */
abi_value *abi_tuple(size_t n, ...);
abi_value *abi_array(size_t n, ...);

void abi_free(abi_value *v);

/* Encodes args (a tuple) as the types of the tuple type string `types`,
 * e.g. "(address,uint64,bool,uint256[],bytes[])": the layout of function
 * arguments and return values. *out is malloc'd (never NULL on success),
 * the caller frees it. EHR_EUSAGE for a malformed type string or a value
 * that does not match its type (wrong kind or count, a number too wide for
 * uint<N>/int<N>, bytes<N> of another length), naming the type; EHR_EFAIL
 * when memory ran out (also while building the tree). */
int abi_encode(const char *types, const abi_value *args, uint8_t **out, size_t *len, ehr_err *e);

/* Call data: the 4-byte selector of signature (e.g.
 * "transfer(address,uint256)", canonicalized first, so "uint" works)
 * followed by abi_encode of args with the signature's parameter types. */
int abi_encode_call(const char *signature, const abi_value *args, uint8_t **out, size_t *len, ehr_err *e);

/* The first 4 bytes of keccak256 of the canonical form of signature
 * ("name(type,...)"), and the full hash (an event's topic 0). EHR_EUSAGE
 * for a malformed signature. */
int abi_selector(const char *signature, uint8_t out[4], ehr_err *e);
int abi_event_topic(const char *signature, uint8_t out[32], ehr_err *e);

/* Writes the canonical form of signature ("f(uint,bytes32)" gives
 * "f(uint256,bytes32)") to out. EHR_EUSAGE when malformed or longer than cap. */
int abi_canonical(const char *signature, char *out, size_t cap, ehr_err *e);

/* Decodes data as the tuple type `types`; *out is a tuple (abi_free it).
 * Bytes after the encoded values are ignored, as the EVM does. Malformed
 * data (offsets or lengths outside the input, dirty high bits in uint<N>,
 * int<N>, address or bool, nonzero padding in bytes<N>, more work than the
 * input size allows): EHR_EINTEGRITY naming the type. A malformed type
 * string: EHR_EUSAGE. Event logs: decode the data with the non-indexed
 * parameters, and each indexed static parameter by decoding its 32-byte
 * topic as a one-element tuple (dynamic indexed values are hashed and
 * cannot be decoded). */
int abi_decode(const char *types, const uint8_t *data, size_t len, abi_value **out, ehr_err *e);

/* Decodes call data or custom-error data: checks that data starts with
 * the selector of signature (EHR_EFAIL otherwise) and decodes the rest with
 * its parameter types. */
int abi_decode_call(const char *signature, const uint8_t *data, size_t len, abi_value **out, ehr_err *e);

/* Reading decoded values. Accessors return -1 / NULL / 0 for a NULL node or
 * the wrong kind, so chains like abi_get_u64(abi_item(t, 2), &n) are safe. */
abi_kind abi_kind_of(const abi_value *v);	/* v must not be NULL */
size_t abi_count(const abi_value *v);		/* items of an array or tuple, else 0 */
const abi_value *abi_item(const abi_value *v, size_t i);

int abi_get_uint(const abi_value *v, u256 *out);	/* ABI_UINT */
int abi_get_u64(const abi_value *v, uint64_t *out);	/* ABI_UINT below 2^64 */
int abi_get_int(const abi_value *v, u256 *out);		/* ABI_INT, two's complement */
int abi_get_i64(const abi_value *v, int64_t *out);	/* ABI_INT within int64 */
int abi_get_bool(const abi_value *v, int *out);
const uint8_t *abi_get_address(const abi_value *v);	/* 20 bytes */
/* Bytes of ABI_BYTES, ABI_STRING and ABI_FIXED_BYTES (len set when not NULL). */
const uint8_t *abi_get_bytes(const abi_value *v, size_t *len);
/* ABI_STRING, NUL-terminated (it may also hold NULs: use abi_get_bytes). */
const char *abi_get_string(const abi_value *v);

/* Writes v for people to read: numbers in decimal (with '-' for negative
 * ints), addresses in EIP-55 form, true/false, bytes as 0x-hex, strings as
 * they are but with control characters and invalid UTF-8 shown as '?'
 * (revert reasons come from whoever wrote the contract), arrays as [a,b]
 * and tuples as (a,b). Always NUL-terminates when cap > 0; a value that
 * does not fit ends with "...". Returns the length written. */
size_t abi_format(const abi_value *v, char *out, size_t cap);

#endif
