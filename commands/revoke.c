/* ehr revoke: end a grant at once. Only the patient who issued it can. */
#include "commands/commands.h"
#include "cli/context.h"
#include "cli/grant_send.h"
#include "cli/submit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/keys/eth.h"
#include "wallet/registry/grants.h"

struct revoke_options {
	struct tx_opts tx;
	uint64_t id;             /* the grant (the check parses it) */
};

static const struct opt revoke_opts[] = {
	TX_OPTS(struct revoke_options, tx),
	{ 0 }
};

#define GIVE_ONE_ID "give one grant id: ehr revoke GRANT_ID"

/* The grant id into o->id. */
static int revoke_check(const struct command_call *call)
{
	struct revoke_options *o = call->opts;

	return opt_id(call->pos[0], &o->id) ? usage_error("revoke", GIVE_ONE_ID) : 0;
}

static const struct revoke_options revoke_defaults = { .tx = TX_OPTS_DEFAULTS };

const struct command_args cmd_revoke_args = {
	.opts = revoke_opts, .size = sizeof(revoke_defaults), .defaults = &revoke_defaults,
	.min_pos = 1, .max_pos = 1, .wrong_count = GIVE_ONE_ID, .check = revoke_check,
};

int cmd_revoke(const struct command_call *call)
{
	const struct revoke_options *o = call->opts;
	struct ctx *x = call->x;
	chain_receipt r = { 0 };
	uint8_t hash[32];
	ehr_err e = { 0 };
	int rc;

	if (!(rc = grant_revoke(x->c, x->registry, &x->s, o->id, &o->tx, hash, &r, &e))) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddNumberToObject(j, "grant", (double)o->id);
		print_tx_result(hash, &r, j);
		note("grant %llu revoked: the registry refuses every access under it from now on",
		     (unsigned long long)o->id);
	}
	chain_receipt_free(&r);
	return rc ? report(&e) : 0;
}
