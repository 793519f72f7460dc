/*
 * guard.c — the front of shelterd's TCP listeners (guard.h): caps,
 * timeouts and byte budgets that nng 1.5.2 does not have, on a thread and
 * libuv loop of its own, copying bytes between each peer and nng on
 * 127.0.0.1.
 */
#include "guard.h"

#include <netdb.h>
#include <signal.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "admit.h"
#include "log.h"
#include "util.h"

enum { GUARD_LISTENERS = 4, READ_CHUNK = 65536 };
/* A plain tcp:// api peer may have this many requests unanswered; past it
 * it is not read until replies went back (req/rep clients have one). */
enum { MAX_IN_FLIGHT = 64 };

struct glisten {
	struct guard *g;
	uv_tcp_t tcp;
	char what[24];
	int kind;                     /* enum guard_kind */
	struct sockaddr_in inner;     /* nng, on 127.0.0.1 */
	struct admit *admit;          /* loop thread only */
	uint32_t next_id;
	int64_t logged_at;            /* refusals: a log line a second */
	uint64_t unlogged;
	atomic_int held;
};

struct guard {
	uv_loop_t loop;
	uv_async_t stop;
	uv_thread_t thread;
	bool started;
	struct glisten l[GUARD_LISTENERS];
	size_t n;
	uint64_t queued;              /* bytes queued, all connections */
	struct gconn *conns;          /* every open connection */
	char buf[READ_CHUNK];         /* every read lands here first */
	/* [security] */
	uint32_t max_conns, max_per_peer, handshake_secs, idle_secs;
	uint32_t header_secs, header_bytes, drain_secs;
	uint64_t conn_buffer, total_buffer;
};

/* SP messages on a plain TCP stream: the 8-byte header, then frames of
 * an 8-byte big-endian length and the body. Counts whole messages. */
struct frames {
	uint8_t header_left;          /* of the SP header: 8 at first */
	uint8_t len_have;             /* bytes of the length so far */
	uint8_t len[8];
	uint64_t body_left;
	uint64_t count;
	uint64_t last_size;           /* of the last whole message */
};

/* One way of a connection: bytes read from `from`, written to `to`. */
struct way {
	uv_tcp_t *from, *to;
	bool eof;                     /* from sent EOF: to is shut down */
	bool paused;                  /* from is not read: back-pressure */
	size_t last_q;                /* to's queue at the last tick */
	uint64_t stuck_since;         /* ms: to's queue has not shrunk */
	struct frames f;              /* GUARD_SP_REQ: messages sent */
};

struct gconn {
	struct gconn *prev, *next;    /* the guard's, for closing at stop */
	struct glisten *l;
	uint32_t id;
	uv_tcp_t client, up;
	uv_timer_t timer;
	uv_connect_t connect;
	int open_handles;
	bool closing, up_connected, got_byte;
	uint64_t waiting_since;       /* ms: paused at MAX_IN_FLIGHT; 0 */
	/* GUARD_SP_REQ: the sizes of requests not answered yet, oldest
	 * first (a reply answers the oldest: near enough for a bound). */
	uint32_t sizes[MAX_IN_FLIGHT];
	unsigned oldest;
	uint64_t unanswered_bytes;
	struct way in, out;           /* client -> nng, nng -> client */
	uint64_t opened_ms, last_io_ms;
	/* HTTP: the request head being read, until a 101 makes it a
	 * websocket. */
	bool ws;
	uint64_t head_started_ms;     /* 0: between requests */
	size_t head_len;
	uint32_t tail;                /* its last four bytes */
	char peer[64];
};

struct wreq {
	uv_write_t req;
	struct gconn *c;
	struct way *w;
	size_t len;
	char data[];
};

static void conn_close(struct gconn *c, const char *why);
static void on_connection(uv_stream_t *server, int status);

/* ---- set-up (any thread, before guard_start) ------------------------ */

struct guard *
guard_new(const struct config *cfg)
{
	struct guard *g;

	if (!cfg->guard)
		return NULL;
	g = calloc(1, sizeof(*g));
	REQUIRE(g != NULL);
	REQUIRE(uv_loop_init(&g->loop) == 0);
	g->max_conns = cfg->max_connections;
	g->max_per_peer = cfg->max_connections_per_peer;
	g->handshake_secs = cfg->guard_handshake_secs;
	g->idle_secs = cfg->guard_idle_secs;
	g->header_secs = cfg->guard_header_secs;
	g->header_bytes = cfg->guard_header_bytes;
	g->drain_secs = cfg->guard_drain_secs;
	g->conn_buffer = cfg->guard_conn_buffer_bytes;
	g->total_buffer = cfg->guard_buffer_bytes;
	return g;
}

/* A port nobody listens on now, for nng's HTTP server (it cannot say
 * which port it bound to 0). 0 when none. */
static uint16_t
free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

bool
guard_wants(const struct guard *g, const char *url, char *inner, size_t len)
{
	static const char *const schemes[] = { "tcp://", "tls+tcp://",
		"http://" };

	if (g == NULL)
		return false;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		size_t n = strlen(schemes[i]);

		if (strncmp(url, schemes[i], n) != 0)
			continue;
		if (i < 2)
			snprintf(inner, len, "%s127.0.0.1:0", schemes[i]);
		else
			snprintf(inner, len, "http://127.0.0.1:%u",
			    free_port());
		return true;
	}
	return false;
}

int
guard_listen(struct guard *g, const char *what, const char *url,
    uint16_t inner_port, int kind)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	struct glisten *l;
	uint8_t secret[16];
	nng_url *u = NULL;
	int rv;

	if (g->n == GUARD_LISTENERS || inner_port == 0)
		return -1;
	l = &g->l[g->n];
	if ((rv = nng_url_parse(&u, url)) != 0) {
		log_err("guard: %s: %s", url, nng_strerror(rv));
		return -1;
	}
	rv = getaddrinfo(*u->u_hostname ? u->u_hostname : NULL, u->u_port,
	    &hints, &ai);
	nng_url_free(u);
	if (rv != 0) {
		log_err("guard: cannot resolve %s: %s", url, gai_strerror(rv));
		return -1;
	}
	l->g = g;
	l->kind = kind;
	util_copy(l->what, sizeof(l->what), what);
	uv_ip4_addr("127.0.0.1", inner_port, &l->inner);
	randombytes_buf(secret, sizeof(secret));
	l->admit = admit_new(g->max_conns, g->max_per_peer, secret);
	REQUIRE(l->admit != NULL);
	REQUIRE(uv_tcp_init(&g->loop, &l->tcp) == 0);
	l->tcp.data = l;
	g->n++;
	/* Listening now, so that a taken address fails the start; the
	 * backlog holds connections until the thread runs. */
	if ((rv = uv_tcp_bind(&l->tcp, ai->ai_addr, 0)) == 0)
		rv = uv_listen((uv_stream_t *)&l->tcp, 511, on_connection);
	freeaddrinfo(ai);
	if (rv != 0) {
		log_err("cannot listen for %s on %s: %s", what, url,
		    uv_strerror(rv));
		return -1;
	}
	return 0;
}

/* ---- copying -------------------------------------------------------- */

static uint64_t
now_ms(const struct gconn *c)
{
	return uv_now(&c->l->g->loop);
}

static void
on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct gconn *c = h->data;

	(void)hint;
	*buf = uv_buf_init(c->l->g->buf, sizeof(c->l->g->buf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* May w's source be read again? Its destination drained enough. */
static void
maybe_resume(struct gconn *c, struct way *w)
{
	struct guard *g = c->l->g;

	if (!w->paused || c->closing || (w == &c->in && c->waiting_since) ||
	    uv_stream_get_write_queue_size((uv_stream_t *)w->to) >
	    g->conn_buffer / 2 || g->queued > g->total_buffer / 2)
		return;
	w->paused = false;
	uv_read_start((uv_stream_t *)w->from, on_alloc, on_read);
}

static void
on_written(uv_write_t *req, int status)
{
	struct wreq *wr = (struct wreq *)req;
	struct gconn *c = wr->c;

	c->l->g->queued -= wr->len;
	if (status == 0) {
		c->last_io_ms = now_ms(c);
		maybe_resume(c, wr->w);
	}
	free(wr);
}

static void
on_shutdown(uv_shutdown_t *req, int status)
{
	(void)status;
	free(req);
}

/* Both ways ended: nothing more can move. */
static void
maybe_done(struct gconn *c)
{
	if (c->in.eof && c->out.eof)
		conn_close(c, NULL);
}

static int
forward(struct gconn *c, struct way *w, const char *data, size_t len)
{
	struct guard *g = c->l->g;
	struct wreq *wr = malloc(sizeof(*wr) + len);
	uv_buf_t b;

	REQUIRE(wr != NULL);
	wr->c = c;
	wr->w = w;
	wr->len = len;
	memcpy(wr->data, data, len);
	b = uv_buf_init(wr->data, (unsigned)len);
	if (uv_write(&wr->req, (uv_stream_t *)w->to, &b, 1, on_written)) {
		free(wr);
		return -1;
	}
	g->queued += len;
	/* Too much queued for one peer, or for all: stop reading the side
	 * that sends until the other drained. */
	if (uv_stream_get_write_queue_size((uv_stream_t *)w->to) >
	    g->conn_buffer || g->queued > g->total_buffer) {
		w->paused = true;
		uv_read_stop((uv_stream_t *)w->from);
	}
	return 0;
}

/* HTTP: the bytes of request heads. -1: one is too big. */
static int
scan_heads(struct gconn *c, const char *p, size_t n)
{
	struct guard *g = c->l->g;

	for (size_t i = 0; i < n; i++) {
		if (c->head_started_ms == 0) {
			c->head_started_ms = now_ms(c);
			c->head_len = 0;
			c->tail = 0;
		}
		c->tail = c->tail << 8 | (uint8_t)p[i];
		if (++c->head_len > g->header_bytes)
			return -1;
		if (c->tail == 0x0d0a0d0a || (c->tail & 0xffff) == 0x0a0a)
			c->head_started_ms = 0; /* complete */
	}
	return 0;
}

static void
on_refused(uv_shutdown_t *req, int status)
{
	struct gconn *c = req->data;

	(void)status;
	free(req);
	conn_close(c, NULL);
}

/* Answer 431 in place of the server, then close. */
static void
refuse_head(struct gconn *c)
{
	static const char text[] = "HTTP/1.1 431 Request Header Fields Too "
	    "Large\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
	uv_shutdown_t *sd = malloc(sizeof(*sd));

	REQUIRE(sd != NULL);
	log_warn("%s: %s sent a request head over %u bytes: refused",
	    c->l->what, c->peer, c->l->g->header_bytes);
	uv_read_stop((uv_stream_t *)&c->client);
	uv_read_stop((uv_stream_t *)&c->up);
	c->in.eof = c->out.eof = true;
	sd->data = c;
	if (forward(c, &c->out, text, sizeof(text) - 1) != 0 ||
	    uv_shutdown(sd, (uv_stream_t *)&c->client, on_refused) != 0) {
		free(sd);
		conn_close(c, NULL);
	}
}

/* Whole SP messages in these bytes (sp.h framing). */
static void
frames_add(struct frames *f, const uint8_t *p, size_t n)
{
	while (n > 0) {
		size_t k;

		if (f->header_left > 0) {
			k = n < f->header_left ? n : f->header_left;
			f->header_left -= (uint8_t)k;
		} else if (f->len_have < 8) {
			f->len[f->len_have++] = *p;
			k = 1;
			if (f->len_have == 8 &&
			    (f->body_left = util_get_be64(f->len)) == 0) {
				f->count++;
				f->last_size = 8;
				f->len_have = 0;
			}
		} else {
			k = n < f->body_left ? n : (size_t)f->body_left;
			if ((f->body_left -= k) == 0) {
				f->count++;
				f->last_size = 8 + util_get_be64(f->len);
				f->len_have = 0;
			}
		}
		p += k;
		n -= k;
	}
}

/*
 * A plain api peer's requests and nng's replies: a peer that sends more
 * than MAX_IN_FLIGHT requests ahead of its replies is not read until they
 * went back, so it cannot fill the daemon's queue ahead of everyone else.
 */
static void
count_frames(struct gconn *c, struct way *w, const char *p, size_t n)
{
	uint64_t before = w->f.count, ahead;

	frames_add(&w->f, (const uint8_t *)p, n);
	for (; before < w->f.count; before++) {
		ahead = c->in.f.count - c->out.f.count;
		if (w == &c->in && ahead <= MAX_IN_FLIGHT) {
			/* The size of the last one stands for each of those
			 * completed in this read: they are alike. */
			c->sizes[(c->oldest + ahead - 1) % MAX_IN_FLIGHT] =
			    (uint32_t)(w->f.last_size > UINT32_MAX ?
			    UINT32_MAX : w->f.last_size);
			c->unanswered_bytes += w->f.last_size;
		} else if (w == &c->out && c->unanswered_bytes > 0) {
			c->unanswered_bytes -= c->sizes[c->oldest] <
			    c->unanswered_bytes ? c->sizes[c->oldest] :
			    c->unanswered_bytes;
			c->oldest = (c->oldest + 1) % MAX_IN_FLIGHT;
		}
	}
	ahead = c->in.f.count > c->out.f.count ?
	    c->in.f.count - c->out.f.count : 0;
	/* Requests, or their bytes, ahead of the replies: the daemon's
	 * queue is everyone's. */
	if ((ahead >= MAX_IN_FLIGHT || c->unanswered_bytes >
	    c->l->g->conn_buffer) && !c->in.paused) {
		c->in.paused = true;
		c->waiting_since = now_ms(c);
		uv_read_stop((uv_stream_t *)&c->client);
	} else if (ahead < MAX_IN_FLIGHT / 2 && c->unanswered_bytes <=
	    c->l->g->conn_buffer / 2 && c->waiting_since != 0) {
		c->waiting_since = 0;
		maybe_resume(c, &c->in);
	}
}

static void
on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	struct gconn *c = s->data;
	struct way *w = s == (uv_stream_t *)&c->client ? &c->in : &c->out;
	uv_shutdown_t *sd;

	if (c->closing)
		return;
	if (n < 0) {
		if (n != UV_EOF) {
			conn_close(c, NULL);
			return;
		}
		/* Half-close: the other side gets its EOF after what is
		 * queued, and may still answer. */
		w->eof = true;
		uv_read_stop(s);
		sd = malloc(sizeof(*sd));
		REQUIRE(sd != NULL);
		if (uv_shutdown(sd, (uv_stream_t *)w->to, on_shutdown) != 0)
			free(sd);
		maybe_done(c);
		return;
	}
	if (n == 0)
		return;
	c->last_io_ms = now_ms(c);
	if (w == &c->in) {
		c->got_byte = true;
		if (c->l->kind == GUARD_HTTP && !c->ws &&
		    scan_heads(c, buf->base, (size_t)n) != 0) {
			refuse_head(c);
			return;
		}
	} else if (c->l->kind == GUARD_HTTP && !c->ws && n >= 13 &&
	    memcmp(buf->base, "HTTP/1.1 101 ", 13) == 0) {
		c->ws = true;  /* the dashboard's feed: frames, not heads */
		c->head_started_ms = 0;
	}
	if (forward(c, w, buf->base, (size_t)n) != 0) {
		conn_close(c, NULL);
		return;
	}
	if (c->l->kind == GUARD_SP_REQ)
		count_frames(c, w, buf->base, (size_t)n);
}

/* ---- a connection's life -------------------------------------------- */

/* Has w's destination not drained for drain_secs? */
static bool
stuck(struct gconn *c, struct way *w, uint64_t now)
{
	size_t q = uv_stream_get_write_queue_size((uv_stream_t *)w->to);

	if (q == 0 || q < w->last_q)
		w->stuck_since = now;
	w->last_q = q;
	return q > 0 && now - w->stuck_since >= c->l->g->drain_secs * 1000ull;
}

static void
on_tick(uv_timer_t *t)
{
	struct gconn *c = t->data;
	struct guard *g = c->l->g;
	uint64_t now = now_ms(c);
	char why[96];

	if (!c->got_byte && now - c->opened_ms >= g->handshake_secs * 1000ull)
		snprintf(why, sizeof(why), "sent nothing for %u s",
		    g->handshake_secs);
	else if (c->head_started_ms != 0 && now - c->head_started_ms >=
	    g->header_secs * 1000ull)
		snprintf(why, sizeof(why), "sent no whole request head in %u "
		    "s", g->header_secs);
	else if (c->waiting_since != 0 && now - c->waiting_since >=
	    g->drain_secs * 1000ull)
		snprintf(why, sizeof(why), "had %d requests unanswered for %u "
		    "s: it reads no replies", MAX_IN_FLIGHT, g->drain_secs);
	else if (now - c->last_io_ms >= g->idle_secs * 1000ull)
		snprintf(why, sizeof(why), "silent for %u s", g->idle_secs);
	else if (stuck(c, &c->out, now))
		snprintf(why, sizeof(why), "read none of its replies for %u "
		    "s", g->drain_secs);
	else if (stuck(c, &c->in, now))
		snprintf(why, sizeof(why), "shelterd took none of its bytes "
		    "for %u s", g->drain_secs);
	else {
		maybe_resume(c, &c->in);
		maybe_resume(c, &c->out);
		return;
	}
	conn_close(c, why);
}

static void
on_closed(uv_handle_t *h)
{
	struct gconn *c = h->data;

	if (--c->open_handles > 0)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		c->l->g->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	admit_release(c->l->admit, c->id);
	atomic_fetch_sub(&c->l->held, 1);
	free(c);
}

static void
conn_close(struct gconn *c, const char *why)
{
	if (c->closing)
		return;
	c->closing = true;
	if (why != NULL)
		log_info("%s: closed %s: it %s", c->l->what, c->peer, why);
	uv_close((uv_handle_t *)&c->timer, on_closed);
	uv_close((uv_handle_t *)&c->client, on_closed);
	uv_close((uv_handle_t *)&c->up, on_closed);
}

static void
on_up(uv_connect_t *req, int status)
{
	struct gconn *c = req->data;

	if (c->closing)
		return;
	if (status != 0) {
		log_warn("%s: cannot reach shelterd's own listener: %s",
		    c->l->what, uv_strerror(status));
		conn_close(c, NULL);
		return;
	}
	c->up_connected = true;
	uv_read_start((uv_stream_t *)&c->client, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&c->up, on_alloc, on_read);
}

static void
peer_of(struct gconn *c, uint8_t peer[ADMIT_PEER_BYTES])
{
	struct sockaddr_storage ss;
	int len = sizeof(ss);

	memset(peer, 0, ADMIT_PEER_BYTES);
	snprintf(c->peer, sizeof(c->peer), "a peer");
	if (uv_tcp_getpeername(&c->client, (struct sockaddr *)&ss, &len))
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		admit_peer_v4((const uint8_t *)&in->sin_addr, peer);
		uv_ip4_name(in, c->peer, sizeof(c->peer));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		admit_peer_v6(in6->sin6_addr.s6_addr, peer);
		uv_ip6_name(in6, c->peer, sizeof(c->peer));
	}
}

/* Over a cap: a log line a second, with how many were not logged. */
static void
log_refusal(struct glisten *l, int rc)
{
	int64_t now = (int64_t)time(NULL);

	if (now == l->logged_at) {
		l->unlogged++;
		return;
	}
	l->logged_at = now;
	if (rc == ADMIT_PEER_FULL)
		log_warn("%s connection refused: %u from its address already "
		    "([security] max_connections_per_peer; %llu more refused "
		    "in the last second)", l->what, l->g->max_per_peer,
		    (unsigned long long)l->unlogged);
	else
		log_warn("%s connection refused: %u connected ([security] "
		    "max_connections; %llu more refused in the last second)",
		    l->what, admit_count(l->admit),
		    (unsigned long long)l->unlogged);
	l->unlogged = 0;
}

static void
on_connection(uv_stream_t *server, int status)
{
	struct glisten *l = server->data;
	struct gconn *c;
	uint8_t peer[ADMIT_PEER_BYTES];
	int rc, sndbuf = l->g->conn_buffer < 262144 ?
	    (int)l->g->conn_buffer : 262144;

	if (status != 0)
		return;
	c = calloc(1, sizeof(*c));
	REQUIRE(c != NULL);
	c->l = l;
	c->id = ++l->next_id;
	c->open_handles = 3;
	c->next = l->g->conns;
	if (c->next != NULL)
		c->next->prev = c;
	l->g->conns = c;
	REQUIRE(uv_tcp_init(&l->g->loop, &c->client) == 0);
	REQUIRE(uv_tcp_init(&l->g->loop, &c->up) == 0);
	REQUIRE(uv_timer_init(&l->g->loop, &c->timer) == 0);
	c->client.data = c->up.data = c->timer.data = c;
	c->in = (struct way){ .from = &c->client, .to = &c->up,
		.f.header_left = 8 };
	c->out = (struct way){ .from = &c->up, .to = &c->client,
		.f.header_left = 8 };
	c->opened_ms = c->last_io_ms = now_ms(c);
	c->in.stuck_since = c->out.stuck_since = c->opened_ms;
	atomic_fetch_add(&l->held, 1);
	/* Counted by admit only once admitted: a refused one releases
	 * nothing (admit_release of an unknown id is a no-op). */
	if (uv_accept(server, (uv_stream_t *)&c->client) != 0) {
		conn_close(c, NULL);
		return;
	}
	peer_of(c, peer);
	if ((rc = admit_pipe(l->admit, c->id, peer, true)) != ADMIT_OK) {
		log_refusal(l, rc);
		conn_close(c, NULL);
		return;
	}
	uv_tcp_nodelay(&c->client, 1);
	uv_tcp_nodelay(&c->up, 1);
	/* The kernel's buffer toward a peer counts against it too: kept
	 * small, a peer that reads nothing is seen within drain_secs. */
	uv_send_buffer_size((uv_handle_t *)&c->client, &sndbuf);
	c->connect.data = c;
	if (uv_tcp_connect(&c->connect, &c->up,
	    (const struct sockaddr *)&l->inner, on_up) != 0) {
		conn_close(c, NULL);
		return;
	}
	uv_timer_start(&c->timer, on_tick, 1000, 1000);
}

/* ---- the thread ----------------------------------------------------- */

/* Close the listeners and every connection; the loop then ends. */
static void
close_all(struct guard *g)
{
	for (size_t i = 0; i < g->n; i++)
		if (!uv_is_closing((uv_handle_t *)&g->l[i].tcp))
			uv_close((uv_handle_t *)&g->l[i].tcp, NULL);
	for (struct gconn *c = g->conns; c != NULL; c = c->next)
		conn_close(c, NULL);
}

static void
on_stop(uv_async_t *a)
{
	struct guard *g = a->data;

	uv_close((uv_handle_t *)&g->stop, NULL);
	close_all(g);
}

static void
run(void *arg)
{
	struct guard *g = arg;

	uv_run(&g->loop, UV_RUN_DEFAULT);
}

int
guard_start(struct guard *g)
{
	if (g == NULL || g->n == 0)
		return 0;
	/* A write to a peer that has gone is an error to handle, not a
	 * signal that ends the daemon (libuv writes with write(2)). */
	signal(SIGPIPE, SIG_IGN);
	REQUIRE(uv_async_init(&g->loop, &g->stop, on_stop) == 0);
	g->stop.data = g;
	if (uv_thread_create(&g->thread, run, g) != 0)
		return -1;
	g->started = true;
	return 0;
}

int
guard_count(struct guard *g, const char *what)
{
	for (size_t i = 0; g != NULL && i < g->n; i++)
		if (strcmp(g->l[i].what, what) == 0)
			return atomic_load(&g->l[i].held);
	return -1;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	if (g->started) {
		uv_async_send(&g->stop);
		uv_thread_join(&g->thread);
	} else {
		close_all(g);
		uv_run(&g->loop, UV_RUN_DEFAULT);
	}
	REQUIRE(uv_loop_close(&g->loop) == 0);
	for (size_t i = 0; i < g->n; i++)
		admit_free(g->l[i].admit);
	free(g);
}
