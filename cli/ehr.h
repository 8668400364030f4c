/* What every command sees: the global options, the command table and the
 * output helpers. Only cli/ and commands/ print or exit. */
#ifndef EHR_CLI_H
#define EHR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/opt.h"
#include "wallet/base/err.h"

struct command;

/* Global options and their environment variables (DESIGN.md section 10). */
struct ehr_globals {
	const char *wallet;          /* --wallet, EHR_WALLET, else "default" */
	long account;                /* --account N, -1 when not given */
	const char *network;         /* --network */
	const char *rpc;             /* --rpc (the environment: cli/target.c) */
	const char *registry;        /* --registry, EHR_REGISTRY */
	const char *passphrase_file; /* --passphrase-file, EHR_PASSPHRASE_FILE */
	int passphrase_fd;           /* --passphrase-fd N, -1 when not given */
	bool json, yes, quiet, help, version;
	bool color;                  /* stdout is a tty and NO_COLOR is unset */
	const struct command *command;  /* the one running (set by main) */
};

extern struct ehr_globals g;
extern const struct opt global_opts[];

/* What main sets up for a command before calling it (cli/context.h): the
 * parts of its struct ctx, opened in this order once its arguments are
 * checked, so that a usage error never waits on a wallet or a node. */
enum command_flags {
	CMD_NEEDS_WALLET = 1 << 0,   /* reads the wallet file (once: ctx's signer holds it) */
	CMD_NEEDS_UNLOCK = 1 << 1,   /* may ask for the passphrase: nothing to set up, the
				      * keys unlock when the command asks (signer_unlock) */
	CMD_NEEDS_NODE = 1 << 2,     /* talks to a node: the target and the chain, and
				      * with the wallet the signing account's address */
	CMD_NEEDS_REGISTRY = 1 << 3, /* uses the registry contract: the target and its address */
	/* checks something between the target and the other parts (a token
	 * of the target's network, a grant naming its registry) or needs
	 * fewer of them (no signer for another account's balance): main
	 * resolves the target only, the command opens the rest with
	 * ctx_open_parts */
	CMD_STAGED = 1 << 4
};

struct ctx;

/* What main hands a command, and before the set-up its check. */
struct command_call {
	struct ctx *x;               /* set up as the flags say (NULL in check) */
	void *opts;                  /* the command's options struct (NULL: none) */
	int npos;                    /* its operands, in order */
	char **pos;
};

/* A command: runs call (its context closed by main afterwards); returns
 * the exit status, after reporting a failure. */
typedef int command_fn(const struct command_call *call);

/* A command's arguments, as main takes them before the set-up: options
 * into a struct of size bytes (each bound to its field by opts), which
 * starts as a copy of defaults, then init changes it; the operands
 * counted; then check. */
struct command_args {
	const struct opt *opts;      /* the command's own options, for -h too */
	size_t size;                 /* its options struct; 0 for none (opts binds nothing) */
	const void *defaults;        /* that struct's defaults; NULL: all zero */
	void (*init)(void *opts);    /* defaults known only now (--account); NULL: none */
	int min_pos, max_pos;        /* how many operands; max_pos -1: any number */
	/* the usage error for a count out of range; NULL: "unexpected
	 * argument 'X'" for one too many, followed by " (extra_hint)" if set */
	const char *wrong_count, *extra_hint;
	/* the command's own checks, which need neither wallet nor node (each
	 * a usage_error(), or a report() of what failed; 0 when all is well).
	 * It may keep what it parsed in call->opts; done (if any) frees that.
	 * NULL: none */
	command_fn *check;
	void (*done)(void *opts);
};

struct command {
	const char *name;
	command_fn *fn;
	const struct command_args *args;
	const char *summary;         /* one line, for `ehr help` */
	/* The usage lines after "ehr CMD ", '\n'-separated: the subcommand and
	 * operands, "@" where the options of the line go (else at its end),
	 * "@N" where their alternative group N goes (its members joined by
	 * " | ", the line giving brackets). Which options stand in a line and
	 * how: their table (struct opt's forms, alt, required). NULL: "@". */
	const char *forms;
	unsigned flags;              /* enum command_flags */
	/* The subcommands and what completes the operands, space-separated:
	 * "sub" a subcommand; "sub:KIND" one whose first operand is a KIND
	 * (an opt_value name: FILE, WALLET, NETWORK, COMMAND...); "KIND..."
	 * every operand; ":KIND" the command's own operands; "sub|alias:KIND"
	 * a subcommand with another name (not offered). NULL: none. */
	const char *words;
};

extern const struct command commands[];
extern const unsigned ncommands;

const struct command *command_find(const char *name);

/* A subcommand, for a command that dispatches on its first operand: its
 * own checks (before the set-up, as struct command_args' check; NULL:
 * none) and its run, both called with the operands after its name. */
struct subcommand {
	const char *name;
	command_fn *check;
	command_fn *run;
};

/* The subcommand of subs (ended by { NULL }) that name names; NULL for
 * none. */
const struct subcommand *subcommand_find(const struct subcommand *subs, const char *name);

/* sub's check (0 when it has none), or sub's run, called with call's
 * operands after the first (the subcommand's name). */
int subcommand_check(const struct subcommand *sub, const struct command_call *call);
int subcommand_run(const struct subcommand *sub, const struct command_call *call);

/* Runs cmd on argv (argv[0] its name): its options and operands taken and
 * checked (struct command_args), its context set up as its flags say,
 * then cmd->fn. Returns the exit status. */
int command_run(const struct command *cmd, int argc, char **argv);

/* `ehr __complete [--describe] WORD...` (hidden): prints what completes
 * the last WORD of the command line WORD... (without "ehr"), one candidate
 * a line; with --describe, a tab and a description after the names of
 * commands and options. A value the shell
 * must complete itself is one line ":file PATH" or ":dir PATH", PATH being
 * the end of the last word to complete. Returns the exit status. */
int complete_main(int argc, char **argv);

/* Prints cmd's usage lines ("ehr " and a form of its synopsis), the first
 * after lead, the others after lead_more. */
void command_synopsis(const struct command *cmd, FILE *f, const char *lead,
		      const char *lead_more);

/* Prints the short usage of cmd (its synopsis and options) to stdout or,
 * as part of a usage error, to stderr. */
void command_usage(const struct command *cmd, bool to_stderr);

/* `ehr` with no command (commands/help.c): what to do first on this
 * machine (no wallet: init or restore; no network: network add), else the
 * usage line; all on stderr. Returns EHR_EUSAGE. */
int help_first_steps(void);

/* Prints j (--json output) on stdout and frees it. */
struct cJSON;
void output_json(struct cJSON *j);

/* Reports e ("ehr: error: <msg>") on stderr and returns its status, so a
 * command can end with `return report(&e);`. */
int report(const ehr_err *e);

/* Formats and reports an error with the given status; returns status. */
int fail(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A usage error for the current command: message, then a hint to -h. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "ehr: warning: ..." on stderr (not with -q). */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Informational line on stderr (not with -q or --json). */
void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* RLIMIT_CORE 0 (soft and hard) and not dumpable (PR_SET_DUMPABLE 0), for
 * a process that holds secrets: main calls it before a command that reads
 * a wallet; the unlock agent in its own process. 0, or the exit status of
 * its reported failure. */
int keep_secrets_in_memory(void);

#endif
