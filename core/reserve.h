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
 * beds_72h. A header row ("shelter,...") is skipped. Appends to
 * reg->reserves and returns 0, or -1 with "reserves line N: ..." in err.
 */
int reserve_row(struct registry *reg, char **f, int nf, unsigned line,
    char *err, size_t errlen);

/* After the last row: refuses a shelter and category listed twice. */
int reserve_finish(struct registry *reg, char *err, size_t errlen);

/*
 * The reserve beds of region (an index; -1: the whole country) and
 * category (1-based) in *b24 and *b72. Reserves of shelters no longer in
 * the registry (an import removed them) count nowhere.
 */
void reserve_sum(const struct registry *reg, int region, int category,
    uint32_t *b24, uint32_t *b72);

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
size_t reserve_where(const struct registry *reg, int category,
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
 * to do) in err. Beds may not exceed the region's reserve within 72 h.
 */
enum reserve_refusal reserve_check(const struct registry *reg,
    const char *region_id, int category, uint32_t beds, int64_t until,
    const char *reason, int64_t now, int *region, char *err,
    size_t errlen);

#endif
