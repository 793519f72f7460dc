/*
 * csvio.c — CSV in and out through libcsv (csvio.h).
 *
 * libcsv does the quoting rules; this file adds what it leaves to its
 * caller: the byte-order mark, the separator, comments, and where things
 * are. libcsv's callbacks do not say where a field was, so the text is fed
 * to it one byte at a time and this side counts lines and columns. A list
 * of 5,000 shelters (340 KB, more than an import may send) takes about
 * 7.5 ms that way on a 2-vCPU VM: paid at start and once per import.
 */
#include "csvio.h"

#include <csv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct reader {
	struct csvio_table *t;
	struct csvio_row cur;
	size_t cap_fields, cap_rows;
	unsigned line, col;     /* of the byte being fed */
	unsigned f_line, f_col; /* where the current field starts */
	bool in_record;
	bool oom;
};

static void
row_free(struct csvio_row *r)
{
	for (size_t i = 0; i < r->n_fields; i++)
		free(r->fields[i]);
	free(r->fields);
	free(r->columns);
	free(r->lines);
	memset(r, 0, sizeof(*r));
}

/* libcsv: a field ended at the byte being fed (its separator or line
 * end), or at the end of the text. */
static void
on_field(void *s, size_t len, void *arg)
{
	struct reader *rd = arg;
	struct csvio_row *r = &rd->cur;
	char *copy;

	if (rd->oom)
		return;
	if (r->n_fields == rd->cap_fields) {
		size_t cap = rd->cap_fields ? rd->cap_fields * 2 : 8;
		char **f = realloc(r->fields, cap * sizeof(*f));
		unsigned *c, *l;

		if (f != NULL)
			r->fields = f;
		c = f ? realloc(r->columns, cap * sizeof(*c)) : NULL;
		if (c != NULL)
			r->columns = c;
		l = c ? realloc(r->lines, cap * sizeof(*l)) : NULL;
		if (l == NULL) {
			rd->oom = true;
			return;
		}
		r->lines = l;
		rd->cap_fields = cap;
	}
	if ((copy = malloc(len + 1)) == NULL) {
		rd->oom = true;
		return;
	}
	if (len > 0)
		memcpy(copy, s, len);
	copy[len] = '\0';
	r->fields[r->n_fields] = copy;
	r->columns[r->n_fields] = rd->f_col;
	r->lines[r->n_fields] = rd->f_line;
	r->n_fields++;
	/* The next field starts after this separator. */
	rd->f_line = rd->line;
	rd->f_col = rd->col + 1;
}

/* libcsv: the record ended (c is its line end, or -1 at the end). */
static void
on_record(int c, void *arg)
{
	struct reader *rd = arg;
	struct csvio_table *t = rd->t;

	(void)c;
	rd->in_record = false;
	if (rd->oom)
		return;
	rd->cur.end_line = rd->line;
	rd->cur.end_column = rd->col;
	if (t->n_rows == rd->cap_rows) {
		size_t cap = rd->cap_rows ? rd->cap_rows * 2 : 64;
		struct csvio_row *p = realloc(t->rows, cap * sizeof(*p));

		if (p == NULL) {
			rd->oom = true;
			return;
		}
		t->rows = p;
		rd->cap_rows = cap;
	}
	t->rows[t->n_rows++] = rd->cur;
	memset(&rd->cur, 0, sizeof(rd->cur));
	rd->cap_fields = 0;
}

/* The first record's line (quotes respected): more ';' than ',' outside
 * quotes means a ';' file. A header has no numbers with decimal commas,
 * so it is the line to ask. */
static char
find_sep(const char *p, const char *end, unsigned flags)
{
	size_t commas = 0, semis = 0;
	bool quoted = false;

	for (;;) {
		while (p < end && (*p == '\n' || *p == '\r' || *p == ' ' ||
		    *p == '\t'))
			p++;
		if (p < end && *p == '#' && (flags & CSVIO_COMMENTS)) {
			while (p < end && *p != '\n')
				p++;
			continue;
		}
		break;
	}
	for (; p < end && (quoted || *p != '\n'); p++) {
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == ',')
			commas++;
		else if (!quoted && *p == ';')
			semis++;
	}
	return semis > commas ? ';' : ',';
}

const char *
csvio_sep_name(char sep)
{
	return sep == ';' ? "semicolons (;)" : "commas (,)";
}

#define FAIL(...)                                       \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		goto failed;                            \
	} while (0)

int
csvio_read(struct csvio_table *t, const char *text, size_t len,
    unsigned flags, char *err, size_t errlen)
{
	struct reader rd = { .t = t, .line = 1 };
	struct csv_parser p;
	const char *s = text, *end = text + len;

	memset(t, 0, sizeof(*t));
	if (csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		t->bom = true;
		s += 3;
	}
	t->sep = find_sep(s, end, flags);
	csv_set_delim(&p, (unsigned char)t->sep);
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		/* Characters, not bytes: skip UTF-8 continuation bytes. */
		if ((c & 0xc0) != 0x80)
			rd.col++;
		if (c == '\0')
			FAIL("line %u, column %u: a NUL byte (not a text "
			    "file)", rd.line, rd.col);
		if (!rd.in_record && c == '#' && (flags & CSVIO_COMMENTS)) {
			while (s + 1 < end && s[1] != '\n')
				s++;
			continue;
		}
		if (!rd.in_record && c != ' ' && c != '\t' && c != '\r' &&
		    c != '\n') {
			rd.in_record = true;
			rd.cur.line = rd.f_line = rd.line;
			rd.f_col = rd.col;
		}
		if (csv_parse(&p, s, 1, on_field, on_record, &rd) != 1) {
			if (csv_error(&p) != CSV_EPARSE)
				FAIL("out of memory");
			if (c == '"')
				FAIL("line %u, column %u: a quote inside a "
				    "field: quote the whole field and double "
				    "the quotes in it (\"a \"\"b\"\" c\")",
				    rd.line, rd.col);
			FAIL("line %u, column %u: text after the closing "
			    "quote of a field (a quote inside a quoted field "
			    "must be doubled)", rd.line, rd.col);
		}
		if (rd.oom)
			FAIL("out of memory");
		if (c == '\n') {
			rd.line++;
			rd.col = 0;
		}
	}
	rd.col++; /* just past the last character */
	if (csv_fini(&p, on_field, on_record, &rd) != 0)
		FAIL("line %u, column %u: the quoted field that starts here "
		    "is never closed (a missing quote?)", rd.f_line, rd.f_col);
	if (rd.oom)
		FAIL("out of memory");
	csv_free(&p);
	return 0;
failed:
	csv_free(&p);
	row_free(&rd.cur);
	{
		char sep = t->sep;
		bool bom = t->bom;

		csvio_free(t);
		t->sep = sep;
		t->bom = bom;
	}
	return -1;
}

void
csvio_free(struct csvio_table *t)
{
	for (size_t i = 0; i < t->n_rows; i++)
		row_free(&t->rows[i]);
	free(t->rows);
	memset(t, 0, sizeof(*t));
}

/* What libcsv would not give back as it was without quotes. */
static bool
needs_quotes(const char *s, char sep)
{
	size_t n = strlen(s);

	if (n > 0 && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' ||
	    s[n - 1] == '\t'))
		return true;
	for (; *s; s++)
		if (*s == sep || *s == '"' || *s == '\n' || *s == '\r')
			return true;
	return false;
}

int
csvio_write_row(FILE *f, char sep, const char *const *fields, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = fields[i] ? fields[i] : "";

		if (i > 0 && fputc(sep, f) == EOF)
			return -1;
		if (needs_quotes(s, sep)) {
			if (csv_fwrite(f, s, strlen(s)) != 0)
				return -1;
		} else if (fputs(s, f) == EOF) {
			return -1;
		}
	}
	return fputc('\n', f) == EOF ? -1 : 0;
}
