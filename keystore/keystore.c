#include "keystore/keystore.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <sodium.h>

#include "wallet/keys/bip32.h"
#include "wallet/keys/bip39.h"
#include "wallet/keys/enckey.h"
#include "wallet/keys/eth.h"
#include "wallet/base/fileio.h"
#include "wallet/base/hex.h"

#define CIPHER_NAME "xchacha20poly1305-ietf"
#define KDF_NAME "argon2id13"
/* Bounds on what a wallet file may ask of the KDF, so a hostile file cannot
 * make an unlock take hours or all memory. SENSITIVE is within them. */
#define KDF_MAX_OPS 64ULL
#define KDF_MAX_MEM (4ULL << 30)
#define SECRET_MAX (3 + 32 + 2 + KEYSTORE_BIP39_PASS_MAX)

keystore_secret *keystore_secret_new(void)
{
	keystore_secret *s = sodium_malloc(sizeof(*s));

	if (s)
		sodium_memzero(s, sizeof(*s));
	return s;
}

void keystore_secret_free(keystore_secret *s)
{
	sodium_free(s);  /* wipes */
}

keystore_keys *keystore_keys_new(void)
{
	keystore_keys *k = sodium_malloc(sizeof(*k));

	if (k)
		sodium_memzero(k, sizeof(*k));
	return k;
}

void keystore_keys_free(keystore_keys *k)
{
	sodium_free(k);
}

int keystore_kdf_parse(const char *name, enum keystore_kdf_level *level, ehr_err *e)
{
	if (!strcmp(name, "interactive"))
		*level = KDF_INTERACTIVE;
	else if (!strcmp(name, "moderate"))
		*level = KDF_MODERATE;
	else if (!strcmp(name, "sensitive"))
		*level = KDF_SENSITIVE;
	else
		return ehr_fail(e, EHR_EUSAGE,
				"unknown kdf level '%s' (use interactive, moderate or sensitive)", name);
	return 0;
}

static void kdf_cost(enum keystore_kdf_level level, unsigned long long *ops, size_t *mem)
{
	switch (level) {
	case KDF_INTERACTIVE:
		*ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
		*mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
		break;
	case KDF_SENSITIVE:
		*ops = crypto_pwhash_OPSLIMIT_SENSITIVE;
		*mem = crypto_pwhash_MEMLIMIT_SENSITIVE;
		break;
	default:
		*ops = crypto_pwhash_OPSLIMIT_MODERATE;
		*mem = crypto_pwhash_MEMLIMIT_MODERATE;
		break;
	}
}

/* The BIP32 master key of a mnemonic wallet, into sodium_malloc memory. */
static int master_key(const keystore_secret *s, bip32_key **out, ehr_err *e)
{
	char *mnemonic = sodium_malloc(BIP39_MNEMONIC_MAX);
	uint8_t *seed = sodium_malloc(64);
	bip32_key *master = sodium_malloc(sizeof(*master));
	int rc = EHR_EFAIL;

	if (!mnemonic || !seed || !master) {
		rc = ehr_fail(e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	if ((rc = bip39_from_entropy(s->entropy, s->entropy_len, mnemonic, BIP39_MNEMONIC_MAX, e)))
		goto out;
	if ((rc = bip39_seed(mnemonic, s->bip39_pass, seed, e)))
		goto out;
	if ((rc = bip32_from_seed(seed, 64, master, e)))
		goto out;
	*out = master;
	master = NULL;
out:
	sodium_free(mnemonic);
	sodium_free(seed);
	sodium_free(master);
	return rc;
}

static int keys_from_private(const uint8_t priv[32], keystore_keys *out, ehr_err *e)
{
	int rc;

	if (out->private_key != priv)
		memcpy(out->private_key, priv, 32);
	if ((rc = eth_address_from_priv(out->private_key, out->address, e)))
		return rc;
	if (enckey_derive(out->private_key, out->enc_secret, out->enc_public))
		return ehr_fail(e, EHR_EFAIL, "cannot derive the encryption key");
	return 0;
}

static int derive_from_master(const bip32_key *master, const char *path,
			      keystore_keys *out, ehr_err *e)
{
	bip32_key *child = sodium_malloc(sizeof(*child));
	int rc;

	if (!child)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	rc = bip32_derive_path(master, path, child, e);
	if (!rc)
		rc = keys_from_private(child->priv, out, e);
	sodium_free(child);
	return rc;
}

int keystore_derive(const keystore_secret *s, const char *path, keystore_keys *out, ehr_err *e)
{
	bip32_key *master;
	int rc;

	if (s->kind == KEYSTORE_PRIVATE_KEY) {
		if (path)
			return ehr_fail(e, EHR_EUSAGE,
					"this wallet holds one imported key: it has no derivation paths");
		return keys_from_private(s->private_key, out, e);
	}
	if ((rc = master_key(s, &master, e)))
		return rc;
	rc = derive_from_master(master, path, out, e);
	sodium_free(master);
	return rc;
}

int keystore_derive_index(const keystore_secret *s, uint32_t index, keystore_keys *out, ehr_err *e)
{
	char path[64];

	if (s->kind == KEYSTORE_PRIVATE_KEY) {
		if (index != 0)
			return ehr_fail(e, EHR_EUSAGE,
					"this wallet holds one imported key: only account 0 exists");
		return keystore_derive(s, NULL, out, e);
	}
	if (index >= BIP32_HARDENED)
		return ehr_fail(e, EHR_EUSAGE, "account index %u is too large", index);
	snprintf(path, sizeof(path), BIP44_ETH_PATH_FMT, index);
	return keystore_derive(s, path, out, e);
}

/* Derives accounts [from, from + n) into a fresh array. */
static int derive_accounts(const keystore_secret *s, uint32_t from, size_t n,
			   keystore_account *accts, ehr_err *e)
{
	keystore_keys *keys = keystore_keys_new();
	bip32_key *master = NULL;
	size_t i;
	int rc = 0;

	if (!keys)
		return ehr_fail(e, EHR_EFAIL, "out of secure memory");
	if (s->kind == KEYSTORE_MNEMONIC && (rc = master_key(s, &master, e)))
		goto out;
	for (i = 0; i < n && !rc; i++) {
		keystore_account *a = &accts[i];

		memset(a, 0, sizeof(*a));
		a->index = from + (uint32_t)i;
		if (s->kind == KEYSTORE_PRIVATE_KEY) {
			rc = keys_from_private(s->private_key, keys, e);
		} else {
			snprintf(a->path, sizeof(a->path), BIP44_ETH_PATH_FMT, a->index);
			rc = derive_from_master(master, a->path, keys, e);
		}
		memcpy(a->address, keys->address, 20);
		memcpy(a->encryption_key, keys->enc_public, 32);
	}
out:
	sodium_free(master);
	keystore_keys_free(keys);
	return rc;
}

/* The sealed plaintext: kind, then entropy and BIP39 passphrase, or the key. */
static size_t secret_serialize(const keystore_secret *s, uint8_t *buf)
{
	size_t n = 0;

	buf[n++] = s->kind;
	if (s->kind == KEYSTORE_PRIVATE_KEY) {
		memcpy(buf + n, s->private_key, 32);
		return n + 32;
	}
	buf[n++] = s->entropy_len;
	memcpy(buf + n, s->entropy, s->entropy_len);
	n += s->entropy_len;
	buf[n++] = (uint8_t)(s->bip39_pass_len >> 8);
	buf[n++] = (uint8_t)s->bip39_pass_len;
	memcpy(buf + n, s->bip39_pass, s->bip39_pass_len);
	return n + s->bip39_pass_len;
}

static int secret_parse(const uint8_t *buf, size_t len, keystore_secret *s, ehr_err *e)
{
	size_t n = 1;

	sodium_memzero(s, sizeof(*s));
	if (len < 1)
		goto bad;
	s->kind = buf[0];
	if (s->kind == KEYSTORE_PRIVATE_KEY) {
		if (len != 33)
			goto bad;
		memcpy(s->private_key, buf + 1, 32);
		return 0;
	}
	if (s->kind != KEYSTORE_MNEMONIC || len < 2)
		goto bad;
	s->entropy_len = buf[n++];
	if (s->entropy_len < 16 || s->entropy_len > 32 || s->entropy_len % 4 ||
	    len < n + s->entropy_len + 2)
		goto bad;
	memcpy(s->entropy, buf + n, s->entropy_len);
	n += s->entropy_len;
	s->bip39_pass_len = (uint16_t)(buf[n] << 8 | buf[n + 1]);
	n += 2;
	if (s->bip39_pass_len > KEYSTORE_BIP39_PASS_MAX || len != n + s->bip39_pass_len)
		goto bad;
	memcpy(s->bip39_pass, buf + n, s->bip39_pass_len);
	s->bip39_pass[s->bip39_pass_len] = '\0';
	return 0;
bad:
	sodium_memzero(s, sizeof(*s));
	return ehr_fail(e, EHR_EINTEGRITY, "the wallet's sealed part has an unknown layout");
}

static void hexstr(cJSON *obj, const char *name, const uint8_t *b, size_t n)
{
	char buf[130];

	hex_encode(b, n, buf);
	cJSON_AddStringToObject(obj, name, buf);
}

static cJSON *header_json(const keystore *ks)
{
	cJSON *h = cJSON_CreateObject(), *kdf, *cipher, *accts;
	size_t i;

	cJSON_AddNumberToObject(h, "version", KEYSTORE_VERSION);
	cJSON_AddStringToObject(h, "kind", ks->kind == KEYSTORE_MNEMONIC ? "mnemonic" : "private-key");
	cJSON_AddStringToObject(h, "created", ks->created);
	kdf = cJSON_AddObjectToObject(h, "kdf");
	cJSON_AddStringToObject(kdf, "name", KDF_NAME);
	cJSON_AddNumberToObject(kdf, "opslimit", (double)ks->opslimit);
	cJSON_AddNumberToObject(kdf, "memlimit", (double)ks->memlimit);
	hexstr(kdf, "salt", ks->salt, sizeof(ks->salt));
	if (ks->has_check)
		hexstr(kdf, "check", ks->check, sizeof(ks->check));
	cipher = cJSON_AddObjectToObject(h, "cipher");
	cJSON_AddStringToObject(cipher, "name", CIPHER_NAME);
	hexstr(cipher, "nonce", ks->nonce, sizeof(ks->nonce));
	accts = cJSON_AddArrayToObject(h, "accounts");
	for (i = 0; i < ks->naccounts; i++) {
		const keystore_account *a = &ks->accounts[i];
		cJSON *o = cJSON_CreateObject();
		char addr[43];

		cJSON_AddNumberToObject(o, "index", a->index);
		cJSON_AddStringToObject(o, "path", a->path);
		eip55_format(a->address, addr);
		cJSON_AddStringToObject(o, "address", addr);
		hexstr(o, "encryption_key", a->encryption_key, 32);
		cJSON_AddItemToArray(accts, o);
	}
	return h;
}

static void checksum(const char *ad, const char *ct_hex, uint8_t out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)ad, strlen(ad) + 1);
	crypto_generichash_update(&st, (const uint8_t *)ct_hex, strlen(ct_hex));
	crypto_generichash_final(&st, out, 32);
}

/* The key check of an Argon2id key: a MAC of a fixed text under the key,
 * so it says whether a passphrase is right and nothing else. */
static void key_check(const uint8_t *key, uint8_t out[16])
{
	static const char what[] = "ehr wallet key check v1";

	crypto_generichash(out, 16, (const uint8_t *)what, sizeof(what) - 1, key, 32);
}

/* Seals secret into ks (fresh salt and nonce) and writes the file. */
static int seal_and_write(keystore *ks, const keystore_secret *secret,
			  const char *pass, size_t passlen, bool replace, ehr_err *e)
{
	uint8_t *key = sodium_malloc(32), *plain = sodium_malloc(SECRET_MAX), sum[32];
	cJSON *root = NULL, *header;
	char *ad = NULL, *text = NULL, *ct_hex = NULL, sumhex[65];
	size_t plain_len;
	unsigned long long ct_len;
	int rc = 0;

	if (!key || !plain) {
		rc = ehr_fail(e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	randombytes_buf(ks->salt, sizeof(ks->salt));
	randombytes_buf(ks->nonce, sizeof(ks->nonce));
	if (crypto_pwhash(key, 32, pass, passlen, ks->salt, ks->opslimit, ks->memlimit,
			  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = ehr_fail(e, EHR_EFAIL, "argon2id needs more memory than the system gives");
		goto out;
	}
	key_check(key, ks->check);
	ks->has_check = true;
	header = header_json(ks);
	ad = cJSON_PrintUnformatted(header);
	plain_len = secret_serialize(secret, plain);
	free(ks->ciphertext);
	ks->ciphertext_len = plain_len + crypto_aead_xchacha20poly1305_ietf_ABYTES;
	ks->ciphertext = malloc(ks->ciphertext_len);
	ct_hex = malloc(2 * ks->ciphertext_len + 1);
	if (!ad || !ks->ciphertext || !ct_hex) {
		cJSON_Delete(header);
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	crypto_aead_xchacha20poly1305_ietf_encrypt(ks->ciphertext, &ct_len, plain, plain_len,
						   (const uint8_t *)ad, strlen(ad), NULL,
						   ks->nonce, key);
	hex_encode(ks->ciphertext, ks->ciphertext_len, ct_hex);
	checksum(ad, ct_hex, sum);
	hex_encode(sum, 32, sumhex);
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "ehr_wallet", KEYSTORE_VERSION);
	cJSON_AddItemToObject(root, "header", header);
	cJSON_AddStringToObject(root, "ciphertext", ct_hex);
	cJSON_AddStringToObject(root, "checksum", sumhex);
	text = cJSON_Print(root);
	if (!text) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	{
		size_t n = strlen(text);
		char *withnl = realloc(text, n + 2);

		if (!withnl) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			goto out;
		}
		text = withnl;
		text[n] = '\n';
		text[n + 1] = '\0';
		rc = file_write_atomic(ks->path, text, n + 1, 0600, replace, e);
	}
out:
	sodium_free(key);
	sodium_free(plain);
	cJSON_Delete(root);
	free(ad);
	free(text);
	free(ct_hex);
	return rc;
}

static int dir_of(const char *path, char *dir, size_t cap)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return snprintf(dir, cap, ".") < 0;
	return snprintf(dir, cap, "%.*s", (int)(slash - path), path) < 0;
}

int keystore_create(const char *path, const keystore_secret *secret,
		    const char *passphrase, size_t passphrase_len,
		    enum keystore_kdf_level level, size_t naccounts, bool replace, ehr_err *e)
{
	keystore ks;
	char dir[4096];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	memset(&ks, 0, sizeof(ks));
	if (naccounts == 0 || naccounts > KEYSTORE_MAX_ACCOUNTS)
		return ehr_fail(e, EHR_EUSAGE, "a wallet holds 1 to %d accounts", KEYSTORE_MAX_ACCOUNTS);
	if (secret->kind == KEYSTORE_PRIVATE_KEY)
		naccounts = 1;
	if (!replace && file_exists(path))
		return ehr_fail(e, EHR_EUSAGE, "a wallet exists at %s (use --force to replace it)", path);
	dir_of(path, dir, sizeof(dir));
	if ((rc = dir_ensure(dir, 0700, e)))
		return rc;
	ks.path = (char *)path;
	ks.kind = secret->kind;
	gmtime_r(&now, &tm);
	strftime(ks.created, sizeof(ks.created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	kdf_cost(level, &ks.opslimit, &ks.memlimit);
	ks.naccounts = naccounts;
	if (!(ks.accounts = calloc(naccounts, sizeof(*ks.accounts))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	rc = derive_accounts(secret, 0, naccounts, ks.accounts, e);
	if (!rc)
		rc = seal_and_write(&ks, secret, passphrase, passphrase_len, replace, e);
	free(ks.accounts);
	free(ks.ciphertext);
	return rc;
}

/* Lowercase hex of exactly n bytes: the file is written so, and accepting
 * other spellings would let a changed byte go unnoticed. */
static int field_hex(const cJSON *obj, const char *name, uint8_t *out, size_t n)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);
	const char *s;
	size_t i;

	if (!cJSON_IsString(f) || strlen(s = f->valuestring) != 2 * n)
		return -1;
	for (i = 0; i < 2 * n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return -1;
	return hex_decode(s, out, n) == (long)n ? 0 : -1;
}

static int field_uint(const cJSON *obj, const char *name, double max, double *out)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!cJSON_IsNumber(f) || f->valuedouble < 0 || f->valuedouble > max ||
	    f->valuedouble != (double)(unsigned long long)f->valuedouble)
		return -1;
	*out = f->valuedouble;
	return 0;
}

static const char *field_str(const cJSON *obj, const char *name)
{
	const cJSON *f = cJSON_GetObjectItemCaseSensitive(obj, name);

	return cJSON_IsString(f) ? f->valuestring : NULL;
}

static int parse_header(keystore *ks, const cJSON *h, ehr_err *e)
{
	const cJSON *kdf = cJSON_GetObjectItemCaseSensitive(h, "kdf");
	const cJSON *cipher = cJSON_GetObjectItemCaseSensitive(h, "cipher");
	const cJSON *accts = cJSON_GetObjectItemCaseSensitive(h, "accounts"), *a;
	const char *kind = field_str(h, "kind"), *s;
	double v;
	size_t i = 0;

#define BAD(what) return ehr_fail(e, EHR_EINTEGRITY, "wallet file %s is damaged: %s", ks->path, what)
	if (field_uint(h, "version", 1e9, &v) || v != KEYSTORE_VERSION)
		BAD("unknown header version");
	if (!kind || (strcmp(kind, "mnemonic") && strcmp(kind, "private-key")))
		BAD("unknown kind");
	ks->kind = !strcmp(kind, "mnemonic") ? KEYSTORE_MNEMONIC : KEYSTORE_PRIVATE_KEY;
	if (!(s = field_str(h, "created")) || strlen(s) >= sizeof(ks->created))
		BAD("bad creation time");
	strcpy(ks->created, s);
	if (!cJSON_IsObject(kdf) || !(s = field_str(kdf, "name")) || strcmp(s, KDF_NAME))
		BAD("unknown kdf");
	if (field_uint(kdf, "opslimit", (double)KDF_MAX_OPS, &v) || v < crypto_pwhash_OPSLIMIT_MIN)
		BAD("kdf opslimit out of range");
	ks->opslimit = (unsigned long long)v;
	if (field_uint(kdf, "memlimit", (double)KDF_MAX_MEM, &v) || v < crypto_pwhash_MEMLIMIT_MIN)
		BAD("kdf memlimit out of range");
	ks->memlimit = (size_t)v;
	if (field_hex(kdf, "salt", ks->salt, sizeof(ks->salt)))
		BAD("bad kdf salt");
	ks->has_check = cJSON_GetObjectItemCaseSensitive(kdf, "check") != NULL;
	if (ks->has_check && field_hex(kdf, "check", ks->check, sizeof(ks->check)))
		BAD("bad key check");
	if (!cJSON_IsObject(cipher) || !(s = field_str(cipher, "name")) || strcmp(s, CIPHER_NAME))
		BAD("unknown cipher");
	if (field_hex(cipher, "nonce", ks->nonce, sizeof(ks->nonce)))
		BAD("bad nonce");
	if (!cJSON_IsArray(accts) || cJSON_GetArraySize(accts) < 1 ||
	    cJSON_GetArraySize(accts) > KEYSTORE_MAX_ACCOUNTS)
		BAD("bad account list");
	ks->naccounts = (size_t)cJSON_GetArraySize(accts);
	if (!(ks->accounts = calloc(ks->naccounts, sizeof(*ks->accounts))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	cJSON_ArrayForEach(a, accts) {
		keystore_account *acct = &ks->accounts[i++];
		ehr_err ignored;

		if (field_uint(a, "index", (double)0x7fffffff, &v))
			BAD("bad account index");
		acct->index = (uint32_t)v;
		if (!(s = field_str(a, "path")) || strlen(s) >= sizeof(acct->path))
			BAD("bad account path");
		strcpy(acct->path, s);
		if (!(s = field_str(a, "address")) || eip55_parse(s, acct->address, &ignored))
			BAD("bad account address");
		if (field_hex(a, "encryption_key", acct->encryption_key, 32))
			BAD("bad encryption key");
	}
#undef BAD
	return 0;
}

int keystore_open(const char *path, keystore **out, ehr_err *e)
{
	keystore *ks = calloc(1, sizeof(*ks));
	cJSON *root = NULL;
	const cJSON *header, *ver;
	char *text = NULL, *canon = NULL, *ad = NULL;
	const char *ct_hex;
	uint8_t want[32], got[32];
	size_t len;
	int rc;

	if (!ks || !(ks->path = strdup(path))) {
		free(ks);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	if (!file_exists(path)) {
		rc = ehr_fail(e, EHR_EAUTH, "no wallet at %s (create one with 'ehr init')", path);
		goto fail;
	}
	/* copies of this wallet left by a killed writer go now, not at the next
	 * write, which may never come */
	file_clean_temporaries(path);
	if ((rc = file_read_all(path, KEYSTORE_MAX_FILE, &text, &len, e)))
		goto fail;
#define BAD(what) do { rc = ehr_fail(e, EHR_EINTEGRITY, "wallet file %s is damaged: %s", path, what); goto fail; } while (0)
	if (strlen(text) != len)
		BAD("it contains a NUL byte");
	if (!(root = cJSON_ParseWithLength(text, len)) || !cJSON_IsObject(root))
		BAD("not valid JSON");
	/* ehr writes the file as cJSON prints it; anything else was changed */
	if (!(canon = cJSON_Print(root)) || len != strlen(canon) + 1 ||
	    memcmp(canon, text, len - 1) || text[len - 1] != '\n')
		BAD("its bytes differ from what ehr writes");
	ver = cJSON_GetObjectItemCaseSensitive(root, "ehr_wallet");
	if (!cJSON_IsNumber(ver) || ver->valuedouble != KEYSTORE_VERSION)
		BAD("not an ehr wallet of a known version");
	header = cJSON_GetObjectItemCaseSensitive(root, "header");
	ct_hex = field_str(root, "ciphertext");
	if (!cJSON_IsObject(header) || !ct_hex || field_hex(root, "checksum", want, 32))
		BAD("a field is missing");
	if (!(ad = cJSON_PrintUnformatted(header)))
		BAD("header cannot be printed");
	checksum(ad, ct_hex, got);
	if (sodium_memcmp(want, got, 32))
		BAD("checksum mismatch");
	if ((rc = parse_header(ks, header, e)))
		goto fail;
	ks->ciphertext_len = strlen(ct_hex) / 2;
	if (ks->ciphertext_len < crypto_aead_xchacha20poly1305_ietf_ABYTES + 1 ||
	    ks->ciphertext_len > SECRET_MAX + crypto_aead_xchacha20poly1305_ietf_ABYTES)
		BAD("bad ciphertext length");
	if (!(ks->ciphertext = malloc(ks->ciphertext_len)) ||
	    field_hex(root, "ciphertext", ks->ciphertext, ks->ciphertext_len))
		BAD("bad ciphertext");
#undef BAD
	cJSON_Delete(root);
	free(text);
	free(canon);
	free(ad);
	*out = ks;
	return 0;
fail:
	cJSON_Delete(root);
	free(text);
	free(canon);
	free(ad);
	keystore_free(ks);
	return rc;
}

/* The AEAD open under key, after the key check (when the file has one). */
static int open_sealed(const keystore *ks, const uint8_t *key, const char *ad, uint8_t *plain,
		       unsigned long long *plain_len, ehr_err *e)
{
	uint8_t check[16];

	if (ks->has_check) {
		key_check(key, check);
		if (sodium_memcmp(check, ks->check, sizeof(check)))
			return ehr_fail(e, EHR_EAUTH, "wrong passphrase for wallet %s", ks->path);
	}
	if (!crypto_aead_xchacha20poly1305_ietf_decrypt(plain, plain_len, NULL, ks->ciphertext,
							ks->ciphertext_len, (const uint8_t *)ad,
							strlen(ad), ks->nonce, key))
		return 0;
	if (!ks->has_check)
		return ehr_fail(e, EHR_EAUTH, "wrong passphrase for wallet %s", ks->path);
	return ehr_fail(e, EHR_EINTEGRITY, "the wallet file %s was altered: the passphrase is right, but the "
			"header or the sealed part is not what ehr wrote (its addresses cannot be trusted; "
			"restore the wallet from its words)", ks->path);
}

int keystore_unlock(keystore *ks, const char *passphrase, size_t passphrase_len, ehr_err *e)
{
	uint8_t *key = sodium_malloc(32), *plain = sodium_malloc(SECRET_MAX);
	keystore_secret *s = keystore_secret_new();
	cJSON *header = header_json(ks);
	char *ad = cJSON_PrintUnformatted(header);
	unsigned long long plain_len;
	int rc;

	cJSON_Delete(header);
	if (!key || !plain || !s || !ad) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory");
		goto out;
	}
	if (crypto_pwhash(key, 32, passphrase, passphrase_len, ks->salt, ks->opslimit,
			  ks->memlimit, crypto_pwhash_ALG_ARGON2ID13) != 0) {
		rc = ehr_fail(e, EHR_EFAIL, "argon2id needs more memory than the system gives");
		goto out;
	}
	if ((rc = open_sealed(ks, key, ad, plain, &plain_len, e)))
		goto out;
	if ((rc = secret_parse(plain, (size_t)plain_len, s, e)))
		goto out;
	if (s->kind != ks->kind) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "wallet %s: header and sealed part disagree", ks->path);
		goto out;
	}
	keystore_secret_free(ks->secret);
	ks->secret = s;
	s = NULL;
out:
	sodium_free(key);
	sodium_free(plain);
	keystore_secret_free(s);
	free(ad);
	return rc;
}

int keystore_rewrite(keystore *ks, const char *passphrase, size_t passphrase_len,
		     int level, ehr_err *e)
{
	if (!ks->secret)
		return ehr_fail(e, EHR_EAUTH, "wallet %s is locked", ks->path);
	if (level >= 0)
		kdf_cost((enum keystore_kdf_level)level, &ks->opslimit, &ks->memlimit);
	return seal_and_write(ks, ks->secret, passphrase, passphrase_len, true, e);
}

int keystore_add_accounts(keystore *ks, size_t n, ehr_err *e)
{
	keystore_account *grown;
	uint32_t next = 0;
	size_t i;
	int rc;

	if (!ks->secret)
		return ehr_fail(e, EHR_EAUTH, "wallet %s is locked", ks->path);
	if (ks->kind == KEYSTORE_PRIVATE_KEY)
		return ehr_fail(e, EHR_EUSAGE, "this wallet holds one imported key: it cannot derive more accounts");
	if (n == 0 || ks->naccounts + n > KEYSTORE_MAX_ACCOUNTS)
		return ehr_fail(e, EHR_EUSAGE, "a wallet holds 1 to %d accounts", KEYSTORE_MAX_ACCOUNTS);
	for (i = 0; i < ks->naccounts; i++)
		if (ks->accounts[i].index >= next)
			next = ks->accounts[i].index + 1;
	if (!(grown = realloc(ks->accounts, (ks->naccounts + n) * sizeof(*grown))))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	ks->accounts = grown;
	if ((rc = derive_accounts(ks->secret, next, n, ks->accounts + ks->naccounts, e)))
		return rc;
	ks->naccounts += n;
	return 0;
}

const keystore_account *keystore_account_by_index(const keystore *ks, uint32_t index)
{
	size_t i;

	for (i = 0; i < ks->naccounts; i++)
		if (ks->accounts[i].index == index)
			return &ks->accounts[i];
	return NULL;
}

int keystore_mnemonic(const keystore *ks, char *out, size_t cap, ehr_err *e)
{
	if (!ks->secret)
		return ehr_fail(e, EHR_EAUTH, "wallet %s is locked", ks->path);
	if (ks->secret->kind != KEYSTORE_MNEMONIC)
		return ehr_fail(e, EHR_EUSAGE, "wallet %s holds an imported key, not a mnemonic", ks->path);
	return bip39_from_entropy(ks->secret->entropy, ks->secret->entropy_len, out, cap, e);
}

void keystore_free(keystore *ks)
{
	if (!ks)
		return;
	keystore_secret_free(ks->secret);
	free(ks->path);
	free(ks->ciphertext);
	free(ks->accounts);
	free(ks);
}

static int first_line(char *buf, size_t n, char **pass, size_t *len, const char *what, ehr_err *e)
{
	size_t i;

	for (i = 0; i < n && buf[i] != '\n'; i++)
		;
	if (i > 0 && buf[i - 1] == '\r')
		i--;
	if (i == 0) {
		sodium_free(buf);
		return ehr_fail(e, EHR_EUSAGE, "%s holds an empty passphrase", what);
	}
	sodium_memzero(buf + i, n - i);
	buf[i] = '\0';
	*pass = buf;
	*len = i;
	return 0;
}

int passphrase_from_file(const char *path, char **pass, size_t *len, ehr_err *e)
{
	char *buf;
	size_t n;
	int rc;

	if ((rc = file_read_secret(path, 4096, &buf, &n, e)))
		return rc;
	return first_line(buf, n, pass, len, path, e);
}

int passphrase_from_fd(int fd, char **pass, size_t *len, ehr_err *e)
{
	char what[40], *buf;
	size_t n;
	int rc;

	if ((rc = fd_read_secret(fd, 4096, &buf, &n, e)))
		return rc;
	snprintf(what, sizeof(what), "file descriptor %d", fd);
	return first_line(buf, n, pass, len, what, e);
}
