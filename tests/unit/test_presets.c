/* wallet/chain/presets: the well-known chains and how they are found. */
#include "tests/unit/tap.h"

#include "wallet/chain/config.h"
#include "wallet/chain/presets.h"

static void test_known_ids(void)
{
	static const struct { const char *name; uint64_t id; const char *symbol; } want[] = {
		{ "ethereum", 1, "ETH" }, { "sepolia", 11155111, "ETH" }, { "holesky", 17000, "ETH" },
		{ "hoodi", 560048, "ETH" }, { "base", 8453, "ETH" }, { "optimism", 10, "ETH" },
		{ "arbitrum", 42161, "ETH" }, { "polygon", 137, "POL" }, { "gnosis", 100, "xDAI" },
		{ "evmos", 9001, "EVMOS" }, { "cronos", 25, "CRO" }, { "kava", 2222, "KAVA" },
	};
	size_t i, n;

	network_presets(&n);
	CHECK(n == sizeof(want) / sizeof(want[0]), "%zu presets", n);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const network_preset *p = network_preset_find(want[i].name);

		CHECK(p != NULL, "%s missing", want[i].name);
		if (!p)
			continue;
		CHECK(p->chain_id == want[i].id, "%s: %llu", want[i].name, (unsigned long long)p->chain_id);
		CHECK_STR(p->symbol, want[i].symbol);
	}
}

static void test_lookup(void)
{
	CHECK(network_preset_find("mainnet") == network_preset_find("ethereum"), "mainnet alias");
	CHECK(network_preset_find("arbitrum-one") == network_preset_find("arbitrum"), "arbitrum-one alias");
	CHECK(network_preset_find("SEPOLIA") == network_preset_find("sepolia"), "case-insensitive");
	CHECK(network_preset_find("local") == NULL, "not a preset");
	CHECK(network_preset_find("sepolia2") == NULL, "no prefix match");
	CHECK(network_preset_find("") == NULL && network_preset_find(NULL) == NULL, "empty");
}

/* Every preset fits the configuration it fills: a valid name and symbol,
 * an https explorer without a trailing slash, no id or name twice. */
static void test_consistent(void)
{
	size_t i, j, n;
	const network_preset *p = network_presets(&n);
	ehr_err e;

	for (i = 0; i < n; i++) {
		size_t l = strlen(p[i].explorer);

		CHECK(network_name_check(p[i].name, &e) == 0, "%s", p[i].name);
		CHECK(network_symbol_check(p[i].symbol, &e) == 0, "%s: %s", p[i].name, p[i].symbol);
		CHECK(!strncmp(p[i].explorer, "https://", 8) && p[i].explorer[l - 1] != '/', "%s", p[i].explorer);
		CHECK(p[i].title && *p[i].title, "%s has a title", p[i].name);
		for (j = i + 1; j < n; j++)
			CHECK(p[i].chain_id != p[j].chain_id && strcmp(p[i].name, p[j].name),
			      "%s and %s", p[i].name, p[j].name);
	}
}

int main(void)
{
	test_known_ids();
	test_lookup();
	test_consistent();
	return tap_done();
}
