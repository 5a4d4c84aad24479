/* tls.h -- the server's certificates: a CA and a server certificate made at start-up, or a
 * given certificate and key read from files and checked. PEM text in memory, as
 * libmicrohttpd's MHD_OPTION_HTTPS_MEM_CERT / MHD_OPTION_HTTPS_MEM_KEY take it.
 *
 * Made certificates use ECDSA P-256 keys and SHA-256 signatures (milliseconds to make). The
 * CA is valid for a year from an hour ago; the server certificate names every host given as
 * a subjectAltName (DNS names, and IPv4/IPv6 literals as IP addresses), so one certificate
 * serves every site host whatever the SNI. GnuTLS does the cryptography. */
#ifndef LATLAB_SERVER_TLS_H
#define LATLAB_SERVER_TLS_H

#include <stddef.h>

#define SRV_TLS_HOSTS_MAX 300        /* subjectAltNames in one made certificate */
#define SRV_TLS_FILE_MAX  (1u << 20) /* bytes of a certificate or key file */

/* A certificate (its chain up to, and with, the CA for a made one) and its private key, as
 * NUL-terminated PEM text; both owned, freed with srv_tls_pair_free. */
struct srv_tls_pair {
	char *cert_pem;
	char *key_pem;
};

/* Makes a CA (ca: its certificate; its key is never exported and dies here) and a server
 * certificate for hosts[0..nhosts) signed by it (server: the chain server + CA, and the
 * server's key). 0, or -EINVAL (a host
 * that is neither a DNS name nor an IP literal, or too many) / -EIO (GnuTLS failed) with a
 * one-line message in err; nothing is left allocated on failure. */
int srv_tls_generate(const char *const *hosts, size_t nhosts, struct srv_tls_pair *ca,
                     struct srv_tls_pair *server, char *err, size_t errlen);

/* Reads a PEM certificate (chain) and private key from files and checks that they parse and
 * that the key belongs to the first certificate. 0, or -ENOENT/-EINVAL/-EFBIG with a one-line
 * message naming the file in err. */
int srv_tls_load(const char *cert_path, const char *key_path, struct srv_tls_pair *out, char *err,
                 size_t errlen);

/* Frees both PEM texts; NULL members are fine. The pair is left empty. */
void srv_tls_pair_free(struct srv_tls_pair *p);

#endif
