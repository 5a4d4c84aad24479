/* run.c -- the one mode runner (workers from -c, wall time, the client's own cost, the sweep
 * of requests no worker ran), the helpers every mode shares, and a run's records with their
 * ideal time. The concurrency itself lives in the four mode files. */
#include "modes.h"

#include "batch.h"
#include "clock.h"
#include "activity.h"
#include "collect.h"
#include "heap.h"
#include "http.h"
#include "progress.h"
#include "reqsched.h"
#include "stats.h"
#include "stop.h"
#include "work.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

struct run *run_new(enum mode mode, size_t n)
{
	struct run *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->results = calloc(n ? n : 1, sizeof(*r->results));
	if (!r->results) {
		free(r);
		return NULL;
	}
	r->mode = mode;
	r->n = n;
	r->nresults = n;
	for (size_t i = 0; i < n; i++) {
		r->results[i].index = (uint32_t)i;
		r->results[i].delay_us = -1;
	}
	return r;
}

void run_free(struct run *r)
{
	if (!r)
		return;
	free(r->results);
	free(r->spans);
	free(r->delays);
	stats_free(r->stats);
	free(r);
}

int run_restat(struct run *r)
{
	struct stats *st = stats_new();
	if (!st)
		return -ENOMEM;
	for (size_t i = 0; i < r->nresults; i++)
		stats_add(st, &r->results[i]);
	if (r->n > r->nresults) /* records not kept: counted as not run */
		stats_add_missing(st, r->n - r->nresults, r->nresults, (uint32_t)r->nresults,
		                  "not recorded");
	stats_free(r->stats);
	r->stats = st;
	return 0;
}

/* what the server imposed on request i (its delay plus its time queued at a finite site),
 * from the delays or the records */
static int64_t run_delay(const struct run *r, size_t i)
{
	if (r->delays)
		return r->delays[i];
	const struct req_result *q = &r->results[i];
	return q->delay_us < 0 ? -1 : q->delay_us + q->queue_us;
}

size_t run_workers(size_t c, size_t dflt, size_t n)
{
	if (c == 0)
		c = dflt;
	if (c > n)
		c = n;
	return c ? c : 1;
}

int run_ideal_us(const struct run *r, uint64_t *out)
{
	if (r->rate > 0 || r->duration_us || (!r->delays && r->nresults < r->n))
		return -ENODATA;
	for (size_t i = 0; i < r->n; i++)
		if (run_delay(r, i) < 0)
			return -ENODATA;
	if (r->n == 0) {
		*out = 0;
		return 0;
	}
	/* the times at which each worker becomes free (all at 0 first), ties by worker; a
	 * request holds its worker for its delay and its --work */
	size_t c = run_workers(r->concurrency, r->n, r->n);
	struct heap free_at = {0};
	if (heap_reserve(&free_at, c) != 0)
		return -ENOMEM;
	for (size_t k = 0; k < c; k++)
		heap_push(&free_at, (struct heap_entry){0, k, NULL});
	uint64_t makespan = 0;
	for (size_t i = 0; i < r->n; i++) {
		struct heap_entry w;
		heap_pop(&free_at, &w);
		w.key += (uint64_t)run_delay(r, i) + r->work_us;
		heap_push(&free_at, w);
		if (w.key > makespan)
			makespan = w.key;
	}
	heap_free(&free_at);
	/* and the work needs CPUs: no more than min(workers, cores) of it run at once */
	size_t cpus = r->cores && r->cores < c ? r->cores : c;
	uint64_t cpu_bound = r->work_us * r->n / cpus;
	*out = makespan > cpu_bound ? makespan : cpu_bound;
	return 0;
}

void run_work(const struct batch *b, const struct http_xfer *x)
{
	if (!b->work.iters)
		return;
	volatile uint64_t sink = work_burn(b->work.iters, x->body, x->body_len);
	(void)sink; /* the loop's result is kept, so the compiler cannot drop it */
}

void run_request(const struct runner *rn, struct http_xfer *x, size_t i, uint32_t w,
                 pthread_mutex_t *gil, clockid_t clk, struct span_log *log, struct req_result *res)
{
	const struct batch *b = rn->b;
	uint64_t c0 = activity_cpu_now_us(clk);
	sched_begin(rn->sched);
	http_xfer_perform(x, b, i, w, res);
	sched_end(rn->sched);
	uint64_t c1 = activity_cpu_now_us(clk);
	span_log_add(log, w, WS_NET, res->start_us, res->end_us, c1 - c0);
	if (!b->work.iters)
		return;
	uint64_t t1 = clock_now_us() - rn->t0;
	if (gil)
		pthread_mutex_lock(gil);
	uint64_t t2 = clock_now_us() - rn->t0, c2 = activity_cpu_now_us(clk);
	if (gil)
		span_log_add(log, w, WS_GIL, t1, t2, c2 - c1);
	run_work(b, x);
	uint64_t c3 = activity_cpu_now_us(clk), t3 = clock_now_us() - rn->t0;
	if (gil)
		pthread_mutex_unlock(gil);
	span_log_add(log, w, WS_CPU, t2, t3, c3 - c2);
}

void run_cut_short(const struct runner *rn, struct req_result *res, const char *why)
{
	uint64_t start = res->start_us;
	http_record_error(res, rn->b, res->index, ERR_OTHER, why, clock_now_us() - rn->t0);
	if (start < res->end_us)
		res->start_us = start;
	collect_done(rn->col, res);
}

/* ---- the client's own cost: getrusage deltas, reaped children included ---- */

struct cost_mark {
	struct rusage self;
	struct rusage children;
};

static uint64_t cost_tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000ULL + (uint64_t)tv->tv_usec;
}

static uint64_t cost_delta(uint64_t after, uint64_t before)
{
	return after > before ? after - before : 0;
}

static void cost_begin(struct cost_mark *m)
{
	getrusage(RUSAGE_SELF, &m->self);
	getrusage(RUSAGE_CHILDREN, &m->children);
}

static void cost_end(const struct cost_mark *m, struct run *r)
{
	struct rusage s, c;
	getrusage(RUSAGE_SELF, &s);
	getrusage(RUSAGE_CHILDREN, &c);
	r->cpu_user_us = cost_delta(cost_tv_us(&s.ru_utime), cost_tv_us(&m->self.ru_utime)) +
	                 cost_delta(cost_tv_us(&c.ru_utime), cost_tv_us(&m->children.ru_utime));
	r->cpu_sys_us = cost_delta(cost_tv_us(&s.ru_stime), cost_tv_us(&m->self.ru_stime)) +
	                cost_delta(cost_tv_us(&c.ru_stime), cost_tv_us(&m->children.ru_stime));
	r->ctx_voluntary = cost_delta((uint64_t)s.ru_nvcsw, (uint64_t)m->self.ru_nvcsw) +
	                   cost_delta((uint64_t)c.ru_nvcsw, (uint64_t)m->children.ru_nvcsw);
	r->ctx_involuntary = cost_delta((uint64_t)s.ru_nivcsw, (uint64_t)m->self.ru_nivcsw) +
	                     cost_delta((uint64_t)c.ru_nivcsw, (uint64_t)m->children.ru_nivcsw);
	/* peaks, not deltas: the process's own, or its largest reaped child's if larger */
	long peak = s.ru_maxrss > c.ru_maxrss ? s.ru_maxrss : c.ru_maxrss;
	r->maxrss_kib = peak > 0 ? (uint64_t)peak : 0;
}

/* ---- the runner ---- */

/* Completes the run from the collector: requests that never ran (Ctrl-C, a dead worker, a
 * loop that stopped) count as errors; the records, delays and stats move into the run. */
static int run_finish(const struct runner *rn, struct collect *col, size_t total)
{
	struct run *out = rn->out;
	const char *why = stop_requested() ? STOP_MSG : rn->not_run;
	uint64_t missing = total > col->st->count ? total - col->st->count : 0;
	size_t first = sched_claimed(rn->sched);
	size_t nres = col->keep ? (total < col->keep ? total : col->keep) : 0;
	if (nres > col->cap) {
		struct req_result *g = realloc(col->recs, nres * sizeof(*g));
		if (!g)
			return -ENOMEM;
		memset(g + col->cap, 0, (nres - col->cap) * sizeof(*g));
		col->recs = g;
		col->cap = nres;
	}
	/* a record has an outcome once it has a status or an error class */
	for (size_t i = 0; i < nres; i++) {
		struct req_result *q = &col->recs[i];
		if (q->err != ERR_NONE || q->status != 0)
			continue;
		if (i < first)
			first = i;
		http_record_error(q, rn->b, i, ERR_OTHER, why, out->wall_us);
	}
	stats_add_missing(col->st, missing, first, (uint32_t)(first % rn->b->nurls), why);
	free(out->results);
	out->results = col->recs;
	out->nresults = nres;
	out->n = total;
	out->delays = col->delays;
	out->stats = col->st;
	out->rate = rn->b->rate;
	out->duration_us = rn->b->duration_us;
	out->work_us = rn->b->work.iters ? rn->b->work.cpu_us : 0;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	out->cores = cores > 0 ? (unsigned)cores : 1;
	out->records_dropped = col->dropped;
	out->busy_us = col->busy_us;
	out->in_flight_max = sched_in_flight_max(rn->sched);
	col->recs = NULL;
	col->delays = NULL;
	col->st = NULL;
	return col->failed ? -ENOMEM : 0;
}

int run_mode(enum mode m, const struct batch *b, struct run *out)
{
	mode_fn fn = mode_lookup(m);
	if (!fn)
		return -EINVAL;
	struct collect col;
	struct sched *s =
	        mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int rc = collect_init(&col, b);
	if (s == MAP_FAILED || rc != 0) {
		collect_fini(&col);
		if (s != MAP_FAILED)
			munmap(s, sizeof(*s));
		return -ENOMEM;
	}
	struct runner rn = {.b = b, .out = out, .sched = s, .col = &col, .not_run = "not run"};
	size_t all = m == MODE_ASYNC ? b->n : 1; /* without -c: async all, the others one */
	rn.workers = m == MODE_SEQUENTIAL ? 1 : run_workers(b->concurrency, all, b->n);
	struct cost_mark mark;
	cost_begin(&mark);
	out->spans_known = 1; /* until a worker's spans are lost */
	rn.t0 = clock_now_us();
	sched_init(s, b, rn.t0);
	struct progress *pg = b->progress ? progress_start(b, &col, rn.t0, 1) : NULL;
	rc = fn(&rn);
	/* the batch ends with its last result (a response, and its --work): what the mode does
	 * afterwards (closing 10,000 connections, joining, reaping) is not the batch's time */
	uint64_t end = col.last_us > rn.t0 ? col.last_us : clock_now_us();
	out->wall_us = end - rn.t0;
	progress_stop(pg);
	cost_end(&mark, out);
	if (rc >= 0) {
		out->concurrency = (unsigned)rc;
		size_t total = b->duration_us && b->rate <= 0 ? sched_claimed(s) : b->n;
		rc = run_finish(&rn, &col, total);
	}
	collect_fini(&col);
	munmap(s, sizeof(*s));
	return rc < 0 ? rc : 0;
}
