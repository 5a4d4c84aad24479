/* reply.c -- every response: the site's body (a slice of the pre-built one, or generated and
 * dripped at a bandwidth), the injected faults, JSON and text replies, and one access-log
 * line per reply. It decides nothing about routing or delays (request.c). */
#include "internal.h"

#include "clock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SERVER_HEADER "latlab/" LATLAB_VERSION

json_t *srv_json_safe(const char *s)
{
	char buf[201];
	size_t i = 0;

	for (; s && s[i] && i < sizeof(buf) - 1; i++)
		buf[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[i] = '\0';
	return json_string(buf);
}

/* the client's address as text, "-" when unknown */
static void client_addr(struct MHD_Connection *conn, char *addr, size_t len)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(addr, len, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr,
		          (socklen_t)len);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
		          addr, (socklen_t)len);
}

/* One line per reply, stamped with the request's arrival (r; NULL: now), written when the
 * reply goes out. status is the status code, or "fault=KIND" for a fault; bytes are the body
 * bytes promised (0 for HEAD, 204 and 304, which carry none). */
static void access_log(struct srv_server *srv, struct MHD_Connection *conn, const char *method,
                       const char *url, const char *status, uint64_t bytes, const struct req *r)
{
	char line[512], addr[INET6_ADDRSTRLEN], when[32];
	struct timespec ts;
	struct tm tm;

	if (srv->log_fd < 0)
		return;
	client_addr(conn, addr, sizeof(addr));
	if (r)
		ts = r->arrived_rt;
	else
		clock_gettime(CLOCK_REALTIME, &ts); /* a log timestamp, not an interval */
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	int n = snprintf(line, sizeof(line), "%s.%06ldZ %s %s %.200s %s %llu %s %llu %llu\n", when,
	                 ts.tv_nsec / 1000, addr, method, url, status, (unsigned long long)bytes,
	                 r && r->site ? r->site->name : "-", (unsigned long long)(r ? r->seq : 0),
	                 (unsigned long long)(r ? r->delay_us : 0));
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

/* ---- text and JSON ---------------------------------------------------------------------- */

/* srv_reply_text with one more header (allow: an Allow header, NULL for none) */
/* a response owning text (NULL text: out of memory), its length in *len; NULL on failure,
 * with text freed */
static struct MHD_Response *text_response(char *text, const char *ctype, size_t *len)
{
	if (!text)
		return NULL;
	*len = strlen(text);
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer(*len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return NULL;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	return resp;
}

static enum MHD_Result reply_text(struct srv_server *srv, struct MHD_Connection *conn,
                                  unsigned status, char *text, const char *ctype, const char *allow,
                                  const char *method, const char *url)
{
	size_t len;
	struct MHD_Response *resp = text_response(text, ctype, &len);
	if (!resp)
		return MHD_NO;
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	char code[8];
	snprintf(code, sizeof(code), "%u", status);
	access_log(srv, conn, method, url, code, strcmp(method, "HEAD") == 0 ? 0 : len, NULL);
	return queue(srv, conn, resp, status);
}

enum MHD_Result srv_reply_text(struct srv_server *srv, struct MHD_Connection *conn, unsigned status,
                               char *text, const char *ctype, const char *method, const char *url)
{
	return reply_text(srv, conn, status, text, ctype, NULL, method, url);
}

enum MHD_Result srv_reply_not_allowed(struct srv_server *srv, struct MHD_Connection *conn,
                                      const char *allow, const char *method, const char *url)
{
	json_t *root = json_pack("{s:s,s:s}", "error", "method not allowed", "accepted", allow);
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return reply_text(srv, conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, "application/json", allow,
	                  method, url);
}

enum MHD_Result srv_reply_json(struct srv_server *srv, struct MHD_Connection *conn, unsigned status,
                               json_t *root, const char *method, const char *url)
{
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	return srv_reply_text(srv, conn, status, text, "application/json", method, url);
}

enum MHD_Result srv_reply_error(struct srv_server *srv, struct MHD_Connection *conn,
                                unsigned status, const char *error, const char *param,
                                const char *accepted, const char *method, const char *url)
{
	json_t *root = json_object();
	json_object_set_new(root, "error", srv_json_safe(error));
	if (param)
		json_object_set_new(root, "param", srv_json_safe(param));
	json_object_set_new(root, "accepted", srv_json_safe(accepted));
	return srv_reply_json(srv, conn, status, root, method, url);
}

enum MHD_Result srv_reply_unknown_site(struct srv_server *srv, struct MHD_Connection *conn,
                                       const char *url, const char *host, const char *method)
{
	json_t *root = json_object(), *names = json_array();
	char accepted[256];
	size_t off = 0;

	off += (size_t)snprintf(accepted, sizeof(accepted),
	                        "a path /SITE[/...] or a Host of a site; sites:");
	const struct srv_sites *sites = srv_live_sites(srv->live);
	for (size_t i = 0; i < sites->n; i++) {
		if (!sites->site[i].path[0])
			continue; /* removed at runtime */
		json_array_append_new(names, json_string(sites->site[i].name));
		if (off < sizeof(accepted))
			off += (size_t)snprintf(accepted + off, sizeof(accepted) - off, " %s",
			                        sites->site[i].path);
	}
	json_object_set_new(root, "error", json_string("unknown site"));
	json_object_set_new(root, "path", srv_json_safe(url));
	json_object_set_new(root, "host", host ? srv_json_safe(host) : json_null());
	json_object_set_new(root, "sites", names);
	json_object_set_new(root, "accepted", json_string(accepted));
	return srv_reply_json(srv, conn, MHD_HTTP_NOT_FOUND, root, method, url);
}

/* ---- the site's answer, or its fault ------------------------------------------------ */

enum MHD_Result srv_reply_none(struct srv_server *srv, struct MHD_Connection *conn,
                               const struct req *r, const char *method, const char *url)
{
	access_log(srv, conn, method, url,
	           r->outcome == OUT_CLIENT_GONE ? "client_gone" : "cut_at_stop", 0, r);
	return MHD_NO;
}

static enum MHD_Result inject_fault(struct MHD_Connection *conn, enum srv_fault f)
{
	static const char garbage[] = "\x16\x03\x01 latlab: this is not HTTP \x00\xff\xfe\r\n\r\n";

	if (f == SRV_FAULT_RESET) {
		srv_conn_reset(conn);
	} else if (f == SRV_FAULT_GARBAGE) {
		int fd = srv_conn_fd(conn);
		if (fd >= 0) {
			ssize_t w =
			        send(fd, garbage, sizeof(garbage) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			(void)w;
		}
	}
	return MHD_NO; /* libmicrohttpd closes the connection without a response */
}

/* the shape of r's body: drip rate, where and how it is cut, when it may start */
static struct srv_body_shape shape_of(const struct srv_server *srv, const struct req *r,
                                      uint64_t size)
{
	const struct srv_site *site = r->site;
	const struct srv_script *q = &r->o.script, *ss = &site->script;
	struct srv_body_shape sh = {.cut = UINT64_MAX, .cut_fault = SRV_FAULT_NONE};
	uint64_t bw = (r->o.has & SRV_HAS_BANDWIDTH) ? r->o.bandwidth : site->bandwidth;

	/* a drip is a delay too: --time-scale shortens it by raising the rate (0: no drip) */
	if (bw && srv->cfg->time_scale > 0) {
		double scaled = (double)bw / srv->cfg->time_scale;
		sh.bw = scaled >= 1e15 ? (uint64_t)1e15 : scaled < 1 ? 1 : (uint64_t)scaled;
	}
	switch (r->verdict.fault) {
	case SRV_FAULT_TRUNCATE:
	case SRV_FAULT_RESET_BODY:
		sh.cut = size / 2;
		sh.cut_fault = r->verdict.fault;
		break;
	case SRV_FAULT_CLOSE:
		sh.cut = 0;
		sh.cut_fault = r->verdict.fault;
		break;
	default: {
		const struct srv_script *st = (q->has & SRV_SCRIPT_STALL_AFTER)    ? q
		                              : (ss->has & SRV_SCRIPT_STALL_AFTER) ? ss
		                                                                   : NULL;
		if (st && st->stall_after < size) {
			sh.cut = st->stall_after;
			sh.stall_us = srv->cfg->max_delay_us;
		}
	}
	}
	if (r->ttfb_us && r->start_us + r->delay_us > clock_now_us())
		sh.hold_until_us = r->start_us + r->delay_us; /* the body on the delay's time */
	return sh;
}

/* the access log's status field: the code, or fault=KIND */
static const char *status_text(const struct req *r, const struct srv_body_shape *sh, char *buf,
                               size_t len)
{
	if (r->verdict.fault != SRV_FAULT_NONE)
		snprintf(buf, len, "fault=%s", srv_fault_name(r->verdict.fault));
	else if (sh && sh->stall_us)
		snprintf(buf, len, "stall_after=%llu", (unsigned long long)sh->cut);
	else
		snprintf(buf, len, "%u", r->verdict.status);
	return buf;
}

enum MHD_Result srv_reply_site(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                               const char *method, const char *url)
{
	const struct srv_site *site = r->site;
	uint64_t size = (r->o.has & SRV_HAS_SIZE) ? r->o.size : site->size;
	unsigned status = r->verdict.status;
	enum srv_fault f = r->verdict.fault;
	char num[32];

	/* a faulted request counts for its site like an answered one */
	srv_stats_answered(&srv->stats, srv_sites_index(r->sites, site));
	r->outcome = OUT_ANSWERED;
	if (f != SRV_FAULT_NONE)
		atomic_fetch_add_explicit(&srv->stats.faults, 1, memory_order_relaxed);
	if (f == SRV_FAULT_RESET || f == SRV_FAULT_EMPTY || f == SRV_FAULT_TIMEOUT ||
	    f == SRV_FAULT_GARBAGE) {
		access_log(srv, conn, method, url, status_text(r, NULL, num, sizeof(num)), 0, r);
		return inject_fault(conn, f);
	}
	int bodiless = strcmp(method, "HEAD") == 0 || status == 204 || status == 304;
	struct srv_body_shape sh = shape_of(srv, r, size);
	if (sh.stall_us && !bodiless && !r->held) { /* held on purpose: no drain waits for it */
		r->held = 1;
		atomic_fetch_add_explicit(&srv->stats.held, 1, memory_order_relaxed);
	}
	struct MHD_Response *resp = srv_body_response(srv, conn, site, size, &sh);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, site->content_type);
	MHD_add_response_header(resp, "X-Latlab-Site", site->name);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->seq);
	MHD_add_response_header(resp, "X-Latlab-Seq", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->delay_us);
	MHD_add_response_header(resp, "X-Latlab-Delay-Us", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->queue_us);
	MHD_add_response_header(resp, "X-Latlab-Queue-Us", num);
	if (r->ignored[0])
		MHD_add_response_header(resp, "X-Latlab-Ignored", r->ignored);
	if (r->body_bytes) {
		snprintf(num, sizeof(num), "%llu", (unsigned long long)r->body_bytes);
		MHD_add_response_header(resp, "X-Latlab-Body-Bytes", num);
		MHD_add_response_header(resp, "X-Latlab-Body-Sha256", r->body_sha256);
	}
	uint64_t sent = bodiless ? 0 : sh.cut < size ? sh.cut : size;
	r->sent_status = status;
	r->answered_us = clock_now_us();
	access_log(srv, conn, method, url, status_text(r, &sh, num, sizeof(num)), sent, r);
	return queue(srv, conn, resp, status);
}

/* ---- redirects -------------------------------------------------------------------------- */

struct loc {
	char *buf;
	size_t len, cap;
	int args; /* query arguments appended so far */
};

/* appends s (n bytes), percent-encoding every byte but the unreserved ones and keep */
static void loc_put(struct loc *l, const char *s, size_t n, const char *keep)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n && l->len + 4 < l->cap; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c) || (c && strchr(keep, c))) {
			l->buf[l->len++] = (char)c;
		} else {
			l->buf[l->len++] = '%';
			l->buf[l->len++] = hex[c >> 4];
			l->buf[l->len++] = hex[c & 15];
		}
	}
	l->buf[l->len] = '\0';
}

static enum MHD_Result loc_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                               const char *value)
{
	struct loc *l = cls;
	(void)kind;
	loc_put(l, l->args++ ? "&" : "?", 1, "?&");
	loc_put(l, key, strlen(key), "");
	if (value) {
		loc_put(l, "=", 1, "=");
		loc_put(l, value, strlen(value), "");
	}
	return MHD_YES;
}

enum MHD_Result srv_reply_redirect(struct srv_server *srv, struct MHD_Connection *conn,
                                   struct req *r, const char *method, const char *url)
{
	const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
	const char *port = host ? strchr(host, ':') : NULL;
	const char *target = srv_site_redirect(r->site, host);
	char where[1024], num[32];
	struct loc l = {where, 0, sizeof(where), 0};
	int tls = srv_conn_tls(conn);

	if (!target) /* cannot happen: request.c checked the same Host */
		return srv_reply_site(srv, conn, r, method, url);
	snprintf(where, sizeof(where), "%s://%s", tls ? "https" : "http", target);
	l.len = strlen(where);
	if (port && port[1] && strspn(port + 1, "0123456789") == strlen(port + 1))
		loc_put(&l, port, strlen(port), ":");
	loc_put(&l, url, strlen(url), "/:@!$'()*+,;=");
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, loc_arg, &l);

	char *body = malloc(l.len + 64);
	if (!body)
		return MHD_NO;
	int n = snprintf(body, l.len + 64, "<a href=\"%s\">Moved Permanently</a>\n", where);
	struct MHD_Response *resp =
	        MHD_create_response_from_buffer(n > 0 ? (size_t)n : 0, body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, where);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/html; charset=utf-8");
	MHD_add_response_header(resp, "X-Latlab-Site", r->site->name);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->seq);
	MHD_add_response_header(resp, "X-Latlab-Seq", num);
	snprintf(num, sizeof(num), "%llu", (unsigned long long)r->delay_us);
	MHD_add_response_header(resp, "X-Latlab-Delay-Us", num);
	r->sent_status = MHD_HTTP_MOVED_PERMANENTLY;
	r->answered_us = clock_now_us();
	access_log(srv, conn, method, url, "301", n > 0 && strcmp(method, "HEAD") ? (uint64_t)n : 0,
	           r);
	return queue(srv, conn, resp, MHD_HTTP_MOVED_PERMANENTLY);
}

/* ---- a finite site's overload answer ---------------------------------------------------- */

enum MHD_Result srv_reply_overload(struct srv_server *srv, struct MHD_Connection *conn,
                                   struct req *r, const char *method, const char *url)
{
	const struct srv_site *site = r->site;
	char code[16];

	r->outcome = OUT_ANSWERED;
	r->answered_us = clock_now_us();
	if (site->overload_reset) { /* a RST, as fault=reset sends; journaled as that fault */
		access_log(srv, conn, method, url, "fault=reset", 0, r);
		srv_conn_reset(conn);
		return MHD_NO;
	}
	json_t *root = json_pack("{s:s,s:s,s:I,s:o}", "error", "site overloaded", "site",
	                         site->name, "capacity", (json_int_t)r->cap.limit, "queue",
	                         r->cap.qmax == SRV_QUEUE_UNLIMITED
	                                 ? json_null()
	                                 : json_integer((json_int_t)r->cap.qmax));
	char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
	json_decref(root);
	size_t len;
	struct MHD_Response *resp = text_response(text, "application/json", &len);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	MHD_add_response_header(resp, "X-Latlab-Site", site->name);
	MHD_add_response_header(resp, "X-Latlab-Queue-Us", "0");
	r->sent_status = site->overload_status;
	snprintf(code, sizeof(code), "%u", site->overload_status);
	access_log(srv, conn, method, url, code, strcmp(method, "HEAD") == 0 ? 0 : len, r);
	return queue(srv, conn, resp, site->overload_status);
}
