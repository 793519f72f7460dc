/*
 * test_admit.c — connection admission: the caps in total and per peer,
 * counting what was admitted (not what was announced), and a long random
 * churn against a plain model.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "admit.h"

static const uint8_t secret[16] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };

static void
v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint8_t peer[16])
{
	const uint8_t addr[4] = { a, b, c, d };

	admit_peer_v4(addr, peer);
}

static void
admitted_up_to_the_cap_and_no_further(void **state)
{
	struct admit *a = admit_new(3, 0, secret);
	uint8_t p[16];

	(void)state;
	assert_non_null(a);
	v4(127, 0, 0, 1, p);
	for (uint32_t id = 1; id <= 3; id++)
		assert_int_equal(admit_pipe(a, id, p, true), ADMIT_OK);
	assert_int_equal(admit_pipe(a, 4, p, true), ADMIT_FULL);
	assert_int_equal(admit_count(a), 3);
	assert_true(admit_release(a, 2));
	assert_int_equal(admit_pipe(a, 5, p, true), ADMIT_OK);
	assert_int_equal(admit_count(a), 3);
	admit_free(a);
}

/* nng announces the removal of a pipe it closed at once, too: each such
 * removal lowered the old subscriber count (2,710 live under a cap of
 * 1,024). */
static void
releasing_a_refused_pipe_changes_nothing(void **state)
{
	struct admit *a = admit_new(2, 0, secret);
	uint8_t p[16];

	(void)state;
	assert_non_null(a);
	v4(10, 0, 0, 1, p);
	assert_int_equal(admit_pipe(a, 1, p, true), ADMIT_OK);
	assert_int_equal(admit_pipe(a, 2, p, true), ADMIT_OK);
	for (uint32_t id = 3; id < 1000; id++) {
		assert_int_equal(admit_pipe(a, id, p, true), ADMIT_FULL);
		assert_false(admit_release(a, id));
	}
	assert_int_equal(admit_count(a), 2);
	assert_int_equal(admit_pipe(a, 1000, p, true), ADMIT_FULL);
	assert_false(admit_release(a, 77)); /* never seen */
	assert_true(admit_release(a, 1));
	assert_false(admit_release(a, 1)); /* twice */
	assert_int_equal(admit_count(a), 1);
	admit_free(a);
}

static void
one_peer_cannot_take_every_slot(void **state)
{
	struct admit *a = admit_new(100, 4, secret);
	uint8_t flood[16], other[16], local[16] = { 0 };

	(void)state;
	assert_non_null(a);
	v4(192, 0, 2, 66, flood);
	v4(192, 0, 2, 67, other);
	for (uint32_t id = 1; id <= 4; id++)
		assert_int_equal(admit_pipe(a, id, flood, true), ADMIT_OK);
	for (uint32_t id = 5; id <= 50; id++)
		assert_int_equal(admit_pipe(a, id, flood, true),
		    ADMIT_PEER_FULL);
	assert_int_equal(admit_peer_count(a, flood), 4);
	assert_int_equal(admit_pipe(a, 51, other, true), ADMIT_OK);
	/* ipc:// peers have no address: only the total applies. */
	for (uint32_t id = 52; id <= 60; id++)
		assert_int_equal(admit_pipe(a, id, local, false), ADMIT_OK);
	assert_true(admit_release(a, 3));
	assert_int_equal(admit_peer_count(a, flood), 3);
	assert_int_equal(admit_pipe(a, 61, flood, true), ADMIT_OK);
	admit_free(a);
}

static void
ipv6_peers_are_their_slash_64(void **state)
{
	uint8_t a6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2, 0xaa, 0xbb,
		0xcc, 0xdd, 0, 0, 0, 1 };
	uint8_t b6[16], mapped[16] = { 0 }, pa[16], pb[16], pm[16], p4[16];

	(void)state;
	memcpy(b6, a6, 16);
	b6[15] = 0x99;
	b6[9] = 0x01;
	admit_peer_v6(a6, pa);
	admit_peer_v6(b6, pb);
	assert_memory_equal(pa, pb, 16);
	b6[7] = 3; /* another /64 */
	admit_peer_v6(b6, pb);
	assert_memory_not_equal(pa, pb, 16);
	mapped[10] = mapped[11] = 0xff;
	mapped[12] = 127;
	mapped[15] = 1;
	admit_peer_v6(mapped, pm);
	v4(127, 0, 0, 1, p4);
	assert_memory_equal(pm, p4, 16);
}

enum { PIPES = 300 };

static void
random_churn_agrees_with_the_model(void **state)
{
	struct admit *a = admit_new(64, 10, secret);
	bool in[PIPES] = { false };
	uint32_t per[8] = { 0 }, total = 0;
	uint64_t x = 0x9e3779b97f4a7c15ULL;

	(void)state;
	assert_non_null(a);
	for (int step = 0; step < 300000; step++) {
		uint32_t id, host;
		uint8_t peer[16];

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		id = (uint32_t)(x % PIPES);
		host = id % 8; /* a pipe keeps its peer */
		v4(10, 0, 0, (uint8_t)host, peer);
		if ((x >> 32) % 2 == 0) {
			int want = in[id] ? ADMIT_FULL :
			    total >= 64 ? ADMIT_FULL :
			    per[host] >= 10 ? ADMIT_PEER_FULL : ADMIT_OK;

			assert_int_equal(admit_pipe(a, id, peer, true), want);
			if (want == ADMIT_OK) {
				in[id] = true;
				per[host]++;
				total++;
			}
		} else {
			assert_int_equal(admit_release(a, id), in[id]);
			if (in[id]) {
				in[id] = false;
				per[host]--;
				total--;
			}
		}
		assert_int_equal(admit_count(a), total);
		assert_int_equal(admit_peer_count(a, peer), per[host]);
	}
	admit_free(a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(admitted_up_to_the_cap_and_no_further),
		cmocka_unit_test(releasing_a_refused_pipe_changes_nothing),
		cmocka_unit_test(one_peer_cannot_take_every_slot),
		cmocka_unit_test(ipv6_peers_are_their_slash_64),
		cmocka_unit_test(random_churn_agrees_with_the_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
