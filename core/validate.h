/*
 * validate.h — what a shelter may report. Pure: a decoded OccupancyUpdate
 * and the registry in, a normalised shelter_state or a reason out.
 */
#ifndef SHELTERD_VALIDATE_H
#define SHELTERD_VALIDATE_H

#include <stdbool.h>

#include "beds.h"
#include "registry.h"
#include "shelterd.pb-c.h"

struct validate_limits {
	uint32_t max_beds;       /* per category and count; default 10000 */
	int64_t max_future_secs; /* observed_at ahead of our clock; 300 */
	int64_t max_seq_ahead_secs; /* seq (µs) ahead of our clock; 86400 */
};

void validate_limits_default(struct validate_limits *lim);

/*
 * Check an update against the registry and limits. On success returns 0,
 * sets *shelter and fills *out (seq, observed_at, status, present, beds,
 * forecasts and declared reserve beds; levels zero) and *over_occupied
 * (bit cat-1: occupied + out of service above capacity — real, accepted,
 * flagged). Otherwise returns a
 * SHELTERD__V1__CODE__* value and says why in err.
 */
int validate_update(const Shelterd__V1__OccupancyUpdate *u,
    const struct registry *reg, const struct validate_limits *lim,
    int64_t now, const struct reg_shelter **shelter,
    struct shelter_state *out, uint8_t *over_occupied, char *err,
    size_t errlen);

/*
 * The ack for an applied (or already applied) update, with a warning per
 * over-occupied category (bit cat-1). warn and wp give room for CAT_COUNT
 * warnings and must live until the ack is packed.
 */
void validate_fill_ack(Shelterd__V1__UpdateAck *ack,
    const Shelterd__V1__OccupancyUpdate *u, bool duplicate,
    uint8_t over_occupied, char (*warn)[96], char **wp);

/*
 * A seq counts microseconds by convention (shelter-report's default), so one
 * far in the future is a clock set wrong or a typo, and once stored it
 * would make every later report of the shelter STALE_SEQ. Returns 0 when
 * seq is at most max_ahead_secs ahead of now (unix seconds; compared in
 * whole seconds, so a report sent within the same second always passes),
 * else CODE_BAD_REQUEST with the reason in err. Small seqs (1, 2, 3...)
 * are far behind the clock and always pass.
 */
int validate_seq_ahead(uint64_t seq, int64_t now, int64_t max_ahead_secs,
    char *err, size_t errlen);

/*
 * Whether a refusal of an OccupancyUpdate (a CODE other than OK) is the
 * report's own fault, so that sending the same bytes again can never store
 * it: a queue may set it aside. Everything else (UNAUTHENTICATED,
 * FORBIDDEN, BUSY, STORE_FULL, INTERNAL, TOO_LARGE, codes this version
 * does not know) is the daemon's or the link's state, which an operator
 * can fix, so the report must stay queued. See docs/operations.md.
 */
bool validate_refusal_is_final(int code);

enum seq_verdict { SEQ_APPLY = 0, SEQ_DUPLICATE = 1 };

/*
 * Order a validated report against the stored state: SEQ_APPLY for a newer
 * seq, SEQ_DUPLICATE for a re-sent one with the same content; otherwise a
 * negative CODE (-STALE_SEQ, -SEQ_CONFLICT) with the reason in err.
 */
int validate_seq(const struct shelter_state *stored,
    const struct shelter_state *next, char *err, size_t errlen);

#endif
