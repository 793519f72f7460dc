/*
 * shelterd — live picture of shelter beds, and the alarm when a region runs
 * out. main() reads as the steps of starting up; each is checked, and
 * teardown runs in reverse.
 */
#include <errno.h>
#include <stdbool.h>
#include <pthread.h>
#include <unistd.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "build_config.h"
#include "config.h"
#include "log.h"
#include "load.h"
#include "registry.h"
#include "server.h"
#include "store.h"
#include "util.h"

extern const char demo_regions_csv[];
extern const char demo_shelters_csv[];
extern const char demo_norms_csv[];
extern const char demo_reserves_csv[];

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelterd [OPTION]...\n"
	    "Keep the live picture of shelter beds and publish escalations.\n"
	    "\n"
	    "With no options it runs with the embedded defaults: api on\n"
	    "tcp://127.0.0.1:7450, events on tcp://127.0.0.1:7451, data in\n"
	    "./var/shelterd, the built-in demo registry (25 Dutch safety\n"
	    "regions, 249 synthetic shelters) and the dashboard on\n"
	    "http://127.0.0.1:7452.\n"
	    "\n"
	    "  -c, --config FILE      read settings from an INI file (see\n"
	    "                         shelterd.conf.example for every key)\n"
	    "  -d, --data-dir DIR     LMDB directory        [daemon] data_dir\n"
	    "  -r, --registry DIR     regions.csv + shelters.csv [daemon] "
	    "registry_dir\n"
	    "      --api URL          request/reply socket  [daemon] api_url\n"
	    "      --events URL       pub/sub socket        [daemon] "
	    "events_url\n"
	    "      --http URL         dashboard, /metrics   [daemon] http_url\n"
	    "                         (\"\" turns it off)\n"
	    "  -l, --log-level LEVEL  error, warn, info, debug\n"
	    "      --check-config     check the configuration (file, flags,\n"
	    "                         registry, signing) and print it as the\n"
	    "                         daemon would run it; exit 0 or 1\n"
	    "      --print-config-example\n"
	    "                         print shelterd.conf.example (every key,\n"
	    "                         documented) and exit\n"
	    "  -V, --version          print the version and exit\n"
	    "  -h, --help             print this help and exit\n"
	    "\n"
	    "Flags override the config file; the file overrides the defaults.\n"
	    "SIGINT/SIGTERM: apply and acknowledge what was received, then "
	    "exit 0.\n"
	    "SIGHUP: re-read the config file: thresholds, deadlines and "
	    "re-escalation\ntime apply at once, without dropping "
	    "connections.\n"
	    "\n"
	    "Config file keys (INI): built-in default, range, and whether a "
	    "change\napplies at start only or also on SIGHUP:\n");
	config_print_keys(out);
	fprintf(out, "\nLogs go to stderr (or [log] file), each line with an "
	    "RFC 3339 timestamp,\nor under journald with a syslog level "
	    "prefix; [log] format = json for JSON.\n"
	    "The dashboard, its token and /metrics: docs/dashboard.md.\n");
}

static int
load_registry(const struct config *cfg, struct registry *reg)
{
	char err[512];
	int rc = -1;

	if (cfg->registry_dir[0] == '\0') {
		if (registry_parse(reg, demo_regions_csv, demo_shelters_csv,
		    err, sizeof(err)) != 0 || registry_parse_norms(reg,
		    demo_norms_csv, err, sizeof(err)) != 0 ||
		    registry_parse_reserves(reg, demo_reserves_csv, err,
		    sizeof(err)) != 0) {
			log_err("built-in registry: %s", err);
			return -1;
		}
		log_info("registry: built-in demo");
		return 0;
	}
	if (registry_load_dir(reg, cfg->registry_dir, err, sizeof(err)) != 0)
		goto out;
	log_info("registry: %zu public keys", reg->n_keys);
	log_info("registry: %s", cfg->registry_dir);
	rc = 0;
out:
	if (rc != 0)
		log_err("registry %s: %s", cfg->registry_dir, err);
	return rc;
}

/* A table an import replaces whole (norms, reserves), stored apart from
 * the shelters and read back at start. */
struct stored_table {
	const char *what;     /* "norms", "reserves" */
	const char *checked;  /* what it must still fit */
	int (*get)(struct store *st, MDB_txn *txn, char **csv, int64_t *at);
	int (*parse)(struct registry *out, const struct registry *base,
	    const char *text, char *err, size_t errlen, unsigned *line);
};

static const struct stored_table stored_norms = {
	"norms", "regions", store_get_norms, norms_registry,
};
static const struct stored_table stored_reserves = {
	"reserves", "shelters", store_get_reserves, reserve_registry,
};

/*
 * The table of the last `shelterctl import --norms` (--reserves) wins
 * over the registry files' norms.csv (reserves.csv), as imported
 * shelters do; it is checked against the registry in force (imported, or
 * *files). Returns the registry to run on (owned by the server) or NULL
 * for *files; takes *imported.
 */
static struct registry *
imported_table(struct store *st, const struct registry *files,
    struct registry *imported, const struct stored_table *t)
{
	const struct registry *base = imported ? imported : files;
	struct registry *next = NULL;
	MDB_txn *txn;
	int64_t at = 0;
	char *csv = NULL, err[512];
	unsigned line;

	if (store_begin(st, NULL, 0, &txn) != 0)
		return imported;
	if (t->get(st, txn, &csv, &at) != 0 || csv == NULL)
		goto out;
	if ((next = calloc(1, sizeof(*next))) == NULL)
		goto out;
	if (t->parse(next, base, csv, err, sizeof(err), &line) != 0) {
		log_err("the %s imported at %lld no longer fit the %s (%s): "
		    "using the registry's own %s until they are imported "
		    "again", t->what, (long long)at, t->checked, err,
		    t->what);
		free(next);
		next = NULL;
		goto out;
	}
	log_info("registry: the %s imported at %lld (%zu rows; the registry "
	    "files' %s are not used)", t->what, (long long)at,
	    t == &stored_norms ? next->n_norms : next->n_reserves, t->what);
	if (imported != NULL) {
		registry_free(imported);
		free(imported);
	}
	imported = next;
out:
	free(csv);
	mdb_txn_abort(txn);
	return imported;
}

/*
 * The shelters of the last `shelterctl import` win over the registry
 * files (docs/registry.md). Returns the imported registry (to be owned by
 * the server), or NULL to go on with *files.
 */
static struct registry *
imported_registry(struct store *st, const struct registry *files)
{
	struct registry *next = NULL;
	MDB_txn *txn;
	int64_t at = 0;
	char *csv = NULL, err[512], when[32];
	unsigned line;
	time_t t;

	if (store_begin(st, NULL, 0, &txn) != 0)
		return NULL;
	if (store_get_registry(st, txn, &csv, &at) != 0 || csv == NULL)
		goto out;
	t = (time_t)at;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", gmtime(&t));
	if ((next = calloc(1, sizeof(*next))) == NULL)
		goto out;
	if (registry_with_shelters(next, files, csv, err, sizeof(err),
	    &line) != 0) {
		log_err("the registry imported %s no longer fits the regions "
		    "(%s): using the registry's own shelters until it is "
		    "imported again", when, err);
		free(next);
		next = NULL;
		goto out;
	}
	log_info("registry: the shelters imported %s (%zu; the registry "
	    "files' shelters are not used)", when, next->n_shelters);
out:
	free(csv);
	mdb_txn_abort(txn);
	return imported_table(st, files, imported_table(st, files, next,
	    &stored_norms), &stored_reserves);
}

enum { OPT_API = 256, OPT_EVENTS, OPT_HTTP, OPT_MAX,
	OPT_CHECK_CONFIG, OPT_PRINT_EXAMPLE };

/* What the command line said: kept so SIGHUP can rebuild the same
 * configuration from the (changed) file. */
struct args {
	const char *config_path;
	bool check_config;
	const char *flag_val[OPT_MAX];
};

static const char *const flag_key[OPT_MAX] = {
	['d'] = "data_dir",
	['r'] = "registry_dir",
	['l'] = "log_level",
	[OPT_API] = "api_url",
	[OPT_EVENTS] = "events_url",
	[OPT_HTTP] = "http_url",
};

/* Defaults, then the file, then the flags. 0 or -1 with err. */
static int
build_config(const struct args *a, struct config *cfg, char *err,
    size_t errlen)
{
	config_defaults(cfg);
	if (a->config_path != NULL &&
	    config_load(cfg, a->config_path, err, errlen) != 0)
		return -1;
	for (int k = 0; k < OPT_MAX; k++)
		if (a->flag_val[k] != NULL && config_set(cfg, "daemon",
		    flag_key[k], a->flag_val[k], err, errlen) != 0)
			return -1;
	return config_check(cfg, err, errlen);
}

/* [daemon] log_level and [log]: at start and again on SIGHUP (which
 * reopens the file, for logrotate). 0, or -1 with err. */
static int
apply_log_config(const struct config *cfg, char *err, size_t errlen)
{
	if (log_open_file(cfg->log_file, err, errlen) != 0)
		return -1;
	log_set_level(log_level_parse(cfg->log_level));
	log_set_format((enum log_format)log_format_parse(cfg->log_format));
	return 0;
}

static int
reload(struct config *out, void *arg)
{
	char err[512];

	if (build_config(arg, out, err, sizeof(err)) != 0 ||
	    apply_log_config(out, err, sizeof(err)) != 0) {
		log_err("reload: %s", err);
		return -1;
	}
	return 0;
}

/* 0: run; 1: done (help/version); 2: usage error. */
static int
parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "data-dir", required_argument, NULL, 'd' },
		{ "registry", required_argument, NULL, 'r' },
		{ "api", required_argument, NULL, OPT_API },
		{ "events", required_argument, NULL, OPT_EVENTS },
		{ "http", required_argument, NULL, OPT_HTTP },
		{ "log-level", required_argument, NULL, 'l' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "print-config-example", no_argument, NULL,
		    OPT_PRINT_EXAMPLE },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "c:d:r:l:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config_path = optarg;
			break;
		case 'd':
		case 'r':
		case 'l':
		case OPT_API:
		case OPT_EVENTS:
		case OPT_HTTP:
			a->flag_val[c] = optarg;
			break;
		case OPT_CHECK_CONFIG:
			a->check_config = true;
			break;
		case OPT_PRINT_EXAMPLE:
			config_print_example(stdout);
			return 1;
		case 'V':
			printf("shelterd %s\n", SHELTERD_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'shelterd --help'.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "shelterd: unexpected argument '%s'\n"
		    "Try 'shelterd --help'.\n", argv[optind]);
		return 2;
	}
	return 0;
}

/*
 * A daemon that would refuse every request, or accept unsigned ones from
 * the network, is a mistake in the configuration: say which key to set
 * instead of starting. 0, or -1 with err.
 */
static int
check_signing(const struct config *cfg, const struct registry *reg,
    char *err, size_t errlen)
{
	if (cfg->allow_unsigned && !util_url_is_local(cfg->api_url)) {
		snprintf(err, errlen, "[security] allow_unsigned = 1 is only "
		    "for a loopback or ipc:// api, not %.200s: set [security] "
		    "allow_unsigned = 0 and give the registry a keys.csv "
		    "(docs/security.md)", cfg->api_url);
		return -1;
	}
	if (!cfg->allow_unsigned && reg->n_keys == 0) {
		snprintf(err, errlen, "requests must be signed ([security] "
		    "allow_unsigned = 0) but the registry (%.200s) has no "
		    "keys, so every request would be refused: add a keys.csv "
		    "to [daemon] registry_dir (keygen, docs/security.md), or "
		    "set [security] allow_unsigned = 1 for a loopback api",
		    cfg->registry_dir[0] ? cfg->registry_dir : "built-in demo");
		return -1;
	}
	return 0;
}

/*
 * --check-config: the configuration as the daemon would run it (file,
 * then flags), its registry and the signing rule, without opening the
 * store or any socket. Exit status 0 or 1.
 */
static int
check_config(const struct args *a)
{
	static struct config cfg;
	static struct registry reg;
	char err[512];
	int rc = EXIT_FAILURE;

	/* Only errors on stderr: stdout is the effective configuration. */
	log_set_level(LOG_ERR);
	if (build_config(a, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelterd: %s\n", err);
		return EXIT_FAILURE;
	}
	if (load_registry(&cfg, &reg) != 0)
		goto out;
	if (check_signing(&cfg, &reg, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelterd: %s\n", err);
		goto out;
	}
	printf("# shelterd %s: effective configuration (%s, then flags)\n",
	    SHELTERD_VERSION, a->config_path ? a->config_path :
	    "built-in defaults");
	config_print_effective(stdout, &cfg);
	fprintf(stderr, "shelterd: configuration OK\n");
	rc = EXIT_SUCCESS;
out:
	registry_free(&reg);
	return rc;
}

/*
 * Every admitted connection holds a descriptor. With the default caps
 * (1,024 api connections, as many subscribers and dashboard websockets)
 * and the common soft limit of 1,024 descriptors, a flood of subscribers
 * ran the daemon out of them (EMFILE) and a legitimate call timed out.
 * Raise the soft limit toward the hard one; when even that is short,
 * lower the caps to what fits, and say so.
 */
static void
fit_descriptors(struct config *cfg)
{
	/* The store, the log, listeners, the HTTP server's own, pipes
	 * being refused. */
	enum { RESERVE = 64 };
	/* Behind the guard a connection holds three: the peer's, the
	 * guard's to nng, and nng's. */
	uint64_t socks = (cfg->http_url[0] != '\0' ? 3 : 2) *
	    (cfg->guard ? 3 : 1);
	uint64_t need = socks * cfg->max_connections + RESERVE, fit;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ?
	    rl.rlim_max : need;
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0 ||
	    getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= need)
		return;
	fit = rl.rlim_cur > 2 * RESERVE ? (rl.rlim_cur - RESERVE) / socks :
	    1;
	log_warn("only %llu file descriptors (ulimit -n; LimitNOFILE= in "
	    "the unit) for %llu sockets of [security] max_connections = %u "
	    "each: lowered to %llu; raise the limit to %llu for all of them",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)socks,
	    cfg->max_connections, (unsigned long long)fit,
	    (unsigned long long)need);
	cfg->max_connections = (uint32_t)fit;
}

static int watchdog_status;

static void *
watchdog(void *arg)
{
	(void)arg;
	sleep(10);
	/* Everything acknowledged is committed by now: only the teardown is
	 * stuck, and the exit status must still be the run's. */
	log_err("teardown did not finish in 10 s (nng_close can hang in nng "
	    "1.5.2, nanomsg/nng#1543 and #1813); exiting anyway");
	_exit(watchdog_status);
	return NULL;
}

/* Bound the teardown: nng 1.5.2's nng_close() occasionally deadlocks
 * (seen here under tools/crashtest.py SIGTERM load); a daemon that was
 * told to stop must stop. */
static void
teardown_watchdog(int status)
{
	pthread_t t;

	watchdog_status = status;
	if (pthread_create(&t, NULL, watchdog, NULL) == 0)
		pthread_detach(t);
}

int
main(int argc, char **argv)
{
	static struct args args;
	static struct config cfg;
	static struct registry reg;
	static struct store store;
	static struct server server;
	struct registry *imported;
	int rc, status = EXIT_FAILURE;
	char err[512];

	if ((rc = parse_args(argc, argv, &args)) != 0)
		return rc == 1 ? EXIT_SUCCESS : 2;
	if (args.check_config)
		return check_config(&args);
	if (build_config(&args, &cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelterd: %s\n", err);
		return 2;
	}
	if (apply_log_config(&cfg, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelterd: %s\n", err);
		return 2;
	}
	log_info("shelterd %s starting", SHELTERD_VERSION);
	fit_descriptors(&cfg);

	if (load_registry(&cfg, &reg) != 0)
		goto out;
	if (check_signing(&cfg, &reg, err, sizeof(err)) != 0) {
		log_err("%s", err);
		goto out_registry;
	}
	if (store_open(&store, cfg.data_dir, cfg.map_size_mb << 20) != 0)
		goto out_registry;
	log_info("store: %s (map %llu MiB)", cfg.data_dir,
	    (unsigned long long)cfg.map_size_mb);
	imported = imported_registry(&store, &reg);
	if (server_init(&server, &cfg, imported ? imported : &reg,
	    &store) != 0) {
		if (imported != NULL) {
			registry_free(imported);
			free(imported);
		}
		goto out_server;
	}
	server.reg_owned = imported;
	server.reload = reload;
	server.reload_arg = &args;
	if (server_run(&server) == 0)
		status = EXIT_SUCCESS;
out_server:
	teardown_watchdog(status);
	server_deinit(&server);
	store_close(&store);
	log_debug("teardown: store closed");
out_registry:
	registry_free(&reg);
out:
	log_debug("teardown: exiting with %d", status);
	return status;
}
