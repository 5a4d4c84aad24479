/* timeline_page.h -- the timeline's page, shared by its two halves: timeline.c lays the
 * page out (lanes, sub-rows, axis, heights) and timeline_svg.c draws it as SVG. Internal to
 * the timeline; nothing else includes it. */
#ifndef LATLAB_TIMELINE_PAGE_H
#define LATLAB_TIMELINE_PAGE_H

#include "batch.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* geometry in px */
#define TL_WIDTH      1200.0
#define TL_LEFT       220.0 /* lane labels live left of this */
#define TL_RIGHT      40.0
#define TL_PLOT_W     (TL_WIDTH - TL_LEFT - TL_RIGHT)
#define TL_ROW_MAX    22.0  /* height of a sub-row when there is room */
#define TL_LANES_MAX  320.0 /* a panel's lanes shrink their rows to stay within this */
#define TL_PANEL_HEAD 30.0  /* panel title above the lanes */
#define TL_PANEL_FOOT 20.0  /* tick labels below the lanes */
#define TL_PANEL_GAP  16.0
#define TL_LEGEND_MAX 12 /* URLs named in the legend; the rest are summarised */
#define TL_FAIL       "#d62728"
#define TL_ZOOM_BELOW 0.2 /* a run ending before this share of the axis gets an inset */
#define TL_ZOOM_X0    (TL_LEFT + 0.36 * TL_PLOT_W)
#define TL_ZOOM_INK   "#555555"

struct bar {
	uint64_t start, end; /* end >= start */
	uint32_t worker;
	uint32_t idx; /* into run->results */
	uint32_t row; /* sub-row within the lane */
};

struct lane {
	size_t first, count; /* bars[first .. first + count) */
	uint32_t rows;       /* sub-rows = most requests in flight at once on this lane */
	double y, h;
};

struct axis {
	double x0, w; /* where it is drawn, px */
	double ms;    /* right end of the axis, a multiple of step */
	double step;  /* between ticks, ms */
	double unit;  /* tick labels count this many ms: 1 (ms) or 1000 (s, from 10 s on) */
	int decimals;
	unsigned nticks; /* ticks at 0, step, ..., (nticks - 1) * step */
};

struct panel {
	const struct run *run;
	struct bar *bars;
	struct lane *lanes;
	size_t nlanes;
	uint64_t span_us; /* the later of the wall time and the last end */
	double row_h;
	double y, lanes_y, lanes_h;
	int zoom;      /* the run is short on the shared axis: also drawn on its own */
	struct axis z; /* the inset's axis when zoom */
};

/* the whole picture, laid out and ready to draw */
struct tl_page {
	struct panel *panels; /* one per run */
	size_t np;
	struct axis axis; /* shared by every panel */
	const char *const *urls;
	size_t nurls;   /* 0 when urls is NULL */
	size_t nlegend; /* legend entries: nurls, or the URLs the records name when 0 */
	double legend_y, height;
};

/* The x of us microseconds on axis a, px. */
static inline double x_of(const struct axis *a, uint64_t us)
{
	return a->x0 + (us / 1000.0) / a->ms * a->w;
}

/* The x of tick k on axis a, px. */
static inline double tick_x(const struct axis *a, unsigned k)
{
	return a->x0 + a->w * k / (a->nticks - 1);
}

/* Lays the legend of nurls entries (urls may be NULL: "URL k") out in rows from y, and
 * writes it when f is not NULL. Returns the y below the legend. */
double tl_legend(FILE *f, double y, const char *const *urls, size_t nurls);

/* Writes the SVG document of the laid-out page pg to f; write errors stay on f. */
void tl_draw(FILE *f, const struct tl_page *pg);

#endif
