/* Following the chain from the command line: waits that Ctrl-C (SIGINT)
 * or SIGTERM end, and the consultation of `ehr grant --qr`, which waits
 * for the clinician's access request under the new grant and answers it
 * by the release policy (cli/release_policy.h). */
#ifndef EHR_FOLLOW_H
#define EHR_FOLLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/submit.h"

/* From now on SIGINT and SIGTERM set a flag instead of ending the process,
 * and SIGPIPE is ignored (a --exec command that does not read its input
 * must not end the watcher). */
void follow_signals(void);

/* What a follower did or saw ("ehr: ..."), on stderr whatever --json
 * says (a log, not output); not with -q. */
void follow_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether SIGINT or SIGTERM came since follow_signals. */
bool follow_stopped(void);

/* How often a follower (watch, grant --qr) looks for a new block. */
#define FOLLOW_POLL_MS 250

/* Sleeps ms milliseconds, or less when a signal ends the wait. */
void follow_sleep(unsigned ms);

/* The wait of `grant --qr`: until an access request under grant_id (issued
 * to grantee_name) is answered by release_by_policy, until the chain's
 * time passes `until`, or Ctrl-C. A countdown on stderr (a line updated in
 * place on a terminal). Prints "released N records to NAME" on stdout (a
 * JSON object with --json). 0 when released; EHR_EFAIL when the time ran
 * out or nothing could be released; 130 after Ctrl-C; the grant stays in
 * every case. */
int follow_consultation(chain *c, const uint8_t registry[20], struct signer *s, uint64_t grant_id,
			const char *grantee_name, uint64_t until, ehr_err *e);

#endif
