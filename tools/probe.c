/*
 * probe — what this machine allows, measured the way shelterd uses it, so
 * that BENCHMARKS.md can state shelterd as a fraction of each limit:
 *
 *   probe nng   K requesters (req0 sockets, one request in flight each)
 *               against a trivial echo server (raw rep0, one receive aio
 *               that sends each message straight back, in a child
 *               process): the request/reply rate nng 1.5.2 gives with no
 *               work at all behind it.
 *   probe lmdb  B puts per write txn, every commit synced (LMDB's
 *               default, as the daemon opens it), in a fresh temp dir.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "benchlib.h"
#include "common.h"

#define PROG "probe"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: probe nng [OPTION]...\n"
	    "       probe lmdb [OPTION]...\n"
	    "Measure the limits shelterd works within on this machine.\n"
	    "\n"
	    "probe nng: request/reply round trips against a trivial echo "
	    "server\n(raw rep0, in a child process), one request in flight "
	    "per requester.\n"
	    "  -u, --url URL           where the echo server listens "
	    "(default\n"
	    "                          ipc://$TMPDIR/shelterd-probe-PID.sock;"
	    " use the\n"
	    "                          daemon's transport, e.g. "
	    "tcp://127.0.0.1:PORT)\n"
	    "  -c, --connections K     concurrent requesters, one socket "
	    "each (default 64)\n"
	    "  -z, --size BYTES        message size (default 100)\n"
	    "\n"
	    "probe lmdb: synced write transactions of B puts each.\n"
	    "  -b, --batch B           puts per commit (default 1000)\n"
	    "  -k, --keys N            distinct keys, each put picks one at "
	    "random, as\n"
	    "                          shelters report independently "
	    "(default 10000)\n"
	    "  -v, --value-size BYTES  value size (default %zu, a stored "
	    "shelter state)\n"
	    "  -t, --dir DIR           where the temp environment goes "
	    "(default $TMPDIR\n"
	    "                          or /tmp; put it on the daemon's "
	    "disk)\n"
	    "  -L, --like-daemon       B updates per commit, each writing "
	    "what the daemon\n"
	    "                          writes for a report: read and put "
	    "the shelter's\n"
	    "                          state, its region's and the national "
	    "aggregate,\n"
	    "                          and append history samples (and "
	    "events)\n"
	    "  -S, --samples X         history samples appended per update, "
	    "on average\n"
	    "                          (default 1.3: one per category a "
	    "report changes,\n"
	    "                          as counted in a loadgen batch "
	    "run)\n"
	    "  -E, --events-every N    an event log entry every N updates "
	    "(default 0:\n"
	    "                          none, as in a load without "
	    "escalations)\n"
	    "  -R, --regions N         regions the shelters are in "
	    "(default 25)\n"
	    "\n"
	    "Both:\n"
	    "  -d, --duration S        measured seconds (default 10)\n"
	    "  -w, --warmup S          seconds run first and not measured "
	    "(default 1)\n"
	    "  -j, --json              one JSON object instead of text\n"
	    "  -h, --help              print this help and exit\n"
	    "\n"
	    "Exit status: 0 measured, 1 the measurement failed, 2 bad "
	    "usage.\n", sizeof(struct shelter_state));
}

struct opts {
	const char *url, *dir;
	uint64_t connections, size, batch, keys, value_size;
	double duration, warmup;
	bool json;
	/* --like-daemon: per update the records the daemon writes. */
	bool like;
	double samples;
	uint64_t events_every, regions;
};

static cJSON *
lat_json(const struct hist *h)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "samples", (double)h->n);
	cJSON_AddNumberToObject(o, "p50_us", hist_pct(h, 50) / 1e3);
	cJSON_AddNumberToObject(o, "p99_us", hist_pct(h, 99) / 1e3);
	cJSON_AddNumberToObject(o, "p999_us", hist_pct(h, 99.9) / 1e3);
	cJSON_AddNumberToObject(o, "max_us", h->n ? h->max / 1e3 : 0);
	return o;
}

static void
lat_line(const char *what, const struct hist *h)
{
	printf("%-20s p50 %8.3f ms  p99 %8.3f ms  p99.9 %8.3f ms  max %8.3f "
	    "ms  (%" PRIu64 " samples)\n", what, hist_pct(h, 50) / 1e6,
	    hist_pct(h, 99) / 1e6, hist_pct(h, 99.9) / 1e6,
	    h->n ? h->max / 1e6 : 0.0, h->n);
}

static void
sleep_until(uint64_t t)
{
	uint64_t now = bench_now_ns();
	struct timespec ts;

	if (t <= now)
		return;
	ts.tv_sec = (time_t)((t - now) / 1000000000u);
	ts.tv_nsec = (long)((t - now) % 1000000000u);
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- nng: the echo server (child process) ---------------------------- */

static nng_socket echo_sock;
static nng_aio *echo_aio;

/*
 * The cheapest server nng allows: on its own thread, send each request
 * straight back (raw mode keeps the routing header) and receive the
 * next. The daemon does the same receive, plus a hand-off to its loop.
 */
static void
echo_cb(void *arg)
{
	nng_msg *msg;

	(void)arg;
	if (nng_aio_result(echo_aio) != 0)
		return;
	msg = nng_aio_get_msg(echo_aio);
	if (nng_sendmsg(echo_sock, msg, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(msg);
	nng_recv_aio(echo_sock, echo_aio);
}

/* Runs in the child: serve until the parent closes quit_fd. */
static int
echo_child(const char *url, int ready_fd, int quit_fd)
{
	char b;
	int rv;

	/*
	 * A raw rep0 send goes through the socket's write queue, which holds
	 * nothing by default: a non-blocking send then fails whenever nng's
	 * thread has not yet come back for the previous reply, and the reply
	 * is lost (measured: 4 requesters hang at once). Room for one reply
	 * per requester keeps every reply.
	 */
	if ((rv = nng_rep0_open_raw(&echo_sock)) != 0 ||
	    (rv = nng_socket_set_int(echo_sock, NNG_OPT_SENDBUF,
	    8192)) != 0 ||
	    (rv = nng_listen(echo_sock, url, NULL, 0)) != 0 ||
	    (rv = nng_aio_alloc(&echo_aio, echo_cb, NULL)) != 0) {
		dprintf(ready_fd, "%s", nng_strerror(rv));
		return 1;
	}
	nng_recv_aio(echo_sock, echo_aio);
	if (write(ready_fd, "", 1) != 1)
		return 1;
	for (;;) {
		ssize_t n = read(quit_fd, &b, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			break;
	}
	nng_aio_stop(echo_aio);
	client_close(echo_sock, 2000);
	nng_aio_free(echo_aio);
	return 0;
}

/* ---- nng: the requesters --------------------------------------------- */

struct req {
	nng_socket sock;
	nng_aio *aio;
	bool sending, counted;
	uint64_t sent_ns, t_start, t_end, done, errors, last_ns;
	size_t size;
	struct hist lat;
	char err[160];
	pthread_mutex_t *lock;
	pthread_cond_t *cv;
	unsigned *active;
};

static void
req_finish(struct req *q)
{
	pthread_mutex_lock(q->lock);
	if (--*q->active == 0)
		pthread_cond_signal(q->cv);
	pthread_mutex_unlock(q->lock);
}

static void
req_send(struct req *q)
{
	nng_msg *msg;
	uint64_t now = bench_now_ns();

	if (now >= q->t_end || nng_msg_alloc(&msg, q->size) != 0) {
		req_finish(q);
		return;
	}
	memset(nng_msg_body(msg), 'x', q->size);
	q->sent_ns = now;
	q->counted = now >= q->t_start;
	q->sending = true;
	nng_aio_set_msg(q->aio, msg);
	nng_send_aio(q->sock, q->aio);
}

static void
req_cb(void *arg)
{
	struct req *q = arg;
	int rv = nng_aio_result(q->aio);
	uint64_t now = bench_now_ns();

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		if (q->sending)
			nng_msg_free(nng_aio_get_msg(q->aio));
		req_finish(q);
		return;
	}
	if (q->sending) {
		q->sending = false;
		if (rv == 0) {
			nng_recv_aio(q->sock, q->aio);
			return;
		}
		nng_msg_free(nng_aio_get_msg(q->aio));
	} else if (rv == 0) {
		nng_msg *msg = nng_aio_get_msg(q->aio);

		if (q->counted) {
			if (nng_msg_len(msg) == q->size) {
				q->done++;
				hist_add(&q->lat, now - q->sent_ns);
				q->last_ns = now;
			} else {
				rv = NNG_EPROTO;
			}
		}
		nng_msg_free(msg);
	}
	if (rv != 0) {
		q->errors++;
		if (q->err[0] == '\0')
			snprintf(q->err, sizeof(q->err), "%s",
			    nng_strerror(rv));
	}
	req_send(q);
}

/* One probe nng run: the echo server child and the requesters. */
struct echo_run {
	const struct opts *o;
	char url[600];
	pid_t child;
	int ready[2], quit[2];
	struct req *qs;
	pthread_mutex_t lock;
	pthread_cond_t cv;
	unsigned active;
	uint64_t t_start, t_end;
	double cpu0, cpu1;
};

static void
probe_nng_url(const struct opts *o, char *url, size_t size)
{
	if (o->url != NULL) {
		snprintf(url, size, "%s", o->url);
	} else {
		const char *tmp = getenv("TMPDIR");

		snprintf(url, size, "ipc://%s/shelterd-probe-%ld.sock",
		    tmp && *tmp ? tmp : "/tmp", (long)getpid());
	}
}

/* Start the echo server and wait until it listens; 0, or 1 if it cannot. */
static int
probe_nng_start_echo(struct echo_run *e)
{
	char msg[200];
	int status;
	ssize_t n;

	/* The server is a process of its own, as the daemon is. Fork before
	 * nng starts any thread in this process. */
	if (pipe(e->ready) != 0 || pipe(e->quit) != 0) {
		perror(PROG ": pipe");
		return 1;
	}
	fflush(NULL);
	if ((e->child = fork()) < 0) {
		perror(PROG ": fork");
		return 1;
	}
	if (e->child == 0) {
		close(e->ready[0]);
		close(e->quit[1]);
		_exit(echo_child(e->url, e->ready[1], e->quit[0]));
	}
	close(e->ready[1]);
	close(e->quit[0]);
	if ((n = read(e->ready[0], msg, sizeof(msg) - 1)) != 1) {
		msg[n > 0 ? n : 0] = '\0';
		fprintf(stderr, PROG ": the echo server cannot listen on %s: "
		    "%s\n", e->url, n > 0 ? msg : "it died");
		close(e->quit[1]);
		waitpid(e->child, &status, 0);
		return 1;
	}
	return 0;
}

static int
probe_nng_open_requesters(struct echo_run *e)
{
	const struct opts *o = e->o;
	int rv;

	if ((e->qs = calloc(o->connections, sizeof(*e->qs))) == NULL)
		return -1;
	for (unsigned i = 0; i < o->connections; i++) {
		struct req *q = &e->qs[i];

		hist_init(&q->lat);
		q->size = o->size;
		q->lock = &e->lock;
		q->cv = &e->cv;
		q->active = &e->active;
		if ((rv = nng_req0_open(&q->sock)) != 0 ||
		    (rv = nng_aio_alloc(&q->aio, req_cb, q)) != 0 ||
		    (rv = nng_dial(q->sock, e->url, NULL, 0)) != 0) {
			fprintf(stderr, PROG ": requester %u on %s: %s\n", i,
			    e->url, nng_strerror(rv));
			return -1;
		}
		nng_aio_set_timeout(q->aio, 10000);
	}
	return 0;
}

/* Send from every requester through the warm-up and the measured span. */
static void
probe_nng_run(struct echo_run *e)
{
	const struct opts *o = e->o;
	uint64_t t0;

	t0 = bench_now_ns();
	e->t_start = t0 + (uint64_t)(o->warmup * 1e9);
	e->t_end = e->t_start + (uint64_t)(o->duration * 1e9);
	e->active = (unsigned)o->connections;
	for (unsigned i = 0; i < o->connections; i++) {
		e->qs[i].t_start = e->t_start;
		e->qs[i].t_end = e->t_end;
		req_send(&e->qs[i]);
	}
	sleep_until(e->t_start);
	e->cpu0 = bench_proc_cpu(e->child, false);
	sleep_until(e->t_end);
	pthread_mutex_lock(&e->lock);
	while (e->active > 0)
		pthread_cond_wait(&e->cv, &e->lock);
	pthread_mutex_unlock(&e->lock);
	e->cpu1 = bench_proc_cpu(e->child, false);
}

/* Print the requesters' figures; the exit status. */
static int
probe_nng_report(const struct echo_run *e)
{
	const struct opts *o = e->o;
	uint64_t last = e->t_end, done = 0, errors = 0;
	double cpu = e->cpu1 - e->cpu0, secs;
	const char *err = NULL;
	struct hist lat;
	int rc;

	hist_init(&lat);
	for (unsigned i = 0; i < o->connections; i++) {
		hist_merge(&lat, &e->qs[i].lat);
		done += e->qs[i].done;
		errors += e->qs[i].errors;
		if (e->qs[i].last_ns > last)
			last = e->qs[i].last_ns;
		if (err == NULL && e->qs[i].err[0])
			err = e->qs[i].err;
	}
	secs = (double)(last - e->t_start) / 1e9;
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "probe", "nng");
		cJSON_AddStringToObject(j, "url", e->url);
		cJSON_AddNumberToObject(j, "connections",
		    (double)o->connections);
		cJSON_AddNumberToObject(j, "size", (double)o->size);
		cJSON_AddNumberToObject(j, "seconds", secs);
		cJSON_AddNumberToObject(j, "round_trips", (double)done);
		cJSON_AddNumberToObject(j, "errors", (double)errors);
		cJSON_AddNumberToObject(j, "round_trips_per_s", done / secs);
		cJSON_AddItemToObject(j, "latency", lat_json(&lat));
		cJSON_AddNumberToObject(j, "server_cpu_s_per_1k",
		    done ? cpu * 1000 / done : 0);
		if (err != NULL)
			cJSON_AddStringToObject(j, "first_error", err);
		client_print_json(j);
	} else {
		printf("probe nng: echo on %s, %" PRIu64 " requesters, %"
		    PRIu64 "-byte messages, %.1f s measured\n", e->url,
		    o->connections, o->size, secs);
		printf("%-20s %" PRIu64 " (%.0f/s), %" PRIu64 " errors\n",
		    "round trips", done, done / secs, errors);
		lat_line("round trip", &lat);
		printf("%-20s %.4f s per 1,000 round trips\n",
		    "echo server CPU", done ? cpu * 1000 / done : 0);
		if (err != NULL)
			printf("%-20s %s\n", "first error", err);
	}
	rc = done > 0 && errors == 0 ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, PROG ": %" PRIu64 " round trips, %" PRIu64
		    " errors%s%s\n", done, errors, err ? "; first: " : "",
		    err ? err : "");
	return rc;
}

/* Close the requesters and stop the echo server; rc, or 1 if it failed. */
static int
probe_nng_stop(struct echo_run *e, int rc)
{
	int status;

	if (e->qs != NULL)
		for (unsigned i = 0; i < e->o->connections; i++) {
			if (e->qs[i].aio != NULL) {
				nng_aio_stop(e->qs[i].aio);
				nng_aio_free(e->qs[i].aio);
			}
			client_close(e->qs[i].sock, 2000);
		}
	free(e->qs);
	close(e->quit[1]);
	close(e->ready[0]);
	if (waitpid(e->child, &status, 0) == e->child &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 0)) {
		fprintf(stderr, PROG ": the echo server failed\n");
		rc = 1;
	}
	return rc;
}

static int
probe_nng(const struct opts *o)
{
	struct echo_run e = {
		.o = o,
		.lock = PTHREAD_MUTEX_INITIALIZER,
		.cv = PTHREAD_COND_INITIALIZER,
		.cpu0 = -1,
		.cpu1 = -1,
	};
	int rc = 1;

	probe_nng_url(o, e.url, sizeof(e.url));
	if (probe_nng_start_echo(&e) != 0)
		return 1;
	if (probe_nng_open_requesters(&e) == 0) {
		probe_nng_run(&e);
		rc = probe_nng_report(&e);
	}
	return probe_nng_stop(&e, rc);
}

/* ---- lmdb ------------------------------------------------------------ */

/* One probe lmdb run, in its own temp dir. */
struct lmdb_run {
	const struct opts *o;
	char dir[4096];
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	/* --like-daemon: the other tables an update writes to. */
	MDB_dbi regions, meta, samples, events;
	uint64_t sample_key, event_seq, updates;
	double sample_due;        /* --samples owed, the fraction carried */
	unsigned char *val;
	struct hist lat;          /* txn + commit, measured span only */
	uint64_t t_start, last, puts, commits;
	uint64_t updated;         /* updates (--like-daemon) or puts */
};

/* Open the store as the daemon does and write every key once. */
static int
probe_lmdb_fill(struct lmdb_run *r)
{
	const struct opts *o = r->o;
	MDB_val k, v;
	char key[32];
	int rc;

	/* The daemon's settings: 1 GiB map, default (synced) commits. */
	if ((rc = mdb_env_create(&r->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(r->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(r->env, (size_t)1 << 30)) != 0 ||
	    (rc = mdb_env_open(r->env, r->dir, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(r->env, NULL, 0, &r->txn)) != 0 ||
	    (rc = mdb_dbi_open(r->txn, "shelters", MDB_CREATE,
	    &r->dbi)) != 0)
		return rc;
	if (o->like && ((rc = mdb_dbi_open(r->txn, "regions", MDB_CREATE,
	    &r->regions)) != 0 ||
	    (rc = mdb_dbi_open(r->txn, "meta", MDB_CREATE, &r->meta)) != 0 ||
	    (rc = mdb_dbi_open(r->txn, "samples", MDB_CREATE,
	    &r->samples)) != 0 ||
	    (rc = mdb_dbi_open(r->txn, "events", MDB_CREATE,
	    &r->events)) != 0))
		return rc;
	for (uint64_t i = 0; o->like && i < o->regions; i++) {
		static unsigned char agg[sizeof(struct aggregate)];

		k.mv_size = (size_t)snprintf(key, sizeof(key), "R%02" PRIu64,
		    i);
		k.mv_data = key;
		v.mv_size = sizeof(agg);
		v.mv_data = agg;
		if ((rc = mdb_put(r->txn, r->regions, &k, &v, 0)) != 0)
			return rc;
		if (i == 0 && (rc = mdb_put(r->txn, r->meta, &(MDB_val){ 8,
		    "national" }, &v, 0)) != 0)
			return rc;
	}
	/* Every key exists first: the run overwrites, as the daemon does
	 * once shelters have reported. */
	for (uint64_t i = 0; i < o->keys; i++) {
		k.mv_size = (size_t)snprintf(key, sizeof(key), "SH-%06" PRIu64,
		    i);
		k.mv_data = key;
		v.mv_size = o->value_size;
		v.mv_data = r->val;
		if ((rc = mdb_put(r->txn, r->dbi, &k, &v, 0)) != 0)
			return rc;
	}
	rc = mdb_txn_commit(r->txn);
	r->txn = NULL;
	return rc;
}

/*
 * One report as the daemon stores it (daemon/occupancy.c,
 * occupancy_store): read the shelter's state, its region's and the
 * national aggregate; append the history samples (daemon/history.c, one
 * per changed category, 68 bytes under a 12-byte increasing key); put
 * the three back; now and then an event (daemon/events.c: a packed Event
 * under its 8-byte seq, and the next seq). Counts the puts in *puts;
 * returns 0 or an LMDB code.
 */
enum { PROBE_SAMPLE_BYTES = 68, PROBE_EVENT_BYTES = 96 };

static int
like_update(struct lmdb_run *r, uint64_t *rng, uint64_t *puts)
{
	const struct opts *o = r->o;
	static unsigned char sample[PROBE_SAMPLE_BYTES],
	    event[PROBE_EVENT_BYTES];
	unsigned char skey[12], ekey[8], agg[sizeof(struct aggregate)];
	char key[32], rkey[8];
	uint64_t i = bench_rand(rng) % o->keys;
	MDB_val k, v, rk, rv, nk = { 8, "national" }, nv;
	int rc;

	k.mv_size = (size_t)snprintf(key, sizeof(key), "SH-%06" PRIu64, i);
	k.mv_data = key;
	rk.mv_size = (size_t)snprintf(rkey, sizeof(rkey), "R%02" PRIu64,
	    i % o->regions);
	rk.mv_data = rkey;
	if ((rc = mdb_get(r->txn, r->dbi, &k, &v)) != 0 ||
	    (rc = mdb_get(r->txn, r->regions, &rk, &rv)) != 0 ||
	    (rc = mdb_get(r->txn, r->meta, &nk, &nv)) != 0)
		return rc;
	/* The values as read become the values written, changed. */
	memcpy(r->val, v.mv_data, v.mv_size < o->value_size ? v.mv_size :
	    o->value_size);
	r->val[0]++;
	memcpy(agg, rv.mv_data, sizeof(agg));
	agg[0]++;
	for (r->sample_due += o->samples; r->sample_due >= 1;
	    r->sample_due -= 1) {
		uint64_t n = r->sample_key++;

		for (int b = 0; b < 12; b++)
			skey[b] = b < 4 ? 0 : (unsigned char)(n >> (8 *
			    (11 - b)));
		if ((rc = mdb_put(r->txn, r->samples, &(MDB_val){ sizeof(skey),
		    skey }, &(MDB_val){ sizeof(sample), sample },
		    MDB_APPEND)) != 0)
			return rc;
		(*puts)++;
	}
	v.mv_size = o->value_size;
	v.mv_data = r->val;
	rv.mv_size = sizeof(agg);
	rv.mv_data = agg;
	if ((rc = mdb_put(r->txn, r->dbi, &k, &v, 0)) != 0 ||
	    (rc = mdb_put(r->txn, r->regions, &rk, &rv, 0)) != 0 ||
	    (rc = mdb_put(r->txn, r->meta, &nk, &rv, 0)) != 0)
		return rc;
	*puts += 3;
	if (o->events_every && ++r->updates % o->events_every == 0) {
		uint64_t seq = ++r->event_seq;

		for (int b = 0; b < 8; b++)
			ekey[b] = (unsigned char)(seq >> (8 * (7 - b)));
		if ((rc = mdb_put(r->txn, r->events, &(MDB_val){ 8, ekey },
		    &(MDB_val){ sizeof(event), event }, MDB_APPEND)) != 0 ||
		    (rc = mdb_put(r->txn, r->meta, &(MDB_val){ 14,
		    "next_event_seq" }, &(MDB_val){ 8, ekey }, 0)) != 0)
			return rc;
		*puts += 2;
	}
	return 0;
}

/* Commit batches of puts through the warm-up and the measured span. */
static int
probe_lmdb_run(struct lmdb_run *r)
{
	const struct opts *o = r->o;
	uint64_t rng = 0x9e3779b97f4a7c15ULL;
	uint64_t t0, t_end, t;
	MDB_val k, v;
	char key[32];
	int rc;

	hist_init(&r->lat);
	t0 = bench_now_ns();
	r->t_start = t0 + (uint64_t)(o->warmup * 1e9);
	t_end = r->t_start + (uint64_t)(o->duration * 1e9);
	r->last = r->t_start;
	while ((t = bench_now_ns()) < t_end) {
		uint64_t done;

		uint64_t puts = 0;

		if ((rc = mdb_txn_begin(r->env, NULL, 0, &r->txn)) != 0)
			return rc;
		for (uint64_t b = 0; o->like && b < o->batch; b++)
			if ((rc = like_update(r, &rng, &puts)) != 0)
				return rc;
		for (uint64_t b = 0; !o->like && b < o->batch; b++) {
			/* Random keys: a commit then dirties about as many
			 * leaf pages as the daemon's, whose reports come from
			 * shelters all over the key space. */
			k.mv_size = (size_t)snprintf(key, sizeof(key),
			    "SH-%06" PRIu64, bench_rand(&rng) % o->keys);
			k.mv_data = key;
			memcpy(r->val, &t, sizeof(t) < o->value_size ?
			    sizeof(t) : o->value_size);
			v.mv_size = o->value_size;
			v.mv_data = r->val;
			if ((rc = mdb_put(r->txn, r->dbi, &k, &v, 0)) != 0)
				return rc;
			puts++;
		}
		rc = mdb_txn_commit(r->txn);
		r->txn = NULL;
		if (rc != 0)
			return rc;
		done = bench_now_ns();
		if (t >= r->t_start) {
			hist_add(&r->lat, done - t);
			r->puts += puts;
			r->updated += o->batch;
			r->commits++;
			r->last = done;
		}
	}
	return 0;
}

static void
probe_lmdb_report(const struct lmdb_run *r)
{
	const struct opts *o = r->o;
	uint64_t puts = r->puts, commits = r->commits;
	double secs;

	secs = (double)(r->last - r->t_start) / 1e9;
	if (secs <= 0)
		secs = 1e-9;
	if (o->json) {
		cJSON *j = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "probe", "lmdb");
		cJSON_AddStringToObject(j, "dir", r->dir);
		cJSON_AddNumberToObject(j, "batch", (double)o->batch);
		cJSON_AddNumberToObject(j, "keys", (double)o->keys);
		cJSON_AddNumberToObject(j, "value_size",
		    (double)o->value_size);
		cJSON_AddNumberToObject(j, "seconds", secs);
		cJSON_AddNumberToObject(j, "puts", (double)puts);
		cJSON_AddNumberToObject(j, "commits", (double)commits);
		cJSON_AddNumberToObject(j, "puts_per_s", puts / secs);
		cJSON_AddBoolToObject(j, "like_daemon", o->like);
		cJSON_AddNumberToObject(j, "updates_per_s",
		    (double)r->updated / secs);
		if (o->like) {
			cJSON_AddNumberToObject(j, "samples_per_update",
			    o->samples);
			cJSON_AddNumberToObject(j, "events_every",
			    (double)o->events_every);
		}
		cJSON_AddNumberToObject(j, "commits_per_s", commits / secs);
		cJSON_AddItemToObject(j, "commit_latency",
		    lat_json(&r->lat));
		client_print_json(j);
	} else {
		printf("probe lmdb: %" PRIu64 " %s per synced commit, %"
		    PRIu64 " keys, %" PRIu64 "-byte values, in %s, %.1f s "
		    "measured\n", o->batch, o->like ? "updates" : "puts",
		    o->keys, o->value_size, r->dir, secs);
		printf("%-20s %" PRIu64 " (%.0f/s) in %" PRIu64 " commits "
		    "(%.0f/s)\n", "puts", puts, puts / secs, commits,
		    commits / secs);
		if (o->like)
			printf("%-20s %" PRIu64 " (%.0f/s), as the daemon "
			    "writes them (%.2f samples each)\n",
			    "updates", r->updated, r->updated / secs,
			    o->samples);
		lat_line("txn + commit", &r->lat);
	}
}

static int
probe_lmdb(const struct opts *o)
{
	const char *tmp = getenv("TMPDIR");
	struct lmdb_run r = { .o = o };
	char path[4200];
	int rc, ret = 1;

	snprintf(r.dir, sizeof(r.dir), "%s/shelterd-probe-XXXXXX",
	    o->dir ? o->dir : tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(r.dir) == NULL) {
		fprintf(stderr, PROG ": cannot create a temp dir %s: %s\n",
		    r.dir, strerror(errno));
		return 1;
	}
	if ((r.val = calloc(1, o->value_size)) != NULL) {
		if ((rc = probe_lmdb_fill(&r)) != 0 ||
		    (rc = probe_lmdb_run(&r)) != 0) {
			fprintf(stderr, PROG ": LMDB in %s: %s\n", r.dir,
			    mdb_strerror(rc));
		} else {
			probe_lmdb_report(&r);
			ret = r.puts > 0 ? 0 : 1;
		}
	}
	if (r.txn != NULL)
		mdb_txn_abort(r.txn);
	if (r.env != NULL)
		mdb_env_close(r.env);
	free(r.val);
	snprintf(path, sizeof(path), "%s/data.mdb", r.dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", r.dir);
	unlink(path);
	rmdir(r.dir);
	return ret;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "connections", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 'z' },
		{ "batch", required_argument, NULL, 'b' },
		{ "keys", required_argument, NULL, 'k' },
		{ "value-size", required_argument, NULL, 'v' },
		{ "dir", required_argument, NULL, 't' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "like-daemon", no_argument, NULL, 'L' },
		{ "samples", required_argument, NULL, 'S' },
		{ "events-every", required_argument, NULL, 'E' },
		{ "regions", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = {
		.samples = 1.3, .regions = 25,
		.connections = 64, .size = 100, .batch = 1000,
		.keys = 10000, .value_size = sizeof(struct shelter_state),
		.duration = 10, .warmup = 1,
	};
	const char *what;
	int ch, bad = 0;

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return 0;
	}
	if (argc < 2 || (strcmp(argv[1], "nng") != 0 &&
	    strcmp(argv[1], "lmdb") != 0)) {
		fprintf(stderr, PROG ": say what to measure: 'probe nng' or "
		    "'probe lmdb' (try '" PROG " --help')\n");
		return 2;
	}
	what = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "u:c:z:b:k:v:t:d:w:jhLS:E:R:",
	    opts, NULL)) != -1) {
		switch (ch) {
		case 'u':
			o.url = optarg;
			break;
		case 'c':
			bad |= bench_arg_u64(PROG, "--connections", optarg, 1,
			    4096, &o.connections);
			break;
		case 'z':
			bad |= bench_arg_u64(PROG, "--size", optarg, 1,
			    1 << 20, &o.size);
			break;
		case 'b':
			bad |= bench_arg_u64(PROG, "--batch", optarg, 1,
			    1000000, &o.batch);
			break;
		case 'k':
			bad |= bench_arg_u64(PROG, "--keys", optarg, 1,
			    10000000, &o.keys);
			break;
		case 'v':
			bad |= bench_arg_u64(PROG, "--value-size", optarg, 1,
			    4000, &o.value_size);
			break;
		case 't':
			o.dir = optarg;
			break;
		case 'd':
			bad |= bench_arg_secs(PROG, "--duration", optarg,
			    0.01, 86400, &o.duration);
			break;
		case 'w':
			bad |= bench_arg_secs(PROG, "--warmup", optarg, 0,
			    3600, &o.warmup);
			break;
		case 'j':
			o.json = true;
			break;
		case 'L':
			o.like = true;
			break;
		case 'S':
			bad |= bench_arg_secs(PROG, "--samples", optarg, 0,
			    CAT_COUNT, &o.samples);
			break;
		case 'E':
			bad |= bench_arg_u64(PROG, "--events-every", optarg,
			    0, 1000000, &o.events_every);
			break;
		case 'R':
			bad |= bench_arg_u64(PROG, "--regions", optarg, 1,
			    99, &o.regions);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (bad)
		return 2;
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
		    argv[optind]);
		return 2;
	}
	/* A requester whose peer vanished must not kill the probe. */
	signal(SIGPIPE, SIG_IGN);
	return strcmp(what, "nng") == 0 ? probe_nng(&o) : probe_lmdb(&o);
}
