#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
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

int
client_call(const char *url, int timeout_ms, const Shelterd__V1__Request *req,
    Shelterd__V1__Reply **reply, char *err, size_t errlen)
{
	nng_socket sock;
	nng_msg *msg = NULL;
	size_t len;
	int rv;

	*reply = NULL;
	if ((rv = nng_req0_open(&sock)) != 0) {
		snprintf(err, errlen, "cannot open a socket: %s",
		    nng_strerror(rv));
		return EXIT_UNREACHABLE;
	}
	nng_socket_set_ms(sock, NNG_OPT_RECVTIMEO, timeout_ms);
	nng_socket_set_ms(sock, NNG_OPT_SENDTIMEO, timeout_ms);
	/* Synchronous dial: a daemon that is not there is reported now,
	 * not after the timeout. */
	if ((rv = nng_dial(sock, url, NULL, 0)) != 0) {
		snprintf(err, errlen, "cannot reach shelterd at %s: %s (is "
		    "the daemon running? see --api)", url, nng_strerror(rv));
		goto out;
	}
	len = shelterd__v1__request__get_packed_size(req);
	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		goto fail;
	shelterd__v1__request__pack(req, nng_msg_body(msg));
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
		rv = NNG_EPROTO;
	}
	goto out;
fail:
	snprintf(err, errlen, "no answer from shelterd at %s: %s", url,
	    nng_strerror(rv));
out:
	nng_close(sock);
	return rv == 0 ? EXIT_OK : EXIT_UNREACHABLE;
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

static const char *
scope_name(int scope)
{
	static const char *const names[] = { "unknown", "shelter", "region",
		"national" };

	return (scope >= 0 && scope <= 3) ? names[scope] : "unknown";
}

void
client_event_line(const Shelterd__V1__Event *ev, char *buf, size_t len)
{
	char when[32], where[96], was[32] = "";
	const char *cat = cat_name((int)ev->category);

	client_format_time(ev->at, when, sizeof(when));
	if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_SHELTER)
		snprintf(where, sizeof(where), "shelter %s (%s)",
		    ev->shelter_id, ev->region_id);
	else if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_REGION)
		snprintf(where, sizeof(where), "region %s", ev->region_id);
	else
		snprintf(where, sizeof(where), "national");
	if (ev->level == SHELTERD__V1__LEVEL__LEVEL_OK ||
	    ev->level < ev->previous_level)
		snprintf(was, sizeof(was), ", was %s",
		    level_name((int)ev->previous_level));
	snprintf(buf, len, "#%" PRIu64 " %s %-8s %s %s: %u of %u free "
	    "(%u%% occupied)%s", ev->event_seq, when,
	    level_name((int)ev->level), where, cat ? cat : "?", ev->free,
	    ev->capacity, ev->occupancy_pct, was);
}

cJSON *
client_event_json(const Shelterd__V1__Event *ev)
{
	cJSON *o = cJSON_CreateObject();
	char when[32];
	const char *cat = cat_name((int)ev->category);

	client_format_time(ev->at, when, sizeof(when));
	cJSON_AddNumberToObject(o, "event_seq", (double)ev->event_seq);
	cJSON_AddStringToObject(o, "at", when);
	cJSON_AddStringToObject(o, "scope", scope_name((int)ev->scope));
	cJSON_AddStringToObject(o, "level", level_name((int)ev->level));
	cJSON_AddStringToObject(o, "previous_level",
	    level_name((int)ev->previous_level));
	if (ev->region_id && *ev->region_id)
		cJSON_AddStringToObject(o, "region", ev->region_id);
	if (ev->shelter_id && *ev->shelter_id)
		cJSON_AddStringToObject(o, "shelter", ev->shelter_id);
	cJSON_AddStringToObject(o, "category", cat ? cat : "unknown");
	cJSON_AddNumberToObject(o, "capacity", ev->capacity);
	cJSON_AddNumberToObject(o, "free", ev->free);
	cJSON_AddNumberToObject(o, "occupancy_pct", ev->occupancy_pct);
	return o;
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
