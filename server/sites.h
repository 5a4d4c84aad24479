/* sites.h -- the stand-in sites: names, hosts, path prefixes, latency models, bodies.
 *
 * A site table is built once at startup (built-ins, then the config file's overrides),
 * finished with srv_sites_finish (which generates every body), and is read-only afterwards:
 * the per-site counters live in stats.h. */
#ifndef LATLAB_SERVER_SITES_H
#define LATLAB_SERVER_SITES_H

#include "latency.h"
#include "script.h"

#include <stddef.h>
#include <stdint.h>

#define SRV_SITES_MAX     32
#define SRV_NAME_MAX      32  /* bytes, with the NUL */
#define SRV_HOSTS_MAX     8   /* hosts per site */
#define SRV_HOST_MAX      128 /* bytes, with the NUL */
#define SRV_PATH_MAX      128 /* bytes, with the NUL */
#define SRV_CTYPE_MAX     96  /* bytes, with the NUL */
#define SRV_SIZE_MAX      (64ULL << 20)
#define SRV_FILLER_PERIOD 4096 /* bodies larger than their site's repeat this much filler */
/* the cap of a site's model; --max-delay clamps each drawn delay at request time */
#define SRV_MODEL_CAP_US (3600ULL * 1000 * 1000)

struct srv_site {
	char name[SRV_NAME_MAX];
	char path[SRV_PATH_MAX]; /* "/naver": matches /naver and /naver/... */
	char hosts[SRV_HOSTS_MAX][SRV_HOST_MAX];
	size_t nhosts;
	struct latency_model model;
	uint64_t jitter_us;          /* uniform +- around the model's draw */
	uint64_t size;               /* body bytes */
	unsigned status;             /* the status when the script draws none */
	uint64_t bandwidth;          /* bytes per second of the body, 0 = at once */
	struct srv_script script;    /* weighted statuses, faults, fail_first, ... */
	uint64_t connect_delay_us;   /* added to the first request of each new connection */
	char redirect[SRV_HOST_MAX]; /* "": none; else a 301 to this host (some site's) */
	unsigned methods;            /* SRV_METHOD_* bits a site answers; 0 = every method */
	char content_type[SRV_CTYPE_MAX];
	uint64_t stream; /* rng_stream_of(name), set by srv_sites_finish */
	char *body;      /* size bytes of deterministic filler, owned */
	size_t body_len; /* == size */
};

struct srv_sites {
	struct srv_site site[SRV_SITES_MAX];
	size_t n;
	char *filler; /* SRV_FILLER_PERIOD bytes for bodies beyond a site's own, owned */
};

/* Fills *s with the built-in naver, google and apple sites. */
void srv_sites_builtin(struct srv_sites *s);

/* The site named name, or NULL. */
struct srv_site *srv_sites_get(struct srv_sites *s, const char *name);

/* A new site named name with defaults (path "/name", fixed 0 delay, 2 KiB text/html, 200);
 * NULL when the table is full. */
struct srv_site *srv_sites_add(struct srv_sites *s, const char *name);

/* Checks a site name: 1-31 of [a-z0-9_-], not starting with "__". 0 or -EINVAL. */
int srv_site_name_check(const char *name);

/* Cross-checks every site (model, unique names, paths, hosts, a redirect to a host some site
 * serves) and generates the bodies.
 * 0, or -EINVAL/-ENOMEM with a one-line message naming the site. */
int srv_sites_finish(struct srv_sites *s, char *err, size_t errlen);

/* The cross-checks of srv_sites_finish without the bodies: 0, or -EINVAL with the message. */
int srv_sites_check(const struct srv_sites *s, char *err, size_t errlen);

/* Frees the bodies (the table itself is the caller's). */
void srv_sites_free(struct srv_sites *s);

/* The site whose host list holds host (case-insensitive; a ":port" suffix is ignored), or
 * NULL (also for a NULL host). */
const struct srv_site *srv_sites_by_host(const struct srv_sites *s, const char *host);

/* The host a request for site with this Host header (":port" ignored) is redirected to, or
 * NULL: no redirect (none set, the Host is the target already, or not one of the site's
 * hosts -- a request routed by path is never redirected). */
const char *srv_site_redirect(const struct srv_site *site, const char *host);

/* The index of site, an entry of s, in s->site. */
size_t srv_sites_index(const struct srv_sites *s, const struct srv_site *site);

/* The site whose path prefix matches path ("/naver" or "/naver/..."), or NULL. */
const struct srv_site *srv_sites_by_path(const struct srv_sites *s, const char *path);

#define SRV_METHOD_FORMS "methods of GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS, comma separated"

/* The bit of method name m (GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS), 0 for another. */
unsigned srv_method_bit(const char *m);

/* Parses a comma or space separated list of methods into *mask; 0, or -EINVAL. */
int srv_methods_parse(const char *list, unsigned *mask);

/* mask as "GET, HEAD, ..." (an Allow header) into buf of len bytes; returns buf. */
char *srv_methods_format(unsigned mask, char *buf, size_t len);

/* Generates len bytes of a site's body: an HTML page of deterministic filler. */
void srv_body_fill(char *buf, size_t len, const char *site_name);

#endif
