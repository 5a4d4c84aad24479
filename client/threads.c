/* threads.c -- rn->workers pthreads, each with its own easy handle, taking requests from the
 * shared scheduler (like ThreadPoolExecutor.map). --gil puts the CPU work under one global
 * mutex. */
#include "modes.h"

#include "activity.h"
#include "batch.h"
#include "clock.h"
#include "collect.h"
#include "http.h"
#include "reqsched.h"
#include "trace.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct threads_shared {
	const struct runner *rn;
	pthread_mutex_t gil;
};

struct threads_worker {
	pthread_t thread;
	struct threads_shared *sh;
	uint32_t id;
	struct span_log log; /* this thread's spans, taken by mode_threads after the join */
};

static void *threads_main(void *arg)
{
	struct threads_worker *w = arg;
	struct threads_shared *sh = w->sh;
	const struct batch *b = sh->rn->b;
	struct http_xfer *x = malloc(sizeof(*x));
	int ok = x && http_xfer_init(x, b, sh->rn->t0) == 0;
	struct req_result res;
	memset(&res, 0, sizeof(res));
	size_t i;
	uint64_t due;
	while (sched_claim(sh->rn->sched, &i, &due)) {
		res.due_us = due;
		if (!ok) { /* still drain the queue: every request recorded */
			res.pid = getpid();
			res.tid = trace_gettid();
			res.worker = w->id;
			http_record_error(&res, b, i, ERR_OTHER, "no curl handle in this thread",
			                  clock_now_us() - sh->rn->t0);
			collect_done(sh->rn->col, &res);
			continue;
		}
		sched_wait(sh->rn->sched, due);
		run_request(sh->rn, x, i, w->id, b->work.gil ? &sh->gil : NULL,
		            CLOCK_THREAD_CPUTIME_ID, &w->log, &res);
		collect_done(sh->rn->col, &res);
	}
	if (x)
		http_xfer_cleanup(x);
	free(x);
	return NULL;
}

int mode_threads(struct runner *rn)
{
	size_t c = rn->workers;
	struct threads_worker *w = calloc(c, sizeof(*w));
	if (!w)
		return -ENOMEM;
	struct threads_shared sh = {.rn = rn};
	pthread_mutex_init(&sh.gil, NULL);
	size_t started = 0;
	int rc = 0;
	for (; started < c; started++) {
		w[started].sh = &sh;
		w[started].id = (uint32_t)started;
		w[started].log.max = activity_log_max(c);
		int e = pthread_create(&w[started].thread, NULL, threads_main, &w[started]);
		if (e != 0) {
			rc = -e;
			break;
		}
	}
	for (size_t i = 0; i < started; i++) {
		pthread_join(w[i].thread, NULL);
		activity_take(rn->out, &w[i].log);
	}
	pthread_mutex_destroy(&sh.gil);
	free(w);
	/* fewer threads than asked still ran the whole batch; none at all is a failed run */
	return started ? (int)started : (rc ? rc : -EAGAIN);
}
