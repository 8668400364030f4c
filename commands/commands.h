/* Every command: cmd_<name>() in commands/<name>.c, and cmd_<name>_args,
 * what main takes and checks before it sets the command up and calls it:
 * its option table (what -h shows), options struct, operand count and
 * checks (cli/ehr.h). The table itself is cli/commands.c. */
#ifndef EHR_COMMANDS_H
#define EHR_COMMANDS_H

#include "cli/ehr.h"

#define EHR_COMMAND(name) \
	command_fn cmd_##name; \
	extern const struct command_args cmd_##name##_args;

EHR_COMMAND(init)
EHR_COMMAND(restore)
EHR_COMMAND(import)
EHR_COMMAND(export)
EHR_COMMAND(accounts)
EHR_COMMAND(address)
EHR_COMMAND(passwd)
EHR_COMMAND(wallets)
EHR_COMMAND(sign)
EHR_COMMAND(verify)
EHR_COMMAND(config)
EHR_COMMAND(network)
EHR_COMMAND(node)
EHR_COMMAND(balance)
EHR_COMMAND(send)
EHR_COMMAND(deploy)
EHR_COMMAND(register)
EHR_COMMAND(record)
EHR_COMMAND(grant)
EHR_COMMAND(watch)
EHR_COMMAND(revoke)
EHR_COMMAND(access)
EHR_COMMAND(request)
EHR_COMMAND(contacts)
EHR_COMMAND(emergency)
EHR_COMMAND(upload)
EHR_COMMAND(audit)
EHR_COMMAND(invoice)
EHR_COMMAND(relay)
EHR_COMMAND(unlock)
EHR_COMMAND(lock)
EHR_COMMAND(help)

/* ehr record verify: each record of ids (nids of them, each checked to be
 * an id), or with all every record of this account, fetched and checked
 * against its anchor; the exit status. `ehr audit verify` is the same call with all. */
int record_verify(struct ctx *x, char **ids, int nids, bool all);

#endif
