/* core/util.c: the bounded copy and the big-endian keys. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util.h"

static void
copy_fits_cuts_and_terminates(void **state)
{
	char buf[6];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	util_copy(buf, sizeof(buf), "abc");
	assert_string_equal(buf, "abc");
	/* Exactly len - 1 characters fit. */
	util_copy(buf, sizeof(buf), "abcde");
	assert_string_equal(buf, "abcde");
	/* Longer: cut to len - 1, still terminated. */
	memset(buf, 'x', sizeof(buf));
	util_copy(buf, sizeof(buf), "abcdefgh");
	assert_string_equal(buf, "abcde");
	/* NULL reads as "". */
	util_copy(buf, sizeof(buf), NULL);
	assert_string_equal(buf, "");
	util_copy(buf, sizeof(buf), "");
	assert_string_equal(buf, "");
	/* One byte: only the terminator; none: nothing written. */
	memset(buf, 'x', sizeof(buf));
	util_copy(buf, 1, "abc");
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'x');
	util_copy(buf + 1, 0, "abc");
	assert_int_equal(buf[1], 'x');
}

static void
big_endian_round_trip(void **state)
{
	unsigned char b[8];

	(void)state;
	util_put_be64(b, 0x0102030405060708ull);
	assert_int_equal(b[0], 1);
	assert_int_equal(b[7], 8);
	assert_int_equal(util_get_be32(b + 4), 0x05060708u);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copy_fits_cuts_and_terminates),
		cmocka_unit_test(big_endian_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
