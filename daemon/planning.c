/*
 * planning.c — structural shortage alerts (docs/planning.md).
 *
 * The rule is core/shortage.c's; the planning days come from the history
 * (history.c). The evaluation reads a whole window of samples, so it runs
 * every [planning] check_secs (an hour by default), not every tick, and
 * on the loop thread: it decides alerts, which only the loop may write.
 * Its alert is kind STRUCTURAL_SHORTAGE, scope region, level warning: a
 * matter of planning, published again while unacknowledged at [planning]
 * reescalate_secs (alerts.c), not at the pace of tonight's alerts.
 */
#include "planning.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "ctx.h"
#include "events.h"
#include "history.h"
#include "log.h"
#include "occupancy.h"
#include "ops.h"
#include "reply.h"
#include "report.h"
#include "regionplan.h"
#include "shortage.h"
#include "wire.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

#define KIND_SHORTAGE SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE

static void
shortage_key(const char *region, int category, char *key, size_t len)
{
	alert_key(KIND_SHORTAGE, SHELTERD__V1__SCOPE__SCOPE_REGION, region, "",
	    category, key, len);
}

/* Open or clear one region/category's alert as the rule says. */
static int
decide(struct ctx *s, MDB_txn *txn, size_t r, int c,
    const struct shortage_day *days, bool covered, int64_t now)
{
	const struct planning_config *pc = &s->cfg->plan;
	const char *region = s->reg->regions[r].id;
	struct shortage_params p = { pc->critical_days, pc->clear_days };
	struct shortage_in in = { days, pc->window_days, covered, false, 0,
		0, false };
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct shortage_out out;
	struct alert_state a;
	char key[160];
	int rc;

	shortage_key(region, c, key, sizeof(key));
	if ((rc = store_get_alert(s->store, txn, key, &a)) != 0)
		return rc;
	in.open = a.opened_seq != 0;
	in.has_norm = norms_current(s->reg, (int)r, c, now, &in.norm);
	in.capacity = days[pc->window_days - 1].capacity;
	shortage_eval(&p, &in, &out);
	if (out.open == in.open)
		return 0;
	ev.kind = KIND_SHORTAGE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = out.open ? SHELTERD__V1__LEVEL__LEVEL_WARNING :
	    SHELTERD__V1__LEVEL__LEVEL_OK;
	ev.previous_level = in.open ? (Shelterd__V1__Level)a.level :
	    SHELTERD__V1__LEVEL__LEVEL_OK;
	ev.region_id = (char *)region;
	ev.shelter_id = (char *)"";
	ev.category = (Shelterd__V1__Category)c;
	ev.capacity = in.capacity;
	ev.norm = in.norm;
	ev.has_norm = in.has_norm;
	ev.window_days = pc->window_days;
	ev.days_below_norm = out.days_below_norm;
	ev.days_critical = out.days_critical;
	if (out.open)
		log_warn("structural shortage %s %s: open capacity %u, norm "
		    "%s%u; %u of %u days below the norm, %u at or over "
		    "critical", region, cat_name(c), in.capacity,
		    in.has_norm ? "" : "none ", in.norm, out.days_below_norm,
		    pc->window_days, out.days_critical);
	else
		log_info("structural shortage %s %s cleared: open capacity "
		    "%u, norm %u, %u critical days", region, cat_name(c),
		    in.capacity, in.norm, out.days_critical);
	return events_emit(s, txn, &ev, now);
}

void
planning_tick(struct ctx *s, int64_t now)
{
	const struct planning_config *pc = &s->cfg->plan;
	size_t nr = s->reg->n_regions, n = pc->window_days;
	struct shortage_day *days;
	MDB_txn *txn = NULL;
	bool covered = false;
	int rc;

	if (now < s->plan_next_check)
		return;
	s->plan_next_check = now + pc->check_secs;
	days = calloc(nr * CAT_COUNT * n + 1, sizeof(*days));
	REQUIRE(days != NULL);
	/* The days first, in a read txn: the write txn below is short. */
	if ((rc = store_begin(s->store, NULL, 0, &txn)) == 0) {
		rc = history_planning_days(s, txn, now + 1, pc->day_secs, n,
		    days, &covered);
		mdb_txn_abort(txn);
		txn = NULL;
	}
	if (rc == 0)
		rc = store_begin(s->store, NULL, 1, &txn);
	if (rc == 0)
		rc = store_get_next_event_seq(s->store, txn,
		    &s->next_event_seq);
	for (size_t r = 0; rc == 0 && r < nr; r++)
		for (int c = 1; rc == 0 && c <= CAT_COUNT; c++)
			rc = decide(s, txn, r, c, &days[(r * CAT_COUNT +
			    (size_t)(c - 1)) * n], covered, now);
	if (rc == 0 && s->n_events > 0) {
		if ((rc = store_put_next_event_seq(s->store, txn,
		    s->next_event_seq)) == 0)
			rc = store_commit(txn);
		txn = NULL;
	}
	if (txn != NULL)
		mdb_txn_abort(txn);
	free(days);
	if (rc != 0) {
		events_drop_from(s, 0);
		log_err("structural shortages not evaluated: %s (again in "
		    "%u s)", store_strerror(rc), pc->check_secs);
		return;
	}
	events_publish(s);
}

/* ---- the plan verb ---------------------------------------------------- */

static const struct rep_row *
report_row(const struct report *r, size_t group, int category)
{
	for (size_t i = 0; i < r->n_rows; i++)
		if (r->rows[i].group == group &&
		    r->rows[i].category == category)
			return &r->rows[i];
	return NULL;
}

/* Largest shortfall first; then open shortages, critical days, id. */
static int
by_shortfall(const void *x, const void *y)
{
	const Shelterd__V1__PlanRow *a = *(Shelterd__V1__PlanRow *const *)x;
	const Shelterd__V1__PlanRow *b = *(Shelterd__V1__PlanRow *const *)y;
	int c;

	if (a->shortfall != b->shortfall)
		return a->shortfall > b->shortfall ? -1 : 1;
	if (a->shortage != b->shortage)
		return a->shortage ? -1 : 1;
	if (a->days_critical != b->days_critical)
		return a->days_critical > b->days_critical ? -1 : 1;
	if ((c = strcmp(a->region_id, b->region_id)) != 0)
		return c;
	return (a->category > b->category) - (a->category < b->category);
}

/* One region/category's row into *o: whether it belongs in the plan. */
static bool
plan_row(struct ctx *s, size_t r, int c, const struct shortage_day *days,
    const struct report *rep, const struct aggregate *agg,
    const Shelterd__V1__CategoryTotals *t, int64_t now,
    Shelterd__V1__PlanRow *o)
{
	const struct planning_config *pc = &s->cfg->plan;
	const struct rep_row *row = report_row(rep, r, c);

	(void)now;
	shelterd__v1__plan_row__init(o);
	o->region_id = (char *)s->reg->regions[r].id;
	o->region_name = (char *)s->reg->regions[r].name;
	o->category = (Shelterd__V1__Category)c;
	o->has_norm = t->has_norm;
	o->norm = t->norm;
	o->shortage = t->shortage;
	o->capacity = days[pc->window_days - 1].capacity;
	o->registered_capacity = agg->cov[c - 1].registered_capacity;
	o->shortfall = o->has_norm ? (int32_t)o->norm -
	    (int32_t)o->capacity : 0;
	for (size_t i = 0; i < pc->window_days; i++)
		o->days_critical += days[i].critical;
	if (row != NULL) {
		o->avg_occupancy_pct = row->avg_pct;
		o->peak_occupancy_pct = row->peak_pct;
		o->requested = row->requested;
		o->placed_out = row->placed_supra;
		o->unplaced = row->unplaced;
	}
	return o->shortfall > 0 || o->shortage;
}

static int
plan_rows(struct ctx *s, MDB_txn *txn, int only, int64_t now,
    const struct shortage_day *days, const struct report *rep,
    Shelterd__V1__PlanRow *rows, Shelterd__V1__PlanRow **ptrs, size_t *n)
{
	size_t nd = s->cfg->plan.window_days;

	*n = 0;
	for (size_t r = 0; r < s->reg->n_regions; r++) {
		Shelterd__V1__CategoryTotals t[CAT_COUNT], *tp[CAT_COUNT];
		struct aggregate agg;
		int rc;

		if (only >= 0 && (size_t)only != r)
			continue;
		for (int c = 0; c < CAT_COUNT; c++) {
			shelterd__v1__category_totals__init(&t[c]);
			tp[c] = &t[c];
		}
		if ((rc = store_get_region(s->store, txn,
		    s->reg->regions[r].id, &agg)) != 0 ||
		    (rc = regionplan_fill(s->reg, occupancy_reserves(s),
		    s->store, txn, r, tp, now)) != 0)
			return rc;
		for (int c = 1; c <= CAT_COUNT; c++)
			if (plan_row(s, r, c, &days[(r * CAT_COUNT +
			    (size_t)(c - 1)) * nd], rep, &agg, &t[c - 1], now,
			    &rows[*n])) {
				ptrs[*n] = &rows[*n];
				(*n)++;
			}
	}
	if (*n > 1)
		qsort(ptrs, *n, sizeof(*ptrs), by_shortfall);
	return 0;
}

void
planning_op_plan(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const struct planning_config *pc = &s->cfg->plan;
	const char *rid = it->req->plan->region_id;
	Shelterd__V1__Plan plan = SHELTERD__V1__PLAN__INIT;
	size_t nr = s->reg->n_regions, nd = pc->window_days, n = 0;
	int64_t now = (int64_t)time(NULL);
	int only = -1;
	struct shortage_day *days = NULL;
	Shelterd__V1__PlanRow *rows = NULL, **ptrs = NULL;
	struct report rep = { 0 };
	bool covered;
	int rc;

	if (*rid != '\0' && (only = registry_region(s->reg, rid)) < 0) {
		op_fail(&it->res, CODE(BAD_REQUEST), "unknown region '%.31s' "
		    "(see shelterctl regions)", rid);
		return;
	}
	plan.until = now + 1;
	plan.from = plan.until - (int64_t)nd * pc->day_secs;
	days = calloc(nr * CAT_COUNT * nd + 1, sizeof(*days));
	rows = calloc(nr * CAT_COUNT + 1, sizeof(*rows));
	ptrs = calloc(nr * CAT_COUNT + 1, sizeof(*ptrs));
	REQUIRE(days != NULL && rows != NULL && ptrs != NULL);
	if ((rc = history_planning_days(s, rtxn, plan.until, pc->day_secs,
	    nd, days, &covered)) != 0 || (rc = history_window_report(s,
	    rtxn, plan.from, plan.until, &rep)) != 0 ||
	    (rc = plan_rows(s, rtxn, only, now, days, &rep, rows, ptrs,
	    &n)) != 0) {
		it->res.rc = rc;
		goto out;
	}
	plan.window_days = pc->window_days;
	plan.day_secs = pc->day_secs;
	plan.critical_pct = s->cfg->esc.region_critical_pct;
	plan.rows = ptrs;
	plan.n_rows = n;
	reply->body_case = SHELTERD__V1__REPLY__BODY_PLAN;
	reply->plan = &plan;
	api_pack(it, reply);
out:
	report_free(&rep);
	free(days);
	free(rows);
	free(ptrs);
}
