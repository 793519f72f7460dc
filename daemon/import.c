/*
 * import.c — the registry and live state out (export pages) and a new
 * shelter list in (imports), both on the api socket (docs/registry.md).
 *
 * An import is checked completely before anything changes: the text must
 * parse against the current regions (core/registry.c names the bad line),
 * and no shelter that holds a bed for an open placement may disappear, move
 * region or lose a category. Then ONE write txn deletes the state of
 * removed shelters (and their open alerts), drops counts of categories a
 * shelter no longer has, moves the open alerts of a shelter that changes
 * region, stores the new list (it wins over the registry files from then
 * on) and rebuilds every aggregate from the shelter states; only after it
 * committed does the loop switch to the new registry.
 *
 * It runs in the reply phase of its batch, after that batch's write txn:
 * the batch's updates were applied against the old registry, every later
 * batch sees the new one. MDB_NOTLS lets this write txn open while the
 * batch's read txn is still open on this thread.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "audit.h"
#include "events.h"
#include "import.h"
#include "log.h"
#include "occupancy.h"
#include "placements.h"
#include "queries.h"
#include "wire.h"
#include "ctx.h"
#include "ops.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

enum { EXPORT_PAGE_DEFAULT = 1000, EXPORT_PAGE_MAX = 2000, IDS_MAX = 100 };

/* ---- export ---------------------------------------------------------- */

/* Index of the first shelter whose id sorts after `after`. */
static size_t
first_after(const struct registry *reg, const char *after)
{
	size_t lo = 0, hi = reg->n_shelters;

	if (after == NULL || *after == '\0')
		return 0;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(reg->shelters[mid].id, after) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void
import_op_export(struct ctx *s, MDB_txn *txn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__ExportQuery *q = it->req->export_query;
	const struct registry *reg = s->reg;
	Shelterd__V1__ExportPage page = SHELTERD__V1__EXPORT_PAGE__INIT;
	size_t limit = q->limit, start, n;
	struct shelter_fill *fills;
	Shelterd__V1__ShelterReply **ptrs;
	uint64_t next_seq;
	int rc;

	if (q->norms || q->reserves) {
		/* Every norm, past and future: the text a norms import
		 * takes back; or the reserves in force, each row with its
		 * source, which a reserves import takes back too. */
		char *text = q->norms ? norms_format(reg) :
		    reserve_format(reg, occupancy_reserves(s));

		REQUIRE(text != NULL);
		if (q->norms)
			page.norms_csv = text;
		else
			page.reserves_csv = text;
		page.read_at = (int64_t)time(NULL);
		reply->body_case = SHELTERD__V1__REPLY__BODY_EXPORT_PAGE;
		reply->export_page = &page;
		api_pack(it, reply);
		free(text);
		return;
	}
	if (limit == 0 || limit > EXPORT_PAGE_MAX)
		limit = EXPORT_PAGE_DEFAULT;
	start = first_after(reg, q->after_shelter_id);
	n = reg->n_shelters - start < limit ? reg->n_shelters - start : limit;
	fills = calloc(n + 1, sizeof(*fills));
	ptrs = calloc(n + 1, sizeof(*ptrs));
	REQUIRE(fills != NULL && ptrs != NULL);
	rc = store_get_next_event_seq(s->store, txn, &next_seq);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const struct reg_shelter *sh = &reg->shelters[start + i];
		struct shelter_state st;

		if ((rc = store_get_shelter(s->store, txn, sh->id, &st)) != 0)
			break;
		wire_shelter(&fills[i], reg, sh, &st,
		    (uint32_t)occupancy_deadline(s, sh));
		ptrs[i] = &fills[i].sr;
	}
	if (rc == 0) {
		page.shelters = ptrs;
		page.n_shelters = n;
		page.next_after = start + n < reg->n_shelters ?
		    (char *)reg->shelters[start + n - 1].id : "";
		page.last_event_seq = next_seq - 1;
		page.read_at = (int64_t)time(NULL);
		page.total_shelters = (uint32_t)reg->n_shelters;
		reply->body_case = SHELTERD__V1__REPLY__BODY_EXPORT_PAGE;
		reply->export_page = &page;
		api_pack(it, reply);
	}
	free(fills);
	free(ptrs);
	if (rc != 0)
		it->res.rc = rc;
}

/* ---- import: what changes -------------------------------------------- */

struct change {
	enum reg_change kind;
	const struct reg_shelter *before, *after;
};

struct diff {
	struct change *v;
	size_t n, cap;
	uint32_t count[4];            /* by enum reg_change */
	char *ids[4][IDS_MAX];        /* the first few ids of each */
	size_t n_ids[4];
};

static void
note_change(void *arg, enum reg_change kind, const struct reg_shelter *before,
    const struct reg_shelter *after)
{
	struct diff *d = arg;
	const struct reg_shelter *sh = after != NULL ? after : before;

	d->count[kind]++;
	if (kind == REG_UNCHANGED)
		return;
	if (d->n_ids[kind] < IDS_MAX)
		d->ids[kind][d->n_ids[kind]++] = (char *)sh->id;
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		d->v = realloc(d->v, d->cap * sizeof(*d->v));
		REQUIRE(d->v != NULL);
	}
	d->v[d->n++] = (struct change){ kind, before, after };
}

/* A change a shelter holding a bed for a placement cannot take: the hold
 * names its shelter, region and category. */
static bool
breaks_hold(const struct registry *old, const struct registry *next,
    const struct change *c)
{
	if (c->kind == REG_REMOVED)
		return true;
	return c->kind == REG_CHANGED &&
	    (strcmp(old->regions[c->before->region].id,
	    next->regions[c->after->region].id) != 0 ||
	    (c->before->categories & ~c->after->categories) != 0);
}

struct hold_check {
	const struct registry *old, *next;
	const struct diff *d;
	char *err;
	size_t errlen;
	bool broken;
};

static int
check_hold(void *arg, const struct placement_state *p)
{
	struct hold_check *h = arg;

	if (p->state != SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD)
		return 0;
	for (size_t i = 0; i < h->d->n; i++) {
		const struct change *c = &h->d->v[i];
		const struct reg_shelter *sh = c->before;

		if (sh == NULL || strcmp(sh->id, p->held_shelter) != 0 ||
		    !breaks_hold(h->old, h->next, c))
			continue;
		snprintf(h->err, h->errlen, "shelter %s holds a bed for "
		    "placement %s: it cannot be removed, move region or lose "
		    "a category until the hold is answered, cancelled or "
		    "expired", sh->id, p->request_id);
		h->broken = true;
		return 1;
	}
	return 0;
}

/* Open alerts of shelters that were removed or changed: collected, then
 * deleted, and those of a shelter that moved region put back under its
 * new region (the key names the region: its next report must find it). */
struct shelter_alert {
	char key[160];
	struct alert_state a;
	const struct change *c;
};

struct alert_list {
	const struct diff *d;
	struct shelter_alert *v;
	size_t n, cap;
};

static int
collect_alert(void *arg, const char *key, const struct alert_state *a)
{
	struct alert_list *l = arg;

	if (a->shelter[0] == '\0')
		return 0;
	for (size_t i = 0; i < l->d->n; i++) {
		const struct change *c = &l->d->v[i];

		if (strcmp(c->before ? c->before->id : c->after->id,
		    a->shelter) != 0)
			continue;
		if (c->kind == REG_ADDED)
			break;
		if (l->n == l->cap) {
			l->cap = l->cap ? l->cap * 2 : 16;
			l->v = realloc(l->v, l->cap * sizeof(*l->v));
			REQUIRE(l->v != NULL);
		}
		snprintf(l->v[l->n].key, sizeof(l->v[0].key), "%s", key);
		l->v[l->n].a = *a;
		l->v[l->n].c = c;
		l->n++;
		break;
	}
	return 0;
}

static int
move_alerts(struct ctx *s, MDB_txn *txn, const struct registry *next,
    const struct diff *d)
{
	struct alert_list l = { .d = d };
	int rc = store_alerts_each(s->store, txn, collect_alert, &l);

	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		struct shelter_alert *x = &l.v[i];
		const struct reg_shelter *sh = x->c->after;
		const char *region;

		if ((rc = store_del_alert(s->store, txn, x->key)) != 0)
			break;
		/* Gone with the shelter, or with its category. */
		if (sh == NULL || (x->a.category > 0 && x->a.category <=
		    CAT_COUNT && !(sh->categories & (1u <<
		    (x->a.category - 1)))))
			continue;
		region = next->regions[sh->region].id;
		snprintf(x->a.region, sizeof(x->a.region), "%s", region);
		alert_key(x->a.kind, x->a.scope, region, sh->id,
		    x->a.category, x->key, sizeof(x->key));
		rc = store_put_alert(s->store, txn, x->key, &x->a);
	}
	free(l.v);
	return rc;
}

/*
 * The reserves of the last reserves import, if any, without the rows of
 * shelters this import removes: the text must still parse against the
 * shelters at the next start (main.c reads it then).
 */
static int
keep_reserves(struct ctx *s, MDB_txn *txn, const struct registry *next)
{
	char *text = NULL, *kept;
	int64_t at;
	int rc;

	if ((rc = store_get_reserves(s->store, txn, &text, &at)) != 0 ||
	    text == NULL)
		return rc; /* none imported: reserves.csv's stay */
	kept = reserve_format(next, NULL);
	REQUIRE(kept != NULL);
	rc = store_put_reserves(s->store, txn, kept, at);
	free(kept);
	free(text);
	return rc;
}

/* Everything the import changes in the store, in txn. */
static int
write_import(struct ctx *s, MDB_txn *txn, const struct registry *next,
    const struct diff *d, const char *csv, int64_t *stale_at, int64_t now)
{
	size_t rebuilt;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		const struct change *c = &d->v[i];
		struct shelter_state st;
		uint8_t dropped;

		if (c->kind == REG_REMOVED) {
			rc = store_del_shelter(s->store, txn, c->before->id);
			continue;
		}
		if (c->kind != REG_CHANGED)
			continue;
		dropped = c->before->categories & ~c->after->categories;
		if (dropped == 0)
			continue;
		if ((rc = store_get_shelter(s->store, txn, c->after->id,
		    &st)) != 0 || st.seq == 0)
			continue;
		/* Beds of a category the shelter no longer has count
		 * nowhere; the next report gives the new categories. */
		for (int cat = 0; cat < CAT_COUNT; cat++)
			if (dropped & (1u << cat)) {
				memset(&st.beds[cat], 0, sizeof(st.beds[cat]));
				memset(&st.expect[cat], 0,
				    sizeof(st.expect[cat]));
			}
		st.present &= (uint8_t)~dropped;
		st.forecast &= (uint8_t)~dropped;
		/* And a declared reserve of it counts nowhere either. */
		st.reserve_declared &= (uint8_t)~dropped;
		for (int cat = 0; cat < CAT_COUNT; cat++)
			if (dropped & (1u << cat))
				memset(&st.reserve_decl[cat], 0,
				    sizeof(st.reserve_decl[cat]));
		rc = store_put_shelter(s->store, txn, c->after->id, &st);
	}
	if (rc == 0)
		rc = move_alerts(s, txn, next, d);
	if (rc == 0)
		rc = store_put_registry(s->store, txn, csv, now);
	if (rc == 0)
		rc = keep_reserves(s, txn, next);
	if (rc == 0)
		rc = occupancy_reconcile_txn(s, txn, next, stale_at, &rebuilt);
	if (rc == 0)
		rc = place_init(s, txn);
	return rc;
}

/* ---- import: the request --------------------------------------------- */

/*
 * The checks on the text alone, before any txn: CODE(OK) with the new
 * registry in next, or the code with the reason in it->res.msg (and the
 * bad line in *line).
 */
static int
import_check_text(struct ctx *s, struct item *it, const char *csv,
    struct registry *next, unsigned *line)
{
	if (s->next_reg != NULL) {
		/* Checked against the registry the loop is about to leave. */
		snprintf(it->res.msg, sizeof(it->res.msg), "another import "
		    "was applied a moment ago: send this one again");
		return CODE(BUSY);
	}
	if (registry_with_shelters(next, s->reg, csv, it->res.msg,
	    sizeof(it->res.msg), line) != 0)
		return CODE(BAD_REQUEST);
	if (next->n_shelters == 0) {
		snprintf(it->res.msg, sizeof(it->res.msg), "no shelters in "
		    "the text: an import replaces every shelter, so it would "
		    "remove them all");
		return CODE(BAD_REQUEST);
	}
	return CODE(OK);
}

/*
 * Write the import and its audit entry in *txn and commit it (*txn is
 * NULL after the commit, whatever it returned). Returns 0 once it is on
 * disk, or a store error.
 */
static int
import_commit(struct ctx *s, MDB_txn **txn, const struct item *it,
    const char *csv, const char *source, const struct registry *next,
    const struct diff *d, int64_t *stale_at, int64_t now)
{
	int rc;

	if ((rc = write_import(s, *txn, next, d, csv, stale_at, now)) != 0 ||
	    (rc = audit_import(s, *txn, &it->who, source, next, d->count,
	    now)) != 0)
		return rc;
	rc = store_commit(*txn);
	*txn = NULL;
	/* Acked means on disk, whatever the commit path syncs. */
	if (rc == 0 && mdb_env_sync(s->store->env, 1) != 0)
		rc = STORE_EIO;
	return rc;
}

/* The answer to an import that passed its checks: applied, or a dry
 * run. Not const d: the reply points at its ids. */
static void
import_answer(struct item *it, Shelterd__V1__Reply *reply,
    Shelterd__V1__ImportReply *ir, struct diff *d)
{
	ir->added = d->count[REG_ADDED];
	ir->removed = d->count[REG_REMOVED];
	ir->changed = d->count[REG_CHANGED];
	ir->unchanged = d->count[REG_UNCHANGED];
	ir->added_ids = d->ids[REG_ADDED];
	ir->n_added_ids = d->n_ids[REG_ADDED];
	ir->removed_ids = d->ids[REG_REMOVED];
	ir->n_removed_ids = d->n_ids[REG_REMOVED];
	ir->changed_ids = d->ids[REG_CHANGED];
	ir->n_changed_ids = d->n_ids[REG_CHANGED];
	it->res.rc = CODE(OK);
	reply->body_case = SHELTERD__V1__REPLY__BODY_IMPORT_RESULT;
	reply->import_result = ir;
	/* Packed before the switch: the ids point into both registries. */
	api_pack(it, reply);
}

/* The answer to a refused import: code, with the reason in it->res.msg;
 * a store error (code <= 0) was logged already. */
static void
import_refuse(struct item *it, Shelterd__V1__Reply *reply,
    Shelterd__V1__ImportReply *ir, int code, unsigned line,
    const char *who, const char *source)
{
	if (code > 0)
		log_warn("registry import by %s from %s refused: %s", who,
		    source, it->res.msg);
	ir->error_line = line;
	it->res.rc = code;
	reply->body_case = SHELTERD__V1__REPLY__BODY_IMPORT_RESULT;
	reply->import_result = ir;
	api_pack(it, reply);
}

/* A table that an import replaces whole, apart from the shelters. */
struct table_import {
	const char *what;             /* "norms", "reserves" */
	/* A copy of base with the table of text: 0, or -1 with the error
	 * ("WHAT line N: ...") and N. */
	int (*parse)(struct registry *out, const struct registry *base,
	    const char *text, char *err, size_t errlen, unsigned *line);
	int (*put)(struct store *st, MDB_txn *txn, const char *text,
	    int64_t at);
	const char *decision;         /* its audit entry's */
	const char *rows;             /* what it counts, for the audit */
};

static const struct table_import norms_import = {
	"norms", norms_registry, store_put_norms, "norms imported",
	"capacity norms",
};
static const struct table_import reserves_import = {
	"reserves", reserve_registry, store_put_reserves,
	"reserves imported", "reserve rows",
};

/*
 * A norms or reserves import: the text replaces every norm, or the
 * registry's reserves; the shelters, the live state and the alerts stay
 * (a structural shortage follows the new norm at its next evaluation;
 * reserve beds declared by report still win over the registry's). Its
 * own write txn, like a shelters import, and the loop switches to the
 * registry with the new table after the batch.
 */
static void
import_table(struct ctx *s, struct item *it, Shelterd__V1__Reply *reply,
    const struct table_import *t, const char *text, const char *source,
    const char *who)
{
	const Shelterd__V1__RegistryImport *q = it->req->registry_import;
	Shelterd__V1__ImportReply ir = SHELTERD__V1__IMPORT_REPLY__INIT;
	struct registry *next = calloc(1, sizeof(*next));
	int64_t now = (int64_t)time(NULL), *stale_at = NULL;
	MDB_txn *txn = NULL;
	unsigned line = 0;
	size_t n;
	int code = CODE(OK), rc;

	REQUIRE(next != NULL);
	if ((q->shelters_csv != NULL && *q->shelters_csv != '\0') ||
	    (q->norms_csv != NULL && *q->norms_csv != '\0' &&
	    q->reserves_csv != NULL && *q->reserves_csv != '\0')) {
		snprintf(it->res.msg, sizeof(it->res.msg), "import shelters, "
		    "norms and reserves one at a time");
		code = CODE(BAD_REQUEST);
		goto refused;
	}
	if (s->next_reg != NULL) {
		snprintf(it->res.msg, sizeof(it->res.msg), "another import "
		    "was applied a moment ago: send this one again");
		code = CODE(BUSY);
		goto refused;
	}
	if (t->parse(next, s->reg, text, it->res.msg, sizeof(it->res.msg),
	    &line) != 0) {
		code = CODE(BAD_REQUEST);
		goto refused;
	}
	n = t == &norms_import ? next->n_norms : next->n_reserves;
	ir.norms = t == &norms_import ? (uint32_t)n : 0;
	ir.reserves = t == &reserves_import ? (uint32_t)n : 0;
	if (!q->dry_run) {
		if ((rc = store_begin(s->store, NULL, 1, &txn)) != 0 ||
		    (rc = t->put(s->store, txn, text, now)) != 0 ||
		    (rc = audit_table_import(s, txn, &it->who,
		    t->decision, t->rows, source, n, now)) != 0) {
			if (txn != NULL)
				mdb_txn_abort(txn);
			code = rc;
			snprintf(it->res.msg, sizeof(it->res.msg), "the %s "
			    "were not written: %s", t->what,
			    store_strerror(rc));
			goto refused;
		}
		rc = store_commit(txn);
		if (rc == 0 && mdb_env_sync(s->store->env, 1) != 0)
			rc = STORE_EIO;
		if (rc != 0) {
			code = rc;
			snprintf(it->res.msg, sizeof(it->res.msg), "the %s "
			    "were not written: %s", t->what,
			    store_strerror(rc));
			goto refused;
		}
		ir.applied = true;
		log_info("%s imported by %s from %s: %zu rows", t->what, who,
		    source, n);
	}
	it->res.rc = CODE(OK);
	reply->body_case = SHELTERD__V1__REPLY__BODY_IMPORT_RESULT;
	reply->import_result = &ir;
	api_pack(it, reply);
	if (!ir.applied)
		goto out;
	/* Same shelters in the same order: their deadlines carry over. */
	stale_at = calloc(next->n_shelters + 1, sizeof(*stale_at));
	REQUIRE(stale_at != NULL);
	memcpy(stale_at, s->stale_at, next->n_shelters * sizeof(*stale_at));
	s->next_reg = next;
	s->next_stale_at = stale_at;
	s->resv_reg = NULL;
	return;
refused:
	import_refuse(it, reply, &ir, code, line, who, source);
out:
	registry_free(next);
	free(next);
}

void
import_op_run(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__RegistryImport *q = it->req->registry_import;
	const char *csv = q->shelters_csv ? q->shelters_csv : "";
	const char *source = q->source && *q->source ? q->source : "(unnamed)";
	Shelterd__V1__ImportReply ir = SHELTERD__V1__IMPORT_REPLY__INIT;
	struct registry *next = calloc(1, sizeof(*next));
	struct diff d = { 0 };
	struct hold_check hc = { 0 };
	int64_t *stale_at = NULL;
	int64_t now = (int64_t)time(NULL);
	size_t events_before = s->n_events;
	MDB_txn *txn = NULL;
	char who[48];
	unsigned line = 0;
	int code = CODE(OK), rc = 0;

	(void)rtxn;
	REQUIRE(next != NULL);
	authz_format(&it->who, who, sizeof(who));
	if ((q->norms_csv != NULL && *q->norms_csv != '\0') ||
	    (q->reserves_csv != NULL && *q->reserves_csv != '\0')) {
		free(next);
		if (q->reserves_csv != NULL && *q->reserves_csv != '\0')
			import_table(s, it, reply, &reserves_import,
			    q->reserves_csv, source, who);
		else
			import_table(s, it, reply, &norms_import,
			    q->norms_csv, source, who);
		return;
	}
	if ((code = import_check_text(s, it, csv, next, &line)) != CODE(OK))
		goto refused;
	registry_compare(s->reg, next, note_change, &d);
	stale_at = calloc(next->n_shelters + 1, sizeof(*stale_at));
	REQUIRE(stale_at != NULL);
	if ((rc = store_begin(s->store, NULL, 1, &txn)) != 0)
		goto failed;
	hc = (struct hold_check){ s->reg, next, &d, it->res.msg,
	    sizeof(it->res.msg), false };
	if ((rc = store_placements_each(s->store, txn, check_hold, &hc)) != 0)
		goto failed;
	if (hc.broken) {
		code = CODE(CONFLICT);
		goto refused;
	}
	if (q->dry_run)
		goto answer;
	if ((rc = import_commit(s, &txn, it, csv, source, next, &d, stale_at,
	    now)) != 0)
		goto failed;
	ir.applied = true;
	log_info("registry imported by %s from %s: %" PRIu32 " added, %"
	    PRIu32 " removed, %" PRIu32 " changed, %" PRIu32 " unchanged",
	    who, source, d.count[REG_ADDED], d.count[REG_REMOVED],
	    d.count[REG_CHANGED], d.count[REG_UNCHANGED]);
answer:
	import_answer(it, reply, &ir, &d);
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (ir.applied) {
		/* The loop switches once this batch is answered. */
		s->next_reg = next;
		s->next_stale_at = stale_at;
		/* Shelter indexes change: read the declarations again. */
		s->resv_reg = NULL;
		next = NULL;
		stale_at = NULL;
	}
	goto out;
failed:
	/* The batch's own events (committed, not yet published) stay. */
	events_drop_from(s, events_before);
	code = rc; /* a store error: STORE_FULL or INTERNAL on the wire */
	snprintf(it->res.msg, sizeof(it->res.msg), "the import was not "
	    "written: %s", store_strerror(rc));
	log_err("registry import from %s: %s", source, it->res.msg);
refused:
	if (txn != NULL)
		mdb_txn_abort(txn);
	import_refuse(it, reply, &ir, code, line, who, source);
out:
	free(d.v);
	free(stale_at);
	if (next != NULL) {
		registry_free(next);
		free(next);
	}
}
