/* timeline_persec.c -- the per-second strips under a long run's panel: the requests of each
 * second (its errors in red) and the p50/p99 latency of each second, on the panel's time axis,
 * from the run's per-second counters (stats.h: the rows of --per-second, seconds by end time).
 * Decides which runs are long (tl_persec_seconds); lays nothing else out; reads the run only. */
#include "timeline_page.h"

#include "report_file.h"
#include "stats.h"

#include <stdint.h>
#include <stdio.h>

#define PERSEC_PAD 5.0 /* px between a strip's top and its highest value: lines stay seen */

size_t tl_persec_seconds(const struct run *r, uint64_t span_us)
{
	if (!r->stats || (r->duration_us == 0 && !(r->rate > 0)) || span_us < TL_PERSEC_MIN_US)
		return 0;
	return report_nseconds(r->stats);
}

/* v with commas between thousands ("12,345") in buf (cap >= 28) */
static const char *persec_count(uint64_t v, char *buf, size_t cap)
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu", (unsigned long long)v);
	size_t k = 0;
	for (int i = 0; i < n && k + 3 < cap; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			buf[k++] = ',';
		buf[k++] = digits[i];
	}
	buf[k] = '\0';
	return buf;
}

/* a latency in ms, about three significant digits: 0.412, 45.6, 812 */
static void persec_ms(FILE *f, uint64_t us)
{
	double ms = us / 1e3;
	fprintf(f, "%.*f", ms < 1 ? 3 : ms < 100 ? 1 : 0, ms);
}

static int persec_has_lat(const struct stats_second *sec)
{
	return sec->lat && sec->lat->count;
}

/* second k on axis a, px: from k s to the next second or the end of the run, whichever first */
static void persec_span(const struct axis *a, size_t k, uint64_t span_us, double *x, double *w)
{
	uint64_t t0 = (uint64_t)k * 1000000, t1 = t0 + 1000000;
	if (t1 > span_us && span_us > t0)
		t1 = span_us;
	*x = x_of(a, t0);
	*w = x_of(a, t1) - *x;
}

/* <title>: what a pointer over second k shows */
static void persec_title(FILE *f, size_t k, const struct stats_second *sec)
{
	char req[32], err[32];
	fprintf(f, "<title>second %zu (%zu\xe2\x80\x93%zu s): %s requests, %s errors", k, k, k + 1,
	        persec_count(sec->requests, req, sizeof(req)),
	        persec_count(sec->errors, err, sizeof(err)));
	if (persec_has_lat(sec)) {
		fputs(", p50 ", f);
		persec_ms(f, stats_sec_percentile(sec->lat, 50));
		fputs(" ms, p99 ", f);
		persec_ms(f, stats_sec_percentile(sec->lat, 99));
		fputs(" ms", f);
	} else {
		fputs(", no responses", f);
	}
	fputs("</title>", f);
}

/* the strip's frame on axis a, up to the run's end */
static void persec_frame(FILE *f, const struct axis *a, uint64_t span_us, double y)
{
	double w = x_of(a, span_us) - a->x0;
	fprintf(f,
	        "<rect class=\"strip\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	        "fill=\"#f4f4f4\" stroke=\"#cccccc\" stroke-width=\"0.6\"/>\n",
	        a->x0, y, w > 2 ? w : 2, TL_PERSEC_H);
}

/* one bar per second, as tall as its requests, its errors the red part at the bottom */
static void persec_bar(FILE *f, const struct panel *p, const struct axis *a, size_t k, uint64_t top,
                       double y)
{
	const struct stats_second *sec = &p->run->stats->seconds[k];
	double x, w, h = TL_PERSEC_H - PERSEC_PAD, base = y + TL_PERSEC_H;
	persec_span(a, k, p->span_us, &x, &w);
	double gap = w >= 6 ? 1.0 : 0.0;
	w = w - gap > 0.5 ? w - gap : 0.5;
	x += gap / 2;
	double bh = h * (double)sec->requests / (double)top;
	double eh = h * (double)sec->errors / (double)top;
	if (sec->requests && bh < 1)
		bh = 1;
	if (sec->errors && eh < 1)
		eh = 1;
	fprintf(f,
	        "<rect class=\"persec\" data-second=\"%zu\" data-requests=\"%llu\" "
	        "data-errors=\"%llu\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
	        "fill=\"%s\">",
	        k, (unsigned long long)sec->requests, (unsigned long long)sec->errors, x, base - bh,
	        w, bh, TL_PERSEC_INK);
	persec_title(f, k, sec);
	fputs("</rect>\n", f);
	if (!sec->errors)
		return;
	fprintf(f,
	        "<rect class=\"persec-err\" data-second=\"%zu\" data-errors=\"%llu\" x=\"%.2f\" "
	        "y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"%s\">",
	        k, (unsigned long long)sec->errors, x, base - eh, w, eh, TL_FAIL);
	persec_title(f, k, sec);
	fputs("</rect>\n", f);
}

/* the requests strip at y: bars, and its labels in the left column */
static void persec_requests(FILE *f, const struct panel *p, const struct axis *a, double y)
{
	const struct stats_second *sec = p->run->stats->seconds;
	uint64_t top = 1, errors = 0;
	for (size_t k = 0; k < p->nsec; k++) {
		if (sec[k].requests > top)
			top = sec[k].requests;
		errors += sec[k].errors;
	}
	persec_frame(f, a, p->span_us, y);
	fputs("<g class=\"persec-requests\">\n", f);
	for (size_t k = 0; k < p->nsec; k++)
		persec_bar(f, p, a, k, top, y);
	fputs("</g>\n", f);
	char top_s[32], err_s[32];
	fprintf(f,
	        "<text class=\"striplabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan font-weight=\"bold\">requests</tspan> per second</text>\n"
	        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "top = %s req/s</text>\n"
	        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan fill=\"%s\">errors in red</tspan>: %s in all</text>\n",
	        TL_LEFT - 8, y + 12, TL_LEFT - 8, y + 26, persec_count(top, top_s, sizeof(top_s)),
	        TL_LEFT - 8, y + 39, TL_FAIL, persec_count(errors, err_s, sizeof(err_s)));
}

/* percentile pct of each second as a step line scaled to top_us; a second without responses
 * breaks the line (a gap, not a zero) */
static void persec_line(FILE *f, const struct panel *p, const struct axis *a, double y,
                        uint64_t top_us, double pct, const char *cls)
{
	const struct stats_second *sec = p->run->stats->seconds;
	int on = 0; /* the previous second had responses: the line goes on from it */
	fprintf(f,
	        "<path class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"%s\" "
	        "stroke-linejoin=\"round\" d=\"",
	        cls, pct >= 99 ? TL_P99 : TL_P50, pct >= 99 ? "2.2" : "1.8");
	for (size_t k = 0; k < p->nsec; k++) {
		if (!persec_has_lat(&sec[k])) {
			on = 0;
			continue;
		}
		double x, w, v = (double)stats_sec_percentile(sec[k].lat, pct);
		persec_span(a, k, p->span_us, &x, &w);
		double yy = y + TL_PERSEC_H - (TL_PERSEC_H - PERSEC_PAD) * v / (double)top_us;
		fprintf(f, "%c%.2f %.2fL%.2f %.2f", on ? 'L' : 'M', x, yy, x + w, yy);
		on = 1;
	}
	fputs("\"/>\n", f);
}

/* the latency strip at y: p99 and p50 step lines, a tooltip column per second with
 * responses, and the labels in the left column */
static void persec_latency(FILE *f, const struct panel *p, const struct axis *a, double y)
{
	const struct stats_second *sec = p->run->stats->seconds;
	uint64_t top = 0, top50 = 0;
	size_t any = 0;
	for (size_t k = 0; k < p->nsec; k++)
		if (persec_has_lat(&sec[k])) {
			uint64_t v99 = stats_sec_percentile(sec[k].lat, 99);
			uint64_t v50 = stats_sec_percentile(sec[k].lat, 50);
			top = v99 > top ? v99 : top;
			top50 = v50 > top50 ? v50 : top50;
			any++;
		}
	persec_frame(f, a, p->span_us, y);
	if (any) {
		persec_line(f, p, a, y, top ? top : 1, 99, "p99");
		persec_line(f, p, a, y, top ? top : 1, 50, "p50");
	}
	fputs("<g class=\"persec-latency\">\n", f);
	for (size_t k = 0; k < p->nsec; k++) {
		if (!persec_has_lat(&sec[k]))
			continue;
		double x, w;
		persec_span(a, k, p->span_us, &x, &w);
		fprintf(f,
		        "<rect class=\"persec-lat\" data-second=\"%zu\" data-p50-ms=\"%.3f\" "
		        "data-p99-ms=\"%.3f\" x=\"%.2f\" y=\"%.1f\" width=\"%.2f\" height=\"%.1f\" "
		        "fill=\"none\" pointer-events=\"all\">",
		        k, stats_sec_percentile(sec[k].lat, 50) / 1e3,
		        stats_sec_percentile(sec[k].lat, 99) / 1e3, x, y, w, TL_PERSEC_H);
		persec_title(f, k, &sec[k]);
		fputs("</rect>\n", f);
	}
	fputs("</g>\n", f);
	fprintf(f,
	        "<text class=\"striplabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan font-weight=\"bold\">latency</tspan> per second</text>\n"
	        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan fill=\"%s\" font-weight=\"bold\">p99</tspan> top = ",
	        TL_LEFT - 8, y + 12, TL_LEFT - 8, y + 26, TL_P99);
	persec_ms(f, top);
	fprintf(f,
	        " ms</text>\n<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan fill=\"%s\" font-weight=\"bold\">p50</tspan> max ",
	        TL_LEFT - 8, y + 39, TL_P50);
	persec_ms(f, top50);
	fputs(" ms</text>\n", f);
}

void tl_draw_persec(FILE *f, const struct panel *p, const struct axis *a)
{
	if (!p->nsec || !p->run->stats)
		return;
	persec_requests(f, p, a, p->persec_y);
	persec_latency(f, p, a, p->persec_y + TL_PERSEC_H + TL_PERSEC_GAP);
}
