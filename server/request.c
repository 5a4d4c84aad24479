/* request.c -- the request path: one struct req per request, from its head to its completion.
 * Routes by Host or path prefix, validates the overrides, draws the delay, then answers at
 * once (no delay) or suspends the connection until the timer resumes it; a finite site's
 * request may first wait, suspended, for a slot (capacity.h). Never sleeps. What
 * an answer holds is reply.c's; /__latlab/ is admin.c's. */
#include "internal.h"

#include "clock.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct args {
	struct srv_overrides *o;
	uint64_t max_delay_us;
	struct srv_param_error *e;
	int failed;
};

static enum MHD_Result on_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                              const char *value)
{
	struct args *a = cls;
	(void)kind;
	if (srv_query_apply(a->o, key, value, a->max_delay_us, a->e) != 0) {
		a->failed = 1;
		return MHD_NO; /* stop at the first bad parameter */
	}
	return MHD_YES;
}

/* the query overrides, then X-Latlab-Seq unless seq= came; 0, or -EINVAL with *e filled */
static int read_overrides(struct srv_server *srv, struct MHD_Connection *conn,
                          struct srv_overrides *o, struct srv_param_error *e)
{
	struct args a = {o, srv->cfg->max_delay_us, e, 0};

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

/* r's answer once its delay is over: the site's redirect or its response */
static enum MHD_Result answer(struct srv_server *srv, struct MHD_Connection *conn,
                              const struct req *r, const char *method, const char *url)
{
	if (r->redirect)
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

/* ---- finite sites (capacity.h) --------------------------------------------------------- */

static struct req *req_of_waiter(struct srv_cap_waiter *w)
{
	return (struct req *)(void *)((char *)w - offsetof(struct req, cap));
}

/* r took a slot at now_us: its delay starts (r's connection is suspended; any thread) */
static void start_service(struct srv_server *srv, struct req *r, uint64_t now_us)
{
	r->slot = SLOT_SERVING;
	r->queue_us = r->cap.queue_us;
	r->deadline_us = now_us + r->wait_us;
	srv_schedule(srv, r->conn, r->deadline_us);
}

/* r gives its slot back: the requests at the head of the queue take the free slots */
static void leave_slot(struct srv_server *srv, struct req *r)
{
	if (r->slot != SLOT_SERVING)
		return;
	r->slot = SLOT_NONE;
	size_t i = srv_sites_index(srv->sites, r->site);
	struct srv_cap_waiter *w = srv_capacity_leave(srv->capacity, i, clock_now_us());
	while (w) {
		struct srv_cap_waiter *next = w->next; /* w's request may be answered at once */
		start_service(srv, req_of_waiter(w), w->admitted_us);
		w = next;
	}
}

/* A request of a finite site: suspended first (a queued one is suspended with no timer),
 * then in service (its delay starts now), queued (its delay starts when a slot frees) or
 * refused (resumed at once, then answered with the overload answer). */
static enum MHD_Result wait_for_slot(struct srv_server *srv, struct MHD_Connection *conn,
                                     struct req *r, uint64_t wait)
{
	const struct srv_site *site = r->site;
	uint64_t now = clock_now_us();

	r->cap.limit = (r->o.has & SRV_HAS_CAPACITY) ? r->o.capacity : site->capacity;
	r->cap.qmax = (r->o.has & SRV_HAS_QUEUE) ? r->o.queue : site->queue;
	r->wait_us = wait;
	r->conn = conn;
	if (r->o.fault == SRV_FAULT_TIMEOUT) {
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&srv->stats.delay_us_sum, r->delay_us, memory_order_relaxed);
	r->state = REQ_SUSPENDED;
	r->slot = SLOT_QUEUED; /* before the queue can hand r to another thread */
	srv_suspend(srv, conn);
	switch (srv_capacity_enter(srv->capacity, srv_sites_index(srv->sites, site), &r->cap,
	                           now)) {
	case SRV_CAP_ADMIT:
		start_service(srv, r, now);
		break;
	case SRV_CAP_QUEUED:
		break; /* r belongs to the queue now: not touched again on this thread */
	case SRV_CAP_FULL:
		r->slot = SLOT_REJECTED;
		atomic_fetch_sub_explicit(&srv->stats.delay_us_sum, r->delay_us,
		                          memory_order_relaxed);
		r->deadline_us = now;
		srv_schedule(srv, conn, now);
		break;
	}
	return MHD_YES;
}

void srv_request_cut_queued(struct srv_server *srv)
{
	struct srv_cap_waiter *w = srv_capacity_close(srv->capacity);
	while (w) {
		struct srv_cap_waiter *next = w->next;
		struct req *r = req_of_waiter(w);
		r->deadline_us = UINT64_MAX; /* never due: resumed() cuts it short */
		srv_schedule(srv, r->conn, 0);
		w = next;
	}
}

/* the request is complete: route, validate, then answer now or suspend until the delay */
static enum MHD_Result handle(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                              const char *url, const char *method)
{
	const struct srv_config *cfg = srv->cfg;
	struct srv_param_error e;
	struct srv_conn *c = srv_conn_of(conn);
	int first = c && c->requests++ == 0; /* a new connection's first request */

	r->state = REQ_ANSWERED;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
		                       NULL, "GET, HEAD", method, url);
	if (strncmp(url, "/__latlab/", 10) == 0)
		return srv_admin(srv, conn, url, method);

	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const struct srv_site *site = srv_sites_by_host(srv->sites, host);
	if (!site && !(site = srv_sites_by_path(srv->sites, url)))
		return srv_reply_unknown_site(srv, conn, url, host, method);
	if (read_overrides(srv, conn, &r->o, &e) != 0)
		return srv_reply_error(srv, conn, MHD_HTTP_BAD_REQUEST, e.error, e.param,
		                       e.accepted, method, url);

	r->site = site;
	r->seq = (r->o.has & SRV_HAS_SEQ)
	                 ? r->o.seq
	                 : srv_stats_next_seq(&srv->stats, srv_sites_index(srv->sites, site));
	r->delay_us =
	        srv_delay_of(site, &r->o, cfg->seed, r->seq, cfg->time_scale, cfg->max_delay_us);
	if (first) { /* the round trips of the connection's set-up, paid once */
		r->delay_us +=
		        srv_connect_delay_of(site, &r->o, cfg->time_scale, cfg->max_delay_us);
		if (r->delay_us > cfg->max_delay_us)
			r->delay_us = cfg->max_delay_us;
	}
	r->redirect = srv_site_redirect(site, host) != NULL;
	uint64_t wait = r->o.fault == SRV_FAULT_TIMEOUT ? cfg->max_delay_us : r->delay_us;
	if (atomic_load_explicit(&srv->stopping, memory_order_relaxed))
		wait = r->delay_us = 0;
	else if ((r->o.has & SRV_HAS_CAPACITY) ? r->o.capacity : site->capacity)
		return wait_for_slot(srv, conn, r, wait);
	if (wait == 0) /* no delay, or a fault with none: answer (or misbehave) now */
		return answer(srv, conn, r, method, url);

	if (r->o.fault == SRV_FAULT_TIMEOUT) {
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	atomic_fetch_add_explicit(&srv->stats.delay_us_sum, r->delay_us, memory_order_relaxed);
	r->deadline_us = clock_now_us() + wait;
	r->state = REQ_SUSPENDED;
	srv_suspend_until(srv, conn, r->deadline_us);
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
	leave_slot(srv, r); /* the delay is over (or cut): the next in the queue starts now */
	/* a stop resumes every held request: one whose delay has not run out is cut short
	 * (the connection closes), never answered early as if its delay had passed */
	if (now < r->deadline_us && atomic_load_explicit(&srv->stopping, memory_order_relaxed))
		return MHD_NO;
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
	(void)upload_data;

	if (!r) {
		idle_mark(srv, conn, 1);
		srv_stats_begin(&srv->stats);
		if (!(r = malloc(sizeof(*r))))
			return MHD_NO; /* the completion callback still counts it out */
		r->state = REQ_HEAD;
		r->held = r->redirect = 0;
		r->slot = SLOT_NONE;
		r->queue_us = 0;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a body nobody asked for: discard it */
		*upload_data_size = 0;
		return MHD_YES;
	}
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
	(void)toe;

	if (r && r->held)
		atomic_fetch_sub_explicit(&srv->stats.held, 1, memory_order_relaxed);
	if (r)
		leave_slot(srv, r);
	idle_mark(srv, conn, 0); /* keep-alive: idle until the next head */
	free(r);
	*con_cls = NULL;
	srv_stats_end(&srv->stats);
	srv_server_changed(srv);
}
