#include "cli/follow.h"
#include "cli/ehr.h"
#include "cli/release_policy.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/consent.h"
#include "wallet/registry/grants.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
	stop_signal = sig;
}

void follow_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void follow_say(const char *fmt, ...)
{
	va_list ap;

	if (g.quiet)
		return;
	fflush(stdout);
	fputs("ehr: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool follow_stopped(void)
{
	return stop_signal != 0;
}

void follow_sleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	/* a signal ends nanosleep early (EINTR): the wait is over then */
	if (!stop_signal)
		nanosleep(&ts, NULL);
}

/* The countdown: a line rewritten in place on a terminal; elsewhere one
 * line when the wait starts. */
static void countdown(bool tty, uint64_t left, const char *grantee_name, bool first)
{
	if (g.quiet)
		return;
	if (tty)
		fprintf(stderr, "\rwaiting for %s's request: %llu:%02llu left (Ctrl-C stops waiting, the grant stays) ",
			grantee_name, (unsigned long long)(left / 60), (unsigned long long)(left % 60));
	else if (first)
		fprintf(stderr, "waiting for %s's request, %llu s at most (Ctrl-C stops waiting, the grant stays)\n",
			grantee_name, (unsigned long long)left);
}

static void print_released(uint64_t grant_id, const watch_event *ev, size_t n, const char *grantee_name)
{
	if (g.json) {
		cJSON *o = cJSON_CreateObject();
		char addr[43];

		eip55_format(ev->party, addr);
		cJSON_AddNumberToObject(o, "grant", (double)grant_id);
		cJSON_AddNumberToObject(o, "request", (double)ev->request);
		cJSON_AddNumberToObject(o, "released", (double)n);
		cJSON_AddStringToObject(o, "to", addr);
		cJSON_AddNumberToObject(o, "request_block", (double)ev->block);
		output_json(o);
	} else {
		printf("released %zu record%s to %s\n", n, n == 1 ? "" : "s", grantee_name);
	}
	fflush(stdout);
}

/* Answers the requests under grant_id among the events of blocks
 * from..head; *done once keys were released. */
static int answer_requests(chain *c, const uint8_t registry[20], struct signer *s, uint64_t grant_id,
			   const char *grantee_name, uint64_t from, uint64_t head, bool *done, ehr_err *e)
{
	enum release_outcome outcome;
	struct tx_opts to;
	watch_event *evs = NULL;
	size_t i, n = 0, skipped = 0, released;
	int rc;

	tx_opts_init(&to);
	if ((rc = watch_scan(c, registry, s->address, from, head, &evs, &n, &skipped, e)))
		return rc;
	for (i = 0; i < n && !rc && !*done; i++) {
		const watch_event *ev = &evs[i];

		if (ev->kind != WATCH_ACCESS_REQUESTED || ev->grant != grant_id ||
		    memcmp(ev->patient, s->address, 20))
			continue;
		if ((rc = release_by_policy(c, registry, s, ev, grantee_name, &to, &outcome, &released, e)))
			break;
		if (outcome == RELEASE_SENT) {
			print_released(grant_id, ev, released, grantee_name);
			*done = true;
		}
	}
	watch_events_free(evs, n);
	return rc;
}

int follow_consultation(chain *c, const uint8_t registry[20], struct signer *s, uint64_t grant_id,
			const char *grantee_name, uint64_t until, ehr_err *e)
{
	bool tty = isatty(2), done = false, first = true, away = false;
	consent_grant gr;
	uint64_t head, from, now;
	int rc;

	if ((rc = consent_grant_of(c, registry, grant_id, &gr, e)))
		return rc;
	from = gr.issued_block;
	follow_signals();
	g.yes = true;  /* the patient asked for this consultation: releasing is the point */
	while (!done) {
		now = (uint64_t)time(NULL);
		if (stop_signal || now >= until)
			break;
		countdown(tty, until - now, grantee_name, first);
		first = false;
		rc = chain_head(c, &head, e);
		if (!rc && from <= head &&
		    !(rc = answer_requests(c, registry, s, grant_id, grantee_name, from, head, &done, e)))
			from = head + 1;
		if (rc == EHR_ENODE && !away)
			warn("%s; trying again until the node answers", e->msg);
		else if (!rc && away)
			follow_say("the node answers again");
		away = rc == EHR_ENODE;
		if (away)
			rc = 0;
		if (rc || done)
			break;
		follow_sleep(FOLLOW_POLL_MS);
	}
	if (tty && !g.quiet)
		fputc('\n', stderr);
	if (rc || done)
		return rc;
	if (stop_signal) {
		note("stopped waiting: grant %llu stays until its expiry or 'ehr revoke %llu'",
		     (unsigned long long)grant_id, (unsigned long long)grant_id);
		return 130;
	}
	return ehr_fail(e, EHR_EFAIL, "no access request under grant %llu came in time; the grant stays "
			"('ehr watch --release' answers later ones)", (unsigned long long)grant_id);
}
