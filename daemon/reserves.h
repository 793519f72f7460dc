/*
 * reserves.h — contingency reserve beds activated by the national
 * coordinator (docs/registry.md "reserves.csv"). Owns the
 * reserve_activate, reserve_query, reserve_answer and reserve_release
 * verbs (ops.h) and the activations' expiry.
 */
#ifndef SHELTERD_RESERVES_H
#define SHELTERD_RESERVES_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"

struct ctx;
struct item;

int reserves_op_activate(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
void reserves_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
/* A shelter's side: the activations it is asked to answer, its answer. */
void reserves_op_list(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
int reserves_op_answer(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
void reserves_op_reply_answer(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
/* The national coordinator ends an activation before its `until`; the
 * reply is reserves_op_reply's. */
int reserves_op_release(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);

/* Housekeeping: has an open activation reached its `until`? Then end
 * every such one in txn (its confirmed beds stop counting). */
bool reserves_any_expired(const struct ctx *s, int64_t now);
int reserves_expire(struct ctx *s, MDB_txn *txn, int64_t now);

#endif
