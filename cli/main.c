/* main(): global options (before or after the command), the environment,
 * and dispatch through the command table. */
#include "cli/ehr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/base/text.h"

struct ehr_globals g = { .account = -1, .passphrase_fd = -1 };

enum { G_WALLET = 1, G_ACCOUNT, G_NETWORK, G_RPC, G_REGISTRY, G_PASSFILE,
       G_PASSFD, G_JSON, G_YES, G_QUIET, G_HELP, G_VERSION };

const struct opt global_opts[] = {
	{ "wallet", 0, "NAME", OV_WALLET, "the wallet to use (default: $EHR_WALLET, else 'default')", .type = OT_KEY, .key = G_WALLET },
	{ "account", 0, "N", OV_NONE, "the account index to act as (default 0)", .type = OT_KEY, .key = G_ACCOUNT },
	{ "network", 0, "NAME", OV_NETWORK, "a configured network", .type = OT_KEY, .key = G_NETWORK },
	{ "rpc", 0, "URL", OV_NONE, "the node's JSON-RPC URL (default: $EHR_RPC_URL, $ETH_RPC_URL)", .type = OT_KEY, .key = G_RPC },
	{ "registry", 0, "ADDR", OV_NONE, "the registry contract (default: $EHR_REGISTRY)", .type = OT_KEY, .key = G_REGISTRY },
	{ "passphrase-file", 0, "FILE", OV_FILE, "read the passphrase from FILE's first line", .type = OT_KEY, .key = G_PASSFILE },
	{ "passphrase-fd", 0, "N", OV_NONE, "read the passphrase from file descriptor N", .type = OT_KEY, .key = G_PASSFD },
	{ "json", 0, NULL, OV_NONE, "print JSON instead of tables", .type = OT_KEY, .key = G_JSON },
	{ "yes", 'y', NULL, OV_NONE, "answer yes to confirmations", .type = OT_KEY, .key = G_YES },
	{ "quiet", 'q', NULL, OV_NONE, "print less", .type = OT_KEY, .key = G_QUIET },
	{ "help", 'h', NULL, OV_NONE, "show usage", .type = OT_KEY, .key = G_HELP },
	{ "version", 0, NULL, OV_NONE, "show the version", .type = OT_KEY, .key = G_VERSION },
	{ 0 }
};

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

static int set_global(const struct opt *o, const char *val)
{
	char *end;

	switch (o->key) {
	case G_WALLET: g.wallet = val; break;
	case G_NETWORK: g.network = val; break;
	case G_RPC: g.rpc = val; break;
	case G_REGISTRY: g.registry = val; break;
	case G_PASSFILE: g.passphrase_file = val; break;
	case G_JSON: g.json = true; break;
	case G_YES: g.yes = true; break;
	case G_QUIET: g.quiet = true; break;
	case G_HELP: g.help = true; break;
	case G_ACCOUNT:
	case G_PASSFD: {
		long v = strtol(val, &end, 10);

		if (!*val || *end || v < 0 || v > 0x7fffffff)
			return usage_error(NULL, "option '--%s' wants a whole number, not '%s'",
					   o->name, val);
		if (o->key == G_ACCOUNT)
			g.account = v;
		else
			g.passphrase_fd = (int)v;
		break;
	}
	default:
		break;
	}
	return 0;
}

/* Takes the global options out of argv wherever they stand (before "--"),
 * leaving the command and its own arguments in order. */
static int extract_globals(int *argc, char **argv, bool *version)
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
		if (o->key == G_VERSION)
			*version = true;
		else if (set_global(o, val))
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

int main(int argc, char **argv)
{
	const struct command *cmd;
	bool version = false;
	int rc;

	if (sodium_init() < 0)
		return fail(EHR_EFAIL, "cannot initialise libsodium");
	if (argc >= 2 && !strcmp(argv[1], "__complete"))  /* before the globals: they are words */
		return complete_main(argc - 2, argv + 2);
	if ((rc = extract_globals(&argc, argv, &version)))
		return rc;
	read_environment();
	if (version) {
		printf("ehr %s\n", EHR_VERSION);
		return 0;
	}
	if (argc < 2) {
		if (g.help)
			return command_find("help")->fn(1, (char *[]){ (char *)"help", NULL });
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
	g.command = cmd;
	rc = cmd->fn(argc - 1, argv + 1);
	if (fflush(stdout) || ferror(stdout))
		return rc ? rc : fail(EHR_EFAIL, "cannot write to standard output");
	return rc;
}
