/* fuzz_histogram.c -- libFuzzer property test of common/histogram against exact answers.
 *
 * The input is read as a sequence of values (a varying number of bytes each, so small and
 * huge values both occur), recorded into one histogram and, split by the input, into two
 * that are then merged. Invariants (a failure aborts): count, min, max and clamped are exact;
 * every percentile is the exact nearest-rank value of the sorted (clamped) data, exactly below
 * 2048 us and within 0.1% above, never outside [min, max], and monotonic in p; the mean is
 * exact to double rounding; the merged histogram answers exactly like the single one.
 * Built by tests/fuzz/run.sh, never by the normal build. */
#include "fuzz.h"
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "histogram.h"

#define MAXV 4096

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

static void check_input(const uint8_t *data, size_t size, struct hist *one, struct hist *a,
                        struct hist *b, struct hist *merged)
{
	static uint64_t v[MAXV];

	/* each value: a tag byte (width in bytes 1..8, which histogram, repeat count) then the
	 * value's bytes */
	size_t n = 0, i = 0;
	uint64_t clamped = 0;
	while (i < size && n < MAXV) {
		uint8_t tag = data[i++];
		size_t width = (size_t)(tag & 7) + 1;
		unsigned repeat = ((tag >> 4) & 7) + 1;
		uint64_t x = 0;
		for (size_t k = 0; k < width && i < size; k++)
			x = x << 8 | data[i++];
		for (unsigned r = 0; r < repeat && n < MAXV; r++) {
			hist_record(one, x);
			hist_record(tag & 8 ? a : b, x);
			clamped += x > HIST_MAX_US;
			v[n++] = x > HIST_MAX_US ? HIST_MAX_US : x;
		}
	}
	hist_merge(merged, a);
	hist_merge(merged, b);

	CHECK(hist_count(one) == n);
	CHECK(hist_clamped(one) == clamped);
	CHECK(hist_count(merged) == n && hist_clamped(merged) == clamped);
	if (n == 0) {
		CHECK(hist_min(one) == 0 && hist_max(one) == 0 && hist_percentile(one, 50) == 0);
		CHECK(hist_mean(one) == 0.0);
		return;
	}
	qsort(v, n, sizeof(v[0]), cmp_u64);
	CHECK(hist_min(one) == v[0] && hist_max(one) == v[n - 1]);
	CHECK(hist_min(merged) == v[0] && hist_max(merged) == v[n - 1]);

	long double sum = 0;
	for (size_t k = 0; k < n; k++)
		sum += v[k];
	double mean = (double)(sum / n);
	CHECK(fabs(hist_mean(one) - mean) <= 1e-12 * mean);
	CHECK(fabs(hist_mean(merged) - mean) <= 1e-12 * mean);

	/* p in tenths of a percent; each answer is a scan of the buckets, so a chosen few */
	static const unsigned pms[] = {0,   1,   5,   10,  100, 250, 333, 500,
	                               667, 750, 900, 950, 990, 999, 1000};
	uint64_t prev = 0;
	for (size_t k = 0; k < sizeof(pms) / sizeof(pms[0]); k++) {
		unsigned pm = pms[k];
		double p = pm / 10.0;
		uint64_t rank = ((uint64_t)pm * n + 999) / 1000;
		uint64_t want = v[rank ? rank - 1 : 0];
		uint64_t got = hist_percentile(one, p);
		double tol = want < 2048 ? 0.0 : (double)want * 0.001;
		if (fabs((double)got - (double)want) > tol)
			fprintf(stderr, "p%g of %zu: %llu, exact %llu\n", p, n,
			        (unsigned long long)got, (unsigned long long)want);
		CHECK(fabs((double)got - (double)want) <= tol);
		CHECK(got >= v[0] && got <= v[n - 1]);
		CHECK(got >= prev);
		CHECK(hist_percentile(merged, p) == got);
		prev = got;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* allocated once: a fresh 190 KiB histogram per input would make fuzzing 100x slower */
	static struct hist *one, *a, *b, *merged;
	if (!one) {
		one = hist_new();
		a = hist_new();
		b = hist_new();
		merged = hist_new();
		CHECK(one && a && b && merged);
	}
	hist_reset(one);
	hist_reset(a);
	hist_reset(b);
	hist_reset(merged);
	check_input(data, size, one, a, b, merged);
	return 0;
}
