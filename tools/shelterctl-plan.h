/*
 * shelterctl-plan.h — `shelterctl plan`: the regions and categories short
 * of their capacity norm, with the numbers behind each (docs/planning.md).
 */
#ifndef SHELTERD_SHELTERCTL_PLAN_H
#define SHELTERD_SHELTERCTL_PLAN_H

#include <stdbool.h>

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
	"                last [planning] window_days\n"

/* Ask and print; returns an exit status. region NULL or "": all. */
int plan_cli(const char *api, int timeout_ms, const char *region, bool json,
    bool csv);

#endif
