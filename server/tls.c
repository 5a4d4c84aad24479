/* tls.c -- certificates for --https-port: a CA and a server certificate made with GnuTLS's x509
 * API at start-up, or a given pair read from files and checked. It serves nothing itself:
 * the server hands the PEM text to libmicrohttpd. */
#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CA_NAME   "latlab local CA"
#define VALID_FOR (365L * 24 * 3600)

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return rc;
}

/* a DNS name a certificate may carry: 1-253 bytes of [A-Za-z0-9-.], labels of 1-63 */
static int dns_name_ok(const char *s)
{
	size_t len = strlen(s), label = 0;
	if (len == 0 || len > 253)
		return 0;
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-') ||
		    ++label > 63)
			return 0;
	}
	return label > 0;
}

/* adds host as a subjectAltName: an IP address for a literal, else a DNS name */
static int add_san(gnutls_x509_crt_t crt, const char *host)
{
	unsigned char ip[16];
	if (inet_pton(AF_INET, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4,
		                                            GNUTLS_FSAN_APPEND);
	if (inet_pton(AF_INET6, host, ip) == 1)
		return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 16,
		                                            GNUTLS_FSAN_APPEND);
	if (!dns_name_ok(host))
		return -EINVAL;
	return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, host,
	                                            (unsigned)strlen(host), GNUTLS_FSAN_APPEND);
}

/* a NUL-terminated copy of GnuTLS's exported data, which it frees */
static char *take_pem(gnutls_datum_t *d)
{
	char *s = malloc((size_t)d->size + 1);
	if (s) {
		memcpy(s, d->data, d->size);
		s[d->size] = '\0';
	}
	gnutls_free(d->data);
	d->data = NULL;
	return s;
}

static char *crt_pem(gnutls_x509_crt_t crt)
{
	gnutls_datum_t d = {NULL, 0};
	return gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d) < 0 ? NULL : take_pem(&d);
}

static char *key_pem(gnutls_x509_privkey_t key)
{
	gnutls_datum_t d = {NULL, 0};
	return gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d) < 0 ? NULL : take_pem(&d);
}

static int new_key(gnutls_x509_privkey_t *key)
{
	if (gnutls_x509_privkey_init(key) < 0)
		return -1;
	return gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
	                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0);
}

/* the fields every made certificate has: version, a random serial, validity, names, key */
static int crt_base(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn)
{
	unsigned char serial[16];
	unsigned char id[64];
	size_t idlen = sizeof(id);
	time_t now = time(NULL);
	if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
		return -1;
	serial[0] &= 0x7f; /* a positive serial */
	if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
	    gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
	    gnutls_x509_crt_set_activation_time(crt, now - 3600) < 0 ||
	    gnutls_x509_crt_set_expiration_time(crt, now + VALID_FOR) < 0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "latlab", 6) <
	            0 ||
	    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
	                                  (unsigned)strlen(cn)) < 0 ||
	    gnutls_x509_crt_set_key(crt, key) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, 0, id, &idlen) < 0 ||
	    gnutls_x509_crt_set_subject_key_id(crt, id, idlen) < 0)
		return -1;
	return 0;
}

static int make_ca(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
	if (crt_base(crt, key, CA_NAME) < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 1, 0) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) <
	            0 ||
	    gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
		return -1;
	return 0;
}

static int make_server(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
                       gnutls_x509_privkey_t ca_key, const char *const *hosts, size_t nhosts,
                       char *err, size_t errlen)
{
	unsigned char id[64];
	size_t idlen = sizeof(id);
	if (crt_base(crt, key, "latlab-server") < 0 ||
	    gnutls_x509_crt_set_basic_constraints(crt, 0, -1) < 0 ||
	    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
	    gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0 ||
	    gnutls_x509_privkey_get_key_id(ca_key, 0, id, &idlen) < 0 ||
	    gnutls_x509_crt_set_authority_key_id(crt, id, idlen) < 0)
		return fail(err, errlen, -EIO, "tls: cannot make the server certificate");
	for (size_t i = 0; i < nhosts; i++) {
		int rc = add_san(crt, hosts[i]);
		if (rc == -EINVAL)
			return fail(err, errlen, -EINVAL,
			            "tls: host '%.64s' is neither a DNS name nor an IP address",
			            hosts[i]);
		if (rc < 0)
			return fail(err, errlen, -EIO, "tls: cannot name host '%.64s': %s",
			            hosts[i], gnutls_strerror(rc));
	}
	if (gnutls_x509_crt_sign2(crt, ca, ca_key, GNUTLS_DIG_SHA256, 0) < 0)
		return fail(err, errlen, -EIO, "tls: cannot sign the server certificate");
	return 0;
}

/* server's PEM followed by the CA's: the chain a client is sent */
static char *chain_pem(const char *leaf, const char *ca)
{
	size_t a = strlen(leaf), b = strlen(ca);
	char *s = malloc(a + b + 1);
	if (s) {
		memcpy(s, leaf, a);
		memcpy(s + a, ca, b + 1);
	}
	return s;
}

int srv_tls_generate(const char *const *hosts, size_t nhosts, struct srv_tls_pair *ca,
                     struct srv_tls_pair *server, char *err, size_t errlen)
{
	gnutls_x509_privkey_t ca_key = NULL, key = NULL;
	gnutls_x509_crt_t ca_crt = NULL, crt = NULL;
	char *leaf = NULL;
	int rc = -EIO;

	memset(ca, 0, sizeof(*ca));
	memset(server, 0, sizeof(*server));
	if (nhosts > SRV_TLS_HOSTS_MAX)
		return fail(err, errlen, -EINVAL, "tls: %zu hosts, at most %d in one certificate",
		            nhosts, SRV_TLS_HOSTS_MAX);
	if (new_key(&ca_key) < 0 || new_key(&key) < 0 || gnutls_x509_crt_init(&ca_crt) < 0 ||
	    gnutls_x509_crt_init(&crt) < 0 || make_ca(ca_crt, ca_key) < 0) {
		fail(err, errlen, rc, "tls: cannot make the CA");
		goto out;
	}
	rc = make_server(crt, key, ca_crt, ca_key, hosts, nhosts, err, errlen);
	if (rc < 0)
		goto out;
	rc = -EIO;
	ca->cert_pem = crt_pem(ca_crt);
	leaf = crt_pem(crt);
	server->key_pem = key_pem(key);
	server->cert_pem = leaf && ca->cert_pem ? chain_pem(leaf, ca->cert_pem) : NULL;
	if (!ca->cert_pem || !server->cert_pem || !server->key_pem) {
		fail(err, errlen, rc, "tls: cannot export the certificates");
		goto out;
	}
	rc = 0;
out:
	if (rc != 0) {
		srv_tls_pair_free(ca);
		srv_tls_pair_free(server);
	}
	free(leaf);
	if (crt)
		gnutls_x509_crt_deinit(crt);
	if (ca_crt)
		gnutls_x509_crt_deinit(ca_crt);
	if (key)
		gnutls_x509_privkey_deinit(key);
	if (ca_key)
		gnutls_x509_privkey_deinit(ca_key);
	return rc;
}

/* the whole file as NUL-terminated text, at most SRV_TLS_FILE_MAX bytes */
static int read_text(const char *what, const char *path, char **out, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return fail(err, errlen, errno == ENOENT ? -ENOENT : -EINVAL, "%s %s: %s", what,
		            path, strerror(errno));
	char *s = malloc(SRV_TLS_FILE_MAX + 1);
	size_t n = s ? fread(s, 1, SRV_TLS_FILE_MAX + 1, f) : 0;
	int bad = !s || ferror(f);
	fclose(f);
	if (bad || n > SRV_TLS_FILE_MAX) {
		free(s);
		return bad ? fail(err, errlen, -EINVAL, "%s %s: cannot read it", what, path)
		           : fail(err, errlen, -EFBIG, "%s %s: over %u bytes", what, path,
		                  SRV_TLS_FILE_MAX);
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

/* checks that cert (a PEM chain) and key (a PEM private key) parse and belong together */
static int check_pair(const struct srv_tls_pair *p, const char *cert_path, const char *key_path,
                      char *err, size_t errlen)
{
	gnutls_datum_t cd = {(unsigned char *)p->cert_pem, (unsigned)strlen(p->cert_pem)};
	gnutls_datum_t kd = {(unsigned char *)p->key_pem, (unsigned)strlen(p->key_pem)};
	gnutls_x509_crt_t *crts = NULL;
	unsigned ncrts = 0;
	gnutls_x509_privkey_t key = NULL;
	unsigned char a[64], b[64];
	size_t alen = sizeof(a), blen = sizeof(b);
	int rc = -EINVAL;

	if (gnutls_x509_crt_list_import2(&crts, &ncrts, &cd, GNUTLS_X509_FMT_PEM, 0) < 0 ||
	    ncrts == 0) {
		fail(err, errlen, rc, "--tls-cert %s: no PEM certificate in it", cert_path);
		goto out;
	}
	if (gnutls_x509_privkey_init(&key) < 0 ||
	    gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0) < 0) {
		fail(err, errlen, rc, "--tls-key %s: no unencrypted PEM private key in it",
		     key_path);
		goto out;
	}
	if (gnutls_x509_crt_get_key_id(crts[0], 0, a, &alen) < 0 ||
	    gnutls_x509_privkey_get_key_id(key, 0, b, &blen) < 0 || alen != blen ||
	    memcmp(a, b, alen) != 0) {
		fail(err, errlen, rc, "--tls-key %s: not the key of the certificate in %s",
		     key_path, cert_path);
		goto out;
	}
	rc = 0;
out:
	for (unsigned i = 0; i < ncrts; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	if (key)
		gnutls_x509_privkey_deinit(key);
	return rc;
}

int srv_tls_load(const char *cert_path, const char *key_path, struct srv_tls_pair *out, char *err,
                 size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int rc = read_text("--tls-cert", cert_path, &out->cert_pem, err, errlen);
	if (rc == 0)
		rc = read_text("--tls-key", key_path, &out->key_pem, err, errlen);
	if (rc == 0)
		rc = check_pair(out, cert_path, key_path, err, errlen);
	if (rc != 0)
		srv_tls_pair_free(out);
	return rc;
}

void srv_tls_pair_free(struct srv_tls_pair *p)
{
	free(p->cert_pem);
	free(p->key_pem);
	p->cert_pem = p->key_pem = NULL;
}
