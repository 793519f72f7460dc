/*
 * wire.c — the store's structs as the wire's messages: one conversion for
 * the api's replies (alerts.c, placements.c) and the dashboard's JSON
 * (http.c), so the two cannot tell different stories.
 */
#include "wire.h"

#include <string.h>

#define PSTATE(x) SHELTERD__V1__PLACEMENT_STATE__PLACEMENT_STATE_##x

void
wire_alert(Shelterd__V1__Alert *out, struct alert_state *a)
{
	shelterd__v1__alert__init(out);
	out->opened_seq = a->opened_seq;
	out->last_seq = a->last_seq;
	out->opened_at = a->opened_at;
	out->scope = (Shelterd__V1__Scope)a->scope;
	out->level = (Shelterd__V1__Level)a->level;
	out->kind = (Shelterd__V1__EventKind)a->kind;
	out->region_id = a->region;
	out->shelter_id = a->shelter;
	out->category = (Shelterd__V1__Category)a->category;
	out->step = a->step;
	out->acknowledged_by = a->acked_by;
	out->acknowledged_at = a->acked_at;
	out->request_id = a->request_id;
}

enum wire_view
wire_view_of(const struct identity *who)
{
	/* The unsigned identity exists only in the loopback demo mode. */
	return who->role == ROLE_REGION ? WIRE_REQUESTER :
	    who->role == ROLE_SHELTER ? WIRE_SHELTER : WIRE_COORDINATOR;
}

void
wire_placement(Shelterd__V1__Placement *out, struct placement_state *p,
    char **exclude, enum wire_view view, const struct registry *reg,
    const struct disclosure *disc)
{
	bool accepted = p->state == PSTATE(ACCEPTED);

	shelterd__v1__placement__init(out);
	out->request_id = p->request_id;
	out->case_ref = p->case_ref;
	out->from_region = p->from_region;
	out->category = (Shelterd__V1__Category)p->category;
	out->beds = p->beds;
	out->security_level = p->security_level;
	out->urgency = (Shelterd__V1__Urgency)p->urgency;
	out->state = (Shelterd__V1__PlacementState)p->state;
	out->held_region = (view != WIRE_REQUESTER || accepted) ?
	    p->held_region : (char *)"";
	/* The shelter is need-to-know: named once it has accepted. */
	out->shelter_id = (view == WIRE_SHELTER || accepted) ?
	    p->held_shelter : (char *)"";
	if (p->held_region[0] != '\0')
		out->held_proximity = (Shelterd__V1__Proximity)
		    disclose_proximity(disc, reg,
		    registry_region(reg, p->from_region),
		    registry_region(reg, p->held_region), p->category);
	out->created_at = p->created_at;
	out->updated_at = p->updated_at;
	out->hold_expires_at = p->hold_expires_at;
	out->candidates_tried = p->n_tried;
	out->last_reason = (Shelterd__V1__DeclineReason)p->last_reason;
	out->in_reserve = p->in_reserve != 0;
	for (size_t i = 0; i < p->n_exclude; i++)
		exclude[i] = p->exclude[i];
	out->exclude_regions = exclude;
	out->n_exclude_regions = p->n_exclude;
}

void
wire_shelter(struct shelter_fill *f, const struct registry *reg,
    const struct reg_shelter *sh, const struct shelter_state *st,
    uint32_t deadline_secs)
{
	Shelterd__V1__ShelterReply *sr = &f->sr;

	shelterd__v1__shelter_reply__init(sr);
	sr->shelter_id = (char *)sh->id;
	sr->name = (char *)sh->name;
	sr->region_id = (char *)reg->regions[sh->region].id;
	sr->status = (Shelterd__V1__ShelterStatus)st->status;
	sr->last_seq = st->seq;
	sr->observed_at = st->observed_at;
	sr->received_at = st->received_at;
	sr->security_level = sh->security_level;
	sr->stale = st->stale;
	sr->deadline_secs = deadline_secs;
	sr->deadline_override = sh->deadline_secs;
	sr->beds = f->bp;
	sr->categories = f->cats;
	sr->planned = f->pp;
	for (int c = 0; c < CAT_COUNT; c++) {
		Shelterd__V1__BedCount *b;

		if (sh->categories & (1u << c)) {
			f->cats[sr->n_categories++] =
			    (Shelterd__V1__Category)(c + 1);
			b = &f->planned[sr->n_planned];
			shelterd__v1__bed_count__init(b);
			b->category = (Shelterd__V1__Category)(c + 1);
			b->capacity = sh->nominal[c];
			f->pp[sr->n_planned++] = b;
		}
		if (!(st->present & (1u << c)))
			continue;
		b = &f->beds[sr->n_beds];
		shelterd__v1__bed_count__init(b);
		b->category = (Shelterd__V1__Category)(c + 1);
		b->capacity = st->beds[c].capacity;
		b->occupied = st->beds[c].occupied;
		b->out_of_service = st->beds[c].out_of_service;
		b->held = st->beds[c].held;
		b->free = beds_free(st->status, &st->beds[c]);
		b->level = (Shelterd__V1__Level)st->level[c];
		b->forecast = (st->forecast >> c) & 1;
		b->expected_free_24h = st->expect[c].free_24h;
		b->expected_free_72h = st->expect[c].free_72h;
		b->reserve_open = st->reserve_open[c];
		if (st->reserve_declared & (1u << c)) {
			b->has_reserve = true;
			b->reserve_24h = st->reserve_decl[c].beds_24h;
			b->reserve_72h = st->reserve_decl[c].beds_72h;
		}
		f->bp[sr->n_beds++] = b;
	}
}

void
wire_reserve(struct reserve_fill *f, const struct registry *reg,
    const struct reserve_overlay *ov, int category)
{
	struct reserve_region w[WIRE_RESERVE_WHERE_MAX];

	memset(f, 0, sizeof(*f));
	reserve_sum(reg, ov, -1, category, &f->beds_24h, &f->beds_72h);
	f->n = reserve_where(reg, ov, category, w, WIRE_RESERVE_WHERE_MAX);
	for (size_t i = 0; i < f->n; i++) {
		shelterd__v1__reserve_where__init(&f->where[i]);
		f->where[i].region_id = (char *)reg->regions[w[i].region].id;
		f->where[i].beds_24h = w[i].beds_24h;
		f->where[i].beds_72h = w[i].beds_72h;
		f->ptrs[i] = &f->where[i];
	}
}
