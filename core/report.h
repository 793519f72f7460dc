/*
 * report.h — monthly statistics and trends from the history (see
 * docs/history.md). Pure: occupancy samples and placement records in,
 * rows out. The daemon reads them from LMDB (daemon/history.c); the unit
 * tests feed a fixture.
 *
 * Occupancy of a region/category is the live picture's definition,
 * (capacity - free) / capacity, built from every shelter's samples: a
 * step function that changes only when a sample says so.
 */
#ifndef SHELTERD_REPORT_H
#define SHELTERD_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beds.h"

/* One shelter/category state, in effect from `at` until the shelter's
 * next sample of that category. */
struct rep_sample {
	int64_t at;
	uint32_t shelter;   /* index < rep_params.n_shelters */
	uint16_t group;     /* region index < rep_params.n_groups */
	uint8_t category;   /* 1..CAT_COUNT */
	uint8_t reserved;
	uint32_t capacity;
	uint32_t free;      /* free as the live picture counts it */
	uint32_t occupied;
};

/* Placement steps, the proto's PlacementState numbers. */
enum rep_step {
	REP_REQUESTED = 1,
	REP_ACCEPTED = 3,
	REP_UNPLACED = 4,
	REP_CANCELLED = 5,
	REP_DECLINED = 6,
	REP_EXPIRED = 7,
};

/* One step of a placement request, as the history records it. */
struct rep_place {
	int64_t at;
	int64_t created_at;
	uint16_t group;        /* the requesting region */
	uint8_t category;
	uint8_t step;          /* enum rep_step */
	bool in_own_region;    /* accepted by a shelter of its own region */
	/* Declined: enum place_reason (core/placement.h); an expired step
	 * counts as "expired" whatever this holds. */
	uint8_t reason;
	/* Accepted: into reserve beds of held_group's shelter (counted for
	 * the region whose reserve it was, not the requesting one). */
	bool in_reserve;
	uint16_t held_group;   /* n_groups or more: not in the registry */
};

/*
 * A reserve activation (daemon/reserves.c) in its region: the beds it
 * asked for, and until when the beds confirmed for it count as capacity.
 */
struct rep_reserve {
	int64_t at;            /* activated */
	int64_t end;           /* released or expired at; still open: its
				* until (the report stops at rep_params.until
				* anyway) */
	uint32_t beds;         /* asked */
	uint16_t group;
	uint8_t category;
};

/* A shelter's confirmation of beds for an activation: they count from its
 * `at` to the activation's end. */
struct rep_confirm {
	int64_t at;
	uint32_t beds;
	uint32_t reserve;      /* index into rep_params.reserves */
};

/* Cells of a row that a public report may suppress (the proto's
 * ReportCell; bit 1 << cell of rep_row.suppressed). */
enum rep_cell {
	REP_CELL_OCCUPANCY = 1,
	REP_CELL_REQUESTED,
	REP_CELL_PLACED_IN_REGION,
	REP_CELL_PLACED_SUPRA,
	REP_CELL_UNPLACED,
	REP_CELL_CANCELLED,
	REP_CELL_DECLINES,
	REP_CELL_TTP,
	/* Reserve activations, with the beds they asked for. */
	REP_CELL_RESERVE_ACTIVATIONS,
	/* Beds confirmed and bed-days: hidden where fewer than k shelters of
	 * the region and category have reserve beds (one shelter's answer),
	 * and with them so that subtraction does not give them back. */
	REP_CELL_RESERVE_CONFIRMED,
	REP_CELL_PLACED_RESERVE,
};

struct rep_params {
	int64_t from, until;   /* [from, until): the month, or its past */
	uint32_t n_shelters;
	uint16_t n_groups;     /* regions; the national row is group n */
	uint32_t critical_pct; /* "at or over critical" */
	bool public;           /* suppress small cells */
	uint32_t k;            /* counts from 1 to k-1 are small */
	/* Public: [group * CAT_COUNT + cat - 1] (the nation is group
	 * n_groups) is a cell of too few shelters (core/disclose.h): its
	 * occupancy is theirs, shown only in the national row. NULL: none. */
	const uint8_t *few_shelters;
	/* Reserve activations and confirmations; NULL/0: none. */
	const struct rep_reserve *reserves;
	size_t n_reserves;
	const struct rep_confirm *confirms;
	size_t n_confirms;
	/* Public: [group * CAT_COUNT + cat - 1] (the nation is group
	 * n_groups), how many shelters have reserve beds of the category.
	 * NULL: none have. */
	const uint32_t *reserve_shelters;
};

struct rep_row {
	uint16_t group;        /* n_groups: national */
	uint8_t category;
	double avg_pct, peak_pct;
	int64_t occupancy_secs; /* with capacity > 0 */
	uint32_t days_critical;
	uint32_t peak_capacity, peak_occupied;
	uint32_t requested, placed_in_region, placed_supra, unplaced;
	uint32_t cancelled, declines;
	int64_t ttp_median, ttp_p90; /* -1: no accepted placement */
	/* Reserve beds: activations made in the period and the beds they
	 * asked for; beds confirmed in the period; confirmed beds times the
	 * seconds of the period they counted as capacity (whenever
	 * confirmed); placements accepted into reserve beds in the period,
	 * for the region whose reserve beds they were. */
	uint32_t reserve_activations, reserve_beds_asked;
	uint32_t reserve_beds_confirmed;
	int64_t reserve_bed_secs;
	uint32_t placed_reserve;
	/* Public reports: bit 1 << enum rep_cell for every hidden cell;
	 * complementary holds those among them hidden only so that another
	 * cannot be worked out by subtraction (a count so hidden is k or
	 * more; "<k" is for the others). */
	uint32_t suppressed;
	uint32_t complementary;
};

struct rep_decline {
	uint16_t group;
	uint8_t category;
	bool suppressed;
	bool complementary;    /* hidden although k or more (see rep_row) */
	uint32_t count;
	uint8_t reason;        /* enum place_reason */
};

struct report {
	struct rep_row *rows;  /* by group, then category */
	size_t n_rows;
	struct rep_decline *declines; /* by group, category, count desc */
	size_t n_declines;
	uint32_t suppressed_cells;
};

/*
 * Build the report. Samples may come in any order and should include, per
 * shelter and category, the last one before `from` (the state the month
 * starts in). Rows exist for every group/category with capacity,
 * placement or reserve activity in the period (reserves: p->reserves and
 * p->confirms). 0, or -1 when out of memory.
 */
int report_build(const struct rep_params *p, const struct rep_sample *s,
    size_t n, const struct rep_place *pl, size_t npl, struct report *out);
void report_free(struct report *r);

/* "YYYY-MM" -> [from, until) in unix seconds, UTC; 0 or -1. */
int report_month_range(const char *month, int64_t *from, int64_t *until);

/* Days since 1970-01-01 for a proleptic Gregorian date. */
int64_t report_days_from_civil(int64_t y, unsigned m, unsigned d);

/* One bucket of a trend. */
struct rep_point {
	int64_t from;
	double avg_pct, peak_pct;
	int64_t data_secs;     /* 0: no history in the bucket */
	uint32_t min_free;
	uint32_t capacity;     /* at the end of the bucket */
};

/*
 * The window of a trend over `days` calendar days (UTC) up to and
 * including the day of `now`, cut into `buckets` equal buckets (0: one a
 * day): *from is midnight UTC of the first day, *end midnight after
 * today, so that a daily bucket is one date and is labelled by it. 0, or
 * -1 when days is 0 or the buckets do not divide the days into whole
 * seconds.
 */
int report_trend_window(int64_t now, uint32_t days, uint32_t buckets,
    int64_t *from, int64_t *end, int64_t *bucket_secs);

/*
 * Occupancy of one series (the samples of one region's shelters, or of all
 * of them, for one category) in n buckets of bucket_secs each from
 * p->from; the data stops at p->until (now), so the last buckets may be
 * partial or empty. Samples of other categories are ignored; p->n_groups
 * and public are unused. 0, or -1 when out of memory or bucket_secs < 1.
 */
int report_trend(const struct rep_params *p, int category,
    int64_t bucket_secs, const struct rep_sample *s, size_t n,
    struct rep_point *out, size_t n_buckets);

#endif
