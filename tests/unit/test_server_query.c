/* test_server_query.c -- query overrides are validated with caps and precise errors, and a
 * request's delay is a pure function of (seed, site, seq), scaled and clamped. */
#include "testutil.h"

#include <errno.h>

#include "../../server/query.h"
#include "rng.h"
#include "../../server/sites.h"

#define MAX_DELAY (60ULL * 1000 * 1000)

struct ok_row {
	const char *key, *value;
	unsigned has;
	uint64_t want; /* the parsed field, whichever the key sets */
};

static uint64_t field_of(const struct srv_overrides *o, const char *key)
{
	if (!strcmp(key, "latency"))
		return o->latency_us;
	if (!strcmp(key, "jitter"))
		return o->jitter_us;
	if (!strcmp(key, "size"))
		return o->size;
	if (!strcmp(key, "status"))
		return o->script.status.what[0];
	if (!strcmp(key, "seq"))
		return o->seq;
	if (!strcmp(key, "bandwidth"))
		return o->bandwidth;
	return (uint64_t)o->script.fault.what[0];
}

/* the script's bits above the overrides' own */
#define SRV_HAS_STATUS (SRV_SCRIPT_STATUS << 16)
#define SRV_HAS_FAULT  (SRV_SCRIPT_FAULT << 16)

static void query_accepts_valid_overrides(void **state)
{
	static const struct ok_row rows[] = {
	        {"latency", "250ms", SRV_HAS_LATENCY, 250000},
	        {"latency", "0", SRV_HAS_LATENCY, 0},
	        {"latency", "1.5s", SRV_HAS_LATENCY, 1500000},
	        {"latency", "60s", SRV_HAS_LATENCY, 60000000},
	        {"jitter", "20ms", SRV_HAS_JITTER, 20000},
	        {"size", "28KiB", SRV_HAS_SIZE, 28672},
	        {"size", "64MiB", SRV_HAS_SIZE, 64ULL << 20},
	        {"size", "0", SRV_HAS_SIZE, 0},
	        {"status", "200", SRV_HAS_STATUS, 200},
	        {"status", "599", SRV_HAS_STATUS, 599},
	        {"seq", "18446744073709551615", SRV_HAS_SEQ, UINT64_MAX},
	        {"bandwidth", "10KiB", SRV_HAS_BANDWIDTH, 10240},
	        {"bandwidth", "1", SRV_HAS_BANDWIDTH, 1},
	        {"fault", "reset", SRV_HAS_FAULT, SRV_FAULT_RESET},
	        {"fault", "empty", SRV_HAS_FAULT, SRV_FAULT_EMPTY},
	        {"fault", "timeout", SRV_HAS_FAULT, SRV_FAULT_TIMEOUT},
	        {"fault", "garbage", SRV_HAS_FAULT, SRV_FAULT_GARBAGE},
	        {"fault", "truncate", SRV_HAS_FAULT, SRV_FAULT_TRUNCATE},
	        {"fault", "reset_body", SRV_HAS_FAULT, SRV_FAULT_RESET_BODY},
	        {"fault", "close", SRV_HAS_FAULT, SRV_FAULT_CLOSE},
	        {"fault", "reset:0.05,truncate:0.05", SRV_HAS_FAULT, SRV_FAULT_RESET},
	        {"status", "200:0.9,503:0.1", SRV_HAS_STATUS, 200},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv_overrides o = {0};
		struct srv_param_error e;
		int rc = srv_query_apply(&o, rows[i].key, rows[i].value, MAX_DELAY, &e);
		if (rc != 0)
			fail_msg("%s=%s rejected: %s", rows[i].key, rows[i].value, e.error);
		assert_int_equal(o.has | o.script.has << 16, rows[i].has);
		assert_int_equal(field_of(&o, rows[i].key), rows[i].want);
	}
}

struct bad_row {
	const char *key, *value;
	const char *param; /* what the error names */
	const char *in_accepted;
};

static void query_rejects_hostile_rows_naming_the_parameter(void **state)
{
	static const struct bad_row rows[] = {
	        {"latency", "abc", "latency", "duration"},
	        {"latency", "-1s", "latency", "duration"},
	        {"latency", "5", "latency", "duration"},    /* no unit */
	        {"latency", "1e99", "latency", "duration"}, /* exponent */
	        {"latency", "99999999999999999999s", "latency", "duration"},
	        {"latency", "61s", "latency", "1m00s"}, /* above --max-delay */
	        {"latency", "", "latency", "value"},
	        {"latency", NULL, "latency", "value"},
	        {"latency", "1s ", "latency", "duration"}, /* trailing space */
	        {"jitter", "2h", "jitter", "duration"},
	        {"size", "64.1MiB", "size", "64MiB"},
	        {"size", "nan", "size", "size"},
	        {"size", "-1", "size", "size"},
	        {"status", "99", "status", "200 to 599"},
	        {"status", "600", "status", "200 to 599"},
	        {"status", "2e2", "status", "200 to 599"},
	        {"status", "100", "status", "200 to 599"}, /* interim, never final */
	        {"seq", "18446744073709551616", "seq", "integer"},
	        {"seq", "+1", "seq", "integer"},
	        {"bandwidth", "0", "bandwidth", "bytes per second"},
	        {"bandwidth", "2GiB", "bandwidth", "bytes per second"},
	        {"fault", "RESET", "fault", "reset, reset_body"},
	        {"fault", "reset\n", "fault", "reset, reset_body"},
	        {"fault", "reset:1.5", "fault", "weighted"},
	        {"fault", "reset:0.6,close:0.6", "fault", "weighted"},
	        {"fault", "reset:x", "fault", "weighted"},
	        {"fault", "a,b,c,d,e,f,g,h,i", "fault", "weighted"},
	        {"status", "200:0.9,503:0.2", "status", "weighted"},
	        {"status", "200:0.9,101:0.1", "status", "200 to 599"},
	        {"sequence", "503,nope", "sequence", "statuses"},
	        {"sequence", "503,,200", "sequence", "statuses"},
	        {"fail_first", "-1", "fail_first", "count"},
	        {"fail_status", "99", "fail_status", "200 to 599"},
	        {"stall_after", "65MiB", "stall_after", "size"},
	        {"ttfb", "2h", "ttfb", "duration"},
	        {"latncy", "1s", "latncy", "latency, jitter"},
	        {"", "1", "", "latency, jitter"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv_overrides o = {0};
		struct srv_param_error e;
		memset(&e, 0, sizeof(e));
		int rc = srv_query_apply(&o, rows[i].key, rows[i].value, MAX_DELAY, &e);
		if (rc != -EINVAL)
			fail_msg("row %zu %s=%s: rc %d, want -EINVAL", i, rows[i].key,
			         rows[i].value ? rows[i].value : "(null)", rc);
		assert_int_equal(o.has, 0);
		assert_string_equal(e.param, rows[i].param);
		assert_true(e.error[0] != '\0');
		if (!strstr(e.accepted, rows[i].in_accepted))
			fail_msg("row %zu: accepted '%s' lacks '%s'", i, e.accepted,
			         rows[i].in_accepted);
	}
}

static void seq_header_parses_or_names_the_header(void **state)
{
	struct srv_overrides o = {0};
	struct srv_param_error e;
	(void)state;
	assert_int_equal(srv_query_seq_header(&o, "42", &e), 0);
	assert_int_equal(o.seq, 42);
	assert_true(o.has & SRV_HAS_SEQ);
	o = (struct srv_overrides){0};
	assert_int_equal(srv_query_seq_header(&o, "4 2", &e), -EINVAL);
	assert_string_equal(e.param, "X-Latlab-Seq");
	assert_int_equal(o.has, 0);
}

static struct srv_site lognormal_site(void)
{
	struct srv_site s;
	memset(&s, 0, sizeof(s));
	strcpy(s.name, "naver");
	s.model = (struct latency_model){LATENCY_LOGNORMAL, 190000, 400000, SRV_MODEL_CAP_US};
	s.stream = rng_stream_of("naver");
	return s;
}

static void delay_is_a_pure_function_of_seed_site_and_seq(void **state)
{
	struct srv_site s = lognormal_site();
	struct srv_overrides o = {0};
	uint64_t a[64];
	int differ = 0;
	(void)state;
	for (uint64_t k = 0; k < 64; k++)
		a[k] = srv_delay_of(&s, &o, 7, k, 1.0, MAX_DELAY);
	for (uint64_t k = 64; k-- > 0;) { /* the other order: same answers */
		assert_int_equal(srv_delay_of(&s, &o, 7, k, 1.0, MAX_DELAY), a[k]);
		differ += srv_delay_of(&s, &o, 8, k, 1.0, MAX_DELAY) != a[k];
	}
	assert_true(differ > 60); /* another seed, other delays */
}

static void delay_is_scaled_then_clamped(void **state)
{
	struct srv_site s = lognormal_site();
	struct srv_overrides o = {.has = SRV_HAS_LATENCY, .latency_us = 300000};
	(void)state;
	assert_int_equal(srv_delay_of(&s, &o, 1, 0, 1.0, MAX_DELAY), 300000);
	assert_int_equal(srv_delay_of(&s, &o, 1, 0, 0.01, MAX_DELAY), 3000);
	assert_int_equal(srv_delay_of(&s, &o, 1, 0, 0.0, MAX_DELAY), 0);
	assert_int_equal(srv_delay_of(&s, &o, 1, 0, 1000.0, MAX_DELAY), MAX_DELAY);
	assert_int_equal(srv_delay_of(&s, &o, 1, 0, 1.0, 100000), 100000);
	o.has = 0; /* the model, capped the same way */
	for (uint64_t k = 0; k < 200; k++)
		assert_true(srv_delay_of(&s, &o, 1, k, 1.0, 250000) <= 250000);
}

static void jitter_stays_within_its_bounds_and_spreads(void **state)
{
	struct srv_site s = lognormal_site();
	struct srv_overrides o = {
	        .has = SRV_HAS_LATENCY | SRV_HAS_JITTER, .latency_us = 100000, .jitter_us = 10000};
	uint64_t lo = UINT64_MAX, hi = 0;
	(void)state;
	for (uint64_t k = 0; k < 1000; k++) {
		uint64_t d = srv_delay_of(&s, &o, 3, k, 1.0, MAX_DELAY);
		assert_in_range(d, 90000, 110000);
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	assert_true(lo < 92000 && hi > 108000); /* uniform over the whole +- range */
	o.latency_us = 5000;                    /* jitter below zero clamps at 0 */
	for (uint64_t k = 0; k < 100; k++)
		assert_in_range(srv_delay_of(&s, &o, 3, k, 1.0, MAX_DELAY), 0, 15000);
}

static void connect_delay_is_the_query_or_the_sites_scaled_and_clamped(void **state)
{
	struct srv_site site = {.connect_delay_us = 120000};
	struct srv_overrides o = {0};
	struct srv_param_error e;
	(void)state;
	assert_int_equal(srv_connect_delay_of(&site, &o, 1.0, MAX_DELAY), 120000);
	assert_int_equal(srv_connect_delay_of(&site, &o, 0.5, MAX_DELAY), 60000);
	assert_int_equal(srv_connect_delay_of(&site, &o, 0.0, MAX_DELAY), 0);
	assert_int_equal(srv_connect_delay_of(&site, &o, 1.0, 1000), 1000);
	assert_int_equal(srv_query_apply(&o, "connect_delay", "300ms", MAX_DELAY, &e), 0);
	assert_int_equal(srv_connect_delay_of(&site, &o, 1.0, MAX_DELAY), 300000);
	assert_int_equal(srv_query_apply(&o, "connect_delay", "0", MAX_DELAY, &e), 0);
	assert_int_equal(srv_connect_delay_of(&site, &o, 1.0, MAX_DELAY), 0);
	assert_int_equal(srv_query_apply(&o, "connect_delay", "2h", MAX_DELAY, &e), -EINVAL);
	assert_string_equal(e.param, "connect_delay");
}

static void builtin_lecture_batch_averages_about_163ms(void **state)
{
	struct srv_sites sites;
	struct srv_overrides o = {0};
	char err[160];
	double total = 0;
	(void)state;
	srv_sites_builtin(&sites);
	assert_int_equal(srv_sites_finish(&sites, err, sizeof(err)), 0);
	const struct srv_site *naver = srv_sites_get(&sites, "naver");
	const struct srv_site *google = srv_sites_get(&sites, "google");
	/* over many seeds the mean of a naver+google pair approaches 2 x 163 ms */
	for (uint64_t seed = 1; seed <= 200; seed++)
		for (uint64_t k = 0; k < 50; k++)
			total += (double)srv_delay_of(naver, &o, seed, k, 1.0, MAX_DELAY) +
			         (double)srv_delay_of(google, &o, seed, k, 1.0, MAX_DELAY);
	double mean_batch_s = total / 200 / 1e6;
	assert_true(mean_batch_s > 15.8 && mean_batch_s < 16.8);
	srv_sites_free(&sites);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(query_accepts_valid_overrides),
	        cmocka_unit_test(query_rejects_hostile_rows_naming_the_parameter),
	        cmocka_unit_test(seq_header_parses_or_names_the_header),
	        cmocka_unit_test(delay_is_a_pure_function_of_seed_site_and_seq),
	        cmocka_unit_test(delay_is_scaled_then_clamped),
	        cmocka_unit_test(jitter_stays_within_its_bounds_and_spreads),
	        cmocka_unit_test(connect_delay_is_the_query_or_the_sites_scaled_and_clamped),
	        cmocka_unit_test(builtin_lecture_batch_averages_about_163ms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
