/* QR codes, read back with a real reader: zbarimg (zbar-tools) scans the
 * PNG, the SVG rendered by rsvg-convert (librsvg2-bin), and the terminal
 * drawing turned back into a bitmap here, cell by cell; each must give the
 * exact text. Also: the styles, the quiet zone, the width refusal with
 * $COLUMNS and with a pty, modes 0600, and the refusals of empty and
 * oversized texts. Without zbarimg or rsvg-convert the scans are skipped
 * (make deps installs both) and the rest runs. And ehr's own reader
 * (wallet/base/qr_image: access --qr-image) reads every PNG back; it finds
 * the code drawn on a transparent ground, and refuses a file that is no
 * PNG, an image without a code, one with two and one too large. */
#include "tap.h"

#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <png.h>
#include <qrencode.h>
#include <sodium.h>

#include "cli/qr.h"
#include "wallet/base/qr_image.h"
#include "wallet/registry/grant_uri.h"

static char dir[] = "/tmp/ehr-test-qr-XXXXXX";
static int have_zbar, have_rsvg;

static const char *tmp(const char *name)
{
	static char buf[8][256];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static int have(const char *tool)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* What zbarimg reads in path (its raw bytes, the one trailing newline
 * removed), or NULL when it finds nothing. Caller frees. */
static char *scan(const char *path)
{
	char cmd[512], *out = malloc(8192);
	size_t n;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "zbarimg -q --raw -- '%s' 2>/dev/null", path);
	if (!out || !(p = popen(cmd, "r"))) {
		free(out);
		return NULL;
	}
	n = fread(out, 1, 8191, p);
	if (pclose(p) != 0 || n == 0) {
		free(out);
		return NULL;
	}
	out[n] = '\0';
	if (out[n - 1] == '\n')
		out[n - 1] = '\0';
	return out;
}

static void check_scan(const char *path, const char *want, const char *what)
{
	char *got;

	if (!have_zbar)
		return;
	got = scan(path);
	CHECK(got && strcmp(got, want) == 0, "%s: zbarimg read '%s', want '%s'", what,
	      got ? got : "(nothing)", want);
	free(got);
}

static void check_mode(const char *path, const char *what)
{
	struct stat st;

	CHECK(stat(path, &st) == 0 && (st.st_mode & 07777) == 0600, "%s: mode %o", what,
	      (unsigned)(st.st_mode & 07777));
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);
	size_t n = 0;

	if (f && buf)
		n = fread(buf, 1, (1 << 20) - 1, f);
	if (f)
		fclose(f);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

static int code_width(const char *text)
{
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	int w = qr ? qr->width : -1;

	QRcode_free(qr);
	return w;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ehr's own reader gives the text back. */
static void check_read(const char *path, const char *want, const char *what)
{
	char *got = NULL;
	size_t len = 0;
	ehr_err e;

	CHECK(qr_image_read(path, 4096, &got, &len, &e) == 0, "%s: read back: %s", what, e.msg);
	CHECK(got && len == strlen(want) && !strcmp(got, want), "%s: ehr reads the text back", what);
	sodium_free(got);
}

static void test_png(const char *text, const char *what)
{
	const char *path = tmp("code.png");
	uint32_t px = (uint32_t)(code_width(text) + 8) * QR_PNG_SCALE;
	uint8_t *p;
	size_t len;
	ehr_err e;

	unlink(path);
	CHECK(qr_write_png(path, text, &e) == 0, "%s: %s", what, e.msg);
	check_mode(path, what);
	p = (uint8_t *)slurp(path, &len);
	CHECK(len > 33 && memcmp(p, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16) == 0, "%s: a PNG", what);
	if (len > 33) {
		CHECK(be32(p + 16) == px && be32(p + 20) == px, "%s: %ux%u pixels, want %u", what,
		      be32(p + 16), be32(p + 20), px);
		CHECK(p[24] == 1 && p[25] == 0, "%s: 1-bit greyscale (depth %d, type %d)", what,
		      p[24], p[25]);
		CHECK(memmem(p, len, "pHYs", 4) != NULL, "%s: pHYs for printing", what);
	}
	free(p);
	check_scan(path, text, what);
	check_read(path, text, what);
}

static void test_svg(const char *text, const char *caption, const char *what)
{
	const char *path = tmp("code.svg"), *png = tmp("svg.png");
	char cmd[1024], *s, *p;
	size_t len;
	ehr_err e;
	int paths = 0;

	unlink(path);
	CHECK(qr_write_svg(path, text, caption, &e) == 0, "%s: %s", what, e.msg);
	check_mode(path, what);
	s = slurp(path, &len);
	CHECK(strstr(s, "viewBox=\"0 0 ") && strstr(s, "crispEdges") &&
	      strstr(s, "<rect width=") && strstr(s, "fill=\"#fff\""), "%s: svg parts", what);
	for (p = s; (p = strstr(p, "<path")); p++)
		paths++;
	CHECK(paths == 1, "%s: one path, got %d", what, paths);
	CHECK(!caption == !strstr(s, "<text"), "%s: a caption exactly when given", what);
	if (have_rsvg && have_zbar) {
		snprintf(cmd, sizeof(cmd), "rsvg-convert -w 640 -b white -f png -o '%s' '%s'", png, path);
		CHECK(system(cmd) == 0, "%s: rsvg-convert", what);
		check_scan(png, text, what);
	}
	free(s);
}

/* Reads a terminal drawing back into modules (1 dark), undoing the style;
 * returns the side in modules (rows are 2 a line; the last half row is
 * cut when the side is odd) or -1 when the text is not a drawing. */
static int untype(const char *txt, enum qr_term_style style, uint8_t *mod, int cap)
{
	int cols = -1, x = 0, y = 0, side;
	const char *p = txt;

	while (*p) {
		int top, bot;

		if (style == QR_TERM_COLOR && !strncmp(p, "\033[30;47m", 8) && x == 0) {
			p += 8;
			continue;
		}
		if (style == QR_TERM_COLOR && !strncmp(p, "\033[0m\n", 5)) {
			p += 4;
			continue;
		}
		if (*p == '\n') {
			if (cols < 0)
				cols = x;
			if (x != cols)
				return -1;
			x = 0;
			y += 2;
			p++;
			continue;
		}
		if (*p == ' ') {
			top = bot = 0;
			p++;
		} else if (!strncmp(p, "\xe2\x96\x80", 3)) {
			top = 1, bot = 0;
			p += 3;
		} else if (!strncmp(p, "\xe2\x96\x84", 3)) {
			top = 0, bot = 1;
			p += 3;
		} else if (!strncmp(p, "\xe2\x96\x88", 3)) {
			top = bot = 1;
			p += 3;
		} else {
			return -1;
		}
		if (x >= cap || y + 1 >= cap)
			return -1;
		if (style == QR_TERM_LIGHT_BLOCKS)
			top = !top, bot = !bot;
		mod[y * cap + x] = (uint8_t)top;
		mod[(y + 1) * cap + x] = (uint8_t)bot;
		x++;
	}
	if (cols < 0 || x != 0)
		return -1;
	side = cols;
	if (y != side + (side & 1))
		return -1;
	return side;
}

/* A PGM of the modules, 8 pixels each (zbarimg reads it through ImageMagick). */
static void write_pgm(const char *path, const uint8_t *mod, int side, int cap)
{
	FILE *f = fopen(path, "wb");
	int x, y, r;

	fprintf(f, "P5\n%d %d\n255\n", side * 8, side * 8);
	for (y = 0; y < side; y++)
		for (r = 0; r < 8; r++)
			for (x = 0; x < side * 8; x++)
				fputc(mod[y * cap + x / 8] ? 0 : 255, f);
	fclose(f);
}

/* The width of the ring of light modules round the drawing. */
static int quiet_border(const uint8_t *mod, int side, int cap)
{
	int q, x;

	for (q = 0; q < side / 2; q++)
		for (x = 0; x < side; x++)
			if (mod[q * cap + x] || mod[x * cap + q] || mod[(side - 1 - q) * cap + x] ||
			    mod[x * cap + side - 1 - q])
				return q;
	return side;
}

/* Draws text in style to a file (not a terminal), reads it back, checks
 * the shape and scans it. Returns the quiet zone found. */
static int test_terminal(const char *text, enum qr_term_style style, const char *what)
{
	enum { CAP = 200 };
	const char *path = tmp("term.txt"), *pgm = tmp("term.pgm");
	uint8_t *mod = calloc(CAP * CAP, 1);
	FILE *f = fopen(path, "w");
	int side, quiet = -1, w = code_width(text);
	char *s;
	ehr_err e;

	CHECK(qr_print_terminal(f, fileno(f), text, style, &e) == 0, "%s: %s", what, e.msg);
	fclose(f);
	s = slurp(path, NULL);
	CHECK(!strchr(s, '\033') == (style != QR_TERM_COLOR), "%s: escapes only in colour", what);
	side = untype(s, style, mod, CAP);
	CHECK(side > 0, "%s: not a drawing", what);
	if (side > 0) {
		quiet = quiet_border(mod, side, CAP);
		CHECK(side == w + 2 * quiet, "%s: side %d, code %d, quiet %d", what, side, w, quiet);
		write_pgm(pgm, mod, side, CAP);
		check_scan(pgm, text, what);
	}
	free(s);
	free(mod);
	return quiet;
}

static void test_terminal_styles(const char *text, const char *what)
{
	char name[128];

	unsetenv("COLUMNS");
	snprintf(name, sizeof(name), "%s: terminal colour", what);
	CHECK(test_terminal(text, QR_TERM_COLOR, name) == 4, "%s: quiet zone 4", name);
	snprintf(name, sizeof(name), "%s: terminal dark blocks", what);
	CHECK(test_terminal(text, QR_TERM_DARK_BLOCKS, name) == 4, "%s: quiet zone 4", name);
	snprintf(name, sizeof(name), "%s: terminal light blocks", what);
	CHECK(test_terminal(text, QR_TERM_LIGHT_BLOCKS, name) == 4, "%s: quiet zone 4", name);
}

/* The colour drawing: every line black on white, reset before its end. */
static void test_colour_lines(const char *text)
{
	const char *path = tmp("colour.txt");
	FILE *f = fopen(path, "w");
	char *s, *line, *save = NULL;
	int lines = 0, good = 1;
	ehr_err e;

	unsetenv("COLUMNS");
	CHECK(qr_print_terminal(f, -1, text, QR_TERM_COLOR, &e) == 0, "%s", e.msg);
	fclose(f);
	s = slurp(path, NULL);
	for (line = strtok_r(s, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(line);

		lines++;
		good &= !strncmp(line, "\033[30;47m", 8) && n > 4 && !strcmp(line + n - 4, "\033[0m");
	}
	CHECK(good && lines == (code_width(text) + 8 + 1) / 2, "colour lines (%d)", lines);
	free(s);
}

/* Returns the status; *out_len what was written. */
static int print_with_columns(const char *columns, int fd, const char *text, size_t *out_len,
			      ehr_err *e)
{
	const char *path = tmp("narrow.txt");
	FILE *f = fopen(path, "w");
	struct stat st;
	int rc;

	if (columns)
		setenv("COLUMNS", columns, 1);
	else
		unsetenv("COLUMNS");
	rc = qr_print_terminal(f, fd >= 0 ? fd : fileno(f), text, QR_TERM_DARK_BLOCKS, e);
	fclose(f);
	stat(path, &st);
	*out_len = (size_t)st.st_size;
	unsetenv("COLUMNS");
	return rc;
}

static void test_width(const char *text)
{
	int w = code_width(text), cols, min_cols, rc, quiet;
	char buf[32];
	size_t len;
	ehr_err e;

	CHECK(qr_terminal_columns(text, &cols, &min_cols, &e) == 0, "%s", e.msg);
	CHECK(cols == w + 8 && min_cols == w + 4, "columns %d/%d for a code of %d", cols, min_cols, w);

	rc = print_with_columns("20", -1, text, &len, &e);
	CHECK(rc == EHR_EUSAGE && len == 0, "COLUMNS=20 refused (%d), nothing written (%zu)", rc, len);
	snprintf(buf, sizeof(buf), "needs at least %d", w + 4);
	CHECK(strstr(e.msg, "20 columns") && strstr(e.msg, buf) && strstr(e.msg, "--qr-png"),
	      "message: %s", e.msg);

	snprintf(buf, sizeof(buf), "%d", w + 3);
	rc = print_with_columns(buf, -1, text, &len, &e);
	CHECK(rc == EHR_EUSAGE && len == 0, "one column short of the tight fit: %d", rc);

	/* one column short of the full quiet zone: a zone of 2, which scans */
	snprintf(buf, sizeof(buf), "%d", w + 7);
	setenv("COLUMNS", buf, 1);
	quiet = test_terminal(text, QR_TERM_DARK_BLOCKS, "tight terminal");
	CHECK(quiet == 2, "quiet zone 2 when 4 does not fit, got %d", quiet);
	snprintf(buf, sizeof(buf), "%d", w + 4);
	setenv("COLUMNS", buf, 1);
	CHECK(test_terminal(text, QR_TERM_COLOR, "tightest terminal") == 2, "exactly the tight fit");
	snprintf(buf, sizeof(buf), "%d", w + 8);
	setenv("COLUMNS", buf, 1);
	CHECK(test_terminal(text, QR_TERM_COLOR, "exact terminal") == 4, "exactly the full fit");
	unsetenv("COLUMNS");

	/* nonsense in $COLUMNS is ignored (a file has no width) */
	rc = print_with_columns("wide", -1, text, &len, &e);
	CHECK(rc == 0 && len > 0, "COLUMNS=wide ignored: %d", rc);
	rc = print_with_columns("0", -1, text, &len, &e);
	CHECK(rc == 0 && len > 0, "COLUMNS=0 ignored: %d", rc);
}

static void test_pty(const char *text)
{
	struct winsize ws = { .ws_row = 50, .ws_col = 30 };
	int master = posix_openpt(O_RDWR | O_NOCTTY), slave = -1, rc;
	size_t len;
	ehr_err e;

	if (master < 0 || grantpt(master) || unlockpt(master) ||
	    (slave = open(ptsname(master), O_RDWR | O_NOCTTY)) < 0) {
		printf("skip: no pty\n");
		if (master >= 0)
			close(master);
		return;
	}
	CHECK(ioctl(slave, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ");
	rc = print_with_columns(NULL, slave, text, &len, &e);
	CHECK(rc == EHR_EUSAGE && len == 0 && strstr(e.msg, "30 columns"),
	      "a 30-column pty refused: %d %s", rc, e.msg);
	ws.ws_col = 200;
	CHECK(ioctl(slave, TIOCSWINSZ, &ws) == 0, "TIOCSWINSZ");
	rc = print_with_columns(NULL, slave, text, &len, &e);
	CHECK(rc == 0 && len > 0, "a 200-column pty: %d", rc);
	/* $COLUMNS, when set, is the user's word over the terminal's */
	rc = print_with_columns("25", slave, text, &len, &e);
	CHECK(rc == EHR_EUSAGE && strstr(e.msg, "25 columns"), "COLUMNS over the pty: %s", e.msg);
	close(slave);
	close(master);
}

static void test_styles(void)
{
	static const struct { const char *v; enum qr_term_style want; } cases[] = {
		{ "15;0", QR_TERM_LIGHT_BLOCKS },
		{ "7;8", QR_TERM_LIGHT_BLOCKS },
		{ "15;default;0", QR_TERM_LIGHT_BLOCKS },
		{ "0;15", QR_TERM_DARK_BLOCKS },
		{ "0;7", QR_TERM_DARK_BLOCKS },
		{ "default;default", QR_TERM_DARK_BLOCKS },
		{ "", QR_TERM_DARK_BLOCKS },
		{ "15;", QR_TERM_DARK_BLOCKS },
		{ "0;-1", QR_TERM_DARK_BLOCKS },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		setenv("COLORFGBG", cases[i].v, 1);
		CHECK(qr_term_style_plain() == cases[i].want, "COLORFGBG=%s", cases[i].v);
		CHECK(qr_term_style_for(true) == QR_TERM_COLOR, "colour wins");
		CHECK(qr_term_style_for(false) == cases[i].want, "plain: COLORFGBG=%s", cases[i].v);
	}
	unsetenv("COLORFGBG");
	CHECK(qr_term_style_plain() == QR_TERM_DARK_BLOCKS, "unset: dark blocks");
}

static void test_refusals(void)
{
	char *huge = malloc(3001);
	int cols, min_cols;
	ehr_err e;
	FILE *f = fopen(tmp("refused.txt"), "w");

	memset(huge, 'x', 3000);
	huge[3000] = '\0';
	CHECK(qr_write_png(tmp("empty.png"), "", &e) == EHR_EUSAGE, "empty png");
	CHECK(qr_write_svg(tmp("empty.svg"), "", NULL, &e) == EHR_EUSAGE, "empty svg");
	CHECK(qr_print_terminal(f, -1, "", QR_TERM_COLOR, &e) == EHR_EUSAGE, "empty terminal");
	CHECK(qr_print_terminal(f, -1, NULL, QR_TERM_COLOR, &e) == EHR_EUSAGE, "null terminal");
	CHECK(qr_write_png(tmp("huge.png"), huge, &e) == EHR_EUSAGE, "3000 bytes png: %s", e.msg);
	CHECK(strstr(e.msg, "too many") != NULL, "message: %s", e.msg);
	CHECK(qr_write_svg(tmp("huge.svg"), huge, NULL, &e) == EHR_EUSAGE, "3000 bytes svg");
	CHECK(qr_terminal_columns(huge, &cols, &min_cols, &e) == EHR_EUSAGE, "3000 bytes columns");
	CHECK(access(tmp("empty.png"), F_OK) != 0 && access(tmp("huge.svg"), F_OK) != 0,
	      "nothing written");
	CHECK(qr_write_png("/nonexistent-dir/x.png", "hello", &e) != 0 &&
	      strstr(e.msg, "/nonexistent-dir/x.png"), "unwritable path: %s", e.msg);
	fclose(f);
	free(huge);
}

/* An existing file is replaced, and ends 0600 whatever it was. */
static void test_replace(const char *text)
{
	const char *path = tmp("old.png");
	FILE *f = fopen(path, "w");
	ehr_err e;

	fputs("old", f);
	fclose(f);
	chmod(path, 0644);
	CHECK(qr_write_png(path, text, &e) == 0, "%s", e.msg);
	check_mode(path, "replaced png");
	check_scan(path, text, "replaced png");
}

/* The caption escaped, its control characters dropped, and still a
 * valid SVG (rsvg-convert reads it). */
static void test_caption(const char *text)
{
	const char *path = tmp("caption.svg");
	char *s;
	ehr_err e;

	CHECK(qr_write_svg(path, text, "grant 7 \xc2\xb7 <Dr. A & B> \"x\"\x01\n", &e) == 0, "%s", e.msg);
	s = slurp(path, NULL);
	CHECK(strstr(s, ">grant 7 \xc2\xb7 &lt;Dr. A &amp; B&gt; \"x\"</text>") != NULL,
	      "escaped caption in:\n%s", strstr(s, "<text") ? strstr(s, "<text") : s);
	free(s);
	test_svg(text, "grant 7 \xc2\xb7 <Dr. A & B>", "escaped caption");
	test_svg(text, "a very long caption that would run far past the edges of the code if it "
		 "kept its size: it must shrink", "long caption");
	CHECK(qr_write_svg(path, text, "\x01\x02", &e) == 0, "%s", e.msg);
	s = slurp(path, NULL);
	CHECK(!strstr(s, "<text"), "a caption of control characters is none");
	free(s);
}

/* The gray pixels of a PNG (libpng's simplified API); malloc'd. */
static uint8_t *gray_of(const char *path, unsigned *w, unsigned *h)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *px;

	if (!png_image_begin_read_from_file(&img, path))
		return NULL;
	img.format = PNG_FORMAT_GRAY;
	px = malloc(PNG_IMAGE_SIZE(img));
	if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		free(px);
		png_image_free(&img);
		return NULL;
	}
	*w = img.width;
	*h = img.height;
	return px;
}

static int write_image(const char *path, const void *px, unsigned w, unsigned h, png_uint_32 format)
{
	png_image img = { .version = PNG_IMAGE_VERSION, .width = w, .height = h, .format = format };

	return png_image_write_to_file(&img, path, 0, px, 0, NULL) ? 0 : -1;
}

/* What access --qr-image must refuse (EHR_EUSAGE, a message naming the
 * file), and a code on a transparent ground it must read. */
static void test_image_read(const char *text)
{
	const char *one = tmp("one.png"), *two = tmp("two.png"), *blank = tmp("blank.png");
	const char *alpha = tmp("alpha.png"), *notpng = tmp("not.png"), *wide = tmp("wide.png");
	uint8_t *px, *px2, *ga;
	unsigned w = 0, h = 0, x, y;
	char *got = NULL;
	size_t len;
	ehr_err e;
	FILE *f;

	CHECK(qr_write_png(one, text, &e) == 0, "%s", e.msg);
	if (!(px = gray_of(one, &w, &h))) {
		CHECK(0, "libpng reads the code back");
		return;
	}
	/* two codes side by side */
	px2 = malloc((size_t)w * 2 * h);
	for (y = 0; y < h; y++) {
		memcpy(px2 + (size_t)y * 2 * w, px + (size_t)y * w, w);
		memcpy(px2 + (size_t)y * 2 * w + w, px + (size_t)y * w, w);
	}
	CHECK(write_image(two, px2, 2 * w, h, PNG_FORMAT_GRAY) == 0, "two codes written");
	CHECK(qr_image_read(two, 4096, &got, &len, &e) == EHR_EUSAGE && !got &&
	      strstr(e.msg, "holds 2 QR codes") && strstr(e.msg, two), "two codes refused: %s", e.msg);
	/* a blank page */
	memset(px2, 0xff, (size_t)w * h);
	CHECK(write_image(blank, px2, w, h, PNG_FORMAT_GRAY) == 0, "blank written");
	CHECK(qr_image_read(blank, 4096, &got, &len, &e) == EHR_EUSAGE && !got &&
	      strstr(e.msg, "no QR code found in"), "a blank image refused: %s", e.msg);
	/* dark modules on a transparent ground: transparency is white */
	ga = malloc((size_t)w * h * 2);
	for (x = 0; x < w * h; x++) {
		ga[2 * x] = 0;
		ga[2 * x + 1] = px[x] < 128 ? 255 : 0;
	}
	CHECK(write_image(alpha, ga, w, h, PNG_FORMAT_GA) == 0, "transparent written");
	check_read(alpha, text, "dark on transparent");
	/* text that only looks like an image */
	if ((f = fopen(notpng, "w"))) {
		fputs("ehr://grant/1/0x0000000000000000000000000000000000000000/1\n", f);
		fclose(f);
	}
	CHECK(qr_image_read(notpng, 4096, &got, &len, &e) == EHR_EUSAGE && !got &&
	      strstr(e.msg, "is not a PNG image"), "a text file refused: %s", e.msg);
	/* more pixels than a QR code needs */
	free(px2);
	px2 = calloc((size_t)5000 * 4000, 1);
	CHECK(write_image(wide, px2, 5000, 4000, PNG_FORMAT_GRAY) == 0, "a large image written");
	CHECK(qr_image_read(wide, 4096, &got, &len, &e) == EHR_EUSAGE && !got &&
	      strstr(e.msg, "5000x4000 pixels"), "too many pixels refused: %s", e.msg);
	/* a text longer than the caller takes */
	CHECK(qr_image_read(one, 10, &got, &len, &e) == EHR_EUSAGE && !got && strstr(e.msg, "too long"),
	      "longer than max refused: %s", e.msg);
	free(ga);
	free(px2);
	free(px);
}

static void cleanup(void)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
}

int main(void)
{
	grant_uri u = { .chain_id = 31337, .grant_id = 7, .has_key = 1 };
	uint8_t *key = NULL;
	char bearer[GRANT_URI_MAX], longest[GRANT_URI_MAX], plain[GRANT_URI_MAX];
	char big[601];
	ehr_err e;
	size_t i;

	if (sodium_init() < 0 || !mkdtemp(dir))
		return 1;
	have_zbar = have("zbarimg");
	have_rsvg = have("rsvg-convert");
	if (!have_zbar)
		printf("skip: zbarimg not found (make deps installs zbar-tools): no scans\n");
	if (!have_rsvg)
		printf("skip: rsvg-convert not found (make deps installs librsvg2-bin): no SVG scans\n");

	key = sodium_malloc(32);
	randombytes_buf(key, 32);
	randombytes_buf(u.registry, 20);
	CHECK(grant_uri_format(&u, key, bearer, sizeof(bearer), &e) == 0, "%s", e.msg);
	u.has_key = 0;
	CHECK(grant_uri_format(&u, NULL, plain, sizeof(plain), &e) == 0, "%s", e.msg);
	u.chain_id = u.grant_id = UINT64_MAX;
	u.has_key = u.needs_passcode = u.has_patient = 1;
	memset(u.patient, 0xab, sizeof(u.patient));
	CHECK(grant_uri_format(&u, key, longest, sizeof(longest), &e) == 0, "%s", e.msg);
	CHECK(strlen(bearer) == 108 && strlen(longest) == GRANT_URI_MAX - 1, "the URIs");
	/* a long text of every printable character: versions past 10 */
	for (i = 0; i < 600; i++)
		big[i] = (char)(' ' + (i * 7) % 95);
	big[600] = '\0';

	test_png(bearer, "bearer png");
	test_png(longest, "longest png");
	test_png(plain, "plain png");
	test_png(big, "600-byte png");
	test_svg(bearer, "grant 7 \xc2\xb7 expires 2026-11-22 14:30 UTC", "bearer svg");
	test_svg(longest, NULL, "longest svg");
	test_svg(big, NULL, "600-byte svg");
	test_terminal_styles(bearer, "bearer");
	test_terminal_styles(longest, "longest");
	test_terminal_styles(plain, "plain");
	test_terminal_styles(big, "600 bytes");
	test_colour_lines(bearer);
	test_width(bearer);
	test_pty(bearer);
	test_styles();
	test_refusals();
	test_replace(bearer);
	test_caption(bearer);
	test_image_read(bearer);

	sodium_free(key);
	cleanup();
	return tap_done();
}
