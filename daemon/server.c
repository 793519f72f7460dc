#include "server.h"

#include <inttypes.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "api.h"
#include "audit.h"
#include "auth.h"
#include "conns.h"
#include "events.h"
#include "guard.h"
#include "history.h"
#include "http.h"
#include "planning.h"
#include "import.h"
#include "log.h"
#include "util.h"
#include "occupancy.h"
#include "placeindex.h"
#include "placements.h"
#include "queries.h"
#include "reserves.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* ---- receiving (nng's thread) ---------------------------------------- */

/*
 * Runs on an nng thread: queue the request and wake the loop. It never
 * touches the store or a socket other than to re-arm its own receive.
 */
static void
on_recv(void *arg)
{
	struct server *s = arg;
	bool rearm;

	if (nng_aio_result(s->recv_aio) != 0)
		return; /* closed or stopped */
	uv_mutex_lock(&s->lock);
	if (s->q_len == s->q_cap) {
		size_t cap = s->q_cap * 2;
		nng_msg **q = malloc(cap * sizeof(*q));
		uint64_t *ns = malloc(cap * sizeof(*ns));

		REQUIRE(q != NULL && ns != NULL);
		for (size_t i = 0; i < s->q_len; i++) {
			q[i] = s->queue[(s->q_head + i) % s->q_cap];
			ns[i] = s->q_ns[(s->q_head + i) % s->q_cap];
		}
		free(s->queue);
		free(s->q_ns);
		s->queue = q;
		s->q_ns = ns;
		s->q_head = 0;
		s->q_cap = cap;
	}
	s->q_ns[(s->q_head + s->q_len) % s->q_cap] = uv_hrtime();
	s->queue[(s->q_head + s->q_len) % s->q_cap] =
	    nng_aio_get_msg(s->recv_aio);
	s->q_len++;
	rearm = s->q_len < s->c.cfg->queue_max;
	s->recv_paused = !rearm;
	uv_mutex_unlock(&s->lock);
	uv_async_send(&s->wake);
	if (rearm)
		nng_recv_aio(s->c.api, s->recv_aio);
}

/* Take up to max requests off the queue; re-arm receiving if it paused. */
static size_t
take(struct server *s, struct item *items, size_t max)
{
	size_t n = 0;
	bool resume;

	uv_mutex_lock(&s->lock);
	if (s->q_len > 0)
		s->batch_recv_ns = s->q_ns[s->q_head];
	while (n < max && s->q_len > 0) {
		items[n++].msg = s->queue[s->q_head];
		s->q_head = (s->q_head + 1) % s->q_cap;
		s->q_len--;
	}
	s->c.queued = s->q_len;
	resume = s->recv_paused && s->q_len < s->c.cfg->queue_max;
	if (resume)
		s->recv_paused = false;
	uv_mutex_unlock(&s->lock);
	if (resume)
		nng_recv_aio(s->c.api, s->recv_aio);
	return n;
}

/* ---- the batch (loop thread) ----------------------------------------- */

static void
send_reply(struct server *s, struct item *it)
{
	/* Raw rep0: the header kept from the request routes this reply. If
	 * the requester went away, nng drops it: it will re-send, and the
	 * seq makes that safe. */
	int rv;

	if (it->msg != NULL && (rv = nng_sendmsg(s->c.api, it->msg,
	    NNG_FLAG_NONBLOCK)) != 0) {
		s->c.stats.replies_dropped++;
		log_warn("reply dropped: %s", nng_strerror(rv));
		nng_msg_free(it->msg);
	}
	it->msg = NULL;
}

/* ---- imports: switching the loop to the new registry ----------------- */

static void
answer_removed_waiter(struct ctx *s, struct waiter *w)
{
	Shelterd__V1__Reply r = SHELTERD__V1__REPLY__INIT;

	r.code = CODE(UNKNOWN_SHELTER);
	r.error = "this shelter was removed from the registry";
	api_pack_msg(w->msg, &r);
	if (nng_sendmsg(s->api, w->msg, NNG_FLAG_NONBLOCK) != 0) {
		s->stats.replies_dropped++;
		log_warn("holds reply dropped");
		nng_msg_free(w->msg);
	}
}

static struct disclosure *
disclosure_new(const struct registry *reg, uint32_t k)
{
	struct disclosure *d = malloc(sizeof(*d));

	REQUIRE(d != NULL && disclose_init(d, reg, k) == 0);
	return d;
}

/*
 * An import committed in this batch (import.c): once the batch is
 * answered, the loop's per-shelter arrays follow the new registry's order.
 */
static void
switch_registry(struct server *srv)
{
	struct ctx *s = &srv->c;
	struct registry *next = s->next_reg;
	int64_t *stale_at = s->next_stale_at;
	const struct registry *old = s->reg;
	uint8_t *new_hold = calloc(next->n_shelters + 1, 1);
	struct disclosure *disc = disclosure_new(next, s->cfg->privacy_k);
	MDB_txn *rtxn;
	size_t kept = 0;

	REQUIRE(new_hold != NULL);
	for (size_t i = 0; i < old->n_shelters; i++) {
		const struct reg_shelter *sh;

		if (!s->new_hold[i])
			continue;
		if ((sh = registry_shelter(next, old->shelters[i].id)) != NULL)
			new_hold[sh - next->shelters] = 1;
	}
	for (size_t i = 0; i < s->n_waiters; i++) {
		struct waiter *w = &s->waiters[i];
		const struct reg_shelter *sh = w->events ? NULL :
		    registry_shelter(next, old->shelters[w->shelter].id);

		if (w->events) {
			s->waiters[kept++] = *w;
			continue;
		}
		if (sh == NULL) {
			answer_removed_waiter(s, w);
			continue;
		}
		w->shelter = (uint32_t)(sh - next->shelters);
		s->waiters[kept++] = *w;
	}
	s->n_waiters = kept;
	free(s->new_hold);
	s->new_hold = new_hold;
	free(s->stale_at);
	s->stale_at = stale_at;
	s->reg = next;
	/* Shelter indexes changed with the registry: a new index of free
	 * beds from the states the import stored. A read txn failing here
	 * leaves no correct index to rank with. */
	REQUIRE(store_begin(s->store, NULL, 0, &rtxn) == 0);
	REQUIRE(place_index_build(s, rtxn) == 0);
	mdb_txn_abort(rtxn);
	http_set_registry(s->http, next, disc);
	disclose_free(s->disc);
	free(s->disc);
	s->disc = disc;
	/* Nothing points into the old one now: the batch's replies were
	 * built from the requests and the store, not from the registry. */
	registry_free((struct registry *)old);
	if (old == srv->reg_owned)
		free(srv->reg_owned);
	srv->reg_owned = next;
	s->next_reg = NULL;
	s->next_stale_at = NULL;
}

/* Debug builds: the index of free beds must match the committed states.
 * Past 20,000 shelters reading them all per commit would slow a debug
 * daemon down to uselessness: then once a second. */
static void
index_check(struct server *s)
{
#ifdef SHELTERD_CHECK_INDEX
	static uint64_t last_ns;
	MDB_txn *rtxn;

	if (s->c.reg->n_shelters > 20000 &&
	    uv_hrtime() - last_ns < 1000000000u)
		return;
	last_ns = uv_hrtime();
	if (store_begin(s->c.store, NULL, 0, &rtxn) != 0)
		return;
	place_index_check(&s->c, rtxn);
	mdb_txn_abort(rtxn);
#else
	(void)s;
#endif
}

/*
 * Try the writes u[0..n) in one txn. 0 when it committed. Otherwise nothing
 * of them is stored, what they changed in memory is put back, and *bad is
 * the write whose apply failed (n if the txn could not be begun or
 * committed).
 */
static int
try_writes(struct server *s, struct item *items, const struct unit *u,
    size_t n, int64_t now, size_t *bad, uint64_t *commit_ns)
{
	size_t events_before = s->c.n_events;
	int64_t hold_expiry = s->c.next_hold_expiry;
	bool any_hold = s->c.any_new_hold;
	uint8_t *holds_before = NULL;
	uint64_t seq0 = 0, t0;
	MDB_txn *txn = NULL;
	int rc;

	/* Marks from a txn of this turn that committed must survive if this
	 * one aborts. Only a redo gets here with marks: copying is rare. */
	if (any_hold) {
		holds_before = malloc(s->c.reg->n_shelters + 1);
		REQUIRE(holds_before != NULL);
		memcpy(holds_before, s->c.new_hold, s->c.reg->n_shelters + 1);
	}
	*bad = n;
	/* What an earlier txn left in the journal was committed. */
	place_index_forget(s->c.pidx);
	if ((rc = store_begin(s->c.store, NULL, 1, &txn)) != 0) {
		free(holds_before);
		return rc;
	}
	rc = store_get_next_event_seq(s->c.store, txn, &s->c.next_event_seq);
	seq0 = s->c.next_event_seq;
	for (size_t i = 0; rc == 0 && i < n; i++)
		if ((rc = api_apply(&s->c, txn, &items[u[i].item], u[i].k,
		    now)) != 0)
			*bad = i;
	/* Unchanged, it is not written: a batch of duplicates and refusals
	 * then dirties nothing, and LMDB commits it without a sync. */
	if (rc == 0 && s->c.next_event_seq != seq0)
		rc = store_put_next_event_seq(s->c.store, txn,
		    s->c.next_event_seq);
	if (rc == 0) {
		t0 = uv_hrtime();
		rc = store_commit(txn); /* synced: now we may ack */
		s->c.last_commit_ns = uv_hrtime();
		*commit_ns += s->c.last_commit_ns - t0;
		txn = NULL;
	}
	if (rc == 0) {
		place_index_forget(s->c.pidx);
		index_check(s);
		for (size_t i = 0; i < n; i++)
			api_applied(&s->c, &items[u[i].item], u[i].k, now);
		free(holds_before);
		return 0;
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	place_index_undo(s->c.pidx, 0);
	s->c.stats.commit_failures++;
	/* Its events were never stored; the holds it made are gone. */
	events_drop_from(&s->c, events_before);
	s->c.next_hold_expiry = hold_expiry;
	if (holds_before != NULL)
		memcpy(s->c.new_hold, holds_before, s->c.reg->n_shelters + 1);
	else if (s->c.any_new_hold)
		memset(s->c.new_hold, 0, s->c.reg->n_shelters + 1);
	s->c.any_new_hold = any_hold;
	free(holds_before);
	return rc;
}

/*
 * Commit the writes u[0..n), in order, in as few txns as the store allows.
 * Normally one. When a write cannot be stored (map full: LMDB leaves the
 * txn unusable), the txn is aborted and redone without it: the writes
 * before it in one txn, it alone (it gets the error if it fails again),
 * then the rest. A commit that fails for want of space is redone in
 * halves. Refusals are decided before anything is written, so no write
 * needs a nested txn of its own (measured: a third of the loop's CPU in
 * batch mode went to copying pages into and out of them).
 */
static void
write_units(struct server *s, struct item *items, const struct unit *u,
    size_t n, int64_t now, uint64_t *commit_ns)
{
	size_t bad, half;
	int rc;

	while (n > 0) {
		if ((rc = try_writes(s, items, u, n, now, &bad,
		    commit_ns)) == 0)
			return;
		if (n == 1) {
			api_fail_write(&items[u->item], u->k, rc);
			return;
		}
		if (bad < n) {
			write_units(s, items, u, bad, now, commit_ns);
			write_units(s, items, u + bad, 1, now, commit_ns);
			u += bad + 1;
			n -= bad + 1;
			continue;
		}
		if (rc != STORE_EFULL) {
			/* Not for want of space (a disk error): smaller txns
			 * would fail alike, and nothing here may be acked. */
			log_err("%zu writes not committed: %s", n,
			    store_strerror(rc));
			for (size_t i = 0; i < n; i++)
				api_fail_write(&items[u[i].item], u[i].k, rc);
			return;
		}
		half = n / 2;
		write_units(s, items, u, half, now, commit_ns);
		u += half;
		n -= half;
	}
}

/* ---- stage timing ----------------------------------------------------- */

static size_t
stage_bucket(uint64_t us)
{
	size_t k = 0;

	if (us < 4)
		return (size_t)us;
	while ((us >> k) >= 8)
		k++;
	/* 4 buckets per power of two: us >> k is 4..7 here. */
	k = 4 * (k + 1) + (size_t)((us >> k) - 4);
	return k < STAGE_BUCKETS ? k : STAGE_BUCKETS - 1;
}

/* The lower bound of bucket k, in µs. */
static uint64_t
stage_value(size_t k)
{
	if (k < 4)
		return k;
	return (uint64_t)(4 + k % 4) << (k / 4 - 1);
}

static void
stage_note(struct server *s, int stage, uint64_t ns)
{
	s->stages[stage][stage_bucket(ns / 1000)]++;
}

static uint64_t
stage_pct(const struct server *s, int stage, double pct)
{
	uint64_t total = 0, seen = 0;

	for (size_t k = 0; k < STAGE_BUCKETS; k++)
		total += s->stages[stage][k];
	for (size_t k = 0; k < STAGE_BUCKETS && total > 0; k++) {
		seen += s->stages[stage][k];
		if ((double)seen >= pct / 100 * (double)total)
			return stage_value(k);
	}
	return 0;
}

/* At stop: where the write batches' time went (how far an alarm's path
 * is ours; the rest is nng and the network). */
static void
stages_log(const struct server *s)
{
	static const char *const name[STAGE_COUNT] = { "queue wait",
		"apply", "commit", "replies", "publish" };
	char line[512];
	size_t at = 0;

	for (int i = 0; i < STAGE_COUNT && at < sizeof(line); i++)
		at += (size_t)snprintf(line + at, sizeof(line) - at,
		    "%s%s %" PRIu64 " / %" PRIu64, i ? ", " : "", name[i],
		    stage_pct(s, i, 50), stage_pct(s, i, 99));
	log_info("write batches, p50 / p99 us (bucket lower bounds): %s",
	    line);
}

static void
process_batch(struct server *s, struct item *items, size_t n)
{
	int64_t now = (int64_t)time(NULL);
	uint64_t t0 = uv_hrtime(), t1, t2, t3;
	MDB_txn *rtxn = NULL;
	size_t writes = 0, reads = 0;
	uint64_t commit_ns = 0;
	int rc;

	s->c.stats.batches++;
	s->c.stats.requests += n;
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];

		api_decode(&s->c, it);
		if (api_is_write(it))
			writes += it->n_updates > 0 ? it->n_updates : 1;
		else if (it->ready)
			reads++;
	}

	if (writes > 0) {
		size_t w = 0;

		if (writes > s->cap_units) {
			free(s->units);
			s->units = malloc(writes * sizeof(*s->units));
			REQUIRE(s->units != NULL);
			s->cap_units = writes;
		}
		for (size_t i = 0; i < n; i++) {
			if (!api_is_write(&items[i]))
				continue;
			for (size_t k = 0; k == 0 || k < items[i].n_updates;
			    k++) {
				s->units[w].item = (uint32_t)i;
				s->units[w++].k = (uint32_t)k;
			}
		}
		write_units(s, items, s->units, w, now, &commit_ns);
	}
	t1 = uv_hrtime();

	if (reads > 0 && (rc = store_begin(s->c.store, NULL, 0, &rtxn)) != 0) {
		log_err("cannot open a read txn: %s", store_strerror(rc));
		rtxn = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		struct item *it = &items[i];

		if (it->ready && it->res.rc == 0 && !api_is_write(it) &&
		    rtxn == NULL)
			op_fail(&it->res, CODE(INTERNAL), "cannot read the "
			    "store");
		api_reply(&s->c, rtxn, it);
		send_reply(s, it);
		api_release(it);
	}
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
	t2 = uv_hrtime();
	events_publish(&s->c);
	t3 = uv_hrtime();
	if (writes > 0) {
		stage_note(s, 0, t0 > s->batch_recv_ns ?
		    t0 - s->batch_recv_ns : 0);
		stage_note(s, 1, t1 - t0 - commit_ns);
		stage_note(s, 2, commit_ns);
		stage_note(s, 3, t2 - t1);
		stage_note(s, 4, t3 - t2);
	}
	queries_answer_waiters(&s->c, false);
	if (s->c.next_reg != NULL)
		switch_registry(s);
	http_note_batch(s->c.http, &s->c.stats, n, commit_ns);
	log_debug("batch: %zu requests, %zu writes", n, writes);
}

void
server_process(struct server *s, nng_msg **msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		s->items[i].msg = msgs[i];
	s->batch_recv_ns = uv_hrtime();
	process_batch(s, s->items, n);
}

static void
drain(struct server *s)
{
	size_t n;

	while ((n = take(s, s->items, s->c.cfg->batch_max)) > 0)
		process_batch(s, s->items, n);
}

/*
 * One batch per wake-up: under sustained load the queue never empties, and
 * looping here would starve the loop's other handles (signals, the
 * housekeeping timer). If more is queued, wake again after them.
 */
static void
on_wake(uv_async_t *h)
{
	struct server *s = h->data;
	size_t n = take(s, s->items, s->c.cfg->batch_max);
	bool more;

	if (n > 0)
		process_batch(s, s->items, n);
	uv_mutex_lock(&s->lock);
	more = s->q_len > 0;
	uv_mutex_unlock(&s->lock);
	if (more && !s->stopping)
		uv_async_send(&s->wake);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct server *s = h->data;

	if (s->stopping)
		return;
	s->stopping = true;
	log_info("signal %d: finishing the requests in hand, then stopping",
	    signum);
	/* No new requests; what was received is still applied and acked. */
	nng_aio_stop(s->recv_aio);
	drain(s);
	uv_close((uv_handle_t *)&s->wake, NULL);
	uv_close((uv_handle_t *)&s->sig_int, NULL);
	uv_close((uv_handle_t *)&s->sig_term, NULL);
	uv_close((uv_handle_t *)&s->sig_hup, NULL);
	uv_close((uv_handle_t *)&s->tick, NULL);
}

/*
 * Housekeeping on the loop thread, between batches (so still the only
 * writer): shelters that missed their deadline become stale, unacknowledged
 * critical alerts are published again. A write txn only when there is work.
 */
static void
on_tick(uv_timer_t *h)
{
	struct server *s = h->data;
	int64_t now = (int64_t)time(NULL);
	MDB_txn *txn = NULL;
	bool stale, alerts = false, holds, reserves;
	int rc;

	queries_answer_waiters(&s->c, true);
	/* Liveness for the subscribers: pub/sub has none of its own. */
	events_heartbeat(&s->c, uv_now(s->c.loop));
	/* Retention: its own small txn, so that neither blocks the other. */
	history_tick(&s->c, now);
	/* Structural shortages: every [planning] check_secs, its own txn. */
	planning_tick(&s->c, now);
	/* /metrics sees counters at most a tick old, even when idle. */
	http_note_batch(s->c.http, &s->c.stats, 0, 0);
	stale = occupancy_stale_any_due(&s->c, now);
	holds = place_any_expired(&s->c, now);
	reserves = reserves_any_expired(&s->c, now);
	if (store_begin(s->c.store, NULL, 0, &txn) == 0) {
		alerts = alerts_any_due(&s->c, txn, now);
		mdb_txn_abort(txn);
	}
	if (!stale && !alerts && !holds && !reserves)
		return;
	place_index_forget(s->c.pidx);
	if ((rc = store_begin(s->c.store, NULL, 1, &txn)) != 0)
		goto fail;
	rc = store_get_next_event_seq(s->c.store, txn, &s->c.next_event_seq);
	if (rc == 0 && stale)
		rc = occupancy_stale_sweep(&s->c, txn, now);
	if (rc == 0 && alerts)
		rc = alerts_reescalate(&s->c, txn, now);
	if (rc == 0 && holds)
		rc = place_expire(&s->c, txn, now);
	if (rc == 0 && reserves)
		rc = reserves_expire(&s->c, txn, now);
	if (rc == 0)
		rc = store_put_next_event_seq(s->c.store, txn,
		    s->c.next_event_seq);
	if (rc == 0) {
		rc = store_commit(txn);
		txn = NULL;
	}
	if (rc == 0) {
		place_index_forget(s->c.pidx);
		index_check(s);
		events_publish(&s->c);
		queries_answer_waiters(&s->c, false);
		return;
	}
fail:
	if (txn != NULL)
		mdb_txn_abort(txn);
	place_index_undo(s->c.pidx, 0);
	events_drop_from(&s->c, 0);
	log_err("housekeeping not committed: %s (retrying next tick)",
	    store_strerror(rc));
	/* Stale marks were cleared in memory; rebuild them from the store. */
	server_reconcile(s);
	events_publish(&s->c);
}

/* SIGHUP: new thresholds, deadlines and re-escalation time; sockets, data
 * dir and registry stay as they are. */
static void
on_hup(uv_signal_t *h, int signum)
{
	struct server *s = h->data;
	struct config next;
	int rc;

	(void)signum;
	if (s->reload == NULL || s->reload(&next, s->reload_arg) != 0) {
		log_err("SIGHUP: configuration not reloaded; keeping the "
		    "current one");
		return;
	}
	if (strcmp(next.api_url, s->c.cfg->api_url) != 0 ||
	    strcmp(next.events_url, s->c.cfg->events_url) != 0 ||
	    strcmp(next.http_url, s->c.cfg->http_url) != 0 ||
	    strcmp(next.http_token, s->c.cfg->http_token) != 0 ||
	    strcmp(next.data_dir, s->c.cfg->data_dir) != 0 ||
	    strcmp(next.registry_dir, s->c.cfg->registry_dir) != 0 ||
	    next.map_size_mb != s->c.cfg->map_size_mb)
		log_warn("SIGHUP: sockets, http, data dir, registry and map "
		    "size change only with a restart");
	s->c.cfg->esc = next.esc;
	s->c.cfg->limits = next.limits;
	s->c.cfg->deadline_secs = next.deadline_secs;
	http_set_deadline(s->c.http, next.deadline_secs);
	s->c.cfg->hold_ttl_secs = next.hold_ttl_secs; /* for holds made next */
	s->c.cfg->reescalate_secs = next.reescalate_secs;
	s->c.cfg->hist = next.hist;
	/* A new retention or interval applies at the next tick, not after
	 * the interval that was set when the last purge ran. */
	s->c.hist.next_purge_at = 0;
	/* Levels follow the new thresholds at once. */
	if ((rc = server_reconcile(s)) != 0)
		log_err("SIGHUP: re-evaluation failed: %s",
		    store_strerror(rc));
	events_publish(&s->c);
	log_info("SIGHUP: configuration reloaded (warning %u%%, critical "
	    "%u%%, hysteresis %u, deadline %u s, hold ttl %u s, "
	    "re-escalation %u s)",
	    s->c.cfg->esc.region_warning_pct,
	    s->c.cfg->esc.region_critical_pct,
	    s->c.cfg->esc.hysteresis_pct, s->c.cfg->deadline_secs,
	    s->c.cfg->hold_ttl_secs, s->c.cfg->reescalate_secs);
}

/* ---- setup ----------------------------------------------------------- */

static bool
is_tls(const char *url)
{
	return strncmp(url, "tls+tcp://", 10) == 0 ||
	    strncmp(url, "wss://", 6) == 0;
}

/* Loopback or local: plain text and unsigned requests are acceptable. */
/*
 * Mutual TLS: our certificate, and only clients holding a certificate from
 * our CA get in (NNG_TLS_AUTH_MODE_REQUIRED).
 */
static int
tls_config(const struct config *cfg, nng_tls_config **out)
{
	nng_tls_config *tls;
	int rv;

	if (cfg->tls_cert_file[0] == '\0' || cfg->tls_ca_file[0] == '\0') {
		log_err("a tls+tcp:// or wss:// listener needs [tls] cert_file "
		    "(certificate and key, PEM) and ca_file");
		return -1;
	}
	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_SERVER)) != 0 ||
	    (rv = nng_tls_config_cert_key_file(tls, cfg->tls_cert_file,
	    NULL)) != 0 ||
	    (rv = nng_tls_config_ca_file(tls, cfg->tls_ca_file)) != 0 ||
	    (rv = nng_tls_config_auth_mode(tls,
	    NNG_TLS_AUTH_MODE_REQUIRED)) != 0) {
		log_err("TLS setup (%s, %s): %s", cfg->tls_cert_file,
		    cfg->tls_ca_file, nng_strerror(rv));
		return -1;
	}
	*out = tls;
	return 0;
}

/*
 * Listen on url, or, where the guard takes url (guard.h), have nng listen
 * on 127.0.0.1 and the guard on url in front of it.
 */
static int
listen_on(const struct config *cfg, struct guard *g, nng_socket sock,
    const char *what, const char *url)
{
	nng_tls_config *tls = NULL;
	char inner[64];
	bool guarded = guard_wants(g, url, inner, sizeof(inner));
	/* The api's requests can be counted only in plain text. */
	int kind = strcmp(what, "api") == 0 && !is_tls(url) ? GUARD_SP_REQ :
	    GUARD_BYTES;
	nng_listener l;
	int port = 0, rv;

	if ((rv = nng_listener_create(&l, sock, guarded ? inner : url)) != 0)
		goto fail;
	if (is_tls(url)) {
		if (tls_config(cfg, &tls) != 0)
			return -1;
		rv = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls);
		/* The listener holds its own reference. */
		nng_tls_config_free(tls);
		if (rv != 0)
			goto fail;
	}
	if ((rv = nng_listener_start(l, 0)) != 0)
		goto fail;
	if (guarded && ((rv = nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT,
	    &port)) != 0 || guard_listen(g, what, url, (uint16_t)port,
	    kind) != 0))
		return -1;
	if (!is_tls(url) && !util_url_is_local(url))
		log_warn("%s listens in PLAIN TEXT on %s, beyond loopback: "
		    "use tls+tcp:// with [tls] in production", what, url);
	log_info("%s listening on %s%s%s", what, url, is_tls(url) ?
	    " (mutual TLS: client certificate required)" : "", guarded ?
	    " through the guard" : "");
	return 0;
fail:
	log_err("cannot listen for %s on %s: %s", what, url,
	    nng_strerror(rv));
	return -1;
}

static uint32_t
per_peer(const struct guard *g, const struct config *cfg, const char *url)
{
	char inner[64];

	return guard_wants(g, url, inner, sizeof(inner)) ? 0 :
	    cfg->max_connections_per_peer;
}

/* The dashboard's port, behind the guard where it takes it. */
static int
http_on(struct server *s, const struct config *cfg)
{
	char inner[64];
	bool guarded = cfg->http_url[0] != '\0' &&
	    guard_wants(s->guard, cfg->http_url, inner, sizeof(inner));
	const char *port = strrchr(inner, ':');

	if (http_init(&s->c.http, cfg, guarded ? inner : cfg->http_url,
	    s->c.reg, s->c.store, s->sub_conns) != 0)
		return -1;
	return guarded ? guard_listen(s->guard, "http", cfg->http_url,
	    (uint16_t)atoi(port + 1), GUARD_HTTP) : 0;
}

int
server_init(struct server *s, struct config *cfg,
    const struct registry *reg, struct store *st)
{
	int rv;

	memset(s, 0, sizeof(*s));
	s->c.cfg = cfg;
	s->c.reg = reg;
	s->c.store = st;
	s->c.loop = uv_default_loop();
	s->c.started_ns = uv_hrtime();
	s->q_cap = 1024;
	s->queue = malloc(s->q_cap * sizeof(*s->queue));
	s->q_ns = malloc(s->q_cap * sizeof(*s->q_ns));
	s->items = calloc(cfg->batch_max, sizeof(*s->items));
	s->c.stale_at = calloc(reg->n_shelters + 1, sizeof(*s->c.stale_at));
	s->c.new_hold = calloc(reg->n_shelters + 1, 1);
	REQUIRE(s->queue != NULL && s->q_ns != NULL && s->items != NULL &&
	    s->c.stale_at != NULL &&
	    s->c.new_hold != NULL);
	REQUIRE(uv_mutex_init(&s->lock) == 0);

	if ((rv = nng_rep0_open_raw(&s->c.api)) != 0 ||
	    (rv = nng_pub0_open(&s->c.events)) != 0) {
		log_err("cannot open sockets: %s", nng_strerror(rv));
		return -1;
	}
	/* A hard cap well above max_message_bytes: larger frames are cut off
	 * by nng itself; those in between get a clear TOO_LARGE reply. */
	nng_socket_set_size(s->c.api, NNG_OPT_RECVMAXSZ,
	    (size_t)cfg->max_message_bytes * 4);
	/* Subscribers send nothing; a peer that does is cut off. */
	nng_socket_set_size(s->c.events, NNG_OPT_RECVMAXSZ, 1024);
	/* Raw rep0 in nng 1.5.2 has no send buffer by default: a reply sent
	 * while another is still going out fails with NNG_EAGAIN and would be
	 * lost (found by tools/crashtest.py: ~1 in 4 acks with 2 concurrent
	 * clients). 8192 is nng's maximum. */
	if ((rv = nng_socket_set_int(s->c.api, NNG_OPT_SENDBUF, 8192)) != 0 ||
	    (rv = nng_socket_set_int(s->c.events, NNG_OPT_SENDBUF, 1024)) != 0)
		log_warn("cannot set send buffers: %s", nng_strerror(rv));
	/* Before the sockets listen: caps in total and per peer (behind the
	 * guard every peer is 127.0.0.1: the guard counts per peer). */
	s->guard = guard_new(cfg);
	if (conns_watch(&s->api_conns, s->c.api, "api connection",
	    cfg->max_connections, per_peer(s->guard, cfg,
	    cfg->api_url)) != 0 ||
	    conns_watch(&s->sub_conns, s->c.events, "subscriber",
	    cfg->max_connections, per_peer(s->guard, cfg,
	    cfg->events_url)) != 0)
		return -1;
	s->c.disc = disclosure_new(reg, cfg->privacy_k);
	if (http_on(s, cfg) != 0)
		return -1;
	http_set_registry(s->c.http, reg, s->c.disc);
	if (listen_on(cfg, s->guard, s->c.api, "api", cfg->api_url) != 0 ||
	    listen_on(cfg, s->guard, s->c.events, "events",
	    cfg->events_url) != 0 || guard_start(s->guard) != 0)
		return -1;
	/* main.c refused a non-local unsigned api and signing without keys
	 * before we got here. */
	if (cfg->allow_unsigned)
		log_warn("accepting UNSIGNED requests ([security] "
		    "allow_unsigned): anyone who can reach %s may report for "
		    "any shelter; for a local demo only", cfg->api_url);
	if (auth_init(&s->c) != 0 || audit_init(&s->c) != 0)
		return -1;

	REQUIRE(uv_async_init(s->c.loop, &s->wake, on_wake) == 0);
	s->wake.data = s;
	REQUIRE(uv_signal_init(s->c.loop, &s->sig_int) == 0);
	REQUIRE(uv_signal_init(s->c.loop, &s->sig_term) == 0);
	REQUIRE(uv_signal_init(s->c.loop, &s->sig_hup) == 0);
	REQUIRE(uv_timer_init(s->c.loop, &s->tick) == 0);
	s->sig_int.data = s->sig_term.data = s->sig_hup.data = s;
	s->tick.data = s;
	REQUIRE(nng_aio_alloc(&s->recv_aio, on_recv, s) == 0);
	return 0;
}

int
server_reconcile(struct server *s)
{
	MDB_txn *rtxn;
	int rc;

	if ((rc = occupancy_reconcile(&s->c)) != 0)
		return rc;
	/* The earliest running hold, for the expiry timer. */
	if ((rc = store_begin(s->c.store, NULL, 0, &rtxn)) != 0)
		return rc;
	rc = place_init(&s->c, rtxn);
	/* The first tick finds the earliest open reserve activation. */
	s->c.next_reserve_expiry = 1;
	/* Free beds from the stored states, not from what the txns before
	 * (one that failed, say) left in memory. */
	if (rc == 0)
		rc = place_index_build(&s->c, rtxn);
	mdb_txn_abort(rtxn);
	return rc;
}

int
server_run(struct server *s)
{
	int rc;

	if ((rc = server_reconcile(s)) != 0) {
		log_err("cannot reconcile the store: %s", store_strerror(rc));
		return -1;
	}
	events_publish(&s->c);
	/* The day's history checkpoint before the first report, not at the
	 * first tick (which a loaded machine may run after reports). */
	history_tick(&s->c, (int64_t)time(NULL));
	uv_signal_start(&s->sig_int, on_signal, SIGINT);
	uv_signal_start(&s->sig_term, on_signal, SIGTERM);
	uv_signal_start(&s->sig_hup, on_hup, SIGHUP);
	uv_timer_start(&s->tick, on_tick, s->c.cfg->tick_ms,
	    s->c.cfg->tick_ms);
	nng_recv_aio(s->c.api, s->recv_aio);
	log_info("ready: %zu regions, %zu shelters", s->c.reg->n_regions,
	    s->c.reg->n_shelters);
	uv_run(s->c.loop, UV_RUN_DEFAULT);
	log_info("stopped: %" PRIu64 " requests in %" PRIu64 " batches, %"
	    PRIu64 " updates applied, %" PRIu64 " events published",
	    s->c.stats.requests, s->c.stats.batches,
	    s->c.stats.updates_applied, s->c.stats.events_published);
	stages_log(s);
	return 0;
}

void
server_deinit(struct server *s)
{
	/* First: its handlers read the store, which closes after us. */
	http_deinit(s->c.http);
	s->c.http = NULL;
	log_debug("teardown: http done");
	if (s->recv_aio != NULL) {
		nng_aio_stop(s->recv_aio);
		nng_aio_free(s->recv_aio);
	}
	log_debug("teardown: receive stopped");
	/* Give nng a moment to flush the last replies before closing. */
	nng_msleep(50);
	nng_close(s->c.api);
	log_debug("teardown: api closed");
	nng_close(s->c.events);
	log_debug("teardown: events closed");
	/* After nng: what it sent last is on its way through. */
	guard_free(s->guard);
	s->guard = NULL;
	conns_close(s->api_conns);
	conns_close(s->sub_conns);
	for (size_t i = 0; i < s->q_len; i++)
		nng_msg_free(s->queue[(s->q_head + i) % s->q_cap]);
	events_drop_from(&s->c, 0);
	free(s->c.pending_events);
	free(s->queue);
	free(s->q_ns);
	free(s->items);
	free(s->units);
	free(s->c.stale_at);
	auth_deinit(&s->c);
	audit_deinit(&s->c);
	for (size_t i = 0; i < s->c.n_waiters; i++)
		nng_msg_free(s->c.waiters[i].msg);
	free(s->c.waiters);
	free(s->c.new_hold);
	disclose_free(s->c.disc);
	free(s->c.disc);
	place_index_end(&s->c);
	reserve_overlay_free(&s->c.resv);
	if (s->reg_owned != NULL) {
		registry_free(s->reg_owned);
		free(s->reg_owned);
		s->reg_owned = NULL;
	}
	uv_mutex_destroy(&s->lock);
	uv_loop_close(s->c.loop);
}
