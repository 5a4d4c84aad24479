/* test_rng.c -- rng_draw is a pure, well-mixed, uniform function of (seed, stream, index)
 * whatever the order of calls, and its values are pinned across versions. */
#include "testutil.h"

#include <math.h>
#include <stdlib.h>

#include "rng.h"

#define N 100000

/* chi-square statistic of values in [0,1) over `bins` equal bins */
static double chi_square(const double *v, size_t n, unsigned bins)
{
	uint64_t count[64] = {0};
	for (size_t i = 0; i < n; i++)
		count[(unsigned)(v[i] * bins)]++;
	double expect = (double)n / bins, chi = 0.0;
	for (unsigned b = 0; b < bins; b++)
		chi += ((double)count[b] - expect) * ((double)count[b] - expect) / expect;
	return chi;
}

static double mean_of(const double *v, size_t n)
{
	double s = 0.0;
	for (size_t i = 0; i < n; i++)
		s += v[i];
	return s / (double)n;
}

/* Delays are a pure function of (seed, stream, index) across versions too: a class that
 * reruns an exercise next term sees the same numbers. Changing these values is a breaking
 * change of the lesson's data. */
static void draw_values_are_pinned_across_versions(void **state)
{
	(void)state;
	assert_int_equal(rng_hash(1, 2, 3), 0x5ddff0791e77cf58ULL);
	assert_true(rng_draw(1, 2, 3) == 0.36669829327590187);
	assert_int_equal(rng_stream_of("naver"), 0x35950b6515f173c0ULL);
}

/* the value of an index does not depend on which draws came before it */
static void draw_is_order_independent(void **state)
{
	(void)state;
	enum { M = 4096 };
	double *forward = malloc(M * sizeof(*forward));
	assert_non_null(forward);
	for (uint64_t i = 0; i < M; i++)
		forward[i] = rng_draw(77, 3, i);
	for (uint64_t i = M; i-- > 0;)
		assert_true(rng_draw(77, 3, i) == forward[i]);
	/* a scattered order, interleaved with unrelated draws on other streams */
	for (uint64_t k = 0; k < M; k++) {
		uint64_t i = (k * 2654435761u) % M;
		(void)rng_draw(78, 3, i);
		(void)rng_draw(77, 4, k);
		assert_true(rng_draw(77, 3, i) == forward[i]);
	}
	free(forward);
}

static void draw_is_sensitive_to_each_argument(void **state)
{
	(void)state;
	const uint64_t s = 1, t = 2, i = 3;
	double base = rng_draw(s, t, i);
	for (uint64_t d = 1; d < 64; d++) {
		assert_true(rng_draw(s + d, t, i) != base);
		assert_true(rng_draw(s, t + d, i) != base);
		assert_true(rng_draw(s, t, i + d) != base);
		/* single-bit flips in each argument */
		uint64_t bit = 1ULL << d;
		assert_true(rng_hash(s ^ bit, t, i) != rng_hash(s, t, i));
		assert_true(rng_hash(s, t ^ bit, i) != rng_hash(s, t, i));
		assert_true(rng_hash(s, t, i ^ bit) != rng_hash(s, t, i));
	}
	/* permuting the arguments changes the value */
	assert_true(rng_draw(i, t, s) != base);
	assert_true(rng_draw(t, s, i) != base);
	assert_true(rng_draw(s, i, t) != base);
	/* all-zero input is not a fixed point */
	assert_true(rng_hash(0, 0, 0) != 0);
}

/* flipping one input bit flips about half the output bits (avalanche) */
static void hash_avalanches_on_single_bit_flips(void **state)
{
	(void)state;
	uint64_t total = 0, trials = 0;
	for (uint64_t k = 0; k < 200; k++) {
		uint64_t h = rng_hash(k, 2 * k + 1, 3 * k + 7);
		for (int b = 0; b < 64; b++) {
			uint64_t bit = 1ULL << b;
			total += (uint64_t)__builtin_popcountll(
			        h ^ rng_hash(k ^ bit, 2 * k + 1, 3 * k + 7));
			total += (uint64_t)__builtin_popcountll(
			        h ^ rng_hash(k, (2 * k + 1) ^ bit, 3 * k + 7));
			total += (uint64_t)__builtin_popcountll(
			        h ^ rng_hash(k, 2 * k + 1, (3 * k + 7) ^ bit));
			trials += 3;
		}
	}
	double avg = (double)total / (double)trials;
	assert_true(avg > 31.0 && avg < 33.0);
}

static void draw_stays_in_unit_interval_and_is_uniform_over_indexes(void **state)
{
	(void)state;
	double *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	for (uint64_t i = 0; i < N; i++) {
		v[i] = rng_draw(1, rng_stream_of("naver"), i);
		assert_true(v[i] >= 0.0 && v[i] < 1.0);
	}
	double chi = chi_square(v, N, 10);
	double mean = mean_of(v, N);
	free(v);
	assert_true(chi < 30.0);
	assert_true(fabs(mean - 0.5) < 0.005);
}

static void draw_is_uniform_over_seeds_and_streams(void **state)
{
	(void)state;
	double *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	for (uint64_t i = 0; i < N; i++)
		v[i] = rng_draw(i, 0, 0);
	double chi_seed = chi_square(v, N, 10);
	for (uint64_t i = 0; i < N; i++)
		v[i] = rng_draw(0, i, 0);
	double chi_stream = chi_square(v, N, 10);
	double mean = mean_of(v, N);
	free(v);
	assert_true(chi_seed < 30.0);
	assert_true(chi_stream < 30.0);
	assert_true(fabs(mean - 0.5) < 0.005);
}

/* consecutive indexes are not correlated: the lag-1 serial correlation is near 0 */
static void draw_consecutive_indexes_are_uncorrelated(void **state)
{
	(void)state;
	double sxy = 0, sx = 0, sxx = 0;
	double prev = rng_draw(9, 9, 0);
	for (uint64_t i = 1; i <= N; i++) {
		double x = rng_draw(9, 9, i);
		sxy += prev * x;
		sx += x;
		sxx += x * x;
		prev = x;
	}
	double mean = sx / N, var = sxx / N - mean * mean;
	double corr = (sxy / N - mean * mean) / var;
	/* sd of the estimate is 1/sqrt(N) = 0.003 */
	assert_true(fabs(corr) < 0.015);
}

static void stream_of_names_is_distinct(void **state)
{
	(void)state;
	assert_true(rng_stream_of("naver") != rng_stream_of("google"));
	assert_true(rng_stream_of("naver") != rng_stream_of("Naver"));
	assert_true(rng_stream_of("naver") != rng_stream_of("naver.com"));
	assert_true(rng_stream_of("") != rng_stream_of("a"));
	assert_true(rng_stream_of("ab") != rng_stream_of("ba"));
	/* the two uniforms of latency_draw use a stream and its complement */
	assert_true(rng_stream_of("naver") != ~rng_stream_of("google"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(draw_values_are_pinned_across_versions),
	        cmocka_unit_test(draw_is_order_independent),
	        cmocka_unit_test(draw_is_sensitive_to_each_argument),
	        cmocka_unit_test(hash_avalanches_on_single_bit_flips),
	        cmocka_unit_test(draw_stays_in_unit_interval_and_is_uniform_over_indexes),
	        cmocka_unit_test(draw_is_uniform_over_seeds_and_streams),
	        cmocka_unit_test(draw_consecutive_indexes_are_uncorrelated),
	        cmocka_unit_test(stream_of_names_is_distinct),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
