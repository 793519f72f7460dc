/*
 * shelterctl-plan.c — `shelterctl plan`: the table a ministry would put in
 * a letter. The daemon computes every number (daemon/planning.c); this
 * prints them as a table, CSV or JSON (core/json.c's one shape).
 */
#include "shelterctl-plan.h"
#include "shelterctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
norm_text(const Shelterd__V1__PlanRow *r, char *norm, char *gap, size_t len)
{
	snprintf(norm, len, "-");
	snprintf(gap, len, "-");
	if (!r->has_norm)
		return;
	snprintf(norm, len, "%u", r->norm);
	snprintf(gap, len, "%d", r->shortfall);
}

static void
print_csv(const Shelterd__V1__Plan *p)
{
	printf("region,name,category,norm,capacity,registered_capacity,"
	    "shortfall,avg_occupancy_pct,peak_occupancy_pct,days_critical,"
	    "requested,placed_out,unplaced,shortage\n");
	for (size_t i = 0; i < p->n_rows; i++) {
		const Shelterd__V1__PlanRow *r = p->rows[i];
		char norm[16], gap[16];

		/* Empty, not "-": a spreadsheet reads an empty cell. */
		norm_text(r, norm, gap, sizeof(norm));
		printf("%s,%s,%s,%s,%u,%u,%s,%.1f,%.1f,%u,%u,%u,%u,%s\n",
		    r->region_id, r->region_name, cat_name((int)r->category),
		    r->has_norm ? norm : "", r->capacity,
		    r->registered_capacity, r->has_norm ? gap : "",
		    r->avg_occupancy_pct, r->peak_occupancy_pct,
		    r->days_critical, r->requested, r->placed_out, r->unplaced,
		    r->shortage ? "yes" : "no");
	}
}

static void
print_table(const Shelterd__V1__Plan *p)
{
	char from[32], until[32];

	client_format_time(p->from, from, sizeof(from));
	client_format_time(p->until, until, sizeof(until));
	printf("Shortfalls against the capacity norms, %u days from %s to "
	    "%s\n(critical: %u%% occupied or more)\n\n", p->window_days, from,
	    until, p->critical_pct);
	if (p->n_rows == 0) {
		printf("No region is short of its norm.\n");
		return;
	}
	printf("%-8s %-20s %-9s %5s %5s %5s %5s %6s %6s %5s %5s %5s %8s  %s\n",
	    "REGION", "NAME", "CATEGORY", "NORM", "OPEN", "REG", "SHORT",
	    "AVG%", "PEAK%", "CRIT", "REQ", "OUT", "UNPLACED", "SHORTAGE");
	for (size_t i = 0; i < p->n_rows; i++) {
		const Shelterd__V1__PlanRow *r = p->rows[i];
		char norm[16], gap[16];

		norm_text(r, norm, gap, sizeof(norm));
		printf("%-8s %-20.20s %-9s %5s %5u %5u %5s %6.1f %6.1f %5u "
		    "%5u %5u %8u  %s\n", r->region_id, r->region_name,
		    cat_name((int)r->category), norm, r->capacity,
		    r->registered_capacity, gap, r->avg_occupancy_pct,
		    r->peak_occupancy_pct, r->days_critical, r->requested,
		    r->placed_out, r->unplaced, r->shortage ? "open" : "-");
	}
}

int
plan_cli(const char *api, int timeout_ms, const char *region, bool json,
    bool csv)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlanQuery pq = SHELTERD__V1__PLAN_QUERY__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];
	int rc;

	if (json && csv) {
		fprintf(stderr, "shelterctl: plan: --json or --csv, not "
		    "both\n");
		return EXIT_USAGE;
	}
	pq.region_id = (char *)(region ? region : "");
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLAN;
	req.plan = &pq;
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_PLAN) {
		fprintf(stderr, "shelterctl: %s (%s)\n", *reply->error ?
		    reply->error : "unexpected answer",
		    client_code_name(reply->code));
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();
		cJSON *rows = cJSON_AddArrayToObject(o, "rows");

		cJSON_AddItemToObject(o, "from", json_time(reply->plan->from));
		cJSON_AddItemToObject(o, "until",
		    json_time(reply->plan->until));
		cJSON_AddNumberToObject(o, "window_days",
		    reply->plan->window_days);
		cJSON_AddNumberToObject(o, "critical_pct",
		    reply->plan->critical_pct);
		for (size_t i = 0; i < reply->plan->n_rows; i++)
			cJSON_AddItemToArray(rows,
			    json_plan_row(reply->plan->rows[i]));
		client_print_json(o);
	} else if (csv) {
		print_csv(reply->plan);
	} else {
		print_table(reply->plan);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}
