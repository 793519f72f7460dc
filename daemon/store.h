/*
 * store.h — the LMDB environment: the live snapshot (shelter state, region
 * and national aggregates), the event log and meta counters.
 *
 * Only the libuv loop thread writes. Every function returns 0 or a negative
 * STORE_E* code; store_error() is the one place LMDB codes are mapped.
 */
#ifndef SHELTERD_STORE_H
#define SHELTERD_STORE_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "beds.h"
#include "result.h"


/* Bump when a stored struct changes layout. 3: outflow forecasts appended
 * to shelter_state and aggregate. 4: the aggregate's coverage (known,
 * unknown, never reported) appended, and a decline's reason is a number
 * from a closed list, no longer text (placement_state, hist_placement).
 * Schema 2 and 3 stores are migrated on open. */
#define STORE_SCHEMA_VERSION 5u

/* An open alert (see daemon/alerts.c). */
struct alert_state {
	uint64_t opened_seq;    /* event that raised it; 0: no alert */
	uint64_t last_seq;      /* its latest publication */
	int64_t opened_at;
	int64_t published_at;   /* last (re)publication */
	int64_t acked_at;
	uint32_t step;          /* re-publications while unacknowledged */
	uint8_t kind, scope, level, category;
	char region[32];
	char shelter[32];
	char acked_by[48];
	/* Appended for SCOPE_PLACEMENT alerts: a value written before has
	 * none and reads with it empty (store.c). */
	char request_id[48];
};

/* A placement request and where it stands (see daemon/placements.c). */
struct placement_state {
	char request_id[48];
	char case_ref[48];      /* pseudonymous, checked on entry */
	char from_region[32];
	char held_shelter[32];  /* while held, and once accepted */
	char held_region[32];
	char exclude[16][32];
	char tried[32][32];     /* declined or expired: never again */
	int64_t created_at, updated_at, hold_expires_at;
	uint8_t category, beds, security_level, urgency;
	uint8_t state;          /* PlacementState */
	uint8_t allow_own_region, n_exclude, n_tried;
	uint8_t last_reason;    /* enum place_reason of the last decline */
	/* Schema 5, in what was padding (zero in older values): the held
	 * beds are reserve beds (daemon/reserves.c). */
	uint8_t in_reserve;
};

struct store {
	MDB_env *env;
	/* <dir>/shelterd.lock, write-locked while open: a second daemon on
	 * the same data directory is refused (store_open). */
	int lock_fd;
	MDB_dbi shelters; /* shelter id -> struct shelter_state */
	MDB_dbi regions;  /* region id -> struct aggregate */
	MDB_dbi events;   /* event_seq (big-endian u64) -> packed Event */
	MDB_dbi meta;     /* "schema", "national", "next_event_seq",
			   * "registry_shelters" (the last import),
			   * "registry_norms" (the last norms import),
			   * "registry_reserves" (the last reserves
			   * import) */
	MDB_dbi alerts;   /* "kind/scope/region/shelter/category" -> alert */
	MDB_dbi placements; /* request id -> struct placement_state */
	MDB_dbi samples;  /* history (daemon/history.c): occupancy samples */
	MDB_dbi place_log; /* history: placement steps and outcomes */
	MDB_dbi audit;    /* audit log (daemon/audit.c): seq -> AuditEntry */
	MDB_dbi reserves; /* activation id (big-endian u64) -> struct
			   * reserve_activation (daemon/reserves.c) */
	MDB_dbi reserve_answers; /* id, shelter -> struct reserve_answer */
};

/* A shelter's answer to a reserve activation. */
struct reserve_answer {
	uint64_t id;            /* the activation */
	int64_t at;
	uint32_t beds;          /* confirmed: beds it will open */
	uint8_t confirmed;      /* 0: refused */
	uint8_t reserved[3];
	char shelter[32];
};

/* Reserve beds activated by the national coordinator. */
struct reserve_activation {
	uint64_t id;            /* the event_seq that announced it */
	int64_t at, until;
	uint32_t beds;
	uint8_t category;
	uint8_t reserved[3];
	char region[32];
	char by[48];            /* who activated it (authz_format) */
	char reason[80];
	/* Appended in schema 5: when its beds stopped counting. */
	int64_t ended_at;       /* 0: open (until it expires) */
	uint8_t ended;          /* enum reserve_end */
	uint8_t reserved5[7];
};

/* Why an activation's beds stopped counting. */
enum reserve_end {
	RESERVE_OPEN = 0,
	RESERVE_EXPIRED = 1,
	RESERVE_RELEASED = 2,
};

/* Create dir if needed and open the environment with a map of map_bytes. */
int store_open(struct store *st, const char *dir, uint64_t map_bytes);
void store_close(struct store *st);

/* parent may be NULL; write != 0 for a write txn. */
int store_begin(struct store *st, MDB_txn *parent, int write, MDB_txn **txn);
int store_commit(MDB_txn *txn);

/* A never-reported shelter / empty aggregate reads as zeroes, not an
 * error. */
int store_get_shelter(struct store *st, MDB_txn *txn, const char *id,
    struct shelter_state *out);
int store_put_shelter(struct store *st, MDB_txn *txn, const char *id,
    const struct shelter_state *sh);
int store_del_shelter(struct store *st, MDB_txn *txn, const char *id);
/* The shelters of the last import (docs/registry.md), NUL-terminated and
 * malloc'ed into *csv (NULL when none was ever imported). */
int store_get_registry(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at);
int store_put_registry(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at);
/* The same for the norms of the last norms import (norms.csv text). */
int store_get_norms(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at);
int store_put_norms(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at);
/* And for the reserves of the last reserves import (reserves.csv text). */
int store_get_reserves(struct store *st, MDB_txn *txn, char **csv,
    int64_t *imported_at);
int store_put_reserves(struct store *st, MDB_txn *txn, const char *csv,
    int64_t imported_at);
int store_get_region(struct store *st, MDB_txn *txn, const char *id,
    struct aggregate *out);
int store_put_region(struct store *st, MDB_txn *txn, const char *id,
    const struct aggregate *agg);
int store_get_national(struct store *st, MDB_txn *txn,
    struct aggregate *out);
int store_put_national(struct store *st, MDB_txn *txn,
    const struct aggregate *agg);

/* The seq the next event gets (1 for an empty log). */
int store_get_next_event_seq(struct store *st, MDB_txn *txn, uint64_t *out);
int store_put_next_event_seq(struct store *st, MDB_txn *txn, uint64_t seq);
int store_put_event(struct store *st, MDB_txn *txn, uint64_t seq,
    const void *data, size_t len);

/* A missing alert reads as opened_seq == 0. */
int store_get_alert(struct store *st, MDB_txn *txn, const char *key,
    struct alert_state *out);
int store_put_alert(struct store *st, MDB_txn *txn, const char *key,
    const struct alert_state *a);
int store_del_alert(struct store *st, MDB_txn *txn, const char *key);
/* A reserve activation by id; a missing one reads as zeroes (id 0). */
int store_get_reserve(struct store *st, MDB_txn *txn, uint64_t id,
    struct reserve_activation *out);
int store_put_reserve(struct store *st, MDB_txn *txn,
    const struct reserve_activation *r);
/* Call fn for every activation, oldest first; fn returns 0 to go on. */
typedef int (*store_reserve_fn)(void *arg,
    const struct reserve_activation *r);
int store_reserves_each(struct store *st, MDB_txn *txn, store_reserve_fn fn,
    void *arg);
/* A shelter's answer; none reads as zeroes (id 0). */
int store_get_reserve_answer(struct store *st, MDB_txn *txn, uint64_t id,
    const char *shelter, struct reserve_answer *out);
int store_put_reserve_answer(struct store *st, MDB_txn *txn,
    const struct reserve_answer *a);
/* The answers to activation id, in shelter id order; fn returns non-zero
 * to stop. */
typedef int (*store_answer_fn)(void *arg, const struct reserve_answer *a);
int store_reserve_answers_each(struct store *st, MDB_txn *txn, uint64_t id,
    store_answer_fn fn, void *arg);
/* Call fn for each open alert; fn returns 0 to go on. */
typedef int (*store_alert_fn)(void *arg, const char *key,
    const struct alert_state *a);
int store_alerts_each(struct store *st, MDB_txn *txn, store_alert_fn fn,
    void *arg);

/* A missing placement reads as request_id[0] == 0. */
int store_get_placement(struct store *st, MDB_txn *txn, const char *id,
    struct placement_state *out);
int store_put_placement(struct store *st, MDB_txn *txn,
    const struct placement_state *p);
typedef int (*store_placement_fn)(void *arg,
    const struct placement_state *p);
int store_placements_each(struct store *st, MDB_txn *txn,
    store_placement_fn fn, void *arg);

/* Call fn for each event with seq > after, at most limit of them; fn
 * returns 0 to go on. */
typedef int (*store_event_fn)(void *arg, uint64_t seq, const void *data,
    size_t len);
int store_events_since(struct store *st, MDB_txn *txn, uint64_t after,
    size_t limit, store_event_fn fn, void *arg);

#endif
