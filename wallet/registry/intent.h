/* Relayed actions (contracts/README.md, "Relayed actions"): a call of the
 * registry signed by its account as an EIP-712 intent, which anyone may
 * submit with execute() and pay the gas of. Here: the intent's digest, its
 * execute() call data, what its call does in words (decoded from the call
 * itself, never from text the file carries), and its JSON form (the file
 * `--sign-only` writes and `ehr relay` reads). Signing is the caller's
 * (the key stays with the signer). */
#ifndef EHR_INTENT_H
#define EHR_INTENT_H

#include <stddef.h>
#include <stdint.h>

#include <cJSON.h>

#include "wallet/base/err.h"
#include "wallet/chain/chain.h"
#include "wallet/base/u256.h"

/* The registry's EIP-712 domain: name and version. */
#define REG_INTENT_NAME "ehr registry"
#define REG_INTENT_VERSION "1"
#define REG_INTENT_TYPE "Intent(address signer,bytes data,uint256 nonce,uint256 deadline)"
/* An intent's call data is at most this (a record add's chunks go in
 * separate intents when larger). */
#define REG_INTENT_DATA_MAX (1u << 20)

typedef struct {
	uint64_t chain_id;
	uint8_t registry[20];   /* the EIP-712 verifying contract */
	uint8_t signer[20];
	uint8_t *data;          /* the registry call, malloc'd */
	size_t data_len;
	u256 nonce;             /* any number the signer has not used */
	uint64_t deadline;      /* unix seconds: the last second it may land */
	uint8_t sig[65];        /* r || s || v, v 27 or 28 */
} reg_intent;

void reg_intent_free(reg_intent *it);

/* The digest the signer signs: keccak256(0x1901 || domain || hashStruct). */
void reg_intent_digest(const reg_intent *it, uint8_t out[32]);

/* Whether sig is the signer's signature over the intent: 0, or
 * EHR_EINTEGRITY "the intent's signature is not its signer's (a field was
 * changed after signing)". */
int reg_intent_check(const reg_intent *it, ehr_err *e);

/* Whether the registry has seen the intent's nonce of its signer land
 * (intentUsed), into *used. */
int reg_intent_used(chain *c, const uint8_t registry[20], const reg_intent *it, int *used, ehr_err *e);

/* The call data of execute(signer, data, nonce, deadline, signature). */
int reg_intent_execute_call(const reg_intent *it, uint8_t **out, size_t *len, ehr_err *e);

/* What the call does, in words ("revoke grant 4", "pay invoice 2 (with a
 * token permit)"), decoded from it->data; numbers and addresses only, no
 * text from the call but a register's name, sanitised. A call ehr does not
 * know: "call 0x12345678 of the registry". */
void reg_intent_describe(const reg_intent *it, char *out, size_t cap);

/* The invoice the intent pays (pay or payWithPermit) into *id: 0, or -1
 * when its call pays none. */
int reg_intent_invoice_id(const reg_intent *it, uint64_t *id);

/* The intent as a JSON object: "what" (reg_intent_describe), chain_id,
 * registry, signer, nonce (decimal string), deadline (unix seconds) and
 * deadline_utc, max_fee ("0": nothing is reimbursed, the relayer pays the
 * gas), data and signature in 0x-hex. NULL when memory runs out. */
cJSON *reg_intent_to_json(const reg_intent *it);

/* Reads an object reg_intent_to_json wrote (what and deadline_utc are
 * ignored: they are re-derived). A missing or malformed field:
 * EHR_EUSAGE naming it. */
int reg_intent_from_json(const cJSON *o, reg_intent *it, ehr_err *e);

#endif
