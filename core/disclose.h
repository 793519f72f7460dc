/*
 * disclose.h — who may learn what about a shelter, as pure functions of
 * the registry, an identity and the thing shown (docs/security.md, "What
 * each party sees").
 *
 * Two rules:
 * - An event or alert that names a shelter goes to the national
 *   coordinator, the operator, the shelter's own region and the shelter
 *   itself, never on a broadcast channel.
 * - A region x category cell of fewer than k shelters is one shelter's
 *   (or two's) own figures. Public surfaces merge it into the national
 *   figure; so that the national figure minus the shown cells does not give
 *   it back, more cells are merged with it (smallest first) until the
 *   merged ones together hold at least k shelters and are at least two.
 */
#ifndef SHELTERD_DISCLOSE_H
#define SHELTERD_DISCLOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "authz.h"
#include "beds.h"
#include "registry.h"

/* Why a cell is not shown on a public surface. */
enum cell_mask {
	CELL_SHOWN = 0,
	CELL_SMALL = 1,       /* fewer than k shelters */
	CELL_COMPLEMENT = 2,  /* k or more, merged so the small one stays so */
};

struct disclosure {
	uint32_t k;
	size_t n_regions;
	uint32_t *shelters;   /* [region * CAT_COUNT + cat - 1] */
	uint8_t *mask;        /* same index: enum cell_mask */
	uint32_t national[CAT_COUNT];
	bool national_small[CAT_COUNT];
};

/* Count the registry's shelters per cell and decide the masks. 0, or -1
 * when out of memory. k = 1 shows everything. */
int disclose_init(struct disclosure *d, const struct registry *reg,
    uint32_t k);
void disclose_free(struct disclosure *d);

/* May a public surface show region r's figures of category cat (1..)?
 * cat 0: the region over all categories (shown when it holds k or more
 * shelters). */
bool disclose_cell_public(const struct disclosure *d, size_t r, int cat);
/* May it show the national figure of cat (0: all categories)? */
bool disclose_national_public(const struct disclosure *d, int cat);

/* What an event or alert is about (the proto's Scope values). */
struct subject {
	int scope;   /* 1 shelter, 2 region, 3 national, 4 placement */
	int kind;             /* EventKind; 0 for an alert */
	const char *region;   /* "" for national */
	const char *shelter;  /* "" unless it names one */
	int category;
};

/* May it go on a broadcast channel (the events socket, the public feed)? */
bool disclose_public(const struct disclosure *d, const struct registry *reg,
    const struct subject *sub);
/* May identity id see it (events_since, alerts)? The unsigned identity
 * exists only in the loopback demo mode, where everything is shown. */
bool disclose_may_see(const struct identity *id, const struct disclosure *d,
    const struct registry *reg, const struct subject *sub);
/* May id see region r's figures of cat (status)? Its own region's cells,
 * and every cell for national, operator and the demo mode. */
bool disclose_may_see_cell(const struct identity *id,
    const struct disclosure *d, const struct registry *reg, size_t r,
    int cat);

/*
 * Where a held bed is, as the requesting region may learn it before the
 * shelter accepts: its own region, a neighbouring one or farther, and only
 * when the regions of that class hold k or more shelters of the category
 * (else just "another region"). The proto's Proximity values.
 */
enum proximity {
	PROX_UNKNOWN = 0,
	PROX_OWN_REGION = 1,
	PROX_NEIGHBOURING = 2,
	PROX_FARTHER = 3,
	PROX_OTHER_REGION = 4,
};
int disclose_proximity(const struct disclosure *d,
    const struct registry *reg, int from_region, int held_region, int cat);

#endif
