/* ehr unlock: an agent process holds the selected wallet unlocked for a
 * while (--for, and --idle without use), so that later commands ask no
 * passphrase; ehr lock ends it. The keys never leave the agent: commands
 * ask it to sign and to open sealed keys (keystore/agent.h,
 * cli/agent_keys.h). --status says which wallet an agent holds and until
 * when. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/session.h"
#include "cli/agent_keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <sodium.h>

#include "keystore/agent.h"
#include "wallet/base/amount.h"
#include "wallet/base/text.h"

#define UNLOCK_FOR_DEFAULT (15 * 60)
#define UNLOCK_IDLE_DEFAULT (5 * 60)
#define UNLOCK_FOR_MAX (7 * 24 * 3600)

struct unlock_options {
	const char *for_text, *idle_text;
	bool status;
	uint64_t for_s, idle_s;
};

static const struct opt unlock_opts[] = {
	{ "for", 0, "DURATION", OV_DURATION, "how long the agent holds the keys at most (default 15m, at most 7d)",
	  OPT_STR(struct unlock_options, for_text) },
	{ "idle", 0, "DURATION", OV_DURATION, "it ends sooner after this long unused (default 5m, at most --for)",
	  OPT_STR(struct unlock_options, idle_text) },
	{ "status", 0, NULL, OV_NONE, "say whether an agent runs, which wallet it holds and until when",
	  OPT_FLAG(struct unlock_options, status) },
	{ 0 }
};

static int unlock_check(const struct command_call *call)
{
	struct unlock_options *o = call->opts;
	ehr_err e = { 0 };

	if (o->status && (o->for_text || o->idle_text))
		return usage_error("unlock", "--status takes neither --for nor --idle");
	if (o->for_text && duration_parse(o->for_text, &o->for_s, &e))
		return usage_error("unlock", "--for: %s", e.msg);
	if (o->idle_text && duration_parse(o->idle_text, &o->idle_s, &e))
		return usage_error("unlock", "--idle: %s", e.msg);
	if (o->for_s > UNLOCK_FOR_MAX)
		return usage_error("unlock", "--for is at most 7d");
	if (!o->idle_text)
		o->idle_s = o->for_s < UNLOCK_IDLE_DEFAULT ? o->for_s : UNLOCK_IDLE_DEFAULT;
	if (o->idle_s > o->for_s)
		return usage_error("unlock", "--idle is at most --for");
	return 0;
}

static const struct unlock_options unlock_defaults = { .for_s = UNLOCK_FOR_DEFAULT };

const struct command_args cmd_unlock_args = {
	.opts = unlock_opts, .size = sizeof(unlock_defaults), .defaults = &unlock_defaults,
	.check = unlock_check,
};

/* t as people read it, or with --json in ISO 8601. */
static void time_text(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, 32, g.json ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d %H:%M:%S UTC", &tm))
		snprintf(out, 32, "%llu", (unsigned long long)t);
}

/* The agent's status: 0 when one answers (*fd stays open for a LOCK when
 * fd is not NULL), EHR_EFAIL when none does (e says why). */
static int agent_status_ask(agent_status *st, int *fd, ehr_err *e)
{
	agent_request r = { .op = AGENT_STATUS };
	uint8_t reply[AGENT_FRAME_MAX];
	const uint8_t *p;
	size_t n;
	bool lost;
	int s, rc;

	if ((s = agent_connect(e)) < 0)
		return e->status;
	if (!(rc = agent_call(s, &r, reply, sizeof(reply), 0, &p, &n, &lost, e)) &&
	    !(rc = agent_status_parse(p, n, st, e))) {
		text_clean_inplace(st->name, 0);   /* shown on the terminal */
		text_clean_inplace(st->path, 0);
	}
	if (rc || !fd)
		close(s);
	else
		*fd = s;
	return rc;
}

/* Prints st: one line, or with --json an object. */
static void print_status(const agent_status *st, const char *lead)
{
	char until[32], idle[32];
	cJSON *j;

	time_text(st->expires, until);
	time_text(st->idle_until, idle);
	if (!g.json) {
		if (g.quiet)
			return;
		printf("%s wallet '%s' (%s), agent pid %u: until %s, or %s if unused (idle limit %us)\n",
		       lead, st->name, st->path, st->pid, until, idle, st->idle_s);
		return;
	}
	j = cJSON_CreateObject();
	cJSON_AddBoolToObject(j, "unlocked", 1);
	cJSON_AddStringToObject(j, "wallet", st->name);
	cJSON_AddStringToObject(j, "path", st->path);
	cJSON_AddNumberToObject(j, "pid", st->pid);
	cJSON_AddStringToObject(j, "expires", until);
	cJSON_AddStringToObject(j, "idle_until", idle);
	cJSON_AddNumberToObject(j, "idle_limit_s", st->idle_s);
	output_json(j);
}

static int unlock_status(void)
{
	agent_status st;
	ehr_err e = { 0 };

	if (agent_status_ask(&st, NULL, &e)) {
		if (g.json) {
			cJSON *j = cJSON_CreateObject();

			cJSON_AddBoolToObject(j, "unlocked", 0);
			cJSON_AddStringToObject(j, "why", e.msg);
			output_json(j);
		} else {
			printf("locked: %s\n", e.msg);
		}
		return EHR_EFAIL;
	}
	print_status(&st, "unlocked:");
	return 0;
}

/* In the agent process: no terminal, no file descriptor but its socket
 * and the pipe that says it is ready; no core file, not dumpable (as
 * main set up; said again). Never returns. */
static void become_agent(int lfd, int ready, const char *path, keystore *ks,
			 const struct agent_limits *l)
{
	ehr_err e = { 0 };
	int fd, null = open("/dev/null", O_RDWR);

	setsid();
	(void)!chdir("/");   /* holds no directory busy */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	for (fd = 3; fd < 1024; fd++)
		if (fd != lfd && fd != ready)
			close(fd);
	if (keep_secrets_in_memory())
		_exit(1);
	_exit(agent_serve(lfd, path, ks, g.wallet, l, ready, &e) ? 1 : 0);
}

/* Starts the agent for the unlocked ks; *pid its process. */
static int start_agent(keystore *ks, const struct agent_limits *l, pid_t *pid, ehr_err *e)
{
	char path[300], c;
	int lfd, ready[2], rc;

	if ((rc = agent_socket_path(path, sizeof(path), true, e)) || (rc = agent_listen(path, &lfd, e)))
		return rc;
	if (pipe2(ready, O_CLOEXEC)) {
		close(lfd);
		return ehr_fail(e, EHR_EFAIL, "cannot start the agent: %s", strerror(errno));
	}
	fflush(NULL);
	if ((*pid = fork()) == 0)
		become_agent(lfd, ready[1], path, ks, l);
	close(ready[1]);
	close(lfd);
	rc = *pid > 0 && read(ready[0], &c, 1) == 1 ? 0
		: ehr_fail(e, EHR_EFAIL, "the agent did not start%s%s", *pid < 0 ? ": " : "",
			   *pid < 0 ? strerror(errno) : "");
	close(ready[0]);
	return rc;
}

/* An agent already running: 0 when it holds this wallet (said so, *done);
 * one that holds another is ended; none: nothing to do. */
static int agent_before(const uint8_t id[32], bool *done, ehr_err *e)
{
	agent_status st;
	ehr_err none = { 0 };
	int fd = -1;

	*done = false;
	if (agent_status_ask(&st, &fd, &none))
		return 0;
	if (!sodium_memcmp(st.wallet_id, id, 32)) {
		close(fd);
		print_status(&st, "already unlocked:");
		*done = true;
		return 0;
	}
	if (!g.json)
		fprintf(stderr, "ehr: the agent held wallet '%s'; it ends for this one\n", st.name);
	return agent_lock(fd, e);
}

int cmd_unlock(const struct command_call *call)
{
	const struct unlock_options *o = call->opts;
	struct ctx *x = call->x;
	struct agent_limits l;
	agent_status st;
	uint8_t id[32];
	ehr_err e = { 0 };
	bool done;
	pid_t pid;

	if (o->status)
		return unlock_status();
	if (!agent_wanted())
		return fail(EHR_EUSAGE, "EHR_AGENT=0 is set: commands would not ask the agent");
	if (ctx_open_parts(x, CTX_WALLET, &e))
		return report(&e);
	agent_wallet_id(x->s.ks, id);
	if (agent_before(id, &done, &e))
		return report(&e);
	if (done)
		return 0;
	if (session_unlock_open(x->s.ks, &e))
		return report(&e);
	l.expires = (uint64_t)time(NULL) + o->for_s;
	l.idle_s = (uint32_t)(o->idle_s ? o->idle_s : 1);
	if (start_agent(x->s.ks, &l, &pid, &e) || agent_status_ask(&st, NULL, &e))
		return report(&e);
	print_status(&st, "unlocked:");
	return 0;
}
