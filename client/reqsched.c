/* reqsched.c -- which request is next and when it is due (batch, -d closed loop, --rate open
 * model); sleeping until a due time for the blocking modes. No I/O. */
#include "reqsched.h"

#include "batch.h"
#include "clock.h"
#include "stop.h"

#include <errno.h>
#include <time.h>

void sched_init(struct sched *s, const struct batch *b, uint64_t t0)
{
	s->n = b->n;
	s->rate = b->rate;
	s->end_us = b->rate > 0 ? 0 : b->duration_us;
	s->t0 = t0;
	atomic_init(&s->next, 0);
	atomic_init(&s->stopped, 0);
	atomic_init(&s->in_flight, 0);
	atomic_init(&s->in_flight_max, 0);
}

int sched_claim(struct sched *s, size_t *i, uint64_t *due_us)
{
	if (atomic_load(&s->stopped) || stop_requested())
		return 0;
	uint64_t now = clock_now_us() - s->t0;
	if (s->end_us && now >= s->end_us)
		return 0;
	size_t k = atomic_fetch_add(&s->next, 1);
	if (k >= s->n)
		return 0;
	*i = k;
	if (s->rate > 0)
		*due_us = (uint64_t)((double)k * 1e6 / s->rate + 0.5);
	else if (s->end_us)
		*due_us = now;
	else
		*due_us = 0;
	return 1;
}

void sched_stop(struct sched *s)
{
	atomic_store(&s->stopped, 1);
}

size_t sched_claimed(const struct sched *s)
{
	size_t k = atomic_load(&((struct sched *)s)->next);
	return k < s->n ? k : s->n;
}

void sched_begin(struct sched *s)
{
	size_t now = atomic_fetch_add(&s->in_flight, 1) + 1;
	size_t max = atomic_load(&s->in_flight_max);
	while (now > max && !atomic_compare_exchange_weak(&s->in_flight_max, &max, now))
		;
}

void sched_end(struct sched *s)
{
	atomic_fetch_sub(&s->in_flight, 1);
}

size_t sched_in_flight_max(const struct sched *s)
{
	return atomic_load(&((struct sched *)s)->in_flight_max);
}

void sched_wait(const struct sched *s, uint64_t due_us)
{
	uint64_t at = s->t0 + due_us;
	for (;;) {
		uint64_t now = clock_now_us();
		if (now >= at || stop_requested())
			return;
		uint64_t step =
		        at - now > 50000 ? now + 50000 : at; /* look at Ctrl-C every 50 ms */
		struct timespec ts = {(time_t)(step / 1000000), (long)(step % 1000000) * 1000};
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
}
