/*
 * events.h — number, log and publish escalation events. An event is
 * written to the event log in the txn that causes it and published only
 * once that txn committed (docs/architecture.md).
 */
#ifndef SHELTERD_EVENTS_H
#define SHELTERD_EVENTS_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"

struct ctx;
struct esc_transition;
struct subject;

/* What ev is about, for core/disclose.c. */
void event_subject(const Shelterd__V1__Event *ev, struct subject *sub);

/* Number ev, log it in txn and queue it for publishing: 0 or STORE_E*. */
int events_emit(struct ctx *s, MDB_txn *txn, Shelterd__V1__Event *ev,
    int64_t now);
int events_emit_transition(struct ctx *s, MDB_txn *txn,
    const struct esc_transition *tr, const char *region_id,
    const char *shelter_id, int64_t now);
/* Forget events built since the count was `from` (their txn aborted). */
void events_drop_from(struct ctx *s, size_t from);
/* Send the events of the txn that just committed. */
void events_publish(struct ctx *s);
/* Publish a heartbeat if one is due at now_ms (uv_now()): not logged. */
void events_heartbeat(struct ctx *s, uint64_t now_ms);

#endif
