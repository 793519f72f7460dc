/*
 * svg.h — charts as plain SVG text: the trend chart that `shelterctl trend
 * --svg` writes and the daemon serves at /api/trend.svg (one function for
 * both, so the two never differ), and the bar charts of the monthly HTML
 * report. A few lines of XML need no plotting package.
 *
 * Every chart draws a mark (a circle or a bar) for each value it has, so a
 * single day of history is a visible point, not an empty frame.
 */
#ifndef SHELTERD_SVG_H
#define SHELTERD_SVG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "shelterd.pb-c.h"

/*
 * The trend of one region (or the nation) and category: average and peak
 * occupancy per bucket, the warning and critical thresholds, dates in UTC.
 * Written to f; 0, or -1 when f reports an error.
 */
int svg_trend(FILE *f, const Shelterd__V1__Trend *t);

/* The same into a malloc'd string (*len bytes, NUL-terminated); NULL when
 * out of memory. */
char *svg_trend_string(const Shelterd__V1__Trend *t, size_t *len);

/* One bar of a bar chart: a label, a value, and whether it is known (a
 * suppressed or missing value is drawn as a hatched gap, never as 0). */
struct svg_bar {
	const char *label;
	double value;
	bool known;
};

/*
 * A horizontal bar chart, width w, one row per bar, scaled to max (or to
 * the largest value when max <= 0), with an optional reference value drawn
 * as a dashed line per bar (ref[i] < 0: none), for occupancy against a
 * norm. Values print with one decimal when unit is "%", as whole
 * numbers otherwise. Labels are escaped. 0, or -1 when f reports an error.
 */
int svg_bars(FILE *f, const char *title, const struct svg_bar *bars,
    size_t n, double max, const char *unit, const double *ref, int w);

/* s with &, <, >, " escaped, to f. */
void svg_escape(FILE *f, const char *s);

#endif
