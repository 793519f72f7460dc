/*
 * result.h — one result type and one error sign for the daemon and
 * shelter-node (STYLE.md, "one error sign"): a function returns 0, a
 * positive SHELTERD__V1__CODE__* (the request is refused for its own
 * fault) or a negative STORE_E* (the store failed). store_error() is the
 * one place LMDB's codes become ours, op_wire_code() the one place a
 * result becomes the wire's code.
 */
#ifndef SHELTERD_RESULT_H
#define SHELTERD_RESULT_H

enum {
	STORE_OK = 0,
	STORE_ENOTFOUND = -1,
	STORE_EFULL = -2,    /* map full: raise [daemon] map_size_mb */
	STORE_EIO = -3,      /* disk or environment error */
	STORE_ECORRUPT = -4, /* a value of the wrong size: wrong schema */
	STORE_EVERSION = -5, /* written by another schema version */
	STORE_EKEY = -6,     /* empty or over-long key: a caller's bug */
};

/* LMDB's (or errno's) code -> STORE_E*. */
int store_error(int mdb_rc);
const char *store_strerror(int err);

/* The verdict of a request, or of one update of a batch. */
struct op_result {
	int rc;          /* 0, a positive CODE, or a negative STORE_E* */
	char msg[256];   /* why, when rc != 0; "" otherwise */
};

/* Set r to rc with a reason; returns rc, so `return op_fail(...)`. */
int op_fail(struct op_result *r, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* The wire code of a result: STORE_FULL for a full map, INTERNAL for any
 * other store error. A store error without a message gets one. */
int op_wire_code(struct op_result *r);

#endif
