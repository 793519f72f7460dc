/*
 * placeindex.h — the free beds of every shelter, by category, region and
 * security level, so that ranking a placement request reads a few buckets
 * instead of every shelter's state. Pure: the loop feeds it every shelter
 * state it writes (daemon/occupancy.c) and rebuilds it from the store at
 * start and after an import; nothing here reads the store.
 *
 * A shelter is in the index for a category when place_rank() could ever
 * pick it for that category: the registry lists the category, the shelter
 * has reported it, is open and not stale, and has at least one free bed
 * (beds_free()). It sits in the bucket of its free beds (one bucket per
 * count below PLACE_INDEX_FREE_MAX, one for all above) of its category,
 * region and security level (capped at PLACE_INDEX_SEC_MAX).
 *
 * Writes inside a txn change the index at once, so a later request of the
 * same txn sees an earlier one's hold; each change is journalled so that a
 * txn that aborts can put it back (place_index_undo).
 */
#ifndef SHELTERD_PLACEINDEX_H
#define SHELTERD_PLACEINDEX_H

#include <stddef.h>
#include <stdint.h>

#include "beds.h"
#include "placement.h"
#include "registry.h"

/* Buckets 1..FREE_MAX-1 hold one free count each, bucket 0 the larger
 * counts (ranked by a sort). Security levels above SEC_MAX share its cell
 * and are checked one by one.
 *
 * Measured (100,000 shelters, 25 regions, 20-40 beds a category, random
 * reports of +-1 bed): a report costs place_index_set ~550-620 ns, a
 * ranking ~9 us. Buckets by powers of two (1, 2-3, 4-7, ...) move an
 * entry less often (~380 ns a report) but put most shelters in one
 * bucket that ranking must then sort: ~800 us. Placements are what the
 * index is for: one bucket per count. */
enum { PLACE_INDEX_FREE_MAX = 64, PLACE_INDEX_SEC_MAX = 3 };

struct place_bucket {
	uint32_t *v;                  /* shelter indexes, in no order */
	uint32_t n, cap;
};

struct place_undo {
	uint32_t key;                 /* shelter * CAT_COUNT + category-1 */
	uint32_t free;                /* its value before the change */
};

struct place_index {
	const struct registry *reg;
	uint32_t *free;               /* per key: 0 when not a candidate */
	uint32_t *pos;                /* per key: its place in its bucket */
	struct place_bucket *b;
	size_t n_b;
	struct place_undo *undo;
	size_t n_undo, cap_undo;
};

/* An empty index for reg (every shelter "never reported"): 0 or -1 (no
 * memory). reg must outlive it. */
int place_index_init(struct place_index *ix, const struct registry *reg);
void place_index_free(struct place_index *ix);

/* The free beds of category (1-based) by which shelter i with state st is
 * indexed; 0 when it cannot be a candidate. st may be NULL (never
 * reported). */
uint32_t place_index_value(const struct registry *reg, uint32_t i,
    const struct shelter_state *st, int category);

/* Shelter i now has state st (NULL: never reported). Journalled. */
void place_index_set(struct place_index *ix, uint32_t i,
    const struct shelter_state *st);

/* The journal: a mark before a txn (or a nested one), undo back to it
 * when that txn aborts, forget it all once the outer txn committed. */
size_t place_index_mark(const struct place_index *ix);
void place_index_undo(struct place_index *ix, size_t mark);
void place_index_forget(struct place_index *ix);

/*
 * Compare the index with the states (state(arg, i) for every shelter, as
 * in place_rank) and with itself (every bucket entry where its position
 * says). Returns how many keys disagree (0: the index is right); the
 * first is described in err.
 */
size_t place_index_verify(const struct place_index *ix,
    place_state_fn state, void *arg, char *err, size_t errlen);

/*
 * place_rank() over the index: the same eligibility, the same order and
 * the same count, without a state function. Returns how many candidates
 * there are in all; writes at most max of them to out.
 */
size_t place_index_rank(const struct place_index *ix,
    const struct place_query *q, struct place_candidate *out, size_t max);

#endif
