/* The set-up a command's table flags ask for (cli/commands.c): the node
 * (CMD_NEEDS_NODE), the registry (CMD_NEEDS_REGISTRY) and the signing
 * account (CMD_NEEDS_WALLET). A command opens it once its arguments are
 * checked, so that a usage error never waits on a wallet or a node. */
#ifndef EHR_CONTEXT_H
#define EHR_CONTEXT_H

#include <stdint.h>

#include "cli/submit.h"
#include "cli/target.h"

struct ctx {
	struct target t;
	uint8_t registry[20];
	struct signer s;             /* opened, not unlocked: signer_unlock */
	chain *c;
};

/* Sets up x as the running command's flags say (main keeps the command in
 * g.command): resolves the target, then the registry, opens the signer,
 * connects, stopping at the first failure. Close x even then. */
int ctx_open(struct ctx *x, ehr_err *e);

void ctx_close(struct ctx *x);

#endif
