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
#include "shelterd.pb-c.h"
#include "store.h"

struct server;

/*
 * One shelter/category state, in effect from the time in its key until the
 * next sample of the same shelter and category. Written only when it
 * differs from the one before, so an unchanged report costs nothing.
 * Key: shelter id (NUL-padded to REG_ID_MAX), category, big-endian unix
 * seconds, big-endian counter (several changes in one second).
 */
struct hist_sample {
	uint32_t capacity, occupied, out_of_service, held;
	uint32_t free;          /* as beds_free(): 0 unless open */
	uint32_t expected_24h, expected_72h;
	uint8_t status;         /* enum sh_status */
	uint8_t stale;
	uint8_t forecast;       /* the expected_* are a forecast */
	uint8_t present;        /* 0: the category left the shelter */
};

enum { HIST_SAMPLE_KEY = REG_ID_MAX + 1 + 8 + 4 };

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
	char reason[96];        /* declined: the shelter's reason */
	int64_t created_at;
	int64_t at;
	uint8_t step;
	uint8_t category, beds, urgency;
	uint8_t declines;       /* declined or expired so far */
	uint8_t reserved[3];
};

enum { HIST_PLACE_KEY = 8 + 48 + 1 + 1 };

/* Purge progress, kept in struct server (zero at start). */
struct history {
	int64_t next_purge_at;
	int64_t case_ref_done;  /* place_log before this holds no case_ref */
	unsigned more;          /* bit per purge step that ran out of budget */
	bool has_resume;
	unsigned char sample_resume[HIST_SAMPLE_KEY]; /* next sample key */
};

/* A shelter's state changes from *before to *after (api_store_shelter):
 * append a sample for every category that changed. */
int history_shelter(struct server *s, MDB_txn *txn,
    const struct reg_shelter *sh, const struct shelter_state *before,
    const struct shelter_state *after, int64_t now);

/* A placement request took a step (placements.c, step_event); steps that
 * the history does not keep (held) are ignored. */
int history_placement(struct server *s, MDB_txn *txn,
    const struct placement_state *p, int step, int64_t now);

/*
 * Retention (on_tick): when due, delete or blank at most [history]
 * purge_batch expired samples and records in one write txn of its own;
 * the rest waits for the next tick, so ingest never waits long.
 */
void history_tick(struct server *s, int64_t now);

/*
 * ReportQuery and TrendQuery: pack the reply into msg. 0; a positive CODE
 * with the reason in err; or a negative STORE_* error.
 */
int history_query(struct server *s, MDB_txn *txn,
    const Shelterd__V1__Request *req, Shelterd__V1__Reply *reply,
    nng_msg *msg, void (*pack)(nng_msg *, const Shelterd__V1__Reply *),
    char *err, size_t errlen);

#endif
