/*
 * test_disclose.c — need-to-know (core/disclose.c): which cells a public
 * surface shows, which events a broadcast carries, who reads which event,
 * and how far a held bed is said to be.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "disclose.h"

enum { WOMEN = 1, MEN = 2, HIGHSEC = 4 };

/* R1 - R2 - R3 - R4 in a line. women: R1 4, R2 3, R3 1, R4 0 shelters;
 * men: R1 3, R2 3 (none small); highsec: only R4's one shelter. */
static const char regions_csv[] =
    "code,name,province,seat,lat,lon,neighbours\n"
    "R1,One,P,S,1,1,R2\n"
    "R2,Two,P,S,2,2,R1 R3\n"
    "R3,Three,P,S,3,3,R2 R4\n"
    "R4,Four,P,S,4,4,R3\n";
static const char shelters_csv[] =
    "id,name,region,security_level,beds\n"
    "A1,a,R1,0,women:4 men:2\n"
    "A2,a,R1,0,women:4 men:2\n"
    "A3,a,R1,0,women:4 men:2\n"
    "A4,a,R1,0,women:4\n"
    "B1,b,R2,0,women:4 men:2\n"
    "B2,b,R2,0,women:4 men:2\n"
    "B3,b,R2,0,women:4 men:2\n"
    "C1,c,R3,0,women:4\n"
    "D1,d,R4,3,highsec:2\n";

static struct registry reg;
static struct disclosure d;

static int
setup(void **state)
{
	char err[256];

	(void)state;
	memset(&reg, 0, sizeof(reg));
	if (registry_parse(&reg, regions_csv, shelters_csv, err,
	    sizeof(err)) != 0)
		return -1;
	return disclose_init(&d, &reg, 3);
}

static int
teardown(void **state)
{
	(void)state;
	disclose_free(&d);
	registry_free(&reg);
	return 0;
}

static struct identity
who(const char *signer)
{
	struct identity id;

	assert_int_equal(authz_parse(signer, &id), 0);
	return id;
}

static void
small_cells_merge_with_the_next_smallest(void **state)
{
	(void)state;
	/* women: R3 (1 shelter) is small; alone it would be national minus
	 * the others, so R2 (3, the smallest shown) is merged with it. */
	assert_int_equal(d.mask[2 * CAT_COUNT + WOMEN - 1], CELL_SMALL);
	assert_int_equal(d.mask[1 * CAT_COUNT + WOMEN - 1], CELL_COMPLEMENT);
	assert_true(disclose_cell_public(&d, 0, WOMEN));
	assert_false(disclose_cell_public(&d, 1, WOMEN));
	assert_false(disclose_cell_public(&d, 2, WOMEN));
	/* No shelter: nothing to protect, 0 is shown. */
	assert_true(disclose_cell_public(&d, 3, WOMEN));
	assert_true(disclose_national_public(&d, WOMEN));
	/* men: no small cell, nothing merged. */
	assert_true(disclose_cell_public(&d, 0, MEN));
	assert_true(disclose_cell_public(&d, 1, MEN));
	/* highsec: one shelter in the country: neither the region nor the
	 * national figure. */
	assert_false(disclose_cell_public(&d, 3, HIGHSEC));
	assert_false(disclose_national_public(&d, HIGHSEC));
}

/* Whatever the registry, the national figure minus the shown cells is
 * never fewer than k shelters' (nor one cell's alone). */
static void
no_cell_is_recovered_by_subtraction(void **state)
{
	(void)state;
	srand(7);
	for (int round = 0; round < 300; round++) {
		struct registry r;
		struct disclosure x;
		char sh[4096], err[256];
		size_t len = 0;
		int n = 1 + rand() % 12;

		len += (size_t)snprintf(sh + len, sizeof(sh) - len,
		    "id,name,region,security_level,beds\n");
		for (int i = 0; i < n; i++)
			len += (size_t)snprintf(sh + len, sizeof(sh) - len,
			    "S%d,s,R%d,0,women:2\n", i, 1 + rand() % 4);
		memset(&r, 0, sizeof(r));
		assert_int_equal(registry_parse(&r, regions_csv, sh, err,
		    sizeof(err)), 0);
		assert_int_equal(disclose_init(&x, &r, 3), 0);
		if (disclose_national_public(&x, WOMEN)) {
			uint32_t hidden = 0, cells = 0;

			for (size_t g = 0; g < 4; g++) {
				if (disclose_cell_public(&x, g, WOMEN))
					continue;
				hidden += x.shelters[g * CAT_COUNT];
				cells++;
			}
			if (cells > 0) {
				assert_true(hidden >= 3);
				assert_true(cells >= 2);
			}
		}
		disclose_free(&x);
		registry_free(&r);
	}
}

static void
shelter_events_never_go_on_the_broadcast(void **state)
{
	struct subject full = { .scope = 1, .kind = 1, .region = "R1",
		.shelter = "A1", .category = WOMEN };
	struct subject region = { .scope = 2, .kind = 1, .region = "R1",
		.shelter = "", .category = WOMEN };
	struct subject small = { .scope = 2, .kind = 1, .region = "R3",
		.shelter = "", .category = WOMEN };
	struct subject hs = { .scope = 3, .kind = 1, .region = "",
		.shelter = "", .category = HIGHSEC };
	struct subject placed = { .scope = 2, .kind = 10, .region = "R3",
		.shelter = "", .category = WOMEN };
	struct subject beat = { .kind = 12 };

	(void)state;
	assert_false(disclose_public(&d, &reg, &full));
	assert_true(disclose_public(&d, &reg, &region));
	assert_false(disclose_public(&d, &reg, &small));
	assert_false(disclose_public(&d, &reg, &hs));
	assert_true(disclose_public(&d, &reg, &placed));
	assert_true(disclose_public(&d, &reg, &beat));
}

static void
each_party_reads_its_own(void **state)
{
	struct subject a1 = { .scope = 1, .kind = 1, .region = "R1",
		.shelter = "A1", .category = WOMEN };
	struct subject small = { .scope = 2, .kind = 1, .region = "R3",
		.shelter = "", .category = WOMEN };
	struct identity national = who("national"), op = who("operator");
	struct identity r1 = who("region:R1"), r2 = who("region:R2");
	struct identity s1 = who("shelter:A1"), s2 = who("shelter:A2");
	struct identity r3 = who("region:R3"), demo = { 0 };

	(void)state;
	assert_true(disclose_may_see(&national, &d, &reg, &a1));
	assert_true(disclose_may_see(&op, &d, &reg, &a1));
	assert_true(disclose_may_see(&demo, &d, &reg, &a1));
	assert_true(disclose_may_see(&r1, &d, &reg, &a1));
	assert_false(disclose_may_see(&r2, &d, &reg, &a1));
	assert_true(disclose_may_see(&s1, &d, &reg, &a1));
	assert_false(disclose_may_see(&s2, &d, &reg, &a1));
	/* A small cell: its own region, not another or a shelter. */
	assert_true(disclose_may_see(&r3, &d, &reg, &small));
	assert_false(disclose_may_see(&r2, &d, &reg, &small));
	assert_false(disclose_may_see(&s1, &d, &reg, &small));
	assert_true(disclose_may_see_cell(&r3, &d, &reg, 2, WOMEN));
	assert_false(disclose_may_see_cell(&r1, &d, &reg, 2, WOMEN));
	assert_true(disclose_may_see_cell(&national, &d, &reg, 2, WOMEN));
}

static void
a_hold_is_told_only_as_far_as_k_hide_it(void **state)
{
	(void)state;
	assert_int_equal(disclose_proximity(&d, &reg, 0, 0, WOMEN),
	    PROX_OWN_REGION);
	/* R1's neighbour R2 has 3 women's shelters: "neighbouring". */
	assert_int_equal(disclose_proximity(&d, &reg, 0, 1, WOMEN),
	    PROX_NEIGHBOURING);
	/* Farther than R2 from R1: R3 (1) and R4 (0): too few. */
	assert_int_equal(disclose_proximity(&d, &reg, 0, 2, WOMEN),
	    PROX_OTHER_REGION);
	/* From R4: its neighbour R3 has one: "another region", not
	 * "neighbouring" (that would name C1). */
	assert_int_equal(disclose_proximity(&d, &reg, 3, 2, WOMEN),
	    PROX_OTHER_REGION);
	/* From R4, farther (R1, R2: 7 shelters). */
	assert_int_equal(disclose_proximity(&d, &reg, 3, 0, WOMEN),
	    PROX_FARTHER);
	assert_int_equal(disclose_proximity(&d, &reg, 3, -1, WOMEN),
	    PROX_UNKNOWN);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(small_cells_merge_with_the_next_smallest),
		cmocka_unit_test(no_cell_is_recovered_by_subtraction),
		cmocka_unit_test(shelter_events_never_go_on_the_broadcast),
		cmocka_unit_test(each_party_reads_its_own),
		cmocka_unit_test(a_hold_is_told_only_as_far_as_k_hide_it),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
