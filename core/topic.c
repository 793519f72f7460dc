#include "topic.h"

#include <stdio.h>

#include "beds.h"

static const char *
kind_word(const Shelterd__V1__Event *ev)
{
	static const char *const scopes[] = { "?", "shelter", "region",
		"national" };

	switch (ev->kind) {
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_STALE:
		return "stale";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_ACKNOWLEDGED:
		return "ack";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_EARLY_WARNING:
		return "early";
	case SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT:
		return "placement";
	default:
		return ev->scope <= 3 ? scopes[ev->scope] : "?";
	}
}

int
event_topic(const Shelterd__V1__Event *ev, char *buf, size_t len)
{
	const char *cat = cat_name((int)ev->category);

	if (ev->kind == SHELTERD__V1__EVENT_KIND__EVENT_KIND_PLACEMENT &&
	    ev->level == SHELTERD__V1__LEVEL__LEVEL_INFO) {
		const ProtobufCEnumValue *st =
		    protobuf_c_enum_descriptor_get_value(
		    &shelterd__v1__placement_state__descriptor,
		    ev->placement_state);
		char state[32];
		size_t i = 0;

		/* "PLACEMENT_STATE_HELD" -> "held" */
		for (const char *c = st ? st->name + 16 : "unknown";
		    *c && i + 1 < sizeof(state); c++)
			state[i++] = (char)(*c >= 'A' && *c <= 'Z' ?
			    *c + 32 : *c);
		state[i] = '\0';
		return snprintf(buf, len, "place/%s/%s/%s", ev->region_id,
		    state, ev->request_id);
	}
	return snprintf(buf, len, "esc/%s/%s/%s/%s%s%s",
	    *ev->region_id ? ev->region_id : "national",
	    level_name((int)ev->level), kind_word(ev), cat ? cat : "-",
	    *ev->shelter_id ? "/" : "", ev->shelter_id);
}
