/*
 * test_norms.c — capacity norms: rows checked with the line named, the
 * norm in force on a date, the text written back, and norms kept across a
 * shelters import.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "norms.h"
#include "registry.h"

static const char regions_csv[] =
	"code,name,province,seat,lat,lon,neighbours\n"
	"R1,Region One,P,Seat1,52.0,5.0,R2\n"
	"R2,Region Two,P,Seat2,52.1,5.1,R1\n";
static const char shelters_csv[] =
	"id,name,region,security_level,beds\n"
	"S1,Shelter One,R1,1,women:10\n"
	"S2,Shelter Two,R2,1,women:4 minors:3\n";

/* Deliberately not in order; R1 women changes on 2027-01-01. */
static const char norms_csv[] =
	"region,category,beds,valid_from\n"
	"R2,minors,6,2026-01-01\n"
	"R1,women,12,2027-01-01\n"
	"# a comment\n"
	"R1,women,8,2026-01-01\n"
	"R2,women,0,2026-03-01\n";

static int64_t
day(const char *date)
{
	int64_t t;

	assert_int_equal(norms_parse_date(date, &t), 0);
	return t;
}

static void
load(struct registry *reg)
{
	char err[256];

	memset(reg, 0, sizeof(*reg));
	if (registry_parse(reg, regions_csv, shelters_csv, err,
	    sizeof(err)) != 0)
		fail_msg("registry: %s", err);
	if (registry_parse_norms(reg, norms_csv, err, sizeof(err)) != 0)
		fail_msg("norms: %s", err);
}

static void
dates(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(day("1970-01-01"), 0);
	assert_int_equal(day("2026-11-29"), 1795910400);
	assert_int_equal(day("2028-02-29"), 1835395200);
	assert_int_equal(norms_parse_date("2027-02-29", &t), -1);
	assert_int_equal(norms_parse_date("2026-13-01", &t), -1);
	assert_int_equal(norms_parse_date("2026-04-31", &t), -1);
	assert_int_equal(norms_parse_date("26-01-01", &t), -1);
	assert_int_equal(norms_parse_date("2026/01/01", &t), -1);
	assert_int_equal(norms_parse_date("2026-01-0x", &t), -1);
	assert_int_equal(norms_parse_date("", &t), -1);
}

static void
the_norm_in_force(void **state)
{
	struct registry reg;
	uint32_t beds = 99;

	(void)state;
	load(&reg);
	assert_int_equal(reg.n_norms, 4);
	/* Before any valid_from: no norm. */
	assert_false(norms_current(&reg, 0, 1, day("2025-12-31"), &beds));
	assert_true(norms_current(&reg, 0, 1, day("2026-01-01"), &beds));
	assert_int_equal(beds, 8);
	assert_true(norms_current(&reg, 0, 1, day("2026-12-31") + 86399,
	    &beds));
	assert_int_equal(beds, 8);
	assert_true(norms_current(&reg, 0, 1, day("2027-01-01"), &beds));
	assert_int_equal(beds, 12);
	/* A norm of 0 beds is a norm. */
	assert_true(norms_current(&reg, 1, 1, day("2026-06-01"), &beds));
	assert_int_equal(beds, 0);
	assert_true(norms_current(&reg, 1, 3, day("2026-06-01"), &beds));
	assert_int_equal(beds, 6);
	/* No line for R1 minors. */
	assert_false(norms_current(&reg, 0, 3, day("2030-01-01"), &beds));
	registry_free(&reg);
}

static void
written_back_in_order(void **state)
{
	struct registry reg, again;
	char *text, err[256];
	unsigned line;

	(void)state;
	load(&reg);
	text = norms_format(&reg);
	assert_non_null(text);
	assert_string_equal(text, "region,category,beds,valid_from\n"
	    "R1,women,8,2026-01-01\n"
	    "R1,women,12,2027-01-01\n"
	    "R2,women,0,2026-03-01\n"
	    "R2,minors,6,2026-01-01\n");
	/* What an export writes, an import takes. */
	assert_int_equal(norms_registry(&again, &reg, text, err, sizeof(err),
	    &line), 0);
	assert_int_equal(again.n_norms, reg.n_norms);
	for (size_t i = 0; i < reg.n_norms; i++) {
		assert_int_equal(again.norms[i].region, reg.norms[i].region);
		assert_int_equal(again.norms[i].category,
		    reg.norms[i].category);
		assert_int_equal(again.norms[i].beds, reg.norms[i].beds);
		assert_int_equal(again.norms[i].valid_from,
		    reg.norms[i].valid_from);
	}
	assert_int_equal(again.n_shelters, 2);
	assert_non_null(registry_shelter(&again, "S2"));
	/* Same shelters, same order: the id hash carries over (without it
	 * every lookup after a norms import would bsearch). */
	assert_non_null(reg.id_hash);
	assert_non_null(again.id_hash);
	free(text);
	registry_free(&again);
	registry_free(&reg);
}

static void
bad(const char *text, unsigned want_line, const char *want)
{
	struct registry reg, next;
	char err[256];
	unsigned line = 99;

	load(&reg);
	if (norms_registry(&next, &reg, text, err, sizeof(err), &line) == 0)
		fail_msg("accepted: %s", text);
	if (strstr(err, want) == NULL)
		fail_msg("error '%s' does not say '%s'", err, want);
	assert_int_equal(line, want_line);
	/* The registry it was checked against keeps its norms. */
	assert_int_equal(reg.n_norms, 4);
	registry_free(&reg);
}

static void
bad_lines_are_named(void **state)
{
	(void)state;
	bad("region,category,beds,valid_from\nR9,women,4,2026-01-01\n", 2,
	    "norms line 2: unknown region 'R9'");
	bad("R1,women,4,2026-01-01\n\nR1,dogs,4,2026-01-01\n", 3,
	    "norms line 3: unknown category 'dogs'");
	bad("R1,women,-4,2026-01-01\n", 1, "norms line 1: beds must be");
	bad("R1,women,+4,2026-01-01\n", 1, "norms line 1: beds must be");
	bad("R1,women,four,2026-01-01\n", 1, "norms line 1: beds must be");
	bad("R1,women,100001,2026-01-01\n", 1, "norms line 1: beds must be");
	bad("R1,women,4,2026-02-30\n", 1, "norms line 1: valid_from must be");
	bad("R1,women,4,\n", 1, "norms line 1: valid_from must be");
	bad("R1,women,4\n", 1, "norms line 1: expected 4 fields");
	bad("R1,women,4,2026-01-01\nR2,men,1,2026-01-01\n"
	    "R1,women,5,2026-01-01\n", 3,
	    "norms line 3: R1 women has a norm from that day already "
	    "(line 1)");
}

static void
a_shelters_import_keeps_the_norms(void **state)
{
	struct registry reg, next;
	char err[256];
	unsigned line;
	uint32_t beds;

	(void)state;
	load(&reg);
	assert_int_equal(registry_with_shelters(&next, &reg,
	    "S9,Shelter Nine,R2,0,women:2\n", err, sizeof(err), &line), 0);
	assert_int_equal(next.n_norms, 4);
	assert_true(norms_current(&next, 1, 3, day("2026-06-01"), &beds));
	assert_int_equal(beds, 6);
	registry_free(&next);
	registry_free(&reg);
}

static void
no_norms_file_no_norms(void **state)
{
	struct registry reg;
	char err[256];
	uint32_t beds;

	(void)state;
	memset(&reg, 0, sizeof(reg));
	assert_int_equal(registry_parse(&reg, regions_csv, shelters_csv, err,
	    sizeof(err)), 0);
	assert_int_equal(reg.n_norms, 0);
	assert_false(norms_current(&reg, 0, 1, day("2030-01-01"), &beds));
	/* A header alone is no norm either. */
	assert_int_equal(registry_parse_norms(&reg,
	    "region,category,beds,valid_from\n", err, sizeof(err)), 0);
	assert_int_equal(reg.n_norms, 0);
	registry_free(&reg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(dates),
		cmocka_unit_test(the_norm_in_force),
		cmocka_unit_test(written_back_in_order),
		cmocka_unit_test(bad_lines_are_named),
		cmocka_unit_test(a_shelters_import_keeps_the_norms),
		cmocka_unit_test(no_norms_file_no_norms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
