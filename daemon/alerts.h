/*
 * alerts.h — the open alerts table: opened and closed by events,
 * acknowledged by the national coordinator, re-published while
 * unacknowledged. Owns the ack_alert and alerts verbs (ops.c).
 */
#ifndef SHELTERD_ALERTS_H
#define SHELTERD_ALERTS_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"
#include "store.h"

struct ctx;
struct item;

/* An event opens, changes or closes its alert, in txn: 0 or STORE_E*. */
int alerts_track(struct ctx *s, MDB_txn *txn, Shelterd__V1__Event *ev);
/* A placement request was placed or cancelled (state): its open alert,
 * if any, is closed by a cleared event. 0 or STORE_E*. */
int alerts_close_placement(struct ctx *s, MDB_txn *txn, const char *region,
    const char *request_id, int category, int state, int64_t now);
bool alerts_any_due(struct ctx *s, MDB_txn *rtxn, int64_t now);
int alerts_reescalate(struct ctx *s, MDB_txn *txn, int64_t now);
/* The store key of an alert: "kind/scope/region/shelter/category". */
void alert_key(int kind, int scope, const char *region, const char *shelter,
    int category, char *key, size_t len);

/* The verbs (ops.h). */
int alerts_op_ack(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now);
void alerts_op_reply_ack(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void alerts_op_list(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
