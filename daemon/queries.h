/*
 * queries.h — the read verbs whose data has no other home: status,
 * shelter, regions, events since, holds and ping (ops.c). Alerts,
 * placements, history, export and backup answer theirs in their own
 * modules.
 */
#ifndef SHELTERD_QUERIES_H
#define SHELTERD_QUERIES_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>

#include "beds.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

struct ctx;
struct item;

/*
 * Answer parked holds queries whose shelter got a hold in the txn that just
 * committed (expired_only = false), or whose wait ran out (true).
 */
void queries_answer_waiters(struct ctx *s, bool expired_only);
/* Pack the holds on a shelter as a reply into msg (a waiting query). */
void queries_reply_holds(struct ctx *s, MDB_txn *rtxn, uint32_t shelter,
    nng_msg *msg);

/* The verbs (ops.h). */
void queries_status(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_shelter(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_regions(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_events_since(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
/* Up, and keeping up? Nothing stored, anyone may ask. */
void queries_ping(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_holds(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
