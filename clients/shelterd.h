/*
 * shelterd.h — libshelterd, the C client library of shelterd: the code
 * shelter-report, coord-watch, region-place and shelter-node use to talk to
 * a shelterd daemon or a shelter-node.
 *
 * Build against the installed library with pkg-config only:
 *
 *	cc prog.c $(pkg-config --cflags --libs shelterd)
 *
 * and include this one header. It brings in:
 *   - the wire contract, shelterd.v1 (proto/shelterd.proto), as protobuf-c
 *     types and functions: Shelterd__V1__Request, __Reply, __Event, ...
 *     (shelterd.pb-c.h);
 *   - the bed categories, cat_name(), cat_parse(), ... (beds.h), and the
 *     name of every value of the contract's enums, kind_name(),
 *     placement_state_name(), ... (names.h);
 *   - the JSON of alerts, events, totals, beds and placements, one shape
 *     each, as shelterctl --json and the daemon's dashboard print them:
 *     json_alert(), json_event(), ... (json.h);
 *   - the client calls (common.h), in short:
 *
 * client_call(url, timeout_ms, &request, &reply, err, errlen)
 *	Send one Request and wait for its Reply. EXIT_OK with *reply set
 *	(free it with shelterd__v1__reply__free_unpacked), whatever
 *	reply->code says; or EXIT_UNREACHABLE with the reason in err. An
 *	OccupancyUpdate is acknowledged (reply->code == CODE_OK) only once it
 *	is on the daemon's disk; sending the same seq again is safe. Each
 *	call opens, dials and closes its own socket. url may be a list
 *	"URL,URL,...": the addresses are tried one at a time (the one that
 *	answered last first) and the next only when one cannot be connected
 *	to; a request that went out and got no answer is not resent
 *	elsewhere. A note says which address answered and which failed
 *	(client_set_prog, client_set_note). docs/ha.md.
 * client_default_api(), client_default_events()
 *	$SHELTERD_API / $SHELTERD_EVENTS, or the loopback defaults.
 * client_set_key(path) / client_load_key(path, err, errlen)
 *	Sign every request (Ed25519, docs/security.md) with a key file made
 *	by tools/keygen. Without either, $SHELTERD_KEY is used when set.
 * client_dial(socket, url, err, errlen)
 *	nng_dial with mutual TLS for tls+tcp:// and wss:// URLs, from
 *	$SHELTERD_TLS_CA, $SHELTERD_TLS_CERT and $SHELTERD_TLS_SERVER_NAME.
 *	A list dials every address (a sub socket then hears whichever
 *	daemon is up); it fails only when none can be connected to.
 *	Use it for a sub0 socket on the events URL: each message is
 *	"topic NUL packed Event". Every event has a gap-free event_seq; after
 *	a gap, ask for the missed ones with an EventsSince request (see
 *	clients/coord-watch.c).
 * client_event_line(), client_code_name(), ...
 *	Text for events and reply codes.
 *
 * Threads: the key is loaded on the first client_call. Load it with
 * client_load_key before calling from several threads; after that
 * client_call may run on many threads at once (each call has its own
 * socket).
 *
 * Example: clients/examples/beds.c.
 */
#ifndef SHELTERD_H
#define SHELTERD_H

#include "common.h"

#endif
