/* Sending signed transactions in the background, and again after a
 * crash (upload's windows and its journal).
 *
 * The sender is a thread with its own connection to the node that sends
 * queued batches in order and waits for their receipts, so that the node
 * mines one batch while the caller prepares and signs the next. It never
 * has more gas in flight than a block holds: a node that mines whatever
 * is pending when a transaction arrives (anvil) leaves what did not fit
 * in the block pending until the next transaction comes, and at the end
 * of a job none comes. Once a batch fails, the ones queued after it are
 * not sent (their nonces would follow a gap). */
#ifndef EHR_SENDER_H
#define EHR_SENDER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/chain/chain.h"
#include "wallet/vault/journal.h"

/* One batch of signed transactions, in nonce order, and what became of it.
 * The caller fills the first part and keeps it in place until
 * tx_sender_wait returns. */
struct send_batch {
	chain_raw_tx *raw;
	const uint8_t (*hashes)[32];
	const eth_tx *txs;          /* their gas */
	size_t n;
	uint64_t block_gas;         /* what a block holds; 0: unknown */
	chain_receipt *receipts;    /* n, filled by the sender */
	/* the sender's: receipts, or why there are none */
	bool sent;
	int rc;
	ehr_err err;
};

/* Batches sent or queued but not yet waited for, at most. */
#define TX_SENDER_QUEUE 4

struct tx_sender {
	chain *c;
	unsigned confirmations;
	long timeout_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct send_batch *queue[TX_SENDER_QUEUE];
	size_t head, tail;          /* the next to send; the next free place */
	bool closing, failed, running;
};

/* Starts the thread on c (which it then owns the use of); each batch is
 * waited for with confirmations and timeout_ms. EHR_EFAIL when no thread
 * can be made. */
int tx_sender_start(struct tx_sender *sd, chain *c, unsigned confirmations, long timeout_ms,
		    ehr_err *e);

/* Queues b (at most TX_SENDER_QUEUE not yet waited for). */
void tx_sender_push(struct tx_sender *sd, struct send_batch *b);

/* Returns once b is sent and its receipts are in (or it failed). */
void tx_sender_wait(struct tx_sender *sd, struct send_batch *b);

/* Sends what is queued, then stops the thread (nothing when not started). */
void tx_sender_stop(struct tx_sender *sd);

/* Sends again, the same bytes, every transaction of jr the node has no
 * receipt for, and waits for those it accepts. A refusal or a revert is
 * not an error (whatever the transaction carried starts over); a node
 * that cannot be reached is EHR_ENODE. */
int journal_resend(chain *c, const journal *jr, unsigned confirmations, long timeout_ms,
		   ehr_err *e);

#endif
