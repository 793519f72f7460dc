/*
 * registry.h — who exists: regions (with neighbours) and shelters (with
 * their region, bed categories and security level). Parsed from two CSV
 * texts; see docs/registry.md for the format. No I/O here.
 */
#ifndef SHELTERD_REGISTRY_H
#define SHELTERD_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "beds.h"
#include "norms.h"
#include "reserve.h"

enum { REG_ID_MAX = 32, REG_NAME_MAX = 80, REG_NEIGHBOURS_MAX = 16 };

struct reg_region {
	char id[REG_ID_MAX];
	char name[REG_NAME_MAX];
	double lat, lon;
	uint16_t neighbours[REG_NEIGHBOURS_MAX]; /* region indexes */
	uint8_t n_neighbours;
	uint32_t n_shelters;
	uint32_t line;          /* in regions.csv, for error messages */
};

struct reg_shelter {
	char id[REG_ID_MAX];
	char name[REG_NAME_MAX];
	uint16_t region;        /* index into regions */
	uint8_t categories;     /* bit (cat-1) */
	uint8_t security_level; /* 0 (none) .. 3 (highest) */
	uint32_t nominal[CAT_COUNT]; /* planned capacity, for demos/checks */
	uint32_t deadline_secs; /* report at least this often; 0: default */
	uint32_t line;          /* in shelters.csv, for error messages */
};

/* A party's Ed25519 public key (keys.csv). The daemon keeps no secrets. */
struct reg_key {
	char identity[48];      /* shelter:<id>, region:<id>, national, ... */
	uint8_t public_key[32];
};

struct registry {
	struct reg_region *regions;
	size_t n_regions;
	struct reg_shelter *shelters; /* sorted by id */
	size_t n_shelters;
	struct reg_key *keys;         /* sorted by identity */
	size_t n_keys;
	/* Shelter index + 1 by a hash of its id (0: empty slot), mask + 1
	 * slots; NULL for a registry built by hand (lookups bsearch). */
	uint32_t *id_hash;
	size_t id_hash_mask;
	struct reg_norm *norms;       /* core/norms.h; sorted there */
	size_t n_norms;
	struct reg_reserve *reserves; /* core/reserve.h, in file order */
	size_t n_reserves;
};

/*
 * Parse regions then shelters into *reg (which must be zeroed). Returns 0,
 * or -1 with "FILE line N: what is wrong" in err; *reg is then empty.
 */
int registry_parse(struct registry *reg, const char *regions_csv,
    const char *shelters_csv, char *err, size_t errlen);
void registry_free(struct registry *reg);

/*
 * A copy of base into *out: regions, shelters (same order, so base's id
 * hash and the loop's per-shelter arrays carry over) and keys, with
 * base's norms and reserves where asked (a norms or reserves import
 * parses new ones into the copy). 0, or -1 out of memory (*out empty).
 */
int registry_copy(struct registry *out, const struct registry *base,
    bool norms, bool reserves);

/*
 * Parse keys.csv ("identity,public_key_hex": 64 hex digits) into reg, after
 * registry_parse. Identities must name registry shelters and regions.
 * Returns 0, or -1 with "keys line N: ..." in err.
 */
int registry_parse_keys(struct registry *reg, const char *keys_csv,
    char *err, size_t errlen);
/*
 * Parse norms.csv (core/norms.h) into reg, after registry_parse, replacing
 * its norms. Returns 0, or -1 with "norms line N: ..." in err.
 */
int registry_parse_norms(struct registry *reg, const char *norms_csv,
    char *err, size_t errlen);
/* The same for reserves.csv (core/reserve.h), after registry_parse. */
int registry_parse_reserves(struct registry *reg, const char *reserves_csv,
    char *err, size_t errlen);
/* NULL when the identity has no key. */
const struct reg_key *registry_key(const struct registry *reg,
    const char *identity);

/*
 * A registry with base's regions and the shelters of shelters_csv (an
 * import): *out must not be in use. Keys of base whose identity still
 * exists are kept, and base's norms and reserves (a reserve of a removed
 * shelter then counts nowhere). Returns 0, or -1 with "shelters line N:
 * ..." in err and
 * N in *err_line (0 when the error is not about one line).
 */
int registry_with_shelters(struct registry *out, const struct registry *base,
    const char *shelters_csv, char *err, size_t errlen, unsigned *err_line);

/* How a shelter differs between two registries. */
enum reg_change { REG_UNCHANGED, REG_ADDED, REG_REMOVED, REG_CHANGED };
/* before is NULL for REG_ADDED, after for REG_REMOVED. */
typedef void (*registry_change_fn)(void *arg, enum reg_change change,
    const struct reg_shelter *before, const struct reg_shelter *after);
/* Call fn for every shelter of a and b, in id order. CHANGED: name,
 * region, categories, planned beds, security level or deadline. */
void registry_compare(const struct registry *a, const struct registry *b,
    registry_change_fn fn, void *arg);

/* NULL when unknown. */
const struct reg_shelter *registry_shelter(const struct registry *reg,
    const char *id);
/* Region index, or -1. */
int registry_region(const struct registry *reg, const char *id);

#endif
