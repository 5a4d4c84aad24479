/* sites.c -- the site table: built-in stand-ins, lookup by host and path, body generation.
 * It does not parse files (config.c) or speak HTTP (request.c, reply.c). */
#include "sites.h"

#include "rng.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MS 1000ULL

/* The built-ins: medians and p99s chosen so that naver + google average ~163 ms a request
 * (lognormal mean = median * exp(sigma^2 / 2)): naver ~200 ms, google ~126 ms, so the
 * lecture's 100 sequential requests take ~16.3 s at time scale 1.0. */
struct builtin {
	const char *name;
	uint64_t median_us, p99_us;
	uint64_t size;
	const char *hosts[2];
};

static const struct builtin builtins[] = {
        {"naver", 190 * MS, 400 * MS, 160 * 1024, {"naver.com", "www.naver.com"}},
        {"google", 120 * MS, 250 * MS, 48 * 1024, {"google.com", "www.google.com"}},
        {"apple", 150 * MS, 320 * MS, 72 * 1024, {"apple.com", "www.apple.com"}},
};

int srv_site_name_check(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n >= SRV_NAME_MAX || strncmp(name, "__", 2) == 0)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
			return -EINVAL;
	}
	return 0;
}

struct srv_site *srv_sites_get(struct srv_sites *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->site[i].name, name) == 0)
			return &s->site[i];
	return NULL;
}

struct srv_site *srv_sites_add(struct srv_sites *s, const char *name)
{
	if (s->n == SRV_SITES_MAX || strlen(name) >= SRV_NAME_MAX)
		return NULL;
	struct srv_site *site = &s->site[s->n++];
	memset(site, 0, sizeof(*site));
	snprintf(site->name, sizeof(site->name), "%s", name);
	snprintf(site->path, sizeof(site->path), "/%s", name);
	site->model = (struct latency_model){LATENCY_FIXED, 0, 0, SRV_MODEL_CAP_US};
	site->size = 2048;
	site->status = 200;
	snprintf(site->content_type, sizeof(site->content_type), "text/html; charset=utf-8");
	return site;
}

void srv_sites_builtin(struct srv_sites *s)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
		const struct builtin *b = &builtins[i];
		struct srv_site *site = srv_sites_add(s, b->name);
		site->model = (struct latency_model){LATENCY_LOGNORMAL, b->median_us, b->p99_us,
		                                     SRV_MODEL_CAP_US};
		site->size = b->size;
		for (size_t h = 0; h < 2; h++)
			snprintf(site->hosts[site->nhosts++], SRV_HOST_MAX, "%s", b->hosts[h]);
	}
}

static const char filler_line[] = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
                                  "eiusmod tempor incididunt ut labore et dolore magna aliqua";

void srv_body_fill(char *buf, size_t len, const char *site_name)
{
	char head[256], foot[] = "</body>\n</html>\n", line[256];
	int hn = snprintf(head, sizeof(head),
	                  "<!DOCTYPE html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\">"
	                  "<title>%s - latlab stand-in</title></head>\n<body>\n",
	                  site_name);
	size_t h = hn > 0 ? (size_t)hn : 0, f = sizeof(foot) - 1, pos = 0;

	if (len < h + f) { /* too small for a page: a prefix of one */
		for (; pos < len; pos++)
			buf[pos] = pos < h ? head[pos] : foot[pos - h];
		return;
	}
	memcpy(buf, head, h);
	pos = h;
	for (unsigned k = 1; pos < len - f; k++) {
		int ln = snprintf(line, sizeof(line), "<p>%s %06u %s</p>\n", site_name, k % 1000000,
		                  filler_line);
		size_t n = ln > 0 ? (size_t)ln : 0;
		if (n > len - f - pos)
			n = len - f - pos;
		memcpy(buf + pos, line, n);
		pos += n;
	}
	memcpy(buf + pos, foot, f);
}

/* site has a host of n bytes equal to host (case-insensitive) */
static int has_host(const struct srv_site *site, const char *host, size_t n)
{
	for (size_t h = 0; h < site->nhosts; h++)
		if (strlen(site->hosts[h]) == n && strncasecmp(site->hosts[h], host, n) == 0)
			return 1;
	return 0;
}

const char *srv_site_redirect(const struct srv_site *site, const char *host)
{
	if (!site->redirect[0] || !host || host[0] == '[')
		return NULL;
	size_t n = strcspn(host, ":");
	if (strlen(site->redirect) == n && strncasecmp(site->redirect, host, n) == 0)
		return NULL;
	return has_host(site, host, n) ? site->redirect : NULL;
}

static int fail(char *err, size_t errlen, int code, const char *site, const char *msg)
{
	snprintf(err, errlen, "site '%s': %s", site, msg);
	return code;
}

int srv_sites_check(const struct srv_sites *s, char *err, size_t errlen)
{
	char why[160];

	if (s->n == 0) {
		snprintf(err, errlen, "no sites defined");
		return -EINVAL;
	}
	for (size_t i = 0; i < s->n; i++) {
		const struct srv_site *a = &s->site[i];
		if (latency_validate(&a->model, why, sizeof(why)) != 0)
			return fail(err, errlen, -EINVAL, a->name, why);
		if (a->redirect[0] && !srv_sites_by_host(s, a->redirect)) {
			snprintf(why, sizeof(why), "redirect '%s' is no site's host", a->redirect);
			return fail(err, errlen, -EINVAL, a->name, why);
		}
		for (size_t j = 0; j < i; j++) {
			const struct srv_site *b = &s->site[j];
			if (a->path[0] && strcmp(a->path, b->path) == 0) {
				snprintf(why, sizeof(why), "path '%s' is also site '%s''s", a->path,
				         b->name);
				return fail(err, errlen, -EINVAL, a->name, why);
			}
			for (size_t x = 0; x < a->nhosts; x++)
				for (size_t y = 0; y < b->nhosts; y++)
					if (strcasecmp(a->hosts[x], b->hosts[y]) == 0) {
						snprintf(why, sizeof(why),
						         "host '%s' is also site '%s''s",
						         a->hosts[x], b->name);
						return fail(err, errlen, -EINVAL, a->name, why);
					}
		}
	}
	return 0;
}

int srv_sites_finish(struct srv_sites *s, char *err, size_t errlen)
{
	int rc = srv_sites_check(s, err, errlen);

	if (rc != 0)
		return rc;
	if (!s->filler && !(s->filler = malloc(SRV_FILLER_PERIOD)))
		return fail(err, errlen, -ENOMEM, "*", "out of memory");
	srv_body_fill(s->filler, SRV_FILLER_PERIOD, "latlab");
	for (size_t i = 0; i < s->n; i++) {
		struct srv_site *a = &s->site[i];
		free(a->body);
		a->body = malloc(a->size ? a->size : 1);
		if (!a->body)
			return fail(err, errlen, -ENOMEM, a->name, "out of memory for the body");
		srv_body_fill(a->body, a->size, a->name);
		a->body_len = a->size;
		a->stream = rng_stream_of(a->name);
	}
	return 0;
}

void srv_sites_free(struct srv_sites *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->site[i].body);
		s->site[i].body = NULL;
	}
	free(s->filler);
	s->filler = NULL;
}

const struct srv_site *srv_sites_by_host(const struct srv_sites *s, const char *host)
{
	if (!host)
		return NULL;
	size_t n = strcspn(host, ":");
	if (host[0] == '[') /* an IPv6 literal is never a site's host */
		return NULL;
	for (size_t i = 0; i < s->n; i++)
		if (has_host(&s->site[i], host, n))
			return &s->site[i];
	return NULL;
}

size_t srv_sites_index(const struct srv_sites *s, const struct srv_site *site)
{
	return (size_t)(site - s->site);
}

const struct srv_site *srv_sites_by_path(const struct srv_sites *s, const char *path)
{
	const struct srv_site *best = NULL;
	size_t best_len = 0;

	if (!path)
		return NULL;
	/* the longest matching prefix wins, so a site on "/" is a catch-all */
	for (size_t i = 0; i < s->n; i++) {
		const char *p = s->site[i].path;
		size_t n = strlen(p);
		if (n == 0 || n <= best_len || strncmp(path, p, n) != 0)
			continue;
		if (path[n] == '\0' || path[n] == '/' || p[n - 1] == '/') {
			best = &s->site[i];
			best_len = n;
		}
	}
	return best;
}

static const char *const method_names[] = {"GET",   "HEAD",   "POST",   "PUT",
                                           "PATCH", "DELETE", "OPTIONS"};
#define NMETHODS (sizeof(method_names) / sizeof(method_names[0]))

unsigned srv_method_bit(const char *m)
{
	for (unsigned i = 0; i < NMETHODS; i++)
		if (strcmp(m, method_names[i]) == 0)
			return 1u << i;
	return 0;
}

int srv_methods_parse(const char *list, unsigned *mask)
{
	char buf[128], *save = NULL;
	unsigned bits = 0;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *m = strtok_r(buf, ", \t", &save); m; m = strtok_r(NULL, ", \t", &save)) {
		unsigned bit = srv_method_bit(m);
		if (!bit)
			return -EINVAL;
		bits |= bit;
	}
	if (!bits)
		return -EINVAL;
	*mask = bits;
	return 0;
}

char *srv_methods_format(unsigned mask, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < NMETHODS && off < len; i++)
		if (mask & (1u << i))
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? ", " : "",
			                        method_names[i]);
	return buf;
}
