/*
 * escalate.h — escalation rules: pure functions from counts to levels, and
 * the one place that applies a shelter's new report to its region and the
 * nation and says which levels changed.
 */
#ifndef SHELTERD_ESCALATE_H
#define SHELTERD_ESCALATE_H

#include "beds.h"

struct esc_thresholds {
	uint32_t region_warning_pct;  /* default 90 */
	uint32_t region_critical_pct; /* default 100 */
	/* A region level is released only when occupancy drops this many
	 * points below the level's threshold: 90 % raises a warning, under
	 * 85 % clears it (default 5). */
	uint32_t hysteresis_pct;
	/* A full shelter/category, or a nation with no free bed, clears only
	 * when at least this many beds are free again (default 1). */
	uint32_t shelter_clear_free;
	uint32_t national_clear_free;
	/* Early warning for a region/category where shelters give outflow
	 * forecasts: raised when, even with the beds expected to free within
	 * 24 h, occupancy is at or above this; released hysteresis_pct below
	 * it, or at 1 % if that is lower (default 80; 0: off). */
	uint32_t early_warning_pct;
	/* Region and national occupancy levels are raised only where at
	 * least this much of the registered capacity is known (reported,
	 * not stale); below it a coverage warning says how much is unknown,
	 * released hysteresis_pct above it (default 50; 0: off). */
	uint32_t min_coverage_pct;
};

void esc_thresholds_default(struct esc_thresholds *t);
/* 0, or -1 with a reason in err when the thresholds make no sense. */
int esc_thresholds_check(const struct esc_thresholds *t, char *err,
    size_t errlen);

enum esc_scope { SCOPE_SHELTER = 1, SCOPE_REGION = 2, SCOPE_NATIONAL = 3 };

/* Whether occupancy levels may be raised here: enough is known. */
bool esc_covered(const struct esc_thresholds *th, const struct totals *t,
    const struct coverage *c);
/* Coverage warning: LEVEL_WARNING while less than min_coverage_pct of the
 * registered capacity is known, released hysteresis_pct above it (or at
 * 100 %). */
int esc_coverage_level(const struct esc_thresholds *th, int current,
    uint32_t registered, uint32_t known);

/* New level for a region/category with this capacity and free count. */
int esc_region_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free);
/* Shelter/category: warning when no bed is free. */
int esc_shelter_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free);
/* Nation/category: critical when no bed is free anywhere. */
int esc_national_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free);
/*
 * Region/category early warning: LEVEL_WARNING when
 * (capacity - free - expected_24h) >= early_warning_pct of capacity, with
 * the same hysteresis as the region level. Only where at least one
 * shelter gives a forecast (forecasting > 0): without one, nothing is
 * known beyond the region level itself, which is left to do its job.
 */
int esc_early_level(const struct esc_thresholds *t, int current,
    uint32_t capacity, uint32_t free, uint32_t expected_24h,
    uint32_t forecasting);

/* What a transition is about (the proto's EventKind). */
enum esc_kind {
	ESC_KIND_OCCUPANCY = 0,
	ESC_KIND_EARLY_WARNING = 10,
	ESC_KIND_COVERAGE = 11,
};

struct esc_transition {
	uint8_t scope;    /* enum esc_scope */
	uint8_t level;    /* new level */
	uint8_t previous; /* old level */
	uint8_t category; /* 1..CAT_COUNT */
	uint32_t capacity;
	uint32_t free;
	uint8_t kind;     /* enum esc_kind */
	uint32_t expected_24h; /* ESC_KIND_EARLY_WARNING */
	/* ESC_KIND_COVERAGE: capacity is the registered one; these say what
	 * of it is unknown and why. */
	uint32_t unknown;
	uint32_t stale_shelters;
	uint32_t never_reported;
};

/* At most one transition per scope and category, one early warning per
 * region category and one coverage warning per region and national
 * category. */
enum { ESC_MAX_TRANSITIONS = 6 * CAT_COUNT };

/*
 * Replace shelter state *sh by *next (whose levels are ignored), keeping
 * region and nation totals in step, and re-evaluate every level the change
 * touches. Writes the transitions to out (room for ESC_MAX_TRANSITIONS) and
 * returns how many there are. Categories the new report omits keep nothing:
 * a report is the shelter's full picture. Marking a shelter stale is also
 * an esc_apply: the same state with stale = 1.
 */
size_t esc_apply(const struct esc_thresholds *t, struct shelter_state *sh,
    struct aggregate *region, struct aggregate *nation,
    const struct shelter_state *next, struct esc_transition *out);

/*
 * Re-evaluate all levels of an aggregate (after thresholds changed or the
 * registry moved a shelter); appends transitions like esc_apply. For
 * SCOPE_REGION that includes the early warnings (after the region
 * levels); then the coverage warnings: out needs room for 3 * CAT_COUNT.
 * Region and national levels are computed over known beds, and raised
 * only where esc_covered().
 */
size_t esc_reevaluate(const struct esc_thresholds *t, int scope,
    struct aggregate *agg, struct esc_transition *out);

#endif
