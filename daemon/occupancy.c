/*
 * occupancy.c — what a shelter's new state does. A report (the update and
 * batch verbs), a hold, an accept or a missed deadline all end in
 * occupancy_store(): the history sample, the escalation rules
 * (core/escalate.c), the region and national aggregates and the events, in
 * the txn that stores the state. Also the startup reconciliation that
 * rebuilds every aggregate from the shelter states.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "escalate.h"
#include "events.h"
#include "history.h"
#include "log.h"
#include "occupancy.h"
#include "placements.h"
#include "regionplan.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"
#include "validate.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* ---- state changes --------------------------------------------------- */

int
occupancy_store(struct ctx *s, MDB_txn *txn,
    const struct reg_shelter *sh, struct shelter_state *stored,
    const struct shelter_state *next, int64_t now)
{
	const struct reg_region *region = &s->reg->regions[sh->region];
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	struct aggregate ragg, nagg;
	size_t n;
	int rc;

	if ((rc = store_get_region(s->store, txn, region->id, &ragg)) != 0 ||
	    (rc = store_get_national(s->store, txn, &nagg)) != 0)
		return rc;
	/* The history records the change in the txn that makes it. */
	if ((rc = history_shelter(s, txn, sh, stored, next, now)) != 0)
		return rc;
	n = esc_apply(&s->cfg->esc, stored, &ragg, &nagg, next, tr);
	if ((rc = store_put_shelter(s->store, txn, sh->id, stored)) != 0 ||
	    (rc = store_put_region(s->store, txn, region->id, &ragg)) != 0 ||
	    (rc = store_put_national(s->store, txn, &nagg)) != 0)
		return rc;
	place_note_state(s, sh, stored);
	for (size_t i = 0; i < n; i++) {
		const char *rid = tr[i].scope == SCOPE_NATIONAL ? NULL :
		    region->id;
		const char *sid = tr[i].scope == SCOPE_SHELTER ? sh->id : NULL;

		if ((rc = events_emit_transition(s, txn, &tr[i], rid, sid,
		    now)) != 0)
			return rc;
	}
	return 0;
}

/*
 * What a report does not say and keeps: holds, which are the daemon's;
 * confirmed reserve beds open (daemon/reserves.c), added to the reported
 * capacity until their activation ends; reserve beds declared by an
 * earlier report, for categories this one declares none for. Whether a
 * category is over-occupied is then judged against that capacity.
 */
static void
keep_daemon_beds(const struct shelter_state *stored,
    struct shelter_state *next, uint8_t *over_occupied)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		struct bed_counts *b = &next->beds[c];
		unsigned bit = 1u << c;

		b->held = stored->beds[c].held;
		next->reserve_open[c] = stored->reserve_open[c];
		b->capacity += stored->reserve_open[c];
		if (!(next->reserve_declared & bit) &&
		    (stored->reserve_declared & bit)) {
			next->reserve_declared |= (uint8_t)bit;
			next->reserve_decl[c] = stored->reserve_decl[c];
		}
		if ((uint64_t)b->occupied + b->out_of_service > b->capacity)
			*over_occupied |= (uint8_t)bit;
		else
			*over_occupied &= (uint8_t)~bit;
	}
}

/*
 * Validate and apply one report inside txn; returns a STORE_* code (the
 * verdict on the report itself is in *res). Every check comes before the
 * first write, so a refused or duplicate report leaves no trace and needs
 * no nested txn of its own.
 */
static int
apply_update(struct ctx *s, MDB_txn *txn,
    const Shelterd__V1__OccupancyUpdate *u, struct update_result *res,
    int64_t now)
{
	const struct reg_shelter *sh;
	const struct reg_region *region;
	struct shelter_state stored, next;
	int rc, v;

	if ((v = validate_update(u, s->reg, &s->cfg->limits, now, &sh, &next,
	    &res->over_occupied, res->res.msg, sizeof(res->res.msg))) != 0) {
		res->res.rc = v;
		return 0;
	}
	if ((rc = store_get_shelter(s->store, txn, sh->id, &stored)) != 0)
		return rc;
	keep_daemon_beds(&stored, &next, &res->over_occupied);
	if ((v = validate_seq(&stored, &next, res->res.msg,
	    sizeof(res->res.msg))) < 0) {
		res->res.rc = -v;
		return 0;
	}
	if (v == SEQ_DUPLICATE) {
		res->duplicate = true;
		return 0;
	}
	/* From here on only a store error can stop it. */
	res->shelter = (uint32_t)(sh - s->reg->shelters);
	res->written = true;
	region = &s->reg->regions[sh->region];
	next.received_at = now;
	if (stored.stale) {
		Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;

		ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE;
		ev.scope = SHELTERD__V1__SCOPE__SCOPE_SHELTER;
		ev.level = SHELTERD__V1__LEVEL__LEVEL_OK;
		ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
		ev.region_id = (char *)region->id;
		ev.shelter_id = (char *)sh->id;
		if ((rc = events_emit(s, txn, &ev, now)) != 0)
			return rc;
	}
	return occupancy_store(s, txn, sh, &stored, &next, now);
}

/* ---- declared reserve beds -------------------------------------------- */

const struct reserve_overlay *
occupancy_reserves(struct ctx *s)
{
	MDB_txn *rtxn;
	int rc;

	if (s->resv_reg == s->reg)
		return &s->resv;
	/* The committed states, in a read txn of its own (MDB_NOTLS): a
	 * write txn in progress may still abort. */
	reserve_overlay_free(&s->resv);
	if (reserve_overlay_init(&s->resv, s->reg->n_shelters) != 0)
		return NULL;
	if ((rc = store_begin(s->store, NULL, 0, &rtxn)) == 0) {
		rc = regionplan_reserves(s->reg, s->store, rtxn, &s->resv);
		mdb_txn_abort(rtxn);
	}
	if (rc != 0) {
		log_err("declared reserve beds not read: %s (reserves.csv's "
		    "figures only until the next try)", store_strerror(rc));
		reserve_overlay_free(&s->resv);
		return NULL;
	}
	s->resv_reg = s->reg;
	return &s->resv;
}

/*
 * A report that declares reserve beds was committed: the loop's copy
 * follows. Only now, as the stale deadline: a txn that was aborted and
 * redone must not leave a declaration behind. Categories the report
 * does not declare keep theirs, as in the stored state.
 */
static void
note_declared(struct ctx *s, uint32_t shelter,
    const Shelterd__V1__OccupancyUpdate *u)
{
	struct reserve_overlay *ov = &s->resv;
	struct shelter_state st;

	if (s->resv_reg != s->reg || shelter >= ov->n_shelters)
		return; /* read whole at its next use */
	memset(&st, 0, sizeof(st));
	st.reserve_declared = ov->declared[shelter];
	memcpy(st.reserve_decl, ov->decl[shelter], sizeof(st.reserve_decl));
	for (size_t i = 0; i < u->n_beds; i++) {
		const Shelterd__V1__BedCount *b = u->beds[i];
		int c = (int)b->category - 1;

		if (!b->has_reserve || c < 0 || c >= CAT_COUNT)
			continue;
		st.reserve_declared |= (uint8_t)(1u << c);
		st.reserve_decl[c].beds_24h = b->reserve_24h;
		st.reserve_decl[c].beds_72h = b->reserve_72h;
	}
	reserve_overlay_note(ov, shelter, &st);
}

/* ---- the update and batch verbs (ops.h) ------------------------------ */

int
occupancy_check_update(struct ctx *s, struct item *it)
{
	(void)s;
	it->updates = (const Shelterd__V1__OccupancyUpdate *const *)
	    &it->req->update;
	it->n_updates = 1;
	it->results = &it->one;
	return 0;
}

int
occupancy_check_batch(struct ctx *s, struct item *it)
{
	size_t n = it->req->batch->n_updates;

	if (n == 0 || n > s->cfg->max_batch_updates)
		return op_fail(&it->res, CODE(BAD_REQUEST), "a batch holds 1 "
		    "to %u updates, not %zu", s->cfg->max_batch_updates, n);
	it->updates = (const Shelterd__V1__OccupancyUpdate *const *)
	    it->req->batch->updates;
	it->n_updates = n;
	it->results = calloc(n, sizeof(*it->results));
	REQUIRE(it->results != NULL);
	return 0;
}

int
occupancy_apply(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	struct update_result *res = &it->results[k];

	memset(res, 0, sizeof(*res));
	return apply_update(s, txn, it->updates[k], res, now);
}

void
occupancy_applied(struct ctx *s, struct item *it, size_t k, int64_t now)
{
	const Shelterd__V1__OccupancyUpdate *u = it->updates[k];
	const struct update_result *res = &it->results[k];

	/* Set only now: a txn that was aborted and redone must not leave
	 * deadlines behind. */
	if (res->written) {
		s->stale_at[res->shelter] = now +
		    occupancy_deadline(s, &s->reg->shelters[res->shelter]);
		note_declared(s, res->shelter, u);
	}
	if (res->res.rc != CODE(OK))
		log_warn("refused update for '%.40s' seq %" PRIu64 ": %s",
		    u->shelter_id, u->seq, res->res.msg);
	if (res->over_occupied)
		log_warn("shelter %.40s seq %" PRIu64 ": over-occupied "
		    "(accepted, flagged)", u->shelter_id, u->seq);
}

static void
count_result(struct ctx *s, struct update_result *r)
{
	int code = op_wire_code(&r->res);

	if (code != CODE(OK))
		s->stats.refused[code & 15]++;
	else if (r->duplicate)
		s->stats.updates_duplicate++;
	else
		s->stats.updates_applied++;
}

/* A single update: its verdict is the reply's. */
void
occupancy_reply_update(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	/* Live until packed: the reply points into them. */
	Shelterd__V1__UpdateAck ack;
	char warn[CAT_COUNT][96], *wp[CAT_COUNT];

	(void)rtxn;
	it->res = it->one.res;
	it->counted = true;
	count_result(s, &it->one);
	if (it->res.rc != CODE(OK))
		return;
	validate_fill_ack(&ack, it->req->update, it->one.duplicate,
	    it->one.over_occupied, warn, wp);
	reply->body_case = SHELTERD__V1__REPLY__BODY_ACK;
	reply->ack = &ack;
	api_pack(it, reply);
}

void
occupancy_reply_batch(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	size_t n = it->n_updates;
	Shelterd__V1__BatchAck batch = SHELTERD__V1__BATCH_ACK__INIT;
	Shelterd__V1__UpdateResult *res = calloc(n, sizeof(*res));
	Shelterd__V1__UpdateResult **rp = calloc(n, sizeof(*rp));
	Shelterd__V1__UpdateAck *acks = calloc(n, sizeof(*acks));
	char (*warn)[CAT_COUNT][96];
	char *(*wp)[CAT_COUNT];
	size_t n_over = 0, w = 0;

	(void)rtxn;
	it->counted = true;

	/* Warnings only for the over-occupied: room for all of them was
	 * half a megabyte per 1,000 updates, zeroed for every request. */
	for (size_t i = 0; i < n; i++)
		if (it->results[i].over_occupied)
			n_over++;
	warn = calloc(n_over + 1, sizeof(*warn));
	wp = calloc(n_over + 1, sizeof(*wp));
	REQUIRE(res && rp && acks && warn && wp);
	for (size_t i = 0; i < n; i++) {
		struct update_result *r = &it->results[i];

		shelterd__v1__update_result__init(&res[i]);
		res[i].code = (Shelterd__V1__Code)op_wire_code(&r->res);
		res[i].error = r->res.msg;
		if (r->res.rc == CODE(OK)) {
			validate_fill_ack(&acks[i], it->updates[i],
			    r->duplicate, r->over_occupied, warn[w], wp[w]);
			res[i].ack = &acks[i];
		}
		if (r->over_occupied)
			w++;
		rp[i] = &res[i];
		count_result(s, r);
	}
	batch.n_results = n;
	batch.results = rp;
	reply->body_case = SHELTERD__V1__REPLY__BODY_BATCH;
	reply->batch = &batch;
	api_pack(it, reply);
	free(res);
	free(rp);
	free(acks);
	free(warn);
	free(wp);
}

/* ---- stale reports -------------------------------------------------- */

int64_t
occupancy_deadline(const struct ctx *s, const struct reg_shelter *sh)
{
	return sh->deadline_secs ? sh->deadline_secs :
	    s->cfg->deadline_secs;
}

bool
occupancy_stale_any_due(const struct ctx *s, int64_t now)
{
	for (size_t i = 0; i < s->reg->n_shelters; i++)
		if (s->stale_at[i] != 0 && s->stale_at[i] <= now)
			return true;
	return false;
}

/* One shelter missed its deadline: its beds become unknown. */
static int
mark_stale(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    int64_t now)
{
	const struct reg_region *region = &s->reg->regions[sh->region];
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct shelter_state st, next;
	int rc;

	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	if (st.seq == 0 || st.stale ||
	    st.received_at + occupancy_deadline(s, sh) > now)
		return 0; /* reported meanwhile, or already stale */
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_SHELTER;
	ev.level = SHELTERD__V1__LEVEL__LEVEL_WARNING;
	ev.region_id = (char *)region->id;
	ev.shelter_id = (char *)sh->id;
	for (int c = 0; c < CAT_COUNT; c++)
		if (st.present & (1u << c))
			ev.capacity += st.beds[c].capacity;
	if ((rc = events_emit(s, txn, &ev, now)) != 0)
		return rc;
	log_warn("shelter %s is stale: no report since %" PRId64 " s ago",
	    sh->id, now - st.received_at);
	next = st;
	next.stale = 1;
	return occupancy_store(s, txn, sh, &st, &next, now);
}

int
occupancy_stale_sweep(struct ctx *s, MDB_txn *txn, int64_t now)
{
	int rc;

	for (size_t i = 0; i < s->reg->n_shelters; i++) {
		if (s->stale_at[i] == 0 || s->stale_at[i] > now)
			continue;
		if ((rc = mark_stale(s, txn, &s->reg->shelters[i], now)) != 0)
			return rc;
		s->stale_at[i] = 0;
	}
	return 0;
}

/* ---- startup --------------------------------------------------------- */

/*
 * Rebuild every aggregate from the shelter states of reg (so that they
 * match however the registry changed), let the escalation rules see the
 * result, and compute each shelter's stale time into stale_at. In txn;
 * *changed counts the aggregates that did not match.
 */
int
occupancy_reconcile_txn(struct ctx *s, MDB_txn *txn,
    const struct registry *reg, int64_t *stale_at, size_t *changed)
{
	struct aggregate *aggs, nation, stored;
	struct esc_transition tr[ESC_MAX_TRANSITIONS];
	int64_t now = (int64_t)time(NULL);
	size_t n;
	int rc;

	*changed = 0;
	aggs = calloc(reg->n_regions, sizeof(*aggs));
	REQUIRE(aggs != NULL);
	memset(&nation, 0, sizeof(nation));
	if ((rc = store_get_next_event_seq(s->store, txn,
	    &s->next_event_seq)) != 0)
		goto out;
	for (size_t i = 0; i < reg->n_shelters; i++) {
		struct shelter_state st;

		if ((rc = store_get_shelter(s->store, txn, reg->shelters[i].id,
		    &st)) != 0)
			goto out;
		stale_at[i] = (st.seq != 0 && !st.stale) ? st.received_at +
		    occupancy_deadline(s, &reg->shelters[i]) : 0;
		aggregate_add(&aggs[reg->shelters[i].region], &st, +1);
		aggregate_add(&nation, &st, +1);
		/* What should be known: the registry's beds, reported or
		 * not. */
		for (int c = 0; c < CAT_COUNT; c++) {
			struct coverage *cv =
			    &aggs[reg->shelters[i].region].cov[c];

			if (!(reg->shelters[i].categories & (1u << c)))
				continue;
			cv->registered_capacity += reg->shelters[i].nominal[c];
			cv->registered_shelters++;
			nation.cov[c].registered_capacity +=
			    reg->shelters[i].nominal[c];
			nation.cov[c].registered_shelters++;
		}
	}
	/* Keep stored levels; recompute counts; then let the rules decide. */
	for (size_t r = 0; r <= reg->n_regions; r++) {
		bool national = r == reg->n_regions;
		struct aggregate *a = national ? &nation : &aggs[r];
		const char *rid = national ? NULL : reg->regions[r].id;

		rc = national ? store_get_national(s->store, txn, &stored) :
		    store_get_region(s->store, txn, rid, &stored);
		if (rc != 0)
			goto out;
		for (int c = 0; c < CAT_COUNT; c++) {
			a->cat[c].level = stored.cat[c].level;
			a->outlook[c].early_level =
			    stored.outlook[c].early_level;
			a->cov[c].level = stored.cov[c].level;
		}
		/* What the registry says should be known is not a count
		 * the shelter states disagree with (and a new store has
		 * none yet). */
		for (int c = 0; c < CAT_COUNT; c++) {
			stored.cov[c].registered_capacity =
			    a->cov[c].registered_capacity;
			stored.cov[c].registered_shelters =
			    a->cov[c].registered_shelters;
		}
		if (memcmp(a, &stored, sizeof(stored)) != 0)
			(*changed)++;
		n = esc_reevaluate(&s->cfg->esc,
		    national ? SCOPE_NATIONAL : SCOPE_REGION, a, tr);
		for (size_t k = 0; k < n; k++)
			if ((rc = events_emit_transition(s, txn, &tr[k], rid,
			    NULL, now)) != 0)
				goto out;
		rc = national ? store_put_national(s->store, txn, a) :
		    store_put_region(s->store, txn, rid, a);
		if (rc != 0)
			goto out;
	}
	rc = store_put_next_event_seq(s->store, txn, s->next_event_seq);
out:
	free(aggs);
	return rc;
}

int
occupancy_reconcile(struct ctx *s)
{
	MDB_txn *txn;
	size_t changed;
	int rc;

	if ((rc = store_begin(s->store, NULL, 1, &txn)) != 0)
		return rc;
	if ((rc = occupancy_reconcile_txn(s, txn, s->reg, s->stale_at,
	    &changed)) != 0) {
		mdb_txn_abort(txn);
		events_drop_from(s, 0);
		return rc;
	}
	if ((rc = store_commit(txn)) != 0) {
		events_drop_from(s, 0);
		return rc;
	}
	if (changed > 0)
		log_warn("rebuilt %zu aggregates that did not match the "
		    "shelter states (registry changed?)", changed);
	return 0;
}

/* ---- the reset_seq verb (ops.h) --------------------------------------- */

/*
 * An operator lets a shelter report again after its clock jumped ahead:
 * the stored seq becomes 1, the lowest that still means "has reported"
 * (0 would make it a never-reported shelter, unknown and never stale), so
 * its next report is accepted whatever its seq, and nothing else changes.
 */
int
occupancy_reset_seq(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	const char *id = it->req->reset_seq->shelter_id;
	const struct reg_shelter *sh = registry_shelter(s->reg, id ? id : "");
	struct shelter_state st;
	char who[48];
	int rc;

	(void)k;
	if (sh == NULL)
		return op_fail(&it->res, CODE(UNKNOWN_SHELTER), "unknown "
		    "shelter '%.31s'", id ? id : "");
	if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
		return rc;
	if (st.seq <= 1)
		return op_fail(&it->res, CODE(CONFLICT), "shelter %s has not "
		    "reported since its last reset: nothing to reset", sh->id);
	it->value = st.seq;
	st.seq = 1;
	if ((rc = store_put_shelter(s->store, txn, sh->id, &st)) != 0 ||
	    (rc = audit_seq_reset(s, txn, &it->who, sh->id, it->value,
	    now)) != 0)
		return rc;
	authz_format(&it->who, who, sizeof(who));
	log_warn("shelter %s: seq reset from %" PRIu64 " by %s; its next "
	    "report is accepted whatever its seq", sh->id, it->value, who);
	return 0;
}

void
occupancy_reply_reset_seq(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	Shelterd__V1__ResetSeqReply r = SHELTERD__V1__RESET_SEQ_REPLY__INIT;

	(void)s;
	(void)rtxn;
	if (it->res.rc != 0)
		return;
	r.shelter_id = it->req->reset_seq->shelter_id;
	r.previous_seq = it->value;
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESET_SEQ;
	reply->reset_seq = &r;
	api_pack(it, reply);
}
