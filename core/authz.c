#include "authz.h"

#include <stdio.h>
#include <string.h>

int
authz_parse(const char *signer, struct identity *out)
{
	static const struct {
		const char *prefix;
		int role;
	} kinds[] = { { "shelter:", ROLE_SHELTER }, { "region:", ROLE_REGION } };
	size_t n;

	memset(out, 0, sizeof(*out));
	if (signer == NULL)
		return -1;
	if (strcmp(signer, "national") == 0) {
		out->role = ROLE_NATIONAL;
		return 0;
	}
	if (strcmp(signer, "operator") == 0) {
		out->role = ROLE_OPERATOR;
		return 0;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t p = strlen(kinds[k].prefix);

		if (strncmp(signer, kinds[k].prefix, p) != 0)
			continue;
		n = strlen(signer + p);
		if (n == 0 || n >= sizeof(out->id))
			return -1;
		memcpy(out->id, signer + p, n + 1);
		out->role = kinds[k].role;
		return 0;
	}
	return -1;
}

void
authz_format(const struct identity *id, char *buf, size_t len)
{
	switch (id->role) {
	case ROLE_SHELTER:
		snprintf(buf, len, "shelter:%s", id->id);
		break;
	case ROLE_REGION:
		snprintf(buf, len, "region:%s", id->id);
		break;
	case ROLE_NATIONAL:
		snprintf(buf, len, "national");
		break;
	case ROLE_OPERATOR:
		snprintf(buf, len, "operator");
		break;
	default:
		snprintf(buf, len, "unsigned");
		break;
	}
}

/* Is shelter sid one this identity may report for? */
static int
may_report(const struct identity *id, const char *sid,
    const struct registry *reg)
{
	const struct reg_shelter *sh;

	if (id->role == ROLE_SHELTER)
		return sid != NULL && strcmp(sid, id->id) == 0;
	if (id->role == ROLE_REGION) {
		sh = registry_shelter(reg, sid ? sid : "");
		return sh != NULL &&
		    strcmp(reg->regions[sh->region].id, id->id) == 0;
	}
	return 0;
}

#define DENY(...)                                       \
	do {                                            \
		char who_[48];                          \
		authz_format(id, who_, sizeof(who_));   \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

/*
 * The per-verb predicates of the request table (daemon/ops.c): each is
 * asked only when the row's roles do not already allow the identity, and
 * decides from the request itself. Pure: no store, no sockets.
 */
int
authz_may_update(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	if (may_report(id, req->update->shelter_id, reg))
		return 0;
	DENY("%s may not report for shelter '%.31s'", who_,
	    req->update->shelter_id);
}

int
authz_may_batch(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	for (size_t i = 0; i < req->batch->n_updates; i++)
		if (!may_report(id, req->batch->updates[i]->shelter_id, reg))
			DENY("%s may not report for shelter '%.31s' (update "
			    "%zu of the batch)", who_,
			    req->batch->updates[i]->shelter_id, i + 1);
	return 0;
}

int
authz_may_read_shelter(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen)
{
	if (may_report(id, req->shelter->shelter_id, reg))
		return 0;
	DENY("%s may not read shelter '%.31s'", who_,
	    req->shelter->shelter_id);
}

int
authz_may_place(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	(void)reg;
	if (id->role == ROLE_REGION &&
	    strcmp(req->place->from_region, id->id) == 0)
		return 0;
	DENY("%s may not request placements from region '%.31s'", who_,
	    req->place->from_region);
}

int
authz_may_answer(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	(void)reg;
	if (id->role == ROLE_SHELTER &&
	    strcmp(req->answer->shelter_id, id->id) == 0)
		return 0;
	DENY("%s may not answer for shelter '%.31s'", who_,
	    req->answer->shelter_id);
}

int
authz_may_see_holds(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen)
{
	(void)reg;
	if (id->role == ROLE_SHELTER &&
	    strcmp(req->holds->shelter_id, id->id) == 0)
		return 0;
	DENY("%s may not see the holds of shelter '%.31s'", who_,
	    req->holds->shelter_id);
}

int
authz_may_report_query(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen)
{
	/* Small cells may tell of persons: only the national coordinator's
	 * office sees them (docs/history.md); anyone gets --public. */
	(void)reg;
	if (req->report->public_)
		return 0;
	DENY("%s may ask only for --public reports", who_);
}

int
authz_owns_placement(const struct identity *id, const char *from_region)
{
	if (id->role == ROLE_NATIONAL || id->role == ROLE_OPERATOR ||
	    id->role == ROLE_NONE)
		return 1;
	return id->role == ROLE_REGION && strcmp(id->id, from_region) == 0;
}

int
authz_may_plan(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	/* A region plans its own beds: it may read its own rows. */
	(void)reg;
	if (id->role == ROLE_REGION && strcmp(req->plan->region_id,
	    id->id) == 0)
		return 0;
	DENY("%s may read the plan of its own region only (--region), not "
	    "'%.31s'", who_, *req->plan->region_id ? req->plan->region_id :
	    "every region");
}

int
authz_may_reserve_shelter(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg,
    char *err, size_t errlen)
{
	const char *shelter = req->body_case ==
	    SHELTERD__V1__REQUEST__BODY_RESERVE_QUERY ?
	    req->reserve_query->shelter_id : req->reserve_answer->shelter_id;

	/* A shelter sees and answers the requests to itself only. */
	(void)reg;
	if (id->role == ROLE_SHELTER && strcmp(shelter, id->id) == 0)
		return 0;
	DENY("%s may not answer for shelter '%.31s'", who_, shelter);
}
