#include "wallet/base/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int ehr_fail(ehr_err *e, int status, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return status;
	e->status = status;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return status;
}

int ehr_wrap(ehr_err *e, const char *fmt, ...)
{
	char prefix[256];
	char old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return EHR_EFAIL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	if (snprintf(e->msg, sizeof(e->msg), "%s: %s", prefix, old) >= (int)sizeof(e->msg))
		memcpy(e->msg + sizeof(e->msg) - 4, "...", 4);  /* said, if cut short */
	return e->status ? e->status : EHR_EFAIL;
}

void ehr_err_clear(ehr_err *e)
{
	if (e) {
		e->status = 0;
		e->msg[0] = '\0';
	}
}
