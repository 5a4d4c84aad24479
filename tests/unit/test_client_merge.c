/* test_client_merge.c -- runs merged from their JSON equal one run over all their samples:
 * counts summed, every percentile, min, max and mean exact (histogram buckets); malformed
 * histograms are refused with a message naming the key. */
#include "testutil.h"

#include <jansson.h>

#include "../../client/merge.h"
#include "../../client/report.h"
#include "../../client/stats.h"
#include "histogram.h"

/* a record of latency lat_us (status 200, or 503 when err), due at 0, started at start */
static struct req_result rec(uint32_t i, uint64_t start, uint64_t lat_us, int err)
{
	struct req_result q;
	memset(&q, 0, sizeof(q));
	q.index = i;
	q.start_us = start;
	q.end_us = start + lat_us;
	q.status = err ? 503 : 200;
	q.err = err ? ERR_HTTP : ERR_NONE;
	q.delay_us = -1;
	q.ttfb_us = (uint32_t)(lat_us * 9 / 10);
	q.transfer_us = (uint32_t)(lat_us / 10);
	if (err)
		strcpy(q.errmsg, "HTTP 503");
	return q;
}

/* a run of n samples from a seeded generator (a long tail), into *json; the same samples
 * also go into whole (when not NULL) */
static json_t *sample_run(uint64_t seed, size_t n, struct stats *whole)
{
	struct run *r = run_new(MODE_ASYNC, 0);
	assert_non_null(r);
	r->stats = stats_new();
	assert_non_null(r->stats);
	r->n = n;
	r->nresults = 0;
	r->wall_us = 2000000 + seed;
	r->concurrency = 10;
	uint64_t x = seed * 2654435761u + 1;
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		uint64_t lat = 100 + (x >> 40) % 20000;
		if ((x >> 20) % 97 == 0)
			lat *= 300; /* the tail: up to 6 s */
		struct req_result q = rec((uint32_t)i, i * 10, lat, (x >> 30) % 50 == 0);
		stats_add(r->stats, &q);
		if (whole)
			stats_add(whole, &q);
	}
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	json_t *o = report_run_json(r, &s, NULL);
	assert_non_null(o);
	/* through text and back, as merge reads files */
	char *text = json_dumps(o, 0);
	json_decref(o);
	json_t *back = json_loads(text, 0, NULL);
	free(text);
	run_free(r);
	assert_non_null(back);
	return back;
}

static void merged_runs_equal_one_run_over_all_samples(void **state)
{
	(void)state;
	struct stats *whole = stats_new();
	assert_non_null(whole);
	json_t *a = sample_run(1, 5000, whole);
	json_t *b = sample_run(2, 7000, whole);
	struct run *m = run_new(MODE_ASYNC, 0);
	assert_non_null(m);
	m->stats = stats_new();
	m->nresults = 0;
	char err[300];
	assert_int_equal(merge_add_json(m, a, err, sizeof(err)), 0);
	assert_int_equal(merge_add_json(m, b, err, sizeof(err)), 0);
	assert_int_equal(m->n, 12000);
	assert_int_equal(m->stats->count, whole->count);
	assert_int_equal(m->stats->ok, whole->ok);
	assert_int_equal(m->stats->errors[ERR_HTTP], whole->errors[ERR_HTTP]);
	assert_int_equal(m->concurrency, 20);
	assert_int_equal(m->wall_us, 2000002);
	const struct hist *hm = m->stats->lat, *hw = whole->lat;
	assert_int_equal(hist_count(hm), hist_count(hw));
	assert_int_equal(hist_min(hm), hist_min(hw));
	assert_int_equal(hist_max(hm), hist_max(hw));
	assert_true(hist_mean(hm) == hist_mean(hw));
	static const double pcts[] = {0, 1, 10, 50, 75, 90, 99, 99.9, 99.99, 100};
	for (size_t k = 0; k < sizeof(pcts) / sizeof(pcts[0]); k++) {
		assert_int_equal(hist_percentile(hm, pcts[k]), hist_percentile(hw, pcts[k]));
		assert_int_equal(hist_percentile(m->stats->phase[PHASE_TTFB], pcts[k]),
		                 hist_percentile(whole->phase[PHASE_TTFB], pcts[k]));
	}
	json_decref(a);
	json_decref(b);
	run_free(m);
	stats_free(whole);
}

static void merge_refuses_a_histogram_that_does_not_add_up(void **state)
{
	(void)state;
	static const char *const bad[][2] = {
	        {"{\"count\": 5}", "histograms.latency"},
	        {"{\"unit\": \"us\", \"count\": 1, \"clamped\": 0, \"min\": 5, \"max\": 5, "
	         "\"sum\": 5, \"buckets\": [[3001, 1]]}",
	         "bucket 0"},
	        {"{\"unit\": \"us\", \"count\": 2, \"clamped\": 0, \"min\": 5, \"max\": 5, "
	         "\"sum\": 10, \"buckets\": [[5, 1]]}",
	         "do not match"},
	        {"{\"unit\": \"us\", \"count\": 1, \"clamped\": 0, \"min\": 5, \"max\": 5, "
	         "\"sum\": 99, \"buckets\": [[5, 1]]}",
	         "do not match"},
	        {"{\"unit\": \"ms\", \"count\": 0, \"clamped\": 0, \"min\": 0, \"max\": 0, "
	         "\"sum\": 0, \"buckets\": []}",
	         "unit"},
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		json_t *o = sample_run(3, 10, NULL);
		json_t *h = json_loads(bad[k][0], 0, NULL);
		assert_non_null(h);
		json_object_set_new(json_object_get(o, "histograms"), "latency", h);
		struct run *m = run_new(MODE_ASYNC, 0);
		m->stats = stats_new();
		char err[300] = "";
		assert_int_not_equal(merge_add_json(m, o, err, sizeof(err)), 0);
		if (!strstr(err, bad[k][1]))
			fail_msg("row %zu: message '%s' does not mention '%s'", k, err, bad[k][1]);
		run_free(m);
		json_decref(o);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(merged_runs_equal_one_run_over_all_samples),
	        cmocka_unit_test(merge_refuses_a_histogram_that_does_not_add_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
