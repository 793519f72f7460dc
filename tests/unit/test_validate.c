/*
 * test_validate.c — what a shelter may report, and seq ordering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "validate.h"

#define CODE(c) SHELTERD__V1__CODE__CODE_##c
#define STATUS(s) SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_##s
#define CATEGORY(c) SHELTERD__V1__CATEGORY__CATEGORY_##c

static const char regions_csv[] =
	"code,name,province,seat,lat,lon,neighbours\n"
	"R1,Region One,P,Seat1,52.0,5.0,R2\n"
	"R2,Region Two,P,Seat2,52.1,5.1,R1\n";

static const char shelters_csv[] =
	"id,name,region,security_level,beds\n"
	"S1,Shelter One,R1,1,women:12 minors:4\n"
	"S2,Shelter Two,R2,0,men:6\n";

static const int64_t NOW = 1700000000;

/* A valid update of S1 (women 12/5/1, minors 4/4/0), ready to spoil. */
struct fixture {
	struct registry reg;
	struct validate_limits lim;
	Shelterd__V1__OccupancyUpdate u;
	Shelterd__V1__BedCount bed[CAT_COUNT + 1];
	Shelterd__V1__BedCount *beds[CAT_COUNT + 1];
	const struct reg_shelter *shelter;
	struct shelter_state out;
	uint8_t over;
	char err[256];
};

static int
setup(void **state)
{
	static const Shelterd__V1__OccupancyUpdate u0 =
	    SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	static const Shelterd__V1__BedCount b0 = SHELTERD__V1__BED_COUNT__INIT;
	struct fixture *f = test_calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	if (registry_parse(&f->reg, regions_csv, shelters_csv, f->err,
	    sizeof(f->err)) != 0) {
		print_error("registry: %s\n", f->err);
		test_free(f);
		return -1;
	}
	validate_limits_default(&f->lim);
	for (size_t i = 0; i < CAT_COUNT + 1; i++) {
		f->bed[i] = b0;
		f->beds[i] = &f->bed[i];
	}
	f->bed[0].category = CATEGORY(ADULT_WOMEN);
	f->bed[0].capacity = 12;
	f->bed[0].occupied = 5;
	f->bed[0].out_of_service = 1;
	f->bed[1].category = CATEGORY(MINORS);
	f->bed[1].capacity = 4;
	f->bed[1].occupied = 4;
	f->u = u0;
	f->u.shelter_id = "S1";
	f->u.seq = 42;
	f->u.observed_at = NOW - 60;
	f->u.status = STATUS(OPEN);
	f->u.n_beds = 2;
	f->u.beds = f->beds;
	f->over = 0xff;
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	registry_free(&f->reg);
	test_free(f);
	return 0;
}

static int
check(struct fixture *f)
{
	f->shelter = NULL;
	f->err[0] = '\0';
	return validate_update(&f->u, &f->reg, &f->lim, NOW, &f->shelter,
	    &f->out, &f->over, f->err, sizeof(f->err));
}

/* Refused with this code and a reason containing this text. */
#define assert_refused(f, code, text)                                   \
	do {                                                            \
		assert_int_equal(check(f), (code));                     \
		assert_non_null(strstr((f)->err, (text)));              \
	} while (0)

static void
valid_update_fills_state(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f), 0);
	assert_string_equal(f->err, "");
	assert_non_null(f->shelter);
	assert_string_equal(f->shelter->id, "S1");
	assert_int_equal(f->out.seq, 42);
	assert_int_equal(f->out.observed_at, NOW - 60);
	assert_int_equal(f->out.received_at, 0);
	assert_int_equal(f->out.status, SH_STATUS_OPEN);
	assert_int_equal(f->out.present, 0x01 | 0x04);
	assert_int_equal(f->out.beds[0].capacity, 12);
	assert_int_equal(f->out.beds[0].occupied, 5);
	assert_int_equal(f->out.beds[0].out_of_service, 1);
	assert_int_equal(f->out.beds[2].capacity, 4);
	assert_int_equal(f->out.beds[2].occupied, 4);
	assert_int_equal(f->out.beds[2].out_of_service, 0);
	assert_int_equal(f->out.beds[1].capacity, 0);
	for (int i = 0; i < CAT_COUNT; i++)
		assert_int_equal(f->out.level[i], LEVEL_OK);
	assert_int_equal(f->over, 0);
}

static void
valid_update_in_any_order(void **state)
{
	struct fixture *f = *state;

	f->beds[0] = &f->bed[1];
	f->beds[1] = &f->bed[0];
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.present, 0x05);
	assert_int_equal(f->out.beds[0].capacity, 12);
	assert_int_equal(f->out.beds[2].capacity, 4);
}

static void
paused_and_closed_accepted(void **state)
{
	struct fixture *f = *state;

	f->u.status = STATUS(INTAKE_PAUSED);
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.status, SH_STATUS_INTAKE_PAUSED);
	f->u.status = STATUS(CLOSED);
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.status, SH_STATUS_CLOSED);
}

static void
missing_shelter_id_refused(void **state)
{
	struct fixture *f = *state;

	f->u.shelter_id = NULL;
	assert_refused(f, CODE(BAD_REQUEST), "shelter_id");
	f->u.shelter_id = "";
	assert_refused(f, CODE(BAD_REQUEST), "shelter_id");
}

static void
unknown_shelter_refused(void **state)
{
	struct fixture *f = *state;

	f->u.shelter_id = "S9";
	assert_refused(f, CODE(UNKNOWN_SHELTER), "'S9'");
	assert_null(f->shelter);
	f->u.shelter_id = "s1"; /* ids are case-sensitive */
	assert_refused(f, CODE(UNKNOWN_SHELTER), "'s1'");
}

static void
overlong_shelter_id_is_unknown(void **state)
{
	struct fixture *f = *state;

	f->u.shelter_id = "S1-and-a-long-tail-past-the-id-limit-of-32";
	assert_int_equal(check(f), CODE(UNKNOWN_SHELTER));
}

static void
seq_zero_refused(void **state)
{
	struct fixture *f = *state;

	f->u.seq = 0;
	assert_refused(f, CODE(BAD_REQUEST), "seq");
}

static void
observed_at_zero_refused(void **state)
{
	struct fixture *f = *state;

	f->u.observed_at = 0;
	assert_refused(f, CODE(BAD_REQUEST), "observed_at");
	f->u.observed_at = -5;
	assert_refused(f, CODE(BAD_REQUEST), "observed_at");
}

static void
observed_at_far_future_refused(void **state)
{
	struct fixture *f = *state;

	f->u.observed_at = NOW + f->lim.max_future_secs + 1;
	assert_refused(f, CODE(BAD_REQUEST), "observed_at");
	f->u.observed_at = NOW + 86400;
	assert_refused(f, CODE(BAD_REQUEST), "observed_at");
}

static void
observed_at_near_future_accepted(void **state)
{
	struct fixture *f = *state;

	f->u.observed_at = NOW + f->lim.max_future_secs;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.observed_at, NOW + 300);
}

static void
status_unspecified_refused(void **state)
{
	struct fixture *f = *state;

	f->u.status = STATUS(UNSPECIFIED);
	assert_refused(f, CODE(BAD_REQUEST), "status");
}

static void
status_out_of_range_refused(void **state)
{
	struct fixture *f = *state;

	f->u.status = (Shelterd__V1__ShelterStatus)4;
	assert_refused(f, CODE(BAD_REQUEST), "status");
	f->u.status = (Shelterd__V1__ShelterStatus)-1;
	assert_refused(f, CODE(BAD_REQUEST), "status");
}

static void
no_beds_refused(void **state)
{
	struct fixture *f = *state;

	f->u.n_beds = 0;
	f->u.beds = NULL;
	assert_refused(f, CODE(BAD_REQUEST), "no bed counts");
}

static void
too_many_beds_refused(void **state)
{
	struct fixture *f = *state;

	f->u.n_beds = CAT_COUNT + 1;
	assert_int_equal(check(f), CODE(BAD_REQUEST));
}

static void
unknown_category_number_refused(void **state)
{
	struct fixture *f = *state;

	f->bed[1].category = (Shelterd__V1__Category)9;
	assert_refused(f, CODE(UNKNOWN_CATEGORY), "unknown category 9");
	f->bed[1].category = CATEGORY(UNSPECIFIED);
	assert_refused(f, CODE(UNKNOWN_CATEGORY), "unknown category 0");
}

static void
category_not_in_registry_refused(void **state)
{
	struct fixture *f = *state;

	f->bed[1].category = CATEGORY(ADULT_MEN);
	assert_refused(f, CODE(UNKNOWN_CATEGORY), "'men'");
}

static void
category_twice_refused(void **state)
{
	struct fixture *f = *state;

	f->beds[1] = &f->bed[0];
	assert_refused(f, CODE(BAD_REQUEST), "twice");
}

static void
counts_above_max_beds_refused(void **state)
{
	struct fixture *f = *state;

	f->lim.max_beds = 100;
	f->bed[0].capacity = 101;
	assert_refused(f, CODE(BAD_REQUEST), "100");
	f->bed[0].capacity = 12;
	f->bed[0].occupied = 101;
	assert_int_equal(check(f), CODE(BAD_REQUEST));
	f->bed[0].occupied = 5;
	f->bed[0].out_of_service = 101;
	assert_int_equal(check(f), CODE(BAD_REQUEST));
}

static void
counts_at_max_beds_accepted(void **state)
{
	struct fixture *f = *state;

	f->lim.max_beds = 100;
	f->bed[0].capacity = 100;
	f->bed[0].occupied = 100;
	f->bed[0].out_of_service = 0;
	assert_int_equal(check(f), 0);
}

static void
default_max_beds_is_10000(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(f->lim.max_beds, 10000);
	assert_int_equal(f->lim.max_future_secs, 300);
	f->bed[0].capacity = 10000;
	assert_int_equal(check(f), 0);
	f->bed[0].capacity = 10001;
	assert_int_equal(check(f), CODE(BAD_REQUEST));
}

static void
out_of_service_above_capacity_refused(void **state)
{
	struct fixture *f = *state;

	f->bed[1].occupied = 0;
	f->bed[1].out_of_service = 5;
	assert_refused(f, CODE(BAD_REQUEST), "out of service");
}

static void
over_occupied_accepted_and_flagged(void **state)
{
	struct fixture *f = *state;

	f->bed[1].occupied = 4;
	f->bed[1].out_of_service = 1; /* 5 used of 4 */
	assert_int_equal(check(f), 0);
	assert_int_equal(f->over, 1u << (CATEGORY(MINORS) - 1));
	assert_int_equal(f->out.beds[2].occupied, 4);
	assert_int_equal(f->out.beds[2].out_of_service, 1);
}

static void
occupied_above_capacity_flagged(void **state)
{
	struct fixture *f = *state;

	f->bed[0].occupied = 13;
	f->bed[0].out_of_service = 0;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->over, 1u << (CATEGORY(ADULT_WOMEN) - 1));
}

static void
missing_category_refused(void **state)
{
	struct fixture *f = *state;

	f->u.n_beds = 1; /* women only; S1 also has minors */
	assert_refused(f, CODE(BAD_REQUEST), "'minors' is missing");
}

/* ---- validate_seq ---------------------------------------------------- */

static struct shelter_state
stored_state(void)
{
	struct shelter_state s;

	memset(&s, 0, sizeof(s));
	s.seq = 10;
	s.observed_at = NOW - 100;
	s.status = SH_STATUS_OPEN;
	s.present = 0x01;
	s.beds[0] = (struct bed_counts){ 12, 5, 1, 0 };
	s.level[0] = LEVEL_WARNING;
	return s;
}

static void
seq_newer_applies(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	struct shelter_state never;
	char err[128] = "";

	(void)state;
	next.seq = 11;
	next.beds[0].occupied = 7;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    SEQ_APPLY);
	memset(&never, 0, sizeof(never));
	next.seq = 1;
	assert_int_equal(validate_seq(&never, &next, err, sizeof(err)),
	    SEQ_APPLY);
}

static void
seq_same_content_is_duplicate(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	/* Levels and times are not content: a fresh validation has none. */
	memset(next.level, 0, sizeof(next.level));
	next.observed_at = NOW;
	next.received_at = NOW;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    SEQ_DUPLICATE);
}

static void
seq_same_other_counts_conflict(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	next.beds[0].occupied = 6;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
	assert_non_null(strstr(err, "seq 10"));
}

static void
seq_same_other_status_conflict(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	next.status = SH_STATUS_CLOSED;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
	next = stored;
	next.present = 0x03;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
}

static void
seq_older_is_stale(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	next.seq = 9;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(STALE_SEQ));
	assert_non_null(strstr(err, "seq 9 "));
	assert_non_null(strstr(err, "last applied seq 10"));
}

/* ---- outflow forecasts ------------------------------------------------ */

static void
forecast_is_kept(void **state)
{
	struct fixture *f = *state;

	/* Women 12/5/1: up to 6 beds may free up. */
	f->bed[0].expected_free_24h = 2;
	f->bed[0].expected_free_72h = 6;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.forecast, 1u << (CATEGORY(ADULT_WOMEN) - 1));
	assert_int_equal(f->out.expect[0].free_24h, 2);
	assert_int_equal(f->out.expect[0].free_72h, 6);
	/* "None expected" is a forecast too, when flagged. */
	f->bed[1].forecast = 1;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.forecast, 0x05);
	assert_int_equal(f->out.expect[2].free_72h, 0);
}

static void
forecast_refused_when_impossible(void **state)
{
	struct fixture *f = *state;

	f->bed[0].expected_free_24h = 3;
	f->bed[0].expected_free_72h = 2;
	assert_refused(f, CODE(BAD_REQUEST), "includes the 24 h one");
	f->bed[0].expected_free_24h = 0;
	f->bed[0].expected_free_72h = 7;
	assert_refused(f, CODE(BAD_REQUEST), "only 6 occupied");
}

static void
seq_same_other_forecast_conflict(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	next.forecast = 1;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
	next = stored;
	next.expect[0].free_24h = 1;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
}

/* ---- declared reserve beds ------------------------------------------ */

static void
reserve_declaration_is_kept(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.reserve_declared, 0);
	f->bed[0].has_reserve = true;
	f->bed[0].reserve_24h = 2;
	f->bed[0].reserve_72h = 5;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.reserve_declared, 0x01);
	assert_int_equal(f->out.reserve_decl[0].beds_24h, 2);
	assert_int_equal(f->out.reserve_decl[0].beds_72h, 5);
	/* 0/0 is a declaration: none now, in place of reserves.csv's. */
	f->bed[1].has_reserve = true;
	assert_int_equal(check(f), 0);
	assert_int_equal(f->out.reserve_declared, 0x05);
	assert_int_equal(f->out.reserve_decl[2].beds_72h, 0);
	/* Equal figures: all of them within 24 h. */
	f->bed[0].reserve_24h = 5;
	assert_int_equal(check(f), 0);
}

static void
reserve_declaration_refused_when_impossible(void **state)
{
	struct fixture *f = *state;

	f->bed[0].has_reserve = true;
	f->bed[0].reserve_24h = 3;
	f->bed[0].reserve_72h = 2;
	assert_refused(f, CODE(BAD_REQUEST), "'women': 3 reserve beds within "
	    "24 h but 2 within 72 h: the 72 h figure includes the 24 h one");
	assert_int_equal(f->out.reserve_declared, 0);
	f->bed[0].reserve_24h = 0;
	f->bed[0].reserve_72h = RESERVE_BEDS_MAX + 1;
	assert_refused(f, CODE(BAD_REQUEST), "'women': 10001 reserve beds "
	    "within 72 h; at most 10000");
	f->bed[0].reserve_72h = RESERVE_BEDS_MAX;
	assert_int_equal(check(f), 0);
	/* The limits' max_beds when it is lower. */
	f->lim.max_beds = 50;
	f->bed[0].reserve_72h = 51;
	assert_refused(f, CODE(BAD_REQUEST), "at most 50 are plausible");
	f->bed[0].reserve_72h = 50;
	assert_int_equal(check(f), 0);
	/* Figures without the flag would be read as no declaration. */
	f->bed[0].has_reserve = false;
	assert_refused(f, CODE(BAD_REQUEST), "'women': reserve beds without "
	    "has_reserve");
}

static void
seq_same_other_reserve_conflict(void **state)
{
	struct shelter_state stored = stored_state(), next = stored;
	char err[128] = "";

	(void)state;
	stored.reserve_declared = 0x01;
	stored.reserve_decl[0].beds_24h = 1;
	stored.reserve_decl[0].beds_72h = 3;
	next = stored;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    SEQ_DUPLICATE);
	next.reserve_decl[0].beds_72h = 4;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
	next = stored;
	next.reserve_declared = 0x05;
	assert_int_equal(validate_seq(&stored, &next, err, sizeof(err)),
	    -CODE(SEQ_CONFLICT));
}

static void
seq_far_ahead_refused(void **state)
{
	struct fixture *f = *state;

	/* The reproduction: the largest seq would block the shelter. */
	f->u.seq = UINT64_MAX;
	assert_refused(f, CODE(BAD_REQUEST), "max_seq_ahead_secs");
	f->u.seq = (uint64_t)(NOW + 86400 + 1) * 1000000u;
	assert_refused(f, CODE(BAD_REQUEST), "86401 s ahead");
}

static void
seq_up_to_a_day_ahead_accepted(void **state)
{
	struct fixture *f = *state;

	f->u.seq = (uint64_t)NOW * 1000000u + 999999u;
	assert_int_equal(check(f), 0);
	f->u.seq = (uint64_t)(NOW + 86400) * 1000000u + 999999u;
	assert_int_equal(check(f), 0);
	f->u.seq = 1;
	assert_int_equal(check(f), 0);
}

static void
seq_ahead_follows_the_limit(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(validate_seq_ahead((uint64_t)(NOW + 60) * 1000000u,
	    NOW, 60, err, sizeof(err)), 0);
	assert_int_equal(validate_seq_ahead((uint64_t)(NOW + 61) * 1000000u,
	    NOW, 60, err, sizeof(err)), CODE(BAD_REQUEST));
	assert_non_null(strstr(err, "61 s ahead"));
	assert_int_equal(validate_seq_ahead(UINT64_MAX, INT64_MAX / 2,
	    INT64_MAX / 2, err, sizeof(err)), 0);
}

static void
refusals_of_the_report_itself_are_final(void **state)
{
	(void)state;
	assert_true(validate_refusal_is_final(CODE(BAD_REQUEST)));
	assert_true(validate_refusal_is_final(CODE(UNKNOWN_SHELTER)));
	assert_true(validate_refusal_is_final(CODE(UNKNOWN_CATEGORY)));
	assert_true(validate_refusal_is_final(CODE(STALE_SEQ)));
	assert_true(validate_refusal_is_final(CODE(SEQ_CONFLICT)));
	assert_false(validate_refusal_is_final(CODE(OK)));
	assert_false(validate_refusal_is_final(CODE(UNAUTHENTICATED)));
	assert_false(validate_refusal_is_final(CODE(FORBIDDEN)));
	assert_false(validate_refusal_is_final(CODE(BUSY)));
	assert_false(validate_refusal_is_final(CODE(STORE_FULL)));
	assert_false(validate_refusal_is_final(CODE(INTERNAL)));
	assert_false(validate_refusal_is_final(CODE(TOO_LARGE)));
	assert_false(validate_refusal_is_final(CODE(NOT_FOUND)));
	assert_false(validate_refusal_is_final(CODE(CONFLICT)));
	assert_false(validate_refusal_is_final(999)); /* a newer daemon's */
}

#define fixture_test(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		fixture_test(valid_update_fills_state),
		fixture_test(valid_update_in_any_order),
		fixture_test(paused_and_closed_accepted),
		fixture_test(missing_shelter_id_refused),
		fixture_test(unknown_shelter_refused),
		fixture_test(overlong_shelter_id_is_unknown),
		fixture_test(seq_zero_refused),
		fixture_test(observed_at_zero_refused),
		fixture_test(observed_at_far_future_refused),
		fixture_test(observed_at_near_future_accepted),
		fixture_test(status_unspecified_refused),
		fixture_test(status_out_of_range_refused),
		fixture_test(no_beds_refused),
		fixture_test(too_many_beds_refused),
		fixture_test(unknown_category_number_refused),
		fixture_test(category_not_in_registry_refused),
		fixture_test(category_twice_refused),
		fixture_test(counts_above_max_beds_refused),
		fixture_test(counts_at_max_beds_accepted),
		fixture_test(default_max_beds_is_10000),
		fixture_test(out_of_service_above_capacity_refused),
		fixture_test(over_occupied_accepted_and_flagged),
		fixture_test(occupied_above_capacity_flagged),
		fixture_test(missing_category_refused),
		cmocka_unit_test(seq_newer_applies),
		cmocka_unit_test(seq_same_content_is_duplicate),
		cmocka_unit_test(seq_same_other_counts_conflict),
		cmocka_unit_test(seq_same_other_status_conflict),
		cmocka_unit_test(seq_older_is_stale),
		fixture_test(forecast_is_kept),
		fixture_test(forecast_refused_when_impossible),
		cmocka_unit_test(seq_same_other_forecast_conflict),
		fixture_test(reserve_declaration_is_kept),
		fixture_test(reserve_declaration_refused_when_impossible),
		cmocka_unit_test(seq_same_other_reserve_conflict),
		fixture_test(seq_far_ahead_refused),
		fixture_test(seq_up_to_a_day_ahead_accepted),
		cmocka_unit_test(seq_ahead_follows_the_limit),
		cmocka_unit_test(refusals_of_the_report_itself_are_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
