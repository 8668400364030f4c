/* The command table: name, function and arguments, summary, usage forms,
 * what main sets up for it (its flags), completion words; the usage text,
 * made from the forms and the option tables; subcommand dispatch. */
#include "cli/ehr.h"
#include "commands/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W CMD_NEEDS_WALLET
#define U CMD_NEEDS_UNLOCK
#define N CMD_NEEDS_NODE
#define R CMD_NEEDS_REGISTRY
#define STAGED CMD_STAGED

/* cmd_NAME() and its arguments, cmd_NAME_args (commands/commands.h) */
#define RUN(name) cmd_##name, &cmd_##name##_args

const struct command commands[] = {
	{ "init", RUN(init), "create a new wallet from fresh 24 words",
	  NULL, U, NULL },
	{ "restore", RUN(restore), "restore a wallet from its mnemonic",
	  NULL, U, NULL },
	{ "import", RUN(import), "create a wallet from a private key or a v3 keystore",
	  NULL, U, NULL },
	{ "export", RUN(export), "show the mnemonic or write a v3 keystore",
	  "@\n@", W | U, NULL },
	{ "accounts", RUN(accounts), "list the wallet's accounts (no passphrase needed)",
	  NULL, W | U, NULL },
	{ "address", RUN(address), "show one account's address",
	  NULL, W | U, NULL },
	{ "passwd", RUN(passwd), "change the wallet's passphrase",
	  NULL, W | U, NULL },
	{ "wallets", RUN(wallets), "list or remove named wallets",
	  "[list]\nremove|rm NAME", 0, "list remove|rm:WALLET" },
	{ "sign", RUN(sign), "sign a message (EIP-191 personal_sign)",
	  "@ (MESSAGE | @1)", W | U, NULL },
	{ "verify", RUN(verify), "check an EIP-191 signature against an address",
	  "@ (MESSAGE | @1)", 0, NULL },
	{ "config", RUN(config), "show where ehr keeps things and what it would use",
	  NULL, 0, NULL },
	{ "network", RUN(network), "list, add, choose or remove networks",
	  "[list]\nadd NAME --rpc URL [--registry ADDR]\nuse NAME\nremove NAME", 0,
	  "list add use:NETWORK remove:NETWORK" },
	{ "node", RUN(node), "show the node's chain id, head block, client and the registry",
	  NULL, N, NULL },
	{ "balance", RUN(balance), "show the balance of the native coin or a token",
	  "[ADDR]", W | U | N | STAGED, NULL },
	{ "send", RUN(send), "send the native coin or a token",
	  "ADDR AMOUNT", W | U | N | STAGED, NULL },
	{ "deploy", RUN(deploy), "deploy the registry (and a test token) to the current network",
	  NULL, W | U | N, NULL },
	{ "register", RUN(register), "publish this account's encryption key, name and role",
	  "@\n@ [ADDR]", W | U | N | R | STAGED, NULL },
	{ "record", RUN(record), "add, list, get, verify, erase and export health records",
	  "add (FILE | CARD | LINK | - | @3)...\nlist\nget ID\nverify (ID... | @1)\nerase ID\nexport",
	  W | U | N | R,
	  "add:FILE... list get verify erase export" },
	{ "grant", RUN(grant), "share records until a time, with a clinician or a QR code; list grants",
	  "ADDR\n@4 @\nlist", W | U | N | R, "list" },
	{ "revoke", RUN(revoke), "end a grant at once",
	  "GRANT_ID", W | U | N | R, NULL },
	{ "access", RUN(access), "open a grant: check it, log the access, fetch, verify and decrypt",
	  "(- | @1 | URI | GRANT_ID) @", W | U | N | R | STAGED, NULL },
	{ "request", RUN(request), "ask a patient for access; list, approve or deny what is asked of you",
	  "@\nlist\napprove ID\ndeny ID", W | U | N | R, "list approve deny" },
	{ "contacts", RUN(contacts), "names you give to addresses, and the encryption keys you checked (pinned)",
	  "add NAME ADDR\n[list]\nrm NAME\npin NAME", N | R | STAGED, "add list rm|remove:CONTACT pin:CONTACT" },
	{ "emergency", RUN(emergency), "the emergency card: records, a long-lived QR any clinician can open",
	  "set\ncard\nshow\nrevoke", W | U | N | R, "set card show revoke" },
	{ "audit", RUN(audit), "who did what with this account's records, grants and invoices, and when",
	  "@\nverify", W | U | N | R, "verify" },
	{ "upload", RUN(upload), "a provider's batch upload into patients' charts, resumable",
	  "@1 (FILE|DIR)... @\n@", W | U | N | R, ":FILE..." },
	{ "invoice", RUN(invoice), "bill a patient in a token or the native coin; list and pay invoices",
	  "issue\nlist\npay ID\ncancel ID", W | U | N | R, "issue list pay cancel" },
	{ "relay", RUN(relay), "submit intents others signed with --sign-only, paying their gas",
	  "(FILE | -)...", W | U | N | R, ":FILE..." },
	{ "watch", RUN(watch), "follow the chain: requests, releases, accesses, uploads, invoices, expiring grants",
	  NULL, W | U | N | R, NULL },
	{ "unlock", RUN(unlock), "keep the wallet unlocked in an agent for a while; later commands ask no passphrase",
	  NULL, W | U | STAGED, NULL },
	{ "lock", RUN(lock), "end the unlock agent: its keys are wiped, commands ask again",
	  NULL, 0, NULL },
	{ "help", RUN(help), "show the commands, or one command's usage",
	  "[COMMAND]\n@\n@ COMMAND", 0, ":COMMAND" },
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

const struct subcommand *subcommand_find(const struct subcommand *subs, const char *name)
{
	for (; subs->name; subs++)
		if (!strcmp(subs->name, name))
			return subs;
	return NULL;
}

/* call without its first operand: pos[-1] is then the subcommand's name. */
static struct command_call after_name(const struct command_call *call)
{
	return (struct command_call){ call->x, call->opts, call->npos - 1, call->pos + 1 };
}

int subcommand_check(const struct subcommand *sub, const struct command_call *call)
{
	struct command_call rest = after_name(call);

	return sub->check ? sub->check(&rest) : 0;
}

int subcommand_run(const struct subcommand *sub, const struct command_call *call)
{
	struct command_call rest = after_name(call);

	return sub->run(&rest);
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
	for (p = cmd->args->opts; o->alt && p != o; p++)
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
		for (o = cmd->args->opts; o && o->name; o++) {
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

			for (p = cmd->args->opts; p && p->name; p++)
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
	if (cmd->args->opts && cmd->args->opts->name) {
		fputs("\noptions:\n", f);
		for (o = cmd->args->opts; o->name; o++) {
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
