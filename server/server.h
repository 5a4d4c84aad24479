/* server.h -- latlab-server's HTTP server: the libmicrohttpd daemon, the delay timer and the
 * listening socket, from start to a graceful stop. What one request does is request.c's
 * (routing, overrides, delays), reply.c's (bodies, faults, access log) and admin.c's
 * (/__latlab/ endpoints). */
#ifndef LATLAB_SERVER_SERVER_H
#define LATLAB_SERVER_SERVER_H

#include "config.h"
#include "sites.h"

#include <stddef.h>
#include <stdint.h>

struct srv_server;

/* Starts the timer thread and the daemon (listening when this returns) serving the finished
 * site table, and when cfg->https_port is not -1 a second daemon serving the same sites over
 * HTTPS with cfg->tls; cfg and sites must outlive the server. NULL with a one-line message in
 * err. */
struct srv_server *srv_server_start(const struct srv_config *cfg, const struct srv_sites *sites,
                                    char *err, size_t errlen);

/* The port the daemon listens on (the real one when cfg->port was 0). */
unsigned srv_server_port(const struct srv_server *s);

/* The port the HTTPS daemon listens on (the real one when cfg->https_port was 0); 0 when
 * cfg->https_port is -1 (no HTTPS). */
unsigned srv_server_https_port(const struct srv_server *s);

/* Stops accepting: the listening socket closes, so new connections are refused; requests in
 * flight (and new ones on open keep-alive connections, answered with "Connection: close")
 * still run to completion. Returns the requests in flight now. Safe to call more than once. */
uint64_t srv_server_quiesce(struct srv_server *s);

/* What a drain left behind. */
struct srv_drain {
	uint64_t left;     /* requests still in flight at its end (fault=timeout aside): a stop
	                      cuts them short */
	uint64_t requests; /* requests served since the start */
	int cancelled;     /* it ended because cancel_fd became readable */
};

/* The drain policy: quiesces s, then waits until every request in flight has completed --
 * but for fault=timeout requests, held on purpose -- or grace_us has passed (CLOCK_MONOTONIC),
 * or cancel_fd (-1: none) is readable (it is not read). Wakes when a request completes, never
 * sleep-polls. Fills *d either way; 0, or -errno when waiting failed (the drain ended). */
int srv_server_drain(struct srv_server *s, uint64_t grace_us, int cancel_fd, struct srv_drain *d);

/* Cuts every pending delay short (a held request's connection closes; one whose delay ran
 * out is answered), stops the daemon and the timer, frees s. NULL is a no-op. */
void srv_server_stop(struct srv_server *s);

#endif
