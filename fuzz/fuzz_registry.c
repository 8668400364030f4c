/* Registry events (wallet/registry/registry.h registry_decode_event,
 * registry_decode_record): logs anyone can make by calling the registry,
 * so every field is hostile. The input becomes a chain_log:
 *
 *   byte 0   number of topics (mod 5); bit 7: the log comes from another
 *            address than the registry's
 *   byte 1   below 0xf0: topic 0 is the registry event (byte 1 mod
 *            REG_EV_COUNT); else topic 0 is taken from the input too
 *   then     32 bytes per remaining topic, then the data (the rest). */
#include "fuzz.h"

#include "wallet/chain/abi.h"
#include "wallet/registry/registry.h"

static const uint8_t registry_addr[20] = {
	0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67,
	0xf0, 0x32, 0xd9, 0x3f, 0x64, 0x2f, 0x64, 0x18, 0x0a, 0xa3,
};

static volatile uint8_t sink;

/* Reads every byte, so ASan sees a pointer or length that is off. */
static void touch(const uint8_t *p, size_t n)
{
	uint8_t x = 0;
	size_t i;

	FUZZ_ASSERT(p || !n);
	for (i = 0; i < n; i++)
		x ^= p[i];
	sink = x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	chain_log log;
	registry_event_data ev;
	registry_record rec;
	const uint8_t *key;
	uint8_t *payload = NULL;
	size_t i, t = 0, len;
	ehr_err e;
	int st, of;

	if (size < 2)
		return 0;
	memset(&log, 0, sizeof(log));
	memcpy(log.address, registry_addr, 20);
	if (data[0] & 0x80)
		log.address[0] ^= 1;
	log.n_topics = (data[0] & 0x7f) % 5;
	log.block_number = 7;
	if (log.n_topics && data[1] < 0xf0) {
		memcpy(log.topics[0], registry_event_topic((enum registry_event)(data[1] % REG_EV_COUNT)), 32);
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

	of = registry_event_of(&log, registry_addr);
	FUZZ_ASSERT(of >= -1 && of < REG_EV_COUNT);
	st = registry_decode_event(&log, registry_addr, &ev, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY);
	} else {
		FUZZ_ASSERT(of >= 0 && (int)ev.kind == of);
		FUZZ_ASSERT(memchr(ev.name, '\0', sizeof(ev.name)));
		FUZZ_ASSERT(!ev.n_ids || ev.record_ids);
		touch((const uint8_t *)ev.record_ids, ev.n_ids * sizeof(*ev.record_ids));
		touch(ev.memo, ev.memo_len);
		for (i = 0; i <= ev.n_ids; i++) {
			len = 0;
			key = registry_event_sealed_key(&ev, i, &len);
			if (key)
				touch(key, len);
		}
		if (ev.kind == REG_EV_RECORD_ANCHORED) {
			touch(ev.record.patient_key, ev.record.patient_key_len);
			touch(ev.record.author_key, ev.record.author_key_len);
			touch(ev.record.meta, ev.record.meta_len);
			FUZZ_ASSERT(memchr(ev.record.locator, '\0', sizeof(ev.record.locator)));
		}
		registry_event_free(&ev);
	}

	st = registry_decode_record(&log, &rec, &e);
	if (st) {
		fuzz_check_err(st, &e);
	} else {
		touch(rec.patient_key, rec.patient_key_len);
		touch(rec.author_key, rec.author_key_len);
		touch(rec.meta, rec.meta_len);
		FUZZ_ASSERT(memchr(rec.locator, '\0', sizeof(rec.locator)));
		abi_free(rec.owner);
	}
	free(payload);
	return 0;
}

FUZZ_INIT_SODIUM()
