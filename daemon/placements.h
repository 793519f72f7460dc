/*
 * placements.h — supra-regional placements: requests, holds, answers,
 * cancels and expiry (docs/placements.md). The ranking is core/placement.c;
 * this module moves it between the store, the events and the api. Owns the
 * place, answer, cancel, placement and placements verbs (ops.c).
 */
#ifndef SHELTERD_PLACEMENTS_H
#define SHELTERD_PLACEMENTS_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"
#include "store.h"
#include "wire.h"

struct ctx;
struct item;

bool place_any_expired(const struct ctx *s, int64_t now);
/* Release the holds that ran out, in txn: 0 or STORE_E*. */
int place_expire(struct ctx *s, MDB_txn *txn, int64_t now);
/* Startup: find the earliest running hold. */
int place_init(struct ctx *s, MDB_txn *txn);

/*
 * The index of free beds (core/placeindex.h). place_index_build makes a
 * new one for s->reg from the shelter states in txn (at start, after a
 * failed housekeeping txn, after an import): 0 or STORE_E*, the old index
 * kept on error. place_note_state feeds it a state just written in the
 * write txn; place_index_check (builds with SHELTERD_CHECK_INDEX) compares
 * it with every stored state and aborts on a difference; place_index_end
 * frees it.
 */
int place_index_build(struct ctx *s, MDB_txn *txn);
void place_note_state(struct ctx *s, const struct reg_shelter *sh,
    const struct shelter_state *st);
void place_index_check(struct ctx *s, MDB_txn *txn);
void place_index_end(struct ctx *s);
/* Open and recent placements, or (shelter != NULL) holds on a shelter;
 * packs reply into msg unless msg is NULL. 0 or STORE_E*. */
int place_list(struct ctx *s, MDB_txn *txn, const char *shelter,
    const char *region, enum wire_view view, Shelterd__V1__Reply *reply,
    nng_msg *msg, size_t *count,
    void (*pack)(nng_msg *, const Shelterd__V1__Reply *));

/* The verbs (ops.h). */
int place_op_request(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
int place_op_answer(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
int place_op_cancel(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now);
void place_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void place_op_placement(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void place_op_placements(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
