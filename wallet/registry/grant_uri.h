/* The grant URI: what a grant's QR code holds (DESIGN.md section 10), and
 * the keys a bearer grant's secret stands for.
 *
 * Syntax (ehr-formats(5) documents the same):
 *
 *   ehr://grant/<chain-id>/<registry>/<grant-id>[?patient=<address>][#k=<key>[&p=1]]
 *
 *   chain-id   the EIP-155 chain id, decimal, 1 to 2^64-1, no leading zeros
 *   registry   the registry contract: "0x" + 40 hex digits in EIP-55 case
 *              (all-lower and all-upper digits are read too)
 *   grant-id   the grant's id in that registry, decimal, 1 to 2^64-1, no
 *              leading zeros (the registry numbers grants from 1)
 *   patient    the patient who issued the grant: "0x" + 40 hex digits in
 *              EIP-55 case (read like the registry); ehr access checks it
 *              against the grant on chain. ehr writes it into every URI;
 *              a URI without it (written before) is read too. The query
 *              has this one item: anything else after "?" is refused.
 *   key        bearer grants only: 32 bytes in base64url without padding
 *              (RFC 4648 section 5; 43 characters, the unused low bits of
 *              the last one zero)
 *   p=1        the key alone does not open the grant: a passcode is needed
 *
 * The key travels in a fragment so that a web page showing the URI never
 * sends it to a server. The fragment's items are separated by "&", each at
 * most once, in any order; "k" is required, an unknown item is refused, so a
 * later format cannot be misread by this one.
 *
 * Reading is strict, with two allowances for text from a QR scanner: ASCII
 * white space around the URI (a scanner ends its line), and zbar's "QR-Code:"
 * label in front of it (zbarimg and zbarcam print one unless --raw). The
 * scheme and "grant" are read in any case, as RFC 3986 wants of a scheme;
 * everything else is case-sensitive. A URI behind a web viewer's address
 * ("https://viewer/#ehr://...") is not read: ehr never writes one, and a
 * viewer, when there is one, will say how its own addresses look.
 *
 * Bearer secret. Without "p=1" the bearer secret is the key itself. With
 * "p=1" (ehr grant --bearer --passcode) it is
 *
 *   salt   = BLAKE2b-128(key = <key>, msg = "ehr/v1/grant-passcode-salt")
 *   stretch = Argon2id v1.3(passcode', salt, t = 3, m = 256 MiB, p = 1), 32 bytes
 *   secret = BLAKE2b-256(key = stretch, msg = "ehr/v1/grant-passcode" || <key>)
 *
 * where passcode' is the passcode with surrounding white space removed, runs
 * of white space inside it made one space, and ASCII letters lower case (it
 * is said aloud: case and spacing do not survive that); other bytes are kept
 * as they are (no Unicode normalisation). Holding only the QR gives <key>,
 * not the secret: each guess at the passcode costs one Argon2id. The salt is
 * drawn from the key because the key is random and fresh for each grant, so
 * a separate salt would lengthen the QR and add nothing. A wrong passcode
 * gives another secret, hence another bearer address: the redeemer sees that
 * at once against the grant's on-chain grantee. The grantee address is public,
 * so someone holding the QR can test guesses offline: a passcode protects a
 * photographed or forwarded QR against casual use, and is only as strong as
 * its length; short codes fall to a patient attacker.
 *
 * Bearer keys. The secret stands for two keys, derived with libsodium's
 * crypto_kdf (BLAKE2b-256 keyed with the secret, context "ehrgrant"):
 *
 *   x25519_sk = kdf(secret, id 1), x25519_pk = X25519(x25519_sk, 9)
 *   secp_priv = kdf(secret, id 256 + i) for the first i = 0, 1, ... that is
 *               a valid secp256k1 secret key (0 < k < n; i > 0 has
 *               probability 2^-128)
 *
 * The bearer grant names the address of secp_priv as its grantee; the
 * redeemer signs the registry's redemption digest with it. The data keys of
 * the granted records are sealed to x25519_pk.
 *
 * Secrets: the key, the bearer secret, the passcode and the derived private
 * keys live in caller-provided sodium_malloc memory. A URI with a key is a
 * secret too: format one into sodium_malloc memory. */
#ifndef EHR_GRANT_URI_H
#define EHR_GRANT_URI_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define GRANT_KEY_BYTES 32
/* The longest URI and its NUL: 12 + 20 + 1 + 42 + 1 + 20 + 9 + 42 + 3 + 43
 * + 4 + 1. */
#define GRANT_URI_MAX 198

#define GRANT_PASSCODE_OPSLIMIT 3ULL
#define GRANT_PASSCODE_MEMLIMIT ((size_t)256 << 20)
#define GRANT_KDF_CONTEXT "ehrgrant"

typedef struct grant_uri {
	uint64_t chain_id;
	uint8_t registry[20];
	uint64_t grant_id;
	int has_key;		/* a bearer grant: the URI carries #k= */
	int needs_passcode;	/* and "p=1": the key needs a passcode */
	int has_patient;	/* "?patient=": the URI names the grant's patient */
	uint8_t patient[20];
} grant_uri;

/* Parses s (see above). On success fills *out and, when the URI has a key
 * and key32 is not NULL, writes the 32-byte key to key32 (the caller's
 * sodium_malloc memory). Every refusal is EHR_EUSAGE "not an ehr grant URI:
 * <why>", never quoting the key; on failure key32 is wiped and *out zeroed.
 * A URI with a key parses with key32 NULL too (the key is checked, then
 * wiped). */
int grant_uri_parse(const char *s, grant_uri *out, uint8_t *key32, ehr_err *e);

/* Writes the URI of u into out (cap bytes, NUL terminated; GRANT_URI_MAX is
 * always enough). key32 is required when u->has_key and ignored otherwise;
 * needs_passcode without has_key is refused. EHR_EUSAGE for a chain id or
 * grant id of 0 or a missing key, EHR_EFAIL when cap is too small (out is
 * then the empty string). */
int grant_uri_format(const grant_uri *u, const uint8_t *key32, char *out, size_t cap,
		     ehr_err *e);

/* A passcode for a "p=1" grant, generated (never chosen: a chosen one is
 * short and guessable offline, see above): GRANT_PASSCODE_LEN characters
 * drawn uniformly from GRANT_PASSCODE_ALPHABET's 32 symbols (digits 2-9 and
 * lower-case letters without l and o, nothing to mistake when said aloud),
 * 40 bits. out holds GRANT_PASSCODE_LEN + 1 bytes (sodium_malloc memory). */
#define GRANT_PASSCODE_LEN 8
#define GRANT_PASSCODE_ALPHABET "23456789abcdefghijkmnpqrstuvwxyz"
void grant_passcode_new(char *out);

/* The bearer secret of a "p=1" URI from its key and the passcode (the
 * construction above). EHR_EUSAGE "the passcode is empty" when nothing is
 * left after normalising; EHR_EFAIL when Argon2id cannot get its memory.
 * secret32 is the caller's sodium_malloc memory. Takes about a second. */
int grant_secret_derive(const uint8_t key32[32], const char *passcode, uint8_t secret32[32],
			ehr_err *e);

/* The bearer keys of a secret (the construction above). Any output may be
 * NULL when not wanted. EHR_EFAIL only if no candidate is a valid key or
 * X25519 fails (neither happens with probability above 2^-128). */
int grant_bearer_keys(const uint8_t secret32[32], uint8_t secp_priv[32], uint8_t x25519_sk[32],
		      uint8_t x25519_pk[32], ehr_err *e);

/* The bearer grant's grantee: the address of the secret's secp_priv (the
 * private key is derived in sodium_malloc memory and wiped). */
int grant_bearer_address(const uint8_t secret32[32], uint8_t addr[20], ehr_err *e);

#endif
