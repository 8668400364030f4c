#include "wallet/registry/sender.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/chain/rpc.h"

/* Sends the batch's transactions in groups that fit in a block (the limit
 * chain_prepare saw), each group mined before the next is sent. */
static int send_in_blocks(struct tx_sender *sd, struct send_batch *b, ehr_err *e)
{
	size_t first, end;
	uint64_t gas;
	int rc = 0;

	for (first = 0; first < b->n && !rc; first = end) {
		for (end = first, gas = 0; end < b->n &&
		     (end == first || !b->block_gas || gas + b->txs[end].gas <= b->block_gas); end++)
			gas += b->txs[end].gas;
		if (!(rc = chain_send_batch(sd->c, b->raw + first, end - first, e)))
			rc = chain_wait_many(sd->c, b->hashes + first, end - first, sd->confirmations,
					     sd->timeout_ms, b->receipts + first, e);
	}
	return rc;
}

static void *sender_run(void *arg)
{
	struct tx_sender *sd = arg;

	pthread_mutex_lock(&sd->lock);
	for (;;) {
		struct send_batch *b;
		ehr_err e = { 0 };
		int rc;

		while (sd->head == sd->tail && !sd->closing)
			pthread_cond_wait(&sd->cond, &sd->lock);
		if (sd->head == sd->tail)
			break;
		b = sd->queue[sd->head % TX_SENDER_QUEUE];
		pthread_mutex_unlock(&sd->lock);
		if (sd->failed)
			rc = ehr_fail(&e, EHR_EFAIL, "not sent: a window before it failed");
		else
			rc = send_in_blocks(sd, b, &e);
		pthread_mutex_lock(&sd->lock);
		b->rc = rc;
		b->err = e;
		b->sent = true;
		sd->failed |= rc != 0;
		sd->head++;
		pthread_cond_broadcast(&sd->cond);
	}
	pthread_mutex_unlock(&sd->lock);
	return NULL;
}

int tx_sender_start(struct tx_sender *sd, chain *c, unsigned confirmations, long timeout_ms,
		    ehr_err *e)
{
	memset(sd, 0, sizeof(*sd));
	sd->c = c;
	sd->confirmations = confirmations;
	sd->timeout_ms = timeout_ms;
	pthread_mutex_init(&sd->lock, NULL);
	pthread_cond_init(&sd->cond, NULL);
	if (pthread_create(&sd->thread, NULL, sender_run, sd))
		return ehr_fail(e, EHR_EFAIL, "cannot start a thread: %s", strerror(errno));
	sd->running = true;
	return 0;
}

void tx_sender_push(struct tx_sender *sd, struct send_batch *b)
{
	pthread_mutex_lock(&sd->lock);
	sd->queue[sd->tail++ % TX_SENDER_QUEUE] = b;
	pthread_cond_broadcast(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
}

void tx_sender_wait(struct tx_sender *sd, struct send_batch *b)
{
	pthread_mutex_lock(&sd->lock);
	while (!b->sent)
		pthread_cond_wait(&sd->cond, &sd->lock);
	pthread_mutex_unlock(&sd->lock);
}

void tx_sender_stop(struct tx_sender *sd)
{
	if (!sd->running)
		return;
	pthread_mutex_lock(&sd->lock);
	sd->closing = true;
	pthread_cond_broadcast(&sd->cond);
	pthread_mutex_unlock(&sd->lock);
	pthread_join(sd->thread, NULL);
	pthread_cond_destroy(&sd->cond);
	pthread_mutex_destroy(&sd->lock);
	sd->running = false;
}

/* Sends raw[0..n) and waits for those the node accepted. */
static int resend(chain *c, chain_raw_tx *raw, size_t n, unsigned confirmations, long timeout_ms,
		  ehr_err *e)
{
	uint8_t (*hashes)[32] = calloc(n, sizeof(*hashes));
	chain_receipt *r = calloc(n, sizeof(*r));
	size_t i, nok = 0;
	int rc = 0;

	if (!hashes || !r) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	chain_send_batch(c, raw, n, NULL);
	for (i = 0; i < n; i++) {
		if (raw[i].status == EHR_ENODE) {
			rc = ehr_fail(e, EHR_ENODE, "%s", raw[i].err.msg);
			goto out;
		}
		if (raw[i].status == EHR_OK)
			memcpy(hashes[nok++], raw[i].hash, 32);
	}
	/* a revert leaves its items to start over, like a dead nonce */
	if (nok && (rc = chain_wait_many(c, (const uint8_t (*)[32])hashes, nok, confirmations,
					 timeout_ms, r, e)) && rc != EHR_ECHAIN)
		goto out;
	rc = 0;
out:
	for (i = 0; r && i < nok; i++)
		chain_receipt_free(&r[i]);
	free(r);
	free(hashes);
	return rc;
}

int journal_resend(chain *c, const journal *jr, unsigned confirmations, long timeout_ms,
		   ehr_err *e)
{
	rpc_request *q = calloc(jr->ntxs ? jr->ntxs : 1, sizeof(*q));
	chain_raw_tx *raw = calloc(jr->ntxs ? jr->ntxs : 1, sizeof(*raw));
	size_t nre = 0, i;
	int rc = 0;

	if (!q || !raw) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < jr->ntxs; i++) {
		char h[67];

		hex_encode0x(jr->txs[i].hash, 32, h);
		q[i].method = "eth_getTransactionReceipt";
		q[i].params = cJSON_CreateArray();
		cJSON_AddItemToArray(q[i].params, cJSON_CreateString(h));
	}
	if (jr->ntxs && ((rc = chain_check_id(c, e)) || (rc = rpc_batch(chain_rpc(c), q, jr->ntxs, e))))
		goto out;
	for (i = 0; i < jr->ntxs; i++)
		if (q[i].status == EHR_OK && cJSON_IsNull(q[i].result)) {
			raw[nre].raw = jr->txs[i].raw;
			raw[nre++].raw_len = jr->txs[i].raw_len;
		}
	if (nre)
		rc = resend(c, raw, nre, confirmations, timeout_ms, e);
out:
	for (i = 0; q && i < jr->ntxs; i++)
		rpc_request_free(&q[i]);
	free(q);
	free(raw);
	return rc;
}
