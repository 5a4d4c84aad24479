/* delay.c -- the one timer thread that fires due items in batches, over common/heap.
 * It knows nothing about HTTP: the server's fire callback does the resuming. */
#include "delay.h"

#include "clock.h"
#include "heap.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

struct srv_timer {
	pthread_mutex_t lock;
	pthread_cond_t wake; /* on CLOCK_MONOTONIC */
	pthread_t thread;
	struct heap heap;  /* key: deadline in us, tie: arrival order */
	uint64_t arrivals; /* the tie of the next add: FIFO among equal deadlines */
	bool flushed;      /* adds fire at once */
	bool stop;
	srv_timer_fire_fn fire;
	void *arg;
	void **batch; /* items due in this wake-up; timer thread only */
	size_t batch_cap;
	srv_timer_fd_fn fd_of; /* NULL: nothing is watched */
	uint64_t watch_every_us, next_watch_us;
	size_t watched;     /* pending entries with the watch bit (tie & 1) */
	struct pollfd *pfd; /* one watch round's sockets; timer thread only */
	void **pitem;       /* their items, then the gone ones */
	size_t pcap;
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
	const struct heap_entry *top;
	struct heap_entry e;

	while ((top = heap_peek(&t->heap)) && (t->flushed || top->key <= now)) {
		if (n == t->batch_cap) {
			size_t cap = t->batch_cap ? t->batch_cap * 2 : 256;
			void **b = realloc(t->batch, cap * sizeof(*b));
			if (!b)
				break; /* fire what we have; the rest stays for the next round */
			t->batch = b;
			t->batch_cap = cap;
		}
		heap_pop(&t->heap, &e);
		t->watched -= e.tie & 1;
		t->batch[n++] = e.item;
	}
	return n;
}

static int ptr_cmp(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;
	return x < y ? -1 : x > y;
}

/* the watched items' sockets, into t->pfd/t->pitem (lock held); how many */
static size_t watch_collect(struct srv_timer *t)
{
	size_t n = 0;

	for (size_t i = 0; i < t->heap.n; i++) {
		if (!(t->heap.v[i].tie & 1))
			continue;
		int fd = t->fd_of(t->arg, t->heap.v[i].item);
		if (fd < 0)
			continue;
		if (n == t->pcap) {
			size_t cap = t->pcap ? t->pcap * 2 : 256;
			struct pollfd *p = realloc(t->pfd, cap * sizeof(*p));
			if (p)
				t->pfd = p;
			void **it = p ? realloc(t->pitem, cap * sizeof(*it)) : NULL;
			if (!it)
				break; /* watch what fits; the rest next round */
			t->pitem = it;
			t->pcap = cap;
		}
		t->pfd[n] = (struct pollfd){fd, POLLRDHUP, 0};
		t->pitem[n++] = t->heap.v[i].item;
	}
	return n;
}

/* A round costs ~0.4 us per watched socket: beyond WATCH_CHEAP of them the rounds spread
 * out in proportion (up to WATCH_SLOWEST times the interval), so the cost stays ~0.4% of a
 * core at 10,000 and a client that left is noticed within 10 intervals at worst. */
#define WATCH_CHEAP   1000
#define WATCH_SLOWEST 10

static uint64_t watch_interval(const struct srv_timer *t)
{
	size_t x = t->watched / WATCH_CHEAP;
	return t->watch_every_us * (x < 1 ? 1 : x > WATCH_SLOWEST ? WATCH_SLOWEST : x);
}

/* One round: polls every watched socket at once (unlocked) and makes the items whose peer is
 * gone due now. Lock held on entry and on return. Only the timer thread pops items (a flush
 * empties the heap for good), so an item found gone is still the same pending item. */
static void watch_round(struct srv_timer *t)
{
	size_t n = watch_collect(t), gone = 0;

	pthread_mutex_unlock(&t->lock);
	if (n && poll(t->pfd, n, 0) > 0)
		for (size_t i = 0; i < n; i++)
			if (t->pfd[i].revents & (POLLRDHUP | POLLHUP | POLLERR))
				t->pitem[gone++] = t->pitem[i];
	pthread_mutex_lock(&t->lock);
	if (!gone)
		return;
	qsort(t->pitem, gone, sizeof(*t->pitem), ptr_cmp);
	for (size_t i = 0; i < t->heap.n; i++)
		if ((t->heap.v[i].tie & 1) &&
		    bsearch(&t->heap.v[i].item, t->pitem, gone, sizeof(*t->pitem), ptr_cmp))
			t->heap.v[i].key = 0;
	heap_heapify(&t->heap);
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
		const struct heap_entry *top = heap_peek(&t->heap);
		if (!top) {
			pthread_cond_wait(&t->wake, &t->lock);
			continue;
		}
		uint64_t now = clock_now_us();
		uint64_t wake = top->key;
		if (t->heap.n >= TICK_MIN_ITEMS)
			wake = (wake + TICK_US - 1) / TICK_US * TICK_US;
		if (t->watched && !t->flushed) {
			if (now >= t->next_watch_us) {
				watch_round(t);
				t->next_watch_us = clock_now_us() + watch_interval(t);
				continue;
			}
			if (wake > t->next_watch_us)
				wake = t->next_watch_us;
		}
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

void srv_timer_watch(struct srv_timer *t, srv_timer_fd_fn fd_of, uint64_t every_us)
{
	pthread_mutex_lock(&t->lock);
	t->fd_of = fd_of;
	t->watch_every_us = every_us;
	pthread_mutex_unlock(&t->lock);
}

int srv_timer_add(struct srv_timer *t, uint64_t deadline_us, void *item, int watch)
{
	pthread_mutex_lock(&t->lock);
	if (t->flushed) {
		pthread_mutex_unlock(&t->lock);
		t->fire(t->arg, item);
		return 0;
	}
	const struct heap_entry *top = heap_peek(&t->heap);
	bool earliest = !top || deadline_us < top->key;
	uint64_t bit = watch && t->fd_of ? 1 : 0; /* the tie's low bit: watched */
	int rc = heap_push(&t->heap,
	                   (struct heap_entry){deadline_us, t->arrivals++ << 1 | bit, item});
	if (rc == 0 && bit && t->watched++ == 0) {
		t->next_watch_us = clock_now_us() + t->watch_every_us;
		earliest = true; /* the timer thread plans its next watch round */
	}
	if (rc == 0 && earliest)
		pthread_cond_signal(&t->wake);
	pthread_mutex_unlock(&t->lock);
	return rc;
}

size_t srv_timer_flush(struct srv_timer *t)
{
	struct heap_entry e;
	size_t n = 0;

	pthread_mutex_lock(&t->lock);
	t->flushed = true;
	for (;;) {
		/* fire outside the lock, one at a time, so a callback may call srv_timer_add */
		if (heap_pop(&t->heap, &e) != 0)
			break;
		t->watched -= e.tie & 1;
		pthread_mutex_unlock(&t->lock);
		t->fire(t->arg, e.item);
		n++;
		pthread_mutex_lock(&t->lock);
	}
	pthread_cond_signal(&t->wake);
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
	heap_free(&t->heap);
	free(t->batch);
	free(t->pfd);
	free(t->pitem);
	pthread_cond_destroy(&t->wake);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
