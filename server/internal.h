/* internal.h -- what the pieces of the HTTP server share, and nothing else sees: the server's
 * state (server.c), one request's state (request.c), the replies (reply.c) and the
 * /__latlab/ endpoints (admin.c). main.c and the tests use server.h. */
#ifndef LATLAB_SERVER_INTERNAL_H
#define LATLAB_SERVER_INTERNAL_H

#include "config.h"
#include "journal.h"
#include "live.h"
#include "query.h"
#include "scenario.h"
#include "server.h"
#include "sites.h"
#include "stats.h"

#include <gnutls/crypto.h>
#include <jansson.h>
#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

struct srv_server {
	const struct srv_config *cfg;
	const struct srv_sites *sites; /* the configured table (its bodies serve every table) */
	struct srv_live *live;         /* the live table: srv_live_sites(live) */
	struct srv_stats stats;
	struct srv_scenarios *scenarios; /* X-Latlab-Scenario's counters */
	struct srv_journal *journal;     /* recent requests; NULL: --journal 0 */
	struct srv_timer *timer;
	struct MHD_Daemon *daemon;
	struct srv_acceptor *acceptor; /* the listening socket and its accept thread */
	struct MHD_Daemon *tls_daemon; /* HTTPS (--https-port), NULL when off */
	struct srv_acceptor *tls_acceptor;
	atomic_int draining; /* stopping accepting: responses carry Connection: close */
	atomic_int stopping; /* stop begun: no new delays */
	int changed_fd;      /* eventfd: while draining, a request completed or resumed */
	int log_fd;          /* access log, -1 when off */
	unsigned port, tls_port;
	struct MHD_Daemon *admin_daemon; /* --admin ADDR:PORT's listener, NULL: none */
	atomic_int starting; /* libmicrohttpd's messages go to start_err, for one error line */
	char start_err[256];
};

/* Where a request is. Only the daemon thread that serves the connection reads or writes a
 * struct req: the timer thread resumes the connection and never sees the struct. */
enum req_state {
	REQ_HEAD,      /* the head is in; the request is not complete yet */
	REQ_ANSWERED,  /* answered (or refused) at once, without a delay */
	REQ_SUSPENDED, /* waiting on the timer for deadline_us */
	REQ_RESUMED,   /* resumed: answered, or cut short by a stop */
};

/* How a request ended, for the journal. */
enum req_outcome {
	OUT_PENDING,     /* not ended yet */
	OUT_ANSWERED,    /* answered (or its fault carried out) */
	OUT_CLIENT_GONE, /* its client left during the delay */
	OUT_CUT_AT_STOP, /* a stop cut its delay short */
};

/* one request, from its head (allocated) to libmicrohttpd's completion callback (freed) */
struct req {
	enum req_state state;
	enum req_outcome outcome;
	const struct srv_sites *sites; /* the live table when it arrived: site is one of its */
	const struct srv_site *site;
	struct srv_overrides o;
	struct srv_verdict verdict; /* the status or fault the script chose */
	const char *scenario;       /* X-Latlab-Scenario (libmicrohttpd's copy), NULL: the site */
	uint64_t seq, delay_us, deadline_us;
	uint64_t ttfb_us;    /* headers after this (scaled); 0: with the body, after the delay */
	uint64_t arrived_us; /* clock_now_us at the head */
	struct timespec arrived_rt; /* CLOCK_REALTIME at the head, for the access log */
	int held;                   /* a fault=timeout or a stall: counted in stats.held */
	uint64_t body_bytes;        /* request body bytes received */
	int body_too_big;           /* more than --max-body: 413 */
	gnutls_hash_hd_t hash;      /* SHA-256 of the body while it arrives; NULL: none yet */
	char body_sha256[65];       /* hex, "" when there was no body */
	char ignored[128];          /* unknown query parameters, for X-Latlab-Ignored */
	uint64_t journal_id;        /* its journal entry, 0: none */
	unsigned sent_status;       /* the status queued, 0: none */
	uint64_t answered_us;       /* clock_now_us when the answer was queued, 0: not */
	const char *method, *url;   /* libmicrohttpd's, valid until the completion callback */
	char *admin_body;           /* a /__latlab/ request's body (malloc'd), NULL: none */
	size_t admin_len;
	int redirect; /* answered with the site's 301 (reply.c's srv_reply_redirect) */
};

/* one connection, from libmicrohttpd's MHD_CONNECTION_NOTIFY_STARTED to its CLOSED; only the
 * daemon thread that serves the connection touches it */
struct srv_conn {
	uint64_t requests; /* requests begun on this connection */
	int tls;           /* it came through the HTTPS listener */
};

/* ---- server.c ---- */

/* 1 when conn came through the HTTPS daemon, else 0. */
int srv_conn_tls(struct MHD_Connection *conn);

/* conn's struct srv_conn, or NULL when it had no memory for one. */
struct srv_conn *srv_conn_of(struct MHD_Connection *conn);

/* Suspends conn and schedules its resume at deadline_us (clock_now_us time). Call only from
 * the access handler or a content reader of conn, which must then return at once. Without
 * memory for the timer it resumes conn at once. With watch, the timer also resumes conn early
 * once its client is gone (the handler sees the deadline not reached). */
void srv_suspend_until(struct srv_server *srv, struct MHD_Connection *conn, uint64_t deadline_us,
                       int watch);

/* While draining, wakes srv_server_drain and srv_server_stop to look at the counters again;
 * call after lowering stats.in_flight, stats.held or stats.suspended. */
void srv_server_changed(struct srv_server *srv);

/* ---- request.c: libmicrohttpd's callbacks, srv is their cls ---- */

/* The access handler (MHD_AccessHandlerCallback): allocates the struct req on the head, then
 * routes, validates and answers or suspends once the request is complete. */
enum MHD_Result srv_request_access(void *cls, struct MHD_Connection *conn, const char *url,
                                   const char *method, const char *version, const char *upload_data,
                                   size_t *upload_data_size, void **con_cls);

/* MHD_OPTION_NOTIFY_COMPLETED: frees the struct req and counts the request out. */
void srv_request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                           enum MHD_RequestTerminationCode toe);

/* ---- reply.c: every response goes through here and into the access log ---- */

/* A JSON string of s with bytes outside printable ASCII replaced by '?', at most 200 chars. */
json_t *srv_json_safe(const char *s);

/* Queues text (malloc'd; freed here whatever happens) as the whole body. MHD_NO on failure. */
enum MHD_Result srv_reply_text(struct srv_server *srv, struct MHD_Connection *conn, unsigned status,
                               char *text, const char *ctype, const char *method, const char *url);

/* Queues root (consumed; NULL means out of memory) as a compact JSON body. */
enum MHD_Result srv_reply_json(struct srv_server *srv, struct MHD_Connection *conn, unsigned status,
                               json_t *root, const char *method, const char *url);

/* Queues {"error", "param" (when not NULL), "accepted"}. */
enum MHD_Result srv_reply_error(struct srv_server *srv, struct MHD_Connection *conn,
                                unsigned status, const char *error, const char *param,
                                const char *accepted, const char *method, const char *url);

/* Queues a 405 JSON error with an Allow header listing allow. */
enum MHD_Result srv_reply_not_allowed(struct srv_server *srv, struct MHD_Connection *conn,
                                      const char *allow, const char *method, const char *url);

/* Queues the 404 for a request no site matches, listing the sites. */
enum MHD_Result srv_reply_unknown_site(struct srv_server *srv, struct MHD_Connection *conn,
                                       const char *url, const char *host, const char *method);

/* Answers r (site, overrides, seq, delay and verdict filled in) with its site's body, dripped
 * when a bandwidth applies and shaped by its body fault (truncate, reset_body, close,
 * stall_after, ttfb), or carries out its connection fault (MHD_NO: libmicrohttpd closes the
 * connection). Sets r->outcome, and r->held for a stall. */
enum MHD_Result srv_reply_site(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                               const char *method, const char *url);

/* Answers r, whose site redirects its Host, with 301 and Location: the same scheme and port,
 * the site's redirect host, the same path and query. */
enum MHD_Result srv_reply_redirect(struct srv_server *srv, struct MHD_Connection *conn,
                                   struct req *r, const char *method, const char *url);

/* Logs r, whose delay was cut short (r->outcome: client_gone or cut_at_stop), and returns
 * MHD_NO: libmicrohttpd closes the connection without an answer. */
enum MHD_Result srv_reply_none(struct srv_server *srv, struct MHD_Connection *conn,
                               const struct req *r, const char *method, const char *url);

/* ---- trail.c: a request's journal entry ---- */

/* Records r's arrival in the journal (r->journal_id) with the status it is to get (0: none
 * yet); a no-op when the journal is off. Call once, when r is complete. */
void srv_trail_arrive(struct srv_server *srv, struct MHD_Connection *conn, struct req *r,
                      const char *url, const char *method, unsigned status);

/* Records how r ended (its outcome, else from toe), from the completion callback. */
void srv_trail_end(struct srv_server *srv, struct req *r, enum MHD_RequestTerminationCode toe);

/* ---- body.c: the site's body and the faults' socket helpers ---- */

/* how a generated body goes out */
struct srv_body_shape {
	uint64_t bw;              /* bytes per second, 0 = at once */
	uint64_t cut;             /* body bytes before the cut, UINT64_MAX = none */
	enum srv_fault cut_fault; /* at the cut: truncate, reset_body or close; NONE: a stall */
	uint64_t stall_us;      /* a stall at the cut holds the connection this long, then closes */
	uint64_t hold_until_us; /* the body waits until then (ttfb: headers first) */
};

/* The response for size bytes of site's body shaped by sh: a slice of the pre-built body when
 * nothing shapes it, else generated on demand (suspending conn while it waits). NULL when out
 * of memory. */
struct MHD_Response *srv_body_response(struct srv_server *srv, struct MHD_Connection *conn,
                                       const struct srv_site *site, uint64_t size,
                                       const struct srv_body_shape *sh);

/* conn's socket, or -1. */
int srv_conn_fd(struct MHD_Connection *conn);

/* Resets conn's TCP connection now (RST, not FIN); libmicrohttpd then closes it. */
void srv_conn_reset(struct MHD_Connection *conn);

/* ---- admin.c ---- */

/* Answers a request for /__latlab/... (url starts with it) whose body (a PUT's JSON; NULL
 * when none) is body, len bytes; 404 for an unknown endpoint, 405 with Allow for a method
 * the endpoint does not take. */
enum MHD_Result srv_admin(struct srv_server *srv, struct MHD_Connection *conn, const char *url,
                          const char *method, const char *body, size_t len);

/* Appends n bytes of an admin request's body to *buf (malloc'd, NUL-terminated; the caller
 * frees). 0, -E2BIG beyond 64 KiB, or -ENOMEM. */
int srv_admin_body(char **buf, size_t *len, const char *data, size_t n);

/* Starts the admin API's own listener on --admin ADDR:PORT; NULL with a one-line err. */
struct MHD_Daemon *srv_admin_listen(struct srv_server *srv, char *err, size_t errlen);

#endif
