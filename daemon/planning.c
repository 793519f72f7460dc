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

#include "alerts.h"
#include "ctx.h"
#include "events.h"
#include "history.h"
#include "log.h"
#include "shortage.h"

#define KIND_SHORTAGE SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE

static void
shortage_key(const char *region, int category, char *key, size_t len)
{
	alert_key(KIND_SHORTAGE, SHELTERD__V1__SCOPE__SCOPE_REGION, region, "",
	    category, key, len);
}

int
planning_fill(const struct registry *reg, struct store *st, MDB_txn *txn,
    size_t region, Shelterd__V1__CategoryTotals *const *t, int64_t now)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		struct alert_state a;
		char key[160];
		int rc;

		t[c]->has_norm = norms_current(reg, (int)region, c + 1, now,
		    &t[c]->norm);
		shortage_key(reg->regions[region].id, c + 1, key, sizeof(key));
		if ((rc = store_get_alert(st, txn, key, &a)) != 0)
			return rc;
		t[c]->shortage = a.opened_seq != 0;
	}
	return 0;
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
