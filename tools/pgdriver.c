/*
 * pgdriver — the baseline a ministry's IT team would plausibly build
 * instead of shelterd, driven by the same update stream (benchlib's
 * gen_next, the same shelters per connection) at the same durability:
 *
 *   - a `shelters` table, one UPDATE per report, autocommit, with
 *     synchronous_commit = on (the commit returns once the WAL is
 *     flushed, as shelterd's ack returns once LMDB has synced);
 *   - `region_totals` kept by an AFTER UPDATE trigger, which calls
 *     pg_notify('escalation', ...) when a region crosses its threshold
 *     (90 % warning, 100 % critical, released 5 points lower).
 *
 * It does less than shelterd: no registry check of categories, no
 * shelter-scope or national escalations and no event log. K connections,
 * one thread each with a blocking libpq connection.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "benchlib.h"
#include "common.h"

#define PROG "pgdriver"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: pgdriver --registry DIR [OPTION]...\n"
	    "Drive the PostgreSQL baseline with the update stream loadgen "
	    "sends to\nshelterd: one UPDATE per report, synchronous_commit = "
	    "on, a trigger that\nkeeps region totals and calls pg_notify "
	    "when a region crosses its\nthreshold.\n"
	    "\n"
	    "  -C, --conninfo STR      libpq connection string (default: "
	    "\"\", i.e. the\n"
	    "                          PG* environment variables)\n"
	    "  -r, --registry DIR      regions.csv + shelters.csv, as for "
	    "shelterd\n"
	    "  -n, --shelters N        use the first N shelters (default: "
	    "all)\n"
	    "  -S, --setup             first (re)create the tables, the "
	    "trigger and the\n"
	    "                          rows, and check that a full region "
	    "notifies\n"
	    "  -c, --connections K     concurrent connections (default 64)\n"
	    "  -R, --rate R            target updates/s over all "
	    "connections; 0 = flat\n"
	    "                          out (default 0)\n"
	    "  -d, --duration S        measured seconds (default 10)\n"
	    "  -w, --warmup S          seconds sent first and not measured "
	    "(default 1)\n"
	    "  -p, --server-pid PID    the postmaster: CPU time of it and "
	    "its children\n"
	    "  -j, --json              one JSON object instead of text\n"
	    "  -h, --help              print this help and exit\n"
	    "\n"
	    "Exit status: 0 every update applied, 1 failures, 2 bad usage, "
	    "3 no\nconnection.\n");
}

static const char schema_sql[] =
    "DROP TABLE IF EXISTS shelters, region_totals CASCADE;\n"
    "DROP FUNCTION IF EXISTS shelters_escalate() CASCADE;\n"
    "DROP FUNCTION IF EXISTS bed_free(smallint, int, int, int);\n"
    "CREATE TABLE shelters (\n"
    "  id text PRIMARY KEY,\n"
    "  region_id text NOT NULL,\n"
    "  status smallint NOT NULL DEFAULT 0,\n"
    "  seq bigint NOT NULL DEFAULT 0,\n"
    "  observed_at bigint NOT NULL DEFAULT 0,\n"
    "  received_at timestamptz,\n"
    "  capacity int[] NOT NULL DEFAULT '{0,0,0,0,0}',\n"
    "  occupied int[] NOT NULL DEFAULT '{0,0,0,0,0}',\n"
    "  out_of_service int[] NOT NULL DEFAULT '{0,0,0,0,0}');\n"
    "CREATE TABLE region_totals (\n"
    "  region_id text NOT NULL,\n"
    "  category smallint NOT NULL,\n"
    "  capacity int NOT NULL DEFAULT 0,\n"
    "  free int NOT NULL DEFAULT 0,\n"
    "  level smallint NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (region_id, category));\n"
    "CREATE FUNCTION bed_free(st smallint, cap int, occ int, oos int)\n"
    "RETURNS int LANGUAGE sql IMMUTABLE AS\n"
    "$$ SELECT CASE WHEN st = 1 THEN greatest(cap - occ - oos, 0)\n"
    "   ELSE 0 END $$;\n"
    "CREATE FUNCTION shelters_escalate() RETURNS trigger\n"
    "LANGUAGE plpgsql AS $$\n"
    "DECLARE\n"
    "  c int; dcap int; dfree int; cap int; fr int; pct int;\n"
    "  lvl smallint; old_lvl smallint;\n"
    "BEGIN\n"
    "  FOR c IN 1..5 LOOP\n"
    "    dcap := NEW.capacity[c] - OLD.capacity[c];\n"
    "    dfree := bed_free(NEW.status, NEW.capacity[c], NEW.occupied[c],\n"
    "                      NEW.out_of_service[c])\n"
    "           - bed_free(OLD.status, OLD.capacity[c], OLD.occupied[c],\n"
    "                      OLD.out_of_service[c]);\n"
    "    CONTINUE WHEN dcap = 0 AND dfree = 0;\n"
    "    UPDATE region_totals SET capacity = capacity + dcap,\n"
    "        free = free + dfree\n"
    "      WHERE region_id = NEW.region_id AND category = c\n"
    "      RETURNING capacity, free, level INTO cap, fr, old_lvl;\n"
    "    pct := CASE WHEN cap > 0 THEN (cap - fr) * 100 / cap ELSE 0 END;\n"
    "    lvl := CASE WHEN pct >= 100 THEN 2 WHEN pct >= 90 THEN 1\n"
    "           ELSE 0 END;\n"
    "    IF lvl < old_lvl THEN\n"
    "      IF old_lvl = 2 AND pct >= 95 THEN lvl := 2;\n"
    "      ELSIF old_lvl >= 1 AND pct >= 85 THEN lvl := 1;\n"
    "      END IF;\n"
    "    END IF;\n"
    "    IF lvl <> old_lvl THEN\n"
    "      UPDATE region_totals SET level = lvl\n"
    "        WHERE region_id = NEW.region_id AND category = c;\n"
    "      PERFORM pg_notify('escalation',\n"
    "        format('%s/%s/%s/%s', NEW.region_id, c, lvl, pct));\n"
    "    END IF;\n"
    "  END LOOP;\n"
    "  RETURN NULL;\n"
    "END $$;\n"
    "CREATE TRIGGER shelters_escalate AFTER UPDATE ON shelters\n"
    "  FOR EACH ROW EXECUTE FUNCTION shelters_escalate();\n";

static const char update_sql[] =
    "UPDATE shelters SET status = $2, seq = $3, observed_at = $4, "
    "received_at = now(), capacity = $5::int[], occupied = $6::int[], "
    "out_of_service = $7::int[] WHERE id = $1 AND seq < $3";

struct opts {
	const char *conninfo, *registry;
	uint64_t shelters, connections, server_pid;
	double rate, duration, warmup;
	bool setup, json;
};

struct worker {
	const struct opts *o;
	struct gen *gen;
	unsigned id;
	size_t n_mine;
	PGconn *pg;
	pthread_t thread;
	uint64_t t_start, t_end, rng;
	struct hist lat;
	uint64_t acked, refused, errors, last_ns;
	char err[300];
};

static int
exec_ok(PGconn *pg, const char *sql, char *err, size_t errlen)
{
	PGresult *res = PQexec(pg, sql);
	int st = PQresultStatus(res);
	int rc = 0;

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static PGconn *
connect_pg(const char *conninfo)
{
	PGconn *pg = PQconnectdb(conninfo);

	if (PQstatus(pg) != CONNECTION_OK) {
		fprintf(stderr, PROG ": cannot connect to PostgreSQL (%s): %s",
		    conninfo, PQerrorMessage(pg));
		PQfinish(pg);
		return NULL;
	}
	return pg;
}

static void
int_array(char *buf, size_t len, const struct bed_counts *b, int which)
{
	uint32_t v[CAT_COUNT];

	for (int c = 0; c < CAT_COUNT; c++)
		v[c] = which == 0 ? b[c].capacity : which == 1 ?
		    b[c].occupied : b[c].out_of_service;
	snprintf(buf, len, "{%u,%u,%u,%u,%u}", v[0], v[1], v[2], v[3], v[4]);
}

/* One report as one autocommitted UPDATE; 1 applied, 0 not, -1 error. */
static int
send_update(PGconn *pg, const struct gen_update *u, char *err,
    size_t errlen)
{
	char status[8], seq[24], obs[24], cap[64], occ[64], oos[64];
	const char *params[7] = { u->shelter->id, status, seq, obs, cap, occ,
		oos };
	PGresult *res;
	int rc;

	snprintf(status, sizeof(status), "%d", u->status);
	snprintf(seq, sizeof(seq), "%" PRIu64, u->seq);
	snprintf(obs, sizeof(obs), "%" PRId64, u->observed_at);
	int_array(cap, sizeof(cap), u->beds, 0);
	int_array(occ, sizeof(occ), u->beds, 1);
	int_array(oos, sizeof(oos), u->beds, 2);
	res = PQexecPrepared(pg, "report", 7, params, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		rc = -1;
	} else {
		rc = strcmp(PQcmdTuples(res), "1") == 0 ? 1 : 0;
		if (rc == 0)
			snprintf(err, errlen, "shelter %s seq %" PRIu64 " not "
			    "applied (unknown id or stale seq)",
			    u->shelter->id, u->seq);
	}
	PQclear(res);
	return rc;
}

static int
prepare(PGconn *pg, char *err, size_t errlen)
{
	PGresult *res;
	int rc = 0;

	/* Stated, not assumed: the durability shelterd's ack has. */
	if (exec_ok(pg, "SET synchronous_commit = on", err, errlen) != 0)
		return -1;
	res = PQprepare(pg, "report", update_sql, 7, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		rc = -1;
	}
	PQclear(res);
	return rc;
}

static void
sleep_abs(uint64_t t)
{
	struct timespec ts = { .tv_sec = (time_t)(t / 1000000000u),
		.tv_nsec = (long)(t % 1000000000u) };

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	    EINTR)
		;
}

static void *
worker_main(void *arg)
{
	struct worker *w = arg;
	const struct opts *o = w->o;
	uint64_t interval = 0, sched = 0, next = 0;
	struct gen_update u;
	char err[300];

	if (o->rate > 0) {
		interval = (uint64_t)(1e9 * (double)o->connections / o->rate);
		sched = w->t_start - (uint64_t)(o->warmup * 1e9) +
		    interval * w->id / o->connections;
	}
	for (;;) {
		uint64_t t0, t1;
		size_t idx = w->id + next * o->connections;
		int rc;

		if (interval > 0) {
			if (sched >= w->t_end)
				break;
			sleep_abs(sched);
			sched += interval;
		}
		t0 = bench_now_ns();
		if (t0 >= w->t_end)
			break;
		next = (next + 1) % w->n_mine;
		gen_next(w->gen, idx, &w->rng, false, &u);
		rc = send_update(w->pg, &u, err, sizeof(err));
		t1 = bench_now_ns();
		if (interval > 0 && sched + 10 * interval < t1)
			sched = t1; /* after a stall, do not burst */
		if (t0 < w->t_start)
			continue;
		hist_add(&w->lat, t1 - t0);
		w->last_ns = t1;
		if (rc == 1)
			w->acked++;
		else if (rc == 0)
			w->refused++;
		else
			w->errors++;
		if (rc != 1 && w->err[0] == '\0')
			snprintf(w->err, sizeof(w->err), "%s", err);
		if (rc < 0 && PQstatus(w->pg) != CONNECTION_OK)
			break;
	}
	return NULL;
}

/* ---- setup ----------------------------------------------------------- */

static int
wait_notifies(PGconn *pg, int want, int timeout_ms)
{
	uint64_t deadline = bench_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int got = 0;
	PGnotify *nt;

	while (got < want && bench_now_ns() < deadline) {
		struct pollfd pfd = { .fd = PQsocket(pg), .events = POLLIN };

		poll(&pfd, 1, 50);
		PQconsumeInput(pg);
		while ((nt = PQnotifies(pg)) != NULL) {
			got++;
			PQfreemem(nt);
		}
	}
	return got;
}

/*
 * Fill every shelter of one region in one transaction, and expect the
 * trigger to notify; then empty them again (seq 1 and 2: the stream's
 * seqs, wall-clock µs, come after).
 */
static int
check_trigger(PGconn *pg, const struct registry *reg, char *err,
    size_t errlen)
{
	uint16_t region = reg->shelters[0].region;
	int got;

	if (exec_ok(pg, "LISTEN escalation", err, errlen) != 0 ||
	    prepare(pg, err, errlen) != 0)
		return -1;
	for (int pass = 1; pass <= 2; pass++) {
		if (exec_ok(pg, "BEGIN", err, errlen) != 0)
			return -1;
		for (size_t i = 0; i < reg->n_shelters; i++) {
			const struct reg_shelter *s = &reg->shelters[i];
			struct gen_update u = { .shelter = s, .seq = (uint64_t)
				pass, .observed_at = 1, .status =
				SH_STATUS_OPEN };

			if (s->region != region)
				continue;
			for (int c = 0; c < CAT_COUNT && pass == 1; c++) {
				u.beds[c].capacity = s->nominal[c];
				u.beds[c].occupied = s->nominal[c];
			}
			if (send_update(pg, &u, err, errlen) != 1)
				return -1;
		}
		if (exec_ok(pg, "COMMIT", err, errlen) != 0)
			return -1;
		if ((got = wait_notifies(pg, 1, 5000)) < 1) {
			snprintf(err, errlen, "the trigger did not notify "
			    "when region %s was %s", reg->regions[region].id,
			    pass == 1 ? "filled" : "emptied");
			return -1;
		}
	}
	return exec_ok(pg, "UNLISTEN escalation", err, errlen);
}

static int
setup(PGconn *pg, const struct registry *reg)
{
	char err[512], line[128];
	PGresult *res;
	int rc = 0;

	if (exec_ok(pg, "SET client_min_messages = warning", err,
	    sizeof(err)) != 0 ||
	    exec_ok(pg, schema_sql, err, sizeof(err)) != 0)
		goto fail;
	for (size_t r = 0; r < reg->n_regions; r++)
		for (int c = 1; c <= CAT_COUNT; c++) {
			char sql[160];

			snprintf(sql, sizeof(sql), "INSERT INTO region_totals"
			    "(region_id, category) VALUES ('%s', %d)",
			    reg->regions[r].id, c);
			if (exec_ok(pg, sql, err, sizeof(err)) != 0)
				goto fail;
		}
	/* COPY: 100,000 rows in one statement. Ids are [A-Za-z0-9_-]. */
	res = PQexec(pg, "COPY shelters (id, region_id) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		PQclear(res);
		snprintf(err, sizeof(err), "%s", PQerrorMessage(pg));
		goto fail;
	}
	PQclear(res);
	for (size_t i = 0; i < reg->n_shelters && rc == 0; i++) {
		int len = snprintf(line, sizeof(line), "%s\t%s\n",
		    reg->shelters[i].id,
		    reg->regions[reg->shelters[i].region].id);

		if (PQputCopyData(pg, line, len) != 1)
			rc = -1;
	}
	if (PQputCopyEnd(pg, rc == 0 ? NULL : "aborted") != 1)
		rc = -1;
	res = PQgetResult(pg);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = -1;
	PQclear(res);
	while ((res = PQgetResult(pg)) != NULL)
		PQclear(res);
	if (rc != 0) {
		snprintf(err, sizeof(err), "COPY: %s", PQerrorMessage(pg));
		goto fail;
	}
	if (exec_ok(pg, "VACUUM ANALYZE shelters", err, sizeof(err)) != 0 ||
	    exec_ok(pg, "VACUUM ANALYZE region_totals", err,
	    sizeof(err)) != 0 ||
	    check_trigger(pg, reg, err, sizeof(err)) != 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, PROG ": setup: %s\n", err);
	return -1;
}

/* ---- main ------------------------------------------------------------ */

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "conninfo", required_argument, NULL, 'C' },
		{ "registry", required_argument, NULL, 'r' },
		{ "shelters", required_argument, NULL, 'n' },
		{ "setup", no_argument, NULL, 'S' },
		{ "connections", required_argument, NULL, 'c' },
		{ "rate", required_argument, NULL, 'R' },
		{ "duration", required_argument, NULL, 'd' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "server-pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch, bad = 0;

	o->conninfo = "";
	o->connections = 64;
	o->duration = 10;
	o->warmup = 1;
	while ((ch = getopt_long(argc, argv, "C:r:n:Sc:R:d:w:p:jh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'C':
			o->conninfo = optarg;
			break;
		case 'r':
			o->registry = optarg;
			break;
		case 'n':
			bad |= bench_arg_u64(PROG, "--shelters", optarg, 1,
			    10000000, &o->shelters);
			break;
		case 'S':
			o->setup = true;
			break;
		case 'c':
			bad |= bench_arg_u64(PROG, "--connections", optarg, 1,
			    1000, &o->connections);
			break;
		case 'R':
			bad |= bench_arg_secs(PROG, "--rate (updates/s)",
			    optarg, 0, 1e9, &o->rate);
			break;
		case 'd':
			bad |= bench_arg_secs(PROG, "--duration", optarg,
			    0.01, 86400, &o->duration);
			break;
		case 'w':
			bad |= bench_arg_secs(PROG, "--warmup", optarg, 0,
			    3600, &o->warmup);
			break;
		case 'p':
			bad |= bench_arg_u64(PROG, "--server-pid", optarg, 1,
			    INT32_MAX, &o->server_pid);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			fprintf(stderr, "Try '" PROG " --help'.\n");
			return -1;
		}
	}
	if (bad)
		return -1;
	if (optind < argc) {
		fprintf(stderr, PROG ": unexpected argument '%s'\n",
		    argv[optind]);
		return -1;
	}
	if (o->registry == NULL) {
		fprintf(stderr, PROG ": --registry DIR is required (the same "
		    "registry as the daemon's)\n");
		return -1;
	}
	return 0;
}

static char *
show(PGconn *pg, const char *name, char *buf, size_t len)
{
	char sql[64];
	PGresult *res;

	snprintf(sql, sizeof(sql), "SHOW %s", name);
	res = PQexec(pg, sql);
	snprintf(buf, len, "%s", PQresultStatus(res) == PGRES_TUPLES_OK ?
	    PQgetvalue(res, 0, 0) : "?");
	PQclear(res);
	return buf;
}

static void
report(const struct opts *o, size_t n, const struct hist *lat,
    uint64_t acked, uint64_t refused, uint64_t errors, double secs,
    double cpu, const char *err, PGconn *pg)
{
	char sync[32], fsync[32], method[32], ver[32];

	show(pg, "synchronous_commit", sync, sizeof(sync));
	show(pg, "fsync", fsync, sizeof(fsync));
	show(pg, "wal_sync_method", method, sizeof(method));
	show(pg, "server_version", ver, sizeof(ver));
	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *l, *s;

		cJSON_AddStringToObject(j, "mode", "postgresql");
		cJSON_AddNumberToObject(j, "shelters", (double)n);
		cJSON_AddNumberToObject(j, "connections",
		    (double)o->connections);
		cJSON_AddNumberToObject(j, "rate_target", o->rate);
		cJSON_AddNumberToObject(j, "seconds", secs);
		cJSON_AddNumberToObject(j, "acked_updates", (double)acked);
		cJSON_AddNumberToObject(j, "refused", (double)refused);
		cJSON_AddNumberToObject(j, "errors", (double)errors);
		cJSON_AddNumberToObject(j, "updates_per_s", acked / secs);
		l = cJSON_AddObjectToObject(j, "ack_latency");
		cJSON_AddNumberToObject(l, "samples", (double)lat->n);
		cJSON_AddNumberToObject(l, "p50_us", hist_pct(lat, 50) / 1e3);
		cJSON_AddNumberToObject(l, "p99_us", hist_pct(lat, 99) / 1e3);
		cJSON_AddNumberToObject(l, "p999_us",
		    hist_pct(lat, 99.9) / 1e3);
		cJSON_AddNumberToObject(l, "max_us",
		    lat->n ? lat->max / 1e3 : 0);
		if (cpu >= 0)
			cJSON_AddNumberToObject(j,
			    "server_cpu_s_per_1k_updates",
			    acked ? cpu * 1000 / acked : 0);
		else
			cJSON_AddNullToObject(j,
			    "server_cpu_s_per_1k_updates");
		s = cJSON_AddObjectToObject(j, "settings");
		cJSON_AddStringToObject(s, "server_version", ver);
		cJSON_AddStringToObject(s, "synchronous_commit", sync);
		cJSON_AddStringToObject(s, "fsync", fsync);
		cJSON_AddStringToObject(s, "wal_sync_method", method);
		if (err != NULL)
			cJSON_AddStringToObject(j, "first_error", err);
		client_print_json(j);
		return;
	}
	printf("pgdriver: PostgreSQL %s (synchronous_commit %s, fsync %s, "
	    "%s), %zu shelters, %" PRIu64 " connections, %.1f s measured\n",
	    ver, sync, fsync, method, n, o->connections, secs);
	printf("%-24s %" PRIu64 " (%.0f/s); %" PRIu64 " refused, %" PRIu64
	    " errors\n", "applied updates", acked, acked / secs, refused,
	    errors);
	printf("%-24s p50 %8.3f ms  p99 %8.3f ms  p99.9 %8.3f ms  max %8.3f "
	    "ms\n", "commit latency", hist_pct(lat, 50) / 1e6,
	    hist_pct(lat, 99) / 1e6, hist_pct(lat, 99.9) / 1e6,
	    lat->n ? lat->max / 1e6 : 0.0);
	if (cpu >= 0)
		printf("%-24s %.4f s per 1,000 updates\n", "server CPU",
		    acked ? cpu * 1000 / acked : 0);
	if (err != NULL)
		printf("%-24s %s\n", "first error", err);
	fflush(stdout);
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	struct registry reg;
	struct gen gen = { 0 };
	struct worker *ws = NULL;
	struct hist lat;
	PGconn *main_pg = NULL;
	uint64_t t0, t_start, t_end, last, acked = 0, refused = 0;
	uint64_t errors = 0;
	double cpu0 = -1, cpu1 = -1;
	const char *first_err = NULL;
	char err[512];
	size_t n;
	int rc = 1;

	if (parse_args(argc, argv, &o) != 0)
		return 2;
	if (bench_load_registry(o.registry, &reg, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": registry %s: %s\n", o.registry, err);
		return 2;
	}
	n = o.shelters ? o.shelters : reg.n_shelters;
	if (n > reg.n_shelters || o.connections > n) {
		fprintf(stderr, PROG ": %zu shelters for %" PRIu64
		    " connections, and the registry has %zu: each "
		    "connection needs shelters of its own\n", n,
		    o.connections, reg.n_shelters);
		registry_free(&reg);
		return 2;
	}
	if ((main_pg = connect_pg(o.conninfo)) == NULL) {
		rc = 3;
		goto out;
	}
	if (o.setup && setup(main_pg, &reg) != 0)
		goto out;
	if (gen_init(&gen, &reg, n) != 0 ||
	    (ws = calloc(o.connections, sizeof(*ws))) == NULL)
		goto out;
	for (unsigned i = 0; i < o.connections; i++) {
		struct worker *w = &ws[i];

		w->o = &o;
		w->gen = &gen;
		w->id = i;
		w->n_mine = (n - i + o.connections - 1) / o.connections;
		/* The seeds loadgen's connections use. */
		w->rng = 0x9e3779b97f4a7c15ULL * (i + 1);
		hist_init(&w->lat);
		if ((w->pg = connect_pg(o.conninfo)) == NULL) {
			rc = 3;
			goto out;
		}
		if (prepare(w->pg, err, sizeof(err)) != 0) {
			fprintf(stderr, PROG ": %s", err);
			goto out;
		}
	}
	t0 = bench_now_ns();
	t_start = t0 + (uint64_t)(o.warmup * 1e9);
	t_end = t_start + (uint64_t)(o.duration * 1e9);
	for (unsigned i = 0; i < o.connections; i++) {
		ws[i].t_start = t_start;
		ws[i].t_end = t_end;
		if (pthread_create(&ws[i].thread, NULL, worker_main,
		    &ws[i]) != 0) {
			fprintf(stderr, PROG ": cannot start a thread\n");
			exit(1);
		}
	}
	sleep_abs(t_start);
	if (o.server_pid)
		cpu0 = bench_proc_cpu((pid_t)o.server_pid, true);
	hist_init(&lat);
	last = t_end;
	for (unsigned i = 0; i < o.connections; i++) {
		pthread_join(ws[i].thread, NULL);
		hist_merge(&lat, &ws[i].lat);
		acked += ws[i].acked;
		refused += ws[i].refused;
		errors += ws[i].errors;
		if (ws[i].last_ns > last)
			last = ws[i].last_ns;
		if (first_err == NULL && ws[i].err[0] != '\0')
			first_err = ws[i].err;
	}
	/* Backends are children of the postmaster: read them before the
	 * connections close and they exit. */
	if (o.server_pid)
		cpu1 = bench_proc_cpu((pid_t)o.server_pid, true);
	report(&o, n, &lat, acked, refused, errors,
	    (double)(last - t_start) / 1e9,
	    cpu0 >= 0 && cpu1 >= 0 ? cpu1 - cpu0 : -1, first_err, main_pg);
	rc = acked > 0 && refused == 0 && errors == 0 ? 0 : 1;
	if (rc != 0)
		fprintf(stderr, PROG ": %" PRIu64 " applied, %" PRIu64
		    " refused, %" PRIu64 " errors%s%s\n", acked, refused,
		    errors, first_err ? "; first: " : "",
		    first_err ? first_err : "");
out:
	if (ws != NULL)
		for (unsigned i = 0; i < o.connections; i++)
			PQfinish(ws[i].pg);
	free(ws);
	PQfinish(main_pg);
	gen_free(&gen);
	registry_free(&reg);
	return rc;
}
