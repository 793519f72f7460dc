/*
 * common.h — what the command-line clients share: talking to the api
 * socket, and turning replies and events into text or JSON.
 */
#ifndef SHELTERD_CLIENT_COMMON_H
#define SHELTERD_CLIENT_COMMON_H

#include <cjson/cJSON.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>

#include "beds.h"
#include "json.h"
#include "shelterd.pb-c.h"

#define DEFAULT_API_URL "tcp://127.0.0.1:7450"
#define DEFAULT_EVENTS_URL "tcp://127.0.0.1:7451"

/* Exit statuses shared by every client. */
enum {
	EXIT_OK = 0,
	EXIT_REFUSED = 1,     /* the daemon answered with an error */
	EXIT_USAGE = 2,
	EXIT_UNREACHABLE = 3, /* no daemon, or no answer in time */
};

/* $SHELTERD_API / $SHELTERD_EVENTS, else the defaults. */
const char *client_default_api(void);
const char *client_default_events(void);

/*
 * Every URL argument of the clients (--api, --events, $SHELTERD_API,
 * $SHELTERD_EVENTS, shelter-node's --upstream) may be a list,
 * "URL,URL,...": the addresses of one daemon's standby places
 * (docs/ha.md). client_call tries them in turn; client_dial dials them
 * all.
 */
#define CLIENT_MAX_ADDRS 8
#define CLIENT_URL_MAX 256
/* Split a list into out[]; returns how many (>= 1), or -1 with the
 * reason in err (an empty entry, too many, one too long). */
int client_addrs(const char *list, char out[][CLIENT_URL_MAX], int max,
    char *err, size_t errlen);
/*
 * Where a note goes when an address failed and another answered (which
 * answered, which failed and why): by default a line "PROG: ..." on
 * stderr, PROG from client_set_prog ("libshelterd" if unset). A daemon
 * (shelter-node) passes its logger instead. Not thread-safe: set both
 * before the first call.
 */
void client_set_prog(const char *prog);
void client_set_note(void (*note)(const char *line));

/*
 * Send one request and wait for the reply. Returns EXIT_OK with *reply set
 * (free with shelterd__v1__reply__free_unpacked) — whatever reply->code
 * says — or EXIT_UNREACHABLE with the reason in err.
 *
 * url may be a list: the addresses are tried one at a time, starting with
 * the one that answered last in this process, and the next is tried only
 * when one cannot be connected to (refused, no such path, TLS failure, or
 * no answer to the connection attempt within timeout_ms).
 * Once the request went out on a connection, a missing answer is
 * reported, not resent elsewhere: the daemon may have applied it (a
 * report can be sent again safely, by seq; shelter-report's outbox
 * does).
 */
int client_call(const char *url, int timeout_ms,
    const Shelterd__V1__Request *req, Shelterd__V1__Reply **reply,
    char *err, size_t errlen);

/*
 * The same on a socket the caller opened and dialled (and keeps, so that
 * the next request does not pay for a connection): sign, send, wait for
 * the reply. Returns 0 with *reply set, or an nng error with the reason in
 * err.
 */
int client_round_trip(nng_socket sock, const char *url,
    const Shelterd__V1__Request *req, Shelterd__V1__Reply **reply,
    char *err, size_t errlen);

/* "BAD_REQUEST" etc. */
const char *client_code_name(int code);
/* "2026-11-23 18:04:05Z" */
void client_format_time(long long unix_secs, char *buf, size_t len);

/* One event as a line of text (no newline); its JSON is json_event(). */
void client_event_line(const Shelterd__V1__Event *ev, char *buf, size_t len);
/* Print a JSON value on one line to stdout and free it. */
void client_print_json(cJSON *json);

/* Acknowledge the open alert that event `seq` belongs to; prints the
 * result. Returns an exit status. */
int client_ack(const char *api, int timeout_ms, unsigned long long seq,
    const char *by, bool json, const char *prog);

/* Sign every request with the key in this file (--key); without it,
 * $SHELTERD_KEY is used if set. Key files are made by tools/keygen. */
void client_set_key(const char *path);
int client_load_key(const char *path, char *err, size_t errlen);
/* nng_dial with TLS ($SHELTERD_TLS_CA, $SHELTERD_TLS_CERT,
 * $SHELTERD_TLS_SERVER_NAME) for tls+tcp:// and wss:// URLs; 0 or -1.
 * A list dials every address at once, in the background: 0 once at least
 * one connected (a note names the ones that did not; they keep
 * redialling, so a sub socket hears whichever daemon comes up), -1 when
 * none did within 5 s. Not thread-safe for lists. */
int client_dial(nng_socket sock, const char *url, char *err, size_t errlen);
/* Our TLS identity ($SHELTERD_TLS_CA, _CERT, _SERVER_NAME) on d when url
 * is tls+tcp:// or wss://; 0, or -1 with the reason in err. */
int client_dialer_tls(nng_dialer d, const char *url, char *err,
    size_t errlen);

/*
 * nng_close() that gives up waiting after `ms`. nng 1.5.2's nng_close()
 * now and then never returns (a missed wake-up while a pipe closes, fixed
 * upstream after 1.5.2): the close runs on its own thread, and a caller
 * that is tired of waiting goes on (the socket is then abandoned, which at
 * worst keeps one idle connection until the process ends). Returns 0 when
 * the socket closed, -1 when the wait gave up.
 */
int client_close(nng_socket sock, int ms);

/* Parse a positive integer; -1 on error. */
long long client_parse_num(const char *s, long long max);

#endif
