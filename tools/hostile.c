/*
 * hostile — throw malformed, truncated, oversized and random messages at a
 * running shelterd: every api request must get an answer (or, when larger
 * than nng's hard cap, a closed pipe), and the daemon must stay up. Also
 * opens raw TCP connections to both sockets and writes garbage where the
 * SP handshake should be. Loopback only: refuses any other host.
 *
 *   hostile --api tcp://127.0.0.1:PORT --events tcp://127.0.0.1:PORT2 \
 *     --count 10000 [--seed N]
 *
 * With --scenario NAME it runs one named attack instead, with a verdict
 * (hostile-scenario.c: replay-fill, sub-cap, conn-flood, tls-idle,
 * byte-flood):
 *
 *   hostile --scenario NAME --api URL \
 *     --events URL --keys DIR [--seconds S] [--conns N] [--cap N] \
 *     [--pid PID] [--threads N]
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "hostile-scenario.h"
#include "shelterd.pb-c.h"

static uint64_t rng_state;

static uint32_t
rnd(void)
{
	/* xorshift64*: reproducible from --seed, no libc state. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 2685821657736338717ULL) >> 32);
}

/* A valid update to start from, so mutations reach deep into decoding. */
static size_t
valid_update(uint8_t *buf, size_t cap)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate up = SHELTERD__V1__OCCUPANCY_UPDATE__INIT;
	Shelterd__V1__BedCount b = SHELTERD__V1__BED_COUNT__INIT, *bp = &b;
	size_t n;

	up.shelter_id = (char *)"SH-UT-003";
	up.seq = rnd();
	up.observed_at = (int64_t)time(NULL);
	up.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN;
	b.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	b.capacity = rnd() % 8;
	b.occupied = rnd() % 8;
	up.beds = &bp;
	up.n_beds = 1;
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &up;
	n = shelterd__v1__request__get_packed_size(&req);
	if (n > cap)
		return 0;
	return shelterd__v1__request__pack(&req, buf);
}

/* One hostile payload of kind k into buf; returns its length. */
static size_t
payload(int k, uint8_t *buf, size_t cap, size_t big)
{
	size_t n;

	switch (k) {
	case 0: /* random bytes */
		n = rnd() % 2048;
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rnd();
		return n;
	case 1: /* a valid update, truncated */
		n = valid_update(buf, cap);
		return n ? rnd() % n : 0;
	case 2: /* a valid update, bits flipped */
		n = valid_update(buf, cap);
		for (int i = 0; n && i < 1 + (int)(rnd() % 4); i++)
			buf[rnd() % n] ^= (uint8_t)(1u << (rnd() % 8));
		return n;
	case 3: /* oversized: above the daemon's limit */
		n = big + rnd() % 1024;
		if (n > cap)
			n = cap;
		memset(buf, 0x0a, n);
		return n;
	case 4: /* a signed envelope with a random signature */
	default: {
		Shelterd__V1__SignedRequest env =
		    SHELTERD__V1__SIGNED_REQUEST__INIT;
		uint8_t inner[256], sig[80]; /* lengths up to 79 */

		env.signed_request.len = valid_update(inner, sizeof(inner));
		env.signed_request.data = inner;
		env.signer = (char *)"shelter:SH-UT-003";
		env.timestamp = (int64_t)time(NULL);
		env.nonce = rnd();
		for (size_t i = 0; i < sizeof(sig); i++)
			sig[i] = (uint8_t)rnd();
		env.signature.data = sig;
		env.signature.len = rnd() % 2 ? 64 : rnd() % 80;
		if (shelterd__v1__signed_request__get_packed_size(&env) > cap)
			return 0;
		return shelterd__v1__signed_request__pack(&env, buf);
	}
	}
}

/* Raw TCP garbage where nng expects its handshake. */
static int
tcp_garbage(const char *url)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *host = strstr(url, "://");
	char ip[64];
	int port, fd;
	uint8_t junk[512];

	if (host == NULL || sscanf(host + 3, "%63[^:]:%d", ip, &port) != 2 ||
	    strncmp(ip, "127.", 4) != 0)
		return -1;
	sa.sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		for (size_t i = 0; i < sizeof(junk); i++)
			junk[i] = (uint8_t)rnd();
		if (write(fd, junk, rnd() % sizeof(junk)) < 0) {
			/* the daemon may already have closed it: fine */
		}
	}
	close(fd);
	return 0;
}

/* The malformed-request run's options; scenarios have their own. */
struct opts {
	const char *api, *events;
	long count;
	size_t big;               /* the oversized payload's size */
	struct scenario_opts so;
};

static void
usage(void)
{
	printf("Usage: hostile --api URL [--events URL] "
	    "[--count N] [--seed N] [--max-message BYTES]\n"
	    "Send N malformed requests to a shelterd on "
	    "loopback and raw garbage to\nboth sockets; "
	    "print how many were answered. Exit 1 if any "
	    "went\nunanswered while the daemon was up.\n\n"
	    "hostile --scenario %s --api URL --events URL\n"
	    "  [--http URL]       slowloris: the dashboard's "
	    "http://127.x:PORT\n"
	    "  --keys DIR [--seconds S] [--conns N] [--cap N] "
	    "[--pid PID] [--threads N]\n"
	    "  [--max-rss-mb N]   the daemon's RSS bound "
	    "(200)\n"
	    "Run one named attack while the national "
	    "coordinator and a shelter act;\nprint PASS or "
	    "FAIL (exit 0 or 1) with what the daemon held.\n",
	    scenario_names);
}

/* Fill o from argv; an exit code, or -1 to go on. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option opts[] = {
		{ "api", required_argument, NULL, 'a' },
		{ "events", required_argument, NULL, 'e' },
		{ "http", required_argument, NULL, 'H' },
		{ "count", required_argument, NULL, 'n' },
		{ "seed", required_argument, NULL, 's' },
		{ "max-message", required_argument, NULL, 'm' },
		{ "scenario", required_argument, NULL, 'S' },
		{ "keys", required_argument, NULL, 'k' },
		{ "seconds", required_argument, NULL, 't' },
		{ "conns", required_argument, NULL, 'c' },
		{ "cap", required_argument, NULL, 'C' },
		{ "pid", required_argument, NULL, 'p' },
		{ "threads", required_argument, NULL, 'T' },
		{ "max-rss-mb", required_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "a:e:H:n:s:m:S:k:t:c:C:p:T:R:h",
	    opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			o->api = optarg;
			break;
		case 'e':
			o->events = optarg;
			break;
		case 'H':
			o->so.http = optarg;
			break;
		case 'n':
			o->count = atol(optarg);
			break;
		case 's':
			rng_state = strtoull(optarg, NULL, 10) | 1;
			break;
		case 'm':
			o->big = (size_t)atol(optarg);
			break;
		case 'S':
			o->so.name = optarg;
			break;
		case 'k':
			o->so.keys = optarg;
			break;
		case 't':
			o->so.seconds = atof(optarg);
			break;
		case 'c':
			o->so.conns = atoi(optarg);
			break;
		case 'C':
			o->so.cap = atoi(optarg);
			break;
		case 'p':
			o->so.pid = atoi(optarg);
			break;
		case 'T':
			o->so.threads = atoi(optarg);
			break;
		case 'R':
			o->so.max_rss_mb = atol(optarg);
			break;
		case 'h':
			usage();
			return 0;
		default:
			return 2;
		}
	}
	return -1;
}

/* o->count malformed requests, and raw garbage now and then: 0 when every
 * one was answered while the daemon was up. */
static int
malformed(const struct opts *o)
{
	long answered = 0, unanswered = 0, garbage = 0;
	size_t cap = o->big + 2048;
	uint8_t *buf;
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	int rv, kinds[5] = { 0 };

	if ((buf = malloc(cap)) == NULL)
		return 1;
	for (long i = 0; i < o->count; i++) {
		int k = (int)(rnd() % 5);
		size_t n = payload(k, buf, cap, o->big);
		nng_msg *msg;
		/* A fresh connection now and then: a pipe closed for an
		 * oversized frame must not take the rest with it. */
		if (i % 500 == 0 || sock.id == 0) {
			if (sock.id != 0)
				client_close(sock, 2000);
			if ((rv = nng_req0_open(&sock)) != 0 ||
			    (rv = nng_dial(sock, o->api, NULL, 0)) != 0) {
				fprintf(stderr, "hostile: %s: %s\n", o->api,
				    nng_strerror(rv));
				return 1;
			}
			nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 3000);
			nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME,
			    NNG_DURATION_INFINITE);
		}
		kinds[k]++;
		if (nng_msg_alloc(&msg, n) != 0)
			return 1;
		memcpy(nng_msg_body(msg), buf, n);
		if (nng_sendmsg(sock, msg, 0) != 0) {
			nng_msg_free(msg);
			unanswered++;
			continue;
		}
		if (nng_recvmsg(sock, &msg, 0) == 0) {
			answered++;
			nng_msg_free(msg);
		} else if (k == 3) {
			/* Above nng's hard cap the pipe is closed: expected. */
			client_close(sock, 2000);
			sock.id = 0;
		} else {
			unanswered++;
		}
		if (i % 100 == 0) {
			garbage += tcp_garbage(o->api) == 0;
			if (o->events != NULL)
				garbage += tcp_garbage(o->events) == 0;
		}
	}
	if (sock.id != 0)
		client_close(sock, 2000);
	free(buf);
	printf("hostile: sent %ld (random %d, truncated %d, bit-flipped %d, "
	    "oversized %d, forged %d), answered %ld, unanswered %ld, raw "
	    "garbage connections %ld\n", o->count, kinds[0], kinds[1],
	    kinds[2], kinds[3], kinds[4], answered, unanswered, garbage);
	return unanswered == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
	struct opts o = { .count = 10000, .big = 262144,
		.so = { .seconds = 5, .conns = 200, .max_rss_mb = 200 } };
	int rc;

	rng_state = 88172645463325252ULL;
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	if (o.so.name != NULL && o.api != NULL) {
		/* Scenarios check the loopback address themselves. */
		o.so.api = o.api;
		o.so.events = o.events;
		return scenario_run(&o.so);
	}
	if (o.api == NULL || (strncmp(o.api, "tcp://127.", 10) != 0 &&
	    strncmp(o.api, "ipc://", 6) != 0)) {
		fprintf(stderr, "hostile: --api must be tcp://127.x or ipc://\n");
		return 2;
	}
	return malformed(&o);
}
