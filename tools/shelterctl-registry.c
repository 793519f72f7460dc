/*
 * shelterctl-registry.c — `shelterctl export` (every shelter's registry
 * entry and live state, or every region's totals, as CSV or JSON) and
 * `shelterctl import FILE` (a new shelter list, from such an export or a
 * registry shelters.csv). docs/registry.md has the formats.
 *
 * The daemon checks an import; this side only turns the file into the
 * registry's CSV with one line per line of the file, so that the line the
 * daemon names is the file's.
 */
#include "shelterctl-registry.h"
#include "shelterctl.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Registry columns of a shelters CSV, in this order. */
#define REGISTRY_HEADER "id,name,region,security_level,beds,deadline_secs"

static int
call(const char *api, int timeout_ms, Shelterd__V1__Request *req,
    Shelterd__V1__Reply **reply)
{
	char err[512];
	int rc;

	if ((rc = client_call(api, timeout_ms, req, reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	if ((*reply)->code != SHELTERD__V1__CODE__CODE_OK) {
		fprintf(stderr, "shelterctl: %s (%s)\n", (*reply)->error,
		    client_code_name((*reply)->code));
		shelterd__v1__reply__free_unpacked(*reply, NULL);
		*reply = NULL;
		return EXIT_REFUSED;
	}
	return EXIT_OK;
}

/* ---- export ---------------------------------------------------------- */

/* "women:12 minors:4", the registry's beds column. */
static void
planned_text(const Shelterd__V1__ShelterReply *sh, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sh->n_planned && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s:%u",
		    i ? " " : "", cat_name((int)sh->planned[i]->category),
		    sh->planned[i]->capacity);
}

static const Shelterd__V1__BedCount *
beds_of(const Shelterd__V1__ShelterReply *sh, int category)
{
	for (size_t i = 0; i < sh->n_beds; i++)
		if ((int)sh->beds[i]->category == category)
			return sh->beds[i];
	return NULL;
}

static void
csv_shelter_header(void)
{
	printf(REGISTRY_HEADER ",status,stale,last_seq,observed_at,"
	    "received_at");
	for (int c = 1; c <= CAT_COUNT; c++)
		printf(",%s_capacity,%s_occupied,%s_out_of_service",
		    cat_name(c), cat_name(c), cat_name(c));
	printf("\n");
}

static void
csv_shelter(const Shelterd__V1__ShelterReply *sh)
{
	char planned[256], seen[32] = "", got[32] = "";

	planned_text(sh, planned, sizeof(planned));
	if (sh->last_seq != 0) {
		client_format_time(sh->observed_at, seen, sizeof(seen));
		client_format_time(sh->received_at, got, sizeof(got));
	}
	printf("%s,%s,%s,%u,%s,", sh->shelter_id, sh->name, sh->region_id,
	    sh->security_level, planned);
	if (sh->deadline_override != 0)
		printf("%u", sh->deadline_override);
	printf(",%s,%s,%" PRIu64 ",%s,%s", sh->last_seq ?
	    status_name((int)sh->status) : "", sh->stale ? "yes" : "no",
	    sh->last_seq, seen, got);
	for (int c = 1; c <= CAT_COUNT; c++) {
		const Shelterd__V1__BedCount *b = beds_of(sh, c);

		if (b != NULL)
			printf(",%u,%u,%u", b->capacity, b->occupied,
			    b->out_of_service);
		else
			printf(",,,");
	}
	printf("\n");
}

/* A region's (rs) or the country's (NULL) totals of one category. */
static cJSON *
export_totals(const Shelterd__V1__RegionStatus *rs,
    const Shelterd__V1__CategoryTotals *t)
{
	cJSON *o = json_totals(t);

	cJSON_AddStringToObject(o, "region", rs ? rs->region_id : "national");
	cJSON_AddStringToObject(o, "name", rs ? rs->name : "national");
	if (rs != NULL) {
		cJSON_AddNumberToObject(o, "shelters", rs->shelters);
		cJSON_AddNumberToObject(o, "shelters_reported",
		    rs->shelters_reported);
		cJSON_AddNumberToObject(o, "shelters_stale",
		    rs->shelters_stale);
	}
	cJSON_AddStringToObject(o, "category", cat_name((int)t->category));
	return o;
}

static void
csv_totals(const Shelterd__V1__RegionStatus *rs,
    const Shelterd__V1__CategoryTotals *t)
{
	if (rs != NULL)
		printf("%s,%s,%u,%u,%u,", rs->region_id, rs->name,
		    rs->shelters, rs->shelters_reported, rs->shelters_stale);
	else
		printf("national,national,,,,");
	printf("%s,%u,%u,%u,%u,%u,%u,%u,%u,%s\n",
	    cat_name((int)t->category), t->capacity, t->occupied,
	    t->out_of_service, t->held, t->free, t->unknown,
	    t->expected_free_24h, t->expected_free_72h,
	    t->level ? level_name((int)t->level) : "ok");
}

/* Region x category rows and the national rows, as CSV or into a JSON
 * array. */
static void
put_regions(const Shelterd__V1__StatusReply *st, cJSON *arr)
{
	if (arr == NULL)
		printf("region,name,shelters,shelters_reported,"
		    "shelters_stale,category,capacity,occupied,"
		    "out_of_service,held,free,unknown,expected_free_24h,"
		    "expected_free_72h,level\n");
	for (size_t r = 0; r < st->n_regions; r++) {
		const Shelterd__V1__RegionStatus *rs = st->regions[r];

		for (size_t c = 0; c < rs->n_totals; c++) {
			if (arr != NULL)
				cJSON_AddItemToArray(arr, export_totals(rs,
				    rs->totals[c]));
			else
				csv_totals(rs, rs->totals[c]);
		}
	}
	for (size_t c = 0; c < st->n_national; c++) {
		if (arr != NULL)
			cJSON_AddItemToArray(arr, export_totals(NULL,
			    st->national[c]));
		else
			csv_totals(NULL, st->national[c]);
	}
}

/* The norms, as the daemon formats them (norms.csv). */
static int
export_norms(const char *api, int timeout_ms, bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ExportQuery eq = SHELTERD__V1__EXPORT_QUERY__INIT;
	Shelterd__V1__Reply *reply = NULL;
	int rc;

	if (json) {
		fprintf(stderr, "shelterctl: norms are exported as CSV "
		    "(norms.csv): use --csv\n");
		return EXIT_USAGE;
	}
	eq.norms = true;
	req.body_case = SHELTERD__V1__REQUEST__BODY_EXPORT_QUERY;
	req.export_query = &eq;
	if ((rc = call(api, timeout_ms, &req, &reply)) != EXIT_OK)
		return rc;
	if (reply->body_case != SHELTERD__V1__REPLY__BODY_EXPORT_PAGE) {
		fprintf(stderr, "shelterctl: unexpected answer\n");
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	fputs(reply->export_page->norms_csv, stdout);
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
registry_cli_export(const char *api, int timeout_ms, bool json,
    bool regions, bool norms)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__StatusQuery sq = SHELTERD__V1__STATUS_QUERY__INIT;
	Shelterd__V1__ExportQuery eq = SHELTERD__V1__EXPORT_QUERY__INIT;
	Shelterd__V1__Reply *reply = NULL;
	cJSON *root = NULL, *shelters = NULL;
	char after[64] = "";
	uint64_t first_seq = 0, last_seq = 0;
	int rc;

	if (norms)
		return export_norms(api, timeout_ms, json);
	if (json || regions) {
		req.body_case = SHELTERD__V1__REQUEST__BODY_STATUS;
		req.status = &sq;
		if ((rc = call(api, timeout_ms, &req, &reply)) != EXIT_OK)
			return rc;
		if (!json) {
			put_regions(reply->status, NULL);
			shelterd__v1__reply__free_unpacked(reply, NULL);
			return EXIT_OK;
		}
		root = cJSON_CreateObject();
		cJSON_AddItemToObject(root, "exported_at",
		    json_time((int64_t)time(NULL)));
		first_seq = reply->status->last_event_seq;
		put_regions(reply->status, cJSON_AddArrayToObject(root,
		    "regions"));
		shelterd__v1__reply__free_unpacked(reply, NULL);
		if (regions) {
			cJSON_AddNumberToObject(root, "last_event_seq",
			    (double)first_seq);
			goto print;
		}
		shelters = cJSON_AddArrayToObject(root, "shelters");
	} else {
		csv_shelter_header();
	}
	/* Pages in id order; each shelter carries the time of its report. */
	req.body_case = SHELTERD__V1__REQUEST__BODY_EXPORT_QUERY;
	req.export_query = &eq;
	for (;;) {
		const Shelterd__V1__ExportPage *page;

		eq.after_shelter_id = after;
		if ((rc = call(api, timeout_ms, &req, &reply)) != EXIT_OK) {
			cJSON_Delete(root);
			return rc;
		}
		page = reply->export_page;
		if (reply->body_case !=
		    SHELTERD__V1__REPLY__BODY_EXPORT_PAGE) {
			fprintf(stderr, "shelterctl: unexpected answer\n");
			shelterd__v1__reply__free_unpacked(reply, NULL);
			cJSON_Delete(root);
			return EXIT_REFUSED;
		}
		if (first_seq == 0)
			first_seq = page->last_event_seq;
		last_seq = page->last_event_seq;
		for (size_t i = 0; i < page->n_shelters; i++) {
			if (shelters != NULL)
				cJSON_AddItemToArray(shelters,
				    json_shelter(page->shelters[i]));
			else
				csv_shelter(page->shelters[i]);
		}
		snprintf(after, sizeof(after), "%s", page->next_after);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		if (after[0] == '\0')
			break;
	}
	if (root != NULL) {
		/* Read page by page: the events the reads fell between. */
		cJSON_AddNumberToObject(root, "first_event_seq",
		    (double)first_seq);
		cJSON_AddNumberToObject(root, "last_event_seq",
		    (double)last_seq);
	}
print:
	if (root != NULL) {
		char *text = cJSON_Print(root);

		if (text != NULL)
			printf("%s\n", text);
		cJSON_free(text);
		cJSON_Delete(root);
	}
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

/* ---- import ---------------------------------------------------------- */

/* A norms file as it is: the daemon's line numbers are the file's. */
static int
import_norms(const char *api, int timeout_ms, const char *path,
    const char *text, bool dry_run, bool json)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__RegistryImport ri = SHELTERD__V1__REGISTRY_IMPORT__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__ImportReply *r;
	char err[512];
	int rc;

	ri.norms_csv = (char *)text;
	ri.shelters_csv = (char *)"";
	ri.dry_run = dry_run;
	ri.source = (char *)path;
	req.body_case = SHELTERD__V1__REQUEST__BODY_REGISTRY_IMPORT;
	req.registry_import = &ri;
	if ((rc = client_call(api, timeout_ms, &req, &reply, err,
	    sizeof(err))) != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		return rc;
	}
	r = reply->body_case == SHELTERD__V1__REPLY__BODY_IMPORT_RESULT ?
	    reply->import_result : NULL;
	if (reply->code != SHELTERD__V1__CODE__CODE_OK || r == NULL) {
		const char *why = reply->error, *colon;

		/* "norms line N: why" is about the file's line N. */
		if (r != NULL && r->error_line > 0 &&
		    (colon = strstr(why, ": ")) != NULL)
			fprintf(stderr, "shelterctl: %s line %u: %s (%s); "
			    "nothing was changed\n", path, r->error_line,
			    colon + 2, client_code_name(reply->code));
		else
			fprintf(stderr, "shelterctl: %s: %s (%s); nothing was "
			    "changed\n", path,
			    *why ? why : "unexpected answer",
			    client_code_name(reply->code));
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "applied", r->applied);
		cJSON_AddNumberToObject(o, "norms", r->norms);
		client_print_json(o);
	} else {
		printf("%s: %u norms%s\n", path, r->norms, r->applied ? "" :
		    " (dry run: nothing changed)");
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}

struct text {
	char *p;
	size_t len, cap;
};

static void
add(struct text *t, const char *s, size_t n)
{
	if (t->len + n + 1 > t->cap) {
		t->cap = (t->len + n + 1) * 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL) {
			fprintf(stderr, "shelterctl: out of memory\n");
			exit(EXIT_UNREACHABLE);
		}
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct text t = { 0 };
	char buf[65536];
	size_t n;

	if (f == NULL)
		return NULL;
	add(&t, "", 0);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		add(&t, buf, n);
	if (ferror(f)) {
		fclose(f);
		free(t.p);
		return NULL;
	}
	fclose(f);
	*len = t.len;
	return t.p;
}

/*
 * A CSV file (an export, or a registry shelters.csv): its first six
 * columns, line for line (comments and blank lines stay blank lines).
 */
static int
csv_to_registry(const char *path, char *text, struct text *out)
{
	unsigned no = 0;

	for (char *line = text, *next; line != NULL; line = next) {
		char *nl = strchr(line, '\n');
		size_t n;
		int commas = 0;

		next = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		no++;
		n = strlen(line);
		if (n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (next == NULL && n == 0)
			break;
		if (n == 0 || line[0] == '#') {
			add(out, "\n", 1);
			continue;
		}
		if (strchr(line, '"') != NULL) {
			fprintf(stderr, "shelterctl: %s line %u: quotes are "
			    "not allowed (registry fields have no commas)\n",
			    path, no);
			return -1;
		}
		/* Keep at most six fields: the registry's. */
		for (size_t i = 0; i < n; i++)
			if (line[i] == ',' && ++commas == 6) {
				line[i] = '\0';
				n = i;
				break;
			}
		if (strncmp(line, "id,", 3) == 0)
			add(out, REGISTRY_HEADER, strlen(REGISTRY_HEADER));
		else
			add(out, line, n);
		add(out, "\n", 1);
	}
	return 0;
}

/* The lines of the first n `"shelter":` keys (an older export's `"id":`)
 * of a JSON text, in one pass: one per shelter object in an export. 0
 * where there are fewer. */
static void
json_id_lines(const char *text, unsigned *lines, size_t n)
{
	unsigned line = 1;
	size_t k = 0;

	for (const char *p = text; *p && k < n; p++) {
		if (*p == '\n') {
			line++;
			continue;
		}
		size_t klen = strncmp(p, "\"shelter\"", 9) == 0 ? 9 :
		    strncmp(p, "\"id\"", 4) == 0 ? 4 : 0;

		if (*p == '"' && klen > 0) {
			const char *q = p + klen;

			while (*q == ' ' || *q == '\t')
				q++;
			if (*q == ':')
				lines[k++] = line;
		}
	}
}

static bool
field_ok(const char *s)
{
	return s != NULL && strpbrk(s, ",\n\r\"") == NULL;
}

/*
 * A JSON export: its shelters as registry lines, line k+2 for
 * shelters[k] (line 1 is the header); lines[k] is its line in the file.
 */
static int
json_to_registry(const char *path, const char *text, struct text *out,
    unsigned **lines, size_t *n_lines)
{
	cJSON *root = cJSON_Parse(text), *arr, *sh;
	size_t k = 0;
	char buf[1024];

	if (root == NULL) {
		const char *at = cJSON_GetErrorPtr();
		unsigned line = 1;

		for (const char *p = text; at != NULL && p < at && *p; p++)
			line += *p == '\n';
		fprintf(stderr, "shelterctl: %s line %u: not valid JSON\n",
		    path, line);
		return -1;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "shelters");
	if (!cJSON_IsArray(arr)) {
		fprintf(stderr, "shelterctl: %s: no \"shelters\" array (an "
		    "export made with shelterctl export --json)\n", path);
		cJSON_Delete(root);
		return -1;
	}
	*n_lines = (size_t)cJSON_GetArraySize(arr);
	*lines = calloc(*n_lines + 1, sizeof(**lines));
	if (*lines == NULL) {
		cJSON_Delete(root);
		return -1;
	}
	json_id_lines(text, *lines, *n_lines);
	add(out, REGISTRY_HEADER "\n", strlen(REGISTRY_HEADER) + 1);
	cJSON_ArrayForEach(sh, arr) {
		/* An older export said "id" and "deadline_secs" for what
		 * is now "shelter" and "deadline_override". */
		const cJSON *id = cJSON_HasObjectItem(sh, "shelter") ?
		    cJSON_GetObjectItemCaseSensitive(sh, "shelter") :
		    cJSON_GetObjectItemCaseSensitive(sh, "id");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(sh,
		    "name");
		const cJSON *region = cJSON_GetObjectItemCaseSensitive(sh,
		    "region");
		const cJSON *sec = cJSON_GetObjectItemCaseSensitive(sh,
		    "security_level");
		const cJSON *planned = cJSON_GetObjectItemCaseSensitive(sh,
		    "planned");
		const cJSON *deadline = cJSON_GetObjectItemCaseSensitive(sh,
		    cJSON_HasObjectItem(sh, "shelter") ? "deadline_override" :
		    "deadline_secs");
		const cJSON *c;
		size_t n = 0;

		if (!cJSON_IsString(id) || !field_ok(id->valuestring) ||
		    !cJSON_IsString(name) || !field_ok(name->valuestring) ||
		    !cJSON_IsString(region) ||
		    !field_ok(region->valuestring) || !cJSON_IsNumber(sec) ||
		    !cJSON_IsObject(planned) || (deadline != NULL &&
		    !cJSON_IsNull(deadline) && !cJSON_IsNumber(deadline))) {
			fprintf(stderr, "shelterctl: %s line %u (shelters[%zu]"
			    "): needs shelter, name and region (strings "
			    "without commas), security_level, planned "
			    "{category: beds} and deadline_override (a number "
			    "or null)\n",
			    path, (*lines)[k], k);
			cJSON_Delete(root);
			return -1;
		}
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s,%s,%s,%d,",
		    id->valuestring, name->valuestring, region->valuestring,
		    sec->valueint);
		cJSON_ArrayForEach(c, planned) {
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s%s:%d", c == planned->child ? "" : " ",
				    c->string, cJSON_IsNumber(c) ? c->valueint :
				    -1);
		}
		if (n < sizeof(buf))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ",");
		if (n < sizeof(buf) && cJSON_IsNumber(deadline))
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%d",
			    deadline->valueint);
		if (n >= sizeof(buf) - 1) {
			fprintf(stderr, "shelterctl: %s line %u: entry too "
			    "long\n", path, (*lines)[k]);
			cJSON_Delete(root);
			return -1;
		}
		add(out, buf, n);
		add(out, "\n", 1);
		k++;
	}
	cJSON_Delete(root);
	return 0;
}

static void
print_ids(const char *what, char **ids, size_t n, uint32_t total)
{
	if (n == 0)
		return;
	printf("  %s:", what);
	for (size_t i = 0; i < n; i++)
		printf(" %s", ids[i]);
	if (total > n)
		printf(" (and %u more)", (unsigned)(total - n));
	printf("\n");
}

int
registry_cli_import(const char *api, int timeout_ms, const char *path,
    bool dry_run, bool json, bool norms)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__RegistryImport ri = SHELTERD__V1__REGISTRY_IMPORT__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__ImportReply *r;
	struct text csv = { 0 };
	unsigned *lines = NULL;
	size_t n_lines = 0, len;
	const char *p;
	char *text = read_file(path, &len), err[512];
	int rc;

	if (text == NULL) {
		fprintf(stderr, "shelterctl: %s: %s\n", path, strerror(errno));
		return EXIT_USAGE;
	}
	if (strlen(text) != len) {
		fprintf(stderr, "shelterctl: %s: not a text file\n", path);
		free(text);
		return EXIT_USAGE;
	}
	if (norms) {
		rc = import_norms(api, timeout_ms, path, text, dry_run, json);
		free(text);
		return rc;
	}
	for (p = text; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
	    p++)
		;
	add(&csv, "", 0);
	rc = *p == '{' ? json_to_registry(path, text, &csv, &lines, &n_lines) :
	    csv_to_registry(path, text, &csv);
	free(text);
	if (rc != 0) {
		free(csv.p);
		free(lines);
		return EXIT_USAGE;
	}
	ri.shelters_csv = csv.p;
	ri.dry_run = dry_run;
	ri.source = (char *)path;
	req.body_case = SHELTERD__V1__REQUEST__BODY_REGISTRY_IMPORT;
	req.registry_import = &ri;
	rc = client_call(api, timeout_ms, &req, &reply, err, sizeof(err));
	free(csv.p);
	if (rc != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		free(lines);
		return rc;
	}
	r = reply->body_case == SHELTERD__V1__REPLY__BODY_IMPORT_RESULT ?
	    reply->import_result : NULL;
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		const char *why = reply->error;
		unsigned line = r ? r->error_line : 0;
		const char *colon;

		/* "shelters line N: why" is about our line N. */
		if (line > 0 && (colon = strstr(why, ": ")) != NULL)
			why = colon + 2;
		if (line > 0 && lines != NULL)
			line = line >= 2 && line - 2 < n_lines ?
			    lines[line - 2] : 0;
		if (line > 0)
			fprintf(stderr, "shelterctl: %s line %u: %s (%s); "
			    "nothing was changed\n", path, line, why,
			    client_code_name(reply->code));
		else
			fprintf(stderr, "shelterctl: %s: %s (%s); nothing was "
			    "changed\n", path, why,
			    client_code_name(reply->code));
		shelterd__v1__reply__free_unpacked(reply, NULL);
		free(lines);
		return EXIT_REFUSED;
	}
	free(lines);
	if (r == NULL) {
		fprintf(stderr, "shelterctl: unexpected answer\n");
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	if (json) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddBoolToObject(o, "applied", r->applied);
		cJSON_AddNumberToObject(o, "added", r->added);
		cJSON_AddNumberToObject(o, "removed", r->removed);
		cJSON_AddNumberToObject(o, "changed", r->changed);
		cJSON_AddNumberToObject(o, "unchanged", r->unchanged);
		cJSON_AddItemToObject(o, "added_ids", cJSON_CreateStringArray(
		    (const char *const *)r->added_ids, (int)r->n_added_ids));
		cJSON_AddItemToObject(o, "removed_ids",
		    cJSON_CreateStringArray((const char *const *)
		    r->removed_ids, (int)r->n_removed_ids));
		cJSON_AddItemToObject(o, "changed_ids",
		    cJSON_CreateStringArray((const char *const *)
		    r->changed_ids, (int)r->n_changed_ids));
		client_print_json(o);
	} else {
		printf("%s: %u added, %u removed, %u changed, %u unchanged%s\n",
		    path, r->added, r->removed, r->changed, r->unchanged,
		    r->applied ? "" : " (dry run: nothing changed)");
		print_ids("added", r->added_ids, r->n_added_ids, r->added);
		print_ids("removed", r->removed_ids, r->n_removed_ids,
		    r->removed);
		print_ids("changed", r->changed_ids, r->n_changed_ids,
		    r->changed);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return EXIT_OK;
}
