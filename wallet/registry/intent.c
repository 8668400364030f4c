#include "wallet/registry/intent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wallet/base/hex.h"
#include "wallet/base/text.h"
#include "wallet/chain/abi.h"
#include "wallet/chain/eip712.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/grants.h"
#include "wallet/registry/registry.h"

void reg_intent_free(reg_intent *it)
{
	free(it->data);
	memset(it, 0, sizeof(*it));
}

void reg_intent_digest(const reg_intent *it, uint8_t out[32])
{
	uint8_t domain[32], type[32], w[4][32], hs[32];

	eip712_domain(REG_INTENT_NAME, REG_INTENT_VERSION, it->chain_id, it->registry, domain);
	eip712_type_hash(REG_INTENT_TYPE, type);
	eip712_word_address(it->signer, w[0]);
	eip712_word_bytes(it->data, it->data_len, w[1]);
	eip712_word_u256(&it->nonce, w[2]);
	eip712_word_u64(it->deadline, w[3]);
	eip712_hash_struct(type, (const uint8_t (*)[32])w, 4, hs);
	eip712_digest(domain, hs, out);
}

int reg_intent_check(const reg_intent *it, ehr_err *e)
{
	uint8_t digest[32], who[20];
	ehr_err ignored;

	reg_intent_digest(it, digest);
	if (eth_recover(digest, it->sig, who, &ignored) || memcmp(who, it->signer, 20))
		return ehr_fail(e, EHR_EINTEGRITY, "the intent's signature is not its signer's "
				"(a field was changed after signing)");
	return 0;
}

int reg_intent_used(chain *c, const uint8_t registry[20], const reg_intent *it, int *used, ehr_err *e)
{
	return registry_view_read(c, registry, "intentUsed(address,uint256)",
				  abi_tuple(2, abi_address(it->signer), abi_uint(&it->nonce)), "(bool)", e, used);
}

int reg_intent_execute_call(const reg_intent *it, uint8_t **out, size_t *len, ehr_err *e)
{
	abi_value *args = abi_tuple(5, abi_address(it->signer), abi_bytes(it->data, it->data_len),
				    abi_uint(&it->nonce), abi_uint64(it->deadline), abi_bytes(it->sig, 65));
	int rc;

	if (!args)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = abi_encode_call("execute(address,bytes,uint256,uint256,bytes)", args, out, len, e);
	abi_free(args);
	return rc;
}

/* The calls ehr makes, and their words: {N} is argument N as abi_format
 * writes it, {N#} the count of array N, {N'} string N sanitised. */
static const struct {
	const char *sig, *words;
} calls[] = {
	{ "register(bytes32,string,uint8)", "register this account's encryption key, name '{1'}' and role {2}" },
	{ "anchorRecord(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes))",
	  "anchor 1 record in the chart of {0}" },
	{ "anchorRecords(address,uint256,(bytes32,uint64,string,bytes,bytes,bytes)[])",
	  "anchor {2#} records in the chart of {0}" },
	{ "storeAndAnchor(address,uint256,(bytes32,uint32,uint32,bytes)[],(bytes32,uint64,string,bytes,bytes,bytes)[])",
	  "store {2#} chunks of ciphertext and anchor {3#} records in the chart of {0}" },
	{ "storeChunks((bytes32,uint32,uint32,bytes)[])", "store {0#} chunks of ciphertext" },
	{ "storeChunk(bytes32,uint32,uint32,bytes)", "store a chunk of ciphertext" },
	{ "eraseRecord(uint256)", "erase record {0}" },
	{ "grantAccess(address,uint64,uint8,uint8,uint256[])",
	  "grant {0} access (flags {2}, purpose {3}) to records {4} until {1u}" },
	{ "grant(address,uint64,uint8,uint256[],bytes[])",
	  "grant {0} access (flags {2}) to records {3}, their keys released up front, until {1u}" },
	{ "addGrantKeys(uint256,uint256[],bytes[])", "add records {1} to grant {0}" },
	{ "revoke(uint256)", "revoke grant {0}" },
	{ "redeemBearer(uint256,bytes)", "redeem bearer grant {0}" },
	{ "logAccess(uint256,uint256[])", "log an access to records {1} under grant {0}" },
	{ "requestAccess(address,uint256,uint256[])", "request records {2} of {0} under grant {1}" },
	{ "release(uint256,uint256[],bytes[])", "release the keys of records {1} for access request {0}" },
	{ "releaseDerived(uint256,uint256[],uint256[],bytes[])",
	  "release de-identified copies {2} of records {1} for access request {0}" },
	{ "denyAccess(uint256)", "deny access request {0}" },
	{ "approveGrant(uint256,uint256[],bytes[])", "approve grant request {0} (records {1})" },
	{ "denyGrant(uint256)", "deny grant request {0}" },
	{ "pay(uint256)", "pay invoice {0}" },
	{ "payWithPermit(uint256,uint256,uint8,bytes32,bytes32)", "pay invoice {0} (with a token permit)" },
	{ "issueInvoice(address,address,uint256,uint64,bytes)", "bill {0} {2} base units of token {1}" },
	{ "cancelInvoice(uint256)", "cancel invoice {0}" },
};

/* One {N...} placeholder of words at *p (past the '{') into out. */
static size_t describe_arg(const abi_value *args, const char **p, char *out, size_t cap)
{
	const abi_value *v = abi_item(args, (size_t)(**p - '0'));
	char kind = (*p)[1];
	size_t n = 0, len;
	const uint8_t *b;
	uint64_t t;

	if (kind == '#') {
		n = (size_t)snprintf(out, cap, "%zu", abi_count(v));
	} else if (kind == '\'') {
		b = abi_get_bytes(v, &len);
		n = text_clean(out, cap, b ? (const void *)b : "", b ? len : 0, 0);
	} else if (kind == 'u' && !abi_get_u64(v, &t)) {
		time_format(t, out, cap);
		n = strlen(out);
	} else {
		n = abi_format(v, out, cap);
	}
	while (**p && **p != '}')
		(*p)++;
	if (**p)
		(*p)++;
	return n < cap ? n : (cap ? cap - 1 : 0);
}

void reg_intent_describe(const reg_intent *it, char *out, size_t cap)
{
	size_t i, n = 0;
	abi_value *args = NULL;
	ehr_err ignored;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		if (!abi_decode_call(calls[i].sig, it->data, it->data_len, &args, &ignored))
			break;
	if (!args) {
		char sel[11] = "0x";

		if (it->data_len >= 4)
			hex_encode(it->data, 4, sel + 2);
		snprintf(out, cap, "call %s of the registry (a function ehr does not know)", sel);
		return;
	}
	for (const char *p = calls[i].words; *p && n + 1 < cap;) {
		if (*p == '{') {
			p++;
			n += describe_arg(args, &p, out + n, cap - n);
		} else {
			out[n++] = *p++;
		}
	}
	out[n < cap ? n : cap - 1] = '\0';
	abi_free(args);
}

int reg_intent_invoice_id(const reg_intent *it, uint64_t *id)
{
	static const char *const sigs[2] = { "pay(uint256)", "payWithPermit(uint256,uint256,uint8,bytes32,bytes32)" };
	abi_value *args = NULL;
	ehr_err ignored;
	int i, rc = -1;

	for (i = 0; i < 2 && rc; i++)
		if (!abi_decode_call(sigs[i], it->data, it->data_len, &args, &ignored)) {
			rc = abi_get_u64(abi_item(args, 0), id) ? -1 : 0;
			abi_free(args);
			args = NULL;
		}
	return rc;
}

static int add_hex(cJSON *o, const char *key, const uint8_t *p, size_t n)
{
	char *h = malloc(2 * n + 3);
	int ok;

	if (!h)
		return -1;
	hex_encode0x(p, n, h);
	ok = cJSON_AddStringToObject(o, key, h) != NULL;
	free(h);
	return ok ? 0 : -1;
}

cJSON *reg_intent_to_json(const reg_intent *it)
{
	cJSON *o = cJSON_CreateObject();
	char words[1024], addr[43], num[U256_DEC_MAX], when[40];
	time_t t = (time_t)it->deadline;
	struct tm tm;
	int bad = !o;

	reg_intent_describe(it, words, sizeof(words));
	bad |= !cJSON_AddStringToObject(o, "what", words);
	bad |= !cJSON_AddNumberToObject(o, "chain_id", (double)it->chain_id);
	eip55_format(it->registry, addr);
	bad |= !cJSON_AddStringToObject(o, "registry", addr);
	eip55_format(it->signer, addr);
	bad |= !cJSON_AddStringToObject(o, "signer", addr);
	u256_format_dec(&it->nonce, num);
	bad |= !cJSON_AddStringToObject(o, "nonce", num);
	bad |= !cJSON_AddNumberToObject(o, "deadline", (double)it->deadline);
	if (!gmtime_r(&t, &tm) || !strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm))
		strcpy(when, "?");
	bad |= !cJSON_AddStringToObject(o, "deadline_utc", when);
	bad |= !cJSON_AddStringToObject(o, "max_fee", "0");
	bad |= add_hex(o, "data", it->data, it->data_len) != 0;
	bad |= add_hex(o, "signature", it->sig, 65) != 0;
	if (bad) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

static const char *field(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A whole number field (JSON number), at most max. */
static int number_field(const cJSON *o, const char *key, double max, uint64_t *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > max ||
	    v->valuedouble != (double)(uint64_t)v->valuedouble)
		return -1;
	*out = (uint64_t)v->valuedouble;
	return 0;
}

int reg_intent_from_json(const cJSON *o, reg_intent *it, ehr_err *e)
{
	const char *s;
	ehr_err ignored;
	long n;

	memset(it, 0, sizeof(*it));
	if (!cJSON_IsObject(o))
		return ehr_fail(e, EHR_EUSAGE, "an intent is not a JSON object");
	if (number_field(o, "chain_id", 9007199254740991.0, &it->chain_id) || !it->chain_id)
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid chain_id");
	if (!(s = field(o, "registry")) || eip55_parse(s, it->registry, &ignored))
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid registry address");
	if (!(s = field(o, "signer")) || eip55_parse(s, it->signer, &ignored))
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid signer address");
	if (!(s = field(o, "nonce")) || u256_parse(s, &it->nonce))
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid nonce");
	if (number_field(o, "deadline", 9007199254740991.0, &it->deadline))
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid deadline");
	if (!(s = field(o, "signature")) || hex_decode_exact(s, it->sig, 65))
		return ehr_fail(e, EHR_EUSAGE, "the intent has no valid signature (65 bytes in hex)");
	if (!(s = field(o, "data")) || strlen(s) / 2 > REG_INTENT_DATA_MAX + 1)
		return ehr_fail(e, EHR_EUSAGE, "the intent has no call data, or too much");
	if (!(it->data = malloc(strlen(s) / 2 + 1)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if ((n = hex_decode(s, it->data, strlen(s) / 2 + 1)) < 4) {
		reg_intent_free(it);
		return ehr_fail(e, EHR_EUSAGE, "the intent's call data is not hex, or shorter than a selector");
	}
	it->data_len = (size_t)n;
	return 0;
}
