/* One option parser for every command: short (-o VALUE, -oVALUE) and long
 * options (--opt VALUE, --opt=VALUE), "--" ends options, everything else is
 * a positional argument. Unknown options and missing values are usage
 * errors (exit 2) with a "did you mean" for near misses. */
#ifndef EHR_OPT_H
#define EHR_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opt {
	const char *name;      /* long name without "--"; NULL ends a table */
	char short_name;       /* 0 for none */
	int key;               /* returned by opt_next */
	const char *arg;       /* value name for usage ("FILE"), NULL: a flag */
	const char *help;      /* one line for -h */
};

struct opt_parser {
	const char *cmd;       /* for messages: "ehr <cmd>: ..." */
	int argc;
	char **argv;
	int i;
	const struct opt *opts;
	char **pos;            /* positional arguments, in order */
	int npos;
	bool only_pos;         /* after "--" */
	char shortbuf[3];
	const char *short_rest;
};

void opt_init(struct opt_parser *p, const char *cmd, int argc, char **argv,
	      const struct opt *opts);

/* Returns the key of the next option (its value in *val, or NULL for a
 * flag), 0 when argv is exhausted (positionals are then in p->pos), or -1
 * after reporting a usage error on stderr (the caller returns 2). */
int opt_next(struct opt_parser *p, const char **val);

/* Parses a non-negative decimal integer option value no larger than max;
 * reports a usage error and returns -1 otherwise. */
int opt_ulong(const struct opt_parser *p, const char *name, const char *val,
	      unsigned long max, unsigned long *out);

/* An id (of a record, grant or invoice): a decimal number from 1, no sign,
 * no leading zeros. Returns 0, or -1 for anything else. */
int opt_id(const char *s, uint64_t *id);

/* A comma-separated list of ids ("3,7,12") into a malloc'd array (free
 * it). Returns 0, or -1 for an empty or malformed list. */
int opt_id_list(const char *s, uint64_t **ids, size_t *n);

#endif
