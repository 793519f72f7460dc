#include "report.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "placement.h"

/* ---- calendar ------------------------------------------------------- */

/* Howard Hinnant's days_from_civil: exact for every Gregorian date, with
 * no dependence on the C library's time zone handling (timegm is not
 * standard C). */
int64_t
report_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
report_month_range(const char *month, int64_t *from, int64_t *until)
{
	unsigned y = 0, m = 0;

	if (month == NULL || strlen(month) != 7 || month[4] != '-')
		return -1;
	for (int i = 0; i < 7; i++) {
		if (i == 4)
			continue;
		if (!isdigit((unsigned char)month[i]))
			return -1;
		if (i < 4)
			y = y * 10 + (unsigned)(month[i] - '0');
		else
			m = m * 10 + (unsigned)(month[i] - '0');
	}
	if (y < 1970 || m < 1 || m > 12)
		return -1;
	*from = report_days_from_civil(y, m, 1) * 86400;
	*until = (m == 12 ? report_days_from_civil(y + 1, 1, 1) :
	    report_days_from_civil(y, m + 1, 1)) * 86400;
	return 0;
}

/* ---- the occupancy series ------------------------------------------- */

/*
 * A series is the sum over shelters of their latest samples. Spans are
 * [a, b) with the state in effect; an instant (a == b) is a state that was
 * reached at a, however briefly (it counts for the peak).
 */
struct span {
	int64_t a, b;
	uint32_t capacity, free, occupied;
};

typedef void (*span_fn)(void *arg, const struct span *sp);

struct shelter_now {
	uint32_t capacity, free, occupied;
};

struct series {
	struct shelter_now *now;  /* per shelter */
	uint32_t n_shelters;
};

/* v: the samples of one series, in time order. */
static void
series_run(struct series *se, const struct rep_params *p,
    const struct rep_sample *const *v, size_t n, span_fn fn, void *arg)
{
	struct span sp = { INT64_MIN, 0, 0, 0, 0 };

	memset(se->now, 0, se->n_shelters * sizeof(*se->now));
	for (size_t i = 0; i < n; i++) {
		const struct rep_sample *s = v[i];
		struct shelter_now *sh;

		if (s->shelter >= se->n_shelters)
			continue;
		sh = &se->now[s->shelter];
		if (s->at > sp.a) {
			sp.b = s->at;
			fn(arg, &sp);
			sp.a = s->at;
		}
		/* Unsigned wrap-around keeps the sums exact, as in
		 * aggregate_add. */
		sp.capacity += s->capacity - sh->capacity;
		sp.free += s->free - sh->free;
		sp.occupied += s->occupied - sh->occupied;
		sh->capacity = s->capacity;
		sh->free = s->free;
		sh->occupied = s->occupied;
		if (s->at >= p->from && s->at < p->until) {
			struct span instant = sp;

			instant.b = instant.a;
			fn(arg, &instant);
		}
	}
	sp.b = p->until;
	if (sp.a < sp.b)
		fn(arg, &sp);
}

static double
span_pct(const struct span *sp)
{
	uint32_t used = sp->capacity > sp->free ? sp->capacity - sp->free : 0;

	return sp->capacity ? used * 100.0 / sp->capacity : 0.0;
}

/* ---- report rows ----------------------------------------------------- */

struct row_acc {
	const struct rep_params *p;
	struct rep_row *row;
	double integral;          /* pct * seconds */
	uint32_t days;            /* bit d: day d of the month critical */
	bool peak_seen;
};

static void
mark_days(struct row_acc *acc, int64_t a, int64_t b)
{
	int64_t first = (a - acc->p->from) / 86400;
	int64_t last = (b - acc->p->from) / 86400;

	for (int64_t d = first; d <= last && d < 32; d++)
		if (d >= 0)
			acc->days |= 1u << d;
}

static void
row_span(void *arg, const struct span *sp)
{
	struct row_acc *acc = arg;
	const struct rep_params *p = acc->p;
	struct rep_row *r = acc->row;
	int64_t a = sp->a > p->from ? sp->a : p->from;
	int64_t b = sp->b < p->until ? sp->b : p->until;
	bool instant = sp->a == sp->b;
	bool critical;
	double pct;

	if (sp->capacity == 0)
		return;
	if (instant ? (sp->a < p->from || sp->a >= p->until) : b <= a)
		return;
	pct = span_pct(sp);
	/* Exact, like esc_region_level: no rounding decides it. */
	critical = (uint64_t)(sp->capacity - (sp->free < sp->capacity ?
	    sp->free : sp->capacity)) * 100 >=
	    (uint64_t)p->critical_pct * sp->capacity;
	if (!acc->peak_seen || pct > r->peak_pct)
		r->peak_pct = pct;
	acc->peak_seen = true;
	if (sp->capacity > r->peak_capacity)
		r->peak_capacity = sp->capacity;
	if (sp->occupied > r->peak_occupied)
		r->peak_occupied = sp->occupied;
	if (instant) {
		if (critical)
			mark_days(acc, sp->a, sp->a);
		return;
	}
	acc->integral += pct * (double)(b - a);
	r->occupancy_secs += b - a;
	if (critical)
		mark_days(acc, a, b - 1);
}

static int
popcount32(uint32_t v)
{
	int n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* Sort keys for the series: one run per group and category, and one per
 * category for the nation. Ties keep input order (a stable sort by
 * hand: the index is the last key). */
struct sref {
	const struct rep_sample *s;
	size_t i;
};

static int
by_group_cat_time(const void *x, const void *y)
{
	const struct sref *a = x, *b = y;

	if (a->s->group != b->s->group)
		return a->s->group < b->s->group ? -1 : 1;
	if (a->s->category != b->s->category)
		return a->s->category < b->s->category ? -1 : 1;
	if (a->s->at != b->s->at)
		return a->s->at < b->s->at ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

static int
by_cat_time(const void *x, const void *y)
{
	const struct sref *a = x, *b = y;

	if (a->s->category != b->s->category)
		return a->s->category < b->s->category ? -1 : 1;
	if (a->s->at != b->s->at)
		return a->s->at < b->s->at ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

/* Run the series of every [start, end) stretch of refs that shares the
 * key (national: category only). */
static void
occupancy_rows(const struct rep_params *p, struct series *se,
    struct sref *refs, const struct rep_sample **v, size_t n,
    struct rep_row *rows, bool national)
{
	size_t start = 0;

	qsort(refs, n, sizeof(*refs), national ? by_cat_time :
	    by_group_cat_time);
	while (start < n) {
		const struct rep_sample *s0 = refs[start].s;
		size_t end = start;
		uint16_t g = national ? p->n_groups : s0->group;
		struct row_acc acc;

		while (end < n && refs[end].s->category == s0->category &&
		    (national || refs[end].s->group == s0->group)) {
			v[end - start] = refs[end].s;
			end++;
		}
		memset(&acc, 0, sizeof(acc));
		acc.p = p;
		acc.row = &rows[(size_t)g * CAT_COUNT + s0->category - 1];
		series_run(se, p, v, end - start, row_span, &acc);
		acc.row->avg_pct = acc.row->occupancy_secs ?
		    acc.integral / (double)acc.row->occupancy_secs : 0.0;
		acc.row->days_critical = (uint32_t)popcount32(acc.days);
		start = end;
	}
}

/* ---- placements ------------------------------------------------------ */

static int
cmp_i64(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* Nearest rank: a value that occurred, never an interpolation. */
static int64_t
percentile(const int64_t *v, size_t n, unsigned pct)
{
	size_t rank = (pct * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

static int
by_decline_key(const void *x, const void *y)
{
	const struct rep_decline *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->category != b->category)
		return a->category < b->category ? -1 : 1;
	return a->reason < b->reason ? -1 : a->reason > b->reason;
}

static int
by_decline_order(const void *x, const void *y)
{
	const struct rep_decline *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->category != b->category)
		return a->category < b->category ? -1 : 1;
	/* The list's order, so that a public report's suppressed entries
	 * keep their place and say nothing by it. */
	return a->reason < b->reason ? -1 : a->reason > b->reason;
}

static bool
in_period(const struct rep_params *p, int64_t at)
{
	return at >= p->from && at < p->until;
}

/* Off the list (a damaged record) counts as "other", never as nothing. */
static uint8_t
decline_reason(const struct rep_place *x)
{
	if (x->step == REP_EXPIRED)
		return PLACE_REASON_EXPIRED;
	return place_reason_answerable(x->reason) ? x->reason :
	    PLACE_REASON_OTHER;
}

/* Count placements and collect the decline reasons (two entries per
 * decline: its region and the nation). */
static int
placement_rows(const struct rep_params *p, const struct rep_place *pl,
    size_t npl, struct rep_row *rows, struct report *out)
{
	size_t n_rows = ((size_t)p->n_groups + 1) * CAT_COUNT;
	size_t *n_ttp = calloc(n_rows, sizeof(*n_ttp));
	int64_t **ttp = calloc(n_rows, sizeof(*ttp));
	struct rep_decline *d = calloc(2 * npl + 1, sizeof(*d));
	size_t nd = 0;
	int rc = -1;

	if (n_ttp == NULL || ttp == NULL || d == NULL)
		goto out;
	/* Room for each row's waits: count them first. */
	for (size_t i = 0; i < npl; i++)
		if (in_period(p, pl[i].at) && pl[i].group < p->n_groups &&
		    pl[i].category >= 1 && pl[i].category <= CAT_COUNT &&
		    pl[i].step == REP_ACCEPTED) {
			n_ttp[(size_t)pl[i].group * CAT_COUNT +
			    pl[i].category - 1]++;
			n_ttp[(size_t)p->n_groups * CAT_COUNT +
			    pl[i].category - 1]++;
		}
	for (size_t ri = 0; ri < n_rows; ri++) {
		if (n_ttp[ri] > 0 &&
		    (ttp[ri] = calloc(n_ttp[ri], sizeof(**ttp))) == NULL)
			goto out;
		n_ttp[ri] = 0;
	}
	for (size_t i = 0; i < npl; i++) {
		const struct rep_place *x = &pl[i];

		if (!in_period(p, x->at) || x->group >= p->n_groups ||
		    x->category < 1 || x->category > CAT_COUNT)
			continue;
		for (int nat = 0; nat < 2; nat++) {
			size_t g = nat ? p->n_groups : x->group;
			size_t ri = g * CAT_COUNT + x->category - 1;
			struct rep_row *r = &rows[ri];

			switch (x->step) {
			case REP_REQUESTED:
				r->requested++;
				break;
			case REP_ACCEPTED:
				if (x->in_own_region)
					r->placed_in_region++;
				else
					r->placed_supra++;
				ttp[ri][n_ttp[ri]++] = x->at - x->created_at;
				break;
			case REP_UNPLACED:
				r->unplaced++;
				break;
			case REP_CANCELLED:
				r->cancelled++;
				break;
			case REP_DECLINED:
			case REP_EXPIRED:
				r->declines++;
				d[nd].group = (uint16_t)g;
				d[nd].category = x->category;
				d[nd].count = 1;
				d[nd].reason = decline_reason(x);
				nd++;
				break;
			default:
				break;
			}
		}
	}
	for (size_t ri = 0; ri < n_rows; ri++) {
		rows[ri].ttp_median = rows[ri].ttp_p90 = -1;
		if (n_ttp[ri] == 0)
			continue;
		qsort(ttp[ri], n_ttp[ri], sizeof(**ttp), cmp_i64);
		rows[ri].ttp_median = percentile(ttp[ri], n_ttp[ri], 50);
		rows[ri].ttp_p90 = percentile(ttp[ri], n_ttp[ri], 90);
	}
	/* Equal reasons of the same group and category become one. */
	qsort(d, nd, sizeof(*d), by_decline_key);
	out->n_declines = 0;
	for (size_t i = 0; i < nd; i++) {
		struct rep_decline *last = out->n_declines ?
		    &d[out->n_declines - 1] : NULL;

		if (last != NULL && by_decline_key(last, &d[i]) == 0)
			last->count++;
		else
			d[out->n_declines++] = d[i];
	}
	out->declines = d;
	d = NULL;
	rc = 0;
out:
	for (size_t ri = 0; ttp != NULL && ri < n_rows; ri++)
		free(ttp[ri]);
	free(ttp);
	free(n_ttp);
	free(d);
	return rc;
}

/* ---- suppression ------------------------------------------------------ */

static bool
small(const struct rep_params *p, uint64_t v)
{
	return v >= 1 && v < p->k;
}

static uint32_t *
cell(struct rep_row *r, int c)
{
	switch (c) {
	case REP_CELL_REQUESTED:
		return &r->requested;
	case REP_CELL_PLACED_IN_REGION:
		return &r->placed_in_region;
	case REP_CELL_PLACED_SUPRA:
		return &r->placed_supra;
	case REP_CELL_UNPLACED:
		return &r->unplaced;
	case REP_CELL_CANCELLED:
		return &r->cancelled;
	default:
		return &r->declines;
	}
}

/*
 * Public decline reasons: only the nation's (a region's could otherwise be
 * recovered as the nation's count less the other regions'); a reason given
 * fewer than k times is suppressed.
 */
static void
suppress_declines(const struct rep_params *p, struct report *out)
{
	size_t n = 0;

	for (size_t i = 0; i < out->n_declines; i++) {
		struct rep_decline *x = &out->declines[i];

		if (x->group != p->n_groups)
			continue;
		if (small(p, x->count)) {
			x->suppressed = true;
			x->count = 0;
		}
		out->declines[n++] = *x;
	}
	out->n_declines = n;
}

/*
 * The regions of a category add up to the nation. When the nation's cell
 * is shown, the suppressed region cells could be recovered from it: keep
 * suppressing the smallest non-zero other cells until at least two are
 * hidden and together they hold at least k; failing that, hide the
 * nation's cell too.
 */
static void
suppress_secondary(const struct rep_params *p, struct rep_row *rows, int cat,
    int c)
{
	struct rep_row *nat = &rows[(size_t)p->n_groups * CAT_COUNT + cat];
	uint32_t bit = 1u << c;
	uint64_t sum = 0;
	size_t hidden = 0;

	if (nat->suppressed & bit)
		return;
	for (size_t g = 0; g < p->n_groups; g++) {
		struct rep_row *r = &rows[g * CAT_COUNT + cat];

		if (r->suppressed & bit) {
			hidden++;
			sum += *cell(r, c);
		}
	}
	while (hidden > 0 && (hidden < 2 || sum < p->k)) {
		struct rep_row *best = NULL;

		for (size_t g = 0; g < p->n_groups; g++) {
			struct rep_row *r = &rows[g * CAT_COUNT + cat];

			if ((r->suppressed & bit) || *cell(r, c) == 0)
				continue;
			if (best == NULL || *cell(r, c) < *cell(best, c))
				best = r;
		}
		if (best == NULL) {
			nat->suppressed |= bit;
			return;
		}
		best->suppressed |= bit;
		hidden++;
		sum += *cell(best, c);
	}
}

static void
suppress(const struct rep_params *p, struct report *out,
    struct rep_row *rows, size_t n_rows)
{
	for (size_t i = 0; i < n_rows; i++) {
		struct rep_row *r = &rows[i];

		/* Occupancy of a handful of beds or people tells of
		 * persons: capacity 2 at 50 % is one. */
		if (r->peak_capacity > 0 && (r->peak_capacity < p->k ||
		    small(p, r->peak_occupied)))
			r->suppressed |= 1u << REP_CELL_OCCUPANCY;
		for (int c = REP_CELL_REQUESTED; c <= REP_CELL_DECLINES; c++)
			if (small(p, *cell(r, c)))
				r->suppressed |= 1u << c;
		/* A median of fewer than k is nearly one person's wait. */
		if (small(p, (uint64_t)r->placed_in_region + r->placed_supra))
			r->suppressed |= 1u << REP_CELL_TTP;
	}
	suppress_declines(p, out);
	for (int cat = 0; cat < CAT_COUNT; cat++)
		for (int c = REP_CELL_REQUESTED; c <= REP_CELL_DECLINES; c++)
			suppress_secondary(p, rows, cat, c);
	/* What is hidden is not sent at all, not just flagged. */
	for (size_t i = 0; i < n_rows; i++) {
		struct rep_row *r = &rows[i];

		if (r->suppressed & (1u << REP_CELL_OCCUPANCY)) {
			r->avg_pct = r->peak_pct = 0;
			r->peak_capacity = r->peak_occupied = 0;
			r->days_critical = 0;
		}
		for (int c = REP_CELL_REQUESTED; c <= REP_CELL_DECLINES; c++)
			if (r->suppressed & (1u << c))
				*cell(r, c) = 0;
		if (r->suppressed & (1u << REP_CELL_TTP))
			r->ttp_median = r->ttp_p90 = -1;
		out->suppressed_cells += (uint32_t)popcount32(r->suppressed);
	}
	for (size_t i = 0; i < out->n_declines; i++)
		out->suppressed_cells += out->declines[i].suppressed;
}

/* ---- the report ------------------------------------------------------- */

static bool
row_used(const struct rep_row *r)
{
	return r->peak_capacity > 0 || r->occupancy_secs > 0 ||
	    r->requested || r->placed_in_region || r->placed_supra ||
	    r->unplaced || r->cancelled || r->declines;
}

int
report_build(const struct rep_params *p, const struct rep_sample *s,
    size_t n, const struct rep_place *pl, size_t npl, struct report *out)
{
	size_t n_rows = ((size_t)p->n_groups + 1) * CAT_COUNT, used = 0;
	struct rep_row *rows = calloc(n_rows, sizeof(*rows));
	struct sref *refs = calloc(n + 1, sizeof(*refs));
	const struct rep_sample **v = calloc(n + 1, sizeof(*v));
	struct series se = { calloc((size_t)p->n_shelters + 1,
		sizeof(*se.now)), p->n_shelters };
	size_t kept = 0;

	memset(out, 0, sizeof(*out));
	if (rows == NULL || refs == NULL || v == NULL || se.now == NULL)
		goto fail;
	for (size_t g = 0; g <= p->n_groups; g++)
		for (int c = 0; c < CAT_COUNT; c++) {
			rows[g * CAT_COUNT + c].group = (uint16_t)g;
			rows[g * CAT_COUNT + c].category = (uint8_t)(c + 1);
		}
	for (size_t i = 0; i < n; i++)
		if (s[i].group < p->n_groups && s[i].category >= 1 &&
		    s[i].category <= CAT_COUNT) {
			refs[kept].s = &s[i];
			refs[kept].i = i;
			kept++;
		}
	occupancy_rows(p, &se, refs, v, kept, rows, false);
	occupancy_rows(p, &se, refs, v, kept, rows, true);
	if (placement_rows(p, pl, npl, rows, out) != 0)
		goto fail;
	if (p->public)
		suppress(p, out, rows, n_rows);
	qsort(out->declines, out->n_declines, sizeof(*out->declines),
	    by_decline_order);
	for (size_t i = 0; i < n_rows; i++)
		if (row_used(&rows[i]) || rows[i].suppressed)
			rows[used++] = rows[i];
	out->rows = rows;
	out->n_rows = used;
	free(refs);
	free(v);
	free(se.now);
	return 0;
fail:
	free(rows);
	free(refs);
	free(v);
	free(se.now);
	report_free(out);
	return -1;
}

void
report_free(struct report *r)
{
	free(r->rows);
	free(r->declines);
	memset(r, 0, sizeof(*r));
}

/* ---- trend ------------------------------------------------------------ */

struct trend_acc {
	const struct rep_params *p;
	struct rep_point *pt;
	size_t n;
	int64_t len;              /* bucket length; the last takes the rest */
	double *integral;
	bool *seen;
};

static size_t
bucket_of(const struct trend_acc *t, int64_t at)
{
	int64_t b = (at - t->p->from) / t->len;

	return b < 0 ? 0 : (size_t)b >= t->n ? t->n - 1 : (size_t)b;
}

static void
trend_point(struct trend_acc *t, size_t i, const struct span *sp,
    double pct)
{
	struct rep_point *pt = &t->pt[i];

	if (!t->seen[i] || pct > pt->peak_pct)
		pt->peak_pct = pct;
	if (!t->seen[i] || sp->free < pt->min_free)
		pt->min_free = sp->free;
	pt->capacity = sp->capacity;
	t->seen[i] = true;
}

static void
trend_span(void *arg, const struct span *sp)
{
	struct trend_acc *t = arg;
	const struct rep_params *p = t->p;
	int64_t a = sp->a > p->from ? sp->a : p->from;
	int64_t b = sp->b < p->until ? sp->b : p->until;
	double pct;

	if (sp->capacity == 0)
		return;
	pct = span_pct(sp);
	if (sp->a == sp->b) {
		if (sp->a >= p->from && sp->a < p->until)
			trend_point(t, bucket_of(t, sp->a), sp, pct);
		return;
	}
	while (a < b) {
		size_t i = bucket_of(t, a);
		int64_t end = i + 1 == t->n ? p->until :
		    p->from + (int64_t)(i + 1) * t->len;
		int64_t stop = end < b ? end : b;

		trend_point(t, i, sp, pct);
		t->integral[i] += pct * (double)(stop - a);
		t->pt[i].data_secs += stop - a;
		a = stop;
	}
}

int
report_trend(const struct rep_params *p, int category,
    const struct rep_sample *s, size_t n, struct rep_point *out,
    size_t n_buckets)
{
	struct sref *refs = calloc(n + 1, sizeof(*refs));
	const struct rep_sample **v = calloc(n + 1, sizeof(*v));
	double *integral = calloc(n_buckets + 1, sizeof(*integral));
	bool *seen = calloc(n_buckets + 1, sizeof(*seen));
	struct series se = { calloc((size_t)p->n_shelters + 1,
		sizeof(*se.now)), p->n_shelters };
	struct trend_acc t = { p, out, n_buckets, 1, integral, seen };
	size_t kept = 0;
	int rc = -1;

	if (refs == NULL || v == NULL || integral == NULL || seen == NULL ||
	    se.now == NULL || n_buckets == 0 || p->until <= p->from)
		goto out;
	t.len = (p->until - p->from) / (int64_t)n_buckets;
	if (t.len < 1)
		t.len = 1;
	memset(out, 0, n_buckets * sizeof(*out));
	for (size_t i = 0; i < n_buckets; i++)
		out[i].from = p->from + (int64_t)i * t.len;
	for (size_t i = 0; i < n; i++)
		if (s[i].category == category) {
			refs[kept].s = &s[i];
			refs[kept].i = i;
			kept++;
		}
	qsort(refs, kept, sizeof(*refs), by_cat_time);
	for (size_t i = 0; i < kept; i++)
		v[i] = refs[i].s;
	series_run(&se, p, v, kept, trend_span, &t);
	for (size_t i = 0; i < n_buckets; i++)
		if (out[i].data_secs > 0)
			out[i].avg_pct = integral[i] /
			    (double)out[i].data_secs;
	rc = 0;
out:
	free(refs);
	free(v);
	free(integral);
	free(seen);
	free(se.now);
	return rc;
}
