/*
 * placements.c — supra-regional placements: a region asks, the daemon
 * holds the best bed elsewhere (core/placement.c ranks), the receiving
 * shelter accepts or declines, an unanswered hold expires.
 *
 * A hold is a count in the shelter's state (bed_counts.held), so it stops
 * counting as free in the same txn and every aggregate and escalation sees
 * it. The single writer makes "two regions race for the last bed" a plain
 * sequence of txns: the second finds no free bed.
 *
 * Two-stage disclosure: events and the requesting region's view name the
 * held region, never the held shelter, until that shelter accepts.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "audit.h"
#include "escalate.h"
#include "events.h"
#include "wire.h"
#include "history.h"
#include "log.h"
#include "util.h"
#include "occupancy.h"
#include "placeindex.h"
#include "placement.h"
#include "placements.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

static bool valid_id(const char *id, size_t max);

static bool
valid_id(const char *id, size_t max)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n >= max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((id[i] >= 'a' && id[i] <= 'z') ||
		    (id[i] >= 'A' && id[i] <= 'Z') ||
		    (id[i] >= '0' && id[i] <= '9') || id[i] == '-' ||
		    id[i] == '_'))
			return false;
	return true;
}

/* ---- events ---------------------------------------------------------- */

/* One step of a request on the bus: never names the held shelter. */
static int
step_event(struct ctx *s, MDB_txn *txn, const struct placement_state *p,
    int state, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	int rc;

	/* Every step the statistics count goes to the history too. */
	if ((rc = history_placement(s, txn, p, state, now)) != 0 ||
	    (rc = audit_placement(s, txn, p, state, now)) != 0)
		return rc;
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = (char *)p->from_region;
	ev.category = (Shelterd__V1__Category)p->category;
	ev.request_id = (char *)p->request_id;
	ev.placement_state = (Shelterd__V1__PlacementState)state;
	/* How far, not where: a subscriber must not tie a hold to a
	 * region of few shelters, let alone to one shelter. */
	if (p->held_region[0] != '\0')
		ev.held_proximity = (Shelterd__V1__Proximity)
		    disclose_proximity(s->disc, s->reg,
		    registry_region(s->reg, p->from_region),
		    registry_region(s->reg, p->held_region), p->category);
	ev.beds = p->beds;
	if ((rc = events_emit(s, txn, &ev, now)) != 0)
		return rc;
	/* Placed or withdrawn: its "no suitable bed" alert is over. */
	if (state == PSTATE(ACCEPTED) || state == PSTATE(CANCELLED))
		return alerts_close_placement(s, txn, p->from_region,
		    p->request_id, p->category, state, now);
	return 0;
}

/* No candidate left: a critical alert for the national coordinator, of
 * this request alone (no other request of the region and category moves
 * it), published again until acknowledged. */
static int
unplaced_event(struct ctx *s, MDB_txn *txn,
    const struct placement_state *p, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_PLACEMENT;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_CRITICAL;
	ev.region_id = (char *)p->from_region;
	ev.category = (Shelterd__V1__Category)p->category;
	ev.request_id = (char *)p->request_id;
	ev.placement_state = PSTATE(UNPLACED);
	ev.beds = p->beds;
	return events_emit(s, txn, &ev, now);
}

/* ---- holds ----------------------------------------------------------- */

/*
 * Move a hold on/off a shelter (and, on acceptance, into occupied). A new
 * hold sets *in_reserve (when not NULL) if the shelter's own beds, its
 * capacity without the confirmed reserve beds open, had not enough free
 * ones: the hold takes reserve beds.
 */
static int
adjust_shelter(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    int category, int held_delta, int occupied_delta, bool *in_reserve,
    int64_t now)
{
	struct shelter_state st, next;
	struct bed_counts *b;
	int rc;

	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	next = st;
	b = &next.beds[category - 1];
	if (in_reserve != NULL) {
		struct bed_counts own = *b;
		uint32_t open = st.reserve_open[category - 1];

		own.capacity -= open < own.capacity ? open : own.capacity;
		*in_reserve = open > 0 &&
		    beds_free(st.status, &own) < (uint32_t)held_delta;
	}
	if (held_delta < 0 && (uint32_t)-held_delta > b->held)
		held_delta = -(int)b->held; /* never below zero */
	b->held = (uint32_t)((int64_t)b->held + held_delta);
	b->occupied = (uint32_t)((int64_t)b->occupied + occupied_delta);
	return occupancy_store(s, txn, sh, &st, &next, now);
}

/* ---- the index of free beds ------------------------------------------ */

struct states {
	struct shelter_state *v;
};

/* Every registry shelter's state, read in txn; free() the result. */
static int
read_states(struct ctx *s, MDB_txn *txn, struct shelter_state **out)
{
	const struct registry *reg = s->reg;
	struct shelter_state *v = calloc(reg->n_shelters + 1, sizeof(*v));
	int rc = 0;

	REQUIRE(v != NULL);
	for (size_t i = 0; i < reg->n_shelters && rc == 0; i++)
		rc = store_get_shelter(s->store, txn, reg->shelters[i].id,
		    &v[i]);
	if (rc != 0) {
		free(v);
		return rc;
	}
	*out = v;
	return 0;
}

int
place_index_build(struct ctx *s, MDB_txn *txn)
{
	struct place_index *ix = malloc(sizeof(*ix));
	struct states st;
	int rc;

	REQUIRE(ix != NULL);
	if ((rc = read_states(s, txn, &st.v)) != 0) {
		free(ix);
		return rc;
	}
	REQUIRE(place_index_init(ix, s->reg) == 0);
	for (size_t i = 0; i < s->reg->n_shelters; i++)
		place_index_set(ix, (uint32_t)i, &st.v[i]);
	place_index_forget(ix);
	free(st.v);
	place_index_end(s);
	s->pidx = ix;
	return 0;
}

void
place_note_state(struct ctx *s, const struct reg_shelter *sh,
    const struct shelter_state *st)
{
	place_index_set(s->pidx, (uint32_t)(sh - s->reg->shelters), st);
}

#ifdef SHELTERD_CHECK_INDEX
static const struct shelter_state *
state_of(void *arg, uint32_t shelter)
{
	return &((struct states *)arg)->v[shelter];
}
#endif

void
place_index_check(struct ctx *s, MDB_txn *txn)
{
#ifdef SHELTERD_CHECK_INDEX
	struct states st;
	char err[200];
	size_t bad;

	if (read_states(s, txn, &st.v) != 0)
		return; /* nothing to compare with: the next batch will */
	bad = place_index_verify(s->pidx, state_of, &st, err, sizeof(err));
	free(st.v);
	if (bad != 0) {
		log_err("the index of free beds differs from the store in %zu "
		    "places: %s", bad, err);
		abort();
	}
#else
	(void)s;
	(void)txn;
#endif
}

void
place_index_end(struct ctx *s)
{
	if (s->pidx != NULL)
		place_index_free(s->pidx);
	free(s->pidx);
	s->pidx = NULL;
}

/* Hold the best candidate, or end the request as unplaced. */
static int
try_hold(struct ctx *s, MDB_txn *txn, struct placement_state *p,
    int64_t now)
{
	const struct registry *reg = s->reg;
	struct place_query q = { 0 };
	struct place_candidate best;
	const struct reg_shelter *sh;
	bool in_reserve;
	size_t n;
	int rc = 0;

	q.category = p->category;
	q.beds = p->beds;
	q.security_level = p->security_level;
	q.from_region = registry_region(reg, p->from_region);
	q.allow_own_region = p->allow_own_region;
	for (size_t i = 0; i < p->n_exclude; i++) {
		int r = registry_region(reg, p->exclude[i]);

		if (r >= 0)
			q.exclude[q.n_exclude++] = (uint16_t)r;
	}
	for (size_t i = 0; i < p->n_tried; i++) {
		const struct reg_shelter *t = registry_shelter(reg,
		    p->tried[i]);

		if (t != NULL)
			q.tried[q.n_tried++] = (uint32_t)(t - reg->shelters);
	}
	/* The index holds every state of this txn so far, so a second
	 * request of the same batch sees the first one's hold. Reading
	 * every stored state instead cost 8 ms at 10,000 shelters
	 * (BENCHMARKS.md). */
	n = place_index_rank(s->pidx, &q, &best, 1);

	p->updated_at = now;
	if (n == 0 || p->n_tried >= PLACE_TRIED_MAX) {
		p->state = PSTATE(UNPLACED);
		p->held_shelter[0] = p->held_region[0] = '\0';
		p->hold_expires_at = 0;
		p->in_reserve = 0;
		log_warn("placement %s: no candidate left: unplaced",
		    p->request_id);
		if ((rc = step_event(s, txn, p, PSTATE(UNPLACED), now)) != 0)
			return rc;
		return unplaced_event(s, txn, p, now);
	}
	sh = &reg->shelters[best.shelter];
	if ((rc = adjust_shelter(s, txn, sh, p->category, p->beds, 0,
	    &in_reserve, now)) != 0)
		return rc;
	p->in_reserve = in_reserve;
	p->state = PSTATE(HELD);
	util_copy(p->held_shelter, sizeof(p->held_shelter), sh->id);
	util_copy(p->held_region, sizeof(p->held_region),
	    reg->regions[sh->region].id);
	p->hold_expires_at = now + s->cfg->hold_ttl_secs;
	if (s->next_hold_expiry == 0 ||
	    p->hold_expires_at < s->next_hold_expiry)
		s->next_hold_expiry = p->hold_expires_at;
	ctx_note_hold(s, best.shelter);
	log_info("placement %s: %u %s bed(s) held in %s%s", p->request_id,
	    p->beds, cat_name(p->category), p->held_region,
	    in_reserve ? " (reserve beds)" : "");
	return step_event(s, txn, p, PSTATE(HELD), now);
}

/* Take the hold off its shelter; remember the shelter as tried. */
static int
release(struct ctx *s, MDB_txn *txn, struct placement_state *p,
    bool accepted, int64_t now)
{
	const struct reg_shelter *sh = registry_shelter(s->reg,
	    p->held_shelter);
	int rc = 0;

	if (sh != NULL)
		rc = adjust_shelter(s, txn, sh, p->category, -(int)p->beds,
		    accepted ? (int)p->beds : 0, NULL, now);
	if (rc == 0 && !accepted && p->n_tried < PLACE_TRIED_MAX)
		util_copy(p->tried[p->n_tried++], sizeof(p->tried[0]),
		    p->held_shelter);
	p->hold_expires_at = 0;
	return rc;
}

/* ---- requests -------------------------------------------------------- */

#define REFUSE(code, ...)                               \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return CODE(code);                      \
	} while (0)

static int
place_request(struct ctx *s, MDB_txn *txn,
    const Shelterd__V1__PlacementRequest *req, struct placement_state *p,
    char *err, size_t errlen, int64_t now)
{
	struct placement_state old;
	char why[160];
	int rc;

	if (!valid_id(req->request_id, sizeof(p->request_id)))
		REFUSE(BAD_REQUEST, "request_id must be 1 to %zu letters, "
		    "digits, - or _", sizeof(p->request_id) - 1);
	if (registry_region(s->reg, req->from_region) < 0)
		REFUSE(BAD_REQUEST, "unknown region '%.31s' (see shelterctl "
		    "regions)", req->from_region);
	if (cat_name((int)req->category) == NULL)
		REFUSE(UNKNOWN_CATEGORY, "unknown category %d",
		    (int)req->category);
	if (req->beds < 1 || req->beds > PLACE_BEDS_MAX)
		REFUSE(BAD_REQUEST, "beds must be 1 to %d, not %u",
		    PLACE_BEDS_MAX, req->beds);
	if (req->security_level > 3)
		REFUSE(BAD_REQUEST, "security_level must be 0 to 3");
	if ((unsigned)req->urgency > SHELTERD__V1__URGENCY__URGENCY_IMMEDIATE)
		REFUSE(BAD_REQUEST, "unknown urgency %d", (int)req->urgency);
	if (req->n_exclude_regions > PLACE_EXCLUDE_MAX)
		REFUSE(BAD_REQUEST, "at most %d excluded regions",
		    PLACE_EXCLUDE_MAX);
	for (size_t i = 0; i < req->n_exclude_regions; i++)
		if (registry_region(s->reg, req->exclude_regions[i]) < 0)
			REFUSE(BAD_REQUEST, "unknown excluded region '%.31s'",
			    req->exclude_regions[i]);
	if (place_check_case_ref(req->case_ref, why, sizeof(why)) != 0)
		REFUSE(BAD_REQUEST, "%s", why);

	if ((rc = store_get_placement(s->store, txn, req->request_id,
	    &old)) != 0)
		return rc;
	if (old.request_id[0] != '\0') {
		/* A re-sent request is answered with where it stands. */
		if (strcmp(old.case_ref, req->case_ref) != 0 ||
		    strcmp(old.from_region, req->from_region) != 0 ||
		    old.category != req->category || old.beds != req->beds)
			REFUSE(CONFLICT, "request_id %s is already used for "
			    "another request", req->request_id);
		*p = old;
		return 0;
	}
	memset(p, 0, sizeof(*p));
	util_copy(p->request_id, sizeof(p->request_id), req->request_id);
	util_copy(p->case_ref, sizeof(p->case_ref), req->case_ref);
	util_copy(p->from_region, sizeof(p->from_region), req->from_region);
	for (size_t i = 0; i < req->n_exclude_regions; i++)
		util_copy(p->exclude[i], sizeof(p->exclude[0]),
		    req->exclude_regions[i]);
	p->n_exclude = (uint8_t)req->n_exclude_regions;
	p->category = (uint8_t)req->category;
	p->beds = (uint8_t)req->beds;
	p->security_level = (uint8_t)req->security_level;
	p->urgency = (uint8_t)req->urgency;
	p->allow_own_region = req->allow_own_region;
	p->state = PSTATE(REQUESTED);
	p->created_at = p->updated_at = now;
	log_info("placement %s from %s: %u %s bed(s), security %u",
	    p->request_id, p->from_region, p->beds, cat_name(p->category),
	    p->security_level);
	if ((rc = step_event(s, txn, p, PSTATE(REQUESTED), now)) != 0 ||
	    (rc = try_hold(s, txn, p, now)) != 0 ||
	    (rc = store_put_placement(s->store, txn, p)) != 0)
		return rc;
	return 0;
}

/*
 * Accepts refused because the shelter's latest report says it is closed or
 * has no room for the held beds. The refusal rolls back everything the
 * answer wrote (api.c runs it in a nested txn), so the hold moves on to the
 * next candidate in the next housekeeping txn (place_expire), as after a
 * decline. In memory only: after a restart, or with more than fit here,
 * such a hold waits for its TTL like any unanswered one.
 */
static struct refused_accept {
	char request_id[sizeof(((struct placement_state *)0)->request_id)];
	char shelter[sizeof(((struct placement_state *)0)->held_shelter)];
	uint8_t reason;             /* enum place_reason */
} refused[64];
static size_t n_refused;

static void
note_refused_accept(struct ctx *s, const struct placement_state *p,
    int reason, int64_t now)
{
	size_t i;

	/* The same answer may run twice (a batch txn redone). */
	for (i = 0; i < n_refused; i++)
		if (strcmp(refused[i].request_id, p->request_id) == 0)
			break;
	if (i == sizeof(refused) / sizeof(refused[0])) {
		log_warn("placement %s: too many refused accepts at once: "
		    "the hold waits for its expiry", p->request_id);
		return;
	}
	util_copy(refused[i].request_id, sizeof(refused[i].request_id),
	    p->request_id);
	util_copy(refused[i].shelter, sizeof(refused[i].shelter),
	    p->held_shelter);
	refused[i].reason = (uint8_t)reason;
	if (i == n_refused)
		n_refused++;
	/* The housekeeping tick runs place_expire when this is due. */
	s->next_hold_expiry = now;
}

/* The holds of refused accepts move on, each as on a decline. */
static int
move_refused_accepts(struct ctx *s, MDB_txn *txn, int64_t now)
{
	int rc = 0;

	for (size_t i = 0; i < n_refused && rc == 0; i++) {
		struct placement_state p;

		if ((rc = store_get_placement(s->store, txn,
		    refused[i].request_id, &p)) != 0)
			break;
		/* Answered, cancelled or expired meanwhile: nothing to do. */
		if (p.state != PSTATE(HELD) ||
		    strcmp(p.held_shelter, refused[i].shelter) != 0)
			continue;
		p.last_reason = refused[i].reason;
		log_info("placement %s: accept refused (%s): moves on",
		    p.request_id, place_reason_key(refused[i].reason));
		if ((rc = release(s, txn, &p, false, now)) != 0 ||
		    (rc = step_event(s, txn, &p, PSTATE(DECLINED),
		    now)) != 0 ||
		    (rc = try_hold(s, txn, &p, now)) != 0)
			break;
		p.updated_at = now;
		rc = store_put_placement(s->store, txn, &p);
	}
	/* On an error the caller aborts the txn: try again next tick. */
	if (rc == 0)
		n_refused = 0;
	else
		s->next_hold_expiry = now + 1;
	return rc;
}

static int
place_answer(struct ctx *s, MDB_txn *txn,
    const Shelterd__V1__PlacementAnswer *ans, struct placement_state *p,
    char *err, size_t errlen, int64_t now)
{
	int rc;

	if (!valid_id(ans->request_id, sizeof(p->request_id)))
		REFUSE(BAD_REQUEST, "bad request_id");
	if ((rc = store_get_placement(s->store, txn, ans->request_id,
	    p)) != 0)
		return rc;
	if (p->request_id[0] == '\0')
		REFUSE(NOT_FOUND, "no placement request '%s'",
		    ans->request_id);
	if (p->state != PSTATE(HELD) ||
	    strcmp(p->held_shelter, ans->shelter_id) != 0)
		REFUSE(CONFLICT, "request %s is not held by shelter %.31s: "
		    "nothing to answer (see shelter-report holds)",
		    p->request_id, ans->shelter_id);
	if (!ans->accept && !place_reason_answerable((int)ans->reason))
		REFUSE(BAD_REQUEST, "a decline needs a reason from the list "
		    "(no-bed, safety-conflict, security-level, no-match, "
		    "other), not %d", (int)ans->reason);
	if (ans->accept) {
		/* By the shelter's latest report: an accept must not put it
		 * over capacity, nor place someone in a closed shelter. */
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    p->held_shelter);
		struct shelter_state st;
		char why[160];

		if (sh != NULL && (rc = store_get_shelter(s->store, txn,
		    sh->id, &st)) != 0)
			return rc;
		if (sh != NULL && place_accept_check(&st, p->category,
		    p->beds, why, sizeof(why)) != 0) {
			/* The decline reason of the history, from the
			 * list (the counts are in the reply and the log). */
			note_refused_accept(s, p, st.status ==
			    SH_STATUS_CLOSED ? PLACE_REASON_OTHER :
			    PLACE_REASON_NO_BED, now);
			REFUSE(CONFLICT, "request %s cannot be accepted: "
			    "%.100s; the hold moves on to the next candidate "
			    "(report beds first if wrong)", p->request_id,
			    why);
		}
	}
	if ((rc = release(s, txn, p, ans->accept, now)) != 0)
		return rc;
	p->updated_at = now;
	if (ans->accept) {
		p->state = PSTATE(ACCEPTED);
		log_info("placement %s: accepted by %s", p->request_id,
		    p->held_shelter);
		rc = step_event(s, txn, p, PSTATE(ACCEPTED), now);
	} else {
		p->last_reason = (uint8_t)ans->reason;
		log_info("placement %s: declined by %s: %s", p->request_id,
		    ans->shelter_id, place_reason_key(p->last_reason));
		rc = step_event(s, txn, p, PSTATE(DECLINED), now);
		if (rc == 0)
			rc = try_hold(s, txn, p, now);
	}
	if (rc == 0)
		rc = store_put_placement(s->store, txn, p);
	return rc;
}

static int
place_cancel(struct ctx *s, MDB_txn *txn,
    const Shelterd__V1__PlacementCancel *c, const struct identity *who,
    struct placement_state *p, char *err, size_t errlen, int64_t now)
{
	int rc;

	if (!valid_id(c->request_id, sizeof(p->request_id)))
		REFUSE(BAD_REQUEST, "bad request_id");
	if ((rc = store_get_placement(s->store, txn, c->request_id, p)) != 0)
		return rc;
	if (p->request_id[0] == '\0')
		REFUSE(NOT_FOUND, "no placement request '%s'", c->request_id);
	if (!authz_owns_placement(who, p->from_region))
		REFUSE(FORBIDDEN, "request %s is not your region's to cancel",
		    c->request_id);
	/* An unplaced request may be withdrawn too: that closes its alert. */
	if (p->state != PSTATE(HELD) && p->state != PSTATE(REQUESTED) &&
	    p->state != PSTATE(UNPLACED))
		REFUSE(CONFLICT, "request %s is already %s", p->request_id,
		    placement_state_name(p->state));
	if (p->state == PSTATE(HELD) &&
	    (rc = release(s, txn, p, false, now)) != 0)
		return rc;
	p->n_tried -= p->state == PSTATE(HELD) ? 1 : 0; /* not a decline */
	p->state = PSTATE(CANCELLED);
	p->updated_at = now;
	if ((rc = step_event(s, txn, p, PSTATE(CANCELLED), now)) != 0 ||
	    (rc = store_put_placement(s->store, txn, p)) != 0)
		return rc;
	return 0;
}

/* ---- expiry ---------------------------------------------------------- */

struct expired {
	int64_t now;
	int64_t next;               /* earliest hold still running */
	struct placement_state *v;
	size_t n, cap;
};

static int
collect_expired(void *arg, const struct placement_state *p)
{
	struct expired *e = arg;

	if (p->state != PSTATE(HELD))
		return 0;
	if (p->hold_expires_at > e->now) {
		if (e->next == 0 || p->hold_expires_at < e->next)
			e->next = p->hold_expires_at;
		return 0;
	}
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 8;
		void *q = realloc(e->v, cap * sizeof(*e->v));

		REQUIRE(q != NULL);
		e->v = q;
		e->cap = cap;
	}
	e->v[e->n++] = *p;
	return 0;
}

bool
place_any_expired(const struct ctx *s, int64_t now)
{
	return s->next_hold_expiry != 0 && s->next_hold_expiry <= now;
}

int
place_expire(struct ctx *s, MDB_txn *txn, int64_t now)
{
	struct expired e = { .now = now };
	int rc;

	/* First, so that a hold that also expired moves on once. */
	if ((rc = move_refused_accepts(s, txn, now)) != 0)
		return rc;
	rc = store_placements_each(s->store, txn, collect_expired, &e);
	s->next_hold_expiry = e.next;
	for (size_t i = 0; rc == 0 && i < e.n; i++) {
		struct placement_state *p = &e.v[i];

		log_info("placement %s: hold in %s expired", p->request_id,
		    p->held_region);
		if ((rc = release(s, txn, p, false, now)) != 0 ||
		    (rc = step_event(s, txn, p, PSTATE(EXPIRED), now)) != 0 ||
		    (rc = try_hold(s, txn, p, now)) != 0)
			break;
		rc = store_put_placement(s->store, txn, p);
	}
	free(e.v);
	return rc;
}

/* ---- replies --------------------------------------------------------- */

struct listing {
	const char *shelter;        /* holds on this shelter only */
	const char *region;         /* requests of this region only */
	int64_t since;              /* final ones updated after this */
	struct placement_state *v;
	size_t n, cap;
};

static int
collect_listing(void *arg, const struct placement_state *p)
{
	struct listing *l = arg;
	bool open = p->state == PSTATE(HELD) || p->state == PSTATE(REQUESTED);

	if (l->shelter != NULL ? (p->state != PSTATE(HELD) ||
	    strcmp(p->held_shelter, l->shelter) != 0) :
	    (!open && p->updated_at < l->since))
		return 0;
	if (l->region != NULL && strcmp(p->from_region, l->region) != 0)
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		void *q = realloc(l->v, cap * sizeof(*l->v));

		REQUIRE(q != NULL);
		l->v = q;
		l->cap = cap;
	}
	l->v[l->n++] = *p;
	return 0;
}

static int
newest_first(const void *x, const void *y)
{
	const struct placement_state *a = x, *b = y;

	return (a->created_at < b->created_at) - (a->created_at > b->created_at);
}

int
place_list(struct ctx *s, MDB_txn *txn, const char *shelter,
    const char *region, enum wire_view view,
    Shelterd__V1__Reply *reply, nng_msg *msg, size_t *count,
    void (*pack)(nng_msg *, const Shelterd__V1__Reply *))
{
	Shelterd__V1__PlacementList list = SHELTERD__V1__PLACEMENT_LIST__INIT;
	struct listing l = { .shelter = shelter, .region = region,
		.since = (int64_t)time(NULL) - 7 * 86400 };
	Shelterd__V1__Placement *v, **ptrs;
	char *(*excl)[PLACE_EXCLUDE_MAX];
	int rc;

	if ((rc = store_placements_each(s->store, txn, collect_listing,
	    &l)) != 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), newest_first);
	if (l.n > 500)
		l.n = 500; /* recent enough for a screen */
	*count = l.n;
	v = calloc(l.n + 1, sizeof(*v));
	ptrs = calloc(l.n + 1, sizeof(*ptrs));
	excl = calloc(l.n + 1, sizeof(*excl));
	REQUIRE(v != NULL && ptrs != NULL && excl != NULL);
	for (size_t i = 0; i < l.n; i++) {
		wire_placement(&v[i], &l.v[i], excl[i], view, s->reg,
		    s->disc);
		ptrs[i] = &v[i];
	}
	list.placements = ptrs;
	list.n_placements = l.n;
	reply->body_case = SHELTERD__V1__REPLY__BODY_PLACEMENTS;
	reply->placements = &list;
	if (msg != NULL)
		pack(msg, reply);
	free(v);
	free(ptrs);
	free(excl);
	free(l.v);
	return 0;
}

int
place_init(struct ctx *s, MDB_txn *txn)
{
	/* Nothing expired before time 0: e.next is the earliest hold. */
	struct expired e = { .now = 0 };
	int rc = store_placements_each(s->store, txn, collect_expired, &e);

	s->next_hold_expiry = e.next;
	free(e.v);
	return rc;
}

/* ---- the verbs (ops.h) ---------------------------------------------- */

/* The placement a write step leaves, for its reply. */
static struct placement_state *
state_of_item(struct item *it)
{
	if (it->placement == NULL)
		it->placement = malloc(sizeof(*it->placement));
	REQUIRE(it->placement != NULL);
	memset(it->placement, 0, sizeof(*it->placement));
	return it->placement;
}

int
place_op_request(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	(void)k;
	return place_request(s, txn, it->req->place, state_of_item(it),
	    it->res.msg, sizeof(it->res.msg), now);
}

int
place_op_answer(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	(void)k;
	return place_answer(s, txn, it->req->answer, state_of_item(it),
	    it->res.msg, sizeof(it->res.msg), now);
}

int
place_op_cancel(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	(void)k;
	return place_cancel(s, txn, it->req->cancel, &it->who,
	    state_of_item(it), it->res.msg, sizeof(it->res.msg), now);
}

/* After place, answer or cancel: where the request stands now. */
void
place_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__Placement pl;
	char *excl[PLACE_EXCLUDE_MAX];

	(void)s;
	(void)rtxn;
	if (it->res.rc != 0 || it->placement == NULL)
		return;
	wire_placement(&pl, it->placement, excl, wire_view_of(&it->who),
	    s->reg, s->disc);
	reply->body_case = SHELTERD__V1__REPLY__BODY_PLACEMENT;
	reply->placement = &pl;
	api_pack(it, reply);
}

void
place_op_placement(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	struct placement_state p;
	Shelterd__V1__Placement pl;
	char *excl[PLACE_EXCLUDE_MAX];
	const char *id = it->req->placement->request_id;
	int rc;

	if (!valid_id(id, sizeof(p.request_id))) {
		op_fail(&it->res, CODE(BAD_REQUEST), "request_id must be 1 "
		    "to %zu letters, digits, - or _",
		    sizeof(p.request_id) - 1);
		return;
	}
	if ((rc = store_get_placement(s->store, rtxn, id, &p)) != 0) {
		it->res.rc = rc;
		return;
	}
	if (p.request_id[0] == '\0') {
		op_fail(&it->res, CODE(NOT_FOUND), "no placement request "
		    "'%.47s'", id);
		return;
	}
	if (!authz_owns_placement(&it->who, p.from_region)) {
		op_fail(&it->res, CODE(FORBIDDEN), "request %.47s is not your "
		    "region's", p.request_id);
		return;
	}
	wire_placement(&pl, &p, excl, wire_view_of(&it->who), s->reg,
	    s->disc);
	reply->body_case = SHELTERD__V1__REPLY__BODY_PLACEMENT;
	reply->placement = &pl;
	api_pack(it, reply);
}

void
place_op_placements(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	size_t n;
	int rc;

	/* A region sees only its own requests. */
	rc = place_list(s, rtxn, NULL, it->who.role == ROLE_REGION ?
	    it->who.id : NULL, wire_view_of(&it->who), reply, it->msg, &n,
	    api_pack_msg);
	if (rc != 0)
		it->res.rc = rc;
	else
		it->packed = true;
}
