#include "benchlib.h"
#include "load.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t
bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t
bench_wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000;
}

/* ---- histogram ------------------------------------------------------- */

static size_t
hist_index(uint64_t v)
{
	unsigned e, shift;

	if (v < 128)
		return (size_t)v;
	e = 63u - (unsigned)__builtin_clzll(v);   /* 7..63 */
	shift = e - 6;                            /* v >> shift in 64..127 */
	return 128 + (size_t)(e - 7) * 64 + (size_t)((v >> shift) - 64);
}

/* The middle of a bucket: halves the worst-case error. */
static uint64_t
hist_value(size_t idx)
{
	size_t k;
	unsigned e, shift;

	if (idx < 128)
		return idx;
	k = idx - 128;
	e = (unsigned)(k / 64) + 7;
	shift = e - 6;
	return ((uint64_t)(k % 64 + 64) << shift) +
	    (((uint64_t)1 << shift) - 1) / 2;
}

void
hist_init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void
hist_add(struct hist *h, uint64_t v)
{
	h->b[hist_index(v)]++;
	h->n++;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void
hist_merge(struct hist *dst, const struct hist *src)
{
	for (size_t i = 0; i < HIST_BUCKETS; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t
hist_pct(const struct hist *h, double p)
{
	uint64_t rank, seen = 0;

	if (h->n == 0)
		return 0;
	/* The smallest value with at least p % of the samples at or below
	 * it: the usual "nearest rank" definition. */
	rank = (uint64_t)ceil(p / 100.0 * (double)h->n);
	if (rank < 1)
		rank = 1;
	for (size_t i = 0; i < HIST_BUCKETS; i++) {
		seen += h->b[i];
		if (seen >= rank) {
			uint64_t v = hist_value(i);

			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- /proc ----------------------------------------------------------- */

/* utime + stime in clock ticks, and the parent pid; -1 when gone. */
static int
proc_stat(pid_t pid, unsigned long long *ticks, long *ppid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and ')': fields start after the
	 * last ')'. Then: state ppid pgrp session tty tpgid flags minflt
	 * cminflt majflt cmajflt utime stime. */
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	if (sscanf(p + 1, " %*c %ld %*d %*d %*d %*d %*u %*u %*u %*u %*u "
	    "%llu %llu", ppid, &ut, &st) != 3)
		return -1;
	*ticks = ut + st;
	return 0;
}

double
bench_proc_cpu(pid_t pid, bool children)
{
	unsigned long long ticks, total;
	long ppid, hz = sysconf(_SC_CLK_TCK);
	struct dirent *de;
	DIR *d;

	if (proc_stat(pid, &total, &ppid) != 0)
		return -1;
	if (children && (d = opendir("/proc")) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (!isdigit((unsigned char)de->d_name[0]))
				continue;
			if (proc_stat((pid_t)atol(de->d_name), &ticks,
			    &ppid) == 0 && ppid == (long)pid)
				total += ticks;
		}
		closedir(d);
	}
	return (double)total / (double)(hz > 0 ? hz : 100);
}

long long
bench_proc_status_kb(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kb = atoll(line + flen + 1);
			break;
		}
	fclose(f);
	return kb;
}

/* ---- arguments ------------------------------------------------------- */

int
bench_arg_u64(const char *prog, const char *flag, const char *s,
    uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = isdigit((unsigned char)*s) ? strtoull(s, &end, 10) : 0;
	if (!isdigit((unsigned char)*s) || errno != 0 || *end != '\0' ||
	    v < min || v > max) {
		fprintf(stderr, "%s: %s: '%s' is not a whole number from %llu "
		    "to %llu\n", prog, flag, s, (unsigned long long)min,
		    (unsigned long long)max);
		return -1;
	}
	*out = v;
	return 0;
}

int
bench_arg_secs(const char *prog, const char *flag, const char *s,
    double min, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v >= min) ||
	    !(v <= max)) {
		fprintf(stderr, "%s: %s: '%s' is not a number of seconds from "
		    "%g to %g\n", prog, flag, s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

/* ---- registry -------------------------------------------------------- */

int
bench_load_registry(const char *dir, struct registry *reg, char *err,
    size_t errlen)
{
	return registry_load_dir(reg, dir, err, errlen);
}

int
bench_gen_registry(const char *dir, size_t n, unsigned regions, char *err,
    size_t errlen)
{
	char path[4096];
	uint64_t rng = 0x5eed5eed5eedULL; /* same registry for the same n */
	FILE *f;
	int bad;

	/* mkdir -p */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "cannot create %s: %s", path,
			    strerror(errno));
			return -1;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	snprintf(path, sizeof(path), "%s/regions.csv", dir);
	if ((f = fopen(path, "w")) == NULL)
		goto io;
	fprintf(f, "code,name,province,seat,lat,lon,neighbours\n");
	for (unsigned r = 1; r <= regions; r++) {
		/* A ring: each region borders the one before and after. */
		unsigned prev = r == 1 ? regions : r - 1;
		unsigned next = r == regions ? 1 : r + 1;

		fprintf(f, "VR%02u,Region %02u,Province %02u,Seat %02u,"
		    "%.2f,%.2f,", r, r, r, r, 50.0 + r * 0.1, 4.0 + r * 0.1);
		if (regions >= 2)
			fprintf(f, "VR%02u", next);
		if (regions >= 3)
			fprintf(f, " VR%02u", prev);
		fprintf(f, "\n");
	}
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		goto io;

	snprintf(path, sizeof(path), "%s/shelters.csv", dir);
	if ((f = fopen(path, "w")) == NULL)
		goto io;
	fprintf(f, "id,name,region,security_level,beds\n");
	for (size_t i = 1; i <= n; i++) {
		uint64_t x = bench_rand(&rng);
		unsigned first = (unsigned)(x % CAT_COUNT);
		unsigned count = 1 + (unsigned)((x >> 8) % 3);

		fprintf(f, "SH-%06zu,Shelter %zu,VR%02u,%u,", i, i,
		    (unsigned)((i - 1) % regions) + 1,
		    (unsigned)((x >> 16) % 4));
		for (unsigned k = 0; k < count; k++)
			fprintf(f, "%s%s:%u", k ? " " : "",
			    cat_name((int)((first + k) % CAT_COUNT) + 1),
			    4 + (unsigned)((x >> (24 + 6 * k)) % 37));
		fprintf(f, "\n");
	}
	bad = ferror(f);
	if (fclose(f) != 0 || bad)
		goto io;
	return 0;
io:
	snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
	return -1;
}

/* ---- the update stream ----------------------------------------------- */

int
gen_init(struct gen *g, const struct registry *reg, size_t n)
{
	uint64_t rng = 0xacc09a7ULL;

	g->reg = reg;
	g->n = n;
	g->sh = calloc(n ? n : 1, sizeof(*g->sh));
	if (g->sh == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		for (int c = 0; c < CAT_COUNT; c++) {
			uint32_t cap = reg->shelters[i].nominal[c];

			/* Start anywhere below full: regions then sit near
			 * 50 %, far from the 90 % threshold. */
			g->sh[i].occupied[c] = cap == 0 ? 0 :
			    (uint16_t)(bench_rand(&rng) % cap);
		}
	return 0;
}

void
gen_free(struct gen *g)
{
	free(g->sh);
	g->sh = NULL;
}

/* validate.c refuses counts above its max_beds (10,000 by default). */
enum { GEN_MAX_BEDS = 10000 };

void
gen_next(struct gen *g, size_t i, uint64_t *rng, bool drive_full,
    struct gen_update *u)
{
	const struct reg_shelter *rs = &g->reg->shelters[i];
	struct gen_shelter *s = &g->sh[i];
	uint64_t now = bench_wall_us();
	int driven = -1;

	memset(u, 0, sizeof(*u));
	u->shelter = rs;
	u->index = i;
	u->seq = now > s->last_seq ? now : s->last_seq + 1;
	s->last_seq = u->seq;
	u->observed_at = (int64_t)(now / 1000000u);
	u->status = SH_STATUS_OPEN;
	u->categories = rs->categories;
	if (s->full) {
		u->transition = GEN_CLEAR;
		s->full = false;
	} else if (drive_full) {
		for (int c = 0; c < CAT_COUNT && driven < 0; c++)
			if ((rs->categories & (1u << c)) && rs->nominal[c] > 0)
				driven = c;
		if (driven >= 0) {
			u->transition = GEN_FULL;
			s->full = true;
		}
	}
	for (int c = 0; c < CAT_COUNT; c++) {
		uint32_t cap = rs->nominal[c];
		uint16_t *occ = &s->occupied[c];

		if (!(rs->categories & (1u << c)))
			continue;
		if (cap > GEN_MAX_BEDS)
			cap = GEN_MAX_BEDS;
		if (cap > 0) {
			uint64_t step = bench_rand(rng) % 3;

			if (step == 0 && *occ > 0)
				(*occ)--;
			else if (step == 2 && *occ + 1u < cap)
				(*occ)++;
			if (*occ >= cap)
				*occ = (uint16_t)(cap - 1);
		}
		u->beds[c].capacity = cap;
		u->beds[c].occupied = c == driven ? cap : *occ;
	}
}
