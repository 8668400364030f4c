/* Tables for people: columns padded to their widest cell and, on a terminal
 * narrower than the table, the long columns wrapped or shortened so every
 * line fits. Piped output (width 0) is the plain padded table, never cut,
 * so scripts see whole values. */
#ifndef EHR_TABLE_H
#define EHR_TABLE_H

#include <stddef.h>
#include <stdio.h>

enum table_fit {
	TABLE_KEEP,     /* never narrowed (ids, times, amounts) */
	TABLE_WRAP,     /* wrapped at spaces onto continuation lines (titles) */
	TABLE_SHORTEN   /* the middle replaced by "..." (hashes, addresses) */
};

struct table_col {
	const char *head;
	unsigned min;           /* pad to at least this many columns */
	unsigned cap;           /* pad to at most this many (0: no cap); longer cells overflow */
	enum table_fit fit;
	int right;              /* right-aligned */
	const char *sep;        /* printed before the column; NULL: two spaces (none before the first) */
};

struct table;

/* A table with ncols columns described by cols (kept by reference). NULL
 * when out of memory. */
struct table *table_new(const struct table_col *cols, size_t ncols);

/* Appends a row of ncols cells (copied; NULL prints as empty). Returns 0,
 * or -1 when out of memory. */
int table_add(struct table *t, const char *const *cells);

/* Number of rows added so far. */
size_t table_rows(const struct table *t);

/* Prints the header and every row to f. width 0 prints the plain table;
 * otherwise lines are kept within width columns as far as the KEEP
 * columns allow. */
void table_print(const struct table *t, FILE *f, unsigned width);

void table_free(struct table *t);

/* The width to fit output to: the terminal's columns when f is a terminal
 * (COLUMNS overrides the ioctl, for tests and odd terminals), 0 when f is
 * not a terminal or wide is set. */
unsigned table_width_for(FILE *f, int wide);

/* Display columns of a UTF-8 string: one per code point. */
size_t text_columns(const char *s);

#endif
