/*
 * test_svg.c — the hand-written charts: a mark for every value, gaps for
 * buckets without history, escaped text.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "svg.h"

static size_t
count(const char *s, const char *what)
{
	size_t n = 0;

	for (const char *p = s; (p = strstr(p, what)) != NULL; p++)
		n++;
	return n;
}

/* Thirty days, history on the last one only: two marks (average and
 * peak), dated by that day. */
static void
trend_with_one_bucket_draws_it(void **state)
{
	Shelterd__V1__TrendPoint pts[30], *ptp[30];
	Shelterd__V1__Trend t = SHELTERD__V1__TREND__INIT;
	size_t len;
	char *svg;

	(void)state;
	for (int i = 0; i < 30; i++) {
		shelterd__v1__trend_point__init(&pts[i]);
		pts[i].from = 1772323200 + (int64_t)i * 86400;
		ptp[i] = &pts[i];
	}
	pts[29].data_secs = 3600;
	pts[29].avg_occupancy_pct = 40;
	pts[29].peak_occupancy_pct = 75;
	t.region_id = "VR09";
	t.category = 1;
	t.points = ptp;
	t.n_points = 30;
	t.bucket_secs = 86400;
	t.critical_pct = 100;
	t.warning_pct = 90;
	svg = svg_trend_string(&t, &len);
	assert_non_null(svg);
	assert_int_equal(strlen(svg), len);
	assert_int_equal(count(svg, "<circle class=\"mark\""), 2);
	assert_non_null(strstr(svg, "<title>2026-03-30 peak 75.0%</title>"));
	assert_non_null(strstr(svg, "VR09 women"));
	assert_non_null(strstr(svg, "days in UTC"));
	free(svg);
	/* No history at all: a frame with no mark, never a zero line. */
	pts[29].data_secs = 0;
	svg = svg_trend_string(&t, &len);
	assert_int_equal(count(svg, "class=\"mark\""), 0);
	free(svg);
}

static void
bars_mark_every_value_and_escape(void **state)
{
	struct svg_bar b[3] = { { "a<b", 0, true }, { "c&d", 7, true },
		{ "hidden", 0, false } };
	double ref[3] = { -1, 10, -1 };
	char *buf = NULL;
	size_t len;
	FILE *f = open_memstream(&buf, &len);

	(void)state;
	assert_non_null(f);
	assert_int_equal(svg_bars(f, "t\"x", b, 3, 0, "", ref, 300), 0);
	fclose(f);
	assert_int_equal(count(buf, "class=\"mark\""), 2);
	assert_int_equal(count(buf, "class=\"mark hidden\""), 1);
	assert_int_equal(count(buf, "class=\"norm\""), 1);
	assert_non_null(strstr(buf, "a&lt;b"));
	assert_non_null(strstr(buf, "c&amp;d"));
	assert_non_null(strstr(buf, "t&quot;x"));
	assert_null(strstr(buf, "a<b"));
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(trend_with_one_bucket_draws_it),
		cmocka_unit_test(bars_mark_every_value_and_escape),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
