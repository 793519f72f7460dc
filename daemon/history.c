/*
 * history.c — occupancy samples and placement records in LMDB, their
 * retention, and the report/trend queries (docs/history.md). The numbers
 * are computed by core/report.c; this file moves data between LMDB, the
 * registry and protobuf.
 */
#include "history.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "regionplan.h"
#include "placement.h"
#include "util.h"
#include "report.h"
#include "names.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

/* Purge steps, for struct history.more. */
enum {
	STEP_PLACE_LOG = 1u << 0,
	STEP_CASE_REF = 1u << 1,
	STEP_PLACEMENTS = 1u << 2,
	STEP_SAMPLES = 1u << 3,
	STEP_ALL = (1u << 4) - 1,
};

/* Large enough that several changes of one shelter and category in one
 * second (a report, a hold, an acceptance) all find a key. */
enum { SAME_SECOND_MAX = 1000 };

/* ---- samples ---------------------------------------------------------- */

/* The key after the newest one: at `now`, or just after the newest if the
 * clock went back (the log stays in order; a sample is never dropped). */
static int
next_key(struct ctx *s, MDB_txn *txn, int64_t now, unsigned char *key)
{
	struct history *h = &s->hist;

	if (!h->key_known) {
		MDB_cursor *cur;
		MDB_val k, v;
		int rc;

		if ((rc = mdb_cursor_open(txn, s->store->samples, &cur)) != 0)
			return rc;
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		mdb_cursor_close(cur);
		if (rc == 0 && k.mv_size == HIST_SAMPLE_KEY) {
			h->last_at = (int64_t)util_get_be64(k.mv_data);
			h->last_n = util_get_be32(
			    (unsigned char *)k.mv_data + 8);
		} else if (rc == 0) {
			return MDB_CORRUPTED;
		} else if (rc != MDB_NOTFOUND) {
			return rc;
		} else {
			h->last_at = INT64_MIN;
		}
		h->key_known = true;
	}
	if (now > h->last_at) {
		h->last_at = now;
		h->last_n = 0;
	} else if (h->last_n == UINT32_MAX) {
		h->last_at++;
		h->last_n = 0;
	} else {
		h->last_n++;
	}
	util_put_be64(key, (uint64_t)h->last_at);
	util_put_be32(key + 8, h->last_n);
	return 0;
}

/* Append one sample. The counter in memory may run ahead of the log (an
 * update whose nested txn aborted): keys stay increasing all the same. */
static int
append(struct ctx *s, MDB_txn *txn, const struct hist_sample *h,
    int64_t now)
{
	unsigned char key[HIST_SAMPLE_KEY];
	MDB_val k = { sizeof(key), key }, v = { sizeof(*h), (void *)h };
	int rc;

	if ((rc = next_key(s, txn, now, key)) != 0)
		return rc;
	rc = mdb_put(txn, s->store->samples, &k, &v, MDB_APPEND);
	if (rc == MDB_KEYEXIST) {
		/* Out of step with the log (another writer? a restored
		 * backup?): read where it ends and try once more. */
		s->hist.key_known = false;
		if ((rc = next_key(s, txn, now, key)) != 0)
			return rc;
		v.mv_size = sizeof(*h);
		v.mv_data = (void *)h;
		rc = mdb_put(txn, s->store->samples, &k, &v, MDB_APPEND);
	}
	return rc;
}

static void
sample_of(const struct reg_shelter *sh, const struct shelter_state *st,
    int c, struct hist_sample *out)
{
	const struct bed_counts *b = &st->beds[c];

	memset(out, 0, sizeof(*out));
	util_copy(out->shelter, sizeof(out->shelter), sh->id);
	out->category = (uint8_t)(c + 1);
	if (st->seq == 0 || !(st->present & (1u << c)))
		return;
	out->capacity = b->capacity;
	out->occupied = b->occupied;
	out->out_of_service = b->out_of_service;
	out->held = b->held;
	out->free = beds_free(st->status, b);
	out->status = st->status;
	out->stale = st->stale;
	out->present = 1;
	if (st->forecast & (1u << c)) {
		out->forecast = 1;
		out->expected_24h = st->expect[c].free_24h;
		out->expected_72h = st->expect[c].free_72h;
	}
}

int
history_shelter(struct ctx *s, MDB_txn *txn, const struct reg_shelter *sh,
    const struct shelter_state *before, const struct shelter_state *after,
    int64_t now)
{
	for (int c = 0; c < CAT_COUNT; c++) {
		struct hist_sample old, cur;
		int rc;

		sample_of(sh, before, c, &old);
		sample_of(sh, after, c, &cur);
		if (memcmp(&old, &cur, sizeof(cur)) == 0)
			continue;
		if ((rc = append(s, txn, &cur, now)) != 0)
			return store_error(rc);
	}
	return 0;
}

/* A marker, then every reported shelter category as it stands; a
 * STORE_* code. */
static int
checkpoint(struct ctx *s, MDB_txn *txn, int64_t now, size_t *n)
{
	struct hist_sample marker;
	int rc;

	memset(&marker, 0, sizeof(marker));
	marker.checkpoint = 1;
	if ((rc = append(s, txn, &marker, now)) != 0)
		return store_error(rc);
	for (size_t i = 0; i < s->reg->n_shelters; i++) {
		const struct reg_shelter *sh = &s->reg->shelters[i];
		struct shelter_state st;

		if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
			return rc;
		for (int c = 0; c < CAT_COUNT; c++) {
			struct hist_sample h;

			if (!(st.present & (1u << c)) || st.seq == 0)
				continue;
			sample_of(sh, &st, c, &h);
			h.checkpoint = 1;
			if ((rc = append(s, txn, &h, now)) != 0)
				return store_error(rc);
			(*n)++;
		}
	}
	return 0;
}

static int64_t
utc_day(int64_t t)
{
	return t / 86400;
}

static void
write_checkpoint(struct ctx *s, int64_t now)
{
	MDB_txn *txn;
	size_t n = 0;
	int rc;

	if ((rc = store_begin(s->store, NULL, 1, &txn)) == 0) {
		if ((rc = checkpoint(s, txn, now, &n)) == 0)
			rc = store_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	if (rc != 0) {
		s->hist.key_known = false;
		log_err("history checkpoint not committed: %s (trying again "
		    "next tick)", store_strerror(rc));
		return;
	}
	s->hist.checkpoint_day = utc_day(now);
	log_debug("history checkpoint: %zu shelter categories", n);
}

/* ---- placement records ------------------------------------------------ */

enum { PK_ID = 8, PK_STEP = 8 + 48, PK_N = PK_STEP + 1 };

int
history_placement(struct ctx *s, MDB_txn *txn,
    const struct placement_state *p, int step, int64_t now)
{
	struct hist_placement h;
	unsigned char key[HIST_PLACE_KEY];
	MDB_val k = { sizeof(key), key }, v = { sizeof(h), &h };
	int rc, n = 0;

	switch (step) {
	case PSTATE(REQUESTED):
	case PSTATE(ACCEPTED):
	case PSTATE(UNPLACED):
	case PSTATE(CANCELLED):
	case PSTATE(DECLINED):
	case PSTATE(EXPIRED):
		break;
	default:
		return 0; /* held: a step on the way, not an outcome */
	}
	memset(&h, 0, sizeof(h));
	util_copy(h.request_id, sizeof(h.request_id), p->request_id);
	util_copy(h.case_ref, sizeof(h.case_ref), p->case_ref);
	util_copy(h.from_region, sizeof(h.from_region), p->from_region);
	if (step == PSTATE(ACCEPTED) || step == PSTATE(DECLINED) ||
	    step == PSTATE(EXPIRED))
		util_copy(h.held_region, sizeof(h.held_region),
		    p->held_region);
	if (step == PSTATE(DECLINED))
		h.reason = p->last_reason;
	else if (step == PSTATE(EXPIRED))
		h.reason = PLACE_REASON_EXPIRED;
	h.created_at = p->created_at;
	h.at = now;
	h.step = (uint8_t)step;
	h.category = p->category;
	h.beds = p->beds;
	h.urgency = p->urgency;
	h.declines = p->n_tried;
	h.in_reserve = p->in_reserve;
	memset(key, 0, sizeof(key));
	util_put_be64(key, (uint64_t)now);
	memcpy(key + PK_ID, h.request_id, sizeof(h.request_id));
	key[PK_STEP] = (unsigned char)step;
	do {
		key[PK_N] = (unsigned char)n;
		/* MDB_KEYEXIST points v at the existing value. */
		v.mv_size = sizeof(h);
		v.mv_data = &h;
		rc = mdb_put(txn, s->store->place_log, &k, &v,
		    MDB_NOOVERWRITE);
	} while (rc == MDB_KEYEXIST && ++n < 256);
	return rc == 0 ? 0 : store_error(rc);
}

/* ---- retention --------------------------------------------------------- */

static int64_t
retention(uint32_t secs, uint32_t days)
{
	return secs ? (int64_t)secs : (int64_t)days * 86400;
}

static bool
purge_due(const struct ctx *s, int64_t now)
{
	const struct history_config *c = &s->cfg->hist;

	if (retention(c->sample_retention_secs, c->sample_retention_days) ==
	    0 && retention(c->placement_retention_secs,
	    c->placement_retention_days) == 0 &&
	    retention(c->case_ref_retention_secs,
	    c->case_ref_retention_days) == 0)
		return false;
	return s->hist.more != 0 || now >= s->hist.next_purge_at;
}

/* What one purge may still do: writes (deletions and blankings) bound the
 * txn, reads bound the time on the loop thread. */
struct budget {
	uint32_t writes, reads;
	uint64_t deleted, blanked;
};

/* Placement records older than their retention, oldest first. */
static int
purge_place_log(struct ctx *s, MDB_txn *txn, int64_t cutoff,
    struct budget *b)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->store->place_log, &cur)) != 0)
		return rc;
	s->hist.more &= ~STEP_PLACE_LOG;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != HIST_PLACE_KEY) {
			rc = MDB_CORRUPTED;
			break;
		}
		if ((int64_t)util_get_be64(k.mv_data) >= cutoff)
			break;
		if (b->writes == 0) {
			s->hist.more |= STEP_PLACE_LOG;
			break;
		}
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		b->writes--;
		b->deleted++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Blank case_ref in records older than its retention. Records are only
 * ever appended at "now", so what lies before a finished scan's cutoff
 * stays blank: the next scan starts there. */
static int
blank_place_log(struct ctx *s, MDB_txn *txn, int64_t cutoff,
    struct budget *b)
{
	unsigned char start[8];
	MDB_cursor *cur;
	MDB_val k = { sizeof(start), start }, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->store->place_log, &cur)) != 0)
		return rc;
	s->hist.more &= ~STEP_CASE_REF;
	util_put_be64(start, (uint64_t)s->hist.case_ref_done);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		unsigned char key[HIST_PLACE_KEY];
		int64_t at;
		struct hist_placement h;

		if (k.mv_size != HIST_PLACE_KEY || v.mv_size != sizeof(h)) {
			rc = MDB_CORRUPTED;
			break;
		}
		if ((at = (int64_t)util_get_be64(k.mv_data)) >= cutoff)
			break;
		if (b->reads == 0 || b->writes == 0) {
			s->hist.case_ref_done = at;
			s->hist.more |= STEP_CASE_REF;
			break;
		}
		b->reads--;
		memcpy(&h, v.mv_data, sizeof(h));
		if (h.case_ref[0] == '\0')
			continue;
		memset(h.case_ref, 0, sizeof(h.case_ref));
		/* Copies: the put may move the page k and v point into. */
		memcpy(key, k.mv_data, sizeof(key));
		k.mv_data = key;
		v.mv_data = &h;
		if ((rc = mdb_cursor_put(cur, &k, &v, MDB_CURRENT)) != 0)
			break;
		b->writes--;
		b->blanked++;
	}
	mdb_cursor_close(cur);
	if (rc == MDB_NOTFOUND || (rc == 0 && !(s->hist.more &
	    STEP_CASE_REF))) {
		s->hist.case_ref_done = cutoff;
		rc = 0;
	}
	return rc;
}

static bool
final_state(int state)
{
	return state == PSTATE(ACCEPTED) || state == PSTATE(UNPLACED) ||
	    state == PSTATE(CANCELLED);
}

/* The placements db (request id -> placement_state): requests that ended
 * long enough ago lose their case_ref, and later the whole entry. Keyed by
 * request id, so this is a full scan: it runs once per purge interval. */
static int
purge_placements(struct ctx *s, MDB_txn *txn, int64_t cutoff_delete,
    int64_t cutoff_blank, struct budget *b)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->store->placements, &cur)) != 0)
		return rc;
	s->hist.more &= ~STEP_PLACEMENTS;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	while (rc == 0) {
		struct placement_state p;
		bool del, blank;

		if (v.mv_size != sizeof(p)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&p, v.mv_data, sizeof(p));
		del = final_state(p.state) && p.updated_at < cutoff_delete;
		blank = final_state(p.state) && p.updated_at < cutoff_blank &&
		    p.case_ref[0] != '\0';
		if ((del || blank) && b->writes == 0) {
			s->hist.more |= STEP_PLACEMENTS;
			break;
		}
		if (del) {
			/* After a delete the cursor already stands on the
			 * next entry: MDB_NEXT returns it, not the one after
			 * (LMDB marks the cursor C_DEL). */
			if ((rc = mdb_cursor_del(cur, 0)) != 0)
				break;
			b->writes--;
			b->deleted++;
		} else if (blank) {
			char key[sizeof(p.request_id)];

			if (k.mv_size > sizeof(key)) {
				rc = MDB_CORRUPTED;
				break;
			}
			/* Copies: the put may move the page k points into. */
			memcpy(key, k.mv_data, k.mv_size);
			k.mv_data = key;
			memset(p.case_ref, 0, sizeof(p.case_ref));
			v.mv_data = &p;
			if ((rc = mdb_cursor_put(cur, &k, &v,
			    MDB_CURRENT)) != 0)
				break;
			b->writes--;
			b->blanked++;
		}
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* Samples older than their retention: the front of the log. */
static int
purge_samples(struct ctx *s, MDB_txn *txn, int64_t cutoff,
    struct budget *b)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, s->store->samples, &cur)) != 0)
		return rc;
	s->hist.more &= ~STEP_SAMPLES;
	while ((rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST)) == 0) {
		if (k.mv_size != HIST_SAMPLE_KEY) {
			rc = MDB_CORRUPTED;
			break;
		}
		if ((int64_t)util_get_be64(k.mv_data) >= cutoff)
			break;
		if (b->writes == 0) {
			s->hist.more |= STEP_SAMPLES;
			break;
		}
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		b->writes--;
		b->deleted++;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
purge(struct ctx *s, MDB_txn *txn, int64_t now, struct budget *done)
{
	const struct history_config *c = &s->cfg->hist;
	int64_t samples = retention(c->sample_retention_secs,
	    c->sample_retention_days);
	int64_t places = retention(c->placement_retention_secs,
	    c->placement_retention_days);
	int64_t refs = retention(c->case_ref_retention_secs,
	    c->case_ref_retention_days);
	/* A fresh purge does every step; a continuation only the steps
	 * that ran out of budget last time. */
	unsigned steps = s->hist.more ? s->hist.more : STEP_ALL;
	struct budget b = { c->purge_batch, c->purge_batch * 20u, 0, 0 };
	int rc = 0;

	if (places && (steps & STEP_PLACE_LOG))
		rc = purge_place_log(s, txn, now - places, &b);
	if (rc == 0 && refs && (steps & STEP_CASE_REF))
		rc = blank_place_log(s, txn, now - refs, &b);
	if (rc == 0 && (places || refs) && (steps & STEP_PLACEMENTS))
		rc = purge_placements(s, txn, places ? now - places :
		    INT64_MIN, refs ? now - refs : INT64_MIN, &b);
	if (rc == 0 && samples && (steps & STEP_SAMPLES))
		rc = purge_samples(s, txn, now - samples, &b);
	if (rc != 0) {
		s->hist.more = 0;
		return store_error(rc);
	}
	if (s->hist.more == 0)
		s->hist.next_purge_at = now + c->purge_interval_secs;
	*done = b;
	return 0;
}

void
history_tick(struct ctx *s, int64_t now)
{
	struct budget b = { 0 };
	MDB_txn *txn;
	int rc;

	/* Checkpoints bound how far back a report reads. */
	if (s->hist.checkpoint_day != utc_day(now))
		write_checkpoint(s, now);
	if (!purge_due(s, now))
		return;
	if ((rc = store_begin(s->store, NULL, 1, &txn)) == 0) {
		if ((rc = purge(s, txn, now, &b)) == 0)
			rc = store_commit(txn);
		else
			mdb_txn_abort(txn);
	}
	if (rc == 0 && (b.deleted || b.blanked))
		log_info("history retention: %" PRIu64 " expired entries "
		    "deleted, %" PRIu64 " case_refs blanked%s", b.deleted,
		    b.blanked, s->hist.more ? " (more next tick)" : "");
	if (rc != 0) {
		/* Progress kept in memory may not be on disk: start over. */
		s->hist.more = 0;
		s->hist.case_ref_done = 0;
		s->hist.next_purge_at = now + s->cfg->hist.purge_interval_secs;
		log_err("history retention not committed: %s (trying again "
		    "in %u s)", store_strerror(rc),
		    s->cfg->hist.purge_interval_secs);
	}
}

/* ---- reading the history ---------------------------------------------- */

struct samples_buf {
	struct rep_sample *v;
	size_t n, cap;
	/* Planning: beds of shelters that are not open count nowhere. */
	bool open_only;
};

static void
add_sample(struct samples_buf *b, int64_t at, uint32_t shelter,
    uint16_t group, int category, const struct hist_sample *h)
{
	struct rep_sample *r;

	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		void *p = realloc(b->v, cap * sizeof(*b->v));

		REQUIRE(p != NULL);
		b->v = p;
		b->cap = cap;
	}
	r = &b->v[b->n++];
	memset(r, 0, sizeof(*r));
	r->at = at;
	r->shelter = shelter;
	r->group = group;
	r->category = (uint8_t)category;
	if (!h->present)
		return; /* no beds of this kind any more */
	if (b->open_only && h->status != SH_STATUS_OPEN)
		return;
	r->capacity = h->capacity;
	r->occupied = h->occupied;
	/* As the live picture counts: a silent shelter's beds are unknown,
	 * not free. */
	r->free = h->stale ? 0 : h->free;
}

/*
 * Samples of registry shelters (of one region, when region >= 0) and
 * categories (one, when category > 0) from the last checkpoint at or
 * before `from` (the state the period starts in) until `until`. Shelters
 * that left the registry have no region to count in and are left out.
 */
static int
read_samples(struct store *st, const struct registry *reg, MDB_txn *txn,
    int region, int category, int64_t from, int64_t until,
    struct samples_buf *b)
{
	unsigned char start[8];
	MDB_cursor *cur;
	MDB_val k = { sizeof(start), start }, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->samples, &cur)) != 0)
		return rc;
	util_put_be64(start, (uint64_t)from);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	/* Back to a checkpoint: at most a day, or the daemon's downtime. */
	while (rc == 0) {
		struct hist_sample h;

		if (k.mv_size != HIST_SAMPLE_KEY || v.mv_size != sizeof(h)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&h, v.mv_data, sizeof(h));
		if (h.category == 0 &&
		    (int64_t)util_get_be64(k.mv_data) <= from)
			break;
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	}
	if (rc == MDB_NOTFOUND) /* none: from the start of the log */
		rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		int64_t at = (int64_t)util_get_be64(k.mv_data);
		const struct reg_shelter *sh;
		struct hist_sample h;

		if (at >= until)
			break;
		if (k.mv_size != HIST_SAMPLE_KEY || v.mv_size != sizeof(h)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&h, v.mv_data, sizeof(h));
		h.shelter[sizeof(h.shelter) - 1] = '\0';
		if (h.category == 0 || (category > 0 &&
		    h.category != category) ||
		    (sh = registry_shelter(reg, h.shelter)) == NULL ||
		    (region >= 0 && sh->region != region))
			continue;
		add_sample(b, at, (uint32_t)(sh - reg->shelters),
		    sh->region, h.category, &h);
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

struct places_buf {
	struct rep_place *v;
	size_t n, cap;
};

static int
read_places_of(const struct registry *reg, struct store *st, MDB_txn *txn,
    int64_t from, int64_t until, struct places_buf *b)
{
	unsigned char start[8];
	MDB_cursor *cur;
	MDB_val k = { sizeof(start), start }, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->place_log, &cur)) != 0)
		return rc;
	util_put_be64(start, (uint64_t)from);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct hist_placement h;
		struct rep_place *r;
		int g, held;

		if (v.mv_size != sizeof(h)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&h, v.mv_data, sizeof(h));
		if (h.at >= until)
			break;
		if ((g = registry_region(reg, h.from_region)) < 0)
			continue;
		if (b->n == b->cap) {
			size_t cap = b->cap ? b->cap * 2 : 256;
			void *p = realloc(b->v, cap * sizeof(*b->v));

			REQUIRE(p != NULL);
			b->v = p;
			b->cap = cap;
		}
		r = &b->v[b->n++];
		memset(r, 0, sizeof(*r));
		r->at = h.at;
		r->created_at = h.created_at;
		r->group = (uint16_t)g;
		r->category = h.category;
		r->step = h.step;
		r->in_own_region = strcmp(h.held_region, h.from_region) == 0;
		/* Never the case_ref or the request id: a report has no
		 * use for them. */
		r->reason = h.reason;
		h.held_region[sizeof(h.held_region) - 1] = '\0';
		held = registry_region(reg, h.held_region);
		r->in_reserve = h.in_reserve != 0;
		r->held_group = held >= 0 ? (uint16_t)held : UINT16_MAX;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
read_places(struct ctx *s, MDB_txn *txn, int64_t from, int64_t until,
    struct places_buf *b)
{
	return read_places_of(s->reg, s->store, txn, from, until, b);
}

/* Reserve activations that touch [from, until), their confirmations, and
 * who has reserve beds (rep_params.reserves, .confirms,
 * .reserve_shelters). */
struct reserves_buf {
	const struct registry *reg;
	int64_t from, until;
	struct rep_reserve *v;
	uint64_t *ids;            /* the activation of each v[i] */
	size_t n, cap;
	struct rep_confirm *c;
	size_t nc, capc;
	uint32_t cur;             /* collect_confirm: whose answers */
	uint32_t *shelters;       /* [(n_regions + 1) * CAT_COUNT] */
};

static int
collect_reserve(void *arg, const struct reserve_activation *r)
{
	struct reserves_buf *b = arg;
	struct rep_reserve *x;
	char region[sizeof(r->region)];
	int g;

	/* Oldest first: none after this one began in the period. */
	if (r->at >= b->until)
		return 1;
	util_copy(region, sizeof(region), r->region);
	if ((g = registry_region(b->reg, region)) < 0 || r->category < 1 ||
	    r->category > CAT_COUNT)
		return 0;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		void *p = realloc(b->v, cap * sizeof(*b->v));
		void *q = realloc(b->ids, cap * sizeof(*b->ids));

		REQUIRE(p != NULL && q != NULL);
		b->v = p;
		b->ids = q;
		b->cap = cap;
	}
	x = &b->v[b->n];
	memset(x, 0, sizeof(*x));
	x->at = r->at;
	/* Its beds count until it was released or expired, or (still open)
	 * until its until. */
	x->end = r->ended != RESERVE_OPEN && r->ended_at > 0 ? r->ended_at :
	    r->until;
	x->beds = r->beds;
	x->group = (uint16_t)g;
	x->category = r->category;
	/* Ended before the period and not made in it: nothing to count. */
	if (x->end <= b->from && x->at < b->from)
		return 0;
	b->ids[b->n++] = r->id;
	return 0;
}

static int
collect_confirm(void *arg, const struct reserve_answer *a)
{
	struct reserves_buf *b = arg;
	struct rep_confirm *c;

	if (!a->confirmed || a->beds == 0 || a->at >= b->until)
		return 0;
	if (b->nc == b->capc) {
		size_t cap = b->capc ? b->capc * 2 : 64;
		void *p = realloc(b->c, cap * sizeof(*b->c));

		REQUIRE(p != NULL);
		b->c = p;
		b->capc = cap;
	}
	c = &b->c[b->nc++];
	memset(c, 0, sizeof(*c));
	c->at = a->at;
	c->beds = a->beds;
	c->reserve = b->cur;
	return 0;
}

/* A STORE_* code. */
static int
read_reserves(struct store *st, const struct registry *reg, MDB_txn *txn,
    int64_t from, int64_t until, bool public, struct reserves_buf *b)
{
	int rc;

	b->reg = reg;
	b->from = from;
	b->until = until;
	if ((rc = store_reserves_each(st, txn, collect_reserve, b)) != 0)
		return rc;
	for (size_t i = 0; i < b->n; i++) {
		b->cur = (uint32_t)i;
		if ((rc = store_reserve_answers_each(st, txn, b->ids[i],
		    collect_confirm, b)) != 0)
			break;
	}
	if (rc != 0 || !public)
		return rc;
	b->shelters = calloc((reg->n_regions + 1) * CAT_COUNT,
	    sizeof(*b->shelters));
	REQUIRE(b->shelters != NULL);
	for (size_t i = 0; i < reg->n_shelters; i++) {
		const struct reg_shelter *sh = &reg->shelters[i];

		for (int c = 1; c <= CAT_COUNT; c++)
			if (regionplan_shelter_reserve(reg, st, txn, sh,
			    c) > 0) {
				b->shelters[(size_t)sh->region * CAT_COUNT +
				    (size_t)c - 1]++;
				b->shelters[reg->n_regions * CAT_COUNT +
				    (size_t)c - 1]++;
			}
	}
	return 0;
}

static void
reserves_free(struct reserves_buf *b)
{
	free(b->v);
	free(b->ids);
	free(b->c);
	free(b->shelters);
	memset(b, 0, sizeof(*b));
}

/* ---- planning days (daemon/planning.c) -------------------------------- */

/* The samples of region g, copied into out (room for all of b). */
static size_t
of_region(const struct samples_buf *b, uint16_t g, struct rep_sample *out)
{
	size_t k = 0;

	for (size_t i = 0; i < b->n; i++)
		if (b->v[i].group == g)
			out[k++] = b->v[i];
	return k;
}

int
history_planning_days(struct ctx *s, MDB_txn *txn, int64_t until,
    uint32_t day_secs, size_t n_days, struct shortage_day *out,
    bool *covered)
{
	const struct registry *reg = s->reg;
	struct samples_buf all = { 0 }, open = { .open_only = true };
	struct rep_params p = { 0 };
	struct rep_sample *tmp = NULL;
	struct rep_point *pts = NULL;
	MDB_cursor *cur;
	MDB_val k, v;
	int64_t first = INT64_MAX;
	int rc;

	p.until = until;
	p.from = until - (int64_t)n_days * day_secs;
	p.n_shelters = (uint32_t)reg->n_shelters;
	p.n_groups = (uint16_t)reg->n_regions;
	p.critical_pct = s->cfg->esc.region_critical_pct;
	memset(out, 0, reg->n_regions * CAT_COUNT * n_days * sizeof(*out));
	/* The log's first sample is the daemon's first checkpoint: before
	 * it, nothing is known. */
	if ((rc = mdb_cursor_open(txn, s->store->samples, &cur)) != 0)
		return store_error(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	mdb_cursor_close(cur);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return store_error(rc);
	if (rc == 0 && k.mv_size == HIST_SAMPLE_KEY)
		first = (int64_t)util_get_be64(k.mv_data);
	*covered = first <= p.from;
	if ((rc = read_samples(s->store, reg, txn, -1, 0, p.from, p.until,
	    &all)) != 0 || (rc = read_samples(s->store, reg, txn, -1, 0,
	    p.from, p.until, &open)) != 0)
		goto out;
	tmp = calloc(all.n + open.n + 1, sizeof(*tmp));
	pts = calloc(n_days, sizeof(*pts));
	REQUIRE(tmp != NULL && pts != NULL);
	for (size_t g = 0; g < reg->n_regions; g++) {
		size_t na = of_region(&all, (uint16_t)g, tmp);
		size_t no = of_region(&open, (uint16_t)g, tmp + na);

		for (int c = 0; c < CAT_COUNT; c++) {
			struct shortage_day *d = &out[(g * CAT_COUNT +
			    (size_t)c) * n_days];

			/* Critical as the monthly report counts it: at or
			 * over region_critical_pct at any time that day. */
			REQUIRE(report_trend(&p, c + 1, day_secs, tmp, na, pts,
			    n_days) == 0);
			for (size_t i = 0; i < n_days; i++)
				d[i].known = p.from + (int64_t)(i + 1) *
				    day_secs > first;
			for (size_t i = 0; i < n_days; i++)
				d[i].critical = pts[i].data_secs > 0 &&
				    pts[i].peak_pct >= (double)p.critical_pct;
			REQUIRE(report_trend(&p, c + 1, day_secs, tmp + na, no,
			    pts, n_days) == 0);
			for (size_t i = 0; i < n_days; i++)
				d[i].capacity = pts[i].capacity;
		}
	}
out:
	free(tmp);
	free(pts);
	free(all.v);
	free(open.v);
	return rc == 0 ? 0 : store_error(rc);
}

int
history_window_report(struct ctx *s, MDB_txn *txn, int64_t from,
    int64_t until, struct report *out)
{
	struct samples_buf sb = { 0 };
	struct places_buf pb = { 0 };
	struct rep_params p = { 0 };
	int rc;

	p.from = from;
	p.until = until;
	p.n_shelters = (uint32_t)s->reg->n_shelters;
	p.n_groups = (uint16_t)s->reg->n_regions;
	p.critical_pct = s->cfg->esc.region_critical_pct;
	if ((rc = read_samples(s->store, s->reg, txn, -1, 0, from, until,
	    &sb)) == 0 &&
	    (rc = read_places(s, txn, from, until, &pb)) == 0)
		REQUIRE(report_build(&p, sb.v, sb.n, pb.v, pb.n, out) == 0);
	free(sb.v);
	free(pb.v);
	return rc == 0 ? 0 : store_error(rc);
}

/* ---- queries ------------------------------------------------------------ */

/*
 * A report reads a month of samples: ~0.8 s for 900,000 of them. Checked on
 * the loop thread (a refusal is answered at once), computed on libuv's
 * thread pool with a read txn of its own (MDB_NOTLS allows it), and sent
 * from the loop when done: ingest does not wait for statistics.
 */
struct query {
	uv_work_t work;
	struct ctx *s;
	nng_msg *msg;
	void (*pack)(nng_msg *, const Shelterd__V1__Reply *);
	bool trend;
	struct rep_params p;
	char month[8];
	int region;               /* trend: -1 for the nation */
	char region_id[REG_ID_MAX];
	int category;
	size_t buckets;
	uint32_t days;
	int64_t now;
	int64_t bucket_secs;
	uint32_t warning_pct;
	int rc;                   /* STORE_* */
	size_t n_samples, n_places, n_rows;
	uint8_t *few;             /* p.few_shelters, ours */
};

/* Which cells public reports show only nationally, copied: the worker
 * must not read s->disc, which an import replaces (core/disclose.h). */
static uint8_t *
few_shelters(const struct ctx *s)
{
	size_t n = s->reg->n_regions;
	uint8_t *few = calloc((n + 1) * CAT_COUNT, 1);

	REQUIRE(few != NULL);
	for (size_t g = 0; g <= n; g++)
		for (int c = 1; c <= CAT_COUNT; c++)
			few[g * CAT_COUNT + c - 1] = g < n ?
			    !disclose_cell_public(s->disc, g, c) :
			    !disclose_national_public(s->disc, c);
	return few;
}

#define REFUSE(code, ...)                               \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return CODE(code);                      \
	} while (0)

static int
check_report(const struct ctx *s, const Shelterd__V1__ReportQuery *r,
    struct query *q, char *err, size_t errlen, int64_t now)
{
	int64_t month_end;

	if (report_month_range(r->month, &q->p.from, &month_end) != 0)
		REFUSE(BAD_REQUEST, "month must be YYYY-MM (UTC), not "
		    "'%.16s'", r->month);
	if (q->p.from > now)
		REFUSE(BAD_REQUEST, "%s has not begun: no history yet",
		    r->month);
	/* What happened in this second counts already. */
	q->p.until = month_end < now + 1 ? month_end : now + 1;
	q->p.k = r->k ? r->k : s->cfg->hist.k_anonymity;
	if (q->p.k > 1000)
		REFUSE(BAD_REQUEST, "k must be 1 to 1000, not %u", q->p.k);
	q->p.public = r->public_;
	util_copy(q->month, sizeof(q->month), r->month);
	return 0;
}

enum { TREND_DAYS_MAX = 400, TREND_BUCKETS_MAX = 400 };

static int
check_trend(const struct ctx *s, const Shelterd__V1__TrendQuery *t,
    struct query *q, char *err, size_t errlen, int64_t now)
{
	const char *rid = t->region_id;
	bool national = *rid == '\0' || strcmp(rid, "national") == 0 ||
	    strcmp(rid, "NL") == 0;

	q->trend = true;
	q->region = national ? -1 : registry_region(s->reg, rid);
	if (!national && q->region < 0)
		REFUSE(BAD_REQUEST, "unknown region '%.31s' (see shelterctl "
		    "regions)", rid);
	if (cat_name((int)t->category) == NULL)
		REFUSE(UNKNOWN_CATEGORY, "a trend needs a category");
	if (t->days < 1 || t->days > TREND_DAYS_MAX)
		REFUSE(BAD_REQUEST, "days must be 1 to %d", TREND_DAYS_MAX);
	q->buckets = t->buckets ? t->buckets : t->days;
	if (q->buckets > TREND_BUCKETS_MAX)
		REFUSE(BAD_REQUEST, "at most %d buckets", TREND_BUCKETS_MAX);
	q->days = t->days;
	q->now = now;
	if (report_trend_window(now, t->days, (uint32_t)q->buckets,
	    &q->p.from, &q->p.until, &q->bucket_secs) != 0)
		REFUSE(BAD_REQUEST, "%zu buckets do not divide %u days into "
		    "whole seconds", q->buckets, t->days);
	if (!national)
		util_copy(q->region_id, sizeof(q->region_id), rid);
	q->category = (int)t->category;
	q->warning_pct = s->cfg->esc.region_warning_pct;
	return 0;
}

#undef REFUSE

static const char *
group_id(const struct ctx *s, uint16_t g)
{
	return g < s->reg->n_regions ? s->reg->regions[g].id : "";
}

/* The norm in force at `at`: the region's, or the sum of the regions'
 * for the nation; -1 when there is none. */
static int64_t
norm_of(const struct registry *reg, uint16_t g, int category, int64_t at)
{
	int64_t sum = -1;
	uint32_t beds;

	if (g < reg->n_regions)
		return norms_current(reg, g, category, at, &beds) ?
		    (int64_t)beds : -1;
	for (size_t r = 0; r < reg->n_regions; r++)
		if (norms_current(reg, (int)r, category, at, &beds))
			sum = (sum < 0 ? 0 : sum) + beds;
	return sum;
}

static void
fill_row(const struct ctx *s, const struct rep_row *r, int64_t at,
    Shelterd__V1__ReportRow *o)
{
	shelterd__v1__report_row__init(o);
	o->region_id = (char *)group_id(s, r->group);
	o->category = (Shelterd__V1__Category)r->category;
	o->avg_occupancy_pct = r->avg_pct;
	o->peak_occupancy_pct = r->peak_pct;
	o->days_critical = r->days_critical;
	o->occupancy_secs = r->occupancy_secs;
	o->requested = r->requested;
	o->placed_in_region = r->placed_in_region;
	o->placed_supra = r->placed_supra;
	o->unplaced = r->unplaced;
	o->cancelled = r->cancelled;
	o->declines = r->declines;
	o->ttp_median_secs = r->ttp_median;
	o->ttp_p90_secs = r->ttp_p90;
	o->peak_capacity = r->peak_capacity;
	o->suppressed = r->suppressed;
	o->complementary = r->complementary;
	o->norm_beds = norm_of(s->reg, r->group, r->category, at);
	o->reserve_activations = r->reserve_activations;
	o->reserve_beds_asked = r->reserve_beds_asked;
	o->reserve_beds_confirmed = r->reserve_beds_confirmed;
	o->reserve_bed_secs = r->reserve_bed_secs;
	o->placed_reserve = r->placed_reserve;
}

/* Read, compute and pack a report; a STORE_* code. */
static int
answer_report(struct query *q, MDB_txn *txn)
{
	struct ctx *s = q->s;
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	Shelterd__V1__Report out = SHELTERD__V1__REPORT__INIT;
	Shelterd__V1__ReportRow *rows, **rowp;
	Shelterd__V1__ReportDecline *dec, **decp;
	struct samples_buf sb = { 0 };
	struct places_buf pb = { 0 };
	struct reserves_buf rb = { 0 };
	struct report r;
	int rc;

	if ((rc = read_samples(s->store, s->reg, txn, -1, 0, q->p.from,
	    q->p.until, &sb)) != 0 || (rc = read_places(s, txn, q->p.from,
	    q->p.until, &pb)) != 0) {
		free(sb.v);
		free(pb.v);
		return store_error(rc);
	}
	if ((rc = read_reserves(s->store, s->reg, txn, q->p.from, q->p.until,
	    q->p.public, &rb)) != 0) {
		free(sb.v);
		free(pb.v);
		reserves_free(&rb);
		return rc;
	}
	q->p.reserves = rb.v;
	q->p.n_reserves = rb.n;
	q->p.confirms = rb.c;
	q->p.n_confirms = rb.nc;
	q->p.reserve_shelters = rb.shelters;
	REQUIRE(report_build(&q->p, sb.v, sb.n, pb.v, pb.n, &r) == 0);
	rows = calloc(r.n_rows + 1, sizeof(*rows));
	rowp = calloc(r.n_rows + 1, sizeof(*rowp));
	dec = calloc(r.n_declines + 1, sizeof(*dec));
	decp = calloc(r.n_declines + 1, sizeof(*decp));
	REQUIRE(rows && rowp && dec && decp);
	for (size_t i = 0; i < r.n_rows; i++) {
		/* The norm of the period's last second. */
		fill_row(s, &r.rows[i], q->p.until - 1, &rows[i]);
		rowp[i] = &rows[i];
	}
	for (size_t i = 0; i < r.n_declines; i++) {
		const struct rep_decline *d = &r.declines[i];

		shelterd__v1__report_decline__init(&dec[i]);
		dec[i].region_id = (char *)group_id(s, d->group);
		dec[i].category = (Shelterd__V1__Category)d->category;
		dec[i].reason = (Shelterd__V1__DeclineReason)d->reason;
		dec[i].count = d->count;
		dec[i].suppressed = d->suppressed;
		dec[i].complementary = d->complementary;
		decp[i] = &dec[i];
	}
	out.month = q->month;
	out.from = q->p.from;
	out.until = q->p.until;
	out.public_ = q->p.public;
	out.k = q->p.k;
	out.critical_pct = q->p.critical_pct;
	out.rows = rowp;
	out.n_rows = r.n_rows;
	out.declines = decp;
	out.n_declines = r.n_declines;
	out.suppressed_cells = r.suppressed_cells;
	reply.body_case = SHELTERD__V1__REPLY__BODY_REPORT;
	reply.report = &out;
	q->pack(q->msg, &reply);
	q->n_samples = sb.n;
	q->n_places = pb.n;
	q->n_rows = r.n_rows;
	report_free(&r);
	free(rows);
	free(rowp);
	free(dec);
	free(decp);
	free(sb.v);
	free(pb.v);
	q->p.reserves = NULL;
	q->p.confirms = NULL;
	q->p.reserve_shelters = NULL;
	reserves_free(&rb);
	return 0;
}

/*
 * Calendar days in UTC (report_trend_window): a daily bucket is one date,
 * labelled by it, and today's is the last, partial one. The data stops at
 * now: later buckets of today (hourly ones) have no history yet.
 */
int
history_trend(struct store *st, const struct registry *reg, MDB_txn *txn,
    const struct history_trend_query *tq, struct history_trend *out)
{
	struct rep_params p = { 0 };
	struct rep_point *points;
	struct samples_buf sb = { 0 };
	int64_t end, len;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	shelterd__v1__trend__init(&out->t);
	if (report_trend_window(tq->now, tq->days, tq->buckets, &p.from, &end,
	    &len) != 0)
		return STORE_EKEY; /* the caller checks first */
	n = (size_t)((end - p.from) / len);
	p.until = tq->now + 1; /* what happened this second counts */
	p.n_shelters = (uint32_t)reg->n_shelters;
	p.n_groups = (uint16_t)reg->n_regions;
	p.critical_pct = tq->critical_pct;
	if ((rc = read_samples(st, reg, txn, tq->region, tq->category, p.from,
	    p.until, &sb)) != 0) {
		free(sb.v);
		return store_error(rc);
	}
	points = calloc(n, sizeof(*points));
	out->pts = calloc(n, sizeof(*out->pts));
	out->ptp = calloc(n, sizeof(*out->ptp));
	REQUIRE(points && out->pts && out->ptp);
	REQUIRE(report_trend(&p, tq->category, len, sb.v, sb.n, points, n) ==
	    0);
	for (size_t i = 0; i < n; i++) {
		Shelterd__V1__TrendPoint *o = &out->pts[i];

		shelterd__v1__trend_point__init(o);
		o->from = points[i].from;
		o->avg_occupancy_pct = points[i].avg_pct;
		o->peak_occupancy_pct = points[i].peak_pct;
		o->data_secs = points[i].data_secs;
		o->min_free = points[i].min_free;
		o->capacity = points[i].capacity;
		out->ptp[i] = o;
	}
	out->t.region_id = tq->region >= 0 &&
	    (size_t)tq->region < reg->n_regions ?
	    (char *)reg->regions[tq->region].id : (char *)"";
	out->t.category = (Shelterd__V1__Category)tq->category;
	out->t.from = p.from;
	out->t.until = p.until;
	out->t.bucket_secs = len;
	out->t.points = out->ptp;
	out->t.n_points = n;
	out->t.critical_pct = tq->critical_pct;
	out->t.warning_pct = tq->warning_pct;
	out->n_samples = sb.n;
	free(points);
	free(sb.v);
	return 0;
}

void
history_trend_free(struct history_trend *t)
{
	free(t->pts);
	free(t->ptp);
	t->pts = NULL;
	t->ptp = NULL;
}

/*
 * Every region and category over the last days (calendar days in UTC),
 * for the dashboard: one read of the samples and placement records, then
 * a trend per region and category and one report over the window, whose
 * rows carry the placement counts (suppressed as a public report's when
 * p->public: the same rule, core/report.c).
 */
int
history_overview(struct store *st, const struct registry *reg, MDB_txn *txn,
    uint32_t days, int64_t now, const struct rep_params *base,
    struct history_overview *out)
{
	struct rep_params p = *base;
	struct samples_buf sb = { 0 };
	struct places_buf pb = { 0 };
	struct rep_sample *mine;
	int64_t end, len;
	size_t nb, ng = reg->n_regions;
	int rc;

	memset(out, 0, sizeof(*out));
	/* report_build counts critical days in a 32-bit mask. */
	if (days < 1 || days > 31 || report_trend_window(now, days, 0,
	    &p.from, &end, &len) != 0)
		return STORE_EKEY; /* the caller checks first */
	p.until = now + 1;
	p.n_shelters = (uint32_t)reg->n_shelters;
	p.n_groups = (uint16_t)ng;
	nb = (size_t)((end - p.from) / len);
	if ((rc = read_samples(st, reg, txn, -1, 0, p.from, p.until,
	    &sb)) != 0 || (rc = read_places_of(reg, st, txn, p.from, p.until,
	    &pb)) != 0) {
		free(sb.v);
		free(pb.v);
		return store_error(rc);
	}
	out->from = p.from;
	out->until = p.until;
	out->bucket_secs = len;
	out->n_buckets = nb;
	out->n_regions = ng;
	out->points = calloc(ng * CAT_COUNT * nb + 1, sizeof(*out->points));
	mine = calloc(sb.n + 1, sizeof(*mine));
	REQUIRE(out->points != NULL && mine != NULL);
	for (size_t g = 0; g < ng; g++) {
		size_t n = 0;

		for (size_t i = 0; i < sb.n; i++)
			if (sb.v[i].group == g)
				mine[n++] = sb.v[i];
		for (int c = 1; c <= CAT_COUNT; c++)
			REQUIRE(report_trend(&p, c, len, mine, n,
			    &out->points[(g * CAT_COUNT + (size_t)c - 1) *
			    nb], nb) == 0);
	}
	REQUIRE(report_build(&p, sb.v, sb.n, pb.v, pb.n, &out->report) ==
	    0);
	free(mine);
	free(sb.v);
	free(pb.v);
	return 0;
}

void
history_overview_free(struct history_overview *o)
{
	free(o->points);
	report_free(&o->report);
	memset(o, 0, sizeof(*o));
}

static int
answer_trend(struct query *q, MDB_txn *txn)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	struct history_trend_query tq = { q->region, q->category, q->days,
	    (uint32_t)q->buckets, q->p.critical_pct, q->warning_pct, q->now };
	struct history_trend t;
	int rc;

	if ((rc = history_trend(q->s->store, q->s->reg, txn, &tq, &t)) != 0)
		return rc;
	t.t.region_id = q->region_id;
	reply.body_case = SHELTERD__V1__REPLY__BODY_TREND;
	reply.trend = &t.t;
	q->pack(q->msg, &reply);
	q->n_samples = t.n_samples;
	history_trend_free(&t);
	return 0;
}

static int
answer(struct query *q, MDB_txn *txn)
{
	return q->trend ? answer_trend(q, txn) : answer_report(q, txn);
}

/* libuv's thread pool: only reads (store, registry) and the query. */
static void
on_work(uv_work_t *w)
{
	struct query *q = w->data;
	MDB_txn *txn;

	if ((q->rc = store_begin(q->s->store, NULL, 0, &txn)) != 0)
		return;
	q->rc = answer(q, txn);
	mdb_txn_abort(txn);
}

/* Back on the loop thread: send the answer. */
static void
on_done(uv_work_t *w, int status)
{
	struct query *q = w->data;
	struct ctx *s = q->s;

	if (status != 0 && q->rc == 0)
		q->rc = STORE_EIO;
	if (q->rc != 0) {
		Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
		char err[128];

		snprintf(err, sizeof(err), "cannot read the store: %s",
		    store_strerror(q->rc));
		reply.code = CODE(INTERNAL);
		reply.error = err;
		q->pack(q->msg, &reply);
		s->stats.refused[CODE(INTERNAL) & 15]++;
		log_err("%s query failed: %s", q->trend ? "trend" : "report",
		    err);
	} else if (q->trend) {
		log_debug("trend %s %s: %zu samples", q->region < 0 ?
		    "national" : q->region_id, cat_name(q->category),
		    q->n_samples);
	} else {
		log_info("report %s%s: %zu samples, %zu placement records, "
		    "%zu rows", q->month, q->p.public ? " (public)" : "",
		    q->n_samples, q->n_places, q->n_rows);
	}
	if (nng_sendmsg(s->api, q->msg, NNG_FLAG_NONBLOCK) != 0) {
		s->stats.replies_dropped++;
		log_warn("%s reply dropped", q->trend ? "trend" : "report");
		nng_msg_free(q->msg);
	}
	free(q->few);
	free(q);
}

static int
start_query(struct ctx *s, MDB_txn *txn,
    const Shelterd__V1__Request *req, nng_msg **msg,
    void (*pack)(nng_msg *, const Shelterd__V1__Reply *), char *err,
    size_t errlen)
{
	int64_t now = (int64_t)time(NULL);
	struct query *q = calloc(1, sizeof(*q));
	int rc;

	REQUIRE(q != NULL);
	rc = req->body_case == SHELTERD__V1__REQUEST__BODY_REPORT ?
	    check_report(s, req->report, q, err, errlen, now) :
	    check_trend(s, req->trend, q, err, errlen, now);
	if (rc != 0) {
		free(q);
		return rc;
	}
	q->s = s;
	q->msg = *msg;
	q->pack = pack;
	q->p.n_shelters = (uint32_t)s->reg->n_shelters;
	q->p.n_groups = (uint16_t)s->reg->n_regions;
	q->p.critical_pct = s->cfg->esc.region_critical_pct;
	q->p.few_shelters = q->few = few_shelters(s);
	q->work.data = q;
	if (uv_queue_work(s->loop, &q->work, on_work, on_done) == 0) {
		*msg = NULL; /* ours now: on_done sends it */
		return 0;
	}
	/* No thread pool: answer here, in the batch's read txn. */
	rc = answer(q, txn);
	free(q->few);
	free(q);
	return rc;
}

void
history_op_query(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__TrendQuery *t = it->req->trend;
	int r, rc;

	(void)reply;
	/* A region's trend of a category it has few shelters of is those
	 * shelters' own occupancy over time (core/disclose.h). */
	if (it->req->body_case == SHELTERD__V1__REQUEST__BODY_TREND &&
	    (r = registry_region(s->reg, t->region_id)) >= 0 &&
	    cat_name((int)t->category) != NULL &&
	    !disclose_may_see_cell(&it->who, s->disc, s->reg, (size_t)r,
	    (int)t->category)) {
		op_fail(&it->res, CODE(FORBIDDEN), "%s has fewer than "
		    "[privacy] k_anonymity %s shelters: its trend is theirs; "
		    "see the national trend", t->region_id,
		    cat_name((int)t->category));
		return;
	}
	rc = start_query(s, rtxn, it->req, &it->msg, api_pack_msg,
	    it->res.msg, sizeof(it->res.msg));
	if (rc != 0)
		it->res.rc = rc;
	else if (it->msg != NULL)
		it->packed = true; /* answered at once, from rtxn */
}
