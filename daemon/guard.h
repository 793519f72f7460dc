/*
 * guard.h — shelterd's own front for its TCP listeners (the api, the
 * events socket, the HTTP port), for what nng 1.5.2 cannot bound: it never
 * times out or counts a connection that does not start TLS, and its HTTP
 * server has no connection cap, header timeout or hook of any kind.
 *
 * The guard accepts on the configured address and copies bytes to nng,
 * which listens on 127.0.0.1 at a port of its own. Per connection it
 * enforces the caps (in total and per peer address, core/admit.h), a first
 * byte within handshake_secs, an HTTP request head within header_secs and
 * header_bytes, no silence longer than idle_secs, and at most
 * conn_buffer_bytes queued each way: past that it stops reading from the
 * side that sends (back-pressure), and a peer that does not drain what it
 * was sent within drain_secs is closed, so that nng closes its end too. The
 * queued bytes of all connections together stay under buffer_bytes.
 *
 * Threads: one of its own, with its own libuv loop; nothing of the
 * daemon's loop is touched.
 */
#ifndef SHELTERD_GUARD_H
#define SHELTERD_GUARD_H

#include <stdbool.h>
#include <stdint.h>

#include "config.h"

struct guard;

/* A guard for cfg's limits, not yet listening; NULL when cfg turns it off
 * ([security] guard = 0). */
struct guard *guard_new(const struct config *cfg);

/*
 * Should url (tcp://, tls+tcp://, http://) be guarded? If so, *inner is
 * where nng must listen instead (same scheme, 127.0.0.1, port 0 for SP
 * sockets; a free port for http, which nng cannot tell afterwards).
 * false: listen on url itself (ipc://, inproc://, guard off).
 */
bool guard_wants(const struct guard *g, const char *url, char *inner,
    size_t len);
/* What the guard reads of a listener's bytes. */
enum guard_kind {
	GUARD_BYTES,     /* nothing: TLS, or a subscriber */
	GUARD_SP_REQ,    /* plain SP requests: counts them against replies */
	GUARD_HTTP,      /* request heads: header_secs, header_bytes */
};
/*
 * Accept on url's host and port and copy to 127.0.0.1:inner_port. what
 * names it in the log ("api"). 0, or -1 (logged: the address is taken, or
 * not one the guard can bind).
 */
int guard_listen(struct guard *g, const char *what, const char *url,
    uint16_t inner_port, int kind);
/* Start the thread: 0 or -1. */
int guard_start(struct guard *g);
/* Connections held now on listener `what`'s side; -1 when unknown. */
int guard_count(struct guard *g, const char *what);
/* Stop the thread and close everything; NULL is fine. */
void guard_free(struct guard *g);

#endif
