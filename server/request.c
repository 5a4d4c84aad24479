/* request.c -- the request path: one struct req per request, from its head to its completion.
 * Routes by Host or path prefix, validates the overrides, draws the delay, then answers at
 * once (no delay) or suspends the connection until the timer resumes it; a finite site's
 * request may first wait, suspended, for a slot (capacity.h). Never sleeps. What
 * an answer holds is reply.c's; /__latlab/ is admin.c's. */
#include "internal.h"

#include "clock.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct args {
	struct srv_overrides *o;
	uint64_t max_delay_us;
	struct srv_param_error *e;
	int failed;
	int strict;    /* unknown parameters are errors */
	char *ignored; /* else their names, comma separated (sizeof(struct req) ignored) */
};

/* adds key to the X-Latlab-Ignored list: header-safe characters only, bounded */
static void note_ignored(char *list, size_t cap, const char *key)
{
	size_t off = strlen(list);

	if (off + 4 >= cap)
		return;
	if (off)
		list[off++] = ',';
	for (const char *c = key; *c && off + 4 < cap; c++)
		list[off++] = ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		               (*c >= '0' && *c <= '9') || strchr("._-", *c))
		                      ? *c
		                      : '?';
	if (off + 4 >= cap) { /* cut short: say so */
		memcpy(list + off, "...", 3);
		off += 3;
	}
	list[off] = '\0';
}

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
	struct args *a = cls;
	(void)kind;
	if (!a->strict && key && *key && !srv_query_known(key)) {
		note_ignored(a->ignored, sizeof(((struct req *)0)->ignored), key);
		return MHD_YES;
	}
	if (srv_query_apply(a->o, key, value, a->max_delay_us, a->e) != 0) {
		a->failed = 1;
		return MHD_NO; /* stop at the first bad parameter */
	}
	return MHD_YES;
}

/* the query overrides, then X-Latlab-Seq unless seq= came; 0, or -EINVAL with *e filled */
static int read_overrides(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                          struct srv_param_error *e)
{
	struct srv_overrides *o = &r->o;
	struct args a = {o, srv->cfg->max_delay_us, e, 0, srv->cfg->strict_query, r->ignored};

	*o = (struct srv_overrides){0};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
	if (a.failed)
		return -EINVAL;
	if (!(o->has & SRV_HAS_SEQ)) {
		const char *hseq =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, SRV_SEQ_HEADER);
		if (hseq && srv_query_seq_header(o, hseq, e) != 0)
			return -EINVAL;
	}
	return 0;
}

/* r's answer once its delay is over: the site's redirect or its response (a scripted fault
 * wins over the redirect) */
static enum MHD_Result answer(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                              const char *method, const char *url)
{
	if (r->redirect && r->verdict.fault == SRV_FAULT_NONE)
		return srv_reply_redirect(srv, conn, r, method, url);
	return srv_reply_site(srv, conn, r, method, url);
}

/* marks conn's connection busy (a request head came in) or idle in keep-alive (idle.h) */
static void idle_mark(struct srv_server *srv, struct MHD_Connection *conn, int busy)
{
	struct srv_conn *c = conn ? srv_conn_of(conn) : NULL;

	if (!c)
		return;
	if (busy)
		srv_idle_busy(c->tls ? srv->tls_idle : srv->idle, c->idle);
	else
		srv_idle_rest(c->tls ? srv->tls_idle : srv->idle, c->idle);
}

/* a piece of the request body: counted and hashed, never kept; beyond --max-body only counted */
static void body_piece(struct srv_server *srv, struct req *r, const char *data, size_t n)
{
	r->body_bytes += n;
	if (r->body_bytes > srv->cfg->max_body) {
		r->body_too_big = 1;
		return;
	}
	if (!r->hash && gnutls_hash_init(&r->hash, GNUTLS_DIG_SHA256) != 0) {
		r->hash = NULL;
		return;
	}
	gnutls_hash(r->hash, data, n);
}

static void body_done(struct req *r)
{
	unsigned char d[32];

	gnutls_hash_deinit(r->hash, d);
	r->hash = NULL;
	for (int i = 0; i < 32; i++)
		snprintf(r->body_sha256 + 2 * i, 3, "%02x", d[i]);
}

/* r's k: seq= or X-Latlab-Seq, else the next of its scenario (X-Latlab-Scenario), else the
 * next of its site. 0, or -EINVAL with *e filled. */
static int number(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                  struct srv_param_error *e)
{
	r->scenario = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, SRV_SCENARIO_HEADER);
	if (r->scenario && srv_scenario_name_check(r->scenario) != 0) {
		snprintf(e->param, sizeof(e->param), "%s", SRV_SCENARIO_HEADER);
		snprintf(e->error, sizeof(e->error), "invalid scenario name");
		snprintf(e->accepted, sizeof(e->accepted), "%s", SRV_SCENARIO_FORMS);
		return -EINVAL;
	}
	if (r->o.has & SRV_HAS_SEQ) {
		r->seq = r->o.seq;
		return 0;
	}
	if (!r->scenario) {
		r->seq = srv_stats_next_seq(&srv->stats, srv_sites_index(r->sites, r->site));
		return 0;
	}
	if (srv_scenarios_next(srv->scenarios, r->scenario, &r->seq) != 0) {
		snprintf(e->param, sizeof(e->param), "%s", SRV_SCENARIO_HEADER);
		snprintf(e->error, sizeof(e->error), "too many scenarios (%d)", SRV_SCENARIOS_MAX);
		snprintf(e->accepted, sizeof(e->accepted), "POST /__latlab/reset forgets them");
		return -EINVAL;
	}
	return 0;
}

/* the request's or its site's ttfb, scaled and capped like a delay; 0 when none */
static uint64_t ttfb_of(const struct srv_config *cfg, const struct srv_site *site,
                        const struct srv_overrides *o)
{
	const struct srv_script *s = (o->script.has & SRV_SCRIPT_TTFB)      ? &o->script
	                             : (site->script.has & SRV_SCRIPT_TTFB) ? &site->script
	                                                                    : NULL;
	if (!s)
		return 0;
	double d = (double)s->ttfb_us * cfg->time_scale;
	return d >= (double)cfg->max_delay_us ? cfg->max_delay_us : (uint64_t)d;
}

/* refuses r with status: journaled (with status), then error (a JSON error, or NULL when
 * the reply was queued already) */
static enum MHD_Result refuse(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                              const char *url, const char *method, unsigned status,
                              const struct srv_param_error *e)
{
	srv_trail_arrive(srv, conn, r, url, method, status);
	r->sent_status = status;
	r->answered_us = clock_now_us();
	return srv_reply_error(srv, conn, status, e->error,
	                       status == MHD_HTTP_BAD_REQUEST ? e->param : NULL, e->accepted,
	                       method, url);
}

/* the site of r by Host, else by path; NULL when refused (*rc: the refusal's) */
static const struct srv_site *route(struct srv_server *srv, struct MHD_Connection *conn,
                                    struct req *r, const char *url, const char *method,
                                    enum MHD_Result *rc)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const struct srv_site *site = srv_sites_by_host(r->sites, host);
	char allow[96];

	if (!site && !(site = srv_sites_by_path(r->sites, url))) {
		srv_trail_arrive(srv, conn, r, url, method, MHD_HTTP_NOT_FOUND);
		r->sent_status = MHD_HTTP_NOT_FOUND;
		*rc = srv_reply_unknown_site(srv, conn, url, host, method);
		return NULL;
	}
	if (site->methods && !(site->methods & srv_method_bit(method))) {
		r->site = site;
		srv_trail_arrive(srv, conn, r, url, method, MHD_HTTP_METHOD_NOT_ALLOWED);
		r->sent_status = MHD_HTTP_METHOD_NOT_ALLOWED;
		*rc = srv_reply_not_allowed(srv, conn,
		                            srv_methods_format(site->methods, allow, sizeof(allow)),
		                            method, url);
		return NULL;
	}
	return site;
}

/* the request is complete: route, validate, then answer now or suspend until the delay */
static enum MHD_Result handle(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                              const char *url, const char *method)
{
	const struct srv_config *cfg = srv->cfg;
	struct srv_param_error e = {{0}, {0}, {0}};
	enum MHD_Result rc = MHD_NO;
	struct srv_conn *c = srv_conn_of(conn);
	int first = c && c->requests++ == 0; /* a new connection's first request */

	r->state = REQ_ANSWERED;
	if (strncmp(url, "/__latlab/", 10) == 0 && !r->body_too_big)
		return srv_admin(srv, conn, url, method, r->admin_body, r->admin_len);
	if (r->body_too_big) {
		snprintf(e.error, sizeof(e.error), "request body too large");
		snprintf(e.accepted, sizeof(e.accepted),
		         "a request body of at most %llu bytes (--max-body)",
		         (unsigned long long)cfg->max_body);
		return refuse(srv, conn, r, url, method, MHD_HTTP_CONTENT_TOO_LARGE, &e);
	}
	r->sites = srv_live_sites(srv->live); /* one atomic load: this table for good */
	const struct srv_site *site = route(srv, conn, r, url, method, &rc);
	if (!site)
		return rc;
	r->site = site;
	if (read_overrides(srv, conn, r, &e) != 0 || number(srv, conn, r, &e) != 0)
		return refuse(srv, conn, r, url, method, MHD_HTTP_BAD_REQUEST, &e);
	r->delay_us =
	        srv_delay_of(site, &r->o, cfg->seed, r->seq, cfg->time_scale, cfg->max_delay_us);
	if (first) { /* the round trips of the connection's set-up, paid once */
		r->delay_us +=
		        srv_connect_delay_of(site, &r->o, cfg->time_scale, cfg->max_delay_us);
		if (r->delay_us > cfg->max_delay_us)
			r->delay_us = cfg->max_delay_us;
	}
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	r->redirect = srv_site_redirect(site, host) != NULL;
	r->verdict = srv_script_decide(&site->script, &r->o.script, site->status, cfg->seed,
	                               site->stream, r->seq);
	r->ttfb_us = ttfb_of(cfg, site, &r->o);
	uint64_t wait = r->verdict.fault == SRV_FAULT_TIMEOUT ? cfg->max_delay_us
	                : r->ttfb_us                          ? r->ttfb_us
	                                                      : r->delay_us;
	int stopping = atomic_load_explicit(&srv->stopping, memory_order_relaxed);
	if (stopping)
		wait = r->delay_us = r->ttfb_us = 0;
	srv_trail_arrive(srv, conn, r, url, method, r->verdict.fault ? 0 : r->verdict.status);
	r->method = method;
	r->url = url;
	if (!stopping && srv_slot_finite(r)) /* a finite site: the capacity decision first */
		return srv_slot_wait(srv, conn, r, wait);
	if (wait == 0) /* no delay, or a fault with none: answer (or misbehave) now */
		return answer(srv, conn, r, method, url);

	if (r->verdict.fault == SRV_FAULT_TIMEOUT) {
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&srv->stats.delay_us_sum, r->delay_us, memory_order_relaxed);
	r->deadline_us = clock_now_us() + wait;
	r->state = REQ_SUSPENDED;
	srv_suspend_until(srv, conn, r->deadline_us, 1);
	return MHD_YES;
}

/* the timer resumed r: its delay is over, or the server is stopping */
static enum MHD_Result resumed(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                               const char *url, const char *method)
{
	uint64_t now = clock_now_us();

	r->state = REQ_RESUMED;
	if (r->slot == SLOT_REJECTED)
		return srv_reply_overload(srv, conn, r, method, url);
	srv_slot_leave(srv, r); /* the delay is over (or cut): the next in the queue starts now */
	/* resumed before its deadline: a stop (every held request is resumed) or its client
	 * left (the timer watches the socket). Either way the connection closes, never
	 * answered early as if its delay had passed. */
	if (now < r->deadline_us) {
		r->outcome = atomic_load_explicit(&srv->stopping, memory_order_relaxed)
		                     ? OUT_CUT_AT_STOP
		                     : OUT_CLIENT_GONE;
		return srv_reply_none(srv, conn, r, method, url);
	}
	srv_stats_late(&srv->stats, now > r->deadline_us ? now - r->deadline_us : 0);
	return answer(srv, conn, r, method, url);
}

/* Called once when the request head is in (answered later, so keep-alive survives: a
 * response queued before the request is complete makes libmicrohttpd close the connection),
 * once per piece of body (discarded), once when the request is complete (route, validate,
 * answer or suspend), and once more after a resume (answer). */
enum MHD_Result srv_request_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls)
{
	struct srv_server *srv = cls;
	struct req *r = *con_cls;
	(void)version;

	if (!r) {
		idle_mark(srv, conn, 1);
		srv_stats_begin(&srv->stats);
		if (!(r = malloc(sizeof(*r))))
			return MHD_NO; /* the completion callback still counts it out */
		r->state = REQ_HEAD;
		r->outcome = OUT_PENDING;
		r->held = r->redirect = 0;
		r->slot = SLOT_NONE;
		r->queue_us = 0;
		r->body_bytes = 0;
		r->body_too_big = 0;
		r->hash = NULL;
		r->body_sha256[0] = r->ignored[0] = '\0';
		r->site = NULL;
		r->sites = NULL;
		r->scenario = NULL;
		r->seq = r->delay_us = 0;
		r->verdict = (struct srv_verdict){0, SRV_FAULT_NONE};
		r->journal_id = r->answered_us = 0;
		r->sent_status = 0;
		r->admin_body = NULL;
		r->admin_len = 0;
		r->arrived_us = r->start_us = clock_now_us();
		clock_gettime(CLOCK_REALTIME,
		              &r->arrived_rt); /* a log timestamp, not an interval */
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (strncmp(url, "/__latlab/", 10) != 0)
			body_piece(srv, r, upload_data, *upload_data_size);
		else if (srv_admin_body(&r->admin_body, &r->admin_len, upload_data,
		                        *upload_data_size) != 0)
			r->body_too_big = 1;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->hash) /* the body is complete */
		body_done(r);
	switch (r->state) {
	case REQ_HEAD:
		return handle(srv, conn, r, url, method);
	case REQ_SUSPENDED:
		return resumed(srv, conn, r, url, method);
	case REQ_ANSWERED:
	case REQ_RESUMED:
		break;
	}
	return MHD_YES;
}

void srv_request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe)
{
	struct srv_server *srv = cls;
	struct req *r = *con_cls;

	int stop = toe == MHD_REQUEST_TERMINATED_DAEMON_SHUTDOWN ||
	           atomic_load_explicit(&srv->stopping, memory_order_relaxed);
	if (r && r->state == REQ_SUSPENDED) { /* never back in the handler after its suspend */
		/* the daemon stopped under it, or it was resumed (its client gone) and
		 * libmicrohttpd saw the end of the stream before calling the handler again */
		r->outcome = stop ? OUT_CUT_AT_STOP : OUT_CLIENT_GONE;
		srv_reply_none(srv, conn, r, r->method, r->url);
	}
	if (r && r->held)
		atomic_fetch_sub_explicit(&srv->stats.held, 1, memory_order_relaxed);
	if (r)
		srv_slot_leave(srv, r);
	idle_mark(srv, conn, 0); /* keep-alive: idle until the next head */
	if (r && r->hash)
		gnutls_hash_deinit(r->hash, NULL);
	if (r) {
		srv_trail_end(srv, r, toe);
		free(r->admin_body);
	}
	free(r);
	*con_cls = NULL;
	uint64_t gen = srv_live_gen(srv->live); /* before: tables retired by now are free */
	if (srv_stats_end(&srv->stats) == 0)
		srv_live_quiet(srv->live, gen); /* nothing in flight: no table is held */
	srv_server_changed(srv);
}
