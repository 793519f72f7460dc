#include "norms.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beds.h"
#include "registry.h"
#include "report.h"

#define FAIL(...)                                       \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

int
norms_parse_date(const char *s, int64_t *out)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	unsigned y = 0, m = 0, d = 0;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return -1;
	y = (unsigned)atoi(s);
	m = (unsigned)atoi(s + 5);
	d = (unsigned)atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return -1;
	/* 29 February only in a leap year. */
	if (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0)))
		return -1;
	*out = report_days_from_civil(y, m, d) * 86400;
	return 0;
}

int
norms_row(struct registry *reg, char **f, int nf, unsigned line, char *err,
    size_t errlen)
{
	struct reg_norm n = { .line = line };
	unsigned long beds;
	char *end;
	void *p;
	int region, cat;

	if (nf != 4)
		FAIL("norms line %u: expected 4 fields "
		    "(region,category,beds,valid_from)", line);
	if (strcmp(f[0], "region") == 0)
		return 0; /* header */
	if ((region = registry_region(reg, f[0])) < 0)
		FAIL("norms line %u: unknown region '%.31s'", line, f[0]);
	if ((cat = cat_parse(f[1])) < 0)
		FAIL("norms line %u: unknown category '%.31s'", line, f[1]);
	/* strtoul takes "-3" as a huge number: a sign is refused first. */
	errno = 0;
	beds = isdigit((unsigned char)f[2][0]) ? strtoul(f[2], &end, 10) : 0;
	if (!isdigit((unsigned char)f[2][0]) || errno != 0 || *end != '\0' ||
	    beds > NORM_BEDS_MAX)
		FAIL("norms line %u: beds must be a whole number from 0 to "
		    "%d, not '%.16s'", line, NORM_BEDS_MAX, f[2]);
	if (norms_parse_date(f[3], &n.valid_from) != 0)
		FAIL("norms line %u: valid_from must be a date YYYY-MM-DD, "
		    "not '%.16s'", line, f[3]);
	n.region = (uint16_t)region;
	n.category = (uint8_t)cat;
	n.beds = (uint32_t)beds;
	/* One realloc per row: a registry has a few hundred norms. */
	p = realloc(reg->norms, (reg->n_norms + 1) * sizeof(*reg->norms));
	if (p == NULL)
		FAIL("norms: out of memory");
	reg->norms = p;
	reg->norms[reg->n_norms++] = n;
	return 0;
}

static int
norm_cmp(const void *x, const void *y)
{
	const struct reg_norm *a = x, *b = y;

	if (a->region != b->region)
		return a->region < b->region ? -1 : 1;
	if (a->category != b->category)
		return a->category < b->category ? -1 : 1;
	return (a->valid_from > b->valid_from) -
	    (a->valid_from < b->valid_from);
}

int
norms_finish(struct registry *reg, char *err, size_t errlen)
{
	if (reg->n_norms == 0)
		return 0;
	qsort(reg->norms, reg->n_norms, sizeof(*reg->norms), norm_cmp);
	for (size_t i = 1; i < reg->n_norms; i++) {
		const struct reg_norm *a = &reg->norms[i - 1];
		const struct reg_norm *b = &reg->norms[i];

		if (norm_cmp(a, b) == 0)
			FAIL("norms line %u: %s %s has a norm from that day "
			    "already (line %u)", a->line > b->line ? a->line :
			    b->line, reg->regions[a->region].id,
			    cat_name(a->category), a->line < b->line ?
			    a->line : b->line);
	}
	return 0;
}

bool
norms_current(const struct registry *reg, int region, int category,
    int64_t now, uint32_t *beds)
{
	bool found = false;

	/* Sorted by valid_from within region and category: the last one
	 * begun wins. A registry has a few hundred norms at most. */
	for (size_t i = 0; i < reg->n_norms; i++) {
		const struct reg_norm *n = &reg->norms[i];

		if (n->region != region || n->category != category ||
		    n->valid_from > now)
			continue;
		*beds = n->beds;
		found = true;
	}
	return found;
}

char *
norms_format(const struct registry *reg)
{
	static const char header[] = "region,category,beds,valid_from\n";
	size_t cap = sizeof(header) + reg->n_norms * (REG_ID_MAX + 32);
	char *buf = malloc(cap), *p;

	if (buf == NULL)
		return NULL;
	memcpy(buf, header, sizeof(header));
	p = buf + sizeof(header) - 1;
	for (size_t i = 0; i < reg->n_norms; i++) {
		const struct reg_norm *n = &reg->norms[i];
		int64_t days = n->valid_from / 86400;
		/* civil_from_days (Hinnant), the inverse of
		 * report_days_from_civil. */
		int64_t z = days + 719468;
		int64_t era = (z >= 0 ? z : z - 146096) / 146097;
		int64_t doe = z - era * 146097;
		int64_t yoe = (doe - doe / 1460 + doe / 36524 -
		    doe / 146096) / 365;
		int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
		int64_t mp = (5 * doy + 2) / 153;
		int64_t d = doy - (153 * mp + 2) / 5 + 1;
		int64_t m = mp < 10 ? mp + 3 : mp - 9;
		int64_t y = yoe + era * 400 + (m <= 2);

		p += snprintf(p, cap - (size_t)(p - buf),
		    "%s,%s,%u,%04d-%02d-%02d\n", reg->regions[n->region].id,
		    cat_name(n->category), n->beds, (int)y, (int)m, (int)d);
	}
	return buf;
}

int
norms_registry(struct registry *out, const struct registry *base,
    const char *norms_csv, char *err, size_t errlen, unsigned *err_line)
{
	*err_line = 0;
	if (registry_copy(out, base, false, true) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (registry_parse_norms(out, norms_csv, err, errlen) != 0) {
		/* Every line error reads "norms line N: ...". */
		if (sscanf(err, "norms line %u", err_line) != 1)
			*err_line = 0;
		registry_free(out);
		return -1;
	}
	return 0;
}
