/* seal_key KEY_HEX PUBKEY_HEX: prints, in hex, the 32-byte data key KEY
 * sealed to the X25519 public key PUBKEY with envelope_key_seal (what
 * ehr puts in a record's patientKey). For the end-to-end tests that anchor
 * an envelope made elsewhere (padding.sh: one of format version 1). The
 * key is a test key, given on the command line. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "wallet/base/hex.h"
#include "wallet/vault/envelope.h"

int main(int argc, char **argv)
{
	uint8_t *key, pk[32], sealed[ENVELOPE_SEALED_KEY_BYTES];
	char out[2 * ENVELOPE_SEALED_KEY_BYTES + 1];
	ehr_err e = { 0 };

	if (argc != 3 || sodium_init() < 0 || !(key = sodium_malloc(32))) {
		fprintf(stderr, "usage: seal_key KEY_HEX PUBKEY_HEX\n");
		return 2;
	}
	if (hex_decode_exact(argv[1], key, 32) || hex_decode_exact(argv[2], pk, 32) ||
	    envelope_key_seal(key, pk, sealed, &e)) {
		fprintf(stderr, "seal_key: bad key or public key %s\n", e.msg);
		return 1;
	}
	hex_encode(sealed, sizeof(sealed), out);
	printf("%s\n", out);
	sodium_free(key);
	return 0;
}
