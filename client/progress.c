/* progress.c -- the live progress line (a thread that reads the collector 4 times a second and
 * rewrites one terminal line with write(2)); draws nothing else, owns no run data. */
#include "progress.h"

#include "batch.h"
#include "clock.h"
#include "collect.h"
#include "histogram.h"
#include "stats.h"
#include "units.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROGRESS_EVERY_US 250000

struct progress {
	const struct batch *b;
	struct collect *col;
	uint64_t t0;
	int fd;
	atomic_int stop;
	pthread_t thread;
};

/* one line: what is done, the rate, errors, p99 so far, the time left */
static void progress_draw(struct progress *p)
{
	uint64_t now = clock_now_us() - p->t0;
	pthread_mutex_lock(&p->col->mu);
	uint64_t done = p->col->st->count;
	uint64_t errors = done - p->col->st->ok;
	uint64_t p99 = hist_percentile(p->col->st->lat, 99);
	pthread_mutex_unlock(&p->col->mu);
	double secs = now / 1e6;
	double rps = secs > 0 ? (double)done / secs : 0;
	char a[32], b[32], c[32], line[200];
	int closed = p->b->duration_us && p->b->rate <= 0;
	uint64_t left;
	if (closed) {
		left = p->b->duration_us > now ? p->b->duration_us - now : 0;
		snprintf(a, sizeof(a), "%s/", units_format_duration(now, b, sizeof(b)));
		units_format_duration(p->b->duration_us, b, sizeof(b));
		strncat(a, b, sizeof(a) - strlen(a) - 1);
	} else {
		left = rps > 0 && p->b->n > done ? (uint64_t)((p->b->n - done) / rps * 1e6) : 0;
		snprintf(a, sizeof(a), "%llu/%zu", (unsigned long long)done, p->b->n);
	}
	int len = snprintf(line, sizeof(line),
	                   "\r\033[K%s  %.1f req/s  errors %llu  p99 %s  ETA %s", a, rps,
	                   (unsigned long long)errors, units_format_duration(p99, c, sizeof(c)),
	                   units_format_duration(left, b, sizeof(b)));
	if (len > 0 && write(p->fd, line, (size_t)len) < 0) {
		/* a lost progress line is not an error */
	}
}

static void *progress_main(void *arg)
{
	struct progress *p = arg;
	while (!atomic_load(&p->stop)) {
		struct timespec ts = {0, 50 * 1000 * 1000};
		for (int k = 0; k < PROGRESS_EVERY_US / 50000 && !atomic_load(&p->stop); k++)
			nanosleep(&ts, NULL);
		if (!atomic_load(&p->stop))
			progress_draw(p);
	}
	return NULL;
}

struct progress *progress_start(const struct batch *b, struct collect *col, uint64_t t0, int fd)
{
	struct progress *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->b = b;
	p->col = col;
	p->t0 = t0;
	p->fd = fd;
	atomic_init(&p->stop, 0);
	if (pthread_create(&p->thread, NULL, progress_main, p) != 0) {
		free(p);
		return NULL;
	}
	return p;
}

void progress_stop(struct progress *p)
{
	if (!p)
		return;
	atomic_store(&p->stop, 1);
	pthread_join(p->thread, NULL);
	static const char erase[] = "\r\033[K";
	if (write(p->fd, erase, sizeof(erase) - 1) < 0) {
		/* nothing to do */
	}
	free(p);
}
