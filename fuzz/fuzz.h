/* What the libFuzzer targets in fuzz/ share.
 *
 * Each fuzz/fuzz_<name>.c defines LLVMFuzzerTestOneInput for one parser and
 * is linked with a libehr built by clang with -fsanitize=fuzzer-no-link,
 * address,undefined (make fuzz; build-fuzz/). A crash, a sanitizer report or
 * a failed FUZZ_ASSERT is a finding: the parser must refuse bad input with
 * an error status, never misbehave.
 *
 * FUZZ_ASSERT states properties a parser promises beyond "does not crash"
 * (an accepted input re-encodes to the same value, a status is one of the
 * documented ones, a message is a NUL-terminated sentence), so the
 * fuzzer also finds wrong answers. */
#ifndef EHR_FUZZ_H
#define EHR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "wallet/base/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: fuzz property failed: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/* libsodium (and so libehr) needs sodium_init once. */
#define FUZZ_INIT_SODIUM() \
int LLVMFuzzerInitialize(int *argc, char ***argv) \
{ \
	(void)argc; \
	(void)argv; \
	if (sodium_init() < 0) \
		abort(); \
	return 0; \
}

/* A NUL-terminated copy of the input (malloc'd; the caller frees it). An
 * input with a NUL byte in it is cut there, as a C string reader sees it. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* An exact-size heap copy, so ASan sees any read past the end. */
static inline uint8_t *fuzz_copy(const uint8_t *data, size_t size)
{
	uint8_t *p = malloc(size ? size : 1);

	if (!p)
		abort();
	if (size)
		memcpy(p, data, size);
	return p;
}

/* A failed call: a documented status and a message that is a
 * NUL-terminated, non-empty sentence. Built with -DFUZZ_TRACE, a target
 * prints each refusal, which shows what a seed reaches: run it on
 * fuzz/corpus/NAME with -runs=0. */
static inline void fuzz_check_err(int st, const ehr_err *e)
{
#ifdef FUZZ_TRACE
	fprintf(stderr, "refused (%d): %.200s\n", st, e->msg);
#endif
	FUZZ_ASSERT(st >= EHR_EFAIL && st <= EHR_EINTEGRITY);
	FUZZ_ASSERT(e->status == st);
	FUZZ_ASSERT(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
	FUZZ_ASSERT(e->msg[0] != '\0');
}

#endif
