/* The compiled contracts embedded in ehr for `ehr deploy`: creation
 * bytecode as lowercase hex without 0x, NUL-terminated, generated at build
 * time from contracts/artifacts/ (the committed output of
 * contracts/compile.js). A deployment transaction's data is these bytes
 * (no constructor arguments). The ABI is described in contracts/README.md. */
#ifndef EHR_CONTRACTS_H
#define EHR_CONTRACTS_H

/* The registry (contracts/Registry.sol). */
extern const char registry_bytecode_hex[];

/* The test ERC-20 with an open faucet (contracts/TestToken.sol): local and
 * test chains only. */
extern const char test_token_bytecode_hex[];

#endif
