/* Memory for secrets: sodium_malloc'd (guarded, locked), zeroed when
 * given out and wiped when given back. */
#ifndef EHR_SECMEM_H
#define EHR_SECMEM_H

#include <stddef.h>

#include "wallet/base/err.h"

/* n zeroed bytes of secure memory; NULL, and EHR_EFAIL "out of secure
 * memory" in e, when there is none. */
void *secmem_new(size_t n, ehr_err *e);

/* Wipes the n bytes at p and frees them (p from secmem_new; NULL: nothing). */
void secmem_free(void *p, size_t n);

#endif
