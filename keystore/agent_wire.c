#include "keystore/agent_wire.h"

#include <string.h>

#include <sodium.h>

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

void agent_frame_head(size_t len, uint8_t head[4])
{
	put32(head, len >= 1 && len <= AGENT_FRAME_MAX ? (uint32_t)len : 0);
}

size_t agent_frame_length(const uint8_t head[4])
{
	uint32_t n = get32(head);

	return n >= 1 && n <= AGENT_FRAME_MAX ? n : 0;
}

/* A path as KEYS takes it: "m/" and digits, '/', '\'', 'h' and 'H' only. */
static int path_ok(const char *p, size_t n)
{
	size_t i;

	if (!n)
		return 1;
	if (n < 2 || p[0] != 'm' || p[1] != '/')
		return 0;
	for (i = 2; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || p[i] == '/' || p[i] == '\'' || p[i] == 'h' ||
		      p[i] == 'H'))
			return 0;
	return 1;
}

#define OPEN_MANY_HEAD 34   /* pk, box length */

size_t agent_open_many_max(size_t box_len)
{
	size_t by_request, by_reply;

	if (box_len < crypto_box_SEALBYTES || box_len > AGENT_SEALED_MAX)
		return 0;
	by_request = (AGENT_FRAME_MAX - AGENT_REQUEST_HEAD - OPEN_MANY_HEAD) / box_len;
	by_reply = (AGENT_FRAME_MAX - 1) / (1 + box_len - crypto_box_SEALBYTES);
	return by_request < by_reply ? by_request : by_reply;
}

size_t agent_request_encode(const agent_request *r, uint8_t *out, size_t cap)
{
	size_t n = AGENT_REQUEST_HEAD, extra = 0;

	switch (r->op) {
	case AGENT_STATUS: case AGENT_LOCK: break;
	case AGENT_KEYS: extra = strlen(r->path); break;
	case AGENT_SIGN: extra = 32; break;
	case AGENT_OPEN: extra = 32 + r->sealed_len; break;
	case AGENT_OPEN_MANY:
		if (!r->count || r->count > agent_open_many_max(r->box_len) ||
		    r->sealed_len != r->count * r->box_len)
			return 0;
		extra = OPEN_MANY_HEAD + r->sealed_len;
		break;
	default: return 0;
	}
	if (n + extra > cap || n + extra > AGENT_FRAME_MAX)
		return 0;
	out[0] = r->op;
	memcpy(out + 1, r->wallet_id, 32);
	put32(out + 33, r->index);
	if (r->op == AGENT_KEYS)
		memcpy(out + n, r->path, extra);
	else if (r->op == AGENT_SIGN)
		memcpy(out + n, r->hash, 32);
	else if (r->op == AGENT_OPEN) {
		memcpy(out + n, r->pk, 32);
		memcpy(out + n + 32, r->sealed, r->sealed_len);
	} else if (r->op == AGENT_OPEN_MANY) {
		memcpy(out + n, r->pk, 32);
		out[n + 32] = (uint8_t)(r->box_len >> 8);
		out[n + 33] = (uint8_t)r->box_len;
		memcpy(out + n + OPEN_MANY_HEAD, r->sealed, r->sealed_len);
	}
	return n + extra;
}

/* OPEN_MANY's payload p (n bytes) into r. */
static int open_many_parse(const uint8_t *p, size_t n, agent_request *r, ehr_err *e)
{
	if (n < OPEN_MANY_HEAD)
		return ehr_fail(e, EHR_EUSAGE, "agent request to open boxes without their length");
	r->box_len = (size_t)p[32] << 8 | p[33];
	n -= OPEN_MANY_HEAD;
	if (!agent_open_many_max(r->box_len))
		return ehr_fail(e, EHR_EUSAGE, "agent request to open boxes of %zu bytes", r->box_len);
	if (!n || n % r->box_len || n / r->box_len > agent_open_many_max(r->box_len))
		return ehr_fail(e, EHR_EUSAGE, "agent request to open %zu bytes of %zu-byte boxes", n, r->box_len);
	memcpy(r->pk, p, 32);
	r->sealed = p + OPEN_MANY_HEAD;
	r->sealed_len = n;
	r->count = n / r->box_len;
	return 0;
}

int agent_request_parse(const uint8_t *body, size_t len, agent_request *r, ehr_err *e)
{
	const uint8_t *p = body + AGENT_REQUEST_HEAD;
	size_t n;

	memset(r, 0, sizeof(*r));
	if (len < AGENT_REQUEST_HEAD || len > AGENT_FRAME_MAX)
		return ehr_fail(e, EHR_EUSAGE, "agent request of %zu bytes", len);
	n = len - AGENT_REQUEST_HEAD;
	r->op = body[0];
	memcpy(r->wallet_id, body + 1, 32);
	r->index = get32(body + 33);
	switch (r->op) {
	case AGENT_STATUS: case AGENT_LOCK:
		if (n)
			return ehr_fail(e, EHR_EUSAGE, "agent request %u with %zu stray bytes", r->op, n);
		return 0;
	case AGENT_KEYS:
		if (n > AGENT_PATH_MAX || !path_ok((const char *)p, n))
			return ehr_fail(e, EHR_EUSAGE, "agent request for keys with a bad path");
		memcpy(r->path, p, n);
		return 0;
	case AGENT_SIGN:
		if (n != 32)
			return ehr_fail(e, EHR_EUSAGE, "agent request to sign %zu bytes, not a 32-byte hash", n);
		memcpy(r->hash, p, 32);
		return 0;
	case AGENT_OPEN:
		if (n < 32 + crypto_box_SEALBYTES || n > 32 + AGENT_SEALED_MAX)
			return ehr_fail(e, EHR_EUSAGE, "agent request to open a box of %zu bytes", n);
		memcpy(r->pk, p, 32);
		r->sealed = p + 32;
		r->sealed_len = n - 32;
		return 0;
	case AGENT_OPEN_MANY:
		return open_many_parse(p, n, r, e);
	default:
		return ehr_fail(e, EHR_EUSAGE, "unknown agent request %u", r->op);
	}
}

size_t agent_reply_ok(const uint8_t *payload, size_t n, uint8_t *out, size_t cap)
{
	if (1 + n > cap || 1 + n > AGENT_FRAME_MAX)
		return 0;
	out[0] = 0;
	if (n)
		memcpy(out + 1, payload, n);
	return 1 + n;
}

size_t agent_reply_error(int status, const char *message, uint8_t *out, size_t cap)
{
	size_t n = strlen(message), i;

	if (n > AGENT_MESSAGE_MAX)
		n = AGENT_MESSAGE_MAX;
	if (status < EHR_EFAIL || status > EHR_EINTEGRITY || !n || 1 + n > cap)
		return 0;
	out[0] = (uint8_t)status;
	for (i = 0; i < n; i++)
		out[1 + i] = message[i] >= 0x20 && message[i] < 0x7f ? (uint8_t)message[i] : '?';
	return 1 + n;
}

int agent_reply_parse(const uint8_t *body, size_t len, size_t want, const uint8_t **payload,
		      size_t *n, ehr_err *e)
{
	size_t i;

	if (len < 1 || len > AGENT_FRAME_MAX)
		return ehr_fail(e, EHR_EFAIL, "the agent's reply has %zu bytes", len);
	if (body[0] == 0) {
		if (want && len - 1 != want)
			return ehr_fail(e, EHR_EFAIL, "the agent's reply has %zu bytes, not %zu", len - 1, want);
		*payload = body + 1;
		*n = len - 1;
		return 0;
	}
	if (body[0] > EHR_EINTEGRITY || len < 2 || len - 1 > AGENT_MESSAGE_MAX)
		return ehr_fail(e, EHR_EFAIL, "the agent's reply is not one");
	for (i = 1; i < len; i++)
		if (body[i] < 0x20 || body[i] >= 0x7f)
			return ehr_fail(e, EHR_EFAIL, "the agent's reply is not one");
	return ehr_fail(e, body[0], "the agent says: %.*s", (int)(len - 1), (const char *)body + 1);
}

#define STATUS_FIXED (32 + 8 + 8 + 4 + 4 + 1)

size_t agent_status_encode(const agent_status *s, uint8_t *out, size_t cap)
{
	size_t nl = strlen(s->name), pl = strlen(s->path);

	if (nl > AGENT_NAME_MAX || pl > AGENT_STATUS_PATH_MAX || STATUS_FIXED + nl + pl > cap)
		return 0;
	memcpy(out, s->wallet_id, 32);
	put64(out + 32, s->expires);
	put64(out + 40, s->idle_until);
	put32(out + 48, s->idle_s);
	put32(out + 52, s->pid);
	out[56] = (uint8_t)nl;
	memcpy(out + STATUS_FIXED, s->name, nl);
	memcpy(out + STATUS_FIXED + nl, s->path, pl);
	return STATUS_FIXED + nl + pl;
}

/* Text an agent may name: no NUL, no control byte. */
static int text_ok(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f)
			return 0;
	return 1;
}

int agent_status_parse(const uint8_t *payload, size_t n, agent_status *s, ehr_err *e)
{
	size_t nl;

	memset(s, 0, sizeof(*s));
	if (n < STATUS_FIXED || n >= AGENT_FRAME_MAX)
		return ehr_fail(e, EHR_EFAIL, "the agent's status has %zu bytes", n);
	nl = payload[56];
	if (STATUS_FIXED + nl > n || n - STATUS_FIXED - nl > AGENT_STATUS_PATH_MAX ||
	    !text_ok(payload + STATUS_FIXED, n - STATUS_FIXED))
		return ehr_fail(e, EHR_EFAIL, "the agent's status is not one");
	memcpy(s->wallet_id, payload, 32);
	s->expires = get64(payload + 32);
	s->idle_until = get64(payload + 40);
	s->idle_s = get32(payload + 48);
	s->pid = get32(payload + 52);
	memcpy(s->name, payload + STATUS_FIXED, nl);
	memcpy(s->path, payload + STATUS_FIXED + nl, n - STATUS_FIXED - nl);
	return 0;
}
