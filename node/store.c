/*
 * store.c — shelter-node's own LMDB: the outbox of accepted reports, the
 * last accepted report per shelter, the region's copy of the national
 * event log, and two counters. Only the loop thread writes.
 *
 * | db       | key                        | value                        |
 * |----------|----------------------------|------------------------------|
 * | outbox   | forward seq (8 bytes, BE)  | accepted_at (8, BE) + packed |
 * |          |                            | OccupancyUpdate              |
 * | shelters | shelter id                 | struct shelter_state         |
 * | events   | national event_seq (BE)    | topic NUL packed Event       |
 * | meta     | next_fwd, up_seq           | uint64                       |
 * | rejected | forward seq (8 bytes, BE)  | refused_at (8) + code (4) +  |
 * |          |                            | error len (2) + error + the  |
 * |          |                            | outbox value                 |
 *
 * Big-endian keys sort numerically, so a cursor walks the outbox oldest
 * first and the events in national order.
 */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"
#include "nstore.h"

int
nstore_open(struct nstore *st, const char *dir, uint64_t map_bytes,
    bool readonly)
{
	MDB_txn *txn;
	unsigned flags = readonly ? MDB_RDONLY : 0;
	int rc;

	memset(st, 0, sizeof(*st));
	if (!readonly && util_make_dirs(dir) != 0) {
		log_err("cannot create data dir %s: %s", dir,
		    strerror(errno));
		return -1;
	}
	if ((rc = mdb_env_create(&st->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(st->env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(st->env, map_bytes)) != 0 ||
	    (rc = mdb_env_open(st->env, dir, flags, 0600)) != 0)
		goto fail;
	if ((rc = mdb_txn_begin(st->env, NULL, flags, &txn)) != 0)
		goto fail;
	flags = readonly ? 0 : MDB_CREATE;
	if ((rc = mdb_dbi_open(txn, "outbox", flags, &st->outbox)) != 0 ||
	    (rc = mdb_dbi_open(txn, "shelters", flags, &st->shelters)) != 0 ||
	    (rc = mdb_dbi_open(txn, "events", flags, &st->events)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", flags, &st->meta)) != 0) {
		mdb_txn_abort(txn);
		goto fail;
	}
	/* Added later: a read-only look at an older store has none. */
	rc = mdb_dbi_open(txn, "rejected", flags, &st->rejected);
	if (rc != 0 && !(readonly && rc == MDB_NOTFOUND)) {
		mdb_txn_abort(txn);
		goto fail;
	}
	st->has_rejected = rc == 0;
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto fail;
	return 0;
fail:
	log_err("cannot open the node store in %s: %s", dir,
	    mdb_strerror(rc));
	if (st->env != NULL)
		mdb_env_close(st->env);
	st->env = NULL;
	return -1;
}

void
nstore_close(struct nstore *st)
{
	if (st->env != NULL)
		mdb_env_close(st->env);
	st->env = NULL;
}

int
nstore_get_u64(struct nstore *st, MDB_txn *txn, const char *key,
    uint64_t *out)
{
	MDB_val k = { strlen(key), (void *)key }, v;
	int rc = mdb_get(txn, st->meta, &k, &v);

	*out = 0;
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != 8)
		return MDB_CORRUPTED;
	*out = util_get_be64(v.mv_data);
	return 0;
}

int
nstore_put_u64(struct nstore *st, MDB_txn *txn, const char *key,
    uint64_t val)
{
	uint8_t buf[8];
	MDB_val k = { strlen(key), (void *)key }, v = { 8, buf };

	util_put_be64(buf, val);
	return mdb_put(txn, st->meta, &k, &v, 0);
}

int
nstore_get_shelter(struct nstore *st, MDB_txn *txn, const char *id,
    struct shelter_state *out)
{
	MDB_val k = { strlen(id), (void *)id }, v;
	int rc = mdb_get(txn, st->shelters, &k, &v);

	memset(out, 0, sizeof(*out));
	if (rc == MDB_NOTFOUND)
		return 0;
	if (rc != 0)
		return rc;
	if (v.mv_size != sizeof(*out))
		return MDB_CORRUPTED;
	memcpy(out, v.mv_data, sizeof(*out));
	return 0;
}

int
nstore_put_shelter(struct nstore *st, MDB_txn *txn, const char *id,
    const struct shelter_state *s)
{
	MDB_val k = { strlen(id), (void *)id }, v = { sizeof(*s), (void *)s };

	return mdb_put(txn, st->shelters, &k, &v, 0);
}

int
nstore_backlog(struct nstore *st, MDB_txn *txn, size_t *count,
    int64_t *oldest)
{
	MDB_stat ms;
	MDB_cursor *cur;
	MDB_val k, v;
	int rc;

	*count = 0;
	*oldest = 0;
	if ((rc = mdb_stat(txn, st->outbox, &ms)) != 0)
		return rc;
	*count = ms.ms_entries;
	if (*count == 0)
		return 0;
	if ((rc = mdb_cursor_open(txn, st->outbox, &cur)) != 0)
		return rc;
	rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
	if (rc == 0 && v.mv_size >= 8)
		*oldest = (int64_t)util_get_be64(v.mv_data);
	mdb_cursor_close(cur);
	return rc == MDB_NOTFOUND ? 0 : rc;
}

int
nstore_reject(struct nstore *st, MDB_txn *txn, const uint8_t *key,
    int64_t now, int code, const char *error)
{
	MDB_val k = { 8, (void *)key }, v, out;
	size_t elen = error ? strlen(error) : 0;
	uint8_t *p;
	int rc;

	if (!st->has_rejected)
		return EINVAL;
	if ((rc = mdb_get(txn, st->outbox, &k, &v)) != 0)
		return rc;
	if (elen > 0xffff)
		elen = 0xffff;
	out.mv_size = 8 + 4 + 2 + elen + v.mv_size;
	if ((rc = mdb_put(txn, st->rejected, &k, &out, MDB_RESERVE)) != 0)
		return rc;
	/* v may have moved with the put: read it again. */
	if ((rc = mdb_get(txn, st->outbox, &k, &v)) != 0)
		return rc;
	p = out.mv_data;
	util_put_be64(p, (uint64_t)now);
	p[8] = (uint8_t)((uint32_t)code >> 24);
	p[9] = (uint8_t)((uint32_t)code >> 16);
	p[10] = (uint8_t)((uint32_t)code >> 8);
	p[11] = (uint8_t)code;
	p[12] = (uint8_t)(elen >> 8);
	p[13] = (uint8_t)elen;
	if (elen > 0)
		memcpy(p + 14, error, elen);
	memcpy(p + 14 + elen, v.mv_data, v.mv_size);
	return mdb_del(txn, st->outbox, &k, NULL);
}

int
nstore_rejected_count(struct nstore *st, MDB_txn *txn, size_t *count)
{
	MDB_stat ms;
	int rc;

	*count = 0;
	if (!st->has_rejected)
		return 0;
	if ((rc = mdb_stat(txn, st->rejected, &ms)) != 0)
		return rc;
	*count = ms.ms_entries;
	return 0;
}
