#include "wallet/base/secmem.h"

#include <string.h>

#include <sodium.h>

void *secmem_new(size_t n, ehr_err *e)
{
	void *p = sodium_malloc(n);

	if (!p)
		ehr_fail(e, EHR_EFAIL, "out of secure memory");
	else
		memset(p, 0, n);
	return p;
}

void secmem_free(void *p, size_t n)
{
	if (p) {
		sodium_memzero(p, n);
		sodium_free(p);
	}
}
