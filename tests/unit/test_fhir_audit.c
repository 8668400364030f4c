/* The FHIR AuditEvent/Consent writer (wallet/registry/fhir_audit.h), in
 * libsodium's .exp style: a history built by hand (every kind of row, a
 * revoked grant, an expired write grant over all records, a titled record,
 * a named and an unnamed account) is written as a Bundle to
 * tests/unit/test_fhir_audit.out and compared with test_fhir_audit.exp
 * byte for byte. Run from the repository's top (tests/run does). After a
 * deliberate change of the output: check the .out by eye, then copy it
 * over the .exp. */
#include "tap.h"

#include "wallet/base/fileio.h"
#include "wallet/registry/fhir_audit.h"
#include "wallet/registry/history.h"

#define EXP_PATH "tests/unit/test_fhir_audit.exp"
#define OUT_PATH "tests/unit/test_fhir_audit.out"

static const uint8_t REGISTRY[20] = { 0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67,
				      0xf0, 0x32, 0xd9, 0x3f, 0x64, 0x2f, 0x64, 0x18, 0x0a, 0xa3 };
static const uint8_t PATIENT[20] = { 0xf3, 0x9f, 0xd6, 0xe5, 0x1a, 0xad, 0x88, 0xf6, 0xf4, 0xce,
				     0x6a, 0xb8, 0x82, 0x72, 0x79, 0xcf, 0xff, 0xb9, 0x22, 0x66 };
static const uint8_t DOCTOR[20] = { 0x70, 0x99, 0x79, 0x70, 0xc5, 0x18, 0x12, 0xdc, 0x3a, 0x01,
				    0x0c, 0x7d, 0x01, 0xb5, 0x0e, 0x0d, 0x17, 0xdc, 0x79, 0xc8 };
static const uint8_t TOKEN[20] = { 0x3c, 0x44, 0xcd, 0xdd, 0xb6, 0xa9, 0x00, 0xfa, 0x2b, 0x58,
				   0x5d, 0xd2, 0x99, 0xe0, 0x3d, 0x12, 0xfa, 0x42, 0x93, 0xbc };

static const char *names(void *ctx, const uint8_t addr[20])
{
	(void)ctx;
	return memcmp(addr, DOCTOR, 20) ? "" : "Dr. Bob";
}

/* Record ids a and b (malloc'd; a row or grant uses the first 1 or 2). */
static uint64_t *ids(uint64_t a, uint64_t b)
{
	uint64_t *v = malloc(2 * sizeof(*v));

	v[0] = a;
	v[1] = b;
	return v;
}

static history_row *row(history *h, int kind, uint64_t block, uint64_t time, const uint8_t *party)
{
	history_row *w = &h->rows[h->nrows++];

	memset(w, 0, sizeof(*w));
	w->kind = kind;
	w->block = block;
	w->log_index = block % 3;
	w->time = time;
	w->gi = -1;
	memset(w->tx, (int)block, 32);
	memcpy(w->patient, PATIENT, 20);
	if (party) {
		memcpy(w->party, party, 20);
		w->has_party = true;
	}
	w->shown = true;
	return w;
}

static void grant(history *h, uint64_t id, uint8_t flags, uint64_t issued, uint64_t expiry, uint64_t revoked)
{
	history_grant *gr = &h->grants[h->ngrants++];

	memset(gr, 0, sizeof(*gr));
	gr->id = id;
	memcpy(gr->patient, PATIENT, 20);
	memcpy(gr->grantee, DOCTOR, 20);
	gr->flags = flags;
	gr->issued_time = issued;
	gr->expiry = expiry;
	gr->revoked = revoked != 0;
	gr->revoked_time = revoked;
	gr->shown = true;
	if (!(flags & REG_GRANT_ALL)) {
		gr->ids = ids(1, 2);
		gr->n = gr->cap = 2;
	}
}

/* Every kind of row, in time order as history_load leaves them. */
static void build(history *h)
{
	history_row *w;

	memset(h, 0, sizeof(*h));
	memcpy(h->registry, REGISTRY, 20);
	memcpy(h->me, PATIENT, 20);
	h->head_time = 1800000000;
	h->rows = calloc(16, sizeof(*h->rows));
	h->grants = calloc(2, sizeof(*h->grants));
	h->recs = calloc(1, sizeof(*h->recs));
	grant(h, 1, 0, 1700000100, 1700090000, 1700050000);
	grant(h, 2, REG_GRANT_ALL | REG_GRANT_WRITE, 1700000200, 1700100000, 0);
	h->recs[0].id = 1;
	h->recs[0].title = strdup("Blood test, \"fasting\"");
	h->nrecs = 1;

	row(h, REG_EV_KEY_REGISTERED, 10, 1700000000, NULL);
	w = row(h, REG_EV_RECORD_ANCHORED, 11, 1700000010, PATIENT);
	w->records = ids(1, 0);
	w->n_records = 1;
	w = row(h, REG_EV_GRANT_ISSUED, 12, 1700000100, DOCTOR);
	w->grant = 1, w->gi = 0, w->expiry = 1700090000;
	w->records = ids(1, 2);
	w->n_records = 2;
	w = row(h, REG_EV_GRANT_ISSUED, 13, 1700000200, DOCTOR);
	w->grant = 2, w->gi = 1, w->expiry = 1700100000, w->flags = REG_GRANT_ALL | REG_GRANT_WRITE;
	w = row(h, REG_EV_ACCESS_LOGGED, 14, 1700000300, DOCTOR);
	w->grant = 1, w->gi = 0;
	w->records = ids(2, 0);
	w->n_records = 1;
	w = row(h, REG_EV_RECORD_ANCHORED, 15, 1700000400, DOCTOR);
	w->grant = 2, w->gi = 1;
	w->records = ids(3, 0);
	w->n_records = 1;
	w = row(h, REG_EV_INVOICE_ISSUED, 16, 1700000500, DOCTOR);
	w->invoice = 1;
	memcpy(w->token, TOKEN, 20);
	w = row(h, REG_EV_INVOICE_PAID, 17, 1700000600, DOCTOR);
	w->invoice = 1;
	w = row(h, REG_EV_RECORD_ERASED, 18, 1700000700, NULL);
	w->records = ids(1, 0);
	w->n_records = 1;
	w = row(h, REG_EV_GRANT_REVOKED, 19, 1700050000, DOCTOR);
	w->grant = 1, w->gi = 0;
	w = row(h, HISTORY_EXPIRED, 0, 1700100000, DOCTOR);
	w->grant = 2, w->gi = 1, w->expiry = 1700100000, w->flags = REG_GRANT_ALL | REG_GRANT_WRITE;
	w = row(h, REG_EV_INVOICE_CANCELLED, 20, 1700200000, DOCTOR);
	w->invoice = 2;
	w->shown = false;  /* left out by a filter: not in the Bundle */
}

int main(void)
{
	fhir_audit_source src = { 31337, 1800000000, names, NULL };
	history h;
	size_t nevents = 0, nconsents = 0;
	char *text = NULL, *want = NULL;
	size_t want_len = 0;
	ehr_err e = { 0 };
	FILE *f;

	build(&h);
	CHECK(fhir_audit_bundle(&h, &src, &text, &nevents, &nconsents, &e) == 0, "%s", e.msg);
	CHECK(nevents == 11, "%zu audit events", nevents);
	CHECK(nconsents == 2, "%zu consents", nconsents);
	if ((f = fopen(OUT_PATH, "w"))) {
		fprintf(f, "%s\n", text ? text : "");
		fclose(f);
	}
	CHECK(file_read_all(EXP_PATH, 1 << 20, &want, &want_len, &e) == 0,
	      "%s (run from the repository's top): %s", EXP_PATH, e.msg);
	if (want && text) {
		size_t n = strlen(text);
		size_t i;

		for (i = 0; i < n && text[i] == want[i]; i++)
			;
		CHECK(i == n && !strcmp(want + n, "\n"), "%s and %s differ from byte %zu", OUT_PATH, EXP_PATH, i);
	}
	free(want);
	cJSON_free(text);
	history_free(&h);
	return tap_done();
}
