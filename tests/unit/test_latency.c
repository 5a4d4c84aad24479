/* test_latency.c -- each latency model hits its configured shape over 100,000 draws, stays
 * in [0, cap], is a pure function of (seed, stream, index), and bad parameters are refused. */
#include "testutil.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "latency.h"
#include "rng.h"

#define N    100000
#define SEED 2024

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* draws N delays of request 0..N-1 on one stream, sorted */
static uint64_t *draw_sorted(const struct latency_model *m, uint64_t seed, const char *site)
{
	uint64_t *v = malloc(N * sizeof(*v));
	assert_non_null(v);
	uint64_t stream = rng_stream_of(site);
	for (uint64_t i = 0; i < N; i++)
		v[i] = latency_draw(m, seed, stream, i);
	qsort(v, N, sizeof(*v), cmp_u64);
	return v;
}

/* exact nearest-rank percentile of sorted data: the ceil(p/100 * n)-th smallest */
static uint64_t percentile_of(const uint64_t *sorted, size_t n, unsigned per_mille)
{
	size_t rank = ((size_t)per_mille * n + 999) / 1000;
	return sorted[rank ? rank - 1 : 0];
}

static void moments(const uint64_t *v, size_t n, double *mean, double *sd)
{
	double m = 0.0, m2 = 0.0;
	for (size_t i = 0; i < n; i++) {
		double d = (double)v[i] - m;
		m += d / (double)(i + 1);
		m2 += d * ((double)v[i] - m);
	}
	*mean = m;
	*sd = sqrt(m2 / (double)n);
}

static void assert_within(double got, double want, double rel)
{
	if (fabs(got - want) > rel * want)
		print_error("got %.1f, want %.1f +- %.1f%%\n", got, want, rel * 100);
	assert_true(fabs(got - want) <= rel * want);
}

/* ---- the models ------------------------------------------------------------------------ */

static void fixed_always_gives_its_delay(void **state)
{
	(void)state;
	struct latency_model m = {LATENCY_FIXED, 250000, 0, 10000000};
	for (uint64_t i = 0; i < 10000; i++)
		assert_int_equal(latency_draw(&m, SEED, 1, i), 250000);
	assert_int_equal(latency_sample(&m, 0.0, 0.0), 250000);
	assert_int_equal(latency_sample(&m, 0.9999999999999999, 0.5), 250000);
	m.a_us = 0;
	assert_int_equal(latency_draw(&m, SEED, 1, 7), 0);
}

static void lognormal_hits_configured_median_and_p99(void **state)
{
	(void)state;
	static const struct {
		uint64_t median, p99;
	} rows[] = {
	        {100000, 500000}, /* the lecture's slow-ish site: 100ms, p99 500ms */
	        {20000, 60000},
	        {150, 10000},       /* wide spread */
	        {1000000, 1100000}, /* narrow spread */
	};
	/* several seeds: the shape is the model's, not one lucky seed's */
	static const uint64_t seeds[] = {SEED, 1, 987654321};
	for (size_t s = 0; s < sizeof(seeds) / sizeof(seeds[0]); s++) {
		for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
			struct latency_model m = {LATENCY_LOGNORMAL, rows[r].median, rows[r].p99,
			                          60000000};
			assert_int_equal(latency_validate(&m, NULL, 0), 0);
			uint64_t *v = draw_sorted(&m, seeds[s], "naver");
			uint64_t p50 = percentile_of(v, N, 500), p99 = percentile_of(v, N, 990);
			free(v);
			assert_within((double)p50, (double)rows[r].median, 0.03);
			assert_within((double)p99, (double)rows[r].p99, 0.03);
		}
	}
}

static void lognormal_with_p99_equal_to_median_is_constant(void **state)
{
	(void)state;
	struct latency_model m = {LATENCY_LOGNORMAL, 80000, 80000, 1000000};
	assert_int_equal(latency_validate(&m, NULL, 0), 0);
	for (uint64_t i = 0; i < 10000; i++)
		assert_int_equal(latency_draw(&m, SEED, 5, i), 80000);
}

static void uniform_stays_within_min_and_max_and_spreads_evenly(void **state)
{
	(void)state;
	const uint64_t lo = 50000, hi = 150000;
	struct latency_model m = {LATENCY_UNIFORM, lo, hi, 1000000};
	uint64_t *v = draw_sorted(&m, SEED, "google");
	assert_true(v[0] >= lo);
	assert_true(v[N - 1] <= hi);
	/* the extremes are reached to within 0.1% of the range */
	assert_true(v[0] < lo + 100);
	assert_true(v[N - 1] > hi - 100);
	/* chi-square over 10 equal bins, 9 degrees of freedom: P(chi2 > 30) ~ 0.0004 */
	unsigned count[10] = {0};
	for (size_t i = 0; i < N; i++) {
		unsigned b = (unsigned)((v[i] - lo) * 10 / (hi - lo + 1));
		count[b]++;
	}
	double chi = 0.0;
	for (int b = 0; b < 10; b++)
		chi += (count[b] - N / 10.0) * (count[b] - N / 10.0) / (N / 10.0);
	assert_true(chi < 30.0);
	double mean, sd;
	moments(v, N, &mean, &sd);
	assert_within(mean, (lo + hi) / 2.0, 0.01);
	assert_within(sd, (hi - lo) / sqrt(12.0), 0.03);
	assert_within((double)percentile_of(v, N, 500), (lo + hi) / 2.0, 0.03);
	free(v);
}

static void uniform_with_equal_bounds_is_constant(void **state)
{
	(void)state;
	struct latency_model m = {LATENCY_UNIFORM, 7000, 7000, 7000};
	assert_int_equal(latency_validate(&m, NULL, 0), 0);
	for (uint64_t i = 0; i < 1000; i++)
		assert_int_equal(latency_draw(&m, SEED, 5, i), 7000);
}

static void normal_hits_configured_mean_and_sd(void **state)
{
	(void)state;
	static const struct {
		uint64_t mean, sd;
	} rows[] = {{200000, 30000}, {1000000, 100000}, {50000, 10000}, {5000, 0}};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct latency_model m = {LATENCY_NORMAL, rows[r].mean, rows[r].sd, 10000000};
		assert_int_equal(latency_validate(&m, NULL, 0), 0);
		uint64_t *v = draw_sorted(&m, SEED, "apple");
		double mean, sd;
		moments(v, N, &mean, &sd);
		assert_within(mean, (double)rows[r].mean, 0.03);
		if (rows[r].sd)
			assert_within(sd, (double)rows[r].sd, 0.03);
		else
			assert_true(sd == 0.0);
		/* and the median of a normal is its mean */
		assert_within((double)percentile_of(v, N, 500), (double)rows[r].mean, 0.03);
		free(v);
	}
}

/* ---- clamping to [0, cap] -------------------------------------------------------------- */

static void normal_clamps_negative_delays_to_zero(void **state)
{
	(void)state;
	/* mean 10ms, sd 20ms: P(X < 0) = P(Z < -0.5) = 0.3085 */
	struct latency_model m = {LATENCY_NORMAL, 10000, 20000, 1000000};
	uint64_t *v = draw_sorted(&m, SEED, "naver");
	size_t zeros = 0;
	while (zeros < N && v[zeros] == 0)
		zeros++;
	assert_true(v[N - 1] <= m.cap_us);
	free(v);
	assert_within((double)zeros / N, 0.3085, 0.03);
}

static void lognormal_clamps_to_the_cap(void **state)
{
	(void)state;
	/* median 100ms, p99 500ms, cap 300ms: P(X > 300ms) = P(Z > ln 3 / sigma) = 0.0559 */
	/* (p99 above the cap fails latency_validate, but sampling still clamps) */
	struct latency_model m = {LATENCY_LOGNORMAL, 100000, 500000, 300000};
	uint64_t *v = draw_sorted(&m, SEED, "naver");
	size_t at_cap = 0;
	for (size_t i = 0; i < N; i++)
		at_cap += v[i] == m.cap_us;
	assert_true(v[N - 1] == m.cap_us);
	free(v);
	double sigma = log(5.0) / 2.3263478740408408;
	double want = 0.5 * erfc(log(3.0) / sigma / sqrt(2.0));
	assert_within((double)at_cap / N, want, 0.05);
}

static void every_model_stays_within_zero_and_cap_at_extreme_uniforms(void **state)
{
	(void)state;
	static const double us[] = {0.0, 1e-300, 1e-16,       0.25,
	                            0.5, 0.75,   1.0 - 1e-16, 0.9999999999999999};
	const struct latency_model models[] = {
	        {LATENCY_FIXED, 5000, 0, 4000}, /* invalid (above the cap), still clamped */
	        {LATENCY_UNIFORM, 0, 4000, 4000},      {LATENCY_NORMAL, 2000, 4000, 4000},
	        {LATENCY_LOGNORMAL, 1000, 4000, 4000}, {LATENCY_LOGNORMAL, 1, 4000000, 4000},
	        {LATENCY_NORMAL, 2000, 4000, 0},       {(enum latency_kind)99, 2000, 4000, 4000},
	};
	for (size_t k = 0; k < sizeof(models) / sizeof(models[0]); k++) {
		for (size_t i = 0; i < sizeof(us) / sizeof(us[0]); i++) {
			for (size_t j = 0; j < sizeof(us) / sizeof(us[0]); j++) {
				uint64_t d = latency_sample(&models[k], us[i], us[j]);
				assert_true(d <= models[k].cap_us);
			}
		}
	}
	/* u1 near 1 is the far tail of the normal: clamped, not inf or NaN */
	assert_int_equal(latency_sample(&models[2], 0.9999999999999999, 0.0), 4000);
	assert_int_equal(latency_sample(&models[2], 0.9999999999999999, 0.5), 0);
}

static void large_delays_below_a_huge_cap_are_exact(void **state)
{
	(void)state;
	/* above 2^63 llround would overflow; delays are unsigned 64-bit */
	struct latency_model m = {LATENCY_FIXED, 10000000000000000000ULL, 0, UINT64_MAX};
	assert_int_equal(latency_validate(&m, NULL, 0), 0);
	assert_int_equal(latency_sample(&m, 0.5, 0.5), 10000000000000000000ULL);
	m.a_us = UINT64_MAX;
	assert_int_equal(latency_sample(&m, 0.5, 0.5), UINT64_MAX);
}

/* ---- determinism ----------------------------------------------------------------------- */

static void same_seed_stream_index_gives_same_delay(void **state)
{
	(void)state;
	const struct latency_model models[] = {
	        {LATENCY_UNIFORM, 1000, 900000, 1000000},
	        {LATENCY_NORMAL, 200000, 50000, 1000000},
	        {LATENCY_LOGNORMAL, 100000, 500000, 1000000},
	};
	for (size_t k = 0; k < sizeof(models) / sizeof(models[0]); k++) {
		uint64_t first[256];
		for (uint64_t i = 0; i < 256; i++)
			first[i] = latency_draw(&models[k], 7, 11, i);
		/* backwards, and interleaved with other streams and seeds */
		for (uint64_t i = 256; i-- > 0;) {
			(void)latency_draw(&models[k], 8, 11, i);
			(void)latency_draw(&models[k], 7, 12, i);
			assert_int_equal(latency_draw(&models[k], 7, 11, i), first[i]);
		}
		/* and equal to sampling the two documented uniforms */
		for (uint64_t i = 0; i < 256; i++)
			assert_int_equal(latency_sample(&models[k], rng_draw(7, 11, i),
			                                rng_draw(7, ~11ULL, i)),
			                 first[i]);
	}
}

static void delay_depends_on_seed_stream_and_index(void **state)
{
	(void)state;
	struct latency_model m = {LATENCY_UNIFORM, 0, 10000000, 10000000};
	int same_seed = 0, same_stream = 0, same_index = 0;
	for (uint64_t i = 0; i < 1000; i++) {
		uint64_t d = latency_draw(&m, 1, 2, i);
		same_seed += d == latency_draw(&m, 3, 2, i);
		same_stream += d == latency_draw(&m, 1, 4, i);
		same_index += d == latency_draw(&m, 1, 2, i + 1000);
	}
	/* 10 million possible values: a handful of coincidences at most */
	assert_true(same_seed < 5);
	assert_true(same_stream < 5);
	assert_true(same_index < 5);
}

/* ---- validation ------------------------------------------------------------------------ */

static void validate_accepts_sensible_models(void **state)
{
	(void)state;
	const struct latency_model ok[] = {
	        {LATENCY_FIXED, 0, 0, 0},      {LATENCY_FIXED, 250000, 0, 250000},
	        {LATENCY_UNIFORM, 0, 0, 10},   {LATENCY_UNIFORM, 100, 200, 200},
	        {LATENCY_NORMAL, 100, 0, 100}, {LATENCY_NORMAL, 100, 100, 100},
	        {LATENCY_LOGNORMAL, 1, 1, 1},  {LATENCY_LOGNORMAL, 100000, 500000, 30000000},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char err[128] = "";
		assert_int_equal(latency_validate(&ok[i], err, sizeof(err)), 0);
		assert_string_equal(err, "");
	}
}

static void validate_rejects_bad_parameter_sets_with_a_reason(void **state)
{
	(void)state;
	static const struct {
		struct latency_model m;
		const char *reason;
	} bad[] = {
	        {{LATENCY_FIXED, 1001, 0, 1000}, "exceeds the cap"},
	        {{LATENCY_UNIFORM, 200, 100, 1000}, "min <= max"},
	        {{LATENCY_UNIFORM, 100, 2000, 1000}, "exceeds the cap"},
	        {{LATENCY_NORMAL, 2000, 10, 1000}, "mean exceeds the cap"},
	        {{LATENCY_NORMAL, 100, 2000, 1000}, "deviation exceeds the cap"},
	        {{LATENCY_LOGNORMAL, 0, 100, 1000}, "median > 0"},
	        {{LATENCY_LOGNORMAL, 100, 99, 1000}, "p99 >= median"},
	        {{LATENCY_LOGNORMAL, 100, 2000, 1000}, "p99 exceeds the cap"},
	        {{(enum latency_kind)4, 1, 1, 1}, LATENCY_KIND_FORMS},
	        {{(enum latency_kind) - 1, 1, 1, 1}, LATENCY_KIND_FORMS},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char err[128] = "";
		assert_int_equal(latency_validate(&bad[i].m, err, sizeof(err)), -EINVAL);
		if (!strstr(err, bad[i].reason))
			print_error("row %zu: '%s' lacks '%s'\n", i, err, bad[i].reason);
		assert_non_null(strstr(err, bad[i].reason));
		/* no error buffer is fine too */
		assert_int_equal(latency_validate(&bad[i].m, NULL, 0), -EINVAL);
	}
}

/* ---- kind names ------------------------------------------------------------------------ */

static void kind_names_parse_back(void **state)
{
	(void)state;
	const enum latency_kind kinds[] = {LATENCY_FIXED, LATENCY_UNIFORM, LATENCY_NORMAL,
	                                   LATENCY_LOGNORMAL};
	const char *names[] = {"fixed", "uniform", "normal", "lognormal"};
	for (size_t i = 0; i < 4; i++) {
		enum latency_kind k = (enum latency_kind)99;
		assert_string_equal(latency_kind_name(kinds[i]), names[i]);
		assert_int_equal(latency_kind_parse(names[i], &k), 0);
		assert_int_equal(k, kinds[i]);
		assert_non_null(strstr(LATENCY_KIND_FORMS, names[i]));
	}
	assert_string_equal(latency_kind_name((enum latency_kind)4), "?");
	assert_string_equal(latency_kind_name((enum latency_kind) - 1), "?");
}

static void kind_parse_rejects_unknown_names(void **state)
{
	(void)state;
	static const char *const bad[] = {"",       "Fixed", "FIXED",   "fixed ",
	                                  " fixed", "gauss", "log",     "lognormal2",
	                                  "norm",   "uni",   "fixed\n", "?"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum latency_kind k = (enum latency_kind)99;
		assert_int_equal(latency_kind_parse(bad[i], &k), -EINVAL);
		assert_int_equal(k, 99);
	}
	enum latency_kind k = (enum latency_kind)99;
	assert_int_equal(latency_kind_parse(NULL, &k), -EINVAL);
	assert_int_equal(k, 99);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(fixed_always_gives_its_delay),
	        cmocka_unit_test(lognormal_hits_configured_median_and_p99),
	        cmocka_unit_test(lognormal_with_p99_equal_to_median_is_constant),
	        cmocka_unit_test(uniform_stays_within_min_and_max_and_spreads_evenly),
	        cmocka_unit_test(uniform_with_equal_bounds_is_constant),
	        cmocka_unit_test(normal_hits_configured_mean_and_sd),
	        cmocka_unit_test(normal_clamps_negative_delays_to_zero),
	        cmocka_unit_test(lognormal_clamps_to_the_cap),
	        cmocka_unit_test(every_model_stays_within_zero_and_cap_at_extreme_uniforms),
	        cmocka_unit_test(large_delays_below_a_huge_cap_are_exact),
	        cmocka_unit_test(same_seed_stream_index_gives_same_delay),
	        cmocka_unit_test(delay_depends_on_seed_stream_and_index),
	        cmocka_unit_test(validate_accepts_sensible_models),
	        cmocka_unit_test(validate_rejects_bad_parameter_sets_with_a_reason),
	        cmocka_unit_test(kind_names_parse_back),
	        cmocka_unit_test(kind_parse_rejects_unknown_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
