#include "escalate.h"

#include <stdio.h>
#include <string.h>

void
esc_thresholds_default(struct esc_thresholds *t)
{
	t->region_warning_pct = 90;
	t->region_critical_pct = 100;
	t->hysteresis_pct = 5;
	t->shelter_clear_free = 1;
	t->national_clear_free = 1;
	t->early_warning_pct = 80;
	t->min_coverage_pct = 50;
}

int
esc_thresholds_check(const struct esc_thresholds *t, char *err, size_t errlen)
{
	if (t->region_warning_pct < 1 || t->region_warning_pct > 100 ||
	    t->region_critical_pct < t->region_warning_pct ||
	    t->region_critical_pct > 100) {
		snprintf(err, errlen, "need 1 <= region_warning_pct <= "
		    "region_critical_pct <= 100 (got %u and %u)",
		    t->region_warning_pct, t->region_critical_pct);
		return -1;
	}
	if (t->hysteresis_pct >= t->region_warning_pct) {
		snprintf(err, errlen, "hysteresis_pct (%u) must be below "
		    "region_warning_pct (%u)", t->hysteresis_pct,
		    t->region_warning_pct);
		return -1;
	}
	if (t->early_warning_pct > 100) {
		snprintf(err, errlen, "early_warning_pct must be 0 (off) to "
		    "100, not %u", t->early_warning_pct);
		return -1;
	}
	if (t->min_coverage_pct > 100) {
		snprintf(err, errlen, "min_coverage_pct must be 0 (off) to "
		    "100, not %u", t->min_coverage_pct);
		return -1;
	}
	if (t->shelter_clear_free < 1 || t->national_clear_free < 1) {
		snprintf(err, errlen, "shelter_clear_free and "
		    "national_clear_free must be at least 1");
		return -1;
	}
	return 0;
}

int
esc_region_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free)
{
	/* Percent scaled by capacity so no rounding decides a threshold:
	 * "used * 100 >= pct * capacity" is exact. */
	uint64_t used100 = (uint64_t)(capacity - free) * 100;
	uint32_t raise_at[3] = { 0, t->region_warning_pct,
		t->region_critical_pct };
	int up = LEVEL_OK, level;

	if (capacity == 0)
		return LEVEL_OK; /* no beds of this kind: nothing to fill */
	for (int l = LEVEL_WARNING; l <= LEVEL_CRITICAL; l++)
		if (used100 >= (uint64_t)raise_at[l] * capacity)
			up = l;
	if (up >= current)
		return up;
	/* Going down: release a level only below its threshold minus the
	 * hysteresis band, one level at a time. */
	level = current;
	while (level > up &&
	    used100 < (uint64_t)(raise_at[level] - t->hysteresis_pct) *
	    capacity)
		level--;
	return level;
}

static int
no_free_level(int current, int raised, uint32_t capacity, uint32_t free,
    uint32_t clear_free)
{
	if (capacity == 0)
		return LEVEL_OK;
	if (free == 0)
		return raised;
	if (current != LEVEL_OK && free < clear_free)
		return current;
	return LEVEL_OK;
}

int
esc_shelter_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free)
{
	return no_free_level(current, LEVEL_WARNING, capacity, free,
	    t->shelter_clear_free);
}

int
esc_national_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free)
{
	return no_free_level(current, LEVEL_CRITICAL, capacity, free,
	    t->national_clear_free);
}

int
esc_early_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free, uint32_t expected_24h,
    uint32_t forecasting)
{
	uint64_t relief = (uint64_t)free + expected_24h;
	uint64_t used100, pct = t->early_warning_pct;
	/* The band stops short of 0 %, or the warning could never clear. */
	uint64_t band = t->hysteresis_pct < pct ? t->hysteresis_pct : pct - 1;

	if (capacity == 0 || forecasting == 0 || pct == 0)
		return LEVEL_OK;
	/* Over-reported forecasts cannot make more beds than there are. */
	used100 = relief >= capacity ? 0 : (capacity - relief) * 100;
	if (used100 >= pct * capacity)
		return LEVEL_WARNING;
	if (current != LEVEL_OK && used100 >= (pct - band) * capacity)
		return current;
	return LEVEL_OK;
}

/* ---- coverage --------------------------------------------------------- */

bool
esc_covered(const struct esc_thresholds *th, const struct totals *t,
    const struct coverage *c)
{
	/* Exact, like the region thresholds: no rounding decides it. */
	return c->registered_capacity == 0 ||
	    (uint64_t)cov_known_capacity(t, c) * 100 >=
	    (uint64_t)th->min_coverage_pct * c->registered_capacity;
}

int
esc_coverage_level(const struct esc_thresholds *th, int current,
    uint32_t registered, uint32_t known)
{
	uint64_t min = th->min_coverage_pct;
	uint64_t clear = min + th->hysteresis_pct;

	if (registered == 0 || min == 0)
		return LEVEL_OK;
	if ((uint64_t)known * 100 < min * registered)
		return LEVEL_WARNING;
	if (clear > 100)
		clear = 100;
	if (current != LEVEL_OK && (uint64_t)known * 100 < clear * registered)
		return current;
	return LEVEL_OK;
}

/* ---- levels ----------------------------------------------------------- */

static int
scope_level(const struct esc_thresholds *t, int scope, int current,
    uint32_t capacity, uint32_t free)
{
	switch (scope) {
	case SCOPE_SHELTER:
		return esc_shelter_level(t, current, capacity, free);
	case SCOPE_REGION:
		return esc_region_level(t, current, capacity, free);
	default:
		return esc_national_level(t, current, capacity, free);
	}
}

/* Re-evaluate one level in place; record a transition if it changed.
 * Without may_raise (too little is known) a level may only go down. */
static size_t
update_level(const struct esc_thresholds *t, int scope, int cat_index,
    uint8_t *level, uint32_t capacity, uint32_t free, bool may_raise,
    struct esc_transition *out)
{
	int next = scope_level(t, scope, *level, capacity, free);

	if (!may_raise && next > *level)
		next = *level;
	if (next == *level)
		return 0;
	memset(out, 0, sizeof(*out));
	out->scope = (uint8_t)scope;
	out->level = (uint8_t)next;
	out->previous = *level;
	out->category = (uint8_t)(cat_index + 1);
	out->capacity = capacity;
	out->free = free;
	out->kind = ESC_KIND_OCCUPANCY;
	out->expected_24h = 0;
	*level = (uint8_t)next;
	return 1;
}

static size_t
update_early(const struct esc_thresholds *t, int cat_index,
    const struct totals *tot, const struct coverage *c,
    struct outlook_totals *o, struct esc_transition *out)
{
	uint32_t known = cov_known_capacity(tot, c);
	int next = esc_early_level(t, o->early_level, known, tot->free,
	    o->free_24h, o->forecasting);

	if (next > o->early_level && !esc_covered(t, tot, c))
		next = o->early_level;
	if (next == o->early_level)
		return 0;
	memset(out, 0, sizeof(*out));
	out->scope = SCOPE_REGION;
	out->level = (uint8_t)next;
	out->previous = o->early_level;
	out->category = (uint8_t)(cat_index + 1);
	out->capacity = known;
	out->free = tot->free;
	out->kind = ESC_KIND_EARLY_WARNING;
	out->expected_24h = o->free_24h;
	o->early_level = (uint8_t)next;
	return 1;
}

static size_t
update_coverage(const struct esc_thresholds *t, int scope, int cat_index,
    const struct totals *tot, struct coverage *c, struct esc_transition *out)
{
	int next = esc_coverage_level(t, c->level, c->registered_capacity,
	    cov_known_capacity(tot, c));

	if (next == c->level)
		return 0;
	memset(out, 0, sizeof(*out));
	out->scope = (uint8_t)scope;
	out->level = (uint8_t)next;
	out->previous = c->level;
	out->category = (uint8_t)(cat_index + 1);
	out->capacity = c->registered_capacity;
	out->free = tot->free;
	out->kind = ESC_KIND_COVERAGE;
	out->unknown = cov_unknown_beds(tot, c);
	out->stale_shelters = c->stale_shelters;
	out->never_reported = cov_never_reported(c);
	c->level = (uint8_t)next;
	return 1;
}

size_t
esc_apply(const struct esc_thresholds *t, struct shelter_state *sh,
    struct aggregate *region, struct aggregate *nation,
    const struct shelter_state *next, struct esc_transition *out)
{
	uint8_t levels[CAT_COUNT];
	size_t n = 0;

	memcpy(levels, sh->level, sizeof(levels));
	aggregate_add(region, sh, -1);
	aggregate_add(nation, sh, -1);
	*sh = *next;
	memcpy(sh->level, levels, sizeof(levels));
	aggregate_add(region, sh, +1);
	aggregate_add(nation, sh, +1);

	for (int i = 0; i < CAT_COUNT; i++) {
		const struct bed_counts *b = &sh->beds[i];
		uint32_t cap = (sh->present & (1u << i)) ? b->capacity : 0;

		/* A stale shelter is not full, it is unknown: its own levels
		 * wait for its next report. */
		if (sh->stale)
			continue;
		n += update_level(t, SCOPE_SHELTER, i, &sh->level[i], cap,
		    beds_free(sh->status, b), true, out + n);
	}
	n += esc_reevaluate(t, SCOPE_REGION, region, out + n);
	n += esc_reevaluate(t, SCOPE_NATIONAL, nation, out + n);
	return n;
}

size_t
esc_reevaluate(const struct esc_thresholds *t, int scope,
    struct aggregate *agg, struct esc_transition *out)
{
	size_t n = 0;

	/* Over known beds: a bed nobody reported on is neither free nor
	 * occupied. */
	for (int i = 0; i < CAT_COUNT; i++)
		n += update_level(t, scope, i, &agg->cat[i].level,
		    cov_known_capacity(&agg->cat[i], &agg->cov[i]),
		    agg->cat[i].free, esc_covered(t, &agg->cat[i],
		    &agg->cov[i]), out + n);
	if (scope == SCOPE_REGION)
		for (int i = 0; i < CAT_COUNT; i++)
			n += update_early(t, i, &agg->cat[i], &agg->cov[i],
			    &agg->outlook[i], out + n);
	for (int i = 0; i < CAT_COUNT; i++)
		n += update_coverage(t, scope, i, &agg->cat[i], &agg->cov[i],
		    out + n);
	return n;
}
