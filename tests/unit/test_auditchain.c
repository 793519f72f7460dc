/*
 * test_auditchain.c — the audit log's chain (core/auditchain.c) on entries
 * built here: an intact chain verifies; a changed, missing, moved or
 * unsigned entry is found and named; a head verifies only with its key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auditchain.h"

enum { N = 5, MAXLEN = 256 };

struct chain {
	uint8_t bytes[N][MAXLEN];
	size_t len[N];
	uint8_t hash[AUDIT_HASH];     /* of the last */
	uint8_t sk[AUDIT_SK], pk[AUDIT_PK], sig[AUDIT_SIG], hpk[AUDIT_PK];
	Shelterd__V1__AuditHead head;
};

/* Entries 1..N, each linked to the one before, and a signed head. */
static void
build(struct chain *c, const char *decision3)
{
	uint8_t prev[AUDIT_HASH] = { 0 };

	memset(c, 0, sizeof(*c));
	crypto_sign_keypair(c->pk, c->sk);
	for (int i = 0; i < N; i++) {
		Shelterd__V1__AuditEntry e = SHELTERD__V1__AUDIT_ENTRY__INIT;

		e.seq = (uint64_t)i + 1;
		e.at = 1772323200 + i;
		e.kind = SHELTERD__V1__AUDIT_KIND__AUDIT_KIND_PLACEMENT;
		e.actor = (char *)"region:VR09";
		e.decision = (char *)(i == 2 && decision3 ? decision3 :
		    "held");
		e.request_id = (char *)"q1";
		e.prev.data = prev;
		e.prev.len = sizeof(prev);
		c->len[i] = shelterd__v1__audit_entry__pack(&e, c->bytes[i]);
		assert_true(c->len[i] < MAXLEN);
		audit_hash(c->bytes[i], c->len[i], prev);
	}
	memcpy(c->hash, prev, sizeof(prev));
	shelterd__v1__audit_head__init(&c->head);
	c->head.seq = N;
	c->head.hash.data = c->hash;
	c->head.hash.len = AUDIT_HASH;
	audit_head_sign(&c->head, c->sk, c->hpk, c->sig);
}

/* Verify entries in the order of idx (stored under keys[]), with pk. */
static int
verify(struct chain *c, const int *idx, const uint64_t *keys, size_t n,
    const uint8_t *pk, struct audit_verify *v)
{
	audit_verify_start(v, 1, (const uint8_t[AUDIT_HASH]){ 0 });
	for (size_t i = 0; i < n; i++)
		if (audit_verify_entry(v, keys[i], c->bytes[idx[i]],
		    c->len[idx[i]]) != 0)
			break;
	return audit_verify_end(v, &c->head, pk);
}

static const int in_order[N] = { 0, 1, 2, 3, 4 };
static const uint64_t keys[N] = { 1, 2, 3, 4, 5 };

static void
intact_chain_verifies(void **state)
{
	struct chain c;
	struct audit_verify v;

	(void)state;
	build(&c, NULL);
	assert_int_equal(verify(&c, in_order, keys, N, c.pk, &v), 0);
	assert_int_equal(v.n, N);
	assert_false(v.bad);
	/* The key the head names, when none is pinned: the same here. */
	assert_int_equal(verify(&c, in_order, keys, N, NULL, &v), 0);
}

static void
changed_entry_is_named(void **state)
{
	struct chain c, d;
	struct audit_verify v;

	(void)state;
	build(&c, NULL);
	build(&d, "declined: other");
	/* Entry 3 replaced by one that reads otherwise, same link. */
	memcpy(c.bytes[2], d.bytes[2], d.len[2]);
	c.len[2] = d.len[2];
	assert_int_equal(verify(&c, in_order, keys, N, c.pk, &v), -1);
	assert_int_equal(v.bad_seq, 3);
	assert_string_equal(v.why, "entry 3 was changed: its hash is not the "
	    "one entry 4 records");
	/* The last one: only the head records its hash. */
	build(&c, NULL);
	for (size_t i = 0; i + 4 <= c.len[4]; i++)
		if (memcmp(c.bytes[4] + i, "held", 4) == 0)
			c.bytes[4][i + 3] = 't';
	assert_int_equal(verify(&c, in_order, keys, N, c.pk, &v), -1);
	assert_int_equal(v.bad_seq, 5);
}

static void
deleted_entry_is_named(void **state)
{
	static const int idx[] = { 0, 1, 3, 4 };
	static const uint64_t k[] = { 1, 2, 4, 5 };
	struct chain c;
	struct audit_verify v;

	(void)state;
	build(&c, NULL);
	assert_int_equal(verify(&c, idx, k, 4, c.pk, &v), -1);
	assert_int_equal(v.bad_seq, 3);
	assert_string_equal(v.why, "entry 3 is missing (the next stored is "
	    "4)");
	/* The last: the signed head still covers it. */
	assert_int_equal(verify(&c, in_order, keys, N - 1, c.pk, &v), -1);
	assert_int_equal(v.bad_seq, 5);
}

static void
reordered_entries_are_named(void **state)
{
	static const int idx[] = { 0, 1, 3, 2, 4 };
	struct chain c;
	struct audit_verify v;

	(void)state;
	build(&c, NULL);
	assert_int_equal(verify(&c, idx, keys, N, c.pk, &v), -1);
	assert_int_equal(v.bad_seq, 3);
	assert_string_equal(v.why, "entry 3 holds entry 4: entries were "
	    "moved or reordered");
}

static void
head_needs_the_daemons_key(void **state)
{
	struct chain c;
	struct audit_verify v;
	uint8_t other_pk[AUDIT_PK], other_sk[AUDIT_SK];

	(void)state;
	build(&c, NULL);
	crypto_sign_keypair(other_pk, other_sk);
	assert_int_equal(verify(&c, in_order, keys, N, other_pk, &v), -1);
	assert_int_equal(v.bad_seq, N);
	/* Re-signed by another key that the head then names: only a
	 * pinned key tells. */
	audit_head_sign(&c.head, other_sk, c.hpk, c.sig);
	assert_int_equal(verify(&c, in_order, keys, N, NULL, &v), 0);
	assert_int_equal(verify(&c, in_order, keys, N, c.pk, &v), -1);
	/* Unsigned. */
	c.head.signature.len = 0;
	assert_int_equal(verify(&c, in_order, keys, N, NULL, &v), -1);
}

static void
case_ref_hash_is_keyed(void **state)
{
	uint8_t sk1[AUDIT_SK], sk2[AUDIT_SK], pk[AUDIT_PK];
	uint8_t k1[32], k2[32], h1[AUDIT_CASE_HASH], h2[AUDIT_CASE_HASH];
	uint8_t h3[AUDIT_CASE_HASH];

	(void)state;
	crypto_sign_keypair(pk, sk1);
	crypto_sign_keypair(pk, sk2);
	audit_case_key(sk1, k1);
	audit_case_key(sk2, k2);
	audit_case_hash(k1, "VR09-2026-0042", h1);
	audit_case_hash(k2, "VR09-2026-0042", h2);
	audit_case_hash(k1, "VR09-2026-0042", h3);
	assert_memory_not_equal(h1, h2, sizeof(h1));
	assert_memory_equal(h1, h3, sizeof(h1));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(intact_chain_verifies),
		cmocka_unit_test(changed_entry_is_named),
		cmocka_unit_test(deleted_entry_is_named),
		cmocka_unit_test(reordered_entries_are_named),
		cmocka_unit_test(head_needs_the_daemons_key),
		cmocka_unit_test(case_ref_hash_is_keyed),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
