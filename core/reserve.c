#include "reserve.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "beds.h"
#include "registry.h"

#define FAIL(...)                                       \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

/* A whole number 0..RESERVE_BEDS_MAX, no sign: 0 or -1. */
static int
beds(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > RESERVE_BEDS_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

int
reserve_row(struct registry *reg, char **f, int nf, unsigned line,
    char *err, size_t errlen)
{
	struct reg_reserve r = { .line = line };
	const struct reg_shelter *sh;
	void *p;
	int cat;

	if (nf != 4 && nf != 5)
		FAIL("reserves line %u: expected 4 fields "
		    "(shelter,category,beds_24h,beds_72h), or 5 with source",
		    line);
	if (strcmp(f[0], "shelter") == 0)
		return 0; /* header */
	if ((sh = registry_shelter(reg, f[0])) == NULL)
		FAIL("reserves line %u: unknown shelter '%.31s'", line, f[0]);
	if ((cat = cat_parse(f[1])) < 0)
		FAIL("reserves line %u: unknown category '%.31s'", line, f[1]);
	if (beds(f[2], &r.beds_24h) != 0 || beds(f[3], &r.beds_72h) != 0)
		FAIL("reserves line %u: beds_24h and beds_72h must be whole "
		    "numbers from 0 to %d", line, RESERVE_BEDS_MAX);
	if (r.beds_72h < r.beds_24h)
		FAIL("reserves line %u: beds_72h (%u) includes beds_24h (%u): "
		    "it cannot be smaller", line, r.beds_72h, r.beds_24h);
	/* A declaration by report: checked like the others, then left to
	 * the shelter. */
	if (nf == 5 && strcmp(f[4], "report") == 0)
		return 0;
	if (nf == 5 && f[4][0] != '\0' && strcmp(f[4], "registry") != 0)
		FAIL("reserves line %u: source must be registry or report, "
		    "not '%.31s'", line, f[4]);
	memcpy(r.shelter, sh->id, sizeof(r.shelter));
	r.category = (uint8_t)cat;
	/* One realloc per row: a registry has a few hundred at most. */
	p = realloc(reg->reserves, (reg->n_reserves + 1) *
	    sizeof(*reg->reserves));
	if (p == NULL)
		FAIL("reserves: out of memory");
	reg->reserves = p;
	reg->reserves[reg->n_reserves++] = r;
	return 0;
}

int
reserve_finish(struct registry *reg, char *err, size_t errlen)
{
	for (size_t i = 0; i < reg->n_reserves; i++)
		for (size_t j = 0; j < i; j++)
			if (reg->reserves[i].category ==
			    reg->reserves[j].category &&
			    strcmp(reg->reserves[i].shelter,
			    reg->reserves[j].shelter) == 0)
				FAIL("reserves line %u: %s %s is listed "
				    "already (line %u)", reg->reserves[i].line,
				    reg->reserves[i].shelter,
				    cat_name(reg->reserves[i].category),
				    reg->reserves[j].line);
	return 0;
}

int
reserve_overlay_init(struct reserve_overlay *ov, size_t n_shelters)
{
	memset(ov, 0, sizeof(*ov));
	/* calloc: pages of shelters that never declare are never touched,
	 * so they cost no resident memory. */
	ov->declared = calloc(n_shelters + 1, sizeof(*ov->declared));
	ov->decl = calloc(n_shelters + 1, sizeof(*ov->decl));
	ov->list = calloc(n_shelters + 1, sizeof(*ov->list));
	if (ov->declared == NULL || ov->decl == NULL || ov->list == NULL) {
		reserve_overlay_free(ov);
		return -1;
	}
	ov->n_shelters = n_shelters;
	return 0;
}

void
reserve_overlay_free(struct reserve_overlay *ov)
{
	free(ov->declared);
	free(ov->decl);
	free(ov->list);
	memset(ov, 0, sizeof(*ov));
}

void
reserve_overlay_note(struct reserve_overlay *ov, size_t shelter,
    const struct shelter_state *st)
{
	if (shelter >= ov->n_shelters)
		return;
	/* Listed once, on its first declaration; a shelter that no longer
	 * declares stays listed, with no bit set. */
	if (ov->declared[shelter] == 0 && st->reserve_declared != 0)
		ov->list[ov->n_list++] = (uint32_t)shelter;
	ov->declared[shelter] = st->reserve_declared &
	    (uint8_t)((1u << CAT_COUNT) - 1);
	memcpy(ov->decl[shelter], st->reserve_decl, sizeof(ov->decl[0]));
}

/* Did shelter sh of reg declare category (1-based) by report? */
static bool
declared(const struct registry *reg, const struct reserve_overlay *ov,
    const struct reg_shelter *sh, int category)
{
	size_t i = (size_t)(sh - reg->shelters);

	return ov != NULL && i < ov->n_shelters &&
	    (ov->declared[i] & (1u << (category - 1)));
}

void
reserve_sum(const struct registry *reg, const struct reserve_overlay *ov,
    int region, int category, uint32_t *b24, uint32_t *b72)
{
	*b24 = *b72 = 0;
	if (category < 1 || category > CAT_COUNT)
		return;
	for (size_t i = 0; i < reg->n_reserves; i++) {
		const struct reg_reserve *r = &reg->reserves[i];
		const struct reg_shelter *sh;

		if (r->category != category ||
		    (sh = registry_shelter(reg, r->shelter)) == NULL ||
		    (region >= 0 && sh->region != region) ||
		    declared(reg, ov, sh, category))
			continue;
		*b24 += r->beds_24h;
		*b72 += r->beds_72h;
	}
	for (size_t k = 0; ov != NULL && k < ov->n_list; k++) {
		uint32_t i = ov->list[k];

		if (i >= reg->n_shelters ||
		    !(ov->declared[i] & (1u << (category - 1))) ||
		    (region >= 0 && reg->shelters[i].region != region))
			continue;
		*b24 += ov->decl[i][category - 1].beds_24h;
		*b72 += ov->decl[i][category - 1].beds_72h;
	}
}

static int
by_beds(const void *x, const void *y)
{
	const struct reserve_region *a = x, *b = y;

	if (a->beds_72h != b->beds_72h)
		return a->beds_72h > b->beds_72h ? -1 : 1;
	if (a->beds_24h != b->beds_24h)
		return a->beds_24h > b->beds_24h ? -1 : 1;
	return (a->region > b->region) - (a->region < b->region);
}

size_t
reserve_where(const struct registry *reg, const struct reserve_overlay *ov,
    int category, struct reserve_region *out, size_t max)
{
	struct reserve_region *all;
	size_t n = 0;

	if (max == 0 || reg->n_regions == 0 ||
	    (all = calloc(reg->n_regions, sizeof(*all))) == NULL)
		return 0;
	for (size_t r = 0; r < reg->n_regions; r++) {
		struct reserve_region *w = &all[n];

		w->region = (uint16_t)r;
		reserve_sum(reg, ov, (int)r, category, &w->beds_24h,
		    &w->beds_72h);
		if (w->beds_72h > 0)
			n++;
	}
	qsort(all, n, sizeof(*all), by_beds);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

#define REFUSE(code, ...)                               \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return code;                            \
	} while (0)

enum reserve_refusal
reserve_check(const struct registry *reg, const struct reserve_overlay *ov,
    const char *region_id,
    int category, uint32_t beds, int64_t until, const char *reason,
    int64_t now, int *region, char *err, size_t errlen)
{
	uint32_t b24, b72;
	size_t n = reason ? strlen(reason) : 0;

	if ((*region = registry_region(reg, region_id)) < 0)
		REFUSE(RESERVE_BAD_REQUEST, "unknown region '%.31s' (see "
		    "shelterctl regions)", region_id);
	if (cat_name(category) == NULL)
		REFUSE(RESERVE_UNKNOWN_CATEGORY, "say which category (women, "
		    "men, minors, highsec or children)");
	if (beds < 1)
		REFUSE(RESERVE_BAD_REQUEST, "beds must be 1 or more");
	if (until <= now)
		REFUSE(RESERVE_BAD_REQUEST, "until must be in the future");
	if (until - now > RESERVE_MAX_SECS)
		REFUSE(RESERVE_BAD_REQUEST, "until may be at most a year "
		    "ahead: activate again to go on");
	if (n == 0 || n > RESERVE_REASON_MAX)
		REFUSE(RESERVE_BAD_REQUEST, "give a reason (1 to %d "
		    "characters, e.g. surge)", RESERVE_REASON_MAX);
	reserve_sum(reg, ov, *region, category, &b24, &b72);
	if (beds > b72)
		REFUSE(RESERVE_NOT_ENOUGH, "%s has %u reserve beds of %s (%u "
		    "within 24 h), not %u", reg->regions[*region].id, b72,
		    cat_name(category), b24, beds);
	return RESERVE_OK;
}

char *
reserve_format(const struct registry *reg, const struct reserve_overlay *ov)
{
	static const char header[] =
	    "shelter,category,beds_24h,beds_72h,source\n";
	/* A line: an id, a category name, two numbers up to 10,000 (a
	 * declaration up to [limits] max_beds: 10 digits) and a source. */
	enum { ROW_LEN_MAX = REG_ID_MAX + 16 + 2 * 11 + 12 };
	size_t n = reg->n_reserves + (ov != NULL ? ov->n_list * CAT_COUNT : 0);
	size_t cap = sizeof(header) + n * ROW_LEN_MAX, len;
	char *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	memcpy(buf, header, sizeof(header));
	len = sizeof(header) - 1;
	for (size_t i = 0; i < reg->n_reserves; i++) {
		const struct reg_reserve *r = &reg->reserves[i];
		const struct reg_shelter *sh = registry_shelter(reg,
		    r->shelter);

		if (sh == NULL || declared(reg, ov, sh, r->category))
			continue;
		len += (size_t)snprintf(buf + len, cap - len,
		    "%s,%s,%u,%u,registry\n", sh->id, cat_name(r->category),
		    r->beds_24h, r->beds_72h);
	}
	for (size_t k = 0; ov != NULL && k < ov->n_list; k++) {
		uint32_t i = ov->list[k];

		if (i >= reg->n_shelters)
			continue;
		for (int c = 0; c < CAT_COUNT; c++)
			if (ov->declared[i] & (1u << c))
				len += (size_t)snprintf(buf + len, cap - len,
				    "%s,%s,%u,%u,report\n",
				    reg->shelters[i].id, cat_name(c + 1),
				    ov->decl[i][c].beds_24h,
				    ov->decl[i][c].beds_72h);
	}
	return buf;
}

int
reserve_registry(struct registry *out, const struct registry *base,
    const char *reserves_csv, char *err, size_t errlen, unsigned *err_line)
{
	*err_line = 0;
	if (registry_copy(out, base, true, false) != 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (registry_parse_reserves(out, reserves_csv, err, errlen) != 0) {
		/* Every line error reads "reserves line N: ...". */
		if (sscanf(err, "reserves line %u", err_line) != 1)
			*err_line = 0;
		registry_free(out);
		return -1;
	}
	return 0;
}
