#include "wallet/chain/eip712.h"

#include <string.h>

#include "wallet/keys/keccak.h"

void eip712_type_hash(const char *encoded_type, uint8_t out[32])
{
	keccak256(encoded_type, strlen(encoded_type), out);
}

void eip712_word_address(const uint8_t addr[20], uint8_t out[32])
{
	memset(out, 0, 12);
	memcpy(out + 12, addr, 20);
}

void eip712_word_u256(const u256 *v, uint8_t out[32])
{
	u256_to_be(v, out);
}

void eip712_word_u64(uint64_t v, uint8_t out[32])
{
	int i;

	memset(out, 0, 32);
	for (i = 0; i < 8; i++)
		out[31 - i] = (uint8_t)(v >> (8 * i));
}

void eip712_word_bytes(const void *p, size_t n, uint8_t out[32])
{
	keccak256(p, n, out);
}

void eip712_hash_struct(const uint8_t type_hash[32], const uint8_t (*words)[32], size_t n,
			uint8_t out[32])
{
	keccak256_ctx c;
	size_t i;

	keccak256_init(&c);
	keccak256_update(&c, type_hash, 32);
	for (i = 0; i < n; i++)
		keccak256_update(&c, words[i], 32);
	keccak256_final(&c, out);
}

void eip712_domain(const char *name, const char *version, uint64_t chain_id,
		   const uint8_t contract[20], uint8_t out[32])
{
	uint8_t type[32], w[4][32];

	eip712_type_hash("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)",
			 type);
	eip712_word_bytes(name, strlen(name), w[0]);
	eip712_word_bytes(version, strlen(version), w[1]);
	eip712_word_u64(chain_id, w[2]);
	eip712_word_address(contract, w[3]);
	eip712_hash_struct(type, (const uint8_t (*)[32])w, 4, out);
}

void eip712_digest(const uint8_t domain[32], const uint8_t struct_hash[32], uint8_t out[32])
{
	keccak256_ctx c;

	keccak256_init(&c);
	keccak256_update(&c, "\x19\x01", 2);
	keccak256_update(&c, domain, 32);
	keccak256_update(&c, struct_hash, 32);
	keccak256_final(&c, out);
}
