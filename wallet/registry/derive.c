#include "wallet/registry/derive.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wallet/registry/records.h"
#include "wallet/vault/fhir.h"
#include "wallet/vault/fhir_deid.h"

#define DEID_KEY_TAG "ehr.research.deid.v1"

/* The grant's pseudonym key: BLAKE2b keyed with the patient's X25519
 * secret over a tag, the registry and the grant id. Deterministic, so a
 * researcher's second request under the same grant gets the same
 * pseudonyms; unlinkable across grants without the secret. */
static void grant_deid_key(const uint8_t secret[32], const uint8_t registry[20], uint64_t grant_id,
			   uint8_t out[FHIR_DEID_KEY_BYTES])
{
	crypto_generichash_state st;
	uint8_t id[8];
	int i;

	for (i = 0; i < 8; i++)
		id[i] = (uint8_t)(grant_id >> (56 - 8 * i));
	crypto_generichash_init(&st, secret, 32, FHIR_DEID_KEY_BYTES);
	crypto_generichash_update(&st, (const uint8_t *)DEID_KEY_TAG, sizeof(DEID_KEY_TAG) - 1);
	crypto_generichash_update(&st, registry, 20);
	crypto_generichash_update(&st, id, sizeof(id));
	crypto_generichash_final(&st, out, FHIR_DEID_KEY_BYTES);
	sodium_memzero(&st, sizeof(st));
}

/* The copies go where the first dir:-stored original is ("dir:PATH/HASH"
 * gives "dir:PATH"), so a researcher who can read the originals' store can
 * read them; otherwise on chain. */
static void choose_store(consent_derived *d, const registry_record *r)
{
	const char *slash;

	if (!d->on_chain || strncmp(r->locator, "dir:", 4) || !(slash = strrchr(r->locator, '/')) ||
	    (size_t)(slash - r->locator) >= sizeof(d->store) || slash - r->locator <= 4)
		return;
	snprintf(d->store, sizeof(d->store), "%.*s", (int)(slash - r->locator), r->locator);
	d->on_chain = false;
}

/* Whether the record, by its metadata, can be de-identified: FHIR JSON of
 * a sane size that is not itself a copy made here. */
static bool derivable(const envelope_meta *meta)
{
	return meta->resource_type[0] && (meta->size == ENVELOPE_SIZE_UNKNOWN || meta->size <= FHIR_JSON_MAX) &&
	       strncmp(meta->file_name, DERIVE_FILE_PREFIX, strlen(DERIVE_FILE_PREFIX));
}

/* The plaintext of r (checked against its anchor) into a malloc'd buffer. */
static int open_record(chain *c, const uint8_t registry[20], const registry_record *r, const uint8_t *key,
		       char **json, size_t *len, ehr_err *e)
{
	int ct = -1, pt = -1, rc;
	struct stat st;

	*json = NULL;
	if (!(rc = records_fetch_verified(c, registry, r, &ct, e)) && !(rc = records_tmpfile_small(&pt, e)) &&
	    !(rc = envelope_open(ct, pt, key, r->content_hash, NULL, NULL, e))) {
		if (fstat(pt, &st) || (uint64_t)st.st_size > FHIR_JSON_MAX ||
		    !(*json = malloc((size_t)st.st_size + 1)) ||
		    pread(pt, *json, (size_t)st.st_size, 0) != (ssize_t)st.st_size) {
			free(*json);
			*json = NULL;
			rc = ehr_fail(e, EHR_EFAIL, "cannot read record %llu back", (unsigned long long)r->id);
		} else {
			*len = (size_t)st.st_size;
		}
	}
	if (ct >= 0)
		close(ct);
	if (pt >= 0)
		close(pt);
	return rc;
}

/* The de-identified copy of json as a new incoming record of d's. */
static int add_copy(consent_derived *d, size_t i, const char *json, size_t len, const envelope_meta *meta,
		    const uint8_t *deid_key, int this_year, ehr_err *e)
{
	struct incoming *in;
	char *clean = NULL;
	size_t n = 0;
	int rc;

	if ((rc = fhir_deidentify(json, len, deid_key, this_year, &clean, &n, e))) {
		/* claimed FHIR yet not a resource: nothing safe to send */
		d->n_withheld++;
		return 0;
	}
	rc = ingest_append_json(&d->ins, &d->n_copies, &d->cap, clean, n, &in, e);
	sodium_memzero(clean, n);
	free(clean);
	if (rc)
		return rc;
	/* nothing of the original's title, type words or file name: they may name the patient */
	snprintf(in->meta.resource_type, sizeof(in->meta.resource_type), "%s", meta->resource_type);
	snprintf(in->meta.type, sizeof(in->meta.type), "%s", meta->resource_type);
	snprintf(in->meta.title, sizeof(in->meta.title), DERIVE_TITLE_PREFIX "%s", meta->resource_type);
	snprintf(in->meta.media_type, sizeof(in->meta.media_type), "application/fhir+json");
	snprintf(in->meta.file_name, sizeof(in->meta.file_name), DERIVE_FILE_PREFIX "%llu.json",
		 (unsigned long long)d->rel.record_ids[i]);
	d->copy_index[i] = d->n_copies - 1;
	return 0;
}

/* Original i: withheld, or de-identified into a copy. */
static int derive_one(chain *c, const uint8_t registry[20], const struct grant_patient *p,
		      consent_derived *d, size_t i, uint8_t *dkey, const uint8_t *deid_key, int this_year,
		      ehr_err *e)
{
	registry_record r;
	envelope_meta meta;
	char *json = NULL;
	size_t len = 0;
	int erased, rc;

	d->copy_index[i] = SIZE_MAX;
	envelope_meta_init(&meta);
	if ((rc = records_get(c, registry, d->rel.record_ids[i], &r, &erased, e)))
		return rc;
	if (!(rc = records_data_key(&r, p->address, p->enc_public, p->enc_secret, dkey, e)) &&
	    !(rc = envelope_read_meta_mem(r.meta, r.meta_len, dkey, &meta, e))) {
		if (!derivable(&meta)) {
			d->n_withheld++;
		} else if (!(rc = open_record(c, registry, &r, dkey, &json, &len, e))) {
			choose_store(d, &r);
			rc = add_copy(d, i, json, len, &meta, deid_key, this_year, e);
			sodium_memzero(json, len);
			free(json);
		}
	}
	if (rc)
		ehr_wrap(e, "record %llu", (unsigned long long)r.id);
	records_free(&r);
	return rc;
}

int consent_derive_prepare(chain *c, const uint8_t registry[20], const struct grant_patient *p,
			   uint64_t request_id, int this_year, consent_derived *out, ehr_err *e)
{
	uint8_t *deid_key = NULL, *dkey = NULL;
	size_t i, n;
	int rc;

	memset(out, 0, sizeof(*out));
	out->on_chain = true;
	if ((rc = consent_release_prepare(c, registry, p, request_id, &out->rel, e)))
		return rc;
	if (out->rel.purpose != REG_PURPOSE_RESEARCH) {
		rc = ehr_fail(e, EHR_EUSAGE, "grant %llu is not a research grant: release its keys",
			      (unsigned long long)out->rel.grant_id);
		goto out;
	}
	n = out->rel.n;
	out->derived_ids = calloc(n, sizeof(*out->derived_ids));
	out->copy_index = calloc(n, sizeof(*out->copy_index));
	deid_key = sodium_malloc(FHIR_DEID_KEY_BYTES);
	dkey = sodium_malloc(ENVELOPE_KEY_BYTES);
	if (!out->derived_ids || !out->copy_index || !deid_key || !dkey) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	grant_deid_key(p->enc_secret, registry, out->rel.grant_id, deid_key);
	for (i = 0; i < n && !rc; i++)
		rc = derive_one(c, registry, p, out, i, dkey, deid_key, this_year, e);
out:
	if (deid_key)
		sodium_free(deid_key);
	if (dkey)
		sodium_free(dkey);
	if (rc)
		consent_derived_free(out);
	return rc;
}

int consent_derive_finish(const uint8_t registry[20], consent_derived *d, eth_tx *tx, uint8_t **data,
			  ehr_err *e)
{
	size_t n = d->rel.n, i;
	uint8_t (*sealed)[ENVELOPE_SEALED_KEY_BYTES] = calloc(n ? n : 1, sizeof(*sealed));
	const uint8_t **keys = calloc(n ? n : 1, sizeof(*keys));
	int rc = 0;

	*data = NULL;
	memset(tx, 0, sizeof(*tx));
	tx->has_to = 1;
	memcpy(tx->to, registry, 20);
	if (!sealed || !keys)
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
	for (i = 0; !rc && i < n; i++) {
		const struct incoming *in;

		keys[i] = sealed[i];
		d->derived_ids[i] = 0;
		if (d->copy_index[i] == SIZE_MAX)
			continue;
		in = &d->ins[d->copy_index[i]];
		if (!in->id || !in->key)
			rc = ehr_fail(e, EHR_EFAIL, "the copy of record %llu was not anchored",
				      (unsigned long long)d->rel.record_ids[i]);
		else
			rc = envelope_key_seal(in->key, d->rel.to.acct.enc_key, sealed[i], e);
		d->derived_ids[i] = in->id;
	}
	if (!rc && !(rc = consent_call_release_derived(d->rel.request_id, d->rel.record_ids, d->derived_ids,
							keys, n, data, &tx->data_len, e)))
		tx->data = *data;
	if (sealed)
		sodium_memzero(sealed, (n ? n : 1) * sizeof(*sealed));
	free(sealed);
	free(keys);
	return rc;
}

void consent_derived_free(consent_derived *d)
{
	size_t i;

	for (i = 0; i < d->n_copies; i++)
		ingest_free(&d->ins[i]);
	free(d->ins);
	free(d->derived_ids);
	free(d->copy_index);
	consent_release_free(&d->rel);
	memset(d, 0, sizeof(*d));
}
