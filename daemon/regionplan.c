/*
 * regionplan.c — what a region's status says about planning: the norm
 * in force, the reserve beds and those open now, an open structural
 * shortage. A
 * leaf (store and core only), so that the status, the plan and the
 * dashboard (http.c) all fill a RegionStatus the same way without a
 * call up the module graph.
 */
#include "regionplan.h"

#include <stdbool.h>
#include <string.h>

struct shortage_scan {
	const char *region;
	bool open[CAT_COUNT];
};

static int
note_shortage(void *arg, const char *key, const struct alert_state *a)
{
	struct shortage_scan *sc = arg;

	(void)key;
	if (a->kind ==
	    SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE &&
	    a->category >= 1 && a->category <= CAT_COUNT &&
	    strcmp(a->region, sc->region) == 0)
		sc->open[a->category - 1] = true;
	return 0;
}

struct open_scan {
	struct store *st;
	MDB_txn *txn;
	const char *region;     /* NULL: every region */
	int64_t now;
	uint32_t *open;         /* [CAT_COUNT] */
	uint8_t category;
	int rc;
};

static int
add_confirmed(void *arg, const struct reserve_answer *a)
{
	struct open_scan *sc = arg;

	if (a->confirmed)
		sc->open[sc->category - 1] += a->beds;
	return 0;
}

static int
note_activation(void *arg, const struct reserve_activation *r)
{
	struct open_scan *sc = arg;

	if (r->ended != RESERVE_OPEN || r->until <= sc->now ||
	    r->category < 1 || r->category > CAT_COUNT ||
	    (sc->region != NULL && strcmp(r->region, sc->region) != 0))
		return 0;
	sc->category = r->category;
	sc->rc = store_reserve_answers_each(sc->st, sc->txn, r->id,
	    add_confirmed, sc);
	return sc->rc != 0;
}

int
regionplan_reserve_open(struct store *st, MDB_txn *txn, const char *region,
    int64_t now, uint32_t open[CAT_COUNT])
{
	struct open_scan sc = { st, txn, region, now, open, 0, 0 };
	int rc;

	memset(open, 0, CAT_COUNT * sizeof(*open));
	if ((rc = store_reserves_each(st, txn, note_activation, &sc)) != 0)
		return rc;
	return sc.rc;
}

uint32_t
regionplan_shelter_reserve(const struct registry *reg, struct store *st,
    MDB_txn *txn, const struct reg_shelter *sh, int category)
{
	struct shelter_state ss;

	if (store_get_shelter(st, txn, sh->id, &ss) == 0 &&
	    (ss.reserve_declared & (1u << (category - 1))))
		return ss.reserve_decl[category - 1].beds_72h;
	for (size_t i = 0; i < reg->n_reserves; i++)
		if (reg->reserves[i].category == category &&
		    strcmp(reg->reserves[i].shelter, sh->id) == 0)
			return reg->reserves[i].beds_72h;
	return 0;
}

int
regionplan_fill(const struct registry *reg,
    const struct reserve_overlay *ov, struct store *st, MDB_txn *txn,
    size_t region, Shelterd__V1__CategoryTotals *const *t, int64_t now)
{
	/* A scan, not a key: the alerts table holds the open alerts only,
	 * and this leaf must not call up into alerts.c. */
	struct shortage_scan sc = { reg->regions[region].id, { false } };
	uint32_t open[CAT_COUNT];
	int rc;

	if ((rc = store_alerts_each(st, txn, note_shortage, &sc)) != 0 ||
	    (rc = regionplan_reserve_open(st, txn, reg->regions[region].id,
	    now, open)) != 0)
		return rc;
	for (int c = 0; c < CAT_COUNT; c++) {
		t[c]->has_norm = norms_current(reg, (int)region, c + 1, now,
		    &t[c]->norm);
		reserve_sum(reg, ov, (int)region, c + 1, &t[c]->reserve_24h,
		    &t[c]->reserve_72h);
		t[c]->shortage = sc.open[c];
		t[c]->reserve_open = open[c];
	}
	return 0;
}

int
regionplan_reserves(const struct registry *reg, struct store *st,
    MDB_txn *txn, struct reserve_overlay *ov)
{
	for (size_t i = 0; i < reg->n_shelters; i++) {
		struct shelter_state sh;
		int rc;

		if ((rc = store_get_shelter(st, txn, reg->shelters[i].id,
		    &sh)) != 0)
			return rc;
		if (sh.reserve_declared != 0)
			reserve_overlay_note(ov, i, &sh);
	}
	return 0;
}
