/*
 * test_escalate.c — escalation levels, thresholds and esc_apply.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "escalate.h"

enum { WOMEN = 1, MINORS = 3 };

/* Region level for a region of 100 beds at pct % occupancy. */
static int
region_at(const struct esc_thresholds *t, int current, uint32_t pct)
{
	return esc_region_level(t, current, 100, 100 - pct);
}

static struct esc_thresholds
defaults(void)
{
	struct esc_thresholds t;

	memset(&t, 0xa5, sizeof(t));
	esc_thresholds_default(&t);
	return t;
}

/* ---- region level ---------------------------------------------------- */

static void
region_ok_below_warning(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_OK, 0), LEVEL_OK);
	assert_int_equal(region_at(&t, LEVEL_OK, 89), LEVEL_OK);
}

static void
region_warning_at_exactly_90(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_OK, 90), LEVEL_WARNING);
	assert_int_equal(region_at(&t, LEVEL_OK, 99), LEVEL_WARNING);
}

static void
region_threshold_is_exact_not_rounded(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	/* 899/1000 is 89.9 %: totals_pct would say 89, still not 90. */
	assert_int_equal(esc_region_level(&t, LEVEL_OK, 1000, 101),
	    LEVEL_OK);
	assert_int_equal(esc_region_level(&t, LEVEL_OK, 1000, 100),
	    LEVEL_WARNING);
	/* 28/31 is 90.3 %, 27/31 is 87.1 %. */
	assert_int_equal(esc_region_level(&t, LEVEL_OK, 31, 3),
	    LEVEL_WARNING);
	assert_int_equal(esc_region_level(&t, LEVEL_OK, 31, 4), LEVEL_OK);
}

static void
region_warning_to_critical_at_100(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_WARNING, 100), LEVEL_CRITICAL);
}

static void
region_ok_straight_to_critical(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_OK, 100), LEVEL_CRITICAL);
}

static void
region_critical_to_warning_below_95(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 94), LEVEL_WARNING);
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 90), LEVEL_WARNING);
}

static void
region_critical_stays_at_95_and_96(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 96), LEVEL_CRITICAL);
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 95), LEVEL_CRITICAL);
}

static void
region_warning_stays_inside_band(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	for (uint32_t pct = 85; pct <= 99; pct++)
		assert_int_equal(region_at(&t, LEVEL_WARNING, pct),
		    LEVEL_WARNING);
}

static void
region_warning_clears_below_85(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_WARNING, 84), LEVEL_OK);
	assert_int_equal(region_at(&t, LEVEL_WARNING, 0), LEVEL_OK);
	/* 849/1000 is under 85 %, 850/1000 is not. */
	assert_int_equal(esc_region_level(&t, LEVEL_WARNING, 1000, 151),
	    LEVEL_OK);
	assert_int_equal(esc_region_level(&t, LEVEL_WARNING, 1000, 150),
	    LEVEL_WARNING);
}

static void
region_critical_straight_to_ok_below_85(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 84), LEVEL_OK);
	assert_int_equal(region_at(&t, LEVEL_CRITICAL, 85), LEVEL_WARNING);
}

static void
region_oscillation_flaps_once(void **state)
{
	static const uint32_t pcts[] = { 89, 91, 88, 90, 87 };
	struct esc_thresholds t = defaults();
	int level = LEVEL_OK, transitions = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		int next = region_at(&t, level, pcts[i]);

		if (next != level)
			transitions++;
		level = next;
	}
	assert_int_equal(transitions, 1);
	assert_int_equal(level, LEVEL_WARNING);
}

static void
region_zero_capacity_is_ok(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_region_level(&t, LEVEL_OK, 0, 0), LEVEL_OK);
	assert_int_equal(esc_region_level(&t, LEVEL_CRITICAL, 0, 0),
	    LEVEL_OK);
}

/* ---- shelter and national level ------------------------------------- */

static void
shelter_warning_when_full(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_shelter_level(&t, LEVEL_OK, 5, 0),
	    LEVEL_WARNING);
	assert_int_equal(esc_shelter_level(&t, LEVEL_WARNING, 5, 0),
	    LEVEL_WARNING);
}

static void
shelter_ok_with_a_free_bed(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_shelter_level(&t, LEVEL_OK, 5, 1), LEVEL_OK);
	assert_int_equal(esc_shelter_level(&t, LEVEL_WARNING, 5, 1),
	    LEVEL_OK);
}

static void
shelter_clear_needs_clear_free_beds(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	t.shelter_clear_free = 2;
	assert_int_equal(esc_shelter_level(&t, LEVEL_WARNING, 5, 1),
	    LEVEL_WARNING);
	assert_int_equal(esc_shelter_level(&t, LEVEL_WARNING, 5, 2),
	    LEVEL_OK);
	/* Not raised: one free bed does not raise it either. */
	assert_int_equal(esc_shelter_level(&t, LEVEL_OK, 5, 1), LEVEL_OK);
}

static void
shelter_zero_capacity_is_ok(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_shelter_level(&t, LEVEL_WARNING, 0, 0),
	    LEVEL_OK);
}

static void
national_critical_when_no_free_bed(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_national_level(&t, LEVEL_OK, 500, 0),
	    LEVEL_CRITICAL);
	assert_int_equal(esc_national_level(&t, LEVEL_OK, 500, 1), LEVEL_OK);
}

static void
national_clear_needs_clear_free_beds(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	t.national_clear_free = 3;
	assert_int_equal(esc_national_level(&t, LEVEL_CRITICAL, 500, 2),
	    LEVEL_CRITICAL);
	assert_int_equal(esc_national_level(&t, LEVEL_CRITICAL, 500, 3),
	    LEVEL_OK);
}

static void
national_zero_capacity_is_ok(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_national_level(&t, LEVEL_CRITICAL, 0, 0),
	    LEVEL_OK);
}

/* ---- thresholds ------------------------------------------------------ */

static void
thresholds_defaults(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256] = "";

	(void)state;
	assert_int_equal(t.region_warning_pct, 90);
	assert_int_equal(t.region_critical_pct, 100);
	assert_int_equal(t.hysteresis_pct, 5);
	assert_int_equal(t.shelter_clear_free, 1);
	assert_int_equal(t.national_clear_free, 1);
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), 0);
}

static void
thresholds_reject_warning_above_critical(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256] = "";

	(void)state;
	t.region_warning_pct = 95;
	t.region_critical_pct = 94;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "95"));
	assert_non_null(strstr(err, "94"));
}

static void
thresholds_reject_out_of_range_pct(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256];

	(void)state;
	t.region_critical_pct = 101;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
	t = defaults();
	t.region_warning_pct = 0;
	t.hysteresis_pct = 0;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
}

static void
thresholds_reject_hysteresis_not_below_warning(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256] = "";

	(void)state;
	t.hysteresis_pct = 90;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "hysteresis"));
	t.hysteresis_pct = 91;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
	t.hysteresis_pct = 89;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), 0);
}

static void
thresholds_reject_zero_clear_free(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256];

	(void)state;
	t.shelter_clear_free = 0;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
	t = defaults();
	t.national_clear_free = 0;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), -1);
}

static void
thresholds_accept_warning_equal_critical(void **state)
{
	struct esc_thresholds t = defaults();
	char err[256];

	(void)state;
	t.region_warning_pct = 100;
	assert_int_equal(esc_thresholds_check(&t, err, sizeof(err)), 0);
}

/* ---- esc_apply -------------------------------------------------------- */

struct world {
	struct esc_thresholds t;
	struct aggregate region, other_region, nation;
	struct shelter_state sh, other;
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
};

static struct shelter_state
report(uint64_t seq, int status)
{
	struct shelter_state s;

	memset(&s, 0, sizeof(s));
	s.seq = seq;
	s.observed_at = 1700000000 + (int64_t)seq;
	s.status = (uint8_t)status;
	return s;
}

static void
set_beds(struct shelter_state *s, int cat, uint32_t capacity,
    uint32_t occupied, uint32_t out_of_service)
{
	s->present |= (uint8_t)(1u << (cat - 1));
	s->beds[cat - 1] = (struct bed_counts){ .capacity = capacity,
		.occupied = occupied, .out_of_service = out_of_service };
}

static int
world_setup(void **state)
{
	struct world *w = test_calloc(1, sizeof(*w));
	struct shelter_state other = report(1, SH_STATUS_OPEN);

	if (w == NULL)
		return -1;
	w->t = defaults();
	/* Another region's shelter: 10 women's beds, all free. */
	set_beds(&other, WOMEN, 10, 0, 0);
	assert_int_equal(esc_apply(&w->t, &w->other, &w->other_region,
	    &w->nation, &other, w->tr), 0);
	*state = w;
	return 0;
}

static int
world_teardown(void **state)
{
	test_free(*state);
	return 0;
}

static size_t
apply(struct world *w, const struct shelter_state *next)
{
	memset(w->tr, 0xee, sizeof(w->tr));
	return esc_apply(&w->t, &w->sh, &w->region, &w->nation, next,
	    w->tr);
}

#define assert_transition(tr, scope, level, previous, cat, cap, free) \
	check_transition((tr), (scope), (level), (previous), (cat), (cap), \
	    (free), __FILE__, __LINE__)

static void
check_transition(const struct esc_transition *tr, int scope, int level,
    int previous, int cat, uint32_t cap, uint32_t free, const char *file,
    int line)
{
	_assert_int_equal(tr->scope, (LargestIntegralType)scope, file, line);
	_assert_int_equal(tr->level, (LargestIntegralType)level, file, line);
	_assert_int_equal(tr->previous, (LargestIntegralType)previous, file,
	    line);
	_assert_int_equal(tr->category, (LargestIntegralType)cat, file, line);
	_assert_int_equal(tr->capacity, cap, file, line);
	_assert_int_equal(tr->free, free, file, line);
}

#define assert_totals(tot, cap, occ, oos, fr, lvl) \
	check_totals((tot), (cap), (occ), (oos), (fr), (lvl), __FILE__, \
	    __LINE__)

static void
check_totals(const struct totals *t, uint32_t cap, uint32_t occ,
    uint32_t oos, uint32_t free, int level, const char *file, int line)
{
	_assert_int_equal(t->capacity, cap, file, line);
	_assert_int_equal(t->occupied, occ, file, line);
	_assert_int_equal(t->out_of_service, oos, file, line);
	_assert_int_equal(t->free, free, file, line);
	_assert_int_equal(t->level, (LargestIntegralType)level, file, line);
}

/* women 10 (9 occupied: 90 %), minors 4 (all occupied). */
static struct shelter_state
first_report(void)
{
	struct shelter_state r = report(1, SH_STATUS_OPEN);

	set_beds(&r, WOMEN, 10, 9, 0);
	set_beds(&r, MINORS, 4, 3, 1);
	return r;
}

static void
apply_first_report_transitions(void **state)
{
	struct world *w = *state;
	struct shelter_state r = first_report();

	assert_int_equal(apply(w, &r), 4);
	/* Shelter scope first, then region, then nation. */
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_WARNING, LEVEL_OK,
	    MINORS, 4, 0);
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 10, 1);
	assert_transition(&w->tr[2], SCOPE_REGION, LEVEL_CRITICAL, LEVEL_OK,
	    MINORS, 4, 0);
	/* Nation women has the other region's free beds: no change. */
	assert_transition(&w->tr[3], SCOPE_NATIONAL, LEVEL_CRITICAL,
	    LEVEL_OK, MINORS, 4, 0);
}

static void
apply_first_report_aggregates(void **state)
{
	struct world *w = *state;
	struct shelter_state r = first_report();

	apply(w, &r);
	assert_int_equal(w->sh.seq, 1);
	assert_int_equal(w->sh.level[WOMEN - 1], LEVEL_OK);
	assert_int_equal(w->sh.level[MINORS - 1], LEVEL_WARNING);
	assert_int_equal(w->region.shelters_reported, 1);
	assert_totals(&w->region.cat[WOMEN - 1], 10, 9, 0, 1, LEVEL_WARNING);
	assert_totals(&w->region.cat[MINORS - 1], 4, 3, 1, 0,
	    LEVEL_CRITICAL);
	assert_int_equal(w->nation.shelters_reported, 2);
	assert_totals(&w->nation.cat[WOMEN - 1], 20, 9, 0, 11, LEVEL_OK);
	assert_totals(&w->nation.cat[MINORS - 1], 4, 3, 1, 0,
	    LEVEL_CRITICAL);
}

static void
apply_replacement_not_double_counted(void **state)
{
	struct world *w = *state;
	struct shelter_state r1 = first_report();
	struct shelter_state r2 = report(2, SH_STATUS_OPEN);

	set_beds(&r2, WOMEN, 12, 2, 1);
	set_beds(&r2, MINORS, 4, 1, 0);
	apply(w, &r1);
	apply(w, &r2);
	assert_int_equal(w->region.shelters_reported, 1);
	assert_int_equal(w->nation.shelters_reported, 2);
	assert_totals(&w->region.cat[WOMEN - 1], 12, 2, 1, 9, LEVEL_OK);
	assert_totals(&w->region.cat[MINORS - 1], 4, 1, 0, 3, LEVEL_OK);
	assert_totals(&w->nation.cat[WOMEN - 1], 22, 2, 1, 19, LEVEL_OK);
	assert_totals(&w->nation.cat[MINORS - 1], 4, 1, 0, 3, LEVEL_OK);
}

static void
apply_replacement_clears_levels(void **state)
{
	struct world *w = *state;
	struct shelter_state r1 = first_report();
	struct shelter_state r2 = report(2, SH_STATUS_OPEN);

	set_beds(&r2, WOMEN, 12, 2, 1);
	set_beds(&r2, MINORS, 4, 1, 0);
	apply(w, &r1);
	assert_int_equal(apply(w, &r2), 4);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_OK, LEVEL_WARNING,
	    MINORS, 4, 3);
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_OK, LEVEL_WARNING,
	    WOMEN, 12, 9);
	assert_transition(&w->tr[2], SCOPE_REGION, LEVEL_OK, LEVEL_CRITICAL,
	    MINORS, 4, 3);
	assert_transition(&w->tr[3], SCOPE_NATIONAL, LEVEL_OK,
	    LEVEL_CRITICAL, MINORS, 4, 3);
	assert_int_equal(w->sh.level[MINORS - 1], LEVEL_OK);
}

static void
apply_same_report_again_no_transition(void **state)
{
	struct world *w = *state;
	struct shelter_state r = first_report();
	struct aggregate region;

	apply(w, &r);
	region = w->region;
	r.seq = 2;
	assert_int_equal(apply(w, &r), 0);
	assert_memory_equal(&w->region, &region, sizeof(region));
}

static void
apply_ignores_levels_of_next(void **state)
{
	struct world *w = *state;
	struct shelter_state r = first_report();

	memset(r.level, LEVEL_CRITICAL, sizeof(r.level));
	assert_int_equal(apply(w, &r), 4);
	assert_int_equal(w->sh.level[WOMEN - 1], LEVEL_OK);
	assert_int_equal(w->sh.level[MINORS - 1], LEVEL_WARNING);
	assert_int_equal(w->sh.level[1], LEVEL_OK);
}

static void
apply_ignores_beds_of_absent_categories(void **state)
{
	struct world *w = *state;
	struct shelter_state r = first_report();

	/* Counts without the present bit are not part of the report. */
	r.beds[1] = (struct bed_counts){ 5, 5, 0, 0 };
	assert_int_equal(apply(w, &r), 4);
	assert_int_equal(w->sh.level[1], LEVEL_OK);
	assert_totals(&w->region.cat[1], 0, 0, 0, 0, LEVEL_OK);
	assert_totals(&w->nation.cat[1], 0, 0, 0, 0, LEVEL_OK);
}

/* One open shelter, 10 women's beds, 2 occupied; then status changes. */
static void
status_change(struct world *w, int status, size_t *n)
{
	struct shelter_state r1 = report(1, SH_STATUS_OPEN);
	struct shelter_state r2 = report(2, status);

	set_beds(&r1, WOMEN, 10, 2, 0);
	set_beds(&r2, WOMEN, 10, 2, 0);
	assert_int_equal(apply(w, &r1), 0);
	*n = apply(w, &r2);
}

static void
apply_closed_shelter_beds_not_free(void **state)
{
	struct world *w = *state;
	size_t n;

	status_change(w, SH_STATUS_CLOSED, &n);
	assert_int_equal(n, 2);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 10, 0);
	/* Its only shelter closed: the region has no free bed at all. */
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_CRITICAL, LEVEL_OK,
	    WOMEN, 10, 0);
	assert_totals(&w->region.cat[WOMEN - 1], 10, 2, 0, 0,
	    LEVEL_CRITICAL);
	assert_totals(&w->nation.cat[WOMEN - 1], 20, 2, 0, 10, LEVEL_OK);
}

static void
apply_paused_shelter_beds_not_free(void **state)
{
	struct world *w = *state;
	size_t n;

	status_change(w, SH_STATUS_INTAKE_PAUSED, &n);
	assert_int_equal(n, 2);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 10, 0);
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_CRITICAL, LEVEL_OK,
	    WOMEN, 10, 0);
	assert_totals(&w->region.cat[WOMEN - 1], 10, 2, 0, 0,
	    LEVEL_CRITICAL);
}

static void
apply_nation_critical_when_all_closed(void **state)
{
	struct world *w = *state;
	struct shelter_state closed = report(2, SH_STATUS_CLOSED);
	size_t n;

	set_beds(&closed, WOMEN, 10, 0, 0);
	status_change(w, SH_STATUS_CLOSED, &n);
	/* Now close the other region's shelter too. */
	n = esc_apply(&w->t, &w->other, &w->other_region, &w->nation,
	    &closed, w->tr);
	assert_int_equal(n, 3);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 10, 0);
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_CRITICAL, LEVEL_OK,
	    WOMEN, 10, 0);
	assert_transition(&w->tr[2], SCOPE_NATIONAL, LEVEL_CRITICAL,
	    LEVEL_OK, WOMEN, 20, 0);
	assert_totals(&w->nation.cat[WOMEN - 1], 20, 2, 0, 0,
	    LEVEL_CRITICAL);
}

static void
apply_reopened_shelter_clears(void **state)
{
	struct world *w = *state;
	struct shelter_state open = report(3, SH_STATUS_OPEN);
	size_t n;

	status_change(w, SH_STATUS_CLOSED, &n);
	set_beds(&open, WOMEN, 10, 2, 0);
	assert_int_equal(apply(w, &open), 2);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_OK, LEVEL_WARNING,
	    WOMEN, 10, 8);
	/* 20 %: critical releases straight through warning to ok. */
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_OK, LEVEL_CRITICAL,
	    WOMEN, 10, 8);
	assert_totals(&w->region.cat[WOMEN - 1], 10, 2, 0, 8, LEVEL_OK);
}

static void
apply_omitted_category_keeps_nothing(void **state)
{
	struct world *w = *state;
	struct shelter_state r1 = first_report();
	struct shelter_state r2 = report(2, SH_STATUS_OPEN);

	set_beds(&r2, WOMEN, 10, 9, 0);
	apply(w, &r1);
	assert_int_equal(apply(w, &r2), 3);
	assert_transition(&w->tr[0], SCOPE_SHELTER, LEVEL_OK, LEVEL_WARNING,
	    MINORS, 0, 0);
	assert_transition(&w->tr[1], SCOPE_REGION, LEVEL_OK, LEVEL_CRITICAL,
	    MINORS, 0, 0);
	assert_transition(&w->tr[2], SCOPE_NATIONAL, LEVEL_OK,
	    LEVEL_CRITICAL, MINORS, 0, 0);
	assert_totals(&w->region.cat[MINORS - 1], 0, 0, 0, 0, LEVEL_OK);
	assert_totals(&w->region.cat[WOMEN - 1], 10, 9, 0, 1, LEVEL_WARNING);
}

/* ---- esc_reevaluate -------------------------------------------------- */

/* A region whose women's beds are 85 % used: 100 beds, 15 free. */
static void
region_at_85(struct aggregate *agg)
{
	memset(agg, 0, sizeof(*agg));
	agg->cat[WOMEN - 1].capacity = 100;
	agg->cat[WOMEN - 1].occupied = 85;
	agg->cat[WOMEN - 1].free = 15;
}

static void
reevaluate_lowered_warning_raises(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;

	(void)state;
	region_at_85(&agg);
	assert_int_equal(esc_reevaluate(&t, SCOPE_REGION, &agg, tr), 0);
	t.region_warning_pct = 80;
	assert_int_equal(esc_reevaluate(&t, SCOPE_REGION, &agg, tr), 1);
	assert_transition(&tr[0], SCOPE_REGION, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 100, 15);
	assert_int_equal(agg.cat[WOMEN - 1].level, LEVEL_WARNING);
}

static void
reevaluate_raised_warning_releases_with_hysteresis(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;

	(void)state;
	region_at_85(&agg);
	agg.cat[WOMEN - 1].level = LEVEL_WARNING;
	/* Warning at 90: released under 85, and 85 is not under. */
	assert_int_equal(esc_reevaluate(&t, SCOPE_REGION, &agg, tr), 0);
	t.region_warning_pct = 95;
	assert_int_equal(esc_reevaluate(&t, SCOPE_REGION, &agg, tr), 1);
	assert_transition(&tr[0], SCOPE_REGION, LEVEL_OK, LEVEL_WARNING,
	    WOMEN, 100, 15);
	assert_int_equal(agg.cat[WOMEN - 1].level, LEVEL_OK);
}

static void
reevaluate_national_scope_uses_free_beds(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;

	(void)state;
	region_at_85(&agg);
	agg.cat[MINORS - 1].capacity = 3;
	agg.cat[MINORS - 1].occupied = 3;
	agg.cat[MINORS - 1].level = LEVEL_OK;
	agg.cat[WOMEN - 1].level = LEVEL_CRITICAL;
	t.national_clear_free = 20;
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 1);
	assert_transition(&tr[0], SCOPE_NATIONAL, LEVEL_CRITICAL, LEVEL_OK,
	    MINORS, 3, 0);
	t.national_clear_free = 15;
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 1);
	assert_transition(&tr[0], SCOPE_NATIONAL, LEVEL_OK, LEVEL_CRITICAL,
	    WOMEN, 100, 15);
}

/* ---- coverage: known, unknown and never reported ----------------------- */

/* A nation of `shelters` registered shelters of 20 women's beds each, of
 * which `full` reported full and `stale` of those are stale. */
static void
nation_of(struct aggregate *agg, uint32_t shelters, uint32_t full,
    uint32_t stale)
{
	struct totals *t = &agg->cat[WOMEN - 1];
	struct coverage *c = &agg->cov[WOMEN - 1];

	memset(agg, 0, sizeof(*agg));
	c->registered_capacity = 20 * shelters;
	c->registered_shelters = shelters;
	c->reported_shelters = full;
	c->stale_shelters = stale;
	c->stale_capacity = 20 * stale;
	t->capacity = 20 * full;
	t->occupied = 20 * full;
	t->free = 0;
}

static void
cold_start_one_full_shelter_is_no_national_critical(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;
	char text[160];

	(void)state;
	/* One of 249 reported full: nothing is free of what is known, but
	 * almost nothing is known. */
	nation_of(&agg, 249, 1, 0);
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 1);
	assert_int_equal(tr[0].kind, ESC_KIND_COVERAGE);
	assert_int_equal(tr[0].level, LEVEL_WARNING);
	assert_int_equal(tr[0].capacity, 4980);
	assert_int_equal(tr[0].unknown, 4960);
	assert_int_equal(tr[0].never_reported, 248);
	assert_int_equal(tr[0].stale_shelters, 0);
	assert_int_equal(agg.cat[WOMEN - 1].level, LEVEL_OK);
	cov_text(text, sizeof(text), "national", "women", tr[0].capacity,
	    tr[0].unknown, tr[0].stale_shelters, tr[0].never_reported);
	assert_string_equal(text, "national women: 4960 of 4980 beds "
	    "unknown; 0 shelters stale, 248 never reported");
	/* The same again: no new transition. */
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 0);
}

static void
occupancy_over_known_beds_once_covered(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;

	(void)state;
	/* 3 of 4 shelters reported full: 75 % known, no bed free. */
	nation_of(&agg, 4, 3, 0);
	assert_true(esc_covered(&t, &agg.cat[WOMEN - 1], &agg.cov[WOMEN - 1]));
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 1);
	assert_transition(&tr[0], SCOPE_NATIONAL, LEVEL_CRITICAL, LEVEL_OK,
	    WOMEN, 60, 0);
	/* Exactly half known is enough (>= min_coverage_pct). */
	nation_of(&agg, 4, 2, 0);
	assert_true(esc_covered(&t, &agg.cat[WOMEN - 1], &agg.cov[WOMEN - 1]));
	nation_of(&agg, 5, 2, 0);
	assert_false(esc_covered(&t, &agg.cat[WOMEN - 1],
	    &agg.cov[WOMEN - 1]));
}

static void
a_stale_shelter_is_unknown_not_full(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;
	struct totals *w = &agg.cat[WOMEN - 1];

	(void)state;
	/* A region's only shelter of a category went stale: its capacity
	 * is still in the totals, its beds are not free. */
	nation_of(&agg, 1, 1, 1);
	w->unknown = 3;
	assert_int_equal(cov_known_capacity(w, &agg.cov[WOMEN - 1]), 0);
	assert_int_equal(cov_unknown_beds(w, &agg.cov[WOMEN - 1]), 20);
	assert_int_equal(cov_never_reported(&agg.cov[WOMEN - 1]), 0);
	assert_int_equal(cov_pct(w, &agg.cov[WOMEN - 1]), 0);
	assert_int_equal(esc_reevaluate(&t, SCOPE_REGION, &agg, tr), 1);
	assert_int_equal(tr[0].kind, ESC_KIND_COVERAGE);
	assert_int_equal(tr[0].scope, SCOPE_REGION);
	assert_int_equal(tr[0].stale_shelters, 1);
	assert_int_equal(w->level, LEVEL_OK);
}

static void
without_coverage_a_level_only_goes_down(void **state)
{
	struct esc_thresholds t = defaults();
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate agg;

	(void)state;
	/* Critical while known; then 3 of 4 go stale and the fourth has a
	 * bed free: the level may clear on what is known... */
	nation_of(&agg, 4, 4, 3);
	agg.cat[WOMEN - 1].level = LEVEL_CRITICAL;
	agg.cat[WOMEN - 1].free = 1;
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 2);
	assert_transition(&tr[0], SCOPE_NATIONAL, LEVEL_OK, LEVEL_CRITICAL,
	    WOMEN, 20, 1);
	assert_int_equal(tr[1].kind, ESC_KIND_COVERAGE);
	/* ...but not rise again on it. */
	agg.cat[WOMEN - 1].free = 0;
	assert_int_equal(esc_reevaluate(&t, SCOPE_NATIONAL, &agg, tr), 0);
	assert_int_equal(agg.cat[WOMEN - 1].level, LEVEL_OK);
}

static void
coverage_releases_with_hysteresis(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_coverage_level(&t, LEVEL_OK, 100, 49),
	    LEVEL_WARNING);
	assert_int_equal(esc_coverage_level(&t, LEVEL_OK, 100, 50),
	    LEVEL_OK);
	/* Raised: released only at 55 %. */
	assert_int_equal(esc_coverage_level(&t, LEVEL_WARNING, 100, 54),
	    LEVEL_WARNING);
	assert_int_equal(esc_coverage_level(&t, LEVEL_WARNING, 100, 55),
	    LEVEL_OK);
	/* The band stops at 100 %, or it could never clear. */
	t.min_coverage_pct = 98;
	assert_int_equal(esc_coverage_level(&t, LEVEL_WARNING, 100, 100),
	    LEVEL_OK);
	/* Off, or nothing registered: never. */
	t.min_coverage_pct = 0;
	assert_int_equal(esc_coverage_level(&t, LEVEL_OK, 100, 0), LEVEL_OK);
	t.min_coverage_pct = 50;
	assert_int_equal(esc_coverage_level(&t, LEVEL_OK, 0, 0), LEVEL_OK);
}

static void
coverage_text_words_it(void **state)
{
	char text[160];

	(void)state;
	cov_text(text, sizeof(text), "VR19", "women", 20, 12, 3, 1);
	assert_string_equal(text, "VR19 women: 12 of 20 beds unknown; 3 "
	    "shelters stale, 1 never reported");
	cov_text(text, sizeof(text), "VR01", "men", 1, 1, 1, 0);
	assert_string_equal(text, "VR01 men: 1 of 1 bed unknown; 1 shelter "
	    "stale, 0 never reported");
}

/* ---- early warning (outflow forecasts) -------------------------------- */

static void
early_needs_a_forecast(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	/* Full, but nobody forecasts: the region level does the job. */
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 0, 0, 0),
	    LEVEL_OK);
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 0, 0, 1),
	    LEVEL_WARNING);
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 0, 0, 0, 1),
	    LEVEL_OK);
	t.early_warning_pct = 0;
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 0, 0, 1),
	    LEVEL_OK);
}

static void
early_counts_expected_free_beds(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	/* 15 free of 100: 85 % used, above 80 %, before the 90 % warning. */
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 15, 0, 1),
	    LEVEL_WARNING);
	/* Exactly 80 % with the expected ones: raised. */
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 15, 5, 1),
	    LEVEL_WARNING);
	/* 10 more expected within 24 h: 75 %, no early warning. */
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 100, 15, 10, 1),
	    LEVEL_OK);
	/* More expected than there are beds: not below 0 %. */
	assert_int_equal(esc_early_level(&t, LEVEL_OK, 10, 5, 50, 1),
	    LEVEL_OK);
}

static void
early_releases_with_hysteresis(void **state)
{
	struct esc_thresholds t = defaults();

	(void)state;
	assert_int_equal(esc_early_level(&t, LEVEL_WARNING, 100, 25, 0, 1),
	    LEVEL_WARNING);
	assert_int_equal(esc_early_level(&t, LEVEL_WARNING, 100, 20, 6, 1),
	    LEVEL_OK);
	/* A band wider than the threshold still clears at 0 %. */
	t.hysteresis_pct = 85;
	assert_int_equal(esc_early_level(&t, LEVEL_WARNING, 100, 98, 0, 1),
	    LEVEL_WARNING);
	assert_int_equal(esc_early_level(&t, LEVEL_WARNING, 100, 100, 0, 1),
	    LEVEL_OK);
}

static void
apply_early_warning_follows_forecasts(void **state)
{
	struct world *w = *state;
	struct shelter_state r = report(1, SH_STATUS_OPEN);

	/* 8 of 10 occupied, no bed expected to free: 80 %. */
	set_beds(&r, WOMEN, 10, 8, 0);
	r.forecast = 1u << (WOMEN - 1);
	assert_int_equal(apply(w, &r), 1);
	assert_transition(&w->tr[0], SCOPE_REGION, LEVEL_WARNING, LEVEL_OK,
	    WOMEN, 10, 2);
	assert_int_equal(w->tr[0].kind, ESC_KIND_EARLY_WARNING);
	assert_int_equal(w->tr[0].expected_24h, 0);
	assert_int_equal(w->region.outlook[WOMEN - 1].forecasting, 1);
	assert_int_equal(w->region.cat[WOMEN - 1].level, LEVEL_OK);
	/* Two expected to free within 24 h: 60 %, cleared. */
	r.seq = 2;
	r.expect[WOMEN - 1] = (struct bed_outlook){ 2, 3 };
	assert_int_equal(apply(w, &r), 1);
	assert_transition(&w->tr[0], SCOPE_REGION, LEVEL_OK, LEVEL_WARNING,
	    WOMEN, 10, 2);
	assert_int_equal(w->tr[0].expected_24h, 2);
	assert_int_equal(w->region.outlook[WOMEN - 1].free_72h, 3);
	assert_int_equal(w->nation.outlook[WOMEN - 1].free_24h, 2);
	/* Stale: its forecast counts no more than its free beds. */
	r.expect[WOMEN - 1] = (struct bed_outlook){ 0, 0 };
	r.seq = 3;
	assert_int_equal(apply(w, &r), 1);
	r.stale = 1;
	/* Its beds are unknown, neither free nor full: no region level is
	 * raised over them, and the early warning, with no forecast left,
	 * clears. */
	assert_int_equal(apply(w, &r), 1);
	assert_int_equal(w->tr[0].kind, ESC_KIND_EARLY_WARNING);
	assert_int_equal(w->tr[0].level, LEVEL_OK);
	assert_int_equal(w->region.cat[WOMEN - 1].level, LEVEL_OK);
	assert_int_equal(w->region.outlook[WOMEN - 1].forecasting, 0);
}

static void
apply_without_forecast_no_early_warning(void **state)
{
	struct world *w = *state;
	struct shelter_state r = report(1, SH_STATUS_OPEN);

	/* Expected beds without the forecast flag are not a forecast (the
	 * validator sets the flag whenever a count is given). */
	set_beds(&r, WOMEN, 10, 8, 0);
	assert_int_equal(apply(w, &r), 0);
	assert_int_equal(w->region.outlook[WOMEN - 1].early_level, LEVEL_OK);
}

#define world_test(f) \
	cmocka_unit_test_setup_teardown(f, world_setup, world_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(region_ok_below_warning),
		cmocka_unit_test(region_warning_at_exactly_90),
		cmocka_unit_test(region_threshold_is_exact_not_rounded),
		cmocka_unit_test(region_warning_to_critical_at_100),
		cmocka_unit_test(region_ok_straight_to_critical),
		cmocka_unit_test(region_critical_to_warning_below_95),
		cmocka_unit_test(region_critical_stays_at_95_and_96),
		cmocka_unit_test(region_warning_stays_inside_band),
		cmocka_unit_test(region_warning_clears_below_85),
		cmocka_unit_test(region_critical_straight_to_ok_below_85),
		cmocka_unit_test(region_oscillation_flaps_once),
		cmocka_unit_test(region_zero_capacity_is_ok),
		cmocka_unit_test(shelter_warning_when_full),
		cmocka_unit_test(shelter_ok_with_a_free_bed),
		cmocka_unit_test(shelter_clear_needs_clear_free_beds),
		cmocka_unit_test(shelter_zero_capacity_is_ok),
		cmocka_unit_test(national_critical_when_no_free_bed),
		cmocka_unit_test(national_clear_needs_clear_free_beds),
		cmocka_unit_test(national_zero_capacity_is_ok),
		cmocka_unit_test(thresholds_defaults),
		cmocka_unit_test(thresholds_reject_warning_above_critical),
		cmocka_unit_test(thresholds_reject_out_of_range_pct),
		cmocka_unit_test(
		    thresholds_reject_hysteresis_not_below_warning),
		cmocka_unit_test(thresholds_reject_zero_clear_free),
		cmocka_unit_test(thresholds_accept_warning_equal_critical),
		world_test(apply_first_report_transitions),
		world_test(apply_first_report_aggregates),
		world_test(apply_replacement_not_double_counted),
		world_test(apply_replacement_clears_levels),
		world_test(apply_same_report_again_no_transition),
		world_test(apply_ignores_levels_of_next),
		world_test(apply_ignores_beds_of_absent_categories),
		world_test(apply_closed_shelter_beds_not_free),
		world_test(apply_paused_shelter_beds_not_free),
		world_test(apply_nation_critical_when_all_closed),
		world_test(apply_reopened_shelter_clears),
		world_test(apply_omitted_category_keeps_nothing),
		cmocka_unit_test(reevaluate_lowered_warning_raises),
		cmocka_unit_test(
		    reevaluate_raised_warning_releases_with_hysteresis),
		cmocka_unit_test(reevaluate_national_scope_uses_free_beds),
		cmocka_unit_test(early_needs_a_forecast),
		cmocka_unit_test(early_counts_expected_free_beds),
		cmocka_unit_test(early_releases_with_hysteresis),
		world_test(apply_early_warning_follows_forecasts),
		world_test(apply_without_forecast_no_early_warning),
		cmocka_unit_test(
		    cold_start_one_full_shelter_is_no_national_critical),
		cmocka_unit_test(occupancy_over_known_beds_once_covered),
		cmocka_unit_test(a_stale_shelter_is_unknown_not_full),
		cmocka_unit_test(without_coverage_a_level_only_goes_down),
		cmocka_unit_test(coverage_releases_with_hysteresis),
		cmocka_unit_test(coverage_text_words_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
