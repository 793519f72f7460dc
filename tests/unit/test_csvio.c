/*
 * test_csvio.c — CSV in (BOM, separator, quotes, where an error is) and
 * out (quoted only when needed, and read back unchanged).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "csvio.h"

struct read {
	struct csvio_table t;
	char err[256];
	int rc;
};

static void
read_text(struct read *r, const char *text, unsigned flags)
{
	memset(r, 0, sizeof(*r));
	r->rc = csvio_read(&r->t, text, strlen(text), flags, r->err,
	    sizeof(r->err));
}

static void
assert_row(const struct csvio_row *row, unsigned line, size_t n, ...)
{
	va_list ap;

	assert_int_equal(row->line, line);
	assert_int_equal(row->n_fields, n);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(row->fields[i], va_arg(ap, const char *));
	va_end(ap);
}

static void
assert_fails(const char *text, const char *want)
{
	struct read r;

	read_text(&r, text, CSVIO_COMMENTS);
	assert_int_equal(r.rc, -1);
	if (strstr(r.err, want) == NULL)
		fail_msg("error '%s' does not contain '%s'", r.err, want);
	assert_int_equal(r.t.n_rows, 0);
	assert_null(r.t.rows);
}

static void
plain_commas(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "id,name\r\nA1,Een\n\nB2 , Twee \n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.sep, ',');
	assert_false(r.t.bom);
	assert_int_equal(r.t.n_rows, 3);
	assert_row(&r.t.rows[0], 1, 2, "id", "name");
	assert_row(&r.t.rows[1], 2, 2, "A1", "Een");
	/* Line 3 is blank; spaces around an unquoted field go. */
	assert_row(&r.t.rows[2], 4, 2, "B2", "Twee");
	assert_int_equal(r.t.rows[2].columns[1], 5);
	csvio_free(&r.t);
}

static void
bom_and_semicolons(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "\xef\xbb\xbfid;name;beds\n"
	    "A1;\"Huis, de \"\"Haven\"\"\";women:4 minors:2\n"
	    "B1;Huis; Eén;x\n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.sep, ';');
	assert_true(r.t.bom);
	assert_int_equal(r.t.n_rows, 3);
	/* The BOM is not part of the first field. */
	assert_row(&r.t.rows[0], 1, 3, "id", "name", "beds");
	assert_row(&r.t.rows[1], 2, 3, "A1", "Huis, de \"Haven\"",
	    "women:4 minors:2");
	assert_row(&r.t.rows[2], 3, 4, "B1", "Huis", "Eén", "x");
	assert_string_equal(csvio_sep_name(r.t.sep), "semicolons (;)");
	csvio_free(&r.t);
}

/* The header decides: a ',' header with ';' in a quoted field stays ','. */
static void
separator_from_first_line(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "# c;o;m;m;e;n;t\n\"a;b;c\",d\ne;f,g\n", CSVIO_COMMENTS);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.sep, ',');
	assert_int_equal(r.t.n_rows, 2);
	assert_row(&r.t.rows[0], 2, 2, "a;b;c", "d");
	assert_row(&r.t.rows[1], 3, 2, "e;f", "g");
	csvio_free(&r.t);
}

static void
line_breaks_in_quotes(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "a,\"two\nlines\",b\nc,d,\"\"\n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.n_rows, 2);
	assert_row(&r.t.rows[0], 1, 3, "a", "two\nlines", "b");
	assert_int_equal(r.t.rows[0].lines[2], 2);
	assert_int_equal(r.t.rows[0].columns[2], 8);
	/* The next record's line counts the line break in the quotes. */
	assert_row(&r.t.rows[1], 3, 3, "c", "d", "");
	csvio_free(&r.t);
}

static void
comments_only_when_asked(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "#x,y\na,b\n", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.n_rows, 2);
	assert_row(&r.t.rows[0], 1, 2, "#x", "y");
	csvio_free(&r.t);
	read_text(&r, "#x,\"y\na,b", CSVIO_COMMENTS);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.n_rows, 1);
	/* No final line end: the record still ends, past its last field. */
	assert_row(&r.t.rows[0], 2, 2, "a", "b");
	assert_int_equal(r.t.rows[0].end_line, 2);
	assert_int_equal(r.t.rows[0].end_column, 4);
	csvio_free(&r.t);
}

static void
errors_name_line_and_column(void **state)
{
	(void)state;
	/* Columns count characters: "Eé" is two. */
	assert_fails("id,name\nA1,Eé \"x\"\n",
	    "line 2, column 7: a quote inside a field");
	assert_fails("id,name\nA1,\"x\" y\n",
	    "line 2, column 8: text after the closing quote");
	assert_fails("id,name\nA1,ok\nB1,\"never\nclosed\n",
	    "line 3, column 4: the quoted field that starts here is never "
	    "closed");
}

static void
nul_byte_counts(void **state)
{
	struct read r;
	char err[128];

	(void)state;
	memset(&r, 0, sizeof(r));
	assert_int_equal(csvio_read(&r.t, "a,b\n\0", 5, 0, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 2, column 1: a NUL byte"));
}

static void
empty_text(void **state)
{
	struct read r;

	(void)state;
	read_text(&r, "", 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.t.n_rows, 0);
	assert_int_equal(r.t.sep, ',');
	read_text(&r, "\xef\xbb\xbf\n\n", 0);
	assert_int_equal(r.rc, 0);
	assert_true(r.t.bom);
	assert_int_equal(r.t.n_rows, 0);
}

/* Write with each separator, read back: the same fields. */
static void
write_then_read(void **state)
{
	static const char *const row[] = {
		"plain", "with, comma", "with; semicolon", "a \"quote\"",
		"two\nlines", " padded ", "", NULL, "Fryslân",
	};
	static const char sep[] = { ',', ';' };

	(void)state;
	for (size_t s = 0; s < sizeof(sep); s++) {
		struct read r;
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		assert_non_null(f);
		assert_int_equal(csvio_write_row(f, sep[s], row, 9), 0);
		assert_int_equal(csvio_write_row(f, sep[s], row, 2), 0);
		assert_int_equal(fclose(f), 0);
		read_text(&r, text, 0);
		assert_int_equal(r.rc, 0);
		assert_int_equal(r.t.sep, sep[s]);
		assert_int_equal(r.t.n_rows, 2);
		assert_row(&r.t.rows[0], 1, 9, "plain", "with, comma",
		    "with; semicolon", "a \"quote\"", "two\nlines",
		    " padded ", "", "", "Fryslân");
		assert_row(&r.t.rows[1], 3, 2, "plain", "with, comma");
		csvio_free(&r.t);
		free(text);
	}
}

/* Quotes only where they are needed, so plain files stay plain. */
static void
write_quotes_only_when_needed(void **state)
{
	static const char *const row[] = {
		"A1", "Huis, Eén", "say \"hi\"", "women:4 minors:2", "x;y",
	};
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(csvio_write_row(f, ',', row, 5), 0);
	assert_int_equal(csvio_write_row(f, ';', row, 5), 0);
	assert_int_equal(fclose(f), 0);
	assert_string_equal(text,
	    "A1,\"Huis, Eén\",\"say \"\"hi\"\"\",women:4 minors:2,x;y\n"
	    "A1;Huis, Eén;\"say \"\"hi\"\"\";women:4 minors:2;\"x;y\"\n");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_commas),
		cmocka_unit_test(bom_and_semicolons),
		cmocka_unit_test(separator_from_first_line),
		cmocka_unit_test(line_breaks_in_quotes),
		cmocka_unit_test(comments_only_when_asked),
		cmocka_unit_test(errors_name_line_and_column),
		cmocka_unit_test(nul_byte_counts),
		cmocka_unit_test(empty_text),
		cmocka_unit_test(write_then_read),
		cmocka_unit_test(write_quotes_only_when_needed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
