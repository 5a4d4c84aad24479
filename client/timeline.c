/* timeline.c -- the SVG Gantt chart of finished runs: the page layout (lanes, sub-row
 * packing, the shared axis, heights) and the atomic write. Drawing is timeline_svg.c's.
 *
 * Owns the picture only: it reads struct run records and never changes them, computes no
 * statistics beyond the ideal time (run_ideal_us), and opens no sockets. The file is written
 * beside PATH and renamed over it (common/atomicfile), so a reader never sees half a file.
 *
 * Layout, top to bottom: title, one-line key, legend (colour per URL, failed marker), then
 * one panel per run on a shared ms axis. A panel has one lane per distinct worker; inside a
 * lane each request goes to the first sub-row free at its start (greedy interval packing,
 * O(n log n) with two heaps), so overlapping requests on one loop stack into a wall. */
#include "timeline.h"

#include "atomicfile.h"
#include "heap.h"
#include "timeline_page.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the axis ---- */

/* The smallest 1, 2 or 5 x 10^k at or above raw (raw > 0). */
static double nice_step(double raw)
{
	double p = pow(10.0, floor(log10(raw)));
	if (raw <= p * 1.000001)
		return p;
	if (raw <= 2 * p * 1.000001)
		return 2 * p;
	if (raw <= 5 * p * 1.000001)
		return 5 * p;
	return 10 * p;
}

/* The axis for span_us drawn from x0 over w px: about ten ticks 1, 2 or 5 x 10^k ms apart,
 * the right end rounded up to a tick. */
static void axis_make(struct axis *a, uint64_t span_us, double x0, double w)
{
	double span = span_us > 0 ? span_us / 1000.0 : 1.0;
	a->x0 = x0;
	a->w = w;
	a->step = nice_step(span / 10.0);
	a->nticks = (unsigned)ceil(span / a->step - 1e-9) + 1;
	if (a->nticks < 2)
		a->nticks = 2;
	a->ms = a->step * (a->nticks - 1);
	a->unit = a->ms >= 10000 ? 1000 : 1;
	a->decimals = 0;
	for (double s = a->step / a->unit; s < 0.999999 && a->decimals < 6; s *= 10)
		a->decimals++;
}

/* ---- lanes and sub-rows ---- */

/* Assigns b[0..n) (sorted by start) to sub-rows: each bar takes the lowest-numbered row whose
 * last bar ended at or before its start. Returns the number of rows used. busy (by end, then
 * row) and freeh (by row) come empty with room for n entries, and are left empty. */
static uint32_t pack_lane(struct bar *b, size_t n, struct heap *busy, struct heap *freeh)
{
	uint32_t rows = 0;
	struct heap_entry e;
	for (size_t i = 0; i < n; i++) {
		const struct heap_entry *top;
		while ((top = heap_peek(busy)) && top->key <= b[i].start) {
			heap_pop(busy, &e);
			heap_push(freeh, (struct heap_entry){e.tie, 0, NULL});
		}
		b[i].row = heap_pop(freeh, &e) == 0 ? (uint32_t)e.key : rows++;
		heap_push(busy, (struct heap_entry){b[i].end, b[i].row, NULL});
	}
	while (heap_pop(busy, NULL) == 0)
		;
	while (heap_pop(freeh, NULL) == 0)
		;
	return rows;
}

static int bar_cmp(const void *pa, const void *pb)
{
	const struct bar *a = pa, *b = pb;
	if (a->worker != b->worker)
		return a->worker < b->worker ? -1 : 1;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	return a->idx < b->idx ? -1 : a->idx > b->idx;
}

/* The worker -> lane map and the two numbers over time. 0, or -ENOMEM. */
static int panel_activity(struct panel *p, const struct run *r)
{
	p->nworkers = 0;
	for (size_t i = 0; i < p->nlanes; i++)
		if (p->lanes[i].worker >= p->nworkers && p->lanes[i].worker < 100000)
			p->nworkers = p->lanes[i].worker + 1;
	p->lane_of = malloc((p->nworkers ? p->nworkers : 1) * sizeof(*p->lane_of));
	if (!p->lane_of)
		return -ENOMEM;
	for (size_t w = 0; w < p->nworkers; w++)
		p->lane_of[w] = SIZE_MAX;
	for (size_t i = 0; i < p->nlanes; i++)
		if (p->lanes[i].worker < p->nworkers)
			p->lane_of[p->lanes[i].worker] = i;
	if (activity_measure(r, &p->act) != 0 || activity_in_flight_steps(r, &p->flight) != 0 ||
	    activity_on_cpu_steps(r, &p->cpu) != 0)
		return -ENOMEM;
	return 0;
}

/* Sorts the run's requests into lanes and packs each lane. Returns 0 or -ENOMEM. */
static int panel_build(struct panel *p, const struct run *r)
{
	size_t n = r->nresults;
	p->run = r;
	p->bars = calloc(n ? n : 1, sizeof(*p->bars));
	p->lanes = calloc(n ? n : 1, sizeof(*p->lanes));
	struct heap busy = {0}, freeh = {0};
	int rc = -ENOMEM;
	if (!p->bars || !p->lanes || heap_reserve(&busy, n) != 0 || heap_reserve(&freeh, n) != 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct req_result *q = &r->results[i];
		p->bars[i].start = q->start_us;
		p->bars[i].end = q->end_us > q->start_us ? q->end_us : q->start_us;
		p->bars[i].worker = q->worker;
		p->bars[i].idx = (uint32_t)i;
	}
	p->span_us = r->wall_us;
	for (size_t i = 0; i < n; i++)
		if (p->bars[i].end > p->span_us)
			p->span_us = p->bars[i].end;
	p->nsec = tl_persec_seconds(r, p->span_us);
	qsort(p->bars, n, sizeof(*p->bars), bar_cmp);
	p->nlanes = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && p->bars[j].worker == p->bars[i].worker)
			j++;
		struct lane *l = &p->lanes[p->nlanes++];
		l->first = i;
		l->count = j - i;
		l->worker = p->bars[i].worker;
		l->rows = pack_lane(&p->bars[i], j - i, &busy, &freeh);
		i = j;
	}
	rc = panel_activity(p, r);
out:
	heap_free(&freeh);
	heap_free(&busy);
	return rc;
}

/* Places the lanes of p from y on the shared axis a; returns the panel's height. */
static double panel_layout(struct panel *p, double y, const struct axis *a)
{
	p->y = y;
	p->lanes_y = y + TL_PANEL_HEAD;
	p->zoom = p->nlanes > 0 && p->span_us > 0 && p->span_us / 1000.0 <= a->ms * TL_ZOOM_BELOW;
	if (p->zoom)
		axis_make(&p->z, p->span_us, TL_ZOOM_X0, TL_LEFT + TL_PLOT_W - TL_ZOOM_X0);
	double strips = 2 * TL_STRIP_H + 2 * TL_STRIP_GAP;
	/* a long run's per-second strips go under the two strips */
	double persec = p->nsec ? 2 * (TL_PERSEC_H + TL_PERSEC_GAP) : 0;
	if (p->nlanes == 0) {
		p->lanes_h = TL_ROW_MAX;
		p->row_h = TL_ROW_MAX;
		p->strips_y = p->lanes_y + p->lanes_h + TL_PANEL_FOOT;
		p->persec_y = p->strips_y + strips + TL_PERSEC_GAP;
		return TL_PANEL_HEAD + p->lanes_h + TL_PANEL_FOOT + strips + persec;
	}
	double gap = p->nlanes <= 16 ? 4.0 : p->nlanes <= 100 ? 1.0 : 0.0;
	double total_rows = 0;
	for (size_t i = 0; i < p->nlanes; i++)
		total_rows += p->lanes[i].rows;
	/* the state band: wider for a few lanes (readable from the back of a classroom), none
	 * for very many */
	double band = p->nlanes <= 16 ? TL_STATE_H + 4 : p->nlanes <= 100 ? TL_STATE_H : 0;
	double room = TL_LANES_MAX - (gap + band) * (double)p->nlanes;
	p->row_h = room / total_rows < TL_ROW_MAX ? room / total_rows : TL_ROW_MAX;
	/* a wall of sub-rows (async) keeps readable rows while the panel can grow */
	if (p->row_h < TL_ROW_MIN &&
	    TL_ROW_MIN * total_rows + (gap + band) * (double)p->nlanes <= TL_LANES_BIG)
		p->row_h = TL_ROW_MIN;
	double cy = p->lanes_y;
	for (size_t i = 0; i < p->nlanes; i++) {
		p->lanes[i].y = cy;
		p->lanes[i].h = p->lanes[i].rows * p->row_h + band;
		cy += p->lanes[i].h + gap;
	}
	p->lanes_h = cy - gap - p->lanes_y;
	p->strips_y = p->lanes_y + p->lanes_h + TL_PANEL_FOOT + (p->zoom ? 18 : 0) + TL_STRIP_GAP;
	p->persec_y = p->strips_y + 2 * TL_STRIP_H + TL_STRIP_GAP + TL_PERSEC_GAP;
	return TL_PANEL_HEAD + p->lanes_h + TL_PANEL_FOOT + (p->zoom ? 18 : 0) + strips + 8 +
	       persec;
}

/* ---- the page ---- */

static void page_free(struct tl_page *pg)
{
	if (pg->panels)
		for (size_t i = 0; i < pg->np; i++) {
			free(pg->panels[i].lanes);
			free(pg->panels[i].bars);
			free(pg->panels[i].lane_of);
			activity_steps_free(&pg->panels[i].flight);
			activity_steps_free(&pg->panels[i].cpu);
		}
	free(pg->panels);
	free(pg->site_of);
	free(pg->site_url);
}

/* One colour per site, as the legend names them: URLs whose short names (tl_url_short) agree
 * share the first one's colour. 0, or -ENOMEM. */
static int page_sites(struct tl_page *pg)
{
	size_t n = pg->nlegend ? pg->nlegend : 1;
	pg->site_of = calloc(n, sizeof(*pg->site_of));
	pg->site_url = calloc(n, sizeof(*pg->site_url));
	if (!pg->site_of || !pg->site_url)
		return -ENOMEM;
	pg->nsites = 0;
	for (size_t u = 0; u < pg->nlegend; u++) {
		char a[64], b[64];
		size_t k = pg->nsites;
		if (pg->nurls && pg->urls[u]) {
			tl_url_short(pg->urls[u], a, sizeof(a));
			for (k = 0; k < pg->nsites && k < 64;
			     k++) { /* then colours repeat anyway */
				const char *first = pg->urls[pg->site_url[k]];
				tl_url_short(first ? first : "", b, sizeof(b));
				if (strcmp(a, b) == 0)
					break;
			}
			if (k == 64)
				k = pg->nsites;
		}
		if (k == pg->nsites)
			pg->site_url[pg->nsites++] = u;
		pg->site_of[u] = (uint32_t)k;
	}
	return 0;
}

/* Lays out the page of runs[0..nruns) (none NULL). 0, or -ENOMEM (pg freed). */
static int page_build(struct tl_page *pg, const struct run *const *runs, size_t nruns,
                      const char *const *urls, size_t nurls)
{
	memset(pg, 0, sizeof(*pg));
	pg->urls = urls;
	pg->nurls = urls ? nurls : 0;
	pg->panels = calloc(nruns, sizeof(*pg->panels));
	if (!pg->panels)
		return -ENOMEM;
	pg->np = nruns;
	uint64_t span = 0;
	for (size_t i = 0; i < nruns; i++) {
		if (panel_build(&pg->panels[i], runs[i]) < 0) {
			page_free(pg);
			return -ENOMEM;
		}
		if (runs[i]->wall_us > span)
			span = runs[i]->wall_us;
		for (size_t j = 0; j < runs[i]->nresults; j++)
			if (runs[i]->results[j].end_us > span)
				span = runs[i]->results[j].end_us;
	}
	for (size_t i = 0; i < nruns; i++)
		pg->persec |= pg->panels[i].nsec > 0;
	/* legend: at least as many entries as the highest url_index seen when urls are absent */
	pg->nlegend = pg->nurls;
	if (pg->nlegend == 0)
		for (size_t i = 0; i < nruns; i++)
			for (size_t j = 0; j < runs[i]->nresults; j++)
				if (runs[i]->results[j].url_index >= pg->nlegend &&
				    pg->nlegend < 1000)
					pg->nlegend = runs[i]->results[j].url_index + 1;
	if (page_sites(pg) != 0) {
		page_free(pg);
		return -ENOMEM;
	}
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	pg->ncores = cores > 0 ? cores : 1;
	axis_make(&pg->axis, span, TL_LEFT, TL_PLOT_W);
	pg->legend_y = 72;
	double y = tl_legend(NULL, pg->legend_y, pg) + 4;
	for (size_t i = 0; i < nruns; i++)
		y += panel_layout(&pg->panels[i], y, &pg->axis) + TL_PANEL_GAP;
	pg->height = y + 16;
	return 0;
}

/* Draws pg into a temporary file beside path and renames it over path. 0, or -errno. */
static int page_write(const char *path, const struct tl_page *pg)
{
	struct atomic_file af;
	int rc = atomic_file_open(&af, path);
	if (rc != 0)
		return rc;
	tl_draw(af.f, pg);
	return atomic_file_commit(&af);
}

int timeline_write_svg(const char *path, const struct run *const *runs, size_t nruns,
                       const char *const *urls, size_t nurls, char *err, size_t errlen)
{
	char dummy[1];
	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!path || !*path) {
		snprintf(err, errlen, "no output path");
		return -EINVAL;
	}
	if (nruns == 0 || !runs) {
		snprintf(err, errlen, "'%s': no runs to draw", path);
		return -EINVAL;
	}
	for (size_t i = 0; i < nruns; i++)
		if (!runs[i]) {
			snprintf(err, errlen, "'%s': run %zu is missing", path, i + 1);
			return -EINVAL;
		}
	struct tl_page pg;
	if (page_build(&pg, runs, nruns, urls, nurls) != 0) {
		snprintf(err, errlen, "'%s': out of memory", path);
		return -ENOMEM;
	}
	int rc = page_write(path, &pg);
	if (rc != 0)
		snprintf(err, errlen, "cannot write '%s': %s", path, strerror(-rc));
	page_free(&pg);
	return rc;
}
