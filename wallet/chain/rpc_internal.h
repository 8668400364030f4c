/* What the files of the JSON-RPC client share (rpc.c: options, opening
 * and one HTTP exchange; rpc_jsonrpc.c: framing, batches and sending raw
 * transactions; rpc_typed.c: quantities and typed calls): the client
 * itself and a few helpers. Not for use outside wallet/chain/rpc*.c. */
#ifndef EHR_RPC_INTERNAL_H
#define EHR_RPC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/curl_lazy.h"

#include "wallet/base/err.h"
#include "wallet/chain/rpc.h"

#define NODE_MSG_MAX 300		/* bytes of a node's message we repeat */

struct rpc_client {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char *shown;		/* redacted url for messages */
	char *noproxy;
	rpc_options opt;
	uint64_t next_id;
	uint64_t rng;

	char *body;		/* the reply being read, NUL-terminated */
	size_t len, cap;
	int overflow, oom;

	/* how the last HTTP exchange failed */
	int transient;		/* a retry may help */
	int delivered;		/* the request may have reached the node */
	long retry_after_ms;

	long err_code;
	char *err_data;
	int too_large;		/* the last call's reply was refused for its size */
	char errbuf[CURL_ERROR_SIZE];
};

/* ---- rpc.c ------------------------------------------------------------------ */

/* Copies node-supplied text for an error message: control characters and
 * non-ASCII bytes become '?', runs of white space one space, and text
 * longer than max is cut with "...". */
void rpc_clean_text(char *out, size_t cap, const char *in, size_t len, size_t max);

/* EHR_ENODE "node at URL sent a malformed reply: WHY". */
int rpc_malformed(rpc_client *c, ehr_err *e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Forgets the node error code and data of the last call. */
void rpc_clear_last_error(rpc_client *c);

/* Hands text to the client's trace callback, if it has one. */
void rpc_trace(rpc_client *c, enum rpc_trace_event ev, const char *text, size_t len);

/* POSTs req and reads the reply into c->body; with retry, a transient
 * failure is tried again after rpc_back_off (the attempts are noted in the
 * message of a final failure by rpc_note_attempts). */
int rpc_exchange(rpc_client *c, const char *req, size_t len, int retry, ehr_err *e);
void rpc_back_off(rpc_client *c, int attempt);
void rpc_note_attempts(ehr_err *e, int attempts);

/* Frees a large reply buffer once its reply is read. */
void rpc_release_body(rpc_client *c);

static inline int out_of_memory(ehr_err *e)
{
	return ehr_fail(e, EHR_EFAIL, "out of memory");
}

#endif
