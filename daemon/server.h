/*
 * server.h — the daemon's one libuv loop: it owns the nng sockets (api =
 * raw rep0, events = pub0) and is the only LMDB writer.
 *
 * nng's threads only receive: each request is queued and the loop woken
 * (uv_async). The loop then takes every request that is ready as one batch:
 * decode and validate, apply all writes in ONE LMDB write transaction,
 * commit (synced), and only then send the replies and publish the events.
 * An ack therefore means "on disk".
 */
#ifndef SHELTERD_SERVER_H
#define SHELTERD_SERVER_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <uv.h>

#include "config.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

/* What became of one occupancy update. */
struct update_result {
	int code;                     /* SHELTERD__V1__CODE__* */
	bool duplicate;               /* seq already applied */
	uint8_t over_occupied;        /* categories flagged */
	char err[200];
};

/* One request of a loop turn's batch and what became of it. */
struct item {
	nng_msg *msg;                 /* header routes the reply back */
	Shelterd__V1__Request *req;   /* NULL when undecodable */
	int code;                     /* the request as a whole */
	char err[256];
	/* Updates: one for an OccupancyUpdate, many for an OccupancyBatch. */
	const Shelterd__V1__OccupancyUpdate *const *updates;
	struct update_result *results;
	size_t n_updates;
	struct update_result one;
};

struct counters {
	uint64_t requests, batches, updates_applied, updates_duplicate;
	uint64_t refused[16];         /* by Code */
	uint64_t events_published;
	uint64_t commit_failures;
};

struct server {
	const struct config *cfg;
	const struct registry *reg;
	struct store *store;

	uv_loop_t *loop;
	uv_async_t wake;
	uv_signal_t sig_int, sig_term;

	nng_socket api, events;
	nng_aio *recv_aio;

	/* Received, not yet handled: filled by nng's thread, drained by the
	 * loop. Bounded by cfg->queue_max: when full, receiving pauses (TCP
	 * back-pressure) until the loop catches up. */
	uv_mutex_t lock;
	nng_msg **queue;
	size_t q_head, q_len, q_cap;
	bool recv_paused;
	bool stopping;

	struct item *items;           /* batch_max of them */
	nng_msg **pending_events;     /* built in the txn, sent after commit */
	size_t n_events, cap_events;
	uint64_t next_event_seq;      /* valid inside a write txn */

	struct counters stats;
};

int server_init(struct server *s, const struct config *cfg,
    const struct registry *reg, struct store *st);
/* Runs until SIGINT/SIGTERM; returns 0 on a clean stop. */
int server_run(struct server *s);
void server_deinit(struct server *s);

/* api.c: what each request does. */
void api_decode(struct server *s, struct item *it);
bool api_is_write(const struct item *it);
/* The whole txn failed: every update of the item gets this error. */
void api_fail_updates(struct item *it, int store_err);
/* Release what api_decode allocated. */
void api_release(struct item *it);
/* Apply an item's updates inside the batch txn; an update that cannot be
 * written fails alone. */
void api_apply(struct server *s, MDB_txn *txn, struct item *it, int64_t now);
/* Fill it->msg with the reply; rtxn is a read txn for queries (may be NULL
 * when the batch holds no query). */
void api_reply(struct server *s, MDB_txn *rtxn, struct item *it);
/* Startup: rebuild aggregates from shelter states (the registry may have
 * changed) and re-evaluate region/national levels under the current
 * thresholds. */
int api_reconcile(struct server *s);
/* Send the events built by the last committed txn, or drop them. */
void api_publish_events(struct server *s);
void api_drop_events(struct server *s);

#endif
