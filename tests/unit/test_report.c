/*
 * test_report.c — the monthly report and trends from a known month: a
 * fixture of samples and placement records whose every number is worked
 * out by hand in the comments.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "placement.h"
#include "report.h"

enum { WOMEN = 1, MINORS = 3, DAY = 86400, HOUR = 3600 };
enum { R0, R1, N_GROUPS, NATIONAL = N_GROUPS };
enum { SH_A, SH_B, SH_C, N_SHELTERS };

/* 2026-03-01T00:00:00Z: a month of 31 days. */
static const int64_t MARCH = 1772323200, APRIL = 1775001600;

#define assert_near(a, b) \
	check_near((a), (b), __FILE__, __LINE__)

static void
check_near(double got, double want, const char *file, int line)
{
	double d = got - want;

	if (d < -1e-9 || d > 1e-9) {
		print_error("%.12f != %.12f\n", got, want);
		_fail(file, line);
	}
}

static struct rep_sample
sample(int64_t at, int shelter, int group, int cat, uint32_t cap,
    uint32_t free, uint32_t occ)
{
	struct rep_sample s;

	memset(&s, 0, sizeof(s));
	s.at = at;
	s.shelter = (uint32_t)shelter;
	s.group = (uint16_t)group;
	s.category = (uint8_t)cat;
	s.capacity = cap;
	s.free = free;
	s.occupied = occ;
	return s;
}

/*
 * Region R0 (shelters A and B, women):
 *   from Feb:      A 10 beds 5 free, B 10 beds 10 free   -> 25 %
 *   day 1 00:00:   A full                                 -> 50 %
 *   day 2 00:00:   B full                                 -> 100 % critical
 *   day 2 12:00:   A 5 free                               -> 75 % to the end
 *   average (25*1 + 50*1 + 100*0.5 + 75*28.5) / 31 days = 72.983870...
 * Region R1 (shelter C): no history until day 9; 4 beds free, full from
 *   day 10 on: average (0*1 + 100*21) / 22 days, critical on 21 days.
 *   C also has 2 minors beds, 1 free, from before the month.
 * Nation (women): 25, 50, 100 (half a day), 75 (to day 9), 62.5 (day 9:
 *   15 of 24 used), 79.1666 (from day 10: 19 of 24):
 *   (25 + 50 + 50 + 75*6.5 + 62.5 + 79.1666*21) / 31 = 2337.5 / 31.
 */
static size_t
fixture_samples(struct rep_sample *v)
{
	size_t n = 0;

	v[n++] = sample(MARCH - 9 * DAY, SH_A, R0, WOMEN, 10, 5, 5);
	/* An older state of B, superseded before the month starts. */
	v[n++] = sample(MARCH - 20 * DAY, SH_B, R0, WOMEN, 10, 0, 10);
	v[n++] = sample(MARCH - 8 * DAY, SH_B, R0, WOMEN, 10, 10, 0);
	v[n++] = sample(MARCH + 1 * DAY, SH_A, R0, WOMEN, 10, 0, 10);
	v[n++] = sample(MARCH + 2 * DAY, SH_B, R0, WOMEN, 10, 0, 10);
	v[n++] = sample(MARCH + 2 * DAY + 12 * HOUR, SH_A, R0, WOMEN, 10, 5,
	    5);
	v[n++] = sample(MARCH + 9 * DAY, SH_C, R1, WOMEN, 4, 4, 0);
	v[n++] = sample(MARCH + 10 * DAY, SH_C, R1, WOMEN, 4, 0, 4);
	v[n++] = sample(MARCH - 30 * DAY, SH_C, R1, MINORS, 2, 1, 1);
	/* After the month: never counted. */
	v[n++] = sample(APRIL, SH_A, R0, WOMEN, 10, 10, 0);
	v[n++] = sample(APRIL + DAY, SH_C, R1, WOMEN, 4, 4, 0);
	return n;
}

static struct rep_place
place(int64_t at, int64_t waited, int group, int step, bool own,
    int reason)
{
	struct rep_place p;

	memset(&p, 0, sizeof(p));
	p.at = at;
	p.created_at = at - waited;
	p.group = (uint16_t)group;
	p.category = WOMEN;
	p.step = (uint8_t)step;
	p.in_own_region = own;
	p.reason = (uint8_t)reason;
	return p;
}

/*
 * R0: 6 requests; accepted: 5 elsewhere (1..5 h) and 1 at home (10 min):
 *   sorted waits 600 3600 7200 10800 14400 18000: median (rank 3) 7200,
 *   p90 (rank 6) 18000; 1 unplaced; declines "no bed" twice,
 *   "no match" once, and one expired hold.
 * R1: 1 request, 1 cancelled. One request of February is not counted.
 */
static size_t
fixture_places(struct rep_place *v)
{
	int64_t t = MARCH + 3 * DAY;
	size_t n = 0;

	for (int i = 0; i < 6; i++)
		v[n++] = place(t + i, 0, R0, REP_REQUESTED, false, 0);
	v[n++] = place(t, 0, R1, REP_REQUESTED, false, 0);
	v[n++] = place(MARCH - 1, 0, R0, REP_REQUESTED, false, 0);
	for (int i = 1; i <= 5; i++)
		v[n++] = place(t + 4 * DAY, i * HOUR, R0, REP_ACCEPTED, false,
		    0);
	v[n++] = place(t + 5 * DAY, 600, R0, REP_ACCEPTED, true, 0);
	v[n++] = place(t + 6 * DAY, 0, R0, REP_UNPLACED, false, 0);
	v[n++] = place(t + 6 * DAY, 0, R1, REP_CANCELLED, false, 0);
	v[n++] = place(t + 1, 0, R0, REP_DECLINED, false,
	    PLACE_REASON_NO_BED);
	v[n++] = place(t + 2, 0, R0, REP_DECLINED, false,
	    PLACE_REASON_NO_BED);
	v[n++] = place(t + 3, 0, R0, REP_DECLINED, false,
	    PLACE_REASON_NO_MATCH);
	v[n++] = place(t + 4, 0, R0, REP_EXPIRED, false, 0);
	return n;
}

struct fx {
	struct rep_sample s[32];
	struct rep_place p[32];
	size_t ns, np;
	struct rep_params par;
	struct report r;
};

static int
fx_setup(void **state)
{
	struct fx *f = test_calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	f->ns = fixture_samples(f->s);
	f->np = fixture_places(f->p);
	f->par.from = MARCH;
	f->par.until = APRIL;
	f->par.n_shelters = N_SHELTERS;
	f->par.n_groups = N_GROUPS;
	f->par.critical_pct = 100;
	f->par.k = 5;
	*state = f;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx *f = *state;

	report_free(&f->r);
	test_free(f);
	return 0;
}

static const struct rep_row *
row(const struct report *r, int group, int cat)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (r->rows[i].group == group && r->rows[i].category == cat)
			return &r->rows[i];
	return NULL;
}

static void
build(struct fx *f)
{
	report_free(&f->r);
	assert_int_equal(report_build(&f->par, f->s, f->ns, f->p, f->np,
	    &f->r), 0);
}

/* ---- calendar and reasons -------------------------------------------- */

static void
month_range_is_utc_and_exact(void **state)
{
	int64_t from, until;

	(void)state;
	assert_int_equal(report_month_range("2026-03", &from, &until), 0);
	assert_int_equal(from, MARCH);
	assert_int_equal(until, APRIL);
	/* A leap February, and a year's end. */
	assert_int_equal(report_month_range("2024-02", &from, &until), 0);
	assert_int_equal(from, 1706745600);
	assert_int_equal(until, 1709251200);
	assert_int_equal(report_month_range("1999-12", &from, &until), 0);
	assert_int_equal(from, 944006400);
	assert_int_equal(until, 946684800);
}

static void
month_range_refuses_other_forms(void **state)
{
	static const char *const bad[] = { "", "2026-3", "2026-13",
		"2026-00", "26-03", "2026/03", "2026-03-01", "abcd-ef",
		"1969-12" };
	int64_t from, until;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(report_month_range(bad[i], &from, &until),
		    -1);
	assert_int_equal(report_month_range(NULL, &from, &until), -1);
}

static void
reasons_have_one_name_each(void **state)
{
	(void)state;
	for (int r = 0; r < PLACE_REASON_COUNT; r++)
		assert_int_equal(place_reason_parse(place_reason_key(r)), r);
	assert_int_equal(place_reason_parse("no room"), -1);
	assert_int_equal(place_reason_parse("Maria Jansen 17-05-1990"), -1);
	assert_int_equal(place_reason_parse(NULL), -1);
	assert_false(place_reason_answerable(PLACE_REASON_NONE));
	assert_true(place_reason_answerable(PLACE_REASON_NO_BED));
	assert_true(place_reason_answerable(PLACE_REASON_OTHER));
	/* Only the daemon records an expiry. */
	assert_false(place_reason_answerable(PLACE_REASON_EXPIRED));
	assert_false(place_reason_answerable(PLACE_REASON_COUNT));
}

/* ---- occupancy -------------------------------------------------------- */

static void
occupancy_of_a_region_is_time_weighted(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_near(r->avg_pct, 2262.5 / 31);
	assert_near(r->peak_pct, 100.0);
	assert_int_equal(r->days_critical, 1);
	assert_int_equal(r->occupancy_secs, 31 * DAY);
	assert_int_equal(r->peak_capacity, 20);
	assert_int_equal(r->peak_occupied, 20);
}

static void
occupancy_counts_only_the_time_with_history(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	build(f);
	assert_non_null(r = row(&f->r, R1, WOMEN));
	assert_near(r->avg_pct, 2100.0 / 22);
	assert_near(r->peak_pct, 100.0);
	assert_int_equal(r->days_critical, 21);
	assert_int_equal(r->occupancy_secs, 22 * DAY);
	/* A state carried in from before the month counts all month. */
	assert_non_null(r = row(&f->r, R1, MINORS));
	assert_near(r->avg_pct, 50.0);
	assert_int_equal(r->occupancy_secs, 31 * DAY);
}

static void
occupancy_of_the_nation_sums_the_regions(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	build(f);
	assert_non_null(r = row(&f->r, NATIONAL, WOMEN));
	assert_near(r->avg_pct, 2337.5 / 31);
	assert_near(r->peak_pct, 100.0);
	assert_int_equal(r->days_critical, 1);
	assert_int_equal(r->peak_capacity, 24);
}

static void
input_order_does_not_matter(void **state)
{
	struct fx *f = *state;
	struct rep_row before;

	build(f);
	before = *row(&f->r, NATIONAL, WOMEN);
	/* Reverse the samples: same series, same numbers. */
	for (size_t i = 0; i < f->ns / 2; i++) {
		struct rep_sample t = f->s[i];

		f->s[i] = f->s[f->ns - 1 - i];
		f->s[f->ns - 1 - i] = t;
	}
	build(f);
	assert_near(row(&f->r, NATIONAL, WOMEN)->avg_pct, before.avg_pct);
	assert_near(row(&f->r, R0, WOMEN)->avg_pct, 2262.5 / 31);
}

static void
a_brief_peak_counts_and_marks_its_day(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	/* Day 20: A full and free again within one second (a report, then
	 * a correction). B is full since day 2, so R0 is at 100 % for an
	 * instant: a second critical day, and no weight in the average. */
	f->s[f->ns++] = sample(MARCH + 20 * DAY, SH_A, R0, WOMEN, 10, 0, 10);
	f->s[f->ns++] = sample(MARCH + 20 * DAY, SH_A, R0, WOMEN, 10, 5, 5);
	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_int_equal(r->days_critical, 2);
	assert_near(r->avg_pct, 2262.5 / 31);
	assert_near(r->peak_pct, 100.0);
}

static void
stops_at_until(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	/* The current month: only its first 2 days have passed. */
	f->par.until = MARCH + 2 * DAY;
	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_near(r->avg_pct, 37.5);
	assert_near(r->peak_pct, 50.0);
	assert_int_equal(r->days_critical, 0);
	assert_int_equal(r->occupancy_secs, 2 * DAY);
	/* R1's women's beds appear on day 9: no row yet. */
	assert_null(row(&f->r, R1, WOMEN));
	assert_non_null(row(&f->r, R1, MINORS));
}

/* ---- placements ------------------------------------------------------ */

static void
placements_are_counted_per_region_and_nation(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_int_equal(r->requested, 6);
	assert_int_equal(r->placed_in_region, 1);
	assert_int_equal(r->placed_supra, 5);
	assert_int_equal(r->unplaced, 1);
	assert_int_equal(r->cancelled, 0);
	assert_int_equal(r->declines, 4);
	assert_int_equal(r->ttp_median, 7200);
	assert_int_equal(r->ttp_p90, 18000);
	assert_non_null(r = row(&f->r, R1, WOMEN));
	assert_int_equal(r->requested, 1);
	assert_int_equal(r->cancelled, 1);
	assert_int_equal(r->ttp_median, -1);
	assert_non_null(r = row(&f->r, NATIONAL, WOMEN));
	assert_int_equal(r->requested, 7);
	assert_int_equal(r->placed_in_region + r->placed_supra, 6);
	assert_int_equal(r->unplaced, 1);
	assert_int_equal(r->cancelled, 1);
	assert_int_equal(r->declines, 4);
	assert_int_equal(r->ttp_median, 7200);
}

static void
declines_by_reason(void **state)
{
	struct fx *f = *state;
	const struct rep_decline *d;
	size_t r0 = 0;

	build(f);
	/* R0's three reasons, then the nation's same three. */
	assert_int_equal(f->r.n_declines, 6);
	d = f->r.declines;
	for (size_t i = 0; i < f->r.n_declines; i++)
		r0 += d[i].group == R0;
	assert_int_equal(r0, 3);
	/* In the list's order. */
	assert_int_equal(d[0].group, R0);
	assert_int_equal(d[0].reason, PLACE_REASON_NO_BED);
	assert_int_equal(d[0].count, 2);
	assert_int_equal(d[1].reason, PLACE_REASON_NO_MATCH);
	assert_int_equal(d[1].count, 1);
	assert_int_equal(d[2].reason, PLACE_REASON_EXPIRED);
	assert_int_equal(d[2].count, 1);
	assert_int_equal(d[3].group, NATIONAL);
	assert_int_equal(d[3].reason, PLACE_REASON_NO_BED);
	assert_int_equal(d[3].count, 2);
	assert_int_equal(f->r.suppressed_cells, 0);
}

static void
median_of_one_and_p90_of_ten(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	f->np = 0;
	f->p[f->np++] = place(MARCH + DAY, 42, R1, REP_ACCEPTED, false,
	    0);
	for (int i = 1; i <= 10; i++)
		f->p[f->np++] = place(MARCH + DAY, i * 100, R0, REP_ACCEPTED,
		    false, 0);
	build(f);
	assert_non_null(r = row(&f->r, R1, WOMEN));
	assert_int_equal(r->ttp_median, 42);
	assert_int_equal(r->ttp_p90, 42);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	/* Nearest rank: 5th and 9th of 10. */
	assert_int_equal(r->ttp_median, 500);
	assert_int_equal(r->ttp_p90, 900);
}

/* ---- public reports --------------------------------------------------- */

static const uint32_t *
counts(const struct rep_row *r, size_t *n)
{
	static uint32_t v[8];

	v[0] = r->requested;
	v[1] = r->placed_in_region;
	v[2] = r->placed_supra;
	v[3] = r->unplaced;
	v[4] = r->cancelled;
	v[5] = r->declines;
	v[6] = r->peak_capacity;
	v[7] = r->peak_occupied;
	*n = 8;
	return v;
}

static void
public_report_has_no_cell_below_k(void **state)
{
	struct fx *f = *state;

	f->par.public = true;
	build(f);
	for (size_t i = 0; i < f->r.n_rows; i++) {
		size_t n;
		const uint32_t *v = counts(&f->r.rows[i], &n);

		for (size_t j = 0; j < n; j++)
			assert_false(v[j] >= 1 && v[j] < f->par.k);
	}
	for (size_t i = 0; i < f->r.n_declines; i++) {
		assert_int_equal(f->r.declines[i].group, NATIONAL);
		assert_false(f->r.declines[i].count >= 1 &&
		    f->r.declines[i].count < f->par.k);
	}
	assert_true(f->r.suppressed_cells > 0);
}

static void
public_report_suppresses_and_says_which(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;
	uint32_t bit = 0;

	f->par.public = true;
	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	/* Primary: 1 at home, 1 unplaced, 4 declines. Secondary: the 6
	 * requests, or R1's 1 = 7 - 6 would follow from the nation's. */
	bit = 1u << REP_CELL_PLACED_IN_REGION | 1u << REP_CELL_UNPLACED |
	    1u << REP_CELL_DECLINES | 1u << REP_CELL_REQUESTED;
	assert_int_equal(r->suppressed, bit);
	assert_int_equal(r->requested, 0);
	assert_int_equal(r->placed_supra, 5);
	assert_int_equal(r->ttp_median, 7200); /* 6 accepted: enough */
	assert_near(r->avg_pct, 2262.5 / 31);
	assert_non_null(r = row(&f->r, R1, WOMEN));
	/* 4 beds: occupancy tells of persons. */
	assert_true(r->suppressed & (1u << REP_CELL_OCCUPANCY));
	assert_near(r->avg_pct, 0);
	assert_int_equal(r->days_critical, 0);
	assert_true(r->suppressed & (1u << REP_CELL_REQUESTED));
	assert_true(r->suppressed & (1u << REP_CELL_CANCELLED));
	assert_non_null(r = row(&f->r, NATIONAL, WOMEN));
	assert_int_equal(r->requested, 7);
	assert_false(r->suppressed & (1u << REP_CELL_REQUESTED));
	assert_true(r->suppressed & (1u << REP_CELL_DECLINES));
	/* Every reason is rare: each is suppressed, none left out. */
	assert_int_equal(f->r.n_declines, 3);
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(f->r.declines[i].group, NATIONAL);
		assert_true(f->r.declines[i].suppressed);
		assert_int_equal(f->r.declines[i].count, 0);
	}
}

static void
public_report_keeps_frequent_reasons(void **state)
{
	struct fx *f = *state;

	for (int i = 0; i < 5; i++)
		f->p[f->np++] = place(MARCH + 5 * DAY + i, 0, R1,
		    REP_DECLINED, false, PLACE_REASON_NO_BED);
	f->par.public = true;
	build(f);
	/* "no bed": 2 from R0 and 5 from R1 = 7 nationally; the other
	 * two reasons (1 each) are suppressed. */
	assert_int_equal(f->r.n_declines, 3);
	assert_int_equal(f->r.declines[0].reason, PLACE_REASON_NO_BED);
	assert_int_equal(f->r.declines[0].count, 7);
	assert_false(f->r.declines[0].suppressed);
	assert_int_equal(f->r.declines[1].reason, PLACE_REASON_NO_MATCH);
	assert_true(f->r.declines[1].suppressed);
	assert_int_equal(f->r.declines[1].count, 0);
	assert_int_equal(f->r.declines[2].reason, PLACE_REASON_EXPIRED);
	assert_true(f->r.declines[2].suppressed);
}

static void
public_secondary_hides_the_nation_when_it_must(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	/* Only R0 requests, 9 of them: shown. R1 has none. Then one R1
	 * request: R1's 1 is primary, R0's 9 secondary (sum 10 >= k). */
	f->np = 0;
	for (int i = 0; i < 9; i++)
		f->p[f->np++] = place(MARCH + DAY + i, 0, R0, REP_REQUESTED,
		    false, 0);
	f->par.public = true;
	build(f);
	assert_int_equal(row(&f->r, R0, WOMEN)->requested, 9);
	f->p[f->np++] = place(MARCH + DAY, 0, R1, REP_REQUESTED, false,
	    0);
	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_true(r->suppressed & (1u << REP_CELL_REQUESTED));
	assert_int_equal(row(&f->r, NATIONAL, WOMEN)->requested, 10);
	/* Both regions hidden, 10 in all: 1 + 9 looks like 5 + 5. When the
	 * nation's own count is small it is hidden as well. */
	f->p[f->np - 1] = place(MARCH + DAY, 0, R1, REP_UNPLACED, false,
	    0);
	f->p[f->np++] = place(MARCH + DAY, 0, R1, REP_UNPLACED, false, 0);
	build(f);
	/* Unplaced: R1 2, nation 2: both small, both primary. */
	assert_true(row(&f->r, R1, WOMEN)->suppressed &
	    (1u << REP_CELL_UNPLACED));
	assert_true(row(&f->r, NATIONAL, WOMEN)->suppressed &
	    (1u << REP_CELL_UNPLACED));
}

/* ---- trend ------------------------------------------------------------- */

static void
trend_in_daily_buckets(void **state)
{
	struct fx *f = *state;
	struct rep_point pt[4];

	/* R0 only (A and B); four days from March 1st. */
	f->par.until = MARCH + 4 * DAY;
	assert_int_equal(report_trend(&f->par, WOMEN, f->s, 6, pt, 4), 0);
	assert_int_equal(pt[0].from, MARCH);
	assert_near(pt[0].avg_pct, 25.0);
	assert_int_equal(pt[0].min_free, 15);
	assert_near(pt[1].avg_pct, 50.0);
	assert_near(pt[2].avg_pct, 87.5);
	assert_near(pt[2].peak_pct, 100.0);
	assert_int_equal(pt[2].min_free, 0);
	assert_near(pt[3].avg_pct, 75.0);
	assert_int_equal(pt[3].data_secs, DAY);
	assert_int_equal(pt[3].capacity, 20);
}

static void
trend_without_history_is_empty(void **state)
{
	struct fx *f = *state;
	struct rep_point pt[2];

	f->par.from = MARCH - 100 * DAY;
	f->par.until = MARCH - 98 * DAY;
	assert_int_equal(report_trend(&f->par, WOMEN, f->s, f->ns, pt, 2),
	   0);
	assert_int_equal(pt[0].data_secs, 0);
	assert_int_equal(pt[1].data_secs, 0);
	assert_int_equal(report_trend(&f->par, WOMEN, f->s, f->ns, pt, 0),
	    -1);
}

#define fx_test(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(month_range_is_utc_and_exact),
		cmocka_unit_test(month_range_refuses_other_forms),
		cmocka_unit_test(reasons_have_one_name_each),
		fx_test(occupancy_of_a_region_is_time_weighted),
		fx_test(occupancy_counts_only_the_time_with_history),
		fx_test(occupancy_of_the_nation_sums_the_regions),
		fx_test(input_order_does_not_matter),
		fx_test(a_brief_peak_counts_and_marks_its_day),
		fx_test(stops_at_until),
		fx_test(placements_are_counted_per_region_and_nation),
		fx_test(declines_by_reason),
		fx_test(median_of_one_and_p90_of_ten),
		fx_test(public_report_has_no_cell_below_k),
		fx_test(public_report_suppresses_and_says_which),
		fx_test(public_report_keeps_frequent_reasons),
		fx_test(public_secondary_hides_the_nation_when_it_must),
		fx_test(trend_in_daily_buckets),
		fx_test(trend_without_history_is_empty),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
