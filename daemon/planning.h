/*
 * planning.h — structural shortages (docs/planning.md): the rule of
 * core/shortage.h run over the history on a timer of its own, its alerts
 * opened and cleared by events like every other alert; and the plan verb.
 */
#ifndef SHELTERD_PLANNING_H
#define SHELTERD_PLANNING_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

struct ctx;

/*
 * Housekeeping (on_tick): every [planning] check_secs, read the last
 * window_days planning days and open or clear structural shortage alerts,
 * in a write txn of its own; its events are published once it committed.
 */
void planning_tick(struct ctx *s, int64_t now);

/*
 * The plan verb (ops.h): every region and category short of its norm or
 * with a shortage open, over the window, with the numbers behind it;
 * largest shortfall first. Read on the loop like a status: a few dozen
 * rows over one window of history, asked for rarely.
 */
struct item;
void planning_op_plan(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
