/*
 * beds.h — bed categories, per-shelter state and region/national totals.
 *
 * Plain data and pure functions: no I/O. These structs are also the LMDB
 * value layout (see daemon/store.c), so fields are fixed-width and only ever
 * appended to, behind a bump of STORE_SCHEMA_VERSION.
 */
#ifndef SHELTERD_BEDS_H
#define SHELTERD_BEDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "names.h"
#include "shelterd.pb-c.h"

/* Categories are the proto's Category values 1..CAT_COUNT; index = value-1. */
enum { CAT_COUNT = 5 };

/* Shelter status, same numbers as the proto's ShelterStatus. */
enum sh_status {
	SH_STATUS_UNSPECIFIED = 0,
	SH_STATUS_OPEN = 1,
	SH_STATUS_INTAKE_PAUSED = 2,
	SH_STATUS_CLOSED = 3,
};

/* Escalation levels, same numbers as the proto's Level. LEVEL_INFO is not
 * an escalation: it marks the steps of a placement. */
enum esc_level {
	LEVEL_OK = 0,
	LEVEL_WARNING = 1,
	LEVEL_CRITICAL = 2,
	LEVEL_INFO = 3,
};

/* cat_name(), level_name(), status_name() and the other names. */

struct bed_counts {
	uint32_t capacity;
	uint32_t occupied;
	uint32_t out_of_service;
	/* Held by the daemon for a placement the shelter has not answered
	 * yet: not free. Kept across the shelter's own reports. */
	uint32_t held;
};

/* Beds now occupied that the shelter expects to be free within 24 h and
 * within 72 h (cumulative). */
struct bed_outlook {
	uint32_t free_24h;
	uint32_t free_72h;
};

/* What a shelter last reported, plus its escalation level per category. */
struct shelter_state {
	uint64_t seq;         /* 0: never reported */
	int64_t observed_at;  /* unix seconds, from the shelter */
	int64_t received_at;  /* unix seconds, when the daemon applied it */
	uint8_t status;       /* enum sh_status */
	uint8_t present;      /* bit (cat-1): category reported */
	uint8_t level[CAT_COUNT]; /* enum esc_level, shelter scope */
	uint8_t stale;        /* missed its reporting deadline */
	struct bed_counts beds[CAT_COUNT];
	/* Appended in schema 3, so that a schema 2 value only needs zeroes
	 * at its end (daemon/store.c migrates). */
	uint8_t forecast;     /* bit (cat-1): an outflow forecast is given */
	uint8_t reserved[3];
	struct bed_outlook expect[CAT_COUNT];
	/* Appended in schema 5 (daemon/reserves.c). Confirmed reserve beds
	 * open now, already counted in beds[].capacity: a report gives the
	 * shelter's own beds and the daemon adds these, as it keeps holds,
	 * until the activation is released or expires. */
	uint32_t reserve_open[CAT_COUNT];
	/* Reserve beds the shelter itself declared by report (bit (cat-1)
	 * of reserve_declared), in place of reserves.csv's. */
	uint8_t reserve_declared;
	uint8_t reserved5[3];
	struct reserve_decl {
		uint32_t beds_24h;
		uint32_t beds_72h;
	} reserve_decl[CAT_COUNT];
};

struct totals {
	uint32_t capacity;
	uint32_t occupied;
	uint32_t out_of_service;
	uint32_t free;
	uint32_t held;        /* held for placements */
	uint32_t unknown;     /* last known free beds of stale shelters */
	uint8_t level;        /* enum esc_level for this scope */
	uint8_t reserved[3];
};

/* Forecast outflow of an aggregate: only open shelters that are not
 * stale count, like free beds. */
struct outlook_totals {
	uint32_t free_24h;
	uint32_t free_72h;
	uint32_t forecasting; /* shelters giving a forecast */
	uint8_t early_level;  /* early warning, region scope */
	uint8_t reserved[3];
};

/*
 * How much of an aggregate's category is known. A shelter that never
 * reported is as unknown as a stale one; the registry says how many beds
 * there should be. registered_* come from the registry and are set when
 * the aggregates are rebuilt (daemon/occupancy.c); the rest follow the
 * shelter states (aggregate_add).
 */
struct coverage {
	uint32_t registered_capacity;
	uint32_t registered_shelters;
	uint32_t reported_shelters; /* reported this category, stale or not */
	uint32_t stale_shelters;
	uint32_t stale_capacity;    /* their reported capacity */
	uint8_t level;              /* coverage warning, enum esc_level */
	uint8_t reserved[3];
};

/* Region or national aggregate. */
struct aggregate {
	struct totals cat[CAT_COUNT];
	uint32_t shelters_reported;
	uint32_t shelters_stale;
	/* Appended in schema 3 (see shelter_state). */
	struct outlook_totals outlook[CAT_COUNT];
	/* Appended in schema 4: zeroes until the next rebuild, which every
	 * start does. */
	struct coverage cov[CAT_COUNT];
};

/*
 * Free beds of one category of one shelter: capacity less occupied, out of
 * service and held, never negative, and zero unless the shelter is open —
 * beds of a closed shelter or one that paused intake are not free.
 */
uint32_t beds_free(int status, const struct bed_counts *b);

/* Add (sign = +1) or remove (sign = -1) a shelter's contribution. A stale
 * shelter's free beds count as unknown, not free. */
void aggregate_add(struct aggregate *agg, const struct shelter_state *sh,
    int sign);

/* An aggregate's totals and outlook of one category (1..CAT_COUNT) as the
 * proto's CategoryTotals, for a reply or its JSON. */
void totals_fill(Shelterd__V1__CategoryTotals *out, int category,
    const struct totals *t, const struct outlook_totals *o,
    const struct coverage *c);
/* A cell this party may not see (core/disclose.h): its category and
 * `merged`, every count and level cleared. */
void totals_merge(Shelterd__V1__CategoryTotals *out);

/*
 * Known and unknown beds of an aggregate's category. Known: the capacity
 * of its shelters that reported and are not stale. Unknown: the rest of
 * the registered capacity (never reported, or stale), never negative.
 */
uint32_t cov_known_capacity(const struct totals *t, const struct coverage *c);
uint32_t cov_unknown_beds(const struct totals *t, const struct coverage *c);
uint32_t cov_never_reported(const struct coverage *c);
/* Known capacity in whole percent of the registered, at most 100; 100
 * where the registry has no capacity of this category. */
uint32_t cov_pct(const struct totals *t, const struct coverage *c);
/* The words of a coverage warning, e.g. "VR19 women: 12 of 20 beds
 * unknown; 3 shelters stale, 1 never reported". snprintf's result. */
int cov_text(char *buf, size_t len, const char *where,
    const char *category, uint32_t registered, uint32_t unknown,
    uint32_t stale, uint32_t never_reported);

/* Occupancy in whole percent, (capacity - free) * 100 / capacity; 0 when
 * there is no capacity. */
uint32_t totals_pct(const struct totals *t);

#endif
