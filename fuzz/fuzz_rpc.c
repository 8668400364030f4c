/* JSON-RPC replies (wallet/chain/rpc*.c): the input is the body a node sent.
 *
 * The reply checks of rpc_jsonrpc.c (parse_body, check_reply,
 * batch_refused, take_error and error_data) are static and run after an
 * HTTP exchange, so this target compiles the client's three files into
 * itself to reach them without a network (their public symbols then come
 * from here, not from libehr.a's rpc*.o). It does with the body what
 * rpc_call and rpc_batch do once curl has read it. If those functions are
 * renamed, change this file with them.
 *
 * Every value of the parsed reply is also read as a quantity with
 * rpc_parse_quantity and rpc_parse_u64, which must agree. */
#include "fuzz.h"

#include "wallet/chain/rpc.c"
#include "wallet/chain/rpc_jsonrpc.c"
#include "wallet/chain/rpc_typed.c"

static void check_error_data(const char *data)
{
	size_t n;

	if (!data)
		return;
	n = strlen(data);
	FUZZ_ASSERT(n >= 2 && data[0] == '0' && data[1] == 'x' && n % 2 == 0);
	FUZZ_ASSERT(strspn(data + 2, "0123456789abcdefABCDEF") == n - 2);
}

/* One reply object, as do_call and batch_chunk treat it. */
static void one_reply(rpc_client *c, const cJSON *r)
{
	const cJSON *err = NULL;
	uint64_t id;
	long code = 0;
	char *data = NULL;
	ehr_err e;
	int st;

	st = check_reply(c, r, &id, &err, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_ENODE);
		return;
	}
	FUZZ_ASSERT(id <= (uint64_t)ID_MAX);
	if (!err)
		return;
	st = take_error(err, &code, &data, &e);
	fuzz_check_err(st, &e);
	FUZZ_ASSERT(st == EHR_ECHAIN);
	check_error_data(data);
	(void)rpc_maybe_known(e.msg);
	free(data);
}

/* Every value read as a quantity: the two readers agree. */
static void quantities(const cJSON *j, int depth)
{
	const cJSON *k;
	uint8_t be[32];
	uint64_t v = 0, w = 0;
	ehr_err e;
	int st256, st64, i;

	st256 = rpc_parse_quantity(j, be, &e);
	st64 = rpc_parse_u64(j, &v, &e);
	if (st64)
		fuzz_check_err(st64, &e);
	if (!st64) {
		FUZZ_ASSERT(!st256);
		for (i = 24; i < 32; i++)
			w = w << 8 | be[i];
		FUZZ_ASSERT(w == v);
		for (i = 0; i < 24; i++)
			FUZZ_ASSERT(be[i] == 0);
	}
	if (depth < 64)
		cJSON_ArrayForEach(k, j)
			quantities(k, depth + 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rpc_client c;
	cJSON *root = NULL;
	const cJSON *el;
	char shown[] = "http://127.0.0.1:8545", why[NODE_MSG_MAX + 4], snip[16];
	ehr_err e;
	int st, n;

	memset(&c, 0, sizeof(c));
	c.shown = shown;
	c.body = fuzz_cstr(data, size);
	c.len = size;
	c.cap = size + 1;

	rpc_clean_text(snip, sizeof(snip), c.body, c.len, 40);
	FUZZ_ASSERT(strlen(snip) < sizeof(snip));

	st = parse_body(&c, &root, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_ENODE && root == NULL);
		goto out;
	}
	if (cJSON_IsArray(root)) {
		/* a batch of as many requests as replies, and of one more */
		n = cJSON_GetArraySize(root);
		(void)batch_refused(root, (size_t)n, why, sizeof(why));
		if (batch_refused(root, (size_t)n + 1, why, sizeof(why)))
			FUZZ_ASSERT(strlen(why) < sizeof(why));
		cJSON_ArrayForEach(el, root)
			one_reply(&c, el);
	} else {
		if (batch_refused(root, 2, why, sizeof(why)))
			FUZZ_ASSERT(strlen(why) < sizeof(why));
		one_reply(&c, root);
	}
	quantities(root, 0);
out:
	cJSON_Delete(root);
	free(c.body);
	return 0;
}

FUZZ_INIT_SODIUM()
