/* admin.c -- the /__latlab/ endpoints: health, the site table, the counters as JSON and as
 * Prometheus text. Read-only: nothing here changes how requests are served. */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENDPOINTS "/__latlab/health, /__latlab/sites, /__latlab/stats, /__latlab/metrics"

static json_t *site_json(const struct srv_site *s)
{
	static const char *const param_a[] = {"latency_us", "min_us", "mean_us", "median_us"};
	static const char *const param_b[] = {NULL, "max_us", "stddev_us", "p99_us"};
	json_t *o = json_object(), *hosts = json_array();

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
	return o;
}

static json_t *sites_json(const struct srv_server *srv)
{
	json_t *root = json_object(), *arr = json_array();

	for (size_t i = 0; i < srv->sites->n; i++)
		json_array_append_new(arr, site_json(&srv->sites->site[i]));
	json_object_set_new(root, "sites", arr);
	json_object_set_new(root, "seed", json_integer((json_int_t)srv->cfg->seed));
	json_object_set_new(root, "time_scale", json_real(srv->cfg->time_scale));
	json_object_set_new(root, "max_delay_us", json_integer((json_int_t)srv->cfg->max_delay_us));
	return root;
}

/* the counters, with the finite sites' under "capacity" and the keep-alive connections given
 * up at the connection limit (malloc'd text, NULL on failure) */
static char *stats_json(struct srv_server *srv)
{
	char *text = srv_stats_json(&srv->stats, srv->sites);
	json_t *root = text ? json_loads(text, 0, NULL) : NULL;
	json_t *cap = srv_capacity_json(srv->capacity, srv->sites);

	free(text);
	text = NULL;
	if (root)
		json_object_set_new(root, "idle_given_up",
		                    json_integer((json_int_t)(srv_idle_given_up(srv->idle) +
		                                              srv_idle_given_up(srv->tls_idle))));
	if (root && cap && json_object_set(root, "capacity", cap) == 0)
		text = json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(9));
	json_decref(cap);
	json_decref(root);
	return text;
}

/* the Prometheus text, the finite sites' families last (malloc'd, NULL on failure) */
static char *metrics_text(struct srv_server *srv)
{
	char *base = srv_stats_metrics(&srv->stats, srv->sites), *buf = NULL;
	size_t len = 0;
	FILE *f = base ? open_memstream(&buf, &len) : NULL;

	if (f) {
		fputs(base, f);
		srv_capacity_metrics(srv->capacity, srv->sites, f);
		if (fclose(f) != 0) {
			free(buf);
			buf = NULL;
		}
	}
	free(base);
	return buf;
}

enum MHD_Result srv_admin(struct srv_server *srv, struct MHD_Connection *conn, const char *url,
                          const char *method)
{
	const char *what = url + strlen("/__latlab/");

	if (strcmp(what, "health") == 0)
		return srv_reply_json(
		        srv, conn, MHD_HTTP_OK,
		        json_pack("{s:s,s:s}", "status", "ok", "version", LATLAB_VERSION), method,
		        url);
	if (strcmp(what, "sites") == 0)
		return srv_reply_json(srv, conn, MHD_HTTP_OK, sites_json(srv), method, url);
	if (strcmp(what, "stats") == 0)
		return srv_reply_text(srv, conn, MHD_HTTP_OK, stats_json(srv), "application/json",
		                      method, url);
	if (strcmp(what, "metrics") == 0)
		return srv_reply_text(srv, conn, MHD_HTTP_OK, metrics_text(srv),
		                      "text/plain; version=0.0.4", method, url);
	return srv_reply_error(srv, conn, MHD_HTTP_NOT_FOUND, "unknown endpoint", NULL, ENDPOINTS,
	                       method, url);
}
