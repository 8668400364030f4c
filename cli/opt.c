#include "cli/ehr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/base/text.h"

static char **posbuf;
static int poscap;

void opt_init(struct opt_parser *p, const char *cmd, int argc, char **argv,
	      const struct opt *opts)
{
	memset(p, 0, sizeof(*p));
	p->cmd = cmd;
	p->argc = argc;
	p->argv = argv;
	p->i = 1;
	p->opts = opts;
	/* argv outlives the parser, so positionals point into it; the array
	 * is kept in a static so one allocation serves every parser */
	if (argc + 1 > poscap) {
		posbuf = realloc(posbuf, ((size_t)argc + 1) * sizeof(*posbuf));
		if (!posbuf)
			abort();
		poscap = argc + 1;
	}
	p->pos = posbuf;
}

static const struct opt *find_long(const struct opt *o, const char *name, size_t len)
{
	for (; o && o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

static const struct opt *find_short(const struct opt *o, char c)
{
	for (; o && o->name; o++)
		if (o->short_name && o->short_name == c)
			return o;
	return NULL;
}

static int unknown_option(struct opt_parser *p, const char *arg, size_t len)
{
	const struct opt *o, *best = NULL;
	unsigned d, bestd = 3;

	for (o = p->opts; o && o->name; o++) {
		char want[80];

		snprintf(want, sizeof(want), "%.*s", (int)len, arg);
		d = edit_distance(want, o->name);
		if (d < bestd) {
			bestd = d;
			best = o;
		}
	}
	if (best)
		usage_error(p->cmd, "unknown option '--%.*s' (did you mean '--%s'?)",
			    (int)len, arg, best->name);
	else
		usage_error(p->cmd, "unknown option '--%.*s'", (int)len, arg);
	return -1;
}

/* The next option in *o (its value in *val, or NULL for a flag): returns
 * 1, 0 when argv is exhausted (positionals are then in p->pos), or -1
 * after reporting a usage error. */
static int next_option(struct opt_parser *p, const struct opt **out, const char **val)
{
	const struct opt *o;
	char *arg;

	*val = NULL;
	if (p->short_rest && *p->short_rest) {
		char c = *p->short_rest++;

		if (!(o = find_short(p->opts, c))) {
			usage_error(p->cmd, "unknown option '-%c'", c);
			return -1;
		}
		if (o->arg) {
			if (*p->short_rest) {
				*val = p->short_rest;
			} else if (p->i < p->argc) {
				*val = p->argv[p->i++];
			} else {
				usage_error(p->cmd, "option '-%c' needs a value (%s)", c, o->arg);
				return -1;
			}
			p->short_rest = NULL;
		}
		*out = o;
		return 1;
	}
	while (p->i < p->argc) {
		arg = p->argv[p->i++];
		if (p->only_pos || arg[0] != '-' || arg[1] == '\0') {
			p->pos[p->npos++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			p->only_pos = true;
			continue;
		}
		if (arg[1] == '-') {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			if (!(o = find_long(p->opts, name, len)))
				return unknown_option(p, name, len);
			if (o->arg) {
				if (eq) {
					*val = eq + 1;
				} else if (p->i < p->argc) {
					*val = p->argv[p->i++];
				} else {
					usage_error(p->cmd, "option '--%s' needs a value (%s)", o->name, o->arg);
					return -1;
				}
			} else if (eq) {
				usage_error(p->cmd, "option '--%s' takes no value", o->name);
				return -1;
			}
			*out = o;
			return 1;
		}
		p->short_rest = arg + 1;
		return next_option(p, out, val);
	}
	return 0;
}

int opt_store(const struct opt_parser *p, const struct opt *o, void *args, const char *val)
{
	void *field = args ? (char *)args + o->field : NULL;
	char name[80];

	switch (o->type) {
	case OT_FLAG: *(bool *)field = true; break;
	case OT_UNSET: *(bool *)field = false; break;
	case OT_STR: *(const char **)field = val; break;
	case OT_ULONG:
		snprintf(name, sizeof(name), "--%s", o->name);
		return opt_ulong(p, name, val, o->max, field);
	case OT_CALL:
		return o->take(p, o, field, val);
	}
	return 0;
}

int opt_parse(struct opt_parser *p, void *args)
{
	const struct opt *o;
	const char *val;
	int rc;

	while ((rc = next_option(p, &o, &val)) > 0)
		if (opt_store(p, o, args, val))
			return -1;
	return rc;
}

int opt_ulong(const struct opt_parser *p, const char *name, const char *val,
	      unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	if (!val || val[0] < '0' || val[0] > '9')
		goto bad;
	v = strtoul(val, &end, 10);
	if (errno || *end || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	usage_error(p->cmd, "option '%s' wants a whole number from 0 to %lu, not '%s'",
		    name, max, val ? val : "");
	return -1;
}

int opt_id(const char *s, uint64_t *id)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return -1;
	v = strtoull(s, &end, 10);
	if (errno || *end)
		return -1;
	*id = v;
	return 0;
}

int opt_id_list(const char *s, uint64_t **ids, size_t *n)
{
	char *copy = strdup(s), *tok, *save = NULL;
	uint64_t *grown;
	int rc = 0;

	*ids = NULL;
	*n = 0;
	if (!copy || !*s || s[strlen(s) - 1] == ',' || strstr(s, ",,"))
		rc = -1;
	for (tok = rc ? NULL : strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!(grown = realloc(*ids, (*n + 1) * sizeof(**ids)))) {
			rc = -1;
			break;
		}
		*ids = grown;
		if (opt_id(tok, &grown[*n])) {
			rc = -1;
			break;
		}
		(*n)++;
	}
	free(copy);
	if (rc || !*n) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return -1;
	}
	return 0;
}
