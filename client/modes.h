/* modes.h -- the four ways to run one batch, side by side; each has the mode_fn signature.
 *
 * Every mode fills out->results[i] for each request i (in batch order), out->concurrency,
 * out->wall_us and the client's own cost, and returns 0; it returns a negative errno only
 * when the run itself could not happen (no memory, no threads, no pipes). Call them after
 * curl_global_init, with stdout flushed (trace lines are written with write(2)). */
#ifndef LATLAB_MODES_H
#define LATLAB_MODES_H

#include "batch.h"

#include <sys/resource.h>

/* One easy handle reused for the whole batch, like requests.Session. */
int mode_sequential(const struct batch *b, struct run *out);

/* b->concurrency pthreads (at most n), each with its own easy handle, taking the next index
 * from one atomic counter. With b->work.gil the CPU work runs under one global mutex. */
int mode_threads(const struct batch *b, struct run *out);

/* b->concurrency forked workers sharing an atomic counter in shared memory; records come
 * back over one pipe per worker. A worker that dies has its unfinished requests recorded as
 * ERR_OTHER "worker died"; every worker is reaped. Must be called with no other threads. */
int mode_processes(const struct batch *b, struct run *out);

/* One libevent loop driving the curl multi socket API, b->concurrency in flight (0: all). */
int mode_async(const struct batch *b, struct run *out);

/* The mode_fn for m, or NULL for MODE_COMPARE. */
mode_fn mode_lookup(enum mode m);

/* The client's own cost: take a mark before a run, fold the deltas into r after it. */
struct cost_mark {
	struct rusage self;
	struct rusage children;
};
void cost_begin(struct cost_mark *m);
void cost_end(const struct cost_mark *m, struct run *r);

#endif
