#include "cli/context.h"
#include "wallet/keys/eth.h"
#include "cli/ehr.h"

#include <string.h>

void ctx_start(struct ctx *x)
{
	memset(x, 0, sizeof(*x));
}

/* The parts the running command's table flags ask for. */
static unsigned parts_wanted(void)
{
	unsigned flags = g.command ? g.command->flags : 0, parts = 0;

	if (flags & (CMD_NEEDS_NODE | CMD_NEEDS_REGISTRY))
		parts |= CTX_TARGET;
	if (flags & CMD_NEEDS_REGISTRY)
		parts |= CTX_REGISTRY;
	if (flags & CMD_NEEDS_WALLET)
		parts |= CTX_WALLET;
	if ((flags & CMD_NEEDS_WALLET) && (flags & CMD_NEEDS_NODE))
		parts |= CTX_SIGNER;
	if (flags & CMD_NEEDS_NODE)
		parts |= CTX_CHAIN;
	return parts;
}

int ctx_open_parts(struct ctx *x, unsigned parts, ehr_err *e)
{
	unsigned todo = parts & parts_wanted() & ~x->opened;
	int rc = 0;

	if ((todo & CTX_TARGET) && !(rc = target_resolve(&x->t, e)))
		x->opened |= CTX_TARGET;
	if (!rc && (todo & CTX_REGISTRY) && !(rc = target_registry(&x->t, x->registry, e)))
		x->opened |= CTX_REGISTRY;
	if (!rc && (todo & CTX_WALLET) && !(rc = signer_read(&x->s, e)))
		x->opened |= CTX_WALLET;
	if (!rc && (todo & CTX_SIGNER) && !(rc = signer_account(&x->s, e)))
		x->opened |= CTX_SIGNER;
	if (!rc && (todo & CTX_CHAIN) && !(rc = target_connect(&x->t, &x->c, e)))
		x->opened |= CTX_CHAIN;
	return rc;
}

int ctx_open(struct ctx *x, ehr_err *e)
{
	bool staged = g.command && (g.command->flags & CMD_STAGED);

	ctx_start(x);
	return ctx_open_parts(x, staged ? CTX_TARGET : CTX_ALL, e);
}

int ctx_subject(struct ctx *x, const char *addr, uint8_t who[20], ehr_err *e)
{
	int rc;

	if (addr)
		return eip55_parse(addr, who, e);
	if ((rc = ctx_open_parts(x, CTX_WALLET | CTX_SIGNER, e)))
		return rc;
	memcpy(who, x->s.address, 20);
	return 0;
}

void ctx_close(struct ctx *x)
{
	signer_close(&x->s);
	chain_close(x->c);
	x->c = NULL;
}
