/* test_server_stats.c -- the server's counters: in-flight high-water mark, status classes,
 * per-site seq and answer counters, lateness percentiles, and their JSON and Prometheus renderings.
 */
#include "testutil.h"

#include <jansson.h>

#include "../../server/sites.h"
#include "../../server/stats.h"

static void counters_track_in_flight_and_its_high_water_mark(void **state)
{
	struct srv_stats st;
	(void)state;
	assert_int_equal(srv_stats_init(&st), 0);
	for (int i = 0; i < 5; i++)
		srv_stats_begin(&st);
	for (int i = 0; i < 3; i++)
		srv_stats_end(&st);
	srv_stats_begin(&st);
	assert_int_equal(atomic_load(&st.in_flight), 3);
	assert_int_equal(atomic_load(&st.max_in_flight), 5);
	assert_int_equal(atomic_load(&st.requests), 6);
	srv_stats_destroy(&st);
}

static void seq_counters_are_per_site_from_zero(void **state)
{
	struct srv_stats st;
	(void)state;
	assert_int_equal(srv_stats_init(&st), 0);
	assert_int_equal(srv_stats_next_seq(&st, 0), 0);
	assert_int_equal(srv_stats_next_seq(&st, 0), 1);
	assert_int_equal(srv_stats_next_seq(&st, 2), 0);
	assert_int_equal(srv_stats_next_seq(&st, 0), 2);
	assert_int_equal(srv_stats_next_seq(&st, SRV_SITES_MAX - 1), 0);
	srv_stats_destroy(&st);
}

static void json_view_has_the_contract_keys(void **state)
{
	struct srv_stats st;
	struct srv_sites sites;
	char err[160];
	json_error_t jerr;
	(void)state;
	srv_sites_builtin(&sites);
	assert_int_equal(srv_sites_finish(&sites, err, sizeof(err)), 0);
	assert_int_equal(srv_stats_init(&st), 0);
	srv_stats_begin(&st);
	srv_stats_status(&st, 200);
	srv_stats_status(&st, 503);
	srv_stats_status(&st, 404);
	for (int i = 0; i < 7; i++)
		srv_stats_answered(&st, 1);
	for (uint64_t us = 1; us <= 100; us++)
		srv_stats_late(&st, us * 100);

	char *text = srv_stats_json(&st, &sites);
	assert_non_null(text);
	json_t *doc = json_loads(text, 0, &jerr);
	assert_non_null(doc);
	assert_int_equal(json_integer_value(json_object_get(doc, "requests")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "in_flight")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "max_in_flight")), 1);
	assert_int_equal(json_integer_value(json_object_get(doc, "suspended")), 0);
	json_t *per_site = json_object_get(doc, "sites");
	assert_int_equal(json_integer_value(json_object_get(per_site, "google")), 7);
	assert_int_equal(json_integer_value(json_object_get(per_site, "naver")), 0);
	json_t *classes = json_object_get(doc, "responses");
	assert_int_equal(json_integer_value(json_object_get(classes, "2xx")), 1);
	assert_int_equal(json_integer_value(json_object_get(classes, "4xx")), 1);
	assert_int_equal(json_integer_value(json_object_get(classes, "5xx")), 1);
	json_t *late = json_object_get(doc, "late_us");
	assert_int_equal(json_integer_value(json_object_get(late, "count")), 100);
	/* percentiles are reported to within 0.1% (histogram.h) */
	assert_in_range(json_integer_value(json_object_get(late, "p50")), 4995, 5005);
	assert_in_range(json_integer_value(json_object_get(late, "p99")), 9890, 9910);
	assert_int_equal(json_integer_value(json_object_get(late, "max")), 10000);
	json_decref(doc);
	free(text);

	text = srv_stats_metrics(&st, &sites);
	assert_non_null(text);
	assert_non_null(strstr(text, "latlab_requests_total{site=\"google\"} 7\n"));
	assert_non_null(strstr(text, "latlab_responses_total{class=\"5xx\"} 1\n"));
	assert_non_null(strstr(text, "latlab_in_flight 1\n"));
	assert_non_null(strstr(text, "latlab_late_seconds{quantile=\"0.99\"} 0.009"));
	assert_non_null(strstr(text, "# TYPE latlab_max_in_flight gauge\n"));
	free(text);
	srv_stats_destroy(&st);
	srv_sites_free(&sites);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(counters_track_in_flight_and_its_high_water_mark),
	        cmocka_unit_test(seq_counters_are_per_site_from_zero),
	        cmocka_unit_test(json_view_has_the_contract_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
