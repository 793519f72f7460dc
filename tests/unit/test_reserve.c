/*
 * test_reserve.c — contingency reserve beds in the registry: rows
 * checked with the line named, sums per region and nationally, and a
 * shelters import that removes a shelter takes its reserve with it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"
#include "reserve.h"

static const char regions_csv[] =
	"code,name,province,seat,lat,lon,neighbours\n"
	"R1,Region One,P,Seat1,52.0,5.0,R2\n"
	"R2,Region Two,P,Seat2,52.1,5.1,R1\n";
static const char shelters_csv[] =
	"id,name,region,security_level,beds\n"
	"S1,Shelter One,R1,1,women:10\n"
	"S2,Shelter Two,R1,1,women:4 minors:3\n"
	"S3,Shelter Three,R2,1,women:6\n";
static const char reserves_csv[] =
	"shelter,category,beds_24h,beds_72h\n"
	"S1,women,2,5\n"
	"S2,women,0,3\n"
	"S2,minors,1,1\n"
	"S3,women,4,4\n";

static void
load(struct registry *reg)
{
	char err[256];

	memset(reg, 0, sizeof(*reg));
	if (registry_parse(reg, regions_csv, shelters_csv, err,
	    sizeof(err)) != 0 || registry_parse_reserves(reg, reserves_csv,
	    err, sizeof(err)) != 0)
		fail_msg("registry: %s", err);
}

static void
sums(void **state)
{
	struct registry reg;
	uint32_t b24, b72;

	(void)state;
	load(&reg);
	assert_int_equal(reg.n_reserves, 4);
	reserve_sum(&reg, 0, 1, &b24, &b72);
	assert_int_equal(b24, 2);
	assert_int_equal(b72, 8);
	reserve_sum(&reg, 0, 3, &b24, &b72);
	assert_int_equal(b24, 1);
	assert_int_equal(b72, 1);
	reserve_sum(&reg, 1, 1, &b24, &b72);
	assert_int_equal(b24, 4);
	assert_int_equal(b72, 4);
	reserve_sum(&reg, -1, 1, &b24, &b72);
	assert_int_equal(b24, 6);
	assert_int_equal(b72, 12);
	reserve_sum(&reg, 1, 2, &b24, &b72);
	assert_int_equal(b72, 0);
	registry_free(&reg);
}

static void
where_most_first(void **state)
{
	struct registry reg;
	struct reserve_region w[2];

	(void)state;
	load(&reg);
	/* women: R1 2/8, R2 4/4; minors: R1 1/1; men: none. */
	assert_int_equal(reserve_where(&reg, 1, w, 2), 2);
	assert_int_equal(w[0].region, 0);
	assert_int_equal(w[0].beds_24h, 2);
	assert_int_equal(w[0].beds_72h, 8);
	assert_int_equal(w[1].region, 1);
	assert_int_equal(w[1].beds_72h, 4);
	/* At most max. */
	assert_int_equal(reserve_where(&reg, 1, w, 1), 1);
	assert_int_equal(w[0].region, 0);
	assert_int_equal(reserve_where(&reg, 3, w, 2), 1);
	assert_int_equal(reserve_where(&reg, 2, w, 2), 0);
	registry_free(&reg);
}

static void
an_import_without_the_shelter(void **state)
{
	struct registry reg, next;
	char err[256];
	unsigned line;
	uint32_t b24, b72;

	(void)state;
	load(&reg);
	/* S1 gone, S3 moved to R1. */
	assert_int_equal(registry_with_shelters(&next, &reg,
	    "S2,Shelter Two,R1,1,women:4 minors:3\n"
	    "S3,Shelter Three,R1,1,women:6\n", err, sizeof(err), &line), 0);
	reserve_sum(&next, 0, 1, &b24, &b72);
	assert_int_equal(b24, 4);
	assert_int_equal(b72, 7);
	reserve_sum(&next, 1, 1, &b24, &b72);
	assert_int_equal(b72, 0);
	registry_free(&next);
	registry_free(&reg);
}

static void
bad(const char *text, const char *want)
{
	struct registry reg;
	char err[256];

	load(&reg);
	if (registry_parse_reserves(&reg, text, err, sizeof(err)) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s'", err, want);
	registry_free(&reg);
}

static void
bad_lines_are_named(void **state)
{
	(void)state;
	bad("S9,women,1,2\n", "reserves line 1: unknown shelter 'S9'");
	bad("shelter,category,beds_24h,beds_72h\nS1,cats,1,2\n",
	    "reserves line 2: unknown category 'cats'");
	bad("S1,women,-1,2\n", "reserves line 1: beds_24h and beds_72h");
	bad("S1,women,1,x\n", "reserves line 1: beds_24h and beds_72h");
	bad("S1,women,3,2\n", "reserves line 1: beds_72h (2) includes "
	    "beds_24h (3)");
	bad("S1,women,1\n", "reserves line 1: expected 4 fields");
	bad("S1,women,1,2\n\nS1,women,0,1\n",
	    "reserves line 3: S1 women is listed already (line 1)");
}

static void
activations_checked(void **state)
{
	struct registry reg;
	char err[256];
	int region = -1;
	const int64_t now = 1800000000;

	(void)state;
	load(&reg);
	assert_int_equal(reserve_check(&reg, "R1", 1, 8, now + 86400, "surge",
	    now, &region, err, sizeof(err)), RESERVE_OK);
	assert_int_equal(region, 0);
	assert_int_equal(reserve_check(&reg, "R9", 1, 1, now + 60, "surge",
	    now, &region, err, sizeof(err)), RESERVE_BAD_REQUEST);
	assert_string_equal(err, "unknown region 'R9' (see shelterctl "
	    "regions)");
	assert_int_equal(reserve_check(&reg, "R1", 0, 1, now + 60, "surge",
	    now, &region, err, sizeof(err)), RESERVE_UNKNOWN_CATEGORY);
	assert_int_equal(reserve_check(&reg, "R1", 1, 0, now + 60, "surge",
	    now, &region, err, sizeof(err)), RESERVE_BAD_REQUEST);
	assert_string_equal(err, "beds must be 1 or more");
	assert_int_equal(reserve_check(&reg, "R1", 1, 1, now, "surge", now,
	    &region, err, sizeof(err)), RESERVE_BAD_REQUEST);
	assert_string_equal(err, "until must be in the future");
	assert_int_equal(reserve_check(&reg, "R1", 1, 1, now + 367 * 86400,
	    "surge", now, &region, err, sizeof(err)), RESERVE_BAD_REQUEST);
	assert_int_equal(reserve_check(&reg, "R1", 1, 1, now + 60, "", now,
	    &region, err, sizeof(err)), RESERVE_BAD_REQUEST);
	assert_int_equal(reserve_check(&reg, "R1", 1, 9, now + 60, "surge",
	    now, &region, err, sizeof(err)), RESERVE_NOT_ENOUGH);
	assert_string_equal(err, "R1 has 8 reserve beds of women (2 within "
	    "24 h), not 9");
	/* No reserve of that category at all. */
	assert_int_equal(reserve_check(&reg, "R2", 3, 1, now + 60, "surge",
	    now, &region, err, sizeof(err)), RESERVE_NOT_ENOUGH);
	registry_free(&reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sums),
		cmocka_unit_test(where_most_first),
		cmocka_unit_test(an_import_without_the_shelter),
		cmocka_unit_test(bad_lines_are_named),
		cmocka_unit_test(activations_checked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
