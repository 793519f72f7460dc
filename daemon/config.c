#include "config.h"

#include <errno.h>
#include <ini.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void
config_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->api_url, sizeof(cfg->api_url), "tcp://127.0.0.1:7450");
	snprintf(cfg->events_url, sizeof(cfg->events_url),
	    "tcp://127.0.0.1:7451");
	snprintf(cfg->http_url, sizeof(cfg->http_url),
	    "http://127.0.0.1:7452");
	snprintf(cfg->data_dir, sizeof(cfg->data_dir), "./var/shelterd");
	snprintf(cfg->log_level, sizeof(cfg->log_level), "info");
	cfg->map_size_mb = 1024;
	cfg->max_message_bytes = 262144;
	cfg->batch_max = 1024;
	cfg->queue_max = 65536;
	cfg->events_page_max = 1000;
	cfg->max_batch_updates = 1000;
	cfg->tick_ms = 1000;
	cfg->deadline_secs = 3600;
	cfg->reescalate_secs = 900;
	cfg->hold_ttl_secs = 3600;
	/* The embedded default is the loopback demo, which runs unsigned
	 * (main.c turns this off as soon as a config file is given). */
	cfg->allow_unsigned = 1;
	cfg->max_clock_skew_secs = 300;
	cfg->replay_cache = 16384;
	cfg->max_connections = 1024;
	cfg->max_connections_per_peer = 64;
	cfg->max_waiters = 1024;
	esc_thresholds_default(&cfg->esc);
	validate_limits_default(&cfg->limits);
	cfg->hist.sample_retention_days = 400;
	cfg->hist.placement_retention_days = 400;
	cfg->hist.case_ref_retention_days = 30;
	cfg->hist.purge_interval_secs = 60;
	cfg->hist.purge_batch = 1000;
	cfg->hist.k_anonymity = 5;
}

enum kind { K_STR, K_U32, K_U64, K_I64 };

struct key {
	const char *section, *name;
	enum kind kind;
	size_t offset, size;
	uint64_t min, max;
};

#define STR(sec, f) { sec, #f, K_STR, offsetof(struct config, f), \
	sizeof(((struct config *)0)->f), 0, 0 }
#define NUM(sec, name, k, f, lo, hi) { sec, name, k, \
	offsetof(struct config, f), 0, lo, hi }

static const struct key keys[] = {
	STR("daemon", api_url),
	STR("daemon", events_url),
	STR("daemon", http_url),
	{ "http", "token", K_STR, offsetof(struct config, http_token),
	    sizeof(((struct config *)0)->http_token), 0, 0 },
	STR("daemon", data_dir),
	STR("daemon", registry_dir),
	STR("daemon", log_level),
	NUM("daemon", "map_size_mb", K_U64, map_size_mb, 1, 1u << 24),
	NUM("daemon", "max_message_bytes", K_U32, max_message_bytes, 256,
	    16u << 20),
	NUM("daemon", "batch_max", K_U32, batch_max, 1, 100000),
	NUM("daemon", "queue_max", K_U32, queue_max, 16, 10000000),
	NUM("daemon", "events_page_max", K_U32, events_page_max, 1, 100000),
	NUM("daemon", "max_batch_updates", K_U32, max_batch_updates, 1,
	    100000),
	NUM("daemon", "tick_ms", K_U32, tick_ms, 50, 60000),
	NUM("reporting", "deadline_secs", K_U32, deadline_secs, 1,
	    366u * 86400),
	NUM("security", "allow_unsigned", K_U32, allow_unsigned, 0, 1),
	NUM("security", "max_clock_skew_secs", K_U32, max_clock_skew_secs, 1,
	    86400),
	NUM("security", "replay_cache", K_U32, replay_cache, 16, 1u << 24),
	NUM("security", "max_connections", K_U32, max_connections, 1,
	    1000000),
	NUM("security", "max_connections_per_peer", K_U32,
	    max_connections_per_peer, 0, 1000000),
	NUM("security", "max_waiters", K_U32, max_waiters, 0, 1000000),
	{ "tls", "cert_file", K_STR, offsetof(struct config, tls_cert_file),
	    sizeof(((struct config *)0)->tls_cert_file), 0, 0 },
	{ "tls", "ca_file", K_STR, offsetof(struct config, tls_ca_file),
	    sizeof(((struct config *)0)->tls_ca_file), 0, 0 },
	NUM("placement", "hold_ttl_secs", K_U32, hold_ttl_secs, 1,
	    7u * 86400),
	NUM("alerts", "reescalate_secs", K_U32, reescalate_secs, 1,
	    30u * 86400),
	NUM("escalation", "region_warning_pct", K_U32,
	    esc.region_warning_pct, 1, 100),
	NUM("escalation", "region_critical_pct", K_U32,
	    esc.region_critical_pct, 1, 100),
	NUM("escalation", "hysteresis_pct", K_U32, esc.hysteresis_pct, 0, 99),
	NUM("escalation", "shelter_clear_free", K_U32, esc.shelter_clear_free,
	    1, 100000),
	NUM("escalation", "national_clear_free", K_U32,
	    esc.national_clear_free, 1, 1000000),
	NUM("validation", "max_beds", K_U32, limits.max_beds, 1, 1000000),
	NUM("validation", "max_future_secs", K_I64, limits.max_future_secs, 0,
	    86400),
	NUM("escalation", "early_warning_pct", K_U32, esc.early_warning_pct, 0,
	    100),
	NUM("history", "sample_retention_days", K_U32,
	    hist.sample_retention_days, 0, 36500),
	NUM("history", "sample_retention_secs", K_U32,
	    hist.sample_retention_secs, 0, 36500u * 86400),
	NUM("history", "placement_retention_days", K_U32,
	    hist.placement_retention_days, 0, 36500),
	NUM("history", "placement_retention_secs", K_U32,
	    hist.placement_retention_secs, 0, 36500u * 86400),
	NUM("history", "case_ref_retention_days", K_U32,
	    hist.case_ref_retention_days, 0, 36500),
	NUM("history", "case_ref_retention_secs", K_U32,
	    hist.case_ref_retention_secs, 0, 36500u * 86400),
	NUM("history", "purge_interval_secs", K_U32, hist.purge_interval_secs,
	    1, 86400),
	NUM("history", "purge_batch", K_U32, hist.purge_batch, 1, 100000),
	NUM("history", "k_anonymity", K_U32, hist.k_anonymity, 1, 1000),
};

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
	return 0;
}

void
config_print_keys(FILE *out)
{
	static struct config def;
	const size_t n = sizeof(keys) / sizeof(keys[0]);

	config_defaults(&def);
	for (size_t i = 0; i < n; i++) {
		bool first = true;

		/* Sections in the order they first appear. */
		for (size_t j = 0; j < i && first; j++)
			first = strcmp(keys[j].section, keys[i].section) != 0;
		if (!first)
			continue;
		fprintf(out, "  [%s]\n", keys[i].section);
		for (size_t j = i; j < n; j++) {
			const struct key *k = &keys[j];
			const char *p = (const char *)&def + k->offset;
			uint64_t v;

			if (strcmp(k->section, keys[i].section) != 0)
				continue;
			if (k->kind == K_STR) {
				fprintf(out, "    %-26s =%s%s\n", k->name,
				    *p ? " " : "", p);
				continue;
			}
			if (k->kind == K_U32)
				v = *(const uint32_t *)(const void *)p;
			else if (k->kind == K_U64)
				v = *(const uint64_t *)(const void *)p;
			else
				v = (uint64_t)*(const int64_t *)
				    (const void *)p;
			fprintf(out, "    %-26s = %-10llu (%llu to %llu)\n",
			    k->name, (unsigned long long)v,
			    (unsigned long long)k->min,
			    (unsigned long long)k->max);
		}
	}
}
