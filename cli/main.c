/* main(): global options (before or after the command), the environment,
 * and dispatch through the command table: the command's options parsed
 * into its struct, its operands counted and checked, then its context set
 * up as its table flags say (cli/context.h), then the command. */
#include "cli/ehr.h"
#include "cli/context.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/text.h"

struct ehr_globals g = { .account = -1, .passphrase_fd = -1 };

/* The value of --account or --passphrase-fd: 0 to 2^31-1, else -1 after
 * reporting a usage error. */
static long global_number(const struct opt *o, const char *val)
{
	char *end;
	long v = strtol(val, &end, 10);

	if (!*val || *end || v < 0 || v > 0x7fffffff) {
		usage_error(NULL, "option '--%s' wants a whole number, not '%s'", o->name, val);
		return -1;
	}
	return v;
}

static int take_account(const struct opt_parser *p, const struct opt *o, void *field,
			const char *val)
{
	(void)p;
	return (*(long *)field = global_number(o, val)) < 0 ? -1 : 0;
}

static int take_fd(const struct opt_parser *p, const struct opt *o, void *field, const char *val)
{
	(void)p;
	return (*(int *)field = (int)global_number(o, val)) < 0 ? -1 : 0;
}

#define G struct ehr_globals
const struct opt global_opts[] = {
	{ "wallet", 0, "NAME", OV_WALLET, "the wallet to use (default: $EHR_WALLET, else 'default')", OPT_STR(G, wallet) },
	{ "account", 0, "N", OV_NONE, "the account index to act as (default 0)", OPT_CALL(G, account, long, take_account) },
	{ "network", 0, "NAME", OV_NETWORK, "a configured network", OPT_STR(G, network) },
	{ "rpc", 0, "URL", OV_NONE, "the node's JSON-RPC URL (default: $EHR_RPC_URL, $ETH_RPC_URL)", OPT_STR(G, rpc) },
	{ "registry", 0, "ADDR", OV_NONE, "the registry contract (default: $EHR_REGISTRY)", OPT_STR(G, registry) },
	{ "passphrase-file", 0, "FILE", OV_FILE, "read the passphrase from FILE's first line", OPT_STR(G, passphrase_file) },
	{ "passphrase-fd", 0, "N", OV_NONE, "read the passphrase from file descriptor N", OPT_CALL(G, passphrase_fd, int, take_fd) },
	{ "json", 0, NULL, OV_NONE, "print JSON instead of tables", OPT_FLAG(G, json) },
	{ "yes", 'y', NULL, OV_NONE, "answer yes to confirmations", OPT_FLAG(G, yes) },
	{ "quiet", 'q', NULL, OV_NONE, "print less", OPT_FLAG(G, quiet) },
	{ "help", 'h', NULL, OV_NONE, "show usage", OPT_FLAG(G, help) },
	{ "version", 0, NULL, OV_NONE, "show the version", OPT_FLAG(G, version) },
	{ 0 }
};
#undef G

static const struct opt *match_global(const char *arg, const char **val, int *takes_next)
{
	const struct opt *o;

	*val = NULL;
	*takes_next = 0;
	if (arg[0] != '-')
		return NULL;
	for (o = global_opts; o->name; o++) {
		size_t n = strlen(o->name);

		if (arg[1] == o->short_name && arg[2] == '\0' && o->short_name)
			return o;
		if (arg[1] != '-' || strncmp(arg + 2, o->name, n))
			continue;
		if (arg[2 + n] == '\0') {
			*takes_next = o->arg != NULL;
			return o;
		}
		if (arg[2 + n] == '=' && o->arg) {
			*val = arg + 3 + n;
			return o;
		}
	}
	return NULL;
}

/* Takes the global options out of argv wherever they stand (before "--"),
 * leaving the command and its own arguments in order. */
static int extract_globals(int *argc, char **argv)
{
	int i, out = 1;

	for (i = 1; i < *argc; i++) {
		const struct opt *o;
		const char *val;
		int takes_next;

		if (!strcmp(argv[i], "--")) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (!(o = match_global(argv[i], &val, &takes_next))) {
			argv[out++] = argv[i];
			continue;
		}
		if (takes_next) {
			if (i + 1 >= *argc)
				return usage_error(NULL, "option '--%s' needs a value (%s)",
						   o->name, o->arg);
			val = argv[++i];
		}
		if (opt_store(&(struct opt_parser){ .cmd = NULL }, o, &g, val))
			return EHR_EUSAGE;
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

static void read_environment(void)
{
	const char *v;

	if (!g.wallet)
		g.wallet = getenv("EHR_WALLET");
	if (!g.wallet || !*g.wallet)
		g.wallet = "default";
	if (!g.registry && (v = getenv("EHR_REGISTRY")) && *v)
		g.registry = v;
	if (!g.passphrase_file && (v = getenv("EHR_PASSPHRASE_FILE")) && *v)
		g.passphrase_file = v;
	v = getenv("NO_COLOR");
	g.color = isatty(STDOUT_FILENO) && !(v && *v);  /* an empty NO_COLOR does not count */
}

/* A command that reads a wallet (accounts --add and address --path unlock
 * it too) or may unlock one will hold secrets in memory: no
 * core file may carry them to disk (RLIMIT_CORE 0, hard limit too), and
 * no other process of the same user may read them (ptrace,
 * /proc/PID/mem, /proc/PID/environ), which the kernel allows only to a
 * dumpable process. Refused, the command does not run. The unlock agent
 * says it again in its own process. */
int keep_secrets_in_memory(void)
{
	const struct rlimit no_core = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &no_core) || prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return fail(EHR_EFAIL, "cannot keep secrets out of core files and debuggers: %s",
			    strerror(errno));
	return 0;
}

/* 0 when call has as many operands as cmd takes, else the usage error's
 * exit status. */
static int count_operands(const struct command *cmd, const struct command_call *call)
{
	const struct command_args *a = cmd->args;
	const char *hint = a->extra_hint;

	if (call->npos >= a->min_pos && (a->max_pos < 0 || call->npos <= a->max_pos))
		return 0;
	if (a->wrong_count)
		return usage_error(cmd->name, "%s", a->wrong_count);
	if (call->npos > a->max_pos)
		return usage_error(cmd->name, "unexpected argument '%s'%s%s%s", call->pos[a->max_pos],
				   hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	return usage_error(cmd->name, "too few arguments");
}

/* cmd on its parsed call: the operands counted and checked, then the
 * context its flags ask for, then the command. */
static int run_parsed(const struct command *cmd, struct command_call *call)
{
	struct ctx x;
	ehr_err e = { 0 };
	int rc;

	if ((rc = count_operands(cmd, call)) || (cmd->args->check && (rc = cmd->args->check(call))))
		return rc;
	/* the arguments are good: only now the wallet, the node, the registry */
	call->x = &x;
	rc = ctx_open(&x, &e) ? report(&e) : cmd->fn(call);
	ctx_close(&x);
	return rc == TX_SIGNED_ONLY ? 0 : rc;
}

int command_run(const struct command *cmd, int argc, char **argv)
{
	const struct command_args *a = cmd->args;
	struct command_call call = { NULL, NULL, 0, NULL };
	struct opt_parser p;
	int rc;

	g.command = cmd;
	if (a->size && !(call.opts = calloc(1, a->size)))
		return fail(EHR_EFAIL, "out of memory");
	if (a->defaults)
		memcpy(call.opts, a->defaults, a->size);
	if (a->init)
		a->init(call.opts);
	opt_init(&p, cmd->name, argc, argv, a->opts);
	if (opt_parse(&p, call.opts)) {
		rc = EHR_EUSAGE;
	} else {
		call.npos = p.npos;
		call.pos = p.pos;
		rc = run_parsed(cmd, &call);
	}
	if (a->done)
		a->done(call.opts);
	free(call.opts);
	return rc;
}

int main(int argc, char **argv)
{
	const struct command *cmd;
	int rc;

	if (sodium_init() < 0)
		return fail(EHR_EFAIL, "cannot initialise libsodium");
	if (argc >= 2 && !strcmp(argv[1], "__complete"))  /* before the globals: they are words */
		return complete_main(argc - 2, argv + 2);
	if ((rc = extract_globals(&argc, argv)))
		return rc;
	read_environment();
	if (g.version) {
		printf("ehr %s\n", EHR_VERSION);
		return 0;
	}
	if (argc < 2) {
		if (g.help)
			return command_run(command_find("help"), 1, (char *[]){ (char *)"help", NULL });
		return help_first_steps();
	}
	if (!(cmd = command_find(argv[1]))) {
		const struct command *best = NULL;
		unsigned i, d, bestd = 3;

		for (i = 0; i < ncommands; i++)
			if ((d = edit_distance(argv[1], commands[i].name)) < bestd) {
				bestd = d;
				best = &commands[i];
			}
		if (best)
			return usage_error(NULL, "unknown command '%s' (did you mean '%s'?)",
					   argv[1], best->name);
		return usage_error(NULL, "unknown command '%s'", argv[1]);
	}
	if (g.help) {
		command_usage(cmd, false);
		return 0;
	}
	if ((cmd->flags & (CMD_NEEDS_WALLET | CMD_NEEDS_UNLOCK)) && (rc = keep_secrets_in_memory()))
		return rc;
	rc = command_run(cmd, argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout))
		return rc ? rc : fail(EHR_EFAIL, "cannot write to standard output");
	return rc;
}
