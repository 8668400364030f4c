/* The set-up a command's table flags ask for (cli/ehr.h, cli/commands.c):
 * the node (CMD_NEEDS_NODE), the registry (CMD_NEEDS_REGISTRY), the wallet
 * and the signing account (CMD_NEEDS_WALLET). main opens it once the
 * command's arguments are checked, so that a usage error never waits on a
 * wallet or a node, hands it to the command and closes it; a CMD_STAGED
 * command opens the parts after the target itself (ctx_open_parts). */
#ifndef EHR_CONTEXT_H
#define EHR_CONTEXT_H

#include <stdint.h>

#include "cli/submit.h"
#include "cli/target.h"

/* The parts of a context, set up in this order. */
enum ctx_part {
	CTX_TARGET = 1 << 0,         /* which node and network (NODE or REGISTRY) */
	CTX_REGISTRY = 1 << 1,       /* the registry's address (REGISTRY) */
	CTX_WALLET = 1 << 2,         /* the wallet file, read once (WALLET): s.ks */
	CTX_SIGNER = 1 << 3,         /* the signing account's address (WALLET and NODE) */
	CTX_CHAIN = 1 << 4,          /* the connection (NODE) */
	CTX_ALL = 0x1f
};

struct ctx {
	struct target t;
	uint8_t registry[20];
	struct signer s;             /* opened, not unlocked: signer_unlock */
	chain *c;
	unsigned opened;             /* the ctx_parts set up so far */
};

/* Sets up x as the running command's flags say (main keeps the command in
 * g.command): resolves the target, then the registry, reads the wallet,
 * finds the signing account, connects, stopping at the first failure.
 * Close x even then. main calls it; a CMD_STAGED command gets only the
 * target from it. x need not be started (ctx_start). */
int ctx_open(struct ctx *x, ehr_err *e);

/* ctx_open in stages, for a command that checks something between them
 * (a token of the target's network) or needs fewer parts (no signer for
 * another account's balance): ctx_start empties x; ctx_open_parts sets up
 * those of parts that the flags ask for and that are not yet, in order. */
void ctx_start(struct ctx *x);
int ctx_open_parts(struct ctx *x, unsigned parts, ehr_err *e);

/* The account a command is about: addr when given (an EIP-55 or
 * lower-case address), else the signer's, opening it. */
int ctx_subject(struct ctx *x, const char *addr, uint8_t who[20], ehr_err *e);

void ctx_close(struct ctx *x);

#endif
