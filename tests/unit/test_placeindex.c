/*
 * test_placeindex.c — the index of free beds against the full scan: random
 * registries and states, changed one shelter at a time with some changes
 * undone (an aborted txn), and after every step the index must match the
 * states and rank every random query exactly as place_rank does.
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

enum { MAX_REGIONS = 12, MAX_SHELTERS = 300 };

struct world {
	struct reg_region regions[MAX_REGIONS];
	struct reg_shelter shelters[MAX_SHELTERS];
	struct shelter_state states[MAX_SHELTERS];
	struct registry reg;
};

/* A small deterministic generator: the same seed, the same worlds. */
static uint64_t rng_state;

static uint32_t
rnd(uint32_t n)
{
	rng_state = rng_state * 6364136223846793005ULL +
	    1442695040888963407ULL;
	return n ? (uint32_t)((rng_state >> 33) % n) : 0;
}

static const struct shelter_state *
state_of(void *arg, uint32_t shelter)
{
	struct world *w = arg;

	assert_true(shelter < w->reg.n_shelters);
	return &w->states[shelter];
}

/* Free counts from 0 to past the last exact bucket, a few far beyond. */
static void
random_state(struct world *w, uint32_t i)
{
	struct shelter_state *st = &w->states[i];

	memset(st, 0, sizeof(*st));
	if (rnd(8) == 0)
		return; /* never reported */
	st->seq = 1 + rnd(100);
	st->status = rnd(6) == 0 ? (uint8_t)(1 + rnd(3)) : SH_STATUS_OPEN;
	st->stale = rnd(10) == 0;
	for (int c = 0; c < CAT_COUNT; c++) {
		struct bed_counts *b = &st->beds[c];

		if (rnd(5) == 0)
			continue;
		st->present |= (uint8_t)(1u << c);
		b->capacity = rnd(4) == 0 ? 60 + rnd(80) : rnd(30);
		b->occupied = rnd(b->capacity + 3);
		b->out_of_service = rnd(3);
		b->held = rnd(4) == 0 ? rnd(5) : 0;
	}
}

static void
random_world(struct world *w)
{
	memset(w, 0, sizeof(*w));
	w->reg.regions = w->regions;
	w->reg.shelters = w->shelters;
	w->reg.n_regions = 1 + rnd(MAX_REGIONS);
	for (size_t r = 0; r < w->reg.n_regions; r++)
		snprintf(w->regions[r].id, sizeof(w->regions[r].id), "R%zu",
		    r);
	/* Random links, some regions left unreachable. */
	for (size_t k = rnd((uint32_t)w->reg.n_regions * 2); k > 0; k--) {
		uint32_t a = rnd((uint32_t)w->reg.n_regions);
		uint32_t b = rnd((uint32_t)w->reg.n_regions);
		struct reg_region *ra = &w->regions[a], *rb = &w->regions[b];

		if (a == b || ra->n_neighbours == REG_NEIGHBOURS_MAX ||
		    rb->n_neighbours == REG_NEIGHBOURS_MAX)
			continue;
		ra->neighbours[ra->n_neighbours++] = (uint16_t)b;
		rb->neighbours[rb->n_neighbours++] = (uint16_t)a;
	}
	w->reg.n_shelters = rnd(MAX_SHELTERS + 1);
	for (size_t i = 0; i < w->reg.n_shelters; i++) {
		struct reg_shelter *sh = &w->shelters[i];

		/* Sorted by id, as the registry keeps them. */
		snprintf(sh->id, sizeof(sh->id), "S%05zu", i);
		sh->region = (uint16_t)rnd((uint32_t)w->reg.n_regions);
		sh->categories = (uint8_t)rnd(1u << CAT_COUNT);
		sh->security_level = (uint8_t)rnd(6);
		random_state(w, (uint32_t)i);
	}
}

static struct place_query
random_query(const struct world *w)
{
	struct place_query q;

	memset(&q, 0, sizeof(q));
	q.category = 1 + (int)rnd(CAT_COUNT);
	q.beds = 1 + rnd(rnd(3) == 0 ? PLACE_BEDS_MAX : 4);
	q.security_level = rnd(6);
	q.from_region = (int)rnd((uint32_t)w->reg.n_regions);
	q.allow_own_region = rnd(3) == 0;
	q.n_exclude = rnd(3);
	for (size_t i = 0; i < q.n_exclude; i++)
		q.exclude[i] = (uint16_t)rnd((uint32_t)w->reg.n_regions);
	q.n_tried = rnd(6);
	for (size_t i = 0; i < q.n_tried; i++)
		/* Duplicates and shelters that are no candidate, too. */
		q.tried[i] = rnd((uint32_t)w->reg.n_shelters + 1);
	return q;
}

static void
assert_same_ranking(struct world *w, const struct place_index *ix,
    const struct place_query *q)
{
	static struct place_candidate a[MAX_SHELTERS], b[MAX_SHELTERS];
	size_t max = rnd(4) == 0 ? MAX_SHELTERS : 1 + rnd(5);
	size_t n = place_rank(&w->reg, q, state_of, w, a, max);
	size_t m = place_index_rank(ix, q, b, max);

	assert_int_equal(m, n);
	for (size_t i = 0; i < n && i < max; i++) {
		assert_int_equal(b[i].shelter, a[i].shelter);
		assert_int_equal(b[i].hops, a[i].hops);
		assert_int_equal(b[i].free, a[i].free);
	}
}

static void
assert_index_matches(struct world *w, const struct place_index *ix)
{
	char err[200];
	size_t bad = place_index_verify(ix, state_of, w, err, sizeof(err));

	if (bad != 0)
		fail_msg("%zu keys wrong: %s", bad, err);
}

static void
random_registries_rank_alike(void **state)
{
	static struct world w;
	static struct shelter_state saved[MAX_SHELTERS];

	(void)state;
	rng_state = 19;
	for (int round = 0; round < 60; round++) {
		struct place_index ix;

		random_world(&w);
		assert_int_equal(place_index_init(&ix, &w.reg), 0);
		for (uint32_t i = 0; i < w.reg.n_shelters; i++)
			place_index_set(&ix, i, &w.states[i]);
		place_index_forget(&ix);
		assert_index_matches(&w, &ix);
		for (int step = 0; step < 40; step++) {
			bool abort_txn = rnd(3) == 0;
			size_t mark = place_index_mark(&ix);

			memcpy(saved, w.states, sizeof(saved));
			/* A txn of a few writes, some to one shelter twice. */
			for (uint32_t k = 1 + rnd(6); k > 0 &&
			    w.reg.n_shelters > 0; k--) {
				uint32_t i = rnd((uint32_t)w.reg.n_shelters);

				random_state(&w, i);
				place_index_set(&ix, i, &w.states[i]);
			}
			/* Inside the txn, ranking sees its writes. */
			assert_index_matches(&w, &ix);
			if (abort_txn) {
				place_index_undo(&ix, mark);
				memcpy(w.states, saved, sizeof(saved));
			} else {
				place_index_forget(&ix);
			}
			assert_index_matches(&w, &ix);
			for (int k = 0; k < 5; k++) {
				struct place_query q = random_query(&w);

				assert_same_ranking(&w, &ix, &q);
			}
		}
		place_index_free(&ix);
	}
}

/* A state written without telling the index is what the daemon's debug
 * check exists to catch: verify must see it. */
static void
verify_sees_a_missed_write(void **state)
{
	static struct world w;
	struct place_index ix;
	char err[200];
	uint32_t i;

	(void)state;
	rng_state = 7;
	do
		random_world(&w);
	while (w.reg.n_shelters == 0);
	assert_int_equal(place_index_init(&ix, &w.reg), 0);
	for (i = 0; i < w.reg.n_shelters; i++)
		place_index_set(&ix, i, &w.states[i]);
	assert_int_equal(place_index_verify(&ix, state_of, &w, err,
	    sizeof(err)), 0);
	/* Make shelter 0 a certain candidate with 5 free women's beds. */
	i = 0;
	w.shelters[i].categories |= 1;
	w.states[i].seq = 3;
	w.states[i].status = SH_STATUS_OPEN;
	w.states[i].stale = 0;
	w.states[i].present |= 1;
	memset(&w.states[i].beds[0], 0, sizeof(w.states[i].beds[0]));
	w.states[i].beds[0].capacity = 5;
	assert_true(place_index_verify(&ix, state_of, &w, err,
	    sizeof(err)) > 0);
	assert_non_null(strstr(err, "S00000"));
	place_index_set(&ix, i, &w.states[i]);
	assert_int_equal(place_index_verify(&ix, state_of, &w, err,
	    sizeof(err)), 0);
	place_index_free(&ix);
}

/* Undo puts back the exact entries, also after moves within a txn. */
static void
undo_restores_rank(void **state)
{
	static struct world w;
	static struct shelter_state saved[MAX_SHELTERS];
	struct place_index ix;
	struct place_query q;

	(void)state;
	rng_state = 3;
	do
		random_world(&w);
	while (w.reg.n_shelters < 20 || w.reg.n_regions < 2);
	assert_int_equal(place_index_init(&ix, &w.reg), 0);
	for (uint32_t i = 0; i < w.reg.n_shelters; i++)
		place_index_set(&ix, i, &w.states[i]);
	place_index_forget(&ix);
	memcpy(saved, w.states, sizeof(saved));
	for (int k = 0; k < 200; k++) {
		uint32_t i = rnd((uint32_t)w.reg.n_shelters);

		random_state(&w, i);
		place_index_set(&ix, i, &w.states[i]);
	}
	place_index_undo(&ix, 0);
	memcpy(w.states, saved, sizeof(saved));
	assert_index_matches(&w, &ix);
	for (int k = 0; k < 50; k++) {
		q = random_query(&w);
		assert_same_ranking(&w, &ix, &q);
	}
	place_index_free(&ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_registries_rank_alike),
		cmocka_unit_test(verify_sees_a_missed_write),
		cmocka_unit_test(undo_restores_rank),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
