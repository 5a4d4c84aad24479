/* compare.h -- every mode on the same batch, each in its own child process so that its
 * cost (CPU, context switches, peak RSS) is its own. */
#ifndef LATLAB_COMPARE_H
#define LATLAB_COMPARE_H

#include "batch.h"

#define COMPARE_NMODES MODE_COUNT /* every mode, in enum mode's order */

/* Runs the four modes one after another on b, mode m with concurrency conc[m] (0: all), each
 * in a forked child that sends its run back over a pipe. Fills runs[0..k) (free each with
 * run_free; the rest are NULL) and returns k: 4, or fewer when Ctrl-C stopped the comparison
 * after mode k. A mode whose child fails is recorded with every request ERR_OTHER. Returns
 * -ENOMEM / -errno when no run could be made at all. Call with no other threads running. */
/* Runs mode m with concurrency c (0: all) on b in a forked child, filling r (allocated with
 * run_new(m, b->n)). 0, or -errno when no child could run; a child that fails is recorded
 * with every request ERR_OTHER. Call with no other threads running. */
int compare_mode(const struct batch *b, enum mode m, unsigned c, struct run *r);

int compare_run(const struct batch *b, const unsigned conc[COMPARE_NMODES],
                struct run *runs[COMPARE_NMODES]);

#endif
