/*
 * backup.c — `shelterctl backup DIR`: a consistent, compacted copy of the
 * LMDB environment while the daemon runs.
 *
 * mdb_env_copy2() reads through one read txn, so the copy is the store as
 * of one commit, and LMDB readers never block the writer: the loop goes on
 * applying updates meanwhile. It can take seconds on a large store, so it
 * runs on a libuv worker thread (uv_queue_work), and the request's message
 * (raw rep0: its header routes the reply) is kept and answered from the
 * loop when the copy is done. Everything acknowledged before the request
 * was taken off the queue had committed, so it is in the copy.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backup.h"
#include "log.h"
#include "ctx.h"
#include "ops.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

struct backup {
	uv_work_t work;
	struct ctx *s;
	nng_msg *msg;               /* the request, for the reply's route */
	char dir[CONFIG_STR_MAX];
	uint64_t started;           /* uv_hrtime() */
	/* Filled on the worker thread. */
	int code;
	char err[256];
	uint64_t bytes, last_event_seq;
};

/* One at a time, and one daemon per process: a second request while a
 * copy runs is refused rather than queued behind it. */
static struct backup *running;

static int
make_dir(const char *dir, char *err, size_t errlen)
{
	char path[CONFIG_STR_MAX], probe[CONFIG_STR_MAX + 16];
	struct stat st;
	size_t n = strlen(dir);

	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		goto fail;
	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return CODE(BAD_REQUEST);
	}
	snprintf(probe, sizeof(probe), "%s/data.mdb", dir);
	if (access(probe, F_OK) == 0) {
		snprintf(err, errlen, "%s already holds a store (data.mdb): "
		    "choose a new directory", dir);
		return CODE(CONFLICT);
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
	return CODE(BAD_REQUEST);
}

/* fsync a file or directory: the copy is "done" only once on disk. */
static int
sync_path(const char *path, int flags)
{
	int fd = open(path, flags), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Open the copy read-only, as a restore would, and read its newest event:
 * a copy that does not open is a failed backup. */
static int
check_copy(struct backup *b)
{
	MDB_env *env = NULL;
	MDB_txn *txn = NULL;
	MDB_dbi meta;
	MDB_val k = { 14, (void *)"next_event_seq" }, v;
	uint64_t next = 0;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 32)) != 0 ||
	    (rc = mdb_env_open(env, b->dir, MDB_RDONLY | MDB_NOTLS,
	    0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", 0, &meta)) != 0)
		goto out;
	rc = mdb_get(txn, meta, &k, &v);
	if (rc == 0 && v.mv_size == sizeof(next))
		memcpy(&next, v.mv_data, sizeof(next));
	else if (rc == MDB_NOTFOUND)
		rc = 0;
	b->last_event_seq = next ? next - 1 : 0;
out:
	if (txn != NULL)
		mdb_txn_abort(txn);
	if (env != NULL)
		mdb_env_close(env);
	return rc;
}

/* Worker thread: touches only *b and the environment (thread-safe). */
static void
backup_work(uv_work_t *w)
{
	struct backup *b = w->data;
	char file[CONFIG_STR_MAX + 16];
	struct stat st;
	int rc;

	if ((b->code = make_dir(b->dir, b->err, sizeof(b->err))) != 0)
		return;
	if ((rc = mdb_env_copy2(b->s->store->env, b->dir,
	    MDB_CP_COMPACT)) != 0) {
		b->code = rc == ENOSPC ? CODE(STORE_FULL) : CODE(INTERNAL);
		snprintf(b->err, sizeof(b->err), "copy into %.200s failed: %s",
		    b->dir, mdb_strerror(rc));
		return;
	}
	snprintf(file, sizeof(file), "%s/data.mdb", b->dir);
	if (sync_path(file, O_RDONLY) != 0 ||
	    sync_path(b->dir, O_RDONLY | O_DIRECTORY) != 0) {
		b->code = CODE(INTERNAL);
		snprintf(b->err, sizeof(b->err), "cannot sync %.200s: %s",
		    file, strerror(errno));
		return;
	}
	if (stat(file, &st) == 0)
		b->bytes = (uint64_t)st.st_size;
	if ((rc = check_copy(b)) != 0) {
		b->code = CODE(INTERNAL);
		snprintf(b->err, sizeof(b->err), "the copy in %.200s does not "
		    "open: %s", b->dir, mdb_strerror(rc));
	}
}

/* Loop thread: answer the request that has waited for the copy. */
static void
backup_done(uv_work_t *w, int status)
{
	struct backup *b = w->data;
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	Shelterd__V1__BackupReply br = SHELTERD__V1__BACKUP_REPLY__INIT;
	uint32_t ms = (uint32_t)((uv_hrtime() - b->started) / 1000000);
	size_t len;

	if (status != 0 && b->code == 0) {
		b->code = CODE(INTERNAL);
		snprintf(b->err, sizeof(b->err), "backup cancelled");
	}
	reply.code = (Shelterd__V1__Code)b->code;
	reply.error = b->err;
	if (b->code == 0) {
		br.dir = b->dir;
		br.bytes = b->bytes;
		br.last_event_seq = b->last_event_seq;
		br.millis = ms;
		reply.body_case = SHELTERD__V1__REPLY__BODY_BACKUP;
		reply.backup = &br;
		log_info("backup: %s, %" PRIu64 " bytes up to event %" PRIu64
		    ", %u ms", b->dir, b->bytes, b->last_event_seq, ms);
	} else {
		b->s->stats.refused[b->code & 15]++;
		log_msg(b->code == CODE(INTERNAL) ? LOG_ERR : LOG_WARN,
		    "backup failed: %s", b->err);
	}
	/* Clearing keeps the header: it routes the reply to its requester. */
	len = shelterd__v1__reply__get_packed_size(&reply);
	nng_msg_clear(b->msg);
	REQUIRE(nng_msg_realloc(b->msg, len) == 0);
	shelterd__v1__reply__pack(&reply, nng_msg_body(b->msg));
	if (nng_sendmsg(b->s->api, b->msg, NNG_FLAG_NONBLOCK) != 0) {
		b->s->stats.replies_dropped++;
		log_warn("backup reply dropped (requester gone)");
		nng_msg_free(b->msg);
	}
	running = NULL;
	free(b);
}

static int
start(struct ctx *s, nng_msg **msg,
    const Shelterd__V1__BackupRequest *req, char *err, size_t errlen)
{
	const char *dir = req->dir ? req->dir : "";
	struct backup *b;
	size_t n = strlen(dir);

	if (n == 0 || dir[0] != '/' || n >= sizeof(b->dir) ||
	    strstr(dir, "/../") != NULL) {
		snprintf(err, errlen, "backup needs an absolute directory on "
		    "the daemon's machine, not '%.200s'", dir);
		return CODE(BAD_REQUEST);
	}
	if (running != NULL) {
		snprintf(err, errlen, "a backup into %.200s is still running",
		    running->dir);
		return CODE(CONFLICT);
	}
	b = calloc(1, sizeof(*b));
	REQUIRE(b != NULL);
	b->s = s;
	b->msg = *msg;
	memcpy(b->dir, dir, n + 1);
	while (n > 1 && b->dir[n - 1] == '/')
		b->dir[--n] = '\0';
	b->started = uv_hrtime();
	b->work.data = b;
	if (uv_queue_work(s->loop, &b->work, backup_work, backup_done) != 0) {
		free(b);
		snprintf(err, errlen, "cannot start a worker thread");
		return CODE(INTERNAL);
	}
	running = b;
	*msg = NULL; /* answered by backup_done */
	log_info("backup into %s started", b->dir);
	return 0;
}

void
backup_op(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	(void)rtxn;
	(void)reply;
	it->res.rc = start(s, &it->msg, it->req->backup, it->res.msg,
	    sizeof(it->res.msg));
}
