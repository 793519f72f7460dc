/*
 * fuzz_api.c — libFuzzer target on the request path the daemon runs for
 * every message: decode (plain or signed envelope), verify, authorise,
 * validate, apply in an LMDB write txn (a temp dir), reply and publish.
 * Sockets are inproc:// and the dashboard is off, so no network is
 * touched and no port can be taken.
 *
 *   meson setup build-fuzz -Dfuzz=true -Db_sanitize=address,undefined \
 *     -Db_lundef=false  (with CC=clang)
 *   ./build-fuzz/tests/fuzz/fuzz_api -max_total_time=600 \
 *     tests/fuzz/corpus
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "events.h"
#include "log.h"
#include "registry.h"
#include "server.h"
#include "store.h"

extern const char demo_regions_csv[];
extern const char demo_shelters_csv[];

static struct config cfg;
static struct registry reg;
static struct store st;
static struct server srv;

static void
setup(void)
{
	char dir[] = "/tmp/shelterd-fuzz-XXXXXX", err[256];

	log_set_level(LOG_ERR);
	config_defaults(&cfg);
	snprintf(cfg.api_url, sizeof(cfg.api_url), "inproc://fuzz-api");
	snprintf(cfg.events_url, sizeof(cfg.events_url),
	    "inproc://fuzz-events");
	/* No dashboard: its default is a fixed TCP port, which another
	 * process may hold (then setup aborts), and no input reaches it. */
	cfg.http_url[0] = '\0';
	REQUIRE(mkdtemp(dir) != NULL);
	snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", dir);
	cfg.allow_unsigned = 1;
	REQUIRE(registry_parse(&reg, demo_regions_csv, demo_shelters_csv, err,
	    sizeof(err)) == 0);
	REQUIRE(store_open(&st, cfg.data_dir, cfg.map_size_mb << 20) == 0);
	REQUIRE(server_init(&srv, &cfg, &reg, &st) == 0);
	REQUIRE(server_reconcile(&srv) == 0);
	events_publish(&srv.c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	nng_msg *msg;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (nng_msg_alloc(&msg, size) != 0)
		return 0;
	if (size > 0)
		memcpy(nng_msg_body(msg), data, size);
	server_process(&srv, &msg, 1);
	return 0;
}
