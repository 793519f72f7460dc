/*
 * hostile-scenario.c — named attacks with a verdict (hostile-scenario.h).
 * Every scenario runs the attack for --seconds while, five times a second,
 * the legitimate parties act: the national coordinator asks for the
 * status, shelter SH-UT-004 reports, and a captured earlier request of
 * that shelter is replayed. The verdict needs every legitimate request
 * answered OK within 1 s, every replay refused, and what the scenario
 * itself checks (the caps held, no BUSY caused by another signer, memory
 * and descriptors back after the attack when --pid is given).
 *
 * Keys are read from --keys DIR (tools/mksecrets makes it): the attacker
 * is shelter:SH-UT-003, the legitimate parties national and
 * shelter:SH-UT-004 of the demo registry.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <nng/supplemental/util/platform.h>
#include <poll.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "hostile-scenario.h"
#include "shelterd.pb-c.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

const char *const scenario_names =
    "replay-fill|sub-cap|conn-flood|tls-idle|byte-flood|slowloris|"
    "no-read";

enum { SP_REQ0 = 0x30, SP_SUB0 = 0x21, MAX_THREADS = 16 };

struct hkey {
	char identity[48];
	uint8_t secret[crypto_sign_SECRETKEYBYTES];
};

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
load_key(const char *dir, const char *identity, struct hkey *k)
{
	char path[1024], line[512], hex[256] = "";
	size_t n;
	FILE *f;

	/* keygen names key files with '-' for ':' (shelter-SH-UT-004). */
	snprintf(path, sizeof(path), "%s/%s.key", dir, identity);
	for (char *p = strrchr(path, '/') ? strrchr(path, '/') : path;
	    *p != '\0'; p++)
		if (*p == ':')
			*p = '-';
	if ((f = fopen(path, "r")) == NULL) {
		printf("hostile: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	k->identity[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "identity %47s", k->identity) == 1)
			continue;
		sscanf(line, "secret %255s", hex);
	}
	fclose(f);
	if (strcmp(k->identity, identity) != 0 || sodium_hex2bin(k->secret,
	    sizeof(k->secret), hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != sizeof(k->secret)) {
		printf("hostile: %s is not the key file of %s\n", path,
		    identity);
		return -1;
	}
	return 0;
}

static void
put_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* req signed by k, as docs/security.md describes; NULL on failure. */
static nng_msg *
signed_msg(const struct hkey *k, const Shelterd__V1__Request *req)
{
	Shelterd__V1__SignedRequest env = SHELTERD__V1__SIGNED_REQUEST__INIT;
	uint8_t sig[crypto_sign_BYTES], *body, *m;
	size_t len = shelterd__v1__request__get_packed_size(req);
	size_t slen = strlen(k->identity), n = 12 + slen + 1 + 16 + len;
	nng_msg *msg = NULL;

	body = malloc(len ? len : 1);
	m = malloc(n);
	if (body == NULL || m == NULL)
		goto out;
	shelterd__v1__request__pack(req, body);
	env.signer = (char *)k->identity;
	env.timestamp = (int64_t)time(NULL);
	randombytes_buf(&env.nonce, sizeof(env.nonce));
	memcpy(m, "shelterd.v1", 12);
	memcpy(m + 12, k->identity, slen + 1);
	put_be64(m + 13 + slen, (uint64_t)env.timestamp);
	put_be64(m + 21 + slen, env.nonce);
	memcpy(m + 29 + slen, body, len);
	crypto_sign_detached(sig, NULL, m, n, k->secret);
	env.signed_request.data = body;
	env.signed_request.len = len;
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	if (nng_msg_alloc(&msg,
	    shelterd__v1__signed_request__get_packed_size(&env)) == 0)
		shelterd__v1__signed_request__pack(&env, nng_msg_body(msg));
out:
	free(body);
	free(m);
	return msg;
}

static void
status_req(Shelterd__V1__Request *req, Shelterd__V1__StatusQuery *q)
{
	shelterd__v1__request__init(req);
	shelterd__v1__status_query__init(q);
	req->body_case = SHELTERD__V1__REQUEST__BODY_STATUS;
	req->status = q;
}

/* An update of shelter `id` (women: 15 beds, `occupied` taken). */
static nng_msg *
report_msg(const struct hkey *k, const char *id, uint64_t seq, int occupied)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__OccupancyUpdate up;
	Shelterd__V1__BedCount b = SHELTERD__V1__BED_COUNT__INIT, *bp = &b;

	shelterd__v1__occupancy_update__init(&up);
	up.shelter_id = (char *)id;
	up.seq = seq;
	up.observed_at = (int64_t)time(NULL);
	up.status = SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN;
	b.category = SHELTERD__V1__CATEGORY__CATEGORY_ADULT_WOMEN;
	b.capacity = 15;
	b.occupied = (uint32_t)occupied;
	up.beds = &bp;
	up.n_beds = 1;
	req.body_case = SHELTERD__V1__REQUEST__BODY_UPDATE;
	req.update = &up;
	return signed_msg(k, &req);
}

/*
 * client_dial(), but without waiting for the connection: a daemon out of
 * descriptors leaves it in its backlog for ever, and the send timeout
 * must then say so instead of the dial hanging.
 */
static int
dial_nowait(nng_socket sock, const char *url, char *err, size_t errlen)
{
	const char *ca = getenv("SHELTERD_TLS_CA");
	const char *cert = getenv("SHELTERD_TLS_CERT");
	nng_tls_config *tls = NULL;
	nng_dialer d;
	int rv;

	if (strncmp(url, "tls+tcp://", 10) != 0) {
		if ((rv = nng_dial(sock, url, NULL, NNG_FLAG_NONBLOCK)) != 0)
			goto fail;
		return 0;
	}
	if ((rv = nng_dialer_create(&d, sock, url)) != 0 ||
	    (rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (ca && (rv = nng_tls_config_ca_file(tls, ca)) != 0) ||
	    (cert && (rv = nng_tls_config_cert_key_file(tls, cert, NULL)) !=
	    0) ||
	    (rv = nng_tls_config_server_name(tls, "localhost")) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0)
		goto fail;
	nng_tls_config_free(tls);
	tls = NULL;
	if ((rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0)
		goto fail;
	return 0;
fail:
	if (tls != NULL)
		nng_tls_config_free(tls);
	snprintf(err, errlen, "dial %s: %s", url, nng_strerror(rv));
	return -1;
}

/* Send msg (taken) on a fresh connection, as a real client does; the
 * reply's code, or -1 when there was none. *secs: the whole round trip,
 * connection included. */
static int
call_fresh(const char *url, nng_msg *msg, double *secs, char *why,
    size_t whylen)
{
	Shelterd__V1__Reply *reply;
	double t0 = now_s();
	nng_socket sock;
	char err[256];
	int rv, code = -1;

	why[0] = '\0';
	if (msg == NULL) {
		snprintf(why, whylen, "cannot build the request");
		return -1;
	}
	if ((rv = nng_req0_open(&sock)) != 0) {
		nng_msg_free(msg);
		snprintf(why, whylen, "%s", nng_strerror(rv));
		return -1;
	}
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 5000);
	nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, 5000);
	if (dial_nowait(sock, url, err, sizeof(err)) != 0) {
		nng_msg_free(msg);
		snprintf(why, whylen, "%s", err);
		goto out;
	}
	if ((rv = nng_sendmsg(sock, msg, 0)) != 0) {
		nng_msg_free(msg);
		snprintf(why, whylen, "send: %s", nng_strerror(rv));
		goto out;
	}
	if ((rv = nng_recvmsg(sock, &msg, 0)) != 0) {
		snprintf(why, whylen, "no reply: %s", nng_strerror(rv));
		goto out;
	}
	reply = shelterd__v1__reply__unpack(NULL, nng_msg_len(msg),
	    nng_msg_body(msg));
	nng_msg_free(msg);
	if (reply == NULL) {
		snprintf(why, whylen, "not a Reply");
		goto out;
	}
	code = reply->code;
	snprintf(why, whylen, "%s", reply->error ? reply->error : "");
	shelterd__v1__reply__free_unpacked(reply, NULL);
out:
	*secs = now_s() - t0;
	client_close(sock, 2000);
	return code;
}

/* ---- the legitimate parties ------------------------------------------ */

struct legit {
	const char *api;
	struct hkey national, shelter;
	nng_msg *captured;      /* an accepted report of the shelter */
	uint64_t seq;
	int rounds, status_ok, report_ok, replays_refused;
	double worst;           /* slowest legitimate round trip, s */
	char first_failure[320];
};

static void
legit_fail(struct legit *l, const char *what, int code, double secs,
    const char *why)
{
	if (l->first_failure[0] == '\0')
		snprintf(l->first_failure, sizeof(l->first_failure),
		    "%s: code %d after %.3f s (%s)", what, code, secs, why);
}

static int
legit_init(struct legit *l, const struct scenario_opts *o)
{
	nng_msg *copy;
	char why[256];
	double secs;
	int code;

	memset(l, 0, sizeof(*l));
	l->api = o->api;
	if (load_key(o->keys, "national", &l->national) != 0 ||
	    load_key(o->keys, "shelter:SH-UT-004", &l->shelter) != 0)
		return -1;
	/* Increasing across runs against the same store. */
	l->seq = (uint64_t)time(NULL) * 1000;
	l->captured = report_msg(&l->shelter, "SH-UT-004", l->seq++, 3);
	if (l->captured == NULL || nng_msg_dup(&copy, l->captured) != 0)
		return -1;
	code = call_fresh(l->api, copy, &secs, why, sizeof(why));
	if (code != CODE(OK)) {
		printf("hostile: the shelter's first report was refused "
		    "(code %d: %s)\n", code, why);
		return -1;
	}
	return 0;
}

/* One round: status, a report, a replay. */
static void
legit_round(struct legit *l)
{
	Shelterd__V1__Request req;
	Shelterd__V1__StatusQuery q;
	nng_msg *copy;
	char why[256];
	double secs;
	int code;

	l->rounds++;
	status_req(&req, &q);
	code = call_fresh(l->api, signed_msg(&l->national, &req), &secs, why,
	    sizeof(why));
	if (secs > l->worst)
		l->worst = secs;
	if (code == CODE(OK) && secs <= 1.0)
		l->status_ok++;
	else
		legit_fail(l, "national status", code, secs, why);
	l->seq++;
	code = call_fresh(l->api, report_msg(&l->shelter, "SH-UT-004",
	    l->seq, (int)(l->seq % 15)), &secs, why, sizeof(why));
	if (secs > l->worst)
		l->worst = secs;
	if (code == CODE(OK) && secs <= 1.0)
		l->report_ok++;
	else
		legit_fail(l, "shelter report", code, secs, why);
	if (nng_msg_dup(&copy, l->captured) != 0)
		return;
	code = call_fresh(l->api, copy, &secs, why, sizeof(why));
	if (code == CODE(UNAUTHENTICATED) && strstr(why, "replayed"))
		l->replays_refused++;
	else
		legit_fail(l, "replayed report", code, secs, why);
}

static bool
legit_verdict(const struct legit *l)
{
	bool ok = l->rounds > 0 && l->status_ok == l->rounds &&
	    l->report_ok == l->rounds && l->replays_refused == l->rounds;

	printf("legitimate, %d rounds: national status OK within 1 s %d, "
	    "shelter report OK within 1 s %d, replay refused %d; slowest "
	    "%.3f s\n", l->rounds, l->status_ok, l->report_ok,
	    l->replays_refused, l->worst);
	if (l->first_failure[0] != '\0')
		printf("first failure: %s\n", l->first_failure);
	return ok;
}

/* Run legitimate rounds, five a second, until `until`; tick() between. */
static void
legit_until(struct legit *l, double until, void (*tick)(void *), void *arg)
{
	while (now_s() < until) {
		double next = now_s() + 0.2;

		legit_round(l);
		if (tick != NULL)
			tick(arg);
		while (now_s() < next)
			nng_msleep(10);
	}
}

/* ---- the daemon's process -------------------------------------------- */

static long
rss_kib(int pid)
{
	char path[64], line[256];
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "VmRSS: %ld", &v) == 1)
			break;
	fclose(f);
	return v;
}

static int
fd_count(int pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	if ((d = opendir(path)) == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct procstat {
	long rss_before, rss_peak;
	int fds_before, fds_peak;
};

static void
proc_sample(const struct scenario_opts *o, struct procstat *p)
{
	long r;
	int n;

	if (o->pid <= 0)
		return;
	if ((r = rss_kib(o->pid)) > p->rss_peak)
		p->rss_peak = r;
	if ((n = fd_count(o->pid)) > p->fds_peak)
		p->fds_peak = n;
}

/* RSS under max_rss_mb (200) throughout, descriptors back within a few
 * seconds. */
static bool
proc_verdict(const struct scenario_opts *o, const struct procstat *p)
{
	int fds = -1;
	bool ok;

	if (o->pid <= 0)
		return true;
	for (int i = 0; i < 50; i++) {
		fds = fd_count(o->pid);
		if (fds <= p->fds_before + 4)
			break;
		nng_msleep(100);
	}
	ok = p->rss_peak < o->max_rss_mb * 1024 && fds <= p->fds_before + 4;
	printf("daemon: RSS %ld KiB before, %ld KiB at most; descriptors %d "
	    "before, %d at most, %d after\n", p->rss_before, p->rss_peak,
	    p->fds_before, p->fds_peak, fds);
	return ok;
}

/* ---- raw SP connections ----------------------------------------------- */

static int
url_addr(const char *url, struct sockaddr_in *sa)
{
	const char *host = strstr(url, "://");
	char ip[64];
	int port;

	memset(sa, 0, sizeof(*sa));
	if ((strncmp(url, "tcp://", 6) != 0 &&
	    strncmp(url, "tls+tcp://", 10) != 0) || host == NULL ||
	    sscanf(host + 3, "%63[^:]:%d", ip, &port) != 2 ||
	    strncmp(ip, "127.", 4) != 0)
		return -1;
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, ip, &sa->sin_addr) == 1 ? 0 : -1;
}

/* A TCP connection from `source` that completes the SP handshake, so the
 * daemon announces a pipe for it; -1 on failure. */
static int
sp_open(const struct sockaddr_in *to, const char *source, int proto)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	uint8_t hdr[8] = { 0, 'S', 'P', 0, (uint8_t)(proto >> 8),
		(uint8_t)proto, 0, 0 }, got[8];
	struct pollfd pfd;
	size_t have = 0;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	inet_pton(AF_INET, source, &from.sin_addr);
	if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
	    connect(fd, (const struct sockaddr *)to, sizeof(*to)) != 0 ||
	    write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr))
		goto fail;
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (have < sizeof(got)) {
		ssize_t n;

		if (poll(&pfd, 1, 1000) != 1)
			goto fail;
		if ((n = read(fd, got + have, sizeof(got) - have)) <= 0)
			goto fail;
		have += (size_t)n;
	}
	return fd;
fail:
	close(fd);
	return -1;
}

/* The daemon closed it (refused). */
static bool
sp_closed(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	uint8_t b;

	if (poll(&pfd, 1, 0) != 1)
		return false;
	return recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

struct flood {
	struct sockaddr_in to;
	const char *source;
	int proto, n;
	int *fds;
	long opened, refused;   /* refused: closed by the daemon */
	long failed;            /* no SP handshake within 1 s */
};

/* Open the missing ones, for at most `budget` seconds: a daemon out of
 * descriptors leaves connections unanswered in its backlog. */
static void
flood_open_all(struct flood *f, double budget)
{
	double until = now_s() + budget;

	for (int i = 0; i < f->n && now_s() < until; i++) {
		if (f->fds[i] >= 0)
			continue;
		if ((f->fds[i] = sp_open(&f->to, f->source, f->proto)) >= 0)
			f->opened++;
		else
			f->failed++;
	}
}

/* Close what the daemon refused and connect again: a churn of refusals. */
static void
flood_churn(void *arg)
{
	struct flood *f = arg;

	for (int i = 0; i < f->n; i++) {
		if (f->fds[i] >= 0 && sp_closed(f->fds[i])) {
			close(f->fds[i]);
			f->fds[i] = -1;
			f->refused++;
		}
	}
	flood_open_all(f, 0.1);
}

static int
flood_admitted(const struct flood *f)
{
	int n = 0;

	for (int i = 0; i < f->n; i++)
		n += f->fds[i] >= 0 && !sp_closed(f->fds[i]);
	return n;
}

static void
flood_close(struct flood *f)
{
	for (int i = 0; i < f->n; i++)
		if (f->fds[i] >= 0)
			close(f->fds[i]);
	for (int i = 0; i < f->n; i++)
		f->fds[i] = -1;
}

/* ---- scenarios --------------------------------------------------------- */

struct attacker {
	const struct scenario_opts *o;
	struct hkey key;
	atomic_bool stop;
	/* by kind (0: forbidden report for another shelter, 1: status, which
	 * it may ask) and code */
	atomic_long codes[2][16], unanswered;
};

static void *
attack_loop(void *arg)
{
	struct attacker *a = arg;
	nng_socket sock = NNG_SOCKET_INITIALIZER;
	char err[256];
	long i = 0;

	while (!atomic_load(&a->stop)) {
		Shelterd__V1__Request req;
		Shelterd__V1__StatusQuery q;
		Shelterd__V1__Reply *reply;
		nng_msg *msg;
		int kind = (int)(i++ % 2);

		if (sock.id == 0) {
			if (nng_req0_open(&sock) != 0)
				break;
			nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, 3000);
			nng_socket_set_ms(sock, NNG_OPT_REQ_RESENDTIME,
			    NNG_DURATION_INFINITE);
			if (client_dial(sock, a->o->api, err, sizeof(err)) !=
			    0) {
				client_close(sock, 1000);
				sock.id = 0;
				nng_msleep(100);
				continue;
			}
		}
		if (kind == 0) {
			msg = report_msg(&a->key, "SH-UT-004", (uint64_t)i, 1);
		} else {
			status_req(&req, &q);
			msg = signed_msg(&a->key, &req);
		}
		if (msg == NULL || nng_sendmsg(sock, msg, 0) != 0 ||
		    nng_recvmsg(sock, &msg, 0) != 0) {
			atomic_fetch_add(&a->unanswered, 1);
			client_close(sock, 1000);
			sock.id = 0;
			continue;
		}
		reply = shelterd__v1__reply__unpack(NULL, nng_msg_len(msg),
		    nng_msg_body(msg));
		nng_msg_free(msg);
		if (reply == NULL) {
			atomic_fetch_add(&a->unanswered, 1);
			continue;
		}
		atomic_fetch_add(&a->codes[kind][reply->code & 15], 1);
		shelterd__v1__reply__free_unpacked(reply, NULL);
	}
	if (sock.id != 0)
		client_close(sock, 1000);
	return NULL;
}

static long
sum(atomic_long *v, int n)
{
	long s = 0;

	for (int i = 0; i < n; i++)
		s += atomic_load(&v[i]);
	return s;
}

/*
 * One shelter key floods: requests it may not make (a report for another
 * shelter: FORBIDDEN) and requests it may (status) as fast as it can. The
 * forbidden ones must never be BUSY (they are not remembered) and the
 * others' requests never BUSY: only the flooder's own quota fills.
 */
static int
replay_fill(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps)
{
	static struct attacker a;
	pthread_t t[MAX_THREADS];
	int threads = o->threads > 0 && o->threads <= MAX_THREADS ?
	    o->threads : 2;
	double t0 = now_s(), secs;
	long forb, forb_forbidden, allowed, allowed_busy, total;
	bool ok;

	memset(&a, 0, sizeof(a));
	a.o = o;
	if (load_key(o->keys, "shelter:SH-UT-003", &a.key) != 0)
		return 2;
	for (int i = 0; i < threads; i++)
		pthread_create(&t[i], NULL, attack_loop, &a);
	while (now_s() < t0 + o->seconds) {
		legit_until(l, now_s() + 0.2, NULL, NULL);
		proc_sample(o, ps);
	}
	atomic_store(&a.stop, true);
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	secs = now_s() - t0;
	forb = sum(a.codes[0], 16);
	forb_forbidden = atomic_load(&a.codes[0][CODE(FORBIDDEN)]);
	allowed = sum(a.codes[1], 16);
	allowed_busy = atomic_load(&a.codes[1][CODE(BUSY)]);
	total = forb + allowed;
	printf("attack: shelter:SH-UT-003, %d connections, %ld signed "
	    "requests in %.1f s (%.0f/s): %ld for another shelter (FORBIDDEN "
	    "%ld, BUSY %ld), %ld status (OK %ld, BUSY %ld: its own quota), "
	    "%ld unanswered\n", threads, total, secs, (double)total / secs,
	    forb, forb_forbidden, atomic_load(&a.codes[0][CODE(BUSY)]),
	    allowed, atomic_load(&a.codes[1][CODE(OK)]), allowed_busy,
	    atomic_load(&a.unanswered));
	ok = forb > 0 && forb_forbidden == forb;
	return ok ? 0 : 1;
}

/* Subscribers past the cap, refused and reconnecting all the time: the
 * daemon holds exactly `cap`, and after they all leave takes `cap` new
 * ones (its count did not drift). */
static int
sub_cap(const struct scenario_opts *o, struct legit *l, struct procstat *ps)
{
	struct flood f = { .source = "127.0.0.1", .proto = SP_SUB0 };
	int want = o->conns < o->cap ? o->conns : o->cap, held, again;
	bool ok;

	if (o->cap <= 0 || url_addr(o->events, &f.to) != 0) {
		printf("hostile: sub-cap needs --events tcp://127.x:PORT and "
		    "--cap N ([security] max_connections)\n");
		return 2;
	}
	f.n = o->conns;
	if ((f.fds = malloc(sizeof(int) * (size_t)f.n)) == NULL)
		return 2;
	for (int i = 0; i < f.n; i++)
		f.fds[i] = -1;
	flood_open_all(&f, o->seconds);
	legit_until(l, now_s() + o->seconds, flood_churn, &f);
	proc_sample(o, ps);
	nng_msleep(300);
	held = flood_admitted(&f);
	flood_close(&f);
	nng_msleep(500);
	/* As many new ones as the cap: all admitted. */
	f.n = want;
	flood_open_all(&f, o->seconds);
	nng_msleep(500);
	again = flood_admitted(&f);
	flood_close(&f);
	free(f.fds);
	printf("attack: %d subscribers at once, cap %d: %ld connects, %ld "
	    "refused, %ld without a handshake; %d held at the end; after "
	    "they left, %d of %d new ones admitted\n", o->conns, o->cap,
	    f.opened, f.refused, f.failed, held, again, want);
	/* Refused after the handshake (nng) or before it (the guard). */
	ok = held == want && again == want &&
	    (o->conns <= o->cap || f.refused + f.failed > 0);
	return ok ? 0 : 1;
}

/* One address opens many api connections and holds them: it gets at most
 * its cap, and others are served. */
static int
conn_flood(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps)
{
	struct flood f = { .source = "127.0.0.2", .proto = SP_REQ0 };
	int held;
	bool ok;

	if (o->cap <= 0 || url_addr(o->api, &f.to) != 0) {
		printf("hostile: conn-flood needs --api tcp://127.x:PORT and "
		    "--cap N ([security] max_connections_per_peer)\n");
		return 2;
	}
	f.n = o->conns;
	if ((f.fds = malloc(sizeof(int) * (size_t)f.n)) == NULL)
		return 2;
	for (int i = 0; i < f.n; i++)
		f.fds[i] = -1;
	flood_open_all(&f, o->seconds);
	legit_until(l, now_s() + o->seconds, flood_churn, &f);
	proc_sample(o, ps);
	nng_msleep(300);
	held = flood_admitted(&f);
	flood_close(&f);
	free(f.fds);
	printf("attack: %d api connections from 127.0.0.2, cap per peer %d: "
	    "%ld connects, %ld refused, %ld without a handshake, %d held at "
	    "the end\n", o->conns, o->cap, f.opened, f.refused, f.failed,
	    held);
	ok = held <= o->cap && held > 0;
	return ok ? 0 : 1;
}

/* Plain TCP connections that never start TLS (or anything), held. nng
 * 1.5.2 neither times them out nor counts them as connections (a pipe
 * exists only after the handshake); the guard closes each after
 * [guard] handshake_secs. Passes when every one was closed by the end (run
 * it longer than handshake_secs). */
static int
tls_idle(const struct scenario_opts *o, struct legit *l, struct procstat *ps)
{
	struct sockaddr_in to, from = { .sin_family = AF_INET };
	int *fds, n = 0, closed = 0;

	if (url_addr(o->api, &to) != 0) {
		printf("hostile: tls-idle needs --api tls+tcp://127.x:PORT\n");
		return 2;
	}
	if ((fds = malloc(sizeof(int) * (size_t)o->conns)) == NULL)
		return 2;
	inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
	for (int i = 0; i < o->conns; i++) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			break;
		if (bind(fd, (struct sockaddr *)&from, sizeof(from)) != 0 ||
		    connect(fd, (struct sockaddr *)&to, sizeof(to)) != 0) {
			close(fd);
			break;
		}
		fds[n++] = fd;
	}
	proc_sample(o, ps);
	legit_until(l, now_s() + o->seconds, NULL, NULL);
	proc_sample(o, ps);
	for (int i = 0; i < n; i++) {
		closed += sp_closed(fds[i]);
		close(fds[i]);
	}
	free(fds);
	printf("attack: %d idle TCP connections to the api from 127.0.0.2 "
	    "(no TLS handshake), %d closed by the daemon after %.0f s\n", n,
	    closed, o->seconds);
	return n > 0 && closed == n ? 0 : 1;
}

struct byte_flood {
	int fd;
	atomic_bool *stop;
	size_t size;
	atomic_long *sent;
	atomic_bool ended;      /* a send failed: the daemon closed it */
};

/* One connection: status queries padded to `size` bytes with a field the
 * daemon does not know, sent as fast as TCP takes them, replies never
 * read. */
static void *
byte_flood_loop(void *arg)
{
	struct byte_flood *b = arg;
	size_t n = 19 + b->size, off;
	uint8_t *frame = b->size < (1u << 21) ? calloc(1, n) : NULL;
	uint32_t id = 0x80000000u;

	if (frame == NULL)
		return NULL;
	/* 8-byte length, 4-byte request id, then a Request: status {} and
	 * field 2047 (bytes) of `size` bytes. */
	frame[12] = 0x12;       /* field 2 (status), length-delimited */
	frame[13] = 0x00;
	frame[14] = 0xfa;       /* field 2047, length-delimited */
	frame[15] = 0x7f;
	frame[16] = (uint8_t)(0x80 | (b->size & 0x7f));
	frame[17] = (uint8_t)(0x80 | ((b->size >> 7) & 0x7f));
	frame[18] = (uint8_t)((b->size >> 14) & 0x7f);
	put_be64(frame, (uint64_t)(n - 8));
	while (!atomic_load(b->stop)) {
		frame[8] = (uint8_t)(id >> 24);
		frame[9] = (uint8_t)(id >> 16);
		frame[10] = (uint8_t)(id >> 8);
		frame[11] = (uint8_t)id;
		id = 0x80000000u | (id + 1);
		for (off = 0; off < n;) {
			ssize_t w = send(b->fd, frame + off, n - off,
			    MSG_NOSIGNAL);

			if (w <= 0)
				goto out;
			off += (size_t)w;
		}
		atomic_fetch_add(b->sent, 1);
	}
out:
	atomic_store(&b->ended, !atomic_load(b->stop));
	free(frame);
	return NULL;
}

/* What an unread flood did: connections opened, requests sent, and how
 * many the daemon closed before the attack ended. */
struct unread {
	int n, closed;
	long sent;
};

/*
 * o->conns (20) api connections from 127.0.0.2, each sending `size`-byte
 * requests as fast as TCP takes them and reading no reply, for
 * o->seconds while the legitimate parties act. -1 without a usable --api.
 */
static int
unread_flood(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps, size_t size, struct unread *u)
{
	static atomic_bool stop;
	static atomic_long sent;
	struct byte_flood b[MAX_THREADS * 4];
	pthread_t t[MAX_THREADS * 4];
	struct sockaddr_in to;
	int want = o->conns > 0 && o->conns <= MAX_THREADS * 4 ? o->conns :
	    20;

	memset(u, 0, sizeof(*u));
	if (url_addr(o->api, &to) != 0)
		return -1;
	atomic_store(&stop, false);
	atomic_store(&sent, 0);
	for (int i = 0; i < want; i++) {
		int fd = sp_open(&to, "127.0.0.2", SP_REQ0);

		if (fd < 0)
			break;
		b[u->n] = (struct byte_flood){ fd, &stop, size, &sent, false };
		pthread_create(&t[u->n], NULL, byte_flood_loop, &b[u->n]);
		u->n++;
	}
	for (double until = now_s() + o->seconds; now_s() < until;) {
		legit_until(l, now_s() + 0.2, NULL, NULL);
		proc_sample(o, ps);
	}
	/* Closed by the daemon: its sends fail (what it did send is still
	 * unread in the socket, so a read would not tell). */
	for (int i = 0; i < u->n; i++)
		u->closed += atomic_load(&b[i].ended);
	atomic_store(&stop, true);
	for (int i = 0; i < u->n; i++) {
		shutdown(b[i].fd, SHUT_RDWR);
		pthread_join(t[i], NULL);
		close(b[i].fd);
	}
	u->sent = atomic_load(&sent);
	return 0;
}

/* Connections that send large requests and never read their replies:
 * the daemon must stop reading (back-pressure) rather than buffer them,
 * so RSS stays bounded and the others are served. */
static int
byte_flood(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps)
{
	struct unread u;

	if (unread_flood(o, l, ps, 250000, &u) != 0) {
		printf("hostile: byte-flood needs --api tcp://127.x:PORT\n");
		return 2;
	}
	printf("attack: %d connections from 127.0.0.2 sent %ld requests of "
	    "250 KB (%.0f MB) in %.0f s and read no reply\n", u.n, u.sent,
	    u.sent * 0.25, o->seconds);
	return u.n > 0 ? 0 : 1;
}

/* A TCP connection from 127.0.0.2 to `to`; -1 on failure. */
static int
tcp_open(const struct sockaddr_in *to)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.2", &from.sin_addr);
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&from,
	    sizeof(from)) != 0 || connect(fd, (const struct sockaddr *)to,
	    sizeof(*to)) != 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* GET /healthz from 127.0.0.1 answered with 200 within 1 s? */
static bool
http_healthy(const struct sockaddr_in *to)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n"
	    "Connection: close\r\n\r\n";
	struct timeval tv = { .tv_sec = 1 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	char buf[64] = "";
	ssize_t n = -1;

	if (fd < 0)
		return false;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (const struct sockaddr *)to, sizeof(*to)) == 0 &&
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) > 0)
		n = recv(fd, buf, sizeof(buf) - 1, 0);
	close(fd);
	return n > 12 && strncmp(buf, "HTTP/1.1 200", 12) == 0;
}

/*
 * Slowloris: conns connections to the dashboard's port, each sending a
 * request head a byte every half second and never ending it. Passes when
 * the daemon closed every one by the end (run it longer than [guard]
 * header_secs) and /healthz answered within 1 s throughout.
 */
static int
slowloris(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps)
{
	struct sockaddr_in to;
	char url[128];
	int *fds, n = 0, closed = 0, healthy = 0, rounds = 0;

	snprintf(url, sizeof(url), "tcp://%s", o->http != NULL &&
	    strncmp(o->http, "http://", 7) == 0 ? o->http + 7 : "");
	if (url_addr(url, &to) != 0) {
		printf("hostile: slowloris needs --http http://127.x:PORT\n");
		return 2;
	}
	if ((fds = malloc(sizeof(int) * (size_t)(o->conns + 1))) == NULL)
		return 2;
	for (int i = 0; i < o->conns; i++)
		if ((fds[n] = tcp_open(&to)) >= 0 &&
		    send(fds[n], "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL) > 0)
			n++;
	for (double until = now_s() + o->seconds; now_s() < until;) {
		legit_until(l, now_s() + 0.5, NULL, NULL);
		for (int i = 0; i < n; i++)
			if (fds[i] >= 0 && send(fds[i], "X", 1,
			    MSG_NOSIGNAL) < 0) {
				close(fds[i]);
				fds[i] = -1;
				closed++;
			}
		healthy += http_healthy(&to);
		rounds++;
		proc_sample(o, ps);
	}
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0) {
			closed += sp_closed(fds[i]);
			close(fds[i]);
		}
	free(fds);
	printf("attack: %d slow request heads to %s from 127.0.0.2, %d "
	    "closed by the daemon in %.0f s; /healthz answered within 1 s "
	    "%d of %d times\n", n, o->http, closed, o->seconds, healthy,
	    rounds);
	return n > 0 && closed == n && healthy == rounds ? 0 : 1;
}

/*
 * Connections that send small requests as fast as they can and never read
 * a reply: the replies must not pile up in the daemon. Passes when the
 * daemon closed every one by the end (run it longer than [guard]
 * drain_secs); RSS and the others' service are checked as for all.
 */
static int
no_read(const struct scenario_opts *o, struct legit *l,
    struct procstat *ps)
{
	struct unread u;

	if (unread_flood(o, l, ps, 200, &u) != 0) {
		printf("hostile: no-read needs --api tcp://127.x:PORT\n");
		return 2;
	}
	printf("attack: %d connections from 127.0.0.2 sent %ld small "
	    "requests in %.0f s and read no reply; %d closed by the daemon\n",
	    u.n, u.sent, o->seconds, u.closed);
	return u.n > 0 && u.closed == u.n ? 0 : 1;
}

int
scenario_run(const struct scenario_opts *o)
{
	struct procstat ps = { 0 };
	struct legit l;
	int rc;
	bool legit_ok, proc_ok;

	if (sodium_init() < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strncmp(o->api, "tcp://127.", 10) != 0 &&
	    strncmp(o->api, "tls+tcp://127.", 14) != 0 &&
	    strncmp(o->api, "ipc://", 6) != 0) {
		printf("hostile: --api must be tcp://127.x, tls+tcp://127.x "
		    "or ipc://\n");
		return 2;
	}
	if (o->keys == NULL) {
		printf("hostile: --scenario needs --keys DIR (tools/mksecrets "
		    "makes one)\n");
		return 2;
	}
	if (legit_init(&l, o) != 0) {
		if (l.captured != NULL)
			nng_msg_free(l.captured);
		return 2;
	}
	if (o->pid > 0) {
		ps.rss_before = ps.rss_peak = rss_kib(o->pid);
		ps.fds_before = ps.fds_peak = fd_count(o->pid);
	}
	printf("scenario %s, %.1f s\n", o->name, o->seconds);
	if (strcmp(o->name, "replay-fill") == 0)
		rc = replay_fill(o, &l, &ps);
	else if (strcmp(o->name, "sub-cap") == 0)
		rc = sub_cap(o, &l, &ps);
	else if (strcmp(o->name, "conn-flood") == 0)
		rc = conn_flood(o, &l, &ps);
	else if (strcmp(o->name, "tls-idle") == 0)
		rc = tls_idle(o, &l, &ps);
	else if (strcmp(o->name, "byte-flood") == 0)
		rc = byte_flood(o, &l, &ps);
	else if (strcmp(o->name, "slowloris") == 0)
		rc = slowloris(o, &l, &ps);
	else if (strcmp(o->name, "no-read") == 0)
		rc = no_read(o, &l, &ps);
	else {
		printf("hostile: no scenario '%s' (%s)\n", o->name,
		    scenario_names);
		rc = 2;
	}
	if (rc != 2) {
		/* After the attack too: a replay is refused. */
		legit_round(&l);
		legit_ok = legit_verdict(&l);
		proc_ok = proc_verdict(o, &ps);
		if (rc == 0 && (!legit_ok || !proc_ok))
			rc = 1;
		printf("%s %s\n", rc == 0 ? "PASS" : "FAIL", o->name);
	}
	nng_msg_free(l.captured);
	return rc;
}
