/*
 * test_beds.c — bed categories, free beds, aggregates and names.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "beds.h"

enum { WOMEN = 1, MINORS = 3, CHILDREN = 5 };

static const struct bed_counts ten_three_one = {
	.capacity = 10, .occupied = 3, .out_of_service = 1,
};

/* A reported shelter with women 10/3/1 and minors 4/4/0. */
static struct shelter_state
reported_shelter(int status)
{
	struct shelter_state sh;

	memset(&sh, 0, sizeof(sh));
	sh.seq = 7;
	sh.status = (uint8_t)status;
	sh.present = (1u << (WOMEN - 1)) | (1u << (MINORS - 1));
	sh.beds[WOMEN - 1] = ten_three_one;
	sh.beds[MINORS - 1] = (struct bed_counts){ 4, 4, 0, 0 };
	return sh;
}

static void
free_counts_open_beds(void **state)
{
	(void)state;
	assert_int_equal(beds_free(SH_STATUS_OPEN, &ten_three_one), 6);
}

static void
free_zero_when_paused(void **state)
{
	(void)state;
	assert_int_equal(beds_free(SH_STATUS_INTAKE_PAUSED, &ten_three_one),
	    0);
}

static void
free_zero_when_closed(void **state)
{
	(void)state;
	assert_int_equal(beds_free(SH_STATUS_CLOSED, &ten_three_one), 0);
	assert_int_equal(beds_free(SH_STATUS_UNSPECIFIED, &ten_three_one),
	    0);
}

static void
free_zero_when_exactly_full(void **state)
{
	struct bed_counts b = { .capacity = 10, .occupied = 8,
		.out_of_service = 2 };

	(void)state;
	assert_int_equal(beds_free(SH_STATUS_OPEN, &b), 0);
}

static void
free_never_negative_when_over_occupied(void **state)
{
	struct bed_counts b = { .capacity = 10, .occupied = 9,
		.out_of_service = 4 };
	struct bed_counts huge = { .capacity = 5, .occupied = UINT32_MAX,
		.out_of_service = UINT32_MAX };

	(void)state;
	assert_int_equal(beds_free(SH_STATUS_OPEN, &b), 0);
	/* The sum would wrap in 32 bits. */
	assert_int_equal(beds_free(SH_STATUS_OPEN, &huge), 0);
}

static void
aggregate_add_sums_present_categories(void **state)
{
	struct aggregate agg;
	struct shelter_state sh = reported_shelter(SH_STATUS_OPEN);

	(void)state;
	memset(&agg, 0, sizeof(agg));
	sh.beds[CHILDREN - 1] = ten_three_one; /* not present: ignored */
	aggregate_add(&agg, &sh, +1);
	assert_int_equal(agg.shelters_reported, 1);
	assert_int_equal(agg.cat[WOMEN - 1].capacity, 10);
	assert_int_equal(agg.cat[WOMEN - 1].occupied, 3);
	assert_int_equal(agg.cat[WOMEN - 1].out_of_service, 1);
	assert_int_equal(agg.cat[WOMEN - 1].free, 6);
	assert_int_equal(agg.cat[MINORS - 1].capacity, 4);
	assert_int_equal(agg.cat[MINORS - 1].occupied, 4);
	assert_int_equal(agg.cat[MINORS - 1].free, 0);
	assert_int_equal(agg.cat[CHILDREN - 1].capacity, 0);
	assert_int_equal(agg.cat[CHILDREN - 1].free, 0);
}

static void
aggregate_add_paused_shelter_has_no_free(void **state)
{
	struct aggregate agg;
	struct shelter_state sh = reported_shelter(SH_STATUS_INTAKE_PAUSED);

	(void)state;
	memset(&agg, 0, sizeof(agg));
	aggregate_add(&agg, &sh, +1);
	assert_int_equal(agg.cat[WOMEN - 1].capacity, 10);
	assert_int_equal(agg.cat[WOMEN - 1].free, 0);
}

static void
aggregate_add_then_remove_is_zero(void **state)
{
	struct aggregate agg, zero;
	struct shelter_state a = reported_shelter(SH_STATUS_OPEN);
	struct shelter_state b = reported_shelter(SH_STATUS_CLOSED);

	(void)state;
	memset(&agg, 0, sizeof(agg));
	memset(&zero, 0, sizeof(zero));
	aggregate_add(&agg, &a, +1);
	aggregate_add(&agg, &b, +1);
	assert_int_equal(agg.shelters_reported, 2);
	assert_int_equal(agg.cat[WOMEN - 1].capacity, 20);
	assert_int_equal(agg.cat[WOMEN - 1].free, 6);
	aggregate_add(&agg, &a, -1);
	aggregate_add(&agg, &b, -1);
	assert_memory_equal(&agg, &zero, sizeof(agg));
}

static void
aggregate_add_ignores_never_reported(void **state)
{
	struct aggregate agg, zero;
	struct shelter_state sh = reported_shelter(SH_STATUS_OPEN);

	(void)state;
	memset(&agg, 0, sizeof(agg));
	memset(&zero, 0, sizeof(zero));
	sh.seq = 0;
	aggregate_add(&agg, &sh, +1);
	assert_memory_equal(&agg, &zero, sizeof(agg));
	aggregate_add(&agg, &sh, -1);
	assert_memory_equal(&agg, &zero, sizeof(agg));
}

static void
pct_of_used_beds(void **state)
{
	struct totals t = { .capacity = 10, .free = 1 };
	struct totals third = { .capacity = 3, .free = 1 };
	struct totals full = { .capacity = 7, .free = 0 };
	struct totals empty = { .capacity = 7, .free = 7 };

	(void)state;
	assert_int_equal(totals_pct(&t), 90);
	assert_int_equal(totals_pct(&third), 66); /* rounded down */
	assert_int_equal(totals_pct(&full), 100);
	assert_int_equal(totals_pct(&empty), 0);
}

static void
pct_zero_without_capacity(void **state)
{
	struct totals t = { .capacity = 0, .free = 0 };

	(void)state;
	assert_int_equal(totals_pct(&t), 0);
}

static void
pct_no_overflow_on_large_capacity(void **state)
{
	struct totals t = { .capacity = 4000000000u, .free = 1000000000u };

	(void)state;
	assert_int_equal(totals_pct(&t), 75);
}

static void
cat_names_round_trip(void **state)
{
	static const char *const names[] = {
		"women", "men", "minors", "highsec", "children",
	};

	(void)state;
	for (int c = 1; c <= CAT_COUNT; c++) {
		assert_string_equal(cat_name(c), names[c - 1]);
		assert_int_equal(cat_parse(names[c - 1]), c);
	}
}

static void
cat_unknown(void **state)
{
	(void)state;
	assert_null(cat_name(0));
	assert_null(cat_name(CAT_COUNT + 1));
	assert_null(cat_name(-1));
	assert_int_equal(cat_parse("woman"), -1);
	assert_int_equal(cat_parse("Women"), -1);
	assert_int_equal(cat_parse(""), -1);
}

static void
status_names_round_trip(void **state)
{
	(void)state;
	assert_string_equal(status_name(SH_STATUS_OPEN), "open");
	assert_string_equal(status_name(SH_STATUS_INTAKE_PAUSED), "paused");
	assert_string_equal(status_name(SH_STATUS_CLOSED), "closed");
	for (int s = SH_STATUS_OPEN; s <= SH_STATUS_CLOSED; s++)
		assert_int_equal(status_parse(status_name(s)), s);
}

static void
status_unknown(void **state)
{
	(void)state;
	assert_string_equal(status_name(SH_STATUS_UNSPECIFIED), "unknown");
	assert_string_equal(status_name(4), "unknown");
	assert_string_equal(status_name(-1), "unknown");
	assert_int_equal(status_parse("unknown"), -1);
	assert_int_equal(status_parse("opened"), -1);
	assert_int_equal(status_parse(""), -1);
}

static void
level_names_round_trip(void **state)
{
	(void)state;
	assert_string_equal(level_name(LEVEL_OK), "cleared");
	assert_string_equal(level_name(LEVEL_WARNING), "warning");
	assert_string_equal(level_name(LEVEL_CRITICAL), "critical");
	for (int l = LEVEL_OK; l <= LEVEL_CRITICAL; l++)
		assert_int_equal(level_parse(level_name(l)), l);
}

static void
level_unknown(void **state)
{
	(void)state;
	assert_string_equal(level_name(3), "info");
	assert_string_equal(level_name(4), "unknown");
	assert_string_equal(level_name(-1), "unknown");
	assert_int_equal(level_parse("ok"), -1);
	assert_int_equal(level_parse("unknown"), -1);
	assert_int_equal(level_parse(""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(free_counts_open_beds),
		cmocka_unit_test(free_zero_when_paused),
		cmocka_unit_test(free_zero_when_closed),
		cmocka_unit_test(free_zero_when_exactly_full),
		cmocka_unit_test(free_never_negative_when_over_occupied),
		cmocka_unit_test(aggregate_add_sums_present_categories),
		cmocka_unit_test(aggregate_add_paused_shelter_has_no_free),
		cmocka_unit_test(aggregate_add_then_remove_is_zero),
		cmocka_unit_test(aggregate_add_ignores_never_reported),
		cmocka_unit_test(pct_of_used_beds),
		cmocka_unit_test(pct_zero_without_capacity),
		cmocka_unit_test(pct_no_overflow_on_large_capacity),
		cmocka_unit_test(cat_names_round_trip),
		cmocka_unit_test(cat_unknown),
		cmocka_unit_test(status_names_round_trip),
		cmocka_unit_test(status_unknown),
		cmocka_unit_test(level_names_round_trip),
		cmocka_unit_test(level_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
