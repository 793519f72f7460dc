/*
 * placement.h — which shelter gets a supra-regional placement request.
 * Pure: the registry, the shelters' states and the request in; a ranked
 * list of candidates out. See docs/placements.md for the rule.
 */
#ifndef SHELTERD_PLACEMENT_H
#define SHELTERD_PLACEMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beds.h"
#include "registry.h"

enum { PLACE_EXCLUDE_MAX = 16, PLACE_TRIED_MAX = 32, PLACE_BEDS_MAX = 20 };

struct place_query {
	int category;                  /* 1..CAT_COUNT */
	uint32_t beds;                 /* 1..PLACE_BEDS_MAX */
	uint32_t security_level;       /* at least this */
	int from_region;               /* region index */
	bool allow_own_region;         /* default: outside from_region only */
	uint16_t exclude[PLACE_EXCLUDE_MAX]; /* region indexes */
	size_t n_exclude;
	/* Shelters that declined or let a hold expire: never again. */
	uint32_t tried[PLACE_TRIED_MAX]; /* shelter indexes */
	size_t n_tried;
};

struct place_candidate {
	uint32_t shelter;              /* index into registry shelters */
	uint32_t hops;                 /* region distance from from_region */
	uint32_t free;                 /* free beds of the category */
};

/* The states of all registry shelters, by index (seq 0: never reported). */
typedef const struct shelter_state *(*place_state_fn)(void *arg,
    uint32_t shelter);

/*
 * Hops between regions over the adjacency table, breadth first; regions
 * that cannot be reached get UINT32_MAX. dist has room for n_regions.
 */
void place_region_hops(const struct registry *reg, int from,
    uint32_t *dist);

/*
 * Rank the eligible shelters. Eligible: has the category in the registry,
 * has reported, is open and not stale, has at least q->beds free, its
 * security level is at least q->security_level, its region is not excluded
 * (nor from_region unless allowed), and it was not tried before. Ranked by
 * region hops from from_region (neighbours first), then most free beds,
 * then shelter id. Writes at most max candidates; returns how many there
 * are in all (which may exceed max).
 */
size_t place_rank(const struct registry *reg, const struct place_query *q,
    place_state_fn state, void *arg, struct place_candidate *out,
    size_t max);

/*
 * A case_ref must be pseudonymous: 6 to 40 characters of A-Z, a-z, 0-9
 * and '-', at least 3 digits, at most 3 letters and all of them in one
 * '-'-group (a region code: two groups of letters read as a name), no
 * spaces, and nothing that reads as a date, padded (1990-05-17,
 * 17-05-1990, 17051990) or loose (1990-5-17, 17-5-1990, 17-05-90). The
 * forms are listed in docs/placements.md. Returns 0, or -1 with the
 * reason in err.
 */
int place_check_case_ref(const char *ref, char *err, size_t errlen);

/*
 * Whether a shelter may accept a hold of beds beds of category (1-based),
 * by its latest report st: not when it reported itself closed, nor when its
 * capacity less occupied and out of service leaves fewer than beds (the
 * held beds are counted among those, so other holds do not count against
 * it: the first to accept gets the room). Returns 0, or -1 with the reason
 * in err.
 */
int place_accept_check(const struct shelter_state *st, int category,
    uint32_t beds, char *err, size_t errlen);

/* Why a hold was declined: the proto's DeclineReason numbers. A closed
 * list, never free text: a reason can then not carry personal data. */
enum place_reason {
	PLACE_REASON_NONE = 0,
	PLACE_REASON_NO_BED = 1,
	PLACE_REASON_SAFETY_CONFLICT = 2,
	PLACE_REASON_SECURITY_LEVEL = 3,
	PLACE_REASON_NO_MATCH = 4,     /* target group or care needs */
	PLACE_REASON_OTHER = 5,
	PLACE_REASON_EXPIRED = 6,      /* the hold ran out unanswered */
	PLACE_REASON_COUNT = 7,
};

/* A reason a shelter may give in a decline (1 to 5, not expired). */
bool place_reason_answerable(int reason);
/* "no-bed", "safety-conflict", ...: the key of the CLI, JSON and CSV;
 * "unknown" outside the list. */
const char *place_reason_key(int reason);
/* "no bed after all", ...: the words of reports and pages. */
const char *place_reason_text(int reason);
/* A key back to its reason; -1 when it is not on the list. */
int place_reason_parse(const char *key);

#endif
