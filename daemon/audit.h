/*
 * audit.h — the tamper-evident audit log (docs/audit.md): every placement
 * step, alert acknowledgement, import and registry change, appended in
 * the txn that makes it, hash-chained, the head signed by the daemon's
 * own key. The chain itself is core/auditchain.c.
 */
#ifndef SHELTERD_DAUDIT_H
#define SHELTERD_DAUDIT_H

#include <lmdb.h>
#include <stdint.h>

#include "authz.h"
#include "ops.h"
#include "registry.h"
#include "store.h"
#include "shelterd.pb-c.h"

struct ctx;

/* Load [security] daemon_key (none: the head is unsigned, with a warning),
 * check the stored chain (a broken one is logged, not fatal: the daemon
 * still serves) and record a registry other than the last one seen.
 * 0, or -1 when the key file is unreadable or no key. */
int audit_init(struct ctx *s);
void audit_deinit(struct ctx *s);

/* A placement step (PlacementState) of p, by s->actor (NULL: the daemon's
 * own timers). */
int audit_placement(struct ctx *s, MDB_txn *txn,
    const struct placement_state *p, int step, int64_t now);
/* An alert acknowledged by who. */
int audit_alert_ack(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const struct alert_state *a, int64_t now);
/* A registry import by who: its source and counts (by enum reg_change);
 * next becomes the registry the log has seen. */
int audit_import(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const char *source, const struct registry *next,
    const uint32_t counts[4], int64_t now);
/* Reserve beds activated by who (daemon/reserves.c). */
/* A reserve activation, or its release (r->ended RESERVE_RELEASED). */
int audit_reserve(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const struct reserve_activation *r, int64_t now);
/* A shelter's answer to a reserve activation. */
int audit_reserve_answer(struct ctx *s, MDB_txn *txn,
    const struct identity *who, const struct reserve_activation *r,
    const struct reserve_answer *a, int64_t now);
/* A norms or reserves import by who: decision ("norms imported"), and
 * its source with how many rows of what ("capacity norms"). */
int audit_table_import(struct ctx *s, MDB_txn *txn,
    const struct identity *who, const char *decision, const char *rows,
    const char *source, size_t n, int64_t now);

/* The `audit` verb: entries from..to and a head signed for the last. */
/* An operator reset a shelter's seq (occupancy.c, reset_seq). */
int audit_seq_reset(struct ctx *s, MDB_txn *txn, const struct identity *who,
    const char *shelter_id, uint64_t previous_seq, int64_t now);
void audit_op_export(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
