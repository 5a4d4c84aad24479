/* test_server_config.c -- sites.ini parsing (good files, hostile rows with file:line:key
 * errors), the built-in sites, routing by Host and path, and deterministic bodies. */
#include "testutil.h"

#include <errno.h>

#include "../../server/config.h"
#include "../../server/sites.h"

static int load(const char *text, struct srv_sites *sites, char *err, size_t errlen)
{
	char path[64];
	srv_sites_builtin(sites);
	tu_temp_file(path, sizeof(path), text);
	int rc = srv_config_load(path, sites, err, errlen);
	if (rc == 0)
		rc = srv_sites_finish(sites, err, errlen);
	unlink(path);
	return rc;
}

static void builtins_are_naver_google_apple_with_hosts(void **state)
{
	struct srv_sites s;
	char err[256];
	(void)state;
	srv_sites_builtin(&s);
	assert_int_equal(srv_sites_finish(&s, err, sizeof(err)), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(srv_sites_by_host(&s, "www.naver.com")->name, "naver");
	assert_string_equal(srv_sites_by_host(&s, "Google.COM:8080")->name, "google");
	assert_string_equal(srv_sites_by_host(&s, "apple.com")->name, "apple");
	assert_null(srv_sites_by_host(&s, "naver.com.evil"));
	assert_null(srv_sites_by_host(&s, "[::1]:80"));
	assert_null(srv_sites_by_host(&s, NULL));
	assert_string_equal(srv_sites_by_path(&s, "/naver")->name, "naver");
	assert_string_equal(srv_sites_by_path(&s, "/naver/a/b")->name, "naver");
	assert_null(srv_sites_by_path(&s, "/navercom"));
	assert_null(srv_sites_by_path(&s, "/"));
	assert_int_equal(s.site[0].body_len, 160 * 1024);
	assert_memory_equal(s.site[0].body, "<!DOCTYPE html>", 15);
	assert_memory_equal(s.site[0].body + s.site[0].body_len - 8, "</html>\n", 8);
	srv_sites_free(&s);
}

static void bodies_are_deterministic_and_exactly_sized(void **state)
{
	static const size_t sizes[] = {0, 1, 10, 100, 117, 2048, 100000};
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char *a = malloc(sizes[i] + 1), *b = malloc(sizes[i] + 1);
		a[sizes[i]] = b[sizes[i]] = 'Z';
		srv_body_fill(a, sizes[i], "naver");
		srv_body_fill(b, sizes[i], "naver");
		assert_memory_equal(a, b, sizes[i]);
		assert_int_equal(a[sizes[i]], 'Z'); /* not one byte more */
		free(a);
		free(b);
	}
}

static void good_file_adds_and_overrides_sites(void **state)
{
	struct srv_sites s;
	char err[256];
	(void)state;
	int rc = load("; comment\n# another\n[naver]\np99 = 1s\n\n[api]\nmodel = normal\nmean = "
	              "100ms\nstddev = 10ms\nhosts = a.test b.test,c.test\npath = /v1/api\nsize = "
	              "1KiB\nstatus = 201\ncontent_type = application/json\njitter = 5ms\n",
	              &s, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	const struct srv_site *naver = srv_sites_get(&s, "naver");
	assert_int_equal(naver->model.kind, LATENCY_LOGNORMAL);
	assert_int_equal(naver->model.a_us, 190000); /* kept */
	assert_int_equal(naver->model.b_us, 1000000);
	const struct srv_site *api = srv_sites_get(&s, "api");
	assert_non_null(api);
	assert_int_equal(api->model.kind, LATENCY_NORMAL);
	assert_int_equal(api->model.a_us, 100000);
	assert_int_equal(api->model.b_us, 10000);
	assert_int_equal(api->nhosts, 3);
	assert_string_equal(api->hosts[2], "c.test");
	assert_string_equal(api->path, "/v1/api");
	assert_int_equal(api->size, 1024);
	assert_int_equal(api->status, 201);
	assert_int_equal(api->jitter_us, 5000);
	assert_string_equal(api->content_type, "application/json");
	assert_ptr_equal(srv_sites_by_path(&s, "/v1/api/x"), api);
	assert_ptr_equal(srv_sites_by_host(&s, "b.test"), api);
	srv_sites_free(&s);
}

static void connect_delay_and_redirect_keys(void **state)
{
	struct srv_sites s;
	char err[256];
	(void)state;
	int rc = load("[naver]\nconnect_delay = 120ms\nredirect = www.naver.com\n"
	              "[short]\nhosts = n.test\nredirect = www.google.com\n",
	              &s, err, sizeof(err));
	if (rc)
		fail_msg("%s", err);
	const struct srv_site *naver = srv_sites_get(&s, "naver");
	assert_int_equal(naver->connect_delay_us, 120000);
	assert_string_equal(srv_site_redirect(naver, "naver.com:8443"), "www.naver.com");
	assert_string_equal(srv_site_redirect(naver, "NAVER.COM"), "www.naver.com");
	assert_null(srv_site_redirect(naver, "www.naver.com:443")); /* the target itself */
	assert_null(srv_site_redirect(naver, "127.0.0.1:8080"));    /* routed by path */
	assert_null(srv_site_redirect(naver, NULL));
	assert_null(srv_site_redirect(srv_sites_get(&s, "google"), "google.com"));
	/* to another site's host */
	assert_string_equal(srv_site_redirect(srv_sites_get(&s, "short"), "n.test"),
	                    "www.google.com");
	srv_sites_free(&s);

	const char *bad[] = {"[naver]\nredirect = nowhere.test\n", "[naver]\nredirect = a b\n",
	                     "[naver]\nconnect_delay = 2h\n", "[naver]\nconnect_delay = x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(bad[i], &s, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, i < 2 ? "redirect" : "connect_delay"));
		srv_sites_free(&s);
	}
}

static void model_is_inferred_from_its_keys(void **state)
{
	static const struct {
		const char *text;
		enum latency_kind kind;
		uint64_t a, b;
	} rows[] = {
	        {"[x]\nlatency = 5ms\n", LATENCY_FIXED, 5000, 0},
	        {"[x]\nmin = 1ms\nmax = 2ms\n", LATENCY_UNIFORM, 1000, 2000},
	        {"[x]\nmax = 2ms\n", LATENCY_UNIFORM, 0, 2000},
	        {"[x]\nstddev = 2ms\nlatency = 9ms\n", LATENCY_NORMAL, 9000, 2000},
	        {"[x]\nmedian = 3ms\np99 = 4ms\n", LATENCY_LOGNORMAL, 3000, 4000},
	        {"[x]\nmodel = lognormal\nlatency = 300ms\n", LATENCY_LOGNORMAL, 300000, 300000},
	        {"[naver]\nlatency = 7ms\n", LATENCY_FIXED, 7000, 0},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv_sites s;
		char err[256];
		if (load(rows[i].text, &s, err, sizeof(err)) != 0)
			fail_msg("row %zu: %s", i, err);
		const struct srv_site *x = &s.site[s.n - 1];
		if (strcmp(x->name, "x") != 0)
			x = srv_sites_get(&s, "naver");
		assert_int_equal(x->model.kind, rows[i].kind);
		assert_int_equal(x->model.a_us, rows[i].a);
		assert_int_equal(x->model.b_us, rows[i].b);
		srv_sites_free(&s);
	}
}

static void hostile_files_fail_with_line_and_key(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* in the message, after the path */
	} rows[] = {
	        {"[a]\nlatency = 1e99s\n", ":2: key 'latency'"},
	        {"[a]\nlatency = 2h\n", ":2: key 'latency'"},
	        {"[a]\nsize = 1GiB\n", ":2: key 'size'"},
	        {"[a]\nstatus = 99\n", ":2: key 'status'"},
	        {"[a]\nmodel = weibull\n", ":2: key 'model'"},
	        {"[a]\nbogus = 1\n", ":2: key 'bogus'"},
	        {"orphan = 1\n", ":1: key 'orphan'"},
	        {"[A]\nlatency = 1s\n", ":2: key 'latency'"},
	        {"[a]\npath = /a b\n", ":2: key 'path'"},
	        {"[a]\nhosts = a,b,c,d,e,f,g,h,i\n", ":2: key 'hosts'"},
	        {"[a]\ncontent_type = text\n", ":2: key 'content_type'"},
	        {"[a]\nmodel = lognormal\n", ":2: key 'model'"},
	        {"[a]\nmin = 5ms\nmax = 1ms\n", ":3: key 'model'"},
	        {"[a]\nmodel = fixed\np99 = 1s\n", ":3: key 'model'"},
	        {"[a]\nlatency = 1s\n[b\n", ":3: syntax error"},
	        {"[a]\nno equals here\n", ":2: syntax error"},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct srv_sites s;
		char err[512] = "";
		int rc = load(rows[i].text, &s, err, sizeof(err));
		if (rc != -EINVAL)
			fail_msg("row %zu: rc %d (%s)", i, rc, err);
		if (!strstr(err, rows[i].want) || !strstr(err, "accepted") || strchr(err, '\n'))
			fail_msg("row %zu: '%s' lacks '%s' or 'accepted'", i, err, rows[i].want);
		srv_sites_free(&s);
	}
}

static void long_lines_and_clashes_are_refused(void **state)
{
	struct srv_sites s;
	char err[512], text[1024];
	(void)state;
	snprintf(text, sizeof(text), "[a]\nlatency = 1s\nhosts = %0400d\n", 7);
	assert_int_equal(load(text, &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":3: "));
	srv_sites_free(&s);
	assert_int_equal(load("[a]\npath = /naver\n", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "/naver"));
	srv_sites_free(&s);
	assert_int_equal(load("[a]\nhosts = WWW.NAVER.COM\n", &s, err, sizeof(err)), -EINVAL);
	srv_sites_free(&s);
	srv_sites_builtin(&s);
	assert_int_equal(srv_config_load("/nonexistent.ini", &s, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent.ini"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(builtins_are_naver_google_apple_with_hosts),
	        cmocka_unit_test(bodies_are_deterministic_and_exactly_sized),
	        cmocka_unit_test(good_file_adds_and_overrides_sites),
	        cmocka_unit_test(connect_delay_and_redirect_keys),
	        cmocka_unit_test(model_is_inferred_from_its_keys),
	        cmocka_unit_test(hostile_files_fail_with_line_and_key),
	        cmocka_unit_test(long_lines_and_clashes_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
