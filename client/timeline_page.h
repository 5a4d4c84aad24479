/* timeline_page.h -- the timeline's page, shared by its two halves: timeline.c lays the
 * page out (lanes, sub-rows, axis, heights) and timeline_svg.c draws it as SVG. Internal to
 * the timeline; nothing else includes it. */
#ifndef LATLAB_TIMELINE_PAGE_H
#define LATLAB_TIMELINE_PAGE_H

#include "activity.h"
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
#define TL_STATE_H    7.0   /* the worker-state band under each lane's request rows */
#define TL_ROW_MIN    5.0   /* sub-rows stay at least this tall while the panel allows */
#define TL_LANES_BIG  560.0 /* ... up to this many px of lanes */
#define TL_STRIP_H    30.0  /* each of the two strips under a panel */
#define TL_STRIP_GAP  6.0
#define TL_CPU        "#b2182b" /* on a CPU */
#define TL_GIL        "#f5b800" /* waiting for the GIL */
#define TL_NET        "#a6c4e0" /* waiting on the network */
/* the per-second strips under a long run (timeline_persec.c) */
#define TL_PERSEC_MIN_US 3000000ULL /* a -d or --rate run lasting this long gets them */
#define TL_PERSEC_H      46.0       /* each of the two */
#define TL_PERSEC_GAP    10.0       /* above each */
#define TL_PERSEC_INK    "#8da0b6"  /* the requests of a second */
#define TL_P50           "#2c5d8f"
#define TL_P99           "#e8830c"

struct bar {
	uint64_t start, end; /* end >= start */
	uint32_t worker;
	uint32_t idx; /* into run->results */
	uint32_t row; /* sub-row within the lane */
};

struct lane {
	size_t first, count; /* bars[first .. first + count) */
	uint32_t rows;       /* sub-rows = most requests in flight at once on this lane */
	uint32_t worker;     /* whose lane it is (req_result.worker) */
	double y, h;         /* h includes the state band at y + rows * row_h */
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
	int zoom;        /* the run is short on the shared axis: also drawn on its own */
	struct axis z;   /* the inset's axis when zoom */
	size_t *lane_of; /* worker -> lane index, for workers < nworkers (SIZE_MAX: none) */
	size_t nworkers;
	struct steps flight, cpu; /* requests in flight and workers on a CPU over time */
	struct activity act;
	double strips_y; /* top of the two strips under the lanes */
	size_t nsec;     /* seconds in the per-second strips (tl_persec_seconds); 0: none */
	double persec_y; /* top of the per-second strips, below the two strips */
};

/* the whole picture, laid out and ready to draw */
struct tl_page {
	struct panel *panels; /* one per run */
	size_t np;
	struct axis axis; /* shared by every panel */
	const char *const *urls;
	size_t nurls;      /* 0 when urls is NULL */
	size_t nlegend;    /* URLs known: nurls, or the URLs the records name when 0 */
	uint32_t *site_of; /* url_index -> site (colour) index, for url_index < nlegend */
	size_t *site_url;  /* site -> the first url_index of that site */
	size_t nsites;
	long ncores; /* the cores of this machine, for the parallelism strip */
	int persec;  /* some panel has the per-second strips (the legend says what they are) */
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

/* Lays the legend of pg's sites (colour per site; urls may be NULL: "URL k") and the worker
 * states out in rows from y, and writes it when f is not NULL. Returns the y below it. */
double tl_legend(FILE *f, double y, const struct tl_page *pg);

/* The short name of a URL: its first path segment (how latlab-server names a site), else its
 * host; copied into buf (cut at cap). */
void tl_url_short(const char *url, char *buf, size_t cap);

/* The colour of site k. */
const char *tl_colour(size_t k);

/* Writes lane li's worker-state band (network, GIL, CPU spans) on axis a. */
void tl_draw_states(FILE *f, const struct panel *p, size_t li, const struct axis *a);

/* Writes the two strips under panel p (requests in flight; workers on a CPU against a line
 * at ncores) on axis a, with their labels in the left column when labels. */
void tl_draw_strips(FILE *f, const struct panel *p, const struct axis *a, long ncores, int labels);

/* Writes the legend of the worker states and the strips from y, and of the per-second strips
 * when persec; returns the y below it (f NULL: only measures). */
double tl_state_legend(FILE *f, double y, int persec);

/* The seconds the per-second strips under r's panel show, the rows of --per-second (seconds
 * by end time, up to the last in which a request ended), when r is a -d or --rate run with
 * its stats whose panel spans span_us >= TL_PERSEC_MIN_US; else 0 (no strips: a batch, a
 * short run). */
size_t tl_persec_seconds(const struct run *r, uint64_t span_us);

/* Writes panel p's two per-second strips (requests with errors in red; p50 and p99) at
 * p->persec_y on axis a, with their labels in the left column. Nothing when p->nsec is 0. */
void tl_draw_persec(FILE *f, const struct panel *p, const struct axis *a);

/* Writes the SVG document of the laid-out page pg to f; write errors stay on f. */
void tl_draw(FILE *f, const struct tl_page *pg);

#endif
