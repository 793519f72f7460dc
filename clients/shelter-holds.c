/*
 * shelter-holds.c — the receiving shelter's side of a placement:
 * `shelter-report holds | accept | decline`.
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
#include "placement.h"
#include "shelter-holds.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelter-report holds --shelter ID [--wait SECS | "
	    "--follow] [--json]\n"
	    "       shelter-report accept REQUEST_ID --shelter ID\n"
	    "       shelter-report decline REQUEST_ID --shelter ID --reason "
	    "KEY\n"
	    "A placement request held a bed in your shelter: see it, then "
	    "accept or\ndecline it before the hold expires.\n"
	    "\n"
	    "  -s, --shelter ID   your shelter\n"
	    "  -w, --wait SECS    holds: if there is none, wait up to SECS "
	    "for the next one\n"
	    "  -f, --follow       holds: print each new hold as it is made, "
	    "until stopped\n"
	    "  -r, --reason KEY   decline: why, one of no-bed, "
	    "safety-conflict,\n"
	    "                     security-level, no-match (target group "
	    "or care needs),\n"
	    "                     other (required; a closed list, so no "
	    "personal data)\n"
	    "  -j, --json         one JSON object per hold\n"
	    "  -a, --api URL      daemon api (default $SHELTERD_API or "
	    DEFAULT_API_URL ");\n"
	    "                     URL,URL,...: the next when one cannot be "
	    "reached\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -h, --help         print this help and exit\n"
	    "\n"
	    "Accepting makes the beds occupied and tells the requesting "
	    "region which\nshelter took the case. Declining moves the "
	    "request to the next candidate.\n"
	    "Exit status: 0 done, 1 refused (e.g. the request is not held by "
	    "this\nshelter), 2 bad usage, 3 daemon not reachable.\n");
}

/* Request ids of holds already printed by --follow. */
struct seen {
	char **ids;
	size_t n, cap;
};

static bool
seen_add(struct seen *s, const char *id)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->ids[i], id) == 0)
			return false;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		void *p = realloc(s->ids, cap * sizeof(*s->ids));

		if (p == NULL)
			return true; /* printing twice beats not at all */
		s->ids = p;
		s->cap = cap;
	}
	if ((s->ids[s->n] = strdup(id)) != NULL)
		s->n++;
	return true;
}

static void
print_hold(const Shelterd__V1__Placement *p, bool json)
{
	const char *cat = cat_name((int)p->category);
	char until[32];

	if (json) {
		client_print_json(json_placement(p));
		return;
	}
	client_format_time(p->hold_expires_at, until, sizeof(until));
	printf("request %s: case %s from %s, %u %s bed%s, security %u; "
	    "answer before %s\n", p->request_id, p->case_ref, p->from_region,
	    p->beds, cat ? cat : "?", p->beds == 1 ? "" : "s",
	    p->security_level, until);
}

/*
 * holds --follow: a long poll over the api (signed like every request; a
 * shelter's holds never go out on the broadcast socket). Each round waits
 * for the next new hold and prints the holds not printed before; a daemon
 * that cannot be reached is said on stderr and tried again.
 */
enum { FOLLOW_WAIT_MS = 25000 };

static int
follow_holds(const char *api, Shelterd__V1__HoldsQuery *hq, bool json,
    struct seen *seen)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	bool first = true, down = false;

	req.body_case = SHELTERD__V1__REQUEST__BODY_HOLDS;
	req.holds = hq;
	for (;;) {
		Shelterd__V1__Reply *reply;
		char err[512];
		int rc;

		/* First what there is now, then each new one as it comes. */
		hq->wait_ms = first ? 0 : FOLLOW_WAIT_MS;
		hq->wait_for_new = !first;
		rc = client_call(api, 10000 + (int)hq->wait_ms, &req, &reply,
		    err, sizeof(err));
		if (rc != EXIT_OK) {
			if (!down)
				fprintf(stderr, "shelter-report: %s (trying "
				    "again)\n", err);
			down = true;
			first = true;
			nng_msleep(2000);
			continue;
		}
		if (down)
			fprintf(stderr, "shelter-report: shelterd is back\n");
		down = false;
		if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
			fprintf(stderr, "shelter-report: refused (%s): %s\n",
			    client_code_name(reply->code), reply->error);
			shelterd__v1__reply__free_unpacked(reply, NULL);
			return EXIT_REFUSED;
		}
		if (reply->body_case == SHELTERD__V1__REPLY__BODY_PLACEMENTS)
			for (size_t i = 0; i < reply->placements->n_placements;
			    i++) {
				const Shelterd__V1__Placement *p =
				    reply->placements->placements[i];

				if (seen_add(seen, p->request_id))
					print_hold(p, json);
			}
		shelterd__v1__reply__free_unpacked(reply, NULL);
		fflush(stdout);
		first = false;
	}
}

int
shelter_holds_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "shelter", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "follow", no_argument, NULL, 'f' },
		{ "reason", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "api", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__HoldsQuery hq = SHELTERD__V1__HOLDS_QUERY__INIT;
	Shelterd__V1__PlacementAnswer ans =
	    SHELTERD__V1__PLACEMENT_ANSWER__INIT;
	Shelterd__V1__Reply *reply;
	const char *cmd = argv[0], *api = client_default_api();
	const char *shelter = NULL, *reason = NULL;
	long long wait_ms = 0;
	bool json = false, follow = false;
	struct seen seen = { 0 };
	char err[512];
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "s:w:fr:ja:hK:", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 's':
			shelter = optarg;
			break;
		case 'w':
			/* Seconds, like every other --wait. */
			if ((wait_ms = client_parse_num(optarg, 3600)) < 0)
				goto bad;
			wait_ms *= 1000;
			break;
		case 'f':
			follow = true;
			break;
		case 'r':
			reason = optarg;
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
	if (strcmp(cmd, "holds") == 0) {
		if (optind != argc || (follow && wait_ms > 0))
			goto bad;
		hq.shelter_id = (char *)shelter;
		hq.wait_ms = (uint32_t)wait_ms;
		if (follow)
			return follow_holds(api, &hq, json, &seen);
		req.body_case = SHELTERD__V1__REQUEST__BODY_HOLDS;
		req.holds = &hq;
	} else {
		if (optind + 1 != argc)
			goto bad;
		ans.accept = strcmp(cmd, "accept") == 0;
		if (!ans.accept) {
			int r = place_reason_parse(reason);

			if (!place_reason_answerable(r)) {
				fprintf(stderr, "shelter-report: decline "
				    "needs --reason no-bed, safety-conflict, "
				    "security-level, no-match or other\n");
				return EXIT_USAGE;
			}
			ans.reason = (Shelterd__V1__DeclineReason)r;
		}
		ans.request_id = argv[optind];
		ans.shelter_id = (char *)shelter;
		req.body_case = SHELTERD__V1__REQUEST__BODY_ANSWER;
		req.answer = &ans;
	}
	/* A holds --wait reply comes when the hold does: allow for it. */
	if ((rc = client_call(api, 10000 + (int)wait_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelter-report: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelter-report: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		rc = EXIT_REFUSED;
	} else if (reply->body_case ==
	    SHELTERD__V1__REPLY__BODY_PLACEMENTS) {
		for (size_t i = 0; i < reply->placements->n_placements; i++)
			print_hold(reply->placements->placements[i], json);
		if (!json && reply->placements->n_placements == 0)
			printf("no holds on %s\n", shelter);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_PLACEMENT) {
		printf("request %s: %s\n", reply->placement->request_id,
		    ans.accept ? "accepted: the beds are now occupied" :
		    "declined: it moves to the next candidate");
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return rc;
bad:
	fprintf(stderr, "shelter-report: %s: bad arguments\nTry "
	    "'shelter-report %s --help'.\n", cmd, cmd);
	return EXIT_USAGE;
}
