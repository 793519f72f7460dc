#include "wirecheck.h"

#include <stdio.h>
#include <string.h>

#include "shelterd.pb-c.h"

#define DESC(m) (&shelterd__v1__##m##__descriptor)

/*
 * The longest each string may be, in bytes: what the store or the registry
 * can hold (ids: REG_ID_MAX - 1; request_id, case_ref, acked_by: 47; a
 * backup dir: CONFIG_STR_MAX - 1), so that nothing
 * further down has to cut a string silently. A field not listed gets
 * WIRECHECK_DEFAULT_MAX.
 */
const struct wirecheck_limit wirecheck_limits[] = {
	{ DESC(occupancy_update), "shelter_id", 31 },
	{ DESC(shelter_query), "shelter_id", 31 },
	{ DESC(ack_alert), "by", 47 },
	{ DESC(placement_request), "request_id", 47 },
	{ DESC(placement_request), "case_ref", 47 },
	{ DESC(placement_request), "from_region", 31 },
	{ DESC(placement_request), "exclude_regions", 31 },
	{ DESC(placement_answer), "request_id", 47 },
	{ DESC(placement_answer), "shelter_id", 31 },
	{ DESC(placement_query), "request_id", 47 },
	{ DESC(placement_cancel), "request_id", 47 },
	{ DESC(holds_query), "shelter_id", 31 },
	{ DESC(report_query), "month", 7 },
	{ DESC(trend_query), "region_id", 31 },
	{ DESC(plan_query), "region_id", 31 },
	{ DESC(reserve_activate), "region_id", 31 },
	{ DESC(reserve_activate), "reason", 79 },
	{ DESC(reserve_query), "shelter_id", 31 },
	{ DESC(reserve_answer), "shelter_id", 31 },
	{ DESC(backup_request), "dir", 511 },
	{ DESC(export_query), "after_shelter_id", 31 },
	/* The largest [daemon] max_message_bytes allowed. */
	{ DESC(registry_import), "shelters_csv", 16u << 20 },
	/* A few hundred lines of ~30 bytes; room for a long history. */
	{ DESC(registry_import), "norms_csv", 1u << 20 },
	/* A row per shelter and category: room for a big registry. */
	{ DESC(registry_import), "reserves_csv", 8u << 20 },
	{ DESC(signed_request), "signer", 47 },
};
const size_t wirecheck_n_limits =
    sizeof(wirecheck_limits) / sizeof(wirecheck_limits[0]);

size_t
wirecheck_max(const ProtobufCMessageDescriptor *msg,
    const ProtobufCFieldDescriptor *field)
{
	for (size_t i = 0; i < wirecheck_n_limits; i++)
		if (wirecheck_limits[i].msg == msg &&
		    strcmp(wirecheck_limits[i].field, field->name) == 0)
			return wirecheck_limits[i].max;
	return WIRECHECK_DEFAULT_MAX;
}

/* ---- bytes ------------------------------------------------------------ */

/* The length of the valid UTF-8 sequence at s (n > 0 bytes), or 0. */
static size_t
utf8_seq(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;       /* a continuation byte, or overlong */
	if (c < 0xe0) {
		len = 2;
	} else if (c < 0xf0) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;      /* overlong */
		else if (c == 0xed)
			hi = 0x9f;      /* UTF-16 surrogates */
	} else if (c < 0xf5) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;      /* overlong */
		else if (c == 0xf4)
			hi = 0x8f;      /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * Hand-written rather than from a library: Debian's libunistring (u8_check)
 * and ICU would be a new dependency of core/ for these twenty lines, which
 * follow RFC 3629's table exactly (what protobuf's own decoders accept).
 */
bool
wirecheck_utf8(const uint8_t *s, size_t n, size_t *bad)
{
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_seq(s + i, n - i)) == 0) {
			if (bad != NULL)
				*bad = i;
			return false;
		}
		i += k;
	}
	return true;
}

char *
wirecheck_escape(const void *s, size_t n, char *out, size_t outlen)
{
	const uint8_t *b = s;
	size_t o = 0;

	if (outlen == 0)
		return out;
	for (size_t i = 0; i < n; i++) {
		char piece[8];
		size_t k, reserve = i + 1 < n ? 3 : 0;

		if (b[i] == '"' || b[i] == '\\')
			k = (size_t)snprintf(piece, sizeof(piece), "\\%c",
			    b[i]);
		else if (b[i] >= 0x20 && b[i] < 0x7f)
			k = (size_t)snprintf(piece, sizeof(piece), "%c", b[i]);
		else
			k = (size_t)snprintf(piece, sizeof(piece), "\\x%02x",
			    b[i]);
		if (o + k + reserve + 1 > outlen) {
			/* The step before kept room for this. */
			if (o + 4 <= outlen)
				memcpy(out + o, "...", 3), o += 3;
			break;
		}
		memcpy(out + o, piece, k);
		o += k;
	}
	out[o] = '\0';
	return out;
}

/* Up to 24 bytes before s[at] and a few from it, escaped, for an error. */
static void
show(const uint8_t *s, size_t n, size_t at, char *out, size_t outlen)
{
	size_t from = at > 24 ? at - 24 : 0, to = n - at > 4 ? at + 4 : n;
	size_t o = 0;

	if (from > 0 && outlen > 3)
		memcpy(out, "...", 3), o = 3;
	wirecheck_escape(s + from, to - from, out + o, outlen - o);
	o += strlen(out + o);
	if (to < n && o + 4 <= outlen)
		memcpy(out + o, "...", 4);
}

size_t
wirecheck_repair_str(char *s, size_t size)
{
	size_t n = strnlen(s, size), changed = 0, i = 0, k;

	if (n == size && size > 0) {
		/* Not terminated: the last byte becomes its NUL. */
		s[--n] = '\0';
		changed++;
	}
	while (i < n) {
		if ((k = utf8_seq((uint8_t *)s + i, n - i)) == 0) {
			s[i++] = '?';
			changed++;
		} else {
			i += k;
		}
	}
	return changed;
}

/* ---- the walk --------------------------------------------------------- */

enum { WALK_BAD = -1, WALK_PARSE = -2, WALK_DEPTH_MAX = 32 };

struct walk {
	const uint8_t *rbuf;    /* the bytes walked */
	uint8_t *wbuf;          /* the same bytes, writable: repair */
	bool parse_only;        /* only see that the bytes parse */
	int changed;
	char *err;
	size_t errlen;
};

static int
varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t r = 0;

	for (unsigned shift = 0; shift < 64; shift += 7) {
		uint8_t b;

		if (*p >= end)
			return -1;
		b = *(*p)++;
		r |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = r;
			return 0;
		}
	}
	return -1;
}

/*
 * The next field of [*p, end): its number, wire type and, for a
 * length-delimited one, its bytes. protobuf-c has no groups (wire types 3
 * and 4): they do not parse.
 */
static int
next_field(const uint8_t **p, const uint8_t *end, uint32_t *num,
    const uint8_t **val, size_t *vlen)
{
	uint64_t key, n;

	*val = NULL;
	*vlen = 0;
	if (varint(p, end, &key) != 0 || (key >> 3) == 0 ||
	    (key >> 3) > 0x1fffffff)
		return -1;
	*num = (uint32_t)(key >> 3);
	switch (key & 7) {
	case 0:
		return varint(p, end, &n);
	case 1:
	case 5:
		n = (key & 7) == 1 ? 8 : 4;
		if ((uint64_t)(end - *p) < n)
			return -1;
		*p += n;
		return 0;
	case 2:
		if (varint(p, end, &n) != 0 || n > (uint64_t)(end - *p))
			return -1;
		*val = *p;
		*vlen = (size_t)n;
		*p += n;
		return 0;
	default:
		return -1;
	}
}

/* Put "pre" in front of the error text. */
static void
prefix(struct walk *w, const char *pre)
{
	size_t n = strlen(pre), len = strlen(w->err);

	if (n + 1 >= w->errlen)
		return;
	if (n + len + 1 > w->errlen)
		len = w->errlen - n - 1;
	memmove(w->err + n, w->err, len);
	w->err[n + len] = '\0';
	memcpy(w->err, pre, n);
}

/* Which occurrence of field num the one at `at` is (repeated fields). */
static size_t
occurrence(const uint8_t *buf, const uint8_t *at, uint32_t num)
{
	const uint8_t *p = buf, *val;
	size_t vlen, count = 0;
	uint32_t n;

	while (p < at && next_field(&p, at, &n, &val, &vlen) == 0)
		if (n == num && p <= at && val != NULL)
			count++;
	return count;
}

static int
check_string(struct walk *w, const ProtobufCMessageDescriptor *desc,
    const ProtobufCFieldDescriptor *f, const uint8_t *s, size_t n)
{
	size_t max = wirecheck_max(desc, f), bad;
	const uint8_t *nul = memchr(s, '\0', n);
	char shown[96];

	if (w->parse_only)
		return 0;
	if (w->wbuf != NULL) {
		uint8_t *d = w->wbuf + (s - w->rbuf);

		for (size_t i = 0, k; i < n; i += k) {
			k = d[i] == '\0' ? 0 : utf8_seq(d + i, n - i);
			if (k == 0) {
				d[i] = '?';
				k = 1;
				w->changed++;
			}
		}
		return 0;
	}
	if (nul != NULL) {
		show(s, n, (size_t)(nul - s), shown, sizeof(shown));
		snprintf(w->err, w->errlen, ": NUL byte at offset %zu "
		    "(\"%s\"): text cannot hold NUL",
		    (size_t)(nul - s), shown);
		return WALK_BAD;
	}
	if (!wirecheck_utf8(s, n, &bad)) {
		show(s, n, bad, shown, sizeof(shown));
		snprintf(w->err, w->errlen, ": not UTF-8 at offset %zu "
		    "(\"%s\"): send text as UTF-8", bad, shown);
		return WALK_BAD;
	}
	if (n > max) {
		snprintf(w->err, w->errlen, ": %zu bytes, at most %zu", n,
		    max);
		return WALK_BAD;
	}
	return 0;
}

static int
walk(struct walk *w, const ProtobufCMessageDescriptor *desc,
    const uint8_t *buf, size_t len, int depth)
{
	const uint8_t *p = buf, *end = buf + len, *start, *val;
	const ProtobufCFieldDescriptor *f;
	size_t vlen;
	uint32_t num;
	int rc;

	while (p < end) {
		start = p;
		if (next_field(&p, end, &num, &val, &vlen) != 0)
			return WALK_PARSE;
		if (val == NULL ||
		    (f = protobuf_c_message_descriptor_get_field(desc,
		    num)) == NULL)
			continue;
		if (f->type == PROTOBUF_C_TYPE_STRING) {
			rc = check_string(w, desc, f, val, vlen);
		} else if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
			if (depth >= WALK_DEPTH_MAX)
				return WALK_PARSE;
			rc = walk(w, f->descriptor, val, vlen, depth + 1);
		} else {
			continue;       /* bytes, packed scalars */
		}
		if (rc == WALK_BAD) {
			char pre[80];
			const char *dot = f->type == PROTOBUF_C_TYPE_MESSAGE ?
			    "." : "";

			if (f->label == PROTOBUF_C_LABEL_REPEATED)
				snprintf(pre, sizeof(pre), "%s[%zu]%s",
				    f->name, occurrence(buf, start, num), dot);
			else
				snprintf(pre, sizeof(pre), "%s%s", f->name,
				    dot);
			prefix(w, pre);
		}
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
wirecheck_strings(const ProtobufCMessageDescriptor *desc,
    const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	struct walk w = { .rbuf = buf, .err = err, .errlen = errlen };
	int rc = walk(&w, desc, buf, len, 0);

	if (rc == WALK_PARSE)
		snprintf(err, errlen, "not a %s (%zu bytes that do not "
		    "decode)", desc->name, len);
	return rc == 0 ? 0 : -1;
}

int
wirecheck_repair(const ProtobufCMessageDescriptor *desc, uint8_t *buf,
    size_t len)
{
	char err[8];
	struct walk w = { .rbuf = buf, .parse_only = true, .err = err,
	    .errlen = sizeof(err) };

	/* Parse it all first, so that bytes which do not parse stay as
	 * they are. */
	if (walk(&w, desc, buf, len, 0) == WALK_PARSE)
		return -1;
	w.wbuf = buf;
	w.parse_only = false;
	walk(&w, desc, buf, len, 0);
	return w.changed;
}
