/* `ehr __complete WORD...`: completions answered from the command and
 * option tables, so that the shell files in completions/ are thin shims
 * that know nothing of ehr's commands and cannot drift from them. */
#include "cli/ehr.h"
#include "wallet/base/paths.h"
#include "wallet/chain/config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The names of the value kinds, as written in the command table's words. */
static const char *const value_names[] = {
	[OV_NONE] = "", [OV_FILE] = "FILE", [OV_DIR] = "DIR", [OV_WALLET] = "WALLET",
	[OV_NETWORK] = "NETWORK", [OV_DURATION] = "DURATION", [OV_LEVEL] = "LEVEL",
	[OV_WORDS] = "WORDS", [OV_COMMAND] = "COMMAND", [OV_TOKEN] = "TOKEN",
	[OV_ROLE] = "ROLE", [OV_STORE] = "STORE"
};

static bool has_prefix(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

static bool describe;  /* --describe: a tab and a description after a name */

/* Prints pre+word (and "\tdesc") when word starts with cur. */
static void offer(const char *pre, const char *word, size_t len, const char *cur,
		  const char *desc)
{
	size_t n = strlen(cur);

	if (len < n || strncmp(word, cur, n))
		return;
	if (!describe)
		desc = NULL;
	printf("%s%.*s%s%s\n", pre, (int)len, word, desc ? "\t" : "", desc ? desc : "");
}

/* Offers each word of the space-separated list. */
static void offer_list(const char *pre, const char *list, const char *cur)
{
	const char *sp;

	for (; *list; list = *sp ? sp + 1 : sp) {
		sp = strchrnul(list, ' ');
		offer(pre, list, (size_t)(sp - list), cur, NULL);
	}
}

static int json_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && !strcmp(d->d_name + n - 5, ".json");
}

static void offer_wallets(const char *pre, const char *cur)
{
	char dir[4096];
	struct dirent **names;
	ehr_err e;
	int i, n;

	if (paths_get(PLACE_WALLETS, dir, sizeof(dir), &e) ||
	    (n = scandir(dir, &names, json_file, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		offer(pre, names[i]->d_name, strlen(names[i]->d_name) - 5, cur, NULL);
		free(names[i]);
	}
	free(names);
}

static void offer_networks(const char *pre, const char *cur)
{
	config *cfg;
	ehr_err e;
	size_t i;

	if (config_load(&cfg, &e))
		return;
	for (i = 0; i < cfg->nnetworks; i++)
		offer(pre, cfg->networks[i].name, strlen(cfg->networks[i].name), cur, NULL);
	config_free(cfg);
}

/* The values of kind v that complete cur, each after pre. */
static void offer_values(enum opt_value v, const char *pre, const char *cur)
{
	unsigned i;

	switch (v) {
	case OV_FILE: printf(":file %s\n", cur); break;
	case OV_DIR: printf(":dir %s\n", cur); break;
	case OV_WALLET: offer_wallets(pre, cur); break;
	case OV_NETWORK: offer_networks(pre, cur); break;
	case OV_LEVEL: offer_list(pre, "interactive moderate sensitive", cur); break;
	case OV_WORDS: offer_list(pre, "12 15 18 21 24", cur); break;
	case OV_TOKEN: offer_list(pre, "default", cur); break;
	case OV_ROLE: offer_list(pre, "patient provider", cur); break;
	case OV_COMMAND:
		for (i = 0; i < ncommands; i++)
			offer(pre, commands[i].name, strlen(commands[i].name), cur, NULL);
		break;
	case OV_STORE:
		if (has_prefix(cur, "dir:"))
			printf(":dir %s\n", cur + 4);
		else
			offer_list(pre, "chain dir:", cur);
		break;
	default:
		break;
	}
}

/* The option that word ("--name", "--name=VALUE", "-x", "-xVALUE") names,
 * among the global ones and cmd's; *inline_val is set when the word holds
 * its value. */
static const struct opt *find_option(const struct command *cmd, const char *word,
				     const char **inline_val)
{
	const struct opt *tables[2] = { global_opts, cmd ? cmd->args->opts : NULL }, *o;
	size_t len;
	int t;

	*inline_val = NULL;
	for (t = 0; t < 2; t++)
		for (o = tables[t]; o && o->name; o++) {
			if (word[1] != '-') {
				if (o->short_name && word[1] == o->short_name) {
					*inline_val = word[2] ? word + 2 : NULL;
					return o;
				}
				continue;
			}
			len = strlen(o->name);
			if (strncmp(word + 2, o->name, len) || (word[2 + len] && word[2 + len] != '='))
				continue;
			*inline_val = word[2 + len] == '=' ? word + 3 + len : NULL;
			return o;
		}
	return NULL;
}

static void offer_options(const struct command *cmd, const char *cur)
{
	const struct opt *tables[2] = { global_opts, cmd ? cmd->args->opts : NULL }, *o;
	char name[80];
	int t;

	for (t = 0; t < 2; t++)
		for (o = tables[t]; o && o->name; o++) {
			snprintf(name, sizeof(name), "--%s", o->name);
			offer("", name, strlen(name), cur, o->help);
			/* short options only when asked for with a single '-' */
			if (o->short_name && !has_prefix(cur, "--")) {
				snprintf(name, sizeof(name), "-%c", o->short_name);
				offer("", name, strlen(name), cur, o->help);
			}
		}
}

/* The kind named by [s, end) ("FILE" or "FILE..."); *many is set for "...". */
static enum opt_value value_named(const char *s, const char *end, bool *many)
{
	unsigned v;

	*many = end - s > 3 && !strncmp(end - 3, "...", 3);
	if (*many)
		end -= 3;
	for (v = 0; v < sizeof(value_names) / sizeof(value_names[0]); v++)
		if ((size_t)(end - s) == strlen(value_names[v]) &&
		    !strncmp(s, value_names[v], (size_t)(end - s)))
			return (enum opt_value)v;
	return OV_NONE;
}

/* Whether word is one of the '|'-separated names in [names, end). */
static bool names_match(const char *names, const char *end, const char *word)
{
	const char *bar;

	for (; names < end; names = bar + 1) {
		if (!(bar = memchr(names, '|', (size_t)(end - names))))
			bar = end;
		if ((size_t)(bar - names) == strlen(word) && !strncmp(names, word, strlen(word)))
			return true;
	}
	return false;
}

/* An operand of cmd after npos others (the first of them first): the
 * subcommands (their first names: the others are aliases, not offered),
 * or values as its words declare. */
static void offer_operands(const struct command *cmd, int npos, const char *first,
			   const char *cur)
{
	const char *w = cmd->words, *sp, *colon, *end;
	enum opt_value v;
	bool many;

	for (; w && *w; w = *sp ? sp + 1 : sp) {
		sp = strchrnul(w, ' ');
		colon = memchr(w, ':', (size_t)(sp - w));
		end = colon ? colon : sp;
		v = colon ? value_named(colon + 1, sp, &many) : OV_NONE;
		if (colon == w) {               /* ":KIND": the command's operands */
			if (many || npos == 0)
				offer_values(v, "", cur);
		} else if (npos == 0) {         /* a subcommand */
			const char *bar = memchr(w, '|', (size_t)(end - w));

			offer("", w, (size_t)((bar ? bar : end) - w), cur, NULL);
		} else if (colon && names_match(w, colon, first) && (many || npos == 1)) {
			offer_values(v, "", cur);
		}
	}
}

int complete_main(int argc, char **argv)
{
	const struct command *cmd = NULL;
	const struct opt *pending = NULL, *o;
	const char *cmdword = NULL, *first = "", *cur = argc ? argv[argc - 1] : "", *val;
	bool only_pos = false;
	int i, npos = 0;
	unsigned c;

	if (argc && !strcmp(argv[0], "--describe")) {
		describe = true;
		argc--;
		argv++;
	}
	for (i = 0; i < argc - 1; i++) {
		const char *w = argv[i];

		if (pending) {
			pending = NULL;
		} else if (!only_pos && !strcmp(w, "--")) {
			only_pos = true;
		} else if (!only_pos && w[0] == '-' && w[1]) {
			if ((o = find_option(cmd, w, &val)) && o->arg && !val)
				pending = o;
		} else if (!cmdword) {
			cmdword = w;
			cmd = command_find(w);
		} else if (npos++ == 0) {
			first = w;
		}
	}
	if (pending) {
		offer_values(pending->value, "", cur);
	} else if (!only_pos && has_prefix(cur, "--") && strchr(cur, '=')) {
		size_t len = (size_t)(strchr(cur, '=') - cur) + 1;
		char pre[80];

		if ((o = find_option(cmd, cur, &val)) && o->arg && len < sizeof(pre)) {
			snprintf(pre, sizeof(pre), "%.*s", (int)len, cur);
			offer_values(o->value, pre, val);
		}
	} else if (!only_pos && cur[0] == '-') {
		offer_options(cmdword && !cmd ? NULL : cmd, cur);
	} else if (!cmdword) {
		for (c = 0; c < ncommands; c++)
			offer("", commands[c].name, strlen(commands[c].name), cur, commands[c].summary);
	} else if (cmd) {
		offer_operands(cmd, npos, first, cur);
	}
	return fflush(stdout) ? EHR_EFAIL : 0;
}
