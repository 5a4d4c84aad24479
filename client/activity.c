/* activity.c -- per-worker state spans and the two numbers computed from them: concurrency
 * (requests in flight) and parallelism (workers on a CPU). Owns no run; modes log spans,
 * reports and the timeline read the step functions. */
#include "activity.h"

#include "batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPAN_MERGE_US 20

size_t activity_log_max(size_t workers)
{
	size_t m = ACTIVITY_MAX_SPANS / (workers ? workers : 1);
	return m < 256 ? 256 : m;
}

void span_log_add(struct span_log *l, uint32_t worker, enum wstate st, uint64_t start_us,
                  uint64_t end_us, uint64_t cpu_us)
{
	if (end_us < start_us)
		end_us = start_us;
	l->cpu_us += cpu_us;
	if (st == WS_GIL)
		l->gil_us += end_us - start_us;
	if (l->n > 0) {
		struct span *p = &l->v[l->n - 1];
		if (p->worker == worker && p->state == (uint32_t)st &&
		    start_us <= p->end_us + SPAN_MERGE_US && start_us >= p->start_us) {
			if (end_us > p->end_us)
				p->end_us = end_us;
			p->cpu_us += cpu_us;
			return;
		}
	}
	if (l->n >= (l->max ? l->max : ACTIVITY_MAX_SPANS)) {
		l->capped = 1;
		return;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		struct span *v = realloc(l->v, cap * sizeof(*v));
		if (!v) {
			l->lost = 1;
			return;
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct span){start_us, end_us, cpu_us, worker, (uint32_t)st};
}

void span_log_free(struct span_log *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

uint64_t activity_cpu_now_us(clockid_t clk)
{
	struct timespec ts;
	if (clock_gettime(clk, &ts) != 0)
		return 0;
	return (uint64_t)ts.tv_sec * 1000000ULL + (uint64_t)ts.tv_nsec / 1000;
}

int activity_take(struct run *r, struct span_log *l)
{
	if (l->lost)
		r->spans_known = 0;
	r->spans_capped |= l->capped;
	r->span_cpu_us += l->cpu_us;
	r->span_gil_us += l->gil_us;
	if (l->n == 0) {
		span_log_free(l);
		return 0;
	}
	struct span *v = realloc(r->spans, (r->nspans + l->n) * sizeof(*v));
	if (!v) {
		r->spans_known = 0;
		span_log_free(l);
		return -ENOMEM;
	}
	memcpy(v + r->nspans, l->v, l->n * sizeof(*v));
	r->spans = v;
	r->nspans += l->n;
	span_log_free(l);
	return 0;
}

const char *activity_state_name(enum wstate st)
{
	static const char *const names[WS_NSTATES] = {"idle", "net", "gil", "cpu"};
	return (unsigned)st < WS_NSTATES ? names[st] : "?";
}

/* ---- step functions: a sweep over +d / -d events ---- */

struct step_ev {
	uint64_t t;
	double d;
};

static int activity_ev_cmp(const void *a, const void *b)
{
	const struct step_ev *x = a, *y = b;
	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return (x->d > y->d) - (x->d < y->d); /* ends before starts at the same time */
}

/* sorts ev[0..n) and turns it into steps starting at 0, each value at most cap (0: none) */
static int activity_sweep(struct step_ev *ev, size_t n, double cap, struct steps *out)
{
	memset(out, 0, sizeof(*out));
	qsort(ev, n, sizeof(*ev), activity_ev_cmp);
	out->t = malloc((n + 1) * sizeof(*out->t));
	out->v = malloc((n + 1) * sizeof(*out->v));
	if (!out->t || !out->v) {
		activity_steps_free(out);
		return -ENOMEM;
	}
	out->t[0] = 0;
	out->v[0] = 0;
	out->n = 1;
	double level = 0;
	for (size_t k = 0; k < n; k++) {
		level += ev[k].d;
		if (level < 1e-9)
			level = 0; /* no drift below zero from adding and removing fractions */
		double v = cap > 0 && level > cap ? cap : level;
		size_t last = out->n - 1;
		if (out->t[last] == ev[k].t)
			out->v[last] = v;
		else {
			out->t[out->n] = ev[k].t;
			out->v[out->n++] = v;
		}
	}
	return 0;
}

int activity_in_flight_steps(const struct run *r, struct steps *out)
{
	struct step_ev *ev = malloc((2 * r->nresults + 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < r->nresults && r->results; i++) {
		const struct req_result *q = &r->results[i];
		if (q->end_us <= q->start_us)
			continue;
		ev[n++] = (struct step_ev){q->start_us, 1};
		ev[n++] = (struct step_ev){q->end_us, -1};
	}
	int rc = activity_sweep(ev, n, 0, out);
	free(ev);
	return rc;
}

int activity_on_cpu_steps(const struct run *r, struct steps *out)
{
	struct step_ev *ev = malloc((2 * r->nspans + 1) * sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	size_t n = 0;
	for (size_t k = 0; k < r->nspans; k++) {
		const struct span *s = &r->spans[k];
		if (s->end_us <= s->start_us || s->cpu_us == 0)
			continue;
		double d = (double)s->cpu_us / (double)(s->end_us - s->start_us);
		if (d > 1)
			d = 1; /* a worker is on one CPU at most; clock granularity can say more */
		ev[n++] = (struct step_ev){s->start_us, d};
		ev[n++] = (struct step_ev){s->end_us, -d};
	}
	/* a span's CPU is spread evenly over it, so overlapping spans can add up to more workers
	 * than there are cores for a moment; no more than the cores can run at once */
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int rc = activity_sweep(ev, n, cores > 0 ? (double)cores : 0, out);
	free(ev);
	return rc;
}

void activity_steps_free(struct steps *s)
{
	free(s->t);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* the time-integral of s over [0, wall) divided by wall, and its largest value */
static void activity_mean_max(const struct steps *s, uint64_t wall, double *mean, double *max)
{
	double area = 0, top = 0;
	for (size_t k = 0; k < s->n; k++) {
		uint64_t a = s->t[k], b = k + 1 < s->n ? s->t[k + 1] : wall;
		if (b > wall)
			b = wall;
		if (b > a)
			area += s->v[k] * (double)(b - a);
		if (s->v[k] > top)
			top = s->v[k];
	}
	*mean = wall ? area / (double)wall : 0;
	*max = top;
}

/* concurrency: from the records when all were kept, else from the collector's sums */
static int activity_in_flight(const struct run *r, struct activity *a)
{
	if (!r->results || r->nresults < r->n) {
		a->in_flight_mean = r->wall_us ? (double)r->busy_us / (double)r->wall_us : 0;
		a->in_flight_max = r->in_flight_max;
		return 0;
	}
	struct steps s;
	double max;
	if (activity_in_flight_steps(r, &s) != 0)
		return -ENOMEM;
	activity_mean_max(&s, r->wall_us, &a->in_flight_mean, &max);
	a->in_flight_max = (size_t)(max + 0.5);
	activity_steps_free(&s);
	return 0;
}

int activity_measure(const struct run *r, struct activity *a)
{
	memset(a, 0, sizeof(*a));
	if (activity_in_flight(r, a) != 0)
		return -ENOMEM;
	a->on_cpu_known = r->spans_known;
	if (!r->spans_known)
		return 0;
	struct steps s;
	if (activity_on_cpu_steps(r, &s) != 0)
		return -ENOMEM;
	activity_mean_max(&s, r->wall_us, &a->on_cpu_mean, &a->on_cpu_max);
	activity_steps_free(&s);
	for (size_t k = 0; k < r->nspans; k++) {
		const struct span *p = &r->spans[k];
		if (p->state == WS_GIL)
			a->gil_wait_s += (double)(p->end_us - p->start_us) / 1e6;
		a->cpu_s += (double)p->cpu_us / 1e6;
	}
	if (r->spans_capped) { /* the sums cover every span, kept or not */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		a->gil_wait_s = (double)r->span_gil_us / 1e6;
		a->cpu_s = (double)r->span_cpu_us / 1e6;
		a->on_cpu_mean = r->wall_us ? (double)r->span_cpu_us / (double)r->wall_us : 0;
		if (cores > 0 && a->on_cpu_mean > (double)cores)
			a->on_cpu_mean = (double)cores;
		if (a->on_cpu_max < a->on_cpu_mean)
			a->on_cpu_max = a->on_cpu_mean;
	}
	return 0;
}
