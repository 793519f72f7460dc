/*
 * shelter-reserve.c — a shelter's side of contingency reserve beds
 * (docs/registry.md): see the activations that ask it to open reserve
 * beds, then confirm some or refuse.
 */
#include <getopt.h>
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "shelter-reserve.h"

/* --follow asks again this often: activations are rare, and a shelter's
 * requests never go out on the broadcast socket. */
enum { FOLLOW_POLL_MS = 5000 };

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelter-report reserve --shelter ID [--follow] [--json]\n"
	    "       shelter-report reserve confirm ACTIVATION --shelter ID "
	    "--beds N\n"
	    "       shelter-report reserve refuse ACTIVATION --shelter ID\n"
	    "The national coordinator asked the shelters of your region with "
	    "reserve\nbeds to open some: see the requests, then confirm how "
	    "many you open,\nor refuse. Once per request.\n"
	    "\n"
	    "  -s, --shelter ID   your shelter\n"
	    "  -n, --beds N       confirm: beds you open (up to your reserve "
	    "within 72 h)\n"
	    "  -f, --follow       print each new request as it comes (asks "
	    "every 5 s),\n"
	    "                     until stopped\n"
	    "  -j, --json         one JSON object per request\n"
	    "  -a, --api URL      daemon api (default $SHELTERD_API or "
	    DEFAULT_API_URL ")\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -h, --help         print this help and exit\n"
	    "\n"
	    "Exit status: 0 done, 1 refused, 2 bad usage, 3 daemon not "
	    "reachable.\n");
}

static void
print_request(const Shelterd__V1__ReserveActivation *a, bool json)
{
	char until[32];

	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "activation_id",
		    (double)a->activation_id);
		cJSON_AddStringToObject(o, "region", a->region_id);
		cJSON_AddStringToObject(o, "category",
		    cat_name((int)a->category));
		cJSON_AddNumberToObject(o, "beds", a->beds);
		cJSON_AddItemToObject(o, "until", json_time(a->until));
		cJSON_AddStringToObject(o, "reason", a->reason);
		cJSON_AddBoolToObject(o, "answered", a->answered);
		cJSON_AddBoolToObject(o, "confirmed", a->confirmed);
		cJSON_AddNumberToObject(o, "confirmed_beds",
		    a->confirmed_beds);
		client_print_json(o);
		return;
	}
	client_format_time(a->until, until, sizeof(until));
	printf("activation %" PRIu64 ": %u %s beds in %s until %s (%s)%s",
	    a->activation_id, a->beds, cat_name((int)a->category),
	    a->region_id, until, a->reason, a->answered ? "; you " : "\n");
	if (a->answered && a->confirmed)
		printf("confirmed %u\n", a->confirmed_beds);
	else if (a->answered)
		printf("refused\n");
}

/* The requests now; with seen, only those not printed before. */
static int
list(const char *api, const char *shelter, bool json, uint64_t **seen,
    size_t *n_seen, bool quiet_down)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ReserveQuery rq = SHELTERD__V1__RESERVE_QUERY__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];
	int rc;

	rq.shelter_id = (char *)shelter;
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_QUERY;
	req.reserve_query = &rq;
	if ((rc = client_call(api, 10000, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		if (!quiet_down)
			fprintf(stderr, "shelter-report: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_RESERVE_LIST) {
		fprintf(stderr, "shelter-report: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	for (size_t i = 0; i < reply->reserve_list->n_activations; i++) {
		const Shelterd__V1__ReserveActivation *a =
		    reply->reserve_list->activations[i];
		bool old = false;

		for (size_t k = 0; seen != NULL && k < *n_seen; k++)
			old = old || (*seen)[k] == a->activation_id;
		if (old)
			continue;
		if (seen != NULL) {
			uint64_t *p = realloc(*seen, (*n_seen + 1) *
			    sizeof(**seen));

			if (p != NULL) {
				*seen = p;
				(*seen)[(*n_seen)++] = a->activation_id;
			}
		}
		print_request(a, json);
	}
	if (seen == NULL && !json && reply->reserve_list->n_activations == 0)
		printf("no reserve requests for %s\n", shelter);
	shelterd__v1__reply__free_unpacked(reply, NULL);
	fflush(stdout);
	return EXIT_OK;
}

static int
follow(const char *api, const char *shelter, bool json)
{
	uint64_t *seen = NULL;
	size_t n = 0;
	bool down = false;

	for (;;) {
		int rc = list(api, shelter, json, &seen, &n, down);

		if (rc == EXIT_REFUSED) {
			free(seen);
			return rc;
		}
		if (rc != EXIT_OK && !down)
			fprintf(stderr, "shelter-report: trying again\n");
		else if (rc == EXIT_OK && down)
			fprintf(stderr, "shelter-report: shelterd is back\n");
		down = rc != EXIT_OK;
		nng_msleep(FOLLOW_POLL_MS);
	}
}

static int
answer(const char *api, const char *shelter, const char *id_text,
    bool confirm, long long beds)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ReserveAnswer ra = SHELTERD__V1__RESERVE_ANSWER__INIT;
	Shelterd__V1__Reply *reply;
	long long id = client_parse_num(id_text, INT64_MAX);
	char err[512];
	int rc;

	if (id < 1 || (confirm && beds < 0)) {
		fprintf(stderr, "shelter-report: reserve %s needs an "
		    "ACTIVATION number%s\n", confirm ? "confirm" : "refuse",
		    confirm ? " and --beds N" : "");
		return EXIT_USAGE;
	}
	ra.activation_id = (uint64_t)id;
	ra.shelter_id = (char *)shelter;
	ra.confirm = confirm;
	ra.beds = confirm ? (uint32_t)beds : 0;
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_ANSWER;
	req.reserve_answer = &ra;
	if ((rc = client_call(api, 10000, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelter-report: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelter-report: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		rc = EXIT_REFUSED;
	} else if (confirm) {
		printf("activation %lld: confirmed %lld beds\n", id, beds);
	} else {
		printf("activation %lld: refused\n", id);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return rc;
}

int
shelter_reserve_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shelter", required_argument, NULL, 's' },
		{ "beds", required_argument, NULL, 'n' },
		{ "follow", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "api", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *api = client_default_api(), *shelter = NULL;
	long long beds = -1;
	bool json = false, follow_ = false;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:n:fja:hK:", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 's':
			shelter = optarg;
			break;
		case 'n':
			if ((beds = client_parse_num(optarg, 100000)) < 0)
				goto bad;
			break;
		case 'f':
			follow_ = true;
			break;
		case 'j':
			json = true;
			break;
		case 'a':
			api = optarg;
			break;
		case 'K':
			client_set_key(optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			goto bad;
		}
	}
	if (shelter == NULL)
		goto bad;
	if (optind == argc)
		return follow_ ? follow(api, shelter, json) :
		    list(api, shelter, json, NULL, NULL, false);
	if (optind + 2 == argc && strcmp(argv[optind], "confirm") == 0)
		return answer(api, shelter, argv[optind + 1], true, beds);
	if (optind + 2 == argc && strcmp(argv[optind], "refuse") == 0)
		return answer(api, shelter, argv[optind + 1], false, 0);
bad:
	fprintf(stderr, "shelter-report: reserve: bad arguments\nTry "
	    "'shelter-report reserve --help'.\n");
	return EXIT_USAGE;
}
