/* server.c -- the server's lifecycle: start the timer, the daemon and the accept thread; drain
 * and stop them. Also the timer's side of a delay (suspend, resume) and libmicrohttpd's log.
 * What a request does is in request.c, reply.c and admin.c. */
#include "server.h"

#include "acceptor.h"
#include "clock.h"
#include "delay.h"
#include "internal.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

/* how long a stop waits for handlers caught between their suspend and their timer add */
#define STOP_RESUME_WAIT_US 1000000

/* how often the sockets of delayed requests are polled for clients that gave up */
#define CLIENT_GONE_CHECK_US 100000

#define LOAD(x) atomic_load_explicit(&(x), memory_order_relaxed)

/* ---- delays ----------------------------------------------------------------------------- */

/* the timer's fire callback: item is a suspended connection */
static void on_fire(void *arg, void *item)
{
	struct srv_server *srv = arg;
	MHD_resume_connection(item);
	/* counted out only after the resume, so a stop that sees no suspended connection left
	 * never stops the daemon under a connection that is about to be resumed */
	atomic_fetch_sub_explicit(&srv->stats.suspended, 1, memory_order_relaxed);
	srv_server_changed(srv);
}

/* the timer's watch callback: the socket of a suspended connection (which nobody else
 * touches while it is suspended) */
static int conn_fd(void *arg, void *item)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(item, MHD_CONNECTION_INFO_CONNECTION_FD);
	(void)arg;
	return ci ? ci->connect_fd : -1;
}

void srv_suspend(struct srv_server *srv, struct MHD_Connection *conn)
{
	atomic_fetch_add_explicit(&srv->stats.suspended, 1, memory_order_relaxed);
	MHD_suspend_connection(conn); /* before the timer can see it */
}

void srv_schedule(struct srv_server *srv, struct MHD_Connection *conn, uint64_t deadline_us,
                  int watch)
{
	if (srv_timer_add(srv->timer, deadline_us, conn, watch) != 0)
		on_fire(srv, conn); /* out of memory: go on without the delay */
}

void srv_suspend_until(struct srv_server *srv, struct MHD_Connection *conn, uint64_t deadline_us,
                       int watch)
{
	srv_suspend(srv, conn);
	srv_schedule(srv, conn, deadline_us, watch);
}

void srv_server_changed(struct srv_server *srv)
{
	if (!atomic_load_explicit(&srv->draining, memory_order_relaxed))
		return;
	ssize_t w = write(srv->changed_fd, &(uint64_t){1}, sizeof(uint64_t));
	(void)w; /* the counter cannot overflow here; a wake-up is all it carries */
}

/* ---- libmicrohttpd's callbacks ---------------------------------------------------------- */

int srv_conn_tls(struct MHD_Connection *conn)
{
	/* a TLS daemon's connections have a GnuTLS session from the start (the daemon a
	 * connection names is its thread-pool worker, not the daemon started) */
	return MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION) != NULL;
}

/* GnuTLS hook: the client's Finished has been read. The server has nothing to send now (its
 * own Finished went out before, and libmicrohttpd's sessions send no tickets), so the kernel
 * would acknowledge that segment only when its delayed-ACK timer fires; a client that keeps
 * Nagle on (ab, Java's default) holds its request until then: 40 ms on every new HTTPS
 * connection. TCP_QUICKACK sends the pending ACK now. */
static int tls_on_finished(gnutls_session_t session, unsigned htype, unsigned when,
                           unsigned incoming, const gnutls_datum_t *msg)
{
	(void)msg;
	if (htype == GNUTLS_HANDSHAKE_FINISHED && when == GNUTLS_HOOK_POST && incoming) {
		int fd = gnutls_transport_get_int(session), one = 1;
		if (fd >= 0)
			setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	}
	return 0;
}

/* before the handshake (the connection's first event): watch for the client's Finished */
static void tls_ack_finished_at_once(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (ci)
		gnutls_handshake_set_hook_function(ci->tls_session, GNUTLS_HANDSHAKE_FINISHED,
		                                   GNUTLS_HOOK_POST, tls_on_finished);
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
	struct srv_server *srv = cls;
	struct srv_conn *c = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		if ((c = calloc(1, sizeof(*c)))) {
			c->tls = srv_conn_tls(conn);
			if (c->tls)
				tls_ack_finished_at_once(conn);
			if (ci) /* without memory it is never given up: it times out instead */
				c->idle = srv_idle_open(c->tls ? srv->tls_idle : srv->idle,
				                        ci->connect_fd);
		}
		*socket_context = c; /* NULL without memory: no connect_delay on it */
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED)
		return;
	int tls = c ? c->tls : srv_conn_tls(conn);
	if (c)
		srv_idle_closed(tls ? srv->tls_idle : srv->idle, c->idle);
	free(c);
	*socket_context = NULL;
	srv_acceptor_closed(tls ? srv->tls_acceptor : srv->acceptor);
}

struct srv_conn *srv_conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
	        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
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

/* ---- start ------------------------------------------------------------------------------ */

static int open_access_log(struct srv_server *srv, char *err, size_t errlen)
{
	const char *path = srv->cfg->access_log;

	if (!path)
		return 0;
	srv->log_fd = strcmp(path, "-") == 0
	                      ? dup(STDOUT_FILENO)
	                      : open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (srv->log_fd < 0) {
		snprintf(err, errlen, "--access-log: cannot open '%s': %s", path, strerror(errno));
		return -errno;
	}
	return 0;
}

/* the HTTP daemon, or with tls the HTTPS one (cfg->tls's certificate): the same handlers */
static struct MHD_Daemon *start_daemon(struct srv_server *srv, int tls)
{
	const struct srv_config *cfg = srv->cfg;
	/* the listening socket is ours (acceptor.c): libmicrohttpd gets accepted connections,
	 * and does the TLS handshake on those it gets as an MHD_USE_TLS daemon */
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
	                 MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ERROR_LOG |
	                 (tls ? MHD_USE_TLS : 0);
	struct MHD_OptionItem opts[] = {
	        {MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, srv},
	        /* the acceptor enforces --max-connections; libmicrohttpd splits its own limit
	         * evenly between workers, so it gets slack for an uneven split */
	        {MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections + 64 * cfg->threads, NULL},
	        {MHD_OPTION_CONNECTION_MEMORY_LIMIT, (intptr_t)cfg->conn_memory, NULL},
	        {MHD_OPTION_CONNECTION_TIMEOUT, (intptr_t)cfg->idle_timeout_s, NULL},
	        {MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)srv_request_completed, srv},
	        {MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv},
	        {cfg->threads > 1 ? MHD_OPTION_THREAD_POOL_SIZE : MHD_OPTION_END, cfg->threads,
	         NULL},
	        {MHD_OPTION_END, 0, NULL}, /* the certificate goes here and */
	        {MHD_OPTION_END, 0, NULL}, /* here for HTTPS */
	        {MHD_OPTION_END, 0, NULL},
	};
	if (tls) {
		size_t at = cfg->threads > 1 ? 7 : 6;
		opts[at] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, cfg->tls.cert_pem};
		opts[at + 1] =
		        (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, cfg->tls.key_pem};
	}
	return MHD_start_daemon(flags, 0, NULL, NULL, srv_request_access, srv, MHD_OPTION_ARRAY,
	                        opts, MHD_OPTION_END);
}

/* the HTTPS listener: its socket, its daemon, its accept thread; 0 or -1 with err filled */
static int start_https(struct srv_server *srv, int backlog, char *err, size_t errlen)
{
	const struct srv_config *cfg = srv->cfg;

	srv->tls_acceptor =
	        srv_acceptor_listen(cfg->listen, (unsigned)cfg->https_port, backlog, err, errlen);
	if (!srv->tls_acceptor)
		return -1;
	srv->tls_daemon = start_daemon(srv, 1);
	if (!srv->tls_daemon) {
		snprintf(err, errlen, "cannot start libmicrohttpd for HTTPS: %s",
		         srv->start_err[0] ? srv->start_err : "unknown error");
		return -1;
	}
	srv->tls_port = srv_acceptor_port(srv->tls_acceptor);
	return 0;
}

/* connections over the limit wait their turn in the backlog: a short one would drop their
 * SYNs, and a dropped SYN is retried only after a second */
static int backlog_of(unsigned max_connections)
{
	return max_connections < 4096    ? 4096
	       : max_connections < 65535 ? (int)max_connections
	                                 : 65535;
}

/* the finite sites' queues, the keep-alive idle lists and the timer thread; 0 or -1 (err) */
static int start_timer(struct srv_server *srv, char *err, size_t errlen)
{
	srv->capacity = srv_capacity_new();
	srv->idle = srv_idle_new();
	srv->tls_idle = srv_idle_new();
	srv->timer =
	        srv->capacity && srv->idle && srv->tls_idle ? srv_timer_start(on_fire, srv) : NULL;
	if (!srv->timer) {
		snprintf(err, errlen, "cannot start the timer thread: %s", strerror(errno));
		return -1;
	}
	srv_timer_watch(srv->timer, conn_fd, CLIENT_GONE_CHECK_US);
	srv_timer_watch_more(srv->timer, srv_slot_watch); /* queued requests' clients too */
	return 0;
}

/* what the server keeps as a test double: the live site table, the scenarios, the journal;
 * 0, or -ENOMEM with err set */
static int start_double(struct srv_server *srv, char *err, size_t errlen)
{
	if (!(srv->live = srv_live_new(srv->sites)) || !(srv->scenarios = srv_scenarios_new())) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	if (srv->cfg->journal && !(srv->journal = srv_journal_new(srv->cfg->journal))) {
		snprintf(err, errlen, "--journal %zu: out of memory", srv->cfg->journal);
		return -ENOMEM;
	}
	return 0;
}

static void free_double(struct srv_server *srv)
{
	srv_scenarios_free(srv->scenarios);
	srv_journal_free(srv->journal);
	srv_live_free(srv->live);
}

struct srv_server *srv_server_start(const struct srv_config *cfg, const struct srv_sites *sites,
                                    char *err, size_t errlen)
{
	struct srv_server *srv = calloc(1, sizeof(*srv));

	if (!srv) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	srv->cfg = cfg;
	srv->sites = sites;
	srv->log_fd = srv->changed_fd = -1;
	atomic_init(&srv->draining, 0);
	atomic_init(&srv->stopping, 0);
	if (srv_stats_init(&srv->stats) != 0) {
		free(srv);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (start_double(srv, err, errlen) != 0)
		goto fail;
	int backlog = backlog_of(cfg->max_connections);
	srv->acceptor = srv_acceptor_listen(cfg->listen, cfg->port, backlog, err, errlen);
	if (!srv->acceptor || open_access_log(srv, err, errlen) != 0)
		goto fail;
	srv->changed_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (srv->changed_fd < 0) {
		snprintf(err, errlen, "cannot create an eventfd: %s", strerror(errno));
		goto fail;
	}
	if (start_timer(srv, err, errlen) != 0)
		goto fail;
	atomic_init(&srv->starting, 1);
	srv->daemon = start_daemon(srv, 0);
	if (!srv->daemon) {
		snprintf(err, errlen, "cannot start libmicrohttpd: %s",
		         srv->start_err[0] ? srv->start_err : "unknown error");
		goto fail;
	}
	if (cfg->admin == SRV_ADMIN_OWN &&
	    !(srv->admin_daemon = srv_admin_listen(srv, err, errlen)))
		goto fail;
	srv->port = srv_acceptor_port(srv->acceptor);
	if (cfg->https_port >= 0 && start_https(srv, backlog, err, errlen) != 0)
		goto fail;
	atomic_store(&srv->starting, 0); /* workers log to stderr from now on */
	int rc = srv_acceptor_start(srv->acceptor, srv->daemon, cfg->max_connections, srv->idle);
	if (rc == 0 && srv->tls_acceptor)
		rc = srv_acceptor_start(srv->tls_acceptor, srv->tls_daemon, cfg->max_connections,
		                        srv->tls_idle);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the accept thread: %s", strerror(-rc));
		goto fail;
	}
	return srv;

fail:
	srv_acceptor_close(srv->tls_acceptor);
	srv_acceptor_close(srv->acceptor);
	if (srv->tls_daemon)
		MHD_stop_daemon(srv->tls_daemon);
	if (srv->admin_daemon)
		MHD_stop_daemon(srv->admin_daemon);
	if (srv->daemon)
		MHD_stop_daemon(srv->daemon);
	srv_acceptor_free(srv->tls_acceptor);
	srv_timer_stop(srv->timer);
	srv_capacity_free(srv->capacity);
	srv_idle_free(srv->idle);
	srv_idle_free(srv->tls_idle);
	if (srv->changed_fd >= 0)
		close(srv->changed_fd);
	if (srv->log_fd >= 0)
		close(srv->log_fd);
	srv_acceptor_free(srv->acceptor);
	free_double(srv);
	srv_stats_destroy(&srv->stats);
	free(srv);
	return NULL;
}

unsigned srv_server_port(const struct srv_server *s)
{
	return s->port;
}

unsigned srv_server_https_port(const struct srv_server *s)
{
	return s->tls_port;
}

/* ---- drain and stop --------------------------------------------------------------------- */

enum wait_end { WAIT_DONE, WAIT_DEADLINE, WAIT_CANCELLED };

/* Waits until done(s), deadline_us (clock_now_us time) or cancel_fd (-1: none) is readable.
 * Woken by srv_server_changed, so only while s is draining. A wait_end, or -errno. */
static int wait_until(struct srv_server *s, bool (*done)(const struct srv_server *),
                      uint64_t deadline_us, int cancel_fd)
{
	struct pollfd fds[2] = {{s->changed_fd, POLLIN, 0}, {cancel_fd, POLLIN, 0}};
	uint64_t wakes;

	for (;;) {
		if (done(s))
			return WAIT_DONE;
		uint64_t now = clock_now_us();
		if (now >= deadline_us)
			return WAIT_DEADLINE;
		uint64_t us = deadline_us - now;
		struct timespec ts = {(time_t)(us / 1000000), (long)(us % 1000000) * 1000};
		if (ppoll(fds, cancel_fd >= 0 ? 2 : 1, &ts, NULL) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (fds[1].revents)
			return WAIT_CANCELLED;
		if (fds[0].revents && read(s->changed_fd, &wakes, sizeof(wakes)) < 0 &&
		    errno != EAGAIN)
			return -errno;
	}
}

/* requests in flight that a drain waits for: fault=timeout requests are held on purpose */
static uint64_t draining_left(const struct srv_server *s)
{
	uint64_t in_flight = LOAD(s->stats.in_flight), held = LOAD(s->stats.held);
	return in_flight > held ? in_flight - held : 0;
}

static bool drained(const struct srv_server *s)
{
	return draining_left(s) == 0;
}

static bool none_suspended(const struct srv_server *s)
{
	return LOAD(s->stats.suspended) == 0;
}

uint64_t srv_server_quiesce(struct srv_server *s)
{
	if (!atomic_exchange(&s->draining, 1)) { /* new connections are refused from now on */
		srv_acceptor_close(s->acceptor);
		srv_acceptor_close(s->tls_acceptor);
	}
	return LOAD(s->stats.in_flight);
}

int srv_server_drain(struct srv_server *s, uint64_t grace_us, int cancel_fd, struct srv_drain *d)
{
	srv_server_quiesce(s);
	int rc = wait_until(s, drained, clock_now_us() + grace_us, cancel_fd);
	d->left = draining_left(s);
	d->requests = LOAD(s->stats.requests);
	d->cancelled = rc == WAIT_CANCELLED;
	return rc < 0 ? rc : 0;
}

void srv_server_stop(struct srv_server *s)
{
	if (!s)
		return;
	atomic_store(&s->draining, 1);
	atomic_store(&s->stopping, 1);
	srv_timer_flush(s->timer);
	srv_slot_cut_queued(s); /* queued requests go the same way as held ones */
	/* a handler may be between its suspend and its timer add: that add fires at once, and
	 * libmicrohttpd must not stop with a connection still suspended */
	wait_until(s, none_suspended, clock_now_us() + STOP_RESUME_WAIT_US, -1);
	/* nothing new reaches the daemons while they stop */
	srv_acceptor_close(s->acceptor);
	srv_acceptor_close(s->tls_acceptor);
	MHD_stop_daemon(s->daemon);
	if (s->tls_daemon)
		MHD_stop_daemon(s->tls_daemon);
	if (s->admin_daemon)
		MHD_stop_daemon(s->admin_daemon);
	srv_acceptor_free(s->acceptor);
	srv_acceptor_free(s->tls_acceptor);
	srv_timer_stop(s->timer);
	srv_capacity_free(s->capacity);
	srv_idle_free(s->idle);
	srv_idle_free(s->tls_idle);
	close(s->changed_fd);
	if (s->log_fd >= 0)
		close(s->log_fd);
	free_double(s);
	srv_stats_destroy(&s->stats);
	free(s);
}
