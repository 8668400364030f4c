/* The command table: name, function, summary, synopsis, options, needs. */
#include "cli/ehr.h"
#include "commands/commands.h"

#include <stdio.h>
#include <string.h>

#define W CMD_NEEDS_WALLET
#define U CMD_NEEDS_UNLOCK
#define N CMD_NEEDS_NODE
#define R CMD_NEEDS_REGISTRY

const struct command commands[] = {
	{ "init", cmd_init, "create a new wallet from fresh 24 words",
	  "init [--words N] [--mnemonic-out FILE] [--bip39-passphrase-file FILE] [--kdf LEVEL] [--accounts N] [--force]", cmd_init_opts, U, NULL },
	{ "restore", cmd_restore, "restore a wallet from its mnemonic",
	  "restore [--mnemonic-file FILE] [--bip39-passphrase-file FILE] [--kdf LEVEL] [--accounts N] [--force]",
	  cmd_restore_opts, U, NULL },
	{ "import", cmd_import, "create a wallet from a private key or a v3 keystore",
	  "import (--private-key-file FILE | --keystore FILE) [--keystore-passphrase-file FILE] [--kdf LEVEL] [--force]",
	  cmd_import_opts, U, NULL },
	{ "export", cmd_export, "show the mnemonic or write a v3 keystore",
	  "export --mnemonic [--mnemonic-out FILE]\nexport --keystore FILE [--keystore-passphrase-file FILE] [--index N] [--force]",
	  cmd_export_opts, W | U, NULL },
	{ "accounts", cmd_accounts, "list the wallet's accounts (no passphrase needed)",
	  "accounts [--add N]", cmd_accounts_opts, W, NULL },
	{ "address", cmd_address, "show one account's address",
	  "address [--index N | --path PATH] [--bech32 PREFIX]", cmd_address_opts, W, NULL },
	{ "passwd", cmd_passwd, "change the wallet's passphrase",
	  "passwd [--new-passphrase-file FILE] [--kdf LEVEL]", cmd_passwd_opts, W | U, NULL },
	{ "wallets", cmd_wallets, "list or remove named wallets",
	  "wallets [list]\nwallets remove|rm NAME", cmd_wallets_opts, 0, "list remove:WALLET" },
	{ "sign", cmd_sign, "sign a message (EIP-191 personal_sign)",
	  "sign [--index N] (MESSAGE | --file FILE | --hex HEX)", cmd_sign_opts, W | U, NULL },
	{ "verify", cmd_verify, "check an EIP-191 signature against an address",
	  "verify --address ADDR --signature SIG (MESSAGE | --file FILE | --hex HEX)", cmd_verify_opts, 0, NULL },
	{ "config", cmd_config, "show where ehr keeps things and what it would use",
	  "config", cmd_config_opts, 0, NULL },
	{ "network", cmd_network, "list, add, choose or remove networks",
	  "network [list]\nnetwork add NAME --rpc URL [--chain-id N] [--registry ADDR] [--token ADDR] [--symbol SYM] [--default] [--force]\nnetwork use NAME\nnetwork remove NAME",
	  cmd_network_opts, 0, "list add use:NETWORK remove:NETWORK" },
	{ "node", cmd_node, "show the node's chain id, head block, client and the registry",
	  "node", cmd_node_opts, N, NULL },
	{ "balance", cmd_balance, "show the balance of the native coin or a token",
	  "balance [ADDR] [--token ADDR]", cmd_balance_opts, W | N, NULL },
	{ "send", cmd_send, "send the native coin or a token",
	  "send ADDR AMOUNT [--token ADDR] [--confirmations N] [--async] [--timeout SECONDS]",
	  cmd_send_opts, W | U | N, NULL },
	{ "deploy", cmd_deploy, "deploy the registry (and a test token) to the current network",
	  "deploy [--test-token] [--save-as NAME] [--confirmations N] [--timeout SECONDS]",
	  cmd_deploy_opts, W | U | N, NULL },
	{ "register", cmd_register, "publish this account's encryption key, name and role",
	  "register [--name NAME] [--role patient|provider] [--confirmations N] [--async] [--timeout SECONDS]\nregister --show [ADDR]",
	  cmd_register_opts, W | U | N | R, NULL },
	{ "record", cmd_record, "add, list, get, verify, erase and export health records",
	  "record add FILE... [--title TITLE] [--type TYPE] [--media-type TYPE] [--store chain|dir:PATH] [--split-bundle] [--confirmations N] [--timeout SECONDS]\n"
	  "record list [--type TYPE] [--all] [--wide]\n"
	  "record get ID [-o FILE|-] [--force]\n"
	  "record verify (ID... | --all)\n"
	  "record erase ID [--confirmations N] [--timeout SECONDS]\n"
	  "record export --fhir FILE [--force]",
	  cmd_record_opts, W | U | N | R, "add:FILE... list get verify erase export" },
	{ "grant", cmd_grant, "share records until a time, with a clinician or a QR code; list grants",
	  "grant ADDR (--records IDS | --all | --type TYPE) (--for DURATION | --until TIME) [--write] [--purpose PURPOSE] [--qr [--wait DURATION]] [--qr-png FILE] [--qr-svg FILE] [--confirmations N] [--timeout SECONDS]\n"
	  "grant --bearer (--records IDS | --all | --type TYPE) (--for DURATION | --until TIME) [--passcode | --passcode-file FILE] [--qr] [--qr-png FILE] [--qr-svg FILE] [--confirmations N] [--timeout SECONDS]\n"
	  "grant list [--active] [--received]",
	  cmd_grant_opts, W | U | N | R, "list" },
	{ "revoke", cmd_revoke, "end a grant at once",
	  "revoke GRANT_ID [--confirmations N] [--async] [--timeout SECONDS]", cmd_revoke_opts, W | U | N | R, NULL },
	{ "access", cmd_access, "open a grant: check it, log the access, fetch, verify and decrypt",
	  "access (URI | - | GRANT_ID) [-o DIR] [--passcode-file FILE] [--force] [--wait DURATION] [--confirmations N] [--timeout SECONDS]", cmd_access_opts, W | U | N | R, NULL },
	{ "request", cmd_request, "ask a patient for access; list, approve or deny what is asked of you",
	  "request --patient ADDR (--records IDS | --all) --for DURATION [--purpose PURPOSE] [--write] [--note TEXT] [--confirmations N] [--timeout SECONDS]\n"
	  "request list\n"
	  "request approve ID [--confirmations N] [--timeout SECONDS]\n"
	  "request deny ID [--confirmations N] [--timeout SECONDS]",
	  cmd_request_opts, W | U | N | R, "list approve deny" },
	{ "emergency", cmd_emergency, "the emergency card: records, a long-lived QR any clinician can open",
	  "emergency set --records IDS [--confirmations N] [--timeout SECONDS]\n"
	  "emergency card [--for DURATION] [--qr] [--qr-png FILE] [--qr-svg FILE] [--confirmations N] [--timeout SECONDS]\n"
	  "emergency show\n"
	  "emergency revoke [--confirmations N] [--timeout SECONDS]",
	  cmd_emergency_opts, W | U | N | R, "set card show revoke" },
	{ "audit", cmd_audit, "who did what with this account's records, grants and invoices, and when",
	  "audit [--record ID] [--grant ID] [--since TIME] [--csv] [--fhir FILE [--force]] [--no-titles] [--wide]\n"
	  "audit verify",
	  cmd_audit_opts, W | U | N | R, "verify" },
	{ "upload", cmd_upload, "a provider's batch upload into patients' charts, resumable",
	  "upload --patient ADDR (FILE|DIR)... [--title TITLE] [--type TYPE] [--store chain|dir:PATH] [--journal FILE] [--window N] [--keep-going] [--dry-run] [--confirmations N] [--timeout SECONDS]\n"
	  "upload --manifest FILE [--store chain|dir:PATH] [--journal FILE] [--window N] [--keep-going] [--dry-run] [--confirmations N] [--timeout SECONDS]",
	  cmd_upload_opts, W | U | N | R, ":FILE..." },
	{ "invoice", cmd_invoice, "bill a patient in a token or the native coin; list and pay invoices",
	  "invoice issue --patient ADDR --amount AMOUNT [--token ADDR|default | --native] [--due TIME] [--memo TEXT | --memo-file FILE]"
	  " [--confirmations N] [--async] [--timeout SECONDS]\n"
	  "invoice list [--open]\n"
	  "invoice pay ID [--confirmations N] [--async] [--timeout SECONDS]\n"
	  "invoice cancel ID [--confirmations N] [--async] [--timeout SECONDS]",
	  cmd_invoice_opts, W | U | N | R, "issue list pay cancel" },
	{ "watch", cmd_watch, "follow the chain: requests, releases, accesses, uploads, invoices, expiring grants",
	  "watch [--once] [--from BLOCK] [--exec CMD] [--release]", cmd_watch_opts, W | U | N | R, NULL },
	{ "help", cmd_help, "show the commands, or one command's usage",
	  "help [COMMAND]\nhelp --commands\nhelp --synopsis COMMAND", cmd_help_opts, 0, ":COMMAND" },
};

const unsigned ncommands = sizeof(commands) / sizeof(commands[0]);

const struct command *command_find(const char *name)
{
	unsigned i;

	for (i = 0; i < ncommands; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

void command_synopsis(const struct command *cmd, FILE *f, const char *lead, const char *lead_more)
{
	const char *s = cmd->synopsis, *nl;

	for (; s; s = nl ? nl + 1 : NULL, lead = lead_more) {
		nl = strchr(s, '\n');
		fprintf(f, "%sehr %.*s\n", lead, nl ? (int)(nl - s) : (int)strlen(s), s);
	}
}

void command_usage(const struct command *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const struct opt *o;

	command_synopsis(cmd, f, "usage: ", "   or: ");
	fprintf(f, "\n%s\n", cmd->summary);
	if (cmd->opts && cmd->opts->name) {
		fputs("\noptions:\n", f);
		for (o = cmd->opts; o->name; o++) {
			char left[64];

			if (o->short_name)
				snprintf(left, sizeof(left), "-%c, --%s%s%s", o->short_name,
					 o->name, o->arg ? " " : "", o->arg ? o->arg : "");
			else
				snprintf(left, sizeof(left), "    --%s%s%s", o->name,
					 o->arg ? " " : "", o->arg ? o->arg : "");
			if (strlen(left) > 30)
				fprintf(f, "  %s\n  %-30s %s\n", left, "", o->help);
			else
				fprintf(f, "  %-30s %s\n", left, o->help);
		}
	}
	fprintf(f, "\nglobal options: see 'ehr help'; the full page: man ehr-%s\n", cmd->name);
}
