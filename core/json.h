/*
 * json.h — the JSON of the shelterd.v1 messages: one function per object,
 * one shape each, used by every client that prints JSON and by the
 * daemon's /api/ reads, so that `shelterctl --json alerts` and
 * /api/alerts give the same object for the same alert.
 *
 * The rules, for every object:
 *   - keys are the proto's field names, except that region_id and
 *     shelter_id are "region" and "shelter";
 *   - enum values by their names in names.h ("early_warning", "held");
 *   - times in RFC 3339, UTC, whole seconds ("2026-11-28T20:43:54Z");
 *   - every key is always there: an absent string, a zero time, a field
 *     that does not apply to this kind of event, is JSON null.
 *
 * Each function returns a new object the caller owns (cJSON_Delete), or
 * NULL when out of memory.
 */
#ifndef SHELTERD_JSON_H
#define SHELTERD_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"

/* RFC 3339 UTC, or null for 0 (never) and times gmtime cannot show. */
cJSON *json_time(int64_t unix_secs);
/* Writes "2026-11-28T20:43:54Z" into buf; false (buf "") as above. */
bool json_format_time(int64_t unix_secs, char *buf, size_t len);

/*
 * An alert. age_secs is now - opened_at, null when now is 0 (a reply that
 * carries no clock, such as the one to an acknowledgement).
 */
cJSON *json_alert(const Shelterd__V1__Alert *a, int64_t now);
cJSON *json_event(const Shelterd__V1__Event *ev);
/* A category's totals over a region or the country (no category key: the
 * caller keys them by category). */
cJSON *json_totals(const Shelterd__V1__CategoryTotals *t);
/* A region's status: its shelter counts and its totals keyed by
 * category name. */
cJSON *json_region(const Shelterd__V1__RegionStatus *rs);
/* A shelter's reported beds, keyed by category name. */
cJSON *json_beds(const Shelterd__V1__ShelterReply *sh);
/* A shelter: registry entry and live state. status is null until it
 * reported; deadline_secs is the deadline in effect, deadline_override
 * its own from the registry (null: the default). */
cJSON *json_shelter(const Shelterd__V1__ShelterReply *sh);
cJSON *json_placement(const Shelterd__V1__Placement *p);
/* Every name table: {"category": [{"value": 1, "name": "women",
 * "label": "adult women"}, ...], "level": [...], ...}. */
cJSON *json_names(void);
/* One row of the plan (shelterctl plan, docs/planning.md). */
cJSON *json_plan_row(const Shelterd__V1__PlanRow *r);

#endif
