/*
 * norms.h — capacity norms: per region and category, the beds a region is
 * expected to provide, from a date on (norms.csv in the registry,
 * docs/registry.md). A norm changes by a new line with a later
 * valid_from; the one in force on a day is the latest that began on or
 * before it. Pure: the registry's line reader splits the rows
 * (core/registry.c), this file checks and keeps them.
 */
#ifndef SHELTERD_NORMS_H
#define SHELTERD_NORMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct registry;

enum { NORM_BEDS_MAX = 100000 };

struct reg_norm {
	uint16_t region;        /* index into regions */
	uint8_t category;       /* 1..CAT_COUNT */
	uint32_t beds;
	int64_t valid_from;     /* unix seconds, 00:00 UTC of its day */
	uint32_t line;          /* in norms.csv, for error messages */
};

/*
 * One row of norms.csv, already split: region,category,beds,valid_from
 * (YYYY-MM-DD, UTC). A header row ("region,...") is skipped: returns 0
 * and leaves reg alone. Otherwise appends the norm to reg->norms and
 * returns 0, or -1 with "norms line N: what is wrong" in err.
 */
int norms_row(struct registry *reg, char **f, int nf, unsigned line,
    char *err, size_t errlen);

/* After the last row: sorts the norms (region, category, valid_from) and
 * refuses two for one region, category and day. 0, or -1 with err. */
int norms_finish(struct registry *reg, char *err, size_t errlen);

/* The beds of the norm in force at `now` for region/category (1-based),
 * in *beds; false when there is none (no line, or none begun yet). */
bool norms_current(const struct registry *reg, int region, int category,
    int64_t now, uint32_t *beds);

/*
 * A copy of base with the norms of norms_csv (an import): *out must not
 * be in use. Returns 0, or -1 with "norms line N: ..." in err and N in
 * *err_line (0 when the error is not about one line).
 */
int norms_registry(struct registry *out, const struct registry *base,
    const char *norms_csv, char *err, size_t errlen, unsigned *err_line);
/* "YYYY-MM-DD" -> 00:00 UTC in unix seconds: 0, or -1 when not a date. */
int norms_parse_date(const char *s, int64_t *out);

/*
 * reg's norms as norms.csv text (header, one line per norm, in order):
 * malloc'd, NULL when out of memory.
 */
char *norms_format(const struct registry *reg);

#endif
