/*
 * node.c — shelter-node's loop: local api, outbox forwarding and event
 * federation (see node.h and docs/node.md).
 */
#include "node.h"

#include <inttypes.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "log.h"
#include "result.h"
#include "wire.h"
#include "util.h"
#include "topic.h"
#include "validate.h"
#include "wirecheck.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define EV_QUEUE_MAX 100000

/* ---- nng threads: queue and wake the loop ------------------------------ */

static void
push(nng_msg ***q, size_t *len, size_t *cap, nng_msg *m)
{
	if (*len == *cap) {
		size_t nc = *cap ? *cap * 2 : 256;
		nng_msg **p = realloc(*q, nc * sizeof(*p));

		REQUIRE(p != NULL);
		*q = p;
		*cap = nc;
	}
	(*q)[(*len)++] = m;
}

static void
on_api_recv(void *arg)
{
	struct node *n = arg;
	bool rearm;

	if (nng_aio_result(n->api_aio) != 0)
		return; /* closed or stopped */
	uv_mutex_lock(&n->lock);
	push(&n->q, &n->q_len, &n->q_cap, nng_aio_get_msg(n->api_aio));
	/* Bounded like shelterd's queue: a full one pauses receiving. */
	rearm = n->q_len < NODE_TURN_MAX * 4;
	n->api_paused = !rearm;
	uv_mutex_unlock(&n->lock);
	uv_async_send(&n->wake);
	if (rearm)
		nng_recv_aio(n->api, n->api_aio);
}

static void
on_sub_recv(void *arg)
{
	struct node *n = arg;
	nng_msg *m;

	if (nng_aio_result(n->sub_aio) != 0)
		return;
	m = nng_aio_get_msg(n->sub_aio);
	uv_mutex_lock(&n->lock);
	/* Dropping is safe: the gap is seen and fetched by event_seq. */
	if (n->evq_len < EV_QUEUE_MAX) {
		push(&n->evq, &n->evq_len, &n->evq_cap, m);
		m = NULL;
	}
	uv_mutex_unlock(&n->lock);
	if (m != NULL)
		nng_msg_free(m);
	uv_async_send(&n->wake);
	nng_recv_aio(n->sub, n->sub_aio);
}

/* ---- upstream callers (worker threads: nng I/O only) ------------------- */

static void
caller_main(void *arg)
{
	struct caller *c = arg;

	uv_mutex_lock(&c->lock);
	for (;;) {
		Shelterd__V1__Request *req;
		Shelterd__V1__Reply *reply = NULL;
		char err[512] = "";
		int rc;

		while (!c->quit && c->req == NULL)
			uv_cond_wait(&c->cond, &c->lock);
		if (c->quit)
			break;
		req = c->req;
		uv_mutex_unlock(&c->lock);
		/* client_call dials, signs (--key) and does TLS like the
		 * CLIs; the key was loaded before the threads started. */
		rc = client_call(c->url, (int)c->n->cfg->call_timeout_ms, req,
		    &reply, err, sizeof(err));
		uv_mutex_lock(&c->lock);
		c->req = NULL;
		c->reply = reply;
		c->rc = rc;
		memcpy(c->err, err, sizeof(err));
		c->finished = true;
		uv_async_send(&c->done);
	}
	uv_mutex_unlock(&c->lock);
}

static void
caller_done_cb(uv_async_t *h)
{
	struct caller *c = h->data;
	bool finished;

	uv_mutex_lock(&c->lock);
	finished = c->finished;
	c->finished = false;
	uv_mutex_unlock(&c->lock);
	if (finished) {
		c->on_done(c);
		if (c->reply != NULL)
			shelterd__v1__reply__free_unpacked(c->reply, NULL);
		c->reply = NULL;
		c->busy = false;
	}
}

static void
caller_start(struct caller *c, Shelterd__V1__Request *req)
{
	c->busy = true;
	uv_mutex_lock(&c->lock);
	c->req = req;
	uv_cond_signal(&c->cond);
	uv_mutex_unlock(&c->lock);
}

static void
caller_init(struct node *n, struct caller *c, const char *url,
    void (*on_done)(struct caller *))
{
	c->n = n;
	c->url = url;
	c->on_done = on_done;
	REQUIRE(uv_mutex_init(&c->lock) == 0);
	REQUIRE(uv_cond_init(&c->cond) == 0);
	REQUIRE(uv_async_init(n->loop, &c->done, caller_done_cb) == 0);
	c->done.data = c;
	REQUIRE(uv_thread_create(&c->thread, caller_main, c) == 0);
}

/* Waits for a call in progress (at most call_timeout_ms): the thread must
 * be gone before its async handle closes. */
static void
caller_stop(struct caller *c)
{
	uv_mutex_lock(&c->lock);
	c->quit = true;
	uv_cond_signal(&c->cond);
	uv_mutex_unlock(&c->lock);
	uv_thread_join(&c->thread);
	uv_close((uv_handle_t *)&c->done, NULL);
}

/* ---- local api --------------------------------------------------------- */

/* What became of one update (the daemon's struct update_result). */
struct result {
	struct op_result res;
	bool duplicate;
	uint8_t over;
};

struct item {
	nng_msg *msg;
	Shelterd__V1__Request *req;
	Shelterd__V1__SignedRequest *env;
	struct op_result res;         /* the request as a whole */
	Shelterd__V1__OccupancyUpdate **ups;
	size_t n_ups;
	struct result *results;
	bool write;
};

static int64_t
now_secs(void)
{
	return (int64_t)time(NULL);
}

static void
decode(struct node *n, struct item *it)
{
	size_t len = nng_msg_len(it->msg);
	const uint8_t *body = nng_msg_body(it->msg);

	memset(&it->req, 0, sizeof(*it) - offsetof(struct item, req));
	if (len > NODE_MSG_MAX) {
		it->res.rc = CODE(TOO_LARGE);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "request of %zu bytes is "
		    "larger than the limit of %d", len, NODE_MSG_MAX);
		return;
	}
	it->req = shelterd__v1__request__unpack(NULL, len, body);
	if (it->req != NULL &&
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY__NOT_SET) {
		/* A signed envelope (its fields never occur in a Request).
		 * The node's api is local only and takes unsigned requests,
		 * so the envelope is opened, not verified: the node signs
		 * what it forwards with the region's own key. */
		it->env = shelterd__v1__signed_request__unpack(NULL, len,
		    body);
		if (it->env != NULL && it->env->signed_request.len > 0) {
			shelterd__v1__request__free_unpacked(it->req, NULL);
			it->req = shelterd__v1__request__unpack(NULL,
			    it->env->signed_request.len,
			    it->env->signed_request.data);
		}
	}
	if (it->req == NULL) {
		it->res.rc = CODE(BAD_REQUEST);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "not a shelterd.v1 "
		    "Request");
		return;
	}
	/* Every string, as the daemon checks them (core/wirecheck.c). */
	if (it->env != NULL && it->env->signed_request.len > 0) {
		body = it->env->signed_request.data;
		len = it->env->signed_request.len;
	}
	if (wirecheck_strings(&shelterd__v1__request__descriptor, body, len,
	    it->res.msg, sizeof(it->res.msg)) != 0) {
		it->res.rc = CODE(BAD_REQUEST);
		return;
	}
	switch (it->req->body_case) {
	case SHELTERD__V1__REQUEST__BODY_UPDATE:
		it->ups = &it->req->update;
		it->n_ups = 1;
		break;
	case SHELTERD__V1__REQUEST__BODY_BATCH:
		it->ups = it->req->batch->updates;
		it->n_ups = it->req->batch->n_updates;
		if (it->n_ups == 0 || it->n_ups > NODE_BATCH_MAX) {
			it->res.rc = CODE(BAD_REQUEST);
			snprintf(it->res.msg, sizeof(it->res.msg),
			    "a batch holds 1 "
			    "to %d updates, not %zu", NODE_BATCH_MAX,
			    it->n_ups);
			return;
		}
		break;
	case SHELTERD__V1__REQUEST__BODY_STATUS:
	case SHELTERD__V1__REQUEST__BODY_SHELTER:
	case SHELTERD__V1__REQUEST__BODY_REGIONS:
	case SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE:
		return;
	case SHELTERD__V1__REQUEST__BODY__NOT_SET:
		it->res.rc = CODE(BAD_REQUEST);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "empty request: set one "
		    "of update, batch, status, shelter, regions, "
		    "events_since");
		return;
	default:
		it->res.rc = CODE(BAD_REQUEST);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "shelter-node %s answers "
		    "update, batch, status, shelter, regions and "
		    "events_since; ask the national daemon for anything else",
		    n->reg->regions[n->region].id);
		return;
	}
	it->results = calloc(it->n_ups, sizeof(*it->results));
	REQUIRE(it->results != NULL);
	it->write = true;
}

static void
release(struct item *it)
{
	if (it->req != NULL)
		shelterd__v1__request__free_unpacked(it->req, NULL);
	if (it->env != NULL)
		shelterd__v1__signed_request__free_unpacked(it->env, NULL);
	free(it->results);
	it->req = NULL;
	it->env = NULL;
	it->results = NULL;
}

/*
 * Validate one report and, when it is new, store it as the shelter's latest
 * and append it to the outbox, in txn. Returns an LMDB code; the verdict on
 * the report itself goes to *r.
 */
static int
apply_update(struct node *n, MDB_txn *txn,
    const Shelterd__V1__OccupancyUpdate *u, struct result *r, int64_t now)
{
	const struct reg_shelter *sh;
	struct shelter_state stored, next;
	uint8_t key[8], *val;
	size_t plen;
	MDB_val k, v;
	int rc, verdict;

	r->res.rc = validate_update(u, n->reg, &n->limits, now, &sh, &next,
	    &r->over, r->res.msg, sizeof(r->res.msg));
	if (r->res.rc != 0)
		return 0;
	if (sh->region != n->region) {
		r->res.rc = CODE(FORBIDDEN);
		snprintf(r->res.msg, sizeof(r->res.msg),
		    "shelter %s belongs to "
		    "region %s; this node serves %s only: report to %s's node "
		    "or to the national daemon", sh->id,
		    n->reg->regions[sh->region].id,
		    n->reg->regions[n->region].id,
		    n->reg->regions[sh->region].id);
		return 0;
	}
	if ((rc = nstore_get_shelter(&n->st, txn, sh->id, &stored)) != 0)
		return rc;
	/* The same ordering rule as the national daemon: same seq is
	 * acknowledged again, an older one refused. */
	verdict = validate_seq(&stored, &next, r->res.msg,
	    sizeof(r->res.msg));
	if (verdict < 0) {
		r->res.rc = -verdict;
		return 0;
	}
	if (verdict == SEQ_DUPLICATE) {
		r->duplicate = true;
		return 0;
	}
	next.received_at = now;
	if ((rc = nstore_put_shelter(&n->st, txn, sh->id, &next)) != 0)
		return rc;
	plen = shelterd__v1__occupancy_update__get_packed_size(u);
	val = malloc(8 + plen);
	REQUIRE(val != NULL);
	util_put_be64(val, (uint64_t)now);
	shelterd__v1__occupancy_update__pack(u, val + 8);
	util_put_be64(key, n->next_fwd);
	k.mv_size = 8;
	k.mv_data = key;
	v.mv_size = 8 + plen;
	v.mv_data = val;
	rc = mdb_put(txn, n->st.outbox, &k, &v, MDB_APPEND);
	free(val);
	if (rc == 0)
		n->next_fwd++;
	return rc;
}

static void
reply_pack(nng_msg *msg, const Shelterd__V1__Reply *reply)
{
	size_t len = shelterd__v1__reply__get_packed_size(reply);

	/* Clearing keeps the header: it routes the reply to its requester. */
	nng_msg_clear(msg);
	REQUIRE(nng_msg_realloc(msg, len) == 0);
	shelterd__v1__reply__pack(reply, nng_msg_body(msg));
}


static void
reply_updates(struct item *it, Shelterd__V1__Reply *reply)
{
	size_t cnt = it->n_ups;
	Shelterd__V1__BatchAck batch = SHELTERD__V1__BATCH_ACK__INIT;
	Shelterd__V1__UpdateResult *res = calloc(cnt, sizeof(*res));
	Shelterd__V1__UpdateResult **rp = calloc(cnt, sizeof(*rp));
	Shelterd__V1__UpdateAck *acks = calloc(cnt, sizeof(*acks));
	char (*warn)[CAT_COUNT][96] = calloc(cnt, sizeof(*warn));
	char *(*wp)[CAT_COUNT] = calloc(cnt, sizeof(*wp));

	REQUIRE(res && rp && acks && warn && wp);
	for (size_t i = 0; i < cnt; i++) {
		shelterd__v1__update_result__init(&res[i]);
		res[i].code = (Shelterd__V1__Code)op_wire_code(
		    &it->results[i].res);
		res[i].error = it->results[i].res.msg;
		if (it->results[i].res.rc == CODE(OK)) {
			validate_fill_ack(&acks[i], it->ups[i],
			    it->results[i].duplicate, it->results[i].over,
			    warn[i], wp[i]);
			res[i].ack = &acks[i];
		}
		rp[i] = &res[i];
	}
	if (it->req->body_case == SHELTERD__V1__REQUEST__BODY_UPDATE) {
		/* A single update: its verdict is the reply's. */
		reply->code = res[0].code;
		reply->error = res[0].error;
		if (res[0].ack != NULL) {
			reply->body_case = SHELTERD__V1__REPLY__BODY_ACK;
			reply->ack = res[0].ack;
		}
	} else {
		batch.n_results = cnt;
		batch.results = rp;
		reply->body_case = SHELTERD__V1__REPLY__BODY_BATCH;
		reply->batch = &batch;
	}
	reply_pack(it->msg, reply);
	free(res);
	free(rp);
	free(acks);
	free(warn);
	free(wp);
}

/* "N reports wait for the national daemon, the oldest for S s" */
static void
backlog_text(struct node *n, MDB_txn *txn, char *buf, size_t len)
{
	size_t count;
	int64_t oldest;

	if (nstore_backlog(&n->st, txn, &count, &oldest) != 0) {
		snprintf(buf, len, "outbox unreadable");
		return;
	}
	if (count == 0)
		snprintf(buf, len, "node %s: up to date with the national "
		    "daemon", n->reg->regions[n->region].id);
	else
		snprintf(buf, len, "node %s: %zu report%s wait%s for the "
		    "national daemon, the oldest for %" PRId64 " s%s",
		    n->reg->regions[n->region].id, count, count == 1 ? "" :
		    "s", count == 1 ? "s" : "", now_secs() - oldest,
		    n->down_since ? " (national daemon unreachable)" : "");
}

/* The region's status from the node's own latest reports. Levels are the
 * national daemon's business (its events come through the node). */
static int
reply_status(struct node *n, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const struct reg_region *rg = &n->reg->regions[n->region];
	Shelterd__V1__StatusReply sr = SHELTERD__V1__STATUS_REPLY__INIT;
	Shelterd__V1__RegionStatus rs = SHELTERD__V1__REGION_STATUS__INIT;
	Shelterd__V1__RegionStatus *rsp = &rs;
	Shelterd__V1__CategoryTotals tot[CAT_COUNT], *tp[CAT_COUNT];
	struct aggregate agg;
	char note[200];
	int rc;

	memset(&agg, 0, sizeof(agg));
	for (size_t i = 0; i < n->reg->n_shelters; i++) {
		const struct reg_shelter *sh = &n->reg->shelters[i];
		struct shelter_state st;

		if (sh->region != n->region)
			continue;
		if ((rc = nstore_get_shelter(&n->st, txn, sh->id, &st)) != 0)
			return rc;
		aggregate_add(&agg, &st, 1);
		for (int c = 0; c < CAT_COUNT; c++)
			if (sh->categories & (1u << c)) {
				agg.cov[c].registered_capacity +=
				    sh->nominal[c];
				agg.cov[c].registered_shelters++;
			}
	}
	rs.region_id = (char *)rg->id;
	rs.name = (char *)rg->name;
	rs.shelters = rg->n_shelters;
	rs.shelters_reported = agg.shelters_reported;
	rs.n_totals = CAT_COUNT;
	rs.totals = tp;
	for (int c = 0; c < CAT_COUNT; c++) {
		totals_fill(&tot[c], c + 1, &agg.cat[c], &agg.outlook[c],
		    &agg.cov[c]);
		tp[c] = &tot[c];
	}
	sr.n_regions = 1;
	sr.regions = &rsp;
	sr.last_event_seq = n->up_seq;
	backlog_text(n, txn, note, sizeof(note));
	sr.note = note;
	reply->body_case = SHELTERD__V1__REPLY__BODY_STATUS;
	reply->status = &sr;
	reply_pack(it->msg, reply);
	return 0;
}

static int
reply_shelter(struct node *n, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	struct shelter_fill f;
	const char *id = it->req->shelter->shelter_id;
	const struct reg_shelter *sh = registry_shelter(n->reg, id ? id : "");
	struct shelter_state st;
	int rc;

	if (sh == NULL || sh->region != n->region) {
		it->res.rc = CODE(NOT_FOUND);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "no shelter '%.40s' in "
		    "region %s (this node's region)", id ? id : "",
		    n->reg->regions[n->region].id);
		return 0;
	}
	if ((rc = nstore_get_shelter(&n->st, txn, sh->id, &st)) != 0)
		return rc;
	/* The daemon's own fill: the node keeps the registry's deadline. */
	wire_shelter(&f, n->reg, sh, &st, sh->deadline_secs);
	reply->body_case = SHELTERD__V1__REPLY__BODY_SHELTER;
	reply->shelter = &f.sr;
	reply_pack(it->msg, reply);
	return 0;
}

static void
reply_regions(struct node *n, struct item *it, Shelterd__V1__Reply *reply)
{
	const struct reg_region *rg = &n->reg->regions[n->region];
	Shelterd__V1__RegionsReply rr = SHELTERD__V1__REGIONS_REPLY__INIT;
	Shelterd__V1__RegionInfo info = SHELTERD__V1__REGION_INFO__INIT;
	Shelterd__V1__RegionInfo *ip = &info;
	char *neigh[REG_NEIGHBOURS_MAX];

	info.region_id = (char *)rg->id;
	info.name = (char *)rg->name;
	info.shelters = rg->n_shelters;
	info.neighbours = neigh;
	info.n_neighbours = rg->n_neighbours;
	for (size_t k = 0; k < rg->n_neighbours; k++)
		neigh[k] = (char *)n->reg->regions[rg->neighbours[k]].id;
	rr.n_regions = 1;
	rr.regions = &ip;
	reply->body_case = SHELTERD__V1__REPLY__BODY_REGIONS;
	reply->regions = &rr;
	reply_pack(it->msg, reply);
}

/* The region's events after after_seq, from the node's own copy. */
static int
reply_events(struct node *n, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__EventsPage page = SHELTERD__V1__EVENTS_PAGE__INIT;
	uint32_t limit = it->req->events_since->limit;
	Shelterd__V1__Event **v;
	MDB_cursor *cur;
	uint8_t key[8];
	MDB_val k = { 8, key }, val;
	int rc;

	if (limit == 0 || limit > 1000)
		limit = 1000;
	v = calloc(limit, sizeof(*v));
	REQUIRE(v != NULL);
	if (it->req->events_since->after_seq == UINT64_MAX)
		goto done;
	util_put_be64(key, it->req->events_since->after_seq + 1);
	if ((rc = mdb_cursor_open(txn, n->st.events, &cur)) != 0) {
		free(v);
		return rc;
	}
	for (rc = mdb_cursor_get(cur, &k, &val, MDB_SET_RANGE);
	    rc == 0 && page.n_events < limit;
	    rc = mdb_cursor_get(cur, &k, &val, MDB_NEXT)) {
		size_t tlen = strnlen(val.mv_data, val.mv_size);
		Shelterd__V1__Event *ev;

		if (tlen >= val.mv_size)
			continue;
		ev = shelterd__v1__event__unpack(NULL, val.mv_size - tlen - 1,
		    (const uint8_t *)val.mv_data + tlen + 1);
		if (ev != NULL)
			v[page.n_events++] = ev;
	}
	mdb_cursor_close(cur);
done:
	page.events = v;
	page.last_event_seq = n->up_seq;
	reply->body_case = SHELTERD__V1__REPLY__BODY_EVENTS;
	reply->events = &page;
	reply_pack(it->msg, reply);
	for (size_t i = 0; i < page.n_events; i++)
		shelterd__v1__event__free_unpacked(v[i], NULL);
	free(v);
	return 0;
}

static void
reply_item(struct node *n, MDB_txn *rtxn, struct item *it)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	int rc = 0;

	if (it->res.rc == CODE(OK) && it->write) {
		reply_updates(it, &reply);
		return;
	}
	if (it->res.rc == CODE(OK) && rtxn == NULL) {
		it->res.rc = CODE(INTERNAL);
		snprintf(it->res.msg, sizeof(it->res.msg),
		    "cannot read the store");
	}
	if (it->res.rc == CODE(OK)) {
		switch (it->req->body_case) {
		case SHELTERD__V1__REQUEST__BODY_STATUS:
			rc = reply_status(n, rtxn, it, &reply);
			break;
		case SHELTERD__V1__REQUEST__BODY_SHELTER:
			rc = reply_shelter(n, rtxn, it, &reply);
			break;
		case SHELTERD__V1__REQUEST__BODY_REGIONS:
			reply_regions(n, it, &reply);
			break;
		default:
			rc = reply_events(n, rtxn, it, &reply);
			break;
		}
		if (rc != 0) {
			rc = store_error(rc);
			op_fail(&it->res, rc, "cannot read the store: %s",
			    store_strerror(rc));
			log_err("query failed: %s", it->res.msg);
		}
		if (it->res.rc == CODE(OK))
			return;
	}
	reply = (Shelterd__V1__Reply)SHELTERD__V1__REPLY__INIT;
	reply.code = (Shelterd__V1__Code)op_wire_code(&it->res);
	reply.error = it->res.msg;
	reply_pack(it->msg, &reply);
}

/* One report of a turn: update j of items[i]. */
struct unit {
	size_t i, j;
};

/*
 * The reports u[0..nu) in one txn: 0 when it committed, else a STORE_E*
 * and nothing of them stored (their outbox numbers are given back).
 */
static int
try_units(struct node *n, struct item *items, const struct unit *u,
    size_t nu, int64_t now)
{
	uint64_t fwd_before = n->next_fwd;
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_txn_begin(n->st.env, NULL, 0, &txn)) != 0)
		return store_error(rc);
	for (size_t k = 0; rc == 0 && k < nu; k++) {
		struct item *it = &items[u[k].i];
		struct result *r = &it->results[u[k].j];

		memset(r, 0, sizeof(*r)); /* a redo decides afresh */
		rc = apply_update(n, txn, it->ups[u[k].j], r, now);
	}
	if (rc == 0)
		rc = nstore_put_u64(&n->st, txn, "next_fwd", n->next_fwd);
	if (rc == 0)
		rc = mdb_txn_commit(txn); /* synced: now we may ack */
	else
		mdb_txn_abort(txn);
	if (rc != 0)
		n->next_fwd = fwd_before;
	return rc == 0 ? 0 : store_error(rc);
}

/*
 * Every report of the turn in ONE txn, as the daemon does. When it cannot
 * be stored (a full map), each report is tried again alone, so that only
 * the one that does not fit is refused (STORE_FULL or INTERNAL, with the
 * store's reason) and every other is stored and acknowledged.
 */
static void
write_turn(struct node *n, struct item *items, size_t cnt, int64_t now)
{
	struct unit *u;
	size_t nu = 0;
	int rc;

	for (size_t i = 0; i < cnt; i++)
		if (items[i].write && items[i].res.rc == CODE(OK))
			nu += items[i].n_ups;
	u = calloc(nu + 1, sizeof(*u));
	REQUIRE(u != NULL);
	nu = 0;
	for (size_t i = 0; i < cnt; i++)
		for (size_t j = 0; items[i].write &&
		    items[i].res.rc == CODE(OK) && j < items[i].n_ups; j++)
			u[nu++] = (struct unit){ i, j };
	if ((rc = try_units(n, items, u, nu, now)) != 0) {
		log_err("%zu reports not stored together: %s; trying each "
		    "alone", nu, store_strerror(rc));
		for (size_t k = 0; k < nu; k++) {
			struct result *r = &items[u[k].i].results[u[k].j];

			if (nu > 1)
				rc = try_units(n, items, &u[k], 1, now);
			if (rc != 0) {
				memset(r, 0, sizeof(*r));
				op_fail(&r->res, rc, "not stored: %s",
				    store_strerror(rc));
			}
		}
	}
	free(u);
}

static void fwd_maybe_start(struct node *n);

/* One loop turn: every write in ONE txn, commit (synced), then the
 * replies — an ack means the report is on the node's disk. */
static void
process(struct node *n, nng_msg **msgs, size_t cnt)
{
	struct item *items = calloc(cnt, sizeof(*items));
	int64_t now = now_secs();
	uint64_t fwd_before = n->next_fwd;
	MDB_txn *rtxn = NULL;
	size_t writes = 0, reads = 0;

	REQUIRE(items != NULL);
	for (size_t i = 0; i < cnt; i++) {
		items[i].msg = msgs[i];
		decode(n, &items[i]);
		if (items[i].res.rc != CODE(OK))
			log_warn("refused request: %s", items[i].res.msg);
		else if (items[i].write)
			writes++;
		else
			reads++;
	}
	if (writes > 0)
		write_turn(n, items, cnt, now);
	if (reads > 0 && mdb_txn_begin(n->st.env, NULL, MDB_RDONLY,
	    &rtxn) != 0)
		rtxn = NULL;
	for (size_t i = 0; i < cnt; i++) {
		struct item *it = &items[i];
		int rv;

		for (size_t j = 0; it->write && j < it->n_ups; j++) {
			struct result *r = &it->results[j];

			if (r->res.rc != CODE(OK)) {
				n->stats.refused++;
				log_warn("refused update for '%.40s' seq %"
				    PRIu64 ": %s", it->ups[j]->shelter_id,
				    it->ups[j]->seq, r->res.msg);
			} else if (r->duplicate) {
				n->stats.duplicates++;
			} else {
				n->stats.accepted++;
			}
		}
		reply_item(n, rtxn, it);
		/* Raw rep0: the kept header routes the reply. A requester
		 * that went away re-sends; its seq makes that safe. */
		if ((rv = nng_sendmsg(n->api, it->msg,
		    NNG_FLAG_NONBLOCK)) != 0) {
			log_warn("reply dropped: %s", nng_strerror(rv));
			nng_msg_free(it->msg);
		}
		release(it);
	}
	if (rtxn != NULL)
		mdb_txn_abort(rtxn);
	free(items);
	if (n->next_fwd != fwd_before)
		fwd_maybe_start(n);
}

/* ---- forwarding -------------------------------------------------------- */

static void
fwd_free_inflight(struct node *n)
{
	for (size_t i = 0; i < n->n_inflight; i++)
		shelterd__v1__occupancy_update__free_unpacked(n->inflight[i].u,
		    NULL);
	n->n_inflight = 0;
}

/*
 * Send the oldest waiting reports as one OccupancyBatch. At most ONE report
 * per shelter per batch: the next one of that shelter goes only after this
 * one was acknowledged and removed. So a batch re-sent after a crash or a
 * lost reply holds, per shelter, either the report national already has
 * (acked again as a duplicate) or a newer one — never one older than what
 * national applied, which it would refuse as STALE_SEQ.
 */
static void
fwd_maybe_start(struct node *n)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	size_t scanned = 0;
	int rc;

	if (n->stopping || n->fwd.busy ||
	    uv_now(n->loop) < n->fwd_retry_at)
		return;
	if (mdb_txn_begin(n->st.env, NULL, MDB_RDONLY, &txn) != 0)
		return;
	if (mdb_cursor_open(txn, n->st.outbox, &cur) != 0) {
		mdb_txn_abort(txn);
		return;
	}
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	    rc == 0 && n->n_inflight < NODE_BATCH_MAX && scanned < 100000;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), scanned++) {
		Shelterd__V1__OccupancyUpdate *u;
		bool seen = false;

		if (k.mv_size != 8 || v.mv_size < 8 ||
		    (u = shelterd__v1__occupancy_update__unpack(NULL,
		    v.mv_size - 8, (const uint8_t *)v.mv_data + 8)) == NULL) {
			log_err("outbox entry does not decode: skipped");
			continue;
		}
		for (size_t i = 0; i < n->n_inflight && !seen; i++)
			seen = strcmp(n->inflight[i].u->shelter_id,
			    u->shelter_id) == 0;
		if (seen) {
			shelterd__v1__occupancy_update__free_unpacked(u, NULL);
			continue;
		}
		n->inflight[n->n_inflight].fwd_seq =
		    util_get_be64(k.mv_data);
		n->inflight[n->n_inflight].u = u;
		n->fwd_ups[n->n_inflight] = u;
		n->n_inflight++;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	if (n->n_inflight == 0)
		return;
	shelterd__v1__request__init(&n->fwd_req);
	shelterd__v1__occupancy_batch__init(&n->fwd_batch);
	n->fwd_batch.n_updates = n->n_inflight;
	n->fwd_batch.updates = n->fwd_ups;
	n->fwd_req.body_case = SHELTERD__V1__REQUEST__BODY_BATCH;
	n->fwd_req.batch = &n->fwd_batch;
	log_debug("forwarding %zu reports", n->n_inflight);
	caller_start(&n->fwd, &n->fwd_req);
}

static void
log_backlog(struct node *n, bool force)
{
	MDB_txn *txn;
	char text[200];

	if (!force && now_secs() - n->last_report < n->cfg->report_secs)
		return;
	if (mdb_txn_begin(n->st.env, NULL, MDB_RDONLY, &txn) != 0)
		return;
	backlog_text(n, txn, text, sizeof(text));
	mdb_txn_abort(txn);
	n->last_report = now_secs();
	log_info("%s", text);
}

static void
fwd_done(struct caller *c)
{
	struct node *n = c->n;
	Shelterd__V1__Reply *r = c->reply;
	MDB_txn *txn;
	size_t ok = 0, dropped = 0, kept = 0;
	int rc;

	if (c->rc != 0 || r == NULL || r->code != CODE(OK) ||
	    r->body_case != SHELTERD__V1__REPLY__BODY_BATCH ||
	    r->batch->n_results != n->n_inflight) {
		/* Nothing is removed: the same reports go again later, and
		 * their seqs make a repeat harmless. */
		if (n->down_since == 0) {
			n->down_since = now_secs();
			if (c->rc != 0 || r == NULL)
				log_warn("national daemon unreachable (%s): "
				    "accepting locally, forwarding later",
				    c->err);
			else
				log_err("national daemon refused the batch "
				    "(%s): %s", client_code_name(r->code),
				    r->error);
			log_backlog(n, true);
		}
		n->fwd_retry_at = uv_now(n->loop) + n->cfg->retry_ms;
		fwd_free_inflight(n);
		return;
	}
	if ((rc = mdb_txn_begin(n->st.env, NULL, 0, &txn)) != 0)
		goto fail;
	for (size_t i = 0; i < n->n_inflight; i++) {
		const Shelterd__V1__UpdateResult *res = r->batch->results[i];
		const Shelterd__V1__OccupancyUpdate *u = n->inflight[i].u;
		uint8_t key[8];
		MDB_val k = { 8, key };

		if (res->code != CODE(OK) &&
		    !validate_refusal_is_final(res->code)) {
			/* National's state or ours (key, clock, a full store
			 * or cache), not the report's: it may well be stored
			 * once an operator has fixed that. */
			kept++;
			log_warn("national daemon did not store %s seq %"
			    PRIu64 " (%s: %s): kept, will retry",
			    u->shelter_id, u->seq,
			    client_code_name(res->code), res->error);
			continue;
		}
		util_put_be64(key, n->inflight[i].fwd_seq);
		if (res->code == CODE(OK)) {
			ok++;
			rc = mdb_del(txn, n->st.outbox, &k, NULL);
		} else {
			/* It can never succeed, and keeping it queued would
			 * block the shelter's later reports: set it aside,
			 * with the answer, in the store. */
			dropped++;
			log_err("national daemon refused %s seq %" PRIu64
			    " (%s: %s): moved to the node's rejected "
			    "reports", u->shelter_id, u->seq,
			    client_code_name(res->code), res->error);
			rc = nstore_reject(&n->st, txn, key, now_secs(),
			    res->code, res->error);
		}
		if (rc != 0 && rc != MDB_NOTFOUND) {
			mdb_txn_abort(txn);
			goto fail;
		}
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	n->stats.forwarded += ok;
	n->stats.fwd_dropped += dropped;
	log_debug("forwarded %zu reports (%zu dropped, %zu kept)", ok,
	    dropped, kept);
	fwd_free_inflight(n);
	if (n->down_since != 0) {
		log_info("national daemon reachable again after %" PRId64
		    " s", now_secs() - n->down_since);
		n->down_since = 0;
	}
	if (kept > 0)
		n->fwd_retry_at = uv_now(n->loop) + n->cfg->retry_ms;
	/* More may wait: go on at once (the worker is free after this
	 * callback returns, so from the next tick or wake-up). */
	n->fwd_kick = true;
	uv_async_send(&n->wake);
	return;
fail:
	log_err("cannot remove forwarded reports: %s (they go again; "
	    "national acknowledges them as duplicates)", mdb_strerror(rc));
	n->fwd_retry_at = uv_now(n->loop) + n->cfg->retry_ms;
	fwd_free_inflight(n);
}

/* ---- event federation -------------------------------------------------- */

/*
 * Take national events up_seq+1, +2, ... in order: store the region's ones
 * and the new up_seq in one txn, then publish them. `raw` (may hold NULLs)
 * are the messages as received, re-published unchanged.
 */
static void
take_events(struct node *n, Shelterd__V1__Event **evs, nng_msg **raw,
    size_t cnt)
{
	const char *rid = n->reg->regions[n->region].id;
	nng_msg **out = calloc(cnt ? cnt : 1, sizeof(*out));
	uint64_t up = n->up_seq;
	size_t n_out = 0;
	MDB_txn *txn;
	int rc;

	REQUIRE(out != NULL);
	if ((rc = mdb_txn_begin(n->st.env, NULL, 0, &txn)) != 0)
		goto fail;
	for (size_t i = 0; i < cnt; i++) {
		Shelterd__V1__Event *ev = evs[i];
		uint8_t key[8];
		MDB_val k = { 8, key }, v;
		nng_msg *m;
		char topic[160];
		int tlen;

		if (ev->event_seq <= up)
			continue;
		up = ev->event_seq;
		if (ev->region_id == NULL || strcmp(ev->region_id, rid) != 0)
			continue;
		if (raw != NULL && raw[i] != NULL) {
			REQUIRE(nng_msg_dup(&m, raw[i]) == 0);
		} else {
			size_t plen = shelterd__v1__event__get_packed_size(ev);

			tlen = event_topic(ev, topic, sizeof(topic));
			REQUIRE(tlen > 0 && (size_t)tlen < sizeof(topic));
			REQUIRE(nng_msg_alloc(&m, (size_t)tlen + 1 + plen) ==
			    0);
			memcpy(nng_msg_body(m), topic, (size_t)tlen + 1);
			shelterd__v1__event__pack(ev, (uint8_t *)nng_msg_body(
			    m) + tlen + 1);
		}
		util_put_be64(key, ev->event_seq);
		v.mv_size = nng_msg_len(m);
		v.mv_data = nng_msg_body(m);
		out[n_out++] = m;
		if ((rc = mdb_put(txn, n->st.events, &k, &v, 0)) != 0)
			break;
	}
	if (rc == 0)
		rc = nstore_put_u64(&n->st, txn, "up_seq", up);
	if (rc == 0)
		rc = mdb_txn_commit(txn);
	else
		mdb_txn_abort(txn);
	if (rc != 0)
		goto fail;
	n->up_seq = up;
	n->stats.events_stored += n_out;
	/* Published only once on disk: a watcher that asks events_since
	 * for what it saw gets it. */
	for (size_t i = 0; i < n_out; i++) {
		log_info("event %s", (const char *)nng_msg_body(out[i]));
		if (nng_sendmsg(n->pub, out[i], NNG_FLAG_NONBLOCK) != 0)
			nng_msg_free(out[i]);
	}
	free(out);
	return;
fail:
	log_err("cannot store national events: %s (fetched again later)",
	    mdb_strerror(rc));
	for (size_t i = 0; i < n_out; i++)
		nng_msg_free(out[i]);
	free(out);
}

static void
ev_catch_up(struct node *n)
{
	if (n->stopping || n->evc.busy)
		return;
	shelterd__v1__request__init(&n->ev_req);
	shelterd__v1__events_since__init(&n->ev_since);
	n->ev_since.after_seq = n->up_seq;
	n->ev_since.limit = 1000;
	n->ev_req.body_case = SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE;
	n->ev_req.events_since = &n->ev_since;
	caller_start(&n->evc, &n->ev_req);
}

static void
ev_done(struct caller *c)
{
	struct node *n = c->n;
	Shelterd__V1__Reply *r = c->reply;
	const Shelterd__V1__EventsPage *p;

	if (c->rc != 0 || r == NULL || r->code != CODE(OK) ||
	    r->body_case != SHELTERD__V1__REPLY__BODY_EVENTS) {
		log_debug("cannot fetch national events: %s", c->rc != 0 ||
		    r == NULL ? c->err : r->error);
		n->ev_next_poll = uv_now(n->loop) + n->cfg->retry_ms;
		return;
	}
	p = r->events;
	if (p->last_event_seq < n->up_seq)
		log_warn("the national event log ends at %" PRIu64 " but this "
		    "node has handled up to %" PRIu64 ": a new national "
		    "store? (events after %" PRIu64 " are awaited)",
		    p->last_event_seq, n->up_seq, n->up_seq);
	if (p->n_events > 0)
		take_events(n, p->events, NULL, p->n_events);
	if (p->n_events > 0 && (n->up_seq < p->last_event_seq ||
	    n->up_seq < n->ev_max_seen)) {
		n->ev_next_poll = 0; /* more to fetch: at once */
		n->fwd_kick = true;
		uv_async_send(&n->wake);
	} else {
		n->ev_next_poll = uv_now(n->loop) + n->cfg->poll_ms;
	}
}

/* Live events: in order they are taken; at a gap, the missed ones are
 * fetched first (like coord-watch). */
static void
live_events(struct node *n, nng_msg **msgs, size_t cnt)
{
	Shelterd__V1__Event **evs = calloc(cnt, sizeof(*evs));
	nng_msg **raw = calloc(cnt, sizeof(*raw));
	uint64_t expect = n->up_seq + 1;
	size_t take = 0;
	bool gap = false;

	REQUIRE(evs != NULL && raw != NULL);
	for (size_t i = 0; i < cnt; i++) {
		const char *body = nng_msg_body(msgs[i]);
		size_t len = nng_msg_len(msgs[i]), tlen = strnlen(body, len);
		Shelterd__V1__Event *ev = tlen < len ?
		    shelterd__v1__event__unpack(NULL, len - tlen - 1,
		    (const uint8_t *)body + tlen + 1) : NULL;

		if (ev == NULL) {
			log_warn("skipped a national message that is not an "
			    "event");
			continue;
		}
		/* A heartbeat names the newest event: newer than ours, the
		 * last ones were lost and the fetch brings them. Passed on
		 * as it is, so the node's watchers know the feed is live. */
		if (ev->kind ==
		    SHELTERD__V1__EVENT_KIND__EVENT_KIND_HEARTBEAT) {
			nng_msg *hb;

			if (ev->last_event_seq >= expect && !n->evc.busy)
				gap = true;
			if (nng_msg_dup(&hb, msgs[i]) == 0 &&
			    nng_sendmsg(n->pub, hb, NNG_FLAG_NONBLOCK) != 0)
				nng_msg_free(hb);
			shelterd__v1__event__free_unpacked(ev, NULL);
			continue;
		}
		if (ev->event_seq > n->ev_max_seen)
			n->ev_max_seen = ev->event_seq;
		/* While a fetch runs, or after a gap, the fetch brings it. */
		if (gap || n->evc.busy || ev->event_seq != expect) {
			if (ev->event_seq > expect)
				gap = true;
			shelterd__v1__event__free_unpacked(ev, NULL);
			continue;
		}
		evs[take] = ev;
		raw[take] = msgs[i];
		take++;
		expect++;
	}
	if (take > 0)
		take_events(n, evs, raw, take);
	for (size_t i = 0; i < take; i++)
		shelterd__v1__event__free_unpacked(evs[i], NULL);
	for (size_t i = 0; i < cnt; i++)
		nng_msg_free(msgs[i]);
	free(evs);
	free(raw);
	if (gap)
		ev_catch_up(n);
}

/* ---- loop -------------------------------------------------------------- */

static void
on_wake(uv_async_t *h)
{
	struct node *n = h->data;
	nng_msg **q, **evq;
	size_t q_len, evq_len;
	bool resume;

	uv_mutex_lock(&n->lock);
	q = n->q;
	q_len = n->q_len;
	evq = n->evq;
	evq_len = n->evq_len;
	n->q = n->evq = NULL;
	n->q_len = n->q_cap = n->evq_len = n->evq_cap = 0;
	resume = n->api_paused;
	n->api_paused = false;
	uv_mutex_unlock(&n->lock);
	if (resume && !n->stopping)
		nng_recv_aio(n->api, n->api_aio);
	for (size_t i = 0; i < q_len; i += NODE_TURN_MAX)
		process(n, q + i, q_len - i < NODE_TURN_MAX ? q_len - i :
		    NODE_TURN_MAX);
	free(q);
	if (evq_len > 0)
		live_events(n, evq, evq_len);
	free(evq);
	if (n->fwd_kick) {
		n->fwd_kick = false;
		fwd_maybe_start(n);
		if (n->ev_next_poll == 0)
			ev_catch_up(n);
	}
}

static void
on_tick(uv_timer_t *h)
{
	struct node *n = h->data;

	fwd_maybe_start(n);
	if (!n->evc.busy && uv_now(n->loop) >= n->ev_next_poll)
		ev_catch_up(n);
	if (n->down_since != 0)
		log_backlog(n, false);
}

static void
on_signal(uv_signal_t *h, int signum)
{
	struct node *n = h->data;
	nng_msg **q;
	size_t len;

	if (n->stopping)
		return;
	n->stopping = true;
	log_info("signal %d: answering the requests in hand, then stopping",
	    signum);
	nng_aio_stop(n->api_aio);
	nng_aio_stop(n->sub_aio);
	uv_mutex_lock(&n->lock);
	q = n->q;
	len = n->q_len;
	n->q = NULL;
	n->q_len = n->q_cap = 0;
	uv_mutex_unlock(&n->lock);
	for (size_t i = 0; i < len; i += NODE_TURN_MAX)
		process(n, q + i, len - i < NODE_TURN_MAX ? len - i :
		    NODE_TURN_MAX);
	free(q);
	caller_stop(&n->fwd);
	caller_stop(&n->evc);
	uv_close((uv_handle_t *)&n->wake, NULL);
	uv_close((uv_handle_t *)&n->sig_int, NULL);
	uv_close((uv_handle_t *)&n->sig_term, NULL);
	uv_close((uv_handle_t *)&n->tick, NULL);
}

/* ---- setup ------------------------------------------------------------- */

/*
 * The national events socket, dialled in the background (NONBLOCK): the
 * node starts and keeps retrying while national is down. TLS as in
 * clients/common.c's client_dial. A list (URL,URL: docs/ha.md) dials
 * every address; the sub socket hears whichever daemon is up.
 */
static int
dial_events(nng_socket sock, const char *list)
{
	char addrs[CLIENT_MAX_ADDRS][CLIENT_URL_MAX], err[512];
	int n, i, rv;

	if ((n = client_addrs(list, addrs, CLIENT_MAX_ADDRS, err,
	    sizeof(err))) < 0) {
		log_err("--upstream-events %s", err);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *url = addrs[i];
		nng_dialer d;

		if ((rv = nng_dialer_create(&d, sock, url)) != 0) {
			log_err("cannot dial national events %s: %s", url,
			    nng_strerror(rv));
			return -1;
		}
		if (client_dialer_tls(d, url, err, sizeof(err)) != 0) {
			log_err("%s", err);
			nng_dialer_close(d);
			return -1;
		}
		nng_dialer_set_ms(d, NNG_OPT_RECONNMINT, 100);
		nng_dialer_set_ms(d, NNG_OPT_RECONNMAXT, 2000);
		if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			log_err("cannot dial national events %s: %s", url,
			    nng_strerror(rv));
			return -1;
		}
	}
	return 0;
}

static int
listen_on(nng_socket sock, const char *what, const char *url)
{
	int rv;

	if (!util_url_is_local(url)) {
		/* Local shelters only: the node takes unsigned reports. */
		log_err("%s must be ipc:// or loopback, not %s (the node "
		    "accepts unsigned reports from its local shelters)",
		    what, url);
		return -1;
	}
	if ((rv = nng_listen(sock, url, NULL, 0)) != 0) {
		log_err("cannot listen for %s on %s: %s", what, url,
		    nng_strerror(rv));
		return -1;
	}
	log_info("%s listening on %s", what, url);
	return 0;
}

int
node_init(struct node *n, struct node_config *cfg,
    const struct registry *reg)
{
	MDB_txn *txn;
	int rv;

	memset(n, 0, sizeof(*n));
	n->cfg = cfg;
	n->reg = reg;
	n->api = n->pub = n->sub = (nng_socket)NNG_SOCKET_INITIALIZER;
	validate_limits_default(&n->limits);
	if ((n->region = registry_region(reg, cfg->region_id)) < 0) {
		log_err("--region %s is not in the registry", cfg->region_id);
		return -1;
	}
	if (nstore_open(&n->st, cfg->data_dir, cfg->map_bytes, false) != 0)
		return -1;
	if ((rv = mdb_txn_begin(n->st.env, NULL, MDB_RDONLY, &txn)) != 0)
		return -1;
	rv = nstore_get_u64(&n->st, txn, "next_fwd", &n->next_fwd);
	if (rv == 0)
		rv = nstore_get_u64(&n->st, txn, "up_seq", &n->up_seq);
	mdb_txn_abort(txn);
	if (rv != 0) {
		log_err("cannot read the node store: %s", mdb_strerror(rv));
		return -1;
	}
	if (n->next_fwd == 0)
		n->next_fwd = 1;
	n->inflight = calloc(NODE_BATCH_MAX, sizeof(*n->inflight));
	n->fwd_ups = calloc(NODE_BATCH_MAX, sizeof(*n->fwd_ups));
	REQUIRE(n->inflight != NULL && n->fwd_ups != NULL);
	REQUIRE(uv_mutex_init(&n->lock) == 0);
	n->loop = uv_default_loop();

	if ((rv = nng_rep0_open_raw(&n->api)) != 0 ||
	    (rv = nng_pub0_open(&n->pub)) != 0 ||
	    (rv = nng_sub0_open(&n->sub)) != 0 ||
	    (rv = nng_socket_set(n->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0) {
		log_err("cannot open sockets: %s", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_size(n->api, NNG_OPT_RECVMAXSZ, NODE_MSG_MAX * 4);
	nng_socket_set_size(n->pub, NNG_OPT_RECVMAXSZ, 1024);
	/* As in shelterd: raw rep0 has no send buffer by default, and a
	 * reply sent while another goes out would be lost. */
	nng_socket_set_int(n->api, NNG_OPT_SENDBUF, 8192);
	nng_socket_set_int(n->pub, NNG_OPT_SENDBUF, 1024);
	nng_socket_set_int(n->sub, NNG_OPT_RECVBUF, 8192);
	if (listen_on(n->api, "api", cfg->api_url) != 0 ||
	    listen_on(n->pub, "events", cfg->events_url) != 0 ||
	    dial_events(n->sub, cfg->upstream_events_url) != 0)
		return -1;
	REQUIRE(nng_aio_alloc(&n->api_aio, on_api_recv, n) == 0);
	REQUIRE(nng_aio_alloc(&n->sub_aio, on_sub_recv, n) == 0);

	REQUIRE(uv_async_init(n->loop, &n->wake, on_wake) == 0);
	n->wake.data = n;
	REQUIRE(uv_signal_init(n->loop, &n->sig_int) == 0);
	REQUIRE(uv_signal_init(n->loop, &n->sig_term) == 0);
	REQUIRE(uv_timer_init(n->loop, &n->tick) == 0);
	n->sig_int.data = n->sig_term.data = n;
	n->tick.data = n;
	caller_init(n, &n->fwd, cfg->upstream_url, fwd_done);
	caller_init(n, &n->evc, cfg->upstream_url, ev_done);
	return 0;
}

int
node_run(struct node *n)
{
	uv_signal_start(&n->sig_int, on_signal, SIGINT);
	uv_signal_start(&n->sig_term, on_signal, SIGTERM);
	uv_timer_start(&n->tick, on_tick, 100, 100);
	nng_recv_aio(n->api, n->api_aio);
	nng_recv_aio(n->sub, n->sub_aio);
	log_info("ready: region %s (%u shelters), forwarding to %s, next "
	    "forward seq %" PRIu64 ", national events handled up to %" PRIu64,
	    n->reg->regions[n->region].id,
	    n->reg->regions[n->region].n_shelters,
	    n->cfg->upstream_url, n->next_fwd, n->up_seq);
	log_backlog(n, true);
	fwd_maybe_start(n);
	ev_catch_up(n);
	uv_run(n->loop, UV_RUN_DEFAULT);
	log_info("stopped: %" PRIu64 " reports accepted, %" PRIu64
	    " duplicates, %" PRIu64 " refused, %" PRIu64 " forwarded, %"
	    PRIu64 " rejected by national, %" PRIu64 " events stored",
	    n->stats.accepted, n->stats.duplicates, n->stats.refused,
	    n->stats.forwarded, n->stats.fwd_dropped, n->stats.events_stored);
	log_backlog(n, true);
	return 0;
}

static void
free_queue(nng_msg **q, size_t len)
{
	for (size_t i = 0; i < len; i++)
		nng_msg_free(q[i]);
	free(q);
}

void
node_deinit(struct node *n)
{
	if (n->api_aio != NULL) {
		nng_aio_stop(n->api_aio);
		nng_aio_free(n->api_aio);
	}
	if (n->sub_aio != NULL) {
		nng_aio_stop(n->sub_aio);
		nng_aio_free(n->sub_aio);
	}
	/* Give nng a moment to flush the last replies before closing. */
	nng_msleep(50);
	client_close(n->api, 2000);
	client_close(n->pub, 2000);
	client_close(n->sub, 2000);
	free_queue(n->q, n->q_len);
	free_queue(n->evq, n->evq_len);
	if (n->fwd.reply != NULL)
		shelterd__v1__reply__free_unpacked(n->fwd.reply, NULL);
	if (n->evc.reply != NULL)
		shelterd__v1__reply__free_unpacked(n->evc.reply, NULL);
	if (n->inflight != NULL)
		fwd_free_inflight(n);
	free(n->inflight);
	free(n->fwd_ups);
	nstore_close(&n->st);
	if (n->fwd.n != NULL) {
		uv_mutex_destroy(&n->fwd.lock);
		uv_cond_destroy(&n->fwd.cond);
	}
	if (n->evc.n != NULL) {
		uv_mutex_destroy(&n->evc.lock);
		uv_cond_destroy(&n->evc.cond);
	}
	if (n->loop != NULL) {
		uv_mutex_destroy(&n->lock);
		uv_loop_close(n->loop);
	}
}

int
node_print_status(const struct node_config *cfg)
{
	struct nstore st;
	MDB_txn *txn;
	MDB_stat ms;
	uint64_t next_fwd, up_seq;
	size_t count, rejected = 0;
	int64_t oldest;
	int rc;

	if (nstore_open(&st, cfg->data_dir, cfg->map_bytes, true) != 0)
		return 1;
	if ((rc = mdb_txn_begin(st.env, NULL, MDB_RDONLY, &txn)) == 0) {
		if ((rc = nstore_backlog(&st, txn, &count, &oldest)) == 0 &&
		    (rc = nstore_get_u64(&st, txn, "next_fwd",
		    &next_fwd)) == 0 &&
		    (rc = nstore_get_u64(&st, txn, "up_seq", &up_seq)) == 0 &&
		    (rc = nstore_rejected_count(&st, txn, &rejected)) == 0 &&
		    (rc = mdb_stat(txn, st.events, &ms)) == 0) {
			if (count == 0)
				printf("outbox: empty: every accepted report "
				    "reached the national daemon\n");
			else
				printf("outbox: %zu report%s wait%s for the "
				    "national daemon, the oldest for %" PRId64
				    " s\n", count, count == 1 ? "" : "s",
				    count == 1 ? "s" : "",
				    now_secs() - oldest);
			printf("reports accepted: %" PRIu64 "\n",
			    next_fwd ? next_fwd - 1 : 0);
			printf("rejected by national (kept in the store): "
			    "%zu\n", rejected);
			printf("national events handled up to: %" PRIu64 "\n",
			    up_seq);
			printf("region events kept: %zu\n", ms.ms_entries);
		}
		mdb_txn_abort(txn);
	}
	nstore_close(&st);
	if (rc != 0) {
		fprintf(stderr, "shelter-node: cannot read %s: %s\n",
		    cfg->data_dir, mdb_strerror(rc));
		return 1;
	}
	return count > 0 ? 4 : 0;
}
