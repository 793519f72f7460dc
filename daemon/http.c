/*
 * http.c — the dashboard, its JSON reads, /metrics and the live feed, all
 * on one nng HTTP server (docs/dashboard.md).
 *
 * Every handler here runs on one of nng's threads, concurrently with the
 * loop. It may read the store (its own read txn: the environment is
 * MDB_NOTLS, and LMDB readers never block the one writer) and the registry
 * (never changes after start). It must not read struct server: the loop
 * changes it without a lock. What /metrics needs from the loop comes as a
 * snapshot, copied under h->lock once per batch.
 *
 * Who sees what: without the bearer token of [http] token a client gets
 * region and national aggregates only; shelter identities and a shelter's
 * own counts need the token. The live feed, on ws://HOST:PORT/events, is
 * a second pub0 socket carrying what the events socket carries: its
 * public events only (core/disclose.h), which name no shelter.
 */
#include "http.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/supplemental/http/http.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "conns.h"
#include "disclose.h"
#include "history.h"
#include "json.h"
#include "log.h"
#include "ctx.h"
#include "names.h"
#include "placement.h"
#include "svg.h"
#include "util.h"
#include "regionplan.h"
#include "wire.h"

/* web/ embedded at build time (tools/embed.py): the page needs no files
 * beside the binary and no CDN. */
extern const char web_index_html[];
extern const char web_dashboard_js[];
extern const char web_dashboard_css[];

#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

enum { ROUTES_MAX = 16, TOKEN_MAX = 256 };

/* Histogram buckets (upper bounds); one more bucket counts +Inf. */
static const double batch_bounds[] = { 1, 2, 4, 8, 16, 32, 64, 128, 256,
	512, 1024, 4096 };
static const double commit_bounds[] = { 0.0001, 0.00025, 0.0005, 0.001,
	0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1 };
#define N_BOUNDS (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

struct hist {
	uint64_t bucket[N_BOUNDS + 1]; /* not cumulative; last: +Inf */
	uint64_t count;
	double sum;
};

struct http;

/* A JSON read: fills root; returns 0, an HTTP status >= 400, or a
 * negative STORE_* code. */
typedef int (*json_fn)(struct http *h, MDB_txn *txn, bool auth,
    const char *uri, cJSON *root);

/* A read that is not JSON (a chart): fills *body (malloc'd, *len bytes)
 * and *type; returns as json_fn does. */
typedef int (*raw_fn)(struct http *h, MDB_txn *txn, bool auth,
    const char *uri, char **body, size_t *len, const char **type);

struct route {
	struct http *h;
	const char *path;
	json_fn json;           /* NULL: a static asset, a chart or /metrics */
	raw_fn raw;
	const char *body;       /* static asset */
	const char *type;
	bool need_auth;
};

struct http {
	const struct registry *reg;
	const struct disclosure *disc; /* for reg: what public views show */
	struct store *store;
	/* [reporting] deadline_secs: set by the loop (start, SIGHUP), read
	 * by handlers, hence atomic. */
	uint32_t default_deadline;
	/* The history's charts and counts: [escalation] and [history] as at
	 * start (a reload does not change them here). */
	uint32_t critical_pct, warning_pct, k_anonymity;
	char token[TOKEN_MAX];
	size_t token_len;
	int64_t started_at;

	nng_http_server *server;
	bool started;
	struct conns *subscribers;  /* the events socket's (server.c) */
	struct conns *feed_conns;   /* the feed's websockets */
	nng_http_handler *handlers[ROUTES_MAX];
	size_t n_handlers;
	struct route routes[ROUTES_MAX];
	nng_socket feed;            /* the dashboard's pub0, on ws:// */
	bool feed_open;

	/* Handlers read reg under it; an import swaps reg under its write
	 * side (http_set_registry). */
	uv_rwlock_t reg_lock;
	uv_mutex_t lock;            /* guards what follows */
	uv_cond_t idle;
	int busy;                   /* handlers running */
	bool closing;
	struct counters stats;      /* the loop's, as of its last batch */
	struct hist batch, commit;
	/* By EventKind (its row in the kind names), Level. */
	uint64_t events[NAMES_ROWS_MAX][4];
	/* /readyz: when the loop last turned (uv_hrtime) and last committed
	 * (unix seconds, 0: not since start); how long a silent loop may be
	 * before it counts as stuck. */
	uint64_t last_turn_ns;
	double last_commit_at;
	uint64_t stuck_after_ns;
};

/*
 * One per process, and never freed: nng_http_server_stop() does not wait
 * for a handler that nng has just dispatched, so such a late handler must
 * still find its route, the lock and `closing` set (it then answers 503
 * without touching the store).
 */
static struct http the_http;
static bool the_http_used;

/* ---- small helpers --------------------------------------------------- */

static void
hist_add(struct hist *hi, const double *bounds, double v)
{
	size_t i = 0;

	while (i < N_BOUNDS && v > bounds[i])
		i++;
	hi->bucket[i]++;
	hi->count++;
	hi->sum += v;
}

/* Constant time in the token's length: no timing hint of how much of a
 * guess was right. */
static bool
authorized(const struct http *h, nng_http_req *req)
{
	const char *v = nng_http_req_get_header(req, "Authorization");
	unsigned diff;
	size_t n;

	if (h->token_len == 0 || v == NULL || strncasecmp(v, "Bearer ", 7))
		return false;
	v += 7;
	while (*v == ' ')
		v++;
	n = strlen(v);
	diff = n != h->token_len;
	for (size_t i = 0; i < h->token_len; i++)
		diff |= (unsigned char)h->token[i] ^
		    (unsigned char)(i < n ? v[i] : 0);
	return diff == 0;
}

static bool
id_char(char c)
{
	return c == '-' || c == '_' || (c >= '0' && c <= '9') ||
	    (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* The value of ?name=... in uri, if it is a plain id; false otherwise. */
static bool
query_id(const char *uri, const char *name, char *out, size_t len)
{
	const char *q = strchr(uri, '?');
	size_t nlen = strlen(name), n = 0;

	while (q != NULL) {
		q++;
		if (strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
			for (q += nlen + 1; q[n] != '\0' && q[n] != '&'; n++)
				if (n + 1 >= len || !id_char(q[n]))
					return false;
			memcpy(out, q, n);
			out[n] = '\0';
			return n > 0;
		}
		q = strchr(q, '&');
	}
	return false;
}

static void
respond(nng_aio *aio, uint16_t status, const char *type, const char *body,
    size_t len)
{
	nng_http_res *res;
	int rv;

	if ((rv = nng_http_res_alloc(&res)) != 0) {
		nng_aio_finish(aio, rv);
		return;
	}
	if ((rv = nng_http_res_set_status(res, status)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Content-Type", type)) != 0 ||
	    (rv = nng_http_res_set_header(res, "Cache-Control",
	    "no-store")) != 0 ||
	    (rv = nng_http_res_set_header(res, "X-Content-Type-Options",
	    "nosniff")) != 0 ||
	    (rv = nng_http_res_set_header(res, "Referrer-Policy",
	    "no-referrer")) != 0 ||
	    (rv = nng_http_res_copy_data(res, body, len)) != 0) {
		nng_http_res_free(res);
		nng_aio_finish(aio, rv);
		return;
	}
	/* The page runs only its own script and talks only to us. */
	if (strncmp(type, "text/html", 9) == 0)
		nng_http_res_set_header(res, "Content-Security-Policy",
		    "default-src 'none'; script-src 'self'; style-src 'self'; "
		    "connect-src 'self'; img-src 'self' data:; "
		    "frame-ancestors 'none'; base-uri 'none'; "
		    "form-action 'none'");
	else if (strncmp(type, "image/svg", 9) == 0)
		nng_http_res_set_header(res, "Content-Security-Policy",
		    "default-src 'none'; frame-ancestors 'none'");
	nng_aio_set_output(aio, 0, res);
	nng_aio_finish(aio, 0);
}

static void
respond_error(nng_aio *aio, uint16_t status, const char *msg)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "{\"error\":\"%s\"}\n", msg);

	respond(aio, status, "application/json", body, (size_t)n);
}

/* Enter a handler unless shutting down: http_deinit waits for busy == 0
 * before the store may close. */
static bool
enter(struct http *h)
{
	bool ok;

	uv_mutex_lock(&h->lock);
	ok = !h->closing;
	if (ok)
		h->busy++;
	uv_mutex_unlock(&h->lock);
	if (ok)
		uv_rwlock_rdlock(&h->reg_lock);
	return ok;
}

static void
leave(struct http *h)
{
	uv_rwlock_rdunlock(&h->reg_lock);
	uv_mutex_lock(&h->lock);
	if (--h->busy == 0 && h->closing)
		uv_cond_broadcast(&h->idle);
	uv_mutex_unlock(&h->lock);
}

/* ---- JSON reads ------------------------------------------------------ */

/* The JSON of every object is core/json.c's, the same as the clients
 * print: the store's structs become the proto's messages first. */
static cJSON *
aggregate_json(const struct registry *reg, const struct reserve_overlay *ov,
    const struct aggregate *a, const uint32_t *open,
    const struct disclosure *public)
{
	cJSON *o = cJSON_CreateObject();

	for (int c = 0; c < CAT_COUNT; c++) {
		Shelterd__V1__CategoryTotals t;

		totals_fill(&t, c + 1, &a->cat[c], &a->outlook[c],
		    &a->cov[c]);
		/* The nation's reserve beds, as shelterctl status. */
		reserve_sum(reg, ov, -1, c + 1, &t.reserve_24h,
		    &t.reserve_72h);
		t.reserve_open = open[c];
		if (public != NULL && !disclose_national_public(public, c + 1))
			totals_merge(&t);
		cJSON_AddItemToObject(o, cat_name(c + 1), json_totals(&t));
	}
	return o;
}

static int
json_status(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	const struct registry *reg = h->reg;
	cJSON *regions, *cats, **stale = NULL;
	int64_t *oldest = NULL;
	uint32_t open[CAT_COUNT];
	struct aggregate agg;
	/* Reserve beds declared by report: read here, with the ages, as
	 * the loop's copy is the loop's alone. */
	struct reserve_overlay ov;
	uint64_t next;
	int rc;

	(void)uri;
	REQUIRE(reserve_overlay_init(&ov, reg->n_shelters) == 0);
	if (auth) {
		/* Which shelters are stale: identities, so only with the
		 * token. Their beds are in `unknown`, never in `free`. */
		stale = calloc(reg->n_regions + 1, sizeof(*stale));
		REQUIRE(stale != NULL);
		for (size_t r = 0; r < reg->n_regions; r++)
			stale[r] = cJSON_CreateArray();
	}
	/* When each region's oldest report was received (0: none): an age
	 * per region, not per shelter, so it is for everyone. */
	oldest = calloc(reg->n_regions + 1, sizeof(*oldest));
	REQUIRE(oldest != NULL);
	for (size_t i = 0; i < reg->n_shelters; i++) {
		const struct reg_shelter *sh = &reg->shelters[i];
		struct shelter_state st;
		int64_t *o = &oldest[sh->region];

		if ((rc = store_get_shelter(h->store, txn, sh->id, &st)) != 0)
			goto out;
		if (st.seq > 0 && (*o == 0 || st.received_at < *o))
			*o = st.received_at;
		if (st.reserve_declared != 0)
			reserve_overlay_note(&ov, i, &st);
		if (stale != NULL && st.stale)
			cJSON_AddItemToArray(stale[sh->region],
			    cJSON_CreateString(sh->id));
	}
	cats = cJSON_AddArrayToObject(root, "categories");
	for (int c = 0; c < CAT_COUNT; c++)
		cJSON_AddItemToArray(cats,
		    cJSON_CreateString(cat_name(c + 1)));
	regions = cJSON_AddArrayToObject(root, "regions");
	for (size_t r = 0; r < reg->n_regions; r++) {
		const struct reg_region *rg = &reg->regions[r];
		Shelterd__V1__RegionStatus rs;
		Shelterd__V1__CategoryTotals t[CAT_COUNT], *tp[CAT_COUNT];
		cJSON *o;

		shelterd__v1__region_status__init(&rs);
		if ((rc = store_get_region(h->store, txn, rg->id, &agg)) != 0)
			goto out;
		/* As in a StatusReply, so that the JSON is the clients'. */
		rs.region_id = (char *)rg->id;
		rs.name = (char *)rg->name;
		rs.shelters = (uint32_t)rg->n_shelters;
		rs.shelters_reported = agg.shelters_reported;
		rs.shelters_stale = agg.shelters_stale;
		for (int c = 0; c < CAT_COUNT; c++) {
			totals_fill(&t[c], c + 1, &agg.cat[c],
			    &agg.outlook[c], &agg.cov[c]);
			tp[c] = &t[c];
		}
		/* Norm, reserve beds, open shortage: as shelterctl status. */
		if ((rc = regionplan_fill(reg, &ov, h->store, txn, r, tp,
		    (int64_t)time(NULL))) != 0)
			goto out;
		/* Without the token: no cell of one shelter's own figures
		 * (core/disclose.h). */
		for (int c = 0; c < CAT_COUNT; c++)
			if (!auth && !disclose_cell_public(h->disc, r, c + 1))
				totals_merge(&t[c]);
		rs.totals = tp;
		rs.n_totals = CAT_COUNT;
		o = json_region(&rs);
		/* The page's own: where to draw the tile. */
		cJSON_AddNumberToObject(o, "lat", rg->lat);
		cJSON_AddNumberToObject(o, "lon", rg->lon);
		if (oldest[r] > 0)
			cJSON_AddItemToObject(o, "oldest_report",
			    json_time(oldest[r]));
		else
			cJSON_AddNullToObject(o, "oldest_report");
		if (stale != NULL) {
			cJSON_AddItemToObject(o, "stale", stale[r]);
			stale[r] = NULL;
		}
		cJSON_AddItemToArray(regions, o);
	}
	if ((rc = store_get_national(h->store, txn, &agg)) != 0 ||
	    (rc = store_get_next_event_seq(h->store, txn, &next)) != 0 ||
	    (rc = regionplan_reserve_open(h->store, txn, NULL,
	    (int64_t)time(NULL), open)) != 0)
		goto out;
	cJSON_AddItemToObject(root, "national",
	    aggregate_json(reg, &ov, &agg, open, auth ? NULL : h->disc));
	cJSON_AddNumberToObject(root, "shelters", (double)reg->n_shelters);
	cJSON_AddNumberToObject(root, "shelters_reported",
	    agg.shelters_reported);
	cJSON_AddNumberToObject(root, "shelters_stale", agg.shelters_stale);
	cJSON_AddNumberToObject(root, "last_event_seq", (double)(next - 1));
out:
	free(oldest);
	reserve_overlay_free(&ov);
	if (stale != NULL) {
		for (size_t r = 0; r < reg->n_regions; r++)
			cJSON_Delete(stale[r]);
		free(stale);
	}
	return rc;
}

struct alert_list {
	struct alert_state *v;
	size_t n, cap;
};

static int
collect_alert(void *arg, const char *key, const struct alert_state *a)
{
	struct alert_list *l = arg;

	(void)key;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 32;
		void *p = realloc(l->v, cap * sizeof(*l->v));

		REQUIRE(p != NULL);
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = *a;
	return 0;
}

static int
newest_alert_first(const void *x, const void *y)
{
	const struct alert_state *a = x, *b = y;

	return (a->opened_seq < b->opened_seq) -
	    (a->opened_seq > b->opened_seq);
}

static int
json_alerts(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	struct alert_list l = { 0 };
	int64_t now = (int64_t)time(NULL);
	size_t hidden = 0;
	cJSON *arr;
	int rc;

	(void)uri;
	if ((rc = store_alerts_each(h->store, txn, collect_alert, &l)) != 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), newest_alert_first);
	arr = cJSON_AddArrayToObject(root, "alerts");
	for (size_t i = 0; i < l.n; i++) {
		struct alert_state *a = &l.v[i];
		struct subject sub = { .scope = a->scope, .kind = a->kind,
			.region = a->region, .shelter = a->shelter,
			.category = a->category };
		Shelterd__V1__Alert pb;

		/* A shelter's alert names it, a small cell's is its figures:
		 * only with the token (core/disclose.h). */
		if (!auth && !disclose_public(h->disc, h->reg, &sub)) {
			hidden++;
			continue;
		}
		wire_alert(&pb, a);
		cJSON_AddItemToArray(arr, json_alert(&pb, now));
	}
	cJSON_AddNumberToObject(root, "hidden", (double)hidden);
	cJSON_AddItemToObject(root, "now", json_time(now));
	free(l.v);
	return 0;
}

struct placement_list {
	int64_t since;
	struct placement_state *v;
	size_t n, cap;
	uint64_t by_state[8];
};

static bool
placement_open(const struct placement_state *p)
{
	return p->state == PSTATE(HELD) || p->state == PSTATE(REQUESTED);
}

/* Open requests and those that ended in the last week, as `shelterctl
 * placements` lists them. */
static int
collect_placement(void *arg, const struct placement_state *p)
{
	struct placement_list *l = arg;

	l->by_state[p->state & 7]++;
	if (!placement_open(p) && p->updated_at < l->since)
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
newest_placement_first(const void *x, const void *y)
{
	const struct placement_state *a = x, *b = y;

	return (a->created_at < b->created_at) -
	    (a->created_at > b->created_at);
}

static int
json_placements(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	struct placement_list l = { .since = (int64_t)time(NULL) -
	    7 * 86400 };
	cJSON *arr, *counts;
	int rc;

	(void)uri;
	if ((rc = store_placements_each(h->store, txn, collect_placement,
	    &l)) != 0) {
		free(l.v);
		return rc;
	}
	if (l.n > 1) /* qsort(NULL, 0) is undefined */
		qsort(l.v, l.n, sizeof(*l.v), newest_placement_first);
	if (l.n > 500)
		l.n = 500; /* recent enough for a screen */
	/* Without the token: how many, per state, and nothing about any
	 * one request. */
	counts = cJSON_AddObjectToObject(root, "counts");
	for (size_t i = 0; i < l.n; i++) {
		const char *st = placement_state_name(l.v[i].state);
		cJSON *c = cJSON_GetObjectItemCaseSensitive(counts, st);

		if (c == NULL)
			cJSON_AddNumberToObject(counts, st, 1);
		else
			cJSON_SetNumberValue(c, c->valuedouble + 1);
	}
	arr = cJSON_AddArrayToObject(root, "placements");
	for (size_t i = 0; auth && i < l.n; i++) {
		Shelterd__V1__Placement pb;
		char *exclude[sizeof(l.v[i].exclude) /
		    sizeof(l.v[i].exclude[0])];

		/* Two-stage disclosure, as on the api: the shelter is named
		 * once it has accepted. */
		wire_placement(&pb, &l.v[i], exclude, WIRE_COORDINATOR,
		    h->reg, h->disc);
		cJSON_AddItemToArray(arr, json_placement(&pb));
	}
	free(l.v);
	return 0;
}

/* One region's shelters, their last reports: token only (the route says
 * so). */
static int
json_shelters(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	const struct registry *reg = h->reg;
	char id[REG_ID_MAX];
	int region;
	cJSON *arr;
	int rc;

	(void)auth;
	if (!query_id(uri, "region", id, sizeof(id)))
		return 400;
	if ((region = registry_region(reg, id)) < 0)
		return 404;
	cJSON_AddStringToObject(root, "region", id);
	arr = cJSON_AddArrayToObject(root, "shelters");
	for (size_t i = 0; i < reg->n_shelters; i++) {
		const struct reg_shelter *sh = &reg->shelters[i];
		struct shelter_state st;
		struct shelter_fill f;

		if (sh->region != region)
			continue;
		if ((rc = store_get_shelter(h->store, txn, sh->id, &st)) != 0)
			return rc;
		/* The one JSON of a shelter, as shelterctl prints it. */
		wire_shelter(&f, reg, sh, &st, sh->deadline_secs ?
		    sh->deadline_secs : __atomic_load_n(&h->default_deadline,
		    __ATOMIC_RELAXED));
		cJSON_AddItemToArray(arr, json_shelter(&f.sr));
	}
	return 0;
}

/* The names of categories, levels, kinds, ... (core/names.c) with their
 * labels: the page takes them from here rather than keeping a copy. */
static int
json_names_route(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	cJSON *names = json_names(), *t;

	(void)h;
	(void)txn;
	(void)auth;
	(void)uri;
	REQUIRE(names != NULL);
	while ((t = names->child) != NULL)
		cJSON_AddItemToObject(root, t->string,
		    cJSON_DetachItemViaPointer(names, t));
	cJSON_Delete(names);
	return 0;
}

/* ---- history: trends and placement counts ---------------------------- */

/* ?name=N, 1 <= N <= max; dflt when absent; -1 when not a number. */
static long
query_num(const char *uri, const char *name, long dflt, long max)
{
	char v[8], *end;
	long n;

	if (!query_id(uri, name, v, sizeof(v)))
		return strstr(uri, name) ? -1 : dflt;
	n = strtol(v, &end, 10);
	return *end != '\0' || n < 1 || n > max ? -1 : n;
}

/*
 * GET /api/trend.svg?region=VR09&category=women&days=30: the chart of
 * `shelterctl trend --svg` (core/svg.c), calendar days in UTC. Region
 * totals only, as /api/status: for everyone.
 */
static int
svg_trend_route(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    char **body, size_t *len, const char **type)
{
	struct history_trend_query q = { 0 };
	struct history_trend t;
	char id[REG_ID_MAX], cat[16];
	long days = query_num(uri, "days", 30, 400);
	int rc;

	(void)auth;
	if (!query_id(uri, "region", id, sizeof(id)) ||
	    !query_id(uri, "category", cat, sizeof(cat)) || days < 0 ||
	    (q.category = cat_parse(cat)) <= 0)
		return 400;
	if (strcmp(id, "national") == 0)
		q.region = -1;
	else if ((q.region = registry_region(h->reg, id)) < 0)
		return 404;
	q.days = (uint32_t)days;
	q.critical_pct = h->critical_pct;
	q.warning_pct = h->warning_pct;
	q.now = (int64_t)time(NULL);
	if ((rc = history_trend(h->store, h->reg, txn, &q, &t)) != 0)
		return rc;
	*body = svg_trend_string(&t.t, len);
	history_trend_free(&t);
	REQUIRE(*body != NULL);
	*type = "image/svg+xml";
	return 0;
}

static cJSON *
pct_array(const struct rep_point *p, size_t n, bool peak)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(a, p[i].data_secs == 0 ?
		    cJSON_CreateNull() : cJSON_CreateNumber(
		    (double)(int)((peak ? p[i].peak_pct : p[i].avg_pct) *
		    10 + 0.5) / 10));
	return a;
}

/* A report row's cell: its value, or null when a public view hides it. */
static void
row_cell(cJSON *o, const char *name, const struct rep_row *r, int cell,
    double v)
{
	if ((r->suppressed >> cell) & 1)
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, v);
}

/*
 * GET /api/trend?days=30: per region and category, average and peak
 * occupancy per calendar day (UTC; null: no history that day), and the
 * window's days critical and placement counts (requested, placed in the
 * region, placed elsewhere, unplaced). Without the token the counts are
 * those of a public report (core/report.c's suppression: null and listed
 * in "suppressed"); no shelter and no request is ever named here.
 */
static int
json_trend(struct http *h, MDB_txn *txn, bool auth, const char *uri,
    cJSON *root)
{
	const struct registry *reg = h->reg;
	struct rep_params base = { 0 };
	struct history_overview o;
	long days = query_num(uri, "days", 30, 31);
	cJSON *regions;
	int rc;

	if (days < 0)
		return 400;
	base.critical_pct = h->critical_pct;
	base.public = !auth;
	base.k = h->k_anonymity;
	if ((rc = history_overview(h->store, reg, txn, (uint32_t)days,
	    (int64_t)time(NULL), &base, &o)) != 0)
		return rc;
	cJSON_AddStringToObject(root, "zone", "UTC");
	cJSON_AddNumberToObject(root, "days", (double)days);
	cJSON_AddItemToObject(root, "from", json_time(o.from));
	cJSON_AddItemToObject(root, "until", json_time(o.until));
	cJSON_AddNumberToObject(root, "bucket_secs", (double)o.bucket_secs);
	cJSON_AddNumberToObject(root, "critical_pct", h->critical_pct);
	cJSON_AddNumberToObject(root, "warning_pct", h->warning_pct);
	cJSON_AddBoolToObject(root, "public", base.public);
	if (base.public)
		cJSON_AddNumberToObject(root, "k", base.k);
	regions = cJSON_AddArrayToObject(root, "regions");
	for (size_t g = 0; g < o.n_regions; g++) {
		cJSON *r = cJSON_CreateObject(), *cats, *hist;

		cJSON_AddStringToObject(r, "region", reg->regions[g].id);
		cats = cJSON_AddObjectToObject(r, "categories");
		for (int c = 1; c <= CAT_COUNT; c++) {
			const struct rep_point *p = &o.points[(g * CAT_COUNT +
			    (size_t)c - 1) * o.n_buckets];
			cJSON *t = cJSON_AddObjectToObject(cats, cat_name(c));

			cJSON_AddItemToObject(t, "avg", pct_array(p,
			    o.n_buckets, false));
			cJSON_AddItemToObject(t, "peak", pct_array(p,
			    o.n_buckets, true));
		}
		hist = cJSON_AddObjectToObject(r, "history");
		for (size_t i = 0; i < o.report.n_rows; i++) {
			const struct rep_row *w = &o.report.rows[i];
			cJSON *x, *sup;

			if (w->group != g)
				continue;
			x = cJSON_AddObjectToObject(hist,
			    cat_name(w->category));
			row_cell(x, "days_critical", w, REP_CELL_OCCUPANCY,
			    w->days_critical);
			row_cell(x, "requested", w, REP_CELL_REQUESTED,
			    w->requested);
			row_cell(x, "placed_in_region", w,
			    REP_CELL_PLACED_IN_REGION, w->placed_in_region);
			row_cell(x, "placed_elsewhere", w,
			    REP_CELL_PLACED_SUPRA, w->placed_supra);
			row_cell(x, "unplaced", w, REP_CELL_UNPLACED,
			    w->unplaced);
			sup = cJSON_AddArrayToObject(x, "suppressed");
			for (int c = REP_CELL_OCCUPANCY; c <= REP_CELL_TTP;
			     c++)
				if ((w->suppressed >> c) & 1)
					cJSON_AddItemToArray(sup,
					    cJSON_CreateNumber(c));
		}
		cJSON_AddItemToArray(regions, r);
	}
	history_overview_free(&o);
	return 0;
}

/* ---- /metrics -------------------------------------------------------- */

struct buf {
	char *p;
	size_t len, cap;
};

static void
put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2,
    3)));

static void
put(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		REQUIRE(n >= 0);
		if ((size_t)n < b->cap - b->len)
			break;
		b->cap = (b->cap + (size_t)n) * 2;
		REQUIRE((b->p = realloc(b->p, b->cap)) != NULL);
	}
	b->len += (size_t)n;
}

static void
head(struct buf *b, const char *name, const char *type, const char *help)
{
	put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
put_hist(struct buf *b, const char *name, const char *help,
    const struct hist *hi, const double *bounds)
{
	uint64_t cum = 0;

	head(b, name, "histogram", help);
	for (size_t i = 0; i < N_BOUNDS; i++) {
		cum += hi->bucket[i];
		put(b, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, bounds[i],
		    cum);
	}
	put(b, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, hi->count);
	put(b, "%s_sum %.9g\n%s_count %" PRIu64 "\n", name, hi->sum, name,
	    hi->count);
}

struct alert_counts {
	uint64_t open[4], unacked[4];
};

static int
count_alert(void *arg, const char *key, const struct alert_state *a)
{
	struct alert_counts *c = arg;

	(void)key;
	c->open[a->level & 3]++;
	if (a->acked_by[0] == '\0')
		c->unacked[a->level & 3]++;
	return 0;
}

static int
count_placement(void *arg, const struct placement_state *p)
{
	uint64_t *by_state = arg;

	by_state[p->state & 7]++;
	return 0;
}

/* The daemon's own counters: what came in, what was refused, and how long
 * the batches and their commits took. */
static void
put_request_metrics(struct buf *b, int64_t started_at,
    const struct counters *c, const struct hist *batch,
    const struct hist *commit)
{
	head(b, "shelterd_start_time_seconds", "gauge",
	    "Unix time the daemon started.");
	put(b, "shelterd_start_time_seconds %" PRId64 "\n", started_at);
	head(b, "shelterd_requests_received_total", "counter",
	    "Requests taken off the api socket.");
	put(b, "shelterd_requests_received_total %" PRIu64 "\n", c->requests);
	head(b, "shelterd_updates_acknowledged_total", "counter",
	    "Occupancy updates acknowledged: applied, or a duplicate seq "
	    "acknowledged again without being applied.");
	put(b, "shelterd_updates_acknowledged_total{result=\"applied\"} %"
	    PRIu64 "\n", c->updates_applied);
	put(b, "shelterd_updates_acknowledged_total{result=\"duplicate\"} %"
	    PRIu64 "\n", c->updates_duplicate);
	head(b, "shelterd_refused_total", "counter",
	    "Requests and updates refused, by reason (the reply's Code).");
	for (int i = 1; i < 16; i++) {
		if (names_find(&names_tables[NAMES_CODE], i) == NULL)
			continue;
		put(b, "shelterd_refused_total{reason=\"%s\"} %" PRIu64 "\n",
		    code_name(i), c->refused[i]);
	}
	head(b, "shelterd_commit_failures_total", "counter",
	    "Write transactions aborted or not committed (map full, disk "
	    "error); what could be stored was redone in a smaller one.");
	put(b, "shelterd_commit_failures_total %" PRIu64 "\n",
	    c->commit_failures);
	head(b, "shelterd_replies_dropped_total", "counter",
	    "Replies nng could not send (requester gone or buffer full).");
	put(b, "shelterd_replies_dropped_total %" PRIu64 "\n",
	    c->replies_dropped);
	put_hist(b, "shelterd_batch_requests", "Requests handled in one "
	    "loop turn (one write transaction).", batch, batch_bounds);
	put_hist(b, "shelterd_commit_duration_seconds", "Synced LMDB commit "
	    "of a batch: the wait before any ack.", commit, commit_bounds);
}

static void
put_event_metrics(struct buf *b, const struct counters *c,
    const uint64_t events[][4], uint64_t next, int subs_events,
    int subs_feed)
{
	const struct name_table *kinds = &names_tables[NAMES_KIND];

	head(b, "shelterd_events_total", "counter",
	    "Events committed and published, by kind and level.");
	/* Every kind under its own name (the names table's rows); the
	 * occupancy levels always, so that a rate has a series to start
	 * from. */
	for (size_t k = 0; k < kinds->n_rows; k++)
		for (int l = 0; l < 4; l++)
			if (events[k][l] != 0 || (k == 0 && l < 3))
				put(b, "shelterd_events_total{kind=\"%s\","
				    "level=\"%s\"} %" PRIu64 "\n",
				    kinds->rows[k].name,
				    level_state_name(l), events[k][l]);
	head(b, "shelterd_events_sent_total", "counter",
	    "Events handed to the events socket.");
	put(b, "shelterd_events_sent_total %" PRIu64 "\n",
	    c->events_published);
	head(b, "shelterd_event_seq", "gauge", "Newest event_seq in the log.");
	put(b, "shelterd_event_seq %" PRIu64 "\n", next - 1);
	head(b, "shelterd_subscribers", "gauge",
	    "Connected subscribers: the events socket and the dashboard's "
	    "live feed.");
	put(b, "shelterd_subscribers{socket=\"events\"} %d\n", subs_events);
	put(b, "shelterd_subscribers{socket=\"dashboard\"} %d\n", subs_feed);
}

/* What the store holds: alerts, shelters, beds and placements. */
static void
put_state_metrics(struct buf *b, size_t n_shelters,
    const struct alert_counts *ac, const struct aggregate *nat,
    const uint64_t by_state[8])
{
	/* unknown: free beds of stale shelters, as in the status;
	 * unknown_beds: registered beds nobody reports on (stale or never
	 * reported), apart from the known ones. */
	static const char *const bed_kinds[] = { "capacity", "occupied",
		"out_of_service", "held", "free", "unknown", "registered",
		"known", "unknown_beds" };

	head(b, "shelterd_alerts_open", "gauge", "Open alerts, by level.");
	for (int l = 1; l < 3; l++)
		put(b, "shelterd_alerts_open{level=\"%s\"} %" PRIu64 "\n",
		    level_state_name(l), ac->open[l]);
	head(b, "shelterd_alerts_unacknowledged", "gauge",
	    "Open alerts nobody has acknowledged, by level.");
	for (int l = 1; l < 3; l++)
		put(b, "shelterd_alerts_unacknowledged{level=\"%s\"} %" PRIu64
		    "\n", level_state_name(l), ac->unacked[l]);
	head(b, "shelterd_shelters", "gauge", "Shelters in the registry.");
	put(b, "shelterd_shelters %zu\n", n_shelters);
	head(b, "shelterd_shelters_reported", "gauge",
	    "Shelters that have reported at least once.");
	put(b, "shelterd_shelters_reported %u\n", nat->shelters_reported);
	head(b, "shelterd_shelters_stale", "gauge", "Shelters past their "
	    "reporting deadline: their beds count as unknown.");
	put(b, "shelterd_shelters_stale %u\n", nat->shelters_stale);
	head(b, "shelterd_shelters_never_reported", "gauge", "Shelters of "
	    "the registry that never reported: their beds are unknown.");
	put(b, "shelterd_shelters_never_reported %zu\n",
	    n_shelters > nat->shelters_reported ?
	    n_shelters - nat->shelters_reported : 0);
	head(b, "shelterd_beds", "gauge", "National beds per category.");
	for (int k = 0; k < CAT_COUNT; k++) {
		const struct totals *t = &nat->cat[k];
		const struct coverage *cv = &nat->cov[k];
		const uint32_t v[] = { t->capacity, t->occupied,
			t->out_of_service, t->held, t->free, t->unknown,
			cv->registered_capacity, cov_known_capacity(t, cv),
			cov_unknown_beds(t, cv) };

		for (size_t i = 0; i < 9; i++)
			put(b, "shelterd_beds{category=\"%s\",count=\"%s\"} "
			    "%u\n", cat_name(k + 1), bed_kinds[i], v[i]);
	}
	head(b, "shelterd_placements", "gauge", "Placement requests in the "
	    "store, by state (the final ones are the outcomes).");
	for (int i = 1; i <= 5; i++)
		put(b, "shelterd_placements{state=\"%s\"} %" PRIu64 "\n",
		    placement_state_name(i), by_state[i]);
}

static void
put_lmdb_metrics(struct buf *b, const MDB_envinfo *info,
    const MDB_stat *stat)
{
	head(b, "shelterd_lmdb_map_size_bytes", "gauge",
	    "LMDB map size ([daemon] map_size_mb).");
	put(b, "shelterd_lmdb_map_size_bytes %zu\n", info->me_mapsize);
	head(b, "shelterd_lmdb_map_used_bytes", "gauge",
	    "LMDB pages in use: a full map refuses writes.");
	put(b, "shelterd_lmdb_map_used_bytes %zu\n",
	    (info->me_last_pgno + 1) * (size_t)stat->ms_psize);
	head(b, "shelterd_lmdb_readers", "gauge", "LMDB reader slots used.");
	put(b, "shelterd_lmdb_readers %u\n", info->me_numreaders);
}

static int
render_metrics(struct http *h, MDB_txn *txn, struct buf *b)
{
	struct counters c;
	struct hist batch, commit;
	uint64_t events[NAMES_ROWS_MAX][4], by_state[8] = { 0 }, next;
	struct alert_counts ac = { { 0 }, { 0 } };
	struct aggregate nat;
	MDB_envinfo info;
	MDB_stat stat;
	int rc;

	uv_mutex_lock(&h->lock);
	c = h->stats;
	batch = h->batch;
	commit = h->commit;
	memcpy(events, h->events, sizeof(events));
	uv_mutex_unlock(&h->lock);

	if ((rc = store_alerts_each(h->store, txn, count_alert, &ac)) != 0 ||
	    (rc = store_placements_each(h->store, txn, count_placement,
	    by_state)) != 0 ||
	    (rc = store_get_national(h->store, txn, &nat)) != 0 ||
	    (rc = store_get_next_event_seq(h->store, txn, &next)) != 0)
		return rc;
	if (mdb_env_info(h->store->env, &info) != 0 ||
	    mdb_env_stat(h->store->env, &stat) != 0)
		return STORE_EIO;

	put_request_metrics(b, h->started_at, &c, &batch, &commit);
	put_event_metrics(b, &c, events, next, conns_count(h->subscribers),
	    conns_count(h->feed_conns));
	put_state_metrics(b, h->reg->n_shelters, &ac, &nat, by_state);
	put_lmdb_metrics(b, &info, &stat);
	return 0;
}

/* ---- handlers -------------------------------------------------------- */

static void
on_request(nng_aio *aio)
{
	nng_http_req *req = nng_aio_get_input(aio, 0);
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	const struct route *r = nng_http_handler_get_data(hd);
	struct http *h = r->h;
	bool auth;
	MDB_txn *txn = NULL;
	cJSON *root;
	char *text;
	int rc;

	if (!enter(h)) {
		respond_error(aio, 503, "shutting down");
		return;
	}
	if (r->json == NULL && r->body != NULL) {
		leave(h);
		respond(aio, 200, r->type, r->body, strlen(r->body));
		return;
	}
	auth = authorized(h, req);
	if (r->need_auth && !auth) {
		leave(h);
		respond_error(aio, 401, "this needs the operator token "
		    "(Authorization: Bearer ...)");
		return;
	}
	if ((rc = store_begin(h->store, NULL, 0, &txn)) != 0) {
		leave(h);
		log_err("http: cannot read the store: %s", store_strerror(rc));
		respond_error(aio, 500, "cannot read the store");
		return;
	}
	if (r->raw != NULL) {
		char *body = NULL;
		size_t len = 0;
		const char *type = NULL;

		rc = r->raw(h, txn, auth, nng_http_req_get_uri(req), &body,
		    &len, &type);
		mdb_txn_abort(txn);
		leave(h);
		if (rc == 0)
			respond(aio, 200, type, body, len);
		else if (rc >= 400)
			respond_error(aio, (uint16_t)rc, rc == 404 ?
			    "not found" : "bad request");
		else
			respond_error(aio, 500, "cannot read the store");
		free(body);
		return;
	}
	if (r->json == NULL) { /* /metrics */
		struct buf b = { malloc(16384), 0, 16384 };

		REQUIRE(b.p != NULL);
		rc = render_metrics(h, txn, &b);
		mdb_txn_abort(txn);
		leave(h);
		if (rc == 0)
			respond(aio, 200, "text/plain; version=0.0.4; "
			    "charset=utf-8", b.p, b.len);
		else
			respond_error(aio, 500, "cannot read the store");
		free(b.p);
		return;
	}
	root = cJSON_CreateObject();
	cJSON_AddBoolToObject(root, "auth", auth);
	rc = r->json(h, txn, auth, nng_http_req_get_uri(req), root);
	mdb_txn_abort(txn);
	leave(h);
	if (rc != 0) {
		cJSON_Delete(root);
		if (rc >= 400)
			respond_error(aio, (uint16_t)rc, rc == 404 ?
			    "not found" : "bad request");
		else
			respond_error(aio, 500, "cannot read the store");
		if (rc < 0)
			log_err("http %s: %s", r->path, store_strerror(rc));
		return;
	}
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	REQUIRE(text != NULL);
	respond(aio, 200, "application/json", text, strlen(text));
	cJSON_free(text);
}

static int
add_route_raw(struct http *h, const char *path, json_fn json, raw_fn raw,
    const char *body, const char *type, bool need_auth)
{
	struct route *r = &h->routes[h->n_handlers];
	nng_http_handler *hd;
	int rv;

	REQUIRE(h->n_handlers < ROUTES_MAX);
	*r = (struct route){ h, path, json, raw, body, type, need_auth };
	if ((rv = nng_http_handler_alloc(&hd, path, on_request)) != 0)
		return rv;
	/* GET only (HEAD follows); no request may carry a body. */
	if ((rv = nng_http_handler_collect_body(hd, true, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(hd, r, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(h->server, hd)) != 0) {
		nng_http_handler_free(hd);
		return rv;
	}
	h->handlers[h->n_handlers++] = hd;
	return 0;
}

static int
add_route(struct http *h, const char *path, json_fn json, const char *body,
    const char *type, bool need_auth)
{
	return add_route_raw(h, path, json, NULL, body, type, need_auth);
}

/* ---- the live feed (loop thread) ------------------------------------- */

void
http_note_event(struct http *h, nng_msg *msg, bool public)
{
	const uint8_t *body, *nul;
	Shelterd__V1__Event *ev;
	size_t len, tlen;
	nng_msg *copy;
	int k;

	if (h == NULL)
		return;
	body = nng_msg_body(msg);
	len = nng_msg_len(msg);
	if ((nul = memchr(body, 0, len)) == NULL)
		return;
	tlen = (size_t)(nul - body);
	if ((ev = shelterd__v1__event__unpack(NULL, len - tlen - 1,
	    nul + 1)) == NULL)
		return;
	/* A heartbeat is not an event: passed on (the page's liveness),
	 * not counted. */
	uv_mutex_lock(&h->lock);
	if ((k = names_index(&names_tables[NAMES_KIND], (int)ev->kind)) >= 0 &&
	    ev->kind != SHELTERD__V1__EVENT_KIND__EVENT_KIND_HEARTBEAT)
		h->events[k][ev->level & 3]++;
	uv_mutex_unlock(&h->lock);
	shelterd__v1__event__free_unpacked(ev, NULL);
	/* The page's feed is public: it carries what the events socket
	 * carries (core/disclose.h), as it is. The token view reads the
	 * rest with /api. Like the events socket, a slow page loses frames
	 * and never slows the loop; the page refetches what it shows. */
	if (public && nng_msg_dup(&copy, msg) == 0 &&
	    nng_sendmsg(h->feed, copy, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(copy);
}

/* ---- /healthz and /readyz ------------------------------------------- */

/* Under h->lock, on the loop thread. */
static void
note_turn(struct http *h, uint64_t commit_ns)
{
	struct timespec ts;

	h->last_turn_ns = uv_hrtime();
	if (commit_ns > 0 && clock_gettime(CLOCK_REALTIME, &ts) == 0)
		h->last_commit_at = (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
respond_probe(nng_aio *aio, bool ok, cJSON *root)
{
	char *text = cJSON_PrintUnformatted(root);

	cJSON_Delete(root);
	REQUIRE(text != NULL);
	respond(aio, ok ? 200 : 503, "application/json", text, strlen(text));
	cJSON_free(text);
}

/* Live: the process answers HTTP and is not shutting down. Nothing else is
 * looked at, so a supervisor restarts only a daemon that is really gone. */
static void
on_healthz(nng_aio *aio)
{
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	struct http *h = nng_http_handler_get_data(hd);
	cJSON *root;

	if (!enter(h)) {
		respond_error(aio, 503, "shutting down");
		return;
	}
	leave(h);
	root = cJSON_CreateObject();
	REQUIRE(root != NULL);
	cJSON_AddStringToObject(root, "status", "alive");
	cJSON_AddNumberToObject(root, "uptime_secs",
	    (double)((int64_t)time(NULL) - h->started_at));
	respond_probe(aio, true, root);
}

/*
 * Ready: the store opens a read txn, and the loop turned recently (it
 * notes every batch and every tick, so a loop that is silent for three
 * ticks is stuck). The age of the last commit is reported, not judged: an
 * idle daemon commits nothing and is still ready.
 */
static void
on_readyz(nng_aio *aio)
{
	nng_http_handler *hd = nng_aio_get_input(aio, 1);
	struct http *h = nng_http_handler_get_data(hd);
	uint64_t turn_ns, now_ns = uv_hrtime(), stuck_after;
	double commit_at;
	struct timespec ts;
	MDB_txn *txn = NULL;
	bool store_ok, loop_ok;
	cJSON *root;
	int rc;

	if (!enter(h)) {
		respond_error(aio, 503, "shutting down");
		return;
	}
	if ((rc = store_begin(h->store, NULL, 0, &txn)) == 0)
		mdb_txn_abort(txn);
	leave(h);
	store_ok = rc == 0;
	uv_mutex_lock(&h->lock);
	turn_ns = h->last_turn_ns;
	commit_at = h->last_commit_at;
	stuck_after = h->stuck_after_ns;
	uv_mutex_unlock(&h->lock);
	loop_ok = now_ns - turn_ns <= stuck_after;
	root = cJSON_CreateObject();
	REQUIRE(root != NULL);
	cJSON_AddBoolToObject(root, "ready", store_ok && loop_ok);
	cJSON_AddStringToObject(root, "store", store_ok ? "open" :
	    store_strerror(rc));
	cJSON_AddBoolToObject(root, "loop_turning", loop_ok);
	cJSON_AddNumberToObject(root, "last_loop_turn_ms",
	    (double)((now_ns - turn_ns) / 1000000));
	clock_gettime(CLOCK_REALTIME, &ts);
	if (commit_at > 0)
		cJSON_AddNumberToObject(root, "last_commit_age_secs",
		    (double)ts.tv_sec + ts.tv_nsec / 1e9 - commit_at);
	else
		cJSON_AddNullToObject(root, "last_commit_age_secs");
	respond_probe(aio, store_ok && loop_ok, root);
}

/* The probes are registered like add_route()'s handlers (freed by
 * http_deinit) but answer without a route: no token, no JSON read. */
static int
add_probe(struct http *h, const char *path, void (*cb)(nng_aio *))
{
	nng_http_handler *hd;
	int rv;

	REQUIRE(h->n_handlers < ROUTES_MAX);
	if ((rv = nng_http_handler_alloc(&hd, path, cb)) != 0)
		return rv;
	if ((rv = nng_http_handler_collect_body(hd, true, 0)) != 0 ||
	    (rv = nng_http_handler_set_data(hd, h, NULL)) != 0 ||
	    (rv = nng_http_server_add_handler(h->server, hd)) != 0) {
		nng_http_handler_free(hd);
		return rv;
	}
	h->handlers[h->n_handlers++] = hd;
	return 0;
}

void
http_note_batch(struct http *h, const struct counters *c, size_t requests,
    uint64_t commit_ns)
{
	if (h == NULL)
		return;
	uv_mutex_lock(&h->lock);
	h->stats = *c;
	note_turn(h, commit_ns);
	if (requests > 0)
		hist_add(&h->batch, batch_bounds, (double)requests);
	if (commit_ns > 0)
		hist_add(&h->commit, commit_bounds, (double)commit_ns / 1e9);
	uv_mutex_unlock(&h->lock);
}

/* ---- setup ----------------------------------------------------------- */

int
http_init(struct http **out, const struct config *cfg, const char *serve,
    const struct registry *reg, struct store *st, struct conns *subscribers)
{
	struct http *h;
	nng_url *url = NULL;
	char ws[CONFIG_STR_MAX + 16];
	/* Behind the guard, every peer is 127.0.0.1: it counts per peer. */
	bool guarded = strcmp(serve, cfg->http_url) != 0;
	int rv;

	*out = NULL;
	if (cfg->http_url[0] == '\0') {
		log_info("http: disabled ([daemon] http_url is empty)");
		return 0;
	}
	if ((rv = nng_url_parse(&url, cfg->http_url)) != 0 ||
	    strcmp(url->u_scheme, "http") != 0 ||
	    (url->u_path[0] != '\0' && strcmp(url->u_path, "/") != 0)) {
		log_err("[daemon] http_url '%s': want http://HOST:PORT",
		    cfg->http_url);
		nng_url_free(url);
		return -1;
	}
	if (guarded) {
		nng_url_free(url);
		REQUIRE(nng_url_parse(&url, serve) == 0);
	}
	REQUIRE(!the_http_used);
	the_http_used = true;
	h = &the_http;
	REQUIRE(uv_mutex_init(&h->lock) == 0);
	REQUIRE(uv_cond_init(&h->idle) == 0);
	REQUIRE(uv_rwlock_init(&h->reg_lock) == 0);
	h->reg = reg;
	h->store = st;
	h->subscribers = subscribers;
	h->default_deadline = cfg->deadline_secs;
	h->critical_pct = cfg->esc.region_critical_pct;
	h->warning_pct = cfg->esc.region_warning_pct;
	h->k_anonymity = cfg->hist.k_anonymity;
	h->started_at = (int64_t)time(NULL);
	h->last_turn_ns = uv_hrtime();
	h->stuck_after_ns = (uint64_t)cfg->tick_ms * 3 * 1000000;
	if (h->stuck_after_ns < 5000000000ull)
		h->stuck_after_ns = 5000000000ull;
	h->token_len = strlen(cfg->http_token);
	REQUIRE(h->token_len < sizeof(h->token));
	memcpy(h->token, cfg->http_token, h->token_len + 1);
	*out = h;

	if ((rv = nng_http_server_hold(&h->server, url)) != 0)
		goto fail;
	if ((rv = add_route(h, "/", NULL, web_index_html,
	    "text/html; charset=utf-8", false)) != 0 ||
	    (rv = add_route(h, "/dashboard.js", NULL, web_dashboard_js,
	    "text/javascript; charset=utf-8", false)) != 0 ||
	    (rv = add_route(h, "/dashboard.css", NULL, web_dashboard_css,
	    "text/css; charset=utf-8", false)) != 0 ||
	    (rv = add_route(h, "/api/status", json_status, NULL, NULL,
	    false)) != 0 ||
	    (rv = add_route(h, "/api/alerts", json_alerts, NULL, NULL,
	    false)) != 0 ||
	    (rv = add_route(h, "/api/placements", json_placements, NULL, NULL,
	    false)) != 0 ||
	    (rv = add_route(h, "/api/names", json_names_route, NULL, NULL,
	    false)) != 0 ||
	    (rv = add_route(h, "/api/shelters", json_shelters, NULL, NULL,
	    true)) != 0 ||
	    (rv = add_route(h, "/api/trend", json_trend, NULL, NULL,
	    false)) != 0 ||
	    (rv = add_route_raw(h, "/api/trend.svg", NULL, svg_trend_route,
	    NULL, NULL, false)) != 0 ||
	    (rv = add_route(h, "/metrics", NULL, NULL, NULL, false)) != 0 ||
	    (rv = add_probe(h, "/healthz", on_healthz)) != 0 ||
	    (rv = add_probe(h, "/readyz", on_readyz)) != 0)
		goto fail;
	if ((rv = nng_http_server_start(h->server)) != 0)
		goto fail;
	h->started = true;

	/* The ws:// listener on the same host:port finds this server (nng
	 * shares one per address) and adds its upgrade handler at /events. */
	snprintf(ws, sizeof(ws), "ws://%s/events", url->u_host);
	if ((rv = nng_pub0_open(&h->feed)) != 0)
		goto fail;
	h->feed_open = true;
	/* The feed's websockets count against the caps like any socket's. */
	if (conns_watch(&h->feed_conns, h->feed, "dashboard feed "
	    "connection", cfg->max_connections,
	    guarded ? 0 : cfg->max_connections_per_peer) != 0) {
		rv = NNG_ENOMEM;
		goto fail;
	}
	nng_socket_set_int(h->feed, NNG_OPT_SENDBUF, 256);
	if ((rv = nng_listen(h->feed, ws, NULL, 0)) != 0)
		goto fail;
	if (!util_url_is_local(cfg->http_url))
		log_warn("http: dashboard on %s in plain text, beyond "
		    "loopback: put a TLS proxy in front of it",
		    cfg->http_url);
	if (h->token_len == 0)
		log_warn("http: no [http] token: the dashboard shows region "
		    "totals only, never shelters");
	else if (h->token_len < 16)
		log_warn("http: [http] token is short (%zu characters); use "
		    "32 or more random ones", h->token_len);
	log_info("http: dashboard on %s (live feed /events)%s", cfg->http_url,
	    guarded ? " through the guard" : "");
	nng_url_free(url);
	return 0;
fail:
	log_err("http: cannot serve %s: %s", cfg->http_url, nng_strerror(rv));
	nng_url_free(url);
	return -1;
}

void
http_set_registry(struct http *h, const struct registry *reg,
    const struct disclosure *disc)
{
	if (h == NULL)
		return;
	uv_rwlock_wrlock(&h->reg_lock);
	h->reg = reg;
	h->disc = disc;
	uv_rwlock_wrunlock(&h->reg_lock);
}

void
http_set_deadline(struct http *h, uint32_t deadline_secs)
{
	if (h != NULL)
		__atomic_store_n(&h->default_deadline, deadline_secs,
		    __ATOMIC_RELAXED);
}

void
http_deinit(struct http *h)
{
	if (h == NULL)
		return;
	/* The feed's ws listener holds the server too: close it first. */
	if (h->feed_open)
		nng_close(h->feed);
	conns_close(h->feed_conns);
	h->feed_conns = NULL;
	if (h->started)
		nng_http_server_stop(h->server);
	/* No new handler may start; wait for those running (they hold read
	 * txns on the store, which closes after us). */
	uv_mutex_lock(&h->lock);
	h->closing = true;
	while (h->busy > 0)
		uv_cond_wait(&h->idle, &h->lock);
	uv_mutex_unlock(&h->lock);
	for (size_t i = 0; i < h->n_handlers; i++) {
		nng_http_server_del_handler(h->server, h->handlers[i]);
		nng_http_handler_free(h->handlers[i]);
	}
	if (h->server != NULL)
		nng_http_server_release(h->server);
	/* The lock and cond stay: see the_http. */
}
