/* sweep_plot.c -- the sweep as an SVG: wall time (left) and throughput (right) against the
 * concurrency setting on a log axis, one line per mode, with Little's law's ideal (requests in
 * flight / the time one request holds a worker, latency plus any --work, measured at the lowest
 * concurrency) and, under --work, the
 * ceiling the cores put on throughput. Reads runs, never changes them. */
#include "sweep.h"

#include "atomicfile.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SP_W      1200.0
#define SP_H      490.0
#define SP_CHART  500.0 /* each chart's plot area */
#define SP_PLOT_H 320.0
#define SP_TOP    100.0

static const char *const sp_ink[MODE_COUNT] = {"#777777", "#4e79a7", "#59a14f", "#f28e2b"};

struct sp_chart {
	double x0;         /* left of the plot area */
	double cmin, cmax; /* concurrency range (log axis) */
	double ymax;
	const char *title, *unit;
};

static double sp_x(const struct sp_chart *c, double conc)
{
	double span = log(c->cmax) - log(c->cmin);
	return c->x0 + (span > 0 ? (log(conc) - log(c->cmin)) / span : 0.5) * SP_CHART;
}

static double sp_y(const struct sp_chart *c, double v)
{
	return SP_TOP + SP_PLOT_H - (c->ymax > 0 ? v / c->ymax : 0) * SP_PLOT_H;
}

/* the frame, the title and the ticks of chart c */
static void sp_frame(FILE *f, const struct sp_chart *c, const unsigned *cs, size_t ncs)
{
	fprintf(f,
	        "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#f7f7f7\" "
	        "stroke=\"#999\"/>\n<text x=\"%.1f\" y=\"%.1f\" font-size=\"15\" "
	        "font-weight=\"bold\">%s</text>\n",
	        c->x0, SP_TOP, SP_CHART, SP_PLOT_H, c->x0, SP_TOP - 12, c->title);
	for (size_t k = 0; k < ncs; k++)
		fprintf(f,
		        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
		        "text-anchor=\"middle\">%u</text>\n",
		        sp_x(c, cs[k]), SP_TOP + SP_PLOT_H + 16, cs[k]);
	for (int k = 0; k <= 4; k++) {
		double v = c->ymax * k / 4;
		fprintf(f,
		        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
		        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" "
		        "text-anchor=\"end\">%.*f</text>\n",
		        c->x0, c->x0 + SP_CHART, sp_y(c, v), sp_y(c, v), c->x0 - 4, sp_y(c, v) + 4,
		        c->ymax >= 100 ? 0 : 2, v);
	}
	fprintf(f,
	        "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">concurrency "
	        "setting (-c, log scale); %s</text>\n",
	        c->x0 + SP_CHART / 2, SP_TOP + SP_PLOT_H + 34, c->unit);
}

/* one polyline through (conc[k], v[k]) */
static void sp_line(FILE *f, const struct sp_chart *c, const double *conc, const double *v,
                    size_t n, const char *ink, const char *dash, const char *cls)
{
	if (n == 0)
		return;
	fprintf(f,
	        "<polyline class=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2.2\"%s%s%s "
	        "points=\"",
	        cls, ink, dash ? " stroke-dasharray=\"" : "", dash ? dash : "", dash ? "\"" : "");
	for (size_t k = 0; k < n; k++)
		fprintf(f, "%.1f,%.1f ", sp_x(c, conc[k]),
		        sp_y(c, v[k] > c->ymax ? c->ymax : v[k]));
	fputs("\"/>\n", f);
	if (!dash)
		for (size_t k = 0; k < n; k++)
			fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"%s\"/>\n",
			        sp_x(c, conc[k]), sp_y(c, v[k] > c->ymax ? c->ymax : v[k]), ink);
}

/* per mode: the settings, wall times and throughputs of its runs */
static void sp_series(const struct run *const *runs, const struct summary *sums, size_t nruns,
                      enum mode m, double *conc, double *wall, double *rps, size_t *n)
{
	*n = 0;
	for (size_t k = 0; k < nruns; k++)
		if (runs[k]->mode == m && sums[k].rps_known) {
			conc[*n] = runs[k]->concurrency ? runs[k]->concurrency : 1;
			wall[*n] = sums[k].wall_us / 1e6;
			rps[*n] = sums[k].rps;
			(*n)++;
		}
}

/* Little's law's ideal in both charts and, under --work, the cores' ceiling */
static void sp_guides(FILE *f, const struct sp_chart *wc, const struct sp_chart *rcp,
                      const unsigned *cs, size_t ncs, size_t nreq, double lat1,
                      uint64_t work_cpu_us)
{
	const struct sp_chart rc = *rcp;
	double conc[64], wall[64], ideal[64];
	/* Little's law: L = lambda * W, so c requests in flight at latency W give c / W */
	if (lat1 > 0 && ncs > 0) {
		for (size_t j = 0; j < ncs; j++) {
			conc[j] = cs[j];
			double inflight = cs[j] < nreq ? cs[j] : (double)nreq;
			ideal[j] = inflight / lat1;
			wall[j] = (double)nreq * lat1 / inflight;
		}
		sp_line(f, &rc, conc, ideal, ncs, "#222", "6 4", "ideal");
		sp_line(f, wc, conc, wall, ncs, "#222", "6 4", "ideal");
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (work_cpu_us > 0 && cores > 0) {
		double ceil_rps = (double)cores / (work_cpu_us / 1e6);
		double y = sp_y(&rc, ceil_rps > rc.ymax ? rc.ymax : ceil_rps);
		fprintf(f,
		        "<line class=\"cores\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" "
		        "stroke=\"#b2182b\" stroke-width=\"1.5\" stroke-dasharray=\"2 3\"/><text "
		        "x=\"%.1f\" y=\"%.1f\" fill=\"#b2182b\">the cores' ceiling: %ld cores / "
		        "%.0f ms of work</text>\n",
		        rc.x0, rc.x0 + SP_CHART, y, y, rc.x0 + 6, y - 5, cores, work_cpu_us / 1e3);
	}
}

static void sp_draw(FILE *f, const struct run *const *runs, const struct summary *sums,
                    size_t nruns, uint64_t work_cpu_us)
{
	unsigned cs[64];
	size_t ncs = 0;
	double wmax = 0, rmax = 0, lat1 = 0, c1 = 1e18;
	for (size_t k = 0; k < nruns; k++) {
		unsigned c = runs[k]->concurrency ? runs[k]->concurrency : 1;
		int seen = 0;
		for (size_t j = 0; j < ncs; j++)
			seen |= cs[j] == c;
		if (!seen && ncs < 64)
			cs[ncs++] = c;
		if (sums[k].wall_us / 1e6 > wmax)
			wmax = sums[k].wall_us / 1e6;
		if (sums[k].rps > rmax)
			rmax = sums[k].rps;
		if (sums[k].lat_count && c < c1) {
			c1 = c;
			/* the time one request holds a worker: latency plus any --work,
			 * from the wall at the lowest setting */
			double in1 = c < runs[k]->n ? c : (double)runs[k]->n;
			lat1 = runs[k]->n ? sums[k].wall_us / 1e6 * in1 / (double)runs[k]->n : 0;
		}
	}
	double cmin = 1e18, cmax = 1;
	for (size_t j = 0; j < ncs; j++) {
		cmin = cs[j] < cmin ? cs[j] : cmin;
		cmax = cs[j] > cmax ? cs[j] : cmax;
	}
	if (cmin > cmax)
		cmin = 1;
	struct sp_chart wc = {80, cmin, cmax, wmax * 1.1, "wall time (s)", "lower is better"};
	if (lat1 > 0) { /* the ideal's top, so its line is drawn whole */
		double top = (cmax < (double)runs[0]->n ? cmax : (double)runs[0]->n) / lat1;
		top = top < 3 * rmax ? top : 3 * rmax; /* far above: drawn off the chart */
		rmax = top > rmax ? top : rmax;
	}
	struct sp_chart rc = {
	        660, cmin, cmax, rmax * 1.1, "throughput (responses/s)", "higher is better"};
	sp_frame(f, &wc, cs, ncs);
	sp_frame(f, &rc, cs, ncs);
	double conc[64], wall[64], rps[64];
	size_t n;
	sp_guides(f, &wc, &rc, cs, ncs, runs[0]->n, lat1, work_cpu_us);
	double lx = 80;
	for (int m = 0; m < MODE_COUNT; m++) {
		sp_series(runs, sums, nruns, (enum mode)m, conc, wall, rps, &n);
		if (n == 0)
			continue;
		sp_line(f, &wc, conc, wall, n, sp_ink[m], NULL, "mode");
		sp_line(f, &rc, conc, rps, n, sp_ink[m], NULL, "mode");
		fprintf(f,
		        "<rect x=\"%.1f\" y=\"48\" width=\"16\" height=\"4\" fill=\"%s\"/><text "
		        "x=\"%.1f\" y=\"54\" font-weight=\"bold\">%s</text>\n",
		        lx, sp_ink[m], lx + 22, mode_name((enum mode)m));
		lx += 130;
	}
	fprintf(f,
	        "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"50\" y2=\"50\" stroke=\"#222\" "
	        "stroke-dasharray=\"6 4\" stroke-width=\"2\"/><text x=\"%.1f\" y=\"54\">Little's "
	        "law's ideal: in flight / time per request at the lowest -c</text>\n",
	        lx, lx + 20, lx + 26);
}

int sweep_plot(const char *path, const struct run *const *runs, const struct summary *sums,
               size_t nruns, uint64_t work_cpu_us, char *err, size_t errlen)
{
	struct atomic_file af;
	int rc = atomic_file_open(&af, path);
	if (rc != 0) {
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
		return rc;
	}
	FILE *f = af.f;
	fprintf(f,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<svg "
	        "xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
	        "viewBox=\"0 0 %.0f %.0f\" font-family=\"DejaVu Sans, Verdana, Arial, "
	        "sans-serif\" font-size=\"12\">\n<title>latlab sweep</title>\n<style>.tick{"
	        "font-size:11px;fill:#555}</style>\n<rect width=\"100%%\" height=\"100%%\" "
	        "fill=\"#fff\"/>\n<text x=\"10\" y=\"26\" font-size=\"20\" "
	        "font-weight=\"bold\">latlab sweep: the same batch at each concurrency</text>\n",
	        SP_W, SP_H, SP_W, SP_H);
	sp_draw(f, runs, sums, nruns, work_cpu_us);
	fputs("</svg>\n", f);
	rc = atomic_file_commit(&af);
	if (rc != 0)
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
	return rc;
}
