#include "qr.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <sodium.h>

#include "wallet/base/fileio.h"

#define QUIET 4
#define QUIET_TIGHT 2

/* The code of text into *qr, to be freed with qr_free. */
static int qr_encode(const char *text, QRcode **qr, ehr_err *e)
{
	if (!text || !*text)
		return ehr_fail(e, EHR_EUSAGE, "nothing to put in a QR code");
	errno = 0;
	*qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (*qr)
		return 0;
	if (errno == ERANGE)
		return ehr_fail(e, EHR_EUSAGE, "%zu bytes are too many for a QR code", strlen(text));
	return ehr_fail(e, EHR_EFAIL, "cannot make a QR code: %s",
			errno ? strerror(errno) : "libqrencode failed");
}

/* The bitmap may spell a bearer key: wipe it. */
static void qr_free(QRcode *qr)
{
	if (!qr)
		return;
	sodium_memzero(qr->data, (size_t)qr->width * (size_t)qr->width);
	QRcode_free(qr);
}

/* Whether module (x, y) of the code with a quiet zone of q is dark. */
static int dark(const QRcode *qr, int q, int x, int y)
{
	x -= q;
	y -= q;
	if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
		return 0;
	return qr->data[(size_t)y * (size_t)qr->width + (size_t)x] & 1;
}

enum qr_term_style qr_term_style_plain(void)
{
	const char *s = getenv("COLORFGBG");
	const char *bg;
	char *end;
	long n;

	if (!s || !(bg = strrchr(s, ';')) || !*++bg)
		return QR_TERM_DARK_BLOCKS;
	n = strtol(bg, &end, 10);
	if (*end || n < 0)
		return QR_TERM_DARK_BLOCKS;
	return (n <= 6 || n == 8) ? QR_TERM_LIGHT_BLOCKS : QR_TERM_DARK_BLOCKS;
}

enum qr_term_style qr_term_style_for(bool color)
{
	return color ? QR_TERM_COLOR : qr_term_style_plain();
}

/* $COLUMNS, else the terminal's width, else 0 (no limit). */
static int output_width(int fd)
{
	const char *s = getenv("COLUMNS");
	struct winsize ws;

	if (s && *s) {
		char *end;
		long n;

		errno = 0;
		n = strtol(s, &end, 10);
		if (!*end && !errno && n > 0 && n < 100000)
			return (int)n;
	}
	if (fd >= 0 && isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}

int qr_terminal_columns(const char *text, int *columns, int *min_columns, ehr_err *e)
{
	QRcode *qr;
	int rc;

	if ((rc = qr_encode(text, &qr, e)))
		return rc;
	*columns = qr->width + 2 * QUIET;
	if (min_columns)
		*min_columns = qr->width + 2 * QUIET_TIGHT;
	qr_free(qr);
	return 0;
}

int qr_print_terminal(FILE *out, int width_fd, const char *text, enum qr_term_style style,
		      ehr_err *e)
{
	/* indexed by (top dark) | (bottom dark) << 1 with ink = dark */
	static const char *const cell[4] = { " ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88" };
	int width = output_width(width_fd);
	int ink_is_dark = style != QR_TERM_LIGHT_BLOCKS;
	QRcode *qr;
	int rc, q, n, x, y;

	if ((rc = qr_encode(text, &qr, e)))
		return rc;
	q = QUIET;
	if (width && qr->width + 2 * QUIET > width)
		q = QUIET_TIGHT;
	if (width && qr->width + 2 * q > width) {
		int need = qr->width + 2 * QUIET_TIGHT;

		qr_free(qr);
		return ehr_fail(e, EHR_EUSAGE,
				"the terminal is %d columns wide and the QR code needs at least %d: "
				"widen it, or write an image with --qr-png FILE or --qr-svg FILE",
				width, need);
	}
	n = qr->width + 2 * q;
	for (y = 0; y < n; y += 2) {
		if (style == QR_TERM_COLOR)
			fputs("\033[30;47m", out);
		for (x = 0; x < n; x++) {
			int top = dark(qr, q, x, y) == ink_is_dark;
			int bottom = (y + 1 < n ? dark(qr, q, x, y + 1) : 0) == ink_is_dark;

			fputs(cell[top | bottom << 1], out);
		}
		if (style == QR_TERM_COLOR)
			fputs("\033[0m", out);
		fputc('\n', out);
	}
	qr_free(qr);
	if (fflush(out) != 0 || ferror(out))
		return ehr_fail(e, EHR_EFAIL, "cannot write the QR code: %s", strerror(errno));
	return 0;
}

/* A buffer in sodium_malloc memory, of fixed size: what is written into it
 * spells the code, and the code may spell a key. */
struct membuf {
	uint8_t *p;
	size_t len, cap;
	int full;
};

static int membuf_init(struct membuf *b, size_t cap, ehr_err *e)
{
	b->len = 0;
	b->cap = cap;
	b->full = 0;
	if (!(b->p = sodium_malloc(cap)))
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	return 0;
}

static void membuf_put(struct membuf *b, const void *p, size_t n)
{
	if (b->full || n > b->cap - b->len) {
		b->full = 1;
		return;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
}

static void membuf_printf(struct membuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void membuf_printf(struct membuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf((char *)b->p + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->cap - b->len)
		b->full = 1;
	else
		b->len += (size_t)n;
}

/* libpng reports through these: a message into the ehr_err, then back to
 * the setjmp in png_encode. */
static void png_on_error(png_structp png, png_const_charp msg)
{
	ehr_fail(png_get_error_ptr(png), EHR_EFAIL, "cannot write the PNG: %s", msg);
	png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static void png_on_write(png_structp png, png_bytep data, png_size_t n)
{
	struct membuf *b = png_get_io_ptr(png);

	membuf_put(b, data, n);
	if (b->full)
		png_error(png, "image larger than expected");
}

static void png_on_flush(png_structp png)
{
	(void)png;
}

/* Everything after the setjmp, kept out of its function so no local of
 * that one changes between setjmp and longjmp. */
static void png_rows(png_structp png, png_infop info, const QRcode *qr, uint8_t *row,
		     uint32_t px)
{
	int n = qr->width + 2 * QUIET;
	uint32_t ppm = (uint32_t)(QR_PNG_SCALE * 1000.0 / QR_MODULE_MM + 0.5);
	int y, x, r;

	png_set_IHDR(png, info, px, px, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_set_pHYs(png, info, ppm, ppm, PNG_RESOLUTION_METER);
	png_write_info(png, info);
	for (y = 0; y < n; y++) {
		memset(row, 0, (px + 7) / 8);
		for (x = 0; x < (int)px; x++)
			if (!dark(qr, QUIET, x / QR_PNG_SCALE, y))	/* 1 is white */
				row[x / 8] |= (uint8_t)(0x80 >> (x % 8));
		for (r = 0; r < QR_PNG_SCALE; r++)
			png_write_row(png, row);
	}
	png_write_end(png, info);
}

static int png_encode(const QRcode *qr, struct membuf *b, ehr_err *e)
{
	uint32_t px = (uint32_t)(qr->width + 2 * QUIET) * QR_PNG_SCALE;
	size_t rowbytes = (px + 7) / 8;
	uint8_t *row = sodium_malloc(rowbytes);
	png_structp png = NULL;
	png_infop info = NULL;
	int rc = EHR_EFAIL;

	if (!row)
		return ehr_fail(e, EHR_EFAIL, "out of memory");
	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, e, png_on_error, png_on_warning);
	if (png)
		info = png_create_info_struct(png);
	if (!png || !info) {
		ehr_fail(e, EHR_EFAIL, "cannot write the PNG: out of memory");
		goto out;
	}
	if (setjmp(png_jmpbuf(png)))
		goto out;
	png_set_write_fn(png, b, png_on_write, png_on_flush);
	png_rows(png, info, qr, row, px);
	rc = 0;
out:
	png_destroy_write_struct(&png, &info);
	sodium_free(row);
	return rc;
}

int qr_write_png(const char *path, const char *text, ehr_err *e)
{
	struct membuf b;
	QRcode *qr;
	size_t raw;
	int rc;

	if ((rc = qr_encode(text, &qr, e)))
		return rc;
	/* the raw rows; deflate at worst adds a little, the chunks a few bytes */
	raw = (size_t)(qr->width + 2 * QUIET) * QR_PNG_SCALE;
	raw *= (raw + 7) / 8 + 1;
	if ((rc = membuf_init(&b, raw + raw / 8 + 4096, e))) {
		qr_free(qr);
		return rc;
	}
	rc = png_encode(qr, &b, e);
	qr_free(qr);
	if (!rc && (rc = file_write_atomic(path, b.p, b.len, 0600, true, e)))
		ehr_wrap(e, "%s", path);
	sodium_free(b.p);
	return rc;
}

/* The caption, escaped for XML, without control characters. */
static void svg_text(struct membuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '&')
			membuf_put(b, "&amp;", 5);
		else if (c == '<')
			membuf_put(b, "&lt;", 4);
		else if (c == '>')
			membuf_put(b, "&gt;", 4);
		else if (c < 0x20 || c == 0x7f)
			continue;
		else
			membuf_put(b, s, 1);
	}
}

/* Characters, not bytes: UTF-8 continuation bytes do not count. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80 && (unsigned char)*s >= 0x20;
	return n;
}

int qr_write_svg(const char *path, const char *text, const char *caption, ehr_err *e)
{
	struct membuf b;
	QRcode *qr;
	int n, h, x, y, rc;

	if ((rc = qr_encode(text, &qr, e)))
		return rc;
	if (caption && !utf8_chars(caption))
		caption = NULL;
	n = qr->width + 2 * QUIET;
	h = n + (caption ? 3 : 0);
	/* at most one run in two modules, each "M123 123h123v1h-123z" */
	rc = membuf_init(&b, (size_t)qr->width * (size_t)(qr->width + 1) / 2 * 24 +
			 (caption ? strlen(caption) * 6 : 0) + 1024, e);
	if (rc) {
		qr_free(qr);
		return rc;
	}
	membuf_printf(&b,
		      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		      "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
		      "width=\"%.1fmm\" height=\"%.1fmm\" viewBox=\"0 0 %d %d\">\n"
		      "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n"
		      "<path fill=\"#000\" shape-rendering=\"crispEdges\" d=\"",
		      n * QR_MODULE_MM, h * QR_MODULE_MM, n, h, n, h);
	for (y = QUIET; y < n - QUIET; y++) {
		for (x = QUIET; x < n - QUIET;) {
			int run;

			if (!dark(qr, QUIET, x, y)) {
				x++;
				continue;
			}
			for (run = 1; dark(qr, QUIET, x + run, y); run++)
				;
			membuf_printf(&b, "M%d %dh%dv1h-%dz", x, y, run, run);
			x += run;
		}
	}
	membuf_printf(&b, "\"/>\n");
	qr_free(qr);
	if (caption) {
		/* about 0.55 em a character in a sans-serif face */
		double size = (n - 2) / (0.55 * (double)utf8_chars(caption));

		if (size > 2)
			size = 2;
		membuf_printf(&b,
			      "<text x=\"%.1f\" y=\"%d\" font-family=\"sans-serif\" font-size=\"%.2f\" "
			      "text-anchor=\"middle\" fill=\"#000\">",
			      n / 2.0, n + 2, size);
		svg_text(&b, caption);
		membuf_printf(&b, "</text>\n");
	}
	membuf_printf(&b, "</svg>\n");
	if (b.full)
		rc = ehr_fail(e, EHR_EFAIL, "cannot write the SVG: image larger than expected");
	else if ((rc = file_write_atomic(path, b.p, b.len, 0600, true, e)))
		ehr_wrap(e, "%s", path);
	sodium_free(b.p);
	return rc;
}
