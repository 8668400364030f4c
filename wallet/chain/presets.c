/* The table of presets.h. Chain ids are those of chainlist.org / the
 * chains' own documentation (EIP-155 registry, ethereum-lists/chains). */
#include "wallet/chain/presets.h"

#include <strings.h>

static const network_preset presets[] = {
	{ "ethereum", "mainnet", "Ethereum Mainnet", 1, "ETH", "https://etherscan.io" },
	{ "sepolia", NULL, "Ethereum Sepolia (testnet)", 11155111, "ETH", "https://sepolia.etherscan.io" },
	{ "holesky", NULL, "Ethereum Holesky (testnet)", 17000, "ETH", "https://holesky.etherscan.io" },
	{ "hoodi", NULL, "Ethereum Hoodi (testnet)", 560048, "ETH", "https://hoodi.etherscan.io" },
	{ "base", NULL, "Base", 8453, "ETH", "https://basescan.org" },
	{ "optimism", NULL, "OP Mainnet", 10, "ETH", "https://optimistic.etherscan.io" },
	{ "arbitrum", "arbitrum-one", "Arbitrum One", 42161, "ETH", "https://arbiscan.io" },
	{ "polygon", NULL, "Polygon PoS", 137, "POL", "https://polygonscan.com" },
	{ "gnosis", NULL, "Gnosis Chain", 100, "xDAI", "https://gnosisscan.io" },
	{ "evmos", NULL, "Evmos", 9001, "EVMOS", "https://escan.live" },
	{ "cronos", NULL, "Cronos", 25, "CRO", "https://explorer.cronos.org" },
	{ "kava", NULL, "Kava EVM", 2222, "KAVA", "https://kavascan.com" },
};

const network_preset *network_preset_find(const char *name)
{
	size_t i;

	for (i = 0; name && i < sizeof(presets) / sizeof(presets[0]); i++)
		if (!strcasecmp(name, presets[i].name) ||
		    (presets[i].alias && !strcasecmp(name, presets[i].alias)))
			return &presets[i];
	return NULL;
}

const network_preset *network_presets(size_t *n)
{
	*n = sizeof(presets) / sizeof(presets[0]);
	return presets;
}
