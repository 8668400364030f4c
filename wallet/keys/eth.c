#include "wallet/keys/eth.h"

#include <stdio.h>
#include <string.h>

#include <secp256k1_recovery.h>
#include <sodium.h>

#include "wallet/keys/keccak.h"
#include "wallet/keys/keyholder.h"
#include "wallet/keys/secp.h"
#include "wallet/base/hex.h"

int eth_pubkey_from_priv(const uint8_t priv[32], uint8_t pub65[65], ehr_err *e)
{
	secp256k1_pubkey pk;
	size_t len = 65;

	if (!secp256k1_ec_pubkey_create(secp_ctx(), &pk, priv))
		return ehr_fail(e, EHR_EUSAGE, "invalid private key (0 or not below the curve order)");
	secp256k1_ec_pubkey_serialize(secp_ctx(), pub65, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
	return EHR_OK;
}

void eth_address_from_pub(const uint8_t pub65[65], uint8_t addr[20])
{
	uint8_t h[32];

	keccak256(pub65 + 1, 64, h);
	memcpy(addr, h + 12, 20);
}

int eth_address_from_priv(const uint8_t priv[32], uint8_t addr[20], ehr_err *e)
{
	uint8_t pub[65];
	int ret;

	if ((ret = eth_pubkey_from_priv(priv, pub, e)) != EHR_OK)
		return ret;
	eth_address_from_pub(pub, addr);
	return EHR_OK;
}

void eip55_format(const uint8_t addr[20], char out[43])
{
	static const char digits[] = "0123456789abcdef";
	uint8_t h[32];
	int i;

	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < 20; i++) {
		out[2 + 2 * i] = digits[addr[i] >> 4];
		out[3 + 2 * i] = digits[addr[i] & 15];
	}
	out[42] = '\0';
	/* A letter is upper case when the matching nibble of the hash of the
	 * lowercase hex is 8 or more. */
	keccak256(out + 2, 40, h);
	for (i = 0; i < 40; i++) {
		int nibble = i % 2 ? h[i / 2] & 15 : h[i / 2] >> 4;

		if (out[2 + i] >= 'a' && nibble >= 8)
			out[2 + i] = (char)(out[2 + i] - 'a' + 'A');
	}
}

int eip55_parse(const char *s, uint8_t addr[20], ehr_err *e)
{
	const char *h;
	uint8_t raw[20];
	char want[43];
	int i, lower = 0, upper = 0;

	if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
		return ehr_fail(e, EHR_EUSAGE, "address '%.50s' does not start with 0x", s);
	h = s + 2;
	if (strlen(h) != 40)
		return ehr_fail(e, EHR_EUSAGE, "address '%.50s' is not 0x and 40 hex digits", s);
	for (i = 0; i < 40; i++) {
		int v = hex_digit_value((unsigned char)h[i]);

		if (v < 0)
			return ehr_fail(e, EHR_EUSAGE, "address '%.50s' is not 0x and 40 hex digits", s);
		lower |= h[i] >= 'a' && h[i] <= 'f';
		upper |= h[i] >= 'A' && h[i] <= 'F';
		if (i % 2)
			raw[i / 2] = (uint8_t)(raw[i / 2] | v);
		else
			raw[i / 2] = (uint8_t)(v << 4);
	}
	/* One case throughout carries no checksum; mixed case must be exact. */
	if (lower && upper) {
		eip55_format(raw, want);
		if (strcmp(want + 2, h) != 0)
			return ehr_fail(e, EHR_EUSAGE, "address %s has a wrong EIP-55 checksum (did you mean %s?)", s, want);
	}
	memcpy(addr, raw, 20);
	return EHR_OK;
}

int eth_sign_hash(const uint8_t priv[32], const uint8_t hash[32], uint8_t sig[65], ehr_err *e)
{
	secp256k1_ecdsa_recoverable_signature rs;
	int recid = 0;

	/* an all-zero key is held by the unlock agent (keyholder.h) */
	if (sodium_is_zero(priv, 32))
		return key_holder_sign(hash, sig, e);
	/* A NULL nonce function is libsecp256k1's RFC 6979; it always produces
	 * low s. */
	if (!secp256k1_ecdsa_sign_recoverable(secp_ctx(), &rs, hash, priv, NULL, NULL))
		return ehr_fail(e, EHR_EUSAGE, "invalid private key (0 or not below the curve order)");
	secp256k1_ecdsa_recoverable_signature_serialize_compact(secp_ctx(), sig, &recid, &rs);
	sig[64] = (uint8_t)recid;
	return EHR_OK;
}

int eth_recover(const uint8_t hash[32], const uint8_t sig[65], uint8_t addr[20], ehr_err *e)
{
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_ecdsa_signature plain;
	secp256k1_pubkey pk;
	uint8_t pub[65];
	size_t len = sizeof(pub);
	int v = sig[64];

	if (v == 27 || v == 28)
		v -= 27;
	if (v != 0 && v != 1)
		return ehr_fail(e, EHR_EUSAGE, "signature has v = %u (want 0, 1, 27 or 28)", sig[64]);
	if (sodium_is_zero(sig, 32) || sodium_is_zero(sig + 32, 32))
		return ehr_fail(e, EHR_EUSAGE, "signature has r or s of zero");
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(secp_ctx(), &rs, sig, v))
		return ehr_fail(e, EHR_EUSAGE, "signature has r or s not below the curve order");
	/* normalize reports whether s was in the upper half: such a signature
	 * is the malleated twin of a low-s one, which Ethereum refuses. */
	secp256k1_ecdsa_recoverable_signature_convert(secp_ctx(), &plain, &rs);
	if (secp256k1_ecdsa_signature_normalize(secp_ctx(), NULL, &plain))
		return ehr_fail(e, EHR_EUSAGE, "signature has a high s value (malleable; Ethereum accepts low s only)");
	if (!secp256k1_ecdsa_recover(secp_ctx(), &pk, &rs, hash))
		return ehr_fail(e, EHR_EFAIL, "no public key recovers from this signature");
	secp256k1_ec_pubkey_serialize(secp_ctx(), pub, &len, &pk, SECP256K1_EC_UNCOMPRESSED);
	eth_address_from_pub(pub, addr);
	return EHR_OK;
}

void eip191_hash(const uint8_t *msg, size_t len, uint8_t out[32])
{
	static const char prefix[] = "\x19" "Ethereum Signed Message:\n";
	char num[24];
	keccak256_ctx c;
	int n = snprintf(num, sizeof(num), "%zu", len);

	keccak256_init(&c);
	keccak256_update(&c, prefix, sizeof(prefix) - 1);
	keccak256_update(&c, num, (size_t)n);
	keccak256_update(&c, msg, len);
	keccak256_final(&c, out);
}
