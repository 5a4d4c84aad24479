/* test_server_tls.c -- made certificates chain to the made CA and name every host; given pairs
 * are read and checked, and bad files are one-line errors naming the file. */
#include "testutil.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "../../server/tls.h"

static const char *const hosts[] = {"naver.com", "www.naver.com", "google.com",
                                    "localhost", "127.0.0.1",     "::1"};
#define NHOSTS (sizeof(hosts) / sizeof(hosts[0]))

static gnutls_x509_crt_t import_one(const char *pem)
{
	gnutls_x509_crt_t crt;
	gnutls_datum_t d = {(unsigned char *)pem, (unsigned)strlen(pem)};
	assert_int_equal(gnutls_x509_crt_init(&crt), 0);
	assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
	return crt;
}

static void made_certificate_chains_to_the_ca_and_names_every_host(void **state)
{
	(void)state;
	struct srv_tls_pair ca, srv;
	char err[256] = "";
	assert_int_equal(srv_tls_generate(hosts, NHOSTS, &ca, &srv, err, sizeof(err)), 0);
	assert_null(ca.key_pem); /* the CA's key never leaves the generator */
	assert_non_null(strstr(srv.key_pem, "PRIVATE KEY"));

	/* the server's chain: its certificate, then the CA's */
	gnutls_x509_crt_t *chain = NULL;
	unsigned n = 0;
	gnutls_datum_t d = {(unsigned char *)srv.cert_pem, (unsigned)strlen(srv.cert_pem)};
	assert_int_equal(gnutls_x509_crt_list_import2(&chain, &n, &d, GNUTLS_X509_FMT_PEM, 0), 0);
	assert_int_equal(n, 2);
	gnutls_x509_crt_t ca_crt = import_one(ca.cert_pem);
	assert_true(gnutls_x509_crt_equals(chain[1], ca_crt));

	unsigned status = ~0u;
	assert_int_equal(gnutls_x509_crt_list_verify(chain, 1, &ca_crt, 1, NULL, 0, 0, &status), 0);
	assert_int_equal(status, 0);
	for (size_t i = 0; i < NHOSTS; i++)
		assert_true(gnutls_x509_crt_check_hostname(chain[0], hosts[i]));
	assert_false(gnutls_x509_crt_check_hostname(chain[0], "apple.com"));
	assert_false(gnutls_x509_crt_check_hostname(chain[0], "127.0.0.2"));
	/* the CA is a CA; the server certificate is not */
	unsigned crit;
	assert_true(gnutls_x509_crt_get_ca_status(ca_crt, &crit) > 0);
	assert_int_equal(gnutls_x509_crt_get_ca_status(chain[0], &crit), 0);

	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(chain[i]);
	gnutls_free(chain);
	gnutls_x509_crt_deinit(ca_crt);
	srv_tls_pair_free(&ca);
	srv_tls_pair_free(&srv);
}

static void two_starts_make_two_different_cas(void **state)
{
	(void)state;
	struct srv_tls_pair ca1, srv1, ca2, srv2;
	char err[256];
	assert_int_equal(srv_tls_generate(hosts, 1, &ca1, &srv1, err, sizeof(err)), 0);
	assert_int_equal(srv_tls_generate(hosts, 1, &ca2, &srv2, err, sizeof(err)), 0);
	assert_string_not_equal(ca1.cert_pem, ca2.cert_pem);
	assert_string_not_equal(srv1.key_pem, srv2.key_pem);
	srv_tls_pair_free(&ca1);
	srv_tls_pair_free(&srv1);
	srv_tls_pair_free(&ca2);
	srv_tls_pair_free(&srv2);
}

static void a_host_that_is_no_name_is_refused_in_one_line(void **state)
{
	(void)state;
	static const char *const bad[] = {"", "two words", "a..b", "-ok.but/slash", "naver.com."};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *one[] = {"localhost", bad[i]};
		struct srv_tls_pair ca, srv;
		char err[256] = "";
		assert_int_equal(srv_tls_generate(one, 2, &ca, &srv, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "neither a DNS name nor an IP address"));
		assert_null(strchr(err, '\n'));
		assert_null(ca.cert_pem);
		assert_null(srv.cert_pem);
		assert_null(srv.key_pem);
	}
}

static void a_given_pair_is_read_back_and_checked(void **state)
{
	(void)state;
	struct srv_tls_pair ca, srv, other_ca, other, got;
	char err[256] = "", cert[64], key[64], other_key[64];
	assert_int_equal(srv_tls_generate(hosts, NHOSTS, &ca, &srv, err, sizeof(err)), 0);
	assert_int_equal(srv_tls_generate(hosts, 1, &other_ca, &other, err, sizeof(err)), 0);
	tu_temp_file(cert, sizeof(cert), srv.cert_pem);
	tu_temp_file(key, sizeof(key), srv.key_pem);
	tu_temp_file(other_key, sizeof(other_key), other.key_pem);

	assert_int_equal(srv_tls_load(cert, key, &got, err, sizeof(err)), 0);
	assert_string_equal(got.cert_pem, srv.cert_pem);
	assert_string_equal(got.key_pem, srv.key_pem);
	srv_tls_pair_free(&got);

	/* a key from another pair: named, one line */
	assert_int_equal(srv_tls_load(cert, other_key, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "not the key of the certificate"));
	assert_non_null(strstr(err, other_key));
	assert_null(got.cert_pem);
	/* the two swapped: neither file holds what its option wants */
	assert_int_equal(srv_tls_load(key, cert, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "--tls-cert"));
	assert_non_null(strstr(err, key));
	/* missing */
	assert_int_equal(srv_tls_load("/nonexistent/c.pem", key, &got, err, sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "/nonexistent/c.pem"));

	unlink(cert);
	unlink(key);
	unlink(other_key);
	srv_tls_pair_free(&ca);
	srv_tls_pair_free(&srv);
	srv_tls_pair_free(&other_ca);
	srv_tls_pair_free(&other);
}

static void garbage_and_oversized_files_are_refused(void **state)
{
	(void)state;
	struct srv_tls_pair got;
	char err[256], path[64], big[64];
	tu_temp_file(path, sizeof(path), "-----BEGIN CERTIFICATE-----\nnot base64\n");
	assert_int_equal(srv_tls_load(path, path, &got, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "no PEM certificate"));
	assert_null(strchr(err, '\n'));

	char *text = malloc(SRV_TLS_FILE_MAX + 2);
	assert_non_null(text);
	memset(text, 'A', SRV_TLS_FILE_MAX + 1);
	text[SRV_TLS_FILE_MAX + 1] = '\0';
	tu_temp_file(big, sizeof(big), text);
	free(text);
	assert_int_equal(srv_tls_load(big, path, &got, err, sizeof(err)), -EFBIG);
	assert_non_null(strstr(err, big));
	unlink(path);
	unlink(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(made_certificate_chains_to_the_ca_and_names_every_host),
	        cmocka_unit_test(two_starts_make_two_different_cas),
	        cmocka_unit_test(a_host_that_is_no_name_is_refused_in_one_line),
	        cmocka_unit_test(a_given_pair_is_read_back_and_checked),
	        cmocka_unit_test(garbage_and_oversized_files_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
