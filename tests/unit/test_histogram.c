/* test_histogram.c -- the log-linear histogram agrees with exact percentiles of known data
 * (exact below 2048 us, within 0.1% above) and merges losslessly. */
#include "testutil.h"

#include <math.h>

#include "histogram.h"
#include "latency.h"
#include "rng.h"

static const double some_percentiles[] = {0.001, 0.1, 1,  5,  10,   25,   33.3,  50,
                                          66.6,  75,  90, 95, 99.0, 99.9, 99.99, 99.999};

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* nearest rank on sorted data: the ceil(p/100 * n)-th smallest; p in parts per 100,000 so
 * the rank is computed exactly in integers */
static uint64_t exact_percentile(const uint64_t *sorted, uint64_t n, double p)
{
	uint64_t ppm = (uint64_t)llround(p * 1000.0); /* p in units of 0.001% */
	uint64_t rank = (ppm * n + 99999) / 100000;
	return sorted[rank ? rank - 1 : 0];
}

/* the histogram's answer is the exact one below 2048 us and within 0.1% above */
static void assert_close_to_exact(uint64_t got, uint64_t want, double p)
{
	double tol = want < 2048 ? 0.0 : (double)want * 0.001;
	if (fabs((double)got - (double)want) > tol)
		print_error("p%g: histogram %llu, exact %llu\n", p, (unsigned long long)got,
		            (unsigned long long)want);
	assert_true(fabs((double)got - (double)want) <= tol);
}

static void assert_percentiles_match(const struct hist *h, uint64_t *values, uint64_t n)
{
	qsort(values, n, sizeof(*values), cmp_u64);
	for (size_t i = 0; i < sizeof(some_percentiles) / sizeof(some_percentiles[0]); i++) {
		double p = some_percentiles[i];
		assert_close_to_exact(hist_percentile(h, p), exact_percentile(values, n, p), p);
	}
	assert_int_equal(hist_percentile(h, 0), values[0]);
	assert_int_equal(hist_percentile(h, 100), values[n - 1]);
}

static void assert_moments_match(const struct hist *h, const uint64_t *v, uint64_t n)
{
	double mean = 0.0;
	uint64_t lo = UINT64_MAX, hi = 0;
	for (uint64_t i = 0; i < n; i++) {
		mean += ((double)v[i] - mean) / (double)(i + 1);
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	assert_int_equal(hist_count(h), n);
	assert_int_equal(hist_min(h), lo);
	assert_int_equal(hist_max(h), hi);
	assert_true(fabs(hist_mean(h) - mean) <= 1e-9 * mean);
}

static void empty_histogram_reports_zeros(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	assert_int_equal(hist_count(h), 0);
	assert_int_equal(hist_min(h), 0);
	assert_int_equal(hist_max(h), 0);
	assert_true(hist_mean(h) == 0.0);
	assert_int_equal(hist_clamped(h), 0);
	assert_int_equal(hist_percentile(h, 0), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 100), 0);
	hist_free(h);
	hist_free(NULL);
}

static void values_below_2048_are_exact(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	for (uint64_t v = 0; v < 2048; v++)
		hist_record(h, v);
	for (unsigned p = 1; p <= 100; p++) {
		/* ceil(p/100 * 2048)-th smallest of 0..2047 */
		uint64_t want = ((uint64_t)p * 2048 + 99) / 100 - 1;
		assert_int_equal(hist_percentile(h, p), want);
	}
	hist_free(h);
}

static void percentiles_of_1_to_10000_us_match_exact_ones(void **state)
{
	(void)state;
	enum { M = 10000 };
	uint64_t *v = malloc(M * sizeof(*v));
	assert_non_null(v);
	struct hist *h = hist_new();
	assert_non_null(h);
	/* recorded in a scrambled order */
	for (uint64_t i = 0; i < M; i++) {
		v[i] = 1 + (i * 7919) % M;
		hist_record(h, v[i]);
	}
	assert_moments_match(h, v, M);
	assert_true(hist_mean(h) == 5000.5);
	assert_percentiles_match(h, v, M);
	/* each integer percentile, exact below 2048 and within 0.1% above */
	for (unsigned p = 1; p <= 100; p++)
		assert_close_to_exact(hist_percentile(h, p), p * (M / 100), p);
	free(v);
	hist_free(h);
}

static void percentiles_of_lognormal_latencies_match_exact_ones(void **state)
{
	(void)state;
	enum { M = 100000 };
	uint64_t *v = malloc(M * sizeof(*v));
	assert_non_null(v);
	struct hist *h = hist_new();
	assert_non_null(h);
	struct latency_model m = {LATENCY_LOGNORMAL, 100000, 2000000, HIST_MAX_US};
	for (uint64_t i = 0; i < M; i++) {
		v[i] = latency_draw(&m, 1, 2, i);
		hist_record(h, v[i]);
	}
	assert_moments_match(h, v, M);
	assert_percentiles_match(h, v, M);
	free(v);
	hist_free(h);
}

static void percentile_is_monotonic_and_within_min_max(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	for (uint64_t i = 0; i < 50000; i++)
		hist_record(h, 3000 + rng_hash(5, 0, i) % 5000000);
	uint64_t prev = 0;
	for (double p = 0.0; p <= 100.0; p += 0.25) {
		uint64_t v = hist_percentile(h, p);
		assert_true(v >= prev);
		assert_true(v >= hist_min(h) && v <= hist_max(h));
		prev = v;
	}
	hist_free(h);
}

static void p0_and_p100_are_min_and_max(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	/* values whose buckets are wide: the extremes are still reported exactly */
	hist_record(h, 1234567);
	hist_record(h, 7654321);
	hist_record(h, 3000000);
	assert_int_equal(hist_percentile(h, 0), 1234567);
	assert_int_equal(hist_percentile(h, 100), 7654321);
	assert_int_equal(hist_min(h), 1234567);
	assert_int_equal(hist_max(h), 7654321);
	/* out-of-range p clamps to the ends; NaN is p0 */
	assert_int_equal(hist_percentile(h, -5), 1234567);
	assert_int_equal(hist_percentile(h, 250), 7654321);
	assert_int_equal(hist_percentile(h, NAN), 1234567);
	assert_int_equal(hist_percentile(h, INFINITY), 7654321);
	hist_free(h);
}

static void single_sample_is_every_percentile(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	hist_record(h, 123456);
	for (double p = 0.0; p <= 100.0; p += 12.5)
		assert_int_equal(hist_percentile(h, p), 123456);
	assert_true(hist_mean(h) == 123456.0);
	hist_free(h);
}

/* 99% of 100 samples is the 99th, despite 0.99 * 100 > 99 in binary */
static void nearest_rank_is_exact_at_round_percentages(void **state)
{
	(void)state;
	static const uint64_t sizes[] = {100, 1000, 12345, 1000000, 10000000};
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		uint64_t n = sizes[s];
		struct hist *h = hist_new();
		assert_non_null(h);
		/* n distinct values below 2048 would not fit; use n copies of rank-coded data */
		for (uint64_t i = 1; i <= n; i++)
			hist_record(h, (i * 2000 + n - 1) / n); /* non-decreasing, 1..2000 */
		static const double ps[] = {1, 10, 50, 90, 99, 99.9, 99.99};
		for (size_t k = 0; k < sizeof(ps) / sizeof(ps[0]); k++) {
			uint64_t ppm = (uint64_t)llround(ps[k] * 1000.0);
			uint64_t rank = (ppm * n + 99999) / 100000;
			uint64_t want = (rank * 2000 + n - 1) / n;
			uint64_t got = hist_percentile(h, ps[k]);
			if (got != want)
				print_error("n=%llu p%g: %llu, want %llu\n", (unsigned long long)n,
				            ps[k], (unsigned long long)got,
				            (unsigned long long)want);
			assert_int_equal(got, want);
		}
		hist_free(h);
	}
}

static void mean_is_exact_far_from_zero(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	/* values near one hour: a double running sum would round away the spread; the integer
	 * sum keeps the mean exact */
	for (int i = 0; i < 100000; i++)
		hist_record(h, 3000000000ULL + (uint64_t)(i % 10));
	assert_float_equal(hist_mean(h), 3000000004.5, 1e-6);
	hist_free(h);
}

static void merge_equals_recording_all_into_one(void **state)
{
	(void)state;
	enum { M = 200000, PARTS = 4 };
	struct hist *all = hist_new(), *merged = hist_new(), *part[PARTS];
	assert_non_null(all);
	assert_non_null(merged);
	for (int k = 0; k < PARTS; k++) {
		part[k] = hist_new();
		assert_non_null(part[k]);
	}
	struct latency_model m = {LATENCY_LOGNORMAL, 50000, 900000, HIST_MAX_US};
	for (uint64_t i = 0; i < M; i++) {
		/* uneven parts, and a few clamped samples */
		uint64_t v = i % 9973 == 0 ? HIST_MAX_US + i : latency_draw(&m, 3, 4, i);
		hist_record(all, v);
		hist_record(part[(i * i) % PARTS], v);
	}
	struct hist *empty = hist_new();
	assert_non_null(empty);
	hist_merge(merged, empty); /* empty into empty */
	for (int k = 0; k < PARTS; k++)
		hist_merge(merged, part[k]);
	hist_merge(merged, empty); /* empty into full */
	assert_int_equal(hist_count(merged), hist_count(all));
	assert_int_equal(hist_min(merged), hist_min(all));
	assert_int_equal(hist_max(merged), hist_max(all));
	assert_int_equal(hist_clamped(merged), hist_clamped(all));
	assert_true(hist_clamped(all) > 0);
	assert_float_equal(hist_mean(merged), hist_mean(all), 1e-9 * hist_mean(all));
	for (double p = 0.0; p <= 100.0; p += 0.5)
		assert_int_equal(hist_percentile(merged, p), hist_percentile(all, p));
	assert_int_equal(hist_percentile(merged, 99.99), hist_percentile(all, 99.99));
	for (int k = 0; k < PARTS; k++)
		hist_free(part[k]);
	hist_free(empty);
	hist_free(merged);
	hist_free(all);
}

static void merge_into_empty_copies_the_source(void **state)
{
	(void)state;
	struct hist *src = hist_new(), *dst = hist_new();
	assert_non_null(src);
	assert_non_null(dst);
	hist_record(src, 5000);
	hist_record(src, 7000);
	hist_merge(dst, src);
	assert_int_equal(hist_count(dst), 2);
	assert_int_equal(hist_min(dst), 5000);
	assert_int_equal(hist_max(dst), 7000);
	assert_true(hist_mean(dst) == 6000.0);
	/* the source is unchanged */
	assert_int_equal(hist_count(src), 2);
	hist_free(src);
	hist_free(dst);
}

static void ten_million_samples_are_summarised_exactly(void **state)
{
	(void)state;
	const uint64_t n = 10000000;
	struct hist *h = hist_new();
	assert_non_null(h);
	for (uint64_t i = 0; i < n; i++)
		hist_record(h, 1 + i % 10000);
	assert_int_equal(hist_count(h), n);
	assert_int_equal(hist_min(h), 1);
	assert_int_equal(hist_max(h), 10000);
	assert_true(hist_mean(h) == 5000.5);
	for (unsigned p = 1; p <= 100; p++)
		assert_close_to_exact(hist_percentile(h, p), p * 100, p);
	assert_close_to_exact(hist_percentile(h, 99.9), 9990, 99.9);
	assert_close_to_exact(hist_percentile(h, 0.01), 1, 0.01);
	hist_free(h);
}

static void values_above_one_hour_are_clamped_and_counted(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	hist_record(h, HIST_MAX_US); /* the top itself is not clamped */
	assert_int_equal(hist_clamped(h), 0);
	hist_record(h, HIST_MAX_US + 1);
	hist_record(h, UINT64_MAX);
	hist_record(h, 10);
	assert_int_equal(hist_clamped(h), 2);
	assert_int_equal(hist_count(h), 4);
	assert_int_equal(hist_max(h), HIST_MAX_US);
	assert_int_equal(hist_min(h), 10);
	assert_int_equal(hist_percentile(h, 100), HIST_MAX_US);
	assert_close_to_exact(hist_percentile(h, 50), HIST_MAX_US, 50);
	assert_float_equal(hist_mean(h), (3.0 * HIST_MAX_US + 10) / 4, 1e-3);
	hist_free(h);
}

static void reset_empties_the_histogram(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	for (uint64_t v = 1; v < 100000; v += 7)
		hist_record(h, v);
	hist_record(h, UINT64_MAX);
	hist_reset(h);
	assert_int_equal(hist_count(h), 0);
	assert_int_equal(hist_max(h), 0);
	assert_int_equal(hist_clamped(h), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	hist_record(h, 42);
	assert_int_equal(hist_min(h), 42);
	assert_int_equal(hist_max(h), 42);
	assert_int_equal(hist_percentile(h, 50), 42);
	hist_free(h);
}

static void zero_is_a_recordable_value(void **state)
{
	(void)state;
	struct hist *h = hist_new();
	assert_non_null(h);
	hist_record(h, 0);
	hist_record(h, 0);
	hist_record(h, 100);
	assert_int_equal(hist_count(h), 3);
	assert_int_equal(hist_min(h), 0);
	assert_int_equal(hist_percentile(h, 50), 0);
	assert_int_equal(hist_percentile(h, 67), 100);
	hist_free(h);
}

/* every value from 0 to one hour lands in a bucket whose report is within 0.1% */
static void every_magnitude_is_reported_within_a_tenth_of_a_percent(void **state)
{
	(void)state;
	for (uint64_t v = 1; v <= HIST_MAX_US; v = v * 1.01 + 1) {
		struct hist *h = hist_new();
		assert_non_null(h);
		hist_record(h, 0);
		hist_record(h, v);
		hist_record(h, HIST_MAX_US);
		/* the middle sample is not min or max, so its bucket decides */
		assert_close_to_exact(hist_percentile(h, 50), v, 50);
		hist_free(h);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(empty_histogram_reports_zeros),
	        cmocka_unit_test(values_below_2048_are_exact),
	        cmocka_unit_test(percentiles_of_1_to_10000_us_match_exact_ones),
	        cmocka_unit_test(percentiles_of_lognormal_latencies_match_exact_ones),
	        cmocka_unit_test(percentile_is_monotonic_and_within_min_max),
	        cmocka_unit_test(p0_and_p100_are_min_and_max),
	        cmocka_unit_test(single_sample_is_every_percentile),
	        cmocka_unit_test(nearest_rank_is_exact_at_round_percentages),
	        cmocka_unit_test(mean_is_exact_far_from_zero),
	        cmocka_unit_test(merge_equals_recording_all_into_one),
	        cmocka_unit_test(merge_into_empty_copies_the_source),
	        cmocka_unit_test(ten_million_samples_are_summarised_exactly),
	        cmocka_unit_test(values_above_one_hour_are_clamped_and_counted),
	        cmocka_unit_test(reset_empties_the_histogram),
	        cmocka_unit_test(zero_is_a_recordable_value),
	        cmocka_unit_test(every_magnitude_is_reported_within_a_tenth_of_a_percent),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
