/* The wallet file (keystore/keystore.h keystore_open), read from a memfd
 * through its /proc/self/fd path, so nothing touches the disk.
 *
 * Byte 0 picks the mode; the rest is the file:
 *   even  the file is the input as it is;
 *   odd   the input is parsed as JSON and, when it is an object, written
 *         back as ehr writes it (cJSON_Print and a newline) with a correct
 *         "checksum" (BLAKE2b-256 of the compact header, its NUL and the
 *         "ciphertext" text, as keystore.h describes), so mutations reach
 *         the header checks behind the checksum instead of dying at it.
 * keystore_open never unlocks: no Argon2id runs here. */
#include "fuzz.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cJSON.h>

#include "keystore/keystore.h"
#include "wallet/base/hex.h"

static int fd = -1;
static char path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	fd = memfd_create("ehr-fuzz-wallet", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return 0;
}

/* The file ehr would write for this JSON, with its checksum recomputed;
 * NULL when the input is no JSON object. malloc'd. */
static char *fix_up(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *header, *ct;
	char *ad = NULL, *text = NULL, *out = NULL, hex[65];
	crypto_generichash_state st;
	uint8_t sum[32];
	size_t n;

	if (!cJSON_IsObject(root))
		goto out;
	header = cJSON_GetObjectItemCaseSensitive(root, "header");
	ct = cJSON_GetObjectItemCaseSensitive(root, "ciphertext");
	if (!header || !(ad = cJSON_PrintUnformatted(header)))
		goto out;
	crypto_generichash_init(&st, NULL, 0, 32);
	crypto_generichash_update(&st, (const uint8_t *)ad, strlen(ad) + 1);
	if (cJSON_IsString(ct))
		crypto_generichash_update(&st, (const uint8_t *)ct->valuestring,
					  strlen(ct->valuestring));
	crypto_generichash_final(&st, sum, 32);
	hex_encode(sum, 32, hex);
	cJSON_DeleteItemFromObjectCaseSensitive(root, "checksum");
	if (!cJSON_AddStringToObject(root, "checksum", hex) || !(text = cJSON_Print(root)))
		goto out;
	n = strlen(text);
	if ((out = malloc(n + 2))) {
		memcpy(out, text, n);
		memcpy(out + n, "\n", 2);
	}
out:
	free(text);
	free(ad);
	cJSON_Delete(root);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *file;
	char *fixed = NULL;
	size_t len, i;
	keystore *ks = NULL;
	ehr_err e;
	int st;

	if (size < 1)
		return 0;
	if (data[0] & 1) {
		if (!(fixed = fix_up(data + 1, size - 1)))
			return 0;
		file = (const uint8_t *)fixed;
		len = strlen(fixed);
	} else {
		file = data + 1;
		len = size - 1;
	}
	if (ftruncate(fd, 0) < 0 || (len && pwrite(fd, file, len, 0) != (ssize_t)len))
		abort();

	st = keystore_open(path, &ks, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EINTEGRITY || st == EHR_EFAIL);
	} else {
		FUZZ_ASSERT(ks->kind == KEYSTORE_MNEMONIC || ks->kind == KEYSTORE_PRIVATE_KEY);
		FUZZ_ASSERT(ks->naccounts >= 1 && ks->naccounts <= KEYSTORE_MAX_ACCOUNTS);
		FUZZ_ASSERT(memchr(ks->created, '\0', sizeof(ks->created)));
		FUZZ_ASSERT(ks->ciphertext && ks->ciphertext_len > 0);
		for (i = 0; i < ks->naccounts; i++) {
			FUZZ_ASSERT(memchr(ks->accounts[i].path, '\0', sizeof(ks->accounts[i].path)));
			FUZZ_ASSERT(keystore_account_by_index(ks, ks->accounts[i].index) != NULL);
		}
		keystore_free(ks);
	}
	free(fixed);
	return 0;
}
