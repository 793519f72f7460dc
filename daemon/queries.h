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
#include <stdint.h>

#include "beds.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

struct server;
struct item;

/* One shelter's registry entry and live state as a ShelterReply, which
 * points into f (so f must stay put until packed). */
struct shelter_fill {
	Shelterd__V1__ShelterReply sr;
	Shelterd__V1__BedCount beds[CAT_COUNT], *bp[CAT_COUNT];
	Shelterd__V1__BedCount planned[CAT_COUNT], *pp[CAT_COUNT];
	Shelterd__V1__Category cats[CAT_COUNT];
};
void queries_fill_shelter(const struct server *s,
    const struct reg_shelter *sh, const struct shelter_state *st,
    struct shelter_fill *f);
/* Pack the holds on a shelter as a reply into msg (a waiting query). */
void queries_reply_holds(struct server *s, MDB_txn *rtxn, uint32_t shelter,
    nng_msg *msg);

/* The verbs (ops.h). */
void queries_status(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_shelter(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_regions(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_events_since(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
/* Up, and keeping up? Nothing stored, anyone may ask. */
void queries_ping(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void queries_holds(struct server *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
