/* delay.c -- the timer heap and the one timer thread that fires due items in batches.
 * It knows nothing about HTTP: the server's fire callback does the resuming. */
#include "delay.h"

#include "clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

static bool entry_before(const struct srv_heap_entry *a, const struct srv_heap_entry *b)
{
	if (a->deadline_us != b->deadline_us)
		return a->deadline_us < b->deadline_us;
	return a->order < b->order;
}

int srv_heap_push(struct srv_heap *h, uint64_t deadline_us, void *item)
{
	if (h->n == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 256;
		struct srv_heap_entry *v = realloc(h->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		h->v = v;
		h->cap = cap;
	}
	struct srv_heap_entry e = {deadline_us, h->next_order++, item};
	size_t i = h->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!entry_before(&e, &h->v[parent]))
			break;
		h->v[i] = h->v[parent];
		i = parent;
	}
	h->v[i] = e;
	return 0;
}

const struct srv_heap_entry *srv_heap_peek(const struct srv_heap *h)
{
	return h->n ? &h->v[0] : NULL;
}

int srv_heap_pop(struct srv_heap *h, struct srv_heap_entry *out)
{
	if (h->n == 0)
		return -ENOENT;
	*out = h->v[0];
	struct srv_heap_entry last = h->v[--h->n];
	size_t i = 0;
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= h->n)
			break;
		if (child + 1 < h->n && entry_before(&h->v[child + 1], &h->v[child]))
			child++;
		if (!entry_before(&h->v[child], &last))
			break;
		h->v[i] = h->v[child];
		i = child;
	}
	if (h->n)
		h->v[i] = last;
	return 0;
}

void srv_heap_free(struct srv_heap *h)
{
	free(h->v);
	h->v = NULL;
	h->n = h->cap = 0;
}

struct srv_timer {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC */
	pthread_t thread;
	struct srv_heap heap;
	bool flushed; /* adds fire at once */
	bool stop;
	srv_timer_fire_fn fire;
	void *arg;
	void **batch; /* items due in this wake-up; timer thread only */
	size_t batch_cap;
};

static struct timespec timespec_of_us(uint64_t us)
{
	struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
	return ts;
}

/* Moves every due entry into t->batch; returns how many (lock held). */
static size_t collect_due(struct srv_timer *t, uint64_t now)
{
	size_t n = 0;
	const struct srv_heap_entry *top;
	struct srv_heap_entry e;

	while ((top = srv_heap_peek(&t->heap)) && (t->flushed || top->deadline_us <= now)) {
		if (n == t->batch_cap) {
			size_t cap = t->batch_cap ? t->batch_cap * 2 : 256;
			void **b = realloc(t->batch, cap * sizeof(*b));
			if (!b)
				break; /* fire what we have; the rest stays for the next round */
			t->batch = b;
			t->batch_cap = cap;
		}
		srv_heap_pop(&t->heap, &e);
		t->batch[n++] = e.item;
	}
	return n;
}

/* With many items pending, wake-ups are rounded up to a tick so that items due close together
 * fire in one batch: libmicrohttpd walks its whole suspended list once per resume wake-up, so
 * one walk per tick instead of one per item. An item fires at most one tick late, never early. */
#define TICK_US        250
#define TICK_MIN_ITEMS 64

static void *timer_main(void *p)
{
	struct srv_timer *t = p;

	pthread_mutex_lock(&t->lock);
	while (!t->stop) {
		const struct srv_heap_entry *top = srv_heap_peek(&t->heap);
		if (!top) {
			pthread_cond_wait(&t->wake, &t->lock);
			continue;
		}
		uint64_t now = clock_now_us();
		uint64_t wake = top->deadline_us;
		if (t->heap.n >= TICK_MIN_ITEMS)
			wake = (wake + TICK_US - 1) / TICK_US * TICK_US;
		if (!t->flushed && wake > now) {
			struct timespec ts = timespec_of_us(wake);
			pthread_cond_timedwait(&t->wake, &t->lock, &ts);
			continue;
		}
		size_t n = collect_due(t, now);
		pthread_mutex_unlock(&t->lock);
		for (size_t i = 0; i < n; i++)
			t->fire(t->arg, t->batch[i]);
		pthread_mutex_lock(&t->lock);
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

struct srv_timer *srv_timer_start(srv_timer_fire_fn fire, void *arg)
{
	struct srv_timer *t = calloc(1, sizeof(*t));
	pthread_condattr_t ca;
	int rc;

	if (!t)
		return NULL;
	t->fire = fire;
	t->arg = arg;
	if ((rc = pthread_mutex_init(&t->lock, NULL)) != 0)
		goto fail_free;
	if ((rc = pthread_condattr_init(&ca)) != 0)
		goto fail_mutex;
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	rc = pthread_cond_init(&t->wake, &ca);
	pthread_condattr_destroy(&ca);
	if (rc != 0)
		goto fail_mutex;
	if ((rc = pthread_create(&t->thread, NULL, timer_main, t)) != 0)
		goto fail_cond;
	return t;

fail_cond:
	pthread_cond_destroy(&t->wake);
fail_mutex:
	pthread_mutex_destroy(&t->lock);
fail_free:
	free(t);
	errno = rc;
	return NULL;
}

int srv_timer_add(struct srv_timer *t, uint64_t deadline_us, void *item)
{
	pthread_mutex_lock(&t->lock);
	if (t->flushed) {
		pthread_mutex_unlock(&t->lock);
		t->fire(t->arg, item);
		return 0;
	}
	const struct srv_heap_entry *top = srv_heap_peek(&t->heap);
	bool earliest = !top || deadline_us < top->deadline_us;
	int rc = srv_heap_push(&t->heap, deadline_us, item);
	if (rc == 0 && earliest)
		pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

size_t srv_timer_flush(struct srv_timer *t)
{
	struct srv_heap_entry e;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	t->flushed = true;
	for (;;) {
		/* fire outside the lock, one at a time, so a callback may call srv_timer_add */
		if (srv_heap_pop(&t->heap, &e) != 0)
			break;
		pthread_mutex_unlock(&t->lock);
		t->fire(t->arg, e.item);
		n++;
		pthread_mutex_lock(&t->lock);
	}
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return n;
}

size_t srv_timer_pending(struct srv_timer *t)
{
	pthread_mutex_lock(&t->lock);
	size_t n = t->heap.n;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void srv_timer_stop(struct srv_timer *t)
{
	if (!t)
		return;
	srv_timer_flush(t);
	pthread_mutex_lock(&t->lock);
	t->stop = true;
	pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	pthread_join(t->thread, NULL);
	srv_heap_free(&t->heap);
	free(t->batch);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
