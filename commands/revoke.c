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
};

const struct opt cmd_revoke_opts[] = {
	TX_OPTS(struct revoke_options, tx),
	{ 0 }
};

int cmd_revoke(int argc, char **argv)
{
	struct opt_parser p;
	struct ctx x;
	struct tx_opts to;
	chain_receipt r = { 0 };
	uint8_t hash[32];
	uint64_t id;
	ehr_err e = { 0 };
	int rc;

	struct revoke_options opts;

	tx_opts_init(&opts.tx);
	opt_init(&p, "revoke", argc, argv, cmd_revoke_opts);
	if (opt_parse(&p, &opts))
		return EHR_EUSAGE;
	to = opts.tx;
	if (p.npos != 1 || opt_id(p.pos[0], &id))
		return usage_error("revoke", "give one grant id: ehr revoke GRANT_ID");
	if ((rc = ctx_open(&x, &e)) || (rc = grant_revoke(x.c, x.registry, &x.s, id, &to, hash, &r, &e)))
		goto out;
	{
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "grant", (double)id);
		print_tx_result(hash, &r, o);
	}
	note("grant %llu revoked: the registry refuses every access under it from now on",
	     (unsigned long long)id);
out:
	chain_receipt_free(&r);
	ctx_close(&x);
	return rc ? report(&e) : 0;
}
