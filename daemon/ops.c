/*
 * ops.c — the request table. Each row is one body of a Request; api.c and
 * server.c walk these rows and nothing else to decide how a request is
 * authorized, applied and answered. tests/unit/test_ops.c fails when a
 * body of the proto has no row here.
 */
#include "ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "alerts.h"
#include "audit.h"
#include "backup.h"
#include "history.h"
#include "import.h"
#include "occupancy.h"
#include "placements.h"
#include "planning.h"
#include "queries.h"
#include "reserves.h"
#include "store.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x
#define BODY(x) SHELTERD__V1__REQUEST__BODY_##x
#define R(x) OP_ROLE(ROLE_##x)

/*
 * The table. Roles: who may make the request outright; `may`: the pure
 * predicate (core/authz.c) for who else may, decided by the request's own
 * fields (a shelter reports only for itself). A region's or shelter's view
 * of a placement is narrowed further where the placement is read (its
 * from_region is in the store, not in the request).
 */
static const struct op rows[] = {
	[BODY(UPDATE)] = { "update", OP_WRITE_BATCH, 0, authz_may_update,
	    "report", occupancy_check_update, occupancy_apply,
	    occupancy_applied, occupancy_reply_update },
	[BODY(BATCH)] = { "batch", OP_WRITE_BATCH, 0, authz_may_batch,
	    "report", occupancy_check_batch, occupancy_apply,
	    occupancy_applied, occupancy_reply_batch },
	[BODY(STATUS)] = { "status", OP_READ, OP_ANYONE, NULL,
	    "read the status", NULL, NULL, NULL, queries_status },
	[BODY(SHELTER)] = { "shelter", OP_READ,
	    R(NATIONAL) | R(OPERATOR), authz_may_read_shelter,
	    "read a shelter", NULL, NULL, NULL, queries_shelter },
	[BODY(REGIONS)] = { "regions", OP_READ, OP_ANYONE, NULL,
	    "list the regions", NULL, NULL, NULL, queries_regions },
	/* Filtered by who asks (core/disclose.c); may wait for one. */
	[BODY(EVENTS_SINCE)] = { "events_since", OP_DEFERRED, OP_ANYONE,
	    NULL, "read the event log", NULL, NULL, NULL,
	    queries_events_since },
	[BODY(ACK_ALERT)] = { "ack_alert", OP_WRITE_NESTED, R(NATIONAL),
	    NULL, "acknowledge alerts", NULL, alerts_op_ack, NULL,
	    alerts_op_reply_ack },
	[BODY(ALERTS)] = { "alerts", OP_READ, OP_ANYONE, NULL,
	    "list alerts", NULL, NULL, NULL, alerts_op_list },
	[BODY(PLACE)] = { "place", OP_WRITE_NESTED, R(NATIONAL),
	    authz_may_place, "request placements", NULL, place_op_request,
	    NULL, place_op_reply },
	[BODY(ANSWER)] = { "answer", OP_WRITE_NESTED, 0, authz_may_answer,
	    "answer holds", NULL, place_op_answer, NULL, place_op_reply },
	[BODY(PLACEMENT)] = { "placement", OP_READ, R(NATIONAL) | R(REGION),
	    NULL, "follow placement requests", NULL, NULL, NULL,
	    place_op_placement },
	[BODY(CANCEL)] = { "cancel", OP_WRITE_NESTED, R(NATIONAL) | R(REGION),
	    NULL, "cancel placement requests", NULL, place_op_cancel, NULL,
	    place_op_reply },
	[BODY(PLACEMENTS)] = { "placements", OP_READ,
	    R(NATIONAL) | R(OPERATOR) | R(REGION), NULL,
	    "list placement requests", NULL, NULL, NULL,
	    place_op_placements },
	[BODY(HOLDS)] = { "holds", OP_DEFERRED, 0, authz_may_see_holds,
	    "see holds", NULL, NULL, NULL, queries_holds },
	[BODY(PING)] = { "ping", OP_READ, OP_ANYONE, NULL, "ping", NULL,
	    NULL, NULL, queries_ping },
	[BODY(RESET_SEQ)] = { "reset_seq", OP_WRITE_BATCH, R(OPERATOR), NULL,
	    "reset a shelter's seq", NULL, occupancy_reset_seq, NULL,
	    occupancy_reply_reset_seq },
	[BODY(REPORT)] = { "report", OP_DEFERRED, R(NATIONAL),
	    authz_may_report_query, "read reports", NULL, NULL, NULL,
	    history_op_query },
	/* Shortfalls against the norms, with placements out and unplaced:
	 * the national coordinator's and the operator's; a region's own. */
	[BODY(PLAN)] = { "plan", OP_READ, R(NATIONAL) | R(OPERATOR),
	    authz_may_plan, "read the plan", NULL, NULL, NULL,
	    planning_op_plan },
	/* Beds opened in the shelters on request: national only, and
	 * reserves.c refuses an unsigned one. */
	[BODY(RESERVE_ACTIVATE)] = { "reserve_activate", OP_WRITE_NESTED,
	    R(NATIONAL), NULL, "activate reserve beds", NULL,
	    reserves_op_activate, NULL, reserves_op_reply },
	/* A shelter's side of an activation: for itself only. */
	[BODY(RESERVE_QUERY)] = { "reserve_query", OP_READ,
	    R(NATIONAL) | R(OPERATOR), authz_may_reserve_shelter,
	    "see reserve requests", NULL, NULL, NULL, reserves_op_list },
	[BODY(RESERVE_ANSWER)] = { "reserve_answer", OP_WRITE_NESTED, 0,
	    authz_may_reserve_shelter, "answer reserve requests", NULL,
	    reserves_op_answer, NULL, reserves_op_reply_answer },
	/* National only, signed (reserves.c refuses an unsigned one). */
	[BODY(RESERVE_RELEASE)] = { "reserve_release", OP_WRITE_NESTED,
	    R(NATIONAL), NULL, "release reserve beds", NULL,
	    reserves_op_release, NULL, reserves_op_reply },
	/* Region totals over time, like status. */
	[BODY(TREND)] = { "trend", OP_DEFERRED, OP_ANYONE, NULL,
	    "read trends", NULL, NULL, NULL, history_op_query },
	/* A copy of every shelter's state on the daemon's disk. */
	[BODY(BACKUP)] = { "backup", OP_DEFERRED, R(OPERATOR), NULL,
	    "take backups", NULL, NULL, NULL, backup_op },
	/* Every shelter's name and counts: need-to-know. */
	[BODY(EXPORT_QUERY)] = { "export_query", OP_READ,
	    R(NATIONAL) | R(OPERATOR), NULL, "export", NULL, NULL, NULL,
	    import_op_export },
	[BODY(REGISTRY_IMPORT)] = { "registry_import", OP_WRITE_AFTER,
	    R(OPERATOR), NULL, "import the registry", NULL, NULL, NULL,
	    import_op_run },
	/* Entries and a signed head, for an inspector (docs/audit.md). */
	[BODY(AUDIT)] = { "audit", OP_READ, R(NATIONAL) | R(OPERATOR), NULL,
	    "export the audit log", NULL, NULL, NULL, audit_op_export },
};

#define N_ROWS (sizeof(rows) / sizeof(rows[0]))

const struct op *
ops_find(int body_case)
{
	if (body_case <= 0 || (size_t)body_case >= N_ROWS ||
	    rows[body_case].name == NULL)
		return NULL;
	return &rows[body_case];
}

const struct op *
ops_rows(size_t *n)
{
	*n = N_ROWS;
	return rows;
}

const char *
ops_names(void)
{
	static char names[512];

	if (names[0] == '\0') {
		size_t len = 0;

		for (size_t i = 0; i < N_ROWS; i++) {
			if (rows[i].name == NULL)
				continue;
			len += (size_t)snprintf(names + len,
			    sizeof(names) - len, "%s%s", len ? ", " : "",
			    rows[i].name);
			if (len >= sizeof(names))
				break;
		}
	}
	return names;
}

/* "the national coordinator and the operator": who the roles name. */
static void
roles_text(unsigned roles, char *buf, size_t len)
{
	static const char *const names[] = {
		[ROLE_SHELTER] = "shelters",
		[ROLE_REGION] = "regions",
		[ROLE_NATIONAL] = "the national coordinator",
		[ROLE_OPERATOR] = "the operator",
	};
	size_t n = 0, k = 0, used = 0;

	for (int r = ROLE_SHELTER; r <= ROLE_OPERATOR; r++)
		n += (roles >> r) & 1;
	buf[0] = '\0';
	for (int r = ROLE_SHELTER; r <= ROLE_OPERATOR && used < len; r++) {
		if (!((roles >> r) & 1))
			continue;
		k++;
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
		    k == 1 ? "" : k == n ? " and " : ", ", names[r]);
	}
}

int
ops_authorize(const struct op *op, const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg,
    struct op_result *res)
{
	char who[48], roles[96];

	if (op->roles & OP_ROLE(id->role))
		return 0;
	if (op->may != NULL) {
		if (op->may(id, req, reg, res->msg, sizeof(res->msg)) == 0)
			return 0;
		res->rc = CODE(FORBIDDEN);
		return res->rc;
	}
	authz_format(id, who, sizeof(who));
	roles_text(op->roles, roles, sizeof(roles));
	return op_fail(res, CODE(FORBIDDEN), "only %s may %s, not %s", roles,
	    op->action, who);
}
