/*
 * queries.c — the read verbs whose data has no other module: status,
 * shelter, regions, events since and holds. Each answers from the batch's
 * read txn and packs its reply itself (the reply points into its stack).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "build_config.h"
#include "disclose.h"
#include "events.h"
#include "log.h"
#include "occupancy.h"
#include "placements.h"
#include "queries.h"
#include "regionplan.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"
#include "wire.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* Shared storage for one status reply, freed after packing. */
struct status_buf {
	Shelterd__V1__StatusReply status;
	Shelterd__V1__RegionStatus *regions, **region_ptrs;
	Shelterd__V1__CategoryTotals *totals, **total_ptrs;
};

static bool
entitled(const struct identity *who)
{
	return who->role == ROLE_NONE || who->role == ROLE_NATIONAL ||
	    who->role == ROLE_OPERATOR;
}

/* Status as who may see it: cells of too few shelters merged
 * (core/disclose.h) unless who is entitled to them. */
static int
build_status(struct ctx *s, MDB_txn *txn, const struct identity *who,
    struct status_buf *b)
{
	size_t nr = s->reg->n_regions, nt = (nr + 1) * CAT_COUNT;
	int64_t now = (int64_t)time(NULL);
	uint32_t open[CAT_COUNT];
	struct aggregate agg;
	int rc;

	shelterd__v1__status_reply__init(&b->status);
	b->regions = calloc(nr, sizeof(*b->regions));
	b->region_ptrs = calloc(nr, sizeof(*b->region_ptrs));
	b->totals = calloc(nt, sizeof(*b->totals));
	b->total_ptrs = calloc(nt, sizeof(*b->total_ptrs));
	REQUIRE(b->regions && b->region_ptrs && b->totals && b->total_ptrs);
	for (size_t i = 0; i < nt; i++)
		b->total_ptrs[i] = &b->totals[i];
	for (size_t r = 0; r < nr; r++) {
		const struct reg_region *reg = &s->reg->regions[r];
		Shelterd__V1__RegionStatus *rs = &b->regions[r];

		if ((rc = store_get_region(s->store, txn, reg->id, &agg)) != 0)
			return rc;
		shelterd__v1__region_status__init(rs);
		rs->region_id = (char *)reg->id;
		rs->name = (char *)reg->name;
		rs->shelters = reg->n_shelters;
		rs->shelters_reported = agg.shelters_reported;
		rs->shelters_stale = agg.shelters_stale;
		rs->n_totals = CAT_COUNT;
		rs->totals = &b->total_ptrs[r * CAT_COUNT];
		for (int c = 0; c < CAT_COUNT; c++)
			totals_fill(rs->totals[c], c + 1, &agg.cat[c],
			    &agg.outlook[c], &agg.cov[c]);
		if ((rc = regionplan_fill(s->reg, occupancy_reserves(s),
		    s->store, txn, r, rs->totals, now)) != 0)
			return rc;
		/* After the plan's figures: a merged cell shows none. */
		for (int c = 0; c < CAT_COUNT; c++)
			if (!disclose_may_see_cell(who, s->disc, s->reg, r,
			    c + 1))
				totals_merge(rs->totals[c]);
		b->region_ptrs[r] = rs;
	}
	if ((rc = store_get_national(s->store, txn, &agg)) != 0 ||
	    (rc = store_get_next_event_seq(s->store, txn,
	    &b->status.last_event_seq)) != 0 ||
	    (rc = regionplan_reserve_open(s->store, txn, NULL, now,
	    open)) != 0)
		return rc;
	b->status.last_event_seq--;
	b->status.n_regions = nr;
	b->status.regions = b->region_ptrs;
	b->status.n_national = CAT_COUNT;
	b->status.national = &b->total_ptrs[nr * CAT_COUNT];
	for (int c = 0; c < CAT_COUNT; c++) {
		totals_fill(b->status.national[c], c + 1, &agg.cat[c],
		    &agg.outlook[c], &agg.cov[c]);
		reserve_sum(s->reg, occupancy_reserves(s), -1, c + 1,
		    &b->status.national[c]->reserve_24h,
		    &b->status.national[c]->reserve_72h);
		b->status.national[c]->reserve_open = open[c];
		if (!entitled(who) &&
		    !disclose_national_public(s->disc, c + 1))
			totals_merge(b->status.national[c]);
	}
	return 0;
}

static void
free_status(struct status_buf *b)
{
	free(b->regions);
	free(b->region_ptrs);
	free(b->totals);
	free(b->total_ptrs);
}

/* A page of the event log as one party may see it. */
struct events_buf {
	const struct ctx *s;
	const struct identity *who;
	Shelterd__V1__Event **v;
	size_t n, cap;
	uint64_t scanned_to;  /* the last event read, seen or skipped */
	Shelterd__V1__EventsPage page;
};

static int
collect_event(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct events_buf *b = arg;
	Shelterd__V1__Event *ev = shelterd__v1__event__unpack(NULL, len, data);
	struct subject sub;

	b->scanned_to = seq;
	if (ev == NULL) {
		log_err("event %" PRIu64 " in the log does not decode", seq);
		return 0; /* skip it rather than hide the rest */
	}
	event_subject(ev, &sub);
	if (!disclose_may_see(b->who, b->s->disc, b->s->reg, &sub)) {
		shelterd__v1__event__free_unpacked(ev, NULL);
		return 0;
	}
	b->v[b->n++] = ev;
	return b->n == b->cap; /* full: stop here */
}

/* Events read per event shown, at most: a party that may see few of them
 * gets a shorter page and scanned_to_seq to go on from, not a long scan. */
enum { EVENTS_SCAN_FACTOR = 16 };

/*
 * Fill b->page with up to limit events after `after` that who may see.
 * 0 or STORE_E*; events_page_free() in every case.
 */
static int
events_page(const struct ctx *s, MDB_txn *rtxn, const struct identity *who,
    uint64_t after, uint32_t limit, struct events_buf *b)
{
	uint64_t next;
	int rc;

	if (limit == 0 || limit > s->cfg->events_page_max)
		limit = s->cfg->events_page_max;
	memset(b, 0, sizeof(*b));
	shelterd__v1__events_page__init(&b->page);
	b->s = s;
	b->who = who;
	b->cap = limit;
	b->scanned_to = after;
	b->v = calloc(limit, sizeof(*b->v));
	REQUIRE(b->v != NULL);
	rc = store_events_since(s->store, rtxn, after,
	    (size_t)limit * EVENTS_SCAN_FACTOR, collect_event, b);
	if (rc == 0)
		rc = store_get_next_event_seq(s->store, rtxn, &next);
	if (rc != 0)
		return rc;
	b->page.events = b->v;
	b->page.n_events = b->n;
	b->page.last_event_seq = next - 1;
	/* The last event read, shown or not: the newest when the scan
	 * reached the end, else where the scan's bound stopped it. */
	b->page.scanned_to_seq = b->scanned_to;
	return 0;
}

static void
events_page_free(struct events_buf *b)
{
	for (size_t i = 0; i < b->n; i++)
		shelterd__v1__event__free_unpacked(b->v[i], NULL);
	free(b->v);
}

void
queries_status(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	struct status_buf b;
	int rc;

	if ((rc = build_status(s, rtxn, &it->who, &b)) == 0) {
		reply->body_case = SHELTERD__V1__REPLY__BODY_STATUS;
		reply->status = &b.status;
		api_pack(it, reply);
	} else {
		it->res.rc = rc;
	}
	free_status(&b);
}

void
queries_shelter(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	struct shelter_fill f;
	const char *id = it->req->shelter->shelter_id;
	const struct reg_shelter *sh = registry_shelter(s->reg, id ? id : "");
	struct shelter_state st;
	int rc;

	if (sh == NULL) {
		op_fail(&it->res, CODE(NOT_FOUND), "no shelter '%.40s' in the "
		    "registry", id ? id : "");
		return;
	}
	if ((rc = store_get_shelter(s->store, rtxn, sh->id, &st)) != 0) {
		it->res.rc = rc;
		return;
	}
	wire_shelter(&f, s->reg, sh, &st,
	    (uint32_t)occupancy_deadline(s, sh));
	reply->body_case = SHELTERD__V1__REPLY__BODY_SHELTER;
	reply->shelter = &f.sr;
	api_pack(it, reply);
}

void
queries_regions(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	size_t nr = s->reg->n_regions;
	Shelterd__V1__RegionsReply rr = SHELTERD__V1__REGIONS_REPLY__INIT;
	Shelterd__V1__RegionInfo *info = calloc(nr, sizeof(*info));
	Shelterd__V1__RegionInfo **ptrs = calloc(nr, sizeof(*ptrs));
	char **neigh = calloc(nr * REG_NEIGHBOURS_MAX, sizeof(*neigh));

	(void)rtxn;
	REQUIRE(info && ptrs && neigh);
	for (size_t r = 0; r < nr; r++) {
		const struct reg_region *reg = &s->reg->regions[r];

		shelterd__v1__region_info__init(&info[r]);
		info[r].region_id = (char *)reg->id;
		info[r].name = (char *)reg->name;
		info[r].shelters = reg->n_shelters;
		info[r].neighbours = &neigh[r * REG_NEIGHBOURS_MAX];
		info[r].n_neighbours = reg->n_neighbours;
		for (size_t k = 0; k < reg->n_neighbours; k++)
			info[r].neighbours[k] = (char *)
			    s->reg->regions[reg->neighbours[k]].id;
		ptrs[r] = &info[r];
	}
	rr.n_regions = nr;
	rr.regions = ptrs;
	reply->body_case = SHELTERD__V1__REPLY__BODY_REGIONS;
	reply->regions = &rr;
	api_pack(it, reply);
	free(info);
	free(ptrs);
	free(neigh);
}

/* Park a query until its answer may change or wait_ms passed. */
static bool
park(struct ctx *s, nng_msg *msg, const struct waiter *w, uint32_t wait_ms)
{
	/* Bounded: each parked query holds a message and a connection. */
	if (s->n_waiters >= s->cfg->max_waiters)
		return false;
	if (s->n_waiters == s->cap_waiters) {
		size_t cap = s->cap_waiters ? s->cap_waiters * 2 : 16;
		void *p = realloc(s->waiters, cap * sizeof(*s->waiters));

		REQUIRE(p != NULL);
		s->waiters = p;
		s->cap_waiters = cap;
	}
	s->waiters[s->n_waiters] = *w;
	s->waiters[s->n_waiters].msg = msg;
	s->waiters[s->n_waiters].deadline_ms = (int64_t)uv_now(s->loop) +
	    wait_ms;
	s->n_waiters++;
	return true;
}

void
queries_events_since(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__EventsSince *q = it->req->events_since;
	struct events_buf b;
	int rc;

	rc = events_page(s, rtxn, &it->who, q->after_seq, q->limit, &b);
	if (rc == 0 && b.n == 0 && q->wait_ms > 0 &&
	    b.scanned_to < UINT64_MAX - 1) {
		/* A long poll: answered when an event it may see commits
		 * (queries_answer_waiters), or empty when the wait ends. */
		struct waiter w = { .events = true, .who = it->who,
		    .after_seq = b.scanned_to, .limit = q->limit };

		events_page_free(&b);
		if (!park(s, it->msg, &w, q->wait_ms)) {
			op_fail(&it->res, CODE(BUSY), "too many waiting "
			    "queries; ask again without a wait");
			return;
		}
		it->msg = NULL;
		return;
	}
	if (rc == 0) {
		reply->body_case = SHELTERD__V1__REPLY__BODY_EVENTS;
		reply->events = &b.page;
		api_pack(it, reply);
	} else {
		it->res.rc = rc;
	}
	events_page_free(&b);
}

void
queries_holds(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__HoldsQuery *q = it->req->holds;
	const char *id = q->shelter_id;
	const struct reg_shelter *sh = registry_shelter(s->reg, id ? id : "");
	size_t n;
	int rc;

	if (sh == NULL) {
		op_fail(&it->res, CODE(UNKNOWN_SHELTER), "unknown shelter "
		    "'%.31s'", id ? id : "");
		return;
	}
	rc = place_list(s, rtxn, sh->id, NULL, WIRE_SHELTER, reply, NULL, &n,
	    api_pack_msg);
	if (rc == 0 && (n == 0 || q->wait_for_new) && q->wait_ms > 0) {
		/* Nothing (new) yet: answer when a hold arrives. */
		struct waiter w = {
			.shelter = (uint32_t)(sh - s->reg->shelters) };

		if (!park(s, it->msg, &w, q->wait_ms)) {
			op_fail(&it->res, CODE(BUSY), "too many waiting holds "
			    "queries; ask again without --wait");
			return;
		}
		it->msg = NULL;
		return;
	}
	if (rc == 0)
		rc = place_list(s, rtxn, sh->id, NULL, WIRE_SHELTER, reply,
		    it->msg, &n, api_pack_msg);
	if (rc != 0)
		it->res.rc = rc;
	else
		it->packed = true;
}

void
queries_reply_holds(struct ctx *s, MDB_txn *rtxn, uint32_t shelter,
    nng_msg *msg)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	size_t n;

	if (place_list(s, rtxn, s->reg->shelters[shelter].id, NULL,
	    WIRE_SHELTER, &reply, msg, &n, api_pack_msg) != 0) {
		reply.body_case = SHELTERD__V1__REPLY__BODY__NOT_SET;
		reply.code = CODE(INTERNAL);
		reply.error = (char *)"cannot read the store";
		api_pack_msg(msg, &reply);
	}
}

void
queries_ping(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__Pong pong = SHELTERD__V1__PONG__INIT;
	uint64_t now_ns = uv_hrtime(), next;
	int rc;

	if ((rc = store_get_next_event_seq(s->store, rtxn, &next)) != 0) {
		it->res.rc = rc;
		return;
	}
	pong.version = (char *)SHELTERD_VERSION;
	pong.now = (int64_t)time(NULL);
	pong.last_event_seq = next - 1;
	pong.queued = (uint32_t)s->queued;
	pong.last_commit_age_ms = s->last_commit_ns == 0 ? -1 :
	    (int64_t)((now_ns - s->last_commit_ns) / 1000000);
	pong.uptime_secs = (now_ns - s->started_ns) / 1000000000;
	reply->body_case = SHELTERD__V1__REPLY__BODY_PONG;
	reply->pong = &pong;
	api_pack(it, reply);
}

/*
 * A parked events_since: pack its page into w->msg when it has an event
 * now, or when its wait is over (expired: an empty page then). false: keep
 * it parked.
 */
static bool
reply_events(struct ctx *s, MDB_txn *rtxn, struct waiter *w, bool expired)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	struct events_buf b;
	int rc;

	rc = events_page(s, rtxn, &w->who, w->after_seq, w->limit, &b);
	if (rc == 0 && b.n == 0 && !expired) {
		w->after_seq = b.scanned_to; /* skip what it may not see */
		events_page_free(&b);
		return false;
	}
	if (rc == 0) {
		reply.body_case = SHELTERD__V1__REPLY__BODY_EVENTS;
		reply.events = &b.page;
	} else {
		reply.code = (Shelterd__V1__Code)op_wire_code(
		    &(struct op_result){ .rc = rc });
		reply.error = (char *)store_strerror(rc);
	}
	api_pack_msg(w->msg, &reply);
	events_page_free(&b);
	return true;
}

/*
 * Answer parked queries whose answer may have changed in the txn that just
 * committed (expired_only = false: holds queries whose shelter got a hold,
 * events_since polls that may see a new event), or whose wait ran out
 * (expired_only = true: with whatever there is).
 */
void
queries_answer_waiters(struct ctx *s, bool expired_only)
{
	int64_t now_ms = (int64_t)uv_now(s->loop);
	MDB_txn *rtxn = NULL;
	size_t kept = 0;

	if (s->n_waiters == 0 ||
	    (!expired_only && !s->any_new_hold && !s->any_new_event))
		goto out;
	for (size_t i = 0; i < s->n_waiters; i++) {
		struct waiter *w = &s->waiters[i];
		bool due = expired_only ? w->deadline_ms <= now_ms :
		    w->events ? s->any_new_event :
		    s->new_hold[w->shelter] != 0;

		if (!due) {
			s->waiters[kept++] = *w;
			continue;
		}
		if (rtxn == NULL &&
		    store_begin(s->store, NULL, 0, &rtxn) != 0) {
			s->waiters[kept++] = *w; /* try again next time */
			continue;
		}
		if (!w->events)
			queries_reply_holds(s, rtxn, w->shelter, w->msg);
		else if (!reply_events(s, rtxn, w, expired_only)) {
			s->waiters[kept++] = *w;
			continue;
		}
		if (nng_sendmsg(s->api, w->msg, NNG_FLAG_NONBLOCK) != 0) {
			s->stats.replies_dropped++;
			log_warn("%s reply dropped", w->events ?
			    "events_since" : "holds");
			nng_msg_free(w->msg);
		}
	}
	s->n_waiters = kept;
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
out:
	if (s->any_new_hold)
		memset(s->new_hold, 0, s->reg->n_shelters + 1);
	s->any_new_hold = false;
	if (!expired_only)
		s->any_new_event = false;
}

