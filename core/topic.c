#include "topic.h"

#include <stdio.h>

#include "beds.h"

/* Topic words are short on purpose ("ack", "early"): a subscriber
 * filters on their prefixes. */
static const char *
kind_word(const Shelterd__V1__Event *ev)
{
	switch (ev->kind) {
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE:
		return "stale";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_ACKNOWLEDGED:
		return "ack";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING:
		return "early";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT:
		return "placement";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_COVERAGE:
		return "coverage";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_STRUCTURAL_SHORTAGE:
		return "shortage";
	default:
		return ev->scope >= 1 && ev->scope <= 3 ?
		    scope_name((int)ev->scope) : "?";
	}
}

int
event_topic(const Shelterd__V1__Event *ev, char *buf, size_t len)
{
	const char *cat = cat_name((int)ev->category);
	const char *place = ev->shelter_id;

	if (ev->kind == SHELTERD__V1__EVENT_KIND__EVENT_KIND_RESERVE)
		return snprintf(buf, len, "reserve/%s/%s/%llu", ev->region_id,
		    cat ? cat : "-", (unsigned long long)ev->activation_id);
	if (ev->kind == SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT &&
	    ev->level == SHELTERD__V1__LEVEL__LEVEL_INFO)
		return snprintf(buf, len, "place/%s/%s/%s", ev->region_id,
		    placement_state_name((int)ev->placement_state),
		    ev->request_id);
	/* After the category: the shelter, or the request of a placement
	 * alert (the shelter of a placement is never on the bus). */
	if (ev->scope == SHELTERD__V1__SCOPE__SCOPE_PLACEMENT)
		place = ev->request_id;
	return snprintf(buf, len, "esc/%s/%s/%s/%s%s%s",
	    *ev->region_id ? ev->region_id : "national",
	    level_name((int)ev->level), kind_word(ev), cat ? cat : "-",
	    *place ? "/" : "", place);
}
