/* One option parser for every command: short (-o VALUE, -oVALUE) and long
 * options (--opt VALUE, --opt=VALUE), "--" ends options, everything else is
 * a positional argument. Unknown options and missing values are usage
 * errors (exit 2) with a "did you mean" for near misses. */
#ifndef EHR_OPT_H
#define EHR_OPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What an option's value (or a command's operand) is, so that `ehr
 * __complete` can offer values: files, wallet names, kdf levels... */
enum opt_value {
	OV_NONE,        /* a flag, or free text: nothing to offer */
	OV_FILE,        /* a file name */
	OV_DIR,         /* a directory name */
	OV_WALLET,      /* a wallet in the wallet directory */
	OV_NETWORK,     /* a configured network */
	OV_DURATION,    /* 30m, 12h, 7d... (nothing to offer) */
	OV_LEVEL,       /* an argon2id cost level */
	OV_WORDS,       /* a mnemonic length */
	OV_COMMAND,     /* a command name */
	OV_TOKEN,       /* "default" (the network's token) or an address */
	OV_ROLE,        /* a register role */
	OV_STORE,       /* chain, or dir:PATH */
	OV_CONTACT      /* a contact's name in the address book */
};

/* Where an option puts what it is given, in the command's arguments struct. */
enum opt_type {
	OT_FLAG,        /* bool: set to true */
	OT_UNSET,       /* bool: set to false (--no-...) */
	OT_STR,         /* const char *: the value (pointing into argv) */
	OT_ULONG,       /* unsigned long: a whole number from 0 to max */
	OT_CALL         /* take(): the value checked and stored by the command */
};

struct opt;
struct opt_parser;

/* Stores val for o in field (the command's arguments plus o->field);
 * returns 0, or -1 after reporting a usage error. */
typedef int opt_take_fn(const struct opt_parser *p, const struct opt *o, void *field,
			const char *val);

/* An option table ends with { 0 }. Entries name the option and its -h line
 * positionally, then bind it with OPT_FLAG, OPT_STR... (below). */
struct opt {
	const char *name;      /* long name without "--"; NULL ends a table */
	char short_name;       /* 0 for none */
	const char *arg;       /* value name for usage ("FILE"), NULL: a flag */
	enum opt_value value;  /* what completes the value */
	const char *help;      /* one line for -h */
	enum opt_type type;
	size_t field;          /* offset of its field in the arguments struct */
	unsigned long max;     /* OT_ULONG: the largest value */
	opt_take_fn *take;     /* OT_CALL */
	/* Where the option stands in the usage lines (the command's forms,
	 * cli/ehr.h): */
	unsigned forms;        /* the lines it belongs to, OPT_IN(0) | OPT_IN(2)...; 0: all */
	unsigned char alt;     /* N > 0: one of alternative group N ("--a | --b") */
	bool required;         /* shown without brackets (a group: in parentheses) */
};

/* The bit of usage line n (from 0) for struct opt's forms. */
#define OPT_IN(n) (1u << (n))

/* The offset of field f of struct S, which must have type T (else the
 * build fails: an option cannot be bound to a field of the wrong type). */
#define OPT_FIELD(S, f, T) (offsetof(S, f) + 0 * sizeof((T *){ &((S *)0)->f }))
#define OPT_FLAG(S, f) .type = OT_FLAG, .field = OPT_FIELD(S, f, bool)
#define OPT_UNSET(S, f) .type = OT_UNSET, .field = OPT_FIELD(S, f, bool)
#define OPT_STR(S, f) .type = OT_STR, .field = OPT_FIELD(S, f, const char *)
#define OPT_ULONG(S, f, hi) .type = OT_ULONG, .field = OPT_FIELD(S, f, unsigned long), .max = (hi)
#define OPT_CALL(S, f, T, fn) .type = OT_CALL, .field = OPT_FIELD(S, f, T), .take = (fn)

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

/* Parses all of argv: each option's value goes into its field of args
 * (the struct its table is bound to; NULL for a table without options),
 * the positional arguments into p->pos. Returns 0, or -1 after reporting
 * a usage error on stderr (the caller returns 2). */
int opt_parse(struct opt_parser *p, void *args);

/* Stores val (NULL for a flag) for o into its field of args, as o's type
 * says. Returns 0, or -1 after reporting a usage error. */
int opt_store(const struct opt_parser *p, const struct opt *o, void *args, const char *val);

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
