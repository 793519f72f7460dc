/*
 * fuzz_registry.c — libFuzzer target on the registry's CSV parsers: the
 * files the daemon reads at start (regions.csv, shelters.csv, keys.csv)
 * and the shelters text of `shelterctl import`, which a peer with the
 * operator key sends over the wire (registry_with_shelters).
 *
 * An input is up to three texts separated by NUL bytes: regions, shelters,
 * keys. The shelters text is also imported over the built-in demo
 * registry, so it reaches the import path even when the regions do not
 * parse.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"

extern const char demo_regions_csv[];
extern const char demo_shelters_csv[];

static struct registry demo;

/* The next NUL-separated part of [*p, end), as a C string (malloc). */
static char *
part(const uint8_t **p, const uint8_t *end)
{
	const uint8_t *nul = memchr(*p, '\0', (size_t)(end - *p));
	size_t n = (size_t)((nul ? nul : end) - *p);
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memcpy(s, *p, n);
	s[n] = '\0';
	*p = nul ? nul + 1 : end;
	return s;
}

/* The import's diff, as the daemon logs and counts it. */
static void
count(void *arg, enum reg_change change, const struct reg_shelter *before,
    const struct reg_shelter *after)
{
	size_t *n = arg;

	(void)before;
	(void)after;
	n[change]++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data, *end = data + size;
	char *regions = part(&p, end), *shelters = part(&p, end);
	char *keys = part(&p, end), err[256];
	struct registry reg, imported;
	size_t changes[4] = { 0 };
	unsigned line;

	if (demo.n_regions == 0 && registry_parse(&demo, demo_regions_csv,
	    demo_shelters_csv, err, sizeof(err)) != 0)
		abort();
	memset(&reg, 0, sizeof(reg));
	if (registry_parse(&reg, regions, shelters, err, sizeof(err)) == 0) {
		(void)registry_parse_keys(&reg, keys, err, sizeof(err));
		registry_free(&reg);
	}
	memset(&imported, 0, sizeof(imported));
	if (registry_with_shelters(&imported, &demo, shelters, err,
	    sizeof(err), &line) == 0) {
		registry_compare(&demo, &imported, count, changes);
		registry_free(&imported);
	}
	free(regions);
	free(shelters);
	free(keys);
	return 0;
}
