/* cli/table.c: plain tables for pipes, fitted tables for terminals. */
#include "tap.h"
#include "cli/table.h"

static const struct table_col cols[] = {
	{ "ID", 0, 0, TABLE_KEEP, 1, NULL },
	{ "HASH", 0, 0, TABLE_SHORTEN, 0, NULL },
	{ "TITLE", 0, 0, TABLE_WRAP, 0, NULL },
};

static char *render(struct table *t, unsigned width)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	table_print(t, f, width);
	fclose(f);
	return buf;
}

static size_t widest_line(const char *s)
{
	size_t w = 0;

	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);
		char line[1024];

		memcpy(line, s, n < sizeof(line) - 1 ? n : sizeof(line) - 1);
		line[n < sizeof(line) - 1 ? n : sizeof(line) - 1] = 0;
		if (text_columns(line) > w)
			w = text_columns(line);
		s += n + (nl != NULL);
	}
	return w;
}

static int count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static struct table *sample(void)
{
	struct table *t = table_new(cols, 3);
	const char *r1[] = { "7", "0x8f3a5c0d9e1b2a4f6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3",
			     "Blood panel from the lab of St. Mary's, fasting glucose and lipids" };
	const char *r2[] = { "12", "0x01", "Allergy: penicillin" };

	CHECK(t != NULL, "table_new");
	CHECK(table_add(t, r1) == 0 && table_add(t, r2) == 0, "table_add");
	CHECK(table_rows(t) == 2, "rows %zu", table_rows(t));
	return t;
}

static void test_plain(void)
{
	struct table *t = sample();
	char *out = render(t, 0);

	CHECK(count_lines(out) == 3, "header + 2 rows, got %d", count_lines(out));
	CHECK(strstr(out, "0x8f3a5c0d9e1b2a4f6c7d8e9f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3") != NULL,
	      "piped output keeps the whole hash");
	CHECK(strstr(out, "fasting glucose and lipids\n") != NULL, "whole title, no padding at line end");
	CHECK(strncmp(out, "ID  HASH", 8) == 0, "header padded to the widest cell: %.20s", out);
	CHECK(strstr(out, "\n 7  0x8f") != NULL, "ID right-aligned: %s", out);
	free(out);
	table_free(t);
}

static void test_fitted(void)
{
	struct table *t = sample();
	char *out = render(t, 60);

	CHECK(widest_line(out) <= 60, "fits 60 columns, widest %zu:\n%s", widest_line(out), out);
	CHECK(strstr(out, "...") != NULL, "the hash is shortened");
	CHECK(strstr(out, "0x8f3") != NULL && strstr(out, "1c2d3\n") == NULL && strstr(out, "...1c2d3") != NULL, "shortened hash keeps head and tail");
	CHECK(count_lines(out) > 3, "the long title wraps onto continuation lines");
	CHECK(strstr(out, "glucose") != NULL && strstr(out, "lipids") != NULL, "no word of the title lost");
	CHECK(strstr(out, "gluc\n") == NULL, "wrapped at spaces, not mid-word");
	free(out);
	out = render(t, 200);
	CHECK(count_lines(out) == 3 && strstr(out, "...") == NULL, "a wide terminal changes nothing");
	free(out);
	table_free(t);
}

static void test_keep_and_utf8(void)
{
	static const struct table_col two[] = {
		{ "WHEN", 0, 0, TABLE_KEEP, 0, NULL },
		{ "NAME", 0, 0, TABLE_WRAP, 0, " | " },
	};
	struct table *t = table_new(two, 2);
	const char *r[] = { "2026-12-05 22:41:30", "Zoë Ångström Müller Øre" };
	char *out;

	table_add(t, r);
	out = render(t, 10);
	CHECK(strstr(out, "2026-12-05 22:41:30") != NULL, "KEEP columns are never cut even when nothing fits");
	CHECK(strstr(out, " | ") != NULL, "custom separator printed");
	free(out);
	CHECK(text_columns("Zoë") == 3, "one column per code point");
	table_free(t);
}

/* Piped output never cuts a value, however long (a history can hold a
 * grant over thousands of records). */
static void test_long_cell(void)
{
	static const struct table_col one[] = {
		{ "N", 0, 0, TABLE_KEEP, 0, NULL },
		{ "WHAT", 0, 72, TABLE_WRAP, 0, NULL },
		{ "TX", 0, 0, TABLE_SHORTEN, 0, NULL },
	};
	struct table *t = table_new(one, 3);
	char *what = malloc(9001), *out;
	const char *r[3] = { "1", what, "0xabc" };
	size_t i;

	for (i = 0; i < 9000; i++)
		what[i] = i % 10 == 9 ? ' ' : 'a' + (char)(i % 10);
	what[9000] = 0;
	table_add(t, r);
	out = render(t, 0);
	CHECK(strstr(out, what) != NULL, "a 9000-byte cell comes out whole when piped");
	CHECK(strstr(out, "N  WHAT") == out, "the header is padded to the cap: %.20s", out);
	free(out);
	out = render(t, 100);
	CHECK(widest_line(out) <= 100, "fitted to 100 columns, widest %zu", widest_line(out));
	CHECK(count_lines(out) > 100, "the long cell wraps onto many lines");
	free(out);
	free(what);
	table_free(t);
}

static void test_width_for(void)
{
	FILE *f = tmpfile();

	CHECK(table_width_for(f, 0) == 0, "a file is not a terminal: plain output");
	CHECK(table_width_for(f, 1) == 0, "--wide: plain output");
	fclose(f);
}

int main(void)
{
	test_plain();
	test_fitted();
	test_keep_and_utf8();
	test_long_cell();
	test_width_for();
	return tap_done();
}
