/*
 * reserve.h — contingency reserve beds: beds a shelter can open on
 * request, within 24 h and within 72 h (as EDXL-HAVE's surge fields),
 * per category (reserves.csv in the registry, docs/registry.md). They
 * are not capacity until activated; the registry only says where they
 * are. Pure: the registry's line reader splits the rows (core/registry.c).
 */
#ifndef SHELTERD_RESERVE_H
#define SHELTERD_RESERVE_H

#include <stddef.h>
#include <stdint.h>

#include "beds.h"

struct registry;

enum { RESERVE_BEDS_MAX = 10000 };

struct reg_reserve {
	char shelter[32];       /* a registry shelter's id */
	uint8_t category;       /* 1..CAT_COUNT */
	uint32_t beds_24h;      /* can open within 24 h */
	uint32_t beds_72h;      /* within 72 h, including beds_24h */
	uint32_t line;          /* in reserves.csv, for error messages */
};

/*
 * One row of reserves.csv, already split: shelter,category,beds_24h,
 * beds_72h and optionally source (registry or report, as `shelterctl
 * export --reserves` prints it). A header row ("shelter,...") is
 * skipped, and so is a row whose source is report: a shelter's own
 * declaration is the shelter's to change, by report, not the registry's.
 * Appends to reg->reserves and returns 0, or -1 with "reserves line N:
 * ..." in err.
 */
int reserve_row(struct registry *reg, char **f, int nf, unsigned line,
    char *err, size_t errlen);

/* After the last row: refuses a shelter and category listed twice. */
int reserve_finish(struct registry *reg, char *err, size_t errlen);

/*
 * What shelters declared by report (BedCount.has_reserve), per shelter of
 * one registry (its index) and category: these figures count in place of
 * reserves.csv's row for that shelter and category, 0/0 included ("none
 * now"). A copy of the stored states' reserve_declared and reserve_decl,
 * so that a sum need not read every shelter's state.
 */
struct reserve_overlay {
	size_t n_shelters;      /* of the registry it follows */
	uint8_t *declared;      /* per shelter: bit (cat-1) */
	struct reserve_decl (*decl)[CAT_COUNT];
	/* The shelters that declared anything, in the order noted: a sum
	 * visits these, not all n_shelters (100,000 in the benchmarks). */
	uint32_t *list;
	size_t n_list;
};

/* For a registry of n_shelters, nothing declared: 0, or -1 (memory). */
int reserve_overlay_init(struct reserve_overlay *ov, size_t n_shelters);
void reserve_overlay_free(struct reserve_overlay *ov);
/* Shelter (registry index) has the stored state st now. */
void reserve_overlay_note(struct reserve_overlay *ov, size_t shelter,
    const struct shelter_state *st);

/*
 * The reserve beds of region (an index; -1: the whole country) and
 * category (1-based) in *b24 and *b72: a shelter's declared figures
 * where ov has them (ov follows reg; NULL: none), else reserves.csv's.
 * Reserves of shelters no longer in the registry (an import removed
 * them) count nowhere.
 */
void reserve_sum(const struct registry *reg, const struct reserve_overlay *ov,
    int region, int category, uint32_t *b24, uint32_t *b72);

/* A region's reserve beds of one category (reserve_where). */
struct reserve_region {
	uint16_t region;        /* index into regions */
	uint32_t beds_24h, beds_72h;
};

/*
 * Where the reserve beds of a category are: the regions with any, most
 * beds within 72 h first (then within 24 h, then registry order), at
 * most max of them into out. Returns how many were written.
 */
size_t reserve_where(const struct registry *reg,
    const struct reserve_overlay *ov, int category,
    struct reserve_region *out, size_t max);

/* Why an activation is refused (reserve_check), as the wire's codes. */
enum reserve_refusal {
	RESERVE_OK = 0,
	RESERVE_BAD_REQUEST,      /* unknown region, beds, date, reason */
	RESERVE_UNKNOWN_CATEGORY,
	RESERVE_NOT_ENOUGH,       /* more beds than the region's reserve */
};

enum { RESERVE_REASON_MAX = 79, RESERVE_MAX_SECS = 366 * 86400 };

/*
 * May `beds` reserve beds of category in region be activated until
 * `until` (unix seconds) for reason, at `now`? RESERVE_OK with the
 * region's index in *region, or the refusal with what is wrong (and what
 * to do) in err. Beds may not exceed the region's reserve within 72 h
 * (reserve_sum with ov).
 */
enum reserve_refusal reserve_check(const struct registry *reg,
    const struct reserve_overlay *ov, const char *region_id, int category,
    uint32_t beds, int64_t until, const char *reason, int64_t now,
    int *region, char *err, size_t errlen);

/*
 * The reserves in force as reserves.csv text with a fifth column,
 * source: registry (reserves.csv's, or the last import's) or report (a
 * shelter's declaration, which wins). The registry's rows in their
 * order, then the declared ones in ov's. Rows of shelters no longer in
 * the registry are left out. malloc'd; NULL when out of memory.
 */
char *reserve_format(const struct registry *reg,
    const struct reserve_overlay *ov);

/*
 * A copy of base with the reserves of reserves_csv (an import): *out
 * must not be in use. Returns 0, or -1 with "reserves line N: ..." in
 * err and N in *err_line (0 when the error is not about one line).
 */
int reserve_registry(struct registry *out, const struct registry *base,
    const char *reserves_csv, char *err, size_t errlen, unsigned *err_line);

#endif
