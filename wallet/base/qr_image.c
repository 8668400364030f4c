#include "wallet/base/qr_image.h"

#include <stdlib.h>
#include <string.h>

#include <png.h>
#include <sodium.h>
#include "wallet/base/zbar_lazy.h"

#include "wallet/base/fileio.h"

/* The image as 8-bit gray pixels, transparency over white (a QR code drawn
 * dark on a transparent ground must keep its light modules light). */
static int png_to_gray(const char *what, const uint8_t *data, size_t n, uint8_t **pixels,
		       unsigned *width, unsigned *height, ehr_err *e)
{
	const png_color white = { 255, 255, 255 };
	png_image img;
	size_t size;

	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_memory(&img, data, n))
		return ehr_fail(e, EHR_EUSAGE, "%s is not a PNG image (%s)", what, img.message);
	if (img.width == 0 || img.height == 0 || img.width > QR_IMAGE_SIDE_MAX ||
	    img.height > QR_IMAGE_SIDE_MAX || (size_t)img.width * img.height > QR_IMAGE_PIXELS_MAX) {
		png_image_free(&img);
		return ehr_fail(e, EHR_EUSAGE, "%s is %ux%u pixels: more than ehr reads a QR code from "
				"(%u pixels; crop or scale it down)", what, img.width, img.height,
				QR_IMAGE_PIXELS_MAX);
	}
	img.format = PNG_FORMAT_GRAY;
	size = PNG_IMAGE_SIZE(img);
	if (!(*pixels = malloc(size))) {
		png_image_free(&img);
		return ehr_fail(e, EHR_EFAIL, "out of memory reading %s", what);
	}
	if (!png_image_finish_read(&img, &white, *pixels, 0, NULL)) {
		sodium_memzero(*pixels, size);
		free(*pixels);
		*pixels = NULL;
		png_image_free(&img);
		return ehr_fail(e, EHR_EUSAGE, "%s is a damaged PNG image (%s)", what, img.message);
	}
	*width = img.width;
	*height = img.height;
	png_image_free(&img);
	return 0;
}

/* The one QR code zbar finds in the gray pixels, copied out. */
static int scan_one(const char *what, uint8_t *pixels, unsigned width, unsigned height, size_t max,
		    char **text, size_t *len, ehr_err *e)
{
	zbar_image_scanner_t *sc = NULL;
	zbar_image_t *zi = NULL;
	const zbar_symbol_t *sym, *found = NULL;
	unsigned count = 0, n;
	int rc;

	if ((rc = lazylib_zbar(e)))
		return rc;
	sc = zbar_image_scanner_create();
	zi = zbar_image_create();
	if (!sc || !zi) {
		rc = ehr_fail(e, EHR_EFAIL, "out of memory reading %s", what);
		goto out;
	}
	zbar_image_scanner_set_config(sc, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
	zbar_image_scanner_set_config(sc, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
	zbar_image_set_format(zi, zbar_fourcc('Y', '8', '0', '0'));
	zbar_image_set_size(zi, width, height);
	zbar_image_set_data(zi, pixels, (unsigned long)width * height, NULL);
	if (zbar_scan_image(sc, zi) < 0) {
		rc = ehr_fail(e, EHR_EFAIL, "cannot scan %s for a QR code", what);
		goto out;
	}
	for (sym = zbar_image_first_symbol(zi); sym; sym = zbar_symbol_next(sym))
		if (zbar_symbol_get_type(sym) == ZBAR_QRCODE && count++ == 0)
			found = sym;
	if (!found) {
		rc = ehr_fail(e, EHR_EUSAGE, "no QR code found in %s", what);
		goto out;
	}
	if (count > 1) {
		rc = ehr_fail(e, EHR_EUSAGE, "%s holds %u QR codes: crop it to the one to open", what, count);
		goto out;
	}
	n = zbar_symbol_get_data_length(found);
	if (n > max || memchr(zbar_symbol_get_data(found), '\0', n)) {
		rc = ehr_fail(e, EHR_EUSAGE, "the QR code in %s holds something else than ehr reads "
			      "(%u bytes%s)", what, n, n > max ? ", too long" : ", binary");
		goto out;
	}
	if (!(*text = sodium_malloc((size_t)n + 1))) {
		rc = ehr_fail(e, EHR_EFAIL, "out of secure memory");
		goto out;
	}
	memcpy(*text, zbar_symbol_get_data(found), n);
	(*text)[n] = '\0';
	*len = n;
out:
	if (zi)
		zbar_image_destroy(zi);
	if (sc)
		zbar_image_scanner_destroy(sc);
	return rc;
}

int qr_image_decode_png(const char *what, const uint8_t *data, size_t n, size_t max, char **text,
			size_t *len, ehr_err *e)
{
	uint8_t *pixels = NULL;
	unsigned width = 0, height = 0;
	int rc;

	*text = NULL;
	*len = 0;
	if ((rc = png_to_gray(what, data, n, &pixels, &width, &height, e)))
		return rc;
	rc = scan_one(what, pixels, width, height, max, text, len, e);
	sodium_memzero(pixels, (size_t)width * height);
	free(pixels);
	return rc;
}

int qr_image_read(const char *path, size_t max, char **text, size_t *len, ehr_err *e)
{
	char *data;
	size_t n;
	int rc;

	*text = NULL;
	*len = 0;
	if ((rc = file_read_all(path, QR_IMAGE_FILE_MAX, &data, &n, e)))
		return rc;
	rc = qr_image_decode_png(path, (const uint8_t *)data, n, max, text, len, e);
	sodium_memzero(data, n);
	free(data);
	return rc;
}
