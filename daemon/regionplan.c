/*
 * regionplan.c — what a region's status says about planning: the norm
 * in force, the reserve beds, an open structural shortage. A
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

int
regionplan_fill(const struct registry *reg,
    const struct reserve_overlay *ov, struct store *st, MDB_txn *txn,
    size_t region, Shelterd__V1__CategoryTotals *const *t, int64_t now)
{
	/* A scan, not a key: the alerts table holds the open alerts only,
	 * and this leaf must not call up into alerts.c. */
	struct shortage_scan sc = { reg->regions[region].id, { false } };
	int rc;

	if ((rc = store_alerts_each(st, txn, note_shortage, &sc)) != 0)
		return rc;
	for (int c = 0; c < CAT_COUNT; c++) {
		t[c]->has_norm = norms_current(reg, (int)region, c + 1, now,
		    &t[c]->norm);
		reserve_sum(reg, ov, (int)region, c + 1, &t[c]->reserve_24h,
		    &t[c]->reserve_72h);
		t[c]->shortage = sc.open[c];
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
