/* The unlock agent's protocol (`ehr unlock`, keystore/agent.h): small,
 * length-prefixed, over a Unix stream socket, one reply per request.
 *
 *   frame    = length (u32, big-endian, 1..AGENT_FRAME_MAX) || body
 *   request  = op (u8) || wallet id (32) || account index (u32 BE) || payload
 *     STATUS  payload empty; the id and index are not looked at
 *     KEYS    payload: a BIP32 path (0..AGENT_PATH_MAX bytes, "m/" then
 *             of "0123456789/'hH"; empty: the index's m/44'/60'/0'/0/index)
 *             -> address (20) || encryption public key (32)
 *     SIGN    payload: a 32-byte hash -> signature r || s || v (65, v 0/1)
 *     OPEN    payload: the account's encryption public key (32) || a
 *             crypto_box_seal box (48..AGENT_SEALED_MAX bytes)
 *             -> the box's plaintext
 *     OPEN_MANY  payload: the encryption public key (32) || the boxes'
 *             length (u16 BE, 48..AGENT_SEALED_MAX) || one or more boxes of
 *             that length, as many as fit a reply
 *             -> per box: opened (u8 1 or 0) || its plaintext (zero bytes
 *             when not opened); one request for a batch (audit's titles)
 *     LOCK    payload empty -> empty; the agent wipes its keys and ends
 *             (whichever wallet the id names)
 *   reply    = status (u8: 0, or an ehr status 1..6) || payload (status 0)
 *              or a message (1..AGENT_MESSAGE_MAX bytes of printable ASCII)
 *   STATUS's payload = wallet id (32) || expires (u64 BE, Unix seconds) ||
 *              idle_until (u64 BE) || idle limit in seconds (u32 BE) ||
 *              pid (u32 BE) || name length (u8) || name || path (the rest)
 *
 * The wallet id (keystore_wallet_id) names one wallet file in one state:
 * the agent answers KEYS, SIGN and OPEN only for its own. Nothing here does
 * I/O; the parsers refuse anything not exactly this (EHR_EUSAGE). */
#ifndef EHR_AGENT_WIRE_H
#define EHR_AGENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define AGENT_FRAME_MAX 65536
#define AGENT_PATH_MAX 63
#define AGENT_SEALED_MAX 2048
#define AGENT_MESSAGE_MAX 200
#define AGENT_NAME_MAX 255
#define AGENT_STATUS_PATH_MAX 4095
#define AGENT_REQUEST_HEAD 37      /* op, id, index */

enum agent_op { AGENT_STATUS = 1, AGENT_KEYS = 2, AGENT_SIGN = 3, AGENT_OPEN = 4, AGENT_LOCK = 5,
		AGENT_OPEN_MANY = 6 };

typedef struct agent_request {
	uint8_t op;
	uint8_t wallet_id[32];
	uint32_t index;
	char path[AGENT_PATH_MAX + 1];     /* KEYS */
	uint8_t hash[32];                  /* SIGN */
	uint8_t pk[32];                    /* OPEN */
	const uint8_t *sealed;             /* OPEN, OPEN_MANY: points into the parsed body */
	size_t sealed_len;                 /* all the boxes' bytes */
	size_t box_len, count;             /* OPEN_MANY */
} agent_request;

typedef struct agent_status {
	uint8_t wallet_id[32];
	uint64_t expires, idle_until;
	uint32_t idle_s, pid;
	char name[AGENT_NAME_MAX + 1];
	char path[AGENT_STATUS_PATH_MAX + 1];
} agent_status;

/* The largest number of boxes of box_len bytes one OPEN_MANY takes (its
 * request and its reply both fit a frame). */
size_t agent_open_many_max(size_t box_len);

/* Encodes r as a request body into out (cap bytes); its length, or 0 when
 * it does not fit or r is not a request this file describes. */
size_t agent_request_encode(const agent_request *r, uint8_t *out, size_t cap);

/* Parses a request body. */
int agent_request_parse(const uint8_t *body, size_t len, agent_request *r, ehr_err *e);

/* A reply body: status 0 and payload, or an error status and message. */
size_t agent_reply_ok(const uint8_t *payload, size_t n, uint8_t *out, size_t cap);
size_t agent_reply_error(int status, const char *message, uint8_t *out, size_t cap);

/* Parses a reply body: status 0 gives its payload in *payload, *n (into
 * body); an error status gives that status and its message in e. want, if
 * not 0, is the payload's exact length. */
int agent_reply_parse(const uint8_t *body, size_t len, size_t want, const uint8_t **payload,
		      size_t *n, ehr_err *e);

size_t agent_status_encode(const agent_status *s, uint8_t *out, size_t cap);
int agent_status_parse(const uint8_t *payload, size_t n, agent_status *s, ehr_err *e);

/* A frame's length prefix: the body's length, or 0 when out of range. */
void agent_frame_head(size_t len, uint8_t head[4]);
size_t agent_frame_length(const uint8_t head[4]);

#endif
