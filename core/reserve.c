#include "reserve.h"

#include <ctype.h>
#include <errno.h>
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

	if (nf != 4)
		FAIL("reserves line %u: expected 4 fields "
		    "(shelter,category,beds_24h,beds_72h)", line);
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

void
reserve_sum(const struct registry *reg, int region, int category,
    uint32_t *b24, uint32_t *b72)
{
	*b24 = *b72 = 0;
	for (size_t i = 0; i < reg->n_reserves; i++) {
		const struct reg_reserve *r = &reg->reserves[i];
		const struct reg_shelter *sh;

		if (r->category != category ||
		    (sh = registry_shelter(reg, r->shelter)) == NULL ||
		    (region >= 0 && sh->region != region))
			continue;
		*b24 += r->beds_24h;
		*b72 += r->beds_72h;
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
reserve_where(const struct registry *reg, int category,
    struct reserve_region *out, size_t max)
{
	struct reserve_region *all;
	size_t n = 0;

	if (max == 0 || reg->n_regions == 0 ||
	    (all = calloc(reg->n_regions, sizeof(*all))) == NULL)
		return 0;
	for (size_t r = 0; r < reg->n_regions; r++) {
		struct reserve_region *w = &all[n];

		w->region = (uint16_t)r;
		reserve_sum(reg, (int)r, category, &w->beds_24h, &w->beds_72h);
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
reserve_check(const struct registry *reg, const char *region_id,
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
	reserve_sum(reg, *region, category, &b24, &b72);
	if (beds > b72)
		REFUSE(RESERVE_NOT_ENOUGH, "%s has %u reserve beds of %s (%u "
		    "within 24 h), not %u", reg->regions[*region].id, b72,
		    cat_name(category), b24, beds);
	return RESERVE_OK;
}
