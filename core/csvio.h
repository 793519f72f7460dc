/*
 * csvio.h — every CSV shelterd reads or writes goes through here, on top of
 * libcsv (RFC 4180 quoting). Reading takes a whole text: it skips a UTF-8
 * byte-order mark (what a spreadsheet's "CSV UTF-8" writes), finds the
 * separator (',' or ';', the default of Dutch and other locales whose
 * decimal mark is a comma) from the first line and says which it used,
 * reads quoted fields with separators, doubled quotes and line breaks in
 * them, and names the line and column of what it cannot read. No I/O but
 * the FILE * a row is written to.
 */
#ifndef SHELTERD_CSVIO_H
#define SHELTERD_CSVIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
	/* A line whose first character is '#' (outside any quoted field)
	 * is a comment, as in the registry files. */
	CSVIO_COMMENTS = 1,
};

struct csvio_row {
	unsigned line;        /* where the record starts, from 1 */
	size_t n_fields;
	char **fields;        /* NUL-terminated, unquoted */
	unsigned *columns;    /* where each field starts (characters, from 1),
	                       * on line lines[i] */
	unsigned *lines;
	unsigned end_line;    /* where the record ends: just past its last */
	unsigned end_column;  /* field */
};

struct csvio_table {
	char sep;             /* ',' or ';', as found on the first line */
	bool bom;             /* a UTF-8 byte-order mark was skipped */
	struct csvio_row *rows; /* blank lines and comments are not rows */
	size_t n_rows;
};

/*
 * Read text (len bytes; NUL bytes are refused) into *t, which must be
 * zeroed. Returns 0, or -1 with "line L, column C: what is wrong" (or "out
 * of memory") in err; *t then has no rows but still says which separator
 * and byte-order mark it found (for the error message). Columns count
 * characters (UTF-8), not bytes, so they match what an editor shows.
 */
int csvio_read(struct csvio_table *t, const char *text, size_t len,
    unsigned flags, char *err, size_t errlen);
void csvio_free(struct csvio_table *t);

/* "commas (,)" or "semicolons (;)", for telling a user how a file was
 * read. */
const char *csvio_sep_name(char sep);

/*
 * Write one record of n fields (NULL as empty) to f, separated by sep and
 * ended by "\n"; a field is quoted (by libcsv, quotes doubled) only when it
 * holds sep, a quote, a line break or a leading or trailing space or tab,
 * so that csvio_read gives it back unchanged. Returns 0, or -1 (errno set
 * by stdio).
 */
int csvio_write_row(FILE *f, char sep, const char *const *fields, size_t n);

#endif
