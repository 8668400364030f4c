/* wallet/registry/consent: call data of every consent function against
 * `cast calldata` (an independent encoder), the records hash against cast's
 * keccak of its abi-encode, the local refusals, the event topics against
 * `cast keccak`, the decoding of each event (and of broken ones), and the
 * new custom errors in the registry's table. The cast checks are skipped
 * when cast is not installed ($EHR_TOOLS/cast, see `make deps`). */
#include "tap.h"

#include <unistd.h>

#include <sodium.h>

#include "wallet/base/hex.h"
#include "wallet/chain/abi.h"
#include "wallet/registry/consent.h"

static char cast_path[512];
static int with_cast;

/* cast ARGS: its first output line in out; -1 when it failed. Arguments
 * here are hex, digits, brackets and signatures only. */
static int cast(const char *args, char *out, size_t cap)
{
	char cmd[16384];
	FILE *p;
	int ok;

	snprintf(cmd, sizeof(cmd), "'%s' %s 2>/dev/null", cast_path, args);
	if (!(p = popen(cmd, "r")))
		return -1;
	ok = fgets(out, (int)cap, p) != NULL;
	if (pclose(p) != 0 || !ok)
		return -1;
	out[strcspn(out, "\r\n")] = '\0';
	return 0;
}

static char *hex0x(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 3);

	hex_encode0x(p, n, s);
	return s;
}

/* Compares our call data with cast calldata SIG ARGS. */
static void same_as_cast(const char *what, uint8_t *data, size_t len, const char *cast_args)
{
	char *ours = hex0x(data, len), got[16384];

	if (with_cast)
		CHECK(cast(cast_args, got, sizeof(got)) == 0 && !strcmp(got, ours),
		      "%s: cast calldata agrees\n  cast %s\n  ours %s", what, got, ours);
	free(ours);
	free(data);
}

static void test_calls(void)
{
	uint8_t who[20], k1[80], k2[80], note[120], *data = NULL;
	const uint8_t *keys[2] = { k1, k2 };
	const uint64_t ids[2] = { 7, 300 };
	char args[8192], *a, *h1, *h2, *hn;
	size_t len;
	ehr_err e = { 0, "" };

	randombytes_buf(who, sizeof(who));
	randombytes_buf(k1, sizeof(k1));
	randombytes_buf(k2, sizeof(k2));
	randombytes_buf(note, sizeof(note));
	a = hex0x(who, 20), h1 = hex0x(k1, 80), h2 = hex0x(k2, 80), hn = hex0x(note, 120);

	CHECK(!consent_call_grant_access(who, 1900000000, REG_GRANT_ALL, REG_PURPOSE_RESEARCH, ids, 2,
					 &data, &len, &e), "grantAccess: %s", e.msg);
	snprintf(args, sizeof(args), "calldata 'grantAccess(address,uint64,uint8,uint8,uint256[])' %s 1900000000 2 3 '[7,300]'", a);
	same_as_cast("grantAccess", data, len, args);

	CHECK(!consent_call_add_records(9, ids, 2, &data, &len, &e), "addGrantKeys: %s", e.msg);
	same_as_cast("addGrantKeys without keys", data, len,
		     "calldata 'addGrantKeys(uint256,uint256[],bytes[])' 9 '[7,300]' '[]'");

	CHECK(!consent_call_request_access(who, 12, ids, 2, &data, &len, &e), "requestAccess: %s", e.msg);
	snprintf(args, sizeof(args), "calldata 'requestAccess(address,uint256,uint256[])' %s 12 '[7,300]'", a);
	same_as_cast("requestAccess", data, len, args);

	CHECK(!consent_call_release(5, ids, keys, 80, 2, &data, &len, &e), "release: %s", e.msg);
	snprintf(args, sizeof(args), "calldata 'release(uint256,uint256[],bytes[])' 5 '[7,300]' '[%s,%s]'", h1, h2);
	same_as_cast("release", data, len, args);

	{
		const uint64_t copies[2] = { 0, 301 };

		CHECK(!consent_call_release_derived(5, ids, copies, keys, 2, &data, &len, &e), "releaseDerived: %s",
		      e.msg);
		snprintf(args, sizeof(args), "calldata 'releaseDerived(uint256,uint256[],uint256[],bytes[])' 5 "
			 "'[7,300]' '[0,301]' '[0x,%s]'", h2);
		same_as_cast("releaseDerived (a withheld record gets an empty key)", data, len, args);
	}

	CHECK(!consent_call_deny_access(5, &data, &len, &e), "denyAccess: %s", e.msg);
	same_as_cast("denyAccess", data, len, "calldata 'denyAccess(uint256)' 5");
	CHECK(!consent_call_deny_grant(4, &data, &len, &e), "denyGrant: %s", e.msg);
	same_as_cast("denyGrant", data, len, "calldata 'denyGrant(uint256)' 4");

	CHECK(!consent_call_request_grant(who, ids, 2, REG_GRANT_WRITE, 7200, REG_PURPOSE_TREATMENT, note, 120,
					  &data, &len, &e), "requestGrant: %s", e.msg);
	snprintf(args, sizeof(args), "calldata 'requestGrant(address,uint256[],uint8,uint64,uint8,bytes)' %s '[7,300]' 1 7200 1 %s",
		 a, hn);
	same_as_cast("requestGrant", data, len, args);

	CHECK(!consent_call_approve_grant(4, ids, keys, 80, 2, &data, &len, &e), "approveGrant: %s", e.msg);
	snprintf(args, sizeof(args), "calldata 'approveGrant(uint256,uint256[],bytes[])' 4 '[7,300]' '[%s,%s]'", h1, h2);
	same_as_cast("approveGrant with keys", data, len, args);
	CHECK(!consent_call_approve_grant(4, ids, NULL, 80, 2, &data, &len, &e), "approveGrant: %s", e.msg);
	same_as_cast("approveGrant without keys", data, len,
		     "calldata 'approveGrant(uint256,uint256[],bytes[])' 4 '[7,300]' '[]'");
	free(a);
	free(h1);
	free(h2);
	free(hn);
}

/* What the contract would refuse for the inputs alone is refused here,
 * before anything is signed: nothing is encoded. */
static void test_refusals(void)
{
	uint8_t who[20] = { 1 }, note[CONSENT_NOTE_MAX + 1] = { 0 }, *data = NULL;
	const uint64_t id = 1;
	size_t len = 0;
	ehr_err e = { 0, "" };

	CHECK(consent_call_grant_access(who, 1, 0, 0, &id, 1, &data, &len, &e) == EHR_EUSAGE && !data,
	      "grantAccess without a purpose");
	CHECK(strstr(e.msg, "treatment, emergency, research or payment"), "%s", e.msg);
	CHECK(consent_call_grant_access(who, 1, 0, 5, &id, 1, &data, &len, &e) == EHR_EUSAGE && !data,
	      "grantAccess with purpose 5");
	CHECK(consent_call_request_grant(who, &id, 1, REG_GRANT_BEARER, 60, 1, NULL, 0, &data, &len, &e) ==
	      EHR_EUSAGE && !data, "requestGrant for a bearer grant");
	CHECK(consent_call_request_grant(who, &id, 1, 0, 0, 1, NULL, 0, &data, &len, &e) == EHR_EUSAGE && !data,
	      "requestGrant of no duration");
	CHECK(consent_call_request_grant(who, &id, 1, 0, CONSENT_MAX_DURATION + 1, 1, NULL, 0, &data, &len, &e) ==
	      EHR_EUSAGE && !data, "requestGrant over 100 years");
	CHECK(consent_call_request_grant(who, &id, 1, 0, 60, 0, NULL, 0, &data, &len, &e) == EHR_EUSAGE && !data,
	      "requestGrant without a purpose");
	CHECK(consent_call_request_grant(who, &id, 1, 0, 60, 1, note, sizeof(note), &data, &len, &e) ==
	      EHR_EUSAGE && !data, "requestGrant with a note over the limit");
	CHECK(!consent_call_request_grant(who, &id, 1, 0, CONSENT_MAX_DURATION, 4, note, CONSENT_NOTE_MAX,
					  &data, &len, &e) && data, "the longest note and duration: %s", e.msg);
	free(data);

	CHECK_STR(consent_purpose_name(REG_PURPOSE_EMERGENCY), "emergency");
	CHECK(consent_purpose_name(0) == NULL && consent_purpose_name(9) == NULL, "no name for 0 or 9");
	CHECK(consent_purpose_parse("payment") == REG_PURPOSE_PAYMENT, "payment parses");
	CHECK(consent_purpose_parse("Treatment") == 0 && consent_purpose_parse(NULL) == 0, "others do not");
}

static void test_records_hash(void)
{
	const uint64_t ids[3] = { 1, 256, 70000 };
	uint8_t h[32];
	char *ours, enc[1024], args[1200], got[128];
	ehr_err e = { 0, "" };

	CHECK(!consent_records_hash(ids, 3, h, &e), "%s", e.msg);
	if (!with_cast)
		return;
	ours = hex0x(h, 32);
	CHECK(!cast("abi-encode 'f(uint256[])' '[1,256,70000]'", enc, sizeof(enc)), "cast abi-encode");
	snprintf(args, sizeof(args), "keccak %s", enc);
	CHECK(!cast(args, got, sizeof(got)) && !strcmp(got, ours), "records hash: cast %s, ours %s", got, ours);
	free(ours);
}

/* A log from the registry reg: topics (patient, id, requester) and data. */
static chain_log make_log(const uint8_t reg[20], enum consent_event ev, const uint8_t patient[20],
			  uint64_t id, const uint8_t requester[20], const uint8_t *data, size_t len)
{
	chain_log log;

	memset(&log, 0, sizeof(log));
	memcpy(log.address, reg, 20);
	log.n_topics = 4;
	memcpy(log.topics[0], registry_events_topic(&consent_events, ev), 32);
	memcpy(log.topics[1] + 12, patient, 20);
	for (int i = 0; i < 8; i++)
		log.topics[2][31 - i] = (uint8_t)(id >> (8 * i));
	memcpy(log.topics[3] + 12, requester, 20);
	log.data = data;
	log.data_len = len;
	log.block_number = 42;
	return log;
}

static uint8_t *encode(const char *types, abi_value *v, size_t *len)
{
	uint8_t *out = NULL;
	ehr_err e = { 0, "" };

	CHECK(!abi_encode(types, v, &out, len, &e), "%s: %s", types, e.msg);
	abi_free(v);
	return out;
}

static void test_topics(void)
{
	char got[128], args[256], *ours;
	int i;

	for (i = 0; i < CONSENT_EV_COUNT && with_cast; i++) {
		ours = hex0x(registry_events_topic(&consent_events, (enum consent_event)i), 32);
		snprintf(args, sizeof(args), "keccak '%s'", registry_events_signature(&consent_events, (enum consent_event)i));
		CHECK(!cast(args, got, sizeof(got)) && !strcmp(got, ours), "topic of %s",
		      registry_events_signature(&consent_events, (enum consent_event)i));
		free(ours);
	}
	CHECK(registry_events_signature(&consent_events, CONSENT_EV_COUNT) == NULL, "no signature past the end");
}

static void test_events(void)
{
	uint8_t reg[20], other[20], pat[20], prov[20], k[80], *d;
	size_t len, klen;
	consent_event_data ev;
	chain_log log;
	ehr_err e = { 0, "" };

	randombytes_buf(reg, 20);
	randombytes_buf(other, 20);
	randombytes_buf(pat, 20);
	randombytes_buf(prov, 20);
	randombytes_buf(k, 80);

	d = encode("(uint256,uint256[],bytes[])",
		   abi_tuple(3, abi_uint64(8), abi_array(2, abi_uint64(4), abi_uint64(5)),
			     abi_array(2, abi_bytes(k, 80), abi_bytes(k, 40))), &len);
	log = make_log(reg, CONSENT_EV_KEYS_RELEASED, pat, 3, prov, d, len);
	CHECK(registry_events_match(&consent_events, &log, reg) == CONSENT_EV_KEYS_RELEASED, "KeysReleased recognised");
	CHECK(registry_events_match(&consent_events, &log, other) == -1, "not from another address");
	CHECK(!consent_decode_event(&log, reg, &ev, &e), "KeysReleased decodes: %s", e.msg);
	CHECK(ev.grant_id == 3 && ev.request_id == 8 && ev.n_ids == 2 && ev.record_ids[1] == 5 &&
	      !memcmp(ev.patient, pat, 20) && !memcmp(ev.requester, prov, 20) && ev.block == 42, "its fields");
	CHECK(consent_event_sealed_key(&ev, 0, &klen) && klen == 80 &&
	      !memcmp(consent_event_sealed_key(&ev, 0, &klen), k, 80), "the first key");
	CHECK(consent_event_sealed_key(&ev, 2, &klen) == NULL, "no third key");
	consent_event_free(&ev);
	log.data_len = len - 40;
	CHECK(consent_decode_event(&log, reg, &ev, &e) == EHR_EINTEGRITY && !ev.owner && !ev.record_ids,
	      "a cut KeysReleased does not parse");
	log.data_len = len;
	log.n_topics = 3;
	CHECK(consent_decode_event(&log, reg, &ev, &e) == EHR_EINTEGRITY, "nor one with a topic missing");
	free(d);

	d = encode("(uint256,uint256[],bytes[])",
		   abi_tuple(3, abi_uint64(8), abi_array(2, abi_uint64(4), abi_uint64(5)),
			     abi_array(1, abi_bytes(k, 80))), &len);
	log = make_log(reg, CONSENT_EV_KEYS_RELEASED, pat, 3, prov, d, len);
	CHECK(consent_decode_event(&log, reg, &ev, &e) == EHR_EINTEGRITY, "keys and records must pair up");
	free(d);

	d = encode("(uint256,uint256[],uint256[],bytes[])",
		   abi_tuple(4, abi_uint64(8), abi_array(2, abi_uint64(4), abi_uint64(5)),
			     abi_array(2, abi_uint64(9), abi_uint64(0)), abi_array(2, abi_bytes(k, 80), abi_bytes(k, 0))),
		   &len);
	log = make_log(reg, CONSENT_EV_DERIVED_RELEASED, pat, 3, prov, d, len);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.kind == CONSENT_EV_DERIVED_RELEASED &&
	      ev.grant_id == 3 && ev.request_id == 8 && ev.n_ids == 2 && ev.record_ids[1] == 5 &&
	      ev.derived_ids && ev.derived_ids[0] == 9 && ev.derived_ids[1] == 0, "DerivedReleased: %s", e.msg);
	CHECK(consent_event_sealed_key(&ev, 0, &klen) && klen == 80 && consent_event_sealed_key(&ev, 1, &klen) &&
	      klen == 0, "the copy's key, and none for the withheld record");
	consent_event_free(&ev);
	free(d);
	d = encode("(uint256,uint256[],uint256[],bytes[])",
		   abi_tuple(4, abi_uint64(8), abi_array(2, abi_uint64(4), abi_uint64(5)),
			     abi_array(1, abi_uint64(9)), abi_array(2, abi_bytes(k, 80), abi_bytes(k, 0))), &len);
	log = make_log(reg, CONSENT_EV_DERIVED_RELEASED, pat, 3, prov, d, len);
	CHECK(consent_decode_event(&log, reg, &ev, &e) == EHR_EINTEGRITY && !ev.derived_ids,
	      "copies and originals must pair up");
	free(d);

	d = encode("(uint256,uint256[])", abi_tuple(2, abi_uint64(6), abi_array(1, abi_uint64(11))), &len);
	log = make_log(reg, CONSENT_EV_ACCESS_REQUESTED, pat, 3, prov, d, len);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.kind == CONSENT_EV_ACCESS_REQUESTED &&
	      ev.request_id == 6 && ev.grant_id == 3 && ev.n_ids == 1 && ev.record_ids[0] == 11,
	      "AccessRequested: %s", e.msg);
	CHECK(consent_event_sealed_key(&ev, 0, &klen) == NULL, "carries no key");
	consent_event_free(&ev);
	free(d);

	d = encode("(uint256)", abi_tuple(1, abi_uint64(6)), &len);
	log = make_log(reg, CONSENT_EV_ACCESS_DENIED, pat, 3, prov, d, len);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.request_id == 6 && ev.grant_id == 3,
	      "AccessDenied: %s", e.msg);
	consent_event_free(&ev);
	log = make_log(reg, CONSENT_EV_GRANT_REQUEST_APPROVED, pat, 2, prov, d, len);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.grant_request_id == 2 && ev.grant_id == 6,
	      "GrantRequestApproved: %s", e.msg);
	consent_event_free(&ev);
	free(d);

	d = encode("(uint8,uint64,uint8,uint256[],bytes)",
		   abi_tuple(5, abi_uint64(3), abi_uint64(3600), abi_uint64(2), abi_array(0), abi_bytes(k, 72)),
		   &len);
	log = make_log(reg, CONSENT_EV_GRANT_REQUESTED, pat, 2, prov, d, len);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.grant_request_id == 2 && ev.flags == 3 &&
	      ev.duration == 3600 && ev.purpose == REG_PURPOSE_EMERGENCY && ev.n_ids == 0 &&
	      ev.sealed_purpose_len == 72 && !memcmp(ev.sealed_purpose, k, 72), "GrantRequested: %s", e.msg);
	consent_event_free(&ev);
	free(d);

	log = make_log(reg, CONSENT_EV_GRANT_REQUEST_DENIED, pat, 2, prov, NULL, 0);
	CHECK(!consent_decode_event(&log, reg, &ev, &e) && ev.kind == CONSENT_EV_GRANT_REQUEST_DENIED &&
	      ev.grant_request_id == 2 && !memcmp(ev.requester, prov, 20), "GrantRequestDenied: %s", e.msg);
	consent_event_free(&ev);
	log.topics[1][0] = 1;	/* dirty high bytes in an address topic */
	CHECK(consent_decode_event(&log, reg, &ev, &e) == EHR_EINTEGRITY, "a dirty address topic");
}

/* The new refusals of the contract read as sentences. */
static void test_errors(void)
{
	static const char *const sigs[] = { "NotRequested(uint256)", "RequestClosed()", "NoEncryptionKey()",
		"BadPurpose()", "NotPatientsGrant()", "NoSuchRequest()", "RecordsMismatch()", "NoteTooLong()" };
	uint8_t data[36] = { 0 };
	char out[256];
	size_t i;

	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		abi_selector(sigs[i], data, NULL);
		data[35] = 9;
		revert_describe(data, strchr(sigs[i], ')')[-1] == '(' ? 4 : 36, registry_errors, registry_n_errors,
				out, sizeof(out));
		CHECK(revert_match(data, 36, registry_errors, registry_n_errors) >= 0 && !strstr(out, "unknown"),
		      "%s: %s", sigs[i], out);
	}
	abi_selector("NotRequested(uint256)", data, NULL);
	revert_describe(data, 36, registry_errors, registry_n_errors, out, sizeof(out));
	CHECK(strstr(out, "record 9 was not requested"), "%s", out);
}

int main(void)
{
	const char *tools = getenv("EHR_TOOLS");

	if (sodium_init() < 0)
		return 1;
	snprintf(cast_path, sizeof(cast_path), "%s/cast", tools ? tools : "tests/node_modules/.bin");
	with_cast = access(cast_path, X_OK) == 0 && !strchr(cast_path, '\'');
	if (!with_cast)
		printf("skip: cast cross-checks: cast not found at %s (make deps installs it)\n", cast_path);
	test_calls();
	test_refusals();
	test_records_hash();
	test_topics();
	test_events();
	test_errors();
	return tap_done();
}
