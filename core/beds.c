#include "beds.h"

#include <string.h>

static const char *const cat_names[CAT_COUNT] = {
	"women", "men", "minors", "highsec", "children",
};

const char *
cat_name(int category)
{
	if (category < 1 || category > CAT_COUNT)
		return NULL;
	return cat_names[category - 1];
}

int
cat_parse(const char *name)
{
	for (int i = 0; i < CAT_COUNT; i++)
		if (strcmp(name, cat_names[i]) == 0)
			return i + 1;
	return -1;
}

static const char *const status_names[] = {
	"unknown", "open", "paused", "closed",
};

const char *
status_name(int status)
{
	if (status < 0 || status > SH_STATUS_CLOSED)
		return "unknown";
	return status_names[status];
}

int
status_parse(const char *name)
{
	for (int i = SH_STATUS_OPEN; i <= SH_STATUS_CLOSED; i++)
		if (strcmp(name, status_names[i]) == 0)
			return i;
	return -1;
}

static const char *const level_names[] = { "cleared", "warning", "critical",
	"info" };

const char *
level_name(int level)
{
	if (level < LEVEL_OK || level > LEVEL_INFO)
		return "unknown";
	return level_names[level];
}

int
level_parse(const char *name)
{
	for (int i = LEVEL_OK; i <= LEVEL_INFO; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	return -1;
}

uint32_t
beds_free(int status, const struct bed_counts *b)
{
	uint64_t used = (uint64_t)b->occupied + b->out_of_service + b->held;

	if (status != SH_STATUS_OPEN || used >= b->capacity)
		return 0;
	return b->capacity - (uint32_t)used;
}

void
aggregate_add(struct aggregate *agg, const struct shelter_state *sh, int sign)
{
	if (sh->seq == 0)
		return; /* never reported: contributes nothing */
	for (int i = 0; i < CAT_COUNT; i++) {
		const struct bed_counts *b = &sh->beds[i];
		struct totals *t = &agg->cat[i];

		if (!(sh->present & (1u << i)))
			continue;
		/* Unsigned wrap-around makes subtraction exact as long as the
		 * same state was added before, which the store guarantees. */
		t->capacity += (uint32_t)sign * b->capacity;
		t->occupied += (uint32_t)sign * b->occupied;
		t->out_of_service += (uint32_t)sign * b->out_of_service;
		t->held += (uint32_t)sign * b->held;
		if (sh->stale)
			t->unknown += (uint32_t)sign * beds_free(sh->status, b);
		else
			t->free += (uint32_t)sign * beds_free(sh->status, b);
		/* A forecast counts where free beds count: beds of a closed,
		 * paused or silent shelter will not be free for intake. */
		if (sh->stale || sh->status != SH_STATUS_OPEN ||
		    !(sh->forecast & (1u << i)))
			continue;
		agg->outlook[i].free_24h += (uint32_t)sign *
		    sh->expect[i].free_24h;
		agg->outlook[i].free_72h += (uint32_t)sign *
		    sh->expect[i].free_72h;
		agg->outlook[i].forecasting += (uint32_t)sign;
	}
	agg->shelters_reported += (uint32_t)sign;
	if (sh->stale)
		agg->shelters_stale += (uint32_t)sign;
}

uint32_t
totals_pct(const struct totals *t)
{
	if (t->capacity == 0)
		return 0;
	return (uint32_t)((uint64_t)(t->capacity - t->free) * 100 /
	    t->capacity);
}
