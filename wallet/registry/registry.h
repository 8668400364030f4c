/* The registry contract (contracts/Registry.sol, described in
 * contracts/README.md) from C: its constants, its errors as sentences,
 * call data for each function and the decoding of its events. Nothing here
 * talks to the node except the views, which take a chain. */
#ifndef EHR_REGISTRY_H
#define EHR_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/base/err.h"
#include "wallet/chain/revert.h"
#include "wallet/base/u256.h"

#define REG_ROLE_PATIENT 1
#define REG_ROLE_PROVIDER 2
#define REG_NAME_MAX 64

#define REG_GRANT_WRITE 1
#define REG_GRANT_ALL 2
#define REG_GRANT_BEARER 4
#define REG_GRANT_MULTI 8
#define REG_GRANT_REVOKED 128

/* Purpose of use (grantAccess, requestGrant). */
#define REG_PURPOSE_TREATMENT 1
#define REG_PURPOSE_EMERGENCY 2
#define REG_PURPOSE_RESEARCH 3
#define REG_PURPOSE_PAYMENT 4

#define REG_INVOICE_OPEN 1
#define REG_INVOICE_PAID 2
#define REG_INVOICE_CANCELLED 3

struct abi_value;

/* Calls view sig of the registry with args (a tuple, taken and freed) and
 * decodes its answer as types into *res (abi_free it). No code at the
 * address: EHR_EUSAGE naming it; an answer that does not parse:
 * EHR_EINTEGRITY. */
int registry_view(chain *c, const uint8_t registry[20], const char *sig, struct abi_value *args,
		  const char *types, struct abi_value **res, ehr_err *e);

/* registry_view, then each answer into the place the next argument after
 * e points at, as scanf does, by the answer's type in types: address and
 * bytes32 into uint8_t[20] and uint8_t[32], uint8 into uint8_t, uint64
 * and uint256 into uint64_t (the value must fit), bool into int. An
 * answer that does not fit: EHR_EINTEGRITY "the registry answered NAME
 * with nonsense" (NAME: sig up to its parenthesis); places already
 * written stay. types holds only those five, unnested. */
int registry_view_read(chain *c, const uint8_t registry[20], const char *sig, struct abi_value *args,
		       const char *types, ehr_err *e, ...);

/* Call data of sig with args (taken and freed; NULL: out of memory). */
int registry_encode(const char *sig, struct abi_value *args, uint8_t **data, size_t *len, ehr_err *e);

/* Call data of sig, a function of (uint256 id, uint256[] recordIds,
 * bytes[] keys) as addGrantKeys, release and approveGrant are: the n
 * records' keys of sealed_len bytes each, or none when sealed is NULL. */
int registry_encode_keyed(const char *sig, uint64_t id, const uint64_t *record_ids,
			  const uint8_t *const *sealed, size_t sealed_len, size_t n,
			  uint8_t **data, size_t *len, ehr_err *e);

/* uint256[] of ids, and bytes[] of n keys of len bytes each (NULL when
 * memory runs out). */
struct abi_value *registry_id_array(const uint64_t *ids, size_t n);
struct abi_value *registry_key_array(const uint8_t *const *keys, size_t len, size_t n);

/* The ids of a decoded uint256[] into *ids (calloc'd, NULL when there are
 * none; the caller frees it) and *n; -1 when arr is not an array of
 * 64-bit ids or memory runs out (*ids may then be set: free it). */
int registry_ids_of(const struct abi_value *arr, uint64_t **ids, size_t *n);

/* An indexed address topic (12 zero bytes, then the address) and an
 * indexed uint256 topic that fits 64 bits; -1 otherwise. */
int registry_topic_address(const uint8_t topic[32], uint8_t out[20]);
int registry_topic_u64(const uint8_t topic[32], uint64_t *out);

/* A contract's events: their Solidity signatures and, computed on first
 * use, their topics 0. The registry's own and the consent events share
 * this. */
typedef struct registry_events {
	const char *const *sigs;
	size_t count;
	uint8_t (*topics)[32];       /* count entries */
	int ready;
} registry_events;

/* The i-th event's signature and topic 0; NULL past the end. */
const char *registry_events_signature(const registry_events *t, size_t i);
const uint8_t *registry_events_topic(registry_events *t, size_t i);
/* EHR_EINTEGRITY "a SIGNATURE event in block N does not parse" for log,
 * t's event number kind. */
int registry_events_malformed(const registry_events *t, int kind, const chain_log *log, ehr_err *e);

/* Which of t's events log is (by topic 0, emitted at the address
 * registry), or -1 when none. */
int registry_events_match(registry_events *t, const chain_log *log, const uint8_t registry[20]);

/* The registry's custom errors as plain sentences, for chain_set_errors. */
extern const revert_error registry_errors[];
extern const size_t registry_n_errors;

/* Call data (malloc'd into *data, the caller frees it). */
int registry_call_register(const uint8_t enc_key[32], const char *name, uint8_t role,
			   uint8_t **data, size_t *len, ehr_err *e);

/* What accountOf says; registered is 0 for an account that never called
 * register (all zero). The name is cut to 64 bytes of printable ASCII
 * (text_clean with TEXT_ASCII: every other byte is '?'). */
typedef struct registry_account {
	int registered;
	uint8_t enc_key[32];
	uint8_t role;
	char name[REG_NAME_MAX + 1];
} registry_account;

int registry_account_of(chain *c, const uint8_t registry[20], const uint8_t account[20],
			registry_account *out, ehr_err *e);

/* accountOf for n accounts in one batch request: out[i] and ok[i] (0 when
 * that one call failed or did not parse; out[i] is then empty). Fails only
 * when the node did not answer the batch. */
int registry_accounts_of(chain *c, const uint8_t registry[20], const uint8_t (*accounts)[20], size_t n,
			 registry_account *out, int *ok, ehr_err *e);

/* A record to anchor (NewRecord in the contract). meta is the envelope's
 * prefix (header and sealed metadata message: envelope_prefix_len), so a
 * reader holding the data key lists titles without fetching the record. */
typedef struct registry_record_in {
	uint8_t content_hash[32];
	uint64_t size;
	const char *locator;
	const uint8_t *patient_key;
	size_t patient_key_len;
	const uint8_t *author_key;    /* NULL/0 when the patient writes */
	size_t author_key_len;
	const uint8_t *meta;
	size_t meta_len;
} registry_record_in;

/* A piece of chain-stored ciphertext (Chunk in the contract). */
typedef struct registry_chunk {
	uint8_t content_hash[32];
	uint32_t index;
	uint32_t count;
	const uint8_t *data;
	size_t len;
} registry_chunk;

/* anchorRecords(patient, grantId, rs) when nchunks is 0, else
 * storeAndAnchor(patient, grantId, chunks, rs); storeChunks(chunks) when
 * nrecords is 0. */
int registry_call_anchor(const uint8_t patient[20], uint64_t grant_id,
			 const registry_chunk *chunks, size_t nchunks,
			 const registry_record_in *rs, size_t nrecords,
			 uint8_t **data, size_t *len, ehr_err *e);

/* eraseRecord(id). */
int registry_call_erase(uint64_t record_id, uint8_t **data, size_t *len, ehr_err *e);

/* What recordOf says: exists is 0 for an id never anchored. */
typedef struct registry_record_state {
	int exists;
	uint8_t patient[20];
	uint64_t anchored_block;
	int erased;
} registry_record_state;

int registry_record_of(chain *c, const uint8_t registry[20], uint64_t record_id,
		       registry_record_state *out, ehr_err *e);

/* A RecordAnchored event, decoded. The byte fields point into *owner,
 * which the caller frees with abi_free (it may outlive the chain_log). */
typedef struct registry_record {
	uint64_t id;
	uint8_t patient[20];
	uint8_t author[20];
	uint64_t grant_id;
	uint8_t content_hash[32];
	uint64_t size;
	char locator[512];
	const uint8_t *patient_key;
	size_t patient_key_len;
	const uint8_t *author_key;
	size_t author_key_len;
	const uint8_t *meta;
	size_t meta_len;
	uint64_t block;
	uint8_t tx_hash[32];
	struct abi_value *owner;
} registry_record;

/* topic 0 of each event the registry emits */
enum registry_event {
	REG_EV_KEY_REGISTERED, REG_EV_RECORD_ANCHORED, REG_EV_RECORD_ERASED, REG_EV_CHUNK_STORED,
	REG_EV_GRANT_ISSUED, REG_EV_GRANT_KEYS_ADDED, REG_EV_GRANT_REVOKED, REG_EV_BEARER_REDEEMED,
	REG_EV_ACCESS_LOGGED, REG_EV_INVOICE_ISSUED, REG_EV_INVOICE_PAID, REG_EV_INVOICE_CANCELLED,
	REG_EV_COUNT
};

/* The event's Solidity signature and its topic 0. */
const char *registry_event_signature(enum registry_event ev);
const uint8_t *registry_event_topic(enum registry_event ev);

/* Which registry event log is (by topic 0 and the registry's address), or
 * -1 when it is none of them. */
int registry_event_of(const chain_log *log, const uint8_t registry[20]);

/* Any registry event, decoded (events come from the chain: anyone can
 * call the registry, so a log that does not parse is EHR_EINTEGRITY). The
 * fields a kind does not have stay zero. Free with registry_event_free. */
typedef struct registry_event_data {
	enum registry_event kind;
	uint8_t patient[20];        /* topic 1; the account for KeyRegistered,
	                               the sender for ChunkStored */
	uint64_t id;                /* topic 2: record, grant or invoice id */
	uint8_t party[20];          /* topic 3: author, grantee, redeemer,
	                               accessor or issuer */
	uint64_t block;
	uint64_t log_index;
	uint8_t tx_hash[32];
	uint64_t expiry;            /* GrantIssued */
	uint8_t flags;              /* GrantIssued */
	uint8_t purpose;            /* GrantIssued: REG_PURPOSE_*, 0 for grant() */
	uint64_t *record_ids;       /* GrantIssued, GrantKeysAdded, AccessLogged */
	size_t n_ids;
	uint8_t token[20];          /* invoices: zero for the native coin */
	u256 amount;
	uint64_t due;
	const uint8_t *memo;        /* InvoiceIssued: sealed to the patient */
	size_t memo_len;
	uint8_t enc_key[32];        /* KeyRegistered */
	uint8_t role;
	char name[REG_NAME_MAX + 1];
	registry_record record;     /* RecordAnchored */
	struct abi_value *owner;    /* holds what the pointers point into */
} registry_event_data;

int registry_decode_event(const chain_log *log, const uint8_t registry[20],
			  registry_event_data *out, ehr_err *e);
void registry_event_free(registry_event_data *ev);

/* The i-th sealed key of a GrantIssued or GrantKeysAdded event; NULL past
 * the end (an event that authorises only carries no key). */
const uint8_t *registry_event_sealed_key(const registry_event_data *ev, size_t i, size_t *len);

/* Grants: call data. sealed_keys[i] (sealed_len bytes each) goes with
 * record_ids[i]. */
int registry_call_grant(const uint8_t grantee[20], uint64_t expiry, uint8_t flags,
			const uint64_t *record_ids, const uint8_t *const *sealed_keys,
			size_t sealed_len, size_t n, uint8_t **data, size_t *len, ehr_err *e);
int registry_call_add_grant_keys(uint64_t grant_id, const uint64_t *record_ids,
				 const uint8_t *const *sealed_keys, size_t sealed_len, size_t n,
				 uint8_t **data, size_t *len, ehr_err *e);
int registry_call_revoke(uint64_t grant_id, uint8_t **data, size_t *len, ehr_err *e);
int registry_call_redeem(uint64_t grant_id, const uint8_t sig[65], uint8_t **data, size_t *len,
			 ehr_err *e);
int registry_call_log_access(uint64_t grant_id, const uint64_t *record_ids, size_t n,
			     uint8_t **data, size_t *len, ehr_err *e);

/* What grantOf says, and whether it is active now (isActive). */
typedef struct registry_grant {
	int exists;
	uint8_t patient[20];
	uint8_t grantee[20];
	uint64_t expiry;
	uint8_t flags;              /* REG_GRANT_*, REG_GRANT_REVOKED once revoked */
	uint64_t issued_block;
	uint8_t redeemer[20];
	int active;
} registry_grant;

int registry_grant_of(chain *c, const uint8_t registry[20], uint64_t grant_id,
		      registry_grant *out, ehr_err *e);

/* canAccess(grantId, account). */
int registry_can_access(chain *c, const uint8_t registry[20], uint64_t grant_id,
			const uint8_t account[20], int *yes, ehr_err *e);

/* redeemDigest(grantId, redeemer): what a bearer key signs, raw. */
int registry_redeem_digest(chain *c, const uint8_t registry[20], uint64_t grant_id,
			   const uint8_t redeemer[20], uint8_t digest[32], ehr_err *e);

/* Decodes a RecordAnchored log; EHR_EINTEGRITY when it does not parse
 * (events come from the chain: anyone can call the registry). */
int registry_decode_record(const chain_log *log, registry_record *out, ehr_err *e);

#endif
