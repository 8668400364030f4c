/* Quantities and the typed calls of rpc.h. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"
#include "wallet/chain/rpc_internal.h"

/* ---- typed helpers ---------------------------------------------------- */

static int bad_quantity(const cJSON *j, const char *why, ehr_err *e)
{
	char snip[80];

	if (!cJSON_IsString(j))
		return ehr_fail(e, EHR_ENODE, "node sent a malformed quantity: %s", why);
	rpc_clean_text(snip, sizeof(snip), j->valuestring, strlen(j->valuestring), 70);
	return ehr_fail(e, EHR_ENODE, "node sent a malformed quantity '%s': %s", snip, why);
}

/* The significant hex digits of a quantity (at least one). */
static int quantity_digits(const cJSON *j, const char **digits, size_t *n, ehr_err *e)
{
	const char *s, *p;

	if (!cJSON_IsString(j))
		return bad_quantity(j, "not a string", e);
	s = j->valuestring;
	if (s[0] != '0' || s[1] != 'x')
		return bad_quantity(j, "no 0x prefix", e);
	p = s + 2;
	*n = strlen(p);
	if (!*n)
		return bad_quantity(j, "no digits", e);
	if (strspn(p, "0123456789abcdefABCDEF") != *n)
		return bad_quantity(j, "not hex", e);
	while (*n > 1 && *p == '0') {
		p++;
		(*n)--;
	}
	*digits = p;
	return 0;
}

int rpc_parse_quantity(const cJSON *j, uint8_t be32[32], ehr_err *e)
{
	const char *d;
	size_t n, i;
	int st;

	if ((st = quantity_digits(j, &d, &n, e)))
		return st;
	if (n > 64)
		return bad_quantity(j, "more than 256 bits", e);
	memset(be32, 0, 32);
	for (i = 0; i < n; i++) {
		size_t nib = n - 1 - i;	/* nibble index from the right */

		be32[31 - nib / 2] |= (uint8_t)(hex_digit_value((unsigned char)d[i]) << (nib % 2 ? 4 : 0));
	}
	return 0;
}

int rpc_parse_u64(const cJSON *j, uint64_t *out, ehr_err *e)
{
	const char *d;
	size_t n, i;
	uint64_t v = 0;
	int st;

	if ((st = quantity_digits(j, &d, &n, e)))
		return st;
	if (n > 16)
		return bad_quantity(j, "more than 64 bits", e);
	for (i = 0; i < n; i++)
		v = v << 4 | (uint64_t)hex_digit_value((unsigned char)d[i]);
	*out = v;
	return 0;
}

void rpc_u64_quantity(uint64_t v, char out[19])
{
	snprintf(out, 19, "0x%" PRIx64, v);
}

/* "node sent a malformed quantity ..." from a parser that knows no URL
 * becomes "node at URL sent a malformed reply: METHOD: malformed quantity". */
static int name_node(rpc_client *c, const char *method, ehr_err *e)
{
	static const char lead[] = "node sent a ";
	char why[sizeof(e->msg)];

	snprintf(why, sizeof(why), "%s", strncmp(e->msg, lead, sizeof(lead) - 1) ? e->msg
		 : e->msg + sizeof(lead) - 1);
	return rpc_malformed(c, e, "%s: %s", method, why);
}

static int call_u64(rpc_client *c, const char *method, uint64_t *out, ehr_err *e)
{
	ehr_err scratch;
	cJSON *res;
	int st;

	if (!e)
		e = &scratch;
	if ((st = rpc_call(c, method, NULL, &res, e)))
		return st;
	st = rpc_parse_u64(res, out, e);
	cJSON_Delete(res);
	return st ? name_node(c, method, e) : 0;
}

int rpc_chain_id(rpc_client *c, uint64_t *out, ehr_err *e)
{
	return call_u64(c, "eth_chainId", out, e);
}

int rpc_block_number(rpc_client *c, uint64_t *out, ehr_err *e)
{
	return call_u64(c, "eth_blockNumber", out, e);
}

int rpc_valid_block_tag(const char *tag, int canonical)
{
	static const char *const names[] = { "latest", "pending", "earliest", "safe", "finalized" };
	size_t i, n;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(tag, names[i]))
			return 1;
	if (tag[0] != '0' || tag[1] != 'x')
		return 0;
	n = strlen(tag + 2);
	if (n < 1 || n > 16)
		return 0;
	if (!canonical)
		return strspn(tag + 2, "0123456789abcdefABCDEF") == n;
	return strspn(tag + 2, "0123456789abcdef") == n && (n == 1 || tag[2] != '0');
}

int rpc_get_balance(rpc_client *c, const uint8_t addr[20], const char *tag,
		    uint8_t be32[32], ehr_err *e)
{
	ehr_err scratch;
	char addr_hex[43];
	cJSON *params, *res;
	int st;

	if (!e)
		e = &scratch;
	if (!tag)
		tag = "latest";
	if (!rpc_valid_block_tag(tag, 1))
		return ehr_fail(e, EHR_EUSAGE, "invalid block tag '%.40s'", tag);
	hex_encode0x(addr, 20, addr_hex);
	params = cJSON_CreateArray();
	if (!params || !cJSON_AddItemToArray(params, cJSON_CreateString(addr_hex)) ||
	    !cJSON_AddItemToArray(params, cJSON_CreateString(tag))) {
		cJSON_Delete(params);
		return out_of_memory(e);
	}
	if ((st = rpc_call(c, "eth_getBalance", params, &res, e)))
		return st;
	st = rpc_parse_quantity(res, be32, e);
	cJSON_Delete(res);
	return st ? name_node(c, "eth_getBalance", e) : 0;
}
