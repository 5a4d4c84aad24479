/* test_clock.c -- the monotonic clock never goes backwards and advances in real time. */
#include "testutil.h"

#include <time.h>

#include "clock.h"

static void clock_never_goes_backwards(void **state)
{
	(void)state;
	uint64_t prev = clock_now_us();
	for (int i = 0; i < 100000; i++) {
		uint64_t now = clock_now_us();
		assert_true(now >= prev);
		prev = now;
	}
}

static void clock_advances_with_real_time(void **state)
{
	(void)state;
	uint64_t t0 = clock_now_us();
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	uint64_t dt = clock_now_us() - t0;
	/* slept 20 ms: at least that much passed; the upper bound is generous */
	assert_in_range(dt, 20000, 2000000);
}

static void clock_ns_and_us_agree(void **state)
{
	(void)state;
	uint64_t us = clock_now_us();
	uint64_t ns = clock_now_ns();
	assert_true(ns / 1000 >= us);
	assert_true(ns / 1000 - us < 1000000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(clock_never_goes_backwards),
	        cmocka_unit_test(clock_advances_with_real_time),
	        cmocka_unit_test(clock_ns_and_us_agree),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
