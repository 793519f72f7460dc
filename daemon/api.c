/*
 * api.c — what each request on the api socket does, and the events that
 * escalations produce. Decisions are made by core/ (validate, escalate);
 * this file moves data between protobuf, LMDB and nng.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "escalate.h"
#include "log.h"
#include "placement.h"
#include "server.h"
#include "validate.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

static void
fail(struct item *it, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
fail(struct item *it, int code, const char *fmt, ...)
{
	va_list ap;

	it->code = code;
	va_start(ap, fmt);
	vsnprintf(it->err, sizeof(it->err), fmt, ap);
	va_end(ap);
}

void
api_decode(struct server *s, struct item *it)
{
	size_t len = nng_msg_len(it->msg);
	int rc;

	memset(&it->who, 0, sizeof(it->who));
	it->req = NULL;
	it->code = CODE(OK);
	it->err[0] = '\0';
	it->updates = NULL;
	it->results = NULL;
	it->n_updates = 0;
	it->is_write = false;
	it->placement = NULL;
	if (len > s->cfg->max_message_bytes) {
		fail(it, CODE(TOO_LARGE), "request of %zu bytes is larger "
		    "than the limit of %u", len, s->cfg->max_message_bytes);
	} else if ((rc = auth_open(s, nng_msg_body(it->msg), len, &it->req,
	    &it->who, it->err, sizeof(it->err), (int64_t)time(NULL))) != 0) {
		it->code = rc;
	} else if (it->req->body_case ==
	    SHELTERD__V1__REQUEST__BODY__NOT_SET) {
		fail(it, CODE(BAD_REQUEST), "empty request: set one of "
		    "update, batch, status, shelter, regions, events_since");
	} else if (it->who.role != ROLE_NONE &&
	    authz_check(&it->who, it->req, s->reg, it->err,
	    sizeof(it->err)) != 0) {
		it->code = CODE(FORBIDDEN);
	} else if (it->req->body_case ==
	    SHELTERD__V1__REQUEST__BODY_ACK_ALERT ||
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY_PLACE ||
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY_ANSWER ||
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY_CANCEL) {
		it->is_write = true;
	} else if (it->req->body_case == SHELTERD__V1__REQUEST__BODY_UPDATE) {
		it->is_write = true;
		it->updates = (const Shelterd__V1__OccupancyUpdate *const *)
		    &it->req->update;
		it->n_updates = 1;
		it->results = &it->one;
	} else if (it->req->body_case == SHELTERD__V1__REQUEST__BODY_BATCH) {
		size_t n = it->req->batch->n_updates;

		if (n == 0 || n > s->cfg->max_batch_updates) {
			fail(it, CODE(BAD_REQUEST), "a batch holds 1 to %u "
			    "updates, not %zu", s->cfg->max_batch_updates, n);
		} else {
			it->updates = (const Shelterd__V1__OccupancyUpdate
			    *const *)it->req->batch->updates;
			it->n_updates = n;
			it->results = calloc(n, sizeof(*it->results));
			REQUIRE(it->results != NULL);
			it->is_write = true;
		}
	}
	if (it->code != CODE(OK)) {
		char who[48];

		authz_format(&it->who, who, sizeof(who));
		log_warn("refused request from %s: %s", who, it->err);
	}
}

bool
api_is_write(const struct item *it)
{
	return it->code == CODE(OK) && it->is_write;
}

void
api_release(struct item *it)
{
	if (it->results != &it->one)
		free(it->results);
	it->results = NULL;
	it->n_updates = 0;
	if (it->req != NULL)
		shelterd__v1__request__free_unpacked(it->req, NULL);
	it->req = NULL;
	free(it->placement);
	it->placement = NULL;
}

void
api_fail_updates(struct item *it, int store_err)
{
	if (it->n_updates == 0) {
		fail(it, store_err == STORE_EFULL ? CODE(STORE_FULL) :
		    CODE(INTERNAL), "not stored: %s",
		    store_strerror(store_err));
		return;
	}
	for (size_t i = 0; i < it->n_updates; i++) {
		struct update_result *r = &it->results[i];

		r->code = store_err == STORE_EFULL ? CODE(STORE_FULL) :
		    CODE(INTERNAL);
		r->duplicate = false;
		snprintf(r->err, sizeof(r->err), "not stored: %s",
		    store_strerror(store_err));
	}
}

/* ---- updates --------------------------------------------------------- */

int
api_store_shelter(struct server *s, MDB_txn *txn,
    const struct reg_shelter *sh, struct shelter_state *stored,
    const struct shelter_state *next, int64_t now)
{
	const struct reg_region *region = &s->reg->regions[sh->region];
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate ragg, nagg;
	size_t n;
	int rc;

	if ((rc = store_get_region(s->store, txn, region->id, &ragg)) != 0 ||
	    (rc = store_get_national(s->store, txn, &nagg)) != 0)
		return rc;
	/* The history records the change in the txn that makes it. */
	if ((rc = history_shelter(s, txn, sh, stored, next, now)) != 0)
		return rc;
	n = esc_apply(&s->cfg->esc, stored, &ragg, &nagg, next, tr);
	if ((rc = store_put_shelter(s->store, txn, sh->id, stored)) != 0 ||
	    (rc = store_put_region(s->store, txn, region->id, &ragg)) != 0 ||
	    (rc = store_put_national(s->store, txn, &nagg)) != 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const char *rid = tr[i].scope == SCOPE_NATIONAL ? NULL :
		    region->id;
		const char *sid = tr[i].scope == SCOPE_SHELTER ? sh->id : NULL;

		if ((rc = events_emit_transition(s, txn, &tr[i], rid, sid,
		    now)) != 0)
			return rc;
	}
	return 0;
}

/*
 * Validate and apply one report inside txn; returns a STORE_* code (the
 * verdict on the report itself is in *res). Every check comes before the
 * first write, so a refused or duplicate report leaves no trace and needs
 * no nested txn of its own.
 */
static int
apply_update(struct server *s, MDB_txn *txn,
    const Shelterd__V1__OccupancyUpdate *u, struct update_result *res,
    int64_t now)
{
	const struct reg_shelter *sh;
	const struct reg_region *region;
	struct shelter_state stored, next;
	int rc, v;

	if ((v = validate_update(u, s->reg, &s->cfg->limits, now, &sh, &next,
	    &res->over_occupied, res->err, sizeof(res->err))) != 0) {
		res->code = v;
		return 0;
	}
	if ((rc = store_get_shelter(s->store, txn, sh->id, &stored)) != 0)
		return rc;
	/* Holds are the daemon's, not the shelter's: a report keeps them. */
	for (int c = 0; c < CAT_COUNT; c++)
		next.beds[c].held = stored.beds[c].held;
	if ((v = validate_seq(&stored, &next, res->err,
	    sizeof(res->err))) < 0) {
		res->code = -v;
		return 0;
	}
	if (v == SEQ_DUPLICATE) {
		res->duplicate = true;
		return 0;
	}
	/* From here on only a store error can stop it. */
	res->shelter = (uint32_t)(sh - s->reg->shelters);
	res->written = true;
	region = &s->reg->regions[sh->region];
	next.received_at = now;
	if (stored.stale) {
		Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

		ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE;
		ev.scope = SHELTERD__V1__SCOPE__SCOPE_SHELTER;
		ev.level = SHELTERD__V1__LEVEL__LEVEL_OK;
		ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
		ev.region_id = (char *)region->id;
		ev.shelter_id = (char *)sh->id;
		if ((rc = events_emit(s, txn, &ev, now)) != 0)
			return rc;
	}
	return api_store_shelter(s, txn, sh, &stored, &next, now);
}

/* One write that is not an update: 0, a positive CODE, or -STORE_*. */
static int
write_other(struct server *s, MDB_txn *txn, struct item *it, int64_t now)
{
	const Shelterd__V1__Request *req = it->req;

	switch (req->body_case) {
	case SHELTERD__V1__REQUEST__BODY_ACK_ALERT:
		return alerts_ack(s, txn, req->ack_alert, &it->alert, it->err,
		    sizeof(it->err), now);
	case SHELTERD__V1__REQUEST__BODY_PLACE:
		return place_request(s, txn, req->place, it->placement,
		    it->err, sizeof(it->err), now);
	case SHELTERD__V1__REQUEST__BODY_ANSWER:
		return place_answer(s, txn, req->answer, it->placement,
		    it->err, sizeof(it->err), now);
	case SHELTERD__V1__REQUEST__BODY_CANCEL:
		return place_cancel(s, txn, req->cancel, &it->who,
		    it->placement, it->err, sizeof(it->err), now);
	default:
		return CODE(BAD_REQUEST);
	}
}

/* In a nested txn, so that a refused or failed write leaves no trace. */
static void
apply_other(struct server *s, MDB_txn *txn, struct item *it, int64_t now)
{
	size_t events_before = s->n_events;
	uint64_t seq_before = s->next_event_seq;
	MDB_txn *child;
	int rc;

	/* It may run again when the batch txn is redone (server.c). */
	it->code = CODE(OK);
	it->err[0] = '\0';
	if (it->req->body_case != SHELTERD__V1__REQUEST__BODY_ACK_ALERT) {
		if (it->placement == NULL)
			it->placement = malloc(sizeof(*it->placement));
		REQUIRE(it->placement != NULL);
		memset(it->placement, 0, sizeof(*it->placement));
	}
	if ((rc = store_begin(s->store, txn, 1, &child)) != 0) {
		api_fail_updates(it, rc);
		return;
	}
	rc = write_other(s, child, it, now);
	if (rc == 0)
		rc = -store_commit(child);
	else
		mdb_txn_abort(child);
	if (rc < 0)
		api_fail_updates(it, -rc);
	else
		it->code = rc;
	if (rc != 0) {
		events_drop_from(s, events_before);
		s->next_event_seq = seq_before;
		/* A refused case_ref may be exactly what must not be stored
		 * (a name, a date of birth): the requester gets the reason,
		 * the log does not get the value. */
		if (strncmp(it->err, "case_ref", 8) == 0)
			log_warn("refused placement request: case_ref is not "
			    "pseudonymous (value not logged)");
		else
			log_warn("refused request: %s", it->err);
	}
}

int
api_apply(struct server *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	struct update_result *res;

	if (it->n_updates == 0) {
		/* Rare, and a refusal may come after writes: these keep a
		 * nested txn, which also confines a store error to them. */
		apply_other(s, txn, it, now);
		return 0;
	}
	res = &it->results[k];
	res->code = CODE(OK);
	res->duplicate = false;
	res->written = false;
	res->over_occupied = 0;
	res->err[0] = '\0';
	return apply_update(s, txn, it->updates[k], res, now);
}

void
api_applied(struct server *s, struct item *it, size_t k, int64_t now)
{
	const Shelterd__V1__OccupancyUpdate *u;
	const struct update_result *res;

	if (it->n_updates == 0)
		return;
	u = it->updates[k];
	res = &it->results[k];
	/* Set only now: a txn that was aborted and redone must not leave
	 * deadlines behind. */
	if (res->written)
		s->stale_at[res->shelter] = now +
		    api_deadline(s, &s->reg->shelters[res->shelter]);
	if (res->code != CODE(OK))
		log_warn("refused update for '%.40s' seq %" PRIu64 ": %s",
		    u->shelter_id, u->seq, res->err);
	if (res->over_occupied)
		log_warn("shelter %.40s seq %" PRIu64 ": over-occupied "
		    "(accepted, flagged)", u->shelter_id, u->seq);
}

void
api_fail_write(struct item *it, size_t k, int store_err)
{
	const Shelterd__V1__OccupancyUpdate *u;
	struct update_result *res;

	if (it->n_updates == 0) {
		api_fail_updates(it, store_err);
		log_err("request not stored: %s", store_strerror(store_err));
		return;
	}
	u = it->updates[k];
	res = &it->results[k];
	res->code = store_err == STORE_EFULL ? CODE(STORE_FULL) :
	    CODE(INTERNAL);
	res->duplicate = false;
	res->written = false;
	res->over_occupied = 0;
	snprintf(res->err, sizeof(res->err), "not stored: %s",
	    store_strerror(store_err));
	log_err("update %.40s seq %" PRIu64 " not stored: %s",
	    u->shelter_id, u->seq, store_strerror(store_err));
}

/* ---- replies --------------------------------------------------------- */

void
api_fill_shelter(const struct server *s, const struct reg_shelter *sh,
    const struct shelter_state *st, struct shelter_fill *f)
{
	Shelterd__V1__ShelterReply *sr = &f->sr;

	shelterd__v1__shelter_reply__init(sr);
	sr->shelter_id = (char *)sh->id;
	sr->name = (char *)sh->name;
	sr->region_id = (char *)s->reg->regions[sh->region].id;
	sr->status = (Shelterd__V1__ShelterStatus)st->status;
	sr->last_seq = st->seq;
	sr->observed_at = st->observed_at;
	sr->received_at = st->received_at;
	sr->security_level = sh->security_level;
	sr->stale = st->stale;
	sr->deadline_secs = api_deadline(s, sh);
	sr->deadline_override = sh->deadline_secs;
	sr->beds = f->bp;
	sr->categories = f->cats;
	sr->planned = f->pp;
	for (int c = 0; c < CAT_COUNT; c++) {
		Shelterd__V1__BedCount *b;

		if (sh->categories & (1u << c)) {
			f->cats[sr->n_categories++] =
			    (Shelterd__V1__Category)(c + 1);
			b = &f->planned[sr->n_planned];
			shelterd__v1__bed_count__init(b);
			b->category = (Shelterd__V1__Category)(c + 1);
			b->capacity = sh->nominal[c];
			f->pp[sr->n_planned++] = b;
		}
		if (!(st->present & (1u << c)))
			continue;
		b = &f->beds[sr->n_beds];
		shelterd__v1__bed_count__init(b);
		b->category = (Shelterd__V1__Category)(c + 1);
		b->capacity = st->beds[c].capacity;
		b->occupied = st->beds[c].occupied;
		b->out_of_service = st->beds[c].out_of_service;
		b->forecast = (st->forecast >> c) & 1;
		b->expected_free_24h = st->expect[c].free_24h;
		b->expected_free_72h = st->expect[c].free_72h;
		f->bp[sr->n_beds++] = b;
	}
}

/* Shared storage for one status reply, freed after packing. */
struct status_buf {
	Shelterd__V1__StatusReply status;
	Shelterd__V1__RegionStatus *regions, **region_ptrs;
	Shelterd__V1__CategoryTotals *totals, **total_ptrs;
};

static int
build_status(struct server *s, MDB_txn *txn, struct status_buf *b)
{
	size_t nr = s->reg->n_regions, nt = (nr + 1) * CAT_COUNT;
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
		for (int c = 0; c < CAT_COUNT; c++) {
			totals_fill(rs->totals[c], c + 1, &agg.cat[c],
			    &agg.outlook[c]);
		}
		b->region_ptrs[r] = rs;
	}
	if ((rc = store_get_national(s->store, txn, &agg)) != 0 ||
	    (rc = store_get_next_event_seq(s->store, txn,
	    &b->status.last_event_seq)) != 0)
		return rc;
	b->status.last_event_seq--;
	b->status.n_regions = nr;
	b->status.regions = b->region_ptrs;
	b->status.n_national = CAT_COUNT;
	b->status.national = &b->total_ptrs[nr * CAT_COUNT];
	for (int c = 0; c < CAT_COUNT; c++) {
		totals_fill(b->status.national[c], c + 1, &agg.cat[c],
		    &agg.outlook[c]);
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

struct events_buf {
	Shelterd__V1__Event **v;
	size_t n;
};

static int
collect_event(void *arg, uint64_t seq, const void *data, size_t len)
{
	struct events_buf *b = arg;
	Shelterd__V1__Event *ev = shelterd__v1__event__unpack(NULL, len, data);

	if (ev == NULL) {
		log_err("event %" PRIu64 " in the log does not decode", seq);
		return 0; /* skip it rather than hide the rest */
	}
	b->v[b->n++] = ev;
	return 0;
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
reply_query(struct server *s, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__Request *req = it->req;
	int rc = 0;

	switch (req->body_case) {
	case SHELTERD__V1__REQUEST__BODY_STATUS: {
		struct status_buf b;

		if ((rc = build_status(s, txn, &b)) == 0) {
			reply->body_case = SHELTERD__V1__REPLY__BODY_STATUS;
			reply->status = &b.status;
			reply_pack(it->msg, reply);
		}
		free_status(&b);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_SHELTER: {
		struct shelter_fill f;
		const char *id = req->shelter->shelter_id;
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    id ? id : "");
		struct shelter_state st;

		if (sh == NULL) {
			fail(it, CODE(NOT_FOUND), "no shelter '%.40s' in the "
			    "registry", id ? id : "");
			break;
		}
		if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
			break;
		api_fill_shelter(s, sh, &st, &f);
		reply->body_case = SHELTERD__V1__REPLY__BODY_SHELTER;
		reply->shelter = &f.sr;
		reply_pack(it->msg, reply);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_EXPORT_QUERY:
		rc = export_page(s, txn, req->export_query, reply, it->msg,
		    reply_pack);
		break;
	case SHELTERD__V1__REQUEST__BODY_REGISTRY_IMPORT:
		/* Its own write txn, after this batch's (docs/registry.md). */
		import_run(s, it, reply, reply_pack);
		break;
	case SHELTERD__V1__REQUEST__BODY_REGIONS: {
		size_t nr = s->reg->n_regions;
		Shelterd__V1__RegionsReply rr =
		    SHELTERD__V1__REGIONS_REPLY__INIT;
		Shelterd__V1__RegionInfo *info = calloc(nr, sizeof(*info));
		Shelterd__V1__RegionInfo **ptrs = calloc(nr, sizeof(*ptrs));
		char **neigh = calloc(nr * REG_NEIGHBOURS_MAX, sizeof(*neigh));

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
		reply_pack(it->msg, reply);
		free(info);
		free(ptrs);
		free(neigh);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE: {
		Shelterd__V1__EventsPage page = SHELTERD__V1__EVENTS_PAGE__INIT;
		uint32_t limit = req->events_since->limit;
		struct events_buf b = { 0 };
		uint64_t next;

		if (limit == 0 || limit > s->cfg->events_page_max)
			limit = s->cfg->events_page_max;
		b.v = calloc(limit, sizeof(*b.v));
		REQUIRE(b.v != NULL);
		rc = store_events_since(s->store, txn,
		    req->events_since->after_seq, limit, collect_event, &b);
		if (rc == 0)
			rc = store_get_next_event_seq(s->store, txn, &next);
		if (rc == 0) {
			page.events = b.v;
			page.n_events = b.n;
			page.last_event_seq = next - 1;
			reply->body_case = SHELTERD__V1__REPLY__BODY_EVENTS;
			reply->events = &page;
			reply_pack(it->msg, reply);
		}
		for (size_t i = 0; i < b.n; i++)
			shelterd__v1__event__free_unpacked(b.v[i], NULL);
		free(b.v);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_ALERTS:
		rc = alerts_list(s, txn, reply, it->msg, reply_pack);
		break;
	case SHELTERD__V1__REQUEST__BODY_REPORT:
	case SHELTERD__V1__REQUEST__BODY_TREND:
		/* A refusal is a positive code, a store error negative;
		 * an answer computed elsewhere takes it->msg. */
		rc = history_query(s, txn, req, &it->msg, reply_pack,
		    it->err, sizeof(it->err));
		if (rc > 0) {
			it->code = rc;
			rc = 0;
		}
		break;
	case SHELTERD__V1__REQUEST__BODY_PLACEMENTS: {
		size_t n;

		/* A region sees only its own requests. */
		rc = place_list(s, txn, NULL, it->who.role == ROLE_REGION ?
		    it->who.id : NULL, reply, it->msg, &n, reply_pack);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_PLACEMENT: {
		struct placement_state p;
		Shelterd__V1__Placement pl;
		char *excl[PLACE_EXCLUDE_MAX];
		const char *id = req->placement->request_id;

		if (!place_valid_id(id)) {
			fail(it, CODE(BAD_REQUEST), "request_id must be 1 to "
			    "47 letters, digits, - or _");
			break;
		}
		if ((rc = store_get_placement(s->store, txn, id, &p)) != 0)
			break;
		if (p.request_id[0] == '\0') {
			fail(it, CODE(NOT_FOUND), "no placement request "
			    "'%.47s'", id ? id : "");
			break;
		}
		if (!authz_owns_placement(&it->who, p.from_region)) {
			fail(it, CODE(FORBIDDEN), "request %.47s is not your "
			    "region's", p.request_id);
			break;
		}
		place_fill(&p, &pl, excl, false);
		reply->body_case = SHELTERD__V1__REPLY__BODY_PLACEMENT;
		reply->placement = &pl;
		reply_pack(it->msg, reply);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_HOLDS: {
		const char *id = req->holds->shelter_id;
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    id ? id : "");
		size_t n;

		if (sh == NULL) {
			fail(it, CODE(UNKNOWN_SHELTER), "unknown shelter "
			    "'%.31s'", id ? id : "");
			break;
		}
		rc = place_list(s, txn, sh->id, NULL, reply, NULL, &n,
		    reply_pack);
		if (rc == 0 && n == 0 && req->holds->wait_ms > 0) {
			/* Nothing yet: answer when a hold arrives. */
			if (!server_wait_hold(s, it->msg,
			    (uint32_t)(sh - s->reg->shelters),
			    req->holds->wait_ms)) {
				fail(it, CODE(BUSY), "too many waiting holds "
				    "queries; ask again without --wait");
				break;
			}
			it->msg = NULL;
			break;
		}
		if (rc == 0)
			place_list(s, txn, sh->id, NULL, reply, it->msg, &n,
			    reply_pack);
		break;
	}
	case SHELTERD__V1__REQUEST__BODY_BACKUP: {
		char why[256];
		int code = backup_start(s, &it->msg, req->backup, why,
		    sizeof(why));

		if (code != 0)
			fail(it, code, "%s", why);
		break; /* else answered when the copy is done */
	}
	default:
		fail(it, CODE(BAD_REQUEST), "unknown request");
		break;
	}
	if (rc != 0) {
		fail(it, CODE(INTERNAL), "cannot read the store: %s",
		    store_strerror(rc));
		log_err("query failed: %s", it->err);
	}
}


static void
count_result(struct server *s, const struct update_result *r)
{
	if (r->code != CODE(OK))
		s->stats.refused[r->code & 15]++;
	else if (r->duplicate)
		s->stats.updates_duplicate++;
	else
		s->stats.updates_applied++;
}

static void
reply_batch(struct server *s, struct item *it, Shelterd__V1__Reply *reply)
{
	size_t n = it->n_updates;
	Shelterd__V1__BatchAck batch = SHELTERD__V1__BATCH_ACK__INIT;
	Shelterd__V1__UpdateResult *res = calloc(n, sizeof(*res));
	Shelterd__V1__UpdateResult **rp = calloc(n, sizeof(*rp));
	Shelterd__V1__UpdateAck *acks = calloc(n, sizeof(*acks));
	char (*warn)[CAT_COUNT][96];
	char *(*wp)[CAT_COUNT];
	size_t n_over = 0, w = 0;

	/* Warnings only for the over-occupied: room for all of them was
	 * half a megabyte per 1,000 updates, zeroed for every request. */
	for (size_t i = 0; i < n; i++)
		if (it->results[i].over_occupied)
			n_over++;
	warn = calloc(n_over + 1, sizeof(*warn));
	wp = calloc(n_over + 1, sizeof(*wp));
	REQUIRE(res && rp && acks && warn && wp);
	for (size_t i = 0; i < n; i++) {
		const struct update_result *r = &it->results[i];

		shelterd__v1__update_result__init(&res[i]);
		res[i].code = (Shelterd__V1__Code)r->code;
		res[i].error = (char *)r->err;
		if (r->code == CODE(OK)) {
			validate_fill_ack(&acks[i], it->updates[i], r->duplicate,
			    r->over_occupied, warn[w], wp[w]);
			res[i].ack = &acks[i];
		}
		if (r->over_occupied)
			w++;
		rp[i] = &res[i];
		count_result(s, r);
	}
	batch.n_results = n;
	batch.results = rp;
	reply->body_case = SHELTERD__V1__REPLY__BODY_BATCH;
	reply->batch = &batch;
	reply_pack(it->msg, reply);
	free(res);
	free(rp);
	free(acks);
	free(warn);
	free(wp);
}

void
api_reply_holds(struct server *s, MDB_txn *rtxn, uint32_t shelter,
    nng_msg *msg)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	size_t n;

	if (place_list(s, rtxn, s->reg->shelters[shelter].id, NULL, &reply,
	    msg, &n, reply_pack) != 0) {
		reply.body_case = SHELTERD__V1__REPLY__BODY__NOT_SET;
		reply.code = CODE(INTERNAL);
		reply.error = (char *)"cannot read the store";
		reply_pack(msg, &reply);
	}
}

void
api_reply(struct server *s, MDB_txn *rtxn, struct item *it)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	/* Live until reply_pack at the end: the reply points into them. */
	Shelterd__V1__UpdateAck ack;
	char warn[CAT_COUNT][96], *wp[CAT_COUNT];

	if (it->code == CODE(OK) && !api_is_write(it)) {
		reply_query(s, rtxn, it, &reply);
		if (it->code == CODE(OK) || it->msg == NULL)
			return; /* packed already, or waiting */
		reply.body_case = SHELTERD__V1__REPLY__BODY__NOT_SET;
	}
	if (it->code == CODE(OK) &&
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY_BATCH) {
		reply_batch(s, it, &reply);
		return;
	}
	if (it->placement != NULL) {
		Shelterd__V1__Placement pl;
		char *excl[PLACE_EXCLUDE_MAX];

		reply.code = (Shelterd__V1__Code)it->code;
		reply.error = it->err;
		if (it->code == CODE(OK)) {
			place_fill(it->placement, &pl, excl, false);
			reply.body_case = SHELTERD__V1__REPLY__BODY_PLACEMENT;
			reply.placement = &pl;
		} else {
			s->stats.refused[it->code & 15]++;
		}
		reply_pack(it->msg, &reply);
		return;
	}
	if (it->req != NULL &&
	    it->req->body_case == SHELTERD__V1__REQUEST__BODY_ACK_ALERT) {
		Shelterd__V1__Alert alert;

		reply.code = (Shelterd__V1__Code)it->code;
		reply.error = it->err;
		if (it->code == CODE(OK) || it->code == CODE(CONFLICT)) {
			alerts_fill_reply(&it->alert, &alert);
			reply.body_case = SHELTERD__V1__REPLY__BODY_ALERT;
			reply.alert = &alert;
		}
		if (it->code != CODE(OK))
			s->stats.refused[it->code & 15]++;
		reply_pack(it->msg, &reply);
		return;
	}
	if (it->code == CODE(OK)) {
		/* A single update: its verdict is the reply's. */
		it->code = it->one.code;
		snprintf(it->err, sizeof(it->err), "%s", it->one.err);
		count_result(s, &it->one);
	}
	reply.code = (Shelterd__V1__Code)it->code;
	reply.error = it->err;
	if (it->code == CODE(OK)) {
		validate_fill_ack(&ack, it->req->update, it->one.duplicate,
		    it->one.over_occupied, warn, wp);
		reply.body_case = SHELTERD__V1__REPLY__BODY_ACK;
		reply.ack = &ack;
	} else if (it->req == NULL ||
	    it->req->body_case != SHELTERD__V1__REQUEST__BODY_UPDATE) {
		s->stats.refused[it->code & 15]++;
	}
	reply_pack(it->msg, &reply);
}

/* ---- stale reports -------------------------------------------------- */

int64_t
api_deadline(const struct server *s, const struct reg_shelter *sh)
{
	return sh->deadline_secs ? sh->deadline_secs :
	    s->cfg->deadline_secs;
}

bool
api_stale_any_due(const struct server *s, int64_t now)
{
	for (size_t i = 0; i < s->reg->n_shelters; i++)
		if (s->stale_at[i] != 0 && s->stale_at[i] <= now)
			return true;
	return false;
}

/* One shelter missed its deadline: its beds become unknown. */
static int
mark_stale(struct server *s, MDB_txn *txn, const struct reg_shelter *sh,
    int64_t now)
{
	const struct reg_region *region = &s->reg->regions[sh->region];
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct shelter_state st, next;
	int rc;

	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	if (st.seq == 0 || st.stale ||
	    st.received_at + api_deadline(s, sh) > now)
		return 0; /* reported meanwhile, or already stale */
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_SHELTER;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	ev.region_id = (char *)region->id;
	ev.shelter_id = (char *)sh->id;
	for (int c = 0; c < CAT_COUNT; c++)
		if (st.present & (1u << c))
			ev.capacity += st.beds[c].capacity;
	if ((rc = events_emit(s, txn, &ev, now)) != 0)
		return rc;
	log_warn("shelter %s is stale: no report since %" PRId64 " s ago",
	    sh->id, now - st.received_at);
	next = st;
	next.stale = 1;
	return api_store_shelter(s, txn, sh, &st, &next, now);
}

int
api_stale_sweep(struct server *s, MDB_txn *txn, int64_t now)
{
	int rc;

	for (size_t i = 0; i < s->reg->n_shelters; i++) {
		if (s->stale_at[i] == 0 || s->stale_at[i] > now)
			continue;
		if ((rc = mark_stale(s, txn, &s->reg->shelters[i], now)) != 0)
			return rc;
		s->stale_at[i] = 0;
	}
	return 0;
}

/* ---- startup --------------------------------------------------------- */

/*
 * Rebuild every aggregate from the shelter states of reg (so that they
 * match however the registry changed), let the escalation rules see the
 * result, and compute each shelter's stale time into stale_at. In txn;
 * *changed counts the aggregates that did not match.
 */
int
api_reconcile_txn(struct server *s, MDB_txn *txn, const struct registry *reg,
    int64_t *stale_at, size_t *changed)
{
	struct aggregate *aggs, nation, stored;
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	int64_t now = (int64_t)time(NULL);
	size_t n;
	int rc;

	*changed = 0;
	aggs = calloc(reg->n_regions, sizeof(*aggs));
	REQUIRE(aggs != NULL);
	memset(&nation, 0, sizeof(nation));
	if ((rc = store_get_next_event_seq(s->store, txn,
	    &s->next_event_seq)) != 0)
		goto out;
	for (size_t i = 0; i < reg->n_shelters; i++) {
		struct shelter_state st;

		if ((rc = store_get_shelter(s->store, txn, reg->shelters[i].id,
		    &st)) != 0)
			goto out;
		stale_at[i] = (st.seq != 0 && !st.stale) ? st.received_at +
		    api_deadline(s, &reg->shelters[i]) : 0;
		aggregate_add(&aggs[reg->shelters[i].region], &st, +1);
		aggregate_add(&nation, &st, +1);
	}
	/* Keep stored levels; recompute counts; then let the rules decide. */
	for (size_t r = 0; r <= reg->n_regions; r++) {
		bool national = r == reg->n_regions;
		struct aggregate *a = national ? &nation : &aggs[r];
		const char *rid = national ? NULL : reg->regions[r].id;

		rc = national ? store_get_national(s->store, txn, &stored) :
		    store_get_region(s->store, txn, rid, &stored);
		if (rc != 0)
			goto out;
		for (int c = 0; c < CAT_COUNT; c++) {
			a->cat[c].level = stored.cat[c].level;
			a->outlook[c].early_level =
			    stored.outlook[c].early_level;
		}
		if (memcmp(a, &stored, sizeof(stored)) != 0)
			(*changed)++;
		n = esc_reevaluate(&s->cfg->esc,
		    national ? SCOPE_NATIONAL : SCOPE_REGION, a, tr);
		for (size_t k = 0; k < n; k++)
			if ((rc = events_emit_transition(s, txn, &tr[k], rid,
			    NULL, now)) != 0)
				goto out;
		rc = national ? store_put_national(s->store, txn, a) :
		    store_put_region(s->store, txn, rid, a);
		if (rc != 0)
			goto out;
	}
	if ((rc = store_put_next_event_seq(s->store, txn,
	    s->next_event_seq)) == 0)
		rc = place_init(s, txn);
out:
	free(aggs);
	return rc;
}

int
api_reconcile(struct server *s)
{
	MDB_txn *txn;
	size_t changed;
	int rc;

	if ((rc = store_begin(s->store, NULL, 1, &txn)) != 0)
		return rc;
	if ((rc = api_reconcile_txn(s, txn, s->reg, s->stale_at,
	    &changed)) != 0) {
		mdb_txn_abort(txn);
		events_drop_from(s, 0);
		return rc;
	}
	if ((rc = store_commit(txn)) != 0) {
		events_drop_from(s, 0);
		return rc;
	}
	if (changed > 0)
		log_warn("rebuilt %zu aggregates that did not match the "
		    "shelter states (registry changed?)", changed);
	return 0;
}
