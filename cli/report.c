/* The one place errors, warnings and notes are printed, and JSON. */
#include "cli/ehr.h"

#include <cJSON.h>

#include <stdarg.h>
#include <stdio.h>

int report(const ehr_err *e)
{
	fflush(stdout);
	fprintf(stderr, "ehr: error: %s\n", e->msg[0] ? e->msg : "failed");
	return e->status ? e->status : EHR_EFAIL;
}

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ehr: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return status;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("ehr: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "\n(see 'ehr %s -h')\n", cmd);
	else
		fputs("\n(see 'ehr help')\n", stderr);
	return EHR_EUSAGE;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	fputs("ehr: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet || g.json)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void output_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		puts(s);
	cJSON_free(s);
	cJSON_Delete(j);
}
