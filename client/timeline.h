/* timeline.h -- the classroom picture: an SVG Gantt chart of one or more finished runs.
 *
 * One panel per run, all panels on the same time axis (ms). In a panel, one lane per worker
 * (thread, process, or the single loop), one bar per request coloured by URL/site. A lane
 * whose requests overlap in time (the async loop) stacks them in sub-rows, so concurrency on
 * one thread is visible beside parallel lanes. The title of a panel names the mode, wall time
 * and efficiency (or "unknown" when the server sent no delays). */
#ifndef LATLAB_TIMELINE_H
#define LATLAB_TIMELINE_H

#include "batch.h"

#include <stddef.h>

/* Writes the SVG for runs[0..nruns) to path (replacing it atomically). urls/nurls name the
 * batch's distinct URLs for the legend. Returns 0, or a negative errno with a one-line
 * message in err. */
int timeline_write_svg(const char *path, const struct run *const *runs, size_t nruns,
                       const char *const *urls, size_t nurls, char *err, size_t errlen);

#endif
