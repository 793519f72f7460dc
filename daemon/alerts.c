/*
 * alerts.c — open alerts: raised by an event, lowered or cleared by later
 * ones, acknowledged by a coordinator, and published again (one step higher)
 * while a critical one stays unacknowledged.
 *
 * The alert table lives in LMDB next to the event log and changes in the
 * same txn as the events that move it, so after a crash the two agree.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "audit.h"
#include "events.h"
#include "wire.h"
#include "log.h"
#include "occupancy.h"
#include "util.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

void
alert_key(int kind, int scope, const char *region, const char *shelter,
    int category, char *key, size_t len)
{
	snprintf(key, len, "%d/%d/%s/%s/%d", kind, scope, region, shelter,
	    category);
}

/* The key of the alert an event belongs to: a placement alert is one
 * request's, so the request stands where a shelter would. */
static void
event_alert_key(const Shelterd__V1__Event *ev, char *key, size_t len)
{
	alert_key((int)ev->kind, (int)ev->scope, ev->region_id,
	    ev->scope == SHELTERD__V1__SCOPE__SCOPE_PLACEMENT ?
	    ev->request_id : ev->shelter_id, (int)ev->category, key, len);
}

int
alerts_track(struct ctx *s, MDB_txn *txn, Shelterd__V1__Event *ev)
{
	struct alert_state a;
	char key[160];
	int rc;

	/* A step of a placement is progress, not an alarm: it never opens,
	 * moves or closes an alert. */
	if (ev->level == SHELTERD__V1__LEVEL__LEVEL_INFO)
		return 0;
	/* The key holds kind and scope: only an event of the alert's own
	 * kind and scope (and place) can change its level. */
	event_alert_key(ev, key, sizeof(key));
	if ((rc = store_get_alert(s->store, txn, key, &a)) != 0)
		return rc;
	if (ev->level == SHELTERD__V1__LEVEL__LEVEL_OK) {
		ev->alert_seq = a.opened_seq;
		return a.opened_seq ? store_del_alert(s->store, txn, key) : 0;
	}
	if (a.opened_seq == 0) {
		memset(&a, 0, sizeof(a));
		a.opened_seq = ev->event_seq;
		a.opened_at = ev->at;
		a.kind = (uint8_t)ev->kind;
		a.scope = (uint8_t)ev->scope;
		a.category = (uint8_t)ev->category;
		util_copy(a.region, sizeof(a.region), ev->region_id);
		util_copy(a.shelter, sizeof(a.shelter), ev->shelter_id);
		util_copy(a.request_id, sizeof(a.request_id),
		    ev->request_id);
	}
	/* An acknowledgement stands until the alert clears: the one who
	 * took it on keeps it through any change of level, and it is not
	 * published again meanwhile. */
	a.level = (uint8_t)ev->level;
	a.last_seq = ev->event_seq;
	a.published_at = ev->at;
	ev->alert_seq = a.opened_seq;
	return store_put_alert(s->store, txn, key, &a);
}

int
alerts_close_placement(struct ctx *s, MDB_txn *txn, const char *region,
    const char *request_id, int category, int state, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct alert_state a;
	char key[160];
	int rc;

	alert_key(SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT,
	    SHELTERD__V1__SCOPE__SCOPE_PLACEMENT, region, request_id,
	    category, key, sizeof(key));
	if ((rc = store_get_alert(s->store, txn, key, &a)) != 0 ||
	    a.opened_seq == 0)
		return rc;
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_PLACEMENT;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_OK;
	ev.previous_level = (Shelterd__V1__Level)a.level;
	ev.region_id = (char *)region;
	ev.shelter_id = (char *)"";
	ev.category = (Shelterd__V1__Category)category;
	ev.request_id = (char *)request_id;
	ev.placement_state = (Shelterd__V1__PlacementState)state;
	log_info("alert %" PRIu64 " closed: placement %s %s", a.opened_seq,
	    request_id, placement_state_name(state));
	return events_emit(s, txn, &ev, now);
}

/* ---- acknowledging --------------------------------------------------- */

struct find {
	uint64_t seq;
	char key[160];
	struct alert_state a;
	bool found;
};

static int
match_seq(void *arg, const char *key, const struct alert_state *a)
{
	struct find *f = arg;

	if (a->opened_seq != f->seq && a->last_seq != f->seq)
		return 0;
	f->found = true;
	f->a = *a;
	snprintf(f->key, sizeof(f->key), "%s", key);
	return 1;
}

/* *arg: the event_seq asked for; then the alert it belongs to (its
 * alert_seq), or 0. */
static int
alert_of_event(void *arg, uint64_t seq, const void *data, size_t len)
{
	uint64_t *io = arg;
	Shelterd__V1__Event *ev = seq == *io ?
	    shelterd__v1__event__unpack(NULL, len, data) : NULL;

	*io = ev != NULL ? ev->alert_seq : 0;
	if (ev != NULL)
		shelterd__v1__event__free_unpacked(ev, NULL);
	return 1;
}

static int
ack(struct ctx *s, MDB_txn *txn, const Shelterd__V1__AckAlert *req,
    struct alert_state *out, char *err, size_t errlen, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct find f = { .seq = req->event_seq };
	size_t by_len = req->by ? strlen(req->by) : 0;
	int rc;

	if (by_len == 0 || by_len >= sizeof(f.a.acked_by)) {
		snprintf(err, errlen, "say who acknowledges (by: a desk or "
		    "role, 1 to %zu characters)", sizeof(f.a.acked_by) - 1);
		return CODE(BAD_REQUEST);
	}
	if ((rc = store_alerts_each(s->store, txn, match_seq, &f)) != 0)
		return rc;
	/* Any publication of the alert will do, not only its first and
	 * latest: it may have been published again since it was seen. */
	if (!f.found && req->event_seq > 0) {
		uint64_t alert_seq = req->event_seq;

		if ((rc = store_events_since(s->store, txn, req->event_seq - 1,
		    1, alert_of_event, &alert_seq)) != 0)
			return rc;
		if (alert_seq != 0 && alert_seq != req->event_seq) {
			f.seq = alert_seq;
			if ((rc = store_alerts_each(s->store, txn, match_seq,
			    &f)) != 0)
				return rc;
		}
	}
	if (!f.found) {
		snprintf(err, errlen, "no open alert with event_seq %" PRIu64
		    " (it may have cleared; see shelterctl alerts)",
		    req->event_seq);
		return CODE(NOT_FOUND);
	}
	if (f.a.acked_at != 0) {
		snprintf(err, errlen, "alert %" PRIu64 " was already "
		    "acknowledged by %s", f.a.opened_seq, f.a.acked_by);
		*out = f.a;
		return CODE(CONFLICT);
	}
	util_copy(f.a.acked_by, sizeof(f.a.acked_by), req->by);
	f.a.acked_at = now;
	if ((rc = store_put_alert(s->store, txn, f.key, &f.a)) != 0)
		return rc;
	/* Tell the other coordinators that this one is taken. */
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_ACKNOWLEDGED;
	ev.scope = (Shelterd__V1__Scope)f.a.scope;
	ev.level = ev.previous_level = (Shelterd__V1__Level)f.a.level;
	ev.region_id = f.a.region;
	ev.shelter_id = f.a.shelter;
	ev.category = (Shelterd__V1__Category)f.a.category;
	ev.step = f.a.step;
	ev.alert_seq = f.a.opened_seq;
	ev.acknowledged_by = f.a.acked_by;
	ev.request_id = f.a.request_id;
	if ((rc = events_emit(s, txn, &ev, now)) != 0)
		return rc;
	log_info("alert %" PRIu64 " acknowledged by %s", f.a.opened_seq,
	    f.a.acked_by);
	*out = f.a;
	return 0;
}

/* ---- re-escalation --------------------------------------------------- */

struct due {
	struct ctx *s;
	int64_t now;
	size_t n, cap;
	char (*keys)[160];
	struct alert_state *alerts;
};

static bool
is_due(const struct ctx *s, const struct alert_state *a, int64_t now)
{
	/* A structural shortage is a warning, published again at the
	 * planning's own, slower pace (docs/planning.md). */
	if (a->kind ==
	    SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE)
		return a->acked_at == 0 && now - a->published_at >=
		    (int64_t)s->cfg->plan.reescalate_secs;
	return a->level == SHELTERD__V1__LEVEL__LEVEL_CRITICAL &&
	    a->acked_at == 0 &&
	    now - a->published_at >= (int64_t)s->cfg->reescalate_secs;
}

static int
collect_due(void *arg, const char *key, const struct alert_state *a)
{
	struct due *d = arg;

	if (!is_due(d->s, a, d->now))
		return 0;
	if (d->keys == NULL) {
		d->n = 1; /* only asked whether any is due */
		return 1;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		void *k = realloc(d->keys, cap * sizeof(*d->keys));
		void *v = realloc(d->alerts, cap * sizeof(*d->alerts));

		REQUIRE(k != NULL && v != NULL);
		d->keys = k;
		d->alerts = v;
		d->cap = cap;
	}
	snprintf(d->keys[d->n], sizeof(d->keys[0]), "%s", key);
	d->alerts[d->n++] = *a;
	return 0;
}

bool
alerts_any_due(struct ctx *s, MDB_txn *rtxn, int64_t now)
{
	struct due d = { .s = s, .now = now };

	/* keys == NULL: collect_due stops at the first due alert. */
	if (store_alerts_each(s->store, rtxn, collect_due, &d) != 0)
		return false;
	return d.n > 0;
}

/* Current counts of what an alert is about, for its re-publication. */
static void
current_counts(struct ctx *s, MDB_txn *txn, const struct alert_state *a,
    Shelterd__V1__Event *ev)
{
	struct aggregate agg;
	struct shelter_state sh;
	struct placement_state p;
	int c = a->category - 1;

	if (a->scope == SHELTERD__V1__SCOPE__SCOPE_PLACEMENT) {
		ev->request_id = (char *)a->request_id;
		ev->placement_state =
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_UNPLACED;
		if (store_get_placement(s->store, txn, a->request_id,
		    &p) == 0)
			ev->beds = p.beds;
		return;
	}
	if (c < 0 || c >= CAT_COUNT)
		return;
	if (a->scope == SCOPE_SHELTER) {
		if (store_get_shelter(s->store, txn, a->shelter, &sh) == 0) {
			ev->capacity = sh.beds[c].capacity;
			ev->free = beds_free(sh.status, &sh.beds[c]);
		}
		return;
	}
	if ((a->scope == SCOPE_REGION ? store_get_region(s->store, txn,
	    a->region, &agg) : store_get_national(s->store, txn, &agg)) == 0) {
		struct totals t = agg.cat[c];

		ev->capacity = t.capacity;
		ev->free = t.free;
		ev->occupancy_pct = totals_pct(&t);
	}
}

int
alerts_reescalate(struct ctx *s, MDB_txn *txn, int64_t now)
{
	struct due d = { .s = s, .now = now };
	int rc;

	d.cap = 0;
	d.keys = malloc(16 * sizeof(*d.keys));
	d.alerts = malloc(16 * sizeof(*d.alerts));
	REQUIRE(d.keys != NULL && d.alerts != NULL);
	d.cap = 16;
	/* Collect first, then write: no writes under an open cursor. */
	rc = store_alerts_each(s->store, txn, collect_due, &d);
	for (size_t i = 0; rc == 0 && i < d.n; i++) {
		Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
		struct alert_state *a = &d.alerts[i];

		a->step++;
		ev.kind = (Shelterd__V1__EventKind)a->kind;
		ev.scope = (Shelterd__V1__Scope)a->scope;
		ev.level = ev.previous_level = (Shelterd__V1__Level)a->level;
		ev.region_id = a->region;
		ev.shelter_id = a->shelter;
		ev.category = (Shelterd__V1__Category)a->category;
		ev.step = a->step;
		ev.alert_seq = a->opened_seq;
		current_counts(s, txn, a, &ev);
		if ((rc = events_emit(s, txn, &ev, now)) != 0)
			break;
		a->last_seq = ev.event_seq;
		a->published_at = now;
		rc = store_put_alert(s->store, txn, d.keys[i], a);
		log_warn("alert %" PRIu64 " still unacknowledged: published "
		    "again, step %u", a->opened_seq, a->step);
	}
	free(d.keys);
	free(d.alerts);
	return rc;
}

/* ---- listing --------------------------------------------------------- */

struct list {
	const struct ctx *s;
	const struct identity *who;  /* NULL: every alert */
	struct alert_state *v;
	size_t n, cap;
};

static int
collect_all(void *arg, const char *key, const struct alert_state *a)
{
	struct list *l = arg;
	struct subject sub = { .scope = a->scope, .kind = a->kind,
		.region = a->region, .shelter = a->shelter,
		.category = a->category };

	(void)key;
	/* Another shelter's alert is not a shelter's (or a stranger's) to
	 * see (core/disclose.c). */
	if (l->who != NULL &&
	    !disclose_may_see(l->who, l->s->disc, l->s->reg, &sub))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		REQUIRE(p != NULL);
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
	return 0;
}

static int
by_opened(const void *x, const void *y)
{
	const struct alert_state *a = x, *b = y;

	return (a->opened_seq > b->opened_seq) -
	    (a->opened_seq < b->opened_seq);
}

void
alerts_op_list(struct ctx *s, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__AlertsReply ar = SHELTERD__V1__ALERTS_REPLY__INIT;
	Shelterd__V1__Alert *alerts, **ptrs;
	struct reserve_fill *rf;
	struct list l = { .s = s, .who = &it->who };
	int rc;

	if ((rc = store_alerts_each(s->store, txn, collect_all, &l)) != 0) {
		free(l.v);
		it->res.rc = rc;
		return;
	}
	if (l.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), by_opened);
	alerts = calloc(l.n + 1, sizeof(*alerts));
	ptrs = calloc(l.n + 1, sizeof(*ptrs));
	rf = calloc(l.n + 1, sizeof(*rf));
	REQUIRE(alerts != NULL && ptrs != NULL && rf != NULL);
	for (size_t i = 0; i < l.n; i++) {
		wire_alert(&alerts[i], &l.v[i]);
		ptrs[i] = &alerts[i];
		/* The country is full: the reserve beds that could be
		 * activated now, and where. */
		if (l.v[i].scope != SCOPE_NATIONAL || l.v[i].kind !=
		    SHELTERD__V1__EVENT_KIND__EVENT_KIND_OCCUPANCY ||
		    l.v[i].level != SHELTERD__V1__LEVEL__LEVEL_CRITICAL)
			continue;
		wire_reserve(&rf[i], s->reg, occupancy_reserves(s),
		    l.v[i].category);
		alerts[i].names_reserve = true;
		alerts[i].reserve_24h = rf[i].beds_24h;
		alerts[i].reserve_72h = rf[i].beds_72h;
		alerts[i].reserve_where = rf[i].ptrs;
		alerts[i].n_reserve_where = rf[i].n;
	}
	ar.alerts = ptrs;
	ar.n_alerts = l.n;
	ar.now = (int64_t)time(NULL);
	reply->body_case = SHELTERD__V1__REPLY__BODY_ALERTS;
	reply->alerts = &ar;
	api_pack(it, reply);
	free(alerts);
	free(ptrs);
	free(rf);
	free(l.v);
}

int
alerts_op_ack(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	int rc;

	(void)k;
	rc = ack(s, txn, it->req->ack_alert, &it->alert, it->res.msg,
	    sizeof(it->res.msg), now);
	if (rc == 0)
		rc = audit_alert_ack(s, txn, &it->who, &it->alert, now);
	return rc;
}

/* The alert as now, also when it was acknowledged before (CONFLICT). */
void
alerts_op_reply_ack(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__Alert alert;

	(void)s;
	(void)rtxn;
	if (it->res.rc != 0 && it->res.rc != CODE(CONFLICT))
		return;
	wire_alert(&alert, &it->alert);
	reply->body_case = SHELTERD__V1__REPLY__BODY_ALERT;
	reply->alert = &alert;
	api_pack(it, reply);
}
