/* The text of a QR code in a PNG image (libpng's simplified API reads it
 * as 8-bit gray, zbar finds and decodes the code): how `ehr access
 * --qr-image FILE` takes a grant URI without the URI ever standing on a
 * command line. The text can be a bearer grant's key, so it is handed out
 * in sodium_malloc memory, and the file's bytes and the pixels are wiped
 * before they are freed (zbar's own working copies are freed unwiped). */
#ifndef EHR_QR_IMAGE_H
#define EHR_QR_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "wallet/base/err.h"

#define QR_IMAGE_FILE_MAX (16u << 20)     /* bytes of a PNG file */
#define QR_IMAGE_PIXELS_MAX (1u << 24)    /* width x height: 4096 x 4096, or a phone photo */
#define QR_IMAGE_SIDE_MAX 16384u

/* The text of the one QR code in the PNG image data (n bytes), at most
 * max bytes, into *text (sodium_malloc'd, NUL-terminated; the caller
 * frees it with sodium_free) and *len. what names the image in messages.
 * EHR_EUSAGE: not a PNG image or a damaged one, wider or taller than
 * QR_IMAGE_SIDE_MAX or more than QR_IMAGE_PIXELS_MAX pixels, no QR code
 * found, more than one, or text longer than max or holding a NUL byte. */
int qr_image_decode_png(const char *what, const uint8_t *data, size_t n, size_t max, char **text,
			size_t *len, ehr_err *e);

/* qr_image_decode_png of the file at path (at most QR_IMAGE_FILE_MAX
 * bytes; a file that cannot be read is EHR_EFAIL, as file_read_all). */
int qr_image_read(const char *path, size_t max, char **text, size_t *len, ehr_err *e);

#endif
