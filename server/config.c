/* config.c -- defaults and the sites.ini reader (inih): validates every key, names file, line
 * and key in its one-line errors. It does not start anything. */
#include "config.h"

#include "units.h"

#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void srv_config_defaults(struct srv_config *c)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(c, 0, sizeof(*c));
	c->listen = "127.0.0.1";
	c->port = 8080;
	c->seed = 1;
	c->time_scale = 1.0;
	c->max_delay_us = 60ULL * 1000 * 1000;
	c->grace_us = 10ULL * 1000 * 1000;
	c->idle_timeout_s = 15;
	c->threads = cpus > 0 && cpus < 64 ? (unsigned)cpus : 2;
	c->max_connections = 16384;
	c->conn_memory = 6 * 1024;
	c->https_port = -1;
	c->max_body = 64ULL << 20;
	c->journal = 10000;
}

/* latency keys seen in one site's section(s), resolved into a model after the whole file */
enum { K_MODEL = 1, K_LATENCY = 2, K_P99 = 4, K_MIN = 8, K_MAX = 16, K_STDDEV = 32 };

struct site_keys {
	unsigned set;
	enum latency_kind kind;
	uint64_t latency, p99, min, max, stddev;
	int line; /* the last latency key's line, for cross-field errors */
};

/* the model's duration keys: where each goes in struct site_keys, and its K_ bit */
struct model_key {
	const char *name;
	size_t offset;
	unsigned bit;
};

static const struct model_key model_keys[] = {
        {"latency", offsetof(struct site_keys, latency), K_LATENCY},
        {"median", offsetof(struct site_keys, latency), K_LATENCY},
        {"mean", offsetof(struct site_keys, latency), K_LATENCY},
        {"p99", offsetof(struct site_keys, p99), K_P99},
        {"min", offsetof(struct site_keys, min), K_MIN},
        {"max", offsetof(struct site_keys, max), K_MAX},
        {"stddev", offsetof(struct site_keys, stddev), K_STDDEV},
};

static const struct model_key *model_key(const char *name)
{
	for (size_t i = 0; i < sizeof(model_keys) / sizeof(model_keys[0]); i++)
		if (strcmp(name, model_keys[i].name) == 0)
			return &model_keys[i];
	return NULL;
}

struct parse {
	const char *path;
	FILE *f;
	int line;      /* the line inih is on: counted by our reader */
	int long_line; /* first line longer than inih's buffer, 0 when none */
	struct srv_sites *sites;
	struct site_keys keys[SRV_SITES_MAX];
	char *err;
	size_t errlen;
	bool failed;
};

/* fgets for inih that counts lines and notices lines too long for inih's buffer */
static char *read_line(char *str, int num, void *stream)
{
	struct parse *p = stream;
	char *s = fgets(str, num, p->f);

	if (!s)
		return NULL;
	p->line++;
	size_t n = strlen(s);
	if (n > 0 && s[n - 1] != '\n' && !feof(p->f)) {
		int c;
		if (!p->long_line)
			p->long_line = p->line;
		while ((c = fgetc(p->f)) != EOF && c != '\n')
			;
	}
	return s;
}

static int key_fail(struct parse *p, int line, const char *key, const char *accepted,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int key_fail(struct parse *p, int line, const char *key, const char *accepted,
                    const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (p->failed)
		return 0; /* keep the first error */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (p->path)
		snprintf(p->err, p->errlen, "%s:%d: key '%s': %s; accepted: %s", p->path, line, key,
		         msg, accepted);
	else /* keys given at runtime */
		snprintf(p->err, p->errlen, "key '%s': %s; accepted: %s", key, msg, accepted);
	p->failed = true;
	return 0;
}

static int parse_duration_key(struct parse *p, const char *key, const char *value, uint64_t *out)
{
	const char *acc = "a duration from 0 to 1h, e.g. 250ms (--max-delay clamps each delay)";
	char why[160];

	if (units_parse_duration(value, out, why, sizeof(why)) != 0)
		return key_fail(p, p->line, key, acc, "%s", why);
	if (*out > SRV_MODEL_CAP_US)
		return key_fail(p, p->line, key, acc, "'%s' exceeds the maximum delay", value);
	return 1;
}

/* a host name: letters, digits, '.', '-', '_' */
static int host_ok(const char *h)
{
	for (const char *c = h; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '.' || *c == '-' || *c == '_'))
			return 0;
	return 1;
}

static int set_hosts(struct parse *p, struct srv_site *site, const char *value)
{
	const char *acc = "up to 8 host names separated by commas or spaces, e.g. "
	                  "naver.com, www.naver.com";
	char buf[SRV_HOSTS_MAX * SRV_HOST_MAX];
	char *save = NULL;

	if (strlen(value) >= sizeof(buf))
		return key_fail(p, p->line, "hosts", acc, "list too long");
	snprintf(buf, sizeof(buf), "%s", value);
	site->nhosts = 0;
	for (char *h = strtok_r(buf, ", \t", &save); h; h = strtok_r(NULL, ", \t", &save)) {
		if (site->nhosts == SRV_HOSTS_MAX)
			return key_fail(p, p->line, "hosts", acc, "more than 8 hosts");
		if (strlen(h) >= SRV_HOST_MAX)
			return key_fail(p, p->line, "hosts", acc, "host '%.40s...' too long", h);
		if (!host_ok(h))
			return key_fail(p, p->line, "hosts", acc, "invalid character in host '%s'",
			                h);
		snprintf(site->hosts[site->nhosts++], SRV_HOST_MAX, "%s", h);
	}
	return 1;
}

static int set_redirect(struct parse *p, struct srv_site *site, const char *value)
{
	const char *acc = "a host some site serves, e.g. www.naver.com (a request for this "
	                  "site's other hosts gets 301 to it), or empty for none";

	if (strlen(value) >= SRV_HOST_MAX || !host_ok(value))
		return key_fail(p, p->line, "redirect", acc, "invalid host '%.64s'", value);
	snprintf(site->redirect, sizeof(site->redirect), "%s", value);
	return 1;
}

static int set_path(struct parse *p, struct srv_site *site, const char *value)
{
	const char *acc = "an absolute URL path of up to 127 characters without spaces, '?' or "
	                  "'#', e.g. /naver";

	if (value[0] != '/' || strlen(value) >= SRV_PATH_MAX)
		return key_fail(p, p->line, "path", acc, "invalid path '%.64s'", value);
	if (strncmp(value, "/__latlab", 9) == 0)
		return key_fail(p, p->line, "path", acc, "/__latlab is reserved");
	for (const char *c = value; *c; c++)
		if (*c <= ' ' || *c == '?' || *c == '#' || *c == 127)
			return key_fail(p, p->line, "path", acc, "invalid path '%.64s'", value);
	snprintf(site->path, sizeof(site->path), "%s", value);
	return 1;
}

static int set_content_type(struct parse *p, struct srv_site *site, const char *value)
{
	const char *acc = "a media type of up to 95 printable characters, e.g. text/html; "
	                  "charset=utf-8";

	if (!*value || strlen(value) >= SRV_CTYPE_MAX || !strchr(value, '/'))
		return key_fail(p, p->line, "content_type", acc, "invalid content type '%.64s'",
		                value);
	for (const char *c = value; *c; c++)
		if (*c < ' ' || *c == 127)
			return key_fail(p, p->line, "content_type", acc, "control character");
	snprintf(site->content_type, sizeof(site->content_type), "%s", value);
	return 1;
}

/* the keys of how a site answers: methods, bandwidth and the script's (status, fault, ...);
 * inih's 1 or 0 (error noted), or -1 when name is none of them */
static int set_traffic_key(struct parse *p, struct srv_site *site, const char *name,
                           const char *value)
{
	const char *acc;
	char why[160];
	uint64_t v;
	int rc;

	if (strcmp(name, "methods") == 0) {
		if (srv_methods_parse(value, &site->methods) != 0)
			return key_fail(p, p->line, name, SRV_METHOD_FORMS,
			                "invalid methods '%.60s'", value);
		return 1;
	}
	if (strcmp(name, "bandwidth") == 0) {
		if (units_parse_size(value, &v, why, sizeof(why)) != 0 || v < 1 || v > (1ULL << 30))
			return key_fail(p, p->line, name,
			                "bytes per second from 1 to 1GiB, e.g. 10KiB",
			                "invalid bandwidth '%.40s'", value);
		site->bandwidth = v;
		return 1;
	}
	rc = srv_script_set(&site->script, name, value, SRV_MODEL_CAP_US, why, sizeof(why), &acc);
	if (rc == 0)
		return -1;
	if (rc < 0)
		return key_fail(p, p->line, name, acc, "%s", why);
	struct srv_choice *st = &site->script.status;
	if (strcmp(name, "status") == 0 && st->n == 1 && st->cum[0] >= 1.0) {
		site->status = st->what[0]; /* one status: the site's own */
		site->script.has &= ~SRV_SCRIPT_STATUS;
	}
	return 1;
}

static int on_key(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;
	char why[160];
	uint64_t v;

	if (p->failed)
		return 0;
	if (p->long_line)
		return key_fail(p, p->long_line, name, "lines of at most 196 characters",
		                "line too long");
	if (!*section)
		return key_fail(p, p->line, name, "keys inside a [site] section",
		                "key outside any [site] section");
	if (srv_site_name_check(section) != 0)
		return key_fail(p, p->line, name,
		                "section names of 1-31 characters a-z, 0-9, '_' or '-', not "
		                "starting with '__'",
		                "invalid site name '[%.40s]'", section);
	struct srv_site *site = srv_sites_get(p->sites, section);
	if (!site && !(site = srv_sites_add(p->sites, section)))
		return key_fail(p, p->line, name, "at most 32 sites", "too many sites");
	struct site_keys *k = &p->keys[site - p->sites->site];
	const struct model_key *mk;
	int rc;

	if (strcmp(name, "model") == 0) {
		if (latency_kind_parse(value, &k->kind) != 0)
			return key_fail(p, p->line, name, LATENCY_KIND_FORMS,
			                "unknown model '%.40s'", value);
		k->set |= K_MODEL;
	} else if ((mk = model_key(name)) != NULL) {
		if (!parse_duration_key(p, name, value, (uint64_t *)((char *)k + mk->offset)))
			return 0;
		k->set |= mk->bit;
	} else if (strcmp(name, "jitter") == 0) {
		return parse_duration_key(p, name, value, &site->jitter_us);
	} else if (strcmp(name, "size") == 0) {
		if (units_parse_size(value, &v, why, sizeof(why)) != 0 || v > SRV_SIZE_MAX)
			return key_fail(p, p->line, name, "a size from 0 to 64MiB, e.g. 28KiB",
			                "invalid size '%.40s'", value);
		site->size = v;
		return 1;
	} else if ((rc = set_traffic_key(p, site, name, value)) >= 0) {
		return rc;
	} else if (strcmp(name, "connect_delay") == 0) {
		return parse_duration_key(p, name, value, &site->connect_delay_us);
	} else if (strcmp(name, "redirect") == 0) {
		return set_redirect(p, site, value);
	} else if (strcmp(name, "hosts") == 0) {
		return set_hosts(p, site, value);
	} else if (strcmp(name, "path") == 0) {
		return set_path(p, site, value);
	} else if (strcmp(name, "content_type") == 0) {
		return set_content_type(p, site, value);
	} else {
		return key_fail(
		        p, p->line, name,
		        "model, latency, median, mean, p99, min, max, stddev, jitter, size, "
		        "status, fault, fail_first, fail_status, sequence, stall_after, ttfb, "
		        "bandwidth, methods, connect_delay, redirect, hosts, path, content_type",
		        "unknown key");
	}
	k->line = p->line;
	return 1;
}

/* Turns the latency keys of one site into its model; 0 or -EINVAL (p->err set). */
static int resolve_model(struct parse *p, struct srv_site *site, const struct site_keys *k)
{
	static const char *const takes[] = {"fixed takes latency", "uniform takes min and max",
	                                    "normal takes mean (latency) and stddev",
	                                    "lognormal takes median (latency) and p99"};
	struct latency_model m = site->model;
	enum latency_kind kind;
	char why[160];

	if (!k->set)
		return 0;
	if (k->set & K_MODEL)
		kind = k->kind;
	else if (k->set & K_P99)
		kind = LATENCY_LOGNORMAL;
	else if (k->set & (K_MIN | K_MAX))
		kind = LATENCY_UNIFORM;
	else if (k->set & K_STDDEV)
		kind = LATENCY_NORMAL;
	else
		kind = LATENCY_FIXED;
	unsigned allowed[] = {K_MODEL | K_LATENCY, K_MODEL | K_MIN | K_MAX,
	                      K_MODEL | K_LATENCY | K_STDDEV, K_MODEL | K_LATENCY | K_P99};
	if (k->set & ~allowed[kind]) {
		key_fail(p, k->line, "model", takes[kind], "keys of another model in [%s]",
		         site->name);
		return -EINVAL;
	}
	bool same = kind == site->model.kind; /* unspecified values keep the old model's */
	m.kind = kind;
	m.cap_us = SRV_MODEL_CAP_US;
	switch (kind) {
	case LATENCY_FIXED:
		m.a_us = (k->set & K_LATENCY) ? k->latency : same ? m.a_us : 0;
		m.b_us = 0;
		break;
	case LATENCY_UNIFORM:
		m.a_us = (k->set & K_MIN) ? k->min : same ? m.a_us : 0;
		m.b_us = (k->set & K_MAX) ? k->max : same ? m.b_us : m.a_us;
		break;
	case LATENCY_NORMAL:
		m.a_us = (k->set & K_LATENCY) ? k->latency : same ? m.a_us : 0;
		m.b_us = (k->set & K_STDDEV) ? k->stddev : same ? m.b_us : 0;
		break;
	case LATENCY_LOGNORMAL:
		m.a_us = (k->set & K_LATENCY) ? k->latency : same ? m.a_us : 0;
		m.b_us = (k->set & K_P99) ? k->p99 : same ? m.b_us : m.a_us;
		break;
	}
	if (latency_validate(&m, why, sizeof(why)) != 0) {
		key_fail(p, k->line, "model", takes[kind], "[%s]: %s", site->name, why);
		return -EINVAL;
	}
	site->model = m;
	return 0;
}

int srv_config_load(const char *path, struct srv_sites *sites, char *err, size_t errlen)
{
	struct parse p = {.path = path, .sites = sites, .err = err, .errlen = errlen};
	int rc;

	p.f = fopen(path, "r");
	if (!p.f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -ENOENT;
	}
	rc = ini_parse_stream(read_line, &p, on_key, &p);
	fclose(p.f);
	if (p.failed)
		return -EINVAL;
	if (p.long_line) {
		snprintf(err, errlen,
		         "%s:%d: line too long; accepted: lines of at most 196 characters", path,
		         p.long_line);
		return -EINVAL;
	}
	if (rc != 0) {
		snprintf(err, errlen,
		         "%s:%d: syntax error; accepted: [site], key = value, ; comment", path, rc);
		return -EINVAL;
	}
	for (size_t i = 0; i < sites->n; i++)
		if (resolve_model(&p, &sites->site[i], &p.keys[i]) != 0)
			return -EINVAL;
	return 0;
}

int srv_config_apply(struct srv_sites *sites, const char *name, const char *const *keys,
                     const char *const *values, size_t n, char *err, size_t errlen)
{
	struct parse p = {.sites = sites, .err = err, .errlen = errlen};

	for (size_t i = 0; i < n && !p.failed; i++)
		on_key(&p, name, keys[i], values[i]);
	if (p.failed)
		return -EINVAL;
	struct srv_site *site = srv_sites_get(sites, name);
	if (site && resolve_model(&p, site, &p.keys[site - sites->site]) != 0)
		return -EINVAL;
	return 0;
}
