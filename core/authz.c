#include "authz.h"

#include <stdio.h>
#include <string.h>

#define REQ(x) SHELTERD__V1__REQUEST__BODY_##x

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
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

int
authz_check(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen)
{
	char who[48];
	int r = id->role;

	authz_format(id, who, sizeof(who));
	switch (req->body_case) {
	case REQ(UPDATE):
		if (!may_report(id, req->update->shelter_id, reg))
			DENY("%s may not report for shelter '%.31s'", who,
			    req->update->shelter_id);
		return 0;
	case REQ(BATCH):
		for (size_t i = 0; i < req->batch->n_updates; i++)
			if (!may_report(id, req->batch->updates[i]->shelter_id,
			    reg))
				DENY("%s may not report for shelter '%.31s' "
				    "(update %zu of the batch)", who,
				    req->batch->updates[i]->shelter_id, i + 1);
		return 0;
	case REQ(STATUS):
	case REQ(REGIONS):
	case REQ(EVENTS_SINCE):
	case REQ(ALERTS):
		return 0;
	case REQ(SHELTER):
		if (r == ROLE_NATIONAL || r == ROLE_OPERATOR ||
		    may_report(id, req->shelter->shelter_id, reg))
			return 0;
		DENY("%s may not read shelter '%.31s'", who,
		    req->shelter->shelter_id);
	case REQ(ACK_ALERT):
		if (r == ROLE_NATIONAL)
			return 0;
		DENY("only the national coordinator acknowledges alerts, not "
		    "%s", who);
	case REQ(PLACE):
		if (r == ROLE_NATIONAL || (r == ROLE_REGION &&
		    strcmp(req->place->from_region, id->id) == 0))
			return 0;
		DENY("%s may not request placements from region '%.31s'", who,
		    req->place->from_region);
	case REQ(PLACEMENT):
	case REQ(CANCEL):
		if (r == ROLE_NATIONAL || r == ROLE_REGION)
			return 0; /* and authz_owns_placement */
		DENY("%s may not follow or cancel placement requests", who);
	case REQ(PLACEMENTS):
		if (r == ROLE_NATIONAL || r == ROLE_OPERATOR ||
		    r == ROLE_REGION)
			return 0; /* a region sees only its own */
		DENY("%s may not list placement requests", who);
	case REQ(ANSWER):
		if (r == ROLE_SHELTER &&
		    strcmp(req->answer->shelter_id, id->id) == 0)
			return 0;
		DENY("%s may not answer for shelter '%.31s'", who,
		    req->answer->shelter_id);
	case REQ(HOLDS):
		if (r == ROLE_SHELTER &&
		    strcmp(req->holds->shelter_id, id->id) == 0)
			return 0;
		DENY("%s may not see the holds of shelter '%.31s'", who,
		    req->holds->shelter_id);
	case REQ(BACKUP):
		/* A copy of every shelter's state, written on the daemon's
		 * disk: the operator's job. */
		if (r == ROLE_OPERATOR)
			return 0;
		DENY("only the operator takes backups, not %s", who);
	case REQ(EXPORT_QUERY):
		/* Every shelter's name and counts: need-to-know. */
		if (r == ROLE_NATIONAL || r == ROLE_OPERATOR)
			return 0;
		DENY("only the national coordinator and the operator export, "
		    "not %s", who);
	case REQ(REGISTRY_IMPORT):
		if (r == ROLE_OPERATOR)
			return 0;
		DENY("only the operator imports the registry, not %s", who);
	case REQ(TREND):
		return 0; /* region totals over time, like status */
	case REQ(REPORT):
		/* Small cells may tell of persons: only the national
		 * coordinator's office sees them (docs/history.md). */
		if (r == ROLE_NATIONAL || req->report->public_)
			return 0;
		DENY("%s may ask only for --public reports", who);
	default:
		DENY("%s may not make this request", who);
	}
}

int
authz_owns_placement(const struct identity *id, const char *from_region)
{
	if (id->role == ROLE_NATIONAL || id->role == ROLE_OPERATOR ||
	    id->role == ROLE_NONE)
		return 1;
	return id->role == ROLE_REGION && strcmp(id->id, from_region) == 0;
}
