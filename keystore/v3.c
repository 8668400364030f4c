#include "keystore/v3.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <openssl/evp.h>
#include <sodium.h>

#include "wallet/keys/eth.h"
#include "wallet/base/hex.h"
#include "wallet/keys/keccak.h"

#define V3_DKLEN 32
#define V3_IV_LEN 16
#define V3_SALT_LEN 32	/* what v3_encrypt writes, as geth does */

/* Everything read from a file before any work is done. */
struct v3_file {
	v3_params kdf;
	uint8_t salt[V3_SALT_MAX];
	size_t salt_len;
	uint8_t iv[V3_IV_LEN];
	uint8_t ciphertext[32];
	size_t ciphertext_len;
	uint8_t mac[32];
	int has_address;
	uint8_t address[20];
};

/* A file's strings may end up on a terminal: keep printable ASCII only. */
static const char *printable(const char *s, char *buf, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 4 < size; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	if (s[i])
		buf[i++] = '.', buf[i++] = '.', buf[i++] = '.';
	buf[i] = '\0';
	return buf;
}

static int check_scrypt(uint64_t n, uint32_t r, uint32_t p, ehr_err *e)
{
	if (n < 2 || (n & (n - 1)) != 0)
		return ehr_fail(e, EHR_EUSAGE, "scrypt n=%llu is not a power of two of at least 2",
				(unsigned long long)n);
	if (r == 0 || p == 0)
		return ehr_fail(e, EHR_EUSAGE, "scrypt r and p must be at least 1");
	/* Divisions keep the products from overflowing whatever the file says. */
	if (n > V3_SCRYPT_MAX_TABLE / 128 / r)
		return ehr_fail(e, EHR_EUSAGE,
				"scrypt n=%llu r=%u needs more than %llu MiB of memory; refusing",
				(unsigned long long)n, r, V3_SCRYPT_MAX_TABLE >> 20);
	if (p > V3_SCRYPT_MAX_BLOCKS / 128 / r || n * r > V3_SCRYPT_MAX_WORK / p)
		return ehr_fail(e, EHR_EUSAGE,
				"scrypt n=%llu r=%u p=%u is too costly (n*r*p above 2^24); refusing",
				(unsigned long long)n, r, p);
	return 0;
}

static int check_params(const v3_params *p, ehr_err *e)
{
	switch (p->kdf) {
	case V3_KDF_SCRYPT:
		return check_scrypt(p->n, p->r, p->p, e);
	case V3_KDF_PBKDF2:
		if (p->c == 0 || p->c > V3_PBKDF2_MAX_C)
			return ehr_fail(e, EHR_EUSAGE,
					"pbkdf2 c=%u is outside 1..%u; refusing", p->c, V3_PBKDF2_MAX_C);
		return 0;
	}
	return ehr_fail(e, EHR_EUSAGE, "unknown key derivation function");
}

/* dk (V3_DKLEN bytes, the caller's sodium_malloc memory) from the password.
 * The parameters have passed check_params. */
static int derive(const v3_params *p, const uint8_t *salt, size_t salt_len,
		  const char *password, size_t password_len, uint8_t *dk, ehr_err *e)
{
	if (!password)
		password = "";
	if (p->kdf == V3_KDF_SCRYPT) {
		/* The _ll interface takes n, r and p as given: the official v3
		 * vector (n=2^18, r=1, p=8) breaks RFC 7914's n < 2^(16r) and
		 * geth accepts it, so must we. */
		if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)password, password_len,
							  salt, salt_len, p->n, p->r, p->p,
							  dk, V3_DKLEN) != 0)
			return ehr_fail(e, EHR_EFAIL, "scrypt failed (out of memory?)");
		return 0;
	}
	if (password_len > INT_MAX || salt_len > INT_MAX)
		return ehr_fail(e, EHR_EUSAGE, "password too long");
	if (PKCS5_PBKDF2_HMAC(password, (int)password_len, salt, (int)salt_len, (int)p->c,
			      EVP_sha256(), V3_DKLEN, dk) != 1)
		return ehr_fail(e, EHR_EFAIL, "pbkdf2 failed");
	return 0;
}

/* AES-128-CTR with the IV as the initial 128-bit big-endian counter; OpenSSL
 * carries across all 16 bytes, so an IV of ff..ff wraps to zero as the
 * format requires. Encryption and decryption are the same operation. */
static int aes128ctr(const uint8_t key[16], const uint8_t iv[V3_IV_LEN],
		     const uint8_t *in, size_t len, uint8_t *out, ehr_err *e)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0, ok;

	if (!ctx)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key, iv) == 1 &&
	     EVP_EncryptUpdate(ctx, out, &n1, in, (int)len) == 1 &&
	     EVP_EncryptFinal_ex(ctx, out + n1, &n2) == 1 &&
	     (size_t)n1 + (size_t)n2 == len;
	EVP_CIPHER_CTX_free(ctx);	/* cleanses the key schedule */
	return ok ? 0 : ehr_fail(e, EHR_EFAIL, "aes-128-ctr failed");
}

static void compute_mac(const uint8_t *dk, const uint8_t *ciphertext, size_t len, uint8_t mac[32])
{
	keccak256_ctx c;

	keccak256_init(&c);
	keccak256_update(&c, dk + 16, 16);
	keccak256_update(&c, ciphertext, len);
	keccak256_final(&c, mac);
}

/* ---- reading a file ---- */

static const cJSON *field(const cJSON *obj, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(obj, name);
}

static int get_object(const cJSON *obj, const char *name, const cJSON **out, ehr_err *e)
{
	const cJSON *f = field(obj, name);

	if (!f)
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: missing \"%s\"", name);
	if (!cJSON_IsObject(f))
		return ehr_fail(e, EHR_EINTEGRITY, "corrupt keystore: \"%s\" is not an object", name);
	*out = f;
	return 0;
}

static int get_string(const cJSON *obj, const char *name, const char **out, ehr_err *e)
{
	const cJSON *f = field(obj, name);

	if (!f)
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: missing \"%s\"", name);
	if (!cJSON_IsString(f))
		return ehr_fail(e, EHR_EINTEGRITY, "corrupt keystore: \"%s\" is not a string", name);
	*out = f->valuestring;
	return 0;
}

/* A non-negative integer that a double holds exactly. */
static int get_uint(const cJSON *obj, const char *name, uint64_t *out, ehr_err *e)
{
	const cJSON *f = field(obj, name);
	double d;

	if (!f)
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: missing \"%s\"", name);
	d = cJSON_IsNumber(f) ? f->valuedouble : -1;
	if (!(d >= 0 && d <= 9007199254740992.0) || floor(d) != d)
		return ehr_fail(e, EHR_EINTEGRITY,
				"corrupt keystore: \"%s\" is not a non-negative integer", name);
	*out = (uint64_t)d;
	return 0;
}

/* Hex (optional 0x) of min..max bytes into out. */
static int get_hex(const cJSON *obj, const char *name, uint8_t *out, size_t min, size_t max,
		   size_t *len, ehr_err *e)
{
	const char *s;
	long n;
	int rc;

	if ((rc = get_string(obj, name, &s, e)))
		return rc;
	n = hex_decode(s, out, max);
	if (n < 0)
		return ehr_fail(e, EHR_EINTEGRITY,
				"corrupt keystore: \"%s\" is not hex of at most %zu bytes", name, max);
	if ((size_t)n < min)
		return ehr_fail(e, EHR_EINTEGRITY, "corrupt keystore: \"%s\" is %ld bytes, want %s%zu",
				name, n, min == max ? "" : "at least ", min);
	if (len)
		*len = (size_t)n;
	return 0;
}

static int parse_kdf(const cJSON *crypto, struct v3_file *f, ehr_err *e)
{
	const cJSON *kp;
	const char *kdf, *prf;
	char shown[40];
	uint64_t dklen, v;
	int rc;

	if ((rc = get_string(crypto, "kdf", &kdf, e)) ||
	    (rc = get_object(crypto, "kdfparams", &kp, e)))
		return rc;
	if (strcmp(kdf, "scrypt") == 0) {
		f->kdf.kdf = V3_KDF_SCRYPT;
		if ((rc = get_uint(kp, "n", &f->kdf.n, e)))
			return rc;
		if ((rc = get_uint(kp, "r", &v, e)))
			return rc;
		if (v > UINT32_MAX)
			return ehr_fail(e, EHR_EUSAGE, "scrypt r=%llu is too large; refusing",
					(unsigned long long)v);
		f->kdf.r = (uint32_t)v;
		if ((rc = get_uint(kp, "p", &v, e)))
			return rc;
		if (v > UINT32_MAX)
			return ehr_fail(e, EHR_EUSAGE, "scrypt p=%llu is too large; refusing",
					(unsigned long long)v);
		f->kdf.p = (uint32_t)v;
	} else if (strcmp(kdf, "pbkdf2") == 0) {
		f->kdf.kdf = V3_KDF_PBKDF2;
		if ((rc = get_string(kp, "prf", &prf, e)))
			return rc;
		if (strcmp(prf, "hmac-sha256") != 0)
			return ehr_fail(e, EHR_EUSAGE, "unsupported pbkdf2 prf \"%s\" (only hmac-sha256)",
					printable(prf, shown, sizeof(shown)));
		if ((rc = get_uint(kp, "c", &v, e)))
			return rc;
		if (v > V3_PBKDF2_MAX_C)
			return ehr_fail(e, EHR_EUSAGE, "pbkdf2 c=%llu is outside 1..%u; refusing",
					(unsigned long long)v, V3_PBKDF2_MAX_C);
		f->kdf.c = (uint32_t)v;
	} else {
		return ehr_fail(e, EHR_EUSAGE, "unsupported kdf \"%s\" (only scrypt and pbkdf2)",
				printable(kdf, shown, sizeof(shown)));
	}
	if ((rc = get_uint(kp, "dklen", &dklen, e)))
		return rc;
	if (dklen != V3_DKLEN)
		return ehr_fail(e, EHR_EUSAGE, "unsupported dklen %llu (only %d)",
				(unsigned long long)dklen, V3_DKLEN);
	if ((rc = get_hex(kp, "salt", f->salt, 1, sizeof(f->salt), &f->salt_len, e)))
		return rc;
	return check_params(&f->kdf, e);
}

static int parse_file(const cJSON *root, struct v3_file *f, ehr_err *e)
{
	const cJSON *crypto, *lower, *upper, *cp, *version, *address;
	const char *cipher;
	char shown[40];
	int rc;

	if (!cJSON_IsObject(root))
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: not a JSON object");
	version = field(root, "version");
	if (!version)
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: missing \"version\"");
	if (!cJSON_IsNumber(version))
		return ehr_fail(e, EHR_EINTEGRITY, "corrupt keystore: \"version\" is not a number");
	if (version->valuedouble != 3)
		return ehr_fail(e, EHR_EUSAGE, "unsupported keystore version %g (only 3)",
				version->valuedouble);

	/* MyEtherWallet writes "Crypto"; geth's case-blind decoder takes both. */
	lower = field(root, "crypto");
	upper = field(root, "Crypto");
	if (lower && upper)
		return ehr_fail(e, EHR_EINTEGRITY, "corrupt keystore: both \"crypto\" and \"Crypto\"");
	if ((rc = get_object(root, upper ? "Crypto" : "crypto", &crypto, e)))
		return rc;

	if ((rc = get_string(crypto, "cipher", &cipher, e)))
		return rc;
	if (strcmp(cipher, "aes-128-ctr") != 0)
		return ehr_fail(e, EHR_EUSAGE, "unsupported cipher \"%s\" (only aes-128-ctr)",
				printable(cipher, shown, sizeof(shown)));
	if ((rc = get_object(crypto, "cipherparams", &cp, e)) ||
	    (rc = get_hex(cp, "iv", f->iv, V3_IV_LEN, V3_IV_LEN, NULL, e)) ||
	    (rc = get_hex(crypto, "ciphertext", f->ciphertext, 1, sizeof(f->ciphertext),
			  &f->ciphertext_len, e)) ||
	    (rc = get_hex(crypto, "mac", f->mac, 32, 32, NULL, e)))
		return rc;

	address = field(root, "address");
	if (address && !cJSON_IsNull(address)) {
		if ((rc = get_hex(root, "address", f->address, 20, 20, NULL, e)))
			return rc;
		f->has_address = 1;
	}
	return parse_kdf(crypto, f, e);
}

int v3_decrypt(const char *json, size_t len, const char *password, size_t password_len,
	       uint8_t priv[32], uint8_t addr[20], ehr_err *e)
{
	struct v3_file f;
	cJSON *root = NULL;
	const char *end = NULL;
	uint8_t *dk = NULL, *plain = NULL;
	uint8_t mac[32];
	char want[43], got[43];
	int rc;

	sodium_memzero(priv, 32);
	memset(&f, 0, sizeof(f));
	if (!json)
		return ehr_fail(e, EHR_EUSAGE, "no keystore data");
	if (!password && password_len)
		return ehr_fail(e, EHR_EUSAGE, "no password");
	if (len > V3_JSON_MAX)
		return ehr_fail(e, EHR_EUSAGE, "keystore file too large (%zu bytes; a v3 file is under 1 KiB)",
				len);
	if (sodium_init() < 0)
		return ehr_fail(e, EHR_EFAIL, "libsodium failed to initialise");

	root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
	if (!root)
		return ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: not valid JSON");
	while (end < json + len && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end != json + len) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "not a keystore v3 file: text after the JSON object");
		goto out;
	}
	if ((rc = parse_file(root, &f, e)))
		goto out;

	dk = sodium_malloc(V3_DKLEN);
	plain = sodium_malloc(32);
	if (!dk || !plain) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if ((rc = derive(&f.kdf, f.salt, f.salt_len, password, password_len, dk, e)))
		goto out;
	compute_mac(dk, f.ciphertext, f.ciphertext_len, mac);
	if (sodium_memcmp(mac, f.mac, sizeof(mac)) != 0) {
		rc = ehr_fail(e, EHR_EAUTH, "wrong password (MAC mismatch)");
		goto out;
	}

	/* Short ciphertexts are keys whose leading zero bytes were dropped. */
	sodium_memzero(plain, 32);
	if ((rc = aes128ctr(dk, f.iv, f.ciphertext, f.ciphertext_len,
			    plain + 32 - f.ciphertext_len, e)))
		goto out;
	memcpy(priv, plain, 32);
	if (eth_address_from_priv(priv, addr, e) != 0) {
		rc = ehr_fail(e, EHR_EINTEGRITY,
			      "keystore holds an invalid secp256k1 private key");
		goto out;
	}
	if (f.has_address && sodium_memcmp(addr, f.address, 20) != 0) {
		eip55_format(f.address, want);
		eip55_format(addr, got);
		rc = ehr_fail(e, EHR_EINTEGRITY,
			      "keystore \"address\" %s does not match its key's address %s", want, got);
		goto out;
	}
	rc = 0;
out:
	if (rc)
		sodium_memzero(priv, 32);
	sodium_free(dk);
	sodium_free(plain);
	cJSON_Delete(root);
	return rc;
}

/* ---- writing a file ---- */

static void uuid_v4(char out[37])
{
	uint8_t b[16];
	char hex[33];

	randombytes_buf(b, sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);	/* version 4: random */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	hex_encode(b, sizeof(b), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

/* The file as geth lays it out. cJSON's Add* helpers return NULL on
 * allocation failure, and adding to a NULL object is a no-op, so one check
 * of the printed text covers every step. */
static char *build_json(const v3_params *p, const uint8_t addr[20], const uint8_t *salt,
			const uint8_t iv[V3_IV_LEN], const uint8_t ct[32], const uint8_t mac[32])
{
	cJSON *root = cJSON_CreateObject(), *crypto, *cp, *kp;
	char hex[2 * V3_SALT_LEN + 1], id[37];
	char *text, *copy = NULL;

	hex_encode(addr, 20, hex);
	cJSON_AddStringToObject(root, "address", hex);
	crypto = cJSON_AddObjectToObject(root, "crypto");
	cJSON_AddStringToObject(crypto, "cipher", "aes-128-ctr");
	hex_encode(ct, 32, hex);
	cJSON_AddStringToObject(crypto, "ciphertext", hex);
	cp = cJSON_AddObjectToObject(crypto, "cipherparams");
	hex_encode(iv, V3_IV_LEN, hex);
	cJSON_AddStringToObject(cp, "iv", hex);
	cJSON_AddStringToObject(crypto, "kdf", p->kdf == V3_KDF_SCRYPT ? "scrypt" : "pbkdf2");
	kp = cJSON_AddObjectToObject(crypto, "kdfparams");
	hex_encode(salt, V3_SALT_LEN, hex);
	if (p->kdf == V3_KDF_SCRYPT) {
		cJSON_AddNumberToObject(kp, "dklen", V3_DKLEN);
		cJSON_AddNumberToObject(kp, "n", (double)p->n);
		cJSON_AddNumberToObject(kp, "p", p->p);
		cJSON_AddNumberToObject(kp, "r", p->r);
		cJSON_AddStringToObject(kp, "salt", hex);
	} else {
		cJSON_AddNumberToObject(kp, "c", p->c);
		cJSON_AddNumberToObject(kp, "dklen", V3_DKLEN);
		cJSON_AddStringToObject(kp, "prf", "hmac-sha256");
		cJSON_AddStringToObject(kp, "salt", hex);
	}
	hex_encode(mac, 32, hex);
	cJSON_AddStringToObject(crypto, "mac", hex);
	uuid_v4(id);
	cJSON_AddStringToObject(root, "id", id);
	cJSON_AddNumberToObject(root, "version", 3);

	/* Every field must be there: a partial object prints too. */
	if (root && cJSON_GetArraySize(root) == 4 && cJSON_GetArraySize(crypto) == 6 &&
	    cJSON_GetArraySize(kp) == (p->kdf == V3_KDF_SCRYPT ? 5 : 4) &&
	    cJSON_GetArraySize(cp) == 1 && (text = cJSON_PrintUnformatted(root))) {
		copy = strdup(text);	/* the caller frees with free(), whatever cJSON's hooks */
		cJSON_free(text);
	}
	cJSON_Delete(root);
	return copy;
}

int v3_encrypt(const uint8_t priv[32], const char *password, size_t password_len,
	       const v3_params *p, char **json_out, ehr_err *e)
{
	static const v3_params standard = {
		.kdf = V3_KDF_SCRYPT,
		.n = V3_SCRYPT_STANDARD_N,
		.r = V3_SCRYPT_STANDARD_R,
		.p = V3_SCRYPT_STANDARD_P,
	};
	uint8_t salt[V3_SALT_LEN], iv[V3_IV_LEN], ct[32], mac[32], addr[20];
	uint8_t *dk = NULL;
	ehr_err ignored;
	int rc;

	if (!json_out)
		return ehr_fail(e, EHR_EUSAGE, "no output for the keystore");
	*json_out = NULL;
	if (!p)
		p = &standard;
	if (!password && password_len)
		return ehr_fail(e, EHR_EUSAGE, "no password");
	if ((rc = check_params(p, e)))
		return rc;
	if (sodium_init() < 0)
		return ehr_fail(e, EHR_EFAIL, "libsodium failed to initialise");
	if (eth_address_from_priv(priv, addr, &ignored) != 0)
		return ehr_fail(e, EHR_EUSAGE, "not a valid secp256k1 private key");

	randombytes_buf(salt, sizeof(salt));
	randombytes_buf(iv, sizeof(iv));
	if (!(dk = sodium_malloc(V3_DKLEN)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	if ((rc = derive(p, salt, sizeof(salt), password, password_len, dk, e)) ||
	    (rc = aes128ctr(dk, iv, priv, 32, ct, e)))
		goto out;
	compute_mac(dk, ct, sizeof(ct), mac);
	if (!(*json_out = build_json(p, addr, salt, iv, ct, mac)))
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
out:
	sodium_free(dk);
	return rc;
}
