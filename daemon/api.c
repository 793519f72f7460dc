/*
 * api.c — a request's way through the request table (ops.h): decode and
 * authenticate it, find its row, authorize and check it, apply its writes
 * in the batch txn, answer it. It knows no verb by name: every decision
 * that differs between verbs is in the row.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "auth.h"
#include "events.h"
#include "ctx.h"
#include "log.h"
#include "ops.h"
#include "placeindex.h"
#include "reply.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* Applied in the batch txn, so answered also when refused. */
static bool
writes_in_batch(const struct op *op)
{
	return op->kind == OP_WRITE_BATCH || op->kind == OP_WRITE_NESTED;
}

/* Decode, authenticate, find the row, authorize, check: it->ready. */
static int
admit(struct ctx *s, struct item *it)
{
	size_t len = nng_msg_len(it->msg);
	int64_t now = (int64_t)time(NULL);
	int rc;

	if (len > s->cfg->max_message_bytes)
		return op_fail(&it->res, CODE(TOO_LARGE), "request of %zu "
		    "bytes is larger than the limit of %u", len,
		    s->cfg->max_message_bytes);
	if ((rc = auth_open(s, nng_msg_body(it->msg), len, &it->req,
	    &it->who, &it->nonce, it->res.msg, sizeof(it->res.msg),
	    now)) != 0)
		return it->res.rc = rc;
	if (it->req->body_case == SHELTERD__V1__REQUEST__BODY__NOT_SET)
		return op_fail(&it->res, CODE(BAD_REQUEST), "empty request: "
		    "set one of %s", ops_names());
	if ((it->op = ops_find((int)it->req->body_case)) == NULL)
		return op_fail(&it->res, CODE(BAD_REQUEST), "unknown request "
		    "(body %d): set one of %s", (int)it->req->body_case,
		    ops_names());
	/* Unsigned requests reach here only in the loopback demo mode. */
	if (it->who.role != ROLE_NONE &&
	    (rc = ops_authorize(it->op, &it->who, it->req, s->reg,
	    &it->res)) != 0)
		return rc;
	/* Only now: a refused request must not fill the replay cache. */
	if ((rc = auth_remember(s, &it->who, &it->nonce, it->res.msg,
	    sizeof(it->res.msg), now)) != 0)
		return it->res.rc = rc;
	if (it->op->check != NULL && (rc = it->op->check(s, it)) != 0)
		return rc;
	it->ready = true;
	return 0;
}

/*
 * A refusal's log line, at most LOG_REFUSALS a second (the loop thread
 * only): a flood must not become a flood of log lines. The next line
 * after a quiet second says how many were left out.
 */
enum { LOG_REFUSALS = 20 };

static void
log_refusal(const struct item *it)
{
	static int64_t second;
	static unsigned n;
	static unsigned long long unlogged;
	int64_t now = (int64_t)time(NULL);
	char who[48];

	if (now != second) {
		if (unlogged > 0)
			log_warn("%llu more requests refused in the last "
			    "second, not logged one by one", unlogged);
		second = now;
		n = 0;
		unlogged = 0;
	}
	if (++n > LOG_REFUSALS) {
		unlogged++;
		return;
	}
	authz_format(&it->who, who, sizeof(who));
	log_warn("refused request from %s: %s", who, it->res.msg);
}

void
api_decode(struct ctx *s, struct item *it)
{
	nng_msg *msg = it->msg;

	memset(it, 0, sizeof(*it));
	it->msg = msg;
	if (admit(s, it) != 0)
		log_refusal(it);
}

bool
api_is_write(const struct item *it)
{
	return it->ready && it->res.rc == 0 && writes_in_batch(it->op);
}

void
api_release(struct item *it)
{
	if (it->results != &it->one)
		free(it->results);
	it->results = NULL;
	it->n_updates = 0;
	if (it->req != NULL)
		shelterd__v1__request__free_unpacked(it->req, NULL);
	it->req = NULL;
	free(it->placement);
	it->placement = NULL;
}

/*
 * An OP_WRITE_NESTED write, in a nested txn of its own: it may refuse after
 * writing, and a refused or failed write leaves no trace, neither in the
 * store nor among the batch's events. A store error is confined to it.
 */
static void
apply_nested(struct ctx *s, MDB_txn *txn, struct item *it, int64_t now)
{
	size_t events_before = s->n_events;
	uint64_t seq_before = s->next_event_seq;
	size_t index_mark = place_index_mark(s->pidx);
	MDB_txn *child;
	int rc;

	/* It may run again when the batch txn is redone (server.c). */
	memset(&it->res, 0, sizeof(it->res));
	if ((rc = store_begin(s->store, txn, 1, &child)) != 0) {
		api_fail_write(it, 0, rc);
		return;
	}
	s->actor = &it->who;
	rc = it->op->apply(s, child, it, 0, now);
	s->actor = NULL;
	if (rc == 0)
		rc = store_commit(child);
	else
		mdb_txn_abort(child);
	if (rc == 0)
		return;
	it->res.rc = rc;
	events_drop_from(s, events_before);
	s->next_event_seq = seq_before;
	place_index_undo(s->pidx, index_mark);
	if (rc < 0) {
		log_err("%s not stored: %s", it->op->name,
		    store_strerror(rc));
		op_wire_code(&it->res); /* says why, if apply did not */
	} else if (strncmp(it->res.msg, "case_ref", 8) == 0) {
		/* A refused case_ref may be exactly what must not be stored
		 * (a name, a date of birth): the requester gets the reason,
		 * the log does not get the value. */
		log_warn("refused placement request: case_ref is not "
		    "pseudonymous (value not logged)");
	} else {
		log_warn("refused %s: %s", it->op->name, it->res.msg);
	}
}

int
api_apply(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now)
{
	int rc;

	if (it->op->kind == OP_WRITE_NESTED) {
		apply_nested(s, txn, it, now);
		return 0;
	}
	/* Every check of a batch write comes before its first write: a
	 * refusal (a positive code) is its verdict and leaves nothing in
	 * txn, a negative return is a store error that aborts the txn
	 * (server.c redoes it without this write). */
	if (it->n_updates == 0)
		memset(&it->res, 0, sizeof(it->res)); /* it may be redone */
	s->actor = &it->who;
	rc = it->op->apply(s, txn, it, k, now);
	s->actor = NULL;
	if (rc > 0) {
		it->res.rc = rc;
		log_warn("refused %s: %s", it->op->name, it->res.msg);
		return 0;
	}
	return rc;
}

void
api_applied(struct ctx *s, struct item *it, size_t k, int64_t now)
{
	if (it->op->applied != NULL)
		it->op->applied(s, it, k, now);
}

void
api_fail_write(struct item *it, size_t k, int store_err)
{
	struct op_result *r = it->n_updates > 0 ? &it->results[k].res :
	    &it->res;

	if (it->n_updates > 0) {
		struct update_result *u = &it->results[k];

		u->duplicate = u->written = false;
		u->over_occupied = 0;
		log_err("update %.40s seq %" PRIu64 " not stored: %s",
		    it->updates[k]->shelter_id, it->updates[k]->seq,
		    store_strerror(store_err));
	} else {
		log_err("%s not stored: %s", it->op->name,
		    store_strerror(store_err));
	}
	op_fail(r, store_err, "not stored: %s", store_strerror(store_err));
}

/* A read verb met a store error: say so once, in the reply and the log. */
static void
read_failed(struct item *it)
{
	if (it->res.msg[0] == '\0')
		snprintf(it->res.msg, sizeof(it->res.msg), "cannot read the "
		    "store: %s", store_strerror(it->res.rc));
	log_err("%s failed: %s", it->op->name, it->res.msg);
}

void
api_reply(struct ctx *s, MDB_txn *rtxn, struct item *it)
{
	Shelterd__V1__Reply reply = SHELTERD__V1__REPLY__INIT;
	int code;

	/* Writes are answered also when refused (a refusal may carry a
	 * body); reads only when they could run. */
	if (it->ready && (it->res.rc == 0 || writes_in_batch(it->op)))
		it->op->reply(s, rtxn, it, &reply);
	if (it->msg == NULL)
		return; /* taken: answered when its wait or work is done */
	if (it->ready && it->res.rc < 0 && !writes_in_batch(it->op))
		read_failed(it);
	if (!it->packed) {
		Shelterd__V1__Reply refusal = SHELTERD__V1__REPLY__INIT;

		api_pack(it, &refusal);
	}
	code = op_wire_code(&it->res);
	if (code != CODE(OK) && !it->counted)
		s->stats.refused[code & 15]++;
}
