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
};

void validate_limits_default(struct validate_limits *lim);

/*
 * Check an update against the registry and limits. On success returns 0,
 * sets *shelter and fills *out (seq, observed_at, status, present, beds;
 * levels zero) and *over_occupied (bit cat-1: occupied + out of service
 * above capacity — real, accepted, flagged). Otherwise returns a
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

enum seq_verdict { SEQ_APPLY = 0, SEQ_DUPLICATE = 1 };

/*
 * Order a validated report against the stored state: SEQ_APPLY for a newer
 * seq, SEQ_DUPLICATE for a re-sent one with the same content; otherwise a
 * negative CODE (-STALE_SEQ, -SEQ_CONFLICT) with the reason in err.
 */
int validate_seq(const struct shelter_state *stored,
    const struct shelter_state *next, char *err, size_t errlen);

#endif
