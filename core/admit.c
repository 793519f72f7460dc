/*
 * admit.c — connection admission with a cap in total and per peer
 * (admit.h). Two open-addressing tables with linear probing and
 * backward-shift deletion (no tombstones, so a long churn of connections
 * never degrades them): admitted pipes (id -> peer) and peers with
 * connections (peer -> count). Both hold at most max_total entries in
 * twice as many slots.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "admit.h"

struct slot {
	uint8_t key[ADMIT_PEER_BYTES];  /* pipe id (4 bytes) or peer */
	uint8_t peer[ADMIT_PEER_BYTES]; /* pipes: its peer */
	uint32_t n;                     /* peers: its connections */
	bool used;
	bool per_peer;                  /* pipes: counted for its peer */
};

struct table {
	struct slot *slots;
	uint32_t mask;
};

struct admit {
	uint8_t secret[crypto_shorthash_KEYBYTES];
	uint32_t max_total, max_per_peer, count;
	struct table pipes, peers;
};

static uint32_t
home(const struct admit *a, const struct table *t, const uint8_t *key)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint32_t v;

	crypto_shorthash(h, key, ADMIT_PEER_BYTES, a->secret);
	memcpy(&v, h, sizeof(v));
	return v & t->mask;
}

static int
table_init(struct table *t, uint32_t entries)
{
	uint64_t cap = 16;

	while (cap < 2 * (uint64_t)entries)
		cap <<= 1;
	if (cap > UINT32_MAX)
		return -1;
	if ((t->slots = calloc((size_t)cap, sizeof(*t->slots))) == NULL)
		return -1;
	t->mask = (uint32_t)(cap - 1);
	return 0;
}

/* The slot of key, or the empty slot where it would go. */
static struct slot *
find(const struct admit *a, const struct table *t, const uint8_t *key)
{
	uint32_t i = home(a, t, key);

	while (t->slots[i].used &&
	    memcmp(t->slots[i].key, key, ADMIT_PEER_BYTES) != 0)
		i = (i + 1) & t->mask;
	return &t->slots[i];
}

static void
erase(const struct admit *a, struct table *t, struct slot *e)
{
	uint32_t i = (uint32_t)(e - t->slots), j = i;

	for (;;) {
		uint32_t k;

		j = (j + 1) & t->mask;
		if (!t->slots[j].used)
			break;
		k = home(a, t, t->slots[j].key);
		/* Move j back into the hole at i unless its home lies in
		 * (i, j] (cyclically): then it is already reachable. */
		if ((i < j) ? (k <= i || k > j) : (k <= i && k > j)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	memset(&t->slots[i], 0, sizeof(t->slots[i]));
}

struct admit *
admit_new(uint32_t max_total, uint32_t max_per_peer, const uint8_t secret[16])
{
	struct admit *a;

	_Static_assert(crypto_shorthash_KEYBYTES == 16, "a SipHash key");
	if (sodium_init() < 0 || (a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	memcpy(a->secret, secret, sizeof(a->secret));
	a->max_total = max_total;
	a->max_per_peer = max_per_peer;
	if (table_init(&a->pipes, max_total) != 0 ||
	    table_init(&a->peers, max_total) != 0) {
		admit_free(a);
		return NULL;
	}
	return a;
}

void
admit_free(struct admit *a)
{
	if (a == NULL)
		return;
	free(a->pipes.slots);
	free(a->peers.slots);
	free(a);
}

void
admit_peer_v4(const uint8_t addr[4], uint8_t peer[ADMIT_PEER_BYTES])
{
	memset(peer, 0, ADMIT_PEER_BYTES);
	/* As ::ffff:a.b.c.d, so the two families never share a key. */
	peer[10] = peer[11] = 0xff;
	memcpy(peer + 12, addr, 4);
}

void
admit_peer_v6(const uint8_t addr[16], uint8_t peer[ADMIT_PEER_BYTES])
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0xff, 0xff };

	if (memcmp(addr, mapped, sizeof(mapped)) == 0) {
		admit_peer_v4(addr + 12, peer);
		return;
	}
	memset(peer, 0, ADMIT_PEER_BYTES);
	memcpy(peer, addr, 8);
	peer[8] = 0x40; /* a /64: never equal to a mapped IPv4 key */
}

static void
pipe_key(uint32_t id, uint8_t key[ADMIT_PEER_BYTES])
{
	memset(key, 0, ADMIT_PEER_BYTES);
	memcpy(key, &id, sizeof(id));
}

int
admit_pipe(struct admit *a, uint32_t pipe_id,
    const uint8_t peer[ADMIT_PEER_BYTES], bool per_peer)
{
	uint8_t key[ADMIT_PEER_BYTES];
	struct slot *p, *e;

	pipe_key(pipe_id, key);
	if (a->count >= a->max_total)
		return ADMIT_FULL;
	if ((p = find(a, &a->pipes, key))->used)
		return ADMIT_FULL;
	e = find(a, &a->peers, peer);
	if (per_peer && a->max_per_peer != 0 && e->used &&
	    e->n >= a->max_per_peer)
		return ADMIT_PEER_FULL;
	if (per_peer) {
		if (!e->used) {
			e->used = true;
			memcpy(e->key, peer, ADMIT_PEER_BYTES);
		}
		e->n++;
	}
	p->used = true;
	p->per_peer = per_peer;
	memcpy(p->key, key, ADMIT_PEER_BYTES);
	memcpy(p->peer, peer, ADMIT_PEER_BYTES);
	a->count++;
	return ADMIT_OK;
}

bool
admit_release(struct admit *a, uint32_t pipe_id)
{
	uint8_t key[ADMIT_PEER_BYTES];
	struct slot *p, *e;

	pipe_key(pipe_id, key);
	if (!(p = find(a, &a->pipes, key))->used)
		return false;
	if (p->per_peer) {
		e = find(a, &a->peers, p->peer);
		if (e->used && --e->n == 0)
			erase(a, &a->peers, e);
	}
	erase(a, &a->pipes, p);
	a->count--;
	return true;
}

uint32_t
admit_count(const struct admit *a)
{
	return a->count;
}

uint32_t
admit_peer_count(const struct admit *a, const uint8_t peer[ADMIT_PEER_BYTES])
{
	const struct slot *e = find(a, &a->peers, peer);

	return e->used ? e->n : 0;
}
