/* Well-known public chains, so that `ehr network add sepolia --rpc URL`
 * needs nothing else: the chain id the node must report, the native coin's
 * symbol and a block explorer. Names are matched without regard to case;
 * some have a second name (mainnet for ethereum, arbitrum-one for
 * arbitrum). Nothing here prints. */
#ifndef EHR_PRESETS_H
#define EHR_PRESETS_H

#include <stddef.h>
#include <stdint.h>

typedef struct network_preset {
	const char *name;      /* what `network add NAME` takes */
	const char *alias;     /* another name for it, or NULL */
	const char *title;     /* the chain's own name, for people */
	uint64_t chain_id;     /* EIP-155 */
	const char *symbol;    /* passes network_symbol_check */
	const char *explorer;  /* base URL, no trailing slash */
} network_preset;

/* The preset called name (or its alias), or NULL. */
const network_preset *network_preset_find(const char *name);

/* All presets, *n of them, in a fixed order. */
const network_preset *network_presets(size_t *n);

#endif
