#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/*
 * The one table of settings: the parser, `shelterd --help`,
 * `--print-config-example` (which makes shelterd.conf.example) and
 * `--check-config` all read it, so none of them can fall behind the code.
 * A row's default is written as it would be in the file and applied by
 * config_defaults() through the same parser.
 */
enum kind { K_STR, K_U32, K_U64, K_I64 };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t offset, size;
	uint64_t min, max;
	const char *def;
	enum config_applies applies;
	const char *help;
};

#define FIELD_SIZE(f) sizeof(((struct config *)0)->f)
#define STR(sec, name, f, def, when, help) { sec, name, K_STR, \
	offsetof(struct config, f), FIELD_SIZE(f), 0, 0, def, when, help }
#define NUM(sec, name, k, f, lo, hi, def, when, help) { sec, name, k, \
	offsetof(struct config, f), FIELD_SIZE(f), lo, hi, def, when, help }
#define START CONFIG_AT_START
#define HUP CONFIG_AT_SIGHUP

static const struct key keys[] = {
	STR("daemon", "api_url", api_url, "tcp://127.0.0.1:7450", START,
	    "Request/reply socket (shelters, regions, shelterctl). nng URLs: "
	    "tcp://, ipc://, tls+tcp:// (needs [tls])."),
	STR("daemon", "events_url", events_url, "tcp://127.0.0.1:7451", START,
	    "Pub/sub socket: escalation and placement events."),
	STR("daemon", "http_url", http_url, "http://127.0.0.1:7452", START,
	    "The dashboard, its JSON, /metrics, /healthz, /readyz and the "
	    "live ws:// feed (at /events on the same port); see "
	    "docs/dashboard.md. Plain HTTP: keep it on loopback or behind a "
	    "TLS proxy. Empty: no HTTP server at all."),
	STR("daemon", "data_dir", data_dir, "./var/shelterd", START,
	    "LMDB environment (created if missing)."),
	STR("daemon", "registry_dir", registry_dir, "", START,
	    "Directory with regions.csv, shelters.csv and keys.csv; empty: "
	    "the built-in demo registry (25 Dutch safety regions, 249 "
	    "synthetic shelters, no keys)."),
	STR("daemon", "log_level", log_level, "info", HUP,
	    "error, warn, info or debug (also --log-level)."),
	NUM("daemon", "map_size_mb", K_U64, map_size_mb, 1, 1u << 24, "1024",
	    START, "LMDB map size; a full map refuses writes with a clear "
	    "error and the daemon keeps serving reads. Raise it and restart."),
	NUM("daemon", "max_message_bytes", K_U32, max_message_bytes, 256,
	    16u << 20, "262144", START,
	    "Larger requests get CODE_TOO_LARGE."),
	NUM("daemon", "batch_max", K_U32, batch_max, 1, 100000, "1024", START,
	    "Requests applied in one write transaction (one fsync)."),
	NUM("daemon", "queue_max", K_U32, queue_max, 16, 10000000, "65536",
	    START,
	    "Received but not yet applied; above it, receiving pauses."),
	NUM("daemon", "events_page_max", K_U32, events_page_max, 1, 100000,
	    "1000", START, "Largest page of `events since N` replay."),
	NUM("daemon", "max_batch_updates", K_U32, max_batch_updates, 1,
	    100000, "1000", START,
	    "Updates in one OccupancyBatch (a regional gateway's request)."),
	NUM("events", "heartbeat_secs", K_U32, heartbeat_secs, 1, 3600, "5",
	    HUP, "A heartbeat goes out on the events socket this often, with "
	    "the newest event_seq: a subscriber that hears nothing for 3 of "
	    "them says the feed is not live (coord-watch, the dashboard)."),
	NUM("daemon", "tick_ms", K_U32, tick_ms, 50, 60000, "1000", START,
	    "Housekeeping timer: stale shelters, expired holds, "
	    "re-escalation."),
	STR("log", "format", log_format, "text", HUP,
	    "text: one line per message, starting with an RFC 3339 UTC "
	    "timestamp, or under journald (JOURNAL_STREAM) with a <N> "
	    "priority prefix instead. json: one JSON object per line "
	    "(time, level, ident, msg), after the same <N> prefix under "
	    "journald."),
	STR("log", "file", log_file, "", HUP,
	    "Append the log to this file (created 0640) instead of stderr. "
	    "SIGHUP reopens it: rotate with logrotate's create, then "
	    "systemctl reload shelterd."),
	NUM("reporting", "max_seq_ahead_secs", K_I64,
	    limits.max_seq_ahead_secs, 60, 3660ll * 86400, "86400", HUP,
	    "A report's seq (microseconds, as shelter-report makes it) may "
	    "be at most this far ahead of our clock: a seq far in the "
	    "future would make every later report of that shelter stale."),
	NUM("security", "allow_unsigned", K_U32, allow_unsigned, 0, 1, "1",
	    START, "1: requests need no signature (anyone who can reach the "
	    "api may report for any shelter); allowed only on a loopback or "
	    "ipc:// api, and logged loudly. 0: every request must be signed "
	    "with a key from the registry's keys.csv (docs/security.md); the "
	    "daemon refuses to start if the registry has no keys."),
	STR("security", "daemon_key", daemon_key, "", START,
	    "The daemon's own Ed25519 secret key (tools/keygen writes "
	    "keys/daemon.key): it signs the head of the audit log "
	    "(docs/audit.md). Empty: the chain is kept but its head is not "
	    "signed."),
	NUM("security", "max_clock_skew_secs", K_U32, max_clock_skew_secs, 1,
	    86400, "300", START,
	    "A signed request's timestamp may be this far from our clock."),
	NUM("security", "replay_cache", K_U32, replay_cache, 16, 1u << 24,
	    "16384", START, "Nonces remembered per signer (each signer its "
	    "own table under a keyed hash, so none can fill or displace "
	    "another's); a signer past it gets BUSY."),
	NUM("security", "max_connections", K_U32, max_connections, 1, 1000000,
	    "1024", START, "Connections to the api (and event subscribers, "
	    "and dashboard websockets); more are closed at once. Lowered at "
	    "start to what the descriptor limit allows."),
	NUM("security", "max_connections_per_peer", K_U32,
	    max_connections_per_peer, 0, 1000000, "64", START,
	    "Connections from one peer address (IPv6: its /64) to each of "
	    "those sockets; 0: no limit per peer (ipc:// peers have no "
	    "address: only the total applies)."),
	NUM("security", "max_waiters", K_U32, max_waiters, 0, 1000000, "1024",
	    START, "Parked `holds --wait` queries and events_since long "
	    "polls."),
	NUM("guard", "enabled", K_U32, guard, 0, 1, "1", START,
	    "Put shelterd's own front (daemon/guard.c) before every tcp://, "
	    "tls+tcp:// and http:// listener: it holds the caps above and the "
	    "limits below, which nng cannot (a connection that never starts "
	    "TLS, an HTTP slowloris, a peer that never reads). 0: nng listens "
	    "itself (one hop less; ipc:// is never guarded)."),
	NUM("guard", "handshake_secs", K_U32, guard_handshake_secs, 1, 3600,
	    "10", START, "A connection that sends nothing for this long is "
	    "closed."),
	NUM("guard", "header_secs", K_U32, guard_header_secs, 1, 3600, "10",
	    START, "HTTP: a request head must be whole within this."),
	NUM("guard", "header_bytes", K_U32, guard_header_bytes, 256,
	    1u << 24, "16384", START, "HTTP: a longer request head gets 431 "
	    "and the connection is closed."),
	NUM("guard", "idle_secs", K_U32, guard_idle_secs, 1, 86400, "900",
	    START, "A connection with no byte either way for this long is "
	    "closed (subscribers hear a heartbeat every [events] "
	    "heartbeat_secs; a long poll waits at most this)."),
	NUM("guard", "drain_secs", K_U32, guard_drain_secs, 1, 3600, "30",
	    START, "A peer that reads none of what it was sent for this long "
	    "is closed, and with it nng's end."),
	NUM("guard", "conn_buffer_bytes", K_U64, guard_conn_buffer_bytes,
	    4096, 1ull << 32, "1048576", START, "Bytes queued per connection "
	    "and way; past it the sending side is not read (back-pressure)."),
	NUM("guard", "buffer_bytes", K_U64, guard_buffer_bytes, 65536,
	    1ull << 40, "67108864", START, "Bytes queued over all "
	    "connections; past it no connection is read until it drained."),
	STR("tls", "cert_file", tls_cert_file, "", START,
	    "For tls+tcp:// and wss:// listeners: the server's certificate "
	    "and key (PEM, one file)."),
	STR("tls", "ca_file", tls_ca_file, "", START,
	    "The CA that signs client certificates; clients without one are "
	    "refused in the handshake."),
	STR("http", "token", http_token, "", START,
	    "Bearer token that shows shelter identities and counts on the "
	    "dashboard and in its JSON (the page asks for it once). Without "
	    "it, region and national totals only. Empty: nobody sees "
	    "shelters. 32+ random characters, e.g. `openssl rand -hex 24`."),
	NUM("reporting", "deadline_secs", K_U32, deadline_secs, 1,
	    366u * 86400, "3600", HUP, "A shelter that has not reported for "
	    "this long becomes stale: its beds count as unknown, not free. "
	    "shelters.csv may set its own per shelter."),
	NUM("placement", "hold_ttl_secs", K_U32, hold_ttl_secs, 1, 7u * 86400,
	    "3600", HUP, "How long a held bed waits for the receiving "
	    "shelter's answer (on SIGHUP: for holds made from then on)."),
	NUM("alerts", "reescalate_secs", K_U32, reescalate_secs, 1,
	    30u * 86400, "900", HUP,
	    "An unacknowledged critical alert is published again after this "
	    "long."),
	NUM("alerts", "min_coverage_pct", K_U32, esc.min_coverage_pct, 0,
	    100, "50", HUP, "Region and national occupancy levels are raised "
	    "only where at least this much of the registered capacity is "
	    "known (reported, not stale); below it a coverage warning says "
	    "how many beds are unknown. 0: off."),
	NUM("escalation", "region_warning_pct", K_U32, esc.region_warning_pct,
	    1, 100, "90", HUP, "A region/category warns at this occupancy."),
	NUM("escalation", "region_critical_pct", K_U32,
	    esc.region_critical_pct, 1, 100, "100", HUP,
	    "A region/category is critical at this occupancy."),
	NUM("escalation", "hysteresis_pct", K_U32, esc.hysteresis_pct, 0, 99,
	    "5", HUP,
	    "A level is released only this many points below its threshold."),
	NUM("escalation", "shelter_clear_free", K_U32, esc.shelter_clear_free,
	    1, 100000, "1", HUP, "A full shelter/category clears only when "
	    "this many beds are free again."),
	NUM("escalation", "national_clear_free", K_U32,
	    esc.national_clear_free, 1, 1000000, "1", HUP,
	    "A nation with no free bed in a category clears only when this "
	    "many are free again."),
	NUM("escalation", "early_warning_pct", K_U32, esc.early_warning_pct,
	    0, 100, "80", HUP, "Early warning for a region/category where "
	    "shelters give outflow forecasts (shelter-report --expect): "
	    "raised when, even counting the beds expected to free within "
	    "24 h, occupancy is at or above this. 0: off."),
	NUM("validation", "max_beds", K_U32, limits.max_beds, 1, 1000000,
	    "10000", HUP,
	    "Counts above this, per category, are refused as implausible."),
	NUM("validation", "max_future_secs", K_I64, limits.max_future_secs, 0,
	    86400, "300", HUP,
	    "observed_at may be this far ahead of the daemon's clock."),
	NUM("history", "sample_retention_days", K_U32,
	    hist.sample_retention_days, 0, 36500, "400", HUP,
	    "Occupancy samples are deleted after this (docs/history.md). "
	    "0 here and in the *_secs twin: kept for ever."),
	NUM("history", "sample_retention_secs", K_U32,
	    hist.sample_retention_secs, 0, 36500u * 86400, "0", HUP,
	    "When not 0, wins over sample_retention_days."),
	NUM("history", "placement_retention_days", K_U32,
	    hist.placement_retention_days, 0, 36500, "400", HUP,
	    "Placement records are deleted after this."),
	NUM("history", "placement_retention_secs", K_U32,
	    hist.placement_retention_secs, 0, 36500u * 86400, "0", HUP,
	    "When not 0, wins over placement_retention_days."),
	NUM("history", "case_ref_retention_days", K_U32,
	    hist.case_ref_retention_days, 0, 36500, "30", HUP,
	    "A placement's case_ref is blanked after this."),
	NUM("history", "case_ref_retention_secs", K_U32,
	    hist.case_ref_retention_secs, 0, 36500u * 86400, "0", HUP,
	    "When not 0, wins over case_ref_retention_days."),
	NUM("history", "purge_interval_secs", K_U32, hist.purge_interval_secs,
	    1, 86400, "60", HUP, "How often to look for expired history."),
	NUM("history", "purge_batch", K_U32, hist.purge_batch, 1, 100000,
	    "1000", HUP, "At most this many deletions per transaction (the "
	    "rest follows at the next tick)."),
	NUM("history", "k_anonymity", K_U32, hist.k_anonymity, 1, 1000, "5",
	    HUP, "Public reports (shelterctl report --public) hide counts "
	    "below this."),
	NUM("privacy", "k_anonymity", K_U32, privacy_k, 1, 1000, "3", START,
	    "A region x category cell of fewer shelters than this is one "
	    "shelter's own figures: public surfaces (the events socket, "
	    "unauthenticated /api, the dashboard without the token, public "
	    "reports) merge it into the national figure, and a placement's "
	    "requesting region is told only \"another region\" where fewer "
	    "shelters would name it (docs/security.md)."),
	NUM("planning", "window_days", K_U32, plan.window_days, 1, 366, "28",
	    HUP, "A structural shortage (docs/planning.md) opens for a region "
	    "and category whose open capacity stayed below its norm for this "
	    "many days, or ..."),
	NUM("planning", "critical_days", K_U32, plan.critical_days, 1, 366,
	    "7", HUP, "... that spent at least this many of those days at or "
	    "over [escalation] region_critical_pct."),
	NUM("planning", "clear_days", K_U32, plan.clear_days, 0, 366, "2",
	    HUP, "Hysteresis: an open shortage clears once capacity meets the "
	    "norm and the critical days in the window are this many below "
	    "critical_days."),
	NUM("planning", "check_secs", K_U32, plan.check_secs, 1, 86400,
	    "3600", HUP, "How often the rule runs over the history."),
	NUM("planning", "reescalate_secs", K_U32, plan.reescalate_secs, 1,
	    366u * 86400, "86400", HUP, "An unacknowledged structural "
	    "shortage is published again after this (slower than [alerts] "
	    "reescalate_secs: it is a matter of planning, not of tonight)."),
	NUM("planning", "day_secs", K_U32, plan.day_secs, 1, 86400, "86400",
	    HUP, "The length of a planning day. Only drills and tests set it "
	    "lower, to run a month of history in a minute."),
};

void
config_defaults(struct config *cfg)
{
	char err[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		REQUIRE(config_set(cfg, keys[i].section, keys[i].name,
		    keys[i].def, err, sizeof(err)) == 0);
}

int
config_set(struct config *cfg, const char *section, const char *key,
    const char *value, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct key *k = &keys[i];
		char *p = (char *)cfg + k->offset, *end;
		unsigned long long v;

		if (strcmp(k->section, section) != 0 ||
		    strcmp(k->name, key) != 0)
			continue;
		if (k->kind == K_STR) {
			if (strlen(value) >= k->size) {
				snprintf(err, errlen, "[%s] %s: too long",
				    section, key);
				return -1;
			}
			memcpy(p, value, strlen(value) + 1);
			return 0;
		}
		errno = 0;
		v = strtoull(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' ||
		    value[0] == '-' || v < k->min || v > k->max) {
			snprintf(err, errlen, "[%s] %s: '%s' is not a whole "
			    "number from %llu to %llu", section, key, value,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
			return -1;
		}
		if (k->kind == K_U32)
			*(uint32_t *)(void *)p = (uint32_t)v;
		else if (k->kind == K_U64)
			*(uint64_t *)(void *)p = (uint64_t)v;
		else
			*(int64_t *)(void *)p = (int64_t)v;
		return 0;
	}
	snprintf(err, errlen, "unknown setting [%s] %s", section, key);
	return -1;
}

struct load_ctx {
	struct config *cfg;
	char *err;
	size_t errlen;
	int failed;
};

static int
on_ini(void *user, const char *section, const char *name, const char *value)
{
	struct load_ctx *ctx = user;

	if (ctx->failed)
		return 0;
	if (config_set(ctx->cfg, section, name, value, ctx->err,
	    ctx->errlen) != 0) {
		ctx->failed = 1;
		return 0;
	}
	return 1;
}

int
config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct load_ctx ctx = { cfg, err, errlen, 0 };
	int rc = ini_parse(path, on_ini, &ctx);

	if (rc == -1) {
		snprintf(err, errlen, "%s: cannot open: %s", path,
		    strerror(errno));
		return -1;
	}
	if (ctx.failed) {
		/* ini_parse reports the first failing line number. */
		char reason[256];

		snprintf(reason, sizeof(reason), "%s", err);
		snprintf(err, errlen, "%s line %d: %s", path, rc, reason);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "%s line %d: not an INI line", path, rc);
		return -1;
	}
	return 0;
}

int
config_check(const struct config *cfg, char *err, size_t errlen)
{
	if (esc_thresholds_check(&cfg->esc, err, errlen) != 0)
		return -1;
	if (log_level_parse(cfg->log_level) < 0) {
		snprintf(err, errlen, "[daemon] log_level must be error, "
		    "warn, info or debug");
		return -1;
	}
	if (log_format_parse(cfg->log_format) < 0) {
		snprintf(err, errlen, "[log] format must be text or json");
		return -1;
	}
	return 0;
}

/* A row's value in cfg, as it would be written in the file. */
static void
key_value(const struct key *k, const struct config *cfg, char *buf,
    size_t len)
{
	const char *p = (const char *)cfg + k->offset;
	unsigned long long v;

	if (k->kind == K_STR) {
		snprintf(buf, len, "%s", p);
		return;
	}
	if (k->kind == K_U32)
		v = *(const uint32_t *)(const void *)p;
	else if (k->kind == K_U64)
		v = *(const uint64_t *)(const void *)p;
	else
		v = (unsigned long long)*(const int64_t *)(const void *)p;
	snprintf(buf, len, "%llu", v);
}

static const char *
applies_name(enum config_applies a)
{
	return a == CONFIG_AT_SIGHUP ? "SIGHUP" : "start";
}

/* Whether row i is the first of its section (sections in table order). */
static bool
first_of_section(size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (strcmp(keys[j].section, keys[i].section) == 0)
			return false;
	return true;
}

/* Calls fn for every row, grouped by section, in table order. */
static void
each_key(void (*fn)(const struct key *, bool first, void *), void *arg)
{
	const size_t n = sizeof(keys) / sizeof(keys[0]);

	for (size_t i = 0; i < n; i++) {
		if (!first_of_section(i))
			continue;
		for (size_t j = i; j < n; j++)
			if (strcmp(keys[j].section, keys[i].section) == 0)
				fn(&keys[j], j == i, arg);
	}
}

struct print_ctx {
	FILE *out;
	const struct config *cfg;
};

static void
print_help_row(const struct key *k, bool first, void *arg)
{
	struct print_ctx *c = arg;
	char range[48] = "";

	if (first)
		fprintf(c->out, "  [%s]\n", k->section);
	if (k->kind != K_STR)
		snprintf(range, sizeof(range), "%llu to %llu",
		    (unsigned long long)k->min, (unsigned long long)k->max);
	fprintf(c->out, "    %-26s = %-22s %-18s %s\n", k->name, k->def,
	    range, applies_name(k->applies));
}

void
config_print_keys(FILE *out)
{
	struct print_ctx c = { out, NULL };

	fprintf(out, "    %-29s%-22s %-18s %s\n", "KEY", "DEFAULT", "RANGE",
	    "APPLIES AT");
	each_key(print_help_row, &c);
}

/* Words of text as "# " comment lines of at most 78 columns. */
static void
print_comment(FILE *out, const char *text)
{
	const char *p = text;

	while (*p != '\0') {
		const char *end = p, *brk = NULL;

		while (*end != '\0' && end - p < 76) {
			if (*end == ' ')
				brk = end;
			end++;
		}
		if (*end != '\0' && brk != NULL)
			end = brk;
		fprintf(out, "# %.*s\n", (int)(end - p), p);
		p = end;
		while (*p == ' ')
			p++;
	}
}

static void
print_example_row(const struct key *k, bool first, void *arg)
{
	struct print_ctx *c = arg;
	char note[160];

	if (first)
		fprintf(c->out, "\n[%s]\n", k->section);
	else
		fputc('\n', c->out);
	print_comment(c->out, k->help);
	if (k->kind == K_STR)
		snprintf(note, sizeof(note), "Applies at %s%s.",
		    applies_name(k->applies), k->applies == CONFIG_AT_SIGHUP ?
		    " (systemctl reload)" : " (restart)");
	else
		snprintf(note, sizeof(note), "%llu to %llu. Applies at %s%s.",
		    (unsigned long long)k->min, (unsigned long long)k->max,
		    applies_name(k->applies), k->applies == CONFIG_AT_SIGHUP ?
		    " (systemctl reload)" : " (restart)");
	print_comment(c->out, note);
	fprintf(c->out, "%s =%s%s\n", k->name, *k->def ? " " : "", k->def);
}

void
config_print_example(FILE *out)
{
	struct print_ctx c = { out, NULL };

	fprintf(out,
	    "# shelterd configuration (INI): `shelterd --config FILE`.\n"
	    "# Generated by `shelterd --print-config-example` from the table "
	    "that\n"
	    "# `shelterd --help` prints and the parser reads "
	    "(daemon/config.c); a test\n"
	    "# fails when this file and the table differ.\n"
	    "#\n"
	    "# Every key is optional and shown with its built-in default; "
	    "flags override\n"
	    "# the file. \"Applies at start\": read when the daemon starts "
	    "(restart it);\n"
	    "# \"at SIGHUP\": also read again by "
	    "`systemctl reload shelterd`.\n"
	    "# Check a file without starting: shelterd --check-config -c "
	    "FILE\n");
	each_key(print_example_row, &c);
}

static void
print_effective_row(const struct key *k, bool first, void *arg)
{
	struct print_ctx *c = arg;
	char v[CONFIG_STR_MAX];

	if (first)
		fprintf(c->out, "%s[%s]\n", k == &keys[0] ? "" : "\n",
		    k->section);
	key_value(k, c->cfg, v, sizeof(v));
	/* A secret is not for a terminal or a ticket. */
	if (k->offset == offsetof(struct config, http_token) && *v) {
		fprintf(c->out, "# %s is set (%zu characters, not shown)\n",
		    k->name, strlen(v));
		return;
	}
	fprintf(c->out, "%s =%s%s\n", k->name, *v ? " " : "", v);
}

void
config_print_effective(FILE *out, const struct config *cfg)
{
	struct print_ctx c = { out, cfg };

	each_key(print_effective_row, &c);
}
