/* The unlock agent (`ehr unlock`, DESIGN.md section 10): a process that
 * holds one unlocked wallet and signs and opens sealed boxes for the
 * commands of its user, over a Unix socket (keystore/agent_wire.h). The
 * keys never leave it: a command gets an account's public parts and asks
 * for each signature and each opened box.
 *
 * The socket is AGENT_SOCKET_NAME in $XDG_RUNTIME_DIR/ehr/ or, when that
 * is unset, in /tmp/ehr-UID/; that directory is made 0700 and refused when
 * it is not a directory of this user closed to others. Both sides check the
 * other's uid (SO_PEERCRED): the agent answers its own user only (a refusal
 * says so), and a command talks only to an agent of its own user.
 *
 * Nothing here prints, prompts or exits. */
#ifndef EHR_AGENT_H
#define EHR_AGENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keystore/agent_wire.h"
#include "keystore/keystore.h"

#define AGENT_SOCKET_NAME "agent.sock"

/* The socket's path into out; its directory made (0700) when create, and
 * checked either way (EHR_EUSAGE when it is not this user's alone). */
int agent_socket_path(char *out, size_t cap, bool create, ehr_err *e);

/* The wallet id of ks: BLAKE2b-256 over its path, salt, nonce and sealed
 * part, so one file in one state (a passwd or an added account changes it). */
void agent_wallet_id(const keystore *ks, uint8_t id[32]);

/* ---- the agent's side ---- */

struct agent_limits {
	uint64_t expires;       /* Unix seconds: it ends then, whatever happens */
	uint32_t idle_s;        /* and after this long without a KEYS, SIGN or OPEN */
};

/* Listens at path (a stale socket nobody answers on is replaced; a live
 * one is EHR_EUSAGE), 0600. */
int agent_listen(const char *path, int *fd, ehr_err *e);

/* Serves ks (unlocked, in this process: a child of fork() moves the secret
 * into memory it locks itself; taken: freed, with every derived key wiped, when
 * it returns), named name, on listen_fd (closed) until a LOCK, a limit, or
 * SIGTERM, SIGINT or SIGHUP; then removes path if it is still its socket. Writes one byte to ready_fd (then
 * closed) once it serves. */
int agent_serve(int listen_fd, const char *path, keystore *ks, const char *name,
		const struct agent_limits *l, int ready_fd, ehr_err *e);

/* ---- a command's side ---- */

/* Connects to the agent: -1 (e says why) when none answers or it is not
 * this user's; else the connected socket. */
int agent_connect(ehr_err *e);

/* Sends r on fd and reads the reply into reply (cap bytes, at least
 * AGENT_FRAME_MAX; secure memory when it may hold a secret), then parses
 * it as agent_reply_parse does with want. EHR_EFAIL "the agent stopped
 * answering" when the connection fails; *lost is then true. */
int agent_call(int fd, const agent_request *r, uint8_t *reply, size_t cap, size_t want,
	       const uint8_t **payload, size_t *n, bool *lost, ehr_err *e);

/* Ends the agent connected on fd (any wallet) and closes fd; returns once
 * it no longer answers. */
int agent_lock(int fd, ehr_err *e);

#endif
