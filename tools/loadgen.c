/*
 * loadgen — many shelters reporting to shelterd at once, and what it cost.
 *
 * K connections (one req0 socket each, so K pipes as K shelters' clients
 * or gateways would have) each keep one request in flight with an nng_aio
 * state machine: no thread per connection, and the callbacks run on nng's
 * own threads. Each connection owns the shelters i with i % K == its
 * number, so a shelter never has two reports in flight and its seq order
 * is the order the daemon sees.
 *
 * Escalation latency: every --escalate-every'th report of a connection
 * fills its shelter's first category; the next report of that shelter
 * frees a bed again. The send time of each such report is kept per shelter
 * (one slot for "full", one for "cleared"), and the subscribers match the
 * shelter-scope events by shelter id and level. Background reports stay
 * below full, so every event is one we drove. A shelter's events are not
 * broadcast (docs/security.md): the subscribers follow them as the
 * national coordinator does, with events_since long polls on --api.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/util/platform.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "benchlib.h"
#include "common.h"

#define PROG "loadgen"
#define CODE_OK SHELTERD__V1__CODE__CODE_OK

enum { MAX_SUBSCRIBERS = 64, MAX_BATCH = 100000 };

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: loadgen [OPTION]...\n"
	    "       loadgen gen-registry --shelters N [--regions R] DIR\n"
	    "       loadgen place --registry DIR [--count N] [--category C] "
	    "(--help)\n"
	    "Drive shelterd with occupancy updates from many shelters over "
	    "many\nconnections, and report what it sustained and what it "
	    "cost.\n"
	    "\n"
	    "  -r, --registry DIR      the daemon's registry (regions.csv, "
	    "shelters.csv);\n"
	    "                          required: updates must name its "
	    "shelters and\n"
	    "                          categories\n"
	    "  -n, --shelters N        use the first N shelters (default: "
	    "all)\n"
	    "  -c, --connections K     concurrent connections, one request "
	    "in flight\n"
	    "                          each (default 64)\n"
	    "  -m, --mode MODE         single: one OccupancyUpdate per "
	    "request (default);\n"
	    "                          batch: OccupancyBatch requests\n"
	    "  -b, --batch-size B      updates per batch request (default "
	    "1000)\n"
	    "  -R, --rate R            target updates/s over all "
	    "connections; 0 = flat\n"
	    "                          out (default 0)\n"
	    "  -d, --duration S        measured seconds (default 10)\n"
	    "  -w, --warmup S          seconds sent first and not measured "
	    "(default 1)\n"
	    "  -s, --subscribers S     events_since long polls on --api "
	    "that time\n"
	    "                          shelter escalations\n"
	    "                          (default 0, at most 64)\n"
	    "  -e, --escalate-every M  every M-th report of a connection "
	    "fills a\n"
	    "                          category (default 100 with "
	    "subscribers, else 0 =\n"
	    "                          never)\n"
	    "  -p, --daemon-pid PID    read the daemon's CPU time and peak "
	    "RSS from /proc\n"
	    "  -D, --data-dir DIR      the daemon's LMDB directory: commits, "
	    "bytes per\n"
	    "                          shelter (opened read-only)\n"
	    "  -a, --api URL           daemon api (default $SHELTERD_API or "
	    DEFAULT_API_URL ")\n"
	    "  -E, --events URL        daemon events (default "
	    "$SHELTERD_EVENTS or\n"
	    "                          " DEFAULT_EVENTS_URL ")\n"
	    "  -T, --timeout MS        give up on a request after MS "
	    "(default 10000)\n"
	    "  -j, --json              one JSON object instead of text\n"
	    "  -h, --help              print this help and exit\n"
	    "\n"
	    "gen-registry writes DIR/regions.csv and DIR/shelters.csv: N "
	    "shelters\n"
	    "(SH-000001...) spread over R regions (VR01..., default 25), "
	    "for\n"
	    "shelterd --registry DIR.\n"
	    "\n"
	    "Latencies use the monotonic clock; percentiles come from every "
	    "sample\n(log-bucket histogram, < 1%% error). Seqs are the wall "
	    "clock in µs, so\nruns may follow each other against the same "
	    "data directory.\n"
	    "\n"
	    "Exit status: 0 the run completed and every update was "
	    "acknowledged,\n1 refusals, errors, timeouts or nothing "
	    "acknowledged, 2 bad usage,\n3 daemon not reachable.\n");
}

struct opts {
	const char *api, *events, *registry, *data_dir;
	bool batch, json;
	uint64_t shelters, connections, batch_size, subscribers;
	uint64_t escalate_every, timeout_ms, daemon_pid;
	bool escalate_set;
	double rate, duration, warmup;
};

struct run;

enum conn_state { ST_IDLE, ST_SEND, ST_RECV };

struct arm {
	uint32_t index;
	uint8_t slot;                 /* GEN_FULL - 1 or GEN_CLEAR - 1 */
};

struct conn {
	struct run *run;
	unsigned id;
	nng_socket sock;
	nng_aio *aio;
	enum conn_state state;
	bool sleeping;                /* the pacer's, under run->lock */
	uint64_t rng;
	size_t n_mine, next;          /* shelters id, id+K, id+2K, ... */
	size_t prev;                  /* the shelter reported last */
	bool have_prev;
	uint64_t interval_ns, sched_ns;
	uint64_t since_drive;

	/* The request in flight. */
	uint64_t sent_ns;
	bool counted;                 /* sent inside the measured window */
	size_t n_updates;
	struct arm *arm;
	size_t n_arm;

	/* Scratch to build requests without allocating per update. */
	Shelterd__V1__OccupancyUpdate *upd, **updp;
	Shelterd__V1__BedCount *beds, **bedp;

	/* Results, for requests sent inside the window. */
	struct hist lat;
	uint64_t requests, acked, duplicates, refused, errors;
	uint64_t by_code[16];
	uint64_t last_done_ns;
	char err[200];
};

struct sub {
	struct run *run;
	unsigned id;
	nng_socket sock;
	pthread_t thread;
	bool started;
	struct hist lat;
	uint64_t received, matched;
};

struct run {
	const struct opts *o;
	struct registry reg;
	struct gen gen;
	size_t n;                     /* shelters taking part */
	uint64_t t0, t_start, t_end;

	/* Per shelter and slot: when the report that should raise (slot 0)
	 * or clear (slot 1) its shelter escalation was sent, and which
	 * subscribers have seen the event already. */
	_Atomic uint64_t *esc_t[2], *esc_seen[2];
	atomic_ullong esc_driven;
	atomic_bool subs_stop;

	pthread_mutex_t lock;
	pthread_cond_t done;
	unsigned active;

	/* Paced runs: the pacer thread and the connections it wakes. */
	pthread_cond_t pace_cv;       /* on CLOCK_MONOTONIC */
	pthread_t pacer;
	bool pacer_started, pacer_stop;
	struct conn **due;

	struct conn *conns;
	struct sub *subs;
};

/* ---- connections (callbacks on nng's threads) ------------------------ */

static void
conn_finish(struct conn *c)
{
	struct run *r = c->run;

	c->state = ST_IDLE;
	pthread_mutex_lock(&r->lock);
	if (--r->active == 0)
		pthread_cond_signal(&r->done);
	pthread_mutex_unlock(&r->lock);
}

static void conn_send(struct conn *c);

/* Errors count also in the warm-up: a request that never returns takes
 * its connection out of the run. */
static void
conn_error(struct conn *c, const char *what, int rv)
{
	c->errors++;
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "%s: %s", what,
		    nng_strerror(rv));
}

static void
fill_update(struct conn *c, size_t k, const struct gen_update *u)
{
	Shelterd__V1__OccupancyUpdate *m = &c->upd[k];
	Shelterd__V1__BedCount **bp = &c->bedp[k * CAT_COUNT];
	size_t nb = 0;

	shelterd__v1__occupancy_update__init(m);
	m->shelter_id = (char *)u->shelter->id;
	m->seq = u->seq;
	m->observed_at = u->observed_at;
	m->status = (Shelterd__V1__ShelterStatus)u->status;
	for (int cat = 0; cat < CAT_COUNT; cat++) {
		Shelterd__V1__BedCount *b = bp[nb];

		if (!(u->categories & (1u << cat)))
			continue;
		shelterd__v1__bed_count__init(b);
		b->category = (Shelterd__V1__Category)(cat + 1);
		b->capacity = u->beds[cat].capacity;
		b->occupied = u->beds[cat].occupied;
		b->out_of_service = u->beds[cat].out_of_service;
		nb++;
	}
	m->n_beds = nb;
	m->beds = bp;
	c->updp[k] = m;
}

static nng_msg *
conn_build(struct conn *c)
{
	struct run *r = c->run;
	const struct opts *o = r->o;
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyBatch batch =
	    SHELTERD__V1__OCCUPANCY_BATCH__INIT;
	size_t n = o->batch ? o->batch_size : 1;
	struct gen_update u;
	nng_msg *msg;
	size_t len;

	c->n_arm = 0;
	for (size_t k = 0; k < n; k++) {
		bool drive = o->escalate_every > 0 &&
		    c->since_drive + 1 >= o->escalate_every && c->have_prev &&
		    !r->gen.sh[c->prev].full;
		size_t idx;

		/*
		 * Fill the shelter this connection reported last: that report
		 * replaced whatever an earlier run left in the daemon (maybe
		 * a full category), so this one is a transition it must
		 * announce. Its next turn in the round robin frees it again.
		 */
		if (drive) {
			idx = c->prev;
			c->since_drive = 0;
		} else {
			idx = c->id + c->next * o->connections;
			c->next = (c->next + 1) % c->n_mine;
			c->since_drive += o->escalate_every > 0;
		}
		c->prev = idx;
		c->have_prev = true;
		gen_next(&r->gen, idx, &c->rng, drive, &u);
		fill_update(c, k, &u);
		if (u.transition != GEN_NONE) {
			c->arm[c->n_arm].index = (uint32_t)idx;
			c->arm[c->n_arm].slot = (uint8_t)(u.transition - 1);
			c->n_arm++;
		}
	}
	if (o->batch) {
		batch.n_updates = n;
		batch.updates = c->updp;
		req.body_case = SHELTERD__V1__REQUEST__BODY_BATCH;
		req.batch = &batch;
	} else {
		req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
		req.update = c->updp[0];
	}
	c->n_updates = n;
	len = shelterd__v1__request__get_packed_size(&req);
	if (nng_msg_alloc(&msg, len) != 0)
		return NULL;
	shelterd__v1__request__pack(&req, nng_msg_body(msg));
	return msg;
}

static void
conn_send(struct conn *c)
{
	struct run *r = c->run;
	nng_msg *msg = conn_build(c);
	uint64_t now;

	if (msg == NULL) {
		conn_error(c, "building a request", NNG_ENOMEM);
		conn_finish(c);
		return;
	}
	now = bench_now_ns();
	/* Arm the escalation slots before the report can reach the daemon:
	 * its event cannot come back before this store. */
	for (size_t i = 0; i < c->n_arm; i++) {
		const struct arm *a = &c->arm[i];

		atomic_store(&r->esc_seen[a->slot][a->index], 0);
		atomic_store(&r->esc_t[a->slot][a->index], now);
		if (now >= r->t_start && now < r->t_end)
			atomic_fetch_add(&r->esc_driven, 1);
	}
	c->sent_ns = now;
	c->counted = now >= r->t_start;
	c->state = ST_SEND;
	nng_aio_set_msg(c->aio, msg);
	nng_send_aio(c->sock, c->aio);
}

/* Send now, leave it to the pacer until its next slot, or stop. */
static void
conn_pace(struct conn *c)
{
	struct run *r = c->run;
	uint64_t now = bench_now_ns();

	if (now >= r->t_end || (c->interval_ns && c->sched_ns >= r->t_end)) {
		conn_finish(c);
		return;
	}
	if (c->interval_ns > 0 && c->sched_ns > now + 20000) {
		pthread_mutex_lock(&r->lock);
		c->state = ST_IDLE;
		c->sleeping = true;
		pthread_cond_signal(&r->pace_cv);
		pthread_mutex_unlock(&r->lock);
		return;
	}
	conn_send(c);
}

/*
 * The pacer: one thread that sends each sleeping connection's next report
 * at its slot. Not nng_sleep_aio: on nng 1.5.2 its expire thread then
 * spins (measured: most of a core at 1,000 updates/s over 64 sleeping
 * connections), and an aio that once slept completes a later timed-out
 * receive with 0 and no message instead of NNG_ETIMEDOUT.
 */
static void *
pacer_main(void *arg)
{
	struct run *r = arg;
	const struct opts *o = r->o;

	pthread_mutex_lock(&r->lock);
	while (!r->pacer_stop) {
		uint64_t now = bench_now_ns(), next = UINT64_MAX;
		size_t n_due = 0;

		for (unsigned i = 0; i < o->connections; i++) {
			struct conn *c = &r->conns[i];

			if (!c->sleeping)
				continue;
			if (c->sched_ns <= now + 20000) {
				c->sleeping = false;
				r->due[n_due++] = c;
			} else if (c->sched_ns < next) {
				next = c->sched_ns;
			}
		}
		if (n_due > 0) {
			pthread_mutex_unlock(&r->lock);
			for (size_t i = 0; i < n_due; i++)
				conn_send(r->due[i]);
			pthread_mutex_lock(&r->lock);
		} else if (next == UINT64_MAX) {
			pthread_cond_wait(&r->pace_cv, &r->lock);
		} else {
			struct timespec ts = {
				.tv_sec = (time_t)(next / 1000000000u),
				.tv_nsec = (long)(next % 1000000000u),
			};

			pthread_cond_timedwait(&r->pace_cv, &r->lock, &ts);
		}
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

/* Acks count inside the window only; refusals always. */
static void
conn_tally(struct conn *c, int code, bool duplicate, const char *err)
{
	if (code == CODE_OK) {
		if (c->counted) {
			c->acked++;
			c->duplicates += duplicate;
		}
		return;
	}
	c->refused++;
	c->by_code[code & 15]++;
	if (c->err[0] == '\0')
		snprintf(c->err, sizeof(c->err), "refused (%s): %s",
		    client_code_name(code), err ? err : "");
}

static void
conn_reply(struct conn *c, nng_msg *msg, uint64_t now)
{
	Shelterd__V1__Reply *rep = shelterd__v1__reply__unpack(NULL,
	    nng_msg_len(msg), nng_msg_body(msg));

	if (c->counted) {
		c->requests++;
		hist_add(&c->lat, now - c->sent_ns);
		c->last_done_ns = now;
	}
	if (rep == NULL) {
		conn_error(c, "the reply is not a shelterd.v1.Reply",
		    NNG_EPROTO);
		return;
	}
	if (rep->code == CODE_OK && c->run->o->batch &&
	    rep->body_case == SHELTERD__V1__REPLY__BODY_BATCH &&
	    rep->batch->n_results == c->n_updates) {
		for (size_t i = 0; i < rep->batch->n_results; i++) {
			const Shelterd__V1__UpdateResult *u =
			    rep->batch->results[i];

			conn_tally(c, (int)u->code,
			    u->ack != NULL && u->ack->duplicate, u->error);
		}
	} else if (rep->code == CODE_OK && !c->run->o->batch &&
	    rep->body_case == SHELTERD__V1__REPLY__BODY_ACK) {
		conn_tally(c, CODE_OK, rep->ack->duplicate, NULL);
	} else {
		int code = rep->code == CODE_OK ?
		    SHELTERD__V1__CODE__CODE_INTERNAL : (int)rep->code;

		for (size_t i = 0; i < c->n_updates; i++)
			conn_tally(c, code, false, rep->code == CODE_OK ?
			    "reply without the expected acks" : rep->error);
	}
	shelterd__v1__reply__free_unpacked(rep, NULL);
}

static void
conn_cb(void *arg)
{
	struct conn *c = arg;
	int rv = nng_aio_result(c->aio);
	nng_msg *msg;

	if (rv == NNG_ECLOSED || rv == NNG_ECANCELED) {
		if (c->state == ST_SEND)
			nng_msg_free(nng_aio_get_msg(c->aio));
		conn_finish(c);
		return;
	}
	switch (c->state) {
	case ST_SEND:
		if (rv != 0) {
			nng_msg_free(nng_aio_get_msg(c->aio));
			conn_error(c, "send", rv);
			conn_pace(c);
			break;
		}
		c->state = ST_RECV;
		nng_recv_aio(c->sock, c->aio);
		break;
	case ST_RECV: {
		uint64_t now = bench_now_ns();

		if (rv != 0) {
			conn_error(c, "no reply", rv);
		} else if ((msg = nng_aio_get_msg(c->aio)) == NULL) {
			conn_error(c, "no reply", NNG_ETIMEDOUT);
		} else {
			nng_aio_set_msg(c->aio, NULL);
			conn_reply(c, msg, now);
			nng_msg_free(msg);
		}
		if (c->interval_ns > 0) {
			c->sched_ns += c->interval_ns;
			/* After a stall, do not burst to catch up. */
			if (c->sched_ns + 10 * c->interval_ns < now)
				c->sched_ns = now;
		}
		conn_pace(c);
		break;
	}
	case ST_IDLE:
		break;
	}
}

/* ---- subscribers (one thread each) ----------------------------------- */

static void
sub_event(struct sub *s, const Shelterd__V1__Event *ev, uint64_t now)
{
	struct run *r = s->run;
	const struct reg_shelter *rs;
	uint64_t t, bit = 1ull << s->id;
	size_t idx;
	int slot;

	if (ev->scope != SHELTERD__V1__SCOPE__SCOPE_SHELTER ||
	    ev->shelter_id == NULL ||
	    (rs = registry_shelter(&r->reg, ev->shelter_id)) == NULL)
		return;
	idx = (size_t)(rs - r->reg.shelters);
	if (idx >= r->n)
		return;
	if (ev->level == SHELTERD__V1__LEVEL__LEVEL_WARNING)
		slot = GEN_FULL - 1;
	else if (ev->level == SHELTERD__V1__LEVEL__LEVEL_OK)
		slot = GEN_CLEAR - 1;
	else
		return;
	t = atomic_load(&r->esc_t[slot][idx]);
	/* Count each driven transition once per subscriber, and only those
	 * sent in the window. */
	if (t == 0 || t < r->t_start || now < t ||
	    (atomic_fetch_or(&r->esc_seen[slot][idx], bit) & bit))
		return;
	hist_add(&s->lat, now - t);
	s->matched++;
}

/*
 * One events_since after *after, waiting up to wait_ms for an event: each
 * event goes to sub_event, *after moves on. 0, or an nng error.
 */
static int
sub_poll(struct sub *s, uint64_t *after, uint32_t wait_ms, uint32_t limit)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__EventsSince since = SHELTERD__V1__EVENTS_SINCE__INIT;
	Shelterd__V1__Reply *reply;
	nng_msg *msg;
	uint64_t now;
	int rv;

	since.after_seq = *after;
	since.wait_ms = wait_ms;
	since.limit = limit;
	req.body_case = SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE;
	req.events_since = &since;
	if ((rv = nng_msg_alloc(&msg,
	    shelterd__v1__request__get_packed_size(&req))) != 0)
		return rv;
	shelterd__v1__request__pack(&req, nng_msg_body(msg));
	if ((rv = nng_sendmsg(s->sock, msg, 0)) != 0) {
		nng_msg_free(msg);
		return rv;
	}
	if ((rv = nng_recvmsg(s->sock, &msg, 0)) != 0)
		return rv;
	now = bench_now_ns();
	reply = shelterd__v1__reply__unpack(NULL, nng_msg_len(msg),
	    nng_msg_body(msg));
	nng_msg_free(msg);
	if (reply == NULL)
		return NNG_EPROTO;
	if (reply->body_case == SHELTERD__V1__REPLY__BODY_EVENTS) {
		if (limit == 1 && *after == UINT64_MAX - 1)
			*after = reply->events->last_event_seq;
		for (size_t i = 0; i < reply->events->n_events; i++) {
			s->received++;
			sub_event(s, reply->events->events[i], now);
		}
		if (reply->events->scanned_to_seq > *after &&
		    reply->events->scanned_to_seq != UINT64_MAX - 1)
			*after = reply->events->scanned_to_seq;
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return 0;
}

static void *
sub_main(void *arg)
{
	struct sub *s = arg;
	uint64_t after = UINT64_MAX - 1;

	/* From the newest event on: only what this run drives counts. */
	if (sub_poll(s, &after, 0, 1) != 0)
		return NULL;
	while (!atomic_load(&s->run->subs_stop))
		if (sub_poll(s, &after, 100, 1000) != 0)
			break;
	return NULL;
}

static void
subs_join(struct run *r)
{
	atomic_store(&r->subs_stop, true);
	for (unsigned i = 0; r->subs != NULL && i < r->o->subscribers; i++)
		if (r->subs[i].started) {
			pthread_join(r->subs[i].thread, NULL);
			r->subs[i].started = false;
		}
}

/* ---- the daemon's LMDB, read-only ------------------------------------ */

struct lmdb_stats {
	bool ok;
	uint64_t txnid, used_bytes, file_bytes;
	uint64_t shelters, shelters_bytes;
	char err[512];
};

/*
 * Open the daemon's environment read-only, as a second process may: the
 * last committed txn id counts commits, and page counts give the bytes.
 * Never opened twice at once in this process (LMDB's locks are per
 * process).
 */
static void
lmdb_read(const char *dir, struct lmdb_stats *st)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_envinfo info;
	MDB_stat ms;
	MDB_dbi dbi;
	struct stat sb;
	char path[4096];
	int rc;

	memset(st, 0, sizeof(*st));
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) != 0) {
		snprintf(st->err, sizeof(st->err), "%.300s: %s", path,
		    strerror(errno));
		return;
	}
	st->file_bytes = (uint64_t)sb.st_size;
	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0)) != 0 ||
	    (rc = mdb_env_info(env, &info)) != 0 ||
	    (rc = mdb_env_stat(env, &ms)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0) {
		snprintf(st->err, sizeof(st->err), "LMDB in %.300s: %s",
		    dir, mdb_strerror(rc));
		goto out;
	}
	st->txnid = info.me_last_txnid;
	st->used_bytes = ((uint64_t)info.me_last_pgno + 1) * ms.ms_psize;
	if (mdb_dbi_open(txn, "shelters", 0, &dbi) == 0 &&
	    mdb_stat(txn, dbi, &ms) == 0) {
		st->shelters = ms.ms_entries;
		st->shelters_bytes = (uint64_t)ms.ms_psize *
		    (ms.ms_branch_pages + ms.ms_leaf_pages +
		    ms.ms_overflow_pages);
	}
	st->ok = true;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
}

static void
pacer_join(struct run *r)
{
	if (!r->pacer_started)
		return;
	pthread_mutex_lock(&r->lock);
	r->pacer_stop = true;
	pthread_cond_signal(&r->pace_cv);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->pacer, NULL);
	r->pacer_started = false;
}

/* ---- setup and report ------------------------------------------------ */

/* What no single option can tell: the ones required and the pairs. */
static int
check_opts(struct opts *o, bool batch_size_set)
{
	if (o->registry == NULL) {
		fprintf(stderr, PROG ": --registry DIR is required: the "
		    "updates must name the daemon's shelters (make one with '"
		    PROG " gen-registry')\n");
		return -1;
	}
	if (batch_size_set && !o->batch) {
		fprintf(stderr, PROG ": --batch-size needs --mode batch\n");
		return -1;
	}
	if (!o->escalate_set && o->subscribers > 0)
		o->escalate_every = 100;
	return 0;
}

static void
opts_defaults(struct opts *o)
{
	o->api = client_default_api();
	o->events = client_default_events();
	o->connections = 64;
	o->batch_size = 1000;
	o->duration = 10;
	o->warmup = 1;
	o->timeout_ms = 10000;
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "registry", required_argument, NULL, 'r' },
		{ "shelters", required_argument, NULL, 'n' },
		{ "connections", required_argument, NULL, 'c' },
		{ "mode", required_argument, NULL, 'm' },
		{ "batch-size", required_argument, NULL, 'b' },
		{ "rate", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "subscribers", required_argument, NULL, 's' },
		{ "escalate-every", required_argument, NULL, 'e' },
		{ "daemon-pid", required_argument, NULL, 'p' },
		{ "data-dir", required_argument, NULL, 'D' },
		{ "api", required_argument, NULL, 'a' },
		{ "events", required_argument, NULL, 'E' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool batch_size_set = false;
	int ch, bad = 0;

	opts_defaults(o);
	while ((ch = getopt_long(argc, argv, "r:n:c:m:b:R:d:w:s:e:p:D:a:E:"
	    "T:jh", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->registry = optarg;
			break;
		case 'n':
			bad |= bench_arg_u64(PROG, "--shelters", optarg, 1,
			    10000000, &o->shelters);
			break;
		case 'c':
			bad |= bench_arg_u64(PROG, "--connections", optarg, 1,
			    4096, &o->connections);
			break;
		case 'm':
			if (strcmp(optarg, "single") == 0) {
				o->batch = false;
			} else if (strcmp(optarg, "batch") == 0) {
				o->batch = true;
			} else {
				fprintf(stderr, PROG ": --mode: '%s' is "
				    "neither 'single' nor 'batch'\n", optarg);
				bad = -1;
			}
			break;
		case 'b':
			bad |= bench_arg_u64(PROG, "--batch-size", optarg, 1,
			    MAX_BATCH, &o->batch_size);
			batch_size_set = true;
			break;
		case 'R':
			bad |= bench_arg_secs(PROG, "--rate (updates/s)",
			    optarg, 0, 1e9, &o->rate);
			break;
		case 'd':
			bad |= bench_arg_secs(PROG, "--duration", optarg,
			    0.01, 86400, &o->duration);
			break;
		case 'w':
			bad |= bench_arg_secs(PROG, "--warmup", optarg, 0,
			    3600, &o->warmup);
			break;
		case 's':
			bad |= bench_arg_u64(PROG, "--subscribers", optarg, 0,
			    MAX_SUBSCRIBERS, &o->subscribers);
			break;
		case 'e':
			bad |= bench_arg_u64(PROG, "--escalate-every", optarg,
			    0, UINT32_MAX, &o->escalate_every);
			o->escalate_set = true;
			break;
		case 'p':
			bad |= bench_arg_u64(PROG, "--daemon-pid", optarg, 1,
			    INT32_MAX, &o->daemon_pid);
			break;
		case 'D':
			o->data_dir = optarg;
			break;
		case 'a':
			o->api = optarg;
			break;
		case 'E':
			o->events = optarg;
			break;
		case 'T':
			bad |= bench_arg_u64(PROG, "--timeout", optarg, 1,
			    3600000, &o->timeout_ms);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return -1;
		}
	}
	if (bad)
		return -1;
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s' (try '" PROG
		    " --help')\n", argv[optind]);
		return -1;
	}
	return check_opts(o, batch_size_set);
}

int place_main(int argc, char **argv); /* loadgen-place.c */

static int
gen_registry_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shelters", required_argument, NULL, 'n' },
		{ "regions", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n = 0, regions = 25;
	char err[512];
	int ch;

	while ((ch = getopt_long(argc, argv, "n:g:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'n':
			if (bench_arg_u64(PROG, "--shelters", optarg, 1,
			    999999, &n) != 0)
				return 2;
			break;
		case 'g':
			if (bench_arg_u64(PROG, "--regions", optarg, 1, 99,
			    &regions) != 0)
				return 2;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return 2;
		}
	}
	if (n == 0 || optind != argc - 1) {
		fprintf(stderr, "Usage: " PROG " gen-registry --shelters N "
		    "[--regions R] DIR\n");
		return 2;
	}
	if (bench_gen_registry(argv[optind], (size_t)n, (unsigned)regions,
	    err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return 1;
	}
	fprintf(stderr, PROG ": %" PRIu64 " shelters in %" PRIu64
	    " regions written to %s\n", n, regions, argv[optind]);
	return 0;
}

static double
cpu_self(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
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

static int
open_conns(struct run *r)
{
	const struct opts *o = r->o;
	size_t per = o->batch ? o->batch_size : 1;
	int rv;

	for (unsigned i = 0; i < o->connections; i++) {
		struct conn *c = &r->conns[i];

		c->run = r;
		c->id = i;
		c->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		c->n_mine = (r->n - i + o->connections - 1) / o->connections;
		hist_init(&c->lat);
		c->upd = calloc(per, sizeof(*c->upd));
		c->updp = calloc(per, sizeof(*c->updp));
		c->beds = calloc(per * CAT_COUNT, sizeof(*c->beds));
		c->bedp = calloc(per * CAT_COUNT, sizeof(*c->bedp));
		c->arm = calloc(per, sizeof(*c->arm));
		if (!c->upd || !c->updp || !c->beds || !c->bedp || !c->arm) {
			fprintf(stderr, PROG ": out of memory\n");
			return 1;
		}
		for (size_t k = 0; k < per * CAT_COUNT; k++)
			c->bedp[k] = &c->beds[k];
		if ((rv = nng_req0_open(&c->sock)) != 0 ||
		    (rv = nng_aio_alloc(&c->aio, conn_cb, c)) != 0) {
			fprintf(stderr, PROG ": cannot open a socket: %s\n",
			    nng_strerror(rv));
			return 1;
		}
		nng_aio_set_timeout(c->aio, (nng_duration)o->timeout_ms);
		/* Synchronous: a daemon that is not there is reported now. */
		if ((rv = nng_dial(c->sock, o->api, NULL, 0)) != 0) {
			fprintf(stderr, PROG ": cannot reach shelterd at %s: "
			    "%s (is the daemon running? see --api)\n", o->api,
			    nng_strerror(rv));
			return 3;
		}
	}
	return 0;
}

static int
open_subs(struct run *r)
{
	const struct opts *o = r->o;
	int rv;

	for (unsigned i = 0; i < o->subscribers; i++) {
		struct sub *s = &r->subs[i];

		s->run = r;
		s->id = i;
		hist_init(&s->lat);
		/* A long poll answers within 100 ms when nothing comes. */
		if ((rv = nng_req0_open(&s->sock)) != 0 ||
		    (rv = nng_socket_set_ms(s->sock, NNG_OPT_RECVTIMEO,
		    10000)) != 0) {
			fprintf(stderr, PROG ": cannot open a subscriber: "
			    "%s\n", nng_strerror(rv));
			return 1;
		}
		if ((rv = nng_dial(s->sock, o->api, NULL, 0)) != 0) {
			fprintf(stderr, PROG ": cannot reach %s: %s (see "
			    "--api)\n", o->api, nng_strerror(rv));
			return 3;
		}
		if (pthread_create(&s->thread, NULL, sub_main, s) != 0) {
			fprintf(stderr, PROG ": cannot start a subscriber "
			    "thread\n");
			return 1;
		}
		s->started = true;
	}
	return 0;
}

struct totals_out {
	struct hist lat, esc;
	uint64_t requests, acked, duplicates, refused, errors, matched;
	uint64_t received, by_code[16], last_done;
	const char *err;
	double elapsed, cpu_daemon, cpu_self;
	long long hwm_kb, rss_kb, anon_kb, file_kb;
	uint64_t commits;
	struct lmdb_stats lmdb;
	bool have_cpu, have_lmdb;
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
report_json(const struct run *r, const struct totals_out *t)
{
	const struct opts *o = r->o;
	cJSON *j = cJSON_CreateObject(), *x;
	double per_k = t->acked ? 1000.0 / (double)t->acked : 0;

	cJSON_AddStringToObject(j, "mode", o->batch ? "batch" : "single");
	cJSON_AddNumberToObject(j, "shelters", (double)r->n);
	cJSON_AddNumberToObject(j, "connections", (double)o->connections);
	cJSON_AddNumberToObject(j, "batch_size",
	    o->batch ? (double)o->batch_size : 1);
	cJSON_AddNumberToObject(j, "rate_target", o->rate);
	cJSON_AddNumberToObject(j, "seconds", t->elapsed);
	cJSON_AddNumberToObject(j, "requests", (double)t->requests);
	cJSON_AddNumberToObject(j, "acked_updates", (double)t->acked);
	cJSON_AddNumberToObject(j, "duplicates", (double)t->duplicates);
	cJSON_AddNumberToObject(j, "refused", (double)t->refused);
	cJSON_AddNumberToObject(j, "errors", (double)t->errors);
	cJSON_AddNumberToObject(j, "updates_per_s",
	    t->elapsed > 0 ? t->acked / t->elapsed : 0);
	cJSON_AddNumberToObject(j, "requests_per_s",
	    t->elapsed > 0 ? t->requests / t->elapsed : 0);
	cJSON_AddItemToObject(j, "ack_latency", lat_json(&t->lat));
	if (o->subscribers > 0) {
		x = cJSON_AddObjectToObject(j, "escalation");
		cJSON_AddNumberToObject(x, "subscribers",
		    (double)o->subscribers);
		cJSON_AddNumberToObject(x, "driven",
		    (double)atomic_load(&r->esc_driven));
		cJSON_AddNumberToObject(x, "events_received",
		    (double)t->received);
		cJSON_AddNumberToObject(x, "matched", (double)t->matched);
		cJSON_AddItemToObject(x, "latency", lat_json(&t->esc));
	} else {
		cJSON_AddNullToObject(j, "escalation");
	}
	if (t->have_cpu) {
		x = cJSON_AddObjectToObject(j, "daemon");
		cJSON_AddNumberToObject(x, "pid", (double)o->daemon_pid);
		cJSON_AddNumberToObject(x, "cpu_s", t->cpu_daemon);
		cJSON_AddNumberToObject(x, "cpu_s_per_1k_updates",
		    t->cpu_daemon * per_k);
		cJSON_AddNumberToObject(x, "cpu_pct_of_one_core",
		    t->elapsed > 0 ? 100 * t->cpu_daemon / t->elapsed : 0);
		cJSON_AddNumberToObject(x, "vmhwm_kb", (double)t->hwm_kb);
		cJSON_AddNumberToObject(x, "vmrss_kb", (double)t->rss_kb);
		cJSON_AddNumberToObject(x, "rss_anon_kb", (double)t->anon_kb);
		cJSON_AddNumberToObject(x, "rss_file_kb", (double)t->file_kb);
	} else {
		cJSON_AddNullToObject(j, "daemon");
	}
	cJSON_AddNumberToObject(j, "loadgen_cpu_s_per_1k_updates",
	    t->cpu_self * per_k);
	if (t->have_lmdb) {
		x = cJSON_AddObjectToObject(j, "lmdb");
		cJSON_AddNumberToObject(x, "commits", (double)t->commits);
		cJSON_AddNumberToObject(x, "updates_per_commit",
		    t->commits ? (double)t->acked / (double)t->commits : 0);
		cJSON_AddNumberToObject(x, "data_mdb_bytes",
		    (double)t->lmdb.file_bytes);
		cJSON_AddNumberToObject(x, "used_bytes",
		    (double)t->lmdb.used_bytes);
		cJSON_AddNumberToObject(x, "bytes_per_shelter",
		    (double)t->lmdb.file_bytes / (double)r->reg.n_shelters);
		cJSON_AddNumberToObject(x, "used_bytes_per_shelter",
		    (double)t->lmdb.used_bytes / (double)r->reg.n_shelters);
		cJSON_AddNumberToObject(x, "shelters_stored",
		    (double)t->lmdb.shelters);
		cJSON_AddNumberToObject(x, "shelters_db_bytes_per_entry",
		    t->lmdb.shelters ? (double)t->lmdb.shelters_bytes /
		    (double)t->lmdb.shelters : 0);
	} else {
		cJSON_AddNullToObject(j, "lmdb");
	}
	if (t->err != NULL)
		cJSON_AddStringToObject(j, "first_error", t->err);
	client_print_json(j);
}

static void
lat_line(const char *what, const struct hist *h)
{
	printf("%-24s p50 %8.3f ms  p99 %8.3f ms  p99.9 %8.3f ms  max %8.3f "
	    "ms  (%" PRIu64 " samples)\n", what, hist_pct(h, 50) / 1e6,
	    hist_pct(h, 99) / 1e6, hist_pct(h, 99.9) / 1e6,
	    h->n ? h->max / 1e6 : 0.0, h->n);
}

static void
report_text(const struct run *r, const struct totals_out *t)
{
	const struct opts *o = r->o;
	double secs = t->elapsed > 0 ? t->elapsed : 1;

	printf("loadgen: %s mode", o->batch ? "batch" : "single");
	if (o->batch)
		printf(" (%" PRIu64 " updates per request)", o->batch_size);
	printf(", %zu shelters, %" PRIu64 " connections, ", r->n,
	    o->connections);
	if (o->rate > 0)
		printf("paced at %.0f updates/s", o->rate);
	else
		printf("flat out");
	printf(", %.1f s measured\n", t->elapsed);
	printf("%-24s %" PRIu64 " (%.0f/s)\n", "acknowledged updates",
	    t->acked, t->acked / secs);
	printf("%-24s %" PRIu64 " (%.0f/s); %" PRIu64 " duplicates, %"
	    PRIu64 " refused, %" PRIu64 " errors\n", "requests", t->requests,
	    t->requests / secs, t->duplicates, t->refused, t->errors);
	lat_line("ack latency", &t->lat);
	if (o->subscribers > 0) {
		printf("%-24s %" PRIu64 " of %llu driven x %" PRIu64
		    " subscribers matched (%" PRIu64 " events received)\n",
		    "escalation events", t->matched,
		    (unsigned long long)atomic_load(&r->esc_driven),
		    o->subscribers, t->received);
		lat_line("escalation latency", &t->esc);
	}
	if (t->have_cpu) {
		printf("%-24s %.4f s per 1,000 updates (%.0f%% of one core)"
		    "\n", "daemon CPU", t->acked ? t->cpu_daemon * 1000 /
		    t->acked : 0, 100 * t->cpu_daemon / secs);
		printf("%-24s peak %.1f MB, now %.1f MB (%.1f MB anonymous, "
		    "%.1f MB file-backed, mostly the LMDB map)\n",
		    "daemon RSS",
		    t->hwm_kb / 1024.0, t->rss_kb / 1024.0,
		    t->anon_kb / 1024.0, t->file_kb / 1024.0);
	}
	printf("%-24s %.4f s per 1,000 updates\n", "loadgen CPU",
	    t->acked ? t->cpu_self * 1000 / t->acked : 0);
	if (t->have_lmdb) {
		printf("%-24s %" PRIu64 " commits, %.1f updates per commit\n",
		    "LMDB", t->commits, t->commits ? (double)t->acked /
		    (double)t->commits : 0);
		printf("%-24s %.0f bytes per shelter (data.mdb %" PRIu64
		    " bytes, %" PRIu64 " in use; shelters table %.0f bytes "
		    "per entry)\n", "LMDB size",
		    (double)t->lmdb.file_bytes / (double)r->reg.n_shelters,
		    t->lmdb.file_bytes, t->lmdb.used_bytes,
		    t->lmdb.shelters ? (double)t->lmdb.shelters_bytes /
		    (double)t->lmdb.shelters : 0);
	}
	if (t->err != NULL)
		printf("%-24s %s\n", "first error", t->err);
	fflush(stdout);
}

/* Wait for every connection to stop; force them after a deadline. */
static void
wait_conns(struct run *r)
{
	const struct opts *o = r->o;
	uint64_t deadline = r->t_end + o->timeout_ms * 1000000u +
	    2000000000u;
	struct timespec ts;
	bool late = false;

	pthread_mutex_lock(&r->lock);
	while (r->active > 0 && !late) {
		uint64_t wall = bench_wall_us() * 1000u;
		uint64_t now = bench_now_ns();

		if (now >= deadline) {
			late = true;
			break;
		}
		wall += deadline - now;
		ts.tv_sec = (time_t)(wall / 1000000000u);
		ts.tv_nsec = (long)(wall % 1000000000u);
		pthread_cond_timedwait(&r->done, &r->lock, &ts);
	}
	pthread_mutex_unlock(&r->lock);
	if (late) {
		/* nng_aio_stop cancels and waits for the callback, which
		 * then finishes the connection. */
		fprintf(stderr, PROG ": %u connections still waiting after "
		    "the deadline: stopping them\n", r->active);
		for (unsigned i = 0; i < o->connections; i++)
			nng_aio_stop(r->conns[i].aio);
	}
}

static void
collect(struct run *r, struct totals_out *t)
{
	const struct opts *o = r->o;
	uint64_t last = r->t_end;

	hist_init(&t->lat);
	hist_init(&t->esc);
	for (unsigned i = 0; i < o->connections; i++) {
		struct conn *c = &r->conns[i];

		hist_merge(&t->lat, &c->lat);
		t->requests += c->requests;
		t->acked += c->acked;
		t->duplicates += c->duplicates;
		t->refused += c->refused;
		t->errors += c->errors;
		if (c->last_done_ns > last)
			last = c->last_done_ns;
		if (t->err == NULL && c->err[0] != '\0')
			t->err = c->err;
	}
	for (unsigned i = 0; i < o->subscribers; i++) {
		hist_merge(&t->esc, &r->subs[i].lat);
		t->matched += r->subs[i].matched;
		t->received += r->subs[i].received;
	}
	t->elapsed = (double)(last - r->t_start) / 1e9;
}

/* Load the registry, allocate, open the subscribers and connections. */
static int
run_setup(struct run *r)
{
	const struct opts *o = r->o;
	char err[512];
	int rc;

	if (bench_load_registry(o->registry, &r->reg, err, sizeof(err))) {
		fprintf(stderr, PROG ": registry %s: %s\n", o->registry, err);
		return 2;
	}
	r->n = o->shelters ? o->shelters : r->reg.n_shelters;
	if (r->n > r->reg.n_shelters) {
		fprintf(stderr, PROG ": --shelters %zu, but the registry has "
		    "only %zu\n", r->n, r->reg.n_shelters);
		return 2;
	}
	if (o->connections > r->n) {
		fprintf(stderr, PROG ": %" PRIu64 " connections for %zu "
		    "shelters: each connection needs shelters of its own\n",
		    o->connections, r->n);
		return 2;
	}
	if (gen_init(&r->gen, &r->reg, r->n) != 0)
		return 1;
	for (int k = 0; k < 2; k++) {
		r->esc_t[k] = calloc(r->n, sizeof(*r->esc_t[k]));
		r->esc_seen[k] = calloc(r->n, sizeof(*r->esc_seen[k]));
		if (r->esc_t[k] == NULL || r->esc_seen[k] == NULL)
			return 1;
	}
	r->conns = calloc(o->connections, sizeof(*r->conns));
	r->subs = calloc(o->subscribers ? o->subscribers : 1,
	    sizeof(*r->subs));
	if (r->conns == NULL || r->subs == NULL)
		return 1;
	if (o->daemon_pid && bench_proc_cpu((pid_t)o->daemon_pid,
	    false) < 0) {
		fprintf(stderr, PROG ": --daemon-pid %" PRIu64 ": no such "
		    "process\n", o->daemon_pid);
		return 2;
	}
	if ((rc = open_subs(r)) != 0 || (rc = open_conns(r)) != 0)
		return rc;
	if (o->subscribers > 0)
		nng_msleep(200); /* let pub0 attach the new pipes */
	return 0;
}

/* Set the clock of the run and start every connection (and the pacer). */
static int
run_start(struct run *r)
{
	const struct opts *o = r->o;

	r->t0 = bench_now_ns();
	r->t_start = r->t0 + (uint64_t)(o->warmup * 1e9);
	r->t_end = r->t_start + (uint64_t)(o->duration * 1e9);
	r->active = (unsigned)o->connections;
	if (o->rate > 0) {
		r->due = calloc(o->connections, sizeof(*r->due));
		if (r->due == NULL ||
		    pthread_create(&r->pacer, NULL, pacer_main, r) != 0) {
			fprintf(stderr, PROG ": cannot start the pacer\n");
			return 1;
		}
		r->pacer_started = true;
	}
	for (unsigned i = 0; i < o->connections; i++) {
		struct conn *c = &r->conns[i];

		if (o->rate > 0) {
			double per = o->batch ? (double)o->batch_size : 1;

			c->interval_ns = (uint64_t)(1e9 * per *
			    (double)o->connections / o->rate);
			if (c->interval_ns == 0)
				c->interval_ns = 1;
			/* Spread the connections over one interval. */
			c->sched_ns = r->t0 + c->interval_ns * i /
			    o->connections;
		}
		conn_pace(c);
	}
	return 0;
}

/*
 * Wait out the warm-up and the measured span, then take the daemon's CPU,
 * memory and LMDB figures into t and stop the connections and subscribers.
 */
static void
run_measure(struct run *r, struct totals_out *t)
{
	const struct opts *o = r->o;
	double cpu0 = -1, cpu1 = -1, self0;
	struct lmdb_stats l0;

	sleep_until(r->t_start);
	if (o->daemon_pid)
		cpu0 = bench_proc_cpu((pid_t)o->daemon_pid, false);
	if (o->data_dir)
		lmdb_read(o->data_dir, &l0);
	self0 = cpu_self();
	sleep_until(r->t_end);
	wait_conns(r);
	pacer_join(r);
	t->cpu_self = cpu_self() - self0;
	if (o->daemon_pid) {
		cpu1 = bench_proc_cpu((pid_t)o->daemon_pid, false);
		t->hwm_kb = bench_proc_status_kb((pid_t)o->daemon_pid,
		    "VmHWM");
		t->rss_kb = bench_proc_status_kb((pid_t)o->daemon_pid,
		    "VmRSS");
		/* LMDB maps data.mdb: the pages it touched count in RSS as
		 * file pages the kernel may reclaim, apart from the heap. */
		t->anon_kb = bench_proc_status_kb((pid_t)o->daemon_pid,
		    "RssAnon");
		t->file_kb = bench_proc_status_kb((pid_t)o->daemon_pid,
		    "RssFile");
		t->have_cpu = cpu0 >= 0 && cpu1 >= 0;
		t->cpu_daemon = cpu1 - cpu0;
		if (!t->have_cpu)
			fprintf(stderr, PROG ": the daemon (pid %" PRIu64
			    ") went away during the run\n", o->daemon_pid);
	}
	if (o->data_dir) {
		lmdb_read(o->data_dir, &t->lmdb);
		t->have_lmdb = l0.ok && t->lmdb.ok;
		t->commits = t->lmdb.txnid - l0.txnid;
		if (!t->have_lmdb)
			fprintf(stderr, PROG ": %s\n", l0.ok ? t->lmdb.err :
			    l0.err);
	}
	/* Events of the last reports are still on their way. */
	if (o->subscribers > 0)
		nng_msleep(300);
	subs_join(r);
}

/* The exit status: 1 when the run did not show what it was to measure. */
static int
run_verdict(struct run *r, const struct totals_out *t)
{
	const struct opts *o = r->o;

	if (t->acked == 0) {
		fprintf(stderr, PROG ": no update was acknowledged%s%s\n",
		    t->err ? ": " : "", t->err ? t->err : "");
		return 1;
	}
	if (t->refused > 0 || t->errors > 0) {
		fprintf(stderr, PROG ": %" PRIu64 " updates refused, %" PRIu64
		    " errors; first: %s\n", t->refused, t->errors,
		    t->err ? t->err : "?");
		return 1;
	}
	if (o->data_dir && !t->have_lmdb)
		return 1;
	if (o->subscribers > 0 && atomic_load(&r->esc_driven) > 0 &&
	    t->matched == 0) {
		fprintf(stderr, PROG ": %llu escalations driven, but no "
		    "subscriber saw one (see --api)\n",
		    (unsigned long long)atomic_load(&r->esc_driven));
		return 1;
	}
	return 0;
}

static int
run_main(struct run *r)
{
	struct totals_out t = { 0 };
	int rc;

	if ((rc = run_setup(r)) != 0 || (rc = run_start(r)) != 0)
		return rc;
	run_measure(r, &t);
	collect(r, &t);
	if (r->o->json)
		report_json(r, &t);
	else
		report_text(r, &t);
	return run_verdict(r, &t);
}

static void
run_free(struct run *r)
{
	const struct opts *o = r->o;

	subs_join(r);
	pacer_join(r);

	if (r->subs != NULL)
		for (unsigned i = 0; i < o->subscribers; i++)
			client_close(r->subs[i].sock, 2000);
	if (r->conns != NULL)
		for (unsigned i = 0; i < o->connections; i++) {
			struct conn *c = &r->conns[i];

			if (c->aio != NULL) {
				nng_aio_stop(c->aio);
				nng_aio_free(c->aio);
			}
			client_close(c->sock, 2000);
			free(c->upd);
			free(c->updp);
			free(c->beds);
			free(c->bedp);
			free(c->arm);
		}
	free(r->conns);
	free(r->subs);
	for (int k = 0; k < 2; k++) {
		free(r->esc_t[k]);
		free(r->esc_seen[k]);
	}
	gen_free(&r->gen);
	registry_free(&r->reg);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->done);
	pthread_cond_destroy(&r->pace_cv);
	free(r->due);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct run r;
	pthread_condattr_t ca;
	int rc;

	if (argc > 1 && strcmp(argv[1], "gen-registry") == 0)
		return gen_registry_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "place") == 0)
		return place_main(argc - 1, argv + 1);
	if (parse_args(argc, argv, &o) != 0)
		return 2;
	memset(&r, 0, sizeof(r));
	r.o = &o;
	atomic_init(&r.esc_driven, 0);
	atomic_init(&r.subs_stop, false);
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.done, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r.pace_cv, &ca);
	pthread_condattr_destroy(&ca);
	rc = run_main(&r);
	run_free(&r);
	return rc;
}
