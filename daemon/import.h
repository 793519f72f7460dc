/*
 * import.h — export pages and registry imports (docs/registry.md). Owns
 * the export_query and registry_import verbs (ops.c).
 */
#ifndef SHELTERD_IMPORT_H
#define SHELTERD_IMPORT_H

#include <lmdb.h>

#include "shelterd.pb-c.h"

struct ctx;
struct item;

/* The verbs (ops.h). An import runs in its own write txn once the batch
 * committed (OP_WRITE_AFTER). */
void import_op_export(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);
void import_op_run(struct ctx *s, MDB_txn *rtxn, struct item *it,
    Shelterd__V1__Reply *reply);

#endif
