/* Kept only so commands/audit.c (being split elsewhere) builds unchanged:
 * the token reader lives in wallet/registry/token.h. Drop this file once
 * audit includes that header. */
#ifndef EHR_CLI_TOKEN_H
#define EHR_CLI_TOKEN_H

#include "wallet/registry/token.h"

#endif
