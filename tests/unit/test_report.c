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
enum { N_GROUPS_MAX = 8 };
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
	/* Primary: 1 at home, 1 unplaced, 4 declines. Complementary: the
	 * 6 requests, or R1's 1 = 7 - 6 would follow from the nation's.
	 * The time to placement derives from a hidden count: hidden. The
	 * nation cancelled 1: every region's cancelled is hidden, R0's 0
	 * too. */
	bit = 1u << REP_CELL_PLACED_IN_REGION | 1u << REP_CELL_UNPLACED |
	    1u << REP_CELL_DECLINES | 1u << REP_CELL_REQUESTED |
	    1u << REP_CELL_TTP | 1u << REP_CELL_CANCELLED;
	assert_int_equal(r->suppressed, bit);
	assert_int_equal(r->complementary, 1u << REP_CELL_REQUESTED);
	assert_int_equal(r->requested, 0);
	assert_int_equal(r->placed_supra, 5);
	assert_int_equal(r->ttp_median, -1);
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
	/* The nation's 4 declines are hidden: so is every reason of the
	 * list, 0 included, or the three non-zero ones could be counted. */
	assert_int_equal(f->r.n_declines, PLACE_REASON_COUNT - 1);
	for (size_t i = 0; i < f->r.n_declines; i++) {
		assert_int_equal(f->r.declines[i].group, NATIONAL);
		assert_true(f->r.declines[i].suppressed);
		assert_false(f->r.declines[i].complementary);
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
	 * two reasons (1 each) are primary. Nationally 9 declines, shown:
	 * with 7 shown, 9 - 7 = 2 = 1 + 1 would give both away, so "no
	 * bed" is hidden too, as complementary. */
	assert_int_equal(row(&f->r, NATIONAL, WOMEN)->declines, 9);
	/* Every reason of the list, in its order; 0 is shown. */
	assert_int_equal(f->r.n_declines, PLACE_REASON_COUNT - 1);
	assert_int_equal(f->r.declines[0].reason, PLACE_REASON_NO_BED);
	assert_int_equal(f->r.declines[0].count, 0);
	assert_true(f->r.declines[0].suppressed);
	assert_true(f->r.declines[0].complementary);
	assert_int_equal(f->r.declines[1].reason,
	    PLACE_REASON_SAFETY_CONFLICT);
	assert_false(f->r.declines[1].suppressed);
	assert_int_equal(f->r.declines[3].reason, PLACE_REASON_NO_MATCH);
	assert_true(f->r.declines[3].suppressed);
	assert_false(f->r.declines[3].complementary);
	assert_int_equal(f->r.declines[3].count, 0);
	assert_int_equal(f->r.declines[5].reason, PLACE_REASON_EXPIRED);
	assert_true(f->r.declines[5].suppressed);
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

/*
 * The issue's month: VR09 placed 5 and VR13 placed 1 (the nation 6); VR13
 * requested 8 and VR09 1. The report used to show VR09's time to
 * placement (so VR09 >= 5, hence 5 and 1) and VR13's 8 requests as "<5".
 */
static void
public_report_of_the_issue(void **state)
{
	struct fx *f = *state;
	const struct rep_row *r;

	f->np = 0;
	for (int i = 0; i < 5; i++)
		f->p[f->np++] = place(MARCH + DAY + i, 600, R0, REP_ACCEPTED,
		    false, 0);
	f->p[f->np++] = place(MARCH + DAY, 900, R1, REP_ACCEPTED, false, 0);
	f->p[f->np++] = place(MARCH + DAY, 0, R0, REP_REQUESTED, false, 0);
	for (int i = 0; i < 8; i++)
		f->p[f->np++] = place(MARCH + DAY + i, 0, R1, REP_REQUESTED,
		    false, 0);
	f->par.public = true;
	build(f);
	assert_non_null(r = row(&f->r, R0, WOMEN));
	assert_true(r->suppressed & (1u << REP_CELL_PLACED_SUPRA));
	assert_true(r->complementary & (1u << REP_CELL_PLACED_SUPRA));
	assert_true(r->suppressed & (1u << REP_CELL_TTP));
	assert_int_equal(r->ttp_median, -1);
	assert_true(r->suppressed & (1u << REP_CELL_REQUESTED));
	assert_false(r->complementary & (1u << REP_CELL_REQUESTED));
	assert_non_null(r = row(&f->r, R1, WOMEN));
	assert_false(r->complementary & (1u << REP_CELL_PLACED_SUPRA));
	/* 8 requests, hidden to protect VR09's 1: not "<5". */
	assert_true(r->complementary & (1u << REP_CELL_REQUESTED));
	/* Hiding VR09's 5 is not enough: >= 5 and 6 in all leaves 1. */
	assert_non_null(r = row(&f->r, NATIONAL, WOMEN));
	assert_true(r->complementary & (1u << REP_CELL_PLACED_SUPRA));
	assert_true(r->suppressed & (1u << REP_CELL_TTP));
}

/* ---- reserve beds ----------------------------------------------------- */

/*
 * March (31 days), women:
 *   X0 R0: activated in February (6 beds asked), 4 confirmed in February,
 *          released early on day 3: 4 beds x 3 days in March, nothing
 *          else of it counts in March.
 *   X1 R0: activated on day 10 (3 asked), 2 confirmed at once, released
 *          half a day later: 2 x 0.5 day.
 *   X2 R1: activated on March 30 (5 asked), 5 confirmed on March 31,
 *          still open until April 5: 5 x 1 day in March, 5 x 5 days in
 *          April.
 *   X3 R1: activated on April 2 (1 asked), 1 confirmed, expired on
 *          April 4: April only, 1 x 2 days.
 * March: R0 1 activation, 3 asked, 2 confirmed, 13 bed-days; R1 1, 5, 5,
 * 5 bed-days; the nation 2, 8, 7, 18.
 */
static const struct rep_reserve fx_reserves[] = {
	{ MARCH - 2 * DAY, MARCH + 3 * DAY, 6, R0, WOMEN },
	{ MARCH + 10 * DAY, MARCH + 10 * DAY + 12 * HOUR, 3, R0, WOMEN },
	{ APRIL - 2 * DAY, APRIL + 5 * DAY, 5, R1, WOMEN },
	{ APRIL + DAY, APRIL + 3 * DAY, 1, R1, WOMEN },
};
static const struct rep_confirm fx_confirms[] = {
	{ MARCH - DAY, 4, 0 },
	{ MARCH + 10 * DAY, 2, 1 },
	{ APRIL - DAY, 5, 2 },
	{ APRIL + DAY, 1, 3 },
};

static void
with_reserves(struct fx *f)
{
	f->par.reserves = fx_reserves;
	f->par.n_reserves = sizeof(fx_reserves) / sizeof(fx_reserves[0]);
	f->par.confirms = fx_confirms;
	f->par.n_confirms = sizeof(fx_confirms) / sizeof(fx_confirms[0]);
}

static void
check_reserve(const struct rep_row *r, uint32_t act, uint32_t asked,
    uint32_t conf, int64_t secs)
{
	assert_non_null(r);
	assert_int_equal(r->reserve_activations, act);
	assert_int_equal(r->reserve_beds_asked, asked);
	assert_int_equal(r->reserve_beds_confirmed, conf);
	assert_int_equal(r->reserve_bed_secs, secs);
}

static void
reserves_are_counted_across_month_boundaries(void **state)
{
	struct fx *f = *state;

	with_reserves(f);
	build(f);
	check_reserve(row(&f->r, R0, WOMEN), 1, 3, 2, 13 * DAY);
	check_reserve(row(&f->r, R1, WOMEN), 1, 5, 5, 5 * DAY);
	check_reserve(row(&f->r, NATIONAL, WOMEN), 2, 8, 7, 18 * DAY);
	/* April: X2 goes on (its activation and beds were March's), X3 is
	 * April's; nothing of R0. */
	f->par.from = APRIL;
	f->par.until = APRIL + 30 * DAY;
	build(f);
	check_reserve(row(&f->r, R1, WOMEN), 1, 1, 1, 25 * DAY + 2 * DAY);
	check_reserve(row(&f->r, NATIONAL, WOMEN), 1, 1, 1, 27 * DAY);
	/* R0's row (its occupancy) has no reserve beds in April. */
	check_reserve(row(&f->r, R0, WOMEN), 0, 0, 0, 0);
}

static void
an_open_reserve_counts_until_now(void **state)
{
	struct fx *f = *state;

	/* The month so far, day 31 at noon: X2's 5 beds have counted for
	 * 12 hours; its until (April 5) is not reached. */
	with_reserves(f);
	f->par.until = APRIL - 12 * HOUR;
	build(f);
	check_reserve(row(&f->r, R1, WOMEN), 1, 5, 5, 5 * 12 * HOUR);
	/* Before its confirmation: asked, nothing confirmed yet. */
	f->par.until = APRIL - DAY;
	build(f);
	check_reserve(row(&f->r, R1, WOMEN), 1, 5, 0, 0);
	/* Released early: X1's 2 beds count half a day, not to its until. */
	check_reserve(row(&f->r, R0, WOMEN), 1, 3, 2, 13 * DAY);
}

static void
placements_into_reserve_beds_count_where_the_beds_are(void **state)
{
	struct fx *f = *state;
	struct rep_place x;

	f->np = 0;
	/* From R0, accepted into R1's reserve beds. */
	x = place(MARCH + DAY, 60, R0, REP_ACCEPTED, false, 0);
	x.in_reserve = true;
	x.held_group = R1;
	f->p[f->np++] = x;
	/* Held in reserve beds, not (yet) accepted: not a placement. */
	x.step = REP_REQUESTED;
	f->p[f->np++] = x;
	/* Accepted in an ordinary bed. */
	x = place(MARCH + DAY, 60, R1, REP_ACCEPTED, true, 0);
	x.held_group = R1;
	f->p[f->np++] = x;
	/* In February; and into a shelter no longer in the registry. */
	x = place(MARCH - DAY, 60, R1, REP_ACCEPTED, true, 0);
	x.in_reserve = true;
	x.held_group = R1;
	f->p[f->np++] = x;
	x.at = MARCH + DAY;
	x.held_group = UINT16_MAX;
	f->p[f->np++] = x;
	build(f);
	assert_int_equal(row(&f->r, R1, WOMEN)->placed_reserve, 1);
	assert_int_equal(row(&f->r, R0, WOMEN)->placed_reserve, 0);
	assert_int_equal(row(&f->r, NATIONAL, WOMEN)->placed_reserve, 1);
	/* Placed supra by R0 all the same. */
	assert_int_equal(row(&f->r, R0, WOMEN)->placed_supra, 1);
}

static void
public_reserve_counts_below_k_are_hidden(void **state)
{
	struct fx *f = *state;
	uint32_t shelters[(N_GROUPS + 1) * CAT_COUNT] = { 0 };
	const uint32_t bit = 1u << REP_CELL_RESERVE_ACTIVATIONS;
	const struct rep_row *r;
	struct rep_place x;

	with_reserves(f);
	/* Enough shelters with reserve beds everywhere: only the counts. */
	shelters[R0 * CAT_COUNT + WOMEN - 1] = 5;
	shelters[R1 * CAT_COUNT + WOMEN - 1] = 6;
	shelters[NATIONAL * CAT_COUNT + WOMEN - 1] = 11;
	f->par.reserve_shelters = shelters;
	f->par.public = true;
	f->np = 0;
	x = place(MARCH + DAY, 60, R0, REP_ACCEPTED, false, 0);
	x.in_reserve = true;
	x.held_group = R1;
	f->p[f->np++] = x;
	build(f);
	for (int g = R0; g <= NATIONAL; g++) {
		assert_non_null(r = row(&f->r, g, WOMEN));
		/* 1 or 2 activations: "<k", the beds asked with them. */
		assert_true(r->suppressed & bit);
		assert_false(r->complementary & bit);
		assert_int_equal(r->reserve_activations, 0);
		assert_int_equal(r->reserve_beds_asked, 0);
		/* One placement into R1's reserve, and the nation's. */
		assert_true(r->suppressed &
		    (1u << REP_CELL_PLACED_RESERVE));
		assert_int_equal(r->placed_reserve, 0);
		assert_false(r->suppressed &
		    (1u << REP_CELL_RESERVE_CONFIRMED));
	}
	check_reserve(row(&f->r, R0, WOMEN), 0, 0, 2, 13 * DAY);
	check_reserve(row(&f->r, NATIONAL, WOMEN), 0, 0, 7, 18 * DAY);
}

static void
public_confirmed_beds_need_k_shelters(void **state)
{
	struct fx *f = *state;
	uint32_t shelters[(N_GROUPS + 1) * CAT_COUNT] = { 0 };
	const uint32_t bit = 1u << REP_CELL_RESERVE_CONFIRMED;
	const struct rep_confirm one = { APRIL - DAY, 5, 0 };
	const struct rep_row *r0, *r1, *nat;

	with_reserves(f);
	f->par.reserve_shelters = shelters;
	f->par.public = true;
	/* R0: one shelter with reserve beds (its answer), R1 six. R0 is
	 * hidden; the nation minus R1 would give it back: R1 is hidden
	 * too, as complementary, and the nation's 7 is shown. */
	shelters[R0 * CAT_COUNT + WOMEN - 1] = 1;
	shelters[R1 * CAT_COUNT + WOMEN - 1] = 6;
	shelters[NATIONAL * CAT_COUNT + WOMEN - 1] = 7;
	build(f);
	r0 = row(&f->r, R0, WOMEN);
	r1 = row(&f->r, R1, WOMEN);
	nat = row(&f->r, NATIONAL, WOMEN);
	assert_true((r0->suppressed & bit) && !(r0->complementary & bit));
	assert_true((r1->suppressed & bit) && (r1->complementary & bit));
	assert_false(nat->suppressed & bit);
	check_reserve(r0, 0, 0, 0, 0);
	check_reserve(r1, 0, 0, 0, 0);
	check_reserve(nat, 0, 0, 7, 18 * DAY);
	/* Hidden whatever the value: R0 with nothing confirmed too. */
	f->par.confirms = &fx_confirms[2];
	f->par.n_confirms = 1;
	build(f);
	assert_true(row(&f->r, R0, WOMEN)->suppressed & bit);
	/* Fewer than k in the whole country: every row hidden. */
	with_reserves(f);
	shelters[R1 * CAT_COUNT + WOMEN - 1] = 3;
	shelters[NATIONAL * CAT_COUNT + WOMEN - 1] = 4;
	build(f);
	for (int g = R0; g <= NATIONAL; g++) {
		assert_true(row(&f->r, g, WOMEN)->suppressed & bit);
		check_reserve(row(&f->r, g, WOMEN), 0, 0, 0, 0);
	}
	/* A category without any reserve activity hides nothing. */
	assert_false(row(&f->r, R1, MINORS)->suppressed & bit);
	/* No shelter with reserve beds and nothing confirmed: a 0 to show;
	 * two regions of k or more: both shown. */
	shelters[R0 * CAT_COUNT + WOMEN - 1] = 0;
	shelters[R1 * CAT_COUNT + WOMEN - 1] = 5;
	shelters[NATIONAL * CAT_COUNT + WOMEN - 1] = 5;
	f->par.reserves = &fx_reserves[2];
	f->par.n_reserves = 1;
	f->par.confirms = &one;
	f->par.n_confirms = 1;
	build(f);
	assert_false(row(&f->r, R0, WOMEN)->suppressed & bit);
	assert_false(row(&f->r, R1, WOMEN)->suppressed & bit);
	assert_false(row(&f->r, NATIONAL, WOMEN)->suppressed & bit);
	/* Its 1 activation is "<k" all the same. */
	check_reserve(row(&f->r, R1, WOMEN), 0, 0, 5, 5 * DAY);
	/* k = 1 shows everything. */
	f->par.k = 1;
	with_reserves(f);
	build(f);
	check_reserve(row(&f->r, R0, WOMEN), 1, 3, 2, 13 * DAY);
}

/* ---- differencing: a reader who tries to undo the suppression --------- */

/* xorshift64: the same months on every run. */
static uint64_t
rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

/* Mostly small counts, some large: what suppression is about. */
static int
rnd_count(uint64_t *x)
{
	switch (rnd(x) % 4) {
	case 0:
		return 0;
	case 1:
		return 1 + (int)(rnd(x) % 4);
	case 2:
		return 5 + (int)(rnd(x) % 4);
	default:
		return (int)(rnd(x) % 16);
	}
}

enum { READER_CAP = 4000 };  /* far above any count generated */

/* What the reader knows of one count: shown, or a range from its mark. */
struct seen {
	int64_t lo, hi;
	bool hidden;
};

static struct seen
seen_count(const struct rep_params *p, bool hidden, bool compl,
    bool zero_hidden, uint32_t value)
{
	struct seen x = { value, value, hidden };

	if (hidden && compl)
		x.lo = p->k, x.hi = READER_CAP;
	else if (hidden)
		x.lo = zero_hidden ? 0 : 1, x.hi = p->k - 1;
	return x;
}

/* The mark of a hidden count tells the truth. */
static void
check_mark(const struct rep_params *p, bool compl, bool zero_hidden,
    uint32_t truth)
{
	if (compl)
		assert_true(truth >= p->k);
	else
		assert_true(truth >= (zero_hidden ? 0u : 1u) &&
		    truth < p->k);
}

/* Sums of lo and hi of terms other than skip. */
static void
others(const struct seen *t, size_t n, size_t skip, int64_t *lo,
    int64_t *hi)
{
	*lo = *hi = 0;
	for (size_t i = 0; i < n; i++)
		if (i != skip) {
			*lo += t[i].lo;
			*hi += t[i].hi;
		}
}

/*
 * Values the total of a sum can take given its terms (and, for the
 * declines, the other sum it is the total of): [lo, hi].
 */
static void
total_range(const struct seen *tot, const struct seen *t, size_t n,
    const struct seen *t2, size_t n2, int64_t *lo, int64_t *hi)
{
	int64_t a, b;

	*lo = tot->lo;
	*hi = tot->hi;
	if (t != NULL) {
		others(t, n, SIZE_MAX, &a, &b);
		*lo = *lo > a ? *lo : a;
		*hi = *hi < b ? *hi : b;
	}
	if (t2 != NULL) {
		others(t2, n2, SIZE_MAX, &a, &b);
		*lo = *lo > a ? *lo : a;
		*hi = *hi < b ? *hi : b;
	}
}

/* How many values hidden term i of total = sum(t) can take, by trying
 * each (t2: the total's other sum, or NULL). */
static int
term_values(const struct seen *tot, struct seen *t, size_t n, size_t i,
    const struct seen *t2, size_t n2)
{
	int64_t olo, ohi, tlo, thi;
	int count = 0;

	others(t, n, i, &olo, &ohi);
	total_range(tot, NULL, 0, t2, n2, &tlo, &thi);
	for (int64_t v = t[i].lo; v <= t[i].hi && count < 2; v++) {
		/* Some total, possible on its own, minus v that the other
		 * terms can make. */
		int64_t lo = tlo > v + olo ? tlo : v + olo;
		int64_t hi = thi < v + ohi ? thi : v + ohi;

		count += lo <= hi;
	}
	return count;
}

/* The counts in the audit's sums, in its order: declines (5) are also the
 * total of the reasons. */
enum { N_AUDITED = 8 };
static const int audited_bits[N_AUDITED] = { REP_CELL_REQUESTED,
	REP_CELL_PLACED_IN_REGION, REP_CELL_PLACED_SUPRA, REP_CELL_UNPLACED,
	REP_CELL_CANCELLED, REP_CELL_DECLINES, REP_CELL_RESERVE_ACTIVATIONS,
	REP_CELL_PLACED_RESERVE };

static uint32_t
audited(const struct rep_row *r, int c)
{
	size_t n;

	if (r == NULL)
		return 0;
	if (c == 6)
		return r->reserve_activations;
	if (c == 7)
		return r->placed_reserve;
	return counts(r, &n)[c];
}

/* The reader's view of one category of a public report, checked against
 * the truth: returns how many hidden counts it pins to one value. */
static int
reader_recovers(const struct rep_params *p, const struct report *pub,
    const struct report *truth, int cat)
{
	size_t ng = p->n_groups;
	struct seen cells[N_GROUPS_MAX + 1][N_AUDITED];
	struct seen reasons[PLACE_REASON_COUNT];
	int recovered = 0;

	const struct rep_row *nat = row(pub, (int)ng, cat);
	bool nat_decl_hidden = nat && (nat->suppressed >>
	    REP_CELL_DECLINES) & 1;

	/* The nation first: whether its count is "<k" says whether the
	 * regions' zeros are hidden. */
	for (size_t gi = 0; gi <= ng; gi++) {
		size_t g = gi == 0 ? ng : gi - 1;
		const struct rep_row *r = row(pub, (int)g, cat);
		const struct rep_row *t = row(truth, (int)g, cat);

		for (int c = 0; c < N_AUDITED; c++) {
			int bit = audited_bits[c];
			bool hid = r && (r->suppressed >> bit) & 1;
			bool com = r && (r->complementary >> bit) & 1;
			bool zero = g < ng && cells[ng][c].hidden &&
			    cells[ng][c].hi < (int64_t)p->k;
			uint32_t pv = audited(r, c);
			uint32_t tv = audited(t, c);

			/* Where the nation's count is "<k", every region's
			 * is hidden; a missing row is all 0. */
			if (zero)
				assert_true(hid);
			if (hid)
				check_mark(p, com, zero, tv);
			else
				assert_int_equal(pv, tv);
			cells[g][c] = seen_count(p, hid, com, zero, pv);
		}
		/* Derived follows its count. */
		if (r && r->ttp_median >= 0)
			assert_false(r->suppressed &
			    (1u << REP_CELL_PLACED_IN_REGION |
			    1u << REP_CELL_PLACED_SUPRA));
	}
	for (int rs = 0; rs < PLACE_REASON_COUNT; rs++) {
		const struct rep_decline *d = NULL;
		uint32_t tc = 0;

		for (size_t i = 0; i < pub->n_declines; i++)
			if (pub->declines[i].category == cat &&
			    pub->declines[i].reason == rs) {
				assert_int_equal(pub->declines[i].group, ng);
				d = &pub->declines[i];
			}
		for (size_t i = 0; i < truth->n_declines; i++)
			if (truth->declines[i].category == cat &&
			    truth->declines[i].reason == rs &&
			    truth->declines[i].group == ng)
				tc = truth->declines[i].count;
		if (d && !d->suppressed)
			assert_false(nat_decl_hidden);
		/* Hidden declines: every reason of the list, hidden. */
		if (nat_decl_hidden && rs != PLACE_REASON_NONE)
			assert_true(d != NULL && d->suppressed);
		if (d && d->suppressed)
			check_mark(p, d->complementary, nat_decl_hidden, tc);
		else
			assert_int_equal(d ? d->count : 0, tc);
		reasons[rs] = seen_count(p, d && d->suppressed,
		    d && d->complementary, nat_decl_hidden,
		    d ? d->count : 0);
	}
	for (int c = 0; c < N_AUDITED; c++) {
		struct seen t[N_GROUPS_MAX];
		bool decl = c == 5;

		for (size_t g = 0; g < ng; g++)
			t[g] = cells[g][c];
		for (size_t g = 0; g < ng; g++)
			if (t[g].hidden)
				recovered += term_values(&cells[ng][c], t, ng,
				    g, decl ? reasons : NULL,
				    decl ? PLACE_REASON_COUNT : 0) == 1;
		if (cells[ng][c].hidden) {
			int64_t lo, hi;

			total_range(&cells[ng][c], t, ng, decl ? reasons :
			    NULL, decl ? PLACE_REASON_COUNT : 0, &lo, &hi);
			recovered += lo == hi;
		}
	}
	for (int rs = 0; rs < PLACE_REASON_COUNT; rs++) {
		struct seen t[N_GROUPS_MAX];

		for (size_t g = 0; g < ng; g++)
			t[g] = cells[g][5];
		if (reasons[rs].hidden)
			recovered += term_values(&cells[ng][5], reasons,
			    PLACE_REASON_COUNT, (size_t)rs, t, ng) == 1;
	}
	return recovered;
}

/* One random month of placement steps for ng regions, two categories. */
static size_t
random_month(uint64_t *x, size_t ng, struct rep_place *v)
{
	size_t n = 0;
	static const int cats[] = { WOMEN, MINORS };

	for (size_t g = 0; g < ng; g++)
		for (int ci = 0; ci < 2; ci++) {
			int steps[] = { REP_REQUESTED, REP_ACCEPTED,
				REP_ACCEPTED, REP_UNPLACED, REP_CANCELLED,
				REP_DECLINED, REP_EXPIRED };

			for (size_t s = 0; s < 7; s++) {
				int c = rnd_count(x);

				for (int i = 0; i < c; i++) {
					struct rep_place *pl = &v[n++];

					int rs = 1 + (int)(rnd(x) % 5);

					*pl = place(MARCH + DAY + i,
					    (int64_t)(rnd(x) % 9000), (int)g,
					    steps[s], s == 1, rs);
					pl->category = (uint8_t)cats[ci];
					/* Some accepted into reserve beds,
					 * of any region. */
					pl->in_reserve = s == 2 &&
					    rnd(x) % 2 == 0;
					pl->held_group = (uint16_t)(rnd(x) %
					    ng);
				}
			}
		}
	return n;
}

/* Reserve activations of the same month: counts like the others. */
static size_t
random_reserves(uint64_t *x, size_t ng, struct rep_reserve *v)
{
	size_t n = 0;

	for (size_t g = 0; g < ng; g++)
		for (int cat = WOMEN; cat <= MINORS; cat += MINORS - WOMEN)
			for (int i = rnd_count(x); i > 0; i--) {
				struct rep_reserve *r = &v[n++];

				memset(r, 0, sizeof(*r));
				r->at = MARCH + DAY + i;
				r->end = r->at + DAY;
				r->beds = 1 + (uint32_t)(rnd(x) % 6);
				r->group = (uint16_t)g;
				r->category = (uint8_t)cat;
			}
	return n;
}

static void
public_report_cannot_be_differenced(void **state)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	struct rep_place *v = test_malloc(N_GROUPS_MAX * 2 * 7 * 16 *
	    sizeof(*v));
	struct rep_reserve *res = test_malloc(N_GROUPS_MAX * 2 * 16 *
	    sizeof(*res));
	size_t months = 3000, hidden = 0, complementary = 0;

	(void)state;
	for (size_t m = 0; m < months; m++) {
		size_t ng = 1 + rnd(&x) % N_GROUPS_MAX;
		size_t n = random_month(&x, ng, v);
		size_t nr = random_reserves(&x, ng, res);
		struct rep_params p = { .from = MARCH, .until = APRIL,
			.n_shelters = 1, .n_groups = (uint16_t)ng,
			.critical_pct = 100, .k = 5, .reserves = res,
			.n_reserves = nr };
		struct report truth, pub;

		assert_int_equal(report_build(&p, NULL, 0, v, n, &truth), 0);
		p.public = true;
		assert_int_equal(report_build(&p, NULL, 0, v, n, &pub), 0);
		for (int cat = WOMEN; cat <= MINORS; cat += MINORS - WOMEN) {
			int got = reader_recovers(&p, &pub, &truth, cat);

			if (got != 0)
				fail_msg("month %zu (%zu regions), category "
				    "%d: %d suppressed count(s) recovered",
				    m, ng, cat, got);
		}
		hidden += pub.suppressed_cells;
		for (size_t i = 0; i < pub.n_rows; i++)
			complementary += pub.rows[i].complementary != 0;
		report_free(&truth);
		report_free(&pub);
	}
	/* The months did put suppression to work. */
	assert_true(hidden > months);
	assert_true(complementary > months / 10);
	test_free(v);
	test_free(res);
}

/* ---- trend ------------------------------------------------------------- */

static void
trend_in_daily_buckets(void **state)
{
	struct fx *f = *state;
	struct rep_point pt[4];

	/* R0 only (A and B); four days from March 1st. */
	f->par.until = MARCH + 4 * DAY;
	assert_int_equal(report_trend(&f->par, WOMEN, DAY, f->s, 6, pt, 4), 0);
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
	assert_int_equal(report_trend(&f->par, WOMEN, DAY, f->s, f->ns,
	    pt, 2),
	   0);
	assert_int_equal(pt[0].data_secs, 0);
	assert_int_equal(pt[1].data_secs, 0);
	assert_int_equal(report_trend(&f->par, WOMEN, DAY, f->s, f->ns,
	    pt, 0),
	    -1);
}

/* Buckets are calendar days (UTC), the last one today's: a sample taken
 * now is counted under today's date, not yesterday's. */
static void
trend_window_is_calendar_days(void **state)
{
	int64_t now = MARCH + 2 * DAY + 10 * 3600 + 17, from, end, len;

	(void)state;
	assert_int_equal(report_trend_window(now, 3, 0, &from, &end, &len), 0);
	assert_int_equal(from, MARCH);
	assert_int_equal(end, MARCH + 3 * DAY);
	assert_int_equal(len, DAY);
	assert_int_equal(report_trend_window(now, 1, 24, &from, &end, &len),
	    0);
	assert_int_equal(from, MARCH + 2 * DAY);
	assert_int_equal(len, 3600);
	/* Midnight itself starts the day. */
	assert_int_equal(report_trend_window(MARCH, 1, 0, &from, &end, &len),
	    0);
	assert_int_equal(from, MARCH);
	assert_int_equal(report_trend_window(now, 1, 7, &from, &end, &len),
	    -1);
	assert_int_equal(report_trend_window(now, 0, 0, &from, &end, &len),
	    -1);
}

static void
trend_counts_today_under_today(void **state)
{
	struct fx *f = *state;
	struct rep_point pt[3];
	int64_t now = MARCH + 2 * DAY + 6 * 3600, end, len;

	assert_int_equal(report_trend_window(now, 3, 0, &f->par.from, &end,
	    &len), 0);
	f->par.until = now + 1;
	assert_int_equal(report_trend(&f->par, WOMEN, len, f->s, 6, pt, 3),
	    0);
	assert_int_equal(pt[2].from, MARCH + 2 * DAY);
	/* Today so far: six hours and a second, in today's bucket only. */
	assert_int_equal(pt[2].data_secs, 6 * 3600 + 1);
	assert_int_equal(pt[1].data_secs, DAY);
	assert_near(pt[2].avg_pct, 100.0);
	assert_near(pt[1].avg_pct, 50.0);
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
		fx_test(public_report_of_the_issue),
		cmocka_unit_test(public_report_cannot_be_differenced),
		fx_test(reserves_are_counted_across_month_boundaries),
		fx_test(an_open_reserve_counts_until_now),
		fx_test(placements_into_reserve_beds_count_where_the_beds_are),
		fx_test(public_reserve_counts_below_k_are_hidden),
		fx_test(public_confirmed_beds_need_k_shelters),
		fx_test(trend_in_daily_buckets),
		fx_test(trend_without_history_is_empty),
		cmocka_unit_test(trend_window_is_calendar_days),
		fx_test(trend_counts_today_under_today),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
