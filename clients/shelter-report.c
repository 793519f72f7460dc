/*
 * shelter-report — a shelter tells shelterd how many beds it has and how
 * many are taken. Returns only once the daemon has stored the report.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelter-report --shelter ID --beds CAT=CAP/OCC[/OOS]... "
	    "[OPTION]...\n"
	    "Report a shelter's beds to shelterd; returns after the daemon "
	    "has stored it.\n"
	    "\n"
	    "  -s, --shelter ID       the shelter, as in the registry "
	    "(e.g. SH-UT-003)\n"
	    "  -b, --beds CAT=CAP/OCC[/OOS]\n"
	    "                         one category: capacity, occupied and "
	    "optionally\n"
	    "                         out of service; repeat for every "
	    "category the\n"
	    "                         shelter has. CAT is women, men, minors, "
	    "highsec\n"
	    "                         or children. e.g. --beds women=12/10\n"
	    "  -S, --status STATUS    open (default), paused (no intake) or "
	    "closed;\n"
	    "                         beds of a paused or closed shelter are "
	    "not free\n"
	    "  -n, --seq N            report number, increasing per shelter "
	    "(default:\n"
	    "                         the current time in microseconds)\n"
	    "  -t, --observed-at T    when counted, unix seconds (default: "
	    "now)\n"
	    "  -a, --api URL          daemon api (default $SHELTERD_API or "
	    DEFAULT_API_URL ")\n"
	    "  -T, --timeout MS       wait at most MS for the ack (default "
	    "5000)\n"
	    "  -q, --quiet            print nothing on success\n"
	    "  -h, --help             print this help and exit\n"
	    "\n"
	    "Exit status: 0 stored (or already stored), 1 refused by the "
	    "daemon,\n"
	    "2 bad usage, 3 daemon not reachable or no answer.\n");
}

static int
parse_beds(const char *arg, Shelterd__V1__BedCount *b)
{
	char name[32];
	const char *eq = strchr(arg, '=');
	unsigned long v[3] = { 0, 0, 0 };
	int cat, n = 0;
	const char *p;
	char *end;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(name))
		return -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((cat = cat_parse(name)) < 0)
		return -2;
	for (p = eq + 1; n < 3; p = end + 1) {
		if (*p < '0' || *p > '9')
			return -1;
		v[n++] = strtoul(p, &end, 10);
		if (v[n - 1] > UINT32_MAX)
			return -1;
		if (*end == '\0')
			break;
		if (*end != '/')
			return -1;
	}
	if (n < 2 || *end != '\0')
		return -1;
	shelterd__v1__bed_count__init(b);
	b->category = (Shelterd__V1__Category)cat;
	b->capacity = (uint32_t)v[0];
	b->occupied = (uint32_t)v[1];
	b->out_of_service = (uint32_t)v[2];
	return 0;
}

static uint64_t
now_micros(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shelter", required_argument, NULL, 's' },
		{ "beds", required_argument, NULL, 'b' },
		{ "status", required_argument, NULL, 'S' },
		{ "seq", required_argument, NULL, 'n' },
		{ "observed-at", required_argument, NULL, 't' },
		{ "api", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate up = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	Shelterd__V1__BedCount beds[16], *bp[16];
	Shelterd__V1__Reply *reply;
	const char *api = client_default_api();
	long long timeout = 5000, v;
	int c, rc, quiet = 0, status;
	char err[512];

	up.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN;
	up.beds = bp;
	while ((c = getopt_long(argc, argv, "s:b:S:n:t:a:T:qh", opts,
	    NULL)) != -1) {
		switch (c) {
		case 's':
			up.shelter_id = optarg;
			break;
		case 'b':
			if (up.n_beds == 16) {
				fprintf(stderr, "shelter-report: too many "
				    "--beds\n");
				return EXIT_USAGE;
			}
			rc = parse_beds(optarg, &beds[up.n_beds]);
			if (rc == -2) {
				fprintf(stderr, "shelter-report: unknown "
				    "category in '%s': use women, men, minors, "
				    "highsec or children\n", optarg);
				return EXIT_USAGE;
			}
			if (rc != 0) {
				fprintf(stderr, "shelter-report: --beds '%s': "
				    "expected CAT=CAPACITY/OCCUPIED[/OUT_OF_"
				    "SERVICE], e.g. women=12/10\n", optarg);
				return EXIT_USAGE;
			}
			bp[up.n_beds] = &beds[up.n_beds];
			up.n_beds++;
			break;
		case 'S':
			if ((status = status_parse(optarg)) < 0) {
				fprintf(stderr, "shelter-report: --status must "
				    "be open, paused or closed\n");
				return EXIT_USAGE;
			}
			up.status = (Shelterd__V1__ShelterStatus)status;
			break;
		case 'n':
			if ((v = client_parse_num(optarg, INT64_MAX)) < 1) {
				fprintf(stderr, "shelter-report: --seq must be "
				    "a positive number\n");
				return EXIT_USAGE;
			}
			up.seq = (uint64_t)v;
			break;
		case 't':
			if ((v = client_parse_num(optarg, INT64_MAX)) < 0) {
				fprintf(stderr, "shelter-report: --observed-at "
				    "must be unix seconds\n");
				return EXIT_USAGE;
			}
			up.observed_at = v;
			break;
		case 'a':
			api = optarg;
			break;
		case 'T':
			if ((timeout = client_parse_num(optarg,
			    3600000)) < 1) {
				fprintf(stderr, "shelter-report: --timeout "
				    "must be milliseconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'shelter-report --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc || up.shelter_id[0] == '\0' || up.n_beds == 0) {
		fprintf(stderr, "shelter-report: need --shelter and at least "
		    "one --beds\nTry 'shelter-report --help'.\n");
		return EXIT_USAGE;
	}
	if (up.seq == 0)
		up.seq = now_micros();
	if (up.observed_at == 0)
		up.observed_at = (int64_t)time(NULL);
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &up;

	if ((rc = client_call(api, (int)timeout, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelter-report: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelter-report: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	if (reply->body_case == SHELTERD__V1__REPLY__BODY_ACK) {
		for (size_t i = 0; i < reply->ack->n_warnings; i++)
			fprintf(stderr, "shelter-report: warning: %s\n",
			    reply->ack->warnings[i]);
		if (!quiet)
			printf("%s seq %" PRIu64 ": %s\n", up.shelter_id,
			    up.seq, reply->ack->duplicate ?
			    "already stored, not applied again" : "stored");
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}
