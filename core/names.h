/*
 * names.h — the one table of names for the proto's enums: what every CLI,
 * JSON reply, metric label and the dashboard (through /api/names) call a
 * category, a level, an event kind, a scope, a placement state, an
 * urgency, a reply code and a report cell.
 *
 * The names are the proto's own value names, lower case and without the
 * enum's prefix (EVENT_KIND_EARLY_WARNING: "early_warning"), except for the
 * short names people type: categories ("women", not "adult_women"), shelter
 * statuses ("paused") and level 0, which is "ok" as the level of a picture
 * and "cleared" as the level of an event or an alert (it says the alert
 * ended). tests/unit/test_names.c walks the protobuf-c enum descriptors: an
 * enum value the proto gains without a row here fails it.
 */
#ifndef SHELTERD_NAMES_H
#define SHELTERD_NAMES_H

#include <stddef.h>

#include <protobuf-c/protobuf-c.h>

struct name_row {
	int value;
	const char *name;
	const char *label;      /* for people: "adult women"; NULL: name */
};

struct name_table {
	const char *key;        /* "category", "level", ... (/api/names) */
	const ProtobufCEnumDescriptor *desc;
	const char *prefix;     /* of the proto's value names */
	const struct name_row *rows;
	size_t n_rows;
};

/* Every table, for /api/names and the tests, in this order. */
enum names_table_id {
	NAMES_CATEGORY, NAMES_STATUS, NAMES_LEVEL, NAMES_LEVEL_STATE,
	NAMES_KIND, NAMES_SCOPE, NAMES_PLACEMENT_STATE, NAMES_URGENCY,
	NAMES_CODE, NAMES_REPORT_CELL, NAMES_DECLINE_REASON, NAMES_AUDIT_KIND,
	NAMES_PROXIMITY,
	NAMES_RESERVE_STEP,
};
/* No table has more rows: a counter per row fits in an array this big. */
enum { NAMES_ROWS_MAX = 16 };
extern const struct name_table names_tables[];
extern const size_t names_n_tables;

/* The row of `value` in t, or NULL. */
const struct name_row *names_find(const struct name_table *t, int value);
/* The position of `value` among t's rows (0 .. n_rows-1), or -1. */
int names_index(const struct name_table *t, int value);
/* The value whose name is `name`, or -1. */
int names_parse(const struct name_table *t, const char *name);

/* Short names used on the command line, in topics and in the registry:
 * women, men, minors, highsec, children. NULL for an unknown category. */
const char *cat_name(int category);
/* Category value (1..CAT_COUNT) for a short name, or -1. */
int cat_parse(const char *name);
/* "adult women", ...; NULL for an unknown category. */
const char *cat_label(int category);

const char *status_name(int status); /* open, paused, closed, unknown */
int status_parse(const char *name);  /* SH_STATUS_* or -1 */
/* The level of an event or alert: cleared, warning, critical, info. */
const char *level_name(int level);
int level_parse(const char *name);   /* LEVEL_* or -1 */
/* The level of a picture (totals, a shelter's beds): ok, warning, ... */
const char *level_state_name(int level);

/* The others: "unknown" for a value the proto does not name. */
const char *kind_name(int kind);     /* occupancy, stale, early_warning */
const char *scope_name(int scope);   /* shelter, region, national */
const char *placement_state_name(int state); /* requested, held, ... */
const char *decline_reason_name(int reason); /* no-bed, other, ... */
const char *decline_reason_label(int reason); /* "no bed after all" */
const char *proximity_name(int proximity); /* neighbouring, ... */
const char *reserve_step_name(int step);   /* activated, confirmed, ... */
/* "in a neighbouring region", ... (enum proximity, core/disclose.h) */
const char *proximity_label(int proximity);
int decline_reason_parse(const char *name);  /* or -1 */
const char *audit_kind_name(int kind);       /* placement, import, ... */
const char *urgency_name(int urgency);       /* normal, high, immediate */
const char *code_name(int code);     /* ok, bad_request, stale_seq, ... */
const char *report_cell_name(int cell);      /* occupancy, requested */

#endif
