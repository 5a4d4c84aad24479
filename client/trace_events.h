/* trace_events.h -- a finished run as Chrome Trace Event JSON (--trace-events), the format
 * Perfetto, chrome://tracing and VizTracer use: one process per run (named by its mode), one
 * thread track per worker with its state spans ("X": network, gil, cpu), each request as an
 * async span ("b"/"e", id = its index) on its worker, and two counters ("C"): requests in
 * flight and workers on a CPU. Times are microseconds from each run's start. */
#ifndef LATLAB_TRACE_EVENTS_H
#define LATLAB_TRACE_EVENTS_H

#include "batch.h"

#include <stddef.h>

/* Writes {"traceEvents": [...], "displayTimeUnit": "ms"} for runs[0..nruns) to path (replaced
 * whole, never half-written). urls name the batch's URLs (not owned). Returns 0, or a
 * negative errno with a one-line message in err. */
int trace_events_write(const char *path, const struct run *const *runs, size_t nruns,
                       const char *const *urls, size_t nurls, char *err, size_t errlen);

#endif
