/*
 * shelter-node — a region's node: its shelters report here, it stores each
 * report before acknowledging it and forwards to the national shelterd,
 * and keeps working while national is down (docs/node.md).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "build_config.h"
#include "common.h"
#include "load.h"
#include "log.h"
#include "node.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelter-node --region ID --registry DIR --upstream URL\n"
	    "                    --upstream-events URL [OPTION]...\n"
	    "A region's node between its shelters and the national "
	    "shelterd: shelters\n"
	    "report to it with shelter-report (the same api), it stores "
	    "each report\n"
	    "before acknowledging it and forwards it to the national "
	    "daemon, in order,\n"
	    "also after the national daemon was unreachable. It follows "
	    "the national\n"
	    "events of its region and publishes them on its own events "
	    "socket.\n"
	    "\n"
	    "  -R, --region ID            the region this node serves "
	    "(required)\n"
	    "  -u, --upstream URL[,URL]   national api (default "
	    "$SHELTERD_API or\n"
	    "                             " DEFAULT_API_URL "); several: "
	    "tried in turn\n"
	    "                             when one cannot be reached "
	    "(docs/ha.md)\n"
	    "  -U, --upstream-events URL[,URL]  national events (default "
	    "$SHELTERD_EVENTS\n"
	    "                             or " DEFAULT_EVENTS_URL "); "
	    "several: all dialled\n"
	    "  -a, --api URL              local api, ipc:// or loopback "
	    "(default\n"
	    "                             tcp://127.0.0.1:7460)\n"
	    "  -e, --events URL           local events (default "
	    "tcp://127.0.0.1:7461)\n"
	    "  -d, --data-dir DIR         the node's LMDB (default "
	    "./var/shelter-node)\n"
	    "  -r, --registry DIR         regions.csv + shelters.csv, as "
	    "for shelterd\n"
	    "                             (required: the node must know "
	    "its shelters)\n"
	    "  -K, --key FILE             sign forwarded requests with "
	    "this key (the\n"
	    "                             region's, region:ID; default "
	    "$SHELTERD_KEY)\n"
	    "  -m, --map-size-mb N        LMDB map size (default 1024)\n"
	    "  -t, --timeout-ms N         one call to the national daemon "
	    "(default 5000)\n"
	    "  -y, --retry-ms N           wait after a failed call (default "
	    "500)\n"
	    "  -p, --poll-ms N            ask national for missed events "
	    "this often\n"
	    "                             (default 1000)\n"
	    "  -s, --status               print the outbox state of "
	    "--data-dir and exit\n"
	    "                             (0: nothing waits, 4: reports "
	    "wait)\n"
	    "  -l, --log-level LEVEL      error, warn, info, debug\n"
	    "  -V, --version              print the version and exit\n"
	    "  -h, --help                 print this help and exit\n"
	    "\n"
	    "TLS to the national daemon (tls+tcp:// URLs): "
	    "$SHELTERD_TLS_CA,\n"
	    "$SHELTERD_TLS_CERT, $SHELTERD_TLS_SERVER_NAME, as for the "
	    "clients.\n"
	    "SIGINT/SIGTERM: answer what was received, then exit 0; "
	    "waiting reports stay\n"
	    "in the outbox and are forwarded after the next start.\n");
}

static int
load_registry(const char *dir, struct registry *reg)
{
	char err[512];

	if (registry_load_dir(reg, dir, err, sizeof(err)) != 0) {
		log_err("registry: %s", err);
		return -1;
	}
	log_info("registry: %s", dir);
	return 0;
}

static long long
num(const char *s, long long min, long long max, const char *what)
{
	long long v = client_parse_num(s, max);

	if (v < min) {
		fprintf(stderr, "shelter-node: %s must be a number from %lld "
		    "to %lld\n", what, min, max);
		exit(2);
	}
	return v;
}

/* Fill cfg and *status from argv; returns an exit code, or -1 to go on. */
static int
parse_args(int argc, char **argv, struct node_config *cfg, bool *status)
{
	static const struct option opts[] = {
		{ "region", required_argument, NULL, 'R' },
		{ "upstream", required_argument, NULL, 'u' },
		{ "upstream-events", required_argument, NULL, 'U' },
		{ "api", required_argument, NULL, 'a' },
		{ "events", required_argument, NULL, 'e' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "registry", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'K' },
		{ "map-size-mb", required_argument, NULL, 'm' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "retry-ms", required_argument, NULL, 'y' },
		{ "poll-ms", required_argument, NULL, 'p' },
		{ "status", no_argument, NULL, 's' },
		{ "log-level", required_argument, NULL, 'l' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, lvl;

	while ((c = getopt_long(argc, argv, "R:u:U:a:e:d:r:K:m:t:y:p:sl:Vh",
	    opts, NULL)) != -1) {
		switch (c) {
		case 'R':
			cfg->region_id = optarg;
			break;
		case 'u':
			cfg->upstream_url = optarg;
			break;
		case 'U':
			cfg->upstream_events_url = optarg;
			break;
		case 'a':
			cfg->api_url = optarg;
			break;
		case 'e':
			cfg->events_url = optarg;
			break;
		case 'd':
			cfg->data_dir = optarg;
			break;
		case 'r':
			cfg->registry_dir = optarg;
			break;
		case 'K':
			cfg->key_file = optarg;
			break;
		case 'm':
			cfg->map_bytes = (uint64_t)num(optarg, 1, 1 << 20,
			    "--map-size-mb") << 20;
			break;
		case 't':
			cfg->call_timeout_ms = (uint32_t)num(optarg, 100,
			    600000, "--timeout-ms");
			break;
		case 'y':
			cfg->retry_ms = (uint32_t)num(optarg, 10, 600000,
			    "--retry-ms");
			break;
		case 'p':
			cfg->poll_ms = (uint32_t)num(optarg, 10, 600000,
			    "--poll-ms");
			break;
		case 's':
			*status = true;
			break;
		case 'l':
			if ((lvl = log_level_parse(optarg)) < 0) {
				fprintf(stderr, "shelter-node: --log-level "
				    "is error, warn, info or debug\n");
				return 2;
			}
			log_set_level(lvl);
			break;
		case 'V':
			printf("shelter-node %s\n", SHELTERD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			fprintf(stderr, "Try 'shelter-node --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shelter-node: unexpected argument '%s'\n"
		    "Try 'shelter-node --help'.\n", argv[optind]);
		return 2;
	}
	return -1;
}

/* Which national address answered when another failed: into the log. */
static void
note_upstream(const char *line)
{
	log_warn("upstream: %s", line);
}

/* Loaded now, before the worker threads: they only read it. */
static int
load_key(const struct node_config *cfg)
{
	const char *key;
	char err[512];

	key = cfg->key_file ? cfg->key_file : getenv("SHELTERD_KEY");
	if (key == NULL || *key == '\0')
		return 0;
	client_set_key(key);
	if (client_load_key(key, err, sizeof(err)) != 0) {
		log_err("%s", err);
		return -1;
	}
	log_info("forwarded requests are signed with %s", key);
	return 0;
}

/* Serve until stopped; the exit status. */
static int
run(struct node_config *cfg)
{
	struct registry reg = { 0 };
	struct node n;
	int rc;

	if (load_registry(cfg->registry_dir, &reg) != 0)
		return 1;
	rc = node_init(&n, cfg, &reg) == 0 ? node_run(&n) : -1;
	node_deinit(&n);
	registry_free(&reg);
	return rc == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct node_config cfg = {
		.api_url = "tcp://127.0.0.1:7460",
		.events_url = "tcp://127.0.0.1:7461",
		.upstream_url = client_default_api(),
		.upstream_events_url = client_default_events(),
		.data_dir = "./var/shelter-node",
		.map_bytes = 1024ull << 20,
		.call_timeout_ms = 5000,
		.retry_ms = 500,
		.poll_ms = 1000,
		.report_secs = 10,
	};
	bool status = false;
	int rc;

	log_set_ident("shelter-node");
	client_set_note(note_upstream);
	if ((rc = parse_args(argc, argv, &cfg, &status)) >= 0)
		return rc;
	if (status)
		return node_print_status(&cfg);
	if (cfg.region_id == NULL || cfg.registry_dir == NULL) {
		fprintf(stderr, "shelter-node: --region and --registry are "
		    "required\nTry 'shelter-node --help'.\n");
		return 2;
	}
	if (load_key(&cfg) != 0)
		return 2;
	return run(&cfg);
}
