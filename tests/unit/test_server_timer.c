/* test_server_timer.c -- the timer heap orders by deadline (FIFO on ties); the timer thread
 * fires every item once, never early, in deadline order, and a flush fires the rest now. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <time.h>
#include <unistd.h>

#include "../../server/delay.h"
#include "clock.h"
#include "rng.h"

static void heap_pops_in_deadline_order_fifo_on_ties(void **state)
{
	struct srv_heap h = {0};
	struct srv_heap_entry e;
	struct rng r;
	static int items[5000];
	(void)state;
	rng_seed(&r, 9);
	for (int i = 0; i < 5000; i++) {
		items[i] = i;
		assert_int_equal(srv_heap_push(&h, rng_next(&r) % 100, &items[i]), 0);
	}
	uint64_t last = 0;
	int last_index[100];
	for (int i = 0; i < 100; i++)
		last_index[i] = -1;
	for (int i = 0; i < 5000; i++) {
		assert_int_equal(srv_heap_pop(&h, &e), 0);
		assert_true(e.deadline_us >= last);
		int idx = *(int *)e.item;
		assert_true(idx > last_index[e.deadline_us]); /* ties leave in insertion order */
		last_index[e.deadline_us] = idx;
		last = e.deadline_us;
	}
	assert_null(srv_heap_peek(&h));
	assert_int_equal(srv_heap_pop(&h, &e), -ENOENT);
	srv_heap_free(&h);
}

#define N_ITEMS 200

struct record {
	atomic_int fired[N_ITEMS];
	uint64_t deadline[N_ITEMS];
	uint64_t at[N_ITEMS];
	atomic_int order; /* how many fired so far */
	int seq[N_ITEMS]; /* item index by firing order */
};

static void record_fire(void *arg, void *item)
{
	struct record *rec = arg;
	int i = (int)((atomic_int *)item - rec->fired);
	rec->at[i] = clock_now_us();
	atomic_fetch_add(&rec->fired[i], 1);
	rec->seq[atomic_fetch_add(&rec->order, 1)] = i;
}

static void wait_for(atomic_int *counter, int want, uint64_t timeout_us)
{
	uint64_t end = clock_now_us() + timeout_us;
	while (atomic_load(counter) < want && clock_now_us() < end) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
}

static void timer_fires_each_item_once_never_early_in_order(void **state)
{
	static struct record rec;
	struct rng r;
	(void)state;
	rng_seed(&r, 5);
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	assert_non_null(t);
	uint64_t now = clock_now_us();
	for (int i = 0; i < N_ITEMS; i++) {
		rec.deadline[i] = now + 5000 + rng_next(&r) % 100000; /* 5-105 ms from now */
		assert_int_equal(srv_timer_add(t, rec.deadline[i], &rec.fired[i]), 0);
	}
	wait_for(&rec.order, N_ITEMS, 5000000);
	assert_int_equal(atomic_load(&rec.order), N_ITEMS);
	for (int i = 0; i < N_ITEMS; i++) {
		assert_int_equal(atomic_load(&rec.fired[i]), 1);
		assert_true(rec.at[i] >= rec.deadline[i]); /* never early */
	}
	for (int k = 1; k < N_ITEMS; k++) /* fired in deadline order */
		assert_true(rec.deadline[rec.seq[k]] >= rec.deadline[rec.seq[k - 1]]);
	assert_int_equal(srv_timer_pending(t), 0);
	srv_timer_stop(t);
}

static void an_earlier_deadline_added_later_wakes_the_timer(void **state)
{
	static struct record rec;
	(void)state;
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	uint64_t now = clock_now_us();
	assert_int_equal(srv_timer_add(t, now + 10000000, &rec.fired[0]), 0); /* 10 s */
	assert_int_equal(srv_timer_add(t, now + 20000, &rec.fired[1]), 0);    /* 20 ms */
	wait_for(&rec.fired[1], 1, 3000000);
	assert_int_equal(atomic_load(&rec.fired[1]), 1);
	assert_int_equal(atomic_load(&rec.fired[0]), 0);
	assert_true(rec.at[1] - now < 2000000);
	assert_int_equal(srv_timer_pending(t), 1);
	srv_timer_stop(t); /* flushes the 10 s item */
	assert_int_equal(atomic_load(&rec.fired[0]), 1);
}

static void flush_fires_pending_now_and_later_adds_at_once(void **state)
{
	static struct record rec;
	(void)state;
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	uint64_t far = clock_now_us() + 60000000;
	for (int i = 0; i < 10; i++)
		assert_int_equal(srv_timer_add(t, far, &rec.fired[i]), 0);
	assert_int_equal(srv_timer_flush(t), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(atomic_load(&rec.fired[i]), 1);
	assert_int_equal(srv_timer_add(t, far, &rec.fired[10]), 0);
	assert_int_equal(atomic_load(&rec.fired[10]), 1); /* fired on this thread, at once */
	srv_timer_stop(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(heap_pops_in_deadline_order_fifo_on_ties),
	        cmocka_unit_test(timer_fires_each_item_once_never_early_in_order),
	        cmocka_unit_test(an_earlier_deadline_added_later_wakes_the_timer),
	        cmocka_unit_test(flush_fires_pending_now_and_later_adds_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
