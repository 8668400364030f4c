/* Revert data turned into a plain sentence: what a contract said when it
 * refused. Solidity reverts with Error(string) (require with a message),
 * Panic(uint256) (assert, overflow, division by zero, bad index...) or a
 * custom error the contract declares; the caller supplies the custom errors
 * it knows (e.g. the registry's). */
#ifndef EHR_REVERT_H
#define EHR_REVERT_H

#include <stddef.h>
#include <stdint.h>

/* One custom error: its Solidity signature, e.g. "GrantExpired(uint256,uint64)",
 * and the sentence to show, in which %1..%9 stand for the decoded arguments
 * (numbers in decimal, addresses in EIP-55 form, strings with control
 * characters shown as '?') and %% for '%': "grant %1 expired at %2". A NULL
 * sentence shows the name and the arguments: "GrantExpired(7, 1700000000)". */
typedef struct {
	const char *signature;
	const char *sentence;
} revert_error;

enum revert_kind {
	REVERT_EMPTY,		/* no data: "reverted without a reason" */
	REVERT_REASON,		/* Error(string): the string itself */
	REVERT_PANIC,		/* Panic(uint256): what the code means */
	REVERT_CUSTOM,		/* one of the caller's errors */
	REVERT_UNKNOWN,		/* a selector nobody here knows */
	REVERT_MALFORMED	/* data that is none of the above */
};

/* Writes the sentence for data[0..len) to out (always NUL-terminated when
 * cap > 0, cut short with "..." when it does not fit) and returns its
 * revert_kind. custom may be NULL when n_custom is 0; entries with a
 * malformed signature are skipped. Never fails: data it cannot read is
 * described as such ("reverted with unknown error 0x12345678",
 * "reverted with malformed error data"). */
int revert_describe(const uint8_t *data, size_t len, const revert_error *custom, size_t n_custom,
		    char *out, size_t cap);

/* The index in custom of the error data carries (by selector), or -1. For
 * callers that act on a particular error (an expired grant, say). */
int revert_match(const uint8_t *data, size_t len, const revert_error *custom, size_t n_custom);

#endif
