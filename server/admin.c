/* admin.c -- the /__latlab/ endpoints: health, the live site table (and its runtime changes),
 * the counters as JSON and as Prometheus text, the request journal and the reset; and the
 * admin API's own listener when --admin ADDR:PORT moves it off the sites' port. */
#include "internal.h"

#include "units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINTS                                                                                  \
	"GET /__latlab/health, /__latlab/sites, /__latlab/stats, /__latlab/metrics, "              \
	"/__latlab/requests?site=&scenario=&limit=; POST /__latlab/reset; PUT or DELETE "          \
	"/__latlab/sites/NAME"
#define ADMIN_BODY_MAX (64 * 1024) /* a PUT's JSON */
#define KEYS_MAX       32

static json_t *site_json(const struct srv_site *s)
{
	static const char *const param_a[] = {"latency_us", "min_us", "mean_us", "median_us"};
	static const char *const param_b[] = {NULL, "max_us", "stddev_us", "p99_us"};
	json_t *o = json_object(), *hosts = json_array();
	char allow[96];

	for (size_t h = 0; h < s->nhosts; h++)
		json_array_append_new(hosts, json_string(s->hosts[h]));
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "path", json_string(s->path));
	json_object_set_new(o, "hosts", hosts);
	json_object_set_new(o, "model", json_string(latency_kind_name(s->model.kind)));
	json_object_set_new(o, param_a[s->model.kind], json_integer((json_int_t)s->model.a_us));
	if (param_b[s->model.kind])
		json_object_set_new(o, param_b[s->model.kind],
		                    json_integer((json_int_t)s->model.b_us));
	json_object_set_new(o, "jitter_us", json_integer((json_int_t)s->jitter_us));
	json_object_set_new(o, "size", json_integer((json_int_t)s->size));
	json_object_set_new(o, "status", json_integer(s->status));
	json_object_set_new(o, "content_type", srv_json_safe(s->content_type));
	json_object_set_new(o, "bandwidth", json_integer((json_int_t)s->bandwidth));
	json_object_set_new(
	        o, "methods",
	        json_string(s->methods ? srv_methods_format(s->methods, allow, sizeof(allow))
	                               : "any"));
	json_object_set_new(o, "scripted", json_boolean(s->script.has != 0));
	return o;
}

static json_t *sites_json(const struct srv_server *srv)
{
	json_t *root = json_object(), *arr = json_array();
	const struct srv_sites *sites = srv_live_sites(srv->live);

	for (size_t i = 0; i < sites->n; i++)
		if (sites->site[i].path[0]) /* not removed at runtime */
			json_array_append_new(arr, site_json(&sites->site[i]));
	json_object_set_new(root, "sites", arr);
	json_object_set_new(root, "seed", json_integer((json_int_t)srv->cfg->seed));
	json_object_set_new(root, "time_scale", json_real(srv->cfg->time_scale));
	json_object_set_new(root, "max_delay_us", json_integer((json_int_t)srv->cfg->max_delay_us));
	return root;
}

/* the value of query argument key, or NULL */
static const char *arg(struct MHD_Connection *conn, const char *key)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, key);
}

static enum MHD_Result requests(struct srv_server *srv, struct MHD_Connection *conn,
                                const char *method, const char *url)
{
	const char *limit = arg(conn, "limit");
	uint64_t n = SRV_JOURNAL_MAX;
	char why[160];

	if (limit && units_parse_u64(limit, 1, SRV_JOURNAL_MAX, &n, why, sizeof(why)) != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_BAD_REQUEST, why, "limit",
		                       "an integer from 1 to 1000000", method, url);
	json_t *root = json_object();
	json_object_set_new(root, "journal", json_integer((json_int_t)srv->cfg->journal));
	json_object_set_new(root, "requests",
	                    srv_journal_json(srv->journal, arg(conn, "site"), arg(conn, "scenario"),
	                                     (size_t)n));
	return srv_reply_json(srv, conn, MHD_HTTP_OK, root, method, url);
}

static enum MHD_Result reset(struct srv_server *srv, struct MHD_Connection *conn,
                             const char *method, const char *url)
{
	srv_stats_reset(&srv->stats);
	srv_scenarios_reset(srv->scenarios);
	srv_journal_clear(srv->journal);
	return srv_reply_json(srv, conn, MHD_HTTP_OK, json_pack("{s:b}", "reset", 1), method, url);
}

/* PUT /__latlab/sites/NAME with {"key": "value" or number, ...} */
static enum MHD_Result put_site(struct srv_server *srv, struct MHD_Connection *conn,
                                const char *name, const char *body, size_t len, const char *method,
                                const char *url)
{
	const char *keys[KEYS_MAX], *values[KEYS_MAX];
	char num[KEYS_MAX][32], err[320];
	json_error_t jerr;
	size_t n = 0;
	const char *k;
	json_t *v, *root = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root || !json_is_object(root) || json_object_size(root) > KEYS_MAX) {
		json_decref(root);
		return srv_reply_error(srv, conn, MHD_HTTP_BAD_REQUEST,
		                       "the body is not a JSON object of up to 32 keys", "body",
		                       "{\"latency\": \"250ms\", \"fault\": \"reset:0.1\", ...}",
		                       method, url);
	}
	json_object_foreach(root, k, v)
	{
		if (json_is_string(v))
			values[n] = json_string_value(v);
		else if (json_is_integer(v)) {
			snprintf(num[n], sizeof(num[n]), "%lld", (long long)json_integer_value(v));
			values[n] = num[n];
		} else {
			json_decref(root);
			return srv_reply_error(srv, conn, MHD_HTTP_BAD_REQUEST,
			                       "a value is neither a string nor an integer", k,
			                       "sites.ini values as strings, e.g. \"250ms\"",
			                       method, url);
		}
		keys[n++] = k;
	}
	int rc = srv_live_put(srv->live, name, keys, values, n, err, sizeof(err));
	json_decref(root);
	if (rc == -EINVAL || rc == -ENOSPC)
		return srv_reply_error(srv, conn, MHD_HTTP_BAD_REQUEST, err, name,
		                       "sites.ini keys and values", method, url);
	if (rc != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                       rc == -EBUSY ? "too many changes waiting for a quiet moment"
		                                    : "out of memory",
		                       NULL, "a retry once requests in flight have ended", method,
		                       url);
	return srv_reply_json(srv, conn, MHD_HTTP_OK, sites_json(srv), method, url);
}

static enum MHD_Result site_change(struct srv_server *srv, struct MHD_Connection *conn,
                                   const char *name, const char *body, size_t len,
                                   const char *method, const char *url)
{
	if (strcmp(method, "PUT") == 0)
		return put_site(srv, conn, name, body, len, method, url);
	if (strcmp(method, "DELETE") != 0)
		return srv_reply_not_allowed(srv, conn, "PUT, DELETE", method, url);
	int rc = srv_live_delete(srv->live, name);
	if (rc == -ENOENT)
		return srv_reply_error(srv, conn, MHD_HTTP_NOT_FOUND, "no such site", name,
		                       "a site of GET /__latlab/sites", method, url);
	if (rc != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                       "too many changes waiting for a quiet moment", NULL,
		                       "a retry once requests in flight have ended", method, url);
	return srv_reply_json(srv, conn, MHD_HTTP_OK, sites_json(srv), method, url);
}

/* 1 when conn came in on the admin API's own listener */
static int on_own_listener(struct MHD_Connection *conn, const struct srv_server *srv)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_DAEMON);
	return ci && srv->admin_daemon && ci->daemon == srv->admin_daemon;
}

static int is_get(const char *method)
{
	return strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
}

enum MHD_Result srv_admin(struct srv_server *srv, struct MHD_Connection *conn, const char *url,
                          const char *method, const char *body, size_t len)
{
	const char *what = url + strlen("/__latlab/");

	if (srv->cfg->admin != SRV_ADMIN_ON && !on_own_listener(conn, srv))
		return srv_reply_error(srv, conn, MHD_HTTP_NOT_FOUND,
		                       srv->cfg->admin == SRV_ADMIN_OFF
		                               ? "the admin API is off (--admin off)"
		                               : "the admin API has its own listener (--admin)",
		                       NULL, "--admin on", method, url);
	if (strncmp(what, "sites/", 6) == 0)
		return site_change(srv, conn, what + 6, body, len, method, url);
	if (strcmp(what, "reset") == 0)
		return strcmp(method, "POST") == 0
		               ? reset(srv, conn, method, url)
		               : srv_reply_not_allowed(srv, conn, "POST", method, url);
	if (!is_get(method))
		return srv_reply_not_allowed(srv, conn, "GET, HEAD", method, url);
	if (strcmp(what, "health") == 0)
		return srv_reply_json(
		        srv, conn, MHD_HTTP_OK,
		        json_pack("{s:s,s:s}", "status", "ok", "version", LATLAB_VERSION), method,
		        url);
	if (strcmp(what, "sites") == 0)
		return srv_reply_json(srv, conn, MHD_HTTP_OK, sites_json(srv), method, url);
	if (strcmp(what, "requests") == 0)
		return requests(srv, conn, method, url);
	if (strcmp(what, "stats") == 0)
		return srv_reply_text(srv, conn, MHD_HTTP_OK,
		                      srv_stats_json(&srv->stats, srv_live_sites(srv->live)),
		                      "application/json", method, url);
	if (strcmp(what, "metrics") == 0)
		return srv_reply_text(srv, conn, MHD_HTTP_OK,
		                      srv_stats_metrics(&srv->stats, srv_live_sites(srv->live)),
		                      "text/plain; version=0.0.4", method, url);
	return srv_reply_error(srv, conn, MHD_HTTP_NOT_FOUND, "unknown endpoint", NULL, ENDPOINTS,
	                       method, url);
}

int srv_admin_body(char **buf, size_t *len, const char *data, size_t n)
{
	if (*len + n > ADMIN_BODY_MAX)
		return -E2BIG;
	char *b = realloc(*buf, *len + n + 1);
	if (!b)
		return -ENOMEM;
	memcpy(b + *len, data, n);
	*len += n;
	b[*len] = '\0';
	*buf = b;
	return 0;
}

/* ---- the admin API's own listener (--admin ADDR:PORT) ----------------------------------- */

/* one admin request on the own listener: its body */
struct admin_req {
	char *body;
	size_t len;
	int too_big;
};

static enum MHD_Result admin_access(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version, const char *data,
                                    size_t *size, void **con_cls)
{
	struct srv_server *srv = cls;
	struct admin_req *a = *con_cls;
	(void)version;

	if (!a) {
		srv_stats_begin(&srv->stats); /* in flight: it may read the live table */
		if (!(a = calloc(1, sizeof(*a))))
			return MHD_NO;
		*con_cls = a;
		return MHD_YES;
	}
	if (*size) {
		if (srv_admin_body(&a->body, &a->len, data, *size) != 0)
			a->too_big = 1;
		*size = 0;
		return MHD_YES;
	}
	if (a->too_big)
		return srv_reply_error(srv, conn, MHD_HTTP_CONTENT_TOO_LARGE, "body too large",
		                       NULL, "a JSON body of at most 64 KiB", method, url);
	if (strncmp(url, "/__latlab/", 10) != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_NOT_FOUND, "unknown endpoint", NULL,
		                       ENDPOINTS, method, url);
	return srv_admin(srv, conn, url, method, a->body, a->len);
}

static void admin_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                            enum MHD_RequestTerminationCode toe)
{
	struct srv_server *srv = cls;
	struct admin_req *a = *con_cls;
	(void)conn;
	(void)toe;

	if (!a)
		return;
	free(a->body);
	free(a);
	*con_cls = NULL;
	uint64_t gen = srv_live_gen(srv->live);
	if (srv_stats_end(&srv->stats) == 0)
		srv_live_quiet(srv->live, gen);
	srv_server_changed(srv);
}

struct MHD_Daemon *srv_admin_listen(struct srv_server *srv, char *err, size_t errlen)
{
	const struct srv_config *cfg = srv->cfg;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;

	if (inet_pton(AF_INET, cfg->admin_addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)cfg->admin_port);
	} else if (inet_pton(AF_INET6, cfg->admin_addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)cfg->admin_port);
		flags |= MHD_USE_IPv6;
	}
	struct MHD_Daemon *d = MHD_start_daemon(flags, (uint16_t)cfg->admin_port, NULL, NULL,
	                                        admin_access, srv, MHD_OPTION_SOCK_ADDR,
	                                        (struct sockaddr *)&ss, MHD_OPTION_NOTIFY_COMPLETED,
	                                        admin_completed, srv, MHD_OPTION_CONNECTION_TIMEOUT,
	                                        (unsigned)cfg->idle_timeout_s, MHD_OPTION_END);
	if (!d)
		snprintf(err, errlen, "--admin: cannot listen on %s:%u", cfg->admin_addr,
		         cfg->admin_port);
	return d;
}
