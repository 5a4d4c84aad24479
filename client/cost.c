/* cost.c -- what a run cost the client itself (getrusage deltas, children included), and the
 * table from mode to mode function. */
#include "modes.h"

#include <stddef.h>

mode_fn mode_lookup(enum mode m)
{
	switch (m) {
	case MODE_SEQUENTIAL:
		return mode_sequential;
	case MODE_THREADS:
		return mode_threads;
	case MODE_PROCESSES:
		return mode_processes;
	case MODE_ASYNC:
		return mode_async;
	default:
		return NULL;
	}
}

static uint64_t cost_tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000ULL + (uint64_t)tv->tv_usec;
}

static uint64_t cost_delta(uint64_t after, uint64_t before)
{
	return after > before ? after - before : 0;
}

void cost_begin(struct cost_mark *m)
{
	getrusage(RUSAGE_SELF, &m->self);
	getrusage(RUSAGE_CHILDREN, &m->children);
}

void cost_end(const struct cost_mark *m, struct run *r)
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
