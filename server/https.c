/* https.c -- the HTTPS certificate at start-up: load the given pair, or make a CA and a
 * certificate for every site host and the loopback names and write the CA for clients. The
 * cryptography is tls.c's (GnuTLS); serving HTTPS is server.c's. */
#include "https.h"

#include "atomicfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* names every made certificate carries besides the sites' hosts */
static const char *const loopback_names[] = {"localhost", "127.0.0.1", "::1"};

/* appends name to hosts unless it is there already or the list is full */
static void add_host(const char **hosts, size_t *n, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcasecmp(hosts[i], name) == 0)
			return;
	if (*n < SRV_TLS_HOSTS_MAX)
		hosts[(*n)++] = name;
}

static int write_ca(const char *path, const char *pem, char *err, size_t errlen)
{
	struct atomic_file a;
	int rc = atomic_file_open(&a, path);

	if (rc == 0) {
		fputs(pem, a.f);
		rc = atomic_file_commit(&a);
	}
	if (rc != 0)
		snprintf(err, errlen, "--tls-ca: cannot write '%s': %s", path, strerror(-rc));
	return rc;
}

int srv_https_certs(struct srv_config *cfg, const struct srv_sites *sites, char *err, size_t errlen)
{
	const char *hosts[SRV_TLS_HOSTS_MAX];
	struct srv_tls_pair ca = {0};
	size_t n = 0;
	int rc;

	memset(&cfg->tls, 0, sizeof(cfg->tls));
	if (cfg->tls_cert)
		return srv_tls_load(cfg->tls_cert, cfg->tls_key, &cfg->tls, err, errlen);
	for (size_t i = 0; i < sites->n; i++)
		for (size_t h = 0; h < sites->site[i].nhosts; h++)
			add_host(hosts, &n, sites->site[i].hosts[h]);
	for (size_t i = 0; i < sizeof(loopback_names) / sizeof(loopback_names[0]); i++)
		add_host(hosts, &n, loopback_names[i]);
	/* a wildcard address is no name a client connects to */
	if (strcmp(cfg->listen, "0.0.0.0") != 0 && strcmp(cfg->listen, "::") != 0)
		add_host(hosts, &n, cfg->listen);
	if ((rc = srv_tls_generate(hosts, n, &ca, &cfg->tls, err, errlen)) != 0)
		return rc;
	if (cfg->tls_ca && (rc = write_ca(cfg->tls_ca, ca.cert_pem, err, errlen)) != 0)
		srv_tls_pair_free(&cfg->tls);
	srv_tls_pair_free(&ca);
	return rc;
}
