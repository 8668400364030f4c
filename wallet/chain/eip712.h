/* EIP-712 typed structured data hashing: the pieces every typed message
 * is made of (a type's hash, 32-byte words of its members, the domain
 * separator, the final 0x1901 digest). Callers build each struct's
 * encoding from these, as the EIP's hashStruct says: keccak256(typeHash ||
 * encodeData), where atomic members are one word each, bytes and string
 * their keccak256, and a nested struct its own hashStruct. */
#ifndef EHR_EIP712_H
#define EHR_EIP712_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/u256.h"

/* keccak256 of a type's encoding, e.g. "Mail(Person from,...)Person(...)". */
void eip712_type_hash(const char *encoded_type, uint8_t out[32]);

/* One member as its 32-byte word: an address left-padded, a uint256 big
 * endian, a uint64 widened, dynamic bytes or a string as its keccak256. */
void eip712_word_address(const uint8_t addr[20], uint8_t out[32]);
void eip712_word_u256(const u256 *v, uint8_t out[32]);
void eip712_word_u64(uint64_t v, uint8_t out[32]);
void eip712_word_bytes(const void *p, size_t n, uint8_t out[32]);

/* hashStruct: keccak256(type_hash || words[0] || ... || words[n-1]). */
void eip712_hash_struct(const uint8_t type_hash[32], const uint8_t (*words)[32], size_t n,
			uint8_t out[32]);

/* The separator of the domain EIP712Domain(string name,string version,
 * uint256 chainId,address verifyingContract). */
void eip712_domain(const char *name, const char *version, uint64_t chain_id,
		   const uint8_t contract[20], uint8_t out[32]);

/* What is signed: keccak256(0x19 0x01 || domain || struct_hash). */
void eip712_digest(const uint8_t domain[32], const uint8_t struct_hash[32], uint8_t out[32]);

#endif
