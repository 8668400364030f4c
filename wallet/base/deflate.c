#include "wallet/base/deflate.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

/* zlib's window bits for a raw stream (no header, no checksum). */
#define RAW_WINDOW (-15)

static int grow(uint8_t **buf, size_t *cap, size_t need, size_t max)
{
	size_t n = *cap ? *cap : 4096;
	uint8_t *p;

	while (n < need)
		n *= 2;
	if (n > max + 1)
		n = max + 1;
	if (!(p = realloc(*buf, n)))
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

int inflate_raw(const uint8_t *in, size_t len, size_t max, uint8_t **out, size_t *out_len,
		ehr_err *e)
{
	z_stream z;
	uint8_t *buf = NULL;
	size_t cap = 0, have = 0;
	int zr = Z_OK, rc;

	*out = NULL;
	*out_len = 0;
	if (len > UINT_MAX || max >= SIZE_MAX / 2)
		return ehr_fail(e, EHR_EINTEGRITY, "compressed data is too large");
	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, RAW_WINDOW) != Z_OK)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	while (zr != Z_STREAM_END) {
		size_t room;

		if (have >= cap && (have >= max + 1 || grow(&buf, &cap, have + 1, max))) {
			rc = have > max ? ehr_fail(e, EHR_EINTEGRITY, "compressed data inflates to more "
						   "than %zu bytes", max)
					: ehr_fail(e, EHR_EFAIL, "out of memory");
			goto fail;
		}
		room = cap - have;
		z.next_out = buf + have;
		z.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		zr = inflate(&z, Z_NO_FLUSH);
		have = (size_t)(z.next_out - buf);
		if (zr == Z_MEM_ERROR) {
			rc = ehr_fail(e, EHR_EFAIL, "out of memory");
			goto fail;
		}
		if (zr == Z_BUF_ERROR) {  /* no progress with room to write: input missing */
			rc = ehr_fail(e, EHR_EINTEGRITY, "compressed data ends early");
			goto fail;
		}
		if (zr != Z_OK && zr != Z_STREAM_END) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "compressed data is not valid DEFLATE");
			goto fail;
		}
		if (have > max) {
			rc = ehr_fail(e, EHR_EINTEGRITY, "compressed data inflates to more than %zu bytes",
				      max);
			goto fail;
		}
	}
	if (z.avail_in) {
		rc = ehr_fail(e, EHR_EINTEGRITY, "%u bytes follow the compressed data", z.avail_in);
		goto fail;
	}
	inflateEnd(&z);
	if (have >= cap && grow(&buf, &cap, have + 1, have + 1)) {
		free(buf);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	buf[have] = 0;
	*out = buf;
	*out_len = have;
	return 0;
fail:
	inflateEnd(&z);
	free(buf);
	return rc;
}

int deflate_raw(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len, ehr_err *e)
{
	z_stream z;
	uLong bound;
	uint8_t *buf;
	int zr;

	*out = NULL;
	*out_len = 0;
	if (len > UINT_MAX / 2)
		return ehr_fail(e, EHR_EFAIL, "data too large to compress");
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, RAW_WINDOW, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	bound = deflateBound(&z, (uLong)len);
	if (!(buf = malloc(bound ? bound : 1))) {
		deflateEnd(&z);
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	zr = deflate(&z, Z_FINISH);
	*out_len = (size_t)(z.next_out - buf);
	deflateEnd(&z);
	if (zr != Z_STREAM_END) {
		free(buf);
		return ehr_fail(e, EHR_EFAIL, "compressing failed");
	}
	*out = buf;
	return 0;
}
