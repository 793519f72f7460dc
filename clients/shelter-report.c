/*
 * shelter-report — a shelter tells shelterd how many beds it has and how
 * many are taken. Returns only once the daemon has stored the report; when
 * the daemon cannot be reached, the report waits in a local outbox (see
 * outbox.h) and a later run delivers it, so nobody types it twice.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "shelter-holds.h"
#include "shelter-reserve.h"
#include "outbox.h"
#include "validate.h"

/* Not delivered yet, but safe in the outbox: a status of its own, so that
 * a script can tell it from "lost" (3) and from "stored" (0). */
enum { EXIT_QUEUED = 4 };

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelter-report --shelter ID --beds CAT=CAP/OCC[/OOS]... "
	    "[OPTION]...\n"
	    "       shelter-report flush [--outbox FILE] [--api URL] "
	    "[--timeout MS] [-q]\n"
	    "       shelter-report outbox [--outbox FILE]\n"
	    "Report a shelter's beds to shelterd; returns after the daemon "
	    "has stored it.\n"
	    "When shelterd cannot be reached, the report waits in a local "
	    "outbox and is\n"
	    "delivered, in order, by the next report or by "
	    "'shelter-report flush'.\n"
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
	    "  -e, --expect CAT=N24[/N72]\n"
	    "                         outflow forecast for a category given "
	    "with --beds:\n"
	    "                         beds now taken that are expected free "
	    "within 24 h\n"
	    "                         and within 72 h (N72 includes N24; "
	    "default N24).\n"
	    "                         e.g. --expect women=2/3; women=0 says "
	    "none\n"
	    "  -r, --reserve CAT=N24[/N72]\n"
	    "                         contingency reserve beds for a "
	    "category given with\n"
	    "                         --beds: beds the shelter could open "
	    "on request within\n"
	    "                         24 h and within 72 h (N72 includes "
	    "N24; default N24),\n"
	    "                         in place of the registry's "
	    "reserves.csv figures until\n"
	    "                         a later --reserve; e.g. --reserve "
	    "women=2/5;\n"
	    "                         women=0 says none now\n"
	    "  -S, --status STATUS    open (default), paused (no intake) or "
	    "closed;\n"
	    "                         beds of a paused or closed shelter are "
	    "not free\n"
	    "  -n, --seq N            report number, increasing per shelter "
	    "(default:\n"
	    "                         the current time in microseconds)\n"
	    "  -t, --observed-at T    when counted, unix seconds (default: "
	    "now)\n"
	    "  -a, --api URL          daemon api (default $SHELTERD_API "
	    "or\n"
	    "                         " DEFAULT_API_URL "); URL,URL,...: "
	    "the next\n"
	    "                         when one cannot be reached\n"
	    "  -T, --timeout MS       wait at most MS for each ack (default "
	    "5000)\n"
	    "  -o, --outbox FILE      where undelivered reports wait "
	    "(default\n"
	    "                         $SHELTERD_OUTBOX, else "
	    "$XDG_STATE_HOME/shelterd/outbox\n"
	    "                         or ~/.local/state/shelterd/outbox); "
	    "one outbox can\n"
	    "                         hold the reports of several shelters\n"
	    "  -N, --no-outbox        neither deliver nor keep queued "
	    "reports: when\n"
	    "                         shelterd cannot be reached, exit 3\n"
	    "  -q, --quiet            print nothing on success\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -h, --help             print this help and exit\n"
	    "\n"
	    "Commands:\n"
	    "  flush                  deliver the queued reports, oldest "
	    "first, and exit\n"
	    "  outbox                 list the reports that wait and those "
	    "shelterd refused\n"
	    "  holds, accept, decline answer placement holds on your "
	    "shelter (see\n"
	    "                         'shelter-report holds --help')\n"
	    "  reserve                see and answer requests to open "
	    "reserve beds (see\n"
	    "                         'shelter-report reserve --help')\n"
	    "\n"
	    "Every run first delivers what waits in the outbox, oldest first, "
	    "then sends\n"
	    "its own report. A queued report that shelterd refuses for a "
	    "fault of its own\n"
	    "(STALE_SEQ: a newer one is stored; SEQ_CONFLICT; BAD_REQUEST; "
	    "UNKNOWN_SHELTER;\n"
	    "UNKNOWN_CATEGORY) can never be stored: it moves, with the "
	    "reply, to\n"
	    "FILE.rejected/ beside the outbox. Any other answer "
	    "(UNAUTHENTICATED,\n"
	    "FORBIDDEN, BUSY, STORE_FULL, INTERNAL, TOO_LARGE) leaves it "
	    "queued, with\n"
	    "the reason: the operator can fix those. So does a fresh "
	    "report's.\n"
	    "\n"
	    "Exit status: 0 stored (or already stored), and so was everything "
	    "queued;\n"
	    "1 refused by the daemon (this report, or a queued one that was "
	    "rejected);\n"
	    "2 bad usage; 3 daemon not reachable or no answer, and the "
	    "report is not\n"
	    "queued (--no-outbox, or the outbox cannot be written); 4 queued: "
	    "not yet\n"
	    "delivered, the next report or 'shelter-report flush' will "
	    "deliver it.\n"
	    "flush: 0 the outbox is empty, 1 some were rejected (or the "
	    "outbox cannot be\n"
	    "written), 4 reports still wait (daemon not reachable, or it "
	    "could not store).\n"
	    "outbox: 0 listed (even when some wait), 1 the outbox cannot "
	    "be read.\n");
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

/* --expect CAT=N24[/N72]: 0, -1 bad syntax, -2 unknown category. */
static int
parse_expect(const char *arg, int *cat, uint32_t *e24, uint32_t *e72)
{
	char name[32];
	const char *eq = strchr(arg, '=');
	unsigned long v[2];
	char *end;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(name))
		return -1;
	memcpy(name, arg, (size_t)(eq - arg));
	name[eq - arg] = '\0';
	if ((*cat = cat_parse(name)) < 0)
		return -2;
	if (eq[1] < '0' || eq[1] > '9')
		return -1;
	v[0] = v[1] = strtoul(eq + 1, &end, 10);
	if (*end == '/') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		v[1] = strtoul(end + 1, &end, 10);
	}
	if (*end != '\0' || v[0] > UINT32_MAX || v[1] > UINT32_MAX)
		return -1;
	*e24 = (uint32_t)v[0];
	*e72 = (uint32_t)v[1];
	return 0;
}

static uint64_t
now_micros(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* What delivering the outbox came to. */
struct delivery {
	size_t delivered, rejected;
	int stopped; /* the rest waits: no daemon, or it could not store */
	char why[512];
};

static void
print_ack(const Shelterd__V1__OccupancyUpdate *up,
    const Shelterd__V1__Reply *reply, int queued, int quiet)
{
	char when[32] = "";

	if (reply->body_case != SHELTERD__V1__REPLY__BODY_ACK)
		return;
	for (size_t i = 0; i < reply->ack->n_warnings; i++)
		fprintf(stderr, "shelter-report: warning: %s\n",
		    reply->ack->warnings[i]);
	if (quiet)
		return;
	/* A queued report is days old, maybe: say which count it was. */
	if (queued)
		client_format_time(up->observed_at, when, sizeof(when));
	printf("%s seq %" PRIu64 ": %s%s%s%s\n", up->shelter_id, up->seq,
	    reply->ack->duplicate ? "already stored, not applied again" :
	    "stored", queued ? " (from the outbox, counted " : "", when,
	    queued ? ")" : "");
}

/*
 * Deliver the outbox, oldest first, saving it after each report so that a
 * crash re-sends at most one (which the daemon then acknowledges as a
 * repeat). Stops at the first report that may still be stored later.
 * Returns 0, or -1 when the outbox cannot be written (reason in d->why).
 */
static int
deliver(struct outbox *ob, const char *api, int timeout, int quiet,
    struct delivery *d)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];

	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	while (ob->n > 0) {
		Shelterd__V1__OccupancyUpdate *up = ob->v[0].up;

		req.update = up;
		if (client_call(api, timeout, &req, &reply, err,
		    sizeof(err)) != EXIT_OK) {
			snprintf(d->why, sizeof(d->why), "%s", err);
			d->stopped = 1;
			return 0;
		}
		if (reply->code == SHELTERD__V1__CODE__CODE_OK) {
			print_ack(up, reply, 1, quiet);
			d->delivered++;
		} else if (!validate_refusal_is_final(reply->code)) {
			/* The daemon's state or ours (key, clock, a full
			 * store or cache), not the report's: it may well be
			 * stored once that is fixed. The ones after it wait
			 * too, to stay in order. */
			snprintf(d->why, sizeof(d->why), "shelterd did not "
			    "store queued report %s seq %" PRIu64 " (%s): %s; "
			    "it stays queued", up->shelter_id, up->seq,
			    client_code_name(reply->code), reply->error);
			shelterd__v1__reply__free_unpacked(reply, NULL);
			d->stopped = 1;
			return 0;
		} else {
			if (outbox_reject_oldest(ob,
			    client_code_name(reply->code), reply->error,
			    d->why, sizeof(d->why)) != 0) {
				shelterd__v1__reply__free_unpacked(reply,
				    NULL);
				return -1;
			}
			fprintf(stderr, "shelter-report: rejected queued "
			    "report %s seq %" PRIu64 ": refused (%s): %s; "
			    "kept in %s.rejected/\n", up->shelter_id, up->seq,
			    client_code_name(reply->code), reply->error,
			    ob->path);
			d->rejected++;
		}
		shelterd__v1__reply__free_unpacked(reply, NULL);
		outbox_shift(ob);
		if (outbox_save(ob, d->why, sizeof(d->why)) != 0)
			return -1;
	}
	return 0;
}

static const char *
reports(size_t n)
{
	return n == 1 ? "report waits" : "reports wait";
}

static void
say_damaged(const struct outbox *ob)
{
	if (ob->damaged > 0)
		fprintf(stderr, "shelter-report: %zu line(s) of %s were not "
		    "reports: moved to %s.damaged\n", ob->damaged, ob->path,
		    ob->path);
}

static int
flush(const char *path, const char *api, int timeout, int quiet)
{
	struct delivery d = { 0, 0, 0, "" };
	struct outbox ob;
	char err[512];
	int rc;

	if (outbox_open(&ob, path, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelter-report: %s\n", err);
		return EXIT_REFUSED;
	}
	say_damaged(&ob);
	if (ob.n == 0) {
		if (!quiet)
			printf("the outbox %s is empty: nothing to deliver\n",
			    path);
		outbox_close(&ob);
		return EXIT_OK;
	}
	if (deliver(&ob, api, timeout, quiet, &d) != 0) {
		fprintf(stderr, "shelter-report: %s\n", d.why);
		outbox_close(&ob);
		return EXIT_REFUSED;
	}
	if (d.stopped) {
		fprintf(stderr, "shelter-report: %s\n"
		    "shelter-report: %zu delivered, %zu rejected; %zu %s in "
		    "%s: run 'shelter-report flush' again once shelterd can "
		    "store them\n", d.why, d.delivered, d.rejected, ob.n,
		    reports(ob.n), path);
		rc = EXIT_QUEUED;
	} else {
		if (!quiet)
			printf("%zu delivered, %zu rejected; the outbox is "
			    "empty\n", d.delivered, d.rejected);
		rc = d.rejected ? EXIT_REFUSED : EXIT_OK;
	}
	outbox_close(&ob);
	return rc;
}

/* shelter-report outbox: what waits, and what shelterd refused. */
static int
list_outbox(const char *path)
{
	struct outbox_rejected *rej;
	struct outbox ob;
	size_t n_rej;
	char err[512], when[32], refused[32];

	if (outbox_open(&ob, path, 0, err, sizeof(err)) != 0) {
		fprintf(stderr, "shelter-report: %s\n", err);
		return EXIT_REFUSED;
	}
	say_damaged(&ob);
	if (outbox_rejected_list(path, &rej, &n_rej, err,
	    sizeof(err)) != 0) {
		fprintf(stderr, "shelter-report: %s\n", err);
		outbox_close(&ob);
		return EXIT_REFUSED;
	}
	if (ob.n == 0)
		printf("waiting: none (%s)\n", path);
	else
		printf("waiting: %zu in %s, oldest first; 'shelter-report "
		    "flush' delivers them\n", ob.n, path);
	for (size_t i = 0; i < ob.n; i++) {
		client_format_time(ob.v[i].up->observed_at, when,
		    sizeof(when));
		printf("  %s seq %" PRIu64 ", counted %s\n",
		    ob.v[i].up->shelter_id, ob.v[i].up->seq, when);
	}
	if (n_rej == 0)
		printf("rejected: none\n");
	else
		printf("rejected: %zu in %s.rejected/, refused by shelterd "
		    "and NOT stored\n", n_rej, path);
	for (size_t i = 0; i < n_rej; i++) {
		client_format_time(rej[i].observed_at, when, sizeof(when));
		client_format_time(rej[i].refused_at, refused,
		    sizeof(refused));
		printf("  %s seq %" PRIu64 ", counted %s, refused %s (%s): "
		    "%s\n    %s\n", rej[i].shelter ? rej[i].shelter : "?",
		    rej[i].seq, when, refused, rej[i].code ? rej[i].code : "?",
		    rej[i].error ? rej[i].error : "", rej[i].file);
	}
	outbox_rejected_free(rej, n_rej);
	outbox_close(&ob);
	return EXIT_OK;
}

/*
 * The report could not be stored now (why): keep it at the end of the
 * outbox. Returns EXIT_QUEUED, or EXIT_UNREACHABLE if it cannot be kept.
 */
static int
queue(struct outbox *ob, const char *path,
    const Shelterd__V1__OccupancyUpdate *up, const char *why)
{
	char err[512];
	int again;

	fprintf(stderr, "shelter-report: %s\n", why);
	if (path == NULL) {
		fprintf(stderr, "shelter-report: %s seq %" PRIu64 " is NOT "
		    "stored and not queued\n", up->shelter_id, up->seq);
		return EXIT_UNREACHABLE;
	}
	/* Not locked yet when the directory did not exist: make it now,
	 * and load what another run may have queued meanwhile. */
	if (ob->lock_fd < 0) {
		outbox_close(ob);
		if (outbox_open(ob, path, 1, err, sizeof(err)) != 0)
			goto fail;
		say_damaged(ob);
	}
	again = outbox_push(ob, up);
	if (outbox_save(ob, err, sizeof(err)) != 0)
		goto fail;
	fprintf(stderr, "shelter-report: %s seq %" PRIu64 " %s %s, not yet "
	    "delivered (%zu %s); the next report or 'shelter-report flush' "
	    "will deliver %s\n", up->shelter_id, up->seq,
	    again ? "was already queued in" : "is queued in", path, ob->n,
	    reports(ob->n), ob->n == 1 ? "it" : "them in order");
	return EXIT_QUEUED;
fail:
	fprintf(stderr, "shelter-report: %s\nshelter-report: %s seq %" PRIu64
	    " is not acknowledged (it may not be stored) and could not be "
	    "queued\n", err, up->shelter_id, up->seq);
	return EXIT_UNREACHABLE;
}

/* What the command line asks for. */
struct opts {
	Shelterd__V1__OccupancyUpdate up;
	Shelterd__V1__BedCount beds[16], *bp[16];
	const char *api, *outbox_arg;
	const char *report_flag; /* one flag that only a report has */
	long long timeout;
	int quiet, no_outbox;
	int cmd; /* 0 a report, 1 flush, 2 outbox */
	const char *cmd_name;
	uint32_t expect[CAT_COUNT][2];
	unsigned expect_given;
	uint32_t reserve[CAT_COUNT][2];
	unsigned reserve_given;
};

/* --beds: EXIT_USAGE, or -1 to go on. */
static int
opt_beds(struct opts *o, const char *arg)
{
	Shelterd__V1__OccupancyUpdate *up = &o->up;
	int rc;

	if (up->n_beds == 16) {
		fprintf(stderr, "shelter-report: too many --beds\n");
		return EXIT_USAGE;
	}
	rc = parse_beds(arg, &o->beds[up->n_beds]);
	if (rc == -2) {
		fprintf(stderr, "shelter-report: unknown category in '%s': "
		    "use women, men, minors, highsec or children\n", arg);
		return EXIT_USAGE;
	}
	if (rc != 0) {
		fprintf(stderr, "shelter-report: --beds '%s': expected "
		    "CAT=CAPACITY/OCCUPIED[/OUT_OF_SERVICE], e.g. "
		    "women=12/10\n", arg);
		return EXIT_USAGE;
	}
	o->bp[up->n_beds] = &o->beds[up->n_beds];
	up->n_beds++;
	return -1;
}

/* --expect: EXIT_USAGE, or -1 to go on. */
static int
opt_expect(struct opts *o, const char *arg)
{
	int cat;
	uint32_t e24, e72;

	if (parse_expect(arg, &cat, &e24, &e72) != 0) {
		fprintf(stderr, "shelter-report: --expect '%s': expected "
		    "CAT=N24[/N72], e.g. women=2/3\n", arg);
		return EXIT_USAGE;
	}
	o->expect[cat - 1][0] = e24;
	o->expect[cat - 1][1] = e72;
	o->expect_given |= 1u << (cat - 1);
	return -1;
}

/* --reserve: EXIT_USAGE, or -1 to go on. Same form as --expect. */
static int
opt_reserve(struct opts *o, const char *arg)
{
	int cat;
	uint32_t r24, r72;

	if (parse_expect(arg, &cat, &r24, &r72) != 0) {
		fprintf(stderr, "shelter-report: --reserve '%s': expected "
		    "CAT=N24[/N72], e.g. women=2/5\n", arg);
		return EXIT_USAGE;
	}
	if (r24 > r72) {
		fprintf(stderr, "shelter-report: --reserve '%s': N72 "
		    "includes N24, so it cannot be smaller\n", arg);
		return EXIT_USAGE;
	}
	o->reserve[cat - 1][0] = r24;
	o->reserve[cat - 1][1] = r72;
	o->reserve_given |= 1u << (cat - 1);
	return -1;
}

/* The flags that fill in the report: EXIT_USAGE, or -1 to go on. */
static int
opt_report(struct opts *o, int c, const char *arg)
{
	long long v;
	int status;

	switch (c) {
	case 's':
		o->report_flag = "--shelter";
		o->up.shelter_id = (char *)arg;
		return -1;
	case 'b':
		o->report_flag = "--beds";
		return opt_beds(o, arg);
	case 'e':
		o->report_flag = "--expect";
		return opt_expect(o, arg);
	case 'r':
		o->report_flag = "--reserve";
		return opt_reserve(o, arg);
	case 'S':
		o->report_flag = "--status";
		if ((status = status_parse(arg)) < 0) {
			fprintf(stderr, "shelter-report: --status must be "
			    "open, paused or closed\n");
			return EXIT_USAGE;
		}
		o->up.status = (Shelterd__V1__ShelterStatus)status;
		return -1;
	case 'n':
		o->report_flag = "--seq";
		if ((v = client_parse_num(arg, INT64_MAX)) < 1) {
			fprintf(stderr, "shelter-report: --seq must be a "
			    "positive number\n");
			return EXIT_USAGE;
		}
		o->up.seq = (uint64_t)v;
		return -1;
	default: /* 't' */
		o->report_flag = "--observed-at";
		if ((v = client_parse_num(arg, INT64_MAX)) < 0) {
			fprintf(stderr, "shelter-report: --observed-at must "
			    "be unix seconds\n");
			return EXIT_USAGE;
		}
		o->up.observed_at = v;
		return -1;
	}
}

/* The flags: an exit status, or -1 to go on. */
static int
parse_flags(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "shelter", required_argument, NULL, 's' },
		{ "beds", required_argument, NULL, 'b' },
		{ "status", required_argument, NULL, 'S' },
		{ "seq", required_argument, NULL, 'n' },
		{ "observed-at", required_argument, NULL, 't' },
		{ "api", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "outbox", required_argument, NULL, 'o' },
		{ "no-outbox", no_argument, NULL, 'N' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "key", required_argument, NULL, 'K' },
		{ "expect", required_argument, NULL, 'e' },
		{ "reserve", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	while ((c = getopt_long(argc, argv, "s:b:S:n:t:a:T:o:NqhK:e:r:",
	    lopts, NULL)) != -1) {
		switch (c) {
		case 's': case 'b': case 'e': case 'r': case 'S': case 'n':
		case 't':
			if ((rc = opt_report(o, c, optarg)) >= 0)
				return rc;
			break;
		case 'a':
			o->api = optarg;
			break;
		case 'T':
			if ((o->timeout = client_parse_num(optarg,
			    3600000)) < 1) {
				fprintf(stderr, "shelter-report: --timeout "
				    "must be milliseconds\n");
				return EXIT_USAGE;
			}
			break;
		case 'o':
			if (*optarg == '\0') {
				fprintf(stderr, "shelter-report: --outbox "
				    "needs a file name\n");
				return EXIT_USAGE;
			}
			o->outbox_arg = optarg;
			break;
		case 'N':
			o->report_flag = "--no-outbox";
			o->no_outbox = 1;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case 'K':
			client_set_key(optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'shelter-report --help'.\n");
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* Each forecast and reserve belongs to a category this report counts:
 * EXIT_USAGE, or -1 to go on. */
static int
attach_forecasts(struct opts *o)
{
	for (size_t i = 0; i < o->up.n_beds; i++) {
		Shelterd__V1__BedCount *b = &o->beds[i];
		unsigned bit = 1u << (b->category - 1);

		if (!(o->expect_given & bit))
			continue;
		b->forecast = 1;
		b->expected_free_24h = o->expect[b->category - 1][0];
		b->expected_free_72h = o->expect[b->category - 1][1];
		o->expect_given &= ~bit;
	}
	if (o->expect_given != 0) {
		fprintf(stderr, "shelter-report: --expect for a category "
		    "without --beds\n");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < o->up.n_beds; i++) {
		Shelterd__V1__BedCount *b = &o->beds[i];
		unsigned bit = 1u << (b->category - 1);

		if (!(o->reserve_given & bit))
			continue;
		b->has_reserve = 1;
		b->reserve_24h = o->reserve[b->category - 1][0];
		b->reserve_72h = o->reserve[b->category - 1][1];
		o->reserve_given &= ~bit;
	}
	if (o->reserve_given != 0) {
		fprintf(stderr, "shelter-report: --reserve for a category "
		    "without --beds\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* The command line into o: an exit status, or -1 to go on. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	int rc;

	memset(o, 0, sizeof(*o));
	shelterd__v1__occupancy_update__init(&o->up);
	o->up.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN;
	o->up.beds = o->bp;
	o->api = client_default_api();
	o->timeout = 5000;
	if ((rc = parse_flags(argc, argv, o)) >= 0)
		return rc;
	if (optind < argc) {
		if (strcmp(argv[optind], "flush") == 0)
			o->cmd = 1;
		else if (strcmp(argv[optind], "outbox") == 0)
			o->cmd = 2;
		if (!o->cmd || optind + 1 < argc) {
			fprintf(stderr, "shelter-report: unexpected argument "
			    "'%s': the commands are flush and outbox\nTry "
			    "'shelter-report --help'.\n",
			    argv[o->cmd ? optind + 1 : optind]);
			return EXIT_USAGE;
		}
		o->cmd_name = argv[optind];
	}
	if (o->cmd && o->report_flag != NULL) {
		fprintf(stderr, "shelter-report: %s sends no report of "
		    "its own: %s is not for it (it takes --outbox%s)\n",
		    o->cmd_name, o->report_flag, o->cmd == 1 ? ", --api, "
		    "--timeout and --quiet" : "");
		return EXIT_USAGE;
	}
	if (o->no_outbox && o->outbox_arg != NULL) {
		fprintf(stderr, "shelter-report: --outbox and --no-outbox "
		    "contradict each other\n");
		return EXIT_USAGE;
	}
	if ((rc = attach_forecasts(o)) >= 0)
		return rc;
	if (!o->cmd && (o->up.shelter_id[0] == '\0' || o->up.n_beds == 0)) {
		fprintf(stderr, "shelter-report: need --shelter and at least "
		    "one --beds\nTry 'shelter-report --help'.\n");
		return EXIT_USAGE;
	}
	return -1;
}

/*
 * Send the report, after what waits in the outbox (path, NULL for none;
 * freed here). Returns the exit status.
 */
static int
report(struct opts *o, char *path)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate *up = &o->up;
	Shelterd__V1__Reply *reply;
	struct delivery d = { 0, 0, 0, "" };
	int timeout = (int)o->timeout;
	struct outbox ob;
	char err[512];
	int rc;

	/* The seq is fixed now, when the shelter counted: a queued report
	 * keeps its place among the shelter's reports. */
	if (up->seq == 0)
		up->seq = now_micros();
	if (up->observed_at == 0)
		up->observed_at = (int64_t)time(NULL);
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = up;

	memset(&ob, 0, sizeof(ob));
	ob.lock_fd = -1;
	if (path != NULL && outbox_open(&ob, path, 0, err, sizeof(err)) != 0) {
		/* Unreadable: still try to deliver this report; only
		 * queueing it would need the outbox. */
		fprintf(stderr, "shelter-report: %s\n", err);
		free(path);
		path = NULL;
	}
	say_damaged(&ob);
	/* Older reports first: sent after this one, a queued report of the
	 * same shelter would only be refused as stale. */
	if (ob.n > 0 && deliver(&ob, o->api, timeout, o->quiet, &d) != 0) {
		fprintf(stderr, "shelter-report: %s\n", d.why);
		outbox_close(&ob);
		free(path);
		path = NULL;
	}
	if (d.stopped) {
		rc = queue(&ob, path, up, d.why);
		goto out;
	}
	if ((rc = client_call(o->api, timeout, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		rc = queue(&ob, path, up, err);
		goto out;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK &&
	    !validate_refusal_is_final(reply->code) && path != NULL) {
		/* Not the report's fault (key, clock, a full store): the
		 * shelter counted it, so keep it for when that is fixed. */
		snprintf(err, sizeof(err), "shelterd did not store %s seq %"
		    PRIu64 " (%s): %s", up->shelter_id, up->seq,
		    client_code_name(reply->code), reply->error);
		rc = queue(&ob, path, up, err);
	} else if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelter-report: refused (%s): %s\n",
		    client_code_name(reply->code), reply->error);
		rc = EXIT_REFUSED;
	} else {
		print_ack(up, reply, 0, o->quiet);
		rc = d.rejected ? EXIT_REFUSED : EXIT_OK;
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
out:
	outbox_close(&ob);
	free(path);
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o;
	char *path = NULL;
	char err[512];
	int rc;

	client_set_prog("shelter-report");
	/* The placement side has its own flags. */
	if (argc > 1 && (strcmp(argv[1], "holds") == 0 ||
	    strcmp(argv[1], "accept") == 0 ||
	    strcmp(argv[1], "decline") == 0))
		return shelter_holds_main(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "reserve") == 0)
		return shelter_reserve_main(argc - 1, argv + 1);
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	if (!o.no_outbox && (path = o.outbox_arg ? strdup(o.outbox_arg) :
	    outbox_default_path(err, sizeof(err))) == NULL) {
		fprintf(stderr, "shelter-report: %s\n", err);
		if (o.cmd)
			return EXIT_USAGE;
	}
	if (o.cmd == 2)
		rc = list_outbox(path);
	else if (o.cmd == 1)
		rc = flush(path, o.api, (int)o.timeout, o.quiet);
	else
		return report(&o, path);
	free(path);
	return rc;
}
