#include "registry.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "csvio.h"

/* The fields of one record, and where each is, for error messages. */
#define AT(r, i) (r)->lines[(i) < (r)->n_fields ? (i) : 0], \
	(r)->columns[(i) < (r)->n_fields ? (i) : 0]

/*
 * Read text with the one CSV reader (csvio.c): a byte-order mark, ',' or
 * ';', quoted fields; '#' starts a comment line.
 */
static int
read_table(struct csvio_table *t, const char *file, const char *text,
    char *err, size_t errlen)
{
	char why[256];

	if (csvio_read(t, text, strlen(text), CSVIO_COMMENTS, why,
	    sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "%s %s", file, why);
	return -1;
}

/* "line L, column C" of where a record with the wrong number of fields
 * goes wrong: just past its last field when it has too few, at the first
 * field too many otherwise. */
static void
count_at(const struct csvio_row *r, size_t want, unsigned *line,
    unsigned *col)
{
	if (r->n_fields < want) {
		*line = r->end_line;
		*col = r->end_column;
	} else {
		*line = r->lines[want];
		*col = r->columns[want];
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
	/* Names go into tables, logs and CSV lines: no line breaks. */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)src[i] < 0x20 || src[i] == 0x7f)
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

#define FAIL_AT(r, i, what, ...)                                       \
	do {                                                           \
		snprintf(err, errlen, "%s line %u, column %u: " what,  \
		    FILE_NAME, AT(r, i), __VA_ARGS__);                 \
		goto failed;                                           \
	} while (0)

/* Regions: code,name,province,seat,lat,lon,neighbours (space separated). */
#define FILE_NAME "regions"
static int
parse_regions(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct csvio_table t = { 0 };
	size_t cap = 0;
	/* Neighbour codes are resolved in a second pass, once all regions
	 * are known; meanwhile their rows stay in the table. */
	const struct csvio_row **pending = NULL;

	if (read_table(&t, FILE_NAME, text, err, errlen) != 0)
		return -1;
	for (size_t k = 0; k < t.n_rows; k++) {
		const struct csvio_row *row = &t.rows[k];
		char **f = row->fields;
		struct reg_region *r;

		if (row->n_fields != 7) {
			unsigned line, col;

			count_at(row, 7, &line, &col);
			snprintf(err, errlen, "regions line %u, column %u: "
			    "expected 7 fields (code,name,province,seat,lat,"
			    "lon,neighbours), found %zu", line, col,
			    row->n_fields);
			goto failed;
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
				snprintf(err, errlen, "regions: out of "
				    "memory");
				goto failed;
			}
		}
		r = &reg->regions[reg->n_regions];
		memset(r, 0, sizeof(*r));
		if (copy_id(r->id, f[0]) != 0)
			FAIL_AT(row, 0, "bad code '%s'", f[0]);
		if (copy_name(r->name, f[1]) != 0)
			FAIL_AT(row, 1, "bad name%s", "");
		if (parse_double(f[4], &r->lat) != 0)
			FAIL_AT(row, 4, "bad coordinates (lat '%s')", f[4]);
		if (parse_double(f[5], &r->lon) != 0)
			FAIL_AT(row, 5, "bad coordinates (lon '%s')", f[5]);
		for (size_t i = 0; i < reg->n_regions; i++)
			if (strcmp(reg->regions[i].id, r->id) == 0)
				FAIL_AT(row, 0, "region %s listed twice",
				    r->id);
		pending[reg->n_regions] = row;
		r->line = row->line;
		reg->n_regions++;
	}
	for (size_t i = 0; i < reg->n_regions; i++) {
		struct reg_region *r = &reg->regions[i];
		const struct csvio_row *row = pending[i];
		char *save = NULL, *tok;
		int n = 0;

		for (tok = strtok_r(row->fields[6], " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			int idx = registry_region(reg, tok);

			if (idx < 0 || n == REG_NEIGHBOURS_MAX)
				FAIL_AT(row, 6, "%s has unknown or too many "
				    "neighbours (%s)", r->id, tok);
			r->neighbours[n++] = (uint16_t)idx;
		}
		r->n_neighbours = (uint8_t)n;
	}
	free(pending);
	csvio_free(&t);
	if (reg->n_regions == 0)
		FAIL("regions: no regions");
	if (reg->n_regions > UINT16_MAX)
		FAIL("regions: too many regions");
	return 0;
failed:
	free(pending);
	csvio_free(&t);
	return -1;
}
#undef FILE_NAME

static int
shelter_cmp(const void *a, const void *b)
{
	return strcmp(((const struct reg_shelter *)a)->id,
	    ((const struct reg_shelter *)b)->id);
}

/* Shelters: id,name,region,security_level,beds ("women:12 minors:4") and
 * optionally deadline_secs (how often it must report; empty or 0: the
 * configured default). */
/*
 * Every report looks its shelter up by id: bsearch over 100,000 shelters
 * measured 570-630 ns a lookup (17 cache-missing compares), this
 * open-address hash 180 ns (10,000: 190 against 55 ns). Without memory
 * for it, lookups bsearch as before.
 */
static uint32_t
id_hash_of(const char *id)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h;
}

static void
id_hash_build(struct registry *reg)
{
	size_t cap = 16;

	free(reg->id_hash);
	reg->id_hash = NULL;
	while (cap < reg->n_shelters * 2)
		cap *= 2;
	if ((reg->id_hash = calloc(cap, sizeof(*reg->id_hash))) == NULL)
		return;
	reg->id_hash_mask = cap - 1;
	for (size_t i = 0; i < reg->n_shelters; i++) {
		size_t k = id_hash_of(reg->shelters[i].id) & reg->id_hash_mask;

		while (reg->id_hash[k] != 0)
			k = (k + 1) & reg->id_hash_mask;
		reg->id_hash[k] = (uint32_t)i + 1;
	}
}


#define FILE_NAME "shelters"
static int
parse_shelters(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct csvio_table t = { 0 };
	size_t cap = 0;

	if (read_table(&t, FILE_NAME, text, err, errlen) != 0)
		return -1;
	for (size_t k = 0; k < t.n_rows; k++) {
		const struct csvio_row *row = &t.rows[k];
		char **f = row->fields;
		struct reg_shelter *s;
		char *save = NULL, *tok;
		uint32_t sec;
		int region;
		size_t nf = row->n_fields;

		if (nf != 5 && nf != 6) {
			unsigned line, col;

			count_at(row, nf < 5 ? 5 : 6, &line, &col);
			snprintf(err, errlen, "shelters line %u, column %u: "
			    "expected 5 or 6 fields (id,name,region,"
			    "security_level,beds[,deadline_secs]), found %zu",
			    line, col, nf);
			goto failed;
		}
		if (strcmp(f[0], "id") == 0)
			continue;
		if (reg->n_shelters == cap) {
			void *p;

			cap = cap ? cap * 2 : 256;
			p = realloc(reg->shelters,
			    cap * sizeof(*reg->shelters));
			if (p == NULL) {
				snprintf(err, errlen, "shelters: out of "
				    "memory");
				goto failed;
			}
			reg->shelters = p;
		}
		s = &reg->shelters[reg->n_shelters];
		memset(s, 0, sizeof(*s));
		if (copy_id(s->id, f[0]) != 0)
			FAIL_AT(row, 0, "bad shelter id '%s' (letters, "
			    "digits, - and _, at most %d)", f[0],
			    REG_ID_MAX - 1);
		if (copy_name(s->name, f[1]) != 0)
			FAIL_AT(row, 1, "bad name (1 to %d bytes, no line "
			    "breaks)", REG_NAME_MAX - 1);
		if ((region = registry_region(reg, f[2])) < 0)
			FAIL_AT(row, 2, "unknown region '%s'", f[2]);
		s->region = (uint16_t)region;
		s->line = row->line;
		if (parse_u32(f[3], 3, &sec) != 0)
			FAIL_AT(row, 3, "security_level must be 0-3%s", "");
		s->security_level = (uint8_t)sec;
		if (nf == 6 && f[5][0] != '\0' &&
		    parse_u32(f[5], 366u * 86400, &s->deadline_secs) != 0)
			FAIL_AT(row, 5, "deadline_secs must be a number of "
			    "seconds%s", "");
		for (tok = strtok_r(f[4], " ", &save); tok != NULL;
		     tok = strtok_r(NULL, " ", &save)) {
			char *colon = strchr(tok, ':');
			int cat;

			if (colon == NULL)
				FAIL_AT(row, 4, "beds must look like "
				    "'women:12 minors:4'%s", "");
			*colon = '\0';
			if ((cat = cat_parse(tok)) < 0)
				FAIL_AT(row, 4, "unknown category '%s'", tok);
			if (s->categories & (1u << (cat - 1)))
				FAIL_AT(row, 4, "category '%s' twice", tok);
			if (parse_u32(colon + 1, 100000,
			    &s->nominal[cat - 1]) != 0)
				FAIL_AT(row, 4, "bad bed count for '%s'", tok);
			s->categories |= (uint8_t)(1u << (cat - 1));
		}
		if (s->categories == 0)
			FAIL_AT(row, 4, "shelter %s has no beds", s->id);
		reg->regions[region].n_shelters++;
		reg->n_shelters++;
	}
	csvio_free(&t);
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
	id_hash_build(reg);
	return 0;
failed:
	csvio_free(&t);
	return -1;
}
#undef FILE_NAME

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
	free(reg->id_hash);
	free(reg->norms);
	free(reg->reserves);
	memset(reg, 0, sizeof(*reg));
}

/* A copy of an array of n elements (NULL for none): 0, or -1. */
static int
dup_array(void **dst, const void *src, size_t n, size_t size)
{
	*dst = NULL;
	if (n == 0)
		return 0;
	if ((*dst = malloc(n * size)) == NULL)
		return -1;
	memcpy(*dst, src, n * size);
	return 0;
}

int
registry_copy(struct registry *out, const struct registry *base,
    bool norms, bool reserves)
{
	memset(out, 0, sizeof(*out));
	if (dup_array((void **)&out->regions, base->regions, base->n_regions,
	    sizeof(*out->regions)) != 0 || dup_array((void **)&out->shelters,
	    base->shelters, base->n_shelters, sizeof(*out->shelters)) != 0 ||
	    dup_array((void **)&out->keys, base->keys, base->n_keys,
	    sizeof(*out->keys)) != 0 || (norms && dup_array((void **)
	    &out->norms, base->norms, base->n_norms,
	    sizeof(*out->norms)) != 0) || (reserves && dup_array((void **)
	    &out->reserves, base->reserves, base->n_reserves,
	    sizeof(*out->reserves)) != 0) || (base->id_hash != NULL &&
	    dup_array((void **)&out->id_hash, base->id_hash,
	    base->id_hash_mask + 1, sizeof(*out->id_hash)) != 0)) {
		registry_free(out);
		return -1;
	}
	out->n_regions = base->n_regions;
	out->n_shelters = base->n_shelters;
	out->n_keys = base->n_keys;
	out->n_norms = norms ? base->n_norms : 0;
	out->n_reserves = reserves ? base->n_reserves : 0;
	out->id_hash_mask = base->id_hash != NULL ? base->id_hash_mask : 0;
	return 0;
}

const struct reg_shelter *
registry_shelter(const struct registry *reg, const char *id)
{
	struct reg_shelter key;
	size_t n = strlen(id);

	if (n >= sizeof(key.id))
		return NULL;
	if (reg->id_hash != NULL) {
		size_t k = id_hash_of(id) & reg->id_hash_mask;

		for (; reg->id_hash[k] != 0; k = (k + 1) & reg->id_hash_mask)
			if (strcmp(reg->shelters[reg->id_hash[k] - 1].id,
			    id) == 0)
				return &reg->shelters[reg->id_hash[k] - 1];
		return NULL;
	}
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

#define FILE_NAME "keys"
int
registry_parse_keys(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	struct csvio_table t = { 0 };
	size_t cap = 0;

	if (read_table(&t, FILE_NAME, text, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < t.n_rows; i++) {
		const struct csvio_row *row = &t.rows[i];
		char **f = row->fields;
		struct reg_key *k;
		size_t n;

		if (row->n_fields != 2) {
			unsigned line, col;

			count_at(row, 2, &line, &col);
			snprintf(err, errlen, "keys line %u, column %u: "
			    "expected 2 fields (identity,public_key_hex), "
			    "found %zu", line, col, row->n_fields);
			goto failed;
		}
		if (strcmp(f[0], "identity") == 0)
			continue;
		if (reg->n_keys == cap) {
			void *p;

			cap = cap ? cap * 2 : 256;
			p = realloc(reg->keys, cap * sizeof(*reg->keys));
			if (p == NULL) {
				snprintf(err, errlen, "keys: out of memory");
				goto failed;
			}
			reg->keys = p;
		}
		k = &reg->keys[reg->n_keys];
		memset(k, 0, sizeof(*k));
		n = strlen(f[0]);
		if (n == 0 || n >= sizeof(k->identity) ||
		    !identity_known(reg, f[0]))
			FAIL_AT(row, 0, "'%.47s' is not a registry shelter "
			    "(shelter:ID), region (region:ID), national or "
			    "operator", f[0]);
		memcpy(k->identity, f[0], n + 1);
		if (strlen(f[1]) != 64 ||
		    sodium_hex2bin(k->public_key, sizeof(k->public_key),
		    f[1], 64, NULL, &n, NULL) != 0 ||
		    n != sizeof(k->public_key))
			FAIL_AT(row, 1, "the public key must be 64 hex "
			    "digits%s", "");
		reg->n_keys++;
	}
	csvio_free(&t);
	if (reg->n_keys == 0)
		return 0;
	qsort(reg->keys, reg->n_keys, sizeof(*reg->keys), key_cmp);
	for (size_t i = 1; i < reg->n_keys; i++)
		if (strcmp(reg->keys[i - 1].identity,
		    reg->keys[i].identity) == 0)
			FAIL("keys: %s has two keys", reg->keys[i].identity);
	return 0;
failed:
	csvio_free(&t);
	return -1;
}
#undef FILE_NAME

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

/* One table through csvio (a byte-order mark, ';' or ',', quotes), each
 * row checked by row(); 0 or -1 with err. */
static int
parse_rows(struct registry *reg, const char *file, const char *text,
    int (*row)(struct registry *, char **, int, unsigned, char *, size_t),
    char *err, size_t errlen)
{
	struct csvio_table t = { 0 };
	int rc = 0;

	if (read_table(&t, file, text, err, errlen) != 0)
		return -1;
	for (size_t k = 0; rc == 0 && k < t.n_rows; k++)
		rc = row(reg, t.rows[k].fields, (int)t.rows[k].n_fields,
		    t.rows[k].line, err, errlen);
	csvio_free(&t);
	return rc;
}

int
registry_parse_norms(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	free(reg->norms);
	reg->norms = NULL;
	reg->n_norms = 0;
	if (parse_rows(reg, "norms", text, norms_row, err, errlen) != 0)
		return -1;
	return norms_finish(reg, err, errlen);
}

int
registry_parse_reserves(struct registry *reg, const char *text, char *err,
    size_t errlen)
{
	free(reg->reserves);
	reg->reserves = NULL;
	reg->n_reserves = 0;
	if (parse_rows(reg, "reserves", text, reserve_row, err, errlen) != 0)
		return -1;
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
