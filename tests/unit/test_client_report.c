/* test_client_report.c -- a finished run's meaning: counts by error class, latency over the
 * requests that got a response, ideal time and efficiency (or unknown), JSON keys and CSV. */
#include "testutil.h"

#include <jansson.h>

#include "../../client/report.h"

static const char *const urls[] = {"http://127.0.0.1:1/naver", "http://127.0.0.1:1/a,\"b\""};

/* 4 requests on 2 workers: ok 100ms, ok 100ms, HTTP 503 after 50ms, refused at once */
static struct run *sample_run(void)
{
	struct run *r = run_new(MODE_THREADS, 4);
	assert_non_null(r);
	r->concurrency = 2;
	r->wall_us = 200000;
	for (size_t i = 0; i < 4; i++) {
		struct req_result *q = &r->results[i];
		q->url_index = (uint32_t)(i % 2);
		q->pid = 10;
		q->tid = (pid_t)(11 + i % 2);
		q->start_us = i < 2 ? 0 : 100000;
		q->end_us = q->start_us + (i < 2 ? 100000 : i == 2 ? 50000 : 10);
		q->status = i < 2 ? 200 : i == 2 ? 503 : 0;
		q->bytes = i < 3 ? 512 : 0;
		q->delay_us = i < 3 ? (i < 2 ? 100000 : 50000) : -1;
	}
	r->results[2].err = ERR_HTTP;
	strcpy(r->results[2].errmsg, "HTTP 503");
	r->results[3].err = ERR_CONNECT;
	strcpy(r->results[3].errmsg, "Failed to connect, refused");
	return r;
}

static void summary_counts_errors_by_class(void **state)
{
	(void)state;
	struct run *r = sample_run();
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.ok, 2);
	assert_int_equal(s.failed, 2);
	assert_int_equal(s.errors[ERR_HTTP], 1);
	assert_int_equal(s.errors[ERR_CONNECT], 1);
	assert_int_equal(s.errors[ERR_TIMEOUT], 0);
	assert_int_equal(s.first_error, 2);
	/* req/s counts responses received: 3 of the 4 requests got one (a 503 is a response) */
	assert_true(s.rps > 14.99 && s.rps < 15.01);
	assert_int_equal(s.rps_known, 1);
	run_free(r);
}

static void a_run_without_responses_has_no_rate_and_no_speedup(void **state)
{
	(void)state;
	struct run *r = sample_run();
	for (size_t i = 0; i < r->n; i++) {
		r->results[i].status = 0;
		r->results[i].err = ERR_CONNECT;
	}
	struct summary s, base;
	assert_int_equal(report_summarize(r, &s), 0);
	assert_int_equal(report_summarize(r, &base), 0);
	assert_int_equal(s.rps_known, 0);
	json_t *o = report_run_json(r, &s, &base);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "rps")));
	assert_true(json_is_null(json_object_get(o, "speedup")));
	json_decref(o);
	run_free(r);
}

static void latency_counts_only_requests_that_got_a_response(void **state)
{
	(void)state;
	struct run *r = sample_run();
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	assert_int_equal(s.lat_count, 3);
	assert_int_equal(s.lat_min_us, 50000);
	assert_int_equal(s.lat_max_us, 100000);
	run_free(r);
}

static void ideal_is_unknown_when_a_delay_is_missing(void **state)
{
	(void)state;
	struct run *r = sample_run();
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	assert_false(s.ideal_known);
	r->results[3].delay_us = 50000; /* now every delay is known: makespan on 2 workers */
	assert_int_equal(report_summarize(r, &s), 0);
	assert_true(s.ideal_known);
	assert_int_equal(s.ideal_us, 150000);
	assert_true(s.efficiency > 0.749 && s.efficiency < 0.751);
	run_free(r);
}

static void json_has_the_stable_keys(void **state)
{
	(void)state;
	struct run *r = sample_run();
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	json_t *o = report_run_json(r, &s, NULL);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "mode")), "threads");
	assert_int_equal(json_integer_value(json_object_get(o, "requests")), 4);
	assert_int_equal(json_integer_value(json_object_get(o, "concurrency")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "ok")), 2);
	json_t *e = json_object_get(o, "errors");
	assert_int_equal(json_integer_value(json_object_get(e, "connect")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "timeout")), 0);
	assert_int_equal(json_integer_value(json_object_get(e, "http")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "other")), 0);
	assert_true(json_real_value(json_object_get(o, "wall_s")) == 0.2);
	assert_true(json_is_real(json_object_get(o, "rps")));
	json_t *lat = json_object_get(o, "latency_ms");
	const char *keys[] = {"min", "mean", "p50", "p90", "p99", "max"};
	for (size_t k = 0; k < 6; k++)
		assert_true(json_is_real(json_object_get(lat, keys[k])));
	assert_true(json_is_null(json_object_get(o, "ideal_s")));
	assert_true(json_is_null(json_object_get(o, "efficiency")));
	json_decref(o);
	run_free(r);
}

static void compare_json_holds_runs_in_order_with_speedup(void **state)
{
	(void)state;
	struct run *a = sample_run(), *b = sample_run();
	a->mode = MODE_SEQUENTIAL;
	a->wall_us = 400000;
	b->mode = MODE_ASYNC;
	const struct run *runs[] = {a, b};
	struct summary sums[2];
	assert_int_equal(report_summarize(a, &sums[0]), 0);
	assert_int_equal(report_summarize(b, &sums[1]), 0);
	char path[64];
	tu_temp_file(path, sizeof(path), "");
	char err[256];
	assert_int_equal(report_write_json(path, runs, sums, 2, 1, NULL, err, sizeof(err)), 0);
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	unlink(path);
	assert_non_null(root);
	json_t *arr = json_object_get(root, "runs");
	assert_int_equal(json_array_size(arr), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "mode")),
	                    "sequential");
	assert_true(json_real_value(json_object_get(json_array_get(arr, 1), "speedup")) == 2.0);
	json_decref(root);
	run_free(a);
	run_free(b);
}

static void csv_has_the_header_and_quotes_fields(void **state)
{
	(void)state;
	struct run *r = sample_run();
	const struct run *runs[] = {r};
	char path[64];
	tu_temp_file(path, sizeof(path), "");
	char err[256];
	assert_int_equal(report_write_csv(path, runs, 1, urls, 2, 0, err, sizeof(err)), 0);
	char *text = tu_slurp_path(path);
	unlink(path);
	assert_true(
	        strncmp(text,
	                "index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error\n"
	                "0,http://127.0.0.1:1/naver,10,11,0,100000,200,512,100000,\n",
	                strlen("index,url,pid,tid,start_us,end_us,status,bytes,delay_us,error\n"
	                       "0,http://127.0.0.1:1/naver,10,11,0,100000,200,512,100000,\n")) ==
	        0);
	assert_non_null(strstr(text, "1,\"http://127.0.0.1:1/a,\"\"b\"\"\",10,12,"));
	assert_non_null(strstr(text, ",503,512,50000,http: HTTP 503\n"));
	assert_non_null(strstr(text, ",0,0,,\"connect: Failed to connect, refused\"\n"));
	free(text);
	run_free(r);
}

static void unwritable_output_is_an_error_with_a_message(void **state)
{
	(void)state;
	struct run *r = sample_run();
	const struct run *runs[] = {r};
	struct summary s;
	assert_int_equal(report_summarize(r, &s), 0);
	char err[256] = "";
	assert_true(report_write_csv("/nonexistent-dir/x.csv", runs, 1, urls, 2, 0, err,
	                             sizeof(err)) < 0);
	assert_non_null(strstr(err, "--csv"));
	assert_true(report_write_json("/nonexistent-dir/x.json", runs, &s, 1, 0, NULL, err,
	                              sizeof(err)) < 0);
	assert_non_null(strstr(err, "--json"));
	run_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(summary_counts_errors_by_class),
	        cmocka_unit_test(a_run_without_responses_has_no_rate_and_no_speedup),
	        cmocka_unit_test(latency_counts_only_requests_that_got_a_response),
	        cmocka_unit_test(ideal_is_unknown_when_a_delay_is_missing),
	        cmocka_unit_test(json_has_the_stable_keys),
	        cmocka_unit_test(compare_json_holds_runs_in_order_with_speedup),
	        cmocka_unit_test(csv_has_the_header_and_quotes_fields),
	        cmocka_unit_test(unwritable_output_is_an_error_with_a_message),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
