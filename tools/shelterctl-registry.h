/*
 * shelterctl-registry.h — `shelterctl export` and `shelterctl import`
 * (docs/registry.md).
 */
#ifndef SHELTERD_SHELTERCTL_REGISTRY_H
#define SHELTERD_SHELTERCTL_REGISTRY_H

#include <stdbool.h>

#include "common.h"

/* Long options, above shelterctl-history.h's. */
enum { ROPT_REGIONS = 0x300, ROPT_DRY_RUN, ROPT_NORMS, ROPT_RESERVES };

/* What an export or import is about. */
enum registry_table { TABLE_SHELTERS, TABLE_NORMS, TABLE_RESERVES };

#define REGISTRY_LONG_OPTIONS                                           \
	{ "regions", no_argument, NULL, ROPT_REGIONS },                 \
	{ "dry-run", no_argument, NULL, ROPT_DRY_RUN },                 \
	{ "norms", no_argument, NULL, ROPT_NORMS },                     \
	{ "reserves", no_argument, NULL, ROPT_RESERVES }

#define REGISTRY_CLI_USAGE                                              \
	"  export --csv|--json [--regions]\n"                           \
	"                national/operator: every shelter (registry "     \
	"entry, status,\n"                                              \
	"                last report, beds per category) in id order, "  \
	"read a page\n"                                                 \
	"                of 1,000 at a time; --regions: every region x " \
	"category\n"                                                    \
	"                (capacity, occupied, held, free, unknown, "     \
	"forecast, level)\n"                                            \
	"                and the national rows instead. JSON has both.\n" \
	"  import FILE [--dry-run]\n"                                   \
	"                operator: make the shelters in FILE (an export, " \
	"CSV or JSON,\n"                                                \
	"                or a registry shelters.csv) the registry's: "   \
	"checked first,\n"                                              \
	"                then applied in one transaction; a bad file "   \
	"changes nothing\n"                                             \
	"                and the line that is wrong is named. Says what " \
	"was added,\n"                                                  \
	"                removed and changed; --dry-run only says it. "   \
	"CSV: ',' or\n"                                                 \
	"                ';', a byte-order mark and quoted fields are "   \
	"read\n"                                                        \
	"  export --csv --norms\n"                                      \
	"                every capacity norm (region, category, beds, "  \
	"valid_from),\n"                                                \
	"                in the registry's norms.csv format\n"           \
	"  import --norms FILE [--dry-run]\n"                           \
	"                operator: make the norms in FILE (norms.csv "   \
	"format) the\n"                                                 \
	"                registry's, replacing every norm; checked "     \
	"first, the line\n"                                             \
	"                that is wrong is named\n"                       \
	"  export --csv --reserves\n"                                   \
	"                the reserve beds in force (shelter, category, "  \
	"beds_24h,\n"                                                   \
	"                beds_72h, source): reserves.csv's format, "      \
	"source registry,\n"                                            \
	"                or report where the shelter declared its own\n"  \
	"  import --reserves FILE [--dry-run]\n"                        \
	"                operator: make the reserves in FILE (that "      \
	"export, or a\n"                                                \
	"                reserves.csv) the registry's, replacing them "   \
	"all; rows of\n"                                                \
	"                source report are the shelters' and skipped; "   \
	"checked first,\n"                                              \
	"                the line that is wrong is named\n"

/* Print the export to stdout; returns an exit status. */
int registry_cli_export(const char *api, int timeout_ms, bool json,
    bool regions, enum registry_table table);
int registry_cli_import(const char *api, int timeout_ms, const char *path,
    bool dry_run, bool json, enum registry_table table);

#endif
