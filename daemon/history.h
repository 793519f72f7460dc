/*
 * history.h — what shelterd remembers after the live picture has moved
 * on: occupancy samples per shelter and category, and the steps of
 * placement requests; their retention; and the monthly report and trend
 * queries built on them (docs/history.md).
 *
 * Samples and records are written in the txn of the change they record,
 * so the history never disagrees with what was acknowledged. Only the loop
 * thread writes (like everything in the store).
 */
#ifndef SHELTERD_HISTORY_H
#define SHELTERD_HISTORY_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stdint.h>

#include "beds.h"
#include "registry.h"
#include "report.h"
#include "shelterd.pb-c.h"
#include "shortage.h"
#include "store.h"

struct ctx;

/*
 * One shelter/category state, in effect from the time in its key until the
 * next sample of the same shelter and category. Written only when it
 * differs from the one before, so an unchanged report costs nothing.
 *
 * Key: big-endian unix seconds, big-endian counter: the db is a log, only
 * ever appended to (MDB_APPEND) and purged from its front. Keyed by shelter
 * instead, every batch would dirty leaf pages all over the tree: measured
 * 3.5x fewer updates/s for OccupancyBatch (docs/history.md).
 *
 * A checkpoint (once per UTC day, and at start) writes a marker (category
 * 0) followed by every shelter's current state, so that reading a period
 * needs only what follows the last checkpoint before it.
 */
struct hist_sample {
	char shelter[REG_ID_MAX]; /* "" for a checkpoint marker */
	uint32_t capacity, occupied, out_of_service, held;
	uint32_t free;          /* as beds_free(): 0 unless open */
	uint32_t expected_24h, expected_72h;
	uint8_t category;       /* 1..CAT_COUNT; 0: checkpoint marker */
	uint8_t status;         /* enum sh_status */
	uint8_t stale;
	uint8_t forecast;       /* the expected_* are a forecast */
	uint8_t present;        /* 0: the category left the shelter */
	uint8_t checkpoint;     /* written by a checkpoint, not a change */
	uint8_t reserved[2];
};

enum { HIST_SAMPLE_KEY = 8 + 4 };

/*
 * One step of a placement request: requested, accepted, declined, expired,
 * unplaced, cancelled (the proto's PlacementState). Key: big-endian unix
 * seconds, request id (NUL-padded), step, counter. case_ref is blanked
 * after [history] case_ref_retention_days.
 */
struct hist_placement {
	char request_id[48];
	char case_ref[48];
	char from_region[32];
	char held_region[32];   /* accepted, declined, expired: where */
	int64_t created_at;
	int64_t at;
	uint8_t step;
	uint8_t category, beds, urgency;
	uint8_t declines;       /* declined or expired so far */
	uint8_t reason;         /* declined: enum place_reason */
	uint8_t in_reserve;     /* held or accepted: reserve beds (schema 5;
				 * zero before) */
	uint8_t reserved[1];
};

enum { HIST_PLACE_KEY = 8 + 48 + 1 + 1 };

/* A shelter's state changes from *before to *after (api_store_shelter):
 * append a sample for every category that changed. */
int history_shelter(struct ctx *s, MDB_txn *txn,
    const struct reg_shelter *sh, const struct shelter_state *before,
    const struct shelter_state *after, int64_t now);

/* A placement request took a step (placements.c, step_event); steps that
 * the history does not keep (held) are ignored. */
int history_placement(struct ctx *s, MDB_txn *txn,
    const struct placement_state *p, int step, int64_t now);

/*
 * Housekeeping (on_tick): a checkpoint when the UTC day changed (or none
 * was written since start); retention: when due, delete or blank at most
 * [history] purge_batch expired samples and records in one write txn of
 * its own; the rest waits for the next tick, so ingest never waits long.
 */
void history_tick(struct ctx *s, int64_t now);

/* A trend of one region (or the nation, region -1) and category over
 * calendar days (core/report.h, report_trend_window). */
struct history_trend_query {
	int region;
	int category;
	uint32_t days;
	uint32_t buckets;       /* 0: one a day */
	uint32_t critical_pct, warning_pct;
	int64_t now;
};

struct history_trend {
	Shelterd__V1__Trend t;  /* the api's answer; points below */
	Shelterd__V1__TrendPoint *pts, **ptp;
	size_t n_samples;
};

/*
 * Read and compute a trend in txn, a read txn of the caller's own: the
 * api's trend query and the HTTP server's threads share it. t.region_id
 * points into reg. 0 or a STORE_* code; history_trend_free after 0.
 */
int history_trend(struct store *st, const struct registry *reg,
    MDB_txn *txn, const struct history_trend_query *q,
    struct history_trend *out);
void history_trend_free(struct history_trend *t);

/* Every region's trends and placement counts over the last days. */
struct history_overview {
	int64_t from, until, bucket_secs;
	size_t n_buckets, n_regions;
	/* [region][category - 1][bucket] */
	struct rep_point *points;
	/* Rows by region (n_regions: the nation) and category. */
	struct report report;
};

/*
 * For the HTTP server's threads (a read txn of their own): days 1 to 31,
 * calendar days in UTC; base gives critical_pct, public and k. 0 or a
 * STORE_* code; history_overview_free after 0.
 */
int history_overview(struct store *st, const struct registry *reg,
    MDB_txn *txn, uint32_t days, int64_t now,
    const struct rep_params *base, struct history_overview *out);
void history_overview_free(struct history_overview *o);

/*
 * Planning days (core/shortage.h) of every region and category: the
 * n_days days of day_secs seconds that end at until, oldest first, into
 * out[(region * CAT_COUNT + category - 1) * n_days + day]: critical (at or
 * over [escalation] region_critical_pct at any time, as the monthly
 * report counts) and the open capacity at the day's end. *covered: the
 * history reaches back to the first day's start. 0 or STORE_E*.
 */
int history_planning_days(struct ctx *s, MDB_txn *txn, int64_t until,
    uint32_t day_secs, size_t n_days, struct shortage_day *out,
    bool *covered);

/*
 * The monthly report's numbers (core/report.h) over [from, until) of
 * every region, for the plan; report_free() it. 0 or STORE_E*.
 */
struct report;
int history_window_report(struct ctx *s, MDB_txn *txn, int64_t from,
    int64_t until, struct report *out);

/*
 * The report and trend verbs (ops.h). A refusal is the item's result.
 * Otherwise the answer is computed on libuv's thread pool and sent from
 * the loop when ready (it->msg is taken). Without a thread pool it is
 * packed at once from rtxn.
 */
struct item;
void history_op_query(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
