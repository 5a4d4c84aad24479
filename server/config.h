/* config.h -- the server's settings: command-line values and the sites.ini file.
 *
 * sites.ini (INI, parsed by inih): one [section] per site, adding a site or overriding a
 * built-in one. Keys: model, latency (alias median, mean), p99, min, max, stddev, jitter,
 * size, status, fault, fail_first, fail_status, sequence, stall_after, ttfb (script.h),
 * bandwidth, hosts, path, content_type. See examples/sites.ini. */
#ifndef LATLAB_SERVER_CONFIG_H
#define LATLAB_SERVER_CONFIG_H

#include "sites.h"
#include "tls.h"

#include <stddef.h>
#include <stdint.h>

enum { SRV_ADMIN_ON, SRV_ADMIN_OFF, SRV_ADMIN_OWN };

struct srv_config {
	const char *listen;     /* numeric IPv4 or IPv6 address */
	unsigned port;          /* 0 = ephemeral */
	const char *port_file;  /* NULL = none */
	const char *config;     /* sites.ini, NULL = built-ins only */
	const char *access_log; /* path, "-" = stdout, NULL = none */
	uint64_t seed;
	double time_scale;
	uint64_t max_delay_us;
	uint64_t grace_us;        /* shutdown grace for in-flight requests */
	uint64_t idle_timeout_s;  /* idle keep-alive connections are closed after this */
	unsigned threads;         /* libmicrohttpd worker threads */
	unsigned max_connections; /* across all workers */
	size_t conn_memory;       /* per-connection memory pool */
	int quiet;
	int https_port;              /* -1 = no HTTPS listener, 0 = ephemeral */
	const char *https_port_file; /* NULL = none */
	const char *tls_cert;        /* given certificate (chain) and key, NULL = make them */
	const char *tls_key;
	const char *tls_ca;      /* where the made CA goes, NULL = nowhere */
	struct srv_tls_pair tls; /* the HTTPS certificate and key in PEM, filled by main */
	int strict_query;        /* unknown query parameters get 400 instead of being ignored */
	uint64_t max_body;       /* request body bytes read at most; more gets 413 */
	size_t journal;          /* entries of the request journal, 0 = off */
	int admin;               /* SRV_ADMIN_*: where /__latlab/ is served */
	char admin_addr[64];     /* numeric address of its own listener (SRV_ADMIN_OWN) */
	unsigned admin_port;
};

/* Fills *c with the defaults (127.0.0.1:8080, seed 1, scale 1.0, max delay 60 s, grace 10 s,
 * idle timeout 15 s, request bodies up to 64 MiB, a journal of 10000 requests, threads = online
 * CPUs, 16384 connections, 6 KiB per connection: enough for request heads of ~2.5 KiB, and 10,000
 * connections fit in ~75 MiB). */
void srv_config_defaults(struct srv_config *c);

/* Reads sites.ini at path into sites (which holds the built-ins already); durations up to
 * 1 h (--max-delay clamps at request time). 0, or -EINVAL with a one-line "PATH:LINE: key 'k':
 * problem; accepted: forms" in err (-ENOENT when the file cannot be opened). Does not call
 * srv_sites_finish. */
int srv_config_load(const char *path, struct srv_sites *sites, char *err, size_t errlen);

/* Applies n sites.ini keys[i] = values[i] to site name in sites (added when new), as one
 * [name] section would. 0, or -EINVAL with "key 'k': problem; accepted: forms" in err. */
int srv_config_apply(struct srv_sites *sites, const char *name, const char *const *keys,
                     const char *const *values, size_t n, char *err, size_t errlen);

#endif
