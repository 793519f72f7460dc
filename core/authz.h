/*
 * authz.h — identities and the pure predicates of who may do what. Pure:
 * an identity and a decoded request in, allowed or a reason out. The
 * daemon proves the identity (a signature checked against the registry's
 * public key) before asking.
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
 * Who may make which request is data: the `roles` of each row of the
 * request table (daemon/ops.c, summed up in docs/security.md). Where the
 * request itself decides (a shelter reports only for itself), the row
 * names one of these pure predicates, asked when the roles alone do not
 * allow the identity: 0, or -1 with the reason in err.
 */
int authz_may_update(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_batch(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_read_shelter(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_place(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_answer(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_see_holds(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
int authz_may_report_query(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);
/* Reserve requests and answers: a shelter for itself only. */
int authz_may_reserve_shelter(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg,
    char *err, size_t errlen);
/* The plan: a region for its own region only (national and operator by
 * their row). */
int authz_may_plan(const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg, char *err,
    size_t errlen);

/* For placement, cancel and placements: may id see/act on a request
 * made by from_region? */
int authz_owns_placement(const struct identity *id, const char *from_region);

#endif
