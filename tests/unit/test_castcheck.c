/* Cross-checks against cast (foundry), an independent implementation, on
 * random inputs: mnemonic -> address along several paths and passphrases,
 * EIP-191 signatures, Keccak-256 and EIP-55. Needs no vector files; skipped
 * when cast is not installed ($EHR_TOOLS/cast, see `make deps`).
 * The mnemonics and keys are random throwaways made here. */
#include "tap.h"

#include <unistd.h>

#include <sodium.h>

#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"

static char cast_path[512];

/* Runs a command and returns its first output line (newline removed), or
 * NULL. Arguments here are hex, digits and lowercase words only. */
static const char *run(const char *cmd)
{
	static char line[1024];
	FILE *p = popen(cmd, "r");
	int ok;

	if (!p)
		return NULL;
	ok = fgets(line, sizeof(line), p) != NULL;
	if (pclose(p) != 0 || !ok)
		return NULL;
	line[strcspn(line, "\r\n")] = '\0';
	return line;
}

static void test_derivation(void)
{
	static const size_t words[] = { 12, 15, 18, 21, 24 };
	static const char *const passphrases[] = { "", "", "correct horse", "", "TREZOR" };
	static const char *const paths[] = { "m/44'/60'/0'/0/0", "m/44'/60'/0'/0/7", "m/44'/60'/3'/1/5", "m/0/1" };
	char *m = sodium_malloc(BIP39_MNEMONIC_MAX), cmd[2048], text[43];
	uint8_t *seed = sodium_malloc(64), addr[20];
	bip32_key *master = sodium_malloc(sizeof(*master)), *k = sodium_malloc(sizeof(*k));
	size_t i, j;
	ehr_err e;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		CHECK(bip39_generate(words[i], m, BIP39_MNEMONIC_MAX, &e) == 0, "%s", e.msg);
		CHECK(bip39_seed(m, passphrases[i], seed, &e) == 0, "%s", e.msg);
		CHECK(bip32_from_seed(seed, 64, master, &e) == 0, "%s", e.msg);
		for (j = 0; j < sizeof(paths) / sizeof(paths[0]); j++) {
			const char *got;

			CHECK(bip32_derive_path(master, paths[j], k, &e) == 0, "%s", e.msg);
			CHECK(eth_address_from_priv(k->priv, addr, &e) == 0, "%s", e.msg);
			eip55_format(addr, text);
			snprintf(cmd, sizeof(cmd), "'%s' wallet address --mnemonic '%s' --mnemonic-derivation-path \"%s\""
				 " --mnemonic-passphrase '%s' 2>/dev/null", cast_path, m, paths[j], passphrases[i]);
			got = run(cmd);
			CHECK(got && strcmp(got, text) == 0, "%zu words, %s, passphrase '%s': cast says %s, we say %s",
			      words[i], paths[j], passphrases[i], got ? got : "(nothing)", text);
		}
	}
	sodium_memzero(cmd, sizeof(cmd));
	sodium_free(m);
	sodium_free(seed);
	sodium_free(master);
	sodium_free(k);
}

static void test_signatures(void)
{
	uint8_t *priv = sodium_malloc(32), msg[100], hash[32], sig[65];
	char priv_hex[67], msg_hex[203], sig_hex[133], cmd[2048];
	size_t len;
	int i;
	ehr_err e;

	for (i = 0; i < 8; i++) {
		const char *got;

		randombytes_buf(priv, 32);
		len = 1 + (size_t)i * 13;
		randombytes_buf(msg, len);
		hex_encode0x(priv, 32, priv_hex);
		hex_encode0x(msg, len, msg_hex);
		eip191_hash(msg, len, hash);
		CHECK(eth_sign_hash(priv, hash, sig, &e) == 0, "%s", e.msg);
		sig[64] = (uint8_t)(sig[64] + 27);
		hex_encode0x(sig, 65, sig_hex);
		snprintf(cmd, sizeof(cmd), "'%s' wallet sign --private-key %s %s 2>/dev/null", cast_path, priv_hex, msg_hex);
		got = run(cmd);
		CHECK(got && strcmp(got, sig_hex) == 0, "message of %zu bytes: cast %s, we %s", len, got ? got : "(nothing)", sig_hex);
	}
	sodium_memzero(priv_hex, sizeof(priv_hex));
	sodium_memzero(cmd, sizeof(cmd));
	sodium_free(priv);
}

static void test_keccak_and_eip55(void)
{
	static const size_t lens[] = { 0, 1, 31, 135, 136, 137, 271, 272, 300 };
	uint8_t data[300], h[32];
	char hex[603], want[67], cmd[2048], text[43];
	size_t i;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		const char *got;

		randombytes_buf(data, lens[i]);
		hex_encode0x(data, lens[i], hex);
		keccak256(data, lens[i], h);
		hex_encode0x(h, 32, want);
		snprintf(cmd, sizeof(cmd), "'%s' keccak %s 2>/dev/null", cast_path, lens[i] ? hex : "0x");
		got = run(cmd);
		CHECK(got && strcmp(got, want) == 0, "keccak of %zu bytes: cast %s, we %s", lens[i], got ? got : "(nothing)", want);
	}
	for (i = 0; i < 8; i++) {
		const char *got;

		randombytes_buf(data, 20);
		hex_encode0x(data, 20, hex);
		eip55_format(data, text);
		snprintf(cmd, sizeof(cmd), "'%s' to-check-sum-address %s 2>/dev/null", cast_path, hex);
		got = run(cmd);
		CHECK(got && strcmp(got, text) == 0, "EIP-55: cast %s, we %s", got ? got : "(nothing)", text);
	}
}

int main(void)
{
	const char *tools = getenv("EHR_TOOLS");

	if (sodium_init() < 0)
		return 1;
	snprintf(cast_path, sizeof(cast_path), "%s/cast", tools ? tools : "tests/node_modules/.bin");
	if (access(cast_path, X_OK) != 0 || strchr(cast_path, '\'')) {
		printf("skip: cast not found at %s (make deps installs it)\n", cast_path);
		return tap_done();
	}
	test_keccak_and_eip55();
	test_signatures();
	test_derivation();
	return tap_done();
}
