/* Ethereum accounts: Trezor getaddress (mnemonic "all x12"), the cast
 * derivation sets, EIP-55, EIP-191 hashing, RFC 6979 signatures reproduced
 * byte for byte (Trezor signmessage, cast personal_sign), recovery (Trezor
 * verifymessage), and the refusals of malformed addresses and signatures. */
#include "tap.h"

#include <sodium.h>

#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/eth.h"
#include "wallet/keys/keccak.h"

/* The private key at path of mnemonic (passphrase may be ""). */
static int key_at(const char *mnemonic, const char *passphrase, const char *path, uint8_t priv[32])
{
	uint8_t *seed = sodium_malloc(64);
	bip32_key *k = sodium_malloc(sizeof(*k));
	ehr_err e;
	int rc;

	rc = bip39_seed(mnemonic, passphrase, seed, &e) || bip32_from_seed(seed, 64, k, &e) ||
	     bip32_derive_path(k, path, k, &e);
	CHECK(rc == 0, "%s: %s", path, e.msg);
	memcpy(priv, k->priv, 32);
	sodium_free(seed);
	sodium_free(k);
	return rc;
}

static void check_address(const uint8_t priv[32], const char *want, const char *what)
{
	uint8_t addr[20];
	char text[43];
	ehr_err e;

	CHECK(eth_address_from_priv(priv, addr, &e) == 0, "%s: %s", what, e.msg);
	eip55_format(addr, text);
	CHECK(strcmp(text, want) == 0, "%s: got %s, want %s", what, text, want);
}

static const char *setup_mnemonic(const cJSON *j)
{
	return cJSON_GetObjectItem(cJSON_GetObjectItem(j, "setup"), "mnemonic")->valuestring;
}

static void test_trezor_getaddress(void)
{
	cJSON *j, *t;
	uint8_t *priv = sodium_malloc(32);
	int n = 0;

	SKIP_WITHOUT_VECTORS("trezor/getaddress.json");
	if (!(j = vectors_json("eth/trezor/getaddress.json")))
		goto out;
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tests")) {
		const char *path = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "parameters"), "path")->valuestring;
		const char *want = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "result"), "address")->valuestring;

		n++;
		if (key_at(setup_mnemonic(j), "", path, priv) == 0)
			check_address(priv, want, path);
	}
	CHECK(n == 6, "6 getaddress cases, saw %d", n);
	cJSON_Delete(j);
out:
	sodium_free(priv);
}

static void test_cast_derivation(void)
{
	cJSON *j, *set, *acct;
	uint8_t *priv = sodium_malloc(32), want[32], ent[32], got_ent[32], seed[64], got_seed[64];
	char path[64];
	int n = 0;

	SKIP_WITHOUT_VECTORS("cast-derivation.json");
	if (!(j = vectors_json("eth/cast-derivation.json")))
		goto out;
	cJSON_ArrayForEach(set, cJSON_GetObjectItem(j, "sets")) {
		const char *m = cJSON_GetObjectItem(set, "mnemonic")->valuestring;
		const char *pass = cJSON_GetObjectItem(set, "bip39_passphrase")->valuestring;
		long elen = test_unhex(cJSON_GetObjectItem(set, "entropy_hex")->valuestring, ent, 32);
		size_t glen = 0;
		ehr_err e;

		CHECK(bip39_to_entropy(m, got_ent, &glen, &e) == 0, "%s", e.msg);
		CHECK(elen > 0 && glen == (size_t)elen && memcmp(ent, got_ent, glen) == 0, "entropy of '%.20s...'", m);
		test_unhex(cJSON_GetObjectItem(set, "seed_hex")->valuestring, seed, 64);
		CHECK(bip39_seed(m, pass, got_seed, &e) == 0, "%s", e.msg);
		CHECK_MEM(got_seed, seed, 64);

		cJSON_ArrayForEach(acct, cJSON_GetObjectItem(set, "accounts")) {
			unsigned idx = (unsigned)cJSON_GetObjectItem(acct, "index")->valuedouble;
			const char *want_path = cJSON_GetObjectItem(acct, "path")->valuestring;
			const char *addr = cJSON_GetObjectItem(acct, "address")->valuestring;
			const char *pk = cJSON_GetObjectItem(acct, "private_key")->valuestring;

			n++;
			snprintf(path, sizeof(path), BIP44_ETH_PATH_FMT, idx);
			CHECK_STR(path, want_path);
			if (key_at(m, pass, path, priv) != 0)
				continue;
			CHECK(test_unhex(pk, want, 32) == 32, "private key hex");
			CHECK_MEM(priv, want, 32);
			check_address(priv, addr, path);
		}
	}
	CHECK(n == 25, "25 cast accounts, saw %d", n);
	cJSON_Delete(j);
out:
	sodium_free(priv);
}

static void test_eip55(void)
{
	static const char *const bad[] = {
		"", "0x", "52908400098527886E0F7030069857D2E4169EE7", "0x52908400098527886E0F7030069857D2E4169EE",
		"0x52908400098527886E0F7030069857D2E4169EE77", "0x52908400098527886E0F7030069857D2E4169EG7",
		"0x 2908400098527886E0F7030069857D2E4169EE7", "1x52908400098527886E0F7030069857D2E4169EE7",
	};
	cJSON *j, *a;
	uint8_t addr[20], again[20];
	char out[43], mangled[43], lower[43];
	size_t i;
	int n = 0, refused = 0;
	ehr_err e;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(eip55_parse(bad[i], addr, &e) == EHR_EUSAGE, "'%s' accepted", bad[i]);

	SKIP_WITHOUT_VECTORS("eip55-addresses.json");
	if (!(j = vectors_json("eth/eip55-addresses.json")))
		return;
	cJSON_ArrayForEach(a, j) {
		const char *s = a->valuestring;

		n++;
		CHECK(eip55_parse(s, addr, &e) == 0, "%s: %s", s, e.msg);
		eip55_format(addr, out);
		CHECK_STR(out, s);
		/* Lowercase always parses to the same bytes. */
		strcpy(lower, s);
		for (i = 2; i < 42; i++)
			if (lower[i] >= 'A' && lower[i] <= 'F')
				lower[i] = (char)(lower[i] - 'A' + 'a');
		CHECK(eip55_parse(lower, again, &e) == 0 && memcmp(addr, again, 20) == 0, "lowercase %s", lower);

		/* Flip the case of one letter of a checksummed form: refused,
		 * and the message offers the right spelling. */
		strcpy(mangled, out);
		for (i = 2; i < 42; i++) {
			if (mangled[i] >= 'a' && mangled[i] <= 'f') {
				mangled[i] = (char)(mangled[i] - 'a' + 'A');
				break;
			}
			if (mangled[i] >= 'A' && mangled[i] <= 'F') {
				mangled[i] = (char)(mangled[i] - 'A' + 'a');
				break;
			}
		}
		ehr_err_clear(&e);
		if (strcmp(mangled + 2, lower + 2) != 0) {	/* still mixed case */
			int rc = eip55_parse(mangled, again, &e);
			char want_msg[160];

			snprintf(want_msg, sizeof(want_msg), "address %s has a wrong EIP-55 checksum (did you mean %s?)", mangled, out);
			CHECK(rc == EHR_EUSAGE, "mangled %s accepted", mangled);
			CHECK_STR(e.msg, want_msg);
			refused += rc == EHR_EUSAGE;
		}
	}
	CHECK(n == 8, "8 EIP-55 addresses, saw %d", n);
	CHECK(refused == 8, "8 mangled forms refused, saw %d", refused);
	cJSON_Delete(j);
}

/* sig as 130 hex digits r||s||v with v 27/28. */
static void check_sign_and_recover(const uint8_t priv[32], const uint8_t *msg, size_t len,
				   const char *want_sig_hex, const char *want_addr, const char *what)
{
	uint8_t hash[32], sig[65], want[65], addr[20];
	char text[43];
	ehr_err e;

	eip191_hash(msg, len, hash);
	CHECK(test_unhex(want_sig_hex, want, 65) == 65, "%s: signature hex", what);
	if (priv) {
		CHECK(eth_sign_hash(priv, hash, sig, &e) == 0, "%s: %s", what, e.msg);
		CHECK(sig[64] <= 1, "%s: v is a recovery id", what);
		sig[64] = (uint8_t)(sig[64] + 27);
		CHECK(memcmp(sig, want, 65) == 0, "%s: signature differs", what);
	}
	CHECK(eth_recover(hash, want, addr, &e) == 0, "%s: %s", what, e.msg);
	eip55_format(addr, text);
	CHECK(strcasecmp(text, want_addr) == 0, "%s: recovered %s, want %s", what, text, want_addr);
	want[64] = (uint8_t)(want[64] - 27);
	CHECK(eth_recover(hash, want, addr, &e) == 0, "%s (v 0/1): %s", what, e.msg);
	eip55_format(addr, text);
	CHECK(strcasecmp(text, want_addr) == 0, "%s (v 0/1): recovered %s", what, text);
}

static void test_trezor_messages(void)
{
	cJSON *j, *t;
	uint8_t *priv = sodium_malloc(32);
	int n = 0;

	SKIP_WITHOUT_VECTORS("trezor/signmessage.json");
	if ((j = vectors_json("eth/trezor/signmessage.json"))) {
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tests")) {
			const cJSON *p = cJSON_GetObjectItem(t, "parameters"), *r = cJSON_GetObjectItem(t, "result");
			const char *msg = cJSON_GetObjectItem(p, "msg")->valuestring;
			const char *path = cJSON_GetObjectItem(p, "path")->valuestring;

			n++;
			if (key_at(setup_mnemonic(j), "", path, priv) != 0)
				continue;
			check_address(priv, cJSON_GetObjectItem(r, "address")->valuestring, path);
			check_sign_and_recover(priv, (const uint8_t *)msg, strlen(msg),
					       cJSON_GetObjectItem(r, "sig")->valuestring,
					       cJSON_GetObjectItem(r, "address")->valuestring, msg);
		}
		cJSON_Delete(j);
	}
	CHECK(n == 9, "9 signmessage cases, saw %d", n);

	n = 0;
	if ((j = vectors_json("eth/trezor/verifymessage.json"))) {
		cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tests")) {
			const cJSON *p = cJSON_GetObjectItem(t, "parameters");
			const char *msg = cJSON_GetObjectItem(p, "msg")->valuestring;

			n++;
			check_sign_and_recover(NULL, (const uint8_t *)msg, strlen(msg),
					       cJSON_GetObjectItem(p, "sig")->valuestring,
					       cJSON_GetObjectItem(p, "address")->valuestring, msg);
		}
		cJSON_Delete(j);
	}
	CHECK(n == 8, "8 verifymessage cases, saw %d", n);
	sodium_free(priv);
}

static void test_eip191_vectors(void)
{
	cJSON *j, *v;
	uint8_t *priv = sodium_malloc(32), msg[256], hash[32], want[32];
	int n = 0;

	SKIP_WITHOUT_VECTORS("eip191-personal-sign.json");
	if (!(j = vectors_json("eth/eip191-personal-sign.json")))
		goto out;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(j, "vectors")) {
		const char *name = cJSON_GetObjectItem(v, "message")->valuestring;
		long len = test_unhex(cJSON_GetObjectItem(v, "message_bytes_hex")->valuestring, msg, sizeof(msg));
		uint8_t pre[300];
		long plen = test_unhex(cJSON_GetObjectItem(v, "eip191_prefixed_hex")->valuestring, pre, sizeof(pre));

		n++;
		CHECK(len >= 0 && plen > 0, "%s: hex", name);
		test_unhex(cJSON_GetObjectItem(v, "eip191_hash")->valuestring, want, 32);
		eip191_hash(msg, (size_t)len, hash);
		CHECK_MEM(hash, want, 32);
		keccak256(pre, (size_t)plen, hash);
		CHECK_MEM(hash, want, 32);
		test_unhex(cJSON_GetObjectItem(v, "private_key")->valuestring, priv, 32);
		check_sign_and_recover(priv, msg, (size_t)len, cJSON_GetObjectItem(v, "signature")->valuestring,
				       cJSON_GetObjectItem(v, "address")->valuestring, name);
	}
	CHECK(n == 3, "3 personal_sign vectors, saw %d", n);
	cJSON_Delete(j);
out:
	sodium_free(priv);
}

/* n - s for s < n, big-endian. */
static void negate_mod_n(const uint8_t s[32], uint8_t out[32])
{
	static const uint8_t n[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
	};
	int i, borrow = 0;

	for (i = 31; i >= 0; i--) {
		int d = n[i] - s[i] - borrow;

		borrow = d < 0;
		out[i] = (uint8_t)(d + (borrow ? 256 : 0));
	}
}

static void test_signature_refusals(void)
{
	static const uint8_t order[32] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
		0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41,
	};
	uint8_t *priv = sodium_malloc(32), hash[32], sig[65], bad[65], addr[20], want[20], pub[65];
	const uint8_t bad_v[] = { 2, 3, 26, 29, 35, 37, 255 };
	size_t i;
	ehr_err e;

	memset(priv, 0, 32);
	memset(hash, 0x5a, sizeof(hash));
	CHECK(eth_address_from_priv(priv, addr, &e) == EHR_EUSAGE, "private key 0 refused");
	/* an all-zero key is one the unlock agent holds: with no holder, "locked" */
	CHECK(eth_sign_hash(priv, hash, sig, &e) == EHR_EAUTH && strstr(e.msg, "locked"),
	      "signing with key 0 (held by no agent) refused: %s", e.msg);
	memcpy(priv, order, 32);
	CHECK(eth_pubkey_from_priv(priv, pub, &e) == EHR_EUSAGE, "private key n refused");

	randombytes_buf(priv, 32);
	randombytes_buf(hash, 32);
	CHECK(eth_address_from_priv(priv, want, &e) == 0, "%s", e.msg);
	CHECK(eth_sign_hash(priv, hash, sig, &e) == 0, "%s", e.msg);
	CHECK(sig[32] < 0x80, "low s");
	CHECK(eth_recover(hash, sig, addr, &e) == 0 && memcmp(addr, want, 20) == 0, "recovers the signer");

	/* Deterministic: the same signature again. */
	CHECK(eth_sign_hash(priv, hash, bad, &e) == 0 && memcmp(bad, sig, 65) == 0, "RFC 6979 is deterministic");

	for (i = 0; i < sizeof(bad_v); i++) {
		memcpy(bad, sig, 65);
		bad[64] = bad_v[i];
		ehr_err_clear(&e);
		CHECK(eth_recover(hash, bad, addr, &e) == EHR_EUSAGE, "v = %u accepted", bad_v[i]);
		CHECK(strstr(e.msg, "v =") != NULL, "%s", e.msg);
	}
	/* The malleated twin (n - s, other parity) is refused. */
	memcpy(bad, sig, 65);
	negate_mod_n(sig + 32, bad + 32);
	bad[64] ^= 1;
	CHECK(eth_recover(hash, bad, addr, &e) == EHR_EUSAGE, "high s accepted");
	CHECK(strstr(e.msg, "high s") != NULL, "%s", e.msg);
	/* r = 0, s = 0, r = n. */
	memcpy(bad, sig, 65);
	memset(bad, 0, 32);
	CHECK(eth_recover(hash, bad, addr, &e) == EHR_EUSAGE, "r = 0 accepted");
	memcpy(bad, sig, 65);
	memset(bad + 32, 0, 32);
	CHECK(eth_recover(hash, bad, addr, &e) == EHR_EUSAGE, "s = 0 accepted");
	memcpy(bad, sig, 65);
	memcpy(bad, order, 32);
	CHECK(eth_recover(hash, bad, addr, &e) == EHR_EUSAGE, "r = n accepted");
	/* Another hash recovers another address (or none), never the signer. */
	hash[0] ^= 1;
	CHECK(eth_recover(hash, sig, addr, &e) != 0 || memcmp(addr, want, 20) != 0, "tampered hash recovers the signer");
	sodium_free(priv);
}

/* The length prefix is the decimal byte count, including 0. */
static void test_eip191_prefix(void)
{
	uint8_t a[32], b[32];
	const char *pre = "\x19" "Ethereum Signed Message:\n" "0";

	eip191_hash((const uint8_t *)"", 0, a);
	keccak256(pre, strlen(pre), b);
	CHECK_MEM(a, b, 32);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_eip191_prefix();
	test_signature_refusals();
	test_eip55();
	test_eip191_vectors();
	test_trezor_getaddress();
	test_cast_derivation();
	test_trezor_messages();
	return tap_done();
}
