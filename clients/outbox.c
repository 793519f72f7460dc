#include "outbox.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sodium.h>

/* Said at the top of the file for whoever finds it on a shelter's PC. */
static const char header[] =
    "# shelter-report outbox: reports not yet delivered to shelterd, oldest\n"
    "# first, one packed shelterd.v1.OccupancyUpdate in hex a line.\n"
    "# `shelter-report flush` delivers them; do not edit.\n";

static void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	/* A client with no memory left cannot do anything useful; saying
	 * so beats a NULL dereference. */
	if (p == NULL) {
		fputs("shelter-report: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *
concat(const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
	char *s = xmalloc(la + lb + lc + 1);

	memcpy(s, a, la);
	memcpy(s + la, b, lb);
	memcpy(s + la + lb, c, lc + 1);
	return s;
}

char *
outbox_default_path(char *err, size_t errlen)
{
	const char *v = getenv("SHELTERD_OUTBOX");

	if (v && *v)
		return concat(v, "", "");
	/* The XDG spec says to ignore a relative $XDG_STATE_HOME. */
	v = getenv("XDG_STATE_HOME");
	if (v && v[0] == '/')
		return concat(v, "/shelterd/outbox", "");
	v = getenv("HOME");
	if (v && *v)
		return concat(v, "/.local/state/shelterd/outbox", "");
	snprintf(err, errlen, "no place for the outbox: $HOME is not set "
	    "(use --outbox FILE or $SHELTERD_OUTBOX)");
	return NULL;
}

/* The directory that holds path: "." for a bare file name. */
static char *
dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *d;

	if (slash == NULL)
		return concat(".", "", "");
	if (slash == path)
		return concat("/", "", "");
	d = xmalloc((size_t)(slash - path) + 1);
	memcpy(d, path, (size_t)(slash - path));
	d[slash - path] = '\0';
	return d;
}

/* mkdir -p, 0700 for what it creates: the queue says which shelter
 * reported what, which is nobody else's business on a shared PC. */
static int
fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Hex text -> bytes in out (len/2 bytes); -1 if it is not hex. */
static int
unhex(const char *s, size_t len, uint8_t *out)
{
	size_t n;

	if (len == 0 || len % 2 != 0 ||
	    sodium_hex2bin(out, len / 2, s, len, NULL, &n, NULL) != 0 ||
	    n != len / 2)
		return -1;
	return 0;
}

static void
add_entry(struct outbox *ob, uint8_t *data, size_t len,
    Shelterd__V1__OccupancyUpdate *up)
{
	if (ob->n == ob->cap) {
		size_t cap = ob->cap ? ob->cap * 2 : 8;
		struct outbox_entry *v = realloc(ob->v, cap * sizeof(*v));

		if (v == NULL) {
			fputs("shelter-report: out of memory\n", stderr);
			abort();
		}
		ob->v = v;
		ob->cap = cap;
	}
	ob->v[ob->n].data = data;
	ob->v[ob->n].len = len;
	ob->v[ob->n].up = up;
	ob->n++;
}

/* A line that is not a report cannot be delivered, but it may be the only
 * copy of one: keep it aside, durably, before it leaves the outbox. */
static int
keep_damaged(const char *path, const char *line, char *err, size_t errlen)
{
	char *dpath = concat(path, ".damaged", "");
	int fd = open(dpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	int rc = -1;

	if (fd >= 0 && write_all(fd, line, strlen(line)) == 0 &&
	    write_all(fd, "\n", 1) == 0 && fsync(fd) == 0)
		rc = 0;
	if (rc != 0)
		snprintf(err, errlen, "cannot keep a damaged line of %s in "
		    "%s: %s", path, dpath, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(dpath);
	return rc;
}

static int
load(struct outbox *ob, char *err, size_t errlen)
{
	FILE *f = fopen(ob->path, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;
	int rc = 0;

	if (f == NULL) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "cannot read %s: %s", ob->path,
		    strerror(errno));
		return -1;
	}
	while (rc == 0 && (len = getline(&line, &size, f)) > 0) {
		Shelterd__V1__OccupancyUpdate *up = NULL;
		/* Only a whole line is a whole report: a cut-off one could
		 * still decode, as fewer fields. */
		int whole = line[len - 1] == '\n';
		uint8_t *data;

		if (whole)
			line[--len] = '\0';
		if (whole && (len == 0 || line[0] == '#'))
			continue;
		data = xmalloc((size_t)len / 2 + 1);
		if (whole && unhex(line, (size_t)len, data) == 0)
			up = shelterd__v1__occupancy_update__unpack(NULL,
			    (size_t)len / 2, data);
		if (up != NULL && up->shelter_id[0] != '\0' && up->seq > 0) {
			add_entry(ob, data, (size_t)len / 2, up);
			continue;
		}
		if (up != NULL)
			shelterd__v1__occupancy_update__free_unpacked(up,
			    NULL);
		free(data);
		rc = keep_damaged(ob->path, line, err, errlen);
		ob->damaged++;
	}
	if (rc == 0 && ferror(f)) {
		snprintf(err, errlen, "cannot read %s: %s", ob->path,
		    strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(f);
	/* Rewrite without the damaged lines, so that they are set aside
	 * once and not again on every run. */
	if (rc == 0 && ob->damaged > 0)
		rc = outbox_save(ob, err, errlen);
	return rc;
}

static int
lock(struct outbox *ob, char *err, size_t errlen)
{
	char *lpath = concat(ob->path, ".lock", "");
	struct flock fl;
	int fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600), rc;

	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", lpath,
		    strerror(errno));
		free(lpath);
		return -1;
	}
	/* A separate lock file: the outbox itself is replaced by rename,
	 * and a lock on the old file would guard nothing. */
	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if ((rc = fcntl(fd, F_SETLK, &fl)) != 0 &&
	    (errno == EACCES || errno == EAGAIN)) {
		fprintf(stderr, "shelter-report: waiting for another "
		    "shelter-report that uses %s\n", ob->path);
		while ((rc = fcntl(fd, F_SETLKW, &fl)) != 0 && errno == EINTR)
			;
	}
	if (rc != 0) {
		snprintf(err, errlen, "cannot lock %s: %s", lpath,
		    strerror(errno));
		close(fd);
		free(lpath);
		return -1;
	}
	free(lpath);
	ob->lock_fd = fd;
	return 0;
}

int
outbox_open(struct outbox *ob, const char *path, int create, char *err,
    size_t errlen)
{
	char *dir = dir_of(path);
	struct stat st;
	int rc = -1;

	memset(ob, 0, sizeof(*ob));
	ob->lock_fd = -1;
	ob->path = concat(path, "", "");
	if (!create && stat(dir, &st) != 0 && errno == ENOENT) {
		rc = 0; /* never queued anything here */
	} else if (create && util_make_dirs(dir) != 0) {
		snprintf(err, errlen, "cannot create the directory %s: %s",
		    dir, strerror(errno));
	} else if (lock(ob, err, errlen) == 0) {
		rc = load(ob, err, errlen);
	}
	free(dir);
	if (rc != 0)
		outbox_close(ob);
	return rc;
}

int
outbox_push(struct outbox *ob, const Shelterd__V1__OccupancyUpdate *up)
{
	size_t len = shelterd__v1__occupancy_update__get_packed_size(up);
	uint8_t *data = xmalloc(len);
	Shelterd__V1__OccupancyUpdate *copy;

	shelterd__v1__occupancy_update__pack(up, data);
	/* Running the same command twice while offline queues it once: the
	 * same shelter, seq and counts, whatever second it was observed at
	 * (the clock may have ticked between the two runs). */
	for (size_t i = 0; i < ob->n; i++) {
		const Shelterd__V1__OccupancyUpdate *q = ob->v[i].up;
		Shelterd__V1__OccupancyUpdate same = *up;
		uint8_t *again;
		int equal;

		if (q->seq != up->seq ||
		    strcmp(q->shelter_id, up->shelter_id) != 0)
			continue;
		same.observed_at = q->observed_at;
		if (shelterd__v1__occupancy_update__get_packed_size(&same) !=
		    ob->v[i].len)
			continue;
		again = xmalloc(ob->v[i].len);
		shelterd__v1__occupancy_update__pack(&same, again);
		equal = memcmp(again, ob->v[i].data, ob->v[i].len) == 0;
		free(again);
		if (equal) {
			free(data);
			return 1;
		}
	}
	copy = shelterd__v1__occupancy_update__unpack(NULL, len, data);
	if (copy == NULL) {
		fputs("shelter-report: out of memory\n", stderr);
		abort();
	}
	add_entry(ob, data, len, copy);
	return 0;
}

static void
free_entry(struct outbox_entry *e)
{
	shelterd__v1__occupancy_update__free_unpacked(e->up, NULL);
	free(e->data);
}

void
outbox_shift(struct outbox *ob)
{
	if (ob->n == 0)
		return;
	free_entry(&ob->v[0]);
	memmove(&ob->v[0], &ob->v[1], (ob->n - 1) * sizeof(ob->v[0]));
	ob->n--;
}

int
outbox_save(struct outbox *ob, char *err, size_t errlen)
{
	static const char hexd[] = "0123456789abcdef";
	char *tmp = concat(ob->path, ".tmp", ""), *dir = dir_of(ob->path);
	char *buf = NULL;
	size_t len = sizeof(header) - 1;
	int fd = -1, rc = -1;
	const char *what = "write";

	if (ob->lock_fd < 0) {
		snprintf(err, errlen, "%s is not open", ob->path);
		goto out;
	}
	if (ob->n == 0) {
		/* Nothing waits: no file. A temp file left by a crash goes
		 * too; it was never the outbox. */
		what = "remove";
		if ((unlink(ob->path) != 0 && errno != ENOENT) ||
		    (unlink(tmp) != 0 && errno != ENOENT))
			goto fail;
		what = "sync the directory of";
		if (fsync_dir(dir) != 0)
			goto fail;
		rc = 0;
		goto out;
	}
	for (size_t i = 0; i < ob->n; i++)
		len += ob->v[i].len * 2 + 1;
	buf = xmalloc(len);
	memcpy(buf, header, sizeof(header) - 1);
	len = sizeof(header) - 1;
	for (size_t i = 0; i < ob->n; i++) {
		for (size_t j = 0; j < ob->v[i].len; j++) {
			buf[len++] = hexd[ob->v[i].data[j] >> 4];
			buf[len++] = hexd[ob->v[i].data[j] & 15];
		}
		buf[len++] = '\n';
	}
	/* Under the lock, so one fixed temp name is enough, and O_TRUNC
	 * overwrites whatever a crashed run left there. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write_all(fd, buf, len) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	what = "replace";
	if (rename(tmp, ob->path) != 0)
		goto fail;
	what = "sync the directory of";
	if (fsync_dir(dir) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "cannot %s %s: %s", what, ob->path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	if (ob->n > 0)
		unlink(tmp); /* a failed save leaves the old outbox */
out:
	free(buf);
	free(tmp);
	free(dir);
	return rc;
}

/* ---- rejected reports ------------------------------------------------ */

static const char rejected_header[] =
    "# shelter-report: shelterd refused this queued report for a fault in\n"
    "# the report itself; it was NOT stored. Kept so that nothing is lost;\n"
    "# `shelter-report outbox` lists it. The report line is the packed\n"
    "# shelterd.v1.OccupancyUpdate in hex.\n";

/* Text from the daemon or the report, safe on one line of a file and on a
 * terminal: printable ASCII as is, anything else as \xNN. */
static void
escape_into(char *out, size_t outlen, const char *in)
{
	size_t o = 0;

	for (; in && *in && o + 5 < outlen; in++) {
		unsigned char c = (unsigned char)*in;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x",
			    c);
	}
	out[o] = '\0';
}

/* The report line of a rejected file (malloc'd), or NULL. */
static char *
rejected_report_line(const char *file)
{
	FILE *f = fopen(file, "r");
	char *line = NULL, *found = NULL;
	size_t size = 0;
	ssize_t len;

	if (f == NULL)
		return NULL;
	while (found == NULL && (len = getline(&line, &size, f)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (strncmp(line, "report: ", 8) == 0)
			found = concat(line + 8, "", "");
	}
	free(line);
	fclose(f);
	return found;
}

int
outbox_reject_oldest(struct outbox *ob, const char *code,
    const char *error, char *err, size_t errlen)
{
	static const char hexd[] = "0123456789abcdef";
	const struct outbox_entry *e;
	char *dir = NULL, *file = NULL, *tmp = NULL, *hex = NULL, *text = NULL;
	char id[64], esc_id[256], esc_err[2048], name[128];
	size_t tlen;
	int fd = -1, rc = -1;
	const char *what = "create";

	if (ob->n == 0 || ob->lock_fd < 0) {
		snprintf(err, errlen, "%s is not open", ob->path);
		return -1;
	}
	e = &ob->v[0];
	hex = xmalloc(e->len * 2 + 1);
	for (size_t j = 0; j < e->len; j++) {
		hex[2 * j] = hexd[e->data[j] >> 4];
		hex[2 * j + 1] = hexd[e->data[j] & 15];
	}
	hex[e->len * 2] = '\0';
	/* A file name from the shelter id, whatever bytes it holds. */
	{
		size_t k = 0;

		for (const char *p = e->up->shelter_id; *p && k < 40; p++)
			id[k++] = (*p >= 'A' && *p <= 'Z') ||
			    (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' ||
			    *p == '_' ? *p : '_';
		id[k] = '\0';
	}
	dir = concat(ob->path, ".rejected", "");
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		goto fail;
	/* The same report refused again (a crash came between keeping it
	 * here and saving the queue) replaces its file; another report with
	 * the same shelter and seq gets a file of its own. */
	for (int k = 1;; k++) {
		char *old;
		int same;

		if (k == 1)
			snprintf(name, sizeof(name), "/%s-%" PRIu64 ".txt", id,
			    e->up->seq);
		else
			snprintf(name, sizeof(name), "/%s-%" PRIu64 "-%d.txt",
			    id, e->up->seq, k);
		free(file);
		file = concat(dir, name, "");
		if (access(file, F_OK) != 0)
			break;
		old = rejected_report_line(file);
		same = old != NULL && strcmp(old, hex) == 0;
		free(old);
		if (same)
			break;
	}
	escape_into(esc_id, sizeof(esc_id), e->up->shelter_id);
	escape_into(esc_err, sizeof(esc_err), error);
	tlen = sizeof(rejected_header) + strlen(esc_id) + strlen(esc_err) +
	    strlen(code) + strlen(hex) + 200;
	text = xmalloc(tlen);
	tlen = (size_t)snprintf(text, tlen, "%sshelter: %s\nseq: %" PRIu64
	    "\nobserved_at: %" PRId64 "\nrefused_at: %lld\ncode: %s\n"
	    "error: %s\nreport: %s\n", rejected_header, esc_id, e->up->seq,
	    e->up->observed_at, (long long)time(NULL), code, esc_err, hex);
	tmp = concat(dir, "/.tmp", "");
	what = "write";
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) < 0 || write_all(fd, text, tlen) != 0 || fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, file) != 0 || fsync_dir(dir) != 0)
		goto fail;
	rc = 0;
	goto out;
fail:
	snprintf(err, errlen, "cannot %s a file in %s: %s", what,
	    dir, strerror(errno));
	if (fd >= 0)
		close(fd);
	if (tmp != NULL)
		unlink(tmp);
out:
	free(text);
	free(tmp);
	free(file);
	free(dir);
	free(hex);
	return rc;
}

static int
by_refusal(const void *a, const void *b)
{
	const struct outbox_rejected *x = a, *y = b;

	if (x->refused_at != y->refused_at)
		return x->refused_at < y->refused_at ? -1 : 1;
	return strcmp(x->file, y->file);
}

static void
read_rejected(struct outbox_rejected *r)
{
	FILE *f = fopen(r->file, "r");
	char *line = NULL;
	size_t size = 0;
	ssize_t len;

	if (f == NULL)
		return;
	while ((len = getline(&line, &size, f)) > 0) {
		char *v;

		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if ((v = strstr(line, ": ")) == NULL || line[0] == '#')
			continue;
		*v = '\0';
		v += 2;
		if (strcmp(line, "shelter") == 0 && r->shelter == NULL)
			r->shelter = concat(v, "", "");
		else if (strcmp(line, "code") == 0 && r->code == NULL)
			r->code = concat(v, "", "");
		else if (strcmp(line, "error") == 0 && r->error == NULL)
			r->error = concat(v, "", "");
		else if (strcmp(line, "seq") == 0)
			r->seq = strtoull(v, NULL, 10);
		else if (strcmp(line, "observed_at") == 0)
			r->observed_at = strtoll(v, NULL, 10);
		else if (strcmp(line, "refused_at") == 0)
			r->refused_at = strtoll(v, NULL, 10);
	}
	free(line);
	fclose(f);
}

int
outbox_rejected_list(const char *path, struct outbox_rejected **v,
    size_t *n, char *err, size_t errlen)
{
	char *dir = concat(path, ".rejected", "");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t cap = 0;

	*v = NULL;
	*n = 0;
	if (d == NULL) {
		if (errno == ENOENT) {
			free(dir);
			return 0;
		}
		snprintf(err, errlen, "cannot read %s: %s", dir,
		    strerror(errno));
		free(dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		size_t l = strlen(de->d_name);

		if (de->d_name[0] == '.' || l < 5 ||
		    strcmp(de->d_name + l - 4, ".txt") != 0)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 8;
			*v = realloc(*v, cap * sizeof(**v));
			if (*v == NULL) {
				fputs("shelter-report: out of memory\n",
				    stderr);
				abort();
			}
		}
		memset(&(*v)[*n], 0, sizeof(**v));
		(*v)[*n].file = concat(dir, "/", de->d_name);
		read_rejected(&(*v)[*n]);
		(*n)++;
	}
	closedir(d);
	free(dir);
	if (*n > 1)
		qsort(*v, *n, sizeof(**v), by_refusal);
	return 0;
}

void
outbox_rejected_free(struct outbox_rejected *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].file);
		free(v[i].shelter);
		free(v[i].code);
		free(v[i].error);
	}
	free(v);
}

void
outbox_close(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++)
		free_entry(&ob->v[i]);
	free(ob->v);
	free(ob->path);
	if (ob->lock_fd >= 0)
		close(ob->lock_fd); /* releases the lock */
	memset(ob, 0, sizeof(*ob));
	ob->lock_fd = -1;
}
