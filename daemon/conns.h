/*
 * conns.h — the connections a socket admits: at most max_total at once and
 * at most max_per_peer from one peer address (core/admit.h), counted from
 * admission to removal. A pipe over the caps is closed as nng announces it
 * (NNG_PIPE_EV_ADD_PRE), before it can send or receive anything.
 *
 * Threads: the callbacks run on nng's threads; conns_count() on any.
 */
#ifndef SHELTERD_CONNS_H
#define SHELTERD_CONNS_H

#include <nng/nng.h>
#include <stdint.h>

struct conns;

/*
 * Admit sock's pipes from now on; call it before the socket listens.
 * what names them in the log ("api connection"). max_per_peer 0: no cap
 * per peer (ipc:// peers have no address and get none). 0, or -1 (out of
 * memory, or more watched sockets than the daemon has).
 */
int conns_watch(struct conns **out, nng_socket sock, const char *what,
    uint32_t max_total, uint32_t max_per_peer);
/* Connections admitted now; 0 for NULL. */
int conns_count(struct conns *c);
/* After the socket closed: frees the tables. A late callback finds it
 * closed (the struct itself lives as long as the process). NULL is fine. */
void conns_close(struct conns *c);

#endif
