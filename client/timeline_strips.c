/* timeline_strips.c -- what the workers did, drawn: the state band under each lane (on a
 * CPU, waiting for the GIL, waiting on the network; idle is blank) and the two strips under
 * each panel, requests in flight (concurrency) and workers on a CPU against a line at the
 * number of cores (parallelism). Reads the laid-out page (timeline_page.h); lays nothing out. */
#include "timeline_page.h"

#include <stdio.h>
#include <string.h>

static const char *strips_state_ink(uint32_t st)
{
	return st == WS_CPU ? TL_CPU : st == WS_GIL ? TL_GIL : TL_NET;
}

void tl_draw_states(FILE *f, const struct panel *p, size_t li, const struct axis *a)
{
	const struct lane *l = &p->lanes[li];
	double band = l->h - l->rows * p->row_h;
	if (band < 2)
		return;
	double y = l->y + l->rows * p->row_h + 1, h = band - 2;
	const struct run *r = p->run;
	/* network first, then the GIL and the CPU over it: the short on-CPU slivers stay seen */
	for (uint32_t pass = WS_NET; pass <= WS_CPU; pass++)
		for (size_t k = 0; k < r->nspans; k++) {
			const struct span *s = &r->spans[k];
			if (s->state != pass || s->end_us <= s->start_us ||
			    s->worker >= p->nworkers || p->lane_of[s->worker] != li)
				continue;
			double x = x_of(a, s->start_us), w = x_of(a, s->end_us) - x;
			if (w < (pass == WS_NET ? 0.2 : 0.8))
				w = pass == WS_NET ? 0.2 : 0.8;
			/* work the worker's CPU clock did not see was spent ready, waiting for
			 * a core: drawn pale, in proportion */
			double dens = pass == WS_CPU ? (double)s->cpu_us /
			                                       (double)(s->end_us - s->start_us)
			                             : 1.0;
			dens = dens > 1 ? 1 : dens < 0.25 ? 0.25 : dens;
			fprintf(f,
			        "<rect class=\"state %s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			        "height=\"%.2f\" fill=\"%s\" fill-opacity=\"%.2f\"/>\n",
			        activity_state_name((enum wstate)pass), x, y, w, h,
			        strips_state_ink(pass), dens);
		}
}

/* one step function as a filled path on axis a, in [y, y + h], full scale at top */
static void strips_path(FILE *f, const struct steps *s, const struct axis *a, uint64_t wall_us,
                        double y, double h, double top, const char *ink, const char *cls)
{
	if (s->n == 0 || top <= 0)
		return;
	double base = y + h;
	fprintf(f, "<path class=\"%s\" fill=\"%s\" fill-opacity=\"0.85\" d=\"M%.2f %.2f", cls, ink,
	        x_of(a, 0), base);
	for (size_t k = 0; k < s->n; k++) {
		uint64_t t1 = k + 1 < s->n ? s->t[k + 1] : wall_us;
		if (t1 < s->t[k])
			t1 = s->t[k];
		double v = s->v[k] > top ? top : s->v[k];
		double yy = base - h * v / top;
		fprintf(f, "L%.2f %.2fL%.2f %.2f", x_of(a, s->t[k]), yy, x_of(a, t1), yy);
	}
	fprintf(f, "L%.2f %.2fZ\"/>\n",
	        x_of(a, wall_us > s->t[s->n - 1] ? wall_us : s->t[s->n - 1]), base);
}

/* the strip's frame on axis a, up to the run's end */
static void strips_frame(FILE *f, const struct axis *a, uint64_t span_us, double y, double h)
{
	fprintf(f,
	        "<rect class=\"strip\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
	        "fill=\"#f4f4f4\" stroke=\"#cccccc\" stroke-width=\"0.6\"/>\n",
	        a->x0, y, x_of(a, span_us) - a->x0 > 2 ? x_of(a, span_us) - a->x0 : 2, h);
}

void tl_draw_strips(FILE *f, const struct panel *p, const struct axis *a, long ncores, int labels)
{
	const struct activity *act = &p->act;
	double y1 = p->strips_y, y2 = y1 + TL_STRIP_H + TL_STRIP_GAP, h = TL_STRIP_H;
	uint64_t span = p->span_us;
	double fl_top = act->in_flight_max > 0 ? (double)act->in_flight_max : 1;
	double cpu_top = act->on_cpu_max > (double)ncores ? act->on_cpu_max : (double)ncores;
	strips_frame(f, a, span, y1, h);
	strips_path(f, &p->flight, a, p->run->wall_us, y1, h, fl_top, "#4e79a7", "inflight");
	strips_frame(f, a, span, y2, h);
	if (p->run->spans_known) {
		strips_path(f, &p->cpu, a, p->run->wall_us, y2, h, cpu_top, TL_CPU, "oncpu");
		double ly = y2 + h - h * (double)ncores / cpu_top;
		fprintf(f,
		        "<line class=\"cores\" x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" "
		        "stroke=\"#111\" stroke-width=\"1\" stroke-dasharray=\"5 3\"/>\n",
		        a->x0, ly, x_of(a, span), ly);
		fprintf(f, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\">%ld cores</text>\n",
		        x_of(a, span) + 4, ly + 4, ncores);
	}
	if (!labels)
		return;
	fprintf(f,
	        "<text class=\"striplabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan font-weight=\"bold\">concurrency</tspan>: in flight</text>\n"
	        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">mean %.1f, "
	        "max %zu (top = %.0f)</text>\n",
	        TL_LEFT - 8, y1 + 12, TL_LEFT - 8, y1 + 25, act->in_flight_mean, act->in_flight_max,
	        fl_top);
	fprintf(f,
	        "<text class=\"striplabel\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
	        "<tspan font-weight=\"bold\">parallelism</tspan>: on a CPU</text>\n",
	        TL_LEFT - 8, y2 + 12);
	if (p->run->spans_known)
		fprintf(f,
		        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">mean "
		        "%.2f, max %.1f of %ld cores</text>\n",
		        TL_LEFT - 8, y2 + 25, act->on_cpu_mean, act->on_cpu_max, ncores);
	else
		fprintf(f,
		        "<text class=\"lanenote\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">not "
		        "recorded for this run</text>\n",
		        TL_LEFT - 8, y2 + 25);
}

double tl_state_legend(FILE *f, double y, int persec)
{
	static const struct {
		const char *ink, *label;
	} keys[] = {{TL_CPU, "on a CPU (pale: ready, waiting for a core)"},
	            {TL_GIL, "waiting for the GIL"},
	            {TL_NET, "waiting on the network"},
	            {"#ffffff", "idle"}};
	if (f) {
		fprintf(f,
		        "<text class=\"legend\" x=\"10\" y=\"%.1f\"><tspan font-weight=\"bold\">"
		        "worker state</tspan> (band under each lane):</text>\n",
		        y);
		double x = 250;
		for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			fprintf(f,
			        "<rect x=\"%.1f\" y=\"%.1f\" width=\"16\" height=\"12\" "
			        "fill=\"%s\" "
			        "stroke=\"#999\" stroke-width=\"0.6\"/><text class=\"legend\" "
			        "x=\"%.1f\" y=\"%.1f\">%s</text>\n",
			        x, y - 10, keys[k].ink, x + 22, y, keys[k].label);
			x += 40 + 7.2 * (double)strlen(keys[k].label);
		}
		fprintf(f,
		        "<text class=\"legend\" x=\"10\" y=\"%.1f\"><tspan font-weight=\"bold\">"
		        "under each panel</tspan>: requests in flight (concurrency) and workers on "
		        "a CPU at once, against a dashed line at the cores (parallelism)</text>\n",
		        y + 20);
		if (persec)
			fprintf(f,
			        "<text class=\"legend\" x=\"10\" y=\"%.1f\"><tspan "
			        "font-weight=\"bold\">under a run of %.0f s or more</tspan> (-d, "
			        "--rate): requests per second, <tspan fill=\"%s\">errors in "
			        "red</tspan>, and the <tspan fill=\"%s\" font-weight=\"bold\">p50"
			        "</tspan> and <tspan fill=\"%s\" font-weight=\"bold\">p99</tspan> "
			        "latency of each second (by end time)</text>\n",
			        y + 40, TL_PERSEC_MIN_US / 1e6, TL_FAIL, TL_P50, TL_P99);
	}
	return y + (persec ? 60 : 40);
}
