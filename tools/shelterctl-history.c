/*
 * shelterctl-history.c — `shelterctl report` and `shelterctl trend`.
 * The daemon computes (core/report.c); this file asks and prints: a table,
 * CSV or JSON, and a text chart. A public report arrives with its small
 * cells already removed: what is not sent cannot leak from here.
 */
#include "shelterctl-history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csvio.h"
#include "placement.h"
#include "svg.h"

#define CELL(x) SHELTERD__V1__REPORT_CELL__REPORT_CELL_##x

void
hist_cli_init(struct hist_cli *h)
{
	memset(h, 0, sizeof(*h));
	shelterd__v1__report_query__init(&h->report);
	shelterd__v1__trend_query__init(&h->trend);
}

static int
number(const char *opt, const char *arg, long long max, long long *out)
{
	if ((*out = client_parse_num(arg, max)) < 1) {
		fprintf(stderr, "shelterctl: %s must be 1 to %lld\n", opt,
		    max);
		return -1;
	}
	return 0;
}

int
hist_cli_option(struct hist_cli *h, int c, const char *arg)
{
	switch (c) {
	case HOPT_MONTH:
		h->month = arg;
		return 0;
	case HOPT_CSV:
		h->csv = true;
		return 0;
	case HOPT_PUBLIC:
		h->public_ = true;
		return 0;
	case HOPT_K:
		return number("--k", arg, 1000, &h->k);
	case HOPT_REGION:
		h->region = arg;
		return 0;
	case HOPT_CATEGORY:
		if ((h->category = cat_parse(arg)) < 0) {
			fprintf(stderr, "shelterctl: --category must be "
			    "women, men, minors, highsec or children\n");
			return -1;
		}
		return 0;
	case HOPT_DAYS:
		return number("--days", arg, 400, &h->days);
	case HOPT_BUCKETS:
		return number("--buckets", arg, 400, &h->buckets);
	case HOPT_SVG:
		h->svg = arg;
		return 0;
	case HOPT_HTML:
		h->html = arg;
		return 0;
	default:
		return 1;
	}
}

bool
hist_cli_command(const char *cmd)
{
	return strcmp(cmd, "report") == 0 || strcmp(cmd, "trend") == 0;
}

int
hist_cli_request(struct hist_cli *h, const char *cmd,
    Shelterd__V1__Request *req)
{
	if (strcmp(cmd, "report") == 0) {
		if (h->month == NULL) {
			fprintf(stderr, "shelterctl: usage: shelterctl report "
			    "--month YYYY-MM [--csv|--json] [--public] "
			    "[--html FILE]\n");
			return -1;
		}
		if (h->k && !h->public_) {
			fprintf(stderr, "shelterctl: --k is for --public "
			    "reports\n");
			return -1;
		}
		h->report.month = (char *)h->month;
		h->report.public_ = h->public_;
		h->report.k = (uint32_t)h->k;
		req->body_case = SHELTERD__V1__REQUEST__BODY_REPORT;
		req->report = &h->report;
		return 0;
	}
	if (h->region == NULL || h->category <= 0 || h->days == 0) {
		fprintf(stderr, "shelterctl: usage: shelterctl trend --region "
		    "R --category C --days N [--buckets N]\n");
		return -1;
	}
	h->trend.region_id = (char *)h->region;
	h->trend.category = (Shelterd__V1__Category)h->category;
	h->trend.days = (uint32_t)h->days;
	h->trend.buckets = (uint32_t)h->buckets;
	req->body_case = SHELTERD__V1__REQUEST__BODY_TREND;
	req->trend = &h->trend;
	return 0;
}

/* ---- report ------------------------------------------------------------- */

static bool
hidden(const Shelterd__V1__ReportRow *r, int cell)
{
	return (r->suppressed >> cell) & 1;
}

/* Hidden only to protect another cell: the count is k or more. */
static bool
complementary(const Shelterd__V1__ReportRow *r, int cell)
{
	return (r->complementary >> cell) & 1;
}

static const char *
region_name(const char *id)
{
	return *id ? id : "national";
}

static const char *
category_name(int c)
{
	const char *n = cat_name(c);

	return n ? n : "?";
}

/* "3h05m", "2d04h", "45s". */
static void
duration(long long secs, char *buf, size_t len)
{
	if (secs < 0)
		snprintf(buf, len, "-");
	else if (secs < 60)
		snprintf(buf, len, "%llds", secs);
	else if (secs < 3600)
		snprintf(buf, len, "%lldm%02llds", secs / 60, secs % 60);
	else if (secs < 86400)
		snprintf(buf, len, "%lldh%02lldm", secs / 3600,
		    secs % 3600 / 60);
	else
		snprintf(buf, len, "%lldd%02lldh", secs / 86400,
		    secs % 86400 / 3600);
}

/* A cell as text: its value, "<k" when suppressed as small, ">=k" when
 * suppressed to protect another. */
static const char *
count_cell(const Shelterd__V1__Report *rep, const Shelterd__V1__ReportRow *r,
    int cell, uint32_t v, char *buf, size_t len)
{
	if (complementary(r, cell))
		snprintf(buf, len, ">=%u", rep->k);
	else if (hidden(r, cell))
		snprintf(buf, len, "<%u", rep->k);
	else
		snprintf(buf, len, "%u", v);
	return buf;
}

static void
pct_cells(const Shelterd__V1__Report *rep, const Shelterd__V1__ReportRow *r,
    char *avg, char *peak, char *days, size_t len)
{
	if (complementary(r, CELL(OCCUPANCY))) {
		/* Too few shelters: theirs, in the national row only. */
		snprintf(avg, len, "merged");
		snprintf(peak, len, "merged");
		snprintf(days, len, "merged");
	} else if (hidden(r, CELL(OCCUPANCY))) {
		snprintf(avg, len, "<%u", rep->k);
		snprintf(peak, len, "<%u", rep->k);
		snprintf(days, len, "<%u", rep->k);
	} else if (r->occupancy_secs == 0) {
		snprintf(avg, len, "-");
		snprintf(peak, len, "-");
		snprintf(days, len, "-");
	} else {
		snprintf(avg, len, "%.1f", r->avg_occupancy_pct);
		snprintf(peak, len, "%.1f", r->peak_occupancy_pct);
		snprintf(days, len, "%u", r->days_critical);
	}
}

static void
ttp_cells(const Shelterd__V1__ReportRow *r, char *med, char *p90, size_t len,
    bool secs)
{
	/* Hidden with its placement counts: not a count, so no "<k". */
	if (hidden(r, CELL(TTP))) {
		snprintf(med, len, "hidden");
		snprintf(p90, len, "hidden");
	} else if (secs) {
		if (r->ttp_median_secs < 0) {
			snprintf(med, len, "-");
			snprintf(p90, len, "-");
		} else {
			snprintf(med, len, "%" PRId64, r->ttp_median_secs);
			snprintf(p90, len, "%" PRId64, r->ttp_p90_secs);
		}
	} else {
		duration(r->ttp_median_secs, med, len);
		duration(r->ttp_p90_secs, p90, len);
	}
}

/* Placement counts of a row, in column order. */
static const int count_cells[] = { CELL(REQUESTED), CELL(PLACED_IN_REGION),
	CELL(PLACED_SUPRA), CELL(UNPLACED), CELL(CANCELLED), CELL(DECLINES) };

static uint32_t
count_of(const Shelterd__V1__ReportRow *r, int cell)
{
	switch (cell) {
	case CELL(REQUESTED):
		return r->requested;
	case CELL(PLACED_IN_REGION):
		return r->placed_in_region;
	case CELL(PLACED_SUPRA):
		return r->placed_supra;
	case CELL(UNPLACED):
		return r->unplaced;
	case CELL(CANCELLED):
		return r->cancelled;
	default:
		return r->declines;
	}
}

/* Reserve bed-days to one decimal, rounded half up (the daemon sends
 * seconds). */
static double
bed_days(int64_t secs)
{
	return secs <= 0 ? 0.0 : (double)((secs + 4320) / 8640) / 10.0;
}

/* The norm in force, "-" when there is none. */
static void
norm_cell(const Shelterd__V1__ReportRow *r, char *buf, size_t len)
{
	if (r->norm_beds < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%" PRId64, r->norm_beds);
}

/* Reserve beds of a row as text, in column order: activations, beds
 * asked, beds confirmed, bed-days, placed into reserve beds. Beds asked
 * go with the activations; beds confirmed and bed-days are hidden where
 * the region has fewer than k shelters with reserve beds: "hidden", not
 * "<k", since they are not small counts. */
enum { N_RESERVE = 5 };

static void
reserve_cells(const Shelterd__V1__Report *rep,
    const Shelterd__V1__ReportRow *r, char v[N_RESERVE][24])
{
	count_cell(rep, r, CELL(RESERVE_ACTIVATIONS), r->reserve_activations,
	    v[0], sizeof(v[0]));
	if (hidden(r, CELL(RESERVE_ACTIVATIONS)))
		snprintf(v[1], sizeof(v[1]), "hidden");
	else
		snprintf(v[1], sizeof(v[1]), "%u", r->reserve_beds_asked);
	if (hidden(r, CELL(RESERVE_CONFIRMED))) {
		snprintf(v[2], sizeof(v[2]), "hidden");
		snprintf(v[3], sizeof(v[3]), "hidden");
	} else {
		snprintf(v[2], sizeof(v[2]), "%u", r->reserve_beds_confirmed);
		snprintf(v[3], sizeof(v[3]), "%.1f",
		    bed_days(r->reserve_bed_secs));
	}
	count_cell(rep, r, CELL(PLACED_RESERVE), r->placed_reserve, v[4],
	    sizeof(v[4]));
}

/* Anything about reserve beds to show in this row? */
static bool
has_reserve(const Shelterd__V1__ReportRow *r)
{
	return r->reserve_activations || r->reserve_beds_confirmed ||
	    r->reserve_bed_secs || r->placed_reserve ||
	    hidden(r, CELL(RESERVE_ACTIVATIONS)) ||
	    hidden(r, CELL(RESERVE_CONFIRMED)) ||
	    hidden(r, CELL(PLACED_RESERVE));
}

/* One record to stdout through the one CSV writer (quoted where a field
 * needs it). */
static void
csv_row(const char *const *f, size_t n)
{
	if (csvio_write_row(stdout, ',', f, n) != 0) {
		fprintf(stderr, "shelterctl: stdout: %s\n", strerror(errno));
		exit(EXIT_USAGE);
	}
}

static void
report_csv(const Shelterd__V1__Report *rep)
{
	static const char *const head[] = { "region", "category",
		"avg_occupancy_pct", "peak_occupancy_pct", "days_critical",
		"requested", "placed_in_region", "placed_supra", "unplaced",
		"cancelled", "declines", "ttp_median_secs", "ttp_p90_secs",
		"norm_beds", "reserve_activations", "reserve_beds_asked",
		"reserve_beds_confirmed", "reserve_bed_days",
		"placed_reserve" };
	static const char *const decline_head[] = { "region", "category",
		"reason", "count" };
	char a[16], b[16], c[16], m[24], p[24], v[6][16], n[24], nb[24];
	char res[N_RESERVE][24];
	enum { N_HEAD = sizeof(head) / sizeof(head[0]) };

	csv_row(head, N_HEAD);
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Shelterd__V1__ReportRow *r = rep->rows[i];
		const char *f[N_HEAD];

		pct_cells(rep, r, a, b, c, sizeof(a));
		ttp_cells(r, m, p, sizeof(m), true);
		for (int k = 0; k < 6; k++)
			count_cell(rep, r, count_cells[k], count_of(r,
			    count_cells[k]), v[k], sizeof(v[k]));
		f[0] = region_name(r->region_id);
		f[1] = category_name((int)r->category);
		f[2] = a;
		f[3] = b;
		f[4] = c;
		for (int k = 0; k < 6; k++)
			f[5 + k] = v[k];
		f[11] = m;
		f[12] = p;
		norm_cell(r, nb, sizeof(nb));
		f[13] = nb;
		reserve_cells(rep, r, res);
		for (int k = 0; k < N_RESERVE; k++)
			f[14 + k] = res[k];
		csv_row(f, N_HEAD);
	}
	/* The reasons as a second table, after an empty line. */
	printf("\n");
	csv_row(decline_head, 4);
	for (size_t i = 0; i < rep->n_declines; i++) {
		const Shelterd__V1__ReportDecline *d = rep->declines[i];
		const char *f[4] = { region_name(d->region_id),
			category_name((int)d->category),
			place_reason_key((int)d->reason), n };

		if (d->complementary)
			snprintf(n, sizeof(n), ">=%u", rep->k);
		else if (d->suppressed)
			snprintf(n, sizeof(n), "<%u", rep->k);
		else
			snprintf(n, sizeof(n), "%u", d->count);
		csv_row(f, 4);
	}
}

static void
add_count(cJSON *o, const char *name, const Shelterd__V1__ReportRow *r,
    int cell, double v)
{
	if (hidden(r, cell))
		cJSON_AddNullToObject(o, name);
	else
		cJSON_AddNumberToObject(o, name, v);
}

static void
report_json(const Shelterd__V1__Report *rep)
{
	cJSON *root = cJSON_CreateObject();
	cJSON *rows = cJSON_CreateArray(), *decl = cJSON_CreateArray();

	cJSON_AddStringToObject(root, "month", rep->month);
	cJSON_AddItemToObject(root, "from", json_time(rep->from));
	cJSON_AddItemToObject(root, "until", json_time(rep->until));
	cJSON_AddBoolToObject(root, "public", rep->public_);
	if (rep->public_)
		cJSON_AddNumberToObject(root, "k", rep->k);
	cJSON_AddNumberToObject(root, "critical_pct", rep->critical_pct);
	cJSON_AddNumberToObject(root, "suppressed_cells",
	    rep->suppressed_cells);
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Shelterd__V1__ReportRow *r = rep->rows[i];
		cJSON *o = cJSON_CreateObject(), *sup = cJSON_CreateArray();
		cJSON *com = cJSON_CreateArray();
		bool occ = r->occupancy_secs > 0 || hidden(r, CELL(OCCUPANCY));
		bool ttp = r->ttp_median_secs >= 0 || hidden(r, CELL(TTP));

		cJSON_AddStringToObject(o, "region",
		    region_name(r->region_id));
		cJSON_AddStringToObject(o, "category",
		    category_name((int)r->category));
		if (occ) {
			add_count(o, "avg_occupancy_pct", r, CELL(OCCUPANCY),
			    r->avg_occupancy_pct);
			add_count(o, "peak_occupancy_pct", r, CELL(OCCUPANCY),
			    r->peak_occupancy_pct);
			add_count(o, "days_critical", r, CELL(OCCUPANCY),
			    r->days_critical);
		} else {
			cJSON_AddNullToObject(o, "avg_occupancy_pct");
			cJSON_AddNullToObject(o, "peak_occupancy_pct");
			cJSON_AddNullToObject(o, "days_critical");
		}
		for (int k = 0; k < 6; k++)
			add_count(o, report_cell_name(count_cells[k]), r,
			    count_cells[k], count_of(r, count_cells[k]));
		if (ttp) {
			add_count(o, "ttp_median_secs", r, CELL(TTP),
			    (double)r->ttp_median_secs);
			add_count(o, "ttp_p90_secs", r, CELL(TTP),
			    (double)r->ttp_p90_secs);
		} else {
			cJSON_AddNullToObject(o, "ttp_median_secs");
			cJSON_AddNullToObject(o, "ttp_p90_secs");
		}
		if (r->norm_beds < 0)
			cJSON_AddNullToObject(o, "norm_beds");
		else
			cJSON_AddNumberToObject(o, "norm_beds",
			    (double)r->norm_beds);
		add_count(o, "reserve_activations", r,
		    CELL(RESERVE_ACTIVATIONS), r->reserve_activations);
		add_count(o, "reserve_beds_asked", r,
		    CELL(RESERVE_ACTIVATIONS), r->reserve_beds_asked);
		add_count(o, "reserve_beds_confirmed", r,
		    CELL(RESERVE_CONFIRMED), r->reserve_beds_confirmed);
		add_count(o, "reserve_bed_secs", r, CELL(RESERVE_CONFIRMED),
		    (double)r->reserve_bed_secs);
		add_count(o, "reserve_bed_days", r, CELL(RESERVE_CONFIRMED),
		    bed_days(r->reserve_bed_secs));
		add_count(o, "placed_reserve", r, CELL(PLACED_RESERVE),
		    r->placed_reserve);
		for (int c = 1; c <= CELL(PLACED_RESERVE); c++) {
			if (hidden(r, c))
				cJSON_AddItemToArray(sup,
				    cJSON_CreateString(report_cell_name(c)));
			if (complementary(r, c))
				cJSON_AddItemToArray(com,
				    cJSON_CreateString(report_cell_name(c)));
		}
		cJSON_AddItemToObject(o, "suppressed", sup);
		cJSON_AddItemToObject(o, "complementary", com);
		cJSON_AddItemToArray(rows, o);
	}
	for (size_t i = 0; i < rep->n_declines; i++) {
		const Shelterd__V1__ReportDecline *d = rep->declines[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "region",
		    region_name(d->region_id));
		cJSON_AddStringToObject(o, "category",
		    category_name((int)d->category));
		cJSON_AddStringToObject(o, "reason",
		    place_reason_key((int)d->reason));
		if (d->suppressed)
			cJSON_AddNullToObject(o, "count");
		else
			cJSON_AddNumberToObject(o, "count", d->count);
		cJSON_AddBoolToObject(o, "suppressed", d->suppressed);
		cJSON_AddBoolToObject(o, "complementary", d->complementary);
		cJSON_AddItemToArray(decl, o);
	}
	cJSON_AddItemToObject(root, "rows", rows);
	cJSON_AddItemToObject(root, "declines", decl);
	client_print_json(root);
}

/* Capacity against the norm, and reserve beds: a second table. */
static void
reserve_table(const Shelterd__V1__Report *rep)
{
	char cap[16], nb[24], v[N_RESERVE][24];

	printf("\nCapacity against the norm, and reserve beds\n"
	    "%-8s %-9s %6s %6s %5s %5s %7s %8s %6s\n", "REGION", "CATEGORY",
	    "PEAKCAP", "NORM", "ACTIV", "ASKED", "CONFIRM", "BED-DAYS",
	    "IN-RES");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Shelterd__V1__ReportRow *r = rep->rows[i];

		if (hidden(r, CELL(OCCUPANCY)) || r->occupancy_secs == 0)
			snprintf(cap, sizeof(cap), "-");
		else
			snprintf(cap, sizeof(cap), "%u", r->peak_capacity);
		norm_cell(r, nb, sizeof(nb));
		reserve_cells(rep, r, v);
		printf("%-8s %-9s %7s %6s %5s %5s %7s %8s %6s\n",
		    region_name(r->region_id),
		    category_name((int)r->category), cap, nb, v[0], v[1],
		    v[2], v[3], v[4]);
	}
	printf("NORM: the capacity norm in force at the end of the period "
	    "(national: the sum\nof the regions'). ACTIV/ASKED: reserve "
	    "activations made and the beds they asked\nfor; CONFIRM: beds "
	    "shelters confirmed; BED-DAYS: confirmed beds x the days of\n"
	    "the period they counted as capacity; IN-RES: placements "
	    "accepted into reserve\nbeds of the region.\n");
}

static void
report_table(const Shelterd__V1__Report *rep)
{
	char from[32], until[32], a[16], b[16], c[16], m[24], p[24];
	char v[6][16];

	client_format_time(rep->from, from, sizeof(from));
	client_format_time(rep->until, until, sizeof(until));
	printf("Report %s%s: %s to %s; critical at %u%%\n", rep->month,
	    rep->public_ ? " (public)" : "", from, until, rep->critical_pct);
	printf("%-8s %-9s %6s %6s %4s %5s %5s %5s %5s %5s %5s %8s %8s\n",
	    "REGION", "CATEGORY", "AVG%", "PEAK%", "CRIT", "REQ", "IN",
	    "SUPRA", "UNPL", "CANC", "DECL", "TTP-MED", "TTP-P90");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Shelterd__V1__ReportRow *r = rep->rows[i];

		pct_cells(rep, r, a, b, c, sizeof(a));
		ttp_cells(r, m, p, sizeof(m), false);
		for (int k = 0; k < 6; k++)
			count_cell(rep, r, count_cells[k], count_of(r,
			    count_cells[k]), v[k], sizeof(v[k]));
		printf("%-8s %-9s %6s %6s %4s %5s %5s %5s %5s %5s %5s %8s "
		    "%8s\n", region_name(r->region_id),
		    category_name((int)r->category), a, b, c, v[0], v[1], v[2],
		    v[3], v[4], v[5], m, p);
	}
	if (rep->n_rows == 0)
		printf("no history for %s\n", rep->month);
	else
		reserve_table(rep);
	if (rep->n_declines > 0) {
		printf("\nDeclines by reason (expired: the hold ran out "
		    "unanswered)\n%-8s %-9s %5s  %s\n", "REGION", "CATEGORY",
		    "COUNT", "REASON");
		for (size_t i = 0; i < rep->n_declines; i++) {
			const Shelterd__V1__ReportDecline *d =
			    rep->declines[i];

			if (d->complementary)
				snprintf(a, sizeof(a), ">=%u", rep->k);
			else if (d->suppressed)
				snprintf(a, sizeof(a), "<%u", rep->k);
			else
				snprintf(a, sizeof(a), "%u", d->count);
			printf("%-8s %-9s %5s  %s\n",
			    region_name(d->region_id),
			    category_name((int)d->category), a,
			    place_reason_text((int)d->reason));
		}
	}
	printf("\nIN: placed in the requesting region; SUPRA: elsewhere. "
	    "TTP: time from request\nto acceptance (nearest rank). No "
	    "report lists a case_ref or request id.\n");
	if (rep->public_)
		printf("Public report: %u cell%s suppressed. <%u: a count "
		    "below %u (0 only where the\nnation's is below %u). "
		    ">=%u: %u or more, hidden so that no <%u cell can be "
		    "worked out\nby subtraction. A time to placement is shown "
		    "only with both placement counts,\ndecline reasons only "
		    "with the nation's declines; they are national only.\n"
		    "merged: a region with fewer shelters of the category "
		    "than [privacy]\nk_anonymity; its occupancy is counted in "
		    "the national row only.\nReserve beds confirmed and "
		    "bed-days are hidden where fewer than %u shelters of\n"
		    "the region and category have reserve beds, and with "
		    "them where subtraction\nwould give them back.\n",
		    rep->suppressed_cells, rep->suppressed_cells == 1 ? "" :
		    "s", rep->k, rep->k, rep->k, rep->k, rep->k, rep->k,
		    rep->k);
}

/* ---- report as a printable page ------------------------------------- */

/*
 * One self-contained HTML file (inline CSS, inline SVG, no script, nothing
 * fetched) that prints well: a section per region, each with its table and
 * its charts. Built from the reply alone, so a public report's page shows
 * exactly what the public text report shows: the daemon suppressed the
 * small cells (core/report.c) before they were sent.
 */
static void
html_cell(FILE *f, const Shelterd__V1__Report *rep,
    const Shelterd__V1__ReportRow *r, int cell, uint32_t v)
{
	char buf[16];

	fprintf(f, "<td%s>%s</td>", hidden(r, cell) ? " class=\"hid\"" : "",
	    count_cell(rep, r, cell, v, buf, sizeof(buf)));
}

/* Rows of one region (or the nation: ""), in the reply's order. */
static size_t
rows_of(const Shelterd__V1__Report *rep, const char *region,
    const Shelterd__V1__ReportRow **out)
{
	size_t n = 0;

	for (size_t i = 0; i < rep->n_rows; i++)
		if (strcmp(rep->rows[i]->region_id, region) == 0)
			out[n++] = rep->rows[i];
	return n;
}

/* The reserve beds of a region's categories that had any. */
static void
html_reserve_table(FILE *f, const Shelterd__V1__Report *rep,
    const Shelterd__V1__ReportRow **rows, size_t n)
{
	char res[N_RESERVE][24];

	fprintf(f, "<table class=\"reserve\"><thead><tr><th>reserve "
	    "beds</th><th>activations</th><th>beds asked</th><th>beds "
	    "confirmed</th><th>bed-days</th><th>placed into reserve "
	    "beds</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const Shelterd__V1__ReportRow *r = rows[i];

		if (!has_reserve(r))
			continue;
		reserve_cells(rep, r, res);
		fprintf(f, "<tr><td>%s</td>",
		    category_name((int)r->category));
		for (int k = 0; k < N_RESERVE; k++)
			fprintf(f, "<td%s>%s</td>", (k == 0 &&
			    hidden(r, CELL(RESERVE_ACTIVATIONS))) ||
			    (k == 4 && hidden(r,
			    CELL(PLACED_RESERVE))) || strcmp(res[k],
			    "hidden") == 0 ? " class=\"hid\"" : "",
			    res[k]);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
}

/* A region's count charts: reserve beds asked and confirmed (two bars
 * per category that had any), placements (three per category). bars
 * and labels hold 3 * n. */
static void
html_count_charts(FILE *f, const Shelterd__V1__ReportRow **rows, size_t n,
    bool any_reserve, struct svg_bar *bars, char (*labels)[32])
{
	/* Reserve beds asked and confirmed, two bars per category that had
	 * any. */
	if (any_reserve) {
		size_t m = 0;

		for (size_t i = 0; i < n; i++) {
			const Shelterd__V1__ReportRow *r = rows[i];

			if (!has_reserve(r))
				continue;
			for (int k = 0; k < 2; k++, m++) {
				snprintf(labels[m], sizeof(labels[0]), "%s %s",
				    category_name((int)r->category), k ?
				    "conf." : "asked");
				bars[m].label = labels[m];
				bars[m].known = !hidden(r, k ?
				    CELL(RESERVE_CONFIRMED) :
				    CELL(RESERVE_ACTIVATIONS));
				bars[m].value = k ? r->reserve_beds_confirmed :
				    r->reserve_beds_asked;
			}
		}
		svg_bars(f, "reserve beds: asked and confirmed", bars, m, 0,
		    "", NULL, 340);
	}
	/* Placements: three bars per category. */
	for (size_t i = 0; i < n; i++) {
		const Shelterd__V1__ReportRow *r = rows[i];
		const int cells[3] = { CELL(PLACED_IN_REGION),
			CELL(PLACED_SUPRA), CELL(UNPLACED) };
		const char *what[3] = { "in", "out", "unpl." };

		for (int k = 0; k < 3; k++) {
			struct svg_bar *x = &bars[3 * i + (size_t)k];

			snprintf(labels[3 * i + (size_t)k], sizeof(labels[0]),
			    "%s %s", category_name((int)r->category),
			    what[k]);
			x->label = labels[3 * i + (size_t)k];
			x->known = !hidden(r, cells[k]);
			x->value = count_of(r, cells[k]);
		}
	}
	svg_bars(f, "placements: in the region, elsewhere (out), unplaced",
	    bars, 3 * n, 0, "", NULL, 340);
}

static void
html_region(FILE *f, const Shelterd__V1__Report *rep,
    const Shelterd__V1__ReportRow **rows, size_t n)
{
	struct svg_bar *bars = calloc(3 * n + 1, sizeof(*bars));
	char (*labels)[32] = calloc(3 * n + 1, sizeof(*labels));
	double *norms = calloc(3 * n + 1, sizeof(*norms));
	char a[16], b[16], c[16], cap[16], nb[24];
	const char *name = region_name(rows[0]->region_id);
	size_t n_res = 0;
	bool any_norm = false;

	if (bars == NULL || labels == NULL || norms == NULL) {
		fprintf(stderr, "shelterctl: out of memory\n");
		exit(EXIT_REFUSED);
	}
	fprintf(f, "<section class=\"region\" data-region=\"");
	svg_escape(f, name);
	fprintf(f, "\">\n<h2>");
	svg_escape(f, name);
	fprintf(f, "</h2>\n<table><thead><tr><th>category</th><th>avg "
	    "occ. %%</th><th>peak occ. %%</th><th>days critical</th>"
	    "<th>peak capacity</th><th>norm</th><th>requested</th>"
	    "<th>placed in region"
	    "</th><th>placed elsewhere</th><th>unplaced</th><th>cancelled"
	    "</th></tr></thead><tbody>\n");
	for (size_t i = 0; i < n; i++) {
		const Shelterd__V1__ReportRow *r = rows[i];

		pct_cells(rep, r, a, b, c, sizeof(a));
		/* Capacity goes with occupancy: hidden with it. */
		if (hidden(r, CELL(OCCUPANCY)))
			snprintf(cap, sizeof(cap), "-");
		else
			snprintf(cap, sizeof(cap), "%u", r->peak_capacity);
		norm_cell(r, nb, sizeof(nb));
		fprintf(f, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
		    "<td>%s</td><td class=\"norm\">%s</td>",
		    category_name((int)r->category), a, b, c, cap, nb);
		any_norm |= r->norm_beds >= 0;
		n_res += has_reserve(r);
		html_cell(f, rep, r, CELL(REQUESTED), r->requested);
		html_cell(f, rep, r, CELL(PLACED_IN_REGION),
		    r->placed_in_region);
		html_cell(f, rep, r, CELL(PLACED_SUPRA), r->placed_supra);
		html_cell(f, rep, r, CELL(UNPLACED), r->unplaced);
		html_cell(f, rep, r, CELL(CANCELLED), r->cancelled);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</tbody></table>\n");
	/* Reserve beds: only the categories that had any, and no table (or
	 * chart) when none had. */
	if (n_res > 0)
		html_reserve_table(f, rep, rows, n);
	fprintf(f, "<div class=\"charts\">\n");
	/* Occupancy: average per category, scaled to 100 %. */
	for (size_t i = 0; i < n; i++) {
		const Shelterd__V1__ReportRow *r = rows[i];

		bars[i].label = category_name((int)r->category);
		bars[i].known = !hidden(r, CELL(OCCUPANCY)) &&
		    r->occupancy_secs > 0;
		bars[i].value = r->avg_occupancy_pct;
	}
	svg_bars(f, "average occupancy, %", bars, n, 100, "%", NULL, 340);
	for (size_t i = 0; i < n; i++)
		bars[i].value = rows[i]->peak_occupancy_pct;
	svg_bars(f, "peak occupancy, %", bars, n, 100, "%", NULL, 340);
	for (size_t i = 0; i < n; i++)
		bars[i].value = rows[i]->days_critical;
	svg_bars(f, "days at or over critical", bars, n, 0, "", NULL, 340);
	/* Capacity against the norm: a red line per category with one. */
	if (any_norm) {
		for (size_t i = 0; i < n; i++) {
			const Shelterd__V1__ReportRow *r = rows[i];

			bars[i].known = !hidden(r, CELL(OCCUPANCY)) &&
			    r->occupancy_secs > 0;
			bars[i].value = r->peak_capacity;
			norms[i] = r->norm_beds >= 0 ? (double)r->norm_beds :
			    -1;
		}
		svg_bars(f, "peak capacity, beds; red line: the norm", bars,
		    n, 0, "", norms, 340);
	}
	html_count_charts(f, rows, n, n_res > 0, bars, labels);
	fprintf(f, "</div>\n</section>\n");
	free(bars);
	free(labels);
	free(norms);
}

static int
report_html(const Shelterd__V1__Report *rep, const char *path)
{
	const Shelterd__V1__ReportRow **rows;
	char from[32], until[32];
	FILE *f = fopen(path, "w");
	size_t regions = 0;

	if (f == NULL) {
		fprintf(stderr, "shelterctl: cannot write %s\n", path);
		return -1;
	}
	if ((rows = calloc(rep->n_rows + 1, sizeof(*rows))) == NULL) {
		fprintf(stderr, "shelterctl: out of memory\n");
		exit(EXIT_REFUSED);
	}
	client_format_time(rep->from, from, sizeof(from));
	client_format_time(rep->until, until, sizeof(until));
	fprintf(f, "<!doctype html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<title>Shelter beds: report %s%s"
	    "</title>\n<style>\n"
	    "body { font: 11pt/1.35 sans-serif; color: #1d2430; margin: 0; }\n"
	    "h1 { font-size: 18pt; margin: 0 0 4pt; }\n"
	    "h2 { font-size: 13pt; margin: 0 0 4pt; }\n"
	    "table { border-collapse: collapse; width: 100%%; "
	    "font-size: 9pt; margin-bottom: 6pt; }\n"
	    "th, td { border-bottom: 1px solid #ccc; padding: 2pt 4pt; "
	    "text-align: right; }\n"
	    "th:first-child, td:first-child { text-align: left; }\n"
	    "th { color: #555; font-weight: 600; }\n"
	    "td.hid { color: #777; font-style: italic; }\n"
	    ".charts { display: flex; flex-wrap: wrap; gap: 6pt 18pt; }\n"
	    ".charts svg { max-width: 48%%; height: auto; }\n"
	    "section.region { break-inside: avoid; page-break-inside: avoid; "
	    "margin: 0 0 14pt; padding-top: 6pt; border-top: 2px solid "
	    "#1d2430; }\n"
	    ".note { color: #555; font-size: 9pt; }\n"
	    "@page { size: A4; margin: 14mm; }\n"
	    "</style>\n</head>\n<body>\n<h1>Shelter beds: monthly report %s"
	    "%s</h1>\n<p class=\"note\">%s to %s (UTC). Critical: %u%% "
	    "occupied or more. Occupancy is time-weighted over known beds. "
	    "In: placed in the requesting region; elsewhere: in another "
	    "region. Norm: the capacity norm in force at the end of the "
	    "period (national: the sum of the regions'). Reserve beds: "
	    "activations made and the beds they asked for, beds shelters "
	    "confirmed, bed-days (confirmed beds &times; the days of the "
	    "period they counted as capacity) and placements accepted into "
	    "reserve beds of the region. "
	    "No case reference or request id is in this report.</p>\n",
	    rep->month, rep->public_ ? " (public)" : "", rep->month,
	    rep->public_ ? " (public)" : "", from, until, rep->critical_pct);
	if (rep->public_)
		fprintf(f, "<p class=\"note\">Public report: %u cell%s "
		    "suppressed, shown as &lt;%u (a count below %u) or &gt;=%u "
		    "(hidden so that no small count can be worked out by "
		    "subtraction); a hidden value is a dashed bar marked \"not "
		    "shown\" in the charts. Reserve beds confirmed and "
		    "bed-days are hidden where fewer than %u shelters of the "
		    "region and category have reserve beds, and with them "
		    "where subtraction would give them back.</p>\n",
		    rep->suppressed_cells, rep->suppressed_cells == 1 ? "" :
		    "s", rep->k, rep->k, rep->k, rep->k);
	/* The nation first, then each region in the reply's order. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < rep->n_rows; i++) {
			const char *id = rep->rows[i]->region_id;
			size_t n;

			if ((pass == 0) != (*id == '\0'))
				continue;
			/* Each region once: at its first row. */
			if (i > 0 && strcmp(rep->rows[i - 1]->region_id, id) ==
			    0)
				continue;
			if ((n = rows_of(rep, id, rows)) == 0)
				continue;
			html_region(f, rep, rows, n);
			regions++;
		}
	if (regions == 0)
		fprintf(f, "<p>No history for %s.</p>\n", rep->month);
	fprintf(f, "</body>\n</html>\n");
	free(rows);
	if (fclose(f) != 0) {
		fprintf(stderr, "shelterctl: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

/* ---- trend ------------------------------------------------------------ */

enum { CHART_WIDTH = 50 };

static void
bucket_label(int64_t at, int64_t bucket_secs, char *buf, size_t len)
{
	time_t t = (time_t)at;
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL)
		snprintf(buf, len, "?");
	else
		strftime(buf, len, bucket_secs >= 86400 ? "%Y-%m-%d" :
		    "%m-%d %H:%MZ", &tm);
}

static int
chart_pos(double pct)
{
	int pos = (int)(pct * CHART_WIDTH / 100.0 + 0.5);

	return pos < 0 ? 0 : pos > CHART_WIDTH ? CHART_WIDTH : pos;
}

static void
trend_chart(const Shelterd__V1__Trend *t)
{
	char label[32];
	int warn = chart_pos(t->warning_pct);

	printf("%s %s: occupancy, %" PRId64 " %s per line (UTC)\n",
	    region_name(t->region_id), category_name((int)t->category),
	    t->bucket_secs >= 86400 ? t->bucket_secs / 86400 :
	    t->bucket_secs >= 3600 ? t->bucket_secs / 3600 :
	    t->bucket_secs / 60, t->bucket_secs >= 86400 ? "day(s)" :
	    t->bucket_secs >= 3600 ? "hour(s)" : "minute(s)");
	printf("# average, - up to the peak, : warning (%u%%), | critical "
	    "(%u%%)\n", t->warning_pct, t->critical_pct);
	for (size_t i = 0; i < t->n_points; i++) {
		const Shelterd__V1__TrendPoint *p = t->points[i];
		char bar[CHART_WIDTH + 1];
		int avg = chart_pos(p->avg_occupancy_pct);
		int peak = chart_pos(p->peak_occupancy_pct);

		bucket_label(p->from, t->bucket_secs, label, sizeof(label));
		if (p->data_secs == 0) {
			printf("%-12s |%*s| no history\n", label, CHART_WIDTH,
			    "");
			continue;
		}
		memset(bar, ' ', CHART_WIDTH);
		bar[CHART_WIDTH] = '\0';
		for (int k = 0; k < CHART_WIDTH; k++)
			bar[k] = k < avg ? '#' : k < peak ? '-' : ' ';
		if (warn > 0 && warn <= CHART_WIDTH && bar[warn - 1] == ' ')
			bar[warn - 1] = ':';
		printf("%-12s |%s| avg %5.1f%% peak %5.1f%% min free %u, "
		    "%u beds\n", label, bar, p->avg_occupancy_pct,
		    p->peak_occupancy_pct, p->min_free, p->capacity);
	}
}

/* The same trend as a plot a coordinator can put in a report: the one
 * SVG the daemon also serves (core/svg.c). */
static int
trend_svg(const Shelterd__V1__Trend *t, const char *path)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL) {
		fprintf(stderr, "shelterctl: cannot write %s\n", path);
		return -1;
	}
	rc = svg_trend(f, t);
	if (fclose(f) != 0 || rc != 0) {
		fprintf(stderr, "shelterctl: cannot write %s\n", path);
		return -1;
	}
	return 0;
}

static void
trend_json(const Shelterd__V1__Trend *t)
{
	cJSON *root = cJSON_CreateObject(), *pts = cJSON_CreateArray();

	cJSON_AddStringToObject(root, "region", region_name(t->region_id));
	cJSON_AddStringToObject(root, "category",
	    category_name((int)t->category));
	cJSON_AddItemToObject(root, "from", json_time(t->from));
	cJSON_AddItemToObject(root, "until", json_time(t->until));
	cJSON_AddNumberToObject(root, "bucket_secs", (double)t->bucket_secs);
	for (size_t i = 0; i < t->n_points; i++) {
		const Shelterd__V1__TrendPoint *p = t->points[i];
		cJSON *o = cJSON_CreateObject();

		cJSON_AddItemToObject(o, "from", json_time(p->from));
		cJSON_AddNumberToObject(o, "data_secs", (double)p->data_secs);
		if (p->data_secs > 0) {
			cJSON_AddNumberToObject(o, "avg_occupancy_pct",
			    p->avg_occupancy_pct);
			cJSON_AddNumberToObject(o, "peak_occupancy_pct",
			    p->peak_occupancy_pct);
			cJSON_AddNumberToObject(o, "min_free", p->min_free);
			cJSON_AddNumberToObject(o, "capacity", p->capacity);
		}
		cJSON_AddItemToArray(pts, o);
	}
	cJSON_AddItemToObject(root, "points", pts);
	client_print_json(root);
}

int
hist_cli_print(const struct hist_cli *h, const Shelterd__V1__Reply *r,
    bool json)
{
	if (r->body_case == SHELTERD__V1__REPLY__BODY_REPORT) {
		if (h->html != NULL && report_html(r->report, h->html) != 0)
			return EXIT_REFUSED;
		if (json)
			report_json(r->report);
		else if (h->csv)
			report_csv(r->report);
		else
			report_table(r->report);
		return EXIT_OK;
	}
	if (r->body_case == SHELTERD__V1__REPLY__BODY_TREND) {
		if (h->svg != NULL && trend_svg(r->trend, h->svg) != 0)
			return EXIT_REFUSED;
		if (json)
			trend_json(r->trend);
		else
			trend_chart(r->trend);
		return EXIT_OK;
	}
	fprintf(stderr, "shelterctl: unexpected answer\n");
	return EXIT_REFUSED;
}
