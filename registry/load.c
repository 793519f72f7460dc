/*
 * load.c — read a registry directory (regions.csv, shelters.csv and, if
 * present, keys.csv, norms.csv and reserves.csv) into a struct registry.
 * The parsing is core/'s and pure; this is the one place that reads the
 * files, shared by the daemon, shelter-node and the tools.
 */
#include "load.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *
registry_read_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long len;

	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)len + 1)) != NULL &&
	    fread(buf, 1, (size_t)len, f) == (size_t)len) {
		buf[len] = '\0';
	} else {
		snprintf(err, errlen, "%s: cannot read", path);
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

int
registry_load_dir(struct registry *reg, const char *dir, char *err,
    size_t errlen)
{
	char path[4096], *regions = NULL, *shelters = NULL, *keys = NULL;
	char *norms = NULL, *reserves = NULL;
	int rc = -1;

	memset(reg, 0, sizeof(*reg));
	snprintf(path, sizeof(path), "%s/regions.csv", dir);
	if ((regions = registry_read_file(path, err, errlen)) == NULL)
		goto out;
	snprintf(path, sizeof(path), "%s/shelters.csv", dir);
	if ((shelters = registry_read_file(path, err, errlen)) == NULL)
		goto out;
	if (registry_parse(reg, regions, shelters, err, errlen) != 0)
		goto out;
	/* keys.csv is optional: without it only unsigned requests work. */
	snprintf(path, sizeof(path), "%s/keys.csv", dir);
	if ((keys = registry_read_file(path, err, errlen)) != NULL &&
	    registry_parse_keys(reg, keys, err, errlen) != 0) {
		registry_free(reg);
		goto out;
	}
	/* norms.csv is optional too: without it no region has a norm. */
	snprintf(path, sizeof(path), "%s/norms.csv", dir);
	if ((norms = registry_read_file(path, err, errlen)) != NULL &&
	    registry_parse_norms(reg, norms, err, errlen) != 0) {
		registry_free(reg);
		goto out;
	}
	/* And reserves.csv: without it no shelter has reserve beds. */
	snprintf(path, sizeof(path), "%s/reserves.csv", dir);
	if ((reserves = registry_read_file(path, err, errlen)) != NULL &&
	    registry_parse_reserves(reg, reserves, err, errlen) != 0) {
		registry_free(reg);
		goto out;
	}
	rc = 0;
out:
	free(reserves);
	free(norms);
	free(regions);
	free(shelters);
	free(keys);
	return rc;
}
