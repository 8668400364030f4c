/* The one libsecp256k1 context of the process, created on first use and
 * randomized with libsodium entropy (side-channel blinding). */
#ifndef EHR_SECP_H
#define EHR_SECP_H

#include <secp256k1.h>

const secp256k1_context *secp_ctx(void);

#endif
