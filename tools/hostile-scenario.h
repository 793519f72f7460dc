/*
 * hostile-scenario.h — named attacks on a running shelterd, each with a
 * pass/fail verdict (tools/hostile --scenario NAME; docs/security.md).
 */
#ifndef SHELTERD_HOSTILE_SCENARIO_H
#define SHELTERD_HOSTILE_SCENARIO_H

struct scenario_opts {
	const char *name;       /* replay-fill, sub-cap, conn-flood,
	                         * tls-idle, byte-flood, slowloris,
	                         * no-read */
	const char *api;        /* tcp://127.x:PORT (the api) */
	const char *events;     /* tcp://127.x:PORT (the events socket) */
	const char *http;       /* http://127.x:PORT (slowloris) */
	const char *keys;       /* directory of key files (tools/mksecrets) */
	double seconds;         /* how long the attack runs */
	int conns;              /* connections the attacker opens */
	int cap;                /* the cap the daemon should hold them to */
	int pid;                /* the daemon's, for RSS and descriptors; 0 */
	int threads;            /* attacking request loops */
	long max_rss_mb;        /* the daemon's RSS bound (200) */
};

/* "replay-fill|sub-cap|...": every name */
extern const char *const scenario_names;

/* Runs it and prints what happened and PASS or FAIL: 0 (pass), 1 (fail)
 * or 2 (cannot run: the reason is printed). */
int scenario_run(const struct scenario_opts *o);

#endif
