/* test_client_cli.c -- latlab-client's command line: defaults, batch sizing, and the hostile
 * rows (-c 0, -n -1, unknown mode, bad URLs, conflicting flags) rejected with a message. */
#include "testutil.h"

#include <curl/curl.h>
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/resource.h>

#include "../../client/cli.h"

/* parses a NULL-terminated argument list (argv[0] added); returns cli_parse's result */
static int parse(struct config *cfg, char *err, size_t errlen, const char *first, ...)
{
	static char store[32][256];
	char *argv[33];
	int argc = 0;
	argv[argc] = strcpy(store[argc], "latlab-client");
	argc++;
	va_list ap;
	va_start(ap, first);
	for (const char *a = first; a && argc < 32; a = va_arg(ap, const char *)) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = '\0';
	return cli_parse(argc, argv, cfg, err, errlen);
}

static void cli_defaults_give_one_pass_over_the_urls(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, sizeof(err), "async", "http://127.0.0.1:1/a",
	                       "http://127.0.0.1:1/b", NULL),
	                 0);
	assert_int_equal(cfg.mode, MODE_ASYNC);
	assert_int_equal(cfg.nurls, 2);
	assert_int_equal(cfg.n, 2);
	assert_int_equal(cfg.timeout_us, CLI_DEFAULT_TIMEOUT);
	assert_int_equal(cli_concurrency(&cfg, MODE_ASYNC), 2);
	assert_int_equal(cli_concurrency(&cfg, MODE_SEQUENTIAL), 1);
}

static void cli_repeat_multiplies_the_urls(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, sizeof(err), "threads", "--repeat", "50",
	                       "http://127.0.0.1:1/a", "http://127.0.0.1:1/b", NULL),
	                 0);
	assert_int_equal(cfg.n, 100);
	assert_int_equal(cli_concurrency(&cfg, MODE_THREADS), CLI_DEFAULT_WORKERS);
	assert_int_equal(cli_concurrency(&cfg, MODE_ASYNC), 100);
}

static void cli_options_may_follow_the_urls(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, sizeof(err), "processes", "http://127.0.0.1:1/a", "-n",
	                       "7", "-c", "3", "--trace", "--timeout", "250ms", "--work", "cpu:2ms",
	                       NULL),
	                 0);
	assert_int_equal(cfg.mode, MODE_PROCESSES);
	assert_int_equal(cfg.n, 7);
	assert_int_equal(cfg.concurrency, 3);
	assert_int_equal(cfg.trace, 1);
	assert_int_equal(cfg.timeout_us, 250000);
	assert_int_equal(cfg.work_cpu_us, 2000);
}

static void cli_concurrency_never_exceeds_the_batch(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, sizeof(err), "compare", "-n", "3", "-c", "50",
	                       "http://127.0.0.1:1/", NULL),
	                 0);
	assert_int_equal(cli_concurrency(&cfg, MODE_THREADS), 3);
	assert_int_equal(cli_concurrency(&cfg, MODE_PROCESSES), 3);
	assert_int_equal(cli_concurrency(&cfg, MODE_ASYNC), 3);
}

static void cli_async_in_flight_stays_under_the_open_files_limit(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 1024;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int rc1 = parse(&cfg, err, sizeof(err), "async", "-n", "5000", "http://127.0.0.1:1/", NULL);
	unsigned all = cli_concurrency(&cfg, MODE_ASYNC);
	int rc2 = parse(&cfg, err, sizeof(err), "async", "-n", "5000", "-c", "4000",
	                "http://127.0.0.1:1/", NULL);
	int rc3 = parse(&cfg, err, sizeof(err), "async", "-n", "500", "-c", "4000",
	                "http://127.0.0.1:1/", NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(rc1, 0);
	assert_int_equal(all, 1024 - 64); /* "all" means as many as the limit allows */
	assert_int_equal(rc2, -EINVAL);   /* an explicit -c beyond it is refused */
	assert_int_equal(rc3, 0);         /* -c above n is just n */
}

static void cli_help_and_version_are_actions(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	assert_int_equal(parse(&cfg, err, sizeof(err), "--help", NULL), 0);
	assert_int_equal(cfg.action, CLI_HELP);
	assert_int_equal(parse(&cfg, err, sizeof(err), "--version", NULL), 0);
	assert_int_equal(cfg.action, CLI_VERSION);
}

/* each hostile command line is rejected, and the message names what was wrong */
static void cli_rejects_bad_input_with_a_message(void **state)
{
	(void)state;
	static const struct {
		const char *args[8];
		const char *mentions;
	} rows[] = {
	        {{"threads", "-c", "0", "http://127.0.0.1:1/"}, "-c"},
	        {{"threads", "-n", "-1", "http://127.0.0.1:1/"}, "-n"},
	        {{"threads", "-n", "0", "http://127.0.0.1:1/"}, "-n"},
	        {{"threads", "-n", "1e99", "http://127.0.0.1:1/"}, "-n"},
	        {{"threads", "-c", "2000", "http://127.0.0.1:1/"}, "threads"},
	        {{"processes", "-c", "1000", "http://127.0.0.1:1/"}, "processes"},
	        {{"fibers", "http://127.0.0.1:1/"}, "unknown mode"},
	        {{"async", "ftp://127.0.0.1/x"}, "scheme"},
	        {{"async", "not a url"}, "URL"},
	        {{"async", "http://"}, "URL"},
	        {{"async"}, "missing URL"},
	        {{"-n", "3"}, "missing MODE"},
	        {{"async", "-n", "3", "--repeat", "2", "http://127.0.0.1:1/"}, "--repeat"},
	        {{"async", "--gil", "http://127.0.0.1:1/"}, "--gil"},
	        {{"async", "--work", "gpu:5ms", "http://127.0.0.1:1/"}, "--work"},
	        {{"async", "--work", "cpu:-5ms", "http://127.0.0.1:1/"}, "--work"},
	        {{"async", "--timeout", "soon", "http://127.0.0.1:1/"}, "--timeout"},
	        {{"async", "--bogus", "http://127.0.0.1:1/"}, "unknown option"},
	        {{"async", "http://127.0.0.1:1/", "-n"}, "needs a value"},
	        {{"async", "--json", "-", "--csv", "-", "http://127.0.0.1:1/"}, "stdout"},
	        {{"async", "--csv", "x.csv", "--repeat", "1000000", "http://127.0.0.1:1/",
	          "http://127.0.0.1:1/b"},
	         "--repeat"},
	        {{"async", "-n", "1000000001", "http://127.0.0.1:1/"}, "-n"},
	        {{"async", "-d", "2s", "-n", "10", "http://127.0.0.1:1/"}, "-d"},
	        {{"async", "-d", "soon", "http://127.0.0.1:1/"}, "--duration"},
	        {{"async", "--rate", "0", "http://127.0.0.1:1/"}, "--rate"},
	        {{"async", "--rate", "-5", "http://127.0.0.1:1/"}, "--rate"},
	        {{"async", "--rate", "fast", "http://127.0.0.1:1/"}, "--rate"},
	        {{"async", "--rate", "1e3", "http://127.0.0.1:1/"}, "--rate"},
	        {{"compare", "-d", "1s", "http://127.0.0.1:1/"}, "compare"},
	        {{"compare", "--rate", "10", "http://127.0.0.1:1/"}, "compare"},
	        {{"threads", "--loops", "2", "http://127.0.0.1:1/"}, "--loops"},
	        {{"async", "--loops", "0", "http://127.0.0.1:1/"}, "--loops"},
	        {{"async", "--csv", "x.csv", "--rate", "1000", "-d", "20m", "http://127.0.0.1:1/"},
	         "--rate x -d"},
	};
	for (size_t r = 0; r < sizeof(rows) / sizeof(rows[0]); r++) {
		struct config cfg;
		char err[256];
		const char *const *a = rows[r].args;
		int rc = parse(&cfg, err, sizeof(err), a[0], a[1], a[2], a[3], a[4], a[5], a[6],
		               a[7], NULL);
		if (rc == 0 || !strstr(err, rows[r].mentions))
			fail_msg(
			        "row %zu (%s %s ...): rc %d, message '%s', want it to mention '%s'",
			        r, a[0], a[1] ? a[1] : "", rc, err, rows[r].mentions);
		assert_null(strchr(err, '\n'));
	}
}

static void cli_load_options_size_the_run(void **state)
{
	(void)state;
	struct config cfg;
	char err[256];
	/* --rate with -d: R x DUR requests; async keeps CLI_DEFAULT_LOAD in flight */
	assert_int_equal(parse(&cfg, err, sizeof(err), "async", "--rate", "200", "-d", "2s",
	                       "http://127.0.0.1:1/", NULL),
	                 0);
	assert_int_equal(cfg.n, 400);
	assert_int_equal(cfg.duration_us, 2000000);
	assert_true(cfg.rate == 200.0);
	assert_int_equal(cli_concurrency(&cfg, MODE_ASYNC), CLI_DEFAULT_LOAD);
	assert_int_equal(cli_keep_records(&cfg), 0);
	/* -d alone: a closed loop bounded by the time; records only for a per-request output */
	assert_int_equal(parse(&cfg, err, sizeof(err), "threads", "-d", "1.5s", "-c", "4", "--csv",
	                       "x.csv", "http://127.0.0.1:1/", NULL),
	                 0);
	assert_int_equal(cfg.n, CLI_MAX_RUN);
	assert_int_equal(cli_keep_records(&cfg), CLI_MAX_RECORDS);
	/* -n beyond the old 1,000,000 cap when no per-request output asks for records */
	assert_int_equal(parse(&cfg, err, sizeof(err), "async", "-n", "5000000", "--loops", "2",
	                       "http://127.0.0.1:1/", NULL),
	                 0);
	assert_int_equal(cfg.n, 5000000);
	assert_int_equal(cfg.loops, 2);
}

static void cli_long_urls_are_refused(void **state)
{
	(void)state;
	static char url[CLI_MAX_URL_LEN + 64];
	strcpy(url, "http://127.0.0.1:1/");
	memset(url + strlen(url), 'a', CLI_MAX_URL_LEN);
	url[CLI_MAX_URL_LEN + 30] = '\0';
	char *argv[] = {"latlab-client", "async", url, NULL};
	struct config cfg;
	char err[256];
	assert_int_equal(cli_parse(3, argv, &cfg, err, sizeof(err)), -22);
	assert_non_null(strstr(err, "longer"));
}

static int setup(void **state)
{
	(void)state;
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	curl_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(cli_defaults_give_one_pass_over_the_urls),
	        cmocka_unit_test(cli_repeat_multiplies_the_urls),
	        cmocka_unit_test(cli_options_may_follow_the_urls),
	        cmocka_unit_test(cli_concurrency_never_exceeds_the_batch),
	        cmocka_unit_test(cli_async_in_flight_stays_under_the_open_files_limit),
	        cmocka_unit_test(cli_help_and_version_are_actions),
	        cmocka_unit_test(cli_rejects_bad_input_with_a_message),
	        cmocka_unit_test(cli_long_urls_are_refused),
	        cmocka_unit_test(cli_load_options_size_the_run),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
