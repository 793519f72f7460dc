/*
 * loadgen-place.c — `loadgen place`: the placement round trip. One region
 * after another asks for one bed of a category outside its own region, on
 * one connection, one request in flight; the time from sending the
 * PlacementRequest to its reply (HELD or UNPLACED) is one sample. Each hold
 * is cancelled right after (not timed), so every request finds the same
 * beds. The daemon ranks from its index of free beds
 * (core/placeindex.c), so this should cost the same at any registry
 * size: run it at 10,000 and 100,000 shelters to see.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "benchlib.h"
#include "common.h"

#define PROG "loadgen"

static void
place_usage(FILE *out)
{
	fprintf(out,
	    "Usage: loadgen place --registry DIR [--count N] "
	    "[--category C] [--api URL] [--json]\n"
	    "Time N placement requests (default 200), one region after "
	    "another, one bed\nof category C (default women) outside the "
	    "region; each hold is cancelled\nright after. The daemon's "
	    "shelters must have reported (run after a load run).\n");
}

struct place_opts {
	const char *dir;
	const char *api;
	uint64_t count;
	uint64_t timeout;     /* ms, for each send and receive */
	int category;
	bool json;
};

struct place_tally {
	struct hist h;        /* round trips of the PlacementRequests */
	uint64_t held;
	uint64_t unplaced;
};

/* Fill o from argv; returns an exit code, or -1 to go on. */
static int
place_parse_args(int argc, char **argv, struct place_opts *o)
{
	static const struct option opts[] = {
		{ "registry", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'n' },
		{ "category", required_argument, NULL, 'c' },
		{ "api", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "r:n:c:a:T:jh", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'r':
			o->dir = optarg;
			break;
		case 'n':
			if (bench_arg_u64(PROG, "--count", optarg, 1, 1000000,
			    &o->count) != 0)
				return 2;
			break;
		case 'c':
			if ((o->category = cat_parse(optarg)) < 0) {
				fprintf(stderr, PROG ": --category: '%s' is "
				    "not a category\n", optarg);
				return 2;
			}
			break;
		case 'a':
			o->api = optarg;
			break;
		case 'T':
			if (bench_arg_u64(PROG, "--timeout", optarg, 1,
			    3600000, &o->timeout) != 0)
				return 2;
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			place_usage(stdout);
			return 0;
		default:
			place_usage(stderr);
			return 2;
		}
	}
	if (o->dir == NULL || optind != argc) {
		place_usage(stderr);
		return 2;
	}
	return -1;
}

/*
 * Time request i's PlacementRequest into t, then cancel its hold. Returns
 * 0, or non-zero when the run must stop (after saying why).
 */
static int
place_one(nng_socket sock, const struct place_opts *o,
    const struct registry *reg, uint64_t i, struct place_tally *t)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlacementRequest pr =
	    SHELTERD__V1__PLACEMENT_REQUEST__INIT;
	Shelterd__V1__PlacementCancel pc =
	    SHELTERD__V1__PLACEMENT_CANCEL__INIT;
	Shelterd__V1__Reply *reply;
	char id[48], ref[48], err[512];
	uint64_t t0;
	int rv;

	snprintf(id, sizeof(id), "lg-%ld-%" PRIu64, (long)getpid(), i);
	snprintf(ref, sizeof(ref), "LG-%06" PRIu64, i);
	pr.request_id = id;
	pr.case_ref = ref;
	pr.from_region = reg->regions[i % reg->n_regions].id;
	pr.category = (Shelterd__V1__Category)o->category;
	pr.beds = 1;
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLACE;
	req.place = &pr;
	t0 = bench_now_ns();
	if ((rv = client_round_trip(sock, o->api, &req, &reply, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, PROG ": placement %s: %s\n", id, err);
		return rv;
	}
	hist_add(&t->h, bench_now_ns() - t0);
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_PLACEMENT) {
		fprintf(stderr, PROG ": placement %s refused: %s\n",
		    id, reply->error);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return -1;
	}
	if (reply->placement->state ==
	    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD)
		t->held++;
	else
		t->unplaced++;
	shelterd__v1__reply__free_unpacked(reply, NULL);
	pc.request_id = id;
	req.body_case = SHELTERD__V1__REQUEST__BODY_CANCEL;
	req.cancel = &pc;
	if ((rv = client_round_trip(sock, o->api, &req, &reply, err,
	    sizeof(err))) != 0) {
		fprintf(stderr, PROG ": cancel %s: %s\n", id, err);
		return rv;
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return 0;
}

static void
place_report(const struct place_opts *o, const struct registry *reg,
    const struct place_tally *t)
{
	const struct hist *h = &t->h;

	if (o->json) {
		cJSON *j = cJSON_CreateObject(), *l = cJSON_CreateObject();

		cJSON_AddStringToObject(j, "mode", "place");
		cJSON_AddNumberToObject(j, "shelters",
		    (double)reg->n_shelters);
		cJSON_AddNumberToObject(j, "requests", (double)h->n);
		cJSON_AddNumberToObject(j, "held", (double)t->held);
		cJSON_AddNumberToObject(j, "unplaced", (double)t->unplaced);
		cJSON_AddNumberToObject(l, "samples", (double)h->n);
		cJSON_AddNumberToObject(l, "p50_us", hist_pct(h, 50) / 1e3);
		cJSON_AddNumberToObject(l, "p99_us", hist_pct(h, 99) / 1e3);
		cJSON_AddNumberToObject(l, "max_us", h->n ? h->max / 1e3 : 0);
		cJSON_AddItemToObject(j, "round_trip", l);
		client_print_json(j);
	} else {
		printf("loadgen: %" PRIu64 " placement requests over %zu "
		    "shelters: %" PRIu64 " held, %" PRIu64 " unplaced; round "
		    "trip p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", h->n,
		    reg->n_shelters, t->held, t->unplaced,
		    hist_pct(h, 50) / 1e6, hist_pct(h, 99) / 1e6,
		    h->n ? h->max / 1e6 : 0.0);
	}
}

int
place_main(int argc, char **argv)
{
	struct place_opts o = { .api = client_default_api(), .count = 200,
		.timeout = 10000, .category = 1 };
	struct place_tally t = { .held = 0 };
	struct registry reg = { 0 };
	nng_socket sock;
	char err[512];
	int rv;

	if ((rv = place_parse_args(argc, argv, &o)) >= 0)
		return rv;
	if (bench_load_registry(o.dir, &reg, err, sizeof(err)) != 0) {
		fprintf(stderr, PROG ": registry %s: %s\n", o.dir, err);
		return 2;
	}
	if ((rv = nng_req0_open(&sock)) != 0 ||
	    (rv = client_dial(sock, o.api, err, sizeof(err))) != 0) {
		fprintf(stderr, PROG ": %s: %s\n", o.api, rv > 0 ?
		    nng_strerror(rv) : err);
		registry_free(&reg);
		return 3;
	}
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, (nng_duration)o.timeout);
	nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, (nng_duration)o.timeout);
	hist_init(&t.h);
	for (uint64_t i = 0; i < o.count; i++)
		if ((rv = place_one(sock, &o, &reg, i, &t)) != 0)
			break;
	client_close(sock, 2000);
	place_report(&o, &reg, &t);
	registry_free(&reg);
	return rv == 0 && t.h.n == o.count ? 0 : 1;
}
