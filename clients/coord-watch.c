/*
 * coord-watch — follow shelterd's escalations: one line (or JSON object) per
 * event, filtered by region and level.
 *
 * Live events come over pub/sub, which drops messages for a slow or absent
 * subscriber. Every event carries a gap-free event_seq, so when one is
 * missing (or with --since) the missed ones are fetched from the daemon's
 * event log over the api before anything newer is printed.
 *
 * pub/sub has no liveness of its own: a stopped daemon looks like a quiet
 * one. The daemon sends a heartbeat every [events] heartbeat_secs; when
 * none came for 3 of them, the feed is said not to be live on stderr (and
 * --fail-after ends the watch), and once the daemon is heard again what
 * was missed is printed, in order, and that is said too.
 *
 * The events socket carries only region and national events (anyone who
 * can connect may subscribe). A shelter's own events reach those entitled
 * to them only through events_since, filtered by the signer: a thread
 * long-polls it and hands what it gets to the same subscriber socket over
 * inproc://, where the event_seq check drops what was printed already.
 */
#include <getopt.h>
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <pthread.h>
#include <nng/supplemental/util/platform.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

enum { MAX_FILTERS = 32 };

struct watch {
	const char *api;
	const char *regions[MAX_FILTERS];
	int n_regions;
	bool levels[4];
	bool any_level;
	bool json;
	long long count;       /* stop after this many printed; 0 = never */
	long long printed;
	uint64_t last_seq;     /* newest event seen (printed or filtered) */
	bool have_last;
	const char *state;     /* file keeping last_seq across runs */

	/* Liveness (nng_clock() ms). */
	nng_time heard_at;     /* the last message from the daemon */
	long long fail_after;  /* --fail-after seconds; 0: keep trying */
	uint32_t hb_secs;      /* its heartbeat interval, as it says */
	bool not_live;         /* said so on stderr */
	nng_time said_at;      /* when last said */
	nng_time lost_at;      /* when the silence began */
	long long replayed;    /* printed by catch-up since then */
	char api_err[512];     /* why the last catch-up failed */
};

enum { HB_MISSED = 3 };  /* heartbeats missed before "not live" */

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: coord-watch [OPTION]...\n"
	    "Print shelterd's escalation events as they happen.\n"
	    "\n"
	    "  -r, --region ID     only this region (repeatable); national "
	    "events are\n"
	    "                      shown only without --region\n"
	    "  -l, --level LEVEL   only warning, critical, cleared or info "
	    "(placement\n"
	    "                      steps; repeatable)\n"
	    "  -j, --json          one JSON object per line\n"
	    "  -n, --count N       exit 0 after printing N events\n"
	    "  -s, --since SEQ     first print the logged events after "
	    "event_seq SEQ\n"
	    "                      (0 = the whole log), then follow live\n"
	    "  -w, --wait SECS     give up after SECS; exit 0, or 1 if "
	    "--count was not\n"
	    "                      reached\n"
	    "  -e, --events URL    daemon events (default $SHELTERD_EVENTS "
	    "or\n"
	    "                      " DEFAULT_EVENTS_URL ")\n"
	    "  -S, --state FILE    remember the last event_seq seen in "
	    "FILE; when it\n"
	    "                      exists, start after it (missed events "
	    "first, each\n"
	    "                      once, in order)\n"
	    "  -a, --api URL       daemon api, to fetch missed events "
	    "(default\n"
	    "                      $SHELTERD_API or " DEFAULT_API_URL ")\n"
	    "                      --events and --api take URL,URL,...: "
	    "every events\n"
	    "                      address is dialled, api addresses are "
	    "tried in turn\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -F, --fail-after S  exit 3 when shelterd has not been heard "
	    "for S seconds\n"
	    "                      (without it: say so on stderr, keep "
	    "trying)\n"
	    "  -h, --help          print this help and exit\n"
	    "\n"
	    "       coord-watch ack EVENT_SEQ --by DESK [--api URL] "
	    "[--json]\n"
	    "Acknowledge the open alert that EVENT_SEQ belongs to: it is "
	    "then no longer\n"
	    "published again as unacknowledged. DESK names the desk or role "
	    "taking it on.\n"
	    "\n"
	    "A line reads: #SEQ TIME LEVEL SCOPE WHERE CATEGORY: FREE of "
	    "CAPACITY free.\n"
	    "No heartbeat for 3 of the daemon's heartbeat intervals: "
	    "\"no heartbeat from\n"
	    "shelterd for N s: the feed is not live\" on stderr; when it is "
	    "back, the\n"
	    "missed events are printed first, in order, and stderr says "
	    "so.\n"
	    "Exit status: 0 done, 1 --count not reached in --wait, 2 bad "
	    "usage,\n"
	    "3 daemon not reachable (or not heard for --fail-after).\n");
}

static bool
wanted(const struct watch *w, const Shelterd__V1__Event *ev)
{
	bool region_ok = w->n_regions == 0;

	for (int i = 0; i < w->n_regions; i++)
		if (strcmp(w->regions[i], ev->region_id) == 0)
			region_ok = true;
	if (!region_ok)
		return false;
	if (!w->any_level)
		return true;
	return ev->level <= 3 && w->levels[ev->level];
}

/* Write the state file atomically: a crash never leaves half a number. */
static void
save_state(const struct watch *w)
{
	char tmp[4096];
	FILE *f;

	if (w->state == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", w->state);
	if ((f = fopen(tmp, "w")) == NULL ||
	    fprintf(f, "%" PRIu64 "\n", w->last_seq) < 0 || fclose(f) != 0 ||
	    rename(tmp, w->state) != 0)
		fprintf(stderr, "coord-watch: cannot write %s\n", w->state);
}

static long long
load_state(const char *path)
{
	unsigned long long v;
	FILE *f = fopen(path, "r");
	int n;

	if (f == NULL)
		return -1;
	n = fscanf(f, "%llu", &v);
	fclose(f);
	return n == 1 ? (long long)v : -1;
}

/* Print one event if it passes the filters; true when --count is met. */
static bool
show(struct watch *w, const Shelterd__V1__Event *ev)
{
	char line[512];

	w->last_seq = ev->event_seq;
	w->have_last = true;
	save_state(w);
	if (!wanted(w, ev))
		return false;
	if (w->json) {
		client_print_json(json_event(ev));
	} else {
		client_event_line(ev, line, sizeof(line));
		printf("%s\n", line);
		fflush(stdout);
	}
	w->printed++;
	if (w->not_live)
		w->replayed++;
	return w->count > 0 && w->printed >= w->count;
}

/* The log was read up to `to`, events this signer may not see skipped:
 * nothing before `until` (0: none) is missing. */
static void
skipped_to(struct watch *w, uint64_t to, uint64_t until)
{
	if (until != 0 && to >= until)
		to = until - 1;
	if (to > w->last_seq)
		w->last_seq = to;
}

/*
 * Fetch and print logged events after w->last_seq up to (not including)
 * `until` (0: to the end of the log). Returns 1 when --count was met, 0 when
 * caught up, or EXIT_UNREACHABLE.
 */
static int
catch_up(struct watch *w, uint64_t until, bool quiet)
{
	for (;;) {
		Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
		Shelterd__V1__EventsSince since =
		    SHELTERD__V1__EVENTS_SINCE__INIT;
		Shelterd__V1__Reply *reply;
		char err[512];
		uint64_t before = w->last_seq;
		size_t n;

		since.after_seq = w->last_seq;
		req.body_case = SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE;
		req.events_since = &since;
		if (client_call(w->api, 5000, &req, &reply, err,
		    sizeof(err)) != EXIT_OK) {
			snprintf(w->api_err, sizeof(w->api_err), "%s", err);
			if (!quiet)
				fprintf(stderr, "coord-watch: cannot fetch "
				    "missed events: %s\n", err);
			return quiet ? 0 : EXIT_UNREACHABLE;
		}
		if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
		    reply->body_case != SHELTERD__V1__REPLY__BODY_EVENTS) {
			if (!quiet)
				fprintf(stderr, "coord-watch: cannot fetch "
				    "missed events: %s\n", reply->error);
			shelterd__v1__reply__free_unpacked(reply, NULL);
			return quiet ? 0 : EXIT_UNREACHABLE;
		}
		n = reply->events->n_events;
		for (size_t i = 0; i < n; i++) {
			const Shelterd__V1__Event *ev =
			    reply->events->events[i];

			if (until != 0 && ev->event_seq >= until)
				break;
			if (show(w, ev)) {
				shelterd__v1__reply__free_unpacked(reply,
				    NULL);
				return 1;
			}
		}
		if (!w->have_last)
			w->have_last = true; /* empty log: start at 0 */
		/* Events this signer may not see were skipped up to here. */
		skipped_to(w, reply->events->scanned_to_seq, until);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		if (n == 0 || w->last_seq == before ||
		    (until != 0 && w->last_seq + 1 >= until))
			return 0;
	}
}

/* Something came from the daemon: if it had been silent, say it is back
 * and fetch what was missed first. 1 when --count was met. */
static int
heard(struct watch *w, uint64_t newest)
{
	nng_time now = nng_clock();
	bool was = w->not_live;
	int rv = 0;

	w->heard_at = now;
	w->api_err[0] = '\0';
	/* Published while we were away, or the last one lost: the log has
	 * it (quiet: a failure here is the liveness check's to report). */
	if (w->have_last && newest > w->last_seq)
		rv = catch_up(w, newest + 1, true);
	if (was) {
		fprintf(stderr, "coord-watch: shelterd is live again after %llu "
		    "s; %lld missed event%s printed above\n",
		    (unsigned long long)((now - w->lost_at) / 1000),
		    w->replayed, w->replayed == 1 ? "" : "s");
		w->not_live = false;
	}
	return rv;
}

/* Silence longer than HB_MISSED heartbeats: say so, now and then again.
 * Returns true when --fail-after is reached. */
static bool
check_live(struct watch *w, nng_time now, long long fail_after)
{
	nng_time limit = (nng_time)HB_MISSED * w->hb_secs * 1000;
	nng_time quiet = now - w->heard_at;
	bool fail = fail_after > 0 && quiet >= (nng_time)fail_after * 1000;

	/* --fail-after is the script's own limit, even below 3 heartbeats. */
	if (quiet < limit && !fail)
		return false;
	if (!w->not_live || now - w->said_at >= 30000) {
		if (!w->not_live) {
			w->lost_at = w->heard_at;
			w->replayed = 0;
		}
		fprintf(stderr, "coord-watch: no heartbeat from shelterd for "
		    "%llu s: the feed is not live%s%s%s\n",
		    (unsigned long long)(quiet / 1000),
		    *w->api_err ? " (api: " : "", w->api_err,
		    *w->api_err ? ")" : "");
		w->not_live = true;
		w->said_at = now;
	}
	return fail;
}

static void
start_after_newest(struct watch *w)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__EventsSince since = SHELTERD__V1__EVENTS_SINCE__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];

	since.after_seq = UINT64_MAX - 1; /* nothing: only the newest seq */
	since.limit = 1;
	req.body_case = SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE;
	req.events_since = &since;
	if (client_call(w->api, 5000, &req, &reply, err, sizeof(err)) != 0)
		return; /* no api: follow the bus alone */
	if (reply->code == SHELTERD__V1__CODE__CODE_OK &&
	    reply->body_case == SHELTERD__V1__REPLY__BODY_EVENTS) {
		w->last_seq = reply->events->last_event_seq;
		w->have_last = true;
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
}

/* What the command line asks for besides the filters kept in struct watch. */
struct opts {
	const char *by;       /* ack: the desk taking the alert on */
	const char *events;
	long long since;      /* -1: not given */
	long long wait_s;     /* 0: wait forever */
	long long ack_seq;    /* > 0: the ack subcommand was given */
};

/* Fill w and o from argv; returns an exit code, or -1 to go on. */
static int
parse_args(int argc, char **argv, struct watch *w, struct opts *o)
{
	static const struct option longopts[] = {
		{ "region", required_argument, NULL, 'r' },
		{ "level", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "count", required_argument, NULL, 'n' },
		{ "since", required_argument, NULL, 's' },
		{ "wait", required_argument, NULL, 'w' },
		{ "events", required_argument, NULL, 'e' },
		{ "api", required_argument, NULL, 'a' },
		{ "state", required_argument, NULL, 'S' },
		{ "by", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'K' },
		{ "fail-after", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, lvl;

	while ((c = getopt_long(argc, argv, "r:l:jn:s:w:e:a:S:b:hK:F:",
	    longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (w->n_regions == MAX_FILTERS)
				goto bad;
			w->regions[w->n_regions++] = optarg;
			break;
		case 'l':
			if ((lvl = level_parse(optarg)) < 0) {
				fprintf(stderr, "coord-watch: --level must be "
				    "warning, critical, cleared or info\n");
				return EXIT_USAGE;
			}
			w->levels[lvl] = w->any_level = true;
			break;
		case 'j':
			w->json = true;
			break;
		case 'n':
			if ((w->count = client_parse_num(optarg,
			    1000000000)) < 1)
				goto bad;
			break;
		case 's':
			if ((o->since = client_parse_num(optarg,
			    INT64_MAX)) < 0)
				goto bad;
			break;
		case 'w':
			if ((o->wait_s = client_parse_num(optarg,
			    86400 * 365)) < 1)
				goto bad;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'a':
			w->api = optarg;
			break;
		case 'S':
			w->state = optarg;
			break;
		case 'b':
			o->by = optarg;
			break;
		case 'K':
			client_set_key(optarg);
			break;
		case 'F':
			if ((w->fail_after = client_parse_num(optarg,
			    86400 * 365)) < 1)
				goto bad;
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		default:
			fprintf(stderr, "Try 'coord-watch --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind < argc && strcmp(argv[optind], "ack") == 0) {
		if (optind + 2 != argc || (o->ack_seq = client_parse_num(
		    argv[optind + 1], INT64_MAX)) < 1 || o->by == NULL) {
			fprintf(stderr, "coord-watch: usage: coord-watch ack "
			    "EVENT_SEQ --by DESK\n");
			return EXIT_USAGE;
		}
		return -1;
	}
	if (optind < argc)
		goto bad;
	return -1;
bad:
	fprintf(stderr, "coord-watch: bad arguments\nTry 'coord-watch "
	    "--help'.\n");
	return EXIT_USAGE;
}

/* Returns EXIT_OK with *sock subscribed to everything, or an exit code. */
static int
open_events(nng_socket *sock, const char *events)
{
	char err[512];
	int rv;

	if ((rv = nng_sub0_open(sock)) != 0 ||
	    (rv = nng_socket_set(*sock, NNG_OPT_SUB_SUBSCRIBE, "", 0))) {
		fprintf(stderr, "coord-watch: %s\n", nng_strerror(rv));
		return EXIT_UNREACHABLE;
	}
	/* Everything (esc/ and place/): filtering by region happens in
	 * wanted(), not by prefix, since gap detection needs every
	 * event_seq. */
	if (client_dial(*sock, events, err, sizeof(err)) != 0) {
		fprintf(stderr, "coord-watch: %s (events: see "
		    "--events)\n", err);
		return EXIT_UNREACHABLE;
	}
	return EXIT_OK;
}

/* The event after the topic of a published message, or NULL. */
static Shelterd__V1__Event *
unpack_event(nng_msg *msg)
{
	const char *body = nng_msg_body(msg);
	size_t len = nng_msg_len(msg);
	size_t tlen = strnlen(body, len);

	return tlen < len ? shelterd__v1__event__unpack(NULL,
	    len - tlen - 1, (const uint8_t *)body + tlen + 1) : NULL;
}

/*
 * Print a live event, after the logged ones it shows were missed. Returns 1
 * when --count was met, 0 to go on, or EXIT_UNREACHABLE.
 */
static int
take_event(struct watch *w, const Shelterd__V1__Event *ev)
{
	int rv = 0;

	if (w->have_last && ev->event_seq <= w->last_seq) {
		/* Already printed from the log. */
	} else if (w->have_last && ev->event_seq > w->last_seq + 1) {
		/* Missed some: print them first, in order. With the daemon
		 * out of reach (a restart, a failover) this one waits too:
		 * it is in the log, and the next catch-up prints it after
		 * them; the heartbeat check says the feed is not live. */
		rv = catch_up(w, ev->event_seq, true);
		if (rv == 0 && w->last_seq + 1 < ev->event_seq)
			return 0;
		if (rv == 0 && show(w, ev))
			rv = 1;
	} else if (show(w, ev)) {
		rv = 1;
	}
	return rv;
}

/* Follow the live events until --count, --wait or an error; exit code. */
static int
follow(struct watch *w, nng_socket sock, nng_time deadline)
{
	int rv;

	for (;;) {
		Shelterd__V1__Event *ev;
		nng_msg *msg;

		/*
		 * A gap shows only when a later event arrives, so the last
		 * event dropped by pub/sub would stay unseen: after a quiet
		 * second, ask the log whether anything newer exists.
		 */
		nng_duration quiet = 1000;

		if (deadline != 0) {
			nng_time now = nng_clock();

			if (now >= deadline)
				return (w->count > 0) ? 1 : 0;
			if (deadline - now < (nng_time)quiet)
				quiet = (nng_duration)(deadline - now);
		}
		nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, quiet);
		if ((rv = nng_recvmsg(sock, &msg, 0)) != 0) {
			if (rv == NNG_ETIMEDOUT) {
				if (check_live(w, nng_clock(), w->fail_after))
					return EXIT_UNREACHABLE;
				if (w->have_last && catch_up(w, 0, true) == 1)
					return EXIT_OK;
				continue;
			}
			fprintf(stderr, "coord-watch: %s\n", nng_strerror(rv));
			return EXIT_UNREACHABLE;
		}
		ev = unpack_event(msg);
		nng_msg_free(msg);
		if (ev == NULL) {
			fprintf(stderr, "coord-watch: skipped a message that "
			    "is not an event\n");
			continue;
		}
		if (ev->kind ==
		    SHELTERD__V1__EVENT_KIND__EVENT_KIND_HEARTBEAT) {
			if (ev->heartbeat_secs > 0)
				w->hb_secs = ev->heartbeat_secs;
			rv = heard(w, ev->last_event_seq);
		} else if ((rv = heard(w, ev->event_seq - 1)) == 0) {
			rv = take_event(w, ev);
		}
		shelterd__v1__event__free_unpacked(ev, NULL);
		if (rv != 0)
			return rv == 1 ? EXIT_OK : rv;
	}
}

/* The long-poll thread's own: where to ask and where to hand over. */
struct poller {
	const char *api;
	nng_socket pub;       /* inproc, dialed by the subscriber */
	uint64_t after;       /* read up to here */
};

/* A poll that a daemon's death left hanging (nng's req socket waits for
 * that pipe to come back) ends within POLL_WAIT_MS + 3 s; then the next
 * address of --api is asked. */
enum { POLL_WAIT_MS = 5000 };

/* Hand one logged event to the subscriber, as the daemon publishes it. */
static void
hand_over(struct poller *p, const Shelterd__V1__Event *ev)
{
	static const char topic[] = "log";
	size_t len = shelterd__v1__event__get_packed_size(ev);
	nng_msg *msg;

	if (nng_msg_alloc(&msg, sizeof(topic) + len) != 0)
		return;
	memcpy(nng_msg_body(msg), topic, sizeof(topic));
	shelterd__v1__event__pack(ev, (uint8_t *)nng_msg_body(msg) +
	    sizeof(topic));
	if (nng_sendmsg(p->pub, msg, 0) != 0)
		nng_msg_free(msg);
}

/*
 * Follow events_since for good: each call waits until an event this
 * signer may see is logged. A failed call is the heartbeat's to report;
 * this one only tries again a second later.
 */
static void *
poll_events(void *arg)
{
	struct poller *p = arg;

	for (;;) {
		Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
		Shelterd__V1__EventsSince since =
		    SHELTERD__V1__EVENTS_SINCE__INIT;
		Shelterd__V1__Reply *reply;
		char err[512];

		since.after_seq = p->after;
		since.wait_ms = POLL_WAIT_MS;
		req.body_case = SHELTERD__V1__REQUEST__BODY_EVENTS_SINCE;
		req.events_since = &since;
		if (client_call(p->api, POLL_WAIT_MS + 3000, &req, &reply, err,
		    sizeof(err)) != EXIT_OK) {
			nng_msleep(1000);
			continue;
		}
		if (reply->code == SHELTERD__V1__CODE__CODE_UNAUTHENTICATED ||
		    reply->code == SHELTERD__V1__CODE__CODE_FORBIDDEN) {
			/* Asking again would only fill the daemon's log. */
			fprintf(stderr, "coord-watch: %s; following the "
			    "public events only\n", reply->error);
			shelterd__v1__reply__free_unpacked(reply, NULL);
			return NULL;
		}
		if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
		    reply->body_case != SHELTERD__V1__REPLY__BODY_EVENTS) {
			shelterd__v1__reply__free_unpacked(reply, NULL);
			nng_msleep(1000);
			continue;
		}
		for (size_t i = 0; i < reply->events->n_events; i++)
			hand_over(p, reply->events->events[i]);
		if (reply->events->scanned_to_seq > p->after)
			p->after = reply->events->scanned_to_seq;
		shelterd__v1__reply__free_unpacked(reply, NULL);
	}
	return NULL;
}

/* Start the long poll from after, feeding sock. 0, or -1 (said). */
static int
start_poller(struct watch *w, nng_socket sock, uint64_t after)
{
	static struct poller p;
	char url[64];
	pthread_t t;
	int rv;

	p.api = w->api;
	p.after = after;
	snprintf(url, sizeof(url), "inproc://coord-watch-%p", (void *)&p);
	if ((rv = nng_pub0_open(&p.pub)) != 0 ||
	    (rv = nng_listen(p.pub, url, NULL, 0)) != 0 ||
	    (rv = nng_dial(sock, url, NULL, 0)) != 0) {
		fprintf(stderr, "coord-watch: %s\n", nng_strerror(rv));
		return -1;
	}
	if (pthread_create(&t, NULL, poll_events, &p) != 0) {
		fprintf(stderr, "coord-watch: cannot start a thread\n");
		return -1;
	}
	pthread_detach(t);
	return 0;
}

static int
run(struct watch *w, struct opts *o)
{
	nng_time deadline = 0;
	nng_socket sock;
	int rv;

	if (w->state != NULL && o->since < 0)
		o->since = load_state(w->state);
	if ((rv = open_events(&sock, o->events)) != EXIT_OK)
		return rv;
	/* Without --since, start after the newest logged event, so that a
	 * live event lost right after subscribing is still noticed. */
	if (o->since < 0)
		start_after_newest(w);
	/* Dial again by itself if the daemon restarts. */
	fprintf(stderr, "coord-watch: watching %s\n", o->events);
	w->heard_at = nng_clock();
	if (o->wait_s > 0)
		deadline = nng_clock() + (nng_time)o->wait_s * 1000;
	rv = 0;
	if (o->since >= 0) {
		w->last_seq = (uint64_t)o->since;
		rv = catch_up(w, 0, false);
	}
	if (rv == 0 && start_poller(w, sock, w->last_seq) != 0)
		rv = EXIT_UNREACHABLE;
	if (rv == 0)
		rv = follow(w, sock, deadline);
	else if (rv == 1)
		rv = EXIT_OK; /* --count met from the log alone */
	client_close(sock, 2000);
	return rv;
}

int
main(int argc, char **argv)
{
	struct watch w = { .api = client_default_api(), .hb_secs = 5 };
	struct opts o = { .events = client_default_events(), .since = -1 };
	int rv;

	client_set_prog("coord-watch");
	if ((rv = parse_args(argc, argv, &w, &o)) >= 0)
		return rv;
	if (o.ack_seq > 0)
		return client_ack(w.api, 5000, (unsigned long long)o.ack_seq,
		    o.by, w.json, "coord-watch");
	return run(&w, &o);
}
