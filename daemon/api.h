/*
 * api.h — a request's way through the request table (ops.h): decode,
 * authorize and check it, apply its writes, answer it. server.c drives
 * each batch through these.
 */
#ifndef SHELTERD_API_H
#define SHELTERD_API_H

#include <lmdb.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctx.h"
#include "ops.h"

void api_decode(struct ctx *s, struct item *it);
/* Applied in the batch txn (OP_WRITE_BATCH or OP_WRITE_NESTED)? */
bool api_is_write(const struct item *it);
/* Release what api_decode allocated. */
void api_release(struct item *it);
/*
 * Apply one write of an item in the batch txn: update k, or the whole
 * request when it holds no updates. A refusal is the verdict of that update
 * or request and leaves no trace in txn. A nonzero STORE_E* return means
 * txn must be aborted: server.c then redoes the batch without this write
 * (api_fail_write) and everything else still commits.
 */
int api_apply(struct ctx *s, MDB_txn *txn, struct item *it, size_t k,
    int64_t now);
/* The txn that held the write committed: in-memory state follows. */
void api_applied(struct ctx *s, struct item *it, size_t k, int64_t now);
/* The write could not be stored even alone: store_err is its verdict. */
void api_fail_write(struct item *it, size_t k, int store_err);
/* Fill it->msg with the reply; rtxn is a read txn for queries (may be NULL
 * when the batch holds no query). */
void api_reply(struct ctx *s, MDB_txn *rtxn, struct item *it);
#endif
