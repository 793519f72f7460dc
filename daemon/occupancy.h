/*
 * occupancy.h — what a shelter's new state does: history, escalation,
 * aggregates and events, in the txn that stores it. Reports (update and
 * batch verbs, ops.c), holds, accepts and stale deadlines all change a
 * shelter's state through occupancy_store().
 */
#ifndef SHELTERD_OCCUPANCY_H
#define SHELTERD_OCCUPANCY_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

struct ctx;
struct item;

/* Store a shelter's new state: aggregates, levels and events follow. */
int occupancy_store(struct ctx *s, MDB_txn *txn,
    const struct reg_shelter *sh, struct shelter_state *stored,
    const struct shelter_state *next, int64_t now);

/*
 * The reserve beds shelters declared by report, for reg's sums
 * (core/reserve.h): the loop's copy, read from the committed states on
 * its first use after a start or a registry switch, and kept up after
 * each commit of a report that declares. NULL (reserves.csv's figures
 * only) when it cannot be read.
 */
const struct reserve_overlay *occupancy_reserves(struct ctx *s);

/* The reporting deadline of a registry shelter, in seconds. */
int64_t occupancy_deadline(const struct ctx *s,
    const struct reg_shelter *sh);
/* Mark shelters whose deadline passed as stale, in txn. */
bool occupancy_stale_any_due(const struct ctx *s, int64_t now);
int occupancy_stale_sweep(struct ctx *s, MDB_txn *txn, int64_t now);

/* Startup: rebuild aggregates from shelter states (the registry may have
 * changed) and re-evaluate region/national levels under the current
 * thresholds. */
int occupancy_reconcile(struct ctx *s);
int occupancy_reconcile_txn(struct ctx *s, MDB_txn *txn,
    const struct registry *reg, int64_t *stale_at, size_t *changed);

/* The verbs (ops.h). */
int occupancy_check_update(struct ctx *s, struct item *it);
int occupancy_check_batch(struct ctx *s, struct item *it);
int occupancy_apply(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
void occupancy_applied(struct ctx *s, struct item *it, size_t k,
    int64_t now);
void occupancy_reply_update(struct ctx *s, MDB_txn *rtxn,
    struct item *it, Shelterd__V1__Reply *reply);
int occupancy_reset_seq(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
void occupancy_reply_reset_seq(struct ctx *s, MDB_txn *rtxn,
    struct item *it, Shelterd__V1__Reply *reply);
void occupancy_reply_batch(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
