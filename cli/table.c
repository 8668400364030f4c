#include "cli/table.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define SHORTEN_FLOOR 13  /* "0x1234...abcd": still tells two hashes apart */
#define WRAP_FLOOR 12

struct table {
	const struct table_col *cols;
	size_t ncols, nrows, cap;
	char **cells;           /* nrows * ncols */
};

/* Display columns of the first len bytes of s. */
static size_t columns_of(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len && s[i]; i++)
		n += ((unsigned char)s[i] & 0xc0) != 0x80;
	return n;
}

size_t text_columns(const char *s)
{
	return columns_of(s, (size_t)-1);
}

/* Byte offset of code point n of s (or its end). */
static size_t offset_of(const char *s, size_t n)
{
	size_t i = 0;

	for (; s[i]; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80 && n-- == 0)
			return i;
	return i;
}

struct table *table_new(const struct table_col *cols, size_t ncols)
{
	struct table *t = calloc(1, sizeof(*t));

	if (t) {
		t->cols = cols;
		t->ncols = ncols;
	}
	return t;
}

int table_add(struct table *t, const char *const *cells)
{
	size_t c;

	if (t->nrows == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 16;
		char **p = realloc(t->cells, cap * t->ncols * sizeof(*p));

		if (!p)
			return -1;
		t->cells = p;
		t->cap = cap;
	}
	for (c = 0; c < t->ncols; c++) {
		char **slot = &t->cells[t->nrows * t->ncols + c];

		if (!(*slot = strdup(cells[c] ? cells[c] : ""))) {
			while (c--)
				free(t->cells[t->nrows * t->ncols + c]);
			return -1;
		}
	}
	t->nrows++;
	return 0;
}

size_t table_rows(const struct table *t)
{
	return t->nrows;
}

void table_free(struct table *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}

static const char *sep_of(const struct table *t, size_t c)
{
	return t->cols[c].sep ? t->cols[c].sep : c ? "  " : "";
}

static void natural_widths(const struct table *t, unsigned *w)
{
	size_t r, c;

	for (c = 0; c < t->ncols; c++) {
		size_t m = text_columns(t->cols[c].head);

		for (r = 0; r < t->nrows; r++) {
			size_t n = text_columns(t->cells[r * t->ncols + c]);

			if (n > m)
				m = n;
		}
		if (m < t->cols[c].min)
			m = t->cols[c].min;
		if (t->cols[c].cap && m > t->cols[c].cap)
			m = t->cols[c].cap;
		w[c] = (unsigned)m;
	}
}

/* Narrows the SHORTEN columns, then the WRAP columns (widest first), one
 * column at a time, until the table fits width or nothing can give. */
static void fit_widths(const struct table *t, unsigned *w, unsigned width)
{
	size_t total = 0, c;
	enum table_fit pass;

	for (c = 0; c < t->ncols; c++)
		total += w[c] + strlen(sep_of(t, c));
	for (pass = TABLE_SHORTEN; total > width; pass = TABLE_WRAP) {
		while (total > width) {
			size_t best = t->ncols;
			unsigned floor = pass == TABLE_SHORTEN ? SHORTEN_FLOOR : WRAP_FLOOR;

			for (c = 0; c < t->ncols; c++)
				if (t->cols[c].fit == pass && w[c] > floor && (best == t->ncols || w[c] > w[best]))
					best = c;
			if (best == t->ncols)
				break;
			w[best]--;
			total--;
		}
		if (pass == TABLE_WRAP)
			break;
	}
}

/* The next line of at most w columns of a wrapped cell, from *s: its
 * length in bytes in *len; *s advances past it and the spaces after. */
static void wrap_next(const char **s, unsigned w, size_t *len)
{
	const char *p = *s;
	size_t cut = offset_of(p, w), end;

	if (!p[cut]) {
		end = cut;
	} else {
		for (end = cut; end > 0 && p[end] != ' '; end--)
			;
		if (end == 0)  /* a word longer than the column: split it */
			end = cut;
	}
	*len = end;
	for (p += end; *p == ' '; p++)
		;
	*s = p;
}

/* The first len bytes of s, padded to w columns (cells of any length are
 * written whole: piped output never cuts a value). */
static void put_padded(FILE *f, const char *s, size_t len, unsigned w, int right, int last)
{
	size_t cols = columns_of(s, len);

	if (right)
		fprintf(f, "%*s", cols < w ? (int)(w - cols) : 0, "");
	fwrite(s, 1, len, f);
	if (!right && !last)
		fprintf(f, "%*s", cols < w ? (int)(w - cols) : 0, "");
}

static void put_shortened(FILE *f, const char *s, unsigned w, int last)
{
	size_t n = text_columns(s), head, tail;

	if (n <= w || w < 5) {
		put_padded(f, s, strlen(s), w, 0, last);
		return;
	}
	head = (w - 3 + 1) / 2;
	tail = (w - 3) / 2;
	fwrite(s, 1, offset_of(s, head), f);
	fputs("...", f);
	fputs(s + offset_of(s, n - tail), f);
}

/* Prints one table row, continuation lines included, when a width is set. */
static void print_row(const struct table *t, FILE *f, const char *const *cells, const unsigned *w,
		      int fitted)
{
	const char *rest[32];
	size_t c, nc = t->ncols < 32 ? t->ncols : 32;
	int more = 1, first = 1;

	for (c = 0; c < nc; c++)
		rest[c] = cells[c];
	while (more) {
		more = 0;
		for (c = 0; c < nc; c++) {
			const struct table_col *col = &t->cols[c];
			int last = c + 1 == nc;
			size_t len;

			fputs(sep_of(t, c), f);
			if (!fitted || col->fit == TABLE_KEEP || text_columns(rest[c]) <= w[c]) {
				put_padded(f, rest[c], strlen(rest[c]), w[c], col->right, last);
				rest[c] += strlen(rest[c]);
			} else if (col->fit == TABLE_SHORTEN) {
				put_shortened(f, first ? rest[c] : "", w[c], last);
				rest[c] += strlen(rest[c]);
			} else {
				const char *line = rest[c];

				wrap_next(&rest[c], w[c], &len);
				put_padded(f, line, len, w[c], col->right, last);
			}
			more |= *rest[c] != 0;
		}
		fputc('\n', f);
		first = 0;
	}
}

void table_print(const struct table *t, FILE *f, unsigned width)
{
	unsigned *w = calloc(t->ncols ? t->ncols : 1, sizeof(*w));
	const char *heads[32];
	size_t c, r;

	if (!w)
		return;
	natural_widths(t, w);
	if (width)
		fit_widths(t, w, width);
	for (c = 0; c < t->ncols && c < 32; c++)
		heads[c] = t->cols[c].head;
	print_row(t, f, heads, w, 0);
	for (r = 0; r < t->nrows; r++)
		print_row(t, f, (const char *const *)&t->cells[r * t->ncols], w, width != 0);
	free(w);
}

unsigned table_width_for(FILE *f, int wide)
{
	struct winsize ws;
	const char *env;
	long n;

	if (wide || !isatty(fileno(f)))
		return 0;
	if ((env = getenv("COLUMNS")) && (n = strtol(env, NULL, 10)) > 0 && n < 100000)
		return (unsigned)n;
	if (!ioctl(fileno(f), TIOCGWINSZ, &ws) && ws.ws_col > 0)
		return ws.ws_col;
	return 0;
}
