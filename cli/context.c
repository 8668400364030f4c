#include "cli/context.h"
#include "cli/ehr.h"

#include <string.h>

int ctx_open(struct ctx *x, ehr_err *e)
{
	unsigned flags = g.command ? g.command->flags : 0;
	int rc;

	memset(x, 0, sizeof(*x));
	if ((flags & (CMD_NEEDS_NODE | CMD_NEEDS_REGISTRY)) && (rc = target_resolve(&x->t, e)))
		return rc;
	if ((flags & CMD_NEEDS_REGISTRY) && (rc = target_registry(&x->t, x->registry, e)))
		return rc;
	if ((flags & CMD_NEEDS_WALLET) && (rc = signer_open(&x->s, e)))
		return rc;
	if (flags & CMD_NEEDS_NODE)
		return target_connect(&x->t, &x->c, e);
	return 0;
}

void ctx_close(struct ctx *x)
{
	signer_close(&x->s);
	chain_close(x->c);
	x->c = NULL;
}
