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

/* ---- reserve beds ---------------------------------------------------- */

static struct rep_row *
row_of(struct rep_row *rows, size_t g, int cat)
{
	return &rows[g * CAT_COUNT + (size_t)cat - 1];
}

static bool
known_cell(const struct rep_params *p, size_t g, int cat)
{
	return g < p->n_groups && cat >= 1 && cat <= CAT_COUNT;
}

/*
 * Activations and confirmations count in the period they were made in;
 * bed-days in every period the beds counted in: from the confirmation to
 * the activation's end, cut to [from, until). Each in its region's row
 * and the nation's.
 */
static void
reserve_rows(const struct rep_params *p, const struct rep_place *pl,
    size_t npl, struct rep_row *rows)
{
	for (size_t i = 0; i < p->n_reserves; i++) {
		const struct rep_reserve *x = &p->reserves[i];

		if (!known_cell(p, x->group, x->category) ||
		    !in_period(p, x->at))
			continue;
		for (int k = 0; k < 2; k++) {
			struct rep_row *r = row_of(rows, k ? p->n_groups :
			    x->group, x->category);

			r->reserve_activations++;
			r->reserve_beds_asked += x->beds;
		}
	}
	for (size_t i = 0; i < p->n_confirms; i++) {
		const struct rep_confirm *c = &p->confirms[i];
		const struct rep_reserve *x;
		int64_t a, b;

		if (c->reserve >= p->n_reserves)
			continue;
		x = &p->reserves[c->reserve];
		if (!known_cell(p, x->group, x->category))
			continue;
		a = c->at > p->from ? c->at : p->from;
		b = x->end < p->until ? x->end : p->until;
		for (int k = 0; k < 2; k++) {
			struct rep_row *r = row_of(rows, k ? p->n_groups :
			    x->group, x->category);

			if (in_period(p, c->at))
				r->reserve_beds_confirmed += c->beds;
			if (b > a)
				r->reserve_bed_secs += (int64_t)c->beds *
				    (b - a);
		}
	}
	for (size_t i = 0; i < npl; i++) {
		const struct rep_place *x = &pl[i];

		if (x->step != REP_ACCEPTED || !x->in_reserve ||
		    !in_period(p, x->at) ||
		    !known_cell(p, x->held_group, x->category))
			continue;
		row_of(rows, x->held_group, x->category)->placed_reserve++;
		row_of(rows, p->n_groups, x->category)->placed_reserve++;
	}
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
	case REP_CELL_RESERVE_ACTIVATIONS:
		return &r->reserve_activations;
	case REP_CELL_PLACED_RESERVE:
		return &r->placed_reserve;
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
 * What a public report hides, and why it cannot be undone by subtraction.
 *
 * A reader knows: every shown figure; that a cell shown as "<k" holds 1
 * to k-1 and one shown as complementary holds k or more (counts of 0 are
 * always shown, so nothing of 0 is ever hidden); and two kinds of sums:
 * the regions of a category add up to the nation, cell by cell, and the
 * nation's decline reasons of a category add up to its declines. Derived
 * figures follow their counts: a time to placement only where both
 * placement counts are shown, the reasons of a category only where the
 * nation's declines are.
 *
 * Reserve activations and placements into reserve beds are counts like the
 * others, in sums of their own (region by region to the nation); the beds
 * an activation asked for follow its count. Beds confirmed (and their
 * bed-days) are not about persons but about shelters: see
 * suppress_confirmed.
 *
 * After the small cells are hidden, an audit works out what the reader can
 * (each sum bounds each of its terms by the others' bounds, until nothing
 * moves: exact for these sums, which share at most one cell each) and,
 * while some hidden count is pinned to one value, hides one more cell of a
 * sum it is in: the first shown non-zero term in region (or reason) order,
 * never the smallest, whose choice would tell that the others are larger;
 * failing that, the sum's total.
 */
static const int counted[] = { REP_CELL_REQUESTED,
	REP_CELL_PLACED_IN_REGION, REP_CELL_PLACED_SUPRA, REP_CELL_UNPLACED,
	REP_CELL_CANCELLED, REP_CELL_DECLINES, REP_CELL_RESERVE_ACTIVATIONS,
	REP_CELL_PLACED_RESERVE };
enum { N_COUNTS = sizeof(counted) / sizeof(counted[0]) };
/* zeros_hidden's "cell" for the nation's decline reasons. */
enum { REASONS = -1 };

static size_t
count_index(int c)
{
	for (size_t i = 0; i < N_COUNTS; i++)
		if (counted[i] == c)
			return i;
	return 0; /* never: every caller passes one of counted[] */
}

/* "k or more": no count comes near, and sums of it cannot overflow. */
#define AUDIT_MAX ((int64_t)1 << 40)

/* A count as the reader sees it: known, or within [lo, hi]. */
struct audit_var {
	int64_t lo, hi;
	bool hidden;
};

/* The counts of one category: regions' and nation's cells, then the
 * nation's reasons. */
struct audit {
	const struct rep_params *p;
	struct rep_row *rows;     /* all groups, by group then category */
	struct report *out;
	int cat;                  /* 0-based */
	size_t n_vars;
	struct audit_var *v;
};

static size_t
var_cell(const struct audit *a, size_t g, int c)
{
	(void)a;
	return g * N_COUNTS + count_index(c);
}

static size_t
var_reason(const struct audit *a, int reason)
{
	return ((size_t)a->p->n_groups + 1) * N_COUNTS + (size_t)reason;
}

static struct rep_row *
audit_row(const struct audit *a, size_t g)
{
	return &a->rows[g * CAT_COUNT + (size_t)a->cat];
}

static struct rep_decline *
audit_decline(const struct audit *a, int reason)
{
	for (size_t i = 0; i < a->out->n_declines; i++) {
		struct rep_decline *d = &a->out->declines[i];

		if (d->category == a->cat + 1 && d->reason == reason)
			return d;
	}
	return NULL;
}

/* Hidden, a count below k reads "<k" (1..k-1, or 0..k-1 where zeros are
 * hidden too); any other "k or more". */
static void
var_set(const struct rep_params *p, struct audit_var *x, bool hidden,
    bool zero_hidden, uint64_t value)
{
	x->hidden = hidden;
	if (!hidden)
		x->lo = x->hi = (int64_t)value;
	else if (value < p->k)
		x->lo = zero_hidden ? 0 : 1, x->hi = (int64_t)p->k - 1;
	else
		x->lo = p->k, x->hi = AUDIT_MAX;
}

/* Where the nation's count of a cell is below k, each region's is hidden,
 * 0 included; where the nation's declines are hidden, so is each reason. */
static bool
zeros_hidden(const struct rep_params *p, const struct rep_row *nat, int c)
{
	return c == REASONS ? (nat->suppressed >> REP_CELL_DECLINES) & 1 :
	    small(p, *cell((struct rep_row *)nat, c));
}

static void
audit_load(struct audit *a)
{
	struct rep_row *nat = audit_row(a, a->p->n_groups);

	for (size_t g = 0; g <= a->p->n_groups; g++) {
		struct rep_row *r = audit_row(a, g);

		for (size_t i = 0; i < N_COUNTS; i++) {
			int c = counted[i];

			var_set(a->p, &a->v[var_cell(a, g, c)],
			    (r->suppressed >> c) & 1, g < a->p->n_groups &&
			    zeros_hidden(a->p, nat, c), *cell(r, c));
		}
	}
	for (int rs = 0; rs < PLACE_REASON_COUNT; rs++) {
		struct rep_decline *d = audit_decline(a, rs);

		var_set(a->p, &a->v[var_reason(a, rs)],
		    d != NULL && d->suppressed,
		    zeros_hidden(a->p, nat, REASONS),
		    d ? d->count : 0);
	}
}

/* total = sum of terms: tighten every bound; true when one moved. */
static bool
audit_sum(struct audit *a, size_t total, const size_t *t, size_t n)
{
	int64_t lo = 0, hi = 0;
	bool moved = false;
	struct audit_var *T = &a->v[total];

	for (size_t i = 0; i < n; i++) {
		lo += a->v[t[i]].lo;
		hi += a->v[t[i]].hi;
	}
	if (lo > T->lo)
		T->lo = lo, moved = true;
	if (hi < T->hi)
		T->hi = hi, moved = true;
	for (size_t i = 0; i < n; i++) {
		struct audit_var *x = &a->v[t[i]];
		int64_t olo = lo - x->lo, ohi = hi - x->hi;

		if (T->lo - ohi > x->lo)
			x->lo = T->lo - ohi, moved = true;
		if (T->hi - olo < x->hi)
			x->hi = T->hi - olo, moved = true;
	}
	return moved;
}

/* The sums of the category: terms into t (room for n_groups or the
 * reasons); returns the number of terms and the total's var. */
static size_t
audit_terms(const struct audit *a, int sum, size_t *t, size_t *total)
{
	size_t n = 0;

	if (sum < N_COUNTS) {
		int c = counted[sum];

		for (size_t g = 0; g < a->p->n_groups; g++)
			t[n++] = var_cell(a, g, c);
		*total = var_cell(a, a->p->n_groups, c);
	} else {
		for (int rs = 0; rs < PLACE_REASON_COUNT; rs++)
			t[n++] = var_reason(a, rs);
		*total = var_cell(a, a->p->n_groups, REP_CELL_DECLINES);
	}
	return n;
}

/* The first hidden count the reader pins to one value; SIZE_MAX: none. */
static size_t
audit_pinned(struct audit *a, size_t *t)
{
	size_t total;
	bool moved = true;

	audit_load(a);
	for (int round = 0; moved && round < 64; round++) {
		moved = false;
		for (int sum = 0; sum <= N_COUNTS; sum++) {
			size_t n = audit_terms(a, sum, t, &total);

			moved |= audit_sum(a, total, t, n);
		}
	}
	for (size_t i = 0; i < a->n_vars; i++)
		if (a->v[i].hidden && a->v[i].lo >= a->v[i].hi)
			return i;
	return SIZE_MAX;
}

/* Hide var i as complementary (it is shown and k or more). */
static void
audit_hide(struct audit *a, size_t i)
{
	size_t reasons = var_reason(a, 0);

	if (i >= reasons) {
		struct rep_decline *d = audit_decline(a,
		    (int)(i - reasons));

		d->suppressed = d->complementary = true;
	} else {
		struct rep_row *r = audit_row(a, i / N_COUNTS);
		uint32_t bit = 1u << counted[i % N_COUNTS];

		r->suppressed |= bit;
		r->complementary |= bit;
	}
}

static uint64_t
audit_value(const struct audit *a, size_t i)
{
	size_t reasons = var_reason(a, 0);

	if (i >= reasons) {
		const struct rep_decline *d = audit_decline(a,
		    (int)(i - reasons));

		return d ? d->count : 0;
	}
	return *cell(audit_row(a, i / N_COUNTS), counted[i % N_COUNTS]);
}

/* Var pinned is in one or two sums: hide another term of one, or its
 * total. false when there is nothing left to hide. */
static bool
audit_protect(struct audit *a, size_t pinned, size_t *t)
{
	for (int sum = 0; sum <= N_COUNTS; sum++) {
		size_t total, n = audit_terms(a, sum, t, &total);
		bool in = pinned == total;

		for (size_t i = 0; i < n && !in; i++)
			in = t[i] == pinned;
		if (!in)
			continue;
		for (size_t i = 0; i < n; i++)
			if (t[i] != pinned && !a->v[t[i]].hidden &&
			    audit_value(a, t[i]) > 0) {
				audit_hide(a, t[i]);
				return true;
			}
		if (total != pinned && !a->v[total].hidden &&
		    audit_value(a, total) > 0) {
			audit_hide(a, total);
			return true;
		}
	}
	return false;
}

/* Derived figures follow their counts (complementary: they are hidden
 * whatever their value, and a reason that is small reads "<k"). */
static void
hide_derived(const struct rep_params *p, struct rep_row *rows, size_t n_rows,
    struct report *out)
{
	const uint32_t placed = 1u << REP_CELL_PLACED_IN_REGION |
	    1u << REP_CELL_PLACED_SUPRA;

	for (size_t i = 0; i < n_rows; i++)
		if (rows[i].suppressed & placed)
			rows[i].suppressed |= 1u << REP_CELL_TTP;
	for (size_t i = 0; i < out->n_declines; i++) {
		struct rep_decline *d = &out->declines[i];
		const struct rep_row *nat = &rows[(size_t)p->n_groups *
		    CAT_COUNT + d->category - 1];

		if (d->suppressed ||
		    !(nat->suppressed & (1u << REP_CELL_DECLINES)))
			continue;
		d->suppressed = true;
		d->complementary = d->count >= p->k;
	}
}

/* Public decline reasons: only the nation's (a region's would be one more
 * sum to audit, for little use); a reason given fewer than k times is
 * hidden. */
static int
suppress_declines(const struct rep_params *p, struct report *out,
    const struct rep_row *rows)
{
	struct rep_decline *d = calloc(CAT_COUNT * PLACE_REASON_COUNT,
	    sizeof(*d));
	size_t n = 0;

	if (d == NULL)
		return -1;
	/* Every reason of a category the nation declined in, 0 included:
	 * hidden, a reason could otherwise be counted as at least 1. */
	for (int c = 0; c < CAT_COUNT; c++) {
		if (rows[(size_t)p->n_groups * CAT_COUNT + c].declines == 0)
			continue;
		for (int rs = PLACE_REASON_NO_BED; rs < PLACE_REASON_COUNT;
		     rs++) {
			struct rep_decline *x = &d[n++];

			x->group = p->n_groups;
			x->category = (uint8_t)(c + 1);
			x->reason = (uint8_t)rs;
			for (size_t i = 0; i < out->n_declines; i++)
				if (out->declines[i].group == p->n_groups &&
				    out->declines[i].category == c + 1 &&
				    out->declines[i].reason == rs)
					x->count = out->declines[i].count;
			x->suppressed = small(p, x->count);
		}
	}
	free(out->declines);
	out->declines = d;
	out->n_declines = n;
	return 0;
}

static uint32_t
reserve_shelters(const struct rep_params *p, size_t g, int cat)
{
	return p->reserve_shelters ?
	    p->reserve_shelters[g * CAT_COUNT + (size_t)cat - 1] : 0;
}

/*
 * Beds confirmed by the shelters of a region are their answers: where
 * fewer than k shelters of the region and category have reserve beds,
 * the figure is hidden (bed-days with it), whatever it is, so that hiding
 * says nothing of the value, in every category that had an activation or
 * confirmed beds in the period; a region without any shows its 0 unless
 * beds were confirmed there (its shelters gave up their reserve since).
 * The nation is the sum of the regions: as in core/disclose.h, more
 * regions are hidden with the small ones (the first in region order that
 * have reserve beds) until the hidden ones hold k shelters and are two or
 * more, so that the nation minus the shown regions is not one shelter's;
 * where the nation itself has fewer than k, it is hidden and so is every
 * region.
 */
static void
suppress_confirmed(const struct rep_params *p, struct rep_row *rows)
{
	const uint32_t bit = 1u << REP_CELL_RESERVE_CONFIRMED;

	if (p->k <= 1)
		return;
	for (int cat = 1; cat <= CAT_COUNT; cat++) {
		const struct rep_row *nat = row_of(rows, p->n_groups, cat);
		uint64_t held = 0;
		size_t n_hidden = 0;

		/* Nothing was asked of the shelters: zeros tell nothing. */
		if (!nat->reserve_activations &&
		    !nat->reserve_beds_confirmed && !nat->reserve_bed_secs)
			continue;
		if (reserve_shelters(p, p->n_groups, cat) < p->k) {
			for (size_t g = 0; g <= p->n_groups; g++)
				row_of(rows, g, cat)->suppressed |= bit;
			continue;
		}
		for (size_t g = 0; g < p->n_groups; g++) {
			struct rep_row *r = row_of(rows, g, cat);
			uint32_t n = reserve_shelters(p, g, cat);

			if (n >= p->k || (n == 0 &&
			    r->reserve_beds_confirmed == 0 &&
			    r->reserve_bed_secs == 0))
				continue;
			r->suppressed |= bit;
			held += n;
			n_hidden++;
		}
		for (size_t g = 0; n_hidden > 0 && (held < p->k ||
		     n_hidden < 2) && g <= p->n_groups; g++) {
			struct rep_row *r = row_of(rows, g, cat);

			/* The nation last: only when no region is left. */
			if (r->suppressed & bit || (g < p->n_groups &&
			    reserve_shelters(p, g, cat) == 0))
				continue;
			r->suppressed |= bit;
			r->complementary |= bit;
			held += reserve_shelters(p, g, cat);
			n_hidden++;
		}
	}
}

static int
suppress(const struct rep_params *p, struct report *out,
    struct rep_row *rows, size_t n_rows)
{
	struct audit a = { .p = p, .rows = rows, .out = out };
	size_t *t;

	a.n_vars = ((size_t)p->n_groups + 1) * N_COUNTS + PLACE_REASON_COUNT;
	a.v = calloc(a.n_vars, sizeof(*a.v));
	t = calloc((size_t)p->n_groups + PLACE_REASON_COUNT + 1, sizeof(*t));
	if (a.v == NULL || t == NULL) {
		free(a.v);
		free(t);
		return -1;
	}
	for (size_t i = 0; i < n_rows; i++) {
		struct rep_row *r = &rows[i];

		/* Occupancy of a handful of beds or people tells of
		 * persons: capacity 2 at 50 % is one. */
		if (r->peak_capacity > 0 && (r->peak_capacity < p->k ||
		    small(p, r->peak_occupied)))
			r->suppressed |= 1u << REP_CELL_OCCUPANCY;
		/* Merged, not small: "<k" would say how many beds. */
		else if (p->few_shelters != NULL && r->category >= 1 &&
		    p->few_shelters[(size_t)r->group * CAT_COUNT +
		    r->category - 1])
			r->suppressed |= r->complementary |=
			    1u << REP_CELL_OCCUPANCY;
		for (size_t k = 0; k < N_COUNTS; k++)
			if (small(p, *cell(r, counted[k])))
				r->suppressed |= 1u << counted[k];
		/* A median of fewer than k is nearly one person's wait. */
		if (small(p, (uint64_t)r->placed_in_region + r->placed_supra))
			r->suppressed |= 1u << REP_CELL_TTP;
	}
	/* A region's count is at most the nation's: where that is below k,
	 * all are, and each is hidden (0 too, or the non-zero ones could be
	 * counted). */
	for (int cat = 0; cat < CAT_COUNT; cat++) {
		struct rep_row *nat = &rows[(size_t)p->n_groups * CAT_COUNT +
		    cat];

		for (size_t k = 0; k < N_COUNTS; k++)
			for (size_t g = 0; small(p, *cell(nat, counted[k])) &&
			     g < p->n_groups; g++)
				rows[g * CAT_COUNT + cat].suppressed |=
				    1u << counted[k];
	}
	suppress_confirmed(p, rows);
	if (suppress_declines(p, out, rows) != 0) {
		free(a.v);
		free(t);
		return -1;
	}
	hide_derived(p, rows, n_rows, out);
	for (a.cat = 0; a.cat < CAT_COUNT; a.cat++) {
		size_t pinned;

		while ((pinned = audit_pinned(&a, t)) != SIZE_MAX &&
		    audit_protect(&a, pinned, t))
			hide_derived(p, rows, n_rows, out);
	}
	free(a.v);
	free(t);
	/* What is hidden is not sent at all, not just flagged. */
	for (size_t i = 0; i < n_rows; i++) {
		struct rep_row *r = &rows[i];

		if (r->suppressed & (1u << REP_CELL_OCCUPANCY)) {
			r->avg_pct = r->peak_pct = 0;
			r->peak_capacity = r->peak_occupied = 0;
			r->days_critical = 0;
		}
		for (size_t k = 0; k < N_COUNTS; k++)
			if (r->suppressed & (1u << counted[k]))
				*cell(r, counted[k]) = 0;
		if (r->suppressed & (1u << REP_CELL_TTP))
			r->ttp_median = r->ttp_p90 = -1;
		/* Beds asked by activations go with their count. */
		if (r->suppressed & (1u << REP_CELL_RESERVE_ACTIVATIONS))
			r->reserve_beds_asked = 0;
		if (r->suppressed & (1u << REP_CELL_RESERVE_CONFIRMED)) {
			r->reserve_beds_confirmed = 0;
			r->reserve_bed_secs = 0;
		}
		out->suppressed_cells += (uint32_t)popcount32(r->suppressed);
	}
	for (size_t i = 0; i < out->n_declines; i++) {
		if (out->declines[i].suppressed)
			out->declines[i].count = 0;
		out->suppressed_cells += out->declines[i].suppressed;
	}
	return 0;
}

/* ---- the report ------------------------------------------------------- */

static bool
row_used(const struct rep_row *r)
{
	return r->peak_capacity > 0 || r->occupancy_secs > 0 ||
	    r->requested || r->placed_in_region || r->placed_supra ||
	    r->unplaced || r->cancelled || r->declines ||
	    r->reserve_activations || r->reserve_beds_confirmed ||
	    r->reserve_bed_secs || r->placed_reserve;
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
	reserve_rows(p, pl, npl, rows);
	if (p->public && suppress(p, out, rows, n_rows) != 0)
		goto fail;
	qsort(out->declines, out->n_declines, sizeof(*out->declines),
	    by_decline_order);
	/* A public report lists every region of a category the nation has
	 * figures for: a missing row would say "all 0". */
	for (size_t i = 0; i < n_rows; i++)
		if (row_used(&rows[i]) || rows[i].suppressed || (p->public &&
		    row_used(&rows[(size_t)p->n_groups * CAT_COUNT +
		    i % CAT_COUNT])))
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
	int64_t len;              /* bucket length */
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
report_trend_window(int64_t now, uint32_t days, uint32_t buckets,
    int64_t *from, int64_t *end, int64_t *bucket_secs)
{
	int64_t today = now - ((now % 86400) + 86400) % 86400;
	int64_t span = (int64_t)days * 86400;

	if (days == 0)
		return -1;
	if (buckets == 0)
		buckets = days;
	if (span % buckets != 0)
		return -1;
	*from = today - (int64_t)(days - 1) * 86400;
	*end = today + 86400;
	*bucket_secs = span / buckets;
	return 0;
}

int
report_trend(const struct rep_params *p, int category, int64_t bucket_secs,
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
	    se.now == NULL || n_buckets == 0 || p->until <= p->from ||
	    bucket_secs < 1)
		goto out;
	t.len = bucket_secs;
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
