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
#include "config.h"
#include "history.h"
#include "http.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

/* What became of one occupancy update. */
struct update_result {
	int code;                     /* SHELTERD__V1__CODE__* */
	bool duplicate;               /* seq already applied */
	bool written;                 /* stored (once its txn commits) */
	uint32_t shelter;             /* registry index, when written */
	uint8_t over_occupied;        /* categories flagged */
	char err[200];
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
	int code;                     /* the request as a whole */
	char err[256];
	/* Updates: one for an OccupancyUpdate, many for an OccupancyBatch. */
	const Shelterd__V1__OccupancyUpdate *const *updates;
	struct update_result *results;
	size_t n_updates;
	struct update_result one;
	bool is_write;                /* update, batch, ack, placement */
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
};

int server_init(struct server *s, struct config *cfg,
    const struct registry *reg, struct store *st);
/* Runs until SIGINT/SIGTERM; returns 0 on a clean stop. */
int server_run(struct server *s);
void server_deinit(struct server *s);
/* Apply n requests as one batch, as the loop does (fuzzing, tests). */
void server_process(struct server *s, nng_msg **msgs, size_t n);

/* api.c: what each request does. */
void api_decode(struct server *s, struct item *it);
bool api_is_write(const struct item *it);
/* The whole txn failed: every update of the item gets this error. */
void api_fail_updates(struct item *it, int store_err);
/* Release what api_decode allocated. */
void api_release(struct item *it);
/*
 * Apply one write of an item in the batch txn: update k, or the whole
 * request when it holds no updates. A refusal is the verdict of that update
 * or request and leaves no trace in txn. A nonzero STORE_* return means txn
 * must be aborted: server.c then redoes the batch without this write
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
/* Startup: rebuild aggregates from shelter states (the registry may have
 * changed) and re-evaluate region/national levels under the current
 * thresholds. */
int api_reconcile(struct server *s);
int api_reconcile_txn(struct server *s, MDB_txn *txn,
    const struct registry *reg, int64_t *stale_at, size_t *changed);

/* One shelter's registry entry and live state as a ShelterReply, which
 * points into f (so f must stay put until packed). */
struct shelter_fill {
	Shelterd__V1__ShelterReply sr;
	Shelterd__V1__BedCount beds[CAT_COUNT], *bp[CAT_COUNT];
	Shelterd__V1__BedCount planned[CAT_COUNT], *pp[CAT_COUNT];
	Shelterd__V1__Category cats[CAT_COUNT];
};
void api_fill_shelter(const struct server *s, const struct reg_shelter *sh,
    const struct shelter_state *st, struct shelter_fill *f);

/* import.c: export pages and registry imports (docs/registry.md). */
typedef void (*reply_pack_fn)(nng_msg *msg, const Shelterd__V1__Reply *r);
int export_page(struct server *s, MDB_txn *txn,
    const Shelterd__V1__ExportQuery *q, Shelterd__V1__Reply *reply,
    nng_msg *msg, reply_pack_fn pack);
void import_run(struct server *s, struct item *it, Shelterd__V1__Reply *reply,
    reply_pack_fn pack);
/* Free what imports replaced (server_deinit). */
void import_deinit(struct server *s);
/* Store a shelter's new state: aggregates, levels and events follow. */
int api_store_shelter(struct server *s, MDB_txn *txn,
    const struct reg_shelter *sh, struct shelter_state *stored,
    const struct shelter_state *next, int64_t now);
/* Note that a shelter got a hold (answers waiting holds queries). */
void server_note_hold(struct server *s, uint32_t shelter);
/* Park a holds query until a hold on the shelter or wait_ms pass. */
bool server_wait_hold(struct server *s, nng_msg *msg, uint32_t shelter,
    uint32_t wait_ms);
bool server_url_is_local(const char *url);
/* Pack the holds on a shelter as a reply into msg. */
void api_reply_holds(struct server *s, MDB_txn *rtxn, uint32_t shelter,
    nng_msg *msg);

/* auth.c: the signer of a request (docs/security.md). */
int auth_init(struct server *s);
void auth_deinit(struct server *s);
/* Decode a plain or signed request; 0 or a CODE with the reason in err. */
int auth_open(struct server *s, const uint8_t *buf, size_t len,
    Shelterd__V1__Request **req, struct identity *id, char *err,
    size_t errlen, int64_t now);

/* backup.c: copy the store into req->dir on a worker thread. 0 when *msg
 * was taken (NULLed; the reply follows once the copy is on disk), else a
 * CODE with the reason in err. */
int backup_start(struct server *s, nng_msg **msg,
    const Shelterd__V1__BackupRequest *req, char *err, size_t errlen);

/* placements.c */
/* 1 to 47 of A-Z a-z 0-9 - _ */
bool place_valid_id(const char *id);
int place_request(struct server *s, MDB_txn *txn,
    const Shelterd__V1__PlacementRequest *req, struct placement_state *p,
    char *err, size_t errlen, int64_t now);
int place_answer(struct server *s, MDB_txn *txn,
    const Shelterd__V1__PlacementAnswer *ans, struct placement_state *p,
    char *err, size_t errlen, int64_t now);
int place_cancel(struct server *s, MDB_txn *txn,
    const Shelterd__V1__PlacementCancel *c, const struct identity *who,
    struct placement_state *p, char *err, size_t errlen, int64_t now);
bool place_any_expired(const struct server *s, int64_t now);
int place_expire(struct server *s, MDB_txn *txn, int64_t now);
int place_init(struct server *s, MDB_txn *txn);
void place_fill(struct placement_state *p, Shelterd__V1__Placement *out,
    char **exclude, bool disclose);
/* Open and recent placements, or (shelter != NULL) holds on a shelter;
 * packs into msg unless msg is NULL. */
int place_list(struct server *s, MDB_txn *txn, const char *shelter,
    const char *region,
    Shelterd__V1__Reply *reply, nng_msg *msg, size_t *count,
    void (*pack)(nng_msg *, const Shelterd__V1__Reply *));

/* The reporting deadline of a registry shelter, in seconds. */
int64_t api_deadline(const struct server *s, const struct reg_shelter *sh);
/* Mark shelters whose deadline passed as stale, in txn. */
bool api_stale_any_due(const struct server *s, int64_t now);
int api_stale_sweep(struct server *s, MDB_txn *txn, int64_t now);

/* events.c: number, log (in txn) and later publish events. */
struct esc_transition;
int events_emit(struct server *s, MDB_txn *txn, Shelterd__V1__Event *ev,
    int64_t now);
int events_emit_transition(struct server *s, MDB_txn *txn,
    const struct esc_transition *tr, const char *region_id,
    const char *shelter_id, int64_t now);
/* Forget events built since the count was `from` (their txn aborted). */
void events_drop_from(struct server *s, size_t from);
/* Send the events of the txn that just committed. */
void events_publish(struct server *s);

/* alerts.c: the open alerts table. */
int alerts_track(struct server *s, MDB_txn *txn, Shelterd__V1__Event *ev);
/* 0, a positive CODE, or a negative STORE_* error. */
int alerts_ack(struct server *s, MDB_txn *txn,
    const Shelterd__V1__AckAlert *req, struct alert_state *out, char *err,
    size_t errlen, int64_t now);
bool alerts_any_due(struct server *s, MDB_txn *rtxn, int64_t now);
int alerts_reescalate(struct server *s, MDB_txn *txn, int64_t now);
void alerts_fill_reply(struct alert_state *a, Shelterd__V1__Alert *out);
/* The store key of an alert: "kind/scope/region/shelter/category". */
void alert_key(int kind, int scope, const char *region, const char *shelter,
    int category, char *key, size_t len);
int alerts_list(struct server *s, MDB_txn *txn, Shelterd__V1__Reply *reply,
    nng_msg *msg, void (*pack)(nng_msg *, const Shelterd__V1__Reply *));

#endif
