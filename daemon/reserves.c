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
 * entry. Not built yet (docs/registry.md): confirmed beds counting as
 * capacity until released or expired, placements into them.
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
#include "ops.h"
#include "reply.h"
#include "reserve.h"
#include "util.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

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
	if ((why = reserve_check(s->reg, q->region_id, (int)q->category,
	    q->beds, q->until, q->reason, now, &region, it->res.msg,
	    sizeof(it->res.msg))) != RESERVE_OK)
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
	if ((rc = events_emit(s, txn, &ev, now)) != 0 ||
	    (rc = store_put_reserve(s->store, txn, &r)) != 0 ||
	    (rc = audit_reserve(s, txn, &it->who, &r, now)) != 0)
		return rc;
	log_info("reserve activation %" PRIu64 " by %s: %u %s beds in %s "
	    "until %" PRId64 " (%s)", r.id, who, r.beds, cat_name(r.category),
	    r.region, r.until, r.reason);
	it->value = r.id;
	return 0;
}

/* The activation as stored, from the request that made it: a write's
 * reply has no read txn (server.c opens one only for reads). */
void
reserves_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__ReserveActivate *q = it->req->reserve_activate;
	Shelterd__V1__ReserveActivation out =
	    SHELTERD__V1__RESERVE_ACTIVATION__INIT;
	struct reserve_activation r;
	char **shelters;
	size_t n = 0;

	(void)rtxn;
	if (it->res.rc != 0 || it->value == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.id = it->value;
	r.at = (int64_t)time(NULL);
	r.until = q->until;
	r.beds = q->beds;
	r.category = (uint8_t)q->category;
	util_copy(r.region, sizeof(r.region), q->region_id);
	authz_format(&it->who, r.by, sizeof(r.by));
	util_copy(r.reason, sizeof(r.reason), q->reason);
	shelters = calloc(s->reg->n_reserves + 1, sizeof(*shelters));
	REQUIRE(shelters != NULL);
	/* The shelters asked: reserve beds of the category, in the region
	 * (as the registry says now). */
	for (size_t i = 0; i < s->reg->n_reserves; i++) {
		const struct reg_reserve *x = &s->reg->reserves[i];
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    x->shelter);

		if (sh != NULL && x->category == r.category &&
		    x->beds_72h > 0 &&
		    strcmp(s->reg->regions[sh->region].id, r.region) == 0)
			shelters[n++] = (char *)sh->id;
	}
	out.activation_id = r.id;
	out.region_id = r.region;
	out.category = (Shelterd__V1__Category)r.category;
	out.beds = r.beds;
	out.until = r.until;
	out.reason = r.reason;
	out.activated_by = r.by;
	out.activated_at = r.at;
	out.shelters = shelters;
	out.n_shelters = n;
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION;
	reply->reserve_activation = &out;
	api_pack(it, reply);
	free(shelters);
}

/* ---- the shelters' side ---------------------------------------------- */

/* This shelter's reserve beds of category within 72 h; 0: none. */
static uint32_t
shelter_reserve(const struct registry *reg, const char *shelter,
    int category)
{
	for (size_t i = 0; i < reg->n_reserves; i++)
		if (reg->reserves[i].category == category &&
		    strcmp(reg->reserves[i].shelter, shelter) == 0)
			return reg->reserves[i].beds_72h;
	return 0;
}

/* Is this activation one the shelter is asked to answer? */
static bool
concerns(const struct registry *reg, const struct reg_shelter *sh,
    const struct reserve_activation *r)
{
	return strcmp(reg->regions[sh->region].id, r->region) == 0 &&
	    shelter_reserve(reg, sh->id, r->category) > 0;
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
}

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

	if (r->until <= l->now || !concerns(l->s->reg, l->sh, r))
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

int
reserves_op_answer(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now)
{
	const Shelterd__V1__ReserveAnswer *q = it->req->reserve_answer;
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	const struct reg_shelter *sh;
	struct reserve_activation r;
	struct reserve_answer a;
	uint32_t have;
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
	if (!concerns(s->reg, sh, &r))
		return op_fail(&it->res, CODE(BAD_REQUEST), "activation %"
		    PRIu64 " does not ask %s: it is for %s beds in %s", r.id,
		    sh->id, cat_name(r.category), r.region);
	if (r.until <= now)
		return op_fail(&it->res, CODE(CONFLICT), "activation %" PRIu64
		    " has expired", r.id);
	if ((rc = store_get_reserve_answer(s->store, txn, r.id, sh->id,
	    &a)) != 0)
		return rc;
	if (a.id != 0)
		return op_fail(&it->res, CODE(CONFLICT), "%s answered "
		    "activation %" PRIu64 " already (%s)", sh->id, r.id,
		    a.confirmed ? "confirmed" : "refused");
	have = shelter_reserve(s->reg, sh->id, r.category);
	if (q->confirm && (q->beds < 1 || q->beds > have))
		return op_fail(&it->res, CODE(BAD_REQUEST), "confirm 1 to %u "
		    "beds (%s's reserve of %s within 72 h), not %u", have,
		    sh->id, cat_name(r.category), q->beds);
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
	if ((rc = events_emit(s, txn, &ev, now)) != 0 ||
	    (rc = store_put_reserve_answer(s->store, txn, &a)) != 0 ||
	    (rc = audit_reserve_answer(s, txn, &it->who, &r, &a, now)) != 0)
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
