/*
 * disclose.c — need-to-know as data: which cells a public surface may show,
 * which events a broadcast may carry and which a party may read
 * (disclose.h).
 */
#include "disclose.h"

#include <stdlib.h>
#include <string.h>

#define IDX(r, cat) ((r) * CAT_COUNT + (size_t)(cat) - 1)

enum { KIND_PLACEMENT = 10, KIND_HEARTBEAT = 12 }; /* the proto's */
enum { SUB_SHELTER = 1, SUB_REGION = 2, SUB_NATIONAL = 3, SUB_PLACEMENT = 4 };

/* The shown cell of cat with the fewest shelters (but some), or -1. */
static long
smallest_shown(const struct disclosure *d, int cat)
{
	long best = -1;

	for (size_t r = 0; r < d->n_regions; r++) {
		size_t i = IDX(r, cat);

		if (d->mask[i] != CELL_SHOWN || d->shelters[i] == 0)
			continue;
		if (best < 0 || d->shelters[i] < d->shelters[best])
			best = (long)i;
	}
	return best;
}

/* Mark cat's small cells, then merge more with them until the merged
 * ones hold k or more shelters together (so they are two or more): the
 * national figure minus the shown cells is then theirs, not one
 * shelter's. */
static void
mask_category(struct disclosure *d, int cat)
{
	uint32_t merged = 0, n = 0;
	long i;

	for (size_t r = 0; r < d->n_regions; r++) {
		size_t j = IDX(r, cat);

		if (d->shelters[j] > 0 && d->shelters[j] < d->k) {
			d->mask[j] = CELL_SMALL;
			merged += d->shelters[j];
			n++;
		}
	}
	while (n > 0 && merged < d->k &&
	    (i = smallest_shown(d, cat)) >= 0) {
		d->mask[i] = CELL_COMPLEMENT;
		merged += d->shelters[i];
		n++;
	}
	d->national_small[cat - 1] = d->national[cat - 1] > 0 &&
	    d->national[cat - 1] < d->k;
}

int
disclose_init(struct disclosure *d, const struct registry *reg, uint32_t k)
{
	memset(d, 0, sizeof(*d));
	d->k = k > 0 ? k : 1;
	d->n_regions = reg->n_regions;
	d->shelters = calloc(reg->n_regions * CAT_COUNT + 1,
	    sizeof(*d->shelters));
	d->mask = calloc(reg->n_regions * CAT_COUNT + 1, 1);
	if (d->shelters == NULL || d->mask == NULL) {
		disclose_free(d);
		return -1;
	}
	for (size_t i = 0; i < reg->n_shelters; i++) {
		const struct reg_shelter *sh = &reg->shelters[i];

		for (int c = 1; c <= CAT_COUNT; c++) {
			if (!(sh->categories & (1u << (c - 1))))
				continue;
			d->shelters[IDX(sh->region, c)]++;
			d->national[c - 1]++;
		}
	}
	for (int c = 1; c <= CAT_COUNT; c++)
		mask_category(d, c);
	return 0;
}

void
disclose_free(struct disclosure *d)
{
	free(d->shelters);
	free(d->mask);
	d->shelters = NULL;
	d->mask = NULL;
}

bool
disclose_cell_public(const struct disclosure *d, size_t r, int cat)
{
	uint32_t n = 0;

	if (r >= d->n_regions || cat < 0 || cat > CAT_COUNT)
		return false;
	if (cat > 0)
		return d->mask[IDX(r, cat)] == CELL_SHOWN;
	for (int c = 1; c <= CAT_COUNT; c++)
		n += d->shelters[IDX(r, c)];
	return n == 0 || n >= d->k;
}

bool
disclose_national_public(const struct disclosure *d, int cat)
{
	uint32_t n = 0;

	if (cat < 0 || cat > CAT_COUNT)
		return false;
	if (cat > 0)
		return !d->national_small[cat - 1];
	for (int c = 0; c < CAT_COUNT; c++)
		n += d->national[c];
	return n == 0 || n >= d->k;
}

bool
disclose_public(const struct disclosure *d, const struct registry *reg,
    const struct subject *sub)
{
	int r;

	if (sub->kind == KIND_HEARTBEAT)
		return true;
	if ((sub->shelter != NULL && *sub->shelter != '\0') ||
	    sub->scope == SUB_SHELTER)
		return false;
	/* A request's steps and its "no bed" alert name its region, never
	 * a shelter or a shelter's counts. */
	if (sub->kind == KIND_PLACEMENT || sub->scope == SUB_PLACEMENT)
		return true;
	if (sub->scope == SUB_NATIONAL)
		return disclose_national_public(d, sub->category);
	if (sub->scope != SUB_REGION ||
	    (r = registry_region(reg, sub->region ? sub->region : "")) < 0)
		return false;
	return disclose_cell_public(d, (size_t)r, sub->category);
}

/* The region a subject belongs to: its shelter's, or its own. */
static const char *
subject_region(const struct registry *reg, const struct subject *sub)
{
	const struct reg_shelter *sh;

	if (sub->shelter != NULL && *sub->shelter != '\0') {
		sh = registry_shelter(reg, sub->shelter);
		return sh != NULL ? reg->regions[sh->region].id : NULL;
	}
	return sub->region;
}

bool
disclose_may_see(const struct identity *id, const struct disclosure *d,
    const struct registry *reg, const struct subject *sub)
{
	const char *region;

	switch (id->role) {
	case ROLE_NONE:
	case ROLE_NATIONAL:
	case ROLE_OPERATOR:
		return true;
	case ROLE_REGION:
		region = subject_region(reg, sub);
		if (region != NULL && strcmp(region, id->id) == 0)
			return true;
		break;
	case ROLE_SHELTER:
		if (sub->shelter != NULL && strcmp(sub->shelter, id->id) == 0)
			return true;
		break;
	default:
		return false;
	}
	return disclose_public(d, reg, sub);
}

bool
disclose_may_see_cell(const struct identity *id,
    const struct disclosure *d, const struct registry *reg, size_t r,
    int cat)
{
	if (id->role == ROLE_NONE || id->role == ROLE_NATIONAL ||
	    id->role == ROLE_OPERATOR)
		return true;
	if (id->role == ROLE_REGION && r < reg->n_regions &&
	    strcmp(reg->regions[r].id, id->id) == 0)
		return true;
	return disclose_cell_public(d, r, cat);
}

static bool
is_neighbour(const struct registry *reg, int from, int r)
{
	const struct reg_region *rg = &reg->regions[from];

	for (size_t k = 0; k < rg->n_neighbours; k++)
		if (rg->neighbours[k] == r)
			return true;
	return false;
}

int
disclose_proximity(const struct disclosure *d, const struct registry *reg,
    int from, int held, int cat)
{
	uint32_t n = 0;
	bool near;

	if (held < 0 || (size_t)held >= reg->n_regions || from < 0 ||
	    (size_t)from >= reg->n_regions || cat < 1 || cat > CAT_COUNT)
		return PROX_UNKNOWN;
	if (held == from)
		return PROX_OWN_REGION;
	near = is_neighbour(reg, from, held);
	/* How many shelters of cat the class holds: a class of one region
	 * with one such shelter would name it. */
	for (size_t r = 0; r < reg->n_regions; r++)
		if ((int)r != from && is_neighbour(reg, from, (int)r) == near)
			n += d->shelters[IDX(r, cat)];
	if (n < d->k)
		return PROX_OTHER_REGION;
	return near ? PROX_NEIGHBOURING : PROX_FARTHER;
}
