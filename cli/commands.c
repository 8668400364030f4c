/* The command table: name, function, summary, synopsis, options, needs. */
#include "cli/ehr.h"
#include "commands/commands.h"

#include <stdio.h>
#include <string.h>

#define W CMD_NEEDS_WALLET
#define U CMD_NEEDS_UNLOCK
#define N CMD_NEEDS_NODE

const struct command commands[] = {
	{ "init", cmd_init, "create a new wallet from fresh 24 words",
	  "init [--words N] [--mnemonic-out FILE] [--bip39-passphrase-file FILE] [--kdf LEVEL] [--accounts N] [--force]", cmd_init_opts, U },
	{ "restore", cmd_restore, "restore a wallet from its mnemonic",
	  "restore [--mnemonic-file FILE] [--bip39-passphrase-file FILE] [--kdf LEVEL] [--accounts N] [--force]",
	  cmd_restore_opts, U },
	{ "import", cmd_import, "create a wallet from a private key or a v3 keystore",
	  "import (--private-key-file FILE | --keystore FILE) [--keystore-passphrase-file FILE] [--kdf LEVEL] [--force]",
	  cmd_import_opts, U },
	{ "export", cmd_export, "show the mnemonic or write a v3 keystore",
	  "export --mnemonic [--mnemonic-out FILE]\nexport --keystore FILE [--keystore-passphrase-file FILE] [--force]",
	  cmd_export_opts, W | U },
	{ "accounts", cmd_accounts, "list the wallet's accounts (no passphrase needed)",
	  "accounts [--add N]", cmd_accounts_opts, W },
	{ "address", cmd_address, "show one account's address",
	  "address [--index N | --path PATH] [--bech32 PREFIX]", cmd_address_opts, W },
	{ "passwd", cmd_passwd, "change the wallet's passphrase",
	  "passwd [--new-passphrase-file FILE] [--kdf LEVEL]", cmd_passwd_opts, W | U },
	{ "wallets", cmd_wallets, "list or remove named wallets",
	  "wallets [list]\nwallets remove|rm NAME", cmd_wallets_opts, 0 },
	{ "sign", cmd_sign, "sign a message (EIP-191 personal_sign)",
	  "sign [--index N] (MESSAGE | --file FILE | --hex HEX)", cmd_sign_opts, W | U },
	{ "verify", cmd_verify, "check an EIP-191 signature against an address",
	  "verify --address ADDR --signature SIG (MESSAGE | --file FILE | --hex HEX)", cmd_verify_opts, 0 },
	{ "config", cmd_config, "show where ehr keeps things and what it would use",
	  "config", cmd_config_opts, 0 },
	{ "network", cmd_network, "list, add, choose or remove networks",
	  "network [list]\nnetwork add NAME --rpc URL [--chain-id N] [--registry ADDR] [--token ADDR] [--default] [--force]\nnetwork use NAME\nnetwork remove NAME",
	  cmd_network_opts, 0 },
	{ "node", cmd_node, "show the node's chain id, head block, client and the registry",
	  "node", cmd_node_opts, N },
	{ "balance", cmd_balance, "show the balance of the native coin or a token",
	  "balance [ADDR] [--token ADDR]", cmd_balance_opts, W | N },
	{ "send", cmd_send, "send the native coin or a token",
	  "send ADDR AMOUNT [--token ADDR] [--confirmations N] [--async] [--timeout SECONDS]",
	  cmd_send_opts, W | U | N },
	{ "deploy", cmd_deploy, "deploy the registry (and a test token) to the current network",
	  "deploy [--test-token] [--save-as NAME] [--confirmations N] [--timeout SECONDS]",
	  cmd_deploy_opts, W | U | N },
	{ "register", cmd_register, "publish this account's encryption key, name and role",
	  "register [--name NAME] [--role patient|provider] [--confirmations N] [--async] [--timeout SECONDS]\nregister --show [ADDR]",
	  cmd_register_opts, W | U | N },
	{ "record", cmd_record, "add, list, get, verify, erase and export health records",
	  "record add FILE... [--title TITLE] [--type TYPE] [--media-type TYPE] [--store chain|dir:PATH] [--split-bundle]\n"
	  "record list [--type TYPE] [--all]\n"
	  "record get ID [-o FILE|-] [--force]\n"
	  "record verify (ID... | --all)\n"
	  "record erase ID\n"
	  "record export --fhir FILE [--force]",
	  cmd_record_opts, W | U | N },
	{ "grant", cmd_grant, "share records until a time, with a clinician or a QR code; list grants",
	  "grant ADDR (--records IDS | --all | --type TYPE) (--for DURATION | --until TIME) [--write] [--purpose PURPOSE] [--qr] [--qr-png FILE] [--qr-svg FILE]\n"
	  "grant --bearer (--records IDS | --all | --type TYPE) (--for DURATION | --until TIME) [--passcode | --passcode-file FILE] [--qr] [--qr-png FILE] [--qr-svg FILE]\n"
	  "grant list [--active] [--received]",
	  cmd_grant_opts, W | U | N },
	{ "revoke", cmd_revoke, "end a grant at once",
	  "revoke GRANT_ID [--confirmations N] [--async] [--timeout SECONDS]", cmd_revoke_opts, W | U | N },
	{ "access", cmd_access, "open a grant: check it, log the access, fetch, verify and decrypt",
	  "access (URI | - | GRANT_ID) [-o DIR] [--passcode-file FILE] [--force] [--wait DURATION]", cmd_access_opts, W | U | N },
	{ "request", cmd_request, "ask a patient for access; list, approve or deny what is asked of you",
	  "request --patient ADDR (--records IDS | --all) --for DURATION [--purpose PURPOSE] [--write] [--note TEXT]\n"
	  "request list\n"
	  "request approve ID\n"
	  "request deny ID",
	  cmd_request_opts, W | U | N },
	{ "emergency", cmd_emergency, "the emergency card: records, a long-lived QR any clinician can open",
	  "emergency set --records IDS\nemergency card [--for DURATION] [--qr] [--qr-png FILE] [--qr-svg FILE]\nemergency show\nemergency revoke",
	  cmd_emergency_opts, W | U | N },
	{ "audit", cmd_audit, "who did what with this account's records, grants and invoices, and when",
	  "audit [--record ID] [--grant ID] [--since TIME] [--csv] [--fhir FILE [--force]] [--no-titles]\n"
	  "audit verify",
	  cmd_audit_opts, W | U | N },
	{ "upload", cmd_upload, "a provider's batch upload into patients' charts, resumable",
	  "upload --patient ADDR (FILE|DIR)... [--title TITLE] [--type TYPE] [--store chain|dir:PATH] [--journal FILE]\n"
	  "upload --manifest FILE [--store chain|dir:PATH] [--journal FILE]",
	  cmd_upload_opts, W | U | N },
	{ "invoice", cmd_invoice, "bill a patient in a token or the native coin; list and pay invoices",
	  "invoice issue --patient ADDR --amount AMOUNT [--token ADDR|default | --native] [--due TIME] [--memo TEXT | --memo-file FILE]\n"
	  "invoice list [--open]\n"
	  "invoice pay ID\n"
	  "invoice cancel ID",
	  cmd_invoice_opts, W | U | N },
	{ "help", cmd_help, "show the commands, or one command's usage",
	  "help [COMMAND]", cmd_help_opts, 0 },
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

void command_usage(const struct command *cmd, bool to_stderr)
{
	FILE *f = to_stderr ? stderr : stdout;
	const char *s = cmd->synopsis, *nl;
	const struct opt *o;
	const char *lead = "usage: ";

	for (; s; s = nl ? nl + 1 : NULL, lead = "   or: ") {
		nl = strchr(s, '\n');
		fprintf(f, "%sehr %.*s\n", lead, nl ? (int)(nl - s) : (int)strlen(s), s);
	}
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
