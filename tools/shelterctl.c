/*
 * shelterctl — read the national picture from shelterd: the region x
 * category table, one shelter, the regions.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "shelterctl-audit.h"
#include "shelterctl.h"
#include "shelterctl-history.h"
#include "shelterctl-plan.h"
#include "shelterctl-registry.h"

static void
usage(FILE *out)
{
	fprintf(out,
	    "Usage: shelterctl [OPTION]... COMMAND [ARG]\n"
	    "Read the live picture of shelter beds from shelterd.\n"
	    "\n"
	    "Commands:\n"
	    "  status        every region x category, and the national "
	    "totals:\n"
	    "                capacity, occupied, out of service, held for "
	    "placements,\n"
	    "                free, unknown (stale shelters), expected "
	    "free within\n"
	    "                24 h and 72 h (-: no forecast), occupancy %%\n"
	    "                of known beds and escalation level (and "
	    "early-warning);\n"
	    "                KNOWN: beds of shelters reporting, of REG "
	    "registered;\n"
	    "                NORM: the capacity norm in force (-: none; "
	    "below-norm when\n"
	    "                REG is under it; reserve N24/N72: reserve beds "
	    "that could be\n"
	    "                opened on request within 24 h / 72 h);\n"
	    "                NOBODY: registered beds nobody reports on, "
	    "STALE and\n"
	    "                NEVER: shelters stale and never reported\n"
	    "  shelter ID    one shelter: registry entry and last report\n"
	    "  regions       the regions, their neighbours and shelter "
	    "counts\n"
	    "  reset-seq ID  operator: let shelter ID report again after its "
	    "clock jumped\n"
	    "                ahead (its stored seq is set back; beds, "
	    "history and holds\n"
	    "                stay). Its next report is accepted whatever "
	    "its seq\n"
	    "  ping          is the daemon up and keeping up: its answer "
	    "time, queue\n"
	    "                and the age of its last commit (exit 0 when "
	    "it answered)\n"
	    "  alerts        the open alerts, oldest first, with age and "
	    "who\n"
	    "                acknowledged them\n"
	    "  placements    open and recent placement requests (the "
	    "shelter is named\n"
	    "                only once it has accepted)\n"
	    HIST_CLI_USAGE
	    PLAN_CLI_USAGE
	    REGISTRY_CLI_USAGE
	    "  ack SEQ --by DESK\n"
	    "                acknowledge the open alert that event SEQ "
	    "belongs to\n"
	    "  audit verify|export ...\n"
	    "                check the tamper-evident audit log of a store, "
	    "a backup or\n"
	    "                an export; export a stretch of it "
	    "(shelterctl audit --help)\n"
	    "  backup DIR    operator: a consistent, compacted copy of the "
	    "daemon's\n"
	    "                store into DIR (new or empty, on the daemon's "
	    "machine;\n"
	    "                relative to this directory), taken while it "
	    "runs;\n"
	    "                waits for the copy (default timeout 10 min)\n"
	    "\n"
	    "Options:\n"
	    "  -j, --json        JSON instead of a table\n"
	    "  -a, --api URL     daemon api (default $SHELTERD_API or "
	    DEFAULT_API_URL ");\n"
	    "                    URL,URL,...: the next when one cannot be "
	    "reached\n"
	    "  -T, --timeout MS  wait at most MS for the answer (default "
	    "5000)\n"
	    "  -b, --by DESK     with ack: the desk or role taking the "
	    "alert on\n"
	    "  -K, --key FILE     sign requests with this key (default "
	    "$SHELTERD_KEY)\n"
	    "  -h, --help        print this help and exit\n"
	    "\n"
	    "Exit status: 0 ok, 1 refused by the daemon, 2 bad usage, 3 "
	    "daemon not\nreachable.\n");
}

static const char *
lvl(int level)
{
	return level == 0 ? "" : level_name(level);
}

static void
totals_row(const char *id, const char *name,
    const Shelterd__V1__CategoryTotals *t)
{
	/* Occupancy of known beds, as the escalation rules see it. */
	struct totals tt = { .capacity = t->known_capacity, .free = t->free };
	char e24[16] = "-", e72[16] = "-", lack[128] = "", norm[16] = "-";

	/* "-": no shelter gives a forecast; 0 would say none is expected. */
	if (t->forecasting > 0) {
		snprintf(e24, sizeof(e24), "%u", t->expected_free_24h);
		snprintf(e72, sizeof(e72), "%u", t->expected_free_72h);
	}
	if (t->coverage != SHELTERD__V1__LEVEL__LEVEL_OK)
		snprintf(lack, sizeof(lack), " coverage (%u%% known)",
		    t->coverage_pct);
	/* Registered capacity against the norm: "-" where none applies. */
	if (t->has_norm)
		snprintf(norm, sizeof(norm), "%u", t->norm);
	if (t->has_norm && t->registered_capacity < t->norm)
		snprintf(lack + strlen(lack), sizeof(lack) - strlen(lack),
		    " below-norm (%u short)", t->norm -
		    t->registered_capacity);
	/* Beds that could be opened on request: 24 h, 72 h. */
	if (t->reserve_72h > 0)
		snprintf(lack + strlen(lack), sizeof(lack) - strlen(lack),
		    " reserve %u/%u", t->reserve_24h, t->reserve_72h);
	if (t->reserve_open > 0)
		snprintf(lack + strlen(lack), sizeof(lack) - strlen(lack),
		    " %u-reserve-open", t->reserve_open);
	printf("%-8s %-24.24s %-9s %5u %5s %5u %8u %5u %5u %6u %7u %6u %5u "
	    "%5u %5s %5s %4u%%  %s%s%s\n", id, name,
	    cat_name((int)t->category), t->registered_capacity, norm,
	    t->known_capacity, t->occupied,
	    t->out_of_service, t->held, t->free, t->unknown, t->unknown_beds,
	    t->stale_shelters, t->never_reported, e24, e72, totals_pct(&tt),
	    lvl((int)t->level), t->early_warning ? " early-warning" : "",
	    lack);
}

static void
print_status(const Shelterd__V1__StatusReply *st, bool json)
{
	if (json) {
		cJSON *root = cJSON_CreateObject();
		cJSON *regions = cJSON_AddArrayToObject(root, "regions");
		cJSON *national = cJSON_AddObjectToObject(root, "national");

		for (size_t r = 0; r < st->n_regions; r++)
			cJSON_AddItemToArray(regions,
			    json_region(st->regions[r]));
		for (size_t c = 0; c < st->n_national; c++)
			cJSON_AddItemToObject(national, cat_name((int)
			    st->national[c]->category),
			    json_totals(st->national[c]));
		cJSON_AddNumberToObject(root, "last_event_seq",
		    (double)st->last_event_seq);
		if (st->note != NULL && *st->note != '\0')
			cJSON_AddStringToObject(root, "note", st->note);
		client_print_json(root);
		return;
	}
	printf("%-8s %-24s %-9s %5s %5s %5s %8s %5s %5s %6s %7s %6s %5s %5s "
	    "%5s %5s %5s  %s\n", "REGION", "NAME", "CATEGORY", "REG", "NORM",
	    "KNOWN",
	    "OCCUPIED", "OOS", "HELD", "FREE", "UNKNOWN", "NOBODY", "STALE",
	    "NEVER", "EXP24", "EXP72", "OCC", "LEVEL");
	for (size_t r = 0; r < st->n_regions; r++) {
		const Shelterd__V1__RegionStatus *rs = st->regions[r];

		/* Only categories the region has beds for. */
		for (size_t c = 0; c < rs->n_totals; c++)
			if (rs->totals[c]->capacity > 0 ||
			    rs->totals[c]->registered_capacity > 0 ||
			    rs->totals[c]->has_norm)
				totals_row(rs->region_id, rs->name,
				    rs->totals[c]);
	}
	for (size_t c = 0; c < st->n_national; c++)
		totals_row("NL", "national", st->national[c]);
	printf("last event_seq %" PRIu64 "\n", st->last_event_seq);
	if (st->note != NULL && *st->note != '\0')
		printf("%s\n", st->note);
}

static void
print_shelter(const Shelterd__V1__ShelterReply *sh, bool json)
{
	char seen[32], got[32];

	client_format_time(sh->observed_at, seen, sizeof(seen));
	client_format_time(sh->received_at, got, sizeof(got));
	if (json) {
		client_print_json(json_shelter(sh));
		return;
	}
	printf("shelter   %s  %s\nregion    %s\nsecurity  %u\n",
	    sh->shelter_id, sh->name, sh->region_id, sh->security_level);
	if (sh->last_seq == 0) {
		printf("status    no report yet\n");
		return;
	}
	printf("status    %s%s\nlast seq  %" PRIu64 "\nobserved  %s\n"
	    "received  %s\n", status_name((int)sh->status),
	    sh->stale ? " (STALE: missed its reporting deadline; beds "
	    "unknown)" : "", sh->last_seq, seen, got);
	printf("%-9s %8s %8s %5s %5s %5s\n", "CATEGORY", "CAPACITY",
	    "OCCUPIED", "OOS", "EXP24", "EXP72");
	for (size_t i = 0; i < sh->n_beds; i++) {
		const Shelterd__V1__BedCount *b = sh->beds[i];
		char e24[16] = "-", e72[16] = "-";

		if (b->forecast) {
			snprintf(e24, sizeof(e24), "%u", b->expected_free_24h);
			snprintf(e72, sizeof(e72), "%u", b->expected_free_72h);
		}
		printf("%-9s %8u %8u %5u %5s %5s\n",
		    cat_name((int)b->category), b->capacity, b->occupied,
		    b->out_of_service, e24, e72);
	}
}

static void
print_regions(const Shelterd__V1__RegionsReply *rr, bool json)
{
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (!json)
		printf("%-8s %-28s %8s  %s\n", "REGION", "NAME", "SHELTERS",
		    "NEIGHBOURS");
	for (size_t r = 0; r < rr->n_regions; r++) {
		const Shelterd__V1__RegionInfo *ri = rr->regions[r];

		if (json) {
			cJSON *o = cJSON_CreateObject();

			cJSON_AddStringToObject(o, "region", ri->region_id);
			cJSON_AddStringToObject(o, "name", ri->name);
			cJSON_AddNumberToObject(o, "shelters", ri->shelters);
			cJSON_AddItemToObject(o, "neighbours",
			    cJSON_CreateStringArray((const char *const *)
			    ri->neighbours, (int)ri->n_neighbours));
			cJSON_AddItemToArray(arr, o);
			continue;
		}
		printf("%-8s %-28s %8u ", ri->region_id, ri->name,
		    ri->shelters);
		for (size_t k = 0; k < ri->n_neighbours; k++)
			printf(" %s", ri->neighbours[k]);
		printf("\n");
	}
	if (json)
		client_print_json(arr);
}

static void
print_placements(const Shelterd__V1__PlacementList *pl, bool json)
{
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (!json)
		printf("%-24s %-16s %-6s %-9s %4s %-10s %-8s %-10s %s\n",
		    "REQUEST", "CASE", "FROM", "CATEGORY", "BEDS", "STATE",
		    "HELD IN", "SHELTER", "TRIED");
	for (size_t i = 0; i < pl->n_placements; i++) {
		const Shelterd__V1__Placement *p = pl->placements[i];
		const ProtobufCEnumValue *st =
		    protobuf_c_enum_descriptor_get_value(
		    &shelterd__v1__placement_state__descriptor, p->state);
		const char *state = st ? st->name + 16 : "?";
		const char *cat = cat_name((int)p->category);

		if (json) {
			cJSON_AddItemToArray(arr, json_placement(p));
			continue;
		}
		printf("%-24s %-16s %-6s %-9s %4u %-10s %-8s %-10s %u\n",
		    p->request_id, p->case_ref, p->from_region,
		    cat ? cat : "?", p->beds, state,
		    *p->held_region ? p->held_region : "-",
		    *p->shelter_id ? p->shelter_id : "-",
		    p->candidates_tried);
	}
	if (json)
		client_print_json(arr);
	else if (pl->n_placements == 0)
		printf("no open or recent placement requests\n");
}

static void
print_alerts(const Shelterd__V1__AlertsReply *ar, bool json)
{
	cJSON *arr = json ? cJSON_CreateArray() : NULL;

	if (!json)
		printf("%-6s %-8s %-19s %-9s %-8s %-12s %-9s %8s %4s  %s\n",
		    "ALERT", "LEVEL", "KIND", "SCOPE", "REGION",
		    "SHELTER/REQ", "CATEGORY", "AGE", "STEP", "ACKNOWLEDGED");
	for (size_t i = 0; i < ar->n_alerts; i++) {
		const Shelterd__V1__Alert *a = ar->alerts[i];
		const char *cat = cat_name((int)a->category);
		long long age = (long long)(ar->now - a->opened_at);
		char agebuf[32], acked[96];

		if (json) {
			cJSON_AddItemToArray(arr, json_alert(a,
			    ar->now));
			continue;
		}
		if (age >= 3600)
			snprintf(agebuf, sizeof(agebuf), "%lldh%02lldm",
			    age / 3600, age % 3600 / 60);
		else
			snprintf(agebuf, sizeof(agebuf), "%lldm%02llds",
			    age / 60, age % 60);
		if (*a->acknowledged_by)
			snprintf(acked, sizeof(acked), "%s",
			    a->acknowledged_by);
		else
			snprintf(acked, sizeof(acked), "no");
		/* A placement alert is a request's: it names the
		 * request where others name a shelter. */
		printf("#%-5llu %-8s %-19s %-9s %-8s %-12s %-9s %8s %4u  "
		    "%s\n", (unsigned long long)a->opened_seq,
		    level_name((int)a->level), kind_name((int)a->kind),
		    scope_name((int)a->scope),
		    *a->region_id ? a->region_id : "NL",
		    *a->request_id ? a->request_id :
		    *a->shelter_id ? a->shelter_id : "-", cat ? cat : "-",
		    agebuf, a->step, acked);
		/* The country is full: where beds could be opened. */
		if (a->names_reserve) {
			printf("       reserve beds to activate: %u within "
			    "24 h, %u within 72 h%s", a->reserve_24h,
			    a->reserve_72h, a->n_reserve_where ? ":" : "");
			for (size_t k = 0; k < a->n_reserve_where; k++)
				printf(" %s %u/%u", a->reserve_where[k]->
				    region_id, a->reserve_where[k]->beds_24h,
				    a->reserve_where[k]->beds_72h);
			printf("\n");
		}
	}
	if (json)
		client_print_json(arr);
	else if (ar->n_alerts == 0)
		printf("no open alerts\n");
}

static void
print_backup(const Shelterd__V1__BackupReply *b, bool json)
{
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "dir", b->dir);
		cJSON_AddNumberToObject(o, "bytes", (double)b->bytes);
		cJSON_AddNumberToObject(o, "last_event_seq",
		    (double)b->last_event_seq);
		cJSON_AddNumberToObject(o, "millis", b->millis);
		client_print_json(o);
		return;
	}
	printf("backup in %s: %" PRIu64 " bytes, up to event_seq %" PRIu64
	    ", %u ms\n", b->dir, b->bytes, b->last_event_seq, b->millis);
}

/*
 * `shelterctl ping`: no answer within the timeout is "down" (the call's
 * own error and exit code); an answer says how long it took and how busy
 * the daemon is, so "slow" is told from "down".
 */
static int
ping(const char *api, int timeout_ms, bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__Ping p = SHELTERD__V1__PING__INIT;
	Shelterd__V1__Reply *reply;
	struct timespec t0, t1;
	const Shelterd__V1__Pong *pong;
	char err[512];
	double ms;
	int rc;

	req.body_case = SHELTERD__V1__REQUEST__BODY_PING;
	req.ping = &p;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: shelterd at %s is down or "
		    "unreachable: %s\n", api, err);
		return rc;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_PONG) {
		fprintf(stderr, "shelterctl: %s (%s)\n", reply->error,
		    client_code_name(reply->code));
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	pong = reply->pong;
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "version", pong->version);
		cJSON_AddNumberToObject(o, "answer_ms", ms);
		cJSON_AddNumberToObject(o, "queued", pong->queued);
		if (pong->last_commit_age_ms < 0)
			cJSON_AddNullToObject(o, "last_commit_age_ms");
		else
			cJSON_AddNumberToObject(o, "last_commit_age_ms",
			    (double)pong->last_commit_age_ms);
		cJSON_AddNumberToObject(o, "last_event_seq",
		    (double)pong->last_event_seq);
		cJSON_AddNumberToObject(o, "uptime_secs",
		    (double)pong->uptime_secs);
		client_print_json(o);
	} else {
		char commit[48];

		if (pong->last_commit_age_ms < 0)
			snprintf(commit, sizeof(commit), "none since start");
		else
			snprintf(commit, sizeof(commit), "%" PRId64 " ms ago",
			    pong->last_commit_age_ms);
		printf("shelterd %s at %s: up, answered in %.1f ms; %u "
		    "requests queued; last commit %s; last event_seq %"
		    PRIu64 "; up %" PRIu64 " s\n", pong->version, api, ms,
		    pong->queued, commit, pong->last_event_seq,
		    pong->uptime_secs);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}

/* `shelterctl reset-seq ID` (docs/operations.md). */
static int
reset_seq(const char *api, int timeout_ms, const char *id, bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ResetSeq rs = SHELTERD__V1__RESET_SEQ__INIT;
	Shelterd__V1__Reply *reply;
	char err[512];
	int rc;

	rs.shelter_id = (char *)id;
	req.body_case = SHELTERD__V1__REQUEST__BODY_RESET_SEQ;
	req.reset_seq = &rs;
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK ||
	    reply->body_case != SHELTERD__V1__REPLY__BODY_RESET_SEQ) {
		fprintf(stderr, "shelterctl: %s (%s)\n", reply->error,
		    client_code_name(reply->code));
		rc = EXIT_REFUSED;
	} else if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "shelter",
		    reply->reset_seq->shelter_id);
		cJSON_AddNumberToObject(o, "previous_seq",
		    (double)reply->reset_seq->previous_seq);
		client_print_json(o);
	} else {
		printf("%s: seq reset (was %" PRIu64 "); its next report is "
		    "accepted whatever its seq\n",
		    reply->reset_seq->shelter_id,
		    reply->reset_seq->previous_seq);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return rc;
}

/* What the command line asks for, besides the command. */
struct opts {
	const char *api;
	long long timeout;
	bool timeout_set, json, regions, dry_run;
	enum registry_table table;    /* --norms, --reserves */
	long long beds;               /* reserve activate; -1: not given */
	const char *until, *reason;
	const char *by;
	struct hist_cli hist;
};

/* The options into o: an exit status, or -1 to go on with the command
 * at argv[optind]. */
static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option lopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "api", required_argument, NULL, 'a' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "by", required_argument, NULL, 'b' },
		{ "key", required_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		HIST_LONG_OPTIONS,
		REGISTRY_LONG_OPTIONS,
		PLAN_LONG_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->api = client_default_api();
	o->timeout = 5000;
	o->beds = -1;
	hist_cli_init(&o->hist);
	while ((c = getopt_long(argc, argv, "ja:T:b:hK:", lopts, NULL)) !=
	    -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'a':
			o->api = optarg;
			break;
		case 'T':
			if ((o->timeout = client_parse_num(optarg,
			    3600000)) < 1) {
				fprintf(stderr, "shelterctl: --timeout must "
				    "be milliseconds\n");
				return EXIT_USAGE;
			}
			o->timeout_set = true;
			break;
		case 'b':
			o->by = optarg;
			break;
		case 'K':
			client_set_key(optarg);
			break;
		case 'h':
			usage(stdout);
			return EXIT_OK;
		case ROPT_REGIONS:
			o->regions = true;
			break;
		case ROPT_DRY_RUN:
			o->dry_run = true;
			break;
		case ROPT_NORMS:
			o->table = TABLE_NORMS;
			break;
		case ROPT_RESERVES:
			o->table = TABLE_RESERVES;
			break;
		case POPT_BEDS:
			if ((o->beds = client_parse_num(optarg,
			    1000000)) < 0) {
				fprintf(stderr, "shelterctl: --beds must be "
				    "a number\n");
				return EXIT_USAGE;
			}
			break;
		case POPT_UNTIL:
			o->until = optarg;
			break;
		case POPT_REASON:
			o->reason = optarg;
			break;
		default:
			/* report and trend have options of their own. */
			if ((rc = hist_cli_option(&o->hist, c, optarg)) == 0)
				break;
			if (rc > 0)
				fprintf(stderr, "Try 'shelterctl --help'.\n");
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "shelterctl: which command? status, shelter "
		    "ID or regions\nTry 'shelterctl --help'.\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* Send req and print the answer to command cmd; returns the exit
 * status. */
static int
call(struct opts *o, const char *cmd, Shelterd__V1__Request *req)
{
	Shelterd__V1__Reply *reply;
	bool json = o->json;
	char err[512];
	int rc;

	if ((rc = client_call(o->api, (int)o->timeout, req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelterctl: %s (%s)\n", reply->error,
		    client_code_name(reply->code));
		rc = EXIT_REFUSED;
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_STATUS) {
		print_status(reply->status, json);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_SHELTER) {
		print_shelter(reply->shelter, json);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_REGIONS) {
		print_regions(reply->regions, json);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_ALERTS) {
		print_alerts(reply->alerts, json);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_PLACEMENTS) {
		print_placements(reply->placements, json);
	} else if (reply->body_case == SHELTERD__V1__REPLY__BODY_BACKUP) {
		print_backup(reply->backup, json);
	} else if (hist_cli_command(cmd)) {
		rc = hist_cli_print(&o->hist, reply, json);
	} else {
		fprintf(stderr, "shelterctl: unexpected answer\n");
		rc = EXIT_REFUSED;
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return rc;
}

/* backup DIR: the request, with DIR made absolute in buf. */
static void
backup_request(struct opts *o, const char *dir, char *buf, size_t size,
    Shelterd__V1__BackupRequest *bq, Shelterd__V1__Request *req)
{
	char cwd[2048];

	/* The daemon wants an absolute path; usually it runs here. */
	if (dir[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL)
		snprintf(buf, size, "%s/%s", cwd, dir);
	else
		snprintf(buf, size, "%s", dir);
	bq->dir = buf;
	req->body_case = SHELTERD__V1__REQUEST__BODY_BACKUP;
	req->backup = bq;
	/* A large store takes a while to copy. */
	if (!o->timeout_set)
		o->timeout = 600000;
}

/* The commands that send their requests and print the answers on their
 * own: the exit status, or -1 when cmd is not one of them. */
static int
run_own(struct opts *o, const char *cmd, int nargs, char **args)
{
	int timeout = (int)o->timeout;
	long long seq;

	if (strcmp(cmd, "export") == 0 && nargs == 0) {
		if (o->json == o->hist.csv) {
			fprintf(stderr, "shelterctl: export needs --csv or "
			    "--json\n");
			return EXIT_USAGE;
		}
		return registry_cli_export(o->api, timeout, o->json,
		    o->regions, o->table);
	} else if (strcmp(cmd, "import") == 0 && nargs == 1) {
		/* The daemon rebuilds every aggregate: give it time. */
		if (!o->timeout_set)
			timeout = 60000;
		return registry_cli_import(o->api, timeout, args[0],
		    o->dry_run, o->json, o->table);
	} else if (strcmp(cmd, "plan") == 0 && nargs == 0) {
		return plan_cli(o->api, timeout, o->hist.region, o->json,
		    o->hist.csv);
	} else if (strcmp(cmd, "reserve") == 0 && nargs == 1 &&
	    strcmp(args[0], "activate") == 0) {
		return reserve_cli(o->api, timeout, o->hist.region,
		    o->hist.category, o->beds, o->until, o->reason, o->json);
	} else if (strcmp(cmd, "reserve") == 0 && nargs == 2 &&
	    strcmp(args[0], "release") == 0) {
		return reserve_release_cli(o->api, timeout, args[1], o->json);
	} else if (strcmp(cmd, "reset-seq") == 0 && nargs == 1) {
		return reset_seq(o->api, timeout, args[0], o->json);
	} else if (strcmp(cmd, "ping") == 0 && nargs == 0) {
		return ping(o->api, timeout, o->json);
	} else if (strcmp(cmd, "ack") == 0 && nargs == 1) {
		if ((seq = client_parse_num(args[0], INT64_MAX)) < 1 ||
		    o->by == NULL) {
			fprintf(stderr, "shelterctl: usage: shelterctl ack "
			    "EVENT_SEQ --by DESK\n");
			return EXIT_USAGE;
		}
		return client_ack(o->api, timeout, (unsigned long long)seq,
		    o->by, o->json, "shelterctl");
	}
	return -1;
}

/* Command cmd with its nargs arguments args; returns the exit status. */
static int
run(struct opts *o, const char *cmd, int nargs, char **args)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__StatusQuery sq = SHELTERD__V1__STATUS_QUERY__INIT;
	Shelterd__V1__ShelterQuery shq = SHELTERD__V1__SHELTER_QUERY__INIT;
	Shelterd__V1__RegionsQuery rq = SHELTERD__V1__REGIONS_QUERY__INIT;
	Shelterd__V1__AlertsQuery aq = SHELTERD__V1__ALERTS_QUERY__INIT;
	Shelterd__V1__PlacementsQuery pq =
	    SHELTERD__V1__PLACEMENTS_QUERY__INIT;
	Shelterd__V1__BackupRequest bq = SHELTERD__V1__BACKUP_REQUEST__INIT;
	char backup_dir[4096];
	int rc;

	if (strcmp(cmd, "status") == 0 && nargs == 0) {
		req.body_case = SHELTERD__V1__REQUEST__BODY_STATUS;
		req.status = &sq;
	} else if (strcmp(cmd, "shelter") == 0 && nargs == 1) {
		shq.shelter_id = args[0];
		req.body_case = SHELTERD__V1__REQUEST__BODY_SHELTER;
		req.shelter = &shq;
	} else if (strcmp(cmd, "regions") == 0 && nargs == 0) {
		req.body_case = SHELTERD__V1__REQUEST__BODY_REGIONS;
		req.regions = &rq;
	} else if (strcmp(cmd, "placements") == 0 && nargs == 0) {
		req.body_case = SHELTERD__V1__REQUEST__BODY_PLACEMENTS;
		req.placements = &pq;
	} else if (strcmp(cmd, "alerts") == 0 && nargs == 0) {
		req.body_case = SHELTERD__V1__REQUEST__BODY_ALERTS;
		req.alerts = &aq;
	} else if (hist_cli_command(cmd) && nargs == 0) {
		if (hist_cli_request(&o->hist, cmd, &req) != 0)
			return EXIT_USAGE;
	} else if (strcmp(cmd, "backup") == 0 && nargs == 1) {
		backup_request(o, args[0], backup_dir, sizeof(backup_dir),
		    &bq, &req);
	} else if ((rc = run_own(o, cmd, nargs, args)) >= 0) {
		return rc;
	} else {
		fprintf(stderr, "shelterctl: unknown command or wrong "
		    "arguments: '%s'\nTry 'shelterctl --help'.\n", cmd);
		return EXIT_USAGE;
	}
	return call(o, cmd, &req);
}

int
main(int argc, char **argv)
{
	struct opts o;
	const char *cmd;
	int rc;

	client_set_prog("shelterctl");
	/* The audit commands read stores and files too: options of their
	 * own. */
	if (argc > 1 && strcmp(argv[1], "audit") == 0)
		return audit_cli(argc - 1, argv + 1);
	if ((rc = parse_args(argc, argv, &o)) >= 0)
		return rc;
	cmd = argv[optind++];
	return run(&o, cmd, argc - optind, argv + optind);
}
