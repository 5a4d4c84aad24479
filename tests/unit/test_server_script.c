/* test_server_script.c -- scripted failures: weighted choices are pure functions of (seed,
 * site, k) with the configured proportions; fail_first and sequence count k; a request's
 * fields replace its site's; scenario names and the table's bounds. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

#include "../../server/scenario.h"
#include "../../server/script.h"

static struct srv_script parse(const char *key, const char *value)
{
	struct srv_script s;
	const char *acc;
	char why[160];

	memset(&s, 0, sizeof(s));
	assert_int_equal(srv_script_set(&s, key, value, 60000000, why, sizeof(why), &acc), 1);
	return s;
}

static void weighted_choices_are_seeded_and_proportional(void **state)
{
	struct srv_script st = parse("status", "200:0.9,503:0.1"), none = {0};
	unsigned n503 = 0;
	(void)state;
	for (uint64_t k = 0; k < 10000; k++) {
		struct srv_verdict a = srv_script_decide(&st, &none, 200, 7, 42, k);
		struct srv_verdict b = srv_script_decide(&none, &st, 200, 7, 42, k);
		assert_int_equal(a.status, b.status); /* site or request: the same draw */
		assert_true(a.status == 200 || a.status == 503);
		n503 += a.status == 503;
	}
	assert_in_range(n503, 850, 1150); /* 10% of 10000, within ~5 sigma */
	unsigned differ = 0;
	for (uint64_t k = 0; k < 200; k++)
		differ += srv_script_decide(&st, &none, 200, 7, 42, k).status !=
		          srv_script_decide(&st, &none, 200, 8, 42, k).status;
	assert_true(differ > 0); /* another seed, other failures */
}

static void fault_weights_leave_the_rest_unfaulted(void **state)
{
	struct srv_script f = parse("fault", "reset:0.05,truncate:0.05"), none = {0};
	unsigned faults = 0;
	(void)state;
	for (uint64_t k = 0; k < 10000; k++) {
		struct srv_verdict v = srv_script_decide(&f, &none, 204, 1, 3, k);
		assert_int_equal(v.status, 204);
		assert_true(v.fault == SRV_FAULT_NONE || v.fault == SRV_FAULT_RESET ||
		            v.fault == SRV_FAULT_TRUNCATE);
		faults += v.fault != SRV_FAULT_NONE;
	}
	assert_in_range(faults, 850, 1150);
}

static void fail_first_and_sequence_count_k(void **state)
{
	struct srv_script ff = parse("fail_first", "2"), none = {0};
	struct srv_script seq = parse("sequence", "503,reset,200");
	const char *acc;
	char why[160];
	(void)state;
	for (uint64_t k = 0; k < 5; k++)
		assert_int_equal(srv_script_decide(&ff, &none, 200, 1, 1, k).status,
		                 k < 2 ? 503 : 200);
	assert_int_equal(srv_script_set(&ff, "fail_status", "429", 0, why, sizeof(why), &acc), 1);
	assert_int_equal(srv_script_decide(&ff, &none, 200, 1, 1, 1).status, 429);
	assert_int_equal(srv_script_set(&ff, "fault", "close", 0, why, sizeof(why), &acc), 1);
	assert_int_equal(srv_script_decide(&ff, &none, 200, 1, 1, 0).fault, SRV_FAULT_CLOSE);
	assert_int_equal(srv_script_decide(&ff, &none, 200, 1, 1, 2).fault, SRV_FAULT_NONE);
	assert_int_equal(srv_script_decide(&none, &seq, 200, 1, 1, 0).status, 503);
	assert_int_equal(srv_script_decide(&none, &seq, 200, 1, 1, 1).fault, SRV_FAULT_RESET);
	assert_int_equal(srv_script_decide(&none, &seq, 200, 1, 1, 9).status,
	                 200); /* last repeats */
	/* the request's sequence replaces the site's fail_first */
	assert_int_equal(srv_script_decide(&ff, &seq, 200, 1, 1, 0).status, 503);
	assert_int_equal(srv_script_decide(&ff, &seq, 200, 1, 1, 0).fault, SRV_FAULT_NONE);
}

static void scenarios_number_their_own_requests(void **state)
{
	struct srv_scenarios *t = srv_scenarios_new();
	uint64_t k;
	(void)state;
	assert_non_null(t);
	for (uint64_t want = 0; want < 3; want++) {
		assert_int_equal(srv_scenarios_next(t, "a", &k), 0);
		assert_int_equal(k, want);
	}
	assert_int_equal(srv_scenarios_next(t, "b/worker-1:x", &k), 0);
	assert_int_equal(k, 0);
	assert_int_equal(srv_scenarios_next(t, "bad name", &k), -EINVAL);
	assert_int_equal(srv_scenarios_next(t, "", &k), -EINVAL);
	char name[32];
	for (int i = 0; i < SRV_SCENARIOS_MAX; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		if (srv_scenarios_next(t, name, &k) != 0) {
			assert_int_equal(i, SRV_SCENARIOS_MAX - 2); /* a and b/... took two */
			assert_int_equal(srv_scenarios_next(t, name, &k), -ENOSPC);
			break;
		}
	}
	srv_scenarios_reset(t);
	assert_int_equal(srv_scenarios_next(t, "a", &k), 0);
	assert_int_equal(k, 0);
	srv_scenarios_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(weighted_choices_are_seeded_and_proportional),
	        cmocka_unit_test(fault_weights_leave_the_rest_unfaulted),
	        cmocka_unit_test(fail_first_and_sequence_count_k),
	        cmocka_unit_test(scenarios_number_their_own_requests),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
