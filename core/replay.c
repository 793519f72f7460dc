/*
 * replay.c — per-signer tables of seen nonces (replay.h).
 *
 * A signer's table is open addressing with linear probing. A slot whose
 * time has passed stays on its chain as a tombstone (it may be reused, but
 * the chain goes on past it), so a lookup always reaches every entry of
 * its key: the earlier cache stopped at the first expired slot and let a
 * short-lived entry of another key hide a victim's nonce behind it.
 *
 * Timestamps are whole seconds, so at most one full rebuild per second is
 * made for a signer at its quota: after a rebuild no entry is expired
 * (min_until >= now), and until one is (now > min_until) nothing can be
 * freed, so a request over the quota is refused without a scan.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

struct seen {
	uint64_t nonce;
	int64_t until;          /* 0: empty; < now: expired (tombstone) */
};

struct signer {
	char *name;             /* NULL: empty slot of the signer table */
	struct seen *slots;
	uint32_t mask;          /* capacity - 1 */
	uint32_t used;          /* non-empty slots; >= unexpired nonces */
	int64_t min_until;      /* no entry expires before this */
};

struct replay {
	uint8_t secret[crypto_shorthash_KEYBYTES];
	uint32_t quota;
	uint32_t max_cap;       /* a signer's table never grows past it */
	struct signer *signers;
	size_t sig_mask;
	size_t n_signers;
};

enum { FIRST_CAP = 16, FIRST_SIGNERS = 16 };

static uint64_t
hash(const struct replay *r, const void *p, size_t n)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, p, n, r->secret);
	memcpy(&v, h, sizeof(v));
	return v;
}

static uint64_t
nonce_hash(const struct replay *r, uint64_t nonce)
{
	uint8_t b[8];

	for (int i = 0; i < 8; i++, nonce >>= 8)
		b[i] = (uint8_t)nonce;
	return hash(r, b, sizeof(b));
}

struct replay *
replay_new(const uint8_t secret[REPLAY_SECRET_BYTES], uint32_t quota)
{
	struct replay *r;
	uint64_t cap = FIRST_CAP;

	_Static_assert(REPLAY_SECRET_BYTES == crypto_shorthash_KEYBYTES,
	    "the secret is a SipHash key");
	if (quota == 0 || sodium_init() < 0)
		return NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	memcpy(r->secret, secret, sizeof(r->secret));
	r->quota = quota;
	/* Live entries at most half the slots: chains stay short. */
	while (cap < 2 * (uint64_t)quota)
		cap <<= 1;
	if (cap > UINT32_MAX / 2 + 1) {
		free(r);
		return NULL;
	}
	r->max_cap = (uint32_t)cap;
	r->sig_mask = FIRST_SIGNERS - 1;
	if ((r->signers = calloc(FIRST_SIGNERS, sizeof(*r->signers))) ==
	    NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void
replay_free(struct replay *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i <= r->sig_mask; i++) {
		free(r->signers[i].name);
		free(r->signers[i].slots);
	}
	free(r->signers);
	sodium_memzero(r->secret, sizeof(r->secret));
	free(r);
}

static struct signer *
find_signer(const struct replay *r, const char *name)
{
	size_t i = hash(r, name, strlen(name)) & r->sig_mask;

	for (;; i = (i + 1) & r->sig_mask) {
		struct signer *sg = &r->signers[i];

		if (sg->name == NULL)
			return NULL;
		if (strcmp(sg->name, name) == 0)
			return sg;
	}
}

static int
grow_signers(struct replay *r)
{
	size_t cap = (r->sig_mask + 1) * 2;
	struct signer *old = r->signers, *t;

	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return -1;
	for (size_t j = 0; j <= r->sig_mask; j++) {
		size_t i;

		if (old[j].name == NULL)
			continue;
		i = hash(r, old[j].name, strlen(old[j].name)) & (cap - 1);
		while (t[i].name != NULL)
			i = (i + 1) & (cap - 1);
		t[i] = old[j];
	}
	free(old);
	r->signers = t;
	r->sig_mask = cap - 1;
	return 0;
}

static struct signer *
add_signer(struct replay *r, const char *name)
{
	struct signer *sg;
	size_t i;

	if ((r->n_signers + 1) * 2 > r->sig_mask + 1 && grow_signers(r) != 0)
		return NULL;
	i = hash(r, name, strlen(name)) & r->sig_mask;
	while (r->signers[i].name != NULL)
		i = (i + 1) & r->sig_mask;
	sg = &r->signers[i];
	if ((sg->name = strdup(name)) == NULL)
		return NULL;
	if ((sg->slots = calloc(FIRST_CAP, sizeof(*sg->slots))) == NULL) {
		free(sg->name);
		sg->name = NULL;
		return NULL;
	}
	sg->mask = FIRST_CAP - 1;
	sg->min_until = INT64_MAX;
	r->n_signers++;
	return sg;
}

/* The slot holding nonce, or NULL. */
static const struct seen *
lookup(const struct replay *r, const struct signer *sg, uint64_t nonce)
{
	uint32_t i = (uint32_t)nonce_hash(r, nonce) & sg->mask;

	for (;; i = (i + 1) & sg->mask) {
		const struct seen *e = &sg->slots[i];

		if (e->until == 0)
			return NULL;
		if (e->nonce == nonce)
			return e;
	}
}

int
replay_seen(const struct replay *r, const char *signer, uint64_t nonce,
    int64_t now)
{
	const struct signer *sg = find_signer(r, signer);
	const struct seen *e;

	if (sg == NULL || (e = lookup(r, sg, nonce)) == NULL)
		return 0;
	return e->until >= now;
}

/* Drop the expired entries, growing the table when live ones need it. */
static int
rebuild(const struct replay *r, struct signer *sg, int64_t now)
{
	uint32_t live = 0, cap = sg->mask + 1;
	struct seen *t;

	for (uint32_t j = 0; j <= sg->mask; j++)
		live += sg->slots[j].until >= now;
	while ((uint64_t)(live + 1) * 2 > cap && cap < r->max_cap)
		cap <<= 1;
	if ((t = calloc(cap, sizeof(*t))) == NULL)
		return -1;
	sg->min_until = INT64_MAX;
	for (uint32_t j = 0; j <= sg->mask; j++) {
		const struct seen *e = &sg->slots[j];
		uint32_t i;

		if (e->until < now)
			continue;
		i = (uint32_t)nonce_hash(r, e->nonce) & (cap - 1);
		while (t[i].until != 0)
			i = (i + 1) & (cap - 1);
		t[i] = *e;
		if (e->until < sg->min_until)
			sg->min_until = e->until;
	}
	free(sg->slots);
	sg->slots = t;
	sg->mask = cap - 1;
	sg->used = live;
	return 0;
}

int
replay_remember(struct replay *r, const char *signer, uint64_t nonce,
    int64_t now, int64_t until)
{
	struct signer *sg = find_signer(r, signer);
	struct seen *tomb = NULL, *e;
	uint32_t i;

	if (until < 1)
		until = 1; /* 0 marks an empty slot */
	if (sg == NULL && (sg = add_signer(r, signer)) == NULL)
		return -1;
	/* The whole chain: the nonce may sit past a tombstone. */
	i = (uint32_t)nonce_hash(r, nonce) & sg->mask;
	for (;; i = (i + 1) & sg->mask) {
		e = &sg->slots[i];
		if (e->until == 0)
			break;
		if (e->nonce == nonce) {
			if (e->until >= now)
				return 1;
			tomb = e;
			break;
		}
		if (e->until < now && tomb == NULL)
			tomb = e;
	}
	if (tomb != NULL) {
		/* Replaces an expired entry: `used` stays an upper bound. */
		tomb->nonce = nonce;
		tomb->until = until;
		if (until < sg->min_until)
			sg->min_until = until;
		return 0;
	}
	if (sg->used >= r->quota || (uint64_t)(sg->used + 1) * 4 >
	    (uint64_t)(sg->mask + 1) * 3) {
		/* Nothing has expired since the last rebuild: it would not
		 * free a slot. */
		if (sg->used >= r->quota && now <= sg->min_until)
			return -1;
		if (rebuild(r, sg, now) != 0 || sg->used >= r->quota)
			return -1;
		i = (uint32_t)nonce_hash(r, nonce) & sg->mask;
		while (sg->slots[i].until != 0)
			i = (i + 1) & sg->mask;
		e = &sg->slots[i];
	}
	e->nonce = nonce;
	e->until = until;
	sg->used++;
	if (until < sg->min_until)
		sg->min_until = until;
	return 0;
}

size_t
replay_count(const struct replay *r, const char *signer, int64_t now)
{
	const struct signer *sg = find_signer(r, signer);
	size_t n = 0;

	if (sg == NULL)
		return 0;
	for (uint32_t j = 0; j <= sg->mask; j++)
		n += sg->slots[j].until >= now;
	return n;
}
