/* ehr lock: ends the unlock agent (ehr unlock), whichever wallet it holds;
 * its keys are wiped and later commands ask for the passphrase again. */
#include "commands/commands.h"

#include <stdio.h>
#include <unistd.h>

#include <cJSON.h>

#include "keystore/agent.h"

static const struct opt lock_opts[] = {
	{ 0 }
};

const struct command_args cmd_lock_args = { .opts = lock_opts };

int cmd_lock(const struct command_call *call)
{
	ehr_err e = { 0 };
	int fd;
	bool was;

	(void)call;
	if ((was = (fd = agent_connect(&e)) >= 0) && agent_lock(fd, &e))
		return report(&e);
	if (g.json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddBoolToObject(j, "ended", was);
		output_json(j);
	} else {
		puts(was ? "locked: the agent ended, its keys wiped" : "locked: no agent was running");
	}
	return 0;
}
