/*
 * test_replay.c — the replay cache: a remembered nonce is refused again
 * however its chain looks, signers cannot crowd each other out, and a
 * random run agrees with a plain model of the rules.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay.h"

static const uint8_t secret[REPLAY_SECRET_BYTES] = { 1, 2, 3, 4, 5, 6, 7,
	8, 9, 10, 11, 12, 13, 14, 15, 16 };

static void
remembered_nonce_is_a_replay_until_it_expires(void **state)
{
	struct replay *r = replay_new(secret, 100);

	(void)state;
	assert_non_null(r);
	assert_int_equal(replay_seen(r, "national", 42, 1000), 0);
	assert_int_equal(replay_remember(r, "national", 42, 1000, 1300), 0);
	assert_int_equal(replay_seen(r, "national", 42, 1300), 1);
	assert_int_equal(replay_remember(r, "national", 42, 1299, 1600), 1);
	/* Another signer's identical nonce is its own. */
	assert_int_equal(replay_seen(r, "shelter:SH-UT-003", 42, 1000), 0);
	assert_int_equal(replay_remember(r, "shelter:SH-UT-003", 42, 1000,
	    1300), 0);
	/* Outside the window the timestamp check refuses it; the cache may
	 * forget it. */
	assert_int_equal(replay_seen(r, "national", 42, 1301), 0);
	assert_int_equal(replay_remember(r, "national", 42, 1301, 1600), 0);
	replay_free(r);
}

/*
 * The bypass of the old cache: short-lived entries ahead of a victim's
 * nonce on its chain expire, and the nonce must still be found. Many
 * nonces in a small table make every chain run through tombstones.
 */
static void
nonce_found_past_expired_entries(void **state)
{
	struct replay *r = replay_new(secret, 4096);
	int64_t now = 1000;

	(void)state;
	assert_non_null(r);
	for (uint64_t n = 1; n <= 3000; n++)
		assert_int_equal(replay_remember(r, "s", n, now,
		    n % 3 == 0 ? now + 600 : now + 1), 0);
	now += 2; /* two thirds of them are now tombstones */
	for (uint64_t n = 1; n <= 3000; n++)
		assert_int_equal(replay_seen(r, "s", n, now), n % 3 == 0);
	/* Reusing the tombstones for new nonces hides none of the live. */
	for (uint64_t n = 10000; n < 1100; n++)
		assert_int_equal(replay_remember(r, "s", n, now, now + 1), 0);
	for (uint64_t n = 3; n <= 3000; n += 3)
		assert_int_equal(replay_remember(r, "s", n, now, now + 600),
		    1);
	replay_free(r);
}

static void
a_signer_at_its_quota_refuses_only_itself(void **state)
{
	struct replay *r = replay_new(secret, 1000);
	int64_t now = 5000;

	(void)state;
	assert_non_null(r);
	for (uint64_t n = 0; n < 1000; n++)
		assert_int_equal(replay_remember(r, "shelter:SH-A", n, now,
		    now + 300), 0);
	assert_int_equal(replay_remember(r, "shelter:SH-A", 5000, now,
	    now + 300), -1);
	assert_int_equal(replay_count(r, "shelter:SH-A", now), 1000);
	/* The coordinator's whole quota is still there. */
	for (uint64_t n = 0; n < 1000; n++)
		assert_int_equal(replay_remember(r, "national", n, now,
		    now + 300), 0);
	/* Its nonces are still refused as replays, not as BUSY. */
	assert_int_equal(replay_remember(r, "shelter:SH-A", 7, now + 1,
	    now + 300), 1);
	/* Once its nonces expire the flooder may send again. */
	assert_int_equal(replay_remember(r, "shelter:SH-A", 5000, now + 301,
	    now + 600), 0);
	assert_int_equal(replay_count(r, "shelter:SH-A", now + 301), 1);
	replay_free(r);
}

/* A plain model: nonce -> until, for a small set of nonces. */
enum { MODEL_NONCES = 512 };

static void
random_run_agrees_with_the_model(void **state)
{
	int64_t model[MODEL_NONCES] = { 0 };
	const uint32_t quota = 100;
	struct replay *r = replay_new(secret, quota);
	uint64_t x = 88172645463325252ULL;
	int64_t now = 100;

	(void)state;
	assert_non_null(r);
	for (int step = 0; step < 200000; step++) {
		uint64_t nonce, live = 0;
		int64_t until;
		int want;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (x % 50 == 0)
			now++;
		nonce = (x >> 8) % MODEL_NONCES;
		until = now + (int64_t)((x >> 20) % 6);
		for (size_t i = 0; i < MODEL_NONCES; i++)
			live += model[i] >= now;
		if ((x >> 40) % 2 == 0) {
			assert_int_equal(replay_seen(r, "s", nonce, now),
			    model[nonce] >= now);
			continue;
		}
		if (model[nonce] >= now)
			want = 1;
		else if (live >= quota)
			want = -1;
		else
			want = 0;
		assert_int_equal(replay_remember(r, "s", nonce, now, until),
		    want);
		if (want == 0)
			model[nonce] = until;
		assert_true(replay_count(r, "s", now) <= quota);
	}
	replay_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    remembered_nonce_is_a_replay_until_it_expires),
		cmocka_unit_test(nonce_found_past_expired_entries),
		cmocka_unit_test(a_signer_at_its_quota_refuses_only_itself),
		cmocka_unit_test(random_run_agrees_with_the_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
