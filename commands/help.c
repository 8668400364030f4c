/* ehr help: the commands, or one command's usage. */
#include "commands/commands.h"
#include "cli/session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/base/fileio.h"
#include "wallet/chain/config.h"

struct help_options {
	bool names, synopsis;
};

static const struct opt help_opts[] = {
	{ "commands", 0, NULL, OV_NONE, "list the command names only, one a line (for scripts)",
	  OPT_FLAG(struct help_options, names), .forms = OPT_IN(1), .required = true },
	{ "synopsis", 0, NULL, OV_NONE, "with COMMAND: its usage lines only (for scripts and tests)",
	  OPT_FLAG(struct help_options, synopsis), .forms = OPT_IN(2), .required = true },
	{ 0 }
};

const struct command_args cmd_help_args = {
	.opts = help_opts, .size = sizeof(struct help_options), .max_pos = 1,
};

int cmd_help(const struct command_call *call)
{
	const struct help_options *opts = call->opts;
	const struct opt *o;
	unsigned i;

	if (call->npos == 1) {
		const struct command *cmd = command_find(call->pos[0]);

		if (!cmd)
			return usage_error("help", "unknown command '%s'", call->pos[0]);
		if (opts->synopsis)
			command_synopsis(cmd, stdout, "", "");
		else
			command_usage(cmd, false);
		return 0;
	}
	if (opts->synopsis)
		return usage_error("help", "--synopsis wants a COMMAND");
	if (opts->names) {
		for (i = 0; i < ncommands; i++)
			puts(commands[i].name);
		return 0;
	}
	puts("usage: ehr [global options] COMMAND [options] [args]\n\n"
	     "ehr keeps a patient's health records: keys the patient holds, records\n"
	     "encrypted before they leave the machine, time-limited grants, an audit\n"
	     "trail, invoices. It talks to any Ethereum JSON-RPC node.\n\ncommands:");
	for (i = 0; i < ncommands; i++)
		printf("  %-12s %s\n", commands[i].name, commands[i].summary);
	puts("\nglobal options (before or after the command):");
	for (o = global_opts; o->name; o++) {
		char left[48];

		snprintf(left, sizeof(left), "%s%c%s--%s%s%s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : " ",
			 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
		printf("  %-28s %s\n", left, o->help);
	}
	puts("\n'ehr COMMAND -h' shows a command's usage; 'man ehr-COMMAND' its page.\n"
	     "Exit status: 0 ok, 1 failed or negative, 2 usage, 3 authentication,\n"
	     "4 node unreachable, 5 refused by the chain, 6 integrity.");
	return 0;
}

/* Whether a node is named without a configured network: --rpc or the
 * environment (what cli/target.c would use). */
static bool rpc_given(void)
{
	const char *v;

	return g.rpc || g.network || ((v = getenv("EHR_RPC_URL")) && *v) || ((v = getenv("ETH_RPC_URL")) && *v);
}

int help_first_steps(void)
{
	char path[4096];
	config *cfg = NULL;
	ehr_err e = { 0 };
	bool no_network;

	if (!session_wallet_path(path, sizeof(path), &e) && !file_exists(path)) {
		const char *w = strcmp(g.wallet, "default") ? g.wallet : NULL;

		fprintf(stderr, "ehr: there is no wallet '%s' yet. To begin:\n"
			"  ehr %s%s%sinit       a new wallet: 24 words to write down, a passphrase to choose\n"
			"  ehr %s%s%srestore    a wallet from the words you already have\n"
			"('ehr wallets' lists the wallets here; 'ehr help' shows every command)\n", g.wallet,
			w ? "--wallet " : "", w ? w : "", w ? " " : "", w ? "--wallet " : "", w ? w : "", w ? " " : "");
		return EHR_EUSAGE;
	}
	no_network = !rpc_given() && !config_load(&cfg, &e) && cfg->nnetworks == 0;
	config_free(cfg);
	if (no_network) {
		fputs("ehr: the wallet is ready; next, the network that keeps the records:\n"
		      "  ehr network add NAME --rpc URL [--registry ADDR]\n"
		      "The clinic or network operator gives the URL and the registry; a public chain\n"
		      "by its name (sepolia, polygon, gnosis...: see 'man ehr-network') fills in the\n"
		      "rest. 'ehr help' shows every command.\n", stderr);
		return EHR_EUSAGE;
	}
	fputs("usage: ehr [global options] COMMAND [options] [args]\n"
	      "(see 'ehr help' for the commands)\n", stderr);
	return EHR_EUSAGE;
}
