/* The one place errors, warnings and notes are printed, and JSON. */
#include "cli/ehr.h"
#include "cli/submit.h"

#include <cJSON.h>

#include <stdarg.h>
#include <stdio.h>

int report(const ehr_err *e)
{
	if (e->status == TX_SIGNED_ONLY)
		return 0;	/* --sign-only: done, and said so */
	fflush(stdout);
	fprintf(stderr, "ehr: error: %s\n", e->msg[0] ? e->msg : "failed");
	return e->status ? e->status : EHR_EFAIL;
}

/* One line on stderr: prefix, then the formatted message. */
static void say(const char *prefix, const char *fmt, va_list ap)
{
	fputs(prefix, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int fail(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	say("ehr: error: ", fmt, ap);
	va_end(ap);
	return status;
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	va_start(ap, fmt);
	say("ehr: error: ", fmt, ap);
	va_end(ap);
	if (cmd)
		fprintf(stderr, "(see 'ehr %s -h')\n", cmd);
	else
		fputs("(see 'ehr help')\n", stderr);
	return EHR_EUSAGE;
}

void warn(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	va_start(ap, fmt);
	say("ehr: warning: ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet || g.json)
		return;
	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void output_json(cJSON *j)
{
	char *s = cJSON_Print(j);

	if (s)
		puts(s);
	cJSON_free(s);
	cJSON_Delete(j);
}
