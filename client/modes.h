/* modes.h -- the four ways to run one batch, side by side, and the one runner around them.
 *
 * run_mode does what every mode shares: it sizes the mode's workers from -c, measures the
 * wall time and the client's own cost, and records every request no worker ran as failed
 * ("interrupted" after Ctrl-C). A mode (sequential.c, threads.c, processes.c, async.c) holds
 * only its concurrency strategy: each is a mode_fn that runs the requests of rn->b on
 * rn->workers workers and fills rn->out->results[i] for each request i it ran. Call run_mode
 * after curl_global_init, with stdout flushed (trace lines are written with write(2)). */
#ifndef LATLAB_MODES_H
#define LATLAB_MODES_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct batch;
struct run;
struct req_result;
struct http_xfer;
struct span_log;
struct sched;
struct collect;

/* The concurrency modes, in the order compare runs and reports them. */
enum mode { MODE_SEQUENTIAL, MODE_THREADS, MODE_PROCESSES, MODE_ASYNC };
#define MODE_COUNT 4

/* What a mode gets from run_mode. A mode takes requests from sched (reqsched.h: index and due
 * time; sched_wait before a due time in the future) and hands each finished record to
 * collect_done (collect.h); it never addresses the run's records itself. */
struct runner {
	const struct batch *b;
	struct run *out;
	struct sched *sched; /* in shared memory: forked workers claim from it too */
	struct collect *col; /* thread-safe; in the parent process only */
	size_t workers;      /* threads, processes or transfers in flight: -c within [1, n] */
	uint64_t t0;         /* the batch start, CLOCK_MONOTONIC microseconds */
	const char *not_run; /* why requests no worker took were not run; the mode may set it */
};

/* The signature every mode shares: runs the batch and returns the number of workers that
 * ran (>= 1), or a negative errno when the run itself could not happen (no memory, no
 * threads, no pipes). Per-request failures are recorded, not returned. */
typedef int (*mode_fn)(struct runner *rn);

/* One easy handle reused for the whole batch, like requests.Session. */
int mode_sequential(struct runner *rn);

/* rn->workers pthreads, each with its own easy handle, taking the next index from one
 * atomic counter. With b->work.gil the CPU work runs under one global mutex. */
int mode_threads(struct runner *rn);

/* rn->workers forked workers sharing an atomic counter in shared memory; records come back
 * over one pipe per worker. A worker that dies has its unfinished request recorded as
 * ERR_OTHER "worker died"; every worker is reaped. Must be called with no other threads. */
int mode_processes(struct runner *rn);

/* One libevent loop driving the curl multi socket API, rn->workers in flight. */
int mode_async(struct runner *rn);

/* Runs batch b in mode m into out (from run_new; records it had are replaced): fills
 * out->stats, the records when b->keep_records, the delays of a small batch,
 * out->concurrency, out->wall_us and the client's cost; requests that never ran count as
 * errors (other). Returns 0, or the mode's negative errno when the run could not happen. */
int run_mode(enum mode m, const struct batch *b, struct run *out);

/* Does the batch's CPU work (--work) for the response just received on x; nothing without
 * --work. Callers that serialise it (--gil) hold their lock around the call. */
void run_work(const struct batch *b, const struct http_xfer *x);

/* Runs request i of rn's batch on x as worker w and then its CPU work (under gil when not
 * NULL), filling res (its due_us kept) and logging into log what the worker did: the
 * transfer (network wait), the wait for gil, and the work (on CPU), each with the CPU that
 * clock clk says it used; the transfer counts in rn->sched's in-flight gauge. The caller
 * waits for the due time before and hands res to the collector after. */
void run_request(const struct runner *rn, struct http_xfer *x, size_t i, uint32_t w,
                 pthread_mutex_t *gil, clockid_t clk, struct span_log *log, struct req_result *res);

/* Records res, a request that started and will not finish, as ERR_OTHER why, ending now and
 * keeping its start, and hands it to rn->col. */
void run_cut_short(const struct runner *rn, struct req_result *res, const char *why);

/* The workers for -c: c, or dflt when c is 0; never more than n, and at least 1. */
size_t run_workers(size_t c, size_t dflt, size_t n);

/* The mode's name ("sequential", ...), or "?" for a value outside the enum. */
const char *mode_name(enum mode m);

/* Finds the mode named s; 0, or -EINVAL for another name (including "compare"). */
int mode_parse(const char *s, enum mode *m);

/* The strategy of mode m, or NULL for a value outside the enum. */
mode_fn mode_lookup(enum mode m);

#endif
