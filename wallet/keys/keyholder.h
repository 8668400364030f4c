/* Keys held by another process (the unlock agent, `ehr unlock`): a process
 * that asked an agent for an account's keys gets a keystore_keys whose
 * public parts are filled and whose secret parts are all zero, and
 * registers here who holds the secrets. The two operations that use a
 * secret key, eth_sign_hash (secp256k1) and sealed_box_open (X25519),
 * hand an all-zero key to that holder instead of using it, so the code
 * that signs and opens is the same whether the keys are here or there.
 * An all-zero key is never a usable key (secp256k1 refuses 0; no derived
 * X25519 key is all zero), so nothing else can be mistaken for it. */
#ifndef EHR_KEYHOLDER_H
#define EHR_KEYHOLDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

/* Signs hash with the held secp256k1 key: sig as eth_sign_hash makes it. */
typedef int key_holder_sign_fn(void *arg, const uint8_t hash[32], uint8_t sig[65], ehr_err *e);

/* Opens a crypto_box_seal box of len bytes sealed to pk with the held
 * X25519 key: len - crypto_box_SEALBYTES bytes into out. */
typedef int key_holder_open_fn(void *arg, const uint8_t *sealed, size_t len, const uint8_t pk[32],
			       uint8_t *out, ehr_err *e);

/* Opens n boxes of box_len bytes each (boxes, one after the other) sealed
 * to pk: box i's plaintext (box_len - crypto_box_SEALBYTES bytes) at out +
 * i * that, ok[i] whether it opened. 0 once the holder answered for all. */
typedef int key_holder_open_many_fn(void *arg, const uint8_t *boxes, size_t box_len, size_t n,
				    const uint8_t pk[32], uint8_t *out, bool *ok, ehr_err *e);

struct key_holder {
	key_holder_sign_fn *sign;
	key_holder_open_fn *open;
	key_holder_open_many_fn *open_many;     /* may be NULL: open, box by box */
	void *arg;
};

/* Registers h (copied) as the holder of this process's all-zero keys;
 * NULL: none (an all-zero key is then refused). Both functions below may
 * be called from several threads: the holder serialises what it must. */
void key_holder_set(const struct key_holder *h);

/* eth_sign_hash's path for an all-zero key: the holder signs. */
int key_holder_sign(const uint8_t hash[32], uint8_t sig[65], ehr_err *e);

/* crypto_box_seal_open(out, sealed, len, pk, sk), or the holder's open
 * when sk is all zero. 0, or -1 (and e filled) when the box does not open
 * or the holder cannot answer; out is zeroed then. */
int sealed_box_open(uint8_t *out, const uint8_t *sealed, size_t len, const uint8_t pk[32],
		    const uint8_t sk[32], ehr_err *e);

/* sealed_box_open of n boxes of box_len bytes each, as
 * key_holder_open_many_fn lays them out: with a held key (sk all zero) in
 * one call to the holder (one request to the agent, not n). 0, or the
 * holder's failure (then no ok[i] is set). */
int sealed_boxes_open(const uint8_t *boxes, size_t box_len, size_t n, const uint8_t pk[32],
		      const uint8_t sk[32], uint8_t *out, bool *ok, ehr_err *e);

/* Whether sk is a key the holder holds (all zero). */
bool key_is_held(const uint8_t sk[32]);

#endif
