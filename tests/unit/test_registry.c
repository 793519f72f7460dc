/*
 * test_registry.c — parsing the regions and shelters CSV texts.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "registry.h"

#define REGIONS_HEADER "code,name,province,seat,lat,lon,neighbours\n"
#define SHELTERS_HEADER "id,name,region,security_level,beds\n"

static const char regions_csv[] =
	REGIONS_HEADER
	"R1,Region One,P,Seat1,52.0,5.0,R2 R3\n"
	"# a comment, then a blank line and a CRLF line\n"
	"\n"
	"R2,Region Two,P,Seat2,52.1,5.1,R1\r\n"
	"R3,Region Three,P,Seat3,52.2,-5.25,R1";

/* Deliberately not sorted by id. */
static const char shelters_csv[] =
	SHELTERS_HEADER
	"S3,Shelter Three,R2,0,women:5\n"
	"S1,Shelter One,R1,1,women:10\n"
	"S4,Shelter Four,R3,3,men:6 highsec:2\n"
	"A-10,Shelter Ten,R1,2,minors:4 women:10 children:0\n";

struct parsed {
	struct registry reg;
	char err[256];
};

static int
parse(struct parsed *p, const char *regions, const char *shelters)
{
	memset(p, 0, sizeof(*p));
	return registry_parse(&p->reg, regions, shelters, p->err,
	    sizeof(p->err));
}

static int
setup_valid(void **state)
{
	struct parsed *p = test_malloc(sizeof(*p));

	if (p == NULL)
		return -1;
	if (parse(p, regions_csv, shelters_csv) != 0) {
		print_error("registry: %s\n", p->err);
		test_free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static int
teardown_valid(void **state)
{
	struct parsed *p = *state;

	registry_free(&p->reg);
	test_free(p);
	return 0;
}

/* ---- a valid registry ------------------------------------------------ */

static void
valid_counts(void **state)
{
	struct parsed *p = *state;

	assert_int_equal(p->reg.n_regions, 3);
	assert_int_equal(p->reg.n_shelters, 4);
}

static void
regions_looked_up_by_code(void **state)
{
	struct parsed *p = *state;

	assert_int_equal(registry_region(&p->reg, "R1"), 0);
	assert_int_equal(registry_region(&p->reg, "R2"), 1);
	assert_int_equal(registry_region(&p->reg, "R3"), 2);
	assert_int_equal(registry_region(&p->reg, "R4"), -1);
	assert_int_equal(registry_region(&p->reg, "r1"), -1);
	assert_int_equal(registry_region(&p->reg, ""), -1);
}

static void
region_fields_parsed(void **state)
{
	struct parsed *p = *state;
	const struct reg_region *r2 = &p->reg.regions[1];
	const struct reg_region *r3 = &p->reg.regions[2];

	assert_string_equal(r2->id, "R2");  /* CR stripped */
	assert_string_equal(r2->name, "Region Two");
	assert_true(r2->lat == 52.1 && r2->lon == 5.1);
	assert_string_equal(r3->id, "R3");  /* no final newline */
	assert_true(r3->lon == -5.25);
}

static void
neighbours_resolved_to_indexes(void **state)
{
	struct parsed *p = *state;
	const struct reg_region *r = p->reg.regions;

	assert_int_equal(r[0].n_neighbours, 2);
	assert_int_equal(r[0].neighbours[0], 1);
	assert_int_equal(r[0].neighbours[1], 2);
	assert_int_equal(r[1].n_neighbours, 1);
	assert_int_equal(r[1].neighbours[0], 0);
	assert_int_equal(r[2].n_neighbours, 1);
	assert_int_equal(r[2].neighbours[0], 0);
}

static void
shelters_counted_per_region(void **state)
{
	struct parsed *p = *state;

	assert_int_equal(p->reg.regions[0].n_shelters, 2);
	assert_int_equal(p->reg.regions[1].n_shelters, 1);
	assert_int_equal(p->reg.regions[2].n_shelters, 1);
}

static void
shelters_sorted_by_id(void **state)
{
	struct parsed *p = *state;

	assert_string_equal(p->reg.shelters[0].id, "A-10");
	assert_string_equal(p->reg.shelters[1].id, "S1");
	assert_string_equal(p->reg.shelters[2].id, "S3");
	assert_string_equal(p->reg.shelters[3].id, "S4");
}

static void
shelter_looked_up_by_id(void **state)
{
	struct parsed *p = *state;
	const struct reg_shelter *s = registry_shelter(&p->reg, "S4");

	assert_non_null(s);
	assert_ptr_equal(s, &p->reg.shelters[3]);
	assert_string_equal(s->name, "Shelter Four");
	assert_int_equal(s->region, 2);
	assert_int_equal(s->security_level, 3);
	assert_int_equal(s->categories, (1u << 1) | (1u << 3));
	assert_int_equal(s->nominal[1], 6);
	assert_int_equal(s->nominal[3], 2);
	assert_int_equal(s->nominal[0], 0);
}

static void
shelter_with_several_categories(void **state)
{
	struct parsed *p = *state;
	const struct reg_shelter *s = registry_shelter(&p->reg, "A-10");

	assert_non_null(s);
	assert_int_equal(s->region, 0);
	assert_int_equal(s->security_level, 2);
	/* children:0 is a category with no planned beds, still listed. */
	assert_int_equal(s->categories, 0x01 | 0x04 | 0x10);
	assert_int_equal(s->nominal[0], 10);
	assert_int_equal(s->nominal[2], 4);
	assert_int_equal(s->nominal[4], 0);
}

static void
every_shelter_found(void **state)
{
	struct parsed *p = *state;
	static const char *const ids[] = { "S3", "S1", "S4", "A-10" };

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		const struct reg_shelter *s;

		s = registry_shelter(&p->reg, ids[i]);
		assert_non_null(s);
		assert_string_equal(s->id, ids[i]);
	}
}

static void
unknown_shelter_is_null(void **state)
{
	struct parsed *p = *state;

	assert_null(registry_shelter(&p->reg, "S2"));
	assert_null(registry_shelter(&p->reg, "s1"));
	assert_null(registry_shelter(&p->reg, ""));
	assert_null(registry_shelter(&p->reg,
	    "S1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"));
}

/* Lookups go through a hash of the ids: on a registry large enough for
 * collisions and wrap-around it must find what bsearch finds. */
static void
hash_lookup_agrees_with_bsearch(void **state)
{
	enum { N = 3000 };
	static char csv[64 + N * 48];
	struct parsed p;
	char *at = csv, id[32];
	uint32_t *hash;

	(void)state;
	at += sprintf(at, "id,name,region,security_level,beds\n");
	for (int i = 0; i < N; i++)
		at += sprintf(at, "X%d-%d,Shelter %d,R%d,1,women:3\n",
		    (i * 7919) % N, i, i, 1 + i % 3);
	assert_int_equal(parse(&p, regions_csv, csv), 0);
	assert_non_null(p.reg.id_hash);
	hash = p.reg.id_hash;
	for (int i = 0; i < N + 50; i++) {
		const struct reg_shelter *h, *b;

		snprintf(id, sizeof(id), "X%d-%d", (i * 7919) % N, i);
		h = registry_shelter(&p.reg, id);
		p.reg.id_hash = NULL;
		b = registry_shelter(&p.reg, id);
		p.reg.id_hash = hash;
		assert_ptr_equal(h, b);
		if (i < N)
			assert_non_null(h);
		else
			assert_null(h);
	}
	registry_free(&p.reg);
}

/* ---- errors ----------------------------------------------------------- */

/* Parse must fail, leave the registry empty and say `text` in err. */
#define assert_parse_fails(regions, shelters, text) \
	check_parse_fails((regions), (shelters), (text), __FILE__, __LINE__)

static void
check_parse_fails(const char *regions, const char *shelters,
    const char *text, const char *file, int line)
{
	struct parsed p;

	_assert_int_equal((LargestIntegralType)parse(&p, regions, shelters),
	    (LargestIntegralType)-1, file, line);
	if (strstr(p.err, text) == NULL) {
		print_error("err \"%s\" lacks \"%s\"\n", p.err, text);
		_fail(file, line);
	}
	_assert_int_equal(p.reg.n_shelters, 0, file, line);
	_assert_int_equal(p.reg.n_regions, 0, file, line);
	_assert_true(p.reg.shelters == NULL && p.reg.regions == NULL,
	    "registry empty", file, line);
	registry_free(&p.reg); /* safe on an emptied registry */
	registry_free(&p.reg);
}

static void
region_wrong_field_count(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER
	    "R1,Region One,P,Seat1,52.0,5.0,\n"
	    "R2,Region Two,P,Seat2,52.1,5.1\n",
	    SHELTERS_HEADER, "regions line 3, column 31: expected 7 fields");
}

static void
region_listed_twice(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER
	    "R1,Region One,P,Seat1,52.0,5.0,\n"
	    "R1,Region Again,P,Seat2,52.1,5.1,\n",
	    SHELTERS_HEADER,
	    "regions line 3, column 1: region R1 listed twice");
}

static void
region_bad_coordinates(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER
	    "R1,Region One,P,Seat1,52.0,east,\n",
	    SHELTERS_HEADER,
	    "regions line 2, column 28: bad coordinates (lon 'east')");
}

static void
region_unknown_neighbour(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER
	    "R1,Region One,P,Seat1,52.0,5.0,R2\n"
	    "R2,Region Two,P,Seat2,52.1,5.1,R1 R9\n",
	    SHELTERS_HEADER, "R9");
}

/* registry.h promises "FILE line N" for every error. */
static void
region_unknown_neighbour_names_line(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER
	    "R1,Region One,P,Seat1,52.0,5.0,R2\n"
	    "R2,Region Two,P,Seat2,52.1,5.1,R1 R9\n",
	    SHELTERS_HEADER, "line 3");
}

static void
no_regions(void **state)
{
	(void)state;
	assert_parse_fails(REGIONS_HEADER, SHELTERS_HEADER, "no regions");
}

static void
shelter_wrong_field_count(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,Shelter Two,R1,1\n",
	    "shelters line 3, column 20: expected 5 or 6 fields");
}

static void
shelter_too_many_fields(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10,a,b,c,d\n",
	    "shelters line 2, column 32: expected 5 or 6 fields");
}

static void
shelter_unknown_region(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,Shelter Two,R7,1,women:10\n",
	    "shelters line 3, column 16: unknown region 'R7'");
}

static void
shelter_unknown_category(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10 elderly:3\n",
	    "shelters line 2, column 21: unknown category 'elderly'");
}

static void
shelter_category_twice(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10 women:3\n",
	    "shelters line 2, column 21: category 'women' twice");
}

static void
shelter_bad_bed_count(void **state)
{
	static const char *const bad[] = {
		"women:x", "women:-1", "women:+1", "women:", "women:1.5",
		"women:100001",
	};
	char csv[256];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(csv, sizeof(csv), SHELTERS_HEADER
		    "S1,Shelter One,R1,1,men:2\n"
		    "S2,Shelter Two,R1,1,%s\n", bad[i]);
		assert_parse_fails(regions_csv, csv,
		    "shelters line 3, column 21: bad bed count for 'women'");
	}
}

static void
shelter_bed_without_colon(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women=10\n",
	    "shelters line 2, column 21: beds must look like");
}

static void
shelter_max_bed_count_accepted(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:100000\n"), 0);
	assert_int_equal(p.reg.shelters[0].nominal[0], 100000);
	registry_free(&p.reg);
}

static void
shelter_listed_twice(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,Shelter Two,R1,1,women:10\n"
	    "S1,Shelter Again,R2,1,women:10\n",
	    "shelter S1 is listed twice");
}

/* registry.h promises "FILE line N" for every error. */
static void
shelter_listed_twice_names_line(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,Shelter Two,R1,1,women:10\n"
	    "S1,Shelter Again,R2,1,women:10\n",
	    "line 4");
}

static void
shelter_without_beds(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,Shelter Two,R1,1,\n",
	    "shelters line 3, column 21: shelter S2 has no beds");
}

static void
shelter_security_level_4(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,4,women:10\n",
	    "shelters line 2, column 19: security_level must be 0-3");
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,,women:10\n",
	    "shelters line 2, column 19: security_level must be 0-3");
}

static void
shelter_bad_id(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S 1,Shelter One,R1,1,women:10\n",
	    "shelters line 2, column 1: bad shelter id 'S 1'");
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1234567890123456789012345678901,Long,R1,1,women:10\n",
	    "shelters line 2, column 1: bad shelter id");
}

/* What a spreadsheet saves: a byte-order mark, ';' (the Dutch default),
 * quotes around a field with the separator or a quote in it. */
static void
spreadsheet_shelters(void **state)
{
	struct parsed p;
	const struct reg_shelter *s;

	(void)state;
	assert_int_equal(parse(&p, regions_csv, "\xef\xbb\xbf"
	    "id;name;region;security_level;beds;deadline_secs\r\n"
	    "S1;\"Huis; \"\"De Haven\"\"\";R1;1;women:10;\r\n"
	    "S2;Huis, Eén;R2;0;\"women:5 minors:1\";600\r\n"), 0);
	assert_int_equal(p.reg.n_shelters, 2);
	s = registry_shelter(&p.reg, "S1");
	assert_non_null(s);
	assert_string_equal(s->name, "Huis; \"De Haven\"");
	s = registry_shelter(&p.reg, "S2");
	assert_non_null(s);
	assert_string_equal(s->name, "Huis, Eén");
	assert_int_equal(s->nominal[cat_parse("minors") - 1], 1);
	assert_int_equal(s->deadline_secs, 600);
	registry_free(&p.reg);
}

static void
quote_errors_name_line_and_column(void **state)
{
	(void)state;
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R1,1,women:10\n"
	    "S2,\"Shelter Two,R1,1,women:10\n",
	    "shelters line 3, column 4: the quoted field that starts here is "
	    "never closed");
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter \"One\",R1,1,women:10\n",
	    "shelters line 2, column 12: a quote inside a field");
	/* A line break in a name is read, and refused as a name. */
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,\"Shelter\nOne\",R1,1,women:10\n",
	    "shelters line 2, column 4: bad name");
	assert_parse_fails(regions_csv, SHELTERS_HEADER
	    "S1,Shelter One,R9,1,women:10\n",
	    "shelters line 2, column 16: unknown region 'R9'");
}

static void
header_only_shelters_is_empty(void **state)
{
	struct parsed p;

	(void)state;
	assert_int_equal(parse(&p, regions_csv, SHELTERS_HEADER), 0);
	assert_int_equal(p.reg.n_regions, 3);
	assert_int_equal(p.reg.n_shelters, 0);
	assert_int_equal(p.reg.regions[0].n_shelters, 0);
	assert_null(registry_shelter(&p.reg, "S1"));
	registry_free(&p.reg);
}

static void
free_zeroed_registry_is_safe(void **state)
{
	struct registry reg;

	(void)state;
	memset(&reg, 0, sizeof(reg));
	registry_free(&reg);
	assert_null(reg.regions);
	assert_int_equal(reg.n_regions, 0);
}

#define valid_test(f) \
	cmocka_unit_test_setup_teardown(f, setup_valid, teardown_valid)

/* ---- imports: shelters replaced, regions kept ----------------------- */

static void
import_replaces_shelters_keeps_regions(void **state)
{
	struct parsed *p = *state;
	struct registry next;
	char err[256];
	unsigned line = 99;

	assert_int_equal(registry_with_shelters(&next, &p->reg,
	    SHELTERS_HEADER "S1,Shelter One,R2,1,women:10\n"
	    "S9,New,R3,0,men:2\n", err, sizeof(err), &line), 0);
	assert_int_equal(line, 0);
	assert_int_equal(next.n_regions, 3);
	assert_int_equal(next.n_shelters, 2);
	assert_int_equal(next.regions[0].n_shelters, 0);
	assert_int_equal(next.regions[1].n_shelters, 1);
	assert_int_equal(next.regions[2].n_shelters, 1);
	assert_int_equal(next.regions[0].n_neighbours, 2);
	assert_string_equal(registry_shelter(&next, "S9")->name, "New");
	/* The base is untouched. */
	assert_int_equal(p->reg.n_shelters, 4);
	assert_int_equal(p->reg.regions[0].n_shelters, 2);
	registry_free(&next);
}

static void
import_error_names_the_line(void **state)
{
	struct parsed *p = *state;
	struct registry next;
	char err[256];
	unsigned line = 0;

	assert_int_equal(registry_with_shelters(&next, &p->reg,
	    SHELTERS_HEADER "S1,Shelter One,R2,1,women:10\n"
	    "# comment\n"
	    "S9,New,R7,0,men:2\n", err, sizeof(err), &line), -1);
	assert_int_equal(line, 4);
	assert_non_null(strstr(err, "unknown region 'R7'"));
	assert_int_equal(next.n_shelters, 0);
	assert_null(next.shelters);
}

static void
import_keeps_keys_of_known_identities(void **state)
{
	struct parsed *p = *state;
	struct registry next;
	char err[256];
	unsigned line;

	assert_int_equal(registry_parse_keys(&p->reg, "identity,key\n"
	    "shelter:S1,"
	    "0000000000000000000000000000000000000000000000000000000000000001\n"
	    "shelter:S3,"
	    "0000000000000000000000000000000000000000000000000000000000000003\n"
	    "operator,"
	    "00000000000000000000000000000000000000000000000000000000000000ff\n",
	    err, sizeof(err)), 0);
	assert_int_equal(registry_with_shelters(&next, &p->reg,
	    SHELTERS_HEADER "S1,Shelter One,R1,1,women:10\n", err,
	    sizeof(err), &line), 0);
	assert_int_equal(next.n_keys, 2);
	assert_non_null(registry_key(&next, "shelter:S1"));
	assert_null(registry_key(&next, "shelter:S3"));
	assert_non_null(registry_key(&next, "operator"));
	registry_free(&next);
}

struct diff {
	char line[512];
};

static void
note_change(void *arg, enum reg_change change,
    const struct reg_shelter *before, const struct reg_shelter *after)
{
	struct diff *d = arg;
	static const char *const names[] = { "=", "+", "-", "~" };
	size_t n = strlen(d->line);

	snprintf(d->line + n, sizeof(d->line) - n, "%s%s ", names[change],
	    after ? after->id : before->id);
}

static void
compare_lists_every_change_in_id_order(void **state)
{
	struct parsed *p = *state;
	struct registry next;
	struct diff d = { "" };
	char err[256];
	unsigned line;

	/* S1 renamed, S3 moves region, S4 planned beds, A-10 unchanged,
	 * S0 and S9 new; nothing removed yet. */
	assert_int_equal(registry_with_shelters(&next, &p->reg,
	    SHELTERS_HEADER
	    "S9,Nine,R1,0,men:2\n"
	    "S1,Shelter Uno,R1,1,women:10\n"
	    "S3,Shelter Three,R3,0,women:5\n"
	    "S4,Shelter Four,R3,3,men:7 highsec:2\n"
	    "A-10,Shelter Ten,R1,2,minors:4 women:10 children:0\n"
	    "S0,Zero,R2,0,women:1\n", err, sizeof(err), &line), 0);
	registry_compare(&p->reg, &next, note_change, &d);
	assert_string_equal(d.line, "=A-10 +S0 ~S1 ~S3 ~S4 +S9 ");
	registry_free(&next);

	/* Security level, deadline, categories; S3 and S4 removed. */
	memset(&d, 0, sizeof(d));
	assert_int_equal(registry_with_shelters(&next, &p->reg,
	    "id,name,region,security_level,beds,deadline_secs\n"
	    "S1,Shelter One,R1,1,women:10,600\n"
	    "A-10,Shelter Ten,R1,3,minors:4 women:10 children:0,\n",
	    err, sizeof(err), &line), 0);
	registry_compare(&p->reg, &next, note_change, &d);
	assert_string_equal(d.line, "~A-10 ~S1 -S3 -S4 ");
	registry_free(&next);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		valid_test(valid_counts),
		valid_test(regions_looked_up_by_code),
		valid_test(region_fields_parsed),
		valid_test(neighbours_resolved_to_indexes),
		valid_test(shelters_counted_per_region),
		valid_test(shelters_sorted_by_id),
		valid_test(shelter_looked_up_by_id),
		valid_test(shelter_with_several_categories),
		valid_test(every_shelter_found),
		valid_test(unknown_shelter_is_null),
		cmocka_unit_test(hash_lookup_agrees_with_bsearch),
		cmocka_unit_test(region_wrong_field_count),
		cmocka_unit_test(region_listed_twice),
		cmocka_unit_test(region_bad_coordinates),
		cmocka_unit_test(region_unknown_neighbour),
		cmocka_unit_test(region_unknown_neighbour_names_line),
		cmocka_unit_test(no_regions),
		cmocka_unit_test(shelter_wrong_field_count),
		cmocka_unit_test(shelter_too_many_fields),
		cmocka_unit_test(shelter_unknown_region),
		cmocka_unit_test(shelter_unknown_category),
		cmocka_unit_test(shelter_category_twice),
		cmocka_unit_test(shelter_bad_bed_count),
		cmocka_unit_test(shelter_bed_without_colon),
		cmocka_unit_test(shelter_max_bed_count_accepted),
		cmocka_unit_test(shelter_listed_twice),
		cmocka_unit_test(shelter_listed_twice_names_line),
		cmocka_unit_test(shelter_without_beds),
		cmocka_unit_test(shelter_security_level_4),
		cmocka_unit_test(shelter_bad_id),
		cmocka_unit_test(spreadsheet_shelters),
		cmocka_unit_test(quote_errors_name_line_and_column),
		cmocka_unit_test(header_only_shelters_is_empty),
		cmocka_unit_test(free_zeroed_registry_is_safe),
		valid_test(import_replaces_shelters_keeps_regions),
		valid_test(import_error_names_the_line),
		valid_test(import_keeps_keys_of_known_identities),
		valid_test(compare_lists_every_change_in_id_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
