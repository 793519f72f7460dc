#include "common.h"
#include "util.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <nng/supplemental/tls/tls.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *
client_default_api(void)
{
	const char *v = getenv("SHELTERD_API");

	return (v && *v) ? v : DEFAULT_API_URL;
}

const char *
client_default_events(void)
{
	const char *v = getenv("SHELTERD_EVENTS");

	return (v && *v) ? v : DEFAULT_EVENTS_URL;
}

/* The signing key, loaded once from --key or $SHELTERD_KEY. */
static struct {
	bool loaded;
	char identity[48];
	uint8_t secret[crypto_sign_SECRETKEYBYTES];
} key;

static const char *key_path;

void
client_set_key(const char *path)
{
	key_path = path;
}

int
client_load_key(const char *path, char *err, size_t errlen)
{
	char line[512], hex[256] = "";
	FILE *f;
	size_t n;

	if (sodium_init() < 0) {
		snprintf(err, errlen, "libsodium cannot initialise");
		return -1;
	}
	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "cannot read key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	key.identity[0] = '\0';
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "identity %47s", key.identity) == 1)
			continue;
		sscanf(line, "secret %255s", hex);
	}
	fclose(f);
	if (key.identity[0] == '\0' || sodium_hex2bin(key.secret,
	    sizeof(key.secret), hex, strlen(hex), NULL, &n, NULL) != 0 ||
	    n != sizeof(key.secret)) {
		snprintf(err, errlen, "%s is not a shelterd key file (lines "
		    "'identity ROLE:ID' and 'secret HEX'; see tools/keygen)",
		    path);
		return -1;
	}
	key.loaded = true;
	return 0;
}

/* For tls+tcp:// and wss:// URLs: our TLS identity on dialer d. */
int
client_dialer_tls(nng_dialer d, const char *url, char *err, size_t errlen)
{
	const char *cert = getenv("SHELTERD_TLS_CERT");
	const char *ca = getenv("SHELTERD_TLS_CA");
	const char *name = getenv("SHELTERD_TLS_SERVER_NAME");
	nng_tls_config *tls = NULL;
	int rv;

	if (strncmp(url, "tls+tcp://", 10) != 0 &&
	    strncmp(url, "wss://", 6) != 0)
		return 0;
	if (ca == NULL || *ca == '\0') {
		snprintf(err, errlen, "%s needs $SHELTERD_TLS_CA (the CA that "
		    "signed the daemon's certificate) and $SHELTERD_TLS_CERT "
		    "(your certificate and key, PEM)", url);
		return -1;
	}
	if ((rv = nng_tls_config_alloc(&tls, NNG_TLS_MODE_CLIENT)) != 0 ||
	    (rv = nng_tls_config_ca_file(tls, ca)) != 0 ||
	    (cert && *cert && (rv = nng_tls_config_cert_key_file(tls, cert,
	    NULL)) != 0) ||
	    /* mbedTLS 2.28 does not match IP addresses in certificates:
	     * check the name the daemon's certificate carries. */
	    (rv = nng_tls_config_server_name(tls, name && *name ? name :
	    "localhost")) != 0 ||
	    (rv = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, tls)) != 0) {
		snprintf(err, errlen, "cannot set up TLS for %s: %s", url,
		    nng_strerror(rv));
		rv = -1;
	}
	if (tls != NULL)
		nng_tls_config_free(tls); /* the dialer holds its own ref */
	return rv;
}

/* ---- address lists ---------------------------------------------------- */

int
client_addrs(const char *list, char out[][CLIENT_URL_MAX], int max,
    char *err, size_t errlen)
{
	const char *p = list;
	int n = 0;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (len == 0) {
			snprintf(err, errlen, "'%s': an empty address in the "
			    "list (URL,URL,...)", list);
			return -1;
		}
		if (n == max) {
			snprintf(err, errlen, "'%s': more than %d addresses",
			    list, max);
			return -1;
		}
		if (len >= CLIENT_URL_MAX) {
			snprintf(err, errlen, "'%.40s...': an address longer "
			    "than %d characters", p, CLIENT_URL_MAX - 1);
			return -1;
		}
		memcpy(out[n], p, len);
		out[n++][len] = '\0';
		if (p[len] == '\0')
			return n;
		p += len + 1;
	}
}

static const char *prog_name = "libshelterd";
static void (*note_fn)(const char *line);

void
client_set_prog(const char *prog)
{
	prog_name = prog;
}

void
client_set_note(void (*note)(const char *line))
{
	note_fn = note;
}

static void
note(const char *line)
{
	if (note_fn != NULL)
		note_fn(line);
	else
		fprintf(stderr, "%s: %s\n", prog_name, line);
}

/* Append "; " and s to buf (truncated, never overflowing). */
static void
append(char *buf, size_t len, const char *s)
{
	size_t used = strlen(buf), n;

	if (used > 0 && used + 2 < len) {
		memcpy(buf + used, "; ", 2);
		used += 2;
	}
	n = strlen(s);
	if (n > len - 1 - used)
		n = len - 1 - used;
	memcpy(buf + used, s, n);
	buf[used + n] = '\0';
}

/* One address: create, TLS, start (sync; when that fails and bg, again
 * without waiting). 0, -1 (cannot connect) or -2 (cannot even try: a bad
 * URL or TLS set-up), with "URL: reason" (or the TLS set-up's own words)
 * in err. */
static int
dial_one(nng_socket sock, const char *url, bool bg, char *err,
    size_t errlen)
{
	nng_dialer d;
	int rv;

	if ((rv = nng_dialer_create(&d, sock, url)) != 0) {
		snprintf(err, errlen, "%s: %s", url, nng_strerror(rv));
		return -2;
	}
	if (client_dialer_tls(d, url, err, errlen) != 0) {
		nng_dialer_close(d);
		return -2;
	}
	if ((rv = nng_dialer_start(d, 0)) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", url, nng_strerror(rv));
	/* A failed synchronous start leaves the dialer stopped; started
	 * again without waiting, it keeps redialling this address. */
	if (!bg || nng_dialer_start(d, NNG_FLAG_NONBLOCK) != 0)
		nng_dialer_close(d);
	return -1;
}

/*
 * Which dialers of a list dial have a connection. nng calls seen_cb on
 * its own threads, maybe even just after the callback was unset: hence
 * static storage, and one list dial at a time (seen_lock).
 */
#define CLIENT_LIST_DIAL_MS 5000
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	nng_dialer d[CLIENT_MAX_ADDRS];
	bool up[CLIENT_MAX_ADDRS];
	int n, nup;
} seen = {
	.mtx = PTHREAD_MUTEX_INITIALIZER,
	.cv = PTHREAD_COND_INITIALIZER,
};

static void
seen_cb(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	int id = nng_dialer_id(nng_pipe_dialer(p));

	(void)ev;
	(void)arg;
	pthread_mutex_lock(&seen.mtx);
	for (int i = 0; i < seen.n; i++) {
		if (nng_dialer_id(seen.d[i]) == id && !seen.up[i]) {
			seen.up[i] = true;
			seen.nup++;
			pthread_cond_broadcast(&seen.cv);
		}
	}
	pthread_mutex_unlock(&seen.mtx);
}

/* Until all n are up, or one is and the others had 200 ms more, or
 * CLIENT_LIST_DIAL_MS passed. */
static void
wait_seen(int n)
{
	struct timespec now, until, first = { 0, 0 };

	clock_gettime(CLOCK_REALTIME, &now);
	until = now;
	until.tv_sec += CLIENT_LIST_DIAL_MS / 1000;
	pthread_mutex_lock(&seen.mtx);
	while (seen.nup < n) {
		if (seen.nup > 0 && first.tv_sec == 0) {
			clock_gettime(CLOCK_REALTIME, &first);
			first.tv_nsec += 200000000L;
			if (first.tv_nsec >= 1000000000L) {
				first.tv_sec++;
				first.tv_nsec -= 1000000000L;
			}
			if (first.tv_sec < until.tv_sec ||
			    (first.tv_sec == until.tv_sec &&
			    first.tv_nsec < until.tv_nsec))
				until = first;
		}
		if (pthread_cond_timedwait(&seen.cv, &seen.mtx, &until) != 0)
			break;
	}
	pthread_mutex_unlock(&seen.mtx);
}

int
client_dial(nng_socket sock, const char *url, char *err, size_t errlen)
{
	char addrs[CLIENT_MAX_ADDRS][CLIENT_URL_MAX], why[512];
	char failed[1024] = "", up[1024] = "";
	int n, i;

	if ((n = client_addrs(url, addrs, CLIENT_MAX_ADDRS, err, errlen)) < 0)
		return -1;
	if (n == 1) {
		int rv = dial_one(sock, url, false, why, sizeof(why));

		if (rv == -2)
			snprintf(err, errlen, "%s", why);
		else if (rv != 0)
			snprintf(err, errlen, "cannot reach shelterd at %s "
			    "(is the daemon running? see --api)", why);
		return rv == 0 ? 0 : -1;
	}
	/*
	 * Every address at once, in the background: a machine that is off
	 * (no refusal, no answer) must not hold up the others for the
	 * kernel's connect timeout, and each dialer keeps redialling, so a
	 * sub socket hears whichever daemon is up now or later. The price:
	 * nng does not say why a background dial failed, only that no
	 * connection came.
	 */
	pthread_mutex_lock(&seen_lock);
	pthread_mutex_lock(&seen.mtx);
	memset(seen.up, 0, sizeof(seen.up));
	seen.n = seen.nup = 0;
	pthread_mutex_unlock(&seen.mtx);
	nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, seen_cb, &seen);
	for (i = 0; i < n; i++) {
		nng_dialer d;
		int rv;

		if ((rv = nng_dialer_create(&d, sock, addrs[i])) != 0 ||
		    client_dialer_tls(d, addrs[i], why, sizeof(why)) != 0 ||
		    (rv = nng_dialer_start(d, NNG_FLAG_NONBLOCK)) != 0) {
			if (rv != 0)
				snprintf(why, sizeof(why), "%.400s: %s",
				    addrs[i], nng_strerror(rv));
			snprintf(err, errlen, "%s", why);
			nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, NULL,
			    NULL);
			pthread_mutex_unlock(&seen_lock);
			return -1;
		}
		pthread_mutex_lock(&seen.mtx);
		seen.d[seen.n++] = d;
		pthread_mutex_unlock(&seen.mtx);
	}
	wait_seen(n);
	nng_pipe_notify(sock, NNG_PIPE_EV_ADD_POST, NULL, NULL);
	pthread_mutex_lock(&seen.mtx);
	for (i = 0; i < n; i++) {
		if (seen.up[i])
			append(up, sizeof(up), addrs[i]);
		else
			append(failed, sizeof(failed), addrs[i]);
	}
	pthread_mutex_unlock(&seen.mtx);
	pthread_mutex_unlock(&seen_lock);
	if (*up == '\0') {
		snprintf(err, errlen, "cannot reach shelterd at any of %s "
		    "within %d ms (is the daemon running? see --api)", url,
		    CLIENT_LIST_DIAL_MS);
		return -1;
	}
	if (*failed != '\0') {
		char line[2200];

		snprintf(line, sizeof(line), "connected to %s; no connection "
		    "to %s yet (redialling in the background)", up, failed);
		note(line);
	}
	return 0;
}

/* Wrap packed request bytes into a SignedRequest; returns a malloc'd
 * buffer in *out. */
static int
sign(const uint8_t *body, size_t len, uint8_t **out, size_t *outlen)
{
	Shelterd__V1__SignedRequest env = SHELTERD__V1__SIGNED_REQUEST__INIT;
	uint8_t sig[crypto_sign_BYTES], *msg;
	size_t slen = strlen(key.identity), n = 12 + slen + 1 + 16 + len;

	if ((msg = malloc(n)) == NULL)
		return -1;
	env.signer = key.identity;
	env.timestamp = (int64_t)time(NULL);
	randombytes_buf(&env.nonce, sizeof(env.nonce));
	memcpy(msg, "shelterd.v1", 12);
	memcpy(msg + 12, key.identity, slen + 1);
	util_put_be64(msg + 13 + slen, (uint64_t)env.timestamp);
	util_put_be64(msg + 21 + slen, env.nonce);
	memcpy(msg + 29 + slen, body, len);
	crypto_sign_detached(sig, NULL, msg, n, key.secret);
	free(msg);
	env.signed_request.data = (uint8_t *)body;
	env.signed_request.len = len;
	env.signature.data = sig;
	env.signature.len = sizeof(sig);
	*outlen = shelterd__v1__signed_request__get_packed_size(&env);
	if ((*out = malloc(*outlen)) == NULL)
		return -1;
	shelterd__v1__signed_request__pack(&env, *out);
	return 0;
}

/* The key of --key or $SHELTERD_KEY, loaded once; 0, or -1 (err). */
static int
ensure_key(char *err, size_t errlen)
{
	const char *path = key_path ? key_path : getenv("SHELTERD_KEY");

	if (key.loaded || path == NULL || *path == '\0')
		return 0;
	return client_load_key(path, err, errlen);
}

int
client_round_trip(nng_socket sock, const char *url,
    const Shelterd__V1__Request *req, Shelterd__V1__Reply **reply,
    char *err, size_t errlen)
{
	nng_msg *msg = NULL;
	size_t len;
	int rv;

	*reply = NULL;
	if (ensure_key(err, errlen) != 0)
		return NNG_EINVAL;
	len = shelterd__v1__request__get_packed_size(req);
	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		goto fail;
	shelterd__v1__request__pack(req, nng_msg_body(msg));
	if (key.loaded) {
		uint8_t *env;
		size_t envlen;

		if (sign(nng_msg_body(msg), len, &env, &envlen) != 0) {
			nng_msg_free(msg);
			rv = NNG_ENOMEM;
			goto fail;
		}
		nng_msg_clear(msg);
		rv = nng_msg_append(msg, env, envlen);
		free(env);
		if (rv != 0) {
			nng_msg_free(msg);
			goto fail;
		}
	}
	/* For tests of replay protection: keep the bytes as sent. */
	if (getenv("SHELTERD_DUMP_REQUEST") != NULL) {
		FILE *f = fopen(getenv("SHELTERD_DUMP_REQUEST"), "wb");

		if (f != NULL) {
			fwrite(nng_msg_body(msg), 1, nng_msg_len(msg), f);
			fclose(f);
		}
	}
	if ((rv = nng_sendmsg(sock, msg, 0)) != 0) {
		nng_msg_free(msg);
		goto fail;
	}
	if ((rv = nng_recvmsg(sock, &msg, 0)) != 0)
		goto fail;
	*reply = shelterd__v1__reply__unpack(NULL, nng_msg_len(msg),
	    nng_msg_body(msg));
	nng_msg_free(msg);
	if (*reply == NULL) {
		snprintf(err, errlen, "the answer from %s is not a "
		    "shelterd.v1.Reply", url);
		return NNG_EPROTO;
	}
	return 0;
fail:
	snprintf(err, errlen, "no answer from shelterd at %s: %s", url,
	    nng_strerror(rv));
	return rv;
}

/*
 * A dial that gives up after `ms`. A machine that is off does not refuse a
 * connection, it does not answer, and a synchronous dial then waits for
 * the kernel's connect timeout (minutes) before the next address could be
 * tried. So the dial runs on a thread of its own, and a caller tired of
 * waiting closes the socket (which ends that dial) and goes on. The
 * thread writes only into this struct; the last one out frees it.
 */
struct dialer_wait {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	nng_socket sock;
	char url[CLIENT_URL_MAX];
	char err[512];
	int rv;
	bool done;
	int refs;
};

static void
dialer_wait_release(struct dialer_wait *w)
{
	bool last;

	pthread_mutex_lock(&w->mtx);
	last = --w->refs == 0;
	pthread_mutex_unlock(&w->mtx);
	if (last) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mtx);
		free(w);
	}
}

static void *
dialer_wait_run(void *arg)
{
	struct dialer_wait *w = arg;
	char err[512];
	int rv = dial_one(w->sock, w->url, false, err, sizeof(err));

	pthread_mutex_lock(&w->mtx);
	w->rv = rv;
	memcpy(w->err, err, sizeof(err));
	w->done = true;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mtx);
	dialer_wait_release(w);
	return NULL;
}

/* dial_one(sock, url, false, ...) for at most ms; -1 with "URL: no
 * connection within N ms" when it takes longer (close sock then). */
static int
dial_within(nng_socket sock, const char *url, int ms, char *err,
    size_t errlen)
{
	struct dialer_wait *w = calloc(1, sizeof(*w));
	struct timespec until;
	pthread_attr_t attr;
	pthread_t t;
	int rv;

	if (w == NULL)
		return dial_one(sock, url, false, err, errlen);
	pthread_mutex_init(&w->mtx, NULL);
	pthread_cond_init(&w->cv, NULL);
	w->sock = sock;
	snprintf(w->url, sizeof(w->url), "%s", url);
	w->refs = 2;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rv = pthread_create(&t, &attr, dialer_wait_run, w);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		w->refs = 1;
		dialer_wait_release(w);
		return dial_one(sock, url, false, err, errlen);
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&w->mtx);
	while (!w->done && pthread_cond_timedwait(&w->cv, &w->mtx,
	    &until) == 0)
		;
	if (w->done) {
		rv = w->rv;
		snprintf(err, errlen, "%s", w->err);
	} else {
		rv = -1;
		snprintf(err, errlen, "%s: no connection within %d ms", url,
		    ms);
	}
	pthread_mutex_unlock(&w->mtx);
	dialer_wait_release(w);
	return rv;
}

/* Which address of which list answered last, so that the next call of a
 * long-running caller (shelter-node, coord-watch) goes there first. */
static pthread_mutex_t last_mtx = PTHREAD_MUTEX_INITIALIZER;
static char last_list[CLIENT_MAX_ADDRS * CLIENT_URL_MAX];
static int last_ok;

int
client_call(const char *url, int timeout_ms, const Shelterd__V1__Request *req,
    Shelterd__V1__Reply **reply, char *err, size_t errlen)
{
	char addrs[CLIENT_MAX_ADDRS][CLIENT_URL_MAX], why[512];
	char failed[1024] = "";
	int n, start = 0, k;

	*reply = NULL;
	if (ensure_key(err, errlen) != 0)
		return EXIT_USAGE;
	if ((n = client_addrs(url, addrs, CLIENT_MAX_ADDRS, err, errlen)) < 0)
		return EXIT_USAGE;
	/* Tests on a loaded machine may allow more time than the default. */
	if (getenv("SHELTERD_TIMEOUT_MS") != NULL &&
	    atoi(getenv("SHELTERD_TIMEOUT_MS")) > timeout_ms)
		timeout_ms = atoi(getenv("SHELTERD_TIMEOUT_MS"));
	pthread_mutex_lock(&last_mtx);
	if (strcmp(last_list, url) == 0)
		start = last_ok;
	pthread_mutex_unlock(&last_mtx);
	for (k = 0; k < n; k++) {
		int i = (start + k) % n, rv;
		nng_socket sock;

		if ((rv = nng_req0_open(&sock)) != 0) {
			snprintf(err, errlen, "cannot open a socket: %s",
			    nng_strerror(rv));
			return EXIT_UNREACHABLE;
		}
		nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, timeout_ms);
		nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, timeout_ms);
		/* Synchronous dial: a daemon that is not there is reported
		 * now, not after the timeout, and the next address is
		 * tried; one that does not answer at all, after the
		 * timeout. */
		if ((rv = dial_within(sock, addrs[i], timeout_ms, why,
		    sizeof(why))) != 0) {
			client_close(sock, 2000);
			if (rv == -2 && n == 1) {
				snprintf(err, errlen, "%s", why);
				return EXIT_UNREACHABLE;
			}
			append(failed, sizeof(failed), why);
			continue;
		}
		/* Connected: whatever happens now, the request may have
		 * reached this daemon, so it is not sent to another. */
		rv = client_round_trip(sock, addrs[i], req, reply, err,
		    errlen);
		client_close(sock, 2000);
		if (rv != 0) {
			if (*failed != '\0')
				snprintf(err + strlen(err), errlen -
				    strlen(err), " (before it, failed: %s)",
				    failed);
			return EXIT_UNREACHABLE;
		}
		if (*failed != '\0') {
			char line[2200];

			snprintf(line, sizeof(line), "shelterd at %s answered"
			    "%s%s", addrs[i], *failed ? "; failed: " : "",
			    failed);
			note(line);
		}
		pthread_mutex_lock(&last_mtx);
		snprintf(last_list, sizeof(last_list), "%s", url);
		last_ok = i;
		pthread_mutex_unlock(&last_mtx);
		return EXIT_OK;
	}
	if (n == 1)
		snprintf(err, errlen, "cannot reach shelterd at %s (is the "
		    "daemon running? see --api)", failed);
	else
		snprintf(err, errlen, "cannot reach shelterd at any of %s: "
		    "%s (is the daemon running? see --api)", url, failed);
	return EXIT_UNREACHABLE;
}

/* Shared by client_close() and its closing thread; the last one out
 * frees it. */
struct closer {
	pthread_mutex_t mtx;
	pthread_cond_t cv;
	nng_socket sock;
	bool done;
	int refs;
};

static void
closer_release(struct closer *c)
{
	bool last;

	pthread_mutex_lock(&c->mtx);
	last = --c->refs == 0;
	pthread_mutex_unlock(&c->mtx);
	if (last) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mtx);
		free(c);
	}
}

static void *
closer_run(void *arg)
{
	struct closer *c = arg;

	nng_close(c->sock);
	pthread_mutex_lock(&c->mtx);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mtx);
	closer_release(c);
	return NULL;
}

int
client_close(nng_socket sock, int ms)
{
	struct closer *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t t;
	struct timespec until;
	bool done;
	int rv;

	if (c == NULL) {
		nng_close(sock);
		return 0;
	}
	pthread_mutex_init(&c->mtx, NULL);
	pthread_cond_init(&c->cv, NULL);
	c->sock = sock;
	c->refs = 2;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	rv = pthread_create(&t, &attr, closer_run, c);
	pthread_attr_destroy(&attr);
	if (rv != 0) {
		c->refs = 1;
		closer_release(c);
		nng_close(sock);
		return 0;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&c->mtx);
	while (!c->done && pthread_cond_timedwait(&c->cv, &c->mtx,
	    &until) == 0)
		;
	done = c->done;
	pthread_mutex_unlock(&c->mtx);
	closer_release(c);
	return done ? 0 : -1;
}

const char *
client_code_name(int code)
{
	const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value(
	    &shelterd__v1__code__descriptor, code);

	/* "CODE_BAD_REQUEST" -> "BAD_REQUEST" */
	return v ? v->name + 5 : "UNKNOWN";
}

void
client_format_time(long long unix_secs, char *buf, size_t len)
{
	time_t t = (time_t)unix_secs;
	struct tm tm;

	if (unix_secs <= 0 || gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "never");
	else
		strftime(buf, len, "%Y-%m-%d %H:%M:%SZ", &tm);
}

void
client_event_line(const Shelterd__V1__Event *ev, char *buf, size_t len)
{
	char when[32], where[96], was[32] = "", again[64] = "";
	const char *cat = cat_name((int)ev->category);
	const char *level = level_name((int)ev->level);

	client_format_time(ev->at, when, sizeof(when));
	if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_SHELTER)
		snprintf(where, sizeof(where), "shelter %s (%s)",
		    ev->shelter_id, ev->region_id);
	else if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_REGION)
		snprintf(where, sizeof(where), "region %s", ev->region_id);
	else if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_PLACEMENT)
		snprintf(where, sizeof(where), "placement %s (%s)",
		    ev->request_id, ev->region_id);
	else
		snprintf(where, sizeof(where), "national");
	if (ev->step > 0)
		snprintf(again, sizeof(again), " [unacknowledged, step %u, "
		    "alert #%" PRIu64 "]", ev->step, ev->alert_seq);

	switch (ev->kind) {
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE:
		snprintf(buf, len, "#%" PRIu64 " %s %-8s %s: %s%s",
		    ev->event_seq, when, level, where,
		    ev->level == SHELTERD__V1__LEVEL__LEVEL_OK ?
		    "reports again" : "missed its reporting deadline, beds "
		    "unknown", again);
		return;
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT: {
		const ProtobufCEnumValue *st =
		    protobuf_c_enum_descriptor_get_value(
		    &shelterd__v1__placement_state__descriptor,
		    ev->placement_state);
		char held[64] = "";

		if (ev->held_proximity != 0)
			snprintf(held, sizeof(held), ", bed %s",
			    proximity_label((int)ev->held_proximity));
		/* A step is progress ("info"); only an unplaced request
		 * is an alert, and its end clears it. */
		snprintf(buf, len, "#%" PRIu64 " %s %-8s placement %s from "
		    "%s: %u %s bed%s %s%s%s%s", ev->event_seq, when, level,
		    ev->request_id, ev->region_id, ev->beds, cat ? cat : "?",
		    ev->beds == 1 ? "" : "s",
		    st ? placement_state_name(st->value) : "?", held,
		    ev->level == SHELTERD__V1__LEVEL__LEVEL_CRITICAL ?
		    " - NO SUITABLE BED" : ev->level ==
		    SHELTERD__V1__LEVEL__LEVEL_OK ? " - alert closed" : "",
		    again);
		return;
	}
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING:
		snprintf(buf, len, "#%" PRIu64 " %s %-8s %s %s: early "
		    "warning %s: %u free + %u expected within 24 h, of %u%s",
		    ev->event_seq, when, level, where, cat ? cat : "?",
		    ev->level == SHELTERD__V1__LEVEL__LEVEL_OK ? "cleared" :
		    "(not full yet)", ev->free, ev->expected_free_24h,
		    ev->capacity, again);
		return;
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_COVERAGE: {
		char what[160];

		cov_text(what, sizeof(what), *ev->region_id ? ev->region_id :
		    "national", cat, ev->capacity, ev->unknown_beds,
		    ev->stale_shelters, ev->never_reported);
		snprintf(buf, len, "#%" PRIu64 " %s %-8s %s%s%s",
		    ev->event_seq, when, level,
		    ev->level == SHELTERD__V1__LEVEL__LEVEL_OK ?
		    "enough known again: " : "", what, ev->level ==
		    SHELTERD__V1__LEVEL__LEVEL_OK ? "" :
		    " (occupancy alarms wait until enough is known)");
		return;
	}
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_ACKNOWLEDGED:
		snprintf(buf, len, "#%" PRIu64 " %s %-8s %s %s: alert #%"
		    PRIu64 " acknowledged by %s", ev->event_seq, when, "ack",
		    where, cat ? cat : "-", ev->alert_seq,
		    ev->acknowledged_by);
		return;
	default:
		break;
	}
	if (ev->level == SHELTERD__V1__LEVEL__LEVEL_OK ||
	    ev->level < ev->previous_level)
		snprintf(was, sizeof(was), ", was %s",
		    level_name((int)ev->previous_level));
	snprintf(buf, len, "#%" PRIu64 " %s %-8s %s %s: %u of %u free "
	    "(%u%% occupied)%s%s", ev->event_seq, when, level, where,
	    cat ? cat : "?", ev->free, ev->capacity, ev->occupancy_pct, was,
	    again);
}

void
client_print_json(cJSON *json)
{
	char *text = cJSON_PrintUnformatted(json);

	if (text != NULL)
		puts(text);
	free(text);
	cJSON_Delete(json);
	fflush(stdout);
}

long long
client_parse_num(const char *s, long long max)
{
	char *end;
	long long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	return v;
}

int
client_ack(const char *api, int timeout_ms, unsigned long long seq,
    const char *by, bool json, const char *prog)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__AckAlert ack = SHELTERD__V1__ACK_ALERT__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];
	int rc;

	ack.event_seq = seq;
	ack.by = (char *)by;
	req.body_case = SHELTERD__V1__REQUEST__BODY_ACK_ALERT;
	req.ack_alert = &ack;
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "%s: %s\n", prog, err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "%s: not acknowledged (%s): %s\n", prog,
		    client_code_name(reply->code), reply->error);
		rc = EXIT_REFUSED;
	} else if (json) {
		client_print_json(json_alert(reply->alert, 0));
	} else {
		printf("alert #%llu acknowledged by %s\n",
		    (unsigned long long)reply->alert->opened_seq,
		    reply->alert->acknowledged_by);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return rc;
}
