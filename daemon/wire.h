/*
 * wire.h — the store's structs as the wire's messages (alerts and
 * placements). The messages point into the structs: keep them until
 * packed.
 */
#ifndef SHELTERD_WIRE_H
#define SHELTERD_WIRE_H

#include <stdbool.h>

#include <stdint.h>

#include "authz.h"
#include "beds.h"
#include "disclose.h"
#include "registry.h"
#include "shelterd.pb-c.h"
#include "store.h"

void wire_alert(Shelterd__V1__Alert *out, struct alert_state *a);
/*
 * Who looks at a placement (two-stage disclosure, docs/placements.md): the
 * held shelter is named only once it accepted, except to the shelter
 * itself; the requesting region learns the held region then too, and only
 * how far it is before.
 */
enum wire_view {
	WIRE_REQUESTER,    /* the requesting region */
	WIRE_COORDINATOR,  /* national, operator, the dashboard's token */
	WIRE_SHELTER,      /* the shelter that holds the bed */
};
/* exclude holds room for PLACE_EXCLUDE_MAX pointers. */
void wire_placement(Shelterd__V1__Placement *out, struct placement_state *p,
    char **exclude, enum wire_view view, const struct registry *reg,
    const struct disclosure *disc);
/* The view of a placement that identity who gets. */
enum wire_view wire_view_of(const struct identity *who);

/* One shelter's registry entry and live state as a ShelterReply, which
 * points into f (so f must stay put until packed). deadline_secs: its
 * reporting deadline in effect. */
struct shelter_fill {
	Shelterd__V1__ShelterReply sr;
	Shelterd__V1__BedCount beds[CAT_COUNT], *bp[CAT_COUNT];
	Shelterd__V1__BedCount planned[CAT_COUNT], *pp[CAT_COUNT];
	Shelterd__V1__Category cats[CAT_COUNT];
};
void wire_shelter(struct shelter_fill *f, const struct registry *reg,
    const struct reg_shelter *sh, const struct shelter_state *st,
    uint32_t deadline_secs);

/* The reserve beds of a category that could be activated, and where
 * (core/reserve.h), as an Alert's or Event's fields, which point into f. */
enum { WIRE_RESERVE_WHERE_MAX = 8 };
struct reserve_fill {
	uint32_t beds_24h, beds_72h;
	Shelterd__V1__ReserveWhere where[WIRE_RESERVE_WHERE_MAX];
	Shelterd__V1__ReserveWhere *ptrs[WIRE_RESERVE_WHERE_MAX];
	size_t n;
};
void wire_reserve(struct reserve_fill *f, const struct registry *reg,
    const struct reserve_overlay *ov, int category);

#endif
