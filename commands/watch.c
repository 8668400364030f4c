/* ehr watch: follow the chain for this account, as patient and as the
 * other party (wallet/registry/watch.h): one line (or JSON line) per
 * event, a command per event with --exec, access requests answered by
 * policy with --release (cli/release_policy.h). It resumes where it
 * stopped: after each event and each block range the position is written
 * to a state file (atomically, 0600), each event's line shown just before
 * its state replaces the old one. The node going away is waited out
 * with growing pauses, said on stderr. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/follow.h"
#include "cli/parties.h"
#include "cli/release_policy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/base/array.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grants.h"

#define WATCH_RANGE 2000          /* blocks handled between two state writes at most */
#define WATCH_BACKOFF_MAX_S 30    /* the longest pause while the node is away */
#define EXEC_ARGS_MAX 32

struct watch_args {
	const char *exec, *from;
	bool release, once;
	/* --exec split into words (the check): exec_argv points into exec_copy */
	char *exec_copy;
	char *exec_argv[EXEC_ARGS_MAX + 1];
};

static const struct opt watch_opts[] = {
	{ "exec", 0, "CMD", OV_FILE, "run CMD for each event, the event as JSON on its standard input",
	  OPT_STR(struct watch_args, exec) },
	{ "release", 0, NULL, OV_NONE, "answer access requests: release for active grants",
	  OPT_FLAG(struct watch_args, release) },
	{ "once", 0, NULL, OV_NONE, "handle the events there are, then exit",
	  OPT_FLAG(struct watch_args, once) },
	{ "from", 0, "BLOCK", OV_NONE, "start at block BLOCK (default: where the last watch stopped)",
	  OPT_STR(struct watch_args, from) },
	{ 0 }
};

struct watch {
	const struct watch_args *a;
	struct ctx *x;                /* node, registry, signer (set up by main) */
	uint64_t chain_id;
	char state_path[4096];
	watch_state st;
	watch_grants grants;
	struct parties *parties;      /* names, read once */
	struct tx_opts to;
};

/* ---- who ------------------------------------------------------------------------- */

/* "you", or addr as people should read it (cli/parties.h). */
static const char *who(struct watch *w, const uint8_t addr[20], char *out, size_t cap)
{
	if (!memcmp(addr, w->x->s.address, 20))
		return "you";
	parties_label(w->parties, addr, out, cap);
	return out;
}

/* ---- what an event says --------------------------------------------------------- */

static void add_id(cJSON *o, const char *key, uint64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
}

static void add_address(cJSON *o, const char *key, const uint8_t a[20])
{
	char hex[43];

	eip55_format(a, hex);
	cJSON_AddStringToObject(o, key, hex);
}

static cJSON *event_json(struct watch *w, const watch_event *ev)
{
	cJSON *o = cJSON_CreateObject(), *ids;
	char tx[67];
	size_t i;

	cJSON_AddStringToObject(o, "event", watch_kind_name(ev->kind));
	cJSON_AddNumberToObject(o, "block", (double)ev->block);
	if (ev->log_index != WATCH_NO_LOG) {
		cJSON_AddNumberToObject(o, "log", (double)ev->log_index);
		hex_encode0x(ev->tx, 32, tx);
		cJSON_AddStringToObject(o, "tx", tx);
	}
	add_address(o, "patient", ev->patient);
	add_address(o, "party", ev->party);
	parties_json(w->parties, ev->party, o, "party_name");
	add_id(o, "record", ev->record);
	add_id(o, "grant", ev->grant);
	add_id(o, "request", ev->request);
	add_id(o, "grant_request", ev->grant_request);
	add_id(o, "invoice", ev->invoice);
	add_id(o, "expiry", ev->expiry);
	add_id(o, "duration", ev->duration);
	if (ev->purpose && consent_purpose_name(ev->purpose))
		cJSON_AddStringToObject(o, "purpose", consent_purpose_name(ev->purpose));
	if (ev->kind == WATCH_INVOICE_ISSUED || ev->kind == WATCH_INVOICE_PAID) {
		char amount[U256_DEC_MAX];

		u256_format_dec(&ev->amount, amount);
		cJSON_AddStringToObject(o, "amount", amount);
		if (memcmp(ev->token, (uint8_t[20]){ 0 }, 20))
			add_address(o, "token", ev->token);
	}
	if (ev->n_records) {
		ids = cJSON_AddArrayToObject(o, "records");
		for (i = 0; i < ev->n_records; i++)
			cJSON_AddItemToArray(ids, cJSON_CreateNumber((double)ev->records[i]));
	}
	return o;
}

/* The plain words of each kind, and the role of the party in it. */
static const char *const kind_words[WATCH_KIND_COUNT][2] = {
	{ "record added", "by" }, { "grant issued", "to" }, { "grant revoked", "grantee" },
	{ "bearer grant redeemed", "by" }, { "records read", "by" }, { "invoice issued", "by" },
	{ "invoice paid", "issuer" }, { "invoice cancelled", "by" }, { "access requested", "by" },
	{ "keys released", "to" }, { "access request denied", "requester" },
	{ "grant requested", "by" }, { "grant request approved", "requester" },
	{ "grant request denied", "requester" }, { "de-identified copies released", "to" },
	{ "grant expires soon", "grantee" },
};

static void append(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *out, size_t cap, const char *fmt, ...)
{
	size_t len = strlen(out);
	va_list ap;

	if (len >= cap)
		return;
	va_start(ap, fmt);
	vsnprintf(out + len, cap - len, fmt, ap);
	va_end(ap);
}

static void event_line(struct watch *w, const watch_event *ev, char *out, size_t cap)
{
	char a[PARTY_LABEL_MAX], b[PARTY_LABEL_MAX], until[40];
	size_t i;

	snprintf(out, cap, "block %llu: %s", (unsigned long long)ev->block, kind_words[ev->kind][0]);
	if (ev->record)
		append(out, cap, ", record %llu", (unsigned long long)ev->record);
	if (ev->grant_request)
		append(out, cap, ", grant request %llu", (unsigned long long)ev->grant_request);
	if (ev->request)
		append(out, cap, ", request %llu", (unsigned long long)ev->request);
	if (ev->grant)
		append(out, cap, ", grant %llu", (unsigned long long)ev->grant);
	if (ev->invoice)
		append(out, cap, ", invoice %llu", (unsigned long long)ev->invoice);
	for (i = 0; i < ev->n_records; i++)
		append(out, cap, "%s%llu", i ? "," : ", records ", (unsigned long long)ev->records[i]);
	if (ev->expiry) {
		time_format(ev->expiry, until, sizeof(until));
		append(out, cap, ", until %s", until);
	}
	append(out, cap, "; patient %s; %s %s", who(w, ev->patient, a, sizeof(a)), kind_words[ev->kind][1],
	       who(w, ev->party, b, sizeof(b)));
}

/* ---- --exec ------------------------------------------------------------------------ */

/* CMD split at blanks into words, run without a shell: nothing in an
 * event reaches a shell, and the words are the user's own. */
static int exec_split(struct watch_args *a, const char *cmd)
{
	size_t n = 0;
	char *tok, *save = NULL;

	if (!(a->exec_copy = strdup(cmd)))
		return -1;
	for (tok = strtok_r(a->exec_copy, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == EXEC_ARGS_MAX)
			return -1;
		a->exec_argv[n++] = tok;
	}
	a->exec_argv[n] = NULL;
	return n ? 0 : -1;
}

static void set_env_id(const char *name, uint64_t v)
{
	char num[24];

	if (!v)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	setenv(name, num, 1);
}

/* In the child: EHR_EVENT_* for the event (numbers and addresses only). */
static void exec_env(const watch_event *ev)
{
	char hex[67], *list = NULL;
	size_t i, len = 0;

	setenv("EHR_EVENT", watch_kind_name(ev->kind), 1);
	set_env_id("EHR_EVENT_BLOCK", ev->block);
	if (ev->log_index != WATCH_NO_LOG) {
		hex_encode0x(ev->tx, 32, hex);
		setenv("EHR_EVENT_TX", hex, 1);
	}
	eip55_format(ev->patient, hex);
	setenv("EHR_EVENT_PATIENT", hex, 1);
	eip55_format(ev->party, hex);
	setenv("EHR_EVENT_PARTY", hex, 1);
	set_env_id("EHR_EVENT_RECORD", ev->record);
	set_env_id("EHR_EVENT_GRANT", ev->grant);
	set_env_id("EHR_EVENT_REQUEST", ev->request);
	set_env_id("EHR_EVENT_GRANT_REQUEST", ev->grant_request);
	set_env_id("EHR_EVENT_INVOICE", ev->invoice);
	set_env_id("EHR_EVENT_EXPIRY", ev->expiry);
	if (ev->n_records && (list = malloc(ev->n_records * 21))) {
		for (i = 0; i < ev->n_records; i++)
			len += (size_t)sprintf(list + len, "%s%llu", i ? "," : "", (unsigned long long)ev->records[i]);
		setenv("EHR_EVENT_RECORDS", list, 1);
	}
	free(list);
}

/* Runs the --exec command with json on its standard input and waits for
 * it; its failure is a warning, the event counts as handled. */
static void run_exec(struct watch *w, const watch_event *ev, const char *json)
{
	int fds[2], status;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0) {
		warn("--exec: cannot start %s: %s", w->a->exec_argv[0], strerror(errno));
		return;
	}
	if (pid == 0) {
		close(fds[1]);
		if (dup2(fds[0], 0) < 0)
			_exit(127);
		close(fds[0]);
		exec_env(ev);
		execvp(w->a->exec_argv[0], w->a->exec_argv);
		fprintf(stderr, "ehr: warning: --exec: cannot run %s: %s\n", w->a->exec_argv[0], strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	if (write_full(fds[1], json, strlen(json)) == 0)
		(void)write_full(fds[1], "\n", 1);
	close(fds[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		warn("--exec: %s ended with status %d for the %s event in block %llu", w->a->exec_argv[0],
		     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
		     watch_kind_name(ev->kind), (unsigned long long)ev->block);
}

/* ---- one event ----------------------------------------------------------------------- */

/* What the state write shows just before the new state replaces the old. */
struct shown_line {
	const char *text;
};

static void show_line(void *ctx)
{
	const struct shown_line *l = ctx;

	puts(l->text);
	fflush(stdout);
}

static int save_state(struct watch *w, const char *line, ehr_err *e)
{
	struct shown_line l = { line };

	return watch_state_save(w->state_path, w->chain_id, w->x->registry, w->x->s.address, &w->st,
				line ? show_line : NULL, &l, e);
}

/* Answers (with --release), runs --exec, then writes the state past the
 * event and shows its line together with it (watch_state_save). Answering
 * first: when the node is away it fails with nothing shown, and the event
 * is handled again when the node is back (a release is never sent twice:
 * what was released is no longer requested). */
static int handle(struct watch *w, const watch_event *ev, ehr_err *e)
{
	enum release_outcome outcome;
	char line[1024], name[PARTY_LABEL_MAX], *json;
	cJSON *o;
	size_t n;
	int rc;

	if (w->a->release && ev->kind == WATCH_ACCESS_REQUESTED && !memcmp(ev->patient, w->x->s.address, 20)) {
		rc = release_by_policy(w->x->c, w->x->registry, &w->x->s, ev, who(w, ev->party, name, sizeof(name)),
				       &w->to, &outcome, &n, e);
		if (rc == EHR_ENODE)
			return rc;
		if (rc)
			warn("%s", e->msg);
		else if (outcome == RELEASE_SENT)
			follow_say("released %zu record%s to %s (request %llu, grant %llu)", n, n == 1 ? "" : "s",
				   name, (unsigned long long)ev->request, (unsigned long long)ev->grant);
	}
	if ((rc = watch_grants_note(&w->grants, ev, e)))
		return rc;
	o = event_json(w, ev);
	json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!json)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (w->a->exec_argv[0])
		run_exec(w, ev, json);
	if (!g.json)
		event_line(w, ev, line, sizeof(line));
	if (ev->log_index != WATCH_NO_LOG) {
		w->st.block = ev->block;
		w->st.log_index = ev->log_index + 1;
	}
	rc = save_state(w, g.json ? json : line, e);
	free(json);
	if (!rc && ferror(stdout))  /* a reader that went away (SIGPIPE is ignored) */
		rc = ehr_fail(e, EHR_EFAIL, "cannot write to standard output: %s", strerror(errno));
	return rc;
}

static int handle_all(struct watch *w, const watch_event *evs, size_t n, ehr_err *e)
{
	size_t i;
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		if (evs[i].block == w->st.block && evs[i].log_index < w->st.log_index)
			continue;  /* handled before the watcher stopped */
		rc = handle(w, &evs[i], e);
	}
	return rc;
}

/* Announces the grants that expire within a day, once each. */
static int check_expiring(struct watch *w, uint64_t head, ehr_err *e)
{
	watch_event *evs = NULL;
	uint64_t now;
	size_t n = 0, before = w->st.n_warned;
	int rc;

	if ((rc = chain_block_time(w->x->c, head, &now, e)) ||
	    (rc = watch_expiring(&w->grants, &w->st, now, head, &evs, &n, e)))
		return rc;
	rc = handle_all(w, evs, n, e);
	if (!rc && !n && before != w->st.n_warned)
		rc = save_state(w, NULL, e);
	watch_events_free(evs, n);
	return rc;
}

/* Handles the next range of blocks up to the head; *caught_up when the
 * head is reached. */
static int step(struct watch *w, bool *caught_up, ehr_err *e)
{
	watch_event *evs = NULL;
	uint64_t head, to;
	size_t n = 0, skipped = 0;
	int rc;

	*caught_up = false;
	if ((rc = chain_head(w->x->c, &head, e)))
		return rc;
	if (w->st.block > head) {
		*caught_up = true;
		return 0;
	}
	to = head - w->st.block >= WATCH_RANGE ? w->st.block + WATCH_RANGE - 1 : head;
	if ((rc = watch_scan(w->x->c, w->x->registry, w->x->s.address, w->st.block, to, &evs, &n, &skipped, e)))
		return rc;
	rc = handle_all(w, evs, n, e);
	watch_events_free(evs, n);
	if (skipped)
		warn("%zu log%s in blocks %llu-%llu did not decode and were passed over", skipped,
		     skipped == 1 ? "" : "s", (unsigned long long)w->st.block, (unsigned long long)to);
	if (rc)
		return rc;
	w->st.block = to + 1;
	w->st.log_index = 0;
	if ((rc = save_state(w, NULL, e)))
		return rc;
	*caught_up = to == head;
	return *caught_up ? check_expiring(w, head, e) : 0;
}

/* Steps until --once is done or a signal comes; the node going away is
 * waited out (1 s, doubling to WATCH_BACKOFF_MAX_S), said on stderr. */
static int follow(struct watch *w, ehr_err *e)
{
	unsigned pause = 0;
	bool caught_up;
	int rc;

	while (!follow_stopped()) {
		rc = step(w, &caught_up, e);
		if (rc == EHR_ENODE && !w->a->once) {
			pause = pause ? (pause * 2 > WATCH_BACKOFF_MAX_S ? WATCH_BACKOFF_MAX_S : pause * 2) : 1;
			warn("%s; trying again in %u s", e->msg, pause);
			follow_sleep(pause * 1000);
			continue;
		}
		if (rc)
			return rc;
		if (pause) {
			follow_say("the node answers again; watching from block %llu", (unsigned long long)w->st.block);
			pause = 0;
		}
		if (caught_up && w->a->once)
			break;
		if (caught_up)
			follow_sleep(FOLLOW_POLL_MS);
	}
	return 0;
}

/* ---- setting up -------------------------------------------------------------------- */

/* Where to start: --from, else the state file, else the block after the
 * head (a first watch shows what happens from now on). */
static int start_block(struct watch *w, ehr_err *e)
{
	unsigned long from;
	uint64_t head;
	bool found;
	int rc;

	if ((rc = watch_state_path(w->chain_id, w->x->registry, w->x->s.address, w->state_path,
				   sizeof(w->state_path), e)) ||
	    (rc = watch_state_load(w->state_path, w->chain_id, w->x->registry, w->x->s.address, &w->st, &found, e)))
		return rc;
	if (w->a->from) {
		char *end;

		errno = 0;
		from = strtoul(w->a->from, &end, 10);
		if (!*w->a->from || *end || errno || w->a->from[0] == '-')
			return ehr_fail(e, EHR_EUSAGE, "--from wants a block number, not '%s'", w->a->from);
		w->st.block = from;
		w->st.log_index = 0;
		return 0;
	}
	if (found)
		return 0;
	if ((rc = chain_head(w->x->c, &head, e)))
		return rc;
	w->st.block = head + 1;
	note("watching from block %llu on (--from 0 for everything before)", (unsigned long long)w->st.block);
	return 0;
}

static int setup(struct watch *w, ehr_err *e)
{
	int rc;

	if ((rc = chain_check_id(w->x->c, e)) ||
	    (rc = parties_open(&w->parties, w->x->c, w->x->registry, e)))
		return rc;
	w->chain_id = chain_chain_id(w->x->c);
	if (w->a->release) {
		if ((rc = signer_unlock(&w->x->s, e)))
			return rc;
		g.yes = true;  /* --release is the consent: nobody is there to ask */
	}
	if ((rc = start_block(w, e)))
		return rc;
	return watch_grants_load(w->x->c, w->x->registry, w->x->s.address, w->st.block ? w->st.block - 1 : 0,
				 &w->grants, e);
}

static int watch_check(const struct command_call *call)
{
	struct watch_args *a = call->opts;

	if (a->exec && exec_split(a, a->exec))
		return usage_error("watch", "--exec wants a command of at most %d words", EXEC_ARGS_MAX);
	return 0;
}

static void watch_done(void *opts)
{
	free(((struct watch_args *)opts)->exec_copy);
}

const struct command_args cmd_watch_args = {
	.opts = watch_opts, .size = sizeof(struct watch_args), .wrong_count = "'watch' takes no arguments",
	.check = watch_check, .done = watch_done,
};

int cmd_watch(const struct command_call *call)
{
	struct watch w;
	ehr_err e = { 0 };
	int rc;

	memset(&w, 0, sizeof(w));
	w.a = call->opts;
	w.x = call->x;
	tx_opts_init(&w.to);
	follow_signals();
	if (!(rc = setup(&w, &e)))
		rc = follow(&w, &e);
	watch_state_free(&w.st);
	watch_grants_free(&w.grants);
	parties_close(w.parties);
	return rc ? report(&e) : 0;
}
