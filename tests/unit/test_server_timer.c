/* test_server_timer.c -- the timer thread fires every item once, never early, in deadline
 * order; an earlier deadline wakes it; a flush fires the rest now. (The heap under it has its
 * own test, test_heap.c.) */
#include "testutil.h"

#include <stdatomic.h>
#include <time.h>

#include "../../server/delay.h"
#include "clock.h"
#include "rng.h"

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
	(void)state;
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	assert_non_null(t);
	uint64_t now = clock_now_us();
	for (int i = 0; i < N_ITEMS; i++) {
		/* 5-105 ms from now */
		rec.deadline[i] = now + 5000 + rng_hash(5, 0, (uint64_t)i) % 100000;
		assert_int_equal(srv_timer_add(t, rec.deadline[i], &rec.fired[i], 0), 0);
	}
	wait_for(&rec.order, N_ITEMS, 5000000);
	assert_int_equal(atomic_load(&rec.order), N_ITEMS);
	for (int i = 0; i < N_ITEMS; i++) {
		assert_int_equal(atomic_load(&rec.fired[i]), 1);
		assert_true(rec.at[i] >= rec.deadline[i]); /* never early */
	}
	for (int k = 1; k < N_ITEMS; k++) /* fired in deadline order */
		assert_true(rec.deadline[rec.seq[k]] >= rec.deadline[rec.seq[k - 1]]);
	srv_timer_stop(t);
}

static void an_earlier_deadline_added_later_wakes_the_timer(void **state)
{
	static struct record rec;
	(void)state;
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	assert_non_null(t);
	uint64_t now = clock_now_us();
	assert_int_equal(srv_timer_add(t, now + 10000000, &rec.fired[0], 0), 0); /* 10 s */
	assert_int_equal(srv_timer_add(t, now + 20000, &rec.fired[1], 0), 0);    /* 20 ms */
	wait_for(&rec.fired[1], 1, 3000000);
	assert_int_equal(atomic_load(&rec.fired[1]), 1);
	assert_int_equal(atomic_load(&rec.fired[0]), 0);
	assert_true(rec.at[1] - now < 2000000);
	srv_timer_stop(t); /* flushes the 10 s item */
	assert_int_equal(atomic_load(&rec.fired[0]), 1);
}

static void flush_fires_pending_now_and_later_adds_at_once(void **state)
{
	static struct record rec;
	(void)state;
	struct srv_timer *t = srv_timer_start(record_fire, &rec);
	assert_non_null(t);
	uint64_t far = clock_now_us() + 60000000;
	for (int i = 0; i < 10; i++)
		assert_int_equal(srv_timer_add(t, far, &rec.fired[i], 0), 0);
	assert_int_equal(srv_timer_flush(t), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(atomic_load(&rec.fired[i]), 1);
	assert_int_equal(srv_timer_add(t, far, &rec.fired[10], 0), 0);
	assert_int_equal(atomic_load(&rec.fired[10]), 1); /* fired on this thread, at once */
	srv_timer_stop(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(timer_fires_each_item_once_never_early_in_order),
	        cmocka_unit_test(an_earlier_deadline_added_later_wakes_the_timer),
	        cmocka_unit_test(flush_fires_pending_now_and_later_adds_at_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
