/*
 * test_shortage.c — the structural shortage rule: when it opens, and the
 * hysteresis that keeps it from flapping.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "shortage.h"

enum { WINDOW = 28 };

static const struct shortage_params params = { .critical_days = 7,
	.clear_days = 2 };

struct window {
	struct shortage_day days[WINDOW];
	struct shortage_in in;
};

/* A window whose every day ends with `capacity` open beds. */
static void
window(struct window *w, uint32_t capacity, uint32_t norm)
{
	memset(w, 0, sizeof(*w));
	for (int i = 0; i < WINDOW; i++) {
		w->days[i].known = true;
		w->days[i].capacity = capacity;
	}
	w->in.days = w->days;
	w->in.n_days = WINDOW;
	w->in.covered = true;
	w->in.has_norm = true;
	w->in.norm = norm;
	w->in.capacity = capacity;
}

static void
critical_days(struct window *w, int n)
{
	for (int i = 0; i < WINDOW; i++)
		w->days[i].critical = i >= WINDOW - n;
}

static struct shortage_out
eval(const struct window *w)
{
	struct shortage_out out;

	shortage_eval(&params, &w->in, &out);
	return out;
}

static void
below_the_norm_all_window_opens(void **state)
{
	struct window w;
	struct shortage_out o;

	(void)state;
	window(&w, 6, 8);
	o = eval(&w);
	assert_true(o.open);
	assert_int_equal(o.why, SHORTAGE_BELOW_NORM);
	assert_int_equal(o.days_below_norm, WINDOW);
	/* One day at the norm in the window: not structural (yet). */
	w.days[3].capacity = 8;
	o = eval(&w);
	assert_false(o.open);
	assert_int_equal(o.days_below_norm, WINDOW - 1);
	/* Capacity meets the norm now: not short. */
	window(&w, 6, 8);
	w.in.capacity = 8;
	assert_false(eval(&w).open);
}

static void
no_norm_or_short_history_does_not_open(void **state)
{
	struct window w;

	(void)state;
	window(&w, 0, 8);
	w.in.covered = false;
	assert_false(eval(&w).open);
	/* Days before the history began are not counted short. */
	for (int i = 0; i < 10; i++)
		w.days[i].known = false;
	assert_int_equal(eval(&w).days_below_norm, WINDOW - 10);
	window(&w, 0, 8);
	w.in.has_norm = false;
	assert_false(eval(&w).open);
	assert_int_equal(eval(&w).days_below_norm, 0);
	/* A norm of 0 is never missed. */
	window(&w, 0, 0);
	assert_false(eval(&w).open);
}

static void
critical_days_open(void **state)
{
	struct window w;
	struct shortage_out o;

	(void)state;
	window(&w, 10, 8);
	critical_days(&w, 6);
	o = eval(&w);
	assert_false(o.open);
	assert_int_equal(o.days_critical, 6);
	critical_days(&w, 7);
	o = eval(&w);
	assert_true(o.open);
	assert_int_equal(o.why, SHORTAGE_CRITICAL_DAYS);
	/* Without a norm, or history, the critical days count all the
	 * same. */
	w.in.has_norm = false;
	w.in.covered = false;
	assert_true(eval(&w).open);
	/* Both at once. */
	window(&w, 6, 8);
	critical_days(&w, 8);
	assert_int_equal(eval(&w).why,
	    SHORTAGE_BELOW_NORM | SHORTAGE_CRITICAL_DAYS);
}

static void
hysteresis_on_critical_days(void **state)
{
	struct window w;

	(void)state;
	window(&w, 10, 8);
	w.in.open = true;
	/* Open at 7; stays open down to 5 (clear_days 2), clears at 4. */
	for (int n = 7; n >= 5; n--) {
		critical_days(&w, n);
		assert_true(eval(&w).open);
	}
	critical_days(&w, 4);
	assert_false(eval(&w).open);
	/* Closed at 6: not opened again. */
	w.in.open = false;
	critical_days(&w, 6);
	assert_false(eval(&w).open);
}

static void
hysteresis_on_capacity(void **state)
{
	struct window w;

	(void)state;
	/* Open and still short, even with a good day in the window. */
	window(&w, 6, 8);
	w.in.open = true;
	w.days[20].capacity = 9;
	assert_true(eval(&w).open);
	/* Capacity meets the norm: it clears at once... */
	w.in.capacity = 8;
	assert_false(eval(&w).open);
	/* ...and a dip back under it does not reopen before a whole window
	 * below the norm. */
	w.in.open = false;
	w.in.capacity = 7;
	w.days[WINDOW - 1].capacity = 8;
	assert_false(eval(&w).open);
	/* The norm went away: clears. */
	window(&w, 6, 8);
	w.in.open = true;
	w.in.has_norm = false;
	assert_false(eval(&w).open);
}

static void
small_critical_days_clear_only_without_one(void **state)
{
	struct shortage_params p = { .critical_days = 1, .clear_days = 2 };
	struct window w;
	struct shortage_out o;

	(void)state;
	window(&w, 10, 8);
	w.in.open = true;
	critical_days(&w, 1);
	shortage_eval(&p, &w.in, &o);
	assert_true(o.open);
	critical_days(&w, 0);
	shortage_eval(&p, &w.in, &o);
	assert_false(o.open);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(below_the_norm_all_window_opens),
		cmocka_unit_test(no_norm_or_short_history_does_not_open),
		cmocka_unit_test(critical_days_open),
		cmocka_unit_test(hysteresis_on_critical_days),
		cmocka_unit_test(hysteresis_on_capacity),
		cmocka_unit_test(small_critical_days_clear_only_without_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
