/*
 * svg.c — hand-written SVG charts (svg.h).
 */
#include "svg.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "names.h"

void
svg_escape(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* A bucket's own date (UTC): daily buckets start at midnight. */
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

int
svg_trend(FILE *f, const Shelterd__V1__Trend *t)
{
	enum { W = 800, H = 320, L = 50, R = 20, T = 30, B = 40 };
	double pw = W - L - R, ph = H - T - B;
	size_t n = t->n_points;
	const char *cat = cat_name((int)t->category);
	char label[32];

#define X(i) (L + (n > 1 ? pw * (double)(i) / (double)(n - 1) : pw / 2))
#define Y(pct) (T + ph - ph * ((pct) > 100 ? 100 : (pct)) / 100.0)
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
	    "font-family=\"sans-serif\" font-size=\"12\" "
	    "class=\"trend\">\n<rect width=\"100%%\" height=\"100%%\" "
	    "fill=\"white\"/>\n<text x=\"%d\" y=\"18\">", W, H, W, H, L);
	svg_escape(f, *t->region_id ? t->region_id : "national");
	fprintf(f, " %s: occupancy %% (average, peak), days in UTC</text>\n",
	    cat ? cat : "?");
	for (int pct = 0; pct <= 100; pct += 25)
		fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#ddd\"/><text x=\"8\" "
		    "y=\"%.1f\">%d%%</text>\n", L, W - R, Y((double)pct),
		    Y((double)pct), Y((double)pct) + 4, pct);
	fprintf(f, "<line x1=\"%d\" x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"orange\" stroke-dasharray=\"6 4\"/>\n<line x1=\"%d\" "
	    "x2=\"%d\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"red\" "
	    "stroke-dasharray=\"6 4\"/>\n", L, W - R,
	    Y((double)t->warning_pct), Y((double)t->warning_pct), L, W - R,
	    Y((double)t->critical_pct), Y((double)t->critical_pct));
	for (int line = 0; line < 2; line++) {
		const char *colour = line ? "#c0392b" : "#2c3e50";

		fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2\" points=\"", colour);
		for (size_t i = 0; i < n; i++) {
			const Shelterd__V1__TrendPoint *p = t->points[i];

			if (p->data_secs == 0)
				continue; /* no history: a gap, not a zero */
			fprintf(f, "%.1f,%.1f ", X(i), Y(line ?
			    p->peak_occupancy_pct : p->avg_occupancy_pct));
		}
		fprintf(f, "\"/>\n");
		/* A mark per bucket with data: one bucket alone is a
		 * polyline of one point, which draws nothing. */
		for (size_t i = 0; i < n; i++) {
			const Shelterd__V1__TrendPoint *p = t->points[i];

			if (p->data_secs == 0)
				continue;
			bucket_label(p->from, t->bucket_secs, label,
			    sizeof(label));
			fprintf(f, "<circle class=\"mark\" cx=\"%.1f\" "
			    "cy=\"%.1f\" r=\"3\" fill=\"%s\"><title>%s %s "
			    "%.1f%%</title></circle>\n", X(i), Y(line ?
			    p->peak_occupancy_pct : p->avg_occupancy_pct),
			    colour, label, line ? "peak" : "average",
			    line ? p->peak_occupancy_pct :
			    p->avg_occupancy_pct);
		}
	}
	for (size_t i = 0; i < n; i += n > 6 ? n / 6 : 1) {
		bucket_label(t->points[i]->from, t->bucket_secs, label,
		    sizeof(label));
		fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">"
		    "%s</text>\n", X(i), H - 15, label);
	}
#undef X
#undef Y
	fprintf(f, "</svg>\n");
	return ferror(f) ? -1 : 0;
}

char *
svg_trend_string(const Shelterd__V1__Trend *t, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);

	if (f == NULL)
		return NULL;
	if (svg_trend(f, t) != 0) {
		fclose(f);
		free(buf);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

int
svg_bars(FILE *f, const char *title, const struct svg_bar *bars, size_t n,
    double max, const char *unit, const double *ref, int w)
{
	enum { ROW = 22, TOP = 26, LABEL = 110, RIGHT = 70 };
	int h = TOP + (int)n * ROW + 8;
	double pw = w - LABEL - RIGHT;

	if (max <= 0)
		for (size_t i = 0; i < n; i++) {
			if (bars[i].known && bars[i].value > max)
				max = bars[i].value;
			if (ref && ref[i] > max)
				max = ref[i];
		}
	if (max <= 0)
		max = 1;
	fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 "
	    "%d %d\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
	    "font-size=\"11\" class=\"bars\"><text x=\"0\" y=\"14\" "
	    "font-weight=\"bold\">", w, h, w, h);
	svg_escape(f, title);
	fprintf(f, "</text>\n");
	for (size_t i = 0; i < n; i++) {
		double y = TOP + (double)i * ROW;
		double v = bars[i].value > max ? max : bars[i].value;

		fprintf(f, "<text x=\"0\" y=\"%.1f\">", y + 13);
		svg_escape(f, bars[i].label);
		fprintf(f, "</text>");
		if (bars[i].known) {
			/* A zero is a value too: a sliver, so it is seen. */
			double bw = pw * v / max;

			fprintf(f, "<rect class=\"mark\" x=\"%d\" y=\"%.1f\" "
			    "width=\"%.1f\" height=\"14\" fill=\"#2c3e50\"/>"
			    "<text x=\"%.1f\" y=\"%.1f\">%.*f%s</text>",
			    LABEL, y + 2, bw < 1 ? 1 : bw, LABEL + (bw < 1 ?
			    1 : bw) + 4, y + 13, *unit ? 1 : 0, bars[i].value,
			    unit);
		} else {
			fprintf(f, "<rect class=\"mark hidden\" x=\"%d\" "
			    "y=\"%.1f\" width=\"%.1f\" height=\"14\" "
			    "fill=\"none\" stroke=\"#999\" "
			    "stroke-dasharray=\"3 3\"/><text x=\"%.1f\" "
			    "y=\"%.1f\" fill=\"#666\">not shown</text>", LABEL,
			    y + 2, pw / 4, LABEL + pw / 4 + 4, y + 13);
		}
		if (ref != NULL && ref[i] >= 0) {
			double rx = LABEL + pw * (ref[i] > max ? max :
			    ref[i]) / max;

			fprintf(f, "<line class=\"norm\" x1=\"%.1f\" "
			    "x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"red\" "
			    "stroke-width=\"2\"/>", rx, rx, y, y + 18);
		}
		fprintf(f, "\n");
	}
	fprintf(f, "</svg>\n");
	return ferror(f) ? -1 : 0;
}
