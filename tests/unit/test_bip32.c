/* BIP32: test vectors 1-4 (every chain, xprv and xpub, private and public
 * derivation, parse and re-serialise), vector 5 (every invalid key refused),
 * Trezor's getpublickey fixtures, and derivation paths. */
#include "tap.h"

#include <sodium.h>

#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"

static int public_checks;

/* Derives the chain's path one component at a time from the xpub of the
 * previous chain, where the component is not hardened: public derivation
 * must give the same xpub as private derivation. */
static void check_public_derivation(const char *parent_xpub, uint32_t index, const char *want_xpub, const char *path)
{
	bip32_key pub, child;
	char got[112];
	int is_private = -1;
	ehr_err e;

	public_checks++;
	CHECK(bip32_parse_extended(parent_xpub, &pub, &is_private, &e) == 0, "%s: %s", path, e.msg);
	CHECK(is_private == 0, "%s: xpub parses as public", path);
	CHECK(bip32_derive(&pub, index, &child, &e) == 0, "%s: %s", path, e.msg);
	bip32_xpub(&child, got);
	CHECK_STR(got, want_xpub);
	bip32_xprv(&child, got);
	CHECK_STR(got, "");
}

static void test_vectors(void)
{
	cJSON *j, *vec, *chain;
	int chains = 0, invalid = 0;

	SKIP_WITHOUT_VECTORS("bip32-vectors.json");
	j = vectors_json("eth/bip32-vectors.json");
	CHECK(j != NULL, "bip32-vectors.json parses");
	if (!j)
		return;
	cJSON_ArrayForEach(vec, j) {
		const cJSON *seed_hex = cJSON_GetObjectItem(vec, "seed");
		const cJSON *bad = cJSON_GetObjectItem(vec, "invalid_keys");
		const char *prev_xpub = NULL;
		uint8_t seed[64];
		long seed_len;
		bip32_key *master = sodium_malloc(sizeof(*master)), *k = sodium_malloc(sizeof(*k));
		ehr_err e;

		if (bad) {
			const cJSON *b;

			cJSON_ArrayForEach(b, bad) {
				const char *key = cJSON_GetObjectItem(b, "key")->valuestring;
				const char *reason = cJSON_GetObjectItem(b, "reason")->valuestring;

				ehr_err_clear(&e);
				CHECK(bip32_parse_extended(key, k, NULL, &e) == EHR_EUSAGE,
				      "invalid key accepted (%s): %s", reason, key);
				CHECK(e.msg[0] != '\0', "message for %s", reason);
				invalid++;
			}
			goto next;
		}
		seed_len = test_unhex(seed_hex->valuestring, seed, sizeof(seed));
		CHECK(seed_len > 0, "seed hex");
		CHECK(bip32_from_seed(seed, (size_t)seed_len, master, &e) == 0, "%s", e.msg);
		cJSON_ArrayForEach(chain, cJSON_GetObjectItem(vec, "chains")) {
			const char *path = cJSON_GetObjectItem(chain, "path")->valuestring;
			const char *xpub = cJSON_GetObjectItem(chain, "ext_pub")->valuestring;
			const char *xprv = cJSON_GetObjectItem(chain, "ext_prv")->valuestring;
			const char *last = strrchr(path, '/');
			char got[112];
			int is_private = -1;

			chains++;
			CHECK(bip32_derive_path(master, path, k, &e) == 0, "%s: %s", path, e.msg);
			bip32_xprv(k, got);
			CHECK_STR(got, xprv);
			bip32_xpub(k, got);
			CHECK_STR(got, xpub);

			/* Parse and re-serialise both forms. */
			CHECK(bip32_parse_extended(xprv, k, &is_private, &e) == 0, "%s: %s", path, e.msg);
			CHECK(is_private == 1, "%s: xprv parses as private", path);
			bip32_xprv(k, got);
			CHECK_STR(got, xprv);
			bip32_xpub(k, got);
			CHECK_STR(got, xpub);
			CHECK(bip32_parse_extended(xpub, k, &is_private, &e) == 0, "%s: %s", path, e.msg);
			CHECK(is_private == 0, "%s: xpub parses as public", path);
			bip32_xpub(k, got);
			CHECK_STR(got, xpub);

			/* A non-hardened last step also works from the parent's xpub. */
			if (prev_xpub && last && last[1] && !strchr(last, 'H')) {
				uint32_t idx = (uint32_t)strtoul(last + 1, NULL, 10);
				check_public_derivation(prev_xpub, idx, xpub, path);
			}
			prev_xpub = xpub;
		}
next:
		sodium_free(master);
		sodium_free(k);
	}
	CHECK(chains == 17, "17 chains in vectors 1-4, saw %d", chains);
	CHECK(invalid == 16, "16 invalid keys in vector 5, saw %d", invalid);
	CHECK(public_checks == 6, "6 chains end in a normal child, saw %d", public_checks);
	cJSON_Delete(j);
}

static void test_trezor_getpublickey(void)
{
	cJSON *j, *t;
	const char *mnemonic;
	uint8_t *seed = sodium_malloc(64);
	bip32_key *master = sodium_malloc(sizeof(*master)), *k = sodium_malloc(sizeof(*k));
	int n = 0;
	ehr_err e;

	SKIP_WITHOUT_VECTORS("trezor/getpublickey.json");
	j = vectors_json("eth/trezor/getpublickey.json");
	CHECK(j != NULL, "getpublickey.json parses");
	if (!j)
		goto out;
	mnemonic = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "setup"), "mnemonic")->valuestring;
	CHECK(bip39_check(mnemonic, &e) == 0, "%s", e.msg);
	CHECK(bip39_seed(mnemonic, "", seed, &e) == 0, "%s", e.msg);
	CHECK(bip32_from_seed(seed, 64, master, &e) == 0, "%s", e.msg);
	cJSON_ArrayForEach(t, cJSON_GetObjectItem(j, "tests")) {
		const char *path = cJSON_GetObjectItem(cJSON_GetObjectItem(t, "parameters"), "path")->valuestring;
		const cJSON *r = cJSON_GetObjectItem(t, "result");
		uint8_t chain[32], pub[33];
		uint32_t fp;
		char got[112];

		n++;
		CHECK(bip32_derive_path(master, path, k, &e) == 0, "%s: %s", path, e.msg);
		bip32_xpub(k, got);
		CHECK_STR(got, cJSON_GetObjectItem(r, "xpub")->valuestring);
		test_unhex(cJSON_GetObjectItem(r, "chain_code")->valuestring, chain, 32);
		test_unhex(cJSON_GetObjectItem(r, "public_key")->valuestring, pub, 33);
		CHECK_MEM(k->chain, chain, 32);
		CHECK_MEM(k->pub, pub, 33);
		fp = (uint32_t)k->parent_fp[0] << 24 | (uint32_t)k->parent_fp[1] << 16 |
		     (uint32_t)k->parent_fp[2] << 8 | k->parent_fp[3];
		CHECK(fp == (uint32_t)cJSON_GetObjectItem(r, "fingerprint")->valuedouble, "%s: fingerprint %u", path, fp);
		CHECK(k->child == (uint32_t)cJSON_GetObjectItem(r, "child_num")->valuedouble, "%s: child %u", path, k->child);
	}
	CHECK(n == 4, "4 getpublickey cases, saw %d", n);
	cJSON_Delete(j);
out:
	sodium_free(seed);
	sodium_free(master);
	sodium_free(k);
}

static void test_paths(void)
{
	static const char *const bad[] = {
		"", "m/x", "m/44'/", "m/2147483648", "m/2147483648'", "m/99999999999999999999",
		"44'/60'/0'", "M/44'", "m/", "m//0", "m/01", "m/1''", "m/-1", "m/+1", "m/1 ",
		" m/1", "m/1/", "m/44'/60'/0'/0/0x", "mm/1", "m/1h'", "m/4 4",
	};
	uint32_t idx[8];
	size_t n = 99, i;
	ehr_err e;
	char deep[BIP32_PATH_MAX * 2 + 8];

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ehr_err_clear(&e);
		CHECK(bip32_parse_path(bad[i], idx, 8, &n, &e) == EHR_EUSAGE, "path '%s' accepted", bad[i]);
		CHECK(e.msg[0] != '\0', "message for '%s'", bad[i]);
	}
	CHECK(bip32_parse_path("m", idx, 8, &n, &e) == 0 && n == 0, "m is the master");
	CHECK(bip32_parse_path("m/44'/60h/0H/0/7", idx, 8, &n, &e) == 0, "%s", e.msg);
	CHECK(n == 5 && idx[0] == (44 | BIP32_HARDENED) && idx[1] == (60 | BIP32_HARDENED) &&
	      idx[2] == BIP32_HARDENED && idx[3] == 0 && idx[4] == 7, "components");
	CHECK(bip32_parse_path("m/2147483647'", idx, 8, &n, &e) == 0 && idx[0] == 0xffffffffu, "largest index");
	CHECK(bip32_parse_path("m/1/2/3", idx, 2, &n, &e) == EHR_EUSAGE, "more than cap refused");
	CHECK(strstr(e.msg, "too deep") != NULL, "%s", e.msg);

	/* 256 components exceed the one-byte depth. */
	strcpy(deep, "m");
	for (i = 0; i < BIP32_PATH_MAX + 1; i++)
		strcat(deep, "/0");
	{
		uint32_t many[BIP32_PATH_MAX + 1];
		CHECK(bip32_parse_path(deep, many, BIP32_PATH_MAX + 1, &n, &e) == EHR_EUSAGE, "256 levels refused");
	}
}

static void test_properties(void)
{
	uint8_t seed[64];
	bip32_key *m = sodium_malloc(sizeof(*m)), *a = sodium_malloc(sizeof(*a)), *b = sodium_malloc(sizeof(*b));
	bip32_key *pub = sodium_malloc(sizeof(*pub));
	char x[112];
	ehr_err e;

	memset(seed, 7, sizeof(seed));
	CHECK(bip32_from_seed(seed, 15, m, &e) == EHR_EUSAGE, "15-byte seed refused");
	CHECK(bip32_from_seed(seed, 65, m, &e) == EHR_EUSAGE, "65-byte seed refused");
	CHECK(bip32_from_seed(seed, 64, m, &e) == 0, "%s", e.msg);

	/* Derivation in place equals derivation into another key. */
	CHECK(bip32_derive(m, 5 | BIP32_HARDENED, a, &e) == 0, "%s", e.msg);
	*b = *m;
	CHECK(bip32_derive(b, 5 | BIP32_HARDENED, b, &e) == 0, "%s", e.msg);
	CHECK(memcmp(a, b, sizeof(*a)) == 0, "in-place derivation");
	CHECK(a->depth == 1 && a->child == (5 | BIP32_HARDENED), "depth and child number");

	/* Hardened and normal children differ; a public parent cannot make a hardened one. */
	CHECK(bip32_derive(m, 5, b, &e) == 0, "%s", e.msg);
	CHECK(memcmp(a->priv, b->priv, 32) != 0, "hardened != normal");
	bip32_xpub(m, x);
	CHECK(bip32_parse_extended(x, pub, NULL, &e) == 0, "%s", e.msg);
	CHECK(bip32_derive(pub, BIP32_HARDENED, a, &e) == EHR_EUSAGE, "hardened child of an xpub refused");
	CHECK(bip32_derive_path(pub, "m/0/1", a, &e) == 0, "%s", e.msg);
	CHECK(bip32_derive_path(m, "m/0/1", b, &e) == 0, "%s", e.msg);
	CHECK_MEM(a->pub, b->pub, 33);
	CHECK(sodium_is_zero(a->priv, 32), "public derivation has no private key");

	/* Junk extended keys. */
	CHECK(bip32_parse_extended("", a, NULL, &e) == EHR_EUSAGE, "empty refused");
	CHECK(bip32_parse_extended("xprv0OIl", a, NULL, &e) == EHR_EUSAGE, "non-base58 refused");
	bip32_xprv(m, x);
	x[50] = x[50] == 'a' ? 'b' : 'a';
	CHECK(bip32_parse_extended(x, a, NULL, &e) == EHR_EUSAGE, "one changed character refused");
	CHECK(strstr(e.msg, "checksum") != NULL, "%s", e.msg);

	sodium_free(m);
	sodium_free(a);
	sodium_free(b);
	sodium_free(pub);
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_paths();
	test_properties();
	test_vectors();
	test_trezor_getpublickey();
	return tap_done();
}
