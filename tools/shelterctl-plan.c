/*
 * shelterctl-plan.c — `shelterctl plan`: the table a ministry would put in
 * a letter. The daemon computes every number (daemon/planning.c); this
 * prints them as a table, CSV or JSON (core/json.c's one shape).
 */
#include "shelterctl-plan.h"
#include "shelterctl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norms.h"

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

/* Ask api and take only a reply of body_case: EXIT_OK with *reply, or
 * the exit status after saying why on stderr. */
static int
call_for(const char *api, int timeout_ms, const Shelterd__V1__Request *req,
    int body_case, Shelterd__V1__Reply **reply)
{
	char err[512];
	int rc;

	if ((rc = client_call(api, timeout_ms, req, reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if ((*reply)->code != SHELTERD__V1__CODE__CODE_OK ||
	    (int)(*reply)->body_case != body_case) {
		fprintf(stderr, "shelterctl: %s (%s)\n", *(*reply)->error ?
		    (*reply)->error : "unexpected answer",
		    client_code_name((*reply)->code));
		shelterd__v1__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

int
plan_cli(const char *api, int timeout_ms, const char *region, bool json,
    bool csv)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__PlanQuery pq = SHELTERD__V1__PLAN_QUERY__INIT;
	Shelterd__V1__Reply *reply;
	int rc;

	if (json && csv) {
		fprintf(stderr, "shelterctl: plan: --json or --csv, not "
		    "both\n");
		return EXIT_USAGE;
	}
	pq.region_id = (char *)(region ? region : "");
	req.body_case = SHELTERD__V1__REQUEST__BODY_PLAN;
	req.plan = &pq;
	if ((rc = call_for(api, timeout_ms, &req, SHELTERD__V1__REPLY__BODY_PLAN,
	    &reply)) != EXIT_OK)
		return rc;
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

/* "YYYY-MM-DD" (to the end of that day, UTC) or unix seconds: 0 or -1. */
static int
parse_until(const char *s, int64_t *out)
{
	size_t n = strlen(s), i;

	if (norms_parse_date(s, out) == 0) {
		*out += 86400;
		return 0;
	}
	for (i = 0; i < n && isdigit((unsigned char)s[i]); i++)
		;
	if (n == 0 || i != n || n > 12)
		return -1;
	*out = strtoll(s, NULL, 10);
	return 0;
}

int
reserve_cli(const char *api, int timeout_ms, const char *region,
    int category, long long beds, const char *until, const char *reason,
    bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ReserveActivate ra =
	    SHELTERD__V1__RESERVE_ACTIVATE__INIT;
	const Shelterd__V1__ReserveActivation *a;
	Shelterd__V1__Reply *reply;
	char when[32];
	int rc;

	if (region == NULL || category <= 0 || beds < 0 || until == NULL ||
	    reason == NULL) {
		fprintf(stderr, "shelterctl: usage: shelterctl reserve "
		    "activate --region R --category C --beds N --until "
		    "YYYY-MM-DD --reason WHY\n");
		return EXIT_USAGE;
	}
	if (parse_until(until, &ra.until) != 0) {
		fprintf(stderr, "shelterctl: --until must be a date "
		    "YYYY-MM-DD (or unix seconds), not '%s'\n", until);
		return EXIT_USAGE;
	}
	ra.region_id = (char *)region;
	ra.category = (Shelterd__V1__Category)category;
	ra.beds = beds > UINT32_MAX ? UINT32_MAX : (uint32_t)beds;
	ra.reason = (char *)reason;
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_ACTIVATE;
	req.reserve_activate = &ra;
	if ((rc = call_for(api, timeout_ms, &req, SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION,
	    &reply)) != EXIT_OK)
		return rc;
	a = reply->reserve_activation;
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "activation_id",
		    (double)a->activation_id);
		cJSON_AddStringToObject(o, "region", a->region_id);
		cJSON_AddStringToObject(o, "category",
		    cat_name((int)a->category));
		cJSON_AddNumberToObject(o, "beds", a->beds);
		cJSON_AddItemToObject(o, "until", json_time(a->until));
		cJSON_AddStringToObject(o, "reason", a->reason);
		cJSON_AddStringToObject(o, "activated_by", a->activated_by);
		cJSON_AddItemToObject(o, "activated_at",
		    json_time(a->activated_at));
		cJSON_AddItemToObject(o, "shelters", cJSON_CreateStringArray(
		    (const char *const *)a->shelters, (int)a->n_shelters));
		client_print_json(o);
	} else {
		client_format_time(a->until, when, sizeof(when));
		printf("activation %llu: %u %s beds in %s until %s (%s), by "
		    "%s\nasked:", (unsigned long long)a->activation_id,
		    a->beds, cat_name((int)a->category), a->region_id, when,
		    a->reason, a->activated_by);
		for (size_t i = 0; i < a->n_shelters; i++)
			printf(" %s", a->shelters[i]);
		printf("\n");
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}

int
reserve_release_cli(const char *api, int timeout_ms, const char *id,
    bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ReserveRelease rr = SHELTERD__V1__RESERVE_RELEASE__INIT;
	const Shelterd__V1__ReserveActivation *a;
	Shelterd__V1__Reply *reply;
	long long n;
	int rc;

	if ((n = client_parse_num(id, INT64_MAX)) < 1) {
		fprintf(stderr, "shelterctl: usage: shelterctl reserve "
		    "release ACTIVATION_ID\n");
		return EXIT_USAGE;
	}
	rr.activation_id = (uint64_t)n;
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESERVE_RELEASE;
	req.reserve_release = &rr;
	if ((rc = call_for(api, timeout_ms, &req, SHELTERD__V1__REPLY__BODY_RESERVE_ACTIVATION,
	    &reply)) != EXIT_OK)
		return rc;
	a = reply->reserve_activation;
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddNumberToObject(o, "activation_id",
		    (double)a->activation_id);
		cJSON_AddStringToObject(o, "region", a->region_id);
		cJSON_AddStringToObject(o, "category",
		    cat_name((int)a->category));
		cJSON_AddStringToObject(o, "end",
		    reserve_step_name((int)a->end));
		cJSON_AddItemToObject(o, "ended_at", json_time(a->ended_at));
		client_print_json(o);
	} else {
		printf("activation %llu released: its confirmed %s beds in %s "
		    "no longer count\n", (unsigned long long)a->activation_id,
		    cat_name((int)a->category), a->region_id);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}
