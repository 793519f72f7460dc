/*
 * shortage.h — the structural shortage rule (docs/planning.md): is a
 * region and category short of beds for good, not just tonight? Pure: the
 * daemon turns the history into planning days (daemon/history.c) and
 * keeps the alert (daemon/planning.c); the rule only decides.
 *
 * It opens when, over the rolling window, the region's open capacity
 * ended every day below the norm (and the history covers the whole
 * window), or the region spent at least critical_days of it at or over
 * critical. Hysteresis: once open it stays open while capacity is below
 * the norm, or while critical days are fewer than clear_days below
 * critical_days; a shortage that cleared for capacity opens again only
 * after a whole window below the norm.
 */
#ifndef SHELTERD_SHORTAGE_H
#define SHELTERD_SHORTAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct shortage_params {
	uint32_t critical_days;   /* [planning] critical_days, >= 1 */
	uint32_t clear_days;      /* [planning] clear_days */
};

/* One planning day of a region and category. */
struct shortage_day {
	bool known;               /* the history covers some of it */
	bool critical;            /* at or over critical at some time */
	uint32_t capacity;        /* open capacity at its end */
};

struct shortage_in {
	const struct shortage_day *days; /* the window, oldest first */
	size_t n_days;
	bool covered;             /* history reaches back to its start */
	bool has_norm;
	uint32_t norm;
	uint32_t capacity;        /* open capacity now */
	bool open;                /* an alert is open now */
};

/* Why a shortage holds: bits of shortage_out.why. */
enum { SHORTAGE_BELOW_NORM = 1u << 0, SHORTAGE_CRITICAL_DAYS = 1u << 1 };

struct shortage_out {
	bool open;                /* what the alert should be */
	unsigned why;             /* SHORTAGE_* that would open it now */
	uint32_t days_critical;
	uint32_t days_below_norm;
};

void shortage_eval(const struct shortage_params *p,
    const struct shortage_in *in, struct shortage_out *out);

#endif
