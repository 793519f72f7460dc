/*
 * wirecheck.h — every string of a decoded message, checked once, on the
 * wire bytes. Pure: a protobuf-c descriptor and packed bytes in, a verdict
 * out; no sockets, no store.
 *
 * protobuf-c 1.4 hands a string field to C as a NUL-terminated char * and
 * checks neither NULs nor UTF-8: "SH-ZEE-001\0evil" reads as "SH-ZEE-001",
 * and invalid UTF-8 goes on into the store, the replies and the event log,
 * where every conforming decoder then refuses the whole message. So the
 * bytes the message was decoded from are walked with its descriptor: every
 * string field at any depth (sub-messages, repeated fields, oneofs) must be
 * UTF-8 without NUL and within its field's length limit.
 */
#ifndef SHELTERD_WIRECHECK_H
#define SHELTERD_WIRECHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* A string field's limit when the table below does not name it. */
enum { WIRECHECK_DEFAULT_MAX = 256 };

/* One row of the per-field table: the longest a field may be, in bytes. */
struct wirecheck_limit {
	const ProtobufCMessageDescriptor *msg;
	const char *field;
	size_t max;
};

/* The table (for tests: every row names a string field that exists). */
extern const struct wirecheck_limit wirecheck_limits[];
extern const size_t wirecheck_n_limits;

/* The limit of one string field: its row's, or WIRECHECK_DEFAULT_MAX. */
size_t wirecheck_max(const ProtobufCMessageDescriptor *msg,
    const ProtobufCFieldDescriptor *field);

/*
 * Check every string field in buf (len bytes packed as a desc message).
 * Returns 0 when each one is valid; otherwise -1 and, in err, the field's
 * path from desc ("update.shelter_id", "batch.updates[2].shelter_id") and
 * what is wrong, with any peer bytes escaped. Bytes that do not parse as
 * protobuf are refused too (the caller decodes them first, so this only
 * guards the walk).
 */
int wirecheck_strings(const ProtobufCMessageDescriptor *desc,
    const uint8_t *buf, size_t len, char *err, size_t errlen);

/*
 * For stores written before this check: replace, in place, every byte of
 * every string field in buf that is not part of valid UTF-8 (or is NUL)
 * with '?'. Lengths stay, so the bytes stay a valid message. Returns how
 * many bytes changed; -1 if buf does not parse (then it is left as is).
 */
int wirecheck_repair(const ProtobufCMessageDescriptor *desc, uint8_t *buf,
    size_t len);

/* The same for a C string in a fixed-size field: returns bytes changed. */
size_t wirecheck_repair_str(char *s, size_t size);

/* Whether s[0..n) is UTF-8 (RFC 3629: no overlong forms, no surrogates,
 * nothing above U+10FFFF); *bad is the offset of the first bad byte. */
bool wirecheck_utf8(const uint8_t *s, size_t n, size_t *bad);

/*
 * Peer bytes for an error text or a log line: printable ASCII stays, '"'
 * and '\\' and every other byte become \", \\ and \xNN; cut with "..." to
 * fit out. The result is always ASCII and NUL-terminated. Returns out.
 */
char *wirecheck_escape(const void *s, size_t n, char *out, size_t outlen);

#endif
