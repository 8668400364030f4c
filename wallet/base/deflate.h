/* Raw DEFLATE (RFC 1951, no zlib or gzip wrapper), the compression JOSE's
 * "zip":"DEF" names: SMART Health Cards compress their JWS payload with it
 * and SMART Health Links may compress a JWE's plaintext. zlib underneath. */
#ifndef EHR_DEFLATE_H
#define EHR_DEFLATE_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

/* Inflates the len bytes at in into *out (malloc'd, with a NUL after the
 * *out_len bytes so text can be read as a C string; the caller frees it).
 * A stream that is not valid DEFLATE, ends early, or has bytes after its
 * final block is EHR_EINTEGRITY; one that would inflate past max bytes is
 * EHR_EINTEGRITY too (stopped there: a small input cannot make a huge
 * output). *out is NULL on failure. */
int inflate_raw(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
		ehr_err *e);

/* Compresses len bytes at in at zlib's best level into *out (malloc'd; the
 * caller frees it): what inflate_raw reads back. EHR_EFAIL when out of
 * memory. */
int deflate_raw(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, ehr_err *e);

#endif
