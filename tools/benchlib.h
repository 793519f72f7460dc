/*
 * benchlib.h — what the benchmark tools (loadgen, probe, pgdriver) share:
 * clocks, a log-bucket latency histogram, readings of another process from
 * /proc, argument parsing, and the synthetic update stream, so that
 * shelterd and the PostgreSQL baseline are driven by the same reports.
 *
 * Nothing here is used by the daemon; the tools are not installed.
 */
#ifndef SHELTERD_BENCHLIB_H
#define SHELTERD_BENCHLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "beds.h"
#include "registry.h"

/* CLOCK_MONOTONIC in ns: every latency and rate is measured with it. */
uint64_t bench_now_ns(void);
/* CLOCK_REALTIME in µs: report seqs, as shelter-report makes them. */
uint64_t bench_wall_us(void);

/*
 * A log-bucket histogram in the spirit of HdrHistogram: values below 128
 * are exact, above that each power of two is split into 64 buckets, so a
 * percentile is off by at most 1/128 of its value. Percentiles come from
 * every sample, never from averages. Not thread safe: keep one per thread
 * and merge.
 */
enum { HIST_BUCKETS = 128 + 57 * 64 };

struct hist {
	uint64_t n, min, max;
	uint64_t b[HIST_BUCKETS];
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t v);
void hist_merge(struct hist *dst, const struct hist *src);
/* The value at percentile p (0 < p <= 100), 0 when empty. */
uint64_t hist_pct(const struct hist *h, double p);

/*
 * Another process: user + system CPU seconds from /proc/PID/stat (with
 * children = true, also of every live process whose parent is PID, for
 * PostgreSQL's backends); -1 when PID is gone.
 */
double bench_proc_cpu(pid_t pid, bool children);
/* One "Field:" of /proc/PID/status in kB (VmHWM, VmRSS), or -1. */
long long bench_proc_status_kb(pid_t pid, const char *field);

/* xorshift64*: cheap, and one per thread keeps streams reproducible. */
static inline uint64_t
bench_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

/*
 * Command-line values. Each returns 0, or -1 after printing
 * "PROG: --FLAG: what is wrong" to stderr.
 */
int bench_arg_u64(const char *prog, const char *flag, const char *s,
    uint64_t min, uint64_t max, uint64_t *out);
int bench_arg_secs(const char *prog, const char *flag, const char *s,
    double min, double max, double *out);

/* regions.csv + shelters.csv from DIR, parsed by core/registry.c exactly
 * as the daemon parses them. 0, or -1 with the reason in err. */
int bench_load_registry(const char *dir, struct registry *reg, char *err,
    size_t errlen);

/*
 * Write a synthetic registry of n shelters spread evenly over `regions`
 * regions (ids VR01.., shelters SH-000001..), each with one to three
 * categories of 4 to 40 beds. Deterministic for a given n. 0, or -1 with
 * the reason in err.
 */
int bench_gen_registry(const char *dir, size_t n, unsigned regions,
    char *err, size_t errlen);

/* ---- the update stream ----------------------------------------------- */

enum gen_transition {
	GEN_NONE = 0,
	GEN_FULL = 1,    /* this report fills a category: expect a warning */
	GEN_CLEAR = 2,   /* this report frees it again: expect "cleared" */
};

struct gen_update {
	const struct reg_shelter *shelter;
	size_t index;                 /* into the registry's shelters */
	uint64_t seq;
	int64_t observed_at;
	int status;                   /* SH_STATUS_OPEN */
	uint8_t categories;           /* as in the registry: all reported */
	struct bed_counts beds[CAT_COUNT];
	enum gen_transition transition;
};

struct gen_shelter {
	uint64_t last_seq;
	uint16_t occupied[CAT_COUNT];
	bool full;
};

struct gen {
	const struct registry *reg;
	size_t n;                     /* the first n shelters take part */
	struct gen_shelter *sh;
};

int gen_init(struct gen *g, const struct registry *reg, size_t n);
void gen_free(struct gen *g);

/*
 * The next report of shelter i (< g->n). Background reports move each
 * category's occupancy by -1, 0 or +1 and keep it below capacity, so they
 * raise no escalation and every event is one we drove: drive_full fills
 * the shelter's first category, and the report after that frees one bed
 * again. seq is the wall clock in µs, and always above the last one, so
 * runs against the same data directory follow each other. Not thread
 * safe for the same i: give each thread its own shelters.
 */
void gen_next(struct gen *g, size_t i, uint64_t *rng, bool drive_full,
    struct gen_update *u);

#endif
