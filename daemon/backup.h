/*
 * backup.h — a consistent copy of the store, made on a worker thread while
 * the loop goes on. Owns the backup verb (ops.c).
 */
#ifndef SHELTERD_BACKUP_H
#define SHELTERD_BACKUP_H

#include <lmdb.h>

#include "shelterd.pb-c.h"

struct ctx;
struct item;

/* Start the copy into the request's dir; the reply follows once the copy
 * is on disk (it takes it->msg), or a refusal now. */
void backup_op(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
