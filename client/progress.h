/* progress.h -- the live progress line on a terminal: about 4 times a second, one line
 * rewritten in place ("\r"): done/total (or elapsed/duration), req/s, errors, p99 so far and
 * the time left. Only when stdout is a TTY; the caller decides (--quiet, --trace, --json -). */
#ifndef LATLAB_PROGRESS_H
#define LATLAB_PROGRESS_H

#include <stdint.h>

struct batch;
struct collect;
struct progress;

/* Starts a thread that draws the line for batch b (started at t0, CLOCK_MONOTONIC us) from
 * col onto fd until progress_stop. NULL when it could not start (no line then, not an error). */
struct progress *progress_start(const struct batch *b, struct collect *col, uint64_t t0, int fd);

/* Stops the thread, erases the line and frees p; NULL is a no-op. */
void progress_stop(struct progress *p);

#endif
