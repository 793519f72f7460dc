/*
 * shelterctl-registry.c — `shelterctl export` (every shelter's registry
 * entry and live state, or every region's totals, as CSV or JSON) and
 * `shelterctl import FILE` (a new shelter list, from such an export or a
 * registry shelters.csv). docs/registry.md has the formats.
 *
 * The daemon checks an import; this side reads the file (core/csvio.c: a
 * spreadsheet's byte-order mark, ';' or ',', quoted fields) and sends its
 * registry columns as the registry's CSV, each record on the line it had
 * in the file, so that the line the daemon names is the file's.
 */
#include "shelterctl-registry.h"
#include "shelterctl.h"
#include "csvio.h"

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

/* One record to stdout, quoted where a field needs it. */
static void
put_row(const char *const *fields, size_t n)
{
	if (csvio_write_row(stdout, ',', fields, n) != 0) {
		fprintf(stderr, "shelterctl: stdout: %s\n", strerror(errno));
		exit(EXIT_USAGE);
	}
}

enum { SHELTER_COLS = 11 + 3 * CAT_COUNT, NUM = 24 };

static void
csv_shelter_header(void)
{
	const char *f[SHELTER_COLS] = { "id", "name", "region",
		"security_level", "beds", "deadline_secs", "status", "stale",
		"last_seq", "observed_at", "received_at" };
	char names[3 * CAT_COUNT][48];

	for (int c = 1; c <= CAT_COUNT; c++) {
		static const char *const what[3] = { "capacity", "occupied",
			"out_of_service" };

		for (int k = 0; k < 3; k++) {
			char *n = names[3 * (c - 1) + k];

			snprintf(n, sizeof(names[0]), "%s_%s", cat_name(c),
			    what[k]);
			f[11 + 3 * (c - 1) + k] = n;
		}
	}
	put_row(f, SHELTER_COLS);
}

static void
csv_shelter(const Shelterd__V1__ShelterReply *sh)
{
	char planned[256], seen[32] = "", got[32] = "";
	char num[3 + 3 * CAT_COUNT][NUM];
	const char *f[SHELTER_COLS];

	planned_text(sh, planned, sizeof(planned));
	if (sh->last_seq != 0) {
		client_format_time(sh->observed_at, seen, sizeof(seen));
		client_format_time(sh->received_at, got, sizeof(got));
	}
	snprintf(num[0], NUM, "%u", sh->security_level);
	num[1][0] = '\0';
	if (sh->deadline_override != 0)
		snprintf(num[1], NUM, "%u", sh->deadline_override);
	snprintf(num[2], NUM, "%" PRIu64, sh->last_seq);
	f[0] = sh->shelter_id;
	f[1] = sh->name;
	f[2] = sh->region_id;
	f[3] = num[0];
	f[4] = planned;
	f[5] = num[1];
	f[6] = sh->last_seq ? status_name((int)sh->status) : "";
	f[7] = sh->stale ? "yes" : "no";
	f[8] = num[2];
	f[9] = seen;
	f[10] = got;
	for (int c = 1; c <= CAT_COUNT; c++) {
		const Shelterd__V1__BedCount *b = beds_of(sh, c);
		const uint32_t v[3] = { b ? b->capacity : 0,
			b ? b->occupied : 0, b ? b->out_of_service : 0 };

		for (int k = 0; k < 3; k++) {
			char *n = num[3 + 3 * (c - 1) + k];

			/* Empty for a category the shelter does not have. */
			n[0] = '\0';
			if (b != NULL)
				snprintf(n, NUM, "%u", v[k]);
			f[11 + 3 * (c - 1) + k] = n;
		}
	}
	put_row(f, SHELTER_COLS);
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
	uint32_t v[11] = { 0, 0, 0, t->capacity, t->occupied,
		t->out_of_service, t->held, t->free, t->unknown,
		t->expected_free_24h, t->expected_free_72h };
	char num[11][NUM];
	const char *f[15];

	if (rs != NULL) {
		v[0] = rs->shelters;
		v[1] = rs->shelters_reported;
		v[2] = rs->shelters_stale;
	}
	for (int i = 0; i < 11; i++)
		snprintf(num[i], NUM, "%u", v[i]);
	f[0] = rs ? rs->region_id : "national";
	f[1] = rs ? rs->name : "national";
	for (int i = 0; i < 3; i++)
		f[2 + i] = rs ? num[i] : "";
	f[5] = cat_name((int)t->category);
	for (int i = 3; i < 11; i++)
		f[3 + i] = num[i];
	f[14] = t->level ? level_name((int)t->level) : "ok";
	put_row(f, 15);
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

/* The norms (norms.csv) or the reserves in force (reserves.csv with a
 * source column), as the daemon formats them. */
static int
export_table(const char *api, int timeout_ms, bool json,
    enum registry_table table)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__ExportQuery eq = SHELTERD__V1__EXPORT_QUERY__INIT;
	Shelterd__V1__Reply *reply = NULL;
	const char *what = table == TABLE_NORMS ? "norms" : "reserves";
	int rc;

	if (json) {
		fprintf(stderr, "shelterctl: %s are exported as CSV "
		    "(%s.csv): use --csv\n", what, what);
		return EXIT_USAGE;
	}
	eq.norms = table == TABLE_NORMS;
	eq.reserves = table == TABLE_RESERVES;
	req.body_case = SHELTERD__V1__REQUEST__BODY_EXPORT_QUERY;
	req.export_query = &eq;
	if ((rc = call(api, timeout_ms, &req, &reply)) != EXIT_OK)
		return rc;
	if (reply->body_case != SHELTERD__V1__REPLY__BODY_EXPORT_PAGE) {
		fprintf(stderr, "shelterctl: unexpected answer\n");
		shelterd__v1__reply__free_unpacked(reply, NULL);
		return EXIT_REFUSED;
	}
	fputs(table == TABLE_NORMS ? reply->export_page->norms_csv :
	    reply->export_page->reserves_csv, stdout);
	shelterd__v1__reply__free_unpacked(reply, NULL);
	return fflush(stdout) == 0 ? EXIT_OK : EXIT_USAGE;
}

int
registry_cli_export(const char *api, int timeout_ms, bool json,
    bool regions, enum registry_table table)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__StatusQuery sq = SHELTERD__V1__STATUS_QUERY__INIT;
	Shelterd__V1__ExportQuery eq = SHELTERD__V1__EXPORT_QUERY__INIT;
	Shelterd__V1__Reply *reply = NULL;
	cJSON *root = NULL, *shelters = NULL;
	char after[64] = "";
	uint64_t first_seq = 0, last_seq = 0;
	int rc;

	if (table != TABLE_SHELTERS)
		return export_table(api, timeout_ms, json, table);
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

/* A norms or reserves file as it is: the daemon's line numbers are the
 * file's. */
static int
import_table(const char *api, int timeout_ms, const char *path,
    const char *text, bool dry_run, bool json, enum registry_table table)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__RegistryImport ri = SHELTERD__V1__REGISTRY_IMPORT__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__ImportReply *r;
	char err[512];
	int rc;

	if (table == TABLE_NORMS)
		ri.norms_csv = (char *)text;
	else
		ri.reserves_csv = (char *)text;
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

		/* "norms line N: why" (or "reserves line N") is about the
		 * file's line N. */
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
		if (table == TABLE_NORMS)
			cJSON_AddNumberToObject(o, "norms", r->norms);
		else
			cJSON_AddNumberToObject(o, "reserves", r->reserves);
		client_print_json(o);
	} else if (table == TABLE_NORMS) {
		printf("%s: %u norms%s\n", path, r->norms, r->applied ? "" :
		    " (dry run: nothing changed)");
	} else {
		printf("%s: %u reserve rows of the registry%s\n", path,
		    r->reserves, r->applied ? "" :
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

/* "separated by ';' (semicolon), a UTF-8 byte-order mark skipped" */
static void
how_read(const struct csvio_table *t, char *buf, size_t len)
{
	snprintf(buf, len, "CSV separated by %s%s", csvio_sep_name(t->sep),
	    t->bom ? ", a UTF-8 byte-order mark skipped" : "");
}

/*
 * A CSV file (an export, or a registry shelters.csv) into *t, and its
 * first six columns to out as the registry's CSV, each record on the line
 * where it starts in the file (blank lines in between).
 */
static int
csv_to_registry(const char *path, const char *text, size_t len,
    struct csvio_table *t, FILE *out)
{
	char err[256], how[128];
	unsigned line = 1; /* of out */

	if (csvio_read(t, text, len, CSVIO_COMMENTS, err, sizeof(err)) != 0) {
		how_read(t, how, sizeof(how));
		fprintf(stderr, "shelterctl: %s %s; nothing was changed; "
		    "read as %s\n", path, err, how);
		return -1;
	}
	for (size_t k = 0; k < t->n_rows; k++) {
		const struct csvio_row *r = &t->rows[k];
		size_t n = r->n_fields < 6 ? r->n_fields : 6;

		if (r->n_fields < 5) {
			how_read(t, how, sizeof(how));
			fprintf(stderr, "shelterctl: %s line %u, column %u: "
			    "expected at least 5 fields (" REGISTRY_HEADER
			    "), found %zu; nothing was changed; read as %s\n",
			    path, r->end_line,
			    r->end_column, r->n_fields, how);
			return -1;
		}
		for (; line < r->line; line++)
			fputc('\n', out);
		if (csvio_write_row(out, ',', (const char *const *)r->fields,
		    n) != 0)
			return -1;
		line++;
		for (size_t i = 0; i < n; i++)
			for (const char *c = r->fields[i]; *c; c++)
				line += *c == '\n';
	}
	return 0;
}

/*
 * Where the file has the field the daemon names at line, col of the text
 * it was sent: the same field of the record on the same line. 0 when
 * unknown.
 */
static void
file_position(const struct csvio_table *file, const char *sent,
    unsigned line, unsigned col, unsigned *fline, unsigned *fcol)
{
	struct csvio_table t;
	char err[64];

	*fline = *fcol = 0;
	if (csvio_read(&t, sent, strlen(sent), CSVIO_COMMENTS, err,
	    sizeof(err)) != 0)
		return;
	for (size_t k = 0; k < t.n_rows && *fline == 0; k++) {
		const struct csvio_row *r = &t.rows[k];

		for (size_t i = 0; i < r->n_fields; i++) {
			if (r->lines[i] != line || r->columns[i] != col)
				continue;
			for (size_t j = 0; j < file->n_rows; j++) {
				const struct csvio_row *f = &file->rows[j];

				if (f->line == r->line && i < f->n_fields) {
					*fline = f->lines[i];
					*fcol = f->columns[i];
				}
			}
			break;
		}
	}
	csvio_free(&t);
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

/* One line per shelter: the daemon's line k+2 is shelters[k]. */
static bool
field_ok(const char *s)
{
	return s != NULL && strpbrk(s, "\n\r") == NULL;
}

/*
 * A JSON export: its shelters as registry lines, line k+2 for
 * shelters[k] (line 1 is the header); lines[k] is its line in the file.
 */
static int
json_to_registry(const char *path, const char *text, FILE *out,
    unsigned **lines, size_t *n_lines)
{
	static const char *const header[] = { "id", "name", "region",
		"security_level", "beds", "deadline_secs" };
	cJSON *root = cJSON_Parse(text), *arr, *sh;
	size_t k = 0;
	char buf[512], sec[24], dl[24];

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
	csvio_write_row(out, ',', header, 6);
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
		const cJSON *sec_item = cJSON_GetObjectItemCaseSensitive(sh,
		    "security_level");
		const cJSON *planned = cJSON_GetObjectItemCaseSensitive(sh,
		    "planned");
		const cJSON *deadline = cJSON_GetObjectItemCaseSensitive(sh,
		    cJSON_HasObjectItem(sh, "shelter") ? "deadline_override" :
		    "deadline_secs");
		const cJSON *c;
		const char *f[6];
		size_t n = 0;

		if (!cJSON_IsString(id) || !field_ok(id->valuestring) ||
		    !cJSON_IsString(name) || !field_ok(name->valuestring) ||
		    !cJSON_IsString(region) ||
		    !field_ok(region->valuestring) ||
		    !cJSON_IsNumber(sec_item) ||
		    !cJSON_IsObject(planned) || (deadline != NULL &&
		    !cJSON_IsNull(deadline) && !cJSON_IsNumber(deadline))) {
			fprintf(stderr, "shelterctl: %s line %u (shelters[%zu]"
			    "): needs shelter, name and region (strings "
			    "without line breaks), security_level, planned "
			    "{category: beds} and deadline_override (a number "
			    "or null)\n",
			    path, (*lines)[k], k);
			cJSON_Delete(root);
			return -1;
		}
		buf[0] = '\0';
		cJSON_ArrayForEach(c, planned) {
			if (n < sizeof(buf))
				n += (size_t)snprintf(buf + n, sizeof(buf) - n,
				    "%s%s:%d", c == planned->child ? "" : " ",
				    c->string, cJSON_IsNumber(c) ? c->valueint :
				    -1);
		}
		if (n >= sizeof(buf) - 1) {
			fprintf(stderr, "shelterctl: %s line %u: entry too "
			    "long\n", path, (*lines)[k]);
			cJSON_Delete(root);
			return -1;
		}
		snprintf(sec, sizeof(sec), "%d", sec_item->valueint);
		dl[0] = '\0';
		if (cJSON_IsNumber(deadline))
			snprintf(dl, sizeof(dl), "%d", deadline->valueint);
		f[0] = id->valuestring;
		f[1] = name->valuestring;
		f[2] = region->valuestring;
		f[3] = sec;
		f[4] = buf;
		f[5] = dl;
		csvio_write_row(out, ',', f, 6);
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

/* What a file is, once read: the daemon's lines and columns are the
 * file's through it. */
struct source {
	const char *path;
	bool is_csv;
	struct csvio_table table; /* a CSV file's records */
	unsigned *lines;          /* a JSON file's line of shelters[k] */
	size_t n_lines;
	char *sent;               /* the registry CSV sent */
};

/* The refusal of an import, with the file's line (and column). */
static void
print_refusal(const struct source *src, const Shelterd__V1__Reply *reply,
    const Shelterd__V1__ImportReply *r)
{
	const char *why = reply->error, *colon;
	unsigned line = r ? r->error_line : 0, col = 0, l, c;
	char how[128] = "";
	int off = 0;

	/* "shelters line N[, column C]: why" is about the sent line N. */
	if (line > 0 && sscanf(why, "shelters line %u, column %u: %n", &l,
	    &c, &off) == 2 && off > 0 && src->is_csv)
		file_position(&src->table, src->sent, l, c, &line, &col);
	if (line > 0 && (colon = strstr(why, ": ")) != NULL)
		why = colon + 2;
	if (line > 0 && !src->is_csv)
		line = line >= 2 && line - 2 < src->n_lines ?
		    src->lines[line - 2] : 0;
	if (src->is_csv)
		how_read(&src->table, how, sizeof(how));
	if (line > 0 && col > 0)
		fprintf(stderr, "shelterctl: %s line %u, column %u: %s (%s); "
		    "nothing was changed%s%s\n", src->path, line, col, why,
		    client_code_name(reply->code), how[0] ? "; read as " : "",
		    how);
	else if (line > 0)
		fprintf(stderr, "shelterctl: %s line %u: %s (%s); nothing was "
		    "changed\n", src->path, line, why,
		    client_code_name(reply->code));
	else
		fprintf(stderr, "shelterctl: %s: %s (%s); nothing was "
		    "changed\n", src->path, why,
		    client_code_name(reply->code));
}

/* Read path into src->sent (the registry CSV to send). */
static int
read_source(struct source *src)
{
	size_t len, sent_len = 0;
	const char *p;
	char *text = read_file(src->path, &len);
	FILE *out;
	int rc;

	if (text == NULL) {
		fprintf(stderr, "shelterctl: %s: %s\n", src->path,
		    strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		fprintf(stderr, "shelterctl: %s: not a text file\n",
		    src->path);
		free(text);
		return -1;
	}
	for (p = text; *p == ' ' || *p == '\t' || *p == '\r' || *p == '\n';
	    p++)
		;
	if ((out = open_memstream(&src->sent, &sent_len)) == NULL) {
		fprintf(stderr, "shelterctl: out of memory\n");
		free(text);
		return -1;
	}
	src->is_csv = *p != '{';
	rc = src->is_csv ? csv_to_registry(src->path, text, len,
	    &src->table, out) : json_to_registry(src->path, text, out,
	    &src->lines, &src->n_lines);
	if (fclose(out) != 0 || src->sent == NULL) {
		fprintf(stderr, "shelterctl: out of memory\n");
		rc = -1;
	}
	free(text);
	return rc;
}

static void
source_free(struct source *src)
{
	csvio_free(&src->table);
	free(src->lines);
	free(src->sent);
}

/* import --norms or --reserves: the file as it is; the daemon reads it
 * as the registry's norms.csv or reserves.csv and names the line that
 * is wrong. */
static int
import_table_file(const char *api, int timeout_ms, const char *path,
    bool dry_run, bool json, enum registry_table table)
{
	size_t len;
	char *text = read_file(path, &len);
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
	rc = import_table(api, timeout_ms, path, text, dry_run, json, table);
	free(text);
	return rc;
}

int
registry_cli_import(const char *api, int timeout_ms, const char *path,
    bool dry_run, bool json, enum registry_table table)
{
	Shelterd__V1__Request req = SHELTERD__V1__REQUEST__INIT;
	Shelterd__V1__RegistryImport ri = SHELTERD__V1__REGISTRY_IMPORT__INIT;
	Shelterd__V1__Reply *reply;
	const Shelterd__V1__ImportReply *r;
	struct source src = { .path = path };
	char err[512], how[128] = "";
	int rc;

	if (table != TABLE_SHELTERS)
		return import_table_file(api, timeout_ms, path, dry_run,
		    json, table);
	if (read_source(&src) != 0) {
		source_free(&src);
		return EXIT_USAGE;
	}
	ri.shelters_csv = src.sent;
	ri.dry_run = dry_run;
	ri.source = (char *)path;
	req.body_case = SHELTERD__V1__REQUEST__BODY_REGISTRY_IMPORT;
	req.registry_import = &ri;
	rc = client_call(api, timeout_ms, &req, &reply, err, sizeof(err));
	if (rc != EXIT_OK) {
		fprintf(stderr, "shelterctl: %s\n", err);
		source_free(&src);
		return rc;
	}
	r = reply->body_case == SHELTERD__V1__REPLY__BODY_IMPORT_RESULT ?
	    reply->import_result : NULL;
	if (reply->code != SHELTERD__V1__CODE__CODE_OK) {
		print_refusal(&src, reply, r);
		shelterd__v1__reply__free_unpacked(reply, NULL);
		source_free(&src);
		return EXIT_REFUSED;
	}
	if (src.is_csv)
		how_read(&src.table, how, sizeof(how));
	if (r == NULL) {
		fprintf(stderr, "shelterctl: unexpected answer\n");
		shelterd__v1__reply__free_unpacked(reply, NULL);
		source_free(&src);
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
		if (src.is_csv) {
			char sep[2] = { src.table.sep, '\0' };

			cJSON_AddStringToObject(o, "separator", sep);
			cJSON_AddBoolToObject(o, "byte_order_mark",
			    src.table.bom);
		}
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
		if (how[0] != '\0')
			printf("  read as %s\n", how);
	}
	shelterd__v1__reply__free_unpacked(reply, NULL);
	source_free(&src);
	return EXIT_OK;
}
