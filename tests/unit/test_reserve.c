/*
 * test_reserve.c — contingency reserve beds in the registry: rows
 * checked with the line named, sums per region and nationally, and a
 * shelters import that removes a shelter takes its reserve with it;
 * what shelters declare by report counts in place of reserves.csv's, in
 * every sum; export and import of the reserves.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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
	reserve_sum(&reg, NULL, 0, 1, &b24, &b72);
	assert_int_equal(b24, 2);
	assert_int_equal(b72, 8);
	reserve_sum(&reg, NULL, 0, 3, &b24, &b72);
	assert_int_equal(b24, 1);
	assert_int_equal(b72, 1);
	reserve_sum(&reg, NULL, 1, 1, &b24, &b72);
	assert_int_equal(b24, 4);
	assert_int_equal(b72, 4);
	reserve_sum(&reg, NULL, -1, 1, &b24, &b72);
	assert_int_equal(b24, 6);
	assert_int_equal(b72, 12);
	reserve_sum(&reg, NULL, 1, 2, &b24, &b72);
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
	assert_int_equal(reserve_where(&reg, NULL, 1, w, 2), 2);
	assert_int_equal(w[0].region, 0);
	assert_int_equal(w[0].beds_24h, 2);
	assert_int_equal(w[0].beds_72h, 8);
	assert_int_equal(w[1].region, 1);
	assert_int_equal(w[1].beds_72h, 4);
	/* At most max. */
	assert_int_equal(reserve_where(&reg, NULL, 1, w, 1), 1);
	assert_int_equal(w[0].region, 0);
	assert_int_equal(reserve_where(&reg, NULL, 3, w, 2), 1);
	assert_int_equal(reserve_where(&reg, NULL, 2, w, 2), 0);
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
	reserve_sum(&next, NULL, 0, 1, &b24, &b72);
	assert_int_equal(b24, 4);
	assert_int_equal(b72, 7);
	reserve_sum(&next, NULL, 1, 1, &b24, &b72);
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
	/* Without declarations (NULL): the registry's figures. */
#define CHECK(rid, cat, beds, until, reason)                            \
	reserve_check(&reg, NULL, rid, cat, beds, until, reason, now,   \
	    &region, err, sizeof(err))
	assert_int_equal(CHECK("R1", 1, 8, now + 86400, "surge"), RESERVE_OK);
	assert_int_equal(region, 0);
	assert_int_equal(CHECK("R9", 1, 1, now + 60, "surge"),
	    RESERVE_BAD_REQUEST);
	assert_string_equal(err, "unknown region 'R9' (see shelterctl "
	    "regions)");
	assert_int_equal(CHECK("R1", 0, 1, now + 60, "surge"),
	    RESERVE_UNKNOWN_CATEGORY);
	assert_int_equal(CHECK("R1", 1, 0, now + 60, "surge"),
	    RESERVE_BAD_REQUEST);
	assert_string_equal(err, "beds must be 1 or more");
	assert_int_equal(CHECK("R1", 1, 1, now, "surge"), RESERVE_BAD_REQUEST);
	assert_string_equal(err, "until must be in the future");
	assert_int_equal(CHECK("R1", 1, 1, now + 367 * 86400, "surge"),
	    RESERVE_BAD_REQUEST);
	assert_int_equal(CHECK("R1", 1, 1, now + 60, ""), RESERVE_BAD_REQUEST);
	assert_int_equal(CHECK("R1", 1, 9, now + 60, "surge"),
	    RESERVE_NOT_ENOUGH);
	assert_string_equal(err, "R1 has 8 reserve beds of women (2 within "
	    "24 h), not 9");
	/* No reserve of that category at all. */
	assert_int_equal(CHECK("R2", 3, 1, now + 60, "surge"),
	    RESERVE_NOT_ENOUGH);
#undef CHECK
	registry_free(&reg);
}

/* S2 declares women 0/0 (none now, over reserves.csv's 0/3) and minors
 * 2/6; S3, which has no row for men (it has no men at all), nothing. */
static void
declare(const struct registry *reg, struct reserve_overlay *ov)
{
	struct shelter_state st;
	const struct reg_shelter *s2 = registry_shelter(reg, "S2");

	assert_int_equal(reserve_overlay_init(ov, reg->n_shelters), 0);
	memset(&st, 0, sizeof(st));
	st.reserve_declared = 0x01 | 0x04;
	st.reserve_decl[2].beds_24h = 2;
	st.reserve_decl[2].beds_72h = 6;
	reserve_overlay_note(ov, (size_t)(s2 - reg->shelters), &st);
	/* Noted again (a later report): listed once. */
	reserve_overlay_note(ov, (size_t)(s2 - reg->shelters), &st);
	assert_int_equal(ov->n_list, 1);
}

static void
declared_figures_win(void **state)
{
	struct registry reg;
	struct reserve_overlay ov;
	struct reserve_region w[2];
	uint32_t b24, b72;
	char err[256];
	int region;
	const int64_t now = 1800000000;

	(void)state;
	load(&reg);
	declare(&reg, &ov);
	/* R1 women: S1 2/5 from the registry, S2 0/0 declared. */
	reserve_sum(&reg, &ov, 0, 1, &b24, &b72);
	assert_int_equal(b24, 2);
	assert_int_equal(b72, 5);
	/* R1 minors: S2's 2/6 in place of the registry's 1/1. */
	reserve_sum(&reg, &ov, 0, 3, &b24, &b72);
	assert_int_equal(b24, 2);
	assert_int_equal(b72, 6);
	reserve_sum(&reg, &ov, -1, 3, &b24, &b72);
	assert_int_equal(b72, 6);
	reserve_sum(&reg, &ov, 1, 3, &b24, &b72);
	assert_int_equal(b72, 0);
	/* Nationally: S1 5 + S3 4, S2's 3 gone. */
	reserve_sum(&reg, &ov, -1, 1, &b24, &b72);
	assert_int_equal(b24, 6);
	assert_int_equal(b72, 9);
	/* R1 5, R2 4. */
	assert_int_equal(reserve_where(&reg, &ov, 1, w, 2), 2);
	assert_int_equal(w[0].beds_72h, 5);
	assert_int_equal(w[1].beds_72h, 4);
	/* An activation may ask for the declared beds, and no more. */
	assert_int_equal(reserve_check(&reg, &ov, "R1", 3, 6, now + 60,
	    "surge", now, &region, err, sizeof(err)), RESERVE_OK);
	assert_int_equal(reserve_check(&reg, &ov, "R1", 1, 6, now + 60,
	    "surge", now, &region, err, sizeof(err)), RESERVE_NOT_ENOUGH);
	assert_string_equal(err, "R1 has 5 reserve beds of women (2 within "
	    "24 h), not 6");
	reserve_overlay_free(&ov);
	registry_free(&reg);
}

static void
export_marks_the_source(void **state)
{
	struct registry reg, next;
	struct reserve_overlay ov;
	char *text, err[256];
	unsigned line;

	(void)state;
	load(&reg);
	declare(&reg, &ov);
	assert_non_null(text = reserve_format(&reg, &ov));
	assert_string_equal(text,
	    "shelter,category,beds_24h,beds_72h,source\n"
	    "S1,women,2,5,registry\n"
	    "S3,women,4,4,registry\n"
	    "S2,women,0,0,report\n"
	    "S2,minors,2,6,report\n");
	/* Imported back: the registry's rows; the declared ones are the
	 * shelter's and stay so. */
	assert_int_equal(reserve_registry(&next, &reg, text, err, sizeof(err),
	    &line), 0);
	assert_int_equal(next.n_reserves, 2);
	assert_int_equal(next.n_shelters, reg.n_shelters);
	/* Same shelters, same order: base's id hash finds them. */
	assert_non_null(next.id_hash);
	assert_ptr_equal(registry_shelter(&next, "S3"), &next.shelters[2]);
	free(text);
	assert_non_null(text = reserve_format(&next, &ov));
	assert_string_equal(text,
	    "shelter,category,beds_24h,beds_72h,source\n"
	    "S1,women,2,5,registry\n"
	    "S3,women,4,4,registry\n"
	    "S2,women,0,0,report\n"
	    "S2,minors,2,6,report\n");
	free(text);
	registry_free(&next);
	/* Without declarations: the four columns' rows, all registry. */
	assert_non_null(text = reserve_format(&reg, NULL));
	assert_non_null(strstr(text, "S2,minors,1,1,registry\n"));
	free(text);
	/* A bad file is refused whole, with its line. */
	assert_int_equal(reserve_registry(&next, &reg,
	    "shelter,category,beds_24h,beds_72h,source\n"
	    "S1,women,1,2,registry\n"
	    "S1,women,1,2,elsewhere\n", err, sizeof(err), &line), -1);
	assert_int_equal(line, 3);
	assert_string_equal(err, "reserves line 3: source must be registry "
	    "or report, not 'elsewhere'");
	assert_int_equal(reserve_registry(&next, &reg,
	    "S1,women,1,2\nS9,women,1,2\n", err, sizeof(err), &line), -1);
	assert_int_equal(line, 2);
	reserve_overlay_free(&ov);
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
		cmocka_unit_test(declared_figures_win),
		cmocka_unit_test(export_marks_the_source),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
