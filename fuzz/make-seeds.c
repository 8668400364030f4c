/* Writes the binary seed inputs of the fuzz targets: valid encodings made
 * by libehr itself (RLP, transactions, ABI data, registry events, revert
 * data, a wallet file, v3 files, envelopes, chain storage call data), each
 * laid out as its target reads its input. fuzz/make-seeds.sh builds and
 * runs it; the seeds are committed in fuzz/corpus/, so this runs only when
 * a format changes.
 *
 *   make-seeds CORPUS_DIR */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "keystore/keystore.h"
#include "keystore/v3.h"
#include "wallet/chain/abi.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/eth.h"
#include "wallet/registry/grant_uri.h"
#include "wallet/base/deflate.h"
#include "wallet/vault/envelope.h"
#include "wallet/vault/jose.h"
#include "wallet/base/hex.h"
#include "wallet/registry/registry.h"
#include "wallet/chain/rlp.h"
#include "wallet/chain/tx.h"

static const char *corpus;

static void die(const char *what, const ehr_err *e) __attribute__((noreturn));

static void die(const char *what, const ehr_err *e)
{
	fprintf(stderr, "make-seeds: %s: %s\n", what, e ? e->msg : strerror(errno));
	exit(1);
}

/* Writes corpus/target/name from parts: (pointer, length) pairs, NULL-ended. */
static void seed(const char *target, const char *name, ...)
{
	char path[4096];
	const void *p;
	size_t n;
	va_list ap;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", corpus, target);
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		die(path, NULL);
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, target, name);
	if (!(f = fopen(path, "wb")))
		die(path, NULL);
	va_start(ap, name);
	while ((p = va_arg(ap, const void *))) {
		n = va_arg(ap, size_t);
		if (n && fwrite(p, 1, n, f) != n)
			die(path, NULL);
	}
	va_end(ap);
	if (fclose(f))
		die(path, NULL);
}

static const uint8_t registry_addr[20] = {
	0x5f, 0xbd, 0xb2, 0x31, 0x56, 0x78, 0xaf, 0xec, 0xb3, 0x67,
	0xf0, 0x32, 0xd9, 0x3f, 0x64, 0x2f, 0x64, 0x18, 0x0a, 0xa3,
};

/* ---- a value for any ABI type, to encode ----------------------------- */

/* A value of the one type t[0..n): dynamic arrays get two items, T[k] k
 * items, numbers count up so that items differ. */
static abi_value *value_of(const char *t, size_t n)
{
	static const uint8_t addr[20] = { 0xde, 0xad, 0xbe, 0xef };
	static unsigned counter;
	abi_value *v;
	char name[32];
	size_t i, start, count, open;
	int depth, width;

	if (n && t[n - 1] == ']') {
		/* T[k] or T[]: the element type is what precedes the last '[' */
		for (open = n - 1; t[open] != '['; open--)
			;
		count = open + 2 == n ? 2 : strtoul(t + open + 1, NULL, 10);
		v = abi_array_new();
		for (i = 0; i < count; i++)
			abi_push(v, value_of(t, open));
		return v;
	}
	if (n && t[0] == '(') {
		v = abi_tuple_new();
		depth = 0;
		for (i = start = 1; i < n; i++) {
			if (t[i] == '(')
				depth++;
			else if (t[i] == ')' && depth)
				depth--;
			else if ((t[i] == ',' && !depth) || (t[i] == ')' && i == n - 1)) {
				abi_push(v, value_of(t + start, i - start));
				start = i + 1;
			}
		}
		return v;
	}
	snprintf(name, sizeof(name), "%.*s", (int)n, t);
	counter++;
	if (!strncmp(name, "uint", 4))
		return abi_uint64(counter * 7 % 100);
	if (!strncmp(name, "int", 3))
		return abi_int64(-(int64_t)(counter % 100));
	if (!strcmp(name, "address"))
		return abi_address(addr);
	if (!strcmp(name, "bool"))
		return abi_bool(1);
	if (!strcmp(name, "string"))
		return abi_string("a record title");
	if (!strcmp(name, "bytes"))
		return abi_bytes("\x01\x02sealed", 8);
	if (sscanf(name, "bytes%d", &width) == 1) {
		uint8_t b[32];

		memset(b, 0x42 + (int)(counter % 16), sizeof(b));
		return abi_fixed_bytes(b, (size_t)width);
	}
	fprintf(stderr, "make-seeds: unknown type %s\n", name);
	exit(1);
}

/* The ABI encoding of a value made for types (a tuple type string). */
static void encode(const char *types, uint8_t **out, size_t *len)
{
	abi_value *v = value_of(types, strlen(types));
	ehr_err e;

	if (abi_encode(types, v, out, len, &e))
		die(types, &e);
	abi_free(v);
}

/* ---- targets ---------------------------------------------------------- */

static const uint8_t priv[32] = {
	0x4c, 0x08, 0x83, 0xa6, 0x91, 0x02, 0x93, 0x7d, 0x62, 0x31, 0x47, 0x1b, 0x5d, 0xbb, 0x62, 0x04,
	0xfe, 0x51, 0x29, 0x61, 0x70, 0x82, 0x79, 0x2a, 0xe4, 0x68, 0xd0, 0x1a, 0x3f, 0x36, 0x23, 0x18,
};

static void seeds_rlp_tx(void)
{
	static const uint8_t to[20] = { 0x35, 0x35, 0x35 };
	eth_tx tx;
	uint8_t *raw, hash[32], *al;
	size_t raw_len, al_len;
	rlp_buf b;
	ehr_err e;

	memset(&tx, 0, sizeof(tx));
	tx.type = TX_LEGACY;
	tx.chain_id = u256_from_u64(1);
	tx.nonce = 9;
	tx.gas_price = u256_from_u64(20000000000ULL);
	tx.gas = 21000;
	tx.has_to = 1;
	memcpy(tx.to, to, 20);
	tx.value = u256_from_u64(1000000000000000000ULL);
	if (tx_sign(&tx, priv, &raw, &raw_len, hash, &e))
		die("tx_sign", &e);
	seed("tx", "legacy", raw, raw_len, NULL);
	seed("rlp", "legacy-tx", raw, raw_len, NULL);
	free(raw);

	/* type 2 with call data and an access list */
	rlp_init(&b);
	rlp_list_begin(&b);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, to, 20);
	rlp_list_begin(&b);
	rlp_put_bytes(&b, priv, 32);
	rlp_list_end(&b);
	rlp_list_end(&b);
	rlp_list_end(&b);
	if (rlp_finish(&b, &al, &al_len, &e))
		die("rlp", &e);
	tx.type = TX_EIP1559;
	tx.chain_id = u256_from_u64(31337);
	tx.max_priority_fee = u256_from_u64(1000000000);
	tx.max_fee = u256_from_u64(3000000000ULL);
	tx.data = (const uint8_t *)"\xa9\x05\x9c\xbb\x00\x01";
	tx.data_len = 6;
	tx.access_list = al;
	tx.access_list_len = al_len;
	if (tx_sign(&tx, priv, &raw, &raw_len, hash, &e))
		die("tx_sign", &e);
	seed("tx", "eip1559", raw, raw_len, NULL);
	seed("rlp", "eip1559-payload", raw + 1, raw_len - 1, NULL);
	free(raw);
	free(al);
}

static const char *const abi_types[] = {	/* as in fuzz_abi.c, in order */
	"(uint256)",
	"(bool,address,bytes32,int64)",
	"(bytes)",
	"(string)",
	"(uint256[])",
	"(bytes[])",
	"(string[2])",
	"((uint64,bytes)[])",
	"(uint256[][])",
	"((string,bytes)[2][])",
	"(int8,int256,uint8,bytes1,uint64)",
	"(string,uint256[3],(bool,string))",
	"(bytes32,uint32,uint32,bytes)",
	"((bytes32,uint32,uint32,bytes)[])",
	"(address,uint256,(bytes32,uint32,uint32,bytes)[],(bytes32,uint64,string,bytes,bytes,bytes)[])",
	"(address,uint64,uint8,uint64[],bytes[])",
	"(bytes32,uint64,string,bytes,bytes,bytes,bytes)",
	"(bytes32[],(address,bytes)[][2])",
};

static void seeds_abi(void)
{
	uint8_t *enc, sel[4];
	size_t len, i;
	char name[32];
	ehr_err e;
	uint8_t idx;

	for (i = 0; i < sizeof(abi_types) / sizeof(abi_types[0]); i++) {
		encode(abi_types[i], &enc, &len);
		idx = (uint8_t)i;
		snprintf(name, sizeof(name), "type-%02zu", i);
		seed("abi", name, &idx, (size_t)1, enc, len, NULL);
		if (i == 7 || i == 9 || i == 14)
			seed("abi_types", name, abi_types[i], strlen(abi_types[i]), "\n", (size_t)1,
			     enc, len, NULL);
		free(enc);
	}
	seed("abi_types", "signature", "transfer(address,uint)", strlen("transfer(address,uint)"),
	     NULL);

	/* revert data: Error(string), Panic(0x11), and registry errors */
	encode("(string)", &enc, &len);
	if (abi_selector("Error(string)", sel, &e))
		die("selector", &e);
	seed("revert", "error-string", sel, (size_t)4, enc, len, NULL);
	free(enc);
	if (abi_selector("Panic(uint256)", sel, &e))
		die("selector", &e);
	{
		uint8_t word[32] = { 0 };

		word[31] = 0x11;
		seed("revert", "panic", sel, (size_t)4, word, (size_t)32, NULL);
	}
	for (i = 0; i < registry_n_errors; i++) {
		const char *sig = registry_errors[i].signature;
		const char *paren = strchr(sig, '(');

		if (strcmp(sig, "NoSuchRecord(uint256)") && strcmp(sig, "WrongAmount(uint256,uint256)") &&
		    strcmp(sig, "NotPatient()"))
			continue;
		if (abi_selector(sig, sel, &e))
			die("selector", &e);
		if (paren[1] == ')') {
			seed("revert", "custom-noargs", sel, (size_t)4, NULL);
			continue;
		}
		encode(paren, &enc, &len);
		snprintf(name, sizeof(name), "custom-%zu", i);
		seed("revert", name, sel, (size_t)4, enc, len, NULL);
		free(enc);
	}
}

/* One registry event as fuzz_registry reads it: topics after topic 0 are
 * an address, an id and an address, as the registry's events have them. */
static void event_seed(enum registry_event ev, unsigned n_topics, const char *data_types,
		       const char *name)
{
	uint8_t head[2] = { (uint8_t)n_topics, (uint8_t)ev }, topics[3][32], *enc = NULL;
	size_t len = 0;

	memset(topics, 0, sizeof(topics));
	memset(topics[0] + 12, 0xaa, 20);
	topics[1][31] = 5;
	memset(topics[2] + 12, 0xbb, 20);
	if (ev == REG_EV_CHUNK_STORED)
		memset(topics[0], 0x11, 32);
	if (data_types)
		encode(data_types, &enc, &len);
	seed("registry", name, head, (size_t)2, topics, (size_t)(n_topics - 1) * 32,
	     enc ? (const void *)enc : (const void *)"", len, NULL);
	free(enc);
}

static void seeds_registry(void)
{
	event_seed(REG_EV_KEY_REGISTERED, 2, "(bytes32,uint8,string)", "key-registered");
	event_seed(REG_EV_RECORD_ANCHORED, 4, "(uint256,bytes32,uint64,string,bytes,bytes,bytes)",
		   "record-anchored");
	event_seed(REG_EV_RECORD_ERASED, 3, NULL, "record-erased");
	event_seed(REG_EV_CHUNK_STORED, 3, "(uint32,uint32)", "chunk-stored");
	event_seed(REG_EV_GRANT_ISSUED, 4, "(uint64,uint8,uint8,uint256[],bytes[])", "grant-issued");
	event_seed(REG_EV_GRANT_KEYS_ADDED, 4, "(uint256[],bytes[])", "grant-keys-added");
	event_seed(REG_EV_ACCESS_LOGGED, 4, "(uint256[])", "access-logged");
	event_seed(REG_EV_INVOICE_ISSUED, 4, "(address,uint256,uint64,bytes)", "invoice-issued");
	event_seed(REG_EV_INVOICE_PAID, 4, "(address,uint256)", "invoice-paid");
}

/* A receipt of one RecordAnchored log, as a node's JSON. */
static void seeds_chain(void)
{
	char *json, topic0[67], data_hex[4096];
	uint8_t *enc;
	size_t len;
	int n;

	encode("(uint256,bytes32,uint64,string,bytes,bytes,bytes)", &enc, &len);
	if (2 * len + 3 > sizeof(data_hex))
		exit(1);
	hex_encode0x(enc, len, data_hex);
	free(enc);
	hex_encode0x(registry_event_topic(REG_EV_RECORD_ANCHORED), 32, topic0);
	n = asprintf(&json,
		"{\"transactionHash\":\"0x%064x\",\"blockHash\":\"0x%064x\",\"blockNumber\":\"0x1b\","
		"\"transactionIndex\":\"0x0\",\"gasUsed\":\"0x5208\",\"from\":\"0x%040x\","
		"\"to\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"contractAddress\":null,"
		"\"status\":\"0x1\",\"effectiveGasPrice\":\"0x3b9aca00\",\"logs\":[{"
		"\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\",\"topics\":[\"%s\","
		"\"0x000000000000000000000000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\","
		"\"0x0000000000000000000000000000000000000000000000000000000000000005\","
		"\"0x000000000000000000000000bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"],"
		"\"data\":\"%s\",\"blockNumber\":\"0x1b\",\"blockHash\":\"0x%064x\","
		"\"transactionHash\":\"0x%064x\",\"transactionIndex\":\"0x0\",\"logIndex\":\"0x0\","
		"\"removed\":false}]}\n", 7, 8, 9, topic0, data_hex, 8, 7);
	if (n < 0)
		exit(1);
	seed("chain", "receipt", json, strlen(json), NULL);
	free(json);
}

static void seeds_keystore(void)
{
	char dir[] = "/tmp/ehr-seeds-XXXXXX", path[64], *text = NULL;
	keystore_secret *s = keystore_secret_new();
	uint8_t zero = 0, one = 1;
	ehr_err e;
	FILE *f;
	long n;

	if (!s || !mkdtemp(dir))
		die("keystore", NULL);
	s->kind = KEYSTORE_MNEMONIC;
	s->entropy_len = 16;
	memset(s->entropy, 0x5a, 16);
	snprintf(path, sizeof(path), "%s/w.json", dir);
	if (keystore_create(path, s, "fuzz", 4, KDF_INTERACTIVE, 2, false, &e))
		die("keystore_create", &e);
	keystore_secret_free(s);
	if (!(f = fopen(path, "rb")) || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) || !(text = malloc((size_t)n)) ||
	    fread(text, 1, (size_t)n, f) != (size_t)n)
		die(path, NULL);
	fclose(f);
	seed("keystore", "wallet-raw", &zero, (size_t)1, text, (size_t)n, NULL);
	seed("keystore", "wallet-fixup", &one, (size_t)1, text, (size_t)n, NULL);
	free(text);
	unlink(path);
	rmdir(dir);
}

static void seeds_v3(void)
{
	v3_params scrypt = { V3_KDF_SCRYPT, 16, 8, 1, 0 }, pbkdf2 = { V3_KDF_PBKDF2, 0, 0, 0, 64 };
	char *json;
	ehr_err e;

	if (v3_encrypt(priv, "fuzz", 4, &scrypt, &json, &e))
		die("v3_encrypt", &e);
	seed("v3", "scrypt", json, strlen(json), NULL);
	free(json);
	if (v3_encrypt(priv, "fuzz", 4, &pbkdf2, &json, &e))
		die("v3_encrypt", &e);
	seed("v3", "pbkdf2", json, strlen(json), NULL);
	free(json);
}

/* The envelope of text under fuzz_envelope's key, with metadata. */
static void seeds_envelope(void)
{
	uint8_t *key = sodium_malloc(32), zero = 0, *env;
	char in_path[] = "/tmp/ehr-seed-in-XXXXXX", out_path[] = "/tmp/ehr-seed-out-XXXXXX";
	const char *text = "{\"resourceType\":\"Observation\",\"status\":\"final\"}";
	envelope_meta meta;
	uint64_t env_len;
	char *json;
	size_t json_len, i;
	int in_fd, out_fd;
	ehr_err e;

	if (!key)
		exit(1);
	for (i = 0; i < 32; i++)
		key[i] = (uint8_t)(0xe0 + i);
	envelope_meta_init(&meta);
	snprintf(meta.title, sizeof(meta.title), "blood panel");
	snprintf(meta.type, sizeof(meta.type), "Observation");
	snprintf(meta.media_type, sizeof(meta.media_type), "application/fhir+json");
	snprintf(meta.file_name, sizeof(meta.file_name), "panel.json");
	snprintf(meta.created, sizeof(meta.created), "2025-01-31T09:30:00Z");
	snprintf(meta.resource_type, sizeof(meta.resource_type), "Observation");
	if ((in_fd = mkstemp(in_path)) < 0 || (out_fd = mkstemp(out_path)) < 0 ||
	    write(in_fd, text, strlen(text)) != (ssize_t)strlen(text) || lseek(in_fd, 0, SEEK_SET))
		die("envelope", NULL);
	if (envelope_seal(in_fd, out_fd, &meta, key, NULL, &env_len, &e))
		die("envelope_seal", &e);
	if (!(env = malloc(env_len)) || pread(out_fd, env, env_len, 0) != (ssize_t)env_len)
		die("envelope", NULL);
	seed("envelope", "sealed", &zero, (size_t)1, env, (size_t)env_len, NULL);
	close(in_fd);
	close(out_fd);
	unlink(in_path);
	unlink(out_path);
	free(env);
	sodium_free(key);

	/* structured: metadata (MESSAGE) and one FINAL chunk; and a full
	 * chunk before a short FINAL one */
	meta.size = strlen(text);
	if (envelope_meta_encode(&meta, &json, &json_len, &e))
		die("envelope_meta_encode", &e);
	seed("envelope_meta", "observation", json, json_len, NULL);
	{
		uint8_t head[4] = { 1, 0, (uint8_t)(json_len >> 8), (uint8_t)json_len };
		uint8_t chunk[3] = { 3, 0, (uint8_t)strlen(text) };

		seed("envelope", "structured", head, (size_t)4, json, json_len, chunk, (size_t)3,
		     text, strlen(text), NULL);
	}
	free(json);
	meta.size = 65536 + 5;
	if (envelope_meta_encode(&meta, &json, &json_len, &e))
		die("envelope_meta_encode", &e);
	{
		uint8_t head[4] = { 1, 0, (uint8_t)(json_len >> 8), (uint8_t)json_len };
		uint8_t full[3] = { 0x80, 0, 4 }, last[3] = { 3, 0, 5 };

		seed("envelope", "structured-full", head, (size_t)4, json, json_len, full, (size_t)3,
		     "abcd", (size_t)4, last, (size_t)3, "hello", (size_t)5, NULL);
	}
	free(json);
}

/* Call data of the chunk functions for fuzz_chainstore (without selector). */
static void seeds_chainstore(void)
{
	uint8_t hash[32], addr[20], *enc;
	uint8_t head[3] = { 1, 0, 10 };	/* 2 chunks, 10 bytes */
	abi_value *v;
	size_t len;
	ehr_err e;
	uint8_t item[3] = { 1, 0, 0 };

	memset(hash, 0x11, 32);
	memset(addr, 0x22, 20);
	v = abi_tuple(1, abi_array(2,
		abi_tuple(4, abi_fixed_bytes(hash, 32), abi_uint64(0), abi_uint64(2), abi_bytes("hello", 5)),
		abi_tuple(4, abi_fixed_bytes(hash, 32), abi_uint64(1), abi_uint64(2), abi_bytes("world", 5))));
	if (abi_encode("((bytes32,uint32,uint32,bytes)[])", v, &enc, &len, &e))
		die("abi_encode", &e);
	abi_free(v);
	item[1] = (uint8_t)(len >> 8);
	item[2] = (uint8_t)len;
	seed("chainstore", "store-chunks", head, (size_t)3, item, (size_t)3, enc, len, NULL);
	free(enc);

	v = abi_tuple(4, abi_fixed_bytes(hash, 32), abi_uint64(1), abi_uint64(2), abi_bytes("world", 5));
	if (abi_encode("(bytes32,uint32,uint32,bytes)", v, &enc, &len, &e))
		die("abi_encode", &e);
	abi_free(v);
	{
		uint8_t ev_item[3] = { 3, 0, 64 }, ev[64] = { 0 };
		uint8_t one[3] = { 0, (uint8_t)(len >> 8), (uint8_t)len };

		ev[31] = 1;
		ev[63] = 2;
		seed("chainstore", "event-and-chunk", head, (size_t)3, ev_item, (size_t)3, ev,
		     (size_t)64, one, (size_t)3, enc, len, NULL);
	}
	free(enc);

	v = abi_tuple(4, abi_address(addr), abi_uint64(0),
		abi_array(1, abi_tuple(4, abi_fixed_bytes(hash, 32), abi_uint64(0), abi_uint64(2),
				       abi_bytes("hello", 5))),
		abi_array(1, abi_tuple(6, abi_fixed_bytes(hash, 32), abi_uint64(10),
				       abi_string("chain:"), abi_bytes("k", 1), abi_bytes("", 0),
				       abi_bytes("m", 1))));
	if (abi_encode("(address,uint256,(bytes32,uint32,uint32,bytes)[],"
		       "(bytes32,uint64,string,bytes,bytes,bytes)[])", v, &enc, &len, &e))
		die("abi_encode", &e);
	abi_free(v);
	item[0] = 2;
	item[1] = (uint8_t)(len >> 8);
	item[2] = (uint8_t)len;
	seed("chainstore", "store-and-anchor", head, (size_t)3, item, (size_t)3, enc, len, NULL);
	free(enc);
}

/* Text made by the formatters: grant URIs, mnemonics, EIP-55 addresses. */
static void seeds_text(void)
{
	grant_uri u = { 31337, { 0 }, 7, 0, 0 };
	uint8_t key[32], entropy[32];
	char out[GRANT_URI_MAX], words[BIP39_MNEMONIC_MAX], addr[43];
	ehr_err e;

	memcpy(u.registry, registry_addr, 20);
	memset(key, 0x6b, sizeof(key));
	if (grant_uri_format(&u, NULL, out, sizeof(out), &e))
		die("grant_uri_format", &e);
	seed("grant_uri", "plain", out, strlen(out), NULL);
	u.has_key = 1;
	if (grant_uri_format(&u, key, out, sizeof(out), &e))
		die("grant_uri_format", &e);
	seed("grant_uri", "bearer", out, strlen(out), NULL);
	u.needs_passcode = 1;
	u.chain_id = 11155111;
	if (grant_uri_format(&u, key, out, sizeof(out), &e))
		die("grant_uri_format", &e);
	seed("grant_uri", "passcode-qr", "QR-Code:", (size_t)8, out, strlen(out), "\n", (size_t)1,
	     NULL);

	memset(entropy, 0, sizeof(entropy));
	if (bip39_from_entropy(entropy, 16, words, sizeof(words), &e))
		die("bip39", &e);
	seed("bip39", "12-words", words, strlen(words), NULL);
	memset(entropy, 0x7f, sizeof(entropy));
	if (bip39_from_entropy(entropy, 32, words, sizeof(words), &e))
		die("bip39", &e);
	seed("bip39", "24-words", words, strlen(words), NULL);

	eip55_format(registry_addr, addr);
	seed("eip55", "checksummed", addr, strlen(addr), NULL);
}

/* ---- SMART Health Cards and Links ------------------------------------- */

static const uint8_t fuzz_link_key[32] = "ehr fuzz key: 32 bytes, no more";  /* as fuzz_jwe.c */

/* An ES256 signature (r || s) of msg by pk. */
static void es256_sign(EVP_PKEY *pk, const char *msg, uint8_t sig[64])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t der[80];
	const uint8_t *p = der;
	size_t n = sizeof(der);
	ECDSA_SIG *s;
	const BIGNUM *r, *ss;

	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pk) != 1 ||
	    EVP_DigestSign(md, der, &n, (const uint8_t *)msg, strlen(msg)) != 1 ||
	    !(s = d2i_ECDSA_SIG(NULL, &p, (long)n)))
		die("ES256 signing", NULL);
	ECDSA_SIG_get0(s, &r, &ss);
	BN_bn2binpad(r, sig, 32);
	BN_bn2binpad(ss, sig + 32, 32);
	ECDSA_SIG_free(s);
	EVP_MD_CTX_free(md);
}

/* A card signed by a fresh P-256 key: its JWS (malloc'd) and the key's JWKS. */
static char *signed_card(char **jwks)
{
	static const char payload[] =
		"{\"iss\":\"https://issuer.example\",\"nbf\":1715107763,\"vc\":{\"type\":"
		"[\"https://smarthealth.cards#health-card\"],\"credentialSubject\":{\"fhirVersion\":"
		"\"4.0.1\",\"fhirBundle\":{\"resourceType\":\"Bundle\",\"type\":\"collection\","
		"\"entry\":[{\"fullUrl\":\"resource:0\",\"resource\":{\"resourceType\":\"Patient\","
		"\"name\":[{\"family\":\"Doe\",\"given\":[\"Jane\"]}],\"birthDate\":\"1970-01-01\"}}]}}}}";
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t pub[65], sig[64], *packed;
	size_t publen = 0, plen;
	char kid[JOSE_THUMBPRINT_LEN + 1], *x, *y, *head, *body, *input, *sg, *jws;
	jwk_ec key;
	ehr_err e;

	if (!pk || EVP_PKEY_get_octet_string_param(pk, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub), &publen) != 1 ||
	    publen != 65 || deflate_raw((const uint8_t *)payload, strlen(payload), &packed, &plen, &e))
		die("a P-256 key", NULL);
	memcpy(key.x, pub + 1, 32);
	memcpy(key.y, pub + 33, 32);
	jwk_ec_thumbprint(&key, kid);
	x = b64url_encode(key.x, 32);
	y = b64url_encode(key.y, 32);
	if (asprintf(jwks, "{\"keys\":[{\"kty\":\"EC\",\"kid\":\"%s\",\"use\":\"sig\",\"alg\":\"ES256\","
		     "\"crv\":\"P-256\",\"x\":\"%s\",\"y\":\"%s\"}]}", kid, x, y) < 0 ||
	    asprintf(&input, "{\"zip\":\"DEF\",\"alg\":\"ES256\",\"kid\":\"%s\"}", kid) < 0)
		die("asprintf", NULL);
	head = b64url_encode((const uint8_t *)input, strlen(input));
	body = b64url_encode(packed, plen);
	free(input);
	if (asprintf(&input, "%s.%s", head, body) < 0)
		die("asprintf", NULL);
	es256_sign(pk, input, sig);
	sg = b64url_encode(sig, sizeof(sig));
	if (asprintf(&jws, "%s.%s", input, sg) < 0)
		die("asprintf", NULL);
	free(x), free(y), free(head), free(body), free(input), free(sg), free(packed);
	EVP_PKEY_free(pk);
	return jws;
}

/* The QR digits of chars [from, to) of jws. */
static char *qr_digits(const char *jws, size_t from, size_t to)
{
	char *d = malloc(2 * (to - from) + 1);
	size_t i;

	for (i = from; i < to; i++)
		sprintf(d + 2 * (i - from), "%02d", jws[i] - 45);
	return d;
}

static void seeds_health_cards(void)
{
	static const char bundle[] = "{\"resourceType\":\"Bundle\",\"type\":\"collection\",\"entry\":"
		"[{\"resource\":{\"resourceType\":\"Patient\",\"id\":\"p1\"}}]}";
	static const char link[] = "{\"url\":\"https://shl.example.org/m/Y9xwkUdtmN9wwoJoN3ffJIhX2UGvCL1Jn\","
		"\"key\":\"ZWhyIGZ1enoga2V5OiAzMiBieXRlcywgbm8gbW9yZQA\",\"exp\":1767225600,\"flag\":\"LP\","
		"\"label\":\"Back-to-school immunizations\",\"v\":1}";
	static const char manifest[] = "{\"files\":[{\"contentType\":\"application/smart-health-card\","
		"\"location\":\"https://bucket.example.org/f1\"},{\"contentType\":\"application/fhir+json\","
		"\"embedded\":\"eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..AAAAAAAAAAAAAAAA.AA.AAAAAAAAAAAAAAAAAAAAAA\"}]}";
	char *jwks, *jws = signed_card(&jwks), *d, *d2, *file, *jwe, *b64;
	size_t half = strlen(jws) / 2, plen;
	uint8_t *packed;
	ehr_err e;

	seed("jws", "card", "\0", (size_t)1, jwks, strlen(jwks), "\n", (size_t)1, jws, strlen(jws), NULL);
	d = qr_digits(jws, 0, strlen(jws));
	seed("jws", "qr", "\1shc:/", (size_t)6, d, strlen(d), NULL);
	free(d);
	d = qr_digits(jws, 0, half);
	d2 = qr_digits(jws, half, strlen(jws));
	seed("jws", "qr-chunks", "\1shc:/2/2/", (size_t)10, d2, strlen(d2), "\nSHC:/1/2/", (size_t)10,
	     d, strlen(d), NULL);
	free(d), free(d2);
	if (asprintf(&file, "{\"verifiableCredential\":[\"%s\"]}", jws) < 0)
		die("asprintf", NULL);
	seed("jws", "file", "\2", (size_t)1, file, strlen(file), NULL);
	free(file), free(jws), free(jwks);

	if (jwe_encrypt(fuzz_link_key, "application/fhir+json", true, (const uint8_t *)bundle,
			strlen(bundle), &jwe, &e))
		die("jwe_encrypt", &e);
	seed("jwe", "fhir-zip", "\0", (size_t)1, jwe, strlen(jwe), NULL);
	free(jwe);
	if (jwe_encrypt(fuzz_link_key, NULL, false, (const uint8_t *)bundle, strlen(bundle), &jwe, &e))
		die("jwe_encrypt", &e);
	seed("jwe", "plain", "\0", (size_t)1, jwe, strlen(jwe), NULL);
	free(jwe);
	seed("jwe", "encrypt", "\3", (size_t)1, bundle, strlen(bundle), NULL);
	if (deflate_raw((const uint8_t *)bundle, strlen(bundle), &packed, &plen, &e))
		die("deflate_raw", &e);
	seed("jwe", "deflate", "\2", (size_t)1, packed, plen, NULL);
	free(packed);

	b64 = b64url_encode((const uint8_t *)link, strlen(link));
	seed("shlink", "bare", "\0shlink:/", (size_t)9, b64, strlen(b64), NULL);
	seed("shlink", "viewer", "\0https://viewer.example/#shlink:/", (size_t)33, b64, strlen(b64), NULL);
	free(b64);
	seed("shlink", "manifest", "\1", (size_t)1, manifest, strlen(manifest), NULL);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: make-seeds CORPUS_DIR\n");
		return 2;
	}
	corpus = argv[1];
	if (sodium_init() < 0)
		return 1;
	seeds_rlp_tx();
	seeds_abi();
	seeds_registry();
	seeds_chain();
	seeds_keystore();
	seeds_v3();
	seeds_envelope();
	seeds_chainstore();
	seeds_text();
	seeds_health_cards();
	return 0;
}
