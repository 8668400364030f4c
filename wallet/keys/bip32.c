#include "wallet/keys/bip32.h"

#include <string.h>

#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/base/base58.h"
#include "wallet/base/secmem.h"
#include "wallet/base/sha256.h"
#include "wallet/keys/secp.h"

#define VERSION_XPRV 0x0488ade4u
#define VERSION_XPUB 0x0488b21eu
#define VERSION_TPRV 0x04358394u
#define VERSION_TPUB 0x043587cfu
#define SERIALIZED_LEN 78

/* Scratch for one derivation, in sodium_malloc memory. */
struct scratch {
	crypto_auth_hmacsha512_state hmac;
	uint8_t data[37];		/* HMAC input: 0x00 || priv || i, or pub || i */
	uint8_t i[64];			/* HMAC output: IL || IR */
	uint8_t raw[SERIALIZED_LEN + 4];	/* a serialised key */
	bip32_key key;
};

static struct scratch *scratch_new(ehr_err *e)
{
	return secmem_new(sizeof(struct scratch), e);
}

static void scratch_free(struct scratch *s)
{
	secmem_free(s, sizeof(*s));
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int is_public_only(const bip32_key *k)
{
	static const uint8_t zero[32];

	return sodium_memcmp(k->priv, zero, 32) == 0;
}

/* The compressed public key of k->priv into k->pub. */
static int fill_pub(bip32_key *k)
{
	secp256k1_pubkey pk;
	size_t len = 33;

	if (!secp256k1_ec_pubkey_create(secp_ctx(), &pk, k->priv))
		return -1;
	secp256k1_ec_pubkey_serialize(secp_ctx(), k->pub, &len, &pk, SECP256K1_EC_COMPRESSED);
	return 0;
}

static void hmac512(struct scratch *s, const uint8_t *key, size_t keylen, const uint8_t *msg, size_t len)
{
	crypto_auth_hmacsha512_init(&s->hmac, key, keylen);
	crypto_auth_hmacsha512_update(&s->hmac, msg, len);
	crypto_auth_hmacsha512_final(&s->hmac, s->i);
}

void bip32_fingerprint(const bip32_key *k, uint8_t fp[4])
{
	uint8_t sha[32], rmd[EVP_MAX_MD_SIZE];
	unsigned int rlen = 0;

	sha256(k->pub, 33, sha);
	if (EVP_Digest(sha, sizeof(sha), rmd, &rlen, EVP_ripemd160(), NULL) != 1 || rlen != 20)
		memset(rmd, 0, 4);	/* RIPEMD-160 is in OpenSSL 3's default provider; cannot happen */
	memcpy(fp, rmd, 4);
}

int bip32_from_seed(const uint8_t *seed, size_t len, bip32_key *out, ehr_err *e)
{
	static const uint8_t key[] = "Bitcoin seed";
	struct scratch *s;
	int ret = EHR_OK;

	if (len < 16 || len > 64)
		return ehr_fail(e, EHR_EUSAGE, "a BIP32 seed has 16 to 64 bytes, not %zu", len);
	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	hmac512(s, key, sizeof(key) - 1, seed, len);
	memcpy(s->key.priv, s->i, 32);
	memcpy(s->key.chain, s->i + 32, 32);
	if (!secp256k1_ec_seckey_verify(secp_ctx(), s->key.priv) || fill_pub(&s->key) != 0)
		ret = ehr_fail(e, EHR_EFAIL, "this seed gives an invalid BIP32 master key");
	else
		*out = s->key;
	scratch_free(s);
	return ret;
}

int bip32_derive(const bip32_key *parent, uint32_t index, bip32_key *child, ehr_err *e)
{
	struct scratch *s;
	int ret = EHR_OK, public_only = is_public_only(parent);

	if (parent->depth == 255)
		return ehr_fail(e, EHR_EUSAGE, "cannot derive below depth 255");
	if (public_only && (index & BIP32_HARDENED))
		return ehr_fail(e, EHR_EUSAGE, "a hardened child needs the private key (this is an extended public key)");
	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	if (index & BIP32_HARDENED) {
		s->data[0] = 0;
		memcpy(s->data + 1, parent->priv, 32);
	} else {
		memcpy(s->data, parent->pub, 33);
	}
	put32be(s->data + 33, index);
	hmac512(s, parent->chain, 32, s->data, sizeof(s->data));

	/* child = IL + parent (mod n); libsecp256k1 refuses IL >= n and a zero
	 * result, the cases BIP32 says to skip. */
	if (!secp256k1_ec_seckey_verify(secp_ctx(), s->i)) {
		ret = ehr_fail(e, EHR_EFAIL, "child %u is invalid (BIP32: use the next index)", index);
		goto out;
	}
	if (public_only) {
		secp256k1_pubkey pk;
		size_t len = 33;

		if (!secp256k1_ec_pubkey_parse(secp_ctx(), &pk, parent->pub, 33) ||
		    !secp256k1_ec_pubkey_tweak_add(secp_ctx(), &pk, s->i)) {
			ret = ehr_fail(e, EHR_EFAIL, "child %u is invalid (BIP32: use the next index)", index);
			goto out;
		}
		secp256k1_ec_pubkey_serialize(secp_ctx(), s->key.pub, &len, &pk, SECP256K1_EC_COMPRESSED);
	} else {
		memcpy(s->key.priv, parent->priv, 32);
		if (!secp256k1_ec_seckey_tweak_add(secp_ctx(), s->key.priv, s->i) || fill_pub(&s->key) != 0) {
			ret = ehr_fail(e, EHR_EFAIL, "child %u is invalid (BIP32: use the next index)", index);
			goto out;
		}
	}
	memcpy(s->key.chain, s->i + 32, 32);
	s->key.depth = (uint8_t)(parent->depth + 1);
	bip32_fingerprint(parent, s->key.parent_fp);
	s->key.child = index;
	*child = s->key;
out:
	scratch_free(s);
	return ret;
}

int bip32_parse_path(const char *path, uint32_t *out, size_t cap, size_t *n, ehr_err *e)
{
	const char *p = path;
	size_t count = 0;

	if (p[0] != 'm' || (p[1] != '\0' && p[1] != '/'))
		return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s' does not start with \"m/\"", path);
	p++;
	while (*p) {
		uint64_t v = 0;
		const char *digits;

		p++;	/* the '/' */
		digits = p;
		while (*p >= '0' && *p <= '9') {
			v = v * 10 + (uint64_t)(*p - '0');
			if (v >= BIP32_HARDENED)
				return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s': index %zu is 2^31 or more "
						"(write a hardened index as N' with N below 2^31)", path, count + 1);
			p++;
		}
		if (p == digits)
			return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s': component %zu is not a number", path, count + 1);
		if (p - digits > 1 && digits[0] == '0')
			return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s': component %zu has a leading zero", path, count + 1);
		if (*p == '\'' || *p == 'h' || *p == 'H') {
			v |= BIP32_HARDENED;
			p++;
		}
		if (*p != '/' && *p != '\0')
			return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s': unexpected '%c' in component %zu", path,
					*p >= 0x20 && *p < 0x7f ? *p : '?', count + 1);
		if (*p == '/' && p[1] == '\0')
			return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s' ends with '/'", path);
		if (count >= cap || count >= BIP32_PATH_MAX)
			return ehr_fail(e, EHR_EUSAGE, "derivation path '%.64s' is too deep", path);
		out[count++] = (uint32_t)v;
	}
	*n = count;
	return EHR_OK;
}

int bip32_derive_path(const bip32_key *master, const char *path, bip32_key *out, ehr_err *e)
{
	uint32_t idx[BIP32_PATH_MAX];
	bip32_key *k;
	size_t n, i;
	int ret;

	if ((ret = bip32_parse_path(path, idx, BIP32_PATH_MAX, &n, e)) != EHR_OK)
		return ret;
	if (!(k = sodium_malloc(sizeof(*k))))
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	*k = *master;
	for (i = 0; i < n && ret == EHR_OK; i++)
		ret = bip32_derive(k, idx[i], k, e);
	if (ret == EHR_OK)
		*out = *k;
	sodium_memzero(k, sizeof(*k));
	sodium_free(k);
	return ret;
}

static void serialize(const bip32_key *k, int private, uint8_t raw[SERIALIZED_LEN])
{
	put32be(raw, private ? VERSION_XPRV : VERSION_XPUB);
	raw[4] = k->depth;
	memcpy(raw + 5, k->parent_fp, 4);
	put32be(raw + 9, k->child);
	memcpy(raw + 13, k->chain, 32);
	if (private) {
		raw[45] = 0;
		memcpy(raw + 46, k->priv, 32);
	} else {
		memcpy(raw + 45, k->pub, 33);
	}
}

static void encode(const bip32_key *k, int private, char out[112])
{
	uint8_t *raw = sodium_malloc(SERIALIZED_LEN);

	out[0] = '\0';
	if (!raw)
		return;
	serialize(k, private, raw);
	if (base58check_encode(raw, SERIALIZED_LEN, out, 112) < 0)
		out[0] = '\0';
	sodium_memzero(raw, SERIALIZED_LEN);
	sodium_free(raw);
}

void bip32_xprv(const bip32_key *k, char out[112])
{
	if (is_public_only(k))
		out[0] = '\0';
	else
		encode(k, 1, out);
}

void bip32_xpub(const bip32_key *k, char out[112])
{
	encode(k, 0, out);
}

int bip32_parse_extended(const char *b58, bip32_key *out, int *is_private, ehr_err *e)
{
	struct scratch *s;
	uint32_t version;
	long n;
	int ret = EHR_OK, private;

	if (!(s = scratch_new(e)))
		return EHR_EFAIL;
	n = base58check_decode(b58, s->raw, sizeof(s->raw));
	if (n == -2) {
		ret = ehr_fail(e, EHR_EUSAGE, "extended key has a wrong checksum (mistyped?)");
		goto out;
	}
	if (n != SERIALIZED_LEN) {
		ret = ehr_fail(e, EHR_EUSAGE, "not an extended key (base58check of 78 bytes)");
		goto out;
	}
	version = get32be(s->raw);
	if (version == VERSION_XPRV || version == VERSION_TPRV) {
		private = 1;
	} else if (version == VERSION_XPUB || version == VERSION_TPUB) {
		private = 0;
	} else {
		ret = ehr_fail(e, EHR_EUSAGE, "extended key has an unknown version 0x%08x", version);
		goto out;
	}
	s->key.depth = s->raw[4];
	memcpy(s->key.parent_fp, s->raw + 5, 4);
	s->key.child = get32be(s->raw + 9);
	memcpy(s->key.chain, s->raw + 13, 32);
	if (s->key.depth == 0 && (get32be(s->key.parent_fp) != 0 || s->key.child != 0)) {
		ret = ehr_fail(e, EHR_EUSAGE, "extended key at depth 0 has a parent fingerprint or child number");
		goto out;
	}
	if (private) {
		if (s->raw[45] != 0) {
			ret = ehr_fail(e, EHR_EUSAGE, "extended private key holds no private key (prefix 0x%02x)", s->raw[45]);
			goto out;
		}
		memcpy(s->key.priv, s->raw + 46, 32);
		if (!secp256k1_ec_seckey_verify(secp_ctx(), s->key.priv) || fill_pub(&s->key) != 0) {
			ret = ehr_fail(e, EHR_EUSAGE, "extended private key is out of range (0 or not below the curve order)");
			goto out;
		}
	} else {
		secp256k1_pubkey pk;

		if (s->raw[45] != 2 && s->raw[45] != 3) {
			ret = ehr_fail(e, EHR_EUSAGE, "extended public key holds no compressed public key (prefix 0x%02x)", s->raw[45]);
			goto out;
		}
		if (!secp256k1_ec_pubkey_parse(secp_ctx(), &pk, s->raw + 45, 33)) {
			ret = ehr_fail(e, EHR_EUSAGE, "extended public key is not a point on secp256k1");
			goto out;
		}
		memcpy(s->key.pub, s->raw + 45, 33);
	}
	*out = s->key;
	if (is_private)
		*is_private = private;
out:
	scratch_free(s);
	return ret;
}
