/*
 * http.h — the coordinator's dashboard, its JSON reads and /metrics, on
 * nng's HTTP server ([daemon] http_url; see docs/dashboard.md).
 *
 * Threads: nng's HTTP handlers run on nng's threads. They read the store
 * with their own read txn (the environment is MDB_NOTLS) and the registry
 * (immutable after start), never a field of struct server: what the loop
 * owns reaches them only as a snapshot, copied under a mutex by
 * http_note_batch() on the loop thread.
 */
#ifndef SHELTERD_HTTP_H
#define SHELTERD_HTTP_H

#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "registry.h"
#include "store.h"

struct http;
struct counters;
struct disclosure;
struct conns;

/*
 * Serve cfg->http_url (on `serve`, which is cfg->http_url itself or, behind
 * the guard, 127.0.0.1 at a port of its own): the page, /api/...,
 * /metrics, and a ws:// feed at /events on the same port. *out is NULL
 * when http_url is empty
 * (disabled). subscribers: the events socket's, for /metrics.
 * 0, or -1 (logged). reg and st must outlive http_deinit().
 */
int http_init(struct http **out, const struct config *cfg, const char *serve,
    const struct registry *reg, struct store *st, struct conns *subscribers);
/* Stop serving and wait for handlers in progress; NULL is fine. Call it
 * before the store closes. */
void http_deinit(struct http *h);
/* At start, and when an import replaced the registry (on the loop thread):
 * the registry and what public views may show of it (core/disclose.h).
 * Waits for the handlers reading the old ones. h may be NULL. */
void http_set_registry(struct http *h, const struct registry *reg,
    const struct disclosure *disc);
/* SIGHUP changed [reporting] deadline_secs (loop thread); h may be NULL. */
void http_set_deadline(struct http *h, uint32_t deadline_secs);

/* Loop thread, after a batch (requests > 0, commit_ns 0 when nothing was
 * committed) or on a tick (requests == 0): copy the counters for /metrics.
 * NULL h is a no-op. */
void http_note_batch(struct http *h, const struct counters *c,
    size_t requests, uint64_t commit_ns);
/* Loop thread: an event ("topic\0Event") that committed and is about to be
 * published. Counts it and, when it is public (core/disclose.h), sends a
 * copy of it to the dashboard feed. msg stays the caller's. NULL h is a
 * no-op. */
void http_note_event(struct http *h, nng_msg *msg, bool public);

#endif
