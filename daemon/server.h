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

#include "authz.h"
#include "ops.h"
#include "config.h"
#include "history.h"
#include "http.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

/* What became of one occupancy update. */
struct update_result {
	struct op_result res;         /* its verdict */
	bool duplicate;               /* seq already applied */
	bool written;                 /* stored (once its txn commits) */
	uint32_t shelter;             /* registry index, when written */
	uint8_t over_occupied;        /* categories flagged */
};

/* One write of a batch: update k of items[item], or the whole request when
 * it holds no updates (placements, acks; k == 0). */
struct unit {
	uint32_t item, k;
};

/* One request of a loop turn's batch and what became of it. */
struct item {
	nng_msg *msg;                 /* header routes the reply back */
	Shelterd__V1__Request *req;   /* NULL when undecodable */
	const struct op *op;          /* its row; NULL when undecodable */
	struct op_result res;         /* the request as a whole */
	bool ready;                   /* decoded, authorized, checked */
	bool packed;                  /* the reply is in msg already */
	bool counted;                 /* its refusals are counted */
	/* Updates: one for an OccupancyUpdate, many for an OccupancyBatch. */
	const Shelterd__V1__OccupancyUpdate *const *updates;
	struct update_result *results;
	size_t n_updates;
	struct update_result one;
	struct alert_state alert;     /* ack_alert: the alert as now */
	struct placement_state *placement; /* place/answer/cancel result */
	struct identity who;          /* the verified signer */
};

/* A `shelter-report holds --wait` whose reply waits for a hold. */
struct waiter {
	nng_msg *msg;
	uint32_t shelter;             /* registry index */
	int64_t deadline_ms;          /* uv_now() time */
};

struct counters {
	uint64_t requests, batches, updates_applied, updates_duplicate;
	uint64_t refused[16];         /* by Code */
	uint64_t events_published;
	uint64_t commit_failures;
	uint64_t replies_dropped;     /* requester gone, or send buffer full */
};

/* Re-read the configuration (SIGHUP) into *out; 0 or -1 (logged). */
typedef int (*server_reload_fn)(struct config *out, void *arg);

struct server {
	struct config *cfg;
	server_reload_fn reload;
	void *reload_arg;
	const struct registry *reg;
	struct registry *reg_owned;   /* the last import's (import.c) */
	struct store *store;

	uv_loop_t *loop;
	uv_async_t wake;
	uv_signal_t sig_int, sig_term, sig_hup;
	uv_timer_t tick;              /* stale reports, re-escalation */

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
	struct unit *units;           /* a batch's writes, in order */
	size_t cap_units;
	nng_msg **pending_events;     /* built in the txn, sent after commit */
	size_t n_events, cap_events;
	uint64_t next_event_seq;      /* valid inside a write txn */

	/* Per registry shelter: when it becomes stale (unix seconds), 0 if
	 * it never reported or is stale already. Only finds candidates: the
	 * store decides. */
	int64_t *stale_at;

	int64_t next_hold_expiry;     /* earliest running hold; 0: none */
	struct waiter *waiters;
	size_t n_waiters, cap_waiters;
	uint8_t *new_hold;            /* per shelter: held in this txn */
	bool any_new_hold;

	struct counters stats;
	struct history hist;          /* retention progress (history.c) */
	struct http *http;            /* dashboard, /metrics (http.c) */
	struct auth *auth;            /* replay cache (auth.c) */
	int connections;              /* api pipes (nng threads: atomic) */
	uint64_t started_ns;          /* uv_hrtime() at server_init */
	uint64_t last_commit_ns;      /* uv_hrtime() of the last commit;
	                               * 0: none since start */
};

/* Requests received and not yet taken by the loop. */
size_t server_queued(struct server *s);

int server_init(struct server *s, struct config *cfg,
    const struct registry *reg, struct store *st);
/* Runs until SIGINT/SIGTERM; returns 0 on a clean stop. */
int server_run(struct server *s);
void server_deinit(struct server *s);
/* Apply n requests as one batch, as the loop does (fuzzing, tests). */
void server_process(struct server *s, nng_msg **msgs, size_t n);

/* server.c: holds queries that wait for a hold (queries.c, placements.c). */
/* Note that a shelter got a hold (answers waiting holds queries). */
void server_note_hold(struct server *s, uint32_t shelter);
/* Park a holds query until a hold on the shelter or wait_ms pass. */
bool server_wait_hold(struct server *s, nng_msg *msg, uint32_t shelter,
    uint32_t wait_ms);
bool server_url_is_local(const char *url);

/*
 * api.c: a request's way through its row of the request table (ops.h):
 * decode, authorize and check it, apply its writes, answer it.
 */
void api_decode(struct server *s, struct item *it);
/* Applied in the batch txn (OP_WRITE_BATCH or OP_WRITE_NESTED)? */
bool api_is_write(const struct item *it);
/* Release what api_decode allocated. */
void api_release(struct item *it);
/*
 * Apply one write of an item in the batch txn: update k, or the whole
 * request when it holds no updates. A refusal is the verdict of that update
 * or request and leaves no trace in txn. A nonzero STORE_E* return means
 * txn must be aborted: server.c then redoes the batch without this write
 * (api_fail_write) and everything else still commits.
 */
int api_apply(struct server *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now);
/* The txn that held the write committed: in-memory state follows. */
void api_applied(struct server *s, struct item *it, size_t k, int64_t now);
/* The write could not be stored even alone: store_err is its verdict. */
void api_fail_write(struct item *it, size_t k, int store_err);
/* Fill it->msg with the reply; rtxn is a read txn for queries (may be NULL
 * when the batch holds no query). */
void api_reply(struct server *s, MDB_txn *rtxn, struct item *it);
/* Pack reply into it->msg with the item's result as code and error. */
void api_pack(struct item *it, Shelterd__V1__Reply *reply);
/* Pack reply into msg as it is (replies made outside a batch). */
void api_pack_msg(nng_msg *msg, const Shelterd__V1__Reply *reply);

#endif
