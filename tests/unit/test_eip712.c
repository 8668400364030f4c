/* EIP-712 hashing and the registry's intents: the EIP's own Mail example
 * (its digest and signature, published in EIP-712), then intents with
 * random fields signed here and by cast (`cast wallet sign --data`, an
 * independent implementation; skipped without cast): RFC 6979 makes both
 * signatures deterministic, so they must be the same bytes. */
#include "tap.h"

#include <unistd.h>

#include <sodium.h>

#include "wallet/base/hex.h"
#include "wallet/chain/eip712.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"
#include "wallet/registry/intent.h"

/* hashStruct(Person) of the EIP's example. */
static void person_hash(const char *name, const char *wallet_hex, uint8_t out[32])
{
	uint8_t type[32], w[2][32], addr[20];

	CHECK(test_unhex(wallet_hex, addr, 20) == 20, "wallet hex");
	eip712_type_hash("Person(string name,address wallet)", type);
	eip712_word_bytes(name, strlen(name), w[0]);
	eip712_word_address(addr, w[1]);
	eip712_hash_struct(type, (const uint8_t (*)[32])w, 2, out);
}

/* EIP-712's example: "Ether Mail", Cow to Bob, signed with keccak256("cow"). */
static void test_mail_example(void)
{
	uint8_t contract[20], domain[32], type[32], w[3][32], hs[32], digest[32], want[32], priv[32], sig[65];
	uint8_t want_r[32], want_s[32];
	ehr_err e;

	test_unhex("CcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC", contract, 20);
	eip712_domain("Ether Mail", "1", 1, contract, domain);
	test_unhex("f2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f", want, 32);
	CHECK_MEM(domain, want, 32);
	eip712_type_hash("Mail(Person from,Person to,string contents)Person(string name,address wallet)", type);
	person_hash("Cow", "CD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", w[0]);
	person_hash("Bob", "bBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", w[1]);
	eip712_word_bytes("Hello, Bob!", 11, w[2]);
	eip712_hash_struct(type, (const uint8_t (*)[32])w, 3, hs);
	test_unhex("c52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e", want, 32);
	CHECK_MEM(hs, want, 32);
	eip712_digest(domain, hs, digest);
	test_unhex("be609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2", want, 32);
	CHECK_MEM(digest, want, 32);
	keccak256("cow", 3, priv);
	CHECK(eth_sign_hash(priv, digest, sig, &e) == 0, "%s", e.msg);
	test_unhex("4355c47d63924e8a72e509b65029052eb6c299d53a04e167c5775fd466751c9d", want_r, 32);
	test_unhex("07299936d304c153f6443dfa05f40ff007d72911b6f72307f996231605b91562", want_s, 32);
	CHECK_MEM(sig, want_r, 32);
	CHECK_MEM(sig + 32, want_s, 32);
	CHECK(sig[64] + 27 == 28, "v is 28");
}

/* The words of a call come from the call; the JSON form reads back the
 * same; a malformed field is refused naming it. */
static void test_words_and_json(void)
{
	reg_intent it = { .chain_id = 31337, .deadline = 1800000000u }, back;
	char words[256], *text;
	cJSON *j;
	ehr_err e;

	/* revoke(uint256) of grant 4: selector 0x20c5429b */
	it.data_len = 36;
	it.data = calloc(1, 36);
	test_unhex("20c5429b", it.data, 4);
	it.data[35] = 4;
	memset(it.signer, 0x11, 20);
	memset(it.registry, 0x22, 20);
	it.sig[64] = 27;
	reg_intent_describe(&it, words, sizeof(words));
	CHECK_STR(words, "revoke grant 4");
	it.data[0] ^= 0xff;
	reg_intent_describe(&it, words, sizeof(words));
	CHECK(strncmp(words, "call 0xdf", 9) == 0, "an unknown call says so: %s", words);
	it.data[0] ^= 0xff;
	CHECK(reg_intent_check(&it, &e) == EHR_EINTEGRITY, "no signature is refused");
	j = reg_intent_to_json(&it);
	CHECK(j != NULL, "to JSON");
	CHECK(reg_intent_from_json(j, &back, &e) == 0, "%s", e.msg);
	CHECK(back.chain_id == 31337 && back.deadline == 1800000000u && back.data_len == 36 &&
	      !memcmp(back.data, it.data, 36) && !memcmp(back.signer, it.signer, 20), "reads back the same");
	reg_intent_free(&back);
	cJSON_ReplaceItemInObject(j, "nonce", cJSON_CreateString("-1"));
	CHECK(reg_intent_from_json(j, &back, &e) == EHR_EUSAGE && strstr(e.msg, "nonce"), "a bad nonce: %s", e.msg);
	cJSON_ReplaceItemInObject(j, "nonce", cJSON_CreateString("1"));
	cJSON_ReplaceItemInObject(j, "deadline", cJSON_CreateNumber(1.5));
	CHECK(reg_intent_from_json(j, &back, &e) == EHR_EUSAGE && strstr(e.msg, "deadline"), "a bad deadline: %s",
	      e.msg);
	cJSON_ReplaceItemInObject(j, "deadline", cJSON_CreateNumber(1));
	cJSON_ReplaceItemInObject(j, "data", cJSON_CreateString("0x12"));
	CHECK(reg_intent_from_json(j, &back, &e) == EHR_EUSAGE && strstr(e.msg, "selector"), "short data: %s",
	      e.msg);
	text = cJSON_PrintUnformatted(j);
	CHECK(text && strstr(text, "\"max_fee\":\"0\""), "max_fee is 0: %s", text ? text : "");
	free(text);
	cJSON_Delete(j);
	reg_intent_free(&it);
}

static char cast_path[512];

/* The typed-data JSON of an intent, as cast reads it. */
static void typed_data_json(const reg_intent *it, char *out, size_t cap)
{
	char reg[43], signer[43], nonce[U256_DEC_MAX], *data = malloc(2 * it->data_len + 3);

	eip55_format(it->registry, reg);
	eip55_format(it->signer, signer);
	u256_format_dec(&it->nonce, nonce);
	hex_encode0x(it->data, it->data_len, data);
	snprintf(out, cap,
		 "{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},"
		 "{\"name\":\"version\",\"type\":\"string\"},{\"name\":\"chainId\",\"type\":\"uint256\"},"
		 "{\"name\":\"verifyingContract\",\"type\":\"address\"}],"
		 "\"Intent\":[{\"name\":\"signer\",\"type\":\"address\"},{\"name\":\"data\",\"type\":\"bytes\"},"
		 "{\"name\":\"nonce\",\"type\":\"uint256\"},{\"name\":\"deadline\",\"type\":\"uint256\"}]},"
		 "\"primaryType\":\"Intent\","
		 "\"domain\":{\"name\":\"%s\",\"version\":\"%s\",\"chainId\":%llu,\"verifyingContract\":\"%s\"},"
		 "\"message\":{\"signer\":\"%s\",\"data\":\"%s\",\"nonce\":\"%s\",\"deadline\":%llu}}",
		 REG_INTENT_NAME, REG_INTENT_VERSION, (unsigned long long)it->chain_id, reg, signer, data, nonce,
		 (unsigned long long)it->deadline);
	free(data);
}

/* Random intents signed by cast and by us: the same signature, which
 * reg_intent_check accepts, and refuses once any field changes. */
static void test_against_cast(void)
{
	uint8_t *priv = sodium_malloc(32), digest[32], want[65];
	char priv_hex[67], path[] = "/tmp/ehr-eip712-XXXXXX", cmd[1200], line[200], json[8192];
	int i, fd;
	ehr_err e;

	for (i = 0; i < 6; i++) {
		reg_intent it = { 0 };
		uint8_t nb[32];
		FILE *p;

		randombytes_buf(priv, 32);
		CHECK(eth_address_from_priv(priv, it.signer, &e) == 0, "%s", e.msg);
		randombytes_buf(it.registry, 20);
		it.chain_id = 1 + randombytes_uniform(1000000);
		it.data_len = 4 + randombytes_uniform(300);
		it.data = malloc(it.data_len);
		randombytes_buf(it.data, it.data_len);
		randombytes_buf(nb, 32);
		u256_from_be(&it.nonce, nb, i % 2 ? 32 : 8);
		it.deadline = 1700000000u + randombytes_uniform(100000000);
		reg_intent_digest(&it, digest);
		CHECK(eth_sign_hash(priv, digest, it.sig, &e) == 0, "%s", e.msg);
		it.sig[64] += 27;
		CHECK(reg_intent_check(&it, &e) == 0, "our own signature checks: %s", e.msg);

		typed_data_json(&it, json, sizeof(json));
		fd = mkstemp(path);
		CHECK(fd >= 0 && write(fd, json, strlen(json)) == (ssize_t)strlen(json), "typed data file");
		close(fd);
		hex_encode0x(priv, 32, priv_hex);
		snprintf(cmd, sizeof(cmd), "'%s' wallet sign --private-key %s --data --from-file %s 2>&1",
			 cast_path, priv_hex, path);
		line[0] = '\0';
		if ((p = popen(cmd, "r"))) {
			if (!fgets(line, sizeof(line), p))
				line[0] = '\0';
			pclose(p);
		}
		unlink(path);
		strcpy(path, "/tmp/ehr-eip712-XXXXXX");
		line[strcspn(line, "\r\n")] = '\0';
		CHECK(hex_decode_exact(line, want, 65) == 0 && !memcmp(want, it.sig, 65),
		      "intent %d: cast signs %s", i, line);
		it.deadline++;
		CHECK(reg_intent_check(&it, &e) == EHR_EINTEGRITY, "a changed deadline is refused");
		it.deadline--;
		it.data[it.data_len - 1] ^= 1;
		CHECK(reg_intent_check(&it, &e) == EHR_EINTEGRITY, "changed call data is refused");
		it.data[it.data_len - 1] ^= 1;
		it.chain_id++;
		CHECK(reg_intent_check(&it, &e) == EHR_EINTEGRITY, "another chain is refused");
		reg_intent_free(&it);
		sodium_memzero(priv_hex, sizeof(priv_hex));
		sodium_memzero(cmd, sizeof(cmd));
	}
	sodium_free(priv);
}

int main(void)
{
	const char *tools = getenv("EHR_TOOLS");

	if (sodium_init() < 0)
		return 1;
	test_mail_example();
	test_words_and_json();
	snprintf(cast_path, sizeof(cast_path), "%s/cast", tools ? tools : "tests/node_modules/.bin");
	if (access(cast_path, X_OK) != 0 || strchr(cast_path, '\'')) {
		printf("skip: cast not found at %s (make deps installs it)\n", cast_path);
		return tap_done();
	}
	test_against_cast();
	return tap_done();
}
