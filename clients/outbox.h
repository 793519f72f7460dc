/*
 * outbox.h — reports that could not be delivered yet, kept on the shelter's
 * own disk until shelterd can be reached again.
 *
 * One file, one report per line, oldest first: the packed OccupancyUpdate in
 * hex. The report carries its shelter_id, seq and observed_at, so delivering
 * it again is byte-identical and the daemon acknowledges a repeat without
 * applying it twice. The file is only ever replaced whole (temp file, fsync,
 * rename), so a crash leaves either the old or the new queue, never a half
 * line, and an fcntl lock on FILE.lock keeps two runs from losing each
 * other's reports.
 *
 * A queued report that the daemon refused for a fault in the report itself
 * (validate_refusal_is_final: stale or conflicting seq, not valid) can never
 * be stored, but it is never just deleted either: it moves to the directory
 * FILE.rejected/, one text file per report with the daemon's reply and the
 * packed report, written durably before it leaves the queue.
 */
#ifndef SHELTERD_CLIENT_OUTBOX_H
#define SHELTERD_CLIENT_OUTBOX_H

#include <stddef.h>
#include <stdint.h>

#include "shelterd.pb-c.h"

struct outbox_entry {
	uint8_t *data; /* the packed OccupancyUpdate, as stored */
	size_t len;
	Shelterd__V1__OccupancyUpdate *up; /* unpacked from data */
};

struct outbox {
	char *path;
	int lock_fd; /* -1: not locked, nothing loaded */
	struct outbox_entry *v;
	size_t n, cap;
	size_t damaged; /* lines moved to PATH.damaged when loading */
};

/*
 * The outbox file: $SHELTERD_OUTBOX, else $XDG_STATE_HOME/shelterd/outbox,
 * else $HOME/.local/state/shelterd/outbox. Returns a malloc'd path, or NULL
 * with the reason in err.
 */
char *outbox_default_path(char *err, size_t errlen);

/*
 * Lock and load the outbox at path (copied). With create, missing parent
 * directories are made (0700); without, a missing directory means an empty
 * outbox that is left unlocked (lock_fd -1), so a shelter that was never
 * offline gets no state directory. Lines that are not a report are moved to
 * PATH.damaged. Returns 0, or -1 with the reason in err.
 */
int outbox_open(struct outbox *ob, const char *path, int create, char *err,
    size_t errlen);

/*
 * Append a report (in memory; outbox_save makes it durable). Returns 1 if
 * the same report is queued already (not added again), 0 when added.
 */
int outbox_push(struct outbox *ob, const Shelterd__V1__OccupancyUpdate *up);

/* Forget the oldest report (in memory). */
void outbox_shift(struct outbox *ob);

/*
 * Keep the oldest report durably in PATH.rejected/ with the daemon's
 * answer (code name and error text), before the caller shifts it out.
 * Returns 0, or -1 with the reason in err (then it must stay queued).
 */
int outbox_reject_oldest(struct outbox *ob, const char *code,
    const char *error, char *err, size_t errlen);

/* A refused report kept in PATH.rejected/, as read back for a listing. */
struct outbox_rejected {
	char *file;             /* full path */
	char *shelter, *code, *error;
	uint64_t seq;
	int64_t observed_at, refused_at;
};

/*
 * Read PATH.rejected/, oldest refusal first. A missing directory is an
 * empty list. Returns 0 with *v (malloc'd, *n entries; free with
 * outbox_rejected_free), or -1 with the reason in err.
 */
int outbox_rejected_list(const char *path, struct outbox_rejected **v,
    size_t *n, char *err, size_t errlen);
void outbox_rejected_free(struct outbox_rejected *v, size_t n);

/* Replace the file with the queue, durably; an empty queue removes it.
 * Returns 0, or -1 with the reason in err. */
int outbox_save(struct outbox *ob, char *err, size_t errlen);

/* Free the queue and release the lock. */
void outbox_close(struct outbox *ob);

#endif
