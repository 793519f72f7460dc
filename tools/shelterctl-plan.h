/*
 * shelterctl-plan.h — `shelterctl plan`: the regions and categories short
 * of their capacity norm, with the numbers behind each (docs/planning.md).
 */
#ifndef SHELTERD_SHELTERCTL_PLAN_H
#define SHELTERD_SHELTERCTL_PLAN_H

#include <stdbool.h>

/* Long options of reserve activate, above shelterctl-registry.h's. */
enum { POPT_BEDS = 0x400, POPT_UNTIL, POPT_REASON };

#define PLAN_LONG_OPTIONS                                               \
	{ "beds", required_argument, NULL, POPT_BEDS },                 \
	{ "until", required_argument, NULL, POPT_UNTIL },               \
	{ "reason", required_argument, NULL, POPT_REASON }

#define PLAN_CLI_USAGE                                                  \
	"  plan [--region R] [--csv]\n"                                 \
	"                national/operator (a region: its own): every "  \
	"region x category\n"                                           \
	"                short of its capacity norm or with a structural " \
	"shortage\n"                                                    \
	"                open, largest shortfall first: norm, open "     \
	"capacity, registered\n"                                        \
	"                beds, average and peak occupancy, days "        \
	"critical, placements\n"                                        \
	"                requested, placed out of the region and "       \
	"unplaced, over the\n"                                          \
	"                last [planning] window_days\n"                  \
	"  reserve activate --region R --category C --beds N --until DATE "\
	"--reason WHY\n"                                                \
	"                national coordinator, signed: ask R's shelters " \
	"with reserve\n"                                                \
	"                beds of C to open N of them until DATE "        \
	"(YYYY-MM-DD: to the\n"                                         \
	"                end of that day, UTC); audited and published\n"\
	"  reserve release ID\n"                                        \
	"                national coordinator, signed: end activation "  \
	"ID now; its\n"                                                 \
	"                confirmed beds stop counting as capacity\n"

/* Ask and print; returns an exit status. region NULL or "": all. */
int plan_cli(const char *api, int timeout_ms, const char *region, bool json,
    bool csv);

/* The reserve activate command; returns an exit status. */
int reserve_cli(const char *api, int timeout_ms, const char *region,
    int category, long long beds, const char *until, const char *reason,
    bool json);
/* reserve release ID: national only; returns an exit status. */
int reserve_release_cli(const char *api, int timeout_ms, const char *id,
    bool json);

#endif
