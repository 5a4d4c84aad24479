/* threads.c -- c pthreads, each with its own easy handle, taking indices from one atomic
 * counter (like ThreadPoolExecutor.map). --gil puts the CPU work under one global mutex. */
#include "modes.h"

#include "clock.h"
#include "http.h"
#include "stop.h"
#include "trace.h"
#include "work.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

struct threads_shared {
	const struct batch *b;
	struct run *out;
	atomic_size_t next;
	pthread_mutex_t gil;
	uint64_t t0;
};

struct threads_worker {
	pthread_t thread;
	struct threads_shared *sh;
	uint32_t id;
};

static void *threads_main(void *arg)
{
	struct threads_worker *w = arg;
	struct threads_shared *sh = w->sh;
	const struct batch *b = sh->b;
	struct http_xfer *x = malloc(sizeof(*x));
	int ok = x && http_xfer_init(x, b, sh->t0) == 0;
	pid_t pid = getpid(), tid = trace_gettid();
	volatile uint64_t sink = 0;
	for (;;) {
		size_t i = atomic_fetch_add(&sh->next, 1);
		if (i >= b->n)
			break;
		struct req_result *res = &sh->out->results[i];
		if (!ok || stop_requested()) { /* still drain the queue: every request recorded */
			res->pid = pid;
			res->tid = tid;
			res->worker = w->id;
			http_record_error(res, b, i, ERR_OTHER,
			                  ok ? STOP_MSG : "no curl handle in this thread",
			                  clock_now_us() - sh->t0);
			continue;
		}
		http_xfer_perform(x, b, i, w->id, res);
		if (b->work.iters) {
			if (b->work.gil)
				pthread_mutex_lock(&sh->gil);
			sink ^= work_burn(b->work.iters, x->body, x->body_len);
			if (b->work.gil)
				pthread_mutex_unlock(&sh->gil);
		}
	}
	if (x)
		http_xfer_cleanup(x);
	free(x);
	(void)sink;
	return NULL;
}

int mode_threads(const struct batch *b, struct run *out)
{
	size_t c = b->concurrency ? b->concurrency : 1;
	if (c > b->n)
		c = b->n ? b->n : 1;
	struct threads_worker *w = calloc(c, sizeof(*w));
	if (!w)
		return -ENOMEM;
	struct threads_shared sh = {.b = b, .out = out};
	atomic_init(&sh.next, 0);
	pthread_mutex_init(&sh.gil, NULL);
	struct cost_mark mark;
	cost_begin(&mark);
	sh.t0 = clock_now_us();
	size_t started = 0;
	int rc = 0;
	for (; started < c; started++) {
		w[started].sh = &sh;
		w[started].id = (uint32_t)started;
		int e = pthread_create(&w[started].thread, NULL, threads_main, &w[started]);
		if (e != 0) {
			rc = -e;
			break;
		}
	}
	for (size_t i = 0; i < started; i++)
		pthread_join(w[i].thread, NULL);
	out->wall_us = clock_now_us() - sh.t0;
	cost_end(&mark, out);
	out->concurrency = (unsigned)started;
	pthread_mutex_destroy(&sh.gil);
	free(w);
	/* fewer threads than asked still ran the whole batch; none at all is a failed run */
	return started ? 0 : (rc ? rc : -EAGAIN);
}
