/* test_client_http.c -- what the client reads from a transfer: the X-Latlab-Delay-Us header
 * (table with hostile rows), the error class of every outcome, and the CPU work knobs. */
#include "testutil.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "../../client/http.h"
#include "../../client/work.h"

static void delay_header_is_parsed_and_validated(void **state)
{
	(void)state;
	static const struct {
		const char *line;
		int rc;
		int64_t want;
	} rows[] = {
	        {"X-Latlab-Delay-Us: 100000\r\n", 1, 100000},
	        {"x-latlab-delay-us:0\r\n", 1, 0},
	        {"X-LATLAB-DELAY-US: \t 42 \r\n", 1, 42},
	        {"X-Latlab-Delay-Us: 86400000000\r\n", 1, 86400000000LL},
	        {"X-Latlab-Delay-Us: 86400000001\r\n", -EINVAL, 0}, /* above the cap */
	        {"X-Latlab-Delay-Us: 1e99\r\n", -EINVAL, 0},        /* not decimal digits */
	        {"X-Latlab-Delay-Us: -5\r\n", -EINVAL, 0},          /* negative */
	        {"X-Latlab-Delay-Us: \r\n", -EINVAL, 0},            /* empty */
	        {"X-Latlab-Delay-Us: 99999999999999999999999\r\n", -EINVAL, 0}, /* overflow */
	        {"X-Latlab-Delay-Us: 12abc\r\n", -EINVAL, 0},
	        {"X-Latlab-Delay-Usx: 5\r\n", 0, 0}, /* another header */
	        {"X-Latlab-Seq: 5\r\n", 0, 0},
	        {"Content-Length: 5\r\n", 0, 0},
	        {"HTTP/1.1 200 OK\r\n", 0, 0},
	        {"\r\n", 0, 0},
	        {"", 0, 0},
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		int64_t got = -7;
		int rc = http_parse_delay_header(rows[r].line, strlen(rows[r].line), &got);
		if (rc != rows[r].rc || (rc == 1 && got != rows[r].want))
			fail_msg("row %zu '%s': rc %d value %lld, want rc %d value %lld", r,
			         rows[r].line, rc, (long long)got, rows[r].rc,
			         (long long)rows[r].want);
		if (rc != 1 && got != -7)
			fail_msg("row %zu: value written on rc %d", r, rc);
	}
}

static void queue_header_is_parsed_by_name(void **state)
{
	(void)state;
	const char line[] = "x-latlab-QUEUE-us: 250000\r\n";
	int64_t got = -7;
	assert_int_equal(http_parse_us_header("x-latlab-queue-us", line, sizeof(line) - 1, &got),
	                 1);
	assert_int_equal(got, 250000);
	/* the delay parser leaves the queue header alone, and the other way round */
	assert_int_equal(http_parse_delay_header(line, sizeof(line) - 1, &got), 0);
	const char delay[] = "X-Latlab-Delay-Us: 5\r\n";
	assert_int_equal(http_parse_us_header("x-latlab-queue-us", delay, sizeof(delay) - 1, &got),
	                 0);
}

static void delay_header_with_nul_is_rejected(void **state)
{
	(void)state;
	const char line[] = "X-Latlab-Delay-Us: 12\0"
	                    "34\r\n";
	int64_t got = -7;
	assert_int_equal(http_parse_delay_header(line, sizeof(line) - 1, &got), -EINVAL);
	assert_int_equal(got, -7);
}

static void outcomes_are_classified(void **state)
{
	(void)state;
	static const struct {
		CURLcode rc;
		long status;
		enum err_class want;
	} rows[] = {
	        {CURLE_OK, 200, ERR_NONE},
	        {CURLE_OK, 204, ERR_NONE},
	        {CURLE_OK, 304, ERR_NONE},
	        {CURLE_OK, 404, ERR_HTTP},
	        {CURLE_OK, 503, ERR_HTTP},
	        {CURLE_OK, 0, ERR_OTHER},
	        {CURLE_COULDNT_CONNECT, 0, ERR_CONNECT},
	        {CURLE_COULDNT_RESOLVE_HOST, 0, ERR_CONNECT},
	        {CURLE_OPERATION_TIMEDOUT, 0, ERR_TIMEOUT},
	        {CURLE_GOT_NOTHING, 0, ERR_OTHER},        /* empty reply */
	        {CURLE_RECV_ERROR, 0, ERR_OTHER},         /* reset */
	        {CURLE_WEIRD_SERVER_REPLY, 0, ERR_OTHER}, /* garbage */
	        {CURLE_PARTIAL_FILE, 200, ERR_OTHER},
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++)
		if (http_classify(rows[r].rc, rows[r].status) != rows[r].want)
			fail_msg("row %zu: curl %d status %ld -> %d, want %d", r, rows[r].rc,
			         rows[r].status, http_classify(rows[r].rc, rows[r].status),
			         rows[r].want);
}

static void work_flag_accepts_cpu_durations_only(void **state)
{
	(void)state;
	uint64_t us = 99;
	char err[200];
	assert_int_equal(work_parse("cpu:5ms", &us, err, sizeof(err)), 0);
	assert_int_equal(us, 5000);
	assert_int_equal(work_parse("none", &us, err, sizeof(err)), 0);
	assert_int_equal(us, 0);
	us = 99;
	assert_true(work_parse("cpu:", &us, err, sizeof(err)) < 0);
	assert_true(work_parse("cpu:5", &us, err, sizeof(err)) < 0);
	assert_true(work_parse("io:5ms", &us, err, sizeof(err)) < 0);
	assert_true(work_parse("cpu:1h", &us, err, sizeof(err)) < 0);
	assert_true(work_parse("cpu:11s", &us, err, sizeof(err)) < 0);
	assert_int_equal(us, 99);
	assert_non_null(strstr(err, "cpu:"));
}

static uint64_t thread_cpu_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* calibrated iterations take about the asked CPU time: within a generous factor */
static void work_calibration_matches_cpu_time(void **state)
{
	(void)state;
	assert_int_equal(work_calibrate(0), 0);
	uint64_t iters = work_calibrate(20000);
	assert_true(iters > 0);
	unsigned char body[100];
	memset(body, 'x', sizeof(body));
	uint64_t best = UINT64_MAX;
	for (int r = 0; r < 3; r++) {
		uint64_t t0 = thread_cpu_us();
		volatile uint64_t h = work_burn(iters, body, sizeof(body));
		(void)h;
		uint64_t dt = thread_cpu_us() - t0;
		if (dt < best)
			best = dt;
	}
	assert_in_range(best, 20000 / 3, 20000 * 3);
}

static void work_burn_uses_the_body_or_a_fixed_pattern(void **state)
{
	(void)state;
	const unsigned char a[] = "naver", b[] = "apple", pattern[] = "latlab!\n";
	assert_int_not_equal(work_burn(1000, a, 5), work_burn(1000, b, 5));
	assert_int_not_equal(work_burn(1000, a, 5), work_burn(1001, a, 5));
	/* an empty body hashes the documented fixed pattern */
	assert_int_equal(work_burn(1000, NULL, 0), work_burn(1000, pattern, 8));
	assert_int_not_equal(work_burn(1000, NULL, 0), work_burn(1000, a, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(delay_header_is_parsed_and_validated),
	        cmocka_unit_test(delay_header_with_nul_is_rejected),
	        cmocka_unit_test(queue_header_is_parsed_by_name),
	        cmocka_unit_test(outcomes_are_classified),
	        cmocka_unit_test(work_flag_accepts_cpu_durations_only),
	        cmocka_unit_test(work_calibration_matches_cpu_time),
	        cmocka_unit_test(work_burn_uses_the_body_or_a_fixed_pattern),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
