#include "validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void
validate_limits_default(struct validate_limits *lim)
{
	lim->max_beds = 10000;
	lim->max_future_secs = 300;
	lim->max_seq_ahead_secs = 86400;
}

int
validate_seq_ahead(uint64_t seq, int64_t now, int64_t max_ahead_secs,
    char *err, size_t errlen)
{
	/* In seconds: no overflow for any seq, now or limit in range. */
	uint64_t secs = seq / 1000000u;

	if (now < 0 || max_ahead_secs < 0 ||
	    secs <= (uint64_t)now + (uint64_t)max_ahead_secs)
		return 0;
	snprintf(err, errlen, "seq %" PRIu64 " is %" PRIu64 " s ahead of the "
	    "daemon's clock (a seq counts microseconds; at most %" PRId64
	    " s ahead is accepted, [reporting] max_seq_ahead_secs): is the "
	    "sender's clock wrong? Send the current time in microseconds",
	    seq, secs - (uint64_t)now, max_ahead_secs);
	return SHELTERD__V1__CODE__CODE_BAD_REQUEST;
}

bool
validate_refusal_is_final(int code)
{
	switch (code) {
	case SHELTERD__V1__CODE__CODE_BAD_REQUEST:
	case SHELTERD__V1__CODE__CODE_UNKNOWN_SHELTER:
	case SHELTERD__V1__CODE__CODE_UNKNOWN_CATEGORY:
	case SHELTERD__V1__CODE__CODE_STALE_SEQ:
	case SHELTERD__V1__CODE__CODE_SEQ_CONFLICT:
		return true;
	default:
		/* TOO_LARGE is not the report's: one OccupancyUpdate is a few
		 * hundred bytes, so it means a daemon set far below any
		 * sane max_message_bytes, which the operator can raise. */
		return false;
	}
}

#define REFUSE(code, ...)                               \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return SHELTERD__V1__CODE__CODE_##code;      \
	} while (0)

/*
 * A category's declared reserve beds (BedCount.has_reserve): 0 or a
 * CODE with the reason in err. 0/0 is a declaration too: "none now",
 * which overrides reserves.csv.
 */
static int
reserve_declaration(const Shelterd__V1__BedCount *b, int cat,
    const struct validate_limits *lim, char *err, size_t errlen)
{
	uint32_t max = lim->max_beds < RESERVE_BEDS_MAX ? lim->max_beds :
	    RESERVE_BEDS_MAX;

	if (b->reserve_24h > b->reserve_72h)
		REFUSE(BAD_REQUEST, "'%s': %u reserve beds within 24 h but %u "
		    "within 72 h: the 72 h figure includes the 24 h one",
		    cat_name(cat), b->reserve_24h, b->reserve_72h);
	if (b->reserve_72h > max)
		REFUSE(BAD_REQUEST, "'%s': %u reserve beds within 72 h; at "
		    "most %u are plausible for one shelter", cat_name(cat),
		    b->reserve_72h, max);
	return 0;
}

int
validate_update(const Shelterd__V1__OccupancyUpdate *u,
    const struct registry *reg, const struct validate_limits *lim,
    int64_t now, const struct reg_shelter **shelter,
    struct shelter_state *out, uint8_t *over_occupied, char *err,
    size_t errlen)
{
	const struct reg_shelter *sh;

	memset(out, 0, sizeof(*out));
	*over_occupied = 0;
	if (u->shelter_id == NULL || u->shelter_id[0] == '\0')
		REFUSE(BAD_REQUEST, "shelter_id is missing");
	if ((sh = registry_shelter(reg, u->shelter_id)) == NULL)
		REFUSE(UNKNOWN_SHELTER, "unknown shelter '%.40s': check the "
		    "id with the registry (shelterctl shelter ID)",
		    u->shelter_id);
	if (u->seq == 0)
		REFUSE(BAD_REQUEST, "seq must be at least 1");
	if (validate_seq_ahead(u->seq, now, lim->max_seq_ahead_secs, err,
	    errlen) != 0)
		return SHELTERD__V1__CODE__CODE_BAD_REQUEST;
	if (u->observed_at <= 0 || u->observed_at > now + lim->max_future_secs)
		REFUSE(BAD_REQUEST, "observed_at %" PRId64 " is not a time "
		    "between 1970 and a few minutes from now (%" PRId64 ")",
		    u->observed_at, now);
	if (u->status < SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_OPEN ||
	    u->status > SHELTERD__V1__SHELTER_STATUS__SHELTER_STATUS_CLOSED)
		REFUSE(BAD_REQUEST, "status must be open, paused or closed");
	if (u->n_beds == 0)
		REFUSE(BAD_REQUEST, "no bed counts: report every category "
		    "the shelter has");
	if (u->n_beds > CAT_COUNT)
		REFUSE(BAD_REQUEST, "%zu bed counts; there are only %d "
		    "categories", u->n_beds, CAT_COUNT);

	for (size_t i = 0; i < u->n_beds; i++) {
		const Shelterd__V1__BedCount *b = u->beds[i];
		int cat = (int)b->category;
		unsigned bit;

		if (cat_name(cat) == NULL)
			REFUSE(UNKNOWN_CATEGORY, "unknown category %d", cat);
		bit = 1u << (cat - 1);
		if (!(sh->categories & bit))
			REFUSE(UNKNOWN_CATEGORY, "shelter %s has no '%s' beds "
			    "in the registry", sh->id, cat_name(cat));
		if (out->present & bit)
			REFUSE(BAD_REQUEST, "category '%s' appears twice",
			    cat_name(cat));
		if (b->capacity > lim->max_beds ||
		    b->occupied > lim->max_beds ||
		    b->out_of_service > lim->max_beds)
			REFUSE(BAD_REQUEST, "'%s': counts above %u are not "
			    "plausible for one shelter", cat_name(cat),
			    lim->max_beds);
		if (b->out_of_service > b->capacity)
			REFUSE(BAD_REQUEST, "'%s': %u beds out of service but "
			    "only %u in total", cat_name(cat),
			    b->out_of_service, b->capacity);
		if (b->expected_free_24h > b->expected_free_72h)
			REFUSE(BAD_REQUEST, "'%s': %u beds expected free "
			    "within 24 h but %u within 72 h: the 72 h figure "
			    "includes the 24 h one", cat_name(cat),
			    b->expected_free_24h, b->expected_free_72h);
		/* Only a bed that is taken now can become free. */
		if ((uint64_t)b->expected_free_72h > (uint64_t)b->occupied +
		    b->out_of_service)
			REFUSE(BAD_REQUEST, "'%s': %u beds expected free "
			    "within 72 h but only %u occupied or out of "
			    "service", cat_name(cat), b->expected_free_72h,
			    b->occupied + b->out_of_service);
		if (b->has_reserve) {
			int rc = reserve_declaration(b, cat, lim, err,
			    errlen);

			if (rc != 0)
				return rc;
			out->reserve_declared |= (uint8_t)bit;
			out->reserve_decl[cat - 1].beds_24h = b->reserve_24h;
			out->reserve_decl[cat - 1].beds_72h = b->reserve_72h;
		} else if (b->reserve_24h != 0 || b->reserve_72h != 0) {
			REFUSE(BAD_REQUEST, "'%s': reserve beds without "
			    "has_reserve: set it to declare them",
			    cat_name(cat));
		}
		if (b->forecast || b->expected_free_72h > 0)
			out->forecast |= (uint8_t)bit;
		out->expect[cat - 1].free_24h = b->expected_free_24h;
		out->expect[cat - 1].free_72h = b->expected_free_72h;
		if ((uint64_t)b->occupied + b->out_of_service > b->capacity)
			*over_occupied |= (uint8_t)bit;
		out->present |= (uint8_t)bit;
		out->beds[cat - 1].capacity = b->capacity;
		out->beds[cat - 1].occupied = b->occupied;
		out->beds[cat - 1].out_of_service = b->out_of_service;
	}
	if (out->present != sh->categories) {
		for (int c = 1; c <= CAT_COUNT; c++)
			if ((sh->categories & ~out->present) & (1u << (c - 1)))
				REFUSE(BAD_REQUEST, "'%s' is missing: a report "
				    "gives every category the shelter has",
				    cat_name(c));
	}
	out->seq = u->seq;
	out->observed_at = u->observed_at;
	out->status = (uint8_t)u->status;
	*shelter = sh;
	return 0;
}

int
validate_seq(const struct shelter_state *stored,
    const struct shelter_state *next, char *err, size_t errlen)
{
	if (next->seq > stored->seq)
		return SEQ_APPLY;
	if (next->seq < stored->seq) {
		snprintf(err, errlen, "seq %" PRIu64 " is older than the last "
		    "applied seq %" PRIu64 ": not applied", next->seq,
		    stored->seq);
		return -SHELTERD__V1__CODE__CODE_STALE_SEQ;
	}
	if (next->status != stored->status ||
	    next->present != stored->present ||
	    memcmp(next->beds, stored->beds, sizeof(next->beds)) != 0 ||
	    next->forecast != stored->forecast ||
	    memcmp(next->expect, stored->expect, sizeof(next->expect)) != 0 ||
	    next->reserve_declared != stored->reserve_declared ||
	    memcmp(next->reserve_decl, stored->reserve_decl,
	    sizeof(next->reserve_decl)) != 0) {
		snprintf(err, errlen, "seq %" PRIu64 " was already applied "
		    "with other counts: use a new seq", next->seq);
		return -SHELTERD__V1__CODE__CODE_SEQ_CONFLICT;
	}
	return SEQ_DUPLICATE;
}

void
validate_fill_ack(Shelterd__V1__UpdateAck *ack,
    const Shelterd__V1__OccupancyUpdate *u, bool duplicate,
    uint8_t over_occupied, char (*warn)[96], char **wp)
{
	shelterd__v1__update_ack__init(ack);
	ack->shelter_id = u->shelter_id;
	ack->seq = u->seq;
	ack->duplicate = duplicate;
	ack->warnings = wp;
	for (int c = 0; c < CAT_COUNT; c++) {
		if (!(over_occupied & (1u << c)))
			continue;
		snprintf(warn[ack->n_warnings], 96, "'%s' is over-occupied: "
		    "occupied plus out of service is above capacity",
		    cat_name(c + 1));
		wp[ack->n_warnings] = warn[ack->n_warnings];
		ack->n_warnings++;
	}
}
