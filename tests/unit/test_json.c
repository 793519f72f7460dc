/*
 * test_json.c — the one JSON of each object (core/json.c): its exact
 * shape, times in RFC 3339 UTC, null for what is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "names.h"

/* 2026-11-28T20:43:54Z */
#define T0 1795898634
#define T0_TEXT "2026-11-28T20:43:54Z"

/* Print unformatted (keys in the order they were added) and compare. */
static void
assert_json(cJSON *o, const char *want)
{
	char *text;

	assert_non_null(o);
	text = cJSON_PrintUnformatted(o);
	assert_non_null(text);
	assert_string_equal(text, want);
	cJSON_free(text);
	cJSON_Delete(o);
}

static void
times_are_rfc3339_utc_or_null(void **state)
{
	char buf[32];

	(void)state;
	assert_true(json_format_time(T0, buf, sizeof(buf)));
	assert_string_equal(buf, T0_TEXT);
	assert_true(json_format_time(1, buf, sizeof(buf)));
	assert_string_equal(buf, "1970-01-01T00:00:01Z");
	assert_false(json_format_time(0, buf, sizeof(buf)));
	assert_string_equal(buf, "");
	assert_false(json_format_time(-5, buf, sizeof(buf)));
	assert_false(json_format_time(T0, buf, 10)); /* too small */
	assert_json(json_time(T0), "\"" T0_TEXT "\"");
	assert_json(json_time(0), "null");
}

static void
an_open_region_alert(void **state)
{
	Shelterd__V1__Alert a = SHELTERD__V1__ALERT__INIT;

	(void)state;
	a.opened_seq = 17;
	a.last_seq = 19;
	a.opened_at = T0;
	a.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	a.level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	a.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING;
	a.region_id = "R1";
	a.category = SHELTERD__V1__CATEGORY__CATEGORY_MINORS;
	a.step = 2;
	assert_json(json_alert(&a, T0 + 90),
	    "{\"opened_seq\":17,\"last_seq\":19,"
	    "\"opened_at\":\"" T0_TEXT "\",\"age_secs\":90,"
	    "\"kind\":\"early_warning\",\"scope\":\"region\","
	    "\"level\":\"warning\",\"region\":\"R1\",\"shelter\":null,"
	    "\"category\":\"minors\",\"request_id\":null,\"step\":2,"
	    "\"acknowledged_by\":null,"
	    "\"acknowledged_at\":null,\"reserve\":null}");
}

static void
an_acked_national_alert_without_a_clock(void **state)
{
	Shelterd__V1__Alert a = SHELTERD__V1__ALERT__INIT;
	Shelterd__V1__ReserveWhere w[2] = {
		SHELTERD__V1__RESERVE_WHERE__INIT,
		SHELTERD__V1__RESERVE_WHERE__INIT };
	Shelterd__V1__ReserveWhere *wp[2] = { &w[0], &w[1] };

	(void)state;
	w[0].region_id = "R2";
	w[0].beds_24h = 1;
	w[0].beds_72h = 5;
	w[1].region_id = "R1";
	w[1].beds_24h = 2;
	w[1].beds_72h = 2;
	a.opened_seq = 3;
	a.last_seq = 3;
	a.opened_at = T0;
	a.scope = SHELTERD__V1__SCOPE__SCOPE_NATIONAL;
	a.level = SHELTERD__V1__LEVEL__LEVEL_CRITICAL;
	a.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	a.acknowledged_by = "national-desk";
	a.acknowledged_at = T0 + 60;
	/* The reserve beds it names: where, most first. */
	a.names_reserve = true;
	a.reserve_24h = 3;
	a.reserve_72h = 7;
	a.reserve_where = wp;
	a.n_reserve_where = 2;
	assert_json(json_alert(&a, 0),
	    "{\"opened_seq\":3,\"last_seq\":3,"
	    "\"opened_at\":\"" T0_TEXT "\",\"age_secs\":null,"
	    "\"kind\":\"occupancy\",\"scope\":\"national\","
	    "\"level\":\"critical\",\"region\":null,\"shelter\":null,"
	    "\"category\":\"women\",\"request_id\":null,\"step\":0,"
	    "\"acknowledged_by\":\"national-desk\","
	    "\"acknowledged_at\":\"2026-11-28T20:44:54Z\","
	    "\"reserve\":{\"beds_24h\":3,\"beds_72h\":7,\"where\":["
	    "{\"region\":\"R2\",\"beds_24h\":1,\"beds_72h\":5},"
	    "{\"region\":\"R1\",\"beds_24h\":2,\"beds_72h\":2}]}}");
}

static void
an_occupancy_event(void **state)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

	(void)state;
	ev.event_seq = 42;
	ev.at = T0;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_SHELTER;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_OK;
	ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_CRITICAL;
	ev.region_id = "R1";
	ev.shelter_id = "S1";
	ev.category = SHELTERD__V1__CATEGORY__CATEGORY_WITH_CHILDREN;
	ev.capacity = 10;
	ev.free = 3;
	ev.occupancy_pct = 70;
	ev.alert_seq = 40;
	/* Fields of other kinds are null even when set. */
	ev.request_id = "r1";
	ev.beds = 2;
	assert_json(json_event(&ev),
	    "{\"event_seq\":42,\"at\":\"" T0_TEXT "\","
	    "\"kind\":\"occupancy\",\"scope\":\"shelter\","
	    "\"level\":\"cleared\",\"previous_level\":\"critical\","
	    "\"region\":\"R1\",\"shelter\":\"S1\",\"category\":\"children\","
	    "\"capacity\":10,\"free\":3,\"occupancy_pct\":70,\"step\":0,"
	    "\"alert_seq\":40,\"acknowledged_by\":null,"
	    "\"expected_free_24h\":null,"
	    "\"unknown_beds\":null,\"stale_shelters\":null,"
	    "\"never_reported\":null,\"norm\":null,\"window_days\":null,"
	    "\"days_below_norm\":null,\"days_critical\":null,"
	    "\"reserve\":null,"
	    "\"request_id\":null,"
	    "\"placement_state\":null,\"held_proximity\":null,\"beds\":null,"
	    "\"activation\":null}");
}

static void
a_structural_shortage_event(void **state)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

	(void)state;
	ev.event_seq = 9;
	ev.at = T0;
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	ev.region_id = "R1";
	ev.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	ev.capacity = 6;
	ev.norm = 8;
	ev.has_norm = true;
	ev.window_days = 28;
	ev.days_below_norm = 28;
	ev.days_critical = 3;
	ev.alert_seq = 9;
	assert_json(json_event(&ev),
	    "{\"event_seq\":9,\"at\":\"" T0_TEXT "\","
	    "\"kind\":\"structural_shortage\",\"scope\":\"region\","
	    "\"level\":\"warning\",\"previous_level\":\"cleared\","
	    "\"region\":\"R1\",\"shelter\":null,\"category\":\"women\","
	    "\"capacity\":6,\"free\":0,\"occupancy_pct\":0,\"step\":0,"
	    "\"alert_seq\":9,\"acknowledged_by\":null,"
	    "\"expected_free_24h\":null,"
	    "\"unknown_beds\":null,\"stale_shelters\":null,"
	    "\"never_reported\":null,\"norm\":8,\"window_days\":28,"
	    "\"days_below_norm\":28,\"days_critical\":3,\"reserve\":null,"
	    "\"request_id\":null,"
	    "\"placement_state\":null,\"held_proximity\":null,\"beds\":null,"
	    "\"activation\":null}");
	/* No norm in force: null, not 0. */
	ev.has_norm = false;
	ev.norm = 0;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_OK;
	{
		cJSON *o = json_event(&ev);

		assert_true(cJSON_IsNull(cJSON_GetObjectItem(o, "norm")));
		cJSON_Delete(o);
	}
}

static void
a_placement_event_and_an_early_warning(void **state)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

	(void)state;
	ev.event_seq = 7;
	ev.at = T0;
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = "R1";
	ev.category = SHELTERD__V1__CATEGORY__CATEGORY_HIGH_SECURITY;
	ev.request_id = "req1";
	ev.placement_state =
	    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD;
	ev.held_proximity =
	    SHELTERD__V1__PROXIMITY__PROXIMITY_NEIGHBOURING;
	ev.beds = 1;
	assert_json(json_event(&ev),
	    "{\"event_seq\":7,\"at\":\"" T0_TEXT "\","
	    "\"kind\":\"placement\",\"scope\":\"region\","
	    "\"level\":\"info\",\"previous_level\":\"cleared\","
	    "\"region\":\"R1\",\"shelter\":null,\"category\":\"highsec\","
	    "\"capacity\":0,\"free\":0,\"occupancy_pct\":0,\"step\":0,"
	    "\"alert_seq\":null,\"acknowledged_by\":null,"
	    "\"expected_free_24h\":null,"
	    "\"unknown_beds\":null,\"stale_shelters\":null,"
	    "\"never_reported\":null,\"norm\":null,\"window_days\":null,"
	    "\"days_below_norm\":null,\"days_critical\":null,"
	    "\"reserve\":null,"
	    "\"request_id\":\"req1\","
	    "\"placement_state\":\"held\",\"held_proximity\":\"neighbouring\","
	    "\"beds\":1,\"activation\":null}");

	shelterd__v1__event__init(&ev);
	ev.event_seq = 8;
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	ev.category = 9; /* not a category */
	ev.expected_free_24h = 0;
	assert_json(json_event(&ev),
	    "{\"event_seq\":8,\"at\":null,"
	    "\"kind\":\"early_warning\",\"scope\":\"region\","
	    "\"level\":\"warning\",\"previous_level\":\"cleared\","
	    "\"region\":null,\"shelter\":null,\"category\":null,"
	    "\"capacity\":0,\"free\":0,\"occupancy_pct\":0,\"step\":0,"
	    "\"alert_seq\":null,\"acknowledged_by\":null,"
	    "\"expected_free_24h\":0,"
	    "\"unknown_beds\":null,\"stale_shelters\":null,"
	    "\"never_reported\":null,\"norm\":null,\"window_days\":null,"
	    "\"days_below_norm\":null,\"days_critical\":null,"
	    "\"reserve\":null,"
	    "\"request_id\":null,"
	    "\"placement_state\":null,\"held_proximity\":null,\"beds\":null,"
	    "\"activation\":null}");
}

static void
totals_of_a_category(void **state)
{
	Shelterd__V1__CategoryTotals t = SHELTERD__V1__CATEGORY_TOTALS__INIT;

	(void)state;
	t.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_MEN;
	t.capacity = 20;
	t.occupied = 14;
	t.out_of_service = 1;
	t.free = 3;
	t.held = 2;
	t.unknown = 0;
	t.registered_capacity = 30;
	t.known_capacity = 20;
	t.unknown_beds = 10;
	t.stale_shelters = 1;
	t.never_reported = 2;
	t.coverage_pct = 66;
	t.coverage = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	t.expected_free_24h = 1;
	t.expected_free_72h = 2;
	t.forecasting = 1;
	t.early_warning = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	t.level = SHELTERD__V1__LEVEL__LEVEL_OK;
	assert_json(json_totals(&t),
	    "{\"capacity\":20,\"occupied\":14,\"out_of_service\":1,"
	    "\"free\":3,\"held\":2,\"unknown\":0,\"occupancy_pct\":85,"
	    "\"registered_capacity\":30,\"known_capacity\":20,"
	    "\"unknown_beds\":10,\"stale_shelters\":1,\"never_reported\":2,"
	    "\"coverage_pct\":66,\"coverage\":\"warning\","
	    "\"expected_free_24h\":1,\"expected_free_72h\":2,"
	    "\"forecasting\":1,\"early_warning\":\"warning\","
	    "\"level\":\"ok\",\"reserve_24h\":0,\"reserve_72h\":0,"
	    "\"reserve_open\":0,"
	    "\"merged\":false}");
}

static void
a_region_status(void **state)
{
	Shelterd__V1__RegionStatus rs = SHELTERD__V1__REGION_STATUS__INIT;
	Shelterd__V1__CategoryTotals t = SHELTERD__V1__CATEGORY_TOTALS__INIT;
	Shelterd__V1__CategoryTotals u = SHELTERD__V1__CATEGORY_TOTALS__INIT;
	Shelterd__V1__CategoryTotals *tp[2] = { &t, &u };

	(void)state;
	rs.region_id = "VR19";
	rs.name = "Zeeland";
	rs.shelters = 4;
	rs.shelters_reported = 3;
	rs.shelters_stale = 1;
	t.category = SHELTERD__V1__CATEGORY__CATEGORY_MINORS;
	t.capacity = 4;
	t.known_capacity = 4;
	t.registered_capacity = 4;
	t.coverage_pct = 100;
	t.free = 4;
	t.level = SHELTERD__V1__LEVEL__LEVEL_CRITICAL;
	t.reserve_24h = 2;
	t.reserve_72h = 5;
	/* A norm of 0 is a norm, not "none". */
	u.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_MEN;
	u.has_norm = true;
	u.shortage = true;
	rs.totals = tp;
	rs.n_totals = 2;
	assert_json(json_region(&rs),
	    "{\"region\":\"VR19\",\"name\":\"Zeeland\",\"shelters\":4,"
	    "\"shelters_reported\":3,\"shelters_stale\":1,"
	    "\"categories\":{\"minors\":{\"capacity\":4,\"occupied\":0,"
	    "\"out_of_service\":0,\"free\":4,\"held\":0,\"unknown\":0,"
	    "\"occupancy_pct\":0,\"registered_capacity\":4,"
	    "\"known_capacity\":4,\"unknown_beds\":0,\"stale_shelters\":0,"
	    "\"never_reported\":0,\"coverage_pct\":100,\"coverage\":\"ok\","
	    "\"expected_free_24h\":0,\"expected_free_72h\":0,"
	    "\"forecasting\":0,"
	    "\"early_warning\":\"ok\",\"level\":\"critical\","
	    "\"reserve_24h\":2,\"reserve_72h\":5,\"reserve_open\":0,"
	    "\"merged\":false,"
	    "\"norm\":null,\"shortage\":false},"
	    "\"men\":{\"capacity\":0,\"occupied\":0,"
	    "\"out_of_service\":0,\"free\":0,\"held\":0,\"unknown\":0,"
	    "\"occupancy_pct\":0,\"registered_capacity\":0,"
	    "\"known_capacity\":0,\"unknown_beds\":0,\"stale_shelters\":0,"
	    "\"never_reported\":0,\"coverage_pct\":0,\"coverage\":\"ok\","
	    "\"expected_free_24h\":0,\"expected_free_72h\":0,"
	    "\"forecasting\":0,"
	    "\"early_warning\":\"ok\",\"level\":\"ok\","
	    "\"reserve_24h\":0,\"reserve_72h\":0,\"reserve_open\":0,"
	    "\"merged\":false,"
	    "\"norm\":0,\"shortage\":true}}}");
}

static void
beds_of_a_shelter(void **state)
{
	Shelterd__V1__ShelterReply sh = SHELTERD__V1__SHELTER_REPLY__INIT;
	Shelterd__V1__BedCount b[2] = { SHELTERD__V1__BED_COUNT__INIT,
		SHELTERD__V1__BED_COUNT__INIT };
	Shelterd__V1__BedCount *bp[2] = { &b[0], &b[1] };

	(void)state;
	b[0].category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	b[0].capacity = 10;
	b[0].occupied = 9;
	b[0].forecast = true;
	b[0].expected_free_24h = 5;
	b[0].expected_free_72h = 5;
	b[0].held = 1;
	b[0].level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	b[1].category = SHELTERD__V1__CATEGORY__CATEGORY_MINORS;
	b[1].capacity = 4;
	b[1].free = 4;
	sh.beds = bp;
	sh.n_beds = 2;
	assert_json(json_beds(&sh),
	    "{\"women\":{\"capacity\":10,\"occupied\":9,"
	    "\"out_of_service\":0,\"held\":1,\"free\":0,"
	    "\"reserve_open\":0,\"level\":\"warning\",\"expected_free_24h\":5,"
	    "\"expected_free_72h\":5},"
	    "\"minors\":{\"capacity\":4,\"occupied\":0,"
	    "\"out_of_service\":0,\"held\":0,\"free\":4,"
	    "\"reserve_open\":0,\"level\":\"ok\"}}");
}

/* One shape for a shelter wherever it is printed: shelterctl shelter,
 * shelterctl export and /api/shelters. */
static void
shelter_of_every_surface(void **state)
{
	Shelterd__V1__ShelterReply sh = SHELTERD__V1__SHELTER_REPLY__INIT;
	Shelterd__V1__BedCount p = SHELTERD__V1__BED_COUNT__INIT;
	Shelterd__V1__BedCount *pp[1] = { &p };

	(void)state;
	sh.shelter_id = (char *)"S1";
	sh.name = (char *)"One";
	sh.region_id = (char *)"R1";
	sh.security_level = 2;
	sh.deadline_secs = 3600;
	p.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	p.capacity = 8;
	sh.planned = pp;
	sh.n_planned = 1;
	/* Never reported: null status and times, no beds. */
	assert_json(json_shelter(&sh),
	    "{\"shelter\":\"S1\",\"name\":\"One\",\"region\":\"R1\","
	    "\"status\":null,\"security_level\":2,\"stale\":false,"
	    "\"last_seq\":0,\"observed_at\":null,\"received_at\":null,"
	    "\"deadline_secs\":3600,\"deadline_override\":null,"
	    "\"planned\":{\"women\":8},\"beds\":{}}");
	sh.last_seq = 7;
	sh.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_CLOSED;
	sh.received_at = 1795000000;
	sh.deadline_override = 600;
	sh.deadline_secs = 600;
	assert_json(json_shelter(&sh),
	    "{\"shelter\":\"S1\",\"name\":\"One\",\"region\":\"R1\","
	    "\"status\":\"closed\",\"security_level\":2,\"stale\":false,"
	    "\"last_seq\":7,\"observed_at\":null,"
	    "\"received_at\":\"2026-11-18T11:06:40Z\","
	    "\"deadline_secs\":600,\"deadline_override\":600,"
	    "\"planned\":{\"women\":8},\"beds\":{}}");
}

static void
a_held_placement_and_an_unplaced_one(void **state)
{
	Shelterd__V1__Placement p = SHELTERD__V1__PLACEMENT__INIT;
	char *ex[] = { "R3", "R4" };

	(void)state;
	p.request_id = "req1";
	p.case_ref = "R1-2026-0001";
	p.from_region = "R1";
	p.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	p.beds = 3;
	p.security_level = 1;
	p.urgency = SHELTERD__V1__URGENCY__URGENCY_HIGH;
	p.state = SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD;
	p.held_region = "R2";
	p.held_proximity = SHELTERD__V1__PROXIMITY__PROXIMITY_FARTHER;
	p.exclude_regions = ex;
	p.n_exclude_regions = 2;
	p.created_at = T0;
	p.updated_at = T0 + 1;
	p.hold_expires_at = T0 + 900;
	assert_json(json_placement(&p),
	    "{\"request_id\":\"req1\",\"case_ref\":\"R1-2026-0001\","
	    "\"from_region\":\"R1\",\"category\":\"women\",\"beds\":3,"
	    "\"security_level\":1,\"urgency\":\"high\",\"state\":\"held\","
	    "\"open\":true,\"held_region\":\"R2\","
	    "\"held_proximity\":\"farther\",\"in_reserve\":false,"
	    "\"shelter\":null,"
	    "\"exclude_regions\":[\"R3\",\"R4\"],"
	    "\"created_at\":\"" T0_TEXT "\","
	    "\"updated_at\":\"2026-11-28T20:43:55Z\","
	    "\"hold_expires_at\":\"2026-11-28T20:58:54Z\","
	    "\"candidates_tried\":0,\"last_reason\":null}");

	shelterd__v1__placement__init(&p);
	p.request_id = "q5";
	p.state = SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_UNPLACED;
	p.candidates_tried = 2;
	p.last_reason = SHELTERD__V1__DECLINE_REASON__DECLINE_REASON_NO_BED;
	assert_json(json_placement(&p),
	    "{\"request_id\":\"q5\",\"case_ref\":null,"
	    "\"from_region\":null,\"category\":null,\"beds\":0,"
	    "\"security_level\":0,\"urgency\":\"normal\","
	    "\"state\":\"unplaced\",\"open\":false,\"held_region\":null,"
	    "\"held_proximity\":null,\"in_reserve\":false,"
	    "\"shelter\":null,"
	    "\"exclude_regions\":[],\"created_at\":null,"
	    "\"updated_at\":null,\"hold_expires_at\":null,"
	    "\"candidates_tried\":2,\"last_reason\":\"no-bed\"}");
}

static void
the_names_as_json(void **state)
{
	cJSON *o = json_names(), *kinds, *row;

	(void)state;
	assert_non_null(o);
	assert_int_equal(cJSON_GetArraySize(o), (int)names_n_tables);
	kinds = cJSON_GetObjectItemCaseSensitive(o, "kind");
	assert_int_equal(cJSON_GetArraySize(kinds), 9);
	row = cJSON_GetArrayItem(kinds, 4);
	assert_json(cJSON_Duplicate(row, true),
	    "{\"value\":10,\"name\":\"early_warning\","
	    "\"label\":\"early warning\"}");
	row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(o,
	    "scope"), 2);
	/* No label of its own: the name. */
	assert_json(cJSON_Duplicate(row, true),
	    "{\"value\":2,\"name\":\"region\",\"label\":\"region\"}");
	cJSON_Delete(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(times_are_rfc3339_utc_or_null),
		cmocka_unit_test(an_open_region_alert),
		cmocka_unit_test(an_acked_national_alert_without_a_clock),
		cmocka_unit_test(an_occupancy_event),
		cmocka_unit_test(a_placement_event_and_an_early_warning),
		cmocka_unit_test(totals_of_a_category),
		cmocka_unit_test(a_structural_shortage_event),
		cmocka_unit_test(a_region_status),
		cmocka_unit_test(beds_of_a_shelter),
		cmocka_unit_test(shelter_of_every_surface),
		cmocka_unit_test(a_held_placement_and_an_unplaced_one),
		cmocka_unit_test(the_names_as_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
