/* The unlock agent's protocol (keystore/agent_wire.h): what the agent
 * parses from any process of its user (requests) and what a command
 * parses from the agent (replies, status). The first byte chooses the
 * parser, the rest is the body. An accepted request or status encodes back
 * to the same bytes; a refusal is EHR_EUSAGE (requests) or a documented
 * status with a sentence. */
#include "fuzz.h"

#include "keystore/agent_wire.h"

static void request(const uint8_t *body, size_t n)
{
	agent_request r;
	uint8_t again[AGENT_FRAME_MAX];
	ehr_err e;
	int st = agent_request_parse(body, n, &r, &e);

	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE);
		return;
	}
	FUZZ_ASSERT(agent_request_encode(&r, again, sizeof(again)) == n);
	FUZZ_ASSERT(!memcmp(again, body, n));
}

static void reply(const uint8_t *body, size_t n)
{
	const uint8_t *p;
	size_t len;
	agent_status s;
	uint8_t again[AGENT_FRAME_MAX];
	ehr_err e;
	int st = agent_reply_parse(body, n, 0, &p, &len, &e);

	if (st) {
		fuzz_check_err(st, &e);
		return;
	}
	FUZZ_ASSERT(p == body + 1 && len == n - 1);
	if ((st = agent_status_parse(p, len, &s, &e))) {
		fuzz_check_err(st, &e);
		return;
	}
	FUZZ_ASSERT(agent_status_encode(&s, again, sizeof(again)) == len);
	FUZZ_ASSERT(!memcmp(again, p, len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *body;
	uint8_t head[4];

	if (size < 1)
		return 0;
	body = fuzz_copy(data + 1, size - 1);
	if (data[0] & 1)
		reply(body, size - 1);
	else
		request(body, size - 1);
	agent_frame_head(size - 1, head);
	FUZZ_ASSERT(agent_frame_length(head) == (size - 1 >= 1 && size - 1 <= AGENT_FRAME_MAX ? size - 1 : 0));
	free(body);
	return 0;
}

FUZZ_INIT_SODIUM()
