/* Node results the chain layer reads (wallet/chain/chain*.c): transaction
 * receipts and their logs, eth_getLogs entries, fee histories, and the
 * words of node errors (log range limits with a suggested range, revert
 * data). The input is a JSON result as a node would send it.
 *
 * The readers are static in the chain client's files, so this target
 * compiles all four into itself (their public symbols then come from here,
 * not from libehr.a's chain*.o). If they rename them, change this file
 * with them.
 *
 * Each log of a receipt that parses is handed on to registry_decode_event
 * with its own address as the registry's, as `ehr audit` does. */
#include "fuzz.h"

#include "wallet/chain/chain.c"
#include "wallet/chain/chain_prepare.c"
#include "wallet/chain/chain_read.c"
#include "wallet/chain/chain_send.c"
#include "wallet/chain/abi.h"
#include "wallet/registry/registry.h"

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

static void one_log(const chain_log *l)
{
	registry_event_data ev;
	ehr_err e;
	int st;

	FUZZ_ASSERT(l->n_topics <= 4);
	touch(l->data, l->data_len);
	st = registry_decode_event(l, l->address, &ev, &e);
	if (st)
		fuzz_check_err(st, &e);
	else
		registry_event_free(&ev);
}

static void words(const char *msg)
{
	struct chain c;
	char out[256];
	uint64_t span;
	const char *p;

	memset(&c, 0, sizeof(c));
	c.errors = registry_errors;
	c.n_errors = registry_n_errors;
	(void)is_limit_error(msg, -32000);
	(void)is_revert(msg, NULL);
	span = suggested_span(msg, 0);
	if ((p = strstr(msg, "[0x")))
		span = suggested_span(msg, strtoull(p + 1, NULL, 16));
	(void)span;
	chain_revert_reason(&c, msg, msg, out, sizeof(out));
	FUZZ_ASSERT(memchr(out, '\0', sizeof(out)));
	chain_revert_reason(&c, NULL, msg, out, sizeof(out));
	FUZZ_ASSERT(memchr(out, '\0', sizeof(out)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size), *dup;
	const cJSON *el;
	chain_receipt r;
	chain_log l;
	u256 fee;
	ehr_err e;
	size_t i;
	int st;

	if (!root)
		return 0;
	memset(&r, 0, sizeof(r));
	dup = cJSON_Duplicate(root, 1);
	if (dup) {
		st = parse_receipt(dup, &r, &e);	/* takes dup */
		if (st) {
			fuzz_check_err(st, &e);
			FUZZ_ASSERT(r.json == NULL && r.logs == NULL && !r.found);
		} else {
			FUZZ_ASSERT(r.found && r.status <= 1 && (r.logs || !r.n_logs));
			for (i = 0; i < r.n_logs; i++)
				one_log(&r.logs[i]);
		}
		chain_receipt_free(&r);
	}

	/* eth_getLogs: an array of logs, or one */
	if (cJSON_IsArray(root)) {
		cJSON_ArrayForEach(el, root) {
			if (!chain_parse_log(el, &l, &e))
				one_log(&l);
			chain_log_free(&l);
		}
	} else {
		if (!chain_parse_log(root, &l, &e))
			one_log(&l);
		chain_log_free(&l);
	}

	(void)history_tip(root, &fee);
	(void)history_base_fee(root, &fee);
	if (cJSON_IsString(root))
		words(root->valuestring);
	cJSON_Delete(root);
	return 0;
}

FUZZ_INIT_SODIUM()
