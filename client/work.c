/* work.c -- the calibrated CPU loop behind --work cpu:DUR; owns no locks (threads.c does). */
#include "work.h"

#include "units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int work_parse(const char *s, uint64_t *cpu_us, char *err, size_t errlen)
{
	if (strcmp(s, "none") == 0) {
		*cpu_us = 0;
		return 0;
	}
	if (strncmp(s, "cpu:", 4) != 0) {
		snprintf(err, errlen, "expected %s", WORK_FORMS);
		return -EINVAL;
	}
	uint64_t us;
	char why[160];
	if (units_parse_duration(s + 4, &us, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "expected %s: %s", WORK_FORMS, why);
		return -EINVAL;
	}
	if (us > 10ULL * 1000 * 1000) {
		snprintf(err, errlen, "expected %s of at most 10s per response", WORK_FORMS);
		return -ERANGE;
	}
	*cpu_us = us;
	return 0;
}

uint64_t work_burn(uint64_t iters, const unsigned char *data, size_t len)
{
	static const unsigned char pattern[8] = {'l', 'a', 't', 'l', 'a', 'b', '!', '\n'};
	if (len == 0) {
		data = pattern;
		len = sizeof(pattern);
	}
	uint64_t h = 14695981039346656037ULL;
	size_t k = 0;
	for (uint64_t i = 0; i < iters; i++) {
		h = (h ^ data[k]) * 1099511628211ULL;
		h ^= h >> 29;
		if (++k == len)
			k = 0;
	}
	return h;
}

static uint64_t work_thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

uint64_t work_calibrate(uint64_t cpu_us)
{
	if (cpu_us == 0)
		return 0;
	unsigned char sample[256];
	for (size_t i = 0; i < sizeof(sample); i++)
		sample[i] = (unsigned char)(i * 31 + 7);
	/* double the loop until one run takes >= 10 ms of this thread's CPU, then keep the
	 * fastest of three runs of that size (the least disturbed) */
	uint64_t iters = 1 << 16, best_ns = 0;
	volatile uint64_t sink = 0;
	for (;;) {
		uint64_t t0 = work_thread_cpu_ns();
		sink ^= work_burn(iters, sample, sizeof(sample));
		uint64_t ns = work_thread_cpu_ns() - t0;
		if (ns >= 10000000 || iters >= (1ULL << 40)) {
			best_ns = ns;
			break;
		}
		iters *= 2;
	}
	for (int r = 0; r < 2; r++) {
		uint64_t t0 = work_thread_cpu_ns();
		sink ^= work_burn(iters, sample, sizeof(sample));
		uint64_t ns = work_thread_cpu_ns() - t0;
		if (ns < best_ns)
			best_ns = ns;
	}
	(void)sink;
	if (best_ns == 0)
		best_ns = 1;
	double per_us = (double)iters * 1000.0 / (double)best_ns;
	double want = per_us * (double)cpu_us;
	return want < 1 ? 1 : (uint64_t)want;
}
