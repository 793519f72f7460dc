/*
 * nstore.h — shelter-node's LMDB (layout in store.c). Functions return
 * LMDB codes: the node has no schema migrations and few callers.
 */
#ifndef SHELTERD_NSTORE_H
#define SHELTERD_NSTORE_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beds.h"

struct nstore {
	MDB_env *env;
	MDB_dbi outbox, shelters, events, meta;
	/* Reports national refused for a fault of their own: kept, never
	 * deleted. Absent (false) only in a read-only open of a store made
	 * before it existed. */
	MDB_dbi rejected;
	bool has_rejected;
};


/* 0 or -1 (logged). Read-only: for --status beside a running node. */
int nstore_open(struct nstore *st, const char *dir, uint64_t map_bytes,
    bool readonly);
void nstore_close(struct nstore *st);

/* meta counters; a missing one reads as 0. */
int nstore_get_u64(struct nstore *st, MDB_txn *txn, const char *key,
    uint64_t *out);
int nstore_put_u64(struct nstore *st, MDB_txn *txn, const char *key,
    uint64_t val);
/* A shelter never seen reads as all zero (seq 0). */
int nstore_get_shelter(struct nstore *st, MDB_txn *txn, const char *id,
    struct shelter_state *out);
int nstore_put_shelter(struct nstore *st, MDB_txn *txn, const char *id,
    const struct shelter_state *s);
/* Reports waiting in the outbox, and when the oldest was accepted (unix
 * seconds; 0 when none wait). */
int nstore_backlog(struct nstore *st, MDB_txn *txn, size_t *count,
    int64_t *oldest);

/*
 * Move outbox entry key (8 bytes) to the rejected db with national's answer,
 * in txn: value = refused_at (8, BE) + code (4, BE) + error length (2, BE)
 * + error + the outbox value (accepted_at + packed OccupancyUpdate).
 */
int nstore_reject(struct nstore *st, MDB_txn *txn, const uint8_t *key,
    int64_t now, int code, const char *error);
/* How many reports national refused and the node kept. */
int nstore_rejected_count(struct nstore *st, MDB_txn *txn, size_t *count);

#endif
