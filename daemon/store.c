#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "history.h"
#include "log.h"
#include "placement.h"
#include "util.h"
#include "shelterd.pb-c.h"
#include "wirecheck.h"

/* An alert written before request_id was appended: the same layout up to
 * it, so it reads with request_id empty and needs no migration. */
#define ALERT_V3_SIZE offsetof(struct alert_state, request_id)
_Static_assert(ALERT_V3_SIZE == 160, "the alert layout before request_id");

static int
get_fixed(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen, void *out,
    size_t size)
{
	MDB_val k = { klen, (void *)key }, v;
	int rc = mdb_get(txn, dbi, &k, &v);

	if (rc == MDB_NOTFOUND) {
		memset(out, 0, size);
		return STORE_OK;
	}
	if (rc != 0)
		return store_error(rc);
	if (v.mv_size != size)
		return STORE_ECORRUPT;
	memcpy(out, v.mv_data, size); /* LMDB values need not be aligned */
	return STORE_OK;
}

static int
put(MDB_txn *txn, MDB_dbi dbi, const void *key, size_t klen,
    const void *data, size_t size)
{
	MDB_val k = { klen, (void *)key }, v = { size, (void *)data };

	return store_error(mdb_put(txn, dbi, &k, &v, 0));
}

/*
 * Schema 2 -> 3: shelter_state and aggregate gained fields at their end, so
 * an old value is the new one's prefix; the rest is zero (no forecast).
 * Schema 3 -> 4: the aggregate gained its coverage, zero until the
 * rebuild of every aggregate that each start does (occupancy.c).
 */
enum {
	V2_SHELTER_SIZE = offsetof(struct shelter_state, forecast),
	V2_AGGREGATE_SIZE = offsetof(struct aggregate, outlook),
	V3_AGGREGATE_SIZE = offsetof(struct aggregate, cov),
};
_Static_assert(V2_SHELTER_SIZE == 112 && V2_AGGREGATE_SIZE == 148,
    "schema 2 layout moved: the migration would misread old values");
_Static_assert(V3_AGGREGATE_SIZE == 228,
    "schema 3 layout moved: the migration would misread old values");

/*
 * Schema 4 -> 5: shelter_state gained the open and declared reserve beds
 * at its end (an old value is 160 bytes, its last 4 padding, so only the
 * fields before them are kept), reserve_activation its end. placement_state
 * gained in_reserve in what was padding (every value is zeroed before it
 * is filled), hist_placement one of its reserved bytes.
 */
enum {
	V4_SHELTER_SIZE = 160,
	V4_SHELTER_KEEP = offsetof(struct shelter_state, reserve_open),
	V4_RESERVE_SIZE = offsetof(struct reserve_activation, ended_at),
};
_Static_assert(V4_SHELTER_KEEP == 156 && V4_RESERVE_SIZE == 192 &&
    sizeof(struct placement_state) == 1768 &&
    sizeof(struct hist_placement) == 184,
    "schema 4 layout moved: the migration would misread old values");

/* Every value of old_size becomes new_size: its first `keep` bytes, then
 * zeroes. */
static int
migrate_db(MDB_txn *txn, MDB_dbi dbi, size_t old_size, size_t keep,
    size_t new_size)
{
	unsigned char buf[1024];
	char key[512];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		MDB_val nk, nv = { new_size, buf };

		if (v.mv_size == new_size)
			continue;
		if (v.mv_size != old_size || k.mv_size > sizeof(key) ||
		    new_size > sizeof(buf)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memset(buf, 0, new_size);
		memcpy(buf, v.mv_data, keep);
		/* The key lives in the page the put may rewrite. */
		memcpy(key, k.mv_data, k.mv_size);
		nk.mv_size = k.mv_size;
		nk.mv_data = key;
		if ((rc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* meta also holds the schema and the event counter: only the national
 * aggregate changes. */
static int
migrate_national(struct store *st, MDB_txn *txn, size_t old_size)
{
	unsigned char buf[sizeof(struct aggregate)];
	MDB_val k = { 8, (void *)"national" }, v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != old_size)
		return v.mv_size == sizeof(buf) ? 0 : MDB_CORRUPTED;
	memset(buf, 0, sizeof(buf));
	memcpy(buf, v.mv_data, old_size);
	v.mv_size = sizeof(buf);
	v.mv_data = buf;
	return mdb_put(txn, st->meta, &k, &v, 0);
}

static int
migrate_v2(struct store *st, MDB_txn *txn)
{
	int rc;

	if ((rc = migrate_db(txn, st->shelters, V2_SHELTER_SIZE,
	    V2_SHELTER_SIZE, sizeof(struct shelter_state))) != 0 ||
	    (rc = migrate_db(txn, st->regions, V2_AGGREGATE_SIZE,
	    V2_AGGREGATE_SIZE, sizeof(struct aggregate))) != 0)
		return rc;
	return migrate_national(st, txn, V2_AGGREGATE_SIZE);
}

/* Schema 3 -> 4, aggregates: the coverage appended, zero until the
 * rebuild at start. */
static int
migrate_coverage(struct store *st, MDB_txn *txn)
{
	int rc;

	if ((rc = migrate_db(txn, st->regions, V3_AGGREGATE_SIZE,
	    V3_AGGREGATE_SIZE, sizeof(struct aggregate))) != 0)
		return rc;
	return migrate_national(st, txn, V3_AGGREGATE_SIZE);
}

/* Schema 4 -> 5: reserve beds (see V4_SHELTER_SIZE). */
static int
migrate_reserves(struct store *st, MDB_txn *txn)
{
	int rc;

	if ((rc = migrate_db(txn, st->shelters, V4_SHELTER_SIZE,
	    V4_SHELTER_KEEP, sizeof(struct shelter_state))) != 0)
		return rc;
	return migrate_db(txn, st->reserves, V4_RESERVE_SIZE,
	    V4_RESERVE_SIZE, sizeof(struct reserve_activation));
}

/*
 * Schema 3 -> 4: a decline's reason was free text (96 bytes in the middle
 * of placement_state and hist_placement). It could name a person, so it is
 * not carried over: any old text becomes PLACE_REASON_OTHER and the text
 * is gone with the old value. The old layouts, frozen here:
 */
struct placement_state_v3 {
	char request_id[48];
	char case_ref[48];
	char from_region[32];
	char held_shelter[32];
	char held_region[32];
	char last_reason[96];
	char exclude[16][32];
	char tried[32][32];
	int64_t created_at, updated_at, hold_expires_at;
	uint8_t category, beds, security_level, urgency;
	uint8_t state;
	uint8_t allow_own_region, n_exclude, n_tried;
};

struct hist_placement_v3 {
	char request_id[48];
	char case_ref[48];
	char from_region[32];
	char held_region[32];
	char reason[96];
	int64_t created_at;
	int64_t at;
	uint8_t step;
	uint8_t category, beds, urgency;
	uint8_t declines;
	uint8_t reserved[3];
};

_Static_assert(sizeof(struct placement_state_v3) == 1856 &&
    sizeof(struct hist_placement_v3) == 280,
    "schema 3 layout moved: the migration would misread old values");

typedef void (*convert_fn)(const void *old, void *new);

#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

static void
convert_placement_v3(const void *old, void *new)
{
	const struct placement_state_v3 *o = old;
	struct placement_state *n = new;

	memcpy(n->request_id, o->request_id, sizeof(n->request_id));
	memcpy(n->case_ref, o->case_ref, sizeof(n->case_ref));
	memcpy(n->from_region, o->from_region, sizeof(n->from_region));
	memcpy(n->held_shelter, o->held_shelter, sizeof(n->held_shelter));
	memcpy(n->held_region, o->held_region, sizeof(n->held_region));
	memcpy(n->exclude, o->exclude, sizeof(n->exclude));
	memcpy(n->tried, o->tried, sizeof(n->tried));
	n->created_at = o->created_at;
	n->updated_at = o->updated_at;
	n->hold_expires_at = o->hold_expires_at;
	n->category = o->category;
	n->beds = o->beds;
	n->security_level = o->security_level;
	n->urgency = o->urgency;
	n->state = o->state;
	n->allow_own_region = o->allow_own_region;
	n->n_exclude = o->n_exclude;
	n->n_tried = o->n_tried;
	n->last_reason = o->last_reason[0] != '\0' ? PLACE_REASON_OTHER :
	    PLACE_REASON_NONE;
}

static void
convert_place_log_v3(const void *old, void *new)
{
	enum {
		DECLINED = PSTATE(DECLINED),
		EXPIRED = PSTATE(EXPIRED),
	};
	const struct hist_placement_v3 *o = old;
	struct hist_placement *n = new;

	memcpy(n->request_id, o->request_id, sizeof(n->request_id));
	memcpy(n->case_ref, o->case_ref, sizeof(n->case_ref));
	memcpy(n->from_region, o->from_region, sizeof(n->from_region));
	memcpy(n->held_region, o->held_region, sizeof(n->held_region));
	n->created_at = o->created_at;
	n->at = o->at;
	n->step = o->step;
	n->category = o->category;
	n->beds = o->beds;
	n->urgency = o->urgency;
	n->declines = o->declines;
	if (o->step == DECLINED)
		n->reason = o->reason[0] != '\0' ? PLACE_REASON_OTHER :
		    PLACE_REASON_NONE;
	else if (o->step == EXPIRED)
		n->reason = PLACE_REASON_EXPIRED;
}

/* Every value of dbi from old_size to new_size through fn; values of
 * new_size already are left alone (a migration cut short by a crash is
 * never committed, but be safe). */
static int
convert_db(MDB_txn *txn, MDB_dbi dbi, size_t old_size, size_t new_size,
    convert_fn fn)
{
	unsigned char buf[2048], old[2048];
	char key[512];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		MDB_val nk, nv = { new_size, buf };

		if (v.mv_size == new_size)
			continue;
		if (v.mv_size != old_size || k.mv_size > sizeof(key) ||
		    new_size > sizeof(buf) || old_size > sizeof(old)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(old, v.mv_data, old_size);
		memset(buf, 0, new_size);
		fn(old, buf);
		/* The key lives in the page the put may rewrite. */
		memcpy(key, k.mv_data, k.mv_size);
		nk.mv_size = k.mv_size;
		nk.mv_data = key;
		if ((rc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
migrate_reasons(struct store *st, MDB_txn *txn)
{
	int rc;

	if ((rc = convert_db(txn, st->placements,
	    sizeof(struct placement_state_v3),
	    sizeof(struct placement_state), convert_placement_v3)) != 0)
		return rc;
	return convert_db(txn, st->place_log, sizeof(struct hist_placement_v3),
	    sizeof(struct hist_placement), convert_place_log_v3);
}

/*
 * Stores written before requests were checked (core/wirecheck.c) may hold
 * text that is not UTF-8 (an alert's acked_by, a decline's reason), which
 * every reply and event page carrying it then passes on to clients whose
 * decoders refuse the whole message. Such bytes become '?' once, on open,
 * and each change is logged; meta "strings_checked" marks it done.
 */
struct clean_field {
	size_t off, size;
	const char *name;
};

#define CLEAN(type, f) { offsetof(struct type, f), \
	sizeof(((struct type *)0)->f), #f }

static const struct clean_field alert_text[] = {
	CLEAN(alert_state, region), CLEAN(alert_state, shelter),
	CLEAN(alert_state, acked_by),
};
static const struct clean_field placement_text[] = {
	CLEAN(placement_state, request_id), CLEAN(placement_state, case_ref),
	CLEAN(placement_state, from_region),
	CLEAN(placement_state, held_shelter),
	CLEAN(placement_state, held_region),
};
static const struct clean_field place_log_text[] = {
	CLEAN(hist_placement, request_id), CLEAN(hist_placement, case_ref),
	CLEAN(hist_placement, from_region),
	CLEAN(hist_placement, held_region),
};

/* The fixed-size structs of one db: their text fields. */
static int
clean_structs(MDB_txn *txn, MDB_dbi dbi, const char *db, size_t size,
    const struct clean_field *f, size_t nf, size_t *changed)
{
	unsigned char buf[2048];
	char key[512], shown[160];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if (size > sizeof(buf))
		return MDB_CORRUPTED;
	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		MDB_val nk, nv = { size, buf };
		size_t n = 0;

		if (v.mv_size != size || k.mv_size > sizeof(key))
			continue;       /* not ours to judge here */
		memcpy(buf, v.mv_data, size);
		for (size_t i = 0; i < nf; i++) {
			char *s = (char *)buf + f[i].off;
			size_t c = wirecheck_repair_str(s, f[i].size);

			if (c == 0)
				continue;
			n += c;
			log_warn("store: %s %s: %zu byte(s) of %s that were "
			    "not UTF-8 replaced by '?': now \"%s\"", db,
			    wirecheck_escape(k.mv_data, k.mv_size, shown,
			    sizeof(shown)), c, f[i].name, s);
		}
		if (n == 0)
			continue;
		*changed += n;
		/* The key lives in the page the put may rewrite. */
		memcpy(key, k.mv_data, k.mv_size);
		nk.mv_size = k.mv_size;
		nk.mv_data = key;
		if ((rc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT)) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

/* The event log: packed Events, repaired in place (lengths stay). */
static int
clean_events(MDB_txn *txn, MDB_dbi dbi, size_t *changed)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, dbi, &cur)) != 0)
		return rc;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		uint8_t key[8], *buf;
		uint64_t seq = 0;
		int n;

		if (k.mv_size != sizeof(key) ||
		    (buf = malloc(v.mv_size ? v.mv_size : 1)) == NULL)
			continue;
		memcpy(buf, v.mv_data, v.mv_size);
		n = wirecheck_repair(&shelterd__v1__event__descriptor, buf,
		    v.mv_size);
		if (n > 0) {
			MDB_val nk = { sizeof(key), key },
			    nv = { v.mv_size, buf };

			memcpy(key, k.mv_data, sizeof(key));
			for (int i = 0; i < 8; i++)
				seq = seq << 8 | key[i];
			log_warn("store: event %llu: %d byte(s) of text that "
			    "were not UTF-8 replaced by '?'",
			    (unsigned long long)seq, n);
			*changed += (size_t)n;
			rc = mdb_cursor_put(cur, &nk, &nv, MDB_CURRENT);
		}
		free(buf);
		if (rc != 0)
			break;
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

static int
clean_strings(struct store *st, MDB_txn *txn, const char *dir)
{
	MDB_val k = { 15, (void *)"strings_checked" }, v = { 1, (void *)"1" };
	size_t changed = 0;
	int rc = mdb_get(txn, st->meta, &k, &v);

	if (rc != MDB_NOTFOUND)
		return rc;
	if ((rc = clean_structs(txn, st->alerts, "alert",
	    sizeof(struct alert_state), alert_text,
	    sizeof(alert_text) / sizeof(alert_text[0]), &changed)) != 0 ||
	    (rc = clean_structs(txn, st->placements, "placement",
	    sizeof(struct placement_state), placement_text,
	    sizeof(placement_text) / sizeof(placement_text[0]),
	    &changed)) != 0 ||
	    (rc = clean_structs(txn, st->place_log, "placement history",
	    sizeof(struct hist_placement), place_log_text,
	    sizeof(place_log_text) / sizeof(place_log_text[0]),
	    &changed)) != 0 ||
	    (rc = clean_events(txn, st->events, &changed)) != 0)
		return rc;
	if (changed > 0)
		log_warn("data directory %s: cleaned %zu byte(s) of stored "
		    "text that were not UTF-8 (written before strings were "
		    "checked)", dir, changed);
	v.mv_size = 1;
	v.mv_data = (void *)"1";
	return mdb_put(txn, st->meta, &k, &v, 0);
}

/*
 * LMDB lets many processes write one environment, one txn at a time. Two
 * daemons would each keep their own aggregates, event counter and index
 * in memory, and overwrite each other's: one store, one daemon. A POSIX
 * record lock (held until the process ends, also by SIGKILL) on a file of
 * the data directory says so. Returns the file's descriptor, or -1.
 */
static int
lock_dir(const char *dir)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/shelterd.lock", dir);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		log_err("cannot open the store in %s: %s: %s", dir, path,
		    strerror(errno));
		return -1;
	}
	if (fcntl(fd, F_SETLK, &fl) != 0) {
		int e = errno;

		if (e == EACCES || e == EAGAIN) {
			fl.l_type = F_WRLCK;
			if (fcntl(fd, F_GETLK, &fl) != 0)
				fl.l_pid = 0;
			log_err("data directory %s is in use by another "
			    "shelterd (pid %ld holds %s): one store, one "
			    "daemon", dir, (long)fl.l_pid, path);
		} else {
			log_err("cannot lock %s: %s", path, strerror(e));
		}
		close(fd);
		return -1;
	}
	return fd;
}

int
store_open(struct store *st, const char *dir, uint64_t map_bytes)
{
	MDB_txn *txn = NULL;
	uint32_t schema;
	int rc, err;

	memset(st, 0, sizeof(*st));
	st->lock_fd = -1;
	if (util_make_dirs(dir) != 0) {
		log_err("cannot create data directory %s: %s", dir,
		    strerror(errno));
		return STORE_EIO;
	}
	if ((st->lock_fd = lock_dir(dir)) < 0)
		return STORE_EIO;
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 16)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, (size_t)map_bytes)) != 0)
		goto fail;
	/* Default flags: every commit is synced to disk before it returns,
	 * which is what an ack promises. MDB_NOTLS: read txns are not tied
	 * to threads. */
	if ((rc = mdb_env_open(st->env, dir, MDB_NOTLS, 0600)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(st->env, NULL, 0, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "shelters", MDB_CREATE, &st->shelters)) ||
	    (rc = mdb_dbi_open(txn, "regions", MDB_CREATE, &st->regions)) ||
	    (rc = mdb_dbi_open(txn, "events", MDB_CREATE, &st->events)) ||
	    (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &st->meta)) ||
	    (rc = mdb_dbi_open(txn, "alerts", MDB_CREATE, &st->alerts)) ||
	    (rc = mdb_dbi_open(txn, "placements", MDB_CREATE,
	    &st->placements)) ||
	    (rc = mdb_dbi_open(txn, "samples", MDB_CREATE, &st->samples)) ||
	    (rc = mdb_dbi_open(txn, "place_log", MDB_CREATE,
	    &st->place_log)) ||
	    (rc = mdb_dbi_open(txn, "audit", MDB_CREATE, &st->audit)) ||
	    (rc = mdb_dbi_open(txn, "reserves", MDB_CREATE, &st->reserves)) ||
	    (rc = mdb_dbi_open(txn, "reserve_answers", MDB_CREATE,
	    &st->reserve_answers)))
		goto fail;
	if ((err = get_fixed(txn, st->meta, "schema", 6, &schema,
	    sizeof(schema))) != 0) {
		log_err("data directory %s: %s", dir, store_strerror(err));
		mdb_txn_abort(txn);
		store_close(st);
		return err;
	}
	if (schema == 0) {
		schema = STORE_SCHEMA_VERSION;
		if (put(txn, st->meta, "schema", 6, &schema,
		    sizeof(schema)) != 0) {
			rc = MDB_MAP_FULL;
			goto fail;
		}
	} else if (schema >= 2 && schema <= 4) {
		uint32_t old = schema;

		/* 4: the aggregate's coverage (issue 13) and decline reasons
		 * from a closed list (issue 14), which a 2 or 3 store both
		 * lack; 5: reserve beds. */
		if ((old == 2 && (rc = migrate_v2(st, txn)) != 0) ||
		    (old == 3 && (rc = migrate_coverage(st, txn)) != 0) ||
		    (old <= 3 && (rc = migrate_reasons(st, txn)) != 0) ||
		    (rc = migrate_reserves(st, txn)) != 0)
			goto fail;
		schema = STORE_SCHEMA_VERSION;
		if (put(txn, st->meta, "schema", 6, &schema,
		    sizeof(schema)) != 0) {
			rc = MDB_MAP_FULL;
			goto fail;
		}
		log_info("data directory %s: migrated from schema %u to %u "
		    "(%s%sreserve beds)", dir, old, schema,
		    old == 2 ? "outflow forecasts, " : "", old <= 3 ?
		    "coverage, decline reasons from a closed list: old texts "
		    "are now 'other'; " : "");
	} else if (schema != STORE_SCHEMA_VERSION) {
		log_err("data directory %s has schema %u; this shelterd "
		    "reads schema %u", dir, schema, STORE_SCHEMA_VERSION);
		mdb_txn_abort(txn);
		store_close(st);
		return STORE_EVERSION;
	}
	if ((rc = clean_strings(st, txn, dir)) != 0)
		goto fail;
	if ((rc = mdb_txn_commit(txn)) != 0) {
		txn = NULL;
		goto fail;
	}
	return STORE_OK;
fail:
	log_err("cannot open LMDB store in %s: %s", dir, mdb_strerror(rc));
	if (txn != NULL)
		mdb_txn_abort(txn);
	store_close(st);
	return store_error(rc);
}

void
store_close(struct store *st)
{
	if (st->env != NULL)
		mdb_env_close(st->env);
	st->env = NULL;
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	st->lock_fd = -1;
}

int
store_begin(struct store *st, MDB_txn *parent, int write, MDB_txn **txn)
{
	return store_error(mdb_txn_begin(st->env, parent,
	    write ? 0 : MDB_RDONLY, txn));
}

int
store_commit(MDB_txn *txn)
{
	return store_error(mdb_txn_commit(txn));
}

int
store_get_shelter(struct store *st, MDB_txn *txn, const char *id,
    struct shelter_state *out)
{
	return get_fixed(txn, st->shelters, id, strlen(id), out, sizeof(*out));
}

int
store_put_shelter(struct store *st, MDB_txn *txn, const char *id,
    const struct shelter_state *sh)
{
	return put(txn, st->shelters, id, strlen(id), sh, sizeof(*sh));
}

int
store_del_shelter(struct store *st, MDB_txn *txn, const char *id)
{
	MDB_val k = { strlen(id), (void *)id };
	int rc = mdb_del(txn, st->shelters, &k, NULL);

	return rc == MDB_NOTFOUND ? STORE_OK : store_error(rc);
}

/* A text in meta under key, after the 8 bytes of its time. */
static int
get_text(struct store *st, MDB_txn *txn, const char *key, char **text,
    int64_t *at)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	*text = NULL;
	*at = 0;
	if (rc == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_error(rc);
	if (v.mv_size < 8)
		return STORE_ECORRUPT;
	memcpy(at, v.mv_data, 8);
	if ((*text = malloc(v.mv_size - 8 + 1)) == NULL)
		return STORE_EIO;
	memcpy(*text, (const char *)v.mv_data + 8, v.mv_size - 8);
	(*text)[v.mv_size - 8] = '\0';
	return STORE_OK;
}

static int
put_text(struct store *st, MDB_txn *txn, const char *key, const char *text,
    int64_t at)
{
	size_t n = strlen(text);
	MDB_val k = { strlen(key), (void *)key }, v = { n + 8, NULL };
	int rc = mdb_put(txn, st->meta, &k, &v, MDB_RESERVE);

	if (rc != 0)
		return store_error(rc);
	memcpy(v.mv_data, &at, 8);
	memcpy((char *)v.mv_data + 8, text, n);
	return STORE_OK;
}

int
store_get_registry(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at)
{
	return get_text(st, txn, "registry_shelters", csv, imported_at);
}

int
store_put_registry(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at)
{
	return put_text(st, txn, "registry_shelters", csv, imported_at);
}

int
store_get_norms(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at)
{
	return get_text(st, txn, "registry_norms", csv, imported_at);
}

int
store_put_norms(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at)
{
	return put_text(st, txn, "registry_norms", csv, imported_at);
}

int
store_get_reserves(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at)
{
	return get_text(st, txn, "registry_reserves", csv, imported_at);
}

int
store_put_reserves(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at)
{
	return put_text(st, txn, "registry_reserves", csv, imported_at);
}

int
store_get_region(struct store *st, MDB_txn *txn, const char *id,
    struct aggregate *out)
{
	return get_fixed(txn, st->regions, id, strlen(id), out, sizeof(*out));
}

int
store_put_region(struct store *st, MDB_txn *txn, const char *id,
    const struct aggregate *agg)
{
	return put(txn, st->regions, id, strlen(id), agg, sizeof(*agg));
}

int
store_get_national(struct store *st, MDB_txn *txn, struct aggregate *out)
{
	return get_fixed(txn, st->meta, "national", 8, out, sizeof(*out));
}

int
store_put_national(struct store *st, MDB_txn *txn,
    const struct aggregate *agg)
{
	return put(txn, st->meta, "national", 8, agg, sizeof(*agg));
}

int
store_get_next_event_seq(struct store *st, MDB_txn *txn, uint64_t *out)
{
	int rc = get_fixed(txn, st->meta, "next_event_seq", 14, out,
	    sizeof(*out));

	if (rc == 0 && *out == 0)
		*out = 1;
	return rc;
}

int
store_put_next_event_seq(struct store *st, MDB_txn *txn, uint64_t seq)
{
	return put(txn, st->meta, "next_event_seq", 14, &seq, sizeof(seq));
}

int
store_put_event(struct store *st, MDB_txn *txn, uint64_t seq,
    const void *data, size_t len)
{
	unsigned char key[8];
	MDB_val k = { 8, key }, v = { len, (void *)data };

	util_put_be64(key, seq);
	/* Appending in key order lets LMDB fill pages completely. */
	return store_error(mdb_put(txn, st->events, &k, &v, MDB_APPEND));
}

int
store_events_since(struct store *st, MDB_txn *txn, uint64_t after,
    size_t limit, store_event_fn fn, void *arg)
{
	unsigned char key[8];
	MDB_cursor *cur;
	MDB_val k = { 8, key }, v;
	size_t n = 0;
	int rc;

	if (after == UINT64_MAX || limit == 0)
		return STORE_OK;
	util_put_be64(key, after + 1);
	if ((rc = mdb_cursor_open(txn, st->events, &cur)) != 0)
		return store_error(rc);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	while (rc == 0 && n < limit) {
		if (k.mv_size != 8) {
			rc = MDB_CORRUPTED;
			break;
		}
		if (fn(arg, util_get_be64(k.mv_data), v.mv_data,
		    v.mv_size) != 0)
			break;
		n++;
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	}
	mdb_cursor_close(cur);
	return (rc == 0 || rc == MDB_NOTFOUND) ? STORE_OK : store_error(rc);
}

int
store_get_alert(struct store *st, MDB_txn *txn, const char *key,
    struct alert_state *out)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(txn, st->alerts, &k, &v);

	memset(out, 0, sizeof(*out));
	if (rc == MDB_NOTFOUND)
		return STORE_OK;
	if (rc != 0)
		return store_error(rc);
	if (v.mv_size != sizeof(*out) && v.mv_size != ALERT_V3_SIZE)
		return STORE_ECORRUPT;
	memcpy(out, v.mv_data, v.mv_size);
	return STORE_OK;
}

int
store_put_alert(struct store *st, MDB_txn *txn, const char *key,
    const struct alert_state *a)
{
	return put(txn, st->alerts, key, strlen(key), a, sizeof(*a));
}

int
store_del_alert(struct store *st, MDB_txn *txn, const char *key)
{
	MDB_val k = { strlen(key), (void *)key };
	int rc = mdb_del(txn, st->alerts, &k, NULL);

	return rc == MDB_NOTFOUND ? STORE_OK : store_error(rc);
}

int
store_alerts_each(struct store *st, MDB_txn *txn, store_alert_fn fn,
    void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	char key[160];
	int rc;

	if ((rc = mdb_cursor_open(txn, st->alerts, &cur)) != 0)
		return store_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct alert_state a;

		if ((v.mv_size != sizeof(a) && v.mv_size != ALERT_V3_SIZE) ||
		    k.mv_size >= sizeof(key)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memset(&a, 0, sizeof(a));
		memcpy(&a, v.mv_data, v.mv_size);
		memcpy(key, k.mv_data, k.mv_size);
		key[k.mv_size] = '\0';
		/* fn may write to this txn, which would invalidate the
		 * cursor's page: it gets copies, and we stop on request. */
		if (fn(arg, key, &a) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return (rc == 0 || rc == MDB_NOTFOUND) ? STORE_OK : store_error(rc);
}

int
store_get_placement(struct store *st, MDB_txn *txn, const char *id,
    struct placement_state *out)
{
	return get_fixed(txn, st->placements, id, strlen(id), out,
	    sizeof(*out));
}

int
store_put_placement(struct store *st, MDB_txn *txn,
    const struct placement_state *p)
{
	return put(txn, st->placements, p->request_id, strlen(p->request_id),
	    p, sizeof(*p));
}

int
store_placements_each(struct store *st, MDB_txn *txn, store_placement_fn fn,
    void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->placements, &cur)) != 0)
		return store_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct placement_state p;

		if (v.mv_size != sizeof(p)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&p, v.mv_data, sizeof(p));
		if (fn(arg, &p) != 0)
			break;
	}
	mdb_cursor_close(cur);
	return (rc == 0 || rc == MDB_NOTFOUND) ? STORE_OK : store_error(rc);
}

int
store_get_reserve(struct store *st, MDB_txn *txn, uint64_t id,
    struct reserve_activation *out)
{
	unsigned char key[8];

	util_put_be64(key, id);
	return get_fixed(txn, st->reserves, key, sizeof(key), out,
	    sizeof(*out));
}

int
store_put_reserve(struct store *st, MDB_txn *txn,
    const struct reserve_activation *r)
{
	unsigned char key[8];

	util_put_be64(key, r->id);
	return put(txn, st->reserves, key, sizeof(key), r, sizeof(*r));
}

int
store_reserves_each(struct store *st, MDB_txn *txn, store_reserve_fn fn,
    void *arg)
{
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	if ((rc = mdb_cursor_open(txn, st->reserves, &cur)) != 0)
		return store_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct reserve_activation r;

		if (v.mv_size != sizeof(r)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&r, v.mv_data, sizeof(r));
		if (fn(arg, &r) != 0) {
			rc = MDB_NOTFOUND;
			break;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? STORE_OK : store_error(rc);
}

/* id (big-endian), then the shelter id NUL-padded to 32 bytes. */
static void
answer_key(uint64_t id, const char *shelter, unsigned char key[40])
{
	memset(key, 0, 40);
	util_put_be64(key, id);
	util_copy((char *)key + 8, 32, shelter);
}

int
store_get_reserve_answer(struct store *st, MDB_txn *txn, uint64_t id,
    const char *shelter, struct reserve_answer *out)
{
	unsigned char key[40];

	answer_key(id, shelter, key);
	return get_fixed(txn, st->reserve_answers, key, sizeof(key), out,
	    sizeof(*out));
}

int
store_put_reserve_answer(struct store *st, MDB_txn *txn,
    const struct reserve_answer *a)
{
	unsigned char key[40];

	answer_key(a->id, a->shelter, key);
	return put(txn, st->reserve_answers, key, sizeof(key), a,
	    sizeof(*a));
}

int
store_reserve_answers_each(struct store *st, MDB_txn *txn, uint64_t id,
    store_answer_fn fn, void *arg)
{
	unsigned char first[40];
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	answer_key(id, "", first);
	k.mv_size = sizeof(first);
	k.mv_data = first;
	if ((rc = mdb_cursor_open(txn, st->reserve_answers, &cur)) != 0)
		return store_error(rc);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		struct reserve_answer a;

		if (k.mv_size != sizeof(first) ||
		    memcmp(k.mv_data, first, 8) != 0) {
			rc = MDB_NOTFOUND; /* past this activation's answers */
			break;
		}
		if (v.mv_size != sizeof(a)) {
			rc = MDB_CORRUPTED;
			break;
		}
		memcpy(&a, v.mv_data, sizeof(a));
		if (fn(arg, &a) != 0) {
			rc = MDB_NOTFOUND;
			break;
		}
	}
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? STORE_OK : store_error(rc);
}
