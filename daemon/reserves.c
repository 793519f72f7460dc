/*
 * reserves.c — activating contingency reserve beds.
 *
 * An activation is checked by core/reserve.c (region, category, beds
 * against the region's reserve, a date in the future, a reason), then
 * kept in the `reserves` table under the event_seq of the event that
 * announces it (kind reserve, level info: it opens no alert) and written
 * to the audit log, all in the request's own nested txn. Only the
 * national coordinator's signed request may do it: an unsigned request,
 * which demo mode lets through elsewhere, is refused here.
 *
 * Not built yet (docs/registry.md): the shelters' confirmation, the beds
 * counting as capacity until released or expired, placements into them.
 */
#include "reserves.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ctx.h"
#include "events.h"
#include "log.h"
#include "ops.h"
#include "reply.h"
#include "reserve.h"
#include "util.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

static int
refusal_code(enum reserve_refusal r)
{
	switch (r) {
	case RESERVE_UNKNOWN_CATEGORY:
		return CODE(UNKNOWN_CATEGORY);
	case RESERVE_NOT_ENOUGH:
		return CODE(CONFLICT);
	default:
		return CODE(BAD_REQUEST);
	}
}

int
reserves_op_activate(struct ctx *s, MDB_txn *txn, struct item *it,
    size_t k, int64_t now)
{
	const Shelterd__V1__ReserveActivate *q = it->req->reserve_activate;
	Shelterd__V1__Event ev = SHELTERD__V1__EVENT__INIT;
	struct reserve_activation r;
	enum reserve_refusal why;
	char who[48];
	int region, rc;

	(void)k;
	authz_format(&it->who, who, sizeof(who));
	if (it->who.role != ROLE_NATIONAL)
		return op_fail(&it->res, CODE(FORBIDDEN), "reserve beds are "
		    "activated by a signed request of the national "
		    "coordinator, not %s", who);
	if ((why = reserve_check(s->reg, q->region_id, (int)q->category,
	    q->beds, q->until, q->reason, now, &region, it->res.msg,
	    sizeof(it->res.msg))) != RESERVE_OK)
		return it->res.rc = refusal_code(why);
	memset(&r, 0, sizeof(r));
	r.id = s->next_event_seq; /* the event below gets this seq */
	r.at = now;
	r.until = q->until;
	r.beds = q->beds;
	r.category = (uint8_t)q->category;
	util_copy(r.region, sizeof(r.region), s->reg->regions[region].id);
	util_copy(r.by, sizeof(r.by), who);
	util_copy(r.reason, sizeof(r.reason), q->reason);
	ev.kind = SHELTERD__V1__EVENT_KIND__EVENT_KIND_RESERVE;
	ev.scope = SHELTERD__V1__SCOPE__SCOPE_REGION;
	ev.level = ev.previous_level = SHELTERD__V1__LEVEL__LEVEL_INFO;
	ev.region_id = r.region;
	ev.shelter_id = (char *)"";
	ev.category = q->category;
	ev.beds = r.beds;
	ev.activation_id = r.id;
	ev.reserve_until = r.until;
	ev.reason = r.reason;
	if ((rc = events_emit(s, txn, &ev, now)) != 0 ||
	    (rc = store_put_reserve(s->store, txn, &r)) != 0 ||
	    (rc = audit_reserve(s, txn, &it->who, &r, now)) != 0)
		return rc;
	log_info("reserve activation %" PRIu64 " by %s: %u %s beds in %s "
	    "until %" PRId64 " (%s)", r.id, who, r.beds, cat_name(r.category),
	    r.region, r.until, r.reason);
	it->value = r.id;
	return 0;
}

/* The activation as stored, from the request that made it: a write's
 * reply has no read txn (server.c opens one only for reads). */
void
reserves_op_reply(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply)
{
	const Shelterd__V1__ReserveActivate *q = it->req->reserve_activate;
	Shelterd__V1__ReserveActivation out =
	    SHELTERD__V1__RESERVE_ACTIVATION__INIT;
	struct reserve_activation r;
	char **shelters;
	size_t n = 0;

	(void)rtxn;
	if (it->res.rc != 0 || it->value == 0)
		return;
	memset(&r, 0, sizeof(r));
	r.id = it->value;
	r.at = (int64_t)time(NULL);
	r.until = q->until;
	r.beds = q->beds;
	r.category = (uint8_t)q->category;
	util_copy(r.region, sizeof(r.region), q->region_id);
	authz_format(&it->who, r.by, sizeof(r.by));
	util_copy(r.reason, sizeof(r.reason), q->reason);
	shelters = calloc(s->reg->n_reserves + 1, sizeof(*shelters));
	REQUIRE(shelters != NULL);
	/* The shelters asked: reserve beds of the category, in the region
	 * (as the registry says now). */
	for (size_t i = 0; i < s->reg->n_reserves; i++) {
		const struct reg_reserve *x = &s->reg->reserves[i];
		const struct reg_shelter *sh = registry_shelter(s->reg,
		    x->shelter);

		if (sh != NULL && x->category == r.category &&
		    x->beds_72h > 0 &&
		    strcmp(s->reg->regions[sh->region].id, r.region) == 0)
			shelters[n++] = (char *)sh->id;
	}
	out.activation_id = r.id;
	out.region_id = r.region;
	out.category = (Shelterd__V1__Category)r.category;
	out.beds = r.beds;
	out.until = r.until;
	out.reason = r.reason;
	out.activated_by = r.by;
	out.activated_at = r.at;
	out.shelters = shelters;
	out.n_shelters = n;
	reply->body_case = SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION;
	reply->reserve_activation = &out;
	api_pack(it, reply);
	free(shelters);
}
