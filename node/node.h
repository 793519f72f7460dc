/*
 * node.h — shelter-node: a regional node between a region's shelters and
 * the national shelterd (docs/node.md).
 *
 * Like shelterd it is one libuv loop that owns its sockets and is the only
 * writer of its own LMDB. Shelters report to its api (raw rep0, the same
 * contract); each accepted report is committed to an outbox before it is
 * acknowledged. Two worker threads do nothing but blocking nng calls to the
 * national daemon (client_call, which dials, signs and does TLS exactly
 * like the CLIs): one forwards outbox batches, one fetches missed events.
 * Their answers come back to the loop through uv_async, and only the loop
 * writes.
 */
#ifndef SHELTERD_NODE_H
#define SHELTERD_NODE_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "nstore.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "validate.h"

enum {
	NODE_BATCH_MAX = 1000,   /* updates per forwarded OccupancyBatch */
	NODE_TURN_MAX = 1024,    /* requests handled per loop turn */
	NODE_MSG_MAX = 256 * 1024,
};

struct node_config {
	const char *api_url, *events_url;
	const char *upstream_url, *upstream_events_url;
	const char *data_dir, *registry_dir, *region_id, *key_file;
	uint64_t map_bytes;
	uint32_t call_timeout_ms;   /* one upstream call */
	uint32_t retry_ms;          /* after a failed upstream call */
	uint32_t poll_ms;           /* events_since poll while idle */
	uint32_t report_secs;       /* backlog log line interval */
};

/* One blocking upstream call at a time, on its own thread. */
struct caller {
	struct node *n;
	const char *url;
	uv_thread_t thread;
	uv_mutex_t lock;
	uv_cond_t cond;
	uv_async_t done;            /* wakes the loop with the answer */
	void (*on_done)(struct caller *c);
	/* Under lock: */
	Shelterd__V1__Request *req; /* to send (owned by the loop) */
	bool busy, finished, quit;
	Shelterd__V1__Reply *reply; /* answer, or NULL with err */
	int rc;
	char err[512];
};

/* The outbox entries of the batch in flight. */
struct fwd_entry {
	uint64_t fwd_seq;
	Shelterd__V1__OccupancyUpdate *u;
};

struct node_stats {
	uint64_t accepted, duplicates, refused;
	uint64_t forwarded, fwd_dropped, events_stored;
};

struct node {
	struct node_config *cfg;
	const struct registry *reg;
	int region;                  /* registry index of our region */
	struct validate_limits limits;

	struct nstore st;
	uint64_t next_fwd;           /* next outbox key */
	uint64_t up_seq;             /* national event_seq handled up to */

	uv_loop_t *loop;
	uv_async_t wake;             /* api requests or live events queued */
	uv_signal_t sig_int, sig_term;
	uv_timer_t tick;
	bool stopping;

	nng_socket api, pub, sub;
	nng_aio *api_aio, *sub_aio;
	uv_mutex_t lock;             /* guards the two queues */
	nng_msg **q;                 /* api requests */
	size_t q_len, q_cap;
	nng_msg **evq;               /* live national events */
	size_t evq_len, evq_cap;
	bool api_paused;

	struct caller fwd, evc;
	struct fwd_entry *inflight;
	size_t n_inflight;
	/* The requests the callers send: built by the loop, read by the
	 * worker thread while busy. */
	Shelterd__V1__Request fwd_req, ev_req;
	Shelterd__V1__OccupancyBatch fwd_batch;
	Shelterd__V1__OccupancyUpdate **fwd_ups;
	Shelterd__V1__EventsSince ev_since;
	uint64_t fwd_retry_at;       /* uv_now() ms; 0: now */
	bool fwd_kick;               /* forward (and fetch) on next wake */
	int64_t last_report;         /* last backlog log line */
	int64_t down_since;          /* upstream failing since; 0: ok */

	uint64_t ev_max_seen;        /* newest live national event_seq */
	uint64_t ev_next_poll;       /* uv_now() ms */

	struct node_stats stats;
};

int node_init(struct node *n, struct node_config *cfg,
    const struct registry *reg);
int node_run(struct node *n);
void node_deinit(struct node *n);

/* `shelter-node --status`: print the outbox state of a data dir (read-only
 * LMDB: works while the node runs). Returns an exit status. */
int node_print_status(const struct node_config *cfg);

#endif
