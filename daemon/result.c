/*
 * result.c — one result type and the adapters to and from it: LMDB's
 * codes into STORE_E* (store_error), and a result into the wire's code
 * (op_wire_code). Shared by the daemon and shelter-node.
 */
#include "result.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>

#include "shelterd.pb-c.h"

#define CODE(x) SHELTERD__V1__CODE__CODE_##x

/* The one adapter from LMDB's codes to ours. */
int
store_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return STORE_OK;
	case MDB_NOTFOUND:
		return STORE_ENOTFOUND;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL:
	case ENOSPC:
		return STORE_EFULL;
	case MDB_BAD_VALSIZE:
		return STORE_EKEY;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return STORE_ECORRUPT;
	case MDB_VERSION_MISMATCH:
	case MDB_INVALID:
		return STORE_EVERSION;
	default:
		return STORE_EIO;
	}
}

const char *
store_strerror(int err)
{
	switch (err) {
	case STORE_OK:
		return "ok";
	case STORE_ENOTFOUND:
		return "not found";
	case STORE_EFULL:
		return "store is full (raise [daemon] map_size_mb or free "
		       "disk space)";
	case STORE_ECORRUPT:
		return "store holds a value of the wrong size (corrupt, or "
		       "another schema)";
	case STORE_EVERSION:
		return "store was written by another version";
	case STORE_EKEY:
		return "empty or over-long key";
	default:
		return "store I/O error";
	}
}

int
op_fail(struct op_result *r, int rc, const char *fmt, ...)
{
	va_list ap;

	r->rc = rc;
	va_start(ap, fmt);
	vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	return rc;
}

int
op_wire_code(struct op_result *r)
{
	if (r->rc >= 0)
		return r->rc;
	if (r->msg[0] == '\0')
		snprintf(r->msg, sizeof(r->msg), "not stored: %s",
		    store_strerror(r->rc));
	return r->rc == STORE_EFULL ? CODE(STORE_FULL) : CODE(INTERNAL);
}
