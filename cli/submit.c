#include "cli/submit.h"
#include "cli/ehr.h"
#include "cli/session.h"
#include "cli/agent_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <sodium.h>
#include <time.h>

#include "wallet/base/amount.h"
#include "wallet/base/fileio.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/intent.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/registry/registry.h"

void tx_opts_init(struct tx_opts *o)
{
	*o = (struct tx_opts)TX_OPTS_DEFAULTS;
}

int tx_take_timeout(const struct opt_parser *p, const struct opt *o, void *field,
		    const char *val)
{
	unsigned long *timeout_s = field;

	(void)o;
	if (opt_ulong(p, "--timeout", val, 86400, timeout_s))
		return -1;
	if (*timeout_s)
		return 0;
	usage_error(p->cmd, "--timeout must be at least 1 second");
	return -1;
}

int signer_read(struct signer *s, ehr_err *e)
{
	memset(s, 0, sizeof(*s));
	s->index = session_account();
	return session_open(&s->ks, e);
}

int signer_account(struct signer *s, ehr_err *e)
{
	const keystore_account *a;

	if ((a = keystore_account_by_index(s->ks, s->index))) {
		memcpy(s->address, a->address, 20);
		return 0;
	}
	/* an account the header does not list: derive it now */
	return signer_unlock(s, e);
}

int signer_unlock(struct signer *s, ehr_err *e)
{
	int rc;

	if (s->keys)
		return 0;
	/* the wallet signer_read read: unlocked as it is, not read again */
	if (!s->ks && (rc = session_open(&s->ks, e)))
		return rc;
	if ((rc = session_keys(s->ks, NULL, s->index, &s->keys, e)))
		return rc;
	if (!memcmp(s->address, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 20))
		memcpy(s->address, s->keys->address, 20);
	else if (memcmp(s->address, s->keys->address, 20))
		return ehr_fail(e, EHR_EINTEGRITY, "wallet '%s': account %u in the header is not the "
				"account the keys derive", g.wallet, s->index);
	return 0;
}

void signer_close(struct signer *s)
{
	agent_keys_done();
	keystore_keys_free(s->keys);
	keystore_free(s->ks);
	memset(s, 0, sizeof(*s));
}

int target_connect(const struct target *t, chain **c, ehr_err *e)
{
	rpc_options o;
	int rc;

	if ((rc = target_check_transport(t, e)) || (rc = target_rpc_options(&o, e)))
		return rc;
	if ((rc = chain_open_deferred(t->rpc, t->network[0] ? t->network : NULL, t->chain_id, &o, c, e)))
		return rc;
	chain_set_errors(*c, registry_errors, registry_n_errors);
	chain_set_symbol(*c, t->symbol);
	return 0;
}

void chain_words(const chain *c, char *out, size_t cap)
{
	unsigned long long id = (unsigned long long)chain_chain_id(c);

	if (!chain_id_pinned(c))
		snprintf(out, cap, "chain %llu, as the node at %s says (no configured network pins it)", id,
			 rpc_display_url(chain_rpc(c)));
	else if (chain_network(c)[0])
		snprintf(out, cap, "chain %llu, network '%s'", id, chain_network(c));
	else
		snprintf(out, cap, "chain %llu", id);
}

/* After the transactions went out, a wait that failed for another reason
 * than a revert (the receipts could not be read: the node dropped, timed
 * out or answered an error) must name them, or whoever reads the error
 * sends them again. It is the node's failure: the chain refused nothing. */
static int wait_failed(int rc, const uint8_t (*hashes)[32], size_t n, const chain_receipt *r,
		       ehr_err *e)
{
	char h[67];
	size_t i;

	for (i = 0; i < n; i++)
		if (r[i].found && !r[i].status)
			return rc;	/* reverted: the message says which */
	hex_encode0x(hashes[0], 32, h);
	if (strstr(e->msg, h))
		return rc;	/* a timeout names its transaction */
	e->status = EHR_ENODE;
	if (n == 1)
		return ehr_wrap(e, "transaction %s was sent, but its receipt could not be read "
				"(check it before sending again)", h);
	return ehr_wrap(e, "%zu transactions were sent (the first %s), but their receipts could not "
			"be read (check them before sending again)", n, h);
}

uint64_t tx_sign_only_deadline(void)
{
	static uint64_t deadline;

	if (!deadline)
		deadline = (uint64_t)time(NULL) + 24 * 3600;
	return deadline;
}

int signer_sign_digest(struct signer *s, const uint8_t digest[32], uint8_t sig[65], ehr_err *e)
{
	int rc;

	if ((rc = signer_unlock(s, e)) || (rc = eth_sign_hash(s->keys->private_key, digest, sig, e)))
		return rc;
	sig[64] += 27;
	return 0;
}

/* Only calls of the registry can be relayed: a transaction without call
 * data (a coin transfer), to a token, or creating a contract cannot. */
static int relayable(const eth_tx *tx, ehr_err *e)
{
	reg_intent probe = { .data = (uint8_t *)tx->data, .data_len = tx->data_len };
	char words[256];

	if (tx->has_to && u256_is_zero(&tx->value) && tx->data_len >= 4) {
		reg_intent_describe(&probe, words, sizeof(words));
		if (strncmp(words, "call 0x", 7) != 0)
			return 0;
	}
	return ehr_fail(e, EHR_EUSAGE, "--sign-only: this action cannot be relayed (only calls of the "
			"registry that move no native coin can; a coin transfer, a token approval or a "
			"deployment must be sent by its own account)");
}

/* The intents signed so far in this run: a command that sends twice
 * writes both into its one file. */
static cJSON *signed_intents;

/* The file --sign-only names, with every intent of the run. */
static int write_intents(const char *path, ehr_err *e)
{
	cJSON *doc = cJSON_CreateObject();
	char *text;
	int rc;

	if (!doc || !cJSON_AddStringToObject(doc, "format", "ehr-intents/1") ||
	    !cJSON_AddItemReferenceToObject(doc, "intents", signed_intents) ||
	    !(text = cJSON_Print(doc))) {
		cJSON_Delete(doc);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	cJSON_Delete(doc);
	if (!strcmp(path, "-")) {
		rc = fputs(text, stdout) < 0 || fputc('\n', stdout) < 0 || fflush(stdout)
			? ehr_fail(e, EHR_EFAIL, "cannot write to standard output") : 0;
	} else {
		size_t len = strlen(text);

		text[len] = '\n';
		rc = file_write_atomic(path, text, len + 1, 0644, true, e);
		text[len] = '\0';
	}
	free(text);
	return rc ? ehr_wrap(e, "--sign-only %s", path) : 0;
}

/* One transaction as a signed intent, appended to signed_intents. */
static int sign_intent(chain *c, struct signer *s, const eth_tx *tx, ehr_err *e)
{
	reg_intent it = { .chain_id = chain_chain_id(c), .data = (uint8_t *)tx->data, .data_len = tx->data_len,
			  .deadline = tx_sign_only_deadline() };
	uint8_t digest[32], nonce[8];
	cJSON *j;
	int rc;

	memcpy(it.registry, tx->to, 20);
	memcpy(it.signer, s->address, 20);
	/* a random nonce: intents signed offline, in any order, never collide */
	randombytes_buf(nonce, sizeof(nonce));
	u256_from_be(&it.nonce, nonce, sizeof(nonce));
	reg_intent_digest(&it, digest);
	if ((rc = signer_sign_digest(s, digest, it.sig, e)))
		return rc;
	if (!(j = reg_intent_to_json(&it)) || !cJSON_AddItemToArray(signed_intents, j))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	return 0;
}

/* --sign-only: asks, signs each transaction as an intent, writes them
 * all to the file and sends nothing. Returns TX_SIGNED_ONLY. */
static int sign_only(chain *c, struct signer *s, const eth_tx *txs, size_t n, const char *what,
		     const struct tx_opts *o, ehr_err *e)
{
	char question[2048], from[43], chain_text[1200], until[40];
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if ((rc = relayable(&txs[i], e)))
			return rc;
	if ((rc = chain_check_id(c, e)))
		return rc;
	eip55_format(s->address, from);
	chain_words(c, chain_text, sizeof(chain_text));
	time_format(tx_sign_only_deadline(), until, sizeof(until));
	snprintf(question, sizeof(question), "Sign, for anyone to relay until %s (nothing is sent now): %s, "
		 "as %s (%s)?", until, what, from, chain_text);
	if ((rc = confirm(question, e)))
		return rc;
	if (!signed_intents && !(signed_intents = cJSON_CreateArray()))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; i < n; i++)
		if ((rc = sign_intent(c, s, &txs[i], e)))
			return rc;
	if ((rc = write_intents(o->sign_only, e)))
		return rc;
	if (strcmp(o->sign_only, "-"))
		note("signed %zu intent%s into %s; nothing was sent: 'ehr relay %s' submits %s and pays the gas",
		     n, n == 1 ? "" : "s", o->sign_only, o->sign_only, n == 1 ? "it" : "them");
	return ehr_fail(e, TX_SIGNED_ONLY, "signed, not sent");
}

int tx_submit(chain *c, struct signer *s, eth_tx *tx, const char *what,
	      const struct tx_opts *o, uint8_t hash[32], chain_receipt *r, ehr_err *e)
{
	chain_fee_opts fo;
	chain_quote q;
	u256 fee;
	char fee_text[AMOUNT_FMT_MAX], question[2048], from[43], chain_text[1200];
	int rc;

	memset(r, 0, sizeof(*r));
	memset(hash, 0, 32);
	if (o->sign_only)
		return sign_only(c, s, tx, 1, what, o, e);
	chain_fee_opts_default(&fo);
	if ((rc = chain_prepare(c, s->address, tx, &fo, &q, e)))
		return rc;
	u256_sub(&fee, &q.max_cost, &tx->value);
	amount_format(&fee, 18, fee_text, sizeof(fee_text));
	eip55_format(s->address, from);
	chain_words(c, chain_text, sizeof(chain_text));
	snprintf(question, sizeof(question), "%s from %s (%s; fee at most %s %s)?", what, from, chain_text,
		 fee_text, chain_symbol(c));
	if ((rc = confirm(question, e)))
		return rc;
	if ((rc = signer_unlock(s, e)))
		return rc;
	if ((rc = chain_send(c, tx, s->keys->private_key, hash, e)))
		return rc;
	if (o->async)
		return 0;
	if ((rc = chain_wait(c, hash, (unsigned)o->confirmations, (long)o->timeout_s * 1000, r, e)))
		return wait_failed(rc, (const uint8_t (*)[32])hash, 1, r, e);
	return 0;
}

/* Call data per prepare batch: each estimate carries its transaction's
 * data, and nodes refuse request bodies of a few MB. */
#define PREPARE_BATCH_BYTES (768 * 1024)

/* txs_prepare with chain_fee_opts flags (CHAIN_KEEP_GAS...). */
static int prepare_batches(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
			   const uint8_t (*shapes)[16], unsigned fee_flags, u256 *fee, ehr_err *e)
{
	chain_fee_opts fo;
	chain_quote q;
	u256 part;
	size_t i, k, first, bytes;
	int rc = 0;

	memset(fee, 0, sizeof(*fee));
	chain_fee_opts_default(&fo);
	fo.flags = fee_flags;
	for (first = 0; first < n && !rc; first = i) {
		for (i = first, bytes = 0; i < n && (i == first || bytes + txs[i].data_len <= PREPARE_BATCH_BYTES); i++)
			bytes += txs[i].data_len;
		fo.shapes = shapes ? shapes + first : NULL;
		if (!(rc = chain_prepare_many(c, from, txs + first, i - first, &fo, &q, e))) {
			u256 value = { { 0 } };

			for (k = first; k < i; k++)
				u256_add(&value, &value, &txs[k].value);
			u256_sub(&part, &q.max_cost, &value);
			u256_add(fee, fee, &part);
		}
	}
	return rc;
}

int txs_prepare(chain *c, const uint8_t from[20], eth_tx *txs, size_t n,
		const uint8_t (*shapes)[16], u256 *fee, ehr_err *e)
{
	return prepare_batches(c, from, txs, n, shapes, 0, fee, e);
}

int txs_sign(struct signer *s, const eth_tx *txs, size_t n, chain_raw_tx *raw,
	     uint8_t (*hashes)[32], ehr_err *e)
{
	size_t i;
	int rc = 0;

	if ((rc = signer_unlock(s, e)))
		return rc;
	for (i = 0; i < n && !rc; i++) {
		uint8_t *bytes = NULL;

		rc = tx_sign(&txs[i], s->keys->private_key, &bytes, &raw[i].raw_len, hashes[i], e);
		raw[i].raw = bytes;
	}
	return rc;
}

void txs_free_raw(chain_raw_tx *raw, size_t n)
{
	size_t i;

	for (i = 0; raw && i < n; i++)
		free((void *)raw[i].raw);
	free(raw);
}

int tx_submit_many(chain *c, struct signer *s, eth_tx *txs, size_t n, const char *what,
		   const struct tx_opts *o, uint8_t (*hashes)[32], chain_receipt *r, ehr_err *e)
{
	return tx_submit_many_with(c, s, txs, n, 0, what, o, hashes, r, e);
}

int tx_submit_many_with(chain *c, struct signer *s, eth_tx *txs, size_t n, unsigned fee_flags,
			const char *what, const struct tx_opts *o, uint8_t (*hashes)[32],
			chain_receipt *r, ehr_err *e)
{
	chain_raw_tx *raw = NULL;
	u256 fee;
	char fee_text[AMOUNT_FMT_MAX], question[2048], from[43], chain_text[1200];
	int rc;

	memset(r, 0, n * sizeof(*r));
	memset(hashes, 0, n * sizeof(*hashes));
	if (o->sign_only)
		return sign_only(c, s, txs, n, what, o, e);
	if ((rc = prepare_batches(c, s->address, txs, n, NULL, fee_flags, &fee, e)))
		return rc;
	amount_format(&fee, 18, fee_text, sizeof(fee_text));
	eip55_format(s->address, from);
	chain_words(c, chain_text, sizeof(chain_text));
	snprintf(question, sizeof(question), "%s from %s in %zu transaction%s (%s; fee at most %s %s)?", what,
		 from, n, n == 1 ? "" : "s", chain_text, fee_text, chain_symbol(c));
	if ((rc = confirm(question, e)))
		return rc;
	if (!(raw = calloc(n, sizeof(*raw))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if (!(rc = txs_sign(s, txs, n, raw, hashes, e)) && !(rc = chain_send_batch(c, raw, n, e)) && !o->async &&
	    (rc = chain_wait_many(c, (const uint8_t (*)[32])hashes, n, (unsigned)o->confirmations,
				  (long)o->timeout_s * 1000, r, e)))
		rc = wait_failed(rc, (const uint8_t (*)[32])hashes, n, r, e);
	txs_free_raw(raw, n);
	return rc;
}

void print_tx_result(const uint8_t hash[32], const chain_receipt *r, cJSON *extra)
{
	char h[67];

	hex_encode0x(hash, 32, h);
	if (g.json) {
		cJSON *o = extra ? extra : cJSON_CreateObject();

		cJSON_AddStringToObject(o, "tx", h);
		cJSON_AddStringToObject(o, "status", !r->found ? "sent" : r->status ? "confirmed" : "reverted");
		if (r->found) {
			cJSON_AddNumberToObject(o, "block", (double)r->block_number);
			cJSON_AddNumberToObject(o, "gas_used", (double)r->gas_used);
		}
		output_json(o);
		return;
	}
	cJSON_Delete(extra);
	if (g.quiet)
		return;
	if (!r->found)
		printf("%s sent (not waiting)\n", h);
	else
		printf("%s confirmed in block %llu (gas %llu)\n", h, (unsigned long long)r->block_number,
		       (unsigned long long)r->gas_used);
}

