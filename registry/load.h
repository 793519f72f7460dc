#ifndef SHELTERD_REGISTRY_LOAD_H
#define SHELTERD_REGISTRY_LOAD_H

#include <stddef.h>

#include "registry.h"

/* A whole file as a NUL-terminated string (free it), or NULL with err. */
char *registry_read_file(const char *path, char *err, size_t errlen);
/* regions.csv + shelters.csv (+ keys.csv, norms.csv and reserves.csv if
 * present) from dir into *reg; 0, or -1 with "FILE line N: ..." in err
 * and *reg empty. */
int registry_load_dir(struct registry *reg, const char *dir, char *err,
    size_t errlen);

#endif
