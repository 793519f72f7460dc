#include "placeindex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N_SEC = PLACE_INDEX_SEC_MAX + 1, N_FREE = PLACE_INDEX_FREE_MAX };

static uint32_t
sec_cell(unsigned level)
{
	return level > PLACE_INDEX_SEC_MAX ? PLACE_INDEX_SEC_MAX : level;
}

static uint32_t
free_bucket(uint32_t nfree)
{
	return nfree < N_FREE ? nfree : 0;
}

static struct place_bucket *
cell(const struct place_index *ix, int cat0, size_t region, uint32_t sec,
    uint32_t fb)
{
	size_t k = ((size_t)cat0 * ix->reg->n_regions + region) * N_SEC + sec;

	return &ix->b[k * N_FREE + fb];
}

int
place_index_init(struct place_index *ix, const struct registry *reg)
{
	size_t keys = (reg->n_shelters ? reg->n_shelters : 1) * CAT_COUNT;
	size_t cells = (size_t)CAT_COUNT * (reg->n_regions ? reg->n_regions :
	    1) * N_SEC * N_FREE;

	memset(ix, 0, sizeof(*ix));
	ix->reg = reg;
	ix->free = calloc(keys, sizeof(*ix->free));
	ix->pos = calloc(keys, sizeof(*ix->pos));
	ix->b = calloc(cells, sizeof(*ix->b));
	ix->n_b = cells;
	if (ix->free == NULL || ix->pos == NULL || ix->b == NULL) {
		place_index_free(ix);
		return -1;
	}
	return 0;
}

void
place_index_free(struct place_index *ix)
{
	/* Without reading the registry, which may be gone already. */
	for (size_t i = 0; ix->b != NULL && i < ix->n_b; i++)
		free(ix->b[i].v);
	free(ix->b);
	free(ix->free);
	free(ix->pos);
	free(ix->undo);
	memset(ix, 0, sizeof(*ix));
}

uint32_t
place_index_value(const struct registry *reg, uint32_t i,
    const struct shelter_state *st, int category)
{
	const struct reg_shelter *sh = &reg->shelters[i];
	unsigned bit = 1u << (category - 1);

	/* The query-independent half of eligible() in placement.c. */
	if (!(sh->categories & bit) || sh->region >= reg->n_regions)
		return 0;
	if (st == NULL || st->seq == 0 || st->status != SH_STATUS_OPEN ||
	    st->stale || !(st->present & bit))
		return 0;
	return beds_free(st->status, &st->beds[category - 1]);
}

/* Move key from its bucket to the one of nfree, unjournalled. Running out
 * of memory here would leave the index wrong, which nothing can report:
 * abort, like REQUIRE in the daemon. */
static void
move(struct place_index *ix, uint32_t key, uint32_t nfree)
{
	uint32_t i = key / CAT_COUNT;
	int c = (int)(key % CAT_COUNT);
	const struct reg_shelter *sh = &ix->reg->shelters[i];
	uint32_t sec = sec_cell(sh->security_level), p, last;
	struct place_bucket *b;

	if (ix->free[key] != 0) {
		b = cell(ix, c, sh->region, sec, free_bucket(ix->free[key]));
		p = ix->pos[key];
		last = b->v[--b->n];
		b->v[p] = last;
		ix->pos[last * CAT_COUNT + (uint32_t)c] = p;
	}
	ix->free[key] = nfree;
	if (nfree == 0)
		return;
	b = cell(ix, c, sh->region, sec, free_bucket(nfree));
	if (b->n == b->cap) {
		uint32_t cap = b->cap ? b->cap * 2 : 8;
		uint32_t *v = realloc(b->v, cap * sizeof(*v));

		if (v == NULL)
			abort();
		b->v = v;
		b->cap = cap;
	}
	ix->pos[key] = b->n;
	b->v[b->n++] = i;
}

void
place_index_set(struct place_index *ix, uint32_t i,
    const struct shelter_state *st)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		uint32_t key = i * CAT_COUNT + (uint32_t)c;
		uint32_t v = place_index_value(ix->reg, i, st, c + 1);

		if (v == ix->free[key])
			continue;
		if (ix->n_undo == ix->cap_undo) {
			size_t cap = ix->cap_undo ? ix->cap_undo * 2 : 64;
			void *u = realloc(ix->undo, cap * sizeof(*ix->undo));

			if (u == NULL)
				abort();
			ix->undo = u;
			ix->cap_undo = cap;
		}
		ix->undo[ix->n_undo].key = key;
		ix->undo[ix->n_undo++].free = ix->free[key];
		move(ix, key, v);
	}
}

size_t
place_index_mark(const struct place_index *ix)
{
	return ix->n_undo;
}

void
place_index_undo(struct place_index *ix, size_t mark)
{
	while (ix->n_undo > mark) {
		const struct place_undo *u = &ix->undo[--ix->n_undo];

		move(ix, u->key, u->free);
	}
}

void
place_index_forget(struct place_index *ix)
{
	ix->n_undo = 0;
}

size_t
place_index_verify(const struct place_index *ix, place_state_fn state,
    void *arg, char *err, size_t errlen)
{
	const struct registry *reg = ix->reg;
	size_t bad = 0;

	for (uint32_t i = 0; i < reg->n_shelters; i++) {
		const struct shelter_state *st = state(arg, i);

		for (int c = 0; c < CAT_COUNT; c++) {
			uint32_t key = i * CAT_COUNT + (uint32_t)c;
			uint32_t want = place_index_value(reg, i, st, c + 1);
			uint32_t have = ix->free[key];
			bool placed = true;

			if (have != 0) {
				const struct reg_shelter *sh =
				    &reg->shelters[i];
				const struct place_bucket *b = cell(ix, c,
				    sh->region, sec_cell(sh->security_level),
				    free_bucket(have));

				placed = ix->pos[key] < b->n &&
				    b->v[ix->pos[key]] == i;
			}
			if (want == have && placed)
				continue;
			if (bad++ == 0)
				snprintf(err, errlen, "shelter %s %s: %u free "
				    "beds in the index, %u in its state%s",
				    reg->shelters[i].id, cat_name(c + 1),
				    have, want, placed ? "" :
				    " (and not in its bucket)");
		}
	}
	if (bad == 0 && errlen > 0)
		err[0] = '\0';
	return bad;
}

/* ---- ranking --------------------------------------------------------- */

struct hit {
	struct place_candidate c;
	const char *id;
};

/* place_rank's order; within one bucket hops and free are equal. */
static int
hit_cmp(const void *pa, const void *pb)
{
	const struct hit *a = pa, *b = pb;
	int s;

	if (a->c.free != b->c.free)
		return a->c.free > b->c.free ? -1 : 1;
	if ((s = strcmp(a->id, b->id)) != 0)
		return s;
	return (a->c.shelter > b->c.shelter) - (a->c.shelter < b->c.shelter);
}

struct region_hops {
	uint32_t region, hops;
};

static int
region_hops_cmp(const void *pa, const void *pb)
{
	const struct region_hops *a = pa, *b = pb;

	if (a->hops != b->hops)
		return a->hops < b->hops ? -1 : 1;
	return (a->region > b->region) - (a->region < b->region);
}

struct rank {
	const struct place_index *ix;
	const struct place_query *q;
	uint32_t sec0;                /* first security cell to read */
	struct hit *h;
	size_t n, cap;
};

static bool
tried(const struct place_query *q, uint32_t shelter)
{
	size_t n = q->n_tried < PLACE_TRIED_MAX ? q->n_tried : PLACE_TRIED_MAX;

	for (size_t i = 0; i < n; i++)
		if (q->tried[i] == shelter)
			return true;
	return false;
}

/* The entries of a bucket that the query takes, appended to r->h. */
static void
collect(struct rank *r, const struct place_bucket *b, int cat0,
    uint32_t hops)
{
	const struct registry *reg = r->ix->reg;

	for (uint32_t k = 0; k < b->n; k++) {
		uint32_t i = b->v[k];
		uint32_t nfree = r->ix->free[i * CAT_COUNT + (uint32_t)cat0];

		if (nfree < r->q->beds ||
		    reg->shelters[i].security_level < r->q->security_level ||
		    tried(r->q, i))
			continue;
		if (r->n == r->cap) {
			size_t cap = r->cap ? r->cap * 2 : 64;
			void *h = realloc(r->h, cap * sizeof(*r->h));

			if (h == NULL)
				abort();
			r->h = h;
			r->cap = cap;
		}
		r->h[r->n].c.shelter = i;
		r->h[r->n].c.hops = hops;
		r->h[r->n].c.free = nfree;
		r->h[r->n].id = reg->shelters[i].id;
		r->n++;
	}
}

/* How many entries of region's cells the query takes, tried ones too. */
static size_t
count_region(const struct rank *r, int cat0, uint32_t region)
{
	size_t n = 0;

	for (uint32_t s = r->sec0; s < N_SEC; s++) {
		/* A level above SEC_MAX shares the last cell: count those
		 * one by one. So do the large counts of bucket 0. */
		bool exact = r->q->security_level <= PLACE_INDEX_SEC_MAX;

		for (uint32_t fb = 0; fb < N_FREE; fb++) {
			const struct place_bucket *b = cell(r->ix, cat0,
			    region, s, fb);

			if (fb != 0 && fb < r->q->beds)
				continue;
			if (exact && fb != 0) {
				n += b->n;
				continue;
			}
			for (uint32_t k = 0; k < b->n; k++) {
				uint32_t i = b->v[k];

				if (r->ix->free[i * CAT_COUNT +
				    (uint32_t)cat0] >= r->q->beds &&
				    r->ix->reg->shelters[i].security_level >=
				    r->q->security_level)
					n++;
			}
		}
	}
	return n;
}

/* Whether shelter i of the query's tried list is counted by count_region:
 * only then is it taken off the total. */
static bool
counted(const struct rank *r, const uint8_t *skip, int cat0, uint32_t i)
{
	const struct reg_shelter *sh;

	if (i >= r->ix->reg->n_shelters)
		return false;
	sh = &r->ix->reg->shelters[i];
	return r->ix->free[i * CAT_COUNT + (uint32_t)cat0] >= r->q->beds &&
	    sh->security_level >= r->q->security_level &&
	    sh->region < r->ix->reg->n_regions && !skip[sh->region];
}

size_t
place_index_rank(const struct place_index *ix, const struct place_query *q,
    struct place_candidate *out, size_t max)
{
	const struct registry *reg = ix->reg;
	int cat0 = q->category - 1;
	struct rank r = { .ix = ix, .q = q };
	struct region_hops *order;
	uint32_t *dist;
	uint8_t *skip;
	size_t n_order = 0, total = 0, n_out = 0, n_tried, n_excl;

	if (q->category < 1 || q->category > CAT_COUNT || q->beds < 1 ||
	    q->beds > PLACE_BEDS_MAX || q->from_region < 0 ||
	    (size_t)q->from_region >= reg->n_regions)
		return 0;
	r.sec0 = sec_cell(q->security_level);
	dist = malloc(reg->n_regions * (sizeof(*dist) + sizeof(*skip)));
	order = malloc(reg->n_regions * sizeof(*order));
	if (dist == NULL || order == NULL) {
		free(dist);
		free(order);
		return 0; /* as place_rank: no error channel */
	}
	skip = (uint8_t *)(dist + reg->n_regions);
	place_region_hops(reg, q->from_region, dist);
	memset(skip, 0, reg->n_regions);
	n_excl = q->n_exclude < PLACE_EXCLUDE_MAX ? q->n_exclude :
	    PLACE_EXCLUDE_MAX;
	for (size_t i = 0; i < n_excl; i++)
		if (q->exclude[i] < reg->n_regions)
			skip[q->exclude[i]] = 1;
	if (!q->allow_own_region)
		skip[q->from_region] = 1;

	for (uint32_t g = 0; g < reg->n_regions; g++) {
		if (skip[g])
			continue;
		order[n_order].region = g;
		order[n_order++].hops = dist[g];
		total += count_region(&r, cat0, g);
	}
	/* A shelter tried before is eligible no more; once, however often
	 * the list names it. */
	n_tried = q->n_tried < PLACE_TRIED_MAX ? q->n_tried : PLACE_TRIED_MAX;
	for (size_t t = 0; t < n_tried; t++) {
		bool dup = false;

		for (size_t u = 0; u < t && !dup; u++)
			dup = q->tried[u] == q->tried[t];
		if (!dup && counted(&r, skip, cat0, q->tried[t]))
			total--;
	}
	qsort(order, n_order, sizeof(*order), region_hops_cmp);

	/* Nearest regions first; among regions as near, most free beds
	 * first, so a bucket at a time, sorted by id within it. */
	for (size_t g = 0; g < n_order && n_out < max;) {
		size_t end = g;

		while (end < n_order && order[end].hops == order[g].hops)
			end++;
		for (uint32_t step = 0; step < N_FREE && n_out < max;
		    step++) {
			/* Bucket 0 (the largest counts) first, then
			 * FREE_MAX-1 down to q->beds. */
			uint32_t fb = step == 0 ? 0 : N_FREE - step;

			if (fb != 0 && fb < q->beds)
				break;
			r.n = 0;
			for (size_t k = g; k < end; k++)
				for (uint32_t s = r.sec0; s < N_SEC; s++)
					collect(&r, cell(ix, cat0,
					    order[k].region, s, fb), cat0,
					    order[k].hops);
			if (r.n > 1)
				qsort(r.h, r.n, sizeof(*r.h), hit_cmp);
			for (size_t k = 0; k < r.n && n_out < max; k++)
				out[n_out++] = r.h[k].c;
		}
		g = end;
	}
	free(r.h);
	free(order);
	free(dist);
	return total;
}
