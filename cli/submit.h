/* Sending a transaction the way every command does: prepare (nonce, fees,
 * gas and the funds check in one batch), show what it costs and ask (or
 * --yes), unlock only then, sign, send, and wait for the receipt (or
 * return the hash at once with --async). */
#ifndef EHR_SUBMIT_H
#define EHR_SUBMIT_H

#include <stdbool.h>

#include <cJSON.h>

#include "cli/opt.h"
#include "cli/target.h"
#include "keystore/keystore.h"
#include "wallet/chain/chain.h"

/* The options every sending command takes: TX_OPTS(struct args, tx) in its
 * table binds them to the struct tx_opts field tx (set by tx_opts_init).
 * The _IN forms say in which usage lines they stand (struct opt's forms). */
#define TX_WAIT_OPTS_IN(S, f, in) \
	{ "sign-only", 0, "FILE", OV_FILE, "sign the action as an intent into FILE for someone to relay; send nothing", \
	  OPT_STR(S, f.sign_only), .forms = (in) }, \
	TX_WAIT_ONLY_OPTS_IN(S, f, in)
/* The waiting options alone, for a command that cannot be signed only
 * (ehr relay). */
#define TX_WAIT_ONLY_OPTS_IN(S, f, in) \
	{ "confirmations", 0, "N", OV_NONE, "wait for N confirmations (default 1)", \
	  OPT_ULONG(S, f.confirmations, 1000), .forms = (in) }, \
	{ "timeout", 0, "SECONDS", OV_NONE, "give up waiting after SECONDS (default 120)", \
	  OPT_CALL(S, f.timeout_s, unsigned long, tx_take_timeout), .forms = (in) }
#define TX_OPTS_IN(S, f, in) TX_WAIT_OPTS_IN(S, f, in), \
	{ "async", 0, NULL, OV_NONE, "print the transaction hash and do not wait", \
	  OPT_FLAG(S, f.async), .forms = (in) }
#define TX_WAIT_OPTS(S, f) TX_WAIT_OPTS_IN(S, f, 0)
#define TX_OPTS(S, f) TX_OPTS_IN(S, f, 0)

struct tx_opts {
	const char *sign_only;  /* --sign-only FILE ('-': standard output), else NULL */
	unsigned long confirmations;
	unsigned long timeout_s;
	bool async;
};

/* The defaults: one confirmation, 120 seconds, waiting. */
#define TX_OPTS_DEFAULTS { .confirmations = 1, .timeout_s = 120, .async = false }

void tx_opts_init(struct tx_opts *o);

/* --timeout SECONDS: 1 to 86400 (an opt_take_fn for TX_WAIT_OPTS). */
opt_take_fn tx_take_timeout;

/* The account that signs: its address is known from the wallet header
 * without the passphrase; the keys only after signer_unlock. */
struct signer {
	keystore *ks;
	keystore_keys *keys;
	uint32_t index;
	uint8_t address[20];
};

/* signer_read reads the selected wallet file (its header; the account
 * index from --account): the one read of it in a run (struct ctx's
 * CTX_WALLET). signer_account finds the account's address in the header,
 * else derives it (asking for the passphrase). signer_unlock gets the keys
 * (session_keys: from the unlock agent when one holds this wallet, else
 * asking for the passphrase if not yet), checking them against the
 * header's address. */
int signer_read(struct signer *s, ehr_err *e);
int signer_account(struct signer *s, ehr_err *e);
int signer_unlock(struct signer *s, ehr_err *e);
void signer_close(struct signer *s);

/* Opens the chain of t without asking anything yet: the chain id is asked
 * with the chain's first request (tx_submit: in the batch that prepares
 * the transaction) and checked against the network's before any answer is
 * used or anything signed (chain_open_deferred). A command that needs
 * chain_chain_id or chain_rpc before any other call on the chain calls
 * chain_check_id first, and reports its failure as this one's. */
int target_connect(const struct target *t, chain **c, ehr_err *e);

/* The chain a confirmation says a transaction is signed for, into out:
 * "chain 31337, network 'local'"; when no configured network pins the
 * chain id (a --rpc URL or $EHR_RPC_URL of no configured network), that
 * only the node says so: "chain 31337, as the node at URL says (no
 * configured network pins it)". Call after the chain id is checked. */
void chain_words(const chain *c, char *out, size_t cap);

/* What tx_submit and tx_submit_many return (in e->status too) when
 * --sign-only wrote the signed intents and sent nothing: not an exit
 * status; report() says nothing for it and main exits 0. A command stops
 * there, as it would after a failure, keeping what it made for the
 * relayed call (a record's stored file). */
#define TX_SIGNED_ONLY 64

/* --sign-only: the last second a signed intent (and a token permit signed
 * with it) may land: 24 hours after the first call of the run. */
uint64_t tx_sign_only_deadline(void);

/* The signer's recoverable signature (v 27 or 28) of a 32-byte digest,
 * unlocking first if needed. */
int signer_sign_digest(struct signer *s, const uint8_t digest[32], uint8_t sig[65], ehr_err *e);

/* Prepares, confirms ("<what> ... ? [y/N]"), signs and sends tx, and waits
 * as o says. With --async *r is left zeroed (found = 0). */
int tx_submit(chain *c, struct signer *s, eth_tx *tx, const char *what,
	      const struct tx_opts *o, uint8_t hash[32], chain_receipt *r, ehr_err *e);

/* tx_submit for n transactions of one sender: prepared in batches, one
 * confirmation for all of them (with the total fee), consecutive nonces,
 * signed after the unlock, sent in batch requests, receipts polled in
 * batches. hashes and r have n entries; free each r[i]. A hash stays all
 * zero until its transaction is signed, and nothing unsigned is sent: on
 * failure, all-zero hashes mean nothing went out (record add relies on it
 * to take back what it stored). */
int tx_submit_many(chain *c, struct signer *s, eth_tx *txs, size_t n, const char *what,
		   const struct tx_opts *o, uint8_t (*hashes)[32], chain_receipt *r, ehr_err *e);

/* tx_submit_many with chain_fee_opts flags: CHAIN_KEEP_GAS when each
 * transaction's gas is given (one that cannot be estimated before an
 * earlier one of the batch is mined, as a payment after its approve). */
int tx_submit_many_with(chain *c, struct signer *s, eth_tx *txs, size_t n, unsigned fee_flags,
			const char *what, const struct tx_opts *o, uint8_t (*hashes)[32],
			chain_receipt *r, ehr_err *e);

/* The stages of tx_submit_many, for callers that must do something
 * between signing and sending (upload journals the signed bytes first):
 * prepare the transactions of from (nonces, fees, gas, sharing estimates
 * between transactions of one shape when shapes is not NULL, see
 * chain_fee_opts; the total fee in *fee; no key needed), sign (unlocking if
 * needed; raw[i].raw malloc'd, freed with txs_free_raw). */
int txs_prepare(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
		const uint8_t (*shapes)[16], u256 *fee, ehr_err *e);
int txs_sign(struct signer *s, const eth_tx *txs, size_t n, chain_raw_tx *raw,
	     uint8_t (*hashes)[32], ehr_err *e);
void txs_free_raw(chain_raw_tx *raw, size_t n);

/* Prints a sent transaction: hash, and block and gas once confirmed; with
 * --json one object, extra's fields first (extra is consumed). */
void print_tx_result(const uint8_t hash[32], const chain_receipt *r, cJSON *extra);

#endif
