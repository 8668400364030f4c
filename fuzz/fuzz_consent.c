/* Consent events (wallet/registry/consent.h consent_decode_event): the
 * access requests, releases (KeysReleased, and a research grant's
 * DerivedReleased) and grant requests a grantee's and a patient's ehr
 * read. Anyone can call the registry, so every field is hostile. The
 * input becomes a chain_log as in fuzz_registry:
 *
 *   byte 0   number of topics (mod 5); bit 7: the log comes from another
 *            address than the registry's
 *   byte 1   below 0xf0: topic 0 is the consent event (byte 1 mod
 *            CONSENT_EV_COUNT); else topic 0 is taken from the input too
 *   then     32 bytes per remaining topic, then the data (the rest). */
#include "fuzz.h"

#include "wallet/registry/consent.h"

static const uint8_t registry_addr[20] = {
	0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67,
	0xf0, 0x32, 0xd9, 0x3f, 0x64, 0x2f, 0x64, 0x18, 0x0a, 0xa3,
};

static volatile uint8_t sink;

static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;
	size_t i;

	FUZZ_ASSERT(p || !n);
	for (i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

/* What a decoded event promises its readers (release.c, access, audit). */
static void check_event(const consent_event_data *ev, int kind)
{
	const uint8_t *key;
	size_t i, len;

	FUZZ_ASSERT((int)ev->kind == kind);
	FUZZ_ASSERT(!ev->n_ids || ev->record_ids);
	touch((const uint8_t *)ev->record_ids, ev->n_ids * sizeof(*ev->record_ids));
	touch(ev->sealed_purpose, ev->sealed_purpose_len);
	FUZZ_ASSERT(!ev->derived_ids || ev->kind == CONSENT_EV_DERIVED_RELEASED);
	if (ev->kind == CONSENT_EV_DERIVED_RELEASED) {
		FUZZ_ASSERT(!ev->n_ids || ev->derived_ids);
		touch((const uint8_t *)ev->derived_ids, ev->n_ids * sizeof(*ev->derived_ids));
	}
	for (i = 0; i < ev->n_ids; i++) {
		len = 0;
		key = consent_event_sealed_key(ev, i, &len);
		FUZZ_ASSERT(key || (ev->kind != CONSENT_EV_KEYS_RELEASED && ev->kind != CONSENT_EV_DERIVED_RELEASED));
		if (key)
			touch(key, len);
	}
	FUZZ_ASSERT(!consent_event_sealed_key(ev, ev->n_ids, &len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	chain_log log;
	consent_event_data ev;
	uint8_t *payload = NULL;
	size_t t = 0;
	ehr_err e;
	int st, kind;

	if (size < 2)
		return 0;
	memset(&log, 0, sizeof(log));
	memcpy(log.address, registry_addr, 20);
	if (data[0] & 0x80)
		log.address[0] ^= 1;
	log.n_topics = (data[0] & 0x7f) % 5;
	log.block_number = 7;
	if (log.n_topics && data[1] < 0xf0) {
		memcpy(log.topics[0], registry_events_topic(&consent_events, data[1] % CONSENT_EV_COUNT), 32);
		t = 1;
	}
	data += 2;
	size -= 2;
	for (; t < log.n_topics; t++) {
		if (size < 32)
			return 0;
		memcpy(log.topics[t], data, 32);
		data += 32;
		size -= 32;
	}
	if (size) {
		payload = fuzz_copy(data, size);
		log.data = payload;
		log.data_len = size;
	}
	kind = registry_events_match(&consent_events, &log, registry_addr);
	FUZZ_ASSERT(kind >= -1 && kind < CONSENT_EV_COUNT);
	st = consent_decode_event(&log, registry_addr, &ev, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY);
		FUZZ_ASSERT(!ev.owner && !ev.record_ids && !ev.derived_ids);
	} else {
		FUZZ_ASSERT(kind >= 0);
		check_event(&ev, kind);
		consent_event_free(&ev);
	}
	free(payload);
	return 0;
}

FUZZ_INIT_SODIUM()
