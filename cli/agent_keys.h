/* A command's side of the unlock agent (`ehr unlock`, keystore/agent.h):
 * the one place commands obtain keys from it (session_keys asks here
 * first). The keys stay in the agent: the keystore_keys given out carry
 * the public parts and all-zero secrets, and the agent is registered as
 * their holder (wallet/keys/keyholder.h), so each signature and each
 * opened box is a request to it. When the agent stops answering midway,
 * the holder falls back to asking for the passphrase, once, and says so. */
#ifndef EHR_AGENT_KEYS_H
#define EHR_AGENT_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include "keystore/keystore.h"

/* Whether commands ask the agent at all: not when $EHR_AGENT is "0". */
bool agent_wanted(void);

/* The keys of the opened (not unlocked) wallet ks at path (a BIP32 path;
 * NULL: account index) from the agent that holds ks, into *keys
 * (keystore_keys_new memory). 0; or non-zero, e saying why (no agent, one
 * that holds another wallet, a refusal), and the caller asks for the
 * passphrase as before. Only an account's keys (path NULL) can sign and
 * open; a path's are its public parts. */
int agent_keys(keystore *ks, const char *path, uint32_t index, keystore_keys **keys, ehr_err *e);

/* Ends what agent_keys set up (the connection, the holder, any keys the
 * fallback derived); before ks is freed. */
void agent_keys_done(void);

#endif
