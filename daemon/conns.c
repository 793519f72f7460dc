/*
 * conns.c — connection caps on nng sockets (conns.h). nng 1.5.2 tells of
 * the removal (REM_POST) of every pipe it announced (ADD_PRE), also of a
 * pipe the ADD_PRE callback closed, and never of a pipe's ADD_POST when it
 * was closed: counting on ADD_POST and uncounting on REM_POST let each
 * refused subscriber lower the count (2,710 live under a cap of 1,024).
 * Here only what was admitted is counted (core/admit.c).
 */
#include <sodium.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "admit.h"
#include "conns.h"
#include "log.h"

struct conns {
	uv_mutex_t lock;        /* guards what follows */
	struct admit *admit;    /* NULL once closed */
	const char *what;
	uint32_t max_total, max_per_peer;
	int64_t logged_at;      /* refusals are logged once a second */
	uint64_t refused, unlogged;
	bool in_use;            /* watching a socket */
	bool lock_made;
};

/* The api, the events socket and the dashboard's feed. Never freed: nng
 * may run a pipe callback after the socket's close returned; a slot is
 * used again only after conns_close() (a late removal then finds no such
 * pipe: nng's pipe ids are unique in the process). */
enum { MAX_WATCHED = 8 };
static struct conns watched[MAX_WATCHED];
static uv_once_t watched_once = UV_ONCE_INIT;
static uv_mutex_t watched_lock;

static void
make_watched_lock(void)
{
	REQUIRE(uv_mutex_init(&watched_lock) == 0);
}

static void
peer_of(nng_pipe p, uint8_t peer[ADMIT_PEER_BYTES], bool *per_peer)
{
	nng_sockaddr sa;

	memset(peer, 0, ADMIT_PEER_BYTES);
	*per_peer = false;
	if (nng_pipe_get_addr(p, NNG_OPT_REMADDR, &sa) != 0)
		return;
	if (sa.s_family == NNG_AF_INET) {
		admit_peer_v4((const uint8_t *)&sa.s_in.sa_addr, peer);
		*per_peer = true;
	} else if (sa.s_family == NNG_AF_INET6) {
		admit_peer_v6(sa.s_in6.sa_addr, peer);
		*per_peer = true;
	}
}

static void
on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	struct conns *c = arg;
	uint8_t peer[ADMIT_PEER_BYTES];
	bool per_peer, log_now = false;
	uint64_t unlogged = 0;
	int rc, n = 0;

	if (ev == NNG_PIPE_EV_REM_POST) {
		uv_mutex_lock(&c->lock);
		if (c->admit != NULL)
			admit_release(c->admit, (uint32_t)nng_pipe_id(p));
		uv_mutex_unlock(&c->lock);
		return;
	}
	peer_of(p, peer, &per_peer);
	uv_mutex_lock(&c->lock);
	rc = c->admit == NULL ? ADMIT_FULL :
	    admit_pipe(c->admit, (uint32_t)nng_pipe_id(p), peer, per_peer);
	if (rc != ADMIT_OK) {
		int64_t now = (int64_t)time(NULL);

		c->refused++;
		/* A flood must not turn into a flood of log lines. */
		if (now != c->logged_at) {
			c->logged_at = now;
			log_now = true;
			unlogged = c->unlogged;
			c->unlogged = 0;
		} else {
			c->unlogged++;
		}
		n = c->admit != NULL ? (int)admit_count(c->admit) : 0;
	}
	uv_mutex_unlock(&c->lock);
	if (rc == ADMIT_OK)
		return;
	if (log_now && rc == ADMIT_PEER_FULL)
		log_warn("%s refused: %u from its address already ([security] "
		    "max_connections_per_peer; %llu more refused in the last "
		    "second)", c->what, c->max_per_peer,
		    (unsigned long long)unlogged);
	else if (log_now)
		log_warn("%s refused: %d connected ([security] "
		    "max_connections; %llu more refused in the last second)",
		    c->what, n, (unsigned long long)unlogged);
	nng_pipe_close(p);
}

int
conns_watch(struct conns **out, nng_socket sock, const char *what,
    uint32_t max_total, uint32_t max_per_peer)
{
	uint8_t secret[16];
	struct conns *c;
	int rv;

	*out = NULL;
	uv_once(&watched_once, make_watched_lock);
	uv_mutex_lock(&watched_lock);
	for (c = watched; c < watched + MAX_WATCHED && c->in_use; c++)
		;
	if (c == watched + MAX_WATCHED) {
		uv_mutex_unlock(&watched_lock);
		log_err("cannot watch %s pipes: %d sockets watched already",
		    what, MAX_WATCHED);
		return -1;
	}
	c->in_use = true;
	if (!c->lock_made) {
		REQUIRE(uv_mutex_init(&c->lock) == 0);
		c->lock_made = true;
	}
	uv_mutex_unlock(&watched_lock);
	randombytes_buf(secret, sizeof(secret));
	uv_mutex_lock(&c->lock);
	c->admit = admit_new(max_total, max_per_peer, secret);
	uv_mutex_unlock(&c->lock);
	if (c->admit == NULL) {
		conns_close(c);
		return -1;
	}
	c->what = what;
	c->max_total = max_total;
	c->max_per_peer = max_per_peer;
	if ((rv = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, on_pipe,
	    c)) != 0 || (rv = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST,
	    on_pipe, c)) != 0) {
		log_err("cannot watch %s pipes: %s", what, nng_strerror(rv));
		return -1;
	}
	*out = c;
	return 0;
}

int
conns_count(struct conns *c)
{
	int n;

	if (c == NULL)
		return 0;
	uv_mutex_lock(&c->lock);
	n = c->admit != NULL ? (int)admit_count(c->admit) : 0;
	uv_mutex_unlock(&c->lock);
	return n;
}

void
conns_close(struct conns *c)
{
	if (c == NULL)
		return;
	uv_mutex_lock(&c->lock);
	admit_free(c->admit);
	c->admit = NULL;
	uv_mutex_unlock(&c->lock);
	uv_mutex_lock(&watched_lock);
	c->in_use = false;
	uv_mutex_unlock(&watched_lock);
}
