/* https.h -- the HTTPS listener's certificate: the given --tls-cert/--tls-key pair, or a CA and
 * a certificate made at start-up for every site host (plus localhost, 127.0.0.1, ::1 and the
 * listening address), with the CA written to --tls-ca for clients to trust. The listener
 * itself (a second libmicrohttpd daemon with MHD_USE_TLS) is server.c's. */
#ifndef LATLAB_SERVER_HTTPS_H
#define LATLAB_SERVER_HTTPS_H

#include "config.h"
#include "sites.h"

#include <stddef.h>

/* Fills cfg->tls: reads and checks cfg->tls_cert/tls_key when given, else makes a CA and a
 * certificate naming every host of sites and the loopback names, and writes the CA's PEM to
 * cfg->tls_ca (atomically) when set. 0, or a negative errno with a one-line message naming
 * the file or host in err; cfg->tls is left empty on failure. */
int srv_https_certs(struct srv_config *cfg, const struct srv_sites *sites, char *err,
                    size_t errlen);

#endif
