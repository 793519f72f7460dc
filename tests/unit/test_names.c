/*
 * test_names.c — the name table against the proto: every value of every
 * enum has one name, and the names are the proto's own (lower case,
 * without the prefix) except for the few decided in core/names.c.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "beds.h"
#include "names.h"
#include "shelterd.pb-c.h"

/* Tables whose names are not all the proto's: categories and statuses
 * people type ("women", "paused"), level 0 of an event ("cleared"), the
 * report column "time_to_placement" and the decline reasons people type
 * ("no-bed": hyphens, as every flag value). */
static const char *const own_names[] = {
	"category", "shelter_status", "level", "report_cell",
	"decline_reason",
};

static bool
has_own_names(const char *key)
{
	for (size_t i = 0; i < sizeof(own_names) / sizeof(own_names[0]); i++)
		if (strcmp(own_names[i], key) == 0)
			return true;
	return false;
}

/* Walks the descriptors: a value added to the proto without a row fails
 * here, naming it. */
static void
every_proto_value_has_a_name(void **state)
{
	(void)state;
	for (size_t t = 0; t < names_n_tables; t++) {
		const struct name_table *nt = &names_tables[t];
		const ProtobufCEnumDescriptor *d = nt->desc;

		for (unsigned i = 0; i < d->n_values; i++) {
			const ProtobufCEnumValue *v = &d->values[i];
			const struct name_row *r = names_find(nt, v->value);

			/* CATEGORY_UNSPECIFIED is no category. */
			if (d == &shelterd__v1__category__descriptor &&
			    v->value == 0)
				continue;
			if (r == NULL)
				fail_msg("%s: no name for %s", nt->key,
				    v->name);
			assert_non_null(r->name);
			assert_int_equal(names_parse(nt, r->name),
			    v->value);
		}
		/* ... and no row for a value the proto does not have. */
		for (size_t i = 0; i < nt->n_rows; i++)
			if (protobuf_c_enum_descriptor_get_value(d,
			    nt->rows[i].value) == NULL)
				fail_msg("%s: %s is not in the proto",
				    nt->key, nt->rows[i].name);
	}
}

static void
names_are_the_protos_own(void **state)
{
	(void)state;
	for (size_t t = 0; t < names_n_tables; t++) {
		const struct name_table *nt = &names_tables[t];
		size_t plen = strlen(nt->prefix);

		if (has_own_names(nt->key))
			continue;
		for (size_t i = 0; i < nt->n_rows; i++) {
			const ProtobufCEnumValue *v =
			    protobuf_c_enum_descriptor_get_value(nt->desc,
			    nt->rows[i].value);
			char want[64];
			size_t k = 0;

			assert_non_null(v);
			if (strncmp(v->name, nt->prefix, plen) != 0)
				fail_msg("%s: %s has no prefix %s", nt->key,
				    v->name, nt->prefix);
			for (const char *c = v->name + plen; *c &&
			    k + 1 < sizeof(want); c++)
				want[k++] = (char)tolower((unsigned char)*c);
			want[k] = '\0';
			assert_string_equal(nt->rows[i].name, want);
		}
	}
}

static void
names_are_unique_per_table(void **state)
{
	(void)state;
	for (size_t t = 0; t < names_n_tables; t++)
		for (size_t i = 0; i < names_tables[t].n_rows; i++)
			for (size_t j = i + 1; j < names_tables[t].n_rows; j++)
				assert_string_not_equal(
				    names_tables[t].rows[i].name,
				    names_tables[t].rows[j].name);
}

static void
rows_fit_a_counter_array(void **state)
{
	(void)state;
	for (size_t t = 0; t < names_n_tables; t++) {
		assert_true(names_tables[t].n_rows <= NAMES_ROWS_MAX);
		for (size_t i = 0; i < names_tables[t].n_rows; i++)
			assert_int_equal(names_index(&names_tables[t],
			    names_tables[t].rows[i].value), (int)i);
	}
	assert_int_equal(names_index(&names_tables[NAMES_KIND], 10), 4);
	assert_int_equal(names_index(&names_tables[NAMES_KIND], 4), -1);
}

static void
the_named_functions(void **state)
{
	(void)state;
	assert_string_equal(kind_name(10), "early_warning");
	assert_string_equal(kind_name(2), "acknowledged");
	assert_string_equal(kind_name(4), "unknown");
	assert_string_equal(scope_name(3), "national");
	assert_string_equal(placement_state_name(7), "expired");
	assert_string_equal(urgency_name(2), "immediate");
	assert_string_equal(code_name(4), "stale_seq");
	assert_string_equal(report_cell_name(8), "time_to_placement");
	assert_string_equal(level_name(0), "cleared");
	assert_string_equal(level_state_name(0), "ok");
	assert_string_equal(level_state_name(2), "critical");
	assert_string_equal(cat_label(4), "high security");
	assert_null(cat_label(0));
	assert_null(cat_name(6));
	assert_int_equal(cat_parse("highsec"), 4);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_proto_value_has_a_name),
		cmocka_unit_test(names_are_the_protos_own),
		cmocka_unit_test(names_are_unique_per_table),
		cmocka_unit_test(rows_fit_a_counter_array),
		cmocka_unit_test(the_named_functions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
