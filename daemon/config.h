/*
 * config.h — every setting of the daemon, with its embedded default. An INI
 * file (libinih) may override any key; see docs/config.md and
 * shelterd.conf.example for the list.
 */
#ifndef SHELTERD_CONFIG_H
#define SHELTERD_CONFIG_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "escalate.h"
#include "validate.h"

enum { CONFIG_STR_MAX = 512 };

/* When a changed key takes effect: at the next start, or also on SIGHUP. */
enum config_applies { CONFIG_AT_START, CONFIG_AT_SIGHUP };

/*
 * [history] retention (docs/history.md). A *_secs key, when not 0, wins
 * over its *_days key (tests use seconds); both 0: kept for ever.
 */
struct history_config {
	uint32_t sample_retention_days;   /* occupancy samples, 400 */
	uint32_t sample_retention_secs;
	uint32_t placement_retention_days; /* placement records, 400 */
	uint32_t placement_retention_secs;
	uint32_t case_ref_retention_days; /* then case_ref is blanked, 30 */
	uint32_t case_ref_retention_secs;
	uint32_t purge_interval_secs;     /* look for expired history, 60 */
	uint32_t purge_batch;             /* deletions per txn, 1000 */
	uint32_t k_anonymity;             /* public reports, 5 */
};

/*
 * [planning] structural shortages (docs/planning.md). day_secs is the
 * length of a planning day: 86400, or a few seconds for drills and tests
 * that need a month of history in a minute.
 */
struct planning_config {
	uint32_t window_days;     /* rolling window, 28 */
	uint32_t critical_days;   /* days at or over critical that open, 7 */
	uint32_t clear_days;      /* hysteresis on critical days, 2 */
	uint32_t check_secs;      /* how often the rule runs, 3600 */
	uint32_t reescalate_secs; /* unacked shortage published again, 86400 */
	uint32_t day_secs;        /* a planning day, 86400 */
};

struct config {
	/* [daemon] */
	char api_url[CONFIG_STR_MAX];     /* tcp://127.0.0.1:7450 */
	char events_url[CONFIG_STR_MAX];  /* tcp://127.0.0.1:7451 */
	char http_url[CONFIG_STR_MAX];    /* http://127.0.0.1:7452, "": off */
	char data_dir[CONFIG_STR_MAX];    /* ./var/shelterd */
	char registry_dir[CONFIG_STR_MAX]; /* "" = built-in demo registry */
	char log_level[16];               /* info */
	/* [log] */
	char log_format[16];              /* text or json */
	char log_file[CONFIG_STR_MAX];    /* "": stderr */
	uint64_t map_size_mb;             /* LMDB map size, 1024 */
	uint32_t privacy_k;               /* [privacy] k_anonymity, 3 */
	uint32_t max_message_bytes;       /* larger requests refused, 262144 */
	uint32_t batch_max;               /* requests per write txn, 1024 */
	uint32_t queue_max;               /* received, not yet applied, 65536 */
	uint32_t events_page_max;         /* replay page size cap, 1000 */
	uint32_t max_batch_updates;       /* updates per OccupancyBatch, 1000 */
	uint32_t tick_ms;                 /* housekeeping timer, 1000 */
	uint32_t heartbeat_secs;          /* [events] heartbeat, 5 */
	/* [reporting] */
	uint32_t deadline_secs;           /* stale after this silence, 3600 */
	/* [placement] */
	uint32_t hold_ttl_secs;           /* a held bed waits this long, 3600 */
	/* [security] */
	uint32_t allow_unsigned;          /* 1: loopback/ipc api only */
	uint32_t max_clock_skew_secs;     /* signed timestamps, 300 */
	uint32_t replay_cache;            /* nonces remembered per signer,
	                                   * 16384 */
	uint32_t max_connections;         /* api pipes; more are closed, 1024 */
	/* [guard] (daemon/guard.h) */
	uint32_t guard;                   /* enabled, 1 */
	uint32_t guard_handshake_secs, guard_header_secs, guard_header_bytes;
	uint32_t guard_idle_secs, guard_drain_secs;
	uint64_t guard_conn_buffer_bytes, guard_buffer_bytes;
	uint32_t max_connections_per_peer; /* from one address (IPv6: /64),
	                                    * per socket, 64; 0: no cap */
	uint32_t max_waiters;             /* parked holds --wait queries, 1024 */
	/* [tls] (for tls+tcp:// and wss:// listeners) */
	/* The daemon's own Ed25519 key (keygen): signs the audit head. */
	char daemon_key[CONFIG_STR_MAX];
	char tls_cert_file[CONFIG_STR_MAX]; /* server cert + key, PEM */
	char tls_ca_file[CONFIG_STR_MAX];   /* CA that signs client certs */
	/* [http] */
	char http_token[256];             /* bearer token: shelter details */
	/* [alerts] */
	uint32_t reescalate_secs;         /* unacked critical again, 900 */
	/* [escalation] */
	struct esc_thresholds esc;
	/* [validation] */
	struct validate_limits limits;
	/* [history] (daemon/history.c) */
	struct history_config hist;
	/* [planning] (daemon/planning.c) */
	struct planning_config plan;
};

void config_defaults(struct config *cfg);
/* Apply one key; 0, or -1 with a reason in err. */
int config_set(struct config *cfg, const char *section, const char *key,
    const char *value, char *err, size_t errlen);
/* Read an INI file over the current values; 0, or -1 with err. */
int config_load(struct config *cfg, const char *path, char *err,
    size_t errlen);
/* Cross-field checks; 0, or -1 with err. */
int config_check(const struct config *cfg, char *err, size_t errlen);
/* Every key with its built-in default, range and when it applies, by
 * section: `shelterd --help` prints this, so the list cannot fall behind
 * the code. */
void config_print_keys(FILE *out);
/* shelterd.conf.example: every key, what it does, its default and when it
 * applies (tests/integration/18-config.py compares the committed file). */
void config_print_example(FILE *out);
/* cfg as an INI file (the [http] token is not shown). */
void config_print_effective(FILE *out, const struct config *cfg);

#endif
