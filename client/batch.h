/* batch.h -- what every client mode shares: the batch to run and the record of each request.
 *
 * run_mode (modes.h) runs a mode over a const struct batch and fills a struct run: one
 * struct req_result per request, in batch order (results[i] is request i), plus the wall
 * time and the client's own cost. Reports (summary, JSON, CSV, timeline) read a finished
 * struct run and never change it. run_new, run_free and run_ideal_us live in run.c. */
#ifndef LATLAB_BATCH_H
#define LATLAB_BATCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "activity.h"
#include "modes.h" /* enum mode */

/* Error classes, as counted in the summary and JSON "errors" object. */
enum err_class {
	ERR_NONE = 0,
	ERR_CONNECT, /* refused, unreachable, DNS failure */
	ERR_TIMEOUT, /* --timeout expired */
	ERR_HTTP,    /* a response with status >= 400 */
	ERR_OTHER,   /* reset, garbage, empty reply, worker died, ... */
	ERR_NCLASSES
};

/* One request's record. Times are microseconds relative to the batch start (CLOCK_MONOTONIC). */
struct req_result {
	uint32_t index;     /* position in the batch; also sent as X-Latlab-Seq */
	uint32_t url_index; /* which of batch->urls */
	pid_t pid;          /* process that ran it */
	pid_t tid;          /* kernel thread id that ran it (gettid) */
	uint32_t worker;    /* lane: thread or process number; 0 in sequential and async */
	uint64_t due_us;    /* when it was due: 0 in a batch, i/R with --rate, start in a -d loop */
	uint64_t start_us;
	uint64_t end_us;
	int status;       /* HTTP status, 0 when no response */
	uint64_t bytes;   /* body bytes received */
	int64_t delay_us; /* X-Latlab-Delay-Us, -1 when the server sent none */
	int64_t queue_us; /* X-Latlab-Queue-Us: time queued at a finite site; 0 when none */
	enum err_class err;
	/* libcurl's phases (CURLINFO_*_TIME_T deltas), microseconds; 0 when not reached */
	uint32_t dns_us, connect_us, tls_us, ttfb_us, transfer_us;
	char errmsg[96]; /* short reason when err != ERR_NONE, else "" */
};

/* CPU-bound work per response (the GIL lesson). */
struct work {
	uint64_t cpu_us; /* 0: none */
	int gil;         /* threads take one global lock around the work */
	uint64_t iters;  /* loop iterations that take cpu_us here (work_calibrate); 0: none */
};

struct batch {
	const char *const *urls; /* the distinct URLs, not owned */
	size_t nurls;
	size_t n;             /* requests: URLs cycled (repeat K gives n = K * nurls); with
	                       * duration_us and no rate, the most a run may start */
	unsigned concurrency; /* workers or in-flight cap; 0 means all (async only) */
	uint64_t timeout_us;  /* per request; 0: none */
	struct work work;
	int trace;                 /* print "PID process | TID url : URL" as each request starts */
	int trace_fd;              /* where: 1, or 2 when stdout carries the JSON or CSV report */
	uint64_t duration_us;      /* -d: closed loop until then (no rate); 0: a batch of n */
	double rate;               /* --rate: request i due at i / rate seconds; 0: none */
	size_t keep_records;       /* per-request records kept for indices below this; 0: none */
	unsigned loops;            /* async: event loops on their own threads; 0 or 1: one, here */
	int progress;              /* draw the live progress line on stdout (a TTY); 0: none */
	const char *cacert;        /* CA bundle (PEM) trusted for https, NULL: the system's */
	const struct reqopts *req; /* headers, method, body, keep-alive (reqopts.h); NULL: GET */
};

/* The URL of request i (not owned). */
static inline const char *batch_url(const struct batch *b, size_t i)
{
	return b->urls[i % b->nurls];
}

struct stats;
struct reqopts;

struct run {
	enum mode mode;
	unsigned concurrency;       /* effective: 1 for sequential, n for async "all" */
	size_t n;                   /* requests in the run (started, or in the batch) */
	struct req_result *results; /* nresults records by index (NULL: none kept), owned */
	size_t nresults;
	int64_t *delays;        /* n injected delays by index (-1 unknown), owned; NULL: none */
	struct stats *stats;    /* what the run measured (stats.h), owned; NULL: from results */
	double rate;            /* --rate asked, 0: none */
	size_t records_dropped; /* records not kept (beyond batch keep_records) */
	uint64_t duration_us;   /* -d asked, 0: none */
	uint64_t wall_us;
	/* the client's own cost during the run (getrusage deltas, children included for
	 * processes) */
	uint64_t cpu_user_us;
	uint64_t cpu_sys_us;
	uint64_t ctx_voluntary;
	uint64_t ctx_involuntary;
	uint64_t maxrss_kib;
	/* what the workers did (activity.h): spans[0..nspans), owned by the run */
	struct span *spans;
	size_t nspans;
	int spans_known;      /* every worker's spans arrived: parallelism is measured */
	int spans_capped;     /* spans past ACTIVITY_MAX_SPANS were summed, not kept */
	uint64_t span_cpu_us; /* CPU of every span, kept or not */
	uint64_t span_gil_us; /* GIL wait of every span, kept or not */
	/* concurrency without the records (bounded memory): the time requests were in flight,
	 * summed, and the most in flight at once (reqsched.h's gauge) */
	uint64_t busy_us;
	size_t in_flight_max;
	/* --work: the CPU each response asked for, and the cores there were (the ideal's) */
	uint64_t work_us;
	unsigned cores;
};

/* Allocates a run of n zeroed records (index = i, delay_us = -1); NULL when out of memory.
 * The caller frees it with run_free. Its stats are computed from the records later
 * (run_restat). */
struct run *run_new(enum mode mode, size_t n);

/* (Re)computes r->stats from r->results (the unit tests', compare's and merge's path).
 * Returns 0 or -ENOMEM. */
int run_restat(struct run *r);

/* Frees r and its records; NULL is a no-op. */
void run_free(struct run *r);

/* The ideal wall time from the time each request holds a worker: the server's injected delay
 * plus its X-Latlab-Queue-Us (r->delays, else the records) plus the run's --work (work_us):
 * their sum at concurrency 1, else the makespan of the batch in order on `concurrency`
 * workers (each request goes to the worker free first), and never less than the work alone
 * on min(concurrency, cores) CPUs. Returns 0, or -ENODATA when any request has no known
 * delay or the run kept none (a -d or --rate run: ideal unknown). */
int run_ideal_us(const struct run *r, uint64_t *out);

#endif
