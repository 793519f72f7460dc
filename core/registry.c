#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

enum { MAX_FIELDS = 8, LINE_MAX_LEN = 1024 };

/* A line reader over a NUL-terminated text; handles \n and \r\n. */
struct lines {
	const char *p;
	unsigned no;
	char buf[LINE_MAX_LEN];
};

static int
next_line(struct lines *l)
{
	size_t n;

	while (*l->p != '\0') {
		const char *end = strchr(l->p, '\n');

		if (end == NULL)
			end = l->p + strlen(l->p);
		n = (size_t)(end - l->p);
		l->no++;
		if (n >= sizeof(l->buf))
			return -1;
		memcpy(l->buf, l->p, n);
		l->buf[n] = '\0';
		if (n > 0 && l->buf[n - 1] == '\r')
			l->buf[n - 1] = '\0';
		l->p = *end ? end + 1 : end;
		if (l->buf[0] != '\0' && l->buf[0] != '#')
			return 1;
	}
	return 0;
}

/* Split in place on commas; fields may not contain commas or quotes. */
static int
split(char *s, char **f, int max)
{
	int n = 0;

	for (;;) {
		char *comma = strchr(s, ',');

		if (n == max)
			return -1;
		f[n++] = s;
		if (comma == NULL)
			return n;
		*comma = '\0';
		s = comma + 1;
	}
}

static int
copy_id(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= REG_ID_MAX)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)src[i]) && src[i] != '-' &&
		    src[i] != '_')
			return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
copy_name(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= REG_NAME_MAX)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

static int
parse_double(const char *s, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	return (errno != 0 || end == s || *end != '\0') ? -1 : 0;
}

static int
parse_u32(const char *s, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

#define FAIL(...)                                       \
	do {                                            \
		snprintf(err, errlen, __VA_ARGS__);     \
		return -1;                              \
	} while (0)

/* Regions: code,name,province,seat,lat,lon,neighbours (space separated). */
static int
parse_regions(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct lines l = { .p = text };
	char *f[MAX_FIELDS] = { 0 };
	size_t cap = 0;
	int rc;

	/* Neighbour codes are resolved in a second pass, once all regions
	 * are known; keep them as text meanwhile. */
	char (*pending)[LINE_MAX_LEN] = NULL;

	while ((rc = next_line(&l)) == 1) {
		struct reg_region *r;

		if (split(l.buf, f, MAX_FIELDS) != 7) {
			free(pending);
			FAIL("regions line %u: expected 7 fields "
			    "(code,name,province,seat,lat,lon,neighbours)",
			    l.no);
		}
		if (strcmp(f[0], "code") == 0)
			continue; /* header */
		if (reg->n_regions == cap) {
			void *p, *q;

			cap = cap ? cap * 2 : 32;
			p = realloc(reg->regions, cap * sizeof(*reg->regions));
			q = realloc(pending, cap * sizeof(*pending));
			if (p != NULL)
				reg->regions = p;
			if (q != NULL)
				pending = q;
			if (p == NULL || q == NULL) {
				free(pending);
				FAIL("regions: out of memory");
			}
		}
		r = &reg->regions[reg->n_regions];
		memset(r, 0, sizeof(*r));
		if (copy_id(r->id, f[0]) != 0 || copy_name(r->name, f[1]) != 0 ||
		    parse_double(f[4], &r->lat) != 0 ||
		    parse_double(f[5], &r->lon) != 0) {
			free(pending);
			FAIL("regions line %u: bad code, name or coordinates",
			    l.no);
		}
		for (size_t i = 0; i < reg->n_regions; i++)
			if (strcmp(reg->regions[i].id, r->id) == 0) {
				free(pending);
				FAIL("regions line %u: region %s listed twice",
				    l.no, r->id);
			}
		snprintf(pending[reg->n_regions], LINE_MAX_LEN, "%s", f[6]);
		r->line = l.no;
		reg->n_regions++;
	}
	if (rc < 0) {
		free(pending);
		FAIL("regions line %u: line too long", l.no);
	}
	for (size_t i = 0; i < reg->n_regions; i++) {
		struct reg_region *r = &reg->regions[i];
		char *save = NULL, *tok;
		int n = 0;

		for (tok = strtok_r(pending[i], " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			int idx = registry_region(reg, tok);

			if (idx < 0 || n == REG_NEIGHBOURS_MAX) {
				snprintf(err, errlen, "regions line %u: %s has "
				    "unknown or too many neighbours (%s)",
				    r->line, r->id, tok);
				free(pending);
				return -1;
			}
			r->neighbours[n++] = (uint16_t)idx;
		}
		r->n_neighbours = (uint8_t)n;
	}
	free(pending);
	if (reg->n_regions == 0)
		FAIL("regions: no regions");
	if (reg->n_regions > UINT16_MAX)
		FAIL("regions: too many regions");
	return 0;
}

static int
shelter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct reg_shelter *)a)->id,
	    ((const struct reg_shelter *)b)->id);
}

/* Shelters: id,name,region,security_level,beds ("women:12 minors:4") and
 * optionally deadline_secs (how often it must report; empty or 0: the
 * configured default). */
static int
parse_shelters(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct lines l = { .p = text };
	char *f[MAX_FIELDS] = { 0 };
	size_t cap = 0;
	int rc;

	while ((rc = next_line(&l)) == 1) {
		struct reg_shelter *s;
		char *save = NULL, *tok;
		uint32_t sec;
		int region, nf;

		nf = split(l.buf, f, MAX_FIELDS);
		if (nf != 5 && nf != 6)
			FAIL("shelters line %u: expected 5 or 6 fields "
			    "(id,name,region,security_level,beds"
			    "[,deadline_secs])", l.no);
		if (strcmp(f[0], "id") == 0)
			continue;
		if (reg->n_shelters == cap) {
			void *p;

			cap = cap ? cap * 2 : 256;
			p = realloc(reg->shelters, cap * sizeof(*reg->shelters));
			if (p == NULL)
				FAIL("shelters: out of memory");
			reg->shelters = p;
		}
		s = &reg->shelters[reg->n_shelters];
		memset(s, 0, sizeof(*s));
		if (copy_id(s->id, f[0]) != 0)
			FAIL("shelters line %u: bad shelter id '%s' (letters, "
			    "digits, - and _, at most %d)", l.no, f[0],
			    REG_ID_MAX - 1);
		if (copy_name(s->name, f[1]) != 0)
			FAIL("shelters line %u: bad name", l.no);
		if ((region = registry_region(reg, f[2])) < 0)
			FAIL("shelters line %u: unknown region '%s'", l.no,
			    f[2]);
		s->region = (uint16_t)region;
		s->line = l.no;
		if (parse_u32(f[3], 3, &sec) != 0)
			FAIL("shelters line %u: security_level must be 0-3",
			    l.no);
		s->security_level = (uint8_t)sec;
		if (nf == 6 && f[5][0] != '\0' &&
		    parse_u32(f[5], 366u * 86400, &s->deadline_secs) != 0)
			FAIL("shelters line %u: deadline_secs must be a number "
			    "of seconds", l.no);
		for (tok = strtok_r(f[4], " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			char *colon = strchr(tok, ':');
			int cat;

			if (colon == NULL)
				FAIL("shelters line %u: beds must look like "
				    "'women:12 minors:4'", l.no);
			*colon = '\0';
			if ((cat = cat_parse(tok)) < 0)
				FAIL("shelters line %u: unknown category '%s'",
				    l.no, tok);
			if (s->categories & (1u << (cat - 1)))
				FAIL("shelters line %u: category '%s' twice",
				    l.no, tok);
			if (parse_u32(colon + 1, 100000,
			    &s->nominal[cat - 1]) != 0)
				FAIL("shelters line %u: bad bed count for '%s'",
				    l.no, tok);
			s->categories |= (uint8_t)(1u << (cat - 1));
		}
		if (s->categories == 0)
			FAIL("shelters line %u: shelter %s has no beds", l.no,
			    s->id);
		reg->regions[region].n_shelters++;
		reg->n_shelters++;
	}
	if (rc < 0)
		FAIL("shelters line %u: line too long", l.no);
	if (reg->n_shelters == 0)
		return 0;
	qsort(reg->shelters, reg->n_shelters, sizeof(*reg->shelters),
	    shelter_cmp);
	for (size_t i = 1; i < reg->n_shelters; i++) {
		const struct reg_shelter *a = &reg->shelters[i - 1];
		const struct reg_shelter *b = &reg->shelters[i];

		if (strcmp(a->id, b->id) == 0)
			FAIL("shelters line %u: shelter %s is listed twice "
			    "(also line %u)", a->line > b->line ? a->line :
			    b->line, a->id, a->line < b->line ? a->line :
			    b->line);
	}
	return 0;
}

int
registry_parse(struct registry *reg, const char *regions_csv,
    const char *shelters_csv, char *err, size_t errlen)
{
	if (parse_regions(reg, regions_csv, err, errlen) != 0 ||
	    parse_shelters(reg, shelters_csv, err, errlen) != 0) {
		registry_free(reg);
		return -1;
	}
	return 0;
}

void
registry_free(struct registry *reg)
{
	free(reg->regions);
	free(reg->shelters);
	free(reg->keys);
	free(reg->norms);
	free(reg->reserves);
	memset(reg, 0, sizeof(*reg));
}

const struct reg_shelter *
registry_shelter(const struct registry *reg, const char *id)
{
	struct reg_shelter key;
	size_t n = strlen(id);

	if (n >= sizeof(key.id))
		return NULL;
	memcpy(key.id, id, n + 1);
	if (reg->n_shelters == 0)
		return NULL;
	return bsearch(&key, reg->shelters, reg->n_shelters,
	    sizeof(*reg->shelters), shelter_cmp);
}

int
registry_region(const struct registry *reg, const char *id)
{
	for (size_t i = 0; i < reg->n_regions; i++)
		if (strcmp(reg->regions[i].id, id) == 0)
			return (int)i;
	return -1;
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(((const struct reg_key *)a)->identity,
	    ((const struct reg_key *)b)->identity);
}

/* Does the identity name something in the registry? */
static int
identity_known(const struct registry *reg, const char *identity)
{
	if (strcmp(identity, "national") == 0 ||
	    strcmp(identity, "operator") == 0)
		return 1;
	if (strncmp(identity, "shelter:", 8) == 0)
		return registry_shelter(reg, identity + 8) != NULL;
	if (strncmp(identity, "region:", 7) == 0)
		return registry_region(reg, identity + 7) >= 0;
	return 0;
}

int
registry_parse_keys(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct lines l = { .p = text };
	char *f[MAX_FIELDS] = { 0 };
	size_t cap = 0;
	int rc;

	while ((rc = next_line(&l)) == 1) {
		struct reg_key *k;
		size_t n;

		if (split(l.buf, f, MAX_FIELDS) != 2)
			FAIL("keys line %u: expected 2 fields "
			    "(identity,public_key_hex)", l.no);
		if (strcmp(f[0], "identity") == 0)
			continue;
		if (reg->n_keys == cap) {
			void *p;

			cap = cap ? cap * 2 : 256;
			p = realloc(reg->keys, cap * sizeof(*reg->keys));
			if (p == NULL)
				FAIL("keys: out of memory");
			reg->keys = p;
		}
		k = &reg->keys[reg->n_keys];
		memset(k, 0, sizeof(*k));
		n = strlen(f[0]);
		if (n == 0 || n >= sizeof(k->identity) ||
		    !identity_known(reg, f[0]))
			FAIL("keys line %u: '%.47s' is not a registry shelter "
			    "(shelter:ID), region (region:ID), national or "
			    "operator", l.no, f[0]);
		memcpy(k->identity, f[0], n + 1);
		if (strlen(f[1]) != 64)
			FAIL("keys line %u: the public key must be 64 hex "
			    "digits", l.no);
		if (sodium_hex2bin(k->public_key, sizeof(k->public_key),
		    f[1], 64, NULL, &n, NULL) != 0 ||
		    n != sizeof(k->public_key))
			FAIL("keys line %u: the public key must be 64 hex "
			    "digits", l.no);
		reg->n_keys++;
	}
	if (rc < 0)
		FAIL("keys line %u: line too long", l.no);
	if (reg->n_keys == 0)
		return 0;
	qsort(reg->keys, reg->n_keys, sizeof(*reg->keys), key_cmp);
	for (size_t i = 1; i < reg->n_keys; i++)
		if (strcmp(reg->keys[i - 1].identity,
		    reg->keys[i].identity) == 0)
			FAIL("keys: %s has two keys", reg->keys[i].identity);
	return 0;
}

const struct reg_key *
registry_key(const struct registry *reg, const char *identity)
{
	struct reg_key key;
	size_t n = strlen(identity);

	if (reg->n_keys == 0 || n >= sizeof(key.identity))
		return NULL;
	memcpy(key.identity, identity, n + 1);
	return bsearch(&key, reg->keys, reg->n_keys, sizeof(*reg->keys),
	    key_cmp);
}

int
registry_with_shelters(struct registry *out, const struct registry *base,
    const char *shelters_csv, char *err, size_t errlen, unsigned *err_line)
{
	memset(out, 0, sizeof(*out));
	*err_line = 0;
	if ((out->regions = malloc(base->n_regions *
	    sizeof(*out->regions))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(out->regions, base->regions,
	    base->n_regions * sizeof(*out->regions));
	out->n_regions = base->n_regions;
	for (size_t r = 0; r < out->n_regions; r++)
		out->regions[r].n_shelters = 0;
	if (parse_shelters(out, shelters_csv, err, errlen) != 0) {
		/* Every line error reads "shelters line N: ...". */
		if (sscanf(err, "shelters line %u", err_line) != 1)
			*err_line = 0;
		registry_free(out);
		return -1;
	}
	/* Keys of identities that still exist; the rest have nobody to
	 * speak for. */
	if (base->n_keys > 0) {
		if ((out->keys = malloc(base->n_keys *
		    sizeof(*out->keys))) == NULL) {
			snprintf(err, errlen, "out of memory");
			registry_free(out);
			return -1;
		}
		for (size_t i = 0; i < base->n_keys; i++)
			if (identity_known(out, base->keys[i].identity))
				out->keys[out->n_keys++] = base->keys[i];
	}
	/* The regions are base's: its norms still name the right ones. */
	if (base->n_norms > 0) {
		if ((out->norms = malloc(base->n_norms *
		    sizeof(*out->norms))) == NULL) {
			snprintf(err, errlen, "out of memory");
			registry_free(out);
			return -1;
		}
		memcpy(out->norms, base->norms,
		    base->n_norms * sizeof(*out->norms));
		out->n_norms = base->n_norms;
	}
	if (base->n_reserves > 0) {
		if ((out->reserves = malloc(base->n_reserves *
		    sizeof(*out->reserves))) == NULL) {
			snprintf(err, errlen, "out of memory");
			registry_free(out);
			return -1;
		}
		memcpy(out->reserves, base->reserves,
		    base->n_reserves * sizeof(*out->reserves));
		out->n_reserves = base->n_reserves;
	}
	return 0;
}

int
registry_parse_norms(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct lines l = { .p = text };
	char *f[MAX_FIELDS] = { 0 };
	int rc;

	free(reg->norms);
	reg->norms = NULL;
	reg->n_norms = 0;
	while ((rc = next_line(&l)) == 1)
		if (norms_row(reg, f, split(l.buf, f, MAX_FIELDS), l.no, err,
		    errlen) != 0)
			return -1;
	if (rc < 0)
		FAIL("norms line %u: line too long", l.no);
	return norms_finish(reg, err, errlen);
}

int
registry_parse_reserves(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct lines l = { .p = text };
	char *f[MAX_FIELDS] = { 0 };
	int rc;

	free(reg->reserves);
	reg->reserves = NULL;
	reg->n_reserves = 0;
	while ((rc = next_line(&l)) == 1)
		if (reserve_row(reg, f, split(l.buf, f, MAX_FIELDS), l.no,
		    err, errlen) != 0)
			return -1;
	if (rc < 0)
		FAIL("reserves line %u: line too long", l.no);
	return reserve_finish(reg, err, errlen);
}

static int
shelter_differs(const struct registry *a, const struct reg_shelter *x,
    const struct registry *b, const struct reg_shelter *y)
{
	return strcmp(x->name, y->name) != 0 ||
	    strcmp(a->regions[x->region].id, b->regions[y->region].id) != 0 ||
	    x->categories != y->categories ||
	    x->security_level != y->security_level ||
	    x->deadline_secs != y->deadline_secs ||
	    memcmp(x->nominal, y->nominal, sizeof(x->nominal)) != 0;
}

void
registry_compare(const struct registry *a, const struct registry *b,
    registry_change_fn fn, void *arg)
{
	size_t i = 0, j = 0;

	while (i < a->n_shelters || j < b->n_shelters) {
		const struct reg_shelter *x = i < a->n_shelters ?
		    &a->shelters[i] : NULL;
		const struct reg_shelter *y = j < b->n_shelters ?
		    &b->shelters[j] : NULL;
		int c = x == NULL ? 1 : y == NULL ? -1 : strcmp(x->id, y->id);

		if (c < 0) {
			fn(arg, REG_REMOVED, x, NULL);
			i++;
		} else if (c > 0) {
			fn(arg, REG_ADDED, NULL, y);
			j++;
		} else {
			fn(arg, shelter_differs(a, x, b, y) ? REG_CHANGED :
			    REG_UNCHANGED, x, y);
			i++;
			j++;
		}
	}
}
