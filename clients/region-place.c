/*
 * region-place — a regional care coordinator asks shelterd for a bed
 * outside the region, follows the request and cancels it.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "placement.h"

enum { EXIT_PENDING = 4 };

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: region-place request --region ID --category CAT "
	    "--case-ref REF [OPTION]...\n"
	    "       region-place status REQUEST_ID\n"
	    "       region-place cancel REQUEST_ID\n"
	    "Ask shelterd for a supra-regional placement and follow it.\n"
	    "\n"
	    "request: the daemon holds the best bed outside your region and "
	    "the receiving\n"
	    "shelter answers; this waits for the outcome and prints it.\n"
	    "  -r, --region ID        the requesting region (e.g. VR09)\n"
	    "  -c, --category CAT     women, men, minors, highsec or "
	    "children\n"
	    "  -C, --case-ref REF     your pseudonymous case reference, e.g. "
	    "VR09-2026-0042\n"
	    "                         (never a name or a date of birth)\n"
	    "  -b, --beds N           beds needed together (default 1)\n"
	    "  -s, --security N       at least this security level, 0-3 "
	    "(default 0)\n"
	    "  -x, --exclude ID       never in this region (repeatable), e.g. "
	    "where\n"
	    "                         the exploiters are\n"
	    "  -u, --urgency U        normal (default), high or immediate\n"
	    "  -o, --allow-own-region also consider your own region\n"
	    "  -i, --request-id ID    choose the id (default: generated); "
	    "re-sending the\n"
	    "                         same request with the same id is safe\n"
	    "  -n, --no-wait          print the request id and the state, "
	    "do not wait\n"
	    "  -w, --wait SECS        wait at most SECS for the outcome "
	    "(default 600)\n"
	    "  -p, --progress SECS    while waiting, say on stderr every SECS "
	    "where the\n"
	    "                         request stands (default 30; 0: only "
	    "changes)\n"
	    "  -I, --cancel-on-interrupt\n"
	    "                         on Ctrl-C (SIGINT) or SIGTERM, cancel "
	    "the request\n"
	    "                         (default: leave it open and say where "
	    "it stands)\n"
	    "Common options:\n"
	    "  -j, --json             JSON output\n"
	    "  -a, --api URL          daemon api (default $SHELTERD_API or\n"
	    "                         " DEFAULT_API_URL "); URL,URL,...: the "
	    "next when\n"
	    "                         one cannot be reached\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -h, --help             print this help and exit\n"
	    "\n"
	    "Until the receiving shelter accepts, you see only how far the "
	    "held bed is\n"
	    "(your own region, a neighbouring one, farther, or another "
	    "region where\n"
	    "fewer would name the shelter); the region and the shelter are "
	    "named once\n"
	    "it has accepted. A held bed waits for its shelter's answer until "
	    "the hold\n"
	    "deadline ([placement] hold_ttl_secs), then the next shelter is "
	    "asked;\n"
	    "stopping region-place does not stop the request.\n"
	    "Exit status: 0 accepted (or, with --no-wait, requested), 1 "
	    "refused,\nunplaced or cancelled, 2 bad usage, 3 daemon not "
	    "reachable, 4 still\nwaiting for an answer when --wait ran "
	    "out or on Ctrl-C.\n");
}

static const char *
state_name(int state)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &shelterd__v1__placement_state__descriptor, state);

	/* "PLACEMENT_STATE_HELD" -> "HELD" */
	return v ? v->name + 16 : "UNKNOWN";
}

static bool
is_final(int state)
{
	return state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_ACCEPTED
	    || state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_UNPLACED
	    || state ==
	    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_CANCELLED;
}

static void
print_placement(const Shelterd__V1__Placement *p, bool json)
{
	const char *cat = cat_name((int)p->category);

	if (json) {
		client_print_json(json_placement(p));
		return;
	}
	printf("request %s (case %s, %u %s bed%s from %s): %s", p->request_id,
	    p->case_ref, p->beds, cat ? cat : "?", p->beds == 1 ? "" : "s",
	    p->from_region, state_name(p->state));
	/* Before the shelter accepts, a region learns only how far. */
	if (p->state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD)
		printf(": a bed is held %s%s, waiting for the shelter's "
		    "answer", *p->held_region ? "in " : "",
		    *p->held_region ? p->held_region :
		    proximity_label((int)p->held_proximity));
	else if (p->state ==
	    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_ACCEPTED)
		printf(" by shelter %s in %s", p->shelter_id, p->held_region);
	else if (p->state ==
	    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_UNPLACED)
		printf(": no suitable bed; the national coordinator is "
		    "alerted");
	/* Held or accepted in contingency reserve beds the national
	 * coordinator had opened. */
	if (p->in_reserve)
		printf(" (a reserve bed)");
	if (p->candidates_tried > 0)
		printf(" (%u shelter%s declined or did not answer)",
		    p->candidates_tried, p->candidates_tried == 1 ? "" : "s");
	printf("\n");
	fflush(stdout);
}

/* Send req; on success *out is the reply (caller frees). Exit status. */
static int
call(const char *api, const Shelterd__V1__Request *req,
    Shelterd__V1__Reply **out)
{
	char err[512];
	int rc;

	if ((rc = client_call(api, 10000, req, out, err, sizeof(err))) !=
	    EXIT_OK) {
		fprintf(stderr, "region-place: %s\n", err);
		return rc;
	}
	if ((*out)->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "region-place: refused (%s): %s\n",
		    client_code_name((*out)->code), (*out)->error);
		shelterd__v1__reply__free_unpacked(*out, NULL);
		*out = NULL;
		return EXIT_REFUSED;
	}
	if ((*out)->body_case != SHELTERD__V1__REPLY__BODY_PLACEMENT) {
		fprintf(stderr, "region-place: unexpected answer\n");
		shelterd__v1__reply__free_unpacked(*out, NULL);
		*out = NULL;
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

static int
query(const char *api, const char *id, Shelterd__V1__Reply **out)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlacementQuery q = SHELTERD__V1__PLACEMENT_QUERY__INIT;

	q.request_id = (char *)id;
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLACEMENT;
	req.placement = &q;
	return call(api, &req, out);
}

/* Set by SIGINT/SIGTERM while a request is followed; the loop reads it. */
static volatile sig_atomic_t interrupted;

static void
on_interrupt(int sig)
{
	interrupted = sig;
}

/* The first Ctrl-C is ours (say where the request stands, maybe cancel
 * it); SA_RESETHAND lets a second one end the program at once. */
static void
catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_interrupt;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* "18:04:05Z" of a unix time, or "?" */
static void
clock_text(long long t, char *buf, size_t len)
{
	char full[32];

	client_format_time(t, full, sizeof(full));
	snprintf(buf, len, "%s", t > 0 ? full + 11 : "?");
}

/* What a held or requested placement waits for, on stderr. */
static void
say_waiting(const Shelterd__V1__Placement *p, long long waited,
    long long left)
{
	char until[32];

	if (p->state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD) {
		clock_text(p->hold_expires_at, until, sizeof(until));
		fprintf(stderr, "region-place: %s: a bed is held in %s until "
		    "%s (%lld s more) for the shelter's answer; waited %lld "
		    "s, waiting %lld s more\n", p->request_id, p->held_region,
		    until, (long long)p->hold_expires_at - (long long)time(
		    NULL), waited, left);
	} else {
		fprintf(stderr, "region-place: %s: %s, no bed held yet; "
		    "waited %lld s, waiting %lld s more\n", p->request_id,
		    state_name(p->state), waited, left);
	}
}

/* Interrupted: where the request stands, and cancel it when asked. */
static int
interrupt(const char *api, const char *id, bool cancel, bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlacementCancel pc =
	    SHELTERD__V1__PLACEMENT_CANCEL__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__Placement *p;
	char until[32];
	int rc;

	if ((rc = query(api, id, &reply)) != EXIT_OK) {
		fprintf(stderr, "region-place: interrupted; request %s is "
		    "in the daemon's hands and its state is not known: "
		    "region-place status %s\n", id, id);
		return rc;
	}
	p = reply->placement;
	if (is_final(p->state)) {
		print_placement(p, json);
		rc = p->state ==
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_ACCEPTED ?
		    EXIT_OK : EXIT_REFUSED;
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return rc;
	}
	if (cancel) {
		char where[80] = "";

		if (p->state ==
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD)
			snprintf(where, sizeof(where), "; the bed held in %s "
			    "is free again", p->held_region);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		pc.request_id = (char *)id;
		req.body_case = SHELTERD__V1__REQUEST__BODY_CANCEL;
		req.cancel = &pc;
		if ((rc = call(api, &req, &reply)) != EXIT_OK) {
			fprintf(stderr, "region-place: interrupted; request "
			    "%s could not be cancelled (above): it is still "
			    "open\n", id);
			return rc;
		}
		print_placement(reply->placement, json);
		if (reply->placement->state ==
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_CANCELLED)
			fprintf(stderr, "region-place: interrupted: request "
			    "%s cancelled%s\n", id, where);
		rc = reply->placement->state ==
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_ACCEPTED ?
		    EXIT_OK : EXIT_REFUSED;
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return rc;
	}
	if (p->state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_HELD) {
		clock_text(p->hold_expires_at, until, sizeof(until));
		fprintf(stderr, "region-place: interrupted; request %s is "
		    "still open: a bed stays held in %s until %s for the "
		    "shelter's answer, then the next shelter is asked. "
		    "Follow it: region-place status %s; give it up: "
		    "region-place cancel %s\n", id, p->held_region, until,
		    id, id);
	} else {
		fprintf(stderr, "region-place: interrupted; request %s is "
		    "still open (%s): shelterd keeps looking for a bed. "
		    "Follow it: region-place status %s; give it up: "
		    "region-place cancel %s\n", id, state_name(p->state), id,
		    id);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_PENDING;
}

/*
 * Wait for a final state, printing each change, saying every progress_s
 * where the request stands (stderr) and, on SIGINT or SIGTERM, what
 * happens to it.
 */
static int
follow(const char *api, Shelterd__V1__Reply *reply, long long wait_s,
    long long progress_s, bool cancel, bool json)
{
	nng_time start = nng_clock();
	nng_time deadline = start + (nng_time)wait_s * 1000;
	nng_time next_note = start + (nng_time)progress_s * 1000;
	char id[64];
	int last = -1, rc;

	snprintf(id, sizeof(id), "%s", reply->placement->request_id);
	for (;;) {
		int state = reply->placement->state;
		nng_time now = nng_clock();

		if (state != last) {
			print_placement(reply->placement, json);
			if (!is_final(state))
				say_waiting(reply->placement,
				    (long long)(now - start) / 1000, wait_s -
				    (long long)(now - start) / 1000);
		} else if (progress_s > 0 && now >= next_note &&
		    now < deadline) {
			say_waiting(reply->placement,
			    (long long)(now - start) / 1000, wait_s -
			    (long long)(now - start) / 1000);
			next_note = now + (nng_time)progress_s * 1000;
		}
		last = state;
		shelterd__v1__reply__free_unpacked(reply, NULL);
		if (is_final(state))
			return state == SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_ACCEPTED
			    ? EXIT_OK : EXIT_REFUSED;
		if (interrupted)
			return interrupt(api, id, cancel, json);
		if (now >= deadline) {
			fprintf(stderr, "region-place: still %s after %lld "
			    "s; the request stays open; follow it with: "
			    "region-place status %s\n", state_name(state),
			    wait_s, id);
			return EXIT_PENDING;
		}
		/* Short sleeps: Ctrl-C is answered within 100 ms. */
		for (int i = 0; i < 5 && !interrupted; i++)
			nng_msleep(100);
		if (interrupted)
			return interrupt(api, id, cancel, json);
		if ((rc = query(api, id, &reply)) != EXIT_OK)
			return rc;
	}
}

/* The command line: the placement request and what to do with it. */
struct opts {
	Shelterd__V1__PlacementRequest pr;
	char *exclude[32];
	const char *api;
	const char *cmd;      /* request, status or cancel */
	const char *id;       /* status and cancel: the request id */
	long long wait_s;
	long long progress_s;
	bool json;
	bool no_wait;
	bool cancel_on_interrupt;
};

static int
urgency_parse(const char *s)
{
	if (strcmp(s, "normal") == 0)
		return SHELTERD__V1__URGENCY__URGENCY_NORMAL;
	if (strcmp(s, "high") == 0)
		return SHELTERD__V1__URGENCY__URGENCY_HIGH;
	if (strcmp(s, "immediate") == 0)
		return SHELTERD__V1__URGENCY__URGENCY_IMMEDIATE;
	return -1;
}

/*
 * One option of the PlacementRequest itself into o->pr: 0 when taken, 1
 * when c is not one of them, EXIT_USAGE (said) when its value is wrong.
 */
static int
request_opt(int c, const char *arg, struct opts *o)
{
	Shelterd__V1__PlacementRequest *pr = &o->pr;
	long long v;

	switch (c) {
	case 'r':
		pr->from_region = (char *)arg;
		return 0;
	case 'c':
		if ((v = cat_parse(arg)) < 0) {
			fprintf(stderr, "region-place: unknown category '%s': "
			    "use women, men, minors, highsec or children\n",
			    arg);
			return EXIT_USAGE;
		}
		pr->category = (Shelterd__V1__Category)v;
		return 0;
	case 'C':
		pr->case_ref = (char *)arg;
		return 0;
	case 'b':
		/* The daemon checks the range. */
		if ((v = client_parse_num(arg, 1000)) < 0)
			break;
		pr->beds = (uint32_t)v;
		return 0;
	case 's':
		if ((v = client_parse_num(arg, 1000)) < 0)
			break;
		pr->security_level = (uint32_t)v;
		return 0;
	case 'x':
		if (pr->n_exclude_regions == 32)
			break;
		o->exclude[pr->n_exclude_regions++] = (char *)arg;
		return 0;
	case 'u':
		if ((v = urgency_parse(arg)) < 0)
			break;
		pr->urgency = (Shelterd__V1__Urgency)v;
		return 0;
	case 'o':
		pr->allow_own_region = true;
		return 0;
	case 'i':
		pr->request_id = (char *)arg;
		return 0;
	default:
		return 1;
	}
	fprintf(stderr, "region-place: bad arguments\nTry 'region-place "
	    "--help'.\n");
	return EXIT_USAGE;
}

/* Fill o from argv; returns an exit code, or -1 to go on. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "category", required_argument, NULL, 'c' },
		{ "case-ref", required_argument, NULL, 'C' },
		{ "beds", required_argument, NULL, 'b' },
		{ "security", required_argument, NULL, 's' },
		{ "exclude", required_argument, NULL, 'x' },
		{ "urgency", required_argument, NULL, 'u' },
		{ "allow-own-region", no_argument, NULL, 'o' },
		{ "request-id", required_argument, NULL, 'i' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ "wait", required_argument, NULL, 'w' },
		{ "progress", required_argument, NULL, 'p' },
		{ "cancel-on-interrupt", no_argument, NULL, 'I' },
		{ "json", no_argument, NULL, 'j' },
		{ "api", required_argument, NULL, 'a' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Shelterd__V1__PlacementRequest *pr = &o->pr;
	int c, rc;

	while ((c = getopt_long(argc, argv, "r:c:C:b:s:x:u:oi:nw:p:Ija:hK:",
	    longopts, NULL)) != -1) {
		if ((rc = request_opt(c, optarg, o)) == 0)
			continue;
		if (rc == EXIT_USAGE)
			return EXIT_USAGE;
		switch (c) {
		case 'n':
			o->no_wait = true;
			break;
		case 'w':
			if ((o->wait_s = client_parse_num(optarg, 86400)) < 0)
				goto bad;
			break;
		case 'p':
			if ((o->progress_s = client_parse_num(optarg,
			    86400)) < 0)
				goto bad;
			break;
		case 'I':
			o->cancel_on_interrupt = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'a':
			o->api = optarg;
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
	if (optind >= argc)
		goto bad;
	o->cmd = argv[optind++];
	if (strcmp(o->cmd, "status") == 0 || strcmp(o->cmd, "cancel") == 0) {
		if (optind + 1 != argc)
			goto bad;
		o->id = argv[optind];
		return -1;
	}
	if (strcmp(o->cmd, "request") != 0 || optind != argc)
		goto bad;
	if (pr->from_region[0] == '\0' || pr->category == 0 ||
	    pr->case_ref[0] == '\0') {
		fprintf(stderr, "region-place: request needs --region, "
		    "--category and --case-ref\n");
		return EXIT_USAGE;
	}
	return -1;
bad:
	fprintf(stderr, "region-place: bad arguments\nTry 'region-place "
	    "--help'.\n");
	return EXIT_USAGE;
}

/* region-place status ID, or cancel ID: one call, one line. */
static int
status_or_cancel(const struct opts *o)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlacementCancel pc =
	    SHELTERD__V1__PLACEMENT_CANCEL__INIT;
	Shelterd__V1__Reply *reply;
	int rc;

	if (strcmp(o->cmd, "status") == 0)
		rc = query(o->api, o->id, &reply);
	else {
		pc.request_id = (char *)o->id;
		req.body_case = SHELTERD__V1__REQUEST__BODY_CANCEL;
		req.cancel = &pc;
		rc = call(o->api, &req, &reply);
	}
	if (rc == EXIT_OK) {
		print_placement(reply->placement, o->json);
		shelterd__v1__reply__free_unpacked(reply, NULL);
	}
	return rc;
}

/* region-place request: ask for a bed, then follow it unless --no-wait. */
static int
request(struct opts *o)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__Reply *reply;
	char idbuf[64];
	int rc;

	if (o->pr.request_id[0] == '\0') {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(idbuf, sizeof(idbuf), "%s-%lld%03ld",
		    o->pr.from_region, (long long)ts.tv_sec,
		    ts.tv_nsec / 1000000);
		o->pr.request_id = idbuf;
	}
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLACE;
	req.place = &o->pr;
	if (!o->no_wait) {
		const char *cat = cat_name((int)o->pr.category);

		/* Said first: until an answer comes this looks like a hang. */
		fprintf(stderr, "region-place: request %s: asking shelterd "
		    "for %u %s bed%s; waiting up to %lld s (--wait) until a "
		    "shelter accepts. A held bed waits for its shelter's "
		    "answer until its hold deadline, then the next shelter "
		    "is asked. Ctrl-C stops waiting and %s.\n",
		    o->pr.request_id, o->pr.beds, cat ? cat : "?",
		    o->pr.beds == 1 ? "" : "s", o->wait_s,
		    o->cancel_on_interrupt ? "cancels the request" :
		    "leaves the request open (--cancel-on-interrupt cancels "
		    "it)");
		catch_interrupts();
	}
	if ((rc = call(o->api, &req, &reply)) != EXIT_OK)
		return rc;
	if (o->no_wait) {
		print_placement(reply->placement, o->json);
		rc = reply->placement->state ==
		    SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_UNPLACED ?
		    EXIT_REFUSED : EXIT_OK;
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return rc;
	}
	return follow(o->api, reply, o->wait_s, o->progress_s,
	    o->cancel_on_interrupt, o->json);
}

int
main(int argc, char **argv)
{
	struct opts o = {
		.pr = SHELTERD__V1__PLACEMENT_REQUEST__INIT,
		.api = client_default_api(),
		.wait_s = 600,
		.progress_s = 30,
	};
	int rc;

	client_set_prog("region-place");
	o.pr.beds = 1;
	o.pr.exclude_regions = o.exclude;
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	if (strcmp(o.cmd, "request") == 0)
		return request(&o);
	return status_or_cancel(&o);
}
