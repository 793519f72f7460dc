/*
 * ctx.h — what the loop's modules share: the configuration, the registry,
 * the store, the events built in the current txn, the per-shelter marks
 * and the counters. Every verb (ops.h) and every module below the loop
 * takes a struct ctx, never the loop itself (struct server, server.h):
 * they cannot reach its queue, sockets, signals or timers, and so no module
 * calls back up into server.c.
 *
 * Only the loop thread touches a ctx, except where a field says otherwise.
 */
#ifndef SHELTERD_CTX_H
#define SHELTERD_CTX_H

#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "disclose.h"
#include "registry.h"
#include "store.h"

struct http;
struct auth;
struct audit;
struct identity;
struct place_index;

struct counters {
	uint64_t requests, batches, updates_applied, updates_duplicate;
	uint64_t refused[16];         /* by Code */
	uint64_t events_published;
	uint64_t commit_failures;
	uint64_t replies_dropped;     /* requester gone, or send buffer full */
};

/* Retention progress of the history (history.c). */
struct history {
	int64_t next_purge_at;
	int64_t case_ref_done;  /* place_log before this holds no case_ref */
	unsigned more;          /* bit per purge step that ran out of budget */
	int64_t checkpoint_day; /* UTC day of the last checkpoint; 0: none */
	bool key_known;         /* last_at and last_n read from the log */
	int64_t last_at;        /* the newest sample key */
	uint32_t last_n;
};

/* A `shelter-report holds --wait` whose reply waits for a hold, or an
 * events_since long poll that waits for an event its signer may see
 * (queries.c). */
struct waiter {
	nng_msg *msg;
	int64_t deadline_ms;          /* uv_now() time */
	bool events;                  /* events_since, else holds */
	uint32_t shelter;             /* holds: registry index */
	struct identity who;          /* events: the signer */
	uint64_t after_seq;           /* events: read up to here */
	uint32_t limit;
};

struct ctx {
	struct config *cfg;
	const struct registry *reg;
	/* Which cells and events public surfaces may show, for reg
	 * (core/disclose.h): rebuilt with it. */
	struct disclosure *disc;
	struct store *store;
	uv_loop_t *loop;              /* for work on the thread pool */
	nng_socket api;               /* replies that come later (deferred) */
	nng_socket events;            /* pub0: sent after each commit */

	/* Events of the current write txn: built and logged in it, sent
	 * after it commits (events.c). */
	struct pending_event {
		nng_msg *msg;
		bool public;          /* for the broadcast (disclose.h) */
	} *pending_events;
	size_t n_events, cap_events;
	bool any_new_event;           /* since parked events_since ran */
	uint64_t next_event_seq;      /* valid inside a write txn */
	uint64_t next_heartbeat_ms;   /* uv_now() of the next heartbeat */

	/* Per registry shelter: when it becomes stale (unix seconds), 0 if
	 * it never reported or is stale already. Only finds candidates: the
	 * store decides. */
	int64_t *stale_at;

	int64_t next_hold_expiry;     /* earliest running hold; 0: none */
	/* Reserve beds declared by report, per shelter of resv_reg
	 * (occupancy_reserves): rebuilt when it is not reg. An import
	 * clears resv_reg, so that a new registry at a freed one's address
	 * is not taken for it. */
	struct reserve_overlay resv;
	const struct registry *resv_reg;
	/* Earliest `until` of an open reserve activation; 0: none. */
	int64_t next_reserve_expiry;
	/* Free beds by category, region and security level, for ranking
	 * placements; follows every shelter state written, including
	 * those of the txn in progress (placements.c). */
	struct place_index *pidx;
	uint8_t *new_hold;            /* per shelter: held in this turn */
	bool any_new_hold;
	struct waiter *waiters;       /* parked holds queries (queries.c) */
	size_t n_waiters, cap_waiters;

	/* An import committed in this batch: the loop switches to it once
	 * the batch is answered (import.c, server.c). */
	struct registry *next_reg;
	int64_t *next_stale_at;

	struct counters stats;
	struct history hist;
	int64_t plan_next_check;      /* planning.c: next evaluation */
	struct http *http;            /* dashboard, /metrics (http.c) */
	struct auth *auth;            /* replay cache (auth.c) */
	struct audit *audit;          /* the daemon's key (audit.c) */
	/* Who makes the write being applied (api.c sets it around each
	 * apply); NULL: the daemon itself (expiry, timers). */
	const struct identity *actor;

	/* For ping: set by the loop between batches. */
	size_t queued;                /* requests waiting when it took this
	                               * batch */
	uint64_t started_ns;          /* uv_hrtime() at start */
	uint64_t last_commit_ns;      /* of the last commit; 0: none */
};

/* A shelter got a hold in this turn: its waiting holds queries are
 * answered once the txn committed. */
static inline void
ctx_note_hold(struct ctx *c, uint32_t shelter)
{
	c->new_hold[shelter] = 1;
	c->any_new_hold = true;
}

#endif
