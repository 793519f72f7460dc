#include "beds.h"

#include <stdio.h>
#include <string.h>

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
		agg->cov[i].reported_shelters += (uint32_t)sign;
		if (sh->stale) {
			agg->cov[i].stale_shelters += (uint32_t)sign;
			agg->cov[i].stale_capacity += (uint32_t)sign *
			    b->capacity;
		}
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

void
totals_fill(Shelterd__V1__CategoryTotals *out, int category,
    const struct totals *t, const struct outlook_totals *o,
    const struct coverage *c)
{
	shelterd__v1__category_totals__init(out);
	out->category = (Shelterd__V1__Category)category;
	out->capacity = t->capacity;
	out->occupied = t->occupied;
	out->out_of_service = t->out_of_service;
	out->free = t->free;
	out->unknown = t->unknown;
	out->held = t->held;
	out->level = (Shelterd__V1__Level)t->level;
	out->expected_free_24h = o->free_24h;
	out->expected_free_72h = o->free_72h;
	out->forecasting = o->forecasting;
	out->early_warning = (Shelterd__V1__Level)o->early_level;
	out->registered_capacity = c->registered_capacity;
	out->known_capacity = cov_known_capacity(t, c);
	out->unknown_beds = cov_unknown_beds(t, c);
	out->stale_shelters = c->stale_shelters;
	out->never_reported = cov_never_reported(c);
	out->coverage_pct = cov_pct(t, c);
	out->coverage = (Shelterd__V1__Level)c->level;
}

void
totals_merge(Shelterd__V1__CategoryTotals *out)
{
	Shelterd__V1__Category category = out->category;

	shelterd__v1__category_totals__init(out);
	out->category = category;
	out->merged = 1;
}

/* ---- coverage --------------------------------------------------------- */

uint32_t
cov_known_capacity(const struct totals *t, const struct coverage *c)
{
	return t->capacity > c->stale_capacity ?
	    t->capacity - c->stale_capacity : 0;
}

uint32_t
cov_unknown_beds(const struct totals *t, const struct coverage *c)
{
	uint32_t known = cov_known_capacity(t, c);

	return c->registered_capacity > known ?
	    c->registered_capacity - known : 0;
}

uint32_t
cov_never_reported(const struct coverage *c)
{
	return c->registered_shelters > c->reported_shelters ?
	    c->registered_shelters - c->reported_shelters : 0;
}

uint32_t
cov_pct(const struct totals *t, const struct coverage *c)
{
	uint64_t known = cov_known_capacity(t, c);

	if (c->registered_capacity == 0 || known >= c->registered_capacity)
		return 100;
	return (uint32_t)(known * 100 / c->registered_capacity);
}

int
cov_text(char *buf, size_t len, const char *where,
    const char *category, uint32_t registered, uint32_t unknown,
    uint32_t stale, uint32_t never_reported)
{
	return snprintf(buf, len, "%s %s: %u of %u bed%s unknown; %u "
	    "shelter%s stale, %u never reported", where,
	    category ? category : "?", unknown, registered,
	    registered == 1 ? "" : "s", stale, stale == 1 ? "" : "s",
	    never_reported);
}
