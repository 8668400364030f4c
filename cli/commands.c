/* The command table: name, function, summary, usage forms, options, needs;
 * and the usage text, made from the forms and the option tables. */
#include "cli/ehr.h"
#include "commands/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W CMD_NEEDS_WALLET
#define U CMD_NEEDS_UNLOCK
#define N CMD_NEEDS_NODE
#define R CMD_NEEDS_REGISTRY

const struct command commands[] = {
	{ "init", cmd_init, "create a new wallet from fresh 24 words", NULL, cmd_init_opts, U, NULL },
	{ "restore", cmd_restore, "restore a wallet from its mnemonic", NULL, cmd_restore_opts, U, NULL },
	{ "import", cmd_import, "create a wallet from a private key or a v3 keystore", NULL,
	  cmd_import_opts, U, NULL },
	{ "export", cmd_export, "show the mnemonic or write a v3 keystore", "@\n@",
	  cmd_export_opts, W | U, NULL },
	{ "accounts", cmd_accounts, "list the wallet's accounts (no passphrase needed)", NULL,
	  cmd_accounts_opts, W, NULL },
	{ "address", cmd_address, "show one account's address", NULL, cmd_address_opts, W, NULL },
	{ "passwd", cmd_passwd, "change the wallet's passphrase", NULL, cmd_passwd_opts, W | U, NULL },
	{ "wallets", cmd_wallets, "list or remove named wallets", "[list]\nremove|rm NAME",
	  cmd_wallets_opts, 0, "list remove|rm:WALLET" },
	{ "sign", cmd_sign, "sign a message (EIP-191 personal_sign)", "@ (MESSAGE | @1)",
	  cmd_sign_opts, W | U, NULL },
	{ "verify", cmd_verify, "check an EIP-191 signature against an address", "@ (MESSAGE | @1)",
	  cmd_verify_opts, 0, NULL },
	{ "config", cmd_config, "show where ehr keeps things and what it would use", NULL,
	  cmd_config_opts, 0, NULL },
	{ "network", cmd_network, "list, add, choose or remove networks",
	  "[list]\nadd NAME --rpc URL [--registry ADDR]\nuse NAME\nremove NAME",
	  cmd_network_opts, 0, "list add use:NETWORK remove:NETWORK" },
	{ "node", cmd_node, "show the node's chain id, head block, client and the registry", NULL,
	  cmd_node_opts, N, NULL },
	{ "balance", cmd_balance, "show the balance of the native coin or a token", "[ADDR]",
	  cmd_balance_opts, W | N, NULL },
	{ "send", cmd_send, "send the native coin or a token", "ADDR AMOUNT",
	  cmd_send_opts, W | U | N, NULL },
	{ "deploy", cmd_deploy, "deploy the registry (and a test token) to the current network", NULL,
	  cmd_deploy_opts, W | U | N, NULL },
	{ "register", cmd_register, "publish this account's encryption key, name and role", "@\n@ [ADDR]",
	  cmd_register_opts, W | U | N | R, NULL },
	{ "record", cmd_record, "add, list, get, verify, erase and export health records",
	  "add (FILE | CARD | LINK | -)...\nlist\nget ID\nverify (ID... | @1)\nerase ID\nexport",
	  cmd_record_opts, W | U | N | R, "add:FILE... list get verify erase export" },
	{ "grant", cmd_grant, "share records until a time, with a clinician or a QR code; list grants",
	  "ADDR\n@4 @\nlist", cmd_grant_opts, W | U | N | R, "list" },
	{ "revoke", cmd_revoke, "end a grant at once", "GRANT_ID", cmd_revoke_opts, W | U | N | R, NULL },
	{ "access", cmd_access, "open a grant: check it, log the access, fetch, verify and decrypt",
	  "(- | @1 | URI | GRANT_ID) @", cmd_access_opts, W | U | N | R, NULL },
	{ "request", cmd_request, "ask a patient for access; list, approve or deny what is asked of you",
	  "@\nlist\napprove ID\ndeny ID", cmd_request_opts, W | U | N | R, "list approve deny" },
	{ "emergency", cmd_emergency, "the emergency card: records, a long-lived QR any clinician can open",
	  "set\ncard\nshow\nrevoke", cmd_emergency_opts, W | U | N | R, "set card show revoke" },
	{ "audit", cmd_audit, "who did what with this account's records, grants and invoices, and when",
	  "@\nverify", cmd_audit_opts, W | U | N | R, "verify" },
	{ "upload", cmd_upload, "a provider's batch upload into patients' charts, resumable",
	  "@1 (FILE|DIR)... @\n@", cmd_upload_opts, W | U | N | R, ":FILE..." },
	{ "invoice", cmd_invoice, "bill a patient in a token or the native coin; list and pay invoices",
	  "issue\nlist\npay ID\ncancel ID", cmd_invoice_opts, W | U | N | R, "issue list pay cancel" },
	{ "watch", cmd_watch, "follow the chain: requests, releases, accesses, uploads, invoices, expiring grants",
	  NULL, cmd_watch_opts, W | U | N | R, NULL },
	{ "help", cmd_help, "show the commands, or one command's usage", "[COMMAND]\n@\n@ COMMAND",
	  cmd_help_opts, 0, ":COMMAND" },
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

/* Whether o stands in usage line n. */
static bool opt_in_form(const struct opt *o, unsigned n)
{
	return !o->forms || (o->forms & OPT_IN(n));
}

/* Appends "--name ARG" (or "--name") of o to out (size cap) after sep. */
static void put_opt(char *out, size_t cap, const struct opt *o, const char *sep)
{
	size_t n = strlen(out);

	snprintf(out + n, cap - n, "%s--%s%s%s", sep, o->name, o->arg ? " " : "",
		 o->arg ? o->arg : "");
}

/* Appends to out the option first of form n and, when it is one of an
 * alternative group, the group's other members of form n, joined by
 * " | "; with bracket, in brackets (a required group in parentheses). */
static void put_group(char *out, size_t cap, unsigned n, const struct opt *first, bool bracket)
{
	const struct opt *o;
	int members = 0;
	char inner[512] = "";
	size_t len;

	for (o = first; o->name; o++)
		if ((o == first || (first->alt && o->alt == first->alt)) && opt_in_form(o, n))
			put_opt(inner, sizeof(inner), o, members++ ? " | " : "");
	len = strlen(out);
	if (!bracket || (first->required && members == 1))
		snprintf(out + len, cap - len, "%s", inner);
	else
		snprintf(out + len, cap - len, first->required ? "(%s)" : "[%s]", inner);
}

/* Whether o stands in form n and first there of its group (if any). */
static bool opens_group(const struct command *cmd, const struct opt *o, unsigned n)
{
	const struct opt *p;

	if (!opt_in_form(o, n))
		return false;
	for (p = cmd->opts; o->alt && p != o; p++)
		if (p->alt == o->alt && opt_in_form(p, n))
			return false;
	return true;
}

/* Whether the form [line, line+len) places group alt itself ("@N"). */
static bool form_places(const char *line, size_t len, unsigned alt)
{
	const char *end = line + len;

	for (; alt && (line = memchr(line, '@', (size_t)(end - line))); line++) {
		char *after;

		if (strtoul(line + 1, &after, 10) == alt && after > line + 1 && after <= end)
			return true;
	}
	return false;
}

/* Whether the form [line, line+len) says where its options go ("@"). */
static bool form_has_options_mark(const char *line, size_t len)
{
	const char *end = line + len;

	for (; (line = memchr(line, '@', (size_t)(end - line))); line++)
		if (line + 1 == end || line[1] < '0' || line[1] > '9')
			return true;
	return false;
}

/* Appends " " and each option (or group) of form n that the form does not
 * place itself: the required first, each in table order. */
static void put_options(char *out, size_t cap, const struct command *cmd, unsigned n,
			const char *line, size_t len)
{
	const struct opt *o;
	int pass;

	for (pass = 0; pass < 2; pass++)
		for (o = cmd->opts; o && o->name; o++) {
			if (!opens_group(cmd, o, n) || o->required != !pass ||
			    form_places(line, len, o->alt))
				continue;
			strncat(out, " ", cap - strlen(out) - 1);
			put_group(out, cap, n, o, true);
		}
}

/* Usage line n of cmd from its form [line, line+len) into out: spaces
 * collapsed, none at the end. */
static void form_line(char *out, size_t cap, const struct command *cmd, unsigned n,
		      const char *line, size_t len)
{
	const char *s = line, *end = line + len;
	char raw[1024];
	size_t i, o = 0;

	snprintf(raw, sizeof(raw), "%s ", cmd->name);
	while (s < end) {
		size_t r = strlen(raw);
		char *after;
		unsigned long alt;

		if (*s != '@') {
			snprintf(raw + r, sizeof(raw) - r, "%c", *s++);
			continue;
		}
		alt = strtoul(s + 1, &after, 10);
		if (after == s + 1) {
			put_options(raw, sizeof(raw), cmd, n, line, len);
			strncat(raw, " ", sizeof(raw) - strlen(raw) - 1);
		} else {
			const struct opt *p;

			for (p = cmd->opts; p && p->name; p++)
				if (p->alt == alt && opens_group(cmd, p, n)) {
					put_group(raw, sizeof(raw), n, p, false);
					break;
				}
		}
		s = after;
	}
	if (!form_has_options_mark(line, len))
		put_options(raw, sizeof(raw), cmd, n, line, len);
	for (i = 0; raw[i] && o + 1 < cap; i++)
		if (raw[i] != ' ' || (o && out[o - 1] != ' '))
			out[o++] = raw[i];
	while (o && out[o - 1] == ' ')
		o--;
	out[o] = '\0';
}

void command_synopsis(const struct command *cmd, FILE *f, const char *lead, const char *lead_more)
{
	const char *s = cmd->forms ? cmd->forms : "@", *nl;
	unsigned n = 0;
	char line[1024];

	for (; s; s = nl ? nl + 1 : NULL, lead = lead_more, n++) {
		nl = strchr(s, '\n');
		form_line(line, sizeof(line), cmd, n, s, nl ? (size_t)(nl - s) : strlen(s));
		fprintf(f, "%sehr %s\n", lead, line);
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
