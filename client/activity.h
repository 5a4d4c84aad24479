/* activity.h -- what each worker was doing, and the lesson's two numbers.
 *
 * Every mode logs, per worker, spans of one state: waiting on the network (a transfer in
 * progress), waiting for the GIL (--gil lock wait) and running on a CPU (--work, or async's
 * callbacks), each with the CPU the worker's own clock (CLOCK_THREAD_CPUTIME_ID, or the
 * process's clock for processes workers) says it used during the span. From a finished run,
 * activity_measure computes concurrency (requests in flight over the wall) and parallelism
 * (workers on a CPU at once: each span counts as cpu_us / its length, so a thread that is
 * runnable but not running does not count). */
#ifndef LATLAB_ACTIVITY_H
#define LATLAB_ACTIVITY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct run;

/* A worker's state; idle is what no span covers. */
enum wstate { WS_IDLE = 0, WS_NET, WS_GIL, WS_CPU, WS_NSTATES };

/* One span of one worker in one state. Times are microseconds from the batch start. */
struct span {
	uint64_t start_us;
	uint64_t end_us;
	uint64_t cpu_us; /* the worker's CPU clock during the span */
	uint32_t worker; /* lane, as req_result.worker */
	uint32_t state;  /* enum wstate */
};

/* Spans a run keeps at most (32 B each: 8 MiB), shared among its workers. Past that (a long
 * -d or --rate run) a worker's further spans are only summed (CPU, GIL wait): the run's
 * parallelism mean and gil_wait_s stay exact, its maximum comes from the spans kept. */
#define ACTIVITY_MAX_SPANS (1u << 18)

/* A growing list of spans, owned; zero-initialise it, free it with span_log_free. */
struct span_log {
	struct span *v;
	size_t n, cap;
	size_t max;      /* spans kept at most; 0: ACTIVITY_MAX_SPANS */
	int lost;        /* a span was dropped for lack of memory: the measure is incomplete */
	int capped;      /* spans past max were summed, not kept */
	uint64_t cpu_us; /* every span's CPU, kept or not */
	uint64_t gil_us; /* every GIL-wait span's length, kept or not */
};

/* The span cap of each of `workers` workers' logs: their share of ACTIVITY_MAX_SPANS, at
 * least 256. */
size_t activity_log_max(size_t workers);

/* Appends a span, merged into the previous one when it has the same worker and state and
 * starts within 20 us of its end; past l->max it is only summed (capped set). Never fails: on
 * no memory the span is dropped and lost set. */
void span_log_add(struct span_log *l, uint32_t worker, enum wstate st, uint64_t start_us,
                  uint64_t end_us, uint64_t cpu_us);

/* Frees l's spans and zeroes it. */
void span_log_free(struct span_log *l);

/* The CPU clock clk (CLOCK_THREAD_CPUTIME_ID or CLOCK_PROCESS_CPUTIME_ID) in microseconds. */
uint64_t activity_cpu_now_us(clockid_t clk);

/* Moves l's spans and sums to r's (r owns them afterwards; l is left empty). 0, or -ENOMEM
 * (then r is marked not measured and l is freed). */
int activity_take(struct run *r, struct span_log *l);

/* The state of name ("cpu", "gil", "net", "idle"). */
const char *activity_state_name(enum wstate st);

/* What a run measured. */
struct activity {
	double in_flight_mean; /* concurrency: time-integral of requests in flight / wall */
	size_t in_flight_max;
	int on_cpu_known;   /* the run logged its spans (parallelism below is meaningful) */
	double on_cpu_mean; /* parallelism: CPU used by the workers / wall */
	double on_cpu_max;  /* the most workers on a CPU at one time (fractional) */
	double gil_wait_s;  /* total time workers waited for the GIL */
	double cpu_s;       /* total CPU the spans account for */
};

/* A step function over the batch: value v[k] holds from t[k] to t[k+1] (the last to the
 * wall's end). Owned; free with activity_steps_free. */
struct steps {
	uint64_t *t;
	double *v;
	size_t n;
};

/* Requests in flight over time (a request is in flight from its start to its end), from the
 * records kept. 0, or -ENOMEM. */
int activity_in_flight_steps(const struct run *r, struct steps *out);

/* Workers on a CPU over time: each span adds cpu_us / its length (at most 1) while it lasts,
 * the sum capped at the cores online. 0, or -ENOMEM. */
int activity_on_cpu_steps(const struct run *r, struct steps *out);

/* Frees s's arrays and zeroes it. */
void activity_steps_free(struct steps *s);

/* Fills *a from r's records and spans; a run that kept fewer records than requests (bounded
 * memory) has its concurrency from the collector's sums (r->busy_us, r->in_flight_max), and
 * one whose spans were capped its parallelism mean and GIL wait from the spans' sums.
 * 0, or -ENOMEM. */
int activity_measure(const struct run *r, struct activity *a);

#endif
