/*
 * regionplan.h — the planning fields of a region's totals
 * (docs/planning.md).
 */
#ifndef SHELTERD_REGIONPLAN_H
#define SHELTERD_REGIONPLAN_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

/*
 * The norm in force, the reserve beds (a shelter's declared figures
 * where ov has them, reserves.csv's otherwise: core/reserve.h) and
 * whether a structural shortage is open (docs/planning.md), for the
 * CAT_COUNT totals t[c] (category c + 1) of region `region` of reg:
 * every RegionStatus has them (the clients' status, the dashboard's, the
 * plan). 0 or STORE_E*.
 */
int regionplan_fill(const struct registry *reg,
    const struct reserve_overlay *ov, struct store *st, MDB_txn *txn,
    size_t region, Shelterd__V1__CategoryTotals *const *t, int64_t now);

/* A shelter's reserve beds of category within 72 h (0: none): what it
 * declared by report, else reserves.csv's. Who is asked to open reserve
 * beds (daemon/reserves.c) and whom the monthly report counts
 * (daemon/history.c) agree by this one rule. */
uint32_t regionplan_shelter_reserve(const struct registry *reg,
    struct store *st, MDB_txn *txn, const struct reg_shelter *sh,
    int category);

/* Confirmed reserve beds open now per category (open[c]: category
 * c + 1) in region (NULL: the whole country), from the activations not
 * ended and their answers. 0 or STORE_E*. */
int regionplan_reserve_open(struct store *st, MDB_txn *txn,
    const char *region, int64_t now, uint32_t open[CAT_COUNT]);

/*
 * The reserve beds every shelter of reg declared by report, read from
 * its stored state in txn into ov (reserve_overlay_init'ed for reg).
 * One read per shelter: the loop keeps its copy (occupancy_reserves);
 * the dashboard's threads read their own. 0 or STORE_E*.
 */
int regionplan_reserves(const struct registry *reg, struct store *st,
    MDB_txn *txn, struct reserve_overlay *ov);
#endif
