#include "placement.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

/* ---- region hops ----------------------------------------------------- */

/* Breadth first with a FIFO of region indexes; queue has n_regions room,
 * which suffices because each region is queued at most once. */
static void
hops_bfs(const struct registry *reg, size_t from, uint32_t *dist,
    uint32_t *queue)
{
	size_t head = 0, tail = 0;

	dist[from] = 0;
	queue[tail++] = (uint32_t)from;
	while (head < tail) {
		uint32_t at = queue[head++];
		const struct reg_region *r = &reg->regions[at];
		uint32_t d = dist[at] + 1;
		size_t n = r->n_neighbours;

		if (n > REG_NEIGHBOURS_MAX)
			n = REG_NEIGHBOURS_MAX;
		for (size_t j = 0; j < n; j++) {
			uint16_t nb = r->neighbours[j];

			if (nb >= reg->n_regions || dist[nb] != UINT32_MAX)
				continue;
			dist[nb] = d;
			queue[tail++] = nb;
		}
	}
}

/* Same distances without a queue, one sweep per level: only used when
 * there is no memory for the queue, so a hold is still placed sensibly.
 * O(regions * diameter), fine for the tens of regions there are. */
static void
hops_sweep(const struct registry *reg, size_t from, uint32_t *dist)
{
	bool grew = true;

	dist[from] = 0;
	for (uint32_t d = 0; grew; d++) {
		grew = false;
		for (size_t i = 0; i < reg->n_regions; i++) {
			const struct reg_region *r = &reg->regions[i];
			size_t n = r->n_neighbours;

			if (dist[i] != d)
				continue;
			if (n > REG_NEIGHBOURS_MAX)
				n = REG_NEIGHBOURS_MAX;
			for (size_t j = 0; j < n; j++) {
				uint16_t nb = r->neighbours[j];

				if (nb < reg->n_regions &&
				    dist[nb] == UINT32_MAX) {
					dist[nb] = d + 1;
					grew = true;
				}
			}
		}
	}
}

void
place_region_hops(const struct registry *reg, int from, uint32_t *dist)
{
	uint32_t *queue;

	for (size_t i = 0; i < reg->n_regions; i++)
		dist[i] = UINT32_MAX;
	if (from < 0 || (size_t)from >= reg->n_regions)
		return; /* nowhere to start: everything is unreachable */
	queue = malloc(reg->n_regions * sizeof(*queue));
	if (queue == NULL) {
		hops_sweep(reg, (size_t)from, dist);
		return;
	}
	hops_bfs(reg, (size_t)from, dist, queue);
	free(queue);
}

/* ---- ranking --------------------------------------------------------- */

/* The candidate plus its id, because qsort gives the comparator no way to
 * reach the registry. */
struct ranked {
	struct place_candidate c;
	const char *id;
};

static int
ranked_cmp(const void *pa, const void *pb)
{
	const struct ranked *a = pa, *b = pb;
	int s;

	if (a->c.hops != b->c.hops)
		return a->c.hops < b->c.hops ? -1 : 1;
	if (a->c.free != b->c.free)
		return a->c.free > b->c.free ? -1 : 1; /* most free first */
	if ((s = strcmp(a->id, b->id)) != 0)
		return s;
	/* Registry ids are unique, but qsort is not stable: the index makes
	 * the order total so the same input always ranks the same way. */
	if (a->c.shelter != b->c.shelter)
		return a->c.shelter < b->c.shelter ? -1 : 1;
	return 0;
}

static bool
was_tried(const struct place_query *q, uint32_t shelter)
{
	size_t n = q->n_tried < PLACE_TRIED_MAX ? q->n_tried : PLACE_TRIED_MAX;

	for (size_t i = 0; i < n; i++)
		if (q->tried[i] == shelter)
			return true;
	return false;
}

/* Eligibility of one shelter, as the header states it; on success *nfree
 * holds its free beds of the category. skip_region[r] is non-zero for the
 * excluded regions and, unless allowed, from_region. */
static bool
eligible(const struct registry *reg, const struct place_query *q,
    const uint8_t *skip_region, uint32_t i, const struct shelter_state *st,
    uint32_t *nfree)
{
	const struct reg_shelter *sh = &reg->shelters[i];
	unsigned bit = 1u << (q->category - 1);

	if (!(sh->categories & bit))
		return false;
	if (st == NULL || st->seq == 0)
		return false; /* never reported: its beds are not known */
	if (st->status != SH_STATUS_OPEN || st->stale)
		return false; /* stale: last known free beds may be gone */
	if (!(st->present & bit))
		return false;
	/* beds_free is the one place that knows what a free bed is,
	 * including that a bed held for another placement is not one. */
	*nfree = beds_free(st->status, &st->beds[q->category - 1]);
	if (*nfree < q->beds)
		return false;
	if (sh->security_level < q->security_level)
		return false;
	if (sh->region >= reg->n_regions || skip_region[sh->region])
		return false;
	/* Last: the only check that is not O(1). */
	return !was_tried(q, i);
}

/* The documented ranges; anything else is a caller bug, and ranking it
 * anyway (category 0 would shift a bit by -1) would be worse. */
static bool
query_ok(const struct registry *reg, const struct place_query *q)
{
	return q->category >= 1 && q->category <= CAT_COUNT &&
	    q->beds >= 1 && q->beds <= PLACE_BEDS_MAX &&
	    q->from_region >= 0 && (size_t)q->from_region < reg->n_regions;
}

size_t
place_rank(const struct registry *reg, const struct place_query *q,
    place_state_fn state, void *arg, struct place_candidate *out,
    size_t max)
{
	uint32_t *dist;
	uint8_t *skip;
	struct ranked *r;
	size_t n = 0, n_excl;

	if (!query_ok(reg, q))
		return 0;
	/* One block: hops, then the skip flags, both per region. There is
	 * no error channel in the signature; out of memory reads as "no
	 * candidate", which malloc on Linux practically never produces. */
	dist = malloc(reg->n_regions * (sizeof(*dist) + sizeof(*skip)));
	if (dist == NULL)
		return 0;
	skip = (uint8_t *)(dist + reg->n_regions);
	r = malloc((reg->n_shelters ? reg->n_shelters : 1) * sizeof(*r));
	if (r == NULL) {
		free(dist);
		return 0;
	}

	place_region_hops(reg, q->from_region, dist);
	memset(skip, 0, reg->n_regions);
	n_excl = q->n_exclude < PLACE_EXCLUDE_MAX ? q->n_exclude :
	    PLACE_EXCLUDE_MAX;
	for (size_t i = 0; i < n_excl; i++)
		if (q->exclude[i] < reg->n_regions)
			skip[q->exclude[i]] = 1;
	if (!q->allow_own_region)
		skip[q->from_region] = 1;

	for (size_t i = 0; i < reg->n_shelters; i++) {
		uint32_t nfree;

		if (!eligible(reg, q, skip, (uint32_t)i,
		    state(arg, (uint32_t)i), &nfree))
			continue;
		r[n].c.shelter = (uint32_t)i;
		r[n].c.hops = dist[reg->shelters[i].region];
		r[n].c.free = nfree;
		r[n].id = reg->shelters[i].id;
		n++;
	}
	qsort(r, n, sizeof(*r), ranked_cmp);
	for (size_t i = 0; i < n && i < max; i++)
		out[i] = r[i].c;
	free(r);
	free(dist);
	return n;
}

/* ---- case_ref -------------------------------------------------------- */

/*
 * What a region is expected to send: its own pseudonymous numbering, e.g.
 *
 *   VR09-2026-0042  region, year, sequence: accepted. "2026-0042" is no
 *                   date shape below; read as 20260042 it would have
 *                   month 00 anyway.
 *   UT-1234-AB      accepted
 *   R1-000123       accepted
 *   A7-19-4411      accepted
 *
 * and what it must not:
 *
 *   Maria Jansen    a space (and a name)
 *   CASE-77-0042    "CASE": 4 letters in a row read as a name
 *   VR-1990-05-17   YYYY-MM-DD         VR-17-05-1990   DD-MM-YYYY
 *   VR-19900517     YYYYMMDD           VR-17051990     DDMMYYYY
 *   A1-22           too short (5)      AB-CD-1         fewer than 3 digits
 *   VR/2026/42      '/' is not allowed
 *
 * A date is one of those four shapes, compact or with '-' between all
 * three groups, anywhere in the string (a date inside a longer number
 * counts too), with 1900 <= year <= 2100, 1 <= month <= 12 and
 * 1 <= day <= 31. Compact two-digit years (170590) are not refused: too
 * many serial numbers look like one. Neither are half-separated forms
 * (2026-1015), so region-year-number references stay usable for the
 * numbers 0101..1231.
 *
 * Dates written loosely are refused too when they stand as three groups
 * of digits between '-': year-month-day, day-month-year or month-day-year,
 * with a year of 4 digits (1900..2100) or of 2 (any), and a month and day
 * of 1 or 2 digits:
 *
 *   VR09-1990-5-17  year-month-day     VR09-17-5-1990  day-month-year
 *   Bo-17-05-90     day-month-year (and 'Bo' is no region code anyway)
 *
 * Letters: at most 3 in all, and all in one group, which is where a
 * region code goes (VR09, UT, LG). Two groups of letters read as a first
 * name and a surname, however short:
 *
 *   Eva-Bos-123     letters in 2 groups   Ann-Li-0042   the same
 *   UT-1234-AB      the same (write UT-1234 or UT-1234-01)
 *   A1B2C3D4        4 letters in all
 *
 * Character classes are spelled out in ASCII rather than taken from
 * <ctype.h>, whose answers for bytes >= 0x80 depend on the locale.
 */
#define CASE_REF_MIN 6
#define CASE_REF_MAX 40
#define CASE_REF_SHAPE "use a pseudonymous reference like VR09-2026-0042"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_letter(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static bool
is_printable(char c)
{
	return c >= 0x20 && c < 0x7f;
}

/* The refused ref goes back to the sender to show what was refused:
 * clipped, and with anything unprintable replaced, so that a message
 * never carries control bytes or an unbounded string. */
static void
clip_ref(const char *ref, char *buf, size_t buflen)
{
	size_t i;

	for (i = 0; ref[i] != '\0' && i + 4 < buflen; i++)
		buf[i] = is_printable(ref[i]) ? ref[i] : '?';
	if (ref[i] != '\0') {
		memcpy(buf + i, "...", 3);
		i += 3;
	}
	buf[i] = '\0';
}

/* Value of the n digits at s, or -1 if one of them is not a digit. */
static int
digits_at(const char *s, size_t n)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool
plausible_date(int y, int m, int d)
{
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 &&
	    d <= 31;
}

struct date_shape {
	const char *name;
	bool year_first;
	bool dashed;
	size_t len;
};

static const struct date_shape date_shapes[] = {
	{ "YYYY-MM-DD", true, true, 10 },
	{ "DD-MM-YYYY", false, true, 10 },
	{ "YYYYMMDD", true, false, 8 },
	{ "DDMMYYYY", false, false, 8 },
};

/* Does a date of this shape start at s, which has left characters? */
static bool
date_at(const struct date_shape *sh, const char *s, size_t left)
{
	size_t first = sh->year_first ? 4 : 2, sep = sh->dashed ? 1 : 0;
	int a, m, b;

	if (left < sh->len)
		return false;
	if (sh->dashed && (s[first] != '-' || s[first + 3] != '-'))
		return false;
	a = digits_at(s, first);
	m = digits_at(s + first + sep, 2);
	b = digits_at(s + first + sep + 2 + sep, 6 - first);
	if (a < 0 || m < 0 || b < 0)
		return false;
	return sh->year_first ? plausible_date(a, m, b) :
	    plausible_date(b, m, a);
}

/* A '-'-separated group of ref. */
struct ref_group {
	size_t at, len;
	size_t letters;
	int value;              /* all digits: their value; else -1 */
};

enum { REF_GROUPS_MAX = 24 };   /* 40 characters: at most 20 groups */

static size_t
ref_groups(const char *ref, size_t len, struct ref_group *g, size_t max)
{
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= len && n < max; i++) {
		if (i < len && ref[i] != '-')
			continue;
		g[n].at = start;
		g[n].len = i - start;
		g[n].letters = 0;
		for (size_t k = start; k < i; k++)
			g[n].letters += is_letter(ref[k]);
		/* More than 4 digits is no part of a loose date. */
		g[n].value = g[n].len >= 1 && g[n].len <= 4 ?
		    digits_at(ref + start, g[n].len) : -1;
		n++;
		start = i + 1;
	}
	return n;
}

static bool
loose_year(const struct ref_group *g)
{
	return g->value >= 0 && (g->len == 2 || (g->len == 4 &&
	    g->value >= 1900 && g->value <= 2100));
}

static bool
loose_month_day(const struct ref_group *m, const struct ref_group *d)
{
	return m->value >= 1 && m->value <= 12 && m->len <= 2 &&
	    d->value >= 1 && d->value <= 31 && d->len <= 2;
}

/*
 * Three groups of digits in a row that read as a loose date (see the
 * comment above); its name, with *at and *dlen where it is, or NULL.
 */
static const char *
find_loose_date(const struct ref_group *g, size_t n, size_t *at,
    size_t *dlen)
{
	for (size_t i = 0; i + 2 < n; i++) {
		const struct ref_group *a = &g[i], *b = &g[i + 1],
		    *c = &g[i + 2];
		const char *name = NULL;

		if (loose_year(a) && loose_month_day(b, c))
			name = "year-month-day";
		else if (loose_year(c) && loose_month_day(b, a))
			name = "day-month-year";
		else if (loose_year(c) && loose_month_day(a, b))
			name = "month-day-year";
		if (name != NULL) {
			*at = a->at;
			*dlen = c->at + c->len - a->at;
			return name;
		}
	}
	return NULL;
}

/* The first date in ref (of len characters) and its offset, or NULL. */
static const struct date_shape *
find_date(const char *ref, size_t len, size_t *at)
{
	size_t n = sizeof(date_shapes) / sizeof(date_shapes[0]);

	for (size_t i = 0; i < len; i++)
		for (size_t k = 0; k < n; k++)
			if (date_at(&date_shapes[k], ref + i, len - i)) {
				*at = i;
				return &date_shapes[k];
			}
	return NULL;
}

int
place_check_case_ref(const char *ref, char *err, size_t errlen)
{
	char shown[CASE_REF_MAX + 8];
	struct ref_group g[REF_GROUPS_MAX];
	size_t len, digits = 0, at, dlen, n, letters = 0, lettered = 0;
	const struct date_shape *date;
	const char *loose;

	if (ref == NULL || ref[0] == '\0') {
		snprintf(err, errlen, "case_ref is missing: %s",
		    CASE_REF_SHAPE);
		return -1;
	}
	len = strlen(ref);
	clip_ref(ref, shown, sizeof(shown));

	/* What looks like personal data first: that is what the sender most
	 * needs to hear about, before any rule on length or digits. */
	for (size_t i = 0; i < len; i++) {
		char c = ref[i];

		if (c == ' ') {
			snprintf(err, errlen, "case_ref '%s' has a space: %s",
			    shown, CASE_REF_SHAPE);
			return -1;
		}
		if (is_digit(c) || is_letter(c) || c == '-')
			continue;
		if (is_printable(c))
			snprintf(err, errlen, "case_ref '%s' has '%c' at "
			    "position %zu, only A-Z, a-z, 0-9 and '-' are "
			    "allowed: %s", shown, c, i + 1, CASE_REF_SHAPE);
		else
			snprintf(err, errlen, "case_ref '%s' has byte 0x%02x "
			    "at position %zu, only A-Z, a-z, 0-9 and '-' "
			    "are allowed: %s", shown, (unsigned char)c,
			    i + 1, CASE_REF_SHAPE);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		size_t end = i;

		if (is_digit(ref[i]))
			digits++;
		while (end < len && is_letter(ref[end]))
			end++;
		if (end - i >= 4) {
			snprintf(err, errlen, "case_ref '%s' has '%.*s', %zu "
			    "letters in a row, which reads like a name: use "
			    "at most 3 letters together, like "
			    "VR09-2026-0042", shown,
			    (int)(end - i > 16 ? 16 : end - i), ref + i,
			    end - i);
			return -1;
		}
		if (end > i)
			i = end - 1; /* a short run: go on after it */
	}
	n = ref_groups(ref, len, g, REF_GROUPS_MAX);
	for (size_t i = 0; i < n; i++) {
		letters += g[i].letters;
		if (g[i].letters == 0)
			continue;
		if (++lettered == 2) {
			const struct ref_group *f = g;

			while (f->letters == 0)
				f++;
			snprintf(err, errlen, "case_ref '%s' has letters in "
			    "two groups ('%.*s' and '%.*s'), which reads like "
			    "a name: keep letters to one group, like the "
			    "region code in VR09-2026-0042", shown,
			    (int)f->len, ref + f->at, (int)g[i].len,
			    ref + g[i].at);
			return -1;
		}
	}
	if (letters > 3) {
		snprintf(err, errlen, "case_ref '%s' has %zu letters, which "
		    "may spell a name: use at most 3, like the region code in "
		    "VR09-2026-0042", shown, letters);
		return -1;
	}
	if ((date = find_date(ref, len, &at)) != NULL) {
		snprintf(err, errlen, "case_ref '%s' has '%.*s', which reads "
		    "like a date (%s), e.g. a date of birth: %s", shown,
		    (int)date->len, ref + at, date->name, CASE_REF_SHAPE);
		return -1;
	}
	if ((loose = find_loose_date(g, n, &at, &dlen)) != NULL) {
		snprintf(err, errlen, "case_ref '%s' has '%.*s', which reads "
		    "like a date (%s), e.g. a date of birth: %s", shown,
		    (int)dlen, ref + at, loose, CASE_REF_SHAPE);
		return -1;
	}
	if (len < CASE_REF_MIN || len > CASE_REF_MAX) {
		snprintf(err, errlen, "case_ref '%s' is %zu characters long, "
		    "it must be %d to %d: %s", shown, len, CASE_REF_MIN,
		    CASE_REF_MAX, CASE_REF_SHAPE);
		return -1;
	}
	if (digits < 3) {
		snprintf(err, errlen, "case_ref '%s' has %zu digit%s, it "
		    "needs at least 3: %s", shown, digits,
		    digits == 1 ? "" : "s", CASE_REF_SHAPE);
		return -1;
	}
	return 0;
}


int
place_accept_check(const struct shelter_state *st, int category,
    uint32_t beds, char *err, size_t errlen)
{
	const struct bed_counts *b;
	uint64_t used;

	if (st->status == SH_STATUS_CLOSED) {
		snprintf(err, errlen, "the shelter's latest report says it is "
		    "closed");
		return -1;
	}
	if (category < 1 || category > CAT_COUNT) {
		snprintf(err, errlen, "no such category %d", category);
		return -1;
	}
	b = &st->beds[category - 1];
	used = (uint64_t)b->occupied + b->out_of_service;
	if (used + beds > b->capacity) {
		snprintf(err, errlen, "the shelter's latest report leaves no "
		    "room: %s %" PRIu32 " of %" PRIu32 " taken, %" PRIu32
		    " out of service, %" PRIu32 " to place",
		    cat_name(category), b->occupied, b->capacity,
		    b->out_of_service, beds);
		return -1;
	}
	return 0;
}

bool
place_reason_answerable(int reason)
{
	return reason >= PLACE_REASON_NO_BED && reason <= PLACE_REASON_OTHER;
}

/* The names live in the one name table (core/names.c). */
const char *
place_reason_key(int reason)
{
	return decline_reason_name(reason);
}

const char *
place_reason_text(int reason)
{
	return decline_reason_label(reason);
}

int
place_reason_parse(const char *key)
{
	return key != NULL ? decline_reason_parse(key) : -1;
}
