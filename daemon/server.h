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
#include "ctx.h"
#include "ops.h"
#include "registry.h"
#include "store.h"

/* One write of a batch: update k of items[item], or the whole request when
 * it holds no updates (placements, acks; k == 0). */
struct unit {
	uint32_t item, k;
};

/* Re-read the configuration (SIGHUP) into *out; 0 or -1 (logged). */
typedef int (*server_reload_fn)(struct config *out, void *arg);

/* Where a write batch's time goes, for the latency of an alarm: queue
 * wait, apply, commit, replies, publish (server.c). Histograms of µs with
 * 4 buckets per power of two; logged when the daemon stops. */
enum { STAGE_COUNT = 5, STAGE_BUCKETS = 4 * 32 };

struct server {
	struct ctx c;                 /* what the modules below share */
	server_reload_fn reload;
	void *reload_arg;
	struct registry *reg_owned;   /* the last import's */

	uv_async_t wake;
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t tick;              /* stale reports, re-escalation */

	nng_aio *recv_aio;

	/* Received, not yet handled: filled by nng's thread, drained by the
	 * loop. Bounded by cfg->queue_max: when full, receiving pauses (TCP
	 * back-pressure) until the loop catches up. */
	uv_mutex_t lock;
	nng_msg **queue;
	uint64_t *q_ns;               /* uv_hrtime() each one arrived */
	size_t q_head, q_len, q_cap;
	uint64_t batch_recv_ns;       /* arrival of a batch's first */
	uint32_t stages[STAGE_COUNT][STAGE_BUCKETS];
	bool recv_paused;
	bool stopping;

	struct item *items;           /* batch_max of them */
	struct unit *units;           /* a batch's writes, in order */
	size_t cap_units;
	struct conns *api_conns;      /* admitted api pipes (conns.h) */
	struct conns *sub_conns;      /* admitted subscribers */
	struct guard *guard;          /* the TCP listeners' front */
};

int server_init(struct server *s, struct config *cfg,
    const struct registry *reg, struct store *st);
/* Rebuild aggregates and levels from the shelter states, and find the
 * earliest running hold (start, SIGHUP, after a failed housekeeping txn):
 * 0 or STORE_E*. */
int server_reconcile(struct server *s);
/* Runs until SIGINT/SIGTERM; returns 0 on a clean stop. */
int server_run(struct server *s);
void server_deinit(struct server *s);
/* Apply n requests as one batch, as the loop does (fuzzing, tests). */
void server_process(struct server *s, nng_msg **msgs, size_t n);

#endif
