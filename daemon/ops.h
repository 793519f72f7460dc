/*
 * ops.h — the request table: one row per body of a Request, indexed by the
 * oneof case. A row says what the verb is called, how it is applied (its
 * kind), who may make it and which functions check, apply and answer it.
 * api.c and server.c drive every request through these rows and know no
 * verb by name; a new verb is one row plus its module's functions
 * (docs/architecture.md).
 *
 * Results follow one sign convention (result.h): a handler returns 0, a
 * positive SHELTERD__V1__CODE__* (the request is refused; the reason is in
 * the item's result) or a negative STORE_E* (the store failed). The wire
 * code is made from it in one place, op_wire_code().
 */
#ifndef SHELTERD_OPS_H
#define SHELTERD_OPS_H

#include <lmdb.h>
#include <nng/nng.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "authz.h"
#include "result.h"
#include "store.h"
#include "shelterd.pb-c.h"

struct ctx;

enum op_kind {
	OP_READ,         /* answered from one read txn after the batch */
	OP_WRITE_BATCH,  /* applied in the batch txn; every check comes
	                  * before its first write, so no nested txn */
	OP_WRITE_NESTED, /* applied in the batch txn inside a nested txn of
	                  * its own: it may refuse after writing */
	OP_WRITE_AFTER,  /* its own write txn once the batch committed */
	OP_DEFERRED,     /* answered later (a worker, a wait): its reply
	                  * function may take the message */
};

/* Bit of enum role in a row's roles. */
#define OP_ROLE(r) (1u << (r))
#define OP_ANYONE                                                     \
	(OP_ROLE(ROLE_SHELTER) | OP_ROLE(ROLE_REGION) |               \
	    OP_ROLE(ROLE_NATIONAL) | OP_ROLE(ROLE_OPERATOR))


/* What became of one occupancy update. */
struct update_result {
	struct op_result res;         /* its verdict */
	bool duplicate;               /* seq already applied */
	bool written;                 /* stored (once its txn commits) */
	uint32_t shelter;             /* registry index, when written */
	uint8_t over_occupied;        /* categories flagged */
};

/* One request of a loop turn's batch and what became of it. */
struct item {
	nng_msg *msg;                 /* header routes the reply back */
	Shelterd__V1__Request *req;   /* NULL when undecodable */
	const struct op *op;          /* its row; NULL when undecodable */
	struct op_result res;         /* the request as a whole */
	bool ready;                   /* decoded, authorized, checked */
	bool packed;                  /* the reply is in msg already */
	bool counted;                 /* its refusals are counted */
	/* Updates: one for an OccupancyUpdate, many for an OccupancyBatch. */
	const Shelterd__V1__OccupancyUpdate *const *updates;
	struct update_result *results;
	size_t n_updates;
	struct update_result one;
	struct alert_state alert;     /* ack_alert: the alert as now */
	struct placement_state *placement; /* place/answer/cancel result */
	struct identity who;          /* the verified signer */
	uint64_t value;               /* a verb's one number for its reply
	                               * (reset_seq: the seq it replaced) */
	struct auth_nonce nonce;      /* remembered once authorized */
};

/*
 * check: after decoding and authorization, before anything is applied:
 * shapes and limits (a batch's size). 0 or a positive CODE.
 * apply: one write (update k of the item, or the whole request when k is
 * 0 and it holds no updates) in txn. 0, CODE or STORE_E*.
 * applied: the txn that held write k committed; in-memory state follows.
 * reply: fill *reply (whose code and error api.c sets from the item's
 * result) or pack it->msg itself (it->packed) or take it->msg (deferred).
 * Called for every request that passed decoding and authorization, also
 * when its apply refused it, so it can attach a body to a refusal.
 */
struct op {
	const char *name;      /* the oneof field name, as in the proto */
	enum op_kind kind;
	unsigned roles;        /* OP_ROLE bits allowed outright */
	/* Allowed also when this pure predicate (core/authz.c) says so; it
	 * writes the reason of a refusal. NULL: the roles decide alone. */
	int (*may)(const struct identity *id,
	    const Shelterd__V1__Request *req, const struct registry *reg,
	    char *err, size_t errlen);
	const char *action;    /* "acknowledge alerts": for refusals */
	int (*check)(struct ctx *s, struct item *it);
	int (*apply)(struct ctx *s, MDB_txn *txn, struct item *it,
	    size_t k, int64_t now);
	void (*applied)(struct ctx *s, struct item *it, size_t k,
	    int64_t now);
	void (*reply)(struct ctx *s, MDB_txn *rtxn, struct item *it,
	    Shelterd__V1__Reply *reply);
};

/* The row of a body case, or NULL when the case has none. */
const struct op *ops_find(int body_case);
/* Every row, for walking (tests, the empty-request hint). */
const struct op *ops_rows(size_t *n);
/* "update, status, ...": the names of every row, for the hint. */
const char *ops_names(void);
/* May id make req? 0, or a positive CODE (FORBIDDEN) with the reason. */
int ops_authorize(const struct op *op, const struct identity *id,
    const Shelterd__V1__Request *req, const struct registry *reg,
    struct op_result *res);

#endif
