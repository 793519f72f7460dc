/*
 * shelterctl-history.h — `shelterctl report` and `shelterctl trend`: the
 * monthly statistics and the occupancy chart (docs/history.md).
 */
#ifndef SHELTERD_SHELTERCTL_HISTORY_H
#define SHELTERD_SHELTERCTL_HISTORY_H

#include <getopt.h>
#include <stdbool.h>

#include "common.h"

/* Long options only, numbered above any short option letter. */
enum {
	HOPT_MONTH = 0x200,
	HOPT_CSV,
	HOPT_PUBLIC,
	HOPT_K,
	HOPT_REGION,
	HOPT_CATEGORY,
	HOPT_DAYS,
	HOPT_BUCKETS,
	HOPT_SVG,
	HOPT_HTML,
};

#define HIST_LONG_OPTIONS                                               \
	{ "month", required_argument, NULL, HOPT_MONTH },               \
	{ "csv", no_argument, NULL, HOPT_CSV },                         \
	{ "public", no_argument, NULL, HOPT_PUBLIC },                   \
	{ "k", required_argument, NULL, HOPT_K },                       \
	{ "region", required_argument, NULL, HOPT_REGION },             \
	{ "category", required_argument, NULL, HOPT_CATEGORY },         \
	{ "days", required_argument, NULL, HOPT_DAYS },                 \
	{ "buckets", required_argument, NULL, HOPT_BUCKETS },           \
	{ "svg", required_argument, NULL, HOPT_SVG },                   \
	{ "html", required_argument, NULL, HOPT_HTML }

struct hist_cli {
	const char *month;
	const char *region;
	int category;
	bool csv, public_;
	long long k, days, buckets;
	const char *svg;        /* trend: also write an SVG plot here */
	const char *html;       /* report: also write a printable page */
	/* The request, kept here until it is sent. */
	Shelterd__V1__ReportQuery report;
	Shelterd__V1__TrendQuery trend;
};

void hist_cli_init(struct hist_cli *h);
/* One of the options above: 0 taken, -1 bad value (said on stderr), 1 not
 * one of ours. */
int hist_cli_option(struct hist_cli *h, int c, const char *arg);
/* "report" or "trend"? */
bool hist_cli_command(const char *cmd);
/* Fill req for the command; 0, or -1 (said on stderr). */
int hist_cli_request(struct hist_cli *h, const char *cmd,
    Shelterd__V1__Request *req);
/* Print a REPORT or TREND reply; returns an exit status. */
int hist_cli_print(const struct hist_cli *h, const Shelterd__V1__Reply *r,
    bool json);

#define HIST_CLI_USAGE                                                  \
	"  report --month YYYY-MM [--csv] [--public [--k N]] "          \
	"[--html FILE]\n"                                                \
	"                per region and category: average and peak "     \
	"occupancy, days\n"                                             \
	"                at or over critical, placements requested, "    \
	"placed in the\n"                                               \
	"                region or elsewhere, unplaced, cancelled, "     \
	"declines by reason\n"                                          \
	"                and time to placement (median, p90). --public " \
	"hides every\n"                                                 \
	"                count from 1 to k-1 (default [history] "        \
	"k_anonymity, 5)\n"                                             \
	"                and what would reveal one, and says so; --html " \
	"FILE also\n"                                                    \
	"                writes it as one printable HTML page with "      \
	"charts\n"                                                       \
	"  trend --region R --category C --days N [--buckets N] "       \
	"[--svg FILE]\n"                                                 \
	"                occupancy over the last N days as a text "      \
	"chart (R may be\n"                                             \
	"                'national'); one line per day unless "          \
	"--buckets;\n"                                                  \
	"                --svg FILE also writes it as an SVG plot\n"

#endif
