#include "cli/release_research.h"
#include "cli/ehr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wallet/vault/fhir_deid.h"

/* "3, 4, 9" of the originals that get a copy (want 1) or are withheld (0). */
static void originals_text(const consent_derived *d, int want, char *out, size_t cap)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < d->rel.n && len + 24 < cap; i++)
		if ((d->copy_index[i] != SIZE_MAX) == want)
			len += (size_t)snprintf(out + len, cap - len, "%s%llu", len ? ", " : "",
						(unsigned long long)d->rel.record_ids[i]);
}

/* Seals the copies (sealing needs the patient's public key only), puts
 * them in their store, and anchors them: ins[k].id set. */
static int anchor_copies(chain *c, const uint8_t registry[20], struct signer *s, consent_derived *d,
			 struct ingest_batch *b, const char *what, const struct tx_opts *to, ehr_err *e)
{
	struct tx_opts wait = *to;
	chainstore_plan plan = { 0 };
	chain_receipt *r = NULL;
	uint8_t (*hashes)[32] = NULL;
	eth_tx *txs = NULL;
	size_t i;
	int rc;

	wait.async = false;  /* the release needs the copies' ids */
	if ((rc = ingest_seal_all(b, d->ins, d->n_copies, s->keys->enc_public, NULL,
				  d->on_chain ? NULL : d->store, e)) ||
	    (rc = ingest_plan(s->address, 0, d->ins, d->n_copies, d->on_chain, &plan, e)))
		goto out;
	txs = calloc(plan.ntxs, sizeof(*txs));
	hashes = calloc(plan.ntxs, sizeof(*hashes));
	r = calloc(plan.ntxs, sizeof(*r));
	if (!txs || !hashes || !r) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	for (i = 0; i < plan.ntxs; i++) {
		txs[i].has_to = 1;
		memcpy(txs[i].to, registry, 20);
		txs[i].data = plan.txs[i].data;
		txs[i].data_len = plan.txs[i].len;
	}
	if (!(rc = tx_submit_many(c, s, txs, plan.ntxs, what, &wait, hashes, r, e)))
		rc = ingest_ids(registry, r, plan.ntxs, d->ins, d->n_copies, e);
out:
	for (i = 0; r && i < plan.ntxs; i++)
		chain_receipt_free(&r[i]);
	free(r);
	free(hashes);
	free(txs);
	chainstore_plan_free(&plan);
	return rc;
}

/* releaseDerived, with the question (NULL: asked with the copies' anchoring,
 * so none now). */
static int send_release(chain *c, const uint8_t registry[20], struct signer *s, consent_derived *d,
			const char *question, const struct tx_opts *to, ehr_err *e)
{
	bool yes = g.yes;
	chain_receipt r = { 0 };
	uint8_t hash[32], *data = NULL;
	char what[200];
	eth_tx tx;
	int rc;

	if ((rc = consent_derive_finish(registry, d, &tx, &data, e)))
		return rc;
	snprintf(what, sizeof(what), "Release the de-identified copies in answer to access request %llu",
		 (unsigned long long)d->rel.request_id);
	if (!question)
		g.yes = true;
	rc = tx_submit(c, s, &tx, question ? question : what, to, hash, &r, e);
	g.yes = yes;
	chain_receipt_free(&r);
	free(data);
	return rc;
}

int research_release(chain *c, const uint8_t registry[20], struct signer *s, uint64_t request_id,
		     const char *who_words, const struct tx_opts *to, struct research_outcome *out,
		     ehr_err *e)
{
	struct grant_patient p = { s->address, s->keys->enc_public, s->keys->enc_secret };
	struct ingest_batch batch = { 0 };
	consent_derived d;
	char kept[300], held[300], what[1600];
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = consent_derive_prepare(c, registry, &p, request_id, fhir_deid_current_year(), &d, e)))
		return rc;
	out->grant_id = d.rel.grant_id;
	memcpy(out->requester, d.rel.requester, 20);
	out->withheld = d.n_withheld;
	originals_text(&d, 1, kept, sizeof(kept));
	originals_text(&d, 0, held, sizeof(held));
	snprintf(what, sizeof(what), "Research grant %llu: add de-identified copies of record%s %s to your "
		 "chart (%.400s) and release only their keys to %.300s, in answer to access request %llu%s%s%s",
		 (unsigned long long)d.rel.grant_id, d.n_copies == 1 ? "" : "s", d.n_copies ? kept : "(none)",
		 d.on_chain ? "ciphertext on chain" : d.store, who_words, (unsigned long long)request_id,
		 d.n_withheld ? "; not released (not FHIR, or a copy already): record" : "", d.n_withheld > 1 ? "s " : " ",
		 d.n_withheld ? held : "");
	if (!d.n_copies)
		rc = send_release(c, registry, s, &d, what, to, e);  /* nothing to copy: each withheld */
	else if (!(rc = anchor_copies(c, registry, s, &d, &batch, what, to, e)) &&
		 (rc = send_release(c, registry, s, &d, NULL, to, e)))
		ehr_wrap(e, "the de-identified copies are in your chart but were not released");
	if (!rc)
		out->copies = d.n_copies;
	ingest_batch_free(&batch);
	consent_derived_free(&d);
	return rc;
}
