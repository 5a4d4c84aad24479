/* sweep.h -- one batch at each concurrency of a list, for each mode of a list (latlab-client
 * sweep MODE[,MODE] -c 1,2,4,...), and the plot of the result. */
#ifndef LATLAB_SWEEP_H
#define LATLAB_SWEEP_H

#include "batch.h"
#include "report.h"

#include <stddef.h>

/* Runs b in each of modes[0..nmodes) at each of cs[0..ncs) (mode by mode, in a forked child
 * each, as compare does), into *out (nmodes * ncs runs, mode-major; free each with run_free
 * and the array with free). Returns the number of runs made (fewer when Ctrl-C stopped the
 * sweep), or -ENOMEM / -errno when none could be made. */
int sweep_run(const struct batch *b, const enum mode *modes, size_t nmodes, const unsigned *cs,
              size_t ncs, struct run ***out);

/* Writes the plot of runs[0..nruns) (with their summaries) to path as SVG: wall time and
 * throughput against concurrency, one line per mode, Little's law's ideal (in flight / time per
 * request at the lowest concurrency) and, with work_cpu_us, the cores' ceiling. Returns 0, or
 * a negative errno with a message in err. */
int sweep_plot(const char *path, const struct run *const *runs, const struct summary *sums,
               size_t nruns, uint64_t work_cpu_us, char *err, size_t errlen);

#endif
