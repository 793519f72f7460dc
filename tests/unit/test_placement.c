/*
 * test_placement.c — region hops, candidate ranking and case_ref checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "placeindex.h"
#include "placement.h"

enum { WOMEN = 1, MEN = 2, MINORS = 3 };
enum { MAX_REGIONS = 8, MAX_SHELTERS = 16 };
#define NONE UINT32_MAX /* a candidate slot that must stay untouched */

/* ---- a hand-built registry ------------------------------------------- */

/* Built by hand rather than parsed, so each test states exactly the
 * regions, links and shelters it relies on. */
struct world {
	struct reg_region regions[MAX_REGIONS];
	struct reg_shelter shelters[MAX_SHELTERS];
	struct shelter_state states[MAX_SHELTERS];
	struct registry reg;
};

static void
world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->reg.regions = w->regions;
	w->reg.shelters = w->shelters;
}

static int
add_region(struct world *w, const char *id)
{
	struct reg_region *r = &w->regions[w->reg.n_regions];

	assert_true(w->reg.n_regions < MAX_REGIONS);
	snprintf(r->id, sizeof(r->id), "%s", id);
	return (int)w->reg.n_regions++;
}

static void
link_regions(struct world *w, int a, int b)
{
	w->regions[a].neighbours[w->regions[a].n_neighbours++] = (uint16_t)b;
	w->regions[b].neighbours[w->regions[b].n_neighbours++] = (uint16_t)a;
}

/* The registry keeps shelters sorted by id; the fixture must too. */
static uint32_t
add_shelter(struct world *w, const char *id, int region, unsigned cats,
    unsigned security)
{
	size_t n = w->reg.n_shelters;
	struct reg_shelter *sh = &w->shelters[n];

	assert_true(n < MAX_SHELTERS);
	if (n > 0)
		assert_true(strcmp(w->shelters[n - 1].id, id) < 0);
	snprintf(sh->id, sizeof(sh->id), "%s", id);
	sh->region = (uint16_t)region;
	sh->categories = (uint8_t)cats;
	sh->security_level = (uint8_t)security;
	w->reg.n_shelters++;
	return (uint32_t)n;
}

/* An open, fresh report of one category: capacity and occupied beds. */
static void
report(struct world *w, uint32_t shelter, int cat, uint32_t capacity,
    uint32_t occupied)
{
	struct shelter_state *st = &w->states[shelter];

	st->seq++;
	st->status = SH_STATUS_OPEN;
	st->present |= (uint8_t)(1u << (cat - 1));
	st->beds[cat - 1].capacity = capacity;
	st->beds[cat - 1].occupied = occupied;
}

static const struct shelter_state *
state_of(void *arg, uint32_t shelter)
{
	struct world *w = arg;

	assert_true(shelter < w->reg.n_shelters);
	return &w->states[shelter];
}

static struct place_query
query(int from, int cat, uint32_t beds, uint32_t security)
{
	struct place_query q;

	memset(&q, 0, sizeof(q));
	q.from_region = from;
	q.category = cat;
	q.beds = beds;
	q.security_level = security;
	return q;
}

static void
clear_out(struct place_candidate *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i].shelter = out[i].hops = out[i].free = NONE;
}

static void
assert_candidate(const struct place_candidate *c, uint32_t shelter,
    uint32_t hops, uint32_t free)
{
	assert_int_equal(c->shelter, shelter);
	assert_int_equal(c->hops, hops);
	assert_int_equal(c->free, free);
}

/* Every ranking here is also made over the index of free beds (what the
 * daemon uses), which must agree in count, order and every field. */
static size_t
rank(struct world *w, const struct place_query *q,
    struct place_candidate *out, size_t max)
{
	struct place_index ix;
	struct place_candidate alt[MAX_SHELTERS];
	size_t n, m, shown;
	char err[160];

	assert_int_equal(place_index_init(&ix, &w->reg), 0);
	for (uint32_t i = 0; i < w->reg.n_shelters; i++)
		place_index_set(&ix, i, &w->states[i]);
	assert_int_equal(place_index_verify(&ix, state_of, w, err,
	    sizeof(err)), 0);
	n = place_rank(&w->reg, q, state_of, w, out, max);
	m = place_index_rank(&ix, q, alt, max < MAX_SHELTERS ? max :
	    MAX_SHELTERS);
	assert_int_equal(m, n);
	shown = n < max ? n : max;
	for (size_t i = 0; i < shown && i < MAX_SHELTERS; i++)
		assert_candidate(&alt[i], out[i].shelter, out[i].hops,
		    out[i].free);
	place_index_free(&ix);
	return n;
}

/*
 * The usual map: R1 - R2 - R3 in a chain, R5 also next to R1, R4 alone.
 * From R1: R1 0 hops, R2 and R5 1, R3 2, R4 unreachable.
 */
enum { R1, R2, R3, R4, R5 };

static void
map(struct world *w)
{
	world_init(w);
	assert_int_equal(add_region(w, "R1"), R1);
	assert_int_equal(add_region(w, "R2"), R2);
	assert_int_equal(add_region(w, "R3"), R3);
	assert_int_equal(add_region(w, "R4"), R4);
	assert_int_equal(add_region(w, "R5"), R5);
	link_regions(w, R1, R2);
	link_regions(w, R2, R3);
	link_regions(w, R1, R5);
}

/* ---- region hops ----------------------------------------------------- */

static void
hops_chain_and_isolated(void **state)
{
	struct world w;
	uint32_t d[4];

	(void)state;
	world_init(&w);
	add_region(&w, "R1");
	add_region(&w, "R2");
	add_region(&w, "R3");
	add_region(&w, "R4");
	link_regions(&w, 0, 1);
	link_regions(&w, 1, 2);

	memset(d, 7, sizeof(d));
	place_region_hops(&w.reg, 0, d);
	assert_int_equal(d[0], 0);
	assert_int_equal(d[1], 1);
	assert_int_equal(d[2], 2);
	assert_int_equal(d[3], UINT32_MAX);

	place_region_hops(&w.reg, 1, d);
	assert_int_equal(d[0], 1);
	assert_int_equal(d[1], 0);
	assert_int_equal(d[2], 1);
	assert_int_equal(d[3], UINT32_MAX);

	place_region_hops(&w.reg, 3, d);
	assert_int_equal(d[0], UINT32_MAX);
	assert_int_equal(d[1], UINT32_MAX);
	assert_int_equal(d[2], UINT32_MAX);
	assert_int_equal(d[3], 0);
}

static void
hops_shortest_path_wins(void **state)
{
	struct world w;
	uint32_t d[5];

	(void)state;
	map(&w);
	/* A ring R1 R2 R3 R5: R3 is 2 both ways round, not 3. */
	link_regions(&w, R3, R5);
	place_region_hops(&w.reg, R1, d);
	assert_int_equal(d[R1], 0);
	assert_int_equal(d[R2], 1);
	assert_int_equal(d[R3], 2);
	assert_int_equal(d[R4], UINT32_MAX);
	assert_int_equal(d[R5], 1);
	place_region_hops(&w.reg, R3, d);
	assert_int_equal(d[R1], 2);
	assert_int_equal(d[R2], 1);
	assert_int_equal(d[R5], 1);
}

static void
hops_from_unknown_region_reaches_nothing(void **state)
{
	struct world w;
	uint32_t d[5];

	(void)state;
	map(&w);
	memset(d, 0, sizeof(d));
	place_region_hops(&w.reg, -1, d);
	for (int i = 0; i < 5; i++)
		assert_int_equal(d[i], UINT32_MAX);
	memset(d, 0, sizeof(d));
	place_region_hops(&w.reg, 5, d);
	for (int i = 0; i < 5; i++)
		assert_int_equal(d[i], UINT32_MAX);
}

/* ---- ranking --------------------------------------------------------- */

static void
rank_neighbours_then_free_then_id(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[7];
	uint32_t far, near_few, near_many, lone, tie_d, tie_f;

	(void)state;
	map(&w);
	/* Ids chosen so id order is none of the expected orders. */
	far = add_shelter(&w, "A-far", R3, 1u << 0, 0);
	lone = add_shelter(&w, "B-lone", R4, 1u << 0, 0);
	near_few = add_shelter(&w, "C-few", R2, 1u << 0, 0);
	tie_d = add_shelter(&w, "D-tie", R5, 1u << 0, 0);
	near_many = add_shelter(&w, "E-many", R5, 1u << 0, 0);
	tie_f = add_shelter(&w, "F-tie", R2, 1u << 0, 0);
	report(&w, far, WOMEN, 20, 0);       /* 2 hops, 20 free */
	report(&w, lone, WOMEN, 30, 0);      /* unreachable, 30 free */
	report(&w, near_few, WOMEN, 10, 8);  /* 1 hop, 2 free */
	report(&w, tie_d, WOMEN, 5, 1);      /* 1 hop, 4 free */
	report(&w, near_many, WOMEN, 9, 0);  /* 1 hop, 9 free */
	report(&w, tie_f, WOMEN, 6, 2);      /* 1 hop, 4 free */

	clear_out(out, 7);
	assert_int_equal(rank(&w, &q, out, 7), 6);
	assert_candidate(&out[0], near_many, 1, 9);
	assert_candidate(&out[1], tie_d, 1, 4);   /* "D-tie" < "F-tie" */
	assert_candidate(&out[2], tie_f, 1, 4);
	assert_candidate(&out[3], near_few, 1, 2);
	assert_candidate(&out[4], far, 2, 20);
	assert_candidate(&out[5], lone, UINT32_MAX, 30);
	assert_int_equal(out[6].shelter, NONE);
}

static void
rank_is_deterministic(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate a[MAX_SHELTERS], b[MAX_SHELTERS];
	char id[8];

	(void)state;
	map(&w);
	/* All tied on hops and free: only the id decides. */
	for (int i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "S%02d", i);
		report(&w, add_shelter(&w, id, R2, 1u << 0, 0), WOMEN, 3, 0);
	}
	memset(a, 0, sizeof(a));
	memset(b, 0xff, sizeof(b));
	assert_int_equal(rank(&w, &q, a, MAX_SHELTERS), 12);
	assert_int_equal(rank(&w, &q, b, 12), 12);
	assert_memory_equal(a, b, 12 * sizeof(a[0]));
	for (uint32_t i = 0; i < 12; i++)
		assert_candidate(&a[i], i, 1, 3);
}

static void
rank_free_counts_out_of_service(void **state)
{
	struct world w;
	struct place_query q = query(R1, MINORS, 1, 0);
	struct place_candidate out[1];
	uint32_t s;

	(void)state;
	map(&w);
	s = add_shelter(&w, "S1", R2, 1u << (MINORS - 1), 0);
	report(&w, s, MINORS, 10, 3);
	w.states[s].beds[MINORS - 1].out_of_service = 2;
	assert_int_equal(rank(&w, &q, out, 1), 1);
	assert_candidate(&out[0], s, 1, 5);
}

/* A bed held for another placement is not free (beds_free says so), so
 * two requests can never be offered the same last bed. */
static void
rank_held_beds_not_free(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 2, 0);
	struct place_candidate out[1];
	uint32_t s;

	(void)state;
	map(&w);
	s = add_shelter(&w, "S1", R2, 1u << 0, 0);
	report(&w, s, WOMEN, 4, 1);
	assert_int_equal(rank(&w, &q, out, 1), 1);
	assert_candidate(&out[0], s, 1, 3);
	w.states[s].beds[WOMEN - 1].held = 2;
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q.beds = 1;
	assert_int_equal(rank(&w, &q, out, 1), 1);
	assert_candidate(&out[0], s, 1, 1);
}

static void
rank_skips_own_region_unless_allowed(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[3];
	uint32_t own, other;

	(void)state;
	map(&w);
	own = add_shelter(&w, "S1", R1, 1u << 0, 0);
	other = add_shelter(&w, "S2", R3, 1u << 0, 0);
	report(&w, own, WOMEN, 50, 0);
	report(&w, other, WOMEN, 2, 0);

	clear_out(out, 3);
	assert_int_equal(rank(&w, &q, out, 3), 1);
	assert_candidate(&out[0], other, 2, 2);
	assert_int_equal(out[1].shelter, NONE);

	q.allow_own_region = true;
	clear_out(out, 3);
	assert_int_equal(rank(&w, &q, out, 3), 2);
	assert_candidate(&out[0], own, 0, 50);
	assert_candidate(&out[1], other, 2, 2);
}

static void
rank_skips_excluded_regions(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[4];
	uint32_t s2, s3, s4, s5;

	(void)state;
	map(&w);
	s2 = add_shelter(&w, "S2", R2, 1u << 0, 0);
	s3 = add_shelter(&w, "S3", R3, 1u << 0, 0);
	s4 = add_shelter(&w, "S4", R4, 1u << 0, 0);
	s5 = add_shelter(&w, "S5", R5, 1u << 0, 0);
	report(&w, s2, WOMEN, 4, 0);
	report(&w, s3, WOMEN, 4, 0);
	report(&w, s4, WOMEN, 4, 0);
	report(&w, s5, WOMEN, 4, 0);

	assert_int_equal(rank(&w, &q, out, 4), 4);

	q.exclude[q.n_exclude++] = R2;
	clear_out(out, 4);
	assert_int_equal(rank(&w, &q, out, 4), 3);
	assert_candidate(&out[0], s5, 1, 4);
	assert_candidate(&out[1], s3, 2, 4);
	assert_candidate(&out[2], s4, UINT32_MAX, 4);

	/* Excluding a region does not cut the path through it: R3 is still
	 * 2 hops away. */
	q.exclude[q.n_exclude++] = R5;
	q.exclude[q.n_exclude++] = R4;
	clear_out(out, 4);
	assert_int_equal(rank(&w, &q, out, 4), 1);
	assert_candidate(&out[0], s3, 2, 4);
	assert_int_equal(out[1].shelter, NONE);

	/* A region index that does not exist excludes nothing. */
	q.n_exclude = 0;
	q.exclude[q.n_exclude++] = 200;
	assert_int_equal(rank(&w, &q, out, 4), 4);
}

static void
rank_security_level_at_least(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 2);
	struct place_candidate out[4];
	uint32_t l1, l2, l3;

	(void)state;
	map(&w);
	l1 = add_shelter(&w, "L1", R2, 1u << 0, 1);
	l2 = add_shelter(&w, "L2", R2, 1u << 0, 2);
	l3 = add_shelter(&w, "L3", R2, 1u << 0, 3);
	report(&w, l1, WOMEN, 9, 0); /* most free, but level 1 */
	report(&w, l2, WOMEN, 3, 0);
	report(&w, l3, WOMEN, 5, 0);

	clear_out(out, 4);
	assert_int_equal(rank(&w, &q, out, 4), 2);
	assert_candidate(&out[0], l3, 1, 5);
	assert_candidate(&out[1], l2, 1, 3);
	assert_int_equal(out[2].shelter, NONE);

	q.security_level = 3;
	assert_int_equal(rank(&w, &q, out, 4), 1);
	assert_candidate(&out[0], l3, 1, 5);
	q.security_level = 0;
	assert_int_equal(rank(&w, &q, out, 4), 3);
	assert_candidate(&out[0], l1, 1, 9);
}

static void
rank_never_offers_stale(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[2];
	uint32_t stale, fresh;

	(void)state;
	map(&w);
	stale = add_shelter(&w, "S1", R2, 1u << 0, 0);
	fresh = add_shelter(&w, "S2", R3, 1u << 0, 0);
	report(&w, stale, WOMEN, 40, 0);
	report(&w, fresh, WOMEN, 1, 0);
	w.states[stale].stale = 1;

	clear_out(out, 2);
	assert_int_equal(rank(&w, &q, out, 2), 1);
	assert_candidate(&out[0], fresh, 2, 1);
	assert_int_equal(out[1].shelter, NONE);

	w.states[stale].stale = 0;
	assert_int_equal(rank(&w, &q, out, 2), 2);
	assert_candidate(&out[0], stale, 1, 40);
}

static void
rank_never_offers_paused_or_closed(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[3];
	uint32_t paused, closed, open;

	(void)state;
	map(&w);
	closed = add_shelter(&w, "S1", R2, 1u << 0, 0);
	open = add_shelter(&w, "S2", R3, 1u << 0, 0);
	paused = add_shelter(&w, "S3", R2, 1u << 0, 0);
	report(&w, closed, WOMEN, 40, 0);
	report(&w, open, WOMEN, 1, 0);
	report(&w, paused, WOMEN, 40, 0);
	w.states[closed].status = SH_STATUS_CLOSED;
	w.states[paused].status = SH_STATUS_INTAKE_PAUSED;

	clear_out(out, 3);
	assert_int_equal(rank(&w, &q, out, 3), 1);
	assert_candidate(&out[0], open, 2, 1);
	assert_int_equal(out[1].shelter, NONE);

	w.states[paused].status = SH_STATUS_UNSPECIFIED;
	assert_int_equal(rank(&w, &q, out, 3), 1);
	w.states[paused].status = SH_STATUS_OPEN;
	assert_int_equal(rank(&w, &q, out, 3), 2);
	assert_candidate(&out[0], paused, 1, 40);
}

static void
rank_never_offers_never_reported(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[2];
	uint32_t silent, heard;

	(void)state;
	map(&w);
	silent = add_shelter(&w, "S1", R2, 1u << 0, 0);
	heard = add_shelter(&w, "S2", R3, 1u << 0, 0);
	/* Everything but seq looks like a good open shelter. */
	report(&w, silent, WOMEN, 40, 0);
	w.states[silent].seq = 0;
	report(&w, heard, WOMEN, 1, 0);

	clear_out(out, 2);
	assert_int_equal(rank(&w, &q, out, 2), 1);
	assert_candidate(&out[0], heard, 2, 1);
	assert_int_equal(out[1].shelter, NONE);
}

static void
rank_needs_enough_free_beds(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 3, 0);
	struct place_candidate out[4];
	uint32_t two, three, four;

	(void)state;
	map(&w);
	two = add_shelter(&w, "S2", R2, 1u << 0, 0);
	three = add_shelter(&w, "S3", R2, 1u << 0, 0);
	four = add_shelter(&w, "S4", R3, 1u << 0, 0);
	report(&w, two, WOMEN, 10, 8);
	report(&w, three, WOMEN, 10, 7);
	report(&w, four, WOMEN, 4, 0);

	clear_out(out, 4);
	assert_int_equal(rank(&w, &q, out, 4), 2);
	assert_candidate(&out[0], three, 1, 3);
	assert_candidate(&out[1], four, 2, 4);
	assert_int_equal(out[2].shelter, NONE);

	q.beds = 2;
	assert_int_equal(rank(&w, &q, out, 4), 3);
	q.beds = 4;
	assert_int_equal(rank(&w, &q, out, 4), 1);
	assert_candidate(&out[0], four, 2, 4);
}

static void
rank_skips_tried_shelters(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[3];
	uint32_t best, next, last;

	(void)state;
	map(&w);
	best = add_shelter(&w, "S1", R2, 1u << 0, 0);
	next = add_shelter(&w, "S2", R2, 1u << 0, 0);
	last = add_shelter(&w, "S3", R3, 1u << 0, 0);
	report(&w, best, WOMEN, 9, 0);
	report(&w, next, WOMEN, 5, 0);
	report(&w, last, WOMEN, 7, 0);

	q.tried[q.n_tried++] = best;
	clear_out(out, 3);
	assert_int_equal(rank(&w, &q, out, 3), 2);
	assert_candidate(&out[0], next, 1, 5);
	assert_candidate(&out[1], last, 2, 7);
	assert_int_equal(out[2].shelter, NONE);

	q.tried[q.n_tried++] = last;
	q.tried[q.n_tried++] = next;
	assert_int_equal(rank(&w, &q, out, 3), 0);
}

static void
rank_skips_category_not_in_registry(void **state)
{
	struct world w;
	struct place_query q = query(R1, MEN, 1, 0);
	struct place_candidate out[3];
	uint32_t women_only, men, unreported;

	(void)state;
	map(&w);
	women_only = add_shelter(&w, "S1", R2, 1u << (WOMEN - 1), 0);
	men = add_shelter(&w, "S2", R3, 1u << (MEN - 1), 0);
	unreported = add_shelter(&w, "S3", R2,
	    1u << (WOMEN - 1) | 1u << (MEN - 1), 0);
	/* A report of men's beds the registry does not list: ignored. */
	report(&w, women_only, WOMEN, 10, 0);
	report(&w, women_only, MEN, 10, 0);
	report(&w, men, MEN, 2, 0);
	/* Listed, but this category is not in its last report. */
	report(&w, unreported, WOMEN, 10, 0);
	w.states[unreported].beds[MEN - 1].capacity = 10;

	clear_out(out, 3);
	assert_int_equal(rank(&w, &q, out, 3), 1);
	assert_candidate(&out[0], men, 2, 2);
	assert_int_equal(out[1].shelter, NONE);

	q.category = WOMEN;
	assert_int_equal(rank(&w, &q, out, 3), 2);
	assert_candidate(&out[0], women_only, 1, 10);
	assert_candidate(&out[1], unreported, 1, 10);
}

static void
rank_returns_all_but_writes_max(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[4];
	char id[8];

	(void)state;
	map(&w);
	for (uint32_t i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "S%u", i);
		report(&w, add_shelter(&w, id, R2, 1u << 0, 0), WOMEN,
		    10, i);
	}
	clear_out(out, 4);
	assert_int_equal(rank(&w, &q, out, 2), 5);
	assert_candidate(&out[0], 0, 1, 10);
	assert_candidate(&out[1], 1, 1, 9);
	assert_int_equal(out[2].shelter, NONE);
	assert_int_equal(out[2].free, NONE);

	assert_int_equal(place_rank(&w.reg, &q, state_of, &w, NULL, 0), 5);
}

static void
rank_unreachable_last_but_offered(void **state)
{
	struct world w;
	struct place_query q = query(R1, WOMEN, 1, 0);
	struct place_candidate out[2];
	uint32_t island, mainland;

	(void)state;
	map(&w);
	island = add_shelter(&w, "S1", R4, 1u << 0, 0);
	mainland = add_shelter(&w, "S2", R3, 1u << 0, 0);
	report(&w, island, WOMEN, 100, 0);
	report(&w, mainland, WOMEN, 1, 0);

	assert_int_equal(rank(&w, &q, out, 2), 2);
	assert_candidate(&out[0], mainland, 2, 1);
	assert_candidate(&out[1], island, UINT32_MAX, 100);

	/* Alone, it is still the answer rather than none. */
	w.states[mainland].stale = 1;
	clear_out(out, 2);
	assert_int_equal(rank(&w, &q, out, 2), 1);
	assert_candidate(&out[0], island, UINT32_MAX, 100);
}

static void
rank_refuses_malformed_query(void **state)
{
	struct world w;
	struct place_query q;
	struct place_candidate out[1];
	uint32_t s;

	(void)state;
	map(&w);
	s = add_shelter(&w, "S1", R2, 0x1f, 0);
	for (int c = 1; c <= CAT_COUNT; c++)
		report(&w, s, c, 30, 0);

	q = query(R1, WOMEN, 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 1); /* the baseline */
	q = query(R1, 0, 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q = query(R1, CAT_COUNT + 1, 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q = query(R1, WOMEN, 0, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q = query(R1, WOMEN, PLACE_BEDS_MAX + 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q = query(-1, WOMEN, 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
	q = query(5, WOMEN, 1, 0);
	assert_int_equal(rank(&w, &q, out, 1), 0);
}

/* The national registry is a few hundred shelters; 100,000 shows the
 * ranking stays one pass and a sort, and sorts correctly at scale. */
struct big {
	struct registry reg;
	struct shelter_state *states;
};

static const struct shelter_state *
big_state(void *arg, uint32_t shelter)
{
	return &((struct big *)arg)->states[shelter];
}

static void
rank_100000_shelters(void **state)
{
	enum { N = 100000, REGIONS = 5 };
	struct world w;
	struct big b;
	struct place_query q = query(R1, WOMEN, 2, 0);
	struct place_candidate *out;
	size_t n, want = 0;

	(void)state;
	map(&w);
	b.reg.regions = w.regions;
	b.reg.n_regions = REGIONS;
	b.reg.n_shelters = N;
	b.reg.shelters = calloc(N, sizeof(*b.reg.shelters));
	b.states = calloc(N, sizeof(*b.states));
	out = calloc(N, sizeof(*out));
	assert_non_null(b.reg.shelters);
	assert_non_null(b.states);
	assert_non_null(out);
	for (uint32_t i = 0; i < N; i++) {
		struct reg_shelter *sh = &b.reg.shelters[i];
		struct shelter_state *st = &b.states[i];

		snprintf(sh->id, sizeof(sh->id), "S%06u", i);
		sh->region = (uint16_t)(i % REGIONS);
		sh->categories = 1;
		st->seq = 1;
		st->status = SH_STATUS_OPEN;
		st->present = 1;
		st->beds[0].capacity = 10;
		st->beds[0].occupied = (i * 7919u) % 11; /* 0..10 */
		if (sh->region != R1 && 10 - st->beds[0].occupied >= 2)
			want++;
	}
	n = place_rank(&b.reg, &q, big_state, &b, out, N);
	assert_int_equal(n, want);
	for (size_t i = 1; i < n; i++) {
		const struct place_candidate *p = &out[i - 1], *c = &out[i];

		assert_true(c->free >= 2);
		assert_true(p->hops < c->hops || (p->hops == c->hops &&
		    (p->free > c->free || (p->free == c->free &&
		    p->shelter < c->shelter))));
	}
	assert_int_equal(out[0].hops, 1);
	assert_int_equal(out[0].free, 10);
	assert_int_equal(out[n - 1].hops, UINT32_MAX);
	assert_int_equal(out[n - 1].free, 2);
	free(out);
	free(b.states);
	free(b.reg.shelters);
}

/* ---- case_ref -------------------------------------------------------- */

static void
check_accepted(const char *ref, const char *file, int line)
{
	char err[256] = "untouched";

	if (place_check_case_ref(ref, err, sizeof(err)) != 0) {
		print_error("%s:%d: '%s' refused: %s\n", file, line, ref, err);
		fail();
	}
}
#define assert_accepted(ref) check_accepted(ref, __FILE__, __LINE__)

/* Refused, with want in the message and the expected shape shown. */
static void
check_refused(const char *ref, const char *want, const char *file,
    int line)
{
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = place_check_case_ref(ref, err, sizeof(err));
	if (rc != -1 || memchr(err, '\0', sizeof(err)) == NULL ||
	    strstr(err, want) == NULL ||
	    strstr(err, "VR09-2026-0042") == NULL) {
		print_error("%s:%d: '%s': rc %d, err '%.255s', wanted '%s'\n",
		    file, line, ref ? ref : "(null)", rc, err, want);
		fail();
	}
}
#define assert_refused(ref, want) \
	check_refused(ref, want, __FILE__, __LINE__)

static void
case_ref_accepts_pseudonyms(void **state)
{
	(void)state;
	assert_accepted("VR09-2026-0042");
	assert_accepted("UT-1234");
	assert_accepted("UT-1234-01");
	assert_accepted("LG-000123");
	assert_accepted("R1-000123");
	assert_accepted("A7-19-4411");
	assert_accepted("abc123");   /* exactly 6, 3 letters together */
	assert_accepted("0123456789012345678901234567890123456789"); /* 40 */
	/* Half-separated year-number: deliberately not read as a date. */
	assert_accepted("VR09-2026-1015");
	/* Just outside the plausible ranges. */
	assert_accepted("Q-1899-12-31");
	assert_accepted("Q-2101-01-01");
	assert_accepted("Q-1990-13-01");
	assert_accepted("Q-1990-00-01");
	assert_accepted("Q-1990-05-32");
	assert_accepted("Q-1990-05-00");
	assert_accepted("Q-32-05-1990");
	assert_accepted("Q-19901305");
}

static void
case_ref_refuses_name_with_space(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("Maria Jansen", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "case_ref 'Maria Jansen' has a space: use "
	    "a pseudonymous reference like VR09-2026-0042");
	assert_refused("VR09 2026 0042", "has a space");
}

static void
case_ref_refuses_letter_runs(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("Maria-123", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "case_ref 'Maria-123' has 'Maria', 5 "
	    "letters in a row, which reads like a name: use at most 3 "
	    "letters together, like VR09-2026-0042");
	assert_refused("CASE-77-0042", "'CASE', 4 letters");
	assert_refused("12-abcd-34", "'abcd', 4 letters");
	assert_refused("123-JansenM", "'JansenM', 7 letters");
	/* A name reads as a name before it reads as too short. */
	assert_refused("Maria", "'Maria', 5 letters");
}

static void
case_ref_refuses_dates_of_birth(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("VR-1990-05-17", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "case_ref 'VR-1990-05-17' has "
	    "'1990-05-17', which reads like a date (YYYY-MM-DD), e.g. a "
	    "date of birth: use a pseudonymous reference like "
	    "VR09-2026-0042");
	assert_refused("VR-17-05-1990", "'17-05-1990', which reads like a "
	    "date (DD-MM-YYYY)");
	assert_refused("VR-19900517", "'19900517', which reads like a date "
	    "(YYYYMMDD)");
	assert_refused("VR-17051990", "'17051990', which reads like a date "
	    "(DDMMYYYY)");
	/* Anywhere: at either end, or inside a longer number. */
	assert_refused("1990-05-17-X", "(YYYY-MM-DD)");
	assert_refused("X-01-12-2004", "'01-12-2004'");
	assert_refused("X1-0019900517-9", "'19900517'");
	/* The edges of the plausible ranges. */
	assert_refused("Q-1900-01-01", "(YYYY-MM-DD)");
	assert_refused("Q-2100-12-31", "(YYYY-MM-DD)");
	assert_refused("Q-31-12-2100", "(DD-MM-YYYY)");
	assert_refused("Q-01011900", "(DDMMYYYY)");
}

/* Short names pass the run rule: two groups of letters read as a first
 * name and a surname however short, and a few letters spread out still
 * spell one. */
static void
case_ref_refuses_short_names(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("Eva-Bos-123", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "case_ref 'Eva-Bos-123' has letters in two "
	    "groups ('Eva' and 'Bos'), which reads like a name: keep letters "
	    "to one group, like the region code in VR09-2026-0042");
	assert_refused("Ann-Li-0042", "letters in two groups ('Ann' and "
	    "'Li')");
	assert_refused("123-Bo-Li", "('Bo' and 'Li')");
	assert_refused("E-1234-L", "('E' and 'L')");
	assert_refused("UT-1234-AB", "('UT' and 'AB')");
	assert_refused("E1v2a3B4", "has 4 letters, which may spell a name");
	/* Still allowed: one group, at most 3 letters, digits between. */
	assert_accepted("VR9-2026-0042");
	assert_accepted("a1b2c3-44");
	assert_accepted("2026-0042-X");
}

/* Dates with unpadded or two-digit parts, as three groups of digits. */
static void
case_ref_refuses_loose_dates(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("VR09-1990-5-17", err,
	    sizeof(err)), -1);
	assert_string_equal(err, "case_ref 'VR09-1990-5-17' has '1990-5-17', "
	    "which reads like a date (year-month-day), e.g. a date of birth: "
	    "use a pseudonymous reference like VR09-2026-0042");
	assert_refused("VR09-17-5-1990", "'17-5-1990', which reads like a "
	    "date (day-month-year)");
	assert_refused("Bo-17-05-90", "'17-05-90', which reads like a date "
	    "(day-month-year)");
	assert_refused("VR09-5-17-1990", "'5-17-1990', which reads like a "
	    "date (month-day-year)");
	assert_refused("VR09-90-5-17", "(year-month-day)");
	assert_refused("X-1-1-2000-7", "'1-1-2000'");
	assert_refused("VR09-2026-1-9", "'2026-1-9'");
	/* Not a date: out of range, too long, or only two groups. */
	assert_accepted("VR09-1899-5-17");
	assert_accepted("VR09-1990-13-13");
	assert_accepted("VR09-17-5-199");
	assert_accepted("VR09-32-13-90");
	assert_accepted("VR09-17-5-19900");
	assert_accepted("VR09-0-5-1990");
	assert_accepted("VR09-2026-0042");
	assert_accepted("VR09-2026-10042");
	assert_accepted("A7-19-4411");
	assert_accepted("R1-17-5");
}

static void
case_ref_refuses_bad_length(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(place_check_case_ref("A1-22", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "case_ref 'A1-22' is 5 characters long, it "
	    "must be 6 to 40: use a pseudonymous reference like "
	    "VR09-2026-0042");
	assert_refused("01234567890123456789012345678901234567890",
	    "is 41 characters long, it must be 6 to 40");
	assert_refused("", "case_ref is missing");
	assert_refused(NULL, "case_ref is missing");
}

static void
case_ref_refuses_bad_characters(void **state)
{
	(void)state;
	assert_refused("VR/2026/42", "has '/' at position 3, only A-Z, "
	    "a-z, 0-9 and '-' are allowed");
	assert_refused("VR09_2026_0042", "has '_' at position 5");
	assert_refused("VR09.2026.0042", "has '.' at position 5");
	assert_refused("VR09\t2026", "'VR09?2026' has byte 0x09 at "
	    "position 5");
	assert_refused("Zo\xc3\xab-1234", "has byte 0xc3 at position 3");
}

static void
case_ref_refuses_few_digits(void **state)
{
	(void)state;
	assert_refused("ABC--1", "has 1 digit, it needs at least 3");
	assert_refused("AB-12-", "has 2 digits, it needs at least 3");
	assert_refused("ABC---", "has 0 digits, it needs at least 3");
	assert_accepted("AB-12-3");
}

static void
case_ref_error_truncated_safely(void **state)
{
	char err[12];

	(void)state;
	memset(err, 'x', sizeof(err));
	assert_int_equal(place_check_case_ref("Maria Jansen", err, 8), -1);
	assert_string_equal(err, "case_re");
	assert_int_equal(err[8], 'x');
	assert_int_equal(place_check_case_ref("Maria Jansen", NULL, 0), -1);
}

static void
accept_needs_room_and_an_open_shelter(void **state)
{
	struct shelter_state st;
	char err[160];

	(void)state;
	memset(&st, 0, sizeof(st));
	st.status = SH_STATUS_OPEN;
	st.beds[3].capacity = 2;  /* highsec */
	st.beds[3].occupied = 1;
	st.beds[3].held = 1;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)), 0);
	/* The reproduction: highsec=1/1 reported while a bed was held. */
	st.beds[3].capacity = 1;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "no room: highsec 1 of 1 taken"));
	/* Out of service beds are no room either. */
	st.beds[3].capacity = 3;
	st.beds[3].out_of_service = 2;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)),
	    -1);
	st.beds[3].out_of_service = 1;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)), 0);
	assert_int_equal(place_accept_check(&st, 4, 2, err, sizeof(err)),
	    -1);
	/* Other holds do not count against it: 2 held, room for 1. */
	st.beds[3].held = 2;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)), 0);
	st.status = SH_STATUS_CLOSED;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "closed"));
	st.status = SH_STATUS_INTAKE_PAUSED;
	assert_int_equal(place_accept_check(&st, 4, 1, err, sizeof(err)), 0);
	assert_int_equal(place_accept_check(&st, 0, 1, err, sizeof(err)), -1);
	assert_int_equal(place_accept_check(&st, 6, 1, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hops_chain_and_isolated),
		cmocka_unit_test(hops_shortest_path_wins),
		cmocka_unit_test(hops_from_unknown_region_reaches_nothing),
		cmocka_unit_test(rank_neighbours_then_free_then_id),
		cmocka_unit_test(rank_is_deterministic),
		cmocka_unit_test(rank_free_counts_out_of_service),
		cmocka_unit_test(rank_held_beds_not_free),
		cmocka_unit_test(rank_skips_own_region_unless_allowed),
		cmocka_unit_test(rank_skips_excluded_regions),
		cmocka_unit_test(rank_security_level_at_least),
		cmocka_unit_test(rank_never_offers_stale),
		cmocka_unit_test(rank_never_offers_paused_or_closed),
		cmocka_unit_test(rank_never_offers_never_reported),
		cmocka_unit_test(rank_needs_enough_free_beds),
		cmocka_unit_test(rank_skips_tried_shelters),
		cmocka_unit_test(rank_skips_category_not_in_registry),
		cmocka_unit_test(rank_returns_all_but_writes_max),
		cmocka_unit_test(rank_unreachable_last_but_offered),
		cmocka_unit_test(rank_refuses_malformed_query),
		cmocka_unit_test(rank_100000_shelters),
		cmocka_unit_test(case_ref_accepts_pseudonyms),
		cmocka_unit_test(case_ref_refuses_name_with_space),
		cmocka_unit_test(case_ref_refuses_letter_runs),
		cmocka_unit_test(case_ref_refuses_dates_of_birth),
		cmocka_unit_test(case_ref_refuses_short_names),
		cmocka_unit_test(case_ref_refuses_loose_dates),
		cmocka_unit_test(case_ref_refuses_bad_length),
		cmocka_unit_test(case_ref_refuses_bad_characters),
		cmocka_unit_test(case_ref_refuses_few_digits),
		cmocka_unit_test(case_ref_error_truncated_safely),
		cmocka_unit_test(accept_needs_room_and_an_open_shelter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
