/*
 * events.c — escalation events: numbered, logged in LMDB in the txn that
 * caused them, and published on the events socket only after that txn
 * committed.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "alerts.h"
#include "disclose.h"
#include "escalate.h"
#include "http.h"
#include "events.h"
#include "log.h"
#include "occupancy.h"
#include "ctx.h"
#include "ops.h"
#include "topic.h"
#include "wire.h"

/* May ev go on the events socket (docs/security.md)? Shelter-scope
 * events and cells of fewer than [privacy] k_anonymity shelters: only to
 * entitled parties, through events_since. */
static bool
event_public(const struct ctx *s, const Shelterd__V1__Event *ev)
{
	struct subject sub;

	event_subject(ev, &sub);
	return disclose_public(s->disc, s->reg, &sub);
}

void
event_subject(const Shelterd__V1__Event *ev, struct subject *sub)
{
	sub->scope = (int)ev->scope;
	sub->kind = (int)ev->kind;
	sub->region = ev->region_id;
	sub->shelter = ev->shelter_id;
	sub->category = (int)ev->category;
}

int
events_emit(struct ctx *s, MDB_txn *txn, Shelterd__V1__Event *ev,
    int64_t now)
{
	uint8_t packed[512];
	char topic[160];
	nng_msg *msg;
	size_t len;
	int tlen, rc;

	ev->event_seq = s->next_event_seq;
	ev->at = now;
	/* Raising, lowering and clearing keep the alert table in step. */
	if (ev->kind != SHELTERD__V1__EVENT_KIND__EVENT_KIND_ACKNOWLEDGED &&
	    ev->step == 0 && (rc = alerts_track(s, txn, ev)) != 0)
		return rc;
	len = shelterd__v1__event__get_packed_size(ev);
	REQUIRE(len <= sizeof(packed));
	shelterd__v1__event__pack(ev, packed);
	if ((rc = store_put_event(s->store, txn, ev->event_seq, packed,
	    len)) != 0)
		return rc;

	tlen = event_topic(ev, topic, sizeof(topic));
	REQUIRE(tlen > 0 && (size_t)tlen < sizeof(topic));
	REQUIRE(nng_msg_alloc(&msg, 0) == 0);
	REQUIRE(nng_msg_append(msg, topic, (size_t)tlen + 1) == 0);
	REQUIRE(nng_msg_append(msg, packed, len) == 0);
	if (s->n_events == s->cap_events) {
		size_t cap = s->cap_events ? s->cap_events * 2 : 64;
		void *p = realloc(s->pending_events,
		    cap * sizeof(*s->pending_events));

		REQUIRE(p != NULL);
		s->pending_events = p;
		s->cap_events = cap;
	}
	s->pending_events[s->n_events].msg = msg;
	s->pending_events[s->n_events].public = event_public(s, ev);
	s->n_events++;
	if (ev->kind == SHELTERD__V1__EVENT_KIND__EVENT_KIND_COVERAGE)
		log_info("event %" PRIu64 " %s: %u of %u beds unknown; %u "
		    "shelters stale, %u never reported", ev->event_seq, topic,
		    ev->unknown_beds, ev->capacity, ev->stale_shelters,
		    ev->never_reported);
	else
		log_info("event %" PRIu64 " %s: free %u of %u%s", ev->event_seq,
		    topic, ev->free, ev->capacity, ev->step ? " (again)" : "");
	s->next_event_seq++;
	return 0;
}

int
events_emit_transition(struct ctx *s, MDB_txn *txn,
    const struct esc_transition *tr, const char *region_id,
    const char *shelter_id, int64_t now)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct totals t = { .capacity = tr->capacity, .free = tr->free };
	struct reserve_fill rf;

	ev.scope = (Shelterd__V1__Scope)tr->scope;
	ev.level = (Shelterd__V1__Level)tr->level;
	ev.previous_level = (Shelterd__V1__Level)tr->previous;
	ev.region_id = (char *)(region_id ? region_id : "");
	ev.shelter_id = (char *)(shelter_id ? shelter_id : "");
	ev.category = (Shelterd__V1__Category)tr->category;
	ev.capacity = tr->capacity;
	ev.free = tr->free;
	ev.occupancy_pct = totals_pct(&t);
	if (tr->kind == ESC_KIND_EARLY_WARNING) {
		ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING;
		ev.expected_free_24h = tr->expected_24h;
	} else if (tr->kind == ESC_KIND_COVERAGE) {
		ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_COVERAGE;
		ev.unknown_beds = tr->unknown;
		ev.stale_shelters = tr->stale_shelters;
		ev.never_reported = tr->never_reported;
		ev.occupancy_pct = 0; /* not an occupancy: see unknown_beds */
	} else if (tr->scope == SHELTERD__V1__SCOPE__SCOPE_NATIONAL &&
	    tr->level == SHELTERD__V1__LEVEL__LEVEL_CRITICAL) {
		/* The country is full: say where beds could be opened. */
		wire_reserve(&rf, s->reg, occupancy_reserves(s),
		    tr->category);
		ev.names_reserve = true;
		ev.reserve_24h = rf.beds_24h;
		ev.reserve_72h = rf.beds_72h;
		ev.reserve_where = rf.ptrs;
		ev.n_reserve_where = rf.n;
	}
	return events_emit(s, txn, &ev, now);
}

void
events_drop_from(struct ctx *s, size_t from)
{
	while (s->n_events > from)
		nng_msg_free(s->pending_events[--s->n_events].msg);
}

void
events_heartbeat(struct ctx *s, uint64_t now_ms)
{
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	uint8_t packed[64];
	static const char topic[] = "hb";
	uint64_t next = 0;
	MDB_txn *txn;
	nng_msg *msg;
	size_t len;

	if (now_ms < s->next_heartbeat_ms)
		return;
	s->next_heartbeat_ms = now_ms + (uint64_t)s->cfg->heartbeat_secs *
	    1000;
	/* The newest committed event, not next_event_seq: that one is only
	 * valid inside a write txn. */
	if (store_begin(s->store, NULL, 0, &txn) != 0)
		return;
	if (store_get_next_event_seq(s->store, txn, &next) != 0)
		next = 0;
	mdb_txn_abort(txn);
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_HEARTBEAT;
	ev.at = (int64_t)time(NULL);
	ev.last_event_seq = next > 0 ? next - 1 : 0;
	ev.heartbeat_secs = s->cfg->heartbeat_secs;
	len = shelterd__v1__event__get_packed_size(&ev);
	REQUIRE(len <= sizeof(packed));
	shelterd__v1__event__pack(&ev, packed);
	REQUIRE(nng_msg_alloc(&msg, 0) == 0);
	REQUIRE(nng_msg_append(msg, topic, sizeof(topic)) == 0);
	REQUIRE(nng_msg_append(msg, packed, len) == 0);
	/* The dashboard's feed is a socket of its own: it needs one too. */
	http_note_event(s->http, msg, true);
	if (nng_sendmsg(s->events, msg, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(msg);
}

void
events_publish(struct ctx *s)
{
	for (size_t i = 0; i < s->n_events; i++) {
		nng_msg *msg = s->pending_events[i].msg;

		/* Counted for /metrics whoever may see it. */
		http_note_event(s->http, msg, s->pending_events[i].public);
		/* Logged, for events_since: not for a broadcast. */
		if (!s->pending_events[i].public) {
			nng_msg_free(msg);
			continue;
		}
		/* pub0 never blocks: a slow subscriber loses messages and
		 * catches up from the event log. */
		if (nng_sendmsg(s->events, msg, NNG_FLAG_NONBLOCK) != 0)
			nng_msg_free(msg);
		else
			s->stats.events_published++;
	}
	/* Parked events_since long polls may have something now. */
	if (s->n_events > 0)
		s->any_new_event = true;
	s->n_events = 0;
}
