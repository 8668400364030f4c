/* Web3 Secret Storage v3: the encrypted key files of geth, cast, MetaMask
 * and MyEtherWallet exports. A file holds one secp256k1 private key,
 * encrypted with AES-128-CTR under the first half of a key derived from the
 * password by scrypt or PBKDF2-HMAC-SHA256; the second half authenticates the
 * ciphertext: mac = keccak256(dk[16..32) || ciphertext).
 *
 * Files come from anywhere, so their KDF parameters are bounded before any
 * work is done (see the V3_* limits): a hostile file is refused at once
 * instead of asking for gigabytes of memory or hours of hashing. */
#ifndef EHR_V3_H
#define EHR_V3_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

enum v3_kdf {
	V3_KDF_SCRYPT = 1,
	V3_KDF_PBKDF2 = 2
};

typedef struct v3_params {
	enum v3_kdf kdf;
	uint64_t n;		/* scrypt: cost, a power of two >= 2 */
	uint32_t r;		/* scrypt: block size */
	uint32_t p;		/* scrypt: parallelism */
	uint32_t c;		/* pbkdf2: iteration count */
} v3_params;

/* What geth writes by default ("standard"): 256 MiB, about a second. */
#define V3_SCRYPT_STANDARD_N 262144
#define V3_SCRYPT_STANDARD_R 8
#define V3_SCRYPT_STANDARD_P 1

/* Limits applied to files read and written. scrypt needs 128*r*n bytes for
 * its table and 128*r*p for its blocks, and does work proportional to
 * n*r*p (geth's standard is 2^21, the largest allowed 2^24). */
#define V3_SCRYPT_MAX_TABLE  (1ULL << 30)	/* 128*r*n: 1 GiB */
#define V3_SCRYPT_MAX_BLOCKS (1ULL << 24)	/* 128*r*p: 16 MiB */
#define V3_SCRYPT_MAX_WORK   (1ULL << 24)	/* n*r*p */
#define V3_PBKDF2_MAX_C      10000000u
#define V3_SALT_MAX          1024		/* bytes */
#define V3_JSON_MAX          (1u << 20)		/* bytes of file text */

/* Decrypts the v3 key file json[0..len) (need not be NUL-terminated) with
 * password[0..password_len) (any bytes; NULL allowed when password_len is 0).
 *
 * On success returns 0, writes the private key to priv (a ciphertext shorter
 * than 32 bytes, as some tools write for keys with leading zero bytes, is
 * left-padded with zeros) and its address to addr. priv should be memory
 * the caller got from sodium_malloc; every intermediate secret here lives in
 * sodium_malloc memory and is wiped.
 *
 * On failure priv is zeroed and the status is:
 *   EHR_EAUTH      the MAC does not match: a wrong password (or a damaged
 *                  ciphertext, which cannot be told apart); the message says
 *                  "wrong password (MAC mismatch)" and the caller names the file
 *   EHR_EINTEGRITY not JSON, a missing or malformed field, a key that is not
 *                  a valid secp256k1 key, or an "address" field that does not
 *                  match the decrypted key
 *   EHR_EUSAGE     a version other than 3, an unknown kdf, prf or cipher, or
 *                  KDF parameters beyond the limits above
 *   EHR_EFAIL      out of memory or a crypto library failure
 * The key object may be spelled "crypto" or "Crypto" (MyEtherWallet). */
int v3_decrypt(const char *json, size_t len, const char *password, size_t password_len,
	       uint8_t priv[32], uint8_t addr[20], ehr_err *e);

/* Encrypts priv under password into a new v3 file with a random salt (32
 * bytes), IV and version 4 UUID, laid out as geth writes it ("address" in
 * lowercase hex without 0x). p NULL means scrypt with geth's standard
 * parameters; otherwise p is checked against the same limits as v3_decrypt
 * (EHR_EUSAGE), so every file written here can be read back.
 *
 * On success returns 0 and sets *json_out to a NUL-terminated string from
 * malloc (no secret in it) that the caller frees with free(). Returns
 * EHR_EUSAGE for an invalid private key or parameters, EHR_EFAIL for memory
 * or crypto library failures; *json_out is then NULL. */
int v3_encrypt(const uint8_t priv[32], const char *password, size_t password_len,
	       const v3_params *p, char **json_out, ehr_err *e);

#endif
