/* The unlock agent's protocol (keystore/agent_wire.h): every request and
 * reply encodes and parses back, and each refusal of the parsers. */
#include "tap.h"

#include <string.h>

#include <sodium.h>

#include "keystore/agent_wire.h"

/* back's sealed boxes point into buf_rt, which outlives every check. */
static uint8_t buf_rt[AGENT_FRAME_MAX];

static int roundtrip(const agent_request *r, agent_request *back)
{
	uint8_t *buf = buf_rt;
	size_t n = agent_request_encode(r, buf, sizeof(buf_rt));
	ehr_err e = { 0 };

	return n && !agent_request_parse(buf, n, back, &e);
}

static void requests(void)
{
	uint8_t sealed[80], buf[AGENT_FRAME_MAX];
	agent_request r = { .op = AGENT_KEYS, .index = 7 }, back;
	ehr_err e = { 0 };
	size_t n;

	memset(r.wallet_id, 0xab, 32);
	strcpy(r.path, "m/44'/60'/0'/0/3");
	CHECK(roundtrip(&r, &back) && back.op == AGENT_KEYS && back.index == 7 &&
	      !strcmp(back.path, r.path) && !memcmp(back.wallet_id, r.wallet_id, 32), "KEYS round trip");
	r.op = AGENT_SIGN;
	memset(r.hash, 0x11, 32);
	CHECK(roundtrip(&r, &back) && !memcmp(back.hash, r.hash, 32), "SIGN round trip");
	r.op = AGENT_OPEN;
	memset(r.pk, 0x22, 32);
	randombytes_buf(sealed, sizeof(sealed));
	r.sealed = sealed;
	r.sealed_len = sizeof(sealed);
	CHECK(roundtrip(&r, &back) && back.sealed_len == 80 && !memcmp(back.sealed, sealed, 80) &&
	      !memcmp(back.pk, r.pk, 32), "OPEN round trip");
	r.op = AGENT_OPEN_MANY;
	r.box_len = 40;
	r.count = 2;
	CHECK(agent_request_encode(&r, buf, sizeof(buf)) == 0, "no OPEN_MANY of 40-byte boxes");
	r.box_len = 80;
	r.count = 1;
	CHECK(roundtrip(&r, &back) && back.count == 1 && back.box_len == 80 && !memcmp(back.sealed, sealed, 80),
	      "OPEN_MANY round trip");
	CHECK(agent_open_many_max(80) == (AGENT_FRAME_MAX - 37 - 34) / 80, "OPEN_MANY of 80-byte boxes: as many as a request holds");
	r.op = AGENT_STATUS;
	CHECK(roundtrip(&r, &back) && back.op == AGENT_STATUS, "STATUS round trip");
	r.op = 9;
	CHECK(agent_request_encode(&r, buf, sizeof(buf)) == 0, "no encoding of an unknown op");

	/* refusals */
	memset(buf, 0, sizeof(buf));
	CHECK(agent_request_parse(buf, 36, &back, &e) == EHR_EUSAGE, "a short request: %s", e.msg);
	buf[0] = 9;
	CHECK(agent_request_parse(buf, 37, &back, &e) == EHR_EUSAGE && strstr(e.msg, "unknown"),
	      "an unknown op: %s", e.msg);
	buf[0] = AGENT_STATUS;
	CHECK(agent_request_parse(buf, 38, &back, &e) == EHR_EUSAGE && strstr(e.msg, "stray"),
	      "STATUS with a stray byte: %s", e.msg);
	buf[0] = AGENT_SIGN;
	CHECK(agent_request_parse(buf, 37 + 31, &back, &e) == EHR_EUSAGE && strstr(e.msg, "32-byte"),
	      "SIGN of 31 bytes: %s", e.msg);
	buf[0] = AGENT_OPEN;
	CHECK(agent_request_parse(buf, 37 + 32 + 47, &back, &e) == EHR_EUSAGE, "a box under 48 bytes: %s", e.msg);
	CHECK(agent_request_parse(buf, 37 + 32 + AGENT_SEALED_MAX + 1, &back, &e) == EHR_EUSAGE,
	      "a box over the limit: %s", e.msg);
	buf[0] = AGENT_OPEN_MANY;
	buf[37 + 32] = 0;
	buf[37 + 33] = 80;
	CHECK(agent_request_parse(buf, 37 + 34 + 79, &back, &e) == EHR_EUSAGE && strstr(e.msg, "80-byte"),
	      "OPEN_MANY with a cut box: %s", e.msg);
	CHECK(agent_request_parse(buf, 37 + 34, &back, &e) == EHR_EUSAGE, "OPEN_MANY of no box: %s", e.msg);
	buf[37 + 33] = 47;
	CHECK(agent_request_parse(buf, 37 + 34 + 47, &back, &e) == EHR_EUSAGE, "OPEN_MANY of 47-byte boxes: %s", e.msg);
	buf[37 + 33] = 80;
	CHECK(agent_request_parse(buf, 37 + 34 + 80 * 3, &back, &e) == 0 && back.count == 3, "OPEN_MANY of three boxes");
	buf[0] = AGENT_KEYS;
	memcpy(buf + 37, "m/44'/x", 7);
	CHECK(agent_request_parse(buf, 37 + 7, &back, &e) == EHR_EUSAGE && strstr(e.msg, "path"),
	      "a path with a letter: %s", e.msg);
	memcpy(buf + 37, "x/44", 4);
	CHECK(agent_request_parse(buf, 37 + 4, &back, &e) == EHR_EUSAGE, "a path not from m/: %s", e.msg);
	CHECK(agent_request_parse(buf, AGENT_FRAME_MAX + 1, &back, &e) == EHR_EUSAGE, "a frame too long");
	n = 37 + AGENT_PATH_MAX + 1;
	memset(buf + 37, '1', n - 37);
	memcpy(buf + 37, "m/", 2);
	CHECK(agent_request_parse(buf, n, &back, &e) == EHR_EUSAGE, "a path over 63 bytes: %s", e.msg);
}

static void replies(void)
{
	uint8_t buf[AGENT_FRAME_MAX], sig[65];
	const uint8_t *p;
	agent_status s = { .expires = 1800000000, .idle_until = 1700000000, .idle_s = 300, .pid = 4242 }, back;
	ehr_err e = { 0 };
	size_t n, len;

	memset(sig, 7, sizeof(sig));
	n = agent_reply_ok(sig, sizeof(sig), buf, sizeof(buf));
	CHECK(n == 66 && !agent_reply_parse(buf, n, 65, &p, &len, &e) && len == 65 && !memcmp(p, sig, 65),
	      "an ok reply");
	CHECK(agent_reply_parse(buf, n, 64, &p, &len, &e) == EHR_EFAIL, "a reply of the wrong length: %s", e.msg);
	n = agent_reply_error(EHR_EAUTH, "it holds \033another wallet", buf, sizeof(buf));
	CHECK(agent_reply_parse(buf, n, 0, &p, &len, &e) == EHR_EAUTH &&
	      !strcmp(e.msg, "the agent says: it holds ?another wallet"), "an error reply, control byte shown as ?: %s",
	      e.msg);
	buf[0] = 7;
	CHECK(agent_reply_parse(buf, n, 0, &p, &len, &e) == EHR_EFAIL, "a status over 6: %s", e.msg);
	CHECK(agent_reply_error(0, "x", buf, sizeof(buf)) == 0, "no error reply with status 0");

	memset(s.wallet_id, 0x5a, 32);
	strcpy(s.name, "clinic");
	strcpy(s.path, "/home/p/.local/share/ehr/wallets/clinic.json");
	n = agent_status_encode(&s, buf, sizeof(buf));
	CHECK(n && !agent_status_parse(buf, n, &back, &e) && back.expires == s.expires &&
	      back.idle_until == s.idle_until && back.idle_s == 300 && back.pid == 4242 &&
	      !strcmp(back.name, "clinic") && !strcmp(back.path, s.path) && !memcmp(back.wallet_id, s.wallet_id, 32),
	      "a status round trip");
	buf[56] = 200;
	CHECK(agent_status_parse(buf, n, &back, &e) == EHR_EFAIL, "a name longer than the status: %s", e.msg);
	buf[56] = 6;
	buf[60] = '\n';
	CHECK(agent_status_parse(buf, n, &back, &e) == EHR_EFAIL, "a control byte in the path: %s", e.msg);
	CHECK(agent_status_parse(buf, 56, &back, &e) == EHR_EFAIL, "a short status: %s", e.msg);
}

static void frames(void)
{
	uint8_t head[4];

	agent_frame_head(37, head);
	CHECK(agent_frame_length(head) == 37, "a frame's length");
	agent_frame_head(AGENT_FRAME_MAX + 1, head);
	CHECK(agent_frame_length(head) == 0, "a frame too long is length 0");
	memset(head, 0xff, 4);
	CHECK(agent_frame_length(head) == 0, "a length prefix of 2^32 - 1 is refused");
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	requests();
	replies();
	frames();
	return tap_done();
}
