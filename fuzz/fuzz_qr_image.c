/* A QR code in a PNG image (wallet/base/qr_image.h qr_image_decode_png),
 * as `ehr access --qr-image FILE` reads a photo or a screenshot, then the
 * grant URI parser as access runs it on the text. The input is the file.
 * A refusal is EHR_EUSAGE (EHR_EFAIL only for memory) and hands out no
 * text; a decoded text is NUL-terminated, as long as *len says, within
 * the bound asked for, with no NUL byte in it. */
#include "fuzz.h"

#include "wallet/base/qr_image.h"
#include "wallet/registry/grant_uri.h"

#define TEXT_BOUND 1024 /* access reads a URI line of at most this much */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = fuzz_copy(data, size), key[GRANT_KEY_BYTES];
	char *text = (char *)"unset";
	size_t len = 12345;
	grant_uri u;
	ehr_err e;
	int st;

	st = qr_image_decode_png("the image", copy, size, TEXT_BOUND, &text, &len, &e);
	if (st) {
		fuzz_check_err(st, &e);
		FUZZ_ASSERT(st == EHR_EUSAGE || st == EHR_EFAIL);
		FUZZ_ASSERT(text == NULL && len == 0);
		goto out;
	}
	FUZZ_ASSERT(text != NULL && len <= TEXT_BOUND && strlen(text) == len);
	st = grant_uri_parse(text, &u, key, &e);
	if (st)
		fuzz_check_err(st, &e);
	sodium_free(text);
out:
	free(copy);
	return 0;
}

FUZZ_INIT_SODIUM()
