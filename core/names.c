/*
 * names.c — the name table (names.h). One C table rather than names made
 * at run time from the descriptors: the strings are static, so any thread
 * (the daemon's HTTP handlers) may read them, and the exceptions to "the
 * proto's name in lower case" are written where they are decided.
 */
#include "names.h"

#include <string.h>

#include "shelterd.pb-c.h"

#define ROWS(r) r, sizeof(r) / sizeof(r[0])

static const struct name_row category_rows[] = {
	{ 1, "women", "adult women" },
	{ 2, "men", "adult men" },
	{ 3, "minors", "minors" },
	{ 4, "highsec", "high security" },
	{ 5, "children", "with children" },
};

/* 0 is "unknown": a shelter that never reported has no status. */
static const struct name_row status_rows[] = {
	{ 0, "unknown", "not reported" },
	{ 1, "open", "open" },
	{ 2, "paused", "intake paused" },
	{ 3, "closed", "closed" },
};

static const struct name_row level_rows[] = {
	{ 0, "cleared", "cleared" },
	{ 1, "warning", "warning" },
	{ 2, "critical", "critical" },
	{ 3, "info", "info" },
};

/* The same levels as the state of a picture: nothing is wrong. */
static const struct name_row level_state_rows[] = {
	{ 0, "ok", "ok" },
	{ 1, "warning", "warning" },
	{ 2, "critical", "critical" },
	{ 3, "info", "info" },
};

static const struct name_row kind_rows[] = {
	{ 0, "occupancy", "occupancy" },
	{ 1, "stale", "stopped reporting" },
	{ 2, "acknowledged", "acknowledged" },
	{ 3, "placement", "placement" },
	{ 10, "early_warning", "early warning" },
	{ 11, "coverage", "beds unknown" },
	{ 12, "heartbeat", "heartbeat" },
	{ 13, "structural_shortage", "structural shortage" },
	{ 14, "reserve", "reserve beds activated" },
};

static const struct name_row scope_rows[] = {
	{ 0, "unspecified", NULL },
	{ 1, "shelter", NULL },
	{ 2, "region", NULL },
	{ 3, "national", NULL },
	{ 4, "placement", NULL },
};

static const struct name_row placement_state_rows[] = {
	{ 0, "unspecified", NULL },
	{ 1, "requested", "being matched" },
	{ 2, "held", "bed held" },
	{ 3, "accepted", "accepted" },
	{ 4, "unplaced", "no bed found" },
	{ 5, "cancelled", "cancelled" },
	{ 6, "declined", "declined" },
	{ 7, "expired", "hold expired" },
};

/* The CLI's keys (shelter-report decline --reason no-bed): hyphens, as
 * every other flag value; 0 is "none", not a reason. */
static const struct name_row decline_reason_rows[] = {
	{ 0, "none", "none" },
	{ 1, "no-bed", "no bed after all" },
	{ 2, "safety-conflict", "safety conflict" },
	{ 3, "security-level", "security level" },
	{ 4, "no-match", "target group or care needs do not match" },
	{ 5, "other", "other" },
	{ 6, "expired", "expired (no answer)" },
};

static const struct name_row proximity_rows[] = {
	{ 0, "unspecified", "unknown" },
	{ 1, "own_region", "in your own region" },
	{ 2, "neighbouring", "in a neighbouring region" },
	{ 3, "farther", "farther than a neighbouring region" },
	{ 4, "other_region", "in another region" },
};

static const struct name_row reserve_step_rows[] = {
	{ 0, "unspecified", NULL },
	{ 1, "activated", "reserve beds activated" },
	{ 2, "confirmed", "reserve beds confirmed: capacity" },
	{ 3, "refused", "reserve beds refused" },
	{ 4, "released", "reserve beds released" },
	{ 5, "expired", "reserve activation expired" },
};

static const struct name_row audit_kind_rows[] = {
	{ 0, "unspecified", NULL },
	{ 1, "placement", "placement step" },
	{ 2, "alert_ack", "alert acknowledged" },
	{ 3, "import", "registry import" },
	{ 4, "registry_change", "registry changed" },
	{ 5, "sequence_reset", "seq reset" },
	{ 6, "reserve", "reserve beds activated" },
};

static const struct name_row urgency_rows[] = {
	{ 0, "normal", NULL },
	{ 1, "high", NULL },
	{ 2, "immediate", NULL },
};

static const struct name_row code_rows[] = {
	{ 0, "ok", NULL },
	{ 1, "bad_request", NULL },
	{ 2, "unknown_shelter", NULL },
	{ 3, "unknown_category", NULL },
	{ 4, "stale_seq", NULL },
	{ 5, "seq_conflict", NULL },
	{ 6, "too_large", NULL },
	{ 7, "store_full", NULL },
	{ 8, "internal", NULL },
	{ 9, "not_found", NULL },
	{ 10, "conflict", NULL },
	{ 11, "unauthenticated", NULL },
	{ 12, "forbidden", NULL },
	{ 13, "busy", NULL },
};

/* "time_to_placement": the column people read, for REPORT_CELL_TTP. */
static const struct name_row report_cell_rows[] = {
	{ 0, "none", NULL },
	{ 1, "occupancy", NULL },
	{ 2, "requested", NULL },
	{ 3, "placed_in_region", NULL },
	{ 4, "placed_supra", NULL },
	{ 5, "unplaced", NULL },
	{ 6, "cancelled", NULL },
	{ 7, "declines", NULL },
	{ 8, "time_to_placement", "time to placement" },
	{ 9, "reserve_activations", "reserve activations" },
	{ 10, "reserve_beds_confirmed", "reserve beds confirmed" },
	{ 11, "placed_reserve", "placed into reserve beds" },
};


const struct name_table names_tables[] = {
	[NAMES_CATEGORY] = { "category", &shelterd__v1__category__descriptor,
	    "CATEGORY_", ROWS(category_rows) },
	[NAMES_STATUS] = { "shelter_status",
	    &shelterd__v1__shelter_status__descriptor, "SHELTER_STATUS_",
	    ROWS(status_rows) },
	[NAMES_LEVEL] = { "level", &shelterd__v1__level__descriptor, "LEVEL_",
	    ROWS(level_rows) },
	[NAMES_LEVEL_STATE] = { "level_state",
	    &shelterd__v1__level__descriptor, "LEVEL_", ROWS(level_state_rows) },
	[NAMES_KIND] = { "kind", &shelterd__v1__event_kind__descriptor,
	    "EVENT_KIND_", ROWS(kind_rows) },
	[NAMES_SCOPE] = { "scope", &shelterd__v1__scope__descriptor, "SCOPE_",
	    ROWS(scope_rows) },
	[NAMES_PLACEMENT_STATE] = { "placement_state",
	    &shelterd__v1__placement_state__descriptor, "PLACEMENT_STATE_",
	    ROWS(placement_state_rows) },
	[NAMES_URGENCY] = { "urgency", &shelterd__v1__urgency__descriptor,
	    "URGENCY_", ROWS(urgency_rows) },
	[NAMES_CODE] = { "code", &shelterd__v1__code__descriptor, "CODE_",
	    ROWS(code_rows) },
	[NAMES_REPORT_CELL] = { "report_cell",
	    &shelterd__v1__report_cell__descriptor, "REPORT_CELL_",
	    ROWS(report_cell_rows) },
	[NAMES_DECLINE_REASON] = { "decline_reason",
	    &shelterd__v1__decline_reason__descriptor, "DECLINE_REASON_",
	    ROWS(decline_reason_rows) },
	[NAMES_AUDIT_KIND] = { "audit_kind",
	    &shelterd__v1__audit_kind__descriptor, "AUDIT_KIND_",
	    ROWS(audit_kind_rows) },
	[NAMES_PROXIMITY] = { "proximity",
	    &shelterd__v1__proximity__descriptor, "PROXIMITY_",
	    ROWS(proximity_rows) },
	[NAMES_RESERVE_STEP] = { "reserve_step",
	    &shelterd__v1__reserve_step__descriptor, "RESERVE_STEP_",
	    ROWS(reserve_step_rows) },
};
const size_t names_n_tables = sizeof(names_tables) / sizeof(names_tables[0]);

const struct name_row *
names_find(const struct name_table *t, int value)
{
	for (size_t i = 0; i < t->n_rows; i++)
		if (t->rows[i].value == value)
			return &t->rows[i];
	return NULL;
}

int
names_index(const struct name_table *t, int value)
{
	const struct name_row *r = names_find(t, value);

	return r ? (int)(r - t->rows) : -1;
}

int
names_parse(const struct name_table *t, const char *name)
{
	for (size_t i = 0; i < t->n_rows; i++)
		if (strcmp(t->rows[i].name, name) == 0)
			return t->rows[i].value;
	return -1;
}

static const char *
name_or(int table, int value, const char *otherwise)
{
	const struct name_row *r = names_find(&names_tables[table], value);

	return r ? r->name : otherwise;
}

const char *
cat_name(int category)
{
	return name_or(NAMES_CATEGORY, category, NULL);
}

int
cat_parse(const char *name)
{
	return names_parse(&names_tables[NAMES_CATEGORY], name);
}

const char *
cat_label(int category)
{
	const struct name_row *r = names_find(&names_tables[NAMES_CATEGORY],
	    category);

	return r ? r->label : NULL;
}

const char *
status_name(int status)
{
	return name_or(NAMES_STATUS, status, "unknown");
}

int
status_parse(const char *name)
{
	int v = names_parse(&names_tables[NAMES_STATUS], name);

	/* "unknown" names the absence of a status, not one to set. */
	return v > 0 ? v : -1;
}

const char *
level_name(int level)
{
	return name_or(NAMES_LEVEL, level, "unknown");
}

int
level_parse(const char *name)
{
	return names_parse(&names_tables[NAMES_LEVEL], name);
}

const char *
level_state_name(int level)
{
	return name_or(NAMES_LEVEL_STATE, level, "unknown");
}

const char *
kind_name(int kind)
{
	return name_or(NAMES_KIND, kind, "unknown");
}

const char *
scope_name(int scope)
{
	return name_or(NAMES_SCOPE, scope, "unknown");
}

const char *
placement_state_name(int state)
{
	return name_or(NAMES_PLACEMENT_STATE, state, "unknown");
}

const char *
decline_reason_name(int reason)
{
	return name_or(NAMES_DECLINE_REASON, reason, "unknown");
}

const char *
audit_kind_name(int kind)
{
	return name_or(NAMES_AUDIT_KIND, kind, "unknown");
}

const char *
proximity_name(int proximity)
{
	return name_or(NAMES_PROXIMITY, proximity, "unknown");
}

const char *
reserve_step_name(int step)
{
	return name_or(NAMES_RESERVE_STEP, step, "unknown");
}

const char *
proximity_label(int proximity)
{
	const struct name_row *r = names_find(
	    &names_tables[NAMES_PROXIMITY], proximity);

	return r ? r->label : "unknown";
}

const char *
decline_reason_label(int reason)
{
	const struct name_row *r = names_find(
	    &names_tables[NAMES_DECLINE_REASON], reason);

	return r ? r->label : "unknown";
}

int
decline_reason_parse(const char *name)
{
	return names_parse(&names_tables[NAMES_DECLINE_REASON], name);
}

const char *
urgency_name(int urgency)
{
	return name_or(NAMES_URGENCY, urgency, "unknown");
}

const char *
code_name(int code)
{
	return name_or(NAMES_CODE, code, "unknown");
}

const char *
report_cell_name(int cell)
{
	return name_or(NAMES_REPORT_CELL, cell, "unknown");
}
