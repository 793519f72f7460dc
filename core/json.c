/*
 * json.c — the JSON of the shelterd.v1 messages (json.h).
 */
#include "json.h"

#include <stdio.h>
#include <time.h>

#include "beds.h"
#include "names.h"

#define KIND(x) SHELTERD__V1__EVENT_KIND__EVENT_KIND_##x
#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

bool
json_format_time(int64_t unix_secs, char *buf, size_t len)
{
	time_t t = (time_t)unix_secs;
	struct tm tm;

	if (len > 0)
		buf[0] = '\0';
	if (unix_secs <= 0 || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return false;
	return true;
}

cJSON *
json_time(int64_t unix_secs)
{
	char buf[32];

	if (!json_format_time(unix_secs, buf, sizeof(buf)))
		return cJSON_CreateNull();
	return cJSON_CreateString(buf);
}

/* A string, or null for none or "": proto3 strings carry no presence. */
static void
add_str(cJSON *o, const char *key, const char *s)
{
	if (s != NULL && *s != '\0')
		cJSON_AddStringToObject(o, key, s);
	else
		cJSON_AddNullToObject(o, key);
}

static void
add_num(cJSON *o, const char *key, double v, bool present)
{
	if (present)
		cJSON_AddNumberToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

/* The reserve beds a national critical alert names, or null. */
static void
add_reserve(cJSON *o, bool present, uint32_t b24, uint32_t b72,
    Shelterd__V1__ReserveWhere *const *w, size_t n)
{
	cJSON *r, *where;

	if (!present) {
		cJSON_AddNullToObject(o, "reserve");
		return;
	}
	if ((r = cJSON_AddObjectToObject(o, "reserve")) == NULL)
		return;
	cJSON_AddNumberToObject(r, "beds_24h", b24);
	cJSON_AddNumberToObject(r, "beds_72h", b72);
	where = cJSON_AddArrayToObject(r, "where");
	for (size_t i = 0; where != NULL && i < n; i++) {
		cJSON *x = cJSON_CreateObject();

		if (x == NULL)
			break;
		cJSON_AddStringToObject(x, "region", w[i]->region_id);
		cJSON_AddNumberToObject(x, "beds_24h", w[i]->beds_24h);
		cJSON_AddNumberToObject(x, "beds_72h", w[i]->beds_72h);
		cJSON_AddItemToArray(where, x);
	}
}

cJSON *
json_alert(const Shelterd__V1__Alert *a, int64_t now)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "opened_seq", (double)a->opened_seq);
	cJSON_AddNumberToObject(o, "last_seq", (double)a->last_seq);
	cJSON_AddItemToObject(o, "opened_at", json_time(a->opened_at));
	add_num(o, "age_secs", (double)(now - a->opened_at), now > 0);
	cJSON_AddStringToObject(o, "kind", kind_name((int)a->kind));
	cJSON_AddStringToObject(o, "scope", scope_name((int)a->scope));
	cJSON_AddStringToObject(o, "level", level_name((int)a->level));
	add_str(o, "region", a->region_id);
	add_str(o, "shelter", a->shelter_id);
	add_str(o, "category", cat_name((int)a->category));
	add_str(o, "request_id", a->request_id);
	cJSON_AddNumberToObject(o, "step", a->step);
	add_str(o, "acknowledged_by", a->acknowledged_by);
	cJSON_AddItemToObject(o, "acknowledged_at",
	    json_time(a->acknowledged_at));
	add_reserve(o, a->names_reserve, a->reserve_24h, a->reserve_72h,
	    a->reserve_where, a->n_reserve_where);
	return o;
}

cJSON *
json_event(const Shelterd__V1__Event *ev)
{
	cJSON *o = cJSON_CreateObject();
	bool placement = ev->kind == KIND(PLACEMENT);

	if (o == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "event_seq", (double)ev->event_seq);
	cJSON_AddItemToObject(o, "at", json_time(ev->at));
	cJSON_AddStringToObject(o, "kind", kind_name((int)ev->kind));
	cJSON_AddStringToObject(o, "scope", scope_name((int)ev->scope));
	cJSON_AddStringToObject(o, "level", level_name((int)ev->level));
	cJSON_AddStringToObject(o, "previous_level",
	    level_name((int)ev->previous_level));
	add_str(o, "region", ev->region_id);
	add_str(o, "shelter", ev->shelter_id);
	add_str(o, "category", cat_name((int)ev->category));
	cJSON_AddNumberToObject(o, "capacity", ev->capacity);
	cJSON_AddNumberToObject(o, "free", ev->free);
	cJSON_AddNumberToObject(o, "occupancy_pct", ev->occupancy_pct);
	cJSON_AddNumberToObject(o, "step", ev->step);
	add_num(o, "alert_seq", (double)ev->alert_seq, ev->alert_seq != 0);
	add_str(o, "acknowledged_by", ev->acknowledged_by);
	add_num(o, "expected_free_24h", ev->expected_free_24h,
	    ev->kind == KIND(EARLY_WARNING));
	add_num(o, "unknown_beds", ev->unknown_beds, ev->kind == KIND(COVERAGE));
	add_num(o, "stale_shelters", ev->stale_shelters,
	    ev->kind == KIND(COVERAGE));
	add_num(o, "never_reported", ev->never_reported,
	    ev->kind == KIND(COVERAGE));
	/* A structural shortage: the numbers behind it. */
	add_num(o, "norm", ev->norm, ev->kind == KIND(STRUCTURAL_SHORTAGE) &&
	    ev->has_norm);
	add_num(o, "window_days", ev->window_days,
	    ev->kind == KIND(STRUCTURAL_SHORTAGE));
	add_num(o, "days_below_norm", ev->days_below_norm,
	    ev->kind == KIND(STRUCTURAL_SHORTAGE));
	add_num(o, "days_critical", ev->days_critical,
	    ev->kind == KIND(STRUCTURAL_SHORTAGE));
	add_reserve(o, ev->names_reserve, ev->reserve_24h, ev->reserve_72h,
	    ev->reserve_where, ev->n_reserve_where);
	/* An acknowledgement of a placement alert names its request too. */
	add_str(o, "request_id", placement || ev->scope ==
	    SHELTERD__V1__SCOPE__SCOPE_PLACEMENT ? ev->request_id : NULL);
	if (placement)
		cJSON_AddStringToObject(o, "placement_state",
		    placement_state_name((int)ev->placement_state));
	else
		cJSON_AddNullToObject(o, "placement_state");
	if (placement && ev->held_proximity != 0)
		cJSON_AddStringToObject(o, "held_proximity",
		    proximity_name((int)ev->held_proximity));
	else
		cJSON_AddNullToObject(o, "held_proximity");
	add_num(o, "beds", ev->beds, placement ||
	    ev->kind == KIND(RESERVE));
	/* Reserve beds activated: which activation, until when, why. */
	if (ev->kind == KIND(RESERVE)) {
		cJSON *a = cJSON_AddObjectToObject(o, "activation");

		if (a != NULL) {
			cJSON_AddNumberToObject(a, "id",
			    (double)ev->activation_id);
			cJSON_AddItemToObject(a, "until",
			    json_time(ev->reserve_until));
			add_str(a, "reason", ev->reason);
			cJSON_AddStringToObject(a, "step",
			    reserve_step_name((int)ev->reserve_step));
			/* A shelter's answer (the event names it). */
			if (*ev->shelter_id != '\0')
				cJSON_AddBoolToObject(a, "confirmed",
				    ev->confirmed);
		}
	} else {
		cJSON_AddNullToObject(o, "activation");
	}
	return o;
}

cJSON *
json_totals(const Shelterd__V1__CategoryTotals *t)
{
	cJSON *o = cJSON_CreateObject();
	/* Occupancy over known beds, as the escalation rules see it. */
	struct totals tt = { .capacity = t->known_capacity, .free = t->free };

	if (o == NULL)
		return NULL;
	/* Not this reader's to see: every figure null, never 0 (a merged
	 * cell is unknown to it, not empty or calm). */
	if (t->merged) {
		static const char *const keys[] = { "capacity", "occupied",
			"out_of_service", "free", "held", "unknown",
			"occupancy_pct", "registered_capacity",
			"known_capacity", "unknown_beds", "stale_shelters",
			"never_reported", "coverage_pct", "coverage",
			"expected_free_24h", "expected_free_72h",
			"forecasting", "early_warning", "level",
			"reserve_24h", "reserve_72h", "reserve_open" };

		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			cJSON_AddNullToObject(o, keys[i]);
		cJSON_AddTrueToObject(o, "merged");
		return o;
	}
	cJSON_AddNumberToObject(o, "capacity", t->capacity);
	cJSON_AddNumberToObject(o, "occupied", t->occupied);
	cJSON_AddNumberToObject(o, "out_of_service", t->out_of_service);
	cJSON_AddNumberToObject(o, "free", t->free);
	cJSON_AddNumberToObject(o, "held", t->held);
	cJSON_AddNumberToObject(o, "unknown", t->unknown);
	cJSON_AddNumberToObject(o, "occupancy_pct", totals_pct(&tt));
	/* Known, unknown and never reported, apart: an unknown bed is
	 * neither free nor full. */
	cJSON_AddNumberToObject(o, "registered_capacity",
	    t->registered_capacity);
	cJSON_AddNumberToObject(o, "known_capacity", t->known_capacity);
	cJSON_AddNumberToObject(o, "unknown_beds", t->unknown_beds);
	cJSON_AddNumberToObject(o, "stale_shelters", t->stale_shelters);
	cJSON_AddNumberToObject(o, "never_reported", t->never_reported);
	cJSON_AddNumberToObject(o, "coverage_pct", t->coverage_pct);
	cJSON_AddStringToObject(o, "coverage",
	    level_state_name((int)t->coverage));
	/* Outflow forecasts (docs/history.md). */
	cJSON_AddNumberToObject(o, "expected_free_24h", t->expected_free_24h);
	cJSON_AddNumberToObject(o, "expected_free_72h", t->expected_free_72h);
	cJSON_AddNumberToObject(o, "forecasting", t->forecasting);
	/* The level of a picture: 0 is "ok", not "cleared". */
	cJSON_AddStringToObject(o, "early_warning",
	    level_state_name((int)t->early_warning));
	cJSON_AddStringToObject(o, "level", level_state_name((int)t->level));
	/* Reserve beds that could be activated (docs/registry.md). */
	cJSON_AddNumberToObject(o, "reserve_24h", t->reserve_24h);
	cJSON_AddNumberToObject(o, "reserve_72h", t->reserve_72h);
	/* Confirmed reserve beds open now, counted in capacity. */
	cJSON_AddNumberToObject(o, "reserve_open", t->reserve_open);
	cJSON_AddFalseToObject(o, "merged");
	return o;
}

cJSON *
json_region(const Shelterd__V1__RegionStatus *rs)
{
	cJSON *o = cJSON_CreateObject(), *cats;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "region", rs->region_id);
	add_str(o, "name", rs->name);
	cJSON_AddNumberToObject(o, "shelters", rs->shelters);
	cJSON_AddNumberToObject(o, "shelters_reported", rs->shelters_reported);
	cJSON_AddNumberToObject(o, "shelters_stale", rs->shelters_stale);
	cats = cJSON_AddObjectToObject(o, "categories");
	for (size_t c = 0; cats != NULL && c < rs->n_totals; c++) {
		const Shelterd__V1__CategoryTotals *t = rs->totals[c];
		const char *cat = cat_name((int)t->category);
		cJSON *to;

		if (cat == NULL || (to = json_totals(t)) == NULL)
			continue;
		/* The capacity norm in force: null where there is none (or
		 * the cell is merged for this reader). */
		if (t->has_norm)
			cJSON_AddNumberToObject(to, "norm", t->norm);
		else
			cJSON_AddNullToObject(to, "norm");
		/* An open structural shortage alert (docs/planning.md). */
		if (t->merged)
			cJSON_AddNullToObject(to, "shortage");
		else
			cJSON_AddBoolToObject(to, "shortage", t->shortage);
		cJSON_AddItemToObject(cats, cat, to);
	}
	return o;
}

cJSON *
json_beds(const Shelterd__V1__ShelterReply *sh)
{
	cJSON *beds = cJSON_CreateObject();

	if (beds == NULL)
		return NULL;
	for (size_t i = 0; i < sh->n_beds; i++) {
		const Shelterd__V1__BedCount *bc = sh->beds[i];
		const char *cat = cat_name((int)bc->category);
		cJSON *b;

		if (cat == NULL)
			continue;
		b = cJSON_AddObjectToObject(beds, cat);
		cJSON_AddNumberToObject(b, "capacity", bc->capacity);
		cJSON_AddNumberToObject(b, "occupied", bc->occupied);
		cJSON_AddNumberToObject(b, "out_of_service",
		    bc->out_of_service);
		cJSON_AddNumberToObject(b, "held", bc->held);
		cJSON_AddNumberToObject(b, "free", bc->free);
		/* Confirmed reserve beds open, counted in capacity. */
		cJSON_AddNumberToObject(b, "reserve_open", bc->reserve_open);
		if (bc->has_reserve) {
			cJSON_AddNumberToObject(b, "reserve_24h",
			    bc->reserve_24h);
			cJSON_AddNumberToObject(b, "reserve_72h",
			    bc->reserve_72h);
		}
		cJSON_AddStringToObject(b, "level",
		    level_state_name((int)bc->level));
		/* Only with a forecast: 0 would say none is expected. */
		if (bc->forecast) {
			cJSON_AddNumberToObject(b, "expected_free_24h",
			    bc->expected_free_24h);
			cJSON_AddNumberToObject(b, "expected_free_72h",
			    bc->expected_free_72h);
		}
	}
	return beds;
}

cJSON *
json_shelter(const Shelterd__V1__ShelterReply *sh)
{
	cJSON *o = cJSON_CreateObject(), *planned;
	bool reported = sh->last_seq != 0;

	if (o == NULL)
		return NULL;
	add_str(o, "shelter", sh->shelter_id);
	add_str(o, "name", sh->name);
	add_str(o, "region", sh->region_id);
	if (reported)
		cJSON_AddStringToObject(o, "status",
		    status_name((int)sh->status));
	else
		cJSON_AddNullToObject(o, "status");
	cJSON_AddNumberToObject(o, "security_level", sh->security_level);
	cJSON_AddBoolToObject(o, "stale", sh->stale);
	cJSON_AddNumberToObject(o, "last_seq", (double)sh->last_seq);
	cJSON_AddItemToObject(o, "observed_at", json_time(sh->observed_at));
	cJSON_AddItemToObject(o, "received_at", json_time(sh->received_at));
	cJSON_AddNumberToObject(o, "deadline_secs",
	    (double)sh->deadline_secs);
	add_num(o, "deadline_override", sh->deadline_override,
	    sh->deadline_override != 0);
	planned = cJSON_AddObjectToObject(o, "planned");
	for (size_t i = 0; planned != NULL && i < sh->n_planned; i++) {
		const char *cat = cat_name((int)sh->planned[i]->category);

		if (cat != NULL)
			cJSON_AddNumberToObject(planned, cat,
			    sh->planned[i]->capacity);
	}
	cJSON_AddItemToObject(o, "beds", json_beds(sh));
	return o;
}

cJSON *
json_placement(const Shelterd__V1__Placement *p)
{
	cJSON *o = cJSON_CreateObject(), *ex;

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "request_id", p->request_id);
	add_str(o, "case_ref", p->case_ref);
	add_str(o, "from_region", p->from_region);
	add_str(o, "category", cat_name((int)p->category));
	cJSON_AddNumberToObject(o, "beds", p->beds);
	cJSON_AddNumberToObject(o, "security_level", p->security_level);
	cJSON_AddStringToObject(o, "urgency", urgency_name((int)p->urgency));
	cJSON_AddStringToObject(o, "state",
	    placement_state_name((int)p->state));
	/* Still being matched, or a bed held: not an outcome yet. */
	cJSON_AddBoolToObject(o, "open", p->state == PSTATE(REQUESTED) ||
	    p->state == PSTATE(HELD));
	add_str(o, "held_region", p->held_region);
	if (p->held_proximity != 0)
		cJSON_AddStringToObject(o, "held_proximity",
		    proximity_name((int)p->held_proximity));
	else
		cJSON_AddNullToObject(o, "held_proximity");
	cJSON_AddBoolToObject(o, "in_reserve", p->in_reserve);
	add_str(o, "shelter", p->shelter_id);
	ex = cJSON_AddArrayToObject(o, "exclude_regions");
	for (size_t i = 0; ex != NULL && i < p->n_exclude_regions; i++)
		cJSON_AddItemToArray(ex,
		    cJSON_CreateString(p->exclude_regions[i]));
	cJSON_AddItemToObject(o, "created_at", json_time(p->created_at));
	cJSON_AddItemToObject(o, "updated_at", json_time(p->updated_at));
	cJSON_AddItemToObject(o, "hold_expires_at",
	    json_time(p->hold_expires_at));
	cJSON_AddNumberToObject(o, "candidates_tried", p->candidates_tried);
	if (p->last_reason == 0)
		cJSON_AddNullToObject(o, "last_reason");
	else
		cJSON_AddStringToObject(o, "last_reason",
		    decline_reason_name((int)p->last_reason));
	return o;
}

cJSON *
json_plan_row(const Shelterd__V1__PlanRow *r)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	cJSON_AddStringToObject(o, "region", r->region_id);
	add_str(o, "name", r->region_name);
	add_str(o, "category", cat_name((int)r->category));
	add_num(o, "norm", r->norm, r->has_norm);
	cJSON_AddNumberToObject(o, "capacity", r->capacity);
	cJSON_AddNumberToObject(o, "registered_capacity",
	    r->registered_capacity);
	add_num(o, "shortfall", r->shortfall, r->has_norm);
	cJSON_AddNumberToObject(o, "avg_occupancy_pct", r->avg_occupancy_pct);
	cJSON_AddNumberToObject(o, "peak_occupancy_pct",
	    r->peak_occupancy_pct);
	cJSON_AddNumberToObject(o, "days_critical", r->days_critical);
	cJSON_AddNumberToObject(o, "requested", r->requested);
	cJSON_AddNumberToObject(o, "placed_out", r->placed_out);
	cJSON_AddNumberToObject(o, "unplaced", r->unplaced);
	cJSON_AddBoolToObject(o, "shortage", r->shortage);
	return o;
}

cJSON *
json_names(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		return NULL;
	for (size_t t = 0; t < names_n_tables; t++) {
		const struct name_table *nt = &names_tables[t];
		cJSON *arr = cJSON_AddArrayToObject(o, nt->key);

		for (size_t i = 0; arr != NULL && i < nt->n_rows; i++) {
			const struct name_row *r = &nt->rows[i];
			cJSON *row = cJSON_CreateObject();

			cJSON_AddNumberToObject(row, "value", r->value);
			cJSON_AddStringToObject(row, "name", r->name);
			cJSON_AddStringToObject(row, "label",
			    r->label ? r->label : r->name);
			cJSON_AddItemToArray(arr, row);
		}
	}
	return o;
}
