/*
 * reserves.c — activating contingency reserve beds.
 *
 * An activation is checked by core/reserve.c (region, category, beds
 * against the region's reserve, a date in the future, a reason), then
 * kept in the `reserves` table under the event_seq of the event that
 * announces it (kind reserve, level info: it opens no alert) and written
 * to the audit log, all in the request's own nested txn. Only the
 * national coordinator's signed request may do it: an unsigned request,
 * which demo mode lets through elsewhere, is refused here.
 *
 * The shelters asked (of the region, with reserve beds of the category)
 * list the activations that concern them and confirm some of their
 * reserve beds or refuse, once each, each answer an event and an audit
 * entry.
 *
 * Confirmed beds are capacity at once: they are added to the shelter's
 * capacity and to its reserve_open (core/beds.h), through
 * occupancy_store(), so the aggregates, the escalation rules and the
 * index of free beds all see them, and placements use them
 * (placements.c marks a hold that needed them). A report keeps them, as
 * it keeps holds (occupancy.c). When the activation expires (the
 * housekeeping tick) or the national coordinator releases it, each
 * shelter's confirmed beds stop counting, an event each, and one event
 * ends the activation.
 */
#include "reserves.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ctx.h"
#include "events.h"
#include "log.h"
#include "occupancy.h"
#include "ops.h"
#include "reply.h"
#include "regionplan.h"
#include "reserve.h"
#include "util.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define STEP(x) SHELTERD__V1__RESERVE_STEP__RESERVE_STEP_##x

static int
refusal_code(enum reserve_refusal r)
{
	switch (r) {
	case RESERVE_UNKNOWN_CATEGORY:
		return CODE(UNKNOWN_CATEGORY);
	case RESERVE_NOT_ENOUGH:
		return CODE(CONFLICT);
	default:
		return CODE(BAD_REQUEST);
	}
}

/*
 * Confirmed reserve beds of category at sh start (delta > 0) or stop
 * (delta < 0) counting: capacity and reserve_open move together, through
 * occupancy_store() (history, escalation, aggregates, the index of free
 * beds). Beds a later report took out of capacity are not taken twice.
 */
static int
open_beds(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    int category, int64_t delta, int64_t now)
{
	struct shelter_state st, next;
	struct bed_counts *b;
	uint32_t *open;
	int rc;

	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	next = st;
	b = &next.beds[category - 1];
	open = &next.reserve_open[category - 1];
	if (delta < 0) {
		uint32_t d = (uint32_t)-delta;

		d = d < *open ? d : *open;
		*open -= d;
		b->capacity -= d < b->capacity ? d : b->capacity;
	} else {
		*open += (uint32_t)delta;
		b->capacity += (uint32_t)delta;
	}
	return occupancy_store(s, txn, sh, &st, &next, now);
}


/* This shelter's reserve beds of category within 72 h (0: none). */
static uint32_t
shelter_reserve(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    int category)
{
	return regionplan_shelter_reserve(s->reg, s->store, txn, sh,
	    category);
}

/* Is this activation one the shelter is asked to answer? */
static bool
concerns(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    const struct reserve_activation *r)
{
	return strcmp(s->reg->regions[sh->region].id, r->region) == 0 &&
	    shelter_reserve(s, txn, sh, r->category) > 0;
}

static void
fill_activation(Shelterd__V1__ReserveActivation *o,
    struct reserve_activation *r, const struct reserve_answer *a)
{
	shelterd__v1__reserve_activation__init(o);
	o->activation_id = r->id;
	o->region_id = r->region;
	o->category = (Shelterd__V1__Category)r->category;
	o->beds = r->beds;
	o->until = r->until;
	o->reason = r->reason;
	o->activated_by = r->by;
	o->activated_at = r->at;
	o->answered = a->id != 0;
	o->confirmed = a->confirmed != 0;
	o->confirmed_beds = a->beds;
	o->ended_at = r->ended_at;
	o->end = r->ended == RESERVE_RELEASED ? STEP(RELEASED) :
	    r->ended == RESERVE_EXPIRED ? STEP(EXPIRED) : STEP(UNSPECIFIED);
}

int
reserves_op_activate(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now)
{
	const Shelterd__V1__ReserveActivate *q = it->req->reserve_activate;
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct reserve_activation r;
	enum reserve_refusal why;
	char who[48];
	int region, rc;

	(void)k;
	authz_format(&it->who, who, sizeof(who));
	if (it->who.role != ROLE_NATIONAL)
		return op_fail(&it->res, CODE(FORBIDDEN), "reserve beds are "
		    "activated by a signed request of the national "
		    "coordinator, not %s", who);
	if ((why = reserve_check(s->reg, occupancy_reserves(s), q->region_id,
	    (int)q->category, q->beds, q->until, q->reason, now, &region,
	    it->res.msg, sizeof(it->res.msg))) != RESERVE_OK)
		return it->res.rc = refusal_code(why);
	memset(&r, 0, sizeof(r));
	r.id = s->next_event_seq; /* the event below gets this seq */
	r.at = now;
	r.until = q->until;
	r.beds = q->beds;
	r.category = (uint8_t)q->category;
	util_copy(r.region, sizeof(r.region), s->reg->regions[region].id);
	util_copy(r.by, sizeof(r.by), who);
	util_copy(r.reason, sizeof(r.reason), q->reason);
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_RESERVE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = r.region;
	ev.shelter_id = (char *)"";
	ev.category = q->category;
	ev.beds = r.beds;
	ev.activation_id = r.id;
	ev.reserve_until = r.until;
	ev.reason = r.reason;
	ev.reserve_step = STEP(ACTIVATED);
	if ((rc = events_emit(s, txn, &ev, now)) != 0 ||
	    (rc = store_put_reserve(s->store, txn, &r)) != 0 ||
	    (rc = audit_reserve(s, txn, &it->who, &r, now)) != 0)
		return rc;
	/* Earlier only: an aborted txn then costs one needless sweep. */
	if (s->next_reserve_expiry == 0 || r.until < s->next_reserve_expiry)
		s->next_reserve_expiry = r.until;
	log_info("reserve activation %" PRIu64 " by %s: %u %s beds in %s "
	    "until %" PRId64 " (%s)", r.id, who, r.beds, cat_name(r.category),
	    r.region, r.until, r.reason);
	it->value = r.id;
	return 0;
}

/* The shelters asked: reserve beds of the category in the activation's
 * region, as the registry says now (and as they declared by report). */
static size_t
asked(struct ctx *s, MDB_txn *txn, const struct reserve_activation *r,
    char **out)
{
	size_t n = 0;

	for (size_t i = 0; i < s->reg->n_shelters; i++) {
		const struct reg_shelter *sh = &s->reg->shelters[i];

		if (strcmp(s->reg->regions[sh->region].id, r->region) == 0 &&
		    shelter_reserve(s, txn, sh, r->category) > 0)
			out[n++] = (char *)sh->id;
	}
	return n;
}

/* An activation as stored (its id in it->value), read after the commit
 * that wrote it: a write's reply has no read txn of its own. */
void
reserves_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__ReserveActivation out;
	struct reserve_activation r;
	struct reserve_answer none;
	MDB_txn *txn;
	char **shelters;

	(void)rtxn;
	if (it->res.rc != 0 || it->value == 0 ||
	    store_begin(s->store, NULL, 0, &txn) != 0)
		return;
	if (store_get_reserve(s->store, txn, it->value, &r) != 0 ||
	    r.id == 0) {
		mdb_txn_abort(txn);
		return;
	}
	memset(&none, 0, sizeof(none));
	fill_activation(&out, &r, &none);
	shelters = calloc(s->reg->n_shelters + 1, sizeof(*shelters));
	REQUIRE(shelters != NULL);
	out.shelters = shelters;
	out.n_shelters = asked(s, txn, &r, shelters);
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION;
	reply->reserve_activation = &out;
	api_pack(it, reply);
	free(shelters);
	mdb_txn_abort(txn);
}

/* ---- the shelters' side ---------------------------------------------- */

struct open_list {
	struct ctx *s;
	MDB_txn *txn;
	const struct reg_shelter *sh;
	int64_t now;
	struct reserve_activation *v;
	struct reserve_answer *answers;
	size_t n, cap;
	int rc;
};

static int
collect_open(void *arg, const struct reserve_activation *r)
{
	struct open_list *l = arg;

	if (r->until <= l->now || r->ended != RESERVE_OPEN ||
	    !concerns(l->s, l->txn, l->sh, r))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		void *p = realloc(l->v, cap * sizeof(*l->v));
		void *q = realloc(l->answers, cap * sizeof(*l->answers));

		REQUIRE(p != NULL && q != NULL);
		l->v = p;
		l->answers = q;
		l->cap = cap;
	}
	l->v[l->n] = *r;
	if ((l->rc = store_get_reserve_answer(l->s->store, l->txn, r->id,
	    l->sh->id, &l->answers[l->n])) != 0)
		return 1;
	l->n++;
	return 0;
}

void
reserves_op_list(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const char *id = it->req->reserve_query->shelter_id;
	Shelterd__V1__ReserveList out = SHELTERD__V1__RESERVE_LIST__INIT;
	Shelterd__V1__ReserveActivation *acts, **ptrs;
	struct open_list l = { .s = s, .txn = rtxn,
		.now = (int64_t)time(NULL) };
	int rc;

	if ((l.sh = registry_shelter(s->reg, id)) == NULL) {
		op_fail(&it->res, CODE(UNKNOWN_SHELTER), "unknown shelter "
		    "'%.31s'", id);
		return;
	}
	if ((rc = store_reserves_each(s->store, rtxn, collect_open,
	    &l)) != 0 || (rc = l.rc) != 0) {
		it->res.rc = rc;
		goto out;
	}
	acts = calloc(l.n + 1, sizeof(*acts));
	ptrs = calloc(l.n + 1, sizeof(*ptrs));
	REQUIRE(acts != NULL && ptrs != NULL);
	for (size_t i = 0; i < l.n; i++) {
		fill_activation(&acts[i], &l.v[i], &l.answers[i]);
		ptrs[i] = &acts[i];
	}
	out.activations = ptrs;
	out.n_activations = l.n;
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESERVE_LIST;
	reply->reserve_list = &out;
	api_pack(it, reply);
	free(acts);
	free(ptrs);
out:
	free(l.v);
	free(l.answers);
}

/* Beds confirmed so far (store_reserve_answers_each). */
static int
sum_beds(void *arg, const struct reserve_answer *a)
{
	*(uint32_t *)arg += a->confirmed ? a->beds : 0;
	return 0;
}

int
reserves_op_answer(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now)
{
	const Shelterd__V1__ReserveAnswer *q = it->req->reserve_answer;
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	const struct reg_shelter *sh;
	struct reserve_activation r;
	struct reserve_answer a;
	struct shelter_state st;
	uint32_t have, open, left, confirmed = 0;
	char less[40] = "";
	int rc;

	(void)k;
	if ((sh = registry_shelter(s->reg, q->shelter_id)) == NULL)
		return op_fail(&it->res, CODE(UNKNOWN_SHELTER), "unknown "
		    "shelter '%.31s'", q->shelter_id);
	if ((rc = store_get_reserve(s->store, txn, q->activation_id,
	    &r)) != 0)
		return rc;
	if (r.id == 0)
		return op_fail(&it->res, CODE(NOT_FOUND), "no reserve "
		    "activation %" PRIu64 " (see shelter-report reserve)",
		    q->activation_id);
	if (!concerns(s, txn, sh, &r))
		return op_fail(&it->res, CODE(BAD_REQUEST), "activation %"
		    PRIu64 " does not ask %s: it is for %s beds in %s", r.id,
		    sh->id, cat_name(r.category), r.region);
	if (r.until <= now || r.ended != RESERVE_OPEN)
		return op_fail(&it->res, CODE(CONFLICT), "activation %" PRIu64
		    " has %s", r.id, r.ended == RESERVE_RELEASED ?
		    "been released" : "expired");
	if ((rc = store_get_reserve_answer(s->store, txn, r.id, sh->id,
	    &a)) != 0)
		return rc;
	if (a.id != 0)
		return op_fail(&it->res, CODE(CONFLICT), "%s answered "
		    "activation %" PRIu64 " already (%s)", sh->id, r.id,
		    a.confirmed ? "confirmed" : "refused");
	/* Beds open for another activation are not there twice. */
	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	have = shelter_reserve(s, txn, sh, r.category);
	open = st.reserve_open[r.category - 1];
	left = have > open ? have - open : 0;
	if (open > 0)
		snprintf(less, sizeof(less), ", less %u open already", open);
	if (q->confirm && (q->beds < 1 || q->beds > left))
		return op_fail(&it->res, CODE(BAD_REQUEST), "confirm 1 to %u "
		    "beds (%s's reserve of %s within 72 h%s), not %u", left,
		    sh->id, cat_name(r.category), less, q->beds);
	/* No more beds open than the coordinator asked for. */
	if ((rc = store_reserve_answers_each(s->store, txn, r.id, sum_beds,
	    &confirmed)) != 0)
		return rc;
	if (q->confirm && confirmed + q->beds > r.beds)
		return op_fail(&it->res, CODE(CONFLICT), "activation %" PRIu64
		    " asks for %u beds and %u are confirmed: confirm at most "
		    "%u, not %u", r.id, r.beds, confirmed, r.beds > confirmed ?
		    r.beds - confirmed : 0, q->beds);
	memset(&a, 0, sizeof(a));
	a.id = r.id;
	a.at = now;
	a.beds = q->confirm ? q->beds : 0;
	a.confirmed = q->confirm;
	util_copy(a.shelter, sizeof(a.shelter), sh->id);
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_RESERVE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = r.region;
	ev.shelter_id = a.shelter;
	ev.category = (Shelterd__V1__Category)r.category;
	ev.beds = a.beds;
	ev.activation_id = r.id;
	ev.reserve_until = r.until;
	ev.reason = r.reason;
	ev.confirmed = q->confirm;
	ev.reserve_step = q->confirm ? STEP(CONFIRMED) : STEP(REFUSED);
	if ((rc = events_emit(s, txn, &ev, now)) != 0 ||
	    (rc = store_put_reserve_answer(s->store, txn, &a)) != 0 ||
	    (rc = audit_reserve_answer(s, txn, &it->who, &r, &a, now)) != 0)
		return rc;
	/* Capacity from now until the activation ends. */
	if (a.confirmed && (rc = open_beds(s, txn, sh, r.category,
	    (int64_t)a.beds, now)) != 0)
		return rc;
	log_info("reserve activation %" PRIu64 ": %s %s %u beds", r.id,
	    sh->id, a.confirmed ? "confirmed" : "refused", a.beds);
	return 0;
}

/* What the shelter answered, from its request (no read txn here). */
void
reserves_op_reply_answer(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__ReserveAnswer *q = it->req->reserve_answer;
	Shelterd__V1__ReserveActivation out;
	struct reserve_activation r;
	struct reserve_answer a;

	(void)s;
	(void)rtxn;
	if (it->res.rc != 0)
		return;
	memset(&r, 0, sizeof(r));
	memset(&a, 0, sizeof(a));
	r.id = a.id = q->activation_id;
	a.confirmed = q->confirm;
	a.beds = q->confirm ? q->beds : 0;
	fill_activation(&out, &r, &a);
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION;
	reply->reserve_activation = &out;
	api_pack(it, reply);
}

/* ---- the end of an activation ----------------------------------------- */

struct confirmed {
	struct reserve_answer *v;
	size_t n, cap;
};

static int
collect_confirmed(void *arg, const struct reserve_answer *a)
{
	struct confirmed *c = arg;

	if (!a->confirmed || a->beds == 0)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		void *p = realloc(c->v, cap * sizeof(*c->v));

		REQUIRE(p != NULL);
		c->v = p;
		c->cap = cap;
	}
	c->v[c->n++] = *a;
	return 0;
}

/* One reserve event of activation r: the activation's end (shelter NULL)
 * or one shelter's confirmed beds that stop counting. */
static int
end_event(struct ctx *s, MDB_txn *txn, const struct reserve_activation *r,
    const char *shelter, uint32_t beds, int step, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_RESERVE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = (char *)r->region;
	ev.shelter_id = (char *)(shelter != NULL ? shelter : "");
	ev.category = (Shelterd__V1__Category)r->category;
	ev.beds = beds;
	ev.activation_id = r->id;
	ev.reserve_until = r->until;
	ev.reason = (char *)r->reason;
	ev.confirmed = shelter != NULL;
	ev.reserve_step = (Shelterd__V1__ReserveStep)step;
	return events_emit(s, txn, &ev, now);
}

/*
 * End activation r (released or expired): every confirmed shelter's beds
 * stop counting, an event each, then the activation's own event, and the
 * activation is stored as ended. A shelter no longer in the registry has
 * no state to take them from.
 */
static int
end_activation(struct ctx *s, MDB_txn *txn, struct reserve_activation *r,
    enum reserve_end why, int64_t now)
{
	int step = why == RESERVE_RELEASED ? STEP(RELEASED) : STEP(EXPIRED);
	struct confirmed c = { 0 };
	int rc;

	rc = store_reserve_answers_each(s->store, txn, r->id,
	    collect_confirmed, &c);
	for (size_t i = 0; rc == 0 && i < c.n; i++) {
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    c.v[i].shelter);

		if (sh == NULL)
			continue;
		if ((rc = open_beds(s, txn, sh, r->category,
		    -(int64_t)c.v[i].beds, now)) == 0)
			rc = end_event(s, txn, r, sh->id, c.v[i].beds, step,
			    now);
	}
	free(c.v);
	if (rc != 0)
		return rc;
	r->ended = (uint8_t)why;
	r->ended_at = now;
	if ((rc = end_event(s, txn, r, NULL, 0, step, now)) != 0 ||
	    (rc = store_put_reserve(s->store, txn, r)) != 0)
		return rc;
	log_info("reserve activation %" PRIu64 " %s: %s %s beds in %s no "
	    "longer count", r->id, why == RESERVE_RELEASED ? "released" :
	    "expired", c.n > 0 ? "its confirmed" : "no confirmed",
	    cat_name(r->category), r->region);
	return 0;
}

int
reserves_op_release(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now)
{
	uint64_t id = it->req->reserve_release->activation_id;
	struct reserve_activation r;
	char who[48];
	int rc;

	(void)k;
	authz_format(&it->who, who, sizeof(who));
	if (it->who.role != ROLE_NATIONAL)
		return op_fail(&it->res, CODE(FORBIDDEN), "reserve beds are "
		    "released by a signed request of the national "
		    "coordinator, not %s", who);
	if ((rc = store_get_reserve(s->store, txn, id, &r)) != 0)
		return rc;
	if (r.id == 0)
		return op_fail(&it->res, CODE(NOT_FOUND), "no reserve "
		    "activation %" PRIu64, id);
	if (r.ended != RESERVE_OPEN || r.until <= now)
		return op_fail(&it->res, CODE(CONFLICT), "activation %" PRIu64
		    " has ended already (%s)", r.id,
		    r.ended == RESERVE_RELEASED ? "released" : "expired");
	if ((rc = end_activation(s, txn, &r, RESERVE_RELEASED, now)) != 0 ||
	    (rc = audit_reserve(s, txn, &it->who, &r, now)) != 0)
		return rc;
	it->value = r.id;
	return 0;
}

/* ---- expiry (the housekeeping tick) ----------------------------------- */

struct due {
	int64_t now, next;
	struct reserve_activation *v;
	size_t n, cap;
};

static int
collect_due(void *arg, const struct reserve_activation *r)
{
	struct due *d = arg;

	if (r->ended != RESERVE_OPEN)
		return 0;
	if (r->until > d->now) {
		if (d->next == 0 || r->until < d->next)
			d->next = r->until;
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 8;
		void *p = realloc(d->v, cap * sizeof(*d->v));

		REQUIRE(p != NULL);
		d->v = p;
		d->cap = cap;
	}
	d->v[d->n++] = *r;
	return 0;
}

bool
reserves_any_expired(const struct ctx *s, int64_t now)
{
	return s->next_reserve_expiry != 0 && s->next_reserve_expiry <= now;
}

int
reserves_expire(struct ctx *s, MDB_txn *txn, int64_t now)
{
	struct due d = { .now = now };
	int rc;

	rc = store_reserves_each(s->store, txn, collect_due, &d);
	for (size_t i = 0; rc == 0 && i < d.n; i++)
		rc = end_activation(s, txn, &d.v[i], RESERVE_EXPIRED, now);
	free(d.v);
	/* On an error the txn is aborted: sweep again next tick. */
	s->next_reserve_expiry = rc == 0 ? d.next : now;
	return rc;
}
