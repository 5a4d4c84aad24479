/* http.c -- the request path: route by Host or path prefix, validate overrides, answer at
 * once (zero delay) or suspend the connection until the timer resumes it, then respond or
 * inject a fault. Also the /__latlab/ endpoints and the access log. Never sleeps. */
#include "http.h"

#include "acceptor.h"
#include "clock.h"
#include "delay.h"
#include "query.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVER_HEADER "latlab/" LATLAB_VERSION
#define DRIP_STEPS    50 /* a bandwidth-limited body goes out in bursts of bw/50 bytes */

struct srv_server {
	const struct srv_config *cfg;
	struct srv_sites *sites;
	struct srv_stats stats;
	struct srv_timer *timer;
	struct MHD_Daemon *daemon;
	struct srv_acceptor *acceptor; /* the listening socket and its accept thread */
	atomic_int draining;           /* stopping accepting: responses carry Connection: close */
	atomic_int stopping;           /* stop begun: no new delays */
	int log_fd;                    /* access log, -1 when off */
	unsigned port;
	char fresh;    /* *con_cls of a request whose head is in, until it is fully received */
	char answered; /* *con_cls of a request answered without a delay */
	atomic_int starting; /* libmicrohttpd's messages go to start_err, for one error line */
	char start_err[256];
};

enum req_state { REQ_SUSPENDED, REQ_DONE };

/* one request being delayed; lives from the suspend to the completion callback */
struct req {
	const struct srv_site *site;
	struct srv_overrides o;
	uint64_t seq, delay_us, deadline_us;
	enum req_state state;
	int held; /* a fault=timeout: counted in stats.held */
};

/* the body source of a sized-beyond-the-site or bandwidth-limited response */
struct body_src {
	struct srv_server *srv;
	struct MHD_Connection *conn;
	const char *src;
	size_t src_len;
	uint64_t total, bw, start_us;
};

/* ---- helpers ---------------------------------------------------------------------------- */

/* a JSON string of s with bytes outside printable ASCII replaced by '?', at most 200 chars */
static json_t *json_safe(const char *s)
{
	char buf[201];
	size_t i = 0;

	for (; s && s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

static void access_log(struct srv_server *srv, struct MHD_Connection *conn, const char *method,
                       const char *url, unsigned status, uint64_t bytes, const char *site,
                       uint64_t seq, uint64_t delay_us)
{
	char line[512], addr[INET6_ADDRSTRLEN] = "-", when[32];
	const union MHD_ConnectionInfo *ci;
	struct timespec ts;
	struct tm tm;

	if (srv->log_fd < 0)
		return;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET,
			          &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
			          sizeof(addr));
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6,
			          &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr,
			          sizeof(addr));
	}
	clock_gettime(CLOCK_REALTIME, &ts); /* a log timestamp, not an interval */
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof(line), "%s.%03ldZ %s %s %.200s %u %llu %s %llu %llu\n", when,
	                 ts.tv_nsec / 1000000, addr, method, url, status, (unsigned long long)bytes,
	                 site ? site : "-", (unsigned long long)seq, (unsigned long long)delay_us);
	if (n > 0) {
		size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
		/* one write per line: lines from different threads never interleave */
		ssize_t w = write(srv->log_fd, line, len);
		(void)w;
	}
}

static enum MHD_Result queue(struct srv_server *srv, struct MHD_Connection *conn,
                             struct MHD_Response *resp, unsigned status)
{
	enum MHD_Result rc;

	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_SERVER, SERVER_HEADER);
	if (atomic_load_explicit(&srv->draining, memory_order_relaxed))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	if (rc == MHD_YES)
		srv_stats_status(&srv->stats, status);
	return rc;
}

/* answers with a JSON document (consumes root) */
/* answers with text (malloc'd, freed here whatever happens) as the whole body */
static enum MHD_Result reply_text(struct srv_server *srv, struct MHD_Connection *conn,
                                  unsigned status, char *text, const char *ctype,
                                  const char *method, const char *url)
{
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	access_log(srv, conn, method, url, status, len, NULL, 0, 0);
	return queue(srv, conn, resp, status);
}

static enum MHD_Result reply_json(struct srv_server *srv, struct MHD_Connection *conn,
                                  unsigned status, json_t *root, const char *method,
                                  const char *url)
{
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return reply_text(srv, conn, status, text, "application/json", method, url);
}

static enum MHD_Result reply_error(struct srv_server *srv, struct MHD_Connection *conn,
                                   unsigned status, const char *error, const char *param,
                                   const char *accepted, const char *method, const char *url)
{
	json_t *root = json_object();
	json_object_set_new(root, "error", json_safe(error));
	if (param)
		json_object_set_new(root, "param", json_safe(param));
	json_object_set_new(root, "accepted", json_safe(accepted));
	return reply_json(srv, conn, status, root, method, url);
}

/* ---- /__latlab/ ------------------------------------------------------------------------- */

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
	json_object_set_new(o, "content_type", json_safe(s->content_type));
	return o;
}

static enum MHD_Result service(struct srv_server *srv, struct MHD_Connection *conn, const char *url,
                               const char *method)
{
	const char *what = url + strlen("/__latlab/");

	if (strcmp(what, "health") == 0) {
		json_t *root = json_pack("{s:s,s:s}", "status", "ok", "version", LATLAB_VERSION);
		return reply_json(srv, conn, MHD_HTTP_OK, root, method, url);
	}
	if (strcmp(what, "sites") == 0) {
		json_t *root = json_object(), *arr = json_array();
		for (size_t i = 0; i < srv->sites->n; i++)
			json_array_append_new(arr, site_json(&srv->sites->site[i]));
		json_object_set_new(root, "sites", arr);
		json_object_set_new(root, "seed", json_integer((json_int_t)srv->cfg->seed));
		json_object_set_new(root, "time_scale", json_real(srv->cfg->time_scale));
		json_object_set_new(root, "max_delay_us",
		                    json_integer((json_int_t)srv->cfg->max_delay_us));
		return reply_json(srv, conn, MHD_HTTP_OK, root, method, url);
	}
	if (strcmp(what, "stats") == 0)
		return reply_text(srv, conn, MHD_HTTP_OK, srv_stats_json(&srv->stats, srv->sites),
		                  "application/json", method, url);
	if (strcmp(what, "metrics") == 0)
		return reply_text(srv, conn, MHD_HTTP_OK,
		                  srv_stats_metrics(&srv->stats, srv->sites),
		                  "text/plain; version=0.0.4", method, url);
	return reply_error(srv, conn, MHD_HTTP_NOT_FOUND, "unknown endpoint", NULL,
	                   "/__latlab/health, /__latlab/sites, /__latlab/stats, /__latlab/metrics",
	                   method, url);
}

static enum MHD_Result unknown_site(struct srv_server *srv, struct MHD_Connection *conn,
                                    const char *url, const char *host, const char *method)
{
	json_t *root = json_object(), *names = json_array();
	char accepted[256];
	size_t off = 0;

	off += (size_t)snprintf(accepted, sizeof(accepted),
	                        "a path /SITE[/...] or a Host of a site; sites:");
	for (size_t i = 0; i < srv->sites->n; i++) {
		json_array_append_new(names, json_string(srv->sites->site[i].name));
		if (off < sizeof(accepted))
			off += (size_t)snprintf(accepted + off, sizeof(accepted) - off, " %s",
			                        srv->sites->site[i].path);
	}
	json_object_set_new(root, "error", json_string("unknown site"));
	json_object_set_new(root, "path", json_safe(url));
	json_object_set_new(root, "host", host ? json_safe(host) : json_null());
	json_object_set_new(root, "sites", names);
	json_object_set_new(root, "accepted", json_string(accepted));
	return reply_json(srv, conn, MHD_HTTP_NOT_FOUND, root, method, url);
}

/* ---- bodies and faults ------------------------------------------------------------------ */

static void on_fire(void *arg, void *item)
{
	struct srv_server *srv = arg;
	atomic_fetch_sub_explicit(&srv->stats.suspended, 1, memory_order_relaxed);
	MHD_resume_connection(item);
}

/* suspends conn until deadline_us; called from the handler or a content reader */
static void suspend_until(struct srv_server *srv, struct MHD_Connection *conn, uint64_t deadline_us)
{
	atomic_fetch_add_explicit(&srv->stats.suspended, 1, memory_order_relaxed);
	MHD_suspend_connection(conn); /* before the timer can see it */
	if (srv_timer_add(srv->timer, deadline_us, conn) != 0)
		on_fire(srv, conn); /* out of memory: go on without the delay */
}

static ssize_t body_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct body_src *b = cls;

	if (pos >= b->total)
		return MHD_CONTENT_READER_END_OF_STREAM;
	uint64_t want = b->total - pos;
	if (want > max)
		want = max;
	if (b->bw) {
		if (atomic_load_explicit(&b->srv->stopping, memory_order_relaxed))
			return MHD_CONTENT_READER_END_WITH_ERROR;
		uint64_t elapsed = clock_now_us() - b->start_us;
		double bytes = (double)elapsed * (double)b->bw / 1e6; /* no u64 overflow */
		uint64_t allowed = bytes >= (double)b->total ? b->total : (uint64_t)bytes;
		if (allowed <= pos) {
			uint64_t step = b->bw / DRIP_STEPS ? b->bw / DRIP_STEPS : 1;
			double wait_us = (double)(pos + step) * 1e6 / (double)b->bw;
			uint64_t due = b->start_us + (uint64_t)wait_us + 1;
			suspend_until(b->srv, b->conn, due);
			return 0;
		}
		if (want > allowed - pos)
			want = allowed - pos;
	}
	for (uint64_t done = 0; done < want;) {
		size_t off = (size_t)((pos + done) % b->src_len);
		size_t n = b->src_len - off;
		if (n > want - done)
			n = (size_t)(want - done);
		memcpy(buf + done, b->src + off, n);
		done += n;
	}
	return (ssize_t)want;
}

static int socket_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	return ci ? ci->connect_fd : -1;
}

static enum MHD_Result inject_fault(struct srv_server *srv, struct MHD_Connection *conn,
                                    enum srv_fault f)
{
	static const char garbage[] = "\x16\x03\x01 latlab: this is not HTTP \x00\xff\xfe\r\n\r\n";
	int fd = socket_of(conn);

	atomic_fetch_add_explicit(&srv->stats.faults, 1, memory_order_relaxed);
	if (f == SRV_FAULT_RESET && fd >= 0) {
		struct linger lg = {1, 0}; /* close() sends RST instead of FIN */
		struct sockaddr unspec = {.sa_family = AF_UNSPEC};
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		/* Linux: connect(AF_UNSPEC) disconnects a TCP socket with a RST right away, before
		 * libmicrohttpd's own shutdown() could send a FIN first */
		if (connect(fd, &unspec, sizeof(unspec)) != 0 && errno != 0)
			errno = 0;
	} else if (f == SRV_FAULT_GARBAGE && fd >= 0) {
		ssize_t w = send(fd, garbage, sizeof(garbage) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)w;
	}
	return MHD_NO; /* libmicrohttpd closes the connection without a response */
}

static enum MHD_Result respond(struct srv_server *srv, struct MHD_Connection *conn,
                               const struct srv_site *site, const struct srv_overrides *o,
                               uint64_t seq, uint64_t delay_us, const char *method, const char *url)
{
	uint64_t size = (o->has & SRV_HAS_SIZE) ? o->size : site->size;
	unsigned status = (o->has & SRV_HAS_STATUS) ? o->status : site->status;
	struct MHD_Response *resp;
	char num[24];

	if (o->fault != SRV_FAULT_NONE) {
		access_log(srv, conn, method, url, 0, 0, site->name, seq, delay_us);
		return inject_fault(srv, conn, o->fault);
	}
	/* a drip is a delay too: --time-scale shortens it by raising the rate (0: no drip) */
	uint64_t bw = 0;
	if ((o->has & SRV_HAS_BANDWIDTH) && srv->cfg->time_scale > 0) {
		double scaled = (double)o->bandwidth / srv->cfg->time_scale;
		bw = scaled >= 1e15 ? (uint64_t)1e15 : scaled < 1 ? 1 : (uint64_t)scaled;
	}
	if (!bw && size <= site->body_len) {
		/* the common path: a slice of the site's pre-built body, no copy, no allocation */
		resp = MHD_create_response_from_buffer((size_t)size, site->body,
		                                       MHD_RESPMEM_PERSISTENT);
	} else {
		struct body_src *b = malloc(sizeof(*b));
		if (!b)
			return MHD_NO;
		*b = (struct body_src){srv,
		                       conn,
		                       site->body_len ? site->body : srv->sites->filler,
		                       site->body_len ? site->body_len : SRV_FILLER_PERIOD,
		                       size,
		                       bw,
		                       clock_now_us()};
		resp = MHD_create_response_from_callback(size, 16 * 1024, body_read, b, free);
		if (!resp) {
			free(b);
			return MHD_NO;
		}
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, site->content_type);
	MHD_add_response_header(resp, "X-Latlab-Site", site->name);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)seq);
	MHD_add_response_header(resp, "X-Latlab-Seq", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)delay_us);
	MHD_add_response_header(resp, "X-Latlab-Delay-Us", num);
	srv_stats_answered(&srv->stats, srv_sites_index(srv->sites, site));
	access_log(srv, conn, method, url, status, size, site->name, seq, delay_us);
	return queue(srv, conn, resp, status);
}

/* ---- the handler ------------------------------------------------------------------------ */

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

static enum MHD_Result handle(struct srv_server *srv, struct MHD_Connection *conn, const char *url,
                              const char *method, void **con_cls)
{
	const struct srv_config *cfg = srv->cfg;
	struct srv_overrides o = {0};
	struct srv_param_error e;
	struct args a = {&o, cfg->max_delay_us, &e, 0};

	*con_cls = &srv->answered;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_error(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
		                   NULL, "GET, HEAD", method, url);
	if (strncmp(url, "/__latlab/", 10) == 0)
		return service(srv, conn, url, method);

	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const struct srv_site *site = srv_sites_by_host(srv->sites, host);
	if (!site && !(site = srv_sites_by_path(srv->sites, url)))
		return unknown_site(srv, conn, url, host, method);

	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, on_arg, &a);
	if (a.failed)
		return reply_error(srv, conn, MHD_HTTP_BAD_REQUEST, e.error, e.param, e.accepted,
		                   method, url);
	if (!(o.has & SRV_HAS_SEQ)) {
		const char *hseq =
		        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, SRV_SEQ_HEADER);
		if (hseq && srv_query_seq_header(&o, hseq, &e) != 0)
			return reply_error(srv, conn, MHD_HTTP_BAD_REQUEST, e.error, e.param,
			                   e.accepted, method, url);
	}
	uint64_t seq = (o.has & SRV_HAS_SEQ)
	                       ? o.seq
	                       : srv_stats_next_seq(&srv->stats, srv_sites_index(srv->sites, site));
	uint64_t delay = srv_delay_of(site, &o, cfg->seed, seq, cfg->time_scale, cfg->max_delay_us);
	uint64_t wait = o.fault == SRV_FAULT_TIMEOUT ? cfg->max_delay_us : delay;

	if (atomic_load_explicit(&srv->stopping, memory_order_relaxed))
		wait = delay = 0;
	if (wait == 0) /* no delay, or a fault with none: answer (or misbehave) now */
		return respond(srv, conn, site, &o, seq, delay, method, url);

	struct req *r = malloc(sizeof(*r));
	if (!r)
		return MHD_NO;
	*r = (struct req){site, o, seq, delay, clock_now_us() + wait, REQ_SUSPENDED, 0};
	if (o.fault == SRV_FAULT_TIMEOUT) {
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	*con_cls = r;
	atomic_fetch_add_explicit(&srv->stats.delay_us_sum, delay, memory_order_relaxed);
	suspend_until(srv, conn, r->deadline_us);
	return MHD_YES;
}

/* Called once when the request head is in (answered later, so keep-alive survives: a
 * response queued before the request is complete makes libmicrohttpd close the connection),
 * once per piece of body (discarded), once when the request is complete (route, validate,
 * answer or suspend), and once more after a resume (answer). */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
	struct srv_server *srv = cls;
	void *state = *con_cls;
	(void)version;
	(void)upload_data;

	if (!state) {
		srv_stats_begin(&srv->stats);
		*con_cls = &srv->fresh;
		return MHD_YES;
	}
	if (*upload_data_size) { /* a body nobody asked for: discard it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (state == (void *)&srv->fresh)
		return handle(srv, conn, url, method, con_cls);
	if (state == (void *)&srv->answered)
		return MHD_YES;
	struct req *r = state;
	if (r->state != REQ_SUSPENDED)
		return MHD_YES;
	r->state = REQ_DONE; /* resumed: the delay is over, or the server is stopping */
	uint64_t now = clock_now_us();
	/* a stop resumes every held request: one whose delay has not run out is cut short
	 * (the connection closes), never answered early as if its delay had passed */
	if (now < r->deadline_us && atomic_load_explicit(&srv->stopping, memory_order_relaxed))
		return MHD_NO;
	srv_stats_late(&srv->stats, now > r->deadline_us ? now - r->deadline_us : 0);
	return respond(srv, conn, r->site, &r->o, r->seq, r->delay_us, method, url);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
	struct srv_server *srv = cls;
	(void)conn;
	(void)toe;
	if (*con_cls && *con_cls != (void *)&srv->fresh && *con_cls != (void *)&srv->answered) {
		struct req *r = *con_cls;
		if (r->held)
			atomic_fetch_sub_explicit(&srv->stats.held, 1, memory_order_relaxed);
		free(r);
	}
	*con_cls = NULL;
	srv_stats_end(&srv->stats);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct srv_server *srv = cls;
	(void)conn;
	(void)socket_context;
	if (code == MHD_CONNECTION_NOTIFY_CLOSED)
		srv_acceptor_closed(srv->acceptor);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct srv_server *srv = cls;
	char msg[256];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	/* an injected fault is not news: it is what the client asked for */
	if (strncmp(msg, "Application reported internal error", 35) == 0)
		return;
	if (atomic_load(&srv->starting)) {
		snprintf(srv->start_err, sizeof(srv->start_err), "%s", msg);
		return;
	}
	if (!srv->cfg->quiet)
		fprintf(stderr, "latlab-server: libmicrohttpd: %s\n", msg);
}

/* ---- lifecycle -------------------------------------------------------------------------- */

struct srv_server *srv_server_start(const struct srv_config *cfg, struct srv_sites *sites,
                                    char *err, size_t errlen)
{
	struct srv_server *srv = calloc(1, sizeof(*srv));
	/* the listening socket is ours (acceptor.c): libmicrohttpd gets accepted connections */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG;

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->sites = sites;
	srv->log_fd = -1;
	atomic_init(&srv->draining, 0);
	atomic_init(&srv->stopping, 0);
	if (srv_stats_init(&srv->stats) != 0) {
		free(srv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}

	int backlog = cfg->max_connections < 65535 ? (int)cfg->max_connections : 65535;
	srv->acceptor = srv_acceptor_listen(cfg->listen, cfg->port, backlog, err, errlen);
	if (!srv->acceptor)
		goto fail;
	if (cfg->access_log) {
		srv->log_fd = strcmp(cfg->access_log, "-") == 0
		                      ? dup(STDOUT_FILENO)
		                      : open(cfg->access_log,
		                             O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (srv->log_fd < 0) {
			snprintf(err, errlen, "--access-log: cannot open '%s': %s", cfg->access_log,
			         strerror(errno));
			goto fail;
		}
	}
	srv->timer = srv_timer_start(on_fire, srv);
	if (!srv->timer) {
		snprintf(err, errlen, "cannot start the timer thread: %s", strerror(errno));
		goto fail;
	}
	struct MHD_OptionItem opts[] = {
	        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv},
	        /* the acceptor enforces --max-connections; libmicrohttpd splits its own limit
	         * evenly between workers, so it gets slack for an uneven split */
	        {MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections + 64 * cfg->threads, NULL},
	        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)cfg->conn_memory, NULL},
	        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->idle_timeout_s, NULL},
	        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv},
	        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
	        {cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, cfg->threads,
	         NULL},
	        {MHD_OPTION_END, 0, NULL},
	};
	atomic_init(&srv->starting, 1);
	srv->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY,
	                               opts, MHD_OPTION_END);
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot start libmicrohttpd: %s",
		         srv->start_err[0] ? srv->start_err : "unknown error");
		goto fail;
	}
	srv->port = srv_acceptor_port(srv->acceptor);
	atomic_store(&srv->starting, 0); /* workers log to stderr from now on */
	int rc = srv_acceptor_start(srv->acceptor, srv->daemon, cfg->max_connections);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the accept thread: %s", strerror(-rc));
		goto fail;
	}
	return srv;

fail:
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	srv_acceptor_free(srv->acceptor);
	srv_timer_stop(srv->timer);
	if (srv->log_fd >= 0)
		close(srv->log_fd);
	srv_stats_destroy(&srv->stats);
	free(srv);
	return NULL;
}

unsigned srv_server_port(const struct srv_server *s)
{
	return s->port;
}

const struct srv_stats *srv_server_stats(const struct srv_server *s)
{
	return &s->stats;
}

void srv_server_quiesce(struct srv_server *s)
{
	if (atomic_exchange(&s->draining, 1))
		return;
	srv_acceptor_close(s->acceptor); /* new connections are refused from now on */
}

void srv_server_stop(struct srv_server *s)
{
	if (!s)
		return;
	atomic_store(&s->draining, 1);
	atomic_store(&s->stopping, 1);
	srv_timer_flush(s->timer);
	/* a handler may be between its suspend and its timer add: that add fires at once */
	for (int i = 0; i < 1000 && atomic_load(&s->stats.suspended) > 0; i++) {
		struct timespec ts = {0, 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	srv_acceptor_close(s->acceptor); /* nothing new reaches the daemon while it stops */
	MHD_stop_daemon(s->daemon);
	srv_acceptor_free(s->acceptor);
	srv_timer_stop(s->timer);
	if (s->log_fd >= 0)
		close(s->log_fd);
	srv_stats_destroy(&s->stats);
	free(s);
}
