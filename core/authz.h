/*
 * authz.h — who may do what: the one table. Pure: an identity and a decoded
 * request in, allowed or a reason out. The daemon proves the identity (a
 * signature checked against the registry's public key) before asking.
 */
#ifndef SHELTERD_AUTHZ_H
#define SHELTERD_AUTHZ_H

#include <stddef.h>

#include "registry.h"
#include "shelterd.pb-c.h"

enum role {
	ROLE_NONE = 0,   /* unsigned, allowed only in explicit demo mode */
	ROLE_SHELTER,    /* shelter:<id> */
	ROLE_REGION,     /* region:<id> */
	ROLE_NATIONAL,   /* national */
	ROLE_OPERATOR,   /* operator */
};

struct identity {
	int role;
	char id[REG_ID_MAX]; /* shelter or region id; empty otherwise */
};

/* "shelter:SH-UT-003", "region:VR09", "national", "operator" -> identity;
 * 0, or -1 when it is none of these. */
int authz_parse(const char *signer, struct identity *out);
/* Back to the "role:id" form, for logs. */
void authz_format(const struct identity *id, char *buf, size_t len);

/*
 * May this identity make this request? 0, or -1 with the reason in err.
 * Requests that name their target (updates, answers, holds, placement
 * requests) are decided here; those whose target is only known from the
 * store (a placement's status or cancel) need authz_owns_placement too.
 *
 *   request            shelter        region              national  operator
 *   update, batch      itself         its shelters (gateway)   -        -
 *   status, regions,   yes            yes                 yes       yes
 *   events, alerts
 *   shelter ID         itself         its shelters        yes       yes
 *   ack_alert          -              -                   yes       -
 *   place              -              from itself         yes       -
 *   placement, cancel  -              its own requests    yes       -
 *   placements         -              its own requests    yes       yes
 *   answer, holds      itself         -                   -         -
 *   backup             -              -                   -         yes
 *   trend              yes            yes                 yes       yes
 *   report --public    yes            yes                 yes       yes
 *   report             -              -                   yes       -
 */
int authz_check(const struct identity *id, const Shelterd__V1__Request *req,
    const struct registry *reg, char *err, size_t errlen);

/* For placement, cancel and placements: may id see/act on a request
 * made by from_region? */
int authz_owns_placement(const struct identity *id, const char *from_region);

#endif
