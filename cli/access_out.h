/* Where `ehr access` writes: checked before anything is sent, so a
 * refusal logs no access and spends no gas. A folder `ehr access` wrote
 * into keeps a list of what it fetched (ACCESS_OUT_LIST: one line "<record
 * id> <file name>" per record written), which makes the folder ours for a
 * later `ehr access` and tells `--new` what was fetched before. */
#ifndef EHR_ACCESS_OUT_H
#define EHR_ACCESS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define ACCESS_OUT_LIST ".ehr-access"

/* Checks, creating nothing, that dir can take the records: dir is absent
 * and its nearest existing ancestor a folder we may write into (the
 * missing ones are made later), or dir is a folder
 * we may write into that is empty or ours (has ACCESS_OUT_LIST), or
 * force is set. EHR_EUSAGE saying which, otherwise 0. */
int access_out_check(const char *dir, bool force, ehr_err *e);

/* The file name record id was written under in dir before (ACCESS_OUT_LIST
 * of dir, its last line for id), copied into name; false when none. */
bool access_out_fetched(const char *dir, uint64_t id, char *name, size_t cap);

/* Notes in dir's ACCESS_OUT_LIST (0600) that record id was written as
 * file (a path whose last part is kept). */
int access_out_note(const char *dir, uint64_t id, const char *file, ehr_err *e);

#endif
