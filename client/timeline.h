/* timeline.h -- the classroom picture: an SVG Gantt chart of one or more finished runs.
 *
 * One panel per run, all panels on the same time axis (ms; seconds once the axis reaches
 * 10 s). In a panel, one lane per worker (struct req_result.worker: "main thread",
 * "thread N (tid T)", "process N (pid P)", "event loop (tid T)"), one bar per request from
 * start_us to end_us, coloured by site (URLs whose first path segment, or host, agree share
 * a colour; a fixed palette, named in a legend), a band under each lane with the worker's
 * state spans (class "state cpu|gil|net"), and under each panel two strips on the same axis:
 * requests in flight (class "inflight") and workers on a CPU (class "oncpu") against a dashed
 * line at the cores (class "cores"). A lane whose requests overlap in time (the async loop) stacks
 * them in sub-rows, each request in the first sub-row free at its start, so concurrency on
 * one thread is visible beside parallel lanes; rows shrink so a panel stays about 320 px
 * tall, but not below 5 px while the lanes fit in 560 px. Failed requests (err != ERR_NONE) are
 * hatched with a red outline. The title of a panel names the mode, wall time, efficiency (ideal /
 * wall from run_ideal_us, or "unknown" when the server sent no delays) and, after a first
 * sequential panel, the speed-up.
 *
 * A long run -- a -d or --rate run whose panel spans at least 3 s (TL_PERSEC_MIN_US), so its
 * per-second data (stats.h, the rows of --per-second) holds at least three whole seconds --
 * gets two more strips below those, on the same axis: requests per second, one bar per second
 * from k s to k+1 s (or the run's end) as tall as its requests, its errors the red part at
 * the bar's foot, the left column naming the top ("12,345 req/s"); and latency per second,
 * the p50 and p99 of each second as step lines scaled to the highest p99 (both maxima named in
 * ms), broken where a second had no response (a gap, not a zero). A batch (-n, --repeat,
 * compare, make demo) or a shorter run never gets them, so its picture stays as it was.
 *
 * For tests and tools, each bar is <rect class="req" ...> ("req fail" when failed) with
 * data-lane and data-row attributes; each lane background is class="lane"; each panel is
 * <g class="panel" data-mode="...">. Per second k of a long run: <rect class="persec"
 * data-second="k" data-requests="N" data-errors="E">, <rect class="persec-err" data-second="k"
 * data-errors="E"> when E > 0, and, when the second had responses, <rect class="persec-lat"
 * data-second="k" data-p50-ms="..." data-p99-ms="..."> (the CSV's "%.3f" values), each with a
 * <title> naming the second, its requests, errors, p50 and p99; the lines are <path
 * class="p50"> and <path class="p99">, one subpath per unbroken stretch. Text from outside
 * (URLs, error messages) is escaped. */
#ifndef LATLAB_TIMELINE_H
#define LATLAB_TIMELINE_H

#include "batch.h"

#include <stddef.h>

/* Writes the SVG for runs[0..nruns) to path: to a temporary file beside it first, then
 * renamed over path (common/atomicfile), so a reader never sees half a picture. urls/nurls name the
 * batch's distinct URLs for the legend and tooltips (not owned; NULL/0 labels them "URL k"). Reads
 * the runs, never changes them. Time and memory are O(n log n) in the number of requests. Returns
 * 0, or a negative errno with a one-line message naming path in err (when err is not NULL; no flag
 * prefix, the caller adds its own): -EINVAL for no runs or a NULL run, -ENOMEM, or the errno of a
 * failed open/write/rename (no file is left behind then). */
int timeline_write_svg(const char *path, const struct run *const *runs, size_t nruns,
                       const char *const *urls, size_t nurls, char *err, size_t errlen);

#endif
